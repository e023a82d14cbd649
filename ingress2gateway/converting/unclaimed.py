"""What no stage took: input objects no selected provider claimed, and IR extensions the
emitter did not express. Each is reported, with its ledger entries: nothing a provider
understood disappears without a trace."""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.converting.access import Closing, alternative_emitter
from ingress2gateway.converting.ingress import ingress_classes, is_ingress, resolve_class
from ingress2gateway.ir import IR, Extension, Provenance
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import Emitter, Provider, ProviderContext, carried
from ingress2gateway.reporting.report import Level, Recorder, Status
from ingress2gateway.target import Target


def report_unclaimed(ctx: ProviderContext, providers: Sequence[Provider]) -> None:
    consumed_kinds = {(r.group, r.kind) for p in providers for r in p.resources}
    classes = ingress_classes(ctx.objects)
    names_list = [p.name for p in providers]
    names = ", ".join(names_list)
    found: dict[tuple[str, str], list[str]] = {}
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
            elif reason := _unserved_reason(ctx, providers, obj):
                message = f"skipped: {reason}"
                ctx.report.info("ingress-class-not-selected", message, source=source)
            else:
                message = (
                    f"skipped: ingress class {class_name!r} is not owned by the selected providers "
                    f"({names}); if one of their controllers serves it, pass --ingress-class "
                    f"{class_name}"
                )
                ctx.report.info("ingress-class-not-selected", message, source=source)
            ctx.report.record(source, "spec", Status.IGNORED, note=message)
        elif (obj.group, obj.kind) not in consumed_kinds:
            readers = _readers(obj.group, obj.kind, providers, found)
            hint = f"; add --providers {','.join([*names_list, *readers])}" if readers else ""
            ctx.report.info(
                "object-not-consumed",
                f"skipped: no selected provider ({names}) reads {obj.kind} ({obj.api_version}){hint}",
                source=source,
            )


def _unserved_reason(
    ctx: ProviderContext, providers: Sequence[Provider], obj: KubeObject
) -> str | None:
    """The first selected provider's reason for not serving an Ingress of its class (the
    optional ``unserved_reason`` hook of
    :class:`~ingress2gateway.converting.ingress_provider.IngressProvider`)."""
    for provider in providers:
        hook = getattr(provider, "unserved_reason", None)
        reason = hook(ctx, obj) if callable(hook) else None
        if isinstance(reason, str) and reason:
            return reason
    return None


def _readers(
    group: str, kind: str, selected: Sequence[Provider], found: dict[tuple[str, str], list[str]]
) -> list[str]:
    """The installed providers, not among ``selected``, that read ``kind`` (asked once per
    kind; loading a provider that fails is not this stage's business)."""
    key = (group, kind)
    if key not in found:
        from ingress2gateway.errors import UsageError
        from ingress2gateway.registry import load_provider, provider_names

        chosen = {p.name for p in selected}
        readers = []
        for name in provider_names():
            if name in chosen:
                continue
            try:
                provider = load_provider(name)
            except UsageError:
                continue
            if any((r.group, r.kind) == key for r in provider.resources):
                readers.append(name)
        found[key] = readers
    return found[key]


def report_unconsumed_extensions(
    ir: IR,
    report: Recorder,
    emitter: Emitter,
    closing: Closing | None = None,
    target: Target | None = None,
) -> None:
    # Controls a provider made of the same fields (one per host, say) are reported together:
    # one message naming every route they closed.
    groups: dict[tuple[str, tuple[Provenance, ...]], list[Extension]] = {}
    for extension in ir.distinct_extensions():
        if not extension.consumed:
            key = (extension.describe(), tuple(extension.provenance))
            groups.setdefault(key, []).append(extension)
    other = alternative_emitter(emitter) if groups and target is not None else None
    # Asked once per kind of feature and value: the same limit is often on thousands of Ingresses.
    answers: dict[tuple[type, str], bool] = {}
    for same in groups.values():
        hint = ""
        first = same[0]
        if other is not None and target is not None and not first.SECURITY:
            asked = (type(first), first.describe())
            if asked not in answers:
                answers[asked] = carried(other, first, target)
            if answers[asked]:
                hint = f" (--emitter {other.name} carries it)"
        _report_extension(same, report, emitter.name, closing, hint)


def _report_extension(
    same: list[Extension],
    report: Recorder,
    emitter: str,
    closing: Closing | None = None,
    hint: str = "",
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
    message = f"{what} cannot be expressed by the {emitter} emitter{consequence}{hint}"
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
