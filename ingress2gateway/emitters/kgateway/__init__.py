"""The ``kgateway`` emitter: standard Gateway API plus kgateway 2.4 resources.

Everything the ``standard`` emitter writes, and for the features standard Gateway API lacks
(the IR extensions the providers attach) the kgateway objects that express them:
``TrafficPolicy`` (:mod:`.security`, :mod:`.traffic`) on the Gateway, the route, or one rule
through an ``ExtensionRef`` filter; ``GatewayExtension`` for the external auth, JWT, OAuth2 and
rate limit services it references; ``BackendConfigPolicy`` on the Services (:mod:`.service`);
``DirectResponse`` for closed rules that answer a status (:mod:`.filters`); static ``Backend``
objects for external hosts (:mod:`.objects`); and the ReferenceGrants cross-namespace references
need.

Each extension it expresses is marked consumed and gets a ledger entry naming the objects it
went into (``partial`` with a note where kgateway behaves differently); the rest is left to the
pipeline, which reports it. Options (``--emitter-option KEY=VALUE``):

``rate-limit-service=NAMESPACE/NAME:PORT``
    Your Envoy rate limit service: limits counted per client address become global limits.
"""

from __future__ import annotations

from .emitter import KgatewayEmitter

EMITTER = KgatewayEmitter()

__all__ = ["EMITTER", "KgatewayEmitter"]
