"""Writing objects: kubectl-style YAML, a ``v1 List`` in JSON, KYAML, or a directory of files.

YAML looks like ``kubectl get -o yaml``: keys sorted at every level, indentless sequences,
``---`` *between* documents, strings that would read back as something else double-quoted,
multi-line strings as literal blocks, no line wrapping.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
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
    body = {
        "apiVersion": "v1",
        "items": list(resources),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    return json.dumps(body, indent=4, sort_keys=True, ensure_ascii=False) + "\n"


def dump(resources: Sequence[JSONDict], format: str = "yaml") -> str:
    """Serialise ``resources`` as ``yaml`` (a ``---`` stream), ``json`` (a v1 List) or ``kyaml``."""
    if format == "yaml":
        with gc_paused():
            return "---\n".join(to_yaml(obj) for obj in resources)
    if format == "json":
        return to_json_list(resources)
    if format == "kyaml":
        from ingress2gateway.kyaml import to_kyaml

        return "".join(to_kyaml(obj) for obj in resources)
    raise I2GError(f"unknown output format {format!r}; use one of {', '.join(FORMATS)}")


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
    root = Path(directory)
    rendered: list[tuple[Path, str]] = []
    for obj in resources:
        relative = output_path(obj, format)
        text = (
            json.dumps(obj, indent=4, sort_keys=True) + "\n"
            if format == "json"
            else dump([obj], format)
        )
        rendered.append((root / relative, text))
    written: list[Path] = []
    try:
        for path, text in rendered:
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
