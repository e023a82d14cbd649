"""A model of Gateway API routing over objects: which backend, redirect or status a request gets.

Written from the Gateway API specification (``apis/v1`` field documentation, summarised in
``../shared/reference/gateway-api.md`` §d) and, where the specification leaves a choice to the
implementation, from Envoy Gateway, the implementation the ``envoy-gateway`` emitter targets:

* **Gateway and listener.** Every Gateway is an address of its own. On the request's port, the
  listeners of the right protocol (``HTTP`` for http, ``HTTPS`` for https, ``TLS`` passthrough
  by SNI, ``TCP``, ``UDP``) are tried most specific host name first: exact, then wildcards
  with more labels, then none (``apis/v1/gateway_types.go``, Listener.Hostname). An https
  request is a TLS handshake first: a ``TLS`` listener of its port that takes its SNI competes
  with the ``HTTPS`` ones, and passes the request unchanged to its TLSRoute. Listeners of
  ListenerSets that a Gateway admits (``allowedListeners``) count as its own.
* **Attachment.** A route attaches through each ``parentRef`` (namespace defaults to the
  route's; ``sectionName`` picks one listener, ``port`` filters) to listeners whose
  ``allowedRoutes`` admit its namespace (Same, All, or a selector on
  ``kubernetes.io/metadata.name``) and kind, and whose host name intersects the route's.
* **Host names.** Among the routes on the listener that match the request's host, only those
  whose best matching host name is the most specific take part (an exact host name beats a
  wildcard; HTTPRouteSpec.Hostnames). ``*.a.com`` matches ``x.a.com`` and ``x.y.a.com``, not
  ``a.com``.
* **Matches.** Matches are ordered as Envoy Gateway sorts them (``internal/gatewayapi/sort.go``):
  path type (Exact, then RegularExpression, then PathPrefix), then the length of the path
  value (``/`` counts 0), then header matches (the method is one, as Envoy Gateway turns it
  into a ``:method`` header match), then exact header matches, then query matches; ties keep
  the order of routes by namespace/name (no creation timestamps in generated objects), of
  their rules, and of their matches. PathPrefix is element-wise (``/abc`` matches ``/abc/d``,
  not ``/abcd``; a trailing ``/`` in the value is ignored); a RegularExpression is matched
  against the whole path (Envoy's ``safe_regex``), with RE2. Header names are
  case-insensitive, values case-sensitive.
* **Rules.** A RequestRedirect answers with its status (302 by default) and a Location built
  from the request and the filter (port rules of HTTPRequestRedirectFilter.Port); URLRewrite
  changes the host and path the backend sees (ReplacePrefixMatch on path elements); an
  Envoy Gateway ``HTTPRouteFilter`` may rewrite the path by regular expression or answer
  directly. Backends share the traffic by weight; a backend in another namespace needs a
  ReferenceGrant, else its share is answered 500; a rule with neither backends nor a redirect
  is answered 500.
* **Guards.** Envoy Gateway SecurityPolicies (the most specific attachment wins: a route rule
  by ``sectionName``, the route, a Gateway listener, the Gateway) and ClientTrafficPolicies
  with client validation add the access controls a request must pass.

An Envoy Gateway ``Backend`` whose one endpoint is a Service's cluster DNS name
(``<name>.<namespace>.svc[.cluster.local]``) is that Service; one whose endpoint is another host
is that host and port (:func:`external`: what a source reaches through an ExternalName
Service compares equal to it).

GRPCRoutes take gRPC calls (their rules ordered by service and method length, then header
matches); TLSRoutes take TLS connections by SNI; TCPRoutes and UDPRoutes take their port.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.verification.matching import host_matches, regex_full_match
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    NoRoute,
    Redirect,
    Request,
    Respond,
    Routed,
    forward,
)

GROUP = "gateway.networking.k8s.io"
EG_GROUP = "gateway.envoyproxy.io"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
_KINDS_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}

JSON = dict[str, Any]


def _dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _meta(obj: JSON) -> tuple[str, str]:
    meta = _dict(obj.get("metadata"))
    return str(meta.get("namespace") or "default"), str(meta.get("name") or "")


# --- the objects, read -------------------------------------------------------------------------


@dataclass
class _Listener:
    gateway: tuple[str, str]
    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None
    allowed_from: str
    allowed_names: frozenset[str] | None
    """With ``Selector``: the namespaces the selector admits (None: any)."""
    kinds: tuple[str, ...]
    address: tuple[str, str] | None = None
    """For a ListenerSet's listener: the Gateway whose address it shares (``gateway`` is then
    the ListenerSet)."""

    @property
    def on_gateway(self) -> tuple[str, str]:
        """The Gateway this listener is part of (a ListenerSet's: the one it attaches to)."""
        return self.address or self.gateway

    def admits(self, kind: str, namespace: str) -> bool:
        if kind not in self.kinds:
            return False
        if self.allowed_from == "All":
            return True
        if self.allowed_from == "Same":
            return namespace == self.gateway[0]
        if self.allowed_from == "Selector":
            return self.allowed_names is None or namespace in self.allowed_names
        return False


@dataclass
class _Match:
    path_type: str
    path: str
    headers: tuple[tuple[str, str, str], ...]
    """(lower-case name, type, value)."""
    query: tuple[tuple[str, str, str], ...]
    method: str | None
    grpc_service: str | None = None
    grpc_method: str | None = None
    grpc_type: str = "Exact"


@dataclass
class _Rule:
    route: _Route
    index: int
    matches: list[_Match]
    filters: list[JSON]
    backends: list[JSON]
    name: str | None

    @property
    def cause(self) -> Cause:
        return Cause(
            self.route.kind, self.route.namespace, self.route.name, f"spec.rules[{self.index}]"
        )


@dataclass
class _Route:
    kind: str
    namespace: str
    name: str
    hostnames: list[str]
    parents: list[JSON]
    rules: list[_Rule] = field(default_factory=list)
    backends: list[JSON] = field(default_factory=list)
    """TLS, TCP and UDP routes: the first rule's backends."""


def _read_match(raw: JSON, grpc: bool) -> _Match:
    headers = tuple(
        (str(h.get("name", "")).lower(), str(h.get("type") or "Exact"), str(h.get("value", "")))
        for h in _list(raw.get("headers"))
        if isinstance(h, dict)
    )
    query = tuple(
        (str(q.get("name", "")), str(q.get("type") or "Exact"), str(q.get("value", "")))
        for q in _list(raw.get("queryParams"))
        if isinstance(q, dict)
    )
    if grpc:
        method = _dict(raw.get("method"))
        return _Match(
            "PathPrefix",
            "/",
            headers,
            (),
            None,
            grpc_service=method.get("service"),
            grpc_method=method.get("method"),
            grpc_type=str(method.get("type") or "Exact"),
        )
    path = _dict(raw.get("path"))
    return _Match(
        str(path.get("type") or "PathPrefix"),
        str(path.get("value") if path.get("value") is not None else "/"),
        headers,
        query,
        raw.get("method") if isinstance(raw.get("method"), str) else None,
    )


def _read_route(obj: JSON) -> _Route:
    kind = str(obj.get("kind"))
    namespace, name = _meta(obj)
    spec = _dict(obj.get("spec"))
    route = _Route(
        kind,
        namespace,
        name,
        [str(h).lower() for h in _list(spec.get("hostnames"))],
        [p for p in _list(spec.get("parentRefs")) if isinstance(p, dict)],
    )
    rules = _list(spec.get("rules"))
    if kind in ("HTTPRoute", "GRPCRoute"):
        if not rules:  # the API server's default: one rule that matches every request
            rules = [{}]
        for index, raw in enumerate(rules):
            raw = _dict(raw)
            matches = [
                _read_match(_dict(m), kind == "GRPCRoute") for m in _list(raw.get("matches"))
            ] or [_read_match({}, kind == "GRPCRoute")]
            route.rules.append(
                _Rule(
                    route,
                    index,
                    matches,
                    [f for f in _list(raw.get("filters")) if isinstance(f, dict)],
                    [b for b in _list(raw.get("backendRefs")) if isinstance(b, dict)],
                    raw.get("name") if isinstance(raw.get("name"), str) else None,
                )
            )
    elif rules:
        route.backends = [
            b for b in _list(_dict(rules[0]).get("backendRefs")) if isinstance(b, dict)
        ]
    return route


def _selector_names(selector: JSON) -> frozenset[str] | None:
    """The namespaces a label selector on ``kubernetes.io/metadata.name`` admits (None: the
    selector says nothing this model can read, so any)."""
    names: set[str] | None = None
    labels = _dict(selector.get("matchLabels"))
    if NAMESPACE_LABEL in labels:
        names = {str(labels[NAMESPACE_LABEL])}
    for expression in _list(selector.get("matchExpressions")):
        expression = _dict(expression)
        if expression.get("key") == NAMESPACE_LABEL and expression.get("operator") == "In":
            values = {str(v) for v in _list(expression.get("values"))}
            names = values if names is None else names & values
    return frozenset(names) if names is not None else None


def _read_listeners(gateway: tuple[str, str], raw_listeners: Iterable[Any]) -> list[_Listener]:
    found = []
    for raw in raw_listeners:
        raw = _dict(raw)
        protocol = str(raw.get("protocol", "HTTP"))
        allowed = _dict(_dict(raw.get("allowedRoutes")).get("namespaces"))
        kinds = tuple(
            str(_dict(k).get("kind")) for k in _list(_dict(raw.get("allowedRoutes")).get("kinds"))
        ) or _KINDS_BY_PROTOCOL.get(protocol, ())
        allowed_from = str(allowed.get("from") or "Same")
        names = (
            _selector_names(_dict(allowed.get("selector"))) if allowed_from == "Selector" else None
        )
        hostname = raw.get("hostname")
        found.append(
            _Listener(
                gateway,
                str(raw.get("name", "")),
                int(raw.get("port", 0) or 0),
                protocol,
                str(hostname).lower() if isinstance(hostname, str) and hostname else None,
                _dict(raw.get("tls")).get("mode", "Terminate")
                if protocol in ("HTTPS", "TLS")
                else None,
                allowed_from,
                names,
                kinds,
            )
        )
    return found


class _Listeners:
    """The listeners of one port and protocol: by exact host name, wildcards, and those
    without a host name."""

    def __init__(self) -> None:
        self.every: list[_Listener] = []
        self.exact: dict[str, list[_Listener]] = {}
        self.wildcards: list[_Listener] = []
        self.anyhost: list[_Listener] = []

    def add(self, listener: _Listener) -> None:
        self.every.append(listener)
        if listener.hostname is None:
            self.anyhost.append(listener)
        elif listener.hostname.startswith("*."):
            self.wildcards.append(listener)
        else:
            self.exact.setdefault(listener.hostname.lower(), []).append(listener)

    def taking(self, host: str) -> list[_Listener]:
        """The listeners whose host name takes ``host`` (see :func:`host_matches`)."""
        found = list(self.exact.get(host.lower(), ()))
        found += [x for x in self.wildcards if host_matches(x.hostname or "", host)]
        return found + self.anyhost


class _GatewaysByHost:
    """The Gateways that may take a request, found by its host name: those with a listener
    of that exact name, of a wildcard covering it, or of no name (a superset: the listener
    of each is chosen as before), in the order of their keys."""

    def __init__(self, gateways: dict[tuple[str, str], dict[tuple[int, str], _Listeners]]):
        self.every = sorted(gateways)
        self.ports = {port for by_port in gateways.values() for port in by_port}
        self.exact: dict[str, set[tuple[str, str]]] = {}
        self.wildcards: dict[str, set[tuple[str, str]]] = {}
        self.anyhost: set[tuple[str, str]] = set()
        for key, by_port in gateways.items():
            for listeners in by_port.values():
                if listeners.anyhost:
                    self.anyhost.add(key)
                for name in listeners.exact:
                    self.exact.setdefault(name, set()).add(key)
                for listener in listeners.wildcards:
                    suffix = (listener.hostname or "*.")[2:].lower()
                    self.wildcards.setdefault(suffix, set()).add(key)

    def has_port(self, request: Request) -> bool:
        """Whether any Gateway listens on the request's port with its protocol (an HTTPS
        request also reaches a TLS listener of its port)."""
        wanted = _wanted_protocol(request)
        port = request.effective_port
        return (port, wanted) in self.ports or (wanted == "HTTPS" and (port, "TLS") in self.ports)

    def taking(self, request: Request) -> list[tuple[str, str]]:
        if request.protocol in ("TCP", "UDP"):
            return self.every  # a connection has no host name
        host = request.host.lower()
        found = self.anyhost | self.exact.get(host, set())
        labels = host.split(".")
        for start in range(1, len(labels)):
            found = found | self.wildcards.get(".".join(labels[start:]), set())
        return sorted(found)


def _wanted_protocol(request: Request) -> str:
    """The listener protocol a request looks for."""
    return {
        "HTTP": "HTTPS" if request.scheme == "https" else "HTTP",
        "TLS": "TLS",
        "TCP": "TCP",
        "UDP": "UDP",
    }[request.protocol]


class _RoutesByHost:
    """The routes of a listener that take a host name: those whose best matching host name is
    the most specific (an exact name beats a wildcard, a longer one a shorter one; a route
    without host names takes the listener's)."""

    def __init__(self, routes: list[_Route], listener: _Listener) -> None:
        self.exact: dict[str, list[tuple[int, _Route]]] = {}
        self.wildcards: list[tuple[str, int, _Route]] = []
        self.anyhost: list[tuple[int, _Route]] = []
        for order, route in enumerate(routes):
            names = route.hostnames or ([listener.hostname] if listener.hostname else [])
            if not names:
                self.anyhost.append((order, route))
            for name in dict.fromkeys(n.lower() for n in names):
                if name.startswith("*"):
                    self.wildcards.append((name, order, route))
                else:
                    self.exact.setdefault(name, []).append((order, route))

    def taking(self, host: str) -> list[_Route]:
        scored: dict[int, tuple[tuple[int, int], _Route]] = {}

        def score(order: int, route: _Route, value: tuple[int, int]) -> None:
            best = scored.get(order)
            if best is None or value > best[0]:
                scored[order] = (value, route)

        lowered = host.lower()
        for order, route in self.exact.get(lowered, ()):
            score(order, route, (1, len(lowered)))
        for name, order, route in self.wildcards:
            if host_matches(name, host):
                score(order, route, (0, len(name)))
        for order, route in self.anyhost:
            score(order, route, (0, 0))
        if not scored:
            return []
        top = max(value for value, _ in scored.values())
        return [route for _, (value, route) in sorted(scored.items()) if value == top]


def _hostname_specificity(hostname: str | None) -> tuple[int, int]:
    """Exact before wildcard before none; among wildcards, more labels first."""
    if hostname is None:
        return (0, 0)
    if hostname.startswith("*."):
        return (1, hostname.count("."))
    return (2, 0)


def _intersects(listener: str | None, route_hosts: list[str]) -> bool:
    if listener is None or not route_hosts:
        return True
    for host in route_hosts:
        if host_matches(listener, host) or host_matches(host, listener):
            return True
        if listener.startswith("*.") and host.startswith("*."):
            longer, shorter = sorted((listener, host), key=len, reverse=True)
            if longer.endswith(shorter[1:]):
                return True
    return False


# --- the model ---------------------------------------------------------------------------------


class GatewayAPIModel:
    """Routes requests through Gateway API objects (and the Envoy Gateway objects the
    ``envoy-gateway`` emitter writes). Objects of other kinds are ignored."""

    def __init__(self, objects: Sequence[Any]) -> None:
        self.gateways: dict[tuple[str, str], list[_Listener]] = {}
        self.routes: list[_Route] = []
        self.grants: list[JSON] = []
        self.filters: dict[tuple[str, str], JSON] = {}
        self.policies: list[JSON] = []
        self.client_policies: list[JSON] = []
        self.eg_backends: dict[tuple[str, str], Backend] = {}
        """Envoy Gateway Backends of one endpoint: the Service whose cluster DNS name it is
        (the envoy-gateway emitter writes them for backend TLS), else the external host and
        port (see :func:`external`)."""
        listener_sets: list[JSON] = []
        allowed_sets: dict[tuple[str, str], str] = {}
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            kind, group = str(obj.get("kind")), str(obj.get("apiVersion", "")).rpartition("/")[0]
            if group in (GROUP, "gateway.networking.x-k8s.io"):
                if kind == "Gateway":
                    key = _meta(obj)
                    spec = _dict(obj.get("spec"))
                    self.gateways[key] = _read_listeners(key, _list(spec.get("listeners")))
                    allowed = _dict(_dict(spec.get("allowedListeners")).get("namespaces"))
                    allowed_sets[key] = str(allowed.get("from") or "None")
                elif kind in ("ListenerSet", "XListenerSet"):
                    listener_sets.append(obj)
                elif kind in _ROUTE_KINDS:
                    self.routes.append(_read_route(obj))
                elif kind == "ReferenceGrant":
                    self.grants.append(obj)
            elif group == EG_GROUP:
                if kind == "HTTPRouteFilter":
                    self.filters[_meta(obj)] = _dict(obj.get("spec"))
                elif kind == "SecurityPolicy":
                    self.policies.append(obj)
                elif kind == "ClientTrafficPolicy":
                    self.client_policies.append(obj)
                elif kind == "Backend":
                    reached = _reached_by_backend(_dict(obj.get("spec")))
                    if reached is not None:
                        self.eg_backends[_meta(obj)] = reached
        self.listener_sets: dict[tuple[str, str], list[_Listener]] = {}
        for listener_set in listener_sets:
            namespace, name = _meta(listener_set)
            parent = _dict(_dict(listener_set.get("spec")).get("parentRef"))
            key = (str(parent.get("namespace") or namespace), str(parent.get("name", "")))
            admitted = allowed_sets.get(key, "None")
            if key in self.gateways and (
                admitted == "All" or (admitted == "Same" and key[0] == namespace)
            ):
                listeners = _list(_dict(listener_set.get("spec")).get("listeners"))
                # Routes attach to them through the ListenerSet; requests find them on the
                # Gateway's address. A listener's allowedRoutes "Same" is the ListenerSet's.
                own = _read_listeners((namespace, name), listeners)
                for listener in own:
                    listener.address = key
                self.listener_sets[(namespace, name)] = own
                self.gateways[key].extend(own)
        self.routes.sort(key=lambda r: (r.namespace, r.name))
        self._listener_index: dict[tuple[str, str], dict[tuple[int, str], _Listeners]] = {}
        self._gateways_by_host: _GatewaysByHost | None = None
        self._route_index: dict[tuple[int, str], _RoutesByHost] = {}
        self.attached: dict[int, list[_Route]] = {}
        for route in self.routes:
            for listener in self._parents(route):
                self.attached.setdefault(id(listener), []).append(route)

    # --- attachment --------------------------------------------------------------------------

    def _parents(self, route: _Route) -> list[_Listener]:
        found: list[_Listener] = []
        for parent in route.parents:
            kind = str(parent.get("kind") or "Gateway")
            if str(parent.get("group") or GROUP) not in (GROUP, "gateway.networking.x-k8s.io"):
                continue
            key = (str(parent.get("namespace") or route.namespace), str(parent.get("name", "")))
            if kind == "Gateway":
                candidates = [x for x in self.gateways.get(key, []) if x.address is None]
            elif kind in ("ListenerSet", "XListenerSet"):
                candidates = self.listener_sets.get(key, [])
            else:
                continue
            for listener in candidates:
                if parent.get("sectionName") and listener.name != parent.get("sectionName"):
                    continue
                if parent.get("port") and listener.port != parent.get("port"):
                    continue
                if not listener.admits(route.kind, route.namespace):
                    continue
                if not _intersects(listener.hostname, route.hostnames):
                    continue
                if listener not in found:
                    found.append(listener)
        return found

    # --- routing -----------------------------------------------------------------------------

    def route(self, request: Request) -> Routed:
        answers: list[Routed] = []
        index = self._gateway_index()
        any_port = index.has_port(request)
        for key in index.taking(request):
            listener, _ = self._listener(key, request)
            if listener is not None:
                answers.append(self._on_listener(listener, request))
        if not answers:
            if not any_port:
                return Routed(NoRoute(0, "no listener on this port"))
            if request.protocol == "HTTP" and request.scheme == "http":
                return Routed(NoRoute(404, "no listener for this host"))
            # A TLS handshake with an SNI no listener names finds no filter chain: the
            # connection is closed before any HTTP answer (Envoy Gateway writes one filter
            # chain per HTTPS listener, with the listener's host name as its server name).
            return Routed(NoRoute(0, "no listener for this SNI"))
        first = answers[0]
        if all(a.outcome == first.outcome for a in answers[1:]):
            return first
        return Routed(
            NoRoute(0, f"{len(answers)} Gateways take this host and answer differently"),
            tuple(c for a in answers for c in a.causes),
        )

    def _listener(self, key: tuple[str, str], request: Request) -> tuple[_Listener | None, bool]:
        wanted = _wanted_protocol(request)
        # A TLS connection reaches a TLS listener whether it passes the connection through
        # or terminates it (its TLSRoute's backend then gets the decrypted stream).
        by_port = self._by_port(key)
        candidates = by_port.get((request.effective_port, wanted))
        # An HTTPS request is a TLS handshake first: a TLS listener of its port that takes the
        # SNI competes with the HTTPS ones (Envoy picks the filter chain by server name, most
        # specific first) and passes the connection, request and all, to its TLSRoute.
        passing = by_port.get((request.effective_port, "TLS")) if wanted == "HTTPS" else None
        if not candidates and not passing:
            return None, False
        if request.protocol in ("TCP", "UDP"):
            matching = candidates.every if candidates else []
        else:
            matching = candidates.taking(request.host) if candidates else []
            if passing:
                matching = [*matching, *passing.taking(request.host)]
        if not matching:
            return None, True
        return max(matching, key=lambda x: _hostname_specificity(x.hostname)), True

    def _gateway_index(self) -> _GatewaysByHost:
        """Which Gateways may take a host (made once: with a Gateway per Ingress, as GKE and
        Cilium's dedicated mode have, asking every Gateway about every request made verify
        quadratic)."""
        if self._gateways_by_host is None:
            self._gateways_by_host = _GatewaysByHost(
                {key: self._by_port(key) for key in self.gateways}
            )
        return self._gateways_by_host

    def _by_port(self, key: tuple[str, str]) -> dict[tuple[int, str], _Listeners]:
        """A Gateway's listeners by port and protocol, indexed by host name (made once: a
        Gateway of a thousand hosts is asked for each of thousands of requests)."""
        found = self._listener_index.get(key)
        if found is None:
            found = {}
            for listener in self.gateways[key]:
                entry = found.setdefault((listener.port, listener.protocol), _Listeners())
                entry.add(listener)
            self._listener_index[key] = found
        return found

    def _on_listener(self, listener: _Listener, request: Request) -> Routed:
        routes = self.attached.get(id(listener), [])
        if request.protocol in ("TCP", "UDP", "TLS") or listener.protocol == "TLS":
            protocol = "TLS" if listener.protocol == "TLS" else request.protocol
            kind = {"TCP": "TCPRoute", "UDP": "UDPRoute", "TLS": "TLSRoute"}[protocol]
            for route in routes:
                if route.kind == kind and (
                    kind != "TLSRoute"
                    or not route.hostnames
                    or any(host_matches(h, request.host) for h in route.hostnames)
                ):
                    return self._backends(
                        route,
                        route.backends,
                        request,
                        request.path,
                        request.host,
                        Cause(kind, route.namespace, route.name, "spec.rules[0]"),
                    )
            return Routed(NoRoute(0, f"no {kind} on listener {listener.name}"))
        # Envoy Gateway matches a GRPCRoute by the request's path alone: a plain request to a
        # /Service/Method path reaches it too, once no HTTPRoute takes it.
        kinds = ["GRPCRoute", "HTTPRoute"] if request.grpc else ["HTTPRoute", "GRPCRoute"]
        for kind in kinds:
            eligible = self._routes_index(listener, kind).taking(request.host)
            if not eligible:
                continue
            found = self._best_rule(eligible, request)
            if found is not None:
                rule, match = found
                return self._apply(rule, match, listener, request)
        return Routed(NoRoute(404, f"no rule on listener {listener.name} matches"))

    def _routes_index(self, listener: _Listener, kind: str) -> _RoutesByHost:
        """The routes of one kind on ``listener`` by host name (made once per listener)."""
        key = (id(listener), kind)
        found = self._route_index.get(key)
        if found is None:
            found = _RoutesByHost(
                [r for r in self.attached.get(id(listener), []) if r.kind == kind], listener
            )
            self._route_index[key] = found
        return found

    def _best_rule(self, routes: list[_Route], request: Request) -> tuple[_Rule, _Match] | None:
        best: tuple[tuple[Any, ...], _Rule, _Match] | None = None
        for order, route in enumerate(routes):
            for rule in route.rules:
                for position, match in enumerate(rule.matches):
                    if not _matches(match, request):
                        continue
                    key = (*_precedence(match, route.kind), -order, -rule.index, -position)
                    if best is None or key > best[0]:
                        best = (key, rule, match)
        return None if best is None else (best[1], best[2])

    # --- what a rule does --------------------------------------------------------------------

    def _apply(self, rule: _Rule, match: _Match, listener: _Listener, request: Request) -> Routed:
        cause = rule.cause
        host, path, query = request.host, request.path, request.query
        for item in rule.filters:
            kind = item.get("type")
            if kind == "RequestRedirect":
                return Routed(
                    _redirect(_dict(item.get("requestRedirect")), match, listener, request),
                    (cause,),
                )
            if kind == "URLRewrite":
                rewrite = _dict(item.get("urlRewrite"))
                if isinstance(rewrite.get("hostname"), str):
                    host = rewrite["hostname"]
                path = _modified_path(_dict(rewrite.get("path")), match, path)
            elif kind == "ExtensionRef":
                ref = _dict(item.get("extensionRef"))
                spec = self.filters.get((rule.route.namespace, str(ref.get("name", ""))))
                if ref.get("kind") != "HTTPRouteFilter" or spec is None:
                    return Routed(Respond(500, "unresolved extension filter"), (cause,))
                direct = _dict(spec.get("directResponse"))
                if direct:
                    return Routed(
                        Respond(int(direct.get("statusCode", 200)), "direct response"), (cause,)
                    )
                rewrite = _dict(spec.get("urlRewrite"))
                if isinstance(rewrite.get("hostname"), str):
                    host = rewrite["hostname"]
                regex = _dict(_dict(rewrite.get("path")).get("replaceRegexMatch"))
                if regex:
                    path = regex_substitute(
                        str(regex.get("pattern", "")), str(regex.get("substitution", "")), path
                    )
        seen = path + (f"?{query}" if query else "")
        return self._backends(rule.route, rule.backends, request, seen, host, cause, rule, listener)

    def _backends(
        self,
        route: _Route,
        refs: list[JSON],
        request: Request,
        path: str,
        host: str,
        cause: Cause,
        rule: _Rule | None = None,
        listener: _Listener | None = None,
    ) -> Routed:
        if not refs:
            return Routed(Respond(500, "the rule has no backend"), (cause,))
        weighted: list[tuple[Backend, int]] = []
        for ref in refs:
            namespace = str(ref.get("namespace") or route.namespace)
            kind = str(ref.get("kind") or "Service")
            group = str(ref.get("group") or "")
            backend = Backend(namespace, str(ref.get("name", "")), ref.get("port"), kind)
            if namespace != route.namespace and not self._granted(
                route, group, kind, namespace, backend.name
            ):
                backend = Backend(namespace, backend.name, backend.port, "Invalid")
            elif kind == "Backend" and group == EG_GROUP:
                # A Backend standing for a Service reaches that Service: it compares as one.
                backend = self.eg_backends.get((namespace, backend.name), backend)
            weight = ref.get("weight", 1)
            weighted.append((backend, int(weight) if isinstance(weight, int) else 1))
        if all(b.kind == "Invalid" for b, w in weighted if w):
            return Routed(Respond(500, "no backend reference is valid"), (cause,))
        guards = self._guards(route, rule, listener) if request.protocol == "HTTP" else ()
        return Routed(forward(weighted, path, host, guards), (cause,))

    def _granted(self, route: _Route, group: str, kind: str, namespace: str, name: str) -> bool:
        for grant in self.grants:
            grant_ns, _ = _meta(grant)
            if grant_ns != namespace:
                continue
            spec = _dict(grant.get("spec"))
            sources = any(
                _dict(f).get("kind") == route.kind
                and str(_dict(f).get("group", GROUP)) == GROUP
                and _dict(f).get("namespace") == route.namespace
                for f in _list(spec.get("from"))
            )
            targets = any(
                _dict(t).get("kind") == kind
                and str(_dict(t).get("group", "")) == group
                and (not _dict(t).get("name") or _dict(t).get("name") == name)
                for t in _list(spec.get("to"))
            )
            if sources and targets:
                return True
        return False

    # --- guards ------------------------------------------------------------------------------

    def _guards(
        self, route: _Route, rule: _Rule | None, listener: _Listener | None
    ) -> tuple[str, ...]:
        guards = list(_security_guards(self.policies, route, rule, listener))
        if listener is not None and listener.protocol == "HTTPS":
            for policy in self.client_policies:
                spec = _dict(policy.get("spec"))
                if not _dict(_dict(spec.get("tls")).get("clientValidation")):
                    continue
                for target in _targets(spec):
                    if (
                        target.get("kind") == "Gateway"
                        and (
                            _meta(policy)[0],
                            str(target.get("name")),
                        )
                        == listener.on_gateway
                        and target.get("sectionName") in (None, listener.name)
                    ):
                        guards.append("client-certificate")
        return tuple(sorted(set(guards)))


_SERVICE_DNS = re.compile(r"([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?")


EXTERNAL = "External"
"""The kind of a :class:`Backend` that is a host and port outside the cluster's Services."""


def external(host: str, port: int | None) -> Backend:
    """A host reached by its DNS name or IP address (and a port): an Envoy Gateway Backend's
    FQDN or IP endpoint, or the ``externalName`` of an ExternalName Service. Two of them are
    the same backend when host and port are (the name compared as DNS does: lower case, no
    trailing dot)."""
    return Backend("", host.lower().rstrip("."), port, EXTERNAL)


def _reached_by_backend(spec: JSON) -> Backend | None:
    """What an Envoy Gateway Backend of one endpoint reaches: the Service whose cluster DNS
    name (``<service>.<namespace>.svc[.cluster.local]``) its FQDN is, else the external host
    (FQDN or IP) and port."""
    endpoints = _list(spec.get("endpoints"))
    if len(endpoints) != 1:
        return None
    endpoint = _dict(endpoints[0])
    fqdn = _dict(endpoint.get("fqdn"))
    ip = _dict(endpoint.get("ip"))
    host = fqdn.get("hostname") if fqdn else ip.get("address")
    port = (fqdn or ip).get("port")
    if not isinstance(host, str) or not isinstance(port, int):
        return None
    found = _SERVICE_DNS.fullmatch(host.lower())
    if found is not None and fqdn:
        return Backend(found.group(2), found.group(1), port, "Service")
    return external(host, port)


def _targets(spec: JSON) -> list[JSON]:
    refs = [_dict(t) for t in _list(spec.get("targetRefs"))]
    if isinstance(spec.get("targetRef"), dict):
        refs.append(spec["targetRef"])
    return refs


def _security_guards(
    policies: list[JSON], route: _Route, rule: _Rule | None, listener: _Listener | None
) -> list[str]:
    """The guards of the most specific SecurityPolicy that applies: a rule of the route (by
    ``sectionName``), the route, a listener of its Gateway, the Gateway."""
    levels: dict[int, list[JSON]] = {}
    for policy in policies:
        namespace, _ = _meta(policy)
        spec = _dict(policy.get("spec"))
        for target in _targets(spec):
            kind, name = target.get("kind"), target.get("name")
            section = target.get("sectionName")
            if kind == route.kind and namespace == route.namespace and name == route.name:
                if section is None:
                    levels.setdefault(2, []).append(spec)
                elif rule is not None and section == rule.name:
                    levels.setdefault(3, []).append(spec)
            elif (
                kind == "Gateway"
                and listener is not None
                and (namespace, name) == listener.on_gateway
            ):
                if section is None:
                    levels.setdefault(0, []).append(spec)
                elif section == listener.name:
                    levels.setdefault(1, []).append(spec)
    if not levels:
        return []
    return [guard for spec in levels[max(levels)] for guard in _policy_guards(spec)]


def _policy_guards(spec: JSON) -> list[str]:
    guards = []
    for key, guard in (
        ("basicAuth", "basic-auth"),
        ("extAuth", "external-auth"),
        ("jwt", "jwt"),
        ("oidc", "oidc"),
        ("apiKeyAuth", "api-key"),
    ):
        if spec.get(key):
            guards.append(guard)
    authorization = _dict(spec.get("authorization"))
    if authorization:
        allow: list[str] = []
        deny: list[str] = []
        other = False
        for rule in _list(authorization.get("rules")):
            rule = _dict(rule)
            cidrs = [str(c) for c in _list(_dict(rule.get("principal")).get("clientCIDRs"))]
            if not cidrs or set(_dict(rule.get("principal"))) != {"clientCIDRs"}:
                other = True
            elif rule.get("action") == "Deny":
                deny.extend(cidrs)
            else:
                allow.extend(cidrs)
        if deny:
            guards.append("ip-deny " + ",".join(sorted(set(deny))))
        if allow and authorization.get("defaultAction") == "Deny":
            guards.append("ip-allow " + ",".join(sorted(set(allow))))
        if other:
            guards.append("authorization")
    return guards


# --- matching ----------------------------------------------------------------------------------


def _matches(match: _Match, request: Request) -> bool:
    if match.grpc_service is not None or match.grpc_method is not None:
        service, _, method = request.path.lstrip("/").partition("/")
        for wanted, actual in ((match.grpc_service, service), (match.grpc_method, method)):
            if wanted is None:
                continue
            if match.grpc_type == "RegularExpression":
                if not regex_full_match(wanted, actual):
                    return False
            elif wanted != actual:
                return False
    elif not _path_matches(match.path_type, match.path, request.path):
        return False
    if match.method is not None and match.method != request.method:
        return False
    for name, kind, value in match.headers:
        sent = request.header(name)
        if sent is None:
            return False
        if kind == "RegularExpression":
            if not regex_full_match(value, sent):
                return False
        elif sent != value:
            return False
    if match.query:
        params: dict[str, str] = {}
        for part in request.query.split("&"):
            key, _, value = part.partition("=")
            params.setdefault(key, value)
        for name, kind, value in match.query:
            given = params.get(name)
            if given is None:
                return False
            if kind == "RegularExpression":
                if not regex_full_match(value, given):
                    return False
            elif given != value:
                return False
    return True


def _path_matches(kind: str, value: str, path: str) -> bool:
    if kind == "Exact":
        return path == value
    if kind == "RegularExpression":
        return regex_full_match(value, path)
    prefix = value.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


_PATH_TYPE_RANK = {"Exact": 2, "RegularExpression": 1, "PathPrefix": 0}


def _precedence(match: _Match, kind: str) -> tuple[int, ...]:
    if kind == "GRPCRoute":
        return (
            len(match.grpc_service or ""),
            len(match.grpc_method or ""),
            len(match.headers),
        )
    length = 0 if match.path_type == "PathPrefix" and match.path == "/" else len(match.path)
    headers = len(match.headers) + (1 if match.method else 0)
    exact_headers = sum(1 for _, kind_, _ in match.headers if kind_ == "Exact") + (
        1 if match.method else 0
    )
    exact_query = sum(1 for _, kind_, _ in match.query if kind_ == "Exact")
    return (
        _PATH_TYPE_RANK.get(match.path_type, 0),
        length,
        headers,
        exact_headers,
        len(match.query),
        exact_query,
    )


def _modified_path(modifier: JSON, match: _Match, path: str) -> str:
    kind = modifier.get("type")
    if kind == "ReplaceFullPath":
        return str(modifier.get("replaceFullPath", "/")) or "/"
    if kind == "ReplacePrefixMatch" and match.path_type == "PathPrefix":
        prefix = match.path.rstrip("/")
        replacement = str(modifier.get("replacePrefixMatch", ""))
        rest = path[len(prefix) :]
        if not replacement or replacement == "/":
            return rest if rest.startswith("/") else "/" + rest
        return replacement.rstrip("/") + rest if rest else replacement
    return path


def regex_substitute(pattern: str, substitution: str, path: str) -> str:
    """Envoy's ``regex_rewrite``: every match of ``pattern`` in ``path`` replaced (RE2, with
    ``\\1`` references)."""
    import re

    try:
        import re2

        options = re2.Options()
        options.log_errors = False  # an invalid expression of the input is no stderr message
        compiled: Any = re2.compile(pattern, options)
    except Exception:
        try:
            compiled = re.compile(pattern)
        except re.error:
            return path
    try:
        return str(compiled.sub(substitution, path))
    except Exception:
        return path


def _redirect(spec: JSON, match: _Match, listener: _Listener, request: Request) -> Redirect:
    scheme = str(spec.get("scheme") or request.scheme)
    host = str(spec.get("hostname") or request.host)
    port = spec.get("port")
    if not isinstance(port, int):
        # HTTPRequestRedirectFilter.Port: the scheme's well-known port when the scheme is
        # given, else the listener's port.
        port = (
            {"http": 80, "https": 443}.get(scheme, listener.port)
            if spec.get("scheme")
            else listener.port
        )
    default = {"http": 80, "https": 443}.get(scheme)
    authority = host if port == default else f"{host}:{port}"
    path = _modified_path(_dict(spec.get("path")), match, request.path)
    query = f"?{request.query}" if request.query else ""
    return Redirect(int(spec.get("statusCode", 302)), f"{scheme}://{authority}{path}{query}")
