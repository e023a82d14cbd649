"""Every GKE Ingress annotation, Service annotation and CRD field the GCE provider recognises.

The table drives the ledger (an Ingress annotation no handler recorded gets its row's status and
note), ``ingress2gateway providers gce`` and the generated ``docs/providers/gce.md``. Keys and
meanings follow ingress-gce v1.41.1 (``pkg/annotations/{ingress,service}.go``,
``pkg/apis/backendconfig/v1/types.go``, ``pkg/apis/frontendconfig/v1beta1/types.go``) and the
gke-managed-certs README.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.converting.key_catalog import KeySpec, ledger_status, rows_of
from ingress2gateway.plugin import CatalogRow

CLASS_KEY = "kubernetes.io/ingress.class"
ALLOW_HTTP = "kubernetes.io/ingress.allow-http"
GLOBAL_IP = "kubernetes.io/ingress.global-static-ip-name"
REGIONAL_IP = "kubernetes.io/ingress.regional-static-ip-name"
PRE_SHARED_CERT = "ingress.gcp.kubernetes.io/pre-shared-cert"
MANAGED_CERTS = "networking.gke.io/managed-certificates"
FRONTEND_CONFIG = "networking.gke.io/v1beta1.FrontendConfig"
SUPPRESS_XPN = "networking.gke.io/suppress-firewall-xpn-error"

BACKEND_CONFIG = "cloud.google.com/backend-config"
BACKEND_CONFIG_BETA = "beta.cloud.google.com/backend-config"
APP_PROTOCOLS = "cloud.google.com/app-protocols"
APP_PROTOCOLS_ALPHA = "service.alpha.kubernetes.io/app-protocols"
NEG = "cloud.google.com/neg"

# Written by the controller (status), never by users: ignored, not reported as unknown.
STATUS_PREFIXES = ("ingress.kubernetes.io/", "ingress.gcp.kubernetes.io/instance-groups")


CATALOG: tuple[KeySpec, ...] = (
    # --- Ingress annotations -----------------------------------------------------------------
    KeySpec(CLASS_KEY, "converted", "Ingress", "high",
            "gce, gce-internal and gce-regional-external are served; GKE reads only this "
            "annotation (spec.ingressClassName is ignored) and serves Ingresses with neither"),
    KeySpec(ALLOW_HTTP, "converted", "Ingress", "high",
            "false: the Gateway has no HTTP listeners (GKE made no port-80 forwarding rule); "
            "with no certificate either, GKE made no load balancer and nothing is converted"),
    KeySpec(GLOBAL_IP, "unsupported", "Ingress", "high",
            "a reserved global address; Gateway.spec.addresses (NamedAddress) is not generated: "
            "the Gateway gets a new address"),
    KeySpec(REGIONAL_IP, "unsupported", "Ingress", "high",
            "a reserved regional address; not generated, as for the global one"),
    KeySpec(PRE_SHARED_CERT, "unsupported", "Ingress", "high",
            "Compute SslCertificates are not Kubernetes Secrets: HTTPS listeners need a Secret "
            "with the certificate"),
    KeySpec(MANAGED_CERTS, "unsupported", "Ingress", "high",
            "Google-managed certificates have no Gateway API equivalent (use cert-manager or "
            "the implementation's own certificate management)"),
    KeySpec(FRONTEND_CONFIG, "partial", "Ingress", "medium",
            "FrontendConfig: redirectToHttps becomes a RequestRedirect of every HTTP request; "
            "sslPolicy is reported"),
    KeySpec(SUPPRESS_XPN, "ignored", "Ingress", "low",
            "shared-VPC firewall errors become events; nothing routes on it"),
    # --- Service annotations -----------------------------------------------------------------
    KeySpec(BACKEND_CONFIG, "partial", "Service", "high",
            "BackendConfig per Service port ({\"default\": ..., \"ports\": {...}}), applied to "
            "every rule whose backend is that Service port (see the BackendConfig rows)"),
    KeySpec(BACKEND_CONFIG_BETA, "partial", "Service", "high",
            "the beta key, read when the GA key is absent"),
    KeySpec(APP_PROTOCOLS, "unsupported", "Service", "medium",
            "HTTPS / HTTP2 from the load balancer to the pods (without certificate "
            "verification); Gateway API cannot skip verification: reported"),
    KeySpec(APP_PROTOCOLS_ALPHA, "unsupported", "Service", "medium",
            "the alpha key, which GKE reads before the GA one"),
    KeySpec(NEG, "ignored", "Service", "low",
            "container-native load balancing (NEGs); Gateway implementations route to "
            "endpoints anyway"),
    # --- BackendConfig (cloud.google.com/v1, v1beta1) -----------------------------------------
    KeySpec("BackendConfig spec.timeoutSec", "converted", "BackendConfig", "medium",
            "the backend service timeout: the rule's timeouts.backendRequest"),
    KeySpec("BackendConfig spec.customRequestHeaders", "partial", "BackendConfig", "medium",
            "RequestHeaderModifier add; headers whose value uses load-balancer variables "
            "({client_region}...) or that are malformed are reported, not copied"),
    KeySpec("BackendConfig spec.customResponseHeaders", "partial", "BackendConfig", "medium",
            "ResponseHeaderModifier add; same limits as the request headers"),
    KeySpec("BackendConfig spec.sessionAffinity", "partial", "BackendConfig", "medium",
            "GENERATED_COOKIE: cookie session affinity (extension, cookie GCLB); CLIENT_IP: a "
            "consistent hash on the client address (extension); other values are reported"),
    KeySpec("BackendConfig spec.iap", "needs-extension", "BackendConfig", "high",
            "Identity-Aware Proxy: access control no emitter carries, so the rules to the "
            "Service are emitted closed"),
    KeySpec("BackendConfig spec.securityPolicy", "needs-extension", "BackendConfig", "high",
            "Cloud Armor policy: access control no emitter carries, so the rules to the "
            "Service are emitted closed"),
    KeySpec("BackendConfig spec.cdn", "unsupported", "BackendConfig", "low",
            "Cloud CDN has no Gateway API equivalent"),
    KeySpec("BackendConfig spec.healthCheck", "unsupported", "BackendConfig", "medium",
            "load-balancer health checks; implementations use the pods' readiness"),
    KeySpec("BackendConfig spec.connectionDraining", "unsupported", "BackendConfig", "low",
            "connection draining timeout; no Gateway API field"),
    KeySpec("BackendConfig spec.logging", "unsupported", "BackendConfig", "low",
            "load-balancer request logging; no Gateway API field"),
    KeySpec("BackendConfig spec.*", "unsupported", "BackendConfig", "low",
            "any other field (maxRatePerEndpoint, outlier detection...): reported"),
    # --- FrontendConfig (networking.gke.io/v1beta1) -------------------------------------------
    KeySpec("FrontendConfig spec.redirectToHttps", "converted", "FrontendConfig", "high",
            "every HTTP request of the Ingress (any host, any path) redirects to https with "
            "responseCodeName (301 by default, 302, 303, 307, 308)"),
    KeySpec("FrontendConfig spec.sslPolicy", "unsupported", "FrontendConfig", "medium",
            "a Compute SSL policy on the HTTPS proxy; no Gateway API field"),
    # --- ManagedCertificate (networking.gke.io/v1) --------------------------------------------
    KeySpec("ManagedCertificate spec.domains", "unsupported", "ManagedCertificate", "high",
            "Google-managed certificates have no Gateway API equivalent"),
)  # fmt: skip

_BY_KEY = {spec.key: spec for spec in CATALOG}


def lookup(key: str) -> KeySpec | None:
    return _BY_KEY.get(key)


def ingress_catalog() -> dict[str, AnnotationSpec]:
    """The Ingress annotations, as the base class reads them."""
    return {
        s.key: AnnotationSpec(s.key, ledger_status(s), s.note)
        for s in CATALOG
        if s.scope == "Ingress"
    }


def catalog_rows() -> list[CatalogRow]:
    return rows_of(CATALOG)
