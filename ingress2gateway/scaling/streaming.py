"""The entry point for large inputs: :func:`convert_streaming`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from typing import Any

from ingress2gateway.converting.pipeline import (
    Checked,
    EmitterArg,
    ProvidersArg,
    Result,
    TargetArg,
    convert_in_parts,
    convert_part,
    partition,
    planned,
    result_of,
    select,
)
from ingress2gateway.emitters.gatewayapi import sort_key
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.plugin import ConvertOptions, Emitted
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.scaling import parts as in_parts
from ingress2gateway.scaling.gc_pause import gc_paused
from ingress2gateway.scaling.pool import Pool, can_fork
from ingress2gateway.scaling.spool import Spool
from ingress2gateway.scaling.workers import Workers, checked


def convert_streaming(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    providers: ProvidersArg = None,
    emitter: EmitterArg = None,
    *,
    on_object: Callable[[Emitted], None],
    encode: Callable[[JSONDict], str] | None = None,
    jobs: int = 1,
    workers: Workers | None = None,
    release_input: bool = False,
    options: ConvertOptions | None = None,
    target: TargetArg = None,
    emitter_options: Mapping[str, str] | None = None,
    validate: bool = True,
    emit_invalid: bool = False,
    report: Recorder | None = None,
    gateway_api_version: str | None = None,
    channel: str | None = None,
) -> Result:
    """:func:`ingress2gateway.convert` for inputs of thousands of objects: the same output and
    report, handed over as it is made, and the work spread over ``jobs`` processes.

    Each object to print is handed to ``on_object``, in output order, as soon as it is made
    and validated, and ``result.resources`` stays empty: a caller that writes and forgets each
    one (the CLI's ``print``) never holds every output object at once. When the provider
    converts the input in parts (with a Gateway per namespace, see
    :class:`~ingress2gateway.plugin.Parts`), the objects are spooled to a temporary file as
    each part is done and handed over, in output order, after the last part; an object that
    was encoded then carries its text, and of its body only ``apiVersion``, ``kind`` and
    ``metadata``.

    ``encode`` (say ``functools.partial(ingress2gateway.writing.formats.encode,
    format="yaml")``): each object handed over carries its text in ``Emitted.text``.

    ``jobs`` > 1 forks that many worker processes, on Linux only (elsewhere everything runs in
    this process): with an input in parts, they convert the parts (see
    :mod:`~ingress2gateway.scaling.parts`); otherwise they validate and encode objects while
    this process converts (see :mod:`~ingress2gateway.scaling.workers`). The output and report
    are the same as with one. Forking is for single-threaded callers: from a program that runs
    other threads, keep ``jobs=1``. ``workers``: a
    :class:`~ingress2gateway.scaling.workers.Workers` started before the input was read (for
    the same target and ``encode``), used instead of forking new ones.

    Pass ``iter(objects)`` and keep no other reference to let the input be freed once the
    providers are done with it; with ``release_input=True`` each Ingress's spec is dropped as
    soon as it is parsed (the objects cannot be converted again).

    The other arguments are :func:`~ingress2gateway.convert`'s.
    """
    report = report if report is not None else Recorder()
    objects, plan = planned(
        objects,
        report,
        providers,
        emitter,
        target=target,
        options=options,
        emitter_options=emitter_options,
        validate=validate,
        emit_invalid=emit_invalid,
        gateway_api_version=gateway_api_version,
        channel=channel,
    )
    on = plan.target if plan.validate else None
    if workers is not None:
        jobs = workers.jobs

    def check(items: Iterable[Emitted]) -> Iterable[Checked]:
        return checked(items, on, encode, jobs, workers)

    handed = 0

    def hand_over(item: Emitted) -> None:
        nonlocal handed
        handed += 1
        on_object(item)

    with gc_paused():
        selected = select(objects, plan.options, report)
        # An exhausted iterator holds nothing: a caller that passes iter(objects) and keeps no
        # other reference lets the input be freed below, before the output exists.
        del objects
        parts = partition(selected, plan)
        if parts is None:
            emitted = convert_part(selected, plan, report, check=check, release_input=release_input)
            del selected  # the generator holds the input now, and frees it as it goes
            for item in emitted:
                hand_over(item)
        else:
            del selected
            # Parts come one after another; the output is in one order (kinds first).
            with Spool(sort_key) as spool, ExitStack() as stack:
                pool: Pool | None = None
                if in_parts.worth_workers(parts, jobs):
                    if workers is not None:
                        pool = workers.pool if workers.suit(on, encode) else None
                    elif can_fork():
                        pool = stack.enter_context(Workers(jobs, on, encode)).pool
                if pool is not None:
                    in_parts.convert_parts(
                        parts, plan, report, pool, spool.add, encode, release_input=release_input
                    )
                else:
                    emitted = convert_in_parts(
                        parts, plan, report, check=check, release_input=release_input
                    )
                    del parts  # the generator holds the input now, and frees it as it goes
                    for item in emitted:
                        spool.add(item)
                stack.close()  # the workers are done
                for item in spool:
                    hand_over(item)
    return result_of(plan, report, [], streamed=handed)
