"""The ``traefik`` emitter: standard Gateway API plus Traefik Proxy 3.7 ``Middleware`` objects.

Traefik has no policy CRDs. Its Gateway API provider runs a Traefik ``Middleware``
(``traefik.io/v1alpha1``) named by an ``ExtensionRef`` filter (group ``traefik.io``, kind
``Middleware``) of an HTTPRoute rule, so every IR extension this emitter expresses becomes one
Middleware in the route's namespace, referenced from each rule it applies to:

* access control (:mod:`.security`): ``ipAllowList``, ``basicAuth``, ``forwardAuth``;
* CORS (:mod:`.security`): ``headers.accessControl*`` (Traefik does not implement the standard
  CORS filter: it is replaced);
* request handling (:mod:`.traffic`): ``rateLimit``, ``buffering.maxRequestBodyBytes``,
  ``retry``, ``replacePathRegex``;
* backend settings (:mod:`.service`): session affinity and load balancing become a
  ``TraefikService`` the rule's ``backendRefs`` name instead of its Services.

Each extension expressed is marked consumed with a ledger entry naming the Middleware (``partial``
with a note where Traefik behaves differently); the rest is left to the pipeline, which reports
it (access controls stay closed). Prerequisites, said once: the GatewayClass, Traefik's
``kubernetesGateway`` provider, its ``kubernetesCRD`` provider as soon as a Middleware is
referenced, and ``experimentalChannel`` for TCPRoute / TLSRoute / UDPRoute.
"""

from __future__ import annotations

from .emitter import TraefikEmitter

EMITTER = TraefikEmitter()

__all__ = ["EMITTER", "TraefikEmitter"]
