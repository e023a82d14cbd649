"""The notification codes of the istio emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "istio-authz-scope": "An access control of some routes is enforced by an AuthorizationPolicy "
    "on the whole Gateway, scoped by host and path: it also applies to other routes of that "
    "Gateway whose requests fall in the same hosts and paths.",
    "istio-jwt-gateway-wide": "A RequestAuthentication targets the whole Gateway: a request to "
    "any of its routes that carries an invalid token is refused (401), not only on the routes "
    "that required one.",
    "istio-ext-authz-provider": "External auth is an AuthorizationPolicy with action CUSTOM "
    "naming a MeshConfig extension provider, which must be added to istiod's configuration "
    "(a prerequisite names it and the service it calls).",
    "istio-service-wide": "A DestinationRule applies to every client of its Service (every route "
    "of every Gateway and the mesh's sidecars), not only to the routes of the source that asked "
    "for the setting.",
    "istio-backend-timeout": "Istio reads an HTTPRoute timeouts.backendRequest as the per-try "
    "timeout when the rule has a retry, and otherwise as the route timeout, replacing "
    "timeouts.request.",
    "istio-retry-conditions": "Istio retries an HTTPRoute rule's retry also on connect-failure, "
    "refused-stream, unavailable and cancelled, besides the listed codes.",
    "istio-policy-conflict": "A feature could not be attached everywhere it applies (another "
    "value is already set on that Service or Gateway, or the route reaches no Gateway).",
    "istio-invalid-option": "An emitter option value is not usable; its default is used instead.",
}
