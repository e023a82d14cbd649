"""The kgateway emitter: the standard objects, then kgateway objects for the IR extensions,
each attached to the narrowest object that is right.

Route settings (:mod:`.security`, :mod:`.traffic`) become ``TrafficPolicy`` objects. For each
route the fragments of every rule (route-level extensions plus the rule's own) are compared:
all equal → one policy whose ``targetRefs`` names the route; different → on an HTTPRoute, one
policy per rule that has any, without ``targetRefs``, referenced by an ``ExtensionRef`` filter of
the rule (kgateway's documented per-rule form, which needs no rule names); on a GRPCRoute, one
policy per rule targeting it by ``sectionName`` where the target has rule names. Gateway-wide
settings get a policy targeting the Gateway (a route's own policy wins field by field).
Settings of the backend (:mod:`.service`) become one ``BackendConfigPolicy`` per Service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ingress2gateway.emitters.gatewayapi import GROUP, GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import (
    Item,
    fragment,
    listener_protocols,
    merged_field,
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
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Status

from . import codes, listener, security, service, traffic
from ._base import (
    CONTROLLER_NAME,
    DEFAULT_GATEWAY_CLASS,
    TRAFFIC_POLICY,
    TRAFFIC_POLICY_TARGETS,
    MapEnv,
    Mapper,
    canonical,
)
from ._state import State, target_ref
from .external import external_name
from .filters import direct_response, extension_ref
from .objects import Registry

if TYPE_CHECKING:
    from ingress2gateway.target import Target

MAPPERS: dict[type, Mapper] = {**security.MAPPERS, **traffic.MAPPERS}


class KgatewayEmitter(EmitterBase):
    name = "kgateway"
    options = (
        OptionSpec(
            traffic.RATE_LIMIT_SERVICE_OPTION,
            str,
            None,
            "NAMESPACE/NAME:PORT of your Envoy rate limit service (gRPC): rate limits counted "
            "per client address become global limits checked there",
        ),
    )
    codes = codes.CODES
    gateway_class = DEFAULT_GATEWAY_CLASS
    answers_closed_status = True
    """A rule closed with a ``closed_status`` answers it (see :func:`.filters.direct_response`)."""
    description = (
        "Gateway API plus kgateway 2.4 policies (TrafficPolicy, BackendConfigPolicy, "
        "GatewayExtension, DirectResponse, Backend) for what standard Gateway API lacks"
    )

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(ir)
        bodies = {item.ref: item.body for item in out}
        state = State(ctx, builder)
        gateway_specs: dict[ObjectRef, JSONDict] = {}
        for gateway in ir.gateways:
            if gateway.ref in bodies:
                gateway_specs[gateway.ref] = gateway_policies(state, gateway)
        protocols = listener_protocols(ir)
        for route in ir.routes:
            body = bodies.get(route.ref)
            if body is not None:
                inherited = [
                    gateway_specs.get(
                        ObjectRef("Gateway", parent.namespace or route.namespace, parent.name), {}
                    )
                    for parent in route.parent_refs
                    if parent.kind == "Gateway"
                ]
                plan = RoutePlan(state, route, body, route_schemes(route, protocols))
                plan.inherited = [spec for spec in inherited if spec]
                plan.emit()
        service.service_policies(state, list(ir.routes), set(bodies))
        settings = listener.gateway_listener_policies(ir, state, set(bodies))
        listener.client_cert_policies(ir, state, settings)
        out = service.drop_replaced_tls_policies(state, out)
        hint_rate_limits(ir, ctx)
        require_gateway_classes(out, ctx)
        return state.finish(out)

    def carries(self, extension: Extension, target: Target) -> bool:
        """What a TrafficPolicy mapper takes — asked of this instance, as the mapper answers it
        (it refuses basic auth without a Secret, an auth URL that is not http(s), IP lists with
        an entry kgateway cannot match, OIDC without an https issuer, client id and Secret …).
        Client-certificate auth is carried when verified (``on`` or ``optional``), on the
        listeners by a ListenerPolicy. Where a carried control then cannot be attached
        (another value already set there), it stays unconsumed and the pipeline closes its
        rules after emission."""
        if isinstance(extension, ClientCertAuth):
            return extension.verify in listener.MODES
        mapper = MAPPERS.get(type(extension))
        if mapper is None:
            return False
        # The answer depends on the extension alone: a scratch environment, nothing kept.
        scratch = MapEnv(namespace=None, options={}, backends=Registry(), route_kind="HTTPRoute")
        return mapper(extension, scratch) is not None


def hint_rate_limits(ir: IR, ctx: EmitContext) -> None:
    """Say, under each per-client rate limit left unconverted, what would carry it."""
    exts: list[Extension] = [e for g in ir.gateways for e in g.extensions]
    for route in ir.routes:
        exts.extend(route.extensions)
        for rule in getattr(route, "rules", []):
            exts.extend(rule.extensions)
    env = MapEnv(namespace=None, options=ctx.options, backends=Registry())
    for ext in dict.fromkeys(traffic.rate_limits_left(exts, env)):
        first = ext.provenance[0] if ext.provenance else None
        where = {"source": first.source, "field": first.field} if first else {}
        ctx.report.warning(traffic.RATE_LIMIT_SERVICE_CODE, traffic.rate_limit_hint(ext), **where)


def require_gateway_classes(out: list[Emitted], ctx: EmitContext) -> None:
    """Each GatewayClass the Gateways name must be kgateway's: the policies this emitter writes
    mean nothing to another implementation."""
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        if name == DEFAULT_GATEWAY_CLASS:
            action = (
                f"install kgateway 2.4: its controller creates GatewayClass {name} "
                f"(controllerName {CONTROLLER_NAME})"
            )
        else:
            action = (
                f"install kgateway 2.4 and create GatewayClass {name} with controllerName "
                f"{CONTROLLER_NAME}, or pass --gateway-class-name {DEFAULT_GATEWAY_CLASS} (the "
                "class kgateway creates)"
            )
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            ctx.report.require(
                codes.Need.GATEWAY_CLASS, f"GatewayClass {name}", action, source=source
            )


def mapped(
    state: State,
    exts: Iterable[Extension],
    namespace: str | None,
    schemes: frozenset[str] = frozenset(),
    route_kind: str | None = None,
) -> list[Item]:
    items: list[Item] = []
    for ext in exts:
        mapper = MAPPERS.get(type(ext))
        if ext.consumed or mapper is None:
            continue
        contribution = state.contribution(ext, mapper, namespace, schemes, route_kind)
        if contribution is not None:
            items.append((ext, contribution))
    return items


def add_policy(
    state: State,
    namespace: str | None,
    wanted: str,
    identity: str,
    target: JSONDict | None,
    spec: JSONDict,
    items: list[Item],
    owner: ObjectRef,
) -> ObjectRef:
    name = state.name(TRAFFIC_POLICY, namespace, wanted, identity)
    full: JSONDict = {"targetRefs": [target], **spec} if target is not None else dict(spec)
    emitted = state.add_object(TRAFFIC_POLICY, namespace, name, full, [ext for ext, _ in items])
    for ext, contribution in items:
        lost = contribution.status is Status.UNSUPPORTED and not contribution.spec
        state.accept(ext, contribution, [owner if lost else emitted.ref])
    return emitted.ref


def gateway_policies(state: State, gateway: Gateway) -> JSONDict:
    """A TrafficPolicy for the Gateway-wide extensions; returns its spec (empty: none)."""
    items = mapped(state, gateway.extensions, gateway.namespace)
    spec, accepted, conflicting = fragment(items)
    reject_conflicts(state, conflicting, f"Gateway {gateway.name}")
    if not accepted:
        return {}
    if not spec:
        for ext, contribution in accepted:
            state.accept(ext, contribution, [gateway.ref])
        return {}
    add_policy(
        state,
        gateway.namespace,
        gateway.name,
        f"Gateway/{gateway.namespace}/{gateway.name}",
        target_ref("Gateway", gateway.name),
        spec,
        accepted,
        gateway.ref,
    )
    return spec


class RoutePlan:
    """TrafficPolicies and filters for one route."""

    def __init__(
        self, state: State, route: Route, body: JSONDict, schemes: frozenset[str] = frozenset()
    ) -> None:
        self.state = state
        self.route = route
        self.schemes = schemes
        self.rules = list(getattr(route, "rules", []))
        spec = body.get("spec", {})
        self.rule_bodies: list[JSONDict] = spec.get("rules", []) if self.rules else []
        self.labels = rule_labels([rule.name for rule in self.rules])
        self.names = state.builder.has_field(route.KIND, "spec.rules[].name")
        self.inherited: list[JSONDict] = []
        """The specs of the TrafficPolicies of the Gateways the route is attached to."""

    def emit(self) -> None:
        route, state = self.route, self.state
        for index, rule in enumerate(self.rules[: len(self.rule_bodies)]):
            external_name(state, route, rule, self.rule_bodies[index])
            direct_response(state, route, rule, self.rule_bodies[index])
        where = (route.namespace, self.schemes, route.KIND)
        own = mapped(state, route.extensions, *where)
        per_rule = [mapped(state, rule_extensions(rule), *where) for rule in self.rules]
        if not own and not any(per_rule):
            return
        if route.KIND not in TRAFFIC_POLICY_TARGETS:
            for ext, _ in own + [i for items in per_rule for i in items]:
                state.reject(ext, f"a {TRAFFIC_POLICY} cannot apply to a {route.KIND}")
            return
        self.policies(own, per_rule)

    def where(self, index: int | None = None) -> str:
        base = f"{self.route.KIND} {self.route.name}"
        return base if index is None else f"rule {self.labels[index]} of {base}"

    def policies(self, own: list[Item], per_rule: list[list[Item]]) -> None:
        if not self.rules:
            spec, accepted, conflicting = fragment(own)
            reject_conflicts(self.state, conflicting, self.where())
            self.emit_policy(None, *self.with_inherited(spec, accepted, None))
            return
        parts = []
        for index, items in enumerate(per_rule):
            spec, accepted, conflicting = fragment(own + items)
            reject_conflicts(self.state, conflicting, self.where(index))
            parts.append(self.with_inherited(spec, accepted, index))
        with_spec = [i for i, (spec, _) in enumerate(parts) if spec]
        distinct = {canonical(parts[i][0]) for i in with_spec}
        if not with_spec:
            for _, accepted in parts:
                self.accept_here(accepted)
            return
        if len(with_spec) == len(parts) and len(distinct) == 1:
            self.emit_policy(None, parts[0][0], unique_items(a for _, acc in parts for a in acc))
            return
        if isinstance(self.route, HTTPRoute) or self.names:
            for index, (spec, accepted) in enumerate(parts):
                if spec:
                    self.emit_policy(index, spec, accepted)
                else:
                    self.accept_here(accepted)
            return
        target = f"Gateway API {self.state.ctx.target.version} ({self.state.ctx.target.channel})"
        items = unique_items(a for _, acc in parts for a in acc)
        if len(distinct) == 1:
            bare = [self.labels[i] for i, (spec, _) in enumerate(parts) if not spec]
            note = (
                f"the {TRAFFIC_POLICY} targets the whole {self.where()}: {target} has no rule "
                f"names, so rules {', '.join(bare)} get it too"
            )
            items = [(ext, with_partial_note(c, note)) for ext, c in items]
            self.emit_policy(None, parts[with_spec[0]][0], items)
            return
        for ext, _ in items:
            self.state.reject(
                ext,
                f"the rules of {self.where()} need different {TRAFFIC_POLICY}s and {target} has "
                "no rule names to attach them to",
            )

    def with_inherited(
        self, spec: JSONDict, accepted: list[Item], index: int | None
    ) -> tuple[JSONDict, list[Item]]:
        """``spec`` with the Gateway policy's value of each field it sets too: kgateway lets a
        route's field replace the Gateway's (an ACL or a CORS policy is not added to, it is
        replaced), so the route's policy repeats what the Gateway's says. Where the two cannot
        merge, the route's extensions setting that field are reported and left unconsumed (an
        access control then closes its rules) rather than silently undoing the Gateway's."""
        for inherited in self.inherited:
            for key in sorted(set(spec) & set(inherited)):
                combined = merged_field(inherited, spec, key)
                if combined is not None:
                    spec = {**spec, key: combined}
                else:
                    dropped = [(e, c) for e, c in accepted if key in c.spec]
                    for ext, _ in dropped:
                        self.state.reject(
                            ext,
                            f"{key} of {self.where(index)} would replace the Gateway's, which "
                            "sets it differently",
                        )
                    accepted = [item for item in accepted if item not in dropped]
                    spec = {k: v for k, v in spec.items() if k != key}
        return spec, accepted

    def accept_here(self, items: list[Item]) -> None:
        for ext, contribution in items:
            self.state.accept(ext, contribution, [self.route.ref])

    def emit_policy(self, index: int | None, spec: JSONDict, items: list[Item]) -> None:
        route = self.route
        if not spec:
            self.accept_here(items)
            return
        section = None if index is None else self.labels[index]
        wanted = route.name if section is None else f"{route.name}-{section}"
        identity = f"{route.KIND}/{route.namespace}/{route.name}/{section or ''}"
        if index is None:
            target: JSONDict | None = target_ref(route.KIND, route.name)
        elif isinstance(route, HTTPRoute):
            target = None  # referenced by the rule's ExtensionRef filter instead
        else:
            self.rule_bodies[index]["name"] = section
            target = target_ref(route.KIND, route.name, section)
        ref = add_policy(
            self.state, route.namespace, wanted, identity, target, spec, items, route.ref
        )
        if target is None and index is not None:
            filters = self.rule_bodies[index].setdefault("filters", [])
            filters.append(extension_ref(TRAFFIC_POLICY, ref.name))
            for ext, _ in items:
                # The route changed for it too (the filter).
                self.state.verdicts[id(ext)].targets.add(route.ref)


__all__ = ["GROUP", "KgatewayEmitter"]
