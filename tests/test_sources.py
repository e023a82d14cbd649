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


_RE_FUNCTIONS = {"compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall"}


def _dollar_anchor(pattern: str) -> bool:
    """Whether ``pattern`` uses ``$`` as an anchor (outside a character class, unescaped)."""
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            return True
        index += 1
    return False


def _dollar_patterns(path: Path) -> list[str]:
    """Regular expressions in ``path`` that end a match with ``$`` without re.MULTILINE: ``$``
    also matches before a trailing newline, so ``re.match(r"^name$", "name\\n")`` passes a
    value with a newline in it (a host name, a header value...)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.func.attr in _RE_FUNCTIONS
            and node.args
        ):
            continue
        first = node.args[0]
        pattern = (
            first.value
            if isinstance(first, ast.Constant) and isinstance(first.value, str)
            else constants.get(first.id)
            if isinstance(first, ast.Name)
            else None
        )
        flags = " ".join(ast.unparse(arg) for arg in [*node.args[1:], *node.keywords])
        if pattern and _dollar_anchor(pattern) and "MULTILINE" not in flags and ".M" not in flags:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {pattern[:60]!r}")
    return found


def test_no_pattern_ends_a_match_with_dollar() -> None:
    """Use ``\\Z`` or ``fullmatch`` instead (issue: a host name with a trailing newline passed
    the host name check and made the shared Gateway invalid)."""
    found = [line for path in SOURCES for line in _dollar_patterns(path)]
    assert found == []


def test_the_dollar_check_sees_anchors_but_not_classes() -> None:
    assert _dollar_anchor(r"^[a-z]+$") and _dollar_anchor(r"a$|^b")
    assert not _dollar_anchor(r"^[a-z$]+\Z") and not _dollar_anchor(r"\$2\Z")
