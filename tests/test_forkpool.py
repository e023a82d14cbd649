"""The forked workers that validate and encode: answers in order, no deadlock, no leftovers."""

from __future__ import annotations

import os
import time

import pytest

from ingress2gateway import checking
from ingress2gateway._forkpool import ForkPool, WorkerDied

pytestmark = pytest.mark.skipif(not checking.can_fork(), reason="workers need fork (Linux)")


def _square(task: int) -> tuple[int, int]:
    return os.getpid(), task * task


def _echo(task: bytes) -> bytes:
    return task[::-1]


def _exit_on_seven(task: int) -> int:
    if task == 7:
        os._exit(3)
    return task


def _slow(task: int) -> int:
    time.sleep(0.2)
    return task


def _children() -> set[int]:
    """Live (or unreaped) children of this process."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(entry))
    return found


def test_each_worker_answers_its_tasks_in_order_and_both_take_work() -> None:
    before = _children()
    with ForkPool(2, _square) as pool:
        sent = [(task, pool.send(task)) for task in range(200)]
        answers = [(task, pool.receive(worker)) for task, worker in sent]
    assert [square for _, (_, square) in answers] == [task * task for task in range(200)]
    assert len({pid for _, (pid, _) in answers}) == 2
    assert _children() == before  # every worker ended and was reaped


def test_tasks_and_answers_larger_than_a_pipe_do_not_deadlock() -> None:
    """Send far more than the pipes hold without reading: sending reads answers as it waits,
    and a worker never stops for an answer this process has not read yet."""
    big = [bytes([index]) * (3 << 20) for index in range(8)]  # 24 MB each way
    with ForkPool(2, _echo) as pool:
        sent = [(task, pool.send(task)) for task in big]
        for task, worker in sent:
            assert pool.receive(worker) == task[::-1]


def test_a_worker_that_dies_is_reported_and_what_it_sent_before_is_kept() -> None:
    with ForkPool(1, _exit_on_seven) as pool:
        sent = [pool.send(task) for task in range(10)]
        received = []
        with pytest.raises(WorkerDied):
            for worker in sent:
                received.append(pool.receive(worker))
        # Answers its writer had not written when it died are lost (the caller redoes them).
        assert received == list(range(len(received))) and len(received) <= 7
        with pytest.raises(WorkerDied):
            for task in range(10, 5000):  # the pipe fills, or the write finds no reader
                pool.send(task)


def test_leaving_early_ends_workers_that_still_have_tasks() -> None:
    before = _children()
    started = time.monotonic()
    with ForkPool(2, _slow) as pool:
        for task in range(50):  # 5 s of work each
            pool.send(task)
    assert time.monotonic() - started < 2
    assert _children() == before


def test_workers_see_the_job_set_before_the_fork() -> None:
    """checking's workers read the target and encoder from a global set just before forking;
    this process clears it right after."""
    pool = checking._forked(2, None, str)
    try:
        assert checking._job is None
        worker = pool.send([{"kind": "Gateway"}])
        assert pool.receive(worker) == [([], str({"kind": "Gateway"}))]
    finally:
        pool.close()


def _niceness(task: object) -> int:
    return os.nice(0)


def test_workers_run_at_the_priority_asked_for() -> None:
    """The process that converts and feeds the workers must not share a core evenly with them
    (checking.WORKER_NICENESS)."""
    with ForkPool(1, _niceness, niceness=3) as pool:
        assert pool.receive(pool.send(None)) == os.nice(0) + 3
    assert checking.WORKER_NICENESS > 0
