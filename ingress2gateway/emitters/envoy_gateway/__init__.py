"""The ``envoy-gateway`` emitter: standard Gateway API plus Envoy Gateway v1.9 resources.

Everything the ``standard`` emitter writes, and for the features standard Gateway API lacks
(the IR extensions the providers attach) the Envoy Gateway objects that express them:
``SecurityPolicy`` (:mod:`.security`), ``BackendTrafficPolicy`` (:mod:`.traffic`),
``ClientTrafficPolicy`` (:mod:`.client`) and ``HTTPRouteFilter`` (:mod:`.filters`), plus
``Backend`` objects for an external auth host and for backend TLS that BackendTLSPolicy cannot
state (:mod:`.backends`), and the ReferenceGrants cross-namespace references need.
Each policy attaches to the narrowest right object (see :mod:`.emitter`). Never emitted:
``EnvoyPatchPolicy`` or any raw Envoy configuration.

Each extension it expresses is marked consumed and gets a ledger entry naming the objects it
went into (``partial`` with a note where Envoy Gateway behaves differently); the rest is left to
the pipeline, which reports it. Options (``--emitter-option KEY=VALUE``):

``rate-limit-service=true``
    Envoy Gateway runs its global rate limit service: rate limits become ``Global``
    (counters shared by every Envoy replica) instead of ``Local``.
"""

from __future__ import annotations

from .emitter import EnvoyGatewayEmitter

EMITTER = EnvoyGatewayEmitter()

__all__ = ["EMITTER", "EnvoyGatewayEmitter"]
