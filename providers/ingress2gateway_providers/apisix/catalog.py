"""Every ``k8s.apisix.apache.org/*`` annotation and APISIX CRD field the provider recognises.

The table drives the ledger (annotation keys no handler recorded get the row's status and
note), the ``ingress2gateway providers apisix`` listing, the generated
``docs/providers/apisix.md`` and the "unknown annotation" check. Keys follow
``internal/adc/translator/annotations/types.go`` of apache/apisix-ingress-controller (the same
40 constants in 1.8.4 and 2.x) and the CRD types in ``api/v2/*_types.go``.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.converting.key_catalog import LEDGER_STATUS, KeySpec, rows_of
from ingress2gateway.plugin import CatalogRow

from .common import PREFIX

P = PREFIX
ANNOTATIONS: tuple[KeySpec, ...] = (
    KeySpec(P + "use-regex", "converted", "Ingress", "high",
            "ImplementationSpecific paths are PCRE searched anywhere in the path: "
            "RegularExpression .*(?:path).*"),
    KeySpec(P + "enable-websocket", "converted", "Ingress", "low",
            "Gateway API implementations pass WebSocket upgrades by default"),
    KeySpec(P + "plugin-config-name", "partial", "Ingress", "high",
            "the ApisixPluginConfig's plugins are applied to every rule of the Ingress "
            "(plugins without Gateway API concept are reported)"),
    KeySpec(P + "upstream-scheme", "partial", "Ingress", "medium",
            "http is the default; https/grpcs need a BackendTLSPolicy, grpc a GRPCRoute: "
            "reported"),
    KeySpec(P + "upstream-retries", "needs-extension", "Ingress", "low",
            "retry extension (HTTPRoute retry on experimental targets)"),
    KeySpec(P + "upstream-connect-timeout", "needs-extension", "Ingress", "low",
            "timeouts extension (connect)"),
    KeySpec(P + "upstream-read-timeout", "needs-extension", "Ingress", "low",
            "timeouts extension (read)"),
    KeySpec(P + "upstream-send-timeout", "needs-extension", "Ingress", "low",
            "timeouts extension (send)"),
    KeySpec(P + "enable-cors", "converted", "Ingress", "medium",
            "HTTPRoute CORS filter (Gateway API v1.5+; a CORS extension before)"),
    KeySpec(P + "cors-allow-origin", "converted", "Ingress", "medium",
            "CORS allowOrigins (APISIX default *)"),
    KeySpec(P + "cors-allow-headers", "converted", "Ingress", "low",
            "CORS allowHeaders (APISIX default *)"),
    KeySpec(P + "cors-allow-methods", "converted", "Ingress", "low",
            "CORS allowMethods (APISIX default *)"),
    KeySpec(P + "enable-csrf", "unsupported", "Ingress", "medium",
            "the csrf plugin has no Gateway API equivalent"),
    KeySpec(P + "csrf-key", "unsupported", "Ingress", "low",
            "key of the csrf plugin; never copied into output"),
    KeySpec(P + "http-to-https", "converted", "Ingress", "medium",
            "a 301 RequestRedirect to https on the HTTP listener; HTTPS keeps the backends"),
    KeySpec(P + "http-redirect", "converted", "Ingress", "medium",
            "RequestRedirect (absolute URL or path; $vars are reported)"),
    KeySpec(P + "http-redirect-code", "converted", "Ingress", "low",
            "redirect status (301..308, other values are 301 as in the controller)"),
    KeySpec(P + "rewrite-target", "converted", "Ingress", "high",
            "URLRewrite ReplaceFullPath"),
    KeySpec(P + "rewrite-target-regex", "needs-extension", "Ingress", "high",
            "regex-rewrite extension (Envoy Gateway HTTPRouteFilter); only with "
            "rewrite-target-regex-template"),
    KeySpec(P + "rewrite-target-regex-template", "needs-extension", "Ingress", "high",
            "substitution of rewrite-target-regex ($1 captures)"),
    KeySpec(P + "enable-response-rewrite", "partial", "Ingress", "medium",
            "response headers become a ResponseHeaderModifier; status and body rewrites are "
            "reported"),
    KeySpec(P + "response-rewrite-status-code", "unsupported", "Ingress", "medium",
            "Gateway API cannot change a backend's response status"),
    KeySpec(P + "response-rewrite-body", "unsupported", "Ingress", "medium",
            "Gateway API cannot replace a response body"),
    KeySpec(P + "response-rewrite-body-base64", "unsupported", "Ingress", "low",
            "decoding of response-rewrite-body"),
    KeySpec(P + "response-rewrite-add-header", "converted", "Ingress", "low",
            "ResponseHeaderModifier add (Name:value entries)"),
    KeySpec(P + "response-rewrite-set-header", "converted", "Ingress", "low",
            "ResponseHeaderModifier set (Name:value entries)"),
    KeySpec(P + "response-rewrite-remove-header", "converted", "Ingress", "low",
            "ResponseHeaderModifier remove"),
    KeySpec(P + "auth-uri", "needs-extension", "Ingress", "high",
            "external-auth extension (forward-auth); closed where the emitter cannot carry it",
            security=True),
    KeySpec(P + "auth-ssl-verify", "partial", "Ingress", "low",
            "verification of the auth server's certificate (on by default)"),
    KeySpec(P + "auth-request-headers", "partial", "Ingress", "low",
            "headers sent to the auth server"),
    KeySpec(P + "auth-upstream-headers", "converted", "Ingress", "medium",
            "auth response headers copied to the backend request"),
    KeySpec(P + "auth-client-headers", "partial", "Ingress", "low",
            "auth response headers returned to the client on refusal"),
    KeySpec(P + "allowlist-source-range", "needs-extension", "Ingress", "high",
            "IP allow-list extension; closed where the emitter cannot carry it", security=True),
    KeySpec(P + "blocklist-source-range", "needs-extension", "Ingress", "high",
            "IP deny-list extension; closed where the emitter cannot carry it", security=True),
    KeySpec(P + "http-allow-methods", "partial", "Ingress", "medium",
            "one match per allowed method; other methods get 404 instead of APISIX's 405"),
    KeySpec(P + "http-block-methods", "partial", "Ingress", "medium",
            "one match per standard method not blocked; blocked methods get 404 instead of 405"),
    KeySpec(P + "auth-type", "needs-extension", "Ingress", "high",
            "keyAuth / basicAuth: API-key or basic-auth extension with the consumers' "
            "credentials re-created by hand; closed where the emitter cannot carry it",
            security=True),
    KeySpec(P + "svc-namespace", "converted", "Ingress", "medium",
            "backendRefs name the Services in that namespace (with a ReferenceGrant)"),
)  # fmt: skip

CRD_ROWS: tuple[CatalogRow, ...] = (
    CatalogRow("ApisixRoute spec.ingressClassName", "converted",
               "which controller serves it (empty: the default IngressClass's)", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.hosts", "converted",
               "route hostnames and HTTP(S) listeners (wildcards kept)", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.paths", "converted",
               "exact uri → Exact, /p/* → PathPrefix, /p* → RegularExpression", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.methods", "converted", "one match per method",
               "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.exprs", "partial",
               "Header/Query Equal, In, RegexMatch(CaseInsensitive) → matches; other scopes and "
               "negations are reported (the rule then matches more)", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.remoteAddrs", "unsupported",
               "client-address matching has no Gateway API equivalent", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].match.filter_func", "unsupported",
               "Lua code: never copied", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].priority", "partial",
               "Gateway API orders by match specificity; differences are reported",
               "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].backends", "converted",
               "weighted backendRefs (weight default 100)", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].upstreams", "unsupported",
               "ApisixUpstream external nodes: no Service to name", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].websocket", "converted",
               "WebSocket upgrades pass by default", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].timeout", "needs-extension",
               "timeouts extension (connect/send/read)", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].plugins", "partial",
               "proxy-rewrite, redirect, cors, response-rewrite headers → filters; "
               "ip-restriction, key-auth, basic-auth, jwt-auth, forward-auth, limit-count/req → "
               "extensions; others reported", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].plugin_config_name", "partial",
               "the ApisixPluginConfig's plugins, read as plugins", "ApisixRoute"),
    CatalogRow("ApisixRoute spec.http[].authentication", "needs-extension",
               "keyAuth/basicAuth/jwtAuth → auth extensions; wolfRbac/ldapAuth/hmacAuth → "
               "closed (security)", "ApisixRoute", "high"),
    CatalogRow("ApisixRoute spec.stream", "converted",
               "TCP → TCPRoute, UDP → UDPRoute on a listener at match.ingressPort", "ApisixRoute"),
    CatalogRow("ApisixUpstream spec", "partial",
               "scheme https/grpcs, loadbalancer, retries, timeout → extensions or reported; "
               "healthCheck, subsets, externalNodes reported", "ApisixUpstream"),
    CatalogRow("ApisixTls spec.hosts / spec.secret", "converted",
               "HTTPS listeners with the Secret (ReferenceGrant across namespaces)", "ApisixTls"),
    CatalogRow("ApisixTls spec.client", "needs-extension",
               "client-certificate extension (mTLS); closed where not carried", "ApisixTls",
               "high"),
    CatalogRow("ApisixPluginConfig spec.plugins", "partial",
               "read where a route names it", "ApisixPluginConfig"),
    CatalogRow("ApisixConsumer spec", "unsupported",
               "consumers and their credentials have no Gateway API equivalent",
               "ApisixConsumer"),
    CatalogRow("ApisixGlobalRule spec.plugins", "unsupported",
               "plugins on every request of the gateway: reported", "ApisixGlobalRule"),
    CatalogRow("BackendTrafficPolicy / HTTPRoutePolicy / L4RoutePolicy spec", "unsupported",
               "2.x policies (load balancing, retries, timeouts, route priority and vars): "
               "reported", "v1alpha1 policies", "medium"),
    CatalogRow("ApisixClusterConfig spec", "ignored",
               "data-plane settings (1.x), not routing", "ApisixClusterConfig"),
)  # fmt: skip

_BY_KEY = {spec.key: spec for spec in ANNOTATIONS}


def lookup(key: str) -> KeySpec | None:
    return _BY_KEY.get(key)


def annotation_specs() -> dict[str, AnnotationSpec]:
    return {
        s.key: AnnotationSpec(s.key, LEDGER_STATUS[s.status], s.note, security=s.security)
        for s in ANNOTATIONS
    }


def catalog_rows() -> list[CatalogRow]:
    rows = rows_of(ANNOTATIONS)
    return rows + list(CRD_ROWS)
