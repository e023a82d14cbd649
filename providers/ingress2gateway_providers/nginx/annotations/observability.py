"""Logging and tracing: ``enable-access-log``, ``enable-opentelemetry``,
``opentelemetry-*``, ``enable-rewrite-log``, ``http2-push-preload``.

Access logs and tracing are configured on the Gateway implementation, not per route; these keys
are reported with what the user has to configure instead (the catalog note). Nothing is emitted.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel

from ._base import Run


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    # Turning logging back on (the default) changes nothing: say so rather than "unsupported".
    if ann.flag("enable-access-log", True) is True and ann.has("enable-access-log"):
        ann.ignored(["enable-access-log"], "access logging on is the default")
