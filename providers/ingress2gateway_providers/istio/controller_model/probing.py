"""The requests worth sending to the Istio ingress gateways of an input: every host each port
serves (and one it does not), every path of every match with its boundaries (a character-prefix
near miss among them), each header, query and method condition with and without it, every SNI
name of a passthrough server, every TCP port."""

from __future__ import annotations

from collections.abc import Iterator

from ingress2gateway.verification.model import Request
from ingress2gateway.verification.probes import (
    UNKNOWN_HOST,
    concrete_host,
    path_variants,
    regex_sample,
)

from .config import HttpMatch, StringMatch
from .proxies import Entry, Proxy, RouteConfig


def sample(match: StringMatch | None) -> str:
    """A value ``match`` takes."""
    if match is None or match.kind == "present":
        return "1"
    if match.kind == "exact":
        return match.value
    if match.kind == "prefix":
        return match.value + "x"
    return regex_sample(match.value) or match.value


def _other_case(value: str) -> str | None:
    swapped = value.swapcase()
    return swapped if swapped != value else None


def _paths(match: HttpMatch | None) -> list[str]:
    uri = match.uri if match is not None else None
    if uri is None or uri.kind == "present":
        return ["/", "/probe"]
    if uri.kind == "regex":
        found = regex_sample(uri.value)
        return [found] if found and found.startswith("/") else []
    value = uri.value or "/"
    return path_variants(value if value.startswith("/") else "/" + value)


def _host(domain: str) -> str:
    return UNKNOWN_HOST if domain == "*" else concrete_host(domain)


def _entry_requests(entry: Entry, host: str, scheme: str, port: int | None) -> Iterator[Request]:
    match = entry.match
    paths = _paths(match)
    for path in paths:
        yield Request(host, path, scheme, port=port)
    if match is None or not paths:
        return
    base = Request(host, paths[0], scheme, port=port)
    conditions = [*match.headers, *match.without_headers]
    everything: list[tuple[str, str]] = []
    for name, wanted in conditions:
        if name.startswith("@"):
            continue
        value = sample(wanted)
        everything.append((name, value))
        yield base.with_headers((name, value))
        other = _other_case(value)
        if other is not None:
            yield base.with_headers((name, other))
    if everything:
        for path in paths:
            yield Request(host, path, scheme, port=port).with_headers(*everything)
    if match.query_params:
        query = "&".join(f"{name}={sample(wanted)}" for name, wanted in match.query_params)
        yield Request(host, paths[0], scheme, base.method, base.headers, query, port)
        for path in paths:
            yield Request(host, path, scheme, base.method, tuple(everything), query, port)
    if match.method is not None:
        method = sample(match.method)
        for verb in {method, "GET", "POST"}:
            yield Request(host, paths[0], scheme, verb, (), "", port)
            if everything:
                yield Request(host, paths[0], scheme, verb, tuple(everything), "", port)
    if match.authority is not None:
        authority = sample(match.authority)
        name, _, number = authority.partition(":")
        if name:
            yield Request(
                name.lower(), paths[0], scheme, port=int(number) if number.isdigit() else port
            )


def _route_config_requests(routes: RouteConfig, scheme: str, port: int | None) -> Iterator[Request]:
    yield Request(UNKNOWN_HOST, "/", scheme, port=port)
    for domain, vhost in sorted(routes.vhosts.items()):
        host = _host(domain)
        yield Request(host, "/", scheme, port=port)
        yield Request(host, "/probe", scheme, query="q=1", port=port)
        for entry in vhost.entries:
            yield from _entry_requests(entry, host, scheme, port)


def requests_for(proxies: list[Proxy]) -> list[Request]:
    found: set[Request] = set()
    for proxy in proxies:
        for number, port in proxy.ports.items():
            if port.http is not None:
                shown = None if number == 80 else number
                found.update(_route_config_requests(port.http, "http", shown))
            if port.tcp is not None:
                found.add(Request("", protocol="TCP", port=number))
            for chain in port.chains:
                shown = None if number == 443 else number
                if chain.routes is not None:
                    found.update(_route_config_requests(chain.routes, "https", shown))
                elif chain.server.is_passthrough:
                    for name in chain.sni or ("*",):
                        found.add(Request(_host(name), protocol="TLS", port=number))
            if port.chains:
                found.add(Request(UNKNOWN_HOST, protocol="TLS", port=number))
                found.add(
                    Request(UNKNOWN_HOST, "/", "https", port=None if number == 443 else number)
                )
    return sorted(found, key=Request.sort_key)
