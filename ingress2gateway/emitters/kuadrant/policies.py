"""Book-keeping for the Kuadrant policies: one object per kind and target (Kuadrant's policies
take one singular ``targetRef``, implementations.md §5), and what became of each extension once
every rule it applies to is known.

An access control that could not be attached to every rule it protects is NOT marked consumed:
the pipeline then closes all of them, where consuming it would leave the missed rules open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.emitters.gatewayapi import GROUP, metadata
from ingress2gateway.ir import Extension
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Recorder, Status, merge_status

from .mapping import AUTH_POLICY, Fragment

API_VERSION = "kuadrant.io/v1"
CONFLICT_CODE = "kuadrant-policy-conflict"
PARTIAL_CODE = "feature-partial"
BODY_KEY = {AUTH_POLICY: "rules"}
"""Where a fragment goes in the spec (a RateLimitPolicy's fragment is ``{"limits": …}``
already, an AuthPolicy's is the content of ``rules``)."""


@dataclass
class Verdict:
    extension: Extension
    status: Status | None = None
    targets: set[ObjectRef] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Policies:
    def __init__(self, report: Recorder) -> None:
        self.report = report
        self.objects: list[Emitted] = []
        self.verdicts: dict[int, Verdict] = {}
        self.names: dict[tuple[str, str | None], NameAllocator] = {}

    def add(
        self,
        kind: str,
        namespace: str | None,
        wanted: str,
        target: JSONDict,
        spec: JSONDict,
        items: list[tuple[Extension, Fragment]],
    ) -> ObjectRef:
        identity = f"{target['kind']}/{namespace}/{target['name']}/{target.get('sectionName', '')}"
        allocator = self.names.setdefault((kind, namespace), NameAllocator())
        name = allocator.allocate(wanted, identity)
        key = BODY_KEY.get(kind)
        if kind == AUTH_POLICY and "authentication" not in spec:
            # An IP check alone: every client is let through authentication (anonymously) and
            # the authorization decides; said explicitly, never merged with another identity
            # source (Authorino accepts any one of them, which would widen a JWT check).
            spec = {"authentication": {"anonymous": {"anonymous": {}}}, **spec}
        body_spec: JSONDict = {"targetRef": target, **({key: spec} if key else spec)}
        body: JSONDict = {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata(name, namespace),
            "spec": body_spec,
        }
        emitted = Emitted(ObjectRef(kind, namespace, name), body)
        exts = [ext for ext, _ in items]
        emitted.provenance = list(dict.fromkeys(p for ext in exts for p in ext.provenance))
        emitted.sources = sorted({p.source for p in emitted.provenance}, key=SourceRef.sort_key)
        self.objects.append(emitted)
        for ext, fragment in items:
            self.accept(ext, fragment, emitted.ref)
        return emitted.ref

    def accept(self, ext: Extension, fragment: Fragment, ref: ObjectRef) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        verdict.status = (
            fragment.status
            if verdict.status is None
            else merge_status(verdict.status, fragment.status)
        )
        verdict.targets.add(ref)
        if fragment.note and fragment.note not in verdict.notes:
            verdict.notes.append(fragment.note)
        for item in fragment.warnings:
            if item not in verdict.warnings:
                verdict.warnings.append(item)
        for need in fragment.needs:
            if need not in verdict.needs:
                verdict.needs.append(need)

    def reject(self, ext: Extension, problem: str) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        if problem not in verdict.problems:
            verdict.problems.append(problem)

    def settle(self) -> None:
        for verdict in self.verdicts.values():
            self._settle(verdict)

    def _settle(self, verdict: Verdict) -> None:
        ext = verdict.extension
        first = ext.provenance[0] if ext.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        for problem in verdict.problems:
            self.report.warning(CONFLICT_CODE, f"{ext.describe()}: {problem}", **where)
        if not verdict.targets or (verdict.problems and ext.SECURITY):
            return  # unconsumed: the pipeline reports it (and closes what an access control guards)
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
                PARTIAL_CODE,
                f"{ext.describe()} is carried in part: {'; '.join(verdict.notes)}",
                **where,
            )
        note = "; ".join(notes) or None
        for item in ext.provenance:
            self.report.record(item.source, item.field, status, note=note)
        for need, subject, action in verdict.needs:
            for source in dict.fromkeys(item.source for item in ext.provenance) or (None,):
                self.report.require(need, subject, action, source=source)


def target_ref(kind: str, name: str, section: str | None = None) -> JSONDict:
    ref: JSONDict = {"group": GROUP, "kind": kind, "name": name}
    if section:
        ref["sectionName"] = section
    return ref
