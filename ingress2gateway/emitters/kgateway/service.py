"""Envoy ↔ backend settings → ``BackendConfigPolicy`` on the Services the routes send to.

A BackendConfigPolicy targets a Service (``targetRefs`` group ``""``, kind ``Service``, in the
Service's namespace): what a route or rule asked for applies to **every route** sending to that
Service, which the ledger notes where other rules reach the Service too. One policy per
Service; a second, different setting for one field is reported (``kgateway-policy-conflict``).

* **Session affinity** (cookie) → ``loadBalancer.ringHash.hashPolicies[].cookie`` (``name``,
  ``ttl`` — ``0s``, a session cookie, when the source gave none, since Envoy generates no
  cookie without a TTL — ``path``, ``sameSite``, ``secure``, ``httpOnly`` as nginx). The
  cookie's domain has no field. Hashing is not stickiness: when endpoints change some clients
  move.
* **Load balancing** → ``loadBalancer.roundRobin | leastRequest | random``, or ``ringHash`` on
  the source IP, a header or a cookie.
* **Connect timeout** → ``connectTimeout``.
* **Backend connection limits** (Istio ``connectionPool``) → ``circuitBreakers``
  (``maxConnections``, ``maxPendingRequests``, ``maxRequests``, ``maxRetries``),
  ``commonHttpProtocolOptions.maxRequestsPerConnection`` / ``idleTimeout``, ``connectTimeout``.
* **Backend TLS** that BackendTLSPolicy cannot state (no verification, a client certificate)
  → ``tls``: ``insecureSkipVerify`` where the source did not verify, else
  ``wellKnownCACertificates: System``; a client certificate → ``secretRef`` (a Secret of the
  Service's namespace with ``tls.crt``, ``tls.key`` and, to verify, ``ca.crt``); ``sni`` and,
  when verifying, ``verifySubjectAltNames``. CA bundles in ConfigMaps have no field (without a
  client certificate the extension stays unconverted). kgateway ignores a BackendConfigPolicy's
  ``tls`` when a BackendTLSPolicy targets the same Service (BackendTLSPolicy wins,
  kgateway-dev/kgateway#14043), so the standard emitter's BackendTLSPolicy for that Service is
  left out and its input fields are credited to the BackendConfigPolicy
  (:func:`drop_replaced_tls_policies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting import grammar
from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import (
    BackendConnectionLimits,
    BackendTLSOptions,
    Extension,
    LoadBalancer,
    Route,
    SessionAffinity,
    Timeouts,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    BACKEND_CONFIG_POLICY,
    KGW_GROUP,
    Contribution,
    MapEnv,
    Mapper,
    MergeConflict,
    canonical,
    duration,
    format_ms,
    merged,
)
from ._state import State
from .objects import DNS_NAME, registry

_INT32 = 2**31 - 1


def session_affinity(ext: SessionAffinity, env: MapEnv) -> Contribution | None:
    if not ext.cookie_name or grammar.cookie_name_problem(ext.cookie_name):
        return None
    ttl = duration(format_ms((ext.ttl_seconds or 0) * 1000))
    if ttl is None:
        return None
    cookie: JSONDict = {"name": ext.cookie_name, "ttl": ttl, "httpOnly": True}
    notes = [
        "consistent hashing on the cookie, not stickiness: when endpoints change some clients "
        "move to another one"
    ]
    path = ext.shared_path or ext.path
    if path and grammar.cookie_path_problem(path) is None:
        cookie["path"] = path
    if ext.same_site in grammar.SAME_SITE:
        cookie["sameSite"] = ext.same_site
    if ext.secure == "always":
        cookie["secure"] = True
    elif ext.secure == "https":
        notes.append(
            "the source marked the cookie Secure on HTTPS responses only; a BackendConfigPolicy "
            "applies to the Service whatever the scheme, so the cookie is not marked Secure"
        )
    if ext.domain:
        notes.append(f"the cookie domain {ext.domain} is not carried (no field)")
    return Contribution(
        BACKEND_CONFIG_POLICY,
        {"loadBalancer": {"ringHash": {"hashPolicies": [{"cookie": cookie}]}}},
        Status.PARTIAL,
        "; ".join(notes),
    )


def _hash_policy(hash_on: str | None) -> JSONDict | None:
    if hash_on is None:
        return None
    kind, _, name = hash_on.partition(":")
    if kind == "source-ip":
        return {"sourceIP": {}}
    if kind == "header" and name and grammar.header_name_problem(name) is None:
        return {"header": {"name": name}}
    if kind == "cookie" and name and grammar.cookie_name_problem(name) is None:
        return {"cookie": {"name": name}}
    return None  # query parameters and the request URI have no hash policy in kgateway


_ALGORITHMS = {"RoundRobin": "roundRobin", "LeastRequest": "leastRequest", "Random": "random"}


def load_balancer(ext: LoadBalancer, env: MapEnv) -> Contribution | None:
    if ext.algorithm in _ALGORITHMS:
        return Contribution(
            BACKEND_CONFIG_POLICY, {"loadBalancer": {_ALGORITHMS[ext.algorithm]: {}}}
        )
    policy = _hash_policy(ext.hash_on)
    if policy is None:
        return None
    return Contribution(
        BACKEND_CONFIG_POLICY, {"loadBalancer": {"ringHash": {"hashPolicies": [policy]}}}
    )


def timeouts(ext: Timeouts, env: MapEnv) -> Contribution | None:
    connect = duration(ext.connect)
    if connect is None:
        return None
    return Contribution(BACKEND_CONFIG_POLICY, {"connectTimeout": connect})


def connection_limits(ext: BackendConnectionLimits, env: MapEnv) -> Contribution | None:
    spec: JSONDict = {}
    breakers: JSONDict = {}
    for value, key, least in (
        (ext.max_connections, "maxConnections", 1),
        (ext.max_pending_requests, "maxPendingRequests", 1),
        (ext.max_parallel_requests, "maxRequests", 1),
        (ext.max_parallel_retries, "maxRetries", 0),
    ):
        if value is not None and least <= value <= _INT32:
            breakers[key] = value
    if breakers:
        spec["circuitBreakers"] = breakers
    options: JSONDict = {}
    per_connection = ext.max_requests_per_connection
    if per_connection is not None and 0 <= per_connection <= _INT32:
        options["maxRequestsPerConnection"] = per_connection
    idle = duration(ext.idle_timeout)
    if idle is not None:
        options["idleTimeout"] = idle
    if options:
        spec["commonHttpProtocolOptions"] = options
    connect = duration(ext.connect_timeout)
    if connect is not None:
        spec["connectTimeout"] = connect
    if not spec:
        return None
    notes = ["counted per Envoy replica, as Istio counts per proxy"]
    if ext.not_carried:
        notes.append(f"not carried: {', '.join(ext.not_carried)}")
    return Contribution(BACKEND_CONFIG_POLICY, spec, Status.PARTIAL, "; ".join(notes))


def backend_tls(ext: BackendTLSOptions, env: MapEnv) -> Contribution | None:
    tls: JSONDict = {}
    notes: list[str] = []
    needs: list[tuple[Need, str, str]] = []
    cert = ext.client_certificate
    if cert is not None:
        if cert.namespace and cert.namespace != env.namespace:
            return None  # secretRef names a Secret of the policy's (the Service's) namespace
        tls["secretRef"] = {"name": cert.name}
        action = "the client certificate kgateway presents to the backend: tls.crt and tls.key"
        if ext.insecure_skip_verify:
            action += ", and no ca.crt (with one, kgateway verifies the backend)"
            notes.append(f"Secret {cert.name} must hold no ca.crt, or the backend is verified")
        else:
            action += ", and the backend's CA certificates under ca.crt"
            if ext.ca_config_maps:
                action += f" (copy them from ConfigMap {', '.join(ext.ca_config_maps)})"
            notes.append(f"Secret {cert.name} must hold the backend's CA under ca.crt")
        needs.append((Need.SECRET, f"Secret {_where(env.namespace)}{cert.name}", action))
    elif ext.insecure_skip_verify:
        tls["insecureSkipVerify"] = True
        notes.append("TLS without verifying the backend's certificate, as the source did")
    elif ext.ca_config_maps:
        return None  # no field reads a CA from a ConfigMap
    else:
        tls["wellKnownCACertificates"] = "System"
    if ext.sni and DNS_NAME.match(ext.sni):
        tls["sni"] = ext.sni
        if not ext.insecure_skip_verify:
            # The name BackendTLSPolicy would have verified (validation.hostname).
            tls["verifySubjectAltNames"] = [ext.sni]
    return Contribution(
        BACKEND_CONFIG_POLICY,
        {"tls": tls},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
        needs=needs,
    )


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


MAPPERS: dict[type, Mapper] = {
    SessionAffinity: session_affinity,
    LoadBalancer: load_balancer,
    Timeouts: timeouts,
    BackendConnectionLimits: connection_limits,
    BackendTLSOptions: backend_tls,
}

ServiceKey = tuple[str, str]  # namespace, name


@dataclass
class _Wanted:
    """What the rules reaching one Service ask of it."""

    items: list[tuple[Extension, Contribution, ObjectRef]] = field(default_factory=list)
    rules: int = 0
    """How many rules reach the Service."""
    covered: dict[int, int] = field(default_factory=dict)
    """Per extension, how many of those rules it applies to."""


def _services(route: Route, rule: object) -> list[ServiceKey]:
    found = []
    for ref in getattr(rule, "backend_refs", []):
        if ref.kind == "Service" and not ref.group:
            found.append((ref.namespace or route.namespace or "default", ref.name))
    return list(dict.fromkeys(found))


def service_policies(state: State, routes: list[Route], emitted: set[ObjectRef]) -> None:
    """One BackendConfigPolicy per Service that a route or rule asked something of."""
    wanted: dict[ServiceKey, _Wanted] = {}
    for route in routes:
        if route.ref not in emitted:
            continue
        rules = list(getattr(route, "rules", []))
        for rule in rules:
            exts = [*route.extensions, *rule.extensions]
            for key in _services(route, rule):
                entry = wanted.setdefault(key, _Wanted())
                entry.rules += 1
                for ext in dict.fromkeys(exts):
                    if isinstance(ext, BackendTLSOptions) and (
                        ext.service != key[1]
                        or (ext.namespace or route.namespace or "default") != key[0]
                    ):
                        continue
                    mapper = MAPPERS.get(type(ext))
                    if mapper is None or ext.consumed:
                        continue
                    contribution = state.contribution(ext, mapper, key[0])
                    if contribution is None:
                        continue
                    if all(item[0] is not ext for item in entry.items):
                        entry.items.append((ext, contribution, route.ref))
                    entry.covered[id(ext)] = entry.covered.get(id(ext), 0) + 1
    for key in sorted(wanted):
        _policy(state, key, wanted[key])


def _policy(state: State, key: ServiceKey, entry: _Wanted) -> None:
    namespace, service = key
    spec: JSONDict = {}
    accepted: list[tuple[Extension, Contribution]] = []
    # Session affinity first: its cookie hash is the load balancer, whatever else is named.
    items = sorted(entry.items, key=lambda item: not isinstance(item[0], SessionAffinity))
    for ext, contribution, _ in items:
        try:
            if (
                "loadBalancer" in spec
                and "loadBalancer" in contribution.spec
                and canonical(spec["loadBalancer"]) != canonical(contribution.spec["loadBalancer"])
            ):
                raise MergeConflict("loadBalancer")  # one algorithm per Service
            spec = merged(spec, contribution.spec)
        except MergeConflict as conflict:
            state.reject(
                ext,
                f"another setting of {conflict} already applies to Service {namespace}/{service}",
            )
            continue
        accepted.append((ext, contribution))
    if not accepted:
        return
    target: JSONDict = {"group": "", "kind": "Service", "name": service}
    external = state.external_backends.get(key)
    if external is not None:
        # The routes reach this ExternalName Service through a static Backend: the policy
        # goes there (a policy targets objects of its own namespace only).
        if external[0] != namespace:
            for ext, _ in accepted:
                state.reject(
                    ext,
                    f"Service {namespace}/{service} is reached through Backend "
                    f"{external[0]}/{external[1]}, in another namespace",
                )
            return
        target = {"group": KGW_GROUP, "kind": "Backend", "name": external[1]}
    allocator = registry_names(state, namespace)
    name = allocator.allocate(service, f"Service/{namespace}/{service}")
    full: JSONDict = {"targetRefs": [target], **spec}
    emitted = state.add_object(
        BACKEND_CONFIG_POLICY, namespace, name, full, [ext for ext, _ in accepted]
    )
    for ext, contribution in accepted:
        if entry.covered.get(id(ext), 0) < entry.rules:
            note = (
                f"the BackendConfigPolicy applies to every route to Service {namespace}/{service}, "
                "also to rules the source did not set it on"
            )
            combined = f"{contribution.note}; {note}" if contribution.note else note
            contribution = Contribution(
                contribution.policy,
                contribution.spec,
                Status.PARTIAL,
                combined,
                contribution.objects,
                contribution.grants,
                contribution.warnings,
                contribution.needs,
            )
        state.accept(ext, contribution, [emitted.ref])


def registry_names(state: State, namespace: str) -> NameAllocator:
    """The namespace's BackendConfigPolicy names, shared with the TLS policies of Backends."""
    env = MapEnv(namespace, state.ctx.options, state.backends)
    return registry(env).names.setdefault((BACKEND_CONFIG_POLICY, namespace), NameAllocator())


def drop_replaced_tls_policies(state: State, built: list[Emitted]) -> list[Emitted]:
    """``built`` without the BackendTLSPolicies of Services whose BackendConfigPolicy now states
    their TLS (kgateway would let the BackendTLSPolicy win and skip the BackendConfigPolicy's);
    their provenance and sources move to the BackendConfigPolicy."""
    owners: dict[tuple[str | None, str], Emitted] = {}
    for obj in state.objects:
        spec = obj.body.get("spec", {})
        if obj.ref.kind != BACKEND_CONFIG_POLICY or "tls" not in spec:
            continue
        for target in spec.get("targetRefs", []):
            if target.get("kind") == "Service" and not target.get("group"):
                owners[(obj.ref.namespace, target["name"])] = obj
    kept: list[Emitted] = []
    for obj in built:
        if obj.ref.kind != "BackendTLSPolicy":
            kept.append(obj)
            continue
        targets = obj.body.get("spec", {}).get("targetRefs", [])
        replaced = [
            t
            for t in targets
            if t.get("kind") == "Service" and (obj.ref.namespace, t.get("name")) in owners
        ]
        if not replaced:
            kept.append(obj)
            continue
        for target in replaced:
            owner = owners[(obj.ref.namespace, target["name"])]
            owner.provenance = list(dict.fromkeys([*owner.provenance, *obj.provenance]))
            owner.sources = sorted({*owner.sources, *obj.sources}, key=SourceRef.sort_key)
        rest = [t for t in targets if t not in replaced]
        if rest:
            obj.body["spec"]["targetRefs"] = rest
            kept.append(obj)
    return kept
