"""ApisixRoute (``apisix.apache.org/v2``) and ApisixTls.

Each ``spec.http[]`` rule becomes an HTTPRoute rule, on one HTTPRoute per ApisixRoute and host
set, attached to an HTTP listener per host (and an HTTPS listener where an ApisixTls or an
Ingress TLS entry covers the host; the catch-all listener without hosts):

* ``match.paths``: see Paths; ``match.methods``: one match per method; ``match.exprs``:
  Header and Query subjects with ``Equal``, ``In`` (one match per value) and ``RegexMatch``
  (searched anywhere: ``.*(?:value).*``; ``RegexMatchCaseInsensitive`` adds ``(?i)``) become
  header and query-parameter matches. Negations, comparisons, Cookie/Path/Variable/Body
  subjects, ``remoteAddrs`` and ``filter_func`` cannot be matched: they are reported and the
  rule matches more requests than in APISIX.
* ``backends``: weighted backendRefs (APISIX's default weight 100); a named ``servicePort`` is
  resolved from the Service. ``subset`` and ``upstreams`` (ApisixUpstream external nodes) are
  reported. An ApisixUpstream named after a backend Service adds its extensions.
* ``plugins``, ``plugin_config_name``: see Plugins. ``authentication`` (``keyAuth``,
  ``basicAuth``, ``jwtAuth``: auth extensions; ``wolfRbac``, ``ldapAuth``, ``hmacAuth``: an
  access control no emitter carries): rules are emitted **closed** unless the emitter carries it.
* ``timeout``: a timeouts extension (unset values are APISIX's 60s); ``websocket``: Gateway API
  implementations pass upgrades anyway.
* ``priority``: APISIX orders routes with the same uri by priority, Gateway API by method,
  header and query conditions: where a host's rules disagree it is reported.
* ``stream[]``: TCP → a TCP listener at ``match.ingressPort`` and a TCPRoute; UDP → UDPRoute
  (experimental kinds before Gateway API v1.6). ``match.host`` (SNI) is reported.

Objects whose ``spec.ingressClassName`` names another class are skipped; those without one are
served by the controller only when its IngressClass is the cluster's default: converted, with a
note unless the input says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting import grammar, naming
from ingress2gateway.converting.ingress import service_ports
from ingress2gateway.converting.lowering import (
    DEFAULT_SHARED_NAMESPACE,
    GATEWAY_GROUP,
    path_problem,
    tls_covers,
)
from ingress2gateway.ir import (
    APIKeyAuth,
    BackendRef,
    BasicAuth,
    ClientCertAuth,
    Extension,
    Gateway,
    HeaderMatch,
    HTTPRoute,
    JWTAuth,
    Listener,
    Match,
    PathMatch,
    Provenance,
    ReferenceGrant,
    Route,
    Rule,
    SecretRef,
    TCPRoute,
    Timeouts,
    UDPRoute,
    URLRewrite,
    made_from,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from . import objects as apisix_objects
from . import plugins
from .common import APISIX_GROUP, ApisixRun, duration_ms, gateway_duration, parse_int
from .ingress_annotations import apply_effects
from .order import report_regex_order
from .paths import re2_problem, unanchored, uris_matches

_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
_MAX_MATCHES = 64
_OPERATORS = frozenset(
    {
        "Equal",
        "NotEqual",
        "GreaterThan",
        "GreaterThanEqual",
        "LessThan",
        "LessThanEqual",
        "In",
        "NotIn",
        "RegexMatch",
        "RegexMatchCaseInsensitive",
        "RegexNotMatch",
        "RegexNotMatchCaseInsensitive",
    }
)
"""``api/v2/apisixroute_types.go ToVars``: any other operator is an error."""
DEFAULT_WEIGHT = 100


@dataclass
class _TlsHost:
    secret: SecretRef
    obj: KubeObject
    client: bool


@dataclass
class _Built:
    """One converted http rule, for the precedence check."""

    obj: KubeObject
    field: str
    hosts: tuple[str, ...]
    priority: int
    rule: Rule
    conditions: int
    route: HTTPRoute


@dataclass
class _State:
    run: ApisixRun
    gateway: Gateway
    tls: dict[str, _TlsHost] = field(default_factory=dict)
    ports: dict[tuple[str | None, str], dict[str, int]] = field(default_factory=dict)
    built: list[_Built] = field(default_factory=list)
    redirects: dict[int, Any] = field(default_factory=dict)
    routes: list[HTTPRoute] = field(default_factory=list)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def served(run: ApisixRun, obj: KubeObject, owned: set[str]) -> bool:
    """Whether the controller served ``obj`` (``spec.ingressClassName``, else the default)."""
    source = obj.source()
    class_name = (
        obj.spec.get("ingressClassName") if isinstance(obj.data.get("spec"), dict) else None
    )
    if isinstance(class_name, str) and class_name:
        if class_name in owned:
            run.record(source, "spec.ingressClassName", Status.CONVERTED)
            return True
        message = (
            f"skipped: ingress class {class_name!r} is not owned by the apisix provider "
            f"({', '.join(sorted(owned))})"
        )
        run.report.info("ingress-class-not-selected", message, source=source, provider=run.provider)
        run.record(source, "spec", Status.IGNORED, message)
        return False
    if not run.default_class:
        run.fyi(
            source,
            None,
            f"a {obj.kind} without spec.ingressClassName is served only by the controller whose "
            "IngressClass is the cluster's default, which the input does not say; it is converted "
            "as APISIX's",
        )
    return True


def gateway_for(run: ApisixRun, objects: list[KubeObject], class_name: str) -> tuple[Gateway, bool]:
    """The APISIX Gateway the Ingresses got (False), else a new one laid out the same way."""
    options = run.ctx.options
    per_namespace = objects[0].namespace if options.gateway_per_namespace else None
    gateway_class = options.gateway_class_name or class_name
    for gateway in run.ctx.ir.gateways:
        if gateway.gateway_class == gateway_class and (
            not options.gateway_per_namespace or gateway.namespace == per_namespace
        ):
            return gateway, False
    namespaces = sorted({o.namespace or "" for o in objects})
    if options.gateway_per_namespace:
        namespace = per_namespace
    elif options.gateway_namespace:
        namespace = options.gateway_namespace
    else:
        namespace = objects[0].namespace if len(namespaces) == 1 else DEFAULT_SHARED_NAMESPACE
    name = run.ctx.allocator("Gateway", namespace).allocate(
        options.gateway_name or class_name, f"gateway/{class_name}/{per_namespace}"
    )
    gateway = Gateway(name=name, namespace=namespace, gateway_class=gateway_class)
    run.ctx.ir.gateways.append(gateway)
    return gateway, True


def convert(run: ApisixRun, owned: set[str], class_name: str) -> None:
    found = []
    tls_objects = []
    for obj in run.ctx.objects:
        if obj.group != APISIX_GROUP or id(obj) in run.ctx.claimed:
            continue
        if obj.kind == "ApisixRoute" and isinstance(obj.data.get("spec"), dict):
            if served(run, obj, owned):
                found.append(obj)
            else:
                run.ctx.claim(obj)
        elif obj.kind == "ApisixTls" and isinstance(obj.data.get("spec"), dict):
            if served(run, obj, owned):
                tls_objects.append(obj)
            else:
                run.ctx.claim(obj)
    key = lambda o: (o.namespace or "", o.name or "")  # noqa: E731
    found.sort(key=key)
    tls_objects.sort(key=key)
    groups: dict[str | None, list[KubeObject]] = {}
    for obj in found + tls_objects:
        group = obj.namespace if run.ctx.options.gateway_per_namespace else None
        groups.setdefault(group, []).append(obj)
    for group in sorted(groups, key=lambda g: g or ""):
        members = groups[group]
        gateway, created = gateway_for(run, members, class_name)
        state = _State(run, gateway, ports=service_ports(run.ctx.objects))
        _read_tls(state, [o for o in members if o.kind == "ApisixTls"])
        for obj in members:
            if obj.kind == "ApisixRoute":
                run.use(obj)
                _convert_route(state, obj)
        _precedence(state)
        report_regex_order(run, state.routes)
        _https_for_every_route(state)
        _account_tls(state, [o for o in members if o.kind == "ApisixTls"])
        run.redirects.update(state.redirects)
        if created and not gateway.listeners:
            run.ctx.ir.gateways.remove(gateway)


# --- TLS -------------------------------------------------------------------------------------


def _read_tls(state: _State, tls_objects: list[KubeObject]) -> None:
    run = state.run
    for obj in tls_objects:
        run.use(obj)
        source = obj.source()
        spec = obj.spec
        secret = spec.get("secret")
        name = secret.get("name") if isinstance(secret, dict) else None
        namespace = secret.get("namespace") if isinstance(secret, dict) else None
        if not isinstance(name, str) or not name:
            run.invalid(source, "spec.secret", "an ApisixTls needs secret.name")
            continue
        namespace = namespace if isinstance(namespace, str) and namespace else obj.namespace
        client = isinstance(spec.get("client"), dict)
        hosts = spec.get("hosts")
        for index, host in enumerate(hosts if isinstance(hosts, list) else []):
            if not isinstance(host, str) or grammar.hostname_problem(host.lower()):
                run.invalid(source, f"spec.hosts[{index}]", f"{host!r} is not a host name")
                continue
            state.tls.setdefault(host.lower(), _TlsHost(SecretRef(name, namespace), obj, client))
        if client:
            client_spec = spec["client"]
            ca = (
                client_spec.get("caSecret") if isinstance(client_spec.get("caSecret"), dict) else {}
            )
            ext = ClientCertAuth(
                ca_secret=str(ca.get("name", "")),
                ca_namespace=str(ca.get("namespace") or obj.namespace or "") or None,
                provenance=[Provenance(source, "spec.client")],
            )
            state.gateway.extensions.append(ext)
        for key in sorted(spec):
            if key not in ("hosts", "secret", "client") and not run.report.has_entry(
                source, f"spec.{key}"
            ):
                run.record(
                    source,
                    f"spec.{key}",
                    Status.CONVERTED if key == "ingressClassName" else Status.IGNORED,
                )


def _https_for_every_route(state: _State) -> None:
    """An ApisixTls host that only Ingresses route still gets its HTTPS listener: APISIX's
    certificates serve every route of the host."""
    for listener in list(state.gateway.listeners):
        if listener.protocol != "HTTP" or listener.hostname is None:
            continue
        tls = _tls_for(state, listener.hostname)
        if tls is None:
            continue
        _listener(state, "HTTPS", listener.hostname, Provenance(tls.obj.source(), "spec.hosts"))


def _account_tls(state: _State, tls_objects: list[KubeObject]) -> None:
    """An ApisixTls whose hosts no converted route serves made no listener."""
    run = state.run
    made = {
        (item.source, item.field)
        for listener in state.gateway.listeners
        for item in listener.provenance
    }
    for obj in tls_objects:
        source = obj.source()
        used = (source, "spec.secret") in made
        for key in ("hosts", "secret", "client"):
            if key not in obj.spec or run.report.has_entry(source, f"spec.{key}"):
                continue
            if used:
                if key != "client":
                    run.record(source, f"spec.{key}", Status.CONVERTED)
                continue
            run.record(source, f"spec.{key}", Status.IGNORED, "no converted route serves its hosts")
        if not used:
            state.gateway.extensions = [
                ext
                for ext in state.gateway.extensions
                if not any(item.source == source for item in ext.provenance)
            ]


def _listener(state: _State, protocol: str, host: str | None, prov: Provenance) -> Listener | None:
    gateway = state.gateway
    port = 443 if protocol == "HTTPS" else 80
    for listener in gateway.listeners:
        if (listener.protocol, listener.port, listener.hostname) == (protocol, port, host):
            made_from(listener, prov)
            return listener
    certificate: list[SecretRef] = []
    provenance = [prov]
    if protocol == "HTTPS":
        tls = _tls_for(state, host)
        if tls is None:
            return None
        secret = tls.secret
        ref = SecretRef(
            secret.name, secret.namespace if secret.namespace != gateway.namespace else None
        )
        certificate = [ref]
        source = tls.obj.source()
        provenance += [Provenance(source, "spec.hosts"), Provenance(source, "spec.secret")]
        if tls.client:
            provenance.append(Provenance(source, "spec.client"))
        if ref.namespace is not None and gateway.namespace is not None:
            state.run.ctx.ir.add_grant(
                ReferenceGrant(
                    namespace=ref.namespace,
                    from_group=GATEWAY_GROUP,
                    from_kind="Gateway",
                    from_namespace=gateway.namespace,
                    to_group="",
                    to_kind="Secret",
                    to_name=secret.name,
                ),
                Provenance(source, "spec.secret"),
            )
    taken = {item.name for item in gateway.listeners}
    base = f"{naming.host_slug(host)}-{protocol.lower()}"
    name, counter = base, 2
    while name in taken:
        name, counter = f"{base}-{counter}", counter + 1
    listener = Listener(
        name=name,
        port=port,
        protocol=protocol,  # type: ignore[arg-type]
        hostname=host,
        tls_mode="Terminate" if protocol == "HTTPS" else None,
        certificate_refs=certificate,
        provenance=provenance,
    )
    gateway.listeners.append(listener)
    return listener


def _tls_for(state: _State, host: str | None) -> _TlsHost | None:
    if host is None:
        return None
    if host in state.tls:
        return state.tls[host]
    for tls_host, found in sorted(state.tls.items()):
        if tls_covers(tls_host, host):
            return found
    return None


# --- http rules ------------------------------------------------------------------------------


def _convert_route(state: _State, obj: KubeObject) -> None:
    run = state.run
    source = obj.source()
    spec = obj.spec
    http = spec.get("http")
    by_hosts: dict[tuple[str, ...], HTTPRoute] = {}
    for index, item in enumerate(http if isinstance(http, list) else []):
        base = f"spec.http[{index}]"
        if not isinstance(item, dict):
            run.invalid(source, base, "not a mapping")
            continue
        converted = _convert_rule(state, obj, item, base)
        if converted is None:
            continue
        hosts, rules, priority, conditions = converted
        route = by_hosts.get(hosts)
        if route is None:
            route = _new_route(state, obj, hosts, len(by_hosts), base)
            if route is None:
                continue
            by_hosts[hosts] = route
        for rule in rules:
            route.rules.append(rule)
            state.built.append(_Built(obj, base, hosts, priority, rule, conditions, route))
        made_from(route, Provenance(source, f"{base}.match"))
    if http is not None and not isinstance(http, list):
        run.invalid(source, "spec.http", "not a list")
    stream = spec.get("stream")
    if isinstance(stream, list):
        for index, item in enumerate(stream):
            _convert_stream(state, obj, item, f"spec.stream[{index}]")
    for key in sorted(spec):
        if key not in ("http", "stream") and not run.report.has_entry(source, f"spec.{key}"):
            run.record(source, f"spec.{key}", Status.IGNORED, "not routing configuration")


def _new_route(
    state: _State, obj: KubeObject, hosts: tuple[str, ...], number: int, base: str
) -> HTTPRoute | None:
    run = state.run
    source = obj.source()
    prov = Provenance(source, f"{base}.match.hosts" if hosts else base)
    listeners: list[Listener] = []
    for host in hosts or (None,):
        for protocol in ("HTTP", "HTTPS"):
            found = _listener(state, protocol, host, prov)
            if found is not None:
                listeners.append(found)
    gateway = state.gateway
    for listener in listeners:
        if obj.namespace != gateway.namespace:
            listener.allowed_namespaces.add(obj.namespace)
    wanted = obj.name or "apisixroute"
    if number:
        wanted = f"{wanted}-{number + 1}"
    route = HTTPRoute(
        name=run.ctx.allocator("HTTPRoute", obj.namespace).allocate(
            wanted, f"apisix/{obj.namespace}/{obj.name}/{'/'.join(hosts)}"
        ),
        namespace=obj.namespace,
        hostnames=list(hosts),
        parent_refs=[gateway.parent_ref(obj.namespace, lst.name) for lst in listeners],
        provenance=[prov],
    )
    made_from(gateway, prov)
    run.ctx.ir.routes.append(route)
    state.routes.append(route)
    return route


def _hosts(run: ApisixRun, source: SourceRef, base: str, value: object) -> tuple[str, ...] | None:
    hosts: list[str] = []
    items = value if isinstance(value, list) else []
    for index, host in enumerate(items):
        text = host.lower() if isinstance(host, str) else ""
        if not text or grammar.hostname_problem(text):
            run.invalid(source, f"{base}.match.hosts[{index}]", f"{host!r} is not a host name")
            continue
        if text not in hosts:
            hosts.append(text)
    if items and not hosts:
        return None
    return tuple(sorted(hosts))


def _paths(run: ApisixRun, source: SourceRef, base: str, value: object) -> list[PathMatch]:
    uris = [p for p in value if isinstance(p, str)] if isinstance(value, list) else []
    out: list[PathMatch] = []
    for match, note in uris_matches(uris):
        if match.type != "RegularExpression" and path_problem(match.value):
            run.invalid(
                source,
                f"{base}.match.paths",
                f"path {match.value!r} {path_problem(match.value)}; left out",
            )
            continue
        if not match.value.startswith("/"):
            run.invalid(
                source, f"{base}.match.paths", f"path {match.value!r} does not start with /"
            )
            continue
        if note:
            run.differs(source, f"{base}.match.paths", note)
        out.append(match)
    return out


def _exprs(
    run: ApisixRun, source: SourceRef, base: str, value: object
) -> list[tuple[tuple[HeaderMatch, ...], tuple[HeaderMatch, ...]]] | None:
    """The alternatives of header and query matches the exprs mean; None when the controller
    refuses them (an empty name, an unknown scope or operator: ``ToVars``)."""
    options: list[list[tuple[str, HeaderMatch]]] = []
    for index, expr in enumerate(value if isinstance(value, list) else []):
        field_path = f"{base}.match.exprs[{index}]"
        if not isinstance(expr, dict):
            run.invalid(source, field_path, "not a mapping")
            return None
        subject = _dict(expr.get("subject"))
        scope, name, op = subject.get("scope"), subject.get("name"), expr.get("op")
        if scope not in ("Header", "Query", "Cookie", "Path", "Variable", "Body") or (
            scope != "Path" and not (isinstance(name, str) and name)
        ):
            run.invalid(
                source,
                field_path,
                "the controller refuses this expression (scope or "
                "name) and does not program the route",
            )
            return None
        if op not in _OPERATORS:
            run.invalid(
                source,
                f"{field_path}.op",
                f"operator {op!r} is unknown: the controller refuses the expression and does "
                "not program the route",
            )
            return None
        values: list[str]
        if op in ("In", "NotIn"):
            values = [str(v) for v in expr.get("set") or [] if isinstance(v, (str, int))]
        else:
            raw = expr.get("value")
            values = [str(raw)] if isinstance(raw, (str, int)) else []
        if not values:
            run.invalid(
                source,
                field_path,
                "an expression without value (or set) is refused by the controller",
            )
            return None
        kind = "header" if scope == "Header" else "query" if scope == "Query" else None
        matches: list[tuple[str, HeaderMatch]] = []
        if kind is not None and isinstance(name, str) and op in ("Equal", "In"):
            matches = [(kind, HeaderMatch(name, v)) for v in values]
        elif (
            kind is not None
            and isinstance(name, str)
            and op in ("RegexMatch", "RegexMatchCaseInsensitive")
        ):
            pattern = unanchored(values[0])
            if op == "RegexMatchCaseInsensitive":
                pattern = "(?i)" + pattern
            if re2_problem(pattern) is None:
                matches = [(kind, HeaderMatch(name, pattern, "RegularExpression"))]
        if not matches:
            run.differs(
                source,
                field_path,
                f"{scope} {op} cannot be matched in Gateway API; the "
                "rule matches without this condition (more requests than in APISIX)",
            )
            continue
        run.record(source, field_path, Status.CONVERTED)
        options.append(matches)
    out = []
    for combo in itertools.product(*options) if options else [()]:
        headers = tuple(m for k, m in combo if k == "header")
        queries = tuple(m for k, m in combo if k == "query")
        out.append((headers, queries))
    return out


def _backends(
    state: _State, obj: KubeObject, item: dict[str, Any], base: str
) -> list[BackendRef] | None:
    run = state.run
    source = obj.source()
    refs: list[BackendRef] = []
    backends = item.get("backends")
    for index, backend in enumerate(backends if isinstance(backends, list) else []):
        field_path = f"{base}.backends[{index}]"
        prov = Provenance(source, field_path)
        if not isinstance(backend, dict) or not isinstance(backend.get("serviceName"), str):
            run.invalid(source, field_path, "a backend needs serviceName")
            continue
        name = backend["serviceName"]
        raw_port = backend.get("servicePort")
        port = parse_int(raw_port)
        if port is None and isinstance(raw_port, str):
            port = state.ports.get((obj.namespace, name), {}).get(raw_port)
            if port is None:
                run.missing(
                    source,
                    field_path,
                    f"Service {name} port {raw_port!r} is not in the "
                    "input; the backend is left out",
                )
                continue
        if port is None or not 0 < port < 65536:
            run.invalid(source, field_path, "servicePort is missing or not a port")
            continue
        weight = parse_int(backend.get("weight"))
        ref = BackendRef(
            name=name,
            port=port,
            weight=(DEFAULT_WEIGHT if weight is None else max(weight, 0))
            if len(backends) > 1  # type: ignore[arg-type]
            else None,
            provenance=[prov],
        )
        refs.append(ref)
        if "subset" in backend:
            run.unsupported(
                source,
                f"{field_path}.subset",
                "subsets select Pods by label: make one Service per subset",
            )
        run.record(source, field_path, Status.CONVERTED)
    if isinstance(item.get("upstreams"), list) and item["upstreams"]:
        run.unsupported(
            source,
            f"{base}.upstreams",
            "ApisixUpstream external nodes have no "
            "Service to route to: create an ExternalName Service and name it",
        )
    return refs


def _authentication(run: ApisixRun, source: SourceRef, base: str, value: object) -> list[Extension]:
    if not isinstance(value, dict):
        return []
    field_path = f"{base}.authentication"
    if value.get("enable") is not True:
        run.record(source, field_path, Status.IGNORED, "enable is not true")
        return []
    kind = value.get("type")
    prov = [Provenance(source, field_path)]
    if kind == "keyAuth":
        conf = _dict(value.get("keyAuth"))
        header = conf.get("header", "apikey")
        return [APIKeyAuth(key_names=[str(header)], in_header=True, in_query=True, provenance=prov)]
    if kind == "basicAuth":
        return [BasicAuth(secret_name="", provenance=prov)]
    if kind == "jwtAuth":
        return [JWTAuth(provenance=prov)]
    return [plugins.AccessControl(what=f"APISIX authentication {kind}", provenance=prov)]


def _convert_rule(
    state: _State, obj: KubeObject, item: dict[str, Any], base: str
) -> tuple[tuple[str, ...], list[Rule], int, int] | None:
    run = state.run
    source = obj.source()
    match = _dict(item.get("match"))
    hosts = _hosts(run, source, base, match.get("hosts"))
    if hosts is None:
        run.invalid(source, base, "no valid host: the rule is not converted")
        return None
    paths = _paths(run, source, base, match.get("paths"))
    if not paths:
        run.invalid(
            source,
            f"{base}.match.paths",
            "no path Gateway API can match: the rule is not converted",
        )
        return None
    methods = [m.upper() for m in match.get("methods") or [] if isinstance(m, str)]
    bad = [m for m in methods if m not in _METHODS]
    if bad:
        run.invalid(source, f"{base}.match.methods", f"{', '.join(bad)}: not HTTP methods")
        methods = [m for m in methods if m in _METHODS]
        if not methods:
            return None
    exprs = _exprs(run, source, base, match.get("exprs"))
    if exprs is None:
        return None
    for key, what in (("remoteAddrs", "client-address matching"), ("filter_func", "a Lua filter")):
        if match.get(key):
            run.differs(
                source,
                f"{base}.match.{key}",
                f"{what} cannot be matched in Gateway "
                "API; the rule matches without it (more requests than in APISIX)",
            )
    matches = [
        Match(path=path, method=method, headers=headers, query_params=queries)
        for path in paths
        for method in ([*methods] if methods else [None])
        for headers, queries in exprs
    ]
    conditions = (1 if methods else 0) + max((len(h) + len(q) for h, q in exprs), default=0)
    backends = _backends(state, obj, item, base)
    prov = Provenance(source, base)
    effects = apisix_objects.merged(
        apisix_objects.plugins_effects(run, source, f"{base}.plugins", item.get("plugins"))
    )
    config_name = item.get("plugin_config_name")
    if isinstance(config_name, str) and config_name:
        namespace = item.get("plugin_config_namespace") or obj.namespace
        config = run.plugin_configs.get((namespace, config_name))
        if config is None:
            run.missing(
                source,
                f"{base}.plugin_config_name",
                f"ApisixPluginConfig {config_name!r}"
                " is not in the input; its plugins are not converted",
            )
        else:
            extra = apisix_objects.plugin_effects(run, config, source, f"{base}.plugin_config_name")
            effects = apisix_objects.merged([effects, extra])
            run.record(source, f"{base}.plugin_config_name", Status.CONVERTED)
    extensions = _authentication(run, source, base, item.get("authentication"))
    timeout = item.get("timeout")
    if isinstance(timeout, dict):
        values = {k: duration_ms(timeout.get(k)) or 60_000 for k in ("connect", "read", "send")}
        extensions.append(
            Timeouts(
                connect=gateway_duration(values["connect"]),
                read=gateway_duration(values["read"]),
                send=gateway_duration(values["send"]),
                provenance=[Provenance(source, f"{base}.timeout")],
            )
        )
    for ref in backends or []:
        extensions.extend(apisix_objects.upstream_extensions(run, obj.namespace, ref.name))
    host_rewrite = (
        apisix_objects.upstream_host(run, obj.namespace, backends[0].name)
        if backends and len(backends) == 1
        else None
    )
    if not backends and effects.redirect is None:
        run.invalid(source, base, "no backend Gateway API can route to: the rule is not converted")
        return None
    rules = []
    for start in range(0, len(matches), _MAX_MATCHES):
        rule = Rule(
            matches=matches[start : start + _MAX_MATCHES],
            backend_refs=[
                BackendRef(
                    r.name, r.namespace, r.port, weight=r.weight, provenance=list(r.provenance)
                )
                for r in backends or []
            ],
            name=None,
            extensions=list(extensions),
            provenance=[prov],
            sources=[source],
        )
        apply_effects(rule, effects, state.redirects)
        if host_rewrite is not None and rule.backend_refs:
            _rewrite_host(rule, *host_rewrite)
        rules.append(rule)
    for key in ("name", "websocket", "priority"):
        if key in item and not run.report.has_entry(source, f"{base}.{key}"):
            run.record(source, f"{base}.{key}", Status.CONVERTED)
    for key in sorted(item):
        field_path = f"{base}.{key}"
        if key in ("match", "backends", "plugins", "upstreams", "authentication", "timeout"):
            continue
        if not run.report.has_entry(source, field_path):
            run.record(source, field_path, Status.IGNORED, "not routing configuration")
    run.record(source, f"{base}.match", Status.CONVERTED)
    priority = parse_int(item.get("priority")) or 0
    return hosts, rules, priority, conditions


def _rewrite_host(rule: Rule, host: str, provenance: list[Provenance]) -> None:
    """The upstream's Host rewrite, in the rule's one URLRewrite (proxy-rewrite's own host
    wins: it sets the Host header itself)."""
    for index, item in enumerate(rule.filters):
        if isinstance(item, URLRewrite):
            if item.hostname is None:
                rule.filters[index] = URLRewrite(
                    hostname=host, path=item.path, provenance=[*item.provenance, *provenance]
                )
            return
    rule.filters.append(URLRewrite(hostname=host, provenance=list(provenance)))


def _precedence(state: _State) -> None:
    """APISIX takes, among the routes of one uri, the one of higher ``priority`` first; Gateway
    API the rule with more conditions (method, headers, query). A lower-priority rule whose
    uri a condition-free higher-priority rule also has is never reached in APISIX: that match
    is left out. Where the higher one has conditions too, the difference is reported."""
    by_key: dict[tuple[tuple[str, ...], PathMatch], list[_Built]] = {}
    for built in state.built:
        for match in built.rule.matches:
            if match.path is not None:
                found = by_key.setdefault((built.hosts, match.path), [])
                if built not in found:
                    found.append(built)
    run = state.run
    reported: set[tuple[int, int]] = set()
    shadowed: dict[int, set[PathMatch]] = {}
    for (_, path), items in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        for first, second in itertools.combinations(items, 2):
            if first.priority == second.priority:
                if path.type == "RegularExpression" and (id(first), id(second)) not in reported:
                    reported.add((id(first), id(second)))
                    run.differs(
                        second.obj.source(),
                        f"{second.field}.match.paths",
                        f"two rules share path {path.value} with the same priority: APISIX "
                        "picks one by its internal order, the Gateway by its own",
                    )
                continue
            high, low = (first, second) if first.priority > second.priority else (second, first)
            if high.conditions == 0:
                shadowed.setdefault(id(low), set()).add(path)
                run.fyi(
                    low.obj.source(),
                    f"{low.field}.priority",
                    f"APISIX always takes {high.obj.name}'s {high.field} (priority "
                    f"{high.priority}, no conditions) before this rule for path {path.value}: "
                    "this rule never answered those requests, so that match is left out",
                )
            elif low.conditions > high.conditions and (id(high), id(low)) not in reported:
                reported.add((id(high), id(low)))
                run.differs(
                    low.obj.source(),
                    f"{low.field}.priority",
                    f"APISIX tries {high.obj.name}'s {high.field} (priority {high.priority}) "
                    f"before this rule (priority {low.priority}) for path {path.value}; Gateway "
                    "API tries the rule with more conditions first, this one",
                )
    for built in state.built:
        paths = shadowed.get(id(built))
        if not paths:
            continue
        built.rule.matches = [m for m in built.rule.matches if m.path not in paths]
        if not built.rule.matches and built.rule in built.route.rules:
            built.route.rules.remove(built.rule)
            run.report.overrule(
                built.obj.source(),
                f"{built.field}.match",
                Status.IGNORED,
                "a higher-priority rule without conditions takes all its requests in APISIX",
                provider=run.provider,
            )
    for route in state.routes:
        if not route.rules and route in run.ctx.ir.routes:
            run.ctx.ir.routes.remove(route)


# --- stream rules ----------------------------------------------------------------------------


def _convert_stream(state: _State, obj: KubeObject, item: object, base: str) -> None:
    run = state.run
    source = obj.source()
    if not isinstance(item, dict):
        run.invalid(source, base, "not a mapping")
        return
    protocol = str(item.get("protocol", "")).upper()
    match = _dict(item.get("match"))
    port = parse_int(match.get("ingressPort"))
    backend = _dict(item.get("backend"))
    name = backend.get("serviceName")
    service_port = parse_int(backend.get("servicePort"))
    if isinstance(backend.get("servicePort"), str) and service_port is None:
        service_port = state.ports.get((obj.namespace, str(name)), {}).get(backend["servicePort"])
    if protocol not in ("TCP", "UDP") or port is None or not 0 < port < 65536:
        run.invalid(source, base, "a stream rule needs protocol TCP or UDP and match.ingressPort")
        return
    if not isinstance(name, str) or service_port is None or not 0 < service_port < 65536:
        run.invalid(source, f"{base}.backend", "backend needs serviceName and servicePort")
        return
    if match.get("host"):
        run.unsupported(
            source,
            f"{base}.match.host",
            "SNI matching of stream routes: use a TLSRoute with the certificate by hand",
        )
    prov = Provenance(source, base)
    gateway = state.gateway
    listener = None
    for existing in gateway.listeners:
        if (existing.protocol, existing.port) == (protocol, port):
            listener = existing
    if listener is None:
        taken = {item.name for item in gateway.listeners}
        lname, counter = f"{protocol.lower()}-{port}", 2
        while lname in taken:
            lname, counter = f"{protocol.lower()}-{port}-{counter}", counter + 1
        listener = Listener(name=lname, port=port, protocol=protocol, provenance=[prov])  # type: ignore[arg-type]
        gateway.listeners.append(listener)
    if obj.namespace != gateway.namespace:
        listener.allowed_namespaces.add(obj.namespace)
    route: Route = (
        UDPRoute(name="", namespace=obj.namespace)
        if protocol == "UDP"
        else TCPRoute(name="", namespace=obj.namespace)
    )
    route.name = run.ctx.allocator(route.KIND, obj.namespace).allocate(
        f"{obj.name}-{item.get('name')}"
        if isinstance(item.get("name"), str)
        else obj.name or "stream",
        f"apisix/{obj.namespace}/{obj.name}/{base}",
    )
    route.parent_refs = [gateway.parent_ref(obj.namespace, listener.name)]
    route.provenance = [prov]
    assert isinstance(route, (TCPRoute, UDPRoute))
    route.backend_refs = [BackendRef(name=name, port=service_port, provenance=[prov])]
    run.ctx.ir.routes.append(route)
    made_from(gateway, prov)
    run.record(source, base, Status.CONVERTED)
    if isinstance(item.get("plugins"), list) and item["plugins"]:
        run.unsupported(source, f"{base}.plugins", "plugins of stream routes are not converted")
