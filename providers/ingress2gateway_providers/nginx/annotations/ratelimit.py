"""Rate limits: ``limit-rps``, ``limit-rpm``, ``limit-burst-multiplier``, ``limit-allowlist``
(alias ``limit-whitelist``), ``limit-connections``, ``limit-rate``, ``limit-rate-after``.

``limit-rps`` / ``limit-rpm`` become a ``RateLimit`` extension per client IP (ingress-nginx keys
its zones on ``$binary_remote_addr``), with burst = limit × ``limit-burst-multiplier`` (default 5).
Like the controller, which counts per replica, the limit is approximate once replicated. The
exemption list and the connection/bandwidth limits have no Gateway API form and are reported.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import RateLimit

from ._base import Run, rules_of


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    multiplier = ann.integer("limit-burst-multiplier", 1) or 5
    limits = []
    for name, unit in (("limit-rps", "Second"), ("limit-rpm", "Minute")):
        value = ann.integer(name, 0)
        if value:
            limits.append(
                RateLimit(
                    requests=value,
                    unit=unit,  # type: ignore[arg-type]
                    burst=value * multiplier,
                    provenance=ann.prov(name, "limit-burst-multiplier"),
                )
            )
        elif ann.has(name) and value == 0:
            ann.ignored([name], "0 turns the limit off")
    if not limits:
        ann.ignored(
            ["limit-burst-multiplier", "limit-allowlist", "limit-whitelist"],
            "has no effect without limit-rps or limit-rpm",
        )
        return
    for key in ("limit-allowlist", "limit-whitelist"):
        if ann.has(key):
            ann.unsupported(
                key,
                "clients exempt from the rate limit cannot be expressed; they are limited too",
            )
    for _, rule in rules_of(run, model):
        rule.extensions.extend(limits)
