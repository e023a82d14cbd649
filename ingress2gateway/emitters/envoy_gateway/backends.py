"""Backend TLS that BackendTLSPolicy cannot state → an Envoy Gateway ``Backend`` with ``tls``.

**ExternalName Services** (``ExternalNameService``): Envoy Gateway refuses a Service of type
ExternalName as a backendRef (``internal/gatewayapi/route.go``), so the rule's reference is
replaced by a ``Backend`` whose endpoint is the external name (an FQDN, or an IP address) and
the port the source connected to. Envoy resolves the name by DNS, as nginx did; a name without
dots is looked up in the search path of the Envoy pods (Envoy Gateway's namespace), where
ingress-nginx used its controller pod's.

BackendTLSPolicy always verifies the backend's certificate and has no client certificate, while
ingress-nginx (``proxy-ssl-verify: off``, its default) and Istio (``insecureSkipVerify``,
``MUTUAL``) can encrypt without verifying, or present a certificate. Envoy Gateway's ``Backend``
says both (``tls.insecureSkipVerify``, ``tls.clientCertificateRef``), but only for a ``Backend``,
not a Service — so, as Envoy Gateway's own examples do, the rule's reference to the Service is
replaced by a ``Backend`` whose FQDN endpoint is the Service's cluster DNS name
(``name.namespace.svc.cluster.local``, same port). Consequences, noted in the ledger: Envoy
reaches the Service's cluster IP (kube-proxy picks the pod per connection, so Envoy's load
balancing and session affinity act on one address), and the Backend API must be enabled
(``extensionApis.enableBackend: true`` in the EnvoyGateway configuration). When verifying, the
CA (ConfigMaps with ``ca.crt``, else the system store) and the SNI go into ``tls`` too, since a
BackendTLSPolicy on the Service does not apply to the Backend.
"""

from __future__ import annotations

import ipaddress
import re

from ingress2gateway.converting import naming
from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import (
    BackendTLSOptions,
    ExternalNameService,
    ReferenceGrant,
    Route,
    Rule,
)
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

from ._base import BACKEND_API, EG_GROUP, Contribution, canonical
from ._state import State

BACKEND = "Backend"
# The pattern of Backend spec.endpoints[].fqdn.hostname in the v1.9.0 CRD.
_FQDN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?\Z")
# The pattern of Backend spec.tls.sni in the v1.9.0 CRD.
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS_LABEL_MAX = 63


def backend_tls(state: State, route: Route, rule: Rule, rule_body: JSONDict) -> None:
    """Point the rule's references to Services with TLS options at TLS ``Backend`` objects."""
    options = [e for e in rule.extensions if isinstance(e, BackendTLSOptions)]
    if not options:
        return
    refs: list[JSONDict] = rule_body.get("backendRefs", [])
    for ext in options:
        service_ns = ext.namespace or route.namespace or "default"
        matching = [
            (index, ref)
            for index, ref in enumerate(refs)
            if ref.get("kind", "Service") == "Service"
            and not ref.get("group")
            and ref.get("name") == ext.service
            and (ref.get("namespace") or route.namespace or "default") == service_ns
            and isinstance(ref.get("port"), int)
        ]
        if not matching:
            continue  # another rule of the Service's: nothing to do here
        targets: list[ObjectRef] = [route.ref]
        grants: list[ReferenceGrant] = []
        for index, ref in matching:
            backend, grant = _backend(state, route.namespace, ext, service_ns, ref["port"])
            replacement: JSONDict = {"group": EG_GROUP, "kind": BACKEND, "name": backend.ref.name}
            for key in ("weight", "filters"):
                if key in ref:
                    replacement[key] = ref[key]
            refs[index] = replacement
            targets.append(backend.ref)
            grants.extend(grant)
        state.accept(ext, _verdict(ext, route.namespace, service_ns, grants), targets)


def _tls(ext: BackendTLSOptions, namespace: str | None) -> JSONDict:
    tls: JSONDict = {}
    if ext.insecure_skip_verify:
        tls["insecureSkipVerify"] = True
    elif ext.ca_config_maps:
        tls["caCertificateRefs"] = [
            {"group": "", "kind": "ConfigMap", "name": name} for name in ext.ca_config_maps
        ]
    else:
        tls["wellKnownCACertificates"] = "System"
    if ext.sni and _DNS.match(ext.sni):
        tls["sni"] = ext.sni
    if ext.client_certificate is not None:
        cert: JSONDict = {"group": "", "kind": "Secret", "name": ext.client_certificate.name}
        if ext.client_certificate.namespace and ext.client_certificate.namespace != namespace:
            cert["namespace"] = ext.client_certificate.namespace
        tls["clientCertificateRef"] = cert
    return tls


def _backend(
    state: State, namespace: str | None, ext: BackendTLSOptions, service_ns: str, port: int
) -> tuple[Emitted, list[ReferenceGrant]]:
    host = f"{ext.service}.{service_ns}.svc.cluster.local"
    tls = _tls(ext, namespace)
    spec: JSONDict = {"endpoints": [{"fqdn": {"hostname": host, "port": port}}], "tls": tls}
    identity = f"tls:{host}:{port}:{canonical(tls)}"
    grants = []
    cert = ext.client_certificate
    if cert is not None and cert.namespace and namespace and cert.namespace != namespace:
        grants.append(
            ReferenceGrant(
                namespace=cert.namespace,
                from_group=EG_GROUP,
                from_kind=BACKEND,
                from_namespace=namespace,
                to_group="",
                to_kind="Secret",
                to_name=cert.name,
            )
        )
    wanted = f"{ext.service}-{port}-tls"[:_DNS_LABEL_MAX]
    return _shared_backend(state, namespace, spec, wanted, identity), grants


def _verdict(
    ext: BackendTLSOptions,
    namespace: str | None,
    service_ns: str,
    grants: list[ReferenceGrant],
) -> Contribution:
    needs = [BACKEND_API]
    notes = [
        f"the route reaches Service {service_ns}/{ext.service} through a Backend on its cluster "
        "DNS name: Envoy balances over the Service's cluster IP, not its pods (enable the "
        "Backend API: EnvoyGateway extensionApis.enableBackend: true)"
    ]
    if ext.insecure_skip_verify:
        notes.append("TLS without verifying the backend's certificate, as the source did")
    if ext.client_certificate is not None:
        notes.append(
            f"Secret {ext.client_certificate.name} must be a kubernetes.io/tls Secret "
            "(tls.crt, tls.key)"
        )
        cert_ns = ext.client_certificate.namespace or namespace
        needs.append(
            (
                Need.SECRET,
                f"Secret {cert_ns + '/' if cert_ns else ''}{ext.client_certificate.name}",
                "the client certificate Envoy presents to the backend: a kubernetes.io/tls "
                "Secret (tls.crt, tls.key)",
            )
        )
    if ext.ca_config_maps and not ext.insecure_skip_verify:
        notes.append(f"ConfigMap(s) {', '.join(ext.ca_config_maps)} must hold ca.crt")
        needs.extend(
            (
                Need.OTHER,
                f"ConfigMap {namespace + '/' if namespace else ''}{name}",
                "it must hold the backend's CA certificates under key ca.crt (the Backend "
                "reads it in its own namespace)",
            )
            for name in ext.ca_config_maps
        )
    if service_ns != (namespace or "default") and (
        ext.ca_config_maps or ext.client_certificate is not None
    ):
        notes.append(f"the Backend is in namespace {namespace}: its CA ConfigMaps are read there")
    return Contribution(BACKEND, {}, Status.PARTIAL, "; ".join(notes), grants=grants, needs=needs)


def external_name(state: State, route: Route, rule: Rule, rule_body: JSONDict) -> None:
    """Point the rule's references to ExternalName Services at ``Backend`` objects of their
    external names."""
    for ext in [e for e in rule.extensions if isinstance(e, ExternalNameService)]:
        service_ns = ext.namespace or route.namespace or "default"
        refs: list[JSONDict] = rule_body.get("backendRefs", [])
        matching = [
            index
            for index, ref in enumerate(refs)
            if ref.get("kind", "Service") == "Service"
            and not ref.get("group")
            and ref.get("name") == ext.service
            and (ref.get("namespace") or route.namespace or "default") == service_ns
            and ref.get("port") == ext.service_port
        ]
        if not matching:
            continue
        address = _address(ext.hostname)
        if address is None and not _FQDN.match(ext.hostname):
            state.reject(ext, f"{ext.hostname!r} is not a host name a Backend can name")
            continue
        if not 0 < ext.port < 65536:
            state.reject(ext, f"the port to connect to on {ext.hostname} is not known")
            continue
        endpoint: JSONDict = (
            {"ip": {"address": address, "port": ext.port}}
            if address
            else {"fqdn": {"hostname": ext.hostname, "port": ext.port}}
        )
        spec: JSONDict = {"endpoints": [endpoint]}
        wanted = f"{naming.slug(ext.hostname)}-{ext.port}"[:_DNS_LABEL_MAX].rstrip("-")
        identity = f"external:{ext.hostname}:{ext.port}"
        backend = _shared_backend(state, route.namespace, spec, wanted, identity)
        for index in matching:
            replacement: JSONDict = {"group": EG_GROUP, "kind": BACKEND, "name": backend.ref.name}
            for key in ("weight", "filters"):
                if key in refs[index]:
                    replacement[key] = refs[index][key]
            refs[index] = replacement
        note = (
            f"Service {service_ns}/{ext.service} is ExternalName: the route reaches "
            f"{ext.hostname}:{ext.port} through Backend {backend.ref.name} (enable the Backend "
            "API: EnvoyGateway extensionApis.enableBackend: true)"
        )
        if address is None and "." not in ext.hostname:
            note += (
                f"; {ext.hostname!r} has no dots: Envoy resolves it in its own pods' DNS search "
                "path (Envoy Gateway's namespace), where nginx used the controller pod's"
            )
        state.accept(
            ext,
            Contribution(BACKEND, {}, Status.CONVERTED, note, needs=[BACKEND_API]),
            [route.ref, backend.ref],
        )


def _address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _shared_backend(
    state: State, namespace: str | None, spec: JSONDict, wanted: str, identity: str
) -> Emitted:
    """The namespace's Backend with ``spec``, made once (named ``wanted`` if it is free)."""
    for existing in state.objects:
        same_place = existing.ref.kind == BACKEND and existing.ref.namespace == namespace
        if same_place and existing.body["spec"] == spec:
            return existing
    # One allocator with the external-auth Backends of the namespace: names never collide.
    allocator = state.backends.allocators.setdefault(namespace, NameAllocator())
    return state.add_object(BACKEND, namespace, allocator.allocate(wanted, identity), spec, [])
