"""``check FILES`` reads the rest of the repository as context and reports only FILES.

A pre-commit hook is given the changed files only; an Ingress's Service (named port), its
IngressClass, the controller's ConfigMap and a canary's primary live elsewhere. The same file
must give the same findings whether pre-commit passes it alone or with ``--all-files``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingress2gateway.cli.commands import main
from ingress2gateway.reading.context import git_work_tree_files

CANARY = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop-canary
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "10"
spec:
  ingressClassName: edge
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop-v2, port: {name: http}}}
"""
PRIMARY = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: |
      more_set_headers "X-Shop: 1";
spec:
  ingressClassName: edge
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop, port: {number: 80}}}
"""
CLASS = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: edge
spec:
  controller: k8s.io/ingress-nginx
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: shop-v2, namespace: web}
spec:
  ports:
  - name: http
    port: 8080
    targetPort: 9090
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data:
  annotation-value-word-blocklist: "forbidden"
"""
BLOCKED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: blocked
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/rewrite-target: /forbidden
spec:
  ingressClassName: edge
  rules:
  - host: blocked.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop, port: {number: 80}}}
"""

REPOSITORY = {
    "ingress.yaml": CANARY,
    "primary.yaml": PRIMARY,
    "blocked.yaml": BLOCKED,
    "platform/class.yaml": CLASS,
    "platform/services.yaml": SERVICE,
    "platform/configmap.yaml": CONFIGMAP,
    # Files that are no manifests, or not readable ones: never findings as context.
    "charts/web/templates/service.yaml": "kind: Service\nmetadata:\n  name: {{ .Values.name }}\n",
    "broken.json": '{"kind": ',
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}
CHANGED = ("ingress.yaml", "blocked.yaml")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def write(top: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text)
    return top


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with the manifests above, staged; the current directory (pre-commit
    runs hooks at the top of the work tree)."""
    top = write(tmp_path / "repo", REPOSITORY)
    git(top, "init", "-q")
    git(top, "add", ".")
    monkeypatch.chdir(top)
    return top


# The GatewayClass named: else every run has an info saying which one was assumed.
QUIET = ("--gateway-class-name", "eg")


def findings(*args: str) -> list[tuple[str, str, str, str]]:
    done = CliRunner().invoke(
        main, ["check", "--format", "json", "--show-info", "--fail-on", "never", *QUIET, *args]
    )
    assert done.exit_code == 0, done.output
    return [
        (f["file"], f["level"], f["code"], f["message"])
        for f in json.loads(done.stdout)["findings"]
    ]


def of(file: str, found: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    return [f for f in found if f[0] == file]


def every_file() -> list[str]:
    """What ``pre-commit run --all-files`` passes to a hook with ``types_or: [yaml, json]``."""
    return sorted(REPOSITORY)


@pytest.mark.parametrize("changed", CHANGED)
def test_a_file_alone_gives_the_findings_it_gives_with_all_files(repo: Path, changed: str) -> None:
    alone = findings(changed)
    assert alone == of(changed, findings(*every_file()))
    # ... and those come from the context: alone, the Ingress is of an unknown class.
    without_context = findings("--no-context", changed)
    assert [code for _, _, code, _ in without_context] == ["ingress-class-not-selected"]
    assert alone != without_context


def test_the_context_resolves_the_service_class_canary_primary_and_configmap(repo: Path) -> None:
    assert findings("ingress.yaml") == []  # port name, class and primary all found
    found = findings("blocked.yaml")
    # The controller's ConfigMap (in platform/) blocks a word of this Ingress's annotation.
    assert [code for _, _, code, _ in found] == ["nginx-ingress-dropped"]


@pytest.mark.parametrize(
    ("missing", "code"),
    [
        ("platform/services.yaml", "backend-port-unresolved"),
        ("primary.yaml", "nginx-canary-no-primary"),
        ("platform/class.yaml", "ingress-class-not-selected"),
    ],
)
def test_each_piece_of_context_matters(repo: Path, missing: str, code: str) -> None:
    (repo / missing).unlink()  # a tracked file deleted from the work tree is no context
    assert [c for _, _, c, _ in findings("ingress.yaml")] == [code]


def test_findings_of_context_files_and_unreadable_context_are_not_shown(repo: Path) -> None:
    # primary.yaml's snippet warning, broken.json and the chart template's invalid YAML are
    # all findings when those files are checked ...
    everything = {file for file, *_ in findings(*every_file())}
    assert {"primary.yaml", "broken.json", "charts/web/templates/service.yaml"} <= everything
    # ... and none when they are context.
    assert findings("ingress.yaml") == []


def test_untracked_files_are_context_ignored_ones_are_not(repo: Path) -> None:
    (repo / "platform/class.yaml").rename(repo / "class.yaml")
    git(repo, "rm", "-q", "--cached", "platform/class.yaml")
    assert findings("ingress.yaml") == []  # untracked, not ignored: context
    (repo / ".gitignore").write_text("class.yaml\n")
    assert [c for _, _, c, _ in findings("ingress.yaml")] == ["ingress-class-not-selected"]


def test_context_dir_replaces_the_work_tree(repo: Path) -> None:
    assert findings("--context", "platform", "--context", "primary.yaml", "ingress.yaml") == []
    only_platform = findings("--context", "platform", "ingress.yaml")
    assert [c for _, _, c, _ in only_platform] == ["nginx-canary-no-primary"]
    done = CliRunner().invoke(main, ["check", "--context", "nowhere", "ingress.yaml"])
    assert done.exit_code == 2
    assert "nowhere: no such file or directory" in done.output  # not a kubeconfig context
    assert "check never reads a cluster" in done.output
    both = CliRunner().invoke(main, ["check", "--context", "platform", "--no-context", "x.yaml"])
    assert both.exit_code == 2


def test_a_file_outside_git_has_no_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = write(tmp_path / "plain", REPOSITORY)
    monkeypatch.chdir(top)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert git_work_tree_files(["ingress.yaml"]) == []
    assert findings("ingress.yaml") == findings("--no-context", "ingress.yaml")


def test_the_work_tree_is_the_files_not_the_current_directorys(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    listed = git_work_tree_files([str(repo / "ingress.yaml")])
    assert str(repo / "platform/services.yaml") in [os.path.abspath(p) for p in listed]
    assert ".github/workflows/ci.yml" in {os.path.relpath(p, repo) for p in listed}


def test_git_missing_means_no_context(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert git_work_tree_files(["ingress.yaml"]) == []


def test_the_hook_entry_gives_the_same_findings_alone_and_with_all_files(repo: Path) -> None:
    """As pre-commit runs the hook (``entry`` + files, at the top of the work tree, in its own
    process), once with the changed file and once with every file."""
    script = Path(sys.executable).with_name("ingress2gateway")

    def hook(*files: str) -> list[str]:
        done = subprocess.run(
            [str(script), "check", "--show-info", *QUIET, *files],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr
        return done.stdout.splitlines()

    alone = hook("blocked.yaml")
    assert alone and all(line.startswith("blocked.yaml:") for line in alone)
    assert alone == [line for line in hook(*every_file()) if line.startswith("blocked.yaml:")]


def test_files_without_kind_are_not_parsed(tmp_path: Path) -> None:
    from ingress2gateway.reading.context import may_hold_objects

    workflow = write(tmp_path, {"ci.yml": "on: push\njobs: {}\n"}) / "ci.yml"
    assert not may_hold_objects(str(workflow))
    utf16 = tmp_path / "svc.yaml"
    utf16.write_bytes(CLASS.encode("utf-16"))  # with its byte-order mark, as Windows writes
    assert may_hold_objects(str(utf16)) and may_hold_objects(str(tmp_path / "gone.yaml"))
    assert may_hold_objects(str(write(tmp_path, {"class.yaml": CLASS}) / "class.yaml"))


KONG_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api, namespace: web}
spec:
  ingressClassName: kong
  rules:
  - host: api.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: api, port: {number: 80}}}
"""
KONG_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: web
  annotations:
    konghq.com/strip-path: "true"
spec:
  ports:
  - port: 80
"""
NGINX_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data:
  proxy-body-size: 8m
"""
NGINX_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop, port: {number: 80}}}
"""


@pytest.mark.parametrize(
    ("files", "changed", "code"),
    [
        # A Service's misplaced Kong annotation: a finding of the Service's file.
        (
            {"api.yaml": KONG_INGRESS, "svc/api.yaml": KONG_SERVICE},
            "svc/api.yaml",
            "kong-annotation-misplaced",
        ),
        # The controller ConfigMap's setting the standard emitter cannot carry.
        (
            {"shop.yaml": NGINX_INGRESS, "cm.yaml": NGINX_CONFIGMAP},
            "cm.yaml",
            "extension-unsupported",
        ),
    ],
    ids=["service", "configmap"],
)
def test_a_changed_service_or_configmap_alone_gives_its_all_files_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], changed: str, code: str
) -> None:
    top = write(tmp_path / "repo", files)
    git(top, "init", "-q")
    git(top, "add", ".")
    monkeypatch.chdir(top)
    alone = findings(changed)
    assert [c for _, _, c, _ in alone] == [code]
    assert alone == of(changed, findings(*sorted(files)))


def test_the_order_of_files_does_not_matter(repo: Path) -> None:
    """pre-commit may pass the files in any order, in several batches."""
    assert findings(*every_file()) == findings(*reversed(every_file()))
    assert findings("blocked.yaml", "ingress.yaml") == findings("ingress.yaml", "blocked.yaml")


def test_the_checked_file_wins_over_another_environments_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prod/ and staging/ hold the same Ingress; staging's sorts later. Checking prod's file
    judges prod's definition (a change to it must not pass unseen behind staging's copy)."""
    copy = PRIMARY.replace('more_set_headers "X-Shop: 1";', "")
    changed = PRIMARY.replace(
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "nginx.ingress.kubernetes.io/no-such-annotation",
    )
    top = write(
        tmp_path / "envs",
        {
            "prod/ingress.yaml": changed,
            "staging/ingress.yaml": copy,
            "platform/class.yaml": CLASS,
        },
    )
    git(top, "init", "-q")
    git(top, "add", ".")
    monkeypatch.chdir(top)
    found = findings("prod/ingress.yaml")
    assert [code for _, _, code, _ in found] == ["annotation-unknown"]
    assert not [f for f in found if f[2] == "input-duplicate"]
