"""Shared pieces of the kgateway emitter: the API group, the policy kinds and what each may
target, and the contribution / merge machinery (the envoy-gateway emitter's, which is not
specific to Envoy Gateway: a mapper turns one IR extension into a fragment of a policy ``spec``
plus the verdict for the ledger, or ``None`` when kgateway cannot say it).

Durations: every kgateway duration field carries the CEL rule
``matches(self, '^([0-9]{1,5}(h|m|s|ms)){1,4}$')`` (the v2.4.x CRDs), the same form Envoy
Gateway accepts, so :func:`duration` writes what both read.
"""

from __future__ import annotations

from ingress2gateway.emitters.envoy_gateway._base import (
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

KGW_GROUP = "gateway.kgateway.dev"
KGW_API_VERSION = f"{KGW_GROUP}/v1alpha1"

TRAFFIC_POLICY = "TrafficPolicy"
BACKEND_CONFIG_POLICY = "BackendConfigPolicy"
LISTENER_POLICY = "ListenerPolicy"
GATEWAY_EXTENSION = "GatewayExtension"
DIRECT_RESPONSE = "DirectResponse"
BACKEND = "Backend"

TRAFFIC_POLICY_TARGETS = frozenset({"Gateway", "HTTPRoute", "GRPCRoute"})
"""What a TrafficPolicy may target (CEL on ``spec.targetRefs``: Gateway, HTTPRoute, GRPCRoute or
a ListenerSet)."""

CONTROLLER_NAME = "kgateway.dev/kgateway"
DEFAULT_GATEWAY_CLASS = "kgateway"
"""The GatewayClass kgateway's controller creates (``pkg/kgateway/wellknown/controller.go``)."""

MAX_DURATION_MS = 99999 * 3_600_000
"""The longest duration the pattern can state (five digits of hours, and the rest)."""


def duration(text: str | None) -> str | None:
    """A Gateway API / Go style duration in kgateway's form, or None."""
    value = eg_duration(text)
    if value is None or (duration_ms(value) or 0) > MAX_DURATION_MS:
        return None
    return value


GATEWAY_CLASS_NEED = (
    Need.GATEWAY_CLASS,
    f"GatewayClass {DEFAULT_GATEWAY_CLASS}",
    f"install kgateway 2.4 (its controller creates GatewayClass {DEFAULT_GATEWAY_CLASS} with "
    f"controllerName {CONTROLLER_NAME})",
)

__all__ = [
    "BACKEND",
    "BACKEND_CONFIG_POLICY",
    "DIRECT_RESPONSE",
    "GATEWAY_EXTENSION",
    "KGW_API_VERSION",
    "KGW_GROUP",
    "LISTENER_POLICY",
    "TRAFFIC_POLICY",
    "TRAFFIC_POLICY_TARGETS",
    "BackendRegistry",
    "Contribution",
    "MapEnv",
    "Mapper",
    "MergeConflict",
    "canonical",
    "duration",
    "duration_ms",
    "format_ms",
    "merged",
    "provenance_of",
    "quantity",
]
