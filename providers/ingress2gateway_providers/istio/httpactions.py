"""What an Istio ``http[]`` route does, as the Gateway API rule settings it becomes (a
:class:`Template` each rule made from the route starts from).

``route`` → backendRefs with weights (a destination without a port takes the port of its Service
when the Service is in the input and has one; another namespace gets a ReferenceGrant; a
``subset`` needs a Service of its own, which is reported); ``redirect`` → RequestRedirect
(``uri`` → ReplaceFullPath, ``authority``, ``port``, ``scheme``, ``redirectCode``);
``rewrite.authority`` → hostname (``rewrite.uri`` is applied per match, see :mod:`.httproutes`);
``uriRegexRewrite`` → regex-rewrite extension; ``timeout`` → ``timeouts.request``; ``retries`` →
retry extension; ``mirror``/``mirrors`` → RequestMirror with percent; ``headers`` → header
modifiers (values that are not strings are their YAML text: ``true``, never ``True``);
``corsPolicy`` → the CORS filter (or the CORS extension on targets without it). ``fault`` and
``directResponse`` travel as extensions no standard emitter expresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.converting import grammar
from ingress2gateway.converting.naming import slug
from ingress2gateway.ir import (
    BackendRef,
    Cors,
    CorsFilter,
    Extension,
    Filter,
    HeaderModifier,
    PathModifier,
    Provenance,
    RegexRewrite,
    RequestMirror,
    RequestRedirect,
    Retry,
    Unrepresentable,
)
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Level, Status

from .common import (
    VS,
    Fields,
    as_dict,
    as_list,
    gateway_duration,
    ns_of,
    seconds,
)
from .conditions import yaml_text

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
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
AUTHORITY_DESTINATION, AUTHORITY_HEADERS, AUTHORITY_REWRITE = 0, 2, 4
"""Which host rewrite wins (``applyHTTPRouteDestination``, ``processDestination``)."""


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
    """Where the host rewrite comes from."""
    rewrite_uri_prov: list[Provenance] = field(default_factory=list)
    rewrite_level: int = -1
    redirect_derive: str | None = None
    """The redirect's ``derivePort`` (the port is set per listener, see :mod:`.httproutes`)."""
    timeout: str | None = None
    extensions: list[Extension] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)


def template(vs: VS, index: int, item: JSONDict, group: int | None = None) -> Template:
    fields = vs.fields
    base = f"spec.http[{index}]"
    t = Template(group=index if group is None else group, provenance=[fields.prov(base)])
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
            vs.route_namespace,
            weight=(weight or 0) if several else None,
            resolve_namespace=vs.namespace,
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
                _headers(fields, t, f"{path}[{k}]", as_dict(item["headers"]), AUTHORITY_DESTINATION)
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
    t.redirect_derive = derive if isinstance(derive, str) else None
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
    regex = as_dict(rewrite.get("uriRegexRewrite"))
    if isinstance(rewrite.get("uri"), str) and rewrite["uri"] and not regex:
        # applyHTTPRouteDestination: uriRegexRewrite, when given, is used instead of uri.
        t.rewrite_uri = rewrite["uri"]
        t.rewrite_uri_prov = [fields.prov(path)]
    authority = rewrite.get("authority")
    if isinstance(authority, str) and authority:
        _authority(fields, t, f"{path}.authority", authority, AUTHORITY_REWRITE, path)
    if regex:
        t.extensions.append(
            RegexRewrite(
                pattern=str(regex.get("match", "")),
                substitution=str(regex.get("rewrite", "")),
                provenance=[fields.prov(f"{path}.uriRegexRewrite")],
            )
        )
        if "uri" in rewrite:
            fields.ignored(f"{path}.uri", "Istio uses uriRegexRewrite instead of uri")
    if t.rewrite_uri is not None or t.rewrite_host is not None or regex:
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
    backend = vs.state.backend(
        vs.fields,
        path,
        destination,
        "HTTPRoute",
        vs.route_namespace,
        resolve_namespace=vs.namespace,
    )
    if backend is None:
        return
    t.filters.append(
        RequestMirror(backend=backend, percent=percent, provenance=[vs.fields.prov(path)])
    )
    vs.fields.converted(path)


def _headers(
    fields: Fields, t: Template, base: str, headers: JSONDict, level: int = AUTHORITY_HEADERS
) -> None:
    fields.unknown_keys(f"{base}.headers", headers, ("request", "response"))
    for key in ("request", "response"):
        if key not in headers:
            continue
        path = f"{base}.headers.{key}"
        ops = as_dict(headers[key])
        fields.unknown_keys(path, ops, ("set", "add", "remove"))
        values: dict[str, dict[str, str]] = {}
        for op in ("set", "add"):
            values[op] = {}
            for name, raw in as_dict(ops.get(op)).items():
                text = yaml_text(raw)
                if text is None:
                    fields.unsupported(f"{path}.{op}", f"header {name!r}: {raw!r} is not a value")
                    continue
                name = str(name)
                if key == "request" and name.lower() in ("host", ":authority"):
                    # TranslateHeadersOperations: the authority is rewritten ("set" over "add").
                    _authority(fields, t, f"{path}.{op}", text, level + (op == "set"), path)
                elif name.startswith(":"):
                    fields.ignored(
                        f"{path}.{op}", f"Istio does not change the pseudo-header {name}"
                    )
                else:
                    values[op][name] = text
        removed = [str(v) for v in as_list(ops.get("remove"))]
        modifier = HeaderModifier(
            response=key == "response",
            set=values["set"],
            add=values["add"],
            remove=[r for r in removed if not r.startswith(":") and r.lower() != "host"],
            provenance=[fields.prov(path)],
        )
        if modifier.set or modifier.add or modifier.remove:
            _add_modifier(t, modifier)
        fields.converted(path)


def _authority(fields: Fields, t: Template, path: str, value: str, level: int, origin: str) -> None:
    """A host the backend sees instead of the request's, if nothing that wins over it says
    otherwise (``rewrite.authority`` over route ``headers`` over a destination's)."""
    host = value.partition(":")[0].lower()
    if not grammar.is_dns_name(host):
        fields.unsupported(path, f"authority {value!r} is not a hostname")
        return
    if level >= t.rewrite_level:
        t.rewrite_host = host
        t.rewrite_level = level
        t.rewrite_prov = [fields.prov(origin)]


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
