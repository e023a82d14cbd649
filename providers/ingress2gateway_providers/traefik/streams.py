"""IngressRouteTCP and IngressRouteUDP.

* ``HostSNI(`*`)`` without ``tls`` → a TCP listener on the entry point's port and a TCPRoute.
* ``HostSNI(`a.example`)`` (``||`` of several) with ``tls.passthrough`` → a TLS listener in
  Passthrough mode and a TLSRoute; with ``tls.secretName`` → Terminate with that certificate.
  A HostSNI rule without ``tls`` cannot be routed by Traefik either (no SNI without TLS):
  reported.
* ``ClientIP`` in a TCP rule, and MiddlewareTCP ``ipAllowList``, are access controls Gateway API
  cannot state for TCP: the route is not converted (closed), reported as a security error.
* IngressRouteUDP → a UDP listener and a UDPRoute per route.
"""

from __future__ import annotations

from ingress2gateway.converting.grammar import hostname_problem
from ingress2gateway.ir import Provenance, Route, SecretRef, TCPRoute, TLSRoute, UDPRoute
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Status

from . import rules, services
from .common import LEGACY_GROUP, TraefikRun, as_dict, as_list
from .gateway import gateway_for, grant_secret, listener
from .ingressroute import served


def _ports(run: TraefikRun, obj: KubeObject) -> list[int]:
    names = [n for n in as_list(obj.spec.get("entryPoints")) if isinstance(n, str)]
    ports = [run.entry_points[n] for n in names if n in run.entry_points]
    missing = [n for n in names if n not in run.entry_points]
    if missing or not names:
        run.invalid(
            obj.source(),
            "spec.entryPoints",
            f"entry points {', '.join(missing) or '(none named)'} have no port in the entry-points "
            "option (give one with --provider-option traefik.entry-points=NAME=PORT,...); "
            "routes on them are not converted",
        )
    else:
        run.record(obj.source(), "spec.entryPoints", Status.CONVERTED)
    return sorted(set(ports))


def convert(run: TraefikRun) -> None:
    for obj in run.of_kind(
        "IngressRouteTCP", "IngressRouteUDP", "MiddlewareTCP", "ServersTransportTCP"
    ):
        if obj.kind in ("MiddlewareTCP", "ServersTransportTCP"):
            continue
        if not served(run, obj):
            continue
        run.use(obj)
        if obj.group == LEGACY_GROUP:
            run.legacy(obj)
        ports = _ports(run, obj)
        for index, route in enumerate(as_list(obj.spec.get("routes"))):
            _route(run, obj, index, as_dict(route), ports)
        tls = as_dict(obj.spec.get("tls"))
        for key in tls:
            if not run.report.has_entry(obj.source(), f"spec.tls.{key}"):
                status = (
                    Status.CONVERTED if key in ("passthrough", "secretName") else Status.UNSUPPORTED
                )
                run.record(obj.source(), f"spec.tls.{key}", status)
        if "tls" in obj.spec and not tls:
            run.record(obj.source(), "spec.tls", Status.CONVERTED)


def _route(
    run: TraefikRun, obj: KubeObject, index: int, spec: dict[str, object], ports: list[int]
) -> None:
    source = obj.source()
    field_path = f"spec.routes[{index}]"
    udp = obj.kind == "IngressRouteUDP"
    hosts: list[str] | None = None
    if not udp:
        text = spec.get("match")
        if not isinstance(text, str):
            run.invalid(source, f"{field_path}.match", "a TCP route needs a match rule")
            return
        try:
            alternatives = rules.disjunctive_form(rules.parse(text, tcp=True))
        except rules.RuleError as exc:
            run.invalid(source, f"{field_path}.match", f"rule {text[:200]!r}: {exc}")
            return
        hosts = []
        for literals in alternatives:
            for literal in literals:
                name = literal.matcher.name
                if literal.negated or name != "HostSNI":
                    run.unsupported(
                        source,
                        f"{field_path}.match",
                        f"{'!' if literal.negated else ''}{literal.matcher.text()} cannot be "
                        "stated for a TCP route; the route is not converted",
                        security=name == "ClientIP",
                    )
                    return
                hosts.append(literal.matcher.args[0].lower())
        run.record(source, f"{field_path}.match", Status.CONVERTED)
    if spec.get("middlewares"):
        run.unsupported(
            source,
            f"{field_path}.middlewares",
            "MiddlewareTCP (IP allow-lists, connection limits) cannot be stated for TCP routes; "
            "the route is not converted",
            security=True,
        )
        return
    found = services.backends(
        run,
        obj.namespace,
        as_list(spec.get("services")),
        Provenance(source, f"{field_path}.services"),
    )
    if found is None or not found.refs or not ports:
        return
    gateway = gateway_for(run, obj.namespace)
    tls = as_dict(obj.spec.get("tls"))
    prov = Provenance(source, field_path)
    wildcard = hosts is not None and "*" in hosts
    routes: list[Route] = []
    for port in ports:
        if udp:
            made = listener(gateway, "UDP", port, None, prov)
            routes.append(
                UDPRoute(
                    name="",
                    namespace=obj.namespace,
                    parent_refs=[gateway.parent_ref(obj.namespace, made.name)],
                )
            )
        elif wildcard or not hosts:
            if tls and not tls.get("passthrough"):
                run.unsupported(
                    source,
                    "spec.tls",
                    "TLS termination for HostSNI(`*`) is not carried (no host to name)",
                )
                return
            made = listener(gateway, "TCP", port, None, prov)
            routes.append(
                TCPRoute(
                    name="",
                    namespace=obj.namespace,
                    parent_refs=[gateway.parent_ref(obj.namespace, made.name)],
                )
            )
        else:
            if not tls:
                run.invalid(
                    source,
                    f"{field_path}.match",
                    "HostSNI needs tls: Traefik cannot route it without",
                )
                return
            bad = [h for h in hosts if hostname_problem(h)]
            if bad:
                run.invalid(source, f"{field_path}.match", f"HostSNI {bad[0]!r} is not a DNS name")
                return
            parents = []
            for host in hosts:
                if tls.get("passthrough"):
                    made = listener(gateway, "TLS", port, host, prov, mode="Passthrough")
                else:
                    secret = tls.get("secretName")
                    if not isinstance(secret, str):
                        run.unsupported(
                            source,
                            "spec.tls",
                            "TLS termination without secretName (a resolver or the default store) is not carried",
                        )
                        return
                    cert = SecretRef(secret, obj.namespace)
                    made = listener(gateway, "TLS", port, host, prov, cert, mode="Terminate")
                    grant_secret(run, gateway, cert, prov)
                parents.append(gateway.parent_ref(obj.namespace, made.name))
            routes.append(
                TLSRoute(
                    name="", namespace=obj.namespace, hostnames=list(hosts), parent_refs=parents
                )
            )
    for route in routes:
        for parent in route.parent_refs:
            found_listener = gateway.listener(parent.section_name or "")
            if found_listener is not None and obj.namespace != gateway.namespace:
                found_listener.allowed_namespaces.add(obj.namespace)
        route.name = run.ctx.allocator(route.KIND, obj.namespace).allocate(
            f"{obj.name}-{index}"
            if len(as_list(obj.spec.get("routes"))) > 1
            else obj.name or "stream",
            f"traefik/{obj.kind}/{obj.namespace}/{obj.name}/{index}/{route.parent_refs}",
        )
        route.provenance = [prov]
        assert isinstance(route, (TCPRoute, TLSRoute, UDPRoute))
        route.backend_refs = list(found.refs)
        run.ctx.ir.routes.append(route)
    run.record(source, field_path, Status.CONVERTED)
