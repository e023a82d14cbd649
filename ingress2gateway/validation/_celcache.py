"""The compiled CEL rules of the vendored CRDs, committed (``cel-compiled.json.gz``).

Compiling a schema node's rules (:func:`._cel.node_rules`) means building cel-python's parser
(0.08 s), parsing each rule and generating Python: about 0.2 s for what one conversion
needs, paid by every process that validates (each worker included). The vendored CRDs do not
change at run time, so ``scripts/gen_cel_cache.py`` compiles every node of every vendored
catalog once and commits each node's generated source and the recipes of its constants.
At run time a node is looked up by its fingerprint: the SHA-256 of its schema (its rules and
everything below them, which is all the compiler reads). An entry is used only if it was
made by the same compiler: the cache records a digest of the modules that generate the code
and of cel-python's version, and is ignored when they differ (a changed compiler compiles as
before, and CI's ``--check`` asks for the cache to be made again). A node that is not in the
cache (a schema from elsewhere) is compiled as before.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ._celcompile import function_from
from ._schema import Node

CACHE_FILE = Path(__file__).with_name("cel-compiled.json.gz")
_COMPILER_MODULES = ("_celcompile.py", "_celfuncs.py", "_celnames.py")


def fingerprint(schema: Mapping[str, Any]) -> str:
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@cache
def compiler_stamp() -> str:
    """What generated code depends on besides the schema: the modules that generate it and
    the cel-python that parses the rules."""
    import celpy

    digest = hashlib.sha256(getattr(celpy, "__version__", "?").encode())
    for name in _COMPILER_MODULES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


@cache
def _entries() -> Mapping[str, Mapping[str, Any]]:
    try:
        data = json.loads(gzip.decompress(CACHE_FILE.read_bytes()))
        stamp = compiler_stamp()
    except (OSError, ValueError):  # not installed with the package, unreadable: compile
        return {}
    if data.get("compiler") != stamp:
        return {}
    entries: Mapping[str, Mapping[str, Any]] = data.get("nodes", {})
    return entries


def cached_checker(node: Node) -> Callable[[Any], Any] | None:
    """The function :func:`._celcompile.compile_node` would make for all of ``node``'s rules,
    from the cache, or None when the cache does not have it."""
    if node.schema is None:
        return None
    entry = _entries().get(fingerprint(node.schema))
    if entry is None:
        return None
    return function_from(entry["source"], [tuple(recipe) for recipe in entry["constants"]])


def cached_unchecked(node: Node) -> Mapping[str, str] | None:
    """The rules of ``node`` the cached checker leaves out because cel-python cannot parse
    them (rule text → the parse error), or None when the cache does not have the node.

    Stored with the node so that preparing the validator never builds the CEL parser."""
    if node.schema is None:
        return None
    entry = _entries().get(fingerprint(node.schema))
    if entry is None:
        return None
    unchecked: Mapping[str, str] = entry.get("unchecked", {})
    return unchecked


def nodes_with_rules(node: Node, seen: set[int] | None = None) -> Iterator[Node]:
    """Every node with rules at or below ``node``, each once (``seen``: ids already given)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.rules:
        yield node
    for child in (*node.properties.values(), node.items, node.additional):
        if child is not None and child.rules_below:
            yield from nodes_with_rules(child, seen)


def document(
    nodes: Mapping[str, tuple[str, list[Any]]],
    unchecked: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The cache file's content for ``nodes`` (fingerprint → source and constant recipes, and
    the node's unparseable rules where it has any: see :func:`cached_unchecked`)."""
    unchecked = unchecked or {}
    return {
        "generator": "scripts/gen_cel_cache.py",
        "note": (
            "Python generated from the x-kubernetes-validations rules of the vendored CRDs "
            "(schemas/: see PROVENANCE.json and LICENSE there)."
        ),
        "compiler": compiler_stamp(),
        "nodes": {
            key: {"source": source, "constants": constants}
            | ({"unchecked": dict(sorted(unchecked[key].items()))} if unchecked.get(key) else {})
            for key, (source, constants) in sorted(nodes.items())
        },
    }
