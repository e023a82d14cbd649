"""Applying the Kong settings to the rules each Ingress contributed.

Lowering (shared with the other Ingress providers) builds one HTTPRoute per host that may hold
rules of several Ingresses. Everything here touches only ``lowered.rules_of(ingress)``: when an
Ingress needs a different route shape (HTTPS only, a GRPCRoute, alias hosts) its rules are moved
or copied into routes of their own, so nothing leaks onto another Ingress's rules.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import IngressModel, precedence_key
from ingress2gateway.converting.lowering import Lowered, tls_covers
from ingress2gateway.ir import (
    BackendRef,
    Extension,
    Gateway,
    GRPCMethodMatch,
    GRPCRoute,
    HTTPRoute,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    PathModifier,
    Provenance,
    RegexRewrite,
    RequestRedirect,
    Route,
    Rule,
    SecretRef,
    URLRewrite,
    made_from,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Level, Status

from . import kongingress, ordering, paths, plugins, routing, services, upstream_policy
from .common import FACADE_GROUP, KongRun, Setting, annotation_field, split_list
from .routing import RouteSettings
from .services import ServiceSettings
from .upstream_policy import UpstreamSpec

MAX_RULES = 16
MAX_MATCHES = 64
_GRPC_SERVICE = re.compile(r"^\.?[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*\Z")
_GRPC_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*\Z")
_PATH_FIELD = re.compile(r"^(spec\.rules\[\d+\])\.http\.paths\[\d+\]\Z")
Pair = tuple[HTTPRoute | GRPCRoute, Rule]


@dataclass
class Upstream:
    settings: ServiceSettings
    upstreams: list[UpstreamSpec] = field(default_factory=list)


@dataclass
class Translator:
    run: KongRun
    lowered: Lowered
    upstreams: dict[tuple[str | None, str], Upstream] = field(default_factory=dict)
    new_routes: list[HTTPRoute | GRPCRoute] = field(default_factory=list)
    character_prefixes: ordering.CharacterPrefixes = field(default_factory=dict)
    """ImplementationSpecific plain paths (Kong's character prefixes), see
    :func:`ordering.keep_character_prefixes`."""
    upstream_paths: dict[tuple[SourceRef, str], ordering.Upstream] = field(default_factory=dict)
    """By a path's input field: whether its rule strips the path, the Service path, and the
    fields that say so (for :func:`ordering.keep_character_prefixes`)."""
    kong_hosts: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """``id()`` of a rule → the hosts of the Kong route it stands for, where they are not the
    hostnames of its route (host aliases; none for the rules of hostless routes)."""
    dropped: set[int] = field(default_factory=set)
    """``id()`` of routes emptied by moves: still in the route lists (removing each from a list
    of every route was quadratic: 1,300 drops at 10k Ingresses) until :meth:`finish_routes`."""

    # --- Services ----------------------------------------------------------------------------

    def upstream(self, namespace: str | None, name: str) -> Upstream:
        key = (namespace, name)
        found = self.upstreams.get(key)
        if found is not None:
            return found
        run = self.run
        obj = run.services.get(key)
        settings = services.read(run, obj, namespace, name)
        found = Upstream(settings)
        self.upstreams[key] = found
        if obj is None:
            return found
        run.ctx.claim(obj)
        source = obj.source()
        override = obj.annotations.get(kongingress.OVERRIDE_KEY)
        if override:
            field_path = annotation_field(kongingress.OVERRIDE_KEY)
            linked = kongingress.resolve(run, namespace, override, source, field_path)
            if linked is not None:
                kongingress.apply_service(run, linked, settings, found.upstreams)
                for key_name in sorted(kongingress.section(linked, "route")):
                    prefix = kongingress.section_prefix(linked, "route")
                    run.unsupported(
                        linked.source(),
                        f"{prefix}.{key_name}",
                        "a KongIngress route section is read only when an Ingress links it "
                        "(this one is linked from a Service)",
                    )
                run.record(source, field_path, Status.CONVERTED)
        policy_name = obj.annotations.get("konghq.com/upstream-policy")
        if policy_name:
            field_path = annotation_field("konghq.com/upstream-policy")
            policy = run.upstream_policies.get((namespace, policy_name.strip()))
            if policy is None:
                run.missing(
                    source, field_path, f"KongUpstreamPolicy {policy_name} is not in the input"
                )
            else:
                spec = upstream_policy.from_policy(run, policy)
                # The annotation that links the policy shares the fate of what it carries.
                spec.provenance.append(Provenance(source, field_path))
                found.upstreams.append(spec)
        return found

    def upstream_extensions(self, upstream: Upstream) -> list[Extension]:
        found = services.rule_extensions(upstream.settings)
        for spec in upstream.upstreams:
            for ext in spec.extensions():
                ext.provenance.extend(p for p in spec.provenance if p not in ext.provenance)
                found.append(ext)
        return found

    # --- Ingresses ---------------------------------------------------------------------------

    def apply(self, models: list[IngressModel]) -> None:
        global_plugins = plugins.global_plugins(self.run)
        for obj in global_plugins:
            if not self.run.class_ok(obj):
                self.run.differs(
                    obj.source(),
                    annotation_field("kubernetes.io/ingress.class"),
                    "a global KongClusterPlugin without Kong's kubernetes.io/ingress.class: the "
                    "Kong Ingress Controller left it out, so Kong ran it on no route; it is "
                    "converted onto every route all the same (stricter than Kong was, if it "
                    "controls access)",
                )
        for model in sorted(models, key=precedence_key):
            self.apply_ingress(model, global_plugins)
        self.finish_routes()

    def apply_ingress(self, model: IngressModel, global_plugins: list[KubeObject]) -> None:
        run = self.run
        source = model.source
        settings = routing.read(run, model)
        annotations = model.obj.annotations
        override = annotations.get(kongingress.OVERRIDE_KEY)
        if override:
            field_path = annotation_field(kongingress.OVERRIDE_KEY)
            linked = kongingress.resolve(run, model.namespace, override, source, field_path)
            if linked is not None:
                kongingress.apply_route(run, linked, settings)
                for name in ("proxy", "upstream"):
                    prefix = kongingress.section_prefix(linked, name)
                    for key in sorted(kongingress.section(linked, name)):
                        run.unsupported(
                            linked.source(),
                            f"{prefix}.{key}",
                            f"a KongIngress {name} section is read only when a Service links it "
                            "(this one is linked from an Ingress)",
                        )
                run.record(source, field_path, Status.CONVERTED)
        else:
            named = kongingress.same_name(run, model)
            if named is not None:
                kongingress.apply_route(run, named, settings)
                run.fyi(
                    source,
                    None,
                    f"KongIngress {named.name} has this Ingress's name: the Kong Ingress "
                    "Controller 2.x applied its route section to the Ingress without a "
                    "konghq.com/override annotation, and so does the conversion",
                )
        if paths.REGEX_PREFIX_KEY in annotations:
            run.record(source, annotation_field(paths.REGEX_PREFIX_KEY), Status.CONVERTED)
        for path in model.paths:
            change = paths.character_prefix_change(model, path, self.run.legacy_regex)
            if change is not None:  # matched exactly or reported at the end
                self.character_prefixes[(source, path.field)] = (path.path, change)
        ingress_plugins = self.plugin_refs(model)
        pairs: list[Pair] = list(self.lowered.rules_of(source))
        for _, rule in pairs:
            self.apply_rule(model, settings, rule, ingress_plugins, global_plugins)
        self.record_route_settings(model, settings, bool(pairs))
        pairs = self.split_grpc(model, settings, pairs)
        pairs = self.https_only(model, settings, pairs)
        self.host_aliases(model, settings, pairs)

    def plugin_refs(self, model: IngressModel) -> list[tuple[KubeObject, Provenance]]:
        text = model.obj.annotations.get("konghq.com/plugins")
        if text is None:
            return []
        return self.resolve_plugins(model.namespace, text, model.obj)

    def resolve_plugins(
        self, namespace: str | None, text: str, owner: KubeObject
    ) -> list[tuple[KubeObject, Provenance]]:
        run = self.run
        source = owner.source()
        field_path = annotation_field("konghq.com/plugins")
        found = []
        for ref in split_list(text):
            obj = plugins.resolve(run, namespace, ref)
            if obj is None:
                run.missing(
                    source,
                    field_path,
                    f"plugin {ref} (KongPlugin or KongClusterPlugin) is not in the input; "
                    "what it did is not converted",
                )
                continue
            if plugins.is_disabled(obj):
                run.use(obj)
                run.fyi(source, field_path, f"plugin {ref} is disabled; nothing to convert")
                run.record(source, field_path, Status.CONVERTED)
                continue
            if obj.kind == "KongClusterPlugin" and not run.class_ok(obj):
                run.differs(
                    source,
                    field_path,
                    f"KongClusterPlugin {ref} has no kubernetes.io/ingress.class of Kong's, so "
                    "the Kong Ingress Controller left it out and Kong did not run it here; it is "
                    "converted all the same (stricter than Kong was, if it controls access)",
                )
            found.append((obj, Provenance(source, field_path)))
        return found

    def apply_rule(
        self,
        model: IngressModel,
        settings: RouteSettings,
        rule: Rule,
        ingress_plugins: list[tuple[KubeObject, Provenance]],
        global_plugins: list[KubeObject],
    ) -> None:
        run = self.run
        routing.expand_matches(rule, settings.methods, settings.headers)
        facade_plugins = self.resolve_facades(model, rule)
        backend = rule.backend_refs[0] if rule.backend_refs else None
        upstream: Upstream | None = None
        if backend is not None and backend.kind == "Service" and not backend.group:
            upstream = self.upstream(backend.namespace or model.namespace, backend.name)
            run.service_users.add((backend.namespace or model.namespace, backend.name))
        self.rewrite(model, settings, rule, backend, upstream)
        buffering = routing.buffering(settings)
        if buffering is not None:
            rule.extensions.append(buffering)
        chosen: dict[str, tuple[KubeObject, Provenance]] = {}
        # Kong's precedence: a route's plugin beats the Service's, which beats a global one.
        candidates = list(ingress_plugins) + facade_plugins
        if upstream is not None and upstream.settings.plugins is not None and upstream.settings.obj:
            candidates += self.service_plugins(upstream)
        for obj in global_plugins:
            candidates.append((obj, Provenance(obj.source(), "metadata.labels[global]")))
        for obj, prov in candidates:
            winner = chosen.setdefault(plugins.plugin_name(obj), (obj, prov))
            if winner[0] is obj:
                continue
            if winner[1] == prov:
                run.differs(
                    prov.source,
                    prov.field,
                    f"{winner[0].source().display()} and {obj.source().display()} "
                    f"are both {plugins.plugin_name(obj)} plugins; Kong runs one per route, so "
                    "only the first is converted",
                )
                run.record(prov.source, prov.field, Status.PARTIAL)
            else:
                run.record(
                    prov.source,
                    prov.field,
                    Status.IGNORED,
                    f"{winner[1].source.display()} runs its own {plugins.plugin_name(obj)} "
                    "plugin on these rules, which takes precedence in Kong",
                )
        for name in sorted(chosen):
            obj, prov = chosen[name]
            effects = plugins.effects(run, obj, prov)
            rule.filters.extend(effects.filters)
            for item in effects.filters:
                _credit(rule, item.provenance)
            rule.extensions.extend(effects.extensions)
            if effects.standard:
                run.record(prov.source, prov.field, Status.CONVERTED)
        if upstream is not None:
            rule.extensions.extend(self.upstream_extensions(upstream))
            services.backend_tls_policy(run, upstream.settings)

    def resolve_facades(
        self, model: IngressModel, rule: Rule
    ) -> list[tuple[KubeObject, Provenance]]:
        """A KongServiceFacade backend is its ``spec.backendRef`` Service and port (KIC's
        ``KongServiceFacade`` feature gate, which the input's use of it implies), with the
        facade's own plugins (``translateIntoKongStateService``)."""
        run = self.run
        plugins_found: list[tuple[KubeObject, Provenance]] = []
        for index, ref in enumerate(rule.backend_refs):
            if ref.kind != "KongServiceFacade" or ref.group != FACADE_GROUP:
                continue
            namespace = ref.namespace or model.namespace
            facade = run.facades.get((namespace, ref.name))
            field_path = ref.provenance[0].field if ref.provenance else "spec"
            backend = facade.spec.get("backendRef") if facade is not None else None
            name = backend.get("name") if isinstance(backend, dict) else None
            port = backend.get("port") if isinstance(backend, dict) else None
            if facade is None or not isinstance(name, str) or not isinstance(port, int):
                run.missing(
                    model.source,
                    field_path,
                    f"KongServiceFacade {ref.name} (or its spec.backendRef) is not in the input; "
                    "the backend reference is left as it is, which Gateway API "
                    "implementations other than Kong cannot resolve",
                )
                continue
            run.use(facade)
            run.record(facade.source(), "spec.backendRef", Status.CONVERTED)
            if not run.class_ok(facade):
                run.differs(
                    model.source,
                    field_path,
                    f"KongServiceFacade {ref.name} has no kubernetes.io/ingress.class of Kong's, so "
                    "the Kong Ingress Controller left it out and did not route this path (404); "
                    "it is converted to the facade's Service all the same",
                )
            rule.backend_refs[index] = BackendRef(
                name=name,
                namespace=ref.namespace,
                port=port,
                weight=ref.weight,
                provenance=[*ref.provenance, Provenance(facade.source(), "spec.backendRef")],
            )
            text = facade.annotations.get("konghq.com/plugins")
            if text:
                plugins_found += self.resolve_plugins(namespace, text, facade)
        return plugins_found

    def service_plugins(self, upstream: Upstream) -> list[tuple[KubeObject, Provenance]]:
        settings = upstream.settings
        if settings.plugins is None or settings.obj is None:
            return []
        text = settings.obj.annotations.get("konghq.com/plugins", "")
        return self.resolve_plugins(settings.namespace, text, settings.obj)

    def rewrite(
        self,
        model: IngressModel,
        settings: RouteSettings,
        rule: Rule,
        backend: BackendRef | None,
        upstream: Upstream | None,
    ) -> None:
        """strip-path, the Service's path and preserve-host: one URLRewrite (or regex rewrite)."""
        svc = upstream.settings if upstream is not None else None
        if settings.rewrite is not None:
            self.full_rewrite(model, settings, rule, svc)
            svc = None  # Kong's rewrite replaces strip-path and the Service's path
            settings = dataclasses.replace(settings, strip_path=None)
        strip = settings.strip_path is not None and settings.strip_path.value
        svc_path = svc.path if svc is not None else None
        path = rule.matches[0].path if rule.matches else None
        prov: list[Provenance] = []
        modifier: PathModifier | None = None
        if path is not None and (strip or svc_path is not None):
            if strip and settings.strip_path is not None:
                prov.append(settings.strip_path.provenance)
            if svc_path is not None:
                prov.append(svc_path.provenance)
            base = svc_path.value if svc_path is not None else "/"
            if path.type == "RegularExpression":
                body = path.value[:-2] if path.value.endswith(".*") else path.value
                pattern = f"^{body}" if strip else "^/"
                substitution = base if strip else base.rstrip("/") + "/"
                rule.extensions.append(
                    RegexRewrite(pattern=pattern, substitution=substitution, provenance=prov)
                )
                prov = []
            elif strip:
                kind = "ReplacePrefixMatch" if path.type == "PathPrefix" else "ReplaceFullPath"
                self.note_upstream(rule, True, base, prov)
                if kind == "ReplacePrefixMatch" and base != "/":
                    # Kong joins the Service path and the rest without doubling the slash
                    # (get_upstream_uri_v0): /api -> /internal and /api/x -> /internal/x for
                    # path /internal/ alike, which is ReplacePrefixMatch /internal.
                    base = base.rstrip("/") or "/"
                elif kind == "ReplaceFullPath":
                    # Nothing is left after the exact path: the Service path, with a trailing
                    # slash only where the request has one (get_upstream_uri_v0).
                    bare = base.rstrip("/")
                    base = bare + "/" if path.value.endswith("/") else bare or "/"
                if not (kind == "ReplacePrefixMatch" and path.value == "/" and base == "/"):
                    modifier = PathModifier(kind, base)  # type: ignore[arg-type]
            else:
                joined = base if path.value == "/" else base.rstrip("/") + path.value
                kind = "ReplacePrefixMatch" if path.type == "PathPrefix" else "ReplaceFullPath"
                self.note_upstream(rule, False, base, prov)
                modifier = PathModifier(kind, joined)  # type: ignore[arg-type]
        hostname = None
        preserve = settings.preserve_host
        if preserve is not None and not preserve.value and backend is not None:
            prov.append(preserve.provenance)
            if svc is not None and svc.host_header is not None:
                hostname = svc.host_header.value
                prov.append(svc.host_header.provenance)
                self.run.record(
                    svc.host_header.provenance.source,
                    svc.host_header.provenance.field,
                    Status.CONVERTED,
                )
            else:
                namespace = backend.namespace or model.namespace or "default"
                port = f".{backend.port}" if backend.port is not None else ""
                hostname = f"{backend.name}.{namespace}{port}.svc"
                self.run.differs(
                    preserve.provenance.source,
                    preserve.provenance.field,
                    "with preserve-host false and no konghq.com/host-header on the Service, Kong "
                    "sent the address of the endpoint it picked (pod IP and port) as the Host; "
                    f"Gateway API cannot: the backend now sees Host {hostname}",
                )
        if modifier is not None or hostname is not None:
            rule.filters.append(URLRewrite(hostname=hostname, path=modifier, provenance=prov))
            _credit(rule, prov)
        for item in prov:
            self.run.record(item.source, item.field, Status.CONVERTED)

    def note_upstream(
        self, rule: Rule, strip: bool, base: str, provenance: list[Provenance]
    ) -> None:
        for prov in rule.provenance:
            if _PATH_FIELD.match(prov.field):
                self.upstream_paths[(prov.source, prov.field)] = (strip, base, list(provenance))

    def full_rewrite(
        self, model: IngressModel, settings: RouteSettings, rule: Rule, svc: ServiceSettings | None
    ) -> None:
        """``konghq.com/rewrite``: the whole upstream path, overriding strip-path and path."""
        run = self.run
        assert settings.rewrite is not None
        value, prov = settings.rewrite.value, settings.rewrite.provenance
        path = rule.matches[0].path if rule.matches else None
        overridden = [s.provenance for s in (settings.strip_path,) if s is not None]
        if svc is not None and svc.path is not None:
            overridden.append(svc.path.provenance)
        for item in overridden:
            run.record(item.source, item.field, Status.IGNORED, "konghq.com/rewrite overrides it")
        if "$" not in value:
            rule.filters.append(
                URLRewrite(path=PathModifier("ReplaceFullPath", value), provenance=[prov])
            )
            _credit(rule, [prov])
            run.record(prov.source, prov.field, Status.CONVERTED)
            return
        if path is None or path.type != "RegularExpression":
            run.invalid(
                prov.source,
                prov.field,
                f"{value} uses $n captures, but the path is not a regular expression (/~...)",
            )
            return
        substitution = re.sub(r"\$([0-9]+)", r"\\\1", value)
        rule.extensions.append(
            RegexRewrite(pattern=f"^{path.value}$", substitution=substitution, provenance=[prov])
        )

    def record_route_settings(
        self, model: IngressModel, settings: RouteSettings, has_rules: bool
    ) -> None:
        run = self.run
        items: list[Setting[object] | None] = [
            settings.methods,  # type: ignore[list-item]
            *settings.headers,  # type: ignore[list-item]
            # konghq.com/rewrite overrides strip-path (recorded as ignored by full_rewrite).
            settings.strip_path if settings.rewrite is None else None,  # type: ignore[list-item]
            settings.preserve_host,  # type: ignore[list-item]
        ]
        for flag in (settings.request_buffering, settings.response_buffering):
            if flag is not None and flag.value:
                run.record(
                    flag.provenance.source,
                    flag.provenance.field,
                    Status.IGNORED,
                    "buffering on is Kong's default; nothing to carry",
                )
        for item in items:
            if item is None:
                continue
            prov = item.provenance
            if has_rules:
                run.record(prov.source, prov.field, Status.CONVERTED)
            else:
                run.record(prov.source, prov.field, Status.IGNORED, "the Ingress has no rules")

    # --- restructuring -----------------------------------------------------------------------

    def gateway_of(self, model: IngressModel) -> Gateway | None:
        return self.lowered.gateway_of.get(model.source)

    def move(
        self,
        model: IngressModel,
        route: HTTPRoute | GRPCRoute,
        rules: list[Rule],
        target: HTTPRoute | GRPCRoute,
    ) -> None:
        """Move ``rules`` of ``model`` from ``route`` into ``target``."""
        for rule in rules:
            route.rules.remove(rule)
            target.rules.append(rule)
            for prov in rule.provenance:
                # The rule's host now also lives in the target route.
                path_of_rule = _PATH_FIELD.match(prov.field)
                if path_of_rule is not None:
                    host = Provenance(prov.source, f"{path_of_rule.group(1)}.host")
                    if self.run.report.has_entry(host.source, host.field):
                        made_from(target, host)
        if not route.rules:
            self.drop_route(route)

    def drop_route(self, route: HTTPRoute | GRPCRoute) -> None:
        self.dropped.add(id(route))

    def _without_dropped(self) -> None:
        if not self.dropped:
            return
        dropped = self.dropped
        self.run.ctx.ir.routes[:] = [r for r in self.run.ctx.ir.routes if id(r) not in dropped]
        self.lowered.routes[:] = [r for r in self.lowered.routes if id(r) not in dropped]
        self.new_routes[:] = [r for r in self.new_routes if id(r) not in dropped]
        self.dropped = set()

    def new_route(
        self,
        cls: type[HTTPRoute] | type[GRPCRoute],
        model: IngressModel,
        like: HTTPRoute | GRPCRoute,
        suffix: str,
        hostnames: list[str] | None = None,
        parents: list[ParentRef] | None = None,
    ) -> HTTPRoute | GRPCRoute:
        hosts = list(like.hostnames) if hostnames is None else hostnames
        host = hosts[0] if hosts else None
        wanted = f"{model.name}-{naming.host_slug(host)}-{suffix}"
        identity = f"kong/{cls.KIND}/{model.namespace}/{model.name}/{host}/{suffix}/{like.name}"
        route = cls(
            name=self.run.ctx.allocator(cls.KIND, model.namespace).allocate(wanted, identity),
            namespace=model.namespace,
            hostnames=hosts,
            parent_refs=list(like.parent_refs) if parents is None else parents,
        )
        self.run.ctx.ir.routes.append(route)
        self.new_routes.append(route)
        return route

    def split_grpc(
        self, model: IngressModel, settings: RouteSettings, pairs: list[Pair]
    ) -> list[Pair]:
        run = self.run
        grpc_ingress = routing.grpc_only(settings)
        refused_plain = False
        moved: dict[int, GRPCRoute] = {}
        result: list[Pair] = []
        for route, rule in pairs:
            upstream = self.upstream_of(model, rule)
            grpc_service = upstream is not None and upstream.settings.is_grpc
            if not (grpc_ingress or grpc_service) or isinstance(route, GRPCRoute):
                result.append((route, rule))
                continue
            matches = self.grpc_matches(model, rule)
            if matches is None:
                result.append((route, rule))
                continue
            target = moved.get(id(route))
            if target is None:
                made = self.new_route(GRPCRoute, model, route, "grpc")
                assert isinstance(made, GRPCRoute)
                target = moved[id(route)] = made
            rule.matches = matches
            self.move(model, route, [rule], target)
            result.append((target, rule))
            if grpc_service and upstream is not None and upstream.settings.protocol is not None:
                prov = upstream.settings.protocol.provenance
                run.record(prov.source, prov.field, Status.CONVERTED)
                made_from(target, prov)
            if grpc_ingress and settings.protocols is not None:
                prov = settings.protocols.provenance
                run.record(prov.source, prov.field, Status.CONVERTED)
                made_from(target, prov)
                if not refused_plain:
                    refused_plain = True
                    run.differs(
                        prov.source,
                        prov.field,
                        "Kong answered requests that are not gRPC with 415 on these gRPC-only "
                        "routes (kong/runloop/handler.lua); a GRPCRoute has no such check: "
                        "Gateway API implementations send them to the backend or answer 404",
                    )
        for route_id, grpc_route in sorted(moved.items(), key=lambda kv: kv[1].name):
            if route_id not in self.dropped:  # the HTTPRoute kept some rules
                run.differs(
                    model.source,
                    "spec.rules",
                    f"GRPCRoute {grpc_route.name} shares its hostnames with an HTTPRoute on the "
                    "same listener; Gateway API implementations reject one of them: move the "
                    "gRPC or the HTTP paths to a host of their own",
                )
        return result

    def upstream_of(self, model: IngressModel, rule: Rule) -> Upstream | None:
        backend = rule.backend_refs[0] if rule.backend_refs else None
        if backend is None or backend.kind != "Service" or backend.group:
            return None
        return self.upstreams.get((backend.namespace or model.namespace, backend.name))

    def grpc_matches(self, model: IngressModel, rule: Rule) -> list[Match] | None:
        """The rule's matches as gRPC method matches; None (reported) if a path cannot be one."""
        matches: list[Match] = []
        for match in rule.matches:
            grpc = _grpc_method(match.path)
            if grpc is False or grpc is True:
                assert match.path is not None
                field_path = rule.provenance[0].field if rule.provenance else None
                self.run.differs(
                    model.source,
                    field_path or "spec",
                    f"path {match.path.value} is not a gRPC service or method path; the rule "
                    "stays an HTTPRoute rule",
                )
                return None
            new = Match(headers=match.headers, grpc=grpc)
            if new not in matches:
                matches.append(new)
        if all(m.grpc is None and not m.headers for m in matches):
            return []
        return matches

    def https_only(
        self, model: IngressModel, settings: RouteSettings, pairs: list[Pair]
    ) -> list[Pair]:
        run = self.run
        protocols = settings.protocols
        code = settings.redirect_code
        if code is not None and not routing.https_only(settings):
            prov = code.provenance
            run.record(
                prov.source,
                prov.field,
                Status.IGNORED,
                "Kong uses it only when the route refuses plain HTTP (konghq.com/protocols: https)",
            )
        if protocols is None:
            return pairs
        if not routing.https_only(settings):
            run.record(protocols.provenance.source, protocols.provenance.field, Status.CONVERTED)
            return pairs
        gateway = self.gateway_of(model)
        status = code.value if code is not None else 426
        by_route: dict[int, tuple[HTTPRoute | GRPCRoute, list[Rule]]] = {}
        for route, rule in pairs:
            by_route.setdefault(id(route), (route, []))[1].append(rule)
        result: list[Pair] = []
        provs = [protocols.provenance] + ([code.provenance] if code is not None else [])
        for route, rules in by_route.values():
            http_parents, https_parents = self.split_parents(gateway, route)
            if not https_parents and gateway is not None:
                https_parents = [self.default_certificate_listener(model, gateway, route, provs)]
            secure = self.new_route(type(route), model, route, "https", parents=https_parents)
            self.move(model, route, rules, secure)
            result.extend((secure, rule) for rule in rules)
            for prov in provs:
                run.record(prov.source, prov.field, Status.CONVERTED)
                made_from(secure, prov)
            if isinstance(route, GRPCRoute):
                # gRPC clients do not follow redirects: HTTPS only, whatever the status code.
                run.differs(
                    model.source,
                    protocols.provenance.field,
                    "gRPC rules are attached to the HTTPS listener only: Kong answered plain-text "
                    "gRPC calls with grpc-status 1 ('gRPC request matched gRPCs route') and other "
                    "plain HTTP requests with 415; here they get no route",
                )
                continue
            if status == 426 or not http_parents:
                where = code.provenance.field if code is not None else protocols.provenance.field
                run.differs(
                    model.source,
                    where,
                    "Kong answered plain HTTP with 426 Upgrade Required, which Gateway API cannot "
                    "send: the rules are attached to the HTTPS listener only, so HTTP requests "
                    "get 404 (or a less specific route of the host)",
                )
                if code is not None:
                    run.record(code.provenance.source, code.provenance.field, Status.PARTIAL)
                else:
                    run.record(
                        protocols.provenance.source, protocols.provenance.field, Status.PARTIAL
                    )
                continue
            redirect = self.new_route(HTTPRoute, model, route, "redirect", parents=http_parents)
            for rule in rules:
                redirect.rules.append(
                    Rule(
                        matches=[_http_match(m) for m in rule.matches] if rule.matches else [],
                        filters=[
                            RequestRedirect(
                                scheme="https", status_code=status, provenance=list(provs)
                            )
                        ],
                        provenance=list(rule.provenance) + provs,
                        sources=list(rule.sources),
                    )
                )
        return result

    def default_certificate_listener(
        self,
        model: IngressModel,
        gateway: Gateway,
        route: HTTPRoute | GRPCRoute,
        provs: list[Provenance],
    ) -> ParentRef:
        """An HTTPS listener for a host Kong served over TLS with its default certificate
        only (an HTTPS-only route and no ``spec.tls`` entry for the host): it names a Secret
        the user must create, and the route's rules attach to it alone."""
        host = route.hostnames[0] if route.hostnames else None
        slug = naming.host_slug(host)
        secret = f"{slug}-kong-default-certificate"
        found = next(
            (
                x
                for x in gateway.listeners
                if (x.hostname, x.port, x.protocol) == (host, 443, "HTTPS")
            ),
            None,
        )
        if found is None:
            taken = {x.name for x in gateway.listeners}
            name, counter = naming.fit(f"{slug}-https", f"{host}/https"), 2
            while name in taken:
                name = naming.fit(f"{slug}-https-{counter}", f"{host}/https/{counter}")
                counter += 1
            found = Listener(
                name=name,
                port=443,
                protocol="HTTPS",
                hostname=host,
                tls_mode="Terminate",
                certificate_refs=[SecretRef(secret, None)],
                provenance=list(provs),
            )
            gateway.listeners.append(found)
            self.run.differs(
                model.source,
                provs[0].field,
                f"Kong served these rules only over HTTPS, with its own default certificate (no "
                f"spec.tls entry names {host or 'a host'}), and refused plain HTTP: they are "
                f"attached to the new HTTPS listener {found.name} alone, which names the Secret "
                f"{secret} in namespace {gateway.namespace}: create it (type kubernetes.io/tls, "
                f"a certificate for {host or 'the hosts'}) to complete the listener; no plain "
                "HTTP route is emitted for them",
            )
        for prov in provs:
            self.run.record(
                prov.source, prov.field, Status.PARTIAL, f"Secret {secret} is to be created"
            )
        if model.namespace != gateway.namespace:
            found.allowed_namespaces.add(model.namespace)
        return gateway.parent_ref(route.namespace, found.name)

    def split_parents(
        self, gateway: Gateway | None, route: HTTPRoute | GRPCRoute
    ) -> tuple[list[ParentRef], list[ParentRef]]:
        http: list[ParentRef] = []
        https: list[ParentRef] = []
        for parent in route.parent_refs:
            listener = _listener(gateway, parent)
            if listener is not None and listener.protocol == "HTTPS":
                https.append(parent)
            else:
                http.append(parent)
        return http, https

    def host_aliases(self, model: IngressModel, settings: RouteSettings, pairs: list[Pair]) -> None:
        aliases = settings.host_aliases
        if aliases is None:
            return
        run = self.run
        prov = aliases.provenance
        gateway = self.gateway_of(model)
        if not pairs or gateway is None:
            run.record(prov.source, prov.field, Status.IGNORED, "the Ingress has no rules")
            return
        tls_hosts = [h for t in model.tls if t.secret_name for h in (t.hosts or [])]
        by_route: dict[int, tuple[HTTPRoute | GRPCRoute, list[Rule]]] = {}
        for route, rule in pairs:
            by_route.setdefault(id(route), (route, []))[1].append(rule)
        for route, rules in by_route.values():
            hosts = tuple(dict.fromkeys([*route.hostnames, *aliases.value]))
            for rule in rules:
                self.kong_hosts[id(rule)] = hosts
        for alias in aliases.value:
            for route, rules in by_route.values():
                if alias in route.hostnames:
                    continue  # KIC adds a host to a Kong route once (overrideHosts)
                parents = []
                for parent in route.parent_refs:
                    listener = _listener(gateway, parent)
                    if listener is None:
                        continue
                    if listener.protocol == "HTTPS" and not any(
                        tls_covers(h.lower(), alias) for h in tls_hosts
                    ):
                        run.fyi(
                            model.source,
                            prov.field,
                            f"alias {alias} is not covered by the Ingress's TLS hosts; it gets "
                            "no HTTPS listener",
                        )
                        continue
                    twin = _alias_listener(gateway, listener, alias, prov)
                    parents.append(ParentRef(parent.name, parent.namespace, twin.name))
                    if model.namespace != gateway.namespace:
                        twin.allowed_namespaces.add(model.namespace)
                if not parents:
                    continue
                taken = self.matches_of_host(alias)
                copy_route = self.new_route(
                    type(route), model, route, "alias", hostnames=[alias], parents=parents
                )
                for rule in rules:
                    twin_rule = copy.deepcopy(rule)
                    twin_rule.provenance.append(prov)
                    twin_rule.matches = self.without_duplicates(model, alias, twin_rule, taken)
                    self.kong_hosts[id(twin_rule)] = tuple(
                        dict.fromkeys([*route.hostnames, *aliases.value])
                    )
                    if twin_rule.matches or not rule.matches:
                        copy_route.rules.append(twin_rule)
                if not copy_route.rules:
                    self.drop_route(copy_route)
                    continue
                run.record(prov.source, prov.field, Status.CONVERTED)
                made_from(copy_route, prov)
                made_from(gateway, prov)

    def matches_of_host(self, host: str) -> dict[Match, Rule]:
        """The matches the routes of ``host`` already hold (this provider's)."""
        found: dict[Match, Rule] = {}
        for route in [*self.lowered.routes, *self.new_routes]:
            if id(route) in self.dropped or route.hostnames != [host]:
                continue
            for rule in route.rules:
                for match in rule.matches:
                    found.setdefault(match, rule)
        return found

    def without_duplicates(
        self, model: IngressModel, alias: str, rule: Rule, taken: dict[Match, Rule]
    ) -> list[Match]:
        """The alias copy's matches that no rule of the alias host has already; each one that
        has is reported like any path routed twice (issue 22 item 11)."""
        kept: list[Match] = []
        for match in rule.matches:
            owner = taken.get(match)
            if owner is None:
                kept.append(match)
                continue
            where = owner.provenance[0] if owner.provenance else None
            who = f"{where.source.display()} ({where.field})" if where else "another rule"
            path = match.path
            what = f"{path.type} {path.value}" if path is not None else "this match"
            field_path = rule.provenance[0].field if rule.provenance else "spec"
            self.run.report.flag(
                Level.WARNING,
                "path-conflict",
                f"{what} on host {alias} (a konghq.com/host-aliases alias) is already routed by "
                f"{who}; the alias's copy is dropped: Kong kept both routes and sent every such "
                "request to one of them by an internal order (their route ids); check that the "
                "kept one is the backend that should answer",
                Status.PARTIAL,
                source=model.source,
                field=field_path,
                provider=self.run.provider,
            )
        return kept

    # --- final shape -------------------------------------------------------------------------

    def finish_routes(self) -> None:
        """Keep every route within Gateway API's limits after matches were multiplied; routes
        split in parts are followed by their parts."""
        self._without_dropped()
        for rule_id in self.spread_hostless():
            self.kong_hosts[rule_id] = ()
        routes = [*self.lowered.routes, *self.new_routes]
        ordering.keep_character_prefixes(
            self.run, routes, self.character_prefixes, self.upstream_paths
        )
        for emptied in ordering.keep_kong_order(self.run, routes, self.kong_hosts):
            self.drop_route(emptied)
        self._without_dropped()
        # Only the routes of this provider: other providers' routes are theirs to shape.
        mine = {id(r) for r in [*self.lowered.routes, *self.new_routes]}
        shaped: list[Route] = []
        for route in self.run.ctx.ir.routes:
            shaped.append(route)
            if not isinstance(route, (HTTPRoute, GRPCRoute)) or id(route) not in mine:
                continue
            rules: list[Rule] = []
            for rule in route.rules:
                rules.extend(_split_rule(rule))
            route.rules = rules
            if len(route.rules) > MAX_RULES:
                shaped.extend(self.split_route(route))
        self.run.ctx.ir.routes[:] = shaped

    def spread_hostless(self) -> set[int]:
        """Kong matches a route without host (and the default backend's) on every host, after
        the host's own routes: the rules of hostless routes are also given to each host, but
        not those a rule of the host takes entirely (:func:`ordering.covers`). Returns the
        ``id()`` of the rules given."""
        routes = [*self.lowered.routes, *self.new_routes]
        hostless = [r for r in routes if isinstance(r, HTTPRoute) and not r.hostnames]
        hosted: dict[tuple[tuple[str, str | None], tuple[str, ...]], list[HTTPRoute | GRPCRoute]]
        hosted = {}
        for route in routes:
            if route.hostnames:
                for gateway in _gateways_of(route):
                    key = (gateway, tuple(sorted(route.hostnames)))
                    hosted.setdefault(key, []).append(route)
        given: set[int] = set()
        if not hostless:
            return given
        for gateway, hostnames in sorted(hosted, key=lambda k: (k[0][0], k[0][1] or "", k[1])):
            key = (gateway, hostnames)
            own = [
                m
                for r in hosted[key]
                if isinstance(r, HTTPRoute)
                for rule in r.rules
                for m in rule.matches
            ]
            # Only on the routes' own Gateway: with a Gateway per namespace each is an address
            # of its own, as each namespace's part of the input is converted on its own.
            sources = [r for r in hostless if gateway in _gateways_of(r)]
            for source in sorted(sources, key=lambda r: (r.namespace or "", r.name)):
                rules = []
                for rule in source.rules:
                    kept = [m for m in rule.matches if not any(ordering.covers(h, m) for h in own)]
                    if kept:
                        twin = copy.copy(rule)
                        twin.matches = kept
                        twin.name = None
                        twin.extensions = [copy.copy(e) for e in rule.extensions]
                        rules.append(twin)
                if rules:
                    self._hostless_copy(source, hostnames, hosted[key], rules)
                    given.update(id(rule) for rule in rules)
        return given

    def _hostless_copy(
        self,
        source: HTTPRoute,
        hostnames: tuple[str, ...],
        like: list[HTTPRoute | GRPCRoute],
        rules: list[Rule],
    ) -> None:
        parents: list[ParentRef] = []
        for route in like:
            for parent in route.parent_refs:
                gateway_ns = parent.namespace or route.namespace
                ref = ParentRef(
                    parent.name,
                    None if gateway_ns == source.namespace else gateway_ns,
                    parent.section_name,
                )
                if ref not in parents:
                    parents.append(ref)
                gateway = next(
                    (
                        g
                        for g in self.run.ctx.ir.gateways
                        if g.name == parent.name and g.namespace == gateway_ns
                    ),
                    None,
                )
                listener = _listener(gateway, parent)
                if listener is not None and source.namespace != gateway_ns:
                    listener.allowed_namespaces.add(source.namespace)
        host = hostnames[0] if hostnames else None
        name = self.run.ctx.allocator(HTTPRoute.KIND, source.namespace).allocate(
            f"{source.name}-{naming.host_slug(host)}",
            f"kong/hostless/{source.namespace}/{source.name}/{','.join(hostnames)}",
        )
        copy_route = HTTPRoute(
            name=name, namespace=source.namespace, hostnames=list(hostnames), parent_refs=parents
        )
        copy_route.rules = rules
        self.run.ctx.ir.routes.append(copy_route)
        self.new_routes.append(copy_route)

    def split_route(self, route: HTTPRoute | GRPCRoute) -> list[HTTPRoute | GRPCRoute]:
        """Cut ``route`` to its first rules; the parts that hold the rest."""
        extra = route.rules[MAX_RULES:]
        route.rules = route.rules[:MAX_RULES]
        parts: list[HTTPRoute | GRPCRoute] = []
        number = 2
        while extra:
            chunk, extra = extra[:MAX_RULES], extra[MAX_RULES:]
            name = self.run.ctx.allocator(route.KIND, route.namespace).allocate(
                f"{route.name}-part{number}", f"kong/split/{route.namespace}/{route.name}/{number}"
            )
            part = type(route)(
                name=name,
                namespace=route.namespace,
                hostnames=list(route.hostnames),
                parent_refs=list(route.parent_refs),
            )
            part.rules = chunk
            parts.append(part)
            number += 1
        return parts


def _gateways_of(route: HTTPRoute | GRPCRoute) -> set[tuple[str, str | None]]:
    return {(p.name, p.namespace or route.namespace) for p in route.parent_refs}


def _credit(rule: Rule, provenance: list[Provenance]) -> None:
    """Fields that became a standard filter of ``rule`` go where the rule goes (ledger targets)."""
    rule.provenance.extend(p for p in provenance if p not in rule.provenance)


def _listener(gateway: Gateway | None, parent: ParentRef) -> Listener | None:
    if gateway is None or parent.name != gateway.name or parent.section_name is None:
        return None
    return gateway.listener(parent.section_name)


def _alias_listener(gateway: Gateway, like: Listener, alias: str, prov: Provenance) -> Listener:
    for listener in gateway.listeners:
        if (listener.hostname, listener.port, listener.protocol) == (
            alias,
            like.port,
            like.protocol,
        ):
            return listener
    taken = {item.name for item in gateway.listeners}
    base = f"{naming.host_slug(alias)}-{like.protocol.lower()}"
    name, counter = naming.fit(base, alias), 2
    while name in taken:
        name, counter = naming.fit(f"{base}-{counter}", f"{alias}/{counter}"), counter + 1
    listener = Listener(
        name=name,
        port=like.port,
        protocol=like.protocol,
        hostname=alias,
        tls_mode=like.tls_mode,
        certificate_refs=list(like.certificate_refs),
        provenance=[*like.provenance, prov],
    )
    gateway.listeners.append(listener)
    return listener


def _http_match(match: Match) -> Match:
    return Match(
        path=match.path, headers=match.headers, query_params=match.query_params, method=match.method
    )


def _grpc_method(path: PathMatch | None) -> GRPCMethodMatch | bool | None:
    """None: matches every method; False: not expressible."""
    if path is None or (path.type == "PathPrefix" and path.value == "/"):
        return None
    parts = [p for p in path.value.split("/") if p]
    if path.type == "PathPrefix" and len(parts) == 1 and _GRPC_SERVICE.match(parts[0]):
        return GRPCMethodMatch(service=parts[0])
    if (
        path.type in ("Exact", "PathPrefix")
        and len(parts) == 2
        and _GRPC_SERVICE.match(parts[0])
        and _GRPC_METHOD.match(parts[1])
    ):
        return GRPCMethodMatch(service=parts[0], method=parts[1])
    return False


def _needs_single_match(rule: Rule) -> bool:
    return any(
        isinstance(f, URLRewrite) and f.path is not None and f.path.type == "ReplacePrefixMatch"
        for f in rule.filters
    )


def _split_rule(rule: Rule) -> list[Rule]:
    """One rule per match where ReplacePrefixMatch needs it; at most 64 matches per rule."""
    size = 1 if _needs_single_match(rule) else MAX_MATCHES
    if len(rule.matches) <= size:
        return [rule]
    parts = []
    for start in range(0, len(rule.matches), size):
        part = copy.copy(rule)
        part.matches = rule.matches[start : start + size]
        parts.append(part)
    return parts
