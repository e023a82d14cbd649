"""Which of the two controllers serves an Ingress, and which class it sees.

* An IngressClass in the input decides: ``haproxy.org/ingress-controller`` (or
  ``haproxy.org/ingress-controller/<name>``) is HAProxy Technologies',
  ``haproxy-ingress.github.io/controller`` is HAProxy Ingress's.
* Otherwise the option ``haproxy.controller`` (``haproxytech`` | ``haproxy-ingress``) decides for
  every Ingress; with ``auto`` (the default) the annotations do: ``haproxy.org/`` or
  ``haproxy.com/`` keys, or its keys without prefix, are HAProxy Technologies',
  ``haproxy-ingress.github.io/`` keys HAProxy Ingress's. An Ingress with both, or with neither (only ``ingress.kubernetes.io/`` keys, which
  both read), is ambiguous: it is converted as HAProxy Technologies' and a warning says so when
  the choice changes something (its annotations or ImplementationSpecific paths).

Class: HAProxy Technologies' controller reads ``spec.ingressClassName`` only and, run without
``--ingress.class`` (the default), also serves Ingresses without any class when the cluster has
no default IngressClass (``pkg/store/store.go IsIngressClassSupported``); such an Ingress is
converted when it names no class, no IngressClass in the input is marked default or names a
``haproxy.org/ingress-controller/<name>`` controller (the controller's ``--ingress.class``),
and the Ingress is HAProxy Technologies' (by the option, its ``haproxy.org/`` keys, or a
``kubernetes.io/ingress.class`` annotation naming a class of this provider, which the
controller does not read but which says what the user meant). HAProxy
Ingress lets the ``kubernetes.io/ingress.class`` annotation win over ``spec.ingressClassName``
and ignores unclassed Ingresses (since v0.12).
"""

from __future__ import annotations

from collections.abc import Mapping

from ingress2gateway.converting.ingress import CLASS_ANNOTATION, IngressClassInfo, IngressModel
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Status

from .catalog import HAPROXY_INGRESS, HAPROXYTECH, SHARED_PREFIX, lookup

HAPROXYTECH_CONTROLLER = "haproxy.org/ingress-controller"
HAPROXY_INGRESS_CONTROLLER = "haproxy-ingress.github.io/controller"
CONTROLLER_OPTION = "controller"
AUTO = "auto"


def controller_of_class(info: IngressClassInfo | None) -> str | None:
    if info is None or not info.controller:
        return None
    if info.controller == HAPROXYTECH_CONTROLLER or info.controller.startswith(
        HAPROXYTECH_CONTROLLER + "/"
    ):
        return HAPROXYTECH
    if info.controller == HAPROXY_INGRESS_CONTROLLER:
        return HAPROXY_INGRESS
    return None


def is_ours(info: IngressClassInfo) -> bool:
    return controller_of_class(info) is not None


def evidence(obj: KubeObject) -> tuple[bool, bool]:
    """Whether ``obj`` carries HAProxy Technologies' keys (a prefix of its own, or one of its
    keys without prefix, which only it reads), and HAProxy Ingress's."""
    tech = any(
        k.startswith(("haproxy.org/", "haproxy.com/"))
        or ("/" not in k and lookup(HAPROXYTECH, k) is not None)
        for k in obj.annotations
    )
    community = any(k.startswith("haproxy-ingress.github.io/") for k in obj.annotations)
    return tech, community


def shared_keys(obj: KubeObject) -> bool:
    return any(k.startswith(SHARED_PREFIX) for k in obj.annotations)


def class_names(obj: KubeObject) -> tuple[str | None, str | None]:
    """``spec.ingressClassName`` and the class annotation."""
    spec = obj.spec.get("ingressClassName")
    annotated = obj.annotations.get(CLASS_ANNOTATION)
    return (
        spec if isinstance(spec, str) and spec else None,
        annotated if isinstance(annotated, str) and annotated else None,
    )


def decide(
    obj: KubeObject, classes: Mapping[str, IngressClassInfo], option: str
) -> tuple[str, str | None]:
    """The controller of ``obj`` and, when the choice was a guess, why it was one."""
    spec_class, annotated = class_names(obj)
    for name in (annotated, spec_class):
        by_class = controller_of_class(classes.get(name)) if name else None
        if by_class is not None:
            return by_class, None
    if option in (HAPROXYTECH, HAPROXY_INGRESS):
        return option, None
    tech, community = evidence(obj)
    if tech and community:
        return HAPROXYTECH, (
            "it carries keys of both HAProxy controllers (haproxy.org/ and "
            "haproxy-ingress.github.io/)"
        )
    if community:
        return HAPROXY_INGRESS, None
    if tech:
        return HAPROXYTECH, None
    if shared_keys(obj):
        return HAPROXYTECH, (
            "its ingress.kubernetes.io/ keys are read by both HAProxy controllers and nothing "
            "else says which one served it"
        )
    return HAPROXYTECH, None


def ingress_class(
    obj: KubeObject,
    classes: Mapping[str, IngressClassInfo],
    option: str,
    default_class: str | None,
    owned: set[str],
) -> tuple[str | None, str | None]:
    """The class the controller of ``obj`` sees, and the field it came from."""
    spec_class, annotated = class_names(obj)
    controller, _ = decide(obj, classes, option)
    if controller == HAPROXY_INGRESS:
        if annotated:
            return annotated, f"metadata.annotations[{CLASS_ANNOTATION}]"
        if spec_class:
            return spec_class, "spec.ingressClassName"
        if default_class:
            return default_class, None
        defaults = sorted(i.name for i in classes.values() if i.is_default and is_ours(i))
        return (defaults[0], None) if defaults else (None, None)
    if spec_class:
        return spec_class, "spec.ingressClassName"
    if default_class:
        return default_class, None
    if any(info.is_default for info in classes.values()):
        defaults = sorted(i.name for i in classes.values() if i.is_default)
        return defaults[0], None
    if any(
        (info.controller or "").startswith(HAPROXYTECH_CONTROLLER + "/")
        for info in classes.values()
    ):
        # The controller runs with --ingress.class: it serves only its own class.
        return None, None
    tech, _ = evidence(obj)
    bare_class = obj.annotations.get("ingress.class")
    if option == HAPROXYTECH or tech or (isinstance(bare_class, str) and bare_class in owned):
        # Served as an Ingress without class, on the Gateway of the controller's class.
        named = sorted(
            info.name for info in classes.values() if info.controller == HAPROXYTECH_CONTROLLER
        )
        return (named[0] if named else "haproxy"), None
    if annotated in owned:
        # The controller does not read the annotation, but serves the Ingress as one without
        # class; the annotation says which Gateway the user meant.
        return annotated, f"metadata.annotations[{CLASS_ANNOTATION}]"
    return None, None


def note_class(ctx: ProviderContext, model: IngressModel, spec_class: str | None) -> None:
    """Give the class field the controller did not read its ledger entry (HAProxy Ingress reads
    the annotation first)."""
    if spec_class and model.class_field != "spec.ingressClassName":
        ctx.report.record(
            model.source,
            "spec.ingressClassName",
            Status.IGNORED,
            note=f"HAProxy Ingress reads the {CLASS_ANNOTATION} annotation first",
            provider="haproxy",
        )
