"""``verify`` for Kong: the model of Kong (the Kong Ingress Controller's translation and Kong's
router) on scenarios from the controllers' own tests, and the migration of Kong input request by
request.

Upstream tests named below are in ``Kong/kubernetes-ingress-controller`` (KIC) and ``Kong/kong``
(``spec/01-unit/08-router_spec.lua``, the ``traditional_compatible`` flavour).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.compare import compare
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    Forward,
    NoRoute,
    Outcome,
    Request,
    Routed,
)
from ingress2gateway_providers.kong.controller_model import KongModel, controller_model
from ingress2gateway_providers.kong.controller_model.store import read as read_store
from ingress2gateway_providers.kong.controller_model.translator import (
    Certificate,
    KongConfig,
    KongPath,
    KongRoute,
    KongService,
)
from ingress2gateway_providers.kong.controller_model.translator import Plugin as KongPlugin

from .golden import Case, cases
from .shared_data import SHARED, require_shared, shared_yaml_files

ROOT = Path(__file__).resolve().parent.parent


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def kong(text: str, **options: Any) -> KongModel:
    model = controller_model(objects_of(text), ConvertOptions(**options))
    assert model is not None
    return model


def converted(text: str, emitter: str = "standard", **kw: Any) -> ingress2gateway.Result:
    return ingress2gateway.convert(objects_of(text), providers=["kong"], emitter=emitter, **kw)


def through_gateway(text: str, request: Request, emitter: str = "standard") -> Outcome:
    """What the migrated objects do with ``request`` (the Gateway API model of verify)."""
    return GatewayAPIModel(converted(text, emitter).resources).route(request).outcome


def backend(outcome: Outcome | Routed) -> str | None:
    """The one backend a request reaches (``namespace/name``), or None."""
    if isinstance(outcome, Routed):
        outcome = outcome.outcome
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        found = outcome.backends[0][0]
        return f"{found.namespace}/{found.name}"
    return None


def unexplained(text: str, emitter: str = "standard", **options: Any) -> list[str]:
    found = ingress2gateway.verify(
        objects_of(text), providers="kong", emitter=emitter, options=ConvertOptions(**options)
    )
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


def differences(text: str, emitter: str = "standard", **options: Any) -> list[str]:
    found = ingress2gateway.verify(
        objects_of(text), providers="kong", emitter=emitter, options=ConvertOptions(**options)
    )
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.differences
    ]


def ingress(
    name: str,
    host: str | None,
    *paths: tuple[str, str, str],
    annotations: dict[str, str] | None = None,
    namespace: str = "web",
    tls: list[dict[str, Any]] | None = None,
    extra: str = "",
) -> str:
    """An Ingress of class kong; ``paths`` are (path, pathType, service) on port 80."""
    body: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "ingressClassName": "kong",
            "rules": [
                {
                    **({"host": host} if host else {}),
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": kind,
                                "backend": {"service": {"name": svc, "port": {"number": 80}}},
                            }
                            for path, kind, svc in paths
                        ]
                    },
                }
            ],
        },
    }
    if tls is not None:
        body["spec"]["tls"] = tls
    return "---\n" + yaml.safe_dump(body) + extra


# --- issue 22: Kong header matching (item 9) -----------------------------------------------

HEADERS = ingress(
    "teams",
    "api.example.com",
    ("/orders", "Prefix", "orders"),
    annotations={
        "konghq.com/headers.x-team": "blue,green",
        "konghq.com/headers.x-version": "~*V[12]",
    },
) + ingress("rest", "api.example.com", ("/", "Prefix", "rest"))


def test_header_values_are_compared_case_insensitively_as_kong_does() -> None:
    # Kong: any(lower(http.headers.x_team)) == "blue" (kong/router/transform.lua,
    # get_expression); a ~* value is a regex, lower-cased, searched anywhere in the value.
    model = kong(HEADERS)
    for team, version in (("BLUE", "v1"), ("Green", "xV2y"), ("blue", "V1")):
        request = Request("api.example.com", "/orders").with_headers(
            ("x-team", team), ("x-version", version)
        )
        assert backend(model.route(request)) == "web/orders"
        assert backend(through_gateway(HEADERS, request)) == "web/orders", (team, version)
    wrong = Request("api.example.com", "/orders").with_headers(
        ("x-team", "red"), ("x-version", "v1")
    )
    assert backend(model.route(wrong)) == "web/rest"
    assert backend(through_gateway(HEADERS, wrong)) == "web/rest"


def test_header_matching_migrates_without_differences() -> None:
    assert differences(HEADERS) == []
    assert differences(HEADERS, "envoy-gateway") == []


def test_every_request_kong_answers_is_seen() -> None:
    requests = list(kong(HEADERS).requests())
    assert Request("unknown.invalid", "/") in requests
    assert any(dict(r.headers).get("x-team") == "BLUE" for r in requests)
    assert any(r.path == "/ordersle" for r in requests)  # the character near miss
    assert isinstance(kong(HEADERS).route(Request("unknown.invalid", "/")).outcome, NoRoute)


# --- issue 22: same host and path, other headers or methods (item 8) -----------------------

SAME_PATH_OTHER_CONDITIONS = (
    ingress("stable", "app.example.com", ("/api", "Prefix", "stable"))
    + ingress(
        "canary",
        "app.example.com",
        ("/api", "Prefix", "canary"),
        annotations={"konghq.com/headers.x-canary": "on"},
    )
    + ingress(
        "writes",
        "app.example.com",
        ("/api", "Prefix", "writer"),
        annotations={"konghq.com/methods": "POST,PUT"},
    )
)


def test_same_path_with_other_headers_or_methods_is_another_route_not_a_conflict() -> None:
    # KIC makes one Kong route per Ingress (subtranslator/ingress.go); Kong tries the route
    # with more match fields first (transform.lua, get_priority).
    model = kong(SAME_PATH_OTHER_CONDITIONS)
    result = converted(SAME_PATH_OTHER_CONDITIONS)
    assert not [n for n in result.report.notifications if n.code == "path-conflict"]
    cases = {
        Request("app.example.com", "/api/x"): "web/stable",
        Request("app.example.com", "/api/x").with_headers(("x-canary", "on")): "web/canary",
        Request("app.example.com", "/api/x").with_headers(("x-canary", "ON")): "web/canary",
        Request("app.example.com", "/api/x", method="POST"): "web/writer",
        Request("app.example.com", "/api", method="PUT"): "web/writer",
    }
    gateway = GatewayAPIModel(result.resources)
    for request, expected in cases.items():
        assert backend(model.route(request)) == expected, request.display()
        assert backend(gateway.route(request)) == expected, request.display()
    assert unexplained(SAME_PATH_OTHER_CONDITIONS) == []


def test_same_path_and_conditions_is_still_a_conflict_for_kong() -> None:
    twice = ingress("first", "app.example.com", ("/api", "Prefix", "one")) + ingress(
        "second", "app.example.com", ("/api", "Prefix", "two")
    )
    notes = [n for n in converted(twice).report.notifications if n.code == "path-conflict"]
    assert len(notes) == 1 and "Kong kept both routes" in notes[0].message


def test_the_duplicate_rule_of_nginx_is_unchanged() -> None:
    # ingress-nginx has no per-Ingress header or method conditions: the same host and path in
    # two Ingresses is still one location, the oldest Ingress's.
    text = "\n".join(
        yaml.safe_dump(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": name,
                    "namespace": "web",
                    "creationTimestamp": stamp,
                    "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "false"},
                },
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [
                        {
                            "host": "app.example.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/api",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": name, "port": {"number": 80}}
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        )
        + "---"
        for name, stamp in (("old", "2020-01-01T00:00:00Z"), ("new", "2021-01-01T00:00:00Z"))
    )
    result = ingress2gateway.convert(objects_of(text), providers=["nginx"])
    notes = [n for n in result.report.notifications if n.code == "path-conflict"]
    assert len(notes) == 1 and "as in ingress-nginx" in notes[0].message
    answer = GatewayAPIModel(result.resources).route(Request("app.example.com", "/api/x"))
    assert backend(answer) == "web/old"


# --- character prefixes ----------------------------------------------------------------------

CHARACTER_PREFIXES = ingress(
    "legacy",
    "old.example.com",
    ("/api", "ImplementationSpecific", "api"),
    ("/static/", "ImplementationSpecific", "static"),
    ("/", "ImplementationSpecific", "root"),
)


def test_an_implementation_specific_path_is_a_character_prefix_in_kong() -> None:
    # Kong's router: a plain path is ``http.path ^= "<path>"`` (transform.lua); KIC passes
    # ImplementationSpecific paths through (PathsFromIngressPaths).
    model = kong(CHARACTER_PREFIXES)
    assert backend(model.route(Request("old.example.com", "/apiary"))) == "web/api"
    assert backend(model.route(Request("old.example.com", "/static"))) == "web/root"
    assert backend(model.route(Request("old.example.com", "/static/app.js"))) == "web/static"


def test_the_requests_a_segment_prefix_no_longer_takes_are_reported() -> None:
    result = converted(CHARACTER_PREFIXES)
    notes = {
        n.field: n.message
        for n in result.report.notifications
        if n.code == "kong-behaviour-differs" and n.level.value == "warning"
    }
    assert "/api<more characters>" in notes["spec.rules[0].http.paths[0]"]
    assert "also matches /static" in notes["spec.rules[0].http.paths[1]"]
    assert "spec.rules[0].http.paths[2]" not in notes  # "/" is the same either way
    changed = differences(CHARACTER_PREFIXES)
    assert any("/apile" in line for line in changed)
    assert unexplained(CHARACTER_PREFIXES) == []
    assert unexplained(CHARACTER_PREFIXES, "envoy-gateway") == []


CONDITIONS_BEFORE_LENGTH = ingress(
    "beta",
    "shop.example.com",
    ("/", "Prefix", "beta"),
    annotations={"konghq.com/headers.x-beta": "yes"},
) + ingress("api", "shop.example.com", ("/api", "Prefix", "api"))


def test_kong_ranks_header_conditions_above_path_length() -> None:
    # Kong spec "more [headers] has priority over longer [paths]" (08-router_spec.lua): the
    # route with a header takes /api/x before the longer /api.
    model = kong(CONDITIONS_BEFORE_LENGTH)
    beta = Request("shop.example.com", "/api/x").with_headers(("x-beta", "yes"))
    plain = Request("shop.example.com", "/api/x")
    assert backend(model.route(beta)) == "web/beta"
    assert backend(model.route(plain)) == "web/api"
    for emitter in ("standard", "envoy-gateway"):
        assert backend(through_gateway(CONDITIONS_BEFORE_LENGTH, beta, emitter)) == "web/beta"
        assert backend(through_gateway(CONDITIONS_BEFORE_LENGTH, plain, emitter)) == "web/api"
        assert differences(CONDITIONS_BEFORE_LENGTH, emitter) == []


def test_an_order_no_match_can_keep_is_reported() -> None:
    stripped = ingress(
        "beta",
        "shop.example.com",
        ("/beta", "Prefix", "beta"),
        annotations={"konghq.com/headers.x-beta": "yes", "konghq.com/strip-path": "true"},
    ) + ingress("api", "shop.example.com", ("/beta/api", "Prefix", "api"))
    notes = [
        n
        for n in converted(stripped).report.notifications
        if n.code == "kong-behaviour-differs" and "ranks conditions above path length" in n.message
    ]
    assert [n.source.name for n in notes if n.source] == ["beta"]
    assert unexplained(stripped) == []


# --- what the upstream sees -------------------------------------------------------------------

SERVICE_PATH = (
    ingress(
        "stripped",
        "shop.example.com",
        ("/api", "Prefix", "api"),
        annotations={"konghq.com/strip-path": "true"},
    )
    + """---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: web
  annotations:
    konghq.com/path: /internal/
spec:
  ports: [{port: 80}]
"""
)


def test_strip_path_joins_the_service_path_as_kong_does() -> None:
    # get_upstream_uri_v0 (kong/router/utils.lua): no doubled slash, none added for /api.
    model = kong(SERVICE_PATH)
    for path, seen in (("/api", "/internal"), ("/api/", "/internal/"), ("/api/x", "/internal/x")):
        request = Request("shop.example.com", path)
        expected = model.route(request).outcome
        assert isinstance(expected, Forward) and expected.path == seen
        for emitter in ("standard", "envoy-gateway"):
            assert through_gateway(SERVICE_PATH, request, emitter) == expected, (path, emitter)


def test_preserve_host_false_without_a_host_header_is_reported() -> None:
    text = ingress(
        "upstream-host",
        "shop.example.com",
        ("/", "Prefix", "app"),
        annotations={"konghq.com/preserve-host": "false"},
    )
    answer = kong(text).route(Request("shop.example.com", "/x")).outcome
    assert isinstance(answer, Forward) and "endpoint" in answer.host
    assert differences(text) and unexplained(text) == []


def test_rewrite_without_the_feature_gate_leaves_the_service_out_of_kong() -> None:
    # MaybeRewriteURI: without RewriteURIs the Kong service is a translation failure.
    text = ingress(
        "rewritten",
        "shop.example.com",
        ("/old", "Prefix", "app"),
        annotations={"konghq.com/rewrite": "/new"},
    )
    request = Request("shop.example.com", "/old/x")
    assert isinstance(kong(text).route(request).outcome, NoRoute)
    with_gate = kong(text, provider_options={"kong": {"rewrite-uris": "true"}})
    answer = with_gate.route(request).outcome
    assert isinstance(answer, Forward) and answer.path == "/new"
    assert unexplained(text) == []
    assert unexplained(text, provider_options={"kong": {"rewrite-uris": "true"}}) == []


def test_a_grpc_only_route_refuses_plain_http_and_that_is_reported() -> None:
    text = ingress(
        "rpc",
        "rpc.example.com",
        ("/", "Prefix", "grpc"),
        annotations={"konghq.com/protocols": "grpc"},
    )
    answer = kong(text).route(Request("rpc.example.com", "/x")).outcome
    assert getattr(answer, "status", None) == 415
    call = Request("rpc.example.com", "/pkg.Svc/Call", method="POST", grpc=True)
    assert backend(kong(text).route(call)) == "web/grpc"
    assert backend(through_gateway(text, call)) == "web/grpc"
    assert unexplained(text) == []


# --- KongIngress (KIC 2.x) ----------------------------------------------------------------------


def test_a_kongingress_named_like_the_ingress_shapes_its_routes() -> None:
    # KIC 2.x, kongstate/util.go getKongIngressFromObjAnnotations: without konghq.com/override
    # the KongIngress with the Ingress's name overrides its routes.
    text = (
        ingress("orders", "shop.example.com", ("/orders", "Prefix", "orders"))
        + """---
apiVersion: configuration.konghq.com/v1
kind: KongIngress
metadata: {name: orders, namespace: web}
route:
  methods: [POST]
"""
    )
    model = kong(text)
    assert backend(model.route(Request("shop.example.com", "/orders", method="POST"))) == (
        "web/orders"
    )
    assert isinstance(model.route(Request("shop.example.com", "/orders")).outcome, NoRoute)
    assert through_gateway(text, Request("shop.example.com", "/orders")) == NoRoute()
    assert differences(text) == []


# --- routes without host; the default backend -------------------------------------------------

HOSTLESS = (
    ingress("everywhere", None, ("/metrics", "Prefix", "metrics"))
    + ingress("site", "site.example.com", ("/", "Prefix", "site"))
    + ingress("api", "api.example.com", ("/api", "Prefix", "api"))
)


def test_a_route_without_host_serves_every_host_after_the_hosts_own() -> None:
    # Kong's router: a route without hosts matches any host, one match field short of a route
    # with one (transform.lua get_priority), so the host's own routes are tried first.
    model = kong(HOSTLESS)
    cases = {
        Request("api.example.com", "/metrics"): "web/metrics",
        Request("api.example.com", "/api/x"): "web/api",
        Request("site.example.com", "/metrics"): "web/site",
        Request("other.example.com", "/metrics/x"): "web/metrics",
    }
    for request, expected in cases.items():
        assert backend(model.route(request)) == expected, request.display()
        for emitter in ("standard", "envoy-gateway"):
            assert backend(through_gateway(HOSTLESS, request, emitter)) == expected, (
                request.display(),
                emitter,
            )
    assert differences(HOSTLESS) == []


DEFAULT_BACKENDS = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: defaults, namespace: web, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  ingressClassName: kong
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - host: one.example.com
    http:
      paths:
      - {path: /, pathType: Exact, backend: {service: {name: one, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: later, namespace: web, creationTimestamp: "2021-01-01T00:00:00Z"}
spec:
  ingressClassName: kong
  defaultBackend: {service: {name: ignored, port: {number: 80}}}
  rules:
  - host: two.example.com
    http:
      paths:
      - {path: /two, pathType: Prefix, backend: {service: {name: two, port: {number: 80}}}}
"""


def test_the_oldest_default_backend_is_kongs_catch_all_on_every_host() -> None:
    # KIC golden ingress-v1-with-default-backend; translate_ingress.go getDefaultBackendService.
    model = kong(DEFAULT_BACKENDS)
    result = converted(DEFAULT_BACKENDS)
    cases = {
        Request("one.example.com", "/"): "web/one",
        Request("one.example.com", "/x"): "web/fallback",
        Request("two.example.com", "/two/x"): "web/two",
        Request("two.example.com", "/x"): "web/fallback",
        Request("unknown.invalid", "/x"): "web/fallback",
    }
    gateway = GatewayAPIModel(result.resources)
    for request, expected in cases.items():
        assert backend(model.route(request)) == expected, request.display()
        assert backend(gateway.route(request)) == expected, request.display()
    ignored = [
        e
        for e in result.report.ledger.values()
        if e.source.name == "later" and e.field == "spec.defaultBackend"
    ]
    assert [e.status.value for e in ignored] == ["ignored"]
    assert differences(DEFAULT_BACKENDS) == []


FACADE = """---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: alpha, namespace: web}
spec:
  ingressClassName: kong
  rules:
  - http:
      paths:
      - path: /alpha
        pathType: Prefix
        backend:
          resource:
            apiGroup: incubator.ingress-controller.konghq.com
            kind: KongServiceFacade
            name: alpha
---
apiVersion: incubator.ingress-controller.konghq.com/v1alpha1
kind: KongServiceFacade
metadata:
  name: alpha
  namespace: web
  annotations: {kubernetes.io/ingress.class: kong, konghq.com/plugins: alpha-auth}
spec:
  backendRef: {name: app, port: 8080}
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: alpha-auth, namespace: web}
plugin: ip-restriction
config: {allow: [10.0.0.0/8]}
"""


def test_a_service_facade_is_its_service_with_the_facades_plugins() -> None:
    # KIC golden kong-service-facade (feature-flag-on): a Kong service per facade, whose
    # plugins are the facade's.
    request = Request("unknown.invalid", "/alpha/x")
    answer = kong(FACADE).route(request).outcome
    assert isinstance(answer, Forward) and answer.guards == ("ip-allow 10.0.0.0/8",)
    assert answer.backends[0][0].name == "app" and answer.backends[0][0].port == 8080
    gateway = through_gateway(FACADE, request, "envoy-gateway")
    assert gateway == answer
    assert unexplained(FACADE) == [] and unexplained(FACADE, "envoy-gateway") == []


# --- issue 22: HTTPS-only routes without spec.tls (item 10) -----------------------------------


def _listeners(result: ingress2gateway.Result) -> list[dict[str, Any]]:
    return [
        listener
        for obj in result.resources
        if obj.get("kind") == "Gateway"
        for listener in obj["spec"]["listeners"]
    ]


def test_an_https_only_route_without_tls_gets_the_https_listener_to_complete() -> None:
    # kong/runloop/handler.lua: an HTTPS-only route answers plain HTTP 426 (or redirects);
    # Kong served HTTPS with its default certificate where no certificate names the host.
    text = ingress(
        "secure",
        "pay.example.com",
        ("/", "Prefix", "pay"),
        annotations={"konghq.com/protocols": "https"},
    ) + ingress(
        "moved",
        "shop.example.com",
        ("/", "Prefix", "shop"),
        annotations={
            "konghq.com/protocols": "https",
            "konghq.com/https-redirect-status-code": "308",
        },
    )
    model = kong(text)
    result = converted(text)
    https = [x for x in _listeners(result) if x["protocol"] == "HTTPS"]
    assert sorted((x["hostname"], x["tls"]["certificateRefs"][0]["name"]) for x in https) == [
        ("pay.example.com", "pay-example-com-kong-default-certificate"),
        ("shop.example.com", "shop-example-com-kong-default-certificate"),
    ]
    gateway = GatewayAPIModel(result.resources)
    plain = Request("pay.example.com", "/x")
    assert getattr(model.route(plain).outcome, "status", None) == 426
    assert backend(gateway.route(plain)) is None  # no plain-HTTP route on port 80
    secure = Request("pay.example.com", "/x", "https")
    assert backend(gateway.route(secure)) == "web/pay"
    moved = Request("shop.example.com", "/a", query="b=1")
    assert model.route(moved).outcome == gateway.route(moved).outcome
    notes = [n.message for n in result.report.notifications if "create it" in n.message]
    assert len(notes) == 2 and all("no plain HTTP route is emitted" in m for m in notes)
    assert unexplained(text) == [] and unexplained(text, "envoy-gateway") == []


def test_a_grpcs_only_route_without_tls_is_served_on_https_alone() -> None:
    text = ingress(
        "rpc",
        "rpc.example.com",
        ("/", "Prefix", "grpc"),
        annotations={"konghq.com/protocols": "grpcs"},
    )
    result = converted(text)
    assert [x["hostname"] for x in _listeners(result) if x["protocol"] == "HTTPS"] == [
        "rpc.example.com"
    ]
    gateway = GatewayAPIModel(result.resources)
    call = Request("rpc.example.com", "/pkg.Svc/Call", method="POST", grpc=True)
    assert backend(gateway.route(call)) is None
    secure = Request("rpc.example.com", "/pkg.Svc/Call", "https", "POST", grpc=True)
    assert backend(gateway.route(secure)) == "web/grpc"
    assert getattr(kong(text).route(call).outcome, "status", None) == 200  # a gRPC error
    assert unexplained(text) == []


# --- issue 22: host aliases that duplicate routes (item 11) -----------------------------------


def test_a_host_alias_that_duplicates_a_route_gets_the_overlap_notice() -> None:
    text = ingress(
        "primary",
        "a.example.com",
        ("/x", "Prefix", "primary"),
        ("/only-a", "Prefix", "primary"),
        annotations={"konghq.com/host-aliases": "b.example.com,a.example.com"},
    ) + ingress("other", "b.example.com", ("/x", "Prefix", "other"))
    result = converted(text)
    notes = [n for n in result.report.notifications if n.code == "path-conflict"]
    assert len(notes) == 1
    assert notes[0].source is not None and notes[0].source.name == "primary"
    assert "b.example.com" in notes[0].message and "Ingress web/other" in notes[0].message
    gateway = GatewayAPIModel(result.resources)
    assert backend(gateway.route(Request("b.example.com", "/only-a"))) == "web/primary"
    assert backend(gateway.route(Request("a.example.com", "/x"))) == "web/primary"
    duplicated = [
        obj["metadata"]["name"]
        for obj in result.resources
        if obj["kind"] == "HTTPRoute" and obj["spec"].get("hostnames") == ["a.example.com"]
    ]
    assert len(duplicated) == 1  # the alias naming the Ingress's own host adds nothing
    assert unexplained(text) == []


# --- the Kong Ingress Controller's translator golden tests ------------------------------------
# testdata/kong/kic-goldens/SOURCES.md: each input, with the Kong configuration KIC generated.

KIC_GOLDENS = ROOT / "testdata" / "kong" / "kic-goldens"
_GOLDEN_FILES = {"kong-service-facade": "feature-flag-on_golden.yaml"}
_ROUTE_FIELDS = (
    "hosts",
    "paths",
    "methods",
    "headers",
    "snis",
    "strip_path",
    "preserve_host",
    "regex_priority",
    "https_redirect_status_code",
)


def kic_cases() -> list[str]:
    return sorted(p.name for p in KIC_GOLDENS.iterdir() if (p / "in.yaml").exists())


def kic_input(case: str) -> list[KubeObject]:
    """The case's objects, less those the fallback test marks broken (the fallback
    configuration leaves them out)."""
    return [
        obj
        for obj in objects_of((KIC_GOLDENS / case / "in.yaml").read_text())
        if obj.annotations.get("test.konghq.com/broken") != "true"
    ]


def kic_golden(case: str) -> dict[str, Any]:
    name = _GOLDEN_FILES.get(case, "default_golden.yaml")
    loaded = yaml.safe_load((KIC_GOLDENS / case / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def _golden_routes(golden: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for service in golden.get("services") or []:
        for route in service.get("routes") or []:
            found[route["name"]] = {**route, "service": service["name"]}
    return found


@pytest.mark.parametrize("case", kic_cases())
def test_the_model_translates_each_input_as_the_controllers_golden_says(case: str) -> None:
    model = controller_model(kic_input(case), ConvertOptions())
    assert model is not None
    golden = _golden_routes(kic_golden(case))
    mine = {route.name: route for route in model.config.routes}
    assert sorted(mine) == sorted(golden)
    for name, expected in golden.items():
        route = mine[name]
        assert str(route.id) == expected["id"], name
        assert route.service.name == expected["service"], name
        actual = {
            "hosts": route.hosts or None,
            "paths": [p.value for p in route.paths] or None,
            "methods": route.methods,
            "headers": route.headers,
            "snis": route.snis,
            "strip_path": route.strip_path,
            "preserve_host": route.preserve_host,
            "regex_priority": route.regex_priority,
            "https_redirect_status_code": route.redirect_code or 426,
        }
        assert {k: actual[k] for k in _ROUTE_FIELDS} == {
            k: expected.get(k, actual[k] if k in ("methods", "headers", "snis") else None)
            for k in _ROUTE_FIELDS
        }, name
        assert route.protocols == expected.get("protocols"), name


def golden_config(case: str, objects: list[KubeObject]) -> KongConfig:
    """The golden's Kong routes, services, certificates and plugins, for a Kong router that
    owes nothing to the model's translation."""
    golden = kic_golden(case)
    store = read_store(objects, ConvertOptions())
    config = KongConfig()
    plugins = golden.get("plugins") or []
    for raw in golden.get("services") or []:
        service = KongService(raw["name"], _golden_backend(raw, store), raw.get("path"))
        service.protocol = raw.get("protocol", "http")
        service.plugins = [
            _golden_plugin(p, None)
            for p in plugins
            if p.get("service") in (raw["name"], raw.get("id"))
        ]
        for route in raw.get("routes") or []:
            tags = dict(t.split(":", 1) for t in route.get("tags") or [] if ":" in t)
            owner = Cause(
                tags.get("k8s-kind", "Ingress"), tags.get("k8s-namespace"), tags.get("k8s-name", "")
            )
            kong_route = KongRoute(route["name"], owner, service)
            kong_route.hosts = list(route.get("hosts") or [])
            kong_route.paths = [
                KongPath(p, owner, p.lstrip("~").rstrip("$"), p.startswith("~"))
                for p in route.get("paths") or []
            ]
            kong_route.methods = route.get("methods")
            kong_route.headers = route.get("headers")
            kong_route.snis = route.get("snis")
            kong_route.protocols = route.get("protocols")
            kong_route.strip_path = route.get("strip_path")
            kong_route.preserve_host = route.get("preserve_host", True)
            kong_route.regex_priority = route.get("regex_priority", 0)
            kong_route.redirect_code = route.get("https_redirect_status_code")
            own = [p for p in plugins if p.get("route") in (route["name"], route.get("id"))]
            kong_route.plugins = [_golden_plugin(p, owner) for p in own]
            names = {p.name for p in kong_route.plugins}
            kong_route.plugins += [p for p in service.plugins if p.name not in names]
            config.routes.append(kong_route)
    for cert in golden.get("certificates") or []:
        snis = [s["name"] if isinstance(s, dict) else str(s) for s in cert.get("snis") or []]
        config.certificates.append(Certificate(snis, Cause("Secret", None, "")))
    return config


def _golden_backend(service: dict[str, Any], store: Any) -> Backend:
    host = str(service.get("host", ""))
    if host.endswith(".svc.facade"):  # <namespace>.<facade>.svc.facade
        namespace, facade = host[: -len(".svc.facade")].split(".", 1)
        obj = store.facades[(namespace, facade)]
        ref = obj.spec["backendRef"]
        return Backend(namespace, ref["name"], ref["port"])
    name, namespace, port, _ = host.rsplit(".", 3)
    value: int | str = int(port) if port.isdigit() else port
    return Backend(namespace, name, store.service_port(namespace, name, value))


def _golden_plugin(raw: dict[str, Any], route_owner: Cause | None) -> KongPlugin:
    """A plugin of the golden, named by its tags (the KongPlugin it came from)."""
    tags = dict(t.split(":", 1) for t in raw.get("tags") or [] if ":" in t)
    metadata = {"name": tags.get("k8s-name", raw["name"]), "namespace": tags.get("k8s-namespace")}
    data = {"plugin": raw["name"], "config": raw.get("config") or {}, "metadata": metadata}
    obj = KubeObject(
        {"kind": tags.get("k8s-kind", "KongPlugin"), **data}, Origin("golden", None, 0)
    )
    field = "metadata.annotations[konghq.com/plugins]"
    referrer = route_owner or Cause("Service", None, "")
    return KongPlugin(obj, Cause(referrer.kind, referrer.namespace, referrer.name, field))


@pytest.mark.parametrize("case", kic_cases())
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_the_migration_routes_each_golden_input_as_kong_over_the_golden_routes(
    case: str, emitter: str
) -> None:
    objects = kic_input(case)
    golden_kong = KongModel(golden_config(case, objects))
    model = controller_model(objects, ConvertOptions())
    assert model is not None
    result = ingress2gateway.convert(objects, providers=["kong"], emitter=emitter)
    requests = {*model.requests(), *golden_kong.requests()}
    found = compare(golden_kong, sorted(requests), result.resources, result.report)
    assert found.requests > 0
    assert [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ] == []


# --- every Kong input the project holds: zero unexplained differences --------------------------


def _golden_cases() -> list[Case]:
    return cases("kong") + [
        c for c in cases("envoy-gateway") if c.directory.name.startswith("kong-")
    ]


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_golden_cases(
    case: Case, emitter: str
) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    args.pop("emitter", None)
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    found = ingress2gateway.verify(
        objects,
        providers=args.pop("providers"),
        emitter=emitter,
        options=options,
        gateway_api_version=args.get("gateway_api_version"),
        channel=args.get("channel", "standard"),
    )
    assert found.requests > 0
    assert _listed(found.unexplained) == []


@pytest.mark.parametrize(
    "path",
    shared_yaml_files("corpus", "kong"),
    ids=lambda p: str(p.relative_to(SHARED / "corpus" / "kong")),
)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_corpus(path: Path, emitter: str) -> None:
    require_shared("corpus", "kong")
    objects = ingress2gateway.load_manifests([path])
    found = ingress2gateway.verify(objects, providers="kong", emitter=emitter)
    assert _listed(found.unexplained) == []


@pytest.mark.parametrize("case", kic_cases())
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_controllers_goldens(
    case: str, emitter: str
) -> None:
    found = ingress2gateway.verify(kic_input(case), providers="kong", emitter=emitter)
    assert found.requests > 0
    assert _listed(found.unexplained) == []


def _listed(found: list[Any]) -> list[str]:
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found
    ]
