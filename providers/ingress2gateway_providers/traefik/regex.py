"""Regular expressions of the input, checked with RE2 (Go's ``regexp`` and Envoy share its
syntax): an expression RE2 refuses is reported, never copied into the output."""

from __future__ import annotations

import functools

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # an invalid expression of the input is no stderr message


@functools.lru_cache(maxsize=4096)
def re2_problem(pattern: str) -> str | None:
    """Why RE2 cannot compile ``pattern``, or None."""
    if "\x00" in pattern or len(pattern) > 4096:
        return "is not an expression this converter carries (NUL or longer than 4096)"
    try:
        re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        return f"is not an RE2 regular expression ({text})"
    except Exception:  # the binding raises other errors on some byte sequences
        return "is not an RE2 regular expression"
    return None
