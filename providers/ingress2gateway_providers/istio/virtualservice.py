"""Istio ``VirtualService`` → HTTPRoute, TLSRoute and TCPRoute.

``hosts`` become ``hostnames`` (short names are ``<name>.<namespace>.svc.cluster.local``, ``*``
means every host); ``gateways`` become parentRefs (see :mod:`.parents`). All ``http[]`` routes of
a VirtualService go into one HTTPRoute in Istio's order (split into several, named in order,
beyond Gateway API's 16 rules per route), and :mod:`.matching` keeps Istio's first-match
semantics. Destinations become Service backendRefs with their weights; a destination without a
port takes the port of the Service when the Service is in the input and has exactly one, and is
otherwise an error (never a port-less backendRef, which the API server rejects). Destinations in
another namespace get a ReferenceGrant there. ``subset`` needs one Service per subset: the
backendRef targets the whole Service and the subset's labels are reported.

``redirect`` → RequestRedirect (``uri`` → ReplaceFullPath, ``authority``, ``port``, ``scheme``,
``redirectCode``); ``rewrite.uri`` → ReplacePrefixMatch on prefix matches and ReplaceFullPath on
exact and regex matches (one rule per match, as Gateway API requires); ``rewrite.authority`` →
hostname; ``uriRegexRewrite`` → regex-rewrite extension; ``timeout`` → ``timeouts.request``;
``retries`` → retry extension; ``mirror``/``mirrors`` → RequestMirror with percent; ``headers``
→ header modifiers; ``corsPolicy`` → the CORS filter (or the CORS extension on targets without
it). ``fault`` and ``directResponse`` travel as extensions no standard emitter expresses;
``delegate`` is an error (delegated routes must be merged by hand). ``tls[]`` → one TLSRoute per
entry (hostnames from ``sniHosts``), ``tcp[]`` → one TCPRoute per entry (bound to listeners of the
matched ``port``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway import grammar
from ingress2gateway.ir import (
    BackendRef,
    Cors,
    CorsFilter,
    Extension,
    Filter,
    HeaderModifier,
    HTTPRoute,
    Match,
    ParentRef,
    PathMatch,
    PathModifier,
    Provenance,
    RegexRewrite,
    RequestMirror,
    RequestRedirect,
    Retry,
    Rule,
    TCPRoute,
    TLSRoute,
    Unrepresentable,
    URLRewrite,
)
from ingress2gateway.naming import NameAllocator, slug
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.report import Level, Status

from .common import (
    Fields,
    State,
    as_dict,
    as_list,
    gateway_duration,
    ns_of,
    seconds,
    valid_hostname,
)
from .matching import Entry, OrderFinding, preserve_first_match, uri_match, value_match
from .parents import HTTP_LISTENERS, TCP_LISTENERS, TLS_LISTENERS, gateway_keys, parent_refs

VS_KEYS = ("hosts", "gateways", "http", "tls", "tcp", "exportTo")
HTTP_KEYS = (
    "name",
    "match",
    "route",
    "redirect",
    "directResponse",
    "delegate",
    "rewrite",
    "timeout",
    "retries",
    "fault",
    "mirror",
    "mirrors",
    "mirrorPercentage",
    "mirrorPercent",
    "corsPolicy",
    "headers",
)
MATCH_KEYS = (
    "name",
    "uri",
    "scheme",
    "method",
    "authority",
    "headers",
    "port",
    "sourceLabels",
    "gateways",
    "queryParams",
    "ignoreUriCase",
    "withoutHeaders",
    "sourceNamespace",
    "statPrefix",
)
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
MAX_RULES = 16
MAX_HOSTNAMES = 16
MAX_MATCHES = 128
_ROOT = PathMatch("PathPrefix", "/")


@dataclass
class Template:
    """What one Istio ``http[]`` route contributes to each Gateway API rule made from it."""

    group: int
    name: str | None = None
    backends: list[BackendRef] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    rewrite_uri: str | None = None
    rewrite_host: str | None = None
    rewrite_prov: list[Provenance] = field(default_factory=list)
    timeout: str | None = None
    extensions: list[Extension] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)


@dataclass
class VS:
    state: State
    obj: KubeObject
    fields: Fields
    namespace: str
    keys: list[tuple[str, str]]
    hosts: list[str]

    @property
    def hostnames(self) -> list[str]:
        return [] if "*" in self.hosts else [h for h in self.hosts if valid_hostname(h)]


def convert_virtual_service(state: State, obj: KubeObject) -> None:
    fields = state.fields(obj)
    spec = obj.spec
    namespace = ns_of(obj)
    fields.unknown_keys("spec", spec, VS_KEYS)
    if "exportTo" in spec:
        fields.ignored(
            "spec.exportTo", "visibility to sidecars; Gateway API routes bind by parentRefs"
        )
    raw_gateways = as_list(spec.get("gateways"))
    keys = gateway_keys(state, fields, raw_gateways, namespace)
    if not keys:
        message = (
            "mesh-only VirtualService (no ingress gateway in spec.gateways): sidecar routing is "
            "not converted"
        )
        fields.ignored("spec", message, "istio-mesh-only")
        return
    fields.record(
        "spec.gateways",
        Status.PARTIAL if "mesh" in raw_gateways else Status.CONVERTED,
        "the mesh gateway is not converted" if "mesh" in raw_gateways else None,
    )
    hosts = _hosts(state, fields, spec, namespace)
    vs = VS(state, obj, fields, namespace, keys, hosts)
    if "http" in spec:
        _http(vs, as_list(spec.get("http")))
    for index, item in enumerate(as_list(spec.get("tls"))):
        _l4(vs, "tls", index, item)
    for index, item in enumerate(as_list(spec.get("tcp"))):
        _l4(vs, "tcp", index, item)


def _hosts(state: State, fields: Fields, spec: JSONDict, namespace: str) -> list[str]:
    hosts: list[str] = []
    for index, raw in enumerate(as_list(spec.get("hosts"))):
        if not isinstance(raw, str) or not raw:
            fields.unsupported(f"spec.hosts[{index}]", f"host {raw!r} is not a string")
            continue
        host = state.fqdn(raw.lower(), namespace)
        if host != "*" and not valid_hostname(host):
            fields.unsupported(
                f"spec.hosts[{index}]", f"host {raw!r} is not a valid route hostname (IP address?)"
            )
            continue
        hosts.append(host)
    if "hosts" in spec:
        fields.converted("spec.hosts")
    return hosts or ["*"]


# --- http --------------------------------------------------------------------------------------


def _http(vs: VS, routes: list[object]) -> None:
    templates: list[Template] = []
    entries: list[Entry] = []
    for index, item in enumerate(routes):
        path = f"spec.http[{index}]"
        if not isinstance(item, dict):
            vs.fields.unsupported(path, "route is not a mapping")
            continue
        vs.fields.unknown_keys(path, item, HTTP_KEYS)
        templates.append(_template(vs, index, item))
        found = _matches(vs, index, item)
        entries.extend(found)
    prefixes = sorted(
        {
            e.match.path.value
            for e in entries
            if e.match.path is not None
            and e.match.path.type == "PathPrefix"
            and not e.match.path.value.endswith("/")
        }
    )
    if prefixes:
        vs.fields.notify(
            Level.INFO,
            "istio-prefix-semantics",
            "spec.http",
            f"Istio's uri prefixes are character prefixes ({', '.join(prefixes)} also match "
            "longer names, e.g. <prefix>-old); Gateway API PathPrefix matches whole path "
            "segments only",
        )
    ordered, findings = preserve_first_match(entries)
    _report_order(vs, findings)
    rules = _rules(vs, templates, ordered)
    _emit_http_routes(vs, rules)


def _matches(vs: VS, index: int, item: JSONDict) -> list[Entry]:
    matches = as_list(item.get("match"))
    if not matches:
        return [Entry(index, Match())]
    out: list[Entry] = []
    vs.fields.converted(f"spec.http[{index}].match")
    for j, raw in enumerate(matches):
        path = f"spec.http[{index}].match[{j}]"
        if not isinstance(raw, dict):
            vs.fields.unsupported(path, "match is not a mapping")
            continue
        entry = _match(vs.fields, path, index, raw)
        if entry is not None:
            out.append(entry)
    return out


def _match(fields: Fields, path: str, group: int, raw: JSONDict) -> Entry | None:
    fields.unknown_keys(path, raw, MATCH_KEYS)
    exact = True
    ignore_case = bool(raw.get("ignoreUriCase"))
    uri = None
    if "uri" in raw:
        uri = uri_match(raw["uri"], ignore_case)
        if uri is None:
            fields.unsupported(f"{path}.uri", f"uri match {raw['uri']!r} is not a StringMatch")
            return None
    headers = []
    for name, value in sorted(as_dict(raw.get("headers")).items()):
        header = value_match(str(name), value)
        if header is None:
            fields.unsupported(f"{path}.headers", f"header match {name!r}: {value!r} not converted")
            exact = False
        else:
            headers.append(header)
    queries = []
    for name, value in sorted(as_dict(raw.get("queryParams")).items()):
        query = value_match(str(name), value)
        if query is None:
            fields.unsupported(
                f"{path}.queryParams", f"query match {name!r}: {value!r} not converted"
            )
            exact = False
        else:
            queries.append(query)
    method = None
    if "method" in raw:
        method_value = as_dict(raw["method"]).get("exact")
        if isinstance(method_value, str) and method_value.upper() in METHODS:
            method = method_value.upper()
        else:
            fields.unsupported(
                f"{path}.method",
                f"method match {raw['method']!r}: only an exact standard method converts; the "
                "match is wider than in Istio",
            )
            exact = False
    for key, why in (
        ("scheme", "no scheme match in Gateway API"),
        ("authority", "no per-match host condition in Gateway API (hostnames are per route)"),
        ("port", "no per-match port condition (parentRefs bind listeners by port)"),
        ("withoutHeaders", "no negative header match in Gateway API"),
        ("sourceLabels", "source workload labels are a mesh concept"),
        ("sourceNamespace", "source namespace is a mesh concept"),
        ("gateways", "per-match gateways: the match applies to every bound listener"),
    ):
        if key in raw:
            fields.unsupported(f"{path}.{key}", f"{key}: {why}; the match is wider than in Istio")
            exact = False
    for key in ("name", "statPrefix"):
        if key in raw:
            fields.record(f"{path}.{key}", Status.IGNORED, "names and stats only")
    if "ignoreUriCase" in raw:
        fields.converted(f"{path}.ignoreUriCase")
    fields.record(path, Status.CONVERTED if exact else Status.PARTIAL)
    match = Match(path=uri, headers=tuple(headers), query_params=tuple(queries), method=method)
    return Entry(group, match, exact)


def _report_order(vs: VS, findings: list[OrderFinding]) -> None:
    for item in findings:
        a, b = f"spec.http[{item.earlier}]", f"spec.http[{item.later}]"
        if item.kind == "shadowed":
            vs.fields.notify(
                Level.WARNING,
                "istio-route-order",
                b,
                f"a match of {b} is never reached in Istio ({a} takes its requests first); it was "
                "left out, as Gateway API would rank it higher",
            )
        elif item.kind == "narrowed":
            vs.fields.notify(
                Level.INFO,
                "istio-route-order",
                a,
                f"{a} overlaps the more specific {b}: a copy of {a}'s match narrowed to {b}'s "
                f"conditions was added so those requests still reach {a}'s backends, as in "
                "Istio's first-match order",
            )
        else:
            vs.fields.notify(
                Level.WARNING,
                "istio-route-order-unequal",
                b,
                f"{a} and {b} may match the same requests; Istio takes {a} first but Gateway API "
                f"may prefer {b} (regular expressions or conflicting conditions): check them",
            )


# --- rule settings -------------------------------------------------------------------------


def _template(vs: VS, index: int, item: JSONDict) -> Template:
    fields = vs.fields
    base = f"spec.http[{index}]"
    t = Template(group=index, provenance=[fields.prov(base)])
    name = item.get("name")
    if isinstance(name, str) and name:
        t.name = slug(name)[:63] or None
        fields.converted(f"{base}.name")
    if "route" in item:
        _destinations(vs, t, base, as_list(item["route"]))
    if "redirect" in item:
        _redirect(fields, t, base, as_dict(item["redirect"]), has_route="route" in item)
    if "rewrite" in item:
        if "redirect" in item:
            fields.unsupported(f"{base}.rewrite", "rewrite together with redirect: not converted")
        else:
            _rewrite(fields, t, base, as_dict(item["rewrite"]))
    if "timeout" in item:
        timeout = gateway_duration(item["timeout"])
        if timeout is None:
            fields.unsupported(f"{base}.timeout", f"timeout {item['timeout']!r} is not a duration")
        else:
            t.timeout = timeout
            fields.converted(f"{base}.timeout")
    if "retries" in item:
        _retries(fields, t, base, as_dict(item["retries"]))
    _mirrors(vs, t, base, item)
    if "headers" in item:
        _headers(fields, t, base, as_dict(item["headers"]))
    if "corsPolicy" in item:
        if as_dict(item["corsPolicy"]):
            _cors(fields, t, base, as_dict(item["corsPolicy"]))
        else:
            fields.ignored(f"{base}.corsPolicy", "empty CORS policy")
    if "fault" in item:
        t.extensions.append(
            Unrepresentable(what="fault injection", provenance=[fields.prov(f"{base}.fault")])
        )
    if "directResponse" in item:
        status = as_dict(item["directResponse"]).get("status")
        t.extensions.append(
            Unrepresentable(
                what=f"direct response (status {status})",
                provenance=[fields.prov(f"{base}.directResponse")],
            )
        )
    if "delegate" in item:
        fields.unsupported(
            f"{base}.delegate",
            "delegation has no Gateway API equivalent: merge the delegate VirtualService's "
            "routes into this one",
            error=True,
        )
    return t


def _destinations(vs: VS, t: Template, base: str, routes: list[object]) -> None:
    fields = vs.fields
    path = f"{base}.route"
    several = len(routes) > 1
    ok = 0
    for k, raw in enumerate(routes):
        item = as_dict(raw)
        dest_path = f"{path}[{k}].destination"
        destination = as_dict(item.get("destination"))
        weight = item.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool):
            weight = None
        backend = vs.state.backend(
            fields,
            dest_path,
            destination,
            "HTTPRoute",
            vs.namespace,
            weight=(weight or 0) if several else None,
        )
        if "subset" in destination:
            _subset(vs, dest_path, destination)
        if "headers" in item:
            if several:
                fields.unsupported(
                    f"{path}[{k}].headers",
                    "per-destination header edits (backendRef filters) are not converted when "
                    "the route has several destinations",
                )
            else:
                # One destination: its edits apply to every request of the rule.
                _headers(fields, t, f"{path}[{k}]", as_dict(item["headers"]))
        if backend is not None:
            t.backends.append(backend)
            ok += 1
    if ok == len(routes):
        fields.converted(path)
    elif ok:
        fields.record(path, Status.PARTIAL)
    else:
        fields.record(path, Status.UNSUPPORTED)


def _subset(vs: VS, path: str, destination: JSONDict) -> None:
    subset = str(destination.get("subset"))
    host = str(destination.get("host", ""))
    labels = None
    target = vs.state.service_of(host, vs.namespace)
    for rule in vs.state.destination_rules:
        rule_host = str(rule.spec.get("host", ""))
        if vs.state.service_of(rule_host, ns_of(rule)) != target:
            continue
        for item in as_list(rule.spec.get("subsets")):
            if as_dict(item).get("name") == subset:
                labels = as_dict(as_dict(item).get("labels"))
    described = (
        ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        if labels is not None
        else "no DestinationRule in the input defines it"
    )
    vs.fields.partial(
        f"{path}.subset",
        f"subset {subset!r} ({described}): the backendRef targets every pod of the Service; "
        "create a Service selecting only the subset's pods and point the route at it",
        "istio-subset",
    )


def _redirect(fields: Fields, t: Template, base: str, redirect: JSONDict, has_route: bool) -> None:
    path = f"{base}.redirect"
    fields.unknown_keys(
        path, redirect, ("uri", "authority", "port", "derivePort", "scheme", "redirectCode")
    )
    filt = RequestRedirect(status_code=301, provenance=[fields.prov(path)])
    status = Status.CONVERTED
    notes: list[str] = []
    if isinstance(redirect.get("uri"), str):
        filt.path = PathModifier("ReplaceFullPath", redirect["uri"])
    authority = redirect.get("authority")
    if isinstance(authority, str):
        host, _, authority_port = authority.partition(":")
        if grammar.is_dns_name(host.lower()):
            filt.hostname = host.lower()
            if authority_port.isdigit():
                filt.port = int(authority_port)
        else:
            status = Status.PARTIAL
            notes.append(f"authority {authority!r} is not a hostname")
    redirect_port = redirect.get("port")
    if isinstance(redirect_port, int) and 0 < redirect_port < 65536:
        filt.port = redirect_port
    scheme = redirect.get("scheme")
    if isinstance(scheme, str):
        if scheme.lower() in ("http", "https"):
            filt.scheme = scheme.lower()
        else:
            status = Status.PARTIAL
            notes.append(f"scheme {scheme!r} is neither http nor https")
    code = redirect.get("redirectCode")
    if isinstance(code, int) and code in (301, 302, 303, 307, 308):
        filt.status_code = code
    elif code is not None:
        status = Status.PARTIAL
        notes.append(f"redirectCode {code!r} is not a redirect status; 301 is used")
    derive = redirect.get("derivePort")
    if derive == "FROM_REQUEST_PORT" and filt.scheme is not None and filt.port is None:
        status = Status.PARTIAL
        notes.append(
            "derivePort FROM_REQUEST_PORT: with a scheme, Gateway API uses the scheme's "
            "default port"
        )
    if has_route:
        notes.append("the route's destinations are not used: the redirect answers first")
    t.filters.append(filt)
    if status is Status.PARTIAL:
        fields.partial(path, "; ".join(notes))
    else:
        fields.converted(path, "; ".join(notes) or None)


def _rewrite(fields: Fields, t: Template, base: str, rewrite: JSONDict) -> None:
    path = f"{base}.rewrite"
    fields.unknown_keys(path, rewrite, ("uri", "authority", "uriRegexRewrite"))
    t.rewrite_prov = [fields.prov(path)]
    if isinstance(rewrite.get("uri"), str):
        t.rewrite_uri = rewrite["uri"]
    authority = rewrite.get("authority")
    if isinstance(authority, str):
        host = authority.partition(":")[0].lower()
        if grammar.is_dns_name(host):
            t.rewrite_host = host
        else:
            fields.unsupported(f"{path}.authority", f"authority {authority!r} is not a hostname")
    regex = as_dict(rewrite.get("uriRegexRewrite"))
    if regex:
        t.extensions.append(
            RegexRewrite(
                pattern=str(regex.get("match", "")),
                substitution=str(regex.get("rewrite", "")),
                provenance=[fields.prov(f"{path}.uriRegexRewrite")],
            )
        )
    if t.rewrite_uri is not None or t.rewrite_host is not None:
        fields.converted(path)


def _retries(fields: Fields, t: Template, base: str, retries: JSONDict) -> None:
    path = f"{base}.retries"
    fields.unknown_keys(
        path,
        retries,
        (
            "attempts",
            "perTryTimeout",
            "retryOn",
            "retryRemoteLocalities",
            "retryIgnorePreviousHosts",
            "backoff",
        ),
    )
    attempts = retries.get("attempts")
    if attempts == 0:
        fields.converted(path, "retries disabled, as Gateway API routes are by default")
        return
    codes = [
        int(part) for part in str(retries.get("retryOn") or "").split(",") if part.strip().isdigit()
    ]
    per_try = retries.get("perTryTimeout")
    t.extensions.append(
        Retry(
            attempts=attempts if isinstance(attempts, int) and attempts > 0 else 2,
            codes=codes,
            per_try_timeout=gateway_duration(per_try) if per_try is not None else None,
            provenance=[fields.prov(path)],
        )
    )


def _mirrors(vs: VS, t: Template, base: str, item: JSONDict) -> None:
    fields = vs.fields
    if "mirror" in item:
        percent = _percent(
            fields,
            f"{base}.mirrorPercentage",
            item.get("mirrorPercentage"),
            item.get("mirrorPercent"),
        )
        _mirror(vs, t, f"{base}.mirror", as_dict(item["mirror"]), percent)
        for key in ("mirrorPercentage", "mirrorPercent"):
            if key in item:
                fields.converted(f"{base}.{key}")
    elif "mirrorPercentage" in item or "mirrorPercent" in item:
        for key in ("mirrorPercentage", "mirrorPercent"):
            if key in item:
                fields.ignored(f"{base}.{key}", "a mirror percentage without a mirror")
    for k, raw in enumerate(as_list(item.get("mirrors"))):
        entry = as_dict(raw)
        path = f"{base}.mirrors[{k}]"
        percent = _percent(fields, f"{path}.percentage", entry.get("percentage"), None)
        _mirror(vs, t, path, as_dict(entry.get("destination")), percent)
    if "mirrors" in item:
        fields.converted(f"{base}.mirrors")


def _percent(fields: Fields, path: str, percentage: object, legacy: object) -> int | None:
    value = as_dict(percentage).get("value") if percentage is not None else legacy
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
        fields.unsupported(path, f"mirror percentage {value!r} is not between 0 and 100")
        return None
    if value != int(value):
        fields.notify(
            Level.WARNING,
            "istio-field-partial",
            path,
            f"mirror percentage {value} rounded to {round(value)}",
        )
    return round(value)


def _mirror(vs: VS, t: Template, path: str, destination: JSONDict, percent: int | None) -> None:
    backend = vs.state.backend(vs.fields, path, destination, "HTTPRoute", vs.namespace)
    if backend is None:
        return
    t.filters.append(
        RequestMirror(backend=backend, percent=percent, provenance=[vs.fields.prov(path)])
    )
    vs.fields.converted(path)


def _headers(fields: Fields, t: Template, base: str, headers: JSONDict) -> None:
    fields.unknown_keys(f"{base}.headers", headers, ("request", "response"))
    for key in ("request", "response"):
        if key not in headers:
            continue
        path = f"{base}.headers.{key}"
        ops = as_dict(headers[key])
        fields.unknown_keys(path, ops, ("set", "add", "remove"))
        modifier = HeaderModifier(
            response=key == "response",
            set={str(k): str(v) for k, v in as_dict(ops.get("set")).items()},
            add={str(k): str(v) for k, v in as_dict(ops.get("add")).items()},
            remove=[str(v) for v in as_list(ops.get("remove"))],
            provenance=[fields.prov(path)],
        )
        if modifier.set or modifier.add or modifier.remove:
            _add_modifier(t, modifier)
        fields.converted(path)


def _add_modifier(t: Template, modifier: HeaderModifier) -> None:
    """Gateway API allows one modifier per direction per rule: merge into an existing one."""
    for existing in t.filters:
        if isinstance(existing, HeaderModifier) and existing.response == modifier.response:
            existing.set.update(modifier.set)
            existing.add.update(modifier.add)
            existing.remove.extend(r for r in modifier.remove if r not in existing.remove)
            existing.provenance.extend(modifier.provenance)
            return
    t.filters.append(modifier)


def _cors(fields: Fields, t: Template, base: str, policy: JSONDict) -> None:
    path = f"{base}.corsPolicy"
    fields.unknown_keys(
        path,
        policy,
        (
            "allowOrigins",
            "allowOrigin",
            "allowMethods",
            "allowHeaders",
            "exposeHeaders",
            "maxAge",
            "allowCredentials",
            "unmatchedPreflights",
        ),
    )
    origins: list[str] = [str(o) for o in as_list(policy.get("allowOrigin"))]
    dropped: list[str] = []
    for raw in as_list(policy.get("allowOrigins")):
        item = as_dict(raw)
        if isinstance(item.get("exact"), str):
            origins.append(item["exact"])
        else:
            dropped.append(str(raw))
    origins = [o for o in origins if o == "*" or "://" in o]
    methods = [str(m).upper() for m in as_list(policy.get("allowMethods"))]
    methods = [m for m in methods if m in METHODS or m == "*"]
    cors = Cors(
        allow_origins=list(dict.fromkeys(origins)),
        allow_methods=list(dict.fromkeys(methods)),
        allow_headers=[str(h) for h in as_list(policy.get("allowHeaders"))],
        expose_headers=[str(h) for h in as_list(policy.get("exposeHeaders"))],
        allow_credentials=policy["allowCredentials"]
        if isinstance(policy.get("allowCredentials"), bool)
        else None,
        max_age=seconds(policy["maxAge"]) if "maxAge" in policy else None,
        provenance=[fields.prov(path)],
    )
    t.filters.append(CorsFilter(cors=cors, provenance=[fields.prov(path)]))
    t.extensions.append(cors)
    if dropped:
        fields.partial(
            path,
            f"origins matched by prefix or regex are not converted ({', '.join(dropped)}): "
            "Gateway API CORS origins are exact or '*'-wildcard",
        )
    else:
        fields.converted(path)
    if "unmatchedPreflights" in policy:
        fields.ignored(
            f"{path}.unmatchedPreflights", "preflight forwarding is implementation-defined"
        )


# --- rules and routes --------------------------------------------------------------------------


def _rules(vs: VS, templates: list[Template], entries: list[Entry]) -> list[Rule]:
    rules: list[Rule] = []
    names = NameAllocator()
    for t in templates:
        mine = [e for e in entries if e.group == t.group]
        base = f"spec.http[{t.group}]"
        if not mine:
            message = "no match of this route is reachable in Istio (or convertible): left out"
            vs.fields.notify(Level.WARNING, "istio-route-order", base, message)
            vs.fields.record(base, Status.IGNORED, message)
            continue
        vs.fields.converted(base)
        if t.rewrite_uri is not None:
            for entry in mine:
                rules.append(
                    _rule(t, [_explicit(entry.match)], _uri_rewrite(t, entry), names, len(rules))
                )
        else:
            matches = [e.match for e in mine]
            if all(m == Match() for m in matches):
                matches = []
            else:
                matches = [_explicit(m) if m == Match() else m for m in matches]
            rewrite = (
                URLRewrite(hostname=t.rewrite_host, provenance=t.rewrite_prov)
                if t.rewrite_host
                else None
            )
            rules.append(_rule(t, matches, rewrite, names, len(rules)))
    return rules


def _explicit(match: Match) -> Match:
    if match.path is not None:
        return match
    return Match(
        path=_ROOT, headers=match.headers, query_params=match.query_params, method=match.method
    )


def _uri_rewrite(t: Template, entry: Entry) -> URLRewrite:
    assert t.rewrite_uri is not None
    path = entry.match.path or _ROOT
    origin = (entry.origin or entry.match).path or _ROOT
    suffix = path.value[len(origin.value) :] if path.value.startswith(origin.value) else ""
    if origin.type != "PathPrefix":
        suffix = ""
    value = _join(t.rewrite_uri, suffix)
    modifier = (
        PathModifier("ReplacePrefixMatch", value)
        if path.type == "PathPrefix"
        else PathModifier("ReplaceFullPath", value)
    )
    return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=t.rewrite_prov)


def _join(prefix: str, suffix: str) -> str:
    """Gateway API's prefix replacement keeps one slash between the parts; so does this."""
    if prefix.endswith("/") and suffix.startswith("/"):
        return prefix + suffix[1:]
    return prefix + suffix


def _rule(
    t: Template, matches: list[Match], rewrite: URLRewrite | None, names: NameAllocator, serial: int
) -> Rule:
    filters = list(t.filters)
    if rewrite is not None:
        filters.append(rewrite)
    redirects = any(isinstance(f, RequestRedirect) for f in filters)
    return Rule(
        matches=matches,
        backend_refs=[] if redirects else list(t.backends),
        filters=filters,
        request_timeout=t.timeout,
        name=names.allocate(t.name, f"{t.group}/{serial}") if t.name else None,
        extensions=list(t.extensions),
        provenance=list(t.provenance),
    )


def _emit_http_routes(vs: VS, rules: list[Rule]) -> None:
    if not rules:
        return
    refs = parent_refs(
        vs.state,
        vs.fields,
        vs.keys,
        vs.namespace,
        vs.hosts,
        HTTP_LISTENERS,
        "spec.http",
        "spec.http",
    )
    chunks: list[list[Rule]] = [[]]
    for rule in rules:
        current = chunks[-1]
        count = sum(max(1, len(r.matches)) for r in current) + max(1, len(rule.matches))
        if len(current) >= MAX_RULES or count > MAX_MATCHES:
            chunks.append([])
        chunks[-1].append(rule)
    if len(chunks) > 1:
        vs.fields.notify(
            Level.INFO,
            "istio-route-split",
            "spec.http",
            f"{len(rules)} rules exceed one HTTPRoute's limits: split into {len(chunks)} "
            "HTTPRoutes named in Istio's order (Gateway API breaks precedence ties by creation "
            "time, then name; apply them together)",
        )
    base = vs.obj.name or "virtualservice"
    hostnames = vs.hostnames
    # A route holds at most 16 hostnames: more become copies of the route per 16 hostnames.
    host_chunks = [
        hostnames[i : i + MAX_HOSTNAMES] for i in range(0, len(hostnames), MAX_HOSTNAMES)
    ]
    if len(host_chunks) > 1:
        vs.fields.notify(
            Level.INFO,
            "istio-route-split",
            "spec.hosts",
            f"{len(hostnames)} hosts exceed one HTTPRoute's {MAX_HOSTNAMES} hostnames: the "
            f"rules are repeated in {len(host_chunks)} HTTPRoutes",
        )
    for host_number, hosts in enumerate(host_chunks or [[]], 1):
        host_part = "" if host_number == 1 else f"-h{host_number}"
        for number, chunk in enumerate(chunks, 1):
            wanted = base if len(chunks) == 1 else f"{base}-{number:02d}"
            _http_route(vs, wanted + host_part, f"{number}{host_part}", chunk, refs, hosts)


def _http_route(
    vs: VS,
    wanted: str,
    part: str,
    rules: list[Rule],
    refs: list[ParentRef],
    hostnames: list[str],
) -> None:
    name = vs.state.ctx.allocator("HTTPRoute", vs.obj.namespace).allocate(
        wanted, f"istio:{vs.namespace}/{vs.obj.name}/http/{part}"
    )
    vs.state.ir.routes.append(
        HTTPRoute(
            name=name,
            namespace=vs.obj.namespace,
            hostnames=list(hostnames),
            parent_refs=list(refs),
            rules=rules,
            provenance=[vs.fields.prov("spec.gateways"), vs.fields.prov("spec.hosts")],
        )
    )


# --- tls and tcp -------------------------------------------------------------------------------

L4_MATCH_KEYS = (
    "sniHosts",
    "port",
    "destinationSubnets",
    "sourceLabels",
    "gateways",
    "sourceNamespace",
    "sourceSubnet",
)


def _l4(vs: VS, kind: str, index: int, raw: object) -> None:
    fields = vs.fields
    base = f"spec.{kind}[{index}]"
    item = as_dict(raw)
    fields.unknown_keys(base, item, ("match", "route"))
    sni: list[str] = []
    ports: set[int] = set()
    if "match" in item:
        fields.converted(f"{base}.match")
    for j, match in enumerate(as_list(item.get("match"))):
        match = as_dict(match)
        path = f"{base}.match[{j}]"
        fields.unknown_keys(path, match, L4_MATCH_KEYS)
        for host in as_list(match.get("sniHosts")):
            if isinstance(host, str):
                sni.append(vs.state.fqdn(host.lower(), vs.namespace))
        if isinstance(match.get("port"), int):
            ports.add(match["port"])
        for key in (
            "destinationSubnets",
            "sourceLabels",
            "gateways",
            "sourceNamespace",
            "sourceSubnet",
        ):
            if key in match:
                fields.unsupported(f"{path}.{key}", f"{key} has no {kind.upper()}Route equivalent")
        fields.converted(path)
    route_kind = "TLSRoute" if kind == "tls" else "TCPRoute"
    routes = as_list(item.get("route"))
    backends = []
    for k, dest in enumerate(routes):
        weight = as_dict(dest).get("weight")
        backend = vs.state.backend(
            fields,
            f"{base}.route[{k}].destination",
            as_dict(as_dict(dest).get("destination")),
            route_kind,
            vs.namespace,
            weight=(weight if isinstance(weight, int) else 0) if len(routes) > 1 else None,
        )
        if backend is not None:
            backends.append(backend)
    fields.record(
        f"{base}.route", Status.CONVERTED if len(backends) == len(routes) else Status.PARTIAL
    )
    if not backends:
        fields.unsupported(
            base,
            f"no destination could be converted: the {kind.upper()} route was not written",
            "istio-destination-unresolved",
            error=True,
        )
        return
    hosts: list[str | None] = list(sni) if sni else list(vs.hosts)
    port = next(iter(ports)) if len(ports) == 1 else None
    refs = parent_refs(
        vs.state,
        fields,
        vs.keys,
        vs.namespace,
        hosts,
        TLS_LISTENERS if kind == "tls" else TCP_LISTENERS,
        base,
        base,
        port,
    )
    name = vs.state.ctx.allocator(route_kind, vs.obj.namespace).allocate(
        f"{vs.obj.name}-{kind}-{index}", f"istio:{vs.namespace}/{vs.obj.name}/{kind}/{index}"
    )
    prov = [fields.prov(base)]
    fields.converted(base)
    if kind == "tls":
        hostnames = [h for h in sni if valid_hostname(h)] or vs.hostnames
        if len(hostnames) > MAX_HOSTNAMES:
            fields.partial(
                f"{base}.match",
                f"{len(hostnames)} SNI hosts exceed a TLSRoute's {MAX_HOSTNAMES} hostnames; the "
                "first ones are used",
            )
            hostnames = hostnames[:MAX_HOSTNAMES]
        vs.state.ir.routes.append(
            TLSRoute(
                name=name,
                namespace=vs.obj.namespace,
                hostnames=hostnames,
                parent_refs=refs,
                backend_refs=backends,
                provenance=prov,
            )
        )
    else:
        vs.state.ir.routes.append(
            TCPRoute(
                name=name,
                namespace=vs.obj.namespace,
                parent_refs=refs,
                backend_refs=backends,
                provenance=prov,
            )
        )
