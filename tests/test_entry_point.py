"""The command as a process (``python -m ingress2gateway``): exit codes and streams survive the
fast exit, and a reader that goes away is not an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingress2gateway.cli.commands import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def command(*args: str, **kw: object) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "providers")]))
    return subprocess.Popen(
        [sys.executable, "-m", "ingress2gateway", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        **kw,  # type: ignore[call-overload]
    )


def test_the_process_writes_what_the_command_writes(tmp_path: Path) -> None:
    """Ending without teardown loses nothing: the same stdout, stderr and report file as the
    command run in-process."""
    args = ["print", "--providers", "nginx", "-f", str(EXAMPLES), "--report-file"]
    process = command(*args, str(tmp_path / "process.json"))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()

    in_process = CliRunner().invoke(main, [*args, str(tmp_path / "in-process.json")])
    assert in_process.exit_code == 0
    assert out.decode() == in_process.stdout
    assert err.decode() == in_process.stderr
    assert (tmp_path / "process.json").read_text() == (tmp_path / "in-process.json").read_text()


def test_usage_errors_and_failures_keep_their_codes(tmp_path: Path) -> None:
    usage = command("print", "--providers", "no-such-provider", "-f", str(EXAMPLES))
    _, err = usage.communicate(timeout=120)
    assert usage.returncode == 2
    assert "no-such-provider" in err.decode()

    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    failing = command("print", "--providers", "nginx", "-f", str(bad))
    _, err = failing.communicate(timeout=120)
    assert failing.returncode == 1
    assert f"{bad}:" in err.decode()


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """``ingress2gateway print … | head -1``: no internal error, no traceback, exit 141."""
    process = command("print", "--providers", "nginx", "-f", str(EXAMPLES))
    assert process.stdout is not None
    first = process.stdout.readline()
    process.stdout.close()  # as head does once it has its line
    _, err = process.communicate(timeout=120)
    assert first.startswith(b"apiVersion:")
    assert process.returncode == 141
    assert b"internal error" not in err
    assert b"Traceback" not in err


def test_the_console_run_leaves_the_result_for_the_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as the console command, ``print`` leaves its result (the report: millions of small
    objects at scale) to the process exit instead of freeing it object by object; run
    in-process (tests, callers of ``main``), it keeps nothing."""
    from ingress2gateway.cli import commands as cli
    from ingress2gateway.converting.pipeline import Result

    args = ["print", "--providers", "nginx", "-f", str(EXAMPLES / "nginx" / "shop.yaml")]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert cli._LEFT_FOR_EXIT is None

    class Exited(Exception):
        pass

    def exit_(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(cli.os, "_exit", exit_)
    monkeypatch.setattr(sys, "argv", ["ingress2gateway", *args, "-o", "json"])
    monkeypatch.setattr(cli, "_LEFT_FOR_EXIT", None)
    with pytest.raises(Exited):
        cli.run()
    left = cli._LEFT_FOR_EXIT
    assert left is not None and [type(item) for item in left] == [Result]
