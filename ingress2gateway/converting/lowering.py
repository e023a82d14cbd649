"""Shared Ingress → IR lowering: gateway layout, listeners, routes, precedence and conflicts.

Every Ingress-based provider goes through here, so the plain-Ingress semantics are written
once. The rules follow what ingress-nginx does, which the other Ingress controllers largely
share:

* one Gateway per ingress class, shared by every namespace (one hostname keeps one address),
  or one per namespace and class with ``--gateway-per-namespace`` (the Go tool's layout);
* an HTTP listener per hostname, an HTTPS listener per hostname that some ``spec.tls`` entry
  covers with a certificate, and a hostname-less HTTP listener for rules without host and for
  a ``defaultBackend`` of an Ingress without rules (the controller's catch-all server);
* one HTTPRoute per (namespace, host), split every 16 rules (the CRD's limit);
* Ingresses are taken oldest first; the same host + path + path type defined twice keeps the
  oldest and drops the other with a warning naming both (no silent traffic split);
* an Ingress's ``defaultBackend`` answers ``/`` on the hosts it is the first to define, unless
  some Ingress routes ``/`` itself — as the controller's root location does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from ingress2gateway.converting import grammar, naming
from ingress2gateway.converting.ingress import (
    Backend,
    IngressModel,
    IngressPath,
    IngressTLS,
    ResourceBackend,
    precedence_key,
    service_ports,
)
from ingress2gateway.ir import (
    BackendRef,
    Gateway,
    HTTPRoute,
    Listener,
    Match,
    PathMatch,
    PathType,
    Provenance,
    ReferenceGrant,
    Rule,
    SecretRef,
    made_from,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Need, Status

MAX_RULES_PER_ROUTE = 16
GATEWAY_GROUP = "gateway.networking.k8s.io"
DEFAULT_SHARED_NAMESPACE = "default"

# What the HTTPRoute CRD accepts as an Exact/PathPrefix value (its CEL rules).
_GATEWAY_PATH = re.compile(r"(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+")


def path_problem(value: str) -> str | None:
    """Why ``value`` cannot be an Exact/PathPrefix match, or None if it can."""
    for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
        if bad in value:
            return f"contains {bad!r}"
    if value.endswith(("/..", "/.")):
        return "ends with a dot segment"
    if not _GATEWAY_PATH.fullmatch(value):
        return "has characters Gateway API paths do not allow (is it a regular expression?)"
    if len(value) > 1024:
        return "is longer than 1024 characters"
    return None


def hostname_problem(host: str) -> str | None:
    return grammar.hostname_problem(host)


def tls_covers(tls_host: str, host: str) -> bool:
    if tls_host == host:
        return True
    if tls_host.startswith("*.") and not host.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == tls_host[2:]
    return False


PathMatcher = Callable[[IngressModel, IngressPath], PathMatch | None]
"""Returns None for a path it cannot express (after reporting why); that path is skipped."""

MatchExtras = Callable[[IngressModel, IngressPath], Hashable]
"""What a provider adds to a path's match (header, method, query conditions), as a value that is
equal for equal conditions."""

_FIRST_WINS = "the first definition wins (as in ingress-nginx), never a silent traffic split"


@dataclass
class IngressPolicy:
    """How a provider wants the shared lowering to read its Ingresses."""

    provider: str
    implementation_specific: PathType = "PathPrefix"
    """What ``pathType: ImplementationSpecific`` means for this controller."""
    path_matcher: PathMatcher | None = None
    """Override the path match of each path (for example a controller's regex mode)."""
    resource_backends: bool = True
    """Whether the controller routes to ``backend.resource``; False: it skips such paths (they
    are reported, not converted)."""
    match_extras: MatchExtras | None = None
    """The rest of each path's match: two paths of a host conflict only when their whole match
    (path, type and these) is the same; otherwise each gets its rule."""
    duplicate_rule: str = _FIRST_WINS
    """How the controller chose between paths with the same match (for the conflict notice)."""

    def extras_for(self, model: IngressModel, path: IngressPath) -> Hashable:
        return () if self.match_extras is None else self.match_extras(model, path)

    def match_for(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        if self.path_matcher is not None:
            return self.path_matcher(model, path)
        if path.path_type == "Exact":
            return PathMatch("Exact", path.path)
        if path.path_type == "Prefix":
            return PathMatch("PathPrefix", path.path)
        return PathMatch(self.implementation_specific, path.path)


@dataclass
class Lowered:
    """What lowering produced, for providers to decorate (annotations) afterwards."""

    gateways: list[Gateway] = field(default_factory=list)
    routes: list[HTTPRoute] = field(default_factory=list)
    rules_by_source: dict[SourceRef, list[tuple[HTTPRoute, Rule]]] = field(default_factory=dict)
    gateway_of: dict[SourceRef, Gateway] = field(default_factory=dict)

    def rules_of(self, source: SourceRef) -> list[tuple[HTTPRoute, Rule]]:
        return self.rules_by_source.get(source, [])


ROOT: tuple[str, str, Hashable] = ("PathPrefix", "/", ())
"""The key of a host's ``/`` prefix without conditions: what a default backend answers."""


@dataclass
class _PathEntry:
    model: IngressModel
    path: IngressPath | None
    match: PathMatch
    backend: BackendRef
    field: str


@dataclass
class _HostState:
    host: str | None
    owner: IngressModel
    """The oldest Ingress that defines the host (its defaultBackend answers ``/``)."""
    certificate: tuple[SecretRef, IngressModel, str] | None = None
    entries: dict[tuple[str, str, Hashable], _PathEntry] = field(default_factory=dict)
    """By the whole match: path type, path and the provider's extras (see ``ROOT``)."""
    namespaces: set[str | None] = field(default_factory=set)


class _GatewayBuild:
    def __init__(self, ctx: ProviderContext, policy: IngressPolicy, gateway: Gateway) -> None:
        self.ctx = ctx
        self.policy = policy
        self.gateway = gateway
        self.hosts: dict[str | None, _HostState] = {}
        self.catch_all: _PathEntry | None = None
        self.models: list[IngressModel] = []


def lower_ingresses(
    ctx: ProviderContext, models: Sequence[IngressModel], policy: IngressPolicy
) -> Lowered:
    """Add Gateways, HTTPRoutes and ReferenceGrants for ``models`` to ``ctx.ir``."""
    lowered = Lowered()
    ports = service_ports(ctx.objects)
    ordered = sorted(models, key=precedence_key)
    builds = _layout(ctx, ordered, policy)
    for build in builds:
        for model in build.models:
            _collect(build, model, ports, lowered)
        # Certificates are per host, whoever defines the host's paths: an older Ingress's TLS
        # entry covers a host that only a newer Ingress routes, as in the controller.
        hosts_by_parent = _hosts_by_parent(build)
        for model in build.models:
            _collect_tls(build, model, hosts_by_parent)
        _emit(build, lowered)
    ctx.ir.gateways.extend(lowered.gateways)
    ctx.ir.routes.extend(lowered.routes)
    return lowered


# --- gateway layout --------------------------------------------------------------------------


def _layout(
    ctx: ProviderContext, ordered: Sequence[IngressModel], policy: IngressPolicy
) -> list[_GatewayBuild]:
    options = ctx.options
    groups: dict[tuple[str, str | None], list[IngressModel]] = defaultdict(list)
    for model in ordered:
        class_name = model.class_name or ""
        key = (class_name, model.namespace if options.gateway_per_namespace else None)
        groups[key].append(model)
    classes = {class_name for class_name, _ in groups}
    builds: list[_GatewayBuild] = []
    for (class_name, per_ns), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        name = options.gateway_name or class_name or "ingress"
        if options.gateway_name and len(classes) > 1:
            name = f"{options.gateway_name}-{class_name}"
        namespaces = sorted({m.namespace or "" for m in members})
        if options.gateway_per_namespace:
            namespace = per_ns
        elif options.gateway_namespace:
            namespace = options.gateway_namespace
        elif len(namespaces) == 1:
            namespace = members[0].namespace
        else:
            namespace = DEFAULT_SHARED_NAMESPACE
            ctx.report.info(
                "gateway-namespace-chosen",
                f"Ingresses of class {class_name!r} live in {len(namespaces)} namespaces; their shared "
                f"Gateway {name!r} goes into namespace {namespace!r} (choose with --gateway-namespace, "
                "or use --gateway-per-namespace)",
                provider=policy.provider,
            )
        gateway_name = ctx.allocator("Gateway", namespace).allocate(
            name, f"gateway/{class_name}/{per_ns}"
        )
        gateway = Gateway(
            name=gateway_name,
            namespace=namespace,
            gateway_class=options.gateway_class_name or class_name or "ingress",
        )
        if not options.gateway_class_name:
            # Said once per class (the same notification twice is one).
            ctx.report.info(
                "gateway-class-assumed",
                f"the generated Gateways of ingress class {class_name!r} name GatewayClass "
                f"{gateway.gateway_class!r}, as no --gateway-class-name was given: set it to "
                "the GatewayClass of your implementation (Envoy Gateway's is usually eg)",
                provider=policy.provider,
            )
        build = _GatewayBuild(ctx, policy, gateway)
        build.models = list(members)
        builds.append(build)
    return builds


# --- collecting paths, hosts and certificates ------------------------------------------------


def _backend_ref(
    build: _GatewayBuild,
    model: IngressModel,
    backend: Backend,
    field_path: str,
    ports: dict[tuple[str | None, str], dict[str, int]],
) -> BackendRef | None:
    """The backendRef for an Ingress backend; None (reported at ``field_path``) if unresolvable."""
    provenance = [Provenance(model.source, field_path)]
    if isinstance(backend, ResourceBackend):
        if not build.policy.resource_backends:
            build.ctx.report.flag(
                Level.WARNING,
                "backend-resource-ignored",
                f"the controller skips a path whose backend is a {backend.kind} rather than a "
                "Service (it makes no location for it: the request goes wherever the host's "
                "other paths, or its default backend, take it); it is not converted",
                Status.IGNORED,
                source=model.source,
                field=field_path,
                provider=build.policy.provider,
            )
            return None
        return BackendRef(
            name=backend.name, group=backend.group, kind=backend.kind, provenance=provenance
        )
    port = backend.port_number
    if port is None and backend.port_name is not None:
        port = ports.get((model.namespace, backend.name), {}).get(backend.port_name)
        if port is None:
            known = (model.namespace, backend.name) in ports
            hint = (
                f"Service {backend.name} has no port named {backend.port_name!r}"
                if known
                else f"Service {backend.name} is not in the input; add it (or use a port number)"
            )
            message = f"cannot resolve the backend port name {backend.port_name!r}: {hint}"
            report = build.ctx.report
            provider = build.policy.provider
            report.flag(
                Level.ERROR,
                "backend-port-unresolved",
                message,
                Status.UNSUPPORTED,
                source=model.source,
                field=field_path,
                provider=provider,
            )
            return None
    return BackendRef(name=backend.name, port=port, provenance=provenance)


def _host_state(build: _GatewayBuild, model: IngressModel, host: str | None) -> _HostState:
    state = build.hosts.get(host)
    if state is None:
        state = _HostState(host, model)
        build.hosts[host] = state
    return state


def _collect(
    build: _GatewayBuild,
    model: IngressModel,
    ports: dict[tuple[str | None, str], dict[str, int]],
    lowered: Lowered,
) -> None:
    report = build.ctx.report
    provider = build.policy.provider
    lowered.gateway_of[model.source] = build.gateway
    if model.class_field:
        report.record(model.source, model.class_field, Status.CONVERTED, provider=provider)
        build.gateway.provenance.append(Provenance(model.source, model.class_field))
    valid_hosts: set[str | None] = set()
    for index, host in model.rule_hosts:
        host_field = f"spec.rules[{index}].host"
        if host is not None and (problem := hostname_problem(host)):
            message = f"host {host!r} {problem}; its paths are not converted"
            report.flag(
                Level.ERROR,
                "ingress-invalid-part",
                message,
                Status.UNSUPPORTED,
                source=model.source,
                field=host_field,
                provider=provider,
            )
            continue
        valid_hosts.add(host)
        state = _host_state(build, model, host)
        state.namespaces.add(model.namespace)
        if host is not None:
            report.record(model.source, host_field, Status.CONVERTED, provider=provider)
            build.gateway.provenance.append(Provenance(model.source, host_field))
        if index in model.hostless_rules:
            report.record(
                model.source,
                f"spec.rules[{index}]",
                Status.CONVERTED,
                note="a host without paths still gets its own listener, so it answers 404 as before",
                provider=provider,
            )
            build.gateway.provenance.append(Provenance(model.source, f"spec.rules[{index}]"))
    # Said once per Ingress, and only where the provider's own matcher did not decide otherwise
    # (a Kong "/~" path is a regular expression, not a prefix).
    read_as_default = False
    for path in model.paths:
        if path.host not in valid_hosts:
            report.record(
                model.source,
                path.field,
                Status.UNSUPPORTED,
                note="its rule's host is invalid",
                provider=provider,
            )
            continue
        match = build.policy.match_for(model, path)
        if (
            match is not None
            and path.path_type == "ImplementationSpecific"
            and match.type == build.policy.implementation_specific
        ):
            read_as_default = True
        if match is None:
            if not report.has_entry(model.source, path.field):
                report.record(
                    model.source,
                    path.field,
                    Status.UNSUPPORTED,
                    note="the provider cannot express this path",
                    provider=provider,
                )
            continue
        if match.type != "RegularExpression" and (problem := path_problem(match.value)):
            message = f"path {match.value!r} {problem}; Gateway API cannot match it as {match.type}"
            report.flag(
                Level.ERROR,
                "path-not-representable",
                message,
                Status.UNSUPPORTED,
                source=model.source,
                field=path.field,
                provider=provider,
            )
            continue
        backend = _backend_ref(build, model, path.backend, path.field, ports)
        if backend is None:
            continue
        state = build.hosts[path.host]
        key = (match.type, match.value, build.policy.extras_for(model, path))
        existing = state.entries.get(key)
        if existing is not None:
            _report_conflict(build, existing, model, path.field, match, path.host)
            continue
        state.entries[key] = _PathEntry(model, path, match, backend, path.field)
    if read_as_default:
        report.info(
            "path-type-implementation-specific",
            f"pathType ImplementationSpecific is read as {build.policy.implementation_specific}, "
            f"as the {provider} controller does",
            source=model.source,
            provider=provider,
        )
    _collect_default_backend(build, model, ports, valid_hosts)


def _report_conflict(
    build: _GatewayBuild,
    winner: _PathEntry,
    loser: IngressModel,
    field_path: str,
    match: PathMatch,
    host: str | None,
) -> None:
    where = f"host {host}" if host else "the catch-all host"
    same = winner.model is loser
    if same:
        who = "earlier in the same Ingress"
    elif (
        winner.model.creation_timestamp
        and winner.model.creation_timestamp != loser.creation_timestamp
    ):
        who = f"by the older {winner.model.source.display()}"
    else:
        # Same (or no) creationTimestamp: ingress-nginx orders by namespace/name, descending.
        who = (
            f"by {winner.model.source.display()}, which comes first (same creation time: "
            "namespace/name in descending order)"
        )
    message = (
        f"{match.type} {match.value} on {where} is already routed {who} ({winner.field}); "
        f"this path is dropped: {build.policy.duplicate_rule}"
    )
    build.ctx.report.flag(
        Level.WARNING,
        "path-conflict",
        message,
        Status.IGNORED,
        source=loser.source,
        field=field_path,
        provider=build.policy.provider,
    )


def _collect_default_backend(
    build: _GatewayBuild,
    model: IngressModel,
    ports: dict[tuple[str | None, str], dict[str, int]],
    valid_hosts: set[str | None],
) -> None:
    if model.default_backend is None or model.default_backend_field is None:
        return
    field_path = model.default_backend_field
    report = build.ctx.report
    provider = build.policy.provider
    backend = _backend_ref(build, model, model.default_backend, field_path, ports)
    if backend is None:
        return
    root = PathMatch("PathPrefix", "/")
    if not model.rule_hosts:
        # An Ingress with a backend and no rules configures the catch-all server.
        if build.catch_all is not None:
            message = (
                f"the catch-all default backend is already set by the older "
                f"{build.catch_all.model.source.display()}; this one is ignored, as ingress-nginx does"
            )
            report.flag(
                Level.WARNING,
                "default-backend-conflict",
                message,
                Status.IGNORED,
                source=model.source,
                field=field_path,
                provider=provider,
            )
            return
        build.catch_all = _PathEntry(model, None, root, backend, field_path)
        _host_state(build, model, None).namespaces.add(model.namespace)
        return
    used = False
    for host in sorted(valid_hosts, key=lambda h: h or ""):
        state = build.hosts[host]
        if state.owner is not model or ROOT in state.entries:
            continue
        state.entries[ROOT] = _PathEntry(model, None, root, backend, field_path)
        used = True
    if not used:
        message = (
            "every host of this Ingress already has a / route or was first defined by an older "
            "Ingress, so its defaultBackend is never used (as in ingress-nginx)"
        )
        report.flag(
            Level.INFO,
            "default-backend-unused",
            message,
            Status.IGNORED,
            source=model.source,
            field=field_path,
            provider=provider,
        )


def _hosts_by_parent(build: _GatewayBuild) -> dict[str, list[_HostState]]:
    """Hosts by the domain one label up (``a.b.com`` under ``b.com``), for wildcard TLS hosts."""
    index: dict[str, list[_HostState]] = defaultdict(list)
    for host, state in sorted(build.hosts.items(), key=lambda item: item[0] or ""):
        if host is not None and not host.startswith("*."):
            index[host.partition(".")[2]].append(state)
    return index


def _covered_states(
    build: _GatewayBuild, tls_hosts: Sequence[str], hosts_by_parent: dict[str, list[_HostState]]
) -> list[_HostState]:
    """The hosts a TLS entry covers (see :func:`tls_covers`), without scanning every host."""
    found: dict[str | None, _HostState] = {}
    for tls_host in tls_hosts:
        exact = build.hosts.get(tls_host)
        if exact is not None:
            found[exact.host] = exact
        if tls_host.startswith("*."):
            for state in hosts_by_parent.get(tls_host[2:], ()):
                found[state.host] = state
    return [found[host] for host in sorted(found, key=lambda h: h or "")]


DEFAULT_CERTIFICATE = "default-certificate"
"""The Secret an HTTPS listener names, in the Gateway's namespace, for a TLS entry without
``secretName`` when ``--default-certificate`` is not given: the user creates it."""


def _default_certificate(build: _GatewayBuild, model: IngressModel, tls: IngressTLS) -> SecretRef:
    """The certificate of a TLS entry without ``secretName``: the controller served its default
    one (``createServers``: ``getDefaultSSLCertificate``) and kept redirecting HTTP to HTTPS.
    The host keeps its HTTPS listener (never a downgrade to plain HTTP), naming the Secret of
    ``--default-certificate``, or one the user must create."""
    named = build.ctx.options.default_certificate
    if named is not None:
        namespace, _, name = named.partition("/")
        build.ctx.report.info(
            "tls-without-secret",
            f"no secretName: the controller served its default certificate; the HTTPS "
            f"listener uses Secret {named} (--default-certificate)",
            source=model.source,
            field=tls.field,
            provider=build.policy.provider,
        )
        return SecretRef(name, namespace)
    where = build.gateway.namespace or "default"
    message = (
        f"no secretName: the controller served its default certificate; the HTTPS listener "
        f"names Secret {where}/{DEFAULT_CERTIFICATE}, which you must create with the "
        "certificate to serve (or pass --default-certificate NAMESPACE/NAME); HTTP still "
        "redirects to HTTPS, as before"
    )
    build.ctx.report.flag(
        Level.WARNING,
        "tls-without-secret",
        message,
        Status.PARTIAL,
        source=model.source,
        field=tls.field,
        provider=build.policy.provider,
    )
    build.ctx.report.require(
        Need.SECRET,
        f"Secret {where}/{DEFAULT_CERTIFICATE}",
        "create it with the certificate the controller served by default (`kubectl create "
        f"secret tls {DEFAULT_CERTIFICATE} -n {where} --cert=FILE --key=FILE`), or convert "
        "again with --default-certificate NAMESPACE/NAME",
        source=model.source,
    )
    return SecretRef(DEFAULT_CERTIFICATE, build.gateway.namespace)


def _collect_tls(
    build: _GatewayBuild, model: IngressModel, hosts_by_parent: dict[str, list[_HostState]]
) -> None:
    report = build.ctx.report
    provider = build.policy.provider
    rule_hosts = [h for _, h in model.rule_hosts if h is not None]
    for tls in model.tls:
        covered_hosts = tls.hosts or rule_hosts
        if tls.secret_name is None:
            secret = _default_certificate(build, model, tls)
        else:
            secret = SecretRef(tls.secret_name, model.namespace)
        matched = False
        for state in _covered_states(build, covered_hosts, hosts_by_parent):
            matched = True
            if state.certificate is None:
                state.certificate = (secret, model, tls.field)
            elif state.certificate[0] == secret:
                if state.certificate[2] != tls.field or state.certificate[1] is not model:
                    owner = state.certificate[1].source.display()
                    report.record(
                        model.source,
                        tls.field,
                        Status.CONVERTED,
                        note=f"the same certificate as {owner} {state.certificate[2]}",
                        provider=provider,
                    )
                    build.gateway.provenance.append(Provenance(model.source, tls.field))
            elif state.certificate[0] != secret:
                message = (
                    f"host {state.host} already has certificate {state.certificate[0].name} from the "
                    f"older {state.certificate[1].source.display()}; {secret.name} is not used for it"
                )
                report.flag(
                    Level.WARNING,
                    "tls-certificate-conflict",
                    message,
                    Status.PARTIAL,
                    source=model.source,
                    field=tls.field,
                    provider=provider,
                )
        if matched and not report.has_entry(model.source, tls.field):
            # The host's certificate (this one, or the same Secret named again) is in use.
            report.record(model.source, tls.field, Status.CONVERTED, provider=provider)
            build.gateway.provenance.append(Provenance(model.source, tls.field))
        if not matched:
            message = f"no converted rule routes its hosts ({', '.join(covered_hosts) or 'none'})"
            report.info(
                "tls-unused", message, source=model.source, field=tls.field, provider=provider
            )
            report.record(model.source, tls.field, Status.IGNORED, note=message, provider=provider)


# --- building listeners and routes ----------------------------------------------------------


def _rule_order(entry: _PathEntry) -> tuple[int, int, str]:
    # Exact first, then longer prefixes, then regular expressions (longest first, which is
    # the order ingress-nginx gives its regex locations). Gateway API computes precedence
    # itself for Exact/PathPrefix; the order only makes the output stable and readable.
    rank = {"Exact": 0, "PathPrefix": 1, "RegularExpression": 2}[entry.match.type]
    return (rank, -len(entry.match.value), entry.match.value)


def _emit(build: _GatewayBuild, lowered: Lowered) -> None:
    gateway = build.gateway
    ctx = build.ctx
    report = ctx.report
    provider = build.policy.provider
    listener_names = naming.NameAllocator()
    if build.catch_all is not None:
        state = build.hosts.setdefault(None, _HostState(None, build.catch_all.model))
        taken = state.entries.setdefault(ROOT, build.catch_all)
        if taken is not build.catch_all:
            # A rule for / on the catch-all host replaces the default-backend location.
            entry = build.catch_all
            message = (
                f"the catch-all host already routes / ({taken.model.source.display()} "
                f"{taken.field}), which replaces this default backend, as in ingress-nginx"
            )
            report.flag(
                Level.INFO,
                "default-backend-unused",
                message,
                Status.IGNORED,
                source=entry.model.source,
                field=entry.field,
                provider=provider,
            )
    # Hostname-specific listeners first (sorted), the catch-all last.
    states = sorted(build.hosts.values(), key=lambda s: (s.host is None, s.host or ""))
    for state in states:
        slug = naming.host_slug(state.host)
        http = Listener(
            name=listener_names.allocate(f"{slug}-http", f"http/{state.host}"),
            port=80,
            protocol="HTTP",
            hostname=state.host,
        )
        gateway.listeners.append(http)
        https: Listener | None = None
        if state.certificate is not None:
            secret, owner, tls_field = state.certificate
            ref = SecretRef(
                secret.name, secret.namespace if secret.namespace != gateway.namespace else None
            )
            https = Listener(
                name=listener_names.allocate(f"{slug}-https", f"https/{state.host}"),
                port=443,
                protocol="HTTPS",
                hostname=state.host,
                tls_mode="Terminate",
                certificate_refs=[ref],
                provenance=[Provenance(owner.source, tls_field)],
            )
            gateway.listeners.append(https)
            if (
                ref.namespace is not None
                and secret.namespace is not None
                and gateway.namespace is not None
            ):
                grant = ReferenceGrant(
                    namespace=secret.namespace,
                    from_group=GATEWAY_GROUP,
                    from_kind="Gateway",
                    from_namespace=gateway.namespace,
                    to_group="",
                    to_kind="Secret",
                    to_name=secret.name,
                )
                ctx.ir.add_grant(grant, Provenance(owner.source, tls_field))
            report.record(owner.source, tls_field, Status.CONVERTED, provider=provider)
        _emit_routes(build, state, http, https, lowered)
    # More than 64 listeners is handled for every provider at once (ingress2gateway/converting/listener_limit.py).
    if not gateway.listeners:
        # Nothing of this class can be routed (every rule invalid, or no rules at all): a
        # Gateway without listeners would be rejected, so there is none.
        report.info(
            "gateway-not-needed",
            f"no listener is needed for ingress class {gateway.gateway_class!r}, so no Gateway "
            f"{gateway.name} is generated",
            provider=provider,
        )
        return
    lowered.gateways.append(gateway)


def _emit_routes(
    build: _GatewayBuild,
    state: _HostState,
    http: Listener,
    https: Listener | None,
    lowered: Lowered,
) -> None:
    gateway = build.gateway
    ctx = build.ctx
    by_namespace: dict[str | None, list[_PathEntry]] = defaultdict(list)
    for entry in state.entries.values():
        by_namespace[entry.model.namespace].append(entry)
    for namespace in state.namespaces:
        by_namespace.setdefault(namespace, [])
    for namespace in sorted(by_namespace, key=lambda n: n or ""):
        entries = sorted(by_namespace[namespace], key=_rule_order)
        if not entries:
            continue
        listeners = [http] if https is None else [http, https]
        for listener in listeners:
            if namespace != gateway.namespace:
                listener.allowed_namespaces.add(namespace)
        parents = [gateway.parent_ref(namespace, listener.name) for listener in listeners]
        owner = min((e.model for e in entries), key=precedence_key)
        chunks = [
            entries[i : i + MAX_RULES_PER_ROUTE]
            for i in range(0, len(entries), MAX_RULES_PER_ROUTE)
        ]
        for number, chunk in enumerate(chunks, start=1):
            wanted = f"{owner.name}-{naming.host_slug(state.host)}"
            if number > 1:
                wanted = f"{wanted}-{number}"
            identity = f"httproute/{gateway.namespace}/{gateway.name}/{state.host}/{number}"
            route = HTTPRoute(
                name=ctx.allocator("HTTPRoute", namespace).allocate(wanted, identity),
                namespace=namespace,
                hostnames=[state.host] if state.host else [],
                parent_refs=list(parents),
            )
            for entry in chunk:
                rule = Rule(
                    matches=[Match(path=entry.match)],
                    backend_refs=[entry.backend],
                    provenance=[Provenance(entry.model.source, entry.field)],
                    sources=[entry.model.source],
                )
                route.rules.append(rule)
                lowered.rules_by_source.setdefault(entry.model.source, []).append((route, rule))
                ctx.report.record(
                    entry.model.source,
                    entry.field,
                    Status.CONVERTED,
                    provider=build.policy.provider,
                )
                if entry.path is not None:
                    # The host is the route's too (the Gateway has it from _collect).
                    host_field = f"spec.rules[{entry.path.rule_index}].host"
                    made_from(route, Provenance(entry.model.source, host_field))
            lowered.routes.append(route)
