"""Book-keeping for one agentgateway emission: :class:`~ingress2gateway.emitters.policy_state.PolicyState`
writing agentgateway objects and codes."""

from __future__ import annotations

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import PolicyState, target_ref
from ingress2gateway.plugin import EmitContext

from ._base import AGW_API_VERSION
from .objects import Registry

CONFLICT_CODE = "agentgateway-policy-conflict"

__all__ = ["CONFLICT_CODE", "State", "target_ref"]


class State(PolicyState):
    def __init__(self, ctx: EmitContext, builder: GatewayAPIBuilder) -> None:
        super().__init__(
            ctx,
            builder,
            api_version=AGW_API_VERSION,
            conflict_code=CONFLICT_CODE,
            backends=Registry(),
        )
        self.external_backends: dict[tuple[str, str], tuple[str | None, str]] = {}
        """ExternalName Services (namespace, name) → the static Backend (namespace, name) the
        routes reach them through."""
