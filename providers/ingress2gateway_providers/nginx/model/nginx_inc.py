"""A model of how NGINX Inc's Ingress controller (nginx/kubernetes-ingress, v5) routes requests.

Written from the controller's code at ``nginx/kubernetes-ingress``:

* **Hosts.** Each host belongs to one resource: the oldest Ingress (or master) that names it
  (``internal/k8s/configuration.go``, ``rebuildHosts``, ``chooseObjectMetaWinner``); a newer
  one keeps its other hosts. Minions (``nginx.org/mergeable-ingress-type: minion``) add their
  paths to their host's master, the older minion winning a path (``buildMinionConfigs``).
  VirtualServers take their ``spec.host`` the same way. A request for no host of theirs goes to
  the default server, which answers 404. Host names are nginx server names: ``*.a.com`` takes
  any depth of labels.
* **Locations** (``internal/configs/ingress.go``, ``generateIngressPath``;
  ``version1/template_helper.go``, ``makeLocationPath``): ``Exact`` is ``location = path``;
  ``Prefix`` and ``ImplementationSpecific`` a plain nginx prefix, a *character* prefix
  (``/app`` takes ``/apple``); ``nginx.org/path-regex`` ``case_sensitive`` /
  ``case_insensitive`` / ``exact`` make ``~ "^path"``, ``~* "^path"``, ``= "path"``. nginx
  then picks (see :mod:`.locations`).
* **Server** (``version1/nginx.ingress.tmpl``): on a host with TLS, an http request is
  redirected, first of all, to ``https://$host:443$request_uri`` with
  ``nginx.org/http-redirect-code`` (301) unless ``ingress.kubernetes.io/ssl-redirect`` is
  false; there is no exemption for ACME paths. Then ``nginx.org/app-root`` answers ``/`` with a
  302. ``nginx.org/rewrites`` (``serviceName=svc rewrite=/x``) puts a URI in ``proxy_pass``:
  the part of the URI the location matched is replaced by it. ``nginx.org/rewrite-target``
  rewrites with the location's pattern.
* **VirtualServers** (``internal/configs/virtualserver.go``): route paths are prefixes,
  ``=`` exact or ``~``/``~*`` regular expressions; a route's ``matches`` are tried in order
  (every condition of one: header, cookie, argument, or ``$request_method``), else its
  ``action`` / ``splits``: ``pass`` (an upstream), ``redirect`` (url, code 301), ``return``
  (code), ``proxy`` (upstream, ``rewritePath`` for the matched prefix). ``tls.redirect``
  redirects http with its code (301).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.verification.matching import host_matches, pcre_search
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
from ingress2gateway.verification.probes import (
    UNKNOWN_HOST,
    concrete_host,
    path_variants,
    regex_sample,
)

from .inc_admission import refused
from .locations import (
    EXACT,
    PREFIX,
    PREFIX_NO_REGEX,
    REGEX,
    REGEX_NOCASE,
    Location,
    find_location,
)
from .selection import (
    IngressInfo,
    external_name_services,
    external_name_target,
    service_ports,
)
from .snippets import Block
from .snippets import parse as parse_snippet


@dataclass
class IncLoc:
    """An NGINX Inc location and what hangs on it."""

    backend: Backend | None
    source: Cause
    rewrite: str = ""
    """``nginx.org/rewrites``: the URI of ``proxy_pass``."""
    rewrite_target: str = ""
    pattern: str = ""
    guards: tuple[str, ...] = ()
    snippet: Block | None = None
    causes: tuple[Cause, ...] = ()
    # VirtualServer routes
    matches: list[tuple[list[dict[str, Any]], dict[str, Any]]] = field(default_factory=list)
    action: dict[str, Any] | None = None
    splits: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    upstreams: dict[str, Backend] = field(default_factory=dict)


@dataclass
class IncServer:
    host: str
    rendered: list[Location[IncLoc]] = field(default_factory=list)
    tls: bool = False
    ssl_redirect: bool = False
    redirect_code: int = 301
    app_root: str = ""
    cause: Cause | None = None
    snippet: Block | None = None
    redirect_to_https: bool = False
    """``nginx.org/redirect-to-https``: ``X-Forwarded-Proto: http`` is redirected to https."""
    ports: tuple[int, ...] = (80,)
    ssl_ports: tuple[int, ...] = (443,)
    grpc_only: bool = False
    """Every location passes to a gRPC service: the server listens on its SSL ports only."""
    age: tuple[str, str] = ("\uffff", "")
    """What decides which resource owns a host (oldest first)."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _annotation(obj: KubeObject, key: str) -> str | None:
    value = obj.annotations.get(key)
    return value.strip() if isinstance(value, str) else None


def _go_true(obj: KubeObject, key: str) -> bool | None:
    """A ``strconv.ParseBool`` annotation (an invalid one got the Ingress rejected)."""
    value = obj.annotations.get(key)
    if not isinstance(value, str):
        return None
    return value in ("1", "t", "T", "TRUE", "true", "True")


def _port_list(obj: KubeObject, key: str, default: int) -> tuple[int, ...]:
    value = obj.annotations.get(key)
    if not isinstance(value, str) or not value:
        return (default,)
    return tuple(dict.fromkeys(int(part) for part in value.split(",")))


def _created(obj: KubeObject) -> str:
    stamp = obj.metadata.get("creationTimestamp")
    return stamp if isinstance(stamp, str) and stamp else "\uffff"


class NginxIncModel:
    def __init__(
        self,
        ingresses: Sequence[IngressInfo],
        objects: Sequence[KubeObject],
        virtual_servers: Sequence[KubeObject] = (),
    ) -> None:
        self.ports = service_ports(objects)
        self.external_names = external_name_services(objects)
        self.servers: dict[str, IncServer] = {}
        self.route_objects = [
            o for o in objects if o.kind == "VirtualServerRoute" and o.group == "k8s.nginx.org"
        ]
        masters: dict[str, IngressInfo] = {}
        minions: list[IngressInfo] = []
        owners: dict[str, IngressInfo] = {}
        self.refused: dict[tuple[str, str], list[tuple[str, str]]] = {}
        admitted = []
        for info in ingresses:
            errors = refused(info)
            if errors:
                self.refused[(info.namespace, info.name)] = errors
            else:
                admitted.append(info)
        for info in admitted:  # oldest first
            kind = _annotation(info.obj, "nginx.org/mergeable-ingress-type")
            if kind == "minion":
                minions.append(info)
                continue
            for rule in info.rules:
                if rule.host is not None and rule.host not in owners:
                    owners[rule.host] = info
                    if kind == "master":
                        masters[rule.host] = info
        for host, info in owners.items():
            self._ingress_server(host, info, minions if host in masters else [])
        for vs in virtual_servers:
            self._virtual_server(vs)

    # --- Ingresses ---------------------------------------------------------------------------

    def _backend(self, info: IngressInfo, raw: Any) -> Backend | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("service"), dict):
            return None
        service = raw["service"]
        port = service.get("port") if isinstance(service.get("port"), dict) else {}
        number, name = port.get("number"), port.get("name")
        resolved: Any = number if isinstance(number, int) else name
        if isinstance(name, str) and not isinstance(number, int):
            resolved = self.ports.get((info.namespace, service.get("name", "")), {}).get(name, name)
        return self._reached(Backend(info.namespace, str(service.get("name", "")), resolved))

    def _reached(self, backend: Backend) -> Backend:
        """What a Service backend reaches: itself, or for an ExternalName Service its
        externalName on the port the backend names (getExternalEndpointsForIngressBackend;
        NGINX Plus only: NGINX OSS has no endpoint for it)."""
        spec = self.external_names.get((backend.namespace, backend.name))
        if spec is None:
            return backend
        port = backend.port if isinstance(backend.port, int) else None
        return external_name_target(str(spec.get("externalName", "")), port)

    def _ingress_server(self, host: str, owner: IngressInfo, minions: list[IngressInfo]) -> None:
        obj = owner.obj
        server = IncServer(host, cause=Cause("Ingress", owner.namespace, owner.name, ""))
        server.age = (_created(obj), "")
        # addSSLConfig: only a TLS entry that lists the host turns TLS on (an entry without
        # hosts does nothing); without secretName the controller uses its wildcard TLS secret
        # (or rejects the handshake without one): the input is taken to have worked.
        server.tls = any(host in hosts for hosts, _ in owner.tls)
        redirect = _go_true(obj, "nginx.org/ssl-redirect")
        if redirect is None:
            redirect = _go_true(obj, "ingress.kubernetes.io/ssl-redirect")
        server.ssl_redirect = server.tls and redirect is not False
        server.redirect_to_https = bool(_go_true(obj, "nginx.org/redirect-to-https"))
        code = _annotation(obj, "nginx.org/http-redirect-code")
        if code and code.isdigit() and int(code) in (301, 302, 307, 308):
            server.redirect_code = int(code)
        server.ports = _port_list(obj, "nginx.org/listen-ports", 80)
        server.ssl_ports = _port_list(obj, "nginx.org/listen-ports-ssl", 443)
        server.app_root = _annotation(obj, "nginx.org/app-root") or ""
        snippets = _annotation(obj, "nginx.org/server-snippets")
        server.snippet = parse_snippet(snippets) if snippets else None
        sources = [(owner, [r for r in owner.rules if r.host == host])]
        taken: set[str] = set()
        for minion in minions:  # oldest first: an older minion keeps a path
            rules = [r for r in minion.rules[:1] if r.host == host]
            sources.append((minion, rules))
        locations: list[Location[IncLoc]] = []
        has_root = False
        grpc_locations = 0
        for info, rules in sources:
            regex = _annotation(info.obj, "nginx.org/path-regex")
            rewrites = _rewrites(_annotation(info.obj, "nginx.org/rewrites") or "")
            # getRewriteTarget: nginx.org/rewrites wins over rewrite-target.
            target = "" if rewrites else _annotation(info.obj, "nginx.org/rewrite-target") or ""
            grpc = set((_annotation(info.obj, "nginx.org/grpc-services") or "").split(","))
            guards = _inc_guards(info.obj)
            if info is not owner:
                # The master's auth_basic, JWT and policies are the server's: a minion's
                # location without its own of a kind inherits them.
                guards = tuple(dict.fromkeys(guards + _inc_guards(owner.obj)))
            snippet_text = _annotation(info.obj, "nginx.org/location-snippets")
            for rule in rules:
                index = info.rules.index(rule)
                for j, raw in enumerate(rule.paths or []):
                    if not isinstance(raw, dict):
                        continue
                    raw_path = raw.get("path")
                    path = raw_path if isinstance(raw_path, str) and raw_path else "/"
                    if info is not owner and path in taken:
                        continue
                    taken.add(path)
                    backend = self._backend(info, raw.get("backend"))
                    if backend is None:
                        continue
                    modifier, name = _location(path, raw.get("pathType"), regex)
                    has_root = has_root or (name == "/" and modifier == PREFIX)
                    grpc_locations += backend.name in grpc
                    field_path = f"spec.rules[{index}].http.paths[{j}]"
                    cause = Cause("Ingress", info.namespace, info.name, field_path)
                    consulted = (
                        *(
                            Cause(
                                "Ingress", info.namespace, info.name, f"metadata.annotations[{k}]"
                            )
                            for k in _CONSULTED
                            if k in info.obj.annotations
                        ),
                        Cause("Ingress", info.namespace, info.name, f"spec.rules[{index}].host"),
                        *(
                            Cause(
                                "Ingress", owner.namespace, owner.name, f"metadata.annotations[{k}]"
                            )
                            for k in _MASTER_ACCESS
                            if info is not owner and k in owner.obj.annotations
                        ),
                    )
                    locations.append(
                        Location(
                            modifier,
                            name,
                            IncLoc(
                                backend,
                                cause,
                                rewrite=rewrites.get(backend.name, ""),
                                rewrite_target=target,
                                pattern=("^" + path)
                                if regex in ("case_sensitive", "case_insensitive")
                                else path,
                                guards=guards,
                                snippet=parse_snippet(snippet_text) if snippet_text else None,
                                causes=(cause, *consulted),
                            ),
                        )
                    )
        if not has_root:
            default = self._backend(owner, owner.default_backend)
            if default is not None:
                cause = Cause("Ingress", owner.namespace, owner.name, owner.default_backend_field)
                locations.append(Location(PREFIX, "/", IncLoc(default, cause, causes=(cause,))))
        server.rendered = locations
        # generateNginxCfg: a server whose every location passes to a gRPC service (the input
        # is taken to have HTTP/2 on, which nginx.org/grpc-services needs) is GRPCOnly: it
        # neither listens on the plain ports nor redirects them.
        server.grpc_only = bool(locations) and grpc_locations == len(locations)
        self.servers[host] = server

    # --- VirtualServers ----------------------------------------------------------------------

    def _virtual_server(self, vs: KubeObject) -> None:
        spec = vs.spec
        host = spec.get("host")
        if not isinstance(host, str) or not host:
            return
        host = host.lower()
        held = self.servers.get(host)
        # buildHostsAndResources: the older resource keeps the host (chooseObjectMetaWinner);
        # with the same timestamp the order is the UIDs', unknown here: the holder keeps it.
        if held is not None and held.age <= (_created(vs), ""):
            return
        if _vs_refused(spec):
            return
        namespace = vs.namespace or "default"
        cause = Cause("VirtualServer", namespace, vs.name or "", "spec.host")
        server = IncServer(host, cause=cause)
        server.age = (_created(vs), "")
        tls = _dict(spec.get("tls"))
        server.tls = isinstance(tls.get("secret"), str) and bool(tls["secret"])
        redirect = _dict(tls.get("redirect"))
        # generateTLSRedirectConfig: "if ($scheme = 'http')", or with basedOn
        # x-forwarded-proto "if ($http_x_forwarded_proto = 'http')".
        if redirect.get("enable") is True:
            if redirect.get("basedOn") == "x-forwarded-proto":
                server.redirect_to_https = True
            else:
                server.ssl_redirect = True
        if isinstance(redirect.get("code"), int):
            server.redirect_code = redirect["code"]
        upstreams: dict[str, Backend] = {}
        for raw in spec.get("upstreams") or []:
            if isinstance(raw, dict) and isinstance(raw.get("name"), str):
                upstreams[raw["name"]] = self._reached(_upstream_service(raw, namespace))
        routes: list[tuple[tuple[Cause, ...], dict[str, Any], dict[str, Backend]]] = []
        regex_refs = _regex_references(spec.get("routes") or [], namespace)
        inherited: set[int] = set()
        for index, route in enumerate(spec.get("routes") or []):
            if not isinstance(route, dict) or not isinstance(route.get("path"), str):
                continue
            route_cause = Cause("VirtualServer", namespace, vs.name or "", f"spec.routes[{index}]")
            delegated = self._delegated(route, namespace, host, index, regex_refs)
            if delegated is None:
                routes.append(((route_cause,), route, upstreams))
                continue
            routes.extend(
                ((sub_cause, route_cause), sub, subs) for sub_cause, sub, subs in delegated
            )
            if route.get("policies"):
                # vsrPoliciesFromVs: a delegating route's policies reach its subroutes.
                inherited.update(id(sub) for _, sub, _ in delegated)
        for route_causes, route, route_upstreams in routes:
            route_cause = route_causes[0]
            path = str(route["path"])
            if path.startswith("="):
                modifier, name = EXACT, path[1:].strip()
            elif path.startswith("~*"):
                modifier, name = REGEX_NOCASE, path[2:].strip()
            elif path.startswith("~"):
                modifier, name = REGEX, path[1:].strip()
            elif path.startswith("^~"):
                modifier, name = PREFIX_NO_REGEX, path[2:].strip()
            else:
                modifier, name = PREFIX, path
            loc = IncLoc(None, route_cause, causes=route_causes, upstreams=route_upstreams)
            if spec.get("policies") or route.get("policies") or id(route) in inherited:
                # Policies (auth, access control, rate limits…) decide whether the request
                # is served; which credentials pass is not in the input.
                loc.guards = ("authorization",)
            if spec.get("policies"):
                policies = Cause("VirtualServer", namespace, vs.name or "", "spec.policies")
                loc.causes = (*loc.causes, policies)
            for match in route.get("matches") or []:
                if isinstance(match, dict):
                    conditions = [c for c in match.get("conditions") or [] if isinstance(c, dict)]
                    loc.matches.append((conditions, match))
            loc.action = route.get("action") if isinstance(route.get("action"), dict) else None
            for split in route.get("splits") or []:
                if isinstance(split, dict) and isinstance(split.get("weight"), int):
                    loc.splits.append((split["weight"], split))
            server.rendered.append(Location(modifier, name, loc))
        self.servers[host] = server

    def _delegated(
        self,
        route: dict[str, Any],
        namespace: str,
        host: str,
        index: int,
        regex_refs: dict[tuple[str, str], tuple[int, list[str]]],
    ) -> list[tuple[Cause, dict[str, Any], dict[str, Backend]]] | None:
        """The subroutes of the VirtualServerRoutes a route delegates to (``route`` or
        ``routeSelector``), with their upstreams; None for a route that does not delegate.
        A VirtualServerRoute of another host, or with a subroute outside the route's path (for
        a prefix path: not under it; for ``=``: one subroute of the same path), is invalid for
        the route (``validateVSRs``, ``ValidateVirtualServerRouteForVirtualServer``). The
        ``~`` routes naming one VirtualServerRoute share it (``collectRegexNamedRoute``): its
        subroutes must be exactly their paths, and it is served once, at the first of them."""
        ref = route.get("route")
        selector = _dict(_dict(route.get("routeSelector")).get("matchLabels"))
        if not isinstance(ref, str) and not selector:
            return None
        own_path = str(route.get("path", ""))
        shared: list[str] | None = None
        if isinstance(ref, str) and own_path.startswith("~"):
            wanted_ns, _, wanted_name = ref.rpartition("/")
            first, shared = regex_refs[(wanted_ns or namespace, wanted_name)]
            if first != index:
                return []
        found: list[tuple[Cause, dict[str, Any], dict[str, Backend]]] = []
        for vsr in self.route_objects:
            vsr_ns = vsr.namespace or "default"
            if isinstance(ref, str):
                wanted_ns, _, wanted_name = ref.rpartition("/")
                if (wanted_ns or namespace, wanted_name) != (vsr_ns, vsr.name):
                    continue
            else:
                labels = _dict(vsr.metadata.get("labels"))
                if any(labels.get(k) != v for k, v in selector.items()):
                    continue
            if str(vsr.spec.get("host", "")).lower() != host:
                continue
            subroutes = [
                (i, sub)
                for i, sub in enumerate(vsr.spec.get("subroutes") or [])
                if isinstance(sub, dict) and isinstance(sub.get("path"), str)
            ]
            paths = [str(sub["path"]) for _, sub in subroutes]
            if not _subroutes_fit(own_path, paths, shared):
                continue
            upstreams = {
                str(u["name"]): self._reached(_upstream_service(u, vsr_ns))
                for u in vsr.spec.get("upstreams") or []
                if isinstance(u, dict) and isinstance(u.get("name"), str)
            }
            for i, sub in subroutes:
                cause = Cause("VirtualServerRoute", vsr_ns, vsr.name or "", f"spec.subroutes[{i}]")
                found.append((cause, sub, upstreams))
        return found

    # --- routing -----------------------------------------------------------------------------

    def server_for(self, host: str) -> IncServer | None:
        host = host.lower()
        if host in self.servers:
            return self.servers[host]
        wild = [name for name in self.servers if name.startswith("*.") and host_matches(name, host)]
        return self.servers[max(wild, key=len)] if wild else None

    def route(self, request: Request) -> Routed:
        if request.protocol != "HTTP":
            return Routed(NoRoute(0, "NGINX Inc's Ingress servers speak HTTP"))
        server = self.server_for(request.host)
        if server is None:
            return Routed(NoRoute(0, "not a host of NGINX Inc's"))
        causes = (server.cause,) if server.cause else ()
        plain_ports = () if server.grpc_only else server.ports
        listening = server.ssl_ports if request.scheme == "https" else plain_ports
        if request.effective_port not in listening:
            # Another server (the default server) takes the port: 404, or no TLS handshake.
            return Routed(NoRoute(0, "the host's server does not listen on this port"), causes)
        if request.scheme == "https" and not server.tls:
            return Routed(NoRoute(0, "no certificate for this host"), causes)
        query = f"?{request.query}" if request.query else ""
        if request.scheme == "http" and server.ssl_redirect and not server.grpc_only:
            # return <code> https://$host:<first SSL port>$request_uri
            location = f"https://{request.host}:{server.ssl_ports[0]}{request.path}{query}"
            return Routed(Redirect(server.redirect_code, (location)), causes)
        if server.redirect_to_https and request.header("x-forwarded-proto") == "http":
            location = f"https://{request.host}{request.path}{query}"
            return Routed(Redirect(server.redirect_code, location), causes)
        if server.snippet is not None and server.snippet.returns is not None:
            status, text = server.snippet.returns
            if 300 <= status < 400 and text:
                return Routed(Redirect(status, (text)), causes)
            return Routed(Respond(status, "a server snippet's return"), causes)
        if server.app_root and request.path == "/":
            location = f"{request.scheme}://{request.host}{server.app_root}"
            return Routed(Redirect(302, (location)), causes)
        found = find_location(server.rendered, request.path)
        if found is None:
            return Routed(NoRoute(404, "no location"), causes)
        loc = found.location.data
        if found.auto_redirect:
            location = f"{request.scheme}://{request.host}{found.location.name}{query}"
            return Routed(Redirect(301, (location)), loc.causes)
        if loc.matches or loc.action is not None or loc.splits:
            return self._vs_route(loc, found.location, request)
        if loc.snippet is not None:
            if loc.snippet.returns is not None:
                status, text = loc.snippet.returns
                if 300 <= status < 400 and text:
                    return Routed(Redirect(status, (text)), loc.causes)
                return Routed(Respond(status, "a location snippet's return"), loc.causes)
            if loc.snippet.denies_everyone:
                return Routed(Respond(403, "a snippet denies every client"), loc.causes)
        if loc.backend is None:
            return Routed(NoRoute(404, "a route without an action"), loc.causes)
        uri = request.path
        if loc.rewrite_target:
            found_match = pcre_search(
                loc.pattern, uri, ignore_case=found.location.modifier == REGEX_NOCASE
            )
            if found_match is not None:
                uri = re.sub(
                    r"\$(\d)", lambda m: _group(found_match, int(m.group(1))), loc.rewrite_target
                )
        if loc.rewrite:
            uri = _proxy_pass_uri(found.location, uri, loc.rewrite)
        guards = list(loc.guards) + (loc.snippet.guards() if loc.snippet else [])
        guards += server.snippet.guards() if server.snippet else []
        return Routed(forward([(loc.backend, 1)], uri + query, request.host, guards), loc.causes)

    def _vs_route(self, loc: IncLoc, location: Location[IncLoc], request: Request) -> Routed:
        for conditions, match in loc.matches:
            if all(_condition(c, request) for c in conditions):
                return self._vs_action(
                    loc, location, request, match.get("action"), match.get("splits")
                )
        return self._vs_action(
            loc, location, request, loc.action, [s for _, s in loc.splits] or None
        )

    def _vs_action(
        self,
        loc: IncLoc,
        location: Location[IncLoc],
        request: Request,
        action: Any,
        splits: Any,
    ) -> Routed:
        query = f"?{request.query}" if request.query else ""
        if isinstance(splits, list) and splits:
            shares = []
            for split in splits:
                if isinstance(split, dict) and isinstance(split.get("action"), dict):
                    upstream = loc.upstreams.get(str(split["action"].get("pass", "")))
                    if upstream is not None:
                        shares.append((upstream, int(split.get("weight", 0))))
            return Routed(
                forward(shares, request.path + query, request.host, loc.guards), loc.causes
            )
        if not isinstance(action, dict):
            return Routed(NoRoute(404, "a route without an action"), loc.causes)
        if "redirect" in action and isinstance(action["redirect"], dict):
            target = str(action["redirect"].get("url", ""))
            target = target.replace("${scheme}", request.scheme).replace("${host}", request.host)
            target = target.replace("${request_uri}", request.path + query)
            code = action["redirect"].get("code", 301)
            return Routed(Redirect(code if isinstance(code, int) else 301, target), loc.causes)
        if "return" in action and isinstance(action["return"], dict):
            return Routed(
                Respond(int(action["return"].get("code", 200)), "action return"), loc.causes
            )
        name = action.get("pass")
        uri = request.path
        if isinstance(action.get("proxy"), dict):
            name = action["proxy"].get("upstream")
            rewrite = action["proxy"].get("rewritePath")
            if isinstance(rewrite, str) and location.modifier in (REGEX, REGEX_NOCASE):
                # generateRewrites: rewrite "^<path>" "<rewritePath>" break (case-sensitive).
                uri = _rewrite_uri("^" + location.name, rewrite, uri)
            elif isinstance(rewrite, str):
                uri = _proxy_pass_uri(location, uri, rewrite)
        upstream = loc.upstreams.get(str(name))
        if upstream is None:
            return Routed(Respond(502, "unknown upstream"), loc.causes)
        return Routed(forward([(upstream, 1)], uri + query, request.host, loc.guards), loc.causes)

    # --- the requests that matter ------------------------------------------------------------

    def requests(self) -> Iterator[Request]:
        for name, server in sorted(self.servers.items()):
            host = concrete_host(name)
            schemes = ["http", "https"] if server.tls else ["http"]
            paths = {"/", "/.well-known/acme-challenge/token"}
            headers: set[tuple[tuple[str, str], ...]] = {()}
            if server.redirect_to_https:
                headers.add((("x-forwarded-proto", "http"),))
            for port in {*server.ports, *server.ssl_ports} - {80, 443}:
                for scheme in schemes:
                    yield Request(host, "/", scheme, port=port)
                    first = server.rendered[0].name if server.rendered else ""
                    if first.startswith("/"):
                        yield Request(host, first, scheme, port=port)
            for location in server.rendered:
                if location.modifier in (REGEX, REGEX_NOCASE):
                    sample = regex_sample(location.name)
                    if sample and sample.startswith("/"):
                        paths.update({sample, sample.upper()})
                else:
                    paths.update(path_variants(location.name))
                for conditions, _ in location.data.matches:
                    parts = [_request_parts(c) for c in conditions]
                    headers.add(tuple(p for p in parts if p is not None))
            for scheme in schemes:
                for path in sorted(paths):
                    for header_set in sorted(headers):
                        yield Request(host, path, scheme, headers=header_set)
        yield Request(UNKNOWN_HOST, "/")


_CONSULTED = (
    "nginx.org/path-regex",
    "nginx.org/rewrites",
    "nginx.org/rewrite-target",
    "nginx.org/basic-auth-secret",
    "nginx.org/policies",
    "nginx.com/policies",
    "nginx.com/jwt-key",
    "nginx.org/location-snippets",
    "nginx.org/server-snippets",
    "nginx.org/mergeable-ingress-type",
)
"""Annotations whose fields explain what a location does (for causes)."""

_MASTER_ACCESS = (
    "nginx.org/basic-auth-secret",
    "nginx.org/policies",
    "nginx.com/policies",
    "nginx.com/jwt-key",
)
"""A master's access controls, which its minions' locations inherit (for causes)."""


_REDIRECT_CODES = (301, 302, 307, 308)


def _vs_refused(spec: dict[str, Any]) -> bool:
    """Whether NGINX Inc's ``ValidateVirtualServer`` refuses the VirtualServer (then it serves
    nothing): the checks of the fields routing depends on. No two routes have one path
    (NormalizePath); actions name an upstream of the VirtualServer; redirects have a URL with a
    scheme and a 301, 302, 307 or 308 code; the TLS redirect's code is one of those, its
    basedOn ``scheme`` or ``x-forwarded-proto``."""
    names = {str(_dict(u).get("name")) for u in spec.get("upstreams") or []}
    redirect = _dict(_dict(spec.get("tls")).get("redirect"))
    if "code" in redirect and redirect["code"] not in _REDIRECT_CODES:
        return True
    if redirect.get("basedOn", "scheme") not in ("scheme", "x-forwarded-proto"):
        return True
    actions: list[Any] = []
    paths = [
        _normalized(str(_dict(r)["path"]))
        for r in spec.get("routes") or []
        if isinstance(_dict(r).get("path"), str)
    ]
    if len(set(paths)) != len(paths):
        return True  # validateVirtualServerRoutes: a duplicate path
    for route in spec.get("routes") or []:
        route = _dict(route)
        actions.append(route.get("action"))
        actions += [_dict(m).get("action") for m in route.get("matches") or []]
        actions += [_dict(s).get("action") for s in route.get("splits") or []]
    for action in actions:
        if not isinstance(action, dict):
            continue
        target = action.get("pass") or _dict(action.get("proxy")).get("upstream")
        if target is not None and str(target) not in names:
            return True
        if "redirect" in action:
            found = _dict(action["redirect"])
            if "://" not in str(found.get("url", "")):
                return True
            if "code" in found and found["code"] not in _REDIRECT_CODES:
                return True
    return False


def _upstream_service(upstream: dict[str, Any], namespace: str) -> Backend:
    """An upstream's Service: ``namespace/name`` is one of another namespace
    (``ParseServiceReference``), a plain name the resource's own."""
    other, _, name = str(upstream.get("service", "")).rpartition("/")
    return Backend(other or namespace, name, upstream.get("port"))


def _normalized(path: str) -> str:
    """A route path with the spaces after its modifier dropped (``NormalizePath``)."""
    for modifier in ("~*", "~", "^~", "="):
        if path.startswith(modifier):
            return modifier + path.removeprefix(modifier).lstrip()
    return path


def _regex_references(
    routes: list[Any], namespace: str
) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """For each VirtualServerRoute that ``~`` routes name: the index of the first such route
    and their paths (normalized, each once), as ``collectRegexNamedRoute`` gathers them."""
    found: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for index, route in enumerate(routes):
        route = _dict(route)
        ref, path = route.get("route"), route.get("path")
        if not isinstance(ref, str) or not isinstance(path, str) or not path.startswith("~"):
            continue
        wanted_ns, _, wanted_name = ref.rpartition("/")
        _, paths = found.setdefault((wanted_ns or namespace, wanted_name), (index, []))
        if _normalized(path) not in paths:
            paths.append(_normalized(path))
    return found


def _subroutes_fit(route_path: str, sub_paths: list[str], shared: list[str] | None) -> bool:
    """Whether a VirtualServerRoute's subroute paths fit the route delegating to it
    (``validateVirtualServerRouteSubroutes``): for ``~`` routes, exactly the paths of the
    routes sharing it, none twice; for ``=``, one subroute of that path; for a prefix, each
    under it."""
    normalized = [_normalized(p) for p in sub_paths]
    if shared is not None:
        return len(set(normalized)) == len(normalized) and set(normalized) == set(shared)
    if route_path.startswith("="):
        return normalized == [_normalized(route_path)]
    return all(
        p.removeprefix("^~").strip().startswith(route_path.removeprefix("^~").strip())
        for p in sub_paths
    )


def _group(match: re.Match[str], index: int) -> str:
    if index == 0:
        return match.group(0)
    return (match.group(index) or "") if index <= (match.re.groups or 0) else ""


def _location(path: str, path_type: Any, regex: str | None) -> tuple[str, str]:
    """``makeLocationPath``: the location of a path. ``generateIngressPath`` writes an Exact
    path as ``= /x`` first, which ``makePathWithRegex`` then wraps: ``~ "^= /x"`` or
    ``= "= /x"`` match no URI."""
    if path_type == "Exact":
        path = "= " + path
        if regex is None:
            return EXACT, path[2:]
    if regex == "case_sensitive":
        return REGEX, "^" + path
    if regex == "case_insensitive":
        return REGEX_NOCASE, "^" + path
    if regex == "exact":
        return EXACT, path
    return PREFIX, path


def _proxy_pass_uri(location: Location[IncLoc], uri: str, replacement: str) -> str:
    """``proxy_pass http://upstream<replacement>``: the part of the URI the location matched
    replaced by ``replacement`` (for an exact location, the whole URI)."""
    if location.modifier == EXACT:
        return replacement
    if location.modifier in (PREFIX, PREFIX_NO_REGEX) and uri.startswith(location.name):
        return replacement + uri[len(location.name) :]
    return uri


def _rewrite_uri(pattern: str, replacement: str, uri: str) -> str:
    """nginx's ``rewrite <pattern> <replacement> break``: when ``pattern`` matches, the URI
    becomes ``replacement`` with ``$n`` the captures (a missing one empty)."""
    found = pcre_search(pattern, uri)
    if found is None:
        return uri
    return re.sub(r"\$(\d)", lambda m: _group(found, int(m.group(1))), replacement)


def _rewrites(text: str) -> dict[str, str]:
    """``serviceName=svc rewrite=/x; serviceName=...`` → {service: URI}."""
    found = {}
    for part in text.split(";"):
        fields = dict(item.split("=", 1) for item in part.split() if "=" in item)
        if "serviceName" in fields and "rewrite" in fields:
            found[fields["serviceName"]] = fields["rewrite"]
    return found


def _inc_guards(obj: KubeObject) -> tuple[str, ...]:
    guards = []
    if obj.annotations.get("nginx.org/basic-auth-secret"):
        guards.append("basic-auth")
    if obj.annotations.get("nginx.com/jwt-key"):
        guards.append("jwt")
    if obj.annotations.get("nginx.org/policies") or obj.annotations.get("nginx.com/policies"):
        guards.append("authorization")
    return tuple(guards)


def _condition(condition: dict[str, Any], request: Request) -> bool:
    value = str(condition.get("value", ""))
    if "header" in condition:
        actual = request.header(str(condition["header"]))
    elif "cookie" in condition:
        actual = request.cookie(str(condition["cookie"]))
    elif "argument" in condition:
        params = dict(part.partition("=")[::2] for part in request.query.split("&") if part)
        actual = params.get(str(condition["argument"]))
    elif condition.get("variable") == "$request_method":
        actual = request.method
    else:
        return False
    if actual is None:
        actual = ""
    # A map whose strings match ignoring case (generateParametersForMatchesRouteMap); "!"
    # negates.
    if value.startswith("!"):
        return actual.lower() != value[1:].lower()
    return actual.lower() == value.lower()


def _request_parts(condition: dict[str, Any]) -> tuple[str, str] | None:
    value = str(condition.get("value", "")).lstrip("!")
    if "header" in condition:
        return (str(condition["header"]).lower(), value)
    if "cookie" in condition:
        return ("cookie", f"{condition['cookie']}={value}")
    return None
