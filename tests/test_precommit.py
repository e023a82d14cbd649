"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against temporary git
repositories holding the positive and negative examples of each hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "tests" / "hooks"


def hook_ids() -> list[str]:
    return [hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]


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


def _try_repo(repo: Path, hook: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            hook,
            "--all-files",
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


@pytest.mark.slow
@pytest.mark.parametrize("hook", hook_ids())
def test_hook_passes_positive_examples(
    hook: str, tmp_path: Path, pre_commit_env: dict[str, str]
) -> None:
    repo = _repo_with(tmp_path, sorted((HOOKS / "positive" / hook).glob("*.yaml")), pre_commit_env)
    result = _try_repo(repo, hook, pre_commit_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


@pytest.mark.slow
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
