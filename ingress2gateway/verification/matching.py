"""Matching helpers both sides of ``verify`` use: host names and regular expressions."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def host_matches(pattern: str, host: str) -> bool:
    """Whether ``host`` is ``pattern``, or falls under its ``*.`` wildcard (one label or more:
    ``*.a.com`` takes ``x.a.com`` and ``x.y.a.com``, not ``a.com``). Case-insensitive."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


@lru_cache(maxsize=4096)
def compiled_re2(pattern: str) -> Any:
    """``pattern`` compiled with RE2 (Envoy's engine), Python's ``re`` where the binding is
    missing, or None when it does not compile."""
    try:
        import re2

        options = re2.Options()
        options.log_errors = False  # an invalid expression of the input is no stderr message
        return re2.compile(pattern, options)
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        pass
    except Exception:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def regex_full_match(pattern: str, text: str) -> bool:
    """Envoy's ``safe_regex``: the whole of ``text`` matches ``pattern`` (RE2)."""
    compiled = compiled_re2(pattern)
    try:
        return compiled is not None and compiled.fullmatch(text) is not None
    except UnicodeEncodeError:  # a lone surrogate is in no request (RE2 reads UTF-8)
        return False


@lru_cache(maxsize=4096)
def _pcre(pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    """``pattern`` as nginx's PCRE reads it, approximated by Python's ``re`` (both are
    backtracking engines with Perl syntax), or None when it does not compile."""
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, OverflowError, RecursionError):
        return None


def pcre_search(pattern: str, text: str, *, ignore_case: bool = False) -> re.Match[str] | None:
    """nginx's ``~`` / ``~*``: ``pattern`` found anywhere in ``text`` (anchor it with ``^``)."""
    compiled = _pcre(pattern, ignore_case)
    return None if compiled is None else compiled.search(text)
