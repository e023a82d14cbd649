"""Traefik's router order against Gateway API's precedence.

Traefik tries routers by priority, highest first; a router's priority is its ``priority``
field or, when that is 0 or unset, the length of its rule text (``pkg/muxer/http/mux.go``
``GetRulePriority``). Gateway API picks the most specific match instead: exact host over
wildcard, Exact path over the longest PathPrefix, then method, then the number of header and
query conditions. For every converted alternative, a request it matches (its host, its path,
its method, headers and query values) is tried against every other router's alternatives;
where both orders pick a different router for it, the difference is reported on the router
that loses the request. Priority cannot be written in Gateway API, so it is reported, not
changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gateway.ir import Match
from ingress2gateway.objects import SourceRef

from .common import TraefikRun

MAX_REPORTS = 50


@dataclass
class Router:
    source: SourceRef
    field: str
    rule: str
    priority: int
    alternatives: list[tuple[list[str] | None, Match]]
    tls: bool = False


@dataclass(frozen=True)
class _Probe:
    host: str
    path: str
    method: str
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]


def _probe(hosts: list[str] | None, match: Match) -> _Probe | None:
    if match.path is not None and match.path.type == "RegularExpression":
        return None
    if any(h.type != "Exact" for h in (*match.headers, *match.query_params)):
        return None
    host = hosts[0] if hosts else "host.example"
    if host.startswith("*."):
        host = "a" + host[1:]
    return _Probe(
        host,
        match.path.value if match.path is not None else "/",
        match.method or "GET",
        tuple((h.name.lower(), h.value) for h in match.headers),
        tuple((q.name, q.value) for q in match.query_params),
    )


def _host_matches(hosts: list[str] | None, host: str) -> int:
    """0: no; else how specific (3 exact, 2 wildcard, 1 any host)."""
    if not hosts:
        return 1
    for item in hosts:
        if item == host:
            return 3
        if item.startswith("*.") and host.endswith(item[1:]) and len(host) > len(item) - 1:
            return 2
    return 0


def _matches(match: Match, probe: _Probe, *, traefik: bool) -> bool:
    """Whether ``match`` takes the probe: with Traefik's character prefixes, or Gateway
    API's segment prefixes."""
    path = match.path
    if path is not None:
        if path.type == "Exact" and path.value != probe.path:
            return False
        if path.type == "PathPrefix" and traefik and not probe.path.startswith(path.value):
            return False
        if path.type == "PathPrefix" and not traefik:
            prefix = path.value.rstrip("/")
            if not (probe.path == prefix or probe.path.startswith(prefix + "/") or not prefix):
                return False
        if path.type == "RegularExpression":
            return False  # not compared: implementation-specific
    if match.method is not None and match.method != probe.method:
        return False
    headers = dict(probe.headers)
    if any(h.type != "Exact" or headers.get(h.name.lower()) != h.value for h in match.headers):
        return False
    query = dict(probe.query)
    return all(q.type == "Exact" and query.get(q.name) == q.value for q in match.query_params)


def _specificity(host_rank: int, match: Match) -> tuple[int, int, int, int, int, int]:
    path = match.path
    exact = 1 if path is not None and path.type == "Exact" else 0
    length = (
        len(path.value.rstrip("/")) if path is not None and path.type != "RegularExpression" else 0
    )
    return (
        host_rank,
        exact,
        length,
        1 if match.method else 0,
        len(match.headers),
        len(match.query_params),
    )


def compare(run: TraefikRun) -> None:
    routers = [r for r in run.routers if r.alternatives]
    reported = 0
    seen: set[tuple[int, int]] = set()
    for owner_index, owner in enumerate(routers):
        for hosts, match in owner.alternatives:
            probe = _probe(hosts, match)
            if probe is None:
                continue
            in_traefik = []
            in_gateway = []
            for index, router in enumerate(routers):
                if router.tls != owner.tls:
                    continue
                best = None
                taken = False
                for other_hosts, other in router.alternatives:
                    rank = _host_matches(other_hosts, probe.host)
                    if not rank:
                        continue
                    taken = taken or _matches(other, probe, traefik=True)
                    if _matches(other, probe, traefik=False):
                        spec = _specificity(rank, other)
                        best = spec if best is None or spec > best else best
                if taken:
                    in_traefik.append((index, router))
                if best is not None:
                    in_gateway.append((index, router, best))
            if not in_traefik or not in_gateway or len(in_traefik) + len(in_gateway) < 3:
                continue
            traefik = max(in_traefik, key=lambda c: (c[1].priority, -c[0]))
            gateway = max(in_gateway, key=lambda c: (c[2], -c[0]))
            if traefik[0] == gateway[0]:
                continue
            if sum(1 for c in in_gateway if c[2] == gateway[2]) > 1:
                continue  # Gateway API's own tie-break (route age) is not modelled
            pair = (traefik[0], gateway[0])
            if pair in seen or reported >= MAX_REPORTS:
                continue
            seen.add(pair)
            reported += 1
            loser, winner = traefik[1], gateway[1]
            run.priority_differs(
                loser.source,
                loser.field,
                f"a request for {probe.host}{probe.path} went to this router in Traefik "
                f"(priority {loser.priority}: {loser.rule[:120]}), before "
                f"{winner.source.display()} {winner.field} (priority {winner.priority}: "
                f"{winner.rule[:120]}); Gateway API picks the more specific match of the "
                "latter. Give the routes distinct paths or hosts if Traefik's order matters",
            )
        del owner_index
