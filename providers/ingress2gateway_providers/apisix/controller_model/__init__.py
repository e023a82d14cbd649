"""A model of how APISIX routes requests over the input, for ``verify``.

Two layers, each written from its project's code (the modules say which files and functions):

* :mod:`.translator` — what the APISIX Ingress Controller 2.x programs: one APISIX route per
  Ingress path and per ApisixRoute http rule (uris, hosts, methods, vars, priority, weighted
  upstreams, plugins from annotations, ApisixPluginConfigs and ``authentication``), stream
  routes, and the hosts with a certificate.
* :mod:`.router` — how APISIX's ``radixtree_host_uri`` router and the plugins answer a request.

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

from .router import ApisixRouter
from .translator import DataPlane, DataRoute, Translator

__all__ = ["ApisixModel", "controller_model"]


class ApisixModel:
    """APISIX over the input: :meth:`route` answers a request, :meth:`requests` names those
    worth asking."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane
        self.router = ApisixRouter(plane)

    def route(self, request: Request) -> Routed:
        return self.router.route(request)

    def requests(self) -> Iterator[Request]:
        """Per host (the routes' own, a wildcard's sample, and a host no route names): every
        route's uris with their boundaries, with the route's methods (and one other), the
        headers and query its vars ask for, over http and, for hosts with a certificate,
        https."""
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        hosts: set[str] = {UNKNOWN_HOST}
        for route in self.plane.routes:
            for host in route.hosts or []:
                hosts.add(concrete_host(host))
                if host.startswith("*."):
                    hosts.add("deep." + concrete_host(host))
        for route in self.plane.routes:
            targets = [concrete_host(h) for h in route.hosts] if route.hosts else sorted(hosts)
            for host in targets:
                schemes = ["http"] + (
                    ["https"] if self.router.certificate(host) is not None else []
                )
                for scheme in schemes:
                    found.update(_route_requests(route, host, scheme))
        for stream in self.plane.streams:
            found.add(Request("", protocol=stream.protocol, port=stream.port))
        yield from sorted(found)


def _paths(route: DataRoute) -> set[str]:
    paths: set[str] = set()
    for uri in route.uris:
        if uri.endswith("*"):
            stem = uri[:-1] or "/"
            paths.update({stem, stem + "x", stem.rstrip("/") + "/sub", stem.rstrip("/") or "/"})
        else:
            paths.update(path_variants(uri))
    for name, op, _negated, operand in route.vars:
        if name == "uri" and op in ("~~", "~*") and isinstance(operand, str):
            sample = regex_sample(operand.lstrip("^"))
            if sample is not None:
                sample = sample if sample.startswith("/") else "/" + sample
                paths.update({sample, "/pre" + sample, sample.rstrip("/") + "/sub"})
    return {p for p in paths if p.startswith("/")}


def _route_requests(route: DataRoute, host: str, scheme: str) -> set[Request]:
    headers: list[tuple[str, str]] = []
    query: list[str] = []
    for name, op, negated, operand in route.vars:
        value = operand[0] if isinstance(operand, list) and operand else operand
        if not isinstance(value, str) or negated:
            continue
        if op in ("~~", "~*"):
            value = regex_sample(value) or value
        if name.startswith("http_"):
            headers.append((name[5:].replace("_", "-"), value))
        elif name.startswith("arg_"):
            query.append(f"{name[4:]}={value}")
    methods = list(route.methods or ["GET"])
    methods += [m for m in ("GET", "POST") if m not in methods][:1]
    found: set[Request] = set()
    for path in sorted(_paths(route)):
        for method in methods:
            found.add(Request(host, path, scheme, method, tuple(headers), "&".join(query)))
            if headers or query:
                found.add(Request(host, path, scheme, method))
    return found


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> ApisixModel | None:
    """APISIX over ``objects`` (None when it serves none of them)."""
    plane = Translator(objects, options).translate()
    if not plane.routes and not plane.streams:
        return None
    return ApisixModel(plane)
