"""Fast "is there anything to report?" checks, compiled once per schema node.

The exact checks (:func:`._openapi.unknown_fields`, :func:`._openapi.validate_schema` — the
jsonschema validator —, :func:`._listtype.check_list_types`) walk the value generically and
build a field path and a message for every error they find. Almost every object ingress2gateway emits
is valid, so :func:`validate` first asks the closures built here, which visit the value without
paths or messages and only say *ok* or *maybe not*:

* ``True`` guarantees that the exact check would report nothing;
* ``False`` means "run the exact check" — it then produces the findings (or none: a ``False``
  may be conservative, e.g. for a float in an integer field or a ``uniqueItems`` list).

So the reported violations, their messages and their order are those of the exact checks.
The closures are built on first use and cached per node (schema trees are acyclic, and a
concurrent first use at worst builds a closure twice).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._openapi import _EMBEDDED_FIELDS, format_ok, same_value, schema_valid
from ._schema import Node

Check = Callable[[Any], bool]


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


# --- unknown fields ------------------------------------------------------------------------------

_UNKNOWN: dict[Node, Check] = {}


def no_unknown_fields(node: Node) -> Check:
    """A check that is True only if :func:`._openapi.unknown_fields` would report nothing."""
    found = _UNKNOWN.get(node)
    if found is None:
        found = _UNKNOWN[node] = _build_unknown(node)
    return found


def _build_unknown(node: Node) -> Check:
    if node.preserve_unknown and not node.properties and node.additional is None:
        return _always
    dict_ok: Check
    if node.additional_any or (node.preserve_unknown and not node.properties):
        dict_ok = _always
    else:
        children = {name: no_unknown_fields(prop) for name, prop in node.properties.items()}
        additional = no_unknown_fields(node.additional) if node.additional is not None else None
        strict = not node.preserve_unknown and bool(node.properties or node.type == "object")
        embedded = node.embedded_resource

        def dict_ok(value: Any) -> bool:
            for name, item in value.items():
                child = children.get(name)
                if child is not None:
                    # Only dicts and lists can hold unknown fields.
                    if isinstance(item, (dict, list)) and not child(item):
                        return False
                elif additional is not None:
                    if isinstance(item, (dict, list)) and not additional(item):
                        return False
                elif embedded and name in _EMBEDDED_FIELDS:
                    continue
                elif strict:
                    return False
            return True

    items = no_unknown_fields(node.items) if node.items is not None else None

    def check(value: Any) -> bool:
        if isinstance(value, dict):
            return dict_ok(value)
        if isinstance(value, list) and items is not None:
            return all(items(item) for item in value)
        return True

    return check


# --- schema --------------------------------------------------------------------------------------

_SCHEMA: dict[Node, Check] = {}


def schema_ok(node: Node) -> Check:
    """A check that is True only if :func:`._openapi.validate_schema` would report nothing."""
    found = _SCHEMA.get(node)
    if found is None:
        found = _SCHEMA[node] = _build_schema(node)
    return found


_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    # Python types whose values certainly have this JSON type (floats are left to the exact
    # check: 1.0 counts as an integer there).
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _build_schema(node: Node) -> Check:
    if node.int_or_string:
        allowed: tuple[type, ...] | None = (str, int)
    elif node.type:
        allowed = _JSON_TYPES.get(node.type)
        if allowed is None:
            return _never
    else:
        allowed = None  # no type: anything, checked by its Python type as the exact check does

    enum_ok = _enum_check(node)
    string_ok = _string_check(node)
    number_ok = _number_check(node)
    array_ok = _array_check(node)
    object_ok = _object_check(node)
    combined = bool(node.one_of or node.any_of or node.all_of or node.not_ is not None)
    # The combinators alone, for the exact validator (the closures below check the rest).
    combinators = {k: v for k, v in (node.schema or {}).items() if k in _COMBINATORS}
    null_ok = node.nullable or not (node.type or node.int_or_string)

    if not combined and not null_ok and allowed is not None and len(allowed) == 1:
        # The common case, specialised: one Python type, no null, no combinators.
        return _single_type(allowed[0], enum_ok, string_ok, number_ok, array_ok, object_ok, node)

    def check(value: Any) -> bool:
        if value is None:
            return null_ok
        kind = type(value)
        if allowed is not None and kind not in allowed:
            return False
        if enum_ok is not None and not enum_ok(value):
            return False
        if kind is str:
            if not string_ok(value):
                return False
        elif kind is int or kind is float:
            if not number_ok(value):
                return False
        elif kind is list:
            if not array_ok(value):
                return False
        elif kind is dict:
            if not object_ok(value):
                return False
        elif kind is not bool:
            return False  # subclasses and other types: let the exact check judge
        return not combined or schema_valid(value, combinators)

    return check


def _single_type(
    kind: type,
    enum_ok: Check | None,
    string_ok: Check,
    number_ok: Check,
    array_ok: Check,
    object_ok: Check,
    node: Node,
) -> Check:
    """The check of a node whose values have exactly one Python type (None fails)."""
    if kind is str:
        return _typed_string(node)
    inner = {int: number_ok, list: array_ok, dict: object_ok}.get(kind, _always)
    if enum_ok is not None:
        first, second = enum_ok, inner
        inner = lambda value: first(value) and second(value)  # noqa: E731
    if inner is _always:
        return lambda value: type(value) is kind
    check = inner
    return lambda value: type(value) is kind and check(value)


def _typed_string(node: Node) -> Check:
    """One closure for a ``type: string`` node: type, enum, lengths, pattern and format."""
    enum = node.enum
    strings = frozenset(enum) if enum is not None and all(type(e) is str for e in enum) else None
    others = enum if enum is not None and strings is None else None
    max_length, min_length, test, fmt = node.max_length, node.min_length, node.test, node.format

    def check(value: Any) -> bool:
        if type(value) is not str:
            return False
        if strings is not None and value not in strings:
            return False
        if others is not None and not any(same_value(value, e) for e in others):
            return False
        if max_length is not None and len(value) > max_length:
            return False
        if min_length is not None and len(value) < min_length:
            return False
        if test is not None and not test(value):
            return False
        return not (fmt and not format_ok(fmt, value))

    return check


def _enum_check(node: Node) -> Check | None:
    if node.enum is None:
        return None
    enum = node.enum
    if all(type(e) is str for e in enum):
        strings = frozenset(enum)
        return lambda value: type(value) is str and value in strings
    return lambda value: any(same_value(value, e) for e in enum)


def _string_check(node: Node) -> Check:
    max_length, min_length, test, fmt = node.max_length, node.min_length, node.test, node.format

    def check(value: str) -> bool:
        if max_length is not None and len(value) > max_length:
            return False
        if min_length is not None and len(value) < min_length:
            return False
        if test is not None and not test(value):
            return False
        return not (fmt and not format_ok(fmt, value))

    if max_length is None and min_length is None and test is None and not fmt:
        return _always
    return check


def _number_check(node: Node) -> Check:
    low, high, multiple = node.minimum, node.maximum, node.multiple_of
    exclusive_low, exclusive_high = node.exclusive_minimum, node.exclusive_maximum

    def check(value: float) -> bool:
        if low is not None and (value < low or (exclusive_low and value == low)):
            return False
        if high is not None and (value > high or (exclusive_high and value == high)):
            return False
        return not (multiple and not math.isclose(value / multiple % 1, 0.0, abs_tol=1e-9))

    if low is None and high is None and not multiple:
        return _always
    return check


def _array_check(node: Node) -> Check:
    if node.unique_items:
        return _never  # rare: the exact check compares the items
    max_items, min_items = node.max_items, node.min_items
    items = schema_ok(node.items) if node.items is not None else None

    def check(value: list[Any]) -> bool:
        if max_items is not None and len(value) > max_items:
            return False
        if min_items is not None and len(value) < min_items:
            return False
        return items is None or all(items(item) for item in value)

    return check


def _object_check(node: Node) -> Check:
    max_properties, min_properties = node.max_properties, node.min_properties
    required = node.required
    children = {name: schema_ok(prop) for name, prop in node.properties.items()}
    additional = schema_ok(node.additional) if node.additional is not None else None

    def check(value: dict[str, Any]) -> bool:
        if max_properties is not None and len(value) > max_properties:
            return False
        if min_properties is not None and len(value) < min_properties:
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            child = children.get(name)
            if child is not None:
                if not child(item):
                    return False
            elif additional is not None and not additional(item):
                return False
        return True

    return check


# --- list types ----------------------------------------------------------------------------------

_LISTS: dict[Node, Check | None] = {}


def list_types_ok(node: Node) -> Check | None:
    """True only if :func:`._listtype.check_list_types` would report nothing (None: nothing to
    check anywhere below *node*)."""
    if node in _LISTS:
        return _LISTS[node]
    found = _LISTS[node] = _build_lists(node)
    return found


_KEY_TYPES = (str, int, type(None))


def _build_lists(node: Node) -> Check | None:
    items = list_types_ok(node.items) if node.items is not None else None
    children = {name: c for name, p in node.properties.items() if (c := list_types_ok(p))}
    additional = list_types_ok(node.additional) if node.additional is not None else None
    own: Check | None = None
    if node.list_type == "set":
        own = _unique_set
    elif node.list_type == "map" and node.list_map_keys:
        keys = node.list_map_keys

        def own(value: list[Any]) -> bool:
            seen = set()
            for item in value:
                if type(item) is not dict:
                    return False
                key = tuple(item.get(k) for k in keys)
                for part in key:
                    if type(part) not in _KEY_TYPES:
                        return False  # bool/float/containers: JSON identity needs the exact check
                if key in seen:
                    return False
                seen.add(key)
            return True

    if own is None and items is None and not children and additional is None:
        return None

    def check(value: Any) -> bool:
        if isinstance(value, list):
            if own is not None and not own(value):
                return False
            if items is not None:
                return all(items(item) for item in value)
            return True
        if isinstance(value, dict) and (children or additional is not None):
            for name, item in value.items():
                child = children.get(name)
                if child is not None:
                    if not child(item):
                        return False
                elif (
                    additional is not None and name not in node.properties and not additional(item)
                ):
                    return False
        return True

    return check


def _unique_set(value: list[Any]) -> bool:
    for item in value:
        if type(item) is not str and type(item) is not int:
            return False
    return len(set(value)) == len(value)
