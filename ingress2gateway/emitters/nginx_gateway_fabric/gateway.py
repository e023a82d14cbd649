"""NginxProxy (``gateway.nginx.org/v1alpha2``) for Gateway-wide data-plane settings, referenced
by the Gateway's ``spec.infrastructure.parametersRef`` (NGF's per-Gateway form; the GatewayClass
form would change every Gateway of the class).

* Client IP detection → ``rewriteClientIP{mode, trustedAddresses[], setIPRecursively: true}``:
  PROXY protocol → ``ProxyProtocol`` (the listeners then expect it, as the source's did);
  otherwise ``X-Forwarded-For`` → ``XForwardedFor``. Entries are skipped right to left as
  ingress-nginx's ``real_ip_recursive on`` does. Another header has no field; NGF requires
  trusted addresses with a mode (CEL), so an empty list is not carried.
* Client TLS settings: HTTP/2 off → ``disableHTTP2: true``. Protocol versions and ciphers have
  no NginxProxy field: settings with any of them stay in the report whole.
* Nothing on a target whose Gateway has no ``spec.infrastructure.parametersRef``.
"""

from __future__ import annotations

import ipaddress

from ingress2gateway.emitters.envoy_gateway._base import Contribution, MergeConflict, merged
from ingress2gateway.ir import ClientIPDetection, ClientTLSSettings, Extension, Gateway
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Status

from . import codes
from ._base import NGF_GROUP, State

NGINX_PROXY = "NginxProxy"
NGINX_PROXY_API_VERSION = f"{NGF_GROUP}/v1alpha2"


def _address(value: str) -> JSONDict | None:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None
    if network.prefixlen == network.max_prefixlen and "/" not in value:
        return {"type": "IPAddress", "value": str(network.network_address)}
    return {"type": "CIDR", "value": str(network)}


def client_ip(ext: ClientIPDetection) -> Contribution | None:
    addresses = [_address(value) for value in ext.trusted_cidrs]
    if not addresses or any(a is None for a in addresses) or len(addresses) > 64:
        return None
    lost: list[str] = []
    if ext.proxy_protocol:
        mode = "ProxyProtocol"
        if ext.header:
            lost.append(f"the {ext.header} header (PROXY protocol gives the address)")
    elif (ext.header or "").lower() == "x-forwarded-for":
        mode = "XForwardedFor"
    else:
        return None
    spec: JSONDict = {
        "rewriteClientIP": {
            "mode": mode,
            "setIPRecursively": True,
            "trustedAddresses": addresses,
        }
    }
    if lost:
        return Contribution(NGINX_PROXY, spec, Status.PARTIAL, f"not carried: {', '.join(lost)}")
    return Contribution(NGINX_PROXY, spec)


def client_tls(ext: ClientTLSSettings) -> Contribution | None:
    # Versions and ciphers have no field: the extension is then left whole for the report
    # rather than credited in part to an object that does not say them.
    if ext.http2 is not False or ext.min_version or ext.max_version or ext.ciphers:
        return None
    return Contribution(NGINX_PROXY, {"disableHTTP2": True})


def nginx_proxy(state: State, gateway: Gateway, body: JSONDict) -> None:
    items: list[tuple[Extension, Contribution]] = []
    for ext in gateway.extensions:
        contribution = None
        if isinstance(ext, ClientIPDetection) and not ext.consumed:
            contribution = client_ip(ext)
        elif isinstance(ext, ClientTLSSettings) and not ext.consumed:
            contribution = client_tls(ext)
        if contribution is not None:
            items.append((ext, contribution))
    spec: JSONDict = {}
    accepted = []
    for ext, contribution in items:
        combined = _merge(spec, contribution.spec)
        if combined is None:
            state.refuse(ext, codes.CONFLICT, f"the NginxProxy of Gateway {gateway.name} is set")
            continue
        spec = combined
        accepted.append((ext, contribution))
    if not state.ctx.target.has_field("Gateway", "spec.infrastructure.parametersRef"):
        return
    infrastructure = body.setdefault("spec", {}).setdefault("infrastructure", {})
    if not accepted or "parametersRef" in infrastructure:
        if not infrastructure:
            del body["spec"]["infrastructure"]
        return
    identity = f"{gateway.namespace}/{gateway.name}"
    name = state.name(NGINX_PROXY, gateway.namespace, gateway.name, identity)
    obj = state.add_object(NGINX_PROXY, gateway.namespace, name, spec, [e for e, _ in accepted])
    obj.body["apiVersion"] = NGINX_PROXY_API_VERSION
    infrastructure["parametersRef"] = {"group": NGF_GROUP, "kind": NGINX_PROXY, "name": name}
    for ext, contribution in accepted:
        state.accept(ext, contribution, [obj.ref, gateway.ref])


def _merge(base: JSONDict, extra: JSONDict) -> JSONDict | None:
    try:
        return merged(base, extra)
    except MergeConflict:
        return None
