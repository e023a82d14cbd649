"""The agentgateway emitter: the standard objects, then ``AgentgatewayPolicy`` objects for the
IR extensions, each attached to the narrowest object that is right.

For each route the fragments of every rule (route-level extensions plus the rule's own) are
compared: all equal → one policy whose ``targetRefs`` names the route; different → one policy
per rule that has any, targeting the route with ``sectionName`` = the rule's name, where the
target Gateway API has rule names (agentgateway refuses ``ExtensionRef`` filters: the whole
route would not be Accepted). Without rule names, rules needing different policies are
reported and their controls left unconsumed (the pipeline closes what they protect).
Gateway-wide settings get a policy targeting the Gateway (the route's policy repeats each
Gateway field it sets too, so that the narrower policy never silently drops the Gateway's).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ingress2gateway.emitters.gatewayapi import GROUP, GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import (
    Item,
    fragment,
    merged_field,
    rule_extensions,
    rule_labels,
    unique_items,
    with_partial_note,
)
from ingress2gateway.ir import IR, BackendTLSOptions, Extension, Gateway, Route
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Status

from . import codes, listener, security, service, traffic
from ._base import (
    CONTROLLER_NAME,
    DEFAULT_GATEWAY_CLASS,
    POLICY,
    TRAFFIC_TARGETS,
    MapEnv,
    Mapper,
    canonical,
)
from ._state import State, target_ref
from .external import external_name
from .objects import Registry

if TYPE_CHECKING:
    from ingress2gateway.target import Target

MAPPERS: dict[type, Mapper] = {**security.MAPPERS, **traffic.MAPPERS, **listener.MAPPERS}


class AgentgatewayEmitter(EmitterBase):
    name = "agentgateway"
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
    description = (
        "Gateway API plus agentgateway 1.4 policies (AgentgatewayPolicy, AgentgatewayBackend) "
        "for what standard Gateway API lacks"
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
                plan = RoutePlan(state, route, body)
                plan.inherited = [spec for spec in inherited if spec]
                plan.emit()
        service.service_policies(state, list(ir.routes), set(bodies))
        out = service.drop_replaced_tls_policies(state, out)
        hint_rate_limits(ir, ctx)
        require_gateway_classes(out, ctx)
        return state.finish(out)

    def carries(self, extension: Extension, target: Target) -> bool:
        """What a policy mapper takes — asked of this instance, as the mapper answers it (it
        refuses basic auth without a Secret of the route's namespace, an auth URL that is not
        http(s) or whose path cannot be quoted, IP lists with an entry that is not a network,
        JWT without issuer and JWKS URL …). Client-certificate auth and the other access
        controls are not carried. Where a carried control then cannot be attached (another
        value already set there), it stays unconsumed and the pipeline closes its rules."""
        if isinstance(extension, BackendTLSOptions):
            mapper: Mapper | None = service.backend_tls
        else:
            mapper = MAPPERS.get(type(extension))
        if mapper is None:
            return False
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
    """Each GatewayClass the Gateways name must be agentgateway's: the policies this emitter
    writes mean nothing to another implementation."""
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        if name == DEFAULT_GATEWAY_CLASS:
            action = (
                f"install agentgateway 1.4: its controller creates GatewayClass {name} "
                f"(controllerName {CONTROLLER_NAME})"
            )
        else:
            action = (
                f"install agentgateway 1.4 and create GatewayClass {name} with controllerName "
                f"{CONTROLLER_NAME}, or pass --gateway-class-name {DEFAULT_GATEWAY_CLASS} (the "
                "class agentgateway creates)"
            )
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            ctx.report.require(
                codes.Need.GATEWAY_CLASS, f"GatewayClass {name}", action, source=source
            )


def mapped(
    state: State, exts: Iterable[Extension], namespace: str | None, route_kind: str | None = None
) -> list[Item]:
    items: list[Item] = []
    for ext in exts:
        mapper = MAPPERS.get(type(ext))
        if ext.consumed or mapper is None:
            continue
        contribution = state.contribution(ext, mapper, namespace, frozenset(), route_kind)
        if contribution is not None:
            items.append((ext, contribution))
    return items


def add_policy(
    state: State,
    namespace: str | None,
    wanted: str,
    identity: str,
    target: JSONDict,
    spec: JSONDict,
    items: list[Item],
    owner: ObjectRef,
) -> ObjectRef:
    name = state.name(POLICY, namespace, wanted, identity)
    full: JSONDict = {"targetRefs": [target], **spec}
    emitted = state.add_object(POLICY, namespace, name, full, [ext for ext, _ in items])
    for ext, contribution in items:
        lost = contribution.status is Status.UNSUPPORTED and not contribution.spec
        state.accept(ext, contribution, [owner if lost else emitted.ref])
    return emitted.ref


def _fields(spec: JSONDict) -> set[tuple[str, str]]:
    """(section, field) pairs a policy spec sets: what a narrower policy replaces."""
    return {(section, key) for section, body in spec.items() for key in body}


def _names(spec: JSONDict) -> str:
    return ", ".join(f"{s}.{k}" for s, k in sorted(_fields(spec))) or "a field"


def gateway_policies(state: State, gateway: Gateway) -> JSONDict:
    """A policy for the Gateway-wide extensions; returns its spec (empty: none)."""
    items = mapped(state, gateway.extensions, gateway.namespace)
    spec, accepted, conflicting = fragment(items)
    _reject_conflicts(state, conflicting, f"Gateway {gateway.name}")
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


def _reject_conflicts(state: State, items: list[Item], where: str) -> None:
    for ext, contribution in items:
        state.reject(
            ext, f"another setting of {_names(contribution.spec)} already applies to {where}"
        )


class RoutePlan:
    """Policies for one route."""

    def __init__(self, state: State, route: Route, body: JSONDict) -> None:
        self.state = state
        self.route = route
        self.rules = list(getattr(route, "rules", []))
        spec = body.get("spec", {})
        self.rule_bodies: list[JSONDict] = spec.get("rules", []) if self.rules else []
        self.labels = rule_labels([rule.name for rule in self.rules])
        self.names = state.builder.has_field(route.KIND, "spec.rules[].name")
        self.inherited: list[JSONDict] = []
        """The specs of the policies of the Gateways the route is attached to."""

    def emit(self) -> None:
        route, state = self.route, self.state
        for index, rule in enumerate(self.rules[: len(self.rule_bodies)]):
            external_name(state, route, rule, self.rule_bodies[index])
        own = mapped(state, route.extensions, route.namespace, route.KIND)
        per_rule = [
            mapped(state, rule_extensions(rule), route.namespace, route.KIND) for rule in self.rules
        ]
        if not own and not any(per_rule):
            return
        if route.KIND not in TRAFFIC_TARGETS:
            for ext, _ in own + [i for items in per_rule for i in items]:
                state.reject(ext, f"an {POLICY} cannot apply to a {route.KIND}")
            return
        self.policies(own, per_rule)

    def where(self, index: int | None = None) -> str:
        base = f"{self.route.KIND} {self.route.name}"
        return base if index is None else f"rule {self.labels[index]} of {base}"

    def policies(self, own: list[Item], per_rule: list[list[Item]]) -> None:
        if not self.rules:
            spec, accepted, conflicting = fragment(own)
            _reject_conflicts(self.state, conflicting, self.where())
            self.emit_policy(None, *self.with_inherited(spec, accepted, None))
            return
        parts = []
        for index, items in enumerate(per_rule):
            spec, accepted, conflicting = fragment(own + items)
            _reject_conflicts(self.state, conflicting, self.where(index))
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
        if self.names:
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
                f"the {POLICY} targets the whole {self.where()}: {target} has no rule names, "
                f"so rules {', '.join(bare)} get it too"
            )
            items = [(ext, with_partial_note(c, note)) for ext, c in items]
            self.emit_policy(None, parts[with_spec[0]][0], items)
            return
        for ext, _ in items:
            self.state.reject(
                ext,
                f"the rules of {self.where()} need different {POLICY}s and {target} has no rule "
                "names to attach them to",
            )

    def with_inherited(
        self, spec: JSONDict, accepted: list[Item], index: int | None
    ) -> tuple[JSONDict, list[Item]]:
        """``spec`` with the Gateway policy's value of each field it sets too: the route's
        policy is the more specific, and a field it sets replaces the Gateway's (an IP rule or
        a CORS policy is not added to), so it repeats what the Gateway's says. Where the two
        cannot merge, the route's extensions setting that field are reported and left
        unconsumed rather than silently undoing the Gateway's."""
        for inherited in self.inherited:
            for section, key in sorted(_fields(spec) & _fields(inherited)):
                combined = merged_field(inherited[section], spec[section], key)
                if combined is not None:
                    spec = {**spec, section: {**spec[section], key: combined}}
                    continue
                dropped = [(e, c) for e, c in accepted if key in c.spec.get(section, {})]
                for ext, _ in dropped:
                    self.state.reject(
                        ext,
                        f"{section}.{key} of {self.where(index)} would replace the Gateway's, "
                        "which sets it differently",
                    )
                accepted = [item for item in accepted if item not in dropped]
                rest = {k: v for k, v in spec[section].items() if k != key}
                spec = {s: b for s, b in spec.items() if s != section}
                if rest:
                    spec[section] = rest
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
        if index is not None:
            # The policy names the rule: the rule gets that name in the route.
            self.rule_bodies[index]["name"] = section
        target = target_ref(route.KIND, route.name, section)
        add_policy(self.state, route.namespace, wanted, identity, target, spec, items, route.ref)
        if index is not None:
            for ext, _ in items:
                # The route changed for it too (the rule's name).
                self.state.verdicts[id(ext)].targets.add(route.ref)


__all__ = ["GROUP", "AgentgatewayEmitter"]
