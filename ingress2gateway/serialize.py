"""Writing objects: kubectl-style YAML, a ``v1 List`` in JSON, KYAML, or a directory of files.

YAML looks like ``kubectl get -o yaml``: keys sorted at every level, indentless sequences,
``---`` *between* documents, strings that would read back as something else double-quoted,
multi-line strings as literal blocks, no line wrapping.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ingress2gateway import yamlout
from ingress2gateway._gc import gc_paused
from ingress2gateway.errors import I2GError
from ingress2gateway.objects import JSONDict

FORMATS = ("yaml", "json", "kyaml")


def to_yaml(obj: Any) -> str:
    """One object as kubectl-style YAML (see :mod:`ingress2gateway.yamlout`)."""
    return yamlout.to_yaml(obj)


def to_json_list(resources: Sequence[JSONDict]) -> str:
    return join([encode(obj, "json") for obj in resources], "json")


def encode(obj: JSONDict, format: str) -> str:
    """One object as a document of ``format``; :func:`join` makes a stream of such documents.

    Encoding objects one at a time lets a caller write each as soon as it exists and let the
    object go (what the CLI does at scale) instead of holding every output object at once.
    """
    if format == "yaml":
        return yamlout.to_yaml(obj)
    if format == "json":
        return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False) + "\n"
    if format == "kyaml":
        from ingress2gateway.kyaml import to_kyaml

        return to_kyaml(obj)
    raise I2GError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}")


def join(documents: Sequence[str], format: str) -> str:
    """A stream of documents from :func:`encode`: YAML with ``---`` between documents, KYAML
    documents one after the other, JSON as a ``v1 List`` (what ``kubectl get -o json`` prints)."""
    return "".join(pieces(documents, format))


def pieces(documents: Sequence[str], format: str) -> Iterator[str]:
    """The text of :func:`join` in pieces, to write without building it whole."""
    if format == "json":
        yield '{\n    "apiVersion": "v1",\n    "items": ['
        for index, doc in enumerate(documents):
            # Each document is already indented by 4; a List item sits 8 deeper than its key.
            yield (",\n" if index else "\n") + _indent(doc.rstrip("\n"), "        ")
        yield "\n    ]" if documents else "]"
        yield ',\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
    elif format == "yaml":
        for index, doc in enumerate(documents):
            yield "---\n" + doc if index else doc
    elif format == "kyaml":
        yield from documents
    else:
        raise I2GError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}")


def _indent(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def dump(resources: Sequence[JSONDict], format: str = "yaml") -> str:
    """Serialise ``resources`` as ``yaml`` (a ``---`` stream), ``json`` (a v1 List) or ``kyaml``."""
    if format not in FORMATS:
        raise I2GError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}")
    with gc_paused():
        return join([encode(obj, format) for obj in resources], format)


def output_path(obj: JSONDict, format: str) -> Path:
    """``<namespace>/<kind>-<name>.<ext>`` (objects without a namespace at the top)."""
    meta = obj.get("metadata") or {}
    name = f"{str(obj.get('kind', 'object')).lower()}-{meta.get('name', 'unnamed')}"
    suffix = ".json" if format == "json" else ".yaml"
    namespace = meta.get("namespace")
    return Path(namespace, name + suffix) if namespace else Path(name + suffix)


def write_output_dir(
    resources: Sequence[JSONDict], directory: str | os.PathLike[str], format: str
) -> list[Path]:
    """Write one file per object. Everything is rendered first, then each file is written to a
    temporary name and renamed into place, so a failure never leaves a half-written file."""
    return write_documents(
        [(output_path(obj, format), encode(obj, format)) for obj in resources], directory
    )


def write_documents(
    documents: Sequence[tuple[Path, str]], directory: str | os.PathLike[str]
) -> list[Path]:
    """Write encoded documents to their relative paths under ``directory`` (see
    :func:`write_output_dir`)."""
    root = Path(directory)
    written: list[Path] = []
    try:
        for relative, text in documents:
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(path)
    except OSError as exc:
        raise I2GError(
            f"{exc.filename or directory}: cannot write output: {exc.strerror or exc}"
        ) from None
    return written
