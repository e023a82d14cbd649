"""The ``agentgateway`` emitter: standard Gateway API plus agentgateway 1.4.1 resources.

Everything the ``standard`` emitter writes, and for the features standard Gateway API lacks
(the IR extensions the providers attach) ``AgentgatewayPolicy`` objects (:mod:`.security`,
:mod:`.traffic`) on the Gateway, the route, or one rule (``sectionName`` = the rule's name),
and ``AgentgatewayBackend`` objects for the external hosts they call (:mod:`.objects`).

Each extension it expresses is marked consumed and gets a ledger entry naming the objects it
went into (``partial`` with a note where agentgateway behaves differently); the rest is left to
the pipeline, which reports it. Options (``--emitter-option KEY=VALUE``):

``rate-limit-service=NAMESPACE/NAME:PORT``
    Your Envoy rate limit service: limits counted per client address become global limits.
"""

from __future__ import annotations

from .emitter import AgentgatewayEmitter

EMITTER = AgentgatewayEmitter()

__all__ = ["EMITTER", "AgentgatewayEmitter"]
