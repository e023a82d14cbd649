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

Which home a host gets depends on the host alone, not on the other hosts: a digest of its name
picks one of ``B`` homes (home 0 is the Gateway itself, with the catch-all), ``B`` a power of
two with room to spare, doubled only when a home would overflow. Adding or removing an Ingress
then moves no other host (its listeners, its routes' parentRefs, its address on older targets)
until ``B`` changes, which happens at each doubling of the hosts only: a re-run's ``diff`` shows
what changed, and no DNS has to follow hosts that were not touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import IR, Gateway, Listener, ListenerSet, ParentRef, ReferenceGrant, Route
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.target import Target

MAX_LISTENERS = 64
MAX_PARENT_REFS = 32
FILL = 0.75
"""The share of a home's listeners the first choice of the number of homes plans for: room for
hosts to come before the homes must be reshuffled."""
GROUP = "gateway.networking.k8s.io"

Allocate = Callable[[str, str | None], NameAllocator]


def spill_listeners(ir: IR, target: Target, report: Recorder, allocator: Allocate) -> None:
    for gateway in list(ir.gateways):
        if len(gateway.listeners) <= MAX_LISTENERS:
            continue
        kept, buckets = _homes_of(gateway.listeners)
        gateway.listeners = kept
        surplus = sum(len(bucket) for bucket in buckets.values())
        total = len(kept) + surplus
        homes: Sequence[ListenerSet | Gateway]
        if target.api_version_for("ListenerSet") is not None:
            listener_sets = _listener_sets(ir, gateway, buckets, allocator)
            _grant_listener_sets(ir, gateway, listener_sets)
            homes = listener_sets
            report.info(
                "gateway-listeners-spilled",
                f"Gateway {gateway.name} needs {total} listeners, more than the {MAX_LISTENERS} one "
                f"object may hold: {surplus} of them are in {len(homes)} ListenerSet(s) "
                "attached to it, so every host keeps the Gateway's address (each host's home "
                "depends on its name alone, so adding or removing an Ingress moves no other host)",
            )
        else:
            homes = _more_gateways(ir, gateway, buckets, allocator)
            hint = target.where_available("ListenerSet")
            report.warning(
                "gateway-split",
                f"Gateway {gateway.name} needs {total} listeners, more than the {MAX_LISTENERS} one "
                f"Gateway may hold, and {target} has no ListenerSet: the hosts are spread over "
                f"{len(homes) + 1} Gateways, each with an address of its own (point each host's "
                "DNS at its Gateway)" + (f"; ListenerSet needs {hint}" if hint else ""),
            )
        moved: dict[str, ListenerSet | Gateway] = {}
        for home in homes:
            for listener in home.listeners:
                moved[listener.name] = home
        for route in ir.routes:
            _repoint(route, gateway, moved, homes, report)


def _homes_of(listeners: Sequence[Listener]) -> tuple[list[Listener], dict[int, list[Listener]]]:
    """The listeners the Gateway keeps (the catch-all and the hosts of home 0), and those of
    each further home by number (only the homes that get some). A host's HTTP and HTTPS
    listeners stay together."""
    by_host: dict[str | None, list[Listener]] = {}
    for listener in listeners:
        by_host.setdefault(listener.hostname, []).append(listener)
    catch_all = by_host.pop(None, [])
    hosts = sorted(host for host in by_host if host is not None)
    total = len(listeners)
    count = 2
    while count * MAX_LISTENERS * FILL < total:
        count *= 2
    while True:
        homes: dict[int, list[Listener]] = {0: list(catch_all)}
        for host in hosts:
            homes.setdefault(_home(host, count), []).extend(by_host[host])
        if all(len(found) <= MAX_LISTENERS for found in homes.values()):
            break
        count *= 2
    kept = homes.pop(0)
    if not kept:
        # A Gateway needs a listener: the first host of the first home that has one stays.
        first = min(homes)
        host = min(h for h in hosts if _home(h, count) == first)
        kept = list(by_host[host])
        homes[first] = [item for item in homes[first] if item.hostname != host]
        if not homes[first]:
            del homes[first]
    return kept, dict(sorted(homes.items()))


def _home(host: str, count: int) -> int:
    """One of ``count`` homes for ``host``, the same on every run and whatever the other hosts
    (a digest, not :func:`hash`, which changes from one process to the next)."""
    digest = hashlib.sha256(host.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _listener_sets(
    ir: IR, gateway: Gateway, buckets: dict[int, list[Listener]], allocator: Allocate
) -> list[ListenerSet]:
    gateway.allowed_listener_sets = "Same"
    names = allocator("ListenerSet", gateway.namespace)
    homes = []
    for number, chunk in buckets.items():
        name = names.allocate(
            f"{gateway.name}-listeners-{number}", f"listenerset/{gateway.name}/{number}"
        )
        homes.append(ListenerSet(name, gateway.namespace, gateway, list(chunk)))
    ir.listener_sets.extend(homes)
    return homes


def _more_gateways(
    ir: IR, gateway: Gateway, buckets: dict[int, list[Listener]], allocator: Allocate
) -> list[Gateway]:
    names = allocator("Gateway", gateway.namespace)
    homes = []
    for number, chunk in buckets.items():
        name = names.allocate(
            f"{gateway.name}-{number + 1}", f"gateway-split/{gateway.name}/{number + 1}"
        )
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
