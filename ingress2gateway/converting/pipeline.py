"""The conversion, top to bottom: select → providers → IR → emitter → gate.

:func:`convert` is the library entry point: it converts in this process, and returns every
output object and the report about them. :func:`convert_part` is the conversion itself, of the
whole input or of one of its parts (see :class:`~ingress2gateway.plugin.Parts`): the providers
fill the IR, the emitter makes objects of it, and the gate screens, closes and judges them. It
knows nothing of processes, encoding or spooling; :mod:`ingress2gateway.scaling` runs it over
the parts of a large input in worker processes, and streams the output
(:func:`ingress2gateway.scaling.convert_streaming`).

The report (notifications and ledger) is threaded through every stage, and nothing a provider
understood can disappear without a trace: unconsumed IR extensions and skipped objects are
reported here.
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
from ingress2gateway.reporting.report import Level, Report, Status, fails
from ingress2gateway.scaling.gc_pause import gc_paused
from ingress2gateway.target import Target

if TYPE_CHECKING:
    from ingress2gateway.validation import Violation

CLUSTER_SCOPED_KINDS = frozenset(
    {"IngressClass", "GatewayClass", "Namespace", "CustomResourceDefinition"}
)
DEFAULT_PROVIDERS = ("nginx",)


@dataclass
class Result:
    """What :func:`convert` returns: the output objects and the report about them."""

    resources: list[JSONDict]
    report: Report
    target: Target
    providers: list[str] = field(default_factory=list)
    emitter: str = "standard"
    emitted: list[Emitted] = field(default_factory=list)

    def __repr__(self) -> str:
        # Counts only: the objects and the ledger of a large input are hundreds of megabytes.
        report = self.report
        return (
            f"<Result {len(self.emitted or self.resources)} object(s), "
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


@dataclass(frozen=True)
class Plan:
    """How to convert: the providers and emitter, what they are told, and what the gate does
    with the objects made (validate them on ``target``; print invalid ones or not)."""

    providers: tuple[Provider, ...]
    emitter: Emitter
    target: Target
    options: ConvertOptions = field(default_factory=ConvertOptions)
    emitter_options: Mapping[str, str] = field(default_factory=dict)
    validate: bool = True
    emit_invalid: bool = False

    @property
    def provider_names(self) -> list[str]:
        return [provider.name for provider in self.providers]


ProvidersArg = str | Provider | Sequence[str | Provider] | None
EmitterArg = str | Emitter | None
TargetArg = Target | str | None


def make_plan(
    providers: ProvidersArg = None,
    emitter: EmitterArg = None,
    *,
    target: TargetArg = None,
    options: ConvertOptions | None = None,
    emitter_options: Mapping[str, str] | None = None,
    validate: bool = True,
    emit_invalid: bool = False,
    gateway_api_version: str | None = None,
    channel: str | None = None,
) -> Plan:
    """A :class:`Plan` from what a caller gives: providers and an emitter by name or as
    objects, a target as a :class:`~ingress2gateway.target.Target` or a version (``"v1.5"``;
    ``gateway_api_version`` and ``channel`` are the older spelling). Raises
    :class:`~ingress2gateway.errors.UsageError` for what is unknown."""
    if isinstance(target, Target):
        if gateway_api_version is not None or channel is not None:
            raise UsageError("give the target either as a Target or as a version, not both")
        chosen = target
    else:
        if target is not None and gateway_api_version is not None:
            raise UsageError("give the Gateway API version once (target or gateway_api_version)")
        chosen = Target.parse(target or gateway_api_version, channel or "standard")
    return Plan(
        providers=tuple(resolve_providers(providers)),
        emitter=resolve_emitter(emitter),
        target=chosen,
        options=options if options is not None else ConvertOptions(),
        emitter_options=dict(emitter_options or {}),
        validate=validate,
        emit_invalid=emit_invalid,
    )


def resolve_providers(providers: ProvidersArg) -> list[Provider]:
    """Providers by name (``"nginx"``, ``"nginx,istio"``, an alias) or given as objects, each
    once, in the order given; the default is ingress-nginx."""
    if providers is None:
        providers = DEFAULT_PROVIDERS
    given = [providers] if isinstance(providers, str | Provider) else list(providers)
    found: dict[str, Provider] = {}
    for item in given:
        if isinstance(item, str):
            for name in requested_providers(item):
                found.setdefault(canonical_provider(name), load_provider(name))
        elif isinstance(item, Provider):
            found.setdefault(item.name, item)
        else:
            raise UsageError(
                f"a provider is a name or a Provider object, not {type(item).__name__}"
            )
    if not found:
        raise UsageError("no provider given: name at least one (say 'nginx')")
    return list(found.values())


def resolve_emitter(emitter: EmitterArg) -> Emitter:
    if emitter is None:
        return load_emitter("standard")
    if isinstance(emitter, str):
        return load_emitter(emitter)
    if isinstance(emitter, Emitter):
        return emitter
    raise UsageError(f"an emitter is a name or an Emitter object, not {type(emitter).__name__}")


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
    report: Report | None = None,
    gateway_api_version: str | None = None,
    channel: str | None = None,
) -> Result:
    """Convert ``objects`` (from :func:`ingress2gateway.load_manifests`, or plain mappings as
    a YAML or JSON library loads them) to Gateway API, in this process.

    ``providers``: names (``["nginx", "istio"]``, or ``"nginx,istio"``) or Provider objects
    (a script may pass its own); default ``nginx``. ``emitter``: a name (``"standard"``, the
    default, or ``"envoy-gateway"``) or an Emitter object. ``target``: a
    :class:`~ingress2gateway.target.Target`, or a Gateway API version (``"v1.5"``; default the
    newest vendored, standard channel). ``validate=False`` skips validating the output;
    ``emit_invalid=True`` keeps objects the API server would reject (they are reported either
    way). ``report``: a :class:`~ingress2gateway.reporting.report.Report` to add to.

    Raises :class:`~ingress2gateway.errors.UsageError` for unknown providers, emitters or
    targets; everything about the input itself goes into ``result.report``. For inputs too
    large to hold twice in memory, or to convert on several cores, see
    :func:`ingress2gateway.scaling.convert_streaming`.
    """
    plan = make_plan(
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
    report = report if report is not None else Report()
    kept: list[Emitted] = []
    with gc_paused():  # see ingress2gateway.scaling.gc_pause
        selected = select(objects, plan.options, report)
        parts = partition(selected, plan)
        if parts is None:
            kept.extend(convert_part(selected, plan, report))
        else:
            kept.extend(convert_in_parts(parts, plan, report))
        report.settle()
    kept.sort(key=sort_key)
    return result_of(plan, report, kept)


def result_of(plan: Plan, report: Report, kept: list[Emitted]) -> Result:
    return Result(
        resources=[item.body for item in kept],
        report=report,
        target=plan.target,
        providers=plan.provider_names,
        emitter=plan.emitter.name,
        emitted=kept,
    )


def select(
    objects: Iterable[KubeObject | Mapping[str, Any]], options: ConvertOptions, report: Report
) -> list[KubeObject]:
    """The objects to convert: those of the namespace asked for (and cluster-scoped ones),
    each once, and only those that could exist (see :func:`_well_formed`)."""
    return _well_formed(_select_namespace(as_objects(objects), options.namespace), report)


def partition(objects: list[KubeObject], plan: Plan) -> Parts | None:
    """The input in parts that convert independently (see :class:`~.plugin.Parts`), or None:
    it takes one provider that can split its input, an emitter that takes parts, and two parts
    at least. Converting the parts one after another gives the output and report of
    converting the whole."""
    if len(plan.providers) != 1 or not getattr(plan.emitter, "in_parts", False):
        return None
    split = getattr(plan.providers[0], "partition", None)
    if split is None:
        return None
    parts: Parts | None = split(objects, plan.options)
    if parts is None or len(parts.parts) < 2:
        return None
    return parts


Checked = tuple[Emitted, "list[Violation]", "str | None"]
"""An object, what the API server would reject in it, and its text (when it was encoded)."""
Check = Callable[[Iterable[Emitted]], Iterable[Checked]]
"""Validates (and perhaps encodes) objects, in order: see :func:`validated`."""


def convert_part(
    objects: list[KubeObject],
    plan: Plan,
    report: Report,
    *,
    check: Check | None = None,
    release_input: bool = False,
    part: bool = False,
) -> Iterator[Emitted]:
    """The objects to print, made of ``objects`` (the selected input, or one part of it with
    ``part=True``), in output order; what the stages found goes into ``report``.

    A generator: each object comes as soon as it is made and judged. ``check`` validates them
    (default: :func:`validated`, here; the scaling package passes one that validates and
    encodes in worker processes). ``release_input``: a provider drops each Ingress's spec once
    it is parsed (the objects cannot be converted again)."""
    emitted = _emitted(objects, plan, report, release_input=release_input, part=part)
    del objects
    checked = check(emitted) if check is not None else validated(emitted, plan)
    return _gate(checked, plan, report)


def convert_in_parts(
    parts: Parts,
    plan: Plan,
    report: Report,
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
    return _gate(checked, plan, report)


def _emitted_in_parts(
    parts: Parts, plan: Plan, report: Report, *, release_input: bool
) -> Iterator[Emitted]:
    queue = deque(parts.parts)
    shared = parts.shared
    del parts
    while queue:
        # No name holds the part's objects here: they are freed as the providers release them.
        yield from _emitted(
            [*queue.popleft(), *shared], plan, report, release_input=release_input, part=True
        )


def _emitted(
    objects: list[KubeObject],
    plan: Plan,
    report: Report,
    *,
    release_input: bool,
    part: bool,
) -> Iterator[Emitted]:
    """Every provider over ``objects``, then the emitter over their IR."""
    providers, emitter, target = plan.providers, plan.emitter, plan.target
    begun = len(report.ledger) if part else None
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
    _report_unclaimed(ctx, providers)
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
    # Discards come from providers and lowering; the ledger must be settled before validation
    # withdraws the targets of invalid objects. A part settles only the entries made since it
    # began; validation's withdrawals and left-out rules, which lag behind the parts, are
    # applied once at the end.
    report.settle(since=begun)
    emit_context = EmitContext(report=report, target=target, options=dict(plan.emitter_options))
    emitted: Iterable[Emitted] = emitter.emit(ir, emit_context)
    if not getattr(emitter, "ordered", False):
        # Every object is made and none handed on: close what the emitter said it would
        # carry and did not.
        emitted = closing.after_emission(ir, sorted(emitted, key=sort_key), report)
    # Which extensions the emitter expressed is known once it has made the last object: they
    # are reported then, while workers (if any) still check the last objects.
    yield from emitted
    _report_unconsumed_extensions(ir, report, emitter.name, closing)


def validated(items: Iterable[Emitted], plan: Plan) -> Iterator[Checked]:
    """Each object with what the API server would reject in it (nothing when the plan does
    not validate), in this process."""
    if not plan.validate:
        for item in items:
            yield item, [], None
        return
    from ingress2gateway.validation import validate

    target = plan.target
    for item in items:
        yield item, validate(item.body, target), None


def _gate(checked: Iterable[Checked], plan: Plan, report: Report) -> Iterator[Emitted]:
    """The objects to print, with their text: what is wrong with them goes into ``report``,
    and what the API server would reject is left out (see :func:`_judge`)."""
    for item, violations, text in checked:
        item.text = text
        if _judge(item, violations, report, plan.target, plan.emit_invalid):
            yield item


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


def _select_namespace(objects: list[KubeObject], namespace: str | None) -> list[KubeObject]:
    if namespace is None:
        return objects
    return [o for o in objects if o.namespace == namespace or o.kind in CLUSTER_SCOPED_KINDS]


def _well_formed(objects: list[KubeObject], report: Report) -> list[KubeObject]:
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
    ir: IR, report: Report, emitter: str, closing: Closing | None = None
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
    same: list[Extension], report: Report, emitter: str, closing: Closing | None = None
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
    item: Emitted, violations: list[Violation], report: Report, target: Target, emit_invalid: bool
) -> bool:
    """Report what the API server would reject in ``item``. True: print it (perhaps without the
    rules the API server would refuse)."""
    if violations and not emit_invalid and _without_bad_rules(item, violations, report, target):
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
        _withdraw(report, item)
        return False
    return True


_RULE_PATH = re.compile(r"spec\.rules\[(\d+)\]")


def _without_bad_rules(
    item: Emitted, violations: list[Violation], report: Report, target: Target
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


def _withdraw(report: Report, item: Emitted) -> None:
    """An object that is not printed no longer carries the fields that went into it."""
    report.withdraw_target(item.ref, f"its output {item.ref.display()} was invalid and not printed")
