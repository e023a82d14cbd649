"""State shared by the Traefik modules during one conversion, and small value parsers.

:class:`TraefikRun` indexes the input once (Services, Middlewares, TraefikServices, TLSOptions,
TLSStores, ServersTransports) and holds the report helpers every family module uses: each calls
the report with a literal notification code, so the codes table stays checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting.provider_notes import NoteCodes, ProviderNotes
from ingress2gateway.ir import Gateway, SessionAffinity
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Recorder

GROUP = "traefik.io"
LEGACY_GROUP = "traefik.containo.us"
GROUPS = (GROUP, LEGACY_GROUP)
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PREFIX = "traefik.ingress.kubernetes.io/"
CONTROLLER = "traefik.io/ingress-controller"
DEFAULT_ENTRY_POINTS = "web=80,websecure=443"


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


def parse_bool(value: object) -> bool | None:
    """Go's ``strconv.ParseBool`` (what Traefik's label parser uses)."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith(("-", "+")) else text
        if digits.isdigit() and len(digits) <= 18:
            return int(text)
    return None


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def entry_point_ports(text: str) -> dict[str, int]:
    """``web=80,websecure=443`` → ``{"web": 80, "websecure": 443}`` (bad items skipped)."""
    ports: dict[str, int] = {}
    for item in split_list(text):
        name, _, port = item.partition("=")
        number = parse_int(port)
        if name.strip() and number is not None and 0 < number < 65536:
            ports[name.strip()] = number
    return ports


INVALID_CODE = "traefik-value-invalid"
MISSING_CODE = "traefik-reference-missing"
UNSUPPORTED_CODE = "traefik-feature-unsupported"
DIFFERS_CODE = "traefik-behaviour-differs"
NOTE_CODE = "traefik-conversion-note"


@dataclass
class TraefikRun(ProviderNotes):
    """One conversion's view of the Traefik objects in the input."""

    note_codes = NoteCodes(INVALID_CODE, MISSING_CODE, UNSUPPORTED_CODE, DIFFERS_CODE, NOTE_CODE)

    ctx: ProviderContext
    provider: str
    services: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    objects: dict[tuple[str, str, str], KubeObject] = field(default_factory=dict)
    """Traefik CRD objects by (kind, namespace, name); traefik.io wins over the legacy group."""
    used: set[int] = field(default_factory=set)
    service_users: set[tuple[str | None, str]] = field(default_factory=set)
    entry_points: dict[str, int] = field(default_factory=dict)
    allow_cross_namespace: bool = False
    created: list[Gateway] = field(default_factory=list)
    sticky: dict[int, SessionAffinity] = field(default_factory=dict)
    https_hostless: set[int] = field(default_factory=set)
    routes: set[int] = field(default_factory=set)
    """``id()`` of the HTTPRoutes this provider made (the later passes touch no other)."""
    """``id()`` of the routes without host whose routers were on the websecure entry point."""
    """The session-affinity extension of each sticky Service, by ``id()``."""
    routers: list[Any] = field(default_factory=list)
    """Every converted router, for the priority comparison (see :mod:`.priority`)."""

    @classmethod
    def index(cls, ctx: ProviderContext, provider: str) -> TraefikRun:
        run = cls(ctx, provider)
        for obj in ctx.objects:
            if obj.kind == "Service" and obj.api_version == "v1":
                run.services.setdefault((obj.namespace, obj.name or ""), obj)
            elif obj.group in GROUPS:
                # kubectl puts an object without namespace into the context's, "default" here.
                key = (obj.kind, obj.namespace or "default", obj.name or "")
                found = run.objects.get(key)
                if found is None or (found.group == LEGACY_GROUP and obj.group == GROUP):
                    run.objects[key] = obj
        return run

    def find(self, kind: str, namespace: str | None, name: str) -> KubeObject | None:
        return self.objects.get((kind, namespace or "default", name))

    def of_kind(self, *kinds: str) -> list[KubeObject]:
        found = [
            obj
            for obj in self.ctx.objects
            if obj.group in GROUPS and obj.kind in kinds and id(obj) not in self.ctx.claimed
        ]
        return sorted(found, key=lambda o: (o.kind, o.namespace or "", o.name or ""))

    @property
    def report(self) -> Recorder:
        return self.ctx.report

    def use(self, obj: KubeObject) -> None:
        self.used.add(id(obj))
        self.ctx.claim(obj)

    # --- ledger and notifications (literal codes: tests/test_codes.py scans for them) ---------

    def rule_unsupported(self, source: SourceRef, field_path: str, message: str) -> None:
        self.ctx.report.warning(
            "traefik-rule-unsupported",
            message,
            source=source,
            field=field_path,
            provider=self.provider,
        )

    def priority_differs(self, source: SourceRef, field_path: str | None, message: str) -> None:
        self.ctx.report.warning(
            "traefik-priority-differs",
            message,
            source=source,
            field=field_path,
            provider=self.provider,
        )

    def legacy(self, obj: KubeObject) -> None:
        self.ctx.report.info(
            "traefik-legacy-group",
            f"{obj.kind} of {LEGACY_GROUP} (Traefik v2, removed in v3) is read as {GROUP}/v1alpha1",
            source=obj.source(),
            provider=self.provider,
        )
