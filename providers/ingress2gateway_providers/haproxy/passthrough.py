"""``ssl-passthrough: "true"``: both controllers route the TLS connections of the Ingress's hosts
by SNI to the backend, without terminating them (HAProxy Technologies switches its TLS frontend
to TCP mode, ``pkg/ingress/ingress.go``; HAProxy Ingress per host, ``readPathType`` skips the
host's HTTP paths). Such an Ingress becomes a Passthrough TLS listener and a TLSRoute per host,
to the backend of the host's first path; its HTTP annotations and TLS certificates do not apply
(ledger: ignored), and it serves no plain-HTTP route.
"""

from __future__ import annotations

from collections.abc import Mapping

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import IngressModel, ServiceBackend, service_ports
from ingress2gateway.converting.lowering import DEFAULT_SHARED_NAMESPACE, Lowered
from ingress2gateway.ir import BackendRef, Gateway, Listener, Provenance, TLSRoute, made_from
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .keys import PROVIDER, Keys


def only_passthrough(keys: Keys) -> bool:
    return bool(keys.has("ssl-passthrough") and keys.flag("ssl-passthrough", False))


def _gateway(ctx: ProviderContext, lowered: Lowered, model: IngressModel) -> Gateway:
    options = ctx.options
    class_name = model.class_name or "haproxy"
    wanted_class = options.gateway_class_name or class_name
    per_ns = model.namespace if options.gateway_per_namespace else None
    for gateway in ctx.ir.gateways:
        if gateway.gateway_class == wanted_class and (
            not options.gateway_per_namespace or gateway.namespace == per_ns
        ):
            return gateway
    if options.gateway_per_namespace:
        namespace = per_ns
    elif options.gateway_namespace:
        namespace = options.gateway_namespace
    else:
        namespace = model.namespace or DEFAULT_SHARED_NAMESPACE
    name = ctx.allocator("Gateway", namespace).allocate(
        options.gateway_name or class_name, f"gateway/{class_name}/{per_ns}"
    )
    gateway = Gateway(name=name, namespace=namespace, gateway_class=wanted_class)
    ctx.ir.gateways.append(gateway)
    lowered.gateways.append(gateway)
    return gateway


def _listener(gateway: Gateway, host: str, provenance: Provenance) -> Listener:
    for listener in gateway.listeners:
        if listener.protocol == "TLS" and listener.port == 443 and listener.hostname == host:
            return listener
    taken = {item.name for item in gateway.listeners}
    base = f"{naming.host_slug(host)}-passthrough"
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}-{counter}", counter + 1
    listener = Listener(
        name=name,
        port=443,
        protocol="TLS",
        hostname=host,
        tls_mode="Passthrough",
        provenance=[provenance],
    )
    gateway.listeners.append(listener)
    return listener


def apply(
    ctx: ProviderContext, keys: Mapping[int, Keys], models: list[IngressModel], lowered: Lowered
) -> None:
    ports = service_ports(ctx.objects)
    report = ctx.report
    for model in models:
        k = keys[id(model)]
        if not only_passthrough(k):
            if k.has("ssl-passthrough"):
                k.record("ssl-passthrough", Status.CONVERTED, "false: TLS is terminated")
            continue
        done: set[str | None] = set()
        routes: list[TLSRoute] = []
        for path in model.paths:
            if path.host in done or path.host is None:
                if path.host is None:
                    report.flag(
                        Level.WARNING,
                        "haproxy-passthrough",
                        "a rule without host cannot be passed through by SNI; not converted",
                        Status.UNSUPPORTED,
                        source=model.source,
                        field=path.field,
                        provider=PROVIDER,
                    )
                else:
                    report.record(
                        model.source,
                        path.field,
                        Status.IGNORED,
                        note="TLS passthrough routes a host to one backend: its first path's",
                        provider=PROVIDER,
                    )
                continue
            backend = path.backend
            port = None
            if isinstance(backend, ServiceBackend):
                port = backend.port_number
                if port is None and backend.port_name is not None:
                    port = ports.get((model.namespace, backend.name), {}).get(backend.port_name)
            if not isinstance(backend, ServiceBackend) or port is None:
                report.flag(
                    Level.ERROR,
                    "backend-port-unresolved",
                    "the backend's Service port cannot be resolved (add the Service to the "
                    "input or use a port number); not converted",
                    Status.UNSUPPORTED,
                    source=model.source,
                    field=path.field,
                    provider=PROVIDER,
                )
                continue
            done.add(path.host)
            provenance = Provenance(model.source, path.field)
            gateway = _gateway(ctx, lowered, model)
            listener = _listener(
                gateway,
                path.host,
                Provenance(k.source("ssl-passthrough"), k.field("ssl-passthrough")),
            )
            if model.namespace != gateway.namespace:
                listener.allowed_namespaces.add(model.namespace)
            route = TLSRoute(
                name=ctx.allocator("TLSRoute", model.namespace).allocate(
                    f"{model.name}-{naming.host_slug(path.host)}",
                    f"haproxy/tls/{model.namespace}/{model.name}/{path.host}",
                ),
                namespace=model.namespace,
                hostnames=[path.host],
                parent_refs=[gateway.parent_ref(model.namespace, listener.name)],
                backend_refs=[BackendRef(name=backend.name, port=port, provenance=[provenance])],
                provenance=[
                    provenance,
                    Provenance(model.source, f"spec.rules[{path.rule_index}].host"),
                ],
            )
            ctx.ir.routes.append(route)
            routes.append(route)
            made_from(gateway, provenance)
            report.record(model.source, path.field, Status.CONVERTED, provider=PROVIDER)
        for tls in model.tls:
            report.record(
                model.source,
                f"spec.tls[{tls.index}]",
                Status.IGNORED,
                note="TLS is passed through: the backend presents its own certificate",
                provider=PROVIDER,
            )
        if model.default_backend_field:
            report.record(
                model.source,
                model.default_backend_field,
                Status.IGNORED,
                note="TLS passthrough routes hosts only",
                provider=PROVIDER,
            )
        k.converted("ssl-passthrough", routes)
        k.notify(
            Level.WARNING,
            "haproxy-passthrough",
            "ssl-passthrough",
            "TLS connections of the Ingress's hosts go to the backend through TLSRoutes on "
            "Passthrough listeners; its HTTP annotations do not apply and no plain-HTTP route "
            "is made",
        )
        for name in k.names():
            if name not in (
                "ssl-passthrough",
                "ssl-passthrough-http-port",
            ) and not report.has_entry(model.source, k.field(name)):
                k.record(
                    name,
                    Status.IGNORED,
                    "the Ingress is passed through: HTTP settings do not apply",
                )
