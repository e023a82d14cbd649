"""The notification codes of the GCE (GKE Ingress) provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "gce-value-invalid": "A GKE annotation or BackendConfig/FrontendConfig field has a value "
    "GKE would reject or misread; that field is not converted.",
    "gce-reference-missing": "A BackendConfig, FrontendConfig or ManagedCertificate named by "
    "an annotation is not in the input.",
    "gce-feature-unsupported": "A Google Cloud load balancer feature (static IP, Google-managed "
    "or pre-shared certificate, CDN, health check, SSL policy...) that Gateway API cannot say; "
    "not converted.",
    "gce-access-control": "Identity-Aware Proxy or a Cloud Armor policy protected a Service; no "
    "emitter carries it, so the rules that reach that Service are emitted closed.",
    "gce-behaviour-differs": "Converted, but the result answers some requests differently from "
    "GKE in the way the message explains.",
    "gce-load-balancer-per-ingress": "GKE gave every Ingress its own load balancer and address: "
    "each Ingress becomes its own Gateway.",
    "gce-no-load-balancer": "GKE made no load balancer for this Ingress (allow-http false and "
    "no certificate), so nothing of it is converted.",
}
