"""The notification codes of the traefik emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

from .security import BASIC_AUTH_KEY_CODE
from .traffic import BODY_LIMIT_CODE

IGNORED_FIELDS_CODE = "traefik-route-field-ignored"
CORS_KEPT_CODE = "traefik-cors-filter-kept"
CONFLICT_CODE = "traefik-middleware-conflict"

CODES: dict[str, str] = {
    BASIC_AUTH_KEY_CODE: "Traefik basic auth reads the htpasswd lines under the Secret key "
    "'users' (ingress-nginx: 'auth'): add that key to the Secret.",
    BODY_LIMIT_CODE: "A request body limit of the source is not set, because Traefik enforces "
    "one only by buffering each whole request, which would break the streamed requests the "
    "source carried there: larger requests now reach the backend.",
    IGNORED_FIELDS_CODE: "An HTTPRoute rule has timeouts or retry, which Traefik 3.7 accepts "
    "but does not apply (its conformance report declares them unsupported).",
    CORS_KEPT_CODE: "A standard CORS filter could not become a Traefik headers Middleware and "
    "was kept; Traefik does not implement the standard CORS filter.",
    CONFLICT_CODE: "A feature could not be attached everywhere it applies (another value of "
    "the same Middleware type already set on that rule, or a route kind that takes no "
    "Middleware).",
}

__all__ = ["CODES"]
