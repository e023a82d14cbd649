r"""Text from the input, made safe to show on a terminal or in a CI log.

Object names, annotation values and file names reach the human report, ``check``'s text,
``diff``'s text and ``error: …`` lines. Raw, an ESC sequence in a name would drive the
terminal (clear it, rewrite earlier lines, set its title), a CR would overwrite the line it is
on, and a line break would forge a report line of its own. Bidirectional overrides would show
text in an order other than the one it has (the "Trojan Source" characters, CVE-2021-42574).

:func:`printable` is applied where text is rendered for people, once per line, never
scattered through the code that builds messages. It writes each such character as a Python-style
escape (``\x1b``, ``\n``, ``\u202e``); everything else, including backslashes and any other
Unicode, is left as it is. JSON and SARIF outputs need none of this: ``json.dumps`` escapes
control characters itself.
"""

from __future__ import annotations

import re

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 (with TAB, LF, CR, ESC), DEL and C1 (8-bit CSI is \x9b)
    "\u2028\u2029"  # LINE SEPARATOR, PARAGRAPH SEPARATOR: line breaks to many viewers
    "\u061c\u200e\u200f"  # bidirectional marks
    "\u202a-\u202e\u2066-\u2069]"  # bidirectional embeddings, overrides and isolates
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control, line-separating and bidirectional characters escaped."""
    # Every character escaped here is one str.isprintable() refuses: nearly all text is
    # printable, and that check runs at C speed (the report can have a million lines).
    if text.isprintable():
        return text
    return UNSAFE.sub(_escape, text)
