"""One Ingress's rules and configuration keys, and the filter helpers the annotation
families share (see :mod:`.families`)."""

from __future__ import annotations

import re

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import (
    HeaderModifier,
    Provenance,
    RefusedControl,
    Rule,
    URLRewrite,
)
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXYTECH
from .keys import Keys

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}\Z")


class Family:
    """One Ingress's rules and keys, as the handlers below need them."""

    def __init__(self, keys: Keys, lowered: Lowered) -> None:
        self.keys = keys
        self.model: IngressModel = keys.model
        self.pairs = list(lowered.rules_of(keys.model.source))
        self.rules = [rule for _, rule in self.pairs]
        self.routes = list({id(route): route for route, _ in self.pairs}.values())

    @property
    def tech(self) -> bool:
        return self.keys.controller == HAPROXYTECH

    def close(self, name: str, why: str, status: int | None = 403) -> None:
        """Close every rule of the Ingress: an access control nothing can carry."""
        keys = self.keys
        message = f"{keys.key(name)}: {why}; the Ingress's rules are closed"
        keys.notify(Level.ERROR, "haproxy-access-closed", name, message, security=True)
        keys.record(name, Status.UNSUPPORTED, message)
        control = RefusedControl(
            what=f"the uncarried {keys.key(name)}", provenance=keys.prov(name), status=status
        )
        for rule in self.rules:
            rule.extensions.append(control)


def header_modifier(rule: Rule, response: bool, provenance: list[Provenance]) -> HeaderModifier:
    for item in rule.filters:
        if isinstance(item, HeaderModifier) and item.response == response:
            item.provenance.extend(provenance)
            return item
    created = HeaderModifier(response=response, provenance=list(provenance))
    rule.filters.append(created)
    return created


def url_rewrite(rule: Rule, provenance: list[Provenance]) -> URLRewrite:
    for item in rule.filters:
        if isinstance(item, URLRewrite):
            item.provenance.extend(provenance)
            return item
    created = URLRewrite(provenance=list(provenance))
    rule.filters.append(created)
    return created


def has_control(value: str) -> bool:
    """Control characters (``urlsplit`` silently drops CR, LF and tab: check before it)."""
    return any(ord(ch) < 0x20 or ch == "\x7f" for ch in value)


def header_value_problem(value: str) -> str | None:
    if "%[" in value:
        return "uses HAProxy fetches (%[...]), which no filter evaluates"
    if any(ord(ch) < 0x20 and ch != "\t" for ch in value) or "\x7f" in value:
        return "contains control characters"
    if len(value) > 4096:
        return "is longer than 4096 characters"
    return None


def parse_header_lines(
    keys: Keys, name: str, sep: str | None
) -> tuple[dict[str, str], list[str]] | None:
    """``Name value`` (``sep`` None) or ``Name: value`` lines; problems are reported and the
    whole annotation is left out (a half-applied header set is worse than none)."""
    parsed: dict[str, str] = {}
    for line in keys.lines(name):
        if sep is None:
            header, _, value = line.partition(" ")
        else:
            header, _, value = line.partition(sep)
        header, value = header.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if not HEADER_NAME.match(header):
            keys.invalid(name, f"{header!r} is not a header name")
            return None
        problem = header_value_problem(value)
        if problem is not None:
            keys.unsupported(name, f"the value of {header} {problem}; not converted")
            return None
        parsed[header] = value
    return parsed, []
