"""Golden cases: ``testdata/<provider>/<case>/{input.yaml, args.yaml?, output.yaml, report.txt}``.

``args.yaml`` holds keyword arguments for :func:`ingress2gateway.convert` (``providers``,
``emitter``, ``gateway_api_version``, ``channel``) and for :class:`ConvertOptions` (under
``options``). ``report.txt`` is a compact, reviewable form of the JSON report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import ingress2gateway
from ingress2gateway._version import __version__
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"


@dataclass
class Case:
    directory: Path

    @property
    def id(self) -> str:
        return f"{self.directory.parent.name}/{self.directory.name}"

    @property
    def args(self) -> dict[str, Any]:
        path = self.directory / "args.yaml"
        if not path.exists():
            return {"providers": [self.directory.parent.name]}
        loaded = yaml.safe_load(path.read_text()) or {}
        loaded.setdefault("providers", [self.directory.parent.name])
        return dict(loaded)


def cases(provider: str | None = None) -> list[Case]:
    found = []
    for directory in sorted(TESTDATA.glob("*/*")):
        if (directory / "input.yaml").exists() and (
            provider is None or directory.parent.name == provider
        ):
            found.append(Case(directory))
    return found


def run_case(case: Case, objects: list[Any] | None = None) -> Result:
    """The case converted, with what could not be read of its input in the report (as the
    CLI reports it)."""
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    report = Recorder()
    if objects is None:
        objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=report)
    return ingress2gateway.convert(objects, options=options, report=report, **args)


def normalise_output(text: str) -> str:
    return text.replace(f"ingress2gateway-{__version__}", "ingress2gateway-VERSION")


def compact_report(result: Result, base: Path) -> str:
    """One line per notification and per ledger entry; file paths relative to the case."""

    def where(source: Any) -> str:
        if source is None:
            return "-"
        name = f"{source.namespace}/{source.name}" if source.namespace else str(source.name)
        file = Path(source.file).name if source.file else "?"
        if not source.kind:  # a place in a file (a document that is no object)
            return f"({file}:{source.line})"
        return f"{source.kind} {name} ({file}:{source.line})"

    lines = ["# notifications"]
    for note in result.report.sorted_notifications():
        flag = " [security]" if note.security else ""
        field = f" {note.field}" if note.field and note.source is not None else ""
        message = note.message.replace(str(base) + "/", "")
        lines.append(f"{note.level.value} {note.code}{flag} {where(note.source)}{field}: {message}")
    lines.append("# ledger")
    for entry in result.report.sorted_ledger():
        targets = ", ".join(
            t.display()
            for t in sorted(entry.targets, key=lambda t: (t.kind, t.namespace or "", t.name))
        )
        arrow = f" -> {targets}" if targets else ""
        lines.append(f"{entry.status.value} {where(entry.source)} {entry.field}{arrow}")
    if result.report.prerequisites:
        lines.append("# prerequisites")
    for need in result.report.prerequisites:
        needed_by = ", ".join(where(source) for source in need.sources)
        lines.append(f"{need.need.value} {need.subject}: {need.action} <- {needed_by or '-'}")
    return "\n".join(lines) + "\n"
