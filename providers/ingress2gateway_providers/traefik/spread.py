"""Routers without a host match every host in Traefik, competing by priority with the host's
own routers. A Gateway API route without hostnames attached only to a listener without
hostname would never see a request for a host that has a listener of its own (the most
specific listener takes it), so such routes are attached to every listener of their port and
protocol: they then compete with the host's routes, as in Traefik."""

from __future__ import annotations

from ingress2gateway.ir import Gateway, HTTPRoute

from .common import TraefikRun


def spread_hostless(run: TraefikRun, gateways: list[Gateway]) -> None:
    ours = {(g.namespace, g.name): g for g in gateways}
    for route in run.ctx.ir.routes:
        if not isinstance(route, HTTPRoute) or route.hostnames or id(route) not in run.routes:
            continue
        parents = list(route.parent_refs)
        for parent in route.parent_refs:
            gateway = ours.get((parent.namespace or route.namespace, parent.name))
            if gateway is None or parent.section_name is None:
                continue
            current = gateway.listener(parent.section_name)
            if current is None:
                continue
            wanted = {(current.protocol, current.port)}
            if id(route) in run.https_hostless:
                wanted.add(("HTTPS", 443))
            for other in gateway.listeners:
                if (other.protocol, other.port) not in wanted:
                    continue
                ref = gateway.parent_ref(route.namespace, other.name)
                if ref not in parents:
                    parents.append(ref)
                    if route.namespace != gateway.namespace:
                        other.allowed_namespaces.add(route.namespace)
        route.parent_refs = parents
