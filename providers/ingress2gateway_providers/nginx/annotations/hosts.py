"""Hosts: ``server-alias``, and keeping routes within Gateway API's limits.

``server-alias`` adds names to a host's nginx ``server``; the first Ingress of the host that sets
it wins, as in the controller. Each alias gets an HTTP listener (and HTTPS when the host's
certificate is known to cover it) and is added to the hostnames and parentRefs of the host's
routes. Aliases that are not DNS names are reported.

Canary and app-root rules are added after lowering; a route that grows beyond the CRD's 16 rules
is split, keeping rule order.
"""

from __future__ import annotations

from ingress2gateway.converting import naming
from ingress2gateway.converting.lowering import MAX_RULES_PER_ROUTE, hostname_problem
from ingress2gateway.ir import HTTPRoute, Listener, ParentRef
from ingress2gateway.reporting.report import Status

from ._base import ListenerNames, Run, looks_injected, on_gateway
from .inc_hosts import is_nginx_inc


def warn_wildcards(run: Run) -> None:
    r"""ingress-nginx makes ``*.example.com`` the server name ``~^(?<subdomain>[\w-]+)\.example
    \.com$`` (``buildServerName``): one label. A Gateway API wildcard takes any number of
    labels, so deeper names (``a.b.example.com``) now reach the Ingress's backends instead of
    the default server; Gateway API cannot say "one label"."""
    for model in run.models:
        if is_nginx_inc(model, run):
            continue  # NGINX Inc writes nginx's own wildcard, which takes any depth
        for index, host in model.rule_hosts:
            if host is None or not host.startswith("*."):
                continue
            run.ctx.report.warning(
                "nginx-wildcard-depth",
                f"ingress-nginx's {host} took one label only (a{host[1:]}), not deeper names "
                f"(a.b{host[1:]}, which went to the default server); the Gateway API wildcard "
                "takes any depth, so deeper names now reach this Ingress's backends",
                source=model.source,
                field=f"spec.rules[{index}].host",
                provider="nginx",
            )


def apply(run: Run) -> None:
    claimed: dict[tuple[str | None, str, str], str] = {}
    # Routes by host name and each Gateway's listener host names and names, made once: asking
    # every route and listener for each Ingress was quadratic (4,000 Ingresses with aliases:
    # 44 s). While this runs, only this function changes them: it adds listeners to Gateways
    # and aliases to routes, and keeps these up to date.
    position = {id(route): index for index, route in enumerate(run.lowered.routes)}
    routes_of: dict[str, list[HTTPRoute]] = {}
    for route in run.lowered.routes:
        for name in dict.fromkeys(route.hostnames):
            routes_of.setdefault(name, []).append(route)
    listener_hosts: dict[int, set[str | None]] = {}
    listener_names = ListenerNames()
    for model in run.models:
        ann = run.ann(model)
        raw = ann.raw("server-alias") or ""
        if looks_injected(raw):
            ann.invalid("server-alias", "contains nginx configuration characters", security=True)
            continue
        # Each alias once: nginx takes a repeated server name as one, and two listeners for
        # the same host would make the API server refuse the whole Gateway.
        aliases = list(
            dict.fromkeys(a.lower() for item in ann.csv("server-alias") for a in item.split())
        )
        if not aliases:
            continue
        gateway = run.lowered.gateway_of.get(model.source)
        hosts = [h for h in model.hosts() if h is not None]
        if gateway is None or not hosts:
            ann.record("server-alias", Status.IGNORED, "the Ingress has no named host")
            continue
        host = hosts[0]
        # One server per host and Gateway: with a Gateway per namespace, each namespace's
        # Gateway serves the host's aliases for its own routes.
        server = (gateway.namespace, gateway.name, host)
        owner = claimed.get(server)
        if owner is not None:
            ann.record(
                "server-alias",
                Status.IGNORED,
                f"server-alias of host {host} is already set by the older {owner} (first Ingress wins)",
            )
            continue
        claimed[server] = model.source.display()
        if id(gateway) not in listener_hosts:
            listener_hosts[id(gateway)] = {lst.hostname for lst in gateway.listeners}
        known, names = listener_hosts[id(gateway)], listener_names.of(gateway)
        matched = {
            id(r): r
            for r in routes_of.get(host, ())
            if any(on_gateway(gateway, r, p) for p in r.parent_refs)
        }
        routes = sorted(matched.values(), key=lambda r: position[id(r)])
        http_parents = [
            p
            for r in routes
            for p in r.parent_refs
            if (lst := gateway.listener(p.section_name or "")) and lst.protocol == "HTTP"
        ]
        touched = False
        for alias in aliases:
            problem = hostname_problem(alias)
            if problem or alias in known:
                ann.invalid(
                    "server-alias",
                    f"alias {alias!r} {problem or 'is already a host of the Gateway'}",
                )
                continue
            wanted = f"{naming.host_slug(alias)}-http"
            listener = Listener(
                name=naming.free_name(wanted, f"alias/{alias}", names),
                port=80,
                protocol="HTTP",
                hostname=alias,
                provenance=ann.prov("server-alias"),
            )
            if http_parents:
                base = gateway.listener(http_parents[0].section_name or "")
                if base is not None:
                    listener.allowed_namespaces = set(base.allowed_namespaces)
            gateway.listeners.append(listener)
            names.add(listener.name)
            known.add(alias)
            for route in routes:
                route.hostnames.append(alias)
                routes_of.setdefault(alias, []).append(route)
                parent = route.parent_refs[0]
                route.parent_refs.append(ParentRef(parent.name, parent.namespace, listener.name))
            touched = True
        if touched:
            ann.converted(
                "server-alias",
                [*routes, gateway],
                "aliases are served over HTTP; add certificates for HTTPS",
            )


def split_overfull(run: Run) -> None:
    for route in list(run.lowered.routes):
        if len(route.rules) <= MAX_RULES_PER_ROUTE:
            continue
        extra = route.rules[MAX_RULES_PER_ROUTE:]
        route.rules = route.rules[:MAX_RULES_PER_ROUTE]
        number = 2
        while extra:
            chunk, extra = extra[:MAX_RULES_PER_ROUTE], extra[MAX_RULES_PER_ROUTE:]
            new = HTTPRoute(
                name=run.ctx.allocator("HTTPRoute", route.namespace).allocate(
                    f"{route.name}-{number}", f"overflow/{route.name}/{number}"
                ),
                namespace=route.namespace,
                hostnames=list(route.hostnames),
                parent_refs=list(route.parent_refs),
                rules=chunk,
                provenance=list(route.provenance),  # its hosts
            )
            number += 1
            run.lowered.routes.append(new)
            run.ctx.ir.routes.append(new)
            for rule in chunk:
                for source in rule.sources:
                    pairs = run.lowered.rules_by_source.get(source, [])
                    run.lowered.rules_by_source[source] = [
                        (new if r is rule else rt, r) for rt, r in pairs
                    ]
