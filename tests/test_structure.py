"""The structure rules of docs/architecture.md, checked on the source (not on a running
process): the layers import only downward, nothing imports in a circle, the core imports no
provider, and the scaling package reads no private attribute of the standard library's
executors. (tests/test_scaling_door.py checks that only it knows about processes.)

The import graph counts every import a module can run, at its top or inside a function;
imports under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = "ingress2gateway"
PROVIDERS = "ingress2gateway_providers"
SOURCE_ROOTS = ((ROOT, CORE), (ROOT / "providers", PROVIDERS))


@dataclass(frozen=True)
class Import:
    module: str
    """The module importing."""
    target: str
    """What it imports: a module of ours, or the top name of another distribution's."""
    line: int


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root, package in SOURCE_ROOTS:
        for path in sorted((root / package).rglob("*.py")):
            found[_module_name(path, root)] = path
    return found


def _annotation_only(tree: ast.Module) -> set[int]:
    """``id()`` of the nodes under ``if TYPE_CHECKING:``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for part in node.body for inner in ast.walk(part))
    return skipped


@cache
def imports() -> tuple[Import, ...]:
    known = modules()
    found: list[Import] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.extend(_imports_in(tree, module, path.name == "__init__.py", known))
    return tuple(found)


def _imports_in(
    tree: ast.Module, module: str, is_package: bool, known: Collection[str]
) -> list[Import]:
    """What ``module`` (its source parsed as ``tree``) imports: modules of ``known``, or the
    top name of another distribution's."""
    skipped = _annotation_only(tree)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            submodules = [f"{origin}.{alias.name}" for alias in node.names]
            # ``from package import module`` imports the modules, not the package's names.
            names = submodules if all(n in known for n in submodules) else [origin]
        else:
            continue
        for name in names:
            target = name if name in known else name.split(".")[0]
            if target != module:
                found.append(Import(module, target, node.lineno))
    return found


def _where(item: Import) -> str:
    path = modules()[item.module]
    return f"{path.relative_to(ROOT)}:{item.line} imports {item.target}"


def _in(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _cycles() -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for item in imports():
        if item.target in modules():
            graph.setdefault(item.module, set()).add(item.target)
    return _cycles_in(graph)


def _cycles_in(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_sources_are_found() -> None:
    assert f"{CORE}.converting.pipeline" in modules()
    assert f"{PROVIDERS}.nginx" in modules()
    assert len(imports()) > 500


def test_nothing_imports_in_a_circle() -> None:
    assert _cycles() == []


def _graph_of(sources: dict[str, str]) -> dict[str, set[str]]:
    """The import graph of made-up modules (``{"p.a": "source", ...}``)."""
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        for item in _imports_in(ast.parse(source), module, False, sources):
            graph.setdefault(module, set()).add(item.target)
    return graph


def test_a_cycle_hidden_in_a_function_is_found() -> None:
    late = {"p.a": "from p import b\n", "p.b": "def later():\n    from . import a\n"}
    assert _cycles_in(_graph_of(late)) == [["p.a", "p.b"]]
    guarded = {
        "p.a": "from p import b\n",
        "p.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
    }
    assert _cycles_in(_graph_of(guarded)) == []
    assert _cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles_in({"a": {"b", "c"}, "b": {"c"}}) == []


# Which parts of the core each part may import (besides the shared model at the top level:
# objects, ir, plugin, registry, errors, target, _version). Downward only: reading knows
# nothing of conversion, conversion nothing of the command line or of processes.
SHARED = ("objects", "ir", "plugin", "registry", "errors", "target", "_version")
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "reading": ("reporting",),
    "reporting": ("reading",),
    "validation": (),
    "converting": ("reporting", "validation", "emitters"),
    "emitters": ("reporting", "converting.naming", "converting.grammar"),
    "writing": (
        "reporting",
        "validation",
        "emitters.gatewayapi",
        "reading",
        "cli.check",
        "cli.diff",
    ),
    "verification": ("reporting", "converting", "validation", "emitters.gatewayapi"),
    "scaling": ("reporting", "converting", "reading", "validation", "writing", "emitters"),
    "planning": ("reporting", "converting", "verification"),
    "cli": (
        "reading",
        "reporting",
        "converting",
        "writing",
        "verification",
        "scaling",
        "validation",
        "emitters",
        "planning",
    ),
}
ONLY_IMPORTED_BY = {"planning": ("cli",)}
"""Parts that only the parts named may import (the migration plan is the command line's)."""


def _part(module: str) -> str | None:
    rest = module.removeprefix(CORE + ".")
    head = rest.split(".")[0]
    return head if head in MAY_IMPORT else None


GC_PAUSE = f"{CORE}.scaling.gc_pause"
"""The one door into scaling every part may open: bulk work (reading, converting, writing
many objects) runs with the cyclic garbage collector paused, and only scaling knows how."""


def _core_violations() -> Iterator[str]:
    for item in imports():
        if not _in(item.module, CORE) or not _in(item.target, CORE) or item.target == GC_PAUSE:
            continue
        part, target_part = _part(item.module), _part(item.target)
        if part is None or target_part is None or target_part == part:
            continue
        allowed = MAY_IMPORT[part]
        target = item.target.removeprefix(CORE + ".")
        if not any(target == a or target.startswith(a + ".") for a in allowed):
            yield _where(item)


def test_each_part_of_the_core_imports_only_what_it_may() -> None:
    assert list(_core_violations()) == []


def test_parts_only_their_users_may_import() -> None:
    found = []
    for item in imports():
        if not _in(item.module, CORE) or not _in(item.target, CORE):
            continue
        part, target_part = _part(item.module), _part(item.target)
        users = ONLY_IMPORTED_BY.get(target_part or "")
        if users is not None and part != target_part and part not in users:
            found.append(_where(item))
    assert found == []


def test_the_shared_model_imports_no_part_but_reporting_and_validation() -> None:
    """The top-level modules (objects, ir, plugin, ...) are what every part shares: they may
    lean on the report and validation, never on a stage."""
    found = []
    for item in imports():
        top = item.module.removeprefix(CORE + ".")
        if not _in(item.module, CORE) or top not in SHARED or not _in(item.target, CORE):
            continue
        part = _part(item.target)
        if part is not None and part not in ("reporting", "validation", "converting"):
            found.append(_where(item))
        if part == "converting" and item.target != f"{CORE}.converting.naming":
            found.append(_where(item))
    assert found == []


def test_the_core_never_imports_a_provider() -> None:
    found = [
        _where(item) for item in imports() if _in(item.module, CORE) and _in(item.target, PROVIDERS)
    ]
    assert found == []


def test_providers_use_the_core_not_its_command_line_processes_or_emitters() -> None:
    found = [
        _where(item)
        for item in imports()
        if _in(item.module, PROVIDERS)
        and _in(
            item.target, f"{CORE}.cli", f"{CORE}.scaling", f"{CORE}.emitters", f"{CORE}.writing"
        )
    ]
    assert found == []


EXECUTOR_PRIVATES = re.compile(
    r"\._(processes|pool|writer|reader|result_queue|call_queue|pending_work_items|"
    r"broken|max_workers|executor_manager_thread|state|condition)\b"
)


def test_no_private_attribute_of_the_standard_library_executors_is_read() -> None:
    found = []
    for module, path in modules().items():
        if not _in(module, f"{CORE}.scaling"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EXECUTOR_PRIVATES.search(line) and "self._" not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_only_the_cluster_module_imports_kubernetes() -> None:
    found = [
        _where(item)
        for item in imports()
        if item.target == "kubernetes" and item.module != f"{CORE}.reading.cluster"
    ]
    assert found == []


@pytest.mark.parametrize(
    "pair",
    [("check", "checking"), ("spill", "spool"), ("serialize", "serialize_rules")],
)
def test_no_confusable_module_names(pair: tuple[str, str]) -> None:
    names = {module.rsplit(".", 1)[-1] for module in modules() if _in(module, CORE)}
    assert not set(pair) <= names
    assert "yamlout" not in names
