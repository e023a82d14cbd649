"""Book-keeping shared by the emitters that add an implementation's policies to the standard
objects (envoy-gateway, kgateway, agentgateway): mappers turn IR extensions into fragments of
policies (:mod:`ingress2gateway.emitters.contributions`), and this records what became of each
extension everywhere it applies, then settles it once: consumed or not, its ledger verdict,
its warnings and prerequisites."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.emitters.contributions import (
    BackendRegistry,
    Contribution,
    MapEnv,
    Mapper,
    MergeConflict,
    merged,
)
from ingress2gateway.emitters.gatewayapi import GROUP, GatewayAPIBuilder, metadata
from ingress2gateway.ir import (
    IR,
    CorsFilter,
    Extension,
    Gateway,
    Provenance,
    ReferenceGrant,
    Route,
    Rule,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.reporting.report import Need, Status, merge_status

PARTIAL_CODE = "feature-partial"


@dataclass
class Verdict:
    """What became of one extension across every place it applies."""

    extension: Extension
    status: Status | None = None
    """The verdicts of the places it went into, merged; None until the first."""
    targets: set[ObjectRef] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Places where it could not be applied (a conflicting value, no rule names …)."""


class PolicyState:
    """One emission's book-keeping: the names it gave, the objects it adds to the builder's,
    and for each IR extension the verdict of every place it went into, settled into the
    ledger, the report and the consumed mark at the end (:meth:`finish`).

    An implementation's emitter makes one with its API version (the objects it adds are of
    that group), its conflict code and its backend registry."""

    def __init__(
        self,
        ctx: EmitContext,
        builder: GatewayAPIBuilder,
        *,
        api_version: str,
        conflict_code: str,
        backends: BackendRegistry,
    ) -> None:
        self.ctx = ctx
        self.api_version = api_version
        self.conflict_code = conflict_code
        self.report = ctx.report
        self.builder = builder
        self.objects: list[Emitted] = []
        self.names: dict[tuple[str, str | None], NameAllocator] = {}
        self.grants: dict[ReferenceGrant, list[Provenance]] = {}
        self.backends = backends
        self.verdicts: dict[int, Verdict] = {}
        self.credits: dict[ObjectRef, list[Provenance]] = {}
        """Input fields that went into objects (the builder's routes among them), beyond what
        the builder credited: the extensions each expresses."""
        self.direct_responses: dict[tuple[str | None, int], Emitted] = {}
        """The objects answering a status (Envoy Gateway's HTTPRouteFilter, kgateway's
        DirectResponse), one per namespace and status."""
        self._contributions: dict[
            tuple[int, Mapper, str | None, frozenset[str], str | None], Contribution | None
        ] = {}

    # --- mapping --------------------------------------------------------------------------

    def contribution(
        self,
        ext: Extension,
        mapper: Mapper,
        namespace: str | None,
        schemes: frozenset[str] = frozenset(),
        route_kind: str | None = None,
    ) -> Contribution | None:
        """The mapper's answer for ``ext`` in ``namespace``, for a route of ``route_kind`` on
        listeners of ``schemes`` (computed once)."""
        # The mapper is part of the key: one extension (timeouts) feeds two policy kinds.
        key = (id(ext), mapper, namespace, schemes, route_kind)
        if key not in self._contributions:
            rule_names = route_kind is not None and self.ctx.target.has_field(
                route_kind, "spec.rules[].name"
            )
            env = MapEnv(
                namespace, self.ctx.options, self.backends, schemes, route_kind, rule_names
            )
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
        for obj in contribution.objects:
            if all(existing.ref != obj.ref for existing in self.objects):
                self.objects.append(obj)
            verdict.targets.add(obj.ref)
        for grant in contribution.grants:
            self.grants.setdefault(grant, []).extend(ext.provenance)

    def reject(self, ext: Extension, problem: str) -> None:
        verdict = self.verdicts.setdefault(id(ext), Verdict(ext))
        if problem not in verdict.problems:
            verdict.problems.append(problem)

    # --- objects --------------------------------------------------------------------------

    def name(self, kind: str, namespace: str | None, wanted: str, identity: str) -> str:
        allocator = self.names.setdefault((kind, namespace), NameAllocator())
        return allocator.allocate(wanted, identity)

    def add_object(
        self, kind: str, namespace: str | None, name: str, spec: JSONDict, exts: list[Extension]
    ) -> Emitted:
        body: JSONDict = {
            "apiVersion": self.api_version,
            "kind": kind,
            "metadata": metadata(name, namespace),
            "spec": spec,
        }
        emitted = Emitted(ObjectRef(kind, namespace, name), body)
        emitted.sources = _sources(exts)
        self.objects.append(emitted)
        return emitted

    # --- the end --------------------------------------------------------------------------

    def finish(self, built: list[Emitted]) -> list[Emitted]:
        """Mark what was expressed consumed, say so in the ledger, add grants; return
        ``built`` (the builder's objects) and this emission's own, each with the extensions
        it expresses in its provenance."""
        for verdict in self.verdicts.values():
            self._settle(verdict)
        for grant in sorted(self.grants, key=_grant_key):
            emitted = self.builder.reference_grant(grant, self.grants[grant])
            if emitted is not None:
                self.builder.provenance_of(emitted)
                emitted.sources = sorted(
                    {p.source for p in self.grants[grant]}, key=SourceRef.sort_key
                )
                self.objects.append(emitted)
        for obj in self.objects:
            if not obj.sources:
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
        # Explanations go once per extension, under its first input field.
        first = ext.provenance[0] if ext.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        for problem in verdict.problems:
            self.report.warning(self.conflict_code, f"{ext.describe()}: {problem}", **where)
        if not verdict.targets:
            return  # left unconsumed: the pipeline reports it as unsupported
        ext.consumed = True
        status = verdict.status or Status.CONVERTED
        notes = list(verdict.notes)
        if verdict.problems:
            status = Status.PARTIAL  # applied in some places, not in others
            notes.extend(verdict.problems)
        note = "; ".join(notes) or None
        for code, message in verdict.warnings:
            self.report.warning(code, message, **where)
        if status is Status.PARTIAL and verdict.notes and not verdict.warnings:
            # What is carried only in part changes behaviour: a warning, not only a ledger note
            # (the specific warnings above already say it where there are some).
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


def target_ref(kind: str, name: str, section: str | None = None) -> JSONDict:
    ref: JSONDict = {"group": GROUP, "kind": kind, "name": name}
    if section:
        ref["sectionName"] = section
    return ref


def _sources(exts: list[Extension]) -> list[SourceRef]:
    return sorted({p.source for ext in exts for p in ext.provenance}, key=SourceRef.sort_key)


def _grant_key(grant: ReferenceGrant) -> tuple[str, ...]:
    return (
        grant.namespace,
        grant.from_namespace,
        grant.from_kind,
        grant.to_kind,
        grant.to_name or "",
    )


Item = tuple[Extension, Contribution]
"""An extension and what a mapper made of it."""


def rule_extensions(rule: Rule) -> list[Extension]:
    """The rule's extensions, plus the CORS settings of a standard filter the target lacked."""
    exts = list(rule.extensions)
    for item in rule.filters:
        if isinstance(item, CorsFilter) and all(item.cors is not e for e in exts):
            exts.append(item.cors)
    return exts


def rule_labels(names: list[str | None]) -> list[str]:
    """A name per rule: its own, else ``rule-<index>`` (never one another rule has), for a
    policy that targets one rule by ``sectionName``."""
    taken = {n for n in names if n}
    labels = []
    for index, name in enumerate(names):
        if name:
            labels.append(name)
            continue
        label, counter = f"rule-{index}", 1
        while label in taken:
            label, counter = f"rule-{index}-{counter}", counter + 1
        taken.add(label)
        labels.append(label)
    return labels


def unique_items(items: Iterable[Item]) -> list[Item]:
    """``items`` with each extension once (the first)."""
    seen: set[int] = set()
    out = []
    for ext, contribution in items:
        if id(ext) not in seen:
            seen.add(id(ext))
            out.append((ext, contribution))
    return out


def with_partial_note(contribution: Contribution, note: str) -> Contribution:
    """``contribution`` carried only in part, for the reason ``note``."""
    combined = f"{contribution.note}; {note}" if contribution.note else note
    return replace(
        contribution, status=merge_status(contribution.status, Status.PARTIAL), note=combined
    )


Parents = dict[tuple[str, str | None, str], dict[str, str]]
"""(kind, namespace, name) of each Gateway and ListenerSet → its listeners' protocols by name."""


def listener_protocols(ir: IR) -> Parents:
    """The protocol of every listener of the IR's Gateways and ListenerSets."""
    found: Parents = {}
    for gateway in ir.gateways:
        found[("Gateway", gateway.namespace, gateway.name)] = {
            listener.name: listener.protocol for listener in gateway.listeners
        }
    for listener_set in ir.listener_sets:
        found[("ListenerSet", listener_set.namespace, listener_set.name)] = {
            listener.name: listener.protocol for listener in listener_set.listeners
        }
    return found


def route_schemes(route: Route, parents: Parents) -> frozenset[str]:
    """The HTTP protocols of the listeners ``route`` attaches to (a parent without a section
    name attaches to every listener of its Gateway)."""
    schemes: set[str] = set()
    for parent in route.parent_refs:
        listeners = parents.get((parent.kind, parent.namespace or route.namespace, parent.name), {})
        if parent.section_name is not None:
            protocol = listeners.get(parent.section_name)
            schemes.update([protocol] if protocol else [])
        else:
            schemes.update(listeners.values())
    return frozenset(schemes & {"HTTP", "HTTPS"})


def fragment(items: list[Item]) -> tuple[JSONDict, list[Item], list[Item]]:
    """Merge contributions; those that conflict with an earlier one are returned apart."""
    spec: JSONDict = {}
    accepted: list[Item] = []
    conflicting: list[Item] = []
    for ext, contribution in items:
        try:
            spec = merged(spec, contribution.spec)
        except MergeConflict:
            conflicting.append((ext, contribution))
            continue
        accepted.append((ext, contribution))
    return spec, accepted, conflicting


def reject_conflicts(state: PolicyState, items: list[Item], where: str) -> None:
    """Each of ``items`` conflicts with a setting already made at ``where``."""
    for ext, contribution in items:
        fields = ", ".join(sorted(contribution.spec)) or "a field"
        state.reject(ext, f"another setting of {fields} already applies to {where}")


def merged_field(base: JSONDict, extra: JSONDict, key: str) -> Any:
    """``base[key]`` and ``extra[key]`` merged, or None when they set something differently."""
    try:
        return merged({key: base[key]}, {key: extra[key]})[key]
    except MergeConflict:
        return None


def gateway_settings(
    state: PolicyState, gateway: Gateway, mappers: Mapping[type, Mapper]
) -> tuple[JSONDict, list[Item]]:
    """The Gateway-wide settings ``mappers`` make of ``gateway``'s unconsumed extensions,
    merged into one policy ``spec``, and the extensions that went into it; one that conflicts
    with an earlier one is rejected."""
    spec: JSONDict = {}
    accepted: list[Item] = []
    for ext in gateway.extensions:
        mapper = mappers.get(type(ext))
        if mapper is None or ext.consumed:
            continue
        contribution = state.contribution(ext, mapper, gateway.namespace)
        if contribution is None:
            continue
        try:
            spec = merged(spec, contribution.spec)
        except MergeConflict as conflict:
            state.reject(ext, f"another setting of {conflict} applies to {gateway.name}")
            continue
        accepted.append((ext, contribution))
    return spec, accepted
