"""Envoy ↔ backend behaviour → ``BackendTrafficPolicy``.

* **Rate limits** → ``rateLimit`` of type ``Local`` (a token bucket in every Envoy replica, as
  ingress-nginx counts per controller replica): one rule per address family with
  ``sourceCIDR {type: Distinct}`` when the limit is per client IP. ``Global`` (shared counters)
  only with ``--emitter-option rate-limit-service=true``, since it needs Envoy Gateway's rate
  limit service (Redis) to be deployed. A burst allowance has no equivalent.
* **Body size** → ``requestBuffer.limit``, only where the source held each request body
  before proxying it: larger requests get 413, as with nginx, but Envoy holds the whole body
  in memory to enforce it, and the buffer hangs WebSocket upgrades and streamed requests (the
  CRD says so). Where the source streamed (gRPC, a GRPCRoute, request buffering off,
  WebSocket), or for a controller-wide default that also covers routes nobody marked, no
  limit is set and a warning (``eg-body-limit-not-enforced``) says that larger requests now
  reach the backends; the ledger names the routes. No limit (``0``) is Envoy's default.
* **Buffering off** is Envoy's default (it streams); buffering *on* is left in the report.
* **Session affinity** (cookie) → ``loadBalancer`` ``ConsistentHash`` on the cookie (Envoy
  generates it; a session cookie when no TTL is given) with ``attributes`` ``Path`` (each
  rule's own; where policies cannot target one rule, the Path shared by the source's rules),
  ``Domain``, ``SameSite`` and ``Secure`` (``HttpOnly`` Envoy always writes). A cookie Secure on
  HTTPS responses only (ingress-nginx's default) is marked Secure on a route served only over
  HTTPS, and not on one that also serves HTTP (noted). Hashing is not stickiness: when
  endpoints change, some clients move.
* **Load balancing** → ``loadBalancer.type``; consistent hashing on the source IP, a header, a
  cookie or a query parameter.
* **Retries** → ``retry`` (``numRetries``; connect failures and resets, plus the listed status
  codes as ``retriable-status-codes``; ``perRetry.timeout``).
* **Timeouts** → ``timeout.tcp.connectTimeout``; read/send (time between two reads or writes)
  → ``timeout.http.streamIdleTimeout`` (the longer of the two; Envoy's idle timer covers both
  directions).
* **Sign-in redirects** (``auth-signin``) → ``responseOverride`` for 401 with ``source:
  Local`` whose response is a 302 with the ``Location``; what the source added per request
  (the original URL in ``rd=``) cannot be carried and is warned about
  (``eg-sign-in-redirect-partial``).
* **Custom error pages** → ``responseOverride`` for the status codes. Envoy Gateway cannot send
  the request to an error-page Service: the body becomes an inline placeholder, to be replaced
  by the page's content (inline, or a ConfigMap through ``body.valueRef``).
* **Backend connection limits** (Istio ``connectionPool``) → ``circuitBreaker``
  (``maxConnections``, ``maxPendingRequests``, ``maxParallelRequests``,
  ``maxRequestsPerConnection``, ``maxParallelRetries``; counted per Envoy replica, as Istio
  counts per proxy), the connect timeout → ``timeout.tcp.connectTimeout``, the idle timeout →
  ``timeout.http.connectionIdleTimeout``. Pool settings without a field are named in the note.
"""

from __future__ import annotations

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BackendConnectionLimits,
    BodySize,
    Buffering,
    CustomErrors,
    LoadBalancer,
    RateLimit,
    Retry,
    SessionAffinity,
    SignInRedirect,
    Timeouts,
)
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    BACKEND_TRAFFIC_POLICY,
    Contribution,
    MapEnv,
    Mapper,
    duration_ms,
    eg_duration,
    format_ms,
    quantity,
)

RATE_LIMIT_SERVICE_OPTION = "rate-limit-service"
_TRUE = frozenset({"true", "yes", "1", "on"})


def global_rate_limit(env: MapEnv) -> bool:
    return str(env.options.get(RATE_LIMIT_SERVICE_OPTION, "")).strip().lower() in _TRUE


def rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    if ext.requests < 0:
        return None
    limit: JSONDict = {"requests": ext.requests, "unit": ext.unit}
    rules: list[JSONDict]
    if ext.per_client_ip:
        # Distinct buckets per address; one rule per family, since a selector holds one CIDR.
        rules = [
            {
                "clientSelectors": [{"sourceCIDR": {"type": "Distinct", "value": cidr}}],
                "limit": dict(limit),
            }
            for cidr in ("0.0.0.0/0", "::/0")
        ]
    else:
        rules = [{"limit": limit}]
    kind = "Global" if global_rate_limit(env) else "Local"
    notes = []
    if kind == "Local":
        notes.append(
            "counted per Envoy replica (Local); pass --emitter-option rate-limit-service=true "
            "if Envoy Gateway runs its global rate limit service"
        )
    if ext.burst is not None:
        notes.append(f"the burst allowance ({ext.burst}) has no equivalent")
    needs = []
    if kind == "Global":
        needs.append(
            (
                Need.IMPLEMENTATION_FEATURE,
                "Envoy Gateway global rate limit service",
                "deploy Redis and set rateLimit.backend (type Redis, redis.url) in the "
                "EnvoyGateway configuration: Envoy Gateway then runs the rate limit service "
                "that Global rate limits need",
            )
        )
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {"rateLimit": {"type": kind, kind.lower(): {"rules": rules}}},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
        needs=needs,
    )


BODY_LIMIT_CODE = "eg-body-limit-not-enforced"


def body_size(ext: BodySize, env: MapEnv) -> Contribution | None:
    if ext.max_bytes is None or ext.max_bytes <= 0:
        return Contribution(
            BACKEND_TRAFFIC_POLICY, {}, note="no limit, as Envoy Gateway by default"
        )
    size = quantity(ext.max_bytes)
    reason = ext.stream_reason
    if reason is None and env.route_kind == "GRPCRoute":
        reason = "gRPC streams its requests"
    if reason is not None:
        # requestBuffer holds the whole request before sending it on: WebSocket upgrades and
        # streamed requests hang (the v1.9 CRD says so), so it goes only where the source
        # buffered too.
        message = (
            f"nginx answered 413 to request bodies larger than {size}; Envoy Gateway enforces "
            "a body limit only by holding each whole request in memory (BackendTrafficPolicy "
            f"requestBuffer), which would hang WebSocket and streamed requests, and {reason}: "
            "no limit is set, so larger requests now reach the backend. Add requestBuffer.limit "
            "to the routes that carry neither if the limit matters"
        )
        return Contribution(
            BACKEND_TRAFFIC_POLICY,
            {},
            Status.UNSUPPORTED,
            f"not enforced: {reason}",
            warnings=[(BODY_LIMIT_CODE, message)],
        )
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {"requestBuffer": {"limit": size}},
        Status.PARTIAL,
        "larger requests get 413 as with nginx; Envoy holds each request body in memory up to "
        "the limit (nginx spooled large bodies to disk), and a WebSocket upgrade on these paths "
        "would hang: remove requestBuffer from a route that carries WebSocket",
    )


def buffering(ext: Buffering, env: MapEnv) -> Contribution | None:
    if ext.request or ext.response:
        return None  # Envoy streams; buffering on demand has no policy field
    return Contribution(
        BACKEND_TRAFFIC_POLICY, {}, note="Envoy streams request and response bodies by default"
    )


def session_affinity(ext: SessionAffinity, env: MapEnv) -> Contribution | None:
    if not ext.cookie_name or grammar.cookie_name_problem(ext.cookie_name):
        return None
    cookie: JSONDict = {"name": ext.cookie_name, "ttl": format_ms((ext.ttl_seconds or 0) * 1000)}
    notes = [
        "consistent hashing on the cookie, not stickiness: when endpoints change some clients "
        "move to another one"
    ]
    attributes = cookie_attributes(ext, env, notes)
    if attributes:
        cookie["attributes"] = attributes
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {
            "loadBalancer": {
                "type": "ConsistentHash",
                "consistentHash": {"type": "Cookie", "cookie": cookie},
            }
        },
        Status.PARTIAL,
        "; ".join(notes),
    )


def cookie_attributes(ext: SessionAffinity, env: MapEnv, notes: list[str]) -> dict[str, str]:
    """The attributes of the cookie Envoy generates (it writes ``; Name=Value``, or ``; Name``
    for an empty value, and always ``HttpOnly``). Each value is checked against its RFC 6265
    grammar here too: one that fails is left out, never written."""
    attributes: dict[str, str] = {}
    # Without rule names a policy serves the whole route: one cookie for all its rules.
    path = ext.path if env.rule_names else (ext.shared_path or ext.path)
    if path and grammar.cookie_path_problem(path) is None:
        attributes["Path"] = path
    if ext.domain and grammar.cookie_domain_problem(ext.domain) is None:
        attributes["Domain"] = ext.domain
    if ext.same_site in grammar.SAME_SITE:
        attributes["SameSite"] = ext.same_site
    if ext.secure == "always" or (ext.secure == "https" and env.schemes == {"HTTPS"}):
        attributes["Secure"] = ""
    elif ext.secure == "https" and env.schemes == {"HTTP", "HTTPS"}:
        notes.append(
            "the source marked the cookie Secure on HTTPS responses only; this route serves "
            "HTTP and HTTPS with one policy, so the cookie is not marked Secure"
        )
    return attributes


def _consistent_hash(hash_on: str | None) -> JSONDict | None:
    if hash_on is None:
        return None
    kind, _, name = hash_on.partition(":")
    if kind == "source-ip":
        return {"type": "SourceIP"}
    if kind == "header" and name:
        return {"type": "Header", "header": {"name": name}}
    if kind == "cookie" and name:
        return {"type": "Cookie", "cookie": {"name": name}}
    if kind in ("query", "arg", "query-arg") and name:
        return {"type": "QueryParams", "queryParams": [{"name": name}]}
    return None  # the request URI (and the rest) has no hash policy in Envoy Gateway


def load_balancer(ext: LoadBalancer, env: MapEnv) -> Contribution | None:
    if ext.algorithm != "ConsistentHash":
        return Contribution(BACKEND_TRAFFIC_POLICY, {"loadBalancer": {"type": ext.algorithm}})
    hashing = _consistent_hash(ext.hash_on)
    if hashing is None:
        return None
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {"loadBalancer": {"type": "ConsistentHash", "consistentHash": hashing}},
    )


def retry(ext: Retry, env: MapEnv) -> Contribution | None:
    if ext.attempts < 0:
        return None
    body: JSONDict = {"numRetries": ext.attempts}
    triggers = ["connect-failure", "reset"]
    codes = sorted({c for c in ext.codes if 100 <= c <= 599})
    if codes:
        triggers.append("retriable-status-codes")
    retry_on: JSONDict = {"triggers": triggers}
    if codes:
        retry_on["httpStatusCodes"] = codes
    body["retryOn"] = retry_on
    note = "retried on connect failures, resets" + (
        f" and status {', '.join(map(str, codes))}" if codes else ""
    )
    per_try = eg_duration(ext.per_try_timeout)
    if per_try is not None:
        body["perRetry"] = {"timeout": per_try}
    elif ext.per_try_timeout is not None:
        note += f"; per-try timeout {ext.per_try_timeout!r} is not a duration"
    return Contribution(BACKEND_TRAFFIC_POLICY, {"retry": body}, Status.PARTIAL, note)


def timeouts(ext: Timeouts, env: MapEnv) -> Contribution | None:
    spec: JSONDict = {}
    notes = []
    status = Status.CONVERTED
    connect = eg_duration(ext.connect)
    if connect is not None:
        spec["tcp"] = {"connectTimeout": connect}
    idle = [duration_ms(v) for v in (ext.read, ext.send) if v is not None]
    known = [v for v in idle if v is not None]
    if known:
        spec["http"] = {"streamIdleTimeout": format_ms(max(known))}
        status = Status.PARTIAL
        notes.append(
            "read/send timeouts (between two reads or writes) → streamIdleTimeout, which "
            "Envoy applies to both directions"
            + (" (the longer of the two)" if len(known) > 1 and known[0] != known[1] else "")
        )
    if not spec:
        return None
    return Contribution(BACKEND_TRAFFIC_POLICY, {"timeout": spec}, status, "; ".join(notes) or None)


def custom_errors(ext: CustomErrors, env: MapEnv) -> Contribution | None:
    codes = sorted({c for c in ext.codes if 400 <= c <= 599})
    if not codes:
        return None
    override: JSONDict = {
        "match": {"statusCodes": [{"type": "Value", "value": code} for code in codes]},
        "response": {
            "contentType": "text/plain",
            "body": {"type": "Inline", "inline": "%RESPONSE_CODE% error"},
        },
    }
    where = f"the error-page Service {ext.backend}" if ext.backend else "an error-page backend"
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {"responseOverride": [override]},
        Status.PARTIAL,
        f"Envoy Gateway cannot send the request to {where}: the response body is an inline "
        "placeholder; put the page's content in responseOverride (inline, or a ConfigMap via "
        "body.valueRef)",
    )


SIGN_IN_CODE = "eg-sign-in-redirect-partial"


def sign_in_redirect(ext: SignInRedirect, env: MapEnv) -> Contribution | None:
    """401 from the gateway's own auth check → a redirect, as a ``responseOverride`` with
    ``source: Local`` (Envoy-generated responses only: the auth service's refusal, not a 401 a
    backend sends, as nginx's ``error_page 401`` caught only its own). Its ``response`` sets the
    status and ``Location``: a ``redirect`` override would not do, since Envoy follows that
    one itself and sends the sign-in page's response in place of the 401 (Envoy Gateway's
    response-override docs)."""
    location = ext.location
    absolute = location.startswith(("http://", "https://"))
    problem = (
        grammar.url_problem(location)
        if absolute
        else grammar.url_problem("https:" + location)
        if location.startswith("//")
        else grammar.url_path_problem(location)
    ) or grammar.header_value_problem(location)
    if problem is not None or not 300 <= ext.status_code <= 399:
        return None
    override: JSONDict = {
        "match": {"statusCodes": [{"type": "Value", "value": 401}]},
        "source": "Local",
        "response": {
            "statusCode": ext.status_code,
            "header": {"set": [{"name": "Location", "value": location}]},
        },
    }
    note = f"a 401 of the auth check is answered {ext.status_code} to {location}"
    if not ext.not_carried:
        return Contribution(BACKEND_TRAFFIC_POLICY, {"responseOverride": [override]}, note=note)
    lost = ", ".join(ext.not_carried)
    message = (
        f"requests the auth check refuses are redirected to {location} as by nginx, but without "
        f"what nginx added per request ({lost}): after signing in, users land on the sign-in "
        "service's default page, not on the page they asked for. To keep that, have the auth "
        "service answer unauthenticated requests with the redirect itself (Envoy Gateway passes "
        "its denial response, Location included, to the client), or use SecurityPolicy oidc"
    )
    return Contribution(
        BACKEND_TRAFFIC_POLICY,
        {"responseOverride": [override]},
        Status.PARTIAL,
        f"{note}; not carried: {lost}",
        warnings=[(SIGN_IN_CODE, message)],
    )


_CIRCUIT_BREAKER = (
    ("max_connections", "maxConnections"),
    ("max_pending_requests", "maxPendingRequests"),
    ("max_parallel_requests", "maxParallelRequests"),
    ("max_requests_per_connection", "maxRequestsPerConnection"),
    ("max_parallel_retries", "maxParallelRetries"),
)
_INT32_MAX = 2**31 - 1


def backend_connection_limits(ext: BackendConnectionLimits, env: MapEnv) -> Contribution | None:
    spec: JSONDict = {}
    problems: list[str] = []
    breaker: JSONDict = {}
    for attr, key in _CIRCUIT_BREAKER:
        value = getattr(ext, attr)
        if value is None:
            continue
        if 0 <= value <= _INT32_MAX:
            breaker[key] = value
        else:
            problems.append(f"{key} {value} is out of range")
    if breaker:
        spec["circuitBreaker"] = breaker
    timeout: JSONDict = {}
    for value, section, key in (
        (ext.connect_timeout, "tcp", "connectTimeout"),
        (ext.idle_timeout, "http", "connectionIdleTimeout"),
    ):
        converted = eg_duration(value)
        if converted is not None:
            timeout[section] = {key: converted}
        elif value is not None:
            problems.append(f"{value!r} is not a duration")
    if timeout:
        spec["timeout"] = timeout
    if not spec:
        return None
    notes = ["limits count per Envoy replica"] if breaker else []
    notes.extend(problems)
    if ext.not_carried:
        notes.append(f"not carried: {', '.join(ext.not_carried)}")
    status = Status.PARTIAL if ext.not_carried or problems else Status.CONVERTED
    return Contribution(BACKEND_TRAFFIC_POLICY, spec, status, "; ".join(notes) or None)


MAPPERS: dict[type, Mapper] = {
    BackendConnectionLimits: backend_connection_limits,
    RateLimit: rate_limit,
    BodySize: body_size,
    Buffering: buffering,
    SessionAffinity: session_affinity,
    LoadBalancer: load_balancer,
    Retry: retry,
    Timeouts: timeouts,
    CustomErrors: custom_errors,
    SignInRedirect: sign_in_redirect,
}
