"""``check`` and ``validate``: findings for CI and pre-commit.

``check`` converts the given files as ``print`` would with the same flags, together with the
rest of the repository as context (:mod:`ingress2gateway.reading.context`), and reports what
could not be carried over in those files only, placed at the line of the annotation or field
itself. ``validate`` checks Gateway API (and Envoy Gateway) manifests the way the API server
would, and counts what it checked. Files without objects the command cares about pass
silently, so both can run on every YAML file of a repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingress2gateway.errors import UsageError
from ingress2gateway.objects import KubeObject, kinds_as_read
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reading.context import may_hold_objects, without
from ingress2gateway.reading.manifests import expand_paths, read_inputs
from ingress2gateway.reporting.findings import Finding, place
from ingress2gateway.reporting.report import Level, Recorder


# Kinds every Ingress provider reads but that say nothing about which controller is used.
def is_output_kind(group: str, kind: str) -> bool:
    """Whether an object of ``group`` and ``kind`` is of a kind an emitter writes and the tool
    validates: Gateway API's, and the kinds of the implementations whose CRDs are vendored
    (Envoy Gateway, kgateway, agentgateway, GKE, NGINX Gateway Fabric, Istio, Kuadrant,
    Traefik). ``validate``, ``diff --against`` and ``verify --against`` read these."""
    from ingress2gateway.validation import has_schema

    return has_schema(group, kind)


@dataclass
class CheckResult:
    findings: list[Finding]
    report: Recorder
    summary: ValidateSummary | None = None

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        threshold = Level(fail_on).rank
        return any(f.level.rank >= threshold for f in self.findings)


def recognising_providers(objects: Sequence[KubeObject], report: Recorder) -> list[str]:
    """The names of :func:`~ingress2gateway.registry.providers_reading` (extensions/v1beta1
    Ingresses counted as the Ingresses they are; one that fails to load is a warning)."""
    from ingress2gateway.registry import providers_reading

    return [provider.name for provider in providers_reading(objects, report)]


def run_check(
    files: Sequence[str],
    providers: Sequence[str] = (),
    *,
    options: ConvertOptions | None = None,
    emitter: str = "standard",
    emitter_options: Mapping[str, str] | None = None,
    gateway_api_version: str | None = None,
    channel: str = "standard",
    emit_invalid: bool = False,
    min_level: Level = Level.WARNING,
    context: Sequence[str] = (),
) -> CheckResult:
    """What ``print`` with the same settings would report about the objects of ``files``.

    ``context``: other manifest files whose objects are converted with those of ``files``
    (the Services, IngressClasses, ConfigMaps and primary Ingresses a changed Ingress
    depends on) but whose own findings are not reported; one that cannot be read is left
    out, silently. Context is read only when ``files`` hold objects to convert.
    """
    from ingress2gateway.converting.pipeline import convert

    report = Recorder()
    objects = read_inputs(files, report=report).objects
    chosen: list[str] = []
    asked = False  # whether the installed providers were asked which of them read the input
    given = [*files, *expand_paths(files)]
    if _read_by_a_provider(objects, providers, options or ConvertOptions()):
        others = [path for path in without(context, given) if may_hold_objects(path)]
        # Errors in context files are not findings: their recorder is dropped. The order is
        # the files' whatever the order of FILES (pre-commit's, or the user's).
        context_objects = read_inputs(others, report=Recorder()).objects if others else []
        objects = in_file_order([*objects, *not_redefined(context_objects, objects)])
        chosen = list(providers) or recognising_providers(objects, report)
        asked = not providers
    if chosen:
        convert(
            objects,
            chosen,
            emitter,
            options=options,
            emitter_options=emitter_options,
            gateway_api_version=gateway_api_version,
            channel=channel,
            emit_invalid=emit_invalid,
            report=report,
        )
    elif not providers and not asked:
        # Nothing any provider reads: nothing to convert. A plug-in that fails to load is
        # still said. (Only Services or ConfigMaps and no provider's own kind anywhere:
        # nothing to convert either.)
        recognising_providers(objects, report)
    shown = set(given)
    # Only FILES' findings are placed: placing one reads its file again for positions.
    notes = [
        n
        for n in report.notifications
        if n.level.rank >= min_level.rank
        and (n.source is None or not n.source.file or n.source.file in shown)
    ]
    return CheckResult(place(notes, objects, general=files[0] if files else None), report)


READ_UNDECLARED = frozenset({("", "ConfigMap"), ("", "Secret")})
"""Kinds the built-in providers read from the input without declaring them (ingress-nginx's
controller ConfigMap by its default names, Istio's and Kong's Secrets): a FILE holding one is
converted, with the context, in case the conversion says something about it."""


def _read_by_a_provider(
    objects: Sequence[KubeObject], providers: Sequence[str], options: ConvertOptions
) -> bool:
    """Whether one of ``providers`` (default: the installed ones) reads a kind among
    ``objects``: its own, the Services and IngressClasses, what it reads beside them (its
    ``cluster_reads``), or a ConfigMap or Secret (:data:`READ_UNDECLARED`). Only then can a
    conversion say something about them, so only then is the context read: a file changed
    alone gives the findings it gives among all files (a Service's misplaced annotation, a
    ConfigMap's bad value). An unknown name is left to the conversion, which says so."""
    from ingress2gateway.registry import canonical_provider, load_provider, provider_names

    kinds = kinds_as_read(objects)
    if kinds & READ_UNDECLARED:
        return True
    for name in providers or provider_names():
        try:
            provider = load_provider(canonical_provider(name))
        except UsageError:
            if providers:
                return True
            continue  # said by recognising_providers
        read = {(r.group, r.kind) for r in provider.resources}
        read.update((r.group, r.kind) for r, _ in provider.cluster_reads(options))
        if read & kinds:
            return True
    return False


def not_redefined(context: Sequence[KubeObject], files: Sequence[KubeObject]) -> list[KubeObject]:
    """The context objects that FILES do not define too. The same object in another file is
    most often another environment's copy (an overlay, a second cluster's manifests): the
    file being checked is the one to judge, so its definition wins, whichever file sorts
    later (otherwise a change to it could pass unseen behind the copy)."""
    defined = {obj.identity for obj in files}
    return [obj for obj in context if obj.identity not in defined]


def in_file_order(objects: Sequence[KubeObject]) -> list[KubeObject]:
    """``objects`` in the order of their files (by path), then of their place in the file: the
    same objects come in the same order whichever of their files were FILES and which
    context (pre-commit passing one file, or all of them)."""

    def key(obj: KubeObject) -> tuple[str, int, int]:
        origin = obj.origin
        item = -1 if origin.item is None else origin.item
        return os.path.abspath(origin.file), origin.document, item

    return sorted(objects, key=key)


@dataclass(frozen=True)
class ValidateSummary:
    """What ``validate`` looked at: the end of its text output, and ``summary`` in JSON."""

    objects: int
    """Objects validated (of a kind :func:`is_output_kind` takes; others are not counted)."""
    files: int
    """Files read."""
    invalid: int
    """Objects the API server would reject."""
    input_errors: int
    """Files or documents that could not be read."""

    def line(self) -> str:
        text = (
            f"validated {_count(self.objects, 'object')} in {_count(self.files, 'file')}: "
            f"{self.invalid} invalid"
        )
        if self.input_errors:
            text += f", {_count(self.input_errors, 'input error')}"
        return text

    def to_json(self) -> dict[str, int]:
        return {
            "objects": self.objects,
            "files": self.files,
            "invalid": self.invalid,
            "inputErrors": self.input_errors,
        }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_validate(
    files: Sequence[str], *, gateway_api_version: str | None = None, channel: str = "standard"
) -> CheckResult:
    """Validate the objects of ``files`` of a kind the tool validates (:func:`is_output_kind`;
    directories are read recursively)."""
    from ingress2gateway.target import Target
    from ingress2gateway.validation import validate

    target = Target.parse(gateway_api_version, channel)
    report = Recorder()
    loaded = read_inputs(files, report=report)
    objects = loaded.objects
    validated = invalid = 0
    for obj in objects:
        if not is_output_kind(obj.group, obj.kind):
            continue
        validated += 1
        violations = validate(obj.data, target)
        invalid += bool(violations)
        for violation in violations:
            report.error(
                "manifest-invalid",
                f"{violation.message} ({violation.rule}; {target.version} {target.channel} channel)",
                source=obj.source(),
                field=violation.path or None,
            )
    notes = [n for n in report.notifications if n.level is not Level.INFO]
    summary = ValidateSummary(validated, len(set(expand_paths(files))), invalid, loaded.errors)
    return CheckResult(place(notes, objects), report, summary)
