"""Mappers for the policies NGF attaches to a Gateway or a whole route: each turns one IR
extension into a fragment of a policy ``spec`` (a :class:`Contribution`), or None when NGF
cannot say it (the extension then stays unconsumed and the pipeline reports it).

* ClientSettingsPolicy (NGINX ``client_*`` and ``keepalive_*`` directives): a body size limit
  becomes ``body.maxSize`` (``client_max_body_size``; ``0`` = unlimited). NGINX checks it
  against Content-Length and while reading, so it holds for streamed bodies too. Client
  timeouts: the body pause becomes ``body.timeout`` (``client_body_timeout``), the idle
  keep-alive time ``keepAlive.timeout.server``; the header timeout has no field (partial).
* ProxySettingsPolicy (``proxy_*``): connect/read/send timeouts become ``timeout.*`` — the
  same per-phase NGINX timeouts ingress-nginx sets; response buffering off becomes
  ``buffering.disable: true``. Request buffering has no field.
* RateLimitPolicy (``limit_req``): a per-client limit becomes a local rule keyed on
  ``$binary_remote_addr`` with ``rate`` ``N r/s`` or ``r/m`` (an hourly limit only when it is a
  whole number per minute) and the burst with ``noDelay`` (ingress-nginx's ``nodelay``). The
  reject code stays NGINX's default (503, as ingress-nginx). A limit shared by all clients is
  not carried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingress2gateway.emitters.envoy_gateway._base import Contribution
from ingress2gateway.ir import BodySize, Buffering, ClientTimeouts, RateLimit, Timeouts
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Status

from ._base import CLIENT_SETTINGS, PROXY_SETTINGS, RATE_LIMIT, duration, size

Mapper = Callable[[Any], Contribution | None]

CLIENT_ADDRESS_KEY = "$binary_remote_addr"


def body_size(ext: BodySize) -> Contribution | None:
    value = "0" if ext.max_bytes is None else size(ext.max_bytes)
    if value is None:
        return None
    return Contribution(CLIENT_SETTINGS, {"body": {"maxSize": value}})


def client_timeouts(ext: ClientTimeouts) -> Contribution | None:
    spec: JSONDict = {}
    lost: list[str] = []
    body = duration(ext.body_idle)
    if body is not None:
        spec["body"] = {"timeout": body}
    elif ext.body_idle is not None:
        lost.append(f"the body timeout {ext.body_idle}")
    idle = duration(ext.idle)
    if idle is not None:
        spec["keepAlive"] = {"timeout": {"server": idle}}
    elif ext.idle is not None:
        lost.append(f"the keep-alive timeout {ext.idle}")
    if ext.request_headers is not None:
        lost.append(
            f"the request header timeout {ext.request_headers} (ClientSettingsPolicy has no "
            "client_header_timeout)"
        )
    if not spec:
        return None
    if lost:
        return Contribution(
            CLIENT_SETTINGS, spec, Status.PARTIAL, f"not carried: {', '.join(lost)}"
        )
    return Contribution(CLIENT_SETTINGS, spec)


def timeouts(ext: Timeouts) -> Contribution | None:
    spec: JSONDict = {}
    lost: list[str] = []
    for key in ("connect", "read", "send"):
        text = getattr(ext, key)
        value = duration(text)
        if value is not None:
            spec[key] = value
        elif text is not None:
            lost.append(f"{key} {text}")
    if not spec:
        return None
    contribution = Contribution(PROXY_SETTINGS, {"timeout": spec})
    if lost:
        contribution.status = Status.PARTIAL
        contribution.note = f"not in NGINX's duration form: {', '.join(lost)}"
    return contribution


def buffering(ext: Buffering) -> Contribution | None:
    if ext.response is None:
        return None
    contribution = Contribution(PROXY_SETTINGS, {"buffering": {"disable": not ext.response}})
    if ext.request is not None:
        contribution.status = Status.PARTIAL
        contribution.note = (
            "request buffering is not carried (ProxySettingsPolicy sets proxy_buffering only)"
        )
    return contribution


def rate(ext: RateLimit) -> str | None:
    if ext.requests <= 0:
        return None
    if ext.unit == "Second":
        return f"{ext.requests}r/s"
    if ext.unit == "Minute":
        return f"{ext.requests}r/m"
    if ext.requests % 60 == 0:
        return f"{ext.requests // 60}r/m"
    return None


def rate_limit(ext: RateLimit) -> Contribution | None:
    value = rate(ext)
    if value is None or not ext.per_client_ip:
        return None
    rule: JSONDict = {"key": CLIENT_ADDRESS_KEY, "rate": value}
    if ext.burst:
        rule["burst"] = ext.burst
        rule["noDelay"] = True
    note = None
    if ext.unit == "Hour":
        note = f"{ext.requests} requests per hour became {value} (NGINX counts per second/minute)"
    return Contribution(
        RATE_LIMIT,
        {"rateLimit": {"local": {"rules": [rule]}}},
        Status.PARTIAL if note else Status.CONVERTED,
        note,
    )


MAPPERS: dict[type, Mapper] = {
    BodySize: body_size,
    ClientTimeouts: client_timeouts,
    Timeouts: timeouts,
    Buffering: buffering,
    RateLimit: rate_limit,
}
