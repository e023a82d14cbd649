#!/usr/bin/env python3
"""Compile the CEL rules of every vendored CRD into ``validation/cel-compiled.json.gz``.

Every schema node with ``x-kubernetes-validations`` in every vendored catalog (each Gateway
API tag and channel, Envoy Gateway) is compiled the way ``validation._cel.node_rules`` would
compile it at run time, and its generated source and constant recipes are stored under the
node's fingerprint, with the rules cel-python cannot parse (CEL's optional syntax), which
are left unchecked (see ``ingress2gateway/validation/_celcache.py``). Nodes whose rules the
compiler cannot all translate are left out (they are compiled at run time, as before).

Output is deterministic (sorted keys, gzip mtime 0). ``--check`` exits 1 when the committed file
differs from what this script would write (after decompression): run it in CI, and run the script
after changing the CEL compiler or the vendored schemas.

Usage: ``python scripts/gen_cel_cache.py [--check]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from typing import Any

from ingress2gateway.validation import _catalog
from ingress2gateway.validation._cel import compile_node_rules, unchecked_in
from ingress2gateway.validation._celcache import (
    CACHE_FILE,
    document,
    fingerprint,
    nodes_with_rules,
)
from ingress2gateway.validation._schema import compile_schema


def compiled_nodes() -> tuple[dict[str, tuple[str, list[Any]]], dict[str, dict[str, str]]]:
    """Fingerprint → generated source and constants, and fingerprint → unparseable rules."""
    found: dict[str, tuple[str, list[Any]]] = {}
    unchecked: dict[str, dict[str, str]] = {}
    seen: set[int] = set()
    for ref in _catalog.index():
        catalog = _catalog.load(ref)
        for crd in catalog.crds.values():
            for version in crd.versions.values():
                for node in nodes_with_rules(compile_schema(version.schema), seen):
                    assert node.schema is not None
                    compiled, complete = compile_node_rules(node)
                    if complete:
                        recipes = [list(recipe) for recipe in compiled.recipes]
                        found[fingerprint(node.schema)] = (compiled.source, recipes)
                        if skipped := unchecked_in(node):
                            unchecked[fingerprint(node.schema)] = skipped
    return found, unchecked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs")
    args = parser.parse_args()
    content = document(*compiled_nodes())
    text = json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.check:
        try:
            committed = gzip.decompress(CACHE_FILE.read_bytes()).decode()
        except OSError:
            committed = ""
        if committed != text:
            print(
                f"{CACHE_FILE} is out of date: run python scripts/gen_cel_cache.py", file=sys.stderr
            )
            return 1
        print(f"compiled CEL rules up to date ({len(content['nodes'])} nodes)")
        return 0
    CACHE_FILE.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"wrote {CACHE_FILE} ({len(content['nodes'])} nodes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
