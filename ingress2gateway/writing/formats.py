"""Writing objects: kubectl-style YAML, a ``v1 List`` in JSON, KYAML, or a directory of files.

YAML looks like ``kubectl get -o yaml``: keys sorted at every level, indentless sequences,
``---`` *between* documents, strings that would read back as something else double-quoted,
multi-line strings as literal blocks, no line wrapping.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ingress2gateway.errors import I2GError
from ingress2gateway.objects import JSONDict, is_label
from ingress2gateway.scaling.gc_pause import gc_paused
from ingress2gateway.writing import yaml_writer as yamlout

FORMATS = ("yaml", "json", "kyaml")
_SURROGATE = re.compile("[\ud800-\udfff]")


def to_yaml(obj: Any) -> str:
    """One object as kubectl-style YAML (see :mod:`ingress2gateway.writing.yaml_writer`)."""
    return yamlout.to_yaml(obj)


def encode(obj: JSONDict, format: str) -> str:
    """One object as a document of ``format``; :func:`join` makes a stream of such documents.

    Encoding objects one at a time lets a caller write each as soon as it exists and let the
    object go (what the CLI does at scale) instead of holding every output object at once.
    """
    if format == "yaml":
        return yamlout.to_yaml(obj)
    if format == "json":
        text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
        if _SURROGATE.search(text):
            # Half a surrogate pair (a library caller's string) cannot be written as UTF-8.
            text = json.dumps(obj, indent=4, sort_keys=True)
        return text + "\n"
    if format == "kyaml":
        from ingress2gateway.writing.kyaml import to_kyaml

        return to_kyaml(obj)
    raise _unknown(format)


def join(documents: Iterable[str], format: str) -> str:
    """A stream of documents from :func:`encode`: YAML with ``---`` between documents, KYAML
    documents one after the other, JSON as a ``v1 List`` (what ``kubectl get -o json`` prints)."""
    parts: list[str] = []
    stream = DocumentStream(format, parts.append)
    for document in documents:
        stream.add(document)
    stream.close()
    return "".join(parts)


class DocumentStream:
    """Writes documents from :func:`encode` as one stream (see :func:`join`) as they come."""

    def __init__(self, format: str, write: Callable[[str], object]) -> None:
        if format not in FORMATS:
            raise _unknown(format)
        self.format = format
        self.count = 0
        self._write = write

    def add(self, document: str) -> None:
        if self.format == "json":
            if not self.count:
                self._write('{\n    "apiVersion": "v1",\n    "items": [\n')
            else:
                self._write(",\n")
            # Each document is already indented by 4; a List item sits 8 deeper than its key.
            self._write(_indent(document.rstrip("\n"), "        "))
        elif self.format == "yaml" and self.count:
            self._write("---\n" + document)
        else:
            self._write(document)
        self.count += 1

    def close(self) -> None:
        if self.format == "json":
            self._write("\n    ]" if self.count else '{\n    "apiVersion": "v1",\n    "items": []')
            self._write(
                ',\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
            )


def _unknown(format: str) -> I2GError:
    return I2GError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}")


def _indent(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def dump(resources: Sequence[JSONDict], format: str = "yaml") -> str:
    """Serialise ``resources`` as ``yaml`` (a ``---`` stream), ``json`` (a v1 List) or ``kyaml``."""
    with gc_paused():
        return join([encode(obj, format) for obj in resources], format)


_FILE_STEM = re.compile(r"[a-z0-9][-a-z0-9.]*")
"""``<kind>-<name>`` of a Kubernetes object: no separator, never ``.`` or ``..``."""


def output_path(obj: JSONDict, format: str) -> Path:
    """``<namespace>/<kind>-<name>.<ext>`` (objects without a namespace at the top).

    Only Kubernetes names become paths: a namespace or name that could lead out of the
    directory (``..``, ``a/b``) is an error, whatever let it through (the CLI validates its
    name flags, but a library caller or an emitter may pass anything).
    """
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind", "object"))
    name = str(meta.get("name", "unnamed"))
    stem = f"{kind.lower()}-{name}"
    suffix = ".json" if format == "json" else ".yaml"
    namespace = meta.get("namespace")
    if (namespace and not (isinstance(namespace, str) and is_label(namespace))) or not (
        _FILE_STEM.fullmatch(stem)
    ):
        where = f"{namespace}/{name}" if namespace else name
        raise I2GError(
            f"cannot write {kind} {where}: its namespace and name cannot be a file name under "
            "the output directory (they are not Kubernetes names)"
        )
    return Path(namespace, stem + suffix) if namespace else Path(stem + suffix)


def write_output_dir(
    resources: Sequence[JSONDict], directory: str | os.PathLike[str], format: str
) -> list[Path]:
    """Write one file per object. Everything is rendered first, then each file is written to a
    temporary name and renamed into place, so a failure never leaves a half-written file."""
    return write_documents(
        [(output_path(obj, format), encode(obj, format)) for obj in resources], directory
    )


def write_documents(
    documents: Iterable[tuple[Path, str]], directory: str | os.PathLike[str]
) -> list[Path]:
    """Write encoded documents to their relative paths under ``directory`` (see
    :func:`write_output_dir`)."""
    return [write_document(directory, relative, text) for relative, text in documents]


def write_document(directory: str | os.PathLike[str], relative: Path, text: str) -> Path:
    """Write one file under ``directory``, whole or not at all (see :mod:`ingress2gateway.writing.atomic`;
    not synced to the disk one by one, which would cost more than the conversion)."""
    from ingress2gateway.writing.atomic import write_text

    return write_text(Path(directory) / relative, text, what="output", make_parents=True)
