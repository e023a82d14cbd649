"""A direct writer for kubectl-style YAML.

PyYAML's dumper builds a node graph and an event stream for every document and calls back into
Python for every string; on 25,000 output objects that was the largest single cost of ``print``.
Output here is plain JSON-like data (dicts, lists, strings, numbers, booleans, None), so this
writes it directly, in the layout ``kubectl get -o yaml`` uses: keys sorted at every level,
two-space indent, sequences not indented under their key, strings plain when they read back as
the same string, single-quoted when they only need protection from YAML indicators,
double-quoted (with escapes) when they would read as something else or hold characters YAML
cannot carry raw, literal blocks for multi-line text. A property test checks that every output
loads back to the data it came from, and golden tests fix the layout.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from ingress2gateway.writing.plain_scalars import needs_double_quotes

# Plain scalars: a conservative subset of what YAML allows unquoted. No indicator at the start,
# no ": " or " #" inside, no trailing ":" or space, printable ASCII and common Unicode only.
_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^\n\r\t:#]|:(?=\S)|(?<=\S)#)*(?<![\s:])")
_SAFE_SINGLE = re.compile("[^\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*")
_DOUBLE_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_BLOCK_SAFE_LINE = re.compile(
    r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]*\Z"
)


@functools.lru_cache(maxsize=1 << 16)
def scalar_text(text: str) -> str:
    """How a string value (or key) is written, without any line layout."""
    if needs_double_quotes(text):
        return _double(text)
    if not _SAFE_SINGLE.fullmatch(text):
        return _double(text)
    if _PLAIN.fullmatch(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def _double(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return _DOUBLE_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _block(text: str, indent: str) -> str | None:
    """A literal block (``|`` / ``|-``) for multi-line text, or None if one cannot carry it."""
    if text.endswith("\n\n") or text.startswith((" ", "\n")) or "\r" in text:
        return None
    chomp = "" if text.endswith("\n") else "-"
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if any(line.endswith((" ", "\t")) or not _BLOCK_SAFE_LINE.fullmatch(line) for line in lines):
        return None
    return f"|{chomp}\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        # YAML 1.1 floats need a dot: 1e-05 would read back as a string.
        text = repr(value).lower()
        if "." not in text:
            text = text.replace("e", ".0e", 1) if "e" in text else text + ".0"
        return text
    return scalar_text(str(value))


def _write(value: Any, indent: str, out: list[str]) -> None:
    """Write the block form of a non-empty mapping or sequence, each line at ``indent``."""
    if isinstance(value, dict):
        deeper = indent + "  "
        try:
            keys = sorted(value)  # JSON keys are strings: no key function needed
        except TypeError:
            keys = []
        if (keys and type(keys[0]) is not str) or len(keys) != len(value):
            keys = sorted(value, key=str)  # anything else sorts by its text, as it is written
        for key in keys:
            item = value[key]
            head = f"{indent}{scalar_text(key if type(key) is str else str(key))}:"
            # Most values are one-line strings or integers (ports, weights): written here,
            # without the general path below.
            kind = type(item)
            if kind is str and "\n" not in item:
                out.append(f"{head} {scalar_text(item)}\n")
            elif kind is int:
                out.append(f"{head} {item}\n")
            elif isinstance(item, dict) and item:
                out.append(head + "\n")
                _write(item, deeper, out)
            elif isinstance(item, list) and item:
                out.append(head + "\n")
                _write(item, indent, out)  # kubectl does not indent a sequence under its key
            else:
                out.append(f"{head} {_inline(item, deeper)}\n")
    else:
        for item in value:
            kind = type(item)
            if kind is str and "\n" not in item:
                out.append(f"{indent}- {scalar_text(item)}\n")
            elif isinstance(item, (dict, list)) and item:
                # "- " then the item's first line on the same line, the rest indented by 2.
                first = len(out)
                _write(item, indent + "  ", out)
                out[first] = f"{indent}- {out[first][len(indent) + 2 :]}"
            else:
                out.append(f"{indent}- {_inline(item, indent + '  ')}\n")


def _inline(value: Any, indent: str) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and "\n" in value:
        block = _block(value, indent)
        if block is not None:
            return block
    return _scalar(value)


def to_yaml(obj: Any) -> str:
    """One document (no ``---``) in kubectl's layout."""
    if isinstance(obj, (dict, list)) and obj:
        out: list[str] = []
        _write(obj, "", out)
        return "".join(out)
    return _inline(obj, "") + "\n"
