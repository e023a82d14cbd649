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
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ingress2gateway.cli.commands import main
from ingress2gateway.errors import I2GError
from ingress2gateway.writing import atomic

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


def test_a_device_named_by_the_user_is_written_in_place_never_replaced() -> None:
    """``--report-file /dev/full`` (as root) must not swap the device node for a regular
    file."""
    with pytest.raises(I2GError) as caught:
        atomic.write_text("/dev/full", "x" * 10_000, what="the report", follow_symlinks=True)
    assert str(caught.value) == "/dev/full: cannot write the report: No space left on device"
    assert Path("/dev/full").is_char_device()


def test_a_report_to_dev_stdout_reaches_a_pipe(tmp_path: Path) -> None:
    """/dev/stdout is a link to a pipe here: written in place, not replaced."""
    import json

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingress2gateway",
            "print",
            "--providers",
            "nginx",
            "-f",
            str(EXAMPLE),
            "--output-dir",
            str(tmp_path / "out"),
            "--report-file",
            "/dev/stdout",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reportVersion"] == 1


def test_what_sits_in_an_output_dir_is_replaced_never_followed_or_waited_on(
    tmp_path: Path,
) -> None:
    """A FIFO or a link where an output file goes: replaced (a FIFO would block the write)."""
    fifo = tmp_path / "a.yaml"
    os.mkfifo(fifo)
    outside = tmp_path / "outside.yaml"
    outside.write_text("precious\n")
    (tmp_path / "b.yaml").symlink_to(outside)
    for name in ("a.yaml", "b.yaml"):
        atomic.write_text(tmp_path / name, "new\n", what="output")
        assert (tmp_path / name).read_text() == "new\n"
    assert outside.read_text() == "precious\n"


# --- the report file -------------------------------------------------------------------------


def test_a_report_file_on_a_full_disk_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingress2gateway.converting.pipeline import Result

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
    from ingress2gateway.converting.pipeline import Result

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
        ("check", "--no-context", "--format", "json", str(EXAMPLE)),
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
            main(["check", "--no-context", "--format", "json", str(EXAMPLE)])
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
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 1 and len(errors) == 1 and "\x1b" not in err
    assert "a\\nerror: forged\\x1b[2J.yaml" in errors[0]


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


@pytest.mark.parametrize("value", ["wildcard-tls", "a/B", "../x/y", "ns/", "/name", "a/b\n"])
def test_the_default_certificate_flag_takes_namespace_slash_name(value: str) -> None:
    code, out, err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--default-certificate", value
    )
    assert code == 2 and out == "" and "default-certificate" in err
    assert "is not NAMESPACE/NAME of a Secret" in err


def test_the_default_certificate_flag_names_the_listeners_secret(tmp_path: Path) -> None:
    ingress = tmp_path / "in.yaml"
    ingress.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: web}\n"
        "spec:\n  ingressClassName: nginx\n  tls: [{hosts: [a.example.com]}]\n  rules:\n"
        "  - host: a.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: "
        "{service: {name: a, port: {number: 80}}}}]}\n"
    )
    code, out, _ = run(
        "print", "--providers", "nginx", "-f", str(ingress), "--default-certificate", "tls/site"
    )
    assert code == 0 and "name: site\n        namespace: tls" in out


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


# --- diff --write ------------------------------------------------------------------------------

DEPLOYMENT = """\
# A Deployment kept in the same file: --write must leave it exactly as it is.
apiVersion: apps/v1
kind: Deployment
metadata:
    name: web      # four-space indent, a comment, 'quotes': all kept
    namespace: shop
spec: {replicas: 2}
"""


def diff(*args: str) -> tuple[int, str, str]:
    return run("diff", "--providers", "nginx", "-f", str(EXAMPLE), *args)


def generated_docs() -> list[dict[str, object]]:
    code, out, _ = run("print", "--providers", "nginx", "-f", str(EXAMPLE))
    assert code == 0
    return list(yaml.safe_load_all(out))


def generated_text() -> str:
    return run("print", "--providers", "nginx", "-f", str(EXAMPLE))[1]


def route_port(docs: list[dict[str, Any]], name: str) -> int:
    route = next(d for d in docs if d["metadata"]["name"] == name)
    return int(route["spec"]["rules"][0]["backendRefs"][0]["port"])


def test_write_refuses_its_own_input_file(tmp_path: Path) -> None:
    source = tmp_path / "shop.yaml"
    source.write_bytes(EXAMPLE.read_bytes())
    before = source.read_bytes()
    code, out, err = run(
        "diff", "--providers", "nginx", "-f", str(source), "--against", str(source), "--write"
    )
    assert code == 2 and out == ""
    assert err == (
        f"error: {source}: is an input of this run (-f); --write never rewrites its own input: "
        "give --against another file\n"
    )
    assert source.read_bytes() == before


def test_write_refuses_an_input_reached_through_a_link_or_a_directory(tmp_path: Path) -> None:
    inputs = tmp_path / "manifests"
    inputs.mkdir()
    source = inputs / "shop.yaml"
    source.write_bytes(EXAMPLE.read_bytes())
    link = tmp_path / "link.yaml"
    link.symlink_to(source)
    hard = tmp_path / "hard.yaml"
    os.link(source, hard)
    for against in (link, hard):
        code, _, err = run(
            "diff", "--providers", "nginx", "-f", str(inputs), "--against", str(against), "--write"
        )
        assert code == 2 and "is an input of this run" in err
    # A new file inside an input directory would be read as input next time.
    new = inputs / "gateway-api.yaml"
    code, _, err = run(
        "diff", "--providers", "nginx", "-f", str(inputs), "--against", str(new), "--write"
    )
    assert code == 2 and f"lies in the input directory {inputs.resolve()}" in err
    assert not new.exists() and source.read_bytes() == EXAMPLE.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "values.yaml",
            "replicaCount: 2\nimage:\n  tag: v1  # pinned\n",
            "not a Kubernetes object",
        ),
        (
            "README.md",
            "# Gateway\n\nThe routes: generated by a tool.\n",
            "not a Kubernetes object",
        ),
        ("deploy.yaml", DEPLOYMENT, "holds no object generated by ingress2gateway"),
        ("notes.txt", "- one\n- two\n", "not a Kubernetes object"),
    ],
)
def test_write_refuses_files_that_are_not_its_own(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    code, _, err = diff("--against", str(path), "--write")
    assert code == 2 and message in err and err.startswith(f"error: {path}")
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    assert path.read_text() == content and leftovers(tmp_path) == []


def test_write_refuses_a_hand_written_gateway_api_object(tmp_path: Path) -> None:
    path = tmp_path / "gateway-api.yaml"
    hand_written = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata:\n  name: by-hand\n  namespace: shop\nspec: {}\n"
    )
    content = generated_text() + "---\n" + hand_written
    path.write_text(content)
    code, _, err = diff("--against", str(path), "--write")
    assert code == 2
    assert "HTTPRoute shop/by-hand was not generated by ingress2gateway" in err
    assert f"{path}:" in err and "move it to another file" in err
    assert path.read_text() == content


def test_write_keeps_comments_and_foreign_objects(tmp_path: Path) -> None:
    """The issue's case: a committed file with a header, comments and a Deployment."""
    path = tmp_path / "gateway-api.yaml"
    docs = generated_text().split("---\n")
    gateway = docs[0].replace(
        "  gatewayClassName: nginx\n", "  gatewayClassName: nginx  # the shared class\n"
    )
    payments = docs[1].replace("port: 9000", "port: 9999")
    committed = (
        "# Generated by ingress2gateway; reviewed by the platform team.\n"
        + gateway
        + "---\n# Payments: owned by the payments team\n"
        + payments
        + "---\n"
        + DEPLOYMENT
        + "---\n"
        + "---\n".join(docs[2:])
        + "# end of file\n"
    )
    path.write_text(committed)
    code, out, err = diff("--against", str(path), "--write")
    assert code == 0, err
    assert [line for line in out.splitlines() if line[:1] in "+-"] == [
        f"--- HTTPRoute payments/payments-shop-example-com (committed, {path})",
        "+++ HTTPRoute payments/payments-shop-example-com (generated)",
        "-      port: 9999",
        "+      port: 9000",
    ]
    text = path.read_text()
    assert text.startswith("# Generated by ingress2gateway; reviewed by the platform team.\n")
    assert "gatewayClassName: nginx  # the shared class\n" in text
    assert "# Payments: owned by the payments team\n" in text
    assert "---\n" + DEPLOYMENT + "---\n" in text
    assert text.endswith("# end of file\n")
    assert route_port(list(yaml.safe_load_all(text)), "payments-shop-example-com") == 9000
    assert diff("--against", str(path)) == (0, "", "")
    # In sync: a second --write writes nothing.
    inode = path.stat().st_ino
    assert diff("--against", str(path), "--write") == (0, "", "")
    assert path.stat().st_ino == inode


def test_write_removes_only_its_own_objects_no_longer_generated(tmp_path: Path) -> None:
    path = tmp_path / "gateway-api.yaml"
    stale = (
        "# an old route\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n"
        "  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0.0.9\n"
        "  name: old\n  namespace: shop\nspec: {}\n"
    )
    path.write_text(stale + "---\n" + DEPLOYMENT)
    code, out, err = diff("--against", str(path), "--write")
    assert code == 0 and f"--- HTTPRoute shop/old (committed, {path})\n+++ /dev/null\n" in out
    assert f"removed HTTPRoute shop/old from {path} (no longer generated)" in err.splitlines()
    text = path.read_text()
    assert "name: old" not in text and "# an old route\n" in text and DEPLOYMENT in text
    assert len([d for d in yaml.safe_load_all(text) if d]) == 6
    assert diff("--against", str(path)) == (0, "", "")


def test_write_replaces_an_unmarked_copy_of_its_own_object(tmp_path: Path) -> None:
    """An object the tool generates, committed without the annotation, is the tool's."""
    path = tmp_path / "gateway-api.yaml"
    text = generated_text().replace(
        "  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0.1.0\n", "", 1
    )
    path.write_text(text.replace("port: 9000", "port: 1"))
    assert diff("--against", str(path), "--write")[0] == 0
    assert diff("--against", str(path)) == (0, "", "")


def test_write_keeps_crlf_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "gateway-api.yaml"
    text = ("# header\n" + generated_text().replace("port: 9000", "port: 1")).replace("\n", "\r\n")
    path.write_bytes(text.encode())
    assert diff("--against", str(path), "--write")[0] == 0
    written = path.read_bytes()
    assert written.startswith(b"# header\r\n") and b"\n" not in written.replace(b"\r\n", b"")
    assert diff("--against", str(path)) == (0, "", "")


def test_write_to_a_json_file_writes_a_list(tmp_path: Path) -> None:
    import json

    path = tmp_path / "gateway-api.json"
    assert diff("--against", str(path), "--write")[0] == 0
    body = json.loads(path.read_text())
    assert body["kind"] == "List" and len(body["items"]) == 5
    assert diff("--against", str(path)) == (0, "", "")
    body["items"].append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    body["items"][1]["spec"]["rules"][0]["backendRefs"][0]["port"] = 1
    path.write_text(json.dumps(body))
    code, _, err = diff("--against", str(path), "--write")
    assert code == 2 and "a JSON file is rewritten whole" in err


def test_write_on_a_full_disk_keeps_the_committed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gateway-api.yaml"
    committed = generated_text().replace("port: 9000", "port: 1")
    path.write_text(committed)

    def full(fd: int, *args: object, **kw: object) -> object:
        os.close(fd)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fdopen", full)
    code, _, err = diff("--against", str(path), "--write")
    assert code == 2
    assert err.endswith(f"error: {path}: cannot write the manifests: No space left on device\n")
    assert path.read_text() == committed and leftovers(tmp_path) == []


def test_write_into_a_directory_never_overwrites_a_file_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "gateway-api"
    mine = out / "default" / "gateway-nginx.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nginx\n")
    code, _, err = diff("--against", str(out), "--write")
    assert code == 2
    assert err.endswith(
        f"error: {mine}: holds no object generated by ingress2gateway; --write only edits files "
        "it wrote: give --against another file\n"
    )
    # Refused before anything was written: not even the other objects' files.
    assert sorted(p.name for p in out.rglob("*")) == ["default", "gateway-nginx.yaml"]


STALE_ROUTE = (
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n"
    "  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0.0.9\n"
    "  name: old\n  namespace: {namespace}\nspec: {{}}\n"
)


def test_write_into_a_directory_removes_files_no_longer_generated(tmp_path: Path) -> None:
    out = tmp_path / "gateway-api"
    assert diff("--against", str(out) + "/", "--write")[0] == 0
    assert diff("--against", str(out)) == (0, "", "")
    stale = out / "shop" / "httproute-old.yaml"
    stale.write_text(STALE_ROUTE.format(namespace="shop"))
    # In a namespace directory of its own: the directory goes with it.
    lonely = out / "gone" / "httproute-old.yaml"
    lonely.parent.mkdir()
    lonely.write_text("# written by ingress2gateway\n" + STALE_ROUTE.format(namespace="gone"))
    empty_before = out / "empty"
    empty_before.mkdir()
    payments = out / "payments" / "httproute-payments-shop-example-com.yaml"
    payments.write_text(payments.read_text().replace("port: 9000", "port: 1"))
    code, out_text, err = diff("--against", str(out), "--write")
    assert code == 0, err
    assert f"--- HTTPRoute shop/old (committed, {stale})\n+++ /dev/null\n" in out_text
    assert err.splitlines() == [
        "3 object(s) differ: 1 changed, 2 no longer generated",
        f"wrote 1 file(s) under {out}",
        f"removed {lonely} (HTTPRoute gone/old no longer generated)",
        f"removed {stale} (HTTPRoute shop/old no longer generated)",
        f"removed the empty directory {lonely.parent}",
    ]
    assert (
        not stale.exists() and not lonely.parent.exists() and "port: 9000" in payments.read_text()
    )
    assert (out / "shop").is_dir() and empty_before.is_dir()  # not emptied by the tool
    assert diff("--against", str(out)) == (0, "", "")


def test_write_into_a_directory_keeps_the_rest_of_a_mixed_file(tmp_path: Path) -> None:
    out = tmp_path / "gateway-api"
    assert diff("--against", str(out) + "/", "--write")[0] == 0
    mixed = out / "shop" / "extra.yaml"
    mixed.write_text(STALE_ROUTE.format(namespace="shop") + "---\n" + DEPLOYMENT)
    code, _, err = diff("--against", str(out), "--write")
    assert code == 0, err
    assert f"removed HTTPRoute shop/old from {mixed} (no longer generated)" in err.splitlines()
    assert mixed.read_text() == "---\n" + DEPLOYMENT  # byte for byte, its separator too
    assert diff("--against", str(out)) == (0, "", "")


def test_write_into_a_directory_refuses_to_remove_a_hand_written_object(tmp_path: Path) -> None:
    out = tmp_path / "gateway-api"
    assert diff("--against", str(out) + "/", "--write")[0] == 0
    hand = out / "shop" / "httproute-by-hand.yaml"
    text = STALE_ROUTE.format(namespace="shop").replace(
        "  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0.0.9\n", ""
    )
    hand.write_text(text)
    generated = out / "shop" / "httproute-old.yaml"
    generated.write_text(STALE_ROUTE.format(namespace="shop").replace("name: old", "name: x"))
    code, _, err = diff("--against", str(out), "--write")
    assert code == 2
    assert err.splitlines()[-1] == (
        f"error: {hand}:1: HTTPRoute shop/old was not generated by ingress2gateway (no "
        "gateway.networking.k8s.io/generator annotation) and is not generated now; --write "
        "would delete it: move it to another file"
    )
    # Refused before anything was done: the tool's stale file is still there too.
    assert hand.read_text() == text and generated.exists()


def test_write_into_a_directory_follows_no_link_out_of_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("precious\n")
    out = tmp_path / "gateway-api"
    link = out / "default" / "gateway-nginx.yaml"
    link.parent.mkdir(parents=True)
    # A generated Gateway seen through a link to a file elsewhere: the link is replaced, the
    # file it points at is left alone.
    gateway = generated_text().split("---\n")[0].replace("port: 80\n", "port: 8080\n")
    target = tmp_path / "target.yaml"
    target.write_text(gateway)
    link.symlink_to(target)
    assert diff("--against", str(out), "--write")[0] == 0
    assert not link.is_symlink() and target.read_text() == gateway
    assert outside.read_text() == "precious\n"


def test_write_rewrites_only_the_documents_that_differ(tmp_path: Path) -> None:
    """A new tool version (another generator annotation) alone is no reason to touch a
    document: diff ignores it, and so does --write."""
    path = tmp_path / "gateway-api.yaml"
    old = generated_text().replace("ingress2gateway-0.1.0", "ingress2gateway-0.0.1")
    path.write_text(old.replace("port: 9000", "port: 1"))
    assert diff("--against", str(path), "--write")[0] == 0
    docs = list(yaml.safe_load_all(path.read_text()))
    versions = {
        d["metadata"]["name"]: d["metadata"]["annotations"]["gateway.networking.k8s.io/generator"]
        for d in docs
    }
    assert versions.pop("payments-shop-example-com") == "ingress2gateway-0.1.0"
    assert set(versions.values()) == {"ingress2gateway-0.0.1"}


# --- sync, document by document --------------------------------------------------------------


def route(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "annotations": {"gateway.networking.k8s.io/generator": "ingress2gateway-0.1.0"},
            "name": name,
            "namespace": "web",
        },
        "spec": spec,
    }


def keys(*names: str) -> set[tuple[str, str, str, str]]:
    return {("gateway.networking.k8s.io", "HTTPRoute", "web", name) for name in names}


def planned(path: Path, text: str, objects: list[dict[str, Any]], differing: set[Any]) -> str:
    from ingress2gateway.writing.sync import plan_file

    path.write_text(text)
    return plan_file(path, objects, differing).text


def test_sync_replaces_a_list_of_its_own_objects_by_documents(tmp_path: Path) -> None:
    from ingress2gateway.writing.formats import encode

    listed = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [route("a"), route("b")]})
    text = planned(tmp_path / "f.yaml", "# mine\n" + listed, [route("a", x="on")], keys("a", "b"))
    assert text == "# mine\n" + encode(route("a", x="on"), "yaml")


def test_sync_keeps_what_only_looks_like_a_trailing_comment(tmp_path: Path) -> None:
    """'#' lines at the end of a literal block are its text, not comments after it."""
    old = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n" + (
        "metadata:\n  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0\n"
        "  name: a\n  namespace: web\nspec:\n  note: |\n    text\n    # not a comment\n"
    )
    new = route("a", note="text\n# not a comment\n", port=1)
    text = planned(tmp_path / "f.yaml", old, [new], keys("a"))
    assert yaml.safe_load(text) == new and "port: 1" in text


def test_sync_quotes_what_yaml_1_1_would_read_otherwise(tmp_path: Path) -> None:
    """ruamel.yaml reads and writes YAML 1.2, kubectl reads YAML 1.1: "on" must be quoted."""
    old = yaml.safe_dump(route("a", enabled="yes", mode="x"), sort_keys=True)
    new = route("a", enabled="on", mode="0777", added="off")
    text = planned(tmp_path / "f.yaml", old, [new], keys("a"))
    assert yaml.safe_load(text) == new


def test_sync_of_a_file_that_starts_with_a_separator_and_repeats_an_object(
    tmp_path: Path,
) -> None:
    old = "---\n" + yaml.safe_dump(route("a")) + "---\n" + yaml.safe_dump(route("a"))
    text = planned(tmp_path / "f.yaml", old, [route("a", port=2)], keys("a"))
    assert [d for d in yaml.safe_load_all(text) if d] == [route("a", port=2)]


def test_sync_appends_new_objects_after_a_last_line_without_a_break(tmp_path: Path) -> None:
    old = yaml.safe_dump(route("a")) + "# no line break at the end"
    text = planned(tmp_path / "f.yaml", old, [route("a"), route("b")], keys("b"))
    assert text.startswith(old + "\n---\n")
    assert [d for d in yaml.safe_load_all(text) if d] == [route("a"), route("b")]


def test_write_into_a_directory_inside_an_input_directory_is_refused(tmp_path: Path) -> None:
    inputs = tmp_path / "manifests"
    inputs.mkdir()
    (inputs / "shop.yaml").write_bytes(EXAMPLE.read_bytes())
    out = inputs / "gateway-api"
    code, _, err = run(
        "diff", "--providers", "nginx", "-f", str(inputs), "--against", f"{out}/", "--write"
    )
    assert code == 2 and err.splitlines()[-1].startswith("error: ")
    assert "lies in the input directory" in err and not out.exists()


def test_write_into_a_directory_of_json_files_keeps_them_json(tmp_path: Path) -> None:
    import json

    out = tmp_path / "gateway-api"
    assert (
        run(
            "print",
            "--providers",
            "nginx",
            "-f",
            str(EXAMPLE),
            "-o",
            "json",
            "--output-dir",
            str(out),
        )[0]
        == 0
    )
    payments = out / "payments" / "httproute-payments-shop-example-com.json"
    body = json.loads(payments.read_text())
    body["spec"]["rules"][0]["backendRefs"][0]["port"] = 1
    payments.write_text(json.dumps(body))
    assert diff("--against", str(out), "--write")[0] == 0
    assert json.loads(payments.read_text())["kind"] == "HTTPRoute"
    assert not list(out.rglob("*.yaml"))
    assert diff("--against", str(out)) == (0, "", "")
