"""What each IR extension Kuadrant can express becomes: a fragment of an ``AuthPolicy`` or a
``RateLimitPolicy`` ``spec`` (kuadrant.io/v1, Kuadrant v1.5.2 CRDs).

| IR extension | becomes |
|---|---|
| JWTAuth (issuer) | AuthPolicy ``rules.authentication.jwt.jwt.issuerUrl`` (Authorino discovers the JWKS) |
| JWTAuth (JWKS URL) | ``jwt.jwksUrl``; with an issuer too, ``rules.authorization.jwt-issuer`` checks ``iss`` |
| IPAccess (IPv4) | AuthPolicy ``rules.authorization.ip-access.patternMatching.patterns[].predicate`` on ``source.address`` (:mod:`.cidr`): refused requests get 403 |
| RateLimit | RateLimitPolicy ``limits.<name>.rates[]{limit, window}``; per client: ``counters[].expression: source.remote_address`` |

A mapper returns None when Kuadrant cannot say the extension: it stays unconsumed, and an
access control then closes its rules. Every value written is checked first (URLs against a
strict pattern, addresses parsed by :mod:`ipaddress`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.ir import Extension, IPAccess, JWTAuth, RateLimit
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from . import cidr

AUTH_POLICY = "AuthPolicy"
RATE_LIMIT_POLICY = "RateLimitPolicy"
KINDS = (AUTH_POLICY, RATE_LIMIT_POLICY)

URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/+-]*)?")
"""An http(s) URL with nothing a CEL or YAML string could misread (no quote, no space)."""

CLIENT_COUNTER = "source.remote_address"
"""The trusted client address: Envoy's ``x-envoy-external-address`` header when it set one, else
``source.address`` without its port (Kuadrant/wasm-shim ``src/data/property.rs``,
``remote_address``). ``source.address`` itself is Envoy's ``IP:PORT``: a counter per connection."""

WINDOWS = {"Second": "1s", "Minute": "1m", "Hour": "1h"}


@dataclass
class Fragment:
    """A part of one policy ``spec`` (``rules`` of an AuthPolicy, ``limits`` of a
    RateLimitPolicy) and the verdict for the ledger."""

    kind: str
    spec: JSONDict
    status: Status = Status.CONVERTED
    note: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)
    needs: list[tuple[Need, str, str]] = field(default_factory=list)


Mapper = Callable[[Any], Fragment | None]


def jwt(ext: JWTAuth) -> Fragment | None:
    issuer = ext.issuer if ext.issuer and URL.fullmatch(ext.issuer) else None
    jwks = ext.jwks_uri if ext.jwks_uri and URL.fullmatch(ext.jwks_uri) else None
    if (ext.issuer and not issuer) or (ext.jwks_uri and not jwks) or not (issuer or jwks):
        return None
    if not jwks:
        return Fragment(AUTH_POLICY, {"authentication": {"jwt": {"jwt": {"issuerUrl": issuer}}}})
    rules: JSONDict = {"authentication": {"jwt": {"jwt": {"jwksUrl": jwks}}}}
    if issuer:
        # jwksUrl verifies signatures only: the issuer the source required is checked apart.
        check = {"patterns": [{"predicate": f"auth.identity.iss == '{issuer}'"}]}
        rules["authorization"] = {"jwt-issuer": {"patternMatching": check}}
    return Fragment(AUTH_POLICY, rules)


def ip_access(ext: IPAccess) -> Fragment | None:
    allow = [cidr.network(entry) for entry in ext.allow]
    deny = [cidr.network(entry) for entry in ext.deny]
    if any(net is None for net in allow + deny) or not (allow or deny):
        return None  # an IPv6 or malformed entry: not carried, so the rules stay closed
    patterns = []
    if allow:
        patterns.append({"predicate": cidr.predicate([n for n in allow if n is not None])})
    if deny:
        patterns.append({"predicate": "!" + cidr.predicate([n for n in deny if n is not None])})
    note = (
        "Authorino matches the address of the peer connected to the gateway (source.address): "
        "behind a load balancer that does not preserve it, set the gateway's trusted proxies"
    )
    return Fragment(
        AUTH_POLICY,
        {"authorization": {"ip-access": {"patternMatching": {"patterns": patterns}}}},
        warnings=[("kuadrant-ip-peer-address", note)],
    )


def rate_limit(ext: RateLimit) -> Fragment | None:
    if ext.requests < 1 or ext.unit not in WINDOWS:
        return None
    scope = "client" if ext.per_client_ip else "all"
    name = f"{scope}-{ext.requests}-per-{ext.unit.lower()}"
    limit: JSONDict = {"rates": [{"limit": ext.requests, "window": WINDOWS[ext.unit]}]}
    if ext.per_client_ip:
        limit["counters"] = [{"expression": CLIENT_COUNTER}]
    notes = [
        "Limitador counts in fixed windows shared by every gateway replica, where the source "
        "limited a rate per proxy"
    ]
    if ext.burst:
        notes.append(f"the burst of {ext.burst} has no Kuadrant field")
    return Fragment(RATE_LIMIT_POLICY, {"limits": {name: limit}}, Status.PARTIAL, "; ".join(notes))


MAPPERS: dict[type, Mapper] = {JWTAuth: jwt, IPAccess: ip_access, RateLimit: rate_limit}


def fragment(ext: Extension) -> Fragment | None:
    mapper = MAPPERS.get(type(ext))
    return mapper(ext) if mapper is not None else None
