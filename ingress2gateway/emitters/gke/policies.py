"""Book-keeping for the GKE policies: one object per kind and target, fragments merged into it,
and what became of each extension (the ledger verdict) once every place it applies is known.

GKE's policies attach to one object each (``targetRef``, singular, in the target's namespace:
"Configure Gateway resources using Policies", restrictions section); GCPTrafficDistributionPolicy
takes ``targetRefs`` but one Service is enough. Two settings that give one target's policy
different values conflict: the first (in output order) is kept, the other is reported there.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Protocol

from ingress2gateway.converting.naming import fit
from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import Provenance
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Recorder, Status, merge_status

API_VERSION = "networking.gke.io/v1"
"""Every kind this emitter writes is ``networking.gke.io/v1`` in GKE's v1.4.0 CRDs."""

POLICY_LABEL = {"gateway.networking.k8s.io/policy": "Direct"}
"""The label GKE's CRDs carry (a Direct policy: it applies to its target alone)."""

KIND_ORDER = (
    "GCPGatewayPolicy",
    "GCPBackendPolicy",
    "GCPSessionAffinityPolicy",
    "GCPTrafficDistributionPolicy",
)

UNWRAPPED = frozenset({"GCPSessionAffinityPolicy"})
"""Kinds whose settings sit directly in ``spec`` (the others' in ``spec.default``)."""


class Source(Protocol):
    """What a fragment comes from: an IR extension, or a route timeout (:mod:`.gate`)."""

    @property
    def provenance(self) -> list[Provenance]: ...


@dataclass
class Fragment:
    """A part of one policy's ``spec.default`` an extension asks for."""

    kind: str
    spec: JSONDict
    status: Status = Status.CONVERTED
    note: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(code, message) said once per extension, under its first input field."""
    needs: list[tuple[Need, str, str]] = field(default_factory=list)


@dataclass
class Target:
    """What a policy attaches to."""

    kind: str
    namespace: str | None
    name: str
    group: str = ""

    def ref(self) -> JSONDict:
        body: JSONDict = {"group": self.group, "kind": self.kind, "name": self.name}
        return body


@dataclass
class Verdict:
    source: Source
    describe: str
    ledger: bool
    """Whether the source's fields get a ledger entry here (an extension's do; a route
    timeout's field is the rule's, whose entry the route has)."""
    status: Status | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    targets: set[ObjectRef] = field(default_factory=set)


@dataclass
class Policy:
    kind: str
    target: Target
    spec: JSONDict = field(default_factory=dict)
    provenance: list[Provenance] = field(default_factory=list)


class MergeConflict(Exception):
    pass


def canonical(spec: JSONDict) -> str:
    """A stable text form of a fragment, to compare them."""
    return json.dumps(spec, sort_keys=True)


def merged(base: JSONDict, extra: JSONDict) -> JSONDict:
    out = copy.deepcopy(base)
    _merge_into(out, extra)
    return out


def _merge_into(target: JSONDict, extra: JSONDict) -> None:
    for key, value in extra.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge_into(target[key], value)
        elif target[key] != value:
            raise MergeConflict(key)


class Policies:
    def __init__(self, report: Recorder) -> None:
        self.report = report
        self.policies: dict[tuple[str, str | None, str, str], Policy] = {}
        self.verdicts: dict[int, Verdict] = {}

    def verdict(self, source: Source, describe: str, ledger: bool = True) -> Verdict:
        return self.verdicts.setdefault(id(source), Verdict(source, describe, ledger))

    def add(
        self,
        source: Source,
        describe: str,
        fragment: Fragment,
        target: Target,
        ledger: bool = True,
        extra_note: str | None = None,
    ) -> None:
        """Merge ``fragment`` into the policy of its kind for ``target``."""
        verdict = self.verdict(source, describe, ledger)
        key = (fragment.kind, target.namespace, target.kind, target.name)
        policy = self.policies.get(key)
        if policy is None:
            policy = Policy(fragment.kind, target)
        try:
            spec = merged(policy.spec, fragment.spec)
        except MergeConflict as conflict:
            problem = (
                f"{target.kind} {target.name} already has another {conflict} in its {fragment.kind}"
            )
            if problem not in verdict.problems:
                verdict.problems.append(problem)
            return
        policy.spec = spec
        policy.provenance.extend(source.provenance)
        self.policies[key] = policy
        status = fragment.status
        notes = [n for n in (fragment.note, extra_note) if n]
        if extra_note:
            status = merge_status(status, Status.PARTIAL)
        verdict.status = status if verdict.status is None else merge_status(verdict.status, status)
        for note in notes:
            if note not in verdict.notes:
                verdict.notes.append(note)
        for item in fragment.warnings:
            if item not in verdict.warnings:
                verdict.warnings.append(item)
        for need in fragment.needs:
            if need not in verdict.needs:
                verdict.needs.append(need)
        verdict.targets.add(self.ref(policy))

    def accept(
        self, source: Source, describe: str, fragment: Fragment, refs: list[ObjectRef]
    ) -> None:
        """``source`` is carried by objects already made (``refs``) plus what ``fragment``
        requires of the cluster; no policy (its ``spec`` is ignored)."""
        verdict = self.verdict(source, describe)
        verdict.status = (
            fragment.status
            if verdict.status is None
            else merge_status(verdict.status, fragment.status)
        )
        if fragment.note and fragment.note not in verdict.notes:
            verdict.notes.append(fragment.note)
        for item in fragment.warnings:
            if item not in verdict.warnings:
                verdict.warnings.append(item)
        for need in fragment.needs:
            if need not in verdict.needs:
                verdict.needs.append(need)
        verdict.targets.update(refs)

    def ref(self, policy: Policy) -> ObjectRef:
        return ObjectRef(policy.kind, policy.target.namespace, self.name(policy))

    @staticmethod
    def name(policy: Policy) -> str:
        # One policy per kind and target: the target's name is unique for its kind and
        # namespace, and the two Service-attached kinds have distinct kinds.
        return fit(policy.target.name, f"{policy.kind}/{policy.target.kind}/{policy.target.name}")

    def objects(self) -> list[Emitted]:
        out = []
        for key in sorted(self.policies, key=_order):
            policy = self.policies[key]
            spec: JSONDict = (
                dict(policy.spec) if policy.kind in UNWRAPPED else {"default": policy.spec}
            )
            ref_key = "targetRefs" if policy.kind == "GCPTrafficDistributionPolicy" else "targetRef"
            spec[ref_key] = (
                [policy.target.ref()] if ref_key == "targetRefs" else policy.target.ref()
            )
            meta = metadata(self.name(policy), policy.target.namespace)
            meta["labels"] = dict(POLICY_LABEL)
            body: JSONDict = {
                "apiVersion": API_VERSION,
                "kind": policy.kind,
                "metadata": meta,
                "spec": spec,
            }
            emitted = Emitted(self.ref(policy), body)
            emitted.provenance = list(dict.fromkeys(policy.provenance))
            emitted.sources = sorted({p.source for p in emitted.provenance}, key=SourceRef.sort_key)
            out.append(emitted)
        return out

    def settle(self) -> None:
        """Mark what was expressed consumed and say so in the ledger; the rest stays
        unconsumed, for the pipeline to report."""
        for verdict in self.verdicts.values():
            self._settle(verdict)

    def _settle(self, verdict: Verdict) -> None:
        source = verdict.source
        first = source.provenance[0] if source.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        for problem in verdict.problems:
            self.report.warning("gke-policy-conflict", f"{verdict.describe}: {problem}", **where)
        if not verdict.targets:
            return
        if hasattr(source, "consumed"):
            source.consumed = True
        status = verdict.status or Status.CONVERTED
        notes = list(verdict.notes)
        if verdict.problems:
            status = Status.PARTIAL
            notes.extend(verdict.problems)
        for code, message in verdict.warnings:
            self.report.warning(code, message, **where)
        if status is Status.PARTIAL and verdict.notes and not verdict.warnings:
            # Carried in part changes behaviour: a warning, not only a ledger note.
            self.report.warning(
                "feature-partial",
                f"{verdict.describe} is carried in part: {'; '.join(verdict.notes)}",
                **where,
            )
        if verdict.ledger:
            note = "; ".join(notes) or None
            for item in source.provenance:
                self.report.record(item.source, item.field, status, note=note)
        for need, subject, action in verdict.needs:
            for src in dict.fromkeys(item.source for item in source.provenance) or (None,):
                self.report.require(need, subject, action, source=src)


def _order(key: tuple[str, str | None, str, str]) -> tuple[int, str, str, str]:
    kind, namespace, target_kind, name = key
    return (KIND_ORDER.index(kind), namespace or "", target_kind, name)
