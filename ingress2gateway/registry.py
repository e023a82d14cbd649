"""Finding providers and emitters by name.

Built-ins are listed here (so running from a source tree works without installed metadata);
third-party packages add theirs through the entry-point groups ``ingress2gateway.providers``
and ``ingress2gateway.emitters``. Nothing is imported until it is asked for, so ``--help`` and
shell completion stay fast, and a plug-in that fails to load is reported by name instead of
breaking the whole tool.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ingress2gateway.errors import UsageError
from ingress2gateway.plugin import Emitter, Provider

PROVIDER_GROUP = "ingress2gateway.providers"
EMITTER_GROUP = "ingress2gateway.emitters"

BUILTIN_PROVIDERS: dict[str, str] = {
    "nginx": "ingress2gateway_providers.nginx:PROVIDER",
    "kong": "ingress2gateway_providers.kong:PROVIDER",
    "istio": "ingress2gateway_providers.istio:PROVIDER",
}
BUILTIN_EMITTERS: dict[str, str] = {
    "standard": "ingress2gateway.emitters.standard:EMITTER",
    "envoy-gateway": "ingress2gateway.emitters.envoy_gateway:EMITTER",
}
# Other names users know a provider by (the Go tool's provider names among them).
PROVIDER_ALIASES: dict[str, str] = {
    "ingress-nginx": "nginx",
    "nginx-inc": "nginx",
    "kong-ingress-controller": "kong",
}


@dataclass(frozen=True)
class PluginSpec:
    name: str
    target: str
    """``module:attribute``"""
    distribution: str | None
    """None for built-ins."""


@functools.cache
def _discover(group: str, builtins: tuple[tuple[str, str], ...]) -> dict[str, list[PluginSpec]]:
    found: dict[str, list[PluginSpec]] = {
        name: [PluginSpec(name, target, None)] for name, target in builtins
    }
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else None
        specs = found.setdefault(ep.name, [])
        # Our own distribution declares the built-ins too; that is not a clash.
        if any(spec.target == ep.value for spec in specs):
            continue
        specs.append(PluginSpec(ep.name, ep.value, dist))
    return found


def provider_specs() -> dict[str, list[PluginSpec]]:
    return _discover(PROVIDER_GROUP, tuple(sorted(BUILTIN_PROVIDERS.items())))


def emitter_specs() -> dict[str, list[PluginSpec]]:
    return _discover(EMITTER_GROUP, tuple(sorted(BUILTIN_EMITTERS.items())))


def provider_names() -> list[str]:
    return sorted(provider_specs())


def emitter_names() -> list[str]:
    return sorted(emitter_specs())


def canonical_provider(name: str) -> str:
    return PROVIDER_ALIASES.get(name, name)


def _load(kind: str, name: str, specs: dict[str, list[PluginSpec]]) -> Any:
    candidates = specs.get(name)
    if not candidates:
        raise UsageError(f"unknown {kind} {name!r}; known {kind}s: {', '.join(sorted(specs))}")
    if len(candidates) > 1:
        owners = ", ".join(spec.distribution or "built-in" for spec in candidates)
        raise UsageError(
            f"{kind} {name!r} is provided by several packages ({owners}); uninstall one"
        )
    spec = candidates[0]
    module_name, _, attribute = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute) if attribute else module
    except Exception as exc:  # a broken plug-in must not take the tool down with it
        origin = f"package {spec.distribution}" if spec.distribution else "built-in"
        raise UsageError(
            f"{kind} {name!r} ({origin}) failed to load: {type(exc).__name__}: {exc}"
        ) from None


def load_provider(name: str) -> Provider:
    provider = _load("provider", canonical_provider(name), provider_specs())
    if not isinstance(provider, Provider):
        raise UsageError(f"provider {name!r} does not implement the provider interface")
    return provider


def load_emitter(name: str) -> Emitter:
    emitter = _load("emitter", name, emitter_specs())
    if not isinstance(emitter, Emitter):
        raise UsageError(f"emitter {name!r} does not implement the emitter interface")
    return emitter
