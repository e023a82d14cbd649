"""Calls answered in order by a pool of forked worker processes.

A call that fails in its worker (killed, out of memory, or arguments or answer that cannot be
pickled) is answered with None: the caller does it itself, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")


def can_fork() -> bool:
    import multiprocessing

    # Forking is only safe where it is the platform's default (macOS system libraries are not
    # fork-safe, Windows has no fork).
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def in_order(
    pool: ProcessPoolExecutor,
    function: Callable[..., T],
    calls: Iterable[tuple[Any, ...]],
    *,
    ahead: int | None = None,
) -> Iterator[T | None]:
    """``function(*arguments)`` for each of ``calls``, in ``pool``, answered in the order of
    ``calls``; None where it failed in the worker. Every call is submitted at once (the pool
    pickles them as workers take them), so the workers take the next call as soon as they
    finish one and unequal calls still share the work; or, with ``ahead``, at most that many
    calls are submitted and not yet answered (``calls`` is then taken as answers are given:
    the input of the calls need not all be in memory at once)."""
    calls = iter(calls)
    futures: deque[Future[T] | None] = deque()
    try:
        # Inside the try: an error from calls cancels what was already submitted.
        futures.extend(_submitted(pool, function, arguments) for arguments in islice(calls, ahead))
        while futures:
            # Taken out of the queue first: a future holds its answer as long as it lives.
            future = futures.popleft()
            futures.extend(_submitted(pool, function, arguments) for arguments in islice(calls, 1))
            answer = _answer(future)
            del future
            yield answer
            del answer
    finally:
        for future in futures:
            if future is not None:
                future.cancel()  # an early exit (an error here) does not wait for the rest


def _submitted(
    pool: ProcessPoolExecutor, function: Callable[..., T], arguments: tuple[Any, ...]
) -> Future[T] | None:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(function, *arguments)
    except BrokenProcessPool:  # a worker died already: the rest is answered None
        return None


def _answer(future: Future[T] | None) -> T | None:
    if future is None:
        return None
    # Besides a dead worker (BrokenProcessPool): arguments or an answer that cannot be pickled
    # (nesting deeper than pickle's recursion limit: a 500-level YAML document loads, and is
    # converted, but does not pickle). The caller does it itself; a bug in the function fails
    # again there, with its traceback in that process.
    with contextlib.suppress(Exception):
        return future.result()
    return None
