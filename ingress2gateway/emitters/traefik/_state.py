"""Book-keeping for one traefik emission: Middleware names, the Middlewares themselves (one per
namespace and content, shared by every rule that needs it), ledger verdicts (the kgateway
emitter's book-keeping, writing Traefik objects and codes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.emitters.envoy_gateway._base import BackendRegistry
from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder, metadata
from ingress2gateway.ir import Extension, Provenance
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.reporting.report import Need, Status, merge_status

from ._base import MIDDLEWARE, TRAEFIK_API_VERSION, Contribution, MapEnv, Mapper, canonical

CONFLICT_CODE = "traefik-middleware-conflict"
PARTIAL_CODE = "feature-partial"


@dataclass
class Verdict:
    """What became of one extension across every rule it applies to."""

    extension: Extension
    status: Status | None = None
    targets: set[ObjectRef] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class State:
    def __init__(self, ctx: EmitContext, builder: GatewayAPIBuilder) -> None:
        self.ctx = ctx
        self.report = ctx.report
        self.builder = builder
        self.objects: list[Emitted] = []
        self.names: dict[str, NameAllocator] = {}
        self.middlewares: dict[tuple[str | None, str], Emitted] = {}
        self.verdicts: dict[int, Verdict] = {}
        self.credits: dict[ObjectRef, list[Provenance]] = {}
        self._contributions: dict[tuple[int, Mapper, str | None, str | None], Contribution | None]
        self._contributions = {}

    def contribution(
        self, ext: Extension, mapper: Mapper, namespace: str | None, route_kind: str | None
    ) -> Contribution | None:
        """The mapper's answer for ``ext`` in ``namespace`` (computed once)."""
        key = (id(ext), mapper, namespace, route_kind)
        if key not in self._contributions:
            env = MapEnv(namespace, self.ctx.options, BackendRegistry(), route_kind=route_kind)
            self._contributions[key] = mapper(ext, env)
        return self._contributions[key]

    def accept(self, ext: Extension, contribution: Contribution, refs: list[ObjectRef]) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        verdict.status = (
            contribution.status
            if verdict.status is None
            else merge_status(verdict.status, contribution.status)
        )
        verdict.targets.update(refs)
        if contribution.note and contribution.note not in verdict.notes:
            verdict.notes.append(contribution.note)
        for warning in contribution.warnings:
            if warning not in verdict.warnings:
                verdict.warnings.append(warning)
        for need in contribution.needs:
            if need not in verdict.needs:
                verdict.needs.append(need)

    def reject(self, ext: Extension, problem: str) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        if problem not in verdict.problems:
            verdict.problems.append(problem)

    def middleware(
        self, namespace: str | None, wanted: str, spec: JSONDict, kind: str = MIDDLEWARE
    ) -> Emitted:
        """The namespace's Middleware (or ``kind``) with ``spec``, made on first use."""
        identity = canonical(spec)
        found = self.middlewares.get((namespace, f"{kind}/{identity}"))
        if found is not None:
            return found
        allocator = self.names.setdefault(f"{kind}/{namespace}", NameAllocator())
        name = allocator.allocate(wanted, identity)
        body: JSONDict = {
            "apiVersion": TRAEFIK_API_VERSION,
            "kind": kind,
            "metadata": metadata(name, namespace),
            "spec": spec,
        }
        found = Emitted(ObjectRef(kind, namespace, name), body)
        self.middlewares[namespace, f"{kind}/{identity}"] = found
        self.objects.append(found)
        return found

    def finish(self, built: list[Emitted]) -> list[Emitted]:
        """Mark what was expressed consumed, say so in the ledger; return ``built`` and the
        Middlewares, each with the extensions it expresses in its provenance."""
        for verdict in self.verdicts.values():
            self._settle(verdict)
        for obj in self.objects:
            obj.sources = sorted(
                {
                    p.source
                    for v in self.verdicts.values()
                    if obj.ref in v.targets
                    for p in v.extension.provenance
                },
                key=SourceRef.sort_key,
            )
        every = built + self.objects
        for obj in every:
            credited = self.credits.pop(obj.ref, None)
            if credited:
                obj.provenance = list(dict.fromkeys([*obj.provenance, *credited]))
        return every

    def _settle(self, verdict: Verdict) -> None:
        ext = verdict.extension
        first = ext.provenance[0] if ext.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        for problem in verdict.problems:
            self.report.warning(CONFLICT_CODE, f"{ext.describe()}: {problem}", **where)
        if not verdict.targets:
            return  # left unconsumed: the pipeline reports it (an access control stays closed)
        ext.consumed = True
        status = verdict.status or Status.CONVERTED
        notes = list(verdict.notes)
        if verdict.problems:
            status = Status.PARTIAL
            notes.extend(verdict.problems)
        note = "; ".join(notes) or None
        for code, message in verdict.warnings:
            self.report.warning(code, message, **where)
        if status is Status.PARTIAL and verdict.notes and not verdict.warnings:
            self.report.warning(
                PARTIAL_CODE,
                f"{ext.describe()} is carried in part: {'; '.join(verdict.notes)}",
                **where,
            )
        for item in ext.provenance:
            self.report.record(item.source, item.field, status, note=note)
        for need, subject, action in verdict.needs:
            for source in dict.fromkeys(item.source for item in ext.provenance) or (None,):
                self.report.require(need, subject, action, source=source)
        for ref in verdict.targets:
            self.credits.setdefault(ref, []).extend(ext.provenance)
