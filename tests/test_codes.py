"""Every notification code the source uses is documented: the core's in reporting/codes.py,
a provider's or emitter's in its own ``codes`` (the core names none of them)."""

from __future__ import annotations

import re
from pathlib import Path

from ingress2gateway import registry
from ingress2gateway.registry import describe, plugin_codes
from ingress2gateway.reporting.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = ROOT / "providers" / "ingress2gateway_providers"
# report.error("code", ...), report.warning(...), report.info(...), report.notify(level, "code",
# ...), and codes named by a constant (SHA_ONLY_CODE = "eg-basic-auth-sha-only")
_CALL = re.compile(
    r"""\.(?:error|warning|info)\(\s*["']([a-z][a-z0-9-]+)["']|\.notify\(\s*[^,]+,\s*["']([a-z][a-z0-9-]+)["']"""
    r"""|^[A-Z_]*CODE\s*=\s*["']([a-z][a-z0-9-]+)["']""",
    re.MULTILINE,
)
# Which package's codes a plug-in documents: (directory, provider or emitter), for every
# built-in one: a provider package is named as the provider, an emitter package as the emitter
# with ``_`` for ``-``.
_OWNERS = {
    **{
        package: registry.load_provider(package.name)
        for package in sorted(PROVIDERS.iterdir())
        if (package / "__init__.py").exists()
    },
    **{
        package: registry.load_emitter(package.name.replace("_", "-"))
        for package in sorted((ROOT / "ingress2gateway" / "emitters").iterdir())
        if (package / "__init__.py").exists()
    },
}


def used_codes(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for match in re.finditer(_CALL, path.read_text()):
            found.add(match.group(1) or match.group(2) or match.group(3))
    return found


def _core_files() -> list[Path]:
    owned = tuple(_OWNERS)
    return [
        path
        for path in ROOT.glob("ingress2gateway/**/*.py")
        if not any(path.is_relative_to(directory) for directory in owned)
    ]


def test_every_code_the_core_uses_is_a_core_code() -> None:
    used = used_codes(_core_files())
    assert used, "the scan found no codes: the pattern is broken"
    assert sorted(used - set(CODES)) == []


def test_every_code_a_plugin_uses_is_the_cores_or_its_own() -> None:
    for directory, plugin in _OWNERS.items():
        used = used_codes(list(directory.rglob("*.py")))
        assert used, directory
        assert sorted(used - set(CODES) - set(plugin.codes)) == [], plugin.name


def test_no_two_plugins_claim_a_code() -> None:
    seen: set[str] = set()
    for plugin in _OWNERS.values():
        assert not seen & set(plugin.codes)
        seen |= set(plugin.codes)


def test_codes_are_kebab_case() -> None:
    codes = {**CODES, **plugin_codes()}
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", code) for code in codes)


def test_a_plugin_code_is_described_with_its_plugin() -> None:
    assert describe("input-invalid") == CODES["input-invalid"]
    assert describe("kong-value-invalid").startswith("(kong) A konghq.com annotation")
    assert describe("eg-policy-conflict").startswith("(envoy-gateway) ")
    assert describe("no-such-code") == "no-such-code"
