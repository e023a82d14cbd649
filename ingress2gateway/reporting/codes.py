"""Notification codes: stable identifiers users can filter on, each documented here.

A code never changes meaning once released; ``docs/notifications.md`` is generated from this
table (``scripts/gen_docs.py``) and a test checks that every code the source uses is listed.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # plug-ins
    "provider-unavailable": "An installed provider failed to load (check without --providers).",
    # reading input
    "input-invalid": "A file or document could not be read (malformed YAML/JSON, binary, not UTF-8, "
    "alias bomb, too deep, a key twice in one mapping) or holds an object the API server could "
    "never store (no name, an impossible namespace, annotations over 256 KiB). The other documents "
    "still convert; the run exits 1.",
    "input-duplicate": "The input defines the same object (kind, namespace, name) twice; as with "
    "kubectl apply, the later definition is converted and the earlier one is ignored.",
    "input-not-kubernetes": "A document without apiVersion/kind (or not a mapping) was skipped.",
    "object-not-consumed": "An object of a kind no selected provider reads was skipped.",
    "cluster-resource-missing": "The cluster does not serve a kind a provider reads (CRD not installed).",
    "cluster-insecure-tls": "The kubeconfig context skips TLS verification; the server's identity "
    "was not checked.",
    "cluster-list-restarted": "A paged list expired (410) and was listed again from the start.",
    # Ingress selection and parsing
    "ingress-class-missing": "An Ingress names no class and no default IngressClass is in the input; "
    "it was skipped (pass --default-ingress-class).",
    "ingress-class-not-selected": "An Ingress belongs to a class no selected provider owns; it was skipped.",
    "ingress-field-unknown": "An Ingress has a field no Ingress API version has (a misspelt "
    "`htp` or `pathtype`, say): the API server refuses or drops it, so the controller never saw "
    "what it holds; it is reported, not converted.",
    "ingress-invalid-part": "Part of an Ingress is invalid (pathType, path, backend, host); that part "
    "was not converted, the rest was.",
    "path-type-implementation-specific": "ImplementationSpecific paths were read the way the "
    "provider's controller reads them.",
    "path-not-representable": "A path cannot be expressed as a Gateway API Exact/PathPrefix match.",
    "backend-resource-ignored": "An Ingress path's backend is a resource (not a Service) and "
    "the controller skips such paths (ingress-nginx makes no location for them); the path is "
    "not converted.",
    "backend-port-unresolved": "A named Service port could not be resolved (the Service is not in the "
    "input or has no such port); that path was not converted.",
    # layout and conflicts
    "path-conflict": "Two Ingresses route the same host, path and path type; the older one wins "
    "(as ingress-nginx does) and the other path is dropped.",
    "default-backend-conflict": "Two Ingresses set the catch-all default backend; the older one wins.",
    "default-backend-unused": "An Ingress's defaultBackend is never used (its hosts already route / "
    "or belong to an older Ingress).",
    "tls-without-secret": "A spec.tls entry has no secretName: the controller served its default "
    "certificate. The HTTPS listener names the Secret of --default-certificate (info) or a "
    "Secret 'default-certificate' in the Gateway's namespace that you must create (warning).",
    "tls-certificate-conflict": "A host already has a certificate from an older Ingress.",
    "tls-unused": "A spec.tls entry names hosts no converted rule routes.",
    "gateway-namespace-chosen": "Ingresses of one class span namespaces; the shared Gateway's namespace "
    "was chosen (override with --gateway-namespace).",
    "gateway-not-needed": "No rule of an ingress class could be routed, so no Gateway is generated "
    "for it.",
    "gateway-listeners-spilled": "A Gateway needs more than 64 listeners: the surplus is in "
    "ListenerSets attached to it (Gateway API v1.5+), so every host keeps its address.",
    "gateway-split": "A Gateway needs more than 64 listeners and the target has no ListenerSet: "
    "the hosts are spread over several Gateways, each with its own address.",
    # annotations and features
    "annotation-unknown": "A vendor annotation the provider does not know; not converted.",
    "annotation-unsupported": "A known annotation that cannot be converted (or only partly).",
    "value-refused": "A value is not of the grammar of what it would become (a header, cookie "
    "attribute, URL, host name …): it is refused and never emitted (security: it could forge "
    "another header or attribute).",
    "extension-unsupported": "A feature standard Gateway API lacks could not be expressed by the "
    "chosen emitter; security-relevant ones (auth, allow-lists, client certificates, a snippet's "
    "deny lines) are errors, and the rules they protect are emitted closed (no backend; "
    "--access-control-fallback open leaves them open).",
    "header-invalid": "A header operation (set, add, remove) whose name is not an HTTP token or whose "
    "value is empty or over 4096 characters: Gateway API refuses it, so it is left out of the filter.",
    "target-lacks-feature": "The target Gateway API version/channel lacks a field or kind; it was not "
    "emitted (the message names the version or channel that has it).",
    # output
    "output-invalid": "An output object would be rejected by the API server; it is not printed "
    "unless --emit-invalid.",
    "verify-difference": "(print --verify) A request the migration answers differently from the "
    "source controller, and no warning or error of the report says so: a defect of the "
    "converter or of its report.",
    "verify-summary": "(print --verify) How many requests were verified, and how many were "
    "answered differently.",
    "manifest-invalid": "(validate) A Gateway API or Envoy Gateway manifest would be rejected by the "
    "API server of the target version and channel.",
    # kong provider
    "kong-value-invalid": "(kong) A konghq.com annotation or Kong CRD field has a value Kong would "
    "reject; that field is not converted.",
    "kong-reference-missing": "(kong) A KongPlugin, KongClusterPlugin, KongIngress or "
    "KongUpstreamPolicy named by an annotation is not in the input.",
    "kong-feature-unsupported": "(kong) A Kong feature (plugin, CRD field, annotation) that neither "
    "Gateway API nor any extension carries; not converted.",
    "kong-behaviour-differs": "(kong) Converted, but the result behaves differently from Kong in a "
    "way the message explains (426 redirects, certificate verification, header semantics).",
    "kong-conversion-note": "(kong) How a Kong setting was read (character prefixes, consumers, "
    "gRPC routes); no action needed unless the message says so.",
    "kong-kind-deprecated": "(kong) KongIngress, TCPIngress and UDPIngress are deprecated since KIC "
    "3.5 and removed in Kong Operator 2.0; converted anyway.",
    "kong-annotation-misplaced": "(kong) An Ingress-only konghq.com annotation on a Service, where "
    "Kong does not read it.",
    # istio provider
    "istio-field-unsupported": "(istio) A field with no Gateway API equivalent, or an unknown field; "
    "not converted.",
    "istio-field-partial": "(istio) A field converted only in part; the message says what is lost.",
    "istio-field-ignored": "(istio) A field without effect on ingress routing (selector, exportTo, "
    "names); nothing to convert.",
    "istio-server-skipped": "(istio) A Gateway server could not become a listener (no credentialName, "
    "ISTIO_MUTUAL, unknown protocol, bad port).",
    "istio-allowed-routes": "(istio) A server host admits every namespace in Istio; the listener "
    "admits the namespaces of the converted VirtualServices.",
    "istio-gateway-not-found": "(istio) A VirtualService names a gateway that is not in the input, or "
    "none of whose listeners it can bind.",
    "istio-mesh-only": "(istio) A VirtualService (or its mesh gateway) routes sidecar traffic; "
    "not converted.",
    "istio-destination-unresolved": "(istio) A destination is not a Kubernetes Service or has no "
    "resolvable port; no backendRef was written for it.",
    "istio-subset": "(istio) A DestinationRule subset needs one Service per subset; the route "
    "targets the whole Service.",
    "istio-prefix-semantics": "(istio) Istio's character prefix became a segment PathPrefix "
    "(/foo no longer matches /foobar).",
    "istio-route-order": "(istio) Matches were dropped or narrowed so Gateway API precedence routes "
    "like Istio's first-match order.",
    "istio-route-order-unequal": "(istio) Two routes may match the same requests in a different order "
    "than in Istio (regular expressions, conflicting conditions).",
    "istio-route-split": "(istio) A VirtualService's rules were split across several HTTPRoutes.",
    "istio-version-unknown": "(istio) An unknown networking.istio.io or security.istio.io "
    "version, read as v1.",
    "istio-authorization": "(istio) An AuthorizationPolicy allows or denies nothing at the "
    "converted Gateways' pods (AUDIT, a DENY or CUSTOM policy without rules, a dry run, "
    "another namespace or workload); the message says why. One that may apply closes their routes "
    "(extension-unsupported).",
    "istio-duplicate-object": "(istio) The same Istio object appears twice; the first is used.",
    "istio-not-exported": "(istio) A VirtualService is not exported to the namespace of the "
    "gateway's pods (the provider option gateway-workload-namespace): Istio's gateway does not "
    "see it; not converted.",
    "istio-assumed": "(istio) A conversion depends on what the input does not say about the "
    "gateway's pods (their namespace, their labels); the message says what was assumed.",
    "istio-delegate": "(istio) A delegate VirtualService is missing, not exported to its root, "
    "unused, or has routes that conflict with the root's match (Istio drops them).",
    "istio-shared-address": "(istio) Istio Gateways that select the same pods share one address; "
    "as Gateway API Gateways they get one each, and both take a host: DNS decides.",
    "istio-rewrite-differs": "(istio) rewrite.uri replaces Istio's matched prefix character for "
    "character; Gateway API's ReplacePrefixMatch gives these paths another form.",
    # nginx provider (ingress-nginx and NGINX Inc)
    "nginx-annotation-invalid": "(nginx) An annotation value does not parse (bool, int, size, URL, "
    "CIDR...); that annotation is not converted, the rest of the Ingress is.",
    "nginx-case-insensitive": "(nginx) ingress-nginx matched a path case-insensitively (regex "
    "mode) that the migration matches case-sensitively: requests in another letter case no "
    "longer reach its backend.",
    "nginx-regex-mode": "(nginx) Another Ingress's use-regex/rewrite-target puts the host in regex "
    "mode, so this Ingress's paths become case-insensitive regex prefixes, as in ingress-nginx.",
    "nginx-redirect-trailing-slash": "(nginx) ingress-nginx's HTTPS and www redirects dropped a "
    "trailing slash from the URL they redirected to (unless preserve-trailing-slash); the "
    "migrated redirects keep the path as it is. Said once per Ingress; verify counts it as "
    "explaining those redirects.",
    "nginx-wildcard-depth": "(nginx) ingress-nginx's wildcard host *.example.com took one label "
    "only; Gateway API's takes any depth, so deeper names now reach the Ingress's backends.",
    "nginx-ssl-redirect": "(nginx) A TLS host redirects plain HTTP to HTTPS through a route on the "
    "HTTP listener, as the controller did.",
    "nginx-canary-no-primary": "(nginx) A canary Ingress path has no primary to join (or cannot "
    "join it); it receives no traffic, as in ingress-nginx.",
    "nginx-backend-tls-missing": "(nginx) The controller spoke TLS to a backend without verifying "
    "it; Gateway API cannot, so the converted route sends plain text to it.",
    "nginx-snippet": "(nginx) A snippet (raw nginx configuration) was not translated; security "
    "relevant, review it by hand.",
    "nginx-cors-wildcard-origin": "(nginx) A CORS origin `scheme://*.domain` matched one DNS "
    "label in ingress-nginx; Gateway API's wildcard matches any number, so origins with more "
    "labels gain CORS access.",
    "nginx-not-served": "(nginx) NGINX Inc served nothing of this Ingress, or not this host or "
    "path: another resource owns the host (the oldest Ingress, master or VirtualServer wins), an "
    "older minion has the path, a minion has no master, or the location never matches; it is "
    "not converted.",
    "nginx-resource-rejected": "(nginx) NGINX Inc rejects the whole Ingress or VirtualServer (a "
    "field fails its validation): it served nothing of it, so nothing of it is converted.",
    "nginx-inc-differs": "(nginx) Converted, but NGINX Inc answered some requests of this path "
    "differently, as the message says (a character prefix Gateway API's order cannot keep, a "
    "rewrite that doubled or dropped a slash, requests to a gRPC path that are not gRPC calls).",
    "nginx-no-auth-location": "(nginx) ingress-nginx checks no credentials on the locations "
    "under the ConfigMap's no-auth-locations (/.well-known/acme-challenge by default): the "
    "Ingress's auth is left off those rules, as in the controller.",
    "nginx-ingress-dropped": "(nginx) The controller did not serve this Ingress (an annotation "
    "value holds a word of the ConfigMap's annotation-value-word-blocklist): it is not "
    "converted, and its hosts and paths answer as if it did not exist.",
    "nginx-injection-suspect": "(nginx) A High/Critical-risk annotation value contains newlines, "
    "';', '{', '}' or '$': possible configuration injection.",
    # envoy-gateway emitter
    "eg-basic-auth-sha-only": "(envoy-gateway) Envoy Gateway basic auth reads the Secret key "
    "'.htpasswd' and accepts only SHA hashes; recreate the Secret with `htpasswd -s`.",
    "eg-body-limit-not-enforced": "(envoy-gateway) A request body limit of the source is not "
    "set, because Envoy Gateway enforces one only by buffering each request, which would hang "
    "the WebSocket or streamed requests the source carried there: larger requests now reach "
    "the backend.",
    "eg-sign-in-redirect-partial": "(envoy-gateway) A sign-in redirect on 401 is carried "
    "without the parts the source added per request (the original URL): users land on the "
    "sign-in service's default page after signing in.",
    "eg-policy-conflict": "(envoy-gateway) A feature could not be attached everywhere it applies "
    "(another value already set there, or rules that need rule names the target lacks).",
}

INTENDED_DIFFERENCES: frozenset[str] = frozenset({"nginx-redirect-trailing-slash"})
"""Info codes that announce requests the migration answers differently on purpose (a quirk not
worth carrying, said once per object): ``verify`` counts them as explaining a difference, as it
does warnings and errors."""
