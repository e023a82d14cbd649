"""What the Kong Ingress Controller's store holds: the objects it serves and their lookups.

Written from ``Kong/kubernetes-ingress-controller`` (v3.5, ``internal/store/store.go``):

* **Ingress class.** KIC serves one class (``--ingress-class``, ``kong`` by default; here the
  classes ``--ingress-class`` names, else ``kong``, plus every IngressClass of the
  ``ingress-controllers.konghq.com/kong`` controller in the input). An Ingress's class is its
  ``kubernetes.io/ingress.class`` annotation when that is not empty, else
  ``spec.ingressClassName`` (``ListIngressesV1``: the annotation is looked at first). An Ingress
  with neither is served only when the class's IngressClass is marked default
  (``ingressclass.kubernetes.io/is-default-class``), or when ``--default-ingress-class`` says
  the cluster's default was a Kong class.
* TCPIngress, UDPIngress, KongClusterPlugins and KongServiceFacades are matched on the
  annotation alone, exactly, or also without one when the class is the default
  (``getIngressClassHandling``; their reconcilers, ``MatchesIngressClass``, drop the others).
* KongPlugin references: ``name`` is the KongPlugin of the referrer's namespace, else the
  KongClusterPlugin of that name; ``namespace:name`` a KongPlugin of another namespace, allowed
  only by a ReferenceGrant from the referrer's kind (``kongstate.go``,
  ``extractReferredPluginNamespaceIfAllowed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions

KONG_GROUP = "configuration.konghq.com"
FACADE_GROUP = "incubator.ingress-controller.konghq.com"
KONG_CONTROLLER = "ingress-controllers.konghq.com/kong"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_GROUPS = ("networking.k8s.io", "extensions")


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Store:
    """The objects of one input as KIC's store lists them."""

    ingresses: list[KubeObject] = field(default_factory=list)
    tcp_ingresses: list[KubeObject] = field(default_factory=list)
    udp_ingresses: list[KubeObject] = field(default_factory=list)
    services: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    plugins: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    cluster_plugins: dict[str, KubeObject] = field(default_factory=dict)
    global_plugins: list[KubeObject] = field(default_factory=list)
    kong_ingresses: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    facades: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    reference_grants: list[KubeObject] = field(default_factory=list)
    unclassed: set[tuple[str, tuple[str, str]]] = field(default_factory=set)
    """(kind, (namespace, name)) of KongClusterPlugins and KongServiceFacades KIC left out: they
    lack Kong's class annotation."""
    ignored_globals: list[KubeObject] = field(default_factory=list)
    ignored_streams: list[KubeObject] = field(default_factory=list)
    """TCPIngresses and UDPIngresses without class, KIC's only when its class is the default."""
    class_fields: dict[int, str] = field(default_factory=dict)
    """``id()`` of a served Ingress → the field that gave it its class ("" for the default)."""
    ignored: list[tuple[KubeObject, str]] = field(default_factory=list)
    """Ingresses whose ``spec.ingressClassName`` is Kong's but whose class annotation, which
    KIC reads first, is not; with that annotation's field."""
    legacy_regex: bool = False
    """IngressClassParameters ``enableLegacyRegexDetection`` of the served class."""

    def service_port(self, namespace: str, name: str, port: int | str) -> int | str:
        """A named Service port as its number (the Service's ``ports[].name``), else as given:
        the Kong upstream is ``<service>.<namespace>.<port>.svc`` either way
        (``getUpstreams`` resolves the name against the Service)."""
        if isinstance(port, int):
            return port
        service = self.services.get((namespace, name))
        if service is None:
            return port
        for entry in sequence(service.spec.get("ports")):
            entry = mapping(entry)
            number = entry.get("port")
            if (
                entry.get("name") == port
                and isinstance(number, int)
                and not isinstance(number, bool)
            ):
                return number
        return port

    def plugin(
        self, referrer_kind: str, referrer_group: str, namespace: str, ref: str
    ) -> KubeObject | None:
        """The KongPlugin or KongClusterPlugin ``ref`` names from ``namespace``."""
        remote, _, name = ref.rpartition(":")
        if remote:
            if not self._granted(referrer_kind, referrer_group, namespace, remote, name):
                return None
            return self.plugins.get((remote, name))
        return self.plugins.get((namespace, name)) or self.cluster_plugins.get(name)

    def _granted(self, kind: str, group: str, source_ns: str, target_ns: str, name: str) -> bool:
        for grant in self.reference_grants:
            if (grant.namespace or "default") != target_ns:
                continue
            spec = grant.spec
            sources = any(
                mapping(f).get("kind") == kind
                and (mapping(f).get("group") or "") == group
                and mapping(f).get("namespace") == source_ns
                for f in sequence(spec.get("from"))
            )
            targets = any(
                mapping(t).get("kind") == "KongPlugin"
                and mapping(t).get("group") == KONG_GROUP
                and mapping(t).get("name") in (None, "", name)
                for t in sequence(spec.get("to"))
            )
            if sources and targets:
                return True
        return False


def _owned_classes(
    objects: Sequence[KubeObject], options: ConvertOptions
) -> tuple[set[str], bool, dict[str, KubeObject]]:
    """The class names KIC serves, whether one of them is the cluster's default class, and
    the IngressClasses by name."""
    classes = {
        obj.name: obj
        for obj in objects
        if obj.kind == "IngressClass" and obj.group == "networking.k8s.io" and obj.name
    }
    owned = set(options.ingress_classes or ("kong",))
    default = False
    if options.default_ingress_class and not options.ingress_classes:
        owned.add(options.default_ingress_class)
        default = True
    for name, obj in classes.items():
        controller = text(obj.spec.get("controller"))
        if controller == KONG_CONTROLLER:
            owned.add(name)
        elif name in owned and controller and not options.ingress_classes:
            owned.discard(name)  # the input says this class belongs to another controller
    for name in owned:
        found = classes.get(name)
        if found is not None and found.annotations.get(DEFAULT_CLASS_ANNOTATION, "") == "true":
            default = True
    return owned, default, classes


def _legacy_regex(
    objects: Sequence[KubeObject], owned: set[str], classes: dict[str, KubeObject]
) -> bool:
    """``IngressClassParameters.spec.enableLegacyRegexDetection`` of a served class
    (``getIngressClassParametersOrDefault``)."""
    for name in sorted(owned):
        params = mapping(classes[name].spec.get("parameters")) if name in classes else {}
        if params.get("kind") != "IngressClassParameters":
            continue
        for obj in objects:
            if (
                obj.kind == "IngressClassParameters"
                and obj.name == params.get("name")
                and (obj.namespace or "default") == (text(params.get("namespace")) or "default")
            ):
                return obj.spec.get("enableLegacyRegexDetection") is True
    return False


def read(objects: Sequence[KubeObject], options: ConvertOptions) -> Store:
    owned, default, classes = _owned_classes(objects, options)
    store = Store(legacy_regex=_legacy_regex(objects, owned, classes))

    def in_scope(obj: KubeObject) -> bool:
        return not options.namespace or obj.namespace == options.namespace

    def annotated_class_ok(obj: KubeObject) -> bool:
        class_name = obj.annotations.get(CLASS_ANNOTATION, "")
        return class_name in owned or (default and class_name == "")

    for obj in objects:
        key = (obj.namespace or "default", obj.name or "")
        if obj.kind == "Ingress" and obj.group in INGRESS_GROUPS:
            if not in_scope(obj):
                continue
            annotated = obj.annotations.get(CLASS_ANNOTATION, "")
            spec_class = text(obj.spec.get("ingressClassName"))
            if annotated:
                served, deciding = annotated in owned, f"metadata.annotations[{CLASS_ANNOTATION}]"
            elif spec_class is not None:
                served, deciding = spec_class in owned, "spec.ingressClassName"
            else:
                served, deciding = default, ""
            if served:
                store.ingresses.append(obj)
                store.class_fields[id(obj)] = deciding
            elif spec_class in owned:
                store.ignored.append((obj, deciding))
        elif obj.kind == "Service" and obj.api_version == "v1":
            store.services.setdefault(key, obj)
        elif obj.kind == "ReferenceGrant" and obj.group.startswith("gateway.networking"):
            store.reference_grants.append(obj)
        elif obj.kind == "KongServiceFacade" and obj.group == FACADE_GROUP:
            if annotated_class_ok(obj):  # MatchesIngressClass, in its reconciler
                store.facades.setdefault(key, obj)
            else:
                store.unclassed.add(("KongServiceFacade", key))
        elif obj.group != KONG_GROUP:
            continue
        elif obj.kind in ("TCPIngress", "UDPIngress") and in_scope(obj):
            if annotated_class_ok(obj):
                (store.tcp_ingresses if obj.kind == "TCPIngress" else store.udp_ingresses).append(
                    obj
                )
            elif not obj.annotations.get(CLASS_ANNOTATION):
                store.ignored_streams.append(obj)
        elif obj.kind == "KongPlugin":
            store.plugins.setdefault(key, obj)
        elif obj.kind == "KongClusterPlugin":
            # Its reconciler keeps it only with Kong's class (or none, for the default class).
            labels = mapping(obj.metadata.get("labels"))
            if not annotated_class_ok(obj):
                store.unclassed.add(("KongClusterPlugin", ("", obj.name or "")))
                if str(labels.get("global", "")) == "true":
                    store.ignored_globals.append(obj)
                continue
            store.cluster_plugins.setdefault(obj.name or "", obj)
            if str(labels.get("global", "")) == "true":
                store.global_plugins.append(obj)
        elif obj.kind == "KongIngress":
            store.kong_ingresses.setdefault(key, obj)
    store.global_plugins.sort(key=lambda o: o.name or "")
    return store


def creation_order(obj: KubeObject) -> tuple[str, str]:
    """Oldest first (``sort.SliceStable`` on ``creationTimestamp``); objects without one count
    as the newest; ties by namespace/name (the store's own order is not defined)."""
    stamp = text(obj.metadata.get("creationTimestamp")) or "\uffff"
    return (stamp, f"{obj.namespace or 'default'}/{obj.name or ''}")
