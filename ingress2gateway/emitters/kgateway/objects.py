"""kgateway objects that policies reference: ``GatewayExtension`` (an auth, JWT, OAuth2 or rate
limit service), ``Backend`` (an external host) and the ``BackendConfigPolicy`` that makes a
``Backend`` speak TLS. Each is made once per namespace and content, whatever number of policies
refer to it, and named after what it points at.
"""

from __future__ import annotations

import ipaddress
import re

from ingress2gateway.converting.naming import NameAllocator, slug
from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.plugin import Emitted

from ._base import (
    BACKEND,
    BACKEND_CONFIG_POLICY,
    KGW_API_VERSION,
    KGW_GROUP,
    BackendRegistry,
    MapEnv,
    canonical,
)

# In-cluster Service DNS names: name.namespace.svc[.cluster.local]
SERVICE_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?\Z")
# A DNS name (lower case), for Backend hosts and TLS SNI.
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
    # A scratch environment (carries()): a registry of its own, never kept.
    fresh = Registry()
    env.backends = fresh
    return fresh


def shared_object(env: MapEnv, kind: str, wanted: str, spec: JSONDict) -> Emitted:
    """The namespace's ``kind`` object with ``spec``, made once (named ``wanted`` if free)."""
    reg = registry(env)
    key = (kind, env.namespace, canonical(spec))
    found = reg.shared.get(key)
    if found is not None:
        return found
    allocator = reg.names.setdefault((kind, env.namespace), NameAllocator())
    name = allocator.allocate(wanted, key[2])
    body: JSONDict = {
        "apiVersion": KGW_API_VERSION,
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


def external_backend(env: MapEnv, host: str, port: int, tls: bool) -> list[Emitted]:
    """A static ``Backend`` for ``host:port`` and, for TLS, the ``BackendConfigPolicy`` that
    makes kgateway speak TLS to it (verified against the system CAs, SNI the host name).
    The first object is the Backend."""
    spec: JSONDict = {"type": "Static", "static": {"hosts": [{"host": host, "port": port}]}}
    backend = shared_object(env, BACKEND, slug(host) + ("-tls" if tls else ""), spec)
    if not tls:
        return [backend]
    tls_spec: JSONDict = {"wellKnownCACertificates": "System"}
    if ip_address(host) is None:
        tls_spec["sni"] = host
    policy = shared_object(
        env,
        BACKEND_CONFIG_POLICY,
        backend.ref.name,
        {
            "targetRefs": [{"group": KGW_GROUP, "kind": BACKEND, "name": backend.ref.name}],
            "tls": tls_spec,
        },
    )
    return [backend, policy]


def backend_ref_for(env: MapEnv, host: str, port: int, tls: bool) -> tuple[JSONDict, list[Emitted]]:
    """A ``backendRef`` reaching ``host:port``: the Service for an in-cluster Service name, else
    a static ``Backend``. Returns the reference and the objects it needs."""
    service = SERVICE_HOST.match(host)
    if service is not None:
        ref: JSONDict = {"name": service.group(1), "port": port}
        if service.group(2) != env.namespace:
            ref["namespace"] = service.group(2)
        return ref, []
    objects = external_backend(env, host, port, tls)
    return {"group": KGW_GROUP, "kind": BACKEND, "name": objects[0].ref.name}, objects
