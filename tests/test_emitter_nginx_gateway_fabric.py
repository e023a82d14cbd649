"""The nginx-gateway-fabric emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and NGINX Gateway Fabric 2.6.7 CRDs (schema + CEL).
"""

from __future__ import annotations

from typing import Any

import pytest

from ingress2gateway.emitters.nginx_gateway_fabric import EMITTER
from ingress2gateway.emitters.nginx_gateway_fabric._base import duration, size
from ingress2gateway.ir import (
    IR,
    BackendConnectionLimits,
    BackendRef,
    BasicAuth,
    BodySize,
    Buffering,
    ClientCertAuth,
    ClientIPDetection,
    ClientTimeouts,
    ClientTLSSettings,
    CustomErrors,
    Extension,
    ExternalAuth,
    Gateway,
    GRPCRoute,
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
    Retry,
    Rule,
    SecretRef,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Need, Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
GW = "gateway.networking.k8s.io"
NGF = "gateway.nginx.org/v1alpha1"
ROUTE_TARGET = {"group": GW, "kind": "HTTPRoute", "name": "app"}


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
    services: list[str] | None = None,
) -> IR:
    """One Gateway, one HTTPRoute, one rule per arg (rule i sends to ``services[i]``, else
    to ``svc``)."""
    gateway = Gateway(
        "gw",
        "web",
        "nginx",
        listeners=[Listener("http", 80, "HTTP", hostname="app.example.com")],
        extensions=list(gateway_exts or []),
    )
    route = HTTPRoute(
        "app",
        "web",
        hostnames=["app.example.com"],
        parent_refs=[ParentRef("gw")],
        extensions=list(route_exts or []),
        rules=[
            Rule(
                matches=[Match(path=PathMatch("PathPrefix", f"/p{index}"))],
                backend_refs=[_backend(services, index)],
                extensions=list(exts),
                provenance=prov(f"rule{index}"),
            )
            for index, exts in enumerate(rules or ([],))
        ],
    )
    return IR(gateways=[gateway], routes=[route])


def _backend(services: list[str] | None, index: int) -> BackendRef:
    name = (services or [])[index] if index < len(services or []) else "svc"
    return BackendRef(name, port=80)


class Run:
    def __init__(self, emitted: list[Emitted], report: Recorder) -> None:
        self.emitted = emitted
        self.report = report

    def ngf(self, kind: str | None = None) -> list[JSONDict]:
        return [
            e.body
            for e in self.emitted
            if e.body["apiVersion"] == NGF and (kind is None or e.body["kind"] == kind)
        ]

    def one(self, kind: str) -> JSONDict:
        found = self.ngf(kind)
        assert len(found) == 1, found
        return found[0]

    def route(self) -> JSONDict:
        return next(e.body for e in self.emitted if e.body["kind"] == "HTTPRoute")

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def status(self, field: str) -> Status:
        return self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].status


def emit(ir: IR, version: str | None = None, channel: str = "standard", **options: str) -> Run:
    target = Target.parse(version, channel)
    report = Recorder()
    emitted = EMITTER.emit(ir, EmitContext(report=report, target=target, options=options))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
    return Run(emitted, report)


def spec_of(body: JSONDict) -> JSONDict:
    return {k: v for k, v in body["spec"].items() if k not in ("targetRefs", "targetRef")}


# --- registration and prerequisites -------------------------------------------------------------


def test_registered_under_its_name_with_the_nginx_class() -> None:
    emitter = load_emitter("nginx-gateway-fabric")
    assert id(emitter) == id(EMITTER)
    assert EMITTER.gateway_class == "nginx"


def test_standard_objects_are_still_emitted() -> None:
    run = emit(make_ir([]))
    assert [e.body["kind"] for e in run.emitted] == ["Gateway", "HTTPRoute"]


def test_gateway_class_prerequisite_is_reported_once() -> None:
    ir = make_ir([])
    ir.gateways[0].provenance = prov("x")
    run = emit(ir)
    needs = [n for n in run.report._needs if n[0] is Need.GATEWAY_CLASS]
    assert needs == [(Need.GATEWAY_CLASS, "GatewayClass nginx")]
    assert "gateway.nginx.org/nginx-gateway-controller" in run.report._needs[needs[0]][0]


def test_another_gateway_class_is_told_the_nginx_class() -> None:
    ir = make_ir([])
    ir.gateways[0].gateway_class = "public"
    run = emit(ir)
    (action, _) = run.report._needs[(Need.GATEWAY_CLASS, "GatewayClass public")]
    assert "--gateway-class-name nginx" in action


# --- security -----------------------------------------------------------------------------------


def test_basic_auth_is_an_authentication_filter_referenced_by_the_rule() -> None:
    ext = BasicAuth("users", realm="Staff", provenance=prov("auth-secret"))
    run = emit(make_ir([ext], []))
    assert run.one("AuthenticationFilter")["spec"] == {
        "type": "Basic",
        "basic": {"secretRef": {"name": "users"}, "realm": "Staff"},
    }
    rules = run.route()["spec"]["rules"]
    assert rules[0]["filters"] == [
        {
            "type": "ExtensionRef",
            "extensionRef": {
                "group": "gateway.nginx.org",
                "kind": "AuthenticationFilter",
                "name": "users-basic-auth",
            },
        }
    ]
    assert "filters" not in rules[1]
    assert ext.consumed
    assert run.status("auth-secret") is Status.CONVERTED


def test_route_basic_auth_goes_on_every_rule_with_one_filter() -> None:
    ext = BasicAuth("users", provenance=prov("auth-secret"))
    run = emit(make_ir([], [], route_exts=[ext]))
    assert run.one("AuthenticationFilter")["spec"]["basic"]["realm"] == "Authentication Required"
    assert all(len(rule["filters"]) == 1 for rule in run.route()["spec"]["rules"])


def test_basic_auth_with_a_secret_in_another_namespace_stays_unconsumed() -> None:
    ext = BasicAuth("users", secret_namespace="auth", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed
    assert "ngf-policy-conflict" in run.codes()


def test_carries_what_an_authentication_filter_says() -> None:
    target = Target.parse(None, "standard")
    assert EMITTER.carries(BasicAuth("users"), target)
    assert EMITTER.carries(JWTAuth(jwks_uri="https://issuer.example.com/keys"), target)
    for ext in (
        ExternalAuth("http://auth.example.com/"),
        JWTAuth(issuer="https://issuer.example.com"),
        JWTAuth(jwks_uri="http://issuer.example.com/keys"),
        OIDCAuth(issuer="https://issuer.example.com", client_id="app"),
        IPAccess(allow=["10.0.0.0/8"]),
        ClientCertAuth("ca"),
    ):
        assert not EMITTER.carries(ext, target), ext


JWKS = "https://issuer.example.com/keys"


def test_jwt_without_plus_is_left_for_the_pipeline_to_close() -> None:
    ext = JWTAuth(issuer="https://issuer.example.com", jwks_uri=JWKS, provenance=prov("jwt"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed
    assert "ngf-needs-plus" in run.codes()


def test_jwt_with_plus_is_a_remote_jwt_filter() -> None:
    ext = JWTAuth(issuer="https://issuer.example.com", jwks_uri=JWKS, provenance=prov("jwt"))
    run = emit(make_ir([ext]), plus="true")
    assert run.one("AuthenticationFilter")["spec"] == {
        "type": "JWT",
        "jwt": {"realm": "Authentication Required", "source": "Remote", "remote": {"uri": JWKS}},
    }
    assert run.route()["spec"]["rules"][0]["filters"][0]["extensionRef"]["name"] == "jwt-auth"
    assert run.status("jwt") is Status.PARTIAL


def test_oidc_with_plus_is_an_oidc_filter() -> None:
    ext = OIDCAuth(
        issuer="https://issuer.example.com",
        client_id="app",
        client_secret=SecretRef("app-oidc"),
        scopes=["openid", "email"],
        redirect_url="https://app.example.com/callback",
        provenance=prov("oidc"),
    )
    run = emit(make_ir([ext]), plus="true")
    assert run.one("AuthenticationFilter")["spec"] == {
        "type": "OIDC",
        "oidc": {
            "issuer": "https://issuer.example.com",
            "clientID": "app",
            "clientSecretRef": {"name": "app-oidc"},
            "redirectURI": "https://app.example.com/callback",
        },
    }
    assert run.status("oidc") is Status.PARTIAL  # the email scope


def test_a_second_control_on_one_rule_is_not_carried() -> None:
    basic = BasicAuth("users", provenance=prov("basic"))
    jwt = JWTAuth(jwks_uri=JWKS, provenance=prov("jwt"))
    run = emit(make_ir([basic, jwt]), plus="true")
    assert len(run.ngf("AuthenticationFilter")) == 1
    assert basic.consumed and not jwt.consumed


def test_no_snippets_ever() -> None:
    exts: list[Extension] = [
        IPAccess(allow=["10.0.0.0/8"], provenance=prov("allow")),
        CustomErrors(codes=[404], provenance=prov("errors")),
    ]
    run = emit(make_ir(exts))
    assert run.ngf() == []
    assert not any(e.consumed for e in exts)


# --- route policies -----------------------------------------------------------------------------


def test_body_size_is_a_client_settings_policy_with_one_target_ref() -> None:
    run = emit(make_ir([BodySize(8 << 20, provenance=prov("proxy-body-size"))]))
    policy = run.one("ClientSettingsPolicy")
    assert policy["spec"] == {"targetRef": ROUTE_TARGET, "body": {"maxSize": "8m"}}


def test_unlimited_body_size_is_zero() -> None:
    run = emit(make_ir([BodySize(None, provenance=prov("proxy-body-size"))]))
    assert spec_of(run.one("ClientSettingsPolicy")) == {"body": {"maxSize": "0"}}


def test_timeouts_are_a_proxy_settings_policy() -> None:
    ext = Timeouts(connect="5s", read="2m", send="90s", provenance=prov("t"))
    run = emit(make_ir([ext]))
    policy = run.one("ProxySettingsPolicy")
    assert policy["spec"]["targetRefs"] == [ROUTE_TARGET]
    assert spec_of(policy) == {"timeout": {"connect": "5s", "read": "2m", "send": "90s"}}


def test_response_buffering_off_and_request_buffering_is_partial() -> None:
    ext = Buffering(request=False, response=False, provenance=prov("buffering"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("ProxySettingsPolicy")) == {"buffering": {"disable": True}}
    assert run.status("buffering") is Status.PARTIAL


def test_request_buffering_alone_is_not_carried() -> None:
    ext = Buffering(request=False, provenance=prov("buffering"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed


def test_per_client_rate_limits_are_local_rules() -> None:
    exts: list[Extension] = [
        RateLimit(20, "Second", burst=100, provenance=prov("limit-rps")),
        RateLimit(600, "Minute", provenance=prov("limit-rpm")),
    ]
    run = emit(make_ir(exts))
    assert spec_of(run.one("RateLimitPolicy")) == {
        "rateLimit": {
            "local": {
                "rules": [
                    {"key": "$binary_remote_addr", "rate": "20r/s", "burst": 100, "noDelay": True},
                    {"key": "$binary_remote_addr", "rate": "600r/m"},
                ]
            }
        }
    }


def test_hourly_rate_limits_only_in_whole_minutes() -> None:
    whole = RateLimit(120, "Hour", provenance=prov("a"))
    odd = RateLimit(7, "Hour", provenance=prov("b"))
    run = emit(make_ir([whole, odd]))
    rules = run.one("RateLimitPolicy")["spec"]["rateLimit"]["local"]["rules"]
    assert rules == [{"key": "$binary_remote_addr", "rate": "2r/m"}]
    assert whole.consumed and not odd.consumed


def test_a_rate_limit_shared_by_all_clients_is_reported() -> None:
    ext = RateLimit(10, "Second", per_client_ip=False, provenance=prov("rl"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert "ngf-rate-limit-shared" in run.codes()


def test_client_timeouts_on_the_gateway() -> None:
    ext = ClientTimeouts(request_headers="30s", body_idle="20s", idle="75s", provenance=prov("c"))
    run = emit(make_ir([], gateway_exts=[ext]))
    policy = run.one("ClientSettingsPolicy")
    assert policy["spec"]["targetRef"] == {"group": GW, "kind": "Gateway", "name": "gw"}
    assert spec_of(policy) == {
        "body": {"timeout": "20s"},
        "keepAlive": {"timeout": {"server": "75s"}},
    }
    assert run.status("c") is Status.PARTIAL


def test_rules_that_agree_share_one_route_policy() -> None:
    run = emit(
        make_ir(
            [BodySize(1 << 20, provenance=prov("a"))], [BodySize(1 << 20, provenance=prov("b"))]
        )
    )
    assert spec_of(run.one("ClientSettingsPolicy")) == {"body": {"maxSize": "1m"}}


def test_a_setting_of_some_rules_only_is_reported_not_spread() -> None:
    ext = RateLimit(5, "Second", provenance=prov("limit-rps"))
    run = emit(make_ir([ext], []))
    assert run.ngf() == []
    assert not ext.consumed
    assert "ngf-rule-scope" in run.codes()


def test_two_values_for_one_field_are_reported() -> None:
    a = BodySize(1 << 20, provenance=prov("a"))
    b = BodySize(2 << 20, provenance=prov("b"))
    run = emit(make_ir([], route_exts=[a, b]))
    assert spec_of(run.one("ClientSettingsPolicy")) == {"body": {"maxSize": "1m"}}
    assert a.consumed and not b.consumed
    assert "ngf-policy-conflict" in run.codes()


def test_grpc_routes_take_policies_but_no_auth_filter() -> None:
    ir = make_ir([])
    grpc = GRPCRoute(
        "rpc",
        "web",
        parent_refs=[ParentRef("gw")],
        rules=[Rule(backend_refs=[_backend(None, 0)])],
        extensions=[
            BodySize(4 << 20, provenance=prov("size")),
            BasicAuth("users", provenance=prov("auth")),
        ],
    )
    ir.routes.append(grpc)
    run = emit(ir)
    policy = run.one("ClientSettingsPolicy")
    assert policy["spec"]["targetRef"]["kind"] == "GRPCRoute"
    assert run.ngf("AuthenticationFilter") == []
    assert not grpc.extensions[1].consumed


# --- what NGF ignores ---------------------------------------------------------------------------


def test_route_timeouts_are_left_out_and_reported() -> None:
    ir = make_ir([])
    ir.routes[0].rules[0].request_timeout = "30s"  # type: ignore[attr-defined]
    run = emit(ir)
    assert "timeouts" not in run.route()["spec"]["rules"][0]
    assert "ngf-route-timeout-ignored" in run.codes()


def test_retry_is_not_written_on_the_experimental_channel() -> None:
    ext = Retry(3, codes=[503], provenance=prov("retries"))
    run = emit(make_ir([ext]), channel="experimental")
    assert "retry" not in run.route()["spec"]["rules"][0]
    assert not ext.consumed


# --- upstream settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "hash_on", "expected"),
    [
        ("RoundRobin", None, {"loadBalancingMethod": "round_robin"}),
        ("LeastRequest", None, {"loadBalancingMethod": "least_conn"}),
        ("Random", None, {"loadBalancingMethod": "random"}),
        (
            "ConsistentHash",
            "source-ip",
            {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$remote_addr"},
        ),
        (
            "ConsistentHash",
            "header:X-User",
            {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$http_x_user"},
        ),
        (
            "ConsistentHash",
            "uri",
            {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$request_uri"},
        ),
    ],
)
def test_load_balancer(algorithm: Any, hash_on: str | None, expected: JSONDict) -> None:
    run = emit(make_ir([LoadBalancer(algorithm, hash_on, provenance=prov("lb"))]))
    policy = run.one("UpstreamSettingsPolicy")
    assert policy["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "svc"}]
    assert spec_of(policy) == expected


def test_a_hash_key_outside_the_crd_pattern_is_not_carried() -> None:
    ext = LoadBalancer("ConsistentHash", "cookie:Session-ID", provenance=prov("lb"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed


def test_a_service_setting_shared_with_other_rules_is_partial() -> None:
    ext = LoadBalancer("LeastRequest", provenance=prov("lb"))
    run = emit(make_ir([ext], []))
    assert run.one("UpstreamSettingsPolicy")
    assert run.status("lb") is Status.PARTIAL


def test_two_algorithms_for_one_service_are_reported() -> None:
    a = LoadBalancer("LeastRequest", provenance=prov("a"))
    b = LoadBalancer("Random", provenance=prov("b"))
    run = emit(make_ir([a], [b]))
    assert spec_of(run.one("UpstreamSettingsPolicy")) == {"loadBalancingMethod": "least_conn"}
    assert a.consumed and not b.consumed


def test_two_services_get_a_policy_each() -> None:
    run = emit(
        make_ir(
            [LoadBalancer("LeastRequest", provenance=prov("a"))],
            [LoadBalancer("Random", provenance=prov("b"))],
            services=["one", "two"],
        )
    )
    assert [p["metadata"]["name"] for p in run.ngf("UpstreamSettingsPolicy")] == ["one", "two"]


def test_cookie_affinity_is_not_carried() -> None:
    ext = SessionAffinity(cookie_name="route", provenance=prov("affinity"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed
    assert "ngf-cookie-affinity-not-carried" in run.codes()


# --- formats and determinism --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", "90s"), ("1m30s", "90s"), ("2h", "2h"), ("1.5s", "1500ms"), ("x", None)],
)
def test_durations(text: str, expected: str | None) -> None:
    assert duration(text) == expected


@pytest.mark.parametrize(
    ("total", "expected"), [(8 << 20, "8m"), (1 << 30, "1g"), (1000, "1000"), (10**9, None)]
)
def test_sizes(total: int, expected: str | None) -> None:
    assert size(total) == expected


def test_output_is_deterministic() -> None:
    def once() -> list[JSONDict]:
        exts: list[Extension] = [
            BasicAuth("u", provenance=prov("b")),
            RateLimit(3, "Second", provenance=prov("r")),
            LoadBalancer("LeastRequest", provenance=prov("l")),
        ]
        return [e.body for e in emit(make_ir(exts, list(exts))).emitted]

    assert once() == once()


# --- NginxProxy ---------------------------------------------------------------------------------


def test_client_ip_detection_is_an_nginx_proxy_the_gateway_references() -> None:
    ext = ClientIPDetection(
        header="X-Forwarded-For", trusted_cidrs=["10.0.0.0/8", "192.0.2.1"], provenance=prov("ip")
    )
    run = emit(make_ir([], gateway_exts=[ext]))
    proxy = next(e.body for e in run.emitted if e.body["kind"] == "NginxProxy")
    assert proxy["apiVersion"] == "gateway.nginx.org/v1alpha2"
    assert proxy["spec"] == {
        "rewriteClientIP": {
            "mode": "XForwardedFor",
            "setIPRecursively": True,
            "trustedAddresses": [
                {"type": "CIDR", "value": "10.0.0.0/8"},
                {"type": "IPAddress", "value": "192.0.2.1"},
            ],
        }
    }
    gateway = next(e.body for e in run.emitted if e.body["kind"] == "Gateway")
    assert gateway["spec"]["infrastructure"]["parametersRef"] == {
        "group": "gateway.nginx.org",
        "kind": "NginxProxy",
        "name": "gw",
    }
    assert ext.consumed


def test_proxy_protocol_wins_and_another_header_is_not_carried() -> None:
    pp = ClientIPDetection(proxy_protocol=True, trusted_cidrs=["0.0.0.0/0"], provenance=prov("p"))
    other = ClientIPDetection(header="X-Real-IP", trusted_cidrs=["0.0.0.0/0"], provenance=prov("o"))
    run = emit(make_ir([], gateway_exts=[pp]))
    proxy = next(e.body for e in run.emitted if e.body["kind"] == "NginxProxy")
    assert proxy["spec"]["rewriteClientIP"]["mode"] == "ProxyProtocol"
    run = emit(make_ir([], gateway_exts=[other]))
    assert all(e.body["kind"] != "NginxProxy" for e in run.emitted)
    assert not other.consumed


def test_http2_off_alone_is_carried_tls_versions_are_not() -> None:
    off = ClientTLSSettings(http2=False, provenance=prov("h2"))
    run = emit(make_ir([], gateway_exts=[off]))
    proxy = next(e.body for e in run.emitted if e.body["kind"] == "NginxProxy")
    assert proxy["spec"] == {"disableHTTP2": True}
    versions = ClientTLSSettings(http2=False, min_version="1.2", provenance=prov("tls"))
    run = emit(make_ir([], gateway_exts=[versions]))
    assert all(e.body["kind"] != "NginxProxy" for e in run.emitted)
    assert not versions.consumed


def test_connection_limits_become_upstream_keep_alive_and_the_rest_is_noted() -> None:
    ext = BackendConnectionLimits(
        max_connections=100,
        max_requests_per_connection=50,
        idle_timeout="30s",
        provenance=prov("pool"),
    )
    run = emit(make_ir([ext]))
    assert spec_of(run.one("UpstreamSettingsPolicy")) == {
        "keepAlive": {"requests": 50, "timeout": "30s"}
    }
    assert run.status("pool") is Status.PARTIAL


def test_circuit_breaking_alone_is_not_carried() -> None:
    ext = BackendConnectionLimits(max_connections=100, provenance=prov("pool"))
    run = emit(make_ir([ext]))
    assert run.ngf() == []
    assert not ext.consumed


def test_a_realm_nginx_config_must_not_get_is_replaced() -> None:
    ext = BasicAuth("users", realm='x"; return 200; #', provenance=prov("auth-realm"))
    run = emit(make_ir([ext]))
    assert run.one("AuthenticationFilter")["spec"]["basic"]["realm"] == "Authentication Required"
    assert run.status("auth-realm") is Status.PARTIAL


def test_an_oidc_client_id_with_config_characters_is_not_carried() -> None:
    ext = OIDCAuth(
        issuer="https://issuer.example.com", client_id="a; b", client_secret=SecretRef("s")
    )
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))


def test_retry_gets_its_reason() -> None:
    ext = Retry(3, provenance=prov("retries"))
    run = emit(make_ir([ext]))
    assert "ngf-retry-ignored" in run.codes()
    assert not ext.consumed


def test_prerequisites_the_secret_key_and_nginx_plus_once() -> None:
    basic = BasicAuth("users", provenance=prov("basic"))
    run = emit(make_ir([basic], [BasicAuth("users", provenance=prov("basic"))]))
    assert (Need.SECRET, "Secret web/users") in run.report._needs
    jwt = [JWTAuth(jwks_uri=JWKS, provenance=prov("jwt")) for _ in range(2)]
    run = emit(make_ir([jwt[0]], [jwt[1]]), plus="true")
    plus = [n for n in run.report._needs if n[0] is Need.IMPLEMENTATION_FEATURE]
    assert plus == [(Need.IMPLEMENTATION_FEATURE, "NGINX Plus")]
