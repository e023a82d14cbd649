"""Backend settings as ``DestinationRule`` (``networking.istio.io/v1``), one per Service.

A DestinationRule is not attached by a targetRef: its ``spec.host`` (the Service's FQDN) makes
it apply to every client of the Service — every route of every Gateway, and the mesh's
sidecars (``istio-service-wide``).

| IR extension | becomes (under ``spec.trafficPolicy``) |
|---|---|
| SessionAffinity | ``loadBalancer.consistentHash.httpCookie{name, path, ttl, attributes}`` (``ttl: 0s``: a session cookie Envoy generates); partial: a hash of the cookie on a ring of the endpoints, where nginx's cookie named the endpoint (clients move when endpoints change); Secure on HTTPS responses only is not carried |
| LoadBalancer RoundRobin / LeastRequest / Random | ``loadBalancer.simple`` ``ROUND_ROBIN`` / ``LEAST_REQUEST`` / ``RANDOM`` |
| LoadBalancer ConsistentHash on source-ip / header / cookie | ``consistentHash.useSourceIp`` / ``httpHeaderName`` / ``httpCookie{name}`` (a hash on the URI has no Istio field) |
| BackendConnectionLimits | ``connectionPool.tcp{maxConnections, connectTimeout}``, ``connectionPool.http{http1MaxPendingRequests, http2MaxRequests, maxRequestsPerConnection, maxRetries, idleTimeout}`` |
| Timeouts connect | ``connectionPool.tcp.connectTimeout`` (read / send have no Istio field: partial) |
| BackendTLSOptions | ``tls{mode: SIMPLE, insecureSkipVerify, sni}``, with a client certificate ``mode: MUTUAL`` + ``credentialName`` (the Secret must be in the Gateway's namespace) |

Durations are written in seconds or milliseconds (``90s``, ``250ms``), which both protobuf
JSON and the CRD's ``duration()`` CEL read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingress2gateway.emitters.envoy_gateway._base import duration_ms
from ingress2gateway.ir import (
    BackendConnectionLimits,
    BackendTLSOptions,
    Extension,
    LoadBalancer,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._book import Carried
from .security import _TOKEN

NETWORKING_API = "networking.istio.io/v1"
DESTINATION_RULE = "DestinationRule"
DEFAULT_COOKIE = "ingress2gateway-affinity"
MAX_INT32 = 2**31 - 1


def istio_duration(text: str | None, minimum_ms: int = 1) -> str | None:
    if text is None:
        return None
    total = duration_ms(text)
    if total is None or total < minimum_ms:
        return None
    return f"{total // 1000}s" if total % 1000 == 0 else f"{total}ms"


def session_affinity(ext: SessionAffinity, gateway_ns: str | None) -> Carried | None:
    name = ext.cookie_name or DEFAULT_COOKIE
    if not _TOKEN.fullmatch(name):
        return None
    cookie: JSONDict = {"name": name, "ttl": f"{max(ext.ttl_seconds or 0, 0)}s"}
    if ext.path:
        cookie["path"] = ext.path
    attributes: list[JSONDict] = []
    if ext.domain:
        attributes.append({"name": "Domain", "value": ext.domain})
    if ext.same_site:
        attributes.append({"name": "SameSite", "value": ext.same_site})
    if ext.secure == "always":
        attributes.append({"name": "Secure"})
    if attributes:
        cookie["attributes"] = attributes
    notes = [
        "Envoy hashes the cookie on a ring of the endpoints, where the source's cookie named "
        "the endpoint: some clients move when endpoints are added or removed"
    ]
    if ext.cookie_name is None:
        notes.append(f"the cookie is named {DEFAULT_COOKIE}")
    if ext.secure == "https":
        notes.append("the cookie is never marked Secure (the source did on HTTPS responses)")
    spec = {"loadBalancer": {"consistentHash": {"httpCookie": cookie}}}
    return Carried(spec, Status.PARTIAL, "; ".join(notes))


SIMPLE = {"RoundRobin": "ROUND_ROBIN", "LeastRequest": "LEAST_REQUEST", "Random": "RANDOM"}


def load_balancer(ext: LoadBalancer, gateway_ns: str | None) -> Carried | None:
    if ext.algorithm in SIMPLE:
        return Carried({"loadBalancer": {"simple": SIMPLE[ext.algorithm]}})
    hash_on = ext.hash_on or ""
    key: JSONDict
    if hash_on == "source-ip":
        key = {"useSourceIp": True}
    elif hash_on.startswith("header:") and _TOKEN.fullmatch(hash_on[7:]):
        key = {"httpHeaderName": hash_on[7:].lower()}
    elif hash_on.startswith("cookie:") and _TOKEN.fullmatch(hash_on[7:]):
        key = {"httpCookie": {"name": hash_on[7:]}}
    else:
        return None  # the URI, or a key Istio cannot name
    return Carried({"loadBalancer": {"consistentHash": key}})


def connection_limits(ext: BackendConnectionLimits, gateway_ns: str | None) -> Carried | None:
    tcp: JSONDict = {}
    http: JSONDict = {}
    lost = list(ext.not_carried)
    for value, section, key in (
        (ext.max_connections, tcp, "maxConnections"),
        (ext.max_pending_requests, http, "http1MaxPendingRequests"),
        (ext.max_parallel_requests, http, "http2MaxRequests"),
        (ext.max_requests_per_connection, http, "maxRequestsPerConnection"),
        (ext.max_parallel_retries, http, "maxRetries"),
    ):
        if value is None:
            continue
        if 0 < value <= MAX_INT32:
            section[key] = value
        else:
            lost.append(f"{key} {value}")
    for text, section, key in (
        (ext.connect_timeout, tcp, "connectTimeout"),
        (ext.idle_timeout, http, "idleTimeout"),
    ):
        if text is None:
            continue
        written = istio_duration(text)
        if written is None:
            lost.append(f"{key} {text}")
        else:
            section[key] = written
    pool: JSONDict = {}
    if tcp:
        pool["tcp"] = tcp
    if http:
        pool["http"] = http
    if not pool:
        return None
    if lost:
        return Carried({"connectionPool": pool}, Status.PARTIAL, f"not carried: {', '.join(lost)}")
    return Carried({"connectionPool": pool})


def timeouts(ext: Timeouts, gateway_ns: str | None) -> Carried | None:
    connect = istio_duration(ext.connect)
    if connect is None:
        return None
    spec = {"connectionPool": {"tcp": {"connectTimeout": connect}}}
    lost = [f"the {name} timeout" for name in ("read", "send") if getattr(ext, name)]
    if lost:
        note = f"{' and '.join(lost)} have no Istio field (the route timeout bounds the response)"
        return Carried(spec, Status.PARTIAL, note)
    return Carried(spec)


def backend_tls(ext: BackendTLSOptions, gateway_ns: str | None) -> Carried | None:
    tls: JSONDict = {"mode": "SIMPLE"}
    notes: list[str] = []
    needs = []
    cert = ext.client_certificate
    if cert is not None:
        tls["mode"] = "MUTUAL"
        tls["credentialName"] = cert.name
        where = f"namespace {gateway_ns}" if gateway_ns else "the Gateway's namespace"
        if (cert.namespace or ext.namespace) is None or (
            cert.namespace or ext.namespace
        ) != gateway_ns:
            # Istio reads credentialName in the Gateway's namespace.
            needs.append(
                (
                    Need.SECRET,
                    f"Secret {cert.name} in {where}",
                    "Istio reads a DestinationRule's credentialName from the Gateway's "
                    "namespace: copy the client certificate Secret (tls.crt, tls.key"
                    + ("" if ext.insecure_skip_verify else ", and ca.crt to verify the backend")
                    + ") there",
                )
            )
            notes.append(f"the client certificate Secret must be in {where}")
        if not ext.insecure_skip_verify:
            notes.append(
                "the backend is verified against the Secret's ca.crt (a DestinationRule cannot "
                "name a ConfigMap), else the system roots"
            )
    if ext.insecure_skip_verify:
        tls["insecureSkipVerify"] = True
    if ext.sni:
        tls["sni"] = ext.sni
    status = Status.PARTIAL if notes else Status.CONVERTED
    return Carried({"tls": tls}, status, "; ".join(notes) or None, needs=needs)


Mapper = Callable[[Any, "str | None"], "Carried | None"]

MAPPERS: dict[type, Mapper] = {
    SessionAffinity: session_affinity,
    LoadBalancer: load_balancer,
    BackendConnectionLimits: connection_limits,
    Timeouts: timeouts,
    BackendTLSOptions: backend_tls,
}


def carried(ext: Extension, gateway_ns: str | None) -> Carried | None:
    mapper = MAPPERS.get(type(ext))
    return mapper(ext, gateway_ns) if mapper is not None else None


def service_host(name: str, namespace: str | None) -> str:
    """The Service's FQDN (cluster domain ``cluster.local``), or its short name when the
    namespace is unknown (Istio then reads it in the DestinationRule's namespace)."""
    return f"{name}.{namespace}.svc.cluster.local" if namespace else name
