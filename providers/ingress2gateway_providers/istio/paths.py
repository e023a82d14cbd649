"""Sets of request paths, as Istio's ``uri`` matches and Gateway API's path matches name them.

Istio's ``prefix`` is Envoy's character prefix (``/api`` takes ``/apiv2``; ``/api/`` does not take
``/api``); Gateway API's ``PathPrefix`` matches whole segments (``/api`` takes ``/api`` and
``/api/x`` only; ``/api/`` takes ``/api`` too). A character prefix is therefore a segment prefix
plus the paths that continue the prefix without a slash, which only a regular expression says
(``CHAR``). Envoy Gateway ranks a regular expression above every ``PathPrefix`` and below every
``Exact``, longer expressions first; a segment prefix that must outrank such an expression is
written as an expression too (``SEGRX``).

Each kind of set knows which other sets it contains, so that first-match order can be kept
exactly (see :mod:`.matching`); a user's regular expression (``REGEX``) is opaque and only
compared by what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ingress2gateway.ir import PathMatch

EXACT, SEG, CHAR, SEGRX, REGEX = "exact", "seg", "char", "segrx", "regex"


def escape(text: str) -> str:
    """``text`` as a literal in an RE2 expression."""
    return re.escape(text)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> Any:
    try:
        import re2

        options = re2.Options()
        options.log_errors = False  # a user's invalid expression is no message for stderr
        return re2.compile(pattern, options)
    except Exception:
        return None


def full_match(pattern: str, text: str) -> bool:
    """RE2 (Envoy's ``safe_regex``): the whole of ``text`` matches."""
    compiled = _compiled(pattern)
    try:
        return compiled is not None and compiled.fullmatch(text) is not None
    except UnicodeEncodeError:  # a lone surrogate is in no request (RE2 reads UTF-8)
        return False


def _base(value: str) -> str:
    return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class PathSet:
    """``kind``: ``exact`` (one path), ``seg`` (a Gateway API PathPrefix), ``char`` (paths that
    continue ``value`` with a character other than ``/``), ``segrx`` (the paths of ``seg``
    as a regular expression), ``regex`` (a user's regular expression, RE2, whole path)."""

    kind: str
    value: str

    def to_match(self) -> PathMatch:
        if self.kind == EXACT:
            return PathMatch("Exact", self.value)
        if self.kind == SEG:
            return PathMatch("PathPrefix", self.value or "/")
        return PathMatch("RegularExpression", self.pattern)

    @property
    def pattern(self) -> str:
        if self.kind == CHAR:
            return escape(self.value) + "[^/].*"
        if self.kind == SEGRX:
            return escape(_base(self.value)) + "(/.*)?"
        if self.kind == REGEX:
            return self.value
        raise ValueError(self.kind)

    @property
    def is_all(self) -> bool:
        return self.kind in (SEG, SEGRX) and not _base(self.value)

    def has(self, path: str) -> bool:
        """Whether Gateway API (Envoy Gateway) matches ``path`` with this set's match."""
        if self.kind == EXACT:
            return path == self.value
        if self.kind in (SEG, SEGRX):
            base = _base(self.value)
            return not base or path == base or path.startswith(base + "/")
        if self.kind == CHAR:
            size = len(self.value)
            return path.startswith(self.value) and len(path) > size and path[size] != "/"
        return full_match(self.value, path)

    def contains(self, other: PathSet) -> bool:
        """Every path of ``other`` is one of this set's (where it can tell; a regular
        expression contains only itself)."""
        if self == other or self.is_all:
            return True
        if other.kind == REGEX or self.kind in (EXACT, REGEX):
            return False
        if other.kind == EXACT:
            return self.has(other.value)
        if self.kind in (SEG, SEGRX):
            base = _base(self.value)
            if other.kind in (SEG, SEGRX):
                inner = _base(other.value)
                return bool(inner) and self.has(inner)
            return other.value.startswith(base + "/")  # CHAR inside a segment
        # self is CHAR
        size = len(self.value)
        if other.kind in (SEG, SEGRX):
            base = _base(other.value)
            return base.startswith(self.value) and len(base) > size and base[size] != "/"
        return other.value.startswith(self.value) and (
            len(other.value) == size or other.value[size] != "/"
        )

    def overlaps(self, other: PathSet) -> bool:
        if self.contains(other) or other.contains(self):
            return True
        if REGEX not in (self.kind, other.kind):
            return False  # the other kinds nest or are apart
        regex, rest = (self, other) if self.kind == REGEX else (other, self)
        if rest.kind == EXACT:
            return regex.has(rest.value)
        literal = literal_prefix(regex.value)
        start = rest.value if rest.kind != REGEX else literal_prefix(rest.value)
        return start.startswith(literal) or literal.startswith(_base(start))

    def rank(self) -> tuple[int, int]:
        """Envoy Gateway's order of path matches (``internal/gatewayapi/sort.go``): exact,
        then regular expressions, then prefixes; longer values first (``/`` counts 0)."""
        if self.kind == EXACT:
            return (2, len(self.value))
        if self.kind == SEG:
            return (0, 0 if self.is_all else len(self.value))
        return (1, len(self.pattern))


def literal_prefix(pattern: str) -> str:
    """The characters every match of a case-sensitive regular expression starts with."""
    out = []
    for char in pattern:
        if char in ".[]()*+?{}|^$\\":
            break
        out.append(char)
    return "".join(out)


ALL = PathSet(SEG, "/")
