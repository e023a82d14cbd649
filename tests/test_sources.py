"""Every source file of the package compiles on every supported Python.

Python 3.13 cleans docstrings at compile time and refuses one that holds a lone surrogate
(``"\\ud800"`` written unescaped in a non-raw docstring): the whole package then failed to
import there while 3.11 was fine. The docstring check below catches that on any Python; CI
also runs the suite on the oldest and newest supported Pythons (see ``.ci/run``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [
        *ROOT.joinpath("ingress2gateway").rglob("*.py"),
        *ROOT.joinpath("providers").rglob("*.py"),
        *ROOT.joinpath("scripts").rglob("*.py"),
        *ROOT.joinpath("benchmarks").rglob("*.py"),
    ]
)


def _docstrings(tree: ast.Module) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                found.append((getattr(node, "lineno", 1), doc))
    return found


def test_there_are_sources() -> None:
    assert len(SOURCES) > 100


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_compiles_and_its_docstrings_are_utf8(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    compile(source, str(path), "exec", dont_inherit=True)
    bad = [line for line, doc in _docstrings(ast.parse(source)) if not _encodes(doc)]
    assert not bad, (
        f"{path.relative_to(ROOT)}, line(s) {bad}: a docstring holds a lone surrogate, which "
        "Python 3.13 refuses to compile; make it a raw docstring"
    )


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_the_check_catches_a_surrogate_in_a_docstring() -> None:
    tree = ast.parse('def f():\n    """read ``"\\ud800"``"""\n')
    ((_, doc),) = _docstrings(tree)
    assert not _encodes(doc)
