"""The ``gke`` emitter: Gateway API for GKE's Gateway controller, plus GKE's policies.

Everything the ``standard`` emitter writes that GKE implements (:mod:`.gate` takes out, and
reports, what GKE's conformance report declares unsupported: HTTPRoute timeouts, retries, the
CORS filter, method matches, 303/307/308 redirects, L4 routes and listeners), every Gateway on a
GKE GatewayClass (``gke-l7-global-external-managed`` unless the Gateway already names a GKE class
or the ``gateway-class`` option picks another), and for the IR extensions GKE can express the
``networking.gke.io/v1`` policies of GKE's v1.4.0 CRDs:

- ``GCPBackendPolicy`` on each backend Service (:mod:`.backend`): ``timeoutSec`` (read
  timeouts, and the route timeouts GKE cannot take on the route), ``sessionAffinity``
  (``GENERATED_COOKIE`` with ``cookieTtlSec``; ``CLIENT_IP`` for a consistent hash on the client
  address), ``securityPolicy`` (a Cloud Armor policy the user names, for rate limits);
- ``GCPSessionAffinityPolicy`` on each backend Service with ``session-affinity=stateful-cookie``:
  ``statefulGeneratedCookie`` (a cookie naming the endpoint, as ingress-nginx's);
- ``GCPTrafficDistributionPolicy`` on each backend Service: ``localityLbAlgorithm``;
- ``GCPGatewayPolicy`` on each Gateway (:mod:`.gateway`): ``sslPolicy``, ``allowGlobalAccess``.

Never emitted: ``HealthCheckPolicy`` (the IR has no health-check extension; GKE's default check
is reported instead), and the kinds GKE added after v1.4.0 (GCPAuthzPolicy, GCPTrafficExtension,
GCPRoutingExtension, GCPClientTLSPolicy, GCPServerTLSPolicy), which a cluster on an older GKE
would refuse. No access control is carried: the rules an auth, IP list or client-certificate
check protects are emitted closed. Options (``--emitter-option KEY=VALUE``): ``gateway-class``,
``session-affinity``, ``security-policy``, ``ssl-policy``, ``allow-global-access`` (see :class:`.emitter.GKEEmitter`).
"""

from __future__ import annotations

from .emitter import GKEEmitter

EMITTER = GKEEmitter()

__all__ = ["EMITTER", "GKEEmitter"]
