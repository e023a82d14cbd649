"""Worker processes forked from this one that answer tasks over pipes, each in the order sent.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: it runs two helper threads in this
process, one that pickles and sends tasks and one that receives answers, and whenever the
thread that converts gives up the GIL (to write, to wake a helper) it may wait for a helper to
give it back. That thread is what the whole conversion waits on. Here it pickles and sends
each task itself, and reads answers whenever it sends or waits: this process runs no other
thread and takes no lock. Measured on 10k Ingresses from JSON (2 cores, interleaved runs):
5.34 s with the executor, 5.07 s with this pool; with the workers at a lower priority (see
:data:`ingress2gateway.checking.WORKER_NICENESS`), 5.38 s with the executor (its threads still
wait on each other) and 4.75 s with this pool.

Sends never block for good: while a worker's pipe is full, this process reads the answers that
arrive, so a worker that waits for its answers to be read cannot stall it. Inside a worker, a
thread writes the answers, so that a worker never stops working because this process is busy
converting and not reading.

Linux only (``fork`` and pipe sizes); callers check :func:`ingress2gateway.checking.can_fork`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

_FRAME = struct.Struct("<Q")
"""Each message: its size, then the pickle."""
_PIPE_BYTES = 1 << 20
"""Pipe capacity asked for (Linux's default limit for a user): ~16 chunks of tasks."""
_READ_BYTES = 1 << 20


class WorkerDied(Exception):
    """A worker ended (killed, out of memory, crashed) before answering all it was sent."""


class Worker:
    def __init__(self, pid: int, tasks: int, answers: int) -> None:
        self.pid = pid
        self.tasks = tasks
        """Write end of the worker's task pipe (non-blocking)."""
        self.answers = answers
        """Read end of its answer pipe (non-blocking)."""
        self.inbox = bytearray()
        """Bytes read from the answer pipe that do not make a whole answer yet."""
        self.ready: deque[Any] = deque()
        """Answers read and not yet taken, oldest first."""
        self.unanswered = 0
        """Tasks sent whose answers have not been taken."""
        self.alive = True


class ForkPool:
    """``jobs`` workers forked now. Each lowers its priority by ``niceness``, runs
    ``initializer`` once, then ``work(task)`` for each task :meth:`send` gives it;
    :meth:`receive` returns its answers in the order of its tasks. Use as a context manager:
    leaving it ends the workers."""

    def __init__(
        self,
        jobs: int,
        work: Callable[[Any], Any],
        initializer: Callable[[], None] | None = None,
        niceness: int = 0,
    ) -> None:
        self.workers: list[Worker] = []
        try:
            for _ in range(jobs):
                self.workers.append(self._fork(work, initializer, niceness))
        except OSError:
            self.close()
            raise

    def _fork(
        self,
        work: Callable[[Any], Any],
        initializer: Callable[[], None] | None,
        niceness: int,
    ) -> Worker:
        task_read, task_write = os.pipe()
        answer_read, answer_write = os.pipe()
        for fd in (task_write, answer_write):
            _enlarge(fd)
        pid = os.fork()
        if pid == 0:  # the worker: it never returns from here
            code = 1
            try:
                os.close(task_write)
                os.close(answer_read)
                # Holding another worker's task pipe open would keep it from ever seeing the
                # end of its tasks.
                for other in self.workers:
                    os.close(other.tasks)
                    os.close(other.answers)
                code = _serve(task_read, answer_write, work, initializer, niceness)
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(answer_write)
        os.set_blocking(task_write, False)
        os.set_blocking(answer_read, False)
        return Worker(pid, task_write, answer_read)

    @property
    def jobs(self) -> int:
        return len(self.workers)

    def send(self, task: Any) -> Worker:
        """Give ``task`` to the worker with the fewest tasks unanswered; returns that worker
        (pass it to :meth:`receive`). Raises :class:`WorkerDied`."""
        worker = min(self.workers, key=lambda w: w.unanswered)
        if not worker.alive:
            raise WorkerDied
        message = pickle.dumps(task, pickle.HIGHEST_PROTOCOL)
        pending = memoryview(_FRAME.pack(len(message)) + message)
        while pending:
            written = self._write(worker, pending)
            if written:
                pending = pending[written:]
            else:
                self._wait(writing=worker)
        worker.unanswered += 1
        return worker

    @staticmethod
    def _write(worker: Worker, data: memoryview) -> int:
        """As much of ``data`` as the task pipe of ``worker`` takes now (0: it is full)."""
        try:
            return os.write(worker.tasks, data)
        except BlockingIOError:
            return 0
        except BrokenPipeError:
            worker.alive = False
            raise WorkerDied from None

    def receive(self, worker: Worker) -> Any:
        """The answer to the oldest task of ``worker`` not yet received (waiting for it)."""
        while not worker.ready:
            if not worker.alive:
                raise WorkerDied
            self._wait()
        worker.unanswered -= 1
        return worker.ready.popleft()

    def _wait(self, writing: Worker | None = None) -> None:
        """Until an answer comes (it is read) or the task pipe of ``writing`` has room."""
        poll = select.poll()
        for worker in self.workers:
            if worker.alive:
                poll.register(worker.answers, select.POLLIN)
        if writing is not None:
            poll.register(writing.tasks, select.POLLOUT)
        readable = {w.answers: w for w in self.workers}
        for fd, _ in poll.poll():
            if fd in readable:
                self._read(readable[fd])
        # A task pipe with room, or whose worker has gone: the caller's next write tells.

    def _read(self, worker: Worker) -> None:
        """Take what the answer pipe of ``worker`` holds; a closed pipe means it died."""
        inbox = worker.inbox
        while True:
            try:
                data = os.read(worker.answers, _READ_BYTES)
            except BlockingIOError:
                break
            if not data:
                worker.alive = False
                break
            inbox += data
        start = 0
        while len(inbox) - start >= _FRAME.size:
            (size,) = _FRAME.unpack_from(inbox, start)
            end = start + _FRAME.size + size
            if len(inbox) < end:
                break
            worker.ready.append(pickle.loads(inbox[start + _FRAME.size : end]))
            start = end
        del inbox[:start]

    def close(self) -> None:
        """End the workers: they see the end of their tasks and exit; a worker that still has
        tasks (this process is leaving early) is killed."""
        for worker in self.workers:
            _close(worker.tasks)
            _close(worker.answers)
            if worker.unanswered and worker.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
        for worker in self.workers:
            _reap(worker.pid)
        self.workers = []

    def __enter__(self) -> ForkPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(
    tasks: int,
    answers: int,
    work: Callable[[Any], Any],
    initializer: Callable[[], None] | None,
    niceness: int,
) -> int:
    """In a worker: answer tasks until their pipe closes. A thread writes the answers, so that
    the worker goes on with the next task while this process is too busy to read."""
    import queue
    import threading

    # Ctrl-C reaches the whole process group: the parent handles it and closes the pipes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    if initializer is not None:
        initializer()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    writer = threading.Thread(target=_write_answers, args=(answers, outbox), daemon=True)
    writer.start()
    with open(tasks, "rb") as source:
        while True:
            head = source.read(_FRAME.size)
            if len(head) < _FRAME.size:
                break
            (size,) = _FRAME.unpack(head)
            message = source.read(size)
            if len(message) < size:
                break
            answer = pickle.dumps(work(pickle.loads(message)), pickle.HIGHEST_PROTOCOL)
            outbox.put(_FRAME.pack(len(answer)) + answer)
    outbox.put(None)
    writer.join()
    return 0


def _write_answers(fd: int, outbox: Any) -> None:
    try:
        while (message := outbox.get()) is not None:
            pending = memoryview(message)
            while pending:
                pending = pending[os.write(fd, pending) :]
    except BrokenPipeError:  # the parent has gone: nothing to answer to
        pass
    finally:
        os.close(fd)


def _enlarge(fd: int) -> None:
    import fcntl

    # A smaller pipe only means more waits.
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _reap(pid: int) -> None:
    # ChildProcessError: reaped already (an embedding program that ignores SIGCHLD).
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
