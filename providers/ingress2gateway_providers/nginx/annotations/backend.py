"""Backends: ``backend-protocol``, ``proxy-ssl-*``, ``ssl-passthrough``, ``service-upstream``.

* ``GRPC`` / ``GRPCS``: the Ingress's paths move from the HTTPRoute to a GRPCRoute (same parents
  and hostnames). ``/`` matches every method; ``/pkg.Service`` a service; ``/pkg.Service/Method``
  one method; other paths cannot be expressed as gRPC matches and are reported.
* ``HTTPS`` / ``GRPCS``: the gateway must speak TLS to the Service. With ``proxy-ssl-verify: "on"``
  and a ``proxy-ssl-name`` (as the controller requires to verify), a BackendTLSPolicy is emitted
  per Service (``proxy-ssl-secret`` names the CA: a ConfigMap of the same name with ``ca.crt``
  must exist). Otherwise the controller spoke TLS without verifying, which Gateway API cannot
  express: the rules get the backend-TLS-options extension (no verification, the
  ``proxy-ssl-secret`` client certificate, the SNI when ``proxy-ssl-server-name`` is on), which an
  emitter that cannot express it reports (the backend would receive plain text). A
  ``proxy-ssl-secret`` client certificate with verification on travels the same way.
* ``AUTO_HTTP`` / ``HTTP``: plain HTTP. ``FCGI``: not supported (error).
* A backend Service of type ``ExternalName`` (when the Service is in the input): the controller
  connects to its ``externalName`` on the port's ``targetPort`` (``externalNamePorts``); the
  rules get the external-name extension, which the envoy-gateway emitter turns into a
  ``Backend`` with that FQDN (Envoy Gateway refuses ExternalName Services as backendRefs) and
  the standard emitter reports. NGINX Inc (NGINX Plus only) connects on the port the Ingress
  backend or the VirtualServer upstream names, not a ``targetPort``; VirtualServer upstreams
  get the extension too.
* ``ssl-passthrough: "true"`` (any Ingress of the host turns it on): a TLS listener in
  Passthrough mode and a TLSRoute to the host's backends; nginx forwarded TLS untouched, so HTTP
  routing does not apply to HTTPS traffic of that host. Plain HTTP keeps its routes, redirected
  to HTTPS when the host has a certificate (a ``spec.tls`` entry), as nginx redirects it.
"""

from __future__ import annotations

import re

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import (
    BackendTLSOptions,
    BackendTLSPolicy,
    ExternalNameService,
    GRPCMethodMatch,
    GRPCRoute,
    HTTPRoute,
    Listener,
    Match,
    ParentRef,
    Route,
    Rule,
    SecretRef,
    TLSRoute,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from ._base import PROVIDER, Ann, ListenerNames, Run, is_https, on_gateway, routes_of, rules_of
from .inc_hosts import is_nginx_inc
from .redirects import note_trailing_slash, redirect_rule

_PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
_SSL_KEYS = ("proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-secret", "proxy-ssl-server-name")
_GRPC_SERVICE = re.compile(r"^/([A-Za-z_][A-Za-z0-9_.]*)/?\Z")
_GRPC_METHOD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_.]*)/([A-Za-z_][A-Za-z0-9_]*)\Z")
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")

GRPC_RULES = "grpc"


def apply(run: Run) -> None:
    for model in run.models:
        _protocol(run, model)
    _passthrough(run)


def _protocol(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    protocol = (ann.text("backend-protocol") or "HTTP").upper()
    pairs = rules_of(run, model)
    if protocol not in _PROTOCOLS:
        ann.invalid("backend-protocol", f"{protocol!r} is not one of {', '.join(_PROTOCOLS)}")
        protocol = "HTTP"
    if protocol == "FCGI":
        ann.unsupported(
            "backend-protocol",
            "FastCGI backends cannot be reached through Gateway API; the paths are converted as HTTP and will fail",
        )
    elif ann.has("backend-protocol"):
        ann.converted("backend-protocol", routes_of(pairs))
    if protocol in ("GRPC", "GRPCS"):
        for _, rule in pairs:
            run.grpc_rules.add(id(rule))
    if protocol in ("HTTPS", "GRPCS"):
        _backend_tls(run, ann, pairs)
    else:
        ann.ignored(_SSL_KEYS, "has no effect unless backend-protocol is HTTPS or GRPCS")


def _backend_tls(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    verify = ann.flag("proxy-ssl-verify", False)
    name = ann.text("proxy-ssl-name")
    services = sorted(
        {
            (b.name, b.namespace)
            for _, r in pairs
            for b in r.backend_refs
            if b.kind == "Service" and not b.group
        }
    )
    secret = ann.text("proxy-ssl-secret")
    ca = secret.rpartition("/")[2] if secret else None
    if not verify or name is None or not _DNS.match(name):
        why = (
            "proxy-ssl-verify is not on"
            if not verify
            else "proxy-ssl-name is missing or not a DNS name"
        )
        what = (
            f"TLS to {', '.join(s for s, _ in services) or 'the backend'} without verifying its "
            f"certificate ({why}): Gateway API only has verified backend TLS (BackendTLSPolicy), "
            'so the converted route would send plain text to a TLS port (set proxy-ssl-verify "on" '
            "and proxy-ssl-name, or create a BackendTLSPolicy by hand)"
        )
        keys = ["backend-protocol", "proxy-ssl-verify"]
        sni = _sni(ann, name)
        if sni:
            keys += ["proxy-ssl-name", "proxy-ssl-server-name"]
        if secret:
            keys.append("proxy-ssl-secret")
        _tls_options(ann, pairs, what, keys, insecure=True, sni=sni, secret=secret, ca=None)
        rest = [key for key in _SSL_KEYS if key not in keys]
        ann.ignored(rest, "not enough to verify the backend")
        return
    for service, namespace in services:
        policy = BackendTLSPolicy(
            name=run.ctx.allocator("BackendTLSPolicy", ann.model.namespace).allocate(
                f"{service}-backend-tls", f"btls/{service}"
            ),
            namespace=ann.model.namespace,
            service=service,
            hostname=name,
            ca_config_maps=[ca] if ca else [],
            provenance=ann.prov(
                "backend-protocol", "proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name"
            ),
        )
        if any(
            p.service == service and p.namespace == policy.namespace
            for p in run.ctx.ir.backend_tls_policies
        ):
            continue
        run.ctx.ir.backend_tls_policies.append(policy)
        _ = namespace
    for key in ("proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name"):
        ann.converted(key, [])
    if secret:
        ann.notify(
            "info",
            "annotation-unsupported",
            "proxy-ssl-secret",
            f"{ann.key('proxy-ssl-secret')}: the BackendTLSPolicy reads the CA from ConfigMap {ca} "
            f"(key ca.crt): create it from Secret {secret}",
        )
        ann.record(
            "proxy-ssl-secret",
            Status.PARTIAL,
            f"create ConfigMap {ca} with the CA (key ca.crt) from Secret {secret}",
        )
        what = (
            f"the client certificate of Secret {secret} presented to the backend (Gateway API has "
            "no per-route client certificate)"
        )
        _tls_options(
            ann, pairs, what, ["proxy-ssl-secret"], insecure=False, sni=name, secret=secret, ca=ca
        )


def _sni(ann: Ann, name: str | None) -> str | None:
    """nginx sends SNI only with ``proxy-ssl-server-name: on``."""
    if name is None or not _DNS.match(name) or not ann.flag("proxy-ssl-server-name", False):
        return None
    return name


def _tls_options(
    ann: Ann,
    pairs: list[tuple[HTTPRoute, Rule]],
    what: str,
    keys: list[str],
    *,
    insecure: bool,
    sni: str | None,
    secret: str | None,
    ca: str | None,
) -> None:
    """One backend-TLS-options extension per Service, on the rules that route to it."""
    cert = None
    if secret:
        namespace, _, secret_name = secret.rpartition("/")
        cert = SecretRef(secret_name, namespace or None)
    made: dict[tuple[str, str | None], BackendTLSOptions] = {}
    for _, rule in pairs:
        for ref in rule.backend_refs:
            if ref.kind != "Service" or ref.group:
                continue
            key = (ref.name, ref.namespace)
            if key not in made:
                made[key] = BackendTLSOptions(
                    service=ref.name,
                    namespace=ref.namespace,
                    insecure_skip_verify=insecure,
                    client_certificate=cert,
                    sni=sni,
                    ca_config_maps=[ca] if ca else [],
                    what=what,
                    provenance=ann.prov(*keys),
                )
            if made[key] not in rule.extensions:
                rule.extensions.append(made[key])


def apply_grpc(run: Run) -> None:
    """Move the rules of GRPC/GRPCS Ingresses into GRPCRoutes."""
    if not run.grpc_rules:
        return
    for route in list(run.lowered.routes):
        moved = [r for r in route.rules if id(r) in run.grpc_rules]
        if not moved:
            continue
        route.rules = [r for r in route.rules if id(r) not in run.grpc_rules]
        parents = list(route.parent_refs)
        # On a TLS host nginx redirected plain HTTP, which gRPC clients do not follow: serve
        # gRPC on the HTTPS listener only.
        secure = [p for p in parents if is_https(run, route, p)]
        grpc = GRPCRoute(
            name=run.ctx.allocator("GRPCRoute", route.namespace).allocate(
                route.name, f"grpc/{route.name}"
            ),
            namespace=route.namespace,
            hostnames=list(route.hostnames),
            parent_refs=secure or parents,
            provenance=list(route.provenance),  # its hosts
        )
        for rule in moved:
            converted = _grpc_rule(run, rule)
            if converted is not None:
                grpc.rules.append(converted)
        if grpc.rules:
            run.ctx.ir.routes.append(grpc)
        plain = [p for p in parents if p not in secure]
        if secure and plain:
            _redirect_plain_grpc(run, route, plain, moved)
        if not route.rules:
            run.lowered.routes.remove(route)
            run.ctx.ir.routes.remove(route)


def _redirect_plain_grpc(
    run: Run, route: HTTPRoute, plain: list[ParentRef], moved: list[Rule]
) -> None:
    """Plain HTTP to the paths of a gRPC Ingress on a TLS host: the controller answered with
    its HTTPS redirect (which gRPC clients do not follow, so the calls fail either way); an
    HTTPRoute on the HTTP listener redirects as it did, instead of a 404."""
    rules = [
        redirect_rule(rule, run.redirect_codes.get(id(rule), run.config.redirect_code), [])
        for rule in moved
        if not (id(rule) in run.ssl_exempt and id(rule) not in run.forced)
    ]
    note_trailing_slash(run, moved, route.hostnames[0] if route.hostnames else None)
    for number, start in enumerate(range(0, len(rules), 16), start=1):
        base = f"{route.name}-grpc-http" + (f"-{number}" if number > 1 else "")
        redirect = HTTPRoute(
            name=run.ctx.allocator("HTTPRoute", route.namespace).allocate(
                base, f"grpc-http/{route.name}/{number}"
            ),
            namespace=route.namespace,
            hostnames=list(route.hostnames),
            parent_refs=list(plain),
            rules=rules[start : start + 16],
        )
        run.ctx.ir.routes.append(redirect)


def _grpc_rule(run: Run, rule: Rule) -> Rule | None:
    path = rule.matches[0].path if rule.matches else None
    match: Match | None
    if path is None or path.value in ("/", "(?i)/.*"):
        match = None
    elif path.type != "RegularExpression" and (found := _GRPC_METHOD.match(path.value)):
        match = Match(grpc=GRPCMethodMatch(found.group(1), found.group(2)))
    elif path.type == "PathPrefix" and (found := _GRPC_SERVICE.match(path.value)):
        match = Match(grpc=GRPCMethodMatch(found.group(1)))
    else:
        for item in rule.provenance:
            message = f"path {path.value} cannot be expressed as a gRPC service/method match; it is not converted"
            run.ctx.report.flag(
                Level.ERROR,
                "path-not-representable",
                message,
                Status.UNSUPPORTED,
                source=item.source,
                field=item.field,
                provider=PROVIDER,
            )
        return None
    return Rule(
        matches=[match] if match else [],
        backend_refs=rule.backend_refs,
        filters=rule.filters,
        extensions=rule.extensions,
        provenance=rule.provenance,
        sources=rule.sources,
    )


def _passthrough(run: Run) -> None:
    done: set[str] = set()
    # Each Gateway's listener names and HTTPS listeners by host, and the routes by the listener
    # their parents name, made once: asking every listener and route for each host was
    # quadratic (4,000 passthrough Ingresses: 35 s). While this runs, only this function
    # changes listeners (it adds TLS ones and removes HTTPS ones), and keeps these up to date.
    listener_names = ListenerNames()
    https_of: dict[int, dict[str | None, list[Listener]]] = {}
    routes_of_section: dict[str, list[HTTPRoute]] = {}
    for route in run.lowered.routes:
        for parent in route.parent_refs:
            if parent.section_name:
                routes_of_section.setdefault(parent.section_name, []).append(route)
    for model in run.models:
        ann = run.ann(model)
        if not ann.flag("ssl-passthrough", False):
            continue
        gateway = run.lowered.gateway_of.get(model.source)
        pairs = rules_of(run, model)
        for host in [h for h in model.hosts() if h is not None]:
            if host in done or gateway is None:
                continue
            done.add(host)
            backends = []
            seen = set()
            for route, rule in pairs:
                if host not in route.hostnames:
                    continue
                for b in rule.backend_refs:
                    if b.identity() not in seen:
                        seen.add(b.identity())
                        backends.append(b)
            if not backends:
                continue
            if id(gateway) not in https_of:
                https: dict[str | None, list[Listener]] = {}
                for lst in gateway.listeners:
                    if lst.protocol == "HTTPS":
                        https.setdefault(lst.hostname, []).append(lst)
                https_of[id(gateway)] = https
            names = listener_names.of(gateway)
            wanted = f"{naming.host_slug(host)}-tls-passthrough"
            listener = Listener(
                name=naming.free_name(wanted, f"passthrough/{host}", names),
                port=443,
                protocol="TLS",
                hostname=host,
                tls_mode="Passthrough",
                provenance=ann.prov("ssl-passthrough"),
            )
            if model.namespace != gateway.namespace:
                listener.allowed_namespaces.add(model.namespace)
            gateway.listeners.append(listener)
            names.add(listener.name)
            tls_route = TLSRoute(
                name=run.ctx.allocator("TLSRoute", model.namespace).allocate(
                    f"{model.name}-{naming.host_slug(host)}", f"tls/{host}"
                ),
                namespace=model.namespace,
                hostnames=[host],
                parent_refs=[gateway.parent_ref(model.namespace, listener.name)],
                backend_refs=list(backends),
                provenance=ann.prov("ssl-passthrough"),
            )
            run.ctx.ir.routes.append(tls_route)
            ann.converted(
                "ssl-passthrough",
                [tls_route, gateway],
                "TLS is passed through by SNI; port 80 keeps the HTTP routes (redirecting to "
                "HTTPS when the host has a certificate)",
            )
            # nginx hands every TLS connection of the host to the backend: no HTTPS listener serves it.
            for other in https_of[id(gateway)].pop(host, []):
                run.passed_through.setdefault(host, []).extend(other.provenance)
                gateway.listeners.remove(other)
                names.discard(other.name)
                for r in routes_of_section.get(other.name, ()):
                    r.parent_refs = [
                        p
                        for p in r.parent_refs
                        if p.section_name != other.name or not on_gateway(gateway, r, p)
                    ]


def apply_external_names(run: Run) -> None:
    """Rules whose backendRef names an ExternalName Service of the input get the external-name
    extension (one per Service and port), with the backend fields as provenance."""
    # NGINX Inc (NGINX Plus only) connects to externalName on the port the backend names
    # (getExternalEndpointsForIngressBackend), not a targetPort.
    inc_sources = {m.source for m in run.models if is_nginx_inc(m, run)}
    attach_external_names(run.ctx, run.ctx.ir.routes, inc_sources)


def attach_external_names(
    ctx: ProviderContext, routes: list[Route], inc_sources: set[SourceRef]
) -> None:
    """The external-name extension on the rules of ``routes`` whose backendRef names an
    ExternalName Service of the input; a backend from ``inc_sources`` or a VirtualServer(Route)
    is NGINX Inc's, which connects on the port it names."""
    services = {
        (obj.namespace or "default", obj.name): obj.spec
        for obj in ctx.objects
        if obj.kind == "Service"
        and obj.api_version == "v1"
        and obj.name
        and obj.spec.get("type") == "ExternalName"
        and isinstance(obj.spec.get("externalName"), str)
    }
    if not services:
        return
    made: dict[tuple[str, str, int | None, bool], ExternalNameService] = {}
    for route in routes:
        if not isinstance(route, (HTTPRoute, GRPCRoute)):
            continue
        for rule in route.rules:
            for ref in rule.backend_refs:
                namespace = ref.namespace or route.namespace or "default"
                spec = services.get((namespace, ref.name))
                if ref.kind != "Service" or ref.group or spec is None:
                    continue
                inc = any(
                    p.source in inc_sources or p.source.kind in _INC_KINDS for p in ref.provenance
                )
                key = (namespace, ref.name, ref.port, inc)
                if key not in made:
                    made[key] = ExternalNameService(
                        service=ref.name,
                        namespace=ref.namespace,
                        service_port=ref.port,
                        hostname=str(spec["externalName"]).strip().lower().rstrip("."),
                        port=(ref.port or 0) if inc else _external_port(spec, ref.port),
                        provenance=list(ref.provenance),
                    )
                ext = made[key]
                ext.provenance = list(dict.fromkeys([*ext.provenance, *ref.provenance]))
                if ext not in rule.extensions:
                    rule.extensions.append(ext)


_INC_KINDS = frozenset({"VirtualServer", "VirtualServerRoute"})


def _external_port(spec: dict[str, object], port: int | None) -> int:
    """The port the controller connects to on an ExternalName Service (``externalNamePorts``,
    ``getEndpointsFromSlices``): the ``targetPort`` of the Service port the backend names (its
    ``port`` when the target is a name or none), else the port the backend names."""
    for entry in spec.get("ports") or []:  # type: ignore[attr-defined]
        if not isinstance(entry, dict) or entry.get("port") != port:
            continue
        target = entry.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool) and target > 0:
            return target
        if isinstance(target, str) and target.isdigit() and int(target) > 0:
            return int(target)
        return port if isinstance(port, int) else 0
    return port if isinstance(port, int) else 0
