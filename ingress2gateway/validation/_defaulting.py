"""Structural defaulting, as the apiserver applies it to a custom resource before validation.

Top-down: a missing property (or a ``null`` one that is not ``nullable``) gets a deep copy of its
``default``, then defaulting continues inside the value — so a defaulted ``rules`` list gets its
``matches`` defaulted too. ``null`` values of non-nullable properties without a default are
pruned, as the apiserver does. Several CEL rules depend on defaults (``kind: Service`` on
backendRefs, ``path.type: PathPrefix``), so validation always runs on the defaulted copy.
"""

from __future__ import annotations

import copy
from typing import Any

from ._schema import Node

_ABSENT: Any = object()


def apply_defaults(value: Any, node: Node) -> None:
    """Default *value* in place (callers pass a copy: the user's object is never mutated)."""
    if isinstance(value, dict):
        for name, prop in node.properties.items():
            current = value.get(name, _ABSENT)
            if current is _ABSENT or (current is None and not prop.nullable):
                if prop.has_default:
                    value[name] = copy.deepcopy(prop.default)
                elif current is None:
                    del value[name]
        if node.additional is not None and not node.additional.nullable:
            for name in [k for k, v in value.items() if v is None and k not in node.properties]:
                del value[name]
        for name, item in value.items():
            prop_or_map = node.properties.get(name) or node.additional
            if prop_or_map is not None:
                apply_defaults(item, prop_or_map)
    elif isinstance(value, list) and node.items is not None:
        items = node.items
        for index, item in enumerate(value):
            if item is None and not items.nullable and items.has_default:
                value[index] = copy.deepcopy(items.default)
            apply_defaults(value[index], items)


def defaulted_copy(value: Any, node: Node) -> Any:
    """``apply_defaults(copy.deepcopy(value), node); return value``, in one pass and cheaper.

    Dicts and lists the schema describes are copied (with the same key order as
    :func:`apply_defaults` leaves them: existing keys first, then defaulted ones in schema order);
    values the schema does not describe, and the parts of ``default`` values it does not
    describe, are shared with the input rather than copied: the validation stages after
    defaulting only read them.
    """
    if isinstance(value, dict):
        properties, additional = node.properties, node.additional
        prune = additional is not None and not additional.nullable
        out: dict[str, Any] = {}
        for name, item in value.items():
            prop = properties.get(name)
            if prop is not None:
                if item is None:
                    if prop.nullable:
                        out[name] = None
                    elif prop.has_default:
                        out[name] = defaulted_copy(prop.default, prop)
                    # else: null without a default is pruned
                elif prop.leaf:
                    out[name] = item  # nothing below it to default
                else:
                    out[name] = defaulted_copy(item, prop)
            elif additional is not None:
                if item is None and prune:
                    continue
                out[name] = defaulted_copy(item, additional)
            else:
                out[name] = item
        for name, prop in node.with_default:
            if name not in value:
                out[name] = defaulted_copy(prop.default, prop)
        return out
    if isinstance(value, list):
        items = node.items
        if items is None:
            return value
        fill = not items.nullable and items.has_default
        if items.leaf and not fill:
            return value  # nothing to default in the items: shared, like the parts without schema
        return [
            defaulted_copy(items.default if item is None and fill else item, items)
            for item in value
        ]
    return value
