"""Independent tasks in forked worker processes, answered in order.

Forked workers inherit everything this process holds (the input, the loaded providers), so a
task is only its index, and only its answer travels back (pickled). A task whose worker dies
(killed, out of memory) is answered with None: the caller does it itself.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# The task a forked worker runs: set in the parent just before the fork.
_task: Callable[[int], Any] | None = None


def can_fork() -> bool:
    import multiprocessing

    # Forking is only safe where it is the platform's default (macOS system libraries are not
    # fork-safe, Windows has no fork).
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def in_order(count: int, task: Callable[[int], T], jobs: int) -> Iterator[tuple[int, T | None]]:
    """``(index, task(index))`` for each index below ``count``, in index order, computed by
    ``jobs`` workers forked now; the answer is None where the worker died. The workers take
    the next index as they finish one, so unequal tasks still share the work."""
    # Imported here: most conversions never fork (and `check` starts faster).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _task
    _task = task
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        futures = deque(pool.submit(_run, index) for index in range(count))
    finally:
        _task = None  # the workers have their copy; this process has no use for it
    with pool:
        try:
            for index in range(count):
                # Taken out of the queue first: a future holds its answer as long as it lives.
                future = futures.popleft()
                try:
                    answer: T | None = future.result()
                except BrokenProcessPool:
                    answer = None
                del future
                yield index, answer
                del answer
        finally:
            for future in futures:
                future.cancel()  # an early exit (an error here) does not wait for the rest


def _run(index: int) -> Any:
    assert _task is not None, "workers are forked after the task is set"
    return _task(index)
