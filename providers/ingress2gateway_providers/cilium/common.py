"""What one conversion of Cilium Ingresses shares: the settings and each Ingress's mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Gateway
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from . import catalog, values

NAME = "cilium"
CLASS_NAME = "cilium"
"""The one class the Cilium operator serves (``ciliumIngressClassName``)."""
CONTROLLER = "cilium.io/ingress-controller"


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


@dataclass
class Settings:
    """The operator's flags that change routing (provider options)."""

    dedicated_by_default: bool = True
    enforce_https: bool = True
    default_request_timeout: str = ""
    default_class: bool = False


@dataclass
class CiliumRun:
    ctx: ProviderContext
    settings: Settings
    dedicated: dict[SourceRef, bool] = field(default_factory=dict)
    passthrough: dict[SourceRef, bool] = field(default_factory=dict)
    default_class: bool | None = None
    """Whether Cilium serves Ingresses without class (read once from the input)."""
    shared_gateways: dict[tuple[str, str | None], Gateway] = field(default_factory=dict)
    """The shared Gateway of each class (and namespace), once a passthrough Ingress asked."""
    _services: dict[str | None, list[KubeObject]] | None = None

    def services_in(self, namespace: str | None) -> list[KubeObject]:
        """The Services of ``namespace`` in the input (indexed once)."""
        if self._services is None:
            self._services = {}
            for obj in self.ctx.objects:
                if obj.kind == "Service" and obj.group == "":
                    self._services.setdefault(obj.namespace, []).append(obj)
        return self._services.get(namespace, [])

    def record(self, model: IngressModel, key: str, status: Status, note: str) -> None:
        self.ctx.report.record(
            model.source, annotation_field(key), status, note=note, provider=NAME
        )

    def flag(
        self,
        level: Level,
        code: str,
        model: IngressModel,
        field_path: str,
        message: str,
        status: Status,
    ) -> None:
        self.ctx.report.flag(
            level, code, message, status, source=model.source, field=field_path, provider=NAME
        )

    def note(
        self, level: Level, code: str, model: IngressModel, field_path: str | None, message: str
    ) -> None:
        self.ctx.report.notify(
            level, code, message, source=model.source, field=field_path, provider=NAME
        )

    # --- the modes ---------------------------------------------------------------------------

    def classify(self, model: IngressModel) -> None:
        """Read the load balancer mode and TLS passthrough of ``model`` (ledger included)."""
        annotations = model.obj.annotations
        key = values.first_key(annotations, catalog.LB_MODE, catalog.LB_MODE_ALIAS)
        dedicated = self.settings.dedicated_by_default
        if key is not None:
            value = annotations[key]
            if value in ("dedicated", "shared"):
                dedicated = value == "dedicated"
                self.record(model, key, Status.CONVERTED, f"{value} load balancer")
            else:
                self.flag(
                    Level.WARNING,
                    "cilium-value-invalid",
                    model,
                    annotation_field(key),
                    f"{value[:80]!r} is neither dedicated nor shared: Cilium used its default "
                    f"mode ({'dedicated' if dedicated else 'shared'})",
                    Status.IGNORED,
                )
        self.dedicated[model.source] = dedicated
        key = values.first_key(annotations, catalog.TLS_PASSTHROUGH, catalog.TLS_PASSTHROUGH_ALIAS)
        passthrough = False
        if key is not None:
            # GetAnnotationTLSPassthroughEnabled: "enabled" or a ParseBool truth; else off.
            value = annotations[key]
            passthrough = value == "enabled" or values.parse_bool(value) is True
            if passthrough:
                pass  # recorded with the TLSRoutes it makes
            elif value == "disabled" or values.parse_bool(value) is False:
                self.record(model, key, Status.CONVERTED, "TLS passthrough off (the default)")
            else:
                self.flag(
                    Level.WARNING,
                    "cilium-value-invalid",
                    model,
                    annotation_field(key),
                    f"{value[:80]!r} is not enabled/disabled or a boolean: Cilium left TLS "
                    "passthrough off",
                    Status.IGNORED,
                )
        for alias, primary in (
            (catalog.LB_MODE_ALIAS, catalog.LB_MODE),
            (catalog.TLS_PASSTHROUGH_ALIAS, catalog.TLS_PASSTHROUGH),
        ):
            if alias in annotations and primary in annotations:
                self.record(model, alias, Status.IGNORED, f"{primary} is set too and is read first")
        self.passthrough[model.source] = passthrough

    def forced_https(self, model: IngressModel) -> tuple[bool, str | None]:
        """Whether HTTP requests to the Ingress's TLS hosts are redirected, and the annotation
        that decided it (None: the operator's enforce-ingress-https)."""
        value = model.obj.annotations.get(catalog.FORCE_HTTPS)
        if value is None:
            return self.settings.enforce_https, None
        decided = values.switch(value)
        if decided is None:
            return self.settings.enforce_https, None
        return decided, catalog.FORCE_HTTPS
