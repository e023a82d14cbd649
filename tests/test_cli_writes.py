"""The files the CLI writes and the streams it writes to: never destroyed, never half-written,
never left behind; errors on full disks are one line; names and values from the input never
drive the terminal; name flags cannot lead a path out of ``--output-dir``."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingress2gateway import atomic
from ingress2gateway.cli import main
from ingress2gateway.errors import I2GError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def leftovers(directory: Path) -> list[str]:
    """Temporary files anywhere under ``directory``."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*.tmp"))


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def full_disk_after(count: int) -> Callable[[str], object]:
    """A ``write`` that fails like a full disk after ``count`` calls."""
    calls = 0

    def write(_text: str) -> None:
        nonlocal calls
        calls += 1
        if calls > count:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write


# --- one module writes every file ------------------------------------------------------------


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("the old report\n")

    def fill(handle: atomic.TextWriter) -> None:
        handle.write("half of a new ")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(I2GError) as caught:
        atomic.write_file(path, fill, what="the report")
    assert str(caught.value) == f"{path}: cannot write the report: No space left on device"
    assert path.read_text() == "the old report\n"
    assert leftovers(tmp_path) == []


def test_an_interrupt_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("the old report\n")

    def interrupted(handle: atomic.TextWriter) -> None:
        handle.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic.write_file(path, interrupted, what="the report")
    assert path.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_new_files_have_the_mode_the_umask_gives(tmp_path: Path, umask_022: None) -> None:
    atomic.write_text(tmp_path / "a.yaml", "a: 1\n", what="output")
    assert (tmp_path / "a.yaml").stat().st_mode & 0o777 == 0o644
    os.umask(0o077)
    atomic.write_text(tmp_path / "b.yaml", "b: 1\n", what="output")
    assert (tmp_path / "b.yaml").stat().st_mode & 0o777 == 0o600


def test_a_replaced_file_gets_the_umask_mode_too(tmp_path: Path, umask_022: None) -> None:
    """Files the tool wrote before 0.1.1 were 0600; rewriting them mends that."""
    path = tmp_path / "a.yaml"
    path.write_text("old\n")
    path.chmod(0o600)
    atomic.write_text(path, "new\n", what="output")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o644


def test_a_symlink_named_by_the_user_is_followed(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    atomic.write_text(link, "new\n", what="output", follow_symlinks=True)
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_device_is_written_in_place_never_replaced(tmp_path: Path) -> None:
    """``--report-file /dev/stdout`` (or /dev/full, as root) must not swap the device node for
    a regular file."""
    with pytest.raises(I2GError) as caught:
        atomic.write_text("/dev/full", "x" * 10_000, what="the report")
    assert str(caught.value) == "/dev/full: cannot write the report: No space left on device"
    assert Path("/dev/full").is_char_device()


# --- the report file -------------------------------------------------------------------------


def test_a_report_file_on_a_full_disk_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingress2gateway.pipeline import Result

    report = tmp_path / "report.json"
    report.write_text("the old report\n")
    real_write_report = Result.write_report

    def write_report(self: Result, write: Callable[[str], object]) -> None:
        fail = full_disk_after(3)

        def both(text: str) -> None:
            fail(text)
            write(text)

        real_write_report(self, both)

    monkeypatch.setattr(Result, "write_report", write_report)
    code, _, err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--report-file", str(report)
    )
    assert code == 1
    assert err.splitlines()[0] == (
        f"error: {report}: cannot write the report: No space left on device"
    )
    assert report.read_text() == "the old report\n" and leftovers(tmp_path) == []


def test_an_interrupted_report_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingress2gateway.pipeline import Result

    def write_report(self: Result, write: Callable[[str], object]) -> None:
        write("{\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(Result, "write_report", write_report)
    report = tmp_path / "report.json"
    code, _, err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--report-file", str(report)
    )
    assert (code, err) == (130, "error: interrupted\n")
    assert list(tmp_path.iterdir()) == []


def test_the_report_file_is_whole_json(tmp_path: Path, umask_022: None) -> None:
    import json

    report = tmp_path / "report.json"
    assert (
        run("print", "--providers", "nginx", "-f", str(EXAMPLE), "--report-file", str(report))[0]
        == 0
    )
    assert json.loads(report.read_text())["reportVersion"] == 1
    assert report.stat().st_mode & 0o777 == 0o644


# --- --output-dir ------------------------------------------------------------------------------


def test_output_dir_files_honour_the_umask(tmp_path: Path, umask_022: None) -> None:
    out = tmp_path / "out"
    assert (
        run("print", "--providers", "nginx", "-f", str(EXAMPLE), "--output-dir", str(out))[0] == 0
    )
    modes = {p.stat().st_mode & 0o777 for p in out.rglob("*.yaml")}
    assert modes == {0o644}
    assert leftovers(out) == []


def test_output_dir_on_a_full_disk_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, fd: int, *args: object, **kw: object) -> None:
            self.handle = real_fdopen(fd, *args, **kw)  # type: ignore[call-overload]

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, _text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            self.handle.flush()

        def fileno(self) -> int:
            return int(self.handle.fileno())

        def close(self) -> None:
            self.handle.close()

    monkeypatch.setattr(atomic.os, "fdopen", Full)
    code, out_text, err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--output-dir", str(out)
    )
    assert code == 1 and out_text == ""
    assert err.splitlines()[0].startswith("error: " + str(out))
    assert err.splitlines()[0].endswith(": cannot write output: No space left on device")
    assert list(out.rglob("*.yaml")) == [] and leftovers(out) == []


# --- stdout ------------------------------------------------------------------------------------


def run_to_dev_full(*args: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "-m", "ingress2gateway", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            env={**os.environ, "I2G_DEBUG": ""},
        )


@pytest.mark.parametrize(
    "args",
    [
        ("print", "--providers", "nginx", "-f", str(EXAMPLE)),
        ("print", "--providers", "nginx", "-f", str(EXAMPLE), "-o", "json"),
        ("check", "--format", "json", str(EXAMPLE)),
        ("validate", "--format", "sarif", str(EXAMPLE)),
    ],
    ids=["print", "print-json", "check", "validate"],
)
def test_stdout_on_a_full_disk_is_one_line(args: tuple[str, ...]) -> None:
    done = run_to_dev_full(*args)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: stdout: cannot write the output: No space left on device"]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_stdout_errors_in_process_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, for the stdout a test runner gives (no file descriptor to silence)."""
    import io

    class Full(io.StringIO):
        def write(self, _text: str) -> int:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    runner = CliRunner()
    with runner.isolation() as (_out, err, _):
        monkeypatch.setattr(sys, "stdout", Full())
        with pytest.raises(SystemExit) as caught:
            main(["check", "--format", "json", str(EXAMPLE)])
        stderr = err.getvalue().decode()
    assert caught.value.code == 1
    assert stderr == "error: stdout: cannot write the output: Input/output error\n"


# --- what reaches the terminal ---------------------------------------------------------------

HOSTILE = "x\x1b[2J\x1b]0;owned\x07\r\nerror: forged line"


def test_a_hostile_ingress_name_reaches_the_report_escaped(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": HOSTILE,
            "namespace": "web",
            "annotations": {"nginx.ingress.kubernetes.io/limit-rps": HOSTILE},
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "a.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    import json

    source.write_text(json.dumps(doc))
    code, _, err = run("print", "--providers", "nginx", "-f", str(source), "--color", "always")
    assert code == 0
    assert "x\\x1b[2J\\x1b]0;owned\\x07\\r\\nerror: forged line" in err
    assert "\x1b[2J" not in err and "\x07" not in err and "\r" not in err
    assert not any(line.startswith("error: forged") for line in err.splitlines())


def test_file_names_in_error_lines_are_escaped(tmp_path: Path) -> None:
    missing = str(tmp_path / "a\nerror: forged\x1b[2J.yaml")
    code, _, err = run("print", "--providers", "nginx", "-f", missing)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: ") and "a\\nerror: forged\\x1b[2J.yaml" in err


def test_unreadable_documents_name_their_file_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "b\rad.yaml"
    bad.write_text("apiVersion: v1\nkind: [\n")
    code, _, err = run("print", "--providers", "nginx", "-f", str(bad), "-f", str(EXAMPLE))
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 1 and len(errors) == 1 and "b\\rad.yaml:" in errors[0] and "\r" not in err


# --- name flags --------------------------------------------------------------------------------

BAD_NAMES = ["../escape", "Upper", "a_b", "-a", "a-", "nginx\n", "", "a" * 64]


def test_a_gateway_namespace_cannot_lead_out_of_the_output_dir(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    code, _, err = run(
        "print",
        "--providers",
        "nginx",
        "-f",
        str(EXAMPLE),
        "--output-dir",
        str(out),
        "--gateway-namespace",
        "../../escape",
    )
    assert code == 2 and "--gateway-namespace" in err
    assert "'../../escape' is not a namespace name" in err
    assert list(tmp_path.rglob("*.yaml")) == []


@pytest.mark.parametrize(
    ("flag", "what"),
    [
        ("--gateway-namespace", "namespace name"),
        ("-n", "namespace name"),
        ("--gateway-name", "Kubernetes object name"),
        ("--gateway-class-name", "Kubernetes object name"),
        ("--ingress-class", "Kubernetes object name"),
        ("--default-ingress-class", "Kubernetes object name"),
    ],
)
@pytest.mark.parametrize("value", BAD_NAMES, ids=repr)
def test_name_flags_take_only_what_kubernetes_accepts(flag: str, what: str, value: str) -> None:
    if what != "namespace name" and value == "a" * 64:
        value = "a" * 254  # object names may be longer than namespace names
    code, out, err = run("print", "--providers", "nginx", "-f", str(EXAMPLE), flag, value)
    assert code == 2 and out == ""
    assert f"is not a {what}" in err and flag.lstrip("-") in err
    assert "\n" not in err.rstrip("\n").splitlines()[-1]


@pytest.mark.parametrize(
    "args",
    [
        ("--gateway-namespace", "gateway-system", "--gateway-name", "edge.example"),
        ("--gateway-class-name", "envoy-gw.example.com", "--ingress-class", "nginx"),
        ("--default-ingress-class", "nginx", "-n", "shop"),
        ("--gateway-namespace", "a" * 63, "--gateway-name", "a" * 253),
    ],
)
def test_name_flags_take_every_kubernetes_name(args: tuple[str, ...]) -> None:
    assert run("print", "--providers", "nginx", "-f", str(EXAMPLE), *args)[0] == 0


def test_check_and_diff_validate_name_flags_too(tmp_path: Path) -> None:
    code, _, err = run("check", "--gateway-namespace", "a/b", str(EXAMPLE))
    assert code == 2 and "--gateway-namespace" in err
    code, _, err = run(
        "diff",
        "--providers",
        "nginx",
        "-f",
        str(EXAMPLE),
        "--against",
        str(tmp_path / "x.yaml"),
        "-n",
        "x\ny",
    )
    assert code == 2 and "'x\\ny' is not a namespace name" in err
