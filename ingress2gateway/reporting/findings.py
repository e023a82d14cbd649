"""Findings: notifications placed at ``file:line:col``, rendered for people and for CI.

Formats: ``text`` (``file:line:col: level code message``, what editors and pre-commit show),
``json``, ``sarif`` (SARIF 2.1.0 for code scanning) and ``github`` (workflow commands that
GitHub Actions turns into annotations).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ingress2gateway._version import __version__
from ingress2gateway.objects import KubeObject, Origin, SourceRef
from ingress2gateway.reading.positions import locate
from ingress2gateway.registry import describe
from ingress2gateway.reporting.printable import printable
from ingress2gateway.reporting.report import Level, Notification

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}
_GITHUB_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


class HasJSON(Protocol):
    def to_json(self) -> dict[str, int]: ...


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    column: int
    level: Level
    code: str
    message: str
    security: bool = False
    object: str | None = None
    field: str | None = None
    """The input field the finding is about (``metadata.annotations[...]``), as the JSON
    report's notifications name it; None for a whole object or file."""

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "level": self.level.value,
            "code": self.code,
            "message": self.message,
            "security": self.security,
            "object": self.object,
            "field": self.field,
        }


def place(
    notes: Iterable[Notification], objects: Sequence[KubeObject], general: str | None = None
) -> list[Finding]:
    """Findings for the notifications that belong to a file (by their source, or for input
    errors by the file they name). Notifications about no file at all (a provider that failed
    to load) are placed at line 1 of ``general``, so they are never lost."""
    origins: dict[SourceRef, Origin] = {obj.source(): obj.origin for obj in objects}
    found: set[Finding] = set()
    for note in notes:
        source = note.source
        if source is None or not source.file:
            if general is not None:
                found.add(
                    Finding(
                        general,
                        1,
                        1,
                        note.level,
                        note.code,
                        note.message,
                        note.security,
                        field=note.field,
                    )
                )
            continue
        origin = origins.get(source)
        document = origin.document if origin else 0
        item = origin.item if origin else None
        line, column = locate(source.file, document, note.field, source.line, item)
        who = source.display() if source.kind else None
        found.add(
            Finding(
                source.file,
                line,
                column,
                note.level,
                note.code,
                note.message,
                note.security,
                who,
                note.field,
            )
        )
    return sorted(found, key=lambda f: (f.file, f.line, f.column, -f.level.rank, f.code, f.message))


def render(findings: Sequence[Finding], format: str, summary: HasJSON | None = None) -> str:
    """``findings`` in ``format``; ``summary`` (counts, ``validate``'s) goes into JSON's
    ``summary``. Text and github lines go through
    :func:`~ingress2gateway.reporting.printable.printable` (file names and messages come from the input);
    JSON and SARIF are safe as they are: ``json.dumps`` escapes control characters."""
    if format == "text":
        return "".join(
            printable(
                f"{f.file}:{f.line}:{f.column}: {f.level.value} {f.code}: {_prefix(f)}{f.message}"
            )
            + "\n"
            for f in findings
        )
    if format == "json":
        body: dict[str, Any] = {"findings": [f.to_json() for f in findings]}
        if summary is not None:
            body["summary"] = summary.to_json()
        return json.dumps(body, indent=2) + "\n"
    if format == "github":
        return "".join(
            f"::{_GITHUB_LEVEL[f.level]} file={_gh(f.file)},line={f.line},col={f.column},"
            f"title={_gh(f.code)}::{_gh_message(_prefix(f) + f.message)}\n"
            for f in findings
        )
    if format == "sarif":
        return json.dumps(sarif(findings), indent=2) + "\n"
    raise ValueError(f"unknown format {format!r}")


def _prefix(finding: Finding) -> str:
    return f"{finding.object}: " if finding.object else ""


# GitHub's workflow commands escape %, CR and LF in the message, and ':' and ',' too in
# property values (escapeData and escapeProperty in actions/toolkit,
# packages/core/src/command.ts). printable() has already written CR, LF and every other
# control character as visible escapes, so % is the one left to escape in a message.


def _gh(text: str) -> str:
    return _gh_message(text).replace(":", "%3A").replace(",", "%2C")


def _gh_message(text: str) -> str:
    return printable(text).replace("%", "%25")


def sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    codes = sorted({f.code for f in findings})
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": describe(code)},
        }
        for code in codes
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": _SARIF_LEVEL[f.level],
            "message": {"text": _prefix(f) + f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file.replace("\\", "/")},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        if f.security:
            result["properties"] = {"tags": ["security"]}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ingress2gateway",
                        "version": __version__,
                        "informationUri": "https://gateway-api.sigs.k8s.io/",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
