"""A provider's catalog of the keys it recognises (annotations, CRD fields): each key's status
as users read it, its scope, the risk of losing it and what becomes of it; the ledger status
each status stands for; and the rows ``ingress2gateway providers NAME`` and the generated docs
show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingress2gateway.plugin import CatalogRow
from ingress2gateway.reporting.report import Status

LEDGER_STATUS = {
    "converted": Status.CONVERTED,
    "partial": Status.PARTIAL,
    "needs-extension": Status.UNSUPPORTED,
    "unsupported": Status.UNSUPPORTED,
    "ignored": Status.IGNORED,
}
"""The ledger status of each catalog status (an extension the emitter may carry is
unsupported until it does)."""


@dataclass(frozen=True)
class KeySpec:
    key: str
    status: str
    """converted | partial | needs-extension | unsupported | ignored (as users read it)."""
    scope: str
    """Where the key is read: Ingress, Service, a CRD kind..."""
    risk: str
    """low | medium | high: what goes wrong if the key is silently lost."""
    note: str
    security: bool = False
    """Losing it opens access: reported as a security error."""


def ledger_status(spec: KeySpec) -> Status:
    return LEDGER_STATUS[spec.status]


def rows_of(specs: Iterable[KeySpec]) -> list[CatalogRow]:
    """The catalog rows of ``specs``, in their order."""
    return [
        CatalogRow(key=s.key, status=s.status, note=s.note, scope=s.scope, risk=s.risk)
        for s in specs
    ]
