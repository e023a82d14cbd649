"""Scans of input values that once backtracked: the one-pass versions find what the patterns
they replace found (Go's RE2 patterns in NGINX Inc's validation, the nginx snippet statement
pattern), on many generated strings. A hostile 100 KB annotation value made ``verify`` run
for minutes on the quadratic versions (scripts/hostile.py)."""

from __future__ import annotations

import random
import re

from ingress2gateway_providers.nginx.annotations.inc_hosts import _braces
from ingress2gateway_providers.nginx.model import snippets
from ingress2gateway_providers.nginx.model.inc_admission import _braced

_GO_BRACES = re.compile(r"\{(.*?)\}")  # NGINX Inc's pattern, as Go's regexp reads it
_OLD_STATEMENT = re.compile(r"\s*([^;{}]*?)\s*(;|\{|\})")


def _strings(alphabet: str, count: int = 5000) -> list[str]:
    rng = random.Random(21)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def _letters(contents: list[str]) -> bool:
    return any(re.search("[A-Za-z]", inside) for inside in contents)


def test_braces_holding_letters_are_found_as_the_go_pattern_finds_them() -> None:
    for text in _strings("{}a1\n/ "):
        expected = _letters(_GO_BRACES.findall(text))
        assert _letters(_braced(text)) is expected, repr(text)
        assert _letters(_braces(text)) is expected, repr(text)


def test_snippet_statements_are_split_as_the_pattern_split_them() -> None:
    for text in _strings("{};a \n\tdeny"):
        expected = [(m.group(1), m.group(2)) for m in _OLD_STATEMENT.finditer(text)]
        assert list(snippets.statements(text)) == expected, repr(text)


def test_a_long_value_without_delimiters_is_one_statement() -> None:
    block = snippets.parse("deny " + "x" * 200_000)
    assert block.deny == []  # an unterminated statement is not a directive, as before
    assert snippets.parse("deny 10.0.0.0/8;").deny == ["10.0.0.0/8"]


def test_kong_sni_and_host_patterns_accept_what_kics_patterns_accept() -> None:
    """annotations.go validSNIs / validHosts, as Go reads them; the rewritten patterns repeat
    no group that can split a run of letters, so 'a' * 40 + '!' is refused at once."""
    from ingress2gateway_providers.kong.controller_model import translator

    kic_sni = re.compile(r"([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*")
    kic_host = re.compile(
        r"(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)+(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?"
    )
    for text in _strings("a1-.*", 20000):
        text = text[:12]  # the original patterns are exponential on long runs
        assert bool(translator._SNI.fullmatch(text)) == bool(kic_sni.fullmatch(text)), text
        assert bool(translator._HOST.fullmatch(text)) == bool(kic_host.fullmatch(text)), text
    assert translator._SNI.fullmatch("a" * 40_000 + "!") is None
    assert translator._HOST.fullmatch("a" * 40_000 + "!") is None
