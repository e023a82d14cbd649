"""Every annotation the Cilium provider recognises, in one table.

Keys follow ``operator/pkg/ingress/annotations/annotations.go`` of cilium/cilium (the current
one, and older versions for the keys it has since dropped) and the annotation table of
``Documentation/network/servicemesh/ingress.rst``. The table drives the ledger (keys no handler
recorded get the row's status and note), ``ingress2gateway providers cilium``, the generated
``docs/providers/cilium.md`` and the "unknown annotation" check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.converting.key_catalog import LEDGER_STATUS, KeySpec, rows_of
from ingress2gateway.plugin import CatalogRow

PREFIX = "ingress.cilium.io/"
ALIAS_PREFIX = "io.cilium.ingress/"
"""``annotation.Prefix + ".ingress"``: the older spelling some keys still answer to."""

LB_MODE = "ingress.cilium.io/loadbalancer-mode"
LB_MODE_ALIAS = "io.cilium.ingress/loadbalancer-mode"
LB_CLASS = "ingress.cilium.io/loadbalancer-class"
SERVICE_TYPE = "ingress.cilium.io/service-type"
SERVICE_TYPE_ALIAS = "io.cilium.ingress/service-type"
TRAFFIC_POLICY = "ingress.cilium.io/service-external-traffic-policy"
INSECURE_NODE_PORT = "ingress.cilium.io/insecure-node-port"
INSECURE_NODE_PORT_ALIAS = "io.cilium.ingress/insecure-node-port"
SECURE_NODE_PORT = "ingress.cilium.io/secure-node-port"
SECURE_NODE_PORT_ALIAS = "io.cilium.ingress/secure-node-port"
HOST_LISTENER_PORT = "ingress.cilium.io/host-listener-port"
TLS_PASSTHROUGH = "ingress.cilium.io/tls-passthrough"
TLS_PASSTHROUGH_ALIAS = "io.cilium.ingress/tls-passthrough"
FORCE_HTTPS = "ingress.cilium.io/force-https"
REQUEST_TIMEOUT = "ingress.cilium.io/request-timeout"

LB_ANNOTATION_PREFIXES = (
    "lbipam.cilium.io/",
    "nodeipam.cilium.io/",
    "service.beta.kubernetes.io/",
    "service.kubernetes.io/",
    "cloud.google.com/",
)
"""The operator's default ``--ingress-lb-annotation-prefixes``: Ingress annotations under these
prefixes are copied onto the Ingress's dedicated LoadBalancer Service."""


_SERVICE_NOTE = (
    "a setting of the Service Cilium creates for a dedicated load balancer; Gateway API leaves "
    "the Gateway's Service to the implementation (its GatewayClass parameters or Gateway "
    "infrastructure): set it there"
)

CATALOG: tuple[KeySpec, ...] = (
    KeySpec(LB_MODE, "converted", "Ingress", "medium",
            "dedicated (the operator's default): a Gateway of the Ingress's own, as Cilium "
            "gives it a load balancer of its own; shared: the Gateway every shared Ingress "
            "uses; other values: the default mode"),
    KeySpec(LB_MODE_ALIAS, "converted", "Ingress", "medium",
            "older spelling of loadbalancer-mode (read when that key is absent)"),
    KeySpec(TLS_PASSTHROUGH, "converted", "Ingress", "high",
            "enabled/true: each host becomes a TLS passthrough listener and a TLSRoute to the "
            "backend of its / path; other paths, rules without host, the default backend and "
            "spec.tls are ignored by Cilium (reported)"),
    KeySpec(TLS_PASSTHROUGH_ALIAS, "converted", "Ingress", "high",
            "older spelling of tls-passthrough (read when that key is absent)"),
    KeySpec(FORCE_HTTPS, "converted", "Ingress", "high",
            "enabled/true: HTTP requests to the Ingress's TLS hosts get a 301 to https; "
            "disabled/false: they are served; unset (or another value): the operator's "
            "enforce-ingress-https (default on, see the enforce-https option)"),
    KeySpec(REQUEST_TIMEOUT, "converted", "Ingress", "medium",
            "a Go duration: timeouts.request on every rule of the Ingress; invalid: the "
            "operator's default (reported)"),
    KeySpec(SERVICE_TYPE, "unsupported", "Ingress", "low",
            "LoadBalancer (the default) needs nothing; NodePort: " + _SERVICE_NOTE),
    KeySpec(SERVICE_TYPE_ALIAS, "unsupported", "Ingress", "low",
            "older spelling of service-type"),
    KeySpec(TRAFFIC_POLICY, "unsupported", "Ingress", "low",
            "Cluster (the default) needs nothing; Local: " + _SERVICE_NOTE),
    KeySpec(LB_CLASS, "unsupported", "Ingress", "low",
            "loadBalancerClass: " + _SERVICE_NOTE),
    KeySpec(INSECURE_NODE_PORT, "unsupported", "Ingress", "low",
            "NodePort for HTTP: " + _SERVICE_NOTE),
    KeySpec(INSECURE_NODE_PORT_ALIAS, "unsupported", "Ingress", "low",
            "older spelling of insecure-node-port"),
    KeySpec(SECURE_NODE_PORT, "unsupported", "Ingress", "low",
            "NodePort for HTTPS: " + _SERVICE_NOTE),
    KeySpec(SECURE_NODE_PORT_ALIAS, "unsupported", "Ingress", "low",
            "older spelling of secure-node-port"),
    KeySpec(HOST_LISTENER_PORT, "unsupported", "Ingress", "low",
            "the host-network port Envoy listens on for this Ingress; Gateway listeners keep "
            "ports 80/443"),
    KeySpec("ingress.cilium.io/tcp-keep-alive", "ignored", "Ingress", "low",
            "read by older Cilium releases only (TCP keep-alive to clients)"),
    KeySpec("ingress.cilium.io/tcp-keep-alive-idle", "ignored", "Ingress", "low",
            "read by older Cilium releases only"),
    KeySpec("ingress.cilium.io/tcp-keep-alive-probe-interval", "ignored", "Ingress", "low",
            "read by older Cilium releases only"),
    KeySpec("ingress.cilium.io/tcp-keep-alive-probe-max-failures", "ignored", "Ingress",
            "low", "read by older Cilium releases only"),
    KeySpec("ingress.cilium.io/tls-passthrough-host-port", "ignored", "Ingress", "low",
            "read by older Cilium releases only (host-network port of passthrough listeners)"),
    KeySpec("ingress.cilium.io/http-host-port", "ignored", "Ingress", "low",
            "read by older Cilium releases only (host-network port of HTTP listeners)"),
    KeySpec("ingress.cilium.io/websocket", "ignored", "Ingress", "low",
            "read by older Cilium releases only; Gateway API implementations pass WebSocket "
            "upgrades by default"),
    *(
        KeySpec(prefix + "*", "unsupported", "Ingress", "medium",
                "copied by Cilium onto the Ingress's dedicated LoadBalancer Service (IP pools, "
                "cloud load balancer settings); put them in the Gateway's "
                "spec.infrastructure.annotations, which this tool does not generate; ignored "
                "by Cilium in shared mode")
        for prefix in LB_ANNOTATION_PREFIXES
    ),
)  # fmt: skip

_BY_KEY = {spec.key: spec for spec in CATALOG}


def lb_prefix(key: str) -> str | None:
    """The load-balancer annotation prefix ``key`` falls under, if any."""
    for prefix in LB_ANNOTATION_PREFIXES:
        if key.startswith(prefix) and key != prefix:
            return prefix
    return None


def lookup(key: str) -> KeySpec | None:
    """The catalog row of a full annotation key (a load-balancer family shares one row)."""
    prefix = lb_prefix(key)
    if prefix is not None:
        return _BY_KEY[prefix + "*"]
    return _BY_KEY.get(key)


class CatalogView(Mapping[str, AnnotationSpec]):
    """The catalog as the base class reads it: full keys, family members included."""

    def __getitem__(self, key: str) -> AnnotationSpec:
        spec = lookup(key)
        if spec is None:
            raise KeyError(key)
        return AnnotationSpec(key, LEDGER_STATUS[spec.status], spec.note)

    def __iter__(self) -> Iterator[str]:
        return iter(spec.key for spec in CATALOG)

    def __len__(self) -> int:
        return len(CATALOG)


def catalog_rows() -> list[CatalogRow]:
    return rows_of(CATALOG)
