"""The agentgateway emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and agentgateway 1.4.1 CRDs (schema + CEL).
"""

from __future__ import annotations

import pytest
import yaml

import ingress2gateway
from ingress2gateway.emitters.agentgateway import EMITTER
from ingress2gateway.emitters.agentgateway._base import duration
from ingress2gateway.ir import (
    IR,
    BackendRef,
    BackendTLSOptions,
    BasicAuth,
    BodySize,
    Buffering,
    ClientCertAuth,
    ClientTimeouts,
    Cors,
    Extension,
    ExternalAuth,
    ExternalNameService,
    Gateway,
    HTTPRoute,
    IPAccess,
    JWTAuth,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    Provenance,
    RateLimit,
    Retry,
    Rule,
    SecretRef,
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
AGW = "agentgateway.dev/v1alpha1"


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
        "agentgateway",
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

    def agw(self, kind: str | None = None) -> list[JSONDict]:
        return [
            e.body
            for e in self.emitted
            if e.body["apiVersion"] == AGW and (kind is None or e.body["kind"] == kind)
        ]

    def one(self, kind: str) -> JSONDict:
        found = self.agw(kind)
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

ROUTE_TARGET = [{"group": GW, "kind": "HTTPRoute", "name": "app"}]
POLICY = "AgentgatewayPolicy"


def traffic(run: Run) -> JSONDict:
    body: JSONDict = run.one(POLICY)["spec"]["traffic"]
    return body


# --- registration and prerequisites -------------------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter = load_emitter("agentgateway")
    assert emitter is EMITTER
    assert emitter.name == "agentgateway"
    assert emitter.gateway_class == "agentgateway"


def test_standard_objects_are_still_emitted() -> None:
    run = emit(make_ir([]))
    assert [e.body["kind"] for e in run.emitted] == ["Gateway", "HTTPRoute"]


def test_gateway_class_prerequisite_is_reported_once() -> None:
    ir = make_ir([BasicAuth("u", provenance=prov("a")), Retry(2, provenance=prov("r"))])
    ir.gateways[0].provenance = prov("x")
    run = emit(ir)
    needs = [n for n in run.report._needs if n[0] is Need.GATEWAY_CLASS]
    assert needs == [(Need.GATEWAY_CLASS, "GatewayClass agentgateway")]
    action = run.report._needs[needs[0]][0]
    assert "agentgateway.dev/agentgateway" in action


def test_another_gateway_class_is_told_the_agentgateway_class() -> None:
    ir = make_ir([])
    ir.gateways[0].gateway_class = "nginx"
    run = emit(ir)
    (action, _) = run.report._needs[(Need.GATEWAY_CLASS, "GatewayClass nginx")]
    assert "--gateway-class-name agentgateway" in action


# --- security -----------------------------------------------------------------------------------


def test_basic_auth_reads_htaccess_from_the_secret() -> None:
    ext = BasicAuth("users", realm="private", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    policy = run.one(POLICY)
    assert policy["spec"] == {
        "targetRefs": ROUTE_TARGET,
        "traffic": {
            "basicAuthentication": {
                "mode": "Strict",
                "realm": "private",
                "secretRef": {"name": "users"},
            }
        },
    }
    assert ext.consumed
    assert run.status("auth-secret") is Status.PARTIAL
    (action, _) = run.report._needs[(Need.SECRET, "Secret web/users")]
    assert ".htaccess" in action


def test_basic_auth_in_another_namespace_stays_closed() -> None:
    ext = BasicAuth("users", secret_namespace="auth", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed
    target = Target.parse(None, "standard")
    assert EMITTER.carries(BasicAuth("users"), target)
    assert not EMITTER.carries(BasicAuth(""), target)


def test_external_auth_to_a_cluster_service_calls_the_url_path() -> None:
    ext = ExternalAuth(
        "http://oauth2-proxy.auth.svc.cluster.local:4180/oauth2/auth",
        response_headers=["X-Auth-Request-User"],
        provenance=prov("auth-url"),
    )
    run = emit(make_ir([ext]))
    assert traffic(run) == {
        "extAuth": {
            "backendRef": {"name": "oauth2-proxy", "namespace": "auth", "port": 4180},
            "http": {"path": '"/oauth2/auth"', "allowedResponseHeaders": ["X-Auth-Request-User"]},
        }
    }
    (grant,) = run.kind("ReferenceGrant")
    assert grant["metadata"]["namespace"] == "auth"
    assert grant["spec"]["from"] == [
        {"group": "agentgateway.dev", "kind": POLICY, "namespace": "web"}
    ]
    assert run.status("auth-url") is Status.PARTIAL
    assert "allowedRequestHeaders" in run.note("auth-url")


def test_external_auth_to_an_external_https_host_uses_a_backend_with_tls() -> None:
    ext = ExternalAuth("https://auth.example.net/check", provenance=prov("auth-url"))
    run = emit(make_ir([ext]))
    backend = run.one("AgentgatewayBackend")
    assert backend["spec"] == {
        "static": {"host": "auth.example.net", "port": 443},
        "policies": {"tls": {"sni": "auth.example.net"}},
    }
    assert traffic(run)["extAuth"]["backendRef"] == {
        "group": "agentgateway.dev",
        "kind": "AgentgatewayBackend",
        "name": backend["metadata"]["name"],
    }


@pytest.mark.parametrize(
    "url",
    [
        "grpc://auth:9000",
        'http://auth.example.net/a"b',
        "http://auth.example.net/a\\b",
        "http://auth.example.net/x' + request.path + '",
    ],
)
def test_external_auth_that_cannot_be_said_safely_stays_closed(url: str) -> None:
    ext = ExternalAuth(url, provenance=prov("auth-url"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))


def test_jwt_fetches_the_jwks_through_a_backend() -> None:
    ext = JWTAuth(
        issuer="https://id.example.com",
        jwks_uri="https://id.example.com/keys",
        provenance=prov("jwt"),
    )
    run = emit(make_ir([ext]))
    backend = run.one("AgentgatewayBackend")
    assert traffic(run) == {
        "jwtAuthentication": {
            "mode": "Strict",
            "providers": [
                {
                    "issuer": "https://id.example.com",
                    "jwks": {
                        "remote": {
                            "backendRef": {
                                "group": "agentgateway.dev",
                                "kind": "AgentgatewayBackend",
                                "name": backend["metadata"]["name"],
                            },
                            "jwksPath": "/keys",
                        }
                    },
                }
            ],
        }
    }
    assert not EMITTER.carries(
        JWTAuth(jwks_uri="https://id.example.com/keys"), Target.parse(None, "standard")
    )


def test_ip_allow_and_deny_lists_become_one_require_expression() -> None:
    ext = IPAccess(allow=["10.0.0.0/8", "2001:db8::/32"], deny=["10.1.2.3"], provenance=prov("ip"))
    run = emit(make_ir([ext]))
    assert traffic(run) == {
        "authorization": {
            "action": "Require",
            "policy": {
                "matchExpressions": [
                    "(cidr('10.0.0.0/8').containsIP(source.address) || "
                    "cidr('2001:db8::/32').containsIP(source.address)) && "
                    "!(cidr('10.1.2.3/32').containsIP(source.address))"
                ]
            },
        }
    }
    assert ext.consumed


def test_a_deny_list_alone_requires_being_outside_it() -> None:
    run = emit(make_ir([IPAccess(deny=["192.168.1.0/24"], provenance=prov("ip"))]))
    assert traffic(run)["authorization"]["policy"]["matchExpressions"] == [
        "!(cidr('192.168.1.0/24').containsIP(source.address))"
    ]


@pytest.mark.parametrize(
    "entry",
    ["10.0.0.0/33", "example.com", "10.0.0.1') || true || cidr('0.0.0.0/0", "1.2.3.4/8 || true"],
)
def test_an_ip_list_with_an_entry_that_is_not_a_network_stays_closed(entry: str) -> None:
    ext = IPAccess(allow=["10.0.0.0/8", entry], provenance=prov("ip"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))


def test_client_certificates_and_unknown_controls_stay_closed() -> None:
    target = Target.parse(None, "standard")
    assert not EMITTER.carries(ClientCertAuth("ca", verify="on"), target)
    assert not EMITTER.carries(Extension(), target)


def test_cors_becomes_a_traffic_field() -> None:
    ext = Cors(
        allow_origins=["https://a.example.com", "bad origin"],
        allow_methods=["get", "POST"],
        allow_headers=["X-Token"],
        max_age=600,
        provenance=prov("cors"),
    )
    run = emit(make_ir([ext]))
    assert traffic(run) == {
        "cors": {
            "allowOrigins": ["https://a.example.com"],
            "allowMethods": ["GET", "POST"],
            "allowHeaders": ["X-Token"],
            "maxAge": 600,
        }
    }
    assert run.status("cors") is Status.PARTIAL


# --- traffic ------------------------------------------------------------------------------------


def test_a_rate_limit_for_all_clients_is_local() -> None:
    ext = RateLimit(10, "Second", burst=5, per_client_ip=False, provenance=prov("rl"))
    run = emit(make_ir([ext]))
    assert traffic(run) == {
        "rateLimit": {"local": [{"requests": 10, "unit": "Seconds", "burst": 5}]}
    }


def test_a_rate_limit_per_client_needs_the_rate_limit_service() -> None:
    ext = RateLimit(100, "Minute", provenance=prov("rl"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed
    assert "agentgateway-rate-limit-needs-service" in run.codes()
    ext = RateLimit(100, "Minute", provenance=prov("rl"))
    run = emit(make_ir([ext]), **{"rate-limit-service": "ratelimit/rls:8081"})
    assert traffic(run) == {
        "rateLimit": {
            "global": {
                "backendRef": {"name": "rls", "namespace": "ratelimit", "port": 8081},
                "domain": "ingress2gateway",
                "descriptors": [
                    {
                        "entries": [
                            {"name": "limit", "expression": "'100-per-minute'"},
                            {"name": "remote_address", "expression": "source.address"},
                        ]
                    }
                ],
            }
        }
    }
    assert "agentgateway-rate-limit-needs-service" not in run.codes()
    assert any(need[0] is Need.IMPLEMENTATION_FEATURE for need in run.report._needs)


def test_body_size_is_a_request_buffer_where_the_source_buffered() -> None:
    run = emit(make_ir([BodySize(8 << 20, provenance=prov("body"))]))
    assert traffic(run) == {"buffer": {"request": {"maxBytes": "8Mi", "failureMode": "FailClosed"}}}
    streamed = BodySize(8 << 20, stream_reason="nginx streamed", provenance=prov("body"))
    run = emit(make_ir([streamed]))
    assert not run.agw()
    assert "agentgateway-body-limit-not-enforced" in run.codes()


def test_buffering_off_is_the_default_and_on_is_left() -> None:
    off = Buffering(request=False, provenance=prov("off"))
    on = Buffering(request=True, provenance=prov("on"))
    run = emit(make_ir([off, on]))
    assert off.consumed and not on.consumed
    assert not run.agw()


def test_retry_with_a_per_try_timeout() -> None:
    ext = Retry(3, codes=[502, 503, 200], per_try_timeout="2s", provenance=prov("retry"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one(POLICY)) == {
        "traffic": {"retry": {"attempts": 3, "codes": [502, 503]}},
        "backend": {"http": {"requestTimeout": "2s"}},
    }
    assert run.status("retry") is Status.PARTIAL


def test_connect_timeout_is_a_backend_field_and_read_send_are_left() -> None:
    ext = Timeouts(connect="5s", read="60s", provenance=prov("t"))
    run = emit(make_ir([ext]))
    assert spec_of(run.one(POLICY)) == {"backend": {"tcp": {"connectTimeout": "5s"}}}
    assert run.status("t") is Status.PARTIAL
    only_read = Timeouts(read="60s", provenance=prov("t"))
    assert not emit(make_ir([only_read])).agw() and not only_read.consumed


# --- attachment ---------------------------------------------------------------------------------


def test_rules_that_differ_target_their_rule_by_name() -> None:
    run = emit(make_ir([Retry(2, provenance=prov("retry"))], []), "1.6.1")
    policy = run.one(POLICY)
    assert policy["spec"]["targetRefs"] == [{**ROUTE_TARGET[0], "sectionName": "rule-0"}]
    rules = run.route()["spec"]["rules"]
    assert rules[0]["name"] == "rule-0"
    assert "name" not in rules[1]
    assert all("filters" not in rule for rule in rules)  # never an ExtensionRef


def test_rules_that_differ_without_rule_names_stay_closed() -> None:
    first = BasicAuth("u", provenance=prov("auth"))
    second = BasicAuth("v", provenance=prov("auth2"))
    run = emit(make_ir([first], [second]), "1.3.0")
    assert not run.agw() and not first.consumed and not second.consumed
    assert "agentgateway-policy-conflict" in run.codes()


def test_one_rule_s_control_without_rule_names_covers_the_whole_route() -> None:
    auth = BasicAuth("u", provenance=prov("auth"))
    run = emit(make_ir([auth], []), "1.3.0")
    assert run.one(POLICY)["spec"]["targetRefs"] == ROUTE_TARGET
    assert auth.consumed and "rule-1 get it too" in run.note("auth")


def test_rules_that_agree_share_one_route_policy() -> None:
    run = emit(make_ir([Retry(2, provenance=prov("a"))], [Retry(2, provenance=prov("b"))]))
    assert run.one(POLICY)["spec"]["targetRefs"] == ROUTE_TARGET


def test_route_and_rule_extensions_merge() -> None:
    run = emit(
        make_ir(
            [Retry(2, provenance=prov("retry"))], route_exts=[BasicAuth("u", provenance=prov("b"))]
        )
    )
    assert set(traffic(run)) == {"basicAuthentication", "retry"}


def test_two_values_for_one_field_are_reported() -> None:
    first = Retry(2, provenance=prov("a"))
    second = Retry(5, provenance=prov("b"))
    run = emit(make_ir([first, second]))
    assert first.consumed and not second.consumed
    assert "agentgateway-policy-conflict" in run.codes()


def test_gateway_wide_extension_targets_the_gateway() -> None:
    run = emit(make_ir([], gateway_exts=[Cors(allow_origins=["*"], provenance=prov("cors"))]))
    assert run.one(POLICY)["spec"]["targetRefs"] == [{"group": GW, "kind": "Gateway", "name": "gw"}]


def test_a_route_policy_repeats_the_gateway_field_it_replaces() -> None:
    gateway_ip = IPAccess(allow=["10.0.0.0/8"], provenance=prov("gw-ip"))
    route_ip = IPAccess(allow=["192.168.0.0/16"], provenance=prov("route-ip"))
    run = emit(make_ir([route_ip], gateway_exts=[gateway_ip]))
    # Two different expressions for one field: the route's is refused rather than replacing
    # the Gateway's, and stays unconsumed (the pipeline closes what it protects).
    assert gateway_ip.consumed and not route_ip.consumed
    assert "agentgateway-policy-conflict" in run.codes()


def test_output_is_deterministic() -> None:
    def once() -> list[JSONDict]:
        exts: list[Extension] = [
            BasicAuth("u", provenance=prov("b")),
            IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip")),
            ExternalAuth("https://auth.example.net/x", provenance=prov("e")),
        ]
        return [e.body for e in emit(make_ir(exts, [])).emitted]

    assert once() == once()


@pytest.mark.parametrize(
    ("text", "minimum", "expected"),
    [("1h30m", 0, "1h30m"), ("1.5s", 0, "1s500ms"), ("50ms", 100, None), ("nonsense", 0, None)],
)
def test_durations(text: str, minimum: int, expected: str | None) -> None:
    assert duration(text, minimum) == expected


def test_the_cli_writes_agentgateway_objects() -> None:
    ir = make_ir([BasicAuth("u", provenance=prov("b"))])
    text = ingress2gateway.dump([e.body for e in emit(ir).emitted], "yaml")
    kinds = [doc["kind"] for doc in yaml.safe_load_all(text)]
    assert POLICY in kinds


# --- backend and frontend -----------------------------------------------------------------------


def test_backend_tls_without_verification_is_a_service_policy() -> None:
    ext = BackendTLSOptions(
        "svc",
        insecure_skip_verify=True,
        client_certificate=SecretRef("client"),
        sni="svc.internal",
        provenance=prov("tls"),
    )
    run = emit(make_ir([ext]))
    policy = run.one(POLICY)
    assert policy["metadata"]["name"] == "svc-backend-tls"
    assert policy["spec"] == {
        "targetRefs": [{"group": "", "kind": "Service", "name": "svc"}],
        "backend": {
            "tls": {
                "insecureSkipVerify": "All",
                "mtlsCertificateRef": [{"name": "client"}],
                "sni": "svc.internal",
            }
        },
    }
    assert (Need.SECRET, "Secret web/client") in run.report._needs
    assert run.status("tls") is Status.PARTIAL


def test_backend_tls_for_another_service_is_not_applied_here() -> None:
    ext = BackendTLSOptions("other", insecure_skip_verify=True, provenance=prov("tls"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed


def test_backend_client_certificate_of_another_namespace_is_left() -> None:
    ext = BackendTLSOptions(
        "svc", client_certificate=SecretRef("client", "certs"), provenance=prov("tls")
    )
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed


def test_client_idle_timeout_is_a_gateway_frontend_setting() -> None:
    ext = ClientTimeouts(idle="75s", request_headers="60s", provenance=prov("keepalive"))
    run = emit(make_ir([], gateway_exts=[ext]))
    policy = run.one(POLICY)
    assert policy["spec"] == {
        "targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw"}],
        "frontend": {"http": {"http1IdleTimeout": "1m15s"}},
    }
    assert run.status("keepalive") is Status.PARTIAL


def test_client_timeouts_on_a_route_are_left() -> None:
    ext = ClientTimeouts(idle="75s", provenance=prov("keepalive"))
    run = emit(make_ir([ext]))
    assert not run.agw() and not ext.consumed


def test_an_external_name_service_becomes_a_static_backend() -> None:
    ext = ExternalNameService("svc", None, 80, "api.example.net", 443, provenance=prov("ext"))
    tls = BackendTLSOptions("svc", insecure_skip_verify=True, provenance=prov("tls"))
    run = emit(make_ir([ext, tls]))
    backend = run.one("AgentgatewayBackend")
    assert backend["spec"] == {"static": {"host": "api.example.net", "port": 443}}
    ref = run.route()["spec"]["rules"][0]["backendRefs"][0]
    assert ref == {
        "group": "agentgateway.dev",
        "kind": "AgentgatewayBackend",
        "name": "api-example-net-443",
    }
    policy = run.one(POLICY)
    assert policy["spec"]["targetRefs"] == [
        {"group": "agentgateway.dev", "kind": "AgentgatewayBackend", "name": "api-example-net-443"}
    ]
    assert ext.consumed and tls.consumed


def test_an_external_name_that_is_no_host_name_is_reported() -> None:
    ext = ExternalNameService("svc", None, 80, "bad_name!", 443, provenance=prov("ext"))
    run = emit(make_ir([ext]))
    assert not ext.consumed
    assert "agentgateway-policy-conflict" in run.codes()


def test_a_route_policy_repeats_the_gateway_field_it_would_replace() -> None:
    gateway = Cors(allow_origins=["https://a.example.com"], provenance=prov("gw-cors"))
    route = Cors(allow_origins=["https://a.example.com"], max_age=60, provenance=prov("cors"))
    run = emit(make_ir([route], gateway_exts=[gateway]))
    route_policy = [p for p in run.agw(POLICY) if p["spec"]["targetRefs"] == ROUTE_TARGET]
    assert route_policy[0]["spec"]["traffic"]["cors"] == {
        "allowOrigins": ["https://a.example.com"],
        "maxAge": 60,
    }
    assert gateway.consumed and route.consumed
