"""Istio matches and Istio's first-match order, made to route the same under Gateway API.

Istio tries ``http[]`` routes in list order and takes the first that matches. Gateway API ranks
matches by specificity (exact path, then the longest prefix, then method, then the number of
header and query matches; ties go to the earlier rule of a route). All rules of one
VirtualService land in one HTTPRoute in Istio's order, so ties already go the Istio way; what
remains are the pairs where a *later* Istio match ranks *higher* in Gateway API and both can
match the same request:

* if the earlier match covers the later one completely, Istio never reaches the later one: it is
  dropped (and reported), so Gateway API cannot route those requests differently;
* otherwise the intersection of both (the later match's conditions plus the earlier one's) is
  added to the earlier route's rule: it ranks at least as high as the later match and wins ties
  by rule order, so the overlapping requests reach the earlier route's backends, as in Istio.

Regular-expression paths have implementation-specific precedence in Gateway API: overlaps with
them are reported, not fixed. Istio's ``prefix`` is a character prefix (``/foo`` also matches
``/foobar``) while ``PathPrefix`` matches whole segments; that difference is reported once per
match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gateway.ir import HeaderMatch, Match, PathMatch

MAX_ADDED = 64
"""Intersections added per VirtualService before giving up (and reporting it)."""
MAX_PASSES = 8

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_ROOT = PathMatch("PathPrefix", "/")


@dataclass
class Entry:
    """One Gateway API match and the Istio ``http[]`` route (group) it belongs to."""

    group: int
    match: Match
    exact: bool = True
    """False when Istio conditions were dropped (the match is wider than Istio's)."""
    origin: Match | None = None
    """For an added intersection: the group's own match it narrows (to recompute rewrites)."""


def string_match(value: object) -> tuple[str, str] | None:
    """An Istio StringMatch → (``Exact``|``Prefix``|``RegularExpression``, value)."""
    if not isinstance(value, dict):
        return None
    if value == {}:
        return "RegularExpression", ".*"
    for key, kind in (("exact", "Exact"), ("prefix", "Prefix"), ("regex", "RegularExpression")):
        text = value.get(key)
        if isinstance(text, str):
            return kind, text
    return None


def value_match(name: str, value: object) -> HeaderMatch | None:
    """A header or query StringMatch; prefixes become anchored regular expressions."""
    parsed = string_match(value)
    if parsed is None or not _HEADER_NAME.match(name):
        return None
    kind, text = parsed
    if kind == "Prefix":
        return HeaderMatch(name, re.escape(text) + ".*", "RegularExpression")
    return HeaderMatch(name, text, kind)  # type: ignore[arg-type]


def uri_match(value: object, ignore_case: bool) -> PathMatch | None:
    parsed = string_match(value)
    if parsed is None or (parsed[1] == ".*" and value == {}):
        return None
    kind, text = parsed
    if ignore_case:
        body = re.escape(text) if kind != "RegularExpression" else text
        suffix = ".*" if kind == "Prefix" else ""
        return PathMatch("RegularExpression", f"(?i){body}{suffix}")
    if kind == "Prefix":
        return PathMatch("PathPrefix", text or "/")
    return PathMatch(kind, text)  # type: ignore[arg-type]


# --- precedence --------------------------------------------------------------------------------


def rank(match: Match) -> tuple[int, int, int, int, int]:
    path = match.path or _ROOT
    kind = {"Exact": 2, "PathPrefix": 1}.get(path.type, 0)
    length = len(path.value) if kind else 0
    return (
        kind,
        length,
        int(match.method is not None),
        len(match.headers),
        len(match.query_params),
    )


def _under(path: str, prefix: str) -> bool:
    """Gateway API PathPrefix semantics: whole segments, a trailing slash ignored."""
    base = prefix.rstrip("/")
    return not base or path in (base, prefix) or path.startswith(base + "/")


def _literal_prefix(pattern: str) -> str:
    """The characters every match of a case-sensitive regular expression starts with."""
    out = []
    for char in pattern:
        if char in ".[]()*+?{}|^$\\":
            break
        out.append(char)
    return "".join(out)


def _paths_overlap(a: PathMatch, b: PathMatch) -> bool:
    if a.type == b.type == "RegularExpression":
        return True
    if "RegularExpression" in (a.type, b.type):
        regex, other = (a, b) if a.type == "RegularExpression" else (b, a)
        literal = _literal_prefix(regex.value)
        # A path that starts differently from the expression's literal start cannot match both.
        return other.value.startswith(literal) or literal.startswith(other.value.rstrip("/"))
    if a.type == b.type == "Exact":
        return a.value == b.value
    if a.type == "Exact":
        return _under(a.value, b.value)
    if b.type == "Exact":
        return _under(b.value, a.value)
    return _under(a.value, b.value) or _under(b.value, a.value)


def _path_covers(a: PathMatch, b: PathMatch) -> bool:
    if a == b:
        return True
    if a.type != "PathPrefix" or b.type == "RegularExpression":
        return False
    return _under(b.value, a.value)


def _conflicting(a: tuple[HeaderMatch, ...], b: tuple[HeaderMatch, ...], fold: bool) -> bool:
    def key(h: HeaderMatch) -> str:
        return h.name.lower() if fold else h.name

    mine = {key(h): h for h in a}
    for item in b:
        other = mine.get(key(item))
        if other is not None and other.type == item.type == "Exact" and other.value != item.value:
            return True
    return False


def overlaps(a: Match, b: Match) -> bool:
    if not _paths_overlap(a.path or _ROOT, b.path or _ROOT):
        return False
    if a.method and b.method and a.method != b.method:
        return False
    return not (
        _conflicting(a.headers, b.headers, True)
        or _conflicting(a.query_params, b.query_params, False)
    )


def covers(a: Match, b: Match) -> bool:
    """Every request ``b`` matches, ``a`` matches too."""
    if not _path_covers(a.path or _ROOT, b.path or _ROOT):
        return False
    if a.method and a.method != b.method:
        return False
    headers = {(h.name.lower(), h.type, h.value) for h in b.headers}
    queries = set(b.query_params)
    return all((h.name.lower(), h.type, h.value) in headers for h in a.headers) and all(
        q in queries for q in a.query_params
    )


def intersect(a: Match, b: Match) -> Match | None:
    """A match for the requests both match, or None when Gateway API cannot say it."""
    path_a, path_b = a.path or _ROOT, b.path or _ROOT
    if _path_covers(path_a, path_b):
        path = path_b
    elif _path_covers(path_b, path_a):
        path = path_a
    else:
        return None
    headers = _union(a.headers, b.headers, True)
    queries = _union(a.query_params, b.query_params, False)
    if headers is None or queries is None:
        return None
    return Match(
        path=None if path == _ROOT and a.path is None and b.path is None else path,
        headers=headers,
        query_params=queries,
        method=a.method or b.method,
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


@dataclass
class OrderFinding:
    """Something the reordering did, for the route's notifications."""

    kind: str
    """``shadowed`` (later match dropped), ``narrowed`` (intersection added), ``uncertain``."""
    earlier: int
    later: int


def preserve_first_match(entries: list[Entry]) -> tuple[list[Entry], list[OrderFinding]]:
    """Make Gateway API precedence pick the route Istio's list order picks (see module doc).

    ``entries`` are in Istio order (by group). Each pass compares every earlier/later pair once;
    a pass that adds intersections is followed by another, as a narrowed copy can overlap an
    even earlier route.
    """
    result = list(entries)
    findings: list[OrderFinding] = []
    added = 0
    for _ in range(MAX_PASSES):
        ranks = [rank(e.match) for e in result]
        known = {(e.group, e.match) for e in result}
        removed: set[int] = set()
        additions: list[Entry] = []
        for i, a in enumerate(result):
            if i in removed:
                continue
            for j in range(i + 1, len(result)):
                b = result[j]
                if j in removed or b.group <= a.group or ranks[j] <= ranks[i]:
                    continue
                if not overlaps(a.match, b.match):
                    continue
                kinds = ((a.match.path or _ROOT).type, (b.match.path or _ROOT).type)
                if "RegularExpression" in kinds:
                    _add(findings, OrderFinding("uncertain", a.group, b.group))
                elif a.exact and covers(a.match, b.match):
                    removed.add(j)
                    _add(findings, OrderFinding("shadowed", a.group, b.group))
                else:
                    inter = intersect(a.match, b.match)
                    if inter is None or added >= MAX_ADDED:
                        _add(findings, OrderFinding("uncertain", a.group, b.group))
                    elif (a.group, inter) not in known:
                        known.add((a.group, inter))
                        additions.append(Entry(a.group, inter, a.exact, origin=a.origin or a.match))
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
