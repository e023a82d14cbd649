"""Shared pieces of the nginx-gateway-fabric emitter: the API group and kinds, NGINX's
duration and size forms, and the ledger book-keeping of one emission.

The v2.6.7 CRDs write every duration as ``^[0-9]{1,4}(ms|s|m|h)?$`` (one number of at most four
digits and one unit) and every size as ``^\\d{1,4}(k|m|g)?$``; :func:`duration` and :func:`size`
write the exact value in that form or answer None (never a rounded value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.emitters.envoy_gateway._base import Contribution, duration_ms
from ingress2gateway.emitters.gatewayapi import GROUP, metadata
from ingress2gateway.ir import Extension, Provenance
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.reporting.report import Need, Status, merge_status

NGF_GROUP = "gateway.nginx.org"
NGF_API_VERSION = f"{NGF_GROUP}/v1alpha1"

CLIENT_SETTINGS = "ClientSettingsPolicy"
PROXY_SETTINGS = "ProxySettingsPolicy"
RATE_LIMIT = "RateLimitPolicy"
UPSTREAM_SETTINGS = "UpstreamSettingsPolicy"
AUTHENTICATION_FILTER = "AuthenticationFilter"

ROUTE_POLICIES = (CLIENT_SETTINGS, PROXY_SETTINGS, RATE_LIMIT)
"""The policies that target a Gateway, an HTTPRoute or a GRPCRoute (CEL on their targets)."""
POLICY_TARGETS = frozenset({"Gateway", "HTTPRoute", "GRPCRoute"})

CONTROLLER_NAME = "gateway.nginx.org/nginx-gateway-controller"
DEFAULT_GATEWAY_CLASS = "nginx"
"""The GatewayClass the NGF Helm chart creates (``charts/nginx-gateway-fabric/values.yaml``)."""

PARTIAL_CODE = "feature-partial"

_MAX = 9999


def duration(text: str | None) -> str | None:
    """A Go style duration (``90s``, ``1m30s``) in NGF's one-unit form, or None."""
    if text is None:
        return None
    total = duration_ms(text)
    if total is None:
        return None
    for unit, factor in (("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)):
        if total % factor == 0 and total // factor <= _MAX:
            return f"{total // factor}{unit}"
    return None


def size(total: int) -> str | None:
    """Bytes in NGINX's size form (``8m``), or None when no exact form fits four digits."""
    for unit, factor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("", 1)):
        if total % factor == 0 and total // factor <= _MAX:
            return f"{total // factor}{unit}"
    return None


def target_ref(kind: str, name: str, group: str = GROUP) -> JSONDict:
    return {"group": group, "kind": kind, "name": name}


@dataclass
class Verdict:
    """What became of one extension across every place it applies."""

    extension: Extension
    status: Status | None = None
    targets: set[ObjectRef] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)


class State:
    """Names, extra objects and verdicts of one emission."""

    def __init__(self, ctx: EmitContext) -> None:
        self.ctx = ctx
        self.report = ctx.report
        self.objects: list[Emitted] = []
        self.names: dict[tuple[str, str | None], NameAllocator] = {}
        self.verdicts: dict[int, Verdict] = {}
        self.refused: dict[int, list[tuple[Extension, str, str]]] = {}

    def name(self, kind: str, namespace: str | None, wanted: str, identity: str) -> str:
        allocator = self.names.setdefault((kind, namespace), NameAllocator())
        return allocator.allocate(wanted, identity)

    def add_object(
        self, kind: str, namespace: str | None, name: str, spec: JSONDict, exts: list[Extension]
    ) -> Emitted:
        body: JSONDict = {
            "apiVersion": NGF_API_VERSION,
            "kind": kind,
            "metadata": metadata(name, namespace),
            "spec": spec,
        }
        emitted = Emitted(ObjectRef(kind, namespace, name), body)
        emitted.sources = sorted(
            {p.source for ext in exts for p in ext.provenance}, key=SourceRef.sort_key
        )
        self.objects.append(emitted)
        return emitted

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

    def refuse(self, ext: Extension, code: str, problem: str) -> None:
        """``ext`` is not applied at one place; said once per extension and problem."""
        said = self.refused.setdefault(id(ext), [])
        if all(p != problem for _, _, p in said):
            said.append((ext, code, problem))

    def finish(self, built: list[Emitted]) -> list[Emitted]:
        """Mark what was expressed consumed and say so in the ledger; return ``built`` and
        this emission's objects, each crediting the extensions it expresses."""
        credits: dict[ObjectRef, list[Provenance]] = {}
        for problems in self.refused.values():
            for ext, code, problem in problems:
                self.report.warning(code, f"{ext.describe()}: {problem}", **_where(ext))
        for verdict in self.verdicts.values():
            ext = verdict.extension
            if not verdict.targets:
                continue
            ext.consumed = True
            status = verdict.status or Status.CONVERTED
            notes = list(verdict.notes)
            if id(ext) in self.refused:
                status = Status.PARTIAL  # applied in some places, not in others
                notes.extend(p for _, _, p in self.refused[id(ext)])
            for code, message in verdict.warnings:
                self.report.warning(code, message, **_where(ext))
            if status is Status.PARTIAL and verdict.notes and not verdict.warnings:
                message = f"{ext.describe()} is carried in part: {'; '.join(verdict.notes)}"
                self.report.warning(PARTIAL_CODE, message, **_where(ext))
            for item in ext.provenance:
                self.report.record(item.source, item.field, status, note="; ".join(notes) or None)
            for need, subject, action in verdict.needs:
                for source in dict.fromkeys(p.source for p in ext.provenance) or (None,):
                    self.report.require(need, subject, action, source=source)
            for ref in verdict.targets:
                credits.setdefault(ref, []).extend(ext.provenance)
        every = built + self.objects
        for obj in every:
            credited = credits.pop(obj.ref, None)
            if credited:
                obj.provenance = list(dict.fromkeys([*obj.provenance, *credited]))
        return every


def _where(ext: Extension) -> dict[str, object]:
    first = ext.provenance[0] if ext.provenance else None
    return {"source": first.source, "field": first.field} if first else {}
