"""Cut-over steps per host: the Gateway listeners that will serve it (read from the output's
routes and Gateways), a command that reads the Gateway's address, the DNS change, a command
that checks the new path before DNS moves, and the rollback.

The commands are shell text; every name in them is quoted (:func:`shlex.quote`), since the
names come from the input.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence

from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef

from .model import CutOver, ListenerRef
from .prerequisites import object_ref

GATEWAY_GROUP = "gateway.networking.k8s.io"
_DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443}


def cutover(
    resources: Sequence[JSONDict], sources_of: Mapping[ObjectRef, Iterable[SourceRef]]
) -> list[CutOver]:
    gateways = _gateways(resources)
    hosts: dict[str, tuple[dict[ListenerRef, None], dict[ObjectRef, None]]] = {}
    for body in resources:
        ref = object_ref(body)
        spec = body.get("spec")
        if not ref.kind.endswith("Route") or not isinstance(spec, dict):
            continue
        names = [h for h in spec.get("hostnames") or [] if isinstance(h, str)]
        for listener in _parents(spec, ref.namespace, gateways):
            served = names or [listener_host(listener, gateways)]
            for host in served:
                found = hosts.setdefault(host, ({}, {}))
                found[0][listener] = None
                found[1][ref] = None
    steps = []
    for host in sorted(hosts):
        listeners, routes = hosts[host]
        sources = {s: None for r in routes for s in sources_of.get(r, ())}
        steps.append(
            _steps(
                host,
                sorted(listeners),
                sorted(routes, key=ObjectRef.sort_key),
                sorted(sources, key=SourceRef.sort_key),
            )
        )
    return steps


_Gateways = dict[tuple[str, str], dict[str, tuple[int, str, str | None]]]
"""(namespace, name) of a Gateway → its listeners: name → (port, protocol, hostname)."""


def _gateways(resources: Sequence[JSONDict]) -> _Gateways:
    found: _Gateways = {}
    for body in resources:
        ref = object_ref(body)
        if ref.kind != "Gateway":
            continue
        listeners = {}
        for item in (body.get("spec") or {}).get("listeners") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                port = item.get("port")
                listeners[item["name"]] = (
                    port if isinstance(port, int) else 0,
                    str(item.get("protocol", "")),
                    item.get("hostname") if isinstance(item.get("hostname"), str) else None,
                )
        found[ref.namespace or "default", ref.name] = listeners
    return found


def _parents(spec: JSONDict, namespace: str | None, gateways: _Gateways) -> list[ListenerRef]:
    """The listeners a route attaches to (all of a Gateway's without a sectionName; those of
    the port when the parentRef names one)."""
    found = []
    for parent in spec.get("parentRefs") or []:
        if not isinstance(parent, dict):
            continue
        if parent.get("kind", "Gateway") != "Gateway":
            continue
        if parent.get("group", GATEWAY_GROUP) != GATEWAY_GROUP:
            continue
        key = (parent.get("namespace") or namespace or "default", str(parent.get("name", "")))
        listeners = gateways.get(key, {})
        section = parent.get("sectionName")
        for name, (port, protocol, _) in sorted(listeners.items()):
            if section is not None and name != section:
                continue
            if parent.get("port") is not None and parent.get("port") != port:
                continue
            found.append(ListenerRef(key[0], key[1], name, port, protocol))
    return found


def listener_host(listener: ListenerRef, gateways: _Gateways) -> str:
    """The host a listener serves for a route without hostnames: its own, or any (``*``)."""
    hostname = gateways.get((listener.gateway_namespace, listener.gateway), {}).get(
        listener.name, (0, "", None)
    )[2]
    return hostname or "*"


def _steps(
    host: str,
    listeners: list[ListenerRef],
    routes: list[ObjectRef],
    sources: list[SourceRef],
) -> CutOver:
    first = listeners[0]
    gateway = f"-n {shlex.quote(first.gateway_namespace)} {shlex.quote(first.gateway)}"
    address = (
        f"ADDRESS=$(kubectl get gateway {gateway} -o jsonpath='{{.status.addresses[0].value}}')"
    )
    example = _example_name(host)
    secure = [item for item in listeners if item.protocol == "HTTPS"]
    check_listener = secure[0] if secure else first
    check = _check(example, check_listener)
    if example != host:
        check += f"  # {host} is a wildcard: any name under it will do"
    old = ", ".join(s.display() for s in sources) if sources else "the objects it was migrated from"
    if host == "*":
        dns = (
            "the listener serves every host name: point each name it answers for at $ADDRESS "
            "(an A/AAAA record for an IP address, a CNAME for a host name)"
        )
        rollback = (
            "point those names back at their previous address; "
            f"{old} stay in place, served by the old controller, until then"
        )
    else:
        dns = (
            f"point {host} at $ADDRESS (an A/AAAA record for an IP address, a CNAME for a host "
            "name); lower the record's TTL beforehand so that the change, and a rollback, "
            "spread fast"
        )
        rollback = (
            f"point {host} back at its previous address (note it first: "
            f"`dig +short {shlex.quote(example)}`); keep {old} in place, served by the old "
            "controller, until the new route has held, and only then delete the old objects"
        )
    return CutOver(
        host, tuple(listeners), tuple(routes), tuple(sources), address, dns, check, rollback
    )


def _example_name(host: str) -> str:
    if host == "*":
        return "example.test"
    return host.replace("*", "test", 1)


def _check(name: str, listener: ListenerRef) -> str:
    quoted = shlex.quote(name)
    port = listener.port
    if listener.protocol in ("HTTP", "HTTPS"):
        scheme = listener.protocol.lower()
        shown_port = "" if _DEFAULT_PORTS.get(listener.protocol) == port else f":{port}"
        url = shlex.quote(f"{scheme}://{name}{shown_port}/")
        return f'curl -sS -o /dev/null -w "%{{http_code}}\\n" --resolve {quoted}:{port}:"$ADDRESS" {url}'
    if listener.protocol == "TLS":
        return f'openssl s_client -connect "$ADDRESS":{port} -servername {quoted} </dev/null'
    return f'nc -vz "$ADDRESS" {port}'
