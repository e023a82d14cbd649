"""UpstreamSettingsPolicy: settings of a Service's NGINX upstream, one policy per Service.

NGF builds one upstream per Service port and the policy targets the Service (group ``''``,
CEL), so a setting of a rule applies wherever the Service is used: rules that reach it without
the setting get it too (the ledger says so, partial).

* Load balancing: RoundRobin → ``round_robin``, LeastRequest → ``least_conn``, Random →
  ``random``, ConsistentHash → ``hash consistent`` with ``hashMethodKey`` ``$remote_addr``
  (source IP), ``$request_uri`` (URI), ``$http_<header>`` or ``$cookie_<name>`` when the
  variable fits the CRD's ``^\\$[a-z_]+$``. NGF's default is ``random two least_conn``, so even
  round robin is written.
* Backend connection limits: requests per connection → ``keepAlive.requests``
  (``keepalive_requests``), the idle timeout → ``keepAlive.timeout`` (``keepalive_timeout``) of
  the kept upstream connections; connection, pending, parallel and retry limits (circuit
  breaking) and the connect timeout have no field (noted, partial).
* Cookie session affinity (a cookie the gateway issues): not carried. NGINX open source has no
  ``sticky cookie``; hashing on a cookie nobody sets sends every new client to one backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ingress2gateway.emitters.envoy_gateway._base import Contribution, MergeConflict, merged
from ingress2gateway.ir import (
    IR,
    BackendConnectionLimits,
    Extension,
    LoadBalancer,
    Route,
    SessionAffinity,
)
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Status

from . import codes
from ._base import UPSTREAM_SETTINGS, State, duration, target_ref

_VARIABLE = re.compile(r"\$[a-z_]+")
_METHODS = {"RoundRobin": "round_robin", "LeastRequest": "least_conn", "Random": "random"}


def hash_key(hash_on: str | None) -> str | None:
    if hash_on == "source-ip":
        return "$remote_addr"
    if hash_on == "uri":
        return "$request_uri"
    if hash_on is None or ":" not in hash_on:
        return None
    kind, name = hash_on.split(":", 1)
    prefix = {"header": "$http_", "cookie": "$cookie_"}.get(kind)
    if prefix is None:
        return None
    key = prefix + (name.lower().replace("-", "_") if kind == "header" else name)
    return key if _VARIABLE.fullmatch(key) else None


def load_balancer(ext: LoadBalancer) -> Contribution | None:
    if ext.algorithm in _METHODS:
        return Contribution(UPSTREAM_SETTINGS, {"loadBalancingMethod": _METHODS[ext.algorithm]})
    key = hash_key(ext.hash_on)
    if key is None:
        return None
    return Contribution(
        UPSTREAM_SETTINGS, {"loadBalancingMethod": "hash consistent", "hashMethodKey": key}
    )


def connection_limits(ext: BackendConnectionLimits) -> Contribution | None:
    keep_alive: JSONDict = {}
    if ext.max_requests_per_connection is not None and ext.max_requests_per_connection >= 0:
        keep_alive["requests"] = ext.max_requests_per_connection
    idle = duration(ext.idle_timeout)
    if idle is not None:
        keep_alive["timeout"] = idle
    if not keep_alive:
        return None
    lost = [
        what
        for what, value in (
            ("max connections", ext.max_connections),
            ("max pending requests", ext.max_pending_requests),
            ("max parallel requests", ext.max_parallel_requests),
            ("max parallel retries", ext.max_parallel_retries),
            ("the connect timeout", ext.connect_timeout),
            ("the idle timeout", ext.idle_timeout if idle is None else None),
        )
        if value is not None
    ] + list(ext.not_carried)
    contribution = Contribution(UPSTREAM_SETTINGS, {"keepAlive": keep_alive})
    if lost:
        contribution.status = Status.PARTIAL
        contribution.note = f"not carried (no UpstreamSettingsPolicy field): {', '.join(lost)}"
    return contribution


@dataclass
class Upstream:
    """What the rules reaching one Service ask of its upstream."""

    namespace: str | None
    name: str
    items: list[tuple[Extension, Contribution]] = field(default_factory=list)
    bare: list[str] = field(default_factory=list)
    """Routes with a rule that reaches the Service without any setting."""


def service_policies(ir: IR, state: State, emitted: set[ObjectRef]) -> None:
    upstreams: dict[tuple[str | None, str], Upstream] = {}
    for route in ir.routes:
        if route.ref not in emitted:
            continue
        for rule in getattr(route, "rules", []):
            exts = [
                e
                for e in [*route.extensions, *rule.extensions]
                if isinstance(e, (LoadBalancer, BackendConnectionLimits)) and not e.consumed
            ]
            for backend in rule.backend_refs:
                if backend.kind != "Service" or backend.group not in ("", "core"):
                    continue
                namespace = backend.namespace or route.namespace
                up = upstreams.setdefault(
                    (namespace, backend.name), Upstream(namespace, backend.name)
                )
                if not exts:
                    up.bare.append(f"{route.KIND} {route.namespace}/{route.name}")
                for ext in exts:
                    contribution = (
                        load_balancer(ext)
                        if isinstance(ext, LoadBalancer)
                        else connection_limits(ext)
                    )
                    if contribution is not None and all(e is not ext for e, _ in up.items):
                        up.items.append((ext, contribution))
    for key in sorted(upstreams, key=lambda k: (k[0] or "", k[1])):
        _emit(state, upstreams[key])


def _emit(state: State, up: Upstream) -> None:
    if not up.items:
        return
    spec: JSONDict = {}
    accepted: list[tuple[Extension, Contribution]] = []
    for ext, contribution in up.items:
        try:
            spec = merged(spec, contribution.spec)
        except MergeConflict:
            state.refuse(
                ext,
                codes.CONFLICT,
                f"another rule sets {', '.join(sorted(contribution.spec))} of Service "
                f"{up.name} differently",
            )
            continue
        accepted.append((ext, contribution))
    name = state.name(UPSTREAM_SETTINGS, up.namespace, up.name, f"{up.namespace}/{up.name}")
    full: JSONDict = {"targetRefs": [target_ref("Service", up.name, "")], **spec}
    obj = state.add_object(UPSTREAM_SETTINGS, up.namespace, name, full, [e for e, _ in accepted])
    bare = sorted(set(up.bare))
    for ext, contribution in accepted:
        if bare:
            note = (
                f"applies to every use of Service {up.name}, also by {', '.join(bare)}, "
                "which did not set it"
            )
            contribution = Contribution(
                contribution.policy, contribution.spec, Status.PARTIAL, note
            )
        state.accept(ext, contribution, [obj.ref])


def cookie_affinity_hints(routes: Iterable[Route], state: State) -> None:
    """Say why each cookie affinity stays unconverted (the pipeline also reports it)."""
    seen: set[int] = set()
    for route in routes:
        for owner in [route, *getattr(route, "rules", [])]:
            for ext in owner.extensions:
                if isinstance(ext, SessionAffinity) and id(ext) not in seen:
                    seen.add(id(ext))
                    state.refuse(
                        ext,
                        codes.COOKIE_AFFINITY,
                        "NGINX open source cannot issue the session cookie; set "
                        "UpstreamSettingsPolicy loadBalancingMethod 'hash consistent' with "
                        "hashMethodKey $cookie_<name> if the application sets one",
                    )
