"""The standard emitter asks the target before writing version-dependent fields."""

from __future__ import annotations

from ingress2gateway.emitters.standard import EMITTER
from ingress2gateway.ir import (
    IR,
    BackendRef,
    Cors,
    CorsFilter,
    HeaderModifier,
    HTTPRoute,
    Match,
    ParentRef,
    PathMatch,
    Provenance,
    RequestMirror,
    Rule,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import EmitContext
from ingress2gateway.reporting.report import Recorder, Status
from ingress2gateway.target import Target
from ingress2gateway.validation import validate

SOURCE = SourceRef("networking.istio.io/v1", "VirtualService", "web", "vs", "in.yaml", 1)


def _route(*filters: object) -> IR:
    rule = Rule(
        matches=[Match(path=PathMatch("PathPrefix", "/"))],
        backend_refs=[BackendRef("web", port=80)],
        filters=list(filters),  # type: ignore[arg-type]
        provenance=[Provenance(SOURCE, "spec.http[0]")],
    )
    route = HTTPRoute("web", "web", parent_refs=[ParentRef("gw")], rules=[rule])
    return IR(routes=[route])


def _emit(
    ir: IR, version: str, channel: str = "standard"
) -> tuple[list[dict[str, object]], Recorder]:
    report = Recorder()
    target = Target.parse(version, channel)
    out = [e.body for e in EMITTER.emit(ir, EmitContext(report=report, target=target))]
    for body in out:
        assert validate(body, target) == []
    return out, report


def test_mirror_percentage_needs_v1_3_on_standard() -> None:
    mirror = RequestMirror(
        backend=BackendRef("shadow", port=80),
        percent=10,
        provenance=[Provenance(SOURCE, "spec.http[0].mirrorPercentage")],
    )
    (route,), report = _emit(_route(mirror), "v1.2")
    assert route["spec"]["rules"][0]["filters"] == [
        {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow", "port": 80}}}
    ]
    (note,) = [n for n in report.notifications if n.code == "target-lacks-feature"]
    assert "mirroring 10% of requests" in note.message and "v1.3+" in note.message
    assert report.ledger[(SOURCE, "spec.http[0].mirrorPercentage")].status is Status.UNSUPPORTED
    (route,), report = _emit(_route(mirror), "v1.3")
    assert route["spec"]["rules"][0]["filters"][0]["requestMirror"]["percent"] == 10


def test_cors_false_credentials_are_left_out_so_v1_3_accepts_it() -> None:
    cors = CorsFilter(cors=Cors(allow_origins=["https://a.example.com"], allow_credentials=False))
    (route,), _ = _emit(_route(cors), "v1.3", "experimental")
    assert route["spec"]["rules"][0]["filters"] == [
        {"type": "CORS", "cors": {"allowOrigins": ["https://a.example.com"]}}
    ]


def test_cors_filter_is_not_written_where_the_target_lacks_it() -> None:
    cors = CorsFilter(cors=Cors(allow_origins=["*"]))
    (route,), _ = _emit(_route(cors), "v1.4")
    assert "filters" not in route["spec"]["rules"][0]
    assert cors.cors.consumed is False  # left for another emitter, or reported by the pipeline


def test_retry_uses_the_standard_field_on_the_experimental_channel() -> None:
    from ingress2gateway.ir import Retry

    ir = _route()
    rule = ir.http_routes().__next__().rules[0]
    retry = Retry(
        attempts=3,
        codes=[503, 504],
        per_try_timeout="2s",
        provenance=[Provenance(SOURCE, "spec.http[0].retries")],
    )
    rule.extensions.append(retry)
    (route,), report = _emit(ir, "v1.6", "experimental")
    assert route["spec"]["rules"][0]["retry"] == {"attempts": 3, "codes": [503, 504]}
    entry = report.ledger[(SOURCE, "spec.http[0].retries")]
    assert (
        retry.consumed
        and entry.status is Status.PARTIAL
        and "per-try timeout 2s" in (entry.notes[0])
    )
    retry.consumed = False
    (route,), _ = _emit(ir, "v1.6", "standard")
    assert "retry" not in route["spec"]["rules"][0] and not retry.consumed


def test_a_header_operation_gateway_api_refuses_is_left_out_not_the_route() -> None:
    modifier = HeaderModifier(
        set={"": "x", "X-Ok": "1", "X-Empty": ""},
        add={"Bad Name": "v"},
        remove=["X-Gone", "Bad\nName"],
        provenance=[Provenance(SOURCE, "spec.http[0].headers.request")],
    )
    (route,), report = _emit(_route(modifier), "v1.4")
    [body] = route["spec"]["rules"][0]["filters"]
    assert body == {
        "type": "RequestHeaderModifier",
        "requestHeaderModifier": {"set": [{"name": "X-Ok", "value": "1"}], "remove": ["X-Gone"]},
    }
    notes = [n.message for n in report.notifications if n.code == "header-invalid"]
    assert len(notes) == 4 and all("left out" in n for n in notes)
    entry = report.ledger[(SOURCE, "spec.http[0].headers.request")]
    assert entry.status is Status.PARTIAL


def test_a_modifier_with_nothing_left_is_no_filter() -> None:
    modifier = HeaderModifier(set={"": "x"}, provenance=[Provenance(SOURCE, "spec.http[0]")])
    (route,), _ = _emit(_route(modifier), "v1.4")
    assert "filters" not in route["spec"]["rules"][0]
