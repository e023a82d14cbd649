"""Istio ``Gateway`` → Gateway API ``Gateway``.

Each server becomes one listener per (port, protocol, host), named
``<protocol>-<port>-<host>`` (unique, DNS-1123). ``credentialName``/``credentialNames`` become
``certificateRefs``; ``SIMPLE`` terminates TLS, ``PASSTHROUGH``/``AUTO_PASSTHROUGH`` make a TLS
listener in Passthrough mode (Gateway API HTTPS listeners cannot pass through), ``MUTUAL`` and
``OPTIONAL_MUTUAL`` terminate and ask for client-certificate validation (a security finding where
the target cannot carry it), ``ISTIO_MUTUAL`` (mesh mTLS) has no equivalent. Certificates given
as file paths (``serverCertificate``/``privateKey``) cannot be referenced: that server is
reported and left out, because an HTTPS listener without a certificate is invalid.

``httpsRedirect`` becomes an HTTPRoute on that HTTP listener redirecting to ``https`` with 301;
VirtualServices do not attach to such a listener, as Istio serves only the redirect there.
A host's ``ns/`` part becomes the listener's ``allowedRoutes``: ``ns/host`` admits that
namespace, ``./host`` only the Gateway's own. Istio lets every namespace bind a host without a
prefix (or with ``*/``); such a listener admits the namespaces of the converted VirtualServices
that bind it (reported as information), never more.
"""

from __future__ import annotations

from ingress2gateway.converting.naming import NameAllocator, host_slug
from ingress2gateway.ir import (
    ClientCertAuth,
    Gateway,
    HTTPRoute,
    Listener,
    ParentRef,
    ReferenceGrant,
    RequestRedirect,
    Rule,
    SecretRef,
)
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.reporting.report import Level, Status

from .common import (
    GATEWAY_GROUP,
    Fields,
    GatewayInfo,
    ListenerInfo,
    State,
    as_dict,
    as_list,
    host_overlap,
    ns_of,
    valid_hostname,
)

SERVER_KEYS = ("port", "hosts", "tls", "bind", "name", "defaultEndpoint")
TLS_KEYS = (
    "mode",
    "httpsRedirect",
    "credentialName",
    "credentialNames",
    "caCertCredentialName",
    "serverCertificate",
    "privateKey",
    "caCertificates",
    "caCrl",
    "subjectAltNames",
    "verifyCertificateSpki",
    "verifyCertificateHash",
    "minProtocolVersion",
    "maxProtocolVersion",
    "cipherSuites",
    "tlsCertificates",
    "insecureSkipVerify",
)
# TLS settings a Gateway API listener cannot state (files, pinning, versions, ciphers).
_TLS_UNSUPPORTED = TLS_KEYS[5:]
_HTTP_PROTOCOLS = ("HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB")
"""``protocol.Instance.IsHTTP``: Istio serves these in plain text, whatever ``tls`` says."""
_TCP_PROTOCOLS = ("TCP", "MONGO", "MYSQL", "REDIS")
_PASSTHROUGH = ("PASSTHROUGH", "AUTO_PASSTHROUGH")
_TERMINATE = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")


HostRules = dict[str | None, tuple[bool, set[str]]]
"""Listener hostname → (any namespace may bind, namespaces that may bind)."""


def convert_gateway(state: State, obj: KubeObject) -> GatewayInfo:
    fields = state.fields(obj)
    namespace = ns_of(obj)
    istio_name = obj.name or "gateway"
    name = state.ctx.allocator("Gateway", obj.namespace).allocate(
        istio_name, f"istio:{namespace}/{istio_name}"
    )
    info = GatewayInfo(istio_name, namespace, name, obj)
    spec = obj.spec
    if "selector" in spec:
        fields.ignored(
            "spec.selector",
            "the GatewayClass (--gateway-class-name) decides which proxies serve the Gateway; "
            "the pod selector has no Gateway API equivalent",
        )
    fields.unknown_keys("spec", spec, ("selector", "servers"))
    names = NameAllocator()
    for index, server in enumerate(as_list(spec.get("servers"))):
        _server(state, fields, info, names, index, server)
    return info


def _server(
    state: State,
    fields: Fields,
    info: GatewayInfo,
    names: NameAllocator,
    index: int,
    server: object,
) -> None:
    path = f"spec.servers[{index}]"
    if not isinstance(server, dict):
        fields.unsupported(path, "server is not a mapping", "istio-server-skipped", error=True)
        return
    fields.unknown_keys(path, server, SERVER_KEYS)
    for key in ("bind", "defaultEndpoint"):
        if key in server:
            fields.unsupported(
                f"{path}.{key}",
                f"{key} has no listener equivalent (addresses belong to the whole Gateway)",
            )
    if "name" in server:
        fields.ignored(f"{path}.name", "listener names are generated as <protocol>-<port>-<host>")
    port = as_dict(server.get("port"))
    number = port.get("number")
    protocol = str(port.get("protocol") or "").upper()
    fields.unknown_keys(f"{path}.port", port, ("number", "protocol", "name", "targetPort"))
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
        _skip(fields, path, server, f"server port {number!r} is not a port number")
        return
    tls = as_dict(server.get("tls"))
    layout = _layout(protocol, tls)
    if isinstance(layout, str):
        _skip(fields, path, server, layout)
        return
    listener_protocol, tls_mode = layout
    refs = _certificates(state, tls, info.namespace) if tls_mode == "Terminate" else []
    if tls_mode == "Terminate" and not refs:
        _skip(
            fields,
            path,
            server,
            "TLS termination without credentialName: certificates mounted as files "
            "(serverCertificate/privateKey) cannot be referenced by a listener; put them in a "
            "Secret and set credentialName",
        )
        return
    plain = {k: v for k, v in tls.items() if k != "httpsRedirect"}
    if listener_protocol == "HTTP" and plain:
        message = (
            f"protocol {protocol} is plain text in Istio: its validation rejects TLS settings "
            "on such a port and its gateway does not use them; the listener is HTTP (use "
            "protocol HTTPS to terminate TLS)"
        )
        fields.notify(Level.WARNING, "istio-field-unsupported", f"{path}.tls", message)
        for key in sorted(plain):
            fields.record(f"{path}.tls.{key}", Status.IGNORED, message)
        tls = {k: v for k, v in tls.items() if k == "httpsRedirect"}
    ca_name = _tls_fields(fields, path, tls, listener_protocol, tls_mode)
    client_ca = _client_ca(state, fields, path, tls, ca_name, info.namespace) if ca_name else None
    if tls_mode == "Terminate":
        _check_credentials(state, fields, path, refs)
    redirect = bool(tls.get("httpsRedirect")) and listener_protocol == "HTTP"
    hosts = _hosts(fields, path, as_list(server.get("hosts")), info.namespace)
    if listener_protocol == "TCP":
        # TCP listeners cannot have a hostname: one listener serves every host of the server.
        any_ns = not hosts or any(a for a, _ in hosts.values())
        spaces: set[str] = set()
        for _, found in hosts.values():
            spaces |= found
        hosts = {None: (any_ns, spaces)}
    made = 0
    for hostname in sorted(hosts, key=lambda h: h or ""):
        any_ns, spaces = hosts[hostname]
        wanted_key = (number, listener_protocol, hostname)
        existing = next(
            (x for x in info.listeners if (x.port, x.protocol, x.hostname) == wanted_key), None
        )
        if existing is not None:
            if (existing.tls_mode, existing.redirect, existing.certificate_refs) != (
                tls_mode,
                redirect,
                refs,
            ):
                fields.unsupported(
                    f"{path}.hosts",
                    f"host {hostname or '*'} on port {number} is already served by "
                    f"{existing.server_path} with other TLS settings; that server's are used",
                    "istio-server-skipped",
                )
                continue
            existing.any_namespace |= any_ns
            existing.namespaces |= spaces
            made += 1
            continue
        wanted = f"{listener_protocol.lower()}-{number}-{host_slug(hostname)}"
        info.listeners.append(
            ListenerInfo(
                name=names.allocate(wanted, f"{listener_protocol}/{number}/{hostname}"),
                port=number,
                protocol=listener_protocol,
                hostname=hostname,
                tls_mode=tls_mode,
                any_namespace=any_ns,
                namespaces=set(spaces),
                redirect=redirect,
                server_path=path,
                certificate_refs=list(refs),
                client_ca=client_ca,
            )
        )
        made += 1
    status = Status.CONVERTED if made else Status.UNSUPPORTED
    for item in (path, f"{path}.port", f"{path}.hosts"):
        fields.record(item, status)
    if not made:
        fields.notify(
            Level.WARNING, "istio-server-skipped", path, "no listener could be made from it"
        )


def _skip(fields: Fields, path: str, server: JSONDict, why: str) -> None:
    fields.unsupported(path, f"server not converted: {why}", "istio-server-skipped", error=True)
    for key in ("port", "hosts", "tls"):
        if key in server:
            fields.record(f"{path}.{key}", Status.UNSUPPORTED, why)
    for key in sorted(as_dict(server.get("tls"))):
        fields.record(f"{path}.tls.{key}", Status.UNSUPPORTED, why)


def _layout(protocol: str, tls: JSONDict) -> tuple[str, str | None] | str:
    """(listener protocol, TLS mode) for a server, or why it cannot be a listener."""
    # The proto's default TLS mode is PASSTHROUGH (enum value 0).
    mode = str(tls.get("mode") or "PASSTHROUGH").upper()
    if protocol in _TCP_PROTOCOLS:
        return "TCP", None
    if protocol in _HTTP_PROTOCOLS:
        # buildGatewayTCPBasedFilterChains: a port whose protocol IsHTTP gets one plain-text
        # connection manager; a tls block (other than httpsRedirect) is not used.
        return "HTTP", None
    if protocol not in ("HTTPS", "TLS"):
        return f"protocol {protocol or '(none)'!r} has no Gateway API listener protocol"
    if mode in _PASSTHROUGH:
        return "TLS", "Passthrough"
    if mode in _TERMINATE:
        return ("TLS" if protocol == "TLS" else "HTTPS"), "Terminate"
    if mode == "ISTIO_MUTUAL":
        return "ISTIO_MUTUAL is mesh mTLS between Istio workloads; Gateway API has no equivalent"
    return f"unknown TLS mode {mode!r}"


def _certificates(state: State, tls: JSONDict, gateway_namespace: str) -> list[SecretRef]:
    """``credentialName(s)``: Secrets in the namespace of the gateway's pods (Istio reads them
    there: ``pilot/pkg/xds/sds.go`` parses the resource name in the proxy's namespace and
    allows no other), referred to across namespaces when the Gateway object lives elsewhere."""
    names = [tls.get("credentialName"), *as_list(tls.get("credentialNames"))]
    namespace = state.workload_namespace
    where = None if namespace == gateway_namespace else namespace
    return [
        SecretRef(name, where)
        for name in dict.fromkeys(n for n in names if isinstance(n, str) and n)
    ]


def _check_credentials(state: State, fields: Fields, path: str, refs: list[SecretRef]) -> None:
    """Say where the certificate Secrets are assumed to be, and when the input says otherwise."""
    workload = state.workload_namespace
    for ref in refs:
        if (workload, ref.name) in state.secrets:
            continue
        elsewhere = sorted(ns for ns, name in state.secrets if name == ref.name)
        if elsewhere:
            fields.notify(
                Level.WARNING,
                "istio-assumed",
                f"{path}.tls",
                f"Secret {ref.name} is in {', '.join(elsewhere)} in the input, but Istio reads "
                f"credentialName in the namespace of the gateway's pods ({workload}, assumed; "
                f"option istio.gateway-workload-namespace): the listener refers to "
                f"{workload}/{ref.name}",
            )


def _client_ca(
    state: State, fields: Fields, path: str, tls: JSONDict, name: str, gateway_namespace: str
) -> SecretRef:
    """The Secret Istio takes a MUTUAL server's client CA from (``GetCaCert`` in
    ``pilot/pkg/credentials/kube/secrets.go``): ``<credentialName>-cacert`` when it exists,
    else the ``cacert``/``ca.crt`` key of the credential Secret itself."""
    workload = state.workload_namespace
    where = None if workload == gateway_namespace else workload
    credential = tls.get("credentialName")
    if "caCertCredentialName" in tls or not isinstance(credential, str):
        return SecretRef(name, where)
    separate = f"{credential}-cacert"
    if (workload, separate) in state.secrets:
        chosen = separate
    else:
        chosen = credential
        if (workload, credential) not in state.secrets:
            fields.notify(
                Level.WARNING,
                "istio-assumed",
                f"{path}.tls.credentialName",
                f"Istio reads the client CA from Secret {separate} if it exists, else from the "
                f"ca.crt key of {credential}; neither is in the input, so client certificates are "
                f"checked against {workload}/{credential} (its ca.crt): if {separate} exists, use "
                "it instead",
            )
    secret = state.secrets.get((workload, chosen))
    data = secret.data if secret is not None else {}
    keys = set(as_dict(data.get("data"))) | set(as_dict(data.get("stringData")))
    if secret is not None and "ca.crt" not in keys:
        fields.notify(
            Level.WARNING,
            "istio-field-partial",
            f"{path}.tls.credentialName",
            f"Secret {workload}/{chosen} holds the client CA as {sorted(keys & {'cacert'}) or keys}, "
            "not as ca.crt, which Envoy Gateway and Gateway API read: add the ca.crt key",
        )
    return SecretRef(chosen, where)


def _tls_fields(
    fields: Fields, path: str, tls: JSONDict, protocol: str, tls_mode: str | None
) -> str | None:
    """Account for each ``tls`` key; return the client CA Secret for MUTUAL modes."""
    tls_path = f"{path}.tls"
    fields.unknown_keys(tls_path, tls, TLS_KEYS)
    mode = str(tls.get("mode") or "PASSTHROUGH").upper()
    if "mode" in tls:
        if tls_mode is None:
            fields.ignored(f"{tls_path}.mode", f"TLS mode has no effect on a {protocol} server")
        elif mode == "AUTO_PASSTHROUGH":
            fields.partial(
                f"{tls_path}.mode",
                "AUTO_PASSTHROUGH routes by SNI to mesh services without a VirtualService; the "
                "Passthrough listener needs TLSRoutes for each host",
            )
        elif mode == "OPTIONAL_MUTUAL":
            fields.partial(
                f"{tls_path}.mode",
                "OPTIONAL_MUTUAL accepts clients without certificates; the client-certificate "
                "validation asked for here is mandatory",
            )
        else:
            fields.converted(f"{tls_path}.mode")
    if "httpsRedirect" in tls:
        if protocol == "HTTP":
            fields.converted(f"{tls_path}.httpsRedirect")
        else:
            fields.ignored(f"{tls_path}.httpsRedirect", "httpsRedirect only acts on HTTP servers")
    for key in ("credentialName", "credentialNames"):
        if key in tls:
            if tls_mode == "Terminate":
                fields.converted(f"{tls_path}.{key}")
            else:
                fields.ignored(f"{tls_path}.{key}", "no certificate is used in Passthrough mode")
    client_ca = None
    if mode in ("MUTUAL", "OPTIONAL_MUTUAL") and tls_mode == "Terminate":
        # Istio reads the CA from the credential's ca.crt key or from <credentialName>-cacert.
        ca = tls.get("caCertCredentialName") or (
            f"{tls['credentialName']}-cacert" if tls.get("credentialName") else None
        )
        client_ca = str(ca) if ca else None
    if "caCertCredentialName" in tls and client_ca is None:
        fields.ignored(f"{tls_path}.caCertCredentialName", "client certificates are not requested")
    for key in _TLS_UNSUPPORTED:
        if key in tls:
            fields.unsupported(
                f"{tls_path}.{key}",
                f"tls.{key} has no Gateway API listener equivalent",
                security=key
                in ("subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash"),
            )
    return client_ca


def _hosts(fields: Fields, path: str, hosts: list[object], gateway_ns: str) -> HostRules:
    rules: HostRules = {}
    for index, raw in enumerate(hosts):
        if not isinstance(raw, str) or not raw:
            fields.unsupported(f"{path}.hosts[{index}]", f"host {raw!r} is not a string")
            continue
        ns_part, _, host = raw.rpartition("/")
        ns_part = ns_part or "*"
        host = host.lower()
        hostname: str | None = None if host == "*" else host
        if hostname is not None and not valid_hostname(hostname):
            fields.unsupported(
                f"{path}.hosts[{index}]",
                f"host {raw!r} is not a valid listener hostname",
            )
            continue
        any_ns, spaces = rules.get(hostname, (False, set()))
        if ns_part == "*":
            any_ns = True
        elif ns_part == "~":
            fields.unsupported(f"{path}.hosts[{index}]", f"host {raw!r}: '~/' admits no namespace")
            continue
        elif ns_part != ".":
            spaces = spaces | {ns_part}
        else:
            spaces = spaces | {gateway_ns}
        rules[hostname] = (any_ns, spaces)
    if not hosts:
        rules[None] = (True, set())
    return rules


def build_gateway(state: State, info: GatewayInfo) -> None:
    """Add the IR Gateway (once every VirtualService has said which namespaces bind)."""
    fields = state.fields(info.obj)
    if not info.listeners:
        fields.notify(
            Level.ERROR,
            "istio-server-skipped",
            "spec.servers",
            "no server could become a listener: no Gateway was written",
        )
        return
    gateway = Gateway(
        name=info.name,
        namespace=info.obj.namespace,
        gateway_class=state.ctx.options.gateway_class_name or "istio",
        provenance=[fields.prov("spec")],
    )
    # Gateway-level: they close every rule of the routes on its listeners (access.py).
    gateway.extensions.extend(info.controls)
    for item in info.listeners:
        allowed: set[str | None] = {ns for ns in item.namespaces if ns != info.namespace}
        listener = Listener(
            name=item.name,
            port=item.port,
            protocol=item.protocol,  # type: ignore[arg-type]
            hostname=item.hostname,
            tls_mode=item.tls_mode,  # type: ignore[arg-type]
            certificate_refs=list(item.certificate_refs),
            allowed_namespaces=allowed,
            provenance=[fields.prov(item.server_path)],
        )
        gateway.listeners.append(listener)
        if item.client_ca is not None:
            gateway.extensions.append(
                ClientCertAuth(
                    ca_secret=item.client_ca.name,
                    ca_namespace=item.client_ca.namespace,
                    provenance=[fields.prov(f"{item.server_path}.tls.mode")],
                )
            )
        for ref in item.certificate_refs:
            if ref.namespace is not None:
                state.ir.add_grant(
                    ReferenceGrant(
                        namespace=ref.namespace,
                        from_group=GATEWAY_GROUP,
                        from_kind="Gateway",
                        from_namespace=info.namespace,
                        to_group="",
                        to_kind="Secret",
                        to_name=ref.name,
                    ),
                    fields.prov(f"{item.server_path}.tls"),
                )
        if item.redirect:
            _redirect_route(state, fields, info, item)
    _report_open_hosts(fields, info)
    _report_secret_namespace(state, fields, info)
    # More than 64 listeners move to ListenerSets (or more Gateways) in core: spill.py.
    state.ir.gateways.append(gateway)
    info.emitted = True


def _report_secret_namespace(state: State, fields: Fields, info: GatewayInfo) -> None:
    """Say once per server which namespace its certificates were looked for in."""
    seen: set[str] = set()
    for item in info.listeners:
        moved = [r.name for r in item.certificate_refs if r.namespace is not None]
        if not moved or item.server_path in seen:
            continue
        seen.add(item.server_path)
        fields.notify(
            Level.INFO,
            "istio-assumed",
            f"{item.server_path}.tls",
            f"Istio reads credentialName Secrets ({', '.join(moved)}) in the namespace of the "
            f"gateway's pods, not the Gateway's: the listener refers to them in "
            f"{state.workload_namespace} (assumed; option istio.gateway-workload-namespace), "
            "with a ReferenceGrant there",
        )


def _report_open_hosts(fields: Fields, info: GatewayInfo) -> None:
    """One note per server whose hosts admit every namespace in Istio (see module doc)."""
    by_server: dict[str, set[str]] = {}
    for item in info.listeners:
        if item.any_namespace:
            spaces = by_server.setdefault(item.server_path, {info.namespace})
            spaces.update(item.namespaces)
    for path, spaces in sorted(by_server.items()):
        fields.notify(
            Level.INFO,
            "istio-allowed-routes",
            f"{path}.hosts",
            "Istio lets VirtualServices of any namespace bind hosts without a namespace "
            f"prefix; the listeners admit routes from {', '.join(sorted(spaces))} only (where "
            "the converted VirtualServices are)",
        )


def _redirect_route(state: State, fields: Fields, info: GatewayInfo, item: ListenerInfo) -> None:
    namespace = info.obj.namespace
    name = state.ctx.allocator("HTTPRoute", namespace).allocate(
        f"{info.name}-{item.name}-https-redirect",
        f"istio-redirect:{info.namespace}/{info.name}/{item.name}",
    )
    prov = fields.prov(f"{item.server_path}.tls.httpsRedirect")
    state.ir.routes.append(
        HTTPRoute(
            name=name,
            namespace=namespace,
            parent_refs=[ParentRef(info.name, section_name=item.name)],
            rules=[
                Rule(
                    # Envoy's require_tls redirect keeps the Host header as sent: a server on
                    # another port than 80 sends clients to https on that same port.
                    filters=[
                        RequestRedirect(
                            scheme="https",
                            status_code=301,
                            port=None if item.port == 80 else item.port,
                            provenance=[prov],
                        )
                    ],
                    provenance=[prov],
                )
            ],
            provenance=[prov],
        )
    )


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _selector(info: GatewayInfo) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(info.obj.spec.get("selector")).items()}


def _specificity(hostname: str | None) -> tuple[int, int]:
    if hostname is None:
        return (0, 0)
    return (1, len(hostname)) if hostname.startswith("*.") else (2, len(hostname))


def report_shared_addresses(state: State) -> None:
    """Istio Gateways that select the same pods share their address (``mergeGateways``): on a
    port, the most specific host wins among all their servers. Each becomes a Gateway API
    Gateway of its own, with an address of its own: where two of them take the same host on
    the same port, DNS decides which answers. Say so on both, with the Gateway to point the host
    at."""
    emitted = [i for i in state.gateways.values() if i.emitted]
    for number, first in enumerate(emitted):
        for second in emitted[number + 1 :]:
            a, b = _selector(first), _selector(second)
            if not (_selects(a, b) or _selects(b, a)):
                continue
            for one in first.listeners:
                for other in second.listeners:
                    if one.port != other.port or one.protocol != other.protocol:
                        continue
                    if not host_overlap(one.hostname, other.hostname):
                        continue
                    _shared(state, (first, one), (second, other))


def _shared(
    state: State, first: tuple[GatewayInfo, ListenerInfo], second: tuple[GatewayInfo, ListenerInfo]
) -> None:
    (gw_a, one), (gw_b, other) = first, second
    hosts = [h for h in (one.hostname, other.hostname) if h is not None]
    shown = min(hosts, key=lambda h: (-_specificity(h)[0], -len(h))) if hosts else "every host"
    names = f"{gw_a.namespace}/{gw_a.istio_name} and {gw_b.namespace}/{gw_b.istio_name}"
    if _specificity(one.hostname) == _specificity(other.hostname):
        advice = (
            "Istio serves the routes of both there, on one address: merge the two Gateways "
            "(the routes of one do not reach the other's address)"
        )
    else:
        best = max((first, second), key=lambda pair: _specificity(pair[1].hostname))
        advice = f"point {shown} at Gateway {best[0].namespace}/{best[0].name}"
    message = (
        f"Gateways {names} select the same pods: Istio serves them on one address, where the "
        f"most specific host wins; as Gateway API Gateways each has an address, and both take "
        f"{shown} on port {one.port}: {advice}"
    )
    for info, item in (first, second):
        fields = state.fields(info.obj)
        fields.notify(Level.WARNING, "istio-shared-address", f"{item.server_path}.hosts", message)
