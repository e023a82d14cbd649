"""One alternative of a rule (an ``&&`` of matchers) as a Gateway API match.

What carries over: ``Host`` (route hostnames), ``Path`` (Exact), ``PathPrefix`` (PathPrefix:
Traefik's is a character prefix, Gateway API's a segment prefix, so ``/v1`` no longer matches
``/v12``), ``PathRegexp`` / ``HeaderRegexp`` / ``QueryRegexp`` (RegularExpression: Traefik
searches with Go's RE2 unanchored, so the expression is wrapped in ``.*(?:…).*`` for
implementations that match the whole value), ``Method``, ``Header``, ``Query``, and
``ClientIP`` (an IP allow-list extension: access control, so the rule is closed where the
emitter cannot carry it; ``!ClientIP`` a deny list). A ``HostRegexp`` of the form Traefik
writes for wildcard Ingress hosts (one label, then a literal domain) becomes ``*.domain``.

What does not: other negations (``!Path``, ``!Header``…), other ``HostRegexp`` expressions,
several different paths or regular expressions in one alternative. Such an alternative is not
converted (its requests go to another route or get 404, never to a backend they did not
reach before) and is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingress2gateway.converting import grammar
from ingress2gateway.converting.lowering import path_problem
from ingress2gateway.ir import HeaderMatch, Match, PathMatch, PathType

from .regex import re2_problem
from .rules import Literal

GATEWAY_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
# ^[a-zA-Z0-9-]+\.example\.com$ (v3, what Traefik writes for *.example.com) and
# {subdomain:[a-zA-Z0-9-]+}.example.com (v2).
_WILDCARD_V3 = re.compile(r"\^?\[a-zA-Z0-9-\]\+((?:\\\.[a-z0-9-]+)+)\$?")
_WILDCARD_V2 = re.compile(r"\{[a-zA-Z0-9_]+:\[a-zA-Z0-9-\]\+\}((?:\.[a-z0-9-]+)+)")


@dataclass
class Alternative:
    """What one alternative of a rule becomes."""

    hosts: list[str] | None = None
    """Route hostnames; None: any host."""
    match: Match = field(default_factory=Match)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    problem: str | None = None
    """Why it cannot be converted (it is then skipped)."""
    notes: list[str] = field(default_factory=list)
    """Where it is carried with a difference users should know."""
    impossible: bool = False
    """No request matches it (two different hosts, say): nothing to convert."""


def unanchored(pattern: str) -> str:
    """An RE2 search for ``pattern`` as a whole-value match (Envoy's ``safe_regex``)."""
    head = "" if pattern.startswith("^") else ".*"
    tail = "" if pattern.endswith("$") and not pattern.endswith("\\$") else ".*"
    if not head and not tail:
        return pattern
    return f"{head}(?:{pattern}){tail}"


def wildcard_of(pattern: str) -> str | None:
    """``*.domain`` for a HostRegexp of one label and a literal domain, else None."""
    found = _WILDCARD_V3.fullmatch(pattern)
    if found is not None:
        domain = found.group(1).replace("\\.", ".")
        return "*" + domain
    found = _WILDCARD_V2.fullmatch(pattern)
    if found is not None:
        return "*" + found.group(1)
    return None


def _regex(alt: Alternative, what: str, pattern: str) -> str | None:
    problem = re2_problem(pattern)
    if problem is not None:
        alt.problem = f"{what} {pattern!r} {problem}"
        return None
    return unanchored(pattern)


def _path(alt: Alternative, current: PathMatch | None, new: PathMatch) -> PathMatch | None:
    """Two path conditions of one alternative, as one (or impossible / a problem)."""
    if current is None or current == new:
        return new
    if "RegularExpression" in (current.type, new.type):
        alt.problem = "two path conditions, one of them a regular expression, in one alternative"
        return current
    exact = [m for m in (current, new) if m.type == "Exact"]
    prefixes = [m for m in (current, new) if m.type == "PathPrefix"]
    if len(exact) == 2:
        alt.impossible = True
        return current
    if len(exact) == 1:
        if exact[0].value.startswith(prefixes[0].value):
            return exact[0]
        alt.impossible = True
        return current
    longer, shorter = sorted(prefixes, key=lambda m: -len(m.value))
    if longer.value.startswith(shorter.value):
        return longer
    alt.impossible = True
    return current


def convert(literals: tuple[Literal, ...]) -> Alternative:
    alt = Alternative()
    path: PathMatch | None = None
    method: str | None = None
    headers: dict[str, HeaderMatch] = {}
    queries: dict[str, HeaderMatch] = {}
    hosts: str | None = None
    for literal in literals:
        name, args = literal.matcher.name, literal.matcher.args
        if literal.negated:
            if name == "ClientIP":
                alt.deny.extend(args)
                continue
            alt.problem = f"!{literal.matcher.text()}: Gateway API matches cannot negate"
            break
        if name in ("Host", "HostHeader", "HostRegexp"):
            if name == "HostRegexp":
                host = wildcard_of(args[0])
                if host is None:
                    alt.problem = f"HostRegexp(`{args[0]}`): Gateway API host names are not regular expressions"
                    break
                alt.notes.append(
                    f"HostRegexp(`{args[0]}`) is carried as {host}, which also matches deeper "
                    "subdomains"
                )
            else:
                host = args[0].lower()
            if (problem := grammar.hostname_problem(host)) is not None:
                alt.problem = f"host {args[0]!r} {problem}"
                break
            if hosts is not None and hosts != host:
                alt.impossible = True
            hosts = host
        elif name in ("Path", "PathPrefix"):
            value = args[0]
            if (problem := path_problem(value)) is not None or not value.startswith("/"):
                alt.problem = f"path {value!r} {problem or 'does not start with /'}"
                break
            kind: PathType = "Exact" if name == "Path" else "PathPrefix"
            if kind == "PathPrefix" and value.endswith("/") and value != "/":
                alt.notes.append(
                    f"PathPrefix(`{value}`) does not match {value.rstrip('/')} in Traefik; "
                    "Gateway API's PathPrefix ignores the trailing slash and does"
                )
            if kind == "PathPrefix" and not value.endswith("/"):
                alt.notes.append(
                    f"PathPrefix(`{value}`) is a character prefix in Traefik (it also matched "
                    f"{value}-more); Gateway API's PathPrefix matches whole segments"
                )
            path = _path(alt, path, PathMatch(kind, value))
        elif name == "PathRegexp":
            wrapped_path = _regex(alt, "PathRegexp", args[0])
            if wrapped_path is None:
                break
            path = _path(alt, path, PathMatch("RegularExpression", wrapped_path))
        elif name == "Method":
            upper = args[0].upper()
            if upper not in GATEWAY_METHODS:
                alt.problem = f"method {args[0]!r} is not one Gateway API can match"
                break
            if method is not None and method != upper:
                alt.impossible = True
            method = upper
        elif name in ("Header", "Headers", "HeaderRegexp", "HeadersRegexp"):
            key, value = args
            problem = grammar.header_name_problem(key) or (
                grammar.header_value_problem(value) if not name.endswith("Regexp") else None
            )
            if problem is not None:
                alt.problem = f"header {key!r}: {problem}"
                break
            if name.endswith("Regexp"):
                wrapped = _regex(alt, name, value)
                if wrapped is None:
                    break
                header = HeaderMatch(key, wrapped, "RegularExpression")
            else:
                header = HeaderMatch(key, value)
            previous = headers.get(key.lower())
            if previous is not None and previous != header:
                alt.problem = f"two conditions on header {key!r} in one alternative"
                break
            headers[key.lower()] = header
        elif name in ("Query", "QueryRegexp"):
            if len(args) == 1 and name == "Query" and "=" in args[0]:
                key, _, value = args[0].partition("=")  # v2: Query(`key=value`)
                query = HeaderMatch(key, value)
            elif len(args) == 1:
                key, value = args[0], ""
                query = HeaderMatch(key, ".*", "RegularExpression")
                alt.notes.append(
                    f"{literal.matcher.text()}: the parameter's presence is matched as any value"
                )
            elif name == "QueryRegexp":
                key = args[0]
                wrapped = _regex(alt, name, args[1])
                if wrapped is None:
                    break
                query = HeaderMatch(key, wrapped, "RegularExpression")
            else:
                key, value = args
                query = HeaderMatch(key, value)
            if (
                not key
                or grammar.header_name_problem(key) is not None
                or (query.type == "Exact" and grammar.header_value_problem(query.value) is not None)
            ):
                alt.problem = f"query parameter {key!r} cannot be matched in Gateway API"
                break
            if key in queries and queries[key] != query:
                alt.problem = f"two conditions on query parameter {key!r} in one alternative"
                break
            queries[key] = query
        elif name == "ClientIP":
            if alt.allow:
                alt.problem = "two ClientIP conditions in one alternative"
                break
            alt.allow.extend(args)
        else:
            alt.problem = f"{name} is not an HTTP matcher"
            break
    alt.hosts = [hosts] if hosts is not None else None
    alt.match = Match(
        path=path,
        headers=tuple(headers[k] for k in sorted(headers)),
        query_params=tuple(queries[k] for k in sorted(queries)),
        method=method,
    )
    return alt
