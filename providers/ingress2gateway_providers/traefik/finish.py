"""Ledger entries for the Traefik objects and Service annotations nothing recorded yet: a
field of an object some converted router used is converted (its handler said otherwise where
it differs), one of an object no converted router used is ignored."""

from __future__ import annotations

from ingress2gateway.objects import KubeObject, SourceRef, field_within
from ingress2gateway.reporting.report import Status

from .catalog import spec_for
from .common import CLASS_ANNOTATION, GROUPS, PREFIX, TraefikRun, annotation_field, parse_bool

_NOT_ROUTING = "not routing configuration"


def _recorded(run: TraefikRun, source: SourceRef) -> set[str]:
    return {field for (src, field) in run.report.ledger if src == source}


def account(run: TraefikRun) -> None:
    carried = run.ctx.ir.extension_fields()
    by_source: dict[SourceRef, set[str]] = {}
    for src, field in run.report.ledger:
        by_source.setdefault(src, set()).add(field)
    for src, field in carried:
        by_source.setdefault(src, set()).add(field)
    for obj in run.ctx.objects:
        if obj.group in GROUPS:
            _account_object(run, obj, by_source.get(obj.source(), set()))
        elif obj.kind == "Service" and obj.api_version == "v1":
            _account_service(run, obj, by_source.get(obj.source(), set()))


def _covered(fields: set[str], field: str) -> bool:
    return any(field_within(f, field) or field_within(field, f) for f in fields)


def _account_object(run: TraefikRun, obj: KubeObject, fields: set[str]) -> None:
    source = obj.source()
    used = id(obj) in run.used
    run.ctx.claim(obj)
    for key in sorted(obj.annotations):
        field = annotation_field(key)
        if field in fields:
            continue
        if key == CLASS_ANNOTATION:
            run.record(source, field, Status.CONVERTED, "selects the Traefik controller")
        else:
            run.record(source, field, Status.IGNORED, _NOT_ROUTING)
    spec = obj.spec
    if not spec and not fields:
        run.record(source, "spec", Status.IGNORED, "empty")
        return
    for key in sorted(spec):
        field = f"spec.{key}"
        if _covered(fields, field):
            continue
        if obj.kind in ("ServersTransport", "ServersTransportTCP"):
            run.unsupported(
                source,
                field,
                f"{obj.kind} {key}: backend TLS, timeouts and connection settings are not carried "
                "(see BackendTLSPolicy; insecureSkipVerify has no Gateway API equivalent)",
            )
        elif obj.kind == "MiddlewareTCP":
            run.unsupported(
                source,
                field,
                f"MiddlewareTCP {key} has no Gateway API equivalent (the routes naming it are not "
                "converted)",
                security=key in ("ipAllowList", "ipWhiteList"),
            )
        elif used:
            run.record(source, field, Status.CONVERTED)
        else:
            run.record(source, field, Status.IGNORED, "no converted router uses it")


def _https_ports(run: TraefikRun, obj: KubeObject) -> None:
    """Traefik speaks HTTPS to a Service port 443 or one whose name starts with ``https``
    (``getProtocol``), without verifying the certificate; Gateway API speaks HTTP there."""
    if (obj.namespace, obj.name or "") not in run.service_users:
        return
    if PREFIX + "service.serversscheme" in obj.annotations:
        return
    ports = obj.spec.get("ports")
    for index, port in enumerate(ports if isinstance(ports, list) else []):
        if not isinstance(port, dict):
            continue
        name = port.get("name")
        if port.get("port") == 443 or (isinstance(name, str) and name.startswith("https")):
            run.differs(
                obj.source(),
                f"spec.ports[{index}]",
                "Traefik spoke HTTPS (without verifying the certificate) to this port, as it "
                "is 443 or named https*; Gateway API speaks HTTP unless the port's appProtocol "
                "or a BackendTLSPolicy says otherwise",
            )


def _account_service(run: TraefikRun, obj: KubeObject, fields: set[str]) -> None:
    _https_ports(run, obj)
    keys = [k for k in sorted(obj.annotations) if k.startswith(PREFIX)]
    source = obj.source()
    for key in keys:
        field = annotation_field(key)
        if field in fields:
            continue
        spec = spec_for(key)
        value = obj.annotations[key].strip()
        if (obj.namespace, obj.name or "") not in run.service_users:
            run.record(source, field, Status.IGNORED, "no converted router routes to this Service")
        elif key == PREFIX + "service.passhostheader" and parse_bool(value) is True:
            run.record(source, field, Status.CONVERTED, "Host is passed on, as in Gateway API")
        elif key == PREFIX + "service.serversscheme" and value in ("http", "h2c"):
            run.record(source, field, Status.CONVERTED, "plain HTTP towards the pods")
        elif not key.startswith(PREFIX + "service."):
            run.record(source, field, Status.IGNORED, "router annotations are read on Ingresses")
        elif spec is None:
            run.unsupported(source, field, f"{key} is not an annotation Traefik knows")
        elif spec.status is Status.UNSUPPORTED:
            run.unsupported(source, field, f"{key}: {spec.note}")
        else:
            run.record(source, field, spec.status, spec.note)
