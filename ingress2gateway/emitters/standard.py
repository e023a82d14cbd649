"""The ``standard`` emitter: plain Gateway API, nothing implementation-specific.

Every IR extension (auth, rate limits, IP allow-lists, ...) is left unconsumed, so the pipeline
reports each one as unsupported, naming the input field it came from.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.ir import IR
from ingress2gateway.plugin import EmitContext, Emitted


class StandardEmitter:
    name = "standard"
    description = "plain Gateway API resources; features it lacks are reported"
    ordered = True
    """Objects come in output order (see the Emitter protocol)."""
    in_parts = True
    """Each call depends on its IR alone: the pipeline may emit the input part by part."""

    def emit(self, ir: IR, ctx: EmitContext) -> Iterator[Emitted]:
        return GatewayAPIBuilder(ctx).objects(ir)


EMITTER = StandardEmitter()
