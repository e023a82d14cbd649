"""VirtualService ``gateways`` → parentRefs: one per listener the route may bind, as Istio binds.

A VirtualService binds a gateway server when one of its hosts matches one of the server's hosts
and the server's ``ns/`` part admits the VirtualService's namespace. Each such listener becomes a
parentRef with ``sectionName``; cross-namespace binding is allowed by the listener's
``allowedRoutes`` (never by a ReferenceGrant, which does not govern attachment). ``mesh`` is
sidecar routing, not the ingress: ignored with information.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.ir import ParentRef
from ingress2gateway.reporting.report import Level

from .common import Fields, GatewayInfo, ListenerInfo, State, host_overlap
from .scopes import Binding

MESH = "mesh"


def resolve_gateway(raw: str, namespace: str) -> tuple[str, str] | None:
    """``resolveGatewayName``: ``ns/name``, ``./name``, ``name`` and the legacy
    ``name.ns.svc.cluster.local`` → (namespace, name); None for ``mesh``."""
    if raw == MESH:
        return None
    if "/" in raw:
        ns, _, name = raw.partition("/")
        return (namespace if ns == "." else ns), name
    if "." in raw:
        name, _, rest = raw.partition(".")
        return rest.partition(".")[0], name
    return namespace, raw


def gateway_keys(
    state: State, fields: Fields, gateways: Sequence[object], namespace: str
) -> list[tuple[str, str]]:
    """The ingress gateways a VirtualService binds, as (namespace, name)."""
    keys: list[tuple[str, str]] = []
    for index, raw in enumerate(gateways):
        if not isinstance(raw, str) or not raw:
            fields.unsupported(f"spec.gateways[{index}]", f"gateway {raw!r} is not a name")
            continue
        key = resolve_gateway(raw, namespace)
        if key is None:
            fields.notify(
                Level.INFO,
                "istio-mesh-only",
                "spec.gateways",
                "the 'mesh' gateway (sidecar routing) is not converted; only ingress gateways are",
            )
            continue
        if key not in keys:
            keys.append(key)
    return keys


def _admits(listener: ListenerInfo, info: GatewayInfo, namespace: str) -> bool:
    return (
        listener.any_namespace
        or namespace in listener.namespaces
        or (not listener.namespaces and not listener.any_namespace and namespace == info.namespace)
    )


def bindings(
    state: State,
    fields: Fields,
    keys: list[tuple[str, str]],
    namespace: str,
    hosts: Sequence[str | None],
    protocols: Sequence[tuple[str, str | None]],
    what: str,
    field: str,
    port: int | None = None,
) -> list[Binding]:
    """Listeners with a protocol/TLS mode in ``protocols`` that serve ``hosts`` (a Gateway not
    in the input: one parentRef without a section)."""
    found: list[Binding] = []
    for gw_ns, gw_name in keys:
        info = state.gateways.get((gw_ns, gw_name))
        ref_ns = gw_ns if gw_ns != namespace else None
        if info is None:
            fields.notify(
                Level.WARNING,
                "istio-gateway-not-found",
                "spec.gateways",
                f"gateway {gw_ns}/{gw_name} is not in the input: the parentRef names a Gateway "
                f"{gw_name} without a listener",
            )
            found.append(
                Binding(ParentRef(gw_name, namespace=ref_ns), (gw_ns, gw_name), None, None)
            )
            continue
        refused: list[str] = []
        bound = False
        for listener in info.listeners:
            if (listener.protocol, listener.tls_mode) not in protocols or listener.redirect:
                continue
            if port is not None and listener.port != port:
                continue
            if not any(host_overlap(listener.hostname, host) for host in hosts):
                continue
            if not _admits(listener, info, namespace):
                refused.append(listener.hostname or "*")
                continue
            ref = ParentRef(info.name, namespace=ref_ns, section_name=listener.name)
            found.append(Binding(ref, (gw_ns, gw_name), info, listener))
            bound = True
        if refused:
            fields.notify(
                Level.INFO,
                "istio-gateway-not-found",
                field,
                f"gateway {gw_ns}/{gw_name} does not admit VirtualServices of namespace "
                f"{namespace} for {', '.join(sorted(set(refused)))} (its host's namespace "
                "prefix): not bound there, as in Istio",
            )
        elif not bound:
            fields.notify(
                Level.INFO,
                "istio-gateway-not-found",
                field,
                f"{what} does not bind gateway {gw_ns}/{gw_name}: none of its servers serves "
                "these hosts with a matching protocol"
                + (f" on port {port}" if port is not None else ""),
            )
    return found


def admit(bound: Sequence[Binding], namespace: str) -> None:
    """Let the listeners of ``bound`` admit routes of ``namespace`` (their allowedRoutes)."""
    for binding in bound:
        gateway, listener = binding.gateway, binding.listener
        if listener is not None and gateway is not None and namespace != gateway.namespace:
            listener.namespaces.add(namespace)


def parent_refs(
    state: State,
    fields: Fields,
    keys: list[tuple[str, str]],
    namespace: str,
    hosts: Sequence[str | None],
    protocols: Sequence[tuple[str, str | None]],
    what: str,
    field: str,
    port: int | None = None,
) -> list[ParentRef]:
    """parentRefs of listeners with a protocol/TLS mode in ``protocols`` that serve ``hosts``
    (each listener admitting ``namespace``)."""
    bound = bindings(state, fields, keys, namespace, hosts, protocols, what, field, port)
    admit(bound, namespace)
    return [b.ref for b in bound]


HTTP_LISTENERS = (("HTTP", None), ("HTTPS", "Terminate"))
TLS_LISTENERS = (("TLS", "Passthrough"),)
TCP_LISTENERS = (("TCP", None), ("TLS", "Terminate"))
