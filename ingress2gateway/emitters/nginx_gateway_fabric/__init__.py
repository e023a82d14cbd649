"""The ``nginx-gateway-fabric`` emitter: standard Gateway API plus NGINX Gateway Fabric 2.6.7
policies (``gateway.nginx.org``).

Everything the ``standard`` emitter writes (minus the HTTPRoute ``timeouts`` and ``retry``
fields, which NGF accepts and ignores), and for the IR extensions NGF can express:
``ClientSettingsPolicy``, ``ProxySettingsPolicy`` and ``RateLimitPolicy`` on the Gateway or the
whole route (:mod:`.policies`), ``UpstreamSettingsPolicy`` on the Services (:mod:`.upstream`),
``AuthenticationFilter`` through an ``ExtensionRef`` filter of the rule (:mod:`.auth`),
``NginxProxy`` through the Gateway's ``infrastructure.parametersRef`` (:mod:`.gateway`).
Snippets are never written. Options (``--emitter-option KEY=VALUE``):

``plus=true``
    The gateway runs NGINX Plus: JWT and OIDC become AuthenticationFilters (otherwise they stay
    unconsumed and their rules closed).
"""

from __future__ import annotations

from .emitter import NginxGatewayFabricEmitter

EMITTER = NginxGatewayFabricEmitter()

__all__ = ["EMITTER", "NginxGatewayFabricEmitter"]
