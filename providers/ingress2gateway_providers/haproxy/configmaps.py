"""The controllers' ConfigMaps: global defaults of the keys.

HAProxy Technologies reads a key from the ConfigMap when neither the Service nor the Ingress
sets it (``pkg/annotations/common/main.go``), for the keys whose scope includes the ConfigMap;
HAProxy Ingress reads every key from its ConfigMap (Global < IngressClass < Ingress < Service,
``keys.md`` "Strategies"), and its Global keys (``ssl-redirect-code``...) from there only. A
ConfigMap is read when it is in the input: ``--provider-option haproxy.configmap=NS/NAME``
(HAProxy Technologies', default name ``haproxy-kubernetes-ingress``) and
``haproxy.ingress-configmap=NS/NAME`` (``--haproxy-ingress-configmap``; default name
``haproxy-ingress``); with a namespace, they are read from the cluster too. Its keys apply to
every Ingress of that controller: an allow-list there guards every route. An HAProxy Ingress
IngressClass's ``spec.parameters`` ConfigMap (in the input) overrides the global one for the
Ingresses of that class. Keys the conversion uses get their ledger entry on the ConfigMap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXY_INGRESS, HAPROXYTECH, lookup
from .keys import Defaults

COMMUNITY_CONTROLLER = "haproxy-ingress.github.io/controller"

TECH_OPTION = "configmap"
COMMUNITY_OPTION = "ingress-configmap"
TECH_DEFAULT = "haproxy-kubernetes-ingress"
COMMUNITY_DEFAULT = "haproxy-ingress"


@dataclass
class Found:
    """The ConfigMaps read: per controller (global), per HAProxy Ingress class (its
    parameters, over the global one), and every object, for the ledger."""

    controllers: dict[str, Defaults] = field(default_factory=dict)
    classes: dict[str, Defaults] = field(default_factory=dict)
    objects: list[tuple[str, KubeObject]] = field(default_factory=list)

    def for_model(self, controller: str, class_name: str | None) -> Defaults | None:
        if controller == HAPROXY_INGRESS and class_name in self.classes:
            return self.classes[class_name]
        return self.controllers.get(controller)


def _values(obj: KubeObject, controller: str) -> Defaults:
    data = obj.data.get("data")
    return Defaults(
        {
            key: (value, obj.source())
            for key, value in (data.items() if isinstance(data, dict) else [])
            if isinstance(key, str)
            and isinstance(value, str)
            and (spec := lookup(controller, key)) is not None
            and (controller == HAPROXY_INGRESS or "ConfigMap" in spec.scope)
        }
    )


def _find(ctx: ProviderContext, wanted: str) -> KubeObject | None:
    namespace, _, name = wanted.rpartition("/")
    for obj in ctx.objects:
        if (
            obj.kind == "ConfigMap"
            and obj.name == name
            and (not namespace or obj.namespace == namespace)
        ):
            return obj
    return None


def read(ctx: ProviderContext) -> Found:
    options = ctx.options.for_provider("haproxy")
    found = Found()
    for controller, option, default in (
        (HAPROXYTECH, TECH_OPTION, TECH_DEFAULT),
        (HAPROXY_INGRESS, COMMUNITY_OPTION, COMMUNITY_DEFAULT),
    ):
        obj = _find(ctx, options.get(option) or default)
        if obj is not None:
            ctx.claim(obj)
            found.controllers[controller] = _values(obj, controller)
            found.objects.append((controller, obj))
    # HAProxy Ingress: an IngressClass's spec.parameters ConfigMap (keys.md "IngressClass").
    base = found.controllers.get(HAPROXY_INGRESS, Defaults({}))
    for obj in ctx.objects:
        if obj.kind != "IngressClass" or obj.spec.get("controller") != COMMUNITY_CONTROLLER:
            continue
        params = obj.spec.get("parameters")
        if not isinstance(params, dict) or params.get("kind") != "ConfigMap":
            continue
        if params.get("apiGroup") not in (None, "", "v1") or not isinstance(
            params.get("name"), str
        ):
            continue
        namespace = params.get("namespace")
        wanted = f"{namespace}/{params['name']}" if isinstance(namespace, str) else params["name"]
        target = _find(ctx, wanted)
        if target is None or not obj.name:
            continue
        if id(target) not in ctx.claimed:
            ctx.claim(target)
            found.objects.append((HAPROXY_INGRESS, target))
        found.classes[obj.name] = base.layered(_values(target, HAPROXY_INGRESS))
    return found


def account(ctx: ProviderContext, found: Found) -> None:
    """Give every key of the ConfigMaps read an entry: those the conversion used have one;
    raw configuration is a security warning (it may restrict access); the rest is ignored."""
    carried = ctx.ir.extension_fields()
    report = ctx.report
    for controller, obj in found.objects:
        source = obj.source()
        data = obj.data.get("data")
        for key in sorted(data if isinstance(data, dict) else {}):
            field_path = f"data[{key}]"
            if report.has_entry(source, field_path) or (source, field_path) in carried:
                continue
            spec = lookup(controller, str(key))
            if "snippet" in str(key) or str(key).startswith("config-"):
                message = f"{key}: raw HAProxy configuration is never translated"
                report.notify(
                    Level.ERROR,
                    "annotation-unsupported",
                    message,
                    source=source,
                    field=field_path,
                    provider="haproxy",
                    security=True,
                )
                report.record(
                    source, field_path, Status.UNSUPPORTED, note=message, provider="haproxy"
                )
                continue
            note = (
                f"a global setting the conversion does not carry ({spec.note})"
                if spec is not None
                else "not a key of the controller's catalog"
            )
            report.record(source, field_path, Status.IGNORED, note=note, provider="haproxy")
