"""Notifications and the ledger: what users read to decide whether to trust the output.

A :class:`Notification` says something happened (an error, a warning, a fact worth knowing).
The ledger has one :class:`LedgerEntry` per consumed input field and says what became of it:
``converted``, ``partial``, ``unsupported`` or ``ignored``, and which output objects it went into.
Nothing from the input may be missing from the ledger.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from itertools import islice
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any, Protocol, TypeVar

from ingress2gateway.objects import ObjectRef, SourceRef

REPORT_VERSION = 1


class Level(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self.value]


_LEVEL_RANK = {"info": 0, "warning": 1, "error": 2}


class Status(str, enum.Enum):
    CONVERTED = "converted"
    PARTIAL = "partial"
    UNSUPPORTED = "unsupported"
    IGNORED = "ignored"


_STATUS_RANK = {Status.IGNORED: 0, Status.CONVERTED: 1, Status.PARTIAL: 2, Status.UNSUPPORTED: 3}


def merge_status(old: Status, new: Status) -> Status:
    """Combine two verdicts on the same field (for example one per rule it applies to).

    Converted (or partial) in one place and unsupported in another is *partial*; otherwise the
    worse wins.
    """
    if old is new:  # the common case: the same verdict again (one per rule, say)
        return old
    if Status.UNSUPPORTED in (old, new) and {old, new} & {Status.CONVERTED, Status.PARTIAL}:
        # Once part of a field was carried over, more unsupported parts keep it partial.
        return Status.PARTIAL
    return old if _STATUS_RANK[old] >= _STATUS_RANK[new] else new


@dataclass(frozen=True, slots=True)
class Notification:
    level: Level
    code: str
    message: str
    source: SourceRef | None = None
    field: str | None = None
    provider: str | None = None
    security: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "source": self.source.to_json() if self.source else None,
            "field": self.field,
            "provider": self.provider,
            "security": self.security,
        }

    def sort_key(self) -> tuple[Any, ...]:
        src = self.source.sort_key() if self.source else _NO_SOURCE
        return (src, *self.key_within_source())

    def key_within_source(self) -> tuple[str, int, str, str]:
        return (self.field or "", -_LEVEL_RANK[self.level.value], self.code, self.message)


_NO_SOURCE: tuple[str, ...] = ("",)
"""The sort key of "no source": before every object's key (six fields), and equal to none."""


_FEW_TARGETS = 8


class InputField(Protocol):
    """One field of one input object (the IR's ``Provenance``)."""

    @property
    def source(self) -> SourceRef: ...

    @property
    def field(self) -> str: ...


@dataclass(slots=True)
class LedgerEntry:
    source: SourceRef
    field: str
    status: Status
    provider: str | None = None
    targets: Collection[ObjectRef] = ()
    """The output objects the field went into. A tuple while there are few, a set beyond: a
    large input has a ledger entry per field, most naming one or two objects, and an empty
    set costs four times a tuple of two. Change it through the methods below."""
    notes: tuple[str, ...] = ()

    def add_targets(self, refs: Iterable[ObjectRef]) -> None:
        for ref in refs:
            self.add_target(ref)

    def add_target(self, ref: ObjectRef) -> None:
        targets = self.targets
        if ref in targets:
            return
        if isinstance(targets, set):
            targets.add(ref)
        elif len(targets) < _FEW_TARGETS:
            self.targets = (*targets, ref)
        else:
            self.targets = {*targets, ref}

    def remove_targets(self, refs: Collection[ObjectRef]) -> None:
        if isinstance(self.targets, set):
            self.targets.difference_update(refs)
        else:
            self.targets = tuple(ref for ref in self.targets if ref not in refs)

    def add_note(self, note: str) -> None:
        if note not in self.notes:
            self.notes = (*self.notes, note)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "field": self.field,
            "status": self.status.value,
            "provider": self.provider,
            "targets": [t.to_json() for t in sorted(self.targets, key=_ref_key)],
            "note": "; ".join(self.notes) if self.notes else None,
        }


def _field_of(entry: LedgerEntry) -> str:
    return entry.field


class _FromSource(Protocol):
    @property
    def source(self) -> SourceRef | None: ...


_SourceKey = tuple[Any, ...]
_Item = TypeVar("_Item", bound=_FromSource)


def _per_source(items: Iterable[_Item], within: Callable[[_Item], Any]) -> list[_Item]:
    """``items`` sorted by source object (no source first), then by ``within``, ties in their
    given order: grouped by source first, so that the many small groups are sorted on their
    own."""
    groups: dict[_SourceKey, list[_Item]] = {}
    for item in items:
        source = item.source
        key = source.sort_key() if source is not None else _NO_SOURCE
        found = groups.get(key)
        if found is None:
            groups[key] = [item]
        else:
            found.append(item)
    ordered: list[_Item] = []
    for key in sorted(groups):
        group = groups[key]
        if len(group) > 1:
            group.sort(key=within)
        ordered.extend(group)
    return ordered


def _ref_key(ref: ObjectRef) -> tuple[str, str, str]:
    return (ref.kind, ref.namespace or "", ref.name)


PortableReport = tuple[
    list[tuple[Level, str, str, "SourceRef | None", "str | None", "str | None", bool]],
    list[tuple[SourceRef, str, Status, "str | None", tuple[ObjectRef, ...], tuple[str, ...]]],
]
"""What :meth:`Report.portable` gives: notifications and ledger entries as tuples."""


@dataclass
class Report:
    """Collects notifications and ledger entries through every stage of a conversion."""

    notifications: list[Notification] = dataclasses.field(default_factory=list)
    ledger: dict[tuple[SourceRef, str], LedgerEntry] = dataclasses.field(default_factory=dict)
    _seen: set[Notification] = dataclasses.field(default_factory=set, repr=False)
    _discarded: set[ObjectRef] = dataclasses.field(default_factory=set, repr=False)
    _replaced: dict[ObjectRef, ObjectRef] = dataclasses.field(default_factory=dict, repr=False)
    _withdrawn: dict[ObjectRef, str] = dataclasses.field(default_factory=dict, repr=False)
    _left_out: dict[SourceRef, dict[str, str]] = dataclasses.field(default_factory=dict, repr=False)
    _refs: dict[ObjectRef, ObjectRef] = dataclasses.field(default_factory=dict, repr=False)

    def notify(
        self,
        level: Level,
        code: str,
        message: str,
        *,
        source: SourceRef | None = None,
        field: str | None = None,
        provider: str | None = None,
        security: bool = False,
    ) -> Notification:
        note = Notification(level, code, message, source, field, provider, security)
        # The same fact reported twice (say once per rule) is one notification. (Adding and
        # comparing sizes hashes the notification once; hundreds of thousands come at scale.)
        seen = self._seen
        before = len(seen)
        seen.add(note)
        if len(seen) != before:
            self.notifications.append(note)
        return note

    def error(self, code: str, message: str, **kw: Any) -> Notification:
        return self.notify(Level.ERROR, code, message, **kw)

    def warning(self, code: str, message: str, **kw: Any) -> Notification:
        return self.notify(Level.WARNING, code, message, **kw)

    def info(self, code: str, message: str, **kw: Any) -> Notification:
        return self.notify(Level.INFO, code, message, **kw)

    def flag(
        self,
        level: Level,
        code: str,
        message: str,
        status: Status,
        *,
        source: SourceRef,
        field: str,
        provider: str | None = None,
        security: bool = False,
    ) -> Notification:
        """Tell the user about a field and say in the ledger what became of it, in one step."""
        self.record(source, field, status, note=message, provider=provider)
        return self.notify(
            level, code, message, source=source, field=field, provider=provider, security=security
        )

    def record(
        self,
        source: SourceRef,
        field: str,
        status: Status,
        *,
        targets: Iterable[ObjectRef] = (),
        note: str | None = None,
        provider: str | None = None,
    ) -> LedgerEntry:
        """Say what became of one input field; repeated calls merge (see :func:`merge_status`)."""
        key = (source, field)
        entry = self.ledger.get(key)
        if entry is None:
            entry = LedgerEntry(source, field, status, provider)
            self.ledger[key] = entry
        else:
            entry.status = merge_status(entry.status, status)
            entry.provider = entry.provider or provider
        if targets:
            interned = self._refs
            for ref in targets:
                entry.add_target(interned.setdefault(ref, ref))
        if note:
            entry.add_note(note)
        return entry

    def _shared(self, refs: Iterable[ObjectRef]) -> list[ObjectRef]:
        # Every mention of an output object in the ledger is the same ObjectRef instance (an
        # emitter makes a new one per rule; at scale the copies add up).
        interned = self._refs
        return [interned.setdefault(ref, ref) for ref in refs]

    def has_entry(self, source: SourceRef, field: str) -> bool:
        return (source, field) in self.ledger

    def add_targets(self, source: SourceRef, field: str, targets: Iterable[ObjectRef]) -> None:
        entry = self.ledger.get((source, field))
        if entry is not None:
            entry.add_targets(self._shared(targets))

    def credit(self, fields: Iterable[InputField], target: ObjectRef) -> None:
        """:meth:`add_targets` with ``target`` for each of ``fields`` (an emitter credits
        every field of every rule it writes, ~25 per Ingress; most entries name ``target``
        already)."""
        ledger = self.ledger
        for item in fields:
            entry = ledger.get((item.source, item.field))
            if entry is not None and target not in entry.targets:
                entry.add_target(self._refs.setdefault(target, target))

    def discard_target(self, ref: ObjectRef) -> None:
        """An output object that will not exist after all: no entry may point at it.

        Applied to the whole ledger once, by :meth:`settle` (a provider may drop hundreds of
        routes; scanning the ledger for each was quadratic); so are the two methods below.
        """
        self._discarded.add(ref)

    def replace_target(self, old: ObjectRef, new: ObjectRef) -> None:
        """Entries that name ``old`` name ``new`` instead (an object became another)."""
        self._replaced[old] = new

    def withdraw_target(self, ref: ObjectRef, note: str) -> None:
        """``ref`` was made but will not be printed: its fields did not make it (see
        :meth:`settle`), and ``note`` says why."""
        self._withdrawn[ref] = note

    def left_out(self, source: SourceRef, field: str, note: str) -> None:
        """A part of the output made from ``field`` (and the fields below it, such as
        ``spec.http[1].match[0]`` below ``spec.http[1]``) was left out: they are unsupported
        where they were converted (applied by :meth:`settle`, in one ledger pass)."""
        self._left_out.setdefault(source, {})[field] = note

    def settle(self, since: int | None = None) -> None:
        """Apply pending target changes (done before the ledger is read).

        With ``since`` (the number of entries the ledger held when a part of the input began
        converting), only the entries made since then are retargeted, and only for discards
        and replacements, which a provider makes while converting the part; withdrawn targets
        and left-out fields, which come later from validation, wait for a full settle. A part
        converts objects no other part touches, so its targets are only in its own entries
        (the ledger entries of objects every part reads carry no targets): settling a part
        costs that part, not the whole ledger."""
        if since is None and self._left_out:
            self._apply_left_out()
        replaced, discarded = self._replaced, self._discarded
        withdrawn: dict[ObjectRef, str] = self._withdrawn if since is None else {}
        if not (discarded or replaced or withdrawn):
            return
        changed = discarded | replaced.keys() | withdrawn.keys()
        entries = self.ledger.values()
        for entry in entries if since is None else islice(entries, since, None):
            if not entry.targets or changed.isdisjoint(entry.targets):
                continue
            hit = [ref for ref in entry.targets if ref in changed]
            entry.remove_targets(hit)
            entry.add_targets(replaced[ref] for ref in hit if ref in replaced)
            notes = [withdrawn[ref] for ref in hit if ref in withdrawn]
            if notes:
                entry.status = Status.PARTIAL if entry.targets else Status.UNSUPPORTED
                for note in notes:
                    entry.add_note(note)
        discarded.clear()
        replaced.clear()
        if since is None:
            withdrawn.clear()

    def _apply_left_out(self) -> None:
        for entry in self.ledger.values():
            fields = self._left_out.get(entry.source)
            if not fields:
                continue
            for field, note in fields.items():
                if entry.field == field or entry.field.startswith((field + ".", field + "[")):
                    entry.status = merge_status(entry.status, Status.UNSUPPORTED)
                    entry.add_note(note)
        self._left_out.clear()

    def portable(self) -> PortableReport:
        """The notifications and settled ledger entries as plain tuples, for :meth:`absorb` in
        another process (pickling the tuples costs a quarter of pickling the objects)."""
        self.settle()
        notes = [
            (n.level, n.code, n.message, n.source, n.field, n.provider, n.security)
            for n in self.notifications
        ]
        entries = [
            (e.source, e.field, e.status, e.provider, tuple(e.targets), e.notes)
            for e in self.ledger.values()
        ]
        return notes, entries

    def absorb(self, other: PortableReport) -> None:
        """Add what another report said (see :meth:`portable`), as if it had been said here:
        the same notification once, and repeated ledger entries merged as :meth:`record`
        merges them."""
        notes, entries = other
        seen, notifications = self._seen, self.notifications
        for fields in notes:
            note = Notification(*fields)
            if note not in seen:
                seen.add(note)
                notifications.append(note)
        ledger = self.ledger
        for source, field, status, provider, targets, texts in entries:
            if (source, field) not in ledger:  # almost always: parts share few objects
                kept = targets if len(targets) <= _FEW_TARGETS else set(targets)
                ledger[source, field] = LedgerEntry(source, field, status, provider, kept, texts)
                continue
            merged = self.record(source, field, status, targets=targets, provider=provider)
            for text in texts:
                merged.add_note(text)

    # --- reading -------------------------------------------------------------------------

    def sorted_notifications(self) -> list[Notification]:
        """In :meth:`Notification.sort_key` order (a large report has hundreds of thousands,
        a few per object: sorted per object, see :func:`_per_source`)."""
        return _per_source(self.notifications, Notification.key_within_source)

    def sorted_ledger(self) -> list[LedgerEntry]:
        """Entries by source object, then field (a large ledger has hundreds of thousands of
        entries, a few per object: sorted per object, see :func:`_per_source`)."""
        self.settle()
        return _per_source(self.ledger.values(), _field_of)

    def count(self, level: Level) -> int:
        return sum(1 for n in self.notifications if n.level is level)

    def worst_level(self) -> Level | None:
        levels = {n.level for n in self.notifications}
        for level in (Level.ERROR, Level.WARNING, Level.INFO):
            if level in levels:
                return level
        return None

    def summary(self) -> dict[str, Any]:
        self.settle()
        # Counted in C (list.count compares by identity first): at 100k Ingresses the ledger
        # has 1.6M entries, and a Python loop reading each status took 0.2 s of 0.3.
        entries = self.ledger.values()
        statuses = list(map(attrgetter("status"), entries))
        levels = list(map(attrgetter("level"), self.notifications))
        return {
            "errors": levels.count(Level.ERROR),
            "warnings": levels.count(Level.WARNING),
            "infos": levels.count(Level.INFO),
            "securityFindings": sum(map(attrgetter("security"), self.notifications)),
            "ledger": {status.value: statuses.count(status) for status in Status},
            "sourceObjects": len(set(map(attrgetter("source"), entries))),
        }

    def to_json(self, *, tool: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
        return {
            "reportVersion": REPORT_VERSION,
            "tool": tool,
            "target": target,
            "summary": self.summary(),
            "notifications": [n.to_json() for n in self.sorted_notifications()],
            "ledger": [e.to_json() for e in self.sorted_ledger()],
        }

    def write_json(
        self, write: Callable[[str], object], *, tool: dict[str, Any], target: dict[str, Any]
    ) -> None:
        """:meth:`to_json` as text, written piece by piece: the whole report never exists as
        Python objects (at 100k Ingresses it has 1.6M ledger entries). Each notification and
        ledger entry is one line, which also makes the file easy to grep."""
        head = {
            "reportVersion": REPORT_VERSION,
            "tool": tool,
            "target": target,
            "summary": self.summary(),
        }
        write("{\n")
        for key, value in head.items():
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            write(f"  {json.dumps(key)}: {text},\n")
        lines = _JsonLines()
        sections = (
            ("notifications", map(lines.notification, self.sorted_notifications())),
            ("ledger", map(lines.entry, self.sorted_ledger())),
        )
        for index, (key, items) in enumerate(sections):
            write(f'  "{key}": [')
            separator = "\n    "
            for item in items:
                write(separator + item)
                separator = ",\n    "
            write("\n  ]" if separator != "\n    " else "]")
            write(",\n" if index == 0 else "\n")
        write("}\n")


class _JsonLines:
    """Each notification and ledger entry as the one line ``json.dumps(x.to_json(),
    ensure_ascii=False)`` would write, without building the dicts: a large report has
    hundreds of thousands of them, naming the same few source and output objects again and
    again, whose text is made once."""

    def __init__(self) -> None:
        self.sources: dict[SourceRef | None, str] = {None: "null"}
        self.refs: dict[ObjectRef, str] = {}

    def source(self, source: SourceRef | None) -> str:
        found = self.sources.get(source)
        if found is None:
            assert source is not None
            found = self.sources[source] = _json_text(source.to_json())
        return found

    def ref(self, ref: ObjectRef) -> str:
        found = self.refs.get(ref)
        if found is None:
            found = self.refs[ref] = _json_text(ref.to_json())
        return found

    def notification(self, note: Notification) -> str:
        return (
            f'{{"level": "{note.level.value}", "code": {_string(note.code)}, '
            f'"message": {_string(note.message)}, "source": {self.source(note.source)}, '
            f'"field": {_string(note.field)}, "provider": {_string(note.provider)}, '
            f'"security": {"true" if note.security else "false"}}}'
        )

    def entry(self, entry: LedgerEntry) -> str:
        targets = entry.targets
        if len(targets) > 1:
            targets = sorted(targets, key=_ref_key)
        listed = ", ".join(map(self.ref, targets))
        note = _string("; ".join(entry.notes)) if entry.notes else "null"
        return (
            f'{{"source": {self.source(entry.source)}, "field": {_string(entry.field)}, '
            f'"status": "{entry.status.value}", "provider": {_string(entry.provider)}, '
            f'"targets": [{listed}], "note": {note}}}'
        )


_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _string(value: str | None) -> str:
    """``json.dumps(value, ensure_ascii=False)`` for a string or None, the fast way."""
    return "null" if value is None else encode_basestring(value)


def fails(report: Report, fail_on: str) -> bool:
    """Whether notifications reach the ``--fail-on`` threshold (``error``, ``warning``, ``never``)."""
    if fail_on == "never":
        return False
    threshold = Level(fail_on).rank
    return any(n.level.rank >= threshold for n in report.notifications)
