"""The notification codes of the OpenAPI 3 provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "openapi3-version-unsupported": "The document is Swagger 2.0 or an OpenAPI version other "
    "than 3.0/3.1; it is not converted (convert it to OpenAPI 3 first).",
    "openapi3-value-invalid": "A field of the document has a value the OpenAPI specification "
    "does not allow (or that cannot become a valid Gateway API value); it is left out.",
    "openapi3-server-skipped": "A server URL cannot become a listener (an unsupported scheme, "
    "a host that is not a DNS name, a variable without default); its routes are left out.",
    "openapi3-server-relative": "A relative server URL (or none): the API is served on every "
    "host, over HTTP on port 80.",
    "openapi3-server-ip": "A server URL names an IP address: a listener hostname cannot be "
    "one, so the listener serves every host on that port.",
    "openapi3-server-variables-capped": "The values of a server's enum variables combine into "
    "more servers than are converted; the rest are left out.",
    "openapi3-path-template": "A templated path segment ({id}) becomes a RegularExpression "
    "match of one non-empty segment (implementation-specific support in Gateway API).",
    "openapi3-path-conflict": "Two paths of the document are the same once their template "
    "names are ignored (the specification forbids it); the later one is left out.",
    "openapi3-path-shadowed": "A concrete path lacks a method a templated path matching it "
    "has: the routes send such requests to the backend, the description has no operation.",
    "openapi3-path-ambiguous": "Two templated paths can match one request: which decides is "
    "left to the implementation (the specification leaves it open).",
    "openapi3-security": "An operation requires authentication (security requirements) that "
    "is not carried: its rules are emitted closed unless the emitter carries it.",
    "openapi3-backend-missing": "No backend (--openapi3-backend or openapi3.backend "
    "[ns/]name:port) or an invalid one: the rules have no backendRefs and answer 500.",
    "openapi3-tls-secret-missing": "An https server needs a certificate and no "
    "--openapi3-gateway-tls-secret was given: the listener names a Secret to create.",
    "openapi3-gateway-class-default": "No gateway class was given (--openapi3-gateway-class-name "
    "or --gateway-class-name): the Gateways name the class openapi3.",
    "openapi3-reference-unresolved": "A $ref that is not a local reference to an existing "
    "component (external documents are not read); what it names is left out.",
    "openapi3-extension-ignored": "An x- specification extension: recorded in the ledger, "
    "not converted.",
    "openapi3-parameters-not-matched": "Required header and query parameters are request "
    "validation (the backend's answer is 400): they are not turned into route matches.",
}
