from __future__ import annotations

from collections import defaultdict

import pytest

SAMPLED_FROM = 50
"""A test function parametrized over this many cases or more is data-driven (every golden
case, every corpus file): ``--sample-cases N`` keeps one case in N of it."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite testdata/*/*/output.yaml and report.txt from the current behaviour "
        "(review the result with git diff).",
    )
    parser.addoption(
        "--sample-cases",
        type=int,
        default=1,
        metavar="N",
        help=f"Of each test function with {SAMPLED_FROM} cases or more, run one case in N "
        "(the first, then every Nth): .ci/run's runs on the other Pythons, where every test "
        "function matters and every data case has run once already.",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    every = config.getoption("--sample-cases")
    if every <= 1:
        return
    cases: dict[tuple[str, str], list[pytest.Item]] = defaultdict(list)
    for item in items:
        cases[(item.nodeid.split("::")[0], getattr(item, "originalname", item.name))].append(item)
    dropped = {
        id(item)
        for group in cases.values()
        if len(group) >= SAMPLED_FROM
        for index, item in enumerate(group)
        if index % every
    }
    if dropped:
        config.hook.pytest_deselected(items=[item for item in items if id(item) in dropped])
        items[:] = [item for item in items if id(item) not in dropped]


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
