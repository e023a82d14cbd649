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

from .common import GatewayInfo, ListenerInfo, as_dict
from .matching import Entry
from .parents import host_overlap

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
    assumed: dict[tuple[str, str], str] = field(default_factory=dict)
    """(entry label, what) → the assumption, for the notifications."""
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
                    f"sourceNamespace {scope.source_namespace} "
                    + ("is" if fits else "is not")
                    + f" the namespace of the gateway's pods (assumed {self.workload_namespace}, "
                    "option istio.gateway-workload-namespace): Istio "
                    + ("applies" if fits else "does not apply")
                    + " the match at the gateway"
                )
                if not fits:
                    return f"its sourceNamespace is not {self.workload_namespace}"
        return None

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
            f"sourceLabels {shown} "
            + ("are" if fits else "are not")
            + f" labels of the pods of gateway {gateway} (assumed to carry exactly {carried}): "
            "Istio " + ("applies" if fits else "does not apply") + " the match there"
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


def groups(
    entries: Sequence[Entry],
    bindings: Sequence[Binding],
    hosts: Sequence[str | None],
    judge: Judge,
) -> list[Group]:
    """The HTTPRoutes a VirtualService needs: each (binding, host) pair that share a host get
    the list of matches that apply there; pairs with equal lists share a route when the pairs
    form a product of bindings and hosts (see the module documentation)."""
    lists: dict[tuple[int, int], tuple[int, ...]] = {}
    by_id = {id(e): e for e in entries}
    for b, binding in enumerate(bindings):
        for h, host in enumerate(hosts):
            if not host_overlap(binding.hostname, host):
                continue
            applicable = truncate([e for e in entries if judge.applies(e, binding, host)])
            lists[(b, h)] = tuple(id(e) for e in applicable)
    found: list[Group] = []
    seen: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for pair, key in lists.items():
        seen.setdefault(key, []).append(pair)
    for key, pairs in seen.items():
        if not key:
            continue
        chosen = [by_id[i] for i in key]
        b_set = sorted({b for b, _ in pairs})
        h_set = sorted({h for _, h in pairs})
        product = all(lists.get((b, h), key) == key for b in b_set for h in h_set)
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
