"""Every ``konghq.com/*`` annotation key the Kong provider recognises, in one table.

The table drives the ledger (keys no handler recorded get the row's status and note), the
``ingress2gateway providers kong`` listing, the generated ``docs/providers/kong.md`` and the
"unknown annotation" check. Keys and defaults follow the Kong Ingress Controller 3.x annotation
reference (developer.konghq.com ``reference/annotations``) and ``subtranslator/ingress.go``.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.converting.key_catalog import KeySpec, ledger_status, rows_of
from ingress2gateway.plugin import CatalogRow

PREFIX = "konghq.com/"
HEADERS_FAMILY = "konghq.com/headers."
"""``konghq.com/headers.<name>``: one key per header name."""


CATALOG: tuple[KeySpec, ...] = (
    # --- Ingress (route) annotations ---------------------------------------------------------
    KeySpec("konghq.com/plugins", "partial", "Ingress+Service", "high",
            "KongPlugin/KongClusterPlugin: cors, request/response-transformer headers become "
            "filters; ip-restriction, rate-limiting, auth and request-size-limiting become "
            "extensions; other plugins are reported"),
    KeySpec("konghq.com/tags", "ignored", "Ingress+Service", "low",
            "tags on generated Kong entities; nothing routes on them"),
    KeySpec("konghq.com/protocols", "partial", "Ingress", "medium",
            "https only: HTTP gets a redirect (see https-redirect-status-code); grpc/grpcs: a "
            "GRPCRoute; tls_passthrough on TCPIngress: a Passthrough TLS listener"),
    KeySpec("konghq.com/preserve-host", "converted", "Ingress", "low",
            "true (Kong's default for Ingress) is Gateway API's behaviour; false rewrites the "
            "Host to the Service's host-header, else to the Service's cluster DNS name"),
    KeySpec("konghq.com/strip-path", "converted", "Ingress", "high",
            "URLRewrite ReplacePrefixMatch / (or the Service's konghq.com/path); regex paths "
            "cannot be stripped and are reported"),
    KeySpec("konghq.com/https-redirect-status-code", "partial", "Ingress", "medium",
            "301/302/307/308 become a RequestRedirect to https; 426 (Kong's default) has no "
            "Gateway API equivalent: the paths are served on HTTPS only and reported"),
    KeySpec("konghq.com/regex-priority", "unsupported", "Ingress", "medium",
            "Gateway API orders regular-expression matches itself; Kong's priority is lost"),
    KeySpec("konghq.com/regex-prefix", "converted", "Ingress", "medium",
            "the marker (default /~) that makes an ImplementationSpecific path a regular "
            "expression"),
    KeySpec("konghq.com/methods", "converted", "Ingress", "medium",
            "one match per method (combined with headers.*)"),
    KeySpec("konghq.com/snis", "unsupported", "Ingress", "low",
            "SNI route matching; listeners already match hostnames, the SNI list is not carried"),
    KeySpec("konghq.com/request-buffering", "needs-extension", "Ingress", "low",
            "buffering extension (not in standard Gateway API)"),
    KeySpec("konghq.com/response-buffering", "needs-extension", "Ingress", "low",
            "buffering extension (not in standard Gateway API)"),
    KeySpec("konghq.com/host-aliases", "converted", "Ingress", "medium",
            "every rule of the Ingress is also routed for each alias host (own listener and "
            "route)"),
    KeySpec("konghq.com/path-handling", "partial", "Ingress", "low",
            "v0/v1 joining of Service path and request path; the output joins like v0"),
    KeySpec("konghq.com/headers.*", "converted", "Ingress", "medium",
            "header matches; values separated by headers-separator are alternatives (one match "
            "each)"),
    KeySpec("konghq.com/headers-separator", "converted", "Ingress", "low",
            "separator of headers.* values"),
    KeySpec("konghq.com/rewrite", "partial", "Ingress", "high",
            "Kong applies it only with its RewriteURIs feature gate (off by default): ignored, "
            "or with --provider-option kong.rewrite-uris=true a ReplaceFullPath URLRewrite "
            "($n captures of a regex path: a regex-rewrite extension)"),
    # --- Service (upstream) annotations ------------------------------------------------------
    KeySpec("konghq.com/protocol", "converted", "Service", "high",
            "https/grpcs: BackendTLSPolicy; grpc/grpcs: GRPCRoute; tcp/tls/udp: stream "
            "routes only"),
    KeySpec("konghq.com/path", "converted", "Service", "high",
            "URLRewrite path prefix on the rules that use the Service"),
    KeySpec("konghq.com/client-cert", "needs-extension", "Service", "medium",
            "backend TLS options extension (upstream client certificate; Gateway "
            "spec.tls.backend is Gateway-wide)"),
    KeySpec("konghq.com/host-header", "converted", "Service", "low",
            "URLRewrite hostname where the Ingress sets preserve-host false (Kong's "
            "preserve_host wins otherwise)"),
    KeySpec("konghq.com/upstream-policy", "needs-extension", "Service", "medium",
            "KongUpstreamPolicy: load-balancing and sticky-session extensions; health checks "
            "reported"),
    KeySpec("konghq.com/connect-timeout", "needs-extension", "Service", "medium",
            "timeouts extension (milliseconds)"),
    KeySpec("konghq.com/read-timeout", "needs-extension", "Service", "medium",
            "timeouts extension (a per-read timeout, not Gateway API's whole-request timeout)"),
    KeySpec("konghq.com/write-timeout", "needs-extension", "Service", "medium",
            "timeouts extension"),
    KeySpec("konghq.com/retries", "needs-extension", "Service", "low",
            "retry extension (Kong retries connection failures only)"),
    KeySpec("konghq.com/tls-verify", "converted", "Service", "high",
            "BackendTLSPolicy verifies always; false/absent is reported (Kong did not verify)"),
    KeySpec("konghq.com/tls-verify-depth", "unsupported", "Service", "low",
            "BackendTLSPolicy has no chain-depth setting"),
    KeySpec("konghq.com/ca-certificates-secrets", "partial", "Service", "high",
            "BackendTLSPolicy takes CA bundles from ConfigMaps; Secrets are reported"),
    KeySpec("konghq.com/ca-certificates-configmaps", "converted", "Service", "high",
            "BackendTLSPolicy caCertificateRefs"),
    KeySpec("konghq.com/override", "partial", "Ingress+Service", "medium",
            "deprecated link to a KongIngress; its sections are converted like the annotations"),
    # --- output-side keys met in input ---------------------------------------------------------
    KeySpec("konghq.com/gatewayclass-unmanaged", "ignored", "GatewayClass", "low",
            "KIC's unmanaged-Gateway marker on GatewayClasses; not routing configuration"),
    KeySpec("konghq.com/publish-service", "ignored", "Gateway", "low",
            "which Service address KIC publishes in Gateway status; not routing configuration"),
)  # fmt: skip

_BY_KEY = {spec.key: spec for spec in CATALOG}


def lookup(key: str) -> KeySpec | None:
    """The catalog row of a full annotation key (``headers.<name>`` keys share one row)."""
    if key.startswith(HEADERS_FAMILY) and key != HEADERS_FAMILY:
        return _BY_KEY["konghq.com/headers.*"]
    return _BY_KEY.get(key)


def annotation_spec(key: str, spec: KeySpec) -> AnnotationSpec:
    return AnnotationSpec(key, ledger_status(spec), spec.note)


def catalog_rows() -> list[CatalogRow]:
    return rows_of(CATALOG)
