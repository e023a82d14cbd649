"""The ``istio`` emitter: standard Gateway API for Istio 1.30, plus Istio's own resources.

Everything the ``standard`` emitter writes, on Gateways of class ``istio`` (istiod creates it,
controllerName ``istio.io/gateway-controller``) unless ``--gateway-class-name`` says otherwise;
and for the IR extensions standard Gateway API lacks:

- ``AuthorizationPolicy`` / ``RequestAuthentication`` (``security.istio.io/v1``) targeting the
  Gateway, scoped by host and path to the rules they protect (:mod:`.security`, :mod:`.scope`):
  IP allow / deny lists, JWT, external auth (CUSTOM, through a MeshConfig extension provider);
- ``DestinationRule`` (``networking.istio.io/v1``) per Service (:mod:`.destination`): load
  balancing, cookie / header affinity, connection limits, connect timeout, upstream TLS and
  client certificates.

Never emitted: ``EnvoyFilter`` (version-coupled "break glass"), so rate limits, basic auth,
body size, buffering, compression, custom errors and regex rewrites are not carried (the
pipeline reports them; basic auth's rules stay closed). Options (``--emitter-option
KEY=VALUE``): ``ext-authz-provider=NAME``, the MeshConfig provider external auth calls.
"""

from __future__ import annotations

from .emitter import IstioEmitter

EMITTER = IstioEmitter()

__all__ = ["EMITTER", "IstioEmitter"]
