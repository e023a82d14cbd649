"""Processes behind one door: only ``ingress2gateway/scaling/`` knows about worker processes,
forking and the garbage collector (DESIGN.md; issue 23)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALING = ROOT / "ingress2gateway" / "scaling"
FORBIDDEN_MODULES = ("gc", "multiprocessing", "concurrent")
FORBIDDEN_CALLS = {("os", "fork"), ("os", "forkpty"), ("os", "register_at_fork")}
FORBIDDEN_NAMES = {f"{module}.{name}" for module, name in FORBIDDEN_CALLS}


def _sources() -> list[Path]:
    paths = [*(ROOT / "ingress2gateway").rglob("*.py"), *(ROOT / "providers").rglob("*.py")]
    return [path for path in paths if SCALING not in path.parents]


def _problems(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(root)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [
                f"{node.module}.{alias.name}" for alias in node.names if node.module == "os"
            ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in FORBIDDEN_CALLS
        ):
            found.append(f"{where}:{node.lineno}: os.{node.attr}")
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES or name in FORBIDDEN_NAMES:
                found.append(f"{where}:{node.lineno}: imports {name}")
    return found


def test_only_scaling_knows_about_processes_and_the_collector() -> None:
    sources = _sources()
    assert len(sources) > 50  # the test reads what it means to
    problems = [problem for path in sources for problem in _problems(path)]
    assert problems == []


def test_the_rule_catches_what_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import gc\nfrom concurrent.futures import ProcessPoolExecutor\n"
        "import multiprocessing.pool\nimport os\nos.fork()\nfrom os import fork\n"
    )
    assert sorted(problem.split(": ", 1)[1] for problem in _problems(bad, tmp_path)) == [
        "imports concurrent.futures",
        "imports gc",
        "imports multiprocessing.pool",
        "imports os.fork",
        "os.fork",
    ]
