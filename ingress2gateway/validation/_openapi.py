"""OpenAPI v3 schema checks, with the apiserver's semantics rather than JSON Schema's.

Differences from a JSON Schema library that matter here: ``pattern`` is RE2 (Go regexp: ``$``
does not match before a trailing newline), ``x-kubernetes-int-or-string`` and ``nullable`` are
honoured, ``true`` is not an integer, lengths count characters, and each error is classified like
the apiserver's field error types so the caller knows whether CEL would still run (type, enum,
required, maxLength, maxItems/maxProperties errors block CEL; pattern, minimum … do not).

Unknown fields are a separate pass (:func:`unknown_fields`): under kubectl's default strict field
validation the apiserver refuses them while decoding, before any of this runs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
from typing import Any

import re2

from ._schema import Node
from ._violation import Findings, child_path, item_path

RULE = "schema"
_SHOWN = 80


def show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def json_type(value: Any) -> str:
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


def validate_schema(value: Any, node: Node, path: str, out: Findings) -> None:
    """Append every schema violation of *value* (already defaulted) against *node*."""
    if value is None:
        if not node.nullable and (node.type or node.int_or_string):
            wanted = "integer or string" if node.int_or_string else node.type
            out.add(path, f"Invalid value: null: must be of type {wanted}", RULE, blocking=True)
        return
    if node.int_or_string:
        if json_type(value) not in ("integer", "string"):
            out.add(
                path,
                f"Invalid value: {show(value)}: must be of type integer or string",
                RULE,
                blocking=True,
            )
            return
    elif node.type and not _type_ok(value, node.type):
        out.add(
            path,
            f"Invalid value: {show(value)}: must be of type {node.type}, not {json_type(value)}",
            RULE,
            blocking=True,
        )
        return
    if node.enum is not None and not any(same_value(value, e) for e in node.enum):
        supported = ", ".join(show(e) for e in node.enum)
        out.add(
            path,
            f"Unsupported value: {show(value)}: supported values: {supported}",
            RULE,
            blocking=True,
        )
    if isinstance(value, str):
        _check_string(value, node, path, out)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, node, path, out)
    elif isinstance(value, list):
        _check_array(value, node, path, out)
    elif isinstance(value, dict):
        _check_object(value, node, path, out)
    _check_combinators(value, node, path, out)


def _check_string(value: str, node: Node, path: str, out: Findings) -> None:
    if node.max_length is not None and len(value) > node.max_length:
        out.add(
            path,
            f"Too long: may not be more than {node.max_length} bytes",
            RULE,
            blocking=True,
        )
    if node.min_length is not None and len(value) < node.min_length:
        out.add(
            path,
            f"Invalid value: {show(value)}: should be at least {node.min_length} chars long",
            RULE,
        )
    if node.test is not None and not node.test(value):
        out.add(path, f"Invalid value: {show(value)}: should match '{node.pattern}'", RULE)
    if node.format and not format_ok(node.format, value):
        # The apiserver reports a format failure as a type error ("must be of type ipv4").
        out.add(
            path,
            f"Invalid value: {show(value)}: must be of type {node.format}",
            RULE,
            blocking=True,
        )


def _check_number(value: float, node: Node, path: str, out: Findings) -> None:
    if node.minimum is not None:
        low = node.minimum
        if value < low or (node.exclusive_minimum and value == low):
            op = "greater than" if node.exclusive_minimum else "greater than or equal to"
            out.add(path, f"Invalid value: {show(value)}: should be {op} {show(low)}", RULE)
    if node.maximum is not None:
        high = node.maximum
        if value > high or (node.exclusive_maximum and value == high):
            op = "less than" if node.exclusive_maximum else "less than or equal to"
            out.add(path, f"Invalid value: {show(value)}: should be {op} {show(high)}", RULE)
    if node.multiple_of and not math.isclose(value / node.multiple_of % 1, 0.0, abs_tol=1e-9):
        out.add(
            path,
            f"Invalid value: {show(value)}: should be a multiple of {show(node.multiple_of)}",
            RULE,
        )


def _check_array(value: list[Any], node: Node, path: str, out: Findings) -> None:
    if node.max_items is not None and len(value) > node.max_items:
        out.add(
            path,
            f"Too many: {len(value)}: must have at most {node.max_items} items",
            RULE,
            blocking=True,
        )
    if node.min_items is not None and len(value) < node.min_items:
        out.add(path, f"Invalid value: should have at least {node.min_items} items", RULE)
    if node.unique_items:
        for index, item in enumerate(value):
            if any(same_value(item, earlier) for earlier in value[:index]):
                out.add(item_path(path, index), f"Duplicate value: {show(item)}", RULE)
    if node.items is not None:
        for index, item in enumerate(value):
            validate_schema(item, node.items, item_path(path, index), out)


def _check_object(value: dict[str, Any], node: Node, path: str, out: Findings) -> None:
    if node.max_properties is not None and len(value) > node.max_properties:
        out.add(
            path,
            f"Too many: {len(value)}: must have at most {node.max_properties} items",
            RULE,
            blocking=True,
        )
    if node.min_properties is not None and len(value) < node.min_properties:
        out.add(path, f"Invalid value: should have at least {node.min_properties} properties", RULE)
    for name in node.required:
        if name not in value:
            out.add(child_path(path, name), "Required value", RULE, blocking=True)
    for name, item in value.items():
        prop = node.properties.get(name)
        if prop is not None:
            validate_schema(item, prop, child_path(path, name), out)
        elif node.additional is not None:
            validate_schema(item, node.additional, item_path(path, name), out)


def _passes(value: Any, node: Node, path: str) -> bool:
    probe = Findings()
    validate_schema(value, node, path, probe)
    return not probe.violations


def _check_combinators(value: Any, node: Node, path: str, out: Findings) -> None:
    # Errors inside oneOf/anyOf/allOf/not branches are reported as one composite error and
    # never block CEL, as in the apiserver.
    if node.one_of and sum(_passes(value, sub, path) for sub in node.one_of) != 1:
        out.add(path, "Invalid value: must validate one and only one schema (oneOf)", RULE)
    if node.any_of and not any(_passes(value, sub, path) for sub in node.any_of):
        out.add(path, "Invalid value: must validate at least one schema (anyOf)", RULE)
    for sub in node.all_of:
        if not _passes(value, sub, path):
            out.add(path, "Invalid value: must validate all the schemas (allOf)", RULE)
            break
    if node.not_ is not None and _passes(value, node.not_, path):
        out.add(path, "Invalid value: must not validate the schema (not)", RULE)


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
