"""Shell completion (click's): the scripts for bash, zsh and fish, and what ``--emitter`` and
``--providers`` complete to."""

from __future__ import annotations

import os
import re
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


README = Path(__file__).resolve().parent.parent / "README.md"


def documented_setup() -> dict[str, str]:
    """The README's completion set-up lines, by shell (tests/test_docs_run.py leaves them to
    this file: each must run in its own shell)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"### Shell completion\n.*?```sh\n(.*?)```", text, re.S)
    assert found, "the README has no shell completion block"
    lines = [line.split("#")[0].strip() for line in found.group(1).splitlines() if line.strip()]
    by_shell = {}
    for line in lines:
        shell = re.search(r"_INGRESS2GATEWAY_COMPLETE=(\w+)_source", line)
        assert shell, line
        by_shell[shell.group(1)] = line
    return by_shell


def test_the_readme_shows_the_setup_of_each_shell() -> None:
    assert sorted(documented_setup()) == ["bash", "fish", "zsh"]


def _shell_env() -> dict[str, str]:
    script = Path(sys.executable).with_name("ingress2gateway")
    assert script.exists()
    return {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_with_the_documented_setup() -> None:
    """The README's line, in a real bash; then `check --emitter <TAB>`."""
    program = (
        documented_setup()["bash"] + "\n"
        "COMP_WORDS=(ingress2gateway check --emitter '')\n"
        "COMP_CWORD=3\n"
        "_ingress2gateway_completion ingress2gateway\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        check=False,
        env=_shell_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == emitter_names()


@pytest.mark.parametrize(
    ("shell", "command", "check"),
    [
        (
            "zsh",
            ["zsh", "-f", "-c"],
            "autoload -Uz compinit && compinit -u\n{setup}\n"
            "(( $+functions[_ingress2gateway_completion] )) && print defined",
        ),
        (
            "fish",
            ["fish", "--no-config", "-c"],
            "{setup}\nfunctions -q _ingress2gateway_completion; and echo defined",
        ),
    ],
)
def test_the_documented_setup_defines_the_completion_in_its_shell(
    shell: str, command: list[str], check: str
) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (the script itself is tested above)")
    program = check.format(setup=documented_setup()[shell])
    done = subprocess.run(
        [*command, program],
        capture_output=True,
        text=True,
        check=False,
        env=_shell_env(),
        timeout=60,
    )
    assert done.stdout.strip() == "defined", done.stderr
