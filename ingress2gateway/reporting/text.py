"""The human report on stderr: grouped by source object, counts at the end.

Colour only when asked for (the CLI decides: a TTY, and neither ``NO_COLOR`` nor
``--no-color``). stdout never carries any of this. Names, fields and messages come from the
input: each line is passed through :func:`~ingress2gateway.reporting.printable.printable` before it is
painted, so that only the report's own colours reach the terminal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.printable import printable
from ingress2gateway.reporting.report import Level, Report

_COLOURS = {Level.ERROR: "\033[31m", Level.WARNING: "\033[33m", Level.INFO: "\033[36m"}
_BOLD = "\033[1m"
_RESET = "\033[0m"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def _heading(source: SourceRef | None) -> str:
    if source is None:
        return "general"
    if not source.kind:
        return source.display()
    where = (
        f" ({source.file}:{source.line})"
        if source.file and source.line
        else (f" ({source.file})" if source.file else "")
    )
    return f"{source.display()}{where}"


def render_text(
    report: Report,
    *,
    colour: bool = False,
    min_level: Level = Level.INFO,
    exclude_codes: Collection[str] = (),
) -> str:
    return "".join(
        render_lines(report, colour=colour, min_level=min_level, exclude_codes=exclude_codes)
    )


def render_lines(
    report: Report,
    *,
    colour: bool = False,
    min_level: Level = Level.INFO,
    exclude_codes: Collection[str] = (),
) -> Iterator[str]:
    """:func:`render_text` line by line (each with its newline), to write as it goes."""
    shown = {level for level in Level if level.rank >= min_level.rank}
    # The level column, made once per level (a large report has tens of thousands of lines).
    labels = {level: _paint(f"{level.value:<7}", _COLOURS[level], colour) for level in Level}
    # Sorted by source object (no source first), a source's notifications come together: a
    # heading starts each run of them.
    current: tuple[object, ...] | None = None
    for note in report.sorted_notifications():
        if note.level not in shown or note.code in exclude_codes:
            continue
        source = note.source
        key = source.sort_key() if source is not None else ()
        if key != current:
            current = key
            yield _paint(printable(_heading(source)), _BOLD, colour) + "\n"
        level = labels[note.level]
        flag = " [security]" if note.security else ""
        where = f"{note.field}: " if note.field and source is not None else ""
        yield f"  {level} {printable(f'{note.code}{flag}: {where}{note.message}')}\n"
    summary = report.summary()
    ledger = summary["ledger"]
    yield (
        f"Summary: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info; "
        f"ledger: {ledger['converted']} converted, {ledger['partial']} partial, "
        f"{ledger['unsupported']} unsupported, {ledger['ignored']} ignored "
        f"({sum(ledger.values())} fields of {summary['sourceObjects']} objects)\n"
    )
