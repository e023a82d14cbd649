"""The catalog of Istio fields the provider recognises: drives ``providers istio`` and the docs."""

from __future__ import annotations

from ingress2gateway.plugin import CatalogRow

ROWS: tuple[CatalogRow, ...] = (
    CatalogRow(
        "Gateway spec.selector", "ignored", "the GatewayClass chooses the proxies", "Gateway"
    ),
    CatalogRow(
        "Gateway servers[].port",
        "converted",
        "listener port and protocol (HTTP2/GRPC → HTTP, in plain text as Istio serves them; "
        "MONGO → TCP)",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].hosts",
        "converted",
        "one listener per host; ns/ prefixes → allowedRoutes",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].tls.mode",
        "converted",
        "SIMPLE → Terminate; PASSTHROUGH/AUTO_PASSTHROUGH → TLS Passthrough; MUTUAL → Terminate + client-cert extension; ISTIO_MUTUAL unsupported",
        "Gateway",
        "security",
    ),
    CatalogRow(
        "Gateway servers[].tls.credentialName(s)",
        "converted",
        "certificateRefs to the Secret in the gateway pods' namespace (option "
        "gateway-workload-namespace), with a ReferenceGrant; MUTUAL: the client CA from "
        "<name>-cacert if in the input, else the credential",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].tls.httpsRedirect",
        "converted",
        "HTTPRoute with a 301 https redirect on that listener",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].tls.serverCertificate/privateKey/caCertificates",
        "unsupported",
        "file paths: use credentialName",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].tls.subjectAltNames/verifyCertificate*",
        "unsupported",
        "client-certificate pinning",
        "Gateway",
        "security",
    ),
    CatalogRow(
        "Gateway servers[].tls.min/maxProtocolVersion, cipherSuites",
        "unsupported",
        "no listener field",
        "Gateway",
    ),
    CatalogRow(
        "Gateway servers[].bind, defaultEndpoint", "unsupported", "no listener field", "Gateway"
    ),
    CatalogRow(
        "VirtualService hosts", "converted", "hostnames (short names expanded)", "VirtualService"
    ),
    CatalogRow(
        "VirtualService gateways",
        "converted",
        "parentRefs with sectionName; mesh ignored",
        "VirtualService",
    ),
    CatalogRow(
        "VirtualService exportTo",
        "converted",
        "not exported to the gateway pods' namespace: not converted, as Istio's gateway does "
        "not see it",
        "VirtualService",
    ),
    CatalogRow(
        "http[].match uri/headers/queryParams/method",
        "converted",
        "Exact/PathPrefix/RegularExpression (character prefixes kept with /p[^/].*); Istio "
        "first-match order preserved, across VirtualServices of a host; what still differs is "
        "reported with examples",
        "VirtualService",
    ),
    CatalogRow(
        "http[].match ignoreUriCase", "converted", "(?i) regular expression", "VirtualService"
    ),
    CatalogRow(
        "http[].match gateways/port/scheme/sourceLabels/sourceNamespace",
        "converted",
        "decide on which listeners the match applies (one HTTPRoute per set of listeners)",
        "VirtualService",
    ),
    CatalogRow(
        "http[].match authority",
        "converted",
        "decides the host names the match applies to (exact, prefix or regex, per host name; "
        "wider on a wildcard host)",
        "VirtualService",
    ),
    CatalogRow(
        "http[].match withoutHeaders",
        "unsupported",
        "no negative header match (the match becomes wider)",
        "VirtualService",
    ),
    CatalogRow(
        "http[].route",
        "converted",
        "backendRefs with weights and ports; ReferenceGrant across namespaces",
        "VirtualService",
    ),
    CatalogRow(
        "http[].route[].destination.subset",
        "partial",
        "needs one Service per subset",
        "VirtualService",
    ),
    CatalogRow(
        "http[].route[].headers", "unsupported", "per-destination header edits", "VirtualService"
    ),
    CatalogRow("http[].redirect", "converted", "RequestRedirect", "VirtualService"),
    CatalogRow(
        "http[].rewrite uri/authority",
        "converted",
        "URLRewrite ReplacePrefixMatch/ReplaceFullPath (Envoy's prefix_rewrite: the matched "
        "characters; regex-rewrite extension on expressions), hostname",
        "VirtualService",
    ),
    CatalogRow(
        "http[].rewrite.uriRegexRewrite",
        "needs-extension",
        "regex-rewrite extension",
        "VirtualService",
    ),
    CatalogRow("http[].timeout", "converted", "timeouts.request", "VirtualService"),
    CatalogRow("http[].retries", "needs-extension", "retry extension", "VirtualService"),
    CatalogRow(
        "http[].mirror, mirrors, mirrorPercentage",
        "converted",
        "RequestMirror with percent",
        "VirtualService",
    ),
    CatalogRow("http[].headers", "converted", "Request/ResponseHeaderModifier", "VirtualService"),
    CatalogRow(
        "http[].corsPolicy",
        "converted",
        "CORS filter (v1.5+ standard, v1.3+ experimental), else CORS extension",
        "VirtualService",
    ),
    CatalogRow(
        "http[].fault, directResponse",
        "needs-extension",
        "no standard equivalent",
        "VirtualService",
    ),
    CatalogRow(
        "http[].delegate",
        "converted",
        "the delegate's routes merged into the root, narrowed by its match (Istio's merge)",
        "VirtualService",
    ),
    CatalogRow("tls[]", "converted", "TLSRoute by SNI (where the target has it)", "VirtualService"),
    CatalogRow("tcp[]", "converted", "TCPRoute by port (experimental channel)", "VirtualService"),
    CatalogRow(
        "DestinationRule trafficPolicy.tls",
        "converted",
        "BackendTLSPolicy (SIMPLE; MUTUAL partial)",
        "DestinationRule",
    ),
    CatalogRow(
        "DestinationRule trafficPolicy.loadBalancer",
        "needs-extension",
        "load-balancer / session-affinity extensions",
        "DestinationRule",
    ),
    CatalogRow(
        "DestinationRule connectionPool, outlierDetection, tunnel, proxyProtocol",
        "needs-extension",
        "no standard equivalent",
        "DestinationRule",
    ),
    CatalogRow(
        "DestinationRule portLevelSettings", "unsupported", "per-port policies", "DestinationRule"
    ),
    CatalogRow(
        "DestinationRule subsets", "partial", "one Service per subset needed", "DestinationRule"
    ),
    CatalogRow(
        "ServiceEntry", "ignored", "read to recognise external destination hosts", "ServiceEntry"
    ),
    CatalogRow(
        "AuthorizationPolicy ALLOW, DENY, CUSTOM on the gateway's pods",
        "unsupported",
        "fails closed: the routes of every converted Gateway whose pods it may apply to "
        "(namespace, selector, targetRefs as Istio decides) are emitted closed, with a security "
        "error; --access-control-fallback open leaves them open",
        "AuthorizationPolicy",
        "security",
    ),
    CatalogRow(
        "AuthorizationPolicy AUDIT, DENY/CUSTOM without rules, dry-run, or on other workloads",
        "ignored",
        "allows or denies nothing at the ingress gateway's pods",
        "AuthorizationPolicy",
    ),
)
