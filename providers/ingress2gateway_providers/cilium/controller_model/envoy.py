"""The Envoy configuration Cilium translates the ingested listeners into, and how Envoy answers.

Written from cilium/cilium ``operator/pkg/model/translation/envoy_virtual_host.go`` (current
releases: the version whose ``SortableRoute`` compares exact, regex and prefix lengths):

* routes of one virtual host with the same match key are one route whose backends share the
  requests equally (``envoyHTTPRoutes``); a host whose secure listener forces HTTPS answers
  every route of its plain-text virtual host with Envoy's ``https_redirect`` (301,
  ``envoyHTTPSRoutes``);
* ``getRouteMatch``: ``Exact`` is Envoy's ``path``; ``Prefix /`` a plain ``/`` prefix, any
  other ``Prefix p`` a ``path_separated_prefix`` (``p`` without its trailing ``/``);
  ``ImplementationSpecific`` the path as a ``safe_regex``; the default backend a plain ``/``;
* ``SortableRoute.Less``: the longer exact path first (routes without one count 0), then the
  longer regular expression, then the longer prefix; ``sort.Stable`` keeps the input order of
  equals;
* a wildcard host ``*.foo.com`` adds an ``:authority`` regular expression that takes exactly
  one label (``getMatchingHeaderRegex``).

Envoy picks the virtual host by domain (exact, then the longest wildcard suffix, then ``*``)
and takes the first route that matches; ``safe_regex`` is an RE2 full match;
``path_separated_prefix`` matches the prefix itself or the prefix followed by ``/``. A
dedicated Ingress is an address of its own; shared Ingresses are one address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingress2gateway.verification.matching import regex_full_match
from ingress2gateway.verification.model import Backend, Cause

from .ingestion import HTTPRoute, Ingested, PathMatch


@dataclass(frozen=True)
class EnvoyRoute:
    kind: str
    """``path`` (exact), ``regex``, ``separated`` (``path_separated_prefix``) or ``prefix``
    (the plain ``/``)."""
    value: str
    backends: tuple[Backend, ...]
    causes: tuple[Cause, ...]
    redirect: bool = False


@dataclass
class VirtualHost:
    domain: str
    routes: list[EnvoyRoute] = field(default_factory=list)
    causes: tuple[Cause, ...] = ()
    host_causes: tuple[Cause, ...] = ()


@dataclass
class Address:
    """One load balancer: the virtual hosts of its ports and its passthrough hosts."""

    key: str
    http: dict[str, VirtualHost] = field(default_factory=dict)
    https: dict[str, VirtualHost] = field(default_factory=dict)
    passthrough: dict[str, list[tuple[Backend, Cause]]] = field(default_factory=dict)


def _envoy_match(match: PathMatch) -> tuple[str, str]:
    if match.exact:
        return "path", match.exact
    if match.prefix == "/":
        return "prefix", "/"
    if match.prefix:
        return "separated", match.prefix.removesuffix("/")
    if match.regex:
        return "regex", match.regex
    return "prefix", "/"


def _sort_key(route: EnvoyRoute) -> tuple[int, int, int]:
    """``SortableRoute.Less`` as a key: longer exact, then regex, then prefix first."""
    exact = len(route.value.encode("utf-8", "surrogatepass")) if route.kind == "path" else 0
    regex = len(route.value.encode("utf-8", "surrogatepass")) if route.kind == "regex" else 0
    prefix = len(route.value) if route.kind in ("prefix", "separated") else 0
    return (-exact, -regex, -prefix)


def _virtual_host(domain: str, routes: Sequence[HTTPRoute], redirect: bool) -> VirtualHost:
    merged: dict[PathMatch, list[HTTPRoute]] = {}
    for route in routes:
        merged.setdefault(route.match, []).append(route)
    built = []
    for match, group in merged.items():
        kind, value = _envoy_match(match)
        backends = () if redirect else tuple(b for r in group for b in r.backends)
        built.append(EnvoyRoute(kind, value, backends, tuple(r.cause for r in group), redirect))
    ordered = sorted(built, key=_sort_key)  # Python's sort is stable, as sort.Stable
    causes = tuple(c for r in ordered for c in r.causes)
    return VirtualHost(domain, ordered, causes)


def translate(ingested: Sequence[Ingested]) -> list[Address]:
    addresses: dict[str, Address] = {}
    groups: dict[str, list[Ingested]] = {}
    for item in ingested:
        key = f"dedicated/{item.namespace}/{item.name}" if item.dedicated else "shared"
        groups.setdefault(key, []).append(item)
    for key, members in sorted(groups.items()):
        address = Address(key)
        insecure: dict[str, list[HTTPRoute]] = {}
        secure: dict[str, list[HTTPRoute]] = {}
        named: dict[tuple[str, str], list[Cause]] = {}
        redirected: dict[str, list[Cause]] = {}
        tls_causes: dict[str, list[Cause]] = {}
        for item in members:
            for host, listener in item.insecure.items():
                insecure.setdefault(host, []).extend(listener.routes)
                named.setdefault(("http", host), []).extend(listener.host_causes)
            for host, listener in item.secure.items():
                secure.setdefault(host, []).extend(listener.routes)
                named.setdefault(("https", host), []).extend(listener.host_causes)
                if listener.tls_cause is not None:
                    tls_causes.setdefault(host, []).append(listener.tls_cause)
                if listener.force_https and listener.tls_cause is not None:
                    redirected.setdefault(host, []).append(listener.tls_cause)
            for host, backends in item.passthrough.items():
                address.passthrough.setdefault(host, []).extend(backends)
        for host, routes in insecure.items():
            vhost = _virtual_host(host, routes, host in redirected)
            if host in redirected:
                vhost.routes = [
                    EnvoyRoute(r.kind, r.value, (), (*r.causes, *redirected[host]), True)
                    for r in vhost.routes
                ]
            vhost.host_causes = tuple(named.get(("http", host), ()))
            address.http[host] = vhost
        for host, routes in secure.items():
            vhost = _virtual_host(host, routes, False)
            # What an https answer depends on: the TLS entry that made the secure listener too.
            tls = tuple(tls_causes.get(host, ()))
            vhost.routes = [
                EnvoyRoute(r.kind, r.value, r.backends, (*r.causes, *tls)) for r in vhost.routes
            ]
            vhost.causes = (*vhost.causes, *tls)
            vhost.host_causes = tuple(named.get(("https", host), ()))
            address.https[host] = vhost
        addresses[key] = address
    return list(addresses.values())


def pick_domain(domains: Sequence[str], host: str) -> str | None:
    """Envoy's virtual host choice: the exact domain, then the longest ``*.`` suffix, then
    ``*``."""
    host = host.lower()
    if host in domains:
        return host
    wildcards = [
        d for d in domains if d.startswith("*.") and host.endswith(d[1:]) and len(host) > len(d) - 1
    ]
    if wildcards:
        return max(wildcards, key=len)
    return "*" if "*" in domains else None


def route_matches(route: EnvoyRoute, domain: str, host: str, path: str) -> bool:
    if domain.startswith("*.") and not _one_label(domain, host):
        return False
    if route.kind == "path":
        return path == route.value
    if route.kind == "regex":
        return regex_full_match(route.value, path)
    if route.kind == "separated":
        return path == route.value or path.startswith(route.value + "/")
    return path.startswith(route.value)


def _one_label(domain: str, host: str) -> bool:
    """``getMatchingHeaderRegex``: ``^[^.]+[.]foo[.]com$`` over the authority."""
    head, _, rest = host.lower().partition(".")
    return bool(head) and rest == domain[2:]
