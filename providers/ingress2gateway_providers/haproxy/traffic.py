"""Traffic settings that travel as extensions: rate limits, load balancing, cookie affinity,
timeouts, request body size."""

from __future__ import annotations

import re

from ingress2gateway.ir import (
    BodySize,
    LoadBalancer,
    RateLimit,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.reporting.report import Level, Status

from .family import Family
from .keys import duration

_UNITS: dict[int, str] = {1000: "Second", 60_000: "Minute", 3_600_000: "Hour"}


def rate_limit(family: Family) -> None:
    keys = family.keys
    if family.tech:
        if not keys.has("rate-limit-requests"):
            for name in (
                "rate-limit-period",
                "rate-limit-status-code",
                "rate-limit-whitelist",
                "rate-limit-size",
            ):
                keys.record(name, Status.IGNORED, f"{keys.key(name)}: no rate-limit-requests")
            return
        requests = keys.integer("rate-limit-requests", 1, 10**9)
        period = keys.milliseconds("rate-limit-period") or 1000
        if requests is None:
            return
        unit = _UNITS.get(period)
        names = ["rate-limit-requests", "rate-limit-period"]
        if unit is None:
            keys.unsupported(
                "rate-limit-period",
                f"a window of {duration(period)} has no equivalent (1s, 1m, 1h); the rate limit is not converted",
            )
            keys.record("rate-limit-requests", Status.UNSUPPORTED, "its period cannot be carried")
            return
    else:
        if not keys.has("limit-rps"):
            return
        requests = keys.integer("limit-rps", 1, 10**9)
        if requests is None:
            return
        unit, names = "Second", ["limit-rps"]
    if family.tech:
        code = keys.integer("rate-limit-status-code", 100, 599)
        if code == 429:
            keys.record(
                "rate-limit-status-code", Status.CONVERTED, "429, as implementations answer"
            )
        elif not keys.has("rate-limit-status-code"):
            keys.notify(
                Level.INFO,
                "haproxy-rate-limit-status",
                "rate-limit-requests",
                "the controller answers limited requests with 403 by default; Gateway "
                "implementations answer 429",
            )
    ext = RateLimit(requests=requests, unit=unit, per_client_ip=True, provenance=keys.prov(*names))  # type: ignore[arg-type]
    for rule in family.rules:
        rule.extensions.append(ext)


_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "roundrobin": ("RoundRobin", None),
    "static-rr": ("RoundRobin", None),
    "leastconn": ("LeastRequest", None),
    "random": ("Random", None),
    "source": ("ConsistentHash", "source-ip"),
    "uri": ("ConsistentHash", "uri"),
}


def load_balance(family: Family) -> None:
    keys = family.keys
    name = "load-balance" if family.tech else "balance-algorithm"
    value = keys.text(name)
    if value is None:
        return
    head = value.split()[0].lower()
    if head.startswith("random("):
        head = "random"
    found = _ALGORITHMS.get(head)
    if found is None or (head == "uri" and len(value.split()) > 1):
        keys.unsupported(name, f"the algorithm {value!r} has no equivalent; not converted")
        return
    ext = LoadBalancer(algorithm=found[0], hash_on=found[1], provenance=keys.prov(name))  # type: ignore[arg-type]
    for rule in family.rules:
        rule.extensions.append(ext)


_COOKIE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}\Z")


def affinity(family: Family) -> None:
    keys = family.keys
    if family.tech:
        for name in ("cookie-persistence", "cookie-persistence-no-dynamic"):
            if not keys.has(name):
                continue
            if keys.source(name) == family.model.source:
                keys.record(
                    name,
                    Status.IGNORED,
                    f"{keys.key(name)}: read from Services and the ConfigMap only, not from an "
                    "Ingress",
                )
                continue
            # From the controller's ConfigMap: every backend gets the cookie.
            cookie = keys.text(name) or ""
            if not _COOKIE.match(cookie):
                keys.invalid(name, f"{cookie!r} is not a cookie name")
                continue
            ext = SessionAffinity(cookie_name=cookie, provenance=keys.prov(name))
            for rule in family.rules:
                rule.extensions.append(ext)
            break
        return
    kind = keys.text("affinity")
    if kind is None:
        return
    if kind.lower() != "cookie":
        keys.invalid("affinity", f"{kind!r} is not an affinity type (cookie)")
        return
    cookie = keys.text("session-cookie-name") or "INGRESSCOOKIE"
    if not _COOKIE.match(cookie):
        keys.invalid("session-cookie-name", f"{cookie!r} is not a cookie name")
        return
    ext = SessionAffinity(
        cookie_name=cookie, provenance=keys.prov("affinity", "session-cookie-name")
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def timeouts(family: Family) -> None:
    keys = family.keys
    server = keys.milliseconds("timeout-server")
    if server is not None:
        for rule in family.rules:
            rule.backend_request_timeout = duration(server)
        keys.record(
            "timeout-server",
            Status.PARTIAL,
            "HAProxy's timeout server is an inactivity timeout; Gateway API's backendRequest bounds the whole request",
        )
        keys.converted("timeout-server", family.routes)
    if not family.tech:
        connect = keys.milliseconds("timeout-connect")
        if connect is not None:
            ext = Timeouts(connect=duration(connect), provenance=keys.prov("timeout-connect"))
            for rule in family.rules:
                rule.extensions.append(ext)


_SIZE = re.compile(r"^(\d{1,12})([kmg]?)b?\Z", re.IGNORECASE)


def body_size(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("proxy-body-size"):
        return
    value = (keys.text("proxy-body-size") or "").lower()
    if value == "unlimited":
        keys.record("proxy-body-size", Status.CONVERTED, "unlimited: no limit")
        return
    match = _SIZE.match(value)
    if match is None:
        keys.invalid("proxy-body-size", f"{value!r} is not a size")
        return
    size = (
        int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    )
    ext = BodySize(max_bytes=size, provenance=keys.prov("proxy-body-size"))
    for rule in family.rules:
        rule.extensions.append(ext)
