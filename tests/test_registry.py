"""Providers and emitters are found by name through entry points only (the built-ins too); a
plug-in is checked against its protocol, and a broken one is reported by name in one line
instead of breaking the tool."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint
from types import MappingProxyType
from typing import Any

import pytest
from click.testing import CliRunner

from ingress2gateway import registry
from ingress2gateway.cli.commands import main
from ingress2gateway.errors import UsageError
from ingress2gateway.plugin import (
    Emitter,
    EmitterBase,
    OptionSpec,
    Provider,
    ProviderBase,
    protocol_members,
)


class _Dist:
    def __init__(self, name: str) -> None:
        self.name = name


def fake_entry_points(
    monkeypatch: pytest.MonkeyPatch,
    group_points: dict[str, list[tuple[str, str, str]]],
    keep_installed: bool = False,
) -> None:
    """Make ``registry`` see these entry points (name, ``module:attribute``, distribution),
    with or without the installed ones, as an installed package would declare them."""
    installed = registry.entry_points

    def entry_points(group: str) -> list[Any]:
        found = list(installed(group=group)) if keep_installed else []
        for name, value, dist in group_points.get(group, []):
            ep = EntryPoint(name, value, group)
            object.__setattr__(ep, "dist", _Dist(dist))
            found.append(ep)
        return found

    monkeypatch.setattr(registry, "entry_points", entry_points)
    registry.rediscover()


def plugin_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> None:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    registry.rediscover()
    yield
    registry.rediscover()


class Haproxy(ProviderBase):
    name = "haproxy"
    description = "HAProxy ingress"
    resources = ()

    def convert(self, ctx: Any) -> None:
        return None


def test_the_contract_declares_every_hook() -> None:
    """The members the registry checks are those of docs/plugins.md, no more, no fewer."""
    assert protocol_members(Provider) == (
        "name",
        "aliases",
        "description",
        "resources",
        "options",
        "codes",
        "intended_differences",
        "convert",
        "cluster_reads",
        "partition",
        "controller_model",
        "catalog_rows",
    )
    assert protocol_members(Emitter) == (
        "name",
        "description",
        "options",
        "codes",
        "ordered",
        "in_parts",
        "answers_closed_status",
        "emit",
        "carries",
    )


def test_builtins_satisfy_the_protocols() -> None:
    for name in registry.provider_names():
        assert isinstance(registry.load_provider(name), Provider)
    for name in registry.emitter_names():
        assert isinstance(registry.load_emitter(name), Emitter)
    assert {"nginx", "kong", "istio"} <= set(registry.provider_names())
    assert {"standard", "envoy-gateway"} <= set(registry.emitter_names())


def test_builtins_come_from_the_entry_points_only(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(monkeypatch, {})
    assert registry.provider_names() == [] and registry.emitter_names() == []
    with pytest.raises(UsageError) as caught:
        registry.load_provider("nginx")
    assert str(caught.value) == (
        "unknown provider 'nginx'; known providers: none (is ingress2gateway installed? "
        "pip install -e .)"
    )


def test_aliases_come_from_the_providers() -> None:
    assert registry.load_provider("ingress-nginx") is registry.load_provider("nginx")
    assert registry.canonical_provider("nginx-inc") == "nginx"
    assert registry.canonical_provider("kong-ingress-controller") == "kong"
    assert registry.canonical_provider("nosuch") == "nosuch"


def test_an_alias_two_providers_claim_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class First(Haproxy):
        name = "first"
        aliases = ("lb",)

    class Second(Haproxy):
        name = "second"
        aliases = ("lb",)

    plugin_module(monkeypatch, "thirdparty_lb", FIRST=First(), SECOND=Second())
    fake_entry_points(
        monkeypatch,
        {
            registry.PROVIDER_GROUP: [
                ("first", "thirdparty_lb:FIRST", "one"),
                ("second", "thirdparty_lb:SECOND", "two"),
            ]
        },
    )
    with pytest.raises(UsageError, match=r"^provider alias 'lb' is claimed by first, second; use"):
        registry.load_provider("lb")
    assert registry.load_provider("first").name == "first"


def test_third_party_provider_is_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = Haproxy()
    provider.name = "thirdparty-lb"  # not a built-in's name: installed ones are kept here
    plugin_module(monkeypatch, "thirdparty_lb", PROVIDER=provider)
    fake_entry_points(
        monkeypatch,
        {registry.PROVIDER_GROUP: [("thirdparty-lb", "thirdparty_lb:PROVIDER", "i2gw-lb")]},
        keep_installed=True,
    )
    assert "thirdparty-lb" in registry.provider_names() and "nginx" in registry.provider_names()
    assert registry.load_provider("thirdparty-lb").name == "thirdparty-lb"
    assert not registry.provider_specs()["thirdparty-lb"][0].builtin
    assert registry.provider_specs()["nginx"][0].builtin


def test_the_same_entry_point_seen_twice_is_not_a_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    """An editable install beside an installed copy lists the built-ins twice."""
    fake_entry_points(
        monkeypatch,
        {
            registry.PROVIDER_GROUP: [
                ("nginx", "ingress2gateway_providers.nginx:PROVIDER", "ingress2gateway")
            ]
        },
        keep_installed=True,
    )
    assert registry.load_provider("nginx").name == "nginx"


def test_a_name_clash_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(
        monkeypatch,
        {registry.PROVIDER_GROUP: [("nginx", "evil_pkg:PROVIDER", "evil")]},
        keep_installed=True,
    )
    with pytest.raises(UsageError, match=r"provided by several packages \(ingress2gateway, evil\)"):
        registry.load_provider("nginx")


def test_a_broken_plugin_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(
        monkeypatch,
        {
            registry.EMITTER_GROUP: [("broken", "no_such_module_xyz:EMITTER", "i2gw-broken")],
            registry.PROVIDER_GROUP: [("broken", "no_such_module_xyz:PROVIDER", "i2gw-broken")],
        },
        keep_installed=True,
    )
    assert "broken" in registry.emitter_names()
    with pytest.raises(
        UsageError,
        match=r"^emitter 'broken' \(package i2gw-broken\) failed to load: ModuleNotFoundError",
    ):
        registry.load_emitter("broken")
    assert registry.load_emitter("standard").name == "standard"
    # Looking an alias up loads every provider: the broken one claims none.
    assert registry.canonical_provider("ingress-nginx") == "nginx"


def test_providers_listing_survives_a_broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_entry_points(
        monkeypatch,
        {registry.PROVIDER_GROUP: [("broken", "no_such_module_xyz:PROVIDER", "i2gw-broken")]},
        keep_installed=True,
    )
    done = CliRunner().invoke(main, ["providers"])
    assert done.exit_code == 1
    assert "nginx (aliases: ingress-nginx, nginx-inc): " in done.stdout
    assert done.stderr == (
        "error: provider 'broken' (package i2gw-broken) failed to load: ModuleNotFoundError: "
        "No module named 'no_such_module_xyz'\n"
    )
    # The conversion commands still parse their arguments (the broken one has no flags).
    assert CliRunner().invoke(main, ["print", "--help"]).exit_code == 0


def test_an_object_without_the_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin_module(monkeypatch, "thirdparty_bad", PROVIDER=object())
    fake_entry_points(
        monkeypatch, {registry.PROVIDER_GROUP: [("bad", "thirdparty_bad:PROVIDER", "bad")]}
    )
    with pytest.raises(UsageError) as caught:
        registry.load_provider("bad")
    assert str(caught.value) == (
        "provider 'bad' (package bad, thirdparty_bad:PROVIDER) lacks name, aliases, description, "
        "resources, options, codes, intended_differences, convert, cluster_reads, partition, "
        "controller_model, catalog_rows of the provider interface (subclass ingress2gateway.plugin.ProviderBase "
        "for the optional hooks' defaults)"
    )


def test_a_missing_hook_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plug-in written before a hook existed: the error names the hook it lacks."""

    class Old:
        name = "old"
        description = "an old emitter"
        options = ()
        codes: Mapping[str, str] = MappingProxyType({})
        ordered = in_parts = answers_closed_status = False

        def emit(self, ir: Any, ctx: Any) -> list[Any]:
            return []

    plugin_module(monkeypatch, "thirdparty_old", EMITTER=Old())
    fake_entry_points(
        monkeypatch, {registry.EMITTER_GROUP: [("old", "thirdparty_old:EMITTER", "old-pkg")]}
    )
    with pytest.raises(
        UsageError, match=r"^emitter 'old' .* lacks carries of the emitter interface"
    ):
        registry.load_emitter("old")


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"name": "other"}, "is named 'other'; its entry point must be too"),
        ({"options": ["x"]}, "options must be a tuple of ingress2gateway.plugin.OptionSpec"),
        (
            {"options": (OptionSpec("x", str, None, "x"), OptionSpec("x", int, 1, "x"))},
            "an option is declared twice",
        ),
        ({"codes": {"haproxy-x": 1}}, "codes must map each code to a one-line meaning"),
        ({"codes": {"input-invalid": "mine"}}, "redefines the core's notification code(s) "),
    ],
)
def test_a_malformed_plugin_is_refused(
    monkeypatch: pytest.MonkeyPatch, attributes: dict[str, Any], message: str
) -> None:
    provider = Haproxy()
    for key, value in attributes.items():
        setattr(provider, key, value)
    plugin_module(monkeypatch, "thirdparty_haproxy", PROVIDER=provider)
    fake_entry_points(
        monkeypatch,
        {registry.PROVIDER_GROUP: [("haproxy", "thirdparty_haproxy:PROVIDER", "i2gw-haproxy")]},
    )
    with pytest.raises(UsageError) as caught:
        registry.load_provider("haproxy")
    assert str(caught.value).startswith(
        "provider 'haproxy' (package i2gw-haproxy, thirdparty_haproxy:PROVIDER)"
    )
    assert message in str(caught.value)


def test_the_base_classes_give_the_optional_hooks_their_defaults() -> None:
    from ingress2gateway.plugin import ConvertOptions

    provider = Haproxy()
    options = ConvertOptions()
    assert provider.aliases == () and provider.options == () and dict(provider.codes) == {}
    assert list(provider.cluster_reads(options)) == []
    assert provider.partition([], options) is None
    assert list(provider.catalog_rows()) == []
    with pytest.raises(UsageError, match=r"^provider haproxy has no model of its controller"):
        provider.controller_model([], options)

    class Plain(EmitterBase):
        name = "plain"
        description = "plain"

        def emit(self, ir: Any, ctx: Any) -> list[Any]:
            return []

    emitter = Plain()
    assert isinstance(emitter, Emitter)
    assert not (emitter.ordered or emitter.in_parts or emitter.answers_closed_status)
    assert emitter.carries(None, None) is False  # type: ignore[arg-type]


def test_a_legacy_ingress_is_read_by_the_providers_of_ingresses() -> None:
    """convert() without providers asks which read the input: an extensions/v1beta1 Ingress is
    an Ingress to every provider (they read both groups), so it is converted, not skipped."""
    import ingress2gateway
    from ingress2gateway.objects import KubeObject, Origin
    from ingress2gateway.reporting.report import Recorder

    legacy = KubeObject(
        {
            "apiVersion": "extensions/v1beta1",
            "kind": "Ingress",
            "metadata": {"name": "old", "namespace": "web"},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "old.example.com",
                        "http": {
                            "paths": [
                                {"path": "/", "backend": {"serviceName": "app", "servicePort": 80}}
                            ]
                        },
                    }
                ],
            },
        },
        Origin("legacy.yaml", None, 0),
    )
    assert "nginx" in [p.name for p in registry.providers_reading([legacy], Recorder())]
    result = ingress2gateway.convert([legacy])
    routes = [body for body in result.resources if body["kind"] == "HTTPRoute"]
    assert [route["spec"]["hostnames"] for route in routes] == [["old.example.com"]]
