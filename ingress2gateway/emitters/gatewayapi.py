"""IR → plain Gateway API objects. Shared by every emitter (each adds its own extras).

Objects are plain dicts in the wire format. Fields the target Gateway API version or channel
lacks are never written: the emitter asks :class:`~ingress2gateway.target.Target` first and
reports what it had to leave out (with the version or channel that would have it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ingress2gateway._version import __version__
from ingress2gateway.converting.naming import fit
from ingress2gateway.ir import (
    IR,
    BackendRef,
    BackendTLSPolicy,
    CorsFilter,
    Filter,
    Gateway,
    GRPCRoute,
    HeaderModifier,
    HTTPRoute,
    Listener,
    ListenerSet,
    Match,
    ParentRef,
    Provenance,
    ReferenceGrant,
    RequestMirror,
    RequestRedirect,
    Retry,
    Route,
    Rule,
    TCPRoute,
    TLSRoute,
    UDPRoute,
    URLRewrite,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import EmitContext, Emitted
from ingress2gateway.reporting.report import Level, Status

GROUP = "gateway.networking.k8s.io"
GENERATOR_ANNOTATION = "gateway.networking.k8s.io/generator"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
DEFAULT_NAMESPACE = "default"

KIND_ORDER = (
    "GatewayClass",
    "Gateway",
    "ListenerSet",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "BackendTLSPolicy",
    "ReferenceGrant",
)


def metadata(
    name: str, namespace: str | None, annotations: Mapping[str, str] | None = None
) -> JSONDict:
    """``annotations``: carried from the input for other tools (see
    :mod:`ingress2gateway.converting.companions`); the generator annotation comes first."""
    meta: JSONDict = {
        "name": name,
        "annotations": {GENERATOR_ANNOTATION: f"ingress2gateway-{__version__}"},
    }
    if annotations:
        meta["annotations"].update(sorted(annotations.items()))
    if namespace:
        meta["namespace"] = namespace
    return meta


def _how_to_target(hint: str) -> str:
    """What to pass when the cluster runs a release that has it (``hint``: see
    :meth:`~ingress2gateway.target.Target.where_available`)."""
    found = re.fullmatch(r"(v\d+\.\d+)\+ (standard|experimental) channel", hint)
    if found is None:
        return (
            " (--channel experimental, if your cluster runs it)" if "experimental" in hint else ""
        )
    version, channel = found.groups()
    flags = f"--gateway-api-version {version}" + (
        " --channel experimental" if channel == "experimental" else ""
    )
    return f" (pass {flags} if your cluster runs it)"


class GatewayAPIBuilder:
    """Builds the standard objects; records ledger targets for the provenance it writes."""

    def __init__(self, ctx: EmitContext) -> None:
        self.ctx = ctx
        self.target = ctx.target
        self.report = ctx.report
        self.provenance: dict[ObjectRef, list[Provenance]] = {}

    # --- support questions -------------------------------------------------------------------

    def api_version(self, kind: str) -> str | None:
        return self.target.api_version_for(kind)

    def has_field(self, kind: str, path: str) -> bool:
        return self.target.has_field(kind, path)

    def drop(
        self,
        provenance: list[Provenance],
        what: str,
        kind: str,
        path: str | None = None,
        enum_value: str | int | None = None,
        security: bool = False,
    ) -> None:
        """Report a feature the target cannot carry."""
        hint = self.target.where_available(kind, path, enum_value)
        target = f"Gateway API {self.target.version} ({self.target.channel} channel)"
        message = f"{what} is not available in {target}" + (
            f"; it needs {hint}{_how_to_target(hint)}" if hint else ""
        )
        for item in provenance or [None]:  # type: ignore[list-item]
            self.report.notify(
                _level(security),
                "target-lacks-feature",
                message,
                source=item.source if item else None,
                field=item.field if item else None,
                security=security,
            )
            if item:
                self.report.record(item.source, item.field, Status.UNSUPPORTED, note=message)

    def credit(self, provenance: list[Provenance], ref: ObjectRef) -> None:
        """``provenance`` went into ``ref`` (which becomes :attr:`Emitted.provenance`)."""
        self.provenance.setdefault(ref, []).extend(provenance)

    # --- objects ------------------------------------------------------------------------------

    def build(self, ir: IR) -> list[Emitted]:
        return list(self.objects(ir))

    def objects(self, ir: IR) -> Iterator[Emitted]:
        """Each output object, as soon as it is made (nothing is kept: a caller that writes
        and forgets each one never holds every output object at once)."""
        for item in self._bodies(ir):
            if item is None:
                continue
            # Everything credited to an object is credited while it is being made.
            self.provenance_of(item)
            yield item

    def provenance_of(self, item: Emitted) -> None:
        """Hand ``item`` what was credited to it: its provenance and source objects."""
        provenance = list(dict.fromkeys(self.provenance.pop(item.ref, ())))
        item.provenance = provenance
        item.sources = sorted({p.source for p in provenance}, key=SourceRef.sort_key)

    def _bodies(self, ir: IR) -> Iterator[Emitted | None]:
        # In output order (see sort_key), so that a caller can write each object as it comes.
        for gateway in sorted(ir.gateways, key=_named):
            yield self.gateway(gateway)
        for listener_set in sorted(ir.listener_sets, key=_named):
            yield self.listener_set(listener_set)
        for route in sorted(ir.routes, key=_route_order):
            yield self.route(route)
        for policy in sorted(ir.backend_tls_policies, key=_named):
            yield self.backend_tls_policy(policy)
        grants = sorted(ir.reference_grants, key=_grant_key)
        for grant in sorted(grants, key=lambda g: (g.namespace or "", grant_name(g))):
            yield self.reference_grant(grant, ir.grant_provenance.get(grant, []))

    def gateway(self, gateway: Gateway) -> Emitted:
        ref = gateway.ref
        self.credit(gateway.provenance, ref)
        body: JSONDict = {
            "apiVersion": self.api_version("Gateway") or f"{GROUP}/v1",
            "kind": "Gateway",
            "metadata": metadata(gateway.name, gateway.namespace, gateway.annotations),
            "spec": {
                "gatewayClassName": gateway.gateway_class,
                "listeners": [self.listener(gateway, listener) for listener in gateway.listeners],
            },
        }
        if gateway.allowed_listener_sets:
            body["spec"]["allowedListeners"] = {
                "namespaces": {"from": gateway.allowed_listener_sets}
            }
        return Emitted(ref, body)

    def listener_set(self, listener_set: ListenerSet) -> Emitted:
        ref = listener_set.ref
        gateway = listener_set.gateway
        parent: JSONDict = {"group": GROUP, "kind": "Gateway", "name": gateway.name}
        if gateway.namespace and gateway.namespace != listener_set.namespace:
            parent["namespace"] = gateway.namespace
        body: JSONDict = {
            "apiVersion": self.api_version("ListenerSet") or f"{GROUP}/v1",
            "kind": "ListenerSet",
            "metadata": metadata(
                listener_set.name, listener_set.namespace, listener_set.gateway.annotations
            ),
            "spec": {
                "parentRef": parent,
                "listeners": [
                    self.listener(gateway, listener, ref) for listener in listener_set.listeners
                ],
            },
        }
        return Emitted(ref, body)

    def listener(
        self, gateway: Gateway, listener: Listener, owner: ObjectRef | None = None
    ) -> JSONDict:
        self.credit(listener.provenance, owner or gateway.ref)
        body: JSONDict = {
            "name": listener.name,
            "port": listener.port,
            "protocol": listener.protocol,
        }
        if listener.hostname:
            body["hostname"] = listener.hostname
        if listener.tls_mode is not None:
            tls: JSONDict = {"mode": listener.tls_mode}
            if listener.certificate_refs:
                refs = []
                for secret in listener.certificate_refs:
                    cert: JSONDict = {"group": "", "kind": "Secret", "name": secret.name}
                    if secret.namespace:
                        cert["namespace"] = secret.namespace
                    refs.append(cert)
                tls["certificateRefs"] = refs
            body["tls"] = tls
        if listener.allowed_namespaces:
            names = {gateway.namespace or DEFAULT_NAMESPACE}
            names.update(ns or DEFAULT_NAMESPACE for ns in listener.allowed_namespaces)
            body["allowedRoutes"] = {
                "namespaces": {
                    "from": "Selector",
                    "selector": {
                        "matchExpressions": [
                            {"key": NAMESPACE_LABEL, "operator": "In", "values": sorted(names)}
                        ]
                    },
                }
            }
        return body

    def parent_ref(self, parent: ParentRef) -> JSONDict:
        body: JSONDict = {"name": parent.name}
        if parent.group != GROUP:
            body["group"] = parent.group
        if parent.kind != "Gateway":
            body["kind"] = parent.kind
        if parent.namespace:
            body["namespace"] = parent.namespace
        if parent.section_name:
            body["sectionName"] = parent.section_name
        if parent.port is not None:
            body["port"] = parent.port
        return body

    def route(self, route: Route) -> Emitted | None:
        api_version = self.api_version(route.KIND)
        if api_version is None:
            self.drop(
                route.provenance + _rule_provenance(route), f"{route.KIND} {route.name}", route.KIND
            )
            return None
        ref = route.ref
        self.credit(route.provenance, ref)
        spec: JSONDict = {"parentRefs": [self.parent_ref(p) for p in route.parent_refs]}
        if route.hostnames:
            spec["hostnames"] = list(route.hostnames)
        if isinstance(route, HTTPRoute):
            spec["rules"] = [self.http_rule(route, rule) for rule in route.rules]
        elif isinstance(route, GRPCRoute):
            spec["rules"] = [self.grpc_rule(route, rule) for rule in route.rules]
        elif isinstance(route, (TLSRoute, TCPRoute, UDPRoute)):
            spec["rules"] = [
                {"backendRefs": [self.backend_ref(b, ref) for b in route.backend_refs]}
            ]
        body: JSONDict = {
            "apiVersion": api_version,
            "kind": route.KIND,
            "metadata": metadata(route.name, route.namespace, route.annotations),
            "spec": spec,
        }
        rules = [_everything_in(rule) for rule in getattr(route, "rules", [])]
        return Emitted(ref, body, rules=rules)

    def http_rule(self, route: HTTPRoute, rule: Rule) -> JSONDict:
        ref = route.ref
        self.credit(rule.provenance, ref)
        body: JSONDict = {}
        if rule.name and self.has_field("HTTPRoute", "spec.rules[].name"):
            body["name"] = rule.name
        if rule.matches:
            body["matches"] = [self.match(m) for m in rule.matches]
        filters = [f for f in (self.filter(route, x) for x in rule.filters) if f is not None]
        if filters:
            body["filters"] = filters
        if rule.backend_refs:
            body["backendRefs"] = [self.backend_ref(b, ref) for b in rule.backend_refs]
        timeouts: JSONDict = {}
        for key, value in (
            ("request", rule.request_timeout),
            ("backendRequest", rule.backend_request_timeout),
        ):
            if value is None:
                continue
            if self.has_field("HTTPRoute", f"spec.rules[].timeouts.{key}"):
                timeouts[key] = value
            else:
                self.drop(
                    rule.provenance, f"timeouts.{key}", "HTTPRoute", f"spec.rules[].timeouts.{key}"
                )
        if timeouts:
            body["timeouts"] = timeouts
        retry = self.retry(route, rule)
        if retry:
            body["retry"] = retry
        return body

    def retry(self, route: HTTPRoute, rule: Rule) -> JSONDict | None:
        """The standard ``retry`` field (experimental channel) for a rule's Retry extension."""
        retries = [e for e in rule.extensions if isinstance(e, Retry) and not e.consumed]
        if not retries or not self.has_field("HTTPRoute", "spec.rules[].retry"):
            return None  # left for an implementation emitter, or reported by the pipeline
        first = retries[0]
        body: JSONDict = {"attempts": first.attempts}
        codes = sorted({code for code in first.codes if 400 <= code <= 599})
        if codes:
            body["codes"] = codes
        lost = []
        if first.per_try_timeout:
            lost.append(f"the per-try timeout {first.per_try_timeout}")
        if len(codes) != len(set(first.codes)):
            lost.append("retry conditions other than HTTP status codes")
        status = Status.PARTIAL if lost else Status.CONVERTED
        note = (
            f"{', '.join(lost)} cannot be expressed by the standard retry field" if lost else None
        )
        for item in first.provenance:
            self.report.record(item.source, item.field, status, note=note)
            if note is not None:
                message = f"{first.describe()} is carried in part: {note}"
                self.report.warning(
                    "feature-partial", message, source=item.source, field=item.field
                )
        self.credit(first.provenance, route.ref)
        first.consumed = True
        return body

    def grpc_rule(self, route: GRPCRoute, rule: Rule) -> JSONDict:
        ref = route.ref
        self.credit(rule.provenance, ref)
        body: JSONDict = {}
        if rule.name and self.has_field("GRPCRoute", "spec.rules[].name"):
            body["name"] = rule.name
        matches = []
        for match in rule.matches:
            item: JSONDict = {}
            if match.grpc is not None:
                method: JSONDict = {"type": match.grpc.type}
                if match.grpc.service:
                    method["service"] = match.grpc.service
                if match.grpc.method:
                    method["method"] = match.grpc.method
                item["method"] = method
            if match.headers:
                item["headers"] = [
                    {"name": h.name, "type": h.type, "value": h.value} for h in match.headers
                ]
            matches.append(item)
        if any(matches):
            body["matches"] = matches
        filters = []
        for candidate in rule.filters:
            if isinstance(candidate, (HeaderModifier, RequestMirror)):
                built = self.filter(route, candidate)  # type: ignore[arg-type]
                if built is not None:
                    filters.append(built)
            else:
                self.drop(candidate.provenance, f"{candidate.TYPE} on a GRPCRoute", "GRPCRoute")
        if filters:
            body["filters"] = filters
        if rule.backend_refs:
            body["backendRefs"] = [self.backend_ref(b, ref) for b in rule.backend_refs]
        return body

    def backend_tls_policy(self, policy: BackendTLSPolicy) -> Emitted | None:
        api_version = self.api_version("BackendTLSPolicy")
        if api_version is None:
            self.drop(
                policy.provenance, "BackendTLSPolicy (TLS to the backend)", "BackendTLSPolicy"
            )
            return None
        ref = policy.ref
        self.credit(policy.provenance, ref)
        target: JSONDict = {"group": "", "kind": "Service", "name": policy.service}
        if policy.section_name:
            target["sectionName"] = policy.section_name
        validation: JSONDict = {"hostname": policy.hostname}
        if policy.ca_config_maps:
            validation["caCertificateRefs"] = [
                {"group": "", "kind": "ConfigMap", "name": name} for name in policy.ca_config_maps
            ]
        else:
            validation["wellKnownCACertificates"] = "System"
        body: JSONDict = {
            "apiVersion": api_version,
            "kind": "BackendTLSPolicy",
            "metadata": metadata(policy.name, policy.namespace),
            "spec": {"targetRefs": [target], "validation": validation},
        }
        return Emitted(ref, body)

    def match(self, match: Match) -> JSONDict:
        body: JSONDict = {}
        if match.path is not None:
            body["path"] = {"type": match.path.type, "value": match.path.value}
        if match.headers:
            body["headers"] = [
                {"name": h.name, "type": h.type, "value": h.value} for h in match.headers
            ]
        if match.query_params:
            body["queryParams"] = [
                {"name": q.name, "type": q.type, "value": q.value} for q in match.query_params
            ]
        if match.method:
            body["method"] = match.method
        return body

    def backend_ref(self, backend: BackendRef, route_ref: ObjectRef) -> JSONDict:
        self.credit(backend.provenance, route_ref)
        body: JSONDict = {"name": backend.name}
        if backend.group:
            body["group"] = backend.group
        if backend.kind != "Service" or backend.group:
            body["kind"] = backend.kind
        if backend.namespace:
            body["namespace"] = backend.namespace
        if backend.port is not None:
            body["port"] = backend.port
        if backend.weight is not None:
            body["weight"] = backend.weight
        return body

    def filter(self, route: HTTPRoute, item: Filter) -> JSONDict | None:
        body = self._filter(route, item)
        if body is not None:
            self.credit(item.provenance, route.ref)
        return body

    def _filter(self, route: HTTPRoute, item: Filter) -> JSONDict | None:
        kind = "HTTPRoute"
        if isinstance(item, HeaderModifier):
            key = "responseHeaderModifier" if item.response else "requestHeaderModifier"
            modifier: JSONDict = {}
            for op, pairs in (("set", item.set), ("add", item.add)):
                entries = [
                    {"name": k, "value": v}
                    for k, v in sorted(pairs.items())
                    if self._header_ok(item, op, k, v)
                ]
                if entries:
                    modifier[op] = entries
            removed = sorted(k for k in set(item.remove) if self._header_ok(item, "remove", k))
            if removed:
                modifier["remove"] = removed
            return {"type": item.type_name, key: modifier} if modifier else None
        if isinstance(item, RequestRedirect):
            redirect: JSONDict = {}
            if item.scheme:
                redirect["scheme"] = item.scheme
            if item.hostname:
                redirect["hostname"] = item.hostname
            if item.port is not None:
                redirect["port"] = item.port
            if item.path is not None:
                redirect["path"] = _path_modifier(item.path.type, item.path.value)
            if item.status_code not in (301, 302) and not self.target.has_enum_value(
                kind, "spec.rules[].filters[].requestRedirect.statusCode", item.status_code
            ):
                self.drop(
                    item.provenance,
                    f"redirect status code {item.status_code}",
                    kind,
                    "spec.rules[].filters[].requestRedirect.statusCode",
                    item.status_code,
                )
                item.status_code = 301 if item.status_code == 308 else 302
            redirect["statusCode"] = item.status_code
            return {"type": "RequestRedirect", "requestRedirect": redirect}
        if isinstance(item, URLRewrite):
            rewrite: JSONDict = {}
            if item.hostname:
                rewrite["hostname"] = item.hostname
            if item.path is not None:
                rewrite["path"] = _path_modifier(item.path.type, item.path.value)
            return {"type": "URLRewrite", "urlRewrite": rewrite}
        if isinstance(item, RequestMirror):
            mirror: JSONDict = {"backendRef": self.backend_ref(item.backend, route.ref)}
            if item.percent is not None:
                percent_path = "spec.rules[].filters[].requestMirror.percent"
                if self.has_field(kind, percent_path):
                    mirror["percent"] = item.percent
                else:
                    # Mirroring everything instead of a share changes the load on the mirror,
                    # never the responses clients get.
                    self.drop(
                        item.provenance,
                        f"mirroring {item.percent}% of requests (all are mirrored)",
                        kind,
                        percent_path,
                    )
            return {"type": "RequestMirror", "requestMirror": mirror}
        if isinstance(item, CorsFilter):
            if not self.target.has_enum_value(kind, "spec.rules[].filters[].type", "CORS"):
                # Left for an implementation emitter: the pipeline reports it if none takes it.
                return None
            item.cors.consumed = True
            return {"type": "CORS", "cors": cors_body(item)}
        raise TypeError(f"unknown filter {type(item).__name__}")

    def _header_ok(self, item: HeaderModifier, op: str, name: str, value: str = "-") -> bool:
        """Whether Gateway API takes this header operation; if not it is left out and reported
        (one bad header must not make the whole route invalid)."""
        if _HEADER_NAME.fullmatch(name) and 0 < len(value) <= 4096:
            return True
        why = (
            f"header {name[:80]!r} is not an HTTP header name"
            if not _HEADER_NAME.fullmatch(name)
            else f"the value for header {name!r} is empty or longer than 4096 characters"
        )
        message = f"{op} {why}; Gateway API refuses it, so this header operation is left out"
        for prov in item.provenance:
            self.report.flag(
                Level.WARNING,
                "header-invalid",
                message,
                Status.PARTIAL,
                source=prov.source,
                field=prov.field,
            )
        return False

    def reference_grant(
        self, grant: ReferenceGrant, provenance: list[Provenance]
    ) -> Emitted | None:
        api_version = self.api_version("ReferenceGrant")
        name = grant_name(grant)
        ref = ObjectRef("ReferenceGrant", grant.namespace, name)
        if api_version is None:
            self.drop(provenance, "ReferenceGrant", "ReferenceGrant")
            return None
        self.credit(provenance, ref)
        to: JSONDict = {"group": grant.to_group, "kind": grant.to_kind}
        if grant.to_name:
            to["name"] = grant.to_name
        body: JSONDict = {
            "apiVersion": api_version,
            "kind": "ReferenceGrant",
            "metadata": metadata(name, grant.namespace),
            "spec": {
                "from": [
                    {
                        "group": grant.from_group,
                        "kind": grant.from_kind,
                        "namespace": grant.from_namespace,
                    }
                ],
                "to": [to],
            },
        }
        return Emitted(ref, body)


def cors_body(item: CorsFilter) -> JSONDict:
    cors = item.cors
    body: JSONDict = {}
    if cors.allow_origins:
        body["allowOrigins"] = list(cors.allow_origins)
    if cors.allow_methods:
        body["allowMethods"] = list(cors.allow_methods)
    if cors.allow_headers:
        body["allowHeaders"] = list(cors.allow_headers)
    if cors.expose_headers:
        body["exposeHeaders"] = list(cors.expose_headers)
    if cors.allow_credentials:
        # Absent means "not allowed" in every version (v1.3 even refuses an explicit false).
        body["allowCredentials"] = True
    if cors.max_age is not None:
        body["maxAge"] = cors.max_age
    return body


def _path_modifier(kind: str, value: str) -> JSONDict:
    key = "replaceFullPath" if kind == "ReplaceFullPath" else "replacePrefixMatch"
    return {"type": kind, key: value}


def _everything_in(rule: Rule) -> list[Provenance]:
    """The input fields a rule was made from: its own, its backends' and its filters'."""
    found = list(rule.provenance)
    for backend in rule.backend_refs:
        found.extend(backend.provenance)
    for item in rule.filters:
        found.extend(item.provenance)
    return found


def _rule_provenance(route: Route) -> list[Provenance]:
    return [p for rule in getattr(route, "rules", []) for p in rule.provenance]


# Gateway API's HTTPHeaderName: an HTTP token, at most 256 characters.
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}")


def grant_name(grant: ReferenceGrant) -> str:
    name = f"from-{grant.from_namespace}-{grant.from_kind.lower()}-to-{grant.to_kind.lower()}"
    if grant.to_name:
        name = f"{name}-{grant.to_name}"
    return fit(name, repr(grant))


def _named(element: Gateway | ListenerSet | BackendTLSPolicy) -> tuple[str, str]:
    return (element.namespace or "", element.name)


def _route_order(route: Route) -> tuple[int, str, str, str]:
    return (_rank(route.KIND), route.KIND, route.namespace or "", route.name)


def _rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _grant_key(grant: ReferenceGrant) -> tuple[str, ...]:
    return (
        grant.namespace,
        grant.from_namespace,
        grant.from_kind,
        grant.to_kind,
        grant.to_name or "",
    )


def _level(security: bool) -> Level:
    return Level.ERROR if security else Level.WARNING


def sort_key(item: Emitted) -> tuple[int, str, str, str]:
    """Where an object goes in the output: by kind (Gateways first), namespace and name."""
    kind = item.ref.kind
    return (_rank(kind), kind, item.ref.namespace or "", item.ref.name)
