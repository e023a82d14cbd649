"""The traefik emitter: the standard objects, then one Traefik ``Middleware`` per feature a rule
needs, referenced by an ``ExtensionRef`` filter of that rule.

Traefik's Gateway API provider attaches nothing by ``targetRefs``: its only extension point on
a route is the ``ExtensionRef`` filter (group ``traefik.io``, kind ``Middleware``, a local
reference: the Middleware lives in the route's namespace), so each HTTPRoute rule gets a filter
for every Middleware its own and its route's extensions need, in :data:`._base.ORDER`, before
the standard filters. Equal Middlewares of one namespace are written once and shared.
Gateway-wide extensions, other route kinds and what no mapper takes are left unconsumed (the
pipeline reports them; access controls keep their rules closed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingress2gateway.emitters.envoy_gateway._base import BackendRegistry
from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.ir import (
    IR,
    Cors,
    CorsFilter,
    Extension,
    HTTPRoute,
    Rule,
    SignInRedirect,
)
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase
from ingress2gateway.reporting.report import Need

from . import codes, security, service, traffic
from ._base import (
    CONTROLLER_NAME,
    DEFAULT_GATEWAY_CLASS,
    MIDDLEWARE,
    ORDER,
    TRAEFIK_GROUP,
    Contribution,
    MapEnv,
    Mapper,
    MergeConflict,
    canonical,
    merged,
)
from ._state import State

if TYPE_CHECKING:
    from ingress2gateway.target import Target

MAPPERS: dict[type, Mapper] = {**security.MAPPERS, **traffic.MAPPERS, **service.MAPPERS}
SECURITY_KINDS = frozenset(security.MAPPERS) - {Cors, SignInRedirect}
MAX_FILTERS = 16
"""The most filters an HTTPRoute rule may have (``maxItems`` of ``spec.rules[].filters``)."""
STACKED = frozenset({"ipAllowList", "basicAuth", "rateLimit"})
"""Middleware types of which a rule may chain several: two allow-lists, two credential files or
two limits all apply, as the source applied both (a second retry or rewrite would compound)."""
EXPERIMENTAL_ROUTES = frozenset({"TCPRoute", "TLSRoute", "UDPRoute"})

Item = tuple[Extension, Contribution]


class TraefikEmitter(EmitterBase):
    name = "traefik"
    codes = codes.CODES
    gateway_class = DEFAULT_GATEWAY_CLASS
    description = (
        "Gateway API plus Traefik Proxy 3.7 Middlewares (ExtensionRef filters) for what "
        "standard Gateway API lacks"
    )

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(ir)
        bodies = {item.ref: item.body for item in out}
        state = State(ctx, builder)
        for route in ir.routes:
            body = bodies.get(route.ref)
            if body is None:
                continue
            if isinstance(route, HTTPRoute):
                # Other kinds: not verified that Traefik runs their ExtensionRef filters, so
                # their extensions stay unconsumed (the pipeline reports them).
                route_middlewares(state, route, body)
        warn_ignored_fields(out, ctx)
        every = state.finish(out)
        require(every, ctx)
        return every

    def carries(self, extension: Extension, target: Target) -> bool:
        """Whether a mapper takes this access control (asked of the extension alone: a Secret
        in another namespace, known only at emission, then stays unconsumed and the pipeline
        closes its rules). Client-certificate checks are never carried: Traefik's Gateway API
        provider does not validate client certificates (its conformance report)."""
        if type(extension) not in SECURITY_KINDS:
            return False
        mapper = MAPPERS[type(extension)]
        scratch = MapEnv(
            namespace=None, options={}, backends=BackendRegistry(), route_kind="HTTPRoute"
        )
        return mapper(extension, scratch) is not None


def route_middlewares(state: State, route: HTTPRoute, body: JSONDict) -> None:
    rule_bodies: list[JSONDict] = body.get("spec", {}).get("rules", [])
    for index, rule in enumerate(route.rules[: len(rule_bodies)]):
        rule_middlewares(state, route, rule, rule_bodies[index], index)


def rule_middlewares(
    state: State, route: HTTPRoute, rule: Rule, rule_body: JSONDict, index: int
) -> None:
    label = rule.name or f"rule-{index}"
    where = f"rule {label} of HTTPRoute {route.name}"
    by_type: dict[str, tuple[JSONDict, list[Item]]] = {}
    empty: list[Item] = []
    backend: list[Item] = []
    for ext in [*route.extensions, *rule.extensions, *_standard_cors(rule, rule_body)]:
        mapper = MAPPERS.get(type(ext))
        if mapper is None or (ext.consumed and not _is_standard_cors(rule, ext)):
            continue
        contribution = state.contribution(ext, mapper, route.namespace, route_kind=route.KIND)
        if contribution is None:
            continue
        if not contribution.spec:
            empty.append((ext, contribution))
            continue
        if type(ext) in service.MAPPERS:
            backend.append((ext, contribution))
            continue
        key = contribution.policy
        if key in STACKED:
            # Each control its own Middleware: chained, every one must pass, as in the source.
            key = f"{key}/{canonical(contribution.spec)}"
        spec, items = by_type.get(key, ({}, []))
        try:
            spec = merged(spec, contribution.spec)
        except MergeConflict:
            state.reject(ext, f"{where} already has a different {contribution.policy} Middleware")
            continue
        by_type[key] = (spec, [*items, (ext, contribution)])
    forward = by_type.get("forwardAuth")
    if forward is not None and "address" not in forward[0]["forwardAuth"]:
        # A sign-in redirect without the external auth it belongs to: nothing to attach it to.
        for ext, _ in forward[1]:
            state.reject(ext, f"{where} has no external auth to redirect from")
        del by_type["forwardAuth"]
    for ext, contribution in empty:
        state.accept(ext, contribution, [route.ref])
    if backend:
        traefik_service(state, route, rule_body, backend, where)
    filters: list[JSONDict] = []
    ordered = sorted(by_type, key=lambda k: (ORDER.index(k.split("/")[0]), k))
    kept = [
        f
        for f in rule_body.get("filters", [])
        if "headers" not in by_type or f.get("type") != "CORS"
    ]
    room = max(MAX_FILTERS - len(kept), 0)
    for key in ordered[room:]:
        # The API server refuses a rule with more filters; the last (least important) go.
        for ext, _ in by_type[key][1]:
            state.reject(ext, f"{where} has no room for another filter ({MAX_FILTERS} at most)")
    for key in ordered[:room]:
        spec, items = by_type[key]
        kind = key.split("/")[0]
        emitted = state.middleware(route.namespace, f"{route.name}-{_kebab(kind)}", spec)
        emitted.sources = sorted(
            {*emitted.sources, *(p.source for e, _ in items for p in e.provenance)},
            key=SourceRef.sort_key,
        )
        filters.append(extension_ref(emitted.ref.name))
        for ext, contribution in items:
            state.accept(ext, contribution, [emitted.ref, route.ref])
    if "headers" in by_type:
        # Traefik does not implement the standard CORS filter: the Middleware replaces it.
        rule_body["filters"] = [f for f in rule_body.get("filters", []) if f.get("type") != "CORS"]
    elif any(f.get("type") == "CORS" for f in rule_body.get("filters", [])):
        state.report.warning(
            codes.CORS_KEPT_CODE,
            f"the CORS settings of {where} cannot become a Traefik headers Middleware; the "
            "standard CORS filter is kept, which Traefik does not implement",
            source=rule.sources[0] if rule.sources else None,
        )
    if filters:
        rule_body["filters"] = [*filters, *rule_body.get("filters", [])]
    elif "filters" in rule_body and not rule_body["filters"]:
        del rule_body["filters"]


def traefik_service(
    state: State, route: HTTPRoute, rule_body: JSONDict, items: list[Item], where: str
) -> None:
    """Replace the rule's Services by one TraefikService carrying the backend settings."""
    refs = service.plain_services(rule_body, route.namespace)
    if refs is None:
        for ext, _ in items:
            state.reject(
                ext, f"the backends of {where} are not all Services of its namespace with a port"
            )
        return
    settings: JSONDict = {}
    accepted: list[Item] = []
    for ext, contribution in items:
        try:
            settings = merged(settings, contribution.spec)
        except MergeConflict:
            state.reject(ext, f"{where} already has a different {contribution.policy}")
            continue
        accepted.append((ext, contribution))
    emitted = state.middleware(
        route.namespace,
        f"{route.name}-{'sticky' if 'sticky' in settings else 'balanced'}",
        service.weighted(refs, settings),
        service.TRAEFIK_SERVICE,
    )
    rule_body["backendRefs"] = [
        {"group": TRAEFIK_GROUP, "kind": service.TRAEFIK_SERVICE, "name": emitted.ref.name}
    ]
    for ext, contribution in accepted:
        state.accept(ext, contribution, [emitted.ref, route.ref])


def _standard_cors(rule: Rule, rule_body: JSONDict) -> list[Extension]:
    """The CORS settings of a standard filter: written as one by the builder (Traefik does not
    implement it) or left for an emitter (targets before v1.5)."""
    return [item.cors for item in rule.filters if isinstance(item, CorsFilter)]


def _is_standard_cors(rule: Rule, ext: Extension) -> bool:
    return any(isinstance(f, CorsFilter) and f.cors is ext for f in rule.filters)


def extension_ref(name: str) -> JSONDict:
    return {
        "type": "ExtensionRef",
        "extensionRef": {"group": TRAEFIK_GROUP, "kind": MIDDLEWARE, "name": name},
    }


def _kebab(kind: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in kind)


def warn_ignored_fields(out: list[Emitted], ctx: EmitContext) -> None:
    """Traefik 3.7 accepts HTTPRoute ``timeouts`` and ``retry`` without applying them (its
    conformance report declares HTTPRouteRequestTimeout, BackendTimeout and Retry
    unsupported): say so under each route that has them."""
    for item in out:
        if item.ref.kind != "HTTPRoute":
            continue
        fields = sorted(
            {
                key
                for rule in item.body.get("spec", {}).get("rules", [])
                for key in ("timeouts", "retry")
                if key in rule
            }
        )
        if not fields:
            continue
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            ctx.report.warning(
                codes.IGNORED_FIELDS_CODE,
                f"HTTPRoute {item.ref.name} sets {' and '.join(fields)}, which Traefik 3.7 does "
                "not apply (its Gateway API conformance report declares them unsupported)",
                source=source,
            )


def require(out: list[Emitted], ctx: EmitContext) -> None:
    """The GatewayClass and the Traefik providers the output needs, each said once."""
    kinds = {item.ref.kind for item in out}
    for item in out:
        sources: list[SourceRef | None] = [*item.sources] or [None]
        if item.ref.kind == "Gateway":
            name = item.body.get("spec", {}).get("gatewayClassName")
            if isinstance(name, str):
                for source in sources:
                    ctx.report.require(
                        Need.GATEWAY_CLASS,
                        f"GatewayClass {name}",
                        f"create GatewayClass {name} with controllerName {CONTROLLER_NAME} "
                        "(Traefik creates none; its Helm chart can)",
                        source=source,
                    )
                    ctx.report.require(
                        Need.IMPLEMENTATION_FEATURE,
                        "Traefik kubernetesGateway provider",
                        "run Traefik 3.7 with providers.kubernetesGateway enabled (and the "
                        "Gateway API CRDs installed)",
                        source=source,
                    )
        if item.ref.kind in (MIDDLEWARE, service.TRAEFIK_SERVICE):
            for source in sources:
                ctx.report.require(
                    Need.IMPLEMENTATION_FEATURE,
                    "Traefik kubernetesCRD provider",
                    "enable providers.kubernetesCRD as well and install the traefik.io CRDs: "
                    "Traefik reads the Middlewares that ExtensionRef filters name, and the "
                    "TraefikServices backendRefs name, through it",
                    source=source,
                )
        if item.ref.kind in EXPERIMENTAL_ROUTES:
            for source in sources:
                ctx.report.require(
                    Need.IMPLEMENTATION_FEATURE,
                    "Traefik kubernetesGateway experimentalChannel",
                    "set providers.kubernetesGateway.experimentalChannel: true (and install "
                    "the experimental Gateway API CRDs): Traefik reads "
                    f"{', '.join(sorted(kinds & EXPERIMENTAL_ROUTES))} only then",
                    source=source,
                )
