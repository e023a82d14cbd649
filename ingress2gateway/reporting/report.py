"""Notifications and the ledger: what users read to decide whether to trust the output.

A :class:`Notification` says something happened (an error, a warning, a fact worth knowing).
A :class:`Prerequisite` says what the cluster needs before the output works there (a
GatewayClass, an implementation feature to enable, a Secret to create): the migration plan
lists each once.
The ledger has one :class:`LedgerEntry` per consumed input field and says what became of it:
``converted``, ``partial``, ``unsupported`` or ``ignored``, and which output objects it went into.
Nothing from the input may be missing from the ledger.

The stages of a conversion write to a :class:`Recorder`: notifications, and facts about input
fields (status and notes), never output objects. Which objects a field went into is derived
from what was printed: each printed object's provenance (see
:attr:`~ingress2gateway.plugin.Emitted.provenance`). :meth:`Recorder.finish` makes the
read-only :class:`Report`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from ingress2gateway.objects import ObjectRef, SourceRef, field_within

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


class Need(str, enum.Enum):
    """The kinds of :class:`Prerequisite`, in the order a migration plan lists them."""

    GATEWAY_CLASS = "gateway-class"
    IMPLEMENTATION_FEATURE = "implementation-feature"
    SECRET = "secret"
    REFERENCE_GRANT = "reference-grant"
    CERTIFICATE_ISSUER = "certificate-issuer"
    DNS = "dns"
    OTHER = "other"

    @property
    def rank(self) -> int:
        return list(Need).index(self)


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """Something the cluster must have before the output works there, said once however
    many input objects need it (``sources`` names them)."""

    need: Need
    subject: str
    """What is needed, as a name a person can look for: ``ClusterIssuer letsencrypt``."""
    action: str
    """What to do about it, one sentence."""
    sources: tuple[SourceRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "need": self.need.value,
            "subject": self.subject,
            "action": self.action,
            "sources": [source.to_json() for source in self.sources],
        }


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

    def _add_targets(self, refs: Iterable[ObjectRef]) -> None:
        for ref in refs:
            self._add_target(ref)

    def _add_target(self, ref: ObjectRef) -> None:
        targets = self.targets
        if ref in targets:
            return
        if isinstance(targets, set):
            targets.add(ref)
        elif len(targets) < _FEW_TARGETS:
            self.targets = (*targets, ref)
        else:
            self.targets = {*targets, ref}

    def _add_note(self, note: str) -> None:
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
    list[
        tuple[
            list[tuple[ObjectRef, tuple[tuple[SourceRef, str], ...], str]],
            list[tuple[SourceRef, str, str]],
            list[tuple[Need, str, str, tuple[SourceRef, ...]]],
        ]
    ],
]
"""What :meth:`Report.portable` gives: notifications and ledger entries as tuples."""


class Recorder:
    """What the stages of a conversion say, as they say it: notifications, and facts about
    input fields (their status and notes). :meth:`finish` makes the :class:`Report`.

    Nothing here predicts output objects. A field's targets are derived from what was printed:
    the pipeline hands each output object over once it is judged (:meth:`printed`, or
    :meth:`not_printed` for one the API server would refuse) with its provenance, the input
    fields it was made from, and that is the only way a ledger entry gains a target.
    """

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        self.ledger: dict[tuple[SourceRef, str], LedgerEntry] = {}
        """Entries as recorded so far (read them; change them through the methods)."""
        self._seen: set[Notification] = set()
        self._refs: dict[ObjectRef, ObjectRef] = {}
        self._unprinted: list[tuple[ObjectRef, tuple[tuple[SourceRef, str], ...], str]] = []
        self._left_out: dict[SourceRef, dict[str, str]] = {}
        self._needs: dict[tuple[Need, str], tuple[str, list[SourceRef]]] = {}

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

    def require(
        self, need: Need, subject: str, action: str, *, source: SourceRef | None = None
    ) -> None:
        """The cluster must have ``subject`` for the output to work (see :class:`Prerequisite`).
        Said again for the same subject, only the source is added: the first action stays."""
        said = self._needs.get((need, subject))
        if said is None:
            said = self._needs[need, subject] = (action, [])
        if source is not None and source not in said[1]:
            said[1].append(source)

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
        note: str | None = None,
        provider: str | None = None,
    ) -> LedgerEntry:
        """Say what became of one input field; repeated calls merge (see :func:`merge_status`).
        Where it went is not said here: see :meth:`printed`."""
        key = (source, field)
        entry = self.ledger.get(key)
        if entry is None:
            entry = LedgerEntry(source, field, status, provider)
            self.ledger[key] = entry
        else:
            entry.status = merge_status(entry.status, status)
            entry.provider = entry.provider or provider
        if note:
            entry._add_note(note)
        return entry

    def overrule(
        self, source: SourceRef, field: str, status: Status, note: str, provider: str | None = None
    ) -> None:
        """Replace what was said of a field (a later stage knows better: the field was not
        used after all), or say it for the first time."""
        entry = self.record(source, field, status, note=note, provider=provider)
        entry.status = status

    def not_made(self, fields: Mapping[SourceRef, Mapping[str, str]]) -> None:
        """Nothing was made of these fields (``{source: {field: why}}``) and those below them
        (``spec.rules[0].http`` below ``spec.rules[0]``): unsupported, whatever was said of
        them before, with why. One pass over the ledger."""
        for entry in self.ledger.values():
            parents = fields.get(entry.source)
            if not parents:
                continue
            for parent, note in parents.items():
                if field_within(entry.field, parent):
                    entry.status = Status.UNSUPPORTED
                    entry._add_note(note)

    def has_entry(self, source: SourceRef, field: str) -> bool:
        return (source, field) in self.ledger

    # --- what was printed: the only source of ledger targets ----------------------------

    def printed(self, ref: ObjectRef, provenance: Iterable[InputField]) -> None:
        """``ref`` is printed, made from ``provenance``: each of those fields went into it."""
        ledger = self.ledger
        shared = self._refs.setdefault(ref, ref)
        for item in provenance:
            entry = ledger.get((item.source, item.field))
            if entry is not None and shared not in entry.targets:
                entry._add_target(shared)

    def not_printed(self, ref: ObjectRef, provenance: Iterable[InputField], note: str) -> None:
        """``ref`` was made from ``provenance`` but is not printed (the API server would refuse
        it): those fields did not make it there (applied by :meth:`finish`, once every object
        is printed, since a field may go into several objects)."""
        fields = tuple(dict.fromkeys((item.source, item.field) for item in provenance))
        self._unprinted.append((ref, fields, note))

    def left_out(self, source: SourceRef, field: str, note: str) -> None:
        """A part of the output made from ``field`` (and the fields below it, such as
        ``spec.http[1].match[0]`` below ``spec.http[1]``) was left out: they are unsupported
        where they were converted (applied by :meth:`finish`, in one ledger pass)."""
        self._left_out.setdefault(source, {})[field] = note

    # --- parts converted elsewhere ----------------------------------------------------

    def portable(self) -> PortableReport:
        """What was said, as plain tuples, for :meth:`absorb` in another process (pickling
        the tuples costs a quarter of pickling the objects)."""
        notes = [
            (n.level, n.code, n.message, n.source, n.field, n.provider, n.security)
            for n in self.notifications
        ]
        entries = [
            (e.source, e.field, e.status, e.provider, tuple(e.targets), e.notes)
            for e in self.ledger.values()
        ]
        pending = [
            (
                self._unprinted,
                [(s, f, n) for s, fs in self._left_out.items() for f, n in fs.items()],
                [
                    (need, subject, action, tuple(sources))
                    for (need, subject), (action, sources) in self._needs.items()
                ],
            )
        ]
        return notes, entries, pending

    def absorb(self, other: PortableReport) -> None:
        """Add what another recorder said (see :meth:`portable`), after what this one said:
        the same notification once, and repeated ledger entries merged as :meth:`record`
        merges them."""
        notes, entries, pending = other
        seen, notifications = self._seen, self.notifications
        for fields in notes:
            said = Notification(*fields)
            if said not in seen:
                seen.add(said)
                notifications.append(said)
        ledger = self.ledger
        for source, field, status, provider, targets, texts in entries:
            if (source, field) not in ledger:  # almost always: parts share few objects
                kept = targets if len(targets) <= _FEW_TARGETS else set(targets)
                ledger[source, field] = LedgerEntry(source, field, status, provider, kept, texts)
                continue
            merged = self.record(source, field, status, provider=provider)
            merged._add_targets(self._refs.setdefault(ref, ref) for ref in targets)
            for text in texts:
                merged._add_note(text)
        for unprinted, left_out, needs in pending:
            self._unprinted.extend(unprinted)
            for source, field, note in left_out:
                self.left_out(source, field, note)
            for need, subject, action, sources in needs:
                self.require(need, subject, action)
                for source in sources:
                    self.require(need, subject, action, source=source)

    # --- the end ------------------------------------------------------------------------

    def finish(self) -> Report:
        """The report: what was left out and not printed applied to the ledger, once."""
        if self._left_out:
            self._apply_left_out()
        if self._unprinted:
            self._apply_unprinted()
        needs = [
            Prerequisite(need, subject, action, tuple(sorted(sources, key=SourceRef.sort_key)))
            for (need, subject), (action, sources) in self._needs.items()
        ]
        needs.sort(key=lambda p: (p.need.rank, p.subject))
        return Report(tuple(self.notifications), MappingProxyType(self.ledger), tuple(needs))

    def _apply_left_out(self) -> None:
        for entry in self.ledger.values():
            fields = self._left_out.get(entry.source)
            if not fields:
                continue
            for field, note in fields.items():
                if field_within(entry.field, field):
                    entry.status = merge_status(entry.status, Status.UNSUPPORTED)
                    entry._add_note(note)
        self._left_out.clear()

    def _apply_unprinted(self) -> None:
        ledger = self.ledger
        # An object not printed was never made a target (see printed): its fields keep the
        # targets other objects gave them.
        for _ref, fields, note in self._unprinted:
            for key in fields:
                entry = ledger.get(key)
                if entry is None:
                    continue
                entry.status = Status.PARTIAL if entry.targets else Status.UNSUPPORTED
                entry._add_note(note)
        self._unprinted.clear()


@dataclass(frozen=True)
class Report:
    """What a conversion said: its notifications, and the ledger (one entry per input field it
    consumed, saying what became of it and which printed objects it went into). Read-only:
    :class:`Recorder` is what the stages write to."""

    notifications: tuple[Notification, ...] = ()
    ledger: Mapping[tuple[SourceRef, str], LedgerEntry] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    prerequisites: tuple[Prerequisite, ...] = ()
    """What the cluster needs before the output works there, each once, in plan order."""

    def __repr__(self) -> str:
        return (
            f"<Report: {self.count(Level.ERROR)} errors, {self.count(Level.WARNING)} warnings, "
            f"{self.count(Level.INFO)} infos, {len(self.ledger)} ledger entries>"
        )

    def sorted_notifications(self) -> list[Notification]:
        """In :meth:`Notification.sort_key` order (a large report has hundreds of thousands,
        a few per object: sorted per object, see :func:`_per_source`)."""
        return _per_source(self.notifications, Notification.key_within_source)

    def sorted_ledger(self) -> list[LedgerEntry]:
        """Entries by source object, then field (a large ledger has hundreds of thousands of
        entries, a few per object: sorted per object, see :func:`_per_source`)."""
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
            "prerequisites": [p.to_json() for p in self.prerequisites],
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
            ("prerequisites", (_compact(p.to_json()) for p in self.prerequisites)),
        )
        for index, (key, items) in enumerate(sections):
            write(f'  "{key}": [')
            separator = "\n    "
            for item in items:
                write(separator + item)
                separator = ",\n    "
            write("\n  ]" if separator != "\n    " else "]")
            write(",\n" if index < len(sections) - 1 else "\n")
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


def fails(report: Report | Recorder, fail_on: str) -> bool:
    """Whether notifications reach the ``--fail-on`` threshold (``error``, ``warning``, ``never``)."""
    if fail_on == "never":
        return False
    threshold = Level(fail_on).rank
    return any(n.level.rank >= threshold for n in report.notifications)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
