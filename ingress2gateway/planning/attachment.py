"""Per generated route, what applies to it: the effective-policy view ``gwctl`` gives of a
live cluster, computed here from the output before anything is applied.

Policy attachment (GEP-713): a policy is any object whose ``spec.targetRef`` or
``spec.targetRefs`` names objects by group, kind and name in its own namespace, optionally
with a ``sectionName`` (a route's rule, a Gateway's listener). Nothing here knows a policy
kind: a policy reaches a route

* directly: it targets the route (``route``), or one rule of it (``rule``);
* through its Gateway: it targets a Gateway the route attaches to (``gateway``), or a
  listener of it the route attaches to (``listener``);
* through its backends: it targets an object the route sends requests to (``backend``:
  BackendTLSPolicy on a Service, say).

And a route's filters of type ``ExtensionRef`` name other objects (``filter``), which may or
may not be in the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingress2gateway.objects import JSONDict, ObjectRef

from .model import Attachment, RoutePolicies
from .prerequisites import object_ref

GATEWAY_GROUP = "gateway.networking.k8s.io"
_VIA_ORDER = ("route", "rule", "gateway", "listener", "backend", "filter")


@dataclass(frozen=True)
class _Target:
    policy: ObjectRef
    group: str
    kind: str
    namespace: str | None
    name: str
    section: str | None


def route_policies(resources: Sequence[JSONDict]) -> list[RoutePolicies]:
    targets = list(_targets(resources))
    present = {object_ref(body) for body in resources}
    listeners = _gateway_listeners(resources)
    found = []
    for body in resources:
        ref = object_ref(body)
        spec = body.get("spec")
        if not ref.kind.endswith("Route") or not isinstance(spec, dict):
            continue
        group = str(body.get("apiVersion", "")).rpartition("/")[0]
        attached = [
            *_direct(ref, group, targets),
            *_through_gateways(ref, spec, targets, listeners),
            *_through_backends(ref, spec, targets),
            *_filters(ref, spec, present),
        ]
        unique = list(dict.fromkeys(attached))
        unique.sort(key=lambda a: (_VIA_ORDER.index(a.via), a.policy, a.target))
        found.append(RoutePolicies(ref, tuple(unique)))
    found.sort(key=lambda r: (r.route.namespace or "", r.route.kind, r.route.name))
    return found


def _targets(resources: Sequence[JSONDict]) -> Iterator[_Target]:
    for body in resources:
        spec = body.get("spec")
        if not isinstance(spec, dict):
            continue
        refs = spec.get("targetRefs")
        listed = refs if isinstance(refs, list) else []
        if isinstance(spec.get("targetRef"), dict):
            listed = [*listed, spec["targetRef"]]
        policy = object_ref(body)
        for item in listed:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            yield _Target(
                policy,
                str(item.get("group", "")),
                str(item.get("kind", "")),
                # GEP-713 targets are local; an older form may name another namespace.
                item.get("namespace") or policy.namespace,
                item["name"],
                item.get("sectionName"),
            )


def _direct(route: ObjectRef, group: str, targets: list[_Target]) -> Iterator[Attachment]:
    for t in targets:
        if (t.group, t.kind, t.namespace, t.name) == (
            group,
            route.kind,
            route.namespace,
            route.name,
        ):
            if t.section:
                yield Attachment(t.policy, "rule", f"{route.display()} rule {t.section}")
            else:
                yield Attachment(t.policy, "route", route.display())


_Listeners = dict[tuple[str | None, str], list[str]]


def _gateway_listeners(resources: Sequence[JSONDict]) -> _Listeners:
    found: _Listeners = {}
    for body in resources:
        ref = object_ref(body)
        if ref.kind == "Gateway":
            found[ref.namespace, ref.name] = [
                str(item.get("name"))
                for item in (body.get("spec") or {}).get("listeners") or []
                if isinstance(item, dict)
            ]
    return found


def _through_gateways(
    route: ObjectRef, spec: JSONDict, targets: list[_Target], listeners: _Listeners
) -> Iterator[Attachment]:
    for parent in spec.get("parentRefs") or []:
        if not isinstance(parent, dict) or parent.get("kind", "Gateway") != "Gateway":
            continue
        if parent.get("group", GATEWAY_GROUP) != GATEWAY_GROUP:
            continue
        namespace = parent.get("namespace") or route.namespace
        name = parent.get("name")
        section = parent.get("sectionName")
        attached = [section] if section is not None else listeners.get((namespace, str(name)), [])
        gateway = ObjectRef("Gateway", namespace, str(name)).display()
        for t in targets:
            if (t.group, t.kind, t.namespace, t.name) != (
                GATEWAY_GROUP,
                "Gateway",
                namespace,
                name,
            ):
                continue
            if t.section is None:
                yield Attachment(t.policy, "gateway", gateway)
            elif t.section in attached:
                yield Attachment(t.policy, "listener", f"{gateway} listener {t.section}")


def _rules(spec: JSONDict) -> Iterator[JSONDict]:
    for rule in spec.get("rules") or []:
        if isinstance(rule, dict):
            yield rule


def _through_backends(
    route: ObjectRef, spec: JSONDict, targets: list[_Target]
) -> Iterator[Attachment]:
    for rule in _rules(spec):
        for backend in rule.get("backendRefs") or []:
            if not isinstance(backend, dict):
                continue
            key = (
                str(backend.get("group", "")),
                str(backend.get("kind", "Service")),
                backend.get("namespace") or route.namespace,
                backend.get("name"),
            )
            for t in targets:
                if (t.group, t.kind, t.namespace, t.name) == key:
                    where = ObjectRef(t.kind, t.namespace, t.name).display()
                    yield Attachment(t.policy, "backend", where)


def _filters(route: ObjectRef, spec: JSONDict, present: set[ObjectRef]) -> Iterator[Attachment]:
    for rule in _rules(spec):
        filters = list(rule.get("filters") or [])
        for backend in rule.get("backendRefs") or []:
            if isinstance(backend, dict):
                filters.extend(backend.get("filters") or [])
        for item in filters:
            if not isinstance(item, dict) or item.get("type") != "ExtensionRef":
                continue
            ext = item.get("extensionRef")
            if not isinstance(ext, dict) or not isinstance(ext.get("name"), str):
                continue
            ref = ObjectRef(str(ext.get("kind", "")), route.namespace, ext["name"])
            yield Attachment(ref, "filter", f"{route.display()} filter", ref in present)
