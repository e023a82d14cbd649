"""The Gateway API model of ``verify``, on hand-written scenarios from the specification."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Backend,
    Forward,
    NoRoute,
    Outcome,
    Redirect,
    Request,
    Respond,
)

GW = "gateway.networking.k8s.io/v1"


def gateway(*listeners: dict[str, Any], name: str = "gw", namespace: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"gatewayClassName": "eg", "listeners": list(listeners)},
    }


def listener(
    name: str, port: int = 80, protocol: str = "HTTP", hostname: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "port": port, "protocol": protocol, **extra}
    if hostname:
        body["hostname"] = hostname
    return body


def route(
    name: str,
    *rules: dict[str, Any],
    hostnames: tuple[str, ...] = (),
    namespace: str = "web",
    section: str | None = None,
    kind: str = "HTTPRoute",
) -> dict[str, Any]:
    parent: dict[str, Any] = {"name": "gw", "namespace": "web"}
    if section:
        parent["sectionName"] = section
    spec: dict[str, Any] = {"parentRefs": [parent], "rules": list(rules)}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {
        "apiVersion": GW,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def rule(*matches: dict[str, Any], to: str | None = "app", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"matches": list(matches), **extra}
    if to is not None:
        body["backendRefs"] = [{"name": to, "port": 80}]
    return body


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def exact(value: str) -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}}


def regex(value: str) -> dict[str, Any]:
    return {"path": {"type": "RegularExpression", "value": value}}


def backend_of(outcome: Outcome) -> str | None:
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        return outcome.backends[0][0].name
    return None


def routed(objects: list[dict[str, Any]], *requests: Request) -> list[Outcome]:
    model = GatewayAPIModel(objects)
    return [model.route(r).outcome for r in requests]


def get(path: str, host: str = "a.example.com", **kw: Any) -> Request:
    return Request(host, path, **kw)


HTTP = gateway(listener("http"))


def test_exact_beats_any_prefix_and_the_longest_prefix_wins() -> None:
    objects = [
        HTTP,
        route(
            "r",
            rule(prefix("/"), to="root"),
            rule(prefix("/api"), to="api"),
            rule(prefix("/api/v1"), to="v1"),
            rule(exact("/api"), to="exact"),
        ),
    ]
    answers = routed(objects, get("/api"), get("/api/"), get("/api/v1/x"), get("/apix"), get("/"))
    assert [backend_of(a) for a in answers] == ["exact", "api", "v1", "root", "root"]


@pytest.mark.parametrize(
    ("value", "path", "hit"),
    [
        ("/abc", "/abc", True),
        ("/abc", "/abc/", True),
        ("/abc", "/abc/d", True),
        ("/abc", "/abcd", False),
        ("/abc/", "/abc", True),  # a trailing slash in the value is ignored
        ("/", "/anything", True),
    ],
)
def test_path_prefix_is_element_wise(value: str, path: str, hit: bool) -> None:
    [answer] = routed([HTTP, route("r", rule(prefix(value)))], get(path))
    assert (backend_of(answer) == "app") == hit


def test_regular_expressions_match_the_whole_path_and_sort_between_exact_and_prefix() -> None:
    objects = [
        HTTP,
        route("r", rule(prefix("/api/v1/items"), to="prefix"), rule(regex("/api/.*"), to="regex")),
    ]
    # Envoy Gateway: RegularExpression before any PathPrefix, however long.
    assert [backend_of(a) for a in routed(objects, get("/api/v1/items/3"), get("/x/api/"))] == [
        "regex",
        None,
    ]


def test_an_exact_host_name_route_beats_a_wildcard_route_whatever_its_paths() -> None:
    objects = [
        gateway(listener("http")),
        route("wild", rule(prefix("/long/path"), to="wild"), hostnames=("*.example.com",)),
        route("exact", rule(prefix("/"), to="exact"), hostnames=("a.example.com",)),
    ]
    answers = routed(objects, get("/long/path"), get("/long/path", host="b.example.com"))
    assert [backend_of(a) for a in answers] == ["exact", "wild"]


def test_the_most_specific_listener_takes_the_request_even_without_a_route() -> None:
    objects = [
        gateway(
            listener("wild", hostname="*.example.com"), listener("a", hostname="a.example.com")
        ),
        route("r", rule(prefix("/")), hostnames=("*.example.com",), section="wild"),
    ]
    answers = routed(objects, get("/", host="a.example.com"), get("/", host="b.example.com"))
    assert isinstance(answers[0], NoRoute) and answers[0].status == 404
    assert backend_of(answers[1]) == "app"


def test_no_listener_on_the_port_or_for_the_scheme() -> None:
    objects = [gateway(listener("http", hostname="a.example.com")), route("r", rule(prefix("/")))]
    https, other = routed(objects, get("/", scheme="https"), get("/", host="b.example.com"))
    assert https == NoRoute(0) and other == NoRoute(404)


def test_an_sni_no_https_listener_names_closes_the_connection() -> None:
    """Envoy Gateway writes a filter chain per HTTPS listener, named by its host name: a TLS
    handshake for another name finds none (no HTTP answer at all), unlike a plain-text request
    for a host no listener names (404)."""
    tls = {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}
    objects = [
        gateway(
            listener("https", 443, "HTTPS", hostname="a.example.com", tls=tls),
            listener("http", hostname="a.example.com"),
        ),
        route("r", rule(prefix("/"))),
    ]
    served, other_sni, other_host = routed(
        objects,
        get("/", scheme="https"),
        get("/", host="b.example.com", scheme="https"),
        get("/", host="b.example.com"),
    )
    assert backend_of(served) == "app"
    assert other_sni == NoRoute(0) and other_host == NoRoute(404)


def test_header_and_method_matches_add_precedence() -> None:
    canary = prefix("/", headers=[{"name": "X-Canary", "value": "always"}])
    objects = [HTTP, route("r", rule(prefix("/"), to="stable"), rule(canary, to="canary"))]
    plain, flagged, wrong = routed(
        objects,
        get("/x"),
        get("/x", headers=(("x-canary", "always"),)),
        get("/x", headers=(("x-canary", "Always"),)),
    )
    assert [backend_of(a) for a in (plain, flagged, wrong)] == ["stable", "canary", "stable"]


def test_weights_are_shares_of_the_traffic() -> None:
    split = {
        "matches": [prefix("/")],
        "backendRefs": [
            {"name": "a", "port": 80, "weight": 90},
            {"name": "b", "port": 80, "weight": 10},
            {"name": "c", "port": 80, "weight": 0},
        ],
    }
    [answer] = routed(
        [HTTP, {**route("r"), "spec": {**route("r")["spec"], "rules": [split]}}], get("/")
    )
    assert isinstance(answer, Forward)
    assert dict(answer.backends) == {
        Backend("web", "a", 80): Fraction(9, 10),
        Backend("web", "b", 80): Fraction(1, 10),
    }


def test_a_backend_in_another_namespace_needs_a_reference_grant() -> None:
    other = rule(
        prefix("/"), to=None, backendRefs=[{"name": "app", "namespace": "other", "port": 80}]
    )
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": "other"},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "web"}
            ],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    [without] = routed([HTTP, route("r", other)], get("/"))
    [granted] = routed([HTTP, route("r", other), grant], get("/"))
    assert isinstance(without, Respond) and without.status == 500
    assert isinstance(granted, Forward) and granted.backends[0][0] == Backend("other", "app", 80)


def test_a_rule_without_backends_answers_500_and_keeps_its_requests() -> None:
    objects = [HTTP, route("r", rule(prefix("/"), to="open"), rule(prefix("/admin"), to=None))]
    closed, sub, rest = routed(objects, get("/admin"), get("/admin/x"), get("/other"))
    assert closed == Respond(500) and sub == Respond(500) and backend_of(rest) == "open"


def test_redirects_follow_the_filter_and_the_port_rules() -> None:
    to_https = {
        "type": "RequestRedirect",
        "requestRedirect": {"scheme": "https", "statusCode": 301},
    }
    moved = {
        "type": "RequestRedirect",
        "requestRedirect": {
            "hostname": "b.example.com",
            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"},
        },
    }
    objects = [
        gateway(listener("http"), listener("alt", port=8080)),
        route(
            "r",
            rule(prefix("/"), to=None, filters=[to_https]),
            rule(prefix("/old"), to=None, filters=[moved]),
        ),
    ]
    answers = routed(
        objects,
        get("/x", query="a=1"),
        get("/old/page"),
        get("/old/page", port=8080),
    )
    assert answers == [
        Redirect(301, "https://a.example.com/x?a=1"),
        Redirect(302, "http://b.example.com/new/page"),
        Redirect(302, "http://b.example.com:8080/new/page"),
    ]


@pytest.mark.parametrize(
    ("match", "replacement", "path", "seen"),
    [
        ("/foo", "/xyz", "/foo/bar", "/xyz/bar"),
        ("/foo", "", "/foo/bar", "/bar"),
        ("/foo", "", "/foo", "/"),
        ("/foo", "/xyz", "/foo/", "/xyz/"),
        ("/foo", "/xyz", "/foo", "/xyz"),
        ("/foo/", "/xyz", "/foo/bar", "/xyz/bar"),
        ("/foo", "/", "/foo/bar", "/bar"),
    ],
)
def test_replace_prefix_match_works_on_path_elements(
    match: str, replacement: str, path: str, seen: str
) -> None:
    rewrite = {
        "type": "URLRewrite",
        "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": replacement}},
    }
    [answer] = routed([HTTP, route("r", rule(prefix(match), filters=[rewrite]))], get(path))
    assert isinstance(answer, Forward) and answer.path == seen


def test_routes_of_a_namespace_the_listener_does_not_admit_do_not_attach() -> None:
    admitting = listener(
        "http",
        allowedRoutes={
            "namespaces": {
                "from": "Selector",
                "selector": {
                    "matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["web"]}
                    ]
                },
            }
        },
    )
    objects = [
        gateway(admitting),
        route("in", rule(prefix("/in"), to="in")),
        route("out", rule(prefix("/out"), to="out"), namespace="shop"),
    ]
    inside, outside = routed(objects, get("/in"), get("/out"))
    assert backend_of(inside) == "in" and outside == NoRoute(404)


def test_tls_passthrough_goes_by_sni() -> None:
    objects = [
        gateway(listener("tls", 443, "TLS", "*.example.com", tls={"mode": "Passthrough"})),
        route(
            "t",
            {"backendRefs": [{"name": "db", "port": 5432}]},
            hostnames=("db.example.com",),
            kind="TLSRoute",
        ),
    ]
    hit, miss = routed(
        objects,
        Request("db.example.com", protocol="TLS"),
        Request("web.example.com", protocol="TLS"),
    )
    assert backend_of(hit) == "db" and isinstance(miss, NoRoute)


def test_an_https_request_to_a_passthrough_sni_reaches_the_tls_route_unchanged() -> None:
    """An https request is a TLS handshake first: the most specific listener of port 443 for
    its SNI, TLS or HTTPS, takes it; a passthrough one hands it, path and all, to its
    TLSRoute's backend."""
    objects = [
        gateway(
            listener("pass", 443, "TLS", "db.example.com", tls={"mode": "Passthrough"}),
            listener("https", 443, "HTTPS", "*.example.com"),
        ),
        route(
            "t",
            {"backendRefs": [{"name": "db", "port": 8443}]},
            hostnames=("db.example.com",),
            kind="TLSRoute",
        ),
        route("web", rule(prefix("/"), to="web"), hostnames=("*.example.com",), section="https"),
    ]
    passed, terminated = routed(
        objects,
        get("/x/y", host="db.example.com", scheme="https"),
        get("/x/y", host="www.example.com", scheme="https"),
    )
    assert isinstance(passed, Forward) and backend_of(passed) == "db"
    assert (passed.host, passed.path) == ("db.example.com", "/x/y")
    assert backend_of(terminated) == "web"


def test_envoy_gateway_security_policies_guard_the_rule_or_route_they_target() -> None:
    named = rule(prefix("/admin"), to="admin", name="admin")
    objects = [
        HTTP,
        route("r", rule(prefix("/"), to="site"), named),
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "SecurityPolicy",
            "metadata": {"name": "p", "namespace": "web"},
            "spec": {
                "targetRefs": [
                    {
                        "group": "gateway.networking.k8s.io",
                        "kind": "HTTPRoute",
                        "name": "r",
                        "sectionName": "admin",
                    }
                ],
                "basicAuth": {"users": {"name": "htpasswd"}},
                "authorization": {
                    "defaultAction": "Deny",
                    "rules": [{"action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}],
                },
            },
        },
    ]
    site, admin = routed(objects, get("/"), get("/admin"))
    assert isinstance(site, Forward) and site.guards == ()
    assert isinstance(admin, Forward) and admin.guards == ("basic-auth", "ip-allow 10.0.0.0/8")


def test_envoy_gateway_regex_rewrite_filter() -> None:
    objects = [
        HTTP,
        route(
            "r",
            rule(
                prefix("/app"),
                filters=[
                    {
                        "type": "ExtensionRef",
                        "extensionRef": {
                            "group": "gateway.envoyproxy.io",
                            "kind": "HTTPRouteFilter",
                            "name": "f",
                        },
                    }
                ],
            ),
        ),
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "HTTPRouteFilter",
            "metadata": {"name": "f", "namespace": "web"},
            "spec": {
                "urlRewrite": {
                    "path": {
                        "type": "ReplaceRegexMatch",
                        "replaceRegexMatch": {"pattern": "^/app(/|$)(.*)", "substitution": "/\\2"},
                    }
                }
            },
        },
    ]
    [answer] = routed(objects, get("/app/x/y"))
    assert isinstance(answer, Forward) and answer.path == "/x/y"


def test_grpc_calls_go_to_grpc_routes_by_service_and_method() -> None:
    grpc_route = route(
        "g",
        {
            "matches": [{"method": {"service": "shop.Cart", "method": "Add"}}],
            "backendRefs": [{"name": "add", "port": 50051}],
        },
        {
            "matches": [{"method": {"service": "shop.Cart"}}],
            "backendRefs": [{"name": "cart", "port": 50051}],
        },
        kind="GRPCRoute",
    )
    objects = [HTTP, grpc_route, route("h", rule(prefix("/"), to="web"))]
    add, other, plain = routed(
        objects,
        get("/shop.Cart/Add", method="POST", grpc=True),
        get("/shop.Cart/Remove", method="POST", grpc=True),
        get("/shop.Cart/Add"),
    )
    assert [backend_of(a) for a in (add, other, plain)] == ["add", "cart", "web"]


def test_an_envoy_gateway_backend_naming_a_service_reaches_that_service() -> None:
    """The envoy-gateway emitter puts TLS options on a Backend whose endpoint is the Service's
    cluster DNS name: requests reach the Service (and compare with a Service backend)."""
    backend = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "Backend",
        "metadata": {"name": "legacy-tls", "namespace": "web"},
        "spec": {
            "endpoints": [{"fqdn": {"hostname": "legacy.web.svc.cluster.local", "port": 8443}}],
            "tls": {"insecureSkipVerify": True},
        },
    }
    ref = {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "legacy-tls"}
    objects = [HTTP, backend, route("r", rule(prefix("/"), to=None, backendRefs=[ref]))]
    (answer,) = routed(objects, get("/"))
    assert isinstance(answer, Forward)
    assert answer.backends[0][0] == Backend("web", "legacy", 8443, "Service")


def test_an_envoy_gateway_backend_of_an_external_host_reaches_that_host_and_port() -> None:
    """A Backend whose one endpoint is another host (an FQDN, an IP address) reaches that
    host and port: the same backend as an ExternalName Service of that name, whatever the
    Backend object is called (names compared as DNS does: case, trailing dot)."""

    def backend(name: str, endpoint: dict[str, object]) -> dict[str, object]:
        return {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "Backend",
            "metadata": {"name": name, "namespace": "web"},
            "spec": {"endpoints": [endpoint]},
        }

    objects = [
        HTTP,
        backend("api", {"fqdn": {"hostname": "API.Example.com.", "port": 443}}),
        backend("db", {"ip": {"address": "10.0.0.9", "port": 5432}}),
        route(
            "r",
            rule(
                prefix("/api"),
                to=None,
                backendRefs=[{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "api"}],
            ),
            rule(
                prefix("/db"),
                to=None,
                backendRefs=[{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "db"}],
            ),
        ),
    ]
    api, db = routed(objects, get("/api"), get("/db"))
    assert isinstance(api, Forward) and isinstance(db, Forward)
    assert api.backends[0][0] == Backend("", "api.example.com", 443, "External")
    assert db.backends[0][0] == Backend("", "10.0.0.9", 5432, "External")
    assert api.backends[0][0].display() == "External api.example.com:443"


def _own_gateway(index: int, hostname: str) -> list[dict[str, Any]]:
    """A Gateway of its own (as GKE and Cilium's dedicated mode give each Ingress) with one
    route to backend ``app<index>``."""
    name = f"gw{index}"
    body = route(f"r{index}", rule(prefix("/"), to=f"app{index}"))
    body["spec"]["parentRefs"] = [{"name": name, "namespace": "web"}]
    return [gateway(listener("http", hostname=hostname), name=name), body]


def test_among_many_gateways_each_host_reaches_the_gateway_that_names_it() -> None:
    objects = [
        *_own_gateway(0, "a.example.com"),
        *_own_gateway(1, "*.example.org"),
        *_own_gateway(2, "*.deep.example.org"),
        *_own_gateway(3, "other.net"),
    ]
    answers = routed(
        objects,
        get("/", host="A.Example.com"),
        get("/", host="b.example.org"),
        get("/", host="x.y.deep.example.org"),
        get("/", host="example.org"),
        get("/", host="other.net"),
        get("/", host="nowhere.net"),
        get("/", host="a.example.com", port=8080),
    )
    assert [backend_of(a) for a in answers[:5]] == ["app0", "app1", None, None, "app3"]
    # Two Gateways take x.y.deep.example.org (*.example.org too) and answer differently.
    assert isinstance(answers[2], NoRoute) and "2 Gateways" in answers[2].why
    assert answers[3] == NoRoute(404) and answers[5] == NoRoute(404)
    assert answers[6] == NoRoute(0)  # nothing listens on 8080
