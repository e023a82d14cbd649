"""The human report on stderr: grouped by source object, the worst first within each, counts
at the end. An info said identically of several objects (the same code, field and message) is
one line at the end with the count and the first objects it concerns: read per object it would
bury the warnings between copies of itself.

Colour only when asked for (the CLI decides: a TTY, and neither ``NO_COLOR`` nor
``--no-color``). stdout never carries any of this. Names, fields and messages come from the
input: each line is passed through :func:`~ingress2gateway.reporting.printable.printable` before it is
painted, so that only the report's own colours reach the terminal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.printable import printable
from ingress2gateway.reporting.report import Level, Notification, Report

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
    notes = [
        note
        for note in report.sorted_notifications()
        if note.level in shown and note.code not in exclude_codes
    ]
    repeated = _repeated_infos(notes)
    # The level column, made once per level (a large report has tens of thousands of lines).
    labels = {level: _paint(f"{level.value:<7}", _COLOURS[level], colour) for level in Level}
    # Sorted by source object (no source first), a source's notifications come together: a
    # heading starts each run of them, which is shown worst first.
    for source, run in _runs(notes):
        run = [note for note in run if _repeat_key(note) not in repeated]
        if not run:
            continue
        yield _paint(printable(_heading(source)), _BOLD, colour) + "\n"
        run.sort(key=_by_severity)
        for note in run:
            flag = " [security]" if note.security else ""
            where = f"{note.field}: " if note.field and source is not None else ""
            yield f"  {labels[note.level]} {printable(f'{note.code}{flag}: {where}{note.message}')}\n"
    if repeated:
        yield _paint("Said of several objects", _BOLD, colour) + "\n"
        for key, sources in repeated.items():
            code, field, message = key
            names = ", ".join(source.display() for source in sources[:_NAMED])
            more = f" and {len(sources) - _NAMED} more" if len(sources) > _NAMED else ""
            where = f"{field}: " if field else ""
            text = f"{code} ({len(sources)} objects: {names}{more}): {where}{message}"
            yield f"  {labels[Level.INFO]} {printable(text)}\n"
    summary = report.summary()
    ledger = summary["ledger"]
    yield (
        f"Summary: {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['infos']} info; "
        f"ledger: {ledger['converted']} converted, {ledger['partial']} partial, "
        f"{ledger['unsupported']} unsupported, {ledger['ignored']} ignored "
        f"({sum(ledger.values())} fields of {summary['sourceObjects']} objects)\n"
    )


_NAMED = 3
"""How many of the objects an info said of several names (the count says how many in all)."""

_RepeatKey = tuple[str, str, str]


def _repeat_key(note: Notification) -> _RepeatKey | None:
    if note.level is not Level.INFO or note.source is None:
        return None
    return (note.code, note.field or "", note.message)


def _repeated_infos(notes: Iterable[Notification]) -> dict[_RepeatKey, list[SourceRef]]:
    """The infos said identically of two objects or more, in the order first said, with the
    objects they concern."""
    said: dict[_RepeatKey, list[SourceRef]] = {}
    for note in notes:
        key = _repeat_key(note)
        if key is not None and note.source is not None:
            said.setdefault(key, []).append(note.source)
    return {key: sources for key, sources in said.items() if len(sources) > 1}


def _runs(notes: Iterable[Notification]) -> Iterator[tuple[SourceRef | None, list[Notification]]]:
    """Consecutive notifications of the same source object, with that object."""
    current: tuple[object, ...] | None = None
    run: list[Notification] = []
    source: SourceRef | None = None
    for note in notes:
        key = note.source.sort_key() if note.source is not None else ()
        if key != current:
            if run:
                yield source, run
            current, run, source = key, [], note.source
        run.append(note)
    if run:
        yield source, run


def _by_severity(note: Notification) -> tuple[int, str, str, str]:
    return (-note.level.rank, note.field or "", note.code, note.message)
