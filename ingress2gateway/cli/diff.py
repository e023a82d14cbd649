"""``diff``: compare freshly generated resources with committed (or live) ones.

Objects are matched by group, kind, namespace and name. Before comparing, both sides are
normalised: fields the server fills in (``status``, ``uid``, ``resourceVersion``, timestamps,
``managedFields``, kubectl's last-applied annotation, our generator annotation) are dropped,
defaults the API server would apply are applied, and lists that Gateway API treats as sets
(listeners, hostnames, parentRefs, header matches, ...) are sorted. What remains is compared
with deepdiff.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.printable import printable

_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
)
_IGNORED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "gateway.networking.k8s.io/generator",
)
# Lists whose order carries no meaning (x-kubernetes-list-type set/map in the CRDs).
_SET_LISTS = frozenset(
    {
        "hostnames",
        "listeners",
        "parentRefs",
        "headers",
        "queryParams",
        "set",
        "add",
        "remove",
        "from",
        "to",
        "targetRefs",
        "certificateRefs",
        "values",
        "matchExpressions",
        "backendRefs",
    }
)

Key = tuple[str, str, str, str]


def object_key(obj: JSONDict) -> Key:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    meta = obj.get("metadata") or {}
    return (
        group,
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name", "")),
    )


def _display(key: Key) -> str:
    _, kind, namespace, name = key
    where = f"{namespace}/{name}" if namespace else name
    return f"{kind} {where}"


def normalise(obj: JSONDict, target: Any | None = None) -> JSONDict:
    body: JSONDict = json.loads(json.dumps(obj))
    body.pop("status", None)
    meta = body.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in _IGNORED_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                meta.pop("annotations")
    if target is not None:
        from ingress2gateway.validation import with_defaults

        body = with_defaults(body, target)
    sorted_body: JSONDict = _sort_sets(body)
    return sorted_body


def _sort_sets(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _sort_sets(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sort_sets(v) for v in value]
        if key in _SET_LISTS:
            items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return value


@dataclass
class ObjectDiff:
    key: Key
    change: str
    """added (generated, not committed), removed (committed, not generated) or changed"""
    details: list[str] = field(default_factory=list)

    def to_json(self) -> JSONDict:
        group, kind, namespace, name = self.key
        return {
            "group": group,
            "kind": kind,
            "namespace": namespace or None,
            "name": name,
            "change": self.change,
            "details": self.details,
        }


def diff_objects(
    generated: Sequence[JSONDict], existing: Sequence[JSONDict], target: Any | None = None
) -> list[ObjectDiff]:
    from deepdiff import DeepDiff

    new = {object_key(o): normalise(o, target) for o in generated}
    old = {object_key(o): normalise(o, target) for o in existing}
    diffs: list[ObjectDiff] = []
    for key in sorted(set(new) | set(old)):
        if key not in old:
            diffs.append(ObjectDiff(key, "added"))
        elif key not in new:
            diffs.append(ObjectDiff(key, "removed"))
        else:
            delta = DeepDiff(old[key], new[key], verbose_level=2)
            if delta:
                diffs.append(ObjectDiff(key, "changed", _describe(delta)))
    return diffs


def _describe(delta: Any) -> list[str]:
    lines: list[str] = []
    for kind, entries in sorted(delta.to_dict().items()):
        if isinstance(entries, dict):
            for path, change in sorted(entries.items()):
                lines.append(f"{_path(path)}: {_change(kind, change)}")
        else:
            lines.extend(f"{_path(str(path))}: {kind}" for path in sorted(entries))
    return lines


def _path(deepdiff_path: str) -> str:
    # root['spec']['rules'][0] -> spec.rules[0]
    text = deepdiff_path.removeprefix("root")
    text = text.replace("']['", ".").replace("['", ".").replace("']", "")
    return text.lstrip(".")


def _change(kind: str, change: Any) -> str:
    if kind == "values_changed" and isinstance(change, dict):
        return f"{json.dumps(change.get('old_value'))} -> {json.dumps(change.get('new_value'))}"
    if kind == "type_changes" and isinstance(change, dict):
        return f"{json.dumps(change.get('old_value'), default=str)} -> {json.dumps(change.get('new_value'), default=str)}"
    if kind.endswith("_added"):
        return f"added {json.dumps(change, default=str)}"
    if kind.endswith("_removed"):
        return f"removed {json.dumps(change, default=str)}"
    return f"{kind} {json.dumps(change, default=str)}"


def render_text(diffs: Sequence[ObjectDiff]) -> str:
    lines = []
    marks = {"added": "+", "removed": "-", "changed": "~"}
    words = {"added": "would be created", "removed": "is no longer generated", "changed": "differs"}
    for item in diffs:
        lines.append(f"{marks[item.change]} {_display(item.key)} {words[item.change]}")
        lines.extend(f"    {detail}" for detail in item.details)
    return "".join(printable(line) + "\n" for line in lines)


def render_json(diffs: Sequence[ObjectDiff]) -> str:
    return json.dumps({"differences": [d.to_json() for d in diffs]}, indent=2) + "\n"
