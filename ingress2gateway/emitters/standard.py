"""The ``standard`` emitter: plain Gateway API, nothing implementation-specific.

Every IR extension (auth, rate limits, IP allow-lists, ...) is left unconsumed, so the pipeline
reports each one as unsupported, naming the input field it came from. It carries no access
control, so the rules one protects are emitted closed (see :mod:`ingress2gateway.converting.access`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.ir import IR, Extension
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase

if TYPE_CHECKING:
    from ingress2gateway.target import Target


class StandardEmitter(EmitterBase):
    name = "standard"
    description = "plain Gateway API resources; features it lacks are reported"
    ordered = True
    """Objects come in output order (see the Emitter protocol)."""
    in_parts = True
    """Each call depends on its IR alone: the pipeline may emit the input part by part."""

    def emit(self, ir: IR, ctx: EmitContext) -> Iterator[Emitted]:
        return GatewayAPIBuilder(ctx).objects(ir)

    def carries(self, extension: Extension, target: Target) -> bool:
        """No access control: standard Gateway API has no auth, IP or client-certificate
        fields this emitter writes."""
        return False


EMITTER = StandardEmitter()
