"""The conversion, top to bottom: select → providers → IR → emitter → gate.

:func:`convert` is the library entry point: it converts in this process, and returns every
output object and the report about them. :func:`convert_part` is the conversion itself, of the
whole input or of one of its parts (see :class:`~ingress2gateway.plugin.Parts`): the providers
fill the IR, the emitter makes objects of it, and the gate screens, closes and judges them. It
knows nothing of processes, encoding or spooling; :mod:`ingress2gateway.scaling` runs it over
the parts of a large input in worker processes, and streams the output
(:func:`ingress2gateway.scaling.convert_streaming`).

The stages, in order: :mod:`~.selecting` (the input), the providers (IR), screening, access
controls the emitter cannot carry (:mod:`~.access`), the listener limit, the emitter, then
:mod:`~.gate` (validation and judgement); :mod:`~.unclaimed` reports what no stage took. The
report (notifications and ledger) is threaded through every stage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway._version import __version__
from ingress2gateway.converting.access import close_uncarried
from ingress2gateway.converting.companions import carry_companions
from ingress2gateway.converting.gate import Check, Checked, gate, validated
from ingress2gateway.converting.listener_limit import spill_listeners
from ingress2gateway.converting.plan import (
    EmitterArg,
    Plan,
    ProvidersArg,
    TargetArg,
    make_plan,
    providers_for,
    requested_providers,
)
from ingress2gateway.converting.screening import screen_values
from ingress2gateway.converting.selecting import as_objects, select
from ingress2gateway.converting.unclaimed import report_unclaimed, report_unconsumed_extensions
from ingress2gateway.emitters.gatewayapi import sort_key
from ingress2gateway.ir import IR
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.plugin import ConvertOptions, EmitContext, Emitted, Parts, ProviderContext
from ingress2gateway.reporting.report import Level, Recorder, Report, fails
from ingress2gateway.scaling.gc_pause import gc_paused
from ingress2gateway.target import Target

__all__ = [
    "Check",
    "Checked",
    "EmitterArg",
    "Plan",
    "ProvidersArg",
    "Result",
    "TargetArg",
    "as_objects",
    "convert",
    "convert_in_parts",
    "convert_part",
    "make_plan",
    "partition",
    "planned",
    "providers_for",
    "requested_providers",
    "result_of",
    "select",
    "validated",
]


@dataclass
class Result:
    """What :func:`convert` returns: the output objects and the report about them."""

    resources: list[JSONDict]
    report: Report
    target: Target
    providers: list[str] = field(default_factory=list)
    emitter: str = "standard"
    emitted: list[Emitted] = field(default_factory=list)
    streamed: int = 0
    """Objects handed over as they were made (see :func:`~ingress2gateway.scaling.convert_streaming`),
    not kept in ``resources``."""

    def __repr__(self) -> str:
        # Counts only: the objects and the ledger of a large input are hundreds of megabytes.
        report = self.report
        return (
            f"<Result {len(self.emitted or self.resources) + self.streamed} object(s), "
            f"{report.count(Level.ERROR)} error(s), {report.count(Level.WARNING)} warning(s), "
            f"{len(report.ledger)} ledger entries; {', '.join(self.providers)} → "
            f"{self.emitter} emitter, {self.target}>"
        )

    def report_json(self) -> dict[str, Any]:
        """The JSON report, as the CLI's report file holds it."""
        return self.report.to_json(tool=self._tool(), target=self.target.to_json())

    def write_report(self, write: Callable[[str], object]) -> None:
        """The JSON report as text, written piece by piece."""
        self.report.write_json(write, tool=self._tool(), target=self.target.to_json())

    def _tool(self) -> dict[str, Any]:
        return {
            "name": "ingress2gateway",
            "version": __version__,
            "providers": list(self.providers),
            "emitter": self.emitter,
        }

    def fails(self, fail_on: str) -> bool:
        """Whether a notification reaches ``fail_on`` (``error``, ``warning`` or ``never``)."""
        return fails(self.report, fail_on)


def convert(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    providers: ProvidersArg = None,
    emitter: EmitterArg = None,
    *,
    options: ConvertOptions | None = None,
    target: TargetArg = None,
    emitter_options: Mapping[str, str] | None = None,
    validate: bool = True,
    emit_invalid: bool = False,
    report: Recorder | None = None,
    gateway_api_version: str | None = None,
    channel: str | None = None,
) -> Result:
    """Convert ``objects`` (from :func:`ingress2gateway.load_manifests`, or plain mappings as
    a YAML or JSON library loads them) to Gateway API, in this process.

    ``providers``: names (``["nginx", "istio"]``, or ``"nginx,istio"``) or Provider objects
    (a script may pass its own); by default, every installed provider that reads a kind
    of the input. ``emitter``: a name (``"standard"``, the
    default, or ``"envoy-gateway"``) or an Emitter object. ``target``: a
    :class:`~ingress2gateway.target.Target`, or a Gateway API version (``"v1.5"``; default the
    newest vendored, standard channel). ``validate=False`` skips validating the output;
    ``emit_invalid=True`` keeps objects the API server would reject (they are reported either
    way). ``report``: a :class:`~ingress2gateway.reporting.report.Recorder` that already holds
    what reading the input said (``load_manifests(..., report=recorder)``); the result's report
    is it, finished.

    Raises :class:`~ingress2gateway.errors.UsageError` for unknown providers, emitters or
    targets; everything about the input itself goes into ``result.report``. For inputs too
    large to hold twice in memory, or to convert on several cores, see
    :func:`ingress2gateway.scaling.convert_streaming`.
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
    kept: list[Emitted] = []
    with gc_paused():  # see ingress2gateway.scaling.gc_pause
        selected = select(objects, plan.options, report)
        parts = partition(selected, plan)
        if parts is None:
            kept.extend(convert_part(selected, plan, report))
        else:
            kept.extend(convert_in_parts(parts, plan, report))
    kept.sort(key=sort_key)
    return result_of(plan, report, kept)


def planned(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    report: Recorder,
    providers: ProvidersArg,
    emitter: EmitterArg,
    **settings: Any,
) -> tuple[Iterable[KubeObject | Mapping[str, Any]], Plan]:
    """The plan for converting ``objects`` (see :func:`make_plan` for ``settings``). Without
    ``providers``, the installed ones that read a kind of the input: the objects are then
    read here, and the list of them is what to convert."""
    if providers is None:
        objects = as_objects(objects)
        providers = providers_for(objects, report)
    return objects, make_plan(providers, emitter, **settings)


def result_of(plan: Plan, report: Recorder, kept: list[Emitted], streamed: int = 0) -> Result:
    """The result of a conversion: ``report`` is finished (see :meth:`Recorder.finish`)."""
    return Result(
        resources=[item.body for item in kept],
        report=report.finish(),
        target=plan.target,
        providers=plan.provider_names,
        emitter=plan.emitter.name,
        emitted=kept,
        streamed=streamed,
    )


def partition(objects: list[KubeObject], plan: Plan) -> Parts | None:
    """The input in parts that convert independently (see :class:`~.plugin.Parts`), or None:
    it takes one provider that can split its input, an emitter that takes parts, and two parts
    at least. Converting the parts one after another gives the output and report of
    converting the whole."""
    if len(plan.providers) != 1 or not plan.emitter.in_parts:
        return None
    parts = plan.providers[0].partition(objects, plan.options)
    if parts is None or len(parts.parts) < 2:
        return None
    return parts


def convert_part(
    objects: list[KubeObject],
    plan: Plan,
    report: Recorder,
    *,
    check: Check | None = None,
    release_input: bool = False,
) -> Iterator[Emitted]:
    """The objects to print, made of ``objects`` (the selected input, or one part of it with
    the objects every part reads), in output order; what the stages found goes into
    ``report``.

    A generator: each object comes as soon as it is made and judged. ``check`` validates them
    (default: :func:`validated`, here; the scaling package passes one that validates and
    encodes in worker processes). ``release_input``: a provider drops each Ingress's spec once
    it is parsed (the objects cannot be converted again)."""
    emitted = _emitted(objects, plan, report, release_input=release_input)
    del objects
    checked = check(emitted) if check is not None else validated(emitted, plan)
    return gate(checked, plan, report)


def convert_in_parts(
    parts: Parts,
    plan: Plan,
    report: Recorder,
    *,
    check: Check | None = None,
    release_input: bool = False,
) -> Iterator[Emitted]:
    """:func:`convert_part` over one part after another (each with the objects every part
    reads): each part's objects come in output order, and sorting them all gives the output
    of converting the whole. Only one part's IR is alive at a time."""
    emitted = _emitted_in_parts(parts, plan, report, release_input=release_input)
    del parts
    checked = check(emitted) if check is not None else validated(emitted, plan)
    return gate(checked, plan, report)


def _emitted_in_parts(
    parts: Parts, plan: Plan, report: Recorder, *, release_input: bool
) -> Iterator[Emitted]:
    queue = deque(parts.parts)
    shared = parts.shared
    del parts
    while queue:
        # No name holds the part's objects here: they are freed as the providers release them.
        yield from _emitted([*queue.popleft(), *shared], plan, report, release_input=release_input)


def _emitted(
    objects: list[KubeObject],
    plan: Plan,
    report: Recorder,
    *,
    release_input: bool,
) -> Iterator[Emitted]:
    """Every provider over ``objects``, then the emitter over their IR."""
    providers, emitter, target = plan.providers, plan.emitter, plan.target
    ir = IR()
    # A provider drops an Ingress's spec once it has parsed it; another provider may still
    # read every Ingress (Kong looks for class conflicts), so only a lone provider may.
    ctx = ProviderContext(
        objects=objects,
        ir=ir,
        report=report,
        options=plan.options,
        release_input=release_input and len(providers) == 1,
    )
    del objects
    for provider in providers:
        provider.convert(ctx)
    report_unclaimed(ctx, providers)
    # cert-manager's and external-dns's annotations go where they read them on Gateway API.
    carry_companions(ctx)
    # Everything providers took from the input is in the IR and the report now.
    ctx.objects = ()
    # No value reaches an emitter unless it is of its grammar (header values, host names...);
    # an access control with a bad value becomes one no emitter carries, closed just below.
    screen_values(ir, report)
    # Before the emitter: it may hand each route on as soon as it is made.
    closing = close_uncarried(
        ir, emitter, target, report, plan.options.access_control_fallback, ctx.allocator
    )
    spill_listeners(ir, target, report, ctx.allocator)
    emit_context = EmitContext(report=report, target=target, options=dict(plan.emitter_options))
    emitted: Iterable[Emitted] = emitter.emit(ir, emit_context)
    if not emitter.ordered:
        # Every object is made and none handed on: close what the emitter said it would
        # carry and did not.
        emitted = closing.after_emission(ir, sorted(emitted, key=sort_key), report)
    # Which extensions the emitter expressed is known once it has made the last object: they
    # are reported then, while workers (if any) still check the last objects.
    yield from emitted
    report_unconsumed_extensions(ir, report, emitter, closing, target)
