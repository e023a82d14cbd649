"""The notification codes of the HAProxy provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "haproxy-controller-ambiguous": "Nothing says which HAProxy controller (HAProxy "
    "Technologies' or HAProxy Ingress) served an Ingress whose conversion depends on it; it was "
    "converted as HAProxy Technologies' (set --haproxy-controller to choose).",
    "haproxy-value-invalid": "A configuration key has a value the controller would not accept; "
    "it is not converted.",
    "haproxy-access-closed": "An access control that cannot be carried in any form (a pattern "
    "file, a client address from a header, oauth2_proxy, a denying snippet): the Ingress's rules "
    "are closed.",
    "haproxy-auth-secret-format": "The basic-auth Secret is in the controller's format; check "
    "that the implementation reads it.",
    "haproxy-path-approximated": "A character-prefix path became a segment prefix (a longer "
    "path of the host prevents an exact conversion); the message names the requests that change.",
    "haproxy-ssl-redirect": "A host with TLS redirects HTTP to HTTPS, by a route on the HTTP "
    "listener.",
    "haproxy-redirect-port": "The controller's HTTPS redirect named its own port (8443 by "
    "default); the converted one goes to the HTTPS listener.",
    "haproxy-redirect-without-tls": "ssl-redirect on a host the output has no certificate for: "
    "the host keeps being served over HTTP.",
    "haproxy-hsts-not-carried": "HAProxy Ingress adds HSTS to HTTPS responses; a route that "
    "serves HTTP too cannot add it only to HTTPS.",
    "haproxy-resource-unsupported": "An HAProxy Technologies custom resource (Global, Defaults, "
    "Backend, Frontend) configures HAProxy sections, not routing; not converted.",
    "haproxy-rate-limit-status": "HAProxy Technologies answers rate-limited requests with 403 "
    "by default (rate-limit-status-code); Gateway implementations answer 429.",
    "haproxy-acme-exempt": "HAProxy Ingress keeps ACME challenges on plain HTTP; the migration "
    "exempts the challenge path and what is below it, the controller every path starting with "
    "its characters.",
    "haproxy-redirect-query": "redirect-to: the controller's Location is the URL as written; a "
    "Gateway API redirect keeps the request's query string.",
    "haproxy-passthrough": "ssl-passthrough: the host's TLS goes to the backend through a "
    "TLSRoute; the HTTP annotations of the Ingress do not apply to it, and its plain HTTP is "
    "not routed.",
}
