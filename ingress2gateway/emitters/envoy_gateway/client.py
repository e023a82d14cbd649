"""Client ↔ Envoy settings → ``ClientTrafficPolicy`` (which attaches to a Gateway listener only).

* **Client-certificate auth** → ``tls.clientValidation`` on the HTTPS listener(s) the route is
  attached to (``sectionName`` = listener): ``caCertificateRefs`` names the CA Secret (key
  ``ca.crt``), ``mode`` follows the verification setting (``on`` → ``RequireAndVerify``,
  ``optional`` → ``VerifyIfGiven``, ``optional_no_ca`` → ``Request``, which requests a
  certificate without verifying it). ingress-nginx applies it to the whole server (host), which
  is what a per-host listener is; on a listener without a hostname it covers every host.
  Two different CAs on one listener cannot both apply: the first wins, the other is reported.
* **Client timeouts** (Gateway-wide) → ``timeout.http``: the time for the whole request header
  → ``requestHeadersReceivedTimeout``, the keep-alive idle time → ``idleTimeout``. The time
  between two reads of the request body is not carried: Envoy's ``streamIdleTimeout`` would
  also cut responses slower than it. A zero (nginx: keep-alive off) means "no timeout" to Envoy,
  so it is not carried either.
* **Client IP detection** (Gateway-wide) → ``clientIPDetection.xForwardedFor.trustedCIDRs`` (the
  client is the rightmost address not set by a trusted proxy, as nginx's ``real_ip_recursive``)
  or ``customHeader`` for another header; the PROXY protocol → ``proxyProtocol``.

* **Client TLS settings** (Gateway-wide) → ``tls.minVersion`` / ``maxVersion``, ``tls.ciphers``
  (concrete suite names only: OpenSSL cipher-string rules such as ``HIGH:!aNULL`` are not
  carried), HTTP/2 off → ``tls.alpnProtocols: [http/1.1]``. They apply to TLS listeners.

Gateway-wide settings go into a policy targeting the Gateway. Envoy Gateway applies a
listener's policy *instead of* the Gateway's, so a listener policy (client certificates) repeats
the Gateway-wide settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingress2gateway.emitters.policy_state import gateway_settings
from ingress2gateway.ir import (
    IR,
    ClientCertAuth,
    ClientIPDetection,
    ClientTimeouts,
    ClientTLSSettings,
    Extension,
    Gateway,
    Listener,
    ReferenceGrant,
    Route,
    listeners_made_from,
)
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    CLIENT_TRAFFIC_POLICY,
    EG_GROUP,
    Contribution,
    MapEnv,
    Mapper,
    duration_ms,
    format_ms,
    merged,
)
from ._state import State, target_ref

_MODES = {"on": "RequireAndVerify", "optional": "VerifyIfGiven", "optional_no_ca": "Request"}

ListenerKey = tuple[str, str, str]  # gateway namespace, gateway name, listener name
GatewayKey = tuple[str, str]  # gateway namespace, gateway name
GatewaySettings = dict[GatewayKey, tuple[JSONDict, list[tuple[Extension, Contribution]]]]


def client_timeouts(ext: ClientTimeouts, env: MapEnv) -> Contribution | None:
    http: JSONDict = {}
    notes: list[str] = []
    for value, key in (
        (ext.request_headers, "requestHeadersReceivedTimeout"),
        (ext.idle, "idleTimeout"),
    ):
        total = duration_ms(value) if value is not None else None
        if total:
            http[key] = format_ms(total)
        elif value is not None:
            notes.append(f"{key}: {value!r} not carried (Envoy reads zero as no timeout)")
    if ext.body_idle is not None:
        notes.append(
            "the time between two reads of the request body is not carried (Envoy's "
            "streamIdleTimeout would also cut slow responses)"
        )
    if not http:
        return None
    status = Status.PARTIAL if notes else Status.CONVERTED
    return Contribution(
        CLIENT_TRAFFIC_POLICY, {"timeout": {"http": http}}, status, "; ".join(notes) or None
    )


def client_ip_detection(ext: ClientIPDetection, env: MapEnv) -> Contribution | None:
    spec: JSONDict = {}
    notes: list[str] = []
    status = Status.CONVERTED
    if ext.proxy_protocol:
        spec["proxyProtocol"] = {}
        notes.append("every connection must start with a PROXY protocol header")
    if ext.header and ext.header.lower() == "x-forwarded-for":
        xff: JSONDict = (
            {"trustedCIDRs": list(ext.trusted_cidrs)}
            if ext.trusted_cidrs
            else {"numTrustedHops": 1}
        )
        spec["clientIPDetection"] = {"xForwardedFor": xff}
    elif ext.header:
        spec["clientIPDetection"] = {"customHeader": {"name": ext.header}}
        if ext.trusted_cidrs:
            status = Status.PARTIAL
            notes.append(
                f"the header {ext.header} is believed from every peer (trusted proxies: only "
                "with X-Forwarded-For)"
            )
    if not spec:
        return None
    needs = []
    if ext.proxy_protocol:
        needs.append(
            (
                Need.OTHER,
                "PROXY protocol from the load balancer",
                "make the load balancer in front of the Gateway send a PROXY protocol header "
                "on every connection: Envoy now refuses connections without one",
            )
        )
    return Contribution(CLIENT_TRAFFIC_POLICY, spec, status, "; ".join(notes) or None, needs=needs)


_TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
_CIPHER = re.compile(r"^[A-Z0-9][A-Z0-9_-]*\Z")


def client_tls_settings(ext: ClientTLSSettings, env: MapEnv) -> Contribution | None:
    tls: JSONDict = {}
    notes: list[str] = []
    for value, key in ((ext.min_version, "minVersion"), (ext.max_version, "maxVersion")):
        if value in _TLS_VERSIONS:
            tls[key] = value
        elif value is not None:
            notes.append(f"TLS version {value!r} not carried")
    if "minVersion" in tls and "maxVersion" in tls and tls["minVersion"] > tls["maxVersion"]:
        return None
    ciphers = [c for c in ext.ciphers if _CIPHER.match(c)]
    rules = [c for c in ext.ciphers if not _CIPHER.match(c)]
    if rules:
        notes.append(f"cipher rules Envoy does not read, left out: {':'.join(rules)}")
    if ciphers and tls.get("minVersion") == "1.3":
        notes.append("ciphers left out: TLS 1.3 suites are not configurable")
    elif ciphers:
        tls["ciphers"] = ciphers
    if ext.http2 is False:
        tls["alpnProtocols"] = ["http/1.1"]
    if not tls:
        return None
    return Contribution(
        CLIENT_TRAFFIC_POLICY,
        {"tls": tls},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
    )


GATEWAY_MAPPERS: dict[type, Mapper] = {
    ClientTimeouts: client_timeouts,
    ClientIPDetection: client_ip_detection,
    ClientTLSSettings: client_tls_settings,
}


def gateway_client_policies(ir: IR, state: State, emitted: set[ObjectRef]) -> GatewaySettings:
    """One policy per Gateway for its Gateway-wide client settings; returns the settings."""
    settings: GatewaySettings = {}
    for gateway in sorted(ir.gateways, key=lambda g: (g.namespace or "", g.name)):
        if gateway.ref not in emitted:
            continue
        spec, accepted = gateway_settings(state, gateway, GATEWAY_MAPPERS)
        if not accepted:
            continue
        settings[(gateway.namespace or "", gateway.name)] = (spec, accepted)
        if not spec:
            for ext, contribution in accepted:
                state.accept(ext, contribution, [gateway.ref])
            continue
        name = state.name(
            CLIENT_TRAFFIC_POLICY,
            gateway.namespace,
            gateway.name,
            f"{gateway.namespace}/{gateway.name}",
        )
        full: JSONDict = {"targetRefs": [target_ref("Gateway", gateway.name)], **spec}
        body = state.add_object(
            CLIENT_TRAFFIC_POLICY, gateway.namespace, name, full, [e for e, _ in accepted]
        )
        for ext, contribution in accepted:
            state.accept(ext, contribution, [body.ref])
    return settings


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


def gateway_listeners(gateway: Gateway, ext: ClientCertAuth) -> list[Listener]:
    """The HTTPS listeners a Gateway-wide setting belongs to.

    The HTTPS listeners made from the input field the setting came from (an Istio server and
    its ``tls.mode``), else every HTTPS listener of the Gateway. None when that field made only
    listeners of another protocol (a TLS server): a ClientTrafficPolicy is not put on
    unrelated listeners, and the setting stays unconsumed (the pipeline closes the routes it
    protects).
    """
    related = listeners_made_from(gateway, ext.provenance)
    if related:
        return [item for item in related if item.protocol == "HTTPS"]
    return _https(gateway)


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


def client_cert_policies(ir: IR, state: State, settings: GatewaySettings | None = None) -> None:
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
        _listener_policy(state, wanted[key], (settings or {}).get(key[:2]))
    placed = {id(entry[0]) for entries in wanted.values() for entry in entries}
    for key_id, (ext, route) in unplaced.items():
        if key_id not in placed:
            state.reject(ext, f"{route.KIND} {route.name} is attached to no HTTPS listener")


def _listener_policy(
    state: State,
    entries: list[tuple[ClientCertAuth, str | None, Gateway, Listener]],
    gateway_wide: tuple[JSONDict, list[tuple[Extension, Contribution]]] | None = None,
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
    if gateway_wide is not None:
        # The listener's policy replaces the Gateway's for this listener: repeat its settings.
        spec = {"targetRefs": spec.pop("targetRefs"), **merged(gateway_wide[0], spec)}
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
    for wide, wide_contribution in gateway_wide[1] if gateway_wide else []:
        state.accept(wide, wide_contribution, [emitted.ref])
    for ext, other_ns, _, _ in entries:
        if (ext.ca_secret, other_ns, ext.verify) != chosen:
            state.reject(
                ext,
                f"listener {gateway.name}/{listener.name} already verifies client certificates "
                f"against {ca_namespace}/{first.ca_secret} ({first.verify}); one listener has one "
                "client validation",
            )
