"""What the GCE provider's modules share: its name, the input indexed once, ledger helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ingress2gateway.ir import Provenance
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Recorder, Status

PROVIDER = "gce"
BACKEND_CONFIG_GROUP = "cloud.google.com"
GKE_GROUP = "networking.gke.io"

GCE_RESOURCES = (
    ResourceKind(BACKEND_CONFIG_GROUP, "v1", "backendconfigs", "BackendConfig"),
    ResourceKind(GKE_GROUP, "v1beta1", "frontendconfigs", "FrontendConfig"),
    ResourceKind(GKE_GROUP, "v1", "managedcertificates", "ManagedCertificate"),
)
OWN_KINDS = {(kind.group, kind.kind) for kind in GCE_RESOURCES}


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


def parse_bool(value: str) -> bool | None:
    """Go's ``strconv.ParseBool``; None for what it refuses."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


@dataclass
class GceRun:
    """One conversion's view of the input: the GKE objects by (namespace, name)."""

    ctx: ProviderContext
    backend_configs: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    frontend_configs: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    managed_certs: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    services: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)
    """``id()`` of the GKE objects a converted Ingress used."""
    dropped: set[int] = field(default_factory=set)
    """``id()`` of the Gateways and routes made and then dropped (taken out of the IR once, at
    the end: one pass, whatever the number of Ingresses)."""
    services_by_namespace: dict[str | None, list[KubeObject]] = field(default_factory=dict)

    @classmethod
    def index(cls, ctx: ProviderContext) -> GceRun:
        run = cls(ctx)
        for obj in ctx.objects:
            if obj.name is None or id(obj) in ctx.claimed:
                continue
            key = (obj.namespace, obj.name)
            if obj.kind == "BackendConfig" and obj.group == BACKEND_CONFIG_GROUP:
                run.backend_configs.setdefault(key, obj)
            elif obj.kind == "FrontendConfig" and obj.group == GKE_GROUP:
                run.frontend_configs.setdefault(key, obj)
            elif obj.kind == "ManagedCertificate" and obj.group == GKE_GROUP:
                run.managed_certs.setdefault(key, obj)
            elif obj.kind == "Service" and obj.group == "":
                run.services.setdefault(key, obj)
                run.services_by_namespace.setdefault(obj.namespace, []).append(obj)
        return run

    def drop_dropped(self) -> None:
        if not self.dropped:
            return
        ir = self.ctx.ir
        ir.gateways[:] = [g for g in ir.gateways if id(g) not in self.dropped]
        ir.routes[:] = [r for r in ir.routes if id(r) not in self.dropped]

    @property
    def report(self) -> Recorder:
        return self.ctx.report

    def record(self, source: SourceRef, path: str, status: Status, note: str | None = None) -> None:
        self.report.record(source, path, status, note=note, provider=PROVIDER)

    def flag(
        self,
        level: Level,
        code: str,
        message: str,
        status: Status,
        source: SourceRef,
        path: str,
        security: bool = False,
    ) -> None:
        self.report.flag(
            level, code, message, status, source=source, field=path, provider=PROVIDER,
            security=security,
        )  # fmt: skip

    def notify(
        self, level: Level, code: str, message: str, source: SourceRef, path: str | None
    ) -> None:
        self.report.notify(level, code, message, source=source, field=path, provider=PROVIDER)


def provenance(source: SourceRef, fields: Iterable[str]) -> list[Provenance]:
    return [Provenance(source, f) for f in fields]
