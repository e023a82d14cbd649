"""Error pages: ``custom-http-errors``, ``default-backend``, ``disable-proxy-intercept-errors``.

``custom-http-errors`` (status codes) with the ``default-backend`` Service becomes a
``CustomErrors`` extension (Envoy Gateway's response override); ``disable-proxy-intercept-errors``
turns it off. ``default-backend`` alone — the Service used when the path's own Service has no
endpoints — has no equivalent and is reported.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import CustomErrors

from ._base import Run, rules_of


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    if ann.flag("disable-proxy-intercept-errors", False):
        ann.ignored(["custom-http-errors"], "disable-proxy-intercept-errors turns it off")
        ann.converted("disable-proxy-intercept-errors", [])
        return
    codes: list[int] = []
    for item in ann.csv("custom-http-errors"):
        if not item.isdigit() or not 400 <= int(item) <= 599:
            ann.invalid("custom-http-errors", f"{item!r} is not an HTTP error status")
            return
        codes.append(int(item))
    backend = ann.text("default-backend")
    if not codes:
        if backend is not None:
            ann.unsupported(
                "default-backend",
                "the Service used when the path's Service has no endpoints has no Gateway API equivalent",
            )
        return
    errors = CustomErrors(
        codes=sorted(set(codes)),
        backend=backend,
        provenance=ann.prov("custom-http-errors", "default-backend"),
    )
    for _, rule in rules_of(run, model):
        rule.extensions.append(errors)
