"""What a conversion is asked to do: a :class:`Plan` (the providers and emitter, their options,
the target and what the gate does), made from what a caller gives, by name or as objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ingress2gateway.errors import UsageError
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions, Emitter, Provider
from ingress2gateway.registry import (
    canonical_provider,
    check_plugin,
    load_emitter,
    load_provider,
    providers_reading,
)
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.target import Target


@dataclass(frozen=True)
class Plan:
    """How to convert: the providers and emitter, what they are told, and what the gate does
    with the objects made (validate them on ``target``; print invalid ones or not)."""

    providers: tuple[Provider, ...]
    emitter: Emitter
    target: Target
    options: ConvertOptions = field(default_factory=ConvertOptions)
    emitter_options: Mapping[str, str] = field(default_factory=dict)
    validate: bool = True
    emit_invalid: bool = False

    @property
    def provider_names(self) -> list[str]:
        return [provider.name for provider in self.providers]


ProvidersArg = str | Provider | Sequence[str | Provider] | None


EmitterArg = str | Emitter | None


TargetArg = Target | str | None


def make_plan(
    providers: ProvidersArg = None,
    emitter: EmitterArg = None,
    *,
    target: TargetArg = None,
    options: ConvertOptions | None = None,
    emitter_options: Mapping[str, str] | None = None,
    validate: bool = True,
    emit_invalid: bool = False,
    gateway_api_version: str | None = None,
    channel: str | None = None,
) -> Plan:
    """A :class:`Plan` from what a caller gives: providers and an emitter by name or as
    objects, a target as a :class:`~ingress2gateway.target.Target` or a version (``"v1.5"``;
    ``gateway_api_version`` and ``channel`` are the older spelling). Raises
    :class:`~ingress2gateway.errors.UsageError` for what is unknown."""
    if isinstance(target, Target):
        if gateway_api_version is not None or channel is not None:
            raise UsageError("give the target either as a Target or as a version, not both")
        chosen = target
    else:
        if target is not None and gateway_api_version is not None:
            raise UsageError("give the Gateway API version once (target or gateway_api_version)")
        chosen = Target.parse(target or gateway_api_version, channel or "standard")
    chosen_emitter = resolve_emitter(emitter)
    return Plan(
        providers=tuple(resolve_providers(providers)),
        emitter=chosen_emitter,
        target=chosen,
        options=with_emitter_class(options or ConvertOptions(), chosen_emitter),
        emitter_options=dict(emitter_options or {}),
        validate=validate,
        emit_invalid=emit_invalid,
    )


def with_emitter_class(options: ConvertOptions, emitter: Emitter) -> ConvertOptions:
    """``options`` with the emitter's GatewayClass where the caller chose none: an emitter for
    one implementation knows the class that implementation installs, where a provider can only
    guess from the ingress class."""
    if options.gateway_class_name or not emitter.gateway_class:
        return options
    return replace(options, gateway_class_name=emitter.gateway_class)


def providers_for(objects: list[KubeObject], report: Recorder) -> list[Provider]:
    """When a caller names no provider: every installed provider that reads a kind of
    ``objects`` (as ``check`` does). UsageError when none does."""
    found = providers_reading(objects, report)
    if not found:
        raise UsageError(
            "no installed provider reads any object of the input; name the providers to use"
        )
    return found


def resolve_providers(providers: ProvidersArg) -> list[Provider]:
    """Providers by name (``"nginx"``, ``"nginx,istio"``, an alias) or given as objects, each
    once, in the order given."""
    if providers is None:
        raise UsageError("no provider given: name at least one installed provider")
    given: list[object] = (
        list(providers)
        if isinstance(providers, Sequence) and not isinstance(providers, str)
        else [providers]
    )
    found: dict[str, Provider] = {}
    for item in given:
        if isinstance(item, str):
            for name in requested_providers(item):
                found.setdefault(canonical_provider(name), load_provider(name))
        elif isinstance(item, (bytes, int, float, type(None))):
            raise UsageError(f"a provider is a name or a Provider object, not {item!r}")
        else:
            check_plugin("provider", item)
            provider: Provider = item  # type: ignore[assignment]  # checked just above
            found.setdefault(provider.name, provider)
    if not found:
        raise UsageError("no provider given: name at least one installed provider")
    return list(found.values())


def resolve_emitter(emitter: EmitterArg) -> Emitter:
    if emitter is None:
        return load_emitter("standard")
    if isinstance(emitter, str):
        return load_emitter(emitter)
    if isinstance(emitter, (bytes, int, float)):
        raise UsageError(f"an emitter is a name or an Emitter object, not {emitter!r}")
    check_plugin("emitter", emitter)
    return emitter


def requested_providers(providers: str | Sequence[str]) -> list[str]:
    """Provider names: ``"nginx"`` and ``"nginx,istio"`` are names too, not letters."""
    given = [providers] if isinstance(providers, str) else list(providers)
    for name in given:
        if not isinstance(name, str):
            raise UsageError(f"providers are given by name, not as {type(name).__name__}")
    return [part.strip() for name in given for part in name.split(",") if part.strip()]
