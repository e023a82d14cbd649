"""Which Gateway API the user runs (version + channel), and what it offers.

Every answer — which kinds are served under which apiVersion, which fields and enum values
exist, since when — is read from the vendored CRD schemas (``validation/schemas``), never from a
hand-kept table. The only hand-kept facts are the apiVersion *preference* order and the few core
kinds the tool emits but does not validate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import UsageError
from .validation import _catalog
from .validation._openapi import same_value
from .validation._schema import Node, compile_schema, resolve

CHANNELS: tuple[str, ...] = ("standard", "experimental")
KNOWN_VERSIONS: tuple[str, ...] = _catalog.gateway_api_tags()
"""Vendored Gateway API release tags, oldest first (e.g. ``v1.2.1`` … ``v1.6.1``)."""
DEFAULT_VERSION: str = KNOWN_VERSIONS[-1]

# ReferenceGrant v1 exists only from v1.5, while v1beta1 is served by every release: objects
# emitted as v1beta1 work on old and new clusters alike.
_PREFERRED_VERSIONS: dict[str, tuple[str, ...]] = {"ReferenceGrant": ("v1beta1", "v1")}

# Core kinds the emitters may produce; they have no CRD, so nothing here validates them.
_CORE_API_VERSIONS: dict[str, str] = {
    "Namespace": "v1",
    "Secret": "v1",
    "Service": "v1",
    "ConfigMap": "v1",
    "Ingress": "networking.k8s.io/v1",
    "IngressClass": "networking.k8s.io/v1",
}


def minor(tag: str) -> str:
    """``v1.6.1`` → ``v1.6``."""
    return ".".join(tag.split(".")[:2])


def _version_rank(name: str) -> tuple[int, int, int]:
    """Kubernetes version priority, higher is better: GA > beta > alpha, then the numbers."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", name)
    if match is None:
        return (-1, 0, 0)
    stability = {"alpha": 0, "beta": 1}.get(match.group(2) or "", 2)
    return (stability, int(match.group(1)), int(match.group(3) or 0))


@dataclass(frozen=True)
class Target:
    """A Gateway API release tag and channel, e.g. ``Target("v1.6.1", "standard")``."""

    version: str
    """Full vendored tag, e.g. ``v1.6.1``."""
    channel: str
    """``standard`` or ``experimental``."""

    @classmethod
    def parse(cls, version: str | None = None, channel: str = "standard") -> Target:
        """Accept ``v1.6``, ``1.6`` or ``v1.6.1`` (default: newest vendored) and a channel."""
        wanted_channel = (channel or "standard").strip().lower()
        if wanted_channel not in CHANNELS:
            raise UsageError(
                f"unknown Gateway API channel {channel!r}; use one of: {', '.join(CHANNELS)}"
            )
        if version is None or not version.strip():
            return cls(DEFAULT_VERSION, wanted_channel)
        text = version.strip().lower()
        text = text if text.startswith("v") else f"v{text}"
        for tag in KNOWN_VERSIONS:
            if text in (tag, minor(tag)):
                return cls(tag, wanted_channel)
        known = ", ".join(f"{minor(tag)} ({tag})" for tag in KNOWN_VERSIONS)
        raise UsageError(f"unknown Gateway API version {version!r}; known versions: {known}")

    def __str__(self) -> str:
        return f"Gateway API {self.version} ({self.channel} channel)"

    def to_json(self) -> dict[str, Any]:
        return {"gatewayAPIVersion": self.version, "channel": self.channel}

    def api_version_for(self, kind: str) -> str | None:
        """The apiVersion to emit *kind* with, or None when this target does not serve it."""
        return _api_version_for(self.version, self.channel, kind)

    def has_field(self, kind: str, path: str) -> bool:
        """Whether ``kind``'s schema declares *path* (``spec.rules[].retry``)."""
        return _node(self.version, self.channel, kind, path) is not None

    def has_enum_value(self, kind: str, path: str, value: str | int) -> bool:
        """Whether the field at *path* exists and its ``enum`` allows *value*."""
        return _has_enum_value(self.version, self.channel, kind, path, value)

    def where_available(
        self, kind: str, path: str | None = None, enum_value: str | int | None = None
    ) -> str | None:
        """A hint naming the oldest release/channel that has it, e.g. ``v1.5+ standard channel``.

        None when no vendored release has it. Independent of this target's own version.
        """
        return _where_available(kind, path, enum_value)


def _catalog_for_kind(version: str, channel: str, kind: str) -> _catalog.Crd | None:
    crd = _catalog.gateway_api(version, channel).by_kind(kind)
    return crd if crd is not None else _catalog.envoy_gateway().by_kind(kind)


@lru_cache(maxsize=1024)
def _served_version(version: str, channel: str, kind: str) -> tuple[str, str] | None:
    """``(group, version name)`` of the preferred served version of *kind*."""
    crd = _catalog_for_kind(version, channel, kind)
    if crd is None:
        return None
    served = [v for v in crd.versions.values() if v.served]
    if not served:
        return None
    preference = _PREFERRED_VERSIONS.get(kind, ())

    def rank(v: _catalog.CrdVersion) -> tuple[int, int, int, int, int]:
        preferred = preference.index(v.name) if v.name in preference else len(preference)
        stability, major, number = _version_rank(v.name)
        return (preferred, int(v.deprecated), -stability, -major, -number)

    best = min(served, key=rank)
    return crd.group, best.name


def _api_version_for(version: str, channel: str, kind: str) -> str | None:
    served = _served_version(version, channel, kind)
    if served is not None:
        return f"{served[0]}/{served[1]}"
    return _CORE_API_VERSIONS.get(kind)


@lru_cache(maxsize=4096)
def _has_enum_value(version: str, channel: str, kind: str, path: str, value: str | int) -> bool:
    node = _node(version, channel, kind, path)
    return (
        node is not None
        and node.enum is not None
        and any(same_value(value, allowed) for allowed in node.enum)
    )


# Emitters ask the same few questions for every object they write: answer each once.
@lru_cache(maxsize=4096)
def _node(version: str, channel: str, kind: str, path: str) -> Node | None:
    served = _served_version(version, channel, kind)
    if served is None:
        return None
    crd = _catalog_for_kind(version, channel, kind)
    assert crd is not None
    root = compile_schema(crd.versions[served[1]].schema)
    return resolve(root, path)


def _has(tag: str, channel: str, kind: str, path: str | None, enum_value: str | int | None) -> bool:
    target = Target(tag, channel)
    if path is None:
        return _served_version(tag, channel, kind) is not None
    if enum_value is None:
        return target.has_field(kind, path)
    return target.has_enum_value(kind, path, enum_value)


def _run_start(present: list[bool], end: int) -> int:
    """First index of the unbroken run of True values that ends at *end*."""
    start = end
    while start > 0 and present[start - 1]:
        start -= 1
    return start


@lru_cache(maxsize=1024)
def _where_available(kind: str, path: str | None, enum_value: str | int | None) -> str | None:
    eg = _catalog.envoy_gateway()
    if eg.by_kind(kind) is not None:
        # Envoy Gateway kinds do not depend on the Gateway API release.
        has = _has(DEFAULT_VERSION, CHANNELS[0], kind, path, enum_value)
        return f"Envoy Gateway {eg.ref.tag}" if has else None
    presence = {
        channel: [_has(tag, channel, kind, path, enum_value) for tag in KNOWN_VERSIONS]
        for channel in CHANNELS
    }
    newest = len(KNOWN_VERSIONS) - 1
    for channel in CHANNELS:  # standard first: it is what most clusters run
        if presence[channel][newest]:
            first = _run_start(presence[channel], newest)
            if channel == "experimental" and first == 0:
                return "the experimental channel"
            return f"{minor(KNOWN_VERSIONS[first])}+ {channel} channel"
    for channel in reversed(CHANNELS):  # gone from the newest release: say when it existed
        if any(presence[channel]):
            last = max(i for i, present in enumerate(presence[channel]) if present)
            first = _run_start(presence[channel], last)
            span = minor(KNOWN_VERSIONS[first])
            if last != first:
                span += f"–{minor(KNOWN_VERSIONS[last])}"
            return f"{span} {channel} channel (removed in {minor(KNOWN_VERSIONS[last + 1])})"
    return None
