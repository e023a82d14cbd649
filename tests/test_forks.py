"""Calls answered in order by forked workers (``forks.in_order``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from ingress2gateway.scaling import forks
from ingress2gateway.scaling.workers import Workers

needs_fork = pytest.mark.skipif(not forks.can_fork(), reason="workers need fork (Linux)")


def _slower_first(index: int) -> int:
    time.sleep(0.05 if index % 3 == 0 else 0)
    return index * index


@needs_fork
def test_answers_come_in_the_order_of_the_calls_with_at_most_ahead_taken() -> None:
    taken: list[int] = []

    def calls() -> Iterator[tuple[int]]:
        for index in range(12):
            taken.append(index)
            yield (index,)

    with Workers(2, None, None) as workers:
        assert workers.pool is not None
        answers = []
        for answer in forks.in_order(workers.pool, _slower_first, calls(), ahead=3):
            # The call whose answer this is, the two after it, and the one submitted as it
            # was taken: never the whole input at once.
            assert len(taken) <= len(answers) + 4
            answers.append(answer)
    assert answers == [index * index for index in range(12)]


class _NeverRuns:
    """A pool whose calls wait for ever: they can only be cancelled."""

    def __init__(self) -> None:
        self.submitted: list[Future[Any]] = []

    def submit(self, function: object, *arguments: object) -> Future[Any]:
        future: Future[Any] = Future()
        self.submitted.append(future)
        return future


def test_an_error_while_taking_calls_cancels_what_was_submitted() -> None:
    def calls() -> Iterator[tuple[int]]:
        yield (1,)
        yield (2,)
        raise OSError("the input went away")

    pool = _NeverRuns()
    with pytest.raises(OSError, match="went away"):
        next(forks.in_order(pool, int, calls(), ahead=8))  # type: ignore[arg-type]
    assert len(pool.submitted) == 2 and all(f.cancelled() for f in pool.submitted)
