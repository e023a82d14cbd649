"""The ``http[]`` routes of the VirtualServices → HTTPRoutes that route each request as Istio
does. Every VirtualService is read first (:func:`prepare_http`), then all are made into HTTPRoutes
together (:func:`emit_http`), because Istio tries the routes of every VirtualService of a virtual
host in one list.

1. **Routes and matches** (:mod:`.httpmatches`): each ``http[]`` route in order, a ``delegate``
   replaced by the delegate's routes merged with it; each match with Istio's own conditions and
   its scope: per-match ``gateways``, ``port``, ``scheme``, ``sourceLabels``/``sourceNamespace``
   and ``authority`` decide *where* it applies rather than being dropped.
2. **Virtual hosts** (:mod:`.scopes`): for each listener and host name (the intersection of the
   server's host and the VirtualService's, as Istio's virtual host), the matches that apply, of
   every VirtualService there, in Istio's order (``VirtualServicesForGateway``), catch-all
   routes last (``SortVHostRoutes``). Listeners and hosts with the same list share an HTTPRoute:
   a match scoped to another gateway, or to ``mesh``, never reaches a listener it does not
   apply to.
3. **Order** (:mod:`.ordercheck`, :mod:`.matching`): Istio takes the first match in list order,
   Gateway API the best ranked. Character prefixes get the regular expression that keeps the
   paths continuing them, a bare directory that a prefix ending in ``/`` would take gets an exact
   match on the route Istio gives it to, earlier routes get narrowed copies of their matches;
   the analysis is made once per virtual host for all its VirtualServices. Sample requests that
   still route differently are reported, with examples (:mod:`.httpreports`).
4. **Rules** (:mod:`.httprules`): what each route does, with ``rewrite.uri`` as Envoy's
   ``prefix_rewrite`` and the redirect's port as Envoy writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting.naming import host_slug, slug
from ingress2gateway.ir import HTTPRoute, ParentRef, Rule
from ingress2gateway.reporting.report import Level, Status

from .common import VS, as_list, host_overlap
from .httpactions import HTTP_KEYS, template
from .httpmatches import Unit, delegated, host_keys, matches_of
from .httpreports import (
    left_out,
    report_added,
    report_assumptions,
    report_differences,
    report_order,
)
from .httprules import rules_of
from .matching import Entry, OrderFinding, preserve_first_match
from .ordercheck import Difference, complete, differences
from .parents import HTTP_LISTENERS, admit, bindings
from .scopes import Binding, Group, Judge, groups, last_catch_alls, own_lists, virtual_host

MAX_RULES = 16
MAX_HOSTNAMES = 16
MAX_MATCHES = 128


@dataclass
class Plan:
    """One VirtualService's ``http[]`` routes, read, waiting for the others of its hosts."""

    vs: VS
    units: list[Unit]
    entries: list[Entry]
    bound: list[Binding]
    hosts: list[str | None]
    judge: Judge
    order: tuple[int, str, str, str]
    """Istio's order of VirtualServices (``VirtualServicesForGateway``)."""
    own: dict[tuple[int, str | None], list[Entry]] = field(default_factory=dict)


def prepare_http(vs: VS, routes: list[object]) -> Plan:
    """Read the routes and matches of one VirtualService (their ledger and notifications);
    :func:`emit_http` makes the HTTPRoutes once every VirtualService is read."""
    units: list[Unit] = []
    entries: list[Entry] = []
    for index, item in enumerate(routes):
        if not isinstance(item, dict):
            vs.fields.unsupported(f"spec.http[{index}]", "route is not a mapping")
            continue
        vs.fields.unknown_keys(f"spec.http[{index}]", item, HTTP_KEYS)
        if "delegate" in item:
            for unit, merged in delegated(vs, index, item, len(units)):
                units.append(unit)
                entries.extend(merged)
            continue
        unit = Unit(len(units), vs, index, template(vs, index, item, len(units)))
        units.append(unit)
        entries.extend(matches_of(vs, unit, item))
    bound = bindings(
        vs.state,
        vs.fields,
        vs.keys,
        vs.namespace,
        vs.hosts,
        HTTP_LISTENERS,
        "spec.http",
        "spec.http",
    )
    route = (vs.obj.namespace or "default", vs.obj.name or "virtualservice")
    for entry in entries:
        entry.route = route
    return Plan(
        vs,
        units,
        entries,
        bound,
        host_keys(vs, entries),
        Judge(vs.state.workload_namespace),
        _istio_order(vs),
    )


def _istio_order(vs: VS) -> tuple[int, str, str, str]:
    """``VirtualServicesForGateway``: private to the gateway pods' namespace, then exported to
    it, then public; each in creation order, then by name and namespace."""
    values = [v for v in as_list(vs.obj.spec.get("exportTo")) if isinstance(v, str)]
    workload = vs.state.workload_namespace
    bucket = 2 if not values or "*" in values else 0 if vs.namespace == workload else 1
    created = vs.obj.metadata.get("creationTimestamp")
    return (bucket, created if isinstance(created, str) else "", vs.obj.name or "", vs.namespace)


def emit_http(plans: list[Plan]) -> None:
    """The HTTPRoutes of every VirtualService: the routes of all VirtualServices of one virtual
    host are tried together, in Istio's order, the routes that take everything last
    (``buildGatewayHTTPRouteConfig``, ``SortVHostRoutes``)."""
    plans = sorted(plans, key=lambda p: p.order)
    units: dict[int, Unit] = {}
    for plan in plans:  # number the routes in Istio's order, across VirtualServices
        local: dict[int, int] = {}
        for unit in plan.units:
            local[unit.group] = len(units) + len(local)
        for unit in plan.units:
            unit.group = unit.template.group = local[unit.group]
            units[unit.group] = unit
        for entry in plan.entries:
            entry.group = local[entry.group]
    hosts: dict[tuple[object, ...], list[Entry]] = {}
    for plan in plans:
        plan.own = own_lists(plan.entries, plan.bound, plan.hosts, plan.judge)
        for (b, name), found in plan.own.items():
            hosts.setdefault(virtual_host(plan.bound[b], name), []).extend(found)
    shared = {key: last_catch_alls(found) for key, found in hosts.items()}
    analyses: dict[tuple[int, ...], Analysis] = {}
    for plan in plans:
        lists = {
            pair: shared[virtual_host(plan.bound[pair[0]], pair[1])]
            for pair, found in plan.own.items()
            if found
        }
        _emit_plan(plan, groups(lists, plan.bound), units, analyses)


def _emit_plan(
    plan: Plan,
    found: list[Group],
    units: dict[int, Unit],
    analyses: dict[tuple[int, ...], Analysis],
) -> None:
    vs = plan.vs
    mine = {u.group for u in plan.units}
    report_assumptions(plan.units, plan.entries, plan.judge)
    used: set[int] = set()
    made: list[tuple[Group, list[Rule]]] = []
    for group in found:
        rules = _group_rules(plan, group, units, mine, analyses)
        used.update(e.group for e in group.entries if e.group in mine)
        _merge_or_add(made, group, rules)
    names = _GroupNames(vs, [group for group, _ in made])
    for group, rules in made:
        admit(group.bindings, vs.route_namespace)
        _emit(vs, names.of(group), rules, group)
    for unit in plan.units:
        if unit.group not in used:
            message = left_out(unit, plan.units, plan.entries, plan.judge)
            unit.notify(Level.WARNING, "istio-route-order", message)
            unit.ctx.fields.record(unit.path, Status.IGNORED, message)
        else:
            unit.ctx.fields.converted(unit.path)
    if plan.units and not found and plan.bound:
        vs.fields.notify(
            Level.INFO,
            "istio-mesh-only",
            "spec.http",
            "no http route applies to the bound ingress gateways (matches scoped to mesh or to "
            "other gateways): no HTTPRoute",
        )


def _merge_or_add(made: list[tuple[Group, list[Rule]]], group: Group, rules: list[Rule]) -> None:
    """One HTTPRoute for groups whose rules came out the same, when none of their listeners
    serves another's host names (so that no listener gets rules meant for another context)."""
    signature = repr(rules)
    for other, other_rules in made:
        if repr(other_rules) != signature:
            continue
        crossed = [(b, h) for b in other.bindings for h in group.hosts] + [
            (b, h) for b in group.bindings for h in other.hosts
        ]
        if any(host_overlap(b.hostname, h) for b, h in crossed):
            continue
        other.bindings.extend(b for b in group.bindings if b not in other.bindings)
        other.hosts.extend(h for h in group.hosts if h not in other.hosts)
        return
    made.append((group, rules))


# --- routes and delegates ------------------------------------------------------------------------


# --- one match ---------------------------------------------------------------------------------


# --- order and rules -------------------------------------------------------------------------


@dataclass
class Analysis:
    """Istio's first match kept over the routes of one virtual host's VirtualServices."""

    entries: list[Entry]
    """After :func:`complete`."""
    ordered: list[Entry]
    findings: list[OrderFinding]
    differences: list[Difference]


def analyse(istio: list[Entry]) -> Analysis:
    entries = complete(istio, list(istio))
    ordered, findings = preserve_first_match(entries)
    return Analysis(entries, ordered, findings, differences(istio, ordered))


def _group_rules(
    plan: Plan,
    group: Group,
    units: dict[int, Unit],
    mine: set[int],
    analyses: dict[tuple[int, ...], Analysis],
) -> list[Rule]:
    """Keep Istio's first match over the routes of every VirtualService of the group's virtual
    hosts (analysed once for all of them); the rules of this VirtualService's routes."""
    istio = list(group.entries)
    key = tuple(id(e) for e in istio)
    found = analyses.get(key)
    if found is None:
        found = analyses[key] = analyse(istio)
    report_added(units, mine, istio, found.entries)
    report_order(units, mine, found.findings)
    report_differences(units, mine, found.differences)
    return rules_of(plan.units, [e for e in found.ordered if e.group in mine], group.bindings)


# --- routes ----------------------------------------------------------------------------------


class _GroupNames:
    """The first group of a VirtualService keeps its name; the others say what sets them
    apart (the gateway, the host)."""

    def __init__(self, vs: VS, found: list[Group]) -> None:
        self.base = vs.obj.name or "virtualservice"
        self.names: dict[int, str] = {}
        gateways = {b.key for g in found for b in g.bindings}
        for number, group in enumerate(found):
            if number == 0:
                self.names[id(group)] = self.base
                continue
            keys = {b.key for b in group.bindings}
            hosts = [h for h in group.hosts if h is not None]
            if len(gateways) > 1 and len(keys) == 1:
                suffix = slug(next(iter(keys))[1])
            elif len(hosts) == 1:
                suffix = host_slug(hosts[0])
            else:
                suffix = f"g{number + 1}"
            self.names[id(group)] = f"{self.base}-{suffix}"
        if len(found) > 1:
            vs.fields.notify(
                Level.INFO,
                "istio-route-split",
                "spec.http",
                f"the routes apply differently on {len(found)} sets of listeners or hosts "
                "(per-match gateways, port, scheme or authority): one HTTPRoute each ("
                + ", ".join(self.names[id(g)] for g in found)
                + ")",
            )

    def of(self, group: Group) -> str:
        return self.names[id(group)]


def _emit(vs: VS, base: str, rules: list[Rule], group: Group) -> None:
    if not rules:
        return
    refs = [b.ref for b in group.bindings]
    chunks: list[list[Rule]] = [[]]
    for rule in rules:
        current = chunks[-1]
        count = sum(max(1, len(r.matches)) for r in current) + max(1, len(rule.matches))
        if len(current) >= MAX_RULES or count > MAX_MATCHES:
            chunks.append([])
        chunks[-1].append(rule)
    if len(chunks) > 1:
        vs.fields.notify(
            Level.INFO,
            "istio-route-split",
            "spec.http",
            f"{len(rules)} rules exceed one HTTPRoute's limits: split into {len(chunks)} "
            "HTTPRoutes named in Istio's order (Gateway API breaks precedence ties by creation "
            "time, then name; apply them together)",
        )
    hostnames = [] if None in group.hosts else [h for h in group.hosts if h is not None]
    host_chunks = [
        hostnames[i : i + MAX_HOSTNAMES] for i in range(0, len(hostnames), MAX_HOSTNAMES)
    ]
    if len(host_chunks) > 1:
        vs.fields.notify(
            Level.INFO,
            "istio-route-split",
            "spec.hosts",
            f"{len(hostnames)} hosts exceed one HTTPRoute's {MAX_HOSTNAMES} hostnames: the "
            f"rules are repeated in {len(host_chunks)} HTTPRoutes",
        )
    for host_number, hosts in enumerate(host_chunks or [[]], 1):
        host_part = "" if host_number == 1 else f"-h{host_number}"
        for number, chunk in enumerate(chunks, 1):
            wanted = base if len(chunks) == 1 else f"{base}-{number:02d}"
            _http_route(vs, wanted + host_part, f"{base}/{number}{host_part}", chunk, refs, hosts)


def _http_route(
    vs: VS,
    wanted: str,
    part: str,
    rules: list[Rule],
    refs: list[ParentRef],
    hostnames: list[str],
) -> None:
    name = vs.state.ctx.allocator("HTTPRoute", vs.obj.namespace).allocate(
        wanted, f"istio:{vs.namespace}/{vs.obj.name}/http/{part}"
    )
    vs.state.ir.routes.append(
        HTTPRoute(
            name=name,
            namespace=vs.obj.namespace,
            hostnames=list(hostnames),
            parent_refs=list(refs),
            rules=rules,
            provenance=[vs.fields.prov("spec.gateways"), vs.fields.prov("spec.hosts")],
        )
    )
