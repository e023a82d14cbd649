"""Request bodies and buffering: ``proxy-body-size``, ``proxy-buffering``,
``proxy-request-buffering``, and the buffer-size keys.

``proxy-body-size`` (nginx size, ``0`` = unlimited; the controller's default is 1m) becomes a
``BodySize`` extension; ``proxy-buffering`` / ``proxy-request-buffering`` (``on``/``off``) a
``Buffering`` extension. Buffer sizes are nginx memory tuning without a Gateway API meaning.
"""

from __future__ import annotations

from ingress2gateway.ingress import IngressModel
from ingress2gateway.ir import BodySize, Buffering

from ._base import Ann, Run, rules_of


def body_size(ann: Ann, name: str) -> BodySize | None:
    size = ann.size(name)
    if size is None or size < 0:
        return None
    return BodySize(max_bytes=size or None, provenance=ann.prov(name))


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    extensions: list[BodySize | Buffering] = []
    size = body_size(ann, "proxy-body-size")
    if size is not None:
        extensions.append(size)
    response = ann.flag("proxy-buffering")
    request = ann.flag("proxy-request-buffering")
    if response is not None or request is not None:
        extensions.append(
            Buffering(
                request=request,
                response=response,
                provenance=ann.prov("proxy-buffering", "proxy-request-buffering"),
            )
        )
    for _, rule in rules_of(run, model):
        rule.extensions.extend(extensions)
