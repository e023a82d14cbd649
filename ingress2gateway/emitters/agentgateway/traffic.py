"""Request handling → ``AgentgatewayPolicy`` ``spec.traffic`` and ``spec.backend`` fields.

* **Rate limits** shared by every client → ``traffic.rateLimit.local[{requests, unit, burst}]``
  (counted per proxy replica). A limit the source counted per client address (ingress-nginx
  ``limit-rps``) has no local form — one shared bucket would throttle all clients together — so
  it becomes ``traffic.rateLimit.global`` only with ``--emitter-option
  rate-limit-service=NAMESPACE/NAME:PORT`` naming your Envoy rate limit service: domain
  ``ingress2gateway``, one descriptor with entries ``limit`` (a CEL string literal naming the
  rate) and ``remote_address`` (``source.address``); the limits live in that service's
  configuration (a prerequisite says which). Without the option it stays unconverted.
* **Body size** → ``traffic.buffer.request{maxBytes, failureMode: FailClosed}`` (413 above it,
  the CRD says): agentgateway holds the request body up to that size, so — as for kgateway — it is set only where the source did not stream
  (WebSocket, gRPC); elsewhere a warning says the limit is not enforced.
* **Buffering off**: agentgateway streams bodies unless a buffer policy is set.
* **Timeouts**: connect → ``backend.tcp.connectTimeout``; read/send (between two reads or
  writes) have no per-route carrier in agentgateway (its idle timeout is the Gateway's
  ``frontend.http.http1IdleTimeout``) and are left to the report.
* **Retries** → ``traffic.retry{attempts, codes}`` (codes 400–599, the CRD's range); the per-try
  timeout → ``backend.http.requestTimeout`` (each request to the backend).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingress2gateway.ir import BodySize, Buffering, Extension, RateLimit, Retry, Timeouts
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._base import POLICY, Contribution, MapEnv, Mapper, duration, quantity
from .objects import service_grants

RATE_LIMIT_SERVICE_OPTION = "rate-limit-service"
RATE_LIMIT_DOMAIN = "ingress2gateway"
RATE_LIMIT_SERVICE_CODE = "agentgateway-rate-limit-needs-service"
BODY_LIMIT_CODE = "agentgateway-body-limit-not-enforced"
_SERVICE_OPTION = re.compile(
    r"^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?):([0-9]{1,5})\Z"
)
_UNIT = {"Second": "Seconds", "Minute": "Minutes", "Hour": "Hours"}
_INT32 = 2**31 - 1


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


def rate_limit_service(env: MapEnv) -> tuple[str | None, str, int] | None:
    """(namespace, name, port) of the rate limit service the option names, or None."""
    text = str(env.options.get(RATE_LIMIT_SERVICE_OPTION) or "").strip()
    match = _SERVICE_OPTION.match(text)
    if match is None or not 0 < int(match.group(5)) < 65536:
        return None
    return match.group(1), match.group(3), int(match.group(5))


def rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    if not 0 < ext.requests <= _INT32 or ext.unit not in _UNIT:
        return None
    if ext.per_client_ip:
        return _global_rate_limit(ext, env)
    entry: JSONDict = {"requests": ext.requests, "unit": _UNIT[ext.unit]}
    if ext.burst and 0 < ext.burst <= _INT32:
        entry["burst"] = ext.burst
    return Contribution(
        POLICY,
        {"traffic": {"rateLimit": {"local": [entry]}}},
        Status.PARTIAL,
        "counted per agentgateway replica",
    )


def _global_rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    service = rate_limit_service(env)
    if service is None:
        return None  # one bucket for all clients would throttle them together
    namespace, name, port = service
    backend: JSONDict = {"name": name, "port": port}
    if namespace and namespace != env.namespace:
        backend["namespace"] = namespace
    unit = ext.unit.lower()
    rate = f"{ext.requests}-per-{unit}"  # digits, letters and dashes: a safe CEL literal
    descriptors = [
        {
            "entries": [
                {"name": "limit", "expression": f"'{rate}'"},
                {"name": "remote_address", "expression": "source.address"},
            ]
        }
    ]
    burst = f" (burst {ext.burst} not carried)" if ext.burst else ""
    return Contribution(
        POLICY,
        {
            "traffic": {
                "rateLimit": {
                    "global": {
                        "backendRef": backend,
                        "domain": RATE_LIMIT_DOMAIN,
                        "descriptors": descriptors,
                    }
                }
            }
        },
        Status.PARTIAL,
        f"counted by the rate limit service {_where(namespace)}{name}; its configuration holds "
        f"the limit ({ext.requests} per {unit} per client address){burst}",
        grants=service_grants(env, backend),
        needs=[
            (
                Need.IMPLEMENTATION_FEATURE,
                f"rate limit service {_where(namespace)}{name}:{port}",
                "run an Envoy rate limit service (envoyproxy/ratelimit) there; in domain "
                f"{RATE_LIMIT_DOMAIN}, descriptor key limit value {rate} with a nested "
                f"descriptor key remote_address: requests_per_unit {ext.requests}, unit {unit}",
            )
        ],
    )


def rate_limits_left(exts: Iterable[Extension], env: MapEnv) -> list[RateLimit]:
    """The per-client rate limits left unconverted for want of a rate limit service."""
    if rate_limit_service(env) is not None:
        return []
    return [
        e
        for e in exts
        if isinstance(e, RateLimit) and e.per_client_ip and not e.consumed and e.requests > 0
    ]


def rate_limit_hint(ext: RateLimit) -> str:
    return (
        f"{ext.describe()} counts requests per client address; agentgateway's local rate limit "
        "is one bucket shared by every client, which would throttle them all together, so it is "
        "not converted. Run an Envoy rate limit service and pass --emitter-option "
        "rate-limit-service=NAMESPACE/NAME:PORT to make it a global limit checked there"
    )


def body_size(ext: BodySize, env: MapEnv) -> Contribution | None:
    if ext.max_bytes is None or ext.max_bytes <= 0:
        return Contribution(POLICY, {}, note="no limit, as agentgateway by default")
    if ext.max_bytes > 4294967295:
        return None
    size = quantity(ext.max_bytes)
    reason = ext.stream_reason
    if reason is None and env.route_kind == "GRPCRoute":
        reason = "gRPC streams its requests"
    if reason is not None:
        message = (
            f"the source answered 413 to request bodies larger than {size}; agentgateway "
            "enforces a body limit only by buffering each request (traffic.buffer), which would "
            f"hold WebSocket and streamed requests, and {reason}: no limit is set, so larger "
            "requests now reach the backend"
        )
        return Contribution(
            POLICY,
            {},
            Status.UNSUPPORTED,
            f"not enforced: {reason}",
            warnings=[(BODY_LIMIT_CODE, message)],
        )
    return Contribution(
        POLICY,
        {"traffic": {"buffer": {"request": {"maxBytes": size, "failureMode": "FailClosed"}}}},
        Status.PARTIAL,
        "larger requests get 413 (failureMode FailClosed); agentgateway holds each request body "
        "in memory up to the limit (nginx spooled large bodies to disk)",
    )


def buffering(ext: Buffering, env: MapEnv) -> Contribution | None:
    if ext.request or ext.response:
        return None
    return Contribution(POLICY, {}, note="agentgateway streams bodies by default")


def timeouts(ext: Timeouts, env: MapEnv) -> Contribution | None:
    connect = duration(ext.connect, minimum_ms=100)
    if connect is None:
        return None
    lost = [name for name, value in (("read", ext.read), ("send", ext.send)) if value]
    if lost:
        return Contribution(
            POLICY,
            {"backend": {"tcp": {"connectTimeout": connect}}},
            Status.PARTIAL,
            f"the {' and '.join(lost)} timeout(s) have no per-route carrier in agentgateway",
        )
    return Contribution(POLICY, {"backend": {"tcp": {"connectTimeout": connect}}})


def retry(ext: Retry, env: MapEnv) -> Contribution | None:
    if ext.attempts < 0 or ext.attempts > _INT32:
        return None
    if ext.attempts == 0:
        return Contribution(POLICY, {}, note="no retries, as agentgateway by default")
    body: JSONDict = {"attempts": ext.attempts}
    codes = sorted({c for c in ext.codes if 400 <= c <= 599})
    dropped = sorted({c for c in ext.codes if not 400 <= c <= 599})
    if codes:
        body["codes"] = codes
    spec: JSONDict = {"traffic": {"retry": body}}
    notes = []
    if dropped:
        notes.append(f"status codes outside 400-599 left out: {', '.join(map(str, dropped))}")
    per_try = duration(ext.per_try_timeout, minimum_ms=1)
    if per_try is not None:
        spec["backend"] = {"http": {"requestTimeout": per_try}}
    elif ext.per_try_timeout is not None:
        notes.append(f"per-try timeout {ext.per_try_timeout!r} is not carried")
    status = Status.PARTIAL if notes else Status.CONVERTED
    return Contribution(POLICY, spec, status, "; ".join(notes) or None)


MAPPERS: dict[type, Mapper] = {
    RateLimit: rate_limit,
    BodySize: body_size,
    Buffering: buffering,
    Timeouts: timeouts,
    Retry: retry,
}
