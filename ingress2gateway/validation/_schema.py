"""CRD ``openAPIV3Schema`` compiled into a tree of :class:`Node` once per schema.

Walking typed nodes is much cheaper than re-reading dictionaries for every object, and it is
where the RE2 patterns are compiled (once). Schemas shared between versions (``v1`` and
``v1beta1``) are the same dict object in the catalog, so they compile to the same tree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import re2

_MISSING: Any = object()


def re2_tester(regex: Any, cache_size: int = 4096) -> Callable[[str], bool]:
    """``lambda text: regex.search(text) is not None``, without the wrapper's overhead.

    google-re2's ``search()`` builds a match object and converts byte offsets to character
    offsets, ~4 µs per call; asking the compiled RE2 for an unanchored match on the UTF-8 text
    (exactly what ``search()`` does first) costs ~0.8 µs, and generated objects repeat the same
    strings (header names, methods, hostnames' parts …), so answers are also remembered (up to
    *cache_size* strings per pattern, then forgotten at once). Falls back to ``search()`` when
    the installed module does not have that internal API.
    """
    regexp = getattr(regex, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if regexp is None or anchor is None or not hasattr(regexp, "Match"):
        search = regex.search
        return lambda text: search(text) is not None
    match = regexp.Match
    answers: dict[str, bool] = {}

    def test(text: str) -> bool:
        answer = answers.get(text)
        if answer is None:
            # surrogatepass: a library caller may hand over half a surrogate pair; RE2 sees
            # invalid UTF-8 there, as the API server sees U+FFFD (it matches no letter).
            encoded = text.encode("utf-8", "surrogatepass")
            answer = match(anchor, encoded, 0, len(encoded))[0][0] != -1
            if len(answers) >= cache_size:
                answers.clear()
            answers[text] = answer
        return answer

    return test


@cache
def pattern_test(pattern: str) -> Callable[[str], bool]:
    """The RE2 search of *pattern* (:func:`re2_tester`), compiled once per pattern and shared by
    the schema trees and the exact validator. RE2, as the apiserver (Go regexp): ``$`` does not
    match before a trailing newline."""
    return re2_tester(re2.compile(pattern))


@dataclass(frozen=True)
class Rule:
    """One ``x-kubernetes-validations`` entry."""

    rule: str
    message: str | None
    field_path: str | None
    is_transition: bool
    """Uses ``oldSelf``: only evaluated on update, so never here (we validate creates)."""


@dataclass(eq=False)
class Node:
    type: str | None = None
    nullable: bool = False
    int_or_string: bool = False
    preserve_unknown: bool = False
    embedded_resource: bool = False
    properties: dict[str, Node] = field(default_factory=dict)
    items: Node | None = None
    additional: Node | None = None
    additional_any: bool = False
    """``additionalProperties: true``: any value, unvalidated."""
    required: tuple[str, ...] = ()
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    test: Callable[[str], bool] | None = None
    """``re2.search(pattern, text) is not None``, fast (see :func:`pattern_test`)."""
    format: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    min_properties: int | None = None
    max_properties: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    multiple_of: float | None = None
    one_of: tuple[Node, ...] = ()
    any_of: tuple[Node, ...] = ()
    all_of: tuple[Node, ...] = ()
    not_: Node | None = None
    default: Any = _MISSING
    list_type: str | None = None
    list_map_keys: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    rules_below: bool = False
    """This node or a descendant has CEL rules (lets the CEL walk skip rule-free subtrees)."""
    with_default: tuple[tuple[str, Node], ...] = ()
    """The properties that have a ``default``, in schema order (for defaulting)."""
    leaf: bool = True
    """No properties, items or additional properties: defaulting never changes its values."""
    schema: Mapping[str, Any] | None = field(default=None, repr=False)
    """The schema this node was compiled from (it names the node's compiled CEL rules in the
    committed cache, see ``_celcache.py``)."""

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    @property
    def is_object(self) -> bool:
        return self.type == "object" or bool(self.properties)

    def child(self, name: str) -> Node | None:
        """The schema of property *name* (declared, or the map's value schema)."""
        return self.properties.get(name) or self.additional


_cache: dict[int, tuple[Mapping[str, Any], Node]] = {}


def compile_schema(schema: Mapping[str, Any]) -> Node:
    """Compile (once per schema object) a CRD schema into a :class:`Node` tree."""
    hit = _cache.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    node = _compile(schema)
    # Keep the schema alive with its tree so that id() cannot be reused by another object.
    _cache[id(schema)] = (schema, node)
    return node


def _compile(s: Mapping[str, Any]) -> Node:
    node = Node(
        schema=s,
        type=s.get("type"),
        nullable=bool(s.get("nullable", False)),
        int_or_string=bool(s.get("x-kubernetes-int-or-string", False)),
        preserve_unknown=bool(s.get("x-kubernetes-preserve-unknown-fields", False)),
        embedded_resource=bool(s.get("x-kubernetes-embedded-resource", False)),
        properties={name: _compile(sub) for name, sub in (s.get("properties") or {}).items()},
        required=tuple(s.get("required") or ()),
        format=s.get("format"),
        min_length=s.get("minLength"),
        max_length=s.get("maxLength"),
        min_items=s.get("minItems"),
        max_items=s.get("maxItems"),
        unique_items=bool(s.get("uniqueItems", False)),
        min_properties=s.get("minProperties"),
        max_properties=s.get("maxProperties"),
        minimum=s.get("minimum"),
        maximum=s.get("maximum"),
        exclusive_minimum=bool(s.get("exclusiveMinimum", False)),
        exclusive_maximum=bool(s.get("exclusiveMaximum", False)),
        multiple_of=s.get("multipleOf"),
        one_of=tuple(_compile(sub) for sub in s.get("oneOf") or ()),
        any_of=tuple(_compile(sub) for sub in s.get("anyOf") or ()),
        all_of=tuple(_compile(sub) for sub in s.get("allOf") or ()),
        not_=_compile(s["not"]) if "not" in s else None,
        default=s.get("default", _MISSING),
        list_type=s.get("x-kubernetes-list-type"),
        list_map_keys=tuple(s.get("x-kubernetes-list-map-keys") or ()),
        rules=tuple(
            Rule(
                rule=r["rule"],
                message=r.get("message"),
                field_path=r.get("fieldPath"),
                is_transition=_uses_old_self(r["rule"]),
            )
            for r in s.get("x-kubernetes-validations") or ()
        ),
    )
    if "enum" in s:
        node.enum = tuple(s["enum"])
    if "pattern" in s:
        node.pattern = s["pattern"]
        node.test = pattern_test(s["pattern"])
    if "items" in s and isinstance(s["items"], Mapping):
        node.items = _compile(s["items"])
    additional = s.get("additionalProperties")
    if isinstance(additional, Mapping):
        node.additional = _compile(additional)
    elif additional is True:
        node.additional_any = True
    node.with_default = tuple((n, p) for n, p in node.properties.items() if p.has_default)
    node.leaf = not node.properties and node.items is None and node.additional is None
    children = [*node.properties.values(), node.items, node.additional]
    node.rules_below = bool(node.rules) or any(c is not None and c.rules_below for c in children)
    return node


def _uses_old_self(rule: str) -> bool:
    return re2.search(r"\boldSelf\b", rule) is not None


def resolve(root: Node, path: str) -> Node | None:
    """Follow ``spec.rules[].filters[].type`` (``[]`` or ``[N]`` = list items) from *root*."""
    node: Node | None = root
    for segment in path.split("."):
        if node is None:
            return None
        name, _, rest = segment.partition("[")
        if name:
            if name not in node.properties:
                return None
            node = node.properties[name]
        while rest:
            # Each "[...]" steps into list items.
            if node is None or node.items is None:
                return None
            node = node.items
            _, _, rest = rest.partition("[")
    return node
