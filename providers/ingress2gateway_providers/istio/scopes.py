"""Which ``http[]`` matches apply on which listener and host, and the HTTPRoutes that follow.

Istio builds a VirtualService's routes once per gateway (``BuildHTTPRoutesForVirtualService``)
and leaves out a match whose ``gateways`` do not name that gateway, whose ``port`` is not the
server's, whose ``sourceLabels`` are not the gateway pods' labels or whose ``sourceNamespace`` is
not their namespace (``TranslateRoute``, ``sourceMatchHTTP``); it stops after the first match
that takes every request. A ``scheme`` condition is decided by the server (``http`` on a
plain-text one, ``https`` on a TLS one), and an exact ``authority`` by the request's host.

So each (listener, host) pair has its own ordered list of matches. Pairs with the same list
share an HTTPRoute; a VirtualService whose matches apply everywhere alike keeps one HTTPRoute,
one whose ``gateways`` split its rules gets one per gateway, and a route scoped to ``mesh`` only
reaches no listener at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingress2gateway.ir import ParentRef

from .common import GatewayInfo, ListenerInfo, as_dict, host_overlap
from .conditions import Sm
from .matching import Entry

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Binding:
    """A listener a VirtualService binds (or a Gateway not in the input)."""

    ref: ParentRef
    key: tuple[str, str]
    gateway: GatewayInfo | None
    listener: ListenerInfo | None

    @property
    def scheme(self) -> str | None:
        if self.listener is None:
            return None
        return "https" if self.listener.protocol == "HTTPS" else "http"

    @property
    def hostname(self) -> str | None:
        return None if self.listener is None else self.listener.hostname

    @property
    def selector(self) -> dict[str, str] | None:
        if self.gateway is None:
            return None
        raw = self.gateway.obj.spec.get("selector")
        return {str(k): str(v) for k, v in as_dict(raw).items()}


@dataclass
class Judge:
    """Decides whether an entry applies on a binding, and remembers the assumptions made."""

    workload_namespace: str
    assumed: dict[tuple[str, str], tuple[bool, str]] = field(default_factory=dict)
    """(entry label, what) → (whether it is a warning, what was assumed or could not be
    decided), for the notifications."""
    excluded: dict[str, dict[str, None]] = field(default_factory=dict)
    """Entry label → why Istio does not build it somewhere."""

    def applies(self, entry: Entry, binding: Binding, host: str | None) -> bool:
        why = self._why_not(entry, binding, host)
        if why is not None:
            self.excluded.setdefault(entry.label, {})[why] = None
        return why is None

    def _why_not(self, entry: Entry, binding: Binding, host: str | None) -> str | None:
        """Why Istio does not build ``entry`` on ``binding`` for ``host`` (None: it does)."""
        scope = entry.scope
        where = f"gateway {binding.key[0]}/{binding.key[1]}"
        if scope.mesh_only:
            return "its gateways name only mesh"
        if scope.gateways and binding.key not in scope.gateways:
            return f"its gateways do not name {where}"
        if scope.authority is not None and host != scope.authority:
            return f"its authority is {scope.authority}"
        if scope.authority_match is not None:
            if host is None or host.startswith("*"):
                self.assumed[(entry.label, f"authority {host}")] = (
                    True,
                    f"the authority condition cannot be decided for the host name "
                    f"{host or '*'}: the match takes every host there, wider than in Istio",
                )
            elif not self._authority_takes(scope.authority_match, host, binding):
                return f"its authority condition does not take {host}"
        listener = binding.listener
        if listener is not None:
            if scope.port is not None and listener.port != scope.port:
                return f"its port {scope.port} is not the port of {where}'s server"
            scheme = binding.scheme
            if scope.scheme is not None and scheme is not None and not scope.scheme.matches(scheme):
                return (
                    f"its scheme condition does not take {scheme}, the scheme of {where}'s server"
                )
            if scope.authority_port is not None:
                default = _DEFAULT_PORTS.get(scheme or "")
                if listener.port != scope.authority_port or scope.authority_port == default:
                    return f"its authority's port {scope.authority_port} is not in the Host clients send"
        if not scope.gateways:
            if scope.source_labels and not self._labels_fit(entry, binding):
                return f"its sourceLabels are not labels of {where}'s pods"
            if scope.source_namespace is not None:
                fits = scope.source_namespace == self.workload_namespace
                self.assumed[(entry.label, "sourceNamespace")] = (
                    not fits,
                    f"sourceNamespace {scope.source_namespace} "
                    + ("is" if fits else "is not")
                    + f" the namespace of the gateway's pods (assumed {self.workload_namespace}, "
                    "option istio.gateway-workload-namespace): Istio "
                    + ("applies" if fits else "does not apply")
                    + " the match at the gateway",
                )
                if not fits:
                    return f"its sourceNamespace is not {self.workload_namespace}"
        return None

    @staticmethod
    def _authority_takes(match: Sm, host: str, binding: Binding) -> bool:
        """The ``:authority`` a client sends for ``host`` on the binding's listener (the port
        only when it is not the scheme's) against the match."""
        sent = host
        listener = binding.listener
        if listener is not None and listener.port != _DEFAULT_PORTS.get(binding.scheme or "", 0):
            sent = f"{host}:{listener.port}"
        return match.matches(sent)

    def _labels_fit(self, entry: Entry, binding: Binding) -> bool:
        selector = binding.selector
        if selector is None:
            return True  # the Gateway is not in the input: nothing to compare with
        labels = dict(entry.scope.source_labels)
        fits = all(selector.get(k) == v for k, v in labels.items())
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        gateway = f"{binding.key[0]}/{binding.key[1]}"
        carried = "its selector's labels" if selector else "no label (it has no selector)"
        self.assumed[(entry.label, f"sourceLabels {gateway}")] = (
            not fits,
            f"sourceLabels {shown} "
            + ("are" if fits else "are not")
            + f" labels of the pods of gateway {gateway} (assumed to carry exactly {carried}): "
            "Istio " + ("applies" if fits else "does not apply") + " the match there",
        )
        return fits


def truncate(entries: list[Entry]) -> list[Entry]:
    """Istio stops building a VirtualService's routes after a match that takes everything."""
    for position, entry in enumerate(entries):
        if entry.condition.catch_all and entry.origin is None:
            return entries[: position + 1]
    return entries


@dataclass
class Group:
    """Matches that apply alike on some listeners and hosts: one HTTPRoute (or several, split
    by size)."""

    entries: list[Entry]
    bindings: list[Binding]
    hosts: list[str | None]


def _subset(a: str, b: str) -> bool:
    """``Name.SubsetOf``: every host ``a`` names, ``b`` names too."""
    if a.startswith("*"):
        return b.startswith("*") and len(a) >= len(b) and a[1:].endswith(b[1:])
    return a.endswith(b[1:]) if b.startswith("*") else a == b


def domain(listener: str | None, host: str | None) -> str | None:
    """The virtual host Istio builds for a server host and a VirtualService host
    (``Names.Intersection``: the more specific of the two; None: every host)."""
    if listener is None:
        return host
    if host is None or _subset(listener, host):
        return listener
    return host


def own_lists(
    entries: Sequence[Entry],
    bindings: Sequence[Binding],
    hosts: Sequence[str | None],
    judge: Judge,
) -> dict[tuple[int, str | None], list[Entry]]:
    """For each binding and virtual host (the intersection of the listener's host name and a
    host of the VirtualService): the matches of one VirtualService that Istio builds there, in
    order, up to the first that takes every request."""
    lists: dict[tuple[int, str | None], list[Entry]] = {}
    for b, binding in enumerate(bindings):
        for host in hosts:
            if not host_overlap(binding.hostname, host):
                continue
            name = domain(binding.hostname, host)
            if (b, name) in lists:
                continue
            lists[(b, name)] = truncate([e for e in entries if judge.applies(e, binding, name)])
    return lists


def virtual_host(
    binding: Binding, name: str | None
) -> tuple[tuple[str, str], str | None, str | None]:
    """The virtual host a binding and a host name route in: routes of VirtualServices that
    share it are tried together."""
    listener = None if binding.listener is None else binding.listener.name
    return binding.key, listener, name


def last_catch_alls(entries: list[Entry]) -> list[Entry]:
    """``SortVHostRoutes``: the routes that take every request after the others."""
    return [e for e in entries if not e.condition.catch_all] + [
        e for e in entries if e.condition.catch_all
    ]


def groups(
    lists: dict[tuple[int, str | None], list[Entry]],
    bindings: Sequence[Binding],
) -> list[Group]:
    """The HTTPRoutes a VirtualService needs: (binding, host) pairs with the same list of
    matches share a route when the pairs form a product of bindings and hosts (see the module
    documentation); ``lists`` holds the matches of every VirtualService of each pair's virtual
    host, in Istio's order."""
    hosts: list[str | None] = list(dict.fromkeys(name for _, name in lists))
    keys = {
        (b, hosts.index(name)): tuple(id(e) for e in found) for (b, name), found in lists.items()
    }
    entries = {(b, hosts.index(name)): found for (b, name), found in lists.items()}
    found: list[Group] = []
    seen: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for pair, key in keys.items():
        seen.setdefault(key, []).append(pair)
    for key, pairs in seen.items():
        if not key:
            continue
        chosen = entries[pairs[0]]
        b_set = sorted({b for b, _ in pairs})
        h_set = sorted({h for _, h in pairs})
        product = all(keys.get((b, h), key) == key for b in b_set for h in h_set)
        if product:
            found.append(Group(chosen, [bindings[b] for b in b_set], [hosts[h] for h in h_set]))
            continue
        per_host: dict[tuple[int, ...], list[int]] = {}
        for h in h_set:
            mine = tuple(b for b in b_set if (b, h) in pairs)
            per_host.setdefault(mine, []).append(h)
        for b_list, h_list in per_host.items():
            found.append(Group(chosen, [bindings[b] for b in b_list], [hosts[h] for h in h_list]))
    found.sort(key=lambda g: (bindings.index(g.bindings[0]), hosts.index(g.hosts[0])))
    return found
