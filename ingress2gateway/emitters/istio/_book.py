"""Book-keeping for one Istio emission: the objects built (specs merged per object), and what
became of each IR extension across every place it applies (the ledger verdict), settled once
everything is placed.

A security extension that could not be placed everywhere it applies is left unconsumed even
where it was placed: the pipeline then closes every rule it protects (the policies written
remain, and only restrict more).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.emitters.envoy_gateway._base import MergeConflict, merged
from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import Extension, Provenance
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Recorder, Status, merge_status

CONFLICT_CODE = "istio-policy-conflict"

Warning = tuple[str, str]
Needed = tuple[Need, str, str]


@dataclass
class Verdict:
    extension: Extension
    status: Status | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    needs: list[Needed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    targets: set[ObjectRef] = field(default_factory=set)


@dataclass
class Carried:
    """What one extension asks of one object: a part of its ``spec`` and the verdict."""

    spec: JSONDict
    status: Status = Status.CONVERTED
    note: str | None = None
    warnings: list[Warning] = field(default_factory=list)
    needs: list[Needed] = field(default_factory=list)


class Book:
    def __init__(self, report: Recorder) -> None:
        self.report = report
        self.objects: dict[ObjectRef, Emitted] = {}
        self.verdicts: dict[int, Verdict] = {}
        self.names: dict[tuple[str, str | None], NameAllocator] = {}

    def name(self, kind: str, namespace: str | None, wanted: str, identity: str) -> str:
        allocator = self.names.setdefault((kind, namespace), NameAllocator())
        return allocator.allocate(wanted, identity)

    def add(
        self,
        ext: Extension,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        carried: Carried,
        where: str,
    ) -> bool:
        """Merge ``carried.spec`` into object ``kind`` ``namespace/name`` (made on first use);
        False, and a problem noted, when it contradicts what is there."""
        ref = ObjectRef(kind, namespace, name)
        item = self.objects.get(ref)
        base: JSONDict = item.body["spec"] if item is not None else {}
        try:
            spec = merged(base, carried.spec)
        except MergeConflict as conflict:
            self.reject(ext, f"{where} already has another {conflict}")
            return False
        if item is None:
            body: JSONDict = {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": metadata(name, namespace),
                "spec": spec,
            }
            item = Emitted(ref, body)
            self.objects[ref] = item
        else:
            item.body["spec"] = spec
        self.accept(ext, carried, [ref])
        return True

    def accept(self, ext: Extension, carried: Carried, refs: list[ObjectRef]) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        verdict.status = (
            carried.status
            if verdict.status is None
            else merge_status(verdict.status, carried.status)
        )
        if carried.note and carried.note not in verdict.notes:
            verdict.notes.append(carried.note)
        for warning in carried.warnings:
            if warning not in verdict.warnings:
                verdict.warnings.append(warning)
        for need in carried.needs:
            if need not in verdict.needs:
                verdict.needs.append(need)
        verdict.targets.update(refs)
        for ref in refs:
            if ref in self.objects:
                obj = self.objects[ref]
                obj.provenance = list(dict.fromkeys([*obj.provenance, *ext.provenance]))

    def reject(self, ext: Extension, problem: str) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        if problem not in verdict.problems:
            verdict.problems.append(problem)

    def emitted(self) -> list[Emitted]:
        out = []
        for ref in sorted(self.objects, key=_order):
            item = self.objects[ref]
            item.body = copy.deepcopy(item.body)
            item.sources = sorted({p.source for p in item.provenance}, key=SourceRef.sort_key)
            out.append(item)
        return out

    def settle(self) -> None:
        for verdict in self.verdicts.values():
            self._settle(verdict)

    def _settle(self, verdict: Verdict) -> None:
        ext = verdict.extension
        first = ext.provenance[0] if ext.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        for problem in verdict.problems:
            self.report.warning(CONFLICT_CODE, f"{ext.describe()}: {problem}", **where)
        if not verdict.targets or (ext.SECURITY and verdict.problems):
            return  # left unconsumed: the pipeline reports it (and closes what it protects)
        ext.consumed = True
        status = verdict.status or Status.CONVERTED
        notes = list(verdict.notes)
        if verdict.problems:
            status = Status.PARTIAL
            notes.extend(verdict.problems)
        for code, message in verdict.warnings:
            self.report.warning(code, message, **where)
        if status is Status.PARTIAL and verdict.notes and not verdict.warnings:
            self.report.warning(
                "feature-partial",
                f"{ext.describe()} is carried in part: {'; '.join(verdict.notes)}",
                **where,
            )
        note = "; ".join(notes) or None
        for item in ext.provenance:
            self.report.record(item.source, item.field, status, note=note)
        for need, subject, action in verdict.needs:
            for source in dict.fromkeys(item.source for item in ext.provenance) or (None,):
                self.report.require(need, subject, action, source=source)


KIND_ORDER = ("RequestAuthentication", "AuthorizationPolicy", "DestinationRule")


def _order(ref: ObjectRef) -> tuple[int, str, str]:
    rank = KIND_ORDER.index(ref.kind) if ref.kind in KIND_ORDER else len(KIND_ORDER)
    return (rank, ref.namespace or "", ref.name)


def provenance_of(exts: list[Extension]) -> list[Provenance]:
    return [p for ext in exts for p in ext.provenance]
