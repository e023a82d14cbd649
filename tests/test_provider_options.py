"""What the README claims of the built-in providers' options, on every command that converts:
``ingress2gateway providers NAME`` lists each declared option; each is a ``--PROVIDER-KEY``
flag; an unknown provider or key, or a value of the wrong type, is a usage error (exit 2).
(tests/test_plugins.py says the same of a third-party plug-in on ``print``.)"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ingress2gateway.cli.commands import main
from ingress2gateway.registry import load_provider

BUILTIN = ("nginx", "istio", "kong", "traefik", "cilium", "haproxy", "openapi3")
"""The built-in providers that declare options."""
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "nginx" / "shop.yaml"


def converting_commands() -> list[str]:
    return sorted(
        name
        for name, command in main.commands.items()
        if any(p.name == "provider_option" for p in command.params)
    )


def invoke(command: str, *args: str, tmp_path: Path) -> Result:
    """``command`` on the example with ``args``, with what each command needs to run."""
    needs = {
        "print": ["--providers", "nginx", "-f", str(EXAMPLE)],
        "verify": ["--providers", "nginx", "-f", str(EXAMPLE)],
        "plan": ["--providers", "nginx", "-f", str(EXAMPLE), "--no-verify"],
        "diff": ["--providers", "nginx", "-f", str(EXAMPLE), "--against", str(tmp_path / "a.yaml")],
        "check": ["--no-context", str(EXAMPLE)],
    }
    return CliRunner().invoke(main, [command, *needs.get(command, []), *args])


def test_every_converting_command_takes_provider_options() -> None:
    assert {"print", "check", "diff", "verify"} <= set(converting_commands())


@pytest.mark.parametrize("provider", BUILTIN)
def test_the_listing_shows_every_declared_option(provider: str) -> None:
    done = CliRunner().invoke(main, ["providers", provider])
    assert done.exit_code == 0
    options = load_provider(provider).options
    assert options, f"{provider} declares no options"
    for spec in options:
        line = next(
            (
                line
                for line in done.stdout.splitlines()
                if line.split()[:1] == [f"{spec.name}={spec.metavar}"]
            ),
            None,
        )
        assert line is not None, spec.name
        assert spec.help in line
        if spec.default is not None:
            assert line.endswith(f"(default: {spec.shown_default})")


@pytest.mark.parametrize("command", converting_commands())
def test_each_declared_option_is_a_flag(command: str) -> None:
    ctx = click.Context(main.commands[command])
    opts = {opt for param in main.commands[command].get_params(ctx) for opt in param.opts}
    for provider in BUILTIN:
        for spec in load_provider(provider).options:
            assert f"--{provider}-{spec.name}" in opts, (command, provider, spec.name)


@pytest.mark.parametrize("command", converting_commands())
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("nginx.nope=1", "provider nginx has no option 'nope'; its options: annotation-prefix"),
        ("nosuch.key=1", "unknown provider 'nosuch'"),
        (
            "kong.rewrite-uris=maybe",
            "provider option kong.rewrite-uris: 'maybe' is not true or false",
        ),
        ("nginx", "--provider-option 'nginx': expected PROVIDER.KEY=VALUE"),
    ],
)
def test_a_wrong_provider_option_is_a_usage_error(
    command: str, option: str, message: str, tmp_path: Path
) -> None:
    done = invoke(command, "--provider-option", option, tmp_path=tmp_path)
    assert done.exit_code == 2, done.output
    assert message in done.stderr
    assert "Traceback" not in done.output


@pytest.mark.parametrize("command", converting_commands())
def test_a_flags_value_is_checked_too(command: str, tmp_path: Path) -> None:
    done = invoke(
        command,
        "--kong-rewrite-uris",
        "--provider-option",
        "kong.rewrite-uris=false",
        tmp_path=tmp_path,
    )
    assert done.exit_code == 2
    assert "provider option kong.rewrite-uris is given twice" in done.stderr
