"""The notification codes of the kuadrant emitter, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "kuadrant-policy-conflict": "A feature could not be attached everywhere it applies (a rule "
    "already has another value for it, or rules need names the target lacks); an access "
    "control in that case is not carried at all, and the rules it guards are closed.",
    "kuadrant-ip-peer-address": "An IP allow or deny list is checked by Authorino against the "
    "address of the peer connected to the gateway (source.address): behind a load balancer "
    "that does not preserve client addresses, that is the load balancer's.",
}
