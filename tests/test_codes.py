from __future__ import annotations

import re
from pathlib import Path

from ingress2gateway.reporting.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
# report.error("code", ...), report.warning(...), report.info(...), report.notify(level, "code", ...)
_CALL = re.compile(
    r"""\.(?:error|warning|info)\(\s*["']([a-z][a-z0-9-]+)["']|\.notify\(\s*[^,]+,\s*["']([a-z][a-z0-9-]+)["']"""
)


def used_codes() -> set[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("ingress2gateway/**/*.py"), *ROOT.glob("providers/**/*.py")]:
        for match in _CALL.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_code_used_is_documented() -> None:
    used = used_codes()
    assert used, "the scan found no codes: the pattern is broken"
    assert sorted(used - set(CODES)) == []


def test_codes_are_kebab_case() -> None:
    assert all(re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", code) for code in CODES)
