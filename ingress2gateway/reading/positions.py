"""Where a field sits in a file: line and column of ``spec.rules[0].http.paths[1]``.

``check`` points at the annotation or field itself, not just the start of the document. The
fast reader (PyYAML) keeps no positions, so the few files ``check`` is given are read a second
time with ruamel.yaml's round-trip loader, which records the line and column of every key and
sequence item. It runs in pure Python (never the C extension that crashes on deep nesting),
only on files that produced findings, and any failure falls back to the document's line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def parse_field(path: str) -> list[str | int]:
    """``metadata.annotations[a.b/c]`` → ``["metadata", "annotations", "a.b/c"]``; ``[3]`` → 3."""
    tokens: list[str | int] = []
    for bracket, plain in _TOKEN.findall(path):
        if plain:
            tokens.append(plain)
        elif bracket.isdigit():
            tokens.append(int(bracket))
        else:
            tokens.append(bracket)
    return tokens


@lru_cache(maxsize=64)
def _documents(file: str) -> tuple[tuple[int, Any], ...]:
    """(first line, ruamel document) for each ``---`` document of ``file``."""
    from ruamel.yaml import YAML

    from ingress2gateway.reading.manifests import split_documents

    with open(file, encoding="utf-8") as handle:
        text = handle.read()
    loader = YAML(typ="rt", pure=True)
    docs: list[tuple[int, Any]] = []
    for first_line, doc in split_documents(text):
        docs.append((first_line, _load_quietly(loader, doc)))
    return tuple(docs)


def _load_quietly(loader: Any, doc: str) -> Any:
    try:
        return loader.load(doc)
    except Exception:  # positions are a nicety; the document's line remains
        return None


def locate(
    file: str | None,
    document: int,
    field: str | None,
    fallback_line: int | None,
    item: int | None = None,
) -> tuple[int, int]:
    """1-based (line, column) of ``field`` in document ``document`` of ``file``.

    ``item`` is the object's index in a ``kind: List`` document.
    """
    default = (fallback_line or 1, 1)
    if not file or file == "-" or not field or file.startswith("cluster:"):
        return default
    try:
        docs = _documents(file)
    except (OSError, UnicodeDecodeError, RecursionError):
        return default
    if document >= len(docs):
        return default
    first_line, node = docs[document]
    if node is None:
        return default
    position: tuple[int, int] | None = None
    tokens: list[str | int] = parse_field(field)
    if item is not None:
        tokens = ["items", item, *tokens]
    try:
        for token in tokens:
            if isinstance(token, int):
                if not isinstance(node, list) or token >= len(node):
                    break
                position = node.lc.item(token)  # type: ignore[attr-defined]
                node = node[token]
            else:
                if not isinstance(node, dict) or token not in node:
                    break
                position = node.lc.key(token)  # type: ignore[attr-defined]
                node = node[token]
    except (AttributeError, KeyError, TypeError, RecursionError):
        pass
    if position is None:
        return default
    line, column = position
    return first_line + line, column + 1
