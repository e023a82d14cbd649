"""The OpenAPI v3 schema step (the exact path): the apiserver's semantics and messages.

Each case is a small hand-written schema, so that every keyword the vendored CRDs use (and the
few they do not but a CRD may) is pinned: the path, the message, whether the error blocks CEL,
and the order in which a node's errors are reported. These are the semantics that differ from
plain JSON Schema (RE2 patterns, ``nullable``, ``x-kubernetes-int-or-string``, ``true`` is not
an integer, ``1.0`` is, formats as type errors, one composite error per combinator).
"""

from __future__ import annotations

from typing import Any

import pytest

from ingress2gateway.validation._openapi import validate_schema
from ingress2gateway.validation._violation import Findings

Found = tuple[list[tuple[str, str]], bool]


def check(schema: dict[str, Any], value: Any) -> Found:
    """(path, message) of every schema violation, and whether one of them blocks CEL."""
    out = Findings()
    validate_schema(value, schema, out)
    assert {v.rule for v in out.violations} <= {"schema"}
    return [(v.path, v.message) for v in out.violations], out.blocking


OK: Found = ([], False)


# --- types --------------------------------------------------------------------------------------


def test_true_is_not_an_integer_and_one_point_zero_is() -> None:
    schema = {"type": "integer"}
    assert check(schema, 1.0) == OK
    assert check(schema, True) == (
        [("", "Invalid value: true: must be of type integer, not boolean")],
        True,
    )
    assert check(schema, 1.5) == (
        [("", "Invalid value: 1.5: must be of type integer, not number")],
        True,
    )
    assert check({"type": "number"}, 3) == OK


def test_a_type_error_hides_the_node_s_other_errors() -> None:
    schema = {"type": "string", "enum": ["a"], "maxLength": 1, "anyOf": [{"pattern": "x"}]}
    assert check(schema, 5) == (
        [("", "Invalid value: 5: must be of type string, not integer")],
        True,
    )
    # ...also where a keyword would apply to the value's actual type.
    assert check({"type": "object", "maxItems": 0}, [1]) == (
        [("", "Invalid value: [1]: must be of type object, not array")],
        True,
    )


def test_null_against_nullable_typed_and_untyped_nodes() -> None:
    assert check({"type": "string", "nullable": True, "minLength": 3}, None) == OK
    assert check({"type": "string"}, None) == (
        [("", "Invalid value: null: must be of type string")],
        True,
    )
    # No type: null is not checked at all (not even against an enum).
    assert check({"enum": ["a"], "not": {}}, None) == OK


def test_int_or_string() -> None:
    schema = {
        "x-kubernetes-int-or-string": True,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": "^[0-9]+%?$",
    }
    assert check(schema, 80) == OK
    assert check(schema, "50%") == OK
    assert check(schema, "half") == (
        [("", "Invalid value: \"half\": should match '^[0-9]+%?$'")],
        False,
    )
    for value, shown in ((1.5, "1.5"), (True, "true"), ([], "[]")):
        assert check(schema, value) == (
            [("", f"Invalid value: {shown}: must be of type integer or string")],
            True,
        )
    assert check(schema, None) == (
        [("", "Invalid value: null: must be of type integer or string")],
        True,
    )


# --- strings ------------------------------------------------------------------------------------


def test_pattern_is_re2_searched_not_python_re() -> None:
    # Go regexp (RE2): `$` does not match before a trailing newline (Python's `re` would).
    anchored = {"type": "string", "pattern": "^[a-z]+$"}
    assert check(anchored, "abc") == OK
    assert check(anchored, "abc\n") == (
        [("", "Invalid value: \"abc\\n\": should match '^[a-z]+$'")],
        False,
    )
    # Unanchored search, as the apiserver: a match anywhere will do.
    assert check({"type": "string", "pattern": "[0-9]"}, "a1b") == OK
    # \z is RE2-only syntax (Python spells it \Z).
    assert check({"type": "string", "pattern": "^a\\z"}, "a") == OK


def test_lengths_count_characters_and_only_too_long_blocks() -> None:
    schema = {"type": "string", "maxLength": 3, "minLength": 2}
    assert check(schema, "ünï") == OK
    assert check(schema, "abcd") == ([("", "Too long: may not be more than 3 bytes")], True)
    assert check(schema, "a") == (
        [("", 'Invalid value: "a": should be at least 2 chars long')],
        False,
    )


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("ipv4", "10.0.0.1", "10.0.0"),
        ("ipv6", "fe80::1", "fe80::1%eth0"),  # Go's net.ParseIP rejects zones
        ("byte", "aGk=", "not base64!"),
        ("date-time", "2024-01-02T03:04:05Z", "2024-01-02"),
    ],
)
def test_formats_are_type_errors(fmt: str, good: str, bad: str) -> None:
    schema = {"type": "string", "format": fmt}
    assert check(schema, good) == OK
    assert check(schema, bad) == ([("", f'Invalid value: "{bad}": must be of type {fmt}')], True)


def test_unknown_and_numeric_formats_pass() -> None:
    assert check({"type": "integer", "format": "int32"}, 1 << 40) == OK
    assert check({"type": "string", "format": "no-such-format"}, "anything") == OK


def test_string_errors_come_in_the_apiserver_s_order() -> None:
    schema = {
        "type": "string",
        "enum": ["abcdef"],
        "maxLength": 2,
        "pattern": "^x",
        "format": "ipv4",
    }
    assert check(schema, "abc") == (
        [
            ("", 'Unsupported value: "abc": supported values: "abcdef"'),
            ("", "Too long: may not be more than 2 bytes"),
            ("", "Invalid value: \"abc\": should match '^x'"),
            ("", 'Invalid value: "abc": must be of type ipv4'),
        ],
        True,
    )


def test_enum_compares_json_values() -> None:
    schema = {"enum": ["a", 1, [1, "b"], {"k": True}]}
    assert check(schema, 1.0) == OK
    assert check(schema, [1, "b"]) == OK
    assert check(schema, {"k": True}) == OK
    assert check(schema, True) == (
        [("", 'Unsupported value: true: supported values: "a", 1, [1, "b"], {"k": true}')],
        True,
    )
    assert check(schema, {"k": 1})[0][0][1].startswith('Unsupported value: {"k": 1}')


# --- numbers ------------------------------------------------------------------------------------


def test_number_bounds_and_multiples() -> None:
    schema = {"type": "integer", "minimum": 1, "maximum": 65535}
    assert check(schema, 1) == OK
    assert check(schema, 0) == (
        [("", "Invalid value: 0: should be greater than or equal to 1")],
        False,
    )
    assert check(schema, 65536) == (
        [("", "Invalid value: 65536: should be less than or equal to 65535")],
        False,
    )
    exclusive = {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 1,
        "exclusiveMaximum": True,
    }
    assert check(exclusive, 0.5) == OK
    assert check(exclusive, 0) == ([("", "Invalid value: 0: should be greater than 0")], False)
    assert check(exclusive, 1) == ([("", "Invalid value: 1: should be less than 1")], False)
    assert check({"type": "number", "multipleOf": 0.5}, 1.5) == OK
    assert check({"type": "integer", "multipleOf": 3}, 7) == (
        [("", "Invalid value: 7: should be a multiple of 3")],
        False,
    )


# --- arrays and objects -------------------------------------------------------------------------


def test_array_errors_and_item_paths() -> None:
    schema = {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 1}}
    assert check(schema, ["a", "b"]) == OK
    assert check(schema, ["a", "bc", 3]) == (
        [
            ("", "Too many: 3: must have at most 2 items"),
            ("[1]", "Too long: may not be more than 1 bytes"),
            ("[2]", "Invalid value: 3: must be of type string, not integer"),
        ],
        True,
    )
    assert check({"type": "array", "minItems": 1}, []) == (
        [("", "Invalid value: should have at least 1 items")],
        False,
    )


def test_unique_items_reports_each_repeat() -> None:
    schema = {"type": "array", "uniqueItems": True}
    assert check(schema, [1, True, 1.0, "x", "x"]) == (
        [("[2]", "Duplicate value: 1.0"), ("[4]", 'Duplicate value: "x"')],
        False,
    )


def test_object_paths_follow_the_value_s_key_order() -> None:
    schema = {
        "type": "object",
        "required": ["name", "port"],
        "properties": {
            "name": {"type": "string"},
            "port": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    value = {"labels": {"app.kubernetes.io/name": 1}, "port": "80"}
    assert check(schema, value) == (
        [
            ("name", "Required value"),
            (
                "labels[app.kubernetes.io/name]",
                "Invalid value: 1: must be of type string, not integer",
            ),
            ("port", 'Invalid value: "80": must be of type integer, not string'),
        ],
        True,
    )


def test_property_counts() -> None:
    schema = {
        "type": "object",
        "maxProperties": 1,
        "minProperties": 1,
        "additionalProperties": True,
    }
    assert check(schema, {"a": 1}) == OK
    assert check(schema, {"a": 1, "b": {}}) == (
        [("", "Too many: 2: must have at most 1 items")],
        True,
    )
    assert check(schema, {}) == ([("", "Invalid value: should have at least 1 properties")], False)


def test_nested_paths() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "rules": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}},
                        },
                    }
                },
            }
        },
    }
    value = {"spec": {"rules": [{"name": "ok"}, {"name": "Not"}]}}
    assert check(schema, value) == (
        [("spec.rules[1].name", "Invalid value: \"Not\": should match '^[a-z]+$'")],
        False,
    )


# --- combinators --------------------------------------------------------------------------------


def test_combinators_report_one_composite_error_that_never_blocks() -> None:
    one_of = {"oneOf": [{"required": ["a"]}, {"required": ["b"]}]}
    assert check(one_of, {"a": 1}) == OK
    message = "Invalid value: must validate one and only one schema (oneOf)"
    assert check(one_of, {"a": 1, "b": 2}) == ([("", message)], False)
    assert check(one_of, {}) == ([("", message)], False)
    any_of = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert check(any_of, []) == (
        [("", "Invalid value: must validate at least one schema (anyOf)")],
        False,
    )
    all_of = {"allOf": [{"maxLength": 1}, {"pattern": "^[0-9]$"}, {"pattern": "x"}]}
    assert check(all_of, "a") == (
        [("", "Invalid value: must validate all the schemas (allOf)")],
        False,
    )
    assert check({"not": {"required": ["a"]}}, {"a": 1}) == (
        [("", "Invalid value: must not validate the schema (not)")],
        False,
    )


def test_combinators_come_after_the_node_s_own_errors_and_its_children() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["z"],
        "anyOf": [{"required": ["b"]}],
        "not": {"required": ["a"]},
    }
    assert check(schema, {"a": 1}) == (
        [
            ("z", "Required value"),
            ("a", "Invalid value: 1: must be of type string, not integer"),
            ("", "Invalid value: must validate at least one schema (anyOf)"),
            ("", "Invalid value: must not validate the schema (not)"),
        ],
        True,
    )


def test_additional_properties_false_is_left_to_the_unknown_field_pass() -> None:
    assert check({"type": "object", "additionalProperties": False}, {"x": 1}) == OK


def test_long_values_are_shortened_in_messages() -> None:
    text = "x" * 200
    [(path, message)], _ = check({"type": "integer"}, text)
    assert path == ""
    assert message == f'Invalid value: "{"x" * 76}...: must be of type integer, not string'
