"""Route the requests that matter through both models and say where they part.

The requests come from the source model (what its input means: every host, path and its
boundaries, canary headers...) and from the migrated objects (every rule of every route), so
that a route the migration added is tried too. A difference is *explained* when the report
already says something (a warning or an error, or an info announcing an intended difference)
about the input object and field that decided the source's answer; any other difference is a defect of the converter or of its report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.reporting.report import Level, Notification, Recorder, Report
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Cause,
    NoRoute,
    Outcome,
    Request,
    RequestModel,
    Routed,
)
from ingress2gateway.verification.probes import requests_for_routes

EXPLAINING_LEVELS = (Level.WARNING, Level.ERROR)
"""Notifications at these levels explain a difference: an info says nothing changed, unless
its code is one of the providers' ``intended_differences``."""


@dataclass(frozen=True)
class Difference:
    """One request the two data planes answer differently."""

    request: Request
    source: Routed
    target: Routed
    explained_by: tuple[str, ...] = ()
    """The codes of the notifications that announce it (empty: unexplained)."""

    @property
    def explained(self) -> bool:
        return bool(self.explained_by)

    @property
    def subject(self) -> Cause | None:
        """The input object (and field) whose behaviour changed, when the source model knows."""
        return self.source.causes[0] if self.source.causes else None

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request.to_json(),
            "source": _outcome_json(self.source),
            "target": _outcome_json(self.target),
            "explainedBy": list(self.explained_by),
        }


def _outcome_json(routed: Routed) -> dict[str, Any]:
    body = routed.outcome.to_json()
    body["decidedBy"] = [c.display() for c in routed.causes]
    return body


@dataclass
class VerifyResult:
    """What :func:`~ingress2gateway.verification.verify` found."""

    requests: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]

    @property
    def classes(self) -> int:
        """Distinct (source, target) answer pairs among the differences."""
        return len({(d.source.outcome, d.target.outcome) for d in self.differences})

    def summary(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "classes": self.classes,
            "differences": len(self.differences),
            "unexplained": len(self.unexplained),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "differences": [d.to_json() for d in self.differences],
        }

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        if fail_on == "difference":
            return bool(self.differences)
        return bool(self.unexplained)


def compare(
    source: RequestModel,
    requests: Iterable[Request],
    output: Sequence[dict[str, Any]],
    report: Report | Recorder | None = None,
    intended: frozenset[str] = frozenset(),
) -> VerifyResult:
    """Route ``requests`` (and those the output's routes call for) through ``source`` and
    through the Gateway API model of ``output``; differences explained by ``report`` (its
    warnings and errors, and its infos whose codes are ``intended``: the providers'
    ``intended_differences``)."""
    target = GatewayAPIModel(output)
    every = sorted({*requests, *requests_for_routes(output)}, key=Request.sort_key)
    notes = _notes_by_object(report, intended)
    result = VerifyResult(len(every))
    for request in every:
        expected = source.route(request)
        actual = target.route(request)
        if _same(expected.outcome, actual.outcome):
            continue
        result.differences.append(
            Difference(request, expected, actual, _explanations(expected.causes, notes))
        )
    return result


def _same(a: Outcome, b: Outcome) -> bool:
    """Equal outcomes; a request nothing takes is the same however it is refused (a 404 of a
    default server, no listener on the port, a handshake without a certificate for it)."""
    if isinstance(a, NoRoute) and isinstance(b, NoRoute):
        return True
    return a == b


_ObjectKey = tuple[str, str | None, str | None]


def _notes_by_object(
    report: Report | Recorder | None, intended: frozenset[str]
) -> dict[_ObjectKey, list[Notification]]:
    found: dict[_ObjectKey, list[Notification]] = {}
    if report is None:
        return found
    for note in report.notifications:
        if note.source is None:
            continue
        if note.level not in EXPLAINING_LEVELS and note.code not in intended:
            continue
        key = (note.source.kind, note.source.namespace or "default", note.source.name)
        found.setdefault(key, []).append(note)
    return found


def _explanations(
    causes: Sequence[Cause], notes: dict[_ObjectKey, list[Notification]]
) -> tuple[str, ...]:
    codes: dict[str, None] = {}
    for cause in causes:
        for note in notes.get((cause.kind, cause.namespace or "default", cause.name), ()):
            if _related(cause.field, note.field):
                codes.setdefault(note.code, None)
    return tuple(codes)


def _related(cause: str, noted: str | None) -> bool:
    """Whether a notification on field ``noted`` speaks of field ``cause``: the same field,
    one inside the other, or either of them the whole object."""
    if not cause or not noted:
        return True
    if cause == noted:
        return True
    return cause.startswith((noted + ".", noted + "[")) or noted.startswith(
        (cause + ".", cause + "[")
    )
