"""Request handling → ``TrafficPolicy`` fields.

* **Rate limits** → ``rateLimit.local.tokenBucket`` (``maxTokens`` = the rate plus the burst,
  refilled with the rate every ``fillInterval`` of the unit): one bucket per Envoy replica and
  per policy target, shared by **every client**. A limit the source counted per client IP
  (ingress-nginx ``limit-rps``) has no local form — one shared bucket would throttle all clients
  together — so it is carried only as a global limit, with ``--emitter-option
  rate-limit-service=NAMESPACE/NAME:PORT`` naming your Envoy rate limit service:
  ``rateLimit.global`` with one descriptor (``generic limit=<rate>``, then ``RemoteAddress``)
  and a ``GatewayExtension`` ``type: RateLimit`` (domain ``ingress2gateway``); the limits
  themselves live in that service's configuration (a prerequisite says which).
  Without the option it stays unconverted.
* **Body size** → ``buffer.maxRequestSize`` (larger requests get 413): Envoy's buffer filter holds
  each whole request, which hangs WebSocket and streamed requests, so the limit is set only where
  the source buffered too; elsewhere it is not enforced and a warning
  (``kgateway-body-limit-not-enforced``) says so. No limit is kgateway's default.
* **Buffering off** is Envoy's default (it streams); buffering *on* is left in the report.
* **Timeouts**: read/send (between two reads or writes) → ``timeouts.streamIdle`` (the longer of
  the two; Envoy's stream idle timer covers both directions). The connect timeout goes to the
  Service's ``BackendConfigPolicy`` (:mod:`.service`).
* **Retries** → ``retry`` (``attempts``; ``retryOn`` connect failures and resets, plus
  ``retriable-status-codes`` with ``statusCodes`` — 400 to 599 only; ``perTryTimeout``).
* **Regex rewrite** → ``urlRewrite.pathRegex`` (``pattern``, ``substitution`` with ``\\1``),
  allowed on HTTPRoutes only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingress2gateway.ir import (
    BodySize,
    Buffering,
    Extension,
    RateLimit,
    RegexRewrite,
    Retry,
    Timeouts,
)
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    TRAFFIC_POLICY,
    Contribution,
    MapEnv,
    Mapper,
    duration,
    duration_ms,
    format_ms,
    quantity,
)
from .objects import shared_object

RATE_LIMIT_SERVICE_OPTION = "rate-limit-service"
RATE_LIMIT_DOMAIN = "ingress2gateway"
_SERVICE_OPTION = re.compile(
    r"^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)/)?([a-z0-9]([-a-z0-9]*[a-z0-9])?):([0-9]{1,5})\Z"
)
_UNIT = {"Second": "1s", "Minute": "1m", "Hour": "1h"}
_INT32 = 2**31 - 1


def rate_limit_service(env: MapEnv) -> tuple[str | None, str, int] | None:
    """(namespace, name, port) of the rate limit service the option names, or None."""
    text = str(env.options.get(RATE_LIMIT_SERVICE_OPTION) or "").strip()
    match = _SERVICE_OPTION.match(text)
    if match is None or not 0 < int(match.group(5)) < 65536:
        return None
    return match.group(1), match.group(3), int(match.group(5))


def rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    if ext.requests <= 0 or ext.unit not in _UNIT:
        return None
    if ext.per_client_ip:
        return _global_rate_limit(ext, env)
    tokens = ext.requests + max(ext.burst or 0, 0)
    if tokens > _INT32:
        return None
    bucket: JSONDict = {
        "maxTokens": tokens,
        "tokensPerFill": ext.requests,
        "fillInterval": _UNIT[ext.unit],
    }
    note = "counted per Envoy replica (local token bucket)"
    if ext.burst:
        note += f"; the burst ({ext.burst}) is added to the bucket's size"
    return Contribution(
        TRAFFIC_POLICY, {"rateLimit": {"local": {"tokenBucket": bucket}}}, Status.PARTIAL, note
    )


def _global_rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    service = rate_limit_service(env)
    if service is None:
        return None  # one bucket for all clients would throttle them together
    namespace, name, port = service
    backend: JSONDict = {"name": name, "port": port}
    if namespace and namespace != env.namespace:
        backend["namespace"] = namespace
    extension = shared_object(
        env,
        "GatewayExtension",
        "rate-limit",
        {
            "type": "RateLimit",
            "rateLimit": {"grpcService": {"backendRef": backend}, "domain": RATE_LIMIT_DOMAIN},
        },
    )
    unit = ext.unit.lower()
    rate = f"{ext.requests}-per-{unit}"
    descriptors = [
        {
            "entries": [
                {"type": "Generic", "generic": {"key": "limit", "value": rate}},
                {"type": "RemoteAddress"},
            ]
        }
    ]
    burst = f" (burst {ext.burst} not carried)" if ext.burst else ""
    return Contribution(
        TRAFFIC_POLICY,
        {
            "rateLimit": {
                "global": {
                    "descriptors": descriptors,
                    "extensionRef": {"name": extension.ref.name},
                }
            }
        },
        Status.PARTIAL,
        f"counted by the rate limit service {_where(namespace)}{name}; its configuration holds "
        f"the limit ({ext.requests} per {unit} per client address){burst}",
        objects=[extension],
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


RATE_LIMIT_SERVICE_CODE = "kgateway-rate-limit-needs-service"


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
        f"{ext.describe()} counts requests per client address; kgateway's local rate limit is "
        "one bucket shared by every client, which would throttle them all together, so it is "
        "not converted. Run an Envoy rate limit service and pass --emitter-option "
        "rate-limit-service=NAMESPACE/NAME:PORT to make it a global limit checked there"
    )


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


BODY_LIMIT_CODE = "kgateway-body-limit-not-enforced"


def body_size(ext: BodySize, env: MapEnv) -> Contribution | None:
    if ext.max_bytes is None or ext.max_bytes <= 0:
        return Contribution(TRAFFIC_POLICY, {}, note="no limit, as kgateway by default")
    size = quantity(ext.max_bytes)
    reason = ext.stream_reason
    if reason is None and env.route_kind == "GRPCRoute":
        reason = "gRPC streams its requests"
    if reason is not None:
        message = (
            f"the source answered 413 to request bodies larger than {size}; kgateway enforces a "
            "body limit only by holding each whole request (TrafficPolicy buffer), which would "
            f"hang WebSocket and streamed requests, and {reason}: no limit is set, so larger "
            "requests now reach the backend"
        )
        return Contribution(
            TRAFFIC_POLICY,
            {},
            Status.UNSUPPORTED,
            f"not enforced: {reason}",
            warnings=[(BODY_LIMIT_CODE, message)],
        )
    return Contribution(
        TRAFFIC_POLICY,
        {"buffer": {"maxRequestSize": size}},
        Status.PARTIAL,
        "larger requests get 413; Envoy holds each request body in memory up to the limit (nginx "
        "spooled large bodies to disk), and a WebSocket upgrade on these paths would hang",
    )


def buffering(ext: Buffering, env: MapEnv) -> Contribution | None:
    if ext.request or ext.response:
        return None
    return Contribution(
        TRAFFIC_POLICY, {}, note="Envoy streams request and response bodies by default"
    )


def timeouts(ext: Timeouts, env: MapEnv) -> Contribution | None:
    idle = [duration_ms(v) for v in (ext.read, ext.send) if v is not None]
    known = [v for v in idle if v is not None]
    if not known:
        return None
    longest = duration(format_ms(max(known)))
    if longest is None:
        return None
    note = "read/send timeouts (between two reads or writes) → streamIdle, for both directions"
    if len(known) > 1 and known[0] != known[1]:
        note += " (the longer of the two)"
    return Contribution(TRAFFIC_POLICY, {"timeouts": {"streamIdle": longest}}, Status.PARTIAL, note)


def retry(ext: Retry, env: MapEnv) -> Contribution | None:
    if ext.attempts < 0 or ext.attempts > _INT32:
        return None
    body: JSONDict = {"attempts": ext.attempts}
    retry_on = ["connect-failure", "reset"]
    codes = sorted({c for c in ext.codes if 400 <= c <= 599})
    dropped = sorted({c for c in ext.codes if not 400 <= c <= 599})
    if codes:
        retry_on.append("retriable-status-codes")
        body["statusCodes"] = codes
    body["retryOn"] = retry_on
    note = "retried on connect failures, resets" + (
        f" and status {', '.join(map(str, codes))}" if codes else ""
    )
    if dropped:
        note += f"; status codes kgateway cannot retry on, left out: {', '.join(map(str, dropped))}"
    per_try = duration(ext.per_try_timeout)
    if per_try is not None and (duration_ms(per_try) or 0) >= 1:
        body["perTryTimeout"] = per_try
    elif ext.per_try_timeout is not None:
        note += f"; per-try timeout {ext.per_try_timeout!r} is not carried"
    return Contribution(TRAFFIC_POLICY, {"retry": body}, Status.PARTIAL, note)


def regex_rewrite(ext: RegexRewrite, env: MapEnv) -> Contribution | None:
    if env.route_kind != "HTTPRoute":
        return None  # the CRD allows urlRewrite on HTTPRoute targets only
    if not 0 < len(ext.pattern) <= 1024 or len(ext.substitution) > 1024:
        return None
    return Contribution(
        TRAFFIC_POLICY,
        {"urlRewrite": {"pathRegex": {"pattern": ext.pattern, "substitution": ext.substitution}}},
    )


MAPPERS: dict[type, Mapper] = {
    RateLimit: rate_limit,
    BodySize: body_size,
    Buffering: buffering,
    Timeouts: timeouts,
    Retry: retry,
    RegexRewrite: regex_rewrite,
}
