"""Routes without host serve every host after the host's own routes.

APISIX's default router (``radixtree_host_uri``, ``apisix/http/router/radixtree_host_uri.lua``)
first tries the routes of the request's host (exact, then wildcard), and when none of them
matches the path, the routes without host. Gateway API picks the most specific listener and
only its routes: a host with any route of its own would answer 404 where APISIX fell back to a
route without host. So each rule without host is also given to every host, on a route
``<route>-hostless`` beside the host's, with the matches the host's own rules cannot take
first: a host rule without conditions whose path covers the match took all those requests in
APISIX, so that match is left out for the host; a host rule with conditions (methods, headers,
query) and the same path is tried first by Gateway API too; one with a shorter path (or a
regular expression) may be ordered differently: reported.
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


def spread_hostless(run: ApisixRun, routes: list[HTTPRoute]) -> None:
    hostless = [r for r in routes if not r.hostnames and r.rules]
    hosted = [r for r in routes if r.hostnames]
    if not hostless or not hosted:
        return
    groups: dict[tuple[tuple[str, ...], tuple[ParentRef, ...]], list[HTTPRoute]] = {}
    for route in hosted:
        key = (tuple(route.hostnames), tuple(route.parent_refs))
        groups.setdefault(key, []).append(route)
    for (hostnames, parents), members in groups.items():
        own_rules = [
            rule
            for route in hosted
            if set(route.hostnames) & set(hostnames)
            for rule in route.rules
        ]
        for source_route in hostless:
            if not _gateways(source_route) & _gateways(members[0]):
                continue  # another class's Gateway: another APISIX
            copies: list[Rule] = []
            for rule in source_route.rules:
                kept: list[Match] = []
                for match in rule.matches:
                    cover = _cover(match, own_rules)
                    if cover == "full":
                        continue
                    if cover == "partial":
                        _report_partial(run, rule, hostnames)
                    kept.append(match)
                if kept:
                    copies.append(
                        Rule(
                            matches=kept,
                            backend_refs=list(rule.backend_refs),
                            filters=list(rule.filters),
                            extensions=list(rule.extensions),
                            provenance=list(rule.provenance),
                            sources=list(rule.sources),
                            closed_status=rule.closed_status,
                        )
                    )
            if not copies:
                continue
            namespace = source_route.namespace
            allocator = run.ctx.allocator("HTTPRoute", namespace)
            new_parents = [_parent_for(run, p, members[0], namespace) for p in parents]
            for number, start in enumerate(range(0, len(copies), MAX_RULES), start=1):
                wanted = f"{members[0].name}-hostless" + (f"-{number}" if number > 1 else "")
                route = HTTPRoute(
                    name=allocator.allocate(
                        wanted,
                        f"apisix/hostless/{source_route.namespace}/{source_route.name}/"
                        f"{','.join(hostnames)}/{number}",
                    ),
                    namespace=namespace,
                    hostnames=list(hostnames),
                    parent_refs=list(new_parents),
                    rules=copies[start : start + MAX_RULES],
                    provenance=list(source_route.provenance),
                )
                run.ctx.ir.routes.append(route)


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
