"""The notification codes of the gke emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "gke-gateway-class": "A generated Gateway named a GatewayClass GKE does not serve; it names "
    "the GKE class chosen with the gateway-class option instead.",
    "gke-unsupported-feature": "A standard Gateway API field or kind the GKE Gateway controller "
    "does not implement (HTTPRoute timeouts, method matches, TCP/TLS/UDP routes and listeners) "
    "was left out, so that GKE neither rejects the object nor ignores it silently.",
    "gke-redirect-status": "GKE answers redirects with 301 or 302 only: a 303, 307 or 308 "
    "redirect of the source became 301 (308) or 302 (303, 307).",
    "gke-path-rewrite": "GKE's conformance report declares HTTPRoutePathRewrite unsupported; the "
    "URLRewrite path is emitted, and may differ from the source on edge cases.",
    "gke-service-wide": "A setting the source applied to some routes is attached to a Service "
    "(GKE's policies target Services), so it also applies to every other route to that Service.",
    "gke-backend-app-protocol": "HTTPS to a backend without verification is carried by the "
    "Service port's appProtocol: HTTPS, which the user must set (a prerequisite).",
    "gke-cloud-armor-rule": "A rate limit is carried by the Cloud Armor policy named with "
    "security-policy: the message names the rate-based rule that policy must have.",
    "gke-invalid-option": "An emitter option that names a GCP resource is not a GCP resource "
    "name; it is not used.",
    "gke-policy-conflict": "Two settings give one Service's policy different values; the first "
    "is kept, the other is not carried there.",
    "gke-default-health-check": "GKE health-checks every backend Service of a Gateway (HTTP GET / "
    "on the serving port by default), unlike the source controller, which trusted Pod readiness.",
}
