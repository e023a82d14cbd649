"""NGINX Inc custom resources (partial): ``VirtualServer``, ``VirtualServerRoute``,
``TransportServer``.

A ``VirtualServer`` becomes an HTTPRoute for its ``host`` on the class's Gateway (an HTTP
listener, and an HTTPS one when ``tls.secret`` is set, with the HTTPS redirect unless
``tls.redirect.enable`` is false):

* ``routes[].path``: a prefix, ``=exact`` (Exact), ``~regex`` / ``~*regex`` (RegularExpression,
  ``(?i)`` for ``~*``); ``^~`` prefixes are plain prefixes.
* ``action.pass`` → the upstream's Service and port; ``splits`` → weighted backendRefs;
  ``action.redirect`` → RequestRedirect (URL parsed; nginx variables are not carried);
  ``matches[].conditions`` on ``header`` / ``argument`` → extra rules with header / query
  matches placed first; ``cookie`` / ``variable`` conditions cannot be expressed (reported).
* ``action.return`` (fixed responses), ``action.proxy``, ``errorPages``, ``policies``,
  snippets, delegated ``route`` / ``routeSelector`` (VirtualServerRoute) and upstream tuning are
  reported as unsupported, field by field.

``TransportServer`` with a ``TLS_PASSTHROUGH`` listener becomes a TLS Passthrough listener and a
TLSRoute; other TransportServers (TCP/UDP listeners from a GlobalConfiguration the input does not
carry) are reported.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingress2gateway import naming
from ingress2gateway.ir import (
    BackendRef,
    Gateway,
    HeaderMatch,
    HTTPRoute,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    PathModifier,
    Provenance,
    RequestRedirect,
    Rule,
    SecretRef,
    TLSRoute,
)
from ingress2gateway.lowering import hostname_problem
from ingress2gateway.objects import KubeObject, ResourceKind, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.report import Status

from ._base import PROVIDER, looks_injected
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

    def record(
        self, field: str, status: Status, note: str | None = None, targets: list[Any] | None = None
    ) -> None:
        self.ctx.report.record(
            self.source, field, status, targets=targets or [], note=note, provider=PROVIDER
        )

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
    from ingress2gateway.report import Level

    return Level.ERROR if security else Level.WARNING


def convert(ctx: ProviderContext, gateways: list[Gateway]) -> None:
    existing = list(gateways)
    _convert_all(ctx, gateways)
    # A Gateway made here that got no listener (nothing converted) would be invalid.
    for gateway in gateways:
        if gateway not in existing and not gateway.listeners and gateway in ctx.ir.gateways:
            ctx.ir.gateways.remove(gateway)


def _convert_all(ctx: ProviderContext, gateways: list[Gateway]) -> None:
    for obj in ctx.objects:
        if obj.group != GROUP or obj.kind not in KINDS or id(obj) in ctx.claimed:
            continue
        ctx.claim(obj)
        vs = _Context(ctx, obj)
        gateway = _gateway(ctx, gateways, obj)
        if obj.kind == "VirtualServer":
            _virtual_server(vs, gateway)
        elif obj.kind == "TransportServer":
            _transport_server(vs, gateway)
        else:
            vs.unsupported(
                "spec",
                "a VirtualServerRoute is converted only through its VirtualServer, which delegation is not supported yet",
            )


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


def _parent(gateway: Gateway, namespace: str | None, listener: Listener) -> ParentRef:
    return ParentRef(
        gateway.name, gateway.namespace if gateway.namespace != namespace else None, listener.name
    )


def _virtual_server(vs: _Context, gateway: Gateway) -> None:
    spec = vs.obj.spec
    namespace = vs.obj.namespace
    host = spec.get("host")
    if not isinstance(host, str) or hostname_problem(host):
        vs.unsupported(
            "spec.host", f"host {host!r} is not a DNS name; the VirtualServer is not converted"
        )
        return
    for key in sorted(spec):
        if key not in _HANDLED_SPEC:
            security = key in ("policies", "server-snippets", "http-snippets")
            vs.unsupported(
                f"spec.{key}", f"VirtualServer spec.{key} is not converted", security=security
            )
    http = _listener(
        gateway, namespace, port=80, protocol="HTTP", hostname=host, provenance=vs.prov("spec.host")
    )
    parents = [_parent(gateway, namespace, http)]
    tls = spec.get("tls") if isinstance(spec.get("tls"), dict) else None
    redirect_https = False
    redirect: dict[str, Any] = {}
    if tls is not None and isinstance(tls.get("secret"), str):
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
        redirect = _dict(tls.get("redirect"))
        redirect_https = bool(redirect.get("enable"))
        parents = (
            [_parent(gateway, namespace, https)]
            if redirect_https
            else [*parents, _parent(gateway, namespace, https)]
        )
        vs.record("spec.tls", Status.CONVERTED, targets=[gateway.ref])
    upstreams = _upstreams(vs)
    route = HTTPRoute(
        name=vs.ctx.allocator("HTTPRoute", namespace).allocate(
            f"{vs.obj.name}-{naming.host_slug(host)}", f"vs/{namespace}/{vs.obj.name}"
        ),
        namespace=namespace,
        hostnames=[host],
        parent_refs=parents,
        provenance=vs.prov("spec.host"),
    )
    routes = _list(spec.get("routes"))
    for index, item in enumerate(routes):
        if isinstance(item, dict):
            route.rules.extend(_route(vs, f"spec.routes[{index}]", item, upstreams))
    vs.record("spec.host", Status.CONVERTED, targets=[route.ref, gateway.ref])
    if route.rules:
        if len(route.rules) > 16:
            vs.unsupported("spec.routes", "more than 16 rules; only the first 16 are converted")
            route.rules = route.rules[:16]
        vs.ctx.ir.routes.append(route)
    if redirect_https:
        code = _code(redirect.get("code"), 301)
        vs.ctx.ir.routes.append(
            HTTPRoute(
                name=vs.ctx.allocator("HTTPRoute", namespace).allocate(
                    f"{route.name}-http", f"vs-http/{route.name}"
                ),
                namespace=namespace,
                hostnames=[host],
                parent_refs=[_parent(gateway, namespace, http)],
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
        extra = sorted(k for k in item if k not in ("name", "service", "port"))
        if extra:
            vs.record(field, Status.PARTIAL, f"upstream settings not converted: {', '.join(extra)}")
        else:
            vs.record(field, Status.CONVERTED)
    return found


def _path(vs: _Context, field: str, value: Any) -> PathMatch | None:
    if not isinstance(value, str) or not value:
        vs.unsupported(field, "a route needs a path")
        return None
    if value.startswith("="):
        return PathMatch("Exact", value[1:])
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
    return PathMatch("PathPrefix", value.removeprefix("^~"))


def _action(
    vs: _Context, field: str, action: Any, upstreams: dict[str, tuple[str, int | None]], rule: Rule
) -> bool:
    if not isinstance(action, dict):
        vs.unsupported(field, "no action")
        return False
    if isinstance(action.get("pass"), str):
        target = upstreams.get(action["pass"])
        if target is None:
            vs.unsupported(field, f"upstream {action['pass']!r} is not defined")
            return False
        rule.backend_refs.append(
            BackendRef(name=target[0], port=target[1], provenance=vs.prov(field))
        )
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
    vs.unsupported(
        field,
        f"action {', '.join(sorted(action))} is not converted (fixed responses and proxy actions need an implementation extension)",
    )
    return False


def _route(
    vs: _Context, field: str, item: dict[str, Any], upstreams: dict[str, tuple[str, int | None]]
) -> list[Rule]:
    if "route" in item or "routeSelector" in item:
        vs.unsupported(field, "delegation to a VirtualServerRoute is not converted yet")
        return []
    path = _path(vs, f"{field}.path", item.get("path"))
    if path is None:
        return []
    rules: list[Rule] = []
    matches = _list(item.get("matches"))
    for index, match in enumerate(matches):
        sub = f"{field}.matches[{index}]"
        headers, queries, ok = [], [], isinstance(match, dict)
        for condition in (match.get("conditions") or []) if ok else []:
            if (
                isinstance(condition, dict)
                and isinstance(condition.get("value"), str)
                and isinstance(condition.get("header"), str)
            ):
                headers.append(HeaderMatch(condition["header"], condition["value"]))
            elif (
                isinstance(condition, dict)
                and isinstance(condition.get("value"), str)
                and isinstance(condition.get("argument"), str)
            ):
                queries.append(HeaderMatch(condition["argument"], condition["value"]))
            else:
                ok = False
        if not ok or not (headers or queries):
            vs.unsupported(
                sub,
                "only header and argument conditions can be expressed (cookie and variable conditions cannot)",
            )
            continue
        rule = Rule(
            matches=[Match(path=path, headers=tuple(headers), query_params=tuple(queries))],
            provenance=vs.prov(sub),
        )
        if _action(vs, f"{sub}.action", match.get("action"), upstreams, rule):
            rules.append(rule)
            vs.record(sub, Status.CONVERTED)
    rule = Rule(matches=[Match(path=path)], provenance=vs.prov(field))
    splits = item.get("splits")
    if isinstance(splits, list):
        for index, split in enumerate(splits):
            before = len(rule.backend_refs)
            if (
                isinstance(split, dict)
                and _action(
                    vs, f"{field}.splits[{index}].action", split.get("action"), upstreams, rule
                )
                and len(rule.backend_refs) > before
            ):
                weight = split.get("weight")
                rule.backend_refs[-1].weight = weight if isinstance(weight, int) else 0
        if rule.backend_refs:
            rules.append(rule)
    elif _action(vs, f"{field}.action", item.get("action"), upstreams, rule):
        rules.append(rule)
    for key in sorted(item):
        if key not in ("path", "action", "splits", "matches"):
            vs.unsupported(
                f"{field}.{key}", f"route {key} is not converted", security=key == "policies"
            )
    vs.record(field, Status.CONVERTED if rules else Status.UNSUPPORTED)
    return rules


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
        parent_refs=[_parent(gateway, namespace, listener)],
        backend_refs=[
            BackendRef(name=target[0], port=target[1], provenance=vs.prov("spec.action"))
        ],
        provenance=vs.prov("spec.listener"),
    )
    vs.ctx.ir.routes.append(route)
    for field in ("spec.listener", "spec.host", "spec.action"):
        vs.record(field, Status.CONVERTED, targets=[route.ref, gateway.ref])
