"""A model of how the HAProxy controllers route requests over the input, for ``verify``.

* :mod:`.config` — what HAProxy Technologies' kubernetes-ingress and jcmoraisjr's HAProxy
  Ingress make of the input (which Ingresses each serves, the path maps, redirects, access
  controls, passthrough hosts, TCP services);
* :mod:`.router` — how HAProxy answers one request over that.

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

from .config import Config, Entry, read
from .router import ACME, HAProxyRouter

__all__ = ["HAProxyModel", "controller_model"]


class HAProxyModel:
    """HAProxy over the input: :meth:`route` answers a request, :meth:`requests` names those
    worth asking."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.router = HAProxyRouter(config)

    def route(self, request: Request) -> Routed:
        return self.router.route(request)

    def requests(self) -> Iterator[Request]:
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        for host, entries in self.config.entries.items():
            name = concrete_host(host)
            schemes = ["http", "https"] if name in self.config.tls_hosts else ["http"]
            header_sets = _header_sets(entries)
            for entry in entries:
                for path in _paths(entry):
                    for scheme in schemes:
                        for headers in header_sets:
                            found.add(Request(name, path, scheme, headers=headers))
                        found.add(Request(name, path, scheme, query="q=1"))
            for scheme in schemes:
                found.add(Request(name, ACME + "/token", scheme))
                found.add(Request(name, "/", scheme))
        for alias in [*self.config.aliases, *self.config.redirect_from]:
            for scheme in ("http", "https"):
                found.add(Request(alias, "/", scheme))
                found.add(Request(alias, "/sub", scheme))
        for host in self.config.passthrough:
            found.add(Request(host, protocol="TLS", port=443))
            found.add(Request("other." + host, protocol="TLS", port=443))
        for port in self.config.tcp:
            found.add(Request("", protocol="TCP", port=port))
        yield from sorted(found)


def _paths(entry: Entry) -> list[str]:
    if entry.kind == "regex":
        sample = regex_sample(entry.path)
        if sample is None:
            return []
        sample = sample if sample.startswith("/") else "/" + sample
        return [sample, sample.rstrip("/") + "/sub"]
    path = entry.path if entry.path.startswith("/") else "/" + entry.path
    return path_variants(path)


def _header_sets(entries: list[Entry]) -> list[tuple[tuple[str, str], ...]]:
    sets: list[tuple[tuple[str, str], ...]] = [()]
    for entry in entries:
        if entry.headers:
            sample = tuple(
                (name, (regex_sample(value) or value) if regex else value)
                for name, value, regex in entry.headers
            )
            if sample not in sets:
                sets.append(sample)
    return sets


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> HAProxyModel | None:
    """The HAProxy controllers over ``objects`` (None when they serve none of them)."""
    config = read(objects, options)
    return None if config is None else HAProxyModel(config)
