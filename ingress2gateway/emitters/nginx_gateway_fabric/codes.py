"""The notification codes of the nginx-gateway-fabric emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

ROUTE_TIMEOUT = "ngf-route-timeout-ignored"
RULE_SCOPE = "ngf-rule-scope"
CONFLICT = "ngf-policy-conflict"
COOKIE_AFFINITY = "ngf-cookie-affinity-not-carried"
RATE_LIMIT_SHARED = "ngf-rate-limit-shared"
NEEDS_PLUS = "ngf-needs-plus"
RETRY_IGNORED = "ngf-retry-ignored"

CODES: dict[str, str] = {
    ROUTE_TIMEOUT: "A route timeout is left out: NGINX Gateway Fabric accepts HTTPRoute "
    "timeouts and ignores them; set a ProxySettingsPolicy (timeout.connect/read/send, "
    "per-phase NGINX timeouts) if the backend needs one.",
    RULE_SCOPE: "A setting of some rules of a route is not converted: NGINX Gateway Fabric "
    "policies attach to a whole route (no sectionName, no rule names), and the route's other "
    "rules do not have it.",
    CONFLICT: "A setting is not converted where another one already sets the same field of the "
    "same NGINX Gateway Fabric policy (Gateway, route or Service) differently.",
    COOKIE_AFFINITY: "Cookie session affinity is not converted: NGINX open source cannot issue "
    "the cookie (UpstreamSettingsPolicy can only hash on a cookie the application sets); "
    "standard sessionPersistence needs NGINX Plus.",
    RATE_LIMIT_SHARED: "A rate limit shared by all clients is not converted: this emitter "
    "writes NGINX Gateway Fabric local limits keyed on the client address only.",
    RETRY_IGNORED: "Retries are not converted: NGINX Gateway Fabric accepts HTTPRoute retry and "
    "ignores it, and no NGF policy sets NGINX's proxy_next_upstream.",
    NEEDS_PLUS: "A JWT or OIDC control is not converted: NGINX Gateway Fabric's JWT and OIDC "
    "AuthenticationFilters need NGINX Plus (--emitter-option plus=true when the gateway runs "
    "it); its rules are closed.",
}

__all__ = ["CODES"]
