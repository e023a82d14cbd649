"""How Cilium reads annotation values (``operator/pkg/ingress/annotations/annotations.go``).

Each reader returns what the operator would make of the value: a key is read under its
``ingress.cilium.io/`` name first, then under its ``io.cilium.ingress/`` alias
(``pkg/annotation.Get`` takes the first key present).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def first_key(annotations: Mapping[str, str], *keys: str) -> str | None:
    """The first of ``keys`` present on the object (primary name before alias)."""
    for key in keys:
        if key in annotations:
            return key
    return None


def parse_bool(value: str) -> bool | None:
    """Go's ``strconv.ParseBool``: None where it returns an error."""
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    return None


def switch(value: str) -> bool | None:
    """``enabled`` / ``disabled`` or a ParseBool value; None for anything else (Cilium then
    behaves as if the annotation were absent)."""
    if value == "enabled":
        return True
    if value == "disabled":
        return False
    return parse_bool(value)


def int32(value: str) -> int | None:
    """``strconv.ParseInt(value, 10, 32)``: None where it fails."""
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        return None
    number = int(value)
    return number if -(2**31) <= number < 2**31 else None


_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_ns(value: str) -> int | None:
    """Go's ``time.ParseDuration`` in nanoseconds (rounded down), None where it fails."""
    text = value
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        return None
    total = 0
    position = 0
    while position < len(text):
        found = _PART.match(text, position)
        if found is None or found.group(1) in ("", "."):
            return None
        number, unit = found.group(1), found.group(2)
        whole, _, fraction = number.partition(".")
        scale = _UNIT_NS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // (10 ** len(fraction))
        position = found.end()
    if total > 2**63 - 1:
        return None
    return sign * total


def gateway_duration(nanoseconds: int) -> str | None:
    """A Gateway API Duration (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``) for a non-negative length of
    time in whole milliseconds, or None when it has none (sub-millisecond part, too long)."""
    if nanoseconds < 0 or nanoseconds % 1_000_000:
        return None
    millis = nanoseconds // 1_000_000
    if millis == 0:
        return "0s"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    parts = [
        f"{amount}{unit}"
        for amount, unit in ((hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms"))
        if amount
    ]
    if hours > 99_999:
        return None
    return "".join(parts)
