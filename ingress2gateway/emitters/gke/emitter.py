"""The gke emitter: the standard objects for what GKE implements (:mod:`.gate` takes out the
rest), GKE's GatewayClass on every Gateway, and GKE policies for the IR extensions GKE can
express, attached where GKE attaches them: backend settings to each Service a rule reaches
(:mod:`.backend`), listener TLS settings to the Gateway (:mod:`.gateway`).

A Service-attached policy applies to every route to that Service: when the source applied a
setting to some of those routes only, it is carried in part and said so (``gke-service-wide``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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
from ingress2gateway.reporting.report import Need, Recorder

from . import codes
from .backend import (
    SECURITY_POLICY_OPTION,
    SESSION_AFFINITY_OPTION,
    STATEFUL,
    MapEnv,
    backend_https,
    fragments,
    route_timeout,
)
from .gate import RouteTimeout, View, gke_view
from .gateway import ALLOW_GLOBAL_ACCESS_OPTION, SSL_POLICY_OPTION, gateway_policies
from .policies import Policies, Target, canonical

if TYPE_CHECKING:
    from ingress2gateway.target import Target as APITarget

GATEWAY_CLASS_OPTION = "gateway-class"
GATEWAY_CLASSES = (
    "gke-l7-global-external-managed",
    "gke-l7-regional-external-managed",
    "gke-l7-rilb",
    "gke-l7-gxlb",
)
"""The single-cluster L7 GatewayClasses GKE installs (its "GatewayClass capabilities" page);
the ``-mc`` variants route to ServiceImports of a fleet, which nothing here produces."""
DEFAULT_CLASS = GATEWAY_CLASSES[0]
REGIONAL_CLASSES = frozenset({"gke-l7-regional-external-managed", "gke-l7-rilb"})
CONTROLLER_NAME = "networking.gke.io/gateway"

GCP_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
"""A Compute Engine resource name (RFC 1035 label): Cloud Armor and SSL policy names."""

ServiceKey = tuple[str | None, str]
Place = tuple[str, int]


class GKEEmitter(EmitterBase):
    name = "gke"
    description = (
        "Gateway API for GKE's Gateway controller, plus GCPBackendPolicy, "
        "GCPSessionAffinityPolicy, GCPTrafficDistributionPolicy and GCPGatewayPolicy "
        "(networking.gke.io v1.4.0 kinds) for what GKE can express"
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec(
            GATEWAY_CLASS_OPTION,
            GATEWAY_CLASSES,
            DEFAULT_CLASS,
            "the GKE GatewayClass of Gateways that name none of GKE's (gke-l7-rilb: internal; "
            "gke-l7-regional-external-managed: regional external)",
        ),
        OptionSpec(
            SECURITY_POLICY_OPTION,
            str,
            "",
            "a Cloud Armor security policy you create with the source's rate limits: attached "
            "to the Services of rate-limited routes (GCPBackendPolicy securityPolicy)",
        ),
        OptionSpec(
            SESSION_AFFINITY_OPTION,
            ("generated-cookie", STATEFUL),
            "generated-cookie",
            "cookie affinity as GCPBackendPolicy GENERATED_COOKIE (a hash: some clients move "
            "when endpoints change), or stateful-cookie: GCPSessionAffinityPolicy, a cookie "
            "naming the endpoint, as ingress-nginx's (check your GatewayClass supports it)",
        ),
        OptionSpec(
            SSL_POLICY_OPTION,
            str,
            "",
            "a GCP SSL policy you create with the source's TLS versions and ciphers: attached "
            "to every Gateway (GCPGatewayPolicy sslPolicy)",
        ),
        OptionSpec(
            ALLOW_GLOBAL_ACCESS_OPTION,
            bool,
            False,
            "internal (gke-l7-rilb) Gateways accept clients of every region "
            "(GCPGatewayPolicy allowGlobalAccess)",
        ),
    )
    codes: Mapping[str, str] = codes.CODES

    def emit(self, ir: IR, ctx: EmitContext) -> list[Emitted]:
        settings = checked_options(ctx)
        view = gke_view(ir, ctx.report)
        view.ir.gateways = [
            gke_class(gateway, settings.gateway_class, ctx.report) for gateway in view.ir.gateways
        ]
        builder = GatewayAPIBuilder(ctx)
        out = builder.build(view.ir)
        emitted_refs = {item.ref for item in out}
        policies = Policies(ctx.report)
        gateway_policies(
            view.ir, policies, settings.ssl_policy, settings.allow_global_access, emitted_refs
        )
        services = ServicePlan(
            view,
            policies,
            MapEnv(settings.security_policy, settings.stateful_affinity),
            emitted_refs,
        )
        services.apply()
        policies.settle()
        credit_built(out, policies)
        services.report_unplaced(ctx.report)
        require_prerequisites(out, ctx.report)
        report_health_checks(services.users, ctx.report)
        return out + policies.objects()

    def carries(self, extension: Extension, target: APITarget) -> bool:
        """No access control. GKE's are GCP objects (Cloud Armor for IP lists, IAP for
        sign-in) or kinds newer than v1.4.0 (GCPAuthzPolicy); none can be made from the
        source's values here, and an option naming a Cloud Armor policy cannot be asked for
        (this hook does not see the options): the rules they protect are emitted closed."""
        return False


@dataclass(frozen=True)
class Settings:
    """The options, read and checked."""

    gateway_class: str = DEFAULT_CLASS
    security_policy: str = ""
    ssl_policy: str = ""
    allow_global_access: bool = False
    stateful_affinity: bool = False


def checked_options(ctx: EmitContext) -> Settings:
    """The options; a GCP resource name that is not one is left out (and said so): it would
    be written into the output."""
    wanted = str(ctx.options.get(GATEWAY_CLASS_OPTION) or DEFAULT_CLASS)
    names: dict[str, str] = {}
    for key in (SECURITY_POLICY_OPTION, SSL_POLICY_OPTION):
        value = str(ctx.options.get(key) or "")
        if value and not GCP_NAME.fullmatch(value):
            ctx.report.error(
                "gke-invalid-option",
                f"--emitter-option {key}={value[:80]!r} is not a GCP resource name (lowercase "
                "letters, digits and '-', starting with a letter, at most 63 characters); "
                "it is not used",
            )
            value = ""
        names[key] = value
    flag = str(ctx.options.get(ALLOW_GLOBAL_ACCESS_OPTION, "")).strip().lower()
    return Settings(
        gateway_class=wanted if wanted in GATEWAY_CLASSES else DEFAULT_CLASS,
        security_policy=names[SECURITY_POLICY_OPTION],
        ssl_policy=names[SSL_POLICY_OPTION],
        allow_global_access=flag in {"true", "yes", "1", "on"},
        stateful_affinity=ctx.options.get(SESSION_AFFINITY_OPTION) == STATEFUL,
    )


def gke_class(gateway: Gateway, wanted: str, report: Recorder) -> Gateway:
    """GKE serves only its own GatewayClasses: a Gateway naming another (the ingress class,
    for want of --gateway-class-name) names ``wanted``; one naming a GKE class keeps it."""
    if gateway.gateway_class.startswith("gke-l7-"):
        return gateway
    for prov in gateway.provenance[:1] or [None]:  # type: ignore[list-item]
        report.info(
            "gke-gateway-class",
            f"Gateway {gateway.name} names GatewayClass {wanted!r} instead of "
            f"{gateway.gateway_class!r}, which GKE does not serve (choose another GKE class "
            "with --gateway-class-name or --emitter-option gateway-class=...)",
            source=prov.source if prov else None,
        )
    return replace(gateway, gateway_class=wanted)


@dataclass
class ServicePlan:
    """Which Services each rule reaches, and the extensions that apply there."""

    view: View
    policies: Policies
    env: MapEnv
    emitted: set[ObjectRef]
    users: dict[ServiceKey, set[Place]] = field(default_factory=dict)
    unplaced: list[RouteTimeout] = field(default_factory=list)

    def apply(self) -> None:
        routes = [r for r in self.view.ir.routes if r.ref in self.emitted]
        routes.sort(key=lambda r: (r.KIND, r.namespace or "", r.name))
        gateways = {(g.namespace, g.name): g for g in self.view.ir.gateways}
        reached: dict[int, list[ServiceKey]] = {}
        for route in routes:
            for index, rule in enumerate(rules_of(route)):
                keys = services_of(route, index)
                reached[id(rule)] = keys
                for key in keys:
                    self.users.setdefault(key, set()).add((route.ref.display(), index))
        # (extension, Service) → the places it applies there, in first-met order.
        places: dict[tuple[int, ServiceKey], tuple[Extension, set[Place]]] = {}
        tls: dict[int, tuple[BackendTLSOptions, list[ObjectRef]]] = {}
        for route in routes:
            inherited: list[Extension] = []
            for parent in route.parent_refs:
                gateway = gateways.get((parent.namespace or route.namespace, parent.name))
                if parent.kind == "Gateway" and gateway is not None:
                    inherited.extend(gateway.extensions)
            for index, rule in enumerate(rules_of(route)):
                for ext in [*inherited, *route.extensions, *rule.extensions]:
                    if ext.consumed:
                        continue
                    if isinstance(ext, BackendTLSOptions):
                        tls.setdefault(id(ext), (ext, []))[1].append(route.ref)
                        continue
                    for key in reached[id(rule)]:
                        entry = places.setdefault((id(ext), key), (ext, set()))
                        entry[1].add((route.ref.display(), index))
        mapped = [
            (ext, key, where, fragment)
            for (_, key), (ext, where) in places.items()
            for fragment in fragments(ext, self.env)
        ]
        # The rules that asked for the same setting on a Service: a setting is widened only
        # to rules of that Service none of which asked for it.
        asked: dict[tuple[ServiceKey, str, str], set[Place]] = {}
        for _, key, where, fragment in mapped:
            asked.setdefault((key, fragment.kind, canonical(fragment.spec)), set()).update(where)
        for ext, key, _, fragment in mapped:
            same = asked[(key, fragment.kind, canonical(fragment.spec))]
            self.policies.add(
                ext,
                ext.describe(),
                fragment,
                service_target(key),
                extra_note=self.widened(key, same),
            )
        for ext, refs in tls.values():
            carried = backend_https(ext, refs[0].namespace)
            if carried is not None:
                self.policies.accept(ext, ext.describe(), carried, refs)
        for timeout in self.view.timeouts:
            route = timeout.route
            keys = services_of(route, timeout.rule_index)
            if not keys or route.ref not in self.emitted:
                self.unplaced.append(timeout)
                continue
            what = f"the timeout {timeout.text} of a rule of {route.KIND} {route.name}"
            for key in keys:
                fragment = route_timeout(timeout.seconds)
                fragment.warnings.append(
                    (
                        "gke-service-wide",
                        f"{what} is carried as the timeoutSec ({timeout.seconds} s) of "
                        f"Service {key[1]}: GKE implements no HTTPRoute timeouts, and its "
                        "backend timeout applies to every route to the Service",
                    )
                )
                self.policies.add(timeout, what, fragment, service_target(key), ledger=False)

    def widened(self, key: ServiceKey, where: set[Place]) -> str | None:
        """What a policy on Service ``key`` adds to the rules that did not ask for it."""
        others = self.users.get(key, set()) - where
        if not others:
            return None
        return (
            f"attached to Service {key[1]}, it also applies to {len(others)} other rule(s) "
            "that route to it"
        )

    def report_unplaced(self, report: Recorder) -> None:
        for timeout in self.unplaced + [
            v.source
            for v in self.policies.verdicts.values()
            if isinstance(v.source, RouteTimeout) and not v.targets
        ]:
            for prov in timeout.provenance:
                report.warning(
                    "gke-unsupported-feature",
                    f"the timeout {timeout.text} of a rule of {timeout.route.KIND} "
                    f"{timeout.route.name} is not carried: GKE implements no HTTPRoute timeouts "
                    "and the rule reaches no Service whose GCPBackendPolicy could hold it",
                    source=prov.source,
                    field=prov.field,
                )


def credit_built(out: list[Emitted], policies: Policies) -> None:
    """Extensions carried by the builder's objects themselves (a route whose Service the user
    sets up, say) are credited to them: the ledger then names those objects."""
    built = {item.ref: item for item in out}
    for verdict in policies.verdicts.values():
        if not verdict.ledger:
            continue
        for ref in sorted(verdict.targets & built.keys(), key=lambda r: r.display()):
            item = built[ref]
            item.provenance = list(dict.fromkeys([*item.provenance, *verdict.source.provenance]))


def rules_of(route: Route) -> list[Rule]:
    return list(route.rules) if isinstance(route, (HTTPRoute, GRPCRoute)) else []


def services_of(route: Route, index: int) -> list[ServiceKey]:
    """The core Services rule ``index`` of ``route`` reaches (GKE's policies target those)."""
    if not isinstance(route, (HTTPRoute, GRPCRoute)):
        return []
    keys: list[ServiceKey] = []
    for backend in route.rules[index].backend_refs:
        if backend.kind == "Service" and backend.group in ("", "core"):
            key = (backend.namespace or route.namespace, backend.name)
            if key not in keys:
                keys.append(key)
    return keys


def service_target(key: ServiceKey) -> Target:
    return Target("Service", key[0], key[1])


def require_prerequisites(out: Iterable[Emitted], report: Recorder) -> None:
    """What GKE needs before the output works, once per GatewayClass (with the Gateways that
    need it as sources)."""
    for item in out:
        if item.ref.kind != "Gateway":
            continue
        name = item.body.get("spec", {}).get("gatewayClassName")
        if not isinstance(name, str):
            continue
        sources: list[SourceRef | None] = [*item.sources] or [None]
        for source in sources:
            report.require(
                Need.GATEWAY_CLASS,
                f"GatewayClass {name}",
                "enable the Gateway API on the GKE cluster (VPC-native, with the "
                "HttpLoadBalancing add-on: gcloud container clusters update CLUSTER "
                "--gateway-api=standard); GKE then installs its GatewayClasses, controllerName "
                f"{CONTROLLER_NAME}",
                source=source,
            )
            if name in REGIONAL_CLASSES:
                report.require(
                    Need.IMPLEMENTATION_FEATURE,
                    "proxy-only subnet",
                    f"create a proxy-only subnet (--purpose=REGIONAL_MANAGED_PROXY) in the "
                    f"cluster's region and VPC: Gateways of class {name} need one",
                    source=source,
                )


def report_health_checks(users: dict[ServiceKey, set[Place]], report: Recorder) -> None:
    if not users:
        return
    names = sorted(f"{ns}/{name}" if ns else name for ns, name in users)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    report.info(
        "gke-default-health-check",
        "GKE health-checks each backend Service of a Gateway (without a HealthCheckPolicy: "
        "HTTP GET / on the serving port) and sends no traffic to endpoints that fail it; the "
        "source controller trusted Pod readiness. "
        f"Add a HealthCheckPolicy where / does not answer 200: {shown}",
    )
