"""A base for providers that read Ingress objects (ingress-nginx, NGINX Inc, Kong, ...).

It does what every Ingress controller shares: find the Ingresses whose class the controller
owns, parse them, lower them through :mod:`ingress2gateway.converting.lowering`, and account in the ledger
for every annotation (known vendor keys through the provider's catalog, unknown vendor keys as
unsupported warnings, cert-manager's and external-dns's through
:mod:`~ingress2gateway.converting.companions`, other keys as ignored). Subclasses add their annotation handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingress2gateway.converting.companions import is_companion
from ingress2gateway.converting.ingress import (
    CLASS_ANNOTATION,
    IngressClassInfo,
    IngressModel,
    ingress_classes,
    is_ingress,
    parse_ingress,
    resolve_class,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered, lower_ingresses
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import ProviderBase, ProviderContext
from ingress2gateway.reporting.report import Level, Status

INGRESS_RESOURCES = (
    ResourceKind("networking.k8s.io", "v1", "ingresses", "Ingress"),
    ResourceKind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
    ResourceKind("", "v1", "services", "Service"),
)

# Annotations written by tools, not by the people who configured routing.
_TOOL_ANNOTATIONS = ("kubectl.kubernetes.io/", "meta.helm.sh/", "argocd.argoproj.io/", "kustomize.")


@dataclass(frozen=True)
class AnnotationSpec:
    """One catalog row: what a provider knows about one annotation key."""

    key: str
    status: Status
    note: str
    security: bool = False


class IngressProvider(ProviderBase):
    """Subclass and set the class attributes; override :meth:`apply` to handle annotations."""

    name: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""
    resources: tuple[ResourceKind, ...] = INGRESS_RESOURCES
    ingress_class_names: tuple[str, ...] = ()
    controllers: tuple[str, ...] = ()
    annotation_prefixes: tuple[str, ...] = ()
    implementation_specific: str = "PathPrefix"

    # --- hooks for subclasses ----------------------------------------------------------------

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        """Known annotation keys (full keys, prefix included)."""
        return {}

    def prefixes(self, ctx: ProviderContext) -> tuple[str, ...]:
        return self.annotation_prefixes

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        return IngressPolicy(self.name, implementation_specific=self.implementation_specific)  # type: ignore[arg-type]

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        """The Ingresses the shared lowering lays out; the others are left to :meth:`apply`.

        For example canary Ingresses, whose backends join another Ingress's rules.
        """
        return models

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        """Apply annotations to the lowered IR (rules of each Ingress: ``lowered.rules_of``)."""

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        """The class this controller sees on ``obj`` and the field it came from (``None`` when it
        sees none: the Ingress is not this provider's).

        Controllers disagree: most read ``spec.ingressClassName`` first, some read the
        annotation first or serve Ingresses without any class. Override to read as the
        controller does; the default is :func:`~ingress2gateway.converting.ingress.resolve_class`.
        """
        return resolve_class(obj, dict(classes), ctx.options.default_ingress_class)

    def unserved_reason(self, ctx: ProviderContext, obj: KubeObject) -> str | None:
        """Why the controller did not serve ``obj`` although it names one of its classes (say,
        GKE reading only the annotation), or None. The skipped-Ingress message gives it in place
        of the suggestion to pass ``--ingress-class``, which would be wrong advice then."""
        return None

    # --- the shared part ---------------------------------------------------------------------

    def owned_classes(
        self, ctx: ProviderContext, classes: Mapping[str, IngressClassInfo]
    ) -> set[str]:
        names = set(ctx.options.ingress_classes or self.ingress_class_names)
        if ctx.options.default_ingress_class and not ctx.options.ingress_classes:
            names.add(ctx.options.default_ingress_class)
        for info in classes.values():
            if info.controller in self.controllers:
                names.add(info.name)
            elif info.name in names and info.controller and not ctx.options.ingress_classes:
                # An IngressClass in the input says this name belongs to another controller.
                names.discard(info.name)
        return names

    def convert(self, ctx: ProviderContext) -> None:
        classes = ingress_classes(ctx.objects)
        owned = self.owned_classes(ctx, classes)
        models: list[IngressModel] = []
        for obj in ctx.objects:
            if not is_ingress(obj) or id(obj) in ctx.claimed:
                continue
            class_name, class_field = self.ingress_class(ctx, obj, classes)
            if class_name is None or class_name not in owned:
                continue
            ctx.claim(obj)
            models.append(parse_ingress(obj, ctx.report, self.name, class_name, class_field))
            if ctx.release_input:
                obj.release_spec()  # everything needed from it is in the model now
        for obj in ctx.objects:
            if obj.kind == "IngressClass" and obj.name in owned:
                ctx.claim(obj)
                ctx.report.record(
                    obj.source(),
                    "spec.controller",
                    Status.CONVERTED,
                    provider=self.name,
                    note="selects which Ingresses this provider converts",
                )
        if not models:
            return
        lowered = lower_ingresses(ctx, self.lowering_models(ctx, models), self.policy(ctx, models))
        self.apply(ctx, models, lowered)
        carried = ctx.ir.extension_fields()
        for model in models:
            self.account_annotations(ctx, model, lowered, carried)

    def account_annotations(
        self,
        ctx: ProviderContext,
        model: IngressModel,
        lowered: Lowered,
        carried: frozenset[tuple[SourceRef, str]] = frozenset(),
    ) -> None:
        """Give every annotation of ``model`` a ledger entry (handlers may have made one).

        Fields in ``carried`` travel in an IR extension: the emitter that expresses it (or the
        pipeline, when none does) gives them their entry, so they are left alone here.
        """
        catalog = self.catalog(ctx)
        prefixes = self.prefixes(ctx)
        report = ctx.report
        for key in sorted(model.obj.annotations):
            field = f"metadata.annotations[{key}]"
            if report.has_entry(model.source, field) or (model.source, field) in carried:
                continue
            if is_companion(key):  # cert-manager's and external-dns's: see carry_companions
                continue
            spec = catalog.get(key)
            if spec is not None:
                report.record(model.source, field, spec.status, note=spec.note, provider=self.name)
                if spec.status in (Status.UNSUPPORTED, Status.PARTIAL):
                    report.notify(
                        _level_for(spec),
                        "annotation-unsupported",
                        f"{key}: {spec.note}",
                        source=model.source,
                        field=field,
                        provider=self.name,
                        security=spec.security,
                    )
                continue
            if any(key.startswith(prefix) for prefix in prefixes):
                message = f"{key} is not an annotation {self.name} knows; it is not converted"
                report.warning(
                    "annotation-unknown",
                    message,
                    source=model.source,
                    field=field,
                    provider=self.name,
                    security="snippet" in key,
                )
                report.record(
                    model.source, field, Status.UNSUPPORTED, note=message, provider=self.name
                )
            elif key == CLASS_ANNOTATION:
                report.record(model.source, field, Status.CONVERTED, provider=self.name)
            else:
                why = (
                    "written by a tool, not routing configuration"
                    if key.startswith(_TOOL_ANNOTATIONS)
                    else "not a routing annotation of any selected provider"
                )
                report.record(model.source, field, Status.IGNORED, note=why, provider=self.name)


def _level_for(spec: AnnotationSpec) -> Level:
    if spec.security:
        return Level.ERROR
    return Level.WARNING if spec.status is Status.UNSUPPORTED else Level.INFO
