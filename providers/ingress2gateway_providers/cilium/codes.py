"""The notification codes of the Cilium provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "cilium-value-invalid": "An ingress.cilium.io annotation has a value Cilium ignores or "
    "rejects (it used its default); the value is not converted.",
    "cilium-regex-invalid": "An ImplementationSpecific path is not an RE2 regular expression: "
    "Envoy refused Cilium's configuration for it; not converted.",
    "cilium-regex-path": "An ImplementationSpecific path, which Cilium matches as a whole-path "
    "regular expression, became a RegularExpression match.",
    "cilium-order-differs": "Cilium's order of a host's routes (input order among equals) picks "
    "another rule than Gateway API's precedence for some requests.",
    "cilium-https-redirect": "HTTP requests to a TLS host are redirected to HTTPS (301), as "
    "Cilium's force-https / enforce-ingress-https did.",
    "cilium-duplicate-path": "The same path is routed twice; Cilium shared the requests "
    "equally between the backends, and so does the output (or the message says why not).",
    "cilium-wildcard-host": "Cilium's *.example.com matched exactly one label; a Gateway API "
    "wildcard host matches any number of labels.",
    "cilium-tls-not-carried": "A spec.tls host that Cilium handled its own way (no rule of its "
    "own, wildcard, no hosts); the message says what Cilium did.",
    "cilium-tls-catch-all": "An Ingress with a default backend or rules without host names TLS "
    "hosts: Cilium served its catch-all routes on HTTPS for them (carried on a dedicated "
    "Gateway, reported on a shared one).",
    "cilium-passthrough": "A tls-passthrough Ingress: its hosts became TLS passthrough "
    "listeners and TLSRoutes; what Cilium ignored on it is listed.",
    "cilium-rule-skipped": "A part of an Ingress that Cilium skips (a rule without http, a "
    "passthrough rule without host); nothing is made of it here either.",
    "cilium-load-balancer": "How the load balancer mode (dedicated or shared) laid out the "
    "Gateways.",
}

INTENDED_DIFFERENCES: frozenset[str] = frozenset()
"""Info codes that announce a request answered differently on purpose (see ``verify``)."""
