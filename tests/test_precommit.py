"""The hooks in .pre-commit-hooks.yaml on the positive and negative examples of each hook.

By default each hook's ``entry`` is run the way pre-commit runs it (the manifest's command, the
example files its ``types_or`` selects appended, from the directory that holds them); that takes
seconds. The real pre-commit (``try-repo`` against temporary git repositories: it installs the
project into a fresh hook environment each time, about a minute per run) is ``exhaustive``:
``.ci/run`` runs it, ``pytest -m exhaustive`` here.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "tests" / "hooks"


def hooks() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return found


def hook_ids() -> list[str]:
    return [hook["id"] for hook in hooks()]


def test_every_hook_has_positive_and_negative_examples() -> None:
    for hook in hook_ids():
        assert list((HOOKS / "positive" / hook).glob("*.yaml")), hook
        assert list((HOOKS / "negative" / hook).glob("*.yaml")), hook


def test_manifest_is_valid_for_pre_commit() -> None:
    pytest.importorskip("pre_commit")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-manifest",
            str(ROOT / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _selected(hook: dict[str, Any], files: list[Path]) -> list[Path]:
    """The files pre-commit hands to *hook*: those whose identify tags meet its ``types_or``."""
    identify = pytest.importorskip("identify.identify")
    wanted = set(hook.get("types_or") or ["file"])
    return [path for path in files if wanted & identify.tags_from_path(str(path))]


def _run_entry(hook: dict[str, Any], examples: list[Path], tmp_path: Path) -> tuple[int, str]:
    """Run *hook*'s entry as pre-commit does: ``entry args... file...`` from the repository root
    (here a copy of the examples), with the project installed (the console script)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path in examples:
        shutil.copy(path, tmp_path / path.name)
    files = [path.name for path in _selected(hook, [tmp_path / p.name for p in examples])]
    assert files, hook["id"]
    command = shlex.split(hook["entry"]) + list(hook.get("args") or []) + files
    script = Path(sys.executable).with_name(command[0])
    assert script.exists(), f"{command[0]} is not installed next to {sys.executable}"
    result = subprocess.run(
        [str(script), *command[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_hook_entry_passes_positive_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    status, output = _run_entry(hook, sorted((HOOKS / "positive" / hook["id"]).glob("*")), tmp_path)
    assert status == 0, output


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_hook_entry_fails_negative_examples(hook: dict[str, Any], tmp_path: Path) -> None:
    examples = sorted((HOOKS / "negative" / hook["id"]).glob("*"))
    status, output = _run_entry(hook, examples, tmp_path)
    assert status != 0, output  # pre-commit reports a hook that exits non-zero as Failed
    for example in examples:
        assert f"{example.name}:" in output  # every negative file is named in a finding


# What the README's pre-commit example passes: the hooks take print's conversion flags.
SHARED_ARGS = ["--emitter", "envoy-gateway", "--gateway-api-version", "v1.3"]


def _with_args(hook: dict[str, Any], args: list[str]) -> dict[str, Any]:
    """``hook`` as a user's ``args:`` makes it (pre-commit appends them to ``entry``)."""
    return {**hook, "args": args}


@pytest.mark.slow
@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_hook_entry_takes_the_conversion_flags_as_args(
    hook: dict[str, Any], tmp_path: Path
) -> None:
    positive = sorted((HOOKS / "positive" / hook["id"]).glob("*"))
    status, output = _run_entry(_with_args(hook, SHARED_ARGS), positive, tmp_path / "positive")
    assert status == 0, output
    negative = sorted((HOOKS / "negative" / hook["id"]).glob("*"))
    status, output = _run_entry(_with_args(hook, SHARED_ARGS), negative, tmp_path / "negative")
    assert status == 1, output
    assert all(f"{example.name}:" in output for example in negative)


@pytest.mark.slow
def test_check_hook_judges_an_envoy_gateway_migration_by_that_emitter(tmp_path: Path) -> None:
    """Basic auth: an error for the standard emitter (the rule is emitted closed), carried by
    Envoy Gateway (a SecurityPolicy; what is left is a warning about the Secret's hashes)."""
    (hook,) = [h for h in hooks() if h["id"] == "ingress2gateway-check"]
    example = [HOOKS / "envoy-gateway" / "basic-auth.yaml"]
    status, output = _run_entry(_with_args(hook, ["--fail-on", "error"]), example, tmp_path / "s")
    assert status == 1 and "error extension-unsupported" in output
    args = [*SHARED_ARGS, "--fail-on", "error"]
    status, output = _run_entry(_with_args(hook, args), example, tmp_path / "eg")
    assert status == 0, output
    assert "warning eg-basic-auth-sha-only" in output


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of this project (pre-commit try-repo clones it)")
    env = dict(os.environ)
    # One cache for the module: the hook environment is built once and reused by every run.
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
    )
    env.pop("PRE_COMMIT", None)
    return env


def _repo_with(tmp_path: Path, files: list[Path], env: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    for path in files:
        shutil.copy(path, repo / path.name)
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=env)
    return repo


def _try_repo(
    repo: Path, hook: str, env: dict[str, str], files: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    chosen = ["--all-files"] if files is None else ["--files", *files]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            hook,
            *chosen,
            "--color",
            "never",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.exhaustive
@pytest.mark.parametrize("hook", hook_ids())
def test_hook_passes_positive_examples(
    hook: str, tmp_path: Path, pre_commit_env: dict[str, str]
) -> None:
    repo = _repo_with(tmp_path, sorted((HOOKS / "positive" / hook).glob("*.yaml")), pre_commit_env)
    result = _try_repo(repo, hook, pre_commit_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


@pytest.mark.exhaustive
@pytest.mark.parametrize("hook", hook_ids())
def test_hook_fails_negative_examples(
    hook: str, tmp_path: Path, pre_commit_env: dict[str, str]
) -> None:
    examples = sorted((HOOKS / "negative" / hook).glob("*.yaml"))
    repo = _repo_with(tmp_path, examples, pre_commit_env)
    result = _try_repo(repo, hook, pre_commit_env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    for example in examples:
        assert f"{example.name}:" in result.stdout  # every negative file is named in a finding


@pytest.mark.exhaustive
def test_check_hook_gives_a_file_the_same_findings_alone_and_with_all_files(
    tmp_path: Path, pre_commit_env: dict[str, str]
) -> None:
    """The real pre-commit, once with one changed file and once with --all-files: the check
    hook reads the rest of the repository as context (tests/test_check_context.py)."""
    from .test_check_context import REPOSITORY

    repo = tmp_path / "repo"
    for name, text in REPOSITORY.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=pre_commit_env)
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=pre_commit_env)

    def lines_of(result: subprocess.CompletedProcess[str], file: str) -> list[str]:
        return [line for line in result.stdout.splitlines() if line.startswith(f"{file}:")]

    alone = _try_repo(repo, "ingress2gateway-check", pre_commit_env, ["blocked.yaml"])
    every = _try_repo(repo, "ingress2gateway-check", pre_commit_env)
    assert alone.returncode == every.returncode == 1, alone.stdout + every.stdout
    found = lines_of(alone, "blocked.yaml")
    assert found and "nginx-ingress-dropped" in found[0]  # the ConfigMap, from context
    assert found == lines_of(every, "blocked.yaml")
    assert [line for line in alone.stdout.splitlines() if ".yaml:" in line] == found
