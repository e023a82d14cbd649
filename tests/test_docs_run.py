"""Every command the README and docs/ show is run as written (issue 24, "Documentation that
runs"): in a scratch directory laid out as the docs assume (``manifests/`` with the example
shop, its IngressClass and the controller's ConfigMap; ``gateway-api/`` as ``print
--output-dir`` writes it), against a fake API server where they read a cluster, with a
``kubectl`` stand-in that answers ``get`` from the same manifests.

A command passes when it ends as its section says it does (no usage error, no traceback, the
exit codes its command documents). The development commands (``pip install``, ``pytest``,
``ruff``, the scripts) are CI's own steps (``.ci/run``) and are not run here; a command of a
kind this test does not know fails it, so new docs cannot slip past. Commands that read a
cluster run with the exhaustive tests (seconds each; CI runs them).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.fakekube import BUILTIN_RESOURCES, FakeKube, Resource
from tests.fakekube.fixtures import tls_material_fixture  # noqa: F401 - a fixture pytest finds
from tests.fakekube.tls import TLSMaterial

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL_BLOCK = re.compile(r"```(sh|bash|console|shell)\n(.*?)```", re.S)

# CI's own steps: run by .ci/run (the README's test command exactly, the checks, the scripts'
# --check modes), not here.
DEVELOPMENT = (
    "pip install",
    "pytest",
    "ruff ",
    "python scripts/",
    "python benchmarks/",
    "I2G_FUZZ=",
)
# What each command may exit with when it works (README: exit codes).
EXITS = {
    "print": {0},
    "providers": {0},
    "version": {0},
    "validate": {0},
    "plan": {0},
    "verify": {0},
    "check": {0, 1},
    "diff": {0, 1},
}

CLUSTER_SETUP = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
data:
  use-forwarded-headers: "true"
"""

FAKE_KUBECTL = """\
#!{python}
# kubectl's stand-in: `kubectl get KINDS ... -o json|yaml` prints the docs' manifests of
# those kinds as a v1 List; anything else is an error.
import json, sys, yaml
from pathlib import Path
args = sys.argv[1:]
if not args or args[0] != "get":
    sys.exit("fake kubectl: only 'get' is known")
aliases = {{"ingress": "Ingress", "ingresses": "Ingress", "ing": "Ingress",
           "service": "Service", "services": "Service", "svc": "Service",
           "ingressclass": "IngressClass", "ingressclasses": "IngressClass",
           "configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap"}}
kinds = set()
for name in args[1].split(","):
    if name not in aliases:
        sys.exit(f"fake kubectl: unknown resource {{name}}")
    kinds.add(aliases[name])
items = [doc for path in sorted(Path("{manifests}").glob("*.yaml"))
         for doc in yaml.safe_load_all(path.read_text()) if doc and doc.get("kind") in kinds]
listed = {{"apiVersion": "v1", "kind": "List", "items": items}}
output = args[args.index("-o") + 1] if "-o" in args else "json"
print(json.dumps(listed) if output == "json" else yaml.safe_dump(listed))
"""


@dataclass(frozen=True)
class Command:
    doc: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}: {self.text}"

    @property
    def command(self) -> str:
        """The ingress2gateway command it runs (``print``, ``check`` …), or ''."""
        for part in re.split(r"\||&&", self.text):
            words = shlex.split(part, comments=True)
            if words and words[0] == "ingress2gateway":
                return words[1] if len(words) > 1 else ""
        return ""


def documented_blocks() -> Iterator[list[Command]]:
    """The commands of each shell block, in order: a block is a sequence (a walk-through's
    later steps read what the earlier ones wrote)."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for block in SHELL_BLOCK.finditer(text):
            first_line = text[: block.start(2)].count("\n") + 1
            commands = []
            for offset, raw in enumerate(block.group(2).splitlines()):
                line = raw.strip().removeprefix("$ ")
                if not line or line.startswith("#"):
                    continue
                commands.append(Command(doc, first_line + offset, line))
            if commands:
                yield commands


def runnable(command: Command) -> str | None:
    """The shell text to run, or None for a development command (CI runs those)."""
    text = command.text
    # `pip install . && ingress2gateway …`: the package is installed here already.
    text = re.sub(r"^pip install [^&]*&&\s*", "", text)
    if text.startswith(DEVELOPMENT):
        return None
    if "_INGRESS2GATEWAY_COMPLETE=" in text:
        return None  # shell completion set-up: tests/test_completion.py runs it in its shell
    return text


BLOCKS = list(documented_blocks())
COMMANDS = [command for block in BLOCKS for command in block]


def test_the_docs_show_commands_and_each_is_known() -> None:
    assert len(COMMANDS) > 20
    unknown = [str(c) for c in COMMANDS if runnable(c) is not None and c.command not in EXITS]
    assert unknown == []


def test_the_kubectl_pipeline_reads_what_the_conversion_needs() -> None:
    pipelines = [c for c in COMMANDS if c.text.startswith("kubectl get")]
    assert pipelines
    for pipeline in pipelines:
        kinds = set(pipeline.text.split()[2].split(","))
        assert kinds & {"svc", "service", "services"}, pipeline
        assert kinds & {"ingressclass", "ingressclasses"}, pipeline
        assert kinds & {"configmap", "configmaps", "cm"}, pipeline


# --- the scratch directory and the fake cluster -------------------------------------------


@pytest.fixture(name="cluster", scope="module")
def cluster_fixture(tls_material: TLSMaterial) -> Iterator[FakeKube]:
    gateway_api = tuple(
        Resource("gateway.networking.k8s.io", "v1", plural, kind)
        for plural, kind in (
            ("gateways", "Gateway"),
            ("httproutes", "HTTPRoute"),
            ("grpcroutes", "GRPCRoute"),
            ("referencegrants", "ReferenceGrant"),
        )
    )
    with FakeKube(tls=tls_material, resources=(*BUILTIN_RESOURCES, *gateway_api)) as server:
        for path in (ROOT / "examples" / "nginx").glob("*.yaml"):
            server.add(*[doc for doc in yaml.safe_load_all(path.read_text()) if doc])
        server.add(*[doc for doc in yaml.safe_load_all(CLUSTER_SETUP) if doc])
        yield server


@pytest.fixture(name="layout", scope="module")
def layout_fixture(tmp_path_factory: pytest.TempPathFactory, cluster: FakeKube) -> Path:
    """The directory the docs assume, made once (each test works on a copy)."""
    made = tmp_path_factory.mktemp("docs-layout")
    manifests = made / "manifests"
    manifests.mkdir()
    for path in (ROOT / "examples" / "nginx").glob("*.yaml"):
        shutil.copy(path, manifests / path.name)
    (manifests / "cluster-setup.yaml").write_text(CLUSTER_SETUP, encoding="utf-8")
    shutil.copy(ROOT / "examples" / "nginx" / "shop.yaml", made / "ingress.yaml")
    # The committed output the docs compare with: what print --output-dir writes.
    subprocess.run(
        [
            _tool(),
            "print",
            "--providers",
            "nginx",
            "-f",
            "manifests/",
            "--output-dir",
            "gateway-api/",
        ],
        cwd=made,
        check=True,
        capture_output=True,
    )
    # The current context (namespace shop), and the docs' second kubeconfig (context prod).
    cluster.write_kubeconfig(made / "kubeconfig", context="fake", namespace="shop")
    cluster.write_kubeconfig(made / "prod.kubeconfig", context="prod", namespace="shop")
    return made


@pytest.fixture(name="scratch")
def scratch_fixture(tmp_path: Path, layout: Path) -> Path:
    scratch = tmp_path / "work"
    shutil.copytree(layout, scratch)
    bin_dir = scratch / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL.format(python=sys.executable, manifests=scratch / "manifests"))
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    return scratch


def _tool() -> str:
    found = shutil.which("ingress2gateway", path=str(Path(sys.executable).parent))
    assert found is not None, "ingress2gateway is not installed beside this Python"
    return found


def _reads_a_cluster(command: Command) -> bool:
    words = shlex.split(command.text, comments=True)
    reads_files = "-f" in words or "--input-file" in words
    return command.command in ("print", "diff", "verify", "plan") and (
        not reads_files or "cluster" in words
    )


# A block that reads the (fake) cluster takes seconds a command (the kubernetes client's start
# and a TLS handshake per request to a server in Python): those run with the exhaustive tests,
# which CI runs too.
_PARAMS = [
    pytest.param(
        block,
        id=f"{block[0].doc.name}:{block[0].line}",
        marks=[pytest.mark.exhaustive if any(map(_reads_a_cluster, block)) else pytest.mark.slow],
    )
    for block in BLOCKS
    if any(runnable(command) is not None for command in block)
]


@pytest.mark.parametrize("block", _PARAMS)
def test_the_documented_commands_run_as_written(block: list[Command], scratch: Path) -> None:
    for command in block:
        _run(command, scratch)


def _run(command: Command, scratch: Path) -> None:
    text = runnable(command)
    if text is None:
        return  # a development command: .ci/run runs it
    cwd = ROOT if "examples/" in text else scratch
    env = {
        **os.environ,
        "PATH": f"{scratch / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        + os.environ.get("PATH", ""),
        "HOME": str(scratch),
        "KUBECONFIG": str(scratch / "kubeconfig"),
        "NO_COLOR": "1",
    }
    env.pop("I2G_DEBUG", None)
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = (
        f"{command}\nexit {done.returncode}\nstdout: {done.stdout[-2000:]}\n"
        f"stderr: {done.stderr[-2000:]}"
    )
    assert "Traceback" not in done.stderr, said
    assert done.returncode in EXITS[command.command], said


# --- the README's pre-commit configuration and library example ----------------------------


def _yaml_blocks(doc: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)


def _precommit_config() -> dict[str, object]:
    (config,) = [
        yaml.safe_load(block)
        for block in _yaml_blocks(ROOT / "README.md")
        if block.lstrip().startswith("repos:")
    ]
    assert isinstance(config, dict)
    return config


def test_the_precommit_example_names_hooks_that_exist_at_a_rev_that_exists() -> None:
    config = _precommit_config()
    (repo,) = config["repos"]  # type: ignore[index]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    known = {hook["id"] for hook in hooks}
    assert {hook["id"] for hook in repo["hooks"]} <= known
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the rev cannot be looked up")
    tags = subprocess.run(
        ["git", "tag"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not tags:
        pytest.skip("a clone without tags: the rev cannot be looked up")
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{repo['rev']}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
    )
    assert found.returncode == 0, f"rev {repo['rev']} is not a tag or commit of this repository"


def test_the_precommit_example_args_are_accepted_by_each_hook(scratch: Path) -> None:
    config = _precommit_config()
    hooks = {
        hook["id"]: hook
        for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    files = {
        "ingress2gateway-check": ["manifests/shop.yaml"],
        "ingress2gateway-validate": sorted(
            str(p.relative_to(scratch)) for p in (scratch / "gateway-api").rglob("*.yaml")
        ),
    }
    for hook in config["repos"][0]["hooks"]:  # type: ignore[index]
        entry = shlex.split(hooks[hook["id"]]["entry"])
        entry[0] = _tool()
        done = subprocess.run(
            [*entry, *hook.get("args", []), *files[hook["id"]]],
            cwd=scratch,
            capture_output=True,
            text=True,
        )
        assert done.returncode in (0, 1), (hook["id"], done.stderr)
        assert "Traceback" not in done.stderr


def test_the_library_example_runs(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
        if "ingress2gateway.convert(" in block and "load_manifests" in block
    ]
    monkeypatch.chdir(scratch)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    assert yaml.safe_load_all((scratch / "gateway.yaml").read_text())
