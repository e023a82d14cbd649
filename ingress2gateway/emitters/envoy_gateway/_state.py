"""Book-keeping for one envoy-gateway emission: :class:`~ingress2gateway.emitters.policy_state.PolicyState`
writing envoy-gateway objects and codes."""

from __future__ import annotations

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import PolicyState, target_ref
from ingress2gateway.plugin import EmitContext

from ._base import EG_API_VERSION, BackendRegistry

CONFLICT_CODE = "eg-policy-conflict"

__all__ = ["CONFLICT_CODE", "State", "target_ref"]


class State(PolicyState):
    def __init__(self, ctx: EmitContext, builder: GatewayAPIBuilder) -> None:
        super().__init__(
            ctx,
            builder,
            api_version=EG_API_VERSION,
            conflict_code=CONFLICT_CODE,
            backends=BackendRegistry(),
        )
