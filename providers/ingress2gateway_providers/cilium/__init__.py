"""Cilium Ingress controller (class ``cilium``, ``ingress.cilium.io/*`` annotations).

Reads the Ingresses Cilium's operator serves and their ``ingress.cilium.io/*`` annotations
(and the ``io.cilium.ingress/*`` aliases). Unlike the Go tool, which converts only
``force-https`` (redirecting HTTPS to itself) and refuses every ``ImplementationSpecific``
path, every key below has a ledger entry, and keys the catalog does not know are reported.

**Class.** Cilium serves the class ``cilium`` and reads the ``kubernetes.io/ingress.class``
annotation before ``spec.ingressClassName`` (``operator/pkg/ingress/helpers.go``
``ingressClassName``); an Ingress with neither (or an empty one) is served when the
``cilium`` IngressClass is marked default (``ingressclass.kubernetes.io/is-default-class``,
Helm ``ingressController.default``): in the input, or said with the ``default-class`` option.

**Provider options.** ``loadbalancer-mode`` (``dedicated``, the operator's default, or
``shared``: ``--ingress-default-lb-mode``), ``enforce-https`` (``--enforce-ingress-https``,
default on), ``default-request-timeout`` (``--ingress-default-request-timeout``, a Go
duration), ``default-class`` (the ``cilium`` IngressClass is the cluster's default).

**Verified.** ``ingress2gateway verify --providers cilium`` routes the requests that matter
through a model of Cilium written from the operator's code (``controller_model``).

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
    CLASS_ANNOTATION,
    DEFAULT_CLASS_ANNOTATION,
    IngressClassInfo,
    IngressModel,
    IngressPath,
)
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.ir import Gateway
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import CatalogRow, ConvertOptions, OptionSpec, ProviderContext

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

from . import https, layout, passthrough, paths, routes, settings, values, verified
from .catalog import ALIAS_PREFIX, PREFIX, CatalogView, catalog_rows
from .codes import CODES, INTENDED_DIFFERENCES
from .common import CLASS_NAME, CONTROLLER, NAME, CiliumRun, Settings

_FAMILIES = (
    ("Load balancers", layout),
    ("Paths", paths),
    ("HTTPS redirect", https),
    ("TLS passthrough", passthrough),
    ("Timeouts and the load balancer Service", settings),
    ("Verified against Cilium's tests", verified),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

MODE_OPTION = "loadbalancer-mode"
ENFORCE_OPTION = "enforce-https"
TIMEOUT_OPTION = "default-request-timeout"
DEFAULT_CLASS_OPTION = "default-class"


class CiliumProvider(IngressProvider):
    name = NAME
    aliases = ("cilium-ingress",)
    description = "Cilium Ingress controller: ingress.cilium.io annotations, TLS passthrough"
    resources = INGRESS_RESOURCES
    options = (
        OptionSpec(
            MODE_OPTION,
            ("dedicated", "shared"),
            "dedicated",
            "the operator's default load balancer mode (--ingress-default-lb-mode)",
        ),
        OptionSpec(
            ENFORCE_OPTION,
            bool,
            True,
            "the operator redirects HTTP to HTTPS for TLS hosts (--enforce-ingress-https)",
        ),
        OptionSpec(
            TIMEOUT_OPTION,
            str,
            "",
            "the operator's default request timeout, a Go duration "
            "(--ingress-default-request-timeout)",
        ),
        OptionSpec(
            DEFAULT_CLASS_OPTION,
            bool,
            False,
            "the cilium IngressClass is the cluster's default (Helm ingressController.default)",
        ),
    )
    codes = CODES
    intended_differences = INTENDED_DIFFERENCES
    ingress_class_names = (CLASS_NAME,)
    controllers = (CONTROLLER,)
    annotation_prefixes = (PREFIX, ALIAS_PREFIX)
    implementation_specific = "RegularExpression"

    def __init__(self) -> None:
        self._runs: dict[int, CiliumRun] = {}

    def catalog_rows(self) -> list[CatalogRow]:
        return catalog_rows()

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return CatalogView()

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How Cilium routes requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from the operator's code, not this provider's)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    # --- class -------------------------------------------------------------------------------

    def _settings(self, options: ConvertOptions) -> Settings:
        return Settings(
            dedicated_by_default=self.option(options, MODE_OPTION) == "dedicated",
            enforce_https=bool(self.option(options, ENFORCE_OPTION)),
            default_request_timeout=str(self.option(options, TIMEOUT_OPTION)),
            default_class=bool(self.option(options, DEFAULT_CLASS_OPTION)),
        )

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        """The annotation first, then ``spec.ingressClassName``; an Ingress with neither is
        Cilium's when its IngressClass is the default (``isCiliumManagedIngress``)."""
        if CLASS_ANNOTATION in obj.annotations:
            annotated = obj.annotations[CLASS_ANNOTATION]
            if annotated:
                return annotated, f"metadata.annotations[{CLASS_ANNOTATION}]"
        else:
            spec_class = obj.spec.get("ingressClassName")
            if isinstance(spec_class, str) and spec_class:
                return spec_class, "spec.ingressClassName"
        run = self._runs.get(id(ctx))
        if run is None:  # asked outside a conversion (class selection of another command)
            run = CiliumRun(ctx, self._settings(ctx.options))
        if run.default_class is None:
            run.default_class = _cilium_is_default(ctx, run.settings)
        if run.default_class:
            return CLASS_NAME, None
        if ctx.options.default_ingress_class:
            return ctx.options.default_ingress_class, None
        return None, None

    def unserved_reason(self, ctx: ProviderContext, obj: KubeObject) -> str | None:
        annotated = obj.annotations.get(CLASS_ANNOTATION)
        if (
            annotated is not None
            and annotated != CLASS_NAME
            and obj.spec.get("ingressClassName") == CLASS_NAME
        ):
            return (
                f"Cilium reads the {CLASS_ANNOTATION} annotation first, and it says "
                f"{annotated[:80]!r}"
            )
        return None

    # --- conversion --------------------------------------------------------------------------

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        def unique(model: IngressModel, path: IngressPath) -> tuple[str, int, int]:
            # Cilium joins duplicates into one weighted route (routes.merge_duplicates), so
            # the lowering must keep each rather than drop the newer.
            return (model.source.display(), path.rule_index, path.path_index)

        return IngressPolicy(
            self.name,
            implementation_specific="RegularExpression",
            path_matcher=paths.PathMatcher(ctx.report, self.name),
            resource_backends=False,
            match_extras=unique,
        )

    def convert(self, ctx: ProviderContext) -> None:
        self._runs[id(ctx)] = CiliumRun(ctx, self._settings(ctx.options))
        try:
            super().convert(ctx)
        finally:
            del self._runs[id(ctx)]

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        """The shared Ingresses (as Cilium reads them); dedicated and passthrough ones are
        laid out in :meth:`apply`."""
        run = self._runs[id(ctx)]
        shared: list[IngressModel] = []
        for model in models:
            run.classify(model)
            if not run.passthrough[model.source] and not run.dedicated[model.source]:
                shared.extend(layout.prepare(run, model))
        return shared

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        run = self._runs[id(ctx)]
        policy = self.policy(ctx, models)
        http_models = [m for m in models if not run.passthrough[m.source]]
        for model in http_models:
            if run.dedicated[model.source]:
                layout.lower_dedicated(run, model, policy, lowered)
        passing = [m for m in models if run.passthrough[m.source]]
        if passing:
            made: dict[SourceRef, Gateway] = {}

            def gateway_for(model: IngressModel) -> Gateway:
                if model.source not in made:
                    made[model.source] = _tls_gateway(run, model, lowered)
                return made[model.source]

            passthrough.convert(run, passing, lowered, gateway_for)
        routes.merge_duplicates(run, http_models, lowered)
        settings.apply_timeouts(run, http_models, lowered)
        routes.report_order(run, http_models, lowered)
        https.apply(run, http_models, lowered)
        routes.report_wildcards(run, http_models)
        settings.account_service(run, models)
        _say_layout(run, models)


def _cilium_is_default(ctx: ProviderContext, config: Settings) -> bool:
    if config.default_class:
        return True
    for obj in ctx.objects:
        if (
            obj.kind == "IngressClass"
            and obj.group == "networking.k8s.io"
            and obj.name == CLASS_NAME
        ):
            # isIngressClassMarkedAsDefault: strconv.ParseBool of the annotation.
            value = obj.annotations.get(DEFAULT_CLASS_ANNOTATION, "")
            return values.parse_bool(value) is True
    return False


def _tls_gateway(run: CiliumRun, model: IngressModel, lowered: Lowered) -> Gateway:
    """The Gateway a passthrough Ingress's TLS listeners go on: its own (dedicated), or the
    shared one of its class (made here when no HTTP Ingress made it)."""
    ctx = run.ctx
    options = ctx.options
    class_name = model.class_name or CLASS_NAME
    if run.dedicated[model.source]:
        namespace = options.gateway_namespace or model.namespace
        wanted = layout.dedicated_name(run, model)
        identity = f"cilium-passthrough/{model.namespace}/{model.name}"
    else:
        per_ns = model.namespace if options.gateway_per_namespace else None
        cached = run.shared_gateways.get((class_name, per_ns))
        if cached is not None:
            return cached
        for source, gateway in lowered.gateway_of.items():
            if run.dedicated.get(source, True) or run.passthrough.get(source, False):
                continue
            if options.gateway_per_namespace and gateway.namespace != per_ns:
                continue
            if not any(made is gateway for made in lowered.gateways):
                # The lowering left it out for want of listeners: it has one now.
                lowered.gateways.append(gateway)
                ctx.ir.gateways.append(gateway)
            run.shared_gateways[(class_name, per_ns)] = gateway
            return gateway
        for gateway in lowered.gateways:
            if getattr(gateway, "_cilium_shared", None) == (class_name, per_ns):
                return gateway
        namespace = (
            per_ns
            if options.gateway_per_namespace
            else (options.gateway_namespace or model.namespace)
        )
        wanted = options.gateway_name or class_name
        identity = f"gateway/{class_name}/{per_ns}"
    gateway = Gateway(
        name=ctx.allocator("Gateway", namespace).allocate(wanted, identity),
        namespace=namespace,
        gateway_class=options.gateway_class_name or class_name,
    )
    if not run.dedicated[model.source]:
        lowered.gateway_of[model.source] = gateway
        run.shared_gateways[(class_name, per_ns)] = gateway
    lowered.gateways.append(gateway)
    ctx.ir.gateways.append(gateway)
    return gateway


def _say_layout(run: CiliumRun, models: Sequence[IngressModel]) -> None:
    dedicated = sorted(m.source.display() for m in models if run.dedicated[m.source])
    if dedicated:
        run.ctx.report.info(
            "cilium-load-balancer",
            f"{len(dedicated)} Ingress(es) in dedicated mode each get a Gateway of their own "
            "(Cilium gave each a load balancer of its own): "
            + ", ".join(dedicated[:5])
            + (" ..." if len(dedicated) > 5 else ""),
            provider=NAME,
        )


PROVIDER = CiliumProvider()
