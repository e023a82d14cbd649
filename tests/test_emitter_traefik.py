"""The traefik emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and Traefik 3.7 CRDs (schema + CEL).
"""

from __future__ import annotations

import ipaddress

import pytest

from ingress2gateway.emitters.traefik import EMITTER
from ingress2gateway.ir import (
    IR,
    BackendRef,
    BasicAuth,
    BodySize,
    Buffering,
    ClientCertAuth,
    Cors,
    CorsFilter,
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
    ParentRef,
    PathMatch,
    Provenance,
    RateLimit,
    RegexRewrite,
    Retry,
    Rule,
    SessionAffinity,
    SignInRedirect,
    TCPRoute,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Need, Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
TRAEFIK = "traefik.io/v1alpha1"


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
) -> IR:
    """One Gateway (HTTP listener), one HTTPRoute, one rule per argument."""
    gateway = Gateway(
        "gw",
        "web",
        "traefik",
        listeners=[Listener("http", 80, "HTTP", hostname="app.example.com")],
        extensions=list(gateway_exts or []),
        provenance=prov("gw"),
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
                extensions=list(exts),
                sources=[SOURCE],
            )
            for index, exts in enumerate(rules or ([],))
        ],
        provenance=prov("route"),
    )
    return IR(gateways=[gateway], routes=[route])


class Run:
    def __init__(self, emitted: list[Emitted], report: Recorder) -> None:
        self.emitted = emitted
        self.report = report

    def middlewares(self) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["apiVersion"] == TRAEFIK]

    def one(self) -> JSONDict:
        found = self.middlewares()
        assert len(found) == 1, found
        spec: JSONDict = found[0]["spec"]
        return spec

    def route(self) -> JSONDict:
        return next(e.body for e in self.emitted if e.body["kind"] == "HTTPRoute")

    def refs(self, rule: int = 0) -> list[str]:
        filters = self.route()["spec"]["rules"][rule].get("filters", [])
        return [f["extensionRef"]["name"] for f in filters if f["type"] == "ExtensionRef"]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def status(self, field: str) -> Status:
        return self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].status

    def needs(self) -> list[tuple[Need, str]]:
        return list(self.report._needs)


def emit(ir: IR, version: str | None = None, channel: str = "standard") -> Run:
    target = Target.parse(version, channel)
    report = Recorder()
    emitted = EMITTER.emit(ir, EmitContext(report=report, target=target, options={}))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
    return Run(emitted, report)


# --- registration and prerequisites -------------------------------------------------------------


def test_registered_under_its_name_with_the_traefik_class() -> None:
    emitter = load_emitter("traefik")
    assert emitter.name == "traefik"
    assert EMITTER.gateway_class == "traefik"


def test_standard_objects_only_without_extensions() -> None:
    run = emit(make_ir([]))
    assert [e.body["kind"] for e in run.emitted] == ["Gateway", "HTTPRoute"]
    assert (Need.IMPLEMENTATION_FEATURE, "Traefik kubernetesCRD provider") not in run.needs()


def test_prerequisites_are_reported_once() -> None:
    auth = BasicAuth("users", provenance=prov("auth"))
    limit = RateLimit(10, "Second", provenance=prov("rps"))
    run = emit(make_ir([auth], [limit]))
    needs = run.needs()
    assert needs.count((Need.GATEWAY_CLASS, "GatewayClass traefik")) == 1
    assert (Need.IMPLEMENTATION_FEATURE, "Traefik kubernetesGateway provider") in needs
    assert (Need.IMPLEMENTATION_FEATURE, "Traefik kubernetesCRD provider") in needs
    action = run.report._needs[(Need.GATEWAY_CLASS, "GatewayClass traefik")][0]
    assert "traefik.io/gateway-controller" in action


def test_tcp_routes_need_the_experimental_channel() -> None:
    ir = make_ir([])
    ir.gateways[0].listeners.append(Listener("tcp", 5432, "TCP"))
    ir.routes.append(
        TCPRoute(
            "db",
            "web",
            parent_refs=[ParentRef("gw", section_name="tcp")],
            backend_refs=[BackendRef("db", port=5432)],
            provenance=prov("tcp"),
        )
    )
    run = emit(ir, "v1.4", "experimental")
    assert (
        Need.IMPLEMENTATION_FEATURE,
        "Traefik kubernetesGateway experimentalChannel",
    ) in run.needs()


# --- security -----------------------------------------------------------------------------------


def test_basic_auth_is_a_middleware_with_the_users_key_warning() -> None:
    run = emit(make_ir([BasicAuth("users", realm="Admins", provenance=prov("auth"))]))
    assert run.one() == {"basicAuth": {"secret": "users", "realm": "Admins"}}
    assert run.refs() == ["app-basic-auth"]
    assert "traefik-basic-auth-secret-key" in run.codes()
    assert (Need.SECRET, "Secret web/users") in run.needs()
    assert run.status("auth") is Status.PARTIAL


def test_basic_auth_with_a_secret_in_another_namespace_stays_closed() -> None:
    auth = BasicAuth("users", secret_namespace="auth", provenance=prov("auth"))
    run = emit(make_ir([auth]))
    assert run.middlewares() == []
    assert not auth.consumed


def test_external_auth_is_forward_auth_with_its_sign_in_page() -> None:
    auth = ExternalAuth(
        "https://auth.example.com/check",
        response_headers=["X-User", "bad header"],
        provenance=prov("auth-url"),
    )
    signin = SignInRedirect("https://auth.example.com/start", provenance=prov("auth-signin"))
    run = emit(make_ir([auth, signin]))
    assert run.one() == {
        "forwardAuth": {
            "address": "https://auth.example.com/check",
            "authResponseHeaders": ["X-User"],
            "authSigninURL": "https://auth.example.com/start",
        }
    }
    assert auth.consumed and signin.consumed


@pytest.mark.parametrize(
    "url", ["grpc://auth:9000", "http://$host/auth", "https://auth .example.com/x", ""]
)
def test_external_auth_that_is_not_a_plain_http_url_stays_closed(url: str) -> None:
    auth = ExternalAuth(url, provenance=prov("auth-url"))
    assert not EMITTER.carries(auth, Target.parse(None, "standard"))
    run = emit(make_ir([auth]))
    assert run.middlewares() == [] and not auth.consumed


def test_a_sign_in_redirect_without_external_auth_is_left() -> None:
    signin = SignInRedirect("https://auth.example.com/start", provenance=prov("auth-signin"))
    run = emit(make_ir([signin]))
    assert run.middlewares() == [] and not signin.consumed


def test_ip_allow_list_becomes_source_range() -> None:
    ext = IPAccess(allow=["10.0.0.0/8", "192.168.1.7"], provenance=prov("allow"))
    assert EMITTER.carries(ext, Target.parse(None, "standard"))
    run = emit(make_ir([ext]))
    assert run.one() == {"ipAllowList": {"sourceRange": ["10.0.0.0/8", "192.168.1.7/32"]}}


@pytest.mark.parametrize(
    "ext",
    [
        IPAccess(allow=["10.0.0.0/8"], deny=["10.0.0.0/7"]),
        IPAccess(allow=["10.0.0.0/8", "not-an-ip"]),
        IPAccess(deny=[f"10.{i}.{j}.1" for i in range(3) for j in range(100)]),
        ClientCertAuth("ca"),
        JWTAuth(issuer="https://issuer", jwks_uri="https://issuer/jwks"),
    ],
)
def test_controls_traefik_cannot_express_stay_closed(ext: Extension) -> None:
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))
    run = emit(make_ir([ext]))
    assert run.middlewares() == [] and not ext.consumed


def test_security_middlewares_come_before_the_others() -> None:
    exts: list[Extension] = [
        RateLimit(10, "Second", provenance=prov("rps")),
        BasicAuth("users", provenance=prov("auth")),
        IPAccess(allow=["10.0.0.0/8"], provenance=prov("allow")),
    ]
    run = emit(make_ir(exts))
    assert run.refs() == ["app-ip-allow-list", "app-basic-auth", "app-rate-limit"]


# --- CORS ---------------------------------------------------------------------------------------


def test_cors_becomes_a_headers_middleware() -> None:
    cors = Cors(
        allow_origins=["https://a.example.com", "javascript:x"],
        allow_methods=["get", "POST"],
        allow_credentials=True,
        max_age=600,
        provenance=prov("cors"),
    )
    run = emit(make_ir([cors]), "v1.4")
    assert run.one() == {
        "headers": {
            "accessControlAllowOriginList": ["https://a.example.com"],
            "accessControlAllowMethods": ["GET", "POST"],
            "accessControlAllowCredentials": True,
            "accessControlMaxAge": 600,
            "addVaryHeader": True,
        }
    }
    assert run.status("cors") is Status.PARTIAL


def test_the_standard_cors_filter_is_replaced() -> None:
    ir = make_ir([])
    cors = Cors(allow_origins=["*"], provenance=prov("cors"))
    rule = ir.routes[0].rules[0]  # type: ignore[attr-defined]
    rule.filters.append(CorsFilter(cors, provenance=prov("cors")))
    run = emit(ir, "v1.5")
    filters = run.route()["spec"]["rules"][0]["filters"]
    assert [f["type"] for f in filters] == ["ExtensionRef"]
    assert run.one()["headers"]["accessControlAllowOriginList"] == ["*"]


# --- traffic ------------------------------------------------------------------------------------


def test_rate_limit_per_client_and_shared() -> None:
    per_client = RateLimit(10, "Second", burst=50, provenance=prov("rps"))
    shared = RateLimit(600, "Minute", per_client_ip=False, provenance=prov("rpm"))
    run = emit(make_ir([per_client], [shared]))
    specs = sorted((m["spec"]["rateLimit"] for m in run.middlewares()), key=str)
    assert {
        "average": 10,
        "period": "1s",
        "burst": 50,
        "sourceCriterion": {"ipStrategy": {"depth": 0}},
    } in specs
    assert {"average": 600, "period": "1m", "sourceCriterion": {"requestHost": True}} in specs


def test_body_size_is_a_buffering_limit_where_the_source_buffered() -> None:
    run = emit(make_ir([BodySize(1 << 20, provenance=prov("body"))]))
    assert run.one() == {"buffering": {"maxRequestBodyBytes": 1 << 20}}


def test_body_size_of_streamed_requests_is_not_enforced() -> None:
    ext = BodySize(1 << 20, stream_reason="nginx streamed them", provenance=prov("body"))
    run = emit(make_ir([ext]))
    assert run.middlewares() == []
    assert "traefik-body-limit-not-enforced" in run.codes()
    assert run.status("body") is Status.UNSUPPORTED


def test_buffering_off_is_the_default_and_on_is_left() -> None:
    off = Buffering(request=False, response=False, provenance=prov("off"))
    on = Buffering(request=True, provenance=prov("on"))
    emit(make_ir([off], [on]))
    assert off.consumed and not on.consumed


def test_retry_with_status_codes() -> None:
    ext = Retry(3, codes=[502, 503], per_try_timeout="2s", provenance=prov("retry"))
    run = emit(make_ir([ext]))
    assert run.one() == {"retry": {"attempts": 3, "status": ["502", "503"]}}
    assert run.status("retry") is Status.PARTIAL


def test_regex_rewrite_uses_go_expansion() -> None:
    ext = RegexRewrite("^/api/(.*)", r"/v1/\1$", provenance=prov("rewrite"))
    run = emit(make_ir([ext]))
    assert run.one() == {"replacePathRegex": {"regex": "^/api/(.*)", "replacement": "/v1/${1}$$"}}


def test_a_regex_go_cannot_compile_is_left() -> None:
    ext = RegexRewrite("^/(?=api)", "/", provenance=prov("rewrite"))
    run = emit(make_ir([ext]))
    assert run.middlewares() == [] and not ext.consumed


# --- attachment ---------------------------------------------------------------------------------


def test_route_extensions_reach_every_rule_and_equal_middlewares_are_shared() -> None:
    auth = BasicAuth("users", provenance=prov("auth"))
    run = emit(make_ir([], [], route_exts=[auth]))
    assert len(run.middlewares()) == 1
    assert run.refs(0) == run.refs(1) == ["app-basic-auth"]


def test_two_values_of_one_type_on_a_rule_are_reported() -> None:
    first = Retry(2, provenance=prov("retry"))
    second = Retry(5, provenance=prov("retries"))
    run = emit(make_ir([first, second]))
    assert run.one() == {"retry": {"attempts": 2}}
    assert "traefik-middleware-conflict" in run.codes()
    assert first.consumed and not second.consumed


def test_gateway_wide_extensions_are_left_to_the_pipeline() -> None:
    ext = RateLimit(10, "Second", provenance=prov("rps"))
    run = emit(make_ir([], gateway_exts=[ext]))
    assert run.middlewares() == [] and not ext.consumed


def test_grpc_route_extensions_are_left_to_the_pipeline() -> None:
    ir = make_ir([])
    ext = RateLimit(10, "Second", provenance=prov("rps"))
    ir.routes.append(
        GRPCRoute(
            "rpc",
            "web",
            parent_refs=[ParentRef("gw")],
            rules=[Rule(backend_refs=[BackendRef("rpc", port=9000)], extensions=[ext])],
        )
    )
    run = emit(ir)
    assert run.middlewares() == [] and not ext.consumed


def test_route_timeouts_get_a_warning() -> None:
    ir = make_ir([])
    ir.routes[0].rules[0].request_timeout = "10s"  # type: ignore[attr-defined]
    run = emit(ir)
    assert "traefik-route-field-ignored" in run.codes()


def test_output_is_deterministic() -> None:
    def build() -> IR:
        return make_ir(
            [
                BasicAuth("users", provenance=prov("auth")),
                RateLimit(5, "Second", provenance=prov("rps")),
            ],
            [Retry(2, provenance=prov("retry"))],
        )

    first = [e.body for e in emit(build()).emitted]
    second = [e.body for e in emit(build()).emitted]
    assert first == second


def test_two_allow_lists_on_a_rule_are_chained_so_both_apply() -> None:
    first = IPAccess(allow=["10.0.0.0/8"], provenance=prov("allow"))
    second = IPAccess(allow=["10.1.0.0/16"], provenance=prov("allow-old"))
    run = emit(make_ir([first, second]))
    assert len(run.middlewares()) == 2
    assert len(run.refs()) == 2
    assert first.consumed and second.consumed


def test_session_affinity_becomes_a_sticky_traefik_service() -> None:
    ext = SessionAffinity(
        cookie_name="route",
        ttl_seconds=60,
        same_site="Lax",
        secure="always",
        provenance=prov("affinity"),
    )
    run = emit(make_ir([ext]))
    services = [e.body for e in run.emitted if e.body["kind"] == "TraefikService"]
    assert len(services) == 1
    cookie = {"httpOnly": True, "name": "route", "maxAge": 60, "sameSite": "lax", "secure": True}
    assert services[0]["spec"] == {
        "weighted": {"services": [{"name": "svc", "port": 80, "sticky": {"cookie": cookie}}]}
    }
    ref = run.route()["spec"]["rules"][0]["backendRefs"]
    assert ref == [
        {"group": "traefik.io", "kind": "TraefikService", "name": services[0]["metadata"]["name"]}
    ]
    assert run.status("affinity") is Status.CONVERTED


def test_least_request_is_p2c_and_round_robin_the_default() -> None:
    least = LoadBalancer("LeastRequest", provenance=prov("lb"))
    rr = LoadBalancer("RoundRobin", provenance=prov("rr"))
    hashed = LoadBalancer("ConsistentHash", hash_on="uri", provenance=prov("hash"))
    run = emit(make_ir([least], [rr], [hashed]))
    services = [e.body for e in run.emitted if e.body["kind"] == "TraefikService"]
    assert [s["spec"]["weighted"]["services"][0]["strategy"] for s in services] == ["p2c"]
    assert least.consumed and rr.consumed and not hashed.consumed


def test_no_more_filters_than_a_rule_may_have() -> None:
    exts: list[Extension] = [
        IPAccess(allow=[f"10.{i}.0.0/16"], provenance=prov(f"allow-{i}")) for i in range(18)
    ]
    run = emit(make_ir(exts))
    assert len(run.refs()) == 16
    assert sum(not e.consumed for e in exts) == 2
    assert "traefik-middleware-conflict" in run.codes()


def test_a_deny_list_is_subtracted_from_the_allowed_networks() -> None:
    ext = IPAccess(
        allow=["10.0.0.0/8", "192.168.0.0/24"], deny=["10.0.0.0/9"], provenance=prov("x")
    )
    run = emit(make_ir([ext]))
    assert run.one() == {"ipAllowList": {"sourceRange": ["10.128.0.0/9", "192.168.0.0/24"]}}


def test_a_deny_list_alone_allows_every_other_address() -> None:
    ext = IPAccess(deny=["10.0.0.0/8", "2001:db8::/32"], provenance=prov("x"))
    run = emit(make_ir([ext]))
    ranges = [ipaddress.ip_network(r) for r in run.one()["ipAllowList"]["sourceRange"]]
    for address in ("10.1.2.3", "2001:db8::1"):
        assert not any(ipaddress.ip_address(address) in n for n in ranges)
    for address in ("11.0.0.1", "9.255.255.255", "192.168.1.1", "2001:db9::1", "::1"):
        assert any(ipaddress.ip_address(address) in n for n in ranges)
