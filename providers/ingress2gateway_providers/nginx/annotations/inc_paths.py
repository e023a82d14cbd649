"""NGINX Inc's prefix locations as Gateway API matches: character prefixes and the trailing
slash redirect.

An NGINX Inc ``Prefix`` or ``ImplementationSpecific`` path (and a VirtualServer route path) is a
plain nginx ``location /app``: a *character* prefix, so ``/app`` takes ``/apple`` too, while
Gateway API's ``PathPrefix /app`` matches whole segments (``/app``, ``/app/...``). And for
``location /tea/`` nginx answers ``/tea`` with a 301 to ``/tea/`` (its ``auto_redirect`` for
locations that proxy, ``ngx_http_core_find_location``), where ``PathPrefix /tea/`` serves it.

* ``/tea/`` gets a rule ``Exact /tea`` that redirects (301) to ``/tea/`` unless another rule of
  the host takes ``/tea`` itself (an Exact ``/tea`` or a prefix ``/tea``), as nginx does.
* ``/app`` also matches ``RegularExpression /app[^/].*`` (Envoy Gateway, like nginx for an exact
  location, tries Exact first; it then tries regular expressions before every prefix), where no
  other rule of the host could take those requests first: no regular expression (nginx tries
  regular expression locations before the longest prefix; their order against the new one would
  change), no longer prefix that continues the path (``/apple`` wins ``/apple/x`` in nginx, where
  the regular expression would take it), and no rewrite of the matched prefix (a
  ``ReplacePrefixMatch`` needs a ``PathPrefix`` match). Elsewhere the path stays a segment
  prefix, and a warning (``nginx-inc-differs``) names the requests that change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ingress2gateway.ir import (
    Match,
    PathMatch,
    PathModifier,
    RequestRedirect,
    Rule,
    URLRewrite,
)

_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def regex_literal(text: str) -> str:
    """``text`` as an RE2 pattern that matches it literally."""
    return "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in text)


def _path(rule: Rule) -> PathMatch | None:
    return rule.matches[0].path if rule.matches else None


def _rewrites_prefix(rule: Rule) -> bool:
    return any(
        isinstance(f, URLRewrite) and f.path is not None and f.path.type == "ReplacePrefixMatch"
        for f in rule.filters
    )


Differs = Callable[[Rule, str, str], None]
"""Told a rule, its prefix and why, when the character prefix could not be kept."""


def keep_prefixes(
    rules: Sequence[Rule], prefixes: set[int], differs: Differs, proxies: set[int] | None = None
) -> list[Rule]:
    """Make the nginx prefix locations among ``rules`` (every rule of one host; ``prefixes``
    holds the ``id()`` of those that are nginx prefixes, ``proxies`` of those that proxy, which
    alone redirect a path without its trailing slash; None: all of them) match as nginx does,
    in place; return the trailing-slash redirect rules to add to the host."""
    values: dict[str, list[Rule]] = {}
    for rule in rules:
        path = _path(rule)
        if id(rule) in prefixes and path is not None and path.type == "PathPrefix":
            values.setdefault(path.value, []).append(rule)
    taken_exactly = {
        m.path.value
        for rule in rules
        for m in rule.matches
        if m.path is not None and m.path.type in ("Exact", "PathPrefix")
    }
    regexes = any(
        m.path is not None and m.path.type == "RegularExpression" for r in rules for m in r.matches
    )
    prefix_values = {
        m.path.value
        for r in rules
        for m in r.matches
        if m.path is not None and m.path.type == "PathPrefix"
    }
    added: list[Rule] = []
    widen: list[tuple[list[Rule], str]] = []
    for value, owners in sorted(values.items()):
        if value == "/":
            continue
        if value.endswith("/"):
            bare = value.rstrip("/")
            proxying = proxies is None or any(id(r) in proxies for r in owners)
            if bare and bare not in taken_exactly and proxying:
                taken_exactly.add(bare)
                first = next(r for r in owners if proxies is None or id(r) in proxies)
                added.append(
                    Rule(
                        matches=[Match(path=PathMatch("Exact", bare))],
                        filters=[
                            RequestRedirect(
                                path=PathModifier("ReplaceFullPath", value),
                                status_code=301,
                                provenance=list(first.provenance),
                            )
                        ],
                        provenance=list(first.provenance),
                        sources=list(first.sources),
                    )
                )
            continue
        continued = sorted(
            other
            for other in prefix_values
            if other.startswith(value) and len(other) > len(value) and other[len(value)] != "/"
        )
        why = ""
        if any(_rewrites_prefix(r) for r in owners):
            why = "its rule rewrites the prefix it matched, which needs a PathPrefix match"
        elif continued:
            why = (
                f"the longer prefix {continued[0]} continues it (nginx gives {continued[0]}/x to "
                f"{continued[0]}; a regular expression for {value} would take it here)"
            )
        elif regexes:
            why = (
                "this host has regular-expression paths, which nginx tries before its longest "
                "prefix; a regular expression for the rest would change their order"
            )
        if why:
            for rule in owners:
                differs(rule, value, why)
            continue
        widen.append((owners, value))
    # Decided on the host's matches as they were: now add the regular expressions.
    for owners, value in widen:
        pattern = PathMatch("RegularExpression", f"{regex_literal(value)}[^/].*")
        for rule in owners:
            rule.matches = [
                *rule.matches,
                *(
                    Match(
                        path=pattern,
                        headers=m.headers,
                        query_params=m.query_params,
                        method=m.method,
                    )
                    for m in rule.matches
                    if m.path == PathMatch("PathPrefix", value)
                ),
            ]
    return added


def slash_differs(prefix: str, rewrite: str) -> bool:
    """Whether ``proxy_pass http://upstream<rewrite>`` in ``location <prefix>`` sends another
    URI than Gateway API's ReplacePrefixMatch: nginx replaces the characters the location
    matched, so ``/coffee`` → ``/beans/`` makes ``/coffee/x`` ``/beans//x``, and ``/coffee/``
    → ``/beans`` makes it ``/beansx``."""
    if prefix == "/" or (prefix.endswith("/") and rewrite == "/"):
        return False
    return prefix.endswith("/") != rewrite.endswith("/")


def character_prefix_change(value: str, backends: str, why: str) -> str:
    """What a warning says of a character prefix that stays a segment prefix."""
    sample = value + "le" if value[-1:].isalnum() else value + "x"
    return (
        f"NGINX Inc's location {value} is a character prefix: requests such as {sample} (the path "
        f"continued by another character than /) reached {backends}; here {value} matches whole "
        f"path segments only, as {why}: those requests go to another rule of the host or get 404"
    )
