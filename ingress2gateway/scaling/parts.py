"""The parts of an input (see :class:`~ingress2gateway.plugin.Parts`) converted in worker
processes.

Each part is sent to a worker, pickled (workers started before the input was read hold none
of it), which converts, validates and encodes it with
:func:`~ingress2gateway.converting.pipeline.convert_part`, and sends back what a writer needs
of each object to print and its part's report (see :meth:`~ingress2gateway.reporting.report.Recorder.portable`). This
process merges them, in part order, so output and report are those of converting the parts
here one after another.

The other way (this process converts one part after another while workers check the
objects) leaves the conversion, the larger half of the work, on one core; here every core
converts. A part that fails in its worker (it died, or the part holds nesting too deep to
pickle) is converted here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar

from ingress2gateway.converting.pipeline import Plan, convert_part
from ingress2gateway.objects import JSONDict, KubeObject, ObjectRef
from ingress2gateway.plugin import Emitted, Emitter, Parts, Provider
from ingress2gateway.registry import load_emitter, load_provider
from ingress2gateway.reporting.report import PortableReport, Recorder
from ingress2gateway.scaling.pool import Pool
from ingress2gateway.scaling.spool import for_writer
from ingress2gateway.scaling.workers import Encoder, checked_here, worker_job

_Plugin = TypeVar("_Plugin", Provider, Emitter)

PARTS_IN_WORKERS_MIN = 256
"""Objects in the parts of an input below which its parts are converted here: forking costs
more than it saves on a small input."""


def worth_workers(parts: Parts, jobs: int) -> bool:
    """Whether ``jobs`` workers would convert ``parts`` sooner than this process: for enough
    objects, in parts of which none holds half (a worker converting it would take longer than
    this process converting everything)."""
    sizes = [len(part) for part in parts.parts]
    total = sum(sizes)
    return jobs >= 2 and total >= PARTS_IN_WORKERS_MIN and 2 * max(sizes) <= total


def convert_parts(
    parts: Parts,
    plan: Plan,
    report: Recorder,
    pool: Pool,
    keep: Callable[[Emitted], None],
    encode: Encoder | None,
    *,
    release_input: bool,
) -> None:
    """Each part converted in ``pool`` (whose workers validate on ``plan``'s target if it
    validates, and encode with ``encode``), its objects handed to ``keep`` and its report
    merged into ``report``, in part order."""
    objects, shared = parts.parts, parts.shared
    del parts
    sent = _SentPlan.of(plan)
    calls = ((sent, [*objects[index], *shared]) for index in range(len(objects)))
    on = plan.target if plan.validate else None
    for index, answer in enumerate(pool.ordered(convert_sent_part, calls)):
        if answer is None:  # it failed in its worker: converted here
            check = partial(checked_here, target=on, encode=encode)
            part = [*objects[index], *shared]
            for item in convert_part(part, plan, report, check=check, release_input=release_input):
                keep(item)
        else:
            portable, items = answer
            report.absorb(portable)
            for ref, body, text in items:
                keep(Emitted(ref, body, text=text))
        objects[index] = []  # kept until answered, for a part that fails there


@dataclass(frozen=True)
class _SentPlan:
    """A plan as it is sent to a worker: the providers and emitter the registry has are sent
    by name (the worker has them loaded already), others (a script's own) as they are."""

    plan: Plan
    providers: tuple[str | Provider, ...]
    emitter: str | Emitter

    @classmethod
    def of(cls, plan: Plan) -> _SentPlan:
        providers = tuple(_by_name(provider, load_provider) for provider in plan.providers)
        emitter = _by_name(plan.emitter, load_emitter)
        return cls(replace(plan, providers=(), emitter=_NO_EMITTER), providers, emitter)

    def loaded(self) -> Plan:
        providers = tuple(load_provider(p) if isinstance(p, str) else p for p in self.providers)
        emitter = load_emitter(self.emitter) if isinstance(self.emitter, str) else self.emitter
        return replace(self.plan, providers=providers, emitter=emitter)


def _by_name(item: _Plugin, load: Callable[[str], _Plugin]) -> str | _Plugin:
    try:
        return item.name if load(item.name) is item else item
    except Exception:  # a name the registry does not know: not one of its
        return item


class _NoEmitter:
    """Stands for the emitter in a plan being sent (the emitter is sent beside it)."""

    name = ""


_NO_EMITTER: Emitter = _NoEmitter()  # type: ignore[assignment]

PartAnswer = tuple[PortableReport, list[tuple[ObjectRef, JSONDict, str | None]]]


def convert_sent_part(sent: _SentPlan, objects: list[KubeObject]) -> PartAnswer:
    """In a worker: a part (its objects and the shared ones, pickled), converted; what a writer
    needs of each object to print (see :func:`~.spool.for_writer`), and the part's report."""
    target, encode = worker_job()
    report = Recorder()
    check = partial(checked_here, target=target, encode=encode)
    # The objects are this worker's own copy: releasing them frees memory and nothing else.
    converted = convert_part(objects, sent.loaded(), report, check=check, release_input=True)
    items = [for_writer(item) for item in converted]
    return report.portable(), items
