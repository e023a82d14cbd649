"""HAProxy Technologies' custom resources (``ingress.v3.haproxy.org``, older
``ingress.v1.haproxy.org`` and ``core.haproxy.org``).

* ``TCP`` (``documentation/custom-resource-tcp.md``): each entry exposes a Service on the ports
  of its frontend's ``binds``. A plain bind becomes a TCP listener on that port and a TCPRoute to
  ``service``; a bind with ``ssl: true`` (TLS terminated with ``ssl_certificate``) and the
  SNI-switched ``services`` list are reported, as are the frontend's HAProxy directives (ACLs,
  captures, filters, log formats, tcp-request rules). Only TCP resources whose ``ingress.class``
  annotation names a class of this provider (or that have none) are read, as the controller does
  (``pkg/k8s/cr-tcp.go``).
* ``Global``, ``Defaults``, ``Backend``, ``Frontend`` configure HAProxy sections (processes,
  timeouts, balance, binds), not routing: they are reported as not converted, and the ConfigMap
  keys ``cr-global``, ``cr-defaults``, ``cr-backend``, ``cr-frontend-*`` that attach them are not
  read. ``ValidationRules`` (custom annotations) are reported the same way.
"""

from __future__ import annotations

from typing import Any

from ingress2gateway.converting.lowering import DEFAULT_SHARED_NAMESPACE
from ingress2gateway.ir import BackendRef, Gateway, Listener, Provenance, TCPRoute, made_from
from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import CatalogRow, ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .keys import PROVIDER

GROUPS = ("ingress.v3.haproxy.org", "ingress.v1.haproxy.org", "core.haproxy.org")
_SECTIONS = ("Global", "Defaults", "Backend", "Frontend", "ValidationRules")
_VERSIONS = {
    "ingress.v3.haproxy.org": "v3",
    "ingress.v1.haproxy.org": "v1",
    "core.haproxy.org": "v1alpha1",
}
KINDS: tuple[ResourceKind, ...] = tuple(
    ResourceKind(group, _VERSIONS[group], f"{kind.lower()}s", kind)
    for group in GROUPS
    for kind in ("TCP", *_SECTIONS)
    if not (group == "core.haproxy.org" and kind in ("TCP", "Frontend", "ValidationRules"))
)
_TCP_ENTRY_KEYS = frozenset({"name", "frontend", "service", "services"})
_FRONTEND_ROUTING = frozenset({"name", "binds"})


def catalog_rows() -> list[CatalogRow]:
    return [
        CatalogRow(
            "TCP spec[].frontend.binds",
            "converted",
            "a TCP listener per port, plain binds only",
            "TCP",
            "medium",
        ),
        CatalogRow("TCP spec[].service", "converted", "the TCPRoute's backend", "TCP", "medium"),
        CatalogRow(
            "TCP spec[].frontend.binds.*.ssl",
            "unsupported",
            "TLS terminated by HAProxy for a TCP service: reported",
            "TCP",
            "medium",
        ),
        CatalogRow(
            "TCP spec[].services",
            "unsupported",
            "several Services switched by SNI ACLs: reported",
            "TCP",
            "medium",
        ),
        CatalogRow(
            "TCP spec[].frontend.*",
            "unsupported",
            "HAProxy frontend directives (ACLs, captures, filters, logging, tcp-request rules): reported",
            "TCP",
            "low",
        ),
        *(
            CatalogRow(
                f"{kind} spec",
                "unsupported",
                "configures an HAProxy section, not routing: reported",
                kind,
                "low",
            )
            for kind in _SECTIONS
        ),
    ]


def _ours(obj: KubeObject) -> bool:
    return obj.group in GROUPS and obj.kind in ("TCP", *_SECTIONS)


def convert(ctx: ProviderContext) -> None:
    classes = set(ctx.options.ingress_classes or ("haproxy",))
    for obj in ctx.objects:
        if not _ours(obj) or id(obj) in ctx.claimed:
            continue
        if obj.kind == "TCP":
            wanted = obj.annotations.get("ingress.class")
            if isinstance(wanted, str) and wanted and wanted not in classes:
                continue
            ctx.claim(obj)
            _tcp(ctx, obj)
            continue
        ctx.claim(obj)
        ctx.report.flag(
            Level.WARNING,
            "haproxy-resource-unsupported",
            f"{obj.kind} {obj.name} configures an HAProxy {obj.kind.lower()} section (processes, "
            "timeouts, balance, binds...), which Gateway API does not describe; not converted",
            Status.UNSUPPORTED,
            source=obj.source(),
            field="spec",
            provider=PROVIDER,
        )


def _gateway(ctx: ProviderContext, obj: KubeObject) -> Gateway:
    options = ctx.options
    class_name = "haproxy"
    wanted_class = options.gateway_class_name or class_name
    per_ns = obj.namespace if options.gateway_per_namespace else None
    for gateway in ctx.ir.gateways:
        if gateway.gateway_class == wanted_class and (
            not options.gateway_per_namespace or gateway.namespace == per_ns
        ):
            return gateway
    namespace = (
        per_ns
        if options.gateway_per_namespace
        else (options.gateway_namespace or obj.namespace or DEFAULT_SHARED_NAMESPACE)
    )
    name = ctx.allocator("Gateway", namespace).allocate(
        options.gateway_name or class_name, f"gateway/{class_name}/{per_ns}"
    )
    gateway = Gateway(name=name, namespace=namespace, gateway_class=wanted_class)
    ctx.ir.gateways.append(gateway)
    return gateway


def _port(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536:
        return value
    return None


def _tcp(ctx: ProviderContext, obj: KubeObject) -> None:
    report = ctx.report
    source = obj.source()
    spec = obj.data.get("spec")
    if not isinstance(spec, list):
        report.flag(
            Level.WARNING,
            "haproxy-value-invalid",
            "spec is not a list of TCP services; not converted",
            Status.UNSUPPORTED,
            source=source,
            field="spec",
            provider=PROVIDER,
        )
        return
    for index, entry in enumerate(spec):
        base = f"spec[{index}]"
        if not isinstance(entry, dict):
            report.flag(
                Level.WARNING,
                "haproxy-value-invalid",
                "not a mapping; not converted",
                Status.UNSUPPORTED,
                source=source,
                field=base,
                provider=PROVIDER,
            )
            continue
        for key in sorted(set(entry) - _TCP_ENTRY_KEYS):
            report.record(
                source,
                f"{base}.{key}",
                Status.IGNORED,
                note="not read by the controller",
                provider=PROVIDER,
            )
        if "services" in entry:
            report.flag(
                Level.WARNING,
                "annotation-unsupported",
                "several Services chosen by SNI ACLs (backend_switching_rule_list) are not converted; only service is",
                Status.UNSUPPORTED,
                source=source,
                field=f"{base}.services",
                provider=PROVIDER,
            )
        frontend = entry.get("frontend")
        service = entry.get("service")
        if not isinstance(frontend, dict) or not isinstance(service, dict):
            report.flag(
                Level.WARNING,
                "haproxy-value-invalid",
                "an entry needs frontend and service; not converted",
                Status.UNSUPPORTED,
                source=source,
                field=base,
                provider=PROVIDER,
            )
            continue
        for key in sorted(set(frontend) - _FRONTEND_ROUTING):
            report.flag(
                Level.WARNING,
                "annotation-unsupported",
                f"frontend.{key}: an HAProxy frontend directive, not converted",
                Status.UNSUPPORTED,
                source=source,
                field=f"{base}.frontend.{key}",
                provider=PROVIDER,
            )
        name, port = service.get("name"), _port(service.get("port"))
        if not isinstance(name, str) or not name or port is None:
            report.flag(
                Level.WARNING,
                "haproxy-value-invalid",
                "service needs a name and a port number; not converted",
                Status.UNSUPPORTED,
                source=source,
                field=f"{base}.service",
                provider=PROVIDER,
            )
            continue
        binds = frontend.get("binds")
        ports: list[int] = []
        for bind_name, bind in sorted((binds or {}).items()) if isinstance(binds, dict) else []:
            field = f"{base}.frontend.binds.{bind_name}"
            bind_port = _port(bind.get("port")) if isinstance(bind, dict) else None
            if bind_port is None:
                report.flag(
                    Level.WARNING,
                    "haproxy-value-invalid",
                    "a bind without a valid port; not converted",
                    Status.UNSUPPORTED,
                    source=source,
                    field=field,
                    provider=PROVIDER,
                )
                continue
            if isinstance(bind, dict) and bind.get("ssl"):
                report.flag(
                    Level.WARNING,
                    "annotation-unsupported",
                    "TLS terminated by HAProxy in front of a TCP service is not converted (a TLS listener in Terminate mode with a TCPRoute is not portable)",
                    Status.UNSUPPORTED,
                    source=source,
                    field=field,
                    provider=PROVIDER,
                )
                continue
            report.record(source, field, Status.CONVERTED, provider=PROVIDER)
            if bind_port not in ports:
                ports.append(bind_port)
        if not ports:
            report.record(
                source,
                f"{base}.service",
                Status.UNSUPPORTED,
                note="no plain bind to expose it on",
                provider=PROVIDER,
            )
            report.record(source, f"{base}.frontend.name", Status.IGNORED, provider=PROVIDER)
            continue
        gateway = _gateway(ctx, obj)
        provenance = Provenance(source, f"{base}.service")
        for listen in ports:
            listener = next(
                (x for x in gateway.listeners if x.protocol == "TCP" and x.port == listen), None
            )
            if listener is None:
                listener = Listener(
                    name=f"tcp-{listen}",
                    port=listen,
                    protocol="TCP",
                    provenance=[Provenance(source, f"{base}.frontend.binds")],
                )
                gateway.listeners.append(listener)
            if obj.namespace != gateway.namespace:
                listener.allowed_namespaces.add(obj.namespace)
            route = TCPRoute(
                name=ctx.allocator("TCPRoute", obj.namespace).allocate(
                    f"{obj.name}-{entry.get('name') or index}-{listen}",
                    f"haproxy/tcp/{obj.namespace}/{obj.name}/{index}/{listen}",
                ),
                namespace=obj.namespace,
                parent_refs=[gateway.parent_ref(obj.namespace, listener.name)],
                backend_refs=[BackendRef(name=name, port=port, provenance=[provenance])],
                provenance=[provenance],
            )
            ctx.ir.routes.append(route)
            made_from(gateway, provenance)
        report.record(source, f"{base}.service", Status.CONVERTED, provider=PROVIDER)
        report.record(source, f"{base}.name", Status.CONVERTED, provider=PROVIDER)
        report.record(
            source,
            f"{base}.frontend.name",
            Status.IGNORED,
            note="the HAProxy frontend's name",
            provider=PROVIDER,
        )
    for key in sorted(obj.annotations):
        note = (
            "selects the controller that reads it"
            if key == "ingress.class"
            else "not routing configuration"
        )
        report.record(
            source,
            f"metadata.annotations[{key}]",
            Status.CONVERTED if key == "ingress.class" else Status.IGNORED,
            note=note,
            provider=PROVIDER,
        )
