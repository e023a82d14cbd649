"""The notification codes of the nginx provider (ingress-nginx and NGINX Inc), each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "nginx-annotation-invalid": "An annotation value does not parse (bool, int, size, URL, "
    "CIDR...); that annotation is not converted, the rest of the Ingress is.",
    "nginx-case-insensitive": "ingress-nginx matched a path case-insensitively (regex "
    "mode) that the migration matches case-sensitively: requests in another letter case no "
    "longer reach its backend.",
    "nginx-regex-mode": "Another Ingress's use-regex/rewrite-target puts the host in regex "
    "mode, so this Ingress's paths become case-insensitive regex prefixes, as in ingress-nginx.",
    "nginx-redirect-trailing-slash": "ingress-nginx's HTTPS and www redirects dropped a "
    "trailing slash from the URL they redirected to (unless preserve-trailing-slash); the "
    "migrated redirects keep the path as it is. Said once per Ingress; verify counts it as "
    "explaining those redirects.",
    "nginx-wildcard-depth": "ingress-nginx's wildcard host *.example.com took one label "
    "only; Gateway API's takes any depth, so deeper names now reach the Ingress's backends.",
    "nginx-ssl-redirect": "A TLS host redirects plain HTTP to HTTPS through a route on the "
    "HTTP listener, as the controller did.",
    "nginx-canary-no-primary": "A canary Ingress path has no primary to join (or cannot "
    "join it); it receives no traffic, as in ingress-nginx.",
    "nginx-backend-tls-missing": "The controller spoke TLS to a backend without verifying "
    "it; Gateway API cannot, so the converted route sends plain text to it.",
    "nginx-snippet": "A snippet (raw nginx configuration) was not translated; security "
    "relevant, review it by hand.",
    "nginx-cors-wildcard-origin": "A CORS origin `scheme://*.domain` matched one DNS "
    "label in ingress-nginx; Gateway API's wildcard matches any number, so origins with more "
    "labels gain CORS access.",
    "nginx-not-served": "NGINX Inc served nothing of this Ingress, or not this host or "
    "path: another resource owns the host (the oldest Ingress, master or VirtualServer wins), an "
    "older minion has the path, a minion has no master, or the location never matches; it is "
    "not converted.",
    "nginx-resource-rejected": "NGINX Inc rejects the whole Ingress or VirtualServer (a "
    "field fails its validation): it served nothing of it, so nothing of it is converted.",
    "nginx-inc-differs": "Converted, but NGINX Inc answered some requests of this path "
    "differently, as the message says (a character prefix Gateway API's order cannot keep, a "
    "rewrite that doubled or dropped a slash, requests to a gRPC path that are not gRPC calls).",
    "nginx-no-auth-location": "ingress-nginx checks no credentials on the locations "
    "under the ConfigMap's no-auth-locations (/.well-known/acme-challenge by default): the "
    "Ingress's auth is left off those rules, as in the controller.",
    "nginx-ingress-dropped": "The controller did not serve this Ingress (an annotation "
    "value holds a word of the ConfigMap's annotation-value-word-blocklist): it is not "
    "converted, and its hosts and paths answer as if it did not exist.",
    "nginx-injection-suspect": "A High/Critical-risk annotation value contains newlines, "
    "';', '{', '}' or '$': possible configuration injection.",
}
