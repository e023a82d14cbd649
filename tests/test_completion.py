"""Shell completion (click's): the scripts for bash, zsh and fish, and what ``--emitter`` and
``--providers`` complete to."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingress2gateway.cli.commands import main
from ingress2gateway.registry import emitter_names, provider_names

VARIABLE = "_INGRESS2GATEWAY_COMPLETE"


def complete(words: str, shell: str = "bash") -> list[str]:
    """What click answers the shell for the command line ``words`` (the cursor at its end)."""
    parts = words.split(" ")
    done = CliRunner().invoke(
        main,
        [],
        prog_name="ingress2gateway",
        env={VARIABLE: f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)},
    )
    assert done.exit_code == 0, done.output
    # bash_complete answers one "type,value" line per item.
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_is_produced(shell: str) -> None:
    done = CliRunner().invoke(
        main, [], prog_name="ingress2gateway", env={VARIABLE: f"{shell}_source"}
    )
    assert done.exit_code == 0
    assert "_ingress2gateway_completion" in done.stdout
    assert f"{VARIABLE}={shell}_complete" in done.stdout


def taking(param: str) -> list[str]:
    return sorted(
        name
        for name, command in main.commands.items()
        if any(p.name == param for p in command.params)
    )


def test_the_conversion_commands_take_emitter_and_providers() -> None:
    assert {"print", "check", "verify", "validate"} <= set(taking("emitter"))
    assert {"print", "check", "diff", "verify"} <= set(taking("providers"))


@pytest.mark.parametrize("command", taking("emitter"))
def test_emitter_completes_to_the_installed_emitters(command: str) -> None:
    assert complete(f"ingress2gateway {command} --emitter ") == emitter_names()
    assert complete(f"ingress2gateway {command} --emitter env") == ["envoy-gateway"]


@pytest.mark.parametrize("command", taking("providers"))
def test_providers_complete_to_the_installed_providers(command: str) -> None:
    assert complete(f"ingress2gateway {command} --providers ") == provider_names()
    assert complete(f"ingress2gateway {command} --providers ng") == ["nginx"]
    # In a comma-separated list, after the names already given.
    assert complete(f"ingress2gateway {command} --providers nginx,is") == ["nginx,istio"]


def test_commands_and_plugin_flags_complete() -> None:
    assert {"print", "check", "validate", "diff", "verify"} <= set(complete("ingress2gateway "))
    assert "--nginx-annotation-prefix" in complete("ingress2gateway check --nginx-")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_with_the_sourced_script() -> None:
    """The documented setup, in a real bash: source the script, complete `--emitter `."""
    script = Path(sys.executable).with_name("ingress2gateway")
    assert script.exists()
    program = (
        f'eval "$({VARIABLE}=bash_source ingress2gateway)"\n'
        "COMP_WORDS=(ingress2gateway check --emitter '')\n"
        "COMP_CWORD=3\n"
        "_ingress2gateway_completion ingress2gateway\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == emitter_names()
