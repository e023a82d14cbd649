"""The istio emitter: the standard objects, with Istio's GatewayClass, then Istio policies for
the IR extensions Istio can express — access controls on the Gateway (:mod:`.security`, scoped
by :mod:`.scope`), backend settings on each Service (:mod:`.destination`) — and the reports of
where Istio reads a standard field differently (``timeouts.backendRequest``, ``retry``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder
from ingress2gateway.ir import (
    IR,
    BackendTLSOptions,
    Extension,
    Gateway,
    GRPCRoute,
    HTTPRoute,
    Route,
    Rule,
)
from ingress2gateway.objects import ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted, EmitterBase, OptionSpec
from ingress2gateway.reporting.report import Need, Recorder, Status

from . import codes, destination, security
from ._book import Book, Carried
from .scope import EVERYTHING, Scope, covers, operations, rule_scope

if TYPE_CHECKING:
    from ingress2gateway.target import Target

DEFAULT_GATEWAY_CLASS = "istio"
CONTROLLER_NAME = "istio.io/gateway-controller"
PROVIDER_OPTION = "ext-authz-provider"

ServiceKey = tuple[str | None, str]


class IstioEmitter(EmitterBase):
    name = "istio"
    description = (
        "Gateway API for Istio 1.30 (GatewayClass istio), plus AuthorizationPolicy, "
        "RequestAuthentication and DestinationRule for what standard Gateway API lacks"
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec(
            PROVIDER_OPTION,
            str,
            security.DEFAULT_PROVIDER,
            "the name of the MeshConfig extensionProvider (envoyExtAuthzHttp) external auth "
            "calls; a second auth URL gets NAME-2, and so on",
        ),
    )
    codes: Mapping[str, str] = codes.CODES
    gateway_class: str | None = DEFAULT_GATEWAY_CLASS

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(ir)
        emitted = {item.ref for item in out}
        book = Book(ctx.report)
        providers = security.Providers(provider_name(ctx))
        Security(ir, book, providers, emitted).apply()
        destination_rules(ir, book, emitted, ctx.report)
        book.settle()
        report_standard_semantics(out, ctx.report)
        require_gateway_classes(out, ctx.report)
        return out + book.emitted()

    def carries(self, extension: Extension, target: Target) -> bool:
        """The access controls :mod:`.security` writes: IP lists whose every entry is an
        address or CIDR, JWT with a known issuer (and an http(s) JWKS URL if any), external
        auth at an http(s) URL. Basic auth, API keys, OIDC and client certificates are not
        carried (their rules are closed)."""
        return security.access(extension, security.Providers(security.DEFAULT_PROVIDER)) is not None


def provider_name(ctx: EmitContext) -> str:
    value = str(ctx.options.get(PROVIDER_OPTION) or security.DEFAULT_PROVIDER)
    if security.PROVIDER_NAME.fullmatch(value):
        return value
    ctx.report.error(
        "istio-invalid-option",
        f"--emitter-option {PROVIDER_OPTION}={value[:80]!r} is not a provider name (lowercase "
        f"letters, digits, '-' and '.'); {security.DEFAULT_PROVIDER!r} is used",
    )
    return security.DEFAULT_PROVIDER


def rules_of(route: Route) -> list[Rule]:
    return list(route.rules) if isinstance(route, (HTTPRoute, GRPCRoute)) else []


def parent_gateways(ir: IR, route: Route) -> list[Gateway]:
    gateways = {(g.namespace, g.name): g for g in ir.gateways}
    sets = {(s.namespace, s.name): s.gateway for s in ir.listener_sets}
    found: list[Gateway] = []
    for parent in route.parent_refs:
        key = (parent.namespace or route.namespace, parent.name)
        gateway = gateways.get(key) if parent.kind == "Gateway" else sets.get(key)
        if gateway is not None and gateway not in found:
            found.append(gateway)
    return found


class Security:
    """One AuthorizationPolicy per security extension and Gateway it applies on (per route:
    scoped to the route's rules that have it); RequestAuthentication per Gateway."""

    def __init__(
        self, ir: IR, book: Book, providers: security.Providers, emitted: set[ObjectRef]
    ) -> None:
        self.ir = ir
        self.book = book
        self.providers = providers
        self.emitted = emitted
        self.routes = sorted(
            (r for r in ir.routes if r.ref in emitted),
            key=lambda r: (r.KIND, r.namespace or "", r.name),
        )

    def apply(self) -> None:
        for gateway in sorted(self.ir.gateways, key=lambda g: (g.namespace or "", g.name)):
            if gateway.ref not in self.emitted:
                continue
            for index, ext in enumerate(gateway.extensions):
                self.place(
                    ext, gateway, [EVERYTHING], gateway.name, f"{gateway.ref.display()}#{index}"
                )
        for route in self.routes:
            wanted: dict[int, tuple[Extension, list[Scope], list[int]]] = {}
            rules = rules_of(route)
            for index, rule in enumerate(rules):
                for ext in [*route.extensions, *rule.extensions]:
                    if type(ext) in security.MAPPERS and not ext.consumed:
                        entry = wanted.setdefault(id(ext), (ext, [], []))
                        entry[1].append(rule_scope(route, rule))
                        entry[2].append(index)
            gateways = parent_gateways(self.ir, route)
            for ordinal, (ext, scopes, indexes) in enumerate(wanted.values()):
                if not gateways:
                    self.book.reject(ext, f"{route.KIND} {route.name} is attached to no Gateway")
                for gateway in gateways:
                    identity = f"{route.ref.display()}#{ordinal}"
                    self.place(ext, gateway, scopes, route.name, identity, route, indexes)

    def place(
        self,
        ext: Extension,
        gateway: Gateway,
        scopes: list[Scope],
        label: str,
        identity: str,
        route: Route | None = None,
        indexes: list[int] | None = None,
    ) -> None:
        item = security.access(ext, self.providers)
        if item is None:
            return
        to = operations(scopes)
        warnings = list(item.warnings)
        status = item.status
        if route is not None:
            others = self.overlaps(ext, gateway, scopes, route, indexes or [])
            if others:
                status = Status.PARTIAL
                warnings.append(
                    (
                        "istio-authz-scope",
                        f"{ext.describe()} of {route.KIND} {route.name} is enforced by an "
                        f"AuthorizationPolicy on Gateway {gateway.name} scoped by host and "
                        f"path, which also covers {', '.join(others[:5])}"
                        + (f" and {len(others) - 5} more" if len(others) > 5 else ""),
                    )
                )
        name = self.book.name(security.AUTHZ, gateway.namespace, f"{label}-{item.suffix}", identity)
        spec = security.policy_spec(gateway.name, item, to)
        carried = Carried(spec, status, item.note, warnings, item.needs)
        self.book.add(
            ext, security.SECURITY_API, security.AUTHZ, gateway.namespace, name, carried, name
        )
        if item.jwt_rule is not None:
            self.request_authentication(ext, gateway, item.jwt_rule)

    def request_authentication(
        self, ext: Extension, gateway: Gateway, rule: dict[str, object]
    ) -> None:
        name = self.book.name(
            security.REQUEST_AUTHN, gateway.namespace, f"{gateway.name}-jwt", gateway.ref.display()
        )
        ref = ObjectRef(security.REQUEST_AUTHN, gateway.namespace, name)
        existing = self.book.objects.get(ref)
        rules: list[dict[str, object]] = list(existing.body["spec"]["jwtRules"]) if existing else []
        if any(r.get("issuer") == rule["issuer"] and r != rule for r in rules):
            self.book.reject(
                ext, f"RequestAuthentication {name} has issuer {rule['issuer']} with other keys"
            )
            return
        if rule not in rules:
            rules.append(rule)
        spec = {
            "targetRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway.name}
            ],
            "jwtRules": rules,
        }
        if existing is not None:
            existing.body["spec"] = spec
            self.book.accept(ext, Carried({}), [ref])
        else:
            self.book.add(
                ext,
                security.SECURITY_API,
                security.REQUEST_AUTHN,
                gateway.namespace,
                name,
                Carried(spec),
                name,
            )

    def overlaps(
        self,
        ext: Extension,
        gateway: Gateway,
        scopes: list[Scope],
        route: Route,
        indexes: list[int],
    ) -> list[str]:
        """Rules of other routes (or other rules of this one) on ``gateway`` without ``ext``
        whose requests fall within ``scopes``."""
        found: list[str] = []
        for other in self.routes:
            if gateway not in parent_gateways(self.ir, other):
                continue
            for index, rule in enumerate(rules_of(other)):
                if other is route and index in indexes:
                    continue
                if any(e is ext for e in [*other.extensions, *rule.extensions]):
                    continue
                if any(covers(scope, other, rule) for scope in scopes):
                    found.append(f"rule {index} of {other.KIND} {other.name}")
        return found


def services_of(route: Route, rule: Rule) -> list[ServiceKey]:
    keys: list[ServiceKey] = []
    for backend in rule.backend_refs:
        if backend.kind == "Service" and backend.group in ("", "core"):
            key = (backend.namespace or route.namespace, backend.name)
            if key not in keys:
                keys.append(key)
    return keys


def destination_rules(ir: IR, book: Book, emitted: set[ObjectRef], report: Recorder) -> None:
    """One DestinationRule per Service the extensions of a rule reach (a BackendTLSOptions
    names its Service itself)."""
    routes = sorted(
        (r for r in ir.routes if r.ref in emitted),
        key=lambda r: (r.KIND, r.namespace or "", r.name),
    )
    widened: dict[ServiceKey, list[SourceRef]] = {}
    wanted: list[tuple[Extension, ServiceKey, Carried]] = []
    for route in routes:
        gateways = parent_gateways(ir, route)
        inherited = [e for g in gateways for e in g.extensions]
        gateway_ns = gateways[0].namespace if gateways else route.namespace
        for rule in rules_of(route):
            for ext in [*inherited, *route.extensions, *rule.extensions]:
                if ext.consumed or type(ext) not in destination.MAPPERS:
                    continue
                carried = destination.carried(ext, gateway_ns)
                if carried is None:
                    continue
                if isinstance(ext, BackendTLSOptions):
                    keys = [(ext.namespace or route.namespace, ext.service)]
                else:
                    keys = services_of(route, rule)
                wanted.extend((ext, key, carried) for key in keys)
    # A load balancer is a simple algorithm or a consistent hash, never both (the CRD's
    # oneOf): affinity goes first and wins, as nginx's sticky cookie overrode its balancer.
    wanted.sort(key=lambda item: "consistentHash" not in item[2].spec.get("loadBalancer", {}))
    for ext, key, carried in wanted:
        if add_destination_rule(book, ext, key, carried):
            widened.setdefault(key, []).extend(p.source for p in ext.provenance)
    for key, sources in sorted(widened.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        first = sorted(set(sources), key=SourceRef.sort_key)[:1]
        report.info(
            "istio-service-wide",
            f"DestinationRule {key[1]} (host {destination.service_host(key[1], key[0])}) applies "
            "to every client of the Service: every route to it and the mesh's sidecars; merge "
            "it by hand with a DestinationRule for that host you already have (Istio applies "
            "only one per host)",
            source=first[0] if first else None,
        )


def add_destination_rule(book: Book, ext: Extension, key: ServiceKey, carried: Carried) -> bool:
    namespace, service = key
    name = book.name(
        destination.DESTINATION_RULE, namespace, service, f"Service/{namespace}/{service}"
    )
    existing = book.objects.get(ObjectRef(destination.DESTINATION_RULE, namespace, name))
    if existing is not None:
        have = existing.body["spec"]["trafficPolicy"].get("loadBalancer", {})
        adds = carried.spec.get("loadBalancer", {})
        if have and adds and have != adds:
            # One algorithm or one hash key per Service (the CRD's oneOf): never merged.
            book.reject(ext, f"DestinationRule {name} already has another loadBalancer")
            return False
    spec = {"host": destination.service_host(service, namespace), "trafficPolicy": carried.spec}
    item = Carried(spec, carried.status, carried.note, carried.warnings, carried.needs)
    return book.add(
        ext,
        destination.NETWORKING_API,
        destination.DESTINATION_RULE,
        namespace,
        name,
        item,
        f"DestinationRule {name}",
    )


def report_standard_semantics(out: Iterable[Emitted], report: Recorder) -> None:
    """Where Istio reads a standard field the source's way or not (implementations.md §7.4)."""
    for item in out:
        if item.ref.kind != "HTTPRoute":
            continue
        rules = item.body.get("spec", {}).get("rules", [])
        backend = [r for r in rules if "backendRequest" in r.get("timeouts", {})]
        retried = [r for r in rules if "retry" in r]
        source = item.sources[0] if item.sources else None
        if backend:
            report.warning(
                "istio-backend-timeout",
                f"HTTPRoute {item.ref.name}: Istio reads timeouts.backendRequest as the per-try "
                "timeout of a rule with a retry, and otherwise as the whole route timeout "
                "(replacing timeouts.request)",
                source=source,
            )
        if retried:
            report.info(
                "istio-retry-conditions",
                f"HTTPRoute {item.ref.name}: Istio retries also on connect-failure, "
                "refused-stream, unavailable and cancelled, besides the codes listed",
                source=source,
            )


def require_gateway_classes(out: Iterable[Emitted], report: Recorder) -> None:
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        if name == DEFAULT_GATEWAY_CLASS:
            action = (
                "install Istio 1.30 with the Gateway API CRDs: istiod creates GatewayClass "
                f"{name} (controllerName {CONTROLLER_NAME}) and deploys a proxy per Gateway"
            )
        else:
            action = (
                f"install Istio 1.30 and create GatewayClass {name} with controllerName "
                f"{CONTROLLER_NAME}, or pass --gateway-class-name {DEFAULT_GATEWAY_CLASS}"
            )
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            report.require(Need.GATEWAY_CLASS, f"GatewayClass {name}", action, source=source)
