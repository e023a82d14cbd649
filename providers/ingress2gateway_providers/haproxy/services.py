"""Service annotations: both controllers read backend settings from the Service too, and the
Service's value beats the Ingress's (HAProxy Technologies: ``pkg/annotations/common/main.go``,
Service > Ingress > ConfigMap; HAProxy Ingress: ``keys.md`` "Strategies", Backend scope). They
apply to every converted rule whose backend is that Service, and only to those.

* ``cookie-persistence`` / ``cookie-persistence-no-dynamic`` (HAProxy Technologies; read from
  Services only) and ``affinity: cookie`` + ``session-cookie-name`` (HAProxy Ingress): the
  session-affinity extension.
* ``load-balance`` / ``balance-algorithm``: the load-balancing extension, replacing the
  Ingress's.
* ``timeout-server``: the rules' backendRequest timeout, replacing the Ingress's.
* ``backend-config-snippet`` / ``config-backend*``: never translated; one that denies requests
  closes the rules that use the Service.
* Everything else the controller reads on a Service (backend TLS, PROXY protocol, health
  checks, ``route-acl``...) is reported with the catalog's note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import (
    LoadBalancer,
    Provenance,
    RefusedControl,
    Rule,
    SessionAffinity,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXYTECH, annotation_spec, lookup
from .keys import PROVIDER, Keys, duration, key_name

_DENYING = re.compile(r"http-request\s+(deny|auth|reject|silent-drop|tarpit|return)", re.I)
_COOKIE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}\Z")
_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "roundrobin": ("RoundRobin", None),
    "static-rr": ("RoundRobin", None),
    "leastconn": ("LeastRequest", None),
    "random": ("Random", None),
    "source": ("ConsistentHash", "source-ip"),
}


@dataclass
class _Use:
    """The rules of one controller that send requests to one Service."""

    service: KubeObject
    controller: str
    rules: list[Rule] = field(default_factory=list)


def apply(
    ctx: ProviderContext, keys: Mapping[int, Keys], models: list[IngressModel], lowered: Lowered
) -> None:
    services = {
        (obj.namespace, obj.name): obj
        for obj in ctx.objects
        if obj.kind == "Service" and obj.api_version == "v1" and obj.name
    }
    uses: dict[tuple[str | None, str | None, str], _Use] = {}
    for model in models:
        controller = keys[id(model)].controller
        for _, rule in lowered.rules_of(model.source):
            for ref in rule.backend_refs:
                if ref.kind != "Service" or ref.group:
                    continue
                namespace = ref.namespace or model.namespace
                service = services.get((namespace, ref.name))
                if service is None:
                    continue
                use = uses.setdefault((namespace, ref.name, controller), _Use(service, controller))
                if all(rule is not r for r in use.rules):
                    use.rules.append(rule)
    for key in sorted(uses, key=lambda k: (k[0] or "", k[1] or "", k[2])):
        _apply_one(ctx, uses[key])


def _apply_one(ctx: ProviderContext, use: _Use) -> None:
    obj = use.service
    source = obj.source()
    report = ctx.report
    tech = use.controller == HAPROXYTECH
    names = {
        name: key
        for key in obj.annotations
        if (name := key_name(key, use.controller)) is not None
        and ("/" in key or lookup(use.controller, name) is not None)
    }

    def prov(name: str) -> list[Provenance]:
        return [Provenance(source, f"metadata.annotations[{names[name]}]")]

    def text(name: str) -> str | None:
        value = obj.annotations.get(names[name]) if name in names else None
        return value.strip() if isinstance(value, str) and value.strip() else None

    def record(name: str, status: Status, note: str) -> None:
        report.record(
            source, f"metadata.annotations[{names[name]}]", status, note=note, provider=PROVIDER
        )

    def warn(name: str, message: str, security: bool = False) -> None:
        level = Level.ERROR if security else Level.WARNING
        report.notify(
            level,
            "annotation-unsupported",
            f"{names[name]}: {message}",
            source=source,
            field=f"metadata.annotations[{names[name]}]",
            provider=PROVIDER,
            security=security,
        )
        record(name, Status.UNSUPPORTED, message)

    handled: set[str] = set()
    cookie_keys = ("cookie-persistence", "cookie-persistence-no-dynamic") if tech else ("affinity",)
    for name in cookie_keys:
        value = text(name)
        if value is None:
            continue
        cookie = value if tech else (text("session-cookie-name") or "INGRESSCOOKIE")
        if (not tech and value.lower() != "cookie") or not _COOKIE.match(cookie):
            warn(name, f"{value!r} is not a cookie affinity the controller accepts")
            continue
        affinity = SessionAffinity(
            cookie_name=cookie,
            provenance=prov(name)
            + ([] if tech or "session-cookie-name" not in names else prov("session-cookie-name")),
        )
        for rule in use.rules:
            rule.extensions = [e for e in rule.extensions if not isinstance(e, SessionAffinity)]
            rule.extensions.append(affinity)
        handled.update((name, "session-cookie-name"))
        break
    balance = "load-balance" if tech else "balance-algorithm"
    value = text(balance)
    if value is not None:
        head = value.split()[0].lower()
        found = _ALGORITHMS.get("random" if head.startswith("random") else head)
        if found is None:
            warn(balance, f"the algorithm {value!r} has no equivalent; not converted")
        else:
            ext = LoadBalancer(algorithm=found[0], hash_on=found[1], provenance=prov(balance))  # type: ignore[arg-type]
            for rule in use.rules:
                rule.extensions = [e for e in rule.extensions if not isinstance(e, LoadBalancer)]
                rule.extensions.append(ext)
            handled.add(balance)
    timeout = text("timeout-server")
    if timeout is not None:
        match = re.fullmatch(r"(\d{1,9})(ms|s|m|h)?", timeout)
        if match is None:
            warn("timeout-server", f"{timeout!r} is not an HAProxy time")
        else:
            scale = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[match.group(2) or "ms"]
            for rule in use.rules:
                rule.backend_request_timeout = duration(max(1, int(match.group(1)) * scale))
            record(
                "timeout-server",
                Status.PARTIAL,
                "the backendRequest timeout of the rules that use the Service (HAProxy's is an "
                "inactivity timeout)",
            )
    snippets = (
        ("backend-config-snippet",)
        if tech
        else ("config-backend", "config-backend-early", "config-backend-late")
    )
    for name in snippets:
        value = text(name)
        if value is None:
            continue
        first = next((line.strip() for line in value.splitlines() if line.strip()), "")
        if _DENYING.search(value):
            message = (
                f"raw HAProxy configuration that decides who is served ({first[:80]!r}) is "
                "never translated; the rules that use the Service are closed"
            )
            report.notify(
                Level.ERROR,
                "haproxy-access-closed",
                f"{names[name]}: {message}",
                source=source,
                field=f"metadata.annotations[{names[name]}]",
                provider=PROVIDER,
                security=True,
            )
            record(name, Status.UNSUPPORTED, message)
            control = RefusedControl(
                what=f"the uncarried {names[name]}", provenance=prov(name), status=403
            )
            for rule in use.rules:
                rule.extensions.append(control)
        else:
            warn(
                name,
                f"raw HAProxy configuration is never translated (first line: {first[:80]!r})",
                security=True,
            )
    for name in sorted(names):
        field_path = f"metadata.annotations[{names[name]}]"
        if name in handled or report.has_entry(source, field_path):
            continue
        spec = lookup(use.controller, name)
        if spec is None:
            record(name, Status.UNSUPPORTED, f"{names[name]} is not a key the controller knows")
            continue
        row = annotation_spec(names[name], spec)
        if row.status in (Status.UNSUPPORTED, Status.PARTIAL) and spec.status != "ignored":
            warn(name, f"on a Service: {spec.note}", security=spec.security)
        else:
            record(name, row.status, spec.note)
