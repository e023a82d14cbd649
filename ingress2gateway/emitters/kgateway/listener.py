"""Client ↔ Envoy settings → ``ListenerPolicy`` (which may target only a Gateway, or one of its
listeners by ``sectionName``; the fields go under ``spec.default``).

* **Client-certificate auth** → ``clientCertificateValidation`` on the HTTPS listener(s) the
  route is attached to: ``caCertificateRefs`` names the CA Secret (key ``ca.crt``), ``mode``
  ``Require`` (verification ``on``) or ``Optional`` (``optional``: a certificate, if given, must
  verify). ``optional_no_ca`` (request a certificate without verifying it) has no mode: not
  carried, so the pipeline closes the rules it protects. ingress-nginx applies it to the whole
  server (host), which is what a per-host listener is; on a listener without a hostname it
  covers every host. Two different CAs on one listener cannot both apply: the first wins.
* **Client idle timeout** (Gateway-wide keep-alive) → ``httpSettings.idleTimeout``.
* **Client IP detection** (Gateway-wide) from X-Forwarded-For → ``httpSettings.xffTrustedCIDRs``
  with ``useRemoteAddress: false``, or ``xffNumTrustedHops: 1`` without trusted ranges; the
  PROXY protocol → ``proxyProtocol``. Another header has no field.

A listener's policy repeats the Gateway-wide settings (a more specific policy may replace the
Gateway's).
"""

from __future__ import annotations

import ipaddress
import re

from ingress2gateway.emitters.envoy_gateway.client import gateway_listeners, route_listeners
from ingress2gateway.emitters.policy_state import gateway_settings
from ingress2gateway.ir import (
    IR,
    ClientCertAuth,
    ClientIPDetection,
    ClientTimeouts,
    Extension,
    Gateway,
    Listener,
    ReferenceGrant,
)
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    KGW_GROUP,
    LISTENER_POLICY,
    Contribution,
    MapEnv,
    Mapper,
    duration,
    merged,
)
from ._state import State, target_ref

MODES = {"on": "Require", "optional": "Optional"}
# The pattern of ListenerPolicy httpSettings.xffTrustedCIDRs[] (v2.4.x CRD): a prefix length
# is required.
_XFF_CIDR = re.compile(
    r"^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}\/([0-9]|[1-2][0-9]|3[0-2])\Z"
    r"|^((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:"
    r"|:(?::[0-9A-Fa-f]{1,4}){1,7}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}"
    r"|[0-9A-Fa-f]{1,4}:(?:(?::[0-9A-Fa-f]{1,4}){1,6})|:(?:(?::[0-9A-Fa-f]{1,4}){1,6}))"
    r"\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9])\Z"
)

ListenerKey = tuple[str, str, str]  # gateway namespace, gateway name, listener name
GatewayKey = tuple[str, str]
GatewaySettings = dict[GatewayKey, tuple[JSONDict, list[tuple[Extension, Contribution]]]]


def client_timeouts(ext: ClientTimeouts, env: MapEnv) -> Contribution | None:
    idle = duration(ext.idle)
    if idle is None or idle == "0s":
        return None  # Envoy reads zero as no timeout, where nginx closed at once
    notes = []
    if ext.request_headers is not None:
        notes.append("the time allowed for the request header is not carried")
    if ext.body_idle is not None:
        notes.append("the time between two reads of the request body is not carried")
    return Contribution(
        LISTENER_POLICY,
        {"httpSettings": {"idleTimeout": idle}},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
    )


def client_ip_detection(ext: ClientIPDetection, env: MapEnv) -> Contribution | None:
    spec: JSONDict = {}
    notes: list[str] = []
    needs: list[tuple[Need, str, str]] = []
    if ext.proxy_protocol:
        spec["proxyProtocol"] = {}
        notes.append("every connection must start with a PROXY protocol header")
        needs.append(
            (
                Need.OTHER,
                "PROXY protocol from the load balancer",
                "make the load balancer in front of the Gateway send a PROXY protocol header "
                "on every connection: Envoy now refuses connections without one",
            )
        )
    if ext.header and ext.header.lower() == "x-forwarded-for":
        cidrs = []
        for text in ext.trusted_cidrs:
            try:
                network = str(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                return None  # a trusted range left out would change who the client is
            if not _XFF_CIDR.match(network):
                return None
            cidrs.append(network)
        spec["httpSettings"] = (
            {"useRemoteAddress": False, "xffTrustedCIDRs": cidrs}
            if cidrs
            else {"xffNumTrustedHops": 1}
        )
    elif ext.header:
        notes.append(f"the client address from header {ext.header} is not carried")
    if not spec:
        return None
    return Contribution(
        LISTENER_POLICY,
        spec,
        Status.PARTIAL if ext.header and "httpSettings" not in spec else Status.CONVERTED,
        "; ".join(notes) or None,
        needs=needs,
    )


GATEWAY_MAPPERS: dict[type, Mapper] = {
    ClientTimeouts: client_timeouts,
    ClientIPDetection: client_ip_detection,
}


def gateway_listener_policies(ir: IR, state: State, emitted: set[ObjectRef]) -> GatewaySettings:
    """One ListenerPolicy per Gateway for its Gateway-wide client settings."""
    settings: GatewaySettings = {}
    for gateway in sorted(ir.gateways, key=lambda g: (g.namespace or "", g.name)):
        if gateway.ref not in emitted:
            continue
        spec, accepted = gateway_settings(state, gateway, GATEWAY_MAPPERS)
        if not accepted:
            continue
        settings[(gateway.namespace or "", gateway.name)] = (spec, accepted)
        name = state.name(
            LISTENER_POLICY, gateway.namespace, gateway.name, f"{gateway.namespace}/{gateway.name}"
        )
        full: JSONDict = {"targetRefs": [target_ref("Gateway", gateway.name)], "default": spec}
        body = state.add_object(
            LISTENER_POLICY, gateway.namespace, name, full, [e for e, _ in accepted]
        )
        for ext, contribution in accepted:
            state.accept(ext, contribution, [body.ref])
    return settings


Wanted = list[tuple[ClientCertAuth, str | None, Gateway, Listener]]


def client_cert_policies(ir: IR, state: State, settings: GatewaySettings) -> None:
    wanted: dict[ListenerKey, Wanted] = {}
    unplaced: dict[int, tuple[ClientCertAuth, str]] = {}
    for gateway in ir.gateways:
        for ext in gateway.extensions:
            if isinstance(ext, ClientCertAuth) and not ext.consumed and ext.verify in MODES:
                for listener in gateway_listeners(gateway, ext):
                    key = (gateway.namespace or "", gateway.name, listener.name)
                    entry = (ext, ext.ca_namespace or gateway.namespace, gateway, listener)
                    wanted.setdefault(key, []).append(entry)
    for route in ir.routes:
        exts = [e for e in route.extensions if isinstance(e, ClientCertAuth)]
        for rule in getattr(route, "rules", []):
            exts.extend(e for e in rule.extensions if isinstance(e, ClientCertAuth))
        exts = [e for e in dict.fromkeys(exts) if not e.consumed and e.verify in MODES]
        if not exts:
            continue
        pairs = list(route_listeners(ir, route))
        for ext in exts:
            if not pairs:
                unplaced.setdefault(id(ext), (ext, f"{route.KIND} {route.name}"))
            for gateway, listener in pairs:
                key = (gateway.namespace or "", gateway.name, listener.name)
                entry = (ext, ext.ca_namespace or route.namespace, gateway, listener)
                if entry not in wanted.setdefault(key, []):
                    wanted[key].append(entry)
    for key in sorted(wanted):
        _listener_policy(state, wanted[key], settings.get(key[:2]))
    placed = {id(entry[0]) for entries in wanted.values() for entry in entries}
    for key_id, (ext, where) in unplaced.items():
        if key_id not in placed:
            state.reject(ext, f"{where} is attached to no HTTPS listener")


def _listener_policy(
    state: State,
    entries: Wanted,
    gateway_wide: tuple[JSONDict, list[tuple[Extension, Contribution]]] | None,
) -> None:
    first, ca_namespace, gateway, listener = entries[0]
    chosen = (first.ca_secret, ca_namespace, first.verify)
    ca: JSONDict = {"group": "", "kind": "Secret", "name": first.ca_secret}
    if ca_namespace and ca_namespace != gateway.namespace:
        ca["namespace"] = ca_namespace
    default: JSONDict = {
        "clientCertificateValidation": {"caCertificateRefs": [ca], "mode": MODES[first.verify]}
    }
    if gateway_wide is not None:
        default = merged(gateway_wide[0], default)
    spec: JSONDict = {
        "targetRefs": [target_ref("Gateway", gateway.name, listener.name)],
        "default": default,
    }
    name = state.name(
        LISTENER_POLICY,
        gateway.namespace,
        f"{gateway.name}-{listener.name}",
        f"{gateway.namespace}/{gateway.name}/{listener.name}",
    )
    matching = [e for e in entries if (e[0].ca_secret, e[1], e[0].verify) == chosen]
    emitted = state.add_object(
        LISTENER_POLICY, gateway.namespace, name, spec, [e[0] for e in matching]
    )
    grants = []
    if ca_namespace and gateway.namespace and ca_namespace != gateway.namespace:
        grants.append(
            ReferenceGrant(
                namespace=ca_namespace,
                from_group=KGW_GROUP,
                from_kind=LISTENER_POLICY,
                from_namespace=gateway.namespace,
                to_group="",
                to_kind="Secret",
                to_name=first.ca_secret,
            )
        )
    notes = [f"Secret {first.ca_secret} must hold the CA certificates under ca.crt"]
    status = Status.CONVERTED
    if listener.hostname:
        notes.append(f"applies to every route of listener {listener.name} ({listener.hostname})")
    else:
        status = Status.PARTIAL
        notes.append(f"applies to every host of listener {listener.name}")
    contribution = Contribution(LISTENER_POLICY, {}, status, "; ".join(notes), grants=grants)
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
