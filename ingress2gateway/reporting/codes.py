"""Notification codes: stable identifiers users can filter on, each documented.

:data:`CODES` holds the core's; each provider and emitter documents its own in its ``codes``
(see :mod:`ingress2gateway.plugin`). A code never changes meaning once released;
``docs/notifications.md`` is generated from both (``scripts/gen_docs.py``), and a test checks
that every code the source uses is listed by the core or by the plug-in that uses it.
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
    "gateway-class-assumed": "No --gateway-class-name was given: the generated Gateways name "
    "a GatewayClass after the ingress class, which your Gateway API implementation probably "
    "does not have (Envoy Gateway's is usually eg).",
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
    "feature-partial": "The chosen emitter carries a feature only in part (the message says "
    "what is lost: consistent hashing instead of stickiness, a rate limit counted per replica, "
    "the headers an auth service receives …): the behaviour differs there.",
    "header-invalid": "A header operation (set, add, remove) whose name is not an HTTP token or whose "
    "value is empty or over 4096 characters: Gateway API refuses it, so it is left out of the filter.",
    "target-lacks-feature": "The target Gateway API version/channel lacks a field or kind; it was not "
    "emitted (the message names the version or channel that has it).",
    # tools beside the controller
    "companion-annotation-conflict": "Ingresses sharing a Gateway (or a route) disagree on a "
    "cert-manager or external-dns annotation, or only some set it: the generated object carries "
    "the oldest Ingress's value, which applies to every host it serves.",
    "companion-annotation-invalid": "A cert-manager or external-dns annotation whose key is not "
    "a valid name or whose value holds control or bidirectional characters: not carried.",
    "companion-annotation-unsupported": "A cert-manager annotation that works on Ingresses only "
    "(kubernetes.io/tls-acme): the Gateway's certificates would no longer be renewed.",
    "cert-manager-listener-skipped": "cert-manager will not issue a certificate for an HTTPS "
    "listener (its Secret is in another namespace than the Gateway, or it has no hostname).",
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
}
