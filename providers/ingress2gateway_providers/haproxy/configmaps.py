"""The controllers' ConfigMaps: global defaults of the keys.

HAProxy Technologies reads a key from the ConfigMap when neither the Service nor the Ingress
sets it (``pkg/annotations/common/main.go``), for the keys whose scope includes the ConfigMap;
HAProxy Ingress reads every key from its ConfigMap (Global < IngressClass < Ingress < Service,
``keys.md`` "Strategies"), and its Global keys (``ssl-redirect-code``...) from there only. A
ConfigMap is read when it is in the input: ``--provider-option haproxy.configmap=NS/NAME``
(HAProxy Technologies', default name ``haproxy-kubernetes-ingress``) and
``haproxy.ingress-configmap=NS/NAME`` (``--haproxy-ingress-configmap``; default name
``haproxy-ingress``); with a namespace, they are read from the cluster too. Its keys apply to
every Ingress of that controller: an allow-list there guards every route. Keys the
conversion uses get their ledger entry on the ConfigMap.
"""

from __future__ import annotations

from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXY_INGRESS, HAPROXYTECH, lookup
from .keys import Defaults

TECH_OPTION = "configmap"
COMMUNITY_OPTION = "ingress-configmap"
TECH_DEFAULT = "haproxy-kubernetes-ingress"
COMMUNITY_DEFAULT = "haproxy-ingress"


def read(ctx: ProviderContext) -> dict[str, Defaults]:
    options = ctx.options.for_provider("haproxy")
    found: dict[str, Defaults] = {}
    for controller, option, default in (
        (HAPROXYTECH, TECH_OPTION, TECH_DEFAULT),
        (HAPROXY_INGRESS, COMMUNITY_OPTION, COMMUNITY_DEFAULT),
    ):
        wanted = options.get(option) or default
        namespace, _, name = wanted.rpartition("/")
        for obj in ctx.objects:
            if obj.kind != "ConfigMap" or obj.name != name:
                continue
            if namespace and obj.namespace != namespace:
                continue
            data = obj.data.get("data")
            values = {
                key: value
                for key, value in (data.items() if isinstance(data, dict) else [])
                if isinstance(key, str)
                and isinstance(value, str)
                and (spec := lookup(controller, key)) is not None
                and (controller == HAPROXY_INGRESS or "ConfigMap" in spec.scope)
            }
            ctx.claim(obj)
            found[controller] = Defaults(obj.source(), values)
            break
    return found


def account(ctx: ProviderContext, defaults: dict[str, Defaults]) -> None:
    """Give every key of the ConfigMaps read an entry: those the conversion used have one;
    raw configuration is a security warning (it may restrict access); the rest is ignored."""
    carried = ctx.ir.extension_fields()
    report = ctx.report
    for controller, found in sorted(defaults.items()):
        obj = next((o for o in ctx.objects if o.source() == found.source), None)
        data = obj.data.get("data") if obj is not None else None
        for key in sorted(data if isinstance(data, dict) else {}):
            field = f"data[{key}]"
            if report.has_entry(found.source, field) or (found.source, field) in carried:
                continue
            spec = lookup(controller, str(key))
            if "snippet" in str(key) or str(key).startswith("config-"):
                message = f"{key}: raw HAProxy configuration is never translated"
                report.notify(
                    Level.ERROR,
                    "annotation-unsupported",
                    message,
                    source=found.source,
                    field=field,
                    provider="haproxy",
                    security=True,
                )
                report.record(
                    found.source, field, Status.UNSUPPORTED, note=message, provider="haproxy"
                )
                continue
            note = (
                f"a global setting the conversion does not carry ({spec.note})"
                if spec is not None
                else "not a key of the controller's catalog"
            )
            report.record(found.source, field, Status.IGNORED, note=note, provider="haproxy")
