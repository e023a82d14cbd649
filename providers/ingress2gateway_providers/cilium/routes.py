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
from .paths import prefix_regex, regex_full_match_or_none


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


def _proto_length(text: str) -> int:
    """The length Cilium compares: the regular expression as protobuf text prints it (a
    backslash or quote takes two characters; the rest their UTF-8 bytes)."""
    return len(text.encode("utf-8", "surrogatepass")) + text.count("\\") + text.count('"')


def _cilium_rank(placed: _Placed, order: int) -> tuple[int, int, int]:
    path = placed.path
    if path.path_type == "Exact":
        return (0, -len(path.path.encode("utf-8", "surrogatepass")), order)
    regex = prefix_regex(path.path) if path.path_type == "Prefix" else path.path
    return (1, -_proto_length(regex), order)


_GATEWAY_TYPES = {"Exact": 0, "RegularExpression": 1, "PathPrefix": 2}


def _gateway_rank(placed: _Placed) -> tuple[int, int]:
    match = placed.match
    length = 0 if match.type == "PathPrefix" and match.value == "/" else len(match.value)
    return (_GATEWAY_TYPES[match.type], -length)


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


def _may_overlap(a: _Placed, b: _Placed) -> bool:
    """Whether some request path can match both (as the output matches them)."""
    for one, other in ((a, b), (b, a)):
        if one.match.type == "Exact":
            return _matches(other.match, one.match.value)
    prefix = next((p for p in (a, b) if p.match.type == "PathPrefix"), None)
    regex = next((p for p in (a, b) if p.match.type == "RegularExpression"), None)
    if prefix is None or regex is None:
        return False
    stem = prefix.match.value.rstrip("/")
    head = _literal_head(regex.match.value)
    return head.startswith(stem) or stem.startswith(head)


def _matches(match: PathMatch, path: str) -> bool:
    if match.type == "Exact":
        return match.value == path
    if match.type == "RegularExpression":
        return regex_full_match_or_none(match.value, path) is True
    stem = match.value.rstrip("/")
    return not stem or path == stem or path.startswith(stem + "/")


def report_order(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    """Warn where Cilium's order of a host's routes (``SortableRoute``) and Gateway API's
    precedence pick different rules for the same request."""
    groups: dict[tuple[object, ...], list[_Placed]] = {}
    for placed in _placed(models, lowered):
        groups.setdefault(_group(placed.route)[:2], []).append(placed)
    for placed_list in groups.values():
        ordered = sorted(
            placed_list,
            key=lambda p: (p.model.precedence, p.path.rule_index, p.path.path_index),
        )
        ranks = {id(p): _cilium_rank(p, n) for n, p in enumerate(ordered)}
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                a, b = (first, second) if ranks[id(first)] < ranks[id(second)] else (second, first)
                # a is Cilium's choice; Gateway API's is a too unless it ranks b strictly first.
                if not _gateway_rank(b) < _gateway_rank(a) or not _may_overlap(a, b):
                    continue
                run.note(
                    Level.WARNING,
                    "cilium-order-differs",
                    a.model,
                    a.path.field,
                    f"Cilium tried {a.path.path_type} {a.path.path} before "
                    f"{b.path.path_type} {b.path.path} ({b.model.source.display()} "
                    f"{b.path.field}); Gateway API tries {b.match.type} {b.match.value} first, "
                    "so requests that match both now go to its backend",
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
