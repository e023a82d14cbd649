"""Locating the read-only reference data (``<repo root>/../shared``) from tests.

Tests that need it call :func:`require_shared`: without the folder they are skipped with the
reason, unless ``I2G_REQUIRE_SHARED=1`` (set it in CI) turns the absence into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
REQUIRE_ENV = "I2G_REQUIRE_SHARED"


def require_shared(*parts: str) -> Path:
    """``SHARED / parts``, or skip (fail when ``I2G_REQUIRE_SHARED=1``) if it does not exist."""
    path = SHARED.joinpath(*parts)
    if path.exists():
        return path
    reason = f"reference data not found: {path} (expected the shared folder next to the repo)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires it")
    pytest.skip(reason)


def shared_yaml_files(*parts: str) -> list[Path]:
    """``*.yaml`` under ``SHARED / parts`` (sorted), or [] when absent — for parametrizing at
    collection time; the test itself then calls :func:`require_shared`."""
    folder = SHARED.joinpath(*parts)
    return sorted(folder.rglob("*.yaml")) if folder.exists() else []


def yaml_documents(folder: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every mapping document of every ``*.yaml`` under *folder*, in a stable order."""
    for path in sorted(folder.rglob("*.yaml")):
        with path.open(encoding="utf-8") as stream:
            for doc in yaml.safe_load_all(stream):
                if isinstance(doc, dict):
                    yield path, doc
