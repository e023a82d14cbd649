"""The envoy-gateway emitter: the standard objects, then Envoy Gateway objects for the IR
extensions, each policy attached to the narrowest object that is right.

For each route and policy kind, the fragments of every rule (route-level extensions plus the
rule's own) are compared: all equal → one policy targeting the route; different → one policy
per rule that has any, targeting the rule by ``sectionName`` (the rule gets a name, ``rule-<i>``,
if it has none). Targets whose HTTPRoute has no rule names get a route-wide policy when the
rules that have one agree, and nothing (the extensions are reported) when they differ. Backend
TLS options replace the rule's Service references by TLS ``Backend`` objects (:mod:`.backends`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import (
    Item,
    fragment,
    listener_protocols,
    reject_conflicts,
    route_schemes,
    rule_extensions,
    rule_labels,
    unique_items,
    with_partial_note,
)
from ingress2gateway.ir import (
    IR,
    ClientCertAuth,
    Extension,
    Gateway,
    HTTPRoute,
    Route,
    SessionAffinity,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Need, Status

from . import codes, security, traffic
from ._base import (
    POLICY_TARGET_KINDS,
    ROUTE_POLICIES,
    BackendRegistry,
    MapEnv,
    Mapper,
    canonical,
)
from ._state import State, target_ref
from .backends import backend_tls, external_name
from .client import client_cert_policies, gateway_client_policies
from .filters import direct_response, regex_rewrite

if TYPE_CHECKING:
    from ingress2gateway.target import Target

MAPPERS: dict[type, Mapper] = {**security.MAPPERS, **traffic.MAPPERS}


class EnvoyGatewayEmitter(EmitterBase):
    name = "envoy-gateway"
    options = (
        OptionSpec(
            traffic.RATE_LIMIT_SERVICE_OPTION,
            bool,
            False,
            "Envoy Gateway runs its global rate limit service (Redis): rate limits become "
            "Global, shared by every Envoy replica, instead of Local",
        ),
    )
    codes = codes.CODES
    answers_closed_status = True
    """A rule closed with a ``closed_status`` answers it (see :func:`.filters.direct_response`)."""
    description = (
        "Gateway API plus Envoy Gateway v1.9 policies (SecurityPolicy, BackendTrafficPolicy, "
        "ClientTrafficPolicy, HTTPRouteFilter) for what standard Gateway API lacks"
    )

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(ir)
        bodies = {item.ref: item.body for item in out}
        state = State(ctx, builder)
        gateway_kinds: dict[ObjectRef, set[str]] = {}
        for gateway in ir.gateways:
            if gateway.ref in bodies:
                gateway_kinds[gateway.ref] = gateway_policies(state, gateway)
        protocols = listener_protocols(ir)
        for route in ir.routes:
            body = bodies.get(route.ref)
            if body is not None:
                RoutePlan(state, route, body, gateway_kinds, route_schemes(route, protocols)).emit()
        settings = gateway_client_policies(ir, state, set(bodies))
        client_cert_policies(ir, state, settings)
        require_gateway_classes(out, ctx)
        return state.finish(out)

    def carries(self, extension: Extension, target: Target) -> bool:
        """Client-certificate auth (a ClientTrafficPolicy on the listeners), and what a
        SecurityPolicy mapper takes — asked of this instance, as the mapper answers it (it
        refuses basic auth without a Secret, an auth URL that is not http(s), an IP list
        without one address, OIDC without issuer, client id and Secret …). Where a carried
        control then cannot be attached (another value already set there, rule names the
        target lacks), it stays unconsumed and the pipeline closes its rules after emission."""
        if isinstance(extension, ClientCertAuth):
            return True
        mapper = MAPPERS.get(type(extension))
        if mapper is None:
            return False
        # The answer depends on the extension alone: a scratch environment, nothing kept.
        scratch = MapEnv(namespace=None, options={}, backends=BackendRegistry())
        return mapper(extension, scratch) is not None


CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
"""The ``controllerName`` of Envoy Gateway's GatewayClasses (its quickstart's)."""


def require_gateway_classes(out: list[Emitted], ctx: EmitContext) -> None:
    """Each GatewayClass the Gateways name must exist and be Envoy Gateway's: the policies
    this emitter writes mean nothing to another implementation."""
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            ctx.report.require(
                Need.GATEWAY_CLASS,
                f"GatewayClass {name}",
                f"install Envoy Gateway and create the GatewayClass with controllerName: "
                f"{CONTROLLER_NAME} (the Envoy Gateway policies in the output need it)",
                source=source,
            )


"""(kind, namespace, name) of a Gateway or ListenerSet → its listeners' protocols by name."""


def mapped(
    state: State,
    exts: Iterable[Extension],
    namespace: str | None,
    schemes: frozenset[str] = frozenset(),
    route_kind: str | None = None,
) -> list[Item]:
    items: list[Item] = []
    # Session affinity first: its cookie hash is the load balancer, whatever algorithm is named.
    for ext in sorted(exts, key=lambda e: not isinstance(e, SessionAffinity)):
        mapper = MAPPERS.get(type(ext))
        if ext.consumed or mapper is None:
            continue
        contribution = state.contribution(ext, mapper, namespace, schemes, route_kind)
        if contribution is not None:
            items.append((ext, contribution))
    return items


def policy(
    state: State,
    kind: str,
    namespace: str | None,
    wanted: str,
    identity: str,
    target: JSONDict,
    spec: JSONDict,
    items: list[Item],
    owner: ObjectRef,
) -> ObjectRef:
    name = state.name(kind, namespace, wanted, identity)
    full: JSONDict = {"targetRefs": [target], **spec}
    emitted = state.add_object(kind, namespace, name, full, [ext for ext, _ in items])
    for ext, contribution in items:
        # What the policy does not carry (nothing of it is in the spec) is credited to the
        # object it applied to, not to a policy it is absent from.
        lost = contribution.status is Status.UNSUPPORTED and not contribution.spec
        state.accept(ext, contribution, [owner if lost else emitted.ref])
    return emitted.ref


def gateway_policies(state: State, gateway: Gateway) -> set[str]:
    """Policies for Gateway-wide extensions; returns the policy kinds emitted."""
    items = mapped(state, gateway.extensions, gateway.namespace)
    kinds: set[str] = set()
    for kind in ROUTE_POLICIES:
        spec, accepted, conflicting = fragment([i for i in items if i[1].policy == kind])
        reject_conflicts(state, conflicting, f"Gateway {gateway.name}")
        if not accepted:
            continue
        if not spec:
            for ext, contribution in accepted:
                state.accept(ext, contribution, [gateway.ref])
            continue
        identity = f"Gateway/{gateway.namespace}/{gateway.name}"
        target = target_ref("Gateway", gateway.name)
        policy(
            state,
            kind,
            gateway.namespace,
            gateway.name,
            identity,
            target,
            spec,
            accepted,
            gateway.ref,
        )
        kinds.add(kind)
    return kinds


class RoutePlan:
    """Policies and filters for one route."""

    def __init__(
        self,
        state: State,
        route: Route,
        body: JSONDict,
        gateway_kinds: dict[ObjectRef, set[str]],
        schemes: frozenset[str] = frozenset(),
    ) -> None:
        self.state = state
        self.route = route
        self.schemes = schemes
        self.rules = list(getattr(route, "rules", []))
        spec = body.get("spec", {})
        self.rule_bodies: list[JSONDict] = spec.get("rules", []) if self.rules else []
        self.labels = rule_labels([rule.name for rule in self.rules])
        self.names = state.builder.has_field(route.KIND, "spec.rules[].name")
        self.inherited: set[str] = set()
        for parent in route.parent_refs:
            ref = ObjectRef("Gateway", parent.namespace or route.namespace, parent.name)
            self.inherited |= gateway_kinds.get(ref, set())

    def emit(self) -> None:
        route, state = self.route, self.state
        if isinstance(route, HTTPRoute):
            for index, rule in enumerate(self.rules):
                regex_rewrite(state, route, rule, self.labels[index], self.rule_bodies[index])
        for index, rule in enumerate(self.rules[: len(self.rule_bodies)]):
            external_name(state, route, rule, self.rule_bodies[index])
            backend_tls(state, route, rule, self.rule_bodies[index])
            direct_response(state, route, rule, self.rule_bodies[index])
        where = (route.namespace, self.schemes, route.KIND)
        route_items = mapped(state, route.extensions, *where)
        rule_items = [mapped(state, rule_extensions(rule), *where) for rule in self.rules]
        for kind in ROUTE_POLICIES:
            own = [i for i in route_items if i[1].policy == kind]
            per_rule = [[i for i in items if i[1].policy == kind] for items in rule_items]
            if not own and not any(per_rule):
                continue
            if route.KIND not in POLICY_TARGET_KINDS[kind]:
                for ext, _ in own + [i for items in per_rule for i in items]:
                    state.reject(ext, f"a {kind} cannot target a {route.KIND}")
                continue
            self.policies(kind, own, per_rule)

    def where(self, index: int | None = None) -> str:
        base = f"{self.route.KIND} {self.route.name}"
        return base if index is None else f"rule {self.labels[index]} of {base}"

    def policies(self, kind: str, own: list[Item], per_rule: list[list[Item]]) -> None:
        if not self.rules:
            spec, accepted, conflicting = fragment(own)
            reject_conflicts(self.state, conflicting, self.where())
            self.emit_policy(kind, None, spec, accepted)
            return
        parts = []
        for index, items in enumerate(per_rule):
            spec, accepted, conflicting = fragment(own + items)
            reject_conflicts(self.state, conflicting, self.where(index))
            parts.append((spec, accepted))
        with_spec = [i for i, (spec, _) in enumerate(parts) if spec]
        distinct = {canonical(parts[i][0]) for i in with_spec}
        if not with_spec:
            for _, accepted in parts:
                self.accept_here(accepted)
            return
        whole_route = len(with_spec) == len(parts) and len(distinct) == 1
        if whole_route:
            self.emit_policy(
                kind, None, parts[0][0], unique_items(a for _, acc in parts for a in acc)
            )
            return
        if self.names:
            for index, (spec, accepted) in enumerate(parts):
                if spec:
                    self.rule_bodies[index]["name"] = self.labels[index]
                    self.emit_policy(kind, index, spec, accepted)
                else:
                    self.accept_here(accepted)
            return
        target = f"Gateway API {self.state.ctx.target.version} ({self.state.ctx.target.channel})"
        items = unique_items(a for _, acc in parts for a in acc)
        if len(distinct) == 1:
            bare = [self.labels[i] for i, (spec, _) in enumerate(parts) if not spec]
            note = (
                f"the {kind} targets the whole {self.where()}: {target} has no rule names, so "
                f"rules {', '.join(bare)} get it too"
            )
            items = [(ext, with_partial_note(c, note)) for ext, c in items]
            self.emit_policy(kind, None, parts[with_spec[0]][0], items)
            return
        for ext, _ in items:
            self.state.reject(
                ext,
                f"the rules of {self.where()} need different {kind}s and {target} has no rule "
                "names to attach them to (Gateway API v1.4 standard has them)",
            )

    def accept_here(self, items: list[Item]) -> None:
        for ext, contribution in items:
            self.state.accept(ext, contribution, [self.route.ref])

    def emit_policy(self, kind: str, index: int | None, spec: JSONDict, items: list[Item]) -> None:
        route = self.route
        if not spec:
            self.accept_here(items)
            return
        if kind in self.inherited:
            # A route policy replaces the Gateway's of the same kind unless told to merge.
            spec = {**spec, "mergeType": "StrategicMerge"}
        section = None if index is None else self.labels[index]
        wanted = route.name if section is None else f"{route.name}-{section}"
        identity = f"{route.KIND}/{route.namespace}/{route.name}/{section or ''}"
        target = target_ref(route.KIND, route.name, section)
        policy(self.state, kind, route.namespace, wanted, identity, target, spec, items, route.ref)
