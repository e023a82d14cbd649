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
or when a worker dies, the work is done in this process. (An input converted in parts is
instead sent to the workers part by part, each converting and checking its own objects: see
:mod:`ingress2gateway.scaling.parts`.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING

from ingress2gateway.objects import JSONDict
from ingress2gateway.plugin import Emitted
from ingress2gateway.scaling.pool import Pool, can_fork

if TYPE_CHECKING:
    from ingress2gateway.converting.pipeline import Checked
    from ingress2gateway.target import Target
    from ingress2gateway.validation import Violation

Encoder = Callable[[JSONDict], str]
Answer = tuple["list[Violation]", "str | None"]

SERIAL_HEAD = 256
"""Objects checked here before any worker starts: small conversions never fork, and the
workers inherit a validator that has already compiled the rules the first objects needed."""
CHUNK = 16
"""Objects per message to a worker (fewer, larger messages cost less than many small)."""
IN_FLIGHT_PER_WORKER = 32
"""Chunks taken ahead per worker: enough to keep it busy while this process converts the next
part of the input (at 100k Ingresses a part makes ~1,000 objects; 4 chunks per worker left the
workers idle for most of each part: 67 s against 62 s), few enough to bound memory (+30 MB)."""

# In a worker: what it checks against (set as it starts, see _start).
_job: tuple[Target | None, Encoder | None] | None = None


def check_one(body: JSONDict, target: Target | None, encode: Encoder | None) -> Answer:
    """Violations of ``body`` on ``target`` (None: not validated) and its encoded text."""
    violations: list[Violation] = []
    if target is not None:
        from ingress2gateway.validation import validate

        violations = validate(body, target)
    return violations, (encode(body) if encode is not None else None)


def checked_here(
    items: Iterable[Emitted], target: Target | None, encode: Encoder | None
) -> Iterator[Checked]:
    for item in items:
        yield (item, *check_one(item.body, target, encode))


def checked(
    items: Iterable[Emitted],
    target: Target | None,
    encode: Encoder | None,
    jobs: int,
    workers: Workers | None = None,
) -> Iterator[Checked]:
    """Each item with its violations and text, in order; ``jobs`` > 1 forks that many workers
    once more than :data:`SERIAL_HEAD` objects have come. ``workers`` started earlier take
    every item from the first if they check against the same target with the same encoder
    (otherwise every item is checked here)."""
    items = iter(items)
    if workers is not None:
        if workers.pool is not None and workers.suit(target, encode):
            yield from _through(workers.pool, items, target, encode)
    elif jobs > 1 and can_fork():
        yield from checked_here(islice(items, SERIAL_HEAD), target, encode)
        yield from _in_workers(items, target, encode, jobs)
    yield from checked_here(items, target, encode)


class Workers:
    """Workers forked ahead of the work, for a caller that knows the input is large before
    reading it (the CLI). Forked before the input is read, they hold none of it; they compile
    the validator (:func:`~ingress2gateway.validation.prepare`) and parse the YAML documents
    this process reads (:func:`~ingress2gateway.scaling.reading.parsed_in`), then convert the
    parts of an input in parts or check output objects from the first one. Use as a context
    manager; on a platform without ``fork`` it starts nothing (``pool`` is None) and everything
    is done in this process."""

    def __init__(self, jobs: int, target: Target | None, encode: Encoder | None) -> None:
        self.jobs, self.target, self.encode = jobs, target, encode
        self.pool: Pool | None = None
        if jobs >= 2 and can_fork():
            self.pool = Pool(jobs, initializer=partial(_start, target, encode, prepare=True))

    def suit(self, target: Target | None, encode: Encoder | None) -> bool:
        """Whether the workers check against ``target`` and encode with ``encode``."""
        return (target, encode) == (self.target, self.encode)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        if self.pool is not None:
            self.pool.__exit__(error, *rest)


def worker_job() -> tuple[Target | None, Encoder | None]:
    """In a worker: the target it validates on and the encoder it encodes with."""
    assert _job is not None, "set as the worker starts"
    return _job


def _start(target: Target | None, encode: Encoder | None, *, prepare: bool) -> None:
    """In a worker, as it starts: its job; ``prepare``: compile what checking the first
    objects needs (a worker forked late inherits it compiled)."""
    global _job
    _job = (target, encode)
    if not prepare:
        return
    if target is not None:
        from ingress2gateway.validation import prepare as prepare_validator

        prepare_validator(target)
    if encode is not None:
        encode({"kind": "Warm-up"})


def _in_workers(
    items: Iterator[Emitted], target: Target | None, encode: Encoder | None, jobs: int
) -> Iterator[Checked]:
    """Check ``items`` in ``jobs`` workers forked now (they inherit the compiled validator)."""
    first = list(islice(items, CHUNK))
    if not first:
        return
    with Pool(jobs, initializer=partial(_start, target, encode, prepare=False)) as pool:
        yield from _through(pool, chain(first, items), target, encode)


def _through(
    pool: Pool, items: Iterator[Emitted], target: Target | None, encode: Encoder | None
) -> Iterator[Checked]:
    """Check chunks of ``items`` in ``pool`` until ``items`` is exhausted; a chunk that fails
    in its worker is checked here."""
    sent: deque[list[Emitted]] = deque()

    def calls() -> Iterator[tuple[list[JSONDict]]]:
        while chunk := list(islice(items, CHUNK)):
            sent.append(chunk)
            yield ([item.body for item in chunk],)

    ahead = pool.jobs * IN_FLIGHT_PER_WORKER
    for answers in pool.ordered(_work, calls(), ahead=ahead):
        chunk = sent.popleft()
        if answers is None:
            answers = [check_one(item.body, target, encode) for item in chunk]
        for item, (violations, text) in zip(chunk, answers, strict=True):
            yield item, violations, text


def _work(bodies: list[JSONDict]) -> list[Answer]:
    """In a worker: check each body as its job says."""
    target, encode = worker_job()
    return [check_one(body, target, encode) for body in bodies]
