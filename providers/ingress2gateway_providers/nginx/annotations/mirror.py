"""Request mirroring: ``mirror-target``, ``mirror-host``, ``mirror-request-body``.

``mirror-target`` is parsed as a URL (never copied as text); when its host names an in-cluster
Service (``svc``, ``svc.ns``, ``svc.ns.svc[.cluster.local]``) it becomes a ``RequestMirror`` to
that Service and port. External URLs and URLs with nginx variables cannot be carried (reported;
variables are flagged as possible injection, as the CVE-2025-1098 chain came through this value).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import BackendRef, RequestMirror

from ._base import Run, looks_injected, routes_of, rules_of

_CLUSTER_SUFFIXES = (".svc.cluster.local", ".svc")


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    target = ann.text("mirror-target")
    if target is None:
        ann.ignored(["mirror-host", "mirror-request-body"], "has no effect without mirror-target")
        return
    if looks_injected(target.replace("$request_uri", "")):
        ann.invalid(
            "mirror-target", "contains nginx variables or configuration characters", security=True
        )
        return
    try:
        parts = urlsplit(target.replace("$request_uri", ""))
        port = parts.port
    except ValueError:
        ann.invalid("mirror-target", f"{target!r} is not a URL")
        return
    host = parts.hostname or ""
    for suffix in _CLUSTER_SUFFIXES:
        host = host.removesuffix(suffix)
    labels = host.split(".")
    if not host or len(labels) > 2 or parts.scheme not in ("http", "https"):
        ann.unsupported(
            "mirror-target",
            f"{target!r} is not an in-cluster Service; Gateway API mirrors only to backends",
        )
        return
    name = labels[0]
    namespace = labels[1] if len(labels) == 2 and labels[1] != model.namespace else None
    if namespace is not None:
        ann.unsupported(
            "mirror-target", "mirroring to another namespace needs a ReferenceGrant; not converted"
        )
        return
    pairs = rules_of(run, model)
    for _, rule in pairs:
        rule.filters.append(
            RequestMirror(
                backend=BackendRef(
                    name=name,
                    port=port or (443 if parts.scheme == "https" else 80),
                    provenance=ann.prov("mirror-target"),
                ),
                provenance=ann.prov("mirror-target"),
            )
        )
    ann.converted(
        "mirror-target",
        routes_of(pairs),
        "the path of the URL is not used: mirrors keep the request path",
    )
    if ann.has("mirror-host"):
        ann.unsupported("mirror-host", "mirrored requests keep the original Host header")
    if ann.flag("mirror-request-body", True) is False:
        ann.unsupported("mirror-request-body", "Gateway API mirrors always include the body")
    else:
        ann.converted("mirror-request-body", routes_of(pairs))
