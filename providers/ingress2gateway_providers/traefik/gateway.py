"""The Gateway and listeners Traefik's CRD routers attach to: the Gateway the Ingresses of the
``traefik`` class got (one address for both), or a new one laid out the same way. Traefik's
entry points become listener ports (``entry-points`` option, ``web=80,websecure=443`` by
default); hosts get listeners of their own, as the Ingress lowering gives them."""

from __future__ import annotations

from ingress2gateway.converting import naming
from ingress2gateway.converting.lowering import DEFAULT_SHARED_NAMESPACE, GATEWAY_GROUP
from ingress2gateway.ir import Gateway, Listener, Provenance, ReferenceGrant, SecretRef

from .common import TraefikRun

CLASS_NAME = "traefik"


def gateway_for(run: TraefikRun, namespace: str | None) -> Gateway:
    options = run.ctx.options
    class_name = options.gateway_class_name or CLASS_NAME
    for gateway in run.ctx.ir.gateways:
        if gateway.gateway_class == class_name and (
            not options.gateway_per_namespace or gateway.namespace == namespace
        ):
            return gateway
    if options.gateway_per_namespace:
        where = namespace
    elif options.gateway_namespace:
        where = options.gateway_namespace
    else:
        namespaces = {
            obj.namespace
            for obj in run.ctx.objects
            if obj.kind.startswith("IngressRoute") and obj.namespace
        }
        where = namespace if len(namespaces) <= 1 else DEFAULT_SHARED_NAMESPACE
    per_ns = namespace if options.gateway_per_namespace else None
    name = run.ctx.allocator("Gateway", where).allocate(
        options.gateway_name or CLASS_NAME, f"gateway/{CLASS_NAME}/{per_ns}"
    )
    gateway = Gateway(name=name, namespace=where, gateway_class=class_name)
    run.ctx.ir.gateways.append(gateway)
    run.created.append(gateway)
    if not options.gateway_class_name:
        run.ctx.report.info(
            "gateway-class-assumed",
            f"the generated Gateway {name} names GatewayClass {class_name!r}, as no "
            "--gateway-class-name was given: set it to the GatewayClass of your implementation",
            provider=run.provider,
        )
    return gateway


def drop_empty(run: TraefikRun) -> None:
    """A Gateway made here that got no listener (every router unusable) would be refused."""
    for gateway in run.created:
        if not gateway.listeners and gateway in run.ctx.ir.gateways:
            run.ctx.ir.gateways.remove(gateway)


def listener(
    gateway: Gateway,
    protocol: str,
    port: int,
    hostname: str | None,
    provenance: Provenance,
    certificate: SecretRef | None = None,
    mode: str | None = None,
) -> Listener:
    """The listener for (protocol, port, hostname), made if the Gateway has none yet. A TLS
    listener keeps the first certificate it got (the caller reports a different one)."""
    for found in gateway.listeners:
        if (found.protocol, found.port, found.hostname, found.tls_mode or None) == (
            protocol,
            port,
            hostname,
            mode if protocol != "HTTPS" else found.tls_mode or None,
        ):
            found.provenance.append(provenance)
            return found
    taken = {item.name for item in gateway.listeners}
    suffix = protocol.lower() if port in (80, 443) else f"{protocol.lower()}-{port}"
    base = f"{naming.host_slug(hostname)}-{suffix}"
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}-{counter}", counter + 1
    ref = None
    if certificate is not None:
        ref = SecretRef(
            certificate.name,
            certificate.namespace if certificate.namespace != gateway.namespace else None,
        )
    made = Listener(
        name=name,
        port=port,
        protocol=protocol,  # type: ignore[arg-type]
        hostname=hostname,
        tls_mode=("Terminate" if protocol == "HTTPS" else mode),  # type: ignore[arg-type]
        certificate_refs=[ref] if ref is not None else [],
        provenance=[provenance],
    )
    gateway.listeners.append(made)
    return made


def grant_secret(
    run: TraefikRun, gateway: Gateway, secret: SecretRef, provenance: Provenance
) -> None:
    """A ReferenceGrant when the certificate lives in another namespace than the Gateway."""
    if (
        secret.namespace is None
        or gateway.namespace is None
        or secret.namespace == gateway.namespace
    ):
        return
    run.ctx.ir.add_grant(
        ReferenceGrant(
            namespace=secret.namespace,
            from_group=GATEWAY_GROUP,
            from_kind="Gateway",
            from_namespace=gateway.namespace,
            to_group="",
            to_kind="Secret",
            to_name=secret.name,
        ),
        provenance,
    )
