"""What every part of the provider shares: the document's fields, reported and ledgered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingress2gateway.ir import Provenance
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Level, Recorder, Status

NAME = "openapi3"

OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operations of a Path Item Object (OAS 3.0 and 3.1, "Path Item Object")."""

EXTRA_OPERATIONS = ("connect",)
"""Not an OpenAPI field, but kin-openapi (which the Go tool loads documents with) reads it as
an operation; a CONNECT route is what such a document means."""


def field_key(key: object) -> str:
    """A mapping key as it is written inside ``[...]`` in a ledger field."""
    return str(key)


def sub(parent: str, key: object) -> str:
    """``parent`` then ``[key]``: keys of OpenAPI maps (paths, schemes) hold ``/`` and ``.``."""
    return f"{parent}[{field_key(key)}]" if parent else str(key)


def dot(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def as_dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def is_extension(key: object) -> bool:
    return isinstance(key, str) and key.startswith("x-")


class Fields:
    """One document's fields: what became of each (ledger) and what the user must know."""

    def __init__(self, obj: KubeObject, report: Recorder) -> None:
        self.obj = obj
        self.source: SourceRef = obj.source()
        self.report = report

    def prov(self, field: str) -> Provenance:
        return Provenance(self.source, field)

    def record(self, field: str, status: Status, note: str | None = None) -> None:
        self.report.record(self.source, field, status, note=note, provider=NAME)

    def notify(
        self,
        level: Level,
        code: str,
        field: str | None,
        message: str,
        status: Status | None = None,
        *,
        security: bool = False,
    ) -> None:
        if status is not None and field is not None:
            self.record(field, status, message)
        self.report.notify(
            level,
            code,
            message,
            source=self.source,
            field=field,
            provider=NAME,
            security=security,
        )

    def extensions(self, parent: str, value: Mapping[Any, Any]) -> None:
        """Ledger every ``x-`` key of ``value`` (at ``parent``) as ignored, with a notice."""
        for key in value:
            if is_extension(key):
                field = dot(parent, key) if parent else str(key)
                self.notify(
                    Level.INFO,
                    "openapi3-extension-ignored",
                    field,
                    f"specification extension {key} is not converted",
                    Status.IGNORED,
                )
