"""Selecting the input: the objects of the namespace asked for, each once, and only those that
could exist; plain mappings from a library caller become input objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ingress2gateway.errors import UsageError
from ingress2gateway.objects import (
    DOCUMENTS_GROUP,
    KubeObject,
    Origin,
    nesting_problem,
    why_impossible,
)
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder, Status

CLUSTER_SCOPED_KINDS = frozenset(
    {"IngressClass", "GatewayClass", "Namespace", "CustomResourceDefinition"}
)


def select(
    objects: Iterable[KubeObject | Mapping[str, Any]], options: ConvertOptions, report: Recorder
) -> list[KubeObject]:
    """The objects to convert: those of the namespace asked for (and cluster-scoped ones),
    each once, and only those that could exist (see :func:`_well_formed`)."""
    return _well_formed(_select_namespace(as_objects(objects), options.namespace), report)


def as_objects(objects: Iterable[KubeObject | Mapping[str, Any]]) -> list[KubeObject]:
    """``objects`` as input objects: a mapping (a manifest loaded by the caller) becomes one,
    its origin ``<input>`` and its place in ``objects``."""
    if isinstance(objects, Mapping):
        raise UsageError("convert takes a list of objects; wrap a single object in a list")
    found: list[KubeObject] = []
    for index, item in enumerate(objects):
        if isinstance(item, KubeObject):
            found.append(item)
        elif isinstance(item, Mapping):
            found.append(KubeObject(dict(item), Origin(LIBRARY_INPUT, None, index)))
        else:
            raise UsageError(
                f"object {index} is a {type(item).__name__}; convert takes mappings or "
                "the objects load_manifests returns"
            )
    return found


LIBRARY_INPUT = "<input>"
"""The file named for objects a library caller handed over as mappings."""


def _select_namespace(objects: list[KubeObject], namespace: str | None) -> list[KubeObject]:
    if namespace is None:
        return objects
    # A document (an OpenAPI description) lives in no namespace: like a cluster-scoped
    # object, it is read whatever -n names.
    return [
        o
        for o in objects
        if o.namespace == namespace or o.kind in CLUSTER_SCOPED_KINDS or o.group == DOCUMENTS_GROUP
    ]


def _well_formed(objects: list[KubeObject], report: Recorder) -> list[KubeObject]:
    """Objects that could exist under their name (the reader already skips the others; a
    caller may construct objects itself), each once: when the input defines the same object
    twice, the later definition is used, as ``kubectl apply`` would leave it."""
    latest: dict[tuple[str, str, str | None, str | None], KubeObject] = {}
    for obj in objects:
        problem = None if obj.well_formed else nesting_problem(obj.data) or why_impossible(obj.data)
        if problem is not None:
            message = f"{obj.kind or 'object'} {problem}; it is skipped"
            report.error("input-invalid", message, source=obj.source())
            report.record(obj.source(), "spec", Status.UNSUPPORTED, note=message)
            continue
        key = obj.identity
        earlier = latest.get(key)
        if earlier is not None:
            message = (
                f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name} is defined "
                f"again at {obj.origin.file}:{obj.origin.line}; as with kubectl apply, the later "
                "definition is the one converted"
            )
            report.warning("input-duplicate", message, source=earlier.source())
            report.record(earlier.source(), "spec", Status.IGNORED, note=message)
        latest[key] = obj
    kept = set(map(id, latest.values()))
    return [obj for obj in objects if id(obj) in kept]
