"""Request-level tests of what was fixed while turning the strict xfails of the e2e replay
(``tests/test_nginx_e2e.py``) into passing tests, beyond what the e2e tests themselves assert.

Each test cites the ingress-nginx code (``kubernetes/ingress-nginx`` at ``dbb11b92``) it follows:
a request in, the backend / redirect / status and the guards in front of the backend out, and
``verify`` finding no difference the report does not explain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from ingress2gateway.verification.model import Forward, NoRoute, Redirect, Request, Respond

from .nginx_requests import answer, backend, convert, unexplained

A = "nginx.ingress.kubernetes.io/"
EG = "envoy-gateway"
NS = "web"


def _ingress(
    name: str,
    host: str,
    paths: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
    minute: int = 0,
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": f"2024-01-01T00:{minute:02d}:00Z",
            "annotations": dict(annotations or {}),
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {"service": {"name": svc, "port": {"number": 80}}},
                            }
                            for path, svc in paths.items()
                        ]
                    },
                }
            ],
        },
    }


def _configmap(data: Mapping[str, str], name: str = "ingress-nginx-controller") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ingress-nginx"},
        "data": dict(data),
    }


def _text(*objects: dict[str, Any]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


def _guards(text: str, request: Request, emitter: str = "standard") -> tuple[str, ...] | None:
    outcome = answer(convert(text, emitter), request)
    return outcome.guards if isinstance(outcome, Forward) else None


def _codes(text: str, emitter: str = "standard") -> set[tuple[str, str, bool]]:
    return {
        (n.level.value, n.code, n.security) for n in convert(text, emitter).report.notifications
    }


# --- global-auth-url, no-auth-locations ------------------------------------------------------

GLOBAL_AUTH = {"global-auth-url": "http://auth.auth.svc.cluster.local/check"}


def test_a_canary_header_rule_keeps_the_global_auth_of_its_primary() -> None:
    """The canary joins the primary's upstream (controller.go mergeAlternativeBackends) and
    the location keeps its access phase: nginx.tmpl puts the global ``auth_request`` in the
    location whatever upstream balancer.lua then picks. The rule made for the canary header
    had no global auth: requests with ``X-Canary: always`` reached the canary unauthenticated."""
    text = _text(
        _configmap(GLOBAL_AUTH),
        _ingress("main", "shop.example.com", {"/": "main"}),
        _ingress(
            "canary",
            "shop.example.com",
            {"/": "canary"},
            {A + "canary": "true", A + "canary-by-header": "X-Canary"},
            minute=1,
        ),
    )
    request = Request("shop.example.com").with_headers(("X-Canary", "always"))
    outcome = answer(convert(text, EG), request)
    assert backend(outcome) == f"{NS}/canary"
    assert _guards(text, request, EG) == ("external-auth",)
    assert unexplained(text, EG) == []


def test_the_global_auth_is_not_added_where_the_ingress_has_its_own_auth_url() -> None:
    """nginx.tmpl shouldApplyGlobalAuth: only a location without ``auth-url`` gets the global
    one (two external auths on one rule are two values for one SecurityPolicy field)."""
    text = _text(
        _configmap(GLOBAL_AUTH),
        _ingress(
            "own",
            "own.example.com",
            {"/": "app"},
            {A + "auth-url": "http://other.auth.svc.cluster.local/verify"},
        ),
    )
    assert _guards(text, Request("own.example.com"), EG) == ("external-auth",)
    assert not {code for _, code, _ in _codes(text, EG)} & {
        "eg-policy-conflict",
        "extension-unsupported",
    }
    assert unexplained(text, EG) == []


def test_auth_is_left_off_acme_challenge_paths_by_default() -> None:
    """``no-auth-locations`` defaults to ``/.well-known/acme-challenge`` (config.go), even
    without the ConfigMap: a location under it gets no ``auth_basic`` (nginx.tmpl,
    isLocationInLocationList), so the challenge is answered without credentials; an info says
    so on the Ingress."""
    text = _text(
        _ingress(
            "site",
            "site.example.com",
            {"/": "app", "/.well-known/acme-challenge": "solver"},
            {A + "auth-type": "basic", A + "auth-secret": "users"},
        )
    )
    challenge = Request("site.example.com", "/.well-known/acme-challenge/token")
    assert backend(answer(convert(text, EG), challenge)) == f"{NS}/solver"
    assert _guards(text, challenge, EG) == ()
    assert _guards(text, Request("site.example.com", "/"), EG) == ("basic-auth",)
    assert ("info", "nginx-no-auth-location", False) in _codes(text, EG)
    assert unexplained(text, EG) == []


def test_no_auth_locations_lifts_the_global_auth_by_the_ingress_path() -> None:
    """isLocationInLocationList compares the *location's* path: ``/`` serving
    ``/public/x`` keeps the global auth, the ``/public`` location does not."""
    text = _text(
        _configmap({**GLOBAL_AUTH, "no-auth-locations": "/public"}),
        _ingress("site", "site.example.com", {"/": "app", "/public": "static"}),
    )
    assert _guards(text, Request("site.example.com", "/public/x"), EG) == ()
    assert _guards(text, Request("site.example.com", "/publicity"), EG) == ("external-auth",)
    assert unexplained(text, EG) == []


# --- block-cidrs, block-user-agents, block-referers ------------------------------------------


def test_block_cidrs_are_not_inherited_by_a_location_with_its_own_allow_list() -> None:
    """nginx's access module inherits the ``http`` block's ``deny`` lines (block-cidrs) only
    into a location without ``allow``/``deny`` lines of its own: the allow-listed location
    lets its list in (10.1.0.0/16 is inside the blocked 10.0.0.0/8), the other is blocked."""
    text = _text(
        _configmap({"block-cidrs": "10.0.0.0/8"}),
        _ingress(
            "listed",
            "a.example.com",
            {"/": "app"},
            {A + "whitelist-source-range": "10.1.0.0/16"},
        ),
        _ingress("open", "a.example.com", {"/b": "other"}, minute=1),
    )
    assert _guards(text, Request("a.example.com", "/"), EG) == ("ip-allow 10.1.0.0/16",)
    assert _guards(text, Request("a.example.com", "/b"), EG) == ("ip-deny 10.0.0.0/8",)
    assert unexplained(text, EG) == []


def test_block_cidrs_close_every_route_on_the_standard_emitter() -> None:
    """Standard Gateway API cannot deny by address: closed (500), never open, with a security
    error."""
    text = _text(
        _configmap({"block-cidrs": "192.0.2.0/24"}),
        _ingress("site", "site.example.com", {"/": "app"}),
    )
    outcome = answer(convert(text), Request("site.example.com"))
    assert isinstance(outcome, Respond) and outcome.status == 500
    assert ("error", "extension-unsupported", True) in _codes(text)
    assert unexplained(text) == []


def test_block_user_agents_is_an_access_control_that_closes_the_routes() -> None:
    """block-user-agents: ``map $http_user_agent $block_ua`` and ``if ($block_ua) { return
    403; }`` in every server (nginx.tmpl). It was recorded as ignored, with no notification,
    and every client got through; no emitter carries it yet, so the routes are closed, with a
    security error naming the key, on either emitter."""
    text = _text(
        _configmap({"block-user-agents": "~*bot,curl", "block-referers": "spam.example"}),
        _ingress("site", "site.example.com", {"/": "app"}),
    )
    for emitter in ("standard", EG):
        outcome = answer(convert(text, emitter), Request("site.example.com"))
        assert isinstance(outcome, Respond) and outcome.status == 500, emitter
        errors = [
            n.message
            for n in convert(text, emitter).report.notifications
            if n.code == "extension-unsupported" and n.security
        ]
        assert any("block-user-agents" in m for m in errors), emitter
        assert any("block-referers" in m for m in errors), emitter
        assert unexplained(text, emitter) == []


def test_a_block_cidrs_value_nginx_cannot_load_closes_every_route() -> None:
    """``deny <x>;`` with something that is no address fails nginx's configuration test: what
    the controller then blocked is not known, so nothing is left open."""
    text = _text(
        _configmap({"block-cidrs": "10.0.0.0/8,not-an-address"}),
        _ingress("site", "site.example.com", {"/": "app"}),
    )
    outcome = answer(convert(text, EG), Request("site.example.com"))
    assert isinstance(outcome, Respond) and outcome.status >= 500
    assert ("error", "nginx-annotation-invalid", True) in _codes(text, EG)


# --- add-headers ------------------------------------------------------------------------------


def _headers_configmap(data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "response-headers", "namespace": "ingress-nginx"},
        "data": dict(data),
    }


def _response_headers(text: str, request: Request) -> dict[str, str]:
    from ingress2gateway.verification.gateway import GatewayAPIModel

    result = convert(text)
    routed = GatewayAPIModel(result.resources).route(request)
    found: dict[str, str] = {}
    for cause in routed.causes:
        index = int(cause.field.removeprefix("spec.rules[").removesuffix("]"))
        for obj in result.resources:
            meta = obj["metadata"]
            if (obj["kind"], meta.get("namespace"), meta["name"]) != (
                cause.kind,
                cause.namespace,
                cause.name,
            ):
                continue
            for item in obj["spec"]["rules"][index].get("filters", []):
                if item["type"] == "ResponseHeaderModifier":
                    for header in item["responseHeaderModifier"].get("set", []):
                        found[header["name"]] = header["value"]
    return found


def test_add_headers_yield_to_a_location_s_custom_headers() -> None:
    """nginx.go reads the ``add-headers`` ConfigMap into ``more_set_headers`` of the ``http``
    block; a location's own ``more_set_headers`` (custom-headers) run after it and win."""
    text = _text(
        _configmap(
            {
                "add-headers": "ingress-nginx/response-headers",
                "global-allowed-response-headers": "X-Team",
            }
        ),
        _headers_configmap({"X-Team": "platform", "X-Frame-Options": "DENY"}),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "team", "namespace": NS},
            "data": {"X-Team": "shop"},
        },
        _ingress("shop", "shop.example.com", {"/": "app"}, {A + "custom-headers": f"{NS}/team"}),
        _ingress("blog", "blog.example.com", {"/": "blog"}),
    )
    assert _response_headers(text, Request("shop.example.com")) == {
        "X-Team": "shop",
        "X-Frame-Options": "DENY",
    }
    assert _response_headers(text, Request("blog.example.com")) == {
        "X-Team": "platform",
        "X-Frame-Options": "DENY",
    }


def test_add_headers_with_an_nginx_variable_are_not_copied() -> None:
    """``more_set_headers "X-Client: $remote_addr"`` is expanded per request by nginx: the
    literal text would be a lie, so no header of the ConfigMap is converted and the ledger
    says why."""
    text = _text(
        _configmap({"add-headers": "ingress-nginx/response-headers"}),
        _headers_configmap({"X-Client": "$remote_addr", "X-Other": "1"}),
        _ingress("site", "site.example.com", {"/": "app"}),
    )
    assert _response_headers(text, Request("site.example.com")) == {}
    entries = [
        e
        for e in convert(text).report.ledger.values()
        if e.field == "data[add-headers]" and e.status.value == "unsupported"
    ]
    assert entries and "nginx variable" in "; ".join(entries[0].notes)


# --- annotation-value-word-blocklist ----------------------------------------------------------


def test_an_empty_word_of_the_blocklist_drops_every_ingress_with_an_annotation() -> None:
    """store.go checkBadAnnotationValue splits the list on commas and keeps each word as it
    is: a trailing comma makes an empty word, which ``strings.Contains`` finds in every value,
    so every Ingress with an annotation of the controller's prefix is skipped, and one
    without stays."""
    text = _text(
        _configmap({"annotation-value-word-blocklist": "content_by_lua_block,"}),
        _ingress("annotated", "a.example.com", {"/": "app"}, {A + "ssl-redirect": "false"}),
        _ingress("plain", "b.example.com", {"/": "app"}),
    )
    assert isinstance(answer(convert(text), Request("a.example.com")), NoRoute)
    assert backend(answer(convert(text), Request("b.example.com"))) == f"{NS}/app"
    assert ("error", "nginx-ingress-dropped", True) in _codes(text)
    assert unexplained(text) == []


# --- closed rules: 503 where the controller denied the location --------------------------------


def test_a_denied_location_answers_503_on_envoy_gateway_and_500_on_standard() -> None:
    """An allow-list without one address denies the location (ipallowlist/main.go:
    LocationDenied; nginx.tmpl ``return 503``). Envoy Gateway answers the closed rule with 503
    (an HTTPRouteFilter direct response, valid for its CRD); standard Gateway API can only
    leave it without backends (500), and the security error says so."""
    text = _text(
        _ingress(
            "site",
            "site.example.com",
            {"/": "app"},
            {A + "whitelist-source-range": "not-an-address"},
        )
    )
    eg = answer(convert(text, EG), Request("site.example.com"))
    assert isinstance(eg, Respond) and eg.status == 503
    filters = [o for o in convert(text, EG).resources if o["kind"] == "HTTPRouteFilter"]
    assert [f["spec"] for f in filters] == [{"directResponse": {"statusCode": 503}}]
    assert not {code for _, code, _ in _codes(text, EG)} & {"output-invalid"}
    plain = answer(convert(text), Request("site.example.com"))
    assert isinstance(plain, Respond) and plain.status == 500
    for emitter in ("standard", EG):
        assert unexplained(text, emitter) == []


def test_an_ingress_the_controller_drops_for_a_bad_value_stays_500() -> None:
    """A value its validator refuses (an auth-url with configuration characters) makes the
    controller drop the whole Ingress (annotations.go Extract: a validation error), not deny
    it with 503: the closed rule keeps Gateway API's 500 on either emitter."""
    text = _text(
        _ingress(
            "site",
            "site.example.com",
            {"/": "app"},
            {A + "auth-url": "http://auth.example.com/;return 200"},
        )
    )
    for emitter in ("standard", EG):
        outcome = answer(convert(text, emitter), Request("site.example.com"))
        assert isinstance(outcome, Respond) and outcome.status == 500, emitter


# --- permanent-redirect to a path ---------------------------------------------------------------


def test_a_permanent_redirect_to_a_path_keeps_the_request_s_scheme_and_host() -> None:
    """redirect.go does not check permanent-redirect's URL; ``return 301 /new`` (nginx.tmpl)
    answers with an absolute Location of the request's scheme and host, on HTTPS as on plain
    HTTP (the rewrite phase comes before the controller's HTTPS redirect). It was refused as
    "not an absolute http(s) URL" and the path served."""
    ingress = _ingress("moved", "old.example.com", {"/": "app"}, {A + "permanent-redirect": "/new"})
    ingress["spec"]["tls"] = [{"hosts": ["old.example.com"], "secretName": "old-tls"}]
    text = _text(ingress)
    for scheme in ("http", "https"):
        outcome = answer(convert(text), Request("old.example.com", "/x", scheme))
        assert (getattr(outcome, "status", None), getattr(outcome, "location", None)) == (
            301,
            f"{scheme}://old.example.com/new",
        ), scheme
    assert unexplained(text) == []


# --- canaries ---------------------------------------------------------------------------------


def _catch_all(
    name: str, service: str, annotations: Mapping[str, str], minute: int
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": f"2024-01-01T00:{minute:02d}:00Z",
            "annotations": dict(annotations),
        },
        "spec": {
            "ingressClassName": "nginx",
            "defaultBackend": {"service": {"name": service, "port": {"number": 80}}},
        },
    }


def test_a_catch_all_canary_joins_every_location_of_the_catch_all_server() -> None:
    """controller.go mergeAlternativeBackends, "merge catch-all alternative backends": a
    canary Ingress with only a defaultBackend joins the upstream of every location of the
    catch-all server; its header sends a request there, and without it the mainline answers.
    The canary's header rule was missing: ``X-Canary: always`` reached the mainline."""
    text = _text(
        _catch_all(
            "canary", "app-canary", {A + "canary": "true", A + "canary-by-header": "X-Canary"}, 0
        ),
        _catch_all("main", "app", {}, 1),
    )
    plain = Request("anything.example.com", "/x")
    assert backend(answer(convert(text), plain)) == f"{NS}/app"
    flagged = plain.with_headers(("X-Canary", "always"))
    assert backend(answer(convert(text), flagged)) == f"{NS}/app-canary"
    assert unexplained(text) == []


# --- ExternalName Services --------------------------------------------------------------------


def _external_service(name: str, external: str, port: int, target: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "type": "ExternalName",
            "externalName": external,
            "ports": [{"name": "http", "port": port, "targetPort": target}],
        },
    }


def test_an_external_name_service_is_reached_on_its_target_port_through_a_backend() -> None:
    """controller.go externalNamePorts / endpointslices.go: the controller connects to the
    ``externalName`` on the port's ``targetPort``. On Envoy Gateway (which refuses ExternalName
    Services as backendRefs) the route names a Backend of that host and port; an IP address
    is an IP endpoint."""
    text = _text(
        _external_service("legacy", "Legacy.Example.org.", 80, 8080),
        _external_service("db", "192.0.2.7", 80, 8081),
        _ingress("site", "site.example.com", {"/": "legacy", "/db": "db"}),
    )
    result = convert(text, EG)
    backends = {
        o["metadata"]["name"]: o["spec"]["endpoints"]
        for o in result.resources
        if o["kind"] == "Backend"
    }
    assert sorted(backends.values(), key=str) == [
        [{"fqdn": {"hostname": "legacy.example.org", "port": 8080}}],
        [{"ip": {"address": "192.0.2.7", "port": 8081}}],
    ]
    outcome = answer(result, Request("site.example.com", "/db"))
    assert isinstance(outcome, Forward)
    assert outcome.backends[0][0].display() == "External 192.0.2.7:8081"
    assert not {c for _, c, _ in _codes(text, EG)} & {"output-invalid", "extension-unsupported"}
    assert unexplained(text, EG) == []


# --- ssl-passthrough --------------------------------------------------------------------------


def _passthrough(annotations: Mapping[str, str] | None = None) -> str:
    ingress = _ingress(
        "pass",
        "pass.example.com",
        {"/": "app"},
        {A + "ssl-passthrough": "true", **(annotations or {})},
    )
    ingress["spec"]["tls"] = [{"hosts": ["pass.example.com"], "secretName": "pass-tls"}]
    return _text(ingress)


def test_plain_http_to_a_passthrough_host_with_a_certificate_is_redirected() -> None:
    """controller.go createServers gives a passthrough server its Secret's certificate like any
    other, so lua_ingress.lua redirect_to_https answers plain HTTP with a 308 (the HTTP route
    served it, and no HTTPS listener remains to say so); TLS reaches the backend untouched."""
    text = _passthrough()
    for emitter in ("standard", EG):
        result = convert(text, emitter)
        plain = answer(result, Request("pass.example.com", "/a?b=1"))
        assert isinstance(plain, Redirect) and plain.status == 308
        assert plain.location.startswith("https://pass.example.com/a")
        tls = answer(result, Request("pass.example.com", protocol="TLS"))
        assert backend(tls) == f"{NS}/app"
        https = answer(result, Request("pass.example.com", "/a", scheme="https"))
        assert backend(https) == f"{NS}/app"
        assert unexplained(text, emitter) == []


def test_ssl_redirect_false_keeps_a_passthrough_host_serving_plain_http() -> None:
    text = _passthrough({A + "ssl-redirect": "false"})
    assert backend(answer(convert(text), Request("pass.example.com", "/a"))) == f"{NS}/app"
    assert unexplained(text) == []


def test_https_to_a_passthrough_host_without_a_certificate_still_reaches_its_backend() -> None:
    """The controller's TCP proxy owns port 443 with ssl-passthrough and hands a connection
    whose SNI is exactly a passthrough host to its backend before nginx looks for a
    certificate (pkg/tcpproxy/tcp.go): no ``spec.tls`` is needed, and plain HTTP is served."""
    ingress = _ingress("pass", "pass.example.com", {"/": "app"}, {A + "ssl-passthrough": "true"})
    text = _text(ingress)
    result = convert(text)
    https = answer(result, Request("pass.example.com", "/a", scheme="https"))
    assert backend(https) == f"{NS}/app"
    assert backend(answer(result, Request("pass.example.com", "/a"))) == f"{NS}/app"
    assert unexplained(text) == []
