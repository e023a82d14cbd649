"""The kuadrant emitter, from hand-built IR (no provider involved).

Every test goes through :func:`emit`, which also checks that every object validates against
the vendored Gateway API and Kuadrant v1.5.2 CRDs (schema + CEL).
"""

from __future__ import annotations

import ipaddress
import re

import pytest

from ingress2gateway.emitters.kuadrant import EMITTER
from ingress2gateway.emitters.kuadrant.cidr import address_regex, network
from ingress2gateway.ir import (
    IR,
    BackendRef,
    BasicAuth,
    ClientCertAuth,
    Cors,
    Extension,
    ExternalAuth,
    Gateway,
    HTTPRoute,
    IPAccess,
    JWTAuth,
    Listener,
    ListenerSet,
    Match,
    ParentRef,
    PathMatch,
    Provenance,
    RateLimit,
    Rule,
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
KUADRANT = "kuadrant.io/v1"


def prov(name: str) -> list[Provenance]:
    return [Provenance(SOURCE, f"metadata.annotations[{name}]")]


def make_ir(
    *rules: list[Extension],
    route_exts: list[Extension] | None = None,
    gateway_exts: list[Extension] | None = None,
) -> IR:
    gateway = Gateway(
        "gw",
        "web",
        "istio",
        listeners=[Listener("http", 80, "HTTP", hostname="app.example.com")],
        extensions=list(gateway_exts or []),
        provenance=prov("gateway"),
    )
    route = HTTPRoute(
        "app",
        "web",
        hostnames=["app.example.com"],
        parent_refs=[ParentRef("gw")],
        extensions=list(route_exts or []),
        provenance=prov("route"),
        rules=[
            Rule(
                matches=[Match(path=PathMatch("PathPrefix", f"/p{index}"))],
                backend_refs=[BackendRef("svc", port=80)],
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

    def kind(self, kind: str) -> list[JSONDict]:
        return [e.body for e in self.emitted if e.body["kind"] == kind]

    def one(self, kind: str) -> JSONDict:
        found = self.kind(kind)
        assert len(found) == 1, found
        return found[0]

    def codes(self) -> list[str]:
        return [n.code for n in self.report.notifications]

    def status(self, field: str) -> Status:
        return self.report.ledger[(SOURCE, f"metadata.annotations[{field}]")].status


def emit(ir: IR, version: str | None = None, **options: str) -> Run:
    target = Target.parse(version, "standard")
    report = Recorder()
    emitted = EMITTER.emit(ir, EmitContext(report=report, target=target, options=options))
    for item in emitted:
        assert validate(item.body, target) == [], (item.ref, item.body)
    return Run(emitted, report)


ROUTE_TARGET = {"group": GW, "kind": "HTTPRoute", "name": "app"}


# --- registration, classes, prerequisites --------------------------------------------------


def test_registered_under_its_name() -> None:
    emitter = load_emitter("kuadrant")
    assert emitter.name == "kuadrant"
    assert emitter is EMITTER
    assert EMITTER.gateway_class == "istio"


def test_standard_objects_only_without_extensions() -> None:
    run = emit(make_ir([]))
    assert [e["kind"] for e in [x.body for x in run.emitted]] == ["Gateway", "HTTPRoute"]
    needs = set(run.report._needs)
    assert (Need.GATEWAY_CLASS, "GatewayClass istio") in needs
    assert all("Kuadrant" not in subject for _, subject in needs)


def test_envoy_gateway_option_picks_eg_and_its_prerequisites() -> None:
    run = emit(make_ir([RateLimit(10, "Second", provenance=prov("rps"))]), gateway="envoy-gateway")
    assert run.one("Gateway")["spec"]["gatewayClassName"] == "eg"
    found = {subject: action for (_, subject), (action, _) in run.report._needs.items()}
    assert "gateway.envoyproxy.io/gatewayclass-controller" in found["GatewayClass eg"]
    assert "enableEnvoyPatchPolicy" in found["Kuadrant operator 1.5"]


def test_kuadrant_prerequisite_said_once_for_many_policies() -> None:
    ir = make_ir(
        [RateLimit(10, "Second", provenance=prov("rps"))],
        [JWTAuth(issuer="https://id.example.com/realms/a", provenance=prov("jwt"))],
    )
    run = emit(ir)
    subjects = [subject for _, subject in run.report._needs]
    assert subjects.count("Kuadrant operator 1.5") == 1
    assert run.report._needs[(Need.IMPLEMENTATION_FEATURE, "Kuadrant operator 1.5")][1] == [SOURCE]


# --- rate limits ---------------------------------------------------------------------------


def test_rate_limit_per_client_becomes_a_counted_limit() -> None:
    run = emit(make_ir(route_exts=[RateLimit(300, "Minute", burst=5, provenance=prov("rpm"))]))
    policy = run.one("RateLimitPolicy")
    assert policy["apiVersion"] == KUADRANT
    assert policy["spec"]["targetRef"] == ROUTE_TARGET
    assert policy["spec"]["limits"] == {
        "client-300-per-minute": {
            "rates": [{"limit": 300, "window": "1m"}],
            "counters": [{"expression": "source.remote_address"}],
        }
    }
    assert run.status("rpm") is Status.PARTIAL
    assert "burst" in run.report.ledger[(SOURCE, "metadata.annotations[rpm]")].notes[0]


def test_shared_rate_limit_has_no_counter() -> None:
    run = emit(make_ir([RateLimit(5, "Hour", per_client_ip=False, provenance=prov("rph"))]))
    limits = run.one("RateLimitPolicy")["spec"]["limits"]
    assert limits == {"all-5-per-hour": {"rates": [{"limit": 5, "window": "1h"}]}}


# --- JWT ---------------------------------------------------------------------------------


def test_jwt_issuer_becomes_authentication() -> None:
    run = emit(
        make_ir(route_exts=[JWTAuth(issuer="https://id.example.com/r", provenance=prov("j"))])
    )
    rules = run.one("AuthPolicy")["spec"]["rules"]
    assert rules == {"authentication": {"jwt": {"jwt": {"issuerUrl": "https://id.example.com/r"}}}}
    assert run.status("j") is Status.CONVERTED


def test_jwt_jwks_and_issuer_checks_the_issuer_claim() -> None:
    ext = JWTAuth(
        issuer="https://id.example.com",
        jwks_uri="https://id.example.com/jwks",
        provenance=prov("j"),
    )
    rules = emit(make_ir([ext])).one("AuthPolicy")["spec"]["rules"]
    assert rules["authentication"]["jwt"]["jwt"] == {"jwksUrl": "https://id.example.com/jwks"}
    pattern = rules["authorization"]["jwt-issuer"]["patternMatching"]["patterns"][0]
    assert pattern == {"predicate": "auth.identity.iss == 'https://id.example.com'"}


@pytest.mark.parametrize(
    "ext",
    [
        JWTAuth(),
        JWTAuth(issuer="https://evil.example.com/' || true || '"),
        JWTAuth(jwks_uri="file:///etc/keys"),
    ],
)
def test_jwt_without_a_clean_url_is_not_carried(ext: JWTAuth) -> None:
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))


# --- IP lists ----------------------------------------------------------------------------


def test_ip_lists_become_authorization_predicates() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], deny=["10.1.2.3"], provenance=prov("ip"))
    run = emit(make_ir(route_exts=[ext]))
    patterns = run.one("AuthPolicy")["spec"]["rules"]["authorization"]["ip-access"][
        "patternMatching"
    ]["patterns"]
    assert patterns[0]["predicate"].startswith("source.address.matches(r'^")
    assert patterns[1]["predicate"].startswith("!source.address.matches(")
    assert "kuadrant-ip-peer-address" in run.codes()
    assert ext.consumed


def test_ip_list_alone_authenticates_anonymously_and_with_jwt_does_not() -> None:
    ip = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    alone = emit(make_ir(route_exts=[ip])).one("AuthPolicy")["spec"]["rules"]
    assert alone["authentication"] == {"anonymous": {"anonymous": {}}}
    ip = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    jwt = JWTAuth(issuer="https://id.example.com", provenance=prov("j"))
    both = emit(make_ir(route_exts=[ip, jwt])).one("AuthPolicy")["spec"]["rules"]
    assert list(both["authentication"]) == ["jwt"]
    assert list(both["authorization"]) == ["ip-access"]


def test_ipv6_list_is_not_carried() -> None:
    ext = IPAccess(allow=["2001:db8::/32"], provenance=prov("ip"))
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))
    run = emit(make_ir(route_exts=[ext]))
    assert run.kind("AuthPolicy") == []
    assert not ext.consumed


@pytest.mark.parametrize(
    "cidr", ["10.0.0.0/8", "172.16.0.0/12", "192.168.1.0/24", "100.64.0.0/10", "10.1.2.128/25"]
)
def test_cidr_regex_matches_exactly_the_network(cidr: str) -> None:
    net = network(cidr)
    assert net is not None
    regex = re.compile(address_regex([net]).replace(r"\z", r"\Z"))
    for value in range(0, 2**32, 2**32 // 4099):
        address = ipaddress.IPv4Address(value)
        for text in (str(address), f"{address}:8080", f"[::ffff:{address}]:443"):
            assert bool(regex.match(text)) == (address in net), text
    for address in (net.network_address, net.broadcast_address):
        assert regex.match(f"{address}:1")
    assert not regex.match(f"1{net.network_address}")


# --- closed stays closed -----------------------------------------------------------------


@pytest.mark.parametrize(
    "ext",
    [
        BasicAuth("users"),
        ExternalAuth("http://auth.example.com/check"),
        ClientCertAuth("ca"),
    ],
)
def test_other_access_controls_are_not_carried(ext: Extension) -> None:
    assert not EMITTER.carries(ext, Target.parse(None, "standard"))
    run = emit(make_ir(route_exts=[ext]))
    assert run.kind("AuthPolicy") == []
    assert not ext.consumed


def test_non_security_extensions_are_left_to_the_pipeline() -> None:
    cors, timeouts = Cors(allow_origins=["*"]), Timeouts(read="5s")
    emit(make_ir(route_exts=[cors, timeouts]))
    assert not cors.consumed and not timeouts.consumed


# --- attachment ---------------------------------------------------------------------------


def test_rules_that_differ_get_policies_by_section_name() -> None:
    ext = JWTAuth(issuer="https://id.example.com", provenance=prov("j"))
    run = emit(make_ir([ext], []))
    policy = run.one("AuthPolicy")
    assert policy["spec"]["targetRef"] == {**ROUTE_TARGET, "sectionName": "rule-0"}
    assert run.one("HTTPRoute")["spec"]["rules"][0]["name"] == "rule-0"
    assert ext.consumed


def test_without_rule_names_an_access_control_stays_unconsumed() -> None:
    ext = JWTAuth(issuer="https://id.example.com", provenance=prov("j"))
    run = emit(make_ir([ext], []), version="v1.3")
    assert run.kind("AuthPolicy") == []
    assert not ext.consumed
    assert "kuadrant-policy-conflict" in run.codes()


def test_gateway_extension_is_repeated_on_its_routes() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    run = emit(make_ir([], gateway_exts=[ext]))
    assert run.one("AuthPolicy")["spec"]["targetRef"] == ROUTE_TARGET
    assert ext.consumed


def test_a_route_on_a_listener_set_inherits_its_gateways_extensions() -> None:
    ext = IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))
    ir = make_ir([], gateway_exts=[ext])
    extra = Listener("more", 80, "HTTP", hostname="more.example.com")
    ir.listener_sets = [ListenerSet("gw-more", "web", ir.gateways[0], listeners=[extra])]
    ir.routes[0].parent_refs = [ParentRef("gw-more", kind="ListenerSet")]
    ir.routes[0].hostnames = ["more.example.com"]
    run = emit(ir, version="v1.5")
    assert run.one("AuthPolicy")["spec"]["targetRef"] == ROUTE_TARGET
    assert ext.consumed


def test_two_issuers_on_one_rule_do_not_widen_access() -> None:
    a = JWTAuth(issuer="https://a.example.com", provenance=prov("a"))
    b = JWTAuth(issuer="https://b.example.com", provenance=prov("b"))
    run = emit(make_ir([b], route_exts=[a]))
    # Kuadrant accepts any one of its authentication entries: b stays out, and closes its rule.
    assert not b.consumed
    assert "kuadrant-policy-conflict" in run.codes()


def test_output_is_deterministic() -> None:
    def once() -> list[JSONDict]:
        ir = make_ir(
            [RateLimit(1, "Second", provenance=prov("r"))],
            [IPAccess(allow=["10.0.0.0/8"], provenance=prov("ip"))],
        )
        return [e.body for e in emit(ir).emitted]

    assert once() == once()
