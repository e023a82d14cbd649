"""Client ↔ Envoy settings → ``ClientTrafficPolicy`` (which attaches to a Gateway listener only).

* **Client-certificate auth** → ``tls.clientValidation`` on the HTTPS listener(s) the route is
  attached to (``sectionName`` = listener): ``caCertificateRefs`` names the CA Secret (key
  ``ca.crt``), ``mode`` follows the verification setting (``on`` → ``RequireAndVerify``,
  ``optional`` → ``VerifyIfGiven``, ``optional_no_ca`` → ``Request``, which requests a
  certificate without verifying it). ingress-nginx applies it to the whole server (host), which
  is what a per-host listener is; on a listener without a hostname it covers every host.
  Two different CAs on one listener cannot both apply: the first wins, the other is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingress2gateway.ir import IR, ClientCertAuth, Gateway, Listener, ReferenceGrant, Route
from ingress2gateway.objects import JSONDict
from ingress2gateway.report import Status

from ._base import CLIENT_TRAFFIC_POLICY, EG_GROUP, Contribution
from ._state import State, target_ref

_MODES = {"on": "RequireAndVerify", "optional": "VerifyIfGiven", "optional_no_ca": "Request"}

ListenerKey = tuple[str, str, str]  # gateway namespace, gateway name, listener name


def host_matches(listener_host: str | None, route_hosts: list[str]) -> bool:
    if not listener_host or not route_hosts:
        return True
    for host in route_hosts:
        if host == listener_host:
            return True
        if listener_host.startswith("*.") and host.endswith(listener_host[1:]):
            return True
        if host.startswith("*.") and listener_host.endswith(host[1:]):
            return True
    return False


def _https(gateway: Gateway) -> list[Listener]:
    return [item for item in gateway.listeners if item.protocol == "HTTPS"]


def _within(field: str, parent: str) -> bool:
    return field == parent or field.startswith((parent + ".", parent + "["))


def gateway_listeners(gateway: Gateway, ext: ClientCertAuth) -> list[Listener]:
    """The HTTPS listeners a Gateway-wide setting belongs to.

    The listeners made from the input field the setting came from (an Istio server and its
    ``tls.mode``), else every HTTPS listener of the Gateway.
    """
    listeners = _https(gateway)
    related = [
        item
        for item in listeners
        if any(
            lp.source == ep.source and _within(ep.field, lp.field)
            for lp in item.provenance
            for ep in ext.provenance
        )
    ]
    return related or listeners


def route_listeners(ir: IR, route: Route) -> Iterator[tuple[Gateway, Listener]]:
    """The HTTPS listeners a route attaches to."""
    for parent in route.parent_refs:
        if parent.kind != "Gateway":
            continue
        namespace = parent.namespace or route.namespace
        gateway = next(
            (g for g in ir.gateways if g.name == parent.name and g.namespace == namespace), None
        )
        if gateway is None:
            continue
        for listener in _https(gateway):
            if parent.section_name and listener.name != parent.section_name:
                continue
            if host_matches(listener.hostname, route.hostnames):
                yield gateway, listener


def client_cert_policies(ir: IR, state: State) -> None:
    wanted: dict[ListenerKey, list[tuple[ClientCertAuth, str | None, Gateway, Listener]]] = {}
    unplaced: dict[int, tuple[ClientCertAuth, Route]] = {}
    for gateway in ir.gateways:
        for ext in gateway.extensions:
            if isinstance(ext, ClientCertAuth) and not ext.consumed:
                for listener in gateway_listeners(gateway, ext):
                    key = (gateway.namespace or "", gateway.name, listener.name)
                    entry = (ext, ext.ca_namespace or gateway.namespace, gateway, listener)
                    wanted.setdefault(key, []).append(entry)
    for route in ir.routes:
        exts = [e for e in route.extensions if isinstance(e, ClientCertAuth)]
        for rule in getattr(route, "rules", []):
            exts.extend(e for e in rule.extensions if isinstance(e, ClientCertAuth))
        exts = [e for e in dict.fromkeys(exts) if not e.consumed]
        if not exts:
            continue
        pairs = list(route_listeners(ir, route))
        for ext in exts:
            if not pairs:
                # Plain-HTTP routes (an HTTPS redirect) carry no certificates; a problem only
                # if no route of the extension reaches an HTTPS listener.
                unplaced.setdefault(id(ext), (ext, route))
            for gateway, listener in pairs:
                key = (gateway.namespace or "", gateway.name, listener.name)
                entry = (ext, ext.ca_namespace or route.namespace, gateway, listener)
                if entry not in wanted.setdefault(key, []):
                    wanted[key].append(entry)
    for key in sorted(wanted):
        _listener_policy(state, wanted[key])
    placed = {id(entry[0]) for entries in wanted.values() for entry in entries}
    for key_id, (ext, route) in unplaced.items():
        if key_id not in placed:
            state.reject(ext, f"{route.KIND} {route.name} is attached to no HTTPS listener")


def _listener_policy(
    state: State, entries: list[tuple[ClientCertAuth, str | None, Gateway, Listener]]
) -> None:
    first, ca_namespace, gateway, listener = entries[0]
    chosen = (first.ca_secret, ca_namespace, first.verify)
    ca: JSONDict = {"group": "", "kind": "Secret", "name": first.ca_secret}
    if ca_namespace and ca_namespace != gateway.namespace:
        ca["namespace"] = ca_namespace
    mode = _MODES.get(first.verify, "RequireAndVerify")
    spec: JSONDict = {
        "targetRefs": [target_ref("Gateway", gateway.name, listener.name)],
        "tls": {"clientValidation": {"caCertificateRefs": [ca], "mode": mode}},
    }
    name = state.name(
        CLIENT_TRAFFIC_POLICY,
        gateway.namespace,
        f"{gateway.name}-{listener.name}",
        f"{gateway.namespace}/{gateway.name}/{listener.name}",
    )
    matching = [e for e in entries if (e[0].ca_secret, e[1], e[0].verify) == chosen]
    emitted = state.add_object(
        CLIENT_TRAFFIC_POLICY, gateway.namespace, name, spec, [e[0] for e in matching]
    )
    grants = []
    if ca_namespace and gateway.namespace and ca_namespace != gateway.namespace:
        grants.append(
            ReferenceGrant(
                namespace=ca_namespace,
                from_group=EG_GROUP,
                from_kind=CLIENT_TRAFFIC_POLICY,
                from_namespace=gateway.namespace,
                to_group="",
                to_kind="Secret",
                to_name=first.ca_secret,
            )
        )
    notes = []
    status = Status.CONVERTED
    if listener.hostname:
        notes.append(f"applies to every route of listener {listener.name} ({listener.hostname})")
    else:
        status = Status.PARTIAL
        notes.append(f"applies to every host of listener {listener.name}")
    if first.verify == "optional_no_ca":
        status = Status.PARTIAL
        notes.append("optional_no_ca → mode Request (the certificate is requested, not verified)")
    contribution = Contribution(CLIENT_TRAFFIC_POLICY, {}, status, "; ".join(notes), grants=grants)
    for ext, _, _, _ in matching:
        state.accept(ext, contribution, [emitted.ref])
    for ext, other_ns, _, _ in entries:
        if (ext.ca_secret, other_ns, ext.verify) != chosen:
            state.reject(
                ext,
                f"listener {gateway.name}/{listener.name} already verifies client certificates "
                f"against {ca_namespace}/{first.ca_secret} ({first.verify}); one listener has one "
                "client validation",
            )
