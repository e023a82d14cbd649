"""Book-keeping for one traefik emission: :class:`~ingress2gateway.emitters.policy_state.PolicyState`
writing Traefik objects and codes, plus the Middlewares themselves (one per namespace and
content, shared by every rule that needs it)."""

from __future__ import annotations

from ingress2gateway.emitters.contributions import BackendRegistry
from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import PolicyState
from ingress2gateway.objects import JSONDict
from ingress2gateway.plugin import EmitContext, Emitted

from ._base import MIDDLEWARE, TRAEFIK_API_VERSION, canonical

CONFLICT_CODE = "traefik-middleware-conflict"


class State(PolicyState):
    def __init__(self, ctx: EmitContext, builder: GatewayAPIBuilder) -> None:
        super().__init__(
            ctx,
            builder,
            api_version=TRAEFIK_API_VERSION,
            conflict_code=CONFLICT_CODE,
            backends=BackendRegistry(),
        )
        self.middlewares: dict[tuple[str | None, str], Emitted] = {}

    def middleware(
        self, namespace: str | None, wanted: str, spec: JSONDict, kind: str = MIDDLEWARE
    ) -> Emitted:
        """The namespace's Middleware (or ``kind``) with ``spec``, made on first use."""
        identity = canonical(spec)
        found = self.middlewares.get((namespace, f"{kind}/{identity}"))
        if found is not None:
            return found
        name = self.name(kind, namespace, wanted, identity)
        # Its sources are those of the extensions it expresses, found when the state finishes.
        found = self.add_object(kind, namespace, name, spec, [])
        self.middlewares[namespace, f"{kind}/{identity}"] = found
        return found
