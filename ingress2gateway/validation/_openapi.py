"""OpenAPI v3 schema checks: jsonschema's Draft 4 validator with the apiserver's semantics.

A CRD's ``openAPIV3Schema`` uses JSON Schema draft 4's keywords (boolean ``exclusiveMinimum`` …),
so :data:`OpenAPIValidator` is ``jsonschema``'s ``Draft4Validator`` extended where the apiserver
(k8s.io/apiextensions-apiserver, kube-openapi's validate package) differs from JSON Schema:

* ``pattern`` is RE2 (Go regexp: ``$`` does not match before a trailing newline), searched
  unanchored as Go's ``MatchString`` does;
* ``nullable`` and ``x-kubernetes-int-or-string`` are honoured; ``true`` is not an integer and
  ``1.0`` is (the apiserver decodes JSON numbers as float64);
* a value of the wrong type (or a null) gets one type error and nothing else is checked of it;
* ``format`` failures (ipv4, ipv6, date-time, byte; other formats pass) are type errors;
* ``oneOf``/``anyOf``/``allOf``/``not`` give one composite error, ``uniqueItems`` one error per
  repeated item, ``required`` one per missing field at the field's path;
* a node's errors come in the apiserver's order, an object's properties in the value's order,
  and messages are the apiserver's field errors. Each error is classified like the apiserver's
  field error types, so the caller knows whether CEL would still run (type, enum, required,
  maxLength, maxItems/maxProperties errors block CEL; pattern, minimum … do not).

jsonschema walks the schema and the value and evaluates the keywords whose semantics are JSON
Schema's (lengths, bounds, item counts, ``enum`` equality, ``oneOf``/``anyOf``/``not``); the
keyword functions below are only the differences. The fast path (``_fastcheck.py``) answers
for valid values without running this, and is tested to agree with it.

Unknown fields are a separate pass (:func:`unknown_fields`): under kubectl's default strict field
validation the apiserver refuses them while decoding, before any of this runs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import re2
from jsonschema import Draft4Validator, FormatChecker, TypeChecker, ValidationError, validators

from ._schema import Node, pattern_test
from ._violation import Findings, child_path, item_path

RULE = "schema"
_SHOWN = 80


def show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


_EXACT_TYPES: dict[type, str] = {
    str: "string",
    dict: "object",
    list: "array",
    bool: "boolean",
    int: "integer",
    type(None): "null",
}
"""The JSON type of values of exactly these Python types (the common case, one lookup)."""


def json_type(value: Any) -> str:
    found = _EXACT_TYPES.get(type(value))
    if found is not None:
        return found
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        # The apiserver decodes JSON 1.0 as a float64 that still counts as an integer.
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_ok(value: Any, wanted: str) -> bool:
    actual = json_type(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


def same_value(a: Any, b: Any) -> bool:
    """JSON equality (Python's ``True == 1`` must not make ``true`` match ``1``)."""
    if json_type(a) != json_type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --- the validator ------------------------------------------------------------------------------

_JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")

# JSON types as the apiserver sees them; jsonschema's own keywords (minLength, minimum …) ask it.
_TYPES = TypeChecker(
    {name: (lambda _, value, name=name: _type_ok(value, name)) for name in _JSON_TYPES}
)

_FORMATS = FormatChecker(formats=())
for _name in ("ipv4", "ipv6", "date-time", "byte"):
    # Formats only constrain strings (a number with ``format: int32`` is checked by its type).
    _FORMATS.checks(_name)(
        lambda value, fmt=_name: not isinstance(value, str) or format_ok(fmt, value)
    )
del _name


def _typed(instance: Any, schema: Mapping[str, Any]) -> bool:
    """The value has the node's type: only then does the apiserver check anything else of it."""
    if instance is None:
        return False
    if schema.get("x-kubernetes-int-or-string"):
        return json_type(instance) in ("integer", "string")
    wanted = schema.get("type")
    return not wanted or _type_ok(instance, wanted)


Keyword = Callable[[Any, Any, Any, Mapping[str, Any]], Iterator[ValidationError]]


def _when_typed(keyword: Keyword) -> Keyword:
    """jsonschema's *keyword*, skipped for a value of the wrong type (or null)."""

    def check(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        if _typed(instance, schema):
            yield from keyword(validator, value, instance, schema) or ()

    return check


def _type(validator: Any, wanted: str, instance: Any, schema: Mapping[str, Any]) -> Any:
    if instance is None:
        if not schema.get("nullable"):
            yield ValidationError(f"Invalid value: null: must be of type {wanted}")
    elif not _type_ok(instance, wanted):
        yield ValidationError(
            f"Invalid value: {show(instance)}: must be of type {wanted}, not {json_type(instance)}"
        )


def _int_or_string(validator: Any, _: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
    if instance is None:
        if not schema.get("nullable"):
            yield ValidationError("Invalid value: null: must be of type integer or string")
    elif json_type(instance) not in ("integer", "string"):
        yield ValidationError(f"Invalid value: {show(instance)}: must be of type integer or string")


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(instance, str) and not pattern_test(pattern)(instance):
        yield ValidationError(f"Invalid value: {show(instance)}: should match '{pattern}'")


def _multiple_of(validator: Any, factor: float, instance: Any, schema: Mapping[str, Any]) -> Any:
    # With a tolerance: a float quotient is rarely exact. kube-openapi allows a relative error
    # (swag.IsFloat64AJSONInteger); this absolute one on the fractional part is the previous
    # implementation's, kept as it was (no vendored CRD uses multipleOf).
    if validator.is_type(instance, "number") and not math.isclose(
        instance / factor % 1, 0.0, abs_tol=1e-9
    ):
        yield ValidationError(
            f"Invalid value: {show(instance)}: should be a multiple of {show(factor)}"
        )


def _unique_items(validator: Any, _: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(instance, list):
        for index, item in enumerate(instance):
            if any(same_value(item, earlier) for earlier in instance[:index]):
                yield ValidationError(f"Duplicate value: {show(item)}", path=(index,))


def _required(validator: Any, names: list[str], instance: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(instance, dict):
        for name in names:
            if name not in instance:
                yield ValidationError("Required value", path=(name,))


@dataclass(frozen=True)
class _MapKey:
    """A path step into a map (``additionalProperties``): printed ``[key]``, not ``.key``."""

    key: str


def _properties(
    validator: Any,
    declared: tuple[Mapping[str, Any], Mapping[str, Any] | None],
    instance: Any,
    schema: Mapping[str, Any],
) -> Any:
    # One keyword for properties and additionalProperties: the value's order, not the schema's.
    if not isinstance(instance, dict):
        return
    properties, additional = declared
    for name, item in instance.items():
        sub = properties.get(name)
        if sub is not None:
            yield from validator.descend(item, sub, path=name, schema_path=name)
        elif additional is not None:
            yield from validator.descend(item, additional, path=_MapKey(name))


def _all_of(validator: Any, schemas: list[Any], instance: Any, schema: Mapping[str, Any]) -> Any:
    for sub in schemas:
        if not validator.evolve(schema=sub).is_valid(instance):
            yield ValidationError("Invalid value: must validate all the schemas (allOf)")
            return


_DRAFT4 = Draft4Validator.VALIDATORS
_KEYWORDS: dict[str, Keyword] = {
    "type": _type,
    "x-kubernetes-int-or-string": _int_or_string,
    "enum": _DRAFT4["enum"],
    "maxLength": _DRAFT4["maxLength"],
    "minLength": _DRAFT4["minLength"],
    "pattern": _pattern,
    "format": _DRAFT4["format"],
    "minimum": _DRAFT4["minimum"],
    "maximum": _DRAFT4["maximum"],
    "multipleOf": _multiple_of,
    "maxItems": _DRAFT4["maxItems"],
    "minItems": _DRAFT4["minItems"],
    "uniqueItems": _unique_items,
    "items": _DRAFT4["items"],
    "maxProperties": _DRAFT4["maxProperties"],
    "minProperties": _DRAFT4["minProperties"],
    "required": _required,
    "properties": _properties,
    "oneOf": _DRAFT4["oneOf"],
    "anyOf": _DRAFT4["anyOf"],
    "allOf": _all_of,
    "not": _DRAFT4["not"],
}
"""Every keyword checked, in the order a node's errors are reported."""

_TYPE_KEYWORDS = ("type", "x-kubernetes-int-or-string")
_BOUNDS = frozenset(
    {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
    | {"minimum", "maximum"}
)

_applicable: dict[int, tuple[Mapping[str, Any], list[tuple[str, Any]]]] = {}


def _applicable_keywords(schema: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The keywords of *schema* to check, in :data:`_KEYWORDS`'s order (others are ignored:
    a structural schema has no ``$ref``, ``patternProperties``, ``additionalItems`` …)."""
    hit = _applicable.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    found: list[tuple[str, Any]] = []
    if schema.get("x-kubernetes-int-or-string"):
        found.append(("x-kubernetes-int-or-string", True))
    elif schema.get("type"):
        found.append(("type", schema["type"]))
    for name in _KEYWORDS:
        if name in _TYPE_KEYWORDS:
            continue
        if name == "properties":
            additional = schema.get("additionalProperties")
            properties = schema.get("properties") or {}
            if properties or isinstance(additional, Mapping):
                value = (properties, additional if isinstance(additional, Mapping) else None)
                found.append((name, value))
        elif name == "items":
            if isinstance(schema.get("items"), Mapping):
                found.append((name, schema["items"]))
        elif name in ("enum", "pattern", "not"):
            if name in schema:
                found.append((name, schema[name]))
        elif name in _BOUNDS:
            if schema.get(name) is not None:
                found.append((name, schema[name]))
        elif schema.get(name):  # format, multipleOf, uniqueItems, required, oneOf, anyOf, allOf
            found.append((name, schema[name]))
    # Keep the schema alive with its entry so that id() cannot be reused by another object.
    _applicable[id(schema)] = (schema, found)
    return found


OpenAPIValidator = validators.create(
    meta_schema=Draft4Validator.META_SCHEMA,
    validators={
        name: keyword if name in _TYPE_KEYWORDS else _when_typed(keyword)
        for name, keyword in _KEYWORDS.items()
    },
    type_checker=_TYPES,
    format_checker=_FORMATS,
    id_of=Draft4Validator.ID_OF,
    applicable_validators=_applicable_keywords,
)
"""jsonschema's Draft 4 validator with the apiserver's semantics (see the module's docstring)."""


def _bound(error: ValidationError, exclusive: str, strict: str, loose: str) -> str:
    op = strict if error.schema.get(exclusive) else loose
    return f"Invalid value: {show(error.instance)}: should be {op} {show(error.validator_value)}"


# The apiserver's messages for the errors of jsonschema's own keywords (the keyword functions
# above write theirs).
_MESSAGES: dict[str, Callable[[ValidationError], str]] = {
    "enum": lambda e: (
        f"Unsupported value: {show(e.instance)}: supported values: "
        + ", ".join(show(each) for each in e.validator_value)
    ),
    "maxLength": lambda e: f"Too long: may not be more than {e.validator_value} bytes",
    "minLength": lambda e: (
        f"Invalid value: {show(e.instance)}: should be at least {e.validator_value} chars long"
    ),
    "format": lambda e: f"Invalid value: {show(e.instance)}: must be of type {e.validator_value}",
    "minimum": lambda e: _bound(e, "exclusiveMinimum", "greater than", "greater than or equal to"),
    "maximum": lambda e: _bound(e, "exclusiveMaximum", "less than", "less than or equal to"),
    "maxItems": lambda e: (
        f"Too many: {len(e.instance)}: must have at most {e.validator_value} items"
    ),
    "minItems": lambda e: f"Invalid value: should have at least {e.validator_value} items",
    "maxProperties": lambda e: (
        f"Too many: {len(e.instance)}: must have at most {e.validator_value} items"
    ),
    "minProperties": lambda e: (
        f"Invalid value: should have at least {e.validator_value} properties"
    ),
    "oneOf": lambda e: "Invalid value: must validate one and only one schema (oneOf)",
    "anyOf": lambda e: "Invalid value: must validate at least one schema (anyOf)",
    "not": lambda e: "Invalid value: must not validate the schema (not)",
}

_BLOCKING = frozenset(
    {*_TYPE_KEYWORDS, "enum", "format", "maxLength", "maxItems", "maxProperties", "required"}
)
"""The keywords whose errors stop the apiserver from evaluating CEL rules (type, enum, required,
too long, too many). Errors inside combinator branches are not reported, so never block."""


def _path(error: ValidationError) -> str:
    path = ""
    for step in error.path:
        if isinstance(step, int):
            path = item_path(path, step)
        elif isinstance(step, _MapKey):
            path = item_path(path, step.key)
        else:
            path = child_path(path, step)
    return path


_validators: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    hit = _validators.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    validator = OpenAPIValidator(schema, format_checker=_FORMATS)
    _validators[id(schema)] = (schema, validator)
    return validator


def validate_schema(value: Any, schema: Mapping[str, Any], out: Findings) -> None:
    """Append every schema violation of *value* (already defaulted) against *schema*."""
    for error in _validator(schema).iter_errors(value):
        message = _MESSAGES.get(error.validator)
        out.add(
            _path(error),
            message(error) if message is not None else error.message,
            RULE,
            blocking=error.validator in _BLOCKING,
        )


def schema_valid(value: Any, schema: Mapping[str, Any]) -> bool:
    """:func:`validate_schema` would report nothing."""
    return bool(_validator(schema).is_valid(value))


_RFC3339 = re2.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def format_ok(fmt: str, value: str) -> bool:
    """The string formats the vendored CRDs use; unknown formats pass, as in the apiserver."""
    if fmt == "ipv4":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            return False
        return True
    if fmt == "ipv6":
        if "%" in value:  # Go's net.ParseIP rejects zones; Python accepts them
            return False
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            return False
        return True
    if fmt == "date-time":
        return _RFC3339.search(value) is not None
    if fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return True
    return True


def unknown_fields(value: Any, node: Node, path: str, out: Findings) -> None:
    """Report fields the schema does not declare (strict field validation)."""
    if node.preserve_unknown and not node.properties and node.additional is None:
        return
    if isinstance(value, dict):
        if node.additional_any or (node.preserve_unknown and not node.properties):
            return
        for name, item in value.items():
            prop = node.properties.get(name)
            if prop is not None:
                unknown_fields(item, prop, child_path(path, name), out)
            elif node.additional is not None:
                unknown_fields(item, node.additional, item_path(path, name), out)
            elif node.embedded_resource and name in _EMBEDDED_FIELDS:
                continue
            elif not node.preserve_unknown and (node.properties or node.type == "object"):
                out.add(child_path(path, name), f'unknown field "{child_path(path, name)}"', _UF)
    elif isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            unknown_fields(item, node.items, item_path(path, index), out)


_UF = "unknown-field"
# Every embedded resource may carry these even where the schema does not list them.
_EMBEDDED_FIELDS = frozenset({"apiVersion", "kind", "metadata"})
