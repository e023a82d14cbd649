"""The plug-in contract end to end, with a third-party provider and emitter installed the way a
package installs them (an entry point): the listing, the options schema (validation, flags) and
a conversion that reads the options. And the built-ins: every option they read is declared."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ingress2gateway
from ingress2gateway import registry
from ingress2gateway.cli.commands import main
from ingress2gateway.converting.ingress import IngressClassInfo
from ingress2gateway.converting.ingress_provider import IngressProvider
from ingress2gateway.ir import IR
from ingress2gateway.plugin import (
    ConvertOptions,
    EmitContext,
    Emitted,
    EmitterBase,
    OptionSpec,
    ProviderContext,
)
from ingress2gateway.reporting.report import Recorder
from tests.golden import cases, run_case
from tests.test_registry import fake_entry_points

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web}
spec:
  ingressClassName: shop
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
"""


class AcmeProvider(IngressProvider):
    """Converts the Ingresses of one class, which an option names."""

    name = "acme"
    aliases = ("acme-ingress",)
    description = "ACME ingress controller"
    options = (
        OptionSpec("ingress-class", str, "acme", "the class the ACME controller serves"),
        OptionSpec("workers", int, 4, "how many workers the controller ran"),
        OptionSpec("strict", bool, False, "the controller ran in strict mode"),
        OptionSpec("mode", ("fast", "safe"), "safe", "the controller's mode"),
    )
    codes = MappingProxyType({"acme-note": "Something the ACME provider says."})

    def owned_classes(
        self, ctx: ProviderContext, classes: Mapping[str, IngressClassInfo]
    ) -> set[str]:
        owned = self.option(ctx.options, "ingress-class")
        assert isinstance(owned, str)
        return {owned}


class LabellingEmitter(EmitterBase):
    """Standard Gateway API, each object labelled with the team an option names."""

    name = "acme-labels"
    description = "standard objects with a team label"
    options = (OptionSpec("team", ("red", "blue"), "red", "the team label of every object"),)
    ordered = True

    def emit(self, ir: IR, ctx: EmitContext) -> Iterable[Emitted]:
        standard = registry.load_emitter("standard")
        team = ctx.options.get("team", "red")
        for item in standard.emit(ir, ctx):
            item.body["metadata"].setdefault("labels", {})["team"] = team
            yield item


class Gateway(AcmeProvider):
    """A provider whose option's flag would be --gateway-name, one of the core's flags."""

    name = "gateway"
    aliases = ()
    options = (*AcmeProvider.options, OptionSpec("name", str, None, "a name"))
    codes = MappingProxyType({})
    given: list[object] = []  # noqa: RUF012 (what each conversion read)

    def owned_classes(
        self, ctx: ProviderContext, classes: Mapping[str, IngressClassInfo]
    ) -> set[str]:
        self.given.append(self.option(ctx.options, "name"))
        return super().owned_classes(ctx, classes)


KNOWN_PROVIDERS = ", ".join(
    sorted(
        {entry.name for entry in entry_points(group=registry.PROVIDER_GROUP)} | {"acme", "gateway"}
    )
)
"""The providers the command line knows during these tests: the installed ones and ours."""


@pytest.fixture(autouse=True)
def third_party(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = types.ModuleType("i2gw_acme")
    module.PROVIDER = AcmeProvider()  # type: ignore[attr-defined]
    module.GATEWAY = Gateway()  # type: ignore[attr-defined]
    module.EMITTER = LabellingEmitter()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "i2gw_acme", module)
    fake_entry_points(
        monkeypatch,
        {
            registry.PROVIDER_GROUP: [
                ("acme", "i2gw_acme:PROVIDER", "i2gw-acme"),
                ("gateway", "i2gw_acme:GATEWAY", "i2gw-acme"),
            ],
            registry.EMITTER_GROUP: [("acme-labels", "i2gw_acme:EMITTER", "i2gw-acme")],
        },
        keep_installed=True,
    )
    yield
    monkeypatch.undo()  # first: the registry must forget the fake entry points
    registry.rediscover()


def cli(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(main, list(args))
    return done.exit_code, done.stdout, done.stderr


def usage_error(*args: str) -> str:
    """The one-line message of a usage error (exit 2)."""
    code, _, err = cli(*args)
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, err
    return lines[0].removeprefix("Error: ")


@pytest.fixture
def ingress(tmp_path: Path) -> str:
    path = tmp_path / "in.yaml"
    path.write_text(INGRESS)
    return str(path)


def objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def test_the_listing_shows_options_and_codes() -> None:
    code, out, _ = cli("providers", "acme")
    assert code == 0
    assert out.splitlines()[:8] == [
        "acme (aliases: acme-ingress) [i2gw-acme]: ACME ingress controller",
        "  reads: Ingress, IngressClass, Service",
        "  options (--provider-option acme.KEY=VALUE, or the flag --acme-KEY):",
        "    ingress-class=VALUE  the class the ACME controller serves (default: acme)",
        "    workers=INT          how many workers the controller ran (default: 4)",
        "    strict=BOOL          the controller ran in strict mode (default: false)",
        "    mode=fast|safe       the controller's mode (default: safe)",
        "  notification codes:",
    ]
    assert "    acme-note  Something the ACME provider says." in out
    code, out, _ = cli("providers")
    assert code == 0 and "acme (aliases: acme-ingress) [i2gw-acme]:" in out
    assert "    ingress-class=VALUE" in out  # options in the short listing too


def test_the_flags_come_from_the_schemas() -> None:
    code, out, _ = cli("print", "--help")
    assert code == 0
    for flag in (
        "--acme-ingress-class VALUE",
        "--acme-workers INT",
        "--acme-strict / --no-acme-strict",
        "--acme-mode [fast|safe]",
        "--acme-labels-team [red|blue]",
        "--nginx-annotation-prefix VALUE",
        "--istio-mesh-root-namespace VALUE",
    ):
        assert flag in out, flag
    # The core's --gateway-name; the provider's flag of that name is not made.
    assert [line.split()[0] for line in out.splitlines() if "--gateway-name " in line] == [
        "--gateway-name"
    ]
    assert "a name" not in out
    code, out, _ = cli("check", "--help")
    # check takes print's --emitter, and so the emitters' flags too
    assert "--acme-ingress-class" in out and "--acme-labels-team" in out


@pytest.mark.parametrize(
    "flags",
    [
        ["--acme-ingress-class", "shop"],
        ["--provider-option", "acme.ingress-class=shop"],
        ["--provider-option", "acme-ingress.ingress-class=shop"],
        ["--acme-ingress-class", "shop", "--provider-option", "acme.ingress-class=shop"],
    ],
)
def test_a_conversion_reads_the_option(ingress: str, flags: list[str]) -> None:
    code, out, err = cli("print", "--providers", "acme", "-f", ingress, *flags)
    assert code == 0, err
    kinds = sorted(o["kind"] for o in objects(out))
    assert kinds == ["Gateway", "HTTPRoute"]


def test_without_the_option_the_default_applies(ingress: str) -> None:
    code, out, err = cli("print", "--providers", "acme", "-f", ingress)
    assert code == 0 and objects(out) == [] and "ingress-class-not-selected" in err


@pytest.mark.parametrize(
    ("flags", "team"),
    [
        ([], "red"),
        (["--acme-labels-team", "blue"], "blue"),
        (["--emitter-option", "team=blue"], "blue"),
    ],
)
def test_the_emitter_reads_its_option(ingress: str, flags: list[str], team: str) -> None:
    args = ["--providers", "acme", "-f", ingress, "--acme-ingress-class", "shop"]
    code, out, err = cli("print", *args, "--emitter", "acme-labels", *flags)
    assert code == 0, err
    assert {o["metadata"]["labels"]["team"] for o in objects(out)} == {team}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--provider-option", "acme.colour=red"],
            "provider acme has no option 'colour'; its options: ingress-class, workers, strict, "
            "mode",
        ),
        (
            ["--provider-option", "nosuch.x=1"],
            f"unknown provider 'nosuch'; known providers: {KNOWN_PROVIDERS}",
        ),
        (
            ["--provider-option", "acme.workers=many"],
            "provider option acme.workers: 'many' is not an integer (how many workers the "
            "controller ran)",
        ),
        (
            ["--provider-option", "acme.strict=maybe"],
            "provider option acme.strict: 'maybe' is not true or false (the controller ran in "
            "strict mode)",
        ),
        (
            ["--provider-option", "acme.mode=slow"],
            "provider option acme.mode: 'slow' is not one of fast, safe (the controller's mode)",
        ),
        (
            ["--provider-option", "acme.strict"],
            "--provider-option 'acme.strict': expected PROVIDER.KEY=VALUE",
        ),
        (
            ["--acme-strict", "--provider-option", "acme.strict=false"],
            "provider option acme.strict is given twice: 'false' and 'true'",
        ),
        (
            ["--emitter-option", "team=green"],
            "emitter option acme-labels team: 'green' is not one of red, blue (the team label "
            "of every object)",
        ),
        (
            ["--emitter-option", "colour=red"],
            "emitter acme-labels has no option 'colour'; its options: team",
        ),
        (["--emitter-option", "team"], "--emitter-option 'team': expected KEY=VALUE"),
        (
            ["--emitter", "standard", "--acme-labels-team", "red"],
            "--acme-labels-team is an option of emitter acme-labels, not of --emitter standard",
        ),
    ],
)
def test_option_errors_are_one_line_usage_errors(
    ingress: str, flags: list[str], message: str
) -> None:
    args = ["print", "--providers", "acme", "-f", ingress, "--emitter", "acme-labels"]
    assert usage_error(*args, *flags) == message


def test_a_flags_value_is_checked_by_its_type(ingress: str) -> None:
    code, _, err = cli("print", "--providers", "acme", "-f", ingress, "--acme-workers", "many")
    assert code == 2 and "'many' is not a valid integer" in err


def test_a_shadowed_flag_still_has_its_provider_option(ingress: str) -> None:
    args = ["--providers", "gateway", "-f", ingress, "--provider-option", "gateway.name=x"]
    Gateway.given.clear()
    code, _, err = cli("print", *args)
    assert code == 0, err
    assert Gateway.given == ["x"]


def test_check_takes_the_flags(tmp_path: Path, ingress: str) -> None:
    code, out, err = cli("check", "--providers", "acme", "--acme-ingress-class", "shop", ingress)
    assert code == 0, err
    assert "ingress-class-not-selected" not in out


# --- the built-ins declare every option they read --------------------------------------------


BUILTIN_PROVIDERS = (
    "nginx",
    "kong",
    "istio",
    "gce",
    "traefik",
    "apisix",
    "cilium",
    "haproxy",
    "openapi3",
)


class _Reads(Mapping[str, str]):
    """A provider's settings that remember which keys were read."""

    def __init__(self, name: str, settings: Mapping[str, str], seen: set[tuple[str, str]]):
        self.name, self.settings, self.seen = name, settings, seen

    def __getitem__(self, key: str) -> str:
        self.seen.add((self.name, key))
        return self.settings[key]

    def get(self, key: str, default: Any = None) -> Any:
        self.seen.add((self.name, key))
        return self.settings.get(key, default)

    def __contains__(self, key: object) -> bool:
        self.seen.add((self.name, str(key)))
        return key in self.settings

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("a provider reads its options by name")

    def __len__(self) -> int:
        return len(self.settings)


def test_builtins_read_only_declared_options(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every option a built-in provider reads, in a conversion of each golden case, in its
    controller model and its cluster reads, is declared in its options schema."""
    from ingress2gateway.verification.run import source_model

    seen: set[tuple[str, str]] = set()
    original = ConvertOptions.for_provider

    def recording(self: ConvertOptions, name: str) -> Mapping[str, str]:
        return _Reads(name, original(self, name), seen)

    monkeypatch.setattr(ConvertOptions, "for_provider", recording)
    for case in cases():
        if case.directory.parent.name not in BUILTIN_PROVIDERS:
            continue
        loaded = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
        run_case(case, list(loaded))
        options = ConvertOptions(**case.args.get("options", {}))
        for name in case.args["providers"]:
            registry.load_provider(name).cluster_reads(options)
        source_model(loaded, case.args["providers"], options)
    declared = {
        (name, spec.name)
        for name in BUILTIN_PROVIDERS
        for spec in registry.load_provider(name).options
    }
    read = {(name, key) for name, key in seen if name in BUILTIN_PROVIDERS}
    assert read, "nothing was read: the recording is broken"
    assert sorted(read - declared) == []
    # And each declared option is read somewhere (a declared option nothing reads is a lie).
    assert sorted(declared - read) == []


def test_only_the_plugins_a_command_line_names_are_loaded_for_flags(
    monkeypatch: pytest.MonkeyPatch, ingress: str
) -> None:
    """Making every installed plug-in's flags would import them all (a second on a busy
    machine): a command line loads those whose name starts one of its long options."""
    loaded: list[str] = []
    load = registry.load_provider

    def recording(name: str) -> Any:
        loaded.append(name)
        return load(name)

    monkeypatch.setattr(registry, "load_provider", recording)
    code, _, err = cli("print", "--providers", "nginx", "-f", ingress, "--acme-strict")
    assert code == 0, err
    assert "acme" in loaded and not {"kong", "istio", "gateway"} & set(loaded)


def test_an_emitter_option_given_twice_is_refused(ingress: str) -> None:
    args = ["print", "--providers", "acme", "-f", ingress, "--emitter", "acme-labels"]
    flags = ["--acme-labels-team", "red", "--emitter-option", "team=blue"]
    assert usage_error(*args, *flags) == (
        "emitter option acme-labels team is given twice: 'blue' and 'red'"
    )


def test_verify_with_a_provider_without_a_controller_model(ingress: str) -> None:
    message = usage_error("verify", "--providers", "acme", "-f", ingress)
    assert message == "provider acme has no model of its controller to verify with"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("Prefix", str, None, "x"),
            "option name 'Prefix': expected lowercase words joined by '-'",
        ),
        (("a", float, None, "x"), "option a: type must be str, bool, int or a choice tuple"),
        (("a", (), None, "x"), "option a: a choice needs at least one string value"),
    ],
)
def test_a_malformed_option_is_refused_where_it_is_declared(
    arguments: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        OptionSpec(*arguments)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("spec", "text", "normal"),
    [
        (OptionSpec("a", bool, False, "x"), "Yes", "true"),
        (OptionSpec("a", bool, False, "x"), "off", "false"),
        (OptionSpec("a", int, 1, "x"), " 042 ", "42"),
        (OptionSpec("a", ("x", "y"), "x", "x"), "y", "y"),
        (OptionSpec("a", str, None, "x"), " kept as given ", " kept as given "),
    ],
)
def test_values_reach_the_plugin_in_their_normal_form(
    spec: OptionSpec, text: str, normal: str
) -> None:
    assert spec.normal(text) == normal
