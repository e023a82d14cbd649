"""Headers: ``connection-proxy-header``, ``x-forwarded-prefix``, ``custom-headers``,
``proxy-cookie-*``, ``proxy-redirect-*`` (``upstream-vhost``: see :mod:`.vhost`).

* ``connection-proxy-header`` / ``x-forwarded-prefix`` → ``RequestHeaderModifier`` set.
* ``custom-headers`` names a ConfigMap (``ns/name``) whose entries ingress-nginx adds to responses:
  when that ConfigMap is in the input, its entries become a ``ResponseHeaderModifier``; otherwise
  the annotation is reported with the hint to add it to the input.
* Values containing newlines, ``;``, ``{``, ``}`` or nginx variables are not copied (reported).
"""

from __future__ import annotations

import re

from ingress2gateway.ingress import IngressModel

from ._base import Ann, Run, header_modifier, looks_injected, routes_of, rules_of

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    pairs = rules_of(run, model)
    routes = routes_of(pairs)
    for name, header in (
        ("connection-proxy-header", "Connection"),
        ("x-forwarded-prefix", "X-Forwarded-Prefix"),
    ):
        value = ann.text(name)
        if value is None:
            continue
        if looks_injected(value):
            ann.invalid(name, "contains nginx variables or configuration characters", security=True)
            continue
        for _, rule in pairs:
            header_modifier(rule, False, ann.prov(name)).set[header] = value
        ann.converted(name, routes)
    _custom_headers(run, ann, pairs)


def _custom_headers(run: Run, ann: Ann, pairs: list) -> None:  # type: ignore[type-arg]
    ref = ann.text("custom-headers")
    if ref is None:
        return
    namespace, _, name = ref.rpartition("/")
    namespace = namespace or (ann.model.namespace or "")
    found = next(
        (
            o
            for o in run.ctx.objects
            if o.kind == "ConfigMap" and o.name == name and (o.namespace or "") == namespace
        ),
        None,
    )
    if found is None:
        ann.unsupported(
            "custom-headers",
            f"ConfigMap {namespace}/{name} is not in the input; add it to convert its headers",
        )
        return
    data = found.data.get("data")
    if not isinstance(data, dict):
        ann.invalid("custom-headers", f"ConfigMap {namespace}/{name} has no data")
        return
    headers: dict[str, str] = {}
    for key in sorted(data):
        value = data[key]
        if not _HEADER_NAME.match(str(key)) or not isinstance(value, str) or looks_injected(value):
            ann.invalid("custom-headers", f"entry {key!r} is not a plain header", security=True)
            return
        headers[str(key)] = value
    run.ctx.claim(found)
    for _, rule in pairs:
        header_modifier(rule, True, ann.prov("custom-headers")).set.update(headers)
    ann.converted("custom-headers", routes_of(pairs), f"headers from ConfigMap {namespace}/{name}")
