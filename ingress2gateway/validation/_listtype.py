"""``x-kubernetes-list-type`` uniqueness: ``set`` items and ``map`` key tuples must not repeat.

The apiserver checks this after the schema and before CEL (errors here do not block CEL), e.g.
two listeners named ``http`` or two header matches for ``foo``.
"""

from __future__ import annotations

import json
from typing import Any

from ._openapi import show
from ._schema import Node
from ._violation import Findings, child_path, item_path

RULE = "list-type"


def check_list_types(value: Any, node: Node, path: str, out: Findings) -> None:
    if isinstance(value, list):
        if node.list_type == "set":
            _unique(value, [_key(item) for item in value], path, out)
        elif node.list_type == "map" and node.list_map_keys:
            keys = [
                _key([item.get(k) for k in node.list_map_keys]) if isinstance(item, dict) else None
                for item in value
            ]
            _unique(value, keys, path, out, node.list_map_keys)
        if node.items is not None:
            for index, item in enumerate(value):
                check_list_types(item, node.items, item_path(path, index), out)
    elif isinstance(value, dict):
        for name, item in value.items():
            prop = node.properties.get(name)
            if prop is not None:
                check_list_types(item, prop, child_path(path, name), out)
            elif node.additional is not None:
                check_list_types(item, node.additional, item_path(path, name), out)


def _key(value: Any) -> str:
    # JSON text as identity: bool/int stay distinct (True != 1) and dicts become hashable.
    return json.dumps(value, sort_keys=True)


def _unique(
    items: list[Any],
    keys: list[str | None],
    path: str,
    out: Findings,
    map_keys: tuple[str, ...] = (),
) -> None:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            shown = (
                show({k: items[index].get(k) for k in map_keys if k in items[index]})
                if map_keys
                else show(items[index])
            )
            out.add(item_path(path, index), f"Duplicate value: {shown}", RULE)
        seen.add(key)
