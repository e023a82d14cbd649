"""Rules after lowering, as Cilium's translation sees them: duplicates, order, wildcard hosts
(see the Paths section)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import HTTPRoute, ParentRef, PathMatch, Rule
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Level

from .common import CiliumRun


@dataclass(frozen=True)
class _Placed:
    model: IngressModel
    path: IngressPath
    route: HTTPRoute
    rule: Rule
    match: PathMatch


def _paths(
    models: Sequence[IngressModel],
) -> dict[tuple[SourceRef, str], tuple[IngressModel, IngressPath]]:
    return {(m.source, p.field): (m, p) for m in models for p in m.paths}


def _group(route: HTTPRoute) -> tuple[tuple[ParentRef, ...], tuple[str, ...], str | None]:
    gateways = tuple(ParentRef(p.name, p.namespace or route.namespace) for p in route.parent_refs)
    return (gateways, tuple(route.hostnames), None)


def _placed(models: Sequence[IngressModel], lowered: Lowered) -> list[_Placed]:
    by_field = _paths(models)
    found: list[_Placed] = []
    for route in lowered.routes:
        for rule in route.rules:
            if not rule.provenance or not rule.matches or rule.matches[0].path is None:
                continue
            item = rule.provenance[0]
            known = by_field.get((item.source, item.field))
            if known is not None:
                found.append(_Placed(known[0], known[1], route, rule, rule.matches[0].path))
    return found


def merge_duplicates(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    """Cilium's ``envoyHTTPRoutes`` joins the backends of routes with the same match key into
    one weighted route (equal weights): one rule with every backend."""
    seen: dict[tuple[object, ...], _Placed] = {}
    emptied: set[int] = set()
    for placed in _placed(models, lowered):
        key = (_group(placed.route)[:2], placed.path.path_type, placed.path.path)
        first = seen.get(key)
        if first is None:
            seen[key] = placed
            continue
        where = first.model.source.display()
        if first.route.namespace != placed.route.namespace:
            run.note(
                Level.WARNING,
                "cilium-duplicate-path",
                placed.model,
                placed.path.field,
                f"{placed.path.path_type} {placed.path.path} is also routed by {where} "
                f"{first.path.field} in another namespace: Cilium shared the requests equally "
                "between both backends; Gateway API gives them to the older route's alone",
            )
            continue
        first.rule.backend_refs.extend(placed.rule.backend_refs)
        first.rule.provenance.extend(placed.rule.provenance)
        first.rule.sources.extend(s for s in placed.rule.sources if s not in first.rule.sources)
        placed.route.rules.remove(placed.rule)
        if not placed.route.rules:
            emptied.add(id(placed.route))
        pairs = lowered.rules_by_source.get(placed.model.source, [])
        lowered.rules_by_source[placed.model.source] = [
            (first.route, first.rule) if rule is placed.rule else (route, rule)
            for route, rule in pairs
        ]
        run.note(
            Level.INFO,
            "cilium-duplicate-path",
            placed.model,
            placed.path.field,
            f"{placed.path.path_type} {placed.path.path} is also routed by {where} "
            f"{first.path.field}: Cilium shared the requests equally between the backends, "
            "and so does the output (one rule with both)",
        )
    if emptied:
        lowered.routes[:] = [r for r in lowered.routes if id(r) not in emptied]
        run.ctx.ir.routes[:] = [r for r in run.ctx.ir.routes if id(r) not in emptied]


def _literal_head(regex: str) -> str:
    """The characters every match of ``regex`` starts with (a safe under-estimate)."""
    head: list[str] = []
    for char in regex:
        if char in "\\.+*?()|[]{}^$":
            if char in "?*{" and head:
                head.pop()  # the last literal was optional
            break
        head.append(char)
    return "".join(head)


def _may_overlap(a: str, b: str) -> bool:
    """Whether two regular expressions may match the same path (their literal heads agree)."""
    head_a, head_b = _literal_head(a), _literal_head(b)
    return head_a.startswith(head_b) or head_b.startswith(head_a)


def report_order(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    """Warn where Cilium's stable order of equals (``SortableRoute`` + ``sort.Stable``) and
    Gateway API's tie-break (route, then rule order) pick different rules: regular
    expressions of the same length that may match the same path."""
    groups: dict[tuple[object, ...], list[_Placed]] = {}
    for placed in _placed(models, lowered):
        if placed.match.type == "RegularExpression":
            groups.setdefault(_group(placed.route)[:2], []).append(placed)
    for placed_list in groups.values():
        cilium = sorted(
            placed_list,
            key=lambda p: (
                -len(p.path.path),
                p.model.namespace or "",
                p.model.name,
                p.path.rule_index,
                p.path.path_index,
            ),
        )
        gateway = {
            id(p): (p.route.namespace or "", p.route.name, p.route.rules.index(p.rule))
            for p in placed_list
        }
        for i, first in enumerate(cilium):
            for second in cilium[i + 1 :]:
                if len(first.path.path) != len(second.path.path):
                    break
                if gateway[id(second)] > gateway[id(first)]:
                    continue
                if not _may_overlap(first.path.path, second.path.path):
                    continue
                run.note(
                    Level.WARNING,
                    "cilium-order-differs",
                    first.model,
                    first.path.field,
                    f"Cilium tried {first.path.path} before {second.path.path} "
                    f"({second.model.source.display()} {second.path.field}), regular "
                    "expressions of the same length, in input order; Gateway API tries "
                    f"{second.path.path} first, so paths that match both now go to its backend",
                )


def report_wildcards(run: CiliumRun, models: Sequence[IngressModel]) -> None:
    for model in models:
        for index, host in model.rule_hosts:
            if host is not None and host.startswith("*."):
                run.note(
                    Level.WARNING,
                    "cilium-wildcard-host",
                    model,
                    f"spec.rules[{index}].host",
                    f"Cilium matched {host} for exactly one more label (a.{host[2:]}, not "
                    f"a.b.{host[2:]}); the Gateway API hostname matches any number",
                )
