"""Kong's order between the rules of one host, kept where Gateway API's order differs.

Kong tries the route with more match fields first (methods, headers, ... — the path counts one),
then the one with more headers, then regular expressions, then longer prefixes
(``kong/router/transform.lua``, ``get_priority``). Gateway API implementations try longer paths
first and weigh header and method conditions only between equal paths (Envoy Gateway,
``internal/gatewayapi/sort.go``). So where a request can match a rule W with more conditions
and a shorter path and a rule L with a longer path, Kong sends it to W and Gateway API to L.

W then gets a match with L's path and the conditions of both rules: it takes exactly the
requests that match both, and Gateway API tries it before L (same path, more conditions). Where
that cannot be written (W rewrites the path it matched, or both rules require one header with
different values), the requests that change are reported instead.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from ingress2gateway.ir import (
    GRPCRoute,
    HTTPRoute,
    Match,
    PathMatch,
    Provenance,
    RegexRewrite,
    RequestRedirect,
    Rule,
    URLRewrite,
)
from ingress2gateway.objects import SourceRef

from .common import KongRun
from .routing import regex_literal

_TYPE_RANK = {"Exact": 2, "RegularExpression": 1, "PathPrefix": 0}


def conditions(match: Match) -> int:
    """The Kong match fields a converted match has besides host and path."""
    return (1 if match.method else 0) + (1 if match.headers else 0)


def kong_rank(match: Match, hosts: tuple[str, ...]) -> tuple[int, int, int, int]:
    """What Kong compares before a prefix's length: match fields (the hosts are one), hosts
    without wildcard (all of the Kong route's: an alias counts), headers, regex path (a
    ``PathPrefix`` from Kong's ``Prefix`` is ``~/p$`` and ``/p/``: under the path, ``/p/``)."""
    fields = 1 + conditions(match) + (1 if hosts else 0)
    plain = 1 if hosts and not any("*" in h for h in hosts) else 0
    regex = 1 if match.path is not None and match.path.type != "PathPrefix" else 0
    return (fields, plain, len({h.name.lower() for h in match.headers}), regex)


def gateway_rank(match: Match) -> tuple[int, int, int, int, int, int]:
    """Envoy Gateway's order of matches (``sort.go``): path type, path length, header matches
    (the method is one), exact ones, query matches, exact ones."""
    path = match.path or PathMatch("PathPrefix", "/")
    length = 0 if path.type == "PathPrefix" and path.value == "/" else len(path.value)
    method = 1 if match.method else 0
    return (
        _TYPE_RANK[path.type],
        length,
        len(match.headers) + method,
        sum(1 for h in match.headers if h.type == "Exact") + method,
        len(match.query_params),
        sum(1 for q in match.query_params if q.type == "Exact"),
    )


def _under(path: PathMatch, prefix: PathMatch) -> bool:
    """Every request ``path`` matches is one the ``PathPrefix`` ``prefix`` matches."""
    if prefix.type != "PathPrefix" or path.type == "RegularExpression":
        return False
    base = prefix.value.rstrip("/")
    value = path.value.rstrip("/") if path.type == "PathPrefix" else path.value
    return not base or value == base or value.startswith(base + "/")


def _combined(winner: Match, loser: Match) -> Match | None:
    """``loser``'s path with the conditions of both, or None when no request meets both."""
    if winner.method and loser.method and winner.method != loser.method:
        return None
    headers = {h.name.lower(): h for h in winner.headers}
    for header in loser.headers:
        taken = headers.get(header.name.lower())
        if taken is not None and taken != header:
            return None
        headers.setdefault(header.name.lower(), header)
    queries = {q.name: q for q in winner.query_params}
    for query in loser.query_params:
        if queries.get(query.name, query) != query:
            return None
        queries.setdefault(query.name, query)
    return Match(
        path=loser.path,
        headers=tuple(sorted(headers.values(), key=lambda h: h.name.lower())),
        query_params=tuple(queries.values()),
        method=winner.method or loser.method,
    )


def _rewrites_its_match(rule: Rule) -> bool:
    return any(
        isinstance(f, URLRewrite) and f.path is not None and f.path.type == "ReplacePrefixMatch"
        for f in rule.filters
    ) or any(isinstance(e, RegexRewrite) for e in rule.extensions)


@dataclass
class _Clash:
    winner: Rule
    loser: Rule
    loser_path: str


def keep_kong_order(
    run: KongRun,
    routes: list[HTTPRoute | GRPCRoute],
    kong_hosts: Mapping[int, tuple[str, ...]] | None = None,
) -> list[HTTPRoute]:
    """Give rules of the same host the matches that keep Kong's order (see the module);
    ``kong_hosts``: by ``id()`` of a rule, the hosts of the Kong route it comes from where they
    are not its route's hostnames (alias hosts; none for a route without host). A match Kong
    never chose (another route with the same conditions ranks first) is taken away; the routes
    left without rules are returned, to be dropped."""
    known = kong_hosts or {}
    by_host: dict[tuple[object, ...], list[tuple[HTTPRoute, Rule, tuple[str, ...]]]] = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        hosts = tuple(sorted(route.hostnames))
        # Rules compete on one Gateway (an address); with a Gateway per namespace, each is one.
        for gateway in sorted(
            {(p.name, p.namespace or route.namespace or "") for p in route.parent_refs}
        ):
            by_host.setdefault((gateway, hosts), []).extend(
                (route, rule, known.get(id(rule), hosts)) for rule in route.rules
            )
    emptied: list[HTTPRoute] = []
    for pairs in by_host.values():
        emptied += _keep_order(run, pairs)
    return emptied


def covers(hosted: Match, hostless: Match) -> bool:
    """Kong sends every request the match of a route without host takes to the match of a
    route with one: its path covers the other's, its conditions are among the other's, and
    Kong ranks it first (the host is a match field; on a tie a host without wildcard wins)."""
    if hosted.path is None or hostless.path is None:
        return False
    if hosted.path != hostless.path and not _under(hostless.path, hosted.path):
        return False
    if hosted.method and hosted.method != hostless.method:
        return False
    if not set(hosted.headers) <= set(hostless.headers):
        return False
    return conditions(hosted) + 1 >= conditions(hostless)


def _keep_order(
    run: KongRun, pairs: list[tuple[HTTPRoute, Rule, tuple[str, ...]]]
) -> list[HTTPRoute]:
    added: dict[int, tuple[HTTPRoute, Rule, list[Match]]] = {}
    shadowed: dict[int, tuple[HTTPRoute, Rule, list[Match]]] = {}
    clashes: list[_Clash] = []
    for route, winner, winner_hosts in pairs:
        if any(isinstance(f, RequestRedirect) for f in winner.filters):
            continue
        for loser_route, loser, loser_hosts in pairs:
            if loser is winner:
                continue
            for high in winner.matches:
                for low in loser.matches:
                    if high.path is None or low.path is None or not _under(low.path, high.path):
                        continue
                    if kong_rank(high, winner_hosts) <= kong_rank(low, loser_hosts):
                        continue
                    if gateway_rank(low) <= gateway_rank(high):
                        continue  # Gateway API already tries the winner first
                    both = _combined(high, low)
                    if both is None:
                        continue  # no request meets both rules' conditions
                    if gateway_rank(both) == gateway_rank(low):
                        # Every request ``low`` takes meets ``high`` too: Kong never chose it.
                        entry = shadowed.setdefault(id(loser), (loser_route, loser, []))
                        if low not in entry[2]:
                            entry[2].append(low)
                        continue
                    if _rewrites_its_match(winner):
                        clashes.append(_Clash(winner, loser, low.path.value))
                        continue
                    entry = added.setdefault(id(winner), (route, winner, []))
                    if both not in entry[2] and both not in winner.matches:
                        entry[2].append(both)
    for route, winner, matches in added.values():
        twin = copy.copy(winner)
        twin.matches = matches
        twin.name = None
        twin.filters = list(winner.filters)
        twin.extensions = [copy.copy(e) for e in winner.extensions]
        route.rules.insert(route.rules.index(winner) + 1, twin)
    emptied: list[HTTPRoute] = []
    for route, loser, matches in shadowed.values():
        loser.matches = [m for m in loser.matches if m not in matches]
        if not loser.matches:
            route.rules.remove(loser)
            if not route.rules:
                emptied.append(route)
    for clash in clashes:
        where = clash.winner.provenance[0] if clash.winner.provenance else None
        if where is None:
            continue
        run.differs(
            where.source,
            where.field,
            f"Kong sent requests under {clash.loser_path} that meet this path's header or method "
            "conditions here (Kong ranks conditions above path length), but this rule rewrites "
            "the path it matched, so no match can keep that order: Gateway API sends them to "
            f"the rule for {clash.loser_path}",
        )
    return emptied


# --- character prefixes -------------------------------------------------------------------------

CharacterPrefixes = dict[tuple[SourceRef, str], tuple[str, str]]
"""(Ingress, path field) → (the ImplementationSpecific path, what changes if it stays a
``PathPrefix``)."""


def keep_character_prefixes(
    run: KongRun,
    routes: list[HTTPRoute | GRPCRoute],
    pending: CharacterPrefixes,
    upstream: Mapping[tuple[SourceRef, str], Upstream] | None = None,
) -> None:
    """Match Kong's character prefixes exactly where Gateway API's order allows it, else say
    which requests change.

    Kong's plain path ``/api`` is ``http.path ^= "/api"``: ``PathPrefix /api`` takes ``/api`` and
    ``/api/...``, and the match ``RegularExpression /api[^/].*`` the rest (``/apiary``); Kong's
    ``/web/`` is exactly ``RegularExpression /web/.*``. Gateway API tries regular expressions
    before every prefix, while Kong ranks a plain path among prefixes by length, after
    regular expressions and after routes with more conditions: the regular expression is used
    only where no other rule of the host could take the same requests (a longer path that
    continues the prefix, a regular expression, a rule with header or method conditions). A
    rule that strips its path or prepends the Service's (``upstream``: by the path's input
    field, whether it strips and the Service path) does so for the regular expression with a
    regex rewrite, in a rule of its own (a ``ReplacePrefixMatch`` needs prefix matches)."""
    if not pending:
        return
    known = upstream or {}
    groups: dict[tuple[object, ...], list[tuple[HTTPRoute, Rule]]] = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        hosts = tuple(sorted(route.hostnames))
        for gateway in sorted(
            {(p.name, p.namespace or route.namespace or "") for p in route.parent_refs}
        ):
            groups.setdefault((gateway, hosts), []).extend((route, r) for r in route.rules)
    decided: dict[int, tuple[HTTPRoute, Rule, str, Upstream | None, bool]] = {}
    warned: set[tuple[SourceRef, str]] = set()
    for pairs in groups.values():
        rules = [rule for _, rule in pairs]
        for route, rule in pairs:
            for prov in rule.provenance:
                found = pending.get((prov.source, prov.field))
                if found is None:
                    continue
                path = found[0]
                how = known.get((prov.source, prov.field))
                before = decided.get(id(rule))
                safe = (before is None or before[4]) and _alone(rule, rules, path, how)
                decided[id(rule)] = (route, rule, path, how, safe)
                if not safe and (prov.source, prov.field) not in warned:
                    warned.add((prov.source, prov.field))
                    run.differs(prov.source, prov.field, found[1])
    for route, rule, path, how, safe in list(decided.values()):
        if safe:
            _exact(route, rule, path, how)


Upstream = tuple[bool, str, list[Provenance]]
"""How Kong builds the upstream path of a rule: strips the matched path or not, the Service
path, and the input fields that say so."""


def _alone(rule: Rule, rules: list[Rule], path: str, how: Upstream | None) -> bool:
    """No other rule of the host could take what the regular expression for ``path`` takes, and
    the rule's own path rewriting is known (or absent)."""
    if any(isinstance(e, RegexRewrite) for e in rule.extensions):
        return False
    for item in rule.filters:
        if isinstance(item, RequestRedirect):
            return False
        if isinstance(item, URLRewrite) and item.path is not None and how is None:
            return False
    if any(m.path is None or m.path != PathMatch("PathPrefix", path) for m in rule.matches):
        return False
    for other in rules:
        if other is rule:
            continue
        for match in other.matches:
            if match.path is None:
                continue
            if match.path.type == "RegularExpression" or conditions(match):
                return False
            value = match.path.value
            longer = value.startswith(path) and len(value) > len(path)
            if longer and (path.endswith("/") or value[len(path)] != "/"):
                return False
    return True


def _regex_matches(rule: Rule, pattern: str) -> list[Match]:
    return [
        Match(
            path=PathMatch("RegularExpression", pattern),
            headers=m.headers,
            query_params=m.query_params,
            method=m.method,
        )
        for m in rule.matches
    ]


def _exact(route: HTTPRoute, rule: Rule, path: str, how: Upstream | None) -> None:
    literal = regex_literal(path)
    pattern = f"{literal}.*" if path.endswith("/") else f"{literal}[^/].*"
    rewrites = any(isinstance(f, URLRewrite) and f.path is not None for f in rule.filters)
    if not rewrites:
        if path.endswith("/"):
            rule.matches = _regex_matches(rule, pattern)
        else:
            rule.matches = [*rule.matches, *_regex_matches(rule, pattern)]
        return
    assert how is not None
    strip, base, provenance = how
    # get_upstream_uri_v0: after the matched path (stripped) or the whole path, the rest joins
    # the Service path with one slash; the regular expression leaves a rest that starts with
    # another character than "/" (or the path ends with one).
    joined = base if base.endswith("/") else base + "/"
    rewrite = RegexRewrite(
        pattern=f"^{literal}" if strip else "^/",
        substitution=joined,
        provenance=list(provenance),
    )
    twin = rule if path.endswith("/") else copy.copy(rule)
    twin.matches = _regex_matches(rule, pattern)
    twin.filters = [
        URLRewrite(hostname=f.hostname, provenance=list(f.provenance))
        if isinstance(f, URLRewrite)
        else f
        for f in rule.filters
        if not (isinstance(f, URLRewrite) and f.hostname is None)
    ]
    twin.extensions = [*(copy.copy(e) for e in rule.extensions), rewrite]
    if twin is not rule:
        twin.name = None
        route.rules.insert(route.rules.index(rule) + 1, twin)
