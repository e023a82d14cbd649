"""What a mapper makes of one IR extension for an implementation's policies, and how the
contributions to one policy merge; durations and sizes in the form Envoy, kgateway and
agentgateway read.

Every mapper turns one IR extension into a :class:`Contribution` — a fragment of a policy
``spec`` plus the verdict for the ledger — or ``None`` when the implementation cannot say it
(the extension then stays unconsumed and the pipeline reports it). Written for the
envoy-gateway emitter; nothing here is specific to Envoy Gateway.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import Extension, Provenance, ReferenceGrant
from ingress2gateway.objects import JSONDict
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

# Lists that several extensions may add to; any other list or value must agree.
CONCATENATED_LISTS = frozenset({"rules", "responseOverride"})


@dataclass
class Contribution:
    """What one extension adds to one policy of kind ``policy``."""

    policy: str
    spec: JSONDict
    """A fragment of the policy's ``spec``; empty when nothing needs saying (EG's default)."""
    status: Status = Status.CONVERTED
    note: str | None = None
    objects: list[Emitted] = field(default_factory=list)
    """Extra objects the policy needs (a Backend for an external auth URL)."""
    grants: list[ReferenceGrant] = field(default_factory=list)
    """ReferenceGrants the policy needs for references into other namespaces."""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(code, message) notifications filed under each input field of the extension."""
    needs: list[tuple[Need, str, str]] = field(default_factory=list)
    """(need, subject, action): what the cluster must have for the policy to work (see
    :meth:`~ingress2gateway.reporting.report.Recorder.require`), required for each input
    object of the extension once it is applied."""


@dataclass
class MapEnv:
    """What a mapper may consult: the policy namespace, the emitter options, and for a route's
    policies the route's kind and the protocols (``HTTP``, ``HTTPS``) of the listeners it is
    served on (None and empty for a Gateway's own policies)."""

    namespace: str | None
    options: Mapping[str, Any]
    backends: BackendRegistry
    schemes: frozenset[str] = frozenset()
    route_kind: str | None = None
    rule_names: bool = False
    """Whether a policy can target one rule of the route (the target's routes have
    ``spec.rules[].name``, Gateway API v1.4+)."""


Mapper = Callable[[Any, MapEnv], Contribution | None]


class BackendRegistry:
    """Envoy Gateway ``Backend`` objects for external hosts, one per (namespace, host, port, tls)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str | None, str, int, bool], Emitted] = {}
        self.allocators: dict[str | None, NameAllocator] = {}


class MergeConflict(Exception):
    """Two extensions set one policy field to different values."""


def merged(base: JSONDict, extra: JSONDict) -> JSONDict:
    """``base`` with ``extra`` merged in (copies); raises :class:`MergeConflict`."""
    out = copy.deepcopy(base)
    _merge_into(out, extra, "")
    return out


def _merge_into(target: JSONDict, extra: JSONDict, path: str) -> None:
    for key, value in extra.items():
        where = f"{path}.{key}" if path else key
        if key not in target:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge_into(target[key], value, where)
        elif (
            isinstance(target[key], list) and isinstance(value, list) and key in CONCATENATED_LISTS
        ):
            target[key] = target[key] + [v for v in copy.deepcopy(value) if v not in target[key]]
        elif target[key] != value:
            raise MergeConflict(where)


def canonical(spec: JSONDict) -> str:
    """A stable text form, to compare fragments."""
    return json.dumps(spec, sort_keys=True)


# --- durations and sizes ----------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}


def duration_ms(text: str) -> int | None:
    """Milliseconds of a Gateway API / Go style duration (``1h2m``, ``1.5s``, ``250ms``)."""
    text = text.strip()
    if not text:
        return None
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    return round(total)


def eg_duration(text: str | None) -> str | None:
    """A duration in the form Envoy Gateway accepts (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``)."""
    if text is None:
        return None
    total = duration_ms(text)
    if total is None:
        return None
    return format_ms(total)


def format_ms(total: int) -> str:
    if total == 0:
        return "0s"
    parts = []
    for unit in ("h", "m", "s", "ms"):
        amount, total = divmod(total, _UNIT_MS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def quantity(size: int) -> str:
    """Bytes as a Kubernetes quantity, in the largest binary unit that divides it."""
    for suffix, factor in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)


def provenance_of(extensions: list[Extension]) -> list[Provenance]:
    return [p for ext in extensions for p in ext.provenance]
