"""ingress-nginx's own end-to-end tests, replayed against the migrated output.

Each test here is one ``ginkgo.It`` of ``kubernetes/ingress-nginx``'s ``test/e2e`` (file and
title in its docstring): the same Ingresses (built as the e2e framework builds them, see
:func:`ingress`), the same requests, and the e2e test's expected status, ``Location``, backend
and the path or Host the backend sees, routed through ``verify``'s model of Gateway API over
our output; and ``verify`` finds no unexplained difference for the input. Nothing is asserted
that the e2e test does not assert. Tests are grouped by e2e file, in the order of the file.

What the e2e tests assert that Gateway API cannot express (rate limits counted, log formats,
snippets, nginx.conf text...) has no test here: ``docs/providers/nginx-e2e.md`` lists every
``It`` with the test that covers it or the reason there is none.

The e2e framework's Ingresses (``framework.NewSingleIngress`` and friends): ``pathType:
Prefix``, Service ``echo`` port 80 in the test's namespace, TLS Secret named after the host;
Ingresses created one after the other are older to newer (``creationTimestamp``), which decides
the controller's precedence between them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Forward,
    NoRoute,
    Outcome,
    Request,
    normal_location,
)

from . import nginx_requests
from .nginx_requests import answer, backend, redirect, upstream_path

NS = "e2e"
ECHO = f"{NS}/echo"
A = "nginx.ingress.kubernetes.io/"
EG = "envoy-gateway"

# --- inputs, as the e2e framework builds them --------------------------------------------------


def ingress(
    name: str,
    path: str | None = "/",
    host: str = "",
    annotations: Mapping[str, str] | None = None,
    *,
    service: str = "echo",
    port: int = 80,
    tls: Sequence[str] = (),
    secret: str | None = "",
    paths: Sequence[str] = (),
    path_type: str = "Prefix",
    default_backend: str | None = None,
    namespace: str = NS,
) -> dict[str, Any]:
    """``framework.NewSingleIngress`` (``tls``: ``NewSingleIngressWithTLS``, whose Secret is
    named after the host; ``paths``: ``NewSingleIngressWithMultiplePaths``; ``path=None`` with
    ``default_backend``: ``NewSingleCatchAllIngress``)."""
    spec: dict[str, Any] = {"ingressClassName": "nginx"}
    if default_backend is not None:
        spec["defaultBackend"] = {"service": {"name": default_backend, "port": {"number": port}}}
    if path is not None or paths:
        rule: dict[str, Any] = {
            "http": {
                "paths": [
                    {
                        "path": p,
                        "pathType": path_type,
                        "backend": {"service": {"name": service, "port": {"number": port}}},
                    }
                    for p in (paths or [path])
                ]
            }
        }
        if host:
            rule = {"host": host, **rule}
        spec["rules"] = [rule]
    if tls:
        entry: dict[str, Any] = {"hosts": list(tls)}
        if secret is not None:
            entry["secretName"] = secret or host
        spec["tls"] = [entry]
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    }


def controller_configmap(data: Mapping[str, str]) -> dict[str, Any]:
    """The controller ConfigMap (``f.UpdateNginxConfigMapData`` / ``SetNginxConfigMapData``)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": dict(data),
    }


def manifest(*objects: dict[str, Any]) -> str:
    """The objects as one YAML stream; Ingresses get creation times in the order given (the
    order the e2e test creates them)."""
    stamped = []
    for minute, obj in enumerate(objects):
        if obj["kind"] == "Ingress":
            obj = {**obj, "metadata": {**obj["metadata"]}}
            obj["metadata"].setdefault("creationTimestamp", f"2024-01-01T00:{minute:02d}:00Z")
        stamped.append(obj)
    return yaml.safe_dump_all(stamped, sort_keys=False)


def get(
    host: str,
    path: str = "/",
    *,
    https: bool = False,
    headers: Mapping[str, str] | None = None,
    cookie: str | None = None,
    query: str = "",
    method: str = "GET",
    port: int | None = None,
) -> Request:
    """``f.HTTPTestClient().GET(path).WithHeader("Host", host)`` (``https``: ``WithURL(
    f.GetURL(framework.HTTPS))``, SNI the host)."""
    pairs = [(k, v) for k, v in (headers or {}).items()]
    if cookie is not None:
        pairs.append(("cookie", cookie))
    request = Request(
        host, path, "https" if https else "http", method, query=query, port=port
    ).with_headers(*pairs)
    return request


# --- conversion and verification, cached (verify is the slow part) ------------------------------


@functools.cache
def converted(text: str, emitter: str = "standard") -> ingress2gateway.Result:
    return nginx_requests.convert(text, emitter)


@functools.cache
def _unexplained(text: str, emitter: str) -> tuple[str, ...]:
    return tuple(nginx_requests.unexplained(text, emitter))


def unexplained(text: str, emitter: str = "standard") -> list[str]:
    """verify's differences the report does not explain (none, for every input here)."""
    return list(_unexplained(text, emitter))


def reach(text: str, request: Request, emitter: str = "standard") -> Outcome:
    return answer(converted(text, emitter), request)


def status(outcome: Outcome) -> int:
    """The status the client sees (a forwarded request: the backend's, 200 for echo)."""
    if isinstance(outcome, Forward):
        return 200
    return getattr(outcome, "status", 0)


def guards(outcome: Outcome) -> tuple[str, ...] | None:
    return outcome.guards if isinstance(outcome, Forward) else None


def served_host(outcome: Outcome) -> str | None:
    """The Host the backend sees (the echo server prints it: ``host=...``)."""
    return outcome.host if isinstance(outcome, Forward) else None


def location(url: str) -> str:
    """A Location header in the normal form the models compare (default port dropped)."""
    return normal_location(url)


def codes(text: str, emitter: str = "standard") -> set[str]:
    return {n.code for n in converted(text, emitter).report.notifications}


def rule_reached(text: str, request: Request, emitter: str = "standard") -> dict[str, Any]:
    """The HTTPRoute rule (as emitted) that answers ``request``."""
    result = converted(text, emitter)
    routed = GatewayAPIModel(result.resources).route(request)
    for cause in routed.causes:
        found = re.fullmatch(r"spec\.rules\[(\d+)\]", cause.field)
        if found is None:
            continue
        for obj in result.resources:
            meta = obj.get("metadata", {})
            if (obj.get("kind"), meta.get("namespace"), meta.get("name")) == (
                cause.kind,
                cause.namespace,
                cause.name,
            ):
                rule: dict[str, Any] = obj["spec"]["rules"][int(found.group(1))]
                return rule
    raise AssertionError(f"no rule answers {request.display()}: {routed.outcome}")


def _route_and_rule(
    text: str, request: Request, emitter: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    result = converted(text, emitter)
    routed = GatewayAPIModel(result.resources).route(request)
    for cause in routed.causes:
        found = re.fullmatch(r"spec\.rules\[(\d+)\]", cause.field)
        if found is None:
            continue
        for obj in result.resources:
            meta = obj.get("metadata", {})
            if (obj.get("kind"), meta.get("namespace"), meta.get("name")) == (
                cause.kind,
                cause.namespace,
                cause.name,
            ):
                return obj, obj["spec"]["rules"][int(found.group(1))]
    raise AssertionError(f"no rule answers {request.display()}: {routed.outcome}")


def policies(text: str, request: Request, kind: str, emitter: str = EG) -> list[dict[str, Any]]:
    """The specs of the ``kind`` policies that apply to the rule answering ``request``: those
    naming the rule (``sectionName``) first, then those naming its route."""
    route, rule = _route_and_rule(text, request, emitter)
    meta = route["metadata"]
    by_rule, by_route = [], []
    for obj in converted(text, emitter).resources:
        if obj.get("kind") != kind or obj["metadata"].get("namespace") != meta["namespace"]:
            continue
        for ref in obj["spec"].get("targetRefs", []):
            if ref.get("kind") != route["kind"] or ref.get("name") != meta["name"]:
                continue
            if ref.get("sectionName") is None:
                by_route.append(obj["spec"])
            elif ref["sectionName"] == rule.get("name"):
                by_rule.append(obj["spec"])
    return by_rule + by_route


def session_cookie(text: str, request: Request) -> dict[str, Any] | None:
    """The affinity cookie Envoy Gateway sets for ``request`` (its BackendTrafficPolicy's
    consistent-hash cookie), or None."""
    for spec in policies(text, request, "BackendTrafficPolicy"):
        cookie = spec.get("loadBalancer", {}).get("consistentHash", {}).get("cookie")
        if cookie is not None:
            return dict(cookie)
    return None


def cookie_attribute(text: str, request: Request, name: str) -> str | None:
    cookie = session_cookie(text, request) or {}
    value = cookie.get("attributes", {}).get(name)
    return None if value is None else str(value)


# === test/e2e/annotations/affinity.go ===========================================================

AFFINITY = {A + "affinity": "cookie", A + "session-cookie-name": "SERVERID"}


def _sticky(host: str, path: str = "/", **extra: str) -> str:
    return manifest(ingress(host, path, host, {**AFFINITY, **extra}))


def test_affinity_should_set_sticky_cookie_serverid() -> None:
    """affinity.go: "should set sticky cookie SERVERID" (200, Set-Cookie SERVERID=)."""
    text = _sticky("sticky.foo.com")
    request = get("sticky.foo.com")
    for emitter in ("standard", EG):
        assert backend(reach(text, request, emitter)) == ECHO
        assert unexplained(text, emitter) == []
    assert (session_cookie(text, request) or {}).get("name") == "SERVERID"


def test_affinity_should_change_cookie_name_on_ingress_definition_change() -> None:
    """affinity.go: "should change cookie name on ingress definition change" (the Ingress as
    updated: session-cookie-name OTHERCOOKIENAME)."""
    text = _sticky("change.foo.com", **{A + "session-cookie-name": "OTHERCOOKIENAME"})
    request = get("change.foo.com")
    assert backend(reach(text, request, EG)) == ECHO
    assert (session_cookie(text, request) or {}).get("name") == "OTHERCOOKIENAME"
    assert unexplained(text, EG) == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 13: the cookie Path is the location's path (sticky.lua "
    "ngx.var.location_path) when session-cookie-path is not set; no Path is emitted",
)
def test_affinity_should_set_the_path_to_something_on_the_generated_cookie() -> None:
    """affinity.go: "should set the path to /something on the generated cookie"."""
    text = _sticky("path.foo.com", "/something")
    request = get("path.foo.com", "/something")
    assert backend(reach(text, request, EG)) == ECHO
    assert unexplained(text, EG) == []
    assert cookie_attribute(text, request, "Path") == "/something"


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 13: each location's cookie has that location's path (sticky.lua); "
    "no Path is emitted",
)
def test_affinity_does_not_set_the_path_to_root_when_two_rules_share_a_backend() -> None:
    """affinity.go: "does not set the path to / on the generated cookie if there's more than
    one rule referring to the same backend"."""
    host = "morethanonerule.foo.com"
    text = manifest(
        ingress(host, host=host, annotations=AFFINITY, paths=["/something", "/somewhereelse"])
    )
    for path in ("/something", "/somewhereelse"):
        request = get(host, path)
        assert backend(reach(text, request, EG)) == ECHO
        assert cookie_attribute(text, request, "Path") == path
    assert unexplained(text, EG) == []


def test_affinity_should_set_cookie_with_expires() -> None:
    """affinity.go: "should set cookie with expires" (Max-Age=259200; the Expires date nginx
    adds from session-cookie-expires has no Envoy Gateway field: Envoy sets Max-Age only)."""
    host = "cookieexpires.foo.com"
    text = manifest(
        ingress(
            host,
            "/",
            host,
            {
                A + "affinity": "cookie",
                A + "session-cookie-name": "ExpiresCookie",
                A + "session-cookie-expires": "172800",
                A + "session-cookie-max-age": "259200",
            },
        )
    )
    request = get(host)
    assert backend(reach(text, request, EG)) == ECHO
    cookie = session_cookie(text, request) or {}
    assert cookie.get("name") == "ExpiresCookie" and cookie.get("ttl") in ("72h", "259200s")
    assert unexplained(text, EG) == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 13: session-cookie-domain is reported as having no equivalent; "
    "Envoy Gateway's cookie attributes can carry Domain",
)
def test_affinity_should_set_cookie_with_domain() -> None:
    """affinity.go: "should set cookie with domain"."""
    host = "cookiedomain.foo.com"
    text = manifest(
        ingress(
            host,
            "/",
            host,
            {
                A + "affinity": "cookie",
                A + "session-cookie-name": "DomainCookie",
                A + "session-cookie-domain": "foo.bar",
            },
        )
    )
    request = get(host)
    assert backend(reach(text, request, EG)) == ECHO
    assert cookie_attribute(text, request, "Domain") == "foo.bar"


def test_affinity_should_not_set_cookie_without_domain_annotation() -> None:
    """affinity.go: "should not set cookie without domain annotation"."""
    host = "cookienodomain.foo.com"
    text = manifest(
        ingress(
            host, "/", host, {A + "affinity": "cookie", A + "session-cookie-name": "NoDomainCookie"}
        )
    )
    request = get(host)
    assert backend(reach(text, request, EG)) == ECHO
    cookie = session_cookie(text, request) or {}
    assert cookie.get("name") == "NoDomainCookie"
    assert "Domain" not in cookie.get("attributes", {})
    assert unexplained(text, EG) == []


def test_affinity_should_work_with_use_regex_annotation_and_session_cookie_path() -> None:
    """affinity.go: "should work with use-regex annotation and session-cookie-path"."""
    host = "useregex.foo.com"
    text = _sticky(
        host, "/foo/.*", **{A + "use-regex": "true", A + "session-cookie-path": "/foo/bar"}
    )
    request = get(host, "/foo/bar")
    assert backend(reach(text, request, EG)) == ECHO
    assert (session_cookie(text, request) or {}).get("name") == "SERVERID"
    assert cookie_attribute(text, request, "Path") == "/foo/bar"
    assert unexplained(text, EG) == []


def test_affinity_should_warn_user_when_use_regex_is_true_and_session_cookie_path_is_not_set() -> (
    None
):
    """affinity.go: "should warn user when use-regex is true and session-cookie-path is not
    set" (the request's 200; the controller's log line is not ours to assert)."""
    host = "useregexwarn.foo.com"
    text = _sticky(host, "/foo/.*", **{A + "use-regex": "true"})
    assert backend(reach(text, get(host, "/foo/bar"), EG)) == ECHO
    assert unexplained(text, EG) == []


def test_affinity_should_not_set_affinity_across_all_server_locations_when_using_separate_ingresses() -> (
    None
):
    """affinity.go: "should not set affinity across all server locations when using separate
    ingresses" (/foo: no cookie; /foo/bar: the cookie; the cookie's Path=/foo/bar is item 13's
    default path, asserted in the path tests above)."""
    host = "separate.foo.com"
    text = manifest(
        ingress("ingress1", "/foo/bar", host, {A + "affinity": "cookie"}),
        ingress("ingress2", "/foo", host),
    )
    assert backend(reach(text, get(host, "/foo"), EG)) == ECHO
    assert session_cookie(text, get(host, "/foo")) is None
    assert backend(reach(text, get(host, "/foo/bar"), EG)) == ECHO
    assert session_cookie(text, get(host, "/foo/bar")) is not None
    assert unexplained(text, EG) == []


def test_affinity_should_set_sticky_cookie_without_host() -> None:
    """affinity.go: "should set sticky cookie without host" (the request's Host is the
    controller's address: the catch-all server)."""
    text = manifest(ingress("default-no-host", "/", "", AFFINITY))
    request = get("192.0.2.10")
    assert backend(reach(text, request, EG)) == ECHO
    assert (session_cookie(text, request) or {}).get("name") == "SERVERID"
    assert unexplained(text, EG) == []


def test_affinity_should_work_with_server_alias_annotation() -> None:
    """affinity.go: "should work with server-alias annotation"."""
    text = manifest(
        ingress(
            "foo.com", "/bar", "foo.com", {**AFFINITY, A + "server-alias": "a1.foo.com,a2.foo.com"}
        )
    )
    for host in ("foo.com", "a1.foo.com", "a2.foo.com"):
        request = get(host, "/bar")
        assert backend(reach(text, request, EG)) == ECHO, host
        assert (session_cookie(text, request) or {}).get("name") == "SERVERID", host
    assert unexplained(text, EG) == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 13: session-cookie-secure is reported as having no equivalent; "
    "Envoy Gateway's cookie attributes can carry Secure",
)
def test_affinity_should_set_secure_in_cookie_with_provided_true_annotation_on_http() -> None:
    """affinity.go: "should set secure in cookie with provided true annotation on http"."""
    text = _sticky("foo.com", "/bar", **{A + "session-cookie-secure": "true"})
    request = get("foo.com", "/bar")
    assert backend(reach(text, request, EG)) == ECHO
    assert "Secure" in (session_cookie(text, request) or {}).get("attributes", {})


def test_affinity_should_not_set_secure_in_cookie_with_provided_false_annotation_on_http() -> None:
    """affinity.go: "should not set secure in cookie with provided false annotation on http"."""
    text = _sticky("foo.com", "/bar", **{A + "session-cookie-secure": "false"})
    request = get("foo.com", "/bar")
    assert backend(reach(text, request, EG)) == ECHO
    assert "Secure" not in (session_cookie(text, request) or {}).get("attributes", {})
    assert unexplained(text, EG) == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 13: on HTTPS nginx's sticky cookie is Secure (sticky.lua: "
    "ngx.var.https); no Secure attribute is emitted",
)
def test_affinity_should_set_secure_in_cookie_with_provided_false_annotation_on_https() -> None:
    """affinity.go: "should set secure in cookie with provided false annotation on https"."""
    text = manifest(
        ingress(
            "foo.com",
            "/",
            "foo.com",
            {**AFFINITY, A + "session-cookie-secure": "false"},
            tls=["foo.com"],
        )
    )
    request = get("foo.com", https=True)
    assert backend(reach(text, request, EG)) == ECHO
    assert "Secure" in (session_cookie(text, request) or {}).get("attributes", {})


# === test/e2e/annotations/alias.go ==============================================================


def test_alias_should_return_200_for_host_foo_and_404_for_bar() -> None:
    """alias.go: "should return status code 200 for host 'foo' and 404 for 'bar'"."""
    text = manifest(ingress("foo", "/", "foo"))
    served = reach(text, get("foo"))
    assert backend(served) == ECHO and served_host(served) == "foo"
    assert status(reach(text, get("bar"))) == 404
    assert unexplained(text) == []


def test_alias_should_return_200_for_host_foo_and_bar() -> None:
    """alias.go: "should return status code 200 for host 'foo' and 'bar'"."""
    text = manifest(ingress("foo", "/", "foo", {A + "server-alias": "bar"}))
    for host in ("foo", "bar"):
        served = reach(text, get(host))
        assert backend(served) == ECHO and served_host(served) == host
    assert unexplained(text) == []


def test_alias_should_return_200_for_hosts_defined_in_two_ingresses_different_path_with_one_alias() -> (
    None
):
    """alias.go: "should return status code 200 for hosts defined in two ingresses, different
    path with one alias" (the alias names the server: /app-a, of the other Ingress, answers
    on it too)."""
    text = manifest(
        ingress("app-a", "/app-a", "foo"),
        ingress("app-b", "/app-b", "foo", {A + "server-alias": "bar"}),
    )
    for host in ("foo", "bar"):
        served = reach(text, get(host, "/app-a"))
        assert backend(served) == ECHO and served_host(served) == host, host
    assert unexplained(text) == []


# === test/e2e/annotations/approot.go ============================================================


def test_approot_should_redirect_to_foo() -> None:
    """approot.go: "should redirect to /foo" (302, Location http://approot.bar.com/foo)."""
    host = "approot.bar.com"
    text = manifest(ingress(host, "/", host, {A + "app-root": "/foo"}))
    assert redirect(reach(text, get(host))) == (302, location("http://approot.bar.com/foo"))
    assert unexplained(text) == []


# === test/e2e/annotations/auth.go ===============================================================

BASIC = {A + "auth-type": "basic", A + "auth-secret": "test", A + "auth-realm": "test auth"}


def test_auth_should_return_200_when_no_authentication_is_configured() -> None:
    """auth.go: "should return status code 200 when no authentication is configured"."""
    text = manifest(ingress("auth", "/", "auth"))
    served = reach(text, get("auth"))
    assert backend(served) == ECHO and served_host(served) == "auth" and guards(served) == ()
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, annotations",
    [
        (
            "should return status code 401 when authentication is configured but Authorization"
            " header is not configured",
            BASIC,
        ),
        (
            "should return status code 401 when authentication is configured and Authorization"
            " header is sent with invalid credentials",
            BASIC,
        ),
        (
            "should return status code 200 when authentication is configured and Authorization"
            " header is sent",
            BASIC,
        ),
        (
            "should return status code 200 when authentication is configured with a map and"
            " Authorization header is sent",
            {**BASIC, A + "auth-secret-type": "auth-map"},
        ),
        (
            "should return status code 401 when authentication is configured with invalid"
            " content and Authorization header is sent",
            BASIC,
        ),
    ],
)
def test_auth_basic_auth_guards_the_backend(it: str, annotations: dict[str, str]) -> None:
    """auth.go: the basic-auth Its above: the credentials decide 401 or 200, in front of the
    backend; the request reaches echo only through basic auth (Envoy Gateway's SecurityPolicy),
    and the standard emitter keeps the route closed."""
    text = manifest(ingress("auth", "/", "auth", annotations))
    served = reach(text, get("auth"), EG)
    assert backend(served) == ECHO and guards(served) == ("basic-auth",)
    assert backend(reach(text, get("auth"))) is None
    assert unexplained(text) == [] and unexplained(text, EG) == []


def test_auth_should_return_401_and_cors_headers_when_authentication_and_cors_is_configured() -> (
    None
):
    """auth.go: "should return status code 401 and cors headers when authentication and cors is
    configured but Authorization header is not configured" (the 401: basic auth guards the
    backend; the ``Access-Control-Allow-Origin: *`` on a request without ``Origin`` is not
    expressible: Gateway API's CORS filter answers requests that carry an Origin)."""
    text = manifest(ingress("auth", "/", "auth", {**BASIC, A + "enable-cors": "true"}))
    served = reach(text, get("auth"), EG)
    assert backend(served) == ECHO and guards(served) == ("basic-auth",)
    assert unexplained(text, EG) == []


AUTH_COOKIE_HOST = "auth-check-cookies"


def _external_auth_cookie_ingresses() -> str:
    annotations = {
        A + "auth-url": "http://10.0.0.7/cookies/set/alma/armud",
        A + "auth-signin": "http://$host/auth/start",
    }
    return manifest(
        ingress(
            AUTH_COOKIE_HOST, "/", AUTH_COOKIE_HOST, annotations, service="http-cookie-with-error"
        ),
        ingress(
            AUTH_COOKIE_HOST + "-error",
            "/error",
            AUTH_COOKIE_HOST,
            annotations,
            service="http-cookie-with-error",
        ),
    )


@pytest.mark.parametrize(
    "it, path",
    [
        ("user retains cookie by default", "/"),
        ("user does not retain cookie if upstream returns error status code", "/error"),
    ],
)
def test_auth_cookie_set_by_external_authentication_server(it: str, path: str) -> None:
    """auth.go, context "cookie set by external authentication server": each path reaches its
    backend through external auth (the backend's 200 or 503 is its own; the auth response's
    Set-Cookie passed to the client is not expressible: Envoy Gateway's extAuth forwards auth
    response headers to the backend only)."""
    text = _external_auth_cookie_ingresses()
    served = reach(text, get(AUTH_COOKIE_HOST, path, query="a=b&c=d"), EG)
    assert backend(served) == f"{NS}/http-cookie-with-error"
    assert guards(served) == ("external-auth",)
    assert unexplained(text, EG) == []


EXTERNAL_AUTH = {
    A + "auth-url": "http://10.0.0.8/basic-auth/user/password",
    A + "auth-signin": "http://$host/auth/start",
}


@pytest.mark.parametrize(
    "annotations",
    [EXTERNAL_AUTH, {**EXTERNAL_AUTH, A + "auth-signin-redirect-param": "orig"}],
    ids=["external-auth", "custom-redirect-param"],
)
def test_auth_should_return_200_when_signed_in(annotations: dict[str, str]) -> None:
    """auth.go: "should return status code 200 when signed in" (contexts "when external
    authentication is configured" and "... with a custom redirect param"): the auth service
    decides, in front of the backend."""
    text = manifest(ingress("auth", "/", "auth", annotations))
    served = reach(text, get("auth"), EG)
    assert backend(served) == ECHO and guards(served) == ("external-auth",)
    assert unexplained(text, EG) == []


@pytest.mark.parametrize(
    "annotations",
    [EXTERNAL_AUTH, {**EXTERNAL_AUTH, A + "auth-signin-redirect-param": "orig"}],
    ids=["external-auth", "custom-redirect-param"],
)
def test_auth_keeps_processing_new_ingresses_even_if_one_of_the_existing_ingresses_is_misconfigured(
    annotations: dict[str, str],
) -> None:
    """auth.go: "keeps processing new ingresses even if one of the existing ingresses is
    misconfigured" (both contexts): the other host answers 200."""
    text = manifest(
        ingress("auth", "/", "auth", {**annotations, **BASIC, A + "auth-secret": "something"}),
        ingress("different", "/", "different"),
    )
    for emitter in ("standard", EG):
        served = reach(text, get("different"), emitter)
        assert backend(served) == ECHO and guards(served) == ()
        assert unexplained(text, emitter) == []


def test_auth_should_overwrite_foo_header_with_auth_response() -> None:
    """auth.go: "should overwrite Foo header with auth response" (the 200 through external
    auth; which Foo the backend sees is not in verify's model: Envoy Gateway copies
    ``headersToBackend`` when the auth response has them and otherwise leaves the client's)."""
    text = manifest(
        ingress("auth", "/", "auth", {**EXTERNAL_AUTH, A + "auth-response-headers": "Foo"})
    )
    served = reach(text, get("auth", headers={"foo": "bar"}), EG)
    assert backend(served) == ECHO and guards(served) == ("external-auth",)
    assert unexplained(text, EG) == []


@pytest.mark.xfail(
    strict=True,
    reason="a denied location answers 503 (nginx.tmpl: LocationDenied → return 503); the "
    "route kept closed for the refused auth-url answers 500 (a rule with no backend)",
)
def test_auth_with_invalid_auth_url_should_return_503_location_was_denied() -> None:
    """auth.go, context "with invalid auth-url should deny whole location": "should return 503
    (location was denied)" (``https://invalid..auth.url``: parser.StringToURL refuses a host
    with ``..``)."""
    text = manifest(
        ingress("auth", "/denied-auth", "auth", {A + "auth-url": "https://invalid..auth.url"})
    )
    for emitter in ("standard", EG):
        assert unexplained(text, emitter) == []
        assert status(reach(text, get("auth", "/denied-auth"), emitter)) == 503


# === test/e2e/annotations/authtls.go ============================================================

AUTHTLS = "authtls.foo.com"


def _authtls(**annotations: str) -> str:
    return manifest(
        ingress(
            AUTHTLS,
            "/",
            AUTHTLS,
            {
                A + "auth-tls-secret": f"{NS}/{AUTHTLS}",
                **{A + k: v for k, v in annotations.items()},
            },
            tls=[AUTHTLS],
        )
    )


@pytest.mark.parametrize(
    "it, annotations",
    [
        (
            "should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret",
            {},
        ),
        ("should 302 redirect to error page instead of 400 when auth-tls-error-page is set", {}),
        ("should pass URL-encoded certificate to upstream", {}),
        ("should validate auth-tls-verify-client", {"auth-tls-verify-client": "on"}),
    ],
)
def test_authtls_client_certificate_guards_the_host(it: str, annotations: dict[str, str]) -> None:
    """authtls.go: without a client certificate 400, with one 200: HTTPS requests reach echo
    only through client-certificate validation (Envoy Gateway's ClientTrafficPolicy). The
    error-page redirect and the certificate passed upstream are not expressible (see the
    coverage table)."""
    text = _authtls(**annotations)
    served = reach(text, get(AUTHTLS, https=True), EG)
    assert backend(served) == ECHO and guards(served) == ("client-certificate",)
    assert unexplained(text, EG) == []


@pytest.mark.parametrize(
    "it",
    [
        "should set valid auth-tls-secret, sslVerify to off, and sslVerifyDepth to 2",
        "should validate auth-tls-verify-client",
    ],
)
def test_authtls_verify_client_off_serves_without_a_certificate(it: str) -> None:
    """authtls.go: with ``auth-tls-verify-client: off`` a request without a client
    certificate gets 200 (the second It's updated Ingress)."""
    text = _authtls(**{"auth-tls-verify-client": "off", "auth-tls-verify-depth": "2"})
    served = reach(text, get(AUTHTLS, https=True), EG)
    assert backend(served) == ECHO and guards(served) == ()
    assert unexplained(text, EG) == []


# === test/e2e/annotations/canary.go =============================================================

HTTPBUN = f"{NS}/httpbun"
CANARY = f"{NS}/httpbun-canary"
CANARY_ON = {A + "canary": "true"}


def _mainline(annotations: Mapping[str, str] | None = None, host: str = "foo") -> dict[str, Any]:
    return ingress(host, "/info", host, annotations, service="httpbun")


def _canary(annotations: Mapping[str, str], host: str = "foo") -> dict[str, Any]:
    return ingress(
        f"{host}-canary", "/info", host, {**CANARY_ON, **annotations}, service="httpbun-canary"
    )


def _info(headers: Mapping[str, str] | None = None, cookie: str | None = None) -> Request:
    return get("foo", "/info", headers=headers, cookie=cookie)


def _shares(outcome: Outcome) -> dict[str, float]:
    assert isinstance(outcome, Forward), outcome
    return {f"{b.namespace}/{b.name}": float(w) for b, w in outcome.backends}


BY_HEADER = {A + "canary-by-header": "CanaryByHeader"}


def test_canary_should_response_with_200_from_the_mainline_upstream_when_requests_are_made_to_the_mainline_ingress() -> (
    None
):
    """canary.go: "should response with a 200 status from the mainline upstream when requests
    are made to the mainline ingress"."""
    text = manifest(_mainline(), _canary(BY_HEADER))
    assert backend(reach(text, _info())) == HTTPBUN
    assert unexplained(text) == []


def test_canary_should_return_404_for_requests_to_the_canary_if_no_matching_ingress_is_found() -> (
    None
):
    """canary.go: "should return 404 status for requests to the canary if no matching ingress is
    found" (nothing serves it: with no Ingress to route, the output has no Gateway at all, so
    the request finds no listener where the controller's default server answered 404; verify
    counts both as not served)."""
    text = manifest(_canary(BY_HEADER))
    assert isinstance(reach(text, _info({"canarybyheader": "always"})), NoRoute)
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, objects, header",
    [
        (
            "should route requests to the correct upstream if mainline ingress is created before"
            " the canary ingress",
            lambda: [_mainline(), _canary(BY_HEADER)],
            "canarybyheader",
        ),
        (
            "should route requests to the correct upstream if mainline ingress is created after"
            " the canary ingress",
            lambda: [_canary(BY_HEADER), _mainline()],
            "canarybyheader",
        ),
        (
            "should route requests to the correct upstream if the mainline ingress is modified",
            lambda: [_mainline({"foo": "bar"}), _canary(BY_HEADER)],
            "canarybyheader",
        ),
        (
            "should route requests to the correct upstream if the canary ingress is modified",
            lambda: [_mainline(), _canary({A + "canary-by-header": "CanaryByHeader2"})],
            "canarybyheader2",
        ),
    ],
)
def test_canary_when_canary_is_created_routes_always_and_never(
    it: str, objects: Any, header: str
) -> None:
    """canary.go, context "when canary is created": ``never`` → mainline, ``always`` → canary
    (the Ingresses as last updated)."""
    text = manifest(*objects())
    assert backend(reach(text, _info({header: "never"}))) == HTTPBUN
    assert backend(reach(text, _info({header: "always"}))) == CANARY
    assert unexplained(text) == []


def test_canary_when_canaried_by_header_with_no_value() -> None:
    """canary.go, context "when canaried by header with no value": "should route requests to the
    correct upstream"."""
    text = manifest(_mainline(), _canary(BY_HEADER))
    assert backend(reach(text, _info({"canarybyheader": "always"}))) == CANARY
    assert backend(reach(text, _info({"canarybyheader": "never"}))) == HTTPBUN
    assert backend(reach(text, _info({"canarybyheader": "badheadervalue"}))) == HTTPBUN
    assert unexplained(text) == []


def test_canary_when_canaried_by_header_with_value() -> None:
    """canary.go, context "when canaried by header with value": "should route requests to the
    correct upstream" (``always`` and ``never`` mean nothing when a value is set)."""
    text = manifest(_mainline(), _canary({**BY_HEADER, A + "canary-by-header-value": "DoCanary"}))
    assert backend(reach(text, _info({"canarybyheader": "DoCanary"}))) == CANARY
    for value in ("always", "never", "otherheadervalue"):
        assert backend(reach(text, _info({"canarybyheader": value}))) == HTTPBUN, value
    assert unexplained(text) == []


def test_canary_when_canaried_by_header_with_value_and_pattern_routes_by_pattern() -> None:
    """canary.go, context "when canaried by header with value and pattern": the first "should
    route requests to the correct upstream" (pattern ``^Do[A-Z][a-z]+y$`` only)."""
    text = manifest(
        _mainline(), _canary({**BY_HEADER, A + "canary-by-header-pattern": "^Do[A-Z][a-z]+y$"})
    )
    assert backend(reach(text, _info({"canarybyheader": "DoCanary"}))) == CANARY
    assert backend(reach(text, _info({"canarybyheader": "Docanary"}))) == HTTPBUN
    assert unexplained(text) == []


def test_canary_when_canaried_by_header_with_value_and_pattern_the_value_wins() -> None:
    """canary.go, context "when canaried by header with value and pattern": the second "should
    route requests to the correct upstream" (value and pattern: the value decides)."""
    text = manifest(
        _mainline(),
        _canary(
            {
                **BY_HEADER,
                A + "canary-by-header-value": "DoCanary",
                A + "canary-by-header-pattern": "^Do[A-Z][a-z]+y$",
            }
        ),
    )
    assert backend(reach(text, _info({"canarybyheader": "DoCananry"}))) == HTTPBUN
    assert unexplained(text) == []


@pytest.mark.xfail(
    strict=True,
    reason="balancer.lua route_to_alternative_balancer: a pattern ngx.re.match cannot compile "
    "returns false (mainline) before the cookie is looked at; the output lets the cookie "
    "'always' reach the canary, and verify's model agrees with the output (both fall through)",
)
def test_canary_should_route_to_mainline_upstream_when_the_given_regex_causes_error() -> None:
    """canary.go, context "when canaried by header with value and pattern": "should routes to
    mainline upstream when the given Regex causes error"."""
    text = manifest(
        _mainline(),
        _canary(
            {
                **BY_HEADER,
                A + "canary-by-header-pattern": "[][**da?$&*",
                A + "canary-by-cookie": "CanaryByCookie",
            }
        ),
    )
    request = _info({"canarybyheader": "DoCanary"}, cookie="CanaryByCookie=always")
    assert backend(reach(text, request)) == HTTPBUN
    assert unexplained(text) == []


def test_canary_when_canaried_by_header_with_value_and_cookie() -> None:
    """canary.go, context "when canaried by header with value and cookie": "should route
    requests to the correct upstream" (another header value falls through to the cookie)."""
    text = manifest(
        _mainline(),
        _canary(
            {
                **BY_HEADER,
                A + "canary-by-header-value": "DoCanary",
                A + "canary-by-cookie": "CanaryByCookie",
            }
        ),
    )
    request = _info({"canarybyheader": "otherheadervalue"}, cookie="CanaryByCookie=always")
    assert backend(reach(text, request)) == CANARY
    assert unexplained(text) == []


def test_canary_when_canaried_by_cookie_respects_always_and_never_values() -> None:
    """canary.go, context "when canaried by cookie": "respects always and never values"."""
    text = manifest(_mainline(), _canary({A + "canary-by-cookie": "Canary-By-Cookie"}))
    assert backend(reach(text, _info(cookie="Canary-By-Cookie=always"))) == CANARY
    assert backend(reach(text, _info(cookie="Canary-By-Cookie=never"))) == HTTPBUN
    assert backend(reach(text, _info(cookie="Canary-By-Cookie=badcookievalue"))) == HTTPBUN
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, weights, expected",
    [
        (
            "should route requests only to mainline if canary weight is 0",
            ("0", None),
            {HTTPBUN: 1.0},
        ),
        (
            "should route requests only to canary if canary weight is 100",
            ("100", None),
            {CANARY: 1.0},
        ),
        (
            "should route requests only to canary if canary weight is equal to canary weight total",
            ("1000", "1000"),
            {CANARY: 1.0},
        ),
        (
            "should route requests split between mainline and canary if canary weight is 50",
            ("50", None),
            {HTTPBUN: 0.5, CANARY: 0.5},
        ),
        (
            "should route requests split between mainline and canary if canary weight is 100 and"
            " weight total is 200",
            ("100", "200"),
            {HTTPBUN: 0.5, CANARY: 0.5},
        ),
    ],
)
def test_canary_when_canaried_by_weight(
    it: str, weights: tuple[str, str | None], expected: dict[str, float]
) -> None:
    """canary.go, context "when canaried by weight" (the split Its check that both upstreams
    get requests: TestMainlineCanaryDistribution; the shares are canary-weight out of
    canary-weight-total)."""
    weight, total = weights
    annotations = {A + "canary-weight": weight}
    if total is not None:
        annotations[A + "canary-weight-total"] = total
    text = manifest(_mainline(), _canary(annotations))
    assert _shares(reach(text, _info())) == expected
    assert unexplained(text) == []


@pytest.mark.xfail(
    strict=True,
    reason="a canary Ingress with only a defaultBackend joins every location of the catch-all "
    "server (controller.go mergeAlternativeBackends, 'merge catch-all alternative backends'): "
    "its canary-by-header rule is missing from the output, so 'CanaryByHeader: always' reaches "
    "the mainline (verify finds the difference)",
)
def test_canary_single_canary_ingress_should_not_use_canary_as_a_catch_all_server() -> None:
    """canary.go, context "Single canary Ingress": "should not use canary as a catch-all
    server" (the catch-all serves the mainline's backend)."""
    text = manifest(
        ingress(
            "foo-canary",
            None,
            annotations={**CANARY_ON, **BY_HEADER},
            default_backend="httpbun-canary",
        ),
        ingress("foo", None, default_backend="httpbun"),
    )
    assert backend(reach(text, get("192.0.2.10", "/info"))) == HTTPBUN
    assert unexplained(text) == []


def test_canary_single_canary_ingress_should_not_use_canary_with_domain_as_a_server() -> None:
    """canary.go, context "Single canary Ingress": "should not use canary with domain as a
    server" (no server for the canary's host: the default backend's 404)."""
    text = manifest(_canary(BY_HEADER), _mainline(host="bar"))
    assert status(reach(text, get("foo", "/info"))) == 404
    assert backend(reach(text, get("bar", "/info"))) == HTTPBUN
    assert unexplained(text) == []


def test_canary_does_not_crash_when_canary_ingress_has_multiple_paths_to_the_same_non_matching_backend() -> (
    None
):
    """canary.go: "does not crash when canary ingress has multiple paths to the same non-matching
    backend" (the mainline's server is served)."""
    text = manifest(
        ingress(
            "foo-canary",
            host="foo",
            annotations={**CANARY_ON, **BY_HEADER},
            service="httpy-svc-canary",
            paths=["/foo", "/bar"],
        ),
        _mainline(),
    )
    assert backend(reach(text, _info())) == HTTPBUN
    assert unexplained(text) == []


CANARY_AFFINITY = {A + "affinity": "cookie", A + "session-cookie-name": "aff"}
FORCE = {A + "canary-by-header": "ForceCanary", A + "canary-by-header-value": "yes"}


@pytest.mark.parametrize(
    "it, extra",
    [
        (
            "always routes traffic to canary if first request was affinitized to canary (default"
            " behavior)",
            {A + "canary-weight": "1"},
        ),
        (
            "always routes traffic to canary if first request was affinitized to canary (explicit"
            " sticky behavior)",
            {A + "canary-weight": "1", A + "affinity-canary-behavior": "sticky"},
        ),
        (
            "routes traffic to either mainline or canary backend (legacy behavior)",
            {A + "canary-weight": "50", A + "affinity-canary-behavior": "legacy"},
        ),
    ],
)
@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 9: with canary-by-header-value set, 'never' means nothing (the "
    "weight decides); the output sends 'ForceCanary: never' to the mainline",
)
def test_canary_affinity_behavior_forced_request_reaches_the_canary(
    it: str, extra: dict[str, str]
) -> None:
    """canary.go, context "canary affinity behavior": the forced request (``ForceCanary: yes``)
    reaches the canary; without it the weight splits. Which backend the affinity cookie then
    pins is not in verify's model (a consistent hash)."""
    text = manifest(_mainline(CANARY_AFFINITY), _canary({**FORCE, **extra}))
    assert backend(reach(text, _info({"forcecanary": "yes"}), EG)) == CANARY
    weight = int(extra[A + "canary-weight"]) / 100
    assert _shares(reach(text, _info(), EG)) == {HTTPBUN: 1 - weight, CANARY: weight}
    assert unexplained(text, EG) == []


# === test/e2e/annotations/cors.go ===============================================================

CORS_HOST = "cors.foo.com"


def cors_filter(text: str, request: Request, emitter: str = "standard") -> dict[str, Any] | None:
    """The CORS filter of the rule answering ``request``, or None."""
    for item in rule_reached(text, request, emitter).get("filters", []):
        if item.get("type") == "CORS":
            found: dict[str, Any] = item["cors"]
            return found
    return None


def _origin_parts(origin: str) -> tuple[str, str, str] | None:
    found = re.fullmatch(r"([a-z][a-z0-9+.-]*)://([^:/]+)(?::(\d+))?", origin.lower())
    if found is None:
        return None
    scheme, host, port = found.groups()
    return scheme, host, port or {"http": "80", "https": "443"}.get(scheme, "")


def _origin_allowed(allowed: str, origin: str) -> bool:
    """HTTPCORSFilter.allowOrigins: scheme and port equal (a missing port is the scheme's
    default), the host equal or, for ``*.suffix``, ending with ``.suffix`` (any number of
    labels: the wildcard is greedy to the left)."""
    want, got = _origin_parts(allowed), _origin_parts(origin)
    if want is None or got is None or want[0] != got[0] or want[2] != got[2]:
        return False
    if want[1].startswith("*."):
        return got[1].endswith(want[1][1:])
    return want[1] == got[1]


def allow_origin(text: str, request: Request, emitter: str = "standard") -> str | None:
    """The ``Access-Control-Allow-Origin`` Gateway API's CORS filter answers ``request`` with
    (None: not allowed, or no CORS). With ``*`` and no credentials the gateway may answer ``*``
    (the spec lets it echo the origin instead); with credentials it must echo the origin."""
    cors = cors_filter(text, request, emitter)
    origin = request.header("origin")
    if cors is None or origin is None:
        return None
    origins = cors.get("allowOrigins", [])
    if "*" in origins:
        return origin if cors.get("allowCredentials") else "*"
    return origin if any(_origin_allowed(o, origin) for o in origins) else None


def _cors(origins: str | None = None, **extra: str) -> str:
    annotations = {A + "enable-cors": "true", **{A + k: v for k, v in extra.items()}}
    if origins is not None:
        annotations[A + "cors-allow-origin"] = origins
    return manifest(ingress(CORS_HOST, "/", CORS_HOST, annotations))


def test_cors_should_enable_cors() -> None:
    """cors.go: "should enable cors" (200; the controller's defaults: methods, headers,
    max-age 1728000, credentials)."""
    text = _cors()
    request = get(CORS_HOST)
    assert backend(reach(text, request)) == ECHO
    cors = cors_filter(text, request) or {}
    assert cors.get("allowMethods") == ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
    assert cors.get("allowHeaders") == [
        "DNT",
        "Keep-Alive",
        "User-Agent",
        "X-Requested-With",
        "If-Modified-Since",
        "Cache-Control",
        "Content-Type",
        "Range",
        "Authorization",
    ]
    assert cors.get("maxAge") == 1728000
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, annotation, field, expected",
    [
        (
            "should set cors methods to only allow POST, GET",
            ("cors-allow-methods", "POST, GET"),
            "allowMethods",
            ["POST", "GET"],
        ),
        ("should set cors max-age", ("cors-max-age", "200"), "maxAge", 200),
        (
            "should disable cors allow credentials",
            ("cors-allow-credentials", "false"),
            "allowCredentials",
            False,
        ),
        (
            "should allow headers for cors",
            ("cors-allow-headers", "DNT, User-Agent"),
            "allowHeaders",
            ["DNT", "User-Agent"],
        ),
        (
            "should expose headers for cors",
            ("cors-expose-headers", "X-CustomResponseHeader, X-CustomSecondHeader"),
            "exposeHeaders",
            ["X-CustomResponseHeader", "X-CustomSecondHeader"],
        ),
    ],
)
def test_cors_settings(it: str, annotation: tuple[str, str], field: str, expected: Any) -> None:
    """cors.go: the Its that check one ``Access-Control-*`` header's value (in nginx.conf): the
    CORS filter of the rule the request reaches says the same."""
    text = _cors(**{annotation[0]: annotation[1]})
    cors = cors_filter(text, get(CORS_HOST)) or {}
    assert cors.get(field, False if field == "allowCredentials" else None) == expected
    assert unexplained(text) == []


CORS_CASES = [
    (
        "should allow origin for cors",
        "https://origin.cors.com:8080",
        {"https://origin.cors.com:8080": "same"},
    ),
    (
        "should allow - single origin for multiple cors values",
        "https://origin.cors.com:8080, https://origin2.cors.com",
        {"https://origin.cors.com:8080": "same"},
    ),
    (
        "should not allow - single origin for multiple cors values",
        "http://origin2.cors.com, https://origin.com",
        {"http://no.origin.com": None},
    ),
    (
        "should allow correct origins - single origin for multiple cors values",
        "origin.cors.com:8080, https://origin2.cors.com, https://origin.com",
        {
            "origin.cors.com:8080": None,
            "https://origin2.cors.com": "same",
            "https://origin.com": "same",
        },
    ),
    ("should not match", "https://foo.bar.com", {"https://fooxbar.com": None}),
    (
        "should allow - single origin with required port",
        "http://origin.cors.com:8080, http://origin.com:8080",
        {"http://origin.com:8080": "same"},
    ),
    (
        "should not allow - single origin with port and origin without port",
        "https://origin2.cors.com, http://origin.com",
        {"http://origin.com:8080": None},
    ),
    (
        "should not allow - single origin without port and origin with required port",
        "http://origin.cors.com:8080, http://origin.com:8080",
        {"http://origin.com": None},
    ),
    (
        "should allow - matching origin with wildcard origin (2 subdomains)",
        "http://*.origin.cors.com, http://*.origin.com:8080",
        {"http://foo.origin.cors.com": "same", "http://bar-foo.origin.cors.com": "same"},
    ),
    (
        "should allow - matching origin+port with wildcard origin",
        "http://origin.cors.com:8080, http://*.origin.com:8080",
        {"http://abc.origin.com:8080": "same"},
    ),
    (
        "should not allow - portless origin with wildcard origin",
        "http://origin.cors.com:8080, http://*.origin.com:8080",
        {"http://abc.origin.com": None},
    ),
    (
        "should allow correct origins - missing subdomain + origin with wildcard origin and"
        " correct origin",
        "http://origin.cors.com:8080, http://*.origin.com:8080",
        {"http://origin.com:8080": None, "http://bar.origin.com:8080": "same"},
    ),
    (
        "should allow - missing origins (should allow all origins)",
        "      ",
        {"http://origin.com": "*", "http://book.origin.com": "*", "test.origin.com": "*"},
    ),
    (
        "should allow correct origin but not others - cors allow origin annotations contain"
        " trailing comma",
        "https://origin-123.cors.com:8080,   ,https://origin-321.cors.com:8080,",
        {
            "https://origin-123.cors.com:8080": "same",
            "https://origin-321.cors.com:8080": "same",
            "https://unknown.cors.com:8080": None,
        },
    ),
]


@pytest.mark.parametrize("it, origins, answers", CORS_CASES)
def test_cors_allow_origin(it: str, origins: str, answers: dict[str, str | None]) -> None:
    """cors.go: each request's ``Origin`` and the ``Access-Control-Allow-Origin`` it gets
    (``same``: the request's origin; None: no header, the browser blocks the response)."""
    text = _cors(origins)
    for origin, expected in answers.items():
        request = get(CORS_HOST, headers={"origin": origin})
        assert backend(reach(text, request)) == ECHO
        want = origin if expected == "same" else expected
        assert allow_origin(text, request) == want, origin
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, origins",
    [
        ("should not break functionality", "*"),
        ("should not break functionality - without `*`", None),
        ("should not break functionality with extra domain", "*, foo.bar.com"),
    ],
)
def test_cors_should_not_break_functionality(it: str, origins: str | None) -> None:
    """cors.go: the "should not break functionality" Its (200; their ``Access-Control-Allow-
    Origin: *`` on a request without ``Origin`` is not expressible: Gateway API's CORS filter
    answers requests that carry one). Every origin is allowed, without credentials (see
    :func:`test_cors_a_wildcard_origin_never_allows_credentials`)."""
    text = _cors(origins)
    assert backend(reach(text, get(CORS_HOST))) == ECHO
    assert allow_origin(text, get(CORS_HOST, headers={"origin": "https://any.example"})) == "*"
    assert unexplained(text) == []


def test_cors_a_wildcard_origin_never_allows_credentials() -> None:
    """With ``*`` ingress-nginx answers ``Access-Control-Allow-Origin: *`` (nginx.tmpl, CORS:
    ``set $http_origin *``) even with ``Access-Control-Allow-Credentials: true``, and browsers
    refuse credentials with ``*`` (Fetch standard, CORS check). Gateway API's filter with
    ``*`` and credentials must echo the origin instead, which would let every site read
    credentialed responses: the migration keeps ``*`` without credentials."""
    for text in (_cors(), _cors("*"), _cors("https://a.example, *")):
        cors = cors_filter(text, get(CORS_HOST)) or {}
        assert cors.get("allowOrigins") == ["*"] and not cors.get("allowCredentials")
        assert unexplained(text) == []


def test_cors_origins_with_other_schemes_lose_cors_access_never_gain_it() -> None:
    """cors.go: "should allow - origins with non-http[s] protocols" is not expressible with
    Gateway API's CORS filter (``http``/``https`` origins only); those origins lose CORS
    access, with a warning, and no other origin gains it."""
    text = _cors("test://localhost, tauri://localhost:3000")
    for origin in ("test://localhost", "https://evil.example"):
        assert allow_origin(text, get(CORS_HOST, headers={"origin": origin})) is None
    assert "annotation-unsupported" in codes(text)
    mixed = _cors("tauri://localhost:3000, https://app.example")
    assert (cors_filter(mixed, get(CORS_HOST)) or {}).get("allowOrigins") == ["https://app.example"]


def test_cors_when_the_controller_refuses_every_origin_no_origin_is_allowed() -> None:
    """cors/main.go skips an origin without a scheme; when none is left the CORS block never
    sets ``$cors`` (nginx.tmpl), so no CORS header is sent: not ``*``."""
    text = _cors("origin.cors.com:8080")
    request = get(CORS_HOST, headers={"origin": "https://evil.example"})
    assert backend(reach(text, request)) == ECHO
    assert allow_origin(text, request) is None
    assert "nginx-annotation-invalid" in codes(text)
    assert unexplained(text) == []


def test_cors_a_wildcard_subdomain_origin_warns_that_deeper_origins_gain_access() -> None:
    """cors.go: "should not allow - unmatching origin with wildcard origin (2 subdomains)" is
    not expressible: ingress-nginx's ``*.`` is one label (template.go buildOriginRegex:
    ``[A-Za-z0-9\\-]+``), Gateway API's any number; the report says so (security)."""
    text = _cors("http://*.origin.cors.com, http://*.origin.com:8080")
    found = [
        n for n in converted(text).report.notifications if n.code == "nginx-cors-wildcard-origin"
    ]
    assert len(found) == 1 and found[0].security
    assert "http://a.b.origin.cors.com" in found[0].message


# === test/e2e/annotations/customheaders.go ======================================================


def response_headers(text: str, request: Request, emitter: str = "standard") -> dict[str, str]:
    """The response headers the rule answering ``request`` sets (ResponseHeaderModifier)."""
    found: dict[str, str] = {}
    for item in rule_reached(text, request, emitter).get("filters", []):
        if item.get("type") == "ResponseHeaderModifier":
            modifier = item["responseHeaderModifier"]
            for header in [*modifier.get("set", []), *modifier.get("add", [])]:
                found[header["name"]] = header["value"]
    return found


def request_headers(text: str, request: Request, emitter: str = "standard") -> dict[str, str]:
    """The request headers the rule answering ``request`` sets (RequestHeaderModifier)."""
    found: dict[str, str] = {}
    for item in rule_reached(text, request, emitter).get("filters", []):
        if item.get("type") == "RequestHeaderModifier":
            modifier = item["requestHeaderModifier"]
            for header in [*modifier.get("set", []), *modifier.get("add", [])]:
                found[header["name"]] = header["value"]
    return found


CUSTOM_HEADERS_HOST = "custom-headers"


def test_customheaders_should_return_200_when_no_custom_headers_is_configured() -> None:
    """customheaders.go: "should return status code 200 when no custom-headers is
    configured"."""
    text = manifest(ingress(CUSTOM_HEADERS_HOST, "/", CUSTOM_HEADERS_HOST))
    served = reach(text, get(CUSTOM_HEADERS_HOST))
    assert backend(served) == ECHO and served_host(served) == CUSTOM_HEADERS_HOST
    assert unexplained(text) == []


def _custom_headers_configmap(data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "custom-headers", "namespace": NS},
        "data": dict(data),
    }


def test_customheaders_should_set_more_set_headers_when_custom_headers_are_set() -> None:
    """customheaders.go: ``should set "more_set_headers 'My-Custom-Header' '42';" when
    custom-headers are set`` (both headers allowed by ``global-allowed-response-headers``;
    ``$remote_addr`` is sent as it is: template.go escapeLiteralDollar)."""
    text = manifest(
        controller_configmap(
            {"global-allowed-response-headers": "My-Custom-Header,My-Custom-Header-Dollar"}
        ),
        _custom_headers_configmap(
            {"My-Custom-Header": "42", "My-Custom-Header-Dollar": "$remote_addr"}
        ),
        ingress(
            CUSTOM_HEADERS_HOST,
            "/",
            CUSTOM_HEADERS_HOST,
            {A + "custom-headers": f"{NS}/custom-headers"},
        ),
    )
    request = get(CUSTOM_HEADERS_HOST)
    assert backend(reach(text, request)) == ECHO
    headers = response_headers(text, request)
    assert headers.get("My-Custom-Header") == "42"
    assert headers.get("My-Custom-Header-Dollar") == "$remote_addr"
    assert unexplained(text) == []


CUSTOM_HEADERS_REFUSED = manifest(
    controller_configmap({"global-allowed-response-headers": "Other"}),
    _custom_headers_configmap({"My-Custom-Header": "42"}),
    ingress(
        CUSTOM_HEADERS_HOST,
        "/",
        CUSTOM_HEADERS_HOST,
        {A + "custom-headers": f"{NS}/custom-headers"},
    ),
)


def test_customheaders_a_header_the_controller_does_not_allow_denies_the_location() -> None:
    """customheaders/main.go: a header missing from ``global-allowed-response-headers`` denies
    the location (503): the route is kept closed, never served without its headers."""
    assert backend(reach(CUSTOM_HEADERS_REFUSED, get(CUSTOM_HEADERS_HOST))) is None
    assert "nginx-annotation-invalid" in codes(CUSTOM_HEADERS_REFUSED)


@pytest.mark.xfail(
    strict=True,
    reason="verify's model (model/ingress_nginx.py) does not read custom-headers: it serves "
    "the location the controller denies (customheaders/main.go LocationDenied → 503), so the "
    "closed route is a difference no consulted field explains",
)
def test_customheaders_a_refused_header_verifies() -> None:
    assert unexplained(CUSTOM_HEADERS_REFUSED) == []


# === test/e2e/annotations/default_backend.go, disableproxyintercepterrors.go ===================


def test_disableproxyintercepterrors_a_404_of_the_backend_reaches_the_client() -> None:
    """disableproxyintercepterrors.go: "configures Nginx correctly", its first request (with
    ``disable-proxy-intercept-errors`` the backend's own 404 reaches the client: the request
    reaches httpbun). Its second half, the 404 intercepted and served by the custom default
    backend, is not expressible (see the coverage table)."""
    host = "pie.foo.com"
    text = manifest(
        ingress(
            host,
            "/",
            host,
            {
                A + "custom-http-errors": "404",
                A + "disable-proxy-intercept-errors": "true",
                A + "default-backend": "echo",
            },
            service="httpbun",
        )
    )
    assert backend(reach(text, get(host, "/status/404"))) == HTTPBUN
    assert unexplained(text) == []


# === test/e2e/annotations/forcesslredirect.go ===================================================


def test_forcesslredirect_should_redirect_to_https() -> None:
    """forcesslredirect.go: "should redirect to https" (no TLS section; 308, Location
    ``https://forcesslredirect.bar.com``)."""
    host = "forcesslredirect.bar.com"
    text = manifest(ingress(host, "/", host, {A + "force-ssl-redirect": "true"}))
    assert redirect(reach(text, get(host))) == (308, location("https://forcesslredirect.bar.com"))
    assert unexplained(text) == []


# === test/e2e/annotations/fromtowwwredirect.go ==================================================


WWW_HTTP = manifest(
    ingress(
        "fromtowwwredirect.bar.com",
        "/",
        "fromtowwwredirect.bar.com",
        {A + "from-to-www-redirect": "true"},
    )
)


def test_fromtowwwredirect_should_redirect_from_www_http_to_http() -> None:
    """fromtowwwredirect.go: "should redirect from www HTTP to HTTP" (308, Location
    ``http://fromtowwwredirect.bar.com:80/foo``)."""
    assert redirect(reach(WWW_HTTP, get("www.fromtowwwredirect.bar.com", "/foo"))) == (
        308,
        location("http://fromtowwwredirect.bar.com:80/foo"),
    )


@pytest.mark.xfail(
    strict=True,
    reason="the www redirect drops a trailing slash (ngx_srv_redirect.lua), an intended "
    "difference (nginx-redirect-trailing-slash) that the report announces only for hosts with "
    "TLS: without TLS nothing explains it",
)
def test_fromtowwwredirect_www_http_verifies() -> None:
    assert unexplained(WWW_HTTP) == []


WWW_FROM = "192.0.2.10.nip.io"
WWW_TO = "www." + WWW_FROM


def _www_https() -> str:
    return manifest(
        ingress(
            WWW_FROM,
            "/",
            WWW_FROM,
            {
                A + "from-to-www-redirect": "true",
                A + "configuration-snippet": 'more_set_headers "ExpectedHost: $http_host";',
            },
            tls=[WWW_FROM, WWW_TO],
        )
    )


@pytest.mark.xfail(
    strict=True,
    reason="issue 21 item 6: the www twin covered by spec.tls has no HTTPS listener, so the "
    "redirect does not answer on HTTPS",
)
def test_fromtowwwredirect_should_redirect_from_www_https_to_https() -> None:
    """fromtowwwredirect.go: "should redirect from www HTTPS to HTTPS" (the twin's 308 to
    ``https://<host>:443``; the host itself answers 200: its ``ExpectedHost`` header comes
    from a configuration snippet, which is not translated)."""
    text = _www_https()
    assert backend(reach(text, get(WWW_FROM, https=True))) == ECHO
    assert redirect(reach(text, get(WWW_TO, https=True))) == (
        308,
        location(f"https://{WWW_FROM}:443"),
    )
    assert unexplained(text) == []


# === test/e2e/annotations/grpc.go ===============================================================


def grpc_call(host: str, method: str, *, https: bool) -> Request:
    """A gRPC unary call (``POST /<package.Service>/<Method>``, ``:authority`` the host)."""
    return Request(host, method, "https" if https else "http", "POST", grpc=True)


GRPC_HOST = "echo"


def service_of(text: str, outcome: Outcome, emitter: str = EG) -> tuple[str, object] | None:
    """The Service (``namespace/name``) and port a forwarded request reaches; an Envoy Gateway
    ``Backend`` (TLS to the backend) is read through its ``<svc>.<ns>.svc.cluster.local``
    endpoint."""
    if not isinstance(outcome, Forward) or len(outcome.backends) != 1:
        return None
    found = outcome.backends[0][0]
    if found.kind == "Service":
        return f"{found.namespace}/{found.name}", found.port
    for obj in converted(text, emitter).resources:
        meta = obj["metadata"]
        if (obj["kind"], meta["namespace"], meta["name"]) == (
            found.kind,
            found.namespace,
            found.name,
        ):
            for endpoint in obj["spec"].get("endpoints", []):
                fqdn = endpoint.get("fqdn", {})
                parts = str(fqdn.get("hostname", "")).split(".")
                if parts[2:] == ["svc", "cluster", "local"]:
                    return f"{parts[1]}/{parts[0]}", fqdn.get("port")
    return None


def _grpc_ingress(annotations: Mapping[str, str], *, tls: bool, service: str, port: int) -> str:
    return manifest(
        ingress(
            GRPC_HOST,
            "/",
            GRPC_HOST,
            {A + "backend-protocol": "GRPC", **annotations},
            service=service,
            port=port,
            tls=[GRPC_HOST] if tls else (),
        )
    )


@pytest.mark.parametrize(
    "it, annotations, port",
    [
        ("should return OK for service with backend protocol GRPC", {}, 9000),
        (
            "authorization metadata should be overwritten by external auth response headers",
            {
                A + "auth-url": "http://10.0.0.8/response-headers?authorization=foo",
                A + "auth-response-headers": "Authorization",
            },
            9000,
        ),
        (
            "should return OK for service with backend protocol GRPCS",
            {A + "backend-protocol": "GRPCS"},
            9001,
        ),
    ],
)
def test_grpc_call_over_tls_reaches_the_grpc_backend(
    it: str, annotations: dict[str, str], port: int
) -> None:
    """grpc.go: the call ``HeadersUnary`` over TLS reaches grpcbin with ``:authority`` the host
    (the auth response's ``authorization`` metadata is not in verify's model; GRPCS's TLS to
    the backend is reported: without proxy-ssl-* there is nothing to verify it with)."""
    text = _grpc_ingress(annotations, tls=True, service="grpcbin-test", port=port)
    served = reach(text, grpc_call(GRPC_HOST, "/grpcbin.GRPCBin/HeadersUnary", https=True), EG)
    assert service_of(text, served) == (f"{NS}/grpcbin-test", port)
    assert served_host(served) == GRPC_HOST
    if A + "auth-url" in annotations:
        assert guards(served) == ("external-auth",)


@pytest.mark.xfail(
    strict=True,
    reason="a TLS host whose Ingress has backend-protocol GRPC gets no HTTP-to-HTTPS redirect: "
    "plain HTTP requests find no rule (404) where the controller redirects them (308), as "
    "verify finds",
)
def test_grpc_tls_host_verifies() -> None:
    text = _grpc_ingress({}, tls=True, service="grpcbin-test", port=9000)
    assert unexplained(text) == []


def test_grpc_should_return_ok_when_request_not_exceed_timeout() -> None:
    """grpc.go: "should return OK when request not exceed timeout" (plain-text gRPC on port 80,
    ``:authority`` the host)."""
    text = _grpc_ingress(
        {A + f"proxy-{phase}-timeout": "10" for phase in ("connect", "send", "read")},
        tls=False,
        service="grpcbin-delay",
        port=50051,
    )
    served = reach(text, grpc_call(GRPC_HOST, "/grpcbin.GrpcbinService/Unary", https=False))
    assert backend(served) == f"{NS}/grpcbin-delay" and served_host(served) == GRPC_HOST
    assert unexplained(text) == []


def test_grpc_timeouts_a_grpcroute_cannot_carry_are_reported() -> None:
    """grpc.go: "should return Error when request exceed timeout" (the 15 s call cut by the
    10 s timeouts) is not expressible with a GRPCRoute, which has no ``timeouts``: the
    annotations say so instead of claiming a ``timeouts.request`` that is not in the output."""
    text = _grpc_ingress(
        {A + f"proxy-{phase}-timeout": "10" for phase in ("connect", "send", "read")},
        tls=False,
        service="grpcbin-delay",
        port=50051,
    )
    result = converted(text)
    route = next(o for o in result.resources if o["kind"] == "GRPCRoute")
    assert all("timeouts" not in rule for rule in route["spec"]["rules"])
    found = [n for n in result.report.notifications if n.code == "annotation-unsupported"]
    assert found and all("GRPCRoute" in n.message for n in found)
    entry = next(e for (_, f), e in result.report.ledger.items() if "proxy-read-timeout" in f)
    assert entry.status.value == "unsupported"
