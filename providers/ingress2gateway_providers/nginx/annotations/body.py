"""Request bodies and buffering: ``proxy-body-size``, ``proxy-buffering``,
``proxy-request-buffering``, and the buffer-size keys.

``proxy-body-size`` (nginx size, ``0`` = unlimited) becomes a ``BodySize`` extension: nginx's
``client_max_body_size``, which answers 413 to a larger body whether or not nginx buffers it.
The controller's default is 1m; the ConfigMap's ``proxy-body-size`` changes it for every
location (see :mod:`.configmap`). ``proxy-buffering`` / ``proxy-request-buffering``
(``on``/``off``) become a ``Buffering`` extension. Buffer sizes are nginx memory tuning without a
Gateway API meaning.

Envoy Gateway enforces a body limit only by holding each whole request before proxying it
(``requestBuffer``), which hangs WebSocket upgrades and streamed requests. So the extension
says where nginx itself held the bodies, and where it did not (``stream_reason``), the limit
is not enforced that way and the report says so:

* ``backend-protocol: GRPC``/``GRPCS``: ``grpc_pass`` streams requests;
* request buffering off (``proxy-request-buffering: "off"``, or the ConfigMap's);
* a path set up for WebSocket as ingress-nginx documents it (``docs/user-guide/miscellaneous.md``:
  ``proxy-read-timeout`` / ``proxy-send-timeout`` above the 60 s default), or with
  ``connection-proxy-header: upgrade``;
* the ConfigMap's limit: it applies to every location, including those that carry WebSocket
  without any annotation saying so.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import BodySize, Buffering

from ._base import Ann, Run, rules_of

# nginx's default proxy_read_timeout / proxy_send_timeout (the controller's defaults too).
_DEFAULT_TIMEOUT = 60


def body_size(ann: Ann, name: str, stream_reason: str | None = None) -> BodySize | None:
    size = ann.size(name)
    if size is None or size < 0:
        return None
    return BodySize(max_bytes=size or None, stream_reason=stream_reason, provenance=ann.prov(name))


def stream_reason(run: Run, ann: Ann, buffered: bool | None) -> str | None:
    """Why nginx did not hold this Ingress's request bodies before proxying them, or None.
    ``buffered``: the Ingress's own ``proxy-request-buffering``, if it sets one."""
    if (ann.text("backend-protocol") or "").upper() in ("GRPC", "GRPCS"):
        return "nginx streamed these gRPC requests (grpc_pass)"
    if buffered is None:
        buffered = run.config.request_buffering
    if not buffered:
        return "nginx streamed these requests (proxy-request-buffering off)"
    raised = [name for name in ("proxy-read-timeout", "proxy-send-timeout") if _raised(ann, name)]
    if raised:
        return (
            f"this Ingress raises {' and '.join(raised)}, ingress-nginx's documented set-up for "
            "WebSocket"
        )
    if "upgrade" in (ann.text("connection-proxy-header") or "").lower():
        return "this Ingress passes 'Connection: upgrade' (WebSocket)"
    return None


def _raised(ann: Ann, name: str) -> bool:
    value = (ann.text(name) or "").strip()
    return value.isdigit() and int(value) > _DEFAULT_TIMEOUT


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    extensions: list[BodySize | Buffering] = []
    response = ann.flag("proxy-buffering")
    request = ann.flag("proxy-request-buffering")
    if ann.has("proxy-body-size"):
        size = body_size(ann, "proxy-body-size", stream_reason(run, ann, request))
        if size is not None:
            extensions.append(size)
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
