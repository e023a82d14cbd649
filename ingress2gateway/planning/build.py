""":func:`make_plan`: the migration plan of a conversion, from its result alone (plus, when
given, the input objects and what ``verify`` found)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ingress2gateway.objects import KubeObject, ObjectRef, SourceRef
from ingress2gateway.reporting.report import Report

from .attachment import route_policies
from .checklist import checklist, object_statuses
from .cutover import cutover
from .model import Plan, UnexplainedDifference, Verification
from .prerequisites import prerequisites
from .review import foreign_annotations

if TYPE_CHECKING:
    from ingress2gateway.converting.pipeline import Result
    from ingress2gateway.verification.compare import VerifyResult


def make_plan(
    result: Result,
    verified: VerifyResult | None = None,
    *,
    inputs: Iterable[KubeObject] | None = None,
    not_verified: str | None = None,
) -> Plan:
    """The migration plan of ``result`` (from :func:`ingress2gateway.convert`, whose
    ``resources`` it reads: not a streamed conversion's).

    ``verified``: what :func:`ingress2gateway.verify` found for this result; without it,
    ``not_verified`` says why (shown in the plan). ``inputs``: the objects that were
    converted, for the values of other tools' annotations and to know which referenced
    Secrets the input defines (without them, every referenced Secret is listed).
    """
    report = result.report
    resources = result.resources
    sources_of = _sources_of(report)
    routes_of: dict[SourceRef, list[ObjectRef]] = {}
    for ref, sources in sources_of.items():
        if ref.kind.endswith("Route"):
            for source in sources:
                routes_of.setdefault(source, []).append(ref)
    objects = list(inputs) if inputs is not None else None
    defined = None
    values: dict[SourceRef, Mapping[str, str]] | None = None
    if objects is not None:
        defined = {(o.kind, o.namespace, o.name or "") for o in objects}
        values = {o.source(): o.annotations for o in objects}
    steps = checklist(report)
    return Plan(
        tool=_tool(result),
        target=result.target.to_json(),
        teams=tuple(object_statuses(report, steps, routes_of)),
        checklist=tuple(steps),
        prerequisites=tuple(prerequisites(report, resources, sources_of, defined)),
        review=tuple(foreign_annotations(report, _known_keys(result.providers), values)),
        cutover=tuple(cutover(resources, sources_of)),
        verification=_verification(verified, not_verified),
        routes=tuple(route_policies(resources)),
    )


def _tool(result: Result) -> dict[str, object]:
    from ingress2gateway._version import __version__

    return {
        "name": "ingress2gateway",
        "version": __version__,
        "providers": list(result.providers),
        "emitter": result.emitter,
    }


def _sources_of(report: Report) -> dict[ObjectRef, list[SourceRef]]:
    """Each output object → the input objects whose fields went into it (the ledger's
    targets), in source order."""
    found: dict[ObjectRef, dict[SourceRef, None]] = {}
    for entry in report.ledger.values():
        for ref in entry.targets:
            found.setdefault(ref, {})[entry.source] = None
    return {ref: sorted(sources, key=SourceRef.sort_key) for ref, sources in found.items()}


def _known_keys(providers: Iterable[str]) -> set[str]:
    """The annotation keys (and fields) the providers' catalogs name."""
    from ingress2gateway.registry import load_provider

    known: set[str] = set()
    for name in providers:
        known.update(row.key for row in load_provider(name).catalog_rows())
    return known


def _verification(verified: VerifyResult | None, not_verified: str | None) -> Verification:
    if verified is None:
        return Verification(False, not_verified or "verify was not run")
    unexplained = tuple(
        UnexplainedDifference(
            d.request.display(),
            d.source.outcome.display(),
            d.target.outcome.display(),
            d.subject.display() if d.subject is not None else None,
        )
        for d in verified.unexplained
    )
    return Verification(
        True,
        None,
        verified.requests,
        len(verified.differences),
        len(verified.differences) - len(unexplained),
        unexplained,
    )
