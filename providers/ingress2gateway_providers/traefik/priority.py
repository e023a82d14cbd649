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

import functools
import re
from dataclasses import dataclass

from ingress2gateway.ir import Match
from ingress2gateway.objects import SourceRef
from ingress2gateway.verification.probes import regex_sample

from .common import TraefikRun

MAX_REPORTS = 50
MAX_PROBES = 20_000
MAX_GROUP = 400


@dataclass
class Router:
    source: SourceRef
    field: str
    rule: str
    priority: int
    alternatives: list[tuple[list[str] | None, Match]]
    schemes: frozenset[str] = frozenset({"http"})
    """The schemes it serves: https for TLS routers and routers on the websecure entry point
    (its TLS), http for the others on plain entry points."""


@dataclass(frozen=True)
class _Probe:
    host: str
    path: str
    method: str
    headers: tuple[tuple[str, str], ...]
    query: tuple[tuple[str, str], ...]


_WRAPPED = re.compile(r"(?:\.\*)?\(\?:(?P<inner>.*)\)(?:\.\*)?", re.DOTALL)


def _path_samples(match: Match) -> list[str]:
    path = match.path
    if path is None:
        return ["/"]
    if path.type != "RegularExpression":
        return [path.value, path.value.rstrip("/") + "/x"]
    found = _WRAPPED.fullmatch(path.value)
    inner = found.group("inner") if found else path.value
    sample = regex_sample(inner.lstrip("^"))
    if sample is None:
        return []
    return [sample if sample.startswith("/") else "/" + sample]


def _hosts(a: list[str] | None, b: list[str] | None) -> str | None:
    """A host both take (None: they share none)."""
    if not a and not b:
        return "host.example"
    for host in (a or []) + (b or []):
        concrete = "a" + host[1:] if host.startswith("*.") else host
        if _host_matches(a, concrete) and _host_matches(b, concrete):
            return concrete
    return None


def _joint(
    first: tuple[list[str] | None, Match], second: tuple[list[str] | None, Match]
) -> list[_Probe]:
    """Requests both alternatives may take (empty when they cannot share one)."""
    host = _hosts(first[0], second[0])
    a, b = first[1], second[1]
    if host is None or (a.method and b.method and a.method != b.method):
        return []
    headers = {h.name.lower(): h for h in (*a.headers, *b.headers)}
    queries = {q.name: q for q in (*a.query_params, *b.query_params)}
    if any(h.type != "Exact" for h in (*headers.values(), *queries.values())):
        return []
    if len(headers) < len({(h.name.lower(), h.value) for h in (*a.headers, *b.headers)}):
        return []
    if len(queries) < len({(q.name, q.value) for q in (*a.query_params, *b.query_params)}):
        return []
    probes = []
    for path in dict.fromkeys(_path_samples(a) + _path_samples(b)):
        probes.append(
            _Probe(
                host,
                path,
                a.method or b.method or "GET",
                tuple(sorted((k, h.value) for k, h in headers.items())),
                tuple(sorted((k, q.value) for k, q in queries.items())),
            )
        )
    return probes


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
            compiled = _compiled(path.value)
            if compiled is None or compiled.fullmatch(probe.path) is None:
                return False
    if match.method is not None and match.method != probe.method:
        return False
    headers = dict(probe.headers)
    if any(h.type != "Exact" or headers.get(h.name.lower()) != h.value for h in match.headers):
        return False
    query = dict(probe.query)
    return all(q.type == "Exact" and query.get(q.name) == q.value for q in match.query_params)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _specificity(host_rank: int, match: Match) -> tuple[int, int, int, int, int]:
    """Envoy Gateway's order of matches (``internal/gatewayapi/sort.go``): Exact,
    RegularExpression, PathPrefix; longer values first (``/`` counts 0); then the header
    conditions, the method counted as one (``:method``); then query parameters."""
    # Routes without hostnames are attached to the host's own listeners (see spread.py),
    # where they take the listener's host name: the host adds no rank.
    del host_rank
    path = match.path
    kind = {"Exact": 3, "RegularExpression": 2, "PathPrefix": 1}[path.type] if path else 1
    value = path.value if path is not None else "/"
    length = 0 if kind == 1 and value == "/" else len(value)
    headers = len(match.headers) + (1 if match.method else 0)
    return (kind, length, headers, headers, len(match.query_params))


def _winners(routers: list[Router], probe: _Probe, scheme: str) -> tuple[int, int] | None:
    """The router Traefik picks for ``probe`` and the one Gateway API picks (indexes), or
    None when they agree (or one of them picks nothing)."""
    in_traefik: list[int] = []
    in_gateway: list[tuple[tuple[int, ...], int]] = []
    for index, router in enumerate(routers):
        if scheme not in router.schemes:
            continue
        taken = False
        best: tuple[int, ...] | None = None
        for hosts, match in router.alternatives:
            rank = _host_matches(hosts, probe.host)
            if not rank:
                continue
            taken = taken or _matches(match, probe, traefik=True)
            if _matches(match, probe, traefik=False):
                spec = _specificity(rank, match)
                best = spec if best is None or spec > best else best
        if taken:
            in_traefik.append(index)
        if best is not None:
            in_gateway.append((best, index))
    if not in_traefik or not in_gateway:
        return None
    traefik = max(in_traefik, key=lambda i: (routers[i].priority, -i))
    equal = [
        i for i in in_traefik if i != traefik and routers[i].priority == routers[traefik].priority
    ]
    if equal:
        # Traefik sorts its routes by priority alone (``sort.Sort``, not stable): which of
        # routers of equal priority answers is not defined.
        return traefik, equal[0]
    top = max(spec for spec, _ in in_gateway)
    tied = [i for spec, i in in_gateway if spec == top]
    if tied == [traefik]:
        return None
    # Gateway API breaks a tie by the routes' age and names, not by Traefik's priority: a tie
    # that includes Traefik's pick may go either way.
    return traefik, next(i for i in tied if i != traefik)


def _groups(routers: list[Router]) -> list[list[Router]]:
    """Routers that may compete for a request: those of one host (wildcards covering it and
    routers without host included), so that the comparison never spans unrelated hosts."""
    by_host: dict[str | None, list[int]] = {}
    for index, router in enumerate(routers):
        for hosts, _ in router.alternatives:
            keys: list[str | None] = list(hosts) if hosts else [None]
            for key in keys:
                members = by_host.setdefault(key, [])
                if not members or members[-1] != index:
                    members.append(index)
    hostless = by_host.get(None, [])
    wildcards = [h for h in by_host if h is not None and h.startswith("*.")]
    groups = []
    for name, members in sorted(by_host.items(), key=lambda kv: kv[0] or ""):
        chosen = set(members) | set(hostless)
        if name is not None and not name.startswith("*."):
            for wildcard in wildcards:
                if wildcard is not None and name.endswith(wildcard[1:]):
                    chosen.update(by_host[wildcard])
        groups.append([routers[i] for i in sorted(chosen)[:MAX_GROUP]])
    return groups


def _takes(alternative: tuple[list[str] | None, Match], probe: _Probe) -> bool:
    hosts, match = alternative
    return bool(_host_matches(hosts, probe.host)) and (
        _matches(match, probe, traefik=True) or _matches(match, probe, traefik=False)
    )


def compare(run: TraefikRun) -> None:
    """Report the requests Traefik's order sends to another router than Gateway API's."""
    reported = 0
    seen: set[tuple[int, int]] = set()
    budget = MAX_PROBES
    for group in _groups([r for r in run.routers if r.alternatives]):
        for first_index, first in enumerate(group):
            for second in group[first_index:]:
                for scheme in sorted(first.schemes & second.schemes):
                    for alt_a in first.alternatives:
                        for alt_b in second.alternatives:
                            for probe in _joint(alt_a, alt_b):
                                if not (_takes(alt_a, probe) and _takes(alt_b, probe)):
                                    continue
                                budget -= 1
                                if budget < 0 or reported >= MAX_REPORTS:
                                    return
                                found = _winners(group, probe, scheme)
                                if found is None:
                                    continue
                                picked, other = group[found[0]], group[found[1]]
                                key = (id(picked), id(other))
                                if key in seen:
                                    continue
                                seen.add(key)
                                reported += 1
                                if picked.priority == other.priority:
                                    _report_tie(run, picked, other, probe)
                                else:
                                    _report(run, picked, other, probe)


def _report(run: TraefikRun, picked: Router, preferred: Router, probe: _Probe) -> None:
    request = f"{probe.method} {probe.host}{probe.path}"
    if probe.query:
        request += "?" + "&".join(f"{k}={v}" for k, v in probe.query)
    if probe.headers:
        request += " with " + ", ".join(f"{k}: {v}" for k, v in probe.headers)
    message = (
        f"{request[:300]} went to {picked.source.display()} {picked.field} in Traefik "
        f"(priority {picked.priority}: {picked.rule[:120]}), not to "
        f"{preferred.source.display()} {preferred.field} (priority {preferred.priority}: "
        f"{preferred.rule[:120]}), which Gateway API's precedence prefers or may prefer (a "
        "more specific match, or a tie Gateway API breaks by route age and name). Give the "
        "routes distinct paths or hosts if Traefik's order matters"
    )
    # Both routers decide such a request: the report names each.
    run.priority_differs(picked.source, picked.field, message)
    run.priority_differs(preferred.source, preferred.field, message)


def _report_tie(run: TraefikRun, first: Router, second: Router, probe: _Probe) -> None:
    message = (
        f"{probe.method} {probe.host}{probe.path} matches {first.source.display()} "
        f"{first.field} and {second.source.display()} {second.field}, both of priority "
        f"{first.priority}: Traefik's choice between them is not defined (it sorts routers by "
        "priority alone); Gateway API picks the more specific match. Give one of them a "
        "priority if the choice matters"
    )
    run.priority_differs(first.source, first.field, message)
    run.priority_differs(second.source, second.field, message)
