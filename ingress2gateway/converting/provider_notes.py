"""The ledger entries and notifications a provider writes about the objects it reads, under its
own codes: what its controller rejects (``invalid``), references not in the input
(``missing``), what nothing carries (``unsupported``, a security error when it guarded access),
what is converted but answers differently (``differs``) and plain notes (``fyi``).

A provider's per-conversion state mixes :class:`ProviderNotes` in and names its five codes as
module-level constants (``tests/test_codes.py`` reads them there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status


@dataclass(frozen=True)
class NoteCodes:
    """The codes of a provider's notifications (each in the provider's ``codes``)."""

    invalid: str
    missing: str
    unsupported: str
    differs: str
    note: str


class ProviderNotes:
    """Ledger and notifications for one provider's conversion: needs ``ctx``, ``provider`` and
    the class's ``note_codes``."""

    ctx: ProviderContext
    provider: str
    note_codes: ClassVar[NoteCodes]

    def record(
        self, source: SourceRef, field_path: str, status: Status, note: str | None = None
    ) -> None:
        self.ctx.report.record(source, field_path, status, note=note, provider=self.provider)

    def invalid(self, source: SourceRef, field_path: str, message: str) -> None:
        """A value the controller itself rejects or ignores: reported, not converted."""
        self._flag(Level.WARNING, self.note_codes.invalid, source, field_path, message)

    def missing(self, source: SourceRef, field_path: str, message: str) -> None:
        """A referenced object is not in the input."""
        self._flag(Level.WARNING, self.note_codes.missing, source, field_path, message)

    def unsupported(
        self, source: SourceRef, field_path: str, message: str, *, security: bool = False
    ) -> None:
        """Understood, but nothing in Gateway API (or any extension) carries it."""
        level = Level.ERROR if security else Level.WARNING
        self._flag(level, self.note_codes.unsupported, source, field_path, message, security)

    def differs(self, source: SourceRef, field_path: str | None, message: str) -> None:
        """Converted, but some requests are answered differently from the controller."""
        self.ctx.report.warning(
            self.note_codes.differs,
            message,
            source=source,
            field=field_path,
            provider=self.provider,
        )

    def fyi(self, source: SourceRef, field_path: str | None, message: str) -> None:
        self.ctx.report.info(
            self.note_codes.note, message, source=source, field=field_path, provider=self.provider
        )

    def _flag(
        self,
        level: Level,
        code: str,
        source: SourceRef,
        field_path: str,
        message: str,
        security: bool = False,
    ) -> None:
        self.ctx.report.flag(
            level,
            code,
            message,
            Status.UNSUPPORTED,
            source=source,
            field=field_path,
            provider=self.provider,
            security=security,
        )
