"""What the traefik provider recognises: Ingress and Service annotations, CRD kinds."""

from __future__ import annotations

from ingress2gateway.converting.ingress_provider import AnnotationSpec
from ingress2gateway.plugin import CatalogRow
from ingress2gateway.reporting.report import Status

from .common import PREFIX

# key (without prefix) → (status, note, scope)
ANNOTATIONS: dict[str, tuple[Status, str, str]] = {
    "router.entrypoints": (
        Status.CONVERTED,
        "web → HTTP listeners only, websecure → HTTPS only (entry-points option)",
        "Ingress",
    ),
    "router.middlewares": (
        Status.CONVERTED,
        "the named Middlewares, applied to the Ingress's rules (see Middleware)",
        "Ingress",
    ),
    "router.priority": (
        Status.PARTIAL,
        "compared with Gateway API's precedence; differences are reported",
        "Ingress",
    ),
    "router.rulesyntax": (
        Status.IGNORED,
        "the rules an Ingress makes read the same in v2 and v3 syntax",
        "Ingress",
    ),
    "router.pathmatcher": (
        Status.CONVERTED,
        "Path → Exact, PathPrefix → PathPrefix, PathRegexp → RegularExpression (ImplementationSpecific paths)",
        "Ingress",
    ),
    "router.tls": (
        Status.CONVERTED,
        "TLS-only routers: the routes leave the HTTP listeners",
        "Ingress",
    ),
    "router.tls.certresolver": (
        Status.UNSUPPORTED,
        "ACME certificates from a Traefik resolver: use cert-manager",
        "Ingress",
    ),
    "router.tls.domains": (
        Status.UNSUPPORTED,
        "ACME domains of a resolver are not carried",
        "Ingress",
    ),
    "router.tls.options": (
        Status.CONVERTED,
        "the TLSOption: client certificates (access control) and TLS settings as extensions",
        "Ingress",
    ),
    "router.observability.accesslogs": (
        Status.IGNORED,
        "observability is the implementation's",
        "Ingress",
    ),
    "router.observability.metrics": (
        Status.IGNORED,
        "observability is the implementation's",
        "Ingress",
    ),
    "router.observability.tracing": (
        Status.IGNORED,
        "observability is the implementation's",
        "Ingress",
    ),
    "router.observability.traceverbosity": (
        Status.IGNORED,
        "observability is the implementation's",
        "Ingress",
    ),
    "service.serversscheme": (
        Status.UNSUPPORTED,
        "https towards the pods (unverified in Traefik): set appProtocol or a BackendTLSPolicy",
        "Service",
    ),
    "service.serverstransport": (
        Status.UNSUPPORTED,
        "a ServersTransport (backend TLS, timeouts) is not carried",
        "Service",
    ),
    "service.passhostheader": (
        Status.UNSUPPORTED,
        "false: Traefik sent the backend address as Host; not carried",
        "Service",
    ),
    "service.sticky.cookie": (
        Status.CONVERTED,
        "cookie session affinity for the rules that route to the Service (extension)",
        "Service",
    ),
    "service.sticky.cookie.name": (
        Status.CONVERTED,
        "the affinity cookie's name",
        "Service",
    ),
    "service.sticky.cookie.secure": (
        Status.CONVERTED,
        "the affinity cookie's Secure flag",
        "Service",
    ),
    "service.sticky.cookie.httponly": (
        Status.IGNORED,
        "the affinity cookie's HttpOnly flag is the implementation's",
        "Service",
    ),
    "service.sticky.cookie.samesite": (
        Status.CONVERTED,
        "the affinity cookie's SameSite",
        "Service",
    ),
    "service.sticky.cookie.maxage": (
        Status.CONVERTED,
        "the affinity cookie's Max-Age",
        "Service",
    ),
    "service.sticky.cookie.path": (
        Status.CONVERTED,
        "the affinity cookie's Path",
        "Service",
    ),
    "service.sticky.cookie.domain": (
        Status.IGNORED,
        "the affinity cookie's Domain is the implementation's",
        "Service",
    ),
    "service.nativelb": (Status.IGNORED, "endpoint selection is the implementation's", "Service"),
    "service.nodeportlb": (Status.IGNORED, "endpoint selection is the implementation's", "Service"),
    "service.middlewares": (
        Status.UNSUPPORTED,
        "service-level middlewares are not carried",
        "Service",
    ),
}

CRD_ROWS = (
    (
        "IngressRoute",
        "converted",
        "HTTPRoutes: the match rule parsed (||, &&, !, parentheses), ORs as several matches; priority compared",
    ),
    (
        "IngressRoute spec.tls",
        "converted",
        "TLS-only routers on HTTPS listeners (secretName, default TLSStore)",
    ),
    ("IngressRoute spec.tls.certResolver", "unsupported", "ACME: use cert-manager"),
    ("IngressRoute spec.parentRefs", "unsupported", "multi-layer routing"),
    (
        "IngressRouteTCP",
        "converted",
        "TCPRoute (HostSNI(`*`)), TLSRoute (HostSNI with tls passthrough or a certificate)",
    ),
    ("IngressRouteUDP", "converted", "UDPRoute"),
    (
        "Middleware addPrefix / stripPrefix / replacePath",
        "converted",
        "URLRewrite (a regex rewrite extension where the match is not that prefix)",
    ),
    (
        "Middleware stripPrefixRegex / replacePathRegex",
        "needs-extension",
        "regex rewrite extension",
    ),
    (
        "Middleware redirectScheme",
        "converted",
        "RequestRedirect (one status code for every method)",
    ),
    ("Middleware redirectRegex", "partial", "only http://(.*) → https://$1; others reported"),
    ("Middleware headers", "converted", "header modifiers, security headers, CORS filter"),
    (
        "Middleware basicAuth / forwardAuth",
        "needs-extension",
        "security extensions: closed where the emitter cannot carry them",
    ),
    ("Middleware digestAuth", "unsupported", "no carrier: the rules are closed"),
    (
        "Middleware ipAllowList / ipWhiteList",
        "needs-extension",
        "IP allow-list (security): closed where not carried",
    ),
    ("Middleware rateLimit / buffering / retry / errors", "needs-extension", "extensions"),
    (
        "Middleware inFlightReq / circuitBreaker / compress / plugin / grpcWeb / contentType / passTLSClientCert",
        "unsupported",
        "reported",
    ),
    ("Middleware chain", "converted", "expanded in place"),
    (
        "MiddlewareTCP",
        "unsupported",
        "ipAllowList: the TCP routes are closed; inFlightConn reported",
    ),
    ("TraefikService weighted", "converted", "weighted backendRefs"),
    ("TraefikService mirroring", "converted", "RequestMirror filters"),
    ("TraefikService failover", "partial", "main service only"),
    (
        "TLSOption",
        "needs-extension",
        "clientAuth → client-certificate extension (security); versions/ciphers → client TLS settings",
    ),
    ("TLSStore", "converted", "the default certificate of TLS routers without secretName"),
    (
        "ServersTransport / ServersTransportTCP",
        "unsupported",
        "backend TLS and timeouts are reported",
    ),
)


def spec_for(key: str) -> AnnotationSpec | None:
    if not key.startswith(PREFIX):
        return None
    short = key[len(PREFIX) :]
    if short.startswith("router.tls.domains."):
        short = "router.tls.domains"
    found = ANNOTATIONS.get(short)
    if found is None:
        return None
    return AnnotationSpec(key, found[0], found[1])


def catalog_rows() -> list[CatalogRow]:
    rows = [
        CatalogRow(PREFIX + key, status.value, note, scope=scope)
        for key, (status, note, scope) in ANNOTATIONS.items()
    ]
    rows.extend(CatalogRow(key, status, note, scope="CRD") for key, status, note in CRD_ROWS)
    return rows
