"""KongIngress (``configuration.konghq.com/v1``, deprecated since KIC 3.5, removed in Kong
Operator 2.0), linked with ``konghq.com/override``.

Its three sections override what Kong generates; each field is converted exactly like the
annotation that replaced it:

* ``route`` (honoured when the KongIngress is linked from an **Ingress**, by
  ``konghq.com/override`` or, as KIC 2.x did, by having the Ingress's name): ``methods``,
  ``headers``, ``protocols``, ``strip_path``, ``preserve_host``, ``https_redirect_status_code``,
  ``request_buffering``, ``response_buffering`` as the matching annotations (an annotation on the
  Ingress wins); ``regex_priority``, ``path_handling``, ``snis`` are reported.
* ``proxy`` (linked from a **Service**): ``protocol``, ``path``, ``retries``,
  ``connect_timeout``, ``read_timeout``, ``write_timeout`` as the Service annotations.
* ``upstream`` (linked from a **Service**): ``host_header`` and the load-balancing fields
  (``hash_on``, ``algorithm``, ``healthchecks`` ...) as KongUpstreamPolicy (below).

Manifests from KIC 1.x put the sections at the top level (no ``spec``), as KongIngress always
did; both are read. Every KongIngress gets an info notification saying it is deprecated.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Provenance
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from .common import KongRun, Setting, account_object_annotations, parse_int, str_list
from .routing import RouteSettings, valid_methods, valid_protocols, valid_redirect
from .services import SERVICE_PROTOCOLS, ServiceSettings
from .upstream_policy import UpstreamSpec, from_kongingress

OVERRIDE_KEY = "konghq.com/override"
SECTIONS = ("route", "proxy", "upstream")


def section(obj: KubeObject, name: str) -> dict[str, Any]:
    value = obj.data.get(name)
    if not isinstance(value, dict):
        value = obj.spec.get(name)
    return value if isinstance(value, dict) else {}


def section_prefix(obj: KubeObject, name: str) -> str:
    return name if isinstance(obj.data.get(name), dict) else f"spec.{name}"


def resolve(
    run: KongRun, namespace: str | None, name: str, source: SourceRef, field_path: str
) -> KubeObject | None:
    obj = run.kong_ingresses.get((namespace, name.strip()))
    if obj is None:
        run.missing(source, field_path, f"KongIngress {name} is not in the input; not converted")
        return None
    if id(obj) not in run.used:
        run.deprecated(obj, "use Ingress and Service annotations and KongUpstreamPolicy")
    run.use(obj)
    return obj


def same_name(run: KongRun, model: IngressModel) -> KubeObject | None:
    """The KongIngress named like an Ingress that has no ``konghq.com/override``: KIC 2.x
    applied its ``route`` section to the Ingress's routes (``kongstate/util.go`` at v2.12,
    ``getKongIngressFromObjAnnotations``)."""
    obj = run.kong_ingresses.get((model.namespace, model.name))
    if obj is None or not section(obj, "route"):
        return None
    if id(obj) not in run.used:
        run.deprecated(obj, "use Ingress and Service annotations and KongUpstreamPolicy")
    run.use(obj)
    return obj


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def apply_route(run: KongRun, obj: KubeObject, settings: RouteSettings) -> None:
    """Fill the Ingress's route settings from the KongIngress ``route`` section."""
    source = obj.source()
    prefix = section_prefix(obj, "route")
    for key, value in sorted(section(obj, "route").items()):
        field_path = f"{prefix}.{key}"
        prov = Provenance(source, field_path)
        if key == "methods":
            methods = valid_methods(run, source, field_path, str_list(value))
            if methods and settings.methods is None:
                settings.methods = Setting(methods, prov)
        elif key == "headers" and isinstance(value, dict):
            if not settings.headers:
                for name in sorted(value):
                    values = str_list(value[name])
                    if values:
                        settings.headers.append(Setting((str(name), values), prov))
        elif key == "protocols":
            protocols = valid_protocols(run, source, field_path, str_list(value))
            if protocols and settings.protocols is None:
                settings.protocols = Setting(protocols, prov)
        elif key == "https_redirect_status_code":
            code = valid_redirect(run, source, field_path, value)
            if code is not None and settings.redirect_code is None:
                settings.redirect_code = Setting(code, prov)
        elif key in ("strip_path", "preserve_host", "request_buffering", "response_buffering"):
            flag = _bool(value)
            if flag is None:
                run.invalid(source, field_path, f"{key}: {value!r} is not a boolean")
            elif getattr(settings, key) is None:
                setattr(settings, key, Setting(flag, prov))
        else:
            run.unsupported(source, field_path, f"route.{key} has no Gateway API equivalent")


def apply_service(
    run: KongRun, obj: KubeObject, settings: ServiceSettings, upstream: list[UpstreamSpec]
) -> None:
    """Fill a Service's settings from the ``proxy`` and ``upstream`` sections."""
    source = obj.source()
    prefix = section_prefix(obj, "proxy")
    for key, value in sorted(section(obj, "proxy").items()):
        field_path = f"{prefix}.{key}"
        prov = Provenance(source, field_path)
        number = parse_int(value)
        if key == "protocol" and isinstance(value, str) and value in SERVICE_PROTOCOLS:
            settings.protocol = settings.protocol or Setting(value, prov)
        elif key == "path" and isinstance(value, str) and value.startswith("/"):
            settings.path = settings.path or Setting(value, prov)
        elif key in ("connect_timeout", "read_timeout", "write_timeout", "retries") and (
            number is not None and number >= 0
        ):
            if getattr(settings, key) is None:
                setattr(settings, key, Setting(number, prov))
        else:
            run.invalid(source, field_path, f"proxy.{key}: {value!r} is not understood")
    upstream_section = section(obj, "upstream")
    if upstream_section:
        host = upstream_section.get("host_header")
        if isinstance(host, str) and host:
            prov = Provenance(source, f"{section_prefix(obj, 'upstream')}.host_header")
            settings.host_header = settings.host_header or Setting(host.lower(), prov)
        upstream.append(from_kongingress(run, obj, upstream_section))


def account(run: KongRun, obj: KubeObject, skip: AbstractSet[tuple[SourceRef, str]]) -> None:
    """Ledger entries for the KongIngress fields nothing recorded."""
    source = obj.source()
    used = id(obj) in run.used
    account_object_annotations(run, obj, skip)
    for name in SECTIONS:
        prefix = section_prefix(obj, name)
        for key in sorted(section(obj, name)):
            field_path = f"{prefix}.{key}"
            if run.report.has_entry(source, field_path) or (source, field_path) in skip:
                continue
            if not used:
                run.record(
                    source, field_path, Status.IGNORED, "no konghq.com/override refers to it"
                )
            else:
                run.record(
                    source,
                    field_path,
                    Status.IGNORED,
                    "no effect on the converted routes (an annotation set it, or it is the default)",
                )
