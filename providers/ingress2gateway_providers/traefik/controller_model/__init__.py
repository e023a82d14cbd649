"""A model of how Traefik v3 routes requests over the input, for ``verify``.

Written from Traefik's code, not from this provider's conversion (it imports none of it):

* which Ingresses it serves: ``pkg/provider/kubernetes/ingress/kubernetes.go``
  ``shouldProcessIngress`` (the class, or no class at all);
* the router an Ingress path makes: ``loadRouter`` (``Host(`h`) && PathPrefix(`/p`)``;
  ``router.pathmatcher`` for ImplementationSpecific, any other value rejects the path);
* the routers of IngressRoutes (``pkg/provider/kubernetes/crd/kubernetes_http.go``): a missing
  middleware or service, or one in another namespace without ``allowCrossNamespace``, refuses
  the router;
* their order: priority, else the rule's length (``pkg/muxer/http/mux.go``
  ``GetRulePriority``), highest first; TLS routers take HTTPS requests only, the others plain
  HTTP on their entry points (no entry-point TLS is assumed);
* the middlewares that change where a request goes or what the backend sees
  (``pkg/middlewares/{stripprefix,addprefix,replacepath,replacepathregex,redirect,auth,
  ipallowlist}``), the others leave the answer alone;
* TraefikService weighted / mirroring / failover (``pkg/server/service``): weights, the main
  service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    NoRoute,
    Outcome,
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

from . import rule as rule_module

__all__ = ["TraefikModel", "controller_model"]

_GROUPS = ("traefik.io", "traefik.containo.us")
_PREFIX = "traefik.ingress.kubernetes.io/"
_CLASS = "kubernetes.io/ingress.class"


def _d(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
        return int(value.strip())
    return None


@dataclass
class Router:
    name: str
    tree: rule_module.Node
    text: str
    priority: int
    ports: set[int]
    tls: bool
    middlewares: list[KubeObject]
    backends: list[tuple[Backend, int]]
    causes: tuple[Cause, ...]
    certificate: bool = False
    tcp: str = ""
    guards: list[str] = field(default_factory=list)
    """Access controls of the TLS options (client certificates)."""
    refused: bool = False
    """Traefik refused the router (a TLS option it could not find): nothing answers."""
    """For IngressRouteTCP/UDP routers: TCP, TLS or UDP."""


@dataclass
class _Objects:
    services: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    crds: dict[tuple[str, str, str], KubeObject] = field(default_factory=dict)
    ingress_tls_hosts: set[str] = field(default_factory=set)
    default_cert: bool = False


class TraefikModel:
    def __init__(self, routers: list[Router], objects: _Objects) -> None:
        self.routers = sorted(routers, key=lambda r: (-r.priority, r.name))
        self.objects = objects

    # --- answering ------------------------------------------------------------------------

    def route(self, request: Request) -> Routed:
        if request.protocol in ("TCP", "UDP", "TLS"):
            return self._stream(request)
        tls = request.scheme == "https"
        port = request.effective_port
        # The websecure entry point (443) terminates TLS for every router on it (the Helm
        # chart's default); elsewhere only routers with a tls section take TLS.
        candidates = [
            r
            for r in self.routers
            if not r.tcp and port in r.ports and (r.tls or port == 443) == tls
        ]
        if tls and not any(self._has_cert(r, request.host) for r in candidates):
            return Routed(
                NoRoute(0, "no TLS router with a certificate for the host"), self._near(request)
            )
        for router in candidates:
            ctx = rule_module.Context([])
            if rule_module.evaluate(router.tree, request, ctx):
                answer = self._answer(router, request, ctx)
                extra = self._also_deciding(request, router, port, tls)
                if tls:
                    # The routers whose certificate the handshake used decided it too.
                    extra += tuple(
                        c
                        for r in candidates
                        if r is not router and r.certificate and self._has_cert(r, request.host)
                        for c in r.causes
                    )
                if not extra:
                    return answer
                return Routed(answer.outcome, tuple(dict.fromkeys(answer.causes + extra)))
        return Routed(NoRoute(404, "no router matches"), self._near(request))

    def _also_deciding(
        self, request: Request, chosen: Router, port: int, tls: bool
    ) -> tuple[Cause, ...]:
        """Routers that did not take the request but nearly did: a TLS-only router (or a
        plain one, for HTTPS) of the port that matches it, and a router whose prefix is the
        request's path with a trailing slash (``PathPrefix(`/a/`)`` for ``/a``)."""
        found: list[Cause] = []
        for router in self.routers:
            if router is chosen or router.tcp:
                continue
            hosts, paths, *_ = _probes(router.tree)
            if hosts and request.host not in hosts:
                continue
            # On other entry points, or serving the other scheme: it would have taken it.
            elsewhere = port not in router.ports or (router.tls or port == 443) != tls
            if (
                elsewhere and rule_module.evaluate(router.tree, request, rule_module.Context([]))
            ) or (port in router.ports and request.path + "/" in paths):
                found.extend(router.causes)
        return tuple(found[:20])

    def _near(self, request: Request) -> tuple[Cause, ...]:
        """Nothing answered: the routers of the host decided that (by not matching)."""
        near = [
            cause
            for router in self.routers
            if not router.tcp and (request.host in (hosts := _probes(router.tree)[0]) or not hosts)
            for cause in router.causes
        ]
        return tuple(dict.fromkeys(near))[:20]

    def _has_cert(self, router: Router, host: str) -> bool:
        """Whether the input has a certificate Traefik would present for ``host`` (else its
        generated default one, which no migration can carry)."""
        if self.objects.default_cert:
            return True
        if router.certificate:
            # The certificate serves the hosts the router can take (a contradictory rule,
            # Host(`a`) && Host(`b`), takes none).
            _, paths, methods, headers, queries = _probes(router.tree)
            query = "&".join(f"{k}={v}" for k, v in queries)
            for path in ["/", *paths]:
                probe = Request(
                    host, path, "https", methods[0] if methods else "GET", tuple(headers), query
                )
                if rule_module.evaluate(router.tree, probe, rule_module.Context([])):
                    return True
        return any(
            h == host or (h.startswith("*.") and host.endswith(h[1:]))
            for h in self.objects.ingress_tls_hosts
        )

    def _stream(self, request: Request) -> Routed:
        for router in self.routers:
            if router.tcp != request.protocol or request.effective_port not in router.ports:
                continue
            ctx = rule_module.Context([])
            if request.protocol == "UDP" or rule_module.evaluate(
                router.tree, request, ctx, rule_module.sni_call
            ):
                return Routed(forward(router.backends, request.path, request.host), router.causes)
        return Routed(NoRoute(0, "no TCP/UDP router"))

    def _answer(self, router: Router, request: Request, ctx: rule_module.Context) -> Routed:
        causes = list(router.causes)
        if router.name == "default-router":
            # The catch-all answers when no other router matched: they decided it too.
            causes.extend(c for c in self._near(request) if c not in causes)
        guards = [f"ip-allow {','.join(sorted(set(ctx.ip_allow)))}"] if ctx.ip_allow else []
        path = request.path
        for mw in router.middlewares:
            spec = mw.spec
            kind = next((k for k in spec if isinstance(spec.get(k), dict) or k == "compress"), "")
            conf = _d(spec.get(kind))
            where = Cause("Middleware", mw.namespace or "default", mw.name or "", f"spec.{kind}")
            if kind == "stripPrefix":
                for prefix in _l(conf.get("prefixes")):
                    if isinstance(prefix, str) and path.startswith(prefix):
                        path = (
                            "/" + path[len(prefix) :].lstrip("/")
                            if not path[len(prefix) :].startswith("/")
                            else path[len(prefix) :]
                        )
                        causes.append(where)
                        break
            elif kind == "addPrefix" and isinstance(conf.get("prefix"), str):
                path = (
                    conf["prefix"].rstrip("/") + path
                    if path.startswith("/")
                    else conf["prefix"] + "/" + path
                )
                causes.append(where)
            elif kind == "replacePath" and isinstance(conf.get("path"), str):
                path = conf["path"]
                causes.append(where)
            elif kind in ("replacePathRegex", "stripPrefixRegex"):
                causes.append(where)
                path = _regex_path(kind, conf, path)
            elif kind == "redirectScheme":
                causes.append(where)
                scheme = conf.get("scheme") or "https"
                port = _int(conf.get("port"))
                permanent = conf.get("permanent") is True
                status = (
                    (301 if permanent else 302)
                    if request.method == "GET"
                    else (308 if permanent else 307)
                )
                if scheme == request.scheme and port in (None, request.effective_port):
                    continue
                host = request.host + (f":{port}" if port and port not in (80, 443) else "")
                query = f"?{request.query}" if request.query else ""
                return Routed(Redirect(status, f"{scheme}://{host}{path}{query}"), tuple(causes))
            elif kind == "redirectRegex":
                causes.append(where)
                target = _redirect_regex(conf, request, path)
                if target is not None:
                    permanent = conf.get("permanent") is True
                    status = (
                        (301 if permanent else 302)
                        if request.method == "GET"
                        else (308 if permanent else 307)
                    )
                    return Routed(Redirect(status, target), tuple(causes))
            elif kind == "basicAuth":
                guards.append("basic-auth")
                causes.append(where)
            elif kind == "forwardAuth":
                guards.append("external-auth")
                causes.append(where)
            elif kind in ("ipAllowList", "ipWhiteList"):
                cidrs = [
                    network
                    for item in _l(conf.get("sourceRange"))
                    if (network := rule_module.cidr(str(item))) is not None
                ]
                guards.append("ip-allow " + ",".join(sorted(set(cidrs))))
                causes.append(where)
            elif kind == "digestAuth":
                guards.append("digest-auth")
                causes.append(where)
        if router.refused:
            return Routed(NoRoute(404, "Traefik refused the router"), tuple(causes))
        guards.extend(router.guards)
        if request.query:
            path = f"{path}?{request.query}"
        outcome: Outcome = forward(router.backends, path, request.host, guards)
        if isinstance(outcome, Respond) and not router.backends:
            outcome = NoRoute(404, "no backend")
        return Routed(outcome, tuple(causes))

    # --- the requests that matter -----------------------------------------------------------

    def requests(self) -> Iterator[Request]:
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        for router in self.routers:
            if router.tcp:
                found.update(self._stream_requests(router))
                continue
            hosts, paths, methods, headers, queries = _probes(router.tree)
            port_list = sorted(router.ports) or [443 if router.tls else 80]
            for host in hosts or [UNKNOWN_HOST]:
                for path in paths or ["/"]:
                    for variant in path_variants(path):
                        for port in port_list:
                            scheme = "https" if router.tls or port == 443 else "http"
                            default = 443 if scheme == "https" else 80
                            found.add(
                                Request(
                                    host,
                                    variant,
                                    scheme,
                                    methods[0] if methods else "GET",
                                    tuple(headers),
                                    "&".join(f"{k}={v}" for k, v in queries),
                                    None if port == default else port,
                                )
                            )
                    if methods or headers or queries:
                        found.add(Request(host, path, "https" if router.tls else "http"))
        yield from sorted(found)

    def _stream_requests(self, router: Router) -> set[Request]:
        found: set[Request] = set()
        for port in router.ports:
            if router.tcp == "UDP":
                found.add(Request("", protocol="UDP", port=port))
                continue
            hosts, *_ = _probes(router.tree)
            if router.tcp == "TCP":
                found.add(Request("", protocol="TCP", port=port))
            for host in hosts:
                found.add(Request(host, protocol="TLS", port=port))
        return found


def _regex_path(kind: str, conf: dict[str, Any], path: str) -> str:
    if kind == "replacePathRegex":
        pattern, replacement = conf.get("regex"), conf.get("replacement")
        if isinstance(pattern, str) and isinstance(replacement, str):
            try:
                compiled = re.compile(pattern)
            except re.error:
                return path
            if compiled.search(path):
                python = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", replacement)
                return compiled.sub(python, path)
        return path
    for pattern in _l(conf.get("regex")):
        try:
            found = re.match(str(pattern), path)
        except re.error:
            continue
        if found:
            rest = path[found.end() :]
            return rest if rest.startswith("/") else "/" + rest
    return path


def _redirect_regex(conf: dict[str, Any], request: Request, path: str) -> str | None:
    pattern, replacement = conf.get("regex"), conf.get("replacement")
    if not isinstance(pattern, str) or not isinstance(replacement, str):
        return None
    port = "" if request.port is None else f":{request.port}"
    url = f"{request.scheme}://{request.host}{port}{path}" + (
        f"?{request.query}" if request.query else ""
    )
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    if not compiled.search(url):
        return None
    python = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", replacement)
    try:
        return compiled.sub(python, url, count=1)
    except (re.error, IndexError):
        return None


def _probes(
    tree: rule_module.Node,
) -> tuple[list[str], list[str], list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    hosts: list[str] = []
    paths: list[str] = []
    methods: list[str] = []
    headers: list[tuple[str, str]] = []
    queries: list[tuple[str, str]] = []
    pending = [(tree, False)]
    while pending:
        node, negated = pending.pop()
        if node.op == "call":
            name, args = node.args
            assert isinstance(name, str) and isinstance(args, tuple)
            name = name.lower()
            if negated:
                if name in ("path", "pathprefix"):
                    paths.extend(str(a) for a in args)
                continue
            if name in ("host", "hostheader", "hostsni"):
                hosts.extend(concrete_host(str(a).lower()) for a in args if a != "*")
            elif name == "hostregexp":
                sample = regex_sample(str(args[0]).lstrip("^").replace("[a-zA-Z0-9-]+", "wild"))
                if sample:
                    hosts.append(sample.lower())
            elif name in ("path", "pathprefix"):
                paths.extend(str(a) for a in args)
            elif name == "pathregexp":
                sample = regex_sample(str(args[0]).lstrip("^"))
                if sample is not None:
                    paths.append(sample if sample.startswith("/") else "/" + sample)
            elif name == "method":
                methods.extend(str(a).upper() for a in args)
            elif name in ("header", "headers") and len(args) == 2:
                headers.append((str(args[0]).lower(), str(args[1])))
            elif name == "query" and len(args) == 2:
                queries.append((str(args[0]), str(args[1])))
            continue
        for child in node.args:
            if isinstance(child, rule_module.Node):
                pending.append((child, negated != (node.op == "not")))
    return hosts, paths, methods, headers, queries


# --- reading the input ------------------------------------------------------------------------


def _entry_points(options: ConvertOptions) -> dict[str, int]:
    text = options.for_provider("traefik").get("entry-points", "web=80,websecure=443")
    found: dict[str, int] = {}
    for item in text.split(","):
        name, _, port = item.strip().partition("=")
        number = _int(port)
        if name and number is not None:
            found[name.strip()] = number
    return found


class _Reader:
    def __init__(self, objects: Sequence[KubeObject], options: ConvertOptions) -> None:
        self.options = options
        self.entry = _entry_points(options)
        self.cross = options.for_provider("traefik").get("allow-cross-namespace", "").lower() in (
            "true",
            "1",
            "yes",
        )
        self.data = _Objects()
        self.routers: list[Router] = []
        self.served = False
        wanted = set(options.ingress_classes or ()) or {"traefik"}
        classes = {
            o.name: _d(o.spec).get("controller")
            for o in objects
            if o.kind == "IngressClass" and o.group == "networking.k8s.io"
        }
        for obj in objects:
            if obj.kind == "Service" and obj.api_version == "v1":
                self.data.services[(obj.namespace or "default", obj.name or "")] = obj
            elif obj.group in _GROUPS:
                key = (obj.kind, obj.namespace or "default", obj.name or "")
                if key not in self.data.crds or obj.group == "traefik.io":
                    self.data.crds[key] = obj
        store = self.data.crds.get(("TLSStore", "default", "default"))
        if store is not None and _d(_d(store.spec).get("defaultCertificate")).get("secretName"):
            self.data.default_cert = True
        # The Ingresses in the order whose first default backend Traefik keeps (taken: the
        # oldest, then namespace/name).
        ordered = sorted(
            (o for o in objects if o.kind == "Ingress" and o.group == "networking.k8s.io"),
            key=lambda o: (
                str(o.metadata.get("creationTimestamp") or "\uffff"),
                f"{o.namespace or ''}/{o.name or ''}",
            ),
        )
        others = [
            o for o in objects if not (o.kind == "Ingress" and o.group == "networking.k8s.io")
        ]
        for obj in [*ordered, *others]:
            if obj.kind == "Ingress" and obj.group == "networking.k8s.io":
                if self._ingress_served(obj, classes, wanted):
                    self.served = True
                    self._ingress(obj)
            elif obj.group in _GROUPS and obj.kind in (
                "IngressRoute",
                "IngressRouteTCP",
                "IngressRouteUDP",
            ):
                name = obj.spec.get("ingressClassName") or obj.annotations.get(_CLASS)
                if not name or name in wanted:
                    self.served = True
                    self._ingress_route(obj)

    @staticmethod
    def _ingress_served(obj: KubeObject, classes: dict[str | None, Any], wanted: set[str]) -> bool:
        name = obj.spec.get("ingressClassName")
        if isinstance(name, str) and name:
            return classes.get(name) == "traefik.io/ingress-controller" or name in wanted
        annotated = obj.annotations.get(_CLASS)
        return not annotated or annotated in wanted

    def _ports(self, names: list[str], default_all: bool) -> set[int]:
        if not names and default_all:
            return set(self.entry.values())
        return {self.entry[n] for n in names if n in self.entry}

    def _middleware(self, namespace: str, name: str) -> KubeObject | None:
        return self.data.crds.get(("Middleware", namespace, name))

    def _expand(self, mw: KubeObject, depth: int = 0) -> list[KubeObject] | None:
        chain = _d(mw.spec.get("chain"))
        if not chain:
            return [mw]
        if depth > 10:
            return None
        out: list[KubeObject] = []
        for ref in _l(chain.get("middlewares")):
            ref = _d(ref)
            namespace = ref.get("namespace") or mw.namespace or "default"
            if namespace != (mw.namespace or "default") and not self.cross:
                return None
            found = self._middleware(namespace, str(ref.get("name")))
            inner = self._expand(found, depth + 1) if found is not None else None
            if inner is None:
                return None
            out.extend(inner)
        return out

    def _service_port(self, namespace: str, name: str, port: object) -> int | None:
        number = _int(port)
        if number is not None:
            return number
        service = self.data.services.get((namespace, name))
        for item in _l(_d(service.spec if service else {}).get("ports")):
            if _d(item).get("name") == port:
                return _int(_d(item).get("port"))
        return None

    def _backends(
        self, namespace: str, services: list[Any], depth: int = 0
    ) -> list[tuple[Backend, int]] | None:
        out: list[tuple[Backend, int]] = []
        for item in services:
            spec = _d(item)
            name = str(spec.get("name", ""))
            ns = spec.get("namespace") or namespace
            if ns != namespace and not self.cross:
                return None
            weight = _int(spec.get("weight"))
            weight = 1 if weight is None else weight
            if spec.get("kind") == "TraefikService":
                inner = self._traefik_service(ns, name, depth)
                if inner is None:
                    return None
                total = sum(w for _, w in inner) or 1
                out.extend((b, Fraction(w, total) * weight) for b, w in inner)  # type: ignore[misc]
                continue
            port = self._service_port(ns, name, spec.get("port"))
            if port is None or not name:
                return None
            out.append((Backend(ns, name, port), weight))
        return out

    def _traefik_service(
        self, namespace: str, name: str, depth: int
    ) -> list[tuple[Backend, int]] | None:
        obj = self.data.crds.get(("TraefikService", namespace, name))
        if obj is None or depth > 5:
            return None
        if "weighted" in obj.spec:
            return self._backends(
                namespace, _l(_d(obj.spec["weighted"]).get("services")), depth + 1
            )
        if "mirroring" in obj.spec:
            return self._backends(namespace, [obj.spec["mirroring"]], depth + 1)
        if "failover" in obj.spec:
            service = _d(obj.spec["failover"]).get("service")
            return self._traefik_service(namespace, str(service), depth + 1)
        return None

    def _tls_options(self, namespace: str, name: str) -> tuple[list[str], bool]:
        """The guards of a TLSOption, and whether it was found."""
        found = self.data.crds.get(("TLSOption", namespace, name))
        if found is None:
            return [], False
        auth = _d(found.spec.get("clientAuth"))
        if auth.get("clientAuthType") in (
            "RequireAndVerifyClientCert",
            "VerifyClientCertIfGiven",
            "RequireAnyClientCert",
            "RequestClientCert",
        ):
            return ["client-certificate"], True
        return [], True

    def _ingress(self, obj: KubeObject) -> None:
        annotations = obj.annotations
        namespace = obj.namespace or "default"
        matcher = annotations.get(_PREFIX + "router.pathmatcher", "").strip() or "PathPrefix"
        priority = _int(annotations.get(_PREFIX + "router.priority", "")) or 0
        tls = annotations.get(_PREFIX + "router.tls", "").strip().lower() in ("true", "1", "t")
        # Any router.tls.* key makes the label parser create the router's TLS section.
        tls = tls or any(k.startswith(_PREFIX + "router.tls.") for k in annotations)
        option_guards: list[str] = []
        option_refused = False
        option_ref = annotations.get(_PREFIX + "router.tls.options", "").strip()
        if option_ref:
            ref, _, provider = option_ref.partition("@")
            matched = [
                (ns, n)
                for (kind, ns, n) in sorted(self.data.crds)
                if kind == "TLSOption" and (f"{ns}-{n}" == ref or (ns == namespace and n == ref))
            ]
            if provider not in ("", "kubernetescrd") or not matched:
                option_refused = True
            else:
                option_guards, _ = self._tls_options(*matched[0])
        option_cause = Cause(
            "Ingress",
            namespace,
            obj.name or "",
            f"metadata.annotations[{_PREFIX}router.tls.options]",
        )
        names = [
            n.strip()
            for n in annotations.get(_PREFIX + "router.entrypoints", "").split(",")
            if n.strip()
        ]
        ports = self._ports(names, True)
        middlewares: list[KubeObject] | None = []
        for item in [
            m.strip()
            for m in annotations.get(_PREFIX + "router.middlewares", "").split(",")
            if m.strip()
        ]:
            ref, _, provider = item.partition("@")
            found = None
            if provider in ("", "kubernetescrd"):
                for (kind, ns, mw_name), mw in sorted(self.data.crds.items()):
                    if kind == "Middleware" and (
                        f"{ns}-{mw_name}" == ref
                        or (not provider and ns == namespace and mw_name == ref)
                    ):
                        found = mw if (ns == namespace or self.cross) else None
                        break
            expanded = self._expand(found) if found is not None else None
            if expanded is None or middlewares is None:
                middlewares = None
                break
            middlewares.extend(expanded)
        rule_hosts = [str(_d(r).get("host") or "").lower() for r in _l(obj.spec.get("rules"))]
        for tls_entry in _l(obj.spec.get("tls")):
            # An entry without hosts covers the Ingress's rule hosts.
            hosts = [str(h).lower() for h in _l(_d(tls_entry).get("hosts"))] or rule_hosts
            self.data.ingress_tls_hosts.update(h for h in hosts if h)
        decided = tuple(
            Cause("Ingress", namespace, obj.name or "", f"metadata.annotations[{key}]")
            for key in sorted(annotations)
            if key == _PREFIX + "router.entrypoints" or key.startswith(_PREFIX + "router.tls")
        )
        default = _d(_d(obj.spec.get("defaultBackend")).get("service"))
        if default and not any(r.name == "default-router" for r in self.routers):
            # One catch-all router for the default backends, the first one's
            # (``kubernetes.go``: PathPrefix(`/`) with the lowest priority).
            port_spec = _d(default.get("port"))
            port = self._service_port(
                namespace,
                str(default.get("name")),
                port_spec.get("number") or port_spec.get("name"),
            )
            if port is not None:
                self.routers.append(
                    Router(
                        "default-router",
                        rule_module.parse("PathPrefix(`/`)"),
                        "PathPrefix(`/`)",
                        -(2**31) + 1,
                        set(self.entry.values()),
                        False,
                        [],
                        [(Backend(namespace, str(default.get("name")), port), 1)],
                        (Cause("Ingress", namespace, obj.name or "", "spec.defaultBackend"),),
                    )
                )
        mw_cause = Cause(
            "Ingress",
            namespace,
            obj.name or "",
            f"metadata.annotations[{_PREFIX}router.middlewares]",
        )
        for r_index, rule in enumerate(_l(obj.spec.get("rules"))):
            rule = _d(rule)
            host = str(rule.get("host") or "").lower()
            for p_index, path in enumerate(_l(_d(rule.get("http")).get("paths"))):
                path = _d(path)
                value = str(path.get("path") or "")
                kind = path.get("pathType") or "ImplementationSpecific"
                if kind == "Exact":
                    name = "Path"
                elif kind == "Prefix":
                    name = "PathPrefix"
                elif matcher in ("Path", "PathPrefix", "PathRegexp"):
                    name = matcher
                else:
                    continue
                parts = []
                if host:
                    parts.append(
                        f"HostRegexp(`^[a-zA-Z0-9-]+{re.escape(host[1:])}$`)"
                        if host.startswith("*.")
                        else f"Host(`{host}`)"
                    )
                if value:
                    parts.append(f"{name}(`{value}`)")
                text = " && ".join(parts) or "PathPrefix(`/`)"
                try:
                    tree = rule_module.parse(text)
                except rule_module.Invalid:
                    continue
                service = _d(_d(path.get("backend")).get("service"))
                port_spec = _d(service.get("port"))
                port = self._service_port(
                    namespace,
                    str(service.get("name")),
                    port_spec.get("number") or port_spec.get("name"),
                )
                field_path = f"spec.rules[{r_index}].http.paths[{p_index}]"
                causes = (Cause("Ingress", namespace, obj.name or "", field_path), *decided)
                if option_refused or option_guards:
                    causes += (option_cause,)
                if middlewares is None:
                    causes += (mw_cause,)
                    backends: list[tuple[Backend, int]] = []
                else:
                    backends = (
                        []
                        if port is None
                        else [(Backend(namespace, str(service.get("name")), port), 1)]
                    )
                self.routers.append(
                    Router(
                        f"{namespace}-{obj.name}-{r_index}-{p_index}",
                        tree,
                        text,
                        priority or len(text),
                        ports,
                        tls,
                        list(middlewares or []),
                        backends,
                        causes,
                        guards=list(option_guards),
                        refused=option_refused,
                    )
                )

    def _ingress_route(self, obj: KubeObject) -> None:
        namespace = obj.namespace or "default"
        names = [str(n) for n in _l(obj.spec.get("entryPoints"))]
        tls_spec = obj.spec.get("tls")
        tls = isinstance(tls_spec, dict)
        tcp = {"IngressRouteTCP": "TCP", "IngressRouteUDP": "UDP"}.get(obj.kind, "")
        if tcp == "TCP" and tls:
            tcp = "TLS"
        ports = self._ports(names, not tcp)
        certificate = tls and bool(_d(tls_spec).get("secretName"))
        option_guards: list[str] = []
        option_refused = False
        options_ref = _d(_d(tls_spec).get("options"))
        if options_ref:
            ns = options_ref.get("namespace") or namespace
            option_guards, found_option = self._tls_options(ns, str(options_ref.get("name")))
            option_refused = not found_option
        option_cause = Cause(obj.kind, namespace, obj.name or "", "spec.tls.options")
        for index, route in enumerate(_l(obj.spec.get("routes"))):
            route = _d(route)
            text = str(route.get("match") or ("HostSNI(`*`)" if tcp == "UDP" else ""))
            field_path = f"spec.routes[{index}]"
            causes: tuple[Cause, ...] = (
                Cause(obj.kind, namespace, obj.name or "", f"{field_path}.match"),
            )
            causes += tuple(
                Cause(obj.kind, namespace, obj.name or "", f"spec.{key}")
                for key in ("entryPoints", "tls")
                if key in obj.spec
            )
            try:
                tree = rule_module.parse(text)
            except rule_module.Invalid:
                continue
            middlewares: list[KubeObject] = []
            refused = False
            for ref in _l(route.get("middlewares")):
                ref = _d(ref)
                ns = ref.get("namespace") or namespace
                found = self._middleware(ns, str(ref.get("name")))
                expanded = (
                    self._expand(found)
                    if found is not None and (ns == namespace or self.cross)
                    else None
                )
                if expanded is None:
                    refused = True
                    break
                middlewares.extend(expanded)
            if refused or (tcp and route.get("middlewares")):
                continue
            backends = self._backends(namespace, _l(route.get("services")))
            if not backends:
                continue
            priority = _int(route.get("priority")) or len(text)
            self.routers.append(
                Router(
                    f"{namespace}-{obj.name}-{index}",
                    tree,
                    text,
                    priority,
                    ports,
                    tls,
                    middlewares,
                    backends,
                    causes + ((option_cause,) if options_ref else ()),
                    certificate,
                    tcp,
                    guards=list(option_guards),
                    refused=option_refused,
                )
            )


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> TraefikModel | None:
    """Traefik over ``objects`` (None when it serves none of them)."""
    reader = _Reader(objects, options)
    if not reader.served:
        return None
    return TraefikModel(reader.routers, reader.data)
