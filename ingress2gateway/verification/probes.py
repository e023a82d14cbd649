"""Requests worth sending: what a path, a host or a regular expression calls for.

Shared by the source models (each knows what its input means) and by ``verify`` itself, which
also tries every rule of the migrated routes, so that a route the migration added, or a match
it widened, is seen.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

# The regular expression parser (public as sre_parse before 3.11, which warns on its import
# since then).
if sys.version_info >= (3, 11):
    from re import _constants as sre_constants
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants
    import sre_parse

from ingress2gateway.verification.model import Request

UNKNOWN_HOST = "unknown.invalid"
"""A host no object names: what the catch-all server (or nothing) answers."""


def concrete_host(host: str | None) -> str:
    """A host a client could send for ``host`` (a wildcard's label filled in; none: a host no
    object names)."""
    if not host:
        return UNKNOWN_HOST
    return "wild" + host[1:] if host.startswith("*.") else host


def path_variants(path: str) -> list[str]:
    """``path`` and its boundaries: itself, with and without a trailing slash, a sub-path, a
    character-prefix near miss (``/app`` → ``/apple``), and another letter case."""
    variants = [path]
    if path != "/":
        variants.append(path.rstrip("/") if path.endswith("/") else path + "/")
    variants.append(path.rstrip("/") + "/sub")
    if path != "/":
        bare = path.rstrip("/")
        variants.append(bare + "le")
        upper = bare.upper()
        if upper != bare:
            variants.append(upper)
    return variants


def regex_sample(pattern: str) -> str | None:
    """A string ``pattern`` matches at its start, for the usual path patterns (literals,
    classes, groups, alternations, repeats), or None where it cannot say."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    try:
        text = _sample(list(parsed), 0)
    except (_NoSample, RecursionError):
        return None
    return text


class _NoSample(Exception):
    pass


def _sample(items: list[Any], depth: int) -> str:
    if depth > 20:
        raise _NoSample
    out = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is sre_constants.ANY:
            out.append("a")
        elif op is sre_constants.IN:
            out.append(_class_sample(arg))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, _high, body = arg
            out.append(_sample(list(body), depth + 1) * max(low, 1 if low else 0))
        elif op is sre_constants.SUBPATTERN:
            out.append(_sample(list(arg[-1]), depth + 1))
        elif op is sre_constants.BRANCH:
            out.append(_sample(list(arg[1][0]), depth + 1))
        elif op is sre_constants.AT or op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        else:
            raise _NoSample
    return "".join(out)


def _class_sample(items: list[Any]) -> str:
    negated = any(op is sre_constants.NEGATE for op, _ in items)
    if negated:
        return (
            "a"
            if not any(op is sre_constants.LITERAL and chr(arg) == "a" for op, arg in items)
            else "b"
        )
    for op, arg in items:
        if op is sre_constants.LITERAL:
            return chr(arg)
        if op is sre_constants.RANGE:
            return chr(arg[0])
        if op is sre_constants.CATEGORY:
            if arg is sre_constants.CATEGORY_DIGIT:
                return "1"
            if arg is sre_constants.CATEGORY_SPACE:
                raise _NoSample
            return "a"
    raise _NoSample


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _route_hosts(spec: dict[str, Any]) -> list[str]:
    hostnames = [str(h) for h in spec.get("hostnames") or [] if isinstance(h, str)]
    return [concrete_host(h) for h in hostnames] or [UNKNOWN_HOST]


def requests_for_routes(objects: Iterable[dict[str, Any]]) -> Iterator[Request]:
    """For each rule of each HTTPRoute and GRPCRoute in ``objects``: a request its match
    takes (on http and https), so that every migrated rule is tried."""
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("kind") not in ("HTTPRoute", "GRPCRoute"):
            continue
        spec = _d(obj.get("spec"))
        grpc = obj.get("kind") == "GRPCRoute"
        for rule in spec.get("rules") or [{}]:
            if not isinstance(rule, dict):
                continue
            for match in rule.get("matches") or [{}]:
                if not isinstance(match, dict):
                    continue
                for host in _route_hosts(spec):
                    for scheme in ("http", "https"):
                        yield from _match_requests(match, host, scheme, grpc)


def _match_requests(match: dict[str, Any], host: str, scheme: str, grpc: bool) -> Iterator[Request]:
    headers = tuple(
        (str(h.get("name", "")).lower(), _value_sample(h))
        for h in match.get("headers") or []
        if isinstance(h, dict)
    )
    if grpc:
        method = _d(match.get("method"))
        service = method.get("service") or "svc.Service"
        name = method.get("method") or "Call"
        yield Request(host, f"/{service}/{name}", scheme, "POST", headers, grpc=True)
        return
    path = _d(match.get("path"))
    kind, value = path.get("type", "PathPrefix"), str(path.get("value") or "/")
    if kind == "RegularExpression":
        sample = regex_sample(value)
        paths = [sample] if sample and sample.startswith("/") else []
    elif kind == "Exact":
        paths = [value]
    else:
        paths = [value, value.rstrip("/") + "/sub"]
    query = "&".join(
        f"{q.get('name')}={_value_sample(q)}"
        for q in match.get("queryParams") or []
        if isinstance(q, dict)
    )
    verb = match.get("method")
    for item in paths:
        yield Request(host, item, scheme, verb if isinstance(verb, str) else "GET", headers, query)


def _value_sample(match: dict[str, Any]) -> str:
    value = str(match.get("value", ""))
    if match.get("type") == "RegularExpression":
        return regex_sample(value) or value
    return value
