"""State shared by the APISIX modules during one conversion, and small value parsers.

:class:`ApisixRun` indexes the input once (Services and the ``apisix.apache.org`` kinds) and
holds the report helpers every module uses; each helper names its notification code literally
so that the codes table stays checked (tests/test_codes.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting.provider_notes import NoteCodes, ProviderNotes
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Recorder

APISIX_GROUP = "apisix.apache.org"
PREFIX = "k8s.apisix.apache.org/"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
CONTROLLER = "apisix.apache.org/apisix-ingress-controller"
DEFAULT_CLASS = "apisix"


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


def is_true(text: str | None) -> bool:
    """The controller's ``GetBoolAnnotation``: only the exact string ``"true"`` is true."""
    return text == "true"


def split_list(text: str) -> list[str]:
    """The controller's ``GetStringsAnnotation``: comma-separated, blanks dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
        return int(value.strip())
    return None


_SECONDS = re.compile(r"([0-9]{1,6})s?")


def annotation_seconds(text: str) -> int | None:
    """``upstream-*-timeout``: whole seconds, an optional ``s`` suffix only (``upstream.go``
    strips one ``s`` and parses an integer; ``1m`` is an error)."""
    found = _SECONDS.fullmatch(text.strip())
    return int(found.group(1)) if found else None


_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s)")
_DURATION_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def duration_ms(value: object) -> int | None:
    """A Kubernetes ``metav1.Duration`` (Go duration syntax such as ``1m30s``) in ms."""
    if not isinstance(value, str) or not value.strip():
        return None
    text, total, pos = value.strip(), 0.0, 0
    while pos < len(text):
        found = _DURATION_PART.match(text, pos)
        if found is None:
            return None
        total += float(found.group(1)) * _DURATION_MS[found.group(2)]
        pos = found.end()
    return int(total) if total < 10**12 else None


def gateway_duration(ms: int) -> str:
    """Milliseconds as a Gateway API duration (``60000`` → ``60s``)."""
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


INVALID_CODE = "apisix-value-invalid"
MISSING_CODE = "apisix-reference-missing"
UNSUPPORTED_CODE = "apisix-feature-unsupported"
DIFFERS_CODE = "apisix-behaviour-differs"
NOTE_CODE = "apisix-conversion-note"


@dataclass
class ApisixRun(ProviderNotes):
    """One conversion's view of the APISIX objects in the input."""

    note_codes = NoteCodes(INVALID_CODE, MISSING_CODE, UNSUPPORTED_CODE, DIFFERS_CODE, NOTE_CODE)

    ctx: ProviderContext
    provider: str
    services: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    plugin_configs: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    upstreams: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)
    """``id()`` of the APISIX objects a converted route referenced."""
    served_classes: set[str] = field(default_factory=set)
    default_class: bool = False
    """One of them is the cluster's default class (objects without a class are APISIX's)."""
    redirects: dict[int, Any] = field(default_factory=dict)
    """``id()`` of the rules redirected to https on plain HTTP (the RequestRedirect): split
    once every HTTPS listener is known."""

    @classmethod
    def index(cls, ctx: ProviderContext, provider: str) -> ApisixRun:
        run = cls(ctx, provider)
        for obj in ctx.objects:
            key = (obj.namespace, obj.name or "")
            if obj.kind == "Service" and obj.api_version == "v1":
                run.services.setdefault(key, obj)
            elif obj.group != APISIX_GROUP:
                continue
            elif obj.kind in ("ApisixPluginConfig", "PluginConfig"):
                run.plugin_configs.setdefault(key, obj)
            elif obj.kind == "ApisixUpstream":
                run.upstreams.setdefault(key, obj)
        return run

    @property
    def report(self) -> Recorder:
        return self.ctx.report

    def use(self, obj: KubeObject) -> None:
        self.used.add(id(obj))
        self.ctx.claim(obj)
