"""The APISIX provider: requests in, backend / redirect / status out, through the converted
objects (the Gateway API model of ``verify``), and the catalog, class and ledger rules."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions, Provider
from ingress2gateway.registry import load_provider
from ingress2gateway.reporting.report import Status
from ingress2gateway.validation import validate
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
from ingress2gateway_providers.apisix import PROVIDER
from ingress2gateway_providers.apisix.catalog import ANNOTATIONS
from ingress2gateway_providers.apisix.paths import unanchored, uri_match, uris_matches

from .golden import Case, cases
from .ledger_checks import missing_ledger_fields


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def convert(text: str, **kwargs: Any) -> Result:
    objects = objects_of(text)
    result = ingress2gateway.convert(objects, providers=["apisix"], **kwargs)
    for obj in result.resources:
        assert validate(obj, result.target) == [], obj
    assert missing_ledger_fields(objects, result) == []
    return result


def answer(result: Result, host: str, path: str = "/", **request: Any) -> Outcome:
    return GatewayAPIModel(result.resources).route(Request(host, path, **request)).outcome


def backend_of(outcome: Outcome) -> str | None:
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        return outcome.backends[0][0].name
    return None


def codes(result: Result) -> list[str]:
    return [n.code for n in result.report.notifications]


def ingress(name: str, paths: str, annotations: str = "", host: str = "a.example.com") -> str:
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: web
  annotations: {{{annotations}}}
spec:
  ingressClassName: apisix
  rules:
  - host: {host}
    http:
      paths:
{paths}
"""


def path(value: str, kind: str, service: str) -> str:
    return (
        f"      - path: {value!r}\n        pathType: {kind}\n"
        f"        backend: {{service: {{name: {service}, port: {{number: 80}}}}}}\n"
    )


# --- registration and catalog -----------------------------------------------------------------


def test_provider_is_registered_and_satisfies_the_protocol() -> None:
    loaded: object = load_provider("apisix")
    assert loaded is PROVIDER
    assert isinstance(PROVIDER, Provider)
    assert all(code.startswith("apisix-") for code in PROVIDER.codes)


def test_catalog_has_every_annotation_of_the_controller() -> None:
    # internal/adc/translator/annotations/types.go: 40 constants, 38 of them keys (the others
    # are the prefix and "false").
    assert len({spec.key for spec in ANNOTATIONS}) == len(ANNOTATIONS) == 38
    rows = PROVIDER.catalog_rows()
    assert {row.key for row in rows} >= {spec.key for spec in ANNOTATIONS}
    assert any(row.key.startswith("ApisixRoute ") for row in rows)


# --- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "kind", "value"),
    [
        ("/exact", "Exact", "/exact"),
        ("/*", "PathPrefix", "/"),
        ("/api/*", "PathPrefix", "/api"),
        ("/blog/bar*", "RegularExpression", "/blog/bar.*"),
        ("/a.b*", "RegularExpression", r"/a\.b.*"),
    ],
)
def test_radix_uris_become_gateway_matches(uri: str, kind: str, value: str) -> None:
    match, _ = uri_match(uri)
    assert (match.type, match.value) == (kind, value)


def test_a_uri_with_its_glob_twin_is_one_prefix() -> None:
    assert [(m.type, m.value, n) for m, n in uris_matches(["/p", "/p/*"])] == [
        ("PathPrefix", "/p", None)
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/users/[0-9]+", ".*/users/[0-9]+.*"),
        ("^/v2/items$", "/v2/items"),
        ("a|b", ".*(?:a|b).*"),
        ("^/x", "/x.*"),
    ],
)
def test_unanchored_pcre_becomes_a_whole_path_regex(pattern: str, expected: str) -> None:
    assert unanchored(pattern) == expected


def test_prefix_and_exact_paths_route_as_in_apisix() -> None:
    result = convert(
        ingress("paths", path("/api", "Prefix", "api") + path("/exact", "Exact", "exact"))
    )
    assert backend_of(answer(result, "a.example.com", "/api")) == "api"
    assert backend_of(answer(result, "a.example.com", "/api/v1")) == "api"
    # Prefix /api is uris /api and /api/*: /apix is not under it.
    assert isinstance(answer(result, "a.example.com", "/apix"), NoRoute)
    assert backend_of(answer(result, "a.example.com", "/exact")) == "exact"
    assert isinstance(answer(result, "a.example.com", "/exact/x"), NoRoute)


def test_implementation_specific_is_exact_unless_it_ends_in_a_star() -> None:
    result = convert(
        ingress(
            "impl",
            path("/login", "ImplementationSpecific", "login")
            + path("/blog/bar*", "ImplementationSpecific", "blog"),
        )
    )
    assert backend_of(answer(result, "a.example.com", "/login")) == "login"
    assert isinstance(answer(result, "a.example.com", "/login/x"), NoRoute)
    # A character prefix: /blog/barx is the blog's too.
    assert backend_of(answer(result, "a.example.com", "/blog/barx")) == "blog"
    assert backend_of(answer(result, "a.example.com", "/blog/bar/a")) == "blog"
    assert isinstance(answer(result, "a.example.com", "/blog/ba"), NoRoute)


def test_use_regex_searches_anywhere_in_the_path() -> None:
    result = convert(
        ingress(
            "regex",
            path("/users/[0-9]+", "ImplementationSpecific", "users"),
            '"k8s.apisix.apache.org/use-regex": "true"',
        )
    )
    assert backend_of(answer(result, "a.example.com", "/users/12")) == "users"
    # ~~ is an unanchored search: APISIX sends /v1/users/12/x there too.
    assert backend_of(answer(result, "a.example.com", "/v1/users/12/x")) == "users"
    assert isinstance(answer(result, "a.example.com", "/users/abc"), NoRoute)


def test_a_pcre_rе2_refuses_is_reported_and_left_out() -> None:
    result = convert(
        ingress(
            "lookahead",
            path("/(?!admin)x", "ImplementationSpecific", "x"),
            '"k8s.apisix.apache.org/use-regex": "true"',
        )
    )
    assert "apisix-value-invalid" in codes(result)
    assert not [r for r in result.resources if r["kind"] == "HTTPRoute"]


# --- redirects, rewrites, methods --------------------------------------------------------------

TLS = """
  tls:
  - hosts: [a.example.com]
    secretName: cert
"""


def test_http_to_https_redirects_plain_http_only() -> None:
    text = ingress(
        "secure", path("/", "Prefix", "app"), '"k8s.apisix.apache.org/http-to-https": "true"'
    ).replace("  rules:", TLS.strip("\n") + "\n  rules:")
    result = convert(text)
    assert answer(result, "a.example.com", "/x") == Redirect(301, "https://a.example.com/x")
    assert backend_of(answer(result, "a.example.com", "/x", scheme="https")) == "app"


def test_http_to_https_is_true_only_for_the_string_true() -> None:
    result = convert(
        ingress(
            "loose", path("/", "Prefix", "app"), '"k8s.apisix.apache.org/http-to-https": "True"'
        )
    )
    assert backend_of(answer(result, "a.example.com", "/x")) == "app"


def test_http_redirect_code_outside_301_308_is_301() -> None:
    result = convert(
        ingress(
            "moved",
            path("/", "Prefix", "app"),
            '"k8s.apisix.apache.org/http-redirect": "https://b.example.com/new", '
            '"k8s.apisix.apache.org/http-redirect-code": "200"',
        )
    )
    assert answer(result, "a.example.com", "/old") == Redirect(301, "https://b.example.com/new")


def test_rewrite_target_replaces_the_whole_path() -> None:
    result = convert(
        ingress(
            "rw", path("/api", "Prefix", "api"), '"k8s.apisix.apache.org/rewrite-target": "/new"'
        )
    )
    outcome = answer(result, "a.example.com", "/api/deep")
    assert isinstance(outcome, Forward) and outcome.path == "/new"


def test_allowed_methods_only_reach_the_backend_others_are_refused_not_passed_on() -> None:
    text = ingress(
        "methods",
        path("/api", "Prefix", "api") + path("/", "Prefix", "root"),
        '"k8s.apisix.apache.org/http-allow-methods": "GET"',
    )
    for emitter, status in (("standard", 500), ("envoy-gateway", 405)):
        result = convert(text, emitter=emitter)
        assert backend_of(answer(result, "a.example.com", "/api")) == "api"
        refused = answer(result, "a.example.com", "/api", method="POST")
        # APISIX answers 405 on the route: the request never falls through to /.
        assert isinstance(refused, Respond) and refused.status == status, emitter
    assert "apisix-behaviour-differs" in codes(result)


def test_annotations_apply_only_to_their_own_ingress() -> None:
    text = (
        ingress(
            "one", path("/one", "Prefix", "one"), '"k8s.apisix.apache.org/rewrite-target": "/r"'
        )
        + "---"
        + ingress("two", path("/two", "Prefix", "two"))
    )
    result = convert(text)
    one = answer(result, "a.example.com", "/one")
    two = answer(result, "a.example.com", "/two")
    assert isinstance(one, Forward) and one.path == "/r"
    assert isinstance(two, Forward) and two.path == "/two"


# --- access control fails closed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        '"k8s.apisix.apache.org/allowlist-source-range": "10.0.0.0/8"',
        '"k8s.apisix.apache.org/blocklist-source-range": "10.0.0.0/8"',
        '"k8s.apisix.apache.org/auth-type": "keyAuth"',
        '"k8s.apisix.apache.org/auth-type": "basicAuth"',
        '"k8s.apisix.apache.org/auth-uri": "https://auth.example.com/check"',
    ],
)
def test_access_control_the_standard_emitter_cannot_carry_is_closed(annotation: str) -> None:
    text = (
        ingress("guarded", path("/admin", "Prefix", "admin"), annotation)
        + "---"
        + ingress("open", path("/", "Prefix", "public"))
    )
    result = convert(text)
    closed = answer(result, "a.example.com", "/admin/x")
    assert isinstance(closed, Respond) and closed.status == 500
    assert backend_of(answer(result, "a.example.com", "/other")) == "public"
    assert any(n.security for n in result.report.notifications)
    opened = convert(text, options=ConvertOptions(access_control_fallback="open"))
    assert backend_of(answer(opened, "a.example.com", "/admin/x")) == "admin"


def test_ip_lists_are_carried_by_envoy_gateway() -> None:
    result = convert(
        ingress(
            "guarded",
            path("/admin", "Prefix", "admin"),
            '"k8s.apisix.apache.org/allowlist-source-range": "10.0.0.0/8"',
        ),
        emitter="envoy-gateway",
    )
    outcome = answer(result, "a.example.com", "/admin")
    assert isinstance(outcome, Forward) and outcome.guards == ("ip-allow 10.0.0.0/8",)


# --- ApisixRoute ---------------------------------------------------------------------------------

ROUTE = """
apiVersion: apisix.apache.org/v2
kind: ApisixRoute
metadata:
  name: shop
  namespace: web
spec:
  ingressClassName: apisix
  http:
{rules}
"""


def apisix_route(rules: str) -> str:
    return ROUTE.format(rules=rules)


def test_apisixroute_hosts_paths_methods_and_exprs() -> None:
    result = convert(
        apisix_route(
            """
  - name: beta
    match:
      hosts: ["*.example.com"]
      paths: [/api/*]
      methods: [GET]
      exprs:
      - subject: {scope: Header, name: X-Beta}
        op: In
        set: ["1", "yes"]
    backends:
    - {serviceName: beta, servicePort: 80}
  - name: main
    match:
      hosts: ["*.example.com"]
      paths: [/api, /api/*]
    backends:
    - {serviceName: main, servicePort: 80}
"""
        )
    )
    beta = Request("a.example.com", "/api/x", headers=(("x-beta", "yes"),))
    model = GatewayAPIModel(result.resources)
    assert backend_of(model.route(beta).outcome) == "beta"
    assert backend_of(answer(result, "a.example.com", "/api/x", method="POST")) == "main"
    assert backend_of(answer(result, "a.example.com", "/api")) == "main"
    assert isinstance(answer(result, "example.com", "/api"), NoRoute)


def test_apisixroute_weights_default_to_100() -> None:
    result = convert(
        apisix_route(
            """
  - name: split
    match:
      paths: [/*]
    backends:
    - {serviceName: stable, servicePort: 80, weight: 300}
    - {serviceName: canary, servicePort: 80}
"""
        )
    )
    outcome = answer(result, "any.example.com", "/x")
    assert isinstance(outcome, Forward)
    shares = {b.name: float(w) for b, w in outcome.backends}
    assert shares == {"stable": 0.75, "canary": 0.25}


def test_a_higher_priority_rule_without_conditions_shadows_the_same_uri() -> None:
    result = convert(
        apisix_route(
            """
  - name: low
    priority: 1
    match:
      paths: [/x]
      methods: [GET]
    backends:
    - {serviceName: low, servicePort: 80}
  - name: high
    priority: 5
    match:
      paths: [/x]
    backends:
    - {serviceName: high, servicePort: 80}
"""
        )
    )
    # APISIX tries priority 5 first for uri /x, whatever the method.
    assert backend_of(answer(result, "h.example.com", "/x")) == "high"
    assert "apisix-conversion-note" in codes(result)


def test_apisixroute_authentication_closes_its_rule() -> None:
    result = convert(
        apisix_route(
            """
  - name: secured
    match:
      paths: [/admin/*]
    authentication:
      enable: true
      type: ldapAuth
    backends:
    - {serviceName: admin, servicePort: 80}
  - name: open
    match:
      paths: [/*]
    backends:
    - {serviceName: public, servicePort: 80}
"""
        ),
        emitter="envoy-gateway",
    )
    closed = answer(result, "h.example.com", "/admin/x")
    assert isinstance(closed, Respond) and closed.status == 500
    assert backend_of(answer(result, "h.example.com", "/x")) == "public"


def test_apisixroute_of_another_class_is_skipped() -> None:
    result = convert(
        apisix_route(
            "  - {name: r, match: {paths: [/*]}, backends: [{serviceName: s, servicePort: 80}]}"
        ).replace("ingressClassName: apisix", "ingressClassName: other")
    )
    assert result.resources == []
    entry = next(e for e in result.report.ledger.values() if e.source.kind == "ApisixRoute")
    assert entry.status is Status.IGNORED


def test_stream_rules_need_the_experimental_channel_before_v1_6() -> None:
    text = """
apiVersion: apisix.apache.org/v2
kind: ApisixRoute
metadata: {name: tcp, namespace: web}
spec:
  stream:
  - name: db
    protocol: TCP
    match: {ingressPort: 5432}
    backend: {serviceName: postgres, servicePort: 5432}
"""
    result = convert(text, channel="experimental")
    kinds = sorted(r["kind"] for r in result.resources)
    assert kinds == ["Gateway", "TCPRoute"]
    outcome = (
        GatewayAPIModel(result.resources).route(Request("", protocol="TCP", port=5432)).outcome
    )
    assert isinstance(outcome, Forward)
    assert outcome.backends[0][0] == Backend("web", "postgres", 5432)


def test_apisix_tls_client_ca_closes_the_https_routes() -> None:
    text = """
apiVersion: apisix.apache.org/v2
kind: ApisixTls
metadata: {name: tls, namespace: web}
spec:
  hosts: [s.example.com]
  secret: {name: cert, namespace: web}
  client:
    caSecret: {name: ca, namespace: web}
---
""" + apisix_route(
        """
  - name: root
    match: {hosts: [s.example.com], paths: [/*]}
    backends:
    - {serviceName: app, servicePort: 80}
"""
    )
    result = convert(text)
    https = answer(result, "s.example.com", "/x", scheme="https")
    assert isinstance(https, Respond) and https.status == 500


def test_unknown_keys_are_reported() -> None:
    result = convert(
        ingress(
            "typo",
            path("/", "Prefix", "app"),
            '"k8s.apisix.apache.org/upstream-read-timeout.": "5s"',
        )
    )
    assert "annotation-unknown" in codes(result)


def test_rules_without_host_still_serve_hosts_after_their_own_rules() -> None:
    text = (
        ingress("any", path("/", "Prefix", "default") + path("/api/docs", "Exact", "docs")).replace(
            "  - host: a.example.com\n    http:", "  - http:"
        )
        + "---"
        + ingress("a", path("/api", "Prefix", "api"))
    )
    result = convert(text)
    # APISIX tries a.example.com's own routes, then the routes without host.
    assert backend_of(answer(result, "a.example.com", "/api/x")) == "api"
    assert backend_of(answer(result, "a.example.com", "/other")) == "default"
    # /api/docs: a.example.com's /api took it first.
    assert backend_of(answer(result, "a.example.com", "/api/docs")) == "api"
    assert backend_of(answer(result, "b.example.com", "/api/docs")) == "docs"


# --- every golden case: the APISIX kinds' fields are in the ledger ----------------------------


def _apisix_fields(obj: KubeObject) -> list[str]:
    """Top-level spec fields, and each ApisixRoute http/stream rule."""
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return []
    fields = [f"spec.{key}" for key in spec]
    if obj.kind == "ApisixRoute":
        for part in ("http", "stream"):
            items = spec.get(part)
            fields += [
                f"spec.{part}[{i}]" for i in range(len(items) if isinstance(items, list) else 0)
            ]
    return fields


@pytest.mark.parametrize("case", cases("apisix"), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_golden_apisix_objects_have_complete_ledgers(case: Case, emitter: str) -> None:
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    args.pop("emitter", None)
    result = ingress2gateway.convert(objects, options=options, emitter=emitter, **args)
    recorded: dict[tuple[str | None, str | None, str], set[str]] = {}
    for entry in result.report.ledger.values():
        key = (entry.source.namespace, entry.source.name, entry.source.kind)
        recorded.setdefault(key, set()).add(entry.field)
    missing = []
    for obj in objects:
        if obj.group != "apisix.apache.org":
            continue
        have = recorded.get((obj.namespace, obj.name, obj.kind), set())
        if "spec" in have:
            continue
        for field in _apisix_fields(obj):
            if not any(f == field or f.startswith((field + ".", field + "[")) for f in have):
                missing.append(f"{obj.kind} {obj.name}: {field}")
    assert missing == []
    assert missing_ledger_fields(objects, result) == []


def test_http_to_https_with_the_certificate_from_an_apisix_tls() -> None:
    tls = """
apiVersion: apisix.apache.org/v2
kind: ApisixTls
metadata: {name: tls, namespace: web}
spec:
  hosts: [a.example.com]
  secret: {name: cert, namespace: web}
---
"""
    result = convert(
        tls
        + ingress(
            "secure", path("/", "Prefix", "app"), '"k8s.apisix.apache.org/http-to-https": "true"'
        )
    )
    assert answer(result, "a.example.com", "/x") == Redirect(301, "https://a.example.com/x")
    assert backend_of(answer(result, "a.example.com", "/x", scheme="https")) == "app"
