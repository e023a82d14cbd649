"""Answers a request as the Envoy of each Cilium load balancer does (see :mod:`.envoy`), and
lists the requests that matter.

Every load balancer is an address of its own: a host that several answer differently has no
single answer (as the Gateway API model says of several Gateways). An https request needs a
secure virtual host for its SNI (else the handshake fails); a ``TLS`` connection is passed
through by SNI to the backends of its host's ``/`` paths.
"""

from __future__ import annotations

from ingress2gateway.verification.model import (
    NoRoute,
    Redirect,
    Request,
    Routed,
    forward,
)

from .envoy import Address, EnvoyRoute, VirtualHost, pick_domain, route_matches


class CiliumModel:
    def __init__(self, addresses: list[Address]) -> None:
        self.addresses = addresses
        # The load balancers that may take a host: by exact name, and those with a wildcard
        # or catch-all name (asked for every host), so that a request is not tried on
        # thousands of dedicated load balancers.
        self._named: dict[str, list[Address]] = {}
        self._any: list[Address] = []
        self._order = {id(address): n for n, address in enumerate(addresses)}
        for address in addresses:
            names = {*address.http, *address.https, *address.passthrough}
            if any(n == "*" or n.startswith("*.") for n in names):
                self._any.append(address)
            for name in names:
                self._named.setdefault(name, []).append(address)

    def route(self, request: Request) -> Routed:
        candidates = {id(a): a for a in self._named.get(request.host.lower(), [])}
        candidates.update((id(a), a) for a in self._any)
        ordered = sorted(candidates.values(), key=lambda a: self._order[id(a)])
        answers = [a for a in (self._on(address, request) for address in ordered) if a]
        if not answers:
            return Routed(NoRoute(404, "no Cilium load balancer takes it"))
        first = answers[0]
        if all(a.outcome == first.outcome for a in answers[1:]):
            # Every load balancer that takes the host decided it alike: all of them count.
            return Routed(first.outcome, tuple(c for a in answers for c in a.causes))
        return Routed(
            NoRoute(
                0, f"{len(answers)} Cilium load balancers take this host and answer differently"
            ),
            tuple(c for a in answers for c in a.causes),
        )

    def _on(self, address: Address, request: Request) -> Routed | None:
        passing = request.protocol == "TLS" or request.scheme == "https"
        if passing and request.effective_port == 443:
            # One port, filter chains by SNI: the most specific server name wins, a
            # passthrough host or a terminating one (wildcards take any number of labels).
            names = [*address.passthrough, *address.https]
            best = _best_server_name(names, request.host)
            if best is not None and best in address.passthrough:
                found = address.passthrough[best]
                return Routed(
                    forward([(b, 1) for b, _ in found[:1]], request.path, request.host),
                    tuple(c for _, c in found),
                )
        if request.protocol != "HTTP":
            return None
        if request.scheme == "http" and request.effective_port == 80:
            return self._http(address.http, request)
        if request.scheme == "https" and request.effective_port == 443:
            # The secure filter chains are chosen by SNI: a host without one fails the
            # handshake (Envoy matches server names exactly or by wildcard suffix).
            return self._http(address.https, request)
        return None

    def _http(self, vhosts: dict[str, VirtualHost], request: Request) -> Routed | None:
        domain = pick_domain(list(vhosts), request.host)
        if domain is None:
            return None
        vhost = vhosts[domain]
        for route in vhost.routes:
            if route_matches(route, domain, request.host, request.path):
                return self._act(route, request)
        causes = vhost.causes
        if domain.startswith("*."):
            # The :authority expression of a wildcard host decided it too.
            causes = (*causes, *vhost.host_causes)
        return Routed(NoRoute(404, f"no route of virtual host {domain} matches"), causes)

    def _act(self, route: EnvoyRoute, request: Request) -> Routed:
        if route.redirect:
            location = f"https://{request.host}{request.path}"
            location += f"?{request.query}" if request.query else ""
            return Routed(Redirect(301, location), route.causes)
        return Routed(
            forward([(b, 1) for b in route.backends], request.path, request.host), route.causes
        )

    def requests(self) -> list[Request]:
        found: set[Request] = set()
        for address in self.addresses:
            for scheme, vhosts in (("http", address.http), ("https", address.https)):
                for domain, vhost in vhosts.items():
                    for host in _hosts(domain):
                        found.add(Request(host, "/", scheme))
                        found.add(Request(host, "/nowhere-else", scheme))
                        for route in vhost.routes:
                            for path in _paths(route):
                                found.add(Request(host, path, scheme))
            for host in address.passthrough:
                found.add(Request(host, protocol="TLS"))
                found.add(Request(host, "/", "https"))
        return sorted(found, key=Request.sort_key)


def _best_server_name(names: list[str], host: str) -> str | None:
    host = host.lower()
    if host in names:
        return host
    wildcards = [n for n in names if n.startswith("*.") and host.endswith(n[1:])]
    return max(wildcards, key=len) if wildcards else None


def _hosts(domain: str) -> list[str]:
    if domain == "*":
        return ["unnamed.example.net"]
    if domain.startswith("*."):
        return [f"a{domain[1:]}", f"a.b{domain[1:]}", domain[2:]]
    return [domain]


def _paths(route: EnvoyRoute) -> list[str]:
    value = route.value
    if route.kind == "path":
        return [value, value + "/", value + "x"]
    if route.kind == "prefix":
        return ["/", "/x"]
    if route.kind == "separated":
        return [value, value + "/", value + "/x", value + "x"]
    head = _literal_head(value)
    stem = head.rstrip("/")
    candidates = [head, stem, stem + "/", stem + "/x", stem + "x", stem + "1", stem + "/1"]
    candidates.append(head + "a")
    return sorted({c if c.startswith("/") else "/" + c for c in candidates})


def _literal_head(regex: str) -> str:
    head: list[str] = []
    for char in regex:
        if char in "\\.+*?()|[]{}^$":
            if char in "?*{" and head:
                head.pop()
            break
        head.append(char)
    return "".join(head)
