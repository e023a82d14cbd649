"""The gke emitter, from hand-built IR (no provider involved) and through the pipeline.

Every emission goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and GKE CRDs (schema + CEL), and that every GKE kind written exists in
GKE's v1.4.0 CRDs (the release older clusters run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.emitters.gke import EMITTER, GKEEmitter
from ingress2gateway.emitters.gke.gate import timeout_seconds
from ingress2gateway.ir import (
    IR,
    BackendRef,
    BackendTLSOptions,
    BasicAuth,
    ClientCertAuth,
    ClientTLSSettings,
    Cors,
    CorsFilter,
    Extension,
    ExternalAuth,
    Gateway,
    HTTPRoute,
    IPAccess,
    JWTAuth,
    Listener,
    ListenerSet,
    LoadBalancer,
    Match,
    ParentRef,
    PathMatch,
    Provenance,
    RateLimit,
    RequestRedirect,
    Retry,
    Rule,
    SecretRef,
    SessionAffinity,
    TCPRoute,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, Emitter
from ingress2gateway.registry import load_emitter
from ingress2gateway.reporting.report import Prerequisite, Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "app", "input.yaml", 1)
GKE = "networking.gke.io/v1"


def v140_kinds() -> set[str]:
    crds = Path("/work/shared/implementations/gke/crds/v1.4.0")
    if not crds.is_dir():  # the vendored list, as of the v1.4.0 tag
        return {
            "GCPBackendPolicy",
            "GCPGatewayPolicy",
            "GCPSessionAffinityFilter",
            "GCPSessionAffinityPolicy",
            "GCPTrafficDistributionPolicy",
            "HealthCheckPolicy",
        }
    return {yaml.safe_load(p.read_text())["spec"]["names"]["kind"] for p in crds.glob("*.yaml")}


V140_KINDS = v140_kinds()


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
    services: list[str] | None = None,
    gateway_class: str = "nginx",
) -> IR:
    """One Gateway (HTTP + HTTPS listener), one HTTPRoute, one rule per arg; rule ``i`` routes
    to ``services[i]`` (default ``svc``)."""
    gateway = Gateway(
        "gw",
        "web",
        gateway_class,
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
        provenance=prov("gateway"),
    )
    names = services or ["svc"] * max(1, len(rules))
    route = HTTPRoute(
        "app",
        "web",
        hostnames=["app.example.com"],
        parent_refs=[ParentRef("gw")],
        extensions=list(route_exts or []),
        rules=[
            Rule(
                matches=[Match(path=PathMatch("PathPrefix", f"/p{index}"))],
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

    def gke(self) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["apiVersion"] == GKE]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def needs(self) -> tuple[Prerequisite, ...]:
        return self.report.finish().prerequisites

    def status(self, field: str) -> Status:
        return self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].status


def emit(ir: IR, version: str | None = None, channel: str = "standard", **options: str) -> Run:
    target = Target.parse(version, channel)
    report = Recorder()
    emitted = list(EMITTER.emit(ir, EmitContext(report=report, target=target, options=options)))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
        if item.body["apiVersion"] == GKE:
            assert item.body["kind"] in V140_KINDS
    return Run(emitted, report)


# --- registration and Gateways ------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter: Emitter = EMITTER
    assert load_emitter("gke").name == "gke" and isinstance(EMITTER, GKEEmitter)
    assert {o.name for o in emitter.options} == {
        "gateway-class",
        "security-policy",
        "ssl-policy",
        "allow-global-access",
        "session-affinity",
    }
    assert all(code.startswith("gke-") for code in emitter.codes)


def test_gateways_get_the_default_gke_class_and_a_named_one_is_kept() -> None:
    run = emit(make_ir())
    assert run.one("Gateway")["spec"]["gatewayClassName"] == "gke-l7-global-external-managed"
    assert "gke-gateway-class" in run.codes()
    kept = emit(make_ir(gateway_class="gke-l7-rilb"))
    assert kept.one("Gateway")["spec"]["gatewayClassName"] == "gke-l7-rilb"
    assert "gke-gateway-class" not in kept.codes()


def test_the_gateway_class_option_picks_another_gke_class() -> None:
    run = emit(make_ir(), **{"gateway-class": "gke-l7-regional-external-managed"})
    assert run.one("Gateway")["spec"]["gatewayClassName"] == "gke-l7-regional-external-managed"
    subjects = {p.subject for p in run.needs()}
    assert "proxy-only subnet" in subjects


def test_the_ir_is_not_changed() -> None:
    ir = make_ir()
    ir.routes[0].rules[0].request_timeout = "5s"  # type: ignore[attr-defined]
    emit(ir)
    assert ir.gateways[0].gateway_class == "nginx"
    assert ir.routes[0].rules[0].request_timeout == "5s"  # type: ignore[attr-defined]


# --- access control stays closed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "extension",
    [
        BasicAuth("users"),
        ExternalAuth("https://auth.example.com/check"),
        IPAccess(allow=["10.0.0.0/8"]),
        JWTAuth(issuer="https://issuer.example.com"),
        ClientCertAuth("ca"),
    ],
)
def test_no_access_control_is_carried(extension: Extension) -> None:
    assert EMITTER.carries(extension, Target.parse(None)) is False


def test_an_auth_protected_rule_is_emitted_closed_through_the_pipeline(tmp_path: Path) -> None:
    result = convert(
        tmp_path,
        {
            "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8",
        },
    )
    route = next(r for r in result.resources if r["kind"] == "HTTPRoute")
    assert all("backendRefs" not in rule for rule in route["spec"]["rules"])
    assert any(n.security and n.level.name == "ERROR" for n in result.report.notifications)


# --- GCPBackendPolicy -----------------------------------------------------------------------------


def test_session_affinity_is_a_generated_cookie_on_the_service() -> None:
    ext = SessionAffinity(cookie_name="route", ttl_seconds=3600, provenance=prov("affinity"))
    run = emit(make_ir([ext]))
    policy = run.one("GCPBackendPolicy")
    assert policy["spec"] == {
        "default": {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": 3600}},
        "targetRef": {"group": "", "kind": "Service", "name": "svc"},
    }
    assert policy["metadata"]["namespace"] == "web"
    assert policy["metadata"]["labels"] == {"gateway.networking.k8s.io/policy": "Direct"}
    assert ext.consumed and run.status("affinity") is Status.PARTIAL  # the cookie name is GKE's


def test_a_session_cookie_and_a_too_long_lifetime() -> None:
    session = SessionAffinity(provenance=prov("a"))
    run = emit(make_ir([session]))
    assert run.one("GCPBackendPolicy")["spec"]["default"]["sessionAffinity"]["cookieTtlSec"] == 0
    assert run.status("a") is Status.CONVERTED
    long = SessionAffinity(ttl_seconds=10**8, provenance=prov("b"))
    run = emit(make_ir([long]))
    ttl = run.one("GCPBackendPolicy")["spec"]["default"]["sessionAffinity"]["cookieTtlSec"]
    assert ttl == 1_209_600 and run.status("b") is Status.PARTIAL


def test_stateful_cookie_affinity_on_request() -> None:
    ext = SessionAffinity(ttl_seconds=3600, provenance=prov("affinity"))
    run = emit(make_ir([ext]), **{"session-affinity": "stateful-cookie"})
    assert run.kind("GCPBackendPolicy") == []
    assert run.one("GCPSessionAffinityPolicy")["spec"] == {
        "statefulGeneratedCookie": {"cookieTtlSeconds": 3600},
        "targetRef": {"group": "", "kind": "Service", "name": "svc"},
    }
    assert run.status("affinity") is Status.CONVERTED
    session = SessionAffinity(provenance=prov("session"))
    run = emit(make_ir([session]), **{"session-affinity": "stateful-cookie"})
    policy = run.one("GCPSessionAffinityPolicy")
    assert policy["spec"]["statefulGeneratedCookie"] == {"cookieTtlSeconds": 86400}
    assert run.status("session") is Status.PARTIAL


def test_read_timeout_is_timeout_sec_in_part() -> None:
    ext = Timeouts(connect="5s", read="90s", provenance=prov("timeout"))
    run = emit(make_ir([ext]))
    assert run.one("GCPBackendPolicy")["spec"]["default"] == {"timeoutSec": 90}
    assert run.status("timeout") is Status.PARTIAL


def test_connect_timeout_alone_is_not_carried() -> None:
    ext = Timeouts(connect="5s", provenance=prov("timeout"))
    run = emit(make_ir([ext]))
    assert run.gke() == [] and not ext.consumed


def test_route_timeouts_leave_the_route_for_the_service_policy() -> None:
    ir = make_ir()
    ir.routes[0].rules[0].request_timeout = "1500ms"  # type: ignore[attr-defined]
    ir.routes[0].rules[0].backend_request_timeout = "1s"  # type: ignore[attr-defined]
    run = emit(ir, channel="experimental")
    assert "timeouts" not in run.one("HTTPRoute")["spec"]["rules"][0]
    assert run.one("GCPBackendPolicy")["spec"]["default"] == {"timeoutSec": 1}  # the tighter
    assert "gke-policy-conflict" not in run.codes()
    assert "gke-service-wide" in run.codes()


def test_a_setting_of_one_rule_on_a_shared_service_is_partial() -> None:
    ext = SessionAffinity(provenance=prov("affinity"))
    run = emit(make_ir([ext], []))  # both rules route to svc; only the first asked
    assert run.status("affinity") is Status.PARTIAL
    assert len(run.kind("GCPBackendPolicy")) == 1


def test_different_values_for_one_service_conflict_and_the_first_is_kept() -> None:
    first = Timeouts(read="10s", provenance=prov("first"))
    second = Timeouts(read="20s", provenance=prov("second"))
    run = emit(make_ir([first], [second]))
    assert run.one("GCPBackendPolicy")["spec"]["default"] == {"timeoutSec": 10}
    assert first.consumed and not second.consumed
    assert "gke-policy-conflict" in run.codes()


def test_each_service_gets_its_own_policy() -> None:
    a = Timeouts(read="10s", provenance=prov("a"))
    b = Timeouts(read="20s", provenance=prov("b"))
    run = emit(make_ir([a], [b], services=["one", "two"]))
    policies = {p["spec"]["targetRef"]["name"]: p for p in run.kind("GCPBackendPolicy")}
    assert policies["one"]["spec"]["default"] == {"timeoutSec": 10}
    assert policies["two"]["spec"]["default"] == {"timeoutSec": 20}
    assert a.consumed and b.consumed


def test_gateway_extensions_reach_the_services_of_its_routes() -> None:
    ext = Timeouts(read="30s", provenance=prov("gw-timeout"))
    run = emit(make_ir([], gateway_exts=[ext]))
    assert run.one("GCPBackendPolicy")["spec"]["targetRef"]["name"] == "svc"
    assert ext.consumed


def test_rate_limits_need_a_cloud_armor_policy_the_user_names() -> None:
    ext = RateLimit(10, "Second", provenance=prov("limit-rps"))
    run = emit(make_ir([ext]))
    assert run.gke() == [] and not ext.consumed
    ext = RateLimit(10, "Second", provenance=prov("limit-rps"))
    run = emit(make_ir([ext]), **{"security-policy": "my-armor"})
    assert run.one("GCPBackendPolicy")["spec"]["default"] == {"securityPolicy": "my-armor"}
    assert ext.consumed and run.status("limit-rps") is Status.PARTIAL
    assert "gke-cloud-armor-rule" in run.codes()
    assert "Cloud Armor security policy my-armor" in {p.subject for p in run.needs()}


@pytest.mark.parametrize("name", ["My_Armor", "a" * 64, "x\ny", "projects/p/global/x"])
def test_a_policy_name_that_is_not_a_gcp_name_is_refused(name: str) -> None:
    ext = RateLimit(10, "Second", provenance=prov("limit-rps"))
    run = emit(make_ir([ext]), **{"security-policy": name})
    assert run.gke() == [] and "gke-invalid-option" in run.codes()


# --- GCPTrafficDistributionPolicy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [("RoundRobin", "ROUND_ROBIN"), ("LeastRequest", "LEAST_REQUEST"), ("Random", "RANDOM")],
)
def test_load_balancing_algorithms(algorithm: Any, expected: str) -> None:
    ext = LoadBalancer(algorithm, provenance=prov("lb"))
    run = emit(make_ir([ext]))
    policy = run.one("GCPTrafficDistributionPolicy")
    assert policy["spec"] == {
        "default": {"localityLbAlgorithm": expected},
        "targetRefs": [{"group": "", "kind": "Service", "name": "svc"}],
    }
    assert run.status("lb") is Status.CONVERTED


def test_a_hash_on_the_client_ip_is_client_ip_affinity_on_a_ring() -> None:
    ext = LoadBalancer("ConsistentHash", hash_on="source-ip", provenance=prov("lb"))
    run = emit(make_ir([ext]))
    assert run.one("GCPBackendPolicy")["spec"]["default"] == {
        "sessionAffinity": {"type": "CLIENT_IP"}
    }
    assert run.one("GCPTrafficDistributionPolicy")["spec"]["default"] == {
        "localityLbAlgorithm": "RING_HASH"
    }


@pytest.mark.parametrize("hash_on", ["header:x-user", "cookie:id", "uri"])
def test_a_hash_on_anything_else_is_not_carried(hash_on: str) -> None:
    ext = LoadBalancer("ConsistentHash", hash_on=hash_on, provenance=prov("lb"))
    run = emit(make_ir([ext]))
    assert run.gke() == [] and not ext.consumed


# --- GCPGatewayPolicy -----------------------------------------------------------------------------


def test_ssl_policy_on_every_gateway_carries_tls_settings_in_part() -> None:
    ext = ClientTLSSettings(
        min_version="1.2", ciphers=["ECDHE-RSA-AES128-GCM-SHA256", "!aNULL"], provenance=prov("tls")
    )
    run = emit(make_ir(gateway_exts=[ext]), **{"ssl-policy": "modern"})
    policy = run.one("GCPGatewayPolicy")
    assert policy["spec"] == {
        "default": {"sslPolicy": "modern"},
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"},
    }
    assert ext.consumed and run.status("tls") is Status.PARTIAL
    [need] = [p for p in run.needs() if p.subject == "SSL policy modern"]
    assert "ECDHE-RSA-AES128-GCM-SHA256" in need.action and "aNULL" not in need.action


def test_tls_settings_without_an_ssl_policy_are_not_carried() -> None:
    ext = ClientTLSSettings(min_version="1.2", provenance=prov("tls"))
    run = emit(make_ir(gateway_exts=[ext]))
    assert run.kind("GCPGatewayPolicy") == [] and not ext.consumed


def test_global_access_only_for_internal_gateways() -> None:
    run = emit(make_ir(), **{"allow-global-access": "true"})
    assert run.kind("GCPGatewayPolicy") == []
    run = emit(make_ir(gateway_class="gke-l7-rilb"), **{"allow-global-access": "true"})
    assert run.one("GCPGatewayPolicy")["spec"]["default"] == {"allowGlobalAccess": True}


# --- what GKE does not implement ------------------------------------------------------------------


def test_retries_are_not_written_even_on_the_experimental_channel() -> None:
    ext = Retry(3, codes=[503], provenance=prov("retry"))
    run = emit(make_ir([ext]), channel="experimental")
    assert "retry" not in run.one("HTTPRoute")["spec"]["rules"][0]
    assert not ext.consumed


def test_the_cors_filter_is_not_written() -> None:
    cors = Cors(allow_origins=["https://a.example.com"], provenance=prov("cors"))
    ir = make_ir([cors])
    ir.routes[0].rules[0].filters.append(CorsFilter(cors, provenance=prov("cors")))  # type: ignore[attr-defined]
    run = emit(ir)
    assert "filters" not in run.one("HTTPRoute")["spec"]["rules"][0]
    assert not cors.consumed


@pytest.mark.parametrize(("code", "expected"), [(308, 301), (307, 302), (303, 302), (301, 301)])
def test_redirect_codes_are_301_or_302(code: int, expected: int) -> None:
    ir = make_ir()
    redirect = RequestRedirect(scheme="https", status_code=code, provenance=prov("redirect"))
    ir.routes[0].rules[0].filters.append(redirect)  # type: ignore[attr-defined]
    ir.routes[0].rules[0].backend_refs = []  # type: ignore[attr-defined]
    run = emit(ir)
    [body] = run.one("HTTPRoute")["spec"]["rules"][0]["filters"]
    assert body["requestRedirect"]["statusCode"] == expected
    assert redirect.status_code == code  # the IR's filter is left as it is
    assert ("gke-redirect-status" in run.codes()) is (code != expected)


def test_a_rule_that_needs_a_method_is_left_out() -> None:
    ir = make_ir([], [])
    rule = ir.routes[0].rules[0]  # type: ignore[attr-defined]
    rule.matches = [Match(path=PathMatch("PathPrefix", "/p0"), method="POST")]
    run = emit(ir)
    rules = run.one("HTTPRoute")["spec"]["rules"]
    assert [r["matches"][0]["path"]["value"] for r in rules] == ["/p1"]
    assert "gke-unsupported-feature" in run.codes()


def test_l4_routes_and_listeners_are_left_out() -> None:
    ir = make_ir()
    ir.gateways[0].listeners.append(Listener("db", 5432, "TCP", provenance=prov("tcp")))
    ir.routes.append(
        TCPRoute(
            "db", "web", parent_refs=[ParentRef("gw", section_name="db")], provenance=prov("r")
        )
    )
    run = emit(ir, channel="experimental")
    assert [lst["name"] for lst in run.one("Gateway")["spec"]["listeners"]] == ["http", "https"]
    assert run.kind("TCPRoute") == []
    assert run.status("r") is Status.UNSUPPORTED


def test_timeout_seconds() -> None:
    assert timeout_seconds("1h2m") == 3720
    assert timeout_seconds("250ms") == 1
    assert timeout_seconds("1.5s") == 2
    assert timeout_seconds("0s") is None
    assert timeout_seconds("5 s") is None
    assert timeout_seconds("10") is None


# --- through the pipeline ---------------------------------------------------------------------------


def convert(tmp_path: Path, annotations: dict[str, str], count: int = 1, **options: Any) -> Any:
    docs = []
    for index in range(count):
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": f"app{index}",
                    "namespace": "web",
                    "annotations": annotations,
                },
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [
                        {
                            "host": f"app{index}.example.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {
                                                "name": f"svc{index}",
                                                "port": {"number": 80},
                                            }
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        )
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    report = Recorder()
    objects = ingress2gateway.load_manifests([path], report=report)
    return ingress2gateway.convert(
        objects, providers=["nginx"], emitter="gke", report=report, emitter_options=options
    )


def test_prerequisites_are_said_once_for_many_gateways_sources(tmp_path: Path) -> None:
    result = convert(tmp_path, {}, count=3)
    classes = [p for p in result.report.prerequisites if p.need.value == "gateway-class"]
    assert len(classes) == 1 and len(classes[0].sources) == 3
    health = [n for n in result.report.notifications if n.code == "gke-default-health-check"]
    assert len(health) == 1


def test_same_input_same_bytes(tmp_path: Path) -> None:
    annotations = {
        "nginx.ingress.kubernetes.io/affinity": "cookie",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "120",
        "nginx.ingress.kubernetes.io/load-balance": "ewma",
    }
    first = convert(tmp_path, annotations, count=2)
    second = convert(tmp_path, annotations, count=2)
    assert yaml.safe_dump_all(first.resources) == yaml.safe_dump_all(second.resources)
    kinds = sorted(r["kind"] for r in first.resources)
    assert kinds.count("GCPBackendPolicy") == 2 and kinds.count("GCPTrafficDistributionPolicy") == 2


def test_listener_sets_are_reported_as_not_served() -> None:
    ir = make_ir()
    extra = Listener("more", 80, "HTTP", hostname="more.example.com", provenance=prov("more"))
    ir.listener_sets = [ListenerSet("gw-1", "web", ir.gateways[0], listeners=[extra])]
    run = emit(ir)
    assert "gke-unsupported-feature" in run.codes()
    assert run.status("more") is Status.PARTIAL


def test_a_gateway_with_no_http_listener_left_is_left_out() -> None:
    ir = make_ir()
    ir.gateways[0].listeners = [Listener("db", 5432, "TCP", provenance=prov("tcp"))]
    ir.routes = []
    run = emit(ir)
    assert run.kind("Gateway") == []
    assert run.status("gateway") is Status.UNSUPPORTED


def test_unverified_backend_https_is_the_services_app_protocol() -> None:
    ext = BackendTLSOptions("svc", insecure_skip_verify=True, provenance=prov("backend-protocol"))
    run = emit(make_ir([ext]))
    assert run.gke() == []
    assert ext.consumed and run.status("backend-protocol") is Status.PARTIAL
    assert "Service web/svc appProtocol HTTPS" in {p.subject for p in run.needs()}
    assert "gke-backend-app-protocol" in run.codes()
    route = next(e for e in run.emitted if e.ref.kind == "HTTPRoute")
    assert prov("backend-protocol")[0] in route.provenance


def test_a_client_certificate_to_the_backend_is_not_carried() -> None:
    ext = BackendTLSOptions(
        "svc", insecure_skip_verify=True, client_certificate=SecretRef("c"), provenance=prov("b")
    )
    emit(make_ir([ext]))
    assert not ext.consumed


def test_the_same_setting_asked_by_every_rule_of_a_service_is_not_widened() -> None:
    first = SessionAffinity(provenance=prov("first"))
    second = SessionAffinity(provenance=prov("second"))
    run = emit(make_ir([first], [second]))  # two extensions, equal values, one Service
    assert run.status("first") is Status.CONVERTED
    assert run.status("second") is Status.CONVERTED
    assert len(run.kind("GCPBackendPolicy")) == 1
