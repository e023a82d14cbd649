"""HAProxy Ingress controllers (class ``haproxy``): HAProxy Technologies' kubernetes-ingress and
jcmoraisjr's HAProxy Ingress.

Two unrelated projects share the data plane, the default class name and the legacy
``ingress.kubernetes.io/`` prefix, but not their keys, defaults or path matching; one provider
reads both, with a catalog for each. Which one served an Ingress is decided per Ingress (see
"Selection" below); keys of the other controller are in the ledger as ignored.

Neither project has a provider in the Go ingress2gateway.

**Provider options.** ``--provider-option haproxy.controller=haproxytech|haproxy-ingress|auto``
(``--haproxy-controller``) says which controller served the Ingresses that nothing else
attributes; ``auto`` (the default) reads IngressClasses and annotations.

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
    IngressClassInfo,
    IngressModel,
    ingress_classes,
    resolve_class,
)
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import CatalogRow, ConvertOptions, OptionSpec, ProviderContext
from ingress2gateway.reporting.report import Status

from . import (
    aliases,
    codes,
    configmaps,
    families,
    https,
    passthrough,
    paths,
    resources,
    selection,
    services,
)
from .catalog import (
    HAPROXY_INGRESS,
    HAPROXYTECH,
    annotation_spec,
    catalog_rows,
    lookup,
)
from .keys import PROVIDER as NAME
from .keys import Keys, key_name

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Selection", selection),
    ("Paths", paths),
    ("Annotations", families),
    ("Service annotations", services),
    ("Controller ConfigMaps", configmaps),
    ("Server aliases", aliases),
    ("HTTPS", https),
    ("TLS passthrough", passthrough),
    ("Custom resources", resources),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)


class _CatalogView(Mapping[str, AnnotationSpec]):
    """The catalog as the base class reads it, for keys no handler recorded: a key is looked
    up for the controller of the Ingress being accounted (set by the provider)."""

    def __init__(self) -> None:
        self.controller = HAPROXYTECH

    def __getitem__(self, key: str) -> AnnotationSpec:
        name = key_name(key, self.controller)
        spec = lookup(self.controller, name) if name is not None else None
        if spec is None:
            raise KeyError(key)
        return annotation_spec(key, spec)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class HAProxyProvider(IngressProvider):
    name = NAME
    aliases = ("haproxytech", "haproxy-ingress")
    description = (
        "HAProxy Ingress controllers (class haproxy): HAProxy Technologies' kubernetes-ingress "
        "and jcmoraisjr's HAProxy Ingress"
    )
    resources = INGRESS_RESOURCES + resources.KINDS
    options = (
        OptionSpec(
            configmaps.TECH_OPTION,
            str,
            None,
            "NAMESPACE/NAME (or NAME) of HAProxy Technologies' controller ConfigMap in the "
            f"input (its global defaults); default: a ConfigMap named {configmaps.TECH_DEFAULT}",
        ),
        OptionSpec(
            configmaps.COMMUNITY_OPTION,
            str,
            None,
            "NAMESPACE/NAME (or NAME) of HAProxy Ingress's controller ConfigMap in the input; "
            f"default: a ConfigMap named {configmaps.COMMUNITY_DEFAULT}",
        ),
        OptionSpec(
            selection.CONTROLLER_OPTION,
            (selection.AUTO, HAPROXYTECH, HAPROXY_INGRESS),
            selection.AUTO,
            "which controller served Ingresses that neither an IngressClass nor their "
            "annotations attribute",
        ),
    )
    codes = codes.CODES
    intended_differences = frozenset(
        {"haproxy-redirect-port", "haproxy-acme-exempt", "haproxy-redirect-query"}
    )
    ingress_class_names = ("haproxy",)
    controllers = (selection.HAPROXYTECH_CONTROLLER, selection.HAPROXY_INGRESS_CONTROLLER)
    annotation_prefixes = ("haproxy.org/", "haproxy.com/", "haproxy-ingress.github.io/")
    implementation_specific = "PathPrefix"

    def catalog_rows(self) -> list[CatalogRow]:
        return [*catalog_rows(), *resources.catalog_rows()]

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How the HAProxy controllers route requests over ``objects``, for ``verify`` (see
        :mod:`.controller_model`: written from the controllers' code, not from this provider)."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    def cluster_reads(self, options: ConvertOptions) -> list[tuple[ResourceKind, str | None]]:
        """The controllers' ConfigMaps, when named with a namespace: they live in the
        controller's namespace, not the Ingresses'."""
        named = options.for_provider(self.name)
        namespaces = sorted(
            {
                value.partition("/")[0]
                for option in (configmaps.TECH_OPTION, configmaps.COMMUNITY_OPTION)
                if "/" in (value := named.get(option) or "")
            }
        )
        kind = ResourceKind("", "v1", "configmaps", "ConfigMap")
        return [(kind, namespace) for namespace in namespaces if namespace]

    def __init__(self) -> None:
        self._keys: dict[int, Keys] = {}
        self._controllers: dict[SourceRef, str] = {}
        self._doubts: dict[SourceRef, str] = {}
        self._spec_classes: dict[SourceRef, str | None] = {}
        self._defaults = configmaps.Found()
        self._catalog = _CatalogView()

    # --- selection -----------------------------------------------------------------------------

    def _option(self, ctx: ProviderContext) -> str:
        return str(self.option(ctx.options, selection.CONTROLLER_OPTION))

    def owned_classes(
        self, ctx: ProviderContext, classes: Mapping[str, IngressClassInfo]
    ) -> set[str]:
        names = super().owned_classes(ctx, classes)
        for info in classes.values():
            # haproxy.org/ingress-controller/<name>: the controller run with --ingress.class.
            if selection.is_ours(info):
                names.add(info.name)
        return names

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        owned = self.owned_classes(ctx, classes)
        return selection.ingress_class(
            obj, classes, self._option(ctx), ctx.options.default_ingress_class, owned
        )

    def unserved_reason(self, ctx: ProviderContext, obj: KubeObject) -> str | None:
        """Why an Ingress that names one of this provider's classes was not served: HAProxy
        Technologies does not read the class annotation, HAProxy Ingress ignores unclassed
        Ingresses."""
        classes = ingress_classes(ctx.objects)
        class_name, _ = resolve_class(obj, dict(classes), ctx.options.default_ingress_class)
        if class_name is None or class_name not in self.owned_classes(ctx, classes):
            return None
        spec_class, annotated = selection.class_names(obj)
        controller, doubt = selection.decide(obj, classes, self._option(ctx))
        if controller == HAPROXYTECH and annotated and not spec_class:
            hint = (
                "; if HAProxy Ingress served it (it reads the annotation), pass "
                "--haproxy-controller haproxy-ingress"
                if doubt is not None or self._option(ctx) == selection.AUTO
                else ""
            )
            return (
                "HAProxy Technologies' controller reads spec.ingressClassName only (not the "
                "kubernetes.io/ingress.class annotation), and serves an Ingress without it only "
                f"when it runs without --ingress.class and no IngressClass is the default{hint}"
            )
        if controller == HAPROXY_INGRESS and not spec_class and not annotated:
            return (
                "HAProxy Ingress ignores Ingresses without a class (since v0.12) unless it "
                "runs with --watch-ingress-without-class"
            )
        return None

    # --- conversion ----------------------------------------------------------------------------

    def convert(self, ctx: ProviderContext) -> None:
        self._keys = {}
        self._controllers = {}
        self._doubts = {}
        self._spec_classes = {}
        self._defaults = configmaps.read(ctx)
        classes = ingress_classes(ctx.objects)
        option = self._option(ctx)
        for obj in ctx.objects:
            if obj.kind == "Ingress":
                controller, doubt = selection.decide(obj, classes, option)
                self._controllers[obj.source()] = controller
                self._spec_classes[obj.source()] = selection.class_names(obj)[0]
                if doubt is not None and _depends_on_controller(obj):
                    self._doubts[obj.source()] = doubt
        super().convert(ctx)
        resources.convert(ctx)
        configmaps.account(ctx, self._defaults)

    def _controller(self, model: IngressModel) -> str:
        return self._controllers.get(model.source, HAPROXYTECH)

    def _keys_of(self, ctx: ProviderContext, models: list[IngressModel]) -> dict[int, Keys]:
        for model in models:
            if id(model) not in self._keys:
                controller = self._controller(model)
                defaults = self._defaults.for_model(controller, model.class_name)
                self._keys[id(model)] = Keys(ctx, model, controller, defaults)
        return self._keys

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        keys = self._keys_of(ctx, models)
        plan = paths.PathPlan(ctx, models, self._controller, keys)
        policy = IngressPolicy(self.name, implementation_specific="RegularExpression")
        policy.path_matcher = plan.match
        policy.match_extras = lambda model, path: _header_extras(keys.get(id(model)))
        return policy

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        keys = self._keys_of(ctx, models)
        return [m for m in models if not passthrough.only_passthrough(keys[id(m)])]

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        keys = self._keys_of(ctx, models)
        for model in models:
            k = keys[id(model)]
            doubt = self._doubts.get(model.source)
            if doubt is not None:
                ctx.report.warning(
                    "haproxy-controller-ambiguous",
                    f"{doubt}: converted as HAProxy Technologies' kubernetes-ingress "
                    "(choose with --haproxy-controller)",
                    source=model.source,
                    provider=self.name,
                )
            selection.note_class(ctx, model, self._spec_classes.get(model.source))
            if passthrough.only_passthrough(k):
                continue
            if k.controller == HAPROXY_INGRESS and k.has("path-type"):
                if any(p.path_type == "ImplementationSpecific" for p in model.paths):
                    k.record(
                        "path-type", Status.CONVERTED, "how ImplementationSpecific paths match"
                    )
                else:
                    k.record("path-type", Status.IGNORED, "no ImplementationSpecific path")
            family = families.Family(k, lowered)
            for handler in families.FAMILIES:
                handler(family)
            for shadowed in k.shadowed:
                ctx.report.record(
                    model.source,
                    f"metadata.annotations[{shadowed}]",
                    Status.IGNORED,
                    note="the same key under another prefix is read first",
                    provider=self.name,
                )
        services.apply(ctx, keys, models, lowered)
        aliases.apply(ctx, keys, models, lowered)
        aliases.redirect_from(ctx, keys, models, lowered)
        https.apply(ctx, keys, models, lowered)
        passthrough.apply(ctx, keys, models, lowered)
        carried = ctx.ir.extension_fields()
        for model in models:
            _unused(ctx, keys[id(model)], carried)

    def account_annotations(
        self,
        ctx: ProviderContext,
        model: IngressModel,
        lowered: Lowered,
        carried: frozenset[tuple[SourceRef, str]] = frozenset(),
    ) -> None:
        controller = self._controller(model)
        other = HAPROXY_INGRESS if controller == HAPROXYTECH else HAPROXYTECH
        for key in model.obj.annotations:
            field = f"metadata.annotations[{key}]"
            if ctx.report.has_entry(model.source, field) or (model.source, field) in carried:
                continue
            if (
                key_name(key, controller) is None
                and key_name(key, other) is not None
                and key.startswith(("haproxy-ingress.github.io/", "haproxy.org/", "haproxy.com/"))
            ):
                name = "HAProxy Ingress" if other == HAPROXY_INGRESS else "HAProxy Technologies"
                ctx.report.record(
                    model.source,
                    field,
                    Status.IGNORED,
                    note=f"a key of {name}'s controller, which did not serve this Ingress",
                    provider=self.name,
                )
        self._catalog.controller = controller
        super().account_annotations(ctx, model, lowered, carried)

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return self._catalog


# Keys that only mean something with another one: without it, what the controller did.
_NEEDS = (
    (("cors-",), "CORS is off (cors-enable is not true)"),
    (("hsts",), "HSTS is sent on HTTPS responses only; no route of the Ingress serves HTTPS"),
    (("auth-realm",), "no basic auth on the Ingress"),
    (("ssl-redirect-code", "ssl-redirect-port"), "no HTTPS redirect on the Ingress's hosts"),
    (("redirect-from-code",), "no redirect-from"),
)


def _unused(ctx: ProviderContext, keys: Keys, carried: frozenset[tuple[SourceRef, str]]) -> None:
    """Ingress annotations that depend on another setting the Ingress lacks: ignored, with
    why, rather than the catalog's default entry."""
    for name in keys.names():
        source, field = keys.source(name), keys.field(name)
        if ctx.report.has_entry(source, field) or (source, field) in carried:
            continue
        for prefixes, why in _NEEDS:
            if name.startswith(prefixes) and not (
                keys.controller == HAPROXY_INGRESS and name == "ssl-redirect-code"
            ):
                keys.record(name, Status.IGNORED, f"{keys.key(name)}: {why}")
                break


def _depends_on_controller(obj: KubeObject) -> bool:
    """Whether converting ``obj`` as one controller or the other can differ."""
    if any(k.startswith(("ingress.kubernetes.io/", "haproxy")) for k in obj.annotations):
        return True
    rules = obj.spec.get("rules")
    if not isinstance(rules, list):
        return False
    for rule in rules:
        http = rule.get("http") if isinstance(rule, dict) else None
        for path in (http or {}).get("paths", []) if isinstance(http, dict) else []:
            if isinstance(path, dict) and path.get("pathType") in (None, "ImplementationSpecific"):
                return True
    return False


def _header_extras(keys: Keys | None) -> tuple[str, ...]:
    if keys is None or keys.controller != HAPROXY_INGRESS:
        return ()
    return tuple(
        f"{name}={keys.text(name)}"
        for name in ("http-header-match", "http-header-match-regex")
        if keys.has(name)
    )


PROVIDER = HAProxyProvider()
