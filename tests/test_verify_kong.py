"""``verify`` for Kong: the model of Kong (the Kong Ingress Controller's translation and Kong's
router) on scenarios from the controllers' own tests, and the migration of Kong input request by
request.

Upstream tests named below are in ``Kong/kubernetes-ingress-controller`` (KIC) and ``Kong/kong``
(``spec/01-unit/08-router_spec.lua``, the ``traditional_compatible`` flavour).
"""

from __future__ import annotations

import ast
import sys
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
    Redirect,
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


def test_character_prefixes_are_matched_exactly_where_the_order_allows() -> None:
    # PathPrefix /api and RegularExpression /api[^/].* together are Kong's /api; /static/ is
    # RegularExpression /static/.* (no other path of the host can take those requests first).
    result = converted(CHARACTER_PREFIXES)
    assert not [n for n in result.report.notifications if n.code == "kong-behaviour-differs"]
    gateway = GatewayAPIModel(result.resources)
    for path, expected in (("/apiary", "api"), ("/api/x", "api"), ("/static", "root")):
        assert backend(gateway.route(Request("old.example.com", path))) == f"web/{expected}"
    assert differences(CHARACTER_PREFIXES) == []
    assert differences(CHARACTER_PREFIXES, "envoy-gateway") == []


def test_character_prefixes_that_other_paths_continue_are_reported() -> None:
    # Kong ranks /api-docs (longer) before /api for /api-docs/x; a regular expression for
    # /api would be tried first, so /api stays a PathPrefix and the change is reported.
    text = ingress(
        "legacy",
        "old.example.com",
        ("/api", "ImplementationSpecific", "api"),
        ("/api-docs", "Prefix", "docs"),
    )
    notes = {
        n.field: n.message
        for n in converted(text).report.notifications
        if n.code == "kong-behaviour-differs"
    }
    assert "/api<more characters>" in notes["spec.rules[0].http.paths[0]"]
    assert backend(through_gateway(text, Request("old.example.com", "/api-docs/x"))) == "web/docs"
    assert any("/apile" in line for line in differences(text))
    assert unexplained(text) == [] and unexplained(text, "envoy-gateway") == []


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


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "testdata" / "kong" / "verify-scenarios").glob("*.yaml")),
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_scenarios(path: Path, emitter: str) -> None:
    # Manifests written the way Kong's users write them (each file says what it exercises).
    objects = ingress2gateway.load_manifests([path])
    found = ingress2gateway.verify(objects, providers="kong", emitter=emitter)
    assert found.requests > 0
    assert _listed(found.unexplained) == []


def _listed(found: list[Any]) -> list[str]:
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found
    ]


# --- Kong's router, on the scenarios of Kong's own tests ----------------------------------------
# spec/01-unit/08-router_spec.lua, flavour traditional_compatible; a route's backend is named
# after the route, so that the answer says which route took the request.


def kong_route(
    name: str,
    paths: tuple[str, ...] = (),
    hosts: tuple[str, ...] = (),
    service_path: str | None = "/",
    **fields: Any,
) -> KongRoute:
    owner = Cause("Ingress", "web", name)
    route = KongRoute(name, owner, KongService(name, Backend("web", name, 80), service_path))
    route.paths = [KongPath(p, owner, p, p.startswith("~")) for p in paths]
    route.hosts = list(hosts)
    for key, value in fields.items():
        setattr(route, key, value)
    return route


def kong_router(*routes: KongRoute) -> KongModel:
    return KongModel(KongConfig(routes=list(routes)))


def took(model: KongModel, request: Request) -> str | None:
    found = backend(model.route(request))
    return None if found is None else found.split("/")[1]


def get(path: str, host: str = "domain.org", **kw: Any) -> Request:
    return Request(host, path, **kw)


def test_router_a_longer_prefix_is_not_superseded() -> None:
    # "does not supersede another route with a longer [uri]"
    model = kong_router(
        kong_route("hello", ("/my-route/hello",)), kong_route("short", ("/my-route",))
    )
    assert took(model, get("/my-route/hello")) == "hello"
    assert took(model, get("/my-route/hello/world")) == "hello"
    assert took(model, get("/my-route")) == "short"
    assert took(model, get("/my-route/world")) == "short"


def test_router_a_prefix_is_anchored_and_character_wise() -> None:
    # "only matches [uri prefix] as a prefix (anchored mode)"
    model = kong_router(
        kong_route("something", ("/something/my-route",)),
        kong_route("mine", ("/my-route",), ("example.com",)),
    )
    assert took(model, get("/something/my-route", "example.com")) == "something"
    assert took(model, get("/my-routes", "example.com")) == "mine"


def test_router_a_regex_beats_prefixes_and_is_anchored_at_the_start() -> None:
    # "matches a [uri regex] even if a [prefix uri] got a match", "... even if a [uri] got an
    # exact match", "matches from the beginning of the request URI [uri regex]"
    model = kong_router(
        kong_route("persons", ("/route/persons",)),
        kong_route("profile", (r"~/route/persons/\d+/profile",)),
        kong_route("fixture", ("/route/fixture",)),
        kong_route("captured", ("~/route/(fixture)",)),
        kong_route("numbers", ("~/prefix/[0-9]+",)),
    )
    assert took(model, get("/route/persons/123/profile")) == "profile"
    assert took(model, get("/route/persons/abc")) == "persons"
    assert took(model, get("/route/fixture")) == "captured"
    assert took(model, get("/prefix/123")) == "numbers"
    assert took(model, get("/extra/prefix/123")) is None


def test_router_more_headers_first_and_compared_without_letter_case() -> None:
    # "evaluates Routes with more [headers] first", "names are case-insensitive", "matches
    # values in a case-insensitive way", "more [headers] has priority over longer [paths]"
    two = {"version": ["v1", "v2"], "user_agent": ["foo", "bar"]}
    model = kong_router(
        kong_route("two", headers=two),
        kong_route("three", headers={**two, "location": ["east", "west"]}),
        kong_route("longer", ("/my-route/hello",), headers={"version": ["v1"]}),
        kong_route("shorter", ("/my-route",), headers={"version": ["v1"], "location": ["us-east"]}),
    )
    both = get("/").with_headers(("version", "v1"), ("user-agent", "FOO"), ("location", "west"))
    assert took(model, both) == "three"
    assert took(model, get("/").with_headers(("VERSION", "V2"), ("user_agent", "bar"))) == "two"
    hello = get("/my-route/hello").with_headers(("version", "v1"), ("location", "us-east"))
    assert took(model, hello) == "shorter"


def test_router_hosts_and_paths_before_methods_plain_hosts_before_wildcards() -> None:
    # "[host] and [uri] have higher priority than [method]", "matches leftmost wildcards",
    # "matches rightmost wildcards", "does not take precedence over a plain host"
    model = kong_router(
        kong_route("hosts", hosts=("domain-1.org", "domain-2.org")),
        kong_route("method", methods=["TRACE"]),
        kong_route("uri", ("/my-route",)),
        kong_route("plain", hosts=("plain.route.com",)),
        kong_route("leftmost", hosts=("*.route.com",)),
        kong_route("rightmost", hosts=("route.*",)),
        kong_route("exact", hosts=("route.com",)),
    )
    assert took(model, get("/my-route", "domain-1.org", method="TRACE")) == "hosts"
    assert took(model, get("/my-route", method="TRACE")) == "uri"
    assert took(model, get("/", method="TRACE")) == "method"
    assert took(model, get("/", "route.com")) == "exact"
    assert took(model, get("/", "route.org")) == "rightmost"
    assert took(model, get("/", "plain.route.com")) == "plain"
    assert took(model, get("/", "foo.route.com")) == "leftmost"
    assert took(model, get("/", "a.b.route.com")) == "leftmost"  # a suffix, any depth


def test_router_regex_priority_orders_regexes_only() -> None:
    # "[prefix matching ignore regex_priority]"; transform.lua get_priority
    model = kong_router(
        kong_route("low", ("~/v1",), ("domain-2.org",)),
        kong_route("high", ("~/v1",), ("domain-2.org",), regex_priority=5),
        kong_route("prefix", ("/v1",), ("domain-2.org",), regex_priority=10),
    )
    assert took(model, get("/v1", "domain-2.org")) == "high"


def test_router_a_route_is_split_by_path_kind_and_length() -> None:
    # "[assigns different priorities to regex and non-regex path]", "[assigns different
    # priorities to each path]" (transform.lua split_routes_and_services_by_path)
    model = kong_router(
        kong_route("mixed", ("~/some/thing/else", "/foo"), ("domain-1.org",)),
        kong_route("bar", ("/foo/bar",), ("domain-1.org",)),
        kong_route("overlap", ("/fox", "/fox/bar/baz"), ("domain-1.org",)),
        kong_route("middle", ("/fox/bar",), ("domain-1.org",)),
    )
    assert took(model, get("/some/thing/else", "domain-1.org")) == "mixed"
    assert took(model, get("/foo/bar", "domain-1.org")) == "bar"
    assert took(model, get("/fox", "domain-1.org")) == "overlap"
    assert took(model, get("/fox/bar", "domain-1.org")) == "middle"
    assert took(model, get("/fox/bar/baz/x", "domain-1.org")) == "overlap"


def test_router_equal_priorities_go_to_the_greater_route_id() -> None:
    # atc-router router.rs: matchers in a BTreeMap by (priority, uuid), tried in reverse.
    first, second = kong_route("a", ("/",)), kong_route("b", ("/",))
    winner = max((first, second), key=lambda r: r.id.bytes)
    assert took(kong_router(first, second), get("/x")) == winner.name
    assert took(kong_router(second, first), get("/x")) == winner.name


def test_router_stream_routes_with_an_sni_come_first() -> None:
    # "[sni] has higher priority than [src] or [dst]" (stream_get_priority)
    model = kong_router(
        kong_route("port", protocols=["tcp", "tls"], destinations=[9443]),
        kong_route(
            "sni", protocols=["tls_passthrough"], destinations=[9443], snis=["a.example.com"]
        ),
    )
    assert took(model, Request("a.example.com", protocol="TLS", port=9443)) == "sni"
    assert took(model, Request("", protocol="TCP", port=9443)) == "port"
    assert took(model, Request("", protocol="TCP", port=9000)) is None


# spec/fixtures/router_path_handling_tests.lua, the v0 rows (traditional_compatible always joins
# paths as v0): service path, route path, strip_path, request path, upstream path.
PATH_HANDLING_V0 = [
    ("/", "/", False, "/route/req", "/route/req"),
    ("/", "/", True, "/routereq", "/routereq"),
    ("/", "/route", False, "/routereq", "/routereq"),
    ("/", "/route", True, "/route", "/"),
    ("/", "/route", True, "/route/", "/"),
    ("/", "/route", True, "/routereq", "/req"),
    ("/", "/route/", True, "/route/req", "/req"),
    ("/srv", "/rou", False, "/roureq", "/srv/roureq"),
    ("/srv", "/rou", True, "/roureq", "/srv/req"),
    ("/srv/", "/rou", False, "/rou", "/srv/rou"),
    ("/srv/", "/rou", True, "/rou", "/srv"),
    ("/service", "/", True, "/", "/service"),
    ("/service", "/", False, "/route/", "/service/route/"),
    ("/service", "/route", False, "/route", "/service/route"),
    ("/service", "/route", True, "/route", "/service"),
    ("/service", "/route", True, "/route/", "/service/"),
    ("/service", "/route", True, "/routereq", "/service/req"),
    ("/service", "/route/", True, "/route/", "/service/"),
    ("/service", "/route/", True, "/route/req", "/service/req"),
    ("/service/", "/", True, "/", "/service/"),
    ("/service/", "/", False, "/route/req", "/service/route/req"),
    ("/service/", "/route", True, "/route", "/service"),
    ("/service/", "/route", True, "/route/", "/service/"),
    ("/service/", "/route", True, "/routereq", "/service/req"),
    ("/service/", "/route/", True, "/route/req", "/service/req"),
    ("/service", None, True, "/route/", "/service/route/"),
    ("/service/", None, False, "/route", "/service/route"),
    ("/service", "/route", True, "/route./req", "/service/req"),
    ("/service", "/route", True, "/route%2E/req", "/service/req"),
    ("/service/", "/route", True, "/route../req", "/service/req"),
    ("/service", "/route", False, "/route%2e/req", "/service/route./req"),
]


@pytest.mark.parametrize(("service", "route", "strip", "path", "seen"), PATH_HANDLING_V0)
def test_router_joins_paths_as_kong_does(
    service: str, route: str | None, strip: bool, path: str, seen: str
) -> None:
    paths = (route,) if route else ()
    hosts = () if route else ("localbin.com",)
    model = kong_router(kong_route("r", paths, hosts, service, strip_path=strip))
    answer = model.route(get(path, "localbin.com")).outcome
    assert isinstance(answer, Forward) and answer.path == seen


def test_router_strips_what_a_regex_matched() -> None:
    # "strips a [uri regex]", "strips a [uri regex] with a capture group"
    model = kong_router(kong_route("r", (r"~/users/\d+/profile",), strip_path=True))
    answer = model.route(get("/users/123/profile/x")).outcome
    assert isinstance(answer, Forward) and answer.path == "/x"


# --- the proxy (kong/runloop/handler.lua) -----------------------------------------------------


def test_proxy_refuses_plain_http_on_https_only_routes() -> None:
    model = kong_router(
        kong_route("upgrade", ("/a",), ("x.example.com",), protocols=["https"]),
        kong_route("moved", ("/b",), ("x.example.com",), protocols=["https"], redirect_code=301),
    )
    answer = model.route(get("/a", "x.example.com")).outcome
    assert getattr(answer, "status", None) == 426
    moved = model.route(get("/b/c", "x.example.com", query="d=1")).outcome
    assert moved == Redirect(301, "https://x.example.com/b/c?d=1")


def test_proxy_serves_https_only_with_a_certificate_for_the_sni() -> None:
    # kong/runloop/certificate.lua find_certificate: the SNI, then *. one label up.
    config = KongConfig(
        routes=[kong_route("r", ("/",))],
        certificates=[Certificate(["*.example.com"], Cause("Ingress", "web", "r"))],
    )
    model = KongModel(config)
    assert took(model, get("/", "a.example.com", scheme="https")) == "r"
    assert isinstance(model.route(get("/", "a.b.example.com", scheme="https")).outcome, NoRoute)
    assert took(model, get("/", "a.b.example.com")) == "r"


def test_proxy_turns_auth_plugins_into_guards_and_request_termination_into_an_answer() -> None:
    def plugin(name: str, **config: Any) -> KongPlugin:
        obj = KubeObject(
            {
                "kind": "KongPlugin",
                "metadata": {"name": name, "namespace": "web"},
                "plugin": name,
                "config": config,
            },
            Origin("t", None, 0),
        )
        return KongPlugin(
            obj, Cause("Ingress", "web", "r", "metadata.annotations[konghq.com/plugins]")
        )

    guarded = kong_route("g", ("/g",))
    guarded.plugins = [
        plugin("key-auth"),
        plugin("ip-restriction", allow=["10.0.0.1", "10.1.0.0/16"]),
    ]
    closed = kong_route("c", ("/c",))
    closed.plugins = [plugin("request-termination", status_code=403)]
    model = kong_router(guarded, closed)
    answer = model.route(get("/g")).outcome
    assert isinstance(answer, Forward)
    assert answer.guards == ("api-key", "ip-allow 10.0.0.1/32,10.1.0.0/16")
    assert getattr(model.route(get("/c")).outcome, "status", None) == 403


# --- KIC's route settings (internal/dataplane/kongstate/route_test.go) -------------------------


def translated_route(
    annotations: dict[str, str], path: tuple[str, str] = ("/", "Prefix")
) -> KongRoute:
    text = ingress("i", "foo.com", (path[0], path[1], "svc"), annotations=annotations)
    routes = kong(text).config.routes
    assert len(routes) == 1
    return routes[0]


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        # TestOverrideRoute
        ({"konghq.com/methods": "GET,POST"}, {"methods": ["GET", "POST"]}),
        ({"konghq.com/methods": "GET,post"}, {"methods": ["GET", "POST"]}),
        ({"konghq.com/methods": "GET,-1"}, {"methods": None}),
        ({"konghq.com/https-redirect-status-code": "302"}, {"redirect_code": 302}),
        (
            {
                "konghq.com/protocols": "http",
                "konghq.com/preserve-host": "false",
                "konghq.com/strip-path": "false",
                "konghq.com/regex-priority": "10",
            },
            {
                "protocols": ["http"],
                "preserve_host": False,
                "strip_path": False,
                "regex_priority": 10,
            },
        ),
        (
            {"konghq.com/headers.foo-header": "bar-value"},
            {"headers": {"foo-header": ["bar-value"]}},
        ),
        (
            {"konghq.com/protocols": "grpc,grpcs"},
            {"protocols": ["grpc", "grpcs"], "strip_path": None},
        ),
        ({"konghq.com/path-handling": "v1"}, {"path_handling": "v1"}),
        # TestOverrideRouteStripPath, ...PreserveHost, ...RegexPriority, ...HTTPSRedirectCode
        ({"konghq.com/strip-path": "TRUE"}, {"strip_path": True}),
        ({"konghq.com/strip-path": "yes"}, {"strip_path": False}),
        ({"konghq.com/preserve-host": "42"}, {"preserve_host": True}),
        ({"konghq.com/regex-priority": "-10"}, {"regex_priority": -10}),
        ({"konghq.com/regex-priority": "3.14"}, {"regex_priority": 0}),
        ({"konghq.com/https-redirect-status-code": "whatever"}, {"redirect_code": None}),
        (
            {"ingress.kubernetes.io/force-ssl-redirect": "true"},
            {"redirect_code": 302, "protocols": ["https"]},
        ),
        (
            {
                "ingress.kubernetes.io/force-ssl-redirect": "true",
                "konghq.com/https-redirect-status-code": "307",
            },
            {"redirect_code": 307, "protocols": ["https"]},
        ),
        ({"ingress.kubernetes.io/force-ssl-redirect": "false"}, {"redirect_code": None}),
        # TestOverrideRouteSNIs, TestOverrideHosts, TestOverrideHeaders, TestNormalizeProtocols
        (
            {"konghq.com/snis": "hostname.com, hostname2.com"},
            {"snis": ["hostname.com", "hostname2.com"]},
        ),
        ({"konghq.com/snis": "*.example.com"}, {"snis": None}),
        (
            {"konghq.com/host-aliases": "illustration.com, example.com, *.example.com, example.*"},
            {"hosts": ["foo.com", "illustration.com", "example.com", "*.example.com", "example.*"]},
        ),
        (
            {"konghq.com/host-aliases": "example.com, example.com"},
            {"hosts": ["foo.com", "example.com"]},
        ),
        ({"konghq.com/host-aliases": "kong.*.com"}, {"hosts": ["foo.com"]}),
        (
            {"konghq.com/headers.x-a": "1;2", "konghq.com/headers-separator": ";"},
            {"headers": {"x-a": ["1", "2"]}},
        ),
        ({"konghq.com/protocols": "grpc,https"}, {"protocols": ["http", "https"]}),
    ],
)
def test_kic_reads_route_annotations_as_its_tests_say(
    annotations: dict[str, str], expected: dict[str, Any]
) -> None:
    route = translated_route(annotations)
    for key, value in expected.items():
        assert getattr(route, key) == value, key


def test_kic_path_translation_as_its_tests_say() -> None:
    # subtranslator/ingress_test.go TestPathsFromIngressPaths and MaybePrependRegexPrefix
    cases = [
        (("/", "Prefix"), ["/"]),
        (("/foo", "Prefix"), ["/foo/", "~/foo$"]),
        (("/foo/", "Prefix"), ["/foo/", "~/foo$"]),
        (("/foo", "Exact"), ["~/foo$"]),
        (("/foo/", "Exact"), ["~/foo/$"]),
        (("/foo", "ImplementationSpecific"), ["/foo"]),
        (("//foo//bar", "ImplementationSpecific"), ["/foo/bar"]),
        (("/~/foo/[a-z]+", "ImplementationSpecific"), ["~/foo/[a-z]+"]),
    ]
    for path, paths in cases:
        assert [p.value for p in translated_route({}, path).paths] == paths, path
    custom = translated_route(
        {"konghq.com/regex-prefix": "/@"}, ("/@/x/[0-9]", "ImplementationSpecific")
    )
    assert [p.value for p in custom.paths] == ["~/x/[0-9]"]


# --- independence -------------------------------------------------------------------------------

MODEL_PACKAGE = ROOT / "providers" / "ingress2gateway_providers" / "kong" / "controller_model"
_MODEL_MAY_IMPORT = (
    "ingress2gateway.verification",
    "ingress2gateway.objects",
    "ingress2gateway.plugin",
    "ingress2gateway_providers.kong.controller_model",
)


def _imported(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative to the model's package
                parts = ["ingress2gateway_providers", "kong", "controller_model"]
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            found.append((module, node.lineno))
    return found


@pytest.mark.parametrize("path", sorted(MODEL_PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_the_kong_model_imports_nothing_of_the_conversion(path: Path) -> None:
    bad = [
        f"line {line}: {module}"
        for module, line in _imported(path)
        if module.split(".")[0] not in sys.stdlib_module_names
        and module.split(".")[0] not in ("__future__", "re2")
        and not module.startswith(_MODEL_MAY_IMPORT)
    ]
    assert bad == []


def test_the_import_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from ingress2gateway.converting.lowering import Lowered\nfrom ..kong import paths\n"
    )
    modules = [m for m, _ in _imported(sample)]
    assert modules == ["ingress2gateway.converting.lowering", "ingress2gateway_providers.kong.kong"]
    assert not any(m.startswith(_MODEL_MAY_IMPORT) for m in modules)


def test_the_coverage_table_names_tests_that_exist() -> None:
    import re

    from ingress2gateway_providers.kong import verified

    named = set(re.findall(r"``(test_[a-z_]+)", verified.__doc__ or ""))
    defined = set(re.findall(r"^def (test_[a-z_]+)", Path(__file__).read_text(), re.M))
    prefixes = {n for n in named if n.endswith("_")}
    assert named - prefixes <= defined
    assert all(any(d.startswith(p) for d in defined) for p in prefixes)


def test_a_kong_route_with_a_wildcard_host_ranks_below_plain_hosts_for_its_aliases_too() -> None:
    # transform.lua get_priority: PLAIN_HOST_ONLY is set only when none of the route's hosts
    # (its aliases included) has a wildcard.
    text = ingress(
        "tenants",
        "*.example.com",
        ("/app", "Prefix", "app"),
        annotations={"konghq.com/host-aliases": "app.example.org"},
    ) + ingress(
        "admin",
        "admin.example.com",
        ("/", "Prefix", "admin"),
        annotations={"konghq.com/host-aliases": "app.example.org"},
    )
    request = Request("app.example.org", "/app/x")
    assert backend(kong(text).route(request)) == "web/admin"
    assert backend(through_gateway(text, request)) == "web/admin"
    assert backend(through_gateway(text, Request("a.example.com", "/app/x"))) == "web/app"
    assert differences(text) == []


def test_kic_reads_the_class_annotation_before_the_class_field() -> None:
    # internal/store/store.go ListIngressesV1: a non-empty kubernetes.io/ingress.class decides.
    text = ingress(
        "by-field",
        "a.example.com",
        ("/", "Prefix", "a"),
        annotations={"kubernetes.io/ingress.class": "nginx"},
    ) + ingress(
        "by-annotation",
        "b.example.com",
        ("/", "Prefix", "b"),
        annotations={"kubernetes.io/ingress.class": "kong"},
    ).replace("ingressClassName: kong", "ingressClassName: other")
    model = kong(text)
    assert isinstance(model.route(Request("a.example.com", "/")).outcome, NoRoute)
    assert backend(model.route(Request("b.example.com", "/"))) == "web/b"
    notes = {
        n.source.name: n.message
        for n in converted(text).report.notifications
        if n.code == "kong-behaviour-differs" and n.source is not None
    }
    assert "did not serve" in notes["by-field"] and "served this Ingress" in notes["by-annotation"]
    assert differences(text) and unexplained(text) == []


def test_strip_path_on_an_exact_path_leaves_the_service_path_as_kong_does() -> None:
    text = (
        ingress(
            "exact",
            "shop.example.com",
            ("/status", "Exact", "api"),
            ("/dir/", "Exact", "api"),
            annotations={"konghq.com/strip-path": "true"},
        )
        + "---\n"
        + SERVICE_PATH.split("---\n", 2)[2]
    )
    model = kong(text)
    for path, seen in (("/status", "/internal"), ("/dir/", "/internal/")):
        request = Request("shop.example.com", path)
        answer = model.route(request).outcome
        assert isinstance(answer, Forward) and answer.path == seen
        for emitter in ("standard", "envoy-gateway"):
            assert through_gateway(text, request, emitter) == answer, (path, emitter)


def test_kic_leaves_out_cluster_plugins_and_facades_without_its_class() -> None:
    # zz_generated.controllers.go: the KongClusterPlugin and KongServiceFacade reconcilers drop
    # objects whose class annotation is not Kong's (MatchesIngressClass).
    text = (
        ingress(
            "u", "u.example.com", ("/", "Prefix", "u"), annotations={"konghq.com/plugins": "deny"}
        )
        + """---
apiVersion: configuration.konghq.com/v1
kind: KongClusterPlugin
metadata: {name: deny}
plugin: ip-restriction
config: {deny: [10.0.0.0/8]}
"""
    )
    answer = kong(text).route(Request("u.example.com", "/x")).outcome
    assert isinstance(answer, Forward) and answer.guards == ()
    classed = text.replace(
        "metadata: {name: deny}",
        "metadata: {name: deny, annotations: {kubernetes.io/ingress.class: kong}}",
    )
    answer = kong(classed).route(Request("u.example.com", "/x")).outcome
    assert isinstance(answer, Forward) and answer.guards == ("ip-deny 10.0.0.0/8",)
    notes = [n.message for n in converted(text).report.notifications if "left it out" in n.message]
    assert len(notes) == 1
    assert unexplained(text, "envoy-gateway") == [] and differences(classed, "envoy-gateway") == []


def test_a_plugin_runs_only_on_its_protocols() -> None:
    # Kong's plugins iterator runs a plugin for the request's protocol only if it is among the
    # plugin's protocols (all HTTP protocols by default).
    text = (
        ingress(
            "p",
            "p.example.com",
            ("/", "Prefix", "p"),
            annotations={"konghq.com/plugins": "deny"},
            tls=[{"hosts": ["p.example.com"], "secretName": "p"}],
        )
        + """---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: deny, namespace: web}
plugin: ip-restriction
protocols: [https]
config: {deny: [10.0.0.0/8]}
"""
    )
    model = kong(text)
    plain = model.route(Request("p.example.com", "/")).outcome
    secure = model.route(Request("p.example.com", "/", "https")).outcome
    assert isinstance(plain, Forward) and plain.guards == ()
    assert isinstance(secure, Forward) and secure.guards == ("ip-deny 10.0.0.0/8",)
    assert unexplained(text, "envoy-gateway") == []


def test_a_stripped_character_prefix_is_matched_and_stripped_exactly() -> None:
    # Kong's getting-started pattern: ImplementationSpecific /echo with strip-path. /echoes is
    # Kong's too, sent on as /es (get_upstream_uri_v0); the regular expression's rule strips with
    # a regex rewrite, which the envoy-gateway emitter writes (the standard one reports it).
    text = ingress(
        "echo",
        None,
        ("/echo", "ImplementationSpecific", "echo"),
        annotations={"konghq.com/strip-path": "true"},
    )
    request = Request("unknown.invalid", "/echoes")
    answer = kong(text).route(request).outcome
    assert isinstance(answer, Forward) and answer.path == "/es"
    assert through_gateway(text, request, "envoy-gateway") == answer
    assert through_gateway(text, Request("unknown.invalid", "/echo/x"), "envoy-gateway") == (
        kong(text).route(Request("unknown.invalid", "/echo/x")).outcome
    )
    assert differences(text, "envoy-gateway") == []
    assert unexplained(text) == []


def test_legacy_regex_detection_makes_regular_expressions_of_special_paths() -> None:
    # MaybePrependRegexPrefix with IngressClassParameters enableLegacyRegexDetection.
    text = (
        ingress("users", "u.example.com", (r"/users/\d+", "ImplementationSpecific", "users"))
        + """---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: kong}
spec:
  controller: ingress-controllers.konghq.com/kong
  parameters: {apiGroup: configuration.konghq.com, kind: IngressClassParameters, name: legacy, namespace: web, scope: Namespace}
---
apiVersion: configuration.konghq.com/v1alpha1
kind: IngressClassParameters
metadata: {name: legacy, namespace: web}
spec: {enableLegacyRegexDetection: true}
"""
    )
    request = Request("u.example.com", "/users/42/x")
    assert backend(kong(text).route(request)) == "web/users"
    assert backend(through_gateway(text, request)) == "web/users"
    assert differences(text) == []
    plain = text.replace("enableLegacyRegexDetection: true", "enableLegacyRegexDetection: false")
    assert backend(kong(plain).route(request)) is None


# --- the Gateway API model, where Kong's migration needed it ----------------------------------


def test_gateway_model_a_tls_connection_reaches_a_terminating_tls_listener() -> None:
    # A TCPIngress rule with a host: Kong terminated TLS by SNI, as a Terminate TLS listener does.
    objects = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "s"},
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [
                    {
                        "name": "tls",
                        "port": 9443,
                        "protocol": "TLS",
                        "hostname": "tls.example.com",
                        "tls": {"mode": "Terminate", "certificateRefs": [{"name": "c"}]},
                    }
                ],
            },
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1alpha3",
            "kind": "TLSRoute",
            "metadata": {"name": "r", "namespace": "s"},
            "spec": {
                "parentRefs": [{"name": "gw", "sectionName": "tls"}],
                "hostnames": ["tls.example.com"],
                "rules": [{"backendRefs": [{"name": "echo", "port": 2702}]}],
            },
        },
    ]
    answer = GatewayAPIModel(objects).route(Request("tls.example.com", protocol="TLS", port=9443))
    assert backend(answer) == "s/echo"


def test_gateway_model_an_envoy_gateway_backend_for_a_service_is_that_service() -> None:
    objects = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "pay"},
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "pay"},
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "rules": [
                    {
                        "backendRefs": [
                            {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "b"}
                        ]
                    }
                ],
            },
        },
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "Backend",
            "metadata": {"name": "b", "namespace": "pay"},
            "spec": {
                "endpoints": [{"fqdn": {"hostname": "verified.pay.svc.cluster.local", "port": 443}}]
            },
        },
    ]
    answer = GatewayAPIModel(objects).route(Request("x.example.com", "/"))
    assert isinstance(answer.outcome, Forward)
    assert answer.outcome.backends[0][0] == Backend("pay", "verified", 443, "Service")
