"""NGINX Inc custom resources (partial): ``VirtualServer``, ``VirtualServerRoute``,
``TransportServer``.

A ``VirtualServer`` becomes HTTPRoutes for its ``host`` on the class's Gateway (an HTTP listener,
and an HTTPS one when ``tls.secret`` is set), unless an older Ingress holds the host (NGINX Inc
gives a host to one resource) or ``ValidateVirtualServer`` refuses it (an action naming no
upstream, a redirect code other than 301, 302, 307, 308, a URL without scheme): then nothing is
converted, with a warning or an error.

* ``routes[].path``: a prefix (a *character* prefix, as nginx matches it: see
  :mod:`.inc_paths`), ``=exact`` (Exact), ``~regex`` / ``~*regex`` (RegularExpression, ``(?i)``
  for ``~*``), ``^~prefix`` (a prefix; nginx then tries no regular expression, which Gateway API
  cannot say: a warning where the host has regular-expression routes).
* ``action.pass`` → the upstream's Service and port (``namespace/name``: a Service of another
  namespace, with a ReferenceGrant there); ``splits`` → weighted backendRefs;
  ``action.redirect`` → RequestRedirect (URL parsed; nginx variables are not carried);
  ``action.proxy`` → the upstream, ``rewritePath`` (``ReplacePrefixMatch`` / ``ReplaceFullPath``,
  or a RegexRewrite extension with captures in a regular-expression route), request headers set,
  response headers added and hidden; ``matches[].conditions`` on ``header`` / ``argument`` → extra
  rules with header / query matches placed first, a ``$request_method`` variable → the rule's
  method; ``cookie`` / other ``variable`` conditions cannot be expressed (reported).
* ``tls.redirect``: by scheme (default) an HTTP route that redirects everything; with
  ``basedOn: x-forwarded-proto`` requests whose header is ``http`` are redirected on both
  listeners, the others served.
* ``route`` / ``routeSelector`` delegate to ``VirtualServerRoute`` s of the same host whose
  subroutes stay under the route's path: their subroutes become rules with their own upstreams
  (a Service in the VirtualServerRoute's namespace is named with it, and a ReferenceGrant allows
  it). A VirtualServerRoute no VirtualServer takes is reported.
* ``policies`` (of the spec, a route or a subroute) are not read: the rules they cover are
  closed (a refused access control, an error), never served to everyone.
* ``action.return`` (fixed responses), ``errorPages``, snippets and upstream tuning are
  reported as unsupported, field by field.

``TransportServer`` with a ``TLS_PASSTHROUGH`` listener becomes a TLS Passthrough listener and a
TLSRoute; other TransportServers (TCP/UDP listeners from a GlobalConfiguration the input does not
carry) are reported.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from ingress2gateway.converting import naming
from ingress2gateway.converting.lowering import GATEWAY_GROUP, hostname_problem
from ingress2gateway.ir import (
    BackendRef,
    Gateway,
    HeaderMatch,
    HTTPRoute,
    Listener,
    Match,
    PathMatch,
    PathModifier,
    Provenance,
    ReferenceGrant,
    RefusedControl,
    RegexRewrite,
    RequestRedirect,
    Rule,
    SecretRef,
    TLSRoute,
    URLRewrite,
    made_from,
)
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Status

from ._base import PROVIDER, header_modifier, looks_injected
from .backend import attach_external_names
from .inc_paths import (
    Differs,
    character_prefix_change,
    keep_prefixes,
    regex_literal,
    slash_differs,
)
from .nginx_inc import forwarded_http_redirects
from .rewrite import re2_problem

GROUP = "k8s.nginx.org"
KINDS = ("VirtualServer", "VirtualServerRoute", "TransportServer")
RESOURCES = tuple(ResourceKind(GROUP, "v1", kind.lower() + "s", kind) for kind in KINDS)
_HANDLED_SPEC = ("host", "tls", "upstreams", "routes", "ingressClassName")


class _Context:
    def __init__(self, ctx: ProviderContext, obj: KubeObject) -> None:
        self.ctx = ctx
        self.obj = obj
        self.source: SourceRef = obj.source()

    def record(self, field: str, status: Status, note: str | None = None) -> None:
        self.ctx.report.record(self.source, field, status, note=note, provider=PROVIDER)

    def unsupported(self, field: str, why: str, security: bool = False) -> None:
        self.ctx.report.notify(
            _level(security),
            "annotation-unsupported",
            why,
            source=self.source,
            field=field,
            provider=PROVIDER,
            security=security,
        )
        self.record(field, Status.UNSUPPORTED, why)

    def prov(self, field: str) -> list[Provenance]:
        return [Provenance(self.source, field)]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _code(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value in (301, 302, 307, 308) else default


def _level(security: bool) -> Any:
    from ingress2gateway.reporting.report import Level

    return Level.ERROR if security else Level.WARNING


def convert(ctx: ProviderContext, gateways: list[Gateway]) -> None:
    existing = list(gateways)
    before = len(ctx.ir.routes)
    _convert_all(ctx, gateways)
    attach_external_names(ctx, ctx.ir.routes[before:], set())
    # A Gateway made here that got no listener (nothing converted) would be invalid.
    for gateway in gateways:
        if gateway not in existing and not gateway.listeners and gateway in ctx.ir.gateways:
            ctx.ir.gateways.remove(gateway)


def _convert_all(ctx: ProviderContext, gateways: list[Gateway]) -> None:
    # VirtualServers first: they take in the VirtualServerRoutes they delegate to.
    for kind in ("VirtualServer", "TransportServer", "VirtualServerRoute"):
        for obj in ctx.objects:
            if obj.group != GROUP or obj.kind != kind or id(obj) in ctx.claimed:
                continue
            ctx.claim(obj)
            vs = _Context(ctx, obj)
            if kind == "VirtualServerRoute":
                vs.unsupported(
                    "spec",
                    "no VirtualServer of the input delegates to this VirtualServerRoute (or it "
                    "is invalid for it), so NGINX Inc does not serve it; it is not converted",
                )
                continue
            gateway = _gateway(ctx, gateways, obj)
            if kind == "VirtualServer":
                _virtual_server(vs, gateway)
            else:
                _transport_server(vs, gateway)


def _gateway(ctx: ProviderContext, gateways: list[Gateway], obj: KubeObject) -> Gateway:
    """The Gateway of the class (with ``--gateway-per-namespace``, of the object's namespace),
    made if there is none yet."""
    options = ctx.options
    if options.gateway_per_namespace:
        for gateway in gateways:
            if gateway.namespace == obj.namespace:
                return gateway
    elif gateways:
        return gateways[0]
    name = options.gateway_name or "nginx"
    namespace = obj.namespace if options.gateway_per_namespace else None
    namespace = namespace or options.gateway_namespace or obj.namespace
    gateway = Gateway(
        name=ctx.allocator("Gateway", namespace).allocate(name, "gateway/nginx-crd"),
        namespace=namespace,
        gateway_class=options.gateway_class_name or "nginx",
    )
    gateways.append(gateway)
    ctx.ir.gateways.append(gateway)
    return gateway


def _listener(gateway: Gateway, namespace: str | None, **kwargs: Any) -> Listener:
    host = kwargs.get("hostname")
    protocol = kwargs["protocol"]
    for existing in gateway.listeners:
        if (
            existing.hostname == host
            and existing.protocol == protocol
            and existing.port == kwargs["port"]
        ):
            if namespace != gateway.namespace:
                existing.allowed_namespaces.add(namespace)
            return existing
    names = naming.NameAllocator()
    for existing in gateway.listeners:
        names.allocate(existing.name, f"existing/{existing.name}")
    suffix = {"HTTP": "http", "HTTPS": "https", "TLS": "tls-passthrough"}[protocol]
    listener = Listener(
        name=names.allocate(f"{naming.host_slug(host)}-{suffix}", f"{protocol}/{host}"), **kwargs
    )
    if namespace != gateway.namespace:
        listener.allowed_namespaces.add(namespace)
    gateway.listeners.append(listener)
    return listener


def _virtual_server(vs: _Context, gateway: Gateway) -> None:
    spec = vs.obj.spec
    namespace = vs.obj.namespace
    host = spec.get("host")
    if not isinstance(host, str) or hostname_problem(host):
        vs.unsupported(
            "spec.host", f"host {host!r} is not a DNS name; the VirtualServer is not converted"
        )
        return
    holder = _ingress_holding(vs, host)
    if holder is not None:
        vs.ctx.report.flag(
            _level(False),
            "nginx-not-served",
            f"host {host} belongs to {holder.display()}, which is not newer (NGINX Inc gives a "
            "host to one resource, the oldest): NGINX Inc did not serve this VirtualServer, so it "
            "is not converted",
            Status.UNSUPPORTED,
            source=vs.source,
            field="spec.host",
            provider=PROVIDER,
        )
        return
    refusals = _refusals(spec)
    if refusals:
        for field, why in refusals:
            vs.ctx.report.flag(
                _level(True),
                "nginx-resource-rejected",
                f"{why}: NGINX Inc rejects the whole VirtualServer (ValidateVirtualServer), so "
                "it served nothing of it; nothing is converted (correct it to have it served)",
                Status.UNSUPPORTED,
                source=vs.source,
                field=field,
                provider=PROVIDER,
            )
        vs.record("spec.host", Status.UNSUPPORTED, "the VirtualServer is rejected")
        return
    for key in sorted(spec):
        if key == "policies" and spec[key]:
            continue  # closes every rule, below
        if key not in _HANDLED_SPEC:
            security = key in ("policies", "server-snippets", "http-snippets")
            vs.unsupported(
                f"spec.{key}", f"VirtualServer spec.{key} is not converted", security=security
            )
    http = _listener(
        gateway, namespace, port=80, protocol="HTTP", hostname=host, provenance=vs.prov("spec.host")
    )
    tls = _dict(spec.get("tls"))
    redirect = _dict(tls.get("redirect"))
    # generateTLSRedirectConfig: "if ($scheme = 'http')" (basedOn x-forwarded-proto:
    # "if ($http_x_forwarded_proto = 'http')") { return <code> https://$host$request_uri; }
    enabled = redirect.get("enable") is True
    by_header = enabled and redirect.get("basedOn") == "x-forwarded-proto"
    by_scheme = enabled and not by_header
    code = _code(redirect.get("code"), 301)
    serving = [] if by_scheme else [gateway.parent_ref(namespace, http.name)]
    if isinstance(tls.get("secret"), str) and tls["secret"]:
        https = _listener(
            gateway,
            namespace,
            port=443,
            protocol="HTTPS",
            hostname=host,
            tls_mode="Terminate",
            certificate_refs=[
                SecretRef(tls["secret"], namespace if namespace != gateway.namespace else None)
            ],
            provenance=vs.prov("spec.tls"),
        )
        serving.append(gateway.parent_ref(namespace, https.name))
    if tls:
        vs.record("spec.tls", Status.CONVERTED)
        made_from(gateway, *vs.prov("spec.tls"))
    upstreams = _upstreams(vs)
    rules: list[Rule] = []
    routes = _list(spec.get("routes"))
    for index, item in enumerate(routes):
        if isinstance(item, dict):
            rules.extend(_route(vs, f"spec.routes[{index}]", item, upstreams, host))
    # A plain or ^~ path is an nginx prefix location (the only paths that became PathPrefix).
    prefixes = {
        id(r)
        for r in rules
        if r.matches and r.matches[0].path and r.matches[0].path.type == "PathPrefix"
    }
    if spec.get("policies"):
        _close(vs, "spec.policies", rules)
    proxies = {id(r) for r in rules if r.backend_refs}
    _foreign_grants(vs, rules)
    rules.extend(keep_prefixes(rules, prefixes, _differs(vs), proxies))
    _longest_prefix_stops_regexes(vs, routes)
    if by_header:
        rules[:0] = forwarded_http_redirects(rules, code, vs.prov("spec.tls.redirect"))
    made = []
    for number, start in enumerate(range(0, len(rules), 16), start=1):
        suffix = "" if number == 1 else f"-{number}"
        made.append(
            HTTPRoute(
                name=vs.ctx.allocator("HTTPRoute", namespace).allocate(
                    f"{vs.obj.name}-{naming.host_slug(host)}{suffix}",
                    f"vs/{namespace}/{vs.obj.name}/{number}",
                ),
                namespace=namespace,
                hostnames=[host],
                parent_refs=list(serving),
                rules=rules[start : start + 16],
                provenance=vs.prov("spec.host"),
            )
        )
    if serving:
        vs.ctx.ir.routes.extend(made)
    vs.record("spec.host", Status.CONVERTED)
    made_from(gateway, *vs.prov("spec.host"))
    if by_scheme:
        vs.ctx.ir.routes.append(
            HTTPRoute(
                name=vs.ctx.allocator("HTTPRoute", namespace).allocate(
                    f"{vs.obj.name}-{naming.host_slug(host)}-http", f"vs-http/{vs.obj.name}"
                ),
                namespace=namespace,
                hostnames=[host],
                parent_refs=[gateway.parent_ref(namespace, http.name)],
                rules=[
                    Rule(
                        filters=[
                            RequestRedirect(
                                scheme="https", status_code=code, provenance=vs.prov("spec.tls")
                            )
                        ],
                        provenance=vs.prov("spec.tls"),
                    )
                ],
            )
        )


_VALID_CODES = (301, 302, 307, 308)


def _ingress_holding(vs: _Context, host: str) -> SourceRef | None:
    """The Ingress whose routes serve ``host`` already: the conversion of NGINX Inc's
    Ingresses gave it the host only if no VirtualServer of the host is older (see
    :mod:`.inc_hosts`), so it keeps it."""
    scoped = vs.ctx.options.gateway_per_namespace
    for route in vs.ctx.ir.routes:
        if scoped and route.namespace != vs.obj.namespace:
            continue  # each namespace's Gateway is a server of its own
        if isinstance(route, HTTPRoute) and host in route.hostnames:
            for rule in route.rules:
                for source in rule.sources:
                    if source.kind == "Ingress":
                        return source
    return None


def _refusals(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """What ``ValidateVirtualServer`` refuses among the fields routing depends on: two routes
    of one path, an action naming no upstream of the VirtualServer, a redirect without a URL
    with a scheme or with a code other than 301, 302, 307, 308, a TLS redirect with such a
    code or another basedOn than scheme or x-forwarded-proto."""
    found: list[tuple[str, str]] = []
    names = {str(_dict(u).get("name")) for u in _list(spec.get("upstreams"))}
    redirect = _dict(_dict(spec.get("tls")).get("redirect"))
    if "code" in redirect and redirect["code"] not in _VALID_CODES:
        found.append(
            ("spec.tls.redirect.code", f"{redirect['code']!r} is not 301, 302, 307 or 308")
        )
    if redirect.get("basedOn", "scheme") not in ("scheme", "x-forwarded-proto"):
        found.append(
            (
                "spec.tls.redirect.basedOn",
                f"{redirect['basedOn']!r} is not scheme or x-forwarded-proto",
            )
        )
    seen: set[str] = set()
    for index, route in enumerate(_list(spec.get("routes"))):
        route = _dict(route)
        if isinstance(route.get("path"), str):
            # validateVirtualServerRoutes: two routes of one path (NormalizePath).
            if _normalized(route["path"]) in seen:
                found.append((f"spec.routes[{index}].path", f"path {route['path']!r} repeats"))
            seen.add(_normalized(route["path"]))
        actions = [(f"spec.routes[{index}].action", route.get("action"))]
        actions += [
            (f"spec.routes[{index}].matches[{i}].action", _dict(m).get("action"))
            for i, m in enumerate(_list(route.get("matches")))
        ]
        actions += [
            (f"spec.routes[{index}].splits[{i}].action", _dict(x).get("action"))
            for i, x in enumerate(_list(route.get("splits")))
        ]
        for field, action in actions:
            if not isinstance(action, dict):
                continue
            target = action.get("pass") or _dict(action.get("proxy")).get("upstream")
            if target is not None and str(target) not in names:
                found.append((field, f"upstream {target!r} is not one of the VirtualServer's"))
            if "redirect" in action:
                found_redirect = _dict(action["redirect"])
                if "://" not in str(found_redirect.get("url", "")):
                    found.append((f"{field}.redirect.url", "a redirect URL needs a scheme (://)"))
                code = found_redirect.get("code")
                if code is not None and code not in _VALID_CODES:
                    found.append(
                        (f"{field}.redirect.code", f"{code!r} is not 301, 302, 307 or 308")
                    )
    return found


def _longest_prefix_stops_regexes(vs: _Context, routes: list[Any]) -> None:
    """``^~/p``: when it is the longest prefix of a request, nginx tries no regular
    expression; Gateway API tries them before any prefix."""
    paths = [str(_dict(r).get("path", "")) for r in routes]
    if not any(p.startswith("~") for p in paths):
        return
    for index, path in enumerate(paths):
        if path.startswith("^~"):
            vs.ctx.report.notify(
                _level(False),
                "nginx-inc-differs",
                f"route path {path}: NGINX Inc tried no regular-expression route for requests "
                f"under {path[2:].strip()} (^~); Gateway API tries regular expressions before "
                "prefixes, so such a request that a regular-expression route of this host "
                "matches goes to that route",
                source=vs.source,
                field=f"spec.routes[{index}]",
                provider=PROVIDER,
            )


def _differs(vs: _Context) -> Differs:
    def differs(rule: Rule, value: str, why: str) -> None:
        backends = ", ".join(sorted({b.name for b in rule.backend_refs})) or "its action"
        for item in rule.provenance:
            vs.ctx.report.notify(
                _level(False),
                "nginx-inc-differs",
                character_prefix_change(value, backends, why),
                source=item.source,
                field=item.field,
                provider=PROVIDER,
            )

    return differs


def _upstreams(vs: _Context) -> dict[str, tuple[str, int | None]]:
    found: dict[str, tuple[str, int | None]] = {}
    upstreams = vs.obj.spec.get("upstreams")
    for index, item in enumerate(upstreams if isinstance(upstreams, list) else []):
        field = f"spec.upstreams[{index}]"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("name"), str)
            or not isinstance(item.get("service"), str)
        ):
            vs.unsupported(field, "an upstream needs a name and a service")
            continue
        port = item.get("port") if isinstance(item.get("port"), int) else None
        found[item["name"]] = (item["service"], port)
        _upstream_protocol(vs, field, item)
        extra = sorted(k for k in item if k not in ("name", "service", "port"))
        if extra:
            vs.record(field, Status.PARTIAL, f"upstream settings not converted: {', '.join(extra)}")
        else:
            vs.record(field, Status.CONVERTED)
    return found


def _upstream_protocol(vs: _Context, field: str, item: dict[str, Any]) -> None:
    """What an upstream's settings change in how NGINX Inc speaks to it, said out loud (the
    rest, tuning, is a note in the ledger): ``tls.enable`` is ``proxy_pass https://`` without
    verification, ``type: grpc`` is ``grpc_pass`` (HTTP/2)."""
    if _dict(item.get("tls")).get("enable") is True:
        vs.ctx.report.notify(
            _level(False),
            "nginx-backend-tls-missing",
            f"upstream {item.get('name')!r}: NGINX Inc spoke TLS to {item.get('service')} "
            "without verifying it; a BackendTLSPolicy needs the name on its certificate and "
            "its CA, which the VirtualServer does not give, so the route sends plain text to "
            "it — create a BackendTLSPolicy by hand",
            source=vs.source,
            field=f"{field}.tls",
            provider=PROVIDER,
        )
    if item.get("type") == "grpc":
        vs.ctx.report.notify(
            _level(False),
            "annotation-unsupported",
            f"upstream {item.get('name')!r} speaks gRPC (HTTP/2, grpc_pass): the HTTPRoute "
            "routes its paths, and the Service's port needs appProtocol kubernetes.io/h2c "
            "(or TLS) for the Gateway to speak HTTP/2 to it",
            source=vs.source,
            field=f"{field}.type",
            provider=PROVIDER,
        )


def _service(target: tuple[str, int | None], prov: list[Provenance]) -> BackendRef:
    """An upstream's Service; ``namespace/name`` names one in another namespace
    (``ParseServiceReference``), granted by the VirtualServer (``_foreign_grants``)."""
    namespace, _, name = target[0].rpartition("/")
    return BackendRef(name=name, namespace=namespace or None, port=target[1], provenance=prov)


def _foreign_grants(vs: _Context, rules: list[Rule]) -> None:
    """A ReferenceGrant for each Service an upstream names in another namespace than the
    VirtualServer's, where its HTTPRoutes are."""
    own = vs.obj.namespace or "default"
    for rule in rules:
        for ref in rule.backend_refs:
            if ref.namespace not in (None, own) and ref.provenance:
                _grant(vs, ref, ref.namespace, ref.provenance[0])


def _path(vs: _Context, field: str, value: Any) -> PathMatch | None:
    if not isinstance(value, str) or not value:
        vs.unsupported(field, "a route needs a path")
        return None
    if value.startswith("="):
        return PathMatch("Exact", value[1:].strip())
    if value.startswith(("~*", "~")):
        insensitive = value.startswith("~*")
        pattern = value[2 if insensitive else 1 :].strip()
        regex = f"{'(?i)' if insensitive else ''}{pattern.removeprefix('^') if pattern.startswith('^') else '.*' + pattern}"
        regex = regex.removesuffix("$") if regex.endswith("$") else regex + ".*"
        problem = re2_problem(regex)
        if problem:
            vs.unsupported(field, f"path {value!r} {problem}")
            return None
        return PathMatch("RegularExpression", regex)
    return PathMatch("PathPrefix", value.removeprefix("^~").strip())


def _action(
    vs: _Context,
    field: str,
    action: Any,
    upstreams: dict[str, tuple[str, int | None]],
    rule: Rule,
    route_path: str = "",
) -> bool:
    if not isinstance(action, dict):
        vs.unsupported(field, "no action")
        return False
    if isinstance(action.get("pass"), str):
        target = upstreams.get(action["pass"])
        if target is None:
            vs.unsupported(field, f"upstream {action['pass']!r} is not defined")
            return False
        rule.backend_refs.append(_service(target, vs.prov(field)))
        return True
    redirect = action.get("redirect")
    if isinstance(redirect, dict) and isinstance(redirect.get("url"), str):
        url = redirect["url"]
        parts = urlsplit(url)
        if looks_injected(url) or parts.scheme not in ("http", "https") or not parts.hostname:
            vs.unsupported(field, f"redirect URL {url!r} uses nginx variables or is not absolute")
            return False
        code = _code(redirect.get("code"), 301)
        rule.filters.append(
            RequestRedirect(
                scheme=parts.scheme,
                hostname=parts.hostname,
                port=parts.port,
                path=PathModifier("ReplaceFullPath", parts.path or "/"),
                status_code=code,
                provenance=vs.prov(field),
            )
        )
        return True
    proxy = action.get("proxy")
    if isinstance(proxy, dict) and isinstance(proxy.get("upstream"), str):
        return _proxy(vs, f"{field}.proxy", proxy, upstreams, rule, route_path)
    vs.unsupported(
        field,
        f"action {', '.join(sorted(action))} is not converted (fixed responses need an "
        "implementation extension)",
    )
    return False


def _proxy(
    vs: _Context,
    field: str,
    proxy: dict[str, Any],
    upstreams: dict[str, tuple[str, int | None]],
    rule: Rule,
    route_path: str,
) -> bool:
    """``action.proxy``: ``pass`` with a rewrite and header changes. ``rewritePath`` is
    ``proxy_pass http://upstream<rewritePath>`` in a prefix or exact location (the characters
    the location matched are replaced) and ``rewrite "^<regex>" "<rewritePath>"`` in a regular
    expression one (``generateProxyPassRewrite``, ``generateRewrites``)."""
    target = upstreams.get(proxy["upstream"])
    if target is None:
        vs.unsupported(field, f"upstream {proxy['upstream']!r} is not defined")
        return False
    rule.backend_refs.append(_service(target, vs.prov(field)))
    rewrite = proxy.get("rewritePath")
    path = rule.matches[0].path if rule.matches else None
    if isinstance(rewrite, str) and path is not None:
        if not rewrite.startswith("/") or looks_injected(rewrite.replace("$", "")):
            vs.unsupported(f"{field}.rewritePath", f"{rewrite!r} is not a path")
        elif path.type == "RegularExpression":
            _regex_rewrite(vs, f"{field}.rewritePath", rewrite, rule, route_path)
        elif "$" in rewrite:
            vs.unsupported(f"{field}.rewritePath", "captures need a regular-expression path")
        else:
            kind: Literal["ReplaceFullPath", "ReplacePrefixMatch"] = (
                "ReplacePrefixMatch" if path.type == "PathPrefix" else "ReplaceFullPath"
            )
            rule.filters.append(
                URLRewrite(
                    path=PathModifier(kind, rewrite), provenance=vs.prov(f"{field}.rewritePath")
                )
            )
            vs.record(f"{field}.rewritePath", Status.CONVERTED)
            if kind == "ReplacePrefixMatch" and slash_differs(path.value, rewrite):
                vs.ctx.report.notify(
                    _level(False),
                    "nginx-inc-differs",
                    f"rewritePath {rewrite}: NGINX Inc replaced the characters its location "
                    f"{path.value} matched, so {path.value.rstrip('/')}/x reached the upstream as "
                    f"{rewrite + ('x' if path.value.endswith('/') else '/x')}; the migrated rule "
                    f"replaces the path prefix and sends {rewrite.rstrip('/')}/x",
                    source=vs.source,
                    field=f"{field}.rewritePath",
                    provider=PROVIDER,
                )
    headers = _dict(proxy.get("requestHeaders"))
    for index, item in enumerate(_list(headers.get("set"))):
        item = _dict(item)
        name, value = item.get("name"), item.get("value")
        where = f"{field}.requestHeaders.set[{index}]"
        if isinstance(name, str) and isinstance(value, str) and not looks_injected(value):
            header_modifier(rule, False, vs.prov(where)).set[name] = value
            vs.record(where, Status.CONVERTED)
        else:
            vs.unsupported(where, "a header value with nginx variables is not carried")
    if headers.get("pass") is False:
        vs.unsupported(
            f"{field}.requestHeaders.pass", "dropping every client header has no equivalent"
        )
    response = _dict(proxy.get("responseHeaders"))
    for index, item in enumerate(_list(response.get("add"))):
        item = _dict(item)
        name, value = item.get("name"), item.get("value")
        where = f"{field}.responseHeaders.add[{index}]"
        if isinstance(name, str) and isinstance(value, str) and not looks_injected(value):
            header_modifier(rule, True, vs.prov(where)).add[name] = value
            vs.record(
                where, Status.CONVERTED, "sent on every response (nginx: on 2xx/3xx unless always)"
            )
        else:
            vs.unsupported(where, "a header value with nginx variables is not carried")
    hidden = [h for h in _list(response.get("hide")) if isinstance(h, str)]
    if hidden:
        modifier = header_modifier(rule, True, vs.prov(f"{field}.responseHeaders.hide"))
        modifier.remove = sorted(set(modifier.remove) | set(hidden))
        vs.record(f"{field}.responseHeaders.hide", Status.CONVERTED)
    for key in ("pass", "ignore"):
        if response.get(key):
            vs.record(
                f"{field}.responseHeaders.{key}",
                Status.IGNORED,
                "Gateway API passes upstream headers as they are",
            )
    for key in sorted(proxy):
        if key not in ("upstream", "rewritePath", "requestHeaders", "responseHeaders"):
            vs.unsupported(f"{field}.{key}", f"proxy {key} is not converted")
    return True


def _regex_rewrite(vs: _Context, field: str, rewrite: str, rule: Rule, route_path: str) -> None:
    """``rewrite "^<regex>" "<rewritePath>" break``: the whole URI becomes the replacement
    when the start of the URI matches (the location's own ``~*`` does not carry over)."""
    regex = route_path.removeprefix("~").removeprefix("*").strip()
    try:
        groups = re.compile(regex).groups
    except (re.error, RecursionError, OverflowError):
        groups = -1
    wanted = [int(n) for n in re.findall(r"\$(\d)", rewrite)]
    if groups < 0 or any(n > groups for n in wanted):
        vs.unsupported(field, f"{rewrite!r} names a capture group the path does not have")
        return
    rule.extensions.append(
        RegexRewrite(
            pattern=f"^(?:{regex}).*",
            substitution=re.sub(r"\$(\d)", r"\\\1", rewrite),
            provenance=vs.prov(field),
        )
    )
    vs.record(field, Status.PARTIAL, "capture groups need a RegexRewrite extension")


def _delegated(vs: _Context, field: str, item: dict[str, Any], host: str) -> list[Rule]:
    """The rules of the VirtualServerRoutes a route delegates to (``route``: a name, in the
    VirtualServer's namespace unless it says ``namespace/name``; ``routeSelector``: labels).
    NGINX Inc takes a VirtualServerRoute of the same host whose subroutes stay under the route's
    path (``validateVSRs``); their actions name the VirtualServerRoute's own upstreams."""
    namespace = vs.obj.namespace or "default"
    ref = item.get("route")
    selector = _dict(_dict(item.get("routeSelector")).get("matchLabels"))
    found = []
    own_only = vs.ctx.options.gateway_per_namespace
    for obj in vs.ctx.objects:
        if obj.group != GROUP or obj.kind != "VirtualServerRoute":
            continue
        if own_only and (obj.namespace or "default") != namespace:
            # With a Gateway per namespace each namespace is a server of its own.
            continue
        if isinstance(ref, str):
            wanted_ns, _, wanted = ref.rpartition("/")
            if ((wanted_ns or namespace), wanted) != (obj.namespace or "default", obj.name):
                continue
        else:
            labels = _dict(obj.metadata.get("labels"))
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                continue
        found.append(obj)
    if not found:
        where = " (in its namespace: --gateway-per-namespace)" if own_only else ""
        vs.unsupported(
            field,
            f"the VirtualServerRoute it delegates to ({ref or selector}) is not in the "
            f"input{where}; its paths are not converted",
        )
        return []
    route_path = str(item.get("path", ""))
    shared: list[str] | None = None
    if isinstance(ref, str) and route_path.startswith("~"):
        # collectRegexNamedRoute: the ~ routes naming one VirtualServerRoute share it; it is
        # checked against all their paths and served once (its rules come with the first).
        first, shared = _regex_references(vs.obj.spec, namespace)[ref]
        if first != field:
            vs.record(field, Status.CONVERTED, f"its VirtualServerRoute is converted with {first}")
            return []
    rules: list[Rule] = []
    for obj in found:
        sub = _Context(vs.ctx, obj)
        problem = _vsr_problem(obj, host, route_path, shared)
        if problem:
            sub.unsupported("spec", f"{problem}: NGINX Inc ignores this VirtualServerRoute")
            continue
        vs.ctx.claim(obj)
        upstreams = _upstreams(sub)
        own_ns = obj.namespace or "default"
        for index, raw in enumerate(_list(obj.spec.get("subroutes"))):
            if not isinstance(raw, dict):
                continue
            made = _route(sub, f"spec.subroutes[{index}]", raw, upstreams, host)
            if own_ns != namespace:
                prov = Provenance(sub.source, f"spec.subroutes[{index}]")
                for rule in made:
                    for backend in rule.backend_refs:
                        if backend.namespace is None:
                            _grant(vs, backend, own_ns, prov)
            rules.extend(made)
        sub.record("spec.host", Status.CONVERTED)
        for key in sorted(obj.spec):
            if key not in ("host", "upstreams", "subroutes"):
                sub.unsupported(f"spec.{key}", f"VirtualServerRoute spec.{key} is not converted")
    vs.record(field, Status.CONVERTED if rules else Status.UNSUPPORTED)
    return rules


def _vsr_problem(
    obj: KubeObject, host: str, route_path: str, shared: list[str] | None
) -> str | None:
    """Why NGINX Inc's ``ValidateVirtualServerRouteForVirtualServer`` refuses the
    VirtualServerRoute for the route, or None: another host; for ``~`` routes (``shared``:
    the paths of all of them naming it) subroutes that are not exactly those paths; for
    ``=`` more than one subroute or another path; for a prefix, a subroute not under it."""
    if str(obj.spec.get("host", "")).lower() != host.lower():
        return f"its host {obj.spec.get('host')!r} is not the VirtualServer's {host}"
    paths = [str(_dict(raw).get("path", "")) for raw in _list(obj.spec.get("subroutes"))]
    normalized = [_normalized(path) for path in paths]
    if shared is not None:
        if len(set(normalized)) != len(normalized):
            return "two of its subroutes have the same path"
        if set(normalized) != set(shared):
            return (
                f"its subroute paths {sorted(set(normalized))} are not the paths of the "
                f"VirtualServer's ~ routes naming it {sorted(shared)}"
            )
        return None
    if route_path.startswith("=") and len(paths) != 1:
        return f"it has {len(paths)} subroutes, where the exact route {route_path!r} takes one"
    for path, norm in zip(paths, normalized, strict=True):
        if route_path.startswith("=") and norm != _normalized(route_path):
            return f"subroute path {path!r} is not the route's {route_path!r}"
        if not route_path.startswith("=") and not path.removeprefix("^~").startswith(
            route_path.removeprefix("^~")
        ):
            return f"subroute path {path!r} does not start with the route's {route_path!r}"
    return None


def _normalized(path: str) -> str:
    """A route path with the spaces after its modifier dropped (NGINX Inc's
    ``NormalizePath``, with which it compares paths)."""
    for modifier in ("~*", "~", "^~", "="):
        if path.startswith(modifier):
            return modifier + path.removeprefix(modifier).lstrip()
    return path


def _regex_references(spec: dict[str, Any], namespace: str) -> dict[str, tuple[str, list[str]]]:
    """For each ``route`` that ``~`` routes of the VirtualServer name (as written): the field
    of the first such route and their paths, normalized, each once."""
    found: dict[str, tuple[str, list[str]]] = {}
    keys: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for index, item in enumerate(_list(spec.get("routes"))):
        item = _dict(item)
        ref, path = item.get("route"), item.get("path")
        if not isinstance(ref, str) or not isinstance(path, str) or not path.startswith("~"):
            continue
        wanted_ns, _, wanted = ref.rpartition("/")
        entry = keys.setdefault((wanted_ns or namespace, wanted), (f"spec.routes[{index}]", []))
        if _normalized(path) not in entry[1]:
            entry[1].append(_normalized(path))
        found[ref] = entry
    return found


def _grant(vs: _Context, backend: BackendRef, namespace: str, prov: Provenance) -> None:
    """A Service of a VirtualServerRoute in another namespace than the route: named with its
    namespace, and granted there."""
    backend.namespace = namespace
    grant = ReferenceGrant(
        namespace=namespace,
        from_group=GATEWAY_GROUP,
        from_kind="HTTPRoute",
        from_namespace=vs.obj.namespace or "default",
        to_group="",
        to_kind="Service",
        to_name=backend.name,
    )
    vs.ctx.ir.add_grant(grant, prov)


def _route(
    vs: _Context,
    field: str,
    item: dict[str, Any],
    upstreams: dict[str, tuple[str, int | None]],
    host: str,
) -> list[Rule]:
    if "route" in item or "routeSelector" in item:
        if vs.obj.kind != "VirtualServer":
            vs.unsupported(field, "a subroute cannot delegate further")
            return []
        delegated = _delegated(vs, field, item, host)
        if item.get("policies"):
            # NGINX Inc gives the route's policies to the subroutes (vsrPoliciesFromVs).
            _close(vs, f"{field}.policies", delegated)
        return delegated
    path = _path(vs, f"{field}.path", item.get("path"))
    if path is None:
        return []
    raw_path = str(item.get("path"))
    rules: list[Rule] = []
    matches = _list(item.get("matches"))
    counts: list[tuple[bool, int, int]] = []
    for index, match in enumerate(matches):
        sub = f"{field}.matches[{index}]"
        conditions = _conditions(vs, sub, match)
        if conditions is None:
            continue
        headers, queries, method = conditions
        # Gateway API's precedence among rules of one path: a method match first, then more
        # header matches, then more query matches (HTTPRouteRule); NGINX Inc's order is the
        # list's.
        counts.append((method is not None, len(headers), len(queries)))
        if any(count < counts[-1] for count in counts[:-1]):
            vs.ctx.report.notify(
                _level(False),
                "nginx-inc-differs",
                f"matches[{index}] is more specific than an earlier match of the route (a "
                "method, or more header or argument conditions): NGINX Inc tried the matches "
                "in order, Gateway API prefers the more specific rule, so a request meeting "
                "both goes to this one now",
                source=vs.source,
                field=sub,
                provider=PROVIDER,
            )
        rule = Rule(
            matches=[
                Match(
                    path=path,
                    headers=tuple(headers),
                    query_params=tuple(queries),
                    method=method,
                )
            ],
            provenance=vs.prov(sub),
        )
        if _weighted(vs, sub, match, upstreams, rule, raw_path):
            rules.append(rule)
            vs.record(sub, Status.CONVERTED)
    rule = Rule(matches=[Match(path=path)], provenance=vs.prov(field))
    if _weighted(vs, field, item, upstreams, rule, raw_path):
        rules.append(rule)
    for key in sorted(item):
        if key == "policies" and item[key]:
            _close(vs, f"{field}.policies", rules)
        elif key not in ("path", "action", "splits", "matches"):
            vs.unsupported(
                f"{field}.{key}", f"route {key} is not converted", security=key == "policies"
            )
    vs.record(field, Status.CONVERTED if rules else Status.UNSUPPORTED)
    return rules


def _close(vs: _Context, field: str, rules: list[Rule]) -> None:
    """Policies (basic, JWT, API-key, external auth, access control, rate limits, mTLS,
    WAF…) decide whether NGINX Inc serves a request, and Policy resources are not read: the
    rules they cover are closed (a refused access control), never served to everyone."""
    vs.unsupported(
        field,
        "Policy resources (auth, access control, rate limits, JWT, WAF…) are not converted; "
        "as they may control access, the rules they cover are closed",
        security=True,
    )
    control = RefusedControl(what=f"the refused {field}", provenance=vs.prov(field))
    for rule in rules:
        rule.extensions.append(control)


def _weighted(
    vs: _Context,
    field: str,
    item: dict[str, Any],
    upstreams: dict[str, tuple[str, int | None]],
    rule: Rule,
    raw_path: str,
) -> bool:
    """The ``splits`` (weighted backends) or the ``action`` of a route or of one of its
    matches, into ``rule``; whether it has something to do."""
    splits = item.get("splits")
    if not isinstance(splits, list):
        return _action(vs, f"{field}.action", item.get("action"), upstreams, rule, raw_path)
    for index, split in enumerate(splits):
        before = len(rule.backend_refs)
        if (
            isinstance(split, dict)
            and _action(
                vs,
                f"{field}.splits[{index}].action",
                split.get("action"),
                upstreams,
                rule,
                raw_path,
            )
            and len(rule.backend_refs) > before
        ):
            weight = split.get("weight")
            rule.backend_refs[-1].weight = weight if isinstance(weight, int) else 0
    return bool(rule.backend_refs)


def _conditions(
    vs: _Context, field: str, match: Any
) -> tuple[list[HeaderMatch], list[HeaderMatch], str | None] | None:
    """Header and argument conditions as matches, and a ``$request_method`` variable as the
    method. NGINX Inc tests them with ``map``, whose strings match ignoring case (a
    RegularExpression ``(?i)`` here; ``get`` is GET); a negated (``!``) or empty value, a
    method Gateway API does not name, and cookie or other variable conditions cannot be
    expressed (None, reported)."""
    headers: list[HeaderMatch] = []
    queries: list[HeaderMatch] = []
    method: str | None = None
    why = ""
    for condition in _list(_dict(match).get("conditions")):
        condition = _dict(condition)
        value = condition.get("value")
        name = condition.get("header") or condition.get("argument")
        if condition.get("variable") == "$request_method" and isinstance(value, str):
            if value.upper() not in _METHODS or method not in (None, value.upper()):
                why = f"the $request_method condition {value!r} cannot be expressed"
                break
            method = value.upper()
            continue
        if not isinstance(value, str) or not isinstance(name, str):
            why = (
                "only header, argument and $request_method conditions can be expressed "
                "(cookie and other variable conditions cannot)"
            )
            break
        if not value or value.startswith("!"):
            why = (
                f"the condition value {value!r} (a negation or an absent value) cannot be expressed"
            )
            break
        found = (
            HeaderMatch(name, f"(?i){regex_literal(value)}", "RegularExpression")
            if value.lower() != value.upper()
            else HeaderMatch(name, value)
        )
        (headers if "header" in condition else queries).append(found)
    if why or not (headers or queries or method):
        vs.unsupported(field, why or "a match needs conditions")
        return None
    return headers, queries, method


# The methods an HTTPRouteMatch can name (Gateway API's HTTPMethod).
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


def _transport_server(vs: _Context, gateway: Gateway) -> None:
    spec = vs.obj.spec
    listener_spec = _dict(spec.get("listener"))
    host = spec.get("host")
    if (
        listener_spec.get("protocol") != "TLS_PASSTHROUGH"
        or not isinstance(host, str)
        or hostname_problem(host)
    ):
        vs.unsupported(
            "spec.listener",
            "only TLS_PASSTHROUGH TransportServers with a host are converted (TCP/UDP listeners come from a GlobalConfiguration)",
        )
        return
    upstreams = _upstreams(vs)
    action = _dict(spec.get("action"))
    target = upstreams.get(str(action.get("pass")))
    if target is None:
        vs.unsupported("spec.action", "action.pass names no upstream")
        return
    namespace = vs.obj.namespace
    listener = _listener(
        gateway,
        namespace,
        port=443,
        protocol="TLS",
        hostname=host,
        tls_mode="Passthrough",
        provenance=vs.prov("spec.listener"),
    )
    route = TLSRoute(
        name=vs.ctx.allocator("TLSRoute", namespace).allocate(
            f"{vs.obj.name}-{naming.host_slug(host)}", f"ts/{namespace}/{vs.obj.name}"
        ),
        namespace=namespace,
        hostnames=[host],
        parent_refs=[gateway.parent_ref(namespace, listener.name)],
        backend_refs=[
            BackendRef(name=target[0], port=target[1], provenance=vs.prov("spec.action"))
        ],
        provenance=vs.prov("spec.listener"),
    )
    vs.ctx.ir.routes.append(route)
    for field in ("spec.listener", "spec.host", "spec.action"):
        vs.record(field, Status.CONVERTED)
        made_from(route, *vs.prov(field))
        made_from(gateway, *vs.prov(field))
