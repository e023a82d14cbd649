"""Client address allow/deny lists: ``allowlist-source-range`` (alias ``whitelist-source-range``)
and ``denylist-source-range``.

Each becomes an ``IPAccess`` extension on the Ingress's rules (allow list, deny list). Standard
Gateway API cannot restrict clients by address, so without an implementation emitter this is a
security error: the migrated route would be open to every client. Entries that are not CIDRs or
addresses are reported and left out; an allow list left empty by that is not applied at all.
"""

from __future__ import annotations

import ipaddress

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import IPAccess

from ._base import DENIED, Ann, Run, rules_of


def _network(item: str) -> str | None:
    try:
        return str(ipaddress.ip_network(item, strict=False))
    except ValueError:
        return None


def cidrs(ann: Ann, name: str) -> list[str]:
    """The list, or nothing at all if one entry is bad (as the controller rejects the value)."""
    good: list[str] = []
    for item in ann.csv(name):
        network = _network(item)
        if network is None:
            ann.invalid(
                name, f"{item!r} is not an IP address or CIDR", security=True, status=DENIED
            )
            return []
        good.append(network)
    return good


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    allow_key = (
        "allowlist-source-range" if ann.has("allowlist-source-range") else "whitelist-source-range"
    )
    if ann.has("allowlist-source-range") and ann.has("whitelist-source-range"):
        ann.ignored(["whitelist-source-range"], "allowlist-source-range takes precedence")
    allow = cidrs(ann, allow_key)
    deny = cidrs(ann, "denylist-source-range")
    if not allow and not deny:
        return
    access = IPAccess(
        allow=allow,
        deny=deny,
        provenance=ann.prov(
            *([allow_key] if allow else []), *(["denylist-source-range"] if deny else [])
        ),
    )
    for _, rule in rules_of(run, model):
        rule.extensions.append(access)
