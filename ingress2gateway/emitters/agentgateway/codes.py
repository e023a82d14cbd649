"""The notification codes of the agentgateway emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

from ingress2gateway.reporting.report import Need

CODES: dict[str, str] = {
    "agentgateway-body-limit-not-enforced": "A request body limit of the source is not set, "
    "because agentgateway enforces one only by buffering each request, which would hold the "
    "WebSocket or streamed requests the source carried there: larger requests now reach the "
    "backend.",
    "agentgateway-rate-limit-needs-service": "A rate limit the source counted per client address "
    "is not converted: agentgateway's local limit is shared by every client; with a rate limit "
    "service (--emitter-option rate-limit-service=NAMESPACE/NAME:PORT) it becomes a global "
    "limit.",
    "agentgateway-policy-conflict": "A feature could not be attached everywhere it applies "
    "(another value already set there, or rules that need rule names the target lacks).",
}

__all__ = ["CODES", "Need"]
