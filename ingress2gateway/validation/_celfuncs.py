"""Kubernetes CEL library functions that cel-python lacks, as the vendored CRD rules use them.

Kubernetes adds the cel-go ``strings`` extension (``split``, ``substring``, ``lowerAscii`` …) and
its own libraries (``isIP``, ``format.dns1123Label()``, the URL library ``url``/``isURL`` and
its getters, which Istio's RequestAuthentication rules use; the quantity library, in
:mod:`._celquantity`). cel-python dispatches a method call
``x.f(a)`` to the function ``f(x, a)``, so each is a plain function taking the receiver first.
Errors are returned as :class:`CELEvalError` values, as cel-python's own functions do.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

from ingress2gateway.objects import is_label

from ._celquantity import QUANTITY_FUNCTIONS

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


def index_of(text: Any, part: Any, offset: Any = None) -> Any:
    # cel-go's strings extension: code-point indices; an offset outside the text is an error.
    return _find("indexOf", text, part, offset, last=False)


def last_index_of(text: Any, part: Any, offset: Any = None) -> Any:
    return _find("lastIndexOf", text, part, offset, last=True)


def _find(name: str, text: Any, part: Any, offset: Any, last: bool) -> Any:
    if not isinstance(text, str) or not isinstance(part, str):
        return CELEvalError("no such overload", TypeError, (name,))
    start = (len(text) if last else 0) if offset is None else int(offset)
    if not 0 <= start <= len(text):
        return CELEvalError(f"index out of range: {start}", IndexError, (name,))
    if last:
        # lastIndexOf(part, offset): the last occurrence starting at or before offset.
        found = str(text).rfind(str(part), 0, start + len(part))
    else:
        found = str(text).find(str(part), start)
    return celtypes.IntType(found)


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


class URLValue(celtypes.StringType):
    """A value of Kubernetes CEL's ``URL`` type (``url(s)``): the text, parsed by its getters."""


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _parsed_url(text: str) -> urllib.parse.SplitResult | None:
    """Kubernetes' ``url()`` accepts what Go's ``url.ParseRequestURI`` accepts: an absolute URI
    or an absolute path, no control characters, a host without spaces and a numeric port."""
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    scheme, colon, _ = text.partition(":")
    if colon and "/" not in scheme and not _SCHEME.fullmatch(scheme):
        return None
    if not (colon and _SCHEME.fullmatch(scheme)) and not text.startswith("/"):
        return None
    try:
        parts = urllib.parse.urlsplit(text, allow_fragments=False)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None
    if " " in parts.netloc:
        return None
    return parts


def url(text: Any) -> Any:
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("url",))
    if _parsed_url(str(text)) is None:
        return CELEvalError(f"URL parse error during conversion from string: {text}", ValueError)
    return URLValue(text)


def is_url(text: Any) -> Any:
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("isURL",))
    return celtypes.BoolType(_parsed_url(str(text)) is not None)


def _url_part(value: Any, name: str, part: Callable[[urllib.parse.SplitResult], str]) -> Any:
    parts = _parsed_url(str(value)) if isinstance(value, URLValue) else None
    if parts is None:
        return CELEvalError("no such overload", TypeError, (name,))
    return celtypes.StringType(part(parts))


# One module-level function per getter: cel-python's transpiler names a function by its module
# and qualified name, so a closure (``<locals>``) would not transpile.
def get_scheme(value: Any) -> Any:
    return _url_part(value, "getScheme", lambda parts: parts.scheme)


def get_host(value: Any) -> Any:
    return _url_part(value, "getHost", lambda parts: parts.netloc.rpartition("@")[2])


def get_hostname(value: Any) -> Any:
    return _url_part(value, "getHostname", _hostname)


def get_port(value: Any) -> Any:
    return _url_part(value, "getPort", _port)


def get_escaped_path(value: Any) -> Any:
    return _url_part(value, "getEscapedPath", lambda parts: parts.path)


def _hostname(parts: urllib.parse.SplitResult) -> str:
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rpartition(":")[0] if ":" in host else host


def _port(parts: urllib.parse.SplitResult) -> str:
    host = parts.netloc.rpartition("@")[2]
    tail = host.rpartition("]")[2] if host.startswith("[") else host
    return tail.rpartition(":")[2] if ":" in tail else ""


FUNCTIONS: dict[str, Any] = {
    "url": url,
    "isURL": is_url,
    "getScheme": get_scheme,
    "getHost": get_host,
    "getHostname": get_hostname,
    "getPort": get_port,
    "getEscapedPath": get_escaped_path,
    "split": split,
    "substring": substring,
    "indexOf": index_of,
    "lastIndexOf": last_index_of,
    "lowerAscii": lower_ascii,
    "upperAscii": upper_ascii,
    "isIP": is_ip,
    "dns1123Label": dns1123_label,
    "validate": validate_format,
    **QUANTITY_FUNCTIONS,
}
