"""The ``kuadrant`` emitter: standard Gateway API on Istio or Envoy Gateway, plus Kuadrant 1.5.2
policies (``kuadrant.io/v1``) for what Kuadrant can express.

Kuadrant has no GatewayClass of its own: it programs the Gateways of Istio
(``istio.io/gateway-controller``) or Envoy Gateway (``gateway.envoyproxy.io/gatewayclass-controller``),
chosen with ``--emitter-option gateway=istio|envoy-gateway`` (default ``istio``: class ``istio``;
``envoy-gateway``: class ``eg``). From the IR extensions (:mod:`.mapping`):

- ``AuthPolicy`` ``rules.authentication.jwt`` for JWT (issuer or JWKS URL) and
  ``rules.authorization.ip-access`` CEL predicates on ``source.address`` for IPv4 allow / deny
  lists (:mod:`.cidr`);
- ``RateLimitPolicy`` ``limits`` for rate limits (per client address with a counter).

Policies target the route, or one rule by ``sectionName`` (the rule gets a name) when its rules
differ (:mod:`.emitter`). Not carried, and so closed by the pipeline: basic auth (Kuadrant's
API-key Secrets hold base64(user:password), not htpasswd hashes), external auth, OIDC, API keys,
client certificates, IPv6 lists. Everything else without a standard field (CORS as an extension,
timeouts, session affinity, load balancing, backend TLS …) is the data plane's business and is
reported as not carried.
"""

from __future__ import annotations

from .emitter import KuadrantEmitter

EMITTER = KuadrantEmitter()

__all__ = ["EMITTER", "KuadrantEmitter"]
