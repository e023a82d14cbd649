"""Providers and emitters are found by name; third-party plug-ins through entry points, and a
broken one is reported by name instead of breaking the tool."""

from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from ingress2gateway import registry
from ingress2gateway.errors import UsageError
from ingress2gateway.plugin import Emitter, Provider


class _Dist:
    def __init__(self, name: str) -> None:
        self.name = name


def _fake_entry_points(
    monkeypatch: pytest.MonkeyPatch, group_points: dict[str, list[tuple[str, str, str]]]
) -> None:
    def entry_points(group: str) -> list[Any]:
        found = []
        for name, value, dist in group_points.get(group, []):
            ep = EntryPoint(name, value, group)
            object.__setattr__(ep, "dist", _Dist(dist))
            found.append(ep)
        return found

    monkeypatch.setattr(registry, "entry_points", entry_points)
    registry._discover.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    registry._discover.cache_clear()
    yield
    registry._discover.cache_clear()


def test_builtins_satisfy_the_protocols() -> None:
    assert isinstance(registry.load_provider("nginx"), Provider)
    assert isinstance(registry.load_emitter("standard"), Emitter)
    assert registry.load_provider("ingress-nginx") is registry.load_provider("nginx")


def test_third_party_provider_is_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("thirdparty_haproxy")

    class Haproxy:
        name = "haproxy"
        aliases = ()
        description = "HAProxy ingress"
        resources = ()

        def convert(self, ctx: Any) -> None:
            return None

    module.PROVIDER = Haproxy()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "thirdparty_haproxy", module)
    _fake_entry_points(
        monkeypatch,
        {registry.PROVIDER_GROUP: [("haproxy", "thirdparty_haproxy:PROVIDER", "i2gw-haproxy")]},
    )
    assert "haproxy" in registry.provider_names()
    assert registry.load_provider("haproxy").name == "haproxy"


def test_own_entry_points_for_builtins_are_not_a_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch,
        {
            registry.PROVIDER_GROUP: [
                ("nginx", registry.BUILTIN_PROVIDERS["nginx"], "ingress2gateway")
            ]
        },
    )
    assert registry.load_provider("nginx").name == "nginx"


def test_a_name_clash_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch, {registry.PROVIDER_GROUP: [("nginx", "evil_pkg:PROVIDER", "evil")]}
    )
    with pytest.raises(UsageError, match="provided by several packages"):
        registry.load_provider("nginx")


def test_a_broken_plugin_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(
        monkeypatch,
        {registry.EMITTER_GROUP: [("broken", "no_such_module_xyz:EMITTER", "i2gw-broken")]},
    )
    assert "broken" in registry.emitter_names()
    with pytest.raises(
        UsageError,
        match=r"emitter 'broken' \(package i2gw-broken\) failed to load: ModuleNotFoundError",
    ):
        registry.load_emitter("broken")
    assert registry.load_emitter("standard").name == "standard"


def test_an_object_without_the_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("thirdparty_bad")
    module.PROVIDER = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "thirdparty_bad", module)
    _fake_entry_points(
        monkeypatch, {registry.PROVIDER_GROUP: [("bad", "thirdparty_bad:PROVIDER", "bad")]}
    )
    with pytest.raises(UsageError, match="does not implement the provider interface"):
        registry.load_provider("bad")
