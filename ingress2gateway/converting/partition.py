"""Splitting an Ingress input into parts of linked namespaces (see :class:`~.plugin.Parts`).

With a Gateway per namespace (``--gateway-per-namespace``), each namespace's Ingresses make
their own Gateway and routes. What can still cross namespaces is found through host names
(a canary joins the primary of its host in any namespace; an alias or a www redirect names
another host) and through ``namespace/name`` references in annotation values (a CA Secret, a
headers ConfigMap). Namespaces linked that way are one part. A provider says which other
objects every part reads (``shared``) and which belong to the part of their namespace
(``grouped``); with anything else in the input, or without a Gateway per namespace, the input
is converted whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from ingress2gateway.converting.ingress import is_ingress
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions, Parts

_TOKEN = re.compile(r"[^\s,]+")
_HOST_LIKE = re.compile(r"[*a-z0-9-]*(?:\.[*a-z0-9-]+)+\.?")
_NAMESPACE_REF = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)/[^/\s]+")


def by_linked_namespaces(
    objects: Sequence[KubeObject],
    options: ConvertOptions,
    *,
    shared: Callable[[KubeObject], bool],
    grouped: Callable[[KubeObject], bool] = lambda obj: False,
) -> Parts | None:
    """Parts of linked namespaces, or None when the input must be converted whole. Ingresses
    and ``grouped`` objects go to the part of their namespace; ``shared`` objects to every
    part."""
    if not options.gateway_per_namespace or options.gateway_name:
        # One Gateway for every namespace (or names that depend on every class in the input).
        return None
    ingresses: list[KubeObject] = []
    others: list[KubeObject] = []
    every_part: list[KubeObject] = []
    for obj in objects:
        if is_ingress(obj):
            ingresses.append(obj)
        elif shared(obj):
            every_part.append(obj)
        elif grouped(obj):
            others.append(obj)
        else:
            return None
    links = _Links()
    named: dict[str, tuple[list[str], str | None]] = {}  # values repeat: each is read once
    # A wildcard host (a rule's, or a TLS entry's certificate) serves the names one label
    # below it in any namespace: a host it covers links to it.
    wildcards = {host[2:] for obj in ingresses for host in _hosts(obj) if host.startswith("*.")}
    for obj in ingresses:
        namespace = _namespace(obj.namespace)
        links.add(namespace)
        hosts = list(_hosts(obj))
        for host in hosts:
            links.join(namespace, "host", host)
        for value in obj.annotations.values():
            found, reference = named.get(value) or named.setdefault(value, _names_in(value))
            for host in found:
                links.join(namespace, "host", host)
            if reference is not None:
                links.join(namespace, "namespace", reference)
            hosts.extend(found)
        for host in hosts:
            for covering in _covered_by(host, wildcards):
                links.join(namespace, "host", covering)
    by_part: dict[str, list[KubeObject]] = {}
    for obj in [*ingresses, *others]:
        namespace = _namespace(obj.namespace)
        links.add(namespace)
        by_part.setdefault(links.root(namespace), []).append(obj)
    return Parts([by_part[root] for root in sorted(by_part)], every_part)


def _namespace(namespace: str | None) -> str:
    # An Ingress without a namespace is created in "default".
    return namespace or "default"


def _hosts(obj: KubeObject) -> Iterable[str]:
    """Every host name an Ingress serves (lower case, without a leading ``www.``, which
    from-to-www-redirect adds or removes); "" for rules without a host."""
    spec = obj.spec
    rules = spec.get("rules")
    if spec.get("defaultBackend") is not None or not rules:
        yield ""
    for rule in rules if isinstance(rules, list) else ():
        host = rule.get("host") if isinstance(rule, dict) else None
        yield _plain(host) if isinstance(host, str) else ""
    tls = spec.get("tls")
    for entry in tls if isinstance(tls, list) else ():
        hosts = entry.get("hosts") if isinstance(entry, dict) else None
        for host in hosts if isinstance(hosts, list) else ():
            if isinstance(host, str):
                yield _plain(host)


def _covered_by(host: str, wildcards: set[str]) -> Iterator[str]:
    """The wildcard hosts of the input that serve ``host`` (a plain name, see :func:`_plain`:
    ``*.example.com`` serves ``shop.example.com``, and ``*.shop.example.com`` serves the
    ``www.shop.example.com`` a www redirect adds)."""
    if not wildcards or not host or host.startswith("*."):
        return
    for suffix in (host, host.partition(".")[2]):
        if suffix in wildcards:
            yield "*." + suffix


def _names_in(value: str) -> tuple[list[str], str | None]:
    """The host names in an annotation value (server-alias and any other that names a host),
    and the namespace it refers to if it is a ``namespace/name`` reference."""
    hosts = [
        _plain(token) for token in _TOKEN.findall(value.lower()) if _HOST_LIKE.fullmatch(token)
    ]
    reference = _NAMESPACE_REF.fullmatch(value.strip())
    return hosts, reference.group(1) if reference is not None else None


def _plain(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


class _Links:
    """Namespaces joined by what they share (union-find)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._owner: dict[tuple[str, str], str] = {}

    def add(self, namespace: str) -> None:
        self._parent.setdefault(namespace, namespace)

    def root(self, namespace: str) -> str:
        parent = self._parent
        root = namespace
        while parent[root] != root:
            root = parent[root]
        while parent[namespace] != root:  # path compression
            parent[namespace], namespace = root, parent[namespace]
        return root

    def join(self, namespace: str, kind: str, value: str) -> None:
        """``namespace`` shares ``value`` (a host, or a namespace it refers to) with others."""
        if kind == "namespace":
            self.add(value)
            other = value
        else:
            other = self._owner.setdefault((kind, value), namespace)
        a, b = self.root(namespace), self.root(other)
        if a != b:
            # The smaller name becomes the root: parts come out in the same order every time.
            self._parent[max(a, b)] = min(a, b)
