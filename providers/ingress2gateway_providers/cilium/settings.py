"""**Timeouts and the load balancer Service.** ``request-timeout`` (a Go duration, ``10s``) is
the route timeout of every path of the Ingress (and of its default backend): each rule's
``timeouts.request``; an unreadable value is reported and Cilium's default applies (the
``default-request-timeout`` option, the operator's ``--ingress-default-request-timeout``).

The Service settings (``service-type``, ``service-external-traffic-policy``,
``loadbalancer-class``, node ports, ``host-listener-port``) and the annotations Cilium copies
onto a dedicated Ingress's Service (``lbipam.cilium.io/*``, ``service.beta.kubernetes.io/*``
...) configure the load balancer, which Gateway API leaves to the implementation: default
values need nothing, other values are reported for the user to set on the Gateway's
infrastructure or GatewayClass parameters. In shared mode Cilium ignores them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import Provenance
from ingress2gateway.reporting.report import Level, Status

from . import catalog, values
from .common import CiliumRun, annotation_field


def apply_timeouts(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    default = _default_timeout(run)
    for model in models:
        value = model.obj.annotations.get(catalog.REQUEST_TIMEOUT)
        timeout = default
        provenance: list[Provenance] = []
        if value is not None:
            parsed = values.go_duration_ns(value)
            field_path = annotation_field(catalog.REQUEST_TIMEOUT)
            if parsed is None or parsed < 0:
                run.flag(
                    Level.WARNING,
                    "cilium-value-invalid",
                    model,
                    field_path,
                    f"{value[:80]!r} is not a Go duration (10s, 1m30s): Cilium used its default "
                    "request timeout",
                    Status.IGNORED,
                )
            else:
                timeout = values.gateway_duration(parsed)
                if timeout is None:
                    run.flag(
                        Level.WARNING,
                        "cilium-value-invalid",
                        model,
                        field_path,
                        f"{value[:80]!r} has no Gateway API duration (whole milliseconds, at "
                        "most 99999h): not converted",
                        Status.UNSUPPORTED,
                    )
                    timeout = default
                else:
                    provenance = [Provenance(model.source, field_path)]
                    run.record(
                        model,
                        catalog.REQUEST_TIMEOUT,
                        Status.CONVERTED,
                        f"timeouts.request {timeout}",
                    )
        if timeout is None:
            continue
        for _, rule in lowered.rules_of(model.source):
            if rule.backend_refs:
                rule.request_timeout = timeout
                rule.provenance.extend(provenance)


def _default_timeout(run: CiliumRun) -> str | None:
    text = run.settings.default_request_timeout
    if not text:
        return None
    parsed = values.go_duration_ns(text)
    if parsed is None or parsed <= 0:
        return None
    return values.gateway_duration(parsed)


_DEFAULTS = {
    catalog.SERVICE_TYPE: "LoadBalancer",
    catalog.SERVICE_TYPE_ALIAS: "LoadBalancer",
    catalog.TRAFFIC_POLICY: "Cluster",
}
_PORTS = (
    catalog.INSECURE_NODE_PORT,
    catalog.INSECURE_NODE_PORT_ALIAS,
    catalog.SECURE_NODE_PORT,
    catalog.SECURE_NODE_PORT_ALIAS,
    catalog.HOST_LISTENER_PORT,
)


def account_service(run: CiliumRun, models: Sequence[IngressModel]) -> None:
    """Ledger entries for the load balancer settings whose value decides what they mean; the
    rest get the catalog's (unsupported) entry from the base class."""
    for model in models:
        dedicated = run.dedicated.get(model.source, True)
        for key in sorted(model.obj.annotations):
            value = model.obj.annotations[key]
            service_key = (
                key in _DEFAULTS
                or key in _PORTS
                or key
                in (
                    catalog.LB_CLASS,
                    catalog.TRAFFIC_POLICY,
                )
            )
            if not service_key and catalog.lb_prefix(key) is None:
                continue
            if not dedicated:
                run.record(
                    model,
                    key,
                    Status.IGNORED,
                    "Cilium reads it only for a dedicated load balancer; this Ingress is shared",
                )
            elif _DEFAULTS.get(key) == value:
                run.record(model, key, Status.IGNORED, "the default: nothing to set")
            elif key == catalog.TRAFFIC_POLICY and value != "Local":
                run.flag(
                    Level.WARNING,
                    "cilium-value-invalid",
                    model,
                    annotation_field(key),
                    f"{value[:80]!r} is neither Cluster nor Local: Cilium used Cluster",
                    Status.IGNORED,
                )
            elif key in _PORTS and values.int32(value) is None:
                run.flag(
                    Level.WARNING,
                    "cilium-value-invalid",
                    model,
                    annotation_field(key),
                    f"{value[:80]!r} is not a port number: Cilium ignored it",
                    Status.IGNORED,
                )
