"""Istio ``Gateway``, ``VirtualService`` and ``DestinationRule`` (``networking.istio.io``), and the
``AuthorizationPolicy`` (``security.istio.io``) on the ingress gateway's pods.

Reads the ``v1``, ``v1beta1`` and ``v1alpha3`` versions alike (one schema). Each Istio Gateway
becomes a Gateway API Gateway of class ``istio`` (``--gateway-class-name``) with one listener per
(port, protocol, host); the VirtualServices bound to an ingress gateway become HTTPRoutes (their
``http[]``), TLSRoutes (``tls[]``) and TCPRoutes (``tcp[]``); DestinationRules become
BackendTLSPolicies and backend extensions. Services in the input are read to find the port of
destinations that name none; ServiceEntries to recognise destinations that are not Services;
Secrets to find the client CA of MUTUAL servers. VirtualServices bound only to ``mesh`` (sidecar
routing) are not converted.

Behaviour kept from Istio (its gateway code, ``pilot/pkg/networking/core``), not just its fields:

* **First match wins.** Istio takes the first ``http[]`` route that matches, trying the routes of
  every VirtualService of a host in creation order with the routes that take everything last;
  Gateway API the most specific match (Envoy Gateway: exact paths, regular expressions, then
  prefixes, longer first). Later matches Istio never reaches are dropped; where a later, more
  specific match overlaps an earlier one, the earlier route gets a narrowed copy of its match.
  Sample requests at every match's boundaries check the result; those that still route
  differently are reported with examples (``istio-route-order-unequal``).
* **Character prefixes.** Istio's ``prefix`` is a character prefix (``/api`` takes ``/apiv2``);
  Gateway API's PathPrefix takes whole segments. Where another rule would take the paths that
  continue a prefix, the rule also gets the regular expression ``/api[^/].*``; a prefix ending in
  ``/`` does not take its bare directory in Istio but does in Gateway API, so the route Istio
  gives that path gets an exact match for it (or the report says which requests change).
  ``rewrite.uri`` replaces the matched characters (``/app`` + ``rewrite: /`` sends ``//x``).
* **Where a match applies.** Per-match ``gateways``, ``port``, ``scheme``, ``sourceLabels`` and
  ``sourceNamespace`` decide on which listeners Istio builds a match; an ``authority`` decides the
  host names. Each set of listeners and host names with its own list of matches gets an
  HTTPRoute: a route scoped to ``mesh`` never reaches a Gateway.
* **Delegates.** A VirtualService without ``hosts`` is a delegate: its routes replace the root's
  route that names it, narrowed by the root's match; it is never routed on its own.
* **What Istio's gateway sees.** A VirtualService not exported (``exportTo``) to the namespace of
  the gateway's pods is not converted. ``credentialName`` Secrets are read in that namespace (the
  listener refers to them there, with a ReferenceGrant); the client CA of a MUTUAL server is
  ``<credentialName>-cacert`` when that Secret is in the input, else the credential itself.
* **Namespaces.** ``ns/host`` on a server admits VirtualServices of that namespace; binding across
  namespaces is expressed with listener ``allowedRoutes``, never with ReferenceGrants (which do
  not govern attachment). Backends in other namespaces get a ReferenceGrant.
* **Access control fails closed.** An ``AuthorizationPolicy`` (``v1``, ``v1beta1``) with action
  ALLOW, DENY or CUSTOM controls who reaches the workloads it applies to, the ingress gateway's
  pods among them. No emitter carries it yet, so the routes of every converted Gateway whose
  pods it may apply to are emitted closed (their rules keep their matches and answer 500; TLS
  and TCP routes are left out), with a security error (``extension-unsupported``) naming the
  policy, its action and why it applies; ``--access-control-fallback open`` emits them open,
  with the same error. A policy applies, as Istio decides (``ListAuthorizationPolicies``,
  ``ShouldAttachPolicy``): from the gateway pods' namespace (``gateway-workload-namespace``) or
  the root namespace (``mesh-root-namespace``, mesh-wide); without a selector to every workload
  there; with ``selector.matchLabels`` when none of its labels contradicts the Istio Gateway's
  ``selector`` — a label the selector does not mention may be on the pods (the default ingress
  gateway's carry ``app: istio-ingressgateway`` too), so such a policy is taken to apply and the
  message says it *may*; with ``targetRefs``, when they name the Istio Gateway (in its
  namespace), or a Gateway API Gateway whose ``gateway.networking.k8s.io/gateway-name`` label
  the Istio Gateway's selector names (otherwise its pods are assumed not to carry that label,
  ``istio-assumed``); GatewayClass, Service and ServiceEntry targets are for waypoints. An ALLOW
  policy without rules denies everything; AUDIT policies, DENY or CUSTOM ones without rules
  (they never match), dry runs (``istio.io/dry-run: "true"``) and those for other workloads
  change nothing there
  (``istio-authorization``, ledger: ignored).
* **Destinations.** A destination without a port uses the Service's only port when the Service
  is in the input; otherwise it is an error and no port-less backendRef (rejected by the API
  server) is written. Only a short name or ``name.namespace.svc.<domain>`` is a Service in
  Istio's registry (``name.namespace`` is not: Istio answers 503 for it).

Provider options (``--provider-option istio.KEY=VALUE``): ``cluster-domain`` (default
``cluster.local``) for reading ``name.namespace.svc.<domain>`` hosts;
``gateway-workload-namespace`` (default ``istio-system``), where the ingress gateway's pods run:
their namespace holds the ``credentialName`` Secrets and must receive the VirtualServices'
``exportTo``, and the AuthorizationPolicies of that namespace apply to them. What depends on it
is reported (``istio-assumed``). ``mesh-root-namespace`` (default ``istio-system``, meshConfig
``rootNamespace``): its AuthorizationPolicies apply in every namespace.

Not carried over (reported where it matters): Istio retries failed requests twice by default
when a route sets no ``retries``, Gateway API routes do not retry unless told;
``withoutHeaders``, a method other than one exact standard method; DestinationRule subsets (one
Service per subset is needed); mesh (sidecar) routing. Istio Gateways that select the same pods
share one address, where the most specific host wins; as Gateway API Gateways each has its own
(``istio-shared-address`` names the hosts two of them take).

**Tested against Istio's own tests.** Each routing rule has request-level tests (a request in,
Istio's answer and the migration's out, ``tests/test_verify_istio.py``), taken from Istio's tests
where they exist:

| Istio test (istio/istio, istio/api) | test here |
|---|---|
| ``route_test.go`` TestBuildHTTPRoutes "for virtual service with catch all route" | ``test_first_match_wins_in_list_order_and_the_catch_all_stops_the_list`` |
| ... "catch all route：port match" | ``test_a_match_on_another_port_is_not_built`` |
| ... "regex matching on URI" | ``test_exact_regex_and_ignore_uri_case`` |
| ... "presence matching on header", "regex matching on without_header", "prefix matching on query parameter" | ``test_header_query_and_presence_matches`` |
| ... "source namespace matching" | ``test_source_labels_and_namespace_select_the_gateway_pods`` |
| ... "for prefix path rewrite", "for host rewrite", "for path regex match with regex rewrite" | ``test_rewrites`` |
| ... "for redirect code", "for full path redirect", "for prefix_rewrite redirect", "for invalid redirect code" | ``test_redirects``, ``test_redirect_ports_follow_envoy`` |
| ... "for direct response code" | ``test_direct_response_and_fault_abort`` |
| TestSortVHostRoutes | ``test_catch_all_routes_of_several_virtual_services_go_last``, ``test_virtual_services_of_one_host_are_tried_in_istios_order`` |
| ``sourceMatchHTTP`` (per-match ``gateways``) | ``test_per_match_gateways_scope_each_route``, ``test_issue22_1_a_mesh_only_route_never_reaches_the_gateway``, ``test_issue22_1_a_route_scoped_to_one_gateway_is_not_on_the_other`` |
| analyzers ``virtualservice_overlappingmatches.yaml`` | ``test_prefix_is_a_character_prefix``, ``test_issue22_3_character_prefixes_keep_istios_first_match`` |
| analyzers ``virtualservice_dupmatches.yaml`` | ``test_unreachable_later_match_is_dropped`` (``test_provider_istio.py``), golden ``first-match-shadowed`` |
| ``virtualservice_test.go`` TestMergeHTTPRoutes "root catch all"; TestMergeHTTPMatchRequests "url match", "url mismatch", "multi url match"; ``virtual_service.proto`` Delegate example | ``test_delegates_are_merged_into_their_root``, ``test_issue22_4_delegates_are_merged_into_the_root`` |
| ``mergeVirtualServices`` (delegate not exported) | ``test_a_delegate_not_exported_to_the_root_is_not_used`` |
| ``names.go`` NamesForNamespace examples | ``test_server_hosts_are_scoped_by_namespace`` |
| ``names.go`` Intersection examples | ``test_virtual_hosts_are_the_intersection_of_hosts``, ``test_a_wildcard_virtual_service_shares_the_virtual_host_of_a_specific_server`` |
| ``VirtualServicesForGateway`` (``exportTo``) | ``test_virtual_services_the_gateway_pods_do_not_see`` |
| ``TranslateRouteMatch`` (``authority``) | ``test_method_authority_and_scheme_are_header_matches``, ``test_issue22_2_an_exact_authority_narrows_the_host``, ``test_an_authority_prefix_keeps_cluster_local_names_off_the_public_gateway`` |
| ``mergeGateways`` (one address per pod selector) | ``test_gateways_that_select_different_pods_are_different_addresses``, ``test_gateways_that_share_pods_and_a_host_are_reported`` |
| ``credentials/kube/secrets.go`` GetCaCert | ``test_issue22_5_the_client_ca_is_the_secret_istio_reads`` |
| ``xds/sds.go`` (Secret in the proxy's namespace) | ``test_issue22_6_credentials_live_in_the_gateway_workloads_namespace`` |
| ``ResolveShortnameToFQDN`` (istio/istio#54147) | ``test_a_name_dot_namespace_destination_is_no_service_in_istio`` |
| ``virtual_service.proto`` StringMatch (values as YAML text) | ``test_issue22_7_values_that_are_not_strings_are_their_yaml_text`` |

``verify`` also runs over every golden case, Istio's corpus and the peer fixtures on both
emitters and finds no difference the report does not explain (``docs/verify.md``).

Differences from the Go ingress2gateway's istio provider, on purpose (its six fixtures are golden
cases ``testdata/istio/peer-*``; compare routing, not names):

* it reads only ``v1beta1``; this reads ``v1`` and ``v1alpha3`` too;
* its HTTPS listeners have no ``certificateRefs`` (rejected by the Gateway CEL rules) and two of
  them share the name ``https-protocol-wildcard-ns-wildcard`` (ports 443 and 8181); here
  ``credentialName`` becomes ``certificateRefs``, names carry the port, and an HTTPS or TLS
  server without ``credentialName`` (file-mounted certificates) is reported and left out;
* its backendRefs lack a port when the destination names none (rejected: "Must have port for
  Service reference"); here the port comes from the Service in the input, or the destination is
  an error;
* it emits a ReferenceGrant from the HTTPRoute's namespace to the Gateway, which does not govern
  attachment; here the listener's ``allowedRoutes`` admits the namespace;
* it converts mesh-only VirtualServices (fixture 4: a TCPRoute without parentRefs, that no gateway
  serves); here they are reported and skipped;
* it splits rewrites into one HTTPRoute per match kind; here one rule per match in one HTTPRoute,
  which keeps Istio's order as Gateway API breaks ties by rule order;
* HTTP2 and GRPC servers are plain-text HTTP listeners, with or without a ``tls`` block, as
  Istio serves them (its validation rejects TLS settings on them); there, with TLS, they were
  HTTPS listeners.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import (
    CatalogRow,
    ConvertOptions,
    OptionSpec,
    ProviderBase,
    ProviderContext,
)
from ingress2gateway.reporting.report import Level, Status
from ingress2gateway.verification.model import SourceModel

from . import codes
from .authorization import SECURITY_GROUP, SECURITY_VERSIONS, convert_authorization_policies
from .catalog import ROWS
from .common import (
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_ROOT_NAMESPACE,
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
SECURITY_KINDS = ("AuthorizationPolicy",)


def _sort_key(obj: KubeObject) -> tuple[str, str, str, str, int]:
    return (obj.kind, ns_of(obj), obj.name or "", obj.origin.file, obj.origin.document)


class IstioProvider(ProviderBase):
    name = PROVIDER_NAME
    aliases: tuple[str, ...] = ()
    options = (
        OptionSpec(
            "cluster-domain",
            str,
            DEFAULT_CLUSTER_DOMAIN,
            "the cluster's DNS domain, for destination hosts such as svc.ns.svc.DOMAIN",
        ),
        OptionSpec(
            "gateway-workload-namespace",
            str,
            DEFAULT_WORKLOAD_NAMESPACE,
            "namespace of the ingress gateway's pods: Istio reads a server's credentialName "
            "Secret there, and a VirtualService must be exported there",
        ),
        OptionSpec(
            "mesh-root-namespace",
            str,
            DEFAULT_ROOT_NAMESPACE,
            "the mesh's root namespace (meshConfig rootNamespace): an AuthorizationPolicy "
            "there applies to the workloads of every namespace",
        ),
    )
    codes = codes.CODES
    description = (
        "Istio Gateway, VirtualService and DestinationRule (networking.istio.io); "
        "AuthorizationPolicy (security.istio.io) fails closed"
    )
    resources: tuple[ResourceKind, ...] = (
        ResourceKind(ISTIO_GROUP, "v1", "gateways", "Gateway"),
        ResourceKind(ISTIO_GROUP, "v1", "virtualservices", "VirtualService"),
        ResourceKind(ISTIO_GROUP, "v1", "destinationrules", "DestinationRule"),
        ResourceKind(ISTIO_GROUP, "v1", "serviceentries", "ServiceEntry"),
        ResourceKind(SECURITY_GROUP, "v1", "authorizationpolicies", "AuthorizationPolicy"),
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
            root_namespace=settings.get("mesh-root-namespace") or DEFAULT_ROOT_NAMESPACE,
        )
        istio = sorted(
            (o for o in ctx.objects if o.group == ISTIO_GROUP and o.kind in KINDS), key=_sort_key
        )
        policies = sorted(
            (o for o in ctx.objects if o.group == SECURITY_GROUP and o.kind in SECURITY_KINDS),
            key=_sort_key,
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
        for obj in (*istio, *policies):
            ctx.claim(obj)
            version = obj.api_version.rpartition("/")[2]
            known = SECURITY_VERSIONS if obj.group == SECURITY_GROUP else ISTIO_VERSIONS
            if version not in known:
                ctx.report.warning(
                    "istio-version-unknown",
                    f"{obj.api_version} is not a known Istio version ({', '.join(known)}); "
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
        convert_authorization_policies(state, policies)
        for info in state.gateways.values():
            build_gateway(state, info)
        report_shared_addresses(state)
        for obj in state.destination_rules:
            convert_destination_rule(state, obj)


PROVIDER = IstioProvider()
