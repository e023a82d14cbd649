"""Finding providers and emitters by name.

Every provider and emitter, the built-in ones included, comes from the entry-point groups
``ingress2gateway.providers`` and ``ingress2gateway.emitters`` (this package declares its own in
pyproject.toml, so running from a source tree needs ``pip install -e .``). The core names no
provider: aliases come from the providers themselves. Nothing is imported until it is asked for,
so ``--help`` stays fast, and a plug-in that fails to load, or lacks a member of its protocol, is
reported by name in one line instead of breaking the whole tool.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ingress2gateway.errors import UsageError
from ingress2gateway.objects import KubeObject, kinds_as_read
from ingress2gateway.plugin import Emitter, OptionSpec, Provider, protocol_members
from ingress2gateway.reporting.codes import CODES as CORE_CODES
from ingress2gateway.reporting.report import Recorder

PROVIDER_GROUP = "ingress2gateway.providers"
EMITTER_GROUP = "ingress2gateway.emitters"
OWN_DISTRIBUTION = "ingress2gateway"
"""The distribution whose entry points are the built-ins (their docs are generated)."""


@dataclass(frozen=True)
class PluginSpec:
    name: str
    target: str
    """``module:attribute``"""
    distribution: str | None
    """The installed distribution that declares it (None: unknown)."""

    @property
    def builtin(self) -> bool:
        return self.distribution == OWN_DISTRIBUTION

    @property
    def origin(self) -> str:
        return "built-in" if self.builtin else f"package {self.distribution or 'unknown'}"


@functools.cache
def _discover(group: str) -> dict[str, list[PluginSpec]]:
    found: dict[str, list[PluginSpec]] = {}
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else None
        specs = found.setdefault(ep.name, [])
        # The same distribution seen twice (an editable install beside a built one, two
        # entries of sys.path) is not a clash.
        if any(spec.target == ep.value for spec in specs):
            continue
        specs.append(PluginSpec(ep.name, ep.value, dist))
    return found


_generation = 0


def rediscover() -> None:
    """Forget what was discovered and loaded: the next call reads the entry points again
    (after a plug-in was installed in this process, and in tests)."""
    global _generation
    _generation += 1
    _discover.cache_clear()
    _aliases.cache_clear()
    _installed.cache_clear()


def generation() -> int:
    """How many times :func:`rediscover` ran: what is built from the plug-ins (the CLI's flags)
    is stale once this changes."""
    return _generation


def provider_specs() -> dict[str, list[PluginSpec]]:
    return _discover(PROVIDER_GROUP)


def emitter_specs() -> dict[str, list[PluginSpec]]:
    return _discover(EMITTER_GROUP)


def provider_names() -> list[str]:
    return sorted(provider_specs())


def emitter_names() -> list[str]:
    return sorted(emitter_specs())


@functools.cache
def _aliases() -> dict[str, list[str]]:
    """Alias → the providers that claim it. Loads every provider; one that fails to load
    claims nothing (it is reported when it is asked for by name)."""
    claimed: dict[str, list[str]] = {}
    for name in provider_names():
        try:
            provider = load_provider(name)
        except UsageError:
            continue
        for alias in provider.aliases:
            claimed.setdefault(alias, []).append(name)
    return claimed


def canonical_provider(name: str) -> str:
    """The provider's own name for ``name`` (a name, or an alias a provider declares); an
    unknown name is returned as it is, for :func:`load_provider` to refuse."""
    if name in provider_specs():
        return name  # a name beats an alias, and needs no provider loaded
    owners = _aliases().get(name, [])
    if len(owners) > 1:
        raise UsageError(f"provider alias {name!r} is claimed by {', '.join(owners)}; use a name")
    return owners[0] if owners else name


def _load(kind: str, name: str, specs: dict[str, list[PluginSpec]], protocol: type) -> Any:
    candidates = specs.get(name)
    if not candidates:
        known = ", ".join(sorted(specs)) or "none (is ingress2gateway installed? pip install -e .)"
        raise UsageError(f"unknown {kind} {name!r}; known {kind}s: {known}")
    if len(candidates) > 1:
        owners = ", ".join(spec.distribution or "unknown" for spec in candidates)
        raise UsageError(
            f"{kind} {name!r} is provided by several packages ({owners}); uninstall one"
        )
    spec = candidates[0]
    module_name, _, attribute = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
        plugin = getattr(module, attribute) if attribute else module
    except Exception as exc:  # a broken plug-in must not take the tool down with it
        raise UsageError(
            f"{kind} {name!r} ({spec.origin}) failed to load: {type(exc).__name__}: {exc}"
        ) from None
    _check(kind, spec, plugin, protocol)
    return plugin


def check_plugin(kind: str, plugin: object) -> None:
    """UsageError unless ``plugin`` (a ``provider`` or an ``emitter`` a script made itself)
    has every member of its protocol, well formed."""
    protocol = Provider if kind == "provider" else Emitter
    name = getattr(plugin, "name", type(plugin).__name__)
    _check_members(kind, f"{kind} object {name!r} ({type(plugin).__name__})", plugin, protocol)


def _check(kind: str, spec: PluginSpec, plugin: Any, protocol: type) -> None:
    where = f"{kind} {spec.name!r} ({spec.origin}, {spec.target})"
    _check_members(kind, where, plugin, protocol)
    if plugin.name != spec.name:
        raise UsageError(f"{where} is named {plugin.name!r}; its entry point must be too")


def _check_members(kind: str, where: str, plugin: Any, protocol: type) -> None:
    """The members of the protocol, and the shape of those the core reads as data."""
    base = f"ingress2gateway.plugin.{kind.capitalize()}Base"
    missing = [member for member in protocol_members(protocol) if not hasattr(plugin, member)]
    if missing:
        raise UsageError(
            f"{where} lacks {', '.join(missing)} of the {kind} interface (subclass {base} for "
            "the optional hooks' defaults)"
        )
    options = plugin.options
    if not isinstance(options, tuple) or not all(isinstance(o, OptionSpec) for o in options):
        raise UsageError(f"{where}: options must be a tuple of ingress2gateway.plugin.OptionSpec")
    if len({o.name for o in options}) != len(options):
        raise UsageError(f"{where}: an option is declared twice")
    codes = plugin.codes
    if not isinstance(codes, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in codes.items()
    ):
        raise UsageError(f"{where}: codes must map each code to a one-line meaning")
    taken = sorted(set(codes) & set(CORE_CODES))
    if taken:
        raise UsageError(f"{where} redefines the core's notification code(s) {', '.join(taken)}")


def load_provider(name: str) -> Provider:
    """The provider ``name`` (or an alias of it). UsageError: unknown, ambiguous, failing to
    load, or not a provider."""
    provider: Provider = _load("provider", canonical_provider(name), provider_specs(), Provider)
    return provider


def load_emitter(name: str) -> Emitter:
    emitter: Emitter = _load("emitter", name, emitter_specs(), Emitter)
    return emitter


def option_spec(kind: str, plugin: Provider | Emitter, key: str) -> OptionSpec:
    """The option ``key`` of ``plugin``; UsageError naming the plug-in and its options."""
    for spec in plugin.options:
        if spec.name == key:
            return spec
    return _unknown_option(kind, plugin, key)


def _unknown_option(kind: str, plugin: Provider | Emitter, key: str) -> OptionSpec:
    known = ", ".join(o.name for o in plugin.options) or "none"
    raise UsageError(f"{kind} {plugin.name} has no option {key!r}; its options: {known}")


def provider_options(given: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """``(provider or alias, key, value)`` settings checked against the providers' options
    schemas: ``{provider name: {key: value}}``, values in their normal form
    (:meth:`OptionSpec.normal`). UsageError names the provider and what it accepts, or the
    setting given twice with different values."""
    checked: dict[str, dict[str, str]] = {}
    for name, key, value in given:
        provider = load_provider(name)
        own = checked.setdefault(provider.name, {})
        _set(
            own,
            f"provider option {provider.name}.{key}",
            option_spec("provider", provider, key),
            value,
        )
    return checked


def emitter_options(emitter: Emitter, given: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(key, value)`` settings checked against ``emitter``'s options schema, values in their
    normal form."""
    checked: dict[str, str] = {}
    for key, value in given:
        _set(
            checked,
            f"emitter option {emitter.name} {key}",
            option_spec("emitter", emitter, key),
            value,
        )
    return checked


def _set(settings: dict[str, str], what: str, spec: OptionSpec, value: str) -> None:
    try:
        normal = spec.normal(value)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc} ({spec.help})") from None
    if settings.get(spec.name, normal) != normal:
        raise UsageError(f"{what} is given twice: {settings[spec.name]!r} and {normal!r}")
    settings[spec.name] = normal


# --- notification codes: the core's and the plug-ins' ---------------------------------


def plugin_codes(builtin_only: bool = False) -> dict[str, str]:
    """The codes of installed providers and emitters (only this package's with
    ``builtin_only``), each meaning prefixed with ``(NAME)``. One that fails to load has none."""
    found: dict[str, str] = {}
    for specs, load in ((provider_specs(), load_provider), (emitter_specs(), load_emitter)):
        for name, candidates in sorted(specs.items()):
            if builtin_only and not all(spec.builtin for spec in candidates):
                continue
            try:
                plugin = load(name)
            except UsageError:
                continue
            for code, meaning in plugin.codes.items():
                found.setdefault(code, f"({plugin.name}) {meaning}")
    return found


@functools.cache
def _installed() -> dict[str, str]:
    return plugin_codes()


def describe(code: str) -> str:
    """The one-line meaning of ``code`` (the core's, or an installed plug-in's); the code itself
    when nothing documents it. Loads the plug-ins only for a code the core does not have."""
    return CORE_CODES.get(code) or _installed().get(code, code)


# --- which providers an input needs ----------------------------------------------------------

SUPPORTING_KINDS = frozenset({("", "Service"), ("networking.k8s.io", "IngressClass")})
"""Kinds providers read beside their own (a Service, an IngressClass): they do not say which
provider an input is for."""


def providers_reading(objects: Iterable[KubeObject], report: Recorder) -> list[Provider]:
    """The installed providers that read some kind present in ``objects`` (when no provider is
    named: ``check`` as pre-commit calls it, and ``convert`` without ``providers``). One that
    fails to load is a warning in ``report``, not fatal."""
    kinds = kinds_as_read(objects)
    chosen = []
    for name in provider_names():
        try:
            provider = load_provider(name)
        except UsageError as exc:
            report.warning("provider-unavailable", str(exc))
            continue
        reads = {(r.group, r.kind) for r in provider.resources} - SUPPORTING_KINDS
        if reads & kinds:
            chosen.append(provider)
    return chosen
