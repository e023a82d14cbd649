"""IngressRoute (``traefik.io/v1alpha1``; ``traefik.containo.us`` read the same way).

Each route's ``match`` is parsed (see :mod:`.rules`) and spread into alternatives; each
alternative becomes one HTTPRoute rule (so that middlewares that depend on the matched path
stay exact), grouped into one HTTPRoute per IngressRoute and host. ``entryPoints`` pick the
listener ports (``entry-points`` option); a ``tls`` section makes the routers TLS-only, as in
Traefik: the routes attach to HTTPS listeners with ``tls.secretName`` (or the default
TLSStore's certificate), never to the HTTP ones. ``tls.options`` names a TLSOption: its client
authentication is an access control (a client-certificate extension), its versions and
ciphers a client TLS settings extension. ``tls.certResolver`` (ACME) is reported: use
cert-manager.

A route's ``priority`` (default: the length of its rule) decides which router Traefik tries
first; Gateway API decides by specificity instead. Where they disagree on a request, the
difference is reported (see :mod:`.priority`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting import naming
from ingress2gateway.converting.lowering import tls_covers
from ingress2gateway.ir import (
    ClientCertAuth,
    ClientTLSSettings,
    Extension,
    Gateway,
    HTTPRoute,
    IPAccess,
    Listener,
    Match,
    Provenance,
    RefusedControl,
    Rule,
    SecretRef,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Need, Status

from . import matching, middlewares, rules, services
from .common import CLASS_ANNOTATION, LEGACY_GROUP, TraefikRun, as_dict, as_list, parse_int
from .gateway import gateway_for, grant_secret, listener
from .priority import Router

MAX_RULES = 16
_TLS_VERSIONS = {
    "VersionTLS10": "1.0",
    "VersionTLS11": "1.1",
    "VersionTLS12": "1.2",
    "VersionTLS13": "1.3",
}


def served(run: TraefikRun, obj: KubeObject) -> bool:
    """Traefik's CRD provider serves objects without class, or of its ``ingressClass``."""
    wanted = set(run.ctx.options.ingress_classes or ()) or {"traefik"}
    spec_class = obj.spec.get("ingressClassName")
    annotated = obj.annotations.get(CLASS_ANNOTATION)
    name = spec_class if isinstance(spec_class, str) and spec_class else annotated
    if not name or name in wanted:
        return True
    message = f"skipped: class {name!r} is not Traefik's ({', '.join(sorted(wanted))})"
    run.report.info(
        "ingress-class-not-selected", message, source=obj.source(), provider=run.provider
    )
    run.record(obj.source(), "spec", Status.IGNORED, message)
    run.ctx.claim(obj)
    return False


@dataclass
class _Tls:
    certificate: SecretRef | None = None
    extensions: list[Extension] = field(default_factory=list)
    field: str = "spec.tls"


def _entry_ports(run: TraefikRun, obj: KubeObject, tls: bool) -> list[int]:
    names = [n for n in as_list(obj.spec.get("entryPoints")) if isinstance(n, str)]
    source = obj.source()
    if not names:
        # Traefik attaches routers without entryPoints to every default entry point.
        ports = sorted(set(run.entry_points.values()))
    else:
        ports = []
        for name in names:
            port = run.entry_points.get(name)
            if port is None:
                port = 443 if tls else 80
                run.differs(
                    source,
                    "spec.entryPoints",
                    f"entry point {name!r} has no port in the entry-points option "
                    f"({', '.join(f'{k}={v}' for k, v in sorted(run.entry_points.items()))}); "
                    f"its routers are put on port {port} (give its port with "
                    "--provider-option traefik.entry-points=NAME=PORT,...)",
                )
            ports.append(port)
        if ports:
            run.record(source, "spec.entryPoints", Status.CONVERTED)
    if tls and any(p != 443 for p in ports):
        run.differs(
            source,
            "spec.entryPoints",
            f"a TLS router on entry points of ports {', '.join(map(str, sorted(set(ports))))}: "
            "Traefik served TLS there; it is converted on an HTTPS listener of port 443",
        )
    if tls:
        return [443] if ports else []
    # A router without tls on the websecure entry point (443) is served with the entry
    # point's TLS (the Helm chart's default): see _listeners.
    return sorted(ports)


def _schemes(run: TraefikRun, obj: KubeObject, tls: bool) -> frozenset[str]:
    """The schemes the routers serve: https only with ``tls``; otherwise http on plain entry
    points and https on websecure (its TLS)."""
    if tls:
        return frozenset({"https"})
    names = [n for n in as_list(obj.spec.get("entryPoints")) if isinstance(n, str)]
    ports = {run.entry_points.get(n, 80) for n in names} or set(run.entry_points.values())
    return frozenset(
        ({"http"} if any(p != 443 for p in ports) else set())
        | ({"https"} if 443 in ports else set())
    )


def _tls(run: TraefikRun, obj: KubeObject, hosts: list[str]) -> _Tls:
    spec = as_dict(obj.spec.get("tls"))
    source = obj.source()
    out = _Tls()
    secret = spec.get("secretName")
    if isinstance(secret, str) and secret:
        out.certificate = SecretRef(secret, obj.namespace)
        run.record(source, "spec.tls.secretName", Status.CONVERTED)
    else:
        store = run.find("TLSStore", obj.namespace, "default")
        default = as_dict(as_dict(store.spec.get("defaultCertificate")) if store else {})
        name = default.get("secretName")
        if store is not None and isinstance(name, str) and name:
            run.use(store)
            out.certificate = SecretRef(name, store.namespace)
            run.record(store.source(), "spec.defaultCertificate", Status.CONVERTED)
        else:
            where = run.ctx.options.default_certificate or "traefik-default-certificate"
            namespace, _, name = where.rpartition("/")
            out.certificate = SecretRef(name, namespace or None)
            run.report.require(
                Need.SECRET,
                f"Secret {where}",
                "Traefik served this TLS router with its default (or an ACME) certificate: "
                "create this Secret with the certificate to serve, or pass --default-certificate",
                source=source,
            )
    if "certResolver" in spec:
        run.unsupported(
            source,
            "spec.tls.certResolver",
            "ACME certificates from a Traefik resolver are not carried: issue them with "
            "cert-manager into the listener's Secret",
        )
    if "domains" in spec:
        run.unsupported(source, "spec.tls.domains", "ACME domains of a resolver are not carried")
    if "store" in spec:
        run.record(source, "spec.tls.store", Status.CONVERTED, "its default certificate is used")
    options = as_dict(spec.get("options"))
    if options:
        name = options.get("name")
        ns = (
            options.get("namespace") if isinstance(options.get("namespace"), str) else obj.namespace
        )
        found = run.find("TLSOption", ns, name) if isinstance(name, str) else None
        if found is None:
            run.missing(
                source,
                "spec.tls.options",
                f"TLSOption {ns}/{name} is not in the input: Traefik refuses the TLS router; "
                "the routes are closed",
            )
            out.extensions.append(
                RefusedControl(
                    what=f"the missing TLSOption {ns}/{name}",
                    provenance=[Provenance(source, "spec.tls.options")],
                )
            )
        else:
            out.extensions.extend(tls_option(run, found, Provenance(source, "spec.tls.options")))
    return out


def tls_option(run: TraefikRun, obj: KubeObject, ref: Provenance) -> list[Extension]:
    """A TLSOption: client authentication (access control) and client TLS settings."""
    run.use(obj)
    source = obj.source()
    out: list[Extension] = []
    auth = as_dict(obj.spec.get("clientAuth"))
    kind = auth.get("clientAuthType", "NoClientCert")
    secrets = [s for s in as_list(auth.get("secretNames")) if isinstance(s, str)]
    if kind in ("RequireAndVerifyClientCert", "VerifyClientCertIfGiven") and secrets:
        out.append(
            ClientCertAuth(
                ca_secret=secrets[0],
                ca_namespace=obj.namespace,
                verify="on" if kind == "RequireAndVerifyClientCert" else "optional",
                provenance=[ref, Provenance(source, "spec.clientAuth")],
            )
        )
    elif kind in (
        "RequireAnyClientCert",
        "RequestClientCert",
        "RequireAndVerifyClientCert",
        "VerifyClientCertIfGiven",
    ):
        out.append(
            RefusedControl(
                what=f"client certificates ({kind}) without CA secrets",
                provenance=[ref, Provenance(source, "spec.clientAuth")],
            )
        )
    elif auth:
        run.record(source, "spec.clientAuth", Status.CONVERTED, "no client certificate asked for")
    low = _TLS_VERSIONS.get(str(obj.spec.get("minVersion")))
    high = _TLS_VERSIONS.get(str(obj.spec.get("maxVersion")))
    ciphers = [c for c in as_list(obj.spec.get("cipherSuites")) if isinstance(c, str)]
    settings = [k for k in ("minVersion", "maxVersion", "cipherSuites") if k in obj.spec]
    if settings:
        out.append(
            ClientTLSSettings(
                min_version=low,
                max_version=high,
                ciphers=ciphers,
                provenance=[Provenance(source, f"spec.{k}") for k in settings],
            )
        )
    return out


def convert(run: TraefikRun) -> None:
    for obj in run.of_kind("IngressRoute"):
        if not served(run, obj):
            continue
        run.use(obj)
        if obj.group == LEGACY_GROUP:
            run.legacy(obj)
        _convert_object(run, obj)


@dataclass
class _Piece:
    """One alternative of one route, ready to become a rule."""

    index: int
    match: Match
    extensions: list[Extension]
    filters_from: list[KubeObject]
    backends: services.Backends
    priority: int


def _convert_object(run: TraefikRun, obj: KubeObject) -> None:
    source = obj.source()
    routes = as_list(obj.spec.get("routes"))
    if not routes:
        run.invalid(source, "spec.routes", "an IngressRoute needs routes")
    for key in ("parentRefs", "ingressClassName"):
        if key in obj.spec:
            if key == "parentRefs":
                run.unsupported(
                    source, "spec.parentRefs", "multi-layer routing (parentRefs) is not carried"
                )
            else:
                run.record(source, "spec.ingressClassName", Status.CONVERTED)
    tls_wanted = "tls" in obj.spec
    schemes = _schemes(run, obj, tls_wanted)
    by_hosts: dict[tuple[str, ...], list[_Piece]] = defaultdict(list)
    all_hosts: set[str] = set()
    for index, route in enumerate(routes):
        spec = as_dict(route)
        field_path = f"spec.routes[{index}]"
        text = spec.get("match")
        if not isinstance(text, str):
            run.invalid(source, f"{field_path}.match", "a route needs a match rule")
            continue
        try:
            alternatives = rules.disjunctive_form(rules.parse(text))
        except rules.RuleError as exc:
            run.invalid(
                source,
                f"{field_path}.match",
                f"rule {text[:200]!r}: {exc}; Traefik refuses the router",
            )
            continue
        priority = parse_int(spec.get("priority")) or len(text)
        chain: list[KubeObject] | None = []
        for m_index, ref in enumerate(as_list(spec.get("middlewares"))):
            item = as_dict(ref)
            name = item.get("name")
            ns = item.get("namespace") if isinstance(item.get("namespace"), str) else obj.namespace
            at = Provenance(source, f"{field_path}.middlewares[{m_index}]")
            found = middlewares.resolve(run, ns, name, at) if isinstance(name, str) else None
            expanded = middlewares.expand(run, found, at) if found is not None else None
            if expanded is None or chain is None:
                chain = None
                break
            chain.extend(expanded)
        if chain is None:
            run.record(
                source,
                field_path,
                Status.UNSUPPORTED,
                "Traefik refuses this router (see its middlewares)",
            )
            continue
        if "middlewares" in spec:
            run.record(source, f"{field_path}.middlewares", Status.CONVERTED)
        found_backends = services.backends(
            run,
            obj.namespace,
            as_list(spec.get("services")),
            Provenance(source, f"{field_path}.services"),
        )
        if found_backends is None:
            run.record(
                source,
                field_path,
                Status.UNSUPPORTED,
                "Traefik refuses this router (see its services)",
            )
            continue
        if not found_backends.refs:
            run.invalid(
                source, f"{field_path}.services", "a route without services: Traefik refuses it"
            )
            continue
        converted: list[tuple[list[str] | None, Match]] = []
        for literals in alternatives:
            alt = matching.convert(literals)
            if alt.impossible:
                continue
            if alt.problem is not None:
                run.rule_unsupported(
                    source,
                    f"{field_path}.match",
                    f"{alt.problem}: requests matching {' && '.join(_text(lit) for lit in literals)[:300]} "
                    "are not routed by the converted rule",
                )
                continue
            for note in alt.notes:
                run.differs(source, f"{field_path}.match", note)
            extensions: list[Extension] = []
            if alt.allow or alt.deny:
                extensions.append(
                    IPAccess(
                        allow=list(alt.allow),
                        deny=list(alt.deny),
                        provenance=[Provenance(source, f"{field_path}.match")],
                    )
                )
            host_key = tuple(alt.hosts) if alt.hosts is not None else ()
            all_hosts.update(host_key)
            by_hosts[host_key].append(
                _Piece(index, alt.match, extensions, chain, found_backends, priority)
            )
            converted.append((alt.hosts, alt.match))
        run.routers.append(
            Router(source, f"{field_path}.match", text, priority, converted, schemes)
        )
        for key in ("kind", "priority", "syntax", "observability"):
            if key in spec:
                if key == "observability":
                    run.record(
                        source,
                        f"{field_path}.{key}",
                        Status.IGNORED,
                        "observability is the implementation's",
                    )
                elif key == "syntax" and spec[key] == "v2":
                    run.differs(
                        source,
                        f"{field_path}.syntax",
                        "rule syntax v2 is read; v3 matchers behave the same for what is converted",
                    )
                else:
                    run.record(source, f"{field_path}.{key}", Status.CONVERTED)
        run.record(
            source, f"{field_path}.match", Status.CONVERTED if converted else Status.UNSUPPORTED
        )
    if not by_hosts:
        _account_tls(run, obj, converted=False)
        return
    gateway = gateway_for(run, obj.namespace)
    tls = _tls(run, obj, sorted(all_hosts)) if tls_wanted else None
    ports = _entry_ports(run, obj, tls is not None)
    for hosts in sorted(by_hosts):
        pieces = by_hosts[hosts]
        listeners = _listeners(run, gateway, obj, hosts, ports, tls)
        if not listeners:
            continue
        _emit(run, gateway, obj, hosts, pieces, listeners, tls, ports)
    _account_tls(run, obj, converted=tls is not None)


def _text(literal: rules.Literal) -> str:
    return ("!" if literal.negated else "") + literal.matcher.text()


def _account_tls(run: TraefikRun, obj: KubeObject, converted: bool) -> None:
    if "tls" not in obj.spec:
        return
    source = obj.source()
    if not converted:
        run.record(source, "spec.tls", Status.IGNORED, "no route of the IngressRoute was converted")
        return
    for key in as_dict(obj.spec["tls"]):
        if not run.report.has_entry(source, f"spec.tls.{key}"):
            run.record(source, f"spec.tls.{key}", Status.CONVERTED)
    if not as_dict(obj.spec["tls"]):
        run.record(source, "spec.tls", Status.CONVERTED, "TLS-only routers")


def _listeners(
    run: TraefikRun,
    gateway: Gateway,
    obj: KubeObject,
    hosts: tuple[str, ...],
    ports: list[int],
    tls: _Tls | None,
) -> list[Listener]:
    source = obj.source()
    made: list[Listener] = []
    for host in hosts or (None,):
        for port in ports:
            if tls is None and port == 443:
                secured = _entry_point_tls(run, gateway, obj, host)
                if secured is not None:
                    made.append(secured)
                continue
            if tls is None:
                made.append(
                    listener(gateway, "HTTP", port, host, Provenance(source, "spec.routes"))
                )
                continue
            assert tls.certificate is not None
            found = listener(
                gateway, "HTTPS", port, host, Provenance(source, "spec.tls"), tls.certificate
            )
            grant_secret(run, gateway, tls.certificate, Provenance(source, "spec.tls"))
            named = found.certificate_refs[0].name if found.certificate_refs else None
            if named != tls.certificate.name:
                run.differs(
                    source,
                    "spec.tls",
                    f"host {host or '(any)'} already has certificate {named} on listener "
                    f"{found.name}; {tls.certificate.name} is not used for it",
                )
            made.append(found)
    for item in made:
        if obj.namespace != gateway.namespace:
            item.allowed_namespaces.add(obj.namespace)
    return made


def _ingress_certificate(run: TraefikRun, host: str | None) -> tuple[SecretRef, Provenance] | None:
    """A certificate an Ingress's ``spec.tls`` names for ``host`` (its hosts, or its rules'
    hosts when it names none)."""
    if host is None:
        return None
    for obj in run.ctx.objects:
        if obj.kind != "Ingress" or id(obj) not in run.ctx.claimed:
            continue
        rules = [as_dict(r).get("host") for r in as_list(obj.spec.get("rules"))]
        for index, entry in enumerate(as_list(obj.spec.get("tls"))):
            entry = as_dict(entry)
            secret = entry.get("secretName")
            hosts = [h for h in as_list(entry.get("hosts")) if isinstance(h, str)] or [
                h for h in rules if isinstance(h, str)
            ]
            if (
                isinstance(secret, str)
                and secret
                and any(tls_covers(h.lower(), host) for h in hosts)
            ):
                return SecretRef(secret, obj.namespace), Provenance(
                    obj.source(), f"spec.tls[{index}]"
                )
    return None


def _entry_point_tls(
    run: TraefikRun, gateway: Gateway, obj: KubeObject, host: str | None
) -> Listener | None:
    """A router without tls on the websecure entry point: Traefik served it over TLS with the
    certificate its store picked for the host (the entry point's TLS, the Helm chart's
    default). The HTTPS listener of the host (made for another router), or one with the
    default TLSStore's certificate; without either, reported."""
    for found in gateway.listeners:
        if found.protocol == "HTTPS" and found.port == 443 and found.hostname == host:
            return found
    source = obj.source()
    shared = _ingress_certificate(run, host)
    if shared is not None:
        # Traefik's certificate store holds the Ingresses' certificates too, picked by SNI.
        secret, where = shared
        grant_secret(run, gateway, secret, where)
        return listener(gateway, "HTTPS", 443, host, where, secret)
    store = run.find("TLSStore", obj.namespace, "default")
    name = as_dict(store.spec.get("defaultCertificate")).get("secretName") if store else None
    if store is not None and isinstance(name, str) and name:
        run.use(store)
        cert = SecretRef(name, store.namespace)
        grant_secret(run, gateway, cert, Provenance(store.source(), "spec.defaultCertificate"))
        return listener(gateway, "HTTPS", 443, host, Provenance(source, "spec.entryPoints"), cert)
    say = run.differs if "entryPoints" in obj.spec else run.fyi
    say(
        source,
        "spec.entryPoints",
        f"on the websecure entry point Traefik served {host or 'any host'} over TLS with its "
        "default certificate; no certificate for it is in the input, so there is no HTTPS "
        "listener for it",
    )
    return None


def _emit(
    run: TraefikRun,
    gateway: Gateway,
    obj: KubeObject,
    hosts: tuple[str, ...],
    pieces: list[_Piece],
    listeners: list[Listener],
    tls: _Tls | None,
    ports: list[int],
) -> None:
    source = obj.source()
    parents = [gateway.parent_ref(obj.namespace, item.name) for item in listeners]
    # Higher Traefik priority first: only for readability, Gateway API orders by specificity.
    ordered = sorted(pieces, key=lambda p: (-p.priority, p.index))
    chunks = [ordered[i : i + MAX_RULES] for i in range(0, len(ordered), MAX_RULES)]
    for number, chunk in enumerate(chunks, start=1):
        slug = naming.host_slug(hosts[0]) if len(hosts) == 1 else "all-hosts"
        wanted = f"{obj.name}-{slug}" + (f"-{number}" if number > 1 else "")
        route = HTTPRoute(
            name=run.ctx.allocator("HTTPRoute", obj.namespace).allocate(
                wanted, f"traefik/ingressroute/{obj.namespace}/{obj.name}/{hosts}/{number}"
            ),
            namespace=obj.namespace,
            hostnames=list(hosts),
            parent_refs=list(parents),
            provenance=[Provenance(source, "spec.routes")],
        )
        for piece in chunk:
            field_path = f"spec.routes[{piece.index}]"
            rule = Rule(
                matches=[piece.match],
                backend_refs=[_copy(ref) for ref in piece.backends.refs],
                provenance=[Provenance(source, f"{field_path}.match")],
                sources=[source],
            )
            rule.filters.extend(piece.backends.filters)
            rule.extensions.extend(piece.backends.extensions)
            rule.extensions.extend(piece.extensions)
            if tls is not None:
                rule.extensions.extend(tls.extensions)
            for mw in piece.filters_from:
                effects = middlewares.effects(run, mw, piece.match, rule.filters)
                rule.filters.extend(effects.filters)
                rule.extensions.extend(effects.extensions)
            route.rules.append(rule)
        if not hosts and tls is None and 443 in ports:
            run.https_hostless.add(id(route))
        run.routes.add(id(route))
        run.ctx.ir.routes.append(route)


def _copy(ref: Any) -> Any:
    from dataclasses import replace

    return replace(ref, provenance=list(ref.provenance))
