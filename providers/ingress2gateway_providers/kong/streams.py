"""TCPIngress and UDPIngress (``configuration.konghq.com/v1beta1``, deprecated since KIC 3.5,
removed in Kong Operator 2.0).

* A TCPIngress rule without ``host`` → a TCP listener on ``port`` (no hostname: TCP has no
  SNI) and a TCPRoute to ``backend.serviceName:servicePort``.
* A rule with ``host`` → Kong terminated TLS for that SNI: a TLS listener (``mode: Terminate``)
  with the certificate of the ``spec.tls`` entry covering the host, and a TLSRoute for the host.
  With ``konghq.com/protocols: tls_passthrough`` Kong passed TLS through: a ``Passthrough``
  listener (no certificate) and a TLSRoute. A terminating rule without a certificate is reported.
* A UDPIngress rule → a UDP listener on ``port`` and a UDPRoute.

TCPRoute and UDPRoute are experimental-channel kinds before Gateway API v1.6 (TLSRoute before
v1.5); on an older standard target the emitter reports them instead of emitting them. Objects of
another ingress class are skipped; one without a class is converted (KIC's default class).
"""

from __future__ import annotations

from typing import Any

from ingress2gateway.converting import naming
from ingress2gateway.converting.lowering import (
    DEFAULT_SHARED_NAMESPACE,
    hostname_problem,
    tls_covers,
)
from ingress2gateway.ir import (
    BackendRef,
    Gateway,
    Listener,
    Provenance,
    Route,
    SecretRef,
    TCPRoute,
    TLSRoute,
    UDPRoute,
    made_from,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Status

from .common import CLASS_ANNOTATION, KONG_GROUP, KongRun, annotation_field, parse_int, split_list

STREAM_KINDS = ("TCPIngress", "UDPIngress")


def stream_objects(run: KongRun, owned: set[str]) -> list[KubeObject]:
    """TCPIngress/UDPIngress objects of the provider's classes, in a stable order."""
    found = []
    for obj in run.ctx.objects:
        if obj.group != KONG_GROUP or obj.kind not in STREAM_KINDS or id(obj) in run.ctx.claimed:
            continue
        class_name = obj.annotations.get(CLASS_ANNOTATION)
        if not class_name and not run.default_class:
            run.differs(
                obj.source(),
                f"metadata.annotations[{CLASS_ANNOTATION}]",
                f"a {obj.kind} without class: the Kong Ingress Controller served it only if its "
                "class was the cluster's default (getIngressClassHandling), which the input does "
                "not say (an IngressClass marked default, or --default-ingress-class); it is "
                "converted as Kong's",
            )
        if class_name and class_name not in owned:
            message = (
                f"skipped: ingress class {class_name!r} is not owned by the kong provider "
                f"({', '.join(sorted(owned))})"
            )
            run.report.info(
                "ingress-class-not-selected", message, source=obj.source(), provider=run.provider
            )
            run.record(obj.source(), "spec", Status.IGNORED, message)
            continue
        found.append(obj)
    return sorted(found, key=lambda o: (o.namespace or "", o.kind, o.name or ""))


def gateway_for(run: KongRun, objects: list[KubeObject], class_name: str) -> tuple[Gateway, bool]:
    """The Kong Gateway the Ingresses got (False), else a new one laid out the same way (True)."""
    options = run.ctx.options
    per_namespace = objects[0].namespace if options.gateway_per_namespace else None
    for gateway in run.ctx.ir.gateways:
        if gateway.gateway_class == (options.gateway_class_name or class_name) and (
            not options.gateway_per_namespace or gateway.namespace == per_namespace
        ):
            return gateway, False
    namespaces = sorted({o.namespace or "" for o in objects})
    if options.gateway_per_namespace:
        namespace = per_namespace
    elif options.gateway_namespace:
        namespace = options.gateway_namespace
    else:
        namespace = objects[0].namespace if len(namespaces) == 1 else DEFAULT_SHARED_NAMESPACE
    # The same identity as the Ingress lowering's, so both get one name.
    name = run.ctx.allocator("Gateway", namespace).allocate(
        options.gateway_name or class_name, f"gateway/{class_name}/{per_namespace}"
    )
    gateway = Gateway(
        name=name, namespace=namespace, gateway_class=options.gateway_class_name or class_name
    )
    run.ctx.ir.gateways.append(gateway)
    return gateway, True


def convert(run: KongRun, owned: set[str], class_name: str) -> None:
    objects = stream_objects(run, owned)
    groups: dict[str | None, list[KubeObject]] = {}
    for obj in objects:
        key = obj.namespace if run.ctx.options.gateway_per_namespace else None
        groups.setdefault(key, []).append(obj)
    for key in sorted(groups, key=lambda k: k or ""):
        _convert_group(run, groups[key], class_name)


def _convert_group(run: KongRun, objects: list[KubeObject], class_name: str) -> None:
    gateway, created = gateway_for(run, objects, class_name)
    for obj in objects:
        run.use(obj)
        run.deprecated(
            obj,
            "its replacement is a Gateway listener with a TCPRoute/TLSRoute/UDPRoute, as "
            "converted here",
        )
        _convert_object(run, gateway, obj)
    if created and not gateway.listeners:
        # Every rule was unusable: a Gateway without listeners would be rejected.
        run.ctx.ir.gateways.remove(gateway)


def _listener(
    gateway: Gateway,
    protocol: str,
    port: int,
    hostname: str | None,
    mode: str | None,
    certificate: SecretRef | None,
    provenance: Provenance,
) -> Listener:
    for listener in gateway.listeners:
        if (listener.protocol, listener.port, listener.hostname, listener.tls_mode) == (
            protocol,
            port,
            hostname,
            mode,
        ):
            return listener
    taken = {item.name for item in gateway.listeners}
    base = f"{protocol.lower()}-{naming.host_slug(hostname) + '-' if hostname else ''}{port}"
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}-{counter}", counter + 1
    listener = Listener(
        name=name,
        port=port,
        protocol=protocol,  # type: ignore[arg-type]
        hostname=hostname,
        tls_mode=mode,  # type: ignore[arg-type]
        certificate_refs=[certificate] if certificate is not None else [],
        provenance=[provenance],
    )
    gateway.listeners.append(listener)
    return listener


def _backend(rule: dict[str, Any]) -> tuple[str, int] | None:
    backend = rule.get("backend")
    if not isinstance(backend, dict):
        return None
    name, port = backend.get("serviceName"), parse_int(backend.get("servicePort"))
    if not isinstance(name, str) or not name or port is None or not 0 < port < 65536:
        return None
    return name, port


def _certificate(obj: KubeObject, host: str) -> tuple[SecretRef, str] | None:
    tls = obj.spec.get("tls")
    for index, entry in enumerate(tls if isinstance(tls, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("secretName"), str):
            continue
        hosts = [h for h in entry.get("hosts") or [] if isinstance(h, str)]
        if any(tls_covers(h.lower(), host) for h in hosts):
            return SecretRef(entry["secretName"], obj.namespace), f"spec.tls[{index}]"
    return None


def _convert_object(run: KongRun, gateway: Gateway, obj: KubeObject) -> None:
    source = obj.source()
    udp = obj.kind == "UDPIngress"
    protocols = split_list(obj.annotations.get("konghq.com/protocols", ""))
    passthrough = "tls_passthrough" in protocols
    rules = obj.spec.get("rules")
    if not isinstance(rules, list):
        run.invalid(source, "spec.rules", "spec.rules is missing or not a list")
        rules = []
    used_tls: set[str] = set()
    for index, rule in enumerate(rules):
        field_path = f"spec.rules[{index}]"
        provenance = Provenance(source, field_path)
        if not isinstance(rule, dict):
            run.invalid(source, field_path, "not a mapping")
            continue
        port = parse_int(rule.get("port"))
        backend = _backend(rule)
        if port is None or not 0 < port < 65536 or backend is None:
            run.invalid(
                source, field_path, "a rule needs a port and backend.serviceName/servicePort"
            )
            continue
        run.service_users.add((obj.namespace, backend[0]))
        host = rule.get("host") if not udp else None
        host = host.lower() if isinstance(host, str) and host else None
        if host is not None and hostname_problem(host):
            run.invalid(source, f"{field_path}.host", f"host {host!r} is not a DNS name")
            continue
        route: Route
        if udp:
            listener = _listener(gateway, "UDP", port, None, None, None, provenance)
            route = UDPRoute(name="", namespace=obj.namespace)
        elif host is None:
            listener = _listener(gateway, "TCP", port, None, None, None, provenance)
            route = TCPRoute(name="", namespace=obj.namespace)
        elif passthrough:
            listener = _listener(gateway, "TLS", port, host, "Passthrough", None, provenance)
            route = TLSRoute(name="", namespace=obj.namespace, hostnames=[host])
        else:
            found = _certificate(obj, host)
            if found is None:
                run.unsupported(
                    source,
                    field_path,
                    f"Kong terminated TLS for {host} with its default certificate; a Gateway "
                    "listener needs a certificate: add a spec.tls entry (or use "
                    "konghq.com/protocols: tls_passthrough)",
                )
                continue
            secret, tls_field = found
            used_tls.add(tls_field)
            ref = SecretRef(
                secret.name, None if secret.namespace == gateway.namespace else secret.namespace
            )
            listener = _listener(
                gateway, "TLS", port, host, "Terminate", ref, Provenance(source, tls_field)
            )
            route = TLSRoute(name="", namespace=obj.namespace, hostnames=[host])
        kind_name = route.KIND
        route.name = run.ctx.allocator(kind_name, obj.namespace).allocate(
            f"{obj.name}-{index}" if len(rules) > 1 else obj.name or "stream",
            f"kong/{obj.kind}/{obj.namespace}/{obj.name}/{index}",
        )
        if obj.namespace != gateway.namespace:
            listener.allowed_namespaces.add(obj.namespace)
        route.parent_refs = [gateway.parent_ref(obj.namespace, listener.name)]
        route.provenance = [provenance]
        backend_ref = BackendRef(name=backend[0], port=backend[1], provenance=[provenance])
        assert isinstance(route, (TCPRoute, TLSRoute, UDPRoute))
        route.backend_refs = [backend_ref]
        run.ctx.ir.routes.append(route)
        run.record(source, field_path, Status.CONVERTED)
        made_from(gateway, provenance)
    tls = obj.spec.get("tls")
    for index in range(len(tls) if isinstance(tls, list) else 0):
        field_path = f"spec.tls[{index}]"
        if field_path in used_tls:
            run.record(source, field_path, Status.CONVERTED)
            made_from(gateway, Provenance(source, field_path))
        else:
            run.record(source, field_path, Status.IGNORED, "no terminating rule uses it")
    for key in sorted(obj.annotations):
        field_path = annotation_field(key)
        if key == CLASS_ANNOTATION:
            run.record(source, field_path, Status.CONVERTED)
            made_from(gateway, Provenance(source, field_path))
        elif key == "konghq.com/protocols":
            status = Status.CONVERTED if passthrough or not protocols else Status.IGNORED
            run.record(source, field_path, status, "tls_passthrough selects Passthrough listeners")
        elif key.startswith("konghq.com/"):
            run.unsupported(
                source, field_path, f"{key} on a {obj.kind} is not converted (stream routes)"
            )
        else:
            run.record(source, field_path, Status.IGNORED, "not routing configuration")
