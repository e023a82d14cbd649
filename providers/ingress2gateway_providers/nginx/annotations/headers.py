"""Headers: ``connection-proxy-header``, ``x-forwarded-prefix``, ``custom-headers``,
``proxy-cookie-*``, ``proxy-redirect-*`` (``upstream-vhost``: see :mod:`.vhost`).

* ``connection-proxy-header`` / ``x-forwarded-prefix`` → ``RequestHeaderModifier`` set.
* ``custom-headers`` names a ConfigMap (``ns/name``) whose entries ingress-nginx adds to responses:
  when that ConfigMap is in the input, its entries become a ``ResponseHeaderModifier``; otherwise
  the annotation is reported with the hint to add it to the input. The controller checks each
  entry as ``customheaders/main.go`` does (name ``[A-Za-z0-9_-]+``, its value grammar, and the
  controller ConfigMap's ``global-allowed-response-headers`` when that is in the input): an
  entry it refuses denies the location (503), so the Ingress's rules are kept closed. A ``$``
  in a value is sent as it is (``escapeLiteralDollar``), so it is copied as it is.
* Other values containing newlines, ``;``, ``{``, ``}`` or nginx variables are not copied
  (reported).
"""

from __future__ import annotations

import re

from ingress2gateway.converting.ingress import IngressModel

from ._base import DENIED, Ann, Run, header_modifier, looks_injected, routes_of, rules_of

# customheaders/main.go headerRegexp and valueRegexp: what the controller accepts.
_CUSTOM_NAME = re.compile(r"[a-zA-Z\d\-_]+")
_CUSTOM_VALUE = re.compile(r"[a-zA-Z\d_ :;.,\\/\"'?!(){}\[\]@<>=\-+*#$&`|~^%]+")


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
    allowed = _allowed_response_headers(run)
    headers: dict[str, str] = {}
    for key in sorted(data):
        value = data[key]
        if not isinstance(value, str) or not (
            _CUSTOM_NAME.fullmatch(str(key)) and _CUSTOM_VALUE.fullmatch(value)
        ):
            # The controller denies the location (503) rather than send a bad header.
            ann.invalid(
                "custom-headers",
                f"entry {key!r} is not a plain header",
                security=True,
                status=DENIED,
            )
            return
        if allowed is not None and key not in allowed:
            ann.invalid(
                "custom-headers",
                f"header {key!r} is not in the controller ConfigMap's "
                "global-allowed-response-headers, so the controller denied the location (503)",
                security=True,
                status=DENIED,
            )
            return
        headers[str(key)] = value
    run.ctx.claim(found)
    for _, rule in pairs:
        header_modifier(rule, True, ann.prov("custom-headers")).set.update(headers)
    ann.converted("custom-headers", routes_of(pairs), f"headers from ConfigMap {namespace}/{name}")


def _allowed_response_headers(run: Run) -> set[str] | None:
    """The controller ConfigMap's ``global-allowed-response-headers`` (None: that ConfigMap is
    not in the input, so a controller that served these headers must have allowed them)."""
    obj = run.config.obj
    if obj is None:
        return None
    data = obj.data.get("data")
    value = data.get("global-allowed-response-headers") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return set()  # the controller's default: no custom header is allowed
    return {item.strip() for item in value.split(",") if item.strip()}
