"""The istio emitter, from hand-built IR (no provider involved) and through the pipeline.

Every emission goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and Istio 1.30.3 CRDs (schema + CEL), and that no ALLOW policy and no
EnvoyFilter is ever written.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.emitters.istio import EMITTER, IstioEmitter
from ingress2gateway.emitters.istio.scope import regex_prefix
from ingress2gateway.ir import (
    IR,
    APIKeyAuth,
    BackendConnectionLimits,
    BackendRef,
    BackendTLSOptions,
    BasicAuth,
    BodySize,
    ClientCertAuth,
    Extension,
    ExternalAuth,
    Gateway,
    HTTPRoute,
    IPAccess,
    JWTAuth,
    Listener,
    LoadBalancer,
    Match,
    OIDCAuth,
    ParentRef,
    PathMatch,
    Provenance,
    RateLimit,
    Rule,
    SecretRef,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import ConvertOptions, EmitContext, Emitted, Emitter
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Prerequisite, Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
TARGET = Target.parse(None, "standard")


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
    services: list[str] | None = None,
    paths: list[str] | None = None,
    hostnames: list[str] | None = None,
) -> IR:
    """One Gateway, one HTTPRoute, one rule per arg: rule ``i`` matches prefix ``paths[i]``
    (default ``/p<i>``) and routes to ``services[i]`` (default ``svc``)."""
    gateway = Gateway(
        "gw",
        "web",
        "istio",
        listeners=[Listener("http", 80, "HTTP", hostname="app.example.com")],
        extensions=list(gateway_exts or []),
        provenance=prov("gateway"),
    )
    count = max(1, len(rules))
    names = services or ["svc"] * count
    prefixes = paths or [f"/p{i}" for i in range(count)]
    route = HTTPRoute(
        "app",
        "web",
        hostnames=["app.example.com"] if hostnames is None else hostnames,
        parent_refs=[ParentRef("gw")],
        extensions=list(route_exts or []),
        rules=[
            Rule(
                matches=[Match(path=PathMatch("PathPrefix", prefixes[index]))],
                backend_refs=[BackendRef(names[index], port=80)],
                extensions=list(exts),
                provenance=prov(f"rule-{index}"),
            )
            for index, exts in enumerate(rules or ([],))
        ],
    )
    return IR(gateways=[gateway], routes=[route])


class Run:
    def __init__(self, emitted: list[Emitted], report: Recorder) -> None:
        self.emitted = emitted
        self.report = report

    def kind(self, kind: str) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["kind"] == kind]

    def one(self, kind: str) -> JSONDict:
        found = self.kind(kind)
        assert len(found) == 1, found
        return found[0]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def needs(self) -> tuple[Prerequisite, ...]:
        return self.report.finish().prerequisites


def emit(ir: IR, channel: str = "standard", **options: str) -> Run:
    target = Target.parse(None, channel)
    report = Recorder()
    emitted = list(EMITTER.emit(ir, EmitContext(report=report, target=target, options=options)))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
        assert item.body["kind"] != "EnvoyFilter"
        if item.body["kind"] == "AuthorizationPolicy":
            assert item.body["spec"]["action"] in ("DENY", "CUSTOM")
            assert item.body["spec"]["targetRefs"][0]["kind"] == "Gateway"
            assert "namespace" not in item.body["spec"]["targetRefs"][0]
    return Run(emitted, report)


def carries(ext: Extension) -> bool:
    return EMITTER.carries(ext, TARGET)


# --- registration and Gateways ------------------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter: Emitter = EMITTER
    assert load_emitter("istio").name == "istio" and isinstance(EMITTER, IstioEmitter)
    assert {o.name for o in emitter.options} == {"ext-authz-provider"}
    assert all(code.startswith("istio-") for code in emitter.codes)
    assert EMITTER.gateway_class == "istio"


INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "istio"), ("edge", "edge")], ids=["default", "flag"]
)
def test_gateways_name_istios_class_unless_the_user_names_one(
    given: str | None, expected: str
) -> None:
    result = ingress2gateway.convert(
        [yaml.safe_load(INGRESS)],
        ["nginx"],
        "istio",
        options=ConvertOptions(gateway_class_name=given),
    )
    classes = {o["spec"]["gatewayClassName"] for o in result.resources if o["kind"] == "Gateway"}
    assert classes == {expected}
    needs = [p for p in result.report.prerequisites if p.subject == f"GatewayClass {expected}"]
    assert len(needs) == 1  # reported once
    assert "istio.io/gateway-controller" in needs[0].action


def test_output_is_deterministic() -> None:
    def once() -> list[JSONDict]:
        ir = make_ir(
            [IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))],
            [SessionAffinity(cookie_name="s", ttl_seconds=60, provenance=prov("aff"))],
            services=["a", "b"],
        )
        return [e.body for e in emit(ir).emitted]

    assert once() == once()


# --- access control -----------------------------------------------------------------------


def test_ip_lists_become_one_deny_policy_scoped_to_the_rule() -> None:
    ext = IPAccess(allow=["10.0.0.0/8", "192.168.1.1"], deny=["10.1.2.3"], provenance=prov("ip"))
    run = emit(make_ir([ext], []))
    policy = run.one("AuthorizationPolicy")
    assert policy["metadata"]["namespace"] == "web"
    spec = policy["spec"]
    assert spec["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}
    ]
    assert spec["action"] == "DENY"
    to = [
        {
            "operation": {
                "hosts": ["app.example.com", "app.example.com:*"],
                "paths": ["/p0", "/p0/*"],
            }
        }
    ]
    assert spec["rules"] == [
        {"from": [{"source": {"remoteIpBlocks": ["10.1.2.3/32"]}}], "to": to},
        {"from": [{"source": {"notRemoteIpBlocks": ["10.0.0.0/8", "192.168.1.1/32"]}}], "to": to},
    ]
    assert ext.consumed
    assert "istio-authz-scope" not in run.codes()  # /p1 is outside /p0


def test_a_scope_that_covers_other_rules_says_so() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    run = emit(make_ir([ext], [], paths=["/", "/api"]))
    operation = run.one("AuthorizationPolicy")["spec"]["rules"][0]["to"][0]["operation"]
    assert "paths" not in operation  # "/": every path of the host
    assert "istio-authz-scope" in run.codes()
    assert run.report.ledger[(SOURCE, "metadata.annotations[ip]")].status is Status.PARTIAL


def test_wildcard_hostnames_are_not_scoped_on() -> None:
    ext = IPAccess(deny=["10.0.0.1"], provenance=prov("ip"))
    run = emit(make_ir([ext], hostnames=["*.example.com"]))
    operation = run.one("AuthorizationPolicy")["spec"]["rules"][0]["to"][0]["operation"]
    assert "hosts" not in operation and operation["paths"] == ["/p0", "/p0/*"]


def test_gateway_wide_ip_lists_cover_everything() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    run = emit(make_ir(gateway_exts=[ext]))
    assert run.one("AuthorizationPolicy")["spec"]["rules"] == [
        {"from": [{"source": {"notRemoteIpBlocks": ["10.0.0.0/8"]}}]}
    ]


@pytest.mark.parametrize(
    "ext",
    [
        IPAccess(allow=["10.0.0.0/8", "not-an-ip"]),
        IPAccess(),
        JWTAuth(),
        JWTAuth(issuer="https://id.example.com", jwks_uri="ftp://keys"),
        ExternalAuth(url="ftp://auth"),
        BasicAuth(secret_name="users"),
        ClientCertAuth(ca_secret="ca"),
        APIKeyAuth(key_names=["x-key"]),
        OIDCAuth(issuer="https://id.example.com", client_id="c"),
    ],
    ids=[
        "bad-cidr",
        "empty-ip",
        "jwt-no-issuer",
        "jwt-bad-jwks",
        "ftp-auth",
        "basic",
        "client-cert",
        "api-key",
        "oidc",
    ],
)
def test_controls_istio_cannot_express_are_not_carried_and_stay_closed(ext: Extension) -> None:
    assert not carries(ext)
    ext.provenance = prov("ctl")
    run = emit(make_ir([ext]))
    assert run.kind("AuthorizationPolicy") == [] and not ext.consumed


def test_jwt_is_a_request_authentication_and_a_deny_without_a_principal() -> None:
    ext = JWTAuth(
        issuer="https://id.example.com",
        jwks_uri="https://id.example.com/jwks",
        provenance=prov("jwt"),
    )
    assert carries(ext)
    run = emit(make_ir([ext]))
    authn = run.one("RequestAuthentication")["spec"]
    assert authn["jwtRules"] == [
        {
            "issuer": "https://id.example.com",
            "forwardOriginalToken": True,
            "jwksUri": "https://id.example.com/jwks",
        }
    ]
    policy = run.one("AuthorizationPolicy")["spec"]
    assert policy["action"] == "DENY"
    assert policy["rules"][0]["from"] == [
        {"source": {"notRequestPrincipals": ["https://id.example.com/*"]}}
    ]
    assert "istio-jwt-gateway-wide" in run.codes()
    assert ext.consumed


def test_two_issuers_share_the_gateways_request_authentication() -> None:
    first = JWTAuth(issuer="https://a.example.com", provenance=prov("a"))
    second = JWTAuth(issuer="https://b.example.com", provenance=prov("b"))
    run = emit(make_ir([first], [second]))
    rules = run.one("RequestAuthentication")["spec"]["jwtRules"]
    assert [r["issuer"] for r in rules] == ["https://a.example.com", "https://b.example.com"]
    assert len(run.kind("AuthorizationPolicy")) == 2


def test_one_issuer_with_two_key_sets_leaves_the_second_unconsumed() -> None:
    first = JWTAuth(issuer="https://a.example.com", jwks_uri="https://a/1", provenance=prov("a"))
    second = JWTAuth(issuer="https://a.example.com", jwks_uri="https://a/2", provenance=prov("b"))
    run = emit(make_ir([first], [second]))
    assert first.consumed and not second.consumed  # the pipeline closes its rule
    assert "istio-policy-conflict" in run.codes()


def test_external_auth_is_a_custom_policy_naming_the_provider() -> None:
    one = ExternalAuth(url="http://auth.sec.svc.cluster.local:8080/check", provenance=prov("a"))
    two = ExternalAuth(url="https://other.example.com/", provenance=prov("b"))
    run = emit(make_ir([one], [two]), **{"ext-authz-provider": "my-authz"})
    policies = run.kind("AuthorizationPolicy")
    assert [p["spec"]["action"] for p in policies] == ["CUSTOM", "CUSTOM"]
    assert sorted(p["spec"]["provider"]["name"] for p in policies) == ["my-authz", "my-authz-2"]
    subjects = [p.subject for p in run.needs()]
    assert "MeshConfig extensionProvider my-authz" in subjects
    assert "MeshConfig extensionProvider my-authz-2" in subjects
    need = next(p for p in run.needs() if p.subject.endswith("my-authz"))
    assert "service: auth.sec.svc.cluster.local, port: 8080, pathPrefix: /check" in need.action
    assert one.consumed and two.consumed


def test_an_invalid_provider_name_falls_back_to_the_default() -> None:
    ext = ExternalAuth(url="http://auth/", provenance=prov("a"))
    run = emit(make_ir([ext]), **{"ext-authz-provider": "Bad Name"})
    assert "istio-invalid-option" in run.codes()
    name = run.one("AuthorizationPolicy")["spec"]["provider"]["name"]
    assert name == "ingress2gateway-ext-authz"


def test_regex_paths_are_scoped_by_their_literal_prefix() -> None:
    assert regex_prefix("/api/orders/[^/]+") == "/api/orders/"
    assert regex_prefix("/api/x?") == "/api/"
    assert regex_prefix("/a|/b") is None
    assert regex_prefix("(/a)") is None


# --- DestinationRule ----------------------------------------------------------------------


def dr_spec(run: Run, name: str) -> JSONDict:
    found = [d for d in run.kind("DestinationRule") if d["metadata"]["name"] == name]
    assert len(found) == 1
    spec: JSONDict = found[0]["spec"]
    return spec


def test_backend_settings_become_one_destination_rule_per_service() -> None:
    affinity = SessionAffinity(
        cookie_name="route", ttl_seconds=3600, path="/", same_site="Lax", provenance=prov("aff")
    )
    limits = BackendConnectionLimits(
        max_connections=100, max_pending_requests=10, idle_timeout="1m", provenance=prov("cb")
    )
    timeouts = Timeouts(connect="1.5s", read="30s", provenance=prov("to"))
    balance = LoadBalancer("LeastRequest", provenance=prov("lb"))
    run = emit(make_ir([affinity, limits], [timeouts, balance], services=["a", "b"]))
    a = dr_spec(run, "a")
    assert a["host"] == "a.web.svc.cluster.local"
    assert a["trafficPolicy"]["loadBalancer"] == {
        "consistentHash": {
            "httpCookie": {
                "name": "route",
                "ttl": "3600s",
                "path": "/",
                "attributes": [{"name": "SameSite", "value": "Lax"}],
            }
        }
    }
    assert a["trafficPolicy"]["connectionPool"] == {
        "tcp": {"maxConnections": 100},
        "http": {"http1MaxPendingRequests": 10, "idleTimeout": "60s"},
    }
    b = dr_spec(run, "b")["trafficPolicy"]
    assert b["connectionPool"] == {"tcp": {"connectTimeout": "1500ms"}}
    assert b["loadBalancer"] == {"simple": "LEAST_REQUEST"}
    assert run.report.ledger[(SOURCE, "metadata.annotations[to]")].status is Status.PARTIAL
    assert "istio-service-wide" in run.codes()


@pytest.mark.parametrize(
    ("hash_on", "expected"),
    [
        ("source-ip", {"useSourceIp": True}),
        ("header:X-User", {"httpHeaderName": "x-user"}),
        ("cookie:sid", {"httpCookie": {"name": "sid"}}),
    ],
)
def test_consistent_hash_keys(hash_on: str, expected: JSONDict) -> None:
    run = emit(make_ir([LoadBalancer("ConsistentHash", hash_on, provenance=prov("lb"))]))
    assert dr_spec(run, "svc")["trafficPolicy"]["loadBalancer"] == {"consistentHash": expected}


def test_a_hash_on_the_uri_is_not_carried() -> None:
    ext = LoadBalancer("ConsistentHash", "uri", provenance=prov("lb"))
    run = emit(make_ir([ext]))
    assert run.kind("DestinationRule") == [] and not ext.consumed


def test_conflicting_settings_of_one_service_keep_the_first() -> None:
    first = LoadBalancer("RoundRobin", provenance=prov("a"))
    second = LoadBalancer("Random", provenance=prov("b"))
    run = emit(make_ir([first], [second]))
    assert dr_spec(run, "svc")["trafficPolicy"]["loadBalancer"] == {"simple": "ROUND_ROBIN"}
    assert first.consumed and not second.consumed
    assert "istio-policy-conflict" in run.codes()


def test_upstream_tls_and_client_certificates() -> None:
    unverified = BackendTLSOptions(
        service="plain", insecure_skip_verify=True, sni="x.internal", provenance=prov("tls")
    )
    mutual = BackendTLSOptions(
        service="mtls", client_certificate=SecretRef("client", "other"), provenance=prov("mtls")
    )
    run = emit(make_ir([unverified], [mutual], services=["plain", "mtls"]))
    assert dr_spec(run, "plain")["trafficPolicy"]["tls"] == {
        "mode": "SIMPLE",
        "insecureSkipVerify": True,
        "sni": "x.internal",
    }
    assert dr_spec(run, "mtls")["trafficPolicy"]["tls"] == {
        "mode": "MUTUAL",
        "credentialName": "client",
    }
    assert any(p.subject == "Secret client in namespace web" for p in run.needs())


def test_what_istio_has_no_api_for_is_left_to_the_pipeline() -> None:
    exts: list[Extension] = [
        RateLimit(10, "Second", provenance=prov("rl")),
        BodySize(1024, provenance=prov("body")),
    ]
    run = emit(make_ir(exts))
    assert not any(e.consumed for e in exts)
    assert {b["kind"] for b in (e.body for e in run.emitted)} == {"Gateway", "HTTPRoute"}


# --- standard fields Istio reads its own way ----------------------------------------------


def test_backend_request_timeouts_are_reported() -> None:
    ir = make_ir()
    rule: Any = ir.routes[0].rules[0]  # type: ignore[attr-defined]
    rule.backend_request_timeout = "5s"
    run = emit(ir)
    assert "istio-backend-timeout" in run.codes()
    assert "istio-backend-timeout" not in emit(make_ir()).codes()


def test_grpc_rules_are_scoped_by_the_call_path() -> None:
    from ingress2gateway.emitters.istio.scope import grpc_paths
    from ingress2gateway.ir import GRPCMethodMatch

    assert grpc_paths(Match(grpc=GRPCMethodMatch("pkg.Svc", "Get"))) == ("/pkg.Svc/Get",)
    assert grpc_paths(Match(grpc=GRPCMethodMatch("pkg.Svc"))) == ("/pkg.Svc/*",)
    assert grpc_paths(Match(grpc=GRPCMethodMatch(None, "Get"))) is None
    assert grpc_paths(Match(grpc=GRPCMethodMatch("pkg.*", type="RegularExpression"))) is None


def test_affinity_wins_over_a_simple_algorithm_on_one_service() -> None:
    balance = LoadBalancer("RoundRobin", provenance=prov("lb"))
    affinity = SessionAffinity(cookie_name="route", provenance=prov("aff"))
    run = emit(make_ir([balance], [affinity]))
    lb = dr_spec(run, "svc")["trafficPolicy"]["loadBalancer"]
    assert list(lb) == ["consistentHash"]  # never both: the CRD's oneOf
    assert affinity.consumed and not balance.consumed


def test_two_hash_keys_on_one_service_keep_the_first() -> None:
    header = LoadBalancer("ConsistentHash", "header:x-user", provenance=prov("lb"))
    affinity = SessionAffinity(cookie_name="route", provenance=prov("aff"))
    run = emit(make_ir([header], [affinity]))
    hashed = dr_spec(run, "svc")["trafficPolicy"]["loadBalancer"]["consistentHash"]
    assert list(hashed) == ["httpHeaderName"]
    assert header.consumed and not affinity.consumed
    assert "istio-policy-conflict" in run.codes()
