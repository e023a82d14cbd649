"""``check`` and ``validate``: findings for CI and pre-commit.

``check`` converts the given files and reports what could not be carried over, placed at the
line of the annotation or field itself. ``validate`` checks Gateway API (and Envoy Gateway)
manifests the way the API server would. Files without objects the command cares about pass
silently, so both can run on every YAML file of a repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reading.manifests import read_inputs
from ingress2gateway.reporting.findings import Finding, place
from ingress2gateway.reporting.report import Level, Recorder

# Kinds every Ingress provider reads but that say nothing about which controller is used.
VALIDATED_GROUPS = (
    "gateway.networking.k8s.io",
    "gateway.networking.x-k8s.io",
    "gateway.envoyproxy.io",
)


@dataclass
class CheckResult:
    findings: list[Finding]
    report: Recorder

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        threshold = Level(fail_on).rank
        return any(f.level.rank >= threshold for f in self.findings)


def recognising_providers(objects: Sequence[KubeObject], report: Recorder) -> list[str]:
    """The names of :func:`~ingress2gateway.registry.providers_reading`."""
    from ingress2gateway.registry import providers_reading

    return [provider.name for provider in providers_reading(objects, report)]


def run_check(
    files: Sequence[str],
    providers: Sequence[str] = (),
    *,
    options: ConvertOptions | None = None,
    gateway_api_version: str | None = None,
    channel: str = "standard",
    min_level: Level = Level.WARNING,
) -> CheckResult:
    from ingress2gateway.converting.pipeline import convert

    report = Recorder()
    objects = read_inputs(files, report=report).objects
    chosen = list(providers) or recognising_providers(objects, report)
    if chosen:
        convert(
            objects,
            chosen,
            options=options,
            gateway_api_version=gateway_api_version,
            channel=channel,
            report=report,
        )
    notes = [n for n in report.notifications if n.level.rank >= min_level.rank]
    return CheckResult(place(notes, objects, general=files[0] if files else None), report)


def run_validate(
    files: Sequence[str], *, gateway_api_version: str | None = None, channel: str = "standard"
) -> CheckResult:
    from ingress2gateway.target import Target
    from ingress2gateway.validation import validate

    target = Target.parse(gateway_api_version, channel)
    report = Recorder()
    objects = read_inputs(files, report=report).objects
    for obj in objects:
        if obj.group not in VALIDATED_GROUPS:
            continue
        for violation in validate(obj.data, target):
            report.error(
                "manifest-invalid",
                f"{violation.message} ({violation.rule}; {target.version} {target.channel} channel)",
                source=obj.source(),
                field=violation.path or None,
            )
    notes = [n for n in report.notifications if n.level is not Level.INFO]
    return CheckResult(place(notes, objects), report)
