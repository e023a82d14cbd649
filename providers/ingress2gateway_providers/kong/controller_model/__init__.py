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
from ingress2gateway.verification.model import Request, Routed
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

    def __init__(self, config: KongConfig) -> None:
        self.config = config
        self.router = KongRouter(config)

    def route(self, request: Request) -> Routed:
        return self.router.route(request)

    def requests(self) -> Iterator[Request]:
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        for route in self.config.routes:
            if route.stream:
                found.update(_stream_requests(route))
            else:
                found.update(self._route_requests(route))
        yield from sorted(found)

    def _route_requests(self, route: KongRoute) -> set[Request]:
        hosts = [concrete_host(h.replace(".*", ".com") if h.endswith(".*") else h) for h in route.hosts]
        hosts += ["deep." + concrete_host(h) for h in route.hosts if h.startswith("*.")]
        hosts = hosts or [UNKNOWN_HOST]
        protocols = route.effective_protocols
        https_only = not ({"http", "grpc"} & set(protocols))
        grpc = bool({"grpc", "grpcs"} & set(protocols)) or route.service.protocol.startswith("grpc")
        paths: set[str] = set()
        for kong_path in route.paths:
            paths.update(_paths_for(kong_path))
        methods = list(route.methods or ["GET"])
        methods += [m for m in ("GET", "POST") if m not in methods][:1]
        header_sets = _header_sets(route)
        found: set[Request] = set()
        for host in hosts:
            schemes = ["http"]
            if https_only or self.router.certificate(host) is not None:
                schemes.append("https")
            for scheme in schemes:
                for path in sorted(paths):
                    for method in methods:
                        for headers in header_sets:
                            found.add(Request(host, path, scheme, method, headers))
                    if grpc:
                        call = path.rstrip("/") + "/Call" if path.count("/") < 2 else path
                        found.add(Request(host, call, scheme, "POST", header_sets[0], grpc=True))
                first = sorted(paths)[0] if paths else "/"
                found.add(Request(host, first, scheme, methods[0], header_sets[0], "q=1"))
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
    if not (store.ingresses or store.tcp_ingresses or store.udp_ingresses):
        return None
    gate = options.for_provider("kong").get("rewrite-uris", "").lower() in ("true", "1", "yes")
    return KongModel(Translator(store, rewrite_uris=gate).translate())
