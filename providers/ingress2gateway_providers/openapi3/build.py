"""The operations of one document → a Gateway and its HTTPRoutes.

One Gateway per document (``<title>-gateway``, or ``--gateway-name``), with a listener per
distinct scheme, host and port its servers name. Each listener gets the matches of the
operations served there; listeners with the same matches share routes (one ``parentRef`` per
listener, by ``sectionName``). A rule holds at most :data:`MATCHES_PER_RULE` matches of
operations with the same security, a route at most :data:`RULES_PER_ROUTE` rules (Gateway
API allows 16 rules and fewer than 128 matches per route); every rule goes to the one backend
of ``--openapi3-backend``. What a relative server serves (every host) is routed on the
listeners of the other servers' hosts too, on the same scheme and port: Gateway API gives a
request to its most specific listener only. Routes and Gateways go to ``--gateway-namespace`` (else no
namespace: the one they are applied to); a backend or TLS Secret in another namespace gets its
ReferenceGrant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ingress2gateway.converting.naming import NameAllocator, host_slug
from ingress2gateway.ir import (
    BackendRef,
    Gateway,
    HTTPRoute,
    Listener,
    Match,
    PathMatch,
    ReferenceGrant,
    Rule,
    SecretRef,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .common import Fields
from .document import Operation, read_document
from .overlaps import report_overlaps
from .paths import path_match
from .security import Controls, Guard
from .servers import Endpoint

MATCHES_PER_RULE = 8
RULES_PER_ROUTE = 15
GATEWAY_GROUP = "gateway.networking.k8s.io"
DEFAULT_NAMESPACE = "default"

ListenerKey = tuple[str, str | None, int]
"""(scheme, host or None, port)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The provider's options, read and checked once per conversion."""

    backend: BackendRef | None
    backend_problem: str | None
    """Why there is no backend (reported on each document that gets routes)."""
    gateway_class: str
    class_defaulted: bool
    tls_secret: SecretRef | None
    namespace: str | None
    gateway_name: str | None


@dataclass(frozen=True, slots=True)
class Routed:
    """One operation served at one listener."""

    path: PathMatch
    method: str
    guard: Guard | None
    field: str


def convert_document(ctx: ProviderContext, obj: KubeObject, settings: Settings) -> None:
    fields = Fields(obj, ctx.report)
    ctx.claim(obj)
    document = read_document(fields)
    if document is None:
        return
    report_overlaps(fields, document.operations)
    where: dict[ListenerKey, str] = {}
    served = _served(fields, document.operations, where)
    if not served:
        fields.notify(
            Level.INFO,
            "openapi3-value-invalid",
            None,
            "the document has no operation that can be routed: no Gateway is written",
        )
        return
    _report_settings(fields, settings)
    controls = Controls(fields, document.schemes)
    gateway = _gateway(ctx, fields, obj, settings, served, where)
    _routes(ctx, fields, obj, settings, gateway, served, controls)


def _report_settings(fields: Fields, settings: Settings) -> None:
    if settings.backend_problem is not None:
        fields.notify(
            Level.ERROR,
            "openapi3-backend-missing",
            None,
            f"{settings.backend_problem}: the routes have no backend and answer 500; pass "
            "--openapi3-backend [ns/]name:port",
        )
    if settings.class_defaulted:
        fields.notify(
            Level.INFO,
            "openapi3-gateway-class-default",
            None,
            f"no valid gateway class was given: the Gateway names class {settings.gateway_class}",
        )


def _served(
    fields: Fields, operations: Iterable[Operation], where: dict[ListenerKey, str]
) -> dict[ListenerKey, list[Routed]]:
    """The operations each listener serves, with conflicts and bad paths reported; ``where``
    gets the first server field of each listener."""
    served: dict[ListenerKey, list[Routed]] = {}
    shapes: dict[tuple[ListenerKey, str, str], str] = {}
    schemes_by_port: dict[int, tuple[str, str]] = {}
    seen: dict[ListenerKey, set[Routed]] = {}
    for op in operations:
        routed_once = False
        for endpoint in op.endpoints:
            key = (endpoint.scheme, endpoint.host, endpoint.port)
            if not _port_free(fields, schemes_by_port, endpoint):
                continue
            match = path_match(endpoint.base, op.template)
            if isinstance(match, str):
                fields.notify(
                    Level.WARNING,
                    "openapi3-value-invalid",
                    op.field,
                    f"{match}: the operation is not routed",
                    Status.UNSUPPORTED,
                )
                continue
            shape = (key, endpoint.base + op.template.shape, op.method)
            first = shapes.setdefault(shape, op.field)
            if first != op.field:
                fields.notify(
                    Level.WARNING,
                    "openapi3-path-conflict",
                    op.field,
                    f"{op.method} {endpoint.base}{op.path} is the same path as {first} (template "
                    "names aside); the first is routed",
                    Status.UNSUPPORTED,
                )
                continue
            if match.type == "RegularExpression":
                fields.notify(
                    Level.INFO,
                    "openapi3-path-template",
                    op.field,
                    f"{op.path}: each template matches one non-empty path segment (a "
                    "RegularExpression match)",
                )
            where.setdefault(key, endpoint.field)
            routed = Routed(match, op.method, op.guard, op.field)
            if routed not in seen.setdefault(key, set()):
                seen[key].add(routed)
                served.setdefault(key, []).append(routed)
            routed_once = True
        if routed_once:
            fields.record(op.field, Status.CONVERTED)
    _share_every_host(served)
    return served


def _share_every_host(served: dict[ListenerKey, list[Routed]]) -> None:
    """What a listener without hostname serves, on the listeners of the same scheme and port
    with one too: a request goes to the most specific listener only (Gateway API), and the
    description serves it on every host (a relative server)."""
    for (scheme, host, port), items in list(served.items()):
        if host is not None:
            continue
        for key, bucket in served.items():
            if key[1] is None or (key[0], key[2]) != (scheme, port):
                continue
            taken = {(item.path, item.method) for item in bucket}
            bucket.extend(item for item in items if (item.path, item.method) not in taken)


def _port_free(
    fields: Fields, schemes_by_port: dict[int, tuple[str, str]], endpoint: Endpoint
) -> bool:
    """HTTP and HTTPS cannot share a port on one Gateway: the first scheme keeps it."""
    taken = schemes_by_port.setdefault(endpoint.port, (endpoint.scheme, endpoint.field))
    if taken[0] == endpoint.scheme:
        return True
    fields.notify(
        Level.WARNING,
        "openapi3-server-skipped",
        endpoint.field,
        f"port {endpoint.port} serves {taken[0]} ({taken[1]}); one listener port cannot "
        f"serve {endpoint.scheme} too: the operations it serves are not routed there",
        Status.UNSUPPORTED,
    )
    return False


def _gateway(
    ctx: ProviderContext,
    fields: Fields,
    obj: KubeObject,
    settings: Settings,
    served: dict[ListenerKey, list[Routed]],
    where: dict[ListenerKey, str],
) -> Gateway:
    name = ctx.allocator("Gateway", settings.namespace).allocate(
        settings.gateway_name or f"{obj.name}-gateway", f"openapi3:{obj.name}"
    )
    gateway = Gateway(
        name=name,
        namespace=settings.namespace,
        gateway_class=settings.gateway_class,
        provenance=[fields.prov("openapi")],
    )
    names = NameAllocator()
    for key in sorted(served, key=_key_order):
        scheme, host, port = key
        listener = Listener(
            name=names.allocate(f"{scheme}-{port}-{host_slug(host)}", repr(key)),
            port=port,
            protocol="HTTPS" if scheme == "https" else "HTTP",
            hostname=host,
            provenance=[fields.prov(where[key])],
        )
        if scheme == "https":
            listener.tls_mode = "Terminate"
            listener.certificate_refs = [_certificate(fields, settings, name, where[key])]
        gateway.listeners.append(listener)
    ctx.ir.gateways.append(gateway)
    secret = settings.tls_secret
    if (
        secret is not None
        and secret.namespace
        and secret.namespace != (settings.namespace or DEFAULT_NAMESPACE)
        and any(listener.protocol == "HTTPS" for listener in gateway.listeners)
    ):
        grant = ReferenceGrant(
            namespace=secret.namespace,
            from_group=GATEWAY_GROUP,
            from_kind="Gateway",
            from_namespace=settings.namespace or DEFAULT_NAMESPACE,
            to_group="",
            to_kind="Secret",
            to_name=secret.name,
        )
        ctx.ir.add_grant(grant, fields.prov("servers"))
    return gateway


def _key_order(key: ListenerKey) -> tuple[str, str, int]:
    return (key[0], key[1] or "", key[2])


def _certificate(fields: Fields, settings: Settings, gateway_name: str, server: str) -> SecretRef:
    if settings.tls_secret is not None:
        return settings.tls_secret
    secret = f"{gateway_name}-tls"
    fields.notify(
        Level.WARNING,
        "openapi3-tls-secret-missing",
        server,
        f"an https server needs a certificate and --openapi3-gateway-tls-secret was not "
        f"given: the HTTPS listeners name Secret {secret}, which must be created",
    )
    return SecretRef(secret)


def _routes(
    ctx: ProviderContext,
    fields: Fields,
    obj: KubeObject,
    settings: Settings,
    gateway: Gateway,
    served: dict[ListenerKey, list[Routed]],
    controls: Controls,
) -> None:
    listeners = {key: gateway.listeners[i] for i, key in enumerate(sorted(served, key=_key_order))}
    groups: dict[frozenset[Routed], list[ListenerKey]] = {}
    for key in sorted(served, key=_key_order):
        groups.setdefault(frozenset(served[key]), []).append(key)
    chunks = [
        (keys, rules)
        for matches, keys in groups.items()
        for rules in _route_chunks(_rules(fields, settings, matches, controls, obj))
    ]
    allocator = ctx.allocator("HTTPRoute", settings.namespace)
    for index, (keys, rules) in enumerate(chunks, start=1):
        wanted = f"{obj.name}-route" if len(chunks) == 1 else f"{obj.name}-route-{index}"
        route = HTTPRoute(
            name=allocator.allocate(wanted, f"openapi3:{obj.name}:{index}"),
            namespace=settings.namespace,
            parent_refs=[
                gateway.parent_ref(settings.namespace, listeners[key].name) for key in keys
            ],
            rules=rules,
            provenance=[fields.prov("paths")],
        )
        ctx.ir.routes.append(route)
    backend = settings.backend
    route_namespace = settings.namespace or DEFAULT_NAMESPACE
    if backend is not None and backend.namespace and backend.namespace != route_namespace:
        grant = ReferenceGrant(
            namespace=backend.namespace,
            from_group=GATEWAY_GROUP,
            from_kind="HTTPRoute",
            from_namespace=route_namespace,
            to_group="",
            to_kind="Service",
            to_name=backend.name,
        )
        ctx.ir.add_grant(grant, fields.prov("paths"))


def _rules(
    fields: Fields,
    settings: Settings,
    matches: frozenset[Routed],
    controls: Controls,
    obj: KubeObject,
) -> list[Rule]:
    by_guard: dict[Guard | None, list[Routed]] = {}
    for item in sorted(matches, key=_match_order):
        by_guard.setdefault(item.guard, []).append(item)
    rules: list[Rule] = []
    for guard in sorted(by_guard, key=lambda g: ("", "") if g is None else (g.field, g.describe())):
        items = by_guard[guard]
        for start in range(0, len(items), MATCHES_PER_RULE):
            chunk = items[start : start + MATCHES_PER_RULE]
            rule = Rule(
                matches=[Match(path=item.path, method=item.method) for item in chunk],
                provenance=[fields.prov(f) for f in dict.fromkeys(i.field for i in chunk)],
                sources=[obj.source()],
            )
            if settings.backend is not None:
                b = settings.backend
                rule.backend_refs.append(
                    BackendRef(b.name, b.namespace, b.port, provenance=list(rule.provenance))
                )
            if guard is not None:
                rule.extensions.extend(controls.extensions(guard))
            rules.append(rule)
    return rules


def _match_order(item: Routed) -> tuple[str, str, str, str]:
    return (item.path.value, item.path.type, item.method, item.field)


def _route_chunks(rules: list[Rule]) -> list[list[Rule]]:
    return [rules[i : i + RULES_PER_ROUTE] for i in range(0, len(rules), RULES_PER_ROUTE)]
