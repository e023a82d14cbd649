"""Routes a request through the Istio ingress gateways of an input.

A request reaches a proxy on its port: a plain-text HTTP port picks a virtual host by Host and
takes the first route that matches (a virtual host that requires TLS redirects to https with
301, ``VirtualHost.require_tls``); a TLS port picks a filter chain by SNI, then the HTTPS
server's virtual hosts, or the TCP destinations of a terminated or passed-through chain; a TCP
port has one destination. Pods selected by different selectors are different addresses: a host
that several of them serve with different answers has no single answer (as the Gateway API
model says of several Gateways).

AuthorizationPolicies that may apply to a proxy's pods (:mod:`.authorization`) guard every
request it forwards (HTTP, TLS and TCP: Envoy's RBAC filters run before the router and the TCP
proxy); they are also causes of its other answers (a redirect, a direct response), which only
the clients they let through get.
"""

from __future__ import annotations

from ingress2gateway.verification.model import (
    Backend,
    Cause,
    Forward,
    NoRoute,
    Redirect,
    Request,
    Routed,
    forward,
)

from .actions import act, acting_fields, backend_of
from .authorization import Policy, guards
from .config import Config, Ref
from .matching import authority_of, request_matches
from .probing import requests_for
from .proxies import L4Target, Port, Proxy, RouteConfig, best_domain, build_proxies

_SERVED, _NOT_HERE, _NOTHING = 2, 1, 0
"""How much a proxy's answer counts: a virtual host (chain, port) took the request; the port is
there but not for this host; nothing listens."""


class IstioModel:
    """The source model of the Istio provider (see the package documentation)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.proxies = build_proxies(config)
        self.policies: dict[int, list[Policy]] = {
            id(proxy): guards(
                config.policies,
                proxy.labels,
                [(g.ref.namespace, g.ref.name, g.selector) for g in proxy.gateways],
                config.workload_namespace,
                config.root_namespace,
            )
            for proxy in self.proxies
        }

    def requests(self) -> list[Request]:
        return requests_for(self.proxies)

    def route(self, request: Request) -> Routed:
        answers = [self._on_proxy(proxy, request) for proxy in self.proxies]
        served = [routed for strength, routed in answers if strength == _SERVED]
        if served:
            first = served[0]
            if all(a.outcome == first.outcome for a in served[1:]):
                return first
            return Routed(
                NoRoute(
                    0, f"{len(served)} gateway deployments take this host and answer differently"
                ),
                tuple(c for a in served for c in a.causes),
            )
        for strength, routed in answers:
            if strength == _NOT_HERE:
                return routed
        for _, routed in answers:
            if routed.causes or not isinstance(routed.outcome, NoRoute) or routed.outcome.why:
                return routed
        return Routed(NoRoute(0, "no Istio gateway server on this port"))

    # --- one proxy ---------------------------------------------------------------------------

    def _on_proxy(self, proxy: Proxy, request: Request) -> tuple[int, Routed]:
        strength, routed = self._on_port(proxy, request)
        policies = self.policies.get(id(proxy), [])
        if not policies or isinstance(routed.outcome, NoRoute):
            return strength, routed
        causes = (*routed.causes, *(p.cause for p in policies))
        answer = routed.outcome
        if isinstance(answer, Forward):
            added = tuple(sorted({*answer.guards, *(p.guard for p in policies)}))
            answer = Forward(answer.backends, answer.path, answer.host, added)
        return strength, Routed(answer, causes)

    def _on_port(self, proxy: Proxy, request: Request) -> tuple[int, Routed]:
        port = proxy.ports.get(request.effective_port)
        if port is None:
            return _NOTHING, Routed(NoRoute(0, "no Istio gateway server on this port"))
        if request.protocol == "TCP":
            return self._tcp(port, request)
        if request.protocol == "TLS":
            return self._tls(port, request)
        if request.protocol != "HTTP":
            return _NOTHING, Routed(NoRoute(0))
        if request.scheme == "http":
            if port.http is None:
                return _NOTHING, Routed(NoRoute(0, "the port expects TLS or TCP"))
            return self._http(port.http, port, request, tls=False)
        chain = port.chain_for(request.host) if port.chains else None
        if chain is None or chain.routes is None:
            causes = tuple(s.cause("hosts") for s in port.servers)
            return _NOTHING, Routed(NoRoute(0, "no TLS server takes this SNI"), causes)
        return self._http(chain.routes, port, request, tls=True)

    def _http(
        self, routes: RouteConfig, port: Port, request: Request, tls: bool
    ) -> tuple[int, Routed]:
        if not routes.vhosts:
            return _NOT_HERE, Routed(
                NoRoute(404, "no VirtualService binds this server"), routes.causes()
            )
        domain = best_domain(list(routes.vhosts), request.host)
        if domain is None:
            return _NOT_HERE, Routed(NoRoute(404, "no virtual host for this host"), routes.causes())
        vhost = routes.vhosts[domain]
        if vhost.require_tls is not None and not tls:
            location = f"https://{authority_of(request)}{request.path}"
            location += f"?{request.query}" if request.query else ""
            return _SERVED, Routed(
                Redirect(301, location), (vhost.require_tls.cause("tls.httpsRedirect"),)
            )
        for entry in vhost.entries:
            if not request_matches(entry.match, request):
                continue
            server = entry.server
            guards: tuple[str, ...] = ()
            if tls and server.tls_mode == "MUTUAL":
                guards = ("client-certificate",)
            outcome = act(self.config, entry.route, entry.match, request, server.port, tls, guards)
            causes = entry.causes(*acting_fields(entry.route, outcome))
            if tls:
                causes = (*causes, server.cause("tls.mode"))
            return _SERVED, Routed(outcome, causes)
        # Nothing matched: every match of the virtual host's VirtualServices (those left out
        # of this gateway's routes too) decided it, and what bound them here.
        causes = tuple(
            cause for ref, binding in vhost.bound for cause in (*self._match_causes(ref), *binding)
        )
        return _SERVED, Routed(NoRoute(404, f"no route of virtual host {domain} matches"), causes)

    def _match_causes(self, ref: Ref) -> tuple[Cause, ...]:
        found: list[Cause] = []
        for vs in self.config.virtual_services:
            if vs.ref != ref:
                continue
            for route in vs.http:
                found.extend(c for match in route.matches for c in match.causes)
                if not route.matches:
                    found.extend(route.causes_of("match"))
        return tuple(dict.fromkeys(found))

    def _tcp(self, port: Port, request: Request) -> tuple[int, Routed]:
        if port.tcp is None:
            return _NOTHING, Routed(NoRoute(0, "no TCP route"))
        return _SERVED, self._l4(port.tcp, request, port.number)

    def _tls(self, port: Port, request: Request) -> tuple[int, Routed]:
        chain = port.chain_for(request.host) if port.chains else None
        if chain is None or chain.target is None:
            return _NOTHING, Routed(NoRoute(0, "no TLS route takes this SNI"))
        return _SERVED, self._l4(chain.target, request, port.number)

    def _l4(self, target: L4Target, request: Request, listener_port: int) -> Routed:
        destinations = target.destinations
        if len(destinations) == 1:
            weighted = [(destinations[0], 1)]
        else:
            weighted = [(d, d.weight) for d in destinations if d.weight > 0]
        backends: list[tuple[Backend, int]] = [
            (backend_of(self.config, d, listener_port), w) for d, w in weighted
        ]
        return Routed(forward(backends, request.path, request.host), target.causes)

    # --- for tests ---------------------------------------------------------------------------

    def tls_secrets(
        self, request: Request
    ) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
        """The Secrets Istio reads for an https ``request``: (namespace, name) of the server's
        certificate and, for a MUTUAL server, of the client CA (``GetCaCert``:
        ``<credentialName>-cacert`` when it exists, else the credential itself)."""
        for proxy in self.proxies:
            port = proxy.ports.get(request.effective_port)
            chain = port.chain_for(request.host) if port is not None and port.chains else None
            if chain is None or chain.routes is None:
                continue
            credential = chain.server.credential
            if credential is None:
                return None, None
            namespace = self.config.workload_namespace
            certificate = (namespace, credential)
            if chain.server.tls_mode not in ("MUTUAL", "OPTIONAL_MUTUAL"):
                return certificate, None
            ca_secret = (namespace, credential + "-cacert")
            return certificate, ca_secret if ca_secret in self.config.secrets else certificate
        return None, None
