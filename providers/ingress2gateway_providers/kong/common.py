"""State shared by the Kong modules during one conversion, and small value parsers.

:class:`KongRun` indexes the input once (Services, KongPlugins, KongClusterPlugins,
KongIngresses, KongUpstreamPolicies) and holds the helpers every family module uses to report:
each helper calls the report with a literal notification code so the codes table stays checked.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ingress2gateway.converting.provider_notes import NoteCodes, ProviderNotes
from ingress2gateway.ir import Provenance
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Recorder, Status

T = TypeVar("T")

KONG_GROUP = "configuration.konghq.com"
FACADE_GROUP = "incubator.ingress-controller.konghq.com"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A value read from one input field, with where it came from."""

    value: T
    provenance: Provenance


def parse_bool(text: str) -> bool | None:
    """Kong reads booleans with Go's ``strconv.ParseBool``."""
    lowered = text.strip().lower()
    if lowered in ("1", "t", "true"):
        return True
    if lowered in ("0", "f", "false"):
        return False
    return None


def parse_int(text: object) -> int | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    digits = text.strip().lstrip("-") if isinstance(text, str) else ""
    if isinstance(text, str) and digits.isdigit() and len(digits) <= 18:
        return int(text.strip())
    return None


def split_list(text: str, separator: str = ",") -> list[str]:
    return [item.strip() for item in text.split(separator) if item.strip()]


def str_list(value: object) -> list[str]:
    """A YAML list of strings (or one comma-separated string), anything else empty."""
    if isinstance(value, str):
        return split_list(value)
    if isinstance(value, list):
        return [str(item).strip() for item in value if isinstance(item, (str, int))]
    return []


def ms_duration(ms: int) -> str:
    """Milliseconds as a Gateway API duration (``1500`` → ``1500ms``, ``60000`` → ``60s``)."""
    if ms % 3_600_000 == 0 and ms:
        return f"{ms // 3_600_000}h"
    if ms % 60_000 == 0 and ms:
        return f"{ms // 60_000}m"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


INVALID_CODE = "kong-value-invalid"
MISSING_CODE = "kong-reference-missing"
UNSUPPORTED_CODE = "kong-feature-unsupported"
DIFFERS_CODE = "kong-behaviour-differs"
NOTE_CODE = "kong-conversion-note"


@dataclass
class KongRun(ProviderNotes):
    """One conversion's view of the Kong objects in the input."""

    note_codes = NoteCodes(INVALID_CODE, MISSING_CODE, UNSUPPORTED_CODE, DIFFERS_CODE, NOTE_CODE)

    ctx: ProviderContext
    provider: str
    services: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    plugins: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    cluster_plugins: dict[str, KubeObject] = field(default_factory=dict)
    kong_ingresses: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    upstream_policies: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    facades: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)
    """``id()`` of the Kong objects some converted object referenced."""
    service_users: set[tuple[str | None, str]] = field(default_factory=set)
    """Services some converted route sends traffic to."""
    served_classes: set[str] = field(default_factory=set)
    """The ingress classes the Kong controller served."""
    legacy_regex: bool = False
    """The served class's IngressClassParameters ``enableLegacyRegexDetection``."""
    class_parameters: list[KubeObject] = field(default_factory=list)
    default_class: bool = False
    """One of them was the cluster's default class (objects without a class were Kong's)."""

    def class_ok(self, obj: KubeObject) -> bool:
        """Whether KIC kept a KongClusterPlugin or KongServiceFacade: its class annotation is
        Kong's, or absent with Kong's class the default (``MatchesIngressClass``)."""
        annotated = obj.annotations.get(CLASS_ANNOTATION, "")
        return annotated in self.served_classes or (self.default_class and not annotated)

    @classmethod
    def index(cls, ctx: ProviderContext, provider: str) -> KongRun:
        run = cls(ctx, provider)
        for obj in ctx.objects:
            key = (obj.namespace, obj.name or "")
            if obj.kind == "Service" and obj.api_version == "v1":
                run.services.setdefault(key, obj)
            elif obj.kind == "KongServiceFacade" and obj.group == FACADE_GROUP:
                run.facades.setdefault(key, obj)
            elif obj.group != KONG_GROUP:
                continue
            elif obj.kind == "KongPlugin":
                run.plugins.setdefault(key, obj)
            elif obj.kind == "KongClusterPlugin":
                run.cluster_plugins.setdefault(obj.name or "", obj)
            elif obj.kind == "KongIngress":
                run.kong_ingresses.setdefault(key, obj)
            elif obj.kind == "KongUpstreamPolicy":
                run.upstream_policies.setdefault(key, obj)
        return run

    @property
    def report(self) -> Recorder:
        return self.ctx.report

    def use(self, obj: KubeObject) -> None:
        self.used.add(id(obj))
        self.ctx.claim(obj)

    # --- ledger and notifications (literal codes: tests/test_codes.py scans for them) ---------

    def deprecated(self, obj: KubeObject, replacement: str) -> None:
        self.ctx.report.info(
            "kong-kind-deprecated",
            f"{obj.kind} is deprecated since Kong Ingress Controller 3.5 and removed in Kong "
            f"Operator 2.0; {replacement}",
            source=obj.source(),
            provider=self.provider,
        )


def account_object_annotations(
    run: KongRun, obj: KubeObject, skip: AbstractSet[tuple[SourceRef, str]]
) -> None:
    """Ledger entries for the annotations of a Kong CRD object that no handler recorded."""
    source = obj.source()
    for key in sorted(obj.annotations):
        field_path = annotation_field(key)
        if run.report.has_entry(source, field_path) or (source, field_path) in skip:
            continue
        if key == CLASS_ANNOTATION:
            run.record(source, field_path, Status.CONVERTED, "selects the Kong controller")
        elif key.startswith("konghq.com/"):
            run.record(
                source,
                field_path,
                Status.UNSUPPORTED,
                f"{key} on a {obj.kind} is not converted",
            )
        else:
            run.record(source, field_path, Status.IGNORED, "not routing configuration")
