"""Shared pieces of the agentgateway emitter: the API group, the policy kind and what its
sections may target, durations, and the contribution / merge machinery of the envoy-gateway
emitter (a mapper turns one IR extension into a fragment of an ``AgentgatewayPolicy`` ``spec``
— keyed by section, ``traffic`` or ``backend`` — plus the verdict for the ledger, or ``None``
when agentgateway cannot say it).

Durations: every agentgateway 1.4.1 duration field carries the CEL rule
``matches(self, '^([0-9]{1,5}(h|m|s|ms)){1,4}$')`` plus a per-field minimum
(``timeouts.request`` and ``tcp.connectTimeout`` ≥ 100ms, ``http.requestTimeout`` ≥ 1ms).
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
    quantity,
)
from ingress2gateway.reporting.report import Need

AGW_GROUP = "agentgateway.dev"
AGW_API_VERSION = f"{AGW_GROUP}/v1alpha1"

POLICY = "AgentgatewayPolicy"
BACKEND = "AgentgatewayBackend"

TRAFFIC_TARGETS = frozenset({"Gateway", "HTTPRoute", "GRPCRoute"})
"""What a policy with a ``traffic`` section may target (CEL on the spec: Gateway, HTTPRoute,
GRPCRoute, ListenerSet, InferencePool); ``backend`` may target these too."""

CONTROLLER_NAME = "agentgateway.dev/agentgateway"
DEFAULT_GATEWAY_CLASS = "agentgateway"
"""The GatewayClass agentgateway's controller creates (``controller/pkg/wellknown/controller.go``
at v1.4.1)."""

MAX_DURATION_MS = 99999 * 3_600_000


def duration(text: str | None, minimum_ms: int = 0) -> str | None:
    """A Gateway API / Go style duration in agentgateway's form, or None (also below the
    field's minimum)."""
    value = eg_duration(text)
    if value is None:
        return None
    total = duration_ms(value) or 0
    if total > MAX_DURATION_MS or total < minimum_ms:
        return None
    return value


GATEWAY_CLASS_NEED = (
    Need.GATEWAY_CLASS,
    f"GatewayClass {DEFAULT_GATEWAY_CLASS}",
    f"install agentgateway 1.4 (its controller creates GatewayClass {DEFAULT_GATEWAY_CLASS} with "
    f"controllerName {CONTROLLER_NAME})",
)

__all__ = [
    "AGW_API_VERSION",
    "AGW_GROUP",
    "BACKEND",
    "POLICY",
    "TRAFFIC_TARGETS",
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
    "quantity",
]
