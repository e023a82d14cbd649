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
    "alias bomb, too deep). The other documents still convert; the run exits 1.",
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
    "ingress-invalid-part": "Part of an Ingress is invalid (pathType, path, backend, host); that part "
    "was not converted, the rest was.",
    "path-type-implementation-specific": "ImplementationSpecific paths were read the way the "
    "provider's controller reads them.",
    "path-not-representable": "A path cannot be expressed as a Gateway API Exact/PathPrefix match.",
    "backend-port-unresolved": "A named Service port could not be resolved (the Service is not in the "
    "input or has no such port); that path was not converted.",
    # layout and conflicts
    "path-conflict": "Two Ingresses route the same host, path and path type; the older one wins "
    "(as ingress-nginx does) and the other path is dropped.",
    "default-backend-conflict": "Two Ingresses set the catch-all default backend; the older one wins.",
    "default-backend-unused": "An Ingress's defaultBackend is never used (its hosts already route / "
    "or belong to an older Ingress).",
    "tls-without-secret": "A spec.tls entry has no secretName (the controller's default certificate); "
    "no HTTPS listener could be made.",
    "tls-certificate-conflict": "A host already has a certificate from an older Ingress.",
    "tls-unused": "A spec.tls entry names hosts no converted rule routes.",
    "gateway-namespace-chosen": "Ingresses of one class span namespaces; the shared Gateway's namespace "
    "was chosen (override with --gateway-namespace).",
    "gateway-not-needed": "No rule of an ingress class could be routed, so no Gateway is generated "
    "for it.",
    "gateway-listener-limit": "A Gateway would need more than 64 listeners.",
    # annotations and features
    "annotation-unknown": "A vendor annotation the provider does not know; not converted.",
    "annotation-unsupported": "A known annotation that cannot be converted (or only partly).",
    "extension-unsupported": "A feature standard Gateway API lacks could not be expressed by the "
    "chosen emitter; security-relevant ones (auth, allow-lists) are errors.",
    "target-lacks-feature": "The target Gateway API version/channel lacks a field or kind; it was not "
    "emitted (the message names the version or channel that has it).",
    # output
    "output-invalid": "An output object would be rejected by the API server; it is not printed "
    "unless --emit-invalid.",
    "manifest-invalid": "(validate) A Gateway API or Envoy Gateway manifest would be rejected by the "
    "API server of the target version and channel.",
}
