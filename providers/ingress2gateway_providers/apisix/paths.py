"""APISIX path semantics: Ingress ``pathType`` and ApisixRoute ``match.paths``.

The controller turns every Ingress path into APISIX route ``uris`` (``ingress.go
buildRouteFromIngressPath``), and APISIX's radix-tree router reads each uri one way
(``router-radixtree.md``):

* ``Exact /p`` → uri ``/p``: an exact match (``Exact``).
* ``Prefix /p`` → uris ``/p`` and ``/p/*``: an element-wise prefix (``PathPrefix``).
* A path of any type ending in ``*`` keeps its star, which the radix tree reads as a glob.
* ``ImplementationSpecific /p`` → uri ``/p`` as written: exact, unless it ends in ``*``, which
  APISIX reads as a **character** prefix (``/blog/bar*`` matches ``/blog/barx`` too). Such a
  path becomes ``RegularExpression /blog/bar.*``; ``/p/*`` becomes ``PathPrefix /p`` (which also
  takes ``/p`` itself: reported) and ``/*`` ``PathPrefix /``.
* With ``k8s.apisix.apache.org/use-regex: "true"`` an ImplementationSpecific path is a PCRE
  searched **anywhere** in the path (uri ``/*`` plus the var ``uri ~~ <path>``): it becomes
  ``RegularExpression .*(?:<path>).*`` (leading ``^`` and trailing ``$`` kept as anchors), since
  Gateway API implementations match the whole path. Patterns RE2 cannot compile (lookaround,
  back-references) are reported and not converted.

ApisixRoute ``match.paths`` are such uris too, read the same way (a rule listing both ``/p`` and
``/p/*`` gets ``PathPrefix /p``).

**Order.** APISIX tries an exact uri before any prefix, longer prefixes before shorter ones, and
routes with the same uri by ``priority`` (higher first); Gateway API also puts Exact before
PathPrefix and longer prefixes first, but orders the rest by method, header and query
conditions, and regular expressions by implementation. Where these disagree for a host the
difference is reported (``apisix-behaviour-differs``).
"""

from __future__ import annotations

import functools
import re

import re2

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import PathMatch

from .common import PREFIX, is_true

USE_REGEX = PREFIX + "use-regex"

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_PLAIN = re.compile(r"[A-Za-z0-9/_~%:@,;=!&'.-]*")


@functools.lru_cache(maxsize=4096)
def re2_problem(pattern: str) -> str | None:
    """Why RE2 (what Gateway API implementations use) cannot compile ``pattern``, or None."""
    if _PLAIN.fullmatch(pattern):
        return None
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except UnicodeEncodeError:
        return "is not UTF-8 text (a lone surrogate)"
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        return f"is not an RE2 regular expression ({text})"
    return None


def escape(text: str) -> str:
    """``text`` as a regular expression matching itself (RE2 and PCRE alike)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def unanchored(pattern: str) -> str:
    """A PCRE searched anywhere in the path (``~~``) as a whole-path regular expression."""
    if "|" in pattern:
        return f".*(?:{pattern}).*"
    body, lead, trail = pattern, ".*", ".*"
    if body.startswith("^"):
        body, lead = body[1:], ""
    if body.endswith("$") and not body.endswith("\\$"):
        body, trail = body[:-1], ""
    if lead and body.startswith(".*"):
        lead = ""
    if trail and body.endswith(".*") and not body.endswith("\\.*"):
        trail = ""
    return f"{lead}{body}{trail}"


def uri_match(uri: str) -> tuple[PathMatch, str | None]:
    """One APISIX route uri as a Gateway API path match, and what changes (or None)."""
    if not uri.endswith("*"):
        return PathMatch("Exact", uri), None
    stem = uri[:-1]
    if stem in ("", "/"):
        return PathMatch("PathPrefix", "/"), None
    if stem.endswith("/"):
        bare = stem.rstrip("/") or "/"
        return (
            PathMatch("PathPrefix", bare),
            f"APISIX uri {uri} does not match {bare} itself; Gateway API PathPrefix {bare} does",
        )
    return PathMatch("RegularExpression", escape(stem) + ".*"), None


def uris_matches(uris: list[str]) -> list[tuple[PathMatch, str | None]]:
    """The matches of a route's uris: ``/p`` beside ``/p/*`` is one ``PathPrefix /p``."""
    present = set(uris)
    out: list[tuple[PathMatch, str | None]] = []
    seen: set[PathMatch] = set()
    for uri in uris:
        if uri.endswith("/*") and uri[:-2] in present and uri[:-2]:
            found: tuple[PathMatch, str | None] = (PathMatch("PathPrefix", uri[:-2]), None)
        elif not uri.endswith("*") and uri + "/*" in present:
            continue  # taken with its /* twin
        else:
            found = uri_match(uri)
        if found[0] not in seen:
            seen.add(found[0])
            out.append(found)
    return out


def uses_regex(model: IngressModel) -> bool:
    return is_true(model.obj.annotations.get(USE_REGEX))


def match_for(model: IngressModel, path: IngressPath) -> PathMatch | None:
    """The :class:`~ingress2gateway.converting.lowering.IngressPolicy` path hook."""
    if path.path.endswith("*") and path.path_type in ("Exact", "Prefix"):
        # The uri keeps the star, and the radix tree reads it as a character prefix
        # (a Prefix's second uri, <path>/*, lies under it).
        return uri_match(path.path)[0]
    if path.path_type == "Exact":
        return PathMatch("Exact", path.path)
    if path.path_type == "Prefix":
        return PathMatch("PathPrefix", path.path.rstrip("/") or "/")
    if uses_regex(model):
        if re2_problem(path.path) is not None:
            return None
        return PathMatch("RegularExpression", unanchored(path.path))
    return uri_match(path.path)[0]


def path_note(model: IngressModel, path: IngressPath) -> str | None:
    """What the output does differently for an ImplementationSpecific path, or None."""
    if path.path_type != "ImplementationSpecific":
        # A star at the end is the radix tree's glob whatever the pathType (carried as one).
        return uri_match(path.path)[1] if path.path.endswith("*") else None
    if uses_regex(model):
        problem = re2_problem(path.path)
        if problem is not None:
            return f"regex path {path.path!r} {problem}; APISIX (PCRE) accepted it"
        return None
    return uri_match(path.path)[1]
