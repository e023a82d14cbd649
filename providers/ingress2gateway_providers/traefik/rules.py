"""Traefik's rule language, parsed for real (``match`` of IngressRoute routes).

A rule is a boolean expression over matchers: ``Host(`a`) && (Path(`/x`) || !Method(`GET`))``.
Traefik v3 parses it with ``vulcand/predicate`` on top of Go's expression parser
(``pkg/muxer/http/mux.go``), so: ``!`` binds tighter than ``&&``, which binds tighter than
``||``; arguments are Go string literals, raw (backticks) or interpreted (double quotes, with
Go's escapes). Traefik v2 matchers took several arguments (``Host(`a`, `b`)`` means either
host); they are read as the ``||`` of one-argument matchers.

:func:`parse` gives the syntax tree; :func:`disjunctive_form` spreads it into alternatives
(``||`` of ``&&`` of possibly negated matchers), which is what a Gateway API rule's list of
matches can say. Bounded on hostile input: rule length, nesting depth and number of
alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_RULE_LENGTH = 8192
MAX_DEPTH = 64
MAX_ALTERNATIVES = 64


class RuleError(ValueError):
    """The rule is not valid Traefik syntax (Traefik refuses the router)."""


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    args: tuple[str, ...]

    def text(self) -> str:
        return f"{self.name}({', '.join('`' + a + '`' for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or:
    left: Expr
    right: Expr


Expr = Matcher | Not | And | Or


@dataclass(frozen=True, slots=True)
class Literal:
    """One matcher of an alternative, possibly negated."""

    matcher: Matcher
    negated: bool = False


# Canonical names of the HTTP and TCP matchers of v3, and v2's names (rules-and-priority.md,
# v2 routers docs). Traefik looks names up exactly; v2 also accepted the lower-case spelling.
HTTP_MATCHERS = {
    "Host": (1, None),
    "HostHeader": (1, None),
    "HostRegexp": (1, None),
    "Path": (1, None),
    "PathPrefix": (1, None),
    "PathRegexp": (1, 1),
    "Method": (1, None),
    "Header": (2, 2),
    "HeaderRegexp": (2, 2),
    "Headers": (2, 2),
    "HeadersRegexp": (2, 2),
    "Query": (1, None),
    "QueryRegexp": (1, 2),
    "ClientIP": (1, None),
}
TCP_MATCHERS = {
    "HostSNI": (1, None),
    "HostSNIRegexp": (1, 1),
    "ClientIP": (1, None),
    "ALPN": (1, None),
}
# v2 matchers whose several arguments are alternatives (v3 takes one argument).
_SPREAD = frozenset(
    {"Host", "HostHeader", "HostRegexp", "Path", "PathPrefix", "Method", "ClientIP", "HostSNI"}
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "name", "string", "op", "end"
    text: str
    at: int


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _interpreted(text: str, start: int) -> tuple[str, int]:
    """A Go interpreted string literal from ``text[start]`` (the opening quote)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\n":
            break
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ('"', "\\", "'"):
            out.append(nxt)
            i += 2
        elif nxt in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = text[i + 2 : i + 2 + size]
            if len(digits) != size or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise RuleError(f"invalid escape at {i}")
            code = int(digits, 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise RuleError(f"invalid escape at {i}")
            out.append(chr(code))
            i += 2 + size
        elif nxt and nxt in "01234567":
            digits = text[i + 1 : i + 4]
            if len(digits) != 3 or any(c not in "01234567" for c in digits):
                raise RuleError(f"invalid escape at {i}")
            out.append(chr(int(digits, 8) & 0xFF))
            i += 4
        else:
            raise RuleError(f"invalid escape at {i}")
    raise RuleError(f"unterminated string at {start}")


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise RuleError(f"unterminated string at {i}")
            tokens.append(_Token("string", text[i + 1 : end].replace("\r", ""), i))
            i = end + 1
        elif char == '"':
            value, i2 = _interpreted(text, i)
            tokens.append(_Token("string", value, i))
            i = i2
        elif text.startswith(("&&", "||"), i):
            tokens.append(_Token("op", text[i : i + 2], i))
            i += 2
        elif char in "!(),":
            tokens.append(_Token("op", char, i))
            i += 1
        elif char.isascii() and (char.isalpha() or char == "_"):
            start = i
            while i < len(text) and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(_Token("name", text[start:i], start))
        else:
            raise RuleError(f"unexpected character {char!r} at {i}")
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, known: dict[str, tuple[int, int | None]]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.known = known
        self.lower = {name.lower(): name for name in known}

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.tokens[self.pos]
        if token.kind != kind or (text is not None and token.text != text):
            want = text or kind
            got = token.text or token.kind
            raise RuleError(f"expected {want!r} at {token.at}, found {got!r}")
        self.pos += 1
        return token

    def parse(self) -> Expr:
        expr = self.disjunction(0)
        self.take("end")
        return expr

    def disjunction(self, depth: int) -> Expr:
        expr = self.conjunction(depth)
        while self.peek().kind == "op" and self.peek().text == "||":
            self.pos += 1
            expr = Or(expr, self.conjunction(depth))
        return expr

    def conjunction(self, depth: int) -> Expr:
        expr = self.unary(depth)
        while self.peek().kind == "op" and self.peek().text == "&&":
            self.pos += 1
            expr = And(expr, self.unary(depth))
        return expr

    def unary(self, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise RuleError(f"nested more than {MAX_DEPTH} levels")
        token = self.peek()
        if token.kind == "op" and token.text == "!":
            self.pos += 1
            return Not(self.unary(depth + 1))
        if token.kind == "op" and token.text == "(":
            self.pos += 1
            expr = self.disjunction(depth + 1)
            self.take("op", ")")
            return expr
        return self.matcher()

    def matcher(self) -> Matcher:
        token = self.take("name")
        name = token.text if token.text in self.known else self.lower.get(token.text.lower())
        if name is None:
            raise RuleError(f"unknown matcher {token.text!r} at {token.at}")
        self.take("op", "(")
        args: list[str] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.take("string").text)
            while self.peek().kind == "op" and self.peek().text == ",":
                self.pos += 1
                args.append(self.take("string").text)
        self.take("op", ")")
        least, most = self.known[name]
        if len(args) < least or (most is not None and len(args) > most):
            raise RuleError(f"{name} takes {least}{'' if most == least else '+'} argument(s)")
        return Matcher(name, tuple(args))


def parse(text: str, *, tcp: bool = False) -> Expr:
    """The syntax tree of ``text``; :class:`RuleError` if Traefik would refuse it."""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"longer than {MAX_RULE_LENGTH} characters")
    if not text.strip():
        raise RuleError("empty rule")
    return _Parser(text, TCP_MATCHERS if tcp else HTTP_MATCHERS).parse()


def _spread(matcher: Matcher) -> Expr:
    """v2's ``Host(`a`, `b`)`` as ``Host(`a`) || Host(`b`)``."""
    if matcher.name not in _SPREAD or len(matcher.args) < 2:
        return matcher
    expr: Expr = Matcher(matcher.name, (matcher.args[0],))
    for arg in matcher.args[1:]:
        expr = Or(expr, Matcher(matcher.name, (arg,)))
    return expr


def disjunctive_form(expr: Expr, negated: bool = False) -> list[tuple[Literal, ...]]:
    """``expr`` as alternatives of literals (negation pushed down by De Morgan's laws).

    :class:`RuleError` when it spreads into more than :data:`MAX_ALTERNATIVES` alternatives.
    """
    if isinstance(expr, Matcher):
        spread = _spread(expr)
        if spread is not expr:
            return disjunctive_form(spread, negated)
        return [(Literal(expr, negated),)]
    if isinstance(expr, Not):
        return disjunctive_form(expr.operand, not negated)
    is_or = isinstance(expr, Or) != negated
    left = disjunctive_form(expr.left, negated)
    right = disjunctive_form(expr.right, negated)
    result = left + right if is_or else [a + b for a in left for b in right]
    if len(result) > MAX_ALTERNATIVES:
        raise RuleError(f"spreads into more than {MAX_ALTERNATIVES} alternatives")
    return result


def matchers(expr: Expr) -> list[Matcher]:
    """Every matcher of ``expr``, left to right."""
    if isinstance(expr, Matcher):
        return [expr]
    if isinstance(expr, Not):
        return matchers(expr.operand)
    return matchers(expr.left) + matchers(expr.right)
