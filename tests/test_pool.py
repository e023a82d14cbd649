"""Forked workers answering calls in order (``scaling.pool``): the one scheduler every use of
workers goes through (reading, checking, converting parts)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ingress2gateway.scaling.pool import Pool, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers need fork (Linux)")


def _slower_first(index: int) -> int:
    time.sleep(0.05 if index % 3 == 0 else 0)
    return index * index


def test_answers_come_in_the_order_of_the_calls_with_at_most_ahead_taken() -> None:
    taken: list[int] = []

    def calls() -> Iterator[tuple[int]]:
        for index in range(12):
            taken.append(index)
            yield (index,)

    with Pool(2) as pool:
        answers = []
        for answer in pool.ordered(_slower_first, calls(), ahead=3):
            # The call whose answer this is and the two after it: never the whole input.
            assert len(taken) <= len(answers) + 3
            answers.append(answer)
        assert pool.answered[_slower_first] == 12
    assert answers == [index * index for index in range(12)]


def _fails(kind: str) -> Any:
    if kind == "raises":
        raise RuntimeError("a bug")
    if kind == "unpicklable":
        return lambda: None  # cannot be sent back
    if kind == "dies":
        os._exit(3)  # killed, say: no answer, no exception
    return kind


def test_a_call_that_fails_in_its_worker_is_answered_none_and_the_others_are_not() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]  # deeper than pickle goes: never sent
    calls = [("ok",), ("raises",), ("unpicklable",), ("dies",), ("ok",), (deep,), ("ok",)]
    with Pool(2) as pool:
        answers = list(pool.ordered(_fails, calls, ahead=4))
        assert len(pool.pids) == 1  # the other died
    assert answers == ["ok", None, None, None, "ok", None, "ok"]


def test_when_every_worker_is_dead_every_call_is_answered_none() -> None:
    with Pool(2) as pool:
        for pid in pool.pids:
            os.kill(pid, signal.SIGKILL)
        assert list(pool.ordered(_slower_first, [(i,) for i in range(5)])) == [None] * 5
        assert pool.pids == []


def test_workers_left_by_an_error_are_stopped_not_waited_for() -> None:
    """Ctrl-C during a large conversion: the workers may hold several parts (seconds of work
    each); they are stopped, not waited for, and none is left behind."""

    def calls() -> Iterator[tuple[int]]:
        yield (30,)
        yield (30,)
        raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), Pool(2) as pool:
        pids = pool.pids
        list(pool.ordered(time.sleep, calls(), ahead=4))
    assert time.monotonic() - start < 10
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: nothing left behind


STOPPED_WHILE_SENDING = """
import sys, time
from ingress2gateway.scaling.pool import Pool

def large(size):
    return b"x" * size  # more than a pipe holds: the worker blocks sending it

def calls():
    yield (64 << 20,)
    time.sleep(1)  # the worker is sending, and this process is not reading
    raise KeyboardInterrupt

try:
    with Pool(1) as pool:
        list(pool.ordered(large, calls(), ahead=2))
except KeyboardInterrupt:
    print("stopped")
"""


def test_workers_stopped_while_one_sends_an_answer_end() -> None:
    """A worker stopped halfway through an answer leaves nothing to wait for (a subprocess
    here, so that a hang fails the test instead of the test run)."""
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_SENDING],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "stopped\n"), done.stderr
