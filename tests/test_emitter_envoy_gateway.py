"""The envoy-gateway emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and Envoy Gateway v1.9 CRDs (schema + CEL).
"""

from __future__ import annotations

from typing import Any

import pytest

from ingress2gateway.emitters.envoy_gateway import EMITTER
from ingress2gateway.emitters.envoy_gateway._base import (
    MergeConflict,
    eg_duration,
    merged,
    quantity,
)
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
    ClientTLSSettings,
    Cors,
    CorsFilter,
    CustomErrors,
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
    RegexRewrite,
    Retry,
    Rule,
    SecretRef,
    SessionAffinity,
    TCPRoute,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
GW = "gateway.networking.k8s.io"
EG = "gateway.envoyproxy.io/v1alpha1"


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
    rule_filters: list[Any] | None = None,
) -> IR:
    """One Gateway (HTTP + HTTPS listener for app.example.com), one HTTPRoute, one rule per arg."""
    gateway = Gateway(
        "gw",
        "web",
        "eg",
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
                backend_refs=[BackendRef("svc", port=80)],
                filters=list(rule_filters or []) if index == 0 else [],
                extensions=list(exts),
            )
            for index, exts in enumerate(rules or ([],))
        ],
    )
    return IR(gateways=[gateway], routes=[route])


class Run:
    def __init__(self, emitted: list[Emitted], report: Recorder, target: Target) -> None:
        self.emitted = emitted
        self.report = report
        self.target = target

    def eg(self, kind: str | None = None) -> list[JSONDict]:
        return [
            e.body
            for e in self.emitted
            if e.body["apiVersion"] == EG and (kind is None or e.body["kind"] == kind)
        ]

    def one(self, kind: str) -> JSONDict:
        found = self.eg(kind)
        assert len(found) == 1, found
        return found[0]

    def kind(self, kind: str) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["kind"] == kind]

    def route(self) -> JSONDict:
        return self.kind("HTTPRoute")[0]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def status(self, field: str) -> Status:
        return self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].status

    def targets(self, field: str) -> set[ObjectRef]:
        """The objects made from ``field`` (which the ledger names once they are printed)."""
        made = (SOURCE, f"metadata.annotations[{field}]")
        return {e.ref for e in self.emitted if made in {(p.source, p.field) for p in e.provenance}}


def emit(ir: IR, version: str | None = None, channel: str = "standard", **options: str) -> Run:
    target = Target.parse(version, channel)
    report = Recorder()
    emitted = EMITTER.emit(ir, EmitContext(report=report, target=target, options=options))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
    return Run(emitted, report, target)


def spec_without_targets(body: JSONDict) -> JSONDict:
    return {k: v for k, v in body["spec"].items() if k != "targetRefs"}


def route_target(section: str | None = None) -> list[JSONDict]:
    ref: JSONDict = {"group": GW, "kind": "HTTPRoute", "name": "app"}
    if section:
        ref["sectionName"] = section
    return [ref]


# --- registration -------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter = load_emitter("envoy-gateway")
    assert emitter is EMITTER
    assert emitter.name == "envoy-gateway"


def test_standard_objects_are_still_emitted() -> None:
    run = emit(make_ir([]))
    assert [e.body["kind"] for e in run.emitted] == ["Gateway", "HTTPRoute"]


# --- security -----------------------------------------------------------------------------------


def test_basic_auth_becomes_security_policy_with_sha_warning() -> None:
    ext = BasicAuth("users", realm="private", provenance=prov("auth-secret"))
    run = emit(make_ir([ext]))
    policy = run.one("SecurityPolicy")
    assert policy["metadata"]["name"] == "app"
    assert policy["metadata"]["namespace"] == "web"
    assert policy["spec"] == {
        "targetRefs": route_target(),
        "basicAuth": {"users": {"name": "users"}},
    }
    assert ext.consumed
    assert run.status("auth-secret") is Status.PARTIAL
    assert run.targets("auth-secret") == {ObjectRef("SecurityPolicy", "web", "app")}
    assert "eg-basic-auth-sha-only" in run.codes()
    note = run.report.ledger[(SOURCE, "metadata.annotations[auth-secret]")].notes[0]
    assert ".htpasswd" in note and "realm" in note


def test_basic_auth_secret_in_other_namespace_gets_a_reference_grant() -> None:
    run = emit(make_ir([BasicAuth("users", "auth", provenance=prov("auth-secret"))]))
    policy = run.one("SecurityPolicy")
    assert policy["spec"]["basicAuth"]["users"] == {"name": "users", "namespace": "auth"}
    grant = run.kind("ReferenceGrant")[0]
    assert grant["metadata"]["namespace"] == "auth"
    assert grant["spec"] == {
        "from": [{"group": "gateway.envoyproxy.io", "kind": "SecurityPolicy", "namespace": "web"}],
        "to": [{"group": "", "kind": "Secret", "name": "users"}],
    }


def test_basic_auth_without_a_secret_is_left_for_the_report() -> None:
    ext = BasicAuth("", provenance=prov("plugins"))
    run = emit(make_ir([ext]))
    assert run.eg() == []
    assert not ext.consumed


def test_external_auth_to_a_cluster_service() -> None:
    ext = ExternalAuth(
        "http://auth.web.svc.cluster.local:8080/verify?x=1",
        method="POST",
        response_headers=["X-User", "X-Email"],
        signin_url="https://login.example.com/start",
        provenance=prov("auth-url"),
    )
    run = emit(make_ir([ext]))
    policy = run.one("SecurityPolicy")
    assert spec_without_targets(policy) == {
        "extAuth": {
            "headersToExtAuth": ["cookie"],
            "http": {
                "backendRefs": [{"name": "auth", "port": 8080}],
                "pathOverride": "/verify",
                "headersToBackend": ["x-email", "x-user"],
            },
        }
    }
    assert run.status("auth-url") is Status.PARTIAL
    note = run.report.ledger[(SOURCE, "metadata.annotations[auth-url]")].notes[0]
    assert "POST" in note and "sign-in" in note and "query" in note


def test_external_auth_to_an_external_host_uses_a_backend() -> None:
    ext = ExternalAuth("https://oauth.example.com/oauth2/auth", provenance=prov("auth-url"))
    run = emit(make_ir([ext]))
    backend = run.one("Backend")
    assert backend["metadata"]["name"] == "oauth-example-com-tls"
    assert backend["spec"] == {
        "endpoints": [{"fqdn": {"hostname": "oauth.example.com", "port": 443}}],
        "tls": {"wellKnownCACertificates": "System", "sni": "oauth.example.com"},
    }
    http = run.one("SecurityPolicy")["spec"]["extAuth"]["http"]
    assert http["backendRefs"] == [
        {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "oauth-example-com-tls"}
    ]
    assert ObjectRef("Backend", "web", "oauth-example-com-tls") in run.targets("auth-url")


def test_external_auth_service_in_another_namespace_gets_a_grant() -> None:
    ext = ExternalAuth("http://auth.sso.svc/check", provenance=prov("auth-url"))
    run = emit(make_ir([ext]))
    http = run.one("SecurityPolicy")["spec"]["extAuth"]["http"]
    assert http["backendRefs"] == [{"name": "auth", "namespace": "sso", "port": 80}]
    grant = run.kind("ReferenceGrant")[0]
    assert grant["spec"]["to"] == [{"group": "", "kind": "Service", "name": "auth"}]


def test_jwt_needs_the_jwks_url() -> None:
    with_keys = JWTAuth(
        issuer="https://issuer.example.com",
        jwks_uri="https://issuer.example.com/jwks.json",
        provenance=prov("jwt"),
    )
    run = emit(make_ir([with_keys]))
    assert spec_without_targets(run.one("SecurityPolicy")) == {
        "jwt": {
            "providers": [
                {
                    "name": "jwt",
                    "issuer": "https://issuer.example.com",
                    "remoteJWKS": {"uri": "https://issuer.example.com/jwks.json"},
                }
            ]
        }
    }
    without = JWTAuth(provenance=prov("jwt"))
    assert emit(make_ir([without])).eg() == []
    assert not without.consumed


def test_ip_allow_and_deny_lists() -> None:
    ext = IPAccess(
        allow=["10.0.0.0/8", "192.168.1.7"], deny=["10.1.0.0/16"], provenance=prov("allowlist")
    )
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("SecurityPolicy")) == {
        "authorization": {
            "defaultAction": "Deny",
            "rules": [
                {
                    "name": "deny-listed",
                    "action": "Deny",
                    "principal": {"clientCIDRs": ["10.1.0.0/16"]},
                },
                {
                    "name": "allow-listed",
                    "action": "Allow",
                    "principal": {"clientCIDRs": ["10.0.0.0/8", "192.168.1.7/32"]},
                },
            ],
        }
    }
    assert run.status("allowlist") is Status.CONVERTED


def test_deny_list_alone_allows_the_rest() -> None:
    ext = IPAccess(deny=["2001:db8::/32", "not-an-ip"], provenance=prov("denylist"))
    run = emit(make_ir([ext]))
    authorization = run.one("SecurityPolicy")["spec"]["authorization"]
    assert authorization["defaultAction"] == "Allow"
    assert authorization["rules"][0]["principal"]["clientCIDRs"] == ["2001:db8::/32"]
    assert run.status("denylist") is Status.PARTIAL


def cors_ext() -> Cors:
    return Cors(
        allow_origins=["https://a.example.com", "https://*.b.example.com"],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Token"],
        expose_headers=["X-Trace"],
        allow_credentials=True,
        max_age=600,
        provenance=prov("enable-cors"),
    )


def test_cors_becomes_a_security_policy_when_the_target_lacks_the_filter() -> None:
    cors = cors_ext()
    run = emit(make_ir([], rule_filters=[CorsFilter(cors, provenance=cors.provenance)]), "v1.2")
    assert spec_without_targets(run.one("SecurityPolicy")) == {
        "cors": {
            "allowOrigins": ["https://a.example.com", "https://*.b.example.com"],
            "allowMethods": ["GET", "POST"],
            "allowHeaders": ["X-Token"],
            "exposeHeaders": ["X-Trace"],
            "allowCredentials": True,
            "maxAge": "10m",
        }
    }


def test_cors_uses_the_standard_filter_when_the_target_has_it() -> None:
    cors = cors_ext()
    ir = make_ir([cors], rule_filters=[CorsFilter(cors, provenance=cors.provenance)])
    run = emit(ir, "v1.5")
    assert run.eg() == []
    assert run.route()["spec"]["rules"][0]["filters"][0]["type"] == "CORS"


# --- traffic ------------------------------------------------------------------------------------


def test_rate_limit_per_client_ip_is_local_by_default() -> None:
    ext = RateLimit(10, "Second", burst=50, provenance=prov("limit-rps"))
    run = emit(make_ir([ext]))
    limit = {"requests": 10, "unit": "Second"}
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "rateLimit": {
            "type": "Local",
            "local": {
                "rules": [
                    {
                        "clientSelectors": [
                            {"sourceCIDR": {"type": "Distinct", "value": "0.0.0.0/0"}}
                        ],
                        "limit": limit,
                    },
                    {
                        "clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": "::/0"}}],
                        "limit": limit,
                    },
                ]
            },
        }
    }
    assert run.status("limit-rps") is Status.PARTIAL
    note = run.report.ledger[(SOURCE, "metadata.annotations[limit-rps]")].notes[0]
    assert "burst" in note and "rate-limit-service=true" in note


def test_rate_limit_is_global_when_the_user_has_the_service() -> None:
    ext = RateLimit(100, "Minute", per_client_ip=False, provenance=prov("limit-rpm"))
    run = emit(make_ir([ext]), **{"rate-limit-service": "true"})
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "rateLimit": {
            "type": "Global",
            "global": {"rules": [{"limit": {"requests": 100, "unit": "Minute"}}]},
        }
    }
    assert run.status("limit-rpm") is Status.CONVERTED


def test_two_rate_limits_on_one_rule_add_rules() -> None:
    per_second = RateLimit(5, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    per_minute = RateLimit(100, "Minute", per_client_ip=False, provenance=prov("limit-rpm"))
    run = emit(make_ir([per_second, per_minute]))
    rules = run.one("BackendTrafficPolicy")["spec"]["rateLimit"]["local"]["rules"]
    assert [r["limit"]["unit"] for r in rules] == ["Second", "Minute"]


def test_body_size_becomes_request_buffer() -> None:
    run = emit(make_ir([BodySize(8 << 20, provenance=prov("proxy-body-size"))]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "requestBuffer": {"limit": "8Mi"}
    }
    assert run.status("proxy-body-size") is Status.PARTIAL


def test_unlimited_body_size_and_buffering_off_are_envoy_defaults() -> None:
    size = BodySize(None, provenance=prov("proxy-body-size"))
    off = Buffering(request=False, response=False, provenance=prov("proxy-buffering"))
    run = emit(make_ir([size, off]))
    assert run.eg() == []
    assert size.consumed and off.consumed
    assert run.status("proxy-buffering") is Status.CONVERTED
    assert run.targets("proxy-buffering") == {ObjectRef("HTTPRoute", "web", "app")}


def test_buffering_on_is_left_for_the_report() -> None:
    on = Buffering(response=True, provenance=prov("proxy-buffering"))
    emit(make_ir([on]))
    assert not on.consumed


def test_session_affinity_is_a_cookie_hash() -> None:
    ext = SessionAffinity("route", ttl_seconds=172800, path="/cart", provenance=prov("affinity"))
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "loadBalancer": {
            "type": "ConsistentHash",
            "consistentHash": {
                "type": "Cookie",
                "cookie": {"name": "route", "ttl": "48h", "attributes": {"Path": "/cart"}},
            },
        }
    }


def test_session_cookie_without_ttl_is_a_session_cookie() -> None:
    run = emit(make_ir([SessionAffinity("sid", provenance=prov("affinity"))]))
    cookie = run.one("BackendTrafficPolicy")["spec"]["loadBalancer"]["consistentHash"]["cookie"]
    assert cookie == {"name": "sid", "ttl": "0s"}


def test_session_affinity_wins_over_a_load_balancing_algorithm() -> None:
    lb = LoadBalancer("LeastRequest", provenance=prov("load-balance"))
    sticky = SessionAffinity("sid", provenance=prov("affinity"))
    run = emit(make_ir([lb, sticky]))
    assert run.one("BackendTrafficPolicy")["spec"]["loadBalancer"]["type"] == "ConsistentHash"
    assert sticky.consumed and not lb.consumed
    assert "eg-policy-conflict" in run.codes()


@pytest.mark.parametrize(
    ("algorithm", "hash_on", "expected"),
    [
        ("RoundRobin", None, {"type": "RoundRobin"}),
        ("LeastRequest", None, {"type": "LeastRequest"}),
        ("Random", None, {"type": "Random"}),
        (
            "ConsistentHash",
            "source-ip",
            {"type": "ConsistentHash", "consistentHash": {"type": "SourceIP"}},
        ),
        (
            "ConsistentHash",
            "header:x-user",
            {
                "type": "ConsistentHash",
                "consistentHash": {"type": "Header", "header": {"name": "x-user"}},
            },
        ),
        (
            "ConsistentHash",
            "cookie:sid",
            {
                "type": "ConsistentHash",
                "consistentHash": {"type": "Cookie", "cookie": {"name": "sid"}},
            },
        ),
        (
            "ConsistentHash",
            "query:user",
            {
                "type": "ConsistentHash",
                "consistentHash": {"type": "QueryParams", "queryParams": [{"name": "user"}]},
            },
        ),
    ],
)
def test_load_balancer(algorithm: Any, hash_on: str | None, expected: JSONDict) -> None:
    run = emit(make_ir([LoadBalancer(algorithm, hash_on, provenance=prov("load-balance"))]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {"loadBalancer": expected}


def test_hashing_on_the_uri_is_left_for_the_report() -> None:
    ext = LoadBalancer("ConsistentHash", "uri", provenance=prov("upstream-hash-by"))
    assert emit(make_ir([ext])).eg() == []
    assert not ext.consumed


def test_retry() -> None:
    ext = Retry(2, codes=[503, 502], per_try_timeout="10s", provenance=prov("proxy-next-upstream"))
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "retry": {
            "numRetries": 2,
            "retryOn": {
                "triggers": ["connect-failure", "reset", "retriable-status-codes"],
                "httpStatusCodes": [502, 503],
            },
            "perRetry": {"timeout": "10s"},
        }
    }


def test_timeouts() -> None:
    ext = Timeouts(connect="5s", read="120s", send="60000ms", provenance=prov("proxy-read-timeout"))
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "timeout": {"tcp": {"connectTimeout": "5s"}, "http": {"streamIdleTimeout": "2m"}}
    }
    assert run.status("proxy-read-timeout") is Status.PARTIAL


def test_custom_errors_become_a_response_override() -> None:
    ext = CustomErrors([503, 404], backend="errors", provenance=prov("custom-http-errors"))
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "responseOverride": [
            {
                "match": {
                    "statusCodes": [
                        {"type": "Value", "value": 404},
                        {"type": "Value", "value": 503},
                    ]
                },
                "response": {
                    "contentType": "text/plain",
                    "body": {"type": "Inline", "inline": "%RESPONSE_CODE% error"},
                },
            }
        ]
    }
    assert run.status("custom-http-errors") is Status.PARTIAL
    assert (
        "errors" in run.report.ledger[(SOURCE, "metadata.annotations[custom-http-errors]")].notes[0]
    )


# --- filters ------------------------------------------------------------------------------------


def test_regex_rewrite_is_an_http_route_filter_referenced_by_the_rule() -> None:
    ext = RegexRewrite("^/api/v(\\d+)/(.*)$", "/v\\1/\\2", provenance=prov("rewrite-target"))
    run = emit(make_ir([ext]))
    flt = run.one("HTTPRouteFilter")
    assert flt["metadata"]["name"] == "app-rule-0-rewrite"
    assert flt["spec"] == {
        "urlRewrite": {
            "path": {
                "type": "ReplaceRegexMatch",
                "replaceRegexMatch": {
                    "pattern": "^/api/v(\\d+)/(.*)$",
                    "substitution": "/v\\1/\\2",
                },
            }
        }
    }
    assert run.route()["spec"]["rules"][0]["filters"] == [
        {
            "type": "ExtensionRef",
            "extensionRef": {
                "group": "gateway.envoyproxy.io",
                "kind": "HTTPRouteFilter",
                "name": "app-rule-0-rewrite",
            },
        }
    ]
    assert run.targets("rewrite-target") == {
        ObjectRef("HTTPRouteFilter", "web", "app-rule-0-rewrite"),
        ObjectRef("HTTPRoute", "web", "app"),
    }


def test_two_different_regex_rewrites_on_one_rule() -> None:
    first = RegexRewrite("^/a(.*)", "/\\1", provenance=prov("rewrite-target"))
    second = RegexRewrite("^/b(.*)", "/\\1", provenance=prov("other"))
    run = emit(make_ir([first, second]))
    assert len(run.eg("HTTPRouteFilter")) == 1
    assert first.consumed and not second.consumed


# --- client -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verify", "mode"),
    [("on", "RequireAndVerify"), ("optional", "VerifyIfGiven"), ("optional_no_ca", "Request")],
)
def test_client_certificates_on_the_https_listener(verify: str, mode: str) -> None:
    ext = ClientCertAuth("client-ca", verify=verify, provenance=prov("auth-tls-secret"))
    run = emit(make_ir([ext]))
    policy = run.one("ClientTrafficPolicy")
    assert policy["metadata"] == {
        "name": "gw-https",
        "namespace": "web",
        "annotations": policy["metadata"]["annotations"],
    }
    assert policy["spec"] == {
        "targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw", "sectionName": "https"}],
        "tls": {
            "clientValidation": {
                "caCertificateRefs": [{"group": "", "kind": "Secret", "name": "client-ca"}],
                "mode": mode,
            }
        },
    }
    assert ext.consumed


def test_client_certificates_set_on_the_gateway() -> None:
    ext = ClientCertAuth("ca", "certs", provenance=prov("tls.mode"))
    run = emit(make_ir([], gateway_exts=[ext]))
    validation = run.one("ClientTrafficPolicy")["spec"]["tls"]["clientValidation"]
    assert validation["caCertificateRefs"] == [
        {"group": "", "kind": "Secret", "name": "ca", "namespace": "certs"}
    ]
    grant = run.kind("ReferenceGrant")[0]
    assert grant["spec"]["from"][0]["kind"] == "ClientTrafficPolicy"


def test_two_client_cas_on_one_listener() -> None:
    first = ClientCertAuth("ca-1", provenance=prov("auth-tls-secret"))
    second = ClientCertAuth("ca-2", provenance=prov("other"))
    run = emit(make_ir([first], [second]))
    assert len(run.eg("ClientTrafficPolicy")) == 1
    assert first.consumed and not second.consumed
    assert "eg-policy-conflict" in run.codes()


# --- targeting ----------------------------------------------------------------------------------


def test_rules_that_differ_get_policies_by_rule_name() -> None:
    limit = RateLimit(1, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    run = emit(make_ir([limit], []))
    policy = run.one("BackendTrafficPolicy")
    assert policy["metadata"]["name"] == "app-rule-0"
    assert policy["spec"]["targetRefs"] == route_target("rule-0")
    rules = run.route()["spec"]["rules"]
    assert rules[0]["name"] == "rule-0"
    assert "name" not in rules[1]


def test_a_rule_keeps_its_own_name() -> None:
    limit = RateLimit(1, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    ir = make_ir([limit], [])
    ir.http_routes().__next__().rules[0].name = "api"
    run = emit(ir)
    assert run.one("BackendTrafficPolicy")["spec"]["targetRefs"] == route_target("api")


def test_rules_that_agree_share_one_route_policy() -> None:
    limit = RateLimit(1, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    run = emit(make_ir([limit], [limit]))
    assert run.one("BackendTrafficPolicy")["spec"]["targetRefs"] == route_target()
    assert all("name" not in rule for rule in run.route()["spec"]["rules"])


def test_route_and_rule_extensions_merge() -> None:
    auth = BasicAuth("users", provenance=prov("auth-secret"))
    allow = IPAccess(allow=["10.0.0.0/8"], provenance=prov("allowlist"))
    run = emit(make_ir([allow], [], route_exts=[auth]))
    policies = run.eg("SecurityPolicy")
    assert [p["metadata"]["name"] for p in policies] == ["app-rule-0", "app-rule-1"]
    assert set(policies[0]["spec"]) == {"targetRefs", "basicAuth", "authorization"}
    assert set(policies[1]["spec"]) == {"targetRefs", "basicAuth"}


def test_without_rule_names_one_route_policy_when_the_others_have_none() -> None:
    limit = RateLimit(1, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    run = emit(make_ir([limit], []), "v1.2")
    assert run.one("BackendTrafficPolicy")["spec"]["targetRefs"] == route_target()
    assert run.status("limit-rps") is Status.PARTIAL
    assert "rule-1" in run.report.ledger[(SOURCE, "metadata.annotations[limit-rps]")].notes[-1]


def test_without_rule_names_different_policies_cannot_attach() -> None:
    one = RateLimit(1, "Second", per_client_ip=False, provenance=prov("limit-rps"))
    two = RateLimit(2, "Second", per_client_ip=False, provenance=prov("other"))
    run = emit(make_ir([one], [two]), "v1.2")
    assert run.eg() == []
    assert not one.consumed and not two.consumed
    assert "eg-policy-conflict" in run.codes()


def test_gateway_wide_extension_and_route_policy_merge() -> None:
    allow = IPAccess(allow=["10.0.0.0/8"], provenance=prov("allowlist"))
    auth = BasicAuth("users", provenance=prov("auth-secret"))
    run = emit(make_ir([auth], gateway_exts=[allow]))
    gateway_policy, route_policy = run.eg("SecurityPolicy")
    assert gateway_policy["spec"]["targetRefs"] == [{"group": GW, "kind": "Gateway", "name": "gw"}]
    assert route_policy["spec"]["mergeType"] == "StrategicMerge"


def test_security_policy_on_a_tcp_route() -> None:
    allow = IPAccess(allow=["10.0.0.0/8"], provenance=prov("allowlist"))
    route = TCPRoute("db", "web", parent_refs=[ParentRef("gw")], extensions=[allow])
    route.backend_refs.append(BackendRef("db", port=5432))
    gateway = Gateway("gw", "web", "eg", listeners=[Listener("tcp", 5432, "TCP")])
    run = emit(IR(gateways=[gateway], routes=[route]), "v1.4", "experimental")
    assert run.one("SecurityPolicy")["spec"]["targetRefs"] == [
        {"group": GW, "kind": "TCPRoute", "name": "db"}
    ]


def test_output_is_deterministic() -> None:
    def build() -> IR:
        return make_ir(
            [
                BasicAuth("users", provenance=prov("auth-secret")),
                RateLimit(1, "Second", provenance=prov("limit-rps")),
            ],
            [RegexRewrite("^/x(.*)", "/\\1", provenance=prov("rewrite-target"))],
        )

    first = [e.body for e in emit(build()).emitted]
    second = [e.body for e in emit(build()).emitted]
    assert first == second


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5s", "5s"), ("60000ms", "1m"), ("1.5s", "1s500ms"), ("100000s", "27h46m40s"), ("x", None)],
)
def test_durations(text: str, expected: str | None) -> None:
    assert eg_duration(text) == expected


def test_quantities() -> None:
    assert [quantity(n) for n in (1 << 20, 1536, 1000, 3 << 30)] == ["1Mi", "1536", "1000", "3Gi"]
    assert quantity(2048) == "2Ki"


def test_merge_concatenates_rules_and_refuses_conflicts() -> None:
    assert merged({"a": {"rules": [1]}}, {"a": {"rules": [2]}}) == {"a": {"rules": [1, 2]}}
    with pytest.raises(MergeConflict):
        merged({"loadBalancer": {"type": "Random"}}, {"loadBalancer": {"type": "RoundRobin"}})


def test_external_auth_to_an_ip_address_uses_an_ip_endpoint() -> None:
    run = emit(make_ir([ExternalAuth("https://10.0.0.6/x", provenance=prov("auth-url"))]))
    assert run.one("Backend")["spec"] == {
        "endpoints": [{"ip": {"address": "10.0.0.6", "port": 443}}],
        "tls": {"wellKnownCACertificates": "System"},
    }


# --- API keys, OIDC -------------------------------------------------------------------------------


def test_api_keys_need_credential_secrets() -> None:
    ext = APIKeyAuth(
        key_names=["x-api-key"],
        in_query=True,
        credential_secrets=[SecretRef("keys"), SecretRef("more-keys", "auth")],
        provenance=prov("key-auth"),
    )
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("SecurityPolicy")) == {
        "apiKeyAuth": {
            "credentialRefs": [
                {"group": "", "kind": "Secret", "name": "keys"},
                {"group": "", "kind": "Secret", "name": "more-keys", "namespace": "auth"},
            ],
            "extractFrom": [{"headers": ["x-api-key"]}, {"params": ["x-api-key"]}],
        }
    }
    assert ext.consumed and run.status("key-auth") is Status.PARTIAL
    assert run.kind("ReferenceGrant")[0]["metadata"]["namespace"] == "auth"
    kept_in_consumers = APIKeyAuth(key_names=["apikey"], provenance=prov("key-auth"))
    assert emit(make_ir([kept_in_consumers])).eg() == []
    assert not kept_in_consumers.consumed


def test_oidc_needs_issuer_client_id_and_secret() -> None:
    ext = OIDCAuth(
        issuer="https://id.example.com",
        client_id="app",
        client_secret=SecretRef("app-oidc"),
        scopes=["openid", "email"],
        redirect_url="https://app.example.com/callback",
        provenance=prov("oidc"),
    )
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("SecurityPolicy")) == {
        "oidc": {
            "provider": {"issuer": "https://id.example.com"},
            "clientID": "app",
            "clientSecret": {"group": "", "kind": "Secret", "name": "app-oidc"},
            "scopes": ["openid", "email"],
            "redirectURL": "https://app.example.com/callback",
        }
    }
    assert ext.consumed
    inline_secret = OIDCAuth(issuer="https://id.example.com", client_id="app")
    assert emit(make_ir([inline_secret])).eg() == []
    assert not inline_secret.consumed


# --- client settings, backend connection limits --------------------------------------------------


def test_client_timeouts_target_the_gateway() -> None:
    ext = ClientTimeouts(
        request_headers="30s", idle="75s", body_idle="20s", provenance=prov("keep-alive")
    )
    run = emit(make_ir([], gateway_exts=[ext]))
    policy = run.one("ClientTrafficPolicy")
    assert policy["spec"] == {
        "targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw"}],
        "timeout": {"http": {"requestHeadersReceivedTimeout": "30s", "idleTimeout": "1m15s"}},
    }
    assert run.status("keep-alive") is Status.PARTIAL  # the body timeout is not carried


def test_zero_client_timeouts_are_not_carried() -> None:
    ext = ClientTimeouts(idle="0s", provenance=prov("keep-alive"))
    assert emit(make_ir([], gateway_exts=[ext])).eg() == []
    assert not ext.consumed


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        (
            ClientIPDetection(header="X-Forwarded-For", trusted_cidrs=["10.0.0.0/8"]),
            {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["10.0.0.0/8"]}}},
        ),
        (
            ClientIPDetection(header="X-Forwarded-For"),
            {"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}},
        ),
        (
            ClientIPDetection(header="X-Real-IP"),
            {"clientIPDetection": {"customHeader": {"name": "X-Real-IP"}}},
        ),
        (ClientIPDetection(proxy_protocol=True), {"proxyProtocol": {}}),
    ],
)
def test_client_ip_detection(ext: ClientIPDetection, expected: JSONDict) -> None:
    run = emit(make_ir([], gateway_exts=[ext]))
    assert spec_without_targets(run.one("ClientTrafficPolicy")) == expected
    assert ext.consumed


def test_listener_policy_repeats_gateway_wide_client_settings() -> None:
    timeouts = ClientTimeouts(request_headers="10s", provenance=prov("client-header-timeout"))
    cert = ClientCertAuth("client-ca", provenance=prov("auth-tls-secret"))
    run = emit(make_ir([cert], gateway_exts=[timeouts]))
    policies = {p["metadata"]["name"]: p["spec"] for p in run.eg("ClientTrafficPolicy")}
    assert set(policies) == {"gw", "gw-https"}
    assert policies["gw-https"]["timeout"] == policies["gw"]["timeout"]
    assert "clientValidation" in policies["gw-https"]["tls"]
    assert {r.name for r in run.targets("client-header-timeout")} == {"gw", "gw-https"}


def test_backend_connection_limits_become_circuit_breaker_and_timeouts() -> None:
    ext = BackendConnectionLimits(
        max_connections=100,
        max_pending_requests=10,
        max_parallel_requests=50,
        max_requests_per_connection=5,
        max_parallel_retries=3,
        connect_timeout="2s",
        idle_timeout="1m",
        not_carried=["http.h2UpgradePolicy"],
        provenance=prov("connectionPool"),
    )
    run = emit(make_ir([ext]))
    assert spec_without_targets(run.one("BackendTrafficPolicy")) == {
        "circuitBreaker": {
            "maxConnections": 100,
            "maxPendingRequests": 10,
            "maxParallelRequests": 50,
            "maxRequestsPerConnection": 5,
            "maxParallelRetries": 3,
        },
        "timeout": {"tcp": {"connectTimeout": "2s"}, "http": {"connectionIdleTimeout": "1m"}},
    }
    assert run.status("connectionPool") is Status.PARTIAL
    notes = run.report.ledger[(SOURCE, "metadata.annotations[connectionPool]")].notes
    assert any("h2UpgradePolicy" in note for note in notes)


def test_backend_connection_limits_without_settings_are_left_for_the_report() -> None:
    ext = BackendConnectionLimits(not_carried=["tcp.tcpKeepalive"], provenance=prov("pool"))
    assert emit(make_ir([ext])).eg() == []
    assert not ext.consumed


# --- backend TLS options ------------------------------------------------------------------------


def test_backend_tls_without_verification_replaces_the_service_by_a_backend() -> None:
    ext = BackendTLSOptions(
        "svc",
        insecure_skip_verify=True,
        client_certificate=SecretRef("client", "certs"),
        sni="svc.internal",
        provenance=prov("proxy-ssl-verify"),
    )
    run = emit(make_ir([ext]))
    backend = run.one("Backend")
    assert backend["metadata"]["name"] == "svc-80-tls"
    assert backend["spec"] == {
        "endpoints": [{"fqdn": {"hostname": "svc.web.svc.cluster.local", "port": 80}}],
        "tls": {
            "insecureSkipVerify": True,
            "sni": "svc.internal",
            "clientCertificateRef": {
                "group": "",
                "kind": "Secret",
                "name": "client",
                "namespace": "certs",
            },
        },
    }
    assert run.route()["spec"]["rules"][0]["backendRefs"] == [
        {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "svc-80-tls"}
    ]
    grant = run.kind("ReferenceGrant")[0]
    assert grant["metadata"]["namespace"] == "certs"
    assert grant["spec"]["from"][0]["kind"] == "Backend"
    assert ext.consumed and run.status("proxy-ssl-verify") is Status.PARTIAL


def test_backend_tls_that_verifies_carries_the_ca() -> None:
    ext = BackendTLSOptions(
        "svc",
        client_certificate=SecretRef("client"),
        ca_config_maps=["ca"],
        sni="svc.internal",
        provenance=prov("proxy-ssl-secret"),
    )
    tls = emit(make_ir([ext])).one("Backend")["spec"]["tls"]
    assert tls["caCertificateRefs"] == [{"group": "", "kind": "ConfigMap", "name": "ca"}]
    assert "insecureSkipVerify" not in tls
    system = BackendTLSOptions("svc", client_certificate=SecretRef("client"))
    assert emit(make_ir([system])).one("Backend")["spec"]["tls"]["wellKnownCACertificates"] == (
        "System"
    )


def test_backend_tls_for_another_service_leaves_the_rule_alone() -> None:
    ext = BackendTLSOptions("other", insecure_skip_verify=True, provenance=prov("x"))
    run = emit(make_ir([ext]))
    assert run.eg("Backend") == []
    assert run.route()["spec"]["rules"][0]["backendRefs"][0]["name"] == "svc"
    assert not ext.consumed


def test_rules_to_one_service_share_one_backend() -> None:
    ext = BackendTLSOptions("svc", insecure_skip_verify=True, provenance=prov("x"))
    run = emit(make_ir([ext], [ext]))
    assert len(run.eg("Backend")) == 1
    names = {r["backendRefs"][0]["name"] for r in run.route()["spec"]["rules"]}
    assert names == {"svc-80-tls"}


def test_client_tls_settings() -> None:
    ext = ClientTLSSettings(
        min_version="1.2",
        max_version="1.3",
        ciphers=["ECDHE-RSA-AES128-GCM-SHA256", "!aNULL"],
        http2=False,
        provenance=prov("ssl-ciphers"),
    )
    run = emit(make_ir([], gateway_exts=[ext]))
    assert spec_without_targets(run.one("ClientTrafficPolicy")) == {
        "tls": {
            "minVersion": "1.2",
            "maxVersion": "1.3",
            "ciphers": ["ECDHE-RSA-AES128-GCM-SHA256"],
            "alpnProtocols": ["http/1.1"],
        }
    }
    assert run.status("ssl-ciphers") is Status.PARTIAL  # the !aNULL rule is left out
    tls13 = ClientTLSSettings(min_version="1.3", ciphers=["ECDHE-RSA-AES128-GCM-SHA256"])
    assert spec_without_targets(
        emit(make_ir([], gateway_exts=[tls13])).one("ClientTrafficPolicy")
    ) == {"tls": {"minVersion": "1.3"}}
    backwards = ClientTLSSettings(min_version="1.3", max_version="1.2")
    assert emit(make_ir([], gateway_exts=[backwards])).eg() == []
