"""HAProxy Ingress ``server-alias`` (Host scope): another host name answered by the same rules.

The alias joins the host's routes as a hostname, with listeners of its own mirroring the
host's (HTTP, and HTTPS with the host's certificate, as HAProxy serves it). An alias that is a
host of its own in the input, a wildcard the Ingress spec would not accept, or not a DNS name
is reported and not added. ``server-alias-regex`` has no Gateway API equivalent (reported).

``redirect-from`` (Host scope) is the opposite: requests for that other name are redirected to
the host (same scheme, path and query; 302, or ``redirect-from-code``), by a route of their own
on listeners mirroring the host's. ``redirect-from-regex`` is reported.
"""

from __future__ import annotations

from collections.abc import Mapping

from ingress2gateway.converting import grammar, naming
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import Gateway, HTTPRoute, Listener, RequestRedirect, Rule
from ingress2gateway.plugin import ProviderContext

from .catalog import HAPROXY_INGRESS
from .keys import Keys


def apply(
    ctx: ProviderContext, keys: Mapping[int, Keys], models: list[IngressModel], lowered: Lowered
) -> None:
    for model in models:
        k = keys[id(model)]
        if k.controller != HAPROXY_INGRESS or not k.has("server-alias"):
            continue
        alias = (k.text("server-alias") or "").lower()
        gateway = lowered.gateway_of.get(model.source)
        problem = grammar.hostname_problem(alias) if alias else "is empty"
        if problem is None and alias.startswith("*"):
            problem = "is a wildcard"
        if problem is not None or gateway is None:
            k.invalid("server-alias", f"{alias!r} {problem or 'has no Gateway'}")
            continue
        if any(listener.hostname == alias for listener in gateway.listeners):
            k.unsupported(
                "server-alias",
                f"{alias} is a host of its own in the input (its own rules answer it); the "
                "alias is not added",
            )
            continue
        routes = [r for r, _ in lowered.rules_of(model.source)]
        done = []
        for route in {id(r): r for r in routes}.values():
            if not route.hostnames or alias in route.hostnames:
                continue
            for parent in list(route.parent_refs):
                listener = gateway.listener(parent.section_name) if parent.section_name else None
                if listener is None or listener.protocol not in ("HTTP", "HTTPS"):
                    continue
                mirror = _mirror(gateway, listener, alias, k)
                route.parent_refs.append(gateway.parent_ref(route.namespace, mirror.name))
            route.hostnames.append(alias)
            done.append(route)
        if done:
            k.converted("server-alias", [gateway, *done])


def redirect_from(
    ctx: ProviderContext, keys: Mapping[int, Keys], models: list[IngressModel], lowered: Lowered
) -> None:
    for model in models:
        k = keys[id(model)]
        if k.controller != HAPROXY_INGRESS or not k.has("redirect-from"):
            continue
        source_host = (k.text("redirect-from") or "").lower()
        gateway = lowered.gateway_of.get(model.source)
        problem = grammar.hostname_problem(source_host) if source_host else "is empty"
        if problem is None and source_host.startswith("*"):
            problem = "is a wildcard"
        if problem is not None or gateway is None:
            k.invalid("redirect-from", f"{source_host!r} {problem or 'has no Gateway'}")
            continue
        if any(listener.hostname == source_host for listener in gateway.listeners):
            k.unsupported(
                "redirect-from",
                f"{source_host} is a host of the input (its own rules answer it); the redirect "
                "is not added",
            )
            continue
        code = k.integer("redirect-from-code", 300, 399) or 302
        code = code if code in (301, 302, 303, 307, 308) else 302
        made = []
        for route in {id(r): r for r, _ in lowered.rules_of(model.source)}.values():
            if not route.hostnames:
                continue
            parents = []
            for parent in route.parent_refs:
                listener = gateway.listener(parent.section_name) if parent.section_name else None
                if listener is not None and listener.protocol in ("HTTP", "HTTPS"):
                    mirror = _mirror(gateway, listener, source_host, k, "redirect-from")
                    parents.append(gateway.parent_ref(route.namespace, mirror.name))
            redirect = HTTPRoute(
                name=ctx.allocator("HTTPRoute", route.namespace).allocate(
                    f"{route.name}-from", f"haproxy-from/{route.namespace}/{route.name}"
                ),
                namespace=route.namespace,
                hostnames=[source_host],
                parent_refs=parents,
                rules=[
                    Rule(
                        filters=[
                            RequestRedirect(
                                hostname=route.hostnames[0],
                                status_code=code,
                                provenance=k.prov("redirect-from", "redirect-from-code"),
                            )
                        ],
                        provenance=k.prov("redirect-from"),
                    )
                ],
                provenance=k.prov("redirect-from"),
            )
            ctx.ir.routes.append(redirect)
            lowered.routes.append(redirect)
            made.append(redirect)
            break  # one route per host name is enough: they all redirect to the same host
        if made:
            k.converted("redirect-from", [gateway, *made])
            k.converted("redirect-from-code", made)


def _mirror(
    gateway: Gateway, listener: Listener, alias: str, keys: Keys, name: str = "server-alias"
) -> Listener:
    for existing in gateway.listeners:
        if (existing.hostname, existing.port, existing.protocol) == (
            alias,
            listener.port,
            listener.protocol,
        ):
            return existing
    taken = {item.name for item in gateway.listeners}
    base = f"{naming.host_slug(alias)}-{listener.protocol.lower()}"
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}-{counter}", counter + 1
    mirror = Listener(
        name=name,
        port=listener.port,
        protocol=listener.protocol,
        hostname=alias,
        tls_mode=listener.tls_mode,
        certificate_refs=list(listener.certificate_refs),
        allowed_namespaces=set(listener.allowed_namespaces),
        provenance=keys.prov(name) + list(listener.provenance),
    )
    gateway.listeners.append(mirror)
    return mirror
