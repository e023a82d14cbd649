"""The notification codes of the envoy-gateway emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "eg-basic-auth-sha-only": "Envoy Gateway basic auth reads the Secret key "
    "'.htpasswd' and accepts only SHA hashes; recreate the Secret with `htpasswd -s`.",
    "eg-body-limit-not-enforced": "A request body limit of the source is not "
    "set, because Envoy Gateway enforces one only by buffering each request, which would hang "
    "the WebSocket or streamed requests the source carried there: larger requests now reach "
    "the backend.",
    "eg-sign-in-redirect-partial": "A sign-in redirect on 401 is carried "
    "without the parts the source added per request (the original URL): users land on the "
    "sign-in service's default page after signing in.",
    "eg-policy-conflict": "A feature could not be attached everywhere it applies "
    "(another value already set there, or rules that need rule names the target lacks).",
}
