"""Traefik Proxy (v3; v2 objects of ``traefik.containo.us`` read too).

Reads Ingresses Traefik serves (its class, **or no class at all**, as Traefik does by default)
with their ``traefik.ingress.kubernetes.io/router.*`` annotations and the ``service.*``
annotations of their Services, and the CRDs: IngressRoute, IngressRouteTCP, IngressRouteUDP,
Middleware, MiddlewareTCP, TraefikService, TLSOption, TLSStore, ServersTransport(TCP).

**Rules.** IngressRoute ``match`` rules are parsed with a real parser (``&&``, ``||``, ``!``,
parentheses, Go string literals); ORs become several matches; what Gateway API cannot match
(negations, host regular expressions) is reported per route, never widened.

**Priority.** Traefik orders routers by priority (default: the length of the rule text);
Gateway API by specificity. Where the two pick different routers for a request, it is reported.

**Access control** (basicAuth, forwardAuth, ipAllowList, ClientIP in a rule, TLSOption client
certificates) travels as security extensions: rules are emitted closed where the emitter cannot
carry them. A missing or foreign middleware closes the rules too.

**Entry points.** Traefik's static configuration is not in the manifests: the ``entry-points``
option (``web=80,websecure=443``) names their ports, and the entry point of port 443 is taken
to terminate TLS for every router on it (the Helm chart's default), so a router without
``tls`` there is served on the host's HTTPS listener (or with the default TLSStore's
certificate). ``allow-cross-namespace``: Traefik ran with
``providers.kubernetesCRD.allowCrossNamespace``.

**Verified.** ``ingress2gateway verify --providers traefik`` routes the requests that matter
through a model of Traefik written from its code (``controller_model``: routers, priority by
rule length, character prefixes, TLS routers, middlewares, refused routers); the golden cases
and Traefik's own fixtures and documentation examples verify with every difference explained
by the report.

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
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
from ingress2gateway.ir import PathMatch
from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import CatalogRow, ConvertOptions, OptionSpec, ProviderContext
from ingress2gateway.reporting.report import Status

from . import (
    codes,
    finish,
    ingress,
    ingressroute,
    matching,
    middlewares,
    priority,
    rules,
    services,
    streams,
)
from .catalog import ANNOTATIONS, catalog_rows, spec_for
from .common import (
    DEFAULT_ENTRY_POINTS,
    GROUP,
    LEGACY_GROUP,
    PREFIX,
    TraefikRun,
    entry_point_ports,
)
from .gateway import drop_empty
from .merging import merge_filters
from .redirects import split_scheme_redirects
from .spread import spread_hostless

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Ingress", ingress),
    ("Rules", rules),
    ("Matches", matching),
    ("IngressRoute", ingressroute),
    ("Priority", priority),
    ("Middleware", middlewares),
    ("Services and TraefikService", services),
    ("IngressRouteTCP and IngressRouteUDP", streams),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

_KINDS = (
    ("ingressroutes", "IngressRoute"),
    ("ingressroutetcps", "IngressRouteTCP"),
    ("ingressrouteudps", "IngressRouteUDP"),
    ("middlewares", "Middleware"),
    ("middlewaretcps", "MiddlewareTCP"),
    ("traefikservices", "TraefikService"),
    ("tlsoptions", "TLSOption"),
    ("tlsstores", "TLSStore"),
    ("serverstransports", "ServersTransport"),
    ("serverstransporttcps", "ServersTransportTCP"),
)
TRAEFIK_RESOURCES = tuple(
    ResourceKind(group, "v1alpha1", plural, kind)
    for group in (GROUP, LEGACY_GROUP)
    for plural, kind in _KINDS
    if not (group == LEGACY_GROUP and kind == "ServersTransportTCP")
)
ALLOW_CROSS_NAMESPACE = "allow-cross-namespace"
ENTRY_POINTS = "entry-points"


class _CatalogView(Mapping[str, AnnotationSpec]):
    def __getitem__(self, key: str) -> AnnotationSpec:
        spec = spec_for(key)
        if spec is None:
            raise KeyError(key)
        return spec

    def __iter__(self) -> Iterator[str]:
        return iter(PREFIX + key for key in ANNOTATIONS)

    def __len__(self) -> int:
        return len(ANNOTATIONS)


class TraefikProvider(IngressProvider):
    name = "traefik"
    aliases = ("traefik-proxy",)
    description = (
        "Traefik Proxy: traefik.ingress.kubernetes.io annotations, IngressRoute(TCP/UDP), "
        "Middleware, TraefikService, TLSOption"
    )
    resources = INGRESS_RESOURCES + TRAEFIK_RESOURCES
    options = (
        OptionSpec(
            ENTRY_POINTS,
            str,
            DEFAULT_ENTRY_POINTS,
            "Traefik's entry points and their ports, NAME=PORT,... (the static configuration)",
        ),
        OptionSpec(
            ALLOW_CROSS_NAMESPACE,
            bool,
            False,
            "Traefik ran with providers.kubernetesCRD.allowCrossNamespace",
        ),
    )
    codes = codes.CODES
    ingress_class_names = ("traefik",)
    controllers = ("traefik.io/ingress-controller",)
    annotation_prefixes = (PREFIX,)
    implementation_specific = "PathPrefix"

    def __init__(self) -> None:
        self._runs: dict[int, TraefikRun] = {}

    def catalog_rows(self) -> list[CatalogRow]:
        return catalog_rows()

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How Traefik routes requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from Traefik's code, not from this provider's)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return _CatalogView()

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        wanted = set(ctx.options.ingress_classes or self.ingress_class_names)
        return ingress.ingress_class(obj, classes, wanted)

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        run = self._runs[id(ctx)]

        def matcher(model: IngressModel, path: IngressPath) -> PathMatch | None:
            return ingress.path_match(run, model, path)

        return IngressPolicy(self.name, implementation_specific="PathPrefix", path_matcher=matcher)

    def convert(self, ctx: ProviderContext) -> None:
        run = TraefikRun.index(ctx, self.name)
        run.entry_points = entry_point_ports(str(self.option(ctx.options, ENTRY_POINTS)))
        run.allow_cross_namespace = bool(self.option(ctx.options, ALLOW_CROSS_NAMESPACE))
        self._runs[id(ctx)] = run
        try:
            super().convert(ctx)
            ingressroute.convert(run)
            streams.convert(run)
            drop_empty(run)
            class_name = ctx.options.gateway_class_name or "traefik"
            ours = [g for g in ctx.ir.gateways if g.gateway_class == class_name]
            merge_filters(run, ours)
            spread_hostless(run, ours)
            split_scheme_redirects(run, ours)
            priority.compare(run)
            finish.account(run)
        finally:
            del self._runs[id(ctx)]

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        """Traefik makes one catch-all router of the default backends (``default-router``:
        ``PathPrefix(`/`)`` at the lowest priority, every host), the first Ingress's; the
        others are refused ("the default backend already exists"). Lowering sees it as the
        default backend of an Ingress without rules, whose route then serves every host (see
        :mod:`.spread`)."""
        run = self._runs[id(ctx)]
        return ingress.default_backends(run, models)

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        ingress.apply(self._runs[id(ctx)], models, lowered)


def _status(value: str) -> Status:
    return Status(value)


PROVIDER = TraefikProvider()
