"""Apache APISIX Ingress Controller (class ``apisix``, controller
``apisix.apache.org/apisix-ingress-controller``; 2.x and the 1.x line).

Reads Ingresses of the ``apisix`` class with their ``k8s.apisix.apache.org/*`` annotations and
the ``apisix.apache.org/v2`` kinds: ApisixRoute (HTTP and stream rules), ApisixUpstream,
ApisixTls, ApisixPluginConfig, ApisixConsumer, ApisixGlobalRule, ApisixClusterConfig. Unlike
the Go tool, which converts only ``http-to-https`` (into a route that the API server refuses:
a redirect beside backendRefs) and fails on any ImplementationSpecific path, every annotation
below has a ledger entry, unknown ``k8s.apisix.apache.org/`` keys are reported (the 1.8.4
docs' typo ``upstream-read-timeout.`` among them), and the CRDs are converted.

**Class.** The controller reads ``spec.ingressClassName``, else the ``kubernetes.io/ingress.class``
annotation (``GetEffectiveIngressClassName``), as the core does. APISIX kinds name their class
in ``spec.ingressClassName``; without one they belong to the default IngressClass's controller.

**Scope.** One APISIX route per Ingress path: an annotation applies to the rules of its own
Ingress only. Boolean annotations are true only for the exact string ``"true"``.

**Access control** (``allowlist-source-range``, ``blocklist-source-range``, ``auth-type``,
``auth-uri``, ApisixRoute ``authentication`` and auth plugins, ApisixTls ``client``) travels as
security extensions: where the emitter cannot carry one, the rules it protects are emitted
closed. A migration never widens access.

**Order.** APISIX (``radixtree_host_uri``) tries the routes of the request's host (exact, then
wildcard) before the routes without host, and per uri tree an exact uri before prefixes, the
longest prefix first, routes with the same uri by ``priority``. Gateway API also picks the most
specific host and path, but never falls back to the routes without host (so those rules are
also given to each host, see Routes without host), orders rules of one path by their
conditions rather than by ``priority`` (a higher-priority rule without conditions shadows the
other: carried; otherwise reported), and leaves regular expressions' order to the
implementation (reported where a prefix could take the same requests).

**Verified.** ``ingress2gateway verify --providers apisix`` routes requests through a model of
the controller's translation and APISIX's router and plugins (``controller_model``), written
from their code, not from this converter's; every golden case and corpus file verifies with no
unexplained difference under both emitters.

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import IngressModel, ingress_classes
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.ir import HTTPRoute
from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import CatalogRow, ConvertOptions, ProviderContext
from ingress2gateway.reporting.report import Status

from . import codes, fallback, ingress_annotations, objects, paths, plugins, routes
from .catalog import annotation_specs, catalog_rows
from .common import APISIX_GROUP, CONTROLLER, DEFAULT_CLASS, PREFIX, ApisixRun

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Paths", paths),
    ("Ingress annotations", ingress_annotations),
    ("ApisixRoute and ApisixTls", routes),
    ("Plugins", plugins),
    ("Routes without host", fallback),
    ("Other APISIX kinds", objects),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

APISIX_RESOURCES = (
    ResourceKind(APISIX_GROUP, "v2", "apisixroutes", "ApisixRoute"),
    ResourceKind(APISIX_GROUP, "v2", "apisixupstreams", "ApisixUpstream"),
    ResourceKind(APISIX_GROUP, "v2", "apisixtlses", "ApisixTls"),
    ResourceKind(APISIX_GROUP, "v2", "apisixpluginconfigs", "ApisixPluginConfig"),
    ResourceKind(APISIX_GROUP, "v2", "apisixconsumers", "ApisixConsumer"),
    ResourceKind(APISIX_GROUP, "v2", "apisixglobalrules", "ApisixGlobalRule"),
    ResourceKind(
        APISIX_GROUP, "v2", "apisixclusterconfigs", "ApisixClusterConfig", namespaced=False
    ),
    ResourceKind(APISIX_GROUP, "v1alpha1", "pluginconfigs", "PluginConfig"),
    ResourceKind(APISIX_GROUP, "v1alpha1", "consumers", "Consumer"),
    ResourceKind(APISIX_GROUP, "v1alpha1", "backendtrafficpolicies", "BackendTrafficPolicy"),
    ResourceKind(APISIX_GROUP, "v1alpha1", "httproutepolicies", "HTTPRoutePolicy"),
    ResourceKind(APISIX_GROUP, "v1alpha1", "l4routepolicies", "L4RoutePolicy"),
)


class ApisixProvider(IngressProvider):
    name = "apisix"
    aliases = ("apisix-ingress-controller",)
    description = "Apache APISIX Ingress Controller: k8s.apisix.apache.org annotations, ApisixRoute, ApisixTls, ApisixUpstream"
    resources = INGRESS_RESOURCES + APISIX_RESOURCES
    codes = codes.CODES
    ingress_class_names = (DEFAULT_CLASS,)
    controllers = (CONTROLLER, "apisix.apache.org/ingress-controller")
    annotation_prefixes = (PREFIX,)
    implementation_specific = "Exact"

    def __init__(self) -> None:
        self._runs: dict[int, ApisixRun] = {}

    def catalog_rows(self) -> Sequence[CatalogRow]:
        return catalog_rows()

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return annotation_specs()

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How APISIX routes requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from the controller's and APISIX's code, not from this
        provider's)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        return IngressPolicy(
            self.name,
            implementation_specific="Exact",
            path_matcher=paths.match_for,
            # buildServiceFromIngressPath returns nothing for a path without a Service backend.
            resource_backends=False,
            duplicate_rule=(
                "APISIX kept both routes and picked one by its internal order; the older "
                "Ingress's is kept here: check that it is the backend that should answer"
            ),
        )

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        run = self._runs[id(ctx)]
        laid_out: list[IngressModel] = []
        for model in models:
            if model.default_backend is not None and model.default_backend_field is not None:
                # ingress.go translates spec.rules only: the default backend answered nothing.
                ctx.report.record(
                    model.source,
                    model.default_backend_field,
                    Status.IGNORED,
                    note="the APISIX Ingress Controller does not read spec.defaultBackend",
                    provider=self.name,
                )
                run.fyi(
                    model.source,
                    model.default_backend_field,
                    "the APISIX Ingress Controller ignores spec.defaultBackend (requests no "
                    "path takes get 404): it is not converted either",
                )
                model = dataclasses.replace(model, default_backend=None, default_backend_field=None)
            laid_out.append(model)
            for tls in model.tls:
                if not tls.hosts:
                    run.fyi(
                        model.source,
                        tls.field,
                        "APISIX took the hosts of a TLS entry without hosts from its "
                        "certificate's names; the Ingress's rule hosts are used here: check that "
                        "the certificate covers them",
                    )
            for path in model.paths:
                if path.path_type == "Prefix" and path.path.endswith("/") and path.path != "/":
                    bare = path.path.rstrip("/")
                    run.differs(
                        model.source,
                        path.field,
                        f"APISIX programs Prefix {path.path} as uris {path.path} and "
                        f"{path.path}*, which do not match {bare}; Gateway API PathPrefix "
                        f"{path.path} does",
                    )
                note = paths.path_note(model, path)
                if note is None:
                    continue
                if paths.match_for(model, path) is None:
                    run.invalid(model.source, path.field, note)
                else:
                    run.differs(model.source, path.field, note)
        return laid_out

    def convert(self, ctx: ProviderContext) -> None:
        run = ApisixRun.index(ctx, self.name)
        self._runs[id(ctx)] = run
        try:
            classes = ingress_classes(ctx.objects)
            owned = self.owned_classes(ctx, classes)
            run.served_classes = set(owned)
            run.default_class = any(
                info.is_default for name, info in classes.items() if name in owned
            ) or bool(ctx.options.default_ingress_class and not ctx.options.ingress_classes)
            before = {id(route) for route in ctx.ir.routes}
            super().convert(ctx)
            class_name = DEFAULT_CLASS if DEFAULT_CLASS in owned or not owned else sorted(owned)[0]
            routes.convert(run, owned, class_name)
            mine = [r for r in ctx.ir.routes if isinstance(r, HTTPRoute) and id(r) not in before]
            ingress_annotations.finish_https(run, mine)
            fallback.spread_hostless(
                run,
                [r for r in ctx.ir.routes if isinstance(r, HTTPRoute) and id(r) not in before],
            )
            objects.account(run, set())
        finally:
            del self._runs[id(ctx)]

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        ingress_annotations.apply(self._runs[id(ctx)], models, lowered)


PROVIDER = ApisixProvider()
