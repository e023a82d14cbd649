"""The human report: one heading per source object, in source order (no source first), each
object's notifications under it, the worst first; infos said identically of several objects
once; levels and codes filtered; the summary last."""

from __future__ import annotations

from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Level, Recorder, Status
from ingress2gateway.reporting.text import render_text


def source(name: str, line: int) -> SourceRef:
    return SourceRef("networking.k8s.io/v1", "Ingress", "web", name, "in.yaml", line)


def report() -> Recorder:
    made = Recorder()
    made.warning("w-b", "about b", source=source("b", 9), field="spec.tls")
    made.info("i-none", "about nothing in particular")
    made.error("e-a", "about a", source=source("a", 1), field="spec.rules")
    # The same object, as a distinct but equal reference (parts converted apart make these).
    made.warning("w-a", "more about a", source=source("a", 1), field="metadata")
    made.info("i-a", "a fact about a", source=source("a", 1), field="spec.rules")
    made.record(source("a", 1), "spec.rules", Status.CONVERTED)
    return made


def test_each_source_has_one_heading_in_source_order() -> None:
    assert render_text(report().finish()).splitlines() == [
        "general",
        "  info    i-none: about nothing in particular",
        "Ingress web/a (in.yaml:1)",
        "  error   e-a: spec.rules: about a",
        "  warning w-a: metadata: more about a",
        "  info    i-a: spec.rules: a fact about a",
        "Ingress web/b (in.yaml:9)",
        "  warning w-b: spec.tls: about b",
        "Summary: 1 error(s), 2 warning(s), 2 info; ledger: 1 converted, 0 partial, "
        "0 unsupported, 0 ignored (1 fields of 1 objects)",
    ]


def test_levels_and_codes_are_filtered_and_emptied_headings_dropped() -> None:
    lines = render_text(
        report().finish(), min_level=Level.WARNING, exclude_codes={"w-b"}
    ).splitlines()
    assert lines[:-1] == [
        "Ingress web/a (in.yaml:1)",
        "  error   e-a: spec.rules: about a",
        "  warning w-a: metadata: more about a",
    ]


def test_an_info_said_of_several_objects_is_one_line_with_the_count() -> None:
    made = Recorder()
    for index in range(5):
        made.info("same", "the same fact", source=source(f"s{index}", index + 1))
    made.info("same", "another fact", source=source("s0", 1))
    made.warning("same", "the same fact", source=source("s1", 2))  # warnings are never merged
    lines = render_text(made.finish()).splitlines()
    assert lines[:-1] == [
        "Ingress web/s0 (in.yaml:1)",
        "  info    same: another fact",
        "Ingress web/s1 (in.yaml:2)",
        "  warning same: the same fact",
        "Said of several objects",
        "  info    same (5 objects: Ingress web/s0, Ingress web/s1, Ingress web/s2 and 2 more): "
        "the same fact",
    ]


def test_a_source_with_empty_fields_is_not_filed_under_general() -> None:
    made = Recorder()
    made.error("e-empty", "an object with no name", source=SourceRef("", "", None, None))
    made.info("i-none", "about nothing in particular")
    lines = render_text(made.finish()).splitlines()
    assert lines[:2] == ["general", "  info    i-none: about nothing in particular"]
    assert lines[3] == "  error   e-empty: an object with no name" and lines[2] != "general"


HOSTILE = "x\x1b[2J\x1b]0;owned\x07\r\n  error   forged: this line is not the tool's\u202e\x9b"


def test_names_and_messages_cannot_drive_the_terminal_or_forge_lines() -> None:
    made = Recorder()
    hostile = SourceRef("networking.k8s.io/v1", "Ingress", "web", HOSTILE, "in\n.yaml", 3)
    made.warning("w", f"value {HOSTILE!s} is odd", source=hostile, field=f"metadata.name{HOSTILE}")
    text = render_text(made.finish(), colour=True)
    lines = text.splitlines()
    assert len(lines) == 3  # heading, the warning, the summary
    assert not any(line.lstrip().startswith("error") for line in lines)
    for char in "\r\x07\x9b\u202e":
        assert char not in text
    # The only ESC sequences left are the report's own colours.
    assert (
        text.replace("\x1b[1m", "").replace("\x1b[0m", "").replace("\x1b[33m", "").count("\x1b")
        == 0
    )
    assert "x\\x1b[2J\\x1b]0;owned\\x07\\r\\n  error   forged" in lines[0]
    assert "\\u202e\\x9b" in lines[1] and lines[0].endswith("(in\\n.yaml:3)\x1b[0m")


def test_printable_escapes_only_what_drives_a_terminal() -> None:
    from ingress2gateway.reporting.printable import printable

    assert printable("plain ü 日本 \\x41 ok") == "plain ü 日本 \\x41 ok"
    assert printable("a\tb\x00c\x7fd\u2028e\u2066f") == "a\\tb\\x00c\\x7fd\\u2028e\\u2066f"
