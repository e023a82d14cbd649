"""Timeouts and retries: ``proxy-connect-timeout``, ``proxy-send-timeout``, ``proxy-read-timeout``,
``proxy-next-upstream``, ``proxy-next-upstream-tries``, ``proxy-next-upstream-timeout``.

nginx's three timeouts are per-phase (connect; between two writes; between two reads), while
Gateway API has one total budget per request. The rule gets ``timeouts.request`` equal to
**connect + send + read** seconds, taking the controller's defaults (5, 60, 60) for those not set:
the longest a request can take when the backend answers in one read. Streaming responses that
go on longer were allowed by nginx and are cut by the converted route, so the annotations are
``partial`` and the note says so. Values are unitless seconds. A GRPCRoute (``backend-protocol:
GRPC``/``GRPCS``) has no ``timeouts``: its rules keep no time limit, and the annotations are
reported as unsupported there.

``proxy-next-upstream*`` become a ``Retry`` extension (attempts = tries, default 3; codes from
``http_5xx`` conditions), which standard Gateway API reports (HTTPRoute retry is experimental).
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Retry
from ingress2gateway.reporting.report import Status

from ._base import Ann, Run, routes_of, rules_of

DEFAULTS = {"proxy-connect-timeout": 5, "proxy-send-timeout": 60, "proxy-read-timeout": 60}
_CONDITIONS = {
    "error",
    "timeout",
    "invalid_header",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_403",
    "http_404",
    "http_429",
    "non_idempotent",
    "off",
}


def duration(seconds: float) -> str:
    whole = int(seconds)
    if whole == seconds and whole % 3600 == 0 and whole:
        return f"{whole // 3600}h"
    if whole == seconds and whole % 60 == 0 and whole:
        return f"{whole // 60}m"
    if whole == seconds:
        return f"{whole}s"
    return f"{int(seconds * 1000)}ms"


def total_timeout(
    ann: Ann, names: tuple[str, str, str], defaults: tuple[float, float, float], nginx_time: bool
) -> float | None:
    values = [ann.seconds(n, nginx_time) for n in names]
    if not any(ann.has(n) for n in names) or all(v is None for v in values):
        return None
    return sum(v if v is not None else d for v, d in zip(values, defaults, strict=True))


def apply_timeouts(
    run: Run,
    ann: Ann,
    names: tuple[str, str, str],
    defaults: tuple[float, float, float],
    nginx_time: bool,
) -> None:
    total = total_timeout(ann, names, defaults, nginx_time)
    if total is None:
        return
    pairs = rules_of(run, ann.model)
    if total == 0:
        return
    value = duration(total)
    if (ann.text("backend-protocol") or "").upper() in ("GRPC", "GRPCS"):
        # backend.py moves these rules to a GRPCRoute, which has no timeouts.
        for name in names:
            ann.unsupported(
                name,
                "a GRPCRoute (backend-protocol GRPC/GRPCS) has no timeouts: its gRPC calls have "
                f"no time limit from the route, where nginx cut them after {value} at most",
            )
        return
    for _, rule in pairs:
        rule.request_timeout = value
    note = (
        f"timeouts.request {value} = connect + send + read (defaults {', '.join(str(int(d)) for d in defaults)} s for "
        "unset ones); nginx's are per-phase idle timeouts, so longer streaming responses are now cut"
    )
    for name in names:
        if ann.has(name) and not ann.report.has_entry(ann.model.source, ann.field(name)):
            ann.record(name, Status.PARTIAL, note)
            ann.made_into(name, routes_of(pairs))


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    names = ("proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout")
    apply_timeouts(run, ann, names, (5, 60, 60), nginx_time=False)
    apply_retry(
        run,
        ann,
        ("proxy-next-upstream", "proxy-next-upstream-tries", "proxy-next-upstream-timeout"),
        3,
        False,
    )


def apply_retry(
    run: Run, ann: Ann, names: tuple[str, str, str], default_tries: int, nginx_time: bool
) -> None:
    conditions_key, tries_key, timeout_key = names
    if not any(ann.has(n) for n in names):
        return
    conditions = (ann.raw(conditions_key) or "error timeout").split()
    unknown = [c for c in conditions if c not in _CONDITIONS]
    if unknown:
        ann.invalid(conditions_key, f"unknown conditions {', '.join(unknown)}")
        return
    if "off" in conditions:
        ann.ignored(list(names), "proxy-next-upstream off: no retries")
        return
    tries = ann.integer(tries_key, 0)
    attempts = default_tries if tries is None or tries == 0 else tries
    per_try = ann.seconds(timeout_key, nginx_time)
    codes = sorted(int(c[5:]) for c in conditions if c.startswith("http_"))
    retry = Retry(
        attempts=attempts,
        codes=codes,
        per_try_timeout=duration(per_try) if per_try else None,
        provenance=ann.prov(*names),
    )
    for _, rule in rules_of(run, ann.model):
        rule.extensions.append(retry)
