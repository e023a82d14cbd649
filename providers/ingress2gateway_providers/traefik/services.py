"""Where a router sends its requests: the ``services`` of an IngressRoute route.

* ``kind: Service`` (the default) → a backendRef (``port`` by number, or by name resolved
  through the Service in the input); several services → weights (Traefik's weighted round
  robin; ``weight`` defaults to 1).
* ``kind: TraefikService`` → ``weighted.services`` become weighted backendRefs;
  ``mirroring`` → the main service plus RequestMirror filters (``percent``); ``failover`` →
  its main service only (reported: Gateway API has no fallback backend).
* ``sticky.cookie`` → cookie session affinity (an extension); ``scheme: https``,
  ``serversTransport``, ``passHostHeader: false``, health checks and strategies are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.ir import (
    BackendRef,
    Extension,
    Filter,
    Provenance,
    RequestMirror,
    SessionAffinity,
)
from ingress2gateway.reporting.report import Status

from .common import TraefikRun, as_dict, as_list, parse_bool, parse_int

# Service fields with no Gateway API equivalent, and what Traefik did with them.
_REPORTED = {
    "scheme": "the scheme towards the pods (https is not verified by Traefik unless a ServersTransport says so); set appProtocol or a BackendTLSPolicy",
    "serversTransport": "a ServersTransport (backend TLS, timeouts) is not carried; see BackendTLSPolicy",
    "passHostHeader": "passHostHeader false (Traefik sent the backend's address as Host) is not carried",
    "responseForwarding": "response flushing is the implementation's",
    "strategy": "the load-balancing strategy is the implementation's",
    "healthCheck": "active health checks are the implementation's",
    "passiveHealthCheck": "passive health checks are the implementation's",
    "nativeLB": "Traefik used the ClusterIP; Gateway implementations pick endpoints themselves",
    "nodePortLB": "Traefik used node ports; Gateway implementations pick endpoints themselves",
    "middlewares": "service-level middlewares are not carried",
    "percent": "percent of a mirror without a TraefikService mirroring",
}


@dataclass
class Backends:
    refs: list[BackendRef] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)


def _port(run: TraefikRun, namespace: str | None, name: str, value: object) -> int | None:
    number = parse_int(value)
    if number is not None:
        return number if 0 < number < 65536 else None
    if not isinstance(value, str):
        return None
    service = run.services.get((namespace, name))
    for port in as_list(service.spec.get("ports")) if service is not None else []:
        if as_dict(port).get("name") == value:
            return parse_int(as_dict(port).get("port"))
    return None


def backends(
    run: TraefikRun,
    namespace: str | None,
    services: list[Any],
    where: Provenance,
    depth: int = 0,
    single: bool = False,
) -> Backends | None:
    """The backendRefs of a route's ``services``; None (reported) when one cannot be
    resolved, as Traefik refuses such a router."""
    out = Backends()
    source = where.source
    for index, item in enumerate(services):
        spec = as_dict(item)
        field_path = where.field if single else f"{where.field}[{index}]"
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            run.invalid(source, field_path, "a service needs a name; Traefik refuses the router")
            return None
        ns = spec.get("namespace") if isinstance(spec.get("namespace"), str) else namespace
        if ns != namespace and not run.allow_cross_namespace:
            run.invalid(
                source,
                field_path,
                f"service {ns}/{name} is in another namespace and allowCrossNamespace is off: "
                "Traefik refuses the router",
            )
            return None
        weight = parse_int(spec.get("weight")) if "weight" in spec else None
        kind = spec.get("kind", "Service")
        if kind == "TraefikService":
            inner = _traefik_service(run, ns, name, Provenance(source, field_path), depth)
            if inner is None:
                return None
            if weight is not None and len(inner.refs) == 1:
                inner.refs[0].weight = weight
            out.refs.extend(inner.refs)
            out.filters.extend(inner.filters)
            out.extensions.extend(inner.extensions)
            continue
        port = _port(run, ns, name, spec.get("port"))
        if port is None:
            run.invalid(
                source,
                f"{field_path}.port",
                f"port {spec.get('port')!r} of service {name} cannot be resolved (a number, or a "
                "port name of the Service in the input); Traefik refuses the router",
            )
            return None
        run.service_users.add((ns, name))
        ref = BackendRef(
            name=name,
            namespace=ns if ns != namespace else None,
            port=port,
            weight=weight if len(services) > 1 or weight == 0 else None,
            provenance=[Provenance(source, field_path)],
        )
        out.refs.append(ref)
        _service_fields(run, spec, Provenance(source, field_path), out, name, ns)
    return out


def _service_fields(
    run: TraefikRun,
    spec: dict[str, Any],
    where: Provenance,
    out: Backends,
    name: str,
    namespace: str | None,
) -> None:
    source = where.source
    for key in sorted(spec):
        field_path = f"{where.field}.{key}"
        if key in ("name", "namespace", "port", "weight", "kind"):
            run.record(source, field_path, Status.CONVERTED)
        elif key == "sticky":
            cookie = as_dict(as_dict(spec["sticky"]).get("cookie"))
            cookie_name = cookie.get("name") if isinstance(cookie.get("name"), str) else None
            same_site = cookie.get("sameSite")
            out.extensions.append(
                SessionAffinity(
                    cookie_name=cookie_name,
                    ttl_seconds=parse_int(cookie.get("maxAge")) or None,
                    path=cookie.get("path") if isinstance(cookie.get("path"), str) else None,
                    same_site=same_site.capitalize()  # type: ignore[arg-type]
                    if isinstance(same_site, str) and same_site.lower() in ("strict", "lax", "none")
                    else None,
                    secure="always" if parse_bool(cookie.get("secure")) else None,
                    provenance=[Provenance(source, field_path)],
                )
            )
        elif key == "passHostHeader" and parse_bool(spec[key]) is not False:
            run.record(source, field_path, Status.CONVERTED, "Host is passed on, as in Gateway API")
        elif key == "scheme" and spec[key] in ("http", "h2c"):
            run.record(source, field_path, Status.CONVERTED, "plain HTTP towards the pods")
        elif key in _REPORTED:
            run.unsupported(source, field_path, f"{key}: {_REPORTED[key]}")
        else:
            run.unsupported(
                source, field_path, f"{key} is not a service field this converter knows"
            )


def _traefik_service(
    run: TraefikRun, namespace: str | None, name: str, where: Provenance, depth: int
) -> Backends | None:
    obj = run.find("TraefikService", namespace, name)
    if obj is None:
        run.missing(
            where.source,
            where.field,
            f"TraefikService {namespace}/{name} is not in the input: Traefik refuses the router",
        )
        return None
    if depth > 4:
        run.invalid(where.source, where.field, "TraefikServices nested too deep (or in a loop)")
        return None
    run.use(obj)
    source = obj.source()
    if "weighted" in obj.spec:
        weighted = as_dict(obj.spec["weighted"])
        out = backends(
            run,
            obj.namespace,
            as_list(weighted.get("services")),
            Provenance(source, "spec.weighted.services"),
            depth + 1,
        )
        if out is None:
            return None
        for ref in out.refs:
            if ref.weight is None:
                ref.weight = 1
        run.record(source, "spec.weighted.services", Status.CONVERTED)
        if "sticky" in weighted:
            run.unsupported(
                source, "spec.weighted.sticky", "stickiness across weighted services is not carried"
            )
        return out
    if "mirroring" in obj.spec:
        mirroring = as_dict(obj.spec["mirroring"])
        main_spec = {
            k: v for k, v in mirroring.items() if k in ("name", "namespace", "port", "kind")
        }
        main = backends(
            run,
            obj.namespace,
            [main_spec],
            Provenance(source, "spec.mirroring"),
            depth + 1,
            single=True,
        )
        if main is None:
            return None
        for index, mirror in enumerate(as_list(mirroring.get("mirrors"))):
            spec = as_dict(mirror)
            field_path = f"spec.mirroring.mirrors[{index}]"
            mirror_name = spec.get("name")
            port = _port(run, obj.namespace, str(mirror_name), spec.get("port"))
            if not isinstance(mirror_name, str) or port is None:
                run.invalid(source, field_path, "a mirror needs a name and a port")
                continue
            percent = parse_int(spec.get("percent"))
            main.filters.append(
                RequestMirror(
                    backend=BackendRef(
                        name=mirror_name, port=port, provenance=[Provenance(source, field_path)]
                    ),
                    percent=percent if percent is not None and 0 <= percent < 100 else None,
                    provenance=[Provenance(source, field_path)],
                )
            )
            run.record(source, field_path, Status.CONVERTED)
        for key in ("maxBodySize", "mirrorBody"):
            if key in mirroring:
                run.record(
                    source,
                    f"spec.mirroring.{key}",
                    Status.IGNORED,
                    "Gateway API mirrors the whole request",
                )
        return main
    if "failover" in obj.spec:
        failover = as_dict(obj.spec["failover"])
        service = failover.get("service")
        run.unsupported(
            source,
            "spec.failover",
            "failover: Gateway API has no fallback backend; only the main service is converted",
        )
        if not isinstance(service, str):
            return None
        return _traefik_service(
            run, obj.namespace, service, Provenance(source, "spec.failover"), depth + 1
        )
    run.unsupported(source, "spec", "a TraefikService of a kind this converter does not read")
    return None
