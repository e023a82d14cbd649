"""Routes without host serve every host after the host's own routes.

APISIX's default router (``radixtree_host_uri``, ``apisix/http/router/radixtree_host_uri.lua``)
first tries the routes of the request's host (exact, then wildcard), and when none of them
matches the path, the routes without host. Gateway API picks the most specific listener and
only its routes: a host with any route of its own would answer 404 where APISIX fell back to a
route without host. So each rule without host is also given to every host (one route
``<route>-hosts`` without hostnames, attached to the listeners of every host that keeps the
same matches), with the matches the host's own rules cannot take first: a host rule without
conditions whose path covers the match took all those requests in APISIX, so that match is
left out for the host; a host rule with conditions (methods, headers, query) and the same path
is tried first by Gateway API too; one with a shorter path (or a regular expression) may be
ordered differently: reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingress2gateway.ir import HTTPRoute, Match, ParentRef, PathMatch, Rule

from .common import ApisixRun

MAX_RULES = 16


def _covers(own: PathMatch, other: PathMatch) -> bool | None:
    """Whether every request ``other`` matches is one ``own`` matches too (None: unknown)."""
    if own.type == "RegularExpression":
        return None
    if own.type == "Exact":
        return other.type == "Exact" and other.value == own.value
    base = own.value.rstrip("/")
    value = other.value
    if other.type == "RegularExpression":
        value = value.removesuffix(".*").replace("\\", "")
        if value.startswith((".*", "(?")):
            return base == ""
    return base == "" or value == base or value.startswith(base + "/")


def _cover(match: Match, own_rules: Iterable[Rule]) -> str:
    """``full``: a host rule without conditions takes all its requests; ``partial``: one with
    conditions or a regular expression may; ``none``."""
    found = "none"
    for rule in own_rules:
        for own in rule.matches:
            if own.path is None or match.path is None:
                continue
            covered = _covers(own.path, match.path)
            if covered is False:
                continue
            if covered and not (own.method or own.headers or own.query_params):
                return "full"
            if covered and own.path == match.path:
                continue  # the same path: Gateway API also tries the host rule's conditions first
            found = "partial"
    return found


MAX_PARENTS = 32


def spread_hostless(run: ApisixRun, routes: list[HTTPRoute]) -> None:
    hostless = [r for r in routes if not r.hostnames and r.rules]
    hosted = [r for r in routes if r.hostnames]
    if not hostless or not hosted:
        return
    groups: dict[tuple[tuple[str, ...], tuple[ParentRef, ...]], list[HTTPRoute]] = {}
    by_host: dict[str, list[HTTPRoute]] = {}
    for route in hosted:
        groups.setdefault((tuple(route.hostnames), tuple(route.parent_refs)), []).append(route)
        for hostname in route.hostnames:
            by_host.setdefault(hostname, []).append(route)
    # Hosts that keep the same matches of a route without host share one copy of it: a route
    # without hostnames attached to each of their listeners.
    plans: dict[
        tuple[int, tuple[tuple[int, ...], ...]], tuple[HTTPRoute, list[Rule], list[ParentRef]]
    ] = {}
    seen: dict[tuple[int, tuple[tuple[int, ...], ...]], set[ParentRef]] = {}
    for (hostnames, parents), members in groups.items():
        sharing = {id(r): r for h in hostnames for r in by_host.get(h, ())}
        own_rules = [rule for route in sharing.values() for rule in route.rules]
        for source_route in hostless:
            if not _gateways(source_route) & _gateways(members[0]):
                continue  # another class's Gateway: another APISIX
            kept_by_rule = _kept(run, source_route, own_rules, hostnames)
            signature = tuple(tuple(i for i, _ in kept) for kept in kept_by_rule)
            if not any(signature):
                continue
            key = (id(source_route), signature)
            if key not in plans:
                plans[key] = (source_route, _copies(source_route, kept_by_rule), [])
            found = plans[key][2]
            known = seen.setdefault(key, set())
            for parent in parents:
                ref = _parent_for(run, parent, members[0], source_route.namespace)
                if ref not in known:
                    known.add(ref)
                    found.append(ref)
    for (_, signature), (source_route, copies, targets) in plans.items():
        allocator = run.ctx.allocator("HTTPRoute", source_route.namespace)
        chunks = [
            (targets[p : p + MAX_PARENTS], copies[r : r + MAX_RULES])
            for p in range(0, len(targets), MAX_PARENTS)
            for r in range(0, len(copies), MAX_RULES)
        ]
        for number, (parent_chunk, rule_chunk) in enumerate(chunks, start=1):
            wanted = f"{source_route.name}-hosts" + (f"-{number}" if number > 1 else "")
            route = HTTPRoute(
                name=allocator.allocate(
                    wanted,
                    f"apisix/hostless/{source_route.namespace}/{source_route.name}/"
                    f"{signature}/{number}",
                ),
                namespace=source_route.namespace,
                parent_refs=list(parent_chunk),
                rules=[_copy(rule) for rule in rule_chunk],
                provenance=list(source_route.provenance),
            )
            run.ctx.ir.routes.append(route)


def _kept(
    run: ApisixRun, source_route: HTTPRoute, own_rules: list[Rule], hostnames: tuple[str, ...]
) -> list[list[tuple[int, Match]]]:
    """Per rule of ``source_route``, the matches the hosts' own rules do not take first."""
    out: list[list[tuple[int, Match]]] = []
    for rule in source_route.rules:
        kept: list[tuple[int, Match]] = []
        for index, match in enumerate(rule.matches):
            cover = _cover(match, own_rules)
            if cover == "full":
                continue
            if cover == "partial":
                _report_partial(run, rule, hostnames)
            kept.append((index, match))
        out.append(kept)
    return out


def _copies(source_route: HTTPRoute, kept_by_rule: list[list[tuple[int, Match]]]) -> list[Rule]:
    return [
        Rule(
            matches=[match for _, match in kept],
            backend_refs=list(rule.backend_refs),
            filters=list(rule.filters),
            extensions=list(rule.extensions),
            provenance=list(rule.provenance),
            sources=list(rule.sources),
            closed_status=rule.closed_status,
        )
        for rule, kept in zip(source_route.rules, kept_by_rule, strict=True)
        if kept
    ]


def _copy(rule: Rule) -> Rule:
    return Rule(
        matches=list(rule.matches),
        backend_refs=list(rule.backend_refs),
        filters=list(rule.filters),
        extensions=list(rule.extensions),
        provenance=list(rule.provenance),
        sources=list(rule.sources),
        closed_status=rule.closed_status,
    )


def _gateways(route: HTTPRoute) -> set[tuple[str, str | None]]:
    return {(p.name, p.namespace or route.namespace) for p in route.parent_refs}


def _parent_for(
    run: ApisixRun, parent: ParentRef, owner: HTTPRoute, namespace: str | None
) -> ParentRef:
    """``parent`` of ``owner`` as a route in ``namespace`` names it, admitting that namespace."""
    gateway_namespace = parent.namespace or owner.namespace
    for gateway in run.ctx.ir.gateways:
        if gateway.name == parent.name and gateway.namespace == gateway_namespace:
            listener = gateway.listener(parent.section_name) if parent.section_name else None
            if listener is not None and namespace != gateway.namespace:
                listener.allowed_namespaces.add(namespace)
            return gateway.parent_ref(namespace, parent.section_name)
    return parent


def _report_partial(run: ApisixRun, rule: Rule, hostnames: tuple[str, ...]) -> None:
    for item in rule.provenance[:1]:
        run.differs(
            item.source,
            item.field,
            f"APISIX serves this path without host on {', '.join(hostnames)} only when none of "
            "that host's own routes matches; a host rule with conditions (or a regular "
            "expression) also covers it, which Gateway API may order differently",
        )
