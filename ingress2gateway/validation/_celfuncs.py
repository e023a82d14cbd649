"""Kubernetes CEL library functions that cel-python lacks, as the vendored CRD rules use them.

Kubernetes adds the cel-go ``strings`` extension (``split``, ``substring``, ``lowerAscii`` …) and
its own libraries (``isIP``, ``format.dns1123Label()``). cel-python dispatches a method call
``x.f(a)`` to the function ``f(x, a)``, so each is a plain function taking the receiver first.
Errors are returned as :class:`CELEvalError` values, as cel-python's own functions do.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

from ingress2gateway.objects import is_label

FORMAT_LIBRARY = celtypes.StringType("k8s-format-library")
"""The value bound to the identifier ``format`` (receiver of ``format.dns1123Label()``)."""

_DNS1123_LABEL_FORMAT = celtypes.StringType("dns1123Label")


def split(text: Any, separator: Any, limit: Any = None) -> Any:
    if not isinstance(text, str) or not isinstance(separator, str):
        return CELEvalError("no such overload", TypeError, ("split",))
    if limit is None or int(limit) < 0:
        parts = text.split(separator) if separator else list(text)
    elif int(limit) == 0:
        parts = []
    elif separator:
        parts = text.split(separator, int(limit) - 1)
    else:
        head = list(text[: int(limit) - 1])
        parts = [*head, text[int(limit) - 1 :]] if len(text) >= int(limit) else list(text)
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def substring(text: Any, start: Any, end: Any = None) -> Any:
    # Indices are code points, as in cel-go; out-of-range is an error, not a clamp.
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("substring",))
    stop = len(text) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(text):
        return CELEvalError(
            f"index out of range: substring({int(start)}, {stop}) of length {len(text)}",
            IndexError,
            ("substring",),
        )
    return celtypes.StringType(text[int(start) : stop])


def _ascii_case(text: Any, upper: bool) -> Any:
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("lowerAscii/upperAscii",))
    # Only ASCII letters change, unlike str.lower()/upper().
    table = _UPPER if upper else _LOWER
    return celtypes.StringType(text.translate(table))


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def lower_ascii(text: Any) -> Any:
    return _ascii_case(text, upper=False)


def upper_ascii(text: Any) -> Any:
    return _ascii_case(text, upper=True)


def is_ip(text: Any) -> Any:
    """Kubernetes ``isIP``: IPv4 or IPv6, no zone, no IPv4-mapped IPv6 form."""
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("isIP",))
    if "%" in text:
        return celtypes.BoolType(False)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return celtypes.BoolType(False)
    mapped = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
    return celtypes.BoolType(not mapped)


def dns1123_label(library: Any) -> Any:
    if library != FORMAT_LIBRARY:
        return CELEvalError("no such overload", TypeError, ("dns1123Label",))
    return _DNS1123_LABEL_FORMAT


def validate_format(fmt: Any, text: Any) -> Any:
    """``<format>.validate(s)``: null when valid, else the list of problems.

    Kubernetes returns ``optional.none()`` / ``optional.of(errors)``; the vendored rule only
    compares the result with ``null``, which this keeps meaningful.
    """
    if fmt != _DNS1123_LABEL_FORMAT or not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("validate",))
    if is_label(text):
        return None
    return celtypes.ListType([celtypes.StringType("must be a lowercase RFC 1123 label")])


FUNCTIONS: dict[str, Any] = {
    "split": split,
    "substring": substring,
    "lowerAscii": lower_ascii,
    "upperAscii": upper_ascii,
    "isIP": is_ip,
    "dns1123Label": dns1123_label,
    "validate": validate_format,
}
