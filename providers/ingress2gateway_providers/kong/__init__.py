"""Kong Ingress Controller (class ``kong``, controller ``ingress-controllers.konghq.com/kong``).

Reads Ingresses of the ``kong`` class with their ``konghq.com/*`` annotations, the Services they
route to (Service annotations describe Kong's upstream), the KongPlugin/KongClusterPlugin
objects named by ``konghq.com/plugins``, KongIngress (deprecated), KongUpstreamPolicy, and the
deprecated TCPIngress/UDPIngress stream kinds. Unlike the Go tool, which converts only
``methods``, ``headers.*`` and ``plugins`` (as ExtensionRefs that only Kong understands) and
drops everything else silently, every ``konghq.com/*`` key below has a ledger entry, and keys the
catalog does not know are reported.

**Paths.** ``Exact`` and ``Prefix`` mean what they mean in Gateway API. ``ImplementationSpecific``
is a regular expression when it starts with ``/~`` (or the ``konghq.com/regex-prefix`` value) and
Kong's character prefix otherwise, matched exactly where the host's other rules allow it, else a
segment prefix (reported).

**Scope.** An Ingress annotation applies only to the rules that Ingress contributed, never to
other Ingresses' rules on the same host; a Service annotation applies to the rules whose backend
is that Service. When an Ingress needs its own route shape (HTTPS only, gRPC, alias hosts) its
rules get routes of their own. The same host and path in two Ingresses is a conflict only when
their header and method conditions are the same too (Kong keeps both routes and picks one by
its internal order: reported); with other conditions each keeps its rule.

**Order.** Kong tries routes with more match fields (methods, headers, a host) first, then more
headers, then regular expressions, then longer prefixes; Gateway API tries longer paths first.
Where a rule with conditions and a shorter path competes with a longer path on the same host, it
gets a match with the longer path and both rules' conditions, so that Kong's choice is kept (or
the change is reported where no match can keep it). Rules without host (and the default backend,
the oldest Ingress's ``spec.defaultBackend``, which Kong serves as a ``/`` route without host)
also serve every host, after the host's own rules, as in Kong. A ``KongServiceFacade`` backend is
the facade's Service, with the facade's plugins.

**Plugins** become what they mean (CORS filter, header modifiers, IP allow/deny, rate-limit,
auth and body-size extensions); plugins with no Gateway API concept are reported, and
``ExtensionRef`` filters to KongPlugin are never emitted. The standard emitter reports every
extension it cannot express — authentication and IP allow-lists as security errors.

**Deprecated kinds** (KongIngress, TCPIngress, UDPIngress; removed in Kong Operator 2.0) are
converted and get an info notification saying so. TCPRoute and UDPRoute are experimental before
Gateway API v1.6: choose ``--channel experimental`` on older targets.

KongConsumer and KongConsumerGroup objects are read and reported: consumers and their credentials
have no Gateway API equivalent.

**Provider options.** ``--provider-option kong.rewrite-uris=true`` says the controller ran with
its ``RewriteURIs`` feature gate, so ``konghq.com/rewrite`` is converted (without the gate the
controller refuses it, and the converter reports which paths change).

**Verified.** ``ingress2gateway verify --providers kong`` routes the requests that matter
through a model of Kong written from the controller's and Kong's code (``controller_model``);
the section "Verified against the controllers' tests" lists what it is checked against.

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Hashable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
    IngressModel,
    IngressPath,
    ingress_classes,
    is_ingress_class,
)
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.converting.partition import by_linked_namespaces
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import CatalogRow, ConvertOptions, OptionSpec, Parts, ProviderContext
from ingress2gateway.reporting.report import Status

from . import (
    codes,
    kongingress,
    paths,
    plugins,
    routing,
    services,
    streams,
    upstream_policy,
    verified,
)
from .catalog import PREFIX, annotation_spec, catalog_rows, lookup
from .common import (
    CLASS_ANNOTATION,
    FACADE_GROUP,
    KONG_GROUP,
    KongRun,
    account_object_annotations,
    annotation_field,
)
from .paths import match_for
from .translate import Translator

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Paths", paths),
    ("Ingress route annotations", routing),
    ("Service annotations", services),
    ("Plugins", plugins),
    ("KongIngress", kongingress),
    ("KongUpstreamPolicy", upstream_policy),
    ("TCPIngress and UDPIngress", streams),
    ("Verified against the controllers' tests", verified),
)
# The user documentation (docs/providers/kong.md) is this docstring followed by each family's.
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

KONG_RESOURCES = (
    ResourceKind(KONG_GROUP, "v1", "kongplugins", "KongPlugin"),
    ResourceKind(KONG_GROUP, "v1", "kongclusterplugins", "KongClusterPlugin", namespaced=False),
    ResourceKind(KONG_GROUP, "v1", "kongingresses", "KongIngress"),
    ResourceKind(KONG_GROUP, "v1", "kongconsumers", "KongConsumer"),
    ResourceKind(KONG_GROUP, "v1beta1", "kongconsumergroups", "KongConsumerGroup"),
    ResourceKind(KONG_GROUP, "v1beta1", "kongupstreampolicies", "KongUpstreamPolicy"),
    ResourceKind(KONG_GROUP, "v1beta1", "tcpingresses", "TCPIngress"),
    ResourceKind(KONG_GROUP, "v1beta1", "udpingresses", "UDPIngress"),
    ResourceKind(FACADE_GROUP, "v1alpha1", "kongservicefacades", "KongServiceFacade"),
    ResourceKind(KONG_GROUP, "v1alpha1", "ingressclassparameterses", "IngressClassParameters"),
)
CONSUMER_KINDS = ("KongConsumer", "KongConsumerGroup")
_NAMESPACED = frozenset(
    {("", "Service"), ("", "Secret"), ("networking.k8s.io", "Ingress")}
    | {(kind.group, kind.kind) for kind in KONG_RESOURCES if kind.namespaced}
)
_CLUSTER_WIDE = frozenset({"IngressClass", "GatewayClass", "Namespace", "CustomResourceDefinition"})


def _namespaced(obj: KubeObject) -> bool:
    """Kinds known to be namespaced, and objects of other kinds that carry a namespace."""
    if (obj.group, obj.kind) in _NAMESPACED:
        return True
    return obj.namespace is not None and obj.kind not in _CLUSTER_WIDE


class _CatalogView(Mapping[str, AnnotationSpec]):
    """The catalog as the base class reads it: full keys, ``headers.<name>`` included."""

    def __getitem__(self, key: str) -> AnnotationSpec:
        spec = lookup(key)
        if spec is None:
            raise KeyError(key)
        return annotation_spec(key, spec)

    def __iter__(self) -> Iterator[str]:
        return iter(row.key for row in catalog_rows())

    def __len__(self) -> int:
        return len(catalog_rows())


class KongProvider(IngressProvider):
    name = "kong"
    aliases = ("kong-ingress-controller",)
    description = (
        "Kong Ingress Controller: konghq.com annotations, KongPlugin, KongIngress, TCP/UDPIngress"
    )
    resources = INGRESS_RESOURCES + KONG_RESOURCES
    options = (
        OptionSpec(
            routing.REWRITE_OPTION,
            bool,
            False,
            "the controller ran with its RewriteURIs feature gate, so konghq.com/rewrite applies",
        ),
    )
    codes = codes.CODES
    ingress_class_names = ("kong",)
    controllers = ("ingress-controllers.konghq.com/kong",)
    annotation_prefixes = (PREFIX,)
    implementation_specific = "PathPrefix"

    def __init__(self) -> None:
        self._runs: dict[int, KongRun] = {}

    def catalog_rows(self) -> list[CatalogRow]:
        return catalog_rows()

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How Kong routes requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from the Kong Ingress Controller's and Kong's code,
        not from this provider's)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    def partition(self, objects: Sequence[KubeObject], options: ConvertOptions) -> Parts | None:
        """With a Gateway per namespace, parts of linked namespaces (see
        :mod:`ingress2gateway.converting.partition`): every namespaced object goes with its namespace,
        where everything that can name it lives (a Service, KongPlugin or KongIngress is named
        from its own namespace). A cluster-wide object (a KongClusterPlugin) can be named from
        any part, and what is reported about it depends on every part: the input is then
        converted whole."""
        return by_linked_namespaces(objects, options, shared=is_ingress_class, grouped=_namespaced)

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return _CatalogView()

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        run = self._runs[id(ctx)]

        def extras(model: IngressModel, path: IngressPath) -> Hashable:
            annotations = model.obj.annotations
            linked = annotations.get(kongingress.OVERRIDE_KEY, "").strip() or model.name
            found = run.kong_ingresses.get((model.namespace, linked))
            section = kongingress.section(found, "route") if found is not None else {}
            return routing.match_signature(annotations, section)

        return IngressPolicy(
            self.name,
            implementation_specific="PathPrefix",
            path_matcher=functools.partial(match_for, legacy=run.legacy_regex),
            match_extras=extras,
            duplicate_rule=(
                "Kong kept both routes and sent every such request to one of them by an internal "
                "order (their route ids); the older Ingress's is kept here: check that it is the "
                "backend that should answer"
            ),
        )

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        """KIC serves one default backend, the oldest Ingress's ``spec.defaultBackend``, as a
        route for ``/`` without host (``getDefaultBackendService``): every host falls back to
        it after its own routes (see :meth:`Translator.spread_hostless`). Lowering sees it as
        the default backend of an Ingress without rules (its catch-all); the other
        ``defaultBackend`` fields had no effect."""
        with_default = [m for m in models if m.default_backend is not None]
        if not with_default:
            return models
        oldest = min(with_default, key=_creation_order)
        laid_out: list[IngressModel] = []
        for model in models:
            if model.default_backend is None:
                laid_out.append(model)
                continue
            laid_out.append(
                dataclasses.replace(model, default_backend=None, default_backend_field=None)
            )
            if model is oldest:
                laid_out.append(
                    dataclasses.replace(model, paths=[], hostless_rules=[], rule_hosts=[], tls=[])
                )
            elif model.default_backend_field is not None:
                ctx.report.record(
                    model.source,
                    model.default_backend_field,
                    Status.IGNORED,
                    note=(
                        f"the Kong Ingress Controller serves only the oldest Ingress's default "
                        f"backend ({oldest.source.display()})"
                    ),
                    provider=self.name,
                )
        return laid_out

    def convert(self, ctx: ProviderContext) -> None:
        run = KongRun.index(ctx, self.name)
        self._runs[id(ctx)] = run
        try:
            classes = ingress_classes(ctx.objects)
            owned = self.owned_classes(ctx, classes)
            run.served_classes = set(owned)
            run.default_class = any(
                info.is_default for name, info in classes.items() if name in owned
            ) or bool(ctx.options.default_ingress_class and not ctx.options.ingress_classes)
            _class_parameters(run, owned)
            # Before conversion, which may release the Ingresses' specs once parsed.
            _class_conflicts(run, owned)
            super().convert(ctx)
            class_name = sorted(owned)[0] if owned else "kong"
            if "kong" in owned:
                class_name = "kong"
            streams.convert(run, owned, class_name)
            _finish(run)
        finally:
            del self._runs[id(ctx)]

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        Translator(self._runs[id(ctx)], lowered).apply(models)


def _class_parameters(run: KongRun, owned: AbstractSet[str]) -> None:
    """The IngressClassParameters a served IngressClass names (KIC's
    ``getIngressClassParametersOrDefault``): ``enableLegacyRegexDetection``."""
    for obj in run.ctx.objects:
        if obj.kind != "IngressClass" or obj.name not in owned:
            continue
        params = obj.spec.get("parameters")
        if not isinstance(params, dict) or params.get("kind") != "IngressClassParameters":
            continue
        namespace = params.get("namespace") if isinstance(params.get("namespace"), str) else None
        for found in run.ctx.objects:
            if (
                found.kind == "IngressClassParameters"
                and found.group == KONG_GROUP
                and found.name == params.get("name")
                and (found.namespace or "default") == (namespace or "default")
            ):
                run.class_parameters.append(found)
                run.use(found)
                run.legacy_regex = found.spec.get("enableLegacyRegexDetection") is True


def _class_conflicts(run: KongRun, owned: AbstractSet[str]) -> None:
    """The Kong Ingress Controller reads an Ingress's ``kubernetes.io/ingress.class``
    annotation before ``spec.ingressClassName`` (``store.go``, ``ListIngressesV1``); where they
    disagree about Kong, the conversion (which reads the field first) does not do what KIC did."""
    for obj in run.ctx.objects:
        if obj.kind != "Ingress" or obj.group not in ("networking.k8s.io", "extensions"):
            continue
        annotated = obj.annotations.get(CLASS_ANNOTATION, "")
        spec_class = obj.spec.get("ingressClassName")
        if not annotated or not isinstance(spec_class, str) or annotated == spec_class:
            continue
        if (annotated in owned) == (spec_class in owned):
            continue
        if annotated in owned:
            message = (
                f"the Kong Ingress Controller reads the {CLASS_ANNOTATION} annotation first, so it "
                f"served this Ingress (class {annotated}); spec.ingressClassName {spec_class} "
                "gives it to another controller here, so it is not converted as a Kong Ingress"
            )
        else:
            message = (
                f"the Kong Ingress Controller reads the {CLASS_ANNOTATION} annotation first, so it "
                f"did not serve this Ingress (class {annotated}); it is converted here for "
                f"spec.ingressClassName {spec_class}, so its paths now answer"
            )
        run.differs(obj.source(), annotation_field(CLASS_ANNOTATION), message)


def _creation_order(model: IngressModel) -> tuple[str, str]:
    """Oldest first (KIC sorts Ingresses by ``creationTimestamp``); ties by namespace/name."""
    return (model.creation_timestamp or "\uffff", f"{model.namespace or ''}/{model.name}")


def _finish(run: KongRun) -> None:
    """Ledger entries for the Kong objects and Service annotations nothing recorded yet."""
    skip = run.ctx.ir.extension_fields()
    for key in sorted(run.services, key=lambda k: (k[0] or "", k[1])):
        _account_service(run, run.services[key], skip)
    consumer_plugins = _consumer_plugins(run)
    for obj in [*run.plugins.values(), *run.cluster_plugins.values()]:
        run.ctx.claim(obj)
        plugins.account_object(run, obj, skip, consumer_scoped=id(obj) in consumer_plugins)
    for obj in run.kong_ingresses.values():
        run.ctx.claim(obj)
        run.deprecated(obj, "use Ingress and Service annotations and KongUpstreamPolicy")
        kongingress.account(run, obj, skip)
    for obj in run.upstream_policies.values():
        run.ctx.claim(obj)
        _account_fields(run, obj, skip, "spec", "no Service's konghq.com/upstream-policy names it")
    for obj in run.class_parameters:
        run.ctx.claim(obj)
        _account_fields(run, obj, skip, "spec", "the served IngressClass names it")
    for obj in run.facades.values():
        run.ctx.claim(obj)
        _account_fields(run, obj, skip, "spec", "no converted Ingress path uses this facade")
    for obj in run.ctx.objects:
        if obj.group == KONG_GROUP and obj.kind in CONSUMER_KINDS:
            run.ctx.claim(obj)
            run.fyi(
                obj.source(),
                None,
                f"{obj.kind}: consumers, consumer groups and their credentials have no Gateway "
                "API equivalent; consumer-scoped plugins are not converted",
            )
            _account_fields(
                run,
                obj,
                skip,
                None,
                "consumers have no Gateway API equivalent",
                status=Status.UNSUPPORTED,
            )


def _consumer_plugins(run: KongRun) -> set[int]:
    """``id()`` of the plugins KongConsumers and KongConsumerGroups name."""
    found: set[int] = set()
    for obj in run.ctx.objects:
        if obj.group != KONG_GROUP or obj.kind not in CONSUMER_KINDS:
            continue
        for ref in obj.annotations.get("konghq.com/plugins", "").split(","):
            plugin = plugins.resolve(run, obj.namespace, ref.strip()) if ref.strip() else None
            if plugin is not None:
                found.add(id(plugin))
    return found


def _account_fields(
    run: KongRun,
    obj: KubeObject,
    skip: AbstractSet[tuple[SourceRef, str]],
    nested: str | None,
    unused_note: str,
    status: Status | None = None,
) -> None:
    source = obj.source()
    used = id(obj) in run.used
    fields: list[str] = []
    for key in sorted(obj.data):
        if key in ("apiVersion", "kind", "metadata", "status"):
            continue
        value = obj.data[key]
        if key == nested and isinstance(value, dict):
            fields.extend(f"{key}.{sub}" for sub in sorted(value))
        else:
            fields.append(key)
    account_object_annotations(run, obj, skip)
    for field_path in fields:
        if run.report.has_entry(source, field_path) or (source, field_path) in skip:
            continue
        if status is not None:
            run.record(source, field_path, status, unused_note)
        elif not used:
            run.record(source, field_path, Status.IGNORED, unused_note)
        else:
            run.record(source, field_path, Status.CONVERTED)


def _account_service(
    run: KongRun, obj: KubeObject, skip: AbstractSet[tuple[SourceRef, str]]
) -> None:
    keys = [k for k in sorted(obj.annotations) if k.startswith(PREFIX)]
    if not keys:
        return
    source = obj.source()
    referenced = (obj.namespace, obj.name or "") in run.service_users
    for key in keys:
        field_path = annotation_field(key)
        if run.report.has_entry(source, field_path) or (source, field_path) in skip:
            continue
        if not referenced:
            run.record(
                source, field_path, Status.IGNORED, "no converted Kong route uses this Service"
            )
            continue
        spec = lookup(key)
        if key == "konghq.com/protocol" and obj.annotations[key].strip().lower() not in (
            "http",
            "https",
            "grpc",
            "grpcs",
        ):
            run.record(
                source,
                field_path,
                Status.IGNORED,
                "a stream protocol: TCPIngress/UDPIngress listeners decide it; HTTP routes to the "
                "Service stay HTTP",
            )
            continue
        note = _SERVICE_NO_EFFECT.get(key, spec.note if spec else "had no effect")
        run.record(
            source,
            field_path,
            Status.IGNORED if key in _SERVICE_NO_EFFECT else Status.CONVERTED,
            note,
        )


_SERVICE_NO_EFFECT = {
    "konghq.com/host-header": "Kong sends it only where the route sets preserve-host false",
    "konghq.com/tls-verify": "the upstream protocol is not https/grpcs",
    "konghq.com/ca-certificates-configmaps": "the upstream protocol is not https/grpcs",
    "konghq.com/ca-certificates-secrets": "the upstream protocol is not https/grpcs",
    "konghq.com/plugins": "no plugin it names could be resolved",
}


PROVIDER = KongProvider()
