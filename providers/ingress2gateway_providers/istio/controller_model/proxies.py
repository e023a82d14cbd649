"""The ingress gateway proxies and what each listens to: which servers share a port, which
virtual hosts and routes each route configuration holds, which TLS filter chains take which SNI.

Written from istio/istio (commit 86c9f01f):

* ``pilot/pkg/model/push_context.go`` — ``mergeGateways`` (a Gateway applies to the pods its
  ``selector`` selects, every pod without one; gateways in creation order) and
  ``VirtualServicesForGateway`` (VirtualServices private to the pods' namespace, then those
  exported to it, then public ones, each in creation order; ``initVirtualServices`` files them
  by ``exportTo``);
* ``pilot/pkg/model/gateway.go`` — ``mergeGateways`` (plain-text HTTP servers on one port share
  the route configuration ``http.<port>``; a server that cannot merge with the port's first
  is skipped; a TLS server whose host another TLS server of the port already has is skipped;
  every HTTPS server that terminates TLS has a route configuration of its own, chosen by SNI);
* ``pilot/pkg/networking/core/gateway.go`` — ``buildGatewayHTTPRouteConfig`` (a virtual host
  per host that a server's hosts, as ``NamesForNamespace`` gives them for the VirtualService's
  namespace, share with the VirtualService's, by ``Names.Intersection``; the routes of every
  VirtualService of a host appended in turn; ``httpsRedirect`` makes every virtual host of its
  server require TLS; no virtual host at all: a 404 for every host),
  ``buildGatewayNetworkFiltersFromTCPRoutes`` (the first ``tcp[]`` route of the first
  VirtualService that fits takes the whole server), ``buildGatewayNetworkFiltersFromTLSRoutes``
  (a filter chain per ``tls[]`` match, by its ``sniHosts``), ``pickMatchingGatewayHosts``,
  ``l4SingleMatch``;
* ``pkg/config/host/names.go`` and ``name.go`` — ``Intersection``, ``SubsetOf``, ``Matches``;
* ``pilot/pkg/networking/core/listener.go`` — ``toFilterChainMatch`` (``*`` among the SNI hosts:
  no ``server_names``, the chain takes any SNI).

Envoy picks a virtual host by the Host header (exact domain, then the longest ``*.`` suffix,
then ``*``) and a filter chain by SNI (exact name, then the longest wildcard, then a chain
without names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.verification.matching import host_matches
from ingress2gateway.verification.model import Cause

from .config import (
    JSON,
    Config,
    Destination,
    Gateway,
    HttpMatch,
    HttpRoute,
    Ref,
    Server,
    as_list,
    resolve_gateway_name,
)
from .config import VirtualService as VS
from .matching import applies_to, is_catch_all

# --- host names (pkg/config/host) --------------------------------------------------------------


def subset_of(a: str, b: str) -> bool:
    """``Name.SubsetOf``: every host ``a`` names, ``b`` names too."""
    if a.startswith("*"):
        return b.startswith("*") and len(a) >= len(b) and a[1:].endswith(b[1:])
    if b.startswith("*"):
        return a.endswith(b[1:])
    return a == b


def overlap(a: str, b: str) -> bool:
    """``Name.Matches``."""
    if a.startswith("*") and b.startswith("*"):
        shorter, longer = sorted((a, b), key=len)
        return longer[1:].endswith(shorter[1:])
    if a.startswith("*"):
        return b.endswith(a[1:])
    if b.startswith("*"):
        return a.endswith(b[1:])
    return a == b


def intersection(server_hosts: list[str], vs_hosts: tuple[str, ...]) -> list[tuple[str, int]]:
    """``Names.Intersection`` of a server's hosts and a VirtualService's: each common host, with
    the index of the VirtualService host it comes from."""
    found: list[tuple[str, int]] = []
    for mine in server_hosts:
        for index, other in enumerate(vs_hosts):
            common = mine if subset_of(mine, other) else other if subset_of(other, mine) else None
            if common is not None and all(common != h for h, _ in found):
                found.append((common, index))
    return found


def best_domain(domains: list[str], host: str) -> str | None:
    """Envoy's virtual host selection: exact, then the longest ``*.`` suffix, then ``*``."""
    host = host.lower()
    if host in domains:
        return host
    wildcards = [d for d in domains if d.startswith("*") and d != "*" and host_matches(d, host)]
    if wildcards:
        return max(wildcards, key=len)
    return "*" if "*" in domains else None


# --- routes and virtual hosts --------------------------------------------------------------------


@dataclass
class Entry:
    """A route of a virtual host: the ``http[]`` route, the match it was built for, and what
    bound it there (the VirtualService host and gateway, the server host)."""

    route: HttpRoute
    match: HttpMatch | None
    catch_all: bool
    server: Server
    binding: tuple[Cause, ...]

    def causes(self, *parts: str) -> tuple[Cause, ...]:
        """What decided an answer of this route: the match, the route's fields ``parts`` that
        acted, and what bound the VirtualService here."""
        match = self.match.causes if self.match is not None else self.route.causes_of("match")
        return (*match, *self.route.causes_of(*parts), *self.binding)


@dataclass
class VirtualHost:
    domain: str
    entries: list[Entry] = field(default_factory=list)
    require_tls: Server | None = None
    bound: list[tuple[Ref, tuple[Cause, ...]]] = field(default_factory=list)
    """The VirtualServices whose routes are here, and what bound each."""

    def sort(self) -> None:
        """``SortVHostRoutes``: catch-all routes last, the others in order."""
        self.entries = [e for e in self.entries if not e.catch_all] + [
            e for e in self.entries if e.catch_all
        ]


@dataclass
class RouteConfig:
    """One route configuration (``http.<port>`` or one HTTPS server's)."""

    servers: list[Server]
    vhosts: dict[str, VirtualHost] = field(default_factory=dict)

    def causes(self) -> tuple[Cause, ...]:
        return tuple(s.cause("hosts") for s in self.servers)


@dataclass
class L4Target:
    """Where a TCP or TLS-passthrough connection goes."""

    destinations: list[Destination]
    causes: tuple[Cause, ...]


@dataclass
class Chain:
    """A TLS filter chain of a port: the SNI names it takes (None: any)."""

    sni: tuple[str, ...] | None
    server: Server
    routes: RouteConfig | None = None
    """HTTPS: the server's own route configuration."""
    target: L4Target | None = None
    """TLS terminated to TCP, or passed through."""


@dataclass
class Port:
    number: int
    http: RouteConfig | None = None
    tcp: L4Target | None = None
    tcp_server: Server | None = None
    chains: list[Chain] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)

    def chain_for(self, sni: str) -> Chain | None:
        """Envoy's filter chain match on ``server_names``."""
        sni = sni.lower()
        exact = [c for c in self.chains if c.sni is not None and sni in c.sni]
        if exact:
            return exact[0]
        best: tuple[int, Chain] | None = None
        for chain in self.chains:
            for name in chain.sni or ():
                wildcard = name.startswith("*.") and host_matches(name, sni)
                if wildcard and (best is None or len(name) > best[0]):
                    best = (len(name), chain)
        if best is not None:
            return best[1]
        return next((c for c in self.chains if c.sni is None), None)


@dataclass
class Proxy:
    """The pods one selector picks, and the Gateways that apply to them."""

    labels: dict[str, str]
    gateways: list[Gateway]
    ports: dict[int, Port] = field(default_factory=dict)


def _visible(config: Config, gateway: str) -> list[VS]:
    """``VirtualServicesForGateway`` for the gateway's pods."""
    namespace = config.workload_namespace
    buckets: tuple[list[VS], list[VS], list[VS]] = ([], [], [])
    for vs in config.virtual_services:
        if gateway not in vs.gateways:
            continue
        if "*" in vs.export_to:
            buckets[2].append(vs)
        elif "~" in vs.export_to:
            continue
        elif namespace in vs.export_to:
            buckets[0 if vs.ref.namespace == namespace else 1].append(vs)
    return [*buckets[0], *buckets[1], *buckets[2]]


def _gateway_index(vs: VS, gateway: str) -> int:
    return vs.gateways.index(gateway) if gateway in vs.gateways else 0


class ProxyBuilder:
    """Builds the listeners of one proxy as ``mergeGateways`` and the listener builders do."""

    def __init__(self, config: Config, proxy: Proxy) -> None:
        self.config = config
        self.proxy = proxy
        self.passthrough_sni: dict[int, set[str]] = {}
        """SNI names of the passthrough chains made so far, per port (``tlsHostsByPort``)."""

    def build(self) -> Proxy:
        tls_hosts: dict[int, set[str]] = {}
        kinds: dict[int, str] = {}
        for gateway in self.proxy.gateways:
            for server in gateway.servers:
                port = server.port
                if server.tls is not None:
                    known = tls_hosts.setdefault(port, set())
                    if any(h in known for h in server.hosts):
                        continue  # "skipping server on gateway, duplicate host names"
                    known.update(server.hosts)
                kind = "plain" if not server.is_tls_server else "tls"
                current = kinds.setdefault(port, kind)
                entry = self.proxy.ports.setdefault(port, Port(port))
                if current == "plain":
                    if kind != "plain" or not self._plain(entry, server):
                        continue
                elif not self._tls(entry, server):
                    continue
                entry.servers.append(server)
        for listener in self.proxy.ports.values():
            for routes in [listener.http, *(c.routes for c in listener.chains)]:
                if routes is not None:
                    self._fill(routes)
        return self.proxy

    def _plain(self, port: Port, server: Server) -> bool:
        if port.tcp_server is not None:
            return False  # a TCP server never shares its port
        if port.http is None and not port.servers:
            if server.is_http:
                port.http = RouteConfig([server])
            else:
                port.tcp_server = server
                port.tcp = self._tcp(server)
            return True
        if port.http is not None and server.is_http:
            port.http.servers.append(server)
            return True
        return False

    def _tls(self, port: Port, server: Server) -> bool:
        sni = None if "*" in server.sni_hosts else server.sni_hosts
        if server.terminates_https:
            port.chains.append(Chain(sni, server, routes=RouteConfig([server])))
        elif not server.is_passthrough:
            target = self._tcp(server)
            if target is not None:
                port.chains.append(Chain(sni, server, target=target))
        elif server.tls_mode == "PASSTHROUGH":
            port.chains.extend(self._passthrough(server, port))
        return True

    # --- HTTP ----------------------------------------------------------------------------------

    def _fill(self, routes: RouteConfig) -> None:
        """``buildGatewayHTTPRouteConfig``."""
        vhosts = routes.vhosts
        built: dict[tuple[str, Ref], list[Entry]] = {}
        for server in routes.servers:
            gateway = server.gateway
            key = f"{gateway.namespace}/{gateway.name}"
            for vs in _visible(self.config, key):
                common = intersection(server.hosts_for(vs.ref.namespace), vs.hosts)
                if not common:
                    continue
                entries = built.get((key, vs.ref))
                if entries is None:
                    entries = built[(key, vs.ref)] = self._routes(vs, key, server)
                if not entries:
                    continue
                for domain, host_index in common:
                    binding = (
                        vs.ref.cause(f"spec.hosts[{host_index}]"),
                        vs.ref.cause(f"spec.gateways[{_gateway_index(vs, key)}]"),
                        *self._server_host_causes(server, domain),
                    )
                    vhost = vhosts.setdefault(domain, VirtualHost(domain))
                    vhost.entries.extend(
                        Entry(e.route, e.match, e.catch_all, server, binding) for e in entries
                    )
                    vhost.bound.append((vs.ref, binding))
                    if server.https_redirect:
                        vhost.require_tls = server
            if server.https_redirect:
                for host in server.hosts:
                    vhost = vhosts.setdefault(host, VirtualHost(host))
                    vhost.require_tls = server
        for vhost in vhosts.values():
            vhost.sort()

    @staticmethod
    def _server_host_causes(server: Server, domain: str) -> tuple[Cause, ...]:
        for index, host in enumerate(server.hosts):
            name = host.rpartition("/")[2]
            if subset_of(domain, name) or subset_of(name, domain):
                return (server.cause(f"hosts[{index}]"),)
        return (server.cause("hosts"),)

    def _routes(self, vs: VS, gateway: str, server: Server) -> list[Entry]:
        """``BuildHTTPRoutesForVirtualService`` for one gateway (built once per route
        configuration and gateway, as ``gatewayRoutes`` is: for the port of the first server
        that builds them)."""
        out: list[Entry] = []
        for route in vs.http:
            catch_all = False
            if not route.matches:
                out.append(Entry(route, None, True, server, ()))
                catch_all = True
            for match in route.matches:
                if not applies_to(
                    match,
                    server.port,
                    gateway,
                    self.proxy.labels,
                    self.config.workload_namespace,
                ):
                    continue
                everything = is_catch_all(match)
                out.append(Entry(route, match, everything, server, ()))
                if everything:
                    catch_all = True
                    break
            if catch_all:
                break
        return out

    # --- TCP and TLS ---------------------------------------------------------------------------

    def _tcp(self, server: Server) -> L4Target | None:
        """``buildGatewayNetworkFiltersFromTCPRoutes``."""
        key = f"{server.gateway.namespace}/{server.gateway.name}"
        for vs in _visible(self.config, key):
            if not _picks(server, vs):
                continue
            for route in vs.tcp:
                if _l4_multi(route.matches, server, key, vs.ref.namespace) and route.destinations:
                    return L4Target(route.destinations, (route.cause, server.cause("hosts")))
        return None

    def _passthrough(self, server: Server, port: Port) -> list[Chain]:
        """``buildGatewayNetworkFiltersFromTLSRoutes``: a chain per ``tls[]`` match."""
        key = f"{server.gateway.namespace}/{server.gateway.name}"
        chains = []
        known = self.passthrough_sni.setdefault(port.number, set())
        for vs in _visible(self.config, key):
            if not _picks(server, vs):
                continue
            for route in vs.tls:
                if not route.destinations:
                    continue
                for index, match in enumerate(route.matches):
                    if not _l4_single(match, server, key, vs.ref.namespace):
                        continue
                    sni = tuple(
                        str(h).lower() for h in match.get("sniHosts") or [] if isinstance(h, str)
                    )
                    if any(h in known for h in sni):
                        continue  # "duplicate SNI host names": the rule is skipped
                    known.update(sni)
                    cause = route.vs.cause(f"{route.cause.field}.match[{index}]")
                    target = L4Target(
                        route.destinations, (cause, route.cause, server.cause("hosts"))
                    )
                    chains.append(
                        Chain(None if "*" in sni or not sni else sni, server, target=target)
                    )
        return chains


def _picks(server: Server, vs: VS) -> bool:
    """``pickMatchingGatewayHosts`` found a host."""
    for host in server.hosts:
        ns, slash, name = host.partition("/")
        if slash and ns != vs.ref.namespace:
            continue
        candidate = name if slash else host
        if any(overlap(candidate, h) for h in vs.hosts):
            return True
    return False


def _l4_single(match: JSON, server: Server, gateway: str, namespace: str) -> bool:
    """``l4SingleMatch``: the match's port and gateways (resolved in the VirtualService's
    namespace) fit the server."""
    port = match.get("port")
    if isinstance(port, int) and port and port != server.port:
        return False
    gateways = [g for g in as_list(match.get("gateways")) if isinstance(g, str)]
    return not gateways or any(resolve_gateway_name(g, namespace) == gateway for g in gateways)


def _l4_multi(matches: list[JSON], server: Server, gateway: str, namespace: str) -> bool:
    """``l4MultiMatch``: no match, or one that fits."""
    return not matches or any(_l4_single(m, server, gateway, namespace) for m in matches)


def build_proxies(config: Config) -> list[Proxy]:
    """One proxy per distinct selector (the pods it selects); Gateways without a selector apply
    to every proxy."""
    selectors: list[dict[str, str]] = []
    for gateway in config.gateways:
        if gateway.selector and gateway.selector not in selectors:
            selectors.append(gateway.selector)
    if not selectors:
        selectors = [{}]
    proxies = []
    for labels in sorted(selectors, key=lambda s: sorted(s.items())):
        gateways = [
            g
            for g in config.gateways
            if not g.selector or all(labels.get(k) == v for k, v in g.selector.items())
        ]
        proxies.append(ProxyBuilder(config, Proxy(labels, gateways)).build())
    return proxies
