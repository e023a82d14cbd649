"""Shared pieces of the envoy-gateway emitter: Envoy Gateway's group and policy kinds, and
(from :mod:`ingress2gateway.emitters.contributions`, re-exported here) what a mapped extension
contributes, how contributions to one policy merge, durations and sizes in Envoy Gateway's
formats.

Every mapper turns one IR extension into a :class:`Contribution` — a fragment of a policy
``spec`` plus the verdict for the ledger — or ``None`` when Envoy Gateway cannot say it (the
extension then stays unconsumed and the pipeline reports it).
"""

from __future__ import annotations

from ingress2gateway.emitters.contributions import (
    CONCATENATED_LISTS,
    BackendRegistry,
    Contribution,
    MapEnv,
    Mapper,
    MergeConflict,
    canonical,
    duration_ms,
    eg_duration,
    format_ms,
    merged,
    provenance_of,
    quantity,
)
from ingress2gateway.reporting.report import Need

EG_GROUP = "gateway.envoyproxy.io"
EG_API_VERSION = f"{EG_GROUP}/v1alpha1"

SECURITY_POLICY = "SecurityPolicy"
BACKEND_TRAFFIC_POLICY = "BackendTrafficPolicy"
CLIENT_TRAFFIC_POLICY = "ClientTrafficPolicy"
ROUTE_POLICIES = (SECURITY_POLICY, BACKEND_TRAFFIC_POLICY)

# What each policy may target (from the CEL rules on spec.targetRefs in the v1.9.0 CRDs).
POLICY_TARGET_KINDS: dict[str, frozenset[str]] = {
    SECURITY_POLICY: frozenset({"Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute"}),
    BACKEND_TRAFFIC_POLICY: frozenset(
        {"Gateway", "HTTPRoute", "GRPCRoute", "UDPRoute", "TCPRoute", "TLSRoute"}
    ),
}

BACKEND_API = (
    Need.IMPLEMENTATION_FEATURE,
    "Envoy Gateway Backend API",
    "enable it in the EnvoyGateway configuration (extensionApis.enableBackend: true; the "
    "Backend API is disabled by default), or the routes and policies that reference a "
    "Backend are refused",
)
"""The prerequisite of every ``Backend`` this emitter makes."""

__all__ = [
    "BACKEND_API",
    "BACKEND_TRAFFIC_POLICY",
    "CLIENT_TRAFFIC_POLICY",
    "CONCATENATED_LISTS",
    "EG_API_VERSION",
    "EG_GROUP",
    "POLICY_TARGET_KINDS",
    "ROUTE_POLICIES",
    "SECURITY_POLICY",
    "BackendRegistry",
    "Contribution",
    "MapEnv",
    "Mapper",
    "MergeConflict",
    "canonical",
    "duration_ms",
    "eg_duration",
    "format_ms",
    "merged",
    "provenance_of",
    "quantity",
]
