"""GKE Ingress (ingress-gce): classes ``gce``, ``gce-internal``, ``gce-regional-external``.

Reads the Ingresses GKE serves with their annotations, the Services they route to (whose
annotations name a BackendConfig), and the BackendConfig, FrontendConfig and ManagedCertificate
objects those name. Written from ingress-gce v1.41.1 (``pkg/utils/utils.go``,
``pkg/annotations``, ``pkg/controller/translator``, ``pkg/backends/features``).

**Class.** GKE reads only the ``kubernetes.io/ingress.class`` annotation
(``IsGCEIngress``): ``spec.ingressClassName`` means nothing to it, an Ingress with neither is
GKE's (class ``gce``), and an Ingress with ``spec.ingressClassName`` but no annotation was
never served by GKE — it is skipped with that reason. ``gce-multi-cluster`` Ingresses belong to
the MultiClusterIngress controller and are not read.

**One load balancer per Ingress.** GKE never merges Ingresses: every Ingress has its own URL
map, certificates and address (``pkg/loadbalancers/l7.go``), so every Ingress becomes its own
Gateway, named after it, in its namespace (``--gateway-namespace`` still chooses the namespace,
``--gateway-name`` becomes a prefix). Two Ingresses with the same host keep their own rules, as
on GKE, where DNS chose which load balancer answered. The GatewayClass is the Ingress class
unless ``--gateway-class-name`` is given (GKE Gateway's counterparts are
``gke-l7-global-external-managed`` for ``gce`` and ``gke-l7-rilb`` for ``gce-internal``).

**Default backend.** Requests no rule takes go to the Ingress's ``spec.defaultBackend``, else to
GKE's system default backend, which answers 404 — as a Gateway answers them.

**TLS.** Every ``spec.tls`` Secret is served by the Ingress's one HTTPS proxy, for every host
of the Ingress (see "HTTPS").

**Verified.** ``ingress2gateway verify --providers gce`` routes the requests that matter through
a model of GKE's load balancers and URL maps written from ingress-gce's code
(``controller_model``); over the goldens and the corpus, on both emitters, every difference it
finds is one the report announces (closed access controls, certificates that are not Secrets).
The model builds the URL maps ingress-gce's own translator tests expect
(``pkg/controller/translator/testdata``: no host, one host, two hosts, several paths, several
empty paths, the regional external class).

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
    CLASS_ANNOTATION,
    IngressClassInfo,
    IngressModel,
    ServiceBackend,
    is_ingress,
    parse_ingress,
    precedence_key,
)
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered, lower_ingresses
from ingress2gateway.ir import HTTPRoute
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import CatalogRow, ConvertOptions, ProviderContext
from ingress2gateway.reporting.report import Level, Status

from . import backends, codes, frontend, paths, tls
from .catalog import ALLOW_HTTP, STATUS_PREFIXES, catalog_rows, ingress_catalog
from .common import GCE_RESOURCES, OWN_KINDS, GceRun, annotation_field
from .common import PROVIDER as NAME

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Paths", paths),
    ("HTTPS", tls),
    ("The load balancer: addresses, certificates, HTTP, FrontendConfig", frontend),
    ("Services and BackendConfig", backends),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

SERVED_CLASSES = ("gce", "gce-internal", "gce-regional-external")
CLASS_FIELD = annotation_field(CLASS_ANNOTATION)


class GceProvider(IngressProvider):
    name = NAME
    aliases = ("gke", "ingress-gce")
    description = "GKE Ingress (ingress-gce): GKE annotations, BackendConfig, FrontendConfig"
    resources = INGRESS_RESOURCES + GCE_RESOURCES
    codes = codes.CODES
    ingress_class_names = SERVED_CLASSES
    annotation_prefixes = ("networking.gke.io/", "cloud.google.com/", "ingress.gcp.kubernetes.io/")
    implementation_specific = "Exact"

    def catalog_rows(self) -> list[CatalogRow]:
        return catalog_rows()

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return ingress_catalog()

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How GKE routes requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from ingress-gce's code, not from this provider's)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    # --- classes -----------------------------------------------------------------------------

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        """``IsGCEIngress``: the annotation, else ``gce`` when there is no ingressClassName."""
        annotated = obj.annotations.get(CLASS_ANNOTATION, "")
        if annotated:
            return annotated, CLASS_FIELD
        if obj.spec.get("ingressClassName") is None:
            return "gce", None
        return None, None

    def unserved_reason(self, ctx: ProviderContext, obj: KubeObject) -> str | None:
        annotated = obj.annotations.get(CLASS_ANNOTATION, "")
        field_class = obj.spec.get("ingressClassName")
        if annotated == "gce-multi-cluster":
            return (
                "class gce-multi-cluster belongs to the MultiClusterIngress controller, not to "
                "ingress-gce"
            )
        if not annotated and field_class is not None:
            return (
                "GKE reads only the kubernetes.io/ingress.class annotation, and serves an "
                "Ingress without it only when spec.ingressClassName is unset: it never served "
                "this Ingress"
            )
        if annotated and field_class in self.owned_classes(ctx, {}):
            return (
                f"GKE reads the kubernetes.io/ingress.class annotation ({annotated!r}), not "
                f"spec.ingressClassName ({field_class!r}): it never served this Ingress"
            )
        return None

    def owned_classes(
        self, ctx: ProviderContext, classes: Mapping[str, IngressClassInfo]
    ) -> set[str]:
        # GKE reads no IngressClass object: the names are all there is.
        return set(ctx.options.ingress_classes or self.ingress_class_names)

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        return self._policy(ctx, {})

    def _policy(self, ctx: ProviderContext, globs: paths.Globs) -> IngressPolicy:
        return IngressPolicy(
            self.name,
            implementation_specific="Exact",
            path_matcher=lambda model, path: paths.match_for(ctx.report, globs, model, path),
            # ``BackendToServicePortID`` refuses a resource backend: GKE skips the path.
            resource_backends=False,
        )

    # --- conversion --------------------------------------------------------------------------

    def convert(self, ctx: ProviderContext) -> None:
        run = GceRun.index(ctx)
        owned = self.owned_classes(ctx, {})
        models: list[IngressModel] = []
        for obj in ctx.objects:
            if not is_ingress(obj) or id(obj) in ctx.claimed:
                continue
            class_name, class_field = self.ingress_class(ctx, obj, {})
            if class_name is None or class_name not in owned:
                continue
            ctx.claim(obj)
            models.append(parse_ingress(obj, ctx.report, self.name, class_name, class_field))
        globs: paths.Globs = {}
        policy = self._policy(ctx, globs)
        served = backends.Backends(run)
        done: list[tuple[IngressModel, Lowered]] = []
        for model in sorted(models, key=precedence_key):
            self._class_field(ctx, model)
            if frontend.serves_nothing(model):
                _no_load_balancer(run, model)
                continue
            # HTTPS is GKE's own (see .tls): lowering lays out plain HTTP only.
            bare = dataclasses.replace(model, tls=[], paths=paths.served_paths(ctx.report, model))
            _absent_services(run, model)
            own = _own_gateway(ctx, model, run.services_by_namespace.get(model.namespace, []))
            lowered = lower_ingresses(own, _with_catch_all(bare), policy)
            routes = [r for r in lowered.routes if isinstance(r, HTTPRoute)]
            gateway = lowered.gateway_of.get(model.source)
            paths.keep_directory_exact(ctx.report, globs, model, routes)
            if gateway is not None:
                tls.add_https(run, model, gateway, routes)
                frontend.apply(run, model, gateway, routes)
                if not gateway.listeners:
                    _drop_gateway(run, model, gateway, routes)
            served.apply(routes)
            done.append((model, lowered))
        run.drop_dropped()
        carried = ctx.ir.extension_fields()
        for model, lowered in done:
            self.account_annotations(ctx, model, lowered, carried)
        if len(models) > 1:
            ctx.report.info(
                "gce-load-balancer-per-ingress",
                f"GKE gave each of the {len(models)} Ingresses its own load balancer and "
                "address; each becomes its own Gateway",
                provider=self.name,
            )
        served.account_services()
        _account_objects(run)

    def account_annotations(
        self,
        ctx: ProviderContext,
        model: IngressModel,
        lowered: Lowered,
        carried: frozenset[tuple[SourceRef, str]] = frozenset(),
    ) -> None:
        for key in model.obj.annotations:
            if key.startswith(STATUS_PREFIXES) and not ctx.report.has_entry(
                model.source, annotation_field(key)
            ):
                ctx.report.record(
                    model.source,
                    annotation_field(key),
                    Status.IGNORED,
                    note="written by the GKE controller (status), not configuration",
                    provider=self.name,
                )
        super().account_annotations(ctx, model, lowered, carried)

    def _class_field(self, ctx: ProviderContext, model: IngressModel) -> None:
        if model.obj.spec.get("ingressClassName") is not None:
            ctx.report.record(
                model.source,
                "spec.ingressClassName",
                Status.IGNORED,
                note="GKE reads only the kubernetes.io/ingress.class annotation",
                provider=self.name,
            )


def _absent_services(run: GceRun, model: IngressModel) -> None:
    """GKE leaves out a path whose Service does not exist (``getServicePort`` fails): its
    requests go to the default backend. Where the input holds Services of the namespace but not
    this one, say so (the path is converted: the Service may simply be in another file)."""
    if model.namespace not in run.services_by_namespace:
        return
    for path in model.paths:
        backend = path.backend
        if (
            isinstance(backend, ServiceBackend)
            and (model.namespace, backend.name) not in run.services
        ):
            run.notify(
                Level.WARNING,
                "gce-reference-missing",
                f"Service {backend.name!r} is not in the input: if it does not exist, GKE left "
                "this path out and sent its requests to the default backend, where the Gateway "
                "answers 500",
                model.source,
                path.field,
            )


def _with_catch_all(model: IngressModel) -> list[IngressModel]:
    """GKE's URL map sends requests for hosts no rule names to the default backend (the
    Ingress's, else GKE's 404): lowering makes that catch-all for an Ingress without rules, so
    an Ingress with host rules only is given a rule-less twin carrying its default backend."""
    hostless = bool(model.hostless_rules) or any(path.host is None for path in model.paths)
    if model.default_backend is None or hostless or not model.paths:
        return [model]
    return [model, dataclasses.replace(model, paths=[], hostless_rules=[], rule_hosts=[])]


def _own_gateway(
    ctx: ProviderContext, model: IngressModel, services: list[KubeObject]
) -> ProviderContext:
    """The context lowering sees for one Ingress: its own Gateway, named after it, and the
    Services of its namespace (all lowering reads of the input: their named ports)."""
    options = ctx.options
    name = model.name if not options.gateway_name else f"{options.gateway_name}-{model.name}"
    if options.gateway_namespace and options.gateway_namespace != model.namespace:
        name = f"{model.namespace}-{name}"
    own = dataclasses.replace(options, gateway_name=name, gateway_per_namespace=False)
    return dataclasses.replace(ctx, options=own, objects=services)


def _no_load_balancer(run: GceRun, model: IngressModel) -> None:
    message = (
        "allow-http is false and the Ingress has no certificate: GKE made no load balancer "
        "for it, so nothing of it is converted"
    )
    run.notify(
        Level.WARNING,
        "gce-no-load-balancer",
        message,
        model.source,
        annotation_field(ALLOW_HTTP),
    )
    run.record(model.source, "spec", Status.IGNORED, message)
    for key in model.obj.annotations:
        run.record(model.source, annotation_field(key), Status.IGNORED, message)


def _drop_gateway(
    run: GceRun, model: IngressModel, gateway: object, routes: list[HTTPRoute]
) -> None:
    """No listener is left (plain HTTP refused, certificates that are not Secrets)."""
    run.dropped.add(id(gateway))
    run.dropped.update(id(r) for r in routes)
    routes.clear()
    if frontend.allows_http(model):
        message = "no listener is left (see the hosts reported), so nothing of it is converted"
    else:
        message = (
            "allow-http is false and the Ingress's certificates are not Secrets the Gateway "
            "can use: no listener is left, so nothing of it is converted"
        )
    run.flag(
        Level.ERROR, "gce-behaviour-differs", message, Status.UNSUPPORTED, model.source, "spec"
    )


def _account_objects(run: GceRun) -> None:
    """A ledger entry for every top-level spec field of the GKE objects in the input."""
    carried = run.ctx.ir.extension_fields()
    mine = [obj for obj in run.ctx.objects if (obj.group, obj.kind) in OWN_KINDS]
    if not mine:
        return
    sources = {obj.source() for obj in mine}
    recorded: dict[SourceRef, set[str]] = {}
    for source, path in run.report.ledger:
        if source in sources:
            recorded.setdefault(source, set()).add(path)
    for obj in mine:
        run.ctx.claim(obj)
        source = obj.source()
        used = id(obj) in run.used
        done = recorded.get(source, set()) | {f for s, f in carried if s == source}
        for key in sorted(obj.spec):
            path = f"spec.{key}"
            if any(f == path or f.startswith((path + ".", path + "[")) for f in done):
                continue
            if not used:
                run.record(source, path, Status.IGNORED, "no converted Ingress or Service names it")
            elif obj.kind == "ManagedCertificate":
                run.record(source, path, Status.UNSUPPORTED,
                           "Google-managed certificates have no Gateway API equivalent")  # fmt: skip
            else:
                run.record(source, path, Status.CONVERTED)


PROVIDER = GceProvider()
