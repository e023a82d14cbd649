"""**TLS passthrough.** ``tls-passthrough: enabled`` (or a ParseBool truth; alias
``io.cilium.ingress/tls-passthrough``) makes Cilium route TLS connections by SNI, unopened
(``ingestion/ingress.go IngressPassthrough``): each rule host gets a TLS listener whose
connections go to the backend of the rule's ``/`` path. Cilium ignores rules without host,
paths other than ``/`` (whatever their type), the default backend and ``spec.tls``; an Ingress
left with no route serves nothing. Here each host becomes a ``TLS`` listener on port 443 in
``Passthrough`` mode and a TLSRoute with that host; what Cilium ignored is reported. A second
``/`` path of the same host is reported (one TLSRoute per host).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import (
    IngressModel,
    ResourceBackend,
    ServiceBackend,
    service_ports,
)
from ingress2gateway.converting.lowering import Lowered, hostname_problem
from ingress2gateway.ir import BackendRef, Gateway, Listener, Provenance, TLSRoute
from ingress2gateway.reporting.report import Level, Status

from . import catalog, values
from .common import NAME, CiliumRun, annotation_field


def convert(
    run: CiliumRun,
    models: Sequence[IngressModel],
    lowered: Lowered,
    gateway_for: Callable[[IngressModel], Gateway],
) -> None:
    """TLS listeners and TLSRoutes for the passthrough ``models``; ``gateway_for`` gives (and
    makes, the first time) the Gateway of a model, asked only once it has a listener to hold."""
    ports = service_ports(run.ctx.objects)
    report = run.ctx.report
    for model in models:
        key = values.first_key(
            model.obj.annotations, catalog.TLS_PASSTHROUGH, catalog.TLS_PASSTHROUGH_ALIAS
        )
        assert key is not None
        _ignore_rest(run, model)
        made = 0
        done: dict[str, str] = {}
        for index, host in model.rule_hosts:
            if host is None:
                continue
            problem = hostname_problem(host)
            host_field = f"spec.rules[{index}].host"
            if problem is not None:
                run.flag(
                    Level.ERROR,
                    "ingress-invalid-part",
                    model,
                    host_field,
                    f"host {host!r} {problem}; its paths are not converted",
                    Status.UNSUPPORTED,
                )
        for path in model.paths:
            if path.host is None:
                continue
            if hostname_problem(path.host) is not None:
                report.record(
                    model.source,
                    path.field,
                    Status.UNSUPPORTED,
                    note="its rule's host is invalid",
                    provider=NAME,
                )
                continue
            if path.path != "/":
                run.flag(
                    Level.WARNING,
                    "cilium-passthrough",
                    model,
                    path.field,
                    f"path {path.path[:80]!r}: Cilium routes a passthrough host by SNI alone and "
                    "ignores every path but /; not converted",
                    Status.IGNORED,
                )
                continue
            if path.host in done:
                run.flag(
                    Level.WARNING,
                    "cilium-passthrough",
                    model,
                    path.field,
                    f"host {path.host} already passes through to the backend of "
                    f"{done[path.host]}: one TLSRoute per host; this backend is not used",
                    Status.IGNORED,
                )
                continue
            backend = _backend(run, model, path.backend, path.field, ports)
            if backend is None:
                continue
            gateway = gateway_for(model)
            listener = _listener(gateway, path.host, model, path.field)
            if listener is None:
                run.flag(
                    Level.WARNING,
                    "cilium-passthrough",
                    model,
                    path.field,
                    f"the Gateway already terminates TLS for {path.host} on port 443: a "
                    "passthrough listener for the same host would conflict; not converted",
                    Status.UNSUPPORTED,
                )
                continue
            if model.namespace != gateway.namespace:
                listener.allowed_namespaces.add(model.namespace)
            route = TLSRoute(
                name=run.ctx.allocator("TLSRoute", model.namespace).allocate(
                    f"{model.name}-{naming.host_slug(path.host)}",
                    f"cilium-tls/{model.namespace}/{model.name}/{path.host}",
                ),
                namespace=model.namespace,
                hostnames=[path.host],
                parent_refs=[gateway.parent_ref(model.namespace, listener.name)],
                backend_refs=[backend],
                provenance=[
                    Provenance(model.source, path.field),
                    Provenance(model.source, f"spec.rules[{path.rule_index}].host"),
                    Provenance(model.source, annotation_field(key)),
                ],
            )
            run.ctx.ir.routes.append(route)
            done[path.host] = path.field
            made += 1
            report.record(model.source, path.field, Status.CONVERTED, provider=NAME)
            report.record(
                model.source, f"spec.rules[{path.rule_index}].host", Status.CONVERTED, provider=NAME
            )
        if made and model.class_field:
            report.record(model.source, model.class_field, Status.CONVERTED, provider=NAME)
            gateway_for(model).provenance.append(Provenance(model.source, model.class_field))
        if made:
            run.record(model, key, Status.CONVERTED, "TLS passthrough listeners and TLSRoutes")
        else:
            run.flag(
                Level.WARNING,
                "cilium-passthrough",
                model,
                annotation_field(key),
                "no rule of this passthrough Ingress has a host and a / path: Cilium served "
                "nothing for it, nor does the output",
                Status.IGNORED,
            )


def _ignore_rest(run: CiliumRun, model: IngressModel) -> None:
    if model.default_backend_field is not None:
        run.flag(
            Level.WARNING,
            "cilium-passthrough",
            model,
            model.default_backend_field,
            "Cilium ignores the default backend of a passthrough Ingress; not converted",
            Status.IGNORED,
        )
    for index, host in model.rule_hosts:
        if host is None:
            run.flag(
                Level.WARNING,
                "cilium-rule-skipped",
                model,
                f"spec.rules[{index}]",
                "a rule without host: Cilium skips it on a passthrough Ingress (SNI needs a "
                "host); not converted",
                Status.IGNORED,
            )
    for path in model.paths:
        if path.host is None:
            run.ctx.report.record(
                model.source,
                path.field,
                Status.IGNORED,
                note="skipped with its rule, which has no host",
                provider=NAME,
            )
    for index in model.hostless_rules:
        run.flag(
            Level.INFO,
            "cilium-rule-skipped",
            model,
            f"spec.rules[{index}]",
            "a rule without http: Cilium skips it",
            Status.IGNORED,
        )
    for tls in model.tls:
        run.ctx.report.record(
            model.source,
            tls.field,
            Status.IGNORED,
            note="passthrough: the backend terminates TLS with its own certificate",
            provider=NAME,
        )


def _backend(
    run: CiliumRun,
    model: IngressModel,
    backend: ServiceBackend | ResourceBackend,
    field_path: str,
    ports: dict[tuple[str | None, str], dict[str, int]],
) -> BackendRef | None:
    if isinstance(backend, ResourceBackend):
        run.flag(
            Level.WARNING,
            "cilium-passthrough",
            model,
            field_path,
            f"Cilium routes only to Services; the {backend.kind} backend is not converted",
            Status.UNSUPPORTED,
        )
        return None
    port = backend.port_number
    if port is None and backend.port_name is not None:
        port = ports.get((model.namespace, backend.name), {}).get(backend.port_name)
        if port is None:
            run.flag(
                Level.ERROR,
                "backend-port-unresolved",
                model,
                field_path,
                f"cannot resolve the backend port name {backend.port_name!r} of Service "
                f"{backend.name}: add the Service to the input (or use a port number)",
                Status.UNSUPPORTED,
            )
            return None
    return BackendRef(
        name=backend.name, port=port, provenance=[Provenance(model.source, field_path)]
    )


def _listener(gateway: Gateway, host: str, model: IngressModel, field_path: str) -> Listener | None:
    for listener in gateway.listeners:
        if listener.port == 443 and listener.hostname == host:
            if listener.protocol == "TLS":
                return listener
            return None
    listener = Listener(
        name=_free_name(gateway, f"{naming.host_slug(host)}-tls"),
        port=443,
        protocol="TLS",
        hostname=host,
        tls_mode="Passthrough",
        provenance=[Provenance(model.source, field_path)],
    )
    gateway.listeners.append(listener)
    return listener


def _free_name(gateway: Gateway, wanted: str) -> str:
    taken = {listener.name for listener in gateway.listeners}
    name, number = wanted, 1
    while name in taken:
        number += 1
        name = f"{wanted}-{number}"
    return name
