"""The cluster prerequisites, each once: what the conversion said
(:attr:`~ingress2gateway.reporting.report.Report.prerequisites`), and what the output
objects show — the GatewayClasses the Gateways name, the Secrets and ConfigMaps they
reference that the input does not define, and the ReferenceGrants to apply in the
namespaces they open.

Read from the objects generically (any reference of kind Secret or ConfigMap, anywhere in a
spec), so that a new emitter's references are found without teaching this module its kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.reporting.report import Need, Report

from .model import PlannedPrerequisite

_REFERENCED = {"Secret": Need.SECRET, "ConfigMap": Need.OTHER}


def prerequisites(
    report: Report,
    resources: Sequence[JSONDict],
    sources_of: Mapping[ObjectRef, Iterable[SourceRef]],
    defined: set[tuple[str, str | None, str]] | None,
) -> list[PlannedPrerequisite]:
    """The report's prerequisites, then those read from ``resources`` that the report does
    not name (their sources added to the report's when it does). ``defined``: the (kind,
    namespace, name) of the input objects, or None when they are not known (then every
    referenced Secret is listed, to check it exists)."""
    merged: dict[tuple[Need, str], tuple[str, dict[SourceRef, None], str]] = {}
    for said in report.prerequisites:
        merged[said.need, said.subject] = (said.action, dict.fromkeys(said.sources), "report")
    for need, subject, action, refs, namespace in _from_output(resources, defined):
        sources = {s: None for ref in refs for s in sources_of.get(ref, ())}
        local = {s: None for s in sources if namespace and s.namespace == namespace}
        # A Secret or ConfigMap is read in its namespace: the objects of that namespace
        # need it (a shared Gateway is made of every namespace's Ingresses).
        sources = local or sources
        found = merged.get((need, subject))
        if found is None:
            merged[need, subject] = (action, sources, "output")
        else:
            found[1].update(sources)
    listed = [
        PlannedPrerequisite(
            need, subject, action, tuple(sorted(sources, key=SourceRef.sort_key)), origin
        )
        for (need, subject), (action, sources, origin) in merged.items()
    ]
    listed.sort(key=lambda p: (p.need.rank, p.subject))
    return listed


def _from_output(
    resources: Sequence[JSONDict], defined: set[tuple[str, str | None, str]] | None
) -> Iterator[tuple[Need, str, str, list[ObjectRef], str | None]]:
    """(need, subject, action, the output objects that need it, the namespace it is in when
    it is a referenced object)."""
    classes: dict[str, list[ObjectRef]] = {}
    referenced: dict[tuple[str, str | None, str], dict[ObjectRef, None]] = {}
    for body in resources:
        ref = object_ref(body)
        spec = body.get("spec")
        if not isinstance(spec, dict):
            continue
        if ref.kind == "Gateway" and isinstance(spec.get("gatewayClassName"), str):
            classes.setdefault(spec["gatewayClassName"], []).append(ref)
        if ref.kind == "ReferenceGrant":
            yield (
                Need.REFERENCE_GRANT,
                f"ReferenceGrant {ref.namespace}/{ref.name}",
                _grant_action(ref, spec),
                [ref],
                None,
            )
            continue
        for kind, namespace, name in _references(spec, ref.namespace):
            referenced.setdefault((kind, namespace, name), {})[ref] = None
    for name in sorted(classes):
        yield (
            Need.GATEWAY_CLASS,
            f"GatewayClass {name}",
            "create it (or check it exists) with the controllerName of your Gateway API "
            "implementation: the Gateways name it",
            classes[name],
            None,
        )
    for (kind, namespace, name), users in sorted(referenced.items(), key=lambda i: str(i[0])):
        if defined is not None and (kind, namespace, name) in defined:
            continue
        who = ", ".join(u.display() for u in users)
        yield (
            _REFERENCED[kind],
            f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}",
            f"check it exists before applying (the input does not define it): {who} "
            "reference(s) it",
            list(users),
            namespace,
        )


def object_ref(body: JSONDict) -> ObjectRef:
    metadata = body.get("metadata") or {}
    return ObjectRef(str(body.get("kind", "")), metadata.get("namespace"), metadata.get("name", ""))


def _references(value: Any, namespace: str | None) -> Iterator[tuple[str, str | None, str]]:
    """(kind, namespace, name) of every Secret or ConfigMap reference in ``value``: a mapping
    with ``kind`` and ``name`` in the core group (``group`` empty or absent)."""
    if isinstance(value, dict):
        kind, name = value.get("kind"), value.get("name")
        if kind in _REFERENCED and isinstance(name, str) and not value.get("group"):
            yield kind, value.get("namespace") or namespace, name
            return
        for item in value.values():
            yield from _references(item, namespace)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, namespace)


def _grant_action(ref: ObjectRef, spec: JSONDict) -> str:
    froms = sorted(
        {
            f"{item.get('kind')} in {item.get('namespace')}"
            for item in spec.get("from") or []
            if isinstance(item, dict)
        }
    )
    tos = sorted(
        {
            f"{item.get('kind')} {item['name']}"
            if item.get("name")
            else f"every {item.get('kind')}"
            for item in spec.get("to") or []
            if isinstance(item, dict)
        }
    )
    return (
        f"apply it in namespace {ref.namespace}, with the rest of the output: it lets "
        f"{', '.join(froms) or 'nothing'} reference {', '.join(tos) or 'nothing'} there; the "
        f"owners of {ref.namespace} must agree"
    )
