"""Istio ``Gateway``, ``VirtualService`` and ``DestinationRule`` (``networking.istio.io``).

Reads the ``v1``, ``v1beta1`` and ``v1alpha3`` versions alike (one schema). Each Istio Gateway
becomes a Gateway API Gateway of class ``istio`` (``--gateway-class-name``) with one listener per
(port, protocol, host); each VirtualService bound to an ingress gateway becomes an HTTPRoute (its
``http[]``), TLSRoutes (``tls[]``) and TCPRoutes (``tcp[]``); DestinationRules become
BackendTLSPolicies and backend extensions. Services in the input are read to find the port of
destinations that name none; ServiceEntries to recognise destinations that are not Services.
VirtualServices bound only to ``mesh`` (sidecar routing) are not converted.

Behaviour kept from Istio, not just its fields:

* **First match wins.** Istio takes the first ``http[]`` route that matches; Gateway API the most
  specific match. Later matches that Istio can never reach are dropped, and where a later, more
  specific match overlaps an earlier one, the earlier route gets a narrowed copy of its match so
  the overlapping requests still reach it. What cannot be made equal (regular expressions) is
  reported.
* **Namespaces.** ``ns/host`` on a server admits VirtualServices of that namespace; binding across
  namespaces is expressed with listener ``allowedRoutes``, never with ReferenceGrants (which do
  not govern attachment). Backends in other namespaces get a ReferenceGrant.
* **Ports.** A destination without a port uses the Service's only port when the Service is in the
  input; otherwise it is an error and no port-less backendRef (rejected by the API server) is
  written.

Provider options (``--provider-option istio.KEY=VALUE``): ``cluster-domain`` (default
``cluster.local``) for reading ``name.namespace.svc.<domain>`` hosts.

Not carried over (reported where it matters): Istio retries failed requests twice by default
when a route sets no ``retries``, Gateway API routes do not retry unless told; Istio merges several
VirtualServices for one host in creation order, Gateway API ranks their rules together by
specificity; ``sourceLabels``/``withoutHeaders``/``scheme``/``authority`` match conditions;
DestinationRule subsets (one Service per subset is needed); mesh (sidecar) routing.

Differences from the Go ingress2gateway's istio provider, on purpose (its six fixtures are golden
cases ``testdata/istio/peer-*``; compare routing, not names):

* it reads only ``v1beta1``; this reads ``v1`` and ``v1alpha3`` too;
* its HTTPS listeners have no ``certificateRefs`` (rejected by the Gateway CEL rules) and two of
  them share the name ``https-protocol-wildcard-ns-wildcard`` (ports 443 and 8181); here
  ``credentialName`` becomes ``certificateRefs``, names carry the port, and a TLS server without
  ``credentialName`` (file-mounted certificates) is reported and left out;
* its backendRefs lack a port when the destination names none (rejected: "Must have port for
  Service reference"); here the port comes from the Service in the input, or the destination is
  an error;
* it emits a ReferenceGrant from the HTTPRoute's namespace to the Gateway, which does not govern
  attachment; here the listener's ``allowedRoutes`` admits the namespace;
* it converts mesh-only VirtualServices (fixture 4: a TCPRoute without parentRefs, that no gateway
  serves); here they are reported and skipped;
* it splits rewrites into one HTTPRoute per match kind; here one rule per match in one HTTPRoute,
  which keeps Istio's order as Gateway API breaks ties by rule order;
* HTTP2/GRPC servers without TLS are HTTP listeners, with TLS HTTPS ones (as there).
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import CatalogRow, ConvertOptions, ProviderContext
from ingress2gateway.report import Level, Status
from ingress2gateway.verify.model import SourceModel

from .catalog import ROWS
from .common import (
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_WORKLOAD_NAMESPACE,
    ISTIO_GROUP,
    ISTIO_VERSIONS,
    PROVIDER_NAME,
    ServiceInfo,
    State,
    as_dict,
    as_list,
    ns_of,
)
from .delegates import is_delegate
from .destinationrule import convert_destination_rule
from .gateway import build_gateway, convert_gateway, report_shared_addresses
from .httproutes import emit_http
from .virtualservice import convert_virtual_service, report_delegates

KINDS = ("Gateway", "VirtualService", "DestinationRule", "ServiceEntry")


def _sort_key(obj: KubeObject) -> tuple[str, str, str, str, int]:
    return (obj.kind, ns_of(obj), obj.name or "", obj.origin.file, obj.origin.document)


class IstioProvider:
    name = PROVIDER_NAME
    aliases: tuple[str, ...] = ()
    description = "Istio Gateway, VirtualService and DestinationRule (networking.istio.io)"
    resources: tuple[ResourceKind, ...] = (
        ResourceKind(ISTIO_GROUP, "v1", "gateways", "Gateway"),
        ResourceKind(ISTIO_GROUP, "v1", "virtualservices", "VirtualService"),
        ResourceKind(ISTIO_GROUP, "v1", "destinationrules", "DestinationRule"),
        ResourceKind(ISTIO_GROUP, "v1", "serviceentries", "ServiceEntry"),
        ResourceKind("", "v1", "services", "Service"),
    )

    def catalog_rows(self) -> list[CatalogRow]:
        return list(ROWS)

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How Istio's ingress gateway routes over ``objects`` (see :mod:`.controller_model`),
        for ``verify``."""
        from .controller_model import controller_model

        return controller_model(objects, options)

    def convert(self, ctx: ProviderContext) -> None:
        settings = ctx.options.for_provider(self.name)
        domain = settings.get("cluster-domain", DEFAULT_CLUSTER_DOMAIN)
        state = State(
            ctx,
            cluster_domain=domain.strip(".") or DEFAULT_CLUSTER_DOMAIN,
            workload_namespace=settings.get("gateway-workload-namespace")
            or DEFAULT_WORKLOAD_NAMESPACE,
        )
        istio = sorted(
            (o for o in ctx.objects if o.group == ISTIO_GROUP and o.kind in KINDS), key=_sort_key
        )
        for obj in ctx.objects:
            if obj.kind == "Service" and obj.api_version == "v1" and obj.name:
                ports = [
                    p["port"]
                    for p in as_list(obj.spec.get("ports"))
                    if isinstance(as_dict(p).get("port"), int)
                ]
                state.services[(obj.name, ns_of(obj))] = ServiceInfo(
                    obj.name, ns_of(obj), ports, obj
                )
            elif obj.kind == "Secret" and obj.api_version == "v1" and obj.name:
                state.secrets[(ns_of(obj), obj.name)] = obj
        for obj in istio:
            ctx.claim(obj)
            version = obj.api_version.rpartition("/")[2]
            if version not in ISTIO_VERSIONS:
                ctx.report.warning(
                    "istio-version-unknown",
                    f"{obj.api_version} is not a known Istio version ({', '.join(ISTIO_VERSIONS)}); "
                    "read as v1",
                    source=obj.source(),
                    provider=self.name,
                )
        for obj in (o for o in istio if o.kind == "ServiceEntry"):
            for host in as_list(obj.spec.get("hosts")):
                if isinstance(host, str):
                    state.service_entry_hosts.setdefault(host.lower(), obj)
            ctx.report.record(
                obj.source(),
                "spec",
                Status.IGNORED,
                note="read only to recognise destinations that are not Kubernetes Services",
                provider=self.name,
            )
        state.destination_rules = [o for o in istio if o.kind == "DestinationRule"]
        for obj in (o for o in istio if o.kind == "Gateway"):
            info = convert_gateway(state, obj)
            key = (info.namespace, info.istio_name)
            if key in state.gateways:
                ctx.report.notify(
                    Level.ERROR,
                    "istio-duplicate-object",
                    f"Gateway {key[0]}/{key[1]} appears twice in the input; the first is used",
                    source=obj.source(),
                    provider=self.name,
                )
                continue
            state.gateways[key] = info
        virtual_services = [o for o in istio if o.kind == "VirtualService"]
        delegates = [o for o in virtual_services if is_delegate(o)]
        for obj in delegates:
            state.delegates.setdefault((ns_of(obj), obj.name or ""), obj)
        for obj in virtual_services:
            convert_virtual_service(state, obj)
        emit_http(state.http_plans)
        report_delegates(state, delegates)
        for info in state.gateways.values():
            build_gateway(state, info)
        report_shared_addresses(state)
        for obj in state.destination_rules:
            convert_destination_rule(state, obj)


PROVIDER = IstioProvider()
