"""What the conversion of ``http[]`` routes says about Istio's first-match order: matches added,
narrowed or dropped to keep it, sample requests that still route differently, assumptions
about the gateway's pods, and why a route has no rule.
"""

from __future__ import annotations

from ingress2gateway.reporting.report import Level

from .conditions import Probe
from .httpmatches import Unit
from .matching import Entry, OrderFinding
from .ordercheck import Difference
from .paths import CHAR, EXACT
from .scopes import Judge

_EXAMPLES = 3


def report_assumptions(units: list[Unit], entries: list[Entry], judge: Judge) -> None:
    by_label = {e.label: e for e in entries}
    for (label, _), (warning, message) in sorted(judge.assumed.items()):
        entry = by_label.get(label)
        unit = next((u for u in units if entry is not None and u.group == entry.group), None)
        if unit is None:
            continue
        unit.ctx.fields.notify(
            Level.WARNING if warning else Level.INFO,
            "istio-assumed",
            label if label.startswith(unit.path) else unit.path,
            message,
        )


def report_added(
    units: dict[int, Unit], mine: set[int], istio: list[Entry], entries: list[Entry]
) -> None:
    originals = {id(e) for e in istio}
    for entry in entries:
        if id(entry) in originals or entry.path is None or entry.group not in mine:
            continue
        unit = units[entry.group]
        if entry.path.kind == CHAR:
            unit.notify(
                Level.INFO,
                "istio-prefix-semantics",
                f"Istio's prefix {entry.path.value} is a character prefix: the regular expression "
                f"{entry.path.pattern} was added for the paths that continue it without a slash "
                f"(such as {entry.path.value}x), which Gateway API's PathPrefix leaves out and "
                "another rule would take",
                ".match",
            )
        elif entry.path.kind == EXACT:
            unit.notify(
                Level.INFO,
                "istio-prefix-semantics",
                f"an exact match {entry.path.value} was added: Istio gives that bare directory "
                f"to {unit.label}, but Gateway API's PathPrefix {entry.path.value}/ of an "
                "earlier route would take it",
                ".match",
            )


def report_order(units: dict[int, Unit], mine: set[int], findings: list[OrderFinding]) -> None:
    for item in findings:
        a, b = units[item.earlier], units[item.later]
        if item.kind == "shadowed" and b.group in mine:
            b.notify(
                Level.WARNING,
                "istio-route-order",
                f"a match of {b.label} is never reached in Istio ({a.named(b)} takes its "
                "requests first); it was left out, as Gateway API would rank it higher",
                ".match",
            )
        elif item.kind == "narrowed" and a.group in mine:
            a.notify(
                Level.INFO,
                "istio-route-order",
                f"{a.label} overlaps the more specific {b.named(a)}: a copy of {a.label}'s "
                f"match narrowed to {b.named(a)}'s conditions was added so those requests still "
                f"reach {a.label}'s backends, as in Istio's first-match order",
                ".match",
            )


def report_differences(units: dict[int, Unit], mine: set[int], found: list[Difference]) -> None:
    """One warning per pair of routes that some sample requests tell apart, on the route Istio
    sends them to (or, when Istio sends them nowhere, on the rule that takes them)."""
    pairs: dict[tuple[int | None, int | None], list[Probe]] = {}
    for item in found:
        key = (
            None if item.istio is None else item.istio.group,
            None if item.gateway is None else item.gateway.group,
        )
        pairs.setdefault(key, []).append(item.probe)
    lacked = {id(d.probe): d.gateway.lacks for d in found if d.gateway is not None}
    for (expected, actual), probes in pairs.items():
        owner = expected if expected is not None else actual
        if owner is None or owner not in mine:
            continue
        target = units[owner]
        examples = ", ".join(p.display() for p in probes[:_EXAMPLES])
        more = f" and {len(probes) - _EXAMPLES} more" if len(probes) > _EXAMPLES else ""
        istio = "no route (404)" if expected is None else units[expected].named(target)
        gateway = "no rule (404)" if actual is None else units[actual].named(target)
        if all(lacked.get(id(p)) == p.path for p in probes):
            why = (
                "Istio's prefix ending in / does not take its bare directory, Gateway API's "
                "PathPrefix does, and no rule Gateway API can write answers as Istio does"
            )
        else:
            why = (
                "first match in list order against the most specific match: regular "
                "expressions, conditions Gateway API cannot say, or prefix boundaries"
            )
        target.notify(
            Level.WARNING,
            "istio-route-order-unequal",
            f"requests such as {examples}{more} go to {istio} in Istio but to {gateway} in "
            f"Gateway API ({why})",
            ".match",
        )


def left_out(unit: Unit, units: list[Unit], entries: list[Entry], judge: Judge) -> str:
    """Why no HTTPRoute has a rule for ``unit``."""
    mine = [e for e in entries if e.group == unit.group]
    reasons = [
        f"{e.label}: {', '.join(judge.excluded[e.label])}"
        for e in mine
        if e.label in judge.excluded
    ]
    earlier = [e for e in entries if e.group < unit.group and e.condition.catch_all]
    if earlier and not reasons:
        stop = next(u for u in units if u.group == earlier[0].group)
        return (
            f"Istio never reaches this route: {stop.label} before it takes every request (Istio "
            "stops building routes there); left out"
        )
    if reasons:
        return (
            "Istio builds no match of this route on a bound listener ("
            + "; ".join(reasons)
            + "): left out"
        )
    return "no match of this route could be converted: left out"
