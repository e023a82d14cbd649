"""Istio ``VirtualService`` → HTTPRoute, TLSRoute and TCPRoute.

``hosts`` become ``hostnames`` (short names are ``<name>.<namespace>.svc.cluster.local``, ``*``
means every host); ``gateways`` become parentRefs (see :mod:`.parents`). The ``http[]`` routes
become HTTPRoutes that keep Istio's first-match order and each match's scope (see
:mod:`.httproutes`); what each route does is in :mod:`.httpactions`. ``tls[]`` → one TLSRoute
per entry (hostnames from ``sniHosts``), ``tcp[]`` → one TCPRoute per entry (bound to listeners of
the matched ``port``).

Istio's gateway only sees the VirtualServices exported to the namespace of its pods
(``exportTo``; istio-system unless ``--provider-option istio.gateway-workload-namespace`` says
otherwise); the others are not converted. A VirtualService without ``hosts`` is a delegate: it
is converted where a root's ``delegate`` names it, never on its own.
"""

from __future__ import annotations

from ingress2gateway.ir import TCPRoute, TLSRoute
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.reporting.report import Level, Status

from .common import VS, Fields, State, as_dict, as_list, ns_of, valid_hostname
from .delegates import is_delegate
from .httproutes import MAX_HOSTNAMES, prepare_http
from .parents import TCP_LISTENERS, TLS_LISTENERS, gateway_keys, parent_refs

VS_KEYS = ("hosts", "gateways", "http", "tls", "tcp", "exportTo")


def convert_virtual_service(state: State, obj: KubeObject) -> None:
    fields = state.fields(obj)
    spec = obj.spec
    namespace = ns_of(obj)
    if is_delegate(obj):
        return  # converted with the roots that delegate to it (see report_delegates)
    fields.unknown_keys("spec", spec, VS_KEYS)
    if not _visible(state, fields, obj):
        return
    raw_gateways = as_list(spec.get("gateways"))
    keys = gateway_keys(state, fields, raw_gateways, namespace)
    if not keys:
        message = (
            "mesh-only VirtualService (no ingress gateway in spec.gateways): sidecar routing is "
            "not converted"
        )
        fields.ignored("spec", message, "istio-mesh-only")
        return
    fields.record(
        "spec.gateways",
        Status.PARTIAL if "mesh" in raw_gateways else Status.CONVERTED,
        "the mesh gateway is not converted" if "mesh" in raw_gateways else None,
    )
    hosts = _hosts(state, fields, spec, namespace)
    vs = VS(state, obj, fields, namespace, keys, hosts)
    if "http" in spec:
        state.http_plans.append(prepare_http(vs, as_list(spec.get("http"))))
    for index, item in enumerate(as_list(spec.get("tls"))):
        _l4(vs, "tls", index, item)
    for index, item in enumerate(as_list(spec.get("tcp"))):
        _l4(vs, "tcp", index, item)


def _visible(state: State, fields: Fields, obj: KubeObject) -> bool:
    """``initVirtualServices``: Istio's gateway pods only see a VirtualService exported to their
    namespace (no ``exportTo``: everywhere)."""
    if "exportTo" not in obj.spec:
        return True
    values = [v for v in as_list(obj.spec.get("exportTo")) if isinstance(v, str)]
    namespace, workload = ns_of(obj), state.workload_namespace
    seen = (
        not values
        or "*" in values
        or workload in values
        or ("." in values and namespace == workload)
    ) and "~" not in values
    if seen:
        fields.ignored(
            "spec.exportTo",
            f"exported to the namespace of the gateway's pods ({workload}, assumed; option "
            "istio.gateway-workload-namespace); Gateway API routes bind by parentRefs",
        )
        return True
    message = (
        f"exportTo {values} does not include the namespace of the gateway's pods ({workload}, "
        "assumed; option istio.gateway-workload-namespace): Istio's gateway does not see this "
        "VirtualService, so it was not converted"
    )
    fields.notify(Level.WARNING, "istio-not-exported", "spec.exportTo", message)
    fields.record("spec", Status.IGNORED, message)
    return False


def report_delegates(state: State, delegates: list[KubeObject]) -> None:
    """Delegates no root used: never routed (Istio routes a VirtualService without hosts only
    through a root's ``delegate``)."""
    for obj in delegates:
        fields = state.fields(obj)
        key = (ns_of(obj), obj.name or "")
        fields.unknown_keys("spec", obj.spec, VS_KEYS)
        for item in ("gateways", "exportTo"):
            if item in obj.spec:
                fields.ignored(
                    f"spec.{item}",
                    f"a delegate's {item} is not used: its routes go where its roots bind",
                )
        if "hosts" in obj.spec:
            fields.ignored("spec.hosts", "empty: a delegate")
        if key in state.used_delegates:
            for kind in ("tls", "tcp"):
                if kind in obj.spec:
                    fields.ignored(f"spec.{kind}", "Istio merges only a delegate's http routes")
            continue
        fields.ignored(
            "spec",
            "a VirtualService without hosts is a delegate, routed only where a root's delegate "
            "names it; no root in the input does",
            "istio-delegate",
        )


def _hosts(state: State, fields: Fields, spec: JSONDict, namespace: str) -> list[str]:
    hosts: list[str] = []
    for index, raw in enumerate(as_list(spec.get("hosts"))):
        if not isinstance(raw, str) or not raw:
            fields.unsupported(f"spec.hosts[{index}]", f"host {raw!r} is not a string")
            continue
        host = state.fqdn(raw.lower(), namespace)
        if host != "*" and not valid_hostname(host):
            fields.unsupported(
                f"spec.hosts[{index}]", f"host {raw!r} is not a valid route hostname (IP address?)"
            )
            continue
        hosts.append(host)
    if "hosts" in spec:
        fields.converted("spec.hosts")
    return hosts or ["*"]


# --- tls and tcp -------------------------------------------------------------------------------

L4_MATCH_KEYS = (
    "sniHosts",
    "port",
    "destinationSubnets",
    "sourceLabels",
    "gateways",
    "sourceNamespace",
    "sourceSubnet",
)


def _l4(vs: VS, kind: str, index: int, raw: object) -> None:
    fields = vs.fields
    base = f"spec.{kind}[{index}]"
    item = as_dict(raw)
    fields.unknown_keys(base, item, ("match", "route"))
    sni: list[str] = []
    ports: set[int] = set()
    if "match" in item:
        fields.converted(f"{base}.match")
    for j, match in enumerate(as_list(item.get("match"))):
        match = as_dict(match)
        path = f"{base}.match[{j}]"
        fields.unknown_keys(path, match, L4_MATCH_KEYS)
        for host in as_list(match.get("sniHosts")):
            if isinstance(host, str):
                sni.append(vs.state.fqdn(host.lower(), vs.namespace))
        if isinstance(match.get("port"), int):
            ports.add(match["port"])
        for key in (
            "destinationSubnets",
            "sourceLabels",
            "gateways",
            "sourceNamespace",
            "sourceSubnet",
        ):
            if key in match:
                fields.unsupported(f"{path}.{key}", f"{key} has no {kind.upper()}Route equivalent")
        fields.converted(path)
    route_kind = "TLSRoute" if kind == "tls" else "TCPRoute"
    routes = as_list(item.get("route"))
    backends = []
    for k, dest in enumerate(routes):
        weight = as_dict(dest).get("weight")
        backend = vs.state.backend(
            fields,
            f"{base}.route[{k}].destination",
            as_dict(as_dict(dest).get("destination")),
            route_kind,
            vs.namespace,
            weight=(weight if isinstance(weight, int) else 0) if len(routes) > 1 else None,
        )
        if backend is not None:
            backends.append(backend)
    fields.record(
        f"{base}.route", Status.CONVERTED if len(backends) == len(routes) else Status.PARTIAL
    )
    if not backends:
        fields.unsupported(
            base,
            f"no destination could be converted: the {kind.upper()} route was not written",
            "istio-destination-unresolved",
            error=True,
        )
        return
    hosts: list[str | None] = list(sni) if sni else list(vs.hosts)
    port = next(iter(ports)) if len(ports) == 1 else None
    refs = parent_refs(
        vs.state,
        fields,
        vs.keys,
        vs.namespace,
        hosts,
        TLS_LISTENERS if kind == "tls" else TCP_LISTENERS,
        base,
        base,
        port,
    )
    name = vs.state.ctx.allocator(route_kind, vs.obj.namespace).allocate(
        f"{vs.obj.name}-{kind}-{index}", f"istio:{vs.namespace}/{vs.obj.name}/{kind}/{index}"
    )
    prov = [fields.prov(base)]
    fields.converted(base)
    if kind == "tls":
        hostnames = [h for h in sni if valid_hostname(h)] or vs.hostnames
        if len(hostnames) > MAX_HOSTNAMES:
            fields.partial(
                f"{base}.match",
                f"{len(hostnames)} SNI hosts exceed a TLSRoute's {MAX_HOSTNAMES} hostnames; the "
                "first ones are used",
            )
            hostnames = hostnames[:MAX_HOSTNAMES]
        vs.state.ir.routes.append(
            TLSRoute(
                name=name,
                namespace=vs.obj.namespace,
                hostnames=hostnames,
                parent_refs=refs,
                backend_refs=backends,
                provenance=prov,
            )
        )
    else:
        vs.state.ir.routes.append(
            TCPRoute(
                name=name,
                namespace=vs.obj.namespace,
                parent_refs=refs,
                backend_refs=backends,
                provenance=prov,
            )
        )
