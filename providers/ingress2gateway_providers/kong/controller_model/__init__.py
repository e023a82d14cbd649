"""A model of how Kong routes requests over the input, for ``verify``.

Two layers, each written from its project's code (the modules say which files and functions):

* :mod:`.store` and :mod:`.translator` — what the Kong Ingress Controller (v3.5) makes of the
  input: Kong routes (hosts, paths with ``~`` regexes, methods, headers, protocols,
  ``strip_path``, ``regex_priority``...), services, certificates and plugins. Its tests compare
  this with the controller's own translator golden files.
* :mod:`.router` — how Kong 3.x (the ``traditional_compatible`` router and the proxy's access
  phase) answers a request over those routes.

Nothing here imports the provider's conversion: an oracle that shares the converter's
misunderstanding finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Cause, NoRoute, Request, Routed
from ingress2gateway.verification.probes import (
    UNKNOWN_HOST,
    concrete_host,
    path_variants,
    regex_sample,
)

from . import store as store_module
from .router import KongRouter
from .translator import KongConfig, KongPath, KongRoute, Translator

__all__ = ["KongModel", "controller_model"]

_OTHER_METHOD = {"GET": "POST"}


class KongModel:
    """Kong over the input: :meth:`route` answers a request, :meth:`requests` names those
    worth asking."""

    def __init__(
        self,
        config: KongConfig,
        ignored: Sequence[tuple[KubeObject, str]] = (),
        ignored_streams: Sequence[KubeObject] = (),
    ) -> None:
        self.config = config
        self.ignored_streams = list(ignored_streams)
        """TCPIngresses and UDPIngresses without class that KIC did not serve."""
        self.router = KongRouter(config)
        self.ignored = [(obj, f, _hosts_of(obj)) for obj, f in ignored]
        """Ingresses KIC did not serve though their ``spec.ingressClassName`` is Kong's."""

    def route(self, request: Request) -> Routed:
        answer = self.router.route(request)
        extra: tuple[Cause, ...] = ()
        if request.protocol == "HTTP":
            extra += tuple(self.config.left_out)
        if isinstance(answer.outcome, NoRoute) and request.protocol != "HTTP":
            extra += tuple(
                Cause(obj.kind, obj.namespace or "default", obj.name or "", _CLASS_FIELD)
                for obj in self.ignored_streams
                if request.effective_port in _ports_of(obj)
            )
        if isinstance(answer.outcome, NoRoute):
            # What KIC left out decided that nothing answers.
            extra += tuple(
                Cause("Ingress", obj.namespace or "default", obj.name or "", field)
                for obj, field, hosts in self.ignored
                if None in hosts or request.host in hosts
            )
            extra += tuple(
                cause for host, cause in self.config.skipped if host in (None, request.host)
            )
        return Routed(answer.outcome, answer.causes + extra) if extra else answer

    def requests(self) -> Iterator[Request]:
        """Per host: each route's paths (and their boundaries) with each of its method and
        header variants; and every path of the host with the matching conditions of every
        route of the host (Kong ranks conditions above path length)."""
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        by_host: dict[str, list[KongRoute]] = {}
        hostless: list[KongRoute] = []
        for route in self.config.routes:
            if route.stream:
                found.update(_stream_requests(route))
            elif not route.hosts:
                hostless.append(route)
            else:
                for host in _concrete_hosts(route.hosts):
                    by_host.setdefault(host, []).append(route)
        for route in hostless:
            by_host.setdefault(UNKNOWN_HOST, []).append(route)
            for routes in by_host.values():
                if route not in routes:
                    routes.append(route)
        for host, routes in by_host.items():
            found.update(self._host_requests(host, routes))
        for obj in self.ignored_streams:  # what KIC left out is asked for too
            protocol = "UDP" if obj.kind == "UDPIngress" else "TCP"
            found.update(Request("", protocol=protocol, port=p) for p in _ports_of(obj))
        yield from sorted(found)

    def _host_requests(self, host: str, routes: list[KongRoute]) -> set[Request]:
        schemes = ["http"]
        https_only = any(not ({"http", "grpc"} & set(r.effective_protocols)) for r in routes)
        if https_only or self.router.certificate(host) is not None:
            schemes.append("https")
        every_path: set[str] = set()
        crossing: set[tuple[str, tuple[tuple[str, str], ...]]] = {("GET", ())}
        found: set[Request] = set()
        for route in routes:
            paths = {p for kong_path in route.paths for p in _paths_for(kong_path)}
            every_path.update(paths)
            methods = list(route.methods or ["GET"])
            methods += [m for m in ("GET", "POST") if m not in methods][:1]
            header_sets = _header_sets(route)
            crossing.add((methods[0], header_sets[0]))
            grpc = bool({"grpc", "grpcs"} & set(route.effective_protocols)) or (
                route.service.protocol.startswith("grpc")
            )
            for scheme in schemes:
                for path in sorted(paths):
                    for method in methods:
                        for headers in header_sets:
                            found.add(Request(host, path, scheme, method, headers))
                    if grpc:
                        call = path.rstrip("/") + "/Call" if path.count("/") < 2 else path
                        found.add(Request(host, call, scheme, "POST", header_sets[0], grpc=True))
                first = min(paths) if paths else "/"
                found.add(Request(host, first, scheme, methods[0], header_sets[0], "q=1"))
        for scheme in schemes:
            for path in every_path:
                for method, headers in crossing:
                    found.add(Request(host, path, scheme, method, headers))
        return found


def _concrete_hosts(hosts: list[str]) -> list[str]:
    found = []
    for host in hosts:
        if host.endswith(".*"):
            host = host[:-2] + ".com"
        found.append(concrete_host(host))
        if host.startswith("*."):
            found.append("deep." + concrete_host(host))
    return found


def _paths_for(path: KongPath) -> list[str]:
    """A user's regular expression: a path it matches (and below it); any other path (KIC's
    own ``~/foo$`` for ``Prefix``/``Exact`` included): the Ingress path and its boundaries."""
    if path.user_regex:
        sample = regex_sample(path.value[1:])
        if sample is None:
            return []
        sample = sample if sample.startswith("/") else "/" + sample
        return [sample, sample.rstrip("/") + "/sub"]
    original = path.original
    return path_variants(original if original.startswith("/") else "/" + original)


def _header_sets(route: KongRoute) -> list[tuple[tuple[str, str], ...]]:
    headers = route.headers or {}
    if not headers:
        return [()]
    names = sorted(headers)
    base = {name: _header_sample(headers[name][0]) for name in names}

    def pairs(values: dict[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple((name.lower(), values[name]) for name in names if name in values)

    sets = [pairs(base), pairs({k: v.upper() for k, v in base.items()}), ()]
    for name in names:
        for value in headers[name][1:]:
            sets.append(pairs({**base, name: _header_sample(value)}))
        sets.append(pairs({k: v for k, v in base.items() if k != name}))
        sets.append(pairs({**base, name: "other"}))
    unique: list[tuple[tuple[str, str], ...]] = []
    for item in sets:
        if item not in unique:
            unique.append(item)
    return unique


def _header_sample(value: str) -> str:
    if value.startswith("~*"):
        return regex_sample(value[2:]) or value[2:]
    return value


def _stream_requests(route: KongRoute) -> set[Request]:
    found: set[Request] = set()
    protocol = "UDP" if "udp" in route.effective_protocols else "TCP"
    for port in route.destinations:
        if protocol == "UDP":
            found.add(Request("", protocol="UDP", port=port))
            continue
        if not route.snis:
            found.add(Request("", protocol="TCP", port=port))
        for sni in route.snis or []:
            found.add(Request(concrete_host(sni), protocol="TLS", port=port))
            found.add(Request("other." + concrete_host(sni), protocol="TLS", port=port))
    return found


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> KongModel | None:
    """Kong over ``objects`` (None when it serves none of them)."""
    store = store_module.read(objects, options)
    if not (
        store.ingresses
        or store.tcp_ingresses
        or store.udp_ingresses
        or store.ignored
        or store.ignored_streams
    ):
        return None
    gate = options.for_provider("kong").get("rewrite-uris", "").lower() in ("true", "1", "yes")
    config = Translator(store, rewrite_uris=gate).translate()
    return KongModel(config, store.ignored, store.ignored_streams)


_CLASS_FIELD = "metadata.annotations[kubernetes.io/ingress.class]"


def _ports_of(obj: KubeObject) -> set[int]:
    rules = obj.spec.get("rules")
    return {
        rule["port"]
        for rule in (rules if isinstance(rules, list) else [])
        if isinstance(rule, dict) and isinstance(rule.get("port"), int)
    }


def _hosts_of(obj: KubeObject) -> set[str | None]:
    rules = obj.spec.get("rules")
    found: set[str | None] = set()
    for rule in rules if isinstance(rules, list) else []:
        host = rule.get("host") if isinstance(rule, dict) else None
        found.add(host if isinstance(host, str) and host else None)
    return found
