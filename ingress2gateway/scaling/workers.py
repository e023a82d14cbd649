"""Validating and encoding output objects, in this process or in forked worker processes.

Validation is the largest cost of a big conversion after the providers (10k nginx Ingresses:
~3 s of ~8 s), and each object is validated on its own, so it parallelises. Workers receive
only the objects (pickled, a few chunks at a time so that memory stays bounded), and send back
the violations and, when asked, the object encoded as text (encoding is the next largest cost).
They are forked either once the first :data:`SERIAL_HEAD` objects have been checked here (they
inherit the compiled validator), or, by a caller that knows the input is large, before it is
read (:class:`Workers`: they compile the validator on the core the providers leave idle).

Results come back in emission order whatever the number of workers, so notifications and
output are the same as with one process. Workers need ``fork``: elsewhere (macOS, Windows),
or when a worker dies, the work is done in this process. (An input the pipeline converts in
parts is instead sent to the workers part by part, each converting and checking its own
objects: see ``pipeline._PartConverter``.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING

from ingress2gateway.objects import JSONDict
from ingress2gateway.plugin import Emitted
from ingress2gateway.scaling.forks import can_fork

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from ingress2gateway.target import Target
    from ingress2gateway.validation import Violation

Encoder = Callable[[JSONDict], str]
Answer = tuple["list[Violation]", "str | None"]
Checked = tuple[Emitted, "list[Violation]", "str | None"]

SERIAL_HEAD = 256
"""Objects checked here before any worker starts: small conversions never fork, and the
workers inherit a validator that has already compiled the rules the first objects needed."""
CHUNK = 16
"""Objects per message to a worker (fewer, larger messages cost less than many small)."""
IN_FLIGHT_PER_WORKER = 32
"""Chunks queued per worker: enough to keep it busy while this process converts the next part
of the input (at 100k Ingresses a part makes ~1,000 objects; 4 chunks per worker left the
workers idle for most of each part: 67 s against 62 s), few enough to bound memory (+30 MB)."""

# What a forked worker checks against: set in the parent just before the fork.
_job: tuple[Target | None, Encoder | None] | None = None


def check_one(body: JSONDict, target: Target | None, encode: Encoder | None) -> Answer:
    """Violations of ``body`` on ``target`` (None: not validated) and its encoded text."""
    violations: list[Violation] = []
    if target is not None:
        from ingress2gateway.validation import validate

        violations = validate(body, target)
    return violations, (encode(body) if encode is not None else None)


def checked(
    items: Iterable[Emitted],
    target: Target | None,
    encode: Encoder | None,
    jobs: int,
    workers: Workers | None = None,
) -> Iterator[Checked]:
    """Each item with its violations and text, in order; ``jobs`` > 1 forks that many workers
    once more than :data:`SERIAL_HEAD` objects have come. ``workers`` started earlier for the
    same target and encoder take every item from the first."""
    items = iter(items)
    if workers is not None and workers.pool is not None:
        pool = workers.pool_for(target, encode)
        if pool is not None:
            yield from _through(pool, items, target, encode, workers.jobs)
        # else: checked here; no second pool is forked while this one's threads run.
    elif jobs > 1 and can_fork():
        for item in islice(items, SERIAL_HEAD):
            yield (item, *check_one(item.body, target, encode))
        yield from _in_workers(items, target, encode, jobs)
    for item in items:
        yield (item, *check_one(item.body, target, encode))


class Workers:
    """Workers forked ahead of the work, for a caller that knows the input is large before
    reading it (the CLI). Forked before the input is read, they hold none of it; they compile
    the validator (:func:`~ingress2gateway.validation.prepare`) and parse the YAML documents
    this process reads (``manifests.read_inputs(pool=...)``), then convert the parts of an
    input in parts (sent to them: see ``pipeline._PartConverter``) or take output objects from
    the first one. Use as a context manager; on a platform without
    ``fork`` it starts nothing and :func:`checked` works as without it."""

    def __init__(self, jobs: int, target: Target | None, encode: Encoder | None) -> None:
        self.jobs, self.target, self.encode = jobs, target, encode
        self.pool: ProcessPoolExecutor | None = None
        if jobs >= 2 and can_fork():
            self.pool = _forked(jobs, target, encode, initializer=_prepare)

    def pool_for(self, target: Target | None, encode: Encoder | None) -> ProcessPoolExecutor | None:
        """The pool, if its workers check against ``target`` and encode with ``encode``."""
        return self.pool if (target, encode) == (self.target, self.encode) else None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        if self.pool is None:
            return
        if error is not None:
            # The work is abandoned (Ctrl-C, say): the workers are stopped rather than waited
            # for, as they would finish what they hold first (up to three parts of a large
            # input: seconds). The pool has no public way to do this before Python 3.14.
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            for process in processes:
                process.terminate()
            for process in processes:
                process.join()
            # A worker stopped while it sent an answer leaves part of one in the pipe, and the
            # pool's thread waits for the rest; this process holds the pipe's last open writing
            # end: closing it ends the wait (the pool then sees its workers are gone).
            answers = getattr(self.pool, "_result_queue", None)
            if answers is not None:
                answers._writer.close()
        self.pool.shutdown(wait=True, cancel_futures=True)


def worker_encoder() -> Encoder | None:
    """In a worker: the encoder its pool was forked with (see :class:`Workers`)."""
    assert _job is not None, "workers are forked after the job is set"
    return _job[1]


def _prepare() -> None:
    """In a worker, as it starts: compile what checking the first objects needs."""
    assert _job is not None, "workers are forked after the job is set"
    target, encode = _job
    if target is not None:
        from ingress2gateway.validation import prepare

        prepare(target)
    if encode is not None:
        encode({"kind": "Warm-up"})


def _in_workers(
    items: Iterator[Emitted], target: Target | None, encode: Encoder | None, jobs: int
) -> Iterator[Checked]:
    """Check ``items`` in ``jobs`` workers forked now (they inherit the compiled validator)."""
    first = list(islice(items, CHUNK))
    if not first:
        return
    with _forked(jobs, target, encode) as pool:
        yield from _through(pool, chain(first, items), target, encode, jobs)


def _forked(
    jobs: int,
    target: Target | None,
    encode: Encoder | None,
    initializer: Callable[[], None] | None = None,
) -> ProcessPoolExecutor:
    """A pool of ``jobs`` workers forked now, each with ``(target, encode)`` as its job."""
    # Imported here: most conversions never start a worker (and `check` starts faster).
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _job
    _job = (target, encode)
    try:
        pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("fork"), initializer=initializer
        )
        pool.submit(int)  # a fork pool forks all its workers on the first submit
    finally:
        _job = None  # the workers have their copy; this process has no use for it
    return pool


def _through(
    pool: ProcessPoolExecutor,
    items: Iterator[Emitted],
    target: Target | None,
    encode: Encoder | None,
    jobs: int,
) -> Iterator[Checked]:
    """Check chunks of ``items`` in ``pool`` until ``items`` is exhausted; on a broken pool,
    the chunks not yet answered are checked here (the caller checks the rest)."""
    from concurrent.futures.process import BrokenProcessPool

    window: deque[tuple[list[Emitted], Future[list[Answer]]]] = deque()
    unsent: list[Emitted] = []  # taken from items, not yet in the window
    try:
        while unsent := list(islice(items, CHUNK)):
            window.append((unsent, pool.submit(_work, [item.body for item in unsent])))
            unsent = []
            while len(window) >= jobs * IN_FLIGHT_PER_WORKER:
                yield from _oldest(window, target, encode)
        while window:
            yield from _oldest(window, target, encode)
    except BrokenProcessPool:
        # A worker died (killed, out of memory): what was not answered is checked here,
        # including a chunk whose submit found the pool broken.
        for chunk in chain((sent for sent, _ in window), [unsent]):
            for item in chunk:
                yield (item, *check_one(item.body, target, encode))


def _oldest(
    window: deque[tuple[list[Emitted], Future[list[Answer]]]],
    target: Target | None,
    encode: Encoder | None,
) -> Iterator[Checked]:
    """The answers for the oldest chunk (it leaves the window only once they are in)."""
    from concurrent.futures.process import BrokenProcessPool

    chunk, future = window[0]
    try:
        answers = future.result()
    except BrokenProcessPool:
        raise  # the pool is gone: _through checks everything not yet answered here
    except Exception:
        # Not sent or not sent back (nesting too deep to pickle, say): checked here, where a
        # bug in checking fails again, with its traceback.
        answers = [check_one(item.body, target, encode) for item in chunk]
    window.popleft()
    for item, (violations, text) in zip(chunk, answers, strict=True):
        yield item, violations, text


def _work(bodies: list[JSONDict]) -> list[Answer]:
    """In a worker: check each body against what the parent set before forking."""
    assert _job is not None, "workers are forked after the job is set"
    target, encode = _job
    return [check_one(body, target, encode) for body in bodies]
