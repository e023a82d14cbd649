"""The Istio source model of ``verify``: scenarios from Istio's own tests (each names the
upstream test it comes from), request in, outcome out; and ``verify`` over every golden case,
the Istio corpus and the peer fixtures, with no difference the report does not explain."""

from __future__ import annotations

import ast
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Backend,
    Forward,
    NoRoute,
    Outcome,
    Redirect,
    Request,
    Respond,
    Routed,
)
from ingress2gateway.verification.probes import UNKNOWN_HOST
from ingress2gateway.verification.run import verify
from ingress2gateway_providers.istio.controller_model import IstioModel, controller_model

from .golden import Case, cases
from .shared_data import require_shared, shared_yaml_files

MODEL_DIR = (
    Path(__file__).resolve().parent.parent
    / "providers"
    / "ingress2gateway_providers"
    / "istio"
    / "controller_model"
)
NET = "networking.istio.io/v1"


# --- objects -------------------------------------------------------------------------------------


def gateway(
    *servers: dict[str, Any],
    name: str = "gw",
    namespace: str = "istio-system",
    selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"servers": list(servers)}
    spec["selector"] = selector if selector is not None else {"istio": "ingressgateway"}
    return {"apiVersion": NET, "kind": "Gateway", "metadata": _meta(name, namespace), "spec": spec}


def server(
    port: int = 80,
    protocol: str = "HTTP",
    hosts: tuple[str, ...] = ("*",),
    name: str | None = None,
    **tls: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "port": {
            "number": port,
            "protocol": protocol,
            "name": name or f"{protocol.lower()}-{port}",
        },
        "hosts": list(hosts),
    }
    if tls:
        body["tls"] = tls
    return body


def vs(
    name: str,
    *http: dict[str, Any],
    hosts: tuple[str, ...] | None = ("a.example.com",),
    gateways: tuple[str, ...] = ("istio-system/gw",),
    namespace: str = "apps",
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"http": list(http), **spec}
    if hosts is not None:
        body["hosts"] = list(hosts)
    if gateways:
        body["gateways"] = list(gateways)
    return {
        "apiVersion": NET,
        "kind": "VirtualService",
        "metadata": _meta(name, namespace),
        "spec": body,
    }


def http(
    *matches: dict[str, Any], to: str | None = "app", port: int = 80, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = dict(extra)
    if matches:
        body["match"] = list(matches)
    if to is not None:
        body["route"] = [{"destination": {"host": to, "port": {"number": port}}}]
    return body


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"uri": {"prefix": value}, **extra}


def exact(value: str, **extra: Any) -> dict[str, Any]:
    return {"uri": {"exact": value}, **extra}


def regex(value: str, **extra: Any) -> dict[str, Any]:
    return {"uri": {"regex": value}, **extra}


def _meta(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace}


def objects_of(*docs: dict[str, Any]) -> list[KubeObject]:
    return [KubeObject(doc, Origin("test.yaml", None, i)) for i, doc in enumerate(docs)]


def model(*docs: dict[str, Any], **provider_options: str) -> IstioModel:
    options = ConvertOptions(provider_options={"istio": provider_options})
    found = controller_model(objects_of(*docs), options)
    assert found is not None
    return found


def get(path: str = "/", host: str = "a.example.com", **kw: Any) -> Request:
    return Request(host, path, **kw)


def outcome(m: IstioModel, request: Request) -> Outcome:
    return m.route(request).outcome


def to(
    name: str,
    path: str,
    host: str = "a.example.com",
    port: int = 80,
    ns: str = "apps",
    guards: tuple[str, ...] = (),
) -> Forward:
    return Forward(((Backend(ns, name, port), Fraction(1)),), path, host, guards)


def backend_name(answer: Outcome) -> str | None:
    if isinstance(answer, Forward) and len(answer.backends) == 1:
        return answer.backends[0][0].name
    return None


HTTP = gateway(server())


# --- independence --------------------------------------------------------------------------------

ALLOWED = ("ingress2gateway.verification", "ingress2gateway.objects", "ingress2gateway.plugin")


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_the_model_imports_nothing_of_the_converter() -> None:
    """An oracle that shares the converter's misunderstanding finds nothing: the model may
    import the standard library, the verify framework, objects and options, and itself."""
    modules = sorted(MODEL_DIR.glob("*.py"))
    assert len(modules) >= 5
    wrong = []
    for path in modules:
        for name, level in _imports(path):
            if level == 1:
                continue  # a sibling module of the model
            top = name.partition(".")[0]
            allowed = level == 0 and (
                top in sys.stdlib_module_names
                or top == "__future__"
                or any(name == a or name.startswith(a + ".") for a in ALLOWED)
            )
            if not allowed:
                wrong.append(f"{path.name}: {'.' * level}{name}")
    assert wrong == []


def test_the_structure_check_catches_a_converter_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from ..virtualservice import VS\nimport ingress2gateway.converting.lowering\n")
    assert _imports(bad) == [("virtualservice", 2), ("ingress2gateway.converting.lowering", 0)]


def test_the_provider_hands_out_its_model() -> None:
    from ingress2gateway.registry import load_provider

    provider = load_provider("istio")
    found = provider.controller_model(objects_of(HTTP, vs("a", http())), ConvertOptions())  # type: ignore[attr-defined]
    assert isinstance(found, IstioModel)
    assert provider.controller_model(objects_of(), ConvertOptions()) is None  # type: ignore[attr-defined]


# --- route.go: matches, first match wins ---------------------------------------------------------


def test_first_match_wins_in_list_order_and_the_catch_all_stops_the_list() -> None:
    """route_test.go TestBuildHTTPRoutes "for virtual service with catch all route": the routes
    are built in order; a catch-all match ends the list (a later route is never built)."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/route/v1"), to="v1"),
            http(prefix("/"), to="catch-all"),
            http(exact("/never"), to="never"),
        ),
    )
    assert backend_name(outcome(m, get("/route/v1/x"))) == "v1"
    assert backend_name(outcome(m, get("/never"))) == "catch-all"
    assert backend_name(outcome(m, get("/"))) == "catch-all"


def test_prefix_is_a_character_prefix() -> None:
    """virtual_service.proto: ``prefix`` is Envoy's ``prefix``; the analyzers' test data
    (virtualservice_overlappingmatches.yaml) has ``/api/v1/prod`` take ``/api/v1/product``."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/api/v1/prod", method={"exact": "GET"}), to="foo"),
            http(prefix("/api/v1/product", method={"exact": "GET"}), to="bar"),
        ),
    )
    assert backend_name(outcome(m, get("/api/v1/products"))) == "foo"
    assert outcome(m, get("/api/v1/products", method="POST")) == NoRoute(404)


def test_exact_regex_and_ignore_uri_case() -> None:
    """route_test.go "for virtual service with regex matching on URI"; TranslateRouteMatch sets
    ``case_sensitive: false`` for ``ignoreUriCase``, which Envoy applies to path and prefix
    matches, not to regular expressions (virtual_service.proto: ignore_uri_case)."""
    m = model(
        HTTP,
        vs(
            "a",
            http(exact("/Exact", ignoreUriCase=True), to="exact"),
            http(regex("/rx/[0-9]+", ignoreUriCase=True), to="regex"),
            http(prefix("/Docs", ignoreUriCase=True), to="docs"),
        ),
    )
    assert backend_name(outcome(m, get("/exact"))) == "exact"
    assert outcome(m, get("/exact/x")) == NoRoute(404)
    assert backend_name(outcome(m, get("/rx/12"))) == "regex"
    assert outcome(m, get("/RX/12")) == NoRoute(404)
    assert backend_name(outcome(m, get("/docsify"))) == "docs"


def test_header_query_and_presence_matches() -> None:
    """route_test.go "for virtual service with presence matching on header", "... regex
    matching on without_header", "... prefix matching on query parameter":
    ``{}`` asks for presence; withoutHeaders inverts (a missing header counts as empty);
    query parameters match the first value."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/", headers={"x-present": {}}), to="present"),
            http(prefix("/", withoutHeaders={"x-internal": {"regex": "tr.*"}}), to="public"),
            http(prefix("/", queryParams={"v": {"prefix": "2"}}), to="query"),
            http(to="rest"),
        ),
    )
    assert backend_name(outcome(m, get().with_headers(("X-Present", "")))) == "present"
    assert backend_name(outcome(m, get())) == "public"
    internal = get(query="v=2x").with_headers(("x-internal", "true"))
    assert backend_name(outcome(m, internal)) == "query"
    assert backend_name(outcome(m, get().with_headers(("x-internal", "true")))) == "rest"


def test_method_authority_and_scheme_are_header_matches() -> None:
    """TranslateRouteMatch: ``method``, ``authority`` and ``scheme`` become ``:method``,
    ``:authority`` and ``:scheme`` header matches; the authority carries a non-default port."""
    m = model(
        gateway(server(80), server(8080, name="alt")),
        vs(
            "a",
            http(prefix("/", authority={"exact": "a.example.com:8080"}), to="alt-port"),
            http(prefix("/", method={"regex": "GET|HEAD"}, scheme={"exact": "http"}), to="read"),
            http(to="rest"),
        ),
    )
    assert backend_name(outcome(m, get(port=8080))) == "alt-port"
    assert backend_name(outcome(m, get(method="HEAD"))) == "read"
    assert backend_name(outcome(m, get(method="POST"))) == "rest"


def test_a_match_on_another_port_is_not_built() -> None:
    """route_test.go "for virtual service with catch all route：port match": a match whose
    ``port`` is not the server's is left out of that server's routes."""
    m = model(
        gateway(server(80), server(8080, name="alt")),
        vs("a", http(prefix("/", port=8080), to="alt"), http(to="default")),
    )
    assert backend_name(outcome(m, get(port=8080))) == "alt"
    assert backend_name(outcome(m, get())) == "default"


def test_per_match_gateways_scope_each_route() -> None:
    """sourceMatchHTTP: a match with ``gateways`` applies only to those gateways; ``mesh`` is
    not an ingress gateway, so a mesh-only route never reaches the ingress (issue 22, 1)."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/admin", gateways=["mesh"]), to="admin"),
            http(prefix("/", gateways=["istio-system/gw"]), to="public"),
            hosts=("a.example.com", "a.apps.svc.cluster.local"),
            gateways=("mesh", "istio-system/gw"),
        ),
    )
    assert backend_name(outcome(m, get("/admin"))) == "public"
    assert backend_name(outcome(m, get("/admin", host="a.apps.svc.cluster.local"))) == "public"


def test_source_labels_and_namespace_select_the_gateway_pods() -> None:
    """sourceMatchHTTP: without ``gateways``, ``sourceLabels`` must be labels of the gateway's
    pods and ``sourceNamespace`` their namespace."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/", sourceLabels={"app": "reviews"}), to="mesh"),
            http(prefix("/", sourceNamespace="istio-system", headers={"x": {}}), to="here"),
            http(prefix("/", sourceLabels={"istio": "ingressgateway"}), to="gateway"),
        ),
    )
    assert backend_name(outcome(m, get().with_headers(("x", "1")))) == "here"
    assert backend_name(outcome(m, get())) == "gateway"


def test_catch_all_routes_of_several_virtual_services_go_last() -> None:
    """route_test.go TestSortVHostRoutes: the routes of every VirtualService of a host are
    appended in creation order, then catch-all routes move behind the others."""
    older = vs("older", http(to="older-all"))
    older["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    newer = vs("newer", http(prefix("/api"), to="newer-api"))
    newer["metadata"]["creationTimestamp"] = "2021-01-01T00:00:00Z"
    m = model(HTTP, newer, older)
    assert backend_name(outcome(m, get("/api/x"))) == "newer-api"
    assert backend_name(outcome(m, get("/x"))) == "older-all"


# --- route.go: what a route does -----------------------------------------------------------------


def test_rewrites() -> None:
    """route_test.go "for prefix path rewrite", "for host rewrite", "for path regex match with
    regex rewrite": ``rewrite.uri`` replaces the matched prefix character for character
    (virtual_service.proto HTTPRewrite), or the whole path of an exact or regex match."""
    m = model(
        HTTP,
        vs(
            "a",
            http(prefix("/app"), rewrite={"uri": "/"}, to="slash"),
            http(prefix("/v1/"), rewrite={"uri": "/v2/", "authority": "b.example.com"}, to="v2"),
            http(exact("/old"), rewrite={"uri": "/new"}, to="exact"),
            http(
                regex("/service/[^/]+/.*"),
                rewrite={
                    "uriRegexRewrite": {
                        "match": "^/service/([^/]+)(/.*)$",
                        "rewrite": "\\2/instance/\\1",
                    }
                },
                to="rx",
            ),
            http(rewrite={"uri": "/v3"}, to="root"),
        ),
    )
    assert outcome(m, get("/app/x")) == to("slash", "//x")
    assert outcome(m, get("/v1/users?id=1", query="")).path == "/v2/users?id=1"  # type: ignore[union-attr]
    assert outcome(m, get("/v1/users", query="id=1")) == to(
        "v2", "/v2/users?id=1", host="b.example.com"
    )
    assert outcome(m, get("/old")) == to("exact", "/new")
    assert outcome(m, get("/service/a/b")) == to("rx", "/b/instance/a")
    assert outcome(m, get("/other")) == to("root", "/v3other")


def test_redirects() -> None:
    """route_test.go "for redirect code" (308), "for full path redirect", "for prefix_rewrite
    redirect", "for invalid redirect code"; ApplyRedirect: 301 by default, ``derivePort``
    FROM_REQUEST_PORT uses the server's port, the scheme's default port is left out."""
    m = model(
        gateway(server(80), server(8080, name="alt")),
        vs(
            "a",
            http(exact("/a"), to=None, redirect={"uri": "/b", "redirectCode": 308}),
            http(prefix("/moved"), to=None, redirect={"authority": "b.example.com"}),
            http(prefix("/foo"), to=None, redirect={"prefixRewrite": "/bar"}),
            http(
                exact("/https"),
                to=None,
                redirect={"scheme": "https", "derivePort": "FROM_REQUEST_PORT"},
            ),
            http(exact("/bad"), to=None, redirect={"uri": "/x", "redirectCode": 399}),
        ),
    )
    assert outcome(m, get("/a", query="q=1")) == Redirect(308, "http://a.example.com/b?q=1")
    assert outcome(m, get("/moved/x")) == Redirect(301, "http://b.example.com/moved/x")
    assert outcome(m, get("/foo/baz")) == Redirect(301, "http://a.example.com/bar/baz")
    assert outcome(m, get("/https")) == Redirect(301, "https://a.example.com:80/https")
    assert outcome(m, get("/https", port=8080)) == Redirect(301, "https://a.example.com:8080/https")
    assert isinstance(outcome(m, get("/bad")), Respond)


def test_direct_response_and_fault_abort() -> None:
    """route_test.go "for direct response code"; TranslateFault: an abort without a
    percentage aborts every request."""
    m = model(
        HTTP,
        vs(
            "a",
            http(exact("/gone"), to=None, directResponse={"status": 410}),
            http(exact("/fail"), fault={"abort": {"httpStatus": 503}}),
            http(
                exact("/flaky"), fault={"abort": {"httpStatus": 503, "percentage": {"value": 10}}}
            ),
        ),
    )
    assert outcome(m, get("/gone")) == Respond(410)
    assert outcome(m, get("/fail")) == Respond(503)
    assert backend_name(outcome(m, get("/flaky"))) == "app"


def test_destinations_weights_ports_and_subsets() -> None:
    """applyHTTPRouteDestination: one destination takes everything whatever its weight, a 0
    (or missing) weight gets nothing; GetDestinationCluster: no port → the Service's only
    port, else the server's; a subset is a part of the Service."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("single", "apps"),
        "spec": {"ports": [{"port": 9080}]},
    }
    split = {
        "route": [
            {
                "destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}},
                "weight": 80,
            },
            {
                "destination": {"host": "reviews", "subset": "v2", "port": {"number": 9080}},
                "weight": 20,
            },
            {"destination": {"host": "reviews", "subset": "v3", "port": {"number": 9080}}},
        ]
    }
    m = model(
        HTTP,
        service,
        vs(
            "a",
            {"match": [exact("/split")], **split},
            {"match": [exact("/one")], "route": [{"destination": {"host": "single"}, "weight": 5}]},
            {
                "match": [exact("/default")],
                "route": [{"destination": {"host": "unknown.other.svc.cluster.local"}}],
            },
            {
                "match": [exact("/ext")],
                "route": [{"destination": {"host": "httpbin.org", "port": {"number": 443}}}],
            },
        ),
    )
    answer = outcome(m, get("/split"))
    assert isinstance(answer, Forward)
    assert [(b.kind, w) for b, w in answer.backends] == [
        ("Service subset v1", Fraction(4, 5)),
        ("Service subset v2", Fraction(1, 5)),
    ]
    assert outcome(m, get("/one")) == to("single", "/one", port=9080)
    assert outcome(m, get("/default")) == to("unknown", "/default", ns="other")
    ext = outcome(m, get("/ext"))
    assert isinstance(ext, Forward) and ext.backends[0][0] == Backend(
        "", "httpbin.org", 443, "host"
    )


# --- gateway.go: servers, hosts, ports, TLS ------------------------------------------------------


def test_server_hosts_are_scoped_by_namespace() -> None:
    """names.go NamesForNamespace examples: ``ns1/foo.com`` binds only VirtualServices of ns1,
    ``*/bar.com`` and ``bar.com`` any; gateway.go sanitizeServerHostNamespace: ``./host`` is
    the Gateway's namespace."""
    m = model(
        gateway(server(hosts=("ns1/foo.com", "*/bar.com", "./own.com")), namespace="edge"),
        vs(
            "one",
            http(to="one"),
            hosts=("foo.com", "bar.com"),
            gateways=("edge/gw",),
            namespace="ns1",
        ),
        vs(
            "three",
            http(to="three"),
            hosts=("foo.com", "own.com"),
            gateways=("edge/gw",),
            namespace="ns3",
        ),
        vs("own", http(to="own"), hosts=("own.com",), gateways=("gw",), namespace="edge"),
    )
    assert backend_name(outcome(m, get(host="foo.com"))) == "one"
    assert backend_name(outcome(m, get(host="bar.com"))) == "one"
    assert backend_name(outcome(m, get(host="own.com"))) == "own"


def test_virtual_hosts_are_the_intersection_of_hosts() -> None:
    """names.go Intersection examples: a server ``*.com`` and a VirtualService ``foo.com``
    make the virtual host ``foo.com``; ``*.net`` and ``*.bar.net`` make ``*.bar.net``. Envoy
    prefers an exact domain to a wildcard."""
    m = model(
        gateway(server(hosts=("*.com", "*.net"))),
        vs("foo", http(to="foo"), hosts=("foo.com",)),
        vs("bar", http(to="bar"), hosts=("*.bar.net",)),
        vs("all", http(to="all"), hosts=("*",)),
    )
    assert backend_name(outcome(m, get(host="foo.com"))) == "foo"
    assert backend_name(outcome(m, get(host="x.bar.net"))) == "bar"
    assert backend_name(outcome(m, get(host="other.com"))) == "all"
    assert backend_name(outcome(m, get(host="bar.net"))) == "all"
    assert outcome(m, get(host="example.org")) == NoRoute(404)


def test_virtual_services_the_gateway_pods_do_not_see() -> None:
    """push_context.go initVirtualServices/VirtualServicesForGateway: a VirtualService exported
    only to its own namespace is not seen by the gateway's pods in istio-system."""
    m = model(
        HTTP,
        vs("private", http(to="private"), hosts=("p.example.com",), exportTo=["."]),
        vs("exported", http(to="exported"), hosts=("e.example.com",), exportTo=["istio-system"]),
    )
    assert outcome(m, get(host="p.example.com")) == NoRoute(404)
    assert backend_name(outcome(m, get(host="e.example.com"))) == "exported"
    moved = model(
        HTTP,
        vs("private", http(to="private"), hosts=("p.example.com",), exportTo=["."]),
        **{"gateway-workload-namespace": "apps"},
    )
    assert backend_name(outcome(moved, get(host="p.example.com"))) == "private"


def test_https_redirect_and_terminated_tls() -> None:
    """buildGatewayHTTPRouteConfig: ``httpsRedirect`` makes the server's virtual hosts require
    TLS (Envoy answers 301 to https); an HTTPS server is chosen by SNI and MUTUAL asks for a
    client certificate; an SNI no server names finds no filter chain."""
    m = model(
        gateway(
            server(80, hosts=("a.example.com",), httpsRedirect=True),
            server(443, "HTTPS", hosts=("a.example.com",), mode="MUTUAL", credentialName="cert"),
        ),
        vs("a", http(to="app")),
    )
    assert outcome(m, get("/x", query="y=1")) == Redirect(301, "https://a.example.com/x?y=1")
    assert outcome(m, get("/x", scheme="https")) == to("app", "/x", guards=("client-certificate",))
    assert outcome(m, get("/x", host="b.example.com", scheme="https")) == NoRoute(0)
    assert outcome(m, get("/x", port=8080)) == NoRoute(0)


def test_tls_passthrough_by_sni_and_tcp_by_port() -> None:
    """buildGatewayNetworkFiltersFromTLSRoutes: a filter chain per ``tls[]`` match, by its
    ``sniHosts``; buildGatewayNetworkFiltersFromTCPRoutes: the first fitting ``tcp[]`` route
    takes the server."""
    m = model(
        gateway(
            server(443, "TLS", hosts=("*.example.com",), mode="PASSTHROUGH"),
            server(31400, "TCP", hosts=("*",)),
        ),
        vs(
            "a",
            hosts=("*.example.com",),
            tls=[
                {
                    "match": [{"sniHosts": ["a.example.com"], "port": 443}],
                    "route": [{"destination": {"host": "a-tls", "port": {"number": 8443}}}],
                }
            ],
        ),
        vs(
            "echo",
            hosts=("*",),
            tcp=[
                {
                    "match": [{"port": 31401}],
                    "route": [{"destination": {"host": "never", "port": {"number": 9000}}}],
                },
                {
                    "match": [{"port": 31400}],
                    "route": [{"destination": {"host": "echo", "port": {"number": 9000}}}],
                },
            ],
        ),
    )
    passthrough = outcome(m, Request("a.example.com", protocol="TLS"))
    assert backend_name(passthrough) == "a-tls"
    assert outcome(m, Request("b.example.com", protocol="TLS")) == NoRoute(0)
    assert backend_name(outcome(m, Request("", protocol="TCP", port=31400))) == "echo"


def test_gateways_that_select_different_pods_are_different_addresses() -> None:
    """push_context.go mergeGateways: a Gateway applies to the pods its selector selects. Two
    deployments that answer one host differently give no single answer."""
    m = model(
        gateway(server(), name="a", selector={"app": "a"}),
        gateway(server(), name="b", selector={"app": "b"}),
        vs("to-a", http(to="from-a"), gateways=("istio-system/a",)),
        vs("to-b", http(to="from-b"), gateways=("istio-system/b",), hosts=("b.example.com",)),
    )
    assert backend_name(outcome(m, get())) == "from-a"
    assert backend_name(outcome(m, get(host="b.example.com"))) == "from-b"
    both = model(
        gateway(server(), name="a", selector={"app": "a"}),
        gateway(server(), name="b", selector={"app": "b"}),
        vs("to-a", http(to="from-a"), gateways=("istio-system/a", "istio-system/b")),
    )
    assert backend_name(outcome(both, get())) == "from-a"


# --- virtualservice.go: delegates ----------------------------------------------------------------


def test_delegates_are_merged_into_their_root() -> None:
    """virtual_service.proto Delegate example (bookinfo with productpage and reviews
    delegates), virtualservice_test.go "url match", "url mismatch", "root catch all": the
    delegate's routes take the root's place, narrowed by the root's match; one that conflicts
    with every root match is dropped; the delegate inherits the root's rewrite and headers."""
    root = vs(
        "bookinfo",
        {
            "match": [prefix("/productpage")],
            "delegate": {"name": "productpage", "namespace": "ns-a"},
        },
        {"match": [prefix("/reviews")], "delegate": {"name": "reviews", "namespace": "ns-b"}},
        {"match": [prefix("/legacy")], "delegate": {"name": "missing"}},
        hosts=("bookinfo.com",),
    )
    productpage = vs(
        "productpage",
        http(prefix("/productpage/v1/"), to="productpage-v1.ns-a.svc.cluster.local"),
        http(exact("/reviews"), to="conflicting"),
        http(to="productpage.ns-a.svc.cluster.local"),
        hosts=None,
        gateways=(),
        namespace="ns-a",
    )
    reviews = vs(
        "reviews",
        http(to="reviews"),
        hosts=None,
        gateways=(),
        namespace="ns-b",
    )
    m = model(HTTP, root, productpage, reviews)
    host = "bookinfo.com"
    assert outcome(m, get("/productpage/v1/x", host)) == to(
        "productpage-v1", "/productpage/v1/x", host, ns="ns-a"
    )
    assert outcome(m, get("/productpage", host)) == to(
        "productpage", "/productpage", host, ns="ns-a"
    )
    assert outcome(m, get("/reviews", host)) == to("reviews", "/reviews", host, ns="ns-b")
    assert outcome(m, get("/legacy", host)) == NoRoute(404)
    assert outcome(m, get("/other", host)) == NoRoute(404)
    routed = m.route(get("/productpage/v1/x", host))
    fields = [(c.name, c.field) for c in routed.causes[:3]]
    assert fields == [
        ("productpage", "spec.http[0].match[0]"),
        ("bookinfo", "spec.http[0].match[0]"),
        ("productpage", "spec.http[0].route"),
    ]


def test_a_delegate_not_exported_to_the_root_is_not_used() -> None:
    """virtualservice_controller.go mergeVirtualServices: "delegate virtual service is not
    exported" drops the root's route."""
    root = vs("root", {"match": [prefix("/")], "delegate": {"name": "d", "namespace": "other"}})
    hidden = vs("d", http(to="d"), hosts=None, gateways=(), namespace="other", exportTo=["."])
    assert outcome(model(HTTP, root, hidden), get()) == NoRoute(404)


# --- requests ------------------------------------------------------------------------------------


def test_requests_cover_hosts_boundaries_and_conditions() -> None:
    m = model(
        gateway(
            server(),
            server(443, "HTTPS", hosts=("a.example.com",), mode="SIMPLE", credentialName="c"),
        ),
        vs(
            "a",
            http(prefix("/api", headers={"x-canary": {"exact": "on"}}), to="canary"),
            http(to="app"),
        ),
    )
    requests = m.requests()
    shown = {r.display() for r in requests}
    assert "GET http://a.example.com/api" in shown
    assert "GET http://a.example.com/apile" in shown  # the character-prefix near miss
    assert "GET http://a.example.com/api [x-canary: on]" in shown
    assert "GET http://a.example.com/api [x-canary: ON]" in shown
    assert "GET https://a.example.com/api" in shown
    assert f"GET http://{UNKNOWN_HOST}/" in shown
    assert requests == sorted(set(requests), key=Request.sort_key)
    assert len(requests) < 60


def test_every_answer_has_a_cause_on_an_input_object() -> None:
    m = model(HTTP, vs("a", http(prefix("/api"), to="api")))
    for request in m.requests():
        routed: Routed = m.route(request)
        if isinstance(routed.outcome, NoRoute) and routed.outcome.status == 0:
            continue
        assert routed.causes, request.display()
        assert {c.kind for c in routed.causes} <= {"VirtualService", "Gateway"}


# --- issue 22: real-world manifests route as Istio routes them ------------------------------------
#
# Each test converts the input, routes requests through the Gateway API model of the output, and
# expects what Istio does (the source model above says the same).


def migrated(
    *docs: dict[str, Any], emitter: str = "standard", **provider_options: str
) -> tuple[IstioModel, GatewayAPIModel, list[dict[str, Any]]]:
    objects = objects_of(*docs)
    options = ConvertOptions(provider_options={"istio": provider_options})
    result = ingress2gateway.convert(objects, providers=["istio"], emitter=emitter, options=options)
    source = controller_model(objects, options)
    assert source is not None
    return source, GatewayAPIModel(result.resources), result.resources


def routed_both(
    docs: tuple[dict[str, Any], ...], *requests: Request, **kw: Any
) -> list[tuple[Outcome, Outcome]]:
    source, target, _ = migrated(*docs, **kw)
    return [(source.route(r).outcome, target.route(r).outcome) for r in requests]


def assert_routes(
    docs: tuple[dict[str, Any], ...], expected: dict[Request, str | int], **kw: Any
) -> None:
    """Istio (the model) and the migration (the Gateway API model) send each request to the
    expected backend (a name) or answer it with the expected status."""
    requests = list(expected)
    for request, (istio, gateway) in zip(requests, routed_both(docs, *requests, **kw), strict=True):
        want = expected[request]
        for who, answer in (("Istio", istio), ("Gateway API", gateway)):
            got = backend_name(answer) if isinstance(want, str) else _status(answer)
            assert got == want, f"{who}: {request.display()} → {answer.display()}"


def _status(answer: Outcome) -> int:
    return answer.status if isinstance(answer, (NoRoute, Respond, Redirect)) else 200


def test_issue22_1_a_mesh_only_route_never_reaches_the_gateway() -> None:
    """A VirtualService bound to [mesh, the ingress gateway] whose first route is scoped to
    mesh (Knative's cluster-local routes): before, it became a catch-all rule on the public
    Gateway and took every request."""
    docs = (
        HTTP,
        vs(
            "hello",
            http(prefix("/", gateways=["mesh"]), to="hello-private"),
            http(prefix("/", gateways=["istio-system/gw"]), to="hello-public"),
            hosts=("hello.example.com", "hello.apps.svc.cluster.local"),
            gateways=("mesh", "istio-system/gw"),
        ),
        vs(
            "internal",
            http(prefix("/admin", gateways=["mesh"]), to="admin"),
            hosts=("internal.example.com",),
            gateways=("mesh", "istio-system/gw"),
        ),
    )
    assert_routes(
        docs,
        {
            get("/", "hello.example.com"): "hello-public",
            get("/admin", "hello.example.com"): "hello-public",
            get("/", "hello.apps.svc.cluster.local"): "hello-public",
            get("/admin", "internal.example.com"): 404,
        },
    )
    _, _, resources = migrated(*docs)
    assert [r["metadata"]["name"] for r in resources if r["kind"] == "HTTPRoute"] == ["hello"]


def test_issue22_1_a_route_scoped_to_one_gateway_is_not_on_the_other() -> None:
    docs = (
        gateway(server(hosts=("a.example.com",)), name="gw-a"),
        gateway(server(hosts=("b.example.com",)), name="gw-b"),
        vs(
            "app",
            http(prefix("/admin", gateways=["istio-system/gw-a"]), to="admin"),
            http(to="app"),
            hosts=("a.example.com", "b.example.com"),
            gateways=("istio-system/gw-a", "istio-system/gw-b"),
        ),
    )
    assert_routes(
        docs,
        {
            get("/admin", "a.example.com"): "admin",
            get("/admin", "b.example.com"): "app",
            get("/", "a.example.com"): "app",
        },
    )


def test_issue22_2_an_exact_authority_narrows_the_host() -> None:
    """Before, the authority condition was dropped with a warning: every host of the wildcard
    reached the admin backend."""
    docs = (
        HTTP,
        vs(
            "site",
            http(prefix("/", authority={"exact": "admin.example.com"}), to="admin"),
            http(to="site"),
            hosts=("*.example.com",),
        ),
    )
    assert_routes(
        docs,
        {
            get("/x", "admin.example.com"): "admin",
            get("/x", "www.example.com"): "site",
        },
    )


def test_issue22_3_character_prefixes_keep_istios_first_match() -> None:
    """virtualservice_overlappingmatches.yaml: /api/v1/prod takes /api/v1/products first; a
    prefix ending in / does not take its bare directory; ignoreUriCase is honoured; a longer
    prefix listed first keeps its paths although the later shorter one becomes an expression."""
    docs = (
        HTTP,
        vs(
            "api",
            http(prefix("/api/v1/prod", method={"exact": "GET"}), to="foo"),
            http(prefix("/apix"), to="apix"),
            http(prefix("/api"), to="api"),
            http(prefix("/docs/"), to="docs"),
            http(prefix("/Media", ignoreUriCase=True), to="media"),
            http(to="root"),
        ),
    )
    assert_routes(
        docs,
        {
            get("/api/v1/products"): "foo",
            get("/api/v1/products", method="POST"): "api",
            get("/apix/1"): "apix",
            get("/apiz"): "api",
            get("/api-docs"): "api",
            get("/docs"): "root",
            get("/docs/x"): "docs",
            get("/MEDIAfiles"): "media",
            get("/other"): "root",
        },
    )


def test_issue22_3_a_bare_directory_nothing_else_takes_is_reported() -> None:
    """Istio answers /v1 with 404 (prefix /v1/ does not take it); Gateway API's PathPrefix
    /v1/ does, and no standard rule answers 404: the report says which requests change."""
    docs = (HTTP, vs("api", http(prefix("/v1/"), to="v1")))
    ((istio, gateway),) = routed_both(docs, get("/v1"))
    assert istio == NoRoute(404) and backend_name(gateway) == "v1"
    _, _, _ = migrated(*docs)
    result = ingress2gateway.convert(objects_of(*docs), providers=["istio"])
    notes = [n for n in result.report.notifications if n.code == "istio-route-order-unequal"]
    assert notes and "GET /v1 " in notes[0].message and notes[0].field == "spec.http[0].match"


def test_issue22_4_delegates_are_merged_into_the_root() -> None:
    """virtual_service.proto's Delegate example: before, the root's routes were errors answered
    500 and the delegates were called mesh-only."""
    root = vs(
        "bookinfo",
        {
            "match": [prefix("/productpage")],
            "delegate": {"name": "productpage", "namespace": "ns-a"},
        },
        {"match": [prefix("/reviews")], "delegate": {"name": "reviews", "namespace": "ns-b"}},
        hosts=("bookinfo.com",),
    )
    productpage = vs(
        "productpage",
        http(prefix("/productpage/v1/"), to="productpage-v1"),
        http(to="productpage"),
        hosts=None,
        gateways=(),
        namespace="ns-a",
    )
    reviews = vs("reviews", http(to="reviews"), hosts=None, gateways=(), namespace="ns-b")
    host = "bookinfo.com"
    assert_routes(
        (HTTP, root, productpage, reviews),
        {
            get("/productpage/v1/x", host): "productpage-v1",
            get("/productpage", host): "productpage",
            get("/reviews/1", host): "reviews",
            get("/ratings", host): 404,
        },
    )


def _https_listener(
    resources: list[dict[str, Any]], host: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for obj in resources:
        if obj["kind"] != "Gateway":
            continue
        for listener in obj["spec"]["listeners"]:
            if listener["protocol"] == "HTTPS" and listener.get("hostname") in (host, None):
                return obj, listener
    raise AssertionError(f"no HTTPS listener for {host}")


def _served_secrets(
    resources: list[dict[str, Any]], request: Request
) -> tuple[tuple[str, str], tuple[str, str] | None, bool]:
    """The certificate Secret and client CA Secret the migrated Gateway uses for an https
    request (namespace, name), and whether a ReferenceGrant allows the certificate."""
    gw, listener = _https_listener(resources, request.host)
    gw_ns = gw["metadata"].get("namespace", "default")
    ref = listener["tls"]["certificateRefs"][0]
    certificate = (ref.get("namespace", gw_ns), ref["name"])
    granted = certificate[0] == gw_ns or any(
        o["kind"] == "ReferenceGrant"
        and o["metadata"]["namespace"] == certificate[0]
        and {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": gw_ns}
        in o["spec"]["from"]
        and any(
            t["kind"] == "Secret" and t.get("name") in (None, certificate[1])
            for t in o["spec"]["to"]
        )
        for o in resources
    )
    ca = None
    for obj in resources:
        if obj["kind"] != "ClientTrafficPolicy":
            continue
        for target in obj["spec"].get("targetRefs", []):
            if target.get("sectionName") in (None, listener["name"]):
                ca_ref = obj["spec"]["tls"]["clientValidation"]["caCertificateRefs"][0]
                ca = (ca_ref.get("namespace", obj["metadata"]["namespace"]), ca_ref["name"])
    return certificate, ca, granted


def _secret(name: str, namespace: str = "istio-system", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(name, namespace), "data": data}


MUTUAL = gateway(
    server(443, "HTTPS", hosts=("a.example.com",), mode="MUTUAL", credentialName="cred"),
    namespace="edge",
)


@pytest.mark.parametrize(
    ("secrets", "ca"),
    [
        (
            (
                _secret("cred", **{"tls.crt": "x", "ca.crt": "x"}),
                _secret("cred-cacert", **{"ca.crt": "x"}),
            ),
            "cred-cacert",
        ),
        ((_secret("cred", **{"tls.crt": "x", "ca.crt": "x"}),), "cred"),
        ((), "cred"),
    ],
    ids=["separate-cacert", "ca-in-credential", "assumed"],
)
def test_issue22_5_the_client_ca_is_the_secret_istio_reads(
    secrets: tuple[dict[str, Any], ...], ca: str
) -> None:
    """secrets.go GetCaCert: <credentialName>-cacert if it exists, else the credential's own
    ca.crt. Before, <credentialName>-cacert was always assumed."""
    docs = (MUTUAL, *secrets, vs("a", http(), gateways=("edge/gw",)))
    source, _, resources = migrated(*docs, emitter="envoy-gateway")
    request = get("/", scheme="https")
    istio_certificate, istio_ca = source.tls_secrets(request)
    certificate, client_ca, granted = _served_secrets(resources, request)
    assert (certificate, client_ca) == (istio_certificate, istio_ca)
    assert client_ca == ("istio-system", ca) and granted


def test_issue22_6_credentials_live_in_the_gateway_workloads_namespace() -> None:
    """sds.go: the Secret is read in the gateway pods' namespace (istio-system by default), not
    the Gateway object's (edge). Before, the listener referred to edge/cred."""
    docs = (
        gateway(
            server(443, "HTTPS", hosts=("a.example.com",), mode="SIMPLE", credentialName="cred"),
            namespace="edge",
        ),
        vs("a", http(), gateways=("edge/gw",)),
    )
    request = get("/", scheme="https")
    for options, expected_ns in (
        ({}, "istio-system"),
        ({"gateway-workload-namespace": "edge"}, "edge"),
    ):
        source, target, resources = migrated(*docs, **options)
        certificate, _, granted = _served_secrets(resources, request)
        assert certificate == source.tls_secrets(request)[0] == (expected_ns, "cred")
        assert granted
        assert backend_name(target.route(request).outcome) == "app"


def test_issue22_7_values_that_are_not_strings_are_their_yaml_text() -> None:
    """``exact: true`` is the header value "true" (before: the condition was dropped, and
    header edits wrote Python's "True"/"None"); unknown fields are still reported."""
    docs = (
        HTTP,
        vs(
            "a",
            http(
                prefix("/", headers={"x-canary": {"exact": True}, "x-level": {"exact": 2}}),
                to="canary",
                headers={"request": {"set": {"x-flag": True, "x-none": None, "x-count": 10}}},
            ),
            {**http(to="stable"), "routeX": []},
        ),
    )
    assert_routes(
        docs,
        {
            get().with_headers(("x-canary", "true"), ("x-level", "2")): "canary",
            get().with_headers(("x-canary", "True"), ("x-level", "2")): "stable",
        },
    )
    result = ingress2gateway.convert(objects_of(*docs), providers=["istio"])
    (route,) = [r for r in result.resources if r["kind"] == "HTTPRoute"]
    (modifier,) = [f["requestHeaderModifier"] for f in route["spec"]["rules"][0].get("filters", [])]
    assert modifier["set"] == [
        {"name": "x-count", "value": "10"},
        {"name": "x-flag", "value": "true"},
        {"name": "x-none", "value": "null"},
    ]
    assert any(
        n.code == "istio-field-unsupported" and n.field == "spec.http[1].routeX"
        for n in result.report.notifications
    )


# --- verify over the golden cases, the corpus and the peer fixtures ----------------------------


def _verify_cases() -> list[Case]:
    return [
        c
        for c in cases()
        if c.directory.parent.name == "istio" or c.directory.name.startswith("istio-")
    ]


def _unexplained(result: Any) -> list[str]:
    return [
        f"{d.request.display()}: Istio {d.source.outcome.display()} "
        f"[{', '.join(c.display() for c in d.source.causes[:2])}], "
        f"migrated {d.target.outcome.display()}"
        for d in result.unexplained
    ]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("case", _verify_cases(), ids=lambda c: c.id)
def test_golden_cases_route_as_istio_or_the_report_says_so(case: Case, emitter: str) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    args["emitter"] = emitter
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    result = verify(objects, options=options, **args)
    assert _unexplained(result) == []


def _shared_inputs() -> list[tuple[str, list[Path]]]:
    corpus = shared_yaml_files("corpus", "istio")
    peer = shared_yaml_files("peer", "ingress2gateway", "istio", "input")
    found = [(f"corpus/{p.name}", [p]) for p in corpus] + [(f"peer/{p.name}", [p]) for p in peer]
    if corpus:
        found.append(("corpus (all files at once)", corpus))
    return found or [("none", [])]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize(("name", "paths"), _shared_inputs(), ids=[n for n, _ in _shared_inputs()])
def test_corpus_and_peer_fixtures_route_as_istio_or_the_report_says_so(
    name: str, paths: list[Path], emitter: str
) -> None:
    require_shared("corpus", "istio")
    require_shared("peer", "ingress2gateway", "istio", "input")
    assert paths, "no Istio corpus or peer fixtures"
    objects = ingress2gateway.load_manifests(paths, report=Recorder())
    result = verify(objects, providers=["istio"], emitter=emitter)
    assert _unexplained(result) == []


def test_verify_finds_what_the_converter_does_not_say() -> None:
    """The comparison is not explained by fiat: a migrated route that sends a request elsewhere
    without a notification on the Istio route that decided it is unexplained."""
    docs = (HTTP, vs("a", http(prefix("/api"), to="api"), http(to="web")))
    objects = objects_of(*docs)
    output = ingress2gateway.convert(objects, providers=["istio"]).resources
    for obj in output:
        if obj["kind"] == "HTTPRoute":
            obj["spec"]["rules"][0]["backendRefs"][0]["name"] = "elsewhere"
    result = verify(objects, output=output, providers=["istio"], report=Recorder())
    assert result.unexplained and all(d.source.causes for d in result.unexplained)


def test_a_name_dot_namespace_destination_is_no_service_in_istio() -> None:
    """ResolveShortnameToFQDN expands only names without a dot; the registry knows Services as
    name.namespace.svc.cluster.local (istio/istio#54147: 503). The migration sends nothing to
    the Service either, and says why (before, it routed the traffic Istio never routed)."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("reviews", "bookinfo"),
        "spec": {"ports": [{"port": 9080}]},
    }
    docs = (HTTP, service, vs("a", {"route": [{"destination": {"host": "reviews.bookinfo"}}]}))
    ((istio, gateway),) = routed_both(docs, get())
    assert isinstance(istio, Forward) and istio.backends[0][0].kind == "host"
    assert gateway == Respond(500)
    result = verify(objects_of(*docs), providers=["istio"])
    assert result.differences and not result.unexplained


def test_virtual_services_of_one_host_are_tried_in_istios_order() -> None:
    """buildGatewayHTTPRouteConfig appends the routes of every VirtualService of a host in
    creation order; SortVHostRoutes puts the catch-all ones last. Gateway API ranks the rules of
    all their HTTPRoutes together: the older VirtualService's /static must still take
    /static/special, the newer one's /api must not lose to the older catch-all."""
    frontend = vs(
        "shop-frontend",
        http(prefix("/static"), to="cdn"),
        http(to="frontend"),
        hosts=("shop.example.com",),
    )
    frontend["metadata"]["creationTimestamp"] = "2023-01-01T00:00:00Z"
    api = vs(
        "shop-api",
        http(prefix("/api"), to="api"),
        http(prefix("/static/special"), to="special"),
        hosts=("shop.example.com",),
    )
    api["metadata"]["creationTimestamp"] = "2023-06-01T00:00:00Z"
    host = "shop.example.com"
    assert_routes(
        (HTTP, frontend, api),
        {
            get("/static/special/x", host): "cdn",
            get("/api/v1", host): "api",
            get("/other", host): "frontend",
        },
    )


def test_an_authority_prefix_keeps_cluster_local_names_off_the_public_gateway() -> None:
    """Knative's ingress VirtualService: per-match gateways and authority prefixes decide which
    host names each gateway serves; before, the authority was dropped and every host name,
    cluster-local ones included, reached the service through the public gateway."""
    public = gateway(server(80), name="knative-ingress-gateway", namespace="knative-serving")
    local = gateway(
        server(8081, name="local"), name="knative-local-gateway", namespace="knative-serving"
    )
    ingress = vs(
        "hello-ingress",
        http(
            prefix(
                "/",
                authority={"prefix": "hello.default"},
                gateways=["knative-serving/knative-local-gateway"],
            ),
            to="hello-00001",
        ),
        http(
            prefix(
                "/",
                authority={"prefix": "hello.default.example.com"},
                gateways=["knative-serving/knative-ingress-gateway"],
            ),
            to="hello-00001",
        ),
        hosts=("hello.default", "hello.default.example.com", "hello.default.svc.cluster.local"),
        gateways=(
            "knative-serving/knative-ingress-gateway",
            "knative-serving/knative-local-gateway",
        ),
        namespace="default",
    )
    assert_routes(
        (public, local, ingress),
        {
            get("/", "hello.default.example.com"): "hello-00001",
            get("/", "hello.default.svc.cluster.local"): 404,
            get("/", "hello.default"): 404,
            get("/", "hello.default.svc.cluster.local", port=8081): "hello-00001",
        },
    )


def test_gateways_that_share_pods_and_a_host_are_reported() -> None:
    """mergeGateways: Gateways selecting the same pods share an address, the most specific host
    winning; as Gateway API Gateways both take the host, and DNS decides: the report names the
    Gateway to point the host at."""
    docs = (
        gateway(server(hosts=("*",)), name="public"),
        gateway(server(hosts=("api.example.com",)), name="api", namespace="api"),
        vs("web", http(to="web"), hosts=("*",), gateways=("istio-system/public",), namespace="web"),
        vs(
            "api",
            http(prefix("/v1"), to="api"),
            hosts=("api.example.com",),
            gateways=("api/api",),
            namespace="api",
        ),
    )
    ((istio, gateway_api),) = routed_both(docs, get("/v1", "api.example.com"))
    assert backend_name(istio) == "api" and gateway_api == NoRoute(0)
    result = ingress2gateway.convert(objects_of(*docs), providers=["istio"])
    notes = [n for n in result.report.notifications if n.code == "istio-shared-address"]
    assert len(notes) == 2 and "point api.example.com at Gateway api/api" in notes[0].message
    assert not verify(objects_of(*docs), providers=["istio"]).unexplained


def test_a_wildcard_virtual_service_shares_the_virtual_host_of_a_specific_server() -> None:
    """names.go Intersection: a *.example.com VirtualService on an admin.example.com server
    builds the virtual host admin.example.com, where another VirtualService's routes for that
    host join it. Gateway API only ranks together the routes whose best host name is the
    same, so the migrated route names admin.example.com there."""
    docs = (
        gateway(server(hosts=("admin.example.com",))),
        vs("apps", http(prefix("/api"), to="api"), hosts=("*.example.com",)),
        vs("admin", http(to="admin"), hosts=("admin.example.com",)),
    )
    assert_routes(
        docs,
        {
            get("/api/v1", "admin.example.com"): "api",
            get("/", "admin.example.com"): "admin",
        },
    )


def test_redirect_ports_follow_envoy() -> None:
    """ApplyRedirect and Envoy's newUri: a new authority drops the request's port; a new scheme
    keeps a non-default request port; derivePort FROM_REQUEST_PORT takes the server's port.
    Gateway API defaults to the listener's port, or the scheme's: the migration sets the port
    where its listeners agree."""
    docs = (
        gateway(server(8080, name="alt")),
        vs(
            "moves",
            http(exact("/host"), to=None, redirect={"authority": "b.example.com"}),
            http(exact("/secure"), to=None, redirect={"scheme": "https"}),
            http(
                exact("/derive"),
                to=None,
                redirect={"scheme": "https", "derivePort": "FROM_REQUEST_PORT"},
            ),
        ),
    )
    requests = [get(p, port=8080) for p in ("/host", "/secure", "/derive")]
    answers = routed_both(docs, *requests)
    assert [istio for istio, _ in answers] == [
        Redirect(301, "http://b.example.com/host"),
        Redirect(301, "https://a.example.com:8080/secure"),
        Redirect(301, "https://a.example.com:8080/derive"),
    ]
    assert [gateway_api for _, gateway_api in answers] == [istio for istio, _ in answers]


def test_a_difference_is_explained_only_by_a_field_that_decided_it() -> None:
    """A warning on a route's retries (Gateway API has no retries on the standard target) says
    nothing of where requests go: it must not explain a routing difference of that route."""
    docs = (HTTP, vs("a", http(prefix("/api"), to="api", retries={"attempts": 3}), http(to="web")))
    objects = objects_of(*docs)
    report = Recorder()
    output = ingress2gateway.convert(objects, providers=["istio"], report=report).resources
    assert any(n.field == "spec.http[0].retries" for n in report.notifications)
    for obj in output:
        if obj["kind"] == "HTTPRoute":
            obj["spec"]["rules"][0]["backendRefs"][0]["name"] = "elsewhere"
    result = verify(objects, output=output, providers=["istio"], report=report)
    assert result.differences and len(result.unexplained) == len(result.differences)


def test_https_redirect_keeps_a_non_default_port() -> None:
    """buildGatewayHTTPRouteConfig sets require_tls; Envoy redirects to https with the Host
    header as sent, so a server on port 8080 sends clients to https on port 8080."""
    docs = (
        gateway(
            server(8080, hosts=("a.example.com",), name="alt", httpsRedirect=True),
            server(443, "HTTPS", hosts=("a.example.com",), mode="SIMPLE", credentialName="c"),
        ),
        vs("a", http()),
    )
    ((istio, gateway_api),) = routed_both(docs, get("/x", port=8080))
    assert istio == gateway_api == Redirect(301, "https://a.example.com:8080/x")
