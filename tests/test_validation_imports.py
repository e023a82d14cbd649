"""The modules of ``ingress2gateway.validation`` import each other as a DAG.

Every import counts, also one inside a function (that is how ``_cel`` ↔ ``_celcompile`` hid):
a cycle means two modules that cannot be understood, tested or moved one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ingress2gateway" / "validation"


def imports_between_modules(package: Path) -> dict[str, set[str]]:
    """module → the package's modules it imports (``__init__`` left out: it is the façade)."""
    modules = {path.stem for path in package.glob("*.py") if path.stem != "__init__"}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    absolute = "ingress2gateway.validation"
    for name in modules:
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level == 1 or node.module == absolute:
                if node.module and node.level == 1:
                    target = node.module.split(".")[0]
                    graph[name] |= {target} & modules
                else:  # from . import _x
                    graph[name] |= {alias.name for alias in node.names} & modules
            elif node.module and node.module.startswith(absolute + "."):
                graph[name] |= {node.module.split(".")[2]} & modules
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done:
            return None
        for target in sorted(graph[name]):
            found = visit(target, [*trail, name])
            if found:
                return found
        done.add(name)
        return None

    for name in sorted(graph):
        found = visit(name, [])
        if found:
            return found
    return None


def test_validation_modules_import_each_other_without_cycles() -> None:
    graph = imports_between_modules(PACKAGE)
    assert "_celcompile" in graph["_cel"]  # the graph is read at all
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_a_cycle_is_found() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
