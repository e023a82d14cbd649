"""The models ``verify`` compares share nothing with the converter they check.

An oracle that shares the converter's misunderstanding finds nothing: the Gateway API model
(``ingress2gateway.verification``) and each provider's model of its controller
(``providers/*/<provider>/model/`` or ``controller_model.py``) may import the standard
library, each other's framework (``ingress2gateway.verification``), the input objects
(``ingress2gateway.objects``), the options (``ingress2gateway.plugin``), Ingress class
selection (``ingress2gateway.converting.ingress``: which objects, not how they route), the report and
the notification codes (to explain differences) and their own package — never a provider's conversion, the lowering, the
IR or an emitter.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = (
    "ingress2gateway.verification",
    "ingress2gateway.objects",
    "ingress2gateway.plugin",
    "ingress2gateway.converting.ingress",
    "ingress2gateway.reporting.report",
    "ingress2gateway.reporting.codes",  # which info codes announce an intended difference (data only)
    "ingress2gateway.errors",
    "ingress2gateway.registry",
    "ingress2gateway.converting.pipeline",  # run.py converts when asked to (verify without --against)
)
THIRD_PARTY = ("re2",)


def _model_files() -> list[Path]:
    providers = ROOT / "providers" / "ingress2gateway_providers"
    found = list((ROOT / "ingress2gateway" / "verification").glob("*.py"))
    found += list(providers.glob("*/model/*.py")) + list(providers.glob("*/controller_model*.py"))
    found += list(providers.glob("*/controller_model/*.py"))
    return sorted(found)


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if package.startswith("providers."):
        package = package[len("providers.") :]
    package = package.rsplit(".", 1)[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.append((module, node.lineno))
    return names


def test_the_models_are_found() -> None:
    files = _model_files()
    assert any("verification/gateway.py" in str(f) for f in files)
    assert any("nginx/model" in str(f) for f in files)


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_model_imports_nothing_of_the_converter(path: Path) -> None:
    own = ".".join(path.relative_to(ROOT).parts[:-1]).replace("providers.", "", 1)
    bad = []
    for module, line in _imports(path):
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in THIRD_PARTY or top == "__future__":
            continue
        if module.startswith(ALLOWED) or module.startswith(own):
            continue
        bad.append(f"line {line}: {module}")
    assert bad == [], f"{path.relative_to(ROOT)} imports the converter's code"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = (
        ROOT / "providers" / "ingress2gateway_providers" / "nginx" / "model" / "ingress_nginx.py"
    )
    names = [m for m, _ in _imports(module)]
    assert "ingress2gateway_providers.nginx.model.locations" in names
    assert all(not m.startswith("ingress2gateway.converting.lowering") for m in names)
