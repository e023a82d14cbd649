"""KYAML output (``kubectl -o kyaml``, Kubernetes 1.34+): a strict, unambiguous YAML subset.

Every document starts with ``---``; mappings are always ``{}`` and lists ``[]`` with one entry
per line, each followed by a comma; string values are always double-quoted; keys are bare unless
they could read as something other than a string; a list of mappings is "cuddled" (``[{`` …
``}, {`` … ``}]``). The result is plain YAML, so any YAML reader loads it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ingress2gateway.writing.plain_scalars import reads_as_string

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:[-./][A-Za-z0-9_]+)*\Z")
_AMBIGUOUS_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}

INDENT = "  "
# Characters YAML does not allow unescaped (or reads as line breaks), which json.dumps(ensure_ascii=False) leaves as is.
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _key(key: object) -> str:
    text = str(key)
    if _BARE_KEY.fullmatch(text) and text.lower() not in _AMBIGUOUS_WORDS and reads_as_string(text):
        return text
    return _quote(text)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return _quote(str(value))


def _render(value: Any, depth: int, out: list[str]) -> None:
    pad = INDENT * (depth + 1)
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for key in sorted(value, key=str):
            out.append(f"{pad}{_key(key)}: ")
            _render(value[key], depth + 1, out)
            out.append(",\n")
        out.append(INDENT * depth + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        if all(isinstance(item, dict) and item for item in value):
            # Cuddled: [{ ... }, { ... }] with the mappings' bodies one level in.
            out.append("[")
            for position, item in enumerate(value):
                if position:
                    out.append(", ")
                _render(item, depth, out)
            out.append("]")
            return
        out.append("[\n")
        for item in value:
            out.append(pad)
            _render(item, depth + 1, out)
            out.append(",\n")
        out.append(INDENT * depth + "]")
    else:
        out.append(_scalar(value))


def to_kyaml(obj: Any) -> str:
    out: list[str] = ["---\n"]
    _render(obj, 0, out)
    out.append("\n")
    return "".join(out)
