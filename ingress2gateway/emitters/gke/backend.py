"""Extensions that become settings of the backend Services: ``GCPBackendPolicy`` (the GCP
backend service: timeout, session affinity, Cloud Armor policy) and
``GCPTrafficDistributionPolicy`` (the load-balancing algorithm).

| IR extension | becomes |
|---|---|
| Timeouts (read) | ``GCPBackendPolicy`` ``spec.default.timeoutSec``; partial: GCP's timeout bounds the whole response (and a WebSocket's lifetime) where the source's read timeout bounded each wait between two reads; connect and send timeouts have no GKE field |
| rule ``timeouts.request`` / ``backendRequest`` | ``timeoutSec`` (GKE implements no HTTPRoute timeouts) |
| SessionAffinity | ``sessionAffinity: {type: GENERATED_COOKIE, cookieTtlSec}`` (0: a session cookie); the load balancer names the cookie (``GCLB``) and sets its attributes: name, path, domain, SameSite and Secure of the source are not carried |
| SessionAffinity, with ``session-affinity=stateful-cookie`` | ``GCPSessionAffinityPolicy`` ``spec.statefulGeneratedCookie.cookieTtlSeconds`` (1 s to 24 h): the ``GSSA`` cookie names the endpoint, as ingress-nginx's sticky cookie does; a session cookie becomes 24 h |
| LoadBalancer RoundRobin / LeastRequest / Random | ``GCPTrafficDistributionPolicy`` ``spec.default.localityLbAlgorithm`` ``ROUND_ROBIN`` / ``LEAST_REQUEST`` / ``RANDOM`` |
| LoadBalancer ConsistentHash on the client IP | ``sessionAffinity: {type: CLIENT_IP}`` plus ``localityLbAlgorithm: RING_HASH`` |
| BackendTLSOptions without verification nor client certificate | nothing written: a prerequisite, ``appProtocol: HTTPS`` on the Service port, with which GKE speaks HTTPS to the Pods unverified (partial; an SNI is not sent) |
| RateLimit, with ``security-policy=NAME`` | ``securityPolicy: NAME``: the Cloud Armor policy the user creates with a rate-based rule (the limit is in the warning); without the option, not carried (``maxRatePerEndpoint`` is load-balancing capacity, not a limit) |

``HEADER_FIELD`` and ``HTTP_COOKIE`` affinity are never written: GCP hashes on a header or
cookie name given in the backend service's ``consistentHash``, which GKE's CRD cannot set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingress2gateway.ir import (
    BackendTLSOptions,
    Extension,
    LoadBalancer,
    RateLimit,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.reporting.report import Need, Status

from .gate import timeout_seconds
from .policies import Fragment

BACKEND = "GCPBackendPolicy"
TRAFFIC = "GCPTrafficDistributionPolicy"

MAX_COOKIE_TTL = 1_209_600
"""``cookieTtlSec`` maximum in the CRD (14 days)."""

SECURITY_POLICY_OPTION = "security-policy"
SESSION_AFFINITY_OPTION = "session-affinity"
STATEFUL = "stateful-cookie"
SESSION_AFFINITY = "GCPSessionAffinityPolicy"
MAX_STATEFUL_TTL = 86_400
"""``cookieTtlSeconds`` range of GCPSessionAffinityPolicy: 1 to 86400 (its CRD description)."""


@dataclass
class MapEnv:
    security_policy: str = ""
    """The Cloud Armor policy named with ``security-policy`` (checked), or ""."""
    stateful_affinity: bool = False
    """``session-affinity=stateful-cookie``: GCPSessionAffinityPolicy instead of
    GCPBackendPolicy ``GENERATED_COOKIE``."""


Mapper = Callable[[Any, MapEnv], list[Fragment]]


def timeouts(ext: Timeouts, env: MapEnv) -> list[Fragment]:
    if ext.read is None:
        return []  # connect / send alone: GKE has no field for either
    seconds = timeout_seconds(ext.read)
    if seconds is None:
        return []
    lost = [f"the {name} timeout" for name in ("connect", "send") if getattr(ext, name)]
    note = (
        "GKE's timeoutSec bounds the whole response (and a WebSocket connection's lifetime), "
        "where the source's read timeout bounded each wait between two reads"
    )
    if lost:
        note += f"; {' and '.join(lost)} have no GKE field"
    return [Fragment(BACKEND, {"timeoutSec": seconds}, Status.PARTIAL, note)]


def route_timeout(seconds: int) -> Fragment:
    return Fragment(BACKEND, {"timeoutSec": seconds})


def session_affinity(ext: SessionAffinity, env: MapEnv) -> list[Fragment]:
    if env.stateful_affinity:
        return stateful_session_affinity(ext)
    ttl = ext.ttl_seconds or 0
    lost = []
    if ext.cookie_name:
        lost.append(f"the cookie name {ext.cookie_name!r} (the load balancer names it GCLB)")
    if ttl > MAX_COOKIE_TTL:
        lost.append(f"a lifetime of {ttl} s (GKE's maximum, 14 days, is set)")
        ttl = MAX_COOKIE_TTL
    for name in ("path", "domain", "same_site", "secure"):
        if getattr(ext, name):
            lost.append(_COOKIE_ATTRIBUTES[name])
    spec = {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": ttl}}
    if not lost:
        return [Fragment(BACKEND, spec)]
    note = "GKE's generated cookie cannot carry " + ", ".join(lost)
    return [Fragment(BACKEND, spec, Status.PARTIAL, note)]


_COOKIE_ATTRIBUTES = {
    "path": "the cookie's Path",
    "domain": "its Domain",
    "same_site": "its SameSite attribute",
    "secure": "its Secure attribute",
}


def stateful_session_affinity(ext: SessionAffinity) -> list[Fragment]:
    """The load balancer's ``GSSA`` cookie names the endpoint itself: a client stays on it while
    it is healthy, whatever the other endpoints do — as ingress-nginx's sticky cookie, which
    names the endpoint too. Its lifetime is 1 s to 24 h: a session cookie cannot be asked for."""
    lost = []
    ttl = ext.ttl_seconds
    if ttl is None or ttl < 1:
        lost.append("a session cookie (the cookie lives 24 h)")
        ttl = MAX_STATEFUL_TTL
    elif ttl > MAX_STATEFUL_TTL:
        lost.append(f"a lifetime of {ttl} s (24 h, GKE's maximum, is set)")
        ttl = MAX_STATEFUL_TTL
    if ext.cookie_name:
        lost.append(f"the cookie name {ext.cookie_name!r} (the load balancer names it GSSA)")
    for name in ("path", "domain", "same_site", "secure"):
        if getattr(ext, name):
            lost.append(_COOKIE_ATTRIBUTES[name])
    spec = {"statefulGeneratedCookie": {"cookieTtlSeconds": ttl}}
    if not lost:
        return [Fragment(SESSION_AFFINITY, spec)]
    note = "GKE's stateful cookie cannot carry " + ", ".join(lost)
    return [Fragment(SESSION_AFFINITY, spec, Status.PARTIAL, note)]


ALGORITHMS = {"RoundRobin": "ROUND_ROBIN", "LeastRequest": "LEAST_REQUEST", "Random": "RANDOM"}


def load_balancer(ext: LoadBalancer, env: MapEnv) -> list[Fragment]:
    if ext.algorithm in ALGORITHMS:
        return [Fragment(TRAFFIC, {"localityLbAlgorithm": ALGORITHMS[ext.algorithm]})]
    if ext.algorithm == "ConsistentHash" and ext.hash_on == "source-ip":
        note = (
            "GCP hashes the client IP address on a ring of the endpoints: a client keeps its "
            "endpoint while the endpoints do not change, as with the source's consistent hash"
        )
        return [
            Fragment(BACKEND, {"sessionAffinity": {"type": "CLIENT_IP"}}, Status.PARTIAL, note),
            Fragment(TRAFFIC, {"localityLbAlgorithm": "RING_HASH"}, Status.PARTIAL, note),
        ]
    return []  # a hash on a header, cookie or URI: GKE's CRDs cannot name the key


def rate_limit(ext: RateLimit, env: MapEnv) -> list[Fragment]:
    name = env.security_policy
    if not name:
        return []
    per = "per client IP address" if ext.per_client_ip else "in all"
    limit = f"{ext.requests} requests per {ext.unit.lower()} {per}"
    warning = (
        "gke-cloud-armor-rule",
        f"{ext.describe()} ({limit}) is carried as the Cloud Armor security policy {name!r}: "
        f"it must have a rate-based rule (throttle or rate_based_ban) for {limit}, "
        "enforced by every Google Front End together, not per proxy",
    )
    need = (
        Need.OTHER,
        f"Cloud Armor security policy {name}",
        "create it in the cluster's project (gcloud compute security-policies create) with a "
        "rate-based rule (--action=throttle) for each limit the gke-cloud-armor-rule "
        "warnings name",
    )
    note = f"enforced by the Cloud Armor policy {name!r}, which the user creates"
    return [Fragment(BACKEND, {"securityPolicy": name}, Status.PARTIAL, note, [warning], [need])]


def backend_https(ext: BackendTLSOptions, route_namespace: str | None) -> Fragment | None:
    """HTTPS to the Pods without verifying them (ingress-nginx ``backend-protocol: HTTPS``
    without ``proxy-ssl-verify``, Kong ``protocol: https``): GKE's load balancer does exactly
    that for a Service port whose ``appProtocol`` is ``HTTPS``, which the Service must say —
    a prerequisite, not an object here. A client certificate to present, or a verified
    backend (BackendTLSPolicy's business), is not this."""
    if not ext.insecure_skip_verify or ext.client_certificate is not None:
        return None
    namespace = ext.namespace or route_namespace
    service = f"{namespace}/{ext.service}" if namespace else ext.service
    need = (
        Need.OTHER,
        f"Service {service} appProtocol HTTPS",
        "set appProtocol: HTTPS on the Service port the routes use: GKE's load balancer then "
        "speaks HTTPS to the Pods without verifying their certificate, as the source did "
        "(without it, it speaks plain HTTP to a TLS port)",
    )
    note = "by the Service port's appProtocol: HTTPS, which the user sets"
    if ext.sni:
        note += f"; the SNI {ext.sni!r} is not sent"
    warning = (
        "gke-backend-app-protocol",
        f"HTTPS to Service {service} without verifying its certificate is what GKE's load "
        "balancer does for a Service port with appProtocol: HTTPS: set it (see the "
        "prerequisites), or it speaks plain HTTP to the TLS port"
        + (f"; the SNI {ext.sni!r} is not sent" if ext.sni else ""),
    )
    return Fragment(BACKEND, {}, Status.PARTIAL, note, [warning], [need])


MAPPERS: dict[type, Mapper] = {
    Timeouts: timeouts,
    SessionAffinity: session_affinity,
    LoadBalancer: load_balancer,
    RateLimit: rate_limit,
}


def fragments(ext: Extension, env: MapEnv) -> list[Fragment]:
    mapper = MAPPERS.get(type(ext))
    return mapper(ext, env) if mapper is not None else []
