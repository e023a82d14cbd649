"""``ingress2gateway plan`` end to end, in-process: formats, --output, verify by default,
exit codes, and hostile input shown as text in every form."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from ingress2gateway.cli.commands import main
from ingress2gateway.planning.markdown_form import code, text
from tests.plan_input import HOSTILE, write_input


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def plan(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    path = write_input(tmp_path)
    return run("plan", "--providers", "nginx", "-f", str(path), *args)


def test_json_is_the_plan_with_verify_run_by_default(tmp_path: Path) -> None:
    code_, out, _ = plan(tmp_path, "--emitter", "envoy-gateway", "--format", "json")
    assert code_ == 0
    body = json.loads(out)
    assert body["planVersion"] == 1 and body["tool"]["emitter"] == "envoy-gateway"
    assert body["verify"]["ran"] and body["verify"]["requests"] > 0
    assert list(body) == [
        "planVersion",
        "tool",
        "target",
        "summary",
        "namespaces",
        "checklist",
        "prerequisites",
        "review",
        "cutover",
        "verify",
        "routes",
    ]


def test_no_verify_says_so(tmp_path: Path) -> None:
    _, out, _ = plan(tmp_path, "--format", "json", "--no-verify")
    assert json.loads(out)["verify"]["reason"] == "--no-verify was given"


def test_markdown_is_the_default_and_holds_every_section(tmp_path: Path) -> None:
    code_, out, _ = plan(tmp_path, "--no-verify")
    assert code_ == 0 and out.startswith("# Migration plan\n")
    headings = re.findall(r"^## (.+)$", out, re.MULTILINE)
    assert headings == [
        "Objects by namespace",
        "Checklist",
        "Cluster prerequisites",
        "Other tools' annotations to review",
        "Cut-over per host",
        "Verification",
        "Policies per route",
    ]
    assert "| ⛔ **blocked** | Ingress team-a/shop" in out
    assert "| ✅ **ready** | Ingress team-c/docs" in out


def test_output_file_instead_of_stdout(tmp_path: Path) -> None:
    target = tmp_path / "plan.html"
    code_, out, _ = plan(tmp_path, "--format", "html", "--output", str(target), "--no-verify")
    assert code_ == 0 and out == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_exit_codes_follow_print(tmp_path: Path) -> None:
    assert plan(tmp_path, "--no-verify")[0] == 0
    code_, _, err = run("plan", "--providers", "nginx", "-f", str(tmp_path / "missing.yaml"))
    assert code_ == 1 and "missing.yaml" in err and "Traceback" not in err
    assert plan(tmp_path, "--format", "pdf")[0] == 2
    assert run("plan", "-f", str(write_input(tmp_path)))[0] == 2  # --providers is required


def test_html_is_self_contained_and_escapes_input(tmp_path: Path) -> None:
    _, page, _ = plan(tmp_path, "--format", "html", "--no-verify")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # No network: nothing is fetched, and the page forbids it.
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page, re.IGNORECASE)
    assert "default-src 'none'" in page


def test_markdown_shows_hostile_values_as_text(tmp_path: Path) -> None:
    _, out, _ = plan(tmp_path, "--no-verify")
    # Only inside a code span, where GitHub shows it literally.
    assert f"`{HOSTILE}`" in out
    assert out.count("<script>") == 1
    assert text("a|b <i>x</i> *y* [z](u)") == r"a\|b &lt;i&gt;x&lt;/i&gt; \*y\* \[z\](u)"
    assert code("a`b") == "``a`b``" and code("x|y", in_table=True) == r"`x\|y`"
    assert text("- item").startswith("\\-") and text("1. one").startswith("\\1")


def test_the_command_is_deterministic(tmp_path: Path) -> None:
    for form in ("markdown", "html", "json"):
        first = plan(tmp_path, "--format", form, "--no-verify")[1]
        assert plan(tmp_path, "--format", form, "--no-verify")[1] == first
