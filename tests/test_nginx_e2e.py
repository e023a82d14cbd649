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
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Backend,
    Forward,
    NoRoute,
    Outcome,
    Request,
    normal_location,
)

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
                    for p in (paths or [path or "/"])
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


def _options(classes: tuple[str, ...]) -> dict[str, Any]:
    """The converter's options for the controller's class flags: the ``--ingress-class``
    names, and ``*<name>`` for ``--watch-ingress-without-class`` (the class assumed for
    Ingresses without one)."""
    if not classes:
        return {}
    default = next((c[1:] for c in classes if c.startswith("*")), None)
    names = tuple(c for c in classes if not c.startswith("*"))
    return {"options": ConvertOptions(ingress_classes=names, default_ingress_class=default)}


def _objects(text: str) -> list[Any]:
    return [o for o in yaml.load_all(text, Loader=yaml.CSafeLoader) if o]


@functools.cache
def converted(
    text: str, emitter: str = "standard", classes: tuple[str, ...] = ()
) -> ingress2gateway.Result:
    """``nginx_requests.convert``, once per input (with PyYAML's C loader: same objects)."""
    return ingress2gateway.convert(_objects(text), "nginx", emitter, **_options(classes))


@functools.cache
def _unexplained(text: str, emitter: str, classes: tuple[str, ...]) -> tuple[str, ...]:
    # nginx_requests.unexplained, over the conversion made once (verify would convert again).
    result = converted(text, emitter, classes)
    found = ingress2gateway.verify(
        _objects(text),
        result.resources,
        providers="nginx",
        emitter=emitter,
        report=result.report,
        **_options(classes),
    )
    return tuple(
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    )


def unexplained(text: str, emitter: str = "standard", classes: tuple[str, ...] = ()) -> list[str]:
    """verify's differences the report does not explain (none, for every input here)."""
    return list(_unexplained(text, emitter, classes))


def reach(
    text: str, request: Request, emitter: str = "standard", classes: tuple[str, ...] = ()
) -> Outcome:
    return answer(converted(text, emitter, classes), request)


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


def test_affinity_should_set_the_path_to_something_on_the_generated_cookie() -> None:
    """affinity.go: "should set the path to /something on the generated cookie"."""
    text = _sticky("path.foo.com", "/something")
    request = get("path.foo.com", "/something")
    assert backend(reach(text, request, EG)) == ECHO
    assert unexplained(text, EG) == []
    assert cookie_attribute(text, request, "Path") == "/something"


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


def test_auth_with_invalid_auth_url_should_return_503_location_was_denied() -> None:
    """auth.go, context "with invalid auth-url should deny whole location": "should return 503
    (location was denied)" (``https://invalid..auth.url``: parser.StringToURL refuses a host
    with ``..``)."""
    text = manifest(
        ingress("auth", "/denied-auth", "auth", {A + "auth-url": "https://invalid..auth.url"})
    )
    # Envoy Gateway answers the closed rule with the controller's status (an HTTPRouteFilter
    # direct response).
    assert status(reach(text, get("auth", "/denied-auth"), EG)) == 503
    assert unexplained(text, EG) == []
    # Standard Gateway API has no status of its choosing: a rule without backends answers
    # 500 (HTTPRouteNoBackendRefs); the security error says the route is closed and what it
    # answers, which explains the difference.
    assert status(reach(text, get("auth", "/denied-auth"))) == 500
    closed = [
        n.message
        for n in converted(text).report.notifications
        if n.code == "extension-unsupported" and n.security
    ]
    assert closed and "answer 500" in closed[0]
    assert unexplained(text) == []


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


@pytest.mark.parametrize(
    "it, match_cn",
    [
        (
            "should return 403 using auth-tls-match-cn with no matching CN from client",
            "CN=notgonnamatch",
        ),
        ("should return 200 using auth-tls-match-cn with matching CN from client", "CN=authtls"),
        ("should reload the nginx config when auth-tls-match-cn is updated", "CN=authtls"),
        (
            "should return 200 using auth-tls-match-cn where atleast one of the regex options "
            "matches CN from client",
            "CN=(itwillmatch|withthenextoption|authtls)",
        ),
    ],
)
def test_authtls_match_cn_closes_the_host_and_says_so(it: str, match_cn: str) -> None:
    """authtls.go (auth-tls-match-cn): nginx answers 403 unless the client certificate's
    subject matches (nginx.tmpl: ``if ($ssl_client_s_dn !~ ...) { return 403; }``). No emitter
    checks a certificate's subject (Envoy Gateway's client validation matches SANs): rather
    than let any certificate the CA signed in, the host's rules are closed on either emitter,
    with a security error naming the annotation (it was a warning, and the route open to every
    certificate)."""
    text = _authtls(**{"auth-tls-verify-client": "on", "auth-tls-match-cn": match_cn})
    for emitter in ("standard", EG):
        assert status(reach(text, get(AUTHTLS, https=True), emitter)) == 500
        errors = [
            n
            for n in converted(text, emitter).report.notifications
            if n.code == "extension-unsupported" and n.security
        ]
        assert any("auth-tls-match-cn" in n.message for n in errors), emitter
        assert unexplained(text, emitter) == []


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


# === test/e2e/annotations/clientbodybuffersize.go ===============================================


@pytest.mark.parametrize("size", ["1000", "1K", "1k", "1m", "1M", "1b"])
def test_clientbodybuffersize_the_request_is_served(size: str) -> None:
    """clientbodybuffersize.go: "should set client_body_buffer_size to <size>" and "should not
    set client_body_buffer_size to invalid 1b": their request gets 200 (the buffer size
    itself is an nginx memory setting, not expressible)."""
    host = "client-body-buffer-size.com"
    text = manifest(ingress(host, "/", host, {A + "client-body-buffer-size": size}))
    assert backend(reach(text, get(host))) == ECHO
    assert unexplained(text) == []


# === test/e2e/annotations/connection.go =========================================================


def test_connection_set_connection_header_to_keep_alive() -> None:
    """connection.go: "set connection header to keep-alive" (200; the backend sees
    ``connection=keep-alive``: the rule sets the request header)."""
    host = "connection.foo.com"
    text = manifest(ingress(host, "/", host, {A + "connection-proxy-header": "keep-alive"}))
    request = get(host)
    assert backend(reach(text, request)) == ECHO
    assert request_headers(text, request).get("Connection") == "keep-alive"
    assert unexplained(text) == []


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


def test_customheaders_a_refused_header_verifies() -> None:
    assert unexplained(CUSTOM_HEADERS_REFUSED) == []


# === test/e2e/annotations/disableproxyintercepterrors.go ========================================


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


# === test/e2e/annotations/ipallowlist.go, ipdenylist.go =========================================


def admitted(outcome: Outcome, client: str) -> bool:
    """Whether the IP guards of a forwarded request (``ip-allow`` / ``ip-deny`` CIDRs, as
    verify's model writes them) let ``client`` through: a denied range first, then the allowed
    ones when there are any."""
    import ipaddress

    assert isinstance(outcome, Forward), outcome
    address = ipaddress.ip_address(client)

    def inside(cidrs: str) -> bool:
        return any(address in ipaddress.ip_network(c) for c in cidrs.split(","))

    allows = [g.split(" ", 1)[1] for g in outcome.guards if g.startswith("ip-allow ")]
    for guard in outcome.guards:
        if guard.startswith("ip-deny ") and inside(guard.split(" ", 1)[1]):
            return False
    return all(inside(a) for a in allows)


def client_ip_from_forwarded_header(text: str) -> bool:
    """The Gateway takes the client address from ``X-Forwarded-For`` (Envoy Gateway's
    ClientTrafficPolicy ``clientIPDetection.xForwardedFor``)."""
    for obj in converted(text, EG).resources:
        if obj["kind"] == "ClientTrafficPolicy" and "xForwardedFor" in obj["spec"].get(
            "clientIPDetection", {}
        ):
            return True
    return False


ALLOWLIST = manifest(
    ingress(
        "ipallowlist.foo.com",
        "/",
        "ipallowlist.foo.com",
        {A + "allowlist-source-range": "18.0.0.0/8, 56.0.0.0/8"},
    )
)


def test_ipallowlist_should_set_valid_ip_allowlist_range() -> None:
    """ipallowlist.go: "should set valid ip allowlist range" (``allow 18.0.0.0/8; allow
    56.0.0.0/8; deny all;``)."""
    served = reach(ALLOWLIST, get("ipallowlist.foo.com"), EG)
    assert backend(served) == ECHO
    assert admitted(served, "18.1.2.3") and admitted(served, "56.0.0.1")
    assert not admitted(served, "10.0.0.1")


def test_ipallowlist_verifies() -> None:
    assert unexplained(ALLOWLIST, EG) == []


@pytest.mark.parametrize(
    "it, annotations, answers",
    [
        (
            "only deny explicitly denied IPs, allow all others",
            {A + "denylist-source-range": "18.0.0.0/8, 56.0.0.1"},
            {"18.0.0.1": 403, "56.0.0.1": 403, "56.0.0.2": 200},
        ),
        (
            "only allow explicitly allowed IPs, deny all others",
            {
                A + "denylist-source-range": "18.1.0.0/16, 56.0.0.0/8",
                A + "whitelist-source-range": "18.0.0.0/8, 55.0.0.0/8",
            },
            {"18.1.0.1": 403, "10.10.10.10": 403, "18.4.0.1": 200, "55.55.55.55": 200},
        ),
    ],
)
def test_ipdenylist(it: str, annotations: dict[str, str], answers: dict[str, int]) -> None:
    """ipdenylist.go (``use-forwarded-headers: "true"`` in the controller ConfigMap, the client
    address sent in ``X-Forwarded-For``): 403 or 200 by address."""
    host = "ipdenylist.foo.com"
    text = manifest(
        controller_configmap({"use-forwarded-headers": "true"}),
        ingress(host, "/", host, annotations),
    )
    assert client_ip_from_forwarded_header(text)
    for client, expected in answers.items():
        served = reach(text, get(host, headers={"x-forwarded-for": client}), EG)
        assert backend(served) == ECHO
        assert admitted(served, client) == (expected == 200), client
    assert unexplained(text, EG) == []


# === test/e2e/annotations/preservetrailingslash.go ==============================================


def test_preservetrailingslash_should_allow_preservation_of_trailing_slashes() -> None:
    """preservetrailingslash.go: "should allow preservation of trailing slashes" (308,
    Location ``https://forcesslredirect.bar.com/``)."""
    host = "forcesslredirect.bar.com"
    text = manifest(
        ingress(
            host,
            "/",
            host,
            {A + "ssl-redirect": "true", A + "preserve-trailing-slash": "true"},
            tls=[host],
        )
    )
    assert redirect(reach(text, get(host))) == (308, "https://forcesslredirect.bar.com/")
    assert unexplained(text) == []


# === test/e2e/annotations/proxyssl.go ===========================================================


@pytest.mark.parametrize(
    "it, annotations",
    [
        ("should set valid proxy-ssl-secret", {}),
        (
            "should set valid proxy-ssl-secret, proxy-ssl-verify to on, proxy-ssl-verify-depth to"
            " 2, and proxy-ssl-server-name to on",
            {
                "proxy-ssl-verify": "on",
                "proxy-ssl-verify-depth": "2",
                "proxy-ssl-server-name": "on",
            },
        ),
        (
            "should set valid proxy-ssl-secret, proxy-ssl-ciphers to HIGH:!AES",
            {"proxy-ssl-ciphers": "HIGH:!AES"},
        ),
        (
            "should set valid proxy-ssl-secret, proxy-ssl-protocols",
            {"proxy-ssl-protocols": "TLSv1.2 TLSv1.3"},
        ),
    ],
)
def test_proxyssl_the_tls_host_redirects_http_and_serves_https(
    it: str, annotations: dict[str, str]
) -> None:
    """proxyssl.go: plain HTTP gets 308, HTTPS 200 (without ``backend-protocol: HTTPS`` the
    proxy-ssl-* settings change nothing on the way to echo)."""
    host = "proxyssl.foo.com"
    text = manifest(
        ingress(
            host,
            "/",
            host,
            {A + "proxy-ssl-secret": f"{NS}/{host}", **{A + k: v for k, v in annotations.items()}},
            tls=[host],
        )
    )
    assert status(reach(text, get(host))) == 308
    assert backend(reach(text, get(host, https=True))) == ECHO
    assert unexplained(text) == []


# === test/e2e/annotations/redirect.go ===========================================================


@pytest.mark.parametrize(
    "it, code",
    [
        ("should respond with a standard redirect code", None),
        ("should respond with a custom redirect code", "302"),
    ],
)
def test_redirect_permanent_redirect(it: str, code: str | None) -> None:
    """redirect.go: GET /something → 301 (or ``permanent-redirect-code``), Location
    ``http://redirect.example.com``."""
    annotations = {A + "permanent-redirect": "http://redirect.example.com"}
    if code is not None:
        annotations[A + "permanent-redirect-code"] = code
    text = manifest(ingress("redirect", "/something", "redirect", annotations))
    assert redirect(reach(text, get("redirect", "/something"))) == (
        int(code or 301),
        location("http://redirect.example.com"),
    )
    assert unexplained(text) == []


# === test/e2e/annotations/relativeredirects.go ==================================================


def test_relativeredirects_should_respond_with_absolute_url_in_location() -> None:
    """relativeredirects.go: "should respond with absolute URL in Location" (permanent-redirect
    ``/new-location``: 301 to ``http://rr.foo.com/new-location``)."""
    host = "rr.foo.com"
    text = manifest(
        ingress(
            host,
            "/something",
            host,
            {A + "permanent-redirect": "/new-location", A + "relative-redirects": "false"},
        )
    )
    assert redirect(reach(text, get(host, "/something"))) == (
        301,
        "http://rr.foo.com/new-location",
    )
    assert unexplained(text) == []


def test_relativeredirects_should_respond_with_relative_url_in_location() -> None:
    """relativeredirects.go: "should respond with relative URL in Location" (with
    ``relative-redirects: "true"`` nginx sends ``Location: /new-location``). A Gateway API
    redirect's Location is absolute: the URL the client resolves the relative one to against
    the request (RFC 9110 §10.2.2), so the same request follows; the header's text differs."""
    host = "rr.foo.com"
    text = manifest(
        ingress(
            host,
            "/something",
            host,
            {A + "permanent-redirect": "/new-location", A + "relative-redirects": "true"},
        )
    )
    assert redirect(reach(text, get(host, "/something"))) == (
        301,
        "http://rr.foo.com/new-location",
    )
    assert unexplained(text) == []


# === test/e2e/annotations/rewrite.go ============================================================

REWRITE_HOST = "rewrite.bar.com"


def test_rewrite_should_write_rewrite_logs() -> None:
    """rewrite.go: "should write rewrite logs" (its request: 200, rewritten to ``/``; the log
    lines are not ours to assert)."""
    text = manifest(
        ingress(
            REWRITE_HOST,
            "/something",
            REWRITE_HOST,
            {A + "rewrite-target": "/", A + "enable-rewrite-log": "true"},
        )
    )
    served = reach(text, get(REWRITE_HOST, "/something"))
    assert backend(served) == ECHO and upstream_path(served) == "/"
    assert unexplained(text) == []


def test_rewrite_should_use_correct_longest_path_match() -> None:
    """rewrite.go: "should use correct longest path match" (a rewrite on ``/`` puts the host in
    regex mode; ``/.well-known/acme/challenge``, the longer location, still wins, not
    rewritten)."""
    text = manifest(
        ingress("kube-lego", "/.well-known/acme/challenge", REWRITE_HOST),
        ingress("rewrite-index", "/", REWRITE_HOST, {A + "rewrite-target": "/new/backend"}),
    )
    served = reach(text, get(REWRITE_HOST, "/.well-known/acme/challenge"))
    assert backend(served) == ECHO and upstream_path(served) == "/.well-known/acme/challenge"
    assert unexplained(text) == []


def test_rewrite_should_use_case_insensitive_location_modifier_if_regex_annotation_is_present() -> (
    None
):
    """rewrite.go: "should use ~* location modifier if regex annotation is present" (``/foo``
    reaches the plain Ingress unchanged; ``/foo/bar`` the regex ``/foo.+``, rewritten to
    ``/new/backend``)."""
    text = manifest(
        ingress("foo", "/foo", REWRITE_HOST),
        ingress(
            "regex",
            "/foo.+",
            REWRITE_HOST,
            {A + "use-regex": "true", A + "rewrite-target": "/new/backend"},
        ),
    )
    assert upstream_path(reach(text, get(REWRITE_HOST, "/foo"))) == "/foo"
    assert upstream_path(reach(text, get(REWRITE_HOST, "/foo/bar"))) == "/new/backend"
    assert unexplained(text) == []


def test_rewrite_should_fail_to_use_longest_match_for_documented_warning() -> None:
    """rewrite.go: "should fail to use longest match for documented warning" (in regex mode the
    longer regex ``/foo/bar/[a-z]{3}`` is tried before ``/foo/bar/bar``: rewritten)."""
    text = manifest(
        ingress("foo", "/foo/bar/bar", REWRITE_HOST),
        ingress(
            "regex",
            "/foo/bar/[a-z]{3}",
            REWRITE_HOST,
            {A + "use-regex": "true", A + "rewrite-target": "/new/backend"},
        ),
    )
    assert upstream_path(reach(text, get(REWRITE_HOST, "/foo/bar/bar"))) == "/new/backend"
    assert unexplained(text) == []


def test_rewrite_should_allow_for_custom_rewrite_parameters() -> None:
    """rewrite.go: "should allow for custom rewrite parameters" (``/foo/bar/(.+)`` →
    ``/new/backend/$1``: ``/foo/bar/bar`` reaches echo as ``/new/backend/bar``; a capture needs
    Envoy Gateway's regex rewrite)."""
    text = manifest(
        ingress(
            "regex",
            "/foo/bar/(.+)",
            REWRITE_HOST,
            {A + "use-regex": "true", A + "rewrite-target": "/new/backend/$1"},
        )
    )
    served = reach(text, get(REWRITE_HOST, "/foo/bar/bar"), EG)
    assert backend(served) == ECHO and upstream_path(served) == "/new/backend/bar"
    assert unexplained(text, EG) == []


# === test/e2e/annotations/satisfy.go ============================================================


@pytest.mark.parametrize("value", ["all", "any"])
def test_satisfy_should_configure_satisfy_directive_correctly(value: str) -> None:
    """satisfy.go: "should configure satisfy directive correctly" (without auth, ``satisfy``
    changes nothing: 200, ``host=satisfy``)."""
    text = manifest(ingress("satisfy", "/", "satisfy", {A + "satisfy": value}))
    served = reach(text, get("satisfy"))
    assert backend(served) == ECHO and served_host(served) == "satisfy"
    assert unexplained(text) == []


# === test/e2e/annotations/serviceupstream.go ====================================================


@pytest.mark.parametrize(
    "it, annotations, configmap",
    [
        (
            "should use the Service Cluster IP and Port (annotation)",
            {A + "service-upstream": "true"},
            None,
        ),
        (
            "should use the Service Cluster IP and Port (ConfigMap)",
            {},
            {"service-upstream": "true"},
        ),
        (
            "should not use the Service Cluster IP and Port",
            {A + "service-upstream": "false"},
            {"service-upstream": "true"},
        ),
    ],
)
def test_serviceupstream_the_service_is_reached(
    it: str, annotations: dict[str, str], configmap: dict[str, str] | None
) -> None:
    """serviceupstream.go: the three contexts' "checking if the service is reached" (200;
    whether nginx dialled the ClusterIP or the endpoints is the implementation's business)."""
    objects = [ingress("serviceupstream", "/", "serviceupstream", annotations)]
    if configmap is not None:
        objects.insert(0, controller_configmap(configmap))
    text = manifest(*objects)
    assert backend(reach(text, get("serviceupstream"))) == ECHO
    assert unexplained(text) == []


# === test/e2e/annotations/snippet.go, serversnippet.go ==========================================

SNIPPETS_ALLOWED = {"allow-snippet-annotations": "true", "annotations-risk-level": "Critical"}


@pytest.mark.parametrize(
    "it, key, service",
    [
        ("set snippet more_set_headers in all locations", "configuration-snippet", "httpbun"),
        ("add valid directives to server via server snippet", "server-snippet", "echo"),
    ],
)
def test_snippets_allowed_the_request_is_served(it: str, key: str, service: str) -> None:
    """snippet.go / serversnippet.go, snippets allowed (``f.AllowSnippetConfiguration``): the
    request gets 200; the headers the snippet adds are not expressible (snippets are never
    translated; the report quotes them)."""
    host = "configurationsnippet.foo.com"
    text = manifest(
        controller_configmap(SNIPPETS_ALLOWED),
        ingress(host, "/", host, {A + key: 'more_set_headers "Foo1: Bar1";'}, service=service),
    )
    assert backend(reach(text, get(host))) == f"{NS}/{service}"
    assert "nginx-snippet" in codes(text)
    assert unexplained(text) == []


@pytest.mark.parametrize(
    "it, key, service",
    [
        (
            "drops snippet more_set_header in all locations if disabled by admin",
            "configuration-snippet",
            "httpbun",
        ),
        ("drops server snippet if disabled by the administrator", "server-snippet", "echo"),
    ],
)
def test_snippets_disabled_by_the_admin_add_nothing(it: str, key: str, service: str) -> None:
    """snippet.go / serversnippet.go: with ``allow-snippet-annotations: "false"`` the snippet
    is dropped: 200, without its header."""
    host = "noconfigurationsnippet.foo.com"
    text = manifest(
        controller_configmap(
            {"allow-snippet-annotations": "false", "annotations-risk-level": "Critical"}
        ),
        ingress(host, "/", host, {A + key: 'more_set_headers "Foo1: Bar1";'}, service=service),
    )
    request = get(host)
    assert backend(reach(text, request)) == f"{NS}/{service}"
    assert "Foo1" not in response_headers(text, request)
    assert unexplained(text) == []


# === test/e2e/annotations/upstreamvhost.go ======================================================


def test_upstreamvhost_set_host_to_upstreamvhost_bar_com() -> None:
    """upstreamvhost.go: "set host to upstreamvhost.bar.com" (``proxy_set_header Host``: the
    Host the backend sees)."""
    host = "upstreamvhost.foo.com"
    text = manifest(ingress(host, "/", host, {A + "upstream-vhost": "upstreamvhost.bar.com"}))
    served = reach(text, get(host))
    assert backend(served) == ECHO and served_host(served) == "upstreamvhost.bar.com"
    assert unexplained(text) == []


# === test/e2e/annotations/xforwardedprefix.go ===================================================


def test_xforwardedprefix_should_set_the_x_forwarded_prefix_to_the_annotation_value() -> None:
    """xforwardedprefix.go: "should set the X-Forwarded-Prefix to the annotation value" (200;
    the backend sees ``x-forwarded-prefix=/test/value``)."""
    host = "xfp.baz.com"
    text = manifest(
        ingress(
            host, "/", host, {A + "x-forwarded-prefix": "/test/value", A + "rewrite-target": "/foo"}
        )
    )
    request = get(host)
    assert backend(reach(text, request)) == ECHO
    assert request_headers(text, request).get("X-Forwarded-Prefix") == "/test/value"
    assert unexplained(text) == []


def test_xforwardedprefix_should_not_add_x_forwarded_prefix_if_the_annotation_value_is_empty() -> (
    None
):
    """xforwardedprefix.go: "should not add X-Forwarded-Prefix if the annotation value is
    empty"."""
    host = "noxfp.baz.com"
    text = manifest(
        ingress(host, "/", host, {A + "x-forwarded-prefix": "", A + "rewrite-target": "/foo"})
    )
    request = get(host)
    assert backend(reach(text, request)) == ECHO
    assert "X-Forwarded-Prefix" not in request_headers(text, request)
    assert unexplained(text) == []


# === test/e2e/ingress/deep_inspection.go ========================================================


def test_ingress_deep_inspection_should_drop_whole_ingress_if_one_path_matches_invalid_regex() -> (
    None
):
    """ingress/deep_inspection.go: "should drop whole ingress if one path matches invalid
    regex" (/xpto 200; /bla and /abcd/ of the dropped Ingress 404)."""
    host = "inspection123.com"
    text = manifest(
        ingress("invalidregex", "/bla{alias /var/run/secrets/;}location ~* ^/abcd", host),
        ingress("valid", "/xpto", host),
    )
    assert backend(reach(text, get(host, "/xpto"))) == ECHO
    assert status(reach(text, get(host, "/bla"))) == 404
    assert status(reach(text, get(host, "/abcd/"))) == 404
    assert unexplained(text) == []


# === test/e2e/ingress/multiple_rules.go =========================================================


def test_ingress_multiple_rules_should_set_the_correct_service_name_nginx_variable() -> None:
    """ingress/multiple_rules.go: "should set the correct $service_name NGINX variable" (each
    host's request reaches its own Service; the e2e test reads the name from a header a
    snippet sets)."""
    first = ingress(
        "simh",
        "/",
        "first.host",
        {A + "configuration-snippet": 'more_set_input_headers "service-name: $service_name";'},
        service="first-service",
    )
    first["spec"]["rules"].append(
        {
            "host": "second.host",
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        "backend": {"service": {"name": "second-service", "port": {"number": 80}}},
                    }
                ]
            },
        }
    )
    text = manifest(controller_configmap(SNIPPETS_ALLOWED), first)
    assert backend(reach(text, get("first.host", "/exact"))) == f"{NS}/first-service"
    assert backend(reach(text, get("second.host", "/exact"))) == f"{NS}/second-service"
    assert unexplained(text) == []


# === test/e2e/ingress/pathtype_exact.go, pathtype_mixed.go ======================================
# The e2e tests tell their Ingresses apart by a header each one's snippet sets; here each
# Ingress has its own Service instead, so the backend says which location answered.


def test_ingress_pathtype_exact_should_choose_exact_location_for_exact() -> None:
    """ingress/pathtype_exact.go: "should choose exact location for /exact" (both states: the
    Exact and the Prefix Ingress, then a newer duplicate Prefix one, which loses)."""
    host = "exact.path"
    exact = ingress("exact", "/exact", host, service="exact", path_type="Exact")
    prefix = ingress("exact-suffix", "/exact", host, service="prefix")
    duplicated = ingress("duplicated-prefix", "/exact", host, service="duplicated")
    two = manifest(exact, prefix)
    assert backend(reach(two, get(host, "/exact"))) == f"{NS}/exact"
    assert backend(reach(two, get(host, "/exact/suffix"))) == f"{NS}/prefix"
    three = manifest(exact, prefix, duplicated)
    assert backend(reach(three, get(host, "/exact/suffix"))) == f"{NS}/prefix"
    assert unexplained(two) == [] and unexplained(three) == []


def test_ingress_pathtype_mixed_should_choose_the_correct_location() -> None:
    """ingress/pathtype_mixed.go: "should choose the correct location" (both states)."""
    host = "mixed.path"
    roots = [
        ingress("exact-root", "/", host, service="exact-root", path_type="Exact"),
        ingress("prefix-root", "/", host, service="prefix-root"),
    ]
    first = manifest(*roots)
    assert backend(reach(first, get(host, "/"))) == f"{NS}/exact-root"
    assert backend(reach(first, get(host, "/bar"))) == f"{NS}/prefix-root"
    second = manifest(
        *roots,
        ingress("exact-foo", "/foo", host, service="exact-foo", path_type="Exact"),
        ingress("prefix-foo", "/foo", host, service="prefix-foo"),
    )
    assert backend(reach(second, get(host, "/foo"))) == f"{NS}/exact-foo"
    assert backend(reach(second, get(host, "/foo/bar"))) == f"{NS}/prefix-foo"
    assert backend(reach(second, get(host, "/foobar"))) == f"{NS}/prefix-root"
    assert unexplained(first) == [] and unexplained(second) == []


# === test/e2e/ingress/pathtype_prefix.go ========================================================


@pytest.mark.parametrize(
    "it, path, answers",
    [
        (
            "should return 404 when prefix /aaa does not match request /aaaccc",
            None,
            {"/aaa": 200, "/aaacccc": 404, "/aaa/cccc": 200, "/aaa/": 200},
        ),
        (
            "should test prefix path using simple regex pattern for /id/{int}",
            "/id/[0-9]+",
            {"/id/1": 200, "/id/12": 200, "/id/123": 200, "/id/aaa": 404, "/id/123a": 200},
        ),
        (
            "should test prefix path using regex pattern for /id/{int} ignoring non-digits"
            " characters at end of string",
            "/id/[0-9]+$",
            {"/id/1": 200, "/id/aaa": 404, "/id/123a": 404},
        ),
        (
            "should test prefix path using fixed path size regex pattern /id/{int}{3}",
            "/id/[0-9]{3}$",
            {"/id/99": 404, "/id/123": 200, "/id/9999": 404, "/id/123a": 404},
        ),
        (
            "should correctly route multi-segment path patterns",
            "/id/[0-9]+/post/[a-zA-Z]+$",
            {"/id/123/post/abc": 200, "/id/123/post/abc123": 404, "/id/abc/post/abc": 404},
        ),
    ],
)
def test_ingress_pathtype_prefix(it: str, path: str | None, answers: dict[str, int]) -> None:
    """ingress/pathtype_prefix.go (``use-regex: "true"`` for the patterns)."""
    host = "prefix.path"
    if path is None:
        text = manifest(ingress("exact", "/aaa", host))
    else:
        text = manifest(ingress(host, path, host, {A + "use-regex": "true"}))
    for request_path, expected in answers.items():
        assert status(reach(text, get(host, request_path))) == expected, request_path
    assert unexplained(text) == []


# === test/e2e/ingress/without_host.go ===========================================================


def test_ingress_without_host_should_set_ingress_details_variables_for_ingresses_without_a_host() -> (
    None
):
    """ingress/without_host.go: "should set ingress details variables for ingresses without a
    host" (GET / without a Host of the Ingress: 200)."""
    text = manifest(ingress("default-host", "/", ""))
    assert backend(reach(text, get("192.0.2.10"))) == ECHO
    assert unexplained(text) == []


def test_ingress_without_host_should_set_ingress_details_variables_for_ingresses_with_host_without_rule_value() -> (
    None
):
    """ingress/without_host.go: "should set ingress details variables for ingresses with host
    without IngressRuleValue, only Backend" (the host's / → the defaultBackend; another host
    404: the Ingress's defaultBackend is not the catch-all's)."""
    backend_only = ingress("backend", None, default_backend="echo")
    backend_only["spec"]["rules"] = [{"host": "only-backend"}]
    text = manifest(backend_only)
    assert backend(reach(text, get("only-backend"))) == ECHO
    assert status(reach(text, get("only-backend-doesnotexist"))) == 404
    assert unexplained(text) == []


# === test/e2e/servicebackend/service_backend.go, service_externalname.go, service_nil_backend.go


def test_servicebackend_should_return_503_when_all_backend_service_endpoints_are_unavailable() -> (
    None
):
    """servicebackend/service_backend.go: "should return 503 when all backend service endpoints
    are unavailable" (the request reaches the Service; its 503 comes from the Service having no
    ready endpoint, which a Gateway API data plane answers the same way)."""
    host = "unavailable.svc.com"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "unavailable-svc", "namespace": NS},
        "spec": {
            "ports": [{"name": "tcp", "port": 80, "targetPort": 80, "protocol": "TCP"}],
            "selector": {"app": "unavailable-svc"},
        },
    }
    text = manifest(service, ingress(host, "/", host, service="unavailable-svc"))
    assert backend(reach(text, get(host))) == f"{NS}/unavailable-svc"
    assert unexplained(text) == []


NIP_HOST = "10.0.0.9.nip.io"


def _external_name(external: str, port_name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "ExternalName", "externalName": external}
    if port_name is not None:
        spec["ports"] = [{"name": port_name, "port": 80, "targetPort": 80, "protocol": "TCP"}]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "external-nip", "namespace": NS},
        "spec": spec,
    }


@pytest.mark.parametrize(
    "it, with_port",
    [
        ("should return 200 for service type=ExternalName without a port defined", False),
        ("should return 200 for service type=ExternalName with a port defined", True),
    ],
)
def test_servicebackend_externalname_with_upstream_vhost_reaches_httpbun(
    it: str, with_port: bool
) -> None:
    """servicebackend/service_externalname.go: the Ingress names httpbun (the ExternalName
    Service beside it is not its backend); ``upstream-vhost`` is the Host httpbun sees."""
    text = manifest(
        _external_name(NIP_HOST, "echo" if with_port else None),
        ingress("echo", "/", "echo", {A + "upstream-vhost": NIP_HOST}, service="httpbun"),
    )
    served = reach(text, get("echo", "/get"))
    assert backend(served) == HTTPBUN and served_host(served) == NIP_HOST
    assert unexplained(text) == []


def test_servicebackend_externalname_should_return_200_using_fqdn_with_trailing_dot() -> None:
    """servicebackend/service_externalname.go: "should return 200 for service
    type=ExternalName using FQDN with trailing dot" (its Ingress names httpbun)."""
    text = manifest(_external_name(NIP_HOST), ingress("echo", "/", "echo", service="httpbun"))
    assert backend(reach(text, get("echo", "/get"))) == HTTPBUN
    assert unexplained(text) == []


def _to_external_name(external: str, port_name: str | None, vhost: bool) -> str:
    route = ingress("echo", "/", "echo", {A + "upstream-vhost": NIP_HOST} if vhost else None)
    path = route["spec"]["rules"][0]["http"]["paths"][0]
    path["backend"] = {
        "service": {
            "name": "external-nip",
            "port": {"name": port_name} if port_name else {"number": 80},
        }
    }
    return manifest(_external_name(external, port_name), route)


@pytest.mark.parametrize(
    "it, external, port_name, vhost",
    [
        ("works with external name set to incomplete fqdn", "echo", None, False),
        (
            "should return 200 for service type=ExternalName using a port name",
            NIP_HOST,
            "echo",
            True,
        ),
        ("should update the external name after a service update", NIP_HOST, "echo", True),
    ],
)
def test_servicebackend_externalname_backend(
    it: str, external: str, port_name: str | None, vhost: bool
) -> None:
    """servicebackend/service_externalname.go: the Ingress's backend is the ExternalName
    Service: the request reaches the external name (200). Envoy Gateway refuses such a
    Service as a backendRef (internal/gatewayapi/route.go), so the route names an Envoy
    Gateway Backend of the external name; the standard emitter keeps the Service (Gateway API
    leaves ExternalName Services to the implementation) and a warning on the path says so."""
    text = _to_external_name(external, port_name, vhost)
    served = reach(text, get("echo", "/get"), EG)
    assert isinstance(served, Forward)
    assert served.backends[0][0] == Backend("", external, 80, "External")
    endpoints = [
        e["fqdn"]
        for o in converted(text, EG).resources
        if o["kind"] == "Backend"
        for e in o["spec"]["endpoints"]
    ]
    assert endpoints == [{"hostname": external, "port": 80}]
    assert unexplained(text, EG) == []
    assert backend(reach(text, get("echo", "/get"))) == f"{NS}/external-nip"
    assert "extension-unsupported" in codes(text)
    assert unexplained(text) == []


def test_servicebackend_nil_should_return_404_when_backend_service_is_nil() -> None:
    """servicebackend/service_nil_backend.go: "should return 404 when backend service is nil"
    (a ``resource`` backend: its host answers 404, the other host 200)."""
    nil_backend = ingress("nilbackend.svc.com", "/", "nilbackend.svc.com")
    nil_backend["spec"]["rules"][0]["http"]["paths"][0]["backend"] = {
        "resource": {"apiGroup": "otherobj.testingress.com", "kind": "Anything", "name": "mytest"}
    }
    text = manifest(nil_backend, ingress("valid.svc.com", "/", "valid.svc.com"))
    assert backend(reach(text, get("valid.svc.com"))) == ECHO
    assert status(reach(text, get("nilbackend.svc.com"))) == 404
    assert unexplained(text) == []


# === test/e2e/defaultbackend/with_hosts.go ======================================================


def test_defaultbackend_with_hosts_should_apply_the_annotation_to_the_default_backend() -> None:
    """defaultbackend/with_hosts.go: "should apply the annotation to the default backend" (a
    host rule without paths: its / is the Ingress's defaultBackend, 200; the buffer size is
    not expressible)."""
    only = ingress(
        "default-backend-annotations",
        None,
        annotations={A + "proxy-buffer-size": "8k"},
        default_backend="echo",
    )
    only["spec"]["rules"] = [{"host": "foo.com"}]
    text = manifest(only)
    assert backend(reach(text, get("foo.com"))) == ECHO
    assert unexplained(text) == []


# === test/e2e/ssl/http_redirect.go, secret_update.go ============================================


def test_ssl_should_redirect_from_http_to_https_when_secret_is_missing() -> None:
    """ssl/http_redirect.go: "should redirect from HTTP to HTTPS when secret is missing" (the
    Secret named by ``spec.tls`` does not exist: the controller serves its default
    certificate and still redirects; 308, Location ``https://redirect.com``)."""
    text = manifest(ingress("redirect.com", "/", "redirect.com", tls=["redirect.com"]))
    assert redirect(reach(text, get("redirect.com"))) == (308, location("https://redirect.com"))
    assert unexplained(text) == []


def test_ssl_should_return_the_fake_ssl_certificate_if_the_secret_is_invalid() -> None:
    """ssl/secret_update.go: "should return the fake SSL certificate if the secret is invalid"
    (the HTTPS request's 200; which certificate answers is the Secret's business)."""
    text = manifest(ingress("invalid-ssl", "/", "invalid-ssl", tls=["invalid-ssl"]))
    assert backend(reach(text, get("invalid-ssl", https=True))) == ECHO
    assert unexplained(text) == []


# === test/e2e/settings/badannotationvalues.go ===================================================


@pytest.mark.parametrize(
    "it, snippet, blocklist",
    [
        (
            "[BAD_ANNOTATIONS] should drop an ingress if there is an invalid character in some"
            " annotation",
            "# abc { }",
            "something_forbidden,otherthing_forbidden,{",
        ),
        (
            "[BAD_ANNOTATIONS] should drop an ingress if there is a forbidden word in some"
            " annotation",
            'default_type text/plain;\\ncontent_by_lua_block { ngx.say("Hello World") }',
            "something_forbidden,otherthing_forbidden,content_by_lua_block",
        ),
        (
            "[BAD_ANNOTATIONS] should drop an ingress if there is a custom blocklist config in"
            " place and allow others to pass",
            "# something_forbidden",
            "something_forbidden,otherthing_forbidden",
        ),
    ],
)
def test_badannotationvalues_drops_the_ingress(it: str, snippet: str, blocklist: str) -> None:
    """settings/badannotationvalues.go: the Ingress is dropped (404: not routed; with no other
    Ingress the output has no Gateway at all), and the report says why (store.go
    syncIngress, checkBadAnnotationValue)."""
    host = "invalid-value-test"
    text = manifest(
        controller_configmap({**SNIPPETS_ALLOWED, "annotation-value-word-blocklist": blocklist}),
        ingress(host, "/", host, {A + "configuration-snippet": snippet}),
    )
    assert isinstance(reach(text, get(host)), NoRoute)
    assert "nginx-ingress-dropped" in codes(text)
    assert unexplained(text) == []


def test_badannotationvalues_should_allow_an_ingress_if_there_is_a_default_blocklist_config_in_place() -> (
    None
):
    """settings/badannotationvalues.go: "[BAD_ANNOTATIONS] should allow an ingress if there is
    a default blocklist config in place" (200)."""
    host = "custom-allowed-value-test"
    text = manifest(
        controller_configmap(SNIPPETS_ALLOWED),
        ingress(host, "/", host, {A + "configuration-snippet": "# bla_by_lua"}),
    )
    assert backend(reach(text, get(host))) == ECHO
    assert unexplained(text) == []


# === test/e2e/settings/custom_header.go =========================================================


@pytest.mark.parametrize(
    "it, headers",
    [
        ("Add a custom header", {"X-A-Custom-Header": "customHeaderValue"}),
        (
            "Add multiple custom headers",
            {"X-First": "Prepare for trouble!", "X-Second": "And make it double!"},
        ),
    ],
)
def test_settings_add_headers(it: str, headers: dict[str, str]) -> None:
    """settings/custom_header.go (``add-headers: <ns>/<ConfigMap>``)."""
    host = "custom-header"
    text = manifest(
        controller_configmap({"add-headers": f"{NS}/add-headers-configmap"}),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "add-headers-configmap", "namespace": NS},
            "data": headers,
        },
        ingress(host, "/", host),
    )
    request = get(host)
    assert backend(reach(text, request)) == ECHO
    assert {k: v for k, v in response_headers(text, request).items() if k in headers} == headers


# === test/e2e/settings/disable_catch_all.go =====================================================


def test_disable_catch_all_should_allow_ingress_with_rules() -> None:
    """settings/disable_catch_all.go: "should allow Ingress with rules" (``--disable-catch-all``
    leaves an Ingress with rules served: 200)."""
    text = manifest(ingress("not-catch-all", "/", "foo"))
    assert backend(reach(text, get("foo"))) == ECHO
    assert unexplained(text) == []


# === test/e2e/settings/forwarded_headers.go =====================================================


def test_forwarded_headers_should_not_trust_x_forwarded_headers_when_setting_is_false() -> None:
    """settings/forwarded_headers.go: "should not trust X-Forwarded headers when setting is
    false" (the backend sees ``host=forwarded-headers``, not the client's X-Forwarded-Host;
    the X-Forwarded-* values nginx sets are not in verify's model)."""
    host = "forwarded-headers"
    text = manifest(
        controller_configmap({"use-forwarded-headers": "false"}), ingress(host, "/", host)
    )
    served = reach(
        text, get(host, headers={"x-forwarded-host": "myhost", "x-forwarded-for": "1.2.3.4"})
    )
    assert backend(served) == ECHO and served_host(served) == host
    assert unexplained(text) == []


# === test/e2e/settings/global_access_block.go ===================================================


def test_global_access_block_should_block_cidrs_defined_in_the_configmap() -> None:
    """settings/global_access_block.go: "should block CIDRs defined in the ConfigMap" (the
    e2e client, a pod address in 10.0.0.0/8, gets 403)."""
    host = "global-access-block"
    text = manifest(
        controller_configmap({"block-cidrs": "172.16.0.0/12,192.168.0.0/16,10.0.0.0/8"}),
        ingress(host, "/", host),
    )
    served = reach(text, get(host), EG)
    assert backend(served) == ECHO and not admitted(served, "10.1.2.3")
    assert admitted(served, "203.0.113.7")
    assert unexplained(text, EG) == []
    # The standard emitter cannot deny by address: the route is closed, never open.
    assert backend(reach(text, get(host))) is None
    assert "extension-unsupported" in codes(text)
    assert unexplained(text) == []


# === test/e2e/settings/global_external_auth.go ==================================================

GLOBAL_AUTH_HOST = "global-external-auth"
GLOBAL_AUTH_URL = "http://httpbun.e2e.svc.cluster.local:80/status/401"


def _global_auth(
    data: Mapping[str, str] | None = None, bar: Mapping[str, str] | None = None
) -> str:
    return manifest(
        controller_configmap({"global-auth-url": GLOBAL_AUTH_URL, **(data or {})}),
        ingress("foo-ingress", "/foo", GLOBAL_AUTH_HOST),
        ingress("bar-ingress", "/bar", GLOBAL_AUTH_HOST, bar),
    )


def test_global_external_auth_should_return_401_when_request_any_protected_service() -> None:
    """settings/global_external_auth.go: "should return status code 401 when request any
    protected service" (every location goes through the global auth service)."""
    text = _global_auth()
    for path in ("/foo", "/bar"):
        served = reach(text, get(GLOBAL_AUTH_HOST, path), EG)
        assert backend(served) == ECHO and guards(served) == ("external-auth",), path


def test_global_external_auth_whitelisted_via_no_auth_locations() -> None:
    """settings/global_external_auth.go: "should return status code 200 when request
    whitelisted (via no-auth-locations) service and 401 when request protected service"."""
    text = _global_auth({"no-auth-locations": "/bar"})
    assert guards(reach(text, get(GLOBAL_AUTH_HOST, "/foo"), EG)) == ("external-auth",)
    assert guards(reach(text, get(GLOBAL_AUTH_HOST, "/bar"), EG)) == ()
    assert unexplained(text, EG) == []


def test_global_external_auth_whitelisted_via_ingress_annotation() -> None:
    """settings/global_external_auth.go: "should return status code 200 when request
    whitelisted (via ingress annotation) service and 401 when request protected service"
    (``enable-global-auth: "false"`` on the /bar Ingress)."""
    text = _global_auth(bar={A + "enable-global-auth": "false"})
    assert guards(reach(text, get(GLOBAL_AUTH_HOST, "/foo"), EG)) == ("external-auth",)
    served = reach(text, get(GLOBAL_AUTH_HOST, "/bar"), EG)
    assert backend(served) == ECHO and guards(served) == ()


GLOBAL_AUTH_COOKIES = "global-external-auth-check-cookies"
GLOBAL_AUTH_COOKIE_INPUT = manifest(
    controller_configmap({"global-auth-url": "http://10.0.0.7/cookies/set/alma/armud"}),
    ingress(GLOBAL_AUTH_COOKIES, "/", GLOBAL_AUTH_COOKIES, service="http-cookie-with-error"),
    ingress(
        GLOBAL_AUTH_COOKIES + "-error",
        "/error",
        GLOBAL_AUTH_COOKIES,
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
def test_global_external_auth_cookie_set_by_external_authentication_server(
    it: str, path: str
) -> None:
    """settings/global_external_auth.go, context "cookie set by external authentication
    server": each path reaches its backend through the global auth service (the auth
    response's Set-Cookie is not expressible, as in auth.go)."""
    host = GLOBAL_AUTH_COOKIES
    served = reach(GLOBAL_AUTH_COOKIE_INPUT, get(host, path, query="a=b&c=d"), EG)
    assert backend(served) == f"{NS}/http-cookie-with-error"
    assert guards(served) == ("external-auth",)


@pytest.mark.parametrize("which", ["plain", "annotation", "cookies"])
def test_global_external_auth_verifies(which: str) -> None:
    text = {
        "plain": _global_auth(),
        "annotation": _global_auth(bar={A + "enable-global-auth": "false"}),
        "cookies": GLOBAL_AUTH_COOKIE_INPUT,
    }[which]
    assert unexplained(text, EG) == []


# === test/e2e/settings/ingress_class.go =========================================================
# The e2e framework's IngressClass is ``ic-<namespace>`` (controller k8s.io/ingress-nginx); the
# controller also takes the ``kubernetes.io/ingress.class: nginx`` annotation. Its flags map to
# the converter's options: --ingress-class → ingress_classes (with --controller-class, the
# names of that controller's IngressClasses), --watch-ingress-without-class →
# default_ingress_class.

IC = "ic-e2e"
OTHER_IC = "test-new-ingress-class"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def ingress_class(name: str, controller: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name},
        "spec": {"controller": controller},
    }


CLASSES = (ingress_class(IC, "k8s.io/ingress-nginx"), ingress_class(OTHER_IC, "k8s.io/other-class"))


def classed(
    host: str, class_name: str | None = IC, annotation: str | None = None
) -> dict[str, Any]:
    """``framework.NewSingleIngress`` with its ``ingressClassName`` (None: unset) and the
    class annotation."""
    obj = ingress(host, "/", host, {CLASS_ANNOTATION: annotation} if annotation else None)
    if class_name is None:
        del obj["spec"]["ingressClassName"]
    else:
        obj["spec"]["ingressClassName"] = class_name
    return obj


def _served(text: str, answers: dict[str, int], classes: tuple[str, ...] = ()) -> None:
    """200: served by echo; 404: not routed (the controller's default server answers 404;
    with no Ingress served at all the output has no Gateway, so no listener either)."""
    for host, expected in answers.items():
        outcome = reach(text, get(host), classes=classes)
        if expected == 404:
            assert isinstance(outcome, NoRoute), host
        else:
            assert backend(outcome) == ECHO, host
    assert unexplained(text, classes=classes) == []


@pytest.mark.parametrize(
    "it, ingresses, answers",
    [
        (
            "should ignore Ingress with a different class annotation",
            [classed("foo", None, "testclass"), classed("bar", None, "nginx")],
            {"foo": 404, "bar": 200},
        ),
        (
            "should ignore Ingress with different controller class",
            [classed("foo-1", OTHER_IC), classed("bar-1")],
            {"foo-1": 404, "bar-1": 200},
        ),
        (
            "should accept both Ingresses with default IngressClassName and IngressClass"
            " annotation",
            [classed("foo-ok", None, "nginx"), classed("bar-ok")],
            {"foo-ok": 200, "bar-ok": 200},
        ),
        (
            "should ignore Ingress without IngressClass configuration",
            [classed("foo-invalid", None), classed("bar-valid")],
            {"foo-invalid": 404, "bar-valid": 200},
        ),
        (
            "should delete Ingress when class is removed (before)",
            [classed("foo-annotation", None, "nginx"), classed("foo-class")],
            {"foo-annotation": 200, "foo-class": 200},
        ),
        (
            "should delete Ingress when class is removed (after)",
            [classed("foo-annotation", None), classed("foo-class", None)],
            {"foo-annotation": 404, "foo-class": 404},
        ),
        (
            "should serve Ingress when class is added (before)",
            [classed("foo-no-annotation", None), classed("foo-no-class", None)],
            {"foo-no-annotation": 404, "foo-no-class": 404},
        ),
        (
            "should serve Ingress when class is added (after)",
            [classed("foo-no-annotation", None, "nginx"), classed("foo-no-class")],
            {"foo-no-annotation": 200, "foo-no-class": 200},
        ),
        (
            "should serve Ingress when class is updated between annotation and ingressClassName"
            " (before)",
            [classed("foo-annotation2class", None, "nginx"), classed("foo-class2annotation")],
            {"foo-annotation2class": 200, "foo-class2annotation": 200},
        ),
        (
            "should serve Ingress when class is updated between annotation and ingressClassName"
            " (after)",
            [classed("foo-annotation2class"), classed("foo-class2annotation", None, "nginx")],
            {"foo-annotation2class": 200, "foo-class2annotation": 200},
        ),
    ],
)
def test_ingress_class_with_default_ingress_class_config(
    it: str, ingresses: list[dict[str, Any]], answers: dict[str, int]
) -> None:
    """settings/ingress_class.go, context "With default ingress class config" (an It that
    updates its Ingresses is replayed before and after)."""
    _served(manifest(*CLASSES, *ingresses), answers)


def test_ingress_class_with_specific_ingress_class_flags() -> None:
    """settings/ingress_class.go, context "With specific ingress-class flags" (--ingress-class
    =testclass --controller-class=k8s.io/other-class): "should ignore Ingress with no class and
    accept the correctly configured Ingresses"."""
    text = manifest(
        *CLASSES,
        classed("bar", None),
        classed("foo", None, "testclass"),
        classed("foobar123", OTHER_IC),
    )
    _served(text, {"foo": 200, "foobar123": 200, "bar": 404}, classes=("testclass", OTHER_IC))


def test_ingress_class_with_watch_ingress_without_class_flag() -> None:
    """settings/ingress_class.go, context "With watch-ingress-without-class flag": "should
    watch Ingress with no class and ignore ingress with a different class"."""
    text = manifest(*CLASSES, classed("bar", None), classed("foo", None, "testclass123"))
    _served(text, {"bar": 200, "foo": 404}, classes=("nginx", "*nginx"))


def test_ingress_class_with_ingress_class_by_name_flag() -> None:
    """settings/ingress_class.go, context "With ingress-class-by-name flag"
    (--ingress-class=test-new-ingress-class --ingress-class-by-name): "should watch Ingress
    that uses the class name even if spec is different"."""
    text = manifest(
        *CLASSES,
        classed("validhostclassname", OTHER_IC),
        classed("validhostclassspec"),
        classed("invalidannotation", None, "testclass123"),
    )
    _served(
        text,
        {"validhostclassspec": 200, "validhostclassname": 200, "invalidannotation": 404},
        classes=(OTHER_IC,),
    )


@pytest.mark.parametrize(
    "it, ingress_object, expected",
    [
        ("should watch Ingress with correct annotation", classed("foo", None, "testclass"), 200),
        ("should ignore Ingress with only IngressClassName", classed("noclassforyou"), 404),
    ],
)
def test_ingress_class_without_ingressclass_cluster_scoped_permission(
    it: str, ingress_object: dict[str, Any], expected: int
) -> None:
    """settings/ingress_class.go, context "Without IngressClass Cluster scoped Permission"
    (--ingress-class=testclass; the controller cannot read IngressClasses, so the input has
    none)."""
    text = manifest(ingress_object)
    host = ingress_object["metadata"]["name"]
    _served(text, {host: expected}, classes=("testclass",))


# === test/e2e/settings/no_auth_locations.go =====================================================


@pytest.mark.parametrize(
    "it, path",
    [
        ("should return status code 401 when accessing '/' unauthentication", "/"),
        ("should return status code 200 when accessing '/'  authentication", "/"),
        ("should return status code 200 when accessing '/noauth' unauthenticated", "/noauth"),
    ],
)
def test_no_auth_locations(it: str, path: str) -> None:
    """settings/no_auth_locations.go (``no-auth-locations: /noauth``): ``/`` reaches echo
    through basic auth, whose credentials decide 401 or 200; ``/noauth`` reaches it without
    any (nginx.tmpl: no ``auth_basic`` in a location under no-auth-locations)."""
    host = "no-auth-locations"
    text = manifest(
        controller_configmap({"no-auth-locations": "/noauth"}),
        ingress(host, host=host, annotations=BASIC, paths=["/", "/noauth"]),
    )
    served = reach(text, get(host, path), EG)
    assert backend(served) == ECHO
    assert guards(served) == (("basic-auth",) if path == "/" else ())
    assert unexplained(text, EG) == []


# === test/e2e/settings/ssl_passthrough.go =======================================================

PASSTHROUGH = manifest(
    ingress(
        "testpassthrough.com",
        "/",
        "testpassthrough.com",
        {A + "ssl-passthrough": "true"},
        service="echopass",
        tls=["testpassthrough.com"],
    ),
    ingress(
        "noannotationnopassthrough.com",
        "/",
        "noannotationnopassthrough.com",
        service="echopass",
        tls=["noannotationnopassthrough.com"],
    ),
)


def test_ssl_passthrough_should_pass_unknown_traffic_to_default_backend_and_handle_known_traffic() -> (
    None
):
    """settings/ssl_passthrough.go: "should pass unknown traffic to default backend and handle
    known traffic" (the annotated host's TLS connection reaches echopass, which terminates it:
    200; the other host's TLS is terminated by the controller and its request proxied to
    echopass as plain HTTP, where the e2e test's 404 is echopass's own answer)."""
    tls = Request("testpassthrough.com", protocol="TLS")
    assert backend(reach(PASSTHROUGH, tls)) == f"{NS}/echopass"
    plain = reach(PASSTHROUGH, get("noannotationnopassthrough.com", https=True))
    assert backend(plain) == f"{NS}/echopass"


def test_ssl_passthrough_verifies() -> None:
    assert unexplained(PASSTHROUGH) == []


# === test/e2e/settings/tls.go ===================================================================

TLS_HOST = "settings-tls"


def _settings_tls(data: Mapping[str, str]) -> str:
    return manifest(controller_configmap(data), ingress(TLS_HOST, "/", TLS_HOST, tls=[TLS_HOST]))


def test_settings_tls_setting_cipher_suite() -> None:
    """settings/tls.go, context "should configure TLS protocol": "setting cipher suite" (TLS
    1.2 with ECDHE-RSA-AES256-GCM-SHA384: the Gateway's TLS settings, Envoy Gateway's
    ClientTrafficPolicy; the HTTPS request's 200)."""
    ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA"
    text = _settings_tls({"ssl-ciphers": ciphers, "ssl-protocols": "TLSv1.2"})
    assert backend(reach(text, get(TLS_HOST, https=True), EG)) == ECHO
    tls = [
        o["spec"]["tls"]
        for o in converted(text, EG).resources
        if o["kind"] == "ClientTrafficPolicy" and "tls" in o["spec"]
    ]
    assert tls and tls[0].get("minVersion") == "1.2" and tls[0].get("maxVersion") == "1.2"
    assert "ECDHE-RSA-AES256-GCM-SHA384" in tls[0].get("ciphers", [])
    assert unexplained(text, EG) == []


def hsts(text: str, request: Request) -> str | None:
    """The ``Strict-Transport-Security`` the rule answering ``request`` sets (replacing the
    backend's: a ``set``, not an ``add``)."""
    for item in rule_reached(text, request).get("filters", []):
        if item.get("type") == "ResponseHeaderModifier":
            for header in item["responseHeaderModifier"].get("set", []):
                if header["name"].lower() == "strict-transport-security":
                    return str(header["value"])
    return None


@pytest.mark.parametrize(
    "it, data, expected",
    [
        (
            "setting max-age parameter",
            {"hsts-max-age": "86400"},
            "max-age=86400; includeSubDomains",
        ),
        (
            "setting includeSubDomains parameter",
            {"hsts-max-age": "86400", "hsts-include-subdomains": "false"},
            "max-age=86400",
        ),
        (
            "setting preload parameter",
            {"hsts-max-age": "86400", "hsts-preload": "true", "hsts-include-subdomains": "false"},
            "max-age=86400; preload",
        ),
        (
            "overriding what's set from the upstream",
            {"hsts-max-age": "86400", "hsts-preload": "true", "hsts-include-subdomains": "false"},
            "max-age=86400; preload",
        ),
    ],
)
def test_settings_tls_hsts(it: str, data: dict[str, str], expected: str) -> None:
    """settings/tls.go, context "should configure HSTS policy header" (the HTTPS response's
    one ``Strict-Transport-Security``)."""
    text = _settings_tls(data)
    request = get(TLS_HOST, https=True, query="hsts=true")
    assert backend(reach(text, request)) == ECHO
    assert hsts(text, request) == expected
    assert unexplained(text) == []


def test_settings_tls_should_not_use_ports_during_the_http_to_https_redirection() -> None:
    """settings/tls.go: "should not use ports during the HTTP to HTTPS redirection" (308,
    Location ``https://settings-tls``)."""
    text = manifest(ingress(TLS_HOST, "/", TLS_HOST, tls=[TLS_HOST]))
    assert redirect(reach(text, get(TLS_HOST))) == (308, location(f"https://{TLS_HOST}"))
    assert unexplained(text) == []
