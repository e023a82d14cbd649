"""VirtualService ``delegate``: the delegate's ``http[]`` routes take the place of the root's
route, narrowed by its match (istio/api ``virtual_service.proto``, Delegate; istio/istio
``pilot/pkg/model/virtualservice.go``, ``mergeHTTPRoute`` and ``mergeHTTPMatchRequests``).

* A VirtualService without ``hosts`` is a delegate: it is never routed on its own.
* Each delegate route keeps its own conditions and gets the root's where it has none; a delegate
  route with a condition that contradicts every root match (``/reviews`` under a root
  ``prefix: /productpage``, a regular expression against a prefix) is dropped, as Istio drops it.
* The delegate route takes the root route's ``rewrite``, ``timeout``, ``retries``, ``fault``,
  ``mirror``, ``corsPolicy`` and ``headers`` where it sets none.
* A delegate that is not in the input, or not exported to the root's namespace, makes the root's
  route route nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject

from .common import as_dict, as_list, ns_of

INHERITED = (
    "rewrite",
    "directResponse",
    "timeout",
    "retries",
    "fault",
    "mirror",
    "mirrorPercent",
    "mirrorPercentage",
    "corsPolicy",
    "mirrors",
    "headers",
)


@dataclass
class MergedMatch:
    match: dict[str, Any]
    delegate_index: int | None
    root_index: int | None


@dataclass
class DelegatedRoute:
    """One ``http[]`` route of a delegate, merged with its root's route."""

    index: int
    own: dict[str, Any]
    """The delegate route's own fields."""
    inherited: dict[str, Any]
    """What it takes from the root route."""
    matches: list[MergedMatch] = field(default_factory=list)


def is_delegate(obj: KubeObject) -> bool:
    return not as_list(obj.spec.get("hosts"))


def exported_to(obj: KubeObject, namespace: str) -> bool:
    """Whether a delegate may be used by a root of ``namespace`` (``exportTo``; none: all)."""
    values = [v for v in as_list(obj.spec.get("exportTo")) if isinstance(v, str)]
    if not values or "*" in values:
        return True
    return namespace in values or ("." in values and ns_of(obj) == namespace)


def _text(match: dict[str, Any], key: str) -> str:
    value = match.get(key)
    return value if isinstance(value, str) else ""


def _string_conflict(root: Any, leaf: Any) -> bool:
    """``stringMatchConflict``: a delegate condition that is not narrower than the root's."""
    if not isinstance(root, dict) or not isinstance(leaf, dict):
        return False
    if _text(root, "regex") and any(_text(leaf, k) for k in ("regex", "prefix", "exact")):
        return True
    if _text(leaf, "regex") and any(_text(root, k) for k in ("regex", "prefix", "exact")):
        return True
    exact = _text(root, "exact")
    if exact:
        return bool(_text(leaf, "prefix")) or _text(leaf, "exact") != exact
    prefix = _text(root, "prefix")
    if prefix:
        if _text(leaf, "prefix"):
            return not _text(leaf, "prefix").startswith(prefix)
        if _text(leaf, "exact"):
            return not _text(leaf, "exact").startswith(prefix)
    return True


def _conflict(root: dict[str, Any], leaf: dict[str, Any]) -> bool:
    """``hasConflict``."""
    for key in ("uri", "scheme", "method", "authority"):
        if _string_conflict(root.get(key), leaf.get(key)):
            return True
    for key in ("headers", "withoutHeaders", "queryParams"):
        mine = as_dict(root.get(key))
        if any(_string_conflict(mine.get(n), v) for n, v in as_dict(leaf.get(key)).items()):
            return True
    if bool(root.get("ignoreUriCase")) != bool(leaf.get("ignoreUriCase")):
        return True
    ports = root.get("port") or 0, leaf.get("port") or 0
    if all(ports) and ports[0] != ports[1]:
        return True
    source = root.get("sourceNamespace") or ""
    if source and leaf.get("sourceNamespace") != source:
        return True
    labels = as_dict(root.get("sourceLabels"))
    if any(k in labels and labels[k] != v for k, v in as_dict(leaf.get("sourceLabels")).items()):
        return True
    ours, theirs = as_list(root.get("gateways")), as_list(leaf.get("gateways"))
    return bool(ours and theirs) and (len(ours) < len(theirs) or any(g not in ours for g in theirs))


def _merge(root: dict[str, Any], leaf: dict[str, Any]) -> dict[str, Any]:
    """``mergeHTTPMatchRequest``."""
    out = dict(leaf)
    for key in ("uri", "scheme", "method", "authority", "sourceNamespace", "port", "gateways"):
        if not out.get(key) and root.get(key):
            out[key] = root[key]
    for key in ("headers", "withoutHeaders", "queryParams", "sourceLabels"):
        merged = {**as_dict(root.get(key)), **as_dict(leaf.get(key))}
        if merged:
            out[key] = merged
    if root.get("ignoreUriCase") and "ignoreUriCase" not in out:
        out["ignoreUriCase"] = root["ignoreUriCase"]
    return out


def merge_matches(root: list[Any], leaf: list[Any]) -> list[MergedMatch] | None:
    """``mergeHTTPMatchRequests``: None when a delegate match fits no root match."""
    roots = [as_dict(m) for m in root]
    leaves = [as_dict(m) for m in leaf]
    if not roots:
        return [MergedMatch(m, d, None) for d, m in enumerate(leaves)]
    if not leaves:
        return [MergedMatch(m, None, r) for r, m in enumerate(roots)]
    out: list[MergedMatch] = []
    for d, sub in enumerate(leaves):
        fitting = [
            MergedMatch(_merge(top, sub), d, r)
            for r, top in enumerate(roots)
            if not _conflict(top, sub)
        ]
        if not fitting:
            return None
        out.extend(fitting)
    return out


def merge_routes(
    root_item: dict[str, Any], delegate: KubeObject
) -> tuple[list[DelegatedRoute], list[int]]:
    """The delegate's routes merged with ``root_item``, and the indexes of those dropped for a
    conflict with the root's match."""
    routes: list[DelegatedRoute] = []
    dropped: list[int] = []
    for index, raw in enumerate(as_list(delegate.spec.get("http"))):
        own = as_dict(raw)
        matches = merge_matches(as_list(root_item.get("match")), as_list(own.get("match")))
        if matches is None:
            dropped.append(index)
            continue
        inherited = {
            key: root_item[key]
            for key in INHERITED
            if own.get(key) is None and root_item.get(key) is not None
        }
        routes.append(DelegatedRoute(index, own, inherited, matches))
    return routes, dropped
