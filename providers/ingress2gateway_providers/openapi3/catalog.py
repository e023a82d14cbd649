"""What the provider recognises in an OpenAPI document, for ``providers openapi3`` and the docs."""

from __future__ import annotations

from ingress2gateway.plugin import CatalogRow

_ROWS = (
    (
        "openapi",
        "converted",
        "3.0.x and 3.1.x are converted; Swagger 2.0 and other versions are reported (openapi3-version-unsupported)",
    ),
    ("swagger", "unsupported", "Swagger 2.0 documents are reported, not converted"),
    ("info", "ignored", "documentation; info.title names the Gateway and routes"),
    (
        "servers[].url",
        "converted",
        "scheme, host and port → a listener (HTTP/HTTPS); the path is the base path of every operation; relative URLs serve every host on port 80",
    ),
    (
        "servers[].variables",
        "converted",
        "enum variables expand into one server per value (at most 16 per server), others take their default",
    ),
    (
        "paths[PATH]",
        "converted",
        "a path without template → Exact match; with {templates} → RegularExpression, one segment per template",
    ),
    (
        "paths[PATH].$ref",
        "partial",
        "local #/components/pathItems/NAME references; external ones are reported",
    ),
    ("paths[PATH].servers", "converted", "replace the document's servers for the path"),
    (
        "paths[PATH].parameters",
        "ignored",
        "request validation, not routing (openapi3-parameters-not-matched)",
    ),
    (
        "paths[PATH].get|put|post|delete|options|head|patch|trace",
        "converted",
        "method match of the path's rules",
    ),
    (
        "paths[PATH].connect",
        "converted",
        "not an OpenAPI field; read as kin-openapi reads it: a CONNECT match",
    ),
    ("paths[PATH].OP.servers", "converted", "replace the path's servers for the operation"),
    (
        "paths[PATH].OP.security",
        "needs-extension",
        "replaces the document's security; protected rules are closed unless the emitter carries the check",
    ),
    (
        "paths[PATH].OP.parameters",
        "ignored",
        "request validation (required headers/queries are not matched)",
    ),
    (
        "paths[PATH].OP.requestBody|responses|callbacks",
        "ignored",
        "payloads and outgoing requests, not routing",
    ),
    (
        "security",
        "needs-extension",
        "apiKey → API-key auth, http bearer / openIdConnect → JWT auth, others → a control that cannot be carried: the rules are emitted closed (openapi3-security)",
    ),
    ("components.securitySchemes", "needs-extension", "read for the requirements that name them"),
    ("components", "ignored", "schemas, responses, examples...: payload descriptions"),
    ("webhooks", "ignored", "requests the API sends, not requests it serves"),
    ("tags|externalDocs|jsonSchemaDialect", "ignored", "documentation"),
    ("x-*", "ignored", "specification extensions, each ledgered (openapi3-extension-ignored)"),
)


def catalog_rows() -> list[CatalogRow]:
    return [CatalogRow(key, status, note, scope="document") for key, status, note in _ROWS]
