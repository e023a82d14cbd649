"""The migration plan as data: what :func:`make_plan` builds from a conversion's result (and
what ``verify`` found), and what the Markdown, HTML and JSON forms render.

Every part is plain frozen data with a ``to_json``; the renderers read only
:meth:`Plan.to_json`, so that the JSON form holds everything the other two show.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ingress2gateway.objects import ObjectRef, SourceRef
from ingress2gateway.reporting.report import Need

PLAN_VERSION = 1


class Readiness(str, enum.Enum):
    """How far one source object is from being migrated (see docs/plan.md)."""

    READY = "ready"
    NEEDS_ACTION = "needs-action"
    BLOCKED = "blocked"


class StepKind(str, enum.Enum):
    """What a checklist step comes from, most urgent first."""

    SECURITY_ERROR = "security-error"
    ERROR = "error"
    SECURITY_WARNING = "security-warning"
    WARNING = "warning"
    UNSUPPORTED = "unsupported"
    PARTIAL = "partial"

    @property
    def priority(self) -> int:
        """1 for the most urgent."""
        return list(StepKind).index(self) + 1

    @property
    def blocking(self) -> bool:
        return self in (StepKind.SECURITY_ERROR, StepKind.ERROR)


def source_json(source: SourceRef) -> dict[str, Any]:
    return source.to_json()


@dataclass(frozen=True)
class Concern:
    """An input object (and the field of it) a step is about."""

    source: SourceRef
    field: str | None

    def to_json(self) -> dict[str, Any]:
        return {"source": source_json(self.source), "field": self.field}


@dataclass(frozen=True)
class Step:
    """One item of the checklist: identical findings about several objects are one step."""

    kind: StepKind
    code: str | None
    message: str
    action: str
    concerns: tuple[Concern, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "priority": self.kind.priority,
            "kind": self.kind.value,
            "blocking": self.kind.blocking,
            "code": self.code,
            "message": self.message,
            "action": self.action,
            "concerns": [c.to_json() for c in self.concerns],
        }


@dataclass(frozen=True)
class ObjectStatus:
    """One source routing object's row in its namespace's table."""

    source: SourceRef
    status: Readiness
    steps: int
    """Checklist steps that concern it."""
    errors: int
    warnings: int
    not_carried: int
    """Its fields the ledger says are partial or unsupported."""
    routes: tuple[ObjectRef, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": source_json(self.source),
            "status": self.status.value,
            "steps": self.steps,
            "errors": self.errors,
            "warnings": self.warnings,
            "notCarried": self.not_carried,
            "routes": [r.to_json() for r in self.routes],
        }


@dataclass(frozen=True)
class Team:
    """The source objects of one namespace (one team, usually)."""

    namespace: str | None
    objects: tuple[ObjectStatus, ...]

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "objects": [o.to_json() for o in self.objects]}


@dataclass(frozen=True)
class PlannedPrerequisite:
    """What the cluster needs, once: said by the conversion (``origin`` ``report``) or read
    from the output objects (``output``)."""

    need: Need
    subject: str
    action: str
    sources: tuple[SourceRef, ...]
    origin: str

    def to_json(self) -> dict[str, Any]:
        return {
            "need": self.need.value,
            "subject": self.subject,
            "action": self.action,
            "origin": self.origin,
            "sources": [source_json(s) for s in self.sources],
        }


@dataclass(frozen=True)
class ForeignAnnotation:
    """An annotation of another tool on a source object (ignored by the conversion)."""

    source: SourceRef
    key: str
    value: str | None
    """Its value, when the input objects were given to :func:`make_plan`."""

    def to_json(self) -> dict[str, Any]:
        return {"source": source_json(self.source), "key": self.key, "value": self.value}


@dataclass(frozen=True)
class ReviewGroup:
    """Other tools' annotations with one prefix (``argocd.argoproj.io``)."""

    prefix: str
    annotations: tuple[ForeignAnnotation, ...]

    def to_json(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "annotations": [a.to_json() for a in self.annotations]}


@dataclass(frozen=True, order=True)
class ListenerRef:
    gateway_namespace: str
    gateway: str
    name: str
    port: int
    protocol: str

    def to_json(self) -> dict[str, Any]:
        return {
            "gateway": {"namespace": self.gateway_namespace, "name": self.gateway},
            "listener": self.name,
            "port": self.port,
            "protocol": self.protocol,
        }


@dataclass(frozen=True)
class CutOver:
    """How to move one host: where it is served now, and the commands to switch and check."""

    host: str
    listeners: tuple[ListenerRef, ...]
    routes: tuple[ObjectRef, ...]
    sources: tuple[SourceRef, ...]
    address: str
    """A shell command that sets ``ADDRESS`` to the Gateway's address."""
    dns: str
    check: str
    rollback: str

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "listeners": [listener.to_json() for listener in self.listeners],
            "routes": [r.to_json() for r in self.routes],
            "sources": [source_json(s) for s in self.sources],
            "address": self.address,
            "dns": self.dns,
            "check": self.check,
            "rollback": self.rollback,
        }


@dataclass(frozen=True)
class UnexplainedDifference:
    request: str
    source: str
    """What the source controller answers."""
    migration: str
    """What the migration answers."""
    subject: str | None
    """The input object (and field) that decided the source's answer, when known."""

    def to_json(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "source": self.source,
            "migration": self.migration,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Verification:
    """Where ``verify`` ran: its counts and the differences the report does not explain."""

    ran: bool
    reason: str | None = None
    """Why it did not run."""
    requests: int = 0
    differences: int = 0
    explained: int = 0
    unexplained: tuple[UnexplainedDifference, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "reason": self.reason,
            "requests": self.requests,
            "differences": self.differences,
            "explained": self.explained,
            "unexplained": [d.to_json() for d in self.unexplained],
        }


@dataclass(frozen=True)
class Attachment:
    """A policy (or filter object) that applies to a route, and how it reaches it."""

    policy: ObjectRef
    via: str
    """``route``, ``rule`` (a route's sectionName), ``gateway``, ``listener``, ``backend`` (a
    policy on an object the route sends to) or ``filter`` (an ExtensionRef filter)."""
    target: str
    """What the policy names, for people: ``Gateway default/nginx listener web-https``."""
    present: bool = True
    """Whether the object is in the output (an ExtensionRef may name one that is not)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy.to_json(),
            "via": self.via,
            "target": self.target,
            "inOutput": self.present,
        }


@dataclass(frozen=True)
class RoutePolicies:
    route: ObjectRef
    attachments: tuple[Attachment, ...]

    def to_json(self) -> dict[str, Any]:
        return {"route": self.route.to_json(), "policies": [a.to_json() for a in self.attachments]}


@dataclass(frozen=True)
class Plan:
    """The migration plan (see docs/plan.md for each part)."""

    tool: dict[str, Any]
    target: dict[str, Any]
    teams: tuple[Team, ...]
    checklist: tuple[Step, ...]
    prerequisites: tuple[PlannedPrerequisite, ...]
    review: tuple[ReviewGroup, ...]
    cutover: tuple[CutOver, ...]
    verification: Verification
    routes: tuple[RoutePolicies, ...]

    def summary(self) -> dict[str, int]:
        statuses = [o.status for team in self.teams for o in team.objects]
        return {
            "objects": len(statuses),
            "ready": statuses.count(Readiness.READY),
            "needsAction": statuses.count(Readiness.NEEDS_ACTION),
            "blocked": statuses.count(Readiness.BLOCKED),
            "steps": len(self.checklist),
            "blockingSteps": sum(1 for s in self.checklist if s.kind.blocking),
            "prerequisites": len(self.prerequisites),
            "hosts": len(self.cutover),
            "routes": len(self.routes),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "planVersion": PLAN_VERSION,
            "tool": self.tool,
            "target": self.target,
            "summary": self.summary(),
            "namespaces": [t.to_json() for t in self.teams],
            "checklist": [s.to_json() for s in self.checklist],
            "prerequisites": [p.to_json() for p in self.prerequisites],
            "review": [g.to_json() for g in self.review],
            "cutover": [c.to_json() for c in self.cutover],
            "verify": self.verification.to_json(),
            "routes": [r.to_json() for r in self.routes],
        }
