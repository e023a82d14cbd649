"""Gateways that need more than 64 listeners.

A Gateway may hold at most 64 listeners, and the shared layout gives every host name its own
(two with TLS), so a class with more than about 32 TLS hosts outgrows one Gateway. Providers
never have to care: after they ran, this pass moves the surplus listeners out and points every
route that named one of them (``parentRef`` + ``sectionName``) at its new home.

* Targets with ListenerSet (Gateway API v1.5+): the surplus goes into ListenerSets of up to 64
  listeners in the Gateway's namespace, which the Gateway admits (``allowedListeners``). The
  hosts keep the Gateway's address.
* Older targets: the surplus goes into further Gateways of the same class — each gets an address
  of its own, which the report says, since DNS for those hosts must follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import IR, Gateway, Listener, ListenerSet, ParentRef, ReferenceGrant, Route
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.target import Target

MAX_LISTENERS = 64
MAX_PARENT_REFS = 32
GROUP = "gateway.networking.k8s.io"

Allocate = Callable[[str, str | None], NameAllocator]


def spill_listeners(ir: IR, target: Target, report: Recorder, allocator: Allocate) -> None:
    for gateway in list(ir.gateways):
        if len(gateway.listeners) <= MAX_LISTENERS:
            continue
        kept, surplus = _partition(gateway.listeners)
        gateway.listeners = kept
        chunks = [surplus[i : i + MAX_LISTENERS] for i in range(0, len(surplus), MAX_LISTENERS)]
        total = len(kept) + len(surplus)
        homes: Sequence[ListenerSet | Gateway]
        if target.api_version_for("ListenerSet") is not None:
            listener_sets = _listener_sets(ir, gateway, chunks, allocator)
            _grant_listener_sets(ir, gateway, listener_sets)
            homes = listener_sets
            report.info(
                "gateway-listeners-spilled",
                f"Gateway {gateway.name} needs {total} listeners, more than the {MAX_LISTENERS} one "
                f"object may hold: {len(surplus)} of them are in {len(homes)} ListenerSet(s) "
                "attached to it, so every host keeps the Gateway's address",
            )
        else:
            homes = _more_gateways(ir, gateway, chunks, allocator)
            hint = target.where_available("ListenerSet")
            report.warning(
                "gateway-split",
                f"Gateway {gateway.name} needs {total} listeners, more than the {MAX_LISTENERS} one "
                f"Gateway may hold, and {target} has no ListenerSet: the hosts are spread over "
                f"{len(homes) + 1} Gateways, each with an address of its own (point each host's "
                "DNS at its Gateway)" + (f"; ListenerSet needs {hint}" if hint else ""),
            )
        moved: dict[str, ListenerSet | Gateway] = {}
        destinations: list[ListenerSet | Gateway] = list(homes)
        for home, chunk in zip(destinations, chunks, strict=True):
            for listener in chunk:
                moved[listener.name] = home
        for route in ir.routes:
            _repoint(route, gateway, moved, homes, report)


def _partition(listeners: Sequence[Listener]) -> tuple[list[Listener], list[Listener]]:
    """Keep the first listeners (hosts sorted, catch-all last) and always the catch-all, and
    never separate a host's HTTP and HTTPS listeners."""
    by_host: dict[str | None, list[Listener]] = {}
    for listener in listeners:
        by_host.setdefault(listener.hostname, []).append(listener)
    groups = list(by_host.values())
    catch_all = by_host.get(None)
    if catch_all is not None:
        groups.remove(catch_all)
        groups.insert(0, catch_all)
    kept: list[Listener] = []
    surplus: list[Listener] = []
    for group in groups:
        if not surplus and len(kept) + len(group) <= MAX_LISTENERS:
            kept.extend(group)
        else:
            surplus.extend(group)
    return kept, surplus


def _listener_sets(
    ir: IR, gateway: Gateway, chunks: list[list[Listener]], allocator: Allocate
) -> list[ListenerSet]:
    gateway.allowed_listener_sets = "Same"
    names = allocator("ListenerSet", gateway.namespace)
    homes = []
    for number, chunk in enumerate(chunks, start=1):
        name = names.allocate(
            f"{gateway.name}-listeners-{number}", f"listenerset/{gateway.name}/{number}"
        )
        homes.append(ListenerSet(name, gateway.namespace, gateway, list(chunk)))
    ir.listener_sets.extend(homes)
    return homes


def _more_gateways(
    ir: IR, gateway: Gateway, chunks: list[list[Listener]], allocator: Allocate
) -> list[Gateway]:
    names = allocator("Gateway", gateway.namespace)
    homes = []
    for number, chunk in enumerate(chunks, start=2):
        name = names.allocate(f"{gateway.name}-{number}", f"gateway-split/{gateway.name}/{number}")
        homes.append(Gateway(name, gateway.namespace, gateway.gateway_class, list(chunk)))
    position = ir.gateways.index(gateway) + 1
    ir.gateways[position:position] = homes
    # ReferenceGrants name the Gateways' namespace, not the Gateway: they cover these too.
    return homes


def _refers_to(parent: ParentRef, route: Route, gateway: Gateway) -> bool:
    namespace = parent.namespace if parent.namespace is not None else route.namespace
    return (
        parent.kind == "Gateway"
        and parent.group == GROUP
        and parent.name == gateway.name
        and namespace == gateway.namespace
    )


def _repoint(
    route: Route,
    gateway: Gateway,
    moved: dict[str, ListenerSet | Gateway],
    homes: Sequence[ListenerSet | Gateway],
    report: Recorder,
) -> None:
    refs: list[ParentRef] = []
    for parent in route.parent_refs:
        if not _refers_to(parent, route, gateway):
            refs.append(parent)
        elif parent.section_name is None:
            # Attached to every listener of the Gateway: attach to the new homes as well.
            refs.append(parent)
            refs.extend(_ref_to(home, route, None, parent.port) for home in homes)
        elif parent.section_name in moved:
            refs.append(
                _ref_to(moved[parent.section_name], route, parent.section_name, parent.port)
            )
        else:
            refs.append(parent)
    unique = list(dict.fromkeys(refs))
    if len(unique) > MAX_PARENT_REFS:
        report.warning(
            "gateway-split",
            f"{route.KIND} {route.name} would need {len(unique)} parentRefs to reach every "
            f"listener it attached to; only the first {MAX_PARENT_REFS} are kept (give the route "
            "listeners by sectionName)",
        )
    route.parent_refs = unique[:MAX_PARENT_REFS]


def _ref_to(
    home: ListenerSet | Gateway, route: Route, section: str | None, port: int | None
) -> ParentRef:
    namespace = home.namespace if home.namespace != route.namespace else None
    kind = "ListenerSet" if isinstance(home, ListenerSet) else "Gateway"
    return ParentRef(home.name, namespace, section, port, kind=kind)


def _grant_listener_sets(ir: IR, gateway: Gateway, homes: Sequence[ListenerSet]) -> None:
    """Certificates in other namespaces are now referenced by ListenerSets, not the Gateway."""
    if gateway.namespace is None:
        return
    for home in homes:
        for listener in home.listeners:
            for secret in listener.certificate_refs:
                if secret.namespace is None or secret.namespace == gateway.namespace:
                    continue
                grant = ReferenceGrant(
                    namespace=secret.namespace,
                    from_group=GROUP,
                    from_kind="ListenerSet",
                    from_namespace=gateway.namespace,
                    to_group="",
                    to_kind="Secret",
                    to_name=secret.name,
                )
                ir.add_grant(grant, listener.provenance[0] if listener.provenance else None)
    still_used = {
        (secret.namespace, secret.name)
        for other in ir.gateways
        if other.namespace == gateway.namespace
        for listener in other.listeners
        for secret in listener.certificate_refs
    }
    for grant in list(ir.reference_grants):
        if (
            grant.from_kind == "Gateway"
            and grant.from_namespace == gateway.namespace
            and grant.to_kind == "Secret"
            and (grant.namespace, grant.to_name) not in still_used
        ):
            ir.reference_grants.discard(grant)
            ir.grant_provenance.pop(grant, None)
