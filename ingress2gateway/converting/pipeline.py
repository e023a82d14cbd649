"""The conversion pipeline: select → providers → IR → emitter → gate → validate.

When the one selected provider splits its input into parts (:class:`~.plugin.Parts`: with a
Gateway per namespace, ingress-nginx namespaces that share no host), everything from the
providers to validation runs once per part, and the output is merged back into one order.

:func:`convert` is the library entry point; the CLI is a thin layer over it. The report
(notifications and ledger) is threaded through every stage, and nothing a provider understood
can disappear without a trace: unconsumed IR extensions and skipped objects are reported here.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingress2gateway._version import __version__
from ingress2gateway.converting.access import Closing, close_uncarried
from ingress2gateway.converting.ingress import ingress_classes, is_ingress, resolve_class
from ingress2gateway.converting.listener_limit import spill_listeners
from ingress2gateway.converting.screening import screen_values
from ingress2gateway.emitters.gatewayapi import sort_key
from ingress2gateway.errors import UsageError
from ingress2gateway.ir import IR, Extension, Provenance
from ingress2gateway.objects import (
    JSONDict,
    KubeObject,
    ObjectRef,
    Origin,
    nesting_problem,
    why_impossible,
)
from ingress2gateway.plugin import (
    ConvertOptions,
    EmitContext,
    Emitted,
    Emitter,
    Parts,
    Provider,
    ProviderContext,
)
from ingress2gateway.registry import canonical_provider, load_emitter, load_provider
from ingress2gateway.reporting.report import (
    Level,
    PortableReport,
    Recorder,
    Report,
    Status,
    fails,
)
from ingress2gateway.scaling.forks import can_fork, in_order
from ingress2gateway.scaling.gc_pause import gc_paused
from ingress2gateway.scaling.spool import Spool, for_writer
from ingress2gateway.scaling.workers import Workers, checked, worker_encoder
from ingress2gateway.target import Target

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from ingress2gateway.validation import Violation

CLUSTER_SCOPED_KINDS = frozenset(
    {"IngressClass", "GatewayClass", "Namespace", "CustomResourceDefinition"}
)


@dataclass
class Result:
    """What :func:`convert` returns: the output objects and the report about them."""

    resources: list[JSONDict]
    report: Report
    target: Target
    providers: list[str] = field(default_factory=list)
    emitter: str = "standard"
    emitted: list[Emitted] = field(default_factory=list)

    def report_json(self) -> dict[str, Any]:
        """The JSON report, as ``--report-file`` writes it."""
        return self.report.to_json(tool=self._tool(), target=self.target.to_json())

    def write_report(self, write: Callable[[str], object]) -> None:
        """The JSON report as text, written piece by piece (what ``--report-file`` does)."""
        self.report.write_json(write, tool=self._tool(), target=self.target.to_json())

    def _tool(self) -> dict[str, Any]:
        return {
            "name": "ingress2gateway",
            "version": __version__,
            "providers": list(self.providers),
            "emitter": self.emitter,
        }

    def fails(self, fail_on: str) -> bool:
        return fails(self.report, fail_on)


def convert(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    providers: str | Sequence[str] = ("nginx",),
    emitter: str = "standard",
    *,
    options: ConvertOptions | None = None,
    gateway_api_version: str | None = None,
    channel: str = "standard",
    emit_invalid: bool = False,
    validate: bool = True,
    report: Recorder | None = None,
    emitter_options: Mapping[str, str] | None = None,
    on_object: Callable[[Emitted], None] | None = None,
    encode: Callable[[JSONDict], str] | None = None,
    jobs: int = 1,
    release_input: bool = False,
    workers: Workers | None = None,
) -> Result:
    """Convert ``objects`` (from :func:`ingress2gateway.load_manifests`, or plain mappings as
    a YAML or JSON library loads them) to Gateway API with ``providers`` (names, or one name).

    Raises :class:`~ingress2gateway.errors.UsageError` for unknown providers, emitters or
    targets; everything about the input itself goes into ``result.report``.

    With ``on_object``, each object to print is handed to it, in output order, as soon as it
    is made and validated, and ``result.resources`` stays empty: a caller that writes and
    forgets each one (the CLI) never holds every output object at once. When the provider
    converts the input in parts (with a Gateway per namespace, see
    :class:`~ingress2gateway.plugin.Parts`), the objects are spooled to a temporary file as
    each part is done and handed over, in output order, after the last part; an object that
    was encoded (``encode``) then carries its text, and of its body only ``apiVersion``,
    ``kind`` and ``metadata``.
    Pass ``iter(objects)`` and keep no other reference to let the input be freed once the
    providers are done with it; with ``release_input=True`` the objects are handed over, and
    each Ingress's spec is dropped as soon as it is parsed (the objects cannot be converted
    again).

    With ``encode`` (say ``functools.partial(serialize.encode, format="yaml")``), each object
    printed carries its text in ``Emitted.text``. ``jobs`` > 1 forks that many worker
    processes on Linux: with ``on_object`` and an input in parts, they convert the parts (see
    :class:`_PartConverter`); otherwise they validate and encode objects while this process
    converts (see :mod:`ingress2gateway.scaling.workers`). The output and report are the same as with
    one. Forking is for single-threaded callers (the CLI): from a program that runs other
    threads, or runs conversions in several threads, keep ``jobs=1``.
    ``workers`` (a :class:`~ingress2gateway.scaling.workers.Workers` started, for the same target and
    ``encode``, before the input was read) replaces ``jobs``: its workers take every object.
    """
    with gc_paused():
        return _convert(
            objects,
            providers,
            emitter,
            options=options,
            gateway_api_version=gateway_api_version,
            channel=channel,
            emit_invalid=emit_invalid,
            validate=validate,
            report=report,
            emitter_options=emitter_options,
            on_object=on_object,
            encode=encode,
            jobs=jobs,
            release_input=release_input,
            workers=workers,
        )


def _convert(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    providers: str | Sequence[str],
    emitter: str,
    *,
    options: ConvertOptions | None,
    gateway_api_version: str | None,
    channel: str,
    emit_invalid: bool,
    validate: bool,
    report: Recorder | None,
    emitter_options: Mapping[str, str] | None,
    on_object: Callable[[Emitted], None] | None,
    encode: Callable[[JSONDict], str] | None,
    jobs: int,
    release_input: bool,
    workers: Workers | None,
) -> Result:
    target = Target.parse(gateway_api_version, channel)
    options = options or ConvertOptions()
    report = report if report is not None else Recorder()
    names = _unique([canonical_provider(p) for p in requested_providers(providers)])
    loaded: list[Provider] = [load_provider(name) for name in names]
    emitter_impl = load_emitter(emitter)

    selected = _well_formed(_select_namespace(as_objects(objects), options.namespace), report)
    # An exhausted iterator holds nothing: a caller that passes iter(objects) and keeps no other
    # reference lets the input be freed below, before the output exists (the CLI does this).
    del objects
    emit_context = EmitContext(report=report, target=target, options=dict(emitter_options or {}))
    parts = _partition(loaded, emitter_impl, selected, options)
    kept: list[Emitted] = []
    keep = on_object if on_object is not None else kept.append
    spool: Spool | None = None
    if parts is not None and on_object is not None:
        # Parts come one after another; the output is in one order (kinds first).
        spool = Spool(sort_key)
        keep = spool.add
    checking = _Checking(target, validate, encode, emit_invalid)
    if parts is not None and spool is not None and _fork_parts(parts, jobs, workers, checking):
        recipe = _Recipe(
            tuple(names), emitter, options, emit_context.options, target, validate, emit_invalid
        )
        converter = _PartConverter(parts, recipe, checking)
        del selected, parts
        converter.in_workers(keep, report, jobs, workers, release_input)
    else:
        if parts is None:
            emitted = _convert_and_emit(
                selected, loaded, emitter_impl, emit_context, options, release_input
            )
        else:
            emitted = _in_parts(parts, loaded, emitter_impl, emit_context, options, release_input)
        del selected, parts  # the generator holds the input now, and frees it as it goes
        for item in checking.kept(emitted, report, jobs, workers):
            keep(item)
    if spool is not None and on_object is not None:
        with spool:
            for item in spool:
                on_object(item)
    kept.sort(key=sort_key)
    return Result(
        resources=[item.body for item in kept],
        report=report.finish(),
        target=target,
        providers=names,
        emitter=emitter_impl.name,
        emitted=kept,
    )


def _convert_and_emit(
    objects: list[KubeObject],
    providers: Sequence[Provider],
    emitter: Emitter,
    emit_context: EmitContext,
    options: ConvertOptions,
    release_input: bool,
    *,
    part: bool = False,
) -> Iterator[Emitted]:
    """Every provider over ``objects``, then the emitter over their IR. ``part``: the objects
    are one part of the input (see :func:`_in_parts`)."""
    report, target = emit_context.report, emit_context.target
    ir = IR()
    # A provider drops an Ingress's spec once it has parsed it; another provider may still
    # read every Ingress (Kong looks for class conflicts), so only a lone provider may.
    ctx = ProviderContext(
        objects=objects,
        ir=ir,
        report=report,
        options=options,
        release_input=release_input and len(providers) == 1,
    )
    del objects
    for provider in providers:
        provider.convert(ctx)
    _report_unclaimed(ctx, providers)
    # Everything providers took from the input is in the IR and the report now.
    ctx.objects = ()
    # No value reaches an emitter unless it is of its grammar (header values, host names...);
    # an access control with a bad value becomes one no emitter carries, closed just below.
    screen_values(ir, report)
    # Before the emitter: it may hand each route on as soon as it is made.
    closing = close_uncarried(
        ir, emitter, target, report, options.access_control_fallback, ctx.allocator
    )
    spill_listeners(ir, target, report, ctx.allocator)
    emitted: Iterable[Emitted] = emitter.emit(ir, emit_context)
    if not getattr(emitter, "ordered", False):
        # Every object is made and none handed on: close what the emitter said it would
        # carry and did not.
        emitted = closing.after_emission(ir, sorted(emitted, key=sort_key), report)
    # Which extensions the emitter expressed is known once it has made the last object: they
    # are reported then, while workers (if any) still check the last objects.
    yield from emitted
    _report_unconsumed_extensions(ir, report, emitter.name, closing)


def _partition(
    providers: Sequence[Provider],
    emitter: Emitter,
    objects: list[KubeObject],
    options: ConvertOptions,
) -> Parts | None:
    """The input in parts that convert independently (see :class:`~.plugin.Parts`), or None:
    it takes one provider that can split its input, an emitter that takes parts, and two parts
    at least."""
    if len(providers) != 1 or not getattr(emitter, "in_parts", False):
        return None
    partition = getattr(providers[0], "partition", None)
    if partition is None:
        return None
    parts: Parts | None = partition(objects, options)
    if parts is None or len(parts.parts) < 2:
        return None
    return parts


def _in_parts(
    parts: Parts,
    providers: Sequence[Provider],
    emitter: Emitter,
    emit_context: EmitContext,
    options: ConvertOptions,
    release_input: bool,
) -> Iterator[Emitted]:
    """The provider (the only one, see :func:`_partition`) and the emitter over one part after
    another. This is a generator: the next part is converted while workers (if any) check the
    objects of the one before, and only one part's IR is alive at a time."""
    queue = deque(parts.parts)
    shared = parts.shared
    del parts
    while queue:
        # No name holds the part's objects here: they are freed as the providers release them.
        yield from _convert_and_emit(
            [*queue.popleft(), *shared],
            providers,
            emitter,
            emit_context,
            options,
            release_input,
            part=True,
        )


PARTS_IN_WORKERS_MIN = 256
"""Objects in the parts of an input below which its parts are converted here: forking costs
more than it saves on a small input."""


def _fork_parts(parts: Parts, jobs: int, workers: Workers | None, checking: _Checking) -> bool:
    """Whether to convert the parts in workers (see :class:`_PartConverter`) rather than here
    while workers check the output: with workers (``workers``, if given, must check what
    ``checking`` checks), for enough objects, in parts of which none holds half (a worker
    converting it would take longer than this process converting everything)."""
    if workers is not None:
        if workers.pool_for(checking.on, checking.encode) is None:
            return False
        jobs = workers.jobs
    sizes = [len(part) for part in parts.parts]
    total = sum(sizes)
    return jobs >= 2 and total >= PARTS_IN_WORKERS_MIN and 2 * max(sizes) <= total and can_fork()


@dataclass(frozen=True)
class _Checking:
    """What happens to emitted objects: validated on ``target`` (or not), encoded with
    ``encode`` (None: not encoded), and judged (see :func:`_judge`)."""

    target: Target
    validate: bool
    encode: Callable[[JSONDict], str] | None
    emit_invalid: bool

    @property
    def on(self) -> Target | None:
        """The target objects are validated on (None: not validated)."""
        return self.target if self.validate else None

    def kept(
        self,
        emitted: Iterable[Emitted],
        report: Recorder,
        jobs: int = 1,
        workers: Workers | None = None,
    ) -> Iterator[Emitted]:
        """The objects of ``emitted`` to print, with their text, in order; what is wrong
        with them goes into ``report``."""
        for item, violations, text in checked(emitted, self.on, self.encode, jobs, workers):
            item.text = text
            if _judge(item, violations, report, self.target, self.emit_invalid):
                yield item


@dataclass(frozen=True)
class _Recipe:
    """How to convert a part, by names and values (pickled to the workers with each part)."""

    providers: tuple[str, ...]
    emitter: str
    options: ConvertOptions
    emitter_options: Mapping[str, Any]
    target: Target
    validate: bool
    emit_invalid: bool

    def convert(
        self,
        objects: list[KubeObject],
        report: Recorder,
        encode: Callable[[JSONDict], str] | None,
        release_input: bool,
    ) -> Iterator[Emitted]:
        """One part's ``objects`` converted, checked and judged (what is said about them in
        ``report``): the objects to print."""
        providers, emitter = _loaded(self.providers, self.emitter)
        context = EmitContext(report, self.target, self.emitter_options)
        emitted = _convert_and_emit(
            objects, providers, emitter, context, self.options, release_input, part=True
        )
        checking = _Checking(self.target, self.validate, encode, self.emit_invalid)
        return checking.kept(emitted, report)


_LOADED: dict[tuple[tuple[str, ...], str], tuple[list[Provider], Emitter]] = {}


def _loaded(providers: tuple[str, ...], emitter: str) -> tuple[list[Provider], Emitter]:
    """The providers and emitter of these names, loaded once per process (a worker converts
    many parts with them, as this process does when it converts them all)."""
    key = (providers, emitter)
    found = _LOADED.get(key)
    if found is None:
        found = _LOADED[key] = ([load_provider(name) for name in providers], load_emitter(emitter))
    return found


PartAnswer = tuple[PortableReport, list[tuple[ObjectRef, JSONDict, str | None]]]


def _convert_sent_part(recipe: _Recipe, objects: list[KubeObject]) -> PartAnswer:
    """In a worker: a part (its objects and the shared ones, pickled), converted; what a writer
    needs of each object to print (see :func:`~.spool.for_writer`), and the part's report."""
    report = Recorder()
    # The objects are this worker's own copy: releasing them frees memory and nothing else.
    converted = recipe.convert(objects, report, worker_encoder(), True)
    items = [for_writer(item) for item in converted]
    return report.portable(), items


class _PartConverter:
    """Each part sent to a worker, pickled (workers started before the input was read hold
    none of it), which converts, validates and encodes it, and sends back what a writer needs
    of each object to print and its part's report (see :meth:`~.report.Recorder.portable`). This
    process merges them, in part order, so output and report are those of :func:`_in_parts`.

    The other way (this process converts one part after another while workers check the
    objects) leaves the conversion, the larger half of the work, on one core; here every core
    converts. A part that fails in its worker (it died, or the part holds nesting too deep to
    pickle) is converted here."""

    def __init__(self, parts: Parts, recipe: _Recipe, checking: _Checking) -> None:
        self.parts, self.shared = parts.parts, parts.shared
        self.recipe, self.checking = recipe, checking

    def in_workers(
        self,
        keep: Callable[[Emitted], None],
        report: Recorder,
        jobs: int,
        workers: Workers | None,
        release_input: bool,
    ) -> None:
        if workers is not None:
            pool = workers.pool_for(self.checking.on, self.checking.encode)
            assert pool is not None, "_fork_parts checked that they suit"
            self._merge(pool, keep, report, release_input)
            return
        with Workers(jobs, self.checking.on, self.checking.encode) as started:
            assert started.pool is not None, "_fork_parts checked that this platform forks"
            self._merge(started.pool, keep, report, release_input)

    def _merge(
        self,
        pool: ProcessPoolExecutor,
        keep: Callable[[Emitted], None],
        report: Recorder,
        release_input: bool,
    ) -> None:
        calls = ((self.recipe, self._objects(index)) for index in range(len(self.parts)))
        for index, answer in enumerate(in_order(pool, _convert_sent_part, calls)):
            if answer is None:  # it failed in its worker
                objects, encode = self._objects(index), self.checking.encode
                for item in self.recipe.convert(objects, report, encode, release_input):
                    keep(item)
            else:
                portable, items = answer
                report.absorb(portable)
                for ref, body, text in items:
                    keep(Emitted(ref, body, text=text))
            self.parts[index] = []  # kept until answered, for a part that fails there

    def _objects(self, index: int) -> list[KubeObject]:
        """What part ``index`` converts: its objects and the ones every part reads."""
        return [*self.parts[index], *self.shared]


def requested_providers(providers: str | Sequence[str]) -> list[str]:
    """Provider names: ``"nginx"`` and ``"nginx,istio"`` are names too, not letters."""
    given = [providers] if isinstance(providers, str) else list(providers)
    for name in given:
        if not isinstance(name, str):
            raise UsageError(f"providers are given by name, not as {type(name).__name__}")
    return [part.strip() for name in given for part in name.split(",") if part.strip()]


def as_objects(objects: Iterable[KubeObject | Mapping[str, Any]]) -> list[KubeObject]:
    """``objects`` as input objects: a mapping (a manifest loaded by the caller) becomes one,
    its origin ``<input>`` and its place in ``objects``."""
    if isinstance(objects, Mapping):
        raise UsageError("convert takes a list of objects; wrap a single object in a list")
    found: list[KubeObject] = []
    for index, item in enumerate(objects):
        if isinstance(item, KubeObject):
            found.append(item)
        elif isinstance(item, Mapping):
            found.append(KubeObject(dict(item), Origin(LIBRARY_INPUT, None, index)))
        else:
            raise UsageError(
                f"object {index} is a {type(item).__name__}; convert takes mappings or "
                "the objects load_manifests returns"
            )
    return found


LIBRARY_INPUT = "<input>"
"""The file named for objects a library caller handed over as mappings."""


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _select_namespace(objects: list[KubeObject], namespace: str | None) -> list[KubeObject]:
    if namespace is None:
        return objects
    return [o for o in objects if o.namespace == namespace or o.kind in CLUSTER_SCOPED_KINDS]


def _well_formed(objects: list[KubeObject], report: Recorder) -> list[KubeObject]:
    """Objects that could exist under their name (the reader already skips the others; a
    caller may construct objects itself), each once: when the input defines the same object
    twice, the later definition is used, as ``kubectl apply`` would leave it."""
    latest: dict[tuple[str, str, str | None, str | None], KubeObject] = {}
    for obj in objects:
        problem = None if obj.well_formed else nesting_problem(obj.data) or why_impossible(obj.data)
        if problem is not None:
            message = f"{obj.kind or 'object'} {problem}; it is skipped"
            report.error("input-invalid", message, source=obj.source())
            report.record(obj.source(), "spec", Status.UNSUPPORTED, note=message)
            continue
        key = (obj.group, obj.kind, obj.namespace, obj.name)
        earlier = latest.get(key)
        if earlier is not None:
            message = (
                f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name} is defined "
                f"again at {obj.origin.file}:{obj.origin.line}; as with kubectl apply, the later "
                "definition is the one converted"
            )
            report.warning("input-duplicate", message, source=earlier.source())
            report.record(earlier.source(), "spec", Status.IGNORED, note=message)
        latest[key] = obj
    kept = set(map(id, latest.values()))
    return [obj for obj in objects if id(obj) in kept]


def _report_unclaimed(ctx: ProviderContext, providers: Sequence[Provider]) -> None:
    consumed_kinds = {(r.group, r.kind) for p in providers for r in p.resources}
    classes = ingress_classes(ctx.objects)
    names = ", ".join(p.name for p in providers)
    for obj in ctx.objects:
        if id(obj) in ctx.claimed:
            continue
        source = obj.source()
        if is_ingress(obj):
            class_name, _ = resolve_class(obj, classes, ctx.options.default_ingress_class)
            if class_name is None:
                message = (
                    "skipped: no spec.ingressClassName, no kubernetes.io/ingress.class annotation and "
                    "no default IngressClass in the input; pass --default-ingress-class NAME to convert it"
                )
                ctx.report.warning("ingress-class-missing", message, source=source)
            else:
                message = f"skipped: ingress class {class_name!r} is not owned by the selected providers ({names})"
                ctx.report.info("ingress-class-not-selected", message, source=source)
            ctx.report.record(source, "spec", Status.IGNORED, note=message)
        elif (obj.group, obj.kind) not in consumed_kinds:
            ctx.report.info(
                "object-not-consumed",
                f"skipped: no selected provider ({names}) reads {obj.kind} ({obj.api_version})",
                source=source,
            )


def _report_unconsumed_extensions(
    ir: IR, report: Recorder, emitter: str, closing: Closing | None = None
) -> None:
    # Controls a provider made of the same fields (one per host, say) are reported together:
    # one message naming every route they closed.
    groups: dict[tuple[str, tuple[Provenance, ...]], list[Extension]] = {}
    for extension in ir.distinct_extensions():
        if not extension.consumed:
            key = (extension.describe(), tuple(extension.provenance))
            groups.setdefault(key, []).append(extension)
    for same in groups.values():
        _report_extension(same, report, emitter, closing)


def _report_extension(
    same: list[Extension], report: Recorder, emitter: str, closing: Closing | None = None
) -> None:
    """One error (security) or warning per input field of the extensions ``same`` (made of
    the same fields) that the emitter did not express, and their ledger entries."""
    extension = same[0]
    security = extension.SECURITY
    what = extension.describe()
    consequence = ""
    if security:
        consequence = (
            closing.consequence(*same)
            if closing is not None
            else " — the migrated route would be open to everyone"
        )
    message = f"{what} cannot be expressed by the {emitter} emitter{consequence}"
    level = Level.ERROR if security else Level.WARNING
    for item in extension.provenance or []:
        report.notify(
            level,
            "extension-unsupported",
            message,
            source=item.source,
            field=item.field,
            security=security,
        )
        report.record(item.source, item.field, Status.UNSUPPORTED, note=message)
    if not extension.provenance:
        report.notify(level, "extension-unsupported", message, security=security)


def _judge(
    item: Emitted, violations: list[Violation], report: Recorder, target: Target, emit_invalid: bool
) -> bool:
    """Report what the API server would reject in ``item``. True: print it (perhaps without the
    rules the API server would refuse)."""
    if violations and not emit_invalid and _without_bad_rules(item, violations, report, target):
        report.printed(item.ref, item.provenance)
        return True
    source = item.sources[0] if item.sources else None
    for violation in violations:
        report.error(
            "output-invalid",
            f"{item.ref.display()} would be rejected by the API server: {violation.path}: "
            f"{violation.message} ({violation.rule})"
            + (
                ""
                if emit_invalid
                else "; it is not printed (use --emit-invalid to print it anyway)"
            ),
            source=source,
        )
    if violations and not emit_invalid:
        note = f"its output {item.ref.display()} was invalid and not printed"
        report.not_printed(item.ref, item.provenance, note)
        return False
    report.printed(item.ref, item.provenance)
    return True


_RULE_PATH = re.compile(r"spec\.rules\[(\d+)\]")


def _without_bad_rules(
    item: Emitted, violations: list[Violation], report: Recorder, target: Target
) -> bool:
    """Leave out the rules of a route that the violations are in, if that makes it valid: one
    bad value must not take the route's other paths down. Rules with a name stay (policies
    may target them by it). True if the route can be printed without them."""
    from ingress2gateway.validation import CEL_NOT_CHECKED
    from ingress2gateway.validation import validate as validate_object

    rules = item.body.get("spec", {}).get("rules")
    if not item.rules or not isinstance(rules, list) or len(item.rules) != len(rules):
        return False
    bad: dict[int, list[Violation]] = {}
    for violation in violations:
        if violation.message == CEL_NOT_CHECKED:
            continue  # the rules are checked again, in full, once the bad rules are out
        match = _RULE_PATH.match(violation.path)
        if match is None or int(match.group(1)) >= len(rules):
            return False
        bad.setdefault(int(match.group(1)), []).append(violation)
    if len(bad) == len(rules) or any(rules[index].get("name") for index in bad):
        return False
    trimmed = {
        **item.body,
        "spec": {
            **item.body["spec"],
            "rules": [rule for index, rule in enumerate(rules) if index not in bad],
        },
    }
    if validate_object(trimmed, target):
        return False
    item.body, item.text = trimmed, None  # encoded again by whoever prints it
    for index, found in sorted(bad.items()):
        first = found[0]
        message = (
            f"rule {index} of {item.ref.display()} would be rejected by the API server: "
            f"{first.path}: {first.message} ({first.rule}); the rule is left out, the rest of "
            "the route is printed"
        )
        if not item.rules[index]:
            report.error(
                "output-invalid", message, source=item.sources[0] if item.sources else None
            )
        for prov in item.rules[index]:
            report.error("output-invalid", message, source=prov.source, field=prov.field)
            report.left_out(prov.source, prov.field, message)
    return True
