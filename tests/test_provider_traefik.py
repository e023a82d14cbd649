"""The Traefik provider: the rule parser, Ingress class and path semantics, IngressRoute,
Middlewares, TraefikService, TCP/UDP routes, priorities; requests through the converted output."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.validation import validate
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import Forward, NoRoute, Outcome, Redirect, Request, Respond
from ingress2gateway_providers.traefik import PROVIDER, matching, rules
from ingress2gateway_providers.traefik.catalog import catalog_rows

from .ledger_checks import missing_ledger_fields


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def convert(text: str, emitter: str = "standard", **options: str) -> Result:
    return ingress2gateway.convert(
        objects_of(text),
        providers=["traefik"],
        emitter=emitter,
        options=ConvertOptions(provider_options={"traefik": options}) if options else None,
    )


def outcome(text: str, request: Request, emitter: str = "standard", **options: str) -> Outcome:
    return GatewayAPIModel(convert(text, emitter, **options).resources).route(request).outcome


def backend(result: Outcome) -> str | None:
    if isinstance(result, Forward) and len(result.backends) == 1:
        found = result.backends[0][0]
        return f"{found.namespace}/{found.name}"
    return None


def codes(result: Result) -> list[str]:
    return sorted({n.code for n in result.report.notifications})


def valid(result: Result) -> None:
    problems = [p for obj in result.resources for p in validate(obj, result.target)]
    assert problems == []
    assert not [n for n in result.report.notifications if n.code == "output-invalid"]


def ingress_route(
    match: str, *, name: str = "r", extra: str = "", route_extra: str = "", service: str = "svc"
) -> str:
    return f"""
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {{name: {name}, namespace: default}}
spec:
  entryPoints: [web]
{extra}  routes:
  - kind: Rule
    match: "{match}"
{route_extra}    services:
    - name: {service}
      port: 80
"""


# --- the rule parser ------------------------------------------------------------------------


def test_precedence_of_not_and_or() -> None:
    expr = rules.parse("Host(`a`) || Host(`b`) && !Path(`/x`)")
    assert isinstance(expr, rules.Or)
    assert isinstance(expr.right, rules.And)
    assert isinstance(expr.right.right, rules.Not)


def test_parentheses_and_quoted_strings() -> None:
    expr = rules.parse('(Host("a\\x2ecom") || Host(`b`)) && PathPrefix(`/p`)')
    alternatives = rules.disjunctive_form(expr)
    hosts = [alt[0].matcher.args[0] for alt in alternatives]
    assert hosts == ["a.com", "b"]
    assert all(alt[1].matcher.name == "PathPrefix" for alt in alternatives)


def test_de_morgan_pushes_negation_down() -> None:
    alternatives = rules.disjunctive_form(rules.parse("!(Path(`/a`) || Path(`/b`))"))
    assert alternatives == [
        (
            rules.Literal(rules.Matcher("Path", ("/a",)), True),
            rules.Literal(rules.Matcher("Path", ("/b",)), True),
        )
    ]


def test_v2_multi_argument_matchers_are_alternatives() -> None:
    alternatives = rules.disjunctive_form(rules.parse("Host(`a`, `b`) && Path(`/x`)"))
    assert len(alternatives) == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Host(`a`",
        "Host(`a`) &&",
        "Nope(`a`)",
        "Host(`a`) & Path(`/`)",
        "Header(`x`)",
        "Host(`a)",
        '"x"',
    ],
)
def test_invalid_rules_are_refused(text: str) -> None:
    with pytest.raises(rules.RuleError):
        rules.disjunctive_form(rules.parse(text))


def test_nesting_and_explosion_are_bounded() -> None:
    with pytest.raises(rules.RuleError):
        rules.parse("(" * 200 + "Path(`/`)" + ")" * 200)
    big = " && ".join(f"(Path(`/a{i}`) || Path(`/b{i}`))" for i in range(10))
    with pytest.raises(rules.RuleError):
        rules.disjunctive_form(rules.parse(big))


def test_alternative_conversion() -> None:
    (alt,) = [
        matching.convert(a)
        for a in rules.disjunctive_form(
            rules.parse(
                "Host(`A.example.com`) && Path(`/x`) && Method(`post`) && Header(`X-A`, `1`) && Query(`q`, `v`)"
            )
        )
    ]
    assert alt.problem is None
    assert alt.hosts == ["a.example.com"]
    assert alt.match.path is not None and alt.match.path.type == "Exact"
    assert alt.match.method == "POST"
    assert [h.name for h in alt.match.headers] == ["X-A"]
    assert [q.name for q in alt.match.query_params] == ["q"]


def test_regex_is_wrapped_for_unanchored_search() -> None:
    assert matching.unanchored(r"\.png$") == r".*(?:\.png$)"
    assert matching.unanchored("^/api") == "(?:^/api).*"
    assert matching.unanchored("^/a$") == "^/a$"


def test_wildcard_host_regexp() -> None:
    assert matching.wildcard_of(r"^[a-zA-Z0-9-]+\.example\.com$") == "*.example.com"
    assert matching.wildcard_of("{subdomain:[a-zA-Z0-9-]+}.example.com") == "*.example.com"
    assert matching.wildcard_of(".*") is None


def test_contradictions_are_impossible() -> None:
    for text in (
        "Host(`a`) && Host(`b`)",
        "Path(`/a`) && Path(`/b`)",
        "Path(`/a`) && PathPrefix(`/b`)",
    ):
        (alt,) = [matching.convert(a) for a in rules.disjunctive_form(rules.parse(text))]
        assert alt.impossible, text


# --- class selection ------------------------------------------------------------------------

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: default
  annotations: {annotations}
spec:
  {class_line}
  rules:
  - host: {host}
    http:
      paths:
      - path: {path}
        pathType: {path_type}
        backend: {{service: {{name: {service}, port: {{number: 80}}}}}}
"""


def ingress(
    name: str = "ing",
    annotations: dict[str, str] | None = None,
    class_line: str = "",
    host: str = "a.example.com",
    path: str = "/",
    path_type: str = "Prefix",
    service: str = "svc",
) -> str:
    return INGRESS.format(
        name=name,
        annotations=yaml.safe_dump(annotations or {}, default_flow_style=True).strip(),
        class_line=class_line,
        host=host,
        path=path,
        path_type=path_type,
        service=service,
    )


def test_unclassed_ingresses_are_traefiks() -> None:
    result = convert(ingress())
    assert [o["kind"] for o in result.resources] == ["Gateway", "HTTPRoute"]
    assert backend(outcome(ingress(), Request("a.example.com", "/x"))) == "default/svc"


def test_another_class_is_not_traefiks() -> None:
    text = ingress(annotations={"kubernetes.io/ingress.class": "nginx"})
    assert convert(text).resources == []
    text = ingress(class_line="ingressClassName: other")
    assert convert(text).resources == []


def test_an_ingress_class_of_traefiks_controller_is_served() -> None:
    text = (
        ingress(class_line="ingressClassName: mine")
        + """
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: mine}
spec: {controller: traefik.io/ingress-controller}
"""
    )
    assert backend(outcome(text, Request("a.example.com", "/"))) == "default/svc"


# --- Ingress paths --------------------------------------------------------------------------


def test_prefix_narrowing_is_reported_per_path() -> None:
    result = convert(ingress(path="/v1"))
    assert "traefik-behaviour-differs" in codes(result)
    assert backend(outcome(ingress(path="/v1"), Request("a.example.com", "/v1/x"))) == "default/svc"


@pytest.mark.parametrize(
    ("matcher", "request_path", "reached"),
    [("Path", "/bar", True), ("Path", "/bar/x", False), ("PathPrefix", "/bar/x", True)],
)
def test_pathmatcher_for_implementation_specific(
    matcher: str, request_path: str, reached: bool
) -> None:
    text = ingress(
        annotations={"traefik.ingress.kubernetes.io/router.pathmatcher": matcher},
        path="/bar",
        path_type="ImplementationSpecific",
    )
    result = outcome(text, Request("a.example.com", request_path))
    assert (backend(result) == "default/svc") is reached


def test_invalid_pathmatcher_rejects_the_path() -> None:
    text = ingress(
        annotations={"traefik.ingress.kubernetes.io/router.pathmatcher": "Glob"},
        path="/bar",
        path_type="ImplementationSpecific",
    )
    result = convert(text)
    assert "traefik-value-invalid" in codes(result)
    assert not any(o["kind"] == "HTTPRoute" for o in result.resources)


def test_path_regexp_matcher() -> None:
    text = ingress(
        annotations={"traefik.ingress.kubernetes.io/router.pathmatcher": "PathRegexp"},
        path=r"/img/[0-9]+",
        path_type="ImplementationSpecific",
    )
    result = convert(text)
    valid(result)
    route = next(o for o in result.resources if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["matches"][0]["path"] == {
        "type": "RegularExpression",
        "value": ".*(?:/img/[0-9]+).*",
    }


def test_unknown_annotation_is_reported() -> None:
    result = convert(ingress(annotations={"traefik.ingress.kubernetes.io/router.nonsense": "1"}))
    assert "annotation-unknown" in codes(result)


def test_router_tls_takes_the_route_off_http() -> None:
    text = (
        ingress(annotations={"traefik.ingress.kubernetes.io/router.tls": "true"})
        + """
  tls:
  - hosts: [a.example.com]
    secretName: cert
"""
    )
    result = convert(text)
    valid(result)
    assert isinstance(outcome(text, Request("a.example.com", "/")), NoRoute)
    assert backend(outcome(text, Request("a.example.com", "/", scheme="https"))) == "default/svc"


def test_entrypoint_web_keeps_the_route_off_https() -> None:
    text = (
        ingress(annotations={"traefik.ingress.kubernetes.io/router.entrypoints": "web"})
        + """
  tls:
  - hosts: [a.example.com]
    secretName: cert
"""
    )
    assert backend(outcome(text, Request("a.example.com", "/"))) == "default/svc"
    assert not isinstance(outcome(text, Request("a.example.com", "/", scheme="https")), Forward)


# --- middlewares on Ingresses --------------------------------------------------------------

BASIC_AUTH = """
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: auth, namespace: default}
spec:
  basicAuth: {secret: users}
"""


def test_ingress_middleware_basic_auth_closes_on_standard() -> None:
    text = (
        ingress(
            annotations={
                "traefik.ingress.kubernetes.io/router.middlewares": "default-auth@kubernetescrd"
            }
        )
        + BASIC_AUTH
    )
    result = convert(text)
    valid(result)
    assert not isinstance(outcome(text, Request("a.example.com", "/")), Forward)
    eg = outcome(text, Request("a.example.com", "/"), emitter="envoy-gateway")
    assert isinstance(eg, Forward) and eg.guards


def test_missing_middleware_closes_the_ingress() -> None:
    text = ingress(
        annotations={
            "traefik.ingress.kubernetes.io/router.middlewares": "default-nope@kubernetescrd"
        }
    )
    result = convert(text)
    assert "traefik-reference-missing" in codes(result)
    assert not isinstance(outcome(text, Request("a.example.com", "/")), Forward)


def test_file_provider_middleware_closes_the_ingress() -> None:
    text = ingress(annotations={"traefik.ingress.kubernetes.io/router.middlewares": "auth@file"})
    assert not isinstance(outcome(text, Request("a.example.com", "/")), Forward)


# --- IngressRoute ---------------------------------------------------------------------------


def test_or_becomes_several_matches() -> None:
    text = ingress_route("Host(`a.com`) && (Path(`/x`) || PathPrefix(`/y/`))")
    assert backend(outcome(text, Request("a.com", "/x"))) == "default/svc"
    assert backend(outcome(text, Request("a.com", "/y/z"))) == "default/svc"
    assert isinstance(outcome(text, Request("a.com", "/x/z")), NoRoute)
    assert isinstance(outcome(text, Request("b.com", "/x")), NoRoute)


def test_negation_is_reported_not_widened() -> None:
    text = ingress_route("Host(`a.com`) && !PathPrefix(`/admin`)")
    result = convert(text)
    assert "traefik-rule-unsupported" in codes(result)
    assert isinstance(outcome(text, Request("a.com", "/admin")), NoRoute)


def test_client_ip_is_an_access_control() -> None:
    text = ingress_route("Host(`a.com`) && ClientIP(`10.0.0.0/8`)")
    result = convert(text)
    valid(result)
    assert not isinstance(outcome(text, Request("a.com", "/")), Forward)
    assert any(n.security for n in result.report.notifications)


def test_invalid_rule_is_reported() -> None:
    result = convert(ingress_route("Host(`a.com`) &&"))
    assert "traefik-value-invalid" in codes(result)
    assert result.resources == []


def test_header_method_query_matches() -> None:
    text = ingress_route(
        "Host(`a.com`) && Method(`POST`) && Header(`X-Env`, `prod`) && Query(`v`, `2`)"
    )
    good = Request("a.com", "/", method="POST", headers=(("x-env", "prod"),), query="v=2")
    assert backend(outcome(text, good)) == "default/svc"
    assert isinstance(
        outcome(
            text, Request("a.com", "/", method="GET", headers=(("x-env", "prod"),), query="v=2")
        ),
        NoRoute,
    )


def test_tls_section_makes_the_router_tls_only() -> None:
    text = ingress_route("Host(`a.com`)", extra="  tls: {secretName: cert}\n").replace(
        "[web]", "[websecure]"
    )
    result = convert(text)
    valid(result)
    assert backend(outcome(text, Request("a.com", "/", scheme="https"))) == "default/svc"
    assert not isinstance(outcome(text, Request("a.com", "/")), Forward)


def test_priority_difference_is_reported() -> None:
    # Traefik: the prefix rule is longer, so it wins /foo; Gateway API prefers the Exact path.
    text = (
        ingress_route("Host(`a`) && Path(`/foo`)", name="exact", service="exact")
        + "---\n"
        + ingress_route("Host(`a`) && PathPrefix(`/fo`)", name="prefix", service="prefix")
    )
    result = convert(text)
    assert "traefik-priority-differs" in codes(result)


def test_explicit_priority_that_agrees_is_not_reported() -> None:
    text = (
        ingress_route(
            "Host(`a`) && Path(`/foo`)",
            name="exact",
            service="exact",
            route_extra="    priority: 100\n",
        )
        + "---\n"
        + ingress_route("Host(`a`) && PathPrefix(`/fo`)", name="prefix", service="prefix")
    )
    assert "traefik-priority-differs" not in codes(convert(text))


def test_legacy_group_is_read() -> None:
    text = ingress_route("Host(`a.com`)").replace(
        "traefik.io/v1alpha1", "traefik.containo.us/v1alpha1"
    )
    result = convert(text)
    assert "traefik-legacy-group" in codes(result)
    assert backend(outcome(text, Request("a.com", "/"))) == "default/svc"


MIDDLEWARE = """
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {{name: mw, namespace: default}}
spec:
  {body}
"""


def with_mw(body: str, match: str = "Host(`a.com`) && PathPrefix(`/api`)") -> str:
    return ingress_route(match, route_extra="    middlewares: [{name: mw}]\n") + MIDDLEWARE.format(
        body=body
    )


def test_strip_prefix() -> None:
    result = outcome(with_mw("stripPrefix: {prefixes: [/api]}"), Request("a.com", "/api/users"))
    assert isinstance(result, Forward) and result.path == "/users"


def test_add_prefix() -> None:
    result = outcome(with_mw("addPrefix: {prefix: /v2}"), Request("a.com", "/api/users"))
    assert isinstance(result, Forward) and result.path == "/v2/api/users"


def test_replace_path() -> None:
    result = outcome(with_mw("replacePath: {path: /fixed}"), Request("a.com", "/api/users"))
    assert isinstance(result, Forward) and result.path == "/fixed"


def test_redirect_scheme() -> None:
    result = outcome(
        with_mw("redirectScheme: {scheme: https, permanent: true}"), Request("a.com", "/api")
    )
    assert isinstance(result, Redirect) and result.status == 301
    assert result.location.startswith("https://a.com/api")


def test_redirect_regex_to_https() -> None:
    result = outcome(
        with_mw("redirectRegex: {regex: '^http://(.*)', replacement: 'https://${1}'}"),
        Request("a.com", "/api"),
    )
    assert isinstance(result, Redirect)


def test_headers_middleware() -> None:
    text = with_mw("headers: {customRequestHeaders: {X-A: '1', X-Drop: ''}, frameDeny: true}")
    result = convert(text)
    valid(result)
    route = next(o for o in result.resources if o["kind"] == "HTTPRoute")
    types = sorted(f["type"] for f in route["spec"]["rules"][0]["filters"])
    assert types == ["RequestHeaderModifier", "ResponseHeaderModifier"]


def test_ip_allow_list_closes_on_standard() -> None:
    text = with_mw("ipAllowList: {sourceRange: [10.0.0.0/8]}")
    assert not isinstance(outcome(text, Request("a.com", "/api")), Forward)


def test_digest_auth_closes_everywhere() -> None:
    text = with_mw("digestAuth: {secret: users}")
    assert not isinstance(outcome(text, Request("a.com", "/api")), Forward)
    assert not isinstance(outcome(text, Request("a.com", "/api"), emitter="envoy-gateway"), Forward)


def test_chain_expands_in_order() -> None:
    text = (
        with_mw("chain: {middlewares: [{name: strip}, {name: add}]}")
        + """
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: strip, namespace: default}
spec: {stripPrefix: {prefixes: [/api]}}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: add, namespace: default}
spec: {addPrefix: {prefix: /v2}}
"""
    )
    result = outcome(text, Request("a.com", "/api/users"))
    assert isinstance(result, Forward) and result.path == "/v2/users"


def test_cross_namespace_middleware_needs_the_option() -> None:
    text = ingress_route(
        "Host(`a.com`)", route_extra="    middlewares: [{name: mw, namespace: other}]\n"
    ) + MIDDLEWARE.format(body="addPrefix: {prefix: /v2}").replace(
        "namespace: default", "namespace: other"
    )
    assert isinstance(outcome(text, Request("a.com", "/")), NoRoute)
    allowed = outcome(text, Request("a.com", "/"), **{"allow-cross-namespace": "true"})
    assert isinstance(allowed, Forward) and allowed.path == "/v2/"


def test_weighted_traefik_service() -> None:
    text = (
        ingress_route("Host(`a.com`)").replace(
            "    - name: svc\n      port: 80\n", "    - name: split\n      kind: TraefikService\n"
        )
        + """
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: split, namespace: default}
spec:
  weighted:
    services:
    - {name: one, port: 80, weight: 3}
    - {name: two, port: 80, weight: 1}
"""
    )
    result = outcome(text, Request("a.com", "/"))
    assert isinstance(result, Forward)
    assert {b.name: float(w) for b, w in result.backends} == {"one": 0.75, "two": 0.25}


def test_tcp_and_udp_routes() -> None:
    text = """
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: tcp, namespace: default}
spec:
  entryPoints: [db]
  routes:
  - match: HostSNI(`*`)
    services: [{name: db, port: 5432}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: tls, namespace: default}
spec:
  entryPoints: [websecure]
  routes:
  - match: HostSNI(`a.com`)
    services: [{name: web, port: 443}]
  tls: {passthrough: true}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteUDP
metadata: {name: udp, namespace: default}
spec:
  entryPoints: [dns]
  routes:
  - services: [{name: dns, port: 53}]
"""
    result = ingress2gateway.convert(
        objects_of(text),
        providers=["traefik"],
        channel="experimental",
        options=ConvertOptions(
            provider_options={"traefik": {"entry-points": "web=80,websecure=443,db=5432,dns=53"}}
        ),
    )
    valid(result)
    kinds = sorted(o["kind"] for o in result.resources)
    assert kinds == ["Gateway", "TCPRoute", "TLSRoute", "UDPRoute"]


def test_ledger_is_complete() -> None:
    text = with_mw("headers: {customResponseHeaders: {X-B: '2'}}")
    objects = objects_of(text)
    result = ingress2gateway.convert(objects, providers=["traefik"])
    assert missing_ledger_fields(objects, result) == []


def test_catalog_covers_every_router_annotation() -> None:
    keys = {row.key for row in catalog_rows()}
    for key in (
        "router.entrypoints",
        "router.middlewares",
        "router.priority",
        "router.pathmatcher",
        "router.tls",
        "router.tls.certresolver",
        "router.tls.options",
    ):
        assert "traefik.ingress.kubernetes.io/" + key in keys
    assert PROVIDER.codes
    assert all(code.startswith("traefik-") for code in PROVIDER.codes)


def test_respond_type_is_a_denial() -> None:
    # Closed rules answer with an error status, not a backend.
    text = with_mw("basicAuth: {secret: users}")
    result = outcome(text, Request("a.com", "/api"))
    assert isinstance(result, (Respond, NoRoute))


def _unused(value: Any) -> None:  # keeps helpers typed for mypy
    del value


def test_other_providers_routes_are_left_alone() -> None:
    nginx = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: n
  namespace: default
  annotations: {nginx.ingress.kubernetes.io/permanent-redirect: "https://x.example.com/"}
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
"""
    alone = ingress2gateway.convert(objects_of(nginx), providers=["nginx"])
    text = nginx + "---\n" + with_mw("redirectScheme: {scheme: https}")
    both = ingress2gateway.convert(objects_of(text), providers=["nginx", "traefik"])
    route = next(o for o in alone.resources if o["kind"] == "HTTPRoute")
    assert route in both.resources
