"""Istio's first-match order, made to route the same under Gateway API.

Istio tries ``http[]`` routes in list order and takes the first that matches. Gateway API (as
Envoy Gateway orders it, ``internal/gatewayapi/sort.go``) ranks matches: exact paths, then
regular expressions, then prefixes, longer values first; then the number of header matches (the
method counts as one), of exact ones, of query matches, of exact ones; ties go to the earlier
rule. All rules of one VirtualService land in one HTTPRoute in Istio's order, so ties already go
the Istio way; what remains are the pairs where a *later* Istio match ranks *higher* and both can
match the same request:

* if the earlier match covers the later one completely, Istio never reaches the later one: it is
  dropped (and reported), so Gateway API cannot route those requests differently;
* otherwise the intersection of both (the later match's conditions plus the earlier one's) is
  added to the earlier route's rule, written so that it ranks at least as high as the later
  match (a prefix that must outrank a regular expression is written as one); it wins ties by
  rule order, so the overlapping requests reach the earlier route's backends, as in Istio.

Paths are :class:`~.paths.PathSet` s, so that Istio's character prefixes (``/api`` also takes
``/apiv2``) are compared as what they are; a user's regular expression cannot be compared and is
left to the check of :mod:`.ordercheck`, which reports what still routes differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from ingress2gateway.ir import HeaderMatch, Match

from .conditions import Condition, Scope, Sm
from .paths import ALL, EXACT, SEG, SEGRX, PathSet, escape, full_match

MAX_ADDED = 64
"""Intersections added per VirtualService before giving up (and reporting it)."""
MAX_PASSES = 8


@dataclass
class Entry:
    """One Gateway API match, and the Istio ``http[]`` route (group) it belongs to."""

    group: int
    path: PathSet | None = None
    """None: the Istio match has no ``uri`` (every path)."""
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[HeaderMatch, ...] = ()
    method: str | None = None
    exact: bool = True
    """False when Istio conditions were dropped (the match is wider than Istio's)."""
    condition: Condition = field(default_factory=Condition)
    """What Istio's match asks of a request (for an added copy: its group's match's)."""
    scope: Scope = field(default_factory=Scope)
    origin: Entry | None = None
    """For an added copy: the group's own entry it narrows (for rewrites)."""
    label: str = ""
    """The Istio field this match comes from (``spec.http[1].match[0]``)."""
    route: tuple[str, str] = ("", "")
    """The HTTPRoute (namespace, name) the match goes to: Envoy Gateway breaks precedence ties
    between routes by their namespace and name, and within a route by rule order."""

    @property
    def lacks(self) -> str | None:
        """The path Gateway API's match takes that Istio's does not: the bare directory of a
        prefix ending in ``/`` (``/api`` for ``/api/``)."""
        uri = self.own.condition.uri
        path = self.path
        if uri is None or uri.kind != "prefix" or path is None or path.kind != SEG:
            return None
        base = path.value.rstrip("/")
        return base if base and uri.value.endswith("/") and uri.value.rstrip("/") == base else None

    @property
    def own(self) -> Entry:
        return self.origin or self

    @cached_property
    def precedence(self) -> tuple[int, int, int, int, int, int]:
        """Envoy Gateway's rank of the match (see :func:`rank`), computed once."""
        path_rank = (self.path or ALL).rank()
        method = 1 if self.method else 0
        return (
            *path_rank,
            len(self.headers) + method,
            _exact_count(self.headers) + method,
            len(self.query),
            _exact_count(self.query),
        )

    @property
    def match(self) -> Match:
        return Match(
            path=None if self.path is None else self.path.to_match(),
            headers=self.headers,
            query_params=self.query,
            method=self.method,
        )

    def copy(self, **changes: object) -> Entry:
        return replace(self, origin=self.own, **changes)  # type: ignore[arg-type]


# --- matches -----------------------------------------------------------------------------------


def value_match(name: str, value: Sm | None) -> HeaderMatch | None:
    """A header or query StringMatch; prefixes and presence become regular expressions."""
    if value is None or value.kind == "never":
        return None
    if value.kind == "present":
        return HeaderMatch(name, ".*", "RegularExpression")
    if value.kind == "prefix":
        return HeaderMatch(name, escape(value.value) + ".*", "RegularExpression")
    if value.kind == "regex":
        return HeaderMatch(name, value.value, "RegularExpression")
    return HeaderMatch(name, value.value, "Exact")


def uri_path(uri: Sm, ignore_case: bool) -> PathSet | None:
    """The Gateway API path set for an Istio ``uri`` (a character prefix becomes its segment
    prefix here; :mod:`.ordercheck` adds the rest where it matters)."""
    if uri.kind == "present":
        return None
    if ignore_case:
        body = uri.value if uri.kind == "regex" else escape(uri.value)
        if uri.kind == "regex":
            return PathSet("regex", body)  # Envoy ignores case_sensitive for regex
        suffix = ".*" if uri.kind == "prefix" else ""
        return PathSet("regex", f"(?i){body}{suffix}")
    if uri.kind == "prefix":
        return PathSet(SEG, uri.value or "/")
    if uri.kind == "exact":
        return PathSet(EXACT, uri.value)
    return PathSet("regex", uri.value)


def _exact_count(matches: tuple[HeaderMatch, ...]) -> int:
    return sum(1 for m in matches if m.type == "Exact")


def rank(entry: Entry) -> tuple[int, int, int, int, int, int]:
    """Envoy Gateway's precedence of a match (higher first)."""
    return entry.precedence


def beats(b: Entry, a: Entry) -> bool:
    """Whether Gateway API tries ``b`` before ``a`` (``a`` before ``b`` in Istio's order)."""
    rank_a, rank_b = rank(a), rank(b)
    if rank_b != rank_a:
        return rank_b > rank_a
    return b.route < a.route  # a tie: the route that sorts first; in one route, the earlier rule


def gw_takes(
    entry: Entry, path: str, headers: dict[str, str], method: str, query: dict[str, str]
) -> bool:
    """Whether Gateway API's match for ``entry`` takes a request."""
    if not (entry.path or ALL).has(path):
        return False
    if entry.method is not None and entry.method != method:
        return False
    for wanted in entry.headers:
        sent = headers.get(wanted.name.lower())
        if sent is None or not _value_ok(wanted, sent):
            return False
    for wanted in entry.query:
        given = query.get(wanted.name)
        if given is None or not _value_ok(wanted, given):
            return False
    return True


def _value_ok(wanted: HeaderMatch, value: str) -> bool:
    if wanted.type == "RegularExpression":
        return full_match(wanted.value, value)
    return value == wanted.value


# --- relations --------------------------------------------------------------------------------


def _conflicting(a: tuple[HeaderMatch, ...], b: tuple[HeaderMatch, ...], fold: bool) -> bool:
    def key(h: HeaderMatch) -> str:
        return h.name.lower() if fold else h.name

    mine = {key(h): h for h in a}
    for item in b:
        other = mine.get(key(item))
        if other is None:
            continue
        if other.type == item.type == "Exact" and other.value != item.value:
            return True
        if "Exact" in (other.type, item.type) and other.type != item.type:
            exact, pattern = (other, item) if other.type == "Exact" else (item, other)
            if not full_match(pattern.value, exact.value):
                return True
    return False


def _only_lacked(a: Entry, b: Entry) -> bool:
    """``b`` takes only the one path Istio's ``a`` lacks (or the other way round)."""
    for one, other in ((a, b), (b, a)):
        lacked = one.lacks
        if lacked is not None and other.path == PathSet(EXACT, lacked):
            return True
    return False


def overlaps(a: Entry, b: Entry) -> bool:
    if not (a.path or ALL).overlaps(b.path or ALL) or _only_lacked(a, b):
        return False
    if a.method and b.method and a.method != b.method:
        return False
    return not (_conflicting(a.headers, b.headers, True) or _conflicting(a.query, b.query, False))


def covers(a: Entry, b: Entry) -> bool:
    """Every request ``b`` matches, ``a`` matches too."""
    if not (a.path or ALL).contains(b.path or ALL) or _only_lacked(a, b):
        return False
    if a.method and a.method != b.method:
        return False
    headers = {(h.name.lower(), h.type, h.value) for h in b.headers}
    queries = set(b.query)
    return all((h.name.lower(), h.type, h.value) in headers for h in a.headers) and all(
        q in queries for q in a.query
    )


def _union(
    a: tuple[HeaderMatch, ...], b: tuple[HeaderMatch, ...], fold: bool
) -> tuple[HeaderMatch, ...] | None:
    out: dict[str, HeaderMatch] = {}
    for item in (*a, *b):
        key = item.name.lower() if fold else item.name
        if key in out and out[key] != item:
            return None  # two conditions on one name: a match can hold only one
        out[key] = item
    return tuple(out.values())


def intersect(a: Entry, b: Entry) -> Entry | None:
    """A copy of ``a`` narrowed to the requests ``b`` also takes, written to rank at least as
    high as ``b``; None when Gateway API cannot say it."""
    path_a, path_b = a.path or ALL, b.path or ALL
    if path_a.contains(path_b):
        path: PathSet | None = b.path
    elif path_b.contains(path_a):
        path = a.path
        if path_a.rank() < path_b.rank():
            if path_a.kind != SEG:
                return None
            path = PathSet(SEGRX, path_a.value)  # the same paths, as a regular expression
            if path.rank() < path_b.rank():
                return None
    else:
        return None
    headers = _union(a.headers, b.headers, True)
    queries = _union(a.query, b.query, False)
    if headers is None or queries is None or (a.method and b.method and a.method != b.method):
        return None
    return a.copy(path=path, headers=headers, query=queries, method=a.method or b.method)


# --- keeping the order ---------------------------------------------------------------------------


@dataclass
class OrderFinding:
    """Something the reordering did, for the route's notifications."""

    kind: str
    """``shadowed`` (later match dropped), ``narrowed`` (intersection added), ``uncertain``."""
    earlier: int
    later: int


def _same(a: Entry, b: Entry) -> bool:
    return (a.group, a.path, a.headers, a.query, a.method) == (
        b.group,
        b.path,
        b.headers,
        b.query,
        b.method,
    )


def preserve_first_match(entries: list[Entry]) -> tuple[list[Entry], list[OrderFinding]]:
    """Make Gateway API precedence pick the route Istio's list order picks (see module doc).

    ``entries`` are in Istio's order of routes. Each pass compares every earlier/later pair once;
    a pass that adds intersections is followed by another, as a narrowed copy can overlap an
    even earlier route.
    """
    result = list(entries)
    findings: list[OrderFinding] = []
    added = 0
    # Istio's order of the routes: where each first appears (the routes of several
    # VirtualServices interleave: their catch-all routes come last).
    order: dict[int, int] = {}
    for position, entry in enumerate(entries):
        order.setdefault(entry.group, position)
    for _ in range(MAX_PASSES):
        removed: set[int] = set()
        additions: list[Entry] = []
        for i, a in enumerate(result):
            if i in removed:
                continue
            for j in range(i + 1, len(result)):
                b = result[j]
                if j in removed or order[b.group] <= order[a.group] or not beats(b, a):
                    continue
                if not overlaps(a, b):
                    continue
                if a.exact and covers(a, b):
                    removed.add(j)
                    _add(findings, OrderFinding("shadowed", a.group, b.group))
                    continue
                inter = intersect(a, b)
                if inter is not None and beats(b, inter):
                    inter = None  # the copy would lose to b on the tie between routes
                if inter is None or added >= MAX_ADDED:
                    _add(findings, OrderFinding("uncertain", a.group, b.group))
                elif not any(_same(inter, e) for e in (*result, *additions)):
                    additions.append(inter)
                    added += 1
                    _add(findings, OrderFinding("narrowed", a.group, b.group))
        if not removed and not additions:
            break
        kept = [e for k, e in enumerate(result) if k not in removed]
        for entry in additions:
            position = max(
                (k for k, e in enumerate(kept) if e.group == entry.group), default=len(kept) - 1
            )
            kept.insert(position + 1, entry)
        result = kept
    alive = {e.group for e in result}
    findings = [f for f in findings if f.kind != "uncertain" or f.later in alive]
    return result, findings


def _add(findings: list[OrderFinding], item: OrderFinding) -> None:
    if item not in findings:
        findings.append(item)


def regex_literal(text: str) -> str:
    """``text`` for an RE2 substitution (a backslash stands for itself)."""
    return re.sub(r"\\", r"\\\\", text)
