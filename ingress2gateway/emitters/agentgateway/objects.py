"""``AgentgatewayBackend`` objects for external hosts that policies call (an auth service, a
JWKS endpoint): ``static{host,port}``, with ``policies.tls.sni`` for an https URL (verified
against the system roots, agentgateway's default without ``caCertificateRefs``). Each is made
once per namespace and content and named after the host.
"""

from __future__ import annotations

import ipaddress
import re

from ingress2gateway.converting.naming import NameAllocator, slug
from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import ReferenceGrant
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.plugin import Emitted

from ._base import AGW_API_VERSION, AGW_GROUP, BACKEND, POLICY, BackendRegistry, MapEnv, canonical

# In-cluster Service DNS names: name.namespace.svc[.cluster.local]
SERVICE_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?\Z")
# A DNS name (lower case): the pattern of the CRDs' sni fields.
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


class Registry(BackendRegistry):
    """Shared objects of one emission, by (kind, namespace, content)."""

    def __init__(self) -> None:
        super().__init__()
        self.shared: dict[tuple[str, str | None, str], Emitted] = {}
        self.names: dict[tuple[str, str | None], NameAllocator] = {}


def registry(env: MapEnv) -> Registry:
    if isinstance(env.backends, Registry):
        return env.backends
    fresh = Registry()  # a scratch environment (carries()): never kept
    env.backends = fresh
    return fresh


def shared_object(env: MapEnv, kind: str, wanted: str, spec: JSONDict) -> Emitted:
    reg = registry(env)
    key = (kind, env.namespace, canonical(spec))
    found = reg.shared.get(key)
    if found is not None:
        return found
    allocator = reg.names.setdefault((kind, env.namespace), NameAllocator())
    name = allocator.allocate(wanted, key[2])
    body: JSONDict = {
        "apiVersion": AGW_API_VERSION,
        "kind": kind,
        "metadata": metadata(name, env.namespace),
        "spec": spec,
    }
    emitted = Emitted(ObjectRef(kind, env.namespace, name), body)
    reg.shared[key] = emitted
    return emitted


def ip_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def backend_ref_for(env: MapEnv, host: str, port: int, tls: bool) -> tuple[JSONDict, list[Emitted]]:
    """A ``backendRef`` reaching ``host:port``: the Service for an in-cluster Service name, else
    an ``AgentgatewayBackend``. Returns the reference and the objects it needs."""
    service = SERVICE_HOST.match(host)
    if service is not None:
        ref: JSONDict = {"name": service.group(1), "port": port}
        if service.group(2) != env.namespace:
            ref["namespace"] = service.group(2)
        return ref, []
    spec: JSONDict = {"static": {"host": host, "port": port}}
    if tls:
        tls_spec: JSONDict = {}
        if ip_address(host) is None and DNS_NAME.match(host):
            tls_spec["sni"] = host
        spec["policies"] = {"tls": tls_spec}
    backend = shared_object(env, BACKEND, slug(host) + ("-tls" if tls else ""), spec)
    return {"group": AGW_GROUP, "kind": BACKEND, "name": backend.ref.name}, [backend]


def service_grants(env: MapEnv, ref: JSONDict) -> list[ReferenceGrant]:
    """The ReferenceGrant a policy's ``backendRef`` to a Service of another namespace needs."""
    namespace = ref.get("namespace")
    if ref.get("kind") or namespace is None or env.namespace is None:
        return []
    if namespace == env.namespace:
        return []
    return [
        ReferenceGrant(
            namespace=namespace,
            from_group=AGW_GROUP,
            from_kind=POLICY,
            from_namespace=env.namespace,
            to_group="",
            to_kind="Service",
            to_name=ref["name"],
        )
    ]
