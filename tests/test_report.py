"""The ledger's bookkeeping: facts recorded, targets derived from what was printed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingress2gateway.ir import Provenance
from ingress2gateway.objects import ObjectRef, SourceRef
from ingress2gateway.reporting.report import Level, Notification, Recorder, Report, Status

SOURCE = SourceRef("networking.k8s.io/v1", "Ingress", "web", "shop", "in.yaml", 1)
FIELD = "metadata.annotations[nginx.ingress.kubernetes.io/enable-cors]"


def route(i: int) -> ObjectRef:
    return ObjectRef("HTTPRoute", "web", f"route-{i}")


def made(*fields: str) -> list[Provenance]:
    return [Provenance(SOURCE, field) for field in fields]


def test_targets_come_from_what_was_printed_once_in_order_however_many() -> None:
    report = Recorder()
    entry = report.record(SOURCE, FIELD, Status.CONVERTED)
    assert list(entry.targets) == []  # recording a fact names no output object
    report.printed(route(0), made(FIELD))
    report.printed(route(1), made(FIELD, FIELD))
    report.printed(route(1), made(FIELD))
    assert list(entry.targets) == [route(0), route(1)]
    for i in range(100):
        report.printed(route(i), made(FIELD))
    assert set(entry.targets) == {route(i) for i in range(100)} and len(entry.targets) == 100


def test_a_printed_object_names_only_fields_something_was_said_of() -> None:
    """Provenance alone makes no ledger entry: an entry is a fact a stage recorded."""
    report = Recorder()
    report.printed(route(0), made(FIELD))
    assert report.finish().ledger == {}


def test_every_mention_of_an_object_is_one_instance() -> None:
    report = Recorder()
    report.record(SOURCE, FIELD, Status.CONVERTED)
    report.record(SOURCE, "spec.rules[0].http.paths[0]", Status.CONVERTED)
    report.printed(route(0), made(FIELD))
    report.printed(ObjectRef("HTTPRoute", "web", "route-0"), made("spec.rules[0].http.paths[0]"))
    first, second = (next(iter(e.targets)) for e in report.ledger.values())
    assert first is second


def test_an_object_not_printed_takes_its_fields_with_it_once_every_object_is_printed() -> None:
    report = Recorder()
    a = report.record(SOURCE, FIELD, Status.CONVERTED)
    b = report.record(SOURCE, "spec.rules[0].http.paths[0]", Status.CONVERTED)
    report.not_printed(
        route(0), made(FIELD, b.field), "its output HTTPRoute web/route-0 was invalid"
    )
    assert a.status is Status.CONVERTED  # a later object may still carry the field
    report.printed(route(1), made(FIELD))
    finished = report.finish()
    a, b = finished.ledger[SOURCE, FIELD], finished.ledger[SOURCE, b.field]
    assert list(a.targets) == [route(1)] and a.status is Status.PARTIAL
    assert list(b.targets) == [] and b.status is Status.UNSUPPORTED
    assert b.notes == ("its output HTTPRoute web/route-0 was invalid",)


def test_the_finished_report_is_read_only() -> None:
    report = Recorder()
    report.record(SOURCE, FIELD, Status.CONVERTED)
    report.warning("some-code", "a warning", source=SOURCE, field=FIELD)
    finished = report.finish()
    assert not hasattr(finished, "record") and not hasattr(finished, "notify")
    with pytest.raises(TypeError):
        finished.ledger[SOURCE, "other"] = finished.ledger[SOURCE, FIELD]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finished.notifications = ()  # type: ignore[misc]
    assert repr(finished) == "<Report: 0 errors, 1 warnings, 0 infos, 1 ledger entries>"


def test_the_written_report_is_the_json_report_one_entry_per_line() -> None:
    import json

    import ingress2gateway

    example = Path(__file__).resolve().parent.parent / "examples" / "nginx" / "shop.yaml"
    result = ingress2gateway.convert(ingress2gateway.load_manifests([example], report=Recorder()))
    parts: list[str] = []
    result.write_report(parts.append)
    text = "".join(parts)
    body = result.report_json()
    assert json.loads(text) == body and body["notifications"] and body["ledger"]
    lines = text.splitlines()
    assert len(lines) > len(body["notifications"]) + len(body["ledger"])
    end_of_ledger = lines.index('  "prerequisites": []') - 2
    assert json.loads(lines[end_of_ledger].rstrip(",")) == body["ledger"][-1]


def test_an_empty_report_is_valid_json() -> None:
    import json

    import ingress2gateway

    result = ingress2gateway.convert([], ["nginx"])
    parts: list[str] = []
    result.write_report(parts.append)
    assert json.loads("".join(parts)) == result.report_json()


def test_a_left_out_part_marks_its_field_and_the_fields_below_it_only() -> None:
    report = Recorder()
    for field in ("spec.http[1]", "spec.http[1].match[0]", "spec.http[10]", "spec.http[1]x"):
        report.record(SOURCE, field, Status.CONVERTED)
    other = SourceRef("networking.istio.io/v1", "VirtualService", "web", "other", "in.yaml", 9)
    report.record(other, "spec.http[1]", Status.CONVERTED)
    report.left_out(SOURCE, "spec.http[1]", "rule 1 left out")
    statuses = {(e.source.name, e.field): e.status for e in report.finish().ledger.values()}
    assert statuses == {
        ("shop", "spec.http[1]"): Status.PARTIAL,
        ("shop", "spec.http[1].match[0]"): Status.PARTIAL,
        ("shop", "spec.http[10]"): Status.CONVERTED,
        ("shop", "spec.http[1]x"): Status.CONVERTED,
        ("other", "spec.http[1]"): Status.CONVERTED,
    }


HOSTILE = ['quote " and \\ backslash', "tab\tnewline\nnul\x00", "émoji 🚀 \u2028", "\udc80lone"]


def hostile_report() -> Report:
    """Notifications and entries with every kind of field: None, several targets, notes, and
    strings JSON must escape."""
    from ingress2gateway.reporting.report import Level

    report = Recorder()
    sources = [
        SourceRef("v1", "Ingress", None, "no-namespace", None, None),
        SourceRef("networking.k8s.io/v1", "Ingress", "web", HOSTILE[0], HOSTILE[2], 7),
        SOURCE,
    ]
    for n, source in enumerate(sources):
        for i, text in enumerate(HOSTILE):
            field = f"metadata.annotations[{text}]"
            targets = [route(k) for k in range(i)] + [ObjectRef("Gateway", None, text)]
            report.record(source, field, Status.PARTIAL, provider=None)
            report.record(source, field, Status.CONVERTED, note=text, provider="nginx")
            for target in targets:
                report.printed(target, [Provenance(source, field)])
            report.record(source, f"spec.rules[{i}]", Status.IGNORED)
            report.notify(Level.WARNING, "code", text, source=source, field=field, security=n == 1)
    report.notify(Level.ERROR, "general", HOSTILE[1])
    return report.finish()


def test_each_written_line_is_exactly_the_entry_as_json() -> None:
    """The report file's lines are written without building dicts; they must be the very
    text json.dumps writes for the entry's JSON, escapes and all."""
    import json

    report = hostile_report()
    parts: list[str] = []
    report.write_json(parts.append, tool={"name": "t"}, target={"version": "v"})
    # split("\n"), not splitlines(): U+2028 is a line break to Python, not to JSON.
    lines = [line.rstrip(",") for line in "".join(parts).split("\n")]
    for item in [n.to_json() for n in report.sorted_notifications()] + [
        e.to_json() for e in report.sorted_ledger()
    ]:
        assert "    " + json.dumps(item, ensure_ascii=False) in lines
    assert json.loads("".join(parts)) == report.to_json(tool={"name": "t"}, target={"version": "v"})


def test_the_ledger_is_sorted_by_source_then_field() -> None:
    entries = hostile_report().sorted_ledger()
    keys = [(e.source.sort_key(), e.field) for e in entries]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == 3 * 2 * len(HOSTILE)


_SOURCES = [
    None,
    SOURCE,
    SourceRef("networking.k8s.io/v1", "Ingress", "web", "cart", "in.yaml", 30),
    SourceRef("v1", "Service", "web", "shop", "in.yaml", 60),
    SourceRef("", "", None, None),  # sorts with "no source"
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Level)),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["m1", "m2", "m3"]),
            st.sampled_from(_SOURCES),
            st.sampled_from([None, "spec", FIELD]),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_notifications_are_sorted_by_source_field_level_code_and_message(
    notes: list[tuple[Level, str, str, SourceRef | None, str | None, bool]],
) -> None:
    recorder = Recorder()
    for level, code, message, source, field, security in notes:
        recorder.notify(level, code, message, source=source, field=field, security=security)
    report = recorder.finish()
    # Grouping by source first must give the plain sort's order, ties included.
    assert report.sorted_notifications() == sorted(report.notifications, key=Notification.sort_key)


def test_a_prerequisite_is_listed_once_with_every_input_that_needs_it() -> None:
    import json

    from ingress2gateway.objects import SourceRef
    from ingress2gateway.reporting.report import Need

    first = SourceRef("networking.k8s.io/v1", "Ingress", "b", "web", "b.yaml", 1)
    second = SourceRef("networking.k8s.io/v1", "Ingress", "a", "api", "a.yaml", 1)
    part = Recorder()
    part.require(Need.DNS, "external-dns source", "run it", source=first)
    part.require(Need.DNS, "external-dns source", "said again, ignored", source=first)
    part.require(Need.GATEWAY_CLASS, "GatewayClass eg", "install Envoy Gateway")
    whole = Recorder()
    whole.require(Need.DNS, "external-dns source", "run it", source=second)
    whole.absorb(part.portable())  # as parts converted in workers are merged
    report = whole.finish()
    assert [(p.need, p.subject, p.action, p.sources) for p in report.prerequisites] == [
        (Need.GATEWAY_CLASS, "GatewayClass eg", "install Envoy Gateway", ()),
        (Need.DNS, "external-dns source", "run it", (second, first)),
    ]
    parts: list[str] = []
    report.write_json(parts.append, tool={}, target={})
    written = json.loads("".join(parts))
    assert written == report.to_json(tool={}, target={})
    assert [p["subject"] for p in written["prerequisites"]] == [
        "GatewayClass eg",
        "external-dns source",
    ]
