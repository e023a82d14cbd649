"""Which strings YAML readers would not read back as the same string.

kubectl's YAML (go-yaml v2, YAML 1.1) reads ``y``/``n``/``on``/``off``, dot-less floats like
``1e3`` and ``0o17`` octals as non-strings, on top of what PyYAML's resolver knows; such
strings, and the empty string, are written double-quoted.
"""

from __future__ import annotations

import re

import yaml

_GO_YAML_BOOLS = frozenset(
    {
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
    }
)
_FLOATISH = re.compile(
    r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z|^0o[0-7]+\Z|^[-+]?\.(inf|Inf|INF)\Z|^\.(nan|NaN|NAN)\Z"
)
_RESOLVER = yaml.resolver.Resolver()


def reads_as_string(text: str) -> bool:
    """Whether a plain (unquoted) YAML 1.1 scalar ``text`` reads back as a string."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag == "tag:yaml.org,2002:str"


def needs_double_quotes(text: str) -> bool:
    if text == "" or text in _GO_YAML_BOOLS or _FLOATISH.match(text):
        return True
    return not reads_as_string(text)
