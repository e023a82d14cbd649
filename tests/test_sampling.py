"""``--sample-cases N`` (tests/conftest.py): of each test function with 50 cases or more, one
case in N; every other test whole."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import pytest_collection_modifyitems


class _Config:
    def __init__(self, every: int) -> None:
        self.every = every
        self.deselected: list[Any] = []
        self.hook = SimpleNamespace(pytest_deselected=lambda items: self.deselected.extend(items))

    def getoption(self, name: str) -> int:
        assert name == "--sample-cases"
        return self.every


def _items(module: str, function: str, count: int) -> list[Any]:
    return [
        SimpleNamespace(nodeid=f"{module}::{function}[{i}]", originalname=function, name=f"x{i}")
        for i in range(count)
    ]


def test_data_driven_functions_keep_one_case_in_n_and_small_ones_stay_whole() -> None:
    big = _items("tests/test_a.py", "test_each_file", 60)
    small = _items("tests/test_a.py", "test_each_error", 12)
    other_module = _items("tests/test_b.py", "test_each_file", 49)
    items = [*big, *small, *other_module]
    config = _Config(4)
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert [i for i in items if i in big] == big[::4]
    assert [i for i in items if i in small] == small
    assert [i for i in items if i in other_module] == other_module
    assert len(config.deselected) == 60 - 15


def test_without_the_option_nothing_is_left_out() -> None:
    items = _items("tests/test_a.py", "test_each_file", 80)
    config = _Config(1)
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert len(items) == 80 and config.deselected == []
