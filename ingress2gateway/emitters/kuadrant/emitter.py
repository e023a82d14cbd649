"""The kuadrant emitter: the standard objects, on a GatewayClass of the data plane Kuadrant
runs on (Istio's ``istio`` or Envoy Gateway's ``eg``), plus one ``AuthPolicy`` and one
``RateLimitPolicy`` per route (or per rule, by ``sectionName``) for the extensions Kuadrant can
express (:mod:`.mapping`).

A Gateway's extensions are repeated on every route attached to it rather than put in a Gateway
policy: a route's policy would replace a Gateway's ``defaults`` whole (an IP check of the
Gateway would vanish under a route's JWT), and ``overrides`` would do the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ingress2gateway.emitters.envoy_gateway._base import MergeConflict, canonical, merged
from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.emitters.policy_state import rule_labels
from ingress2gateway.ir import IR, Extension, GRPCRoute, HTTPRoute, Route
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Need, Recorder

from . import codes
from .mapping import KINDS, MAPPERS, Fragment, fragment
from .policies import Policies, target_ref

if TYPE_CHECKING:
    from ingress2gateway.target import Target

GATEWAY_OPTION = "gateway"
DATA_PLANES = ("istio", "envoy-gateway")
CLASSES = {"istio": "istio", "envoy-gateway": "eg"}
CONTROLLERS = {
    "istio": "istio.io/gateway-controller",
    "envoy-gateway": "gateway.envoyproxy.io/gatewayclass-controller",
}
TARGET_KINDS = frozenset({"HTTPRoute", "GRPCRoute"})
"""What AuthPolicy and RateLimitPolicy may target besides a Gateway (their CRDs' CEL)."""

Item = tuple[Extension, Fragment]


class KuadrantEmitter(EmitterBase):
    name = "kuadrant"
    description = (
        "Gateway API on Istio or Envoy Gateway plus Kuadrant 1.5 policies (AuthPolicy for JWT "
        "and IP lists, RateLimitPolicy)"
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec(
            GATEWAY_OPTION,
            DATA_PLANES,
            "istio",
            "the gateway Kuadrant runs on: its GatewayClass (istio or eg) and prerequisites",
        ),
    )
    codes: Mapping[str, str] = codes.CODES
    gateway_class: str | None = CLASSES["istio"]

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        plane = str(ctx.options.get(GATEWAY_OPTION) or "istio")
        plane = plane if plane in DATA_PLANES else "istio"
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(ir)
        bodies = {item.ref: item.body for item in out}
        set_gateway_classes(out, plane)
        policies = Policies(ctx.report)
        inherited: dict[ObjectRef, list[Extension]] = {
            gateway.ref: [e for e in gateway.extensions if type(e) in MAPPERS and not e.consumed]
            for gateway in ir.gateways
            if gateway.ref in bodies
        }
        # A route on a ListenerSet is served by the ListenerSet's Gateway: it inherits too.
        homes = {
            ObjectRef("ListenerSet", ls.namespace, ls.name): ls.gateway.ref
            for ls in ir.listener_sets
        }
        for route in ir.routes:
            body = bodies.get(route.ref)
            if body is None:
                continue
            parents = [
                ObjectRef(parent.kind, parent.namespace or route.namespace, parent.name)
                for parent in route.parent_refs
            ]
            from_gateways = [
                ext for parent in parents for ext in inherited.get(homes.get(parent, parent), [])
            ]
            RoutePlan(ctx, policies, route, body, list(dict.fromkeys(from_gateways))).emit()
        policies.settle()
        require(out, policies.objects, plane, ctx.report)
        return out + policies.objects

    def carries(self, extension: Extension, target: Target) -> bool:
        """JWT with a clean http(s) issuer or JWKS URL, IP lists of IPv4 entries only. Basic
        auth never: Kuadrant's API-key Secrets hold base64(user:password), an htpasswd hash
        cannot become one."""
        return fragment(extension) is not None


def set_gateway_classes(out: list[Emitted], plane: str) -> None:
    """On Envoy Gateway, Gateways given Istio's class (the emitter's default) get ``eg``."""
    if plane == "istio":
        return
    for item in out:
        spec = item.body.get("spec", {})
        if item.ref.kind == "Gateway" and spec.get("gatewayClassName") == CLASSES["istio"]:
            spec["gatewayClassName"] = CLASSES[plane]


class RoutePlan:
    def __init__(
        self,
        ctx: EmitContext,
        policies: Policies,
        route: Route,
        body: JSONDict,
        inherited: list[Extension],
    ) -> None:
        self.ctx = ctx
        self.policies = policies
        self.route = route
        self.rules = list(getattr(route, "rules", []))
        self.rule_bodies: list[JSONDict] = body.get("spec", {}).get("rules", [])
        self.inherited = inherited

    def items(self, exts: list[Extension]) -> list[Item]:
        out = []
        for ext in exts:
            if ext.consumed or type(ext) not in MAPPERS:
                continue
            mapped = fragment(ext)
            if mapped is not None:
                out.append((ext, mapped))
        return out

    def emit(self) -> None:
        route = self.route
        own = self.inherited + list(route.extensions)
        if not isinstance(route, HTTPRoute | GRPCRoute):
            for ext, _ in self.items(own):
                self.policies.reject(ext, f"a Kuadrant policy cannot apply to a {route.KIND}")
            return
        per_rule = [self.items(own + list(rule.extensions)) for rule in self.rules]
        for kind in KINDS:
            self.emit_kind(kind, [[i for i in items if i[1].kind == kind] for items in per_rule])

    def emit_kind(self, kind: str, per_rule: list[list[Item]]) -> None:
        parts = [self.merge(items, index) for index, items in enumerate(per_rule)]
        with_spec = [i for i, (spec, _) in enumerate(parts) if spec]
        if not with_spec:
            return
        route = self.route
        if len(with_spec) == len(parts) and len({canonical(parts[i][0]) for i in with_spec}) == 1:
            items = list({id(e): (e, f) for _, acc in parts for e, f in acc}.values())
            target = target_ref(route.KIND, route.name)
            self.policies.add(kind, route.namespace, route.name, target, parts[0][0], items)
            return
        problem = None
        if not self.ctx.target.has_field(route.KIND, "spec.rules[].name"):
            version = f"Gateway API {self.ctx.target.version} ({self.ctx.target.channel})"
            problem = f"{version} has no rule names to target them by"
        elif len(self.rule_bodies) != len(self.rules):
            # The written rules do not follow the IR's one to one: a sectionName could name
            # the wrong rule, so none is written.
            problem = "the written rules cannot be told apart by their names"
        if problem is not None:
            for index in with_spec:
                for ext, _ in parts[index][1]:
                    self.policies.reject(
                        ext,
                        f"the rules of {route.KIND} {route.name} need different {kind}s and "
                        + problem,
                    )
            return
        labels = rule_labels([rule.name for rule in self.rules])
        for index in with_spec:
            spec, accepted = parts[index]
            label = labels[index]
            self.rule_bodies[index]["name"] = label
            target = target_ref(route.KIND, route.name, label)
            wanted = f"{route.name}-{label}"
            self.policies.add(kind, route.namespace, wanted, target, spec, accepted)

    def merge(self, items: list[Item], index: int) -> tuple[JSONDict, list[Item]]:
        spec: JSONDict = {}
        accepted: list[Item] = []
        for ext, mapped in items:
            try:
                spec = merged(spec, mapped.spec)
            except MergeConflict as conflict:
                self.policies.reject(
                    ext,
                    f"rule {index} of {self.route.KIND} {self.route.name} already has another "
                    f"{conflict} (Kuadrant would accept either one)",
                )
                continue
            accepted.append((ext, mapped))
        return spec, accepted


def require(out: list[Emitted], made: list[Emitted], plane: str, report: Recorder) -> None:
    """The GatewayClass of each Gateway, and Kuadrant itself once a policy is written."""
    controller = CONTROLLERS[plane]
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        if plane == "istio" and name == CLASSES["istio"]:
            action = f"install Istio: istiod creates GatewayClass istio ({controller})"
        else:
            action = (
                f"create GatewayClass {name} with controllerName {controller}: Kuadrant acts "
                "only on Gateways of a class with that controller"
            )
        where: list[SourceRef | None] = [*item.sources] or [None]
        for source in where:
            report.require(Need.GATEWAY_CLASS, f"GatewayClass {name}", action, source=source)
    if not made:
        return
    found = sorted({s for item in made for s in item.sources}, key=SourceRef.sort_key)
    sources: list[SourceRef | None] = [*found] or [None]
    action = (
        "install the Kuadrant operator 1.5 and create a Kuadrant object (kuadrant.io/v1beta1) "
        "in its namespace: it deploys Authorino and Limitador, which enforce these policies"
    )
    if plane == "envoy-gateway":
        action += (
            "; on Envoy Gateway, enable EnvoyPatchPolicy (extensionApis.enableEnvoyPatchPolicy:"
            " true in the EnvoyGateway configuration), which Kuadrant programs the proxy with"
        )
    for source in sources:
        report.require(Need.IMPLEMENTATION_FEATURE, "Kuadrant operator 1.5", action, source=source)
