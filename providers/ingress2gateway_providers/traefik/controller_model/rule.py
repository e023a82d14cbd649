"""Traefik's HTTP and TCP rule matchers, evaluated on a request (``pkg/muxer/http/mux.go``,
``pkg/muxer/http/matcher.go``, ``pkg/muxer/tcp/mux.go``).

Written apart from the converter's parser on purpose: this one evaluates the expression tree
on each request, the way Traefik's muxer does, rather than rewriting it. Precedence as in Go
(``!`` > ``&&`` > ``||``); arguments are Go string literals. Host is compared without case
and without port; paths are compared as they are (case-sensitive); ``PathPrefix`` is
``strings.HasPrefix``; the ``*Regexp`` matchers are RE2 searches (unanchored).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from ingress2gateway.verification.matching import compiled_re2
from ingress2gateway.verification.model import Request

_ESC = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||[!(),])|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|`(?P<raw>[^`]*)`|\"(?P<quoted>(?:[^\"\\\n]|\\.)*)\")"
)


class Invalid(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    op: str  # "and", "or", "not", "call"
    args: tuple[object, ...]


def _unquote(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESC:
                out.append(_ESC[nxt])
                i += 2
                continue
            if nxt == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2 : i + 4]):
                out.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
                continue
            raise Invalid("escape")
        out.append(text[i])
        i += 1
    return "".join(out)


def _lex(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        found = _TOKEN.match(text, pos)
        if found is None:
            raise Invalid(f"at {pos}")
        pos = found.end()
        if found.group("op"):
            tokens.append(("op", found.group("op")))
        elif found.group("name"):
            tokens.append(("name", found.group("name")))
        elif found.group("raw") is not None:
            tokens.append(("str", found.group("raw")))
        else:
            tokens.append(("str", _unquote(found.group("quoted"))))
    return tokens


def parse(text: str) -> Node:
    if len(text) > 8192:
        raise Invalid("too long")
    tokens = _lex(text)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return tokens[pos] if pos < len(tokens) else None

    def expect(kind: str, value: str | None = None) -> str:
        nonlocal pos
        token = peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise Invalid(f"expected {value or kind}")
        pos += 1
        return token[1]

    def or_expr(depth: int) -> Node:
        nonlocal pos
        left = and_expr(depth)
        while peek() == ("op", "||"):
            pos += 1
            left = Node("or", (left, and_expr(depth)))
        return left

    def and_expr(depth: int) -> Node:
        nonlocal pos
        left = unary(depth)
        while peek() == ("op", "&&"):
            pos += 1
            left = Node("and", (left, unary(depth)))
        return left

    def unary(depth: int) -> Node:
        nonlocal pos
        if depth > 64:
            raise Invalid("too deep")
        if peek() == ("op", "!"):
            pos += 1
            return Node("not", (unary(depth + 1),))
        if peek() == ("op", "("):
            pos += 1
            inner = or_expr(depth + 1)
            expect("op", ")")
            return inner
        name = expect("name")
        expect("op", "(")
        args: list[str] = []
        if peek() != ("op", ")"):
            args.append(expect("str"))
            while peek() == ("op", ","):
                pos += 1
                args.append(expect("str"))
        expect("op", ")")
        return Node("call", (name, tuple(args)))

    if not tokens:
        raise Invalid("empty")
    tree = or_expr(0)
    if pos != len(tokens):
        raise Invalid("trailing tokens")
    _check(tree)
    return tree


_ARITY = {
    "Host": 1, "HostHeader": 1, "HostRegexp": 1, "Path": 1, "PathPrefix": 1, "PathRegexp": 1,
    "Method": 1, "Header": 2, "HeaderRegexp": 2, "Headers": 2, "HeadersRegexp": 2, "Query": 0,
    "QueryRegexp": 0, "ClientIP": 1, "HostSNI": 1, "HostSNIRegexp": 1, "ALPN": 1,
}  # fmt: skip
_VARIADIC = {
    "Host",
    "HostHeader",
    "HostRegexp",
    "Path",
    "PathPrefix",
    "Method",
    "ClientIP",
    "HostSNI",
    "Query",
    "QueryRegexp",
}


def _check(node: Node) -> None:
    if node.op == "call":
        name, args = node.args
        assert isinstance(name, str) and isinstance(args, tuple)
        canonical = next((k for k in _ARITY if k.lower() == name.lower()), None)
        if canonical is None:
            raise Invalid(f"unknown matcher {name}")
        want = _ARITY[canonical]
        if not args or (canonical not in _VARIADIC and len(args) != want):
            raise Invalid(f"{name} arguments")
        return
    for child in node.args:
        assert isinstance(child, Node)
        _check(child)


@dataclass
class Context:
    """What the evaluation found on its way: the ClientIP conditions it passed (the request
    carries no client address: they are access controls the answer names)."""

    ip_allow: list[str]


def _canonical(name: str) -> str:
    return next(k for k in _ARITY if k.lower() == name.lower())


def _search(pattern: str, text: str) -> bool:
    compiled = compiled_re2(pattern)
    return compiled is not None and compiled.search(text) is not None


def _http_call(name: str, args: tuple[str, ...], request: Request, ctx: Context) -> bool:
    host = (
        request.host.lower().rsplit(":", 1)[0]
        if ":" in request.host and not request.host.startswith("[")
        else request.host.lower()
    )
    query = parse_qsl(request.query, keep_blank_values=True)
    if name in ("Host", "HostHeader"):
        return any(host == a.lower() for a in args)
    if name == "HostRegexp":
        return any(_search(a, host) for a in args)
    if name == "Path":
        return request.path in args
    if name == "PathPrefix":
        return any(request.path.startswith(a) for a in args)
    if name == "PathRegexp":
        return _search(args[0], request.path)
    if name == "Method":
        return request.method.upper() in (a.upper() for a in args)
    if name in ("Header", "Headers"):
        return any(v == args[1] for k, v in request.headers if k == args[0].lower())
    if name in ("HeaderRegexp", "HeadersRegexp"):
        return any(_search(args[1], v) for k, v in request.headers if k == args[0].lower())
    if name == "Query":
        if len(args) == 2:
            return (args[0], args[1]) in query
        wanted = [a.partition("=") for a in args]
        return any((k, v) in query if eq else any(q == k for q, _ in query) for k, eq, v in wanted)
    if name == "QueryRegexp":
        return len(args) == 2 and any(k == args[0] and _search(args[1], v) for k, v in query)
    if name == "ClientIP":
        valid = [network for item in args if (network := cidr(item)) is not None]
        ctx.ip_allow.extend(valid)
        return bool(valid)
    return False


def cidr(text: str) -> str | None:
    """``text`` as a network in its normal form, or None when it is not one."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return None


def evaluate(
    node: Node, request: Request, ctx: Context, call: Callable[..., bool] = _http_call
) -> bool:
    if node.op == "call":
        name, args = node.args
        assert isinstance(name, str) and isinstance(args, tuple)
        return call(_canonical(name), args, request, ctx)
    children = [c for c in node.args if isinstance(c, Node)]
    if node.op == "not":
        inner = Context([])
        result = not evaluate(children[0], request, inner, call)
        return result
    if node.op == "and":
        return evaluate(children[0], request, ctx, call) and evaluate(
            children[1], request, ctx, call
        )
    return evaluate(children[0], request, ctx, call) or evaluate(children[1], request, ctx, call)


def sni_call(name: str, args: tuple[str, ...], request: Request, ctx: Context) -> bool:
    if name == "HostSNI":
        return any(a == "*" or a.lower() == request.host.lower() for a in args)
    if name == "HostSNIRegexp":
        return _search(args[0], request.host.lower())
    return False
