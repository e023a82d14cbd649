"""One document → the operations it serves: where (endpoints), which path, which method, and
behind which security requirement. Every field read is in the ledger here.

Path Items may be ``$ref`` s to ``#/components/pathItems/…`` (OAS 3.1); other references
(external documents) are not read and are reported. ``servers`` of an operation replace those of
its Path Item, which replace the document's; an operation's ``security`` replaces the
document's (``[]``: none). ``parameters``, ``requestBody`` and ``responses`` describe what the
backend accepts and answers, not where a request goes: they are ledgered, not routed on (the Go
tool makes required header and query parameters into matches without values, which the CRDs
refuse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.reporting.report import Level, Status

from .common import (
    EXTRA_OPERATIONS,
    OPERATIONS,
    Fields,
    as_dict,
    as_list,
    dot,
    is_extension,
    sub,
)
from .paths import Template, parse_template
from .security import Guard, guard_of
from .servers import Endpoint, endpoints

_VERSION = re.compile(r"3\.[01](\.\d+)?(-[0-9A-Za-z.-]+)?")
_VERSION_LATER = re.compile(r"3\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?")

_IGNORED_TOP = {
    "info": "documentation (info.title names the output objects)",
    "tags": "documentation",
    "externalDocs": "documentation",
    "jsonSchemaDialect": "describes payload schemas, not routing",
    "webhooks": "requests the API sends, not requests it serves: nothing to route",
}
_IGNORED_IN_OPERATION = {
    "operationId": "documentation",
    "summary": "documentation",
    "description": "documentation",
    "tags": "documentation",
    "externalDocs": "documentation",
    "deprecated": "documentation (a deprecated operation is still served)",
    "requestBody": "what the backend accepts: request validation, not routing",
    "responses": "what the backend answers: not routing",
    "callbacks": "requests the API sends, not requests it serves",
}
_PARAMETERS_NOTE = (
    "parameters are request validation (a request without a required one gets the backend's "
    "400), not route matches; path parameters are the path's templates"
)


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    template: Template
    endpoints: tuple[Endpoint, ...]
    guard: Guard | None
    field: str
    """``paths[/pets].get``."""


@dataclass
class Document:
    operations: list[Operation] = field(default_factory=list)
    schemes: dict[Any, Any] = field(default_factory=dict)


def read_document(fields: Fields) -> Document | None:
    """The operations of the document, or None when it is not an OpenAPI 3.0/3.1 document."""
    data = fields.obj.data
    top = {k: v for k, v in data.items() if k not in ("apiVersion", "kind", "metadata")}
    if not _version_supported(fields, top):
        return None
    fields.record("openapi", Status.CONVERTED)
    for key, note in _IGNORED_TOP.items():
        if key in top:
            fields.record(key, Status.IGNORED, note)
    fields.extensions("", top)
    for key in top:
        known = (*_IGNORED_TOP, "openapi", "servers", "paths", "components", "security")
        if key not in known and not is_extension(key):
            fields.notify(
                Level.WARNING,
                "openapi3-value-invalid",
                str(key),
                f"{key!r} is not a field of an OpenAPI document; it is ignored",
                Status.IGNORED,
            )
    components = as_dict(top.get("components"))
    schemes = {
        name: _resolved(fields, scheme, components, "securitySchemes")
        for name, scheme in as_dict(components.get("securitySchemes")).items()
    }
    if "components" in top:
        fields.record(
            "components",
            Status.IGNORED,
            "schemas, responses, parameters... describe payloads; the security schemes and "
            "path items it holds are read where they are used",
        )
    document = Document(schemes=schemes)
    doc_servers = endpoints(fields, top.get("servers"), "servers")
    _servers_field(fields, top, "servers", "/")
    doc_guard = guard_of(fields, top.get("security"), "security") if "security" in top else None
    if "security" in top and doc_guard is None:
        fields.record("security", Status.CONVERTED, "no authentication is required")
    elif doc_guard is not None:
        fields.record("security", Status.PARTIAL, "see openapi3-security where it applies")
    paths = top.get("paths")
    if "paths" in top and not isinstance(paths, dict):
        fields.notify(
            Level.WARNING,
            "openapi3-value-invalid",
            "paths",
            "paths must be a mapping",
            Status.UNSUPPORTED,
        )
    for path, item in as_dict(paths).items():
        item_field = sub("paths", path)
        if is_extension(path):
            fields.extensions("paths", {path: item})
            continue
        document.operations.extend(
            _path_item(fields, str(path), item, item_field, components, doc_servers, doc_guard)
        )
    if "paths" in top and not as_dict(paths):
        fields.record("paths", Status.CONVERTED, "no paths: nothing is routed")
    return document


def _version_supported(fields: Fields, top: dict[Any, Any]) -> bool:
    version = top.get("openapi")
    text = version if isinstance(version, str) else None
    if text is not None and _VERSION.fullmatch(text):
        return True
    if text is not None and _VERSION_LATER.fullmatch(text):
        fields.notify(
            Level.WARNING,
            "openapi3-version-unsupported",
            "openapi",
            f"OpenAPI {text} is newer than 3.1: converted as 3.1 (fields 3.1 lacks are ignored)",
        )
        return True
    if "swagger" in top:
        message = (
            f"Swagger {top.get('swagger')!s} (OpenAPI 2) is not converted; convert the document "
            "to OpenAPI 3 first (swagger2openapi, or the Swagger Editor)"
        )
    else:
        message = (
            f"openapi {version!r} is not an OpenAPI 3.0 or 3.1 version (a string such as "
            "'3.0.3'); the document is not converted"
        )
    for key in top:
        fields.record(str(key), Status.UNSUPPORTED, message)
    fields.notify(Level.ERROR, "openapi3-version-unsupported", None, message)
    return False


def _resolved(fields: Fields, value: object, components: dict[Any, Any], section: str) -> Any:
    """``value``, or the component its local ``$ref`` names (one level: enough for the
    documents seen; a chain is reported)."""
    body = as_dict(value)
    ref = body.get("$ref")
    if not isinstance(ref, str):
        return value
    prefix = f"#/components/{section}/"
    if ref.startswith(prefix):
        target = as_dict(components.get(section)).get(ref[len(prefix) :])
        if isinstance(target, dict) and "$ref" not in target:
            return target
    return None


def _path_item(
    fields: Fields,
    path: str,
    item: object,
    item_field: str,
    components: dict[Any, Any],
    doc_servers: list[Endpoint],
    doc_guard: Guard | None,
) -> list[Operation]:
    body = as_dict(item)
    if "$ref" in body:
        target = _resolved(fields, body, components, "pathItems")
        if target is None:
            fields.notify(
                Level.WARNING,
                "openapi3-reference-unresolved",
                dot(item_field, "$ref"),
                f"path item {path!r}: $ref {body['$ref']!r} is not a local path item "
                "(#/components/pathItems/NAME); its operations are not routed",
                Status.UNSUPPORTED,
            )
            return []
        fields.record(dot(item_field, "$ref"), Status.CONVERTED)
        body = {**target, **{k: v for k, v in body.items() if k != "$ref"}}
    template = parse_template(path)
    if isinstance(template, str):
        fields.notify(
            Level.WARNING, "openapi3-value-invalid", item_field, template, Status.UNSUPPORTED
        )
        return []
    fields.extensions(item_field, body)
    for key in ("summary", "description"):
        if key in body:
            fields.record(dot(item_field, key), Status.IGNORED, "documentation")
    if "parameters" in body:
        _parameters(fields, body["parameters"], dot(item_field, "parameters"))
    servers = doc_servers
    _servers_field(fields, body, dot(item_field, "servers"), "the document's")
    if as_list(body.get("servers")):
        servers = endpoints(fields, body["servers"], dot(item_field, "servers"))
    found: list[Operation] = []
    for method in (*OPERATIONS, *EXTRA_OPERATIONS):
        if method not in body:
            continue
        op_field = dot(item_field, method)
        found.extend(
            _operation(fields, method, path, template, body[method], op_field, servers, doc_guard)
        )
    known = {*OPERATIONS, *EXTRA_OPERATIONS, "summary", "description", "parameters", "servers"}
    for key in body:
        if key not in known and not is_extension(key):
            fields.notify(
                Level.WARNING,
                "openapi3-value-invalid",
                dot(item_field, str(key)),
                f"{key!r} is not a field of a Path Item (OpenAPI 3.0/3.1); it is ignored",
                Status.IGNORED,
            )
    if not found:
        fields.record(item_field, Status.IGNORED, "no operation: nothing is routed")
    return found


def _operation(
    fields: Fields,
    method: str,
    path: str,
    template: Template,
    value: object,
    op_field: str,
    servers: list[Endpoint],
    doc_guard: Guard | None,
) -> list[Operation]:
    if not isinstance(value, dict):
        fields.notify(
            Level.WARNING,
            "openapi3-value-invalid",
            op_field,
            "an operation must be a mapping",
            Status.UNSUPPORTED,
        )
        return []
    fields.extensions(op_field, value)
    for key, note in _IGNORED_IN_OPERATION.items():
        if key in value:
            fields.record(dot(op_field, key), Status.IGNORED, note)
    if "parameters" in value:
        _parameters(fields, value["parameters"], dot(op_field, "parameters"))
    _servers_field(fields, value, dot(op_field, "servers"), "the path's")
    if as_list(value.get("servers")):
        servers = endpoints(fields, value["servers"], dot(op_field, "servers"))
    guard = doc_guard
    if "security" in value:
        guard = guard_of(fields, value["security"], dot(op_field, "security"))
        if guard is None:
            fields.record(dot(op_field, "security"), Status.CONVERTED, "no authentication")
    if not servers:
        fields.record(op_field, Status.UNSUPPORTED, "no server it is served on could be converted")
        return []
    return [Operation(method.upper(), path, template, tuple(servers), guard, op_field)]


def _parameters(fields: Fields, value: object, field: str) -> None:
    """Parameters are ledgered; required header and query ones (which the Go tool made into
    matches without values) are said to be left to the backend."""
    required = [
        str(p.get("name"))
        for p in as_list(value)
        if isinstance(p, dict) and p.get("required") is True and p.get("in") in ("header", "query")
    ]
    if not required:
        fields.record(field, Status.IGNORED, _PARAMETERS_NOTE)
        return
    fields.notify(
        Level.INFO,
        "openapi3-parameters-not-matched",
        field,
        f"required parameters {', '.join(required)} are not route matches: " + _PARAMETERS_NOTE,
        Status.IGNORED,
    )


def _servers_field(fields: Fields, body: dict[Any, Any], field: str, instead: str) -> None:
    """A ``servers`` that names none (absent servers need no entry)."""
    if "servers" not in body or as_list(body["servers"]):
        return
    if isinstance(body["servers"], list):
        fields.record(field, Status.CONVERTED, f"no servers: {instead} servers apply")
    else:
        fields.notify(
            Level.WARNING,
            "openapi3-value-invalid",
            field,
            f"servers must be a list; {instead} servers apply",
            Status.IGNORED,
        )
