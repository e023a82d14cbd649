"""Reading one Ingress's configuration keys the way its controller does.

HAProxy Technologies' controller strips ``haproxy.org/``, ``haproxy.com/`` and
``ingress.kubernetes.io/`` before looking a key up, and reads a key without prefix too; when one
key is written under several prefixes the order of ``cleanAnnotation`` decides, which we mirror
with a fixed preference (``haproxy.org/`` first). HAProxy Ingress reads
``haproxy-ingress.github.io/`` and the legacy ``ingress.kubernetes.io/`` (the first wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Provenance, Rule, made_from
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .catalog import (
    HAPROXY_INGRESS_PREFIXES,
    HAPROXYTECH,
    HAPROXYTECH_PREFIXES,
    lookup,
)

PROVIDER = "haproxy"

_TRUE = frozenset({"true", "1", "t", "yes", "on", "y", "enabled"})
_FALSE = frozenset({"false", "0", "f", "no", "off", "n", "disabled"})
# HAProxy time: a number with an optional unit (ms by default in HAProxy; the controllers'
# documentation always writes a unit).
_TIME = re.compile(r"^(\d{1,9})(us|ms|s|m|h|d)?\Z")
_TIME_MS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def key_name(key: str, controller: str) -> str | None:
    """The configuration key ``key`` names for ``controller`` (prefix removed), or None when
    the controller does not read it as one of its keys."""
    prefixes = HAPROXYTECH_PREFIXES if controller == HAPROXYTECH else HAPROXY_INGRESS_PREFIXES
    for prefix in prefixes:
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            return rest if rest and "/" not in rest else None
    if controller == HAPROXYTECH and "/" not in key and lookup(controller, key) is not None:
        return key
    return None


@dataclass(frozen=True)
class Defaults:
    """The controller's ConfigMap: values of keys no annotation sets (HAProxy Technologies:
    keys whose scope includes the ConfigMap; HAProxy Ingress: every key, Global ones
    included)."""

    values: dict[str, tuple[str, SourceRef]]
    """name → (value, the ConfigMap it comes from)."""

    def layered(self, over: Defaults) -> Defaults:
        """``over``'s values where it has one (an IngressClass's parameters over the global
        ConfigMap), these elsewhere."""
        return Defaults({**self.values, **over.values})


class Keys:
    """The configuration keys of one Ingress, for one controller."""

    def __init__(
        self,
        ctx: ProviderContext,
        model: IngressModel,
        controller: str,
        defaults: Defaults | None = None,
    ) -> None:
        self.ctx = ctx
        self.model = model
        self.controller = controller
        self.report = ctx.report
        self._defaults = defaults.values if defaults is not None else {}
        prefixes = HAPROXYTECH_PREFIXES if controller == HAPROXYTECH else HAPROXY_INGRESS_PREFIXES
        rank = {prefix: i for i, prefix in enumerate(prefixes)}
        found: dict[str, tuple[int, str]] = {}
        for key in model.obj.annotations:
            name = key_name(key, controller)
            if name is None:
                continue
            order = next((rank[p] for p in prefixes if key.startswith(p)), len(prefixes))
            if name not in found or order < found[name][0]:
                found[name] = (order, key)
        self._keys = {name: key for name, (_, key) in found.items()}
        self.shadowed = [
            key
            for key in model.obj.annotations
            if (name := key_name(key, controller)) is not None and self._keys[name] != key
        ]

    # --- keys ----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted(self._keys)

    def key(self, name: str) -> str:
        if name not in self._keys and name in self._defaults:
            return f"the ConfigMap's {name}"
        return self._keys.get(name, name)

    def field(self, name: str) -> str:
        if name not in self._keys and name in self._defaults:
            return f"data[{name}]"
        return f"metadata.annotations[{self.key(name)}]"

    def source(self, name: str | None) -> SourceRef:
        """The object a key's value comes from: the Ingress, or the controller's ConfigMap."""
        if name is not None and name not in self._keys and name in self._defaults:
            return self._defaults[name][1]
        return self.model.source

    def has(self, name: str) -> bool:
        return name in self._keys or name in self._defaults

    def record_configured(self, name: str, status: Status, note: str | None = None) -> None:
        """The ledger entry of a Global key read from the ConfigMap."""
        if name in self._defaults:
            self.report.record(
                self._defaults[name][1], f"data[{name}]", status, note=note, provider=PROVIDER
            )

    def configured(self, name: str) -> str | None:
        """A Global key's value: from the ConfigMap only (the controller ignores it on an
        Ingress)."""
        value = self._defaults[name][0].strip() if name in self._defaults else ""
        return value or None

    def prov(self, *names: str) -> list[Provenance]:
        return [Provenance(self.source(n), self.field(n)) for n in names if self.has(n)]

    def text(self, name: str) -> str | None:
        if not self.has(name):
            return None
        if name not in self._keys:
            return self._defaults[name][0].strip() or None
        value = self.model.obj.annotations.get(self._keys[name])
        if not isinstance(value, str) or not value.strip():
            return None
        return value.strip()

    # --- ledger --------------------------------------------------------------------------------

    def record(self, name: str, status: Status, note: str | None = None) -> None:
        if self.has(name):
            self.report.record(
                self.source(name), self.field(name), status, note=note, provider=PROVIDER
            )

    def converted(self, name: str, into: Iterable[object], note: str | None = None) -> None:
        self.record(name, Status.CONVERTED, note)
        made = self.prov(name)
        for element in into:
            made_from(element, *made)  # type: ignore[arg-type]

    def notify(
        self, level: Level, code: str, name: str | None, message: str, security: bool = False
    ) -> None:
        self.report.notify(
            level,
            code,
            message,
            source=self.source(name),
            field=self.field(name) if name else None,
            provider=PROVIDER,
            security=security,
        )

    def invalid(self, name: str, why: str, security: bool = False) -> None:
        """A value the controller would not accept: reported, not converted."""
        message = f"{self.key(name)}: {why}; the annotation is not converted"
        level = Level.ERROR if security else Level.WARNING
        self.notify(level, "haproxy-value-invalid", name, message, security)
        self.record(name, Status.UNSUPPORTED, message)

    def unsupported(self, name: str, why: str, security: bool = False) -> None:
        message = f"{self.key(name)}: {why}"
        level = Level.ERROR if security else Level.WARNING
        self.notify(level, "annotation-unsupported", name, message, security)
        self.record(name, Status.UNSUPPORTED, message)

    # --- typed values --------------------------------------------------------------------------

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.invalid(name, f"{value!r} is not a boolean")
        return default

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.invalid(name, f"{value!r} is not an integer in [{low}, {high}]")
            return None
        return int(value)

    def milliseconds(self, name: str) -> int | None:
        """An HAProxy time in milliseconds (a bare number is milliseconds, as in HAProxy)."""
        value = self.text(name)
        if value is None:
            return None
        match = _TIME.match(value)
        if match is None:
            self.invalid(name, f"{value!r} is not an HAProxy time (such as 30s or 1m)")
            return None
        return max(1, round(int(match.group(1)) * _TIME_MS[match.group(2) or "ms"]))

    def csv(self, name: str) -> list[str]:
        value = self.text(name) or ""
        return [item.strip() for item in value.split(",") if item.strip()]

    def lines(self, name: str) -> list[str]:
        value = self.text(name) or ""
        return [line.strip() for line in value.splitlines() if line.strip()]


def duration(milliseconds: int) -> str:
    """A Gateway API duration (``1h``, ``30s``, ``250ms``)."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if milliseconds % size == 0 and milliseconds // size < 100_000:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"


def rules_of(lowered_rules: Iterable[tuple[object, Rule]]) -> list[Rule]:
    return [rule for _, rule in lowered_rules]
