"""Every configuration key the HAProxy provider recognises, for both controllers.

Two unrelated controllers read annotations of the same data plane:

* HAProxy Technologies' kubernetes-ingress (``haproxytech``): keys under ``haproxy.org/``, also
  accepted as ``haproxy.com/``, ``ingress.kubernetes.io/`` or with no prefix at all (the
  controller strips those prefixes before lookup: ``pkg/store/convert.go cleanAnnotation``).
  The key list and scopes follow its ``documentation/doc.yaml`` (C = ConfigMap, I = Ingress,
  S = Service).
* jcmoraisjr's HAProxy Ingress (``haproxy-ingress``): keys under ``haproxy-ingress.github.io/``
  or the legacy ``ingress.kubernetes.io/``; scopes from ``docs/.../configuration/keys.md``
  (Global keys are read from the ConfigMap only, and ignored on an Ingress).

The table drives the ledger (keys no handler recorded get the row's status and note), the
``ingress2gateway providers haproxy`` listing and ``docs/providers/haproxy.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.plugin import CatalogRow
from ingress2gateway.reporting.report import Status

HAPROXYTECH = "haproxytech"
HAPROXY_INGRESS = "haproxy-ingress"

HAPROXYTECH_PREFIXES = ("haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/")
"""Besides these the controller reads a key with no prefix at all."""
HAPROXY_INGRESS_PREFIXES = ("haproxy-ingress.github.io/", "ingress.kubernetes.io/")
SHARED_PREFIX = "ingress.kubernetes.io/"


@dataclass(frozen=True)
class KeySpec:
    controller: str
    key: str
    """The key without prefix."""
    status: str
    """converted | partial | needs-extension | unsupported | ignored."""
    scope: str
    risk: str
    """low | medium | high: what goes wrong if the key is silently lost."""
    note: str
    security: bool = False
    """Losing it opens access (or it can inject configuration): reported as a security error."""


def _group(
    controller: str,
    status: str,
    scope: str,
    risk: str,
    note: str,
    keys: str,
    security: bool = False,
) -> list[KeySpec]:
    return [KeySpec(controller, k, status, scope, risk, note, security) for k in keys.split()]


_T = HAPROXYTECH
_H = HAPROXY_INGRESS
_CONFIGMAP_ONLY = "a ConfigMap-only key: the controller ignores it on an Ingress"
_GLOBAL_ONLY = "a Global key (ConfigMap or IngressClass parameters): ignored on an Ingress"

_HAPROXYTECH: list[KeySpec] = [
    KeySpec(
        _T,
        "ssl-redirect",
        "converted",
        "ConfigMap+Ingress",
        "medium",
        "HTTP→HTTPS redirect on the HTTP listener; implicit for an Ingress with spec.tls, "
        '"false" turns it off',
    ),
    KeySpec(
        _T,
        "ssl-redirect-code",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "the redirect's status code (301, 302, 303; default 302)",
    ),
    KeySpec(
        _T,
        "ssl-redirect-port",
        "partial",
        "ConfigMap+Ingress",
        "low",
        "an explicit port goes into the redirect; the controller's default 8443 (its own "
        "HTTPS port) is not carried: the redirect goes to the HTTPS listener",
    ),
    KeySpec(
        _T,
        "path-rewrite",
        "partial",
        "ConfigMap+Ingress",
        "high",
        'one path: URLRewrite ReplaceFullPath; "REGEX REPLACEMENT": a regex-rewrite '
        "extension; several lines are reported",
    ),
    KeySpec(_T, "set-host", "converted", "ConfigMap+Ingress", "medium", "URLRewrite hostname"),
    KeySpec(
        _T,
        "request-set-header",
        "converted",
        "ConfigMap+Ingress",
        "medium",
        "RequestHeaderModifier set, one header per line; values with HAProxy fetches "
        "(%[...]) are reported",
    ),
    KeySpec(
        _T,
        "response-set-header",
        "converted",
        "ConfigMap+Ingress",
        "medium",
        "ResponseHeaderModifier set, one header per line; values with %[...] are reported",
    ),
    KeySpec(
        _T,
        "request-redirect",
        "converted",
        "ConfigMap+Ingress",
        "medium",
        "RequestRedirect to host[:port], same scheme and path",
    ),
    KeySpec(
        _T,
        "request-redirect-code",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "the request-redirect status code (default 302)",
    ),
    KeySpec(
        _T,
        "timeout-server",
        "partial",
        "ConfigMap+Ingress+Service",
        "medium",
        "HTTPRoute timeouts.backendRequest (HAProxy's is an inactivity timeout, Gateway "
        "API's a total one)",
    ),
    KeySpec(
        _T,
        "load-balance",
        "needs-extension",
        "ConfigMap+Ingress+Service",
        "low",
        "load-balancing extension: roundrobin, leastconn, random, source (hash of the "
        "client address); other algorithms are reported",
    ),
    KeySpec(
        _T,
        "cookie-persistence",
        "needs-extension",
        "ConfigMap+Service",
        "medium",
        "session-affinity extension (cookie of that name); on an Ingress the controller ignores it",
    ),
    KeySpec(
        _T,
        "cookie-persistence-no-dynamic",
        "needs-extension",
        "ConfigMap+Service",
        "medium",
        "as cookie-persistence",
    ),
    KeySpec(
        _T,
        "allow-list",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "IP allow-list extension (security); a pattern file cannot be carried: the rules "
        "are closed",
        True,
    ),
    KeySpec(
        _T,
        "whitelist",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "deprecated alias of allow-list",
        True,
    ),
    KeySpec(
        _T,
        "deny-list",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "IP deny-list extension (security); a pattern file cannot be carried: the rules are closed",
        True,
    ),
    KeySpec(
        _T,
        "blacklist",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "deprecated alias of deny-list",
        True,
    ),
    KeySpec(
        _T,
        "auth-type",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "basic-auth: basic-auth extension from auth-secret (security); any other value is "
        "refused and the rules are closed",
        True,
    ),
    KeySpec(
        _T,
        "auth-secret",
        "needs-extension",
        "ConfigMap+Ingress",
        "high",
        "the Secret of users and crypt(3) hashes for basic auth (security)",
        True,
    ),
    KeySpec(
        _T,
        "auth-realm",
        "needs-extension",
        "ConfigMap+Ingress",
        "low",
        "the realm of the basic-auth challenge",
    ),
    KeySpec(_T, "cors-enable", "converted", "ConfigMap+Ingress", "medium", "HTTPRoute CORS filter"),
    KeySpec(
        _T,
        "cors-allow-origin",
        "partial",
        "ConfigMap+Ingress",
        "medium",
        "CORS allowOrigins (default *); a regular expression is reported",
    ),
    KeySpec(
        _T,
        "cors-allow-methods",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "CORS allowMethods (default *)",
    ),
    KeySpec(
        _T,
        "cors-allow-headers",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "CORS allowHeaders (default *)",
    ),
    KeySpec(
        _T,
        "cors-allow-credentials",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "CORS allowCredentials",
    ),
    KeySpec(
        _T,
        "cors-max-age",
        "converted",
        "ConfigMap+Ingress",
        "low",
        "CORS maxAge in seconds (default 5s)",
    ),
    KeySpec(
        _T,
        "cors-respond-to-options",
        "partial",
        "ConfigMap+Ingress",
        "low",
        "the CORS filter answers preflight requests itself",
    ),
    KeySpec(
        _T,
        "rate-limit-requests",
        "needs-extension",
        "ConfigMap+Ingress",
        "medium",
        "rate-limit extension per client address (per HAProxy instance in the source)",
    ),
    KeySpec(
        _T,
        "rate-limit-period",
        "needs-extension",
        "ConfigMap+Ingress",
        "low",
        "the rate-limit window: 1s, 1m and 1h are carried, other periods are reported",
    ),
    KeySpec(
        _T,
        "rate-limit-status-code",
        "unsupported",
        "ConfigMap+Ingress",
        "low",
        "the limited requests' status (default 403); implementations answer 429",
    ),
    KeySpec(
        _T,
        "rate-limit-size",
        "ignored",
        "ConfigMap+Ingress",
        "low",
        "stick-table size; nothing to carry",
    ),
    KeySpec(
        _T,
        "rate-limit-whitelist",
        "unsupported",
        "ConfigMap+Ingress",
        "low",
        "addresses exempt from the rate limit; in the output they are limited too",
    ),
    KeySpec(
        _T,
        "backend-config-snippet",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "high",
        "raw HAProxy backend directives are never translated; one that denies requests "
        "closes the rules it guarded",
        True,
    ),
    KeySpec(
        _T,
        "server-ssl",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "high",
        "TLS to the pods without verification; Gateway API's BackendTLSPolicy requires "
        "verification: reported",
    ),
    KeySpec(
        _T,
        "server-ca",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "medium",
        "a CA Secret to verify backends (BackendTLSPolicy takes a ConfigMap): reported",
    ),
    KeySpec(
        _T,
        "server-crt",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "medium",
        "a client certificate for backends: reported",
    ),
    KeySpec(
        _T,
        "server-proto",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "medium",
        "h2 to the pods: set the Service port's appProtocol (kubernetes.io/h2c)",
    ),
    KeySpec(
        _T,
        "send-proxy-protocol",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "medium",
        "PROXY protocol to the pods: reported",
    ),
    KeySpec(
        _T,
        "ssl-passthrough",
        "converted",
        "ConfigMap+Ingress+Service",
        "high",
        "a TLSRoute on a Passthrough TLS listener per host; the HTTP annotations of the "
        "Ingress stop applying",
    ),
    KeySpec(
        _T,
        "src-ip-header",
        "unsupported",
        "ConfigMap+Ingress",
        "high",
        "the client address comes from a header: allow/deny lists and rate limits of the "
        "Ingress would see another address, so its access controls are closed",
    ),
    KeySpec(
        _T,
        "forwarded-for",
        "converted",
        "ConfigMap+Ingress+Service",
        "low",
        "true (the default) is what Gateway implementations do; false is reported",
    ),
    KeySpec(_T, "request-capture", "ignored", "ConfigMap+Ingress", "low", "logging only"),
    KeySpec(_T, "request-capture-len", "ignored", "ConfigMap+Ingress", "low", "logging only"),
    KeySpec(
        _T,
        "route-acl",
        "unsupported",
        "Service",
        "high",
        "an inline HAProxy ACL choosing the backend: reported",
    ),
    KeySpec(
        _T,
        "standalone-backend",
        "ignored",
        "Ingress+Service",
        "low",
        "the conversion already scopes each Ingress's annotations to its own rules",
    ),
    KeySpec(
        _T,
        "check",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "low",
        "active health checks: implementation-specific",
    ),
    KeySpec(
        _T,
        "check-http",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "low",
        "HTTP health checks: implementation-specific",
    ),
    KeySpec(
        _T,
        "check-interval",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "low",
        "health-check interval: implementation-specific",
    ),
    KeySpec(
        _T,
        "timeout-check",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "low",
        "health-check timeout: implementation-specific",
    ),
    KeySpec(
        _T,
        "pod-maxconn",
        "unsupported",
        "ConfigMap+Ingress+Service",
        "low",
        "per-pod connection limit: reported",
    ),
    KeySpec(
        _T,
        "scale-server-slots",
        "ignored",
        "ConfigMap+Ingress+Service",
        "low",
        "HAProxy server slots; nothing to carry",
    ),
    KeySpec(
        _T,
        "ingress.class",
        "ignored",
        "Ingress",
        "low",
        "the controller reads an Ingress's class from spec.ingressClassName only (this "
        "annotation is read for TCP resources)",
    ),
    *_group(
        _T,
        "ignored",
        "ConfigMap",
        "low",
        _CONFIGMAP_ONLY,
        "client-ca client-crt-optional client-strict-sni clean-certs dontlognull "
        "frontend-config-snippet generate-certificates-signer global-config-snippet "
        "hard-stop-after http-connection-mode http-keep-alive http-server-close log-format "
        "log-format-tcp logasap maxconn nbthread proxy-protocol quic-alt-svc-max-age "
        "ssl-certificate stats-config-snippet syslog-server timeout-client "
        "timeout-client-fin timeout-connect timeout-http-keep-alive timeout-http-request "
        "timeout-queue timeout-server-fin timeout-tunnel tls-alpn",
    ),
]

_HAPROXY_INGRESS: list[KeySpec] = [
    KeySpec(
        _H,
        "ssl-redirect",
        "converted",
        "Path",
        "medium",
        "HTTP→HTTPS redirect (302) on the HTTP listener, on by default for hosts with TLS; "
        "/.well-known/acme-challenge keeps being served over HTTP",
    ),
    KeySpec(
        _H,
        "path-type",
        "converted",
        "Path",
        "high",
        "how ImplementationSpecific paths match: begin (case-insensitive character "
        "prefix), prefix, exact, regex",
    ),
    KeySpec(
        _H,
        "rewrite-target",
        "partial",
        "Path",
        "high",
        "URLRewrite ReplacePrefixMatch; on a character-prefix or regex path a regex-rewrite "
        "extension",
    ),
    KeySpec(
        _H,
        "headers",
        "partial",
        "Backend",
        "medium",
        "RequestHeaderModifier set; values with %[...] variables are reported",
    ),
    KeySpec(
        _H, "request-set-headers", "converted", "Backend", "medium", "RequestHeaderModifier set"
    ),
    KeySpec(
        _H, "request-add-headers", "converted", "Backend", "medium", "RequestHeaderModifier add"
    ),
    KeySpec(
        _H, "request-del-headers", "converted", "Backend", "medium", "RequestHeaderModifier remove"
    ),
    KeySpec(
        _H, "response-set-headers", "converted", "Backend", "medium", "ResponseHeaderModifier set"
    ),
    KeySpec(
        _H, "response-add-headers", "converted", "Backend", "medium", "ResponseHeaderModifier add"
    ),
    KeySpec(
        _H,
        "response-del-headers",
        "converted",
        "Backend",
        "medium",
        "ResponseHeaderModifier remove",
    ),
    KeySpec(
        _H,
        "hsts",
        "converted",
        "Path",
        "medium",
        "Strict-Transport-Security on HTTPS responses (on by default for TLS hosts)",
    ),
    KeySpec(_H, "hsts-max-age", "converted", "Path", "low", "HSTS max-age (default 15768000)"),
    KeySpec(_H, "hsts-include-subdomains", "converted", "Path", "low", "HSTS includeSubDomains"),
    KeySpec(_H, "hsts-preload", "converted", "Path", "low", "HSTS preload"),
    KeySpec(
        _H,
        "allowlist-source-range",
        "needs-extension",
        "Path",
        "high",
        "IP allow-list extension (security)",
        True,
    ),
    KeySpec(
        _H,
        "whitelist-source-range",
        "needs-extension",
        "Path",
        "high",
        "old name of allowlist-source-range (security)",
        True,
    ),
    KeySpec(
        _H,
        "denylist-source-range",
        "needs-extension",
        "Path",
        "high",
        "IP deny-list extension (security)",
        True,
    ),
    KeySpec(
        _H,
        "allowlist-source-header",
        "unsupported",
        "Path",
        "high",
        "the client address comes from a header: the path's allow/deny lists cannot be "
        "carried, its rules are closed",
        True,
    ),
    KeySpec(
        _H,
        "auth-secret",
        "needs-extension",
        "Path",
        "high",
        "basic-auth extension from the Secret's auth key (security)",
        True,
    ),
    KeySpec(_H, "auth-realm", "needs-extension", "Path", "low", "basic-auth realm"),
    KeySpec(
        _H,
        "auth-url",
        "needs-extension",
        "Path",
        "high",
        "external-auth extension (security)",
        True,
    ),
    KeySpec(
        _H,
        "auth-signin",
        "needs-extension",
        "Path",
        "medium",
        "where external auth sends unauthenticated users",
    ),
    KeySpec(_H, "auth-method", "needs-extension", "Path", "low", "external-auth method"),
    KeySpec(
        _H,
        "auth-headers-succeed",
        "needs-extension",
        "Path",
        "medium",
        "headers copied from the auth response",
    ),
    *_group(
        _H,
        "unsupported",
        "Path",
        "low",
        "external-auth detail not carried (headers sent / copied on failure, placement)",
        "auth-headers-request auth-headers-fail auth-external-placement",
    ),
    KeySpec(
        _H,
        "auth-tls-secret",
        "needs-extension",
        "Host",
        "high",
        "client-certificate extension (security)",
        True,
    ),
    KeySpec(
        _H,
        "auth-tls-verify-client",
        "needs-extension",
        "Host",
        "high",
        "client-certificate verification mode (security)",
        True,
    ),
    *_group(
        _H,
        "unsupported",
        "Host/Backend",
        "low",
        "client-certificate detail not carried",
        "auth-tls-cert-header auth-tls-error-page auth-tls-strict ssl-fingerprint-lower "
        "ssl-fingerprint-sha2-bits",
    ),
    KeySpec(
        _H,
        "oauth",
        "unsupported",
        "Path",
        "high",
        "oauth2_proxy integration cannot be carried: the path's rules are closed",
        True,
    ),
    *_group(
        _H,
        "unsupported",
        "Path",
        "medium",
        "detail of the oauth integration",
        "oauth-headers oauth-uri-prefix",
    ),
    KeySpec(_H, "cors-enable", "converted", "Path", "medium", "HTTPRoute CORS filter"),
    KeySpec(_H, "cors-allow-origin", "converted", "Path", "medium", "CORS allowOrigins"),
    KeySpec(
        _H,
        "cors-allow-origin-regex",
        "unsupported",
        "Path",
        "medium",
        "origins by regular expression: reported",
    ),
    KeySpec(_H, "cors-allow-methods", "converted", "Path", "low", "CORS allowMethods"),
    KeySpec(_H, "cors-allow-headers", "converted", "Path", "low", "CORS allowHeaders"),
    KeySpec(_H, "cors-allow-credentials", "converted", "Path", "low", "CORS allowCredentials"),
    KeySpec(_H, "cors-expose-headers", "converted", "Path", "low", "CORS exposeHeaders"),
    KeySpec(_H, "cors-max-age", "converted", "Path", "low", "CORS maxAge"),
    KeySpec(
        _H,
        "limit-rps",
        "needs-extension",
        "Backend",
        "medium",
        "rate-limit extension, requests per second per client address",
    ),
    KeySpec(
        _H,
        "limit-connections",
        "unsupported",
        "Backend",
        "medium",
        "concurrent connections per client address: reported",
    ),
    KeySpec(
        _H,
        "limit-whitelist",
        "unsupported",
        "Backend",
        "low",
        "addresses exempt from the limits; in the output they are limited too",
    ),
    KeySpec(
        _H, "affinity", "needs-extension", "Backend", "medium", "cookie: session-affinity extension"
    ),
    KeySpec(
        _H,
        "session-cookie-name",
        "needs-extension",
        "Backend",
        "medium",
        "the affinity cookie's name (default INGRESSCOOKIE)",
    ),
    *_group(
        _H,
        "unsupported",
        "Backend",
        "low",
        "affinity-cookie detail not carried",
        "session-cookie-domain session-cookie-dynamic session-cookie-keywords "
        "session-cookie-preserve session-cookie-shared session-cookie-strategy "
        "session-cookie-value-strategy",
    ),
    KeySpec(
        _H,
        "balance-algorithm",
        "needs-extension",
        "Backend",
        "low",
        "load-balancing extension: roundrobin, leastconn, random, source; others reported",
    ),
    KeySpec(
        _H,
        "timeout-server",
        "partial",
        "Backend",
        "medium",
        "HTTPRoute timeouts.backendRequest (inactivity in HAProxy, total in Gateway API)",
    ),
    KeySpec(
        _H, "timeout-connect", "needs-extension", "Backend", "low", "timeouts extension (connect)"
    ),
    *_group(
        _H,
        "unsupported",
        "Backend",
        "low",
        "HAProxy timeout without a Gateway API field",
        "timeout-http-request timeout-keep-alive timeout-queue timeout-server-fin timeout-tunnel",
    ),
    KeySpec(
        _H,
        "proxy-body-size",
        "needs-extension",
        "Path",
        "medium",
        "request body size limit extension",
    ),
    KeySpec(
        _H,
        "http-header-match",
        "converted",
        "Path",
        "high",
        "header matches (exact) added to the path's match",
    ),
    KeySpec(
        _H,
        "http-header-match-regex",
        "converted",
        "Path",
        "high",
        "header matches (regular expression) added to the path's match",
    ),
    KeySpec(
        _H,
        "redirect-to",
        "converted",
        "Path",
        "medium",
        "RequestRedirect to the URL (302 or redirect-to-code)",
    ),
    KeySpec(_H, "redirect-to-code", "converted", "Frontend", "low", "redirect-to status code"),
    KeySpec(
        _H,
        "app-root",
        "converted",
        "Host",
        "medium",
        "a RequestRedirect (302) of exactly / to this path",
    ),
    *_group(
        _H,
        "unsupported",
        "Host",
        "medium",
        "other hostnames answered by this host's rules (or redirected to it): reported",
        "server-alias-regex redirect-from-regex",
    ),
    KeySpec(
        _H,
        "server-alias",
        "converted",
        "Host",
        "medium",
        "another host name for the host's routes, with listeners mirroring the host's",
    ),
    KeySpec(
        _H,
        "redirect-from",
        "converted",
        "Host",
        "medium",
        "requests for that host name are redirected to this host, by a route of their own",
    ),
    KeySpec(
        _H,
        "redirect-from-code",
        "converted",
        "Frontend",
        "low",
        "the status of redirect-from (default 302)",
    ),
    KeySpec(
        _H,
        "ssl-passthrough",
        "converted",
        "Host",
        "high",
        "a TLSRoute on a Passthrough TLS listener for the host",
    ),
    KeySpec(
        _H,
        "ssl-passthrough-http-port",
        "unsupported",
        "Host",
        "medium",
        "plain HTTP of a passthrough host to another port: reported",
    ),
    KeySpec(
        _H,
        "config-backend",
        "unsupported",
        "Backend",
        "high",
        "raw HAProxy backend configuration is never translated; one that denies requests "
        "closes the rules it guarded",
        True,
    ),
    KeySpec(
        _H, "config-backend-early", "unsupported", "Backend", "high", "as config-backend", True
    ),
    KeySpec(_H, "config-backend-late", "unsupported", "Backend", "high", "as config-backend", True),
    KeySpec(
        _H,
        "config-tcp-service",
        "unsupported",
        "TCP",
        "high",
        "raw HAProxy TCP-service configuration: reported",
        True,
    ),
    KeySpec(
        _H,
        "waf",
        "unsupported",
        "Path",
        "high",
        "ModSecurity/Coraza: nothing carries it (requests it blocked reach the backend)",
        True,
    ),
    KeySpec(_H, "waf-mode", "unsupported", "Path", "low", "detail of waf"),
    *_group(
        _H,
        "unsupported",
        "Backend",
        "high",
        "TLS to the backends: Gateway API's BackendTLSPolicy needs a CA ConfigMap; reported",
        "secure-backends secure-crt-secret secure-sni secure-verify-ca-secret "
        "secure-verify-hostname backend-protocol",
    ),
    *_group(
        _H,
        "unsupported",
        "Backend",
        "medium",
        "traffic split between pod label groups of one Service: needs one Service per "
        "group, reported",
        "blue-green-balance blue-green-cookie blue-green-deploy blue-green-header blue-green-mode",
    ),
    *_group(
        _H,
        "unsupported",
        "Backend",
        "low",
        "backend tuning without a Gateway API field: reported",
        "agent-check-addr agent-check-interval agent-check-port agent-check-send "
        "backend-check-interval health-check-addr health-check-fall-count "
        "health-check-interval health-check-port health-check-rise-count health-check-uri "
        "maxconn-server maxqueue-server proxy-protocol initial-weight use-resolver "
        "service-upstream fcgi-app peers-table source-address-intf "
        "ssl-cipher-suites-backend ssl-ciphers-backend ssl-options-backend",
    ),
    *_group(
        _H,
        "unsupported",
        "Host/Frontend",
        "low",
        "listener or frontend setting without a per-route equivalent: reported",
        "bind-http bind-http-passthrough bind-https bind-ip-addr-http http-frontend "
        "http-passthrough use-forwarded-proto use-proxy-protocol tls-alpn "
        "ssl-cipher-suites ssl-ciphers ssl-options-host ssl-always-add-https "
        "ssl-always-follow-redirect acme-preferred-chain cert-signer tcp-service-port "
        "tcp-service-proxy-protocol tcp-service-log-format",
    ),
    *_group(
        _H,
        "ignored",
        "Backend/Host",
        "low",
        "HAProxy internals or logging; nothing to carry",
        "assign-backend-server-id backend-server-naming backend-server-slots-increment "
        "dynamic-scaling slots-min-free var-namespace",
    ),
    *_group(
        _H,
        "ignored",
        "Global",
        "low",
        _GLOBAL_ONLY,
        "acme-emails acme-endpoint acme-expiring acme-shared acme-terms-agreed "
        "allow-local-bind auth-log-format http-log-format https-log-format tcp-log-format "
        "auth-proxy auth-tls-default-secret ssl-headers-prefix bind-ip-addr-healthz "
        "bind-ip-addr-prometheus bind-ip-addr-stats bind-ip-addr-tcp "
        "close-sessions-duration config-defaults config-frontend config-frontend-early "
        "config-frontend-late config-global config-peers config-proxy config-sections "
        "config-tcp cookie-key cpu-map use-cpu-map create-default-frontends healthz-port "
        "http-port https-port prometheus-port cross-namespace-secrets-ca "
        "cross-namespace-secrets-crt cross-namespace-secrets-passwd "
        "cross-namespace-services default-backend-redirect default-backend-redirect-code "
        "dns-accepted-payload-size dns-cluster-domain dns-hold-obsolete dns-hold-valid "
        "dns-resolvers dns-timeout-retry drain-support drain-support-redispatch "
        "external-has-lua fcgi-enabled-apps forwardfor original-forwarded-for-hdr "
        "real-ip-hdr groupname use-chroot use-haproxy-user username http-frontends "
        "http-passthrough-port http-response-prometheus-root load-server-state "
        "master-exit-on-failure worker-max-reloads max-connections modsecurity-args "
        "modsecurity-endpoints modsecurity-timeout-hello modsecurity-timeout-idle "
        "modsecurity-timeout-processing modsecurity-use-coraza nbthread "
        "no-redirect-locations no-tls-redirect-locations ssl-redirect-code path-type-order "
        "peers-name peers-port peers-table-global ssl-dh-default-max-size ssl-dh-param "
        "ssl-engine ssl-mode-async ssl-options stats-auth stats-port stats-proxy-protocol "
        "stats-ssl-cert strict-host syslog-endpoint syslog-format syslog-length syslog-tag "
        "timeout-client timeout-client-fin timeout-stop",
    ),
]

HTTP_RESPONSE_FAMILY = "http-response-"
"""haproxy-ingress ``http-response-<code>``: one key per overridden status."""

CATALOG: tuple[KeySpec, ...] = (*_HAPROXYTECH, *_HAPROXY_INGRESS)
_BY_KEY: dict[tuple[str, str], KeySpec] = {(s.controller, s.key): s for s in CATALOG}
_HTTP_RESPONSE = KeySpec(
    _H,
    "http-response-<code>",
    "unsupported",
    "any",
    "low",
    "a custom body for one of HAProxy's own error responses: reported",
)

_LEDGER_STATUS = {
    "converted": Status.CONVERTED,
    "partial": Status.PARTIAL,
    "needs-extension": Status.UNSUPPORTED,
    "unsupported": Status.UNSUPPORTED,
    "ignored": Status.IGNORED,
}


def lookup(controller: str, name: str) -> KeySpec | None:
    """The row of a key (without prefix) as ``controller`` reads it."""
    spec = _BY_KEY.get((controller, name))
    if spec is None and controller == HAPROXY_INGRESS and name.startswith(HTTP_RESPONSE_FAMILY):
        tail = name[len(HTTP_RESPONSE_FAMILY) :]
        return _HTTP_RESPONSE if tail.isdigit() else None
    return spec


def annotation_spec(full_key: str, spec: KeySpec) -> AnnotationSpec:
    return AnnotationSpec(full_key, _LEDGER_STATUS[spec.status], spec.note, spec.security)


def _shown(spec: KeySpec) -> str:
    if spec.controller == HAPROXYTECH:
        return f"haproxy.org/{spec.key}"
    return f"haproxy-ingress.github.io/{spec.key}"


def catalog_rows() -> list[CatalogRow]:
    rows = [
        CatalogRow(
            key=_shown(s),
            status=s.status,
            note=s.note,
            scope=s.scope,
            risk=s.risk,
        )
        for s in (*CATALOG, _HTTP_RESPONSE)
    ]
    return rows
