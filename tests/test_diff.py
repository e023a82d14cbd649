"""``diff``: the flags of ``print``, ``kubectl diff``'s exit codes and unified diffs, and
``--write`` that converges (removing what the tool no longer generates)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ingress2gateway.cli.commands import main
from ingress2gateway.cli.diff import (
    normalise,
    unified_diff,
)
from ingress2gateway.target import Target
from ingress2gateway.writing.formats import to_yaml
from tests.fakekube import FakeKube
from tests.fakekube.fixtures import (  # noqa: F401 - fixtures are found by pytest, not called
    fake_kube_fixture,
    kubeconfig_path_fixture,
    tls_material_fixture,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"
EG_CASES = ROOT / "testdata" / "envoy-gateway"
REGEX_REWRITE = EG_CASES / "nginx-regex-rewrite" / "input.yaml"
RATE_LIMIT = EG_CASES / "nginx-rate-limit-global" / "input.yaml"
EG = ("--emitter", "envoy-gateway")
EG_GROUP = "gateway.envoyproxy.io"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def diff(source: Path, against: Path | str, *args: str) -> tuple[int, str, str]:
    return run("diff", "--providers", "nginx", "-f", str(source), "--against", str(against), *args)


def printed(source: Path, *args: str) -> str:
    code, out, err = run("print", "--providers", "nginx", "-f", str(source), "-q", *args)
    assert code == 0, err
    return out


def kinds(text: str) -> list[str]:
    return sorted(d["kind"] for d in yaml.safe_load_all(text) if d)


def changed_lines(text: str) -> list[str]:
    """The ``+``/``-`` lines of a unified diff, without its ``---``/``+++`` headers."""
    return [
        line
        for line in text.splitlines()
        if line[:1] in "+-" and not line.startswith(("--- ", "+++ "))
    ]


# --- the same language as print ---------------------------------------------------------------


def test_an_envoy_gateway_migration_is_in_sync_with_the_envoy_gateway_emitter(
    tmp_path: Path,
) -> None:
    """The user's report: diff --write rewrote Envoy Gateway routes back to the standard form."""
    committed = tmp_path / "gateway-api.yaml"
    committed.write_text(printed(REGEX_REWRITE, *EG))
    assert "HTTPRouteFilter" in kinds(committed.read_text())
    assert diff(REGEX_REWRITE, committed, *EG) == (0, "", "")
    # The standard emitter makes something else: that is a difference, not sync.
    assert diff(REGEX_REWRITE, committed)[0] == 1
    before = committed.read_text()
    assert diff(REGEX_REWRITE, committed, *EG, "--write") == (0, "", "")
    assert committed.read_text() == before


@pytest.mark.parametrize("layout", ["file", "directory"])
def test_write_with_the_envoy_gateway_emitter_keeps_its_objects(
    tmp_path: Path, layout: str
) -> None:
    against: Path | str = tmp_path / "gateway-api.yaml"
    if layout == "directory":
        against = f"{tmp_path / 'gateway-api'}/"
    code, _, err = diff(REGEX_REWRITE, against, *EG, "--write")
    assert code == 0, err
    assert diff(REGEX_REWRITE, against, *EG) == (0, "", "")
    committed = (
        "".join("---\n" + p.read_text() for p in sorted(Path(against).rglob("*.yaml")))
        if layout == "directory"
        else Path(against).read_text()
    )
    assert kinds(committed) == kinds(printed(REGEX_REWRITE, *EG))
    route = next(d for d in yaml.safe_load_all(committed) if d and d["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["filters"][0]["extensionRef"]["group"] == EG_GROUP


def test_emitter_options_and_their_flags_reach_the_comparison(tmp_path: Path) -> None:
    committed = tmp_path / "gateway-api.yaml"
    committed.write_text(printed(RATE_LIMIT, *EG, "--emitter-option", "rate-limit-service=true"))
    assert diff(RATE_LIMIT, committed, *EG, "--emitter-option", "rate-limit-service=true")[0] == 0
    assert diff(RATE_LIMIT, committed, *EG, "--envoy-gateway-rate-limit-service")[0] == 0
    assert diff(RATE_LIMIT, committed, *EG)[0] == 1
    # An emitter's flag with another emitter is a usage error, as for print.
    assert diff(RATE_LIMIT, committed, "--envoy-gateway-rate-limit-service")[0] == 2


def test_diff_takes_every_conversion_flag_of_print() -> None:
    # Flags that shape print's output, not how it is written or reported.
    not_conversion = {
        "output_format",
        "output_dir",
        "prune",
        "report_file",
        "fail_on",
        "color",
        "no_color",
        "quiet",
        "run_verify",
        "jobs",
    }
    printing = {p.name for p in main.commands["print"].params} - not_conversion
    diffing = {p.name for p in main.commands["diff"].params}
    assert printing - diffing == set()


# --- exit codes -----------------------------------------------------------------------------------


def test_exit_codes_follow_kubectl_diff(tmp_path: Path) -> None:
    committed = tmp_path / "gateway-api.yaml"
    assert diff(EXAMPLE, committed)[0] == 1  # nothing committed: everything differs
    committed.write_text(printed(EXAMPLE))
    assert diff(EXAMPLE, committed) == (0, "", "")
    # Input that cannot be read.
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [\n")
    code, out, err = diff(broken, committed)
    assert (code, out) == (2, "") and err.startswith(f"error: {broken}:")
    code, _, err = diff(tmp_path / "missing.yaml", committed)
    assert code == 2 and "missing.yaml" in err
    # Committed manifests that cannot be read.
    bad_committed = tmp_path / "bad-committed.yaml"
    bad_committed.write_text("kind: [\n")
    code, _, err = diff(EXAMPLE, bad_committed)
    assert code == 2 and err.splitlines()[-1] == (
        f"error: {bad_committed}: cannot read the committed manifests"
    )
    # Usage errors.
    assert diff(EXAMPLE, committed, "--no-such-flag")[0] == 2
    code, _, err = diff(EXAMPLE, "cluster", "--write")
    assert code == 2 and "--write needs --against PATH" in err
    assert run("diff", "--providers", "", "-f", str(EXAMPLE), "--against", str(committed))[0] == 2


def test_an_unexpected_error_exits_2_not_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingress2gateway.cli.diff as diff_module

    def broken(*args: object, **kw: object) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(diff_module, "diff_objects", broken)
    monkeypatch.delenv("I2G_DEBUG", raising=False)
    code, out, err = diff(EXAMPLE, tmp_path / "gateway-api.yaml")
    assert (code, out) == (2, "")
    assert err == (
        "error: internal error: ValueError: boom (please report this bug; set I2G_DEBUG=1 for "
        "details)\n"
    )


def test_the_exit_codes_are_documented() -> None:
    code, out, _ = run("diff", "--help")
    text = " ".join(out.split())
    assert code == 0
    assert "0 in sync" in text and "1 they differ" in text and "2 an error" in text
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`diff` exits as `kubectl diff` does: `0` in sync" in readme
    assert "`1` they differ, `2` an error" in readme


# --- output -------------------------------------------------------------------------------------


def ingresses(count: int, skip: int | None = None) -> str:
    docs = []
    for i in range(count):
        if i == skip:
            continue
        host = f"app{i:02d}.example.com"
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": f"app{i:02d}", "namespace": "web"},
                "spec": {
                    "ingressClassName": "nginx",
                    "tls": [{"hosts": [host], "secretName": f"app{i:02d}-tls"}],
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {
                                                "name": f"app{i:02d}",
                                                "port": {"number": 80},
                                            }
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        )
    return yaml.safe_dump_all(docs)


def test_deleting_one_ingress_shows_only_its_listeners_and_routes(tmp_path: Path) -> None:
    """Listeners are matched by name: the 23 listeners after the deleted ones do not each
    show as changed because they moved up by two places."""
    source = tmp_path / "ingresses.yaml"
    source.write_text(ingresses(24))
    committed = tmp_path / "gateway-api.yaml"
    committed.write_text(printed(source))
    source.write_text(ingresses(24, skip=5))
    code, out, _ = diff(source, committed)
    assert code == 1
    gone = "app05.example.com"
    committed_docs = [d for d in yaml.safe_load_all(committed.read_text()) if d]
    (gateway,) = [d for d in committed_docs if d["kind"] == "Gateway"]
    routes = [
        d for d in committed_docs if d["kind"] == "HTTPRoute" and gone in d["spec"]["hostnames"]
    ]
    assert len(routes) == 2  # the HTTPS route and the HTTP-to-HTTPS redirect
    headers = [line for line in out.splitlines() if line.startswith("--- ")]
    assert headers == [f"--- Gateway web/nginx (committed, {committed})"] + [
        f"--- HTTPRoute web/{name} (committed, {committed})"
        for name in sorted(r["metadata"]["name"] for r in routes)
    ]
    gateway_diff, *route_diffs = re.split(r"(?m)^(?=--- )", out)[1:]
    # The Gateway: exactly the lines of the deleted host's two listeners, removed, in one hunk.
    normalised = normalise(gateway, Target.parse(None, "standard"))
    listeners = [item for item in normalised["spec"]["listeners"] if item["hostname"] == gone]
    expected = to_yaml({"spec": {"listeners": listeners}}).splitlines()[2:]
    assert len(expected) > 10
    assert changed_lines(gateway_diff) == ["-" + line for line in expected]
    assert gateway_diff.count("\n@@ ") == 1
    assert changed_lines(gateway_diff)[0] == "-  - allowedRoutes:"  # from the item's start
    # Each route of the deleted host: removed whole.
    for text in route_diffs:
        assert text.splitlines()[1] == "+++ /dev/null"
        assert all(line.startswith("-") for line in text.splitlines()[3:])


@given(
    st.lists(st.sampled_from("abcd"), max_size=14),
    st.lists(st.sampled_from("abcd"), max_size=14),
)
def test_a_unified_diff_applied_to_the_old_lines_gives_the_new(
    old: list[str], new: list[str]
) -> None:
    text = unified_diff(old, new, "old", "new")
    assert text.startswith("--- old\n+++ new\n")
    result: list[str] = []
    position = 0
    for line in text.splitlines()[2:]:
        hunk = re.fullmatch(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", line)
        if hunk:
            start, length = int(hunk[1]), int(hunk[2] or 1)
            start = start - 1 if length else start
            assert start >= position
            result += old[position:start]
            position = start
        elif line[0] in " -":
            assert old[position] == line[1:]
            position += 1
            if line[0] == " ":
                result.append(line[1:])
        else:
            assert line[0] == "+"
            result.append(line[1:])
    assert result + old[position:] == new
    if old == new:
        assert text == "--- old\n+++ new\n"


# --- --write converges -----------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["file", "directory"])
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_a_second_diff_after_write_is_in_sync(tmp_path: Path, layout: str, emitter: str) -> None:
    source = tmp_path / "ingresses.yaml"
    source.write_text(REGEX_REWRITE.read_text() + "---\n" + ingresses(3))
    against = str(tmp_path / "gateway-api.yaml") if layout == "file" else f"{tmp_path}/out/"
    flags = ("--emitter", emitter)
    assert diff(source, against, *flags, "--write")[0] == 0
    assert diff(source, against, *flags) == (0, "", "")
    # The regex rewrite goes: its route (and, for envoy-gateway, its HTTPRouteFilter) too.
    source.write_text(ingresses(3))
    code, _, err = diff(source, against, *flags, "--write")
    assert code == 0, err
    removed = [line for line in err.splitlines() if line.startswith("removed ")]
    assert any("HTTPRoute web/captures-api-example-com" in line for line in removed)
    if emitter == "envoy-gateway":
        assert any(
            "HTTPRouteFilter web/captures-api-example-com-rule-0-rewrite" in line
            for line in removed
        )
    assert diff(source, against, *flags) == (0, "", "")
    if layout == "directory":
        names = sorted(p.name for p in (tmp_path / "out" / "web").iterdir())
        assert not [name for name in names if "captures" in name]


# --- print --output-dir --prune -----------------------------------------------------------------


def print_to(source: Path, out: Path, *args: str) -> tuple[int, str, str]:
    return run(
        "print", "--providers", "nginx", "-f", str(source), "-q", "--output-dir", str(out), *args
    )


STALE = (
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n"
    "  annotations:\n    gateway.networking.k8s.io/generator: ingress2gateway-0.0.9\n"
    "  name: {name}\n  namespace: {namespace}\nspec: {{}}\n"
)
HAND_WRITTEN = (
    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n"
    "  name: by-hand\n  namespace: web\nspec: {}\n"
)
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\n"


def test_prune_removes_what_the_tool_no_longer_generates_and_nothing_else(
    tmp_path: Path,
) -> None:
    source = tmp_path / "ingresses.yaml"
    source.write_text(ingresses(3))
    out = tmp_path / "out"
    assert print_to(source, out)[0] == 0
    route = out / "web" / "httproute-app01-app01-example-com.yaml"
    assert route.exists()
    # What else sits in the directory.
    (out / "old").mkdir()
    elsewhere = out / "old" / "httproute-gone.yaml"
    elsewhere.write_text(STALE.format(name="gone", namespace="old"))
    hand = out / "web" / "by-hand.yaml"
    hand.write_text(HAND_WRITTEN)
    mixed = out / "web" / "mixed.yaml"
    mixed.write_text(STALE.format(name="mixed", namespace="web") + "---\n" + CONFIG_MAP)
    notes = out / "web" / "notes.yaml"
    notes.write_text("replicas: 2\n")
    (out / "empty").mkdir()
    source.write_text(ingresses(3, skip=1))
    code, _, err = print_to(source, out, "--prune")
    assert code == 0, err
    gone = sorted(out.glob("web/httproute-app01-*.yaml"))
    assert removals(err) == [
        f"removed {elsewhere} (HTTPRoute old/gone no longer generated)",
        f"removed {out}/web/httproute-app01-app01-example-com-http.yaml (HTTPRoute "
        "web/app01-app01-example-com-http no longer generated)",
        f"removed {route} (HTTPRoute web/app01-app01-example-com no longer generated)",
        f"removed HTTPRoute web/mixed from {mixed} (no longer generated)",
        f"removed the empty directory {out}/old",
    ]
    assert gone == [] and not (out / "old").exists()
    assert hand.read_text() == HAND_WRITTEN and notes.read_text() == "replicas: 2\n"
    assert mixed.read_text() == "---\n" + CONFIG_MAP
    assert (out / "empty").is_dir()  # empty before: not the tool's doing
    # Converged: the directory now holds what print writes (and the others' files).
    assert removals(print_to(source, out, "--prune")[2]) == []


def removals(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("removed ")]


def test_prune_needs_an_output_dir() -> None:
    code, _, err = run("print", "--providers", "nginx", "-f", str(EXAMPLE), "--prune")
    assert code == 2 and "--prune needs --output-dir DIR" in err


def test_prune_removes_nothing_after_input_errors(tmp_path: Path) -> None:
    source = tmp_path / "ingresses.yaml"
    source.write_text(ingresses(2))
    out = tmp_path / "out"
    assert print_to(source, out)[0] == 0
    before = sorted(out.rglob("*"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [\n")
    source.write_text(ingresses(1))
    code, _, err = run(
        "print", "--providers", "nginx", "-f", str(source), "-f", str(broken), "-q",
        "--output-dir", str(out), "--prune",
    )  # fmt: skip
    assert code == 1
    assert "error: --prune removed nothing: input errors leave what is no longer generated" in err
    assert sorted(out.rglob("*")) == before


def test_prune_leaves_links_and_input_files_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = STALE.format(name="old", namespace="web")
    target = tmp_path / "elsewhere.yaml"
    target.write_text(stale)
    (out / "link.yaml").symlink_to(target)
    # A file this run reads (the tool's, oddly) is never removed.
    source = out / "input.yaml"
    source.write_text(ingresses(1) + "---\n" + stale)
    code, _, err = print_to(source, out, "--prune")
    assert code == 0, err
    assert (out / "link.yaml").is_symlink() and target.read_text() == stale
    assert source.exists()
    assert removals(err) == []


# --- against a cluster --------------------------------------------------------------------------


def test_against_a_cluster_the_emitters_kinds_are_read_too(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    """An Envoy Gateway migration applied to a cluster is in sync: its HTTPRouteFilter is read
    back (as a kind of the generated objects), not shown as one to create."""
    generated = [d for d in yaml.safe_load_all(printed(REGEX_REWRITE, *EG)) if d]
    for obj in generated:
        group, _, version = obj["apiVersion"].rpartition("/")
        plural = obj["kind"].lower() + ("es" if obj["kind"].endswith("s") else "s")
        fake_kube.install_crd(group, version, plural, obj["kind"])
    fake_kube.add(*generated)
    flags = ("--kubeconfig", str(kubeconfig_path), "-A")
    assert diff(REGEX_REWRITE, "cluster", *EG, *flags) == (0, "", "")
    fake_kube.delete(
        generated[-1]["apiVersion"],
        generated[-1]["kind"],
        "captures-api-example-com-rule-0-rewrite",
        "web",
    )
    code, out, _ = diff(REGEX_REWRITE, "cluster", *EG, *flags)
    assert code == 1
    assert out.splitlines()[:2] == [
        "--- /dev/null",
        "+++ HTTPRouteFilter web/captures-api-example-com-rule-0-rewrite (generated)",
    ]


def test_prune_removes_nothing_after_objects_failed_validation(tmp_path: Path) -> None:
    """An object left out as invalid is missing this time, not gone: its file stays."""
    from types import SimpleNamespace

    from ingress2gateway.cli.commands import _Printer

    out = tmp_path / "out"
    (out / "web").mkdir(parents=True)
    stale = out / "web" / "httproute-old.yaml"
    stale.write_text(STALE.format(name="old", namespace="web"))
    printer = _Printer("yaml", str(out))
    invalid = SimpleNamespace(code="output-invalid")
    result: Any = SimpleNamespace(report=SimpleNamespace(notifications=[invalid]))
    assert printer.prune([], 0, result) is False
    assert stale.exists()
    result.report.notifications = []
    assert printer.prune([], 0, result) is True
    assert not stale.exists() and not (out / "web").exists()
