"""The kgateway emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and kgateway 2.4 CRDs (schema + CEL).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.emitters.kgateway import EMITTER
from ingress2gateway.emitters.kgateway._base import duration
from ingress2gateway.ir import (
    IR,
    APIKeyAuth,
    BackendConnectionLimits,
    BackendRef,
    BackendTLSOptions,
    BasicAuth,
    BodySize,
    Buffering,
    ClientCertAuth,
    ClientIPDetection,
    ClientTimeouts,
    Cors,
    CustomErrors,
    Extension,
    ExternalAuth,
    ExternalNameService,
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
    RegexRewrite,
    Retry,
    Rule,
    SecretRef,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import ConvertOptions, EmitContext, Emitted
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Need, Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
GW = "gateway.networking.k8s.io"
KGW = "gateway.kgateway.dev/v1alpha1"


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
    services: list[str] | None = None,
) -> IR:
    """One Gateway (HTTP + HTTPS listener for app.example.com), one HTTPRoute, one rule per arg
    (rule i sends to ``services[i]``, else to ``svc``)."""
    gateway = Gateway(
        "gw",
        "web",
        "kgateway",
        listeners=[
            Listener("http", 80, "HTTP", hostname="app.example.com"),
            Listener(
                "https",
                443,
                "HTTPS",
                hostname="app.example.com",
                tls_mode="Terminate",
                certificate_refs=[SecretRef("app-cert")],
            ),
        ],
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
                backend_refs=[
                    BackendRef(
                        (services or [])[index] if index < len(services or []) else "svc", port=80
                    )
                ],
                extensions=list(exts),
            )
            for index, exts in enumerate(rules or ([],))
        ],
    )
    return IR(gateways=[gateway], routes=[route])


class Run:
    def __init__(self, emitted: list[Emitted], report: Recorder) -> None:
        self.emitted = emitted
        self.report = report

    def kgw(self, kind: str | None = None) -> list[JSONDict]:
        return [
            e.body
            for e in self.emitted
            if e.body["apiVersion"] == KGW and (kind is None or e.body["kind"] == kind)
        ]

    def one(self, kind: str) -> JSONDict:
        found = self.kgw(kind)
        assert len(found) == 1, found
        return found[0]

    def kind(self, kind: str) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["kind"] == kind]

    def route(self) -> JSONDict:
        return self.kind("HTTPRoute")[0]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def note(self, field: str) -> str:
        return "; ".join(self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].notes)

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
    return {k: v for k, v in body["spec"].items() if k != "targetRefs"}


ROUTE_TARGET = [{"group": GW, "kind": "HTTPRoute", "name": "app"}]
SERVICE_TARGET = [{"group": "", "kind": "Service", "name": "svc"}]


# --- registration and prerequisites -------------------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter = load_emitter("kgateway")
    assert emitter is EMITTER
    assert emitter.name == "kgateway"


def test_standard_objects_are_still_emitted() -> None:
    run = emit(make_ir([]))
    assert [e.body["kind"] for e in run.emitted] == ["Gateway", "HTTPRoute"]


def test_gateway_class_prerequisite_is_reported_once() -> None:
    ir = make_ir([])
    ir.gateways[0].provenance = prov("x")
    run = emit(ir)
    needs = [n for n in run.report._needs if n[0] is Need.GATEWAY_CLASS]
    assert needs == [(Need.GATEWAY_CLASS, "GatewayClass kgateway")]
    action = run.report._needs[needs[0]][0]
    assert "kgateway.dev/kgateway" in action


def test_another_gateway_class_is_told_the_kgateway_class() -> None:
    ir = make_ir([])
    ir.gateways[0].gateway_class = "nginx"
    run = emit(ir)
    (action, _) = run.report._needs[(Need.GATEWAY_CLASS, "GatewayClass nginx")]
    assert "--gateway-class-name kgateway" in action


# --- security -----------------------------------------------------------------------------------


def test_basic_auth_is_a_traffic_policy_with_the_sha_warning() -> None:
    ext = BasicAuth("users", realm="private", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    policy = run.one("TrafficPolicy")
    assert policy["spec"] == {
        "targetRefs": ROUTE_TARGET,
        "basicAuth": {"secretRef": {"name": "users"}},
    }
    assert ext.consumed
    assert "kgateway-basic-auth-sha-only" in run.codes()
    assert run.status("auth-secret") is Status.PARTIAL
    assert (Need.SECRET, "Secret web/users") in run.report._needs


def test_basic_auth_in_another_namespace_gets_a_grant() -> None:
    ext = BasicAuth("users", secret_namespace="auth", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "basicAuth": {"secretRef": {"name": "users", "namespace": "auth"}}
    }
    (grant,) = run.kind("ReferenceGrant")
    assert grant["spec"]["from"] == [
        {"group": "gateway.kgateway.dev", "kind": "TrafficPolicy", "namespace": "web"}
    ]


def test_external_auth_to_a_cluster_service_is_a_gateway_extension() -> None:
    ext = ExternalAuth(
        "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth",
        response_headers=["X-Auth-Request-User"],
        provenance=prov("auth-url"),
    )
    run = emit(make_ir([ext]))
    extension = run.one("GatewayExtension")
    assert extension["spec"] == {
        "type": "ExtAuth",
        "extAuth": {
            "httpService": {
                "backendRef": {"name": "oauth2-proxy", "namespace": "auth", "port": 4180},
                "pathPrefix": "/oauth2/auth",
                "authorizationResponse": {"headersToBackend": ["x-auth-request-user"]},
            }
        },
    }
    assert spec_of(run.one("TrafficPolicy")) == {
        "extAuth": {"extensionRef": {"name": extension["metadata"]["name"]}}
    }
    assert "kgateway-auth-path-appended" in run.codes()
    assert len(run.kind("ReferenceGrant")) == 1


def test_external_auth_to_an_external_https_host_uses_a_backend_with_tls() -> None:
    ext = ExternalAuth("https://auth.example.net/check", provenance=prov("auth-url"))
    run = emit(make_ir([ext]))
    backend = run.one("Backend")
    assert backend["spec"] == {
        "type": "Static",
        "static": {"hosts": [{"host": "auth.example.net", "port": 443}]},
    }
    tls = run.one("BackendConfigPolicy")
    assert tls["spec"]["targetRefs"] == [
        {"group": "gateway.kgateway.dev", "kind": "Backend", "name": backend["metadata"]["name"]}
    ]
    assert tls["spec"]["tls"] == {"wellKnownCACertificates": "System", "sni": "auth.example.net"}


def test_external_auth_that_is_not_http_is_not_carried() -> None:
    ext = ExternalAuth("ftp://auth/x", provenance=prov("auth-url"))
    target = Target.parse(None, "standard")
    assert not EMITTER.carries(ext, target)
    emit(make_ir([ext]))
    assert not ext.consumed


def test_jwt_fetches_the_jwks_through_a_backend() -> None:
    ext = JWTAuth(
        issuer="https://issuer.example.com",
        jwks_uri="https://issuer.example.com/keys",
        provenance=prov("jwt"),
    )
    run = emit(make_ir([ext]))
    extension = run.one("GatewayExtension")
    provider = extension["spec"]["jwt"]["providers"][0]
    assert provider["issuer"] == "https://issuer.example.com"
    assert provider["jwks"]["remote"]["url"] == "https://issuer.example.com/keys"
    assert provider["jwks"]["remote"]["backendRef"]["kind"] == "Backend"
    assert not EMITTER.carries(JWTAuth(issuer="x"), Target.parse(None, "standard"))


def test_oidc_needs_an_https_issuer_client_id_and_secret() -> None:
    ext = OIDCAuth(
        issuer="https://login.example.com",
        client_id="app",
        client_secret=SecretRef("oidc"),
        scopes=["openid", "email"],
        provenance=prov("oidc"),
    )
    run = emit(make_ir([ext]))
    body = run.one("GatewayExtension")["spec"]["oauth2"]
    assert body["issuerURI"] == "https://login.example.com"
    assert body["credentials"] == {"clientID": "app", "clientSecretRef": {"name": "oidc"}}
    target = Target.parse(None, "standard")
    assert not EMITTER.carries(OIDCAuth(issuer="http://x", client_id="a"), target)
    plain = OIDCAuth(issuer="http://login", client_id="a", client_secret=SecretRef("s"))
    assert not EMITTER.carries(plain, target)


def test_ip_allow_and_deny_lists_become_an_acl() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], deny=["10.1.0.0/16"], provenance=prov("allow"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "acl": {
            "defaultAction": "deny",
            "rules": [
                {"name": "deny-listed", "action": "deny", "cidrs": ["10.1.0.0/16"]},
                {"name": "allow-listed", "action": "allow", "cidrs": ["10.0.0.0/8"]},
            ],
        }
    }
    assert run.status("allow") is Status.CONVERTED


def test_an_allowed_range_inside_a_denied_one_is_noted() -> None:
    ext = IPAccess(allow=["10.1.0.0/16"], deny=["10.0.0.0/8"], provenance=prov("allow"))
    run = emit(make_ir([ext]))
    assert run.status("allow") is Status.PARTIAL
    assert "longest matching prefix" in run.note("allow")


def test_an_ip_list_with_an_entry_kgateway_cannot_match_stays_closed() -> None:
    target = Target.parse(None, "standard")
    assert not EMITTER.carries(IPAccess(deny=["not-an-ip"]), target)
    assert not EMITTER.carries(IPAccess(allow=["::/0"]), target)
    assert EMITTER.carries(IPAccess(allow=["192.168.1.1"]), target)


def test_client_certificates_closed_only_without_verification() -> None:
    target = Target.parse(None, "standard")
    assert EMITTER.carries(ClientCertAuth("ca", verify="on"), target)
    assert EMITTER.carries(ClientCertAuth("ca", verify="optional"), target)
    assert not EMITTER.carries(ClientCertAuth("ca", verify="optional_no_ca"), target)


def test_unknown_extensions_stay_closed() -> None:
    target = Target.parse(None, "standard")
    assert not EMITTER.carries(CustomErrors(codes=[404]), target)
    assert not EMITTER.carries(BasicAuth(""), target)


@pytest.mark.parametrize(("verify", "mode"), [("on", "Require"), ("optional", "Optional")])
def test_client_certificates_on_the_https_listener(verify: str, mode: str) -> None:
    ext = ClientCertAuth("client-ca", verify=verify, provenance=prov("auth-tls-secret"))
    run = emit(make_ir([ext]))
    policy = run.one("ListenerPolicy")
    assert policy["spec"]["targetRefs"] == [
        {"group": GW, "kind": "Gateway", "name": "gw", "sectionName": "https"}
    ]
    assert policy["spec"]["default"] == {
        "clientCertificateValidation": {
            "caCertificateRefs": [{"group": "", "kind": "Secret", "name": "client-ca"}],
            "mode": mode,
        }
    }
    assert ext.consumed


def test_api_keys_from_one_secret() -> None:
    ext = APIKeyAuth(
        key_names=["x-api-key"],
        credential_secrets=[SecretRef("keys")],
        provenance=prov("key-auth"),
    )
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "apiKeyAuth": {"secretRef": {"name": "keys"}, "keySources": [{"header": "x-api-key"}]}
    }


# --- traffic ------------------------------------------------------------------------------------


def test_cors_becomes_a_traffic_policy() -> None:
    ext = Cors(
        allow_origins=["https://a.example.com", "bad origin"],
        allow_methods=["GET", "post"],
        allow_headers=["X-Custom"],
        max_age=600,
        allow_credentials=True,
        provenance=prov("cors"),
    )
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "cors": {
            "allowOrigins": ["https://a.example.com"],
            "allowMethods": ["GET", "POST"],
            "allowHeaders": ["X-Custom"],
            "allowCredentials": True,
            "maxAge": 600,
        }
    }
    assert run.status("cors") is Status.PARTIAL


def test_a_rate_limit_for_all_clients_is_a_local_token_bucket() -> None:
    ext = RateLimit(10, "Second", burst=5, per_client_ip=False, provenance=prov("rl"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "rateLimit": {
            "local": {"tokenBucket": {"maxTokens": 15, "tokensPerFill": 10, "fillInterval": "1s"}}
        }
    }


def test_a_rate_limit_per_client_needs_the_rate_limit_service() -> None:
    ext = RateLimit(10, "Minute", provenance=prov("rl"))
    run = emit(make_ir([ext]))
    assert not ext.consumed and not run.kgw()
    ext = RateLimit(10, "Minute", provenance=prov("rl"))
    run = emit(make_ir([ext]), **{"rate-limit-service": "limits/ratelimit:8081"})
    extension = run.one("GatewayExtension")
    assert extension["spec"]["rateLimit"]["grpcService"]["backendRef"] == {
        "name": "ratelimit",
        "namespace": "limits",
        "port": 8081,
    }
    limit = run.one("TrafficPolicy")["spec"]["rateLimit"]["global"]
    assert limit["descriptors"][0]["entries"][-1] == {"type": "RemoteAddress"}
    assert any(n[0] is Need.IMPLEMENTATION_FEATURE for n in run.report._needs)


def test_body_size_becomes_a_buffer_limit_where_the_source_buffered() -> None:
    ext = BodySize(8 << 20, provenance=prov("body"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {"buffer": {"maxRequestSize": "8Mi"}}
    streamed = BodySize(8 << 20, stream_reason="WebSocket", provenance=prov("body"))
    run = emit(make_ir([streamed]))
    assert not run.kgw("TrafficPolicy")
    assert "kgateway-body-limit-not-enforced" in run.codes()


def test_buffering_off_is_the_default_and_on_is_left() -> None:
    off = Buffering(request=False, provenance=prov("buf"))
    emit(make_ir([off]))
    assert off.consumed
    on = Buffering(request=True, provenance=prov("buf"))
    emit(make_ir([on]))
    assert not on.consumed


def test_retry() -> None:
    ext = Retry(3, codes=[503, 302], per_try_timeout="5s", provenance=prov("retry"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "retry": {
            "attempts": 3,
            "retryOn": ["connect-failure", "reset", "retriable-status-codes"],
            "statusCodes": [503],
            "perTryTimeout": "5s",
        }
    }


def test_timeouts_split_between_route_and_service() -> None:
    ext = Timeouts(connect="5s", read="60s", send="30s", provenance=prov("timeouts"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {"timeouts": {"streamIdle": "1m"}}
    assert spec_of(run.one("BackendConfigPolicy")) == {"connectTimeout": "5s"}
    assert ext.consumed


def test_regex_rewrite_is_a_url_rewrite() -> None:
    ext = RegexRewrite("^/api/(.*)", "/\\1", provenance=prov("rewrite"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("TrafficPolicy")) == {
        "urlRewrite": {"pathRegex": {"pattern": "^/api/(.*)", "substitution": "/\\1"}}
    }


# --- backends -----------------------------------------------------------------------------------


def test_session_affinity_is_a_ring_hash_cookie_on_the_service() -> None:
    ext = SessionAffinity(
        cookie_name="route", ttl_seconds=3600, path="/", same_site="Lax", provenance=prov("aff")
    )
    run = emit(make_ir([ext]))
    policy = run.one("BackendConfigPolicy")
    assert policy["spec"]["targetRefs"] == SERVICE_TARGET
    assert policy["spec"]["loadBalancer"] == {
        "ringHash": {
            "hashPolicies": [
                {
                    "cookie": {
                        "name": "route",
                        "ttl": "1h",
                        "httpOnly": True,
                        "path": "/",
                        "sameSite": "Lax",
                    }
                }
            ]
        }
    }
    assert run.status("aff") is Status.PARTIAL


def test_a_session_cookie_without_ttl_is_a_session_cookie() -> None:
    ext = SessionAffinity(cookie_name="route", provenance=prov("aff"))
    run = emit(make_ir([ext]))
    cookie = run.one("BackendConfigPolicy")["spec"]["loadBalancer"]["ringHash"]["hashPolicies"][0]
    assert cookie["cookie"]["ttl"] == "0s"


def test_session_affinity_wins_over_an_algorithm_and_the_conflict_is_reported() -> None:
    affinity = SessionAffinity(cookie_name="route", provenance=prov("aff"))
    algorithm = LoadBalancer("RoundRobin", provenance=prov("lb"))
    run = emit(make_ir([algorithm, affinity]))
    assert "ringHash" in run.one("BackendConfigPolicy")["spec"]["loadBalancer"]
    assert affinity.consumed and not algorithm.consumed
    assert "kgateway-policy-conflict" in run.codes()


@pytest.mark.parametrize(
    ("algorithm", "hash_on", "expected"),
    [
        ("RoundRobin", None, {"roundRobin": {}}),
        ("LeastRequest", None, {"leastRequest": {}}),
        ("Random", None, {"random": {}}),
        ("ConsistentHash", "source-ip", {"ringHash": {"hashPolicies": [{"sourceIP": {}}]}}),
        (
            "ConsistentHash",
            "header:x-user",
            {"ringHash": {"hashPolicies": [{"header": {"name": "x-user"}}]}},
        ),
    ],
)
def test_load_balancer(algorithm: Any, hash_on: str | None, expected: JSONDict) -> None:
    run = emit(make_ir([LoadBalancer(algorithm, hash_on, provenance=prov("lb"))]))
    assert run.one("BackendConfigPolicy")["spec"]["loadBalancer"] == expected


def test_hashing_on_the_uri_is_left_for_the_report() -> None:
    ext = LoadBalancer("ConsistentHash", "uri", provenance=prov("lb"))
    emit(make_ir([ext]))
    assert not ext.consumed


def test_a_service_setting_shared_with_other_rules_is_noted() -> None:
    ext = LoadBalancer("LeastRequest", provenance=prov("lb"))
    run = emit(make_ir([ext], []))
    assert run.status("lb") is Status.PARTIAL
    assert "every route to Service web/svc" in run.note("lb")


def test_backend_connection_limits_become_circuit_breakers() -> None:
    ext = BackendConnectionLimits(
        max_connections=100,
        max_pending_requests=10,
        max_parallel_requests=50,
        max_parallel_retries=3,
        max_requests_per_connection=5,
        connect_timeout="2s",
        idle_timeout="1m",
        provenance=prov("pool"),
    )
    run = emit(make_ir([ext]))
    assert spec_of(run.one("BackendConfigPolicy")) == {
        "circuitBreakers": {
            "maxConnections": 100,
            "maxPendingRequests": 10,
            "maxRequests": 50,
            "maxRetries": 3,
        },
        "commonHttpProtocolOptions": {"maxRequestsPerConnection": 5, "idleTimeout": "1m"},
        "connectTimeout": "2s",
    }


def test_backend_tls_without_verification() -> None:
    ext = BackendTLSOptions(
        "svc", insecure_skip_verify=True, sni="svc.internal", provenance=prov("tls")
    )
    run = emit(make_ir([ext]))
    assert spec_of(run.one("BackendConfigPolicy")) == {
        "tls": {"insecureSkipVerify": True, "sni": "svc.internal"}
    }


def test_backend_tls_client_certificate_must_be_in_the_service_namespace() -> None:
    ext = BackendTLSOptions("svc", client_certificate=SecretRef("cert"), provenance=prov("tls"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one("BackendConfigPolicy")) == {"tls": {"secretRef": {"name": "cert"}}}
    other = BackendTLSOptions(
        "svc", client_certificate=SecretRef("cert", "elsewhere"), provenance=prov("tls")
    )
    emit(make_ir([other]))
    assert not other.consumed


def test_backend_tls_for_another_service_is_not_applied_here() -> None:
    ext = BackendTLSOptions("other", insecure_skip_verify=True, provenance=prov("tls"))
    run = emit(make_ir([ext]))
    assert not run.kgw("BackendConfigPolicy")


def test_two_services_get_a_policy_each() -> None:
    first = LoadBalancer("Random", provenance=prov("lb"))
    second = LoadBalancer("LeastRequest", provenance=prov("lb2"))
    run = emit(make_ir([first], [second], services=["a", "b"]))
    by_name = {p["metadata"]["name"]: p["spec"]["loadBalancer"] for p in run.kgw()}
    assert by_name == {"a": {"random": {}}, "b": {"leastRequest": {}}}


# --- attachment ---------------------------------------------------------------------------------


def test_rules_that_differ_get_extension_ref_policies() -> None:
    first = Retry(2, provenance=prov("retry"))
    run = emit(make_ir([first], []))
    policy = run.one("TrafficPolicy")
    assert "targetRefs" not in policy["spec"]
    name = policy["metadata"]["name"]
    assert name == "app-rule-0"
    rules = run.route()["spec"]["rules"]
    assert rules[0]["filters"] == [
        {
            "type": "ExtensionRef",
            "extensionRef": {
                "group": "gateway.kgateway.dev",
                "kind": "TrafficPolicy",
                "name": name,
            },
        }
    ]
    assert "filters" not in rules[1]
    assert "name" not in rules[0]  # no rule names needed


def test_rules_that_agree_share_one_route_policy() -> None:
    run = emit(make_ir([Retry(2, provenance=prov("a"))], [Retry(2, provenance=prov("b"))]))
    assert run.one("TrafficPolicy")["spec"]["targetRefs"] == ROUTE_TARGET


def test_route_and_rule_extensions_merge() -> None:
    run = emit(
        make_ir(
            [Retry(2, provenance=prov("retry"))], route_exts=[BasicAuth("u", provenance=prov("b"))]
        )
    )
    assert spec_of(run.one("TrafficPolicy")) == {
        "basicAuth": {"secretRef": {"name": "u"}},
        "retry": {"attempts": 2, "retryOn": ["connect-failure", "reset"]},
    }


def test_two_values_for_one_field_are_reported() -> None:
    first = Retry(2, provenance=prov("a"))
    second = Retry(5, provenance=prov("b"))
    run = emit(make_ir([first, second]))
    assert first.consumed and not second.consumed
    assert "kgateway-policy-conflict" in run.codes()


def test_gateway_wide_extension_targets_the_gateway() -> None:
    run = emit(make_ir([], gateway_exts=[Cors(allow_origins=["*"], provenance=prov("cors"))]))
    assert run.one("TrafficPolicy")["spec"]["targetRefs"] == [
        {"group": GW, "kind": "Gateway", "name": "gw"}
    ]


def test_client_settings_go_to_a_gateway_listener_policy() -> None:
    timeouts = ClientTimeouts(idle="75s", provenance=prov("keepalive"))
    xff = ClientIPDetection(
        header="X-Forwarded-For", trusted_cidrs=["10.0.0.0/8"], provenance=prov("xff")
    )
    run = emit(make_ir([], gateway_exts=[timeouts, xff]))
    assert run.one("ListenerPolicy")["spec"]["default"] == {
        "httpSettings": {
            "idleTimeout": "1m15s",
            "useRemoteAddress": False,
            "xffTrustedCIDRs": ["10.0.0.0/8"],
        }
    }


def test_closed_rules_answer_with_a_direct_response() -> None:
    ir = make_ir([], [])
    ir.routes[0].rules[1].backend_refs = []  # type: ignore[attr-defined]
    ir.routes[0].rules[1].closed_status = 503  # type: ignore[attr-defined]
    run = emit(ir)
    response = run.one("DirectResponse")
    assert response["spec"] == {"status": 503}
    assert run.route()["spec"]["rules"][1]["filters"][0]["extensionRef"]["kind"] == "DirectResponse"


def test_output_is_deterministic() -> None:
    def once() -> list[JSONDict]:
        exts: list[Extension] = [
            BasicAuth("u", provenance=prov("b")),
            SessionAffinity(cookie_name="c", provenance=prov("s")),
            ExternalAuth("https://auth.example.net/x", provenance=prov("e")),
        ]
        return [e.body for e in emit(make_ir(exts, [])).emitted]

    assert once() == once()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1h30m", "1h30m"), ("1.5s", "1s500ms"), ("0", None), ("nonsense", None), ("500ms", "500ms")],
)
def test_durations(text: str, expected: str | None) -> None:
    assert duration(text) == expected


def test_an_external_name_service_becomes_a_static_backend() -> None:
    ext = ExternalNameService("svc", None, 80, "api.example.net", 443, provenance=prov("ext"))
    balancing = LoadBalancer("Random", provenance=prov("lb"))
    run = emit(make_ir([ext, balancing]))
    backend = run.one("Backend")
    assert backend["spec"] == {
        "type": "Static",
        "static": {"hosts": [{"host": "api.example.net", "port": 443}]},
    }
    ref = run.route()["spec"]["rules"][0]["backendRefs"][0]
    assert ref == {
        "group": "gateway.kgateway.dev",
        "kind": "Backend",
        "name": "api-example-net-443",
    }
    policy = run.one("BackendConfigPolicy")
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.kgateway.dev", "kind": "Backend", "name": "api-example-net-443"}
    ]
    assert ext.consumed and balancing.consumed


def test_an_external_name_that_is_no_host_name_is_reported() -> None:
    ext = ExternalNameService("svc", None, 80, "bad_name!", 443, provenance=prov("ext"))
    run = emit(make_ir([ext]))
    assert not ext.consumed
    assert "kgateway-policy-conflict" in run.codes()


def test_a_route_policy_repeats_the_gateway_field_it_would_replace() -> None:
    gateway = Cors(allow_origins=["https://a.example.com"], provenance=prov("gw-cors"))
    route = Cors(allow_origins=["https://a.example.com"], max_age=60, provenance=prov("cors"))
    run = emit(make_ir([route], gateway_exts=[gateway]))
    route_policy = [p for p in run.kgw("TrafficPolicy") if p["spec"]["targetRefs"] == ROUTE_TARGET]
    assert route_policy[0]["spec"]["cors"] == {
        "allowOrigins": ["https://a.example.com"],
        "maxAge": 60,
    }


def test_a_route_acl_that_would_undo_the_gateway_acl_stays_unconsumed() -> None:
    gateway = IPAccess(allow=["10.0.0.0/8"], provenance=prov("gw-allow"))
    route = IPAccess(deny=["192.168.0.0/16"], provenance=prov("deny"))
    run = emit(make_ir([route], gateway_exts=[gateway]))
    assert gateway.consumed and not route.consumed
    assert "kgateway-policy-conflict" in run.codes()
    policies = run.kgw("TrafficPolicy")
    assert [p["spec"]["targetRefs"][0]["kind"] for p in policies] == ["Gateway"]


INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "kgateway"), ("edge", "edge")], ids=["default", "flag"]
)
def test_gateways_name_kgateways_class_unless_the_user_names_one(
    given: str | None, expected: str
) -> None:
    result = ingress2gateway.convert(
        [yaml.safe_load(INGRESS)],
        ["nginx"],
        "kgateway",
        options=ConvertOptions(gateway_class_name=given),
    )
    classes = {o["spec"]["gatewayClassName"] for o in result.resources if o["kind"] == "Gateway"}
    assert classes == {expected}
    assert "gateway-class-assumed" not in {n.code for n in result.report.notifications}
