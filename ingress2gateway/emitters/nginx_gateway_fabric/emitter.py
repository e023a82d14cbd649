"""The nginx-gateway-fabric emitter: the standard objects, then NGF policies for the IR
extensions, each attached where NGF documents it.

NGF policies have no ``sectionName`` and NGF ignores rule names, so a route-level policy covers
every rule of the route: settings every rule shares (or the route's own) become one policy per
kind targeting the route; settings only some rules have are reported (``ngf-rule-scope``) and
left unconsumed. Gateway-wide settings target the Gateway (NGF lets a route's policy override
the Gateway's field by field: both are "inherited" policies). Basic auth goes into each rule as
an ``ExtensionRef`` to an AuthenticationFilter; Service settings into UpstreamSettingsPolicies.

NGF accepts and **ignores** HTTPRoute ``timeouts`` and ``retry`` (``Accepted`` with
``UnsupportedField``): the builder's ``timeouts`` are taken out again and reported
(``ngf-route-timeout-ignored``), a Retry extension is never written into ``retry`` and stays
for the report. No snippet is ever written: IP lists, custom errors, compression and the rest
NGF could only say through SnippetsFilter/SnippetsPolicy stay unconsumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ingress2gateway.emitters.envoy_gateway._base import (
    Contribution,
    MergeConflict,
    canonical,
    merged,
)
from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.ir import IR, Extension, HTTPRoute, RateLimit, Retry, Route, Rule
from ingress2gateway.objects import JSONDict, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Need, Status

from . import auth, codes, policies, upstream
from ._base import (
    CLIENT_SETTINGS,
    CONTROLLER_NAME,
    DEFAULT_GATEWAY_CLASS,
    POLICY_TARGETS,
    ROUTE_POLICIES,
    State,
    target_ref,
)
from .gateway import nginx_proxy

if TYPE_CHECKING:
    from ingress2gateway.target import Target

Item = tuple[Extension, Contribution]


class NGFBuilder(GatewayAPIBuilder):
    """The standard builder without the HTTPRoute fields NGF ignores."""

    def http_rule(self, route: HTTPRoute, rule: Rule) -> JSONDict:
        body = super().http_rule(route, rule)
        dropped = body.pop("timeouts", None)
        if dropped:
            said = ", ".join(f"{key} {value}" for key, value in sorted(dropped.items()))
            message = (
                f"timeouts ({said}) of {route.KIND} {route.namespace}/{route.name} left out: "
                "NGINX Gateway Fabric accepts HTTPRoute timeouts and ignores them; a "
                "ProxySettingsPolicy sets NGINX's per-phase proxy timeouts instead"
            )
            first = rule.provenance[0] if rule.provenance else None
            where = {"source": first.source} if first else {}
            self.report.warning(codes.ROUTE_TIMEOUT, message, **where)
            self._overrule_timeouts({p.source for p in rule.provenance}, message)
        return body

    def _overrule_timeouts(self, sources: set[SourceRef], message: str) -> None:
        """The fields the provider said became ``timeouts`` (its note names the field) went
        nowhere after all."""
        ledger = getattr(self.report, "ledger", {})
        for entry in list(ledger.values()):
            if entry.source in sources and any("timeouts." in note for note in entry.notes):
                self.report.overrule(entry.source, entry.field, Status.UNSUPPORTED, message)

    def retry(self, route: HTTPRoute, rule: Rule) -> JSONDict | None:
        return None  # NGF ignores HTTPRoute retry: the Retry extension stays for the report


class NginxGatewayFabricEmitter(EmitterBase):
    name = "nginx-gateway-fabric"
    options = (
        OptionSpec(
            auth.PLUS_OPTION,
            bool,
            False,
            "the gateway runs NGINX Plus: JWT and OIDC become AuthenticationFilters",
        ),
    )
    codes = codes.CODES
    gateway_class = DEFAULT_GATEWAY_CLASS
    description = (
        "Gateway API plus NGINX Gateway Fabric 2.6 policies (ClientSettingsPolicy, "
        "ProxySettingsPolicy, RateLimitPolicy, UpstreamSettingsPolicy, AuthenticationFilter) "
        "for what standard Gateway API lacks; never snippets"
    )

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        builder = NGFBuilder(ctx)
        out = builder.build(ir)
        bodies = {item.ref: item.body for item in out}
        state = State(ctx)
        for gateway in ir.gateways:
            if gateway.ref in bodies:
                nginx_proxy(state, gateway, bodies[gateway.ref])
                for kind in ROUTE_POLICIES:
                    items = [i for i in mapped(state, gateway.extensions) if i[1].policy == kind]
                    attach(state, kind, gateway.namespace, "Gateway", gateway.name, items)
        for route in ir.routes:
            body = bodies.get(route.ref)
            if body is None:
                continue
            route_policies(state, route)
            if isinstance(route, HTTPRoute):
                rules = body.get("spec", {}).get("rules", [])
                auth.auth_filters(state, route, rules, auth.plus(ctx.options))
        upstream.service_policies(ir, state, set(bodies))
        upstream.cookie_affinity_hints(ir.routes, state)
        retry_hints(ir.routes, state)
        require_gateway_classes(out, ctx)
        return state.finish(out)

    def carries(self, extension: Extension, target: Target) -> bool:
        """Basic auth, JWT with an https JWKS URL, OIDC with an https issuer, client id and
        Secret (an AuthenticationFilter on each rule). JWT and OIDC need NGINX Plus, which only
        the ``plus`` option says, and this question gets no options: without it they are left
        unconsumed, as is what cannot be attached (a Secret in another namespace, a
        GRPCRoute), and the pipeline closes their rules after emission."""
        return auth.carried(extension)


def retry_hints(routes: Iterable[Route], state: State) -> None:
    """Say why each retry stays unconverted (the pipeline also reports it)."""
    for route in routes:
        for owner in [route, *getattr(route, "rules", [])]:
            for ext in owner.extensions:
                if isinstance(ext, Retry) and not ext.consumed:
                    state.refuse(
                        ext,
                        codes.RETRY_IGNORED,
                        "NGF ignores HTTPRoute retry and has no policy for proxy_next_upstream",
                    )


def mapped(state: State, exts: Iterable[Extension]) -> list[Item]:
    items: list[Item] = []
    for ext in exts:
        mapper = policies.MAPPERS.get(type(ext))
        if ext.consumed or mapper is None:
            continue
        contribution = mapper(ext)
        if contribution is not None:
            items.append((ext, contribution))
        elif isinstance(ext, RateLimit) and not ext.per_client_ip:
            state.refuse(ext, codes.RATE_LIMIT_SHARED, "NGF local limits here count per client")
    return items


def route_policies(state: State, route: Route) -> None:
    rules: list[Rule] = list(getattr(route, "rules", []))
    if route.KIND not in POLICY_TARGETS:
        return  # no NGF policy targets it: the extensions stay for the report
    own = mapped(state, route.extensions)
    per_rule = [mapped(state, rule.extensions) for rule in rules]
    for kind in ROUTE_POLICIES:
        chosen = [item for item in own if item[1].policy == kind]
        of_rules = [[item for item in items if item[1].policy == kind] for items in per_rule]
        if any(of_rules):
            if len({_fingerprint(items) for items in of_rules}) > 1:
                for items in of_rules:
                    for ext, _ in items:
                        state.refuse(
                            ext,
                            codes.RULE_SCOPE,
                            f"a {kind} covers every rule of {route.KIND} {route.name}, and "
                            "its rules set this differently",
                        )
            else:
                seen = {id(ext) for ext, _ in chosen}
                for items in of_rules:
                    for ext, contribution in items:
                        if id(ext) not in seen:
                            seen.add(id(ext))
                            chosen.append((ext, contribution))
        attach(state, kind, route.namespace, route.KIND, route.name, chosen)


def _fingerprint(items: list[Item]) -> str:
    spec: JSONDict | None = {}
    for _, contribution in items:
        spec = _merge(spec or {}, contribution.spec)
        if spec is None:
            return f"conflict:{id(items)}"
    return canonical(spec or {})


def _merge(base: JSONDict, extra: JSONDict) -> JSONDict | None:
    try:
        return merged(base, extra)
    except MergeConflict:
        return None


def attach(
    state: State,
    kind: str,
    namespace: str | None,
    target_kind: str,
    target_name: str,
    items: list[Item],
) -> None:
    """One policy of ``kind`` targeting the object, from the items that merge."""
    spec: JSONDict = {}
    accepted: list[Item] = []
    for ext, contribution in items:
        try:
            spec = merged(spec, contribution.spec)
        except MergeConflict:
            state.refuse(
                ext,
                codes.CONFLICT,
                f"another setting of the {kind} of {target_kind} {target_name} already sets "
                f"{', '.join(sorted(contribution.spec))} differently",
            )
            continue
        accepted.append((ext, contribution))
    if not accepted:
        return
    target = target_ref(target_kind, target_name)
    # ClientSettingsPolicy takes one targetRef; the others a list (the CRDs).
    full: JSONDict = (
        {"targetRef": target, **spec}
        if kind == CLIENT_SETTINGS
        else {"targetRefs": [target], **spec}
    )
    identity = f"{target_kind}/{namespace}/{target_name}"
    name = state.name(kind, namespace, target_name, identity)
    obj = state.add_object(kind, namespace, name, full, [ext for ext, _ in accepted])
    for ext, contribution in accepted:
        state.accept(ext, contribution, [obj.ref])


def require_gateway_classes(out: list[Emitted], ctx: EmitContext) -> None:
    """Each GatewayClass the Gateways name must be NGF's: its policies mean nothing elsewhere."""
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        if name == DEFAULT_GATEWAY_CLASS:
            action = (
                f"install NGINX Gateway Fabric 2.6 (its Helm chart creates GatewayClass {name}, "
                f"controllerName {CONTROLLER_NAME})"
            )
        else:
            action = (
                f"install NGINX Gateway Fabric 2.6 and create GatewayClass {name} with "
                f"controllerName {CONTROLLER_NAME}, or pass --gateway-class-name "
                f"{DEFAULT_GATEWAY_CLASS} (the class its Helm chart creates)"
            )
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            ctx.report.require(Need.GATEWAY_CLASS, f"GatewayClass {name}", action, source=source)


__all__ = ["NginxGatewayFabricEmitter"]
