"""The declarative catalog: one row per annotation key of each controller family.

A row says which handler module (``annotations/<handler>.py``) reads the key, what becomes of it
(``converted``, ``partial``, ``needs-extension`` — carried as a typed IR extension that only an
implementation emitter can express —, ``unsupported`` or ``ignored``), its scope (``server``: the
first Ingress of a host that sets it wins for the whole host; ``ingress``: every path of the
Ingress that carries it; ``location``: the same, per path in the controller), the
controller's risk level, and a one-line note. The same rows drive the ledger fallback (a key
no handler recorded gets the row's status and note), ``ingress2gateway providers nginx``, the
generated ``docs/providers/nginx.md`` and the unknown-annotation check.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.plugin import CatalogRow
from ingress2gateway.reporting.report import Status

from .keys import INGRESS_NGINX_KEYS, INGRESS_NGINX_REMOVED, NGINX_INC_KEYS

INGRESS_NGINX_PREFIX = "nginx.ingress.kubernetes.io/"

CONVERTED = "converted"
PARTIAL = "partial"
EXTENSION = "needs-extension"
UNSUPPORTED = "unsupported"
IGNORED = "ignored"

_LEDGER_STATUS = {
    CONVERTED: Status.CONVERTED,
    PARTIAL: Status.PARTIAL,
    EXTENSION: Status.UNSUPPORTED,
    UNSUPPORTED: Status.UNSUPPORTED,
    IGNORED: Status.IGNORED,
}


@dataclass(frozen=True)
class Entry:
    key: str
    """Full key for NGINX Inc; the name without prefix for ingress-nginx."""
    family: str
    handler: str
    status: str
    scope: str
    risk: str
    note: str

    @property
    def security(self) -> bool:
        return self.risk in ("Critical",) or self.handler == "snippets"


# name → (handler, status, note). Scope and risk come from keys.py (the controller's own metadata).
_INGRESS_NGINX: dict[str, tuple[str, str, str]] = {
    "affinity": (
        "affinity",
        EXTENSION,
        "cookie → SessionAffinity extension (HTTPRoute sessionPersistence is experimental)",
    ),
    "affinity-canary-behavior": (
        "affinity",
        IGNORED,
        "sticky is what weighted backends with session persistence do; legacy has no equivalent",
    ),
    "affinity-mode": (
        "affinity",
        UNSUPPORTED,
        "balanced/persistent re-balancing has no Gateway API equivalent",
    ),
    "allowlist-source-range": (
        "access",
        EXTENSION,
        "IPAccess allow extension; dropping it opens the route (security error)",
    ),
    "app-root": ("redirects", CONVERTED, "302 RequestRedirect on Exact / to this path"),
    "auth-always-set-cookie": ("auth", UNSUPPORTED, "part of external auth; no Gateway API field"),
    "auth-cache-duration": ("auth", UNSUPPORTED, "auth response caching has no equivalent"),
    "auth-cache-key": ("auth", UNSUPPORTED, "auth response caching has no equivalent"),
    "auth-keepalive": ("auth", IGNORED, "connection tuning of the auth call; no effect on routing"),
    "auth-keepalive-requests": (
        "auth",
        IGNORED,
        "connection tuning of the auth call; no effect on routing",
    ),
    "auth-keepalive-share-vars": ("auth", IGNORED, "nginx variable sharing; no equivalent"),
    "auth-keepalive-timeout": (
        "auth",
        IGNORED,
        "connection tuning of the auth call; no effect on routing",
    ),
    "auth-method": ("auth", EXTENSION, "method of the ExternalAuth extension"),
    "auth-proxy-set-headers": (
        "auth",
        UNSUPPORTED,
        "headers sent to the auth service (from a ConfigMap) cannot be set",
    ),
    "auth-realm": ("auth", EXTENSION, "realm of the BasicAuth extension"),
    "auth-request-redirect": (
        "auth",
        UNSUPPORTED,
        "X-Auth-Request-Redirect to the auth service has no equivalent",
    ),
    "auth-response-headers": (
        "auth",
        EXTENSION,
        "headers copied to the backend, in the ExternalAuth extension",
    ),
    "auth-secret": ("auth", EXTENSION, "htpasswd Secret of the BasicAuth extension"),
    "auth-secret-type": (
        "auth",
        EXTENSION,
        "auth-file (htpasswd in key auth) or auth-map; recorded on the BasicAuth extension",
    ),
    "auth-signin": (
        "auth",
        EXTENSION,
        "SignInRedirect extension (302 on the auth check's 401): parsed as a URL, $host per "
        "rule; the per-request parameters (rd=$escaped_request_uri) are left out and reported",
    ),
    "auth-signin-redirect-param": (
        "auth",
        UNSUPPORTED,
        "names the parameter that passes the original URL, which cannot be carried (reported)",
    ),
    "auth-snippet": (
        "snippets",
        UNSUPPORTED,
        "raw nginx config: never translated, security warning",
    ),
    "auth-tls-error-page": (
        "auth",
        UNSUPPORTED,
        "redirect on client-certificate failure has no equivalent",
    ),
    "auth-tls-match-cn": (
        "auth",
        UNSUPPORTED,
        "no emitter checks the certificate's subject (Envoy Gateway matches SANs): the host's "
        "rules are closed (security error)",
    ),
    "auth-tls-pass-certificate-to-upstream": (
        "auth",
        UNSUPPORTED,
        "forwarding the client certificate needs an implementation policy",
    ),
    "auth-tls-secret": (
        "auth",
        EXTENSION,
        "ClientCertAuth extension (mTLS), first Ingress of the host wins",
    ),
    "auth-tls-verify-client": (
        "auth",
        EXTENSION,
        "verification mode of the ClientCertAuth extension",
    ),
    "auth-tls-verify-depth": ("auth", UNSUPPORTED, "chain depth has no equivalent"),
    "auth-type": (
        "auth",
        EXTENSION,
        "basic → BasicAuth extension; digest cannot be carried (security error)",
    ),
    "auth-url": (
        "auth",
        EXTENSION,
        "ExternalAuth extension; the URL is parsed, values with nginx variables are flagged",
    ),
    "backend-protocol": (
        "backend",
        CONVERTED,
        "GRPC/GRPCS → GRPCRoute; HTTPS/GRPCS → BackendTLSPolicy when proxy-ssl-* allow it; FCGI unsupported",
    ),
    "canary": (
        "canary",
        CONVERTED,
        "canary Ingress: its backend joins the primary's rules (weights, header/cookie rules)",
    ),
    "canary-by-cookie": (
        "canary",
        PARTIAL,
        "Cookie header regex match (approximate: cookie parsing differs)",
    ),
    "canary-by-header": (
        "canary",
        CONVERTED,
        "header match rules before the weighted rule (always → canary, never → primary)",
    ),
    "canary-by-header-pattern": (
        "canary",
        CONVERTED,
        "RegularExpression header match (RE2; PCRE-only patterns reported)",
    ),
    "canary-by-header-value": ("canary", CONVERTED, "Exact header match on this value"),
    "canary-weight": ("canary", CONVERTED, "backendRefs weights canary-weight / (total - weight)"),
    "canary-weight-total": ("canary", CONVERTED, "denominator of the weights"),
    "client-body-buffer-size": ("body", UNSUPPORTED, "request body buffer size has no equivalent"),
    "configuration-snippet": (
        "snippets",
        UNSUPPORTED,
        "raw nginx config: never translated, security warning (header hints where recognisable); "
        "allow/deny, auth or return 401/403 lines close the Ingress's rules",
    ),
    "connection-proxy-header": ("headers", CONVERTED, "RequestHeaderModifier set Connection"),
    "cors-allow-credentials": ("cors", CONVERTED, "CORS allowCredentials (default true)"),
    "cors-allow-headers": ("cors", CONVERTED, "CORS allowHeaders"),
    "cors-allow-methods": ("cors", CONVERTED, "CORS allowMethods"),
    "cors-allow-origin": ("cors", CONVERTED, "CORS allowOrigins (default *)"),
    "cors-expose-headers": ("cors", CONVERTED, "CORS exposeHeaders"),
    "cors-max-age": ("cors", CONVERTED, "CORS maxAge"),
    "custom-headers": (
        "headers",
        CONVERTED,
        "ResponseHeaderModifier from the named ConfigMap (when it is in the input)",
    ),
    "custom-http-errors": ("errors", EXTENSION, "CustomErrors extension (response override)"),
    "default-backend": (
        "errors",
        EXTENSION,
        "error/no-endpoint backend of the CustomErrors extension",
    ),
    "denylist-source-range": (
        "access",
        EXTENSION,
        "IPAccess deny extension; dropping it opens the route (security error)",
    ),
    "disable-proxy-intercept-errors": (
        "errors",
        CONVERTED,
        "turns custom-http-errors off for these paths",
    ),
    "enable-access-log": (
        "observability",
        UNSUPPORTED,
        "access logging is configured on the implementation, not per route",
    ),
    "enable-cors": (
        "cors",
        CONVERTED,
        "CORS filter (v1.5+ standard / experimental), else Cors extension",
    ),
    "enable-global-auth": (
        "auth",
        IGNORED,
        "the ConfigMap global-auth-url is not part of the input",
    ),
    "enable-modsecurity": (
        "snippets",
        UNSUPPORTED,
        "ModSecurity WAF has no Gateway API equivalent (security warning)",
    ),
    "enable-opentelemetry": (
        "observability",
        UNSUPPORTED,
        "tracing is configured on the implementation",
    ),
    "enable-owasp-core-rules": (
        "snippets",
        UNSUPPORTED,
        "OWASP CRS (WAF) has no equivalent (security warning)",
    ),
    "enable-rewrite-log": ("observability", IGNORED, "nginx debug logging"),
    "fastcgi-index": ("backend", UNSUPPORTED, "FastCGI backends are not supported by Gateway API"),
    "fastcgi-params-configmap": (
        "backend",
        UNSUPPORTED,
        "FastCGI backends are not supported by Gateway API",
    ),
    "force-ssl-redirect": (
        "redirects",
        CONVERTED,
        "308 https redirect on the HTTP listener even without TLS",
    ),
    "from-to-www-redirect": (
        "redirects",
        CONVERTED,
        "extra HTTPRoute for the www/bare twin host redirecting with 308",
    ),
    "http2-push-preload": (
        "observability",
        IGNORED,
        "HTTP/2 push is obsolete (browsers removed it)",
    ),
    "limit-allowlist": (
        "ratelimit",
        EXTENSION,
        "clients exempt from the RateLimit extension (noted; not expressible on it)",
    ),
    "limit-burst-multiplier": (
        "ratelimit",
        EXTENSION,
        "burst = limit × multiplier on the RateLimit extension",
    ),
    "limit-connections": (
        "ratelimit",
        UNSUPPORTED,
        "per-client connection limit has no equivalent",
    ),
    "limit-rate": ("ratelimit", UNSUPPORTED, "bandwidth limit has no equivalent"),
    "limit-rate-after": ("ratelimit", UNSUPPORTED, "bandwidth limit has no equivalent"),
    "limit-rpm": ("ratelimit", EXTENSION, "RateLimit extension per client IP, unit Minute"),
    "limit-rps": ("ratelimit", EXTENSION, "RateLimit extension per client IP, unit Second"),
    "limit-whitelist": ("ratelimit", EXTENSION, "alias of limit-allowlist"),
    "load-balance": (
        "affinity",
        EXTENSION,
        "LoadBalancer extension (round_robin, ewma → LeastRequest)",
    ),
    "mirror-host": (
        "mirror",
        PARTIAL,
        "Host of mirrored requests; Gateway API mirrors keep the original Host",
    ),
    "mirror-request-body": (
        "mirror",
        CONVERTED,
        "on is what RequestMirror does; off cannot be expressed",
    ),
    "mirror-target": (
        "mirror",
        CONVERTED,
        "RequestMirror to the in-cluster Service the URL names (external URLs unsupported)",
    ),
    "modsecurity-snippet": (
        "snippets",
        UNSUPPORTED,
        "raw ModSecurity rules: never translated, security warning",
    ),
    "modsecurity-transaction-id": ("snippets", UNSUPPORTED, "ModSecurity only"),
    "opentelemetry-operation-name": (
        "observability",
        UNSUPPORTED,
        "tracing is configured on the implementation",
    ),
    "opentelemetry-trust-incoming-span": (
        "observability",
        UNSUPPORTED,
        "tracing is configured on the implementation",
    ),
    "permanent-redirect": (
        "redirects",
        CONVERTED,
        "RequestRedirect (301) to the parsed URL instead of proxying",
    ),
    "permanent-redirect-code": ("redirects", CONVERTED, "status code of permanent-redirect"),
    "preserve-trailing-slash": (
        "redirects",
        IGNORED,
        "Gateway API https redirects keep the path as is",
    ),
    "proxy-body-size": (
        "body",
        EXTENSION,
        "BodySize extension (0 = unlimited), marked where nginx streamed the bodies (gRPC, "
        "request buffering off, WebSocket set-up) so that no emitter buffers them",
    ),
    "proxy-buffer-size": ("body", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "proxy-buffering": ("body", EXTENSION, "Buffering extension (response)"),
    "proxy-buffers-number": ("body", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "proxy-busy-buffers-size": ("body", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "proxy-connect-timeout": (
        "timeouts",
        PARTIAL,
        "part of timeouts.request = connect + send + read seconds (see note)",
    ),
    "proxy-cookie-domain": ("headers", UNSUPPORTED, "Set-Cookie rewriting has no equivalent"),
    "proxy-cookie-path": ("headers", UNSUPPORTED, "Set-Cookie rewriting has no equivalent"),
    "proxy-http-version": (
        "backend",
        IGNORED,
        "the implementation picks the upstream HTTP version",
    ),
    "proxy-max-temp-file-size": ("body", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "proxy-next-upstream": (
        "timeouts",
        EXTENSION,
        "Retry extension (HTTPRoute retry is experimental)",
    ),
    "proxy-next-upstream-timeout": (
        "timeouts",
        EXTENSION,
        "per-try timeout of the Retry extension (approximate)",
    ),
    "proxy-next-upstream-tries": ("timeouts", EXTENSION, "attempts of the Retry extension"),
    "proxy-read-timeout": (
        "timeouts",
        PARTIAL,
        "part of timeouts.request = connect + send + read seconds (see note)",
    ),
    "proxy-redirect-from": (
        "headers",
        UNSUPPORTED,
        "Location rewriting of upstream responses has no equivalent",
    ),
    "proxy-redirect-to": (
        "headers",
        UNSUPPORTED,
        "Location rewriting of upstream responses has no equivalent",
    ),
    "proxy-request-buffering": (
        "body",
        EXTENSION,
        "Buffering extension (request); off also marks the body limit as streamed",
    ),
    "proxy-send-timeout": (
        "timeouts",
        PARTIAL,
        "part of timeouts.request = connect + send + read seconds (see note)",
    ),
    "proxy-ssl-ciphers": ("backend", UNSUPPORTED, "BackendTLSPolicy has no cipher list"),
    "proxy-ssl-name": ("backend", CONVERTED, "BackendTLSPolicy validation.hostname"),
    "proxy-ssl-protocols": ("backend", UNSUPPORTED, "BackendTLSPolicy has no protocol list"),
    "proxy-ssl-secret": (
        "backend",
        PARTIAL,
        "CA of the BackendTLSPolicy (a ConfigMap with ca.crt must be created); client cert: backend TLS options extension",
    ),
    "proxy-ssl-server-name": ("backend", CONVERTED, "SNI: BackendTLSPolicy always sends it"),
    "proxy-ssl-verify": ("backend", CONVERTED, "on → BackendTLSPolicy (which always verifies)"),
    "proxy-ssl-verify-depth": ("backend", UNSUPPORTED, "chain depth has no equivalent"),
    "relative-redirects": (
        "redirects",
        IGNORED,
        "Location header style of nginx's own redirects: Gateway API's are absolute, which "
        "clients resolve the relative one to",
    ),
    "rewrite-target": (
        "rewrite",
        CONVERTED,
        "URLRewrite ReplaceFullPath / ReplacePrefixMatch; $n captures → RegexRewrite extension (partial); turns on regex mode for the host",
    ),
    "satisfy": ("auth", UNSUPPORTED, "any-of between auth methods has no equivalent"),
    "server-alias": (
        "hosts",
        CONVERTED,
        "extra hostnames and listeners for the host (first Ingress of the host wins)",
    ),
    "server-snippet": (
        "snippets",
        UNSUPPORTED,
        "raw nginx config: never translated, security warning; allow/deny, auth or return "
        "401/403 lines close every rule of the host",
    ),
    "service-upstream": (
        "backend",
        UNSUPPORTED,
        "proxying to the ClusterIP is an implementation setting (Envoy Gateway routingType)",
    ),
    "session-cookie-change-on-failure": (
        "affinity",
        UNSUPPORTED,
        "re-picking the upstream after a failed attempt has no equivalent (a consistent hash "
        "moves only off unhealthy endpoints)",
    ),
    "session-cookie-conditional-samesite-none": (
        "affinity",
        UNSUPPORTED,
        "SameSite=None by User-Agent has no equivalent: every browser gets it",
    ),
    "session-cookie-domain": (
        "affinity",
        EXTENSION,
        "cookie Domain of the SessionAffinity extension (RFC 6265 domain, else refused)",
    ),
    "session-cookie-expires": (
        "affinity",
        EXTENSION,
        "cookie TTL of the SessionAffinity extension",
    ),
    "session-cookie-max-age": (
        "affinity",
        EXTENSION,
        "cookie TTL of the SessionAffinity extension",
    ),
    "session-cookie-name": ("affinity", EXTENSION, "cookie name of the SessionAffinity extension"),
    "session-cookie-path": (
        "affinity",
        EXTENSION,
        "cookie Path of the SessionAffinity extension (default: the Ingress's paths' common "
        "prefix, as nginx uses each location's path)",
    ),
    "session-cookie-samesite": (
        "affinity",
        EXTENSION,
        "cookie SameSite (None, Lax, Strict) of the SessionAffinity extension",
    ),
    "session-cookie-secure": (
        "affinity",
        EXTENSION,
        "cookie Secure always (true); otherwise Secure on HTTPS-only routes, as nginx on HTTPS",
    ),
    "ssl-ciphers": ("backend", UNSUPPORTED, "listener cipher lists are implementation settings"),
    "ssl-passthrough": ("backend", CONVERTED, "TLS Passthrough listener + TLSRoute for the host"),
    "ssl-prefer-server-ciphers": (
        "backend",
        UNSUPPORTED,
        "listener cipher preference is an implementation setting",
    ),
    "ssl-redirect": (
        "redirects",
        CONVERTED,
        'TLS hosts redirect HTTP with 308 on the HTTP listener; "false" keeps serving HTTP',
    ),
    "stream-snippet": (
        "snippets",
        UNSUPPORTED,
        "raw nginx stream config: never translated, security warning",
    ),
    "temporal-redirect": (
        "redirects",
        CONVERTED,
        "RequestRedirect (302) to the parsed URL; wins over permanent-redirect",
    ),
    "temporal-redirect-code": ("redirects", CONVERTED, "status code of temporal-redirect"),
    "upstream-hash-by": (
        "affinity",
        EXTENSION,
        "ConsistentHash LoadBalancer extension ($remote_addr, $request_uri, $http_*, $cookie_*)",
    ),
    "upstream-hash-by-subset": ("affinity", UNSUPPORTED, "subset hashing has no equivalent"),
    "upstream-hash-by-subset-size": ("affinity", UNSUPPORTED, "subset hashing has no equivalent"),
    "upstream-vhost": (
        "vhost",
        CONVERTED,
        "URLRewrite hostname (the Host sent upstream); $service_name, $namespace, $service_port, "
        "$ingress_name resolved per rule, $host for a rule with one concrete host name",
    ),
    "use-port-in-redirects": (
        "redirects",
        IGNORED,
        "Location header style of nginx's own redirects",
    ),
    "use-regex": (
        "rewrite",
        CONVERTED,
        "regex mode for every path of the host: RegularExpression (?i)<path>.*",
    ),
    "whitelist-source-range": ("access", EXTENSION, "alias of allowlist-source-range"),
    "x-forwarded-prefix": ("headers", CONVERTED, "RequestHeaderModifier set X-Forwarded-Prefix"),
}

_REMOVED_NOTE = "removed from ingress-nginx; the current controller ignores it"

_NGINX_INC: dict[str, tuple[str, str, str]] = {
    "nginx.org/proxy-connect-timeout": (
        "nginx_inc",
        PARTIAL,
        "part of timeouts.request = connect + send + read",
    ),
    "nginx.org/proxy-read-timeout": (
        "nginx_inc",
        PARTIAL,
        "part of timeouts.request = connect + send + read",
    ),
    "nginx.org/proxy-send-timeout": (
        "nginx_inc",
        PARTIAL,
        "part of timeouts.request = connect + send + read",
    ),
    "nginx.org/proxy-next-upstream": ("nginx_inc", EXTENSION, "Retry extension"),
    "nginx.org/proxy-next-upstream-timeout": (
        "nginx_inc",
        EXTENSION,
        "per-try timeout of the Retry extension",
    ),
    "nginx.org/proxy-next-upstream-tries": (
        "nginx_inc",
        EXTENSION,
        "attempts of the Retry extension",
    ),
    "nginx.org/client-max-body-size": ("nginx_inc", EXTENSION, "BodySize extension"),
    "nginx.org/client-body-buffer-size": (
        "nginx_inc",
        UNSUPPORTED,
        "request body buffer size has no equivalent",
    ),
    "nginx.org/proxy-buffering": ("nginx_inc", EXTENSION, "Buffering extension (response)"),
    "nginx.org/proxy-buffers": ("nginx_inc", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "nginx.org/proxy-buffer-size": ("nginx_inc", UNSUPPORTED, "nginx buffer tuning; no equivalent"),
    "nginx.org/proxy-busy-buffers-size": (
        "nginx_inc",
        UNSUPPORTED,
        "nginx buffer tuning; no equivalent",
    ),
    "nginx.org/proxy-max-temp-file-size": (
        "nginx_inc",
        UNSUPPORTED,
        "nginx buffer tuning; no equivalent",
    ),
    "nginx.org/server-tokens": (
        "nginx_inc",
        UNSUPPORTED,
        "Server header version is an implementation setting",
    ),
    "nginx.org/path-regex": (
        "nginx_inc",
        CONVERTED,
        "RegularExpression (case_sensitive / case_insensitive) or Exact for this Ingress's paths "
        "only; another value makes the controller reject the Ingress (error, not converted)",
    ),
    "nginx.org/policies": (
        "nginx_inc",
        UNSUPPORTED,
        "Policy resources (rate limit, auth, ACL, WAF…) are not read; the route may lose access control",
    ),
    "nginx.com/policies": (
        "nginx_inc",
        UNSUPPORTED,
        "Policy resources are not read; the route may lose access control",
    ),
    "nginx.org/proxy-hide-headers": ("nginx_inc", CONVERTED, "ResponseHeaderModifier remove"),
    "nginx.org/proxy-pass-headers": (
        "nginx_inc",
        CONVERTED,
        "Gateway API passes upstream headers by default",
    ),
    "nginx.org/rewrites": (
        "nginx_inc",
        CONVERTED,
        "URLRewrite ReplacePrefixMatch on the paths to each named Service (a warning where nginx's "
        "character replacement doubled or dropped a slash)",
    ),
    "nginx.org/rewrite-target": (
        "nginx_inc",
        CONVERTED,
        "URLRewrite ReplaceFullPath; $n captures → RegexRewrite extension (partial)",
    ),
    "nginx.org/proxy-set-headers": (
        "nginx_inc",
        CONVERTED,
        "RequestHeaderModifier set (values with nginx variables are not carried)",
    ),
    "nginx.org/add-header": ("nginx_inc", CONVERTED, "ResponseHeaderModifier add"),
    "nginx.org/add-header-inherit": (
        "nginx_inc",
        IGNORED,
        "nginx add_header inheritance; filters apply per rule",
    ),
    "nginx.org/proxy-redirect-from": (
        "nginx_inc",
        UNSUPPORTED,
        "Location rewriting has no equivalent",
    ),
    "nginx.org/proxy-redirect-to": (
        "nginx_inc",
        UNSUPPORTED,
        "Location rewriting has no equivalent",
    ),
    "nginx.org/app-root": ("nginx_inc", CONVERTED, "302 RequestRedirect on Exact /"),
    "nginx.org/redirect-to-https": (
        "nginx_inc",
        CONVERTED,
        "requests with X-Forwarded-Proto: http are redirected to https on every path (a twin of "
        "each rule matching the header, and one for the rest)",
    ),
    "nginx.org/ssl-redirect": (
        "nginx_inc",
        CONVERTED,
        "TLS hosts redirect every HTTP request, ACME challenges too (301 or http-redirect-code); "
        '"false" keeps HTTP',
    ),
    "ingress.kubernetes.io/ssl-redirect": (
        "nginx_inc",
        CONVERTED,
        "deprecated form of nginx.org/ssl-redirect",
    ),
    "nginx.org/http-redirect-code": ("nginx_inc", CONVERTED, "status code of the https redirect"),
    "nginx.org/hsts": (
        "nginx_inc",
        CONVERTED,
        "ResponseHeaderModifier set Strict-Transport-Security on the HTTPS rules",
    ),
    "nginx.org/hsts-max-age": ("nginx_inc", CONVERTED, "max-age of the HSTS header"),
    "nginx.org/hsts-include-subdomains": (
        "nginx_inc",
        CONVERTED,
        "includeSubDomains of the HSTS header",
    ),
    "nginx.org/hsts-behind-proxy": (
        "nginx_inc",
        UNSUPPORTED,
        "conditional HSTS on X-Forwarded-Proto has no equivalent",
    ),
    "nginx.org/basic-auth-secret": ("nginx_inc", EXTENSION, "BasicAuth extension"),
    "nginx.org/basic-auth-realm": ("nginx_inc", EXTENSION, "realm of the BasicAuth extension"),
    "nginx.org/ssl-ciphers": (
        "nginx_inc",
        UNSUPPORTED,
        "listener cipher lists are implementation settings",
    ),
    "nginx.org/ssl-prefer-server-ciphers": ("nginx_inc", UNSUPPORTED, "implementation setting"),
    "nginx.com/jwt-key": (
        "nginx_inc",
        EXTENSION,
        "JWTAuth extension (the JWK Secret must be converted by hand)",
    ),
    "nginx.com/jwt-realm": ("nginx_inc", UNSUPPORTED, "no equivalent"),
    "nginx.com/jwt-token": ("nginx_inc", UNSUPPORTED, "token location variable has no equivalent"),
    "nginx.com/jwt-login-url": ("nginx_inc", UNSUPPORTED, "login redirect has no equivalent"),
    "nginx.org/listen-ports": (
        "nginx_inc",
        CONVERTED,
        "the host's HTTP listeners move to these ports (instead of 80)",
    ),
    "nginx.org/listen-ports-ssl": (
        "nginx_inc",
        CONVERTED,
        "the host's HTTPS listeners move to these ports (instead of 443); the HTTPS redirect names "
        "the first",
    ),
    "nginx.org/lb-method": ("nginx_inc", EXTENSION, "LoadBalancer extension"),
    "nginx.org/ssl-services": (
        "nginx_inc",
        UNSUPPORTED,
        "TLS to these Services needs a BackendTLSPolicy hostname and CA the annotation does not give",
    ),
    "nginx.org/grpc-services": (
        "nginx_inc",
        CONVERTED,
        "paths to these Services move to a GRPCRoute",
    ),
    "nginx.org/websocket-services": (
        "nginx_inc",
        CONVERTED,
        "Gateway API proxies WebSocket upgrades by default",
    ),
    "nginx.org/max-fails": ("nginx_inc", UNSUPPORTED, "passive health checks have no equivalent"),
    "nginx.org/max-conns": ("nginx_inc", UNSUPPORTED, "connection caps have no equivalent"),
    "nginx.org/upstream-zone-size": ("nginx_inc", IGNORED, "nginx shared memory sizing"),
    "nginx.org/fail-timeout": (
        "nginx_inc",
        UNSUPPORTED,
        "passive health checks have no equivalent",
    ),
    "nginx.org/sticky-cookie-services": ("nginx_inc", EXTENSION, "SessionAffinity extension"),
    "nginx.com/sticky-cookie-services": ("nginx_inc", EXTENSION, "SessionAffinity extension"),
    "nginx.org/keepalive": (
        "nginx_inc",
        IGNORED,
        "upstream keepalive is an implementation setting",
    ),
    "nginx.com/health-checks": (
        "nginx_inc",
        UNSUPPORTED,
        "active health checks have no equivalent",
    ),
    "nginx.com/health-checks-mandatory": (
        "nginx_inc",
        UNSUPPORTED,
        "active health checks have no equivalent",
    ),
    "nginx.com/health-checks-mandatory-queue": (
        "nginx_inc",
        UNSUPPORTED,
        "active health checks have no equivalent",
    ),
    "nginx.com/slow-start": ("nginx_inc", UNSUPPORTED, "slow start has no equivalent"),
    "nginx.org/use-cluster-ip": (
        "nginx_inc",
        UNSUPPORTED,
        "proxying to the ClusterIP is an implementation setting",
    ),
    "nginx.org/limit-req-rate": ("nginx_inc", EXTENSION, "RateLimit extension"),
    "nginx.org/limit-req-key": ("nginx_inc", EXTENSION, "only the client address key is carried"),
    "nginx.org/limit-req-zone-size": ("nginx_inc", IGNORED, "nginx shared memory sizing"),
    "nginx.org/limit-req-delay": ("nginx_inc", UNSUPPORTED, "delayed requests have no equivalent"),
    "nginx.org/limit-req-no-delay": ("nginx_inc", UNSUPPORTED, "no equivalent"),
    "nginx.org/limit-req-burst": ("nginx_inc", EXTENSION, "burst of the RateLimit extension"),
    "nginx.org/limit-req-dry-run": (
        "nginx_inc",
        UNSUPPORTED,
        "dry-run rate limiting has no equivalent",
    ),
    "nginx.org/limit-req-log-level": ("nginx_inc", IGNORED, "nginx logging"),
    "nginx.org/limit-req-reject-code": ("nginx_inc", UNSUPPORTED, "no equivalent"),
    "nginx.org/limit-req-scale": ("nginx_inc", UNSUPPORTED, "no equivalent"),
    "nginx.org/location-snippets": (
        "snippets",
        UNSUPPORTED,
        "raw nginx config: never translated, security warning; allow/deny, auth or return "
        "401/403 lines close the Ingress's rules",
    ),
    "nginx.org/server-snippets": (
        "snippets",
        UNSUPPORTED,
        "raw nginx config: never translated, security warning; allow/deny, auth or return "
        "401/403 lines close every rule of the host",
    ),
    "nginx.org/mergeable-ingress-type": (
        "nginx_inc",
        CONVERTED,
        "master owns host, TLS and server annotations; minions add paths (the older minion keeps "
        "a path); a minion without master is not served",
    ),
    "nginx.org/custom-http-errors": ("nginx_inc", EXTENSION, "CustomErrors extension"),
    "appprotect.f5.com/app-protect-enable": (
        "snippets",
        UNSUPPORTED,
        "App Protect WAF has no equivalent (security warning)",
    ),
    "appprotect.f5.com/app-protect-policy": (
        "snippets",
        UNSUPPORTED,
        "App Protect WAF has no equivalent",
    ),
    "appprotect.f5.com/app-protect-security-log-enable": (
        "snippets",
        UNSUPPORTED,
        "App Protect WAF has no equivalent",
    ),
    "appprotect.f5.com/app-protect-security-log": (
        "snippets",
        UNSUPPORTED,
        "App Protect WAF has no equivalent",
    ),
    "appprotect.f5.com/app-protect-security-log-destination": (
        "snippets",
        UNSUPPORTED,
        "App Protect WAF has no equivalent",
    ),
    "appprotectdos.f5.com/app-protect-dos-resource": (
        "snippets",
        UNSUPPORTED,
        "App Protect DoS has no equivalent",
    ),
}

# Server-scoped NGINX Inc keys (their risk is Low unless they carry raw config).
_NGINX_INC_SERVER = frozenset(
    {
        "nginx.org/server-tokens",
        "nginx.org/redirect-to-https",
        "nginx.org/ssl-redirect",
        "ingress.kubernetes.io/ssl-redirect",
        "nginx.org/http-redirect-code",
        "nginx.org/hsts",
        "nginx.org/hsts-max-age",
        "nginx.org/hsts-include-subdomains",
        "nginx.org/hsts-behind-proxy",
        "nginx.org/ssl-ciphers",
        "nginx.org/ssl-prefer-server-ciphers",
        "nginx.org/listen-ports",
        "nginx.org/listen-ports-ssl",
        "nginx.org/server-snippets",
        "nginx.org/app-root",
        "nginx.org/proxy-hide-headers",
        "nginx.org/proxy-pass-headers",
    }
)
_NGINX_INC_RISK = {
    "nginx.org/server-snippets": "Critical",
    "nginx.org/location-snippets": "Critical",
    "nginx.org/proxy-set-headers": "Medium",
    "nginx.org/lb-method": "Medium",
    "nginx.org/limit-req-key": "Medium",
    "nginx.com/jwt-token": "Medium",
    "nginx.org/policies": "Medium",
    "nginx.com/policies": "Medium",
}


# Host-wide in the controller (first Ingress of the host wins), per input-providers.md §1.5;
# the other "ingress"-scoped keys apply to every path of the Ingress that carries them.
_SERVER_SCOPED = frozenset(
    {
        "server-alias",
        "server-snippet",
        "ssl-ciphers",
        "ssl-prefer-server-ciphers",
        "ssl-passthrough",
        "stream-snippet",
        "auth-tls-secret",
        "auth-tls-verify-client",
        "auth-tls-verify-depth",
        "auth-tls-error-page",
        "auth-tls-match-cn",
        "auth-tls-pass-certificate-to-upstream",
    }
)


def _scope(name: str, raw: str) -> str:
    if name in _SERVER_SCOPED:
        return "server"
    return "ingress" if raw == "ingress" else "location"


def ingress_nginx_entries() -> list[Entry]:
    entries = []
    for name, risk, scope in INGRESS_NGINX_KEYS:
        handler, status, note = _INGRESS_NGINX[name]
        entries.append(
            Entry(name, "ingress-nginx", handler, status, _scope(name, scope), risk, note)
        )
    for name in INGRESS_NGINX_REMOVED:
        entries.append(Entry(name, "ingress-nginx", "removed", IGNORED, "", "Low", _REMOVED_NOTE))
    return entries


def nginx_inc_entries() -> list[Entry]:
    entries = []
    for key in NGINX_INC_KEYS:
        handler, status, note = _NGINX_INC[key]
        scope = "server" if key in _NGINX_INC_SERVER else "location"
        risk = _NGINX_INC_RISK.get(key, "Low")
        entries.append(Entry(key, "nginx-inc", handler, status, scope, risk, note))
    return entries


INGRESS_NGINX_CATALOG: dict[str, Entry] = {e.key: e for e in ingress_nginx_entries()}
NGINX_INC_CATALOG: dict[str, Entry] = {e.key: e for e in nginx_inc_entries()}


def entries() -> Iterator[Entry]:
    yield from INGRESS_NGINX_CATALOG.values()
    yield from NGINX_INC_CATALOG.values()


@functools.lru_cache(maxsize=8)
def annotation_specs(prefix: str) -> Mapping[str, AnnotationSpec]:
    """Full key → ledger fallback, with the ingress-nginx names under ``prefix``.

    Built once per prefix (it is asked for every Ingress); read-only for callers.
    """
    specs: dict[str, AnnotationSpec] = {}
    for entry in INGRESS_NGINX_CATALOG.values():
        specs[prefix + entry.key] = _spec(prefix + entry.key, entry)
    for entry in NGINX_INC_CATALOG.values():
        specs[entry.key] = _spec(entry.key, entry)
    return specs


def _spec(key: str, entry: Entry) -> AnnotationSpec:
    if entry.status in (CONVERTED, PARTIAL):
        # Handlers record what they convert; a key they left alone had no effect here (say,
        # a modifier without the annotation it modifies), which must not read as "converted".
        return AnnotationSpec(key, Status.IGNORED, f"had no effect on this Ingress ({entry.note})")
    return AnnotationSpec(key, _LEDGER_STATUS[entry.status], entry.note, security=entry.security)


def catalog_rows() -> list[CatalogRow]:
    rows = [
        CatalogRow(INGRESS_NGINX_PREFIX + e.key, e.status, e.note, e.scope, e.risk)
        for e in sorted(INGRESS_NGINX_CATALOG.values(), key=lambda e: e.key)
    ]
    rows += [
        CatalogRow(e.key, e.status, e.note, e.scope, e.risk)
        for e in sorted(NGINX_INC_CATALOG.values(), key=lambda e: e.key)
    ]
    return rows


def risk_of(name: str) -> str:
    """Risk of an ingress-nginx name (without prefix) or an NGINX Inc full key."""
    entry = INGRESS_NGINX_CATALOG.get(name) or NGINX_INC_CATALOG.get(name)
    return entry.risk if entry else "Low"
