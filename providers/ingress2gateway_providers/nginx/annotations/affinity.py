"""Session affinity and load balancing: ``affinity``, ``session-cookie-*``, ``load-balance``,
``upstream-hash-by``.

``affinity: cookie`` becomes a ``SessionAffinity`` extension (cookie name, default
``INGRESSCOOKIE``; TTL from ``session-cookie-max-age`` or else ``session-cookie-expires``; path),
applied only to the Ingress's own paths as the controller does. ``load-balance`` and
``upstream-hash-by`` become a ``LoadBalancer`` extension; hash keys are read as data:
``$remote_addr``/``$binary_remote_addr`` → source IP, ``$request_uri``/``$uri`` → URI,
``$http_<name>`` → header, ``$cookie_<name>`` → cookie; anything else is reported.
"""

from __future__ import annotations

import re
from typing import Literal

from ingress2gateway.ingress import IngressModel
from ingress2gateway.ir import LoadBalancer, SessionAffinity

from ._base import Ann, Run, rules_of

Algorithm = Literal["RoundRobin", "LeastRequest", "Random", "ConsistentHash"]
_SESSION_KEYS = (
    "session-cookie-name",
    "session-cookie-max-age",
    "session-cookie-expires",
    "session-cookie-path",
)
_COOKIE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_ALGORITHMS: dict[str, Algorithm] = {"round_robin": "RoundRobin", "ewma": "LeastRequest"}


def hash_key(ann: Ann, name: str) -> str | None:
    value = ann.text(name)
    if value is None:
        return None
    if value in ("$remote_addr", "$binary_remote_addr"):
        return "source-ip"
    if value in ("$request_uri", "$uri"):
        return "uri"
    match = re.fullmatch(r"\$(http|cookie)_([A-Za-z0-9_]+)", value)
    if match:
        kind = "header" if match.group(1) == "http" else "cookie"
        key = match.group(2).replace("_", "-") if kind == "header" else match.group(2)
        return f"{kind}:{key}"
    ann.unsupported(
        name,
        f"hash key {value!r} has no Gateway API or Envoy equivalent",
        security=any(c in value for c in "\n;{}"),
    )
    return None


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    extensions: list[SessionAffinity | LoadBalancer] = []
    mode = (ann.text("affinity") or "").lower()
    if mode == "cookie":
        name = ann.text("session-cookie-name") or "INGRESSCOOKIE"
        if not _COOKIE.match(name):
            ann.invalid("session-cookie-name", f"{name!r} is not a cookie name")
            name = "INGRESSCOOKIE"
        ttl = ann.integer("session-cookie-max-age", 0)
        if ttl is None:
            ttl = ann.integer("session-cookie-expires", 0)
        elif ann.has("session-cookie-expires"):
            ann.ignored(["session-cookie-expires"], "session-cookie-max-age takes precedence")
        path = ann.text("session-cookie-path")
        extensions.append(
            SessionAffinity(
                cookie_name=name,
                ttl_seconds=ttl,
                path=path,
                provenance=ann.prov("affinity", *_SESSION_KEYS),
            )
        )
    else:
        if ann.has("affinity"):
            ann.invalid("affinity", f"{mode!r} is not cookie (the only mode)")
        ann.ignored(
            [*_SESSION_KEYS, "affinity-mode", "affinity-canary-behavior"],
            "has no effect without affinity: cookie",
        )
    hashed = hash_key(ann, "upstream-hash-by")
    if hashed is not None:
        extensions.append(
            LoadBalancer(
                algorithm="ConsistentHash", hash_on=hashed, provenance=ann.prov("upstream-hash-by")
            )
        )
        ann.ignored(["load-balance"], "upstream-hash-by takes precedence")
    elif ann.has("load-balance"):
        algorithm = _ALGORITHMS.get((ann.text("load-balance") or "").lower())
        if algorithm is None:
            ann.unsupported(
                "load-balance", f"{ann.text('load-balance')!r} has no equivalent algorithm"
            )
        else:
            extensions.append(
                LoadBalancer(algorithm=algorithm, provenance=ann.prov("load-balance"))
            )
    if hashed is None:
        ann.ignored(
            ["upstream-hash-by-subset", "upstream-hash-by-subset-size"],
            "has no effect without upstream-hash-by",
        )
    for _, rule in rules_of(run, model):
        rule.extensions.extend(extensions)
