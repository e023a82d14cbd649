"""``verify`` end to end: the source models of the selected providers against the output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.verification.compare import VerifyResult, compare
from ingress2gateway.verification.model import NoRoute, Request, Routed, SourceModel


class _Together:
    """The source models of several providers as one data plane: each answers for what its
    controller serves; a request only one of them takes gets that one's answer."""

    def __init__(self, models: Sequence[SourceModel]) -> None:
        self.models = list(models)

    def requests(self) -> Iterable[Request]:
        for model in self.models:
            yield from model.requests()

    def route(self, request: Request) -> Routed:
        answers = [model.route(request) for model in self.models]
        taken = [
            a for a in answers if not (isinstance(a.outcome, NoRoute) and a.outcome.status == 0)
        ]
        if not taken:
            return answers[0] if answers else Routed(NoRoute(0, "no controller"))
        first = taken[0]
        if all(a.outcome == first.outcome for a in taken[1:]):
            return first
        return Routed(
            NoRoute(0, f"{len(taken)} controllers take this request and answer differently"),
            tuple(c for a in taken for c in a.causes),
        )


def intended_differences(providers: Sequence[str]) -> frozenset[str]:
    """The codes by which ``providers`` announce differences on purpose (see
    :attr:`~ingress2gateway.plugin.Provider.intended_differences`)."""
    from ingress2gateway.registry import load_provider

    return frozenset().union(*(load_provider(name).intended_differences for name in providers))


def source_model(
    objects: Sequence[KubeObject], providers: Sequence[str], options: ConvertOptions
) -> SourceModel:
    """The model of the controllers of ``providers`` over ``objects``."""
    from ingress2gateway.registry import canonical_provider, load_provider

    models = []
    for name in providers:
        # A provider without a model says so (UsageError) from its controller_model.
        model = load_provider(canonical_provider(name)).controller_model(objects, options)
        if model is not None:
            models.append(model)
    return models[0] if len(models) == 1 else _Together(models)


def verify(
    objects: Iterable[KubeObject | Mapping[str, Any]],
    output: Sequence[Mapping[str, Any]] | None = None,
    providers: str | Sequence[str] | None = None,
    emitter: str = "standard",
    *,
    options: ConvertOptions | None = None,
    report: Recorder | None = None,
    gateway_api_version: str | None = None,
    channel: str = "standard",
    emitter_options: Mapping[str, str] | None = None,
) -> VerifyResult:
    """Whether ``output`` (the migration of ``objects``; None: converted here) routes every
    request that matters as the source controllers did. ``providers``: names; by default,
    every installed provider that reads a kind of the input.

    Differences are explained by ``report`` (the conversion's; made here when the output is):
    a difference no warning or error of the report announces is *unexplained*.
    """
    from ingress2gateway.converting.pipeline import (
        as_objects,
        convert,
        providers_for,
        requested_providers,
    )

    inputs = as_objects(objects)
    if providers is None:
        report = report if report is not None else Recorder()
        names = [provider.name for provider in providers_for(inputs, report)]
    else:
        names = requested_providers(providers)
    options = options or ConvertOptions()
    if output is None:
        report = report if report is not None else Recorder()
        result = convert(
            inputs,
            names,
            emitter,
            options=options,
            gateway_api_version=gateway_api_version,
            channel=channel,
            report=report,
            emitter_options=emitter_options,
        )
        output = result.resources
    model = source_model(inputs, names, options)
    intended = intended_differences(names)
    return compare(model, model.requests(), [dict(o) for o in output], report, intended)
