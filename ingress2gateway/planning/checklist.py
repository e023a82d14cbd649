"""The checklist (errors, warnings and what the ledger says was partly or not carried over,
each with what to do) and the status of each source object it decides.

A step is one finding, said once with every object it concerns: the same message about ten
Ingresses is one step. A field that has a warning or an error gets its step from it: its
ledger notes (often the same words, as a stage that *flags* a field says both) are not a
second step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ingress2gateway.objects import ObjectRef, SourceRef
from ingress2gateway.reporting.report import Level, Notification, Report, Status

from .model import Concern, ObjectStatus, Readiness, Step, StepKind, Team

_GENERIC_ACTIONS: dict[StepKind, str] = {
    StepKind.SECURITY_ERROR: (
        "Blocking: put this access control in place by other means (or convert with an "
        "emitter that carries it) and test it before cut-over. Until then the migrated rule "
        "answers an error instead of reaching the backend (with --access-control-fallback "
        "open it reaches the backend unprotected)."
    ),
    StepKind.ERROR: (
        "Blocking: fix it before cut-over, in the input (then convert again) or by writing "
        "this part of the output by hand; as it stands the migrated route would be wrong."
    ),
    StepKind.SECURITY_WARNING: (
        "Before cut-over: read what the source did here (it touches security) and re-create "
        "it by other means if the service relies on it."
    ),
    StepKind.WARNING: (
        "Before cut-over: decide whether the change described is acceptable for this "
        "service; if not, adjust the output (or the service) as the message says."
    ),
    StepKind.UNSUPPORTED: (
        "Not carried over: if the service depends on it, re-create it by other means before "
        "cut-over; otherwise accept its loss."
    ),
    StepKind.PARTIAL: (
        "Partly carried over: check the part the note names, and re-create it by hand if the "
        "service depends on it."
    ),
}

CODE_ACTIONS: dict[str, str] = {
    "eg-basic-auth-sha-only": (
        "Re-hash every user as {SHA} and re-create the Secret under key .htpasswd before "
        "cut-over (see the prerequisites); bcrypt, MD5 and crypt entries never match."
    ),
    "annotation-unknown": (
        "Check for a misspelt annotation: fix its name in the input and convert again, or "
        "drop it if nothing used it."
    ),
    "tls-without-secret": (
        "Create the Secret the HTTPS listener names (see the prerequisites), or convert again "
        "with --default-certificate NAMESPACE/NAME."
    ),
    "ingress-class-missing": (
        "Pass --default-ingress-class NAME (or --ingress-class) and convert again, or add "
        "ingressClassName to the Ingress."
    ),
}
"""Actions more precise than the generic one of their kind, by notification code."""

_NO_NOTE = {
    Status.PARTIAL: "partly carried over (the report gives no detail)",
    Status.UNSUPPORTED: "not carried over (the report gives no detail)",
}


def step_kind(note: Notification) -> StepKind | None:
    if note.level is Level.ERROR:
        return StepKind.SECURITY_ERROR if note.security else StepKind.ERROR
    if note.level is Level.WARNING:
        return StepKind.SECURITY_WARNING if note.security else StepKind.WARNING
    return None


@dataclass
class _Found:
    kind: StepKind
    code: str | None
    message: str
    concerns: dict[Concern, None] = field(default_factory=dict)


def checklist(report: Report) -> list[Step]:
    """Errors and warnings, then partial and unsupported ledger notes, identical ones merged,
    most urgent first (then those concerning more objects)."""
    found: dict[tuple[StepKind, str | None, str], _Found] = {}
    said: set[tuple[SourceRef | None, str | None]] = set()
    """The fields a warning or an error is about: that is their step, their ledger notes
    are not another."""

    def add(kind: StepKind, code: str | None, text: str, concern: Concern | None) -> None:
        text = " ".join(text.split())  # one line: messages may quote multi-line input
        step = found.setdefault((kind, code, text), _Found(kind, code, text))
        if concern is not None:
            step.concerns[concern] = None

    for note in report.sorted_notifications():
        kind = step_kind(note)
        if kind is None:
            continue
        said.add((note.source, note.field))
        concern = Concern(note.source, note.field) if note.source is not None else None
        add(kind, note.code, note.message, concern)
    for entry in report.sorted_ledger():
        if entry.status not in (Status.PARTIAL, Status.UNSUPPORTED):
            continue
        kind = StepKind.PARTIAL if entry.status is Status.PARTIAL else StepKind.UNSUPPORTED
        if (entry.source, entry.field) in said:
            continue
        for text in entry.notes or (_NO_NOTE[entry.status],):
            add(kind, None, text, Concern(entry.source, entry.field))
    steps = [
        Step(
            item.kind,
            item.code,
            item.message,
            CODE_ACTIONS.get(item.code or "", _GENERIC_ACTIONS[item.kind]),
            tuple(sorted(item.concerns, key=_concern_key)),
        )
        for item in found.values()
    ]
    steps.sort(key=lambda s: (s.kind.priority, -len(s.concerns), s.code or "", s.message))
    return steps


def _concern_key(concern: Concern) -> tuple[object, ...]:
    return (concern.source.sort_key(), concern.field or "")


def object_statuses(
    report: Report, steps: Iterable[Step], routes_of: Mapping[SourceRef, Iterable[ObjectRef]]
) -> list[Team]:
    """A row per source object the conversion read (it has ledger entries) or warned about,
    grouped by namespace: blocked by a blocking step, needs action with any other step, else
    ready."""
    objects: dict[SourceRef, None] = {}
    for entry in report.ledger.values():
        if entry.source.kind:
            objects[entry.source] = None
    for note in report.notifications:
        if note.source is not None and note.source.kind and step_kind(note) is not None:
            objects[note.source] = None
    per_object: dict[SourceRef, list[Step]] = {}
    for step in steps:
        for source in dict.fromkeys(c.source for c in step.concerns):
            per_object.setdefault(source, []).append(step)
    not_carried: dict[SourceRef, int] = {}
    for entry in report.ledger.values():
        if entry.status in (Status.PARTIAL, Status.UNSUPPORTED):
            not_carried[entry.source] = not_carried.get(entry.source, 0) + 1
    rows: dict[str | None, list[ObjectStatus]] = {}
    for source in sorted(objects, key=_object_key):
        mine = per_object.get(source, [])
        if any(s.kind.blocking for s in mine):
            status = Readiness.BLOCKED
        elif mine:
            status = Readiness.NEEDS_ACTION
        else:
            status = Readiness.READY
        rows.setdefault(source.namespace, []).append(
            ObjectStatus(
                source,
                status,
                len(mine),
                sum(1 for s in mine if s.kind.blocking),
                sum(1 for s in mine if s.kind in (StepKind.WARNING, StepKind.SECURITY_WARNING)),
                not_carried.get(source, 0),
                tuple(sorted(set(routes_of.get(source, ())), key=ObjectRef.sort_key)),
            )
        )
    return [Team(namespace, tuple(rows[namespace])) for namespace in rows]


def _object_key(source: SourceRef) -> tuple[str, str, str, str, int]:
    return (
        source.namespace or "",
        source.kind,
        source.name or "",
        source.file or "",
        source.line or 0,
    )
