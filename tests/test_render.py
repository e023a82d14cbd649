"""The human report: one heading per source object, in source order (no source first), each
object's notifications under it; levels and codes filtered; the summary last."""

from __future__ import annotations

from ingress2gateway.objects import SourceRef
from ingress2gateway.render import render_text
from ingress2gateway.report import Level, Report, Status


def source(name: str, line: int) -> SourceRef:
    return SourceRef("networking.k8s.io/v1", "Ingress", "web", name, "in.yaml", line)


def report() -> Report:
    made = Report()
    made.warning("w-b", "about b", source=source("b", 9), field="spec.tls")
    made.info("i-none", "about nothing in particular")
    made.error("e-a", "about a", source=source("a", 1), field="spec.rules")
    # The same object, as a distinct but equal reference (parts converted apart make these).
    made.warning("w-a", "more about a", source=source("a", 1), field="metadata")
    made.info("i-a", "a fact about a", source=source("a", 1), field="spec.rules")
    made.record(source("a", 1), "spec.rules", Status.CONVERTED)
    return made


def test_each_source_has_one_heading_in_source_order() -> None:
    assert render_text(report()).splitlines() == [
        "general",
        "  info    i-none: about nothing in particular",
        "Ingress web/a (in.yaml:1)",
        "  warning w-a: metadata: more about a",
        "  error   e-a: spec.rules: about a",
        "  info    i-a: spec.rules: a fact about a",
        "Ingress web/b (in.yaml:9)",
        "  warning w-b: spec.tls: about b",
        "Summary: 1 error(s), 2 warning(s), 2 info; ledger: 1 converted, 0 partial, "
        "0 unsupported, 0 ignored (1 fields of 1 objects)",
    ]


def test_levels_and_codes_are_filtered_and_emptied_headings_dropped() -> None:
    lines = render_text(report(), min_level=Level.WARNING, exclude_codes={"w-b"}).splitlines()
    assert lines[:-1] == [
        "Ingress web/a (in.yaml:1)",
        "  warning w-a: metadata: more about a",
        "  error   e-a: spec.rules: about a",
    ]


def test_a_source_with_empty_fields_is_not_filed_under_general() -> None:
    made = Report()
    made.error("e-empty", "an object with no name", source=SourceRef("", "", None, None))
    made.info("i-none", "about nothing in particular")
    lines = render_text(made).splitlines()
    assert lines[:2] == ["general", "  info    i-none: about nothing in particular"]
    assert lines[3] == "  error   e-empty: an object with no name" and lines[2] != "general"
