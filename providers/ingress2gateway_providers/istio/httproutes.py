"""A VirtualService's ``http[]`` routes → HTTPRoutes that route each request as Istio does.

1. **Routes.** Each ``http[]`` route, in order; a route with ``delegate`` is replaced by the
   delegate's routes merged with it (:mod:`.delegates`).
2. **Matches.** Each match becomes a Gateway API match, Istio's own conditions (to compare), and
   its scope (:mod:`.conditions`): per-match ``gateways``, ``port``, ``scheme``,
   ``sourceLabels``/``sourceNamespace`` and an exact ``authority`` decide *where* a match
   applies rather than being dropped; ``withoutHeaders``, a method other than one exact
   standard one and other ``authority`` matches cannot be said and make the match wider
   (reported).
3. **Scopes.** The listeners and hosts whose list of applicable matches is the same share an
   HTTPRoute (:mod:`.scopes`): a match scoped to another gateway, or to ``mesh``, never reaches
   a listener it does not apply to.
4. **Order.** Istio takes the first match in list order; Gateway API the best-ranked. Character
   prefixes get the regular expression that keeps the paths continuing them where another rule
   would take them, a bare directory that a prefix ending in ``/`` would take gets an exact
   match on the route Istio gives it to (:mod:`.ordercheck`), and earlier routes get narrowed
   copies of their matches (:mod:`.matching`). Sample requests that still route differently are
   reported, with examples.
5. **Rewrites.** ``rewrite.uri`` replaces the matched prefix character for character (Envoy's
   ``prefix_rewrite``): ReplacePrefixMatch where it says the same, ReplaceFullPath on exact
   matches, the regex-rewrite extension on regular-expression matches; a path Gateway API would
   rewrite differently (``/app/x`` with ``rewrite: /`` becomes ``//x`` in Istio) is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ingress2gateway.ir import (
    HTTPRoute,
    Match,
    ParentRef,
    PathModifier,
    RegexRewrite,
    RequestRedirect,
    Rule,
    URLRewrite,
)
from ingress2gateway.naming import NameAllocator, host_slug, slug
from ingress2gateway.objects import JSONDict
from ingress2gateway.report import Level, Report, Status

from .common import VS, Fields, as_dict, as_list, ns_of
from .conditions import Condition, Probe, Scope, Sm, string_match, valid_header_name
from .delegates import exported_to, merge_routes
from .httpactions import HTTP_KEYS, METHODS, Template, template
from .matching import (
    Entry,
    OrderFinding,
    preserve_first_match,
    regex_literal,
    uri_path,
    value_match,
)
from .ordercheck import Difference, complete, differences
from .parents import HTTP_LISTENERS, admit, bindings, resolve_gateway
from .paths import CHAR, EXACT, SEG, SEGRX, PathSet, escape
from .scopes import Binding, Group, Judge, groups, last_catch_alls, own_lists, virtual_host

MAX_RULES = 16
MAX_HOSTNAMES = 16
MAX_MATCHES = 128
_ROOT = PathSet(SEG, "/")
_EXAMPLES = 3

MATCH_KEYS = (
    "name",
    "uri",
    "scheme",
    "method",
    "authority",
    "headers",
    "port",
    "sourceLabels",
    "gateways",
    "queryParams",
    "ignoreUriCase",
    "withoutHeaders",
    "sourceNamespace",
    "statPrefix",
)


@dataclass
class Unit:
    """One ``http[]`` route as Istio builds it (a delegate's, merged with its root's)."""

    group: int
    ctx: VS
    """The VirtualService whose field the route is (a delegate's for its routes)."""
    index: int
    template: Template
    root: tuple[VS, int] | None = None

    @property
    def path(self) -> str:
        return f"spec.http[{self.index}]"

    def notify(self, level: Level, code: str, message: str, part: str = "") -> None:
        self.ctx.fields.notify(level, code, self.path + part, message)

    def named(self, other: Unit) -> str:
        """This route as ``other``'s notification names it (with its VirtualService's name when
        it is another's)."""
        if self.ctx.obj is other.ctx.obj or (
            self.root and other.root and self.root[0] is other.root[0]
        ):
            return self.label
        vs = self.root[0] if self.root is not None else self.ctx
        return f"VirtualService {vs.namespace}/{vs.obj.name}'s {self.label}"

    @property
    def label(self) -> str:
        where = self.path
        if self.root is not None:
            where = f"{self.ctx.obj.name}'s {where} (delegated by spec.http[{self.root[1]}])"
        return where


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
            for unit, merged in _delegated(vs, index, item, len(units)):
                units.append(unit)
                entries.extend(merged)
            continue
        unit = Unit(len(units), vs, index, template(vs, index, item, len(units)))
        units.append(unit)
        entries.extend(_matches(vs, unit, item))
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
        _host_keys(vs, entries),
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
    _report_assumptions(plan.units, plan.entries, plan.judge)
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
            message = _left_out(unit, plan.units, plan.entries, plan.judge)
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
    from .parents import host_overlap

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


def _left_out(unit: Unit, units: list[Unit], entries: list[Entry], judge: Judge) -> str:
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


# --- routes and delegates ------------------------------------------------------------------------


def _delegated(vs: VS, index: int, item: JSONDict, first: int) -> list[tuple[Unit, list[Entry]]]:
    path = f"spec.http[{index}]"
    fields = vs.fields
    delegate = as_dict(item.get("delegate"))
    namespace = str(delegate.get("namespace") or vs.namespace)
    name = str(delegate.get("name") or "")
    obj = vs.state.delegates.get((namespace, name))
    fields.unknown_keys(f"{path}.delegate", delegate, ("name", "namespace"))
    for key in ("route", "redirect"):
        if key in item:
            fields.ignored(f"{path}.{key}", f"{key} with delegate: Istio rejects the route")
    if obj is None or not exported_to(obj, vs.namespace):
        why = "is not in the input" if obj is None else f"is not exported to {vs.namespace}"
        message = (
            f"delegate VirtualService {namespace}/{name} {why}: Istio ignores this route "
            "(nothing converted for it); convert the delegate with the root"
        )
        fields.unsupported(f"{path}.delegate", message, "istio-delegate")
        fields.record(path, Status.UNSUPPORTED, message)
        for key in item:
            if key in HTTP_KEYS and key != "delegate":
                fields.record(f"{path}.{key}", Status.UNSUPPORTED, message)
        for r in range(len(as_list(item.get("match")))):
            fields.record(f"{path}.match[{r}]", Status.UNSUPPORTED, message)
        return []
    vs.state.used_delegates.add((namespace, name))
    ctx = VS(
        vs.state,
        obj,
        vs.state.fields(obj),
        ns_of(obj),
        vs.keys,
        vs.hosts,
        root_namespace=vs.namespace,
    )
    merged, dropped = merge_routes(item, obj)
    fields.converted(
        f"{path}.delegate", f"{len(merged)} route(s) of {namespace}/{name} merged here"
    )
    fields.converted(path, f"replaced by the routes of {namespace}/{name}")
    for k in dropped:
        ctx.fields.notify(
            Level.WARNING,
            "istio-delegate",
            f"spec.http[{k}]",
            f"no match of this route is narrower than {vs.obj.name}'s {path} match: Istio "
            "drops the route (conflict); not converted",
        )
        ctx.fields.record(f"spec.http[{k}]", Status.IGNORED, "conflicts with the root's match")
    quiet = Fields(Report(), vs.fields.source)
    for r, raw in enumerate(as_list(item.get("match"))):
        if isinstance(raw, dict):
            _parse(vs.fields, f"{path}.match[{r}]", raw, 0, vs.namespace)
    if "match" in item:
        fields.converted(f"{path}.match")
    out = []
    for offset, route in enumerate(merged):
        group = first + offset
        ctx.fields.unknown_keys(f"spec.http[{route.index}]", route.own, HTTP_KEYS)
        t = template(ctx, route.index, route.own, group)
        if route.inherited:
            _inherit(t, template(vs, index, route.inherited, group))
        unit = Unit(group, ctx, route.index, t, (vs, index))
        found = []
        own_matches = as_list(route.own.get("match"))
        if own_matches:
            ctx.fields.converted(f"{unit.path}.match")
        for d, raw in enumerate(own_matches):
            if isinstance(raw, dict):
                _parse(ctx.fields, f"{unit.path}.match[{d}]", raw, 0, ctx.namespace)
        for merged_match in route.matches:
            label = (
                f"{unit.path}.match[{merged_match.delegate_index}]"
                if merged_match.delegate_index is not None
                else f"{path}.match[{merged_match.root_index}]"
            )
            entry = _parse(quiet, label, merged_match.match, group, ctx.namespace)
            if entry is not None:
                entry.label = label
                found.append(entry)
        if not route.matches:
            found.append(_no_match(group, unit.path))
        out.append((unit, found))
    for key in item:
        if key in HTTP_KEYS and not fields.report.has_entry(fields.source, f"{path}.{key}"):
            fields.ignored(f"{path}.{key}", "every delegated route sets its own")
    return out


def _inherit(t: Template, root: Template) -> None:
    """``mergeHTTPRoute``: what the delegate's route does not set, it takes from the root's."""
    t.filters.extend(root.filters)
    if t.rewrite_uri is None:
        t.rewrite_uri, t.rewrite_uri_prov = root.rewrite_uri, root.rewrite_uri_prov
    if root.rewrite_level > t.rewrite_level:
        t.rewrite_host, t.rewrite_prov = root.rewrite_host, root.rewrite_prov
        t.rewrite_level = root.rewrite_level
    t.timeout = t.timeout or root.timeout
    t.extensions.extend(root.extensions)
    t.provenance.extend(root.provenance)


def _no_match(group: int, path: str) -> Entry:
    return Entry(group, None, label=path)


def _matches(vs: VS, unit: Unit, item: JSONDict) -> list[Entry]:
    matches = as_list(item.get("match"))
    if not matches:
        return [_no_match(unit.group, unit.path)]
    out: list[Entry] = []
    vs.fields.converted(f"{unit.path}.match")
    for j, raw in enumerate(matches):
        path = f"{unit.path}.match[{j}]"
        if not isinstance(raw, dict):
            vs.fields.unsupported(path, "match is not a mapping")
            continue
        entry = _parse(vs.fields, path, raw, unit.group, vs.namespace)
        if entry is not None:
            out.append(entry)
    return out


# --- one match ---------------------------------------------------------------------------------


def _pairs(
    fields: Fields, path: str, raw: object, what: str, names_ok: bool = True
) -> tuple[list[tuple[str, Sm]], bool]:
    found: list[tuple[str, Sm]] = []
    exact = True
    for name, value in sorted(as_dict(raw).items()):
        parsed = string_match(value)
        name = str(name)
        if parsed is None:
            fields.unsupported(path, f"{what} match {name!r}: {value!r} is not a StringMatch")
            exact = False
            continue
        if name.startswith("@"):
            # A JWT claim (@request.auth.claims.*): matched on the token's metadata.
            fields.unsupported(path, f"{what} match {name!r} (a JWT claim) is not converted")
            found.append((name, Sm("never")))
            exact = False
            continue
        if names_ok and not valid_header_name(name):
            fields.unsupported(path, f"{what} match {name!r}: not a header name")
            exact = False
            continue
        found.append((name.lower() if what == "header" else name, parsed))
    return found, exact


def _parse(fields: Fields, path: str, raw: JSONDict, group: int, namespace: str) -> Entry | None:
    """One Istio HTTPMatchRequest → an entry (None: it cannot be read at all)."""
    fields.unknown_keys(path, raw, MATCH_KEYS)
    exact = True
    ignore_case = raw.get("ignoreUriCase") is True
    uri = None
    if "uri" in raw:
        uri = string_match(raw["uri"])
        if uri is None:
            fields.unsupported(f"{path}.uri", f"uri match {raw['uri']!r} is not a StringMatch")
            return None
    headers, ok = _pairs(fields, f"{path}.headers", raw.get("headers"), "header")
    exact = exact and ok
    without, _ = _pairs(fields, f"{path}.withoutHeaders", raw.get("withoutHeaders"), "header")
    queries, ok = _pairs(fields, f"{path}.queryParams", raw.get("queryParams"), "query", False)
    exact = exact and ok
    method: str | None = None
    method_match = string_match(raw["method"]) if "method" in raw else None
    if "method" in raw:
        if (
            method_match is not None
            and method_match.kind == "exact"
            and method_match.value.upper() in METHODS
        ):
            method = method_match.value.upper()
        else:
            fields.unsupported(
                f"{path}.method",
                f"method match {raw['method']!r}: only an exact standard method converts; the "
                "match is wider than in Istio",
            )
            exact = False
    scope, scoped = _scope(fields, path, raw, namespace)
    exact = exact and scoped
    if "withoutHeaders" in raw:
        fields.unsupported(
            f"{path}.withoutHeaders",
            "withoutHeaders: no negative header match in Gateway API; the match is wider than in "
            "Istio",
        )
        exact = False
    for key in ("name", "statPrefix"):
        if key in raw:
            fields.record(f"{path}.{key}", Status.IGNORED, "names and stats only")
    if "ignoreUriCase" in raw:
        fields.converted(f"{path}.ignoreUriCase")
    fields.record(path, Status.CONVERTED if exact else Status.PARTIAL)
    condition = Condition(
        uri=uri,
        ignore_case=ignore_case,
        headers=tuple(headers),
        without=tuple(without),
        query=tuple(queries),
        method=method_match,
    )
    header_matches = tuple(m for m in (value_match(n, v) for n, v in headers) if m is not None)
    query_matches = tuple(m for m in (value_match(n, v) for n, v in queries) if m is not None)
    return Entry(
        group,
        uri_path(uri, ignore_case) if uri is not None else None,
        header_matches,
        query_matches,
        method,
        exact,
        condition,
        scope,
        label=path,
    )


def _scope(fields: Fields, path: str, raw: JSONDict, namespace: str) -> tuple[Scope, bool]:
    """The conditions that decide where the match applies (see :mod:`.conditions`); False when
    one of them cannot be said and the match is wider than in Istio."""
    exact = True
    gateways: list[tuple[str, str]] = []
    names = [g for g in as_list(raw.get("gateways")) if isinstance(g, str) and g]
    for name in names:
        key = resolve_gateway(name, namespace)
        if key is not None and key not in gateways:
            gateways.append(key)
    if "gateways" in raw:
        fields.converted(f"{path}.gateways", "the match applies only on these gateways' listeners")
    port = raw.get("port")
    port_number = port if isinstance(port, int) and not isinstance(port, bool) and port else None
    if "port" in raw:
        fields.converted(f"{path}.port", "the match applies only on listeners of this port")
    scheme = string_match(raw["scheme"]) if "scheme" in raw else None
    if "scheme" in raw:
        if scheme is None:
            fields.unsupported(f"{path}.scheme", "scheme is not a StringMatch")
            exact = False
        else:
            fields.converted(f"{path}.scheme", "decided by the listener (http or https)")
    authority: str | None = None
    authority_port: int | None = None
    authority_match: Sm | None = None
    if "authority" in raw:
        value = string_match(raw["authority"])
        if value is not None and value.kind == "exact":
            host, _, number = value.value.lower().partition(":")
            authority = host
            authority_port = int(number) if number.isdigit() else None
            fields.converted(f"{path}.authority", "the match applies to this host only")
        elif value is not None and value.kind in ("prefix", "regex"):
            authority_match = value
            fields.converted(
                f"{path}.authority",
                "decided for each host name: the match applies to those it takes",
            )
            exact = False  # wider on a wildcard host name, where it cannot be decided
        else:
            fields.unsupported(
                f"{path}.authority",
                "authority: not a StringMatch; the match is wider than in Istio",
            )
            exact = False
    labels = tuple(sorted((str(k), str(v)) for k, v in as_dict(raw.get("sourceLabels")).items()))
    source_ns = raw.get("sourceNamespace")
    for source in ("sourceLabels", "sourceNamespace"):
        if source in raw:
            fields.converted(f"{path}.{source}", "compared with the gateway's pods")
    return (
        Scope(
            gateways=tuple(gateways),
            mesh_only=bool(names) and not gateways,
            port=port_number,
            scheme=scheme,
            authority=authority,
            authority_port=authority_port,
            authority_match=authority_match,
            source_labels=labels,
            source_namespace=source_ns if isinstance(source_ns, str) and source_ns else None,
        ),
        exact,
    )


def _host_keys(vs: VS, entries: Sequence[Entry]) -> list[str | None]:
    """The VirtualService's host names (None: every host), and the exact ``authority`` hosts
    its matches ask for."""
    from .parents import host_overlap

    keys: list[str | None] = list(vs.hostnames) or [None]
    for entry in entries:
        host = entry.scope.authority
        if host is None or host in keys:
            continue
        if any(host_overlap(k, host) for k in keys):
            keys.append(host)
        else:
            vs.fields.notify(
                Level.WARNING,
                "istio-route-order",
                f"{entry.label}.authority",
                f"authority {host} is none of the VirtualService's hosts: Istio never applies "
                "the match (the request's host picks another virtual host); left out",
            )
    return keys


def _report_assumptions(units: list[Unit], entries: list[Entry], judge: Judge) -> None:
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
    _report_added(units, mine, istio, found.entries)
    _report_order(units, mine, found.findings)
    _report_differences(units, mine, found.differences)
    return _rules(plan.units, [e for e in found.ordered if e.group in mine], group.bindings)


def _report_added(
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


def _report_order(units: dict[int, Unit], mine: set[int], findings: list[OrderFinding]) -> None:
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


def _report_differences(units: dict[int, Unit], mine: set[int], found: list[Difference]) -> None:
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


def _rules(units: list[Unit], entries: list[Entry], bound: Sequence[Binding]) -> list[Rule]:
    rules: list[Rule] = []
    names = NameAllocator()
    for unit in units:
        t = unit.template
        mine = [e for e in entries if e.group == unit.group]
        if not mine:
            continue
        if t.rewrite_uri is not None:
            for entry in mine:
                per_match, extension = _uri_rewrite(unit, entry)
                rules.append(_rule(t, [_explicit(entry)], per_match, names, len(rules), extension))
        else:
            everything = all(e.match == Match() for e in mine)
            matches = [] if everything else [_explicit(e) for e in mine]
            host = (
                URLRewrite(hostname=t.rewrite_host, provenance=t.rewrite_prov)
                if t.rewrite_host
                else None
            )
            rules.append(_rule(t, matches, host, names, len(rules)))
        _redirect_ports(unit, rules[-1], bound)
    return rules


_WELL_KNOWN = {"http": 80, "https": 443}


def _redirect_ports(unit: Unit, rule: Rule, bound: Sequence[Binding]) -> None:
    """The port of a redirect, as Envoy writes it (``ApplyRedirect``; ``newUri``): the
    request's Host keeps its port unless the redirect names a host or a port; Gateway API
    defaults to the listener's port, or the scheme's when a scheme is given. Set it where the
    listeners of the rule agree, say so where they do not."""
    for position, item in enumerate(rule.filters):
        if not isinstance(item, RequestRedirect) or item.port is not None:
            continue
        listeners = {(b.listener.port, b.scheme or "http") for b in bound if b.listener is not None}
        schemes = {scheme for _, scheme in listeners}
        ports = {port for port, _ in listeners}
        wanted: int | None = None
        if item.hostname is not None and item.scheme is None:
            if all(port == _WELL_KNOWN[scheme] for port, scheme in listeners):
                continue  # Gateway API leaves the listener's well-known port out too
            if len(schemes) != 1:
                _redirect_differs(unit, sorted(ports), "the new host without the request's port")
                continue
            wanted = _WELL_KNOWN[next(iter(schemes))]
        elif item.scheme is not None and item.hostname is None:
            derive = unit.template.redirect_derive == "FROM_REQUEST_PORT"
            keeps = derive or any(port != _WELL_KNOWN[scheme] for port, scheme in listeners)
            if not keeps:
                continue
            if len(ports) != 1:
                _redirect_differs(unit, sorted(ports), "the request's port")
                continue
            wanted = next(iter(ports))
        else:
            continue
        rule.filters[position] = replace(item, port=wanted)


def _redirect_differs(unit: Unit, ports: list[int], what: str) -> None:
    unit.notify(
        Level.WARNING,
        "istio-field-partial",
        f"the redirect's Location carries {what} in Istio; on listeners of ports "
        f"{', '.join(map(str, ports))} at once, Gateway API's single port cannot say it: the port "
        "in Location differs on some of them",
        ".redirect",
    )


def _explicit(entry: Entry) -> Match:
    """The entry's match; an empty one (no condition at all) says ``PathPrefix /`` so that it
    is not read as "no match" among others."""
    match = entry.match
    if match != Match():
        return match
    return Match(
        path=_ROOT.to_match(),
        headers=match.headers,
        query_params=match.query_params,
        method=match.method,
    )


def _istio_rewrite(entry: Entry, uri: str, path: str) -> str:
    """Envoy's ``prefix_rewrite``: the matched prefix (the whole path of an exact or regex
    match) replaced."""
    own = entry.own.condition.uri
    if own is None or own.kind == "present":
        return uri + path[1:]
    if own.kind == "prefix":
        return uri + path[len(own.value) :]
    return uri


def _gw_prefix_rewrite(prefix: str, replacement: str, path: str) -> str:
    """Gateway API's ReplacePrefixMatch (whole segments; a trailing ``/`` is not part of the
    prefix)."""
    base = prefix.rstrip("/")
    rest = path[len(base) :]
    if replacement in ("", "/"):
        return rest if rest.startswith("/") else "/" + rest
    return replacement.rstrip("/") + rest if rest else replacement


def _uri_rewrite(unit: Unit, entry: Entry) -> tuple[URLRewrite, RegexRewrite | None]:
    t = unit.template
    assert t.rewrite_uri is not None
    uri = t.rewrite_uri
    provenance = [*t.rewrite_uri_prov, *t.rewrite_prov]
    path = entry.path or _ROOT
    own = entry.own.condition
    if path.kind == EXACT:
        modifier = PathModifier("ReplaceFullPath", _istio_rewrite(entry, uri, path.value))
        return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None
    if path.kind == SEG:
        base = path.value.rstrip("/")
        probe = base + "/y"
        wanted = _istio_rewrite(entry, uri, probe)
        replacement = wanted[: -len("/y")] if wanted.endswith("/y") else uri
        modifier = PathModifier("ReplacePrefixMatch", replacement or "/")
        _check_rewrite(unit, entry, uri, base, replacement or "/")
        return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None
    prefixed = own.uri is not None and own.uri.kind == "prefix"
    if path.kind in (CHAR, SEGRX) or (prefixed and own.ignore_case):
        assert own.uri is not None
        start = ("(?i)^" if own.ignore_case else "^") + escape(own.uri.value)
        extension = RegexRewrite(
            pattern=start, substitution=regex_literal(uri), provenance=list(t.rewrite_uri_prov)
        )
        rewrite = URLRewrite(hostname=t.rewrite_host, provenance=provenance)
        return rewrite, extension
    modifier = PathModifier("ReplaceFullPath", uri)
    return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None


def _check_rewrite(unit: Unit, entry: Entry, uri: str, base: str, replacement: str) -> None:
    """Report the paths Gateway API's ReplacePrefixMatch rewrites otherwise than Istio."""
    seen = []
    for path in (base, base + "/", base + "/y"):
        if (
            not path
            or not entry.own.condition.path_matches(path)
            or not (entry.path or _ROOT).has(path)
        ):
            continue
        istio = _istio_rewrite(entry, uri, path)
        gateway = _gw_prefix_rewrite(base, replacement, path)
        if istio != gateway:
            seen.append(f"{path} → {istio} (Gateway API: {gateway})")
    if seen:
        unit.notify(
            Level.WARNING,
            "istio-rewrite-differs",
            f"rewrite.uri {uri!r} replaces Istio's matched prefix character for character; "
            f"Gateway API's ReplacePrefixMatch keeps one slash between the parts: "
            f"{'; '.join(seen)}",
            ".rewrite",
        )


def _rule(
    t: Template,
    matches: list[Match],
    rewrite: URLRewrite | None,
    names: NameAllocator,
    serial: int,
    extension: RegexRewrite | None = None,
) -> Rule:
    filters = list(t.filters)
    if rewrite is not None and (rewrite.hostname is not None or rewrite.path is not None):
        filters.append(rewrite)
    redirects = any(isinstance(f, RequestRedirect) for f in filters)
    extensions = list(t.extensions)
    if extension is not None:
        extensions.append(extension)
    return Rule(
        matches=matches,
        backend_refs=[] if redirects else list(t.backends),
        filters=filters,
        request_timeout=t.timeout,
        name=names.allocate(t.name, f"{t.group}/{serial}") if t.name else None,
        extensions=extensions,
        provenance=list(t.provenance),
    )


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
