"""Forked worker processes, each with a pipe of its own, and calls answered through them in
order (:meth:`Pool.ordered`: the one scheduler of the package).

Each worker has its own pipe, and a worker is sent a call only when it has answered the one
before: a worker that dies (killed, out of memory) closes its pipe, so this process sees it
at once and answers its call None (the caller then does it itself), even if it died halfway
through an answer; and stopping the workers (:meth:`Pool.terminate`, on Ctrl-C) leaves
nothing behind. A call whose arguments or answer cannot be pickled (nesting deeper than
pickle's recursion limit: a 500-level YAML document loads and converts, but does not pickle),
or that raises in its worker, is answered None too: the caller does it itself, where a bug
fails again with its traceback.

Workers are forked (they inherit what this process has already loaded and compiled), which is
only safe where it is the platform's default: :func:`can_fork`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")

_END = object()


MAX_DEFAULT_JOBS = 8
"""Past this many processes the conversion process, which merges their answers, is the
bottleneck (see benchmarks/README.md)."""


def default_jobs() -> int:
    """The processes a command uses unless told (``--jobs``): one per core, at most
    :data:`MAX_DEFAULT_JOBS`."""
    return min(os.cpu_count() or 1, MAX_DEFAULT_JOBS)


def can_fork() -> bool:
    import multiprocessing

    # Forking is only safe where it is the platform's default (macOS system libraries are not
    # fork-safe, Windows has no fork).
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class _Worker:
    __slots__ = ("call", "pipe", "process")

    def __init__(self, process: BaseProcess, pipe: Connection) -> None:
        self.process, self.pipe = process, pipe
        self.call: _Call | None = None  # the call it is working on


class _Call:
    __slots__ = ("answer", "arguments", "done", "function")

    def __init__(self, function: Callable[..., Any], arguments: tuple[Any, ...]) -> None:
        self.function = function
        self.arguments: tuple[Any, ...] | None = arguments  # None once sent
        self.answer: Any = None
        self.done = False


class Pool:
    """``jobs`` worker processes forked now; ``initializer`` runs in each as it starts. Use as
    a context manager: on leaving, the workers are told to stop (or, when leaving on an error
    such as Ctrl-C, stopped at once)."""

    def __init__(self, jobs: int, initializer: Callable[[], None] | None = None) -> None:
        # Imported here: most conversions never start a worker (and `check` starts faster).
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.jobs = jobs
        self.answered: Counter[Callable[..., Any]] = Counter()
        """Calls answered by a worker, by function (None answers excepted)."""
        self._workers: list[_Worker] = []
        try:
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                inherited = [worker.pipe for worker in self._workers]
                process = context.Process(
                    target=_serve, args=(theirs, inherited, initializer), daemon=True
                )
                process.start()
                theirs.close()  # the worker holds the only other end: its death closes it
                self._workers.append(_Worker(process, ours))
        except BaseException:
            self.terminate()
            raise

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers still running."""
        return [worker.process.pid for worker in self._workers if worker.process.pid is not None]

    def ordered(
        self,
        function: Callable[..., T],
        calls: Iterable[tuple[Any, ...]],
        *,
        ahead: int | None = None,
    ) -> Iterator[T | None]:
        """``function(*arguments)`` for each of ``calls``, in the workers, answered in the
        order of ``calls``; None where it failed in its worker (see the module's docstring).

        Workers take the next call as soon as they answer one, so unequal calls still share
        the work. ``calls`` is taken as it is needed: without ``ahead``, a call is taken when a
        worker is free for it; with ``ahead``, as long as fewer than that many calls are taken
        and not yet answered, so that a caller whose ``calls`` does work of its own (reading,
        converting) goes on while the workers are busy, with memory bounded by ``ahead``."""
        calls = iter(calls)
        window: deque[_Call] = deque()  # taken and not yet answered to the caller, in order
        unsent: deque[_Call] = deque()
        more = True
        while True:
            while True:
                self._collect(timeout=0)
                self._send(function, unsent)
                if not more or (unsent and not self._workers):
                    break
                if ahead is not None:
                    if len(window) >= ahead:
                        break
                elif unsent or (self._workers and not self._idle()):
                    break
                arguments = next(calls, _END)
                if arguments is _END:
                    more = False
                    break
                call = _Call(function, arguments)  # type: ignore[arg-type]
                window.append(call)
                unsent.append(call)
            if not window:
                return
            head = window[0]
            if head.done:
                window.popleft()
                answer = head.answer
                del head
                yield answer
                del answer
            elif not self._workers:
                for call in unsent:  # no worker left: the caller does the rest itself
                    call.arguments, call.done = None, True
                unsent.clear()
            else:
                self._collect(timeout=None)

    def _idle(self) -> list[_Worker]:
        return [worker for worker in self._workers if worker.call is None]

    def _send(self, function: Callable[..., Any], unsent: deque[_Call]) -> None:
        for worker in self._idle():
            if not unsent:
                return
            call = unsent.popleft()
            arguments, call.arguments = call.arguments, None
            try:
                data = pickle.dumps((function, arguments), pickle.HIGHEST_PROTOCOL)
            except Exception:  # RecursionError, PicklingError: the caller does it itself
                call.done = True
                continue
            del arguments
            try:
                worker.pipe.send_bytes(data)
            except OSError:  # it died while idle: its call goes to another
                self._drop(worker)
                call.arguments = pickle.loads(data)[1]
                unsent.appendleft(call)
                continue
            worker.call = call

    def _collect(self, timeout: float | None) -> None:
        """Take the answers that are in (with ``timeout`` None: wait for one at least)."""
        from multiprocessing.connection import wait

        busy: dict[object, _Worker] = {}
        for worker in self._workers:
            if worker.call is not None:
                busy[worker.pipe] = busy[worker.process.sentinel] = worker
        if not busy:
            return
        for ready in wait(list(busy), timeout):  # type: ignore[arg-type]
            worker = busy[ready]
            call = worker.call
            if call is None:
                continue  # its pipe and its sentinel were both ready: answered or dropped
            try:
                if ready is not worker.pipe and not worker.pipe.poll():
                    raise EOFError  # it died before it answered
                ok, answer = pickle.loads(worker.pipe.recv_bytes())
            except (EOFError, OSError):  # it died (perhaps halfway through the answer)
                self._drop(worker)
                continue
            call.answer, call.done = (answer if ok else None), True
            if ok:
                self.answered[call.function] += 1
            worker.call = None

    def _drop(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        call, worker.call = worker.call, None
        if call is not None:
            call.answer, call.done = None, True
        worker.pipe.close()
        worker.process.join()

    def close(self) -> None:
        """Tell the workers to stop, and wait for them."""
        stop = pickle.dumps(None)
        for worker in self._workers:
            with contextlib.suppress(OSError):  # it died already
                worker.pipe.send_bytes(stop)
        for worker in self._workers:
            worker.process.join()
            worker.pipe.close()
        self._workers = []

    def terminate(self) -> None:
        """Stop the workers now, whatever they are doing."""
        for worker in self._workers:
            worker.process.terminate()
        for worker in self._workers:
            worker.process.join()
            worker.pipe.close()
        self._workers = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        if error is None:
            self.close()
        else:
            # The work is abandoned (Ctrl-C, say): what the workers hold is of no use.
            self.terminate()


def _serve(
    pipe: Connection, inherited: list[Connection], initializer: Callable[[], None] | None
) -> None:
    """In a worker: answer calls until told to stop (None) or this process's end of the pipe
    closes."""
    # Ctrl-C reaches every process of the terminal's group: this process stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:  # the other workers' pipes: their ends are this process's
        other.close()
    if initializer is not None:
        initializer()
    while True:
        try:
            message = pickle.loads(pipe.recv_bytes())
        except EOFError:
            return
        except Exception:  # arguments that do not unpickle here
            pipe.send_bytes(_FAILED)
            continue
        if message is None:
            return
        function, arguments = message
        del message
        try:
            data = pickle.dumps((True, function(*arguments)), pickle.HIGHEST_PROTOCOL)
        except Exception:
            data = _FAILED
        del arguments
        pipe.send_bytes(data)


_FAILED = pickle.dumps((False, None))
