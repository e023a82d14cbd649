"""The tools beside the controller: cert-manager and external-dns read annotations on an
Ingress (external-dns also on Istio's Gateways and VirtualServices), and read them on Gateway
API objects too, but not on the same objects. This stage
moves their annotations to where each tool reads them for Gateway API, and says what the
cluster needs for it.

cert-manager (its ``certificate-shim``, pkg/controller/certificate-shim/sync.go): on a
Gateway, ``cert-manager.io/issuer`` or ``cert-manager.io/cluster-issuer`` (with
``issuer-kind``/``issuer-group``) makes one Certificate per Secret that an HTTPS or TLS
listener with a hostname references, in mode Terminate and **in the Gateway's namespace**
(cross-namespace references are skipped); the Certificate annotations (``common-name``,
``duration``, ``private-key-*``, …) apply to every Certificate of the Gateway; listeners named
in ``cert-manager.io/ignore-tls-listeners`` are left alone. ``kubernetes.io/tls-acme`` (and the
``--auto-certificate-annotations`` flag) apply to Ingresses only; so do the
``acme.cert-manager.io/http01-*`` solver settings: with Gateway API, the ACME issuer's HTTP-01
solver must be a ``gatewayHTTPRoute`` one. Reading the Gateway also needs Gateway API support
turned on in cert-manager.

external-dns (source/gateway.go, docs/sources/gateway-api.md): ``target`` is read on the
Gateway (and on a ListenerSet); ``hostname``, ``ttl``, ``controller`` and the
provider-specific keys on the routes; the routes are read only with ``--source=gateway-httproute``
(``-grpcroute``, ``-tlsroute``, …). ``ingress-hostname-source`` is ``gateway-hostname-source``
on routes. Both prefixes external-dns has used (``external-dns.alpha.kubernetes.io/`` and,
since v0.22, ``external-dns.kubernetes.io/``) are kept as written: they are what the user's
external-dns is set up to read.

A Gateway is shared by the Ingresses of a class, so its annotations are too: where they
disagree, the first Ingress the Gateway was made from (the oldest) wins, and the others are
told. Hosts whose Ingress asked cert-manager for nothing are listed in
``ignore-tls-listeners``: cert-manager must not start issuing a certificate the user was
managing by other means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ingress2gateway.converting.ingress import is_ingress
from ingress2gateway.ir import Gateway, Listener, Provenance, Route, made_from
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Need, Recorder, Status

CERT_MANAGER = "cert-manager.io/"
ACME = "acme.cert-manager.io/"
TLS_ACME = "kubernetes.io/tls-acme"
EXTERNAL_DNS = ("external-dns.alpha.kubernetes.io/", "external-dns.kubernetes.io/")

ISSUERS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
IGNORE_TLS_LISTENERS = "cert-manager.io/ignore-tls-listeners"
# What cert-manager's Gateway shim reads besides the issuer (translateAnnotations in
# pkg/controller/certificate-shim/helper.go): each applies to every Certificate of the Gateway.
_CERTIFICATE_KEYS = frozenset(
    CERT_MANAGER + name
    for name in (
        "issuer-kind",
        "issuer-group",
        "common-name",
        "alt-names",
        "ip-sans",
        "uri-sans",
        "email-sans",
        "subject-organizations",
        "subject-organizationalunits",
        "subject-countries",
        "subject-provinces",
        "subject-localities",
        "subject-streetaddresses",
        "subject-postalcodes",
        "subject-serialnumber",
        "duration",
        "renew-before",
        "renew-before-percentage",
        "usages",
        "revision-history-limit",
        "private-key-algorithm",
        "private-key-encoding",
        "private-key-size",
        "private-key-rotation-policy",
        "secret-template",
    )
)
# external-dns keys read on the Gateway; every other carried key is read on routes.
_DNS_GATEWAY_KEYS = frozenset({"target"})
_DNS_ROUTE_KEYS = frozenset(
    {"hostname", "ttl", "controller", "set-identifier", "alias", "record-type", "azure-tags"}
)
_DNS_ROUTE_PREFIXES = ("aws-", "cloudflare-", "coredns-", "scw-", "webhook-")
_DNS_RENAMED = {"ingress-hostname-source": "gateway-hostname-source"}
_DNS_NOT_READ = {
    "internal-hostname": "external-dns reads it on Services only, not on Gateway API objects",
    "access": "external-dns reads it on NodePort Services only",
    "endpoints-type": "external-dns reads it on headless Services only",
    "ingress": "external-dns reads it on Istio Gateways only (the Ingress whose address to "
    "publish); a Gateway API Gateway publishes its own addresses, or its target",
}

# A qualified name (metadata.annotations keys): an optional DNS-subdomain prefix and a name.
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def is_companion(key: str) -> bool:
    """Whether ``key`` belongs to cert-manager or external-dns (handled here, not by providers)."""
    return key.startswith((CERT_MANAGER, ACME, *EXTERNAL_DNS)) or key == TLS_ACME


def _field(key: str) -> str:
    return f"metadata.annotations[{key}]"


@dataclass
class _Placed:
    """The annotations of one output object, with the input fields each came from."""

    values: dict[str, str] = field(default_factory=dict)
    winners: dict[str, SourceRef] = field(default_factory=dict)


def carry_companions(ctx: ProviderContext) -> None:
    """Move the cert-manager and external-dns annotations of the Ingresses converted into
    ``ctx.ir`` to the Gateways and routes made from them, with their ledger entries."""
    wanted = _companion_annotations(ctx)
    if not wanted:
        return
    report, ir = ctx.report, ctx.ir
    carried: set[tuple[SourceRef, str]] = set()
    for gateway in ir.gateways:
        _carry_to_gateway(gateway, wanted, report, carried)
    for route in ir.routes:
        _carry_to_route(route, wanted, report, carried)
    _account_the_rest(wanted, report, carried)


def _companion_annotations(ctx: ProviderContext) -> dict[SourceRef, dict[str, str]]:
    """Per converted input object, the annotations to carry: an Ingress's cert-manager and
    external-dns ones; another kind's external-dns ones only (external-dns reads them on
    Istio's Gateways and VirtualServices too; cert-manager reads none there, so carrying its
    annotations would start something that never ran)."""
    found: dict[SourceRef, dict[str, str]] = {}
    for obj in ctx.objects:
        if id(obj) not in ctx.claimed:
            continue
        annotations = obj.annotations
        if not annotations:
            continue
        ingress = is_ingress(obj)
        mine = {
            key: value
            for key, value in annotations.items()
            if (is_companion(key) if ingress else _dns_name(key) is not None)
        }
        if mine:
            found[obj.source()] = mine
    return found


def _sources(provenance: Iterable[Provenance]) -> list[SourceRef]:
    """The input objects of ``provenance``, each once, in the order first met (oldest first:
    providers lower Ingresses in the order the controller ranks them)."""
    return list(dict.fromkeys(item.source for item in provenance))


def _value_problem(key: str, value: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if not prefix or not _NAME.fullmatch(name):
        return f"{key!r} is not a valid annotation key"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value) or _BIDI.search(value):
        return f"the value of {key} holds control or bidirectional characters"
    return None


# --- Gateways: cert-manager, and external-dns's target -----------------------------------


def _gateway_key(key: str) -> bool:
    if key in ISSUERS or key in _CERTIFICATE_KEYS:
        return True
    dns = _dns_name(key)
    return dns is not None and dns in _DNS_GATEWAY_KEYS


def _carry_to_gateway(
    gateway: Gateway,
    wanted: Mapping[SourceRef, Mapping[str, str]],
    report: Recorder,
    carried: set[tuple[SourceRef, str]],
) -> None:
    served = _sources(_gateway_provenance(gateway))
    sources = [s for s in served if s in wanted]
    if not sources:
        return
    placed = _Placed()
    managed = [s for s in sources if any(k in wanted[s] for k in ISSUERS)]
    # cert-manager refuses an object with both issuer annotations: the Gateway takes the kind
    # of issuer of the first Ingress that names one.
    issuer_key = _issuer_key(wanted[managed[0]]) if managed else None
    for source in sources:
        for key, value in sorted(wanted[source].items()):
            if not _gateway_key(key):
                continue
            if key in _CERTIFICATE_KEYS and source not in managed:
                continue  # a Certificate setting without an issuer: cert-manager ignores it
            if key in ISSUERS and key != issuer_key:
                _refuse_other_issuer(gateway, key, value, source, issuer_key, report, carried)
                continue
            _place(placed, gateway.ref.display(), key, value, source, report, carried)
            made_from(gateway, Provenance(source, _field(key)))
            if _dns_name(key) is not None:
                _require_dns_source("HTTPRoute", source, report)
    _report_disagreements(gateway, served, managed, wanted, placed, report)
    if managed and any(k in placed.values for k in ISSUERS):
        _scope_cert_manager(gateway, managed, placed, report)
    gateway.annotations.update(placed.values)


def _issuer_key(annotations: Mapping[str, str]) -> str:
    return ISSUERS[0] if ISSUERS[0] in annotations else ISSUERS[1]


def _refuse_other_issuer(
    gateway: Gateway,
    key: str,
    value: str,
    source: SourceRef,
    issuer_key: str | None,
    report: Recorder,
    carried: set[tuple[SourceRef, str]],
) -> None:
    carried.add((source, key))
    message = (
        f"{gateway.ref.display()} takes its issuer from {issuer_key}, and cert-manager refuses "
        f"an object with both {ISSUERS[0]} and {ISSUERS[1]}: {key}: {value!r} is not carried, "
        "so this Ingress's certificates come from the other issuer (--gateway-per-namespace "
        "gives each namespace its own Gateway)"
    )
    report.warning("companion-annotation-conflict", message, source=source, field=_field(key))
    report.record(source, _field(key), Status.UNSUPPORTED, note=message)


def _gateway_provenance(gateway: Gateway) -> Iterable[Provenance]:
    yield from gateway.provenance
    for listener in gateway.listeners:
        yield from listener.provenance


def _place(
    placed: _Placed,
    where: str,
    key: str,
    value: str,
    source: SourceRef,
    report: Recorder,
    carried: set[tuple[SourceRef, str]],
    *,
    input_key: str | None = None,
) -> None:
    """``key: value`` of ``source`` (its annotation ``input_key``, when another name) on the
    object ``where``; the first source's value stays."""
    input_key = input_key or key
    field_ = _field(input_key)
    carried.add((source, input_key))
    problem = _value_problem(key, value)
    if problem is not None:
        message = f"{problem}: not carried to {where}"
        report.warning("companion-annotation-invalid", message, source=source, field=field_)
        report.record(source, field_, Status.UNSUPPORTED, note=message)
        return
    kept = placed.values.setdefault(key, value)
    winner = placed.winners.setdefault(key, source)
    renamed = f"carried as {key}, the name read there" if input_key != key else None
    if kept == value:
        report.record(source, field_, Status.CONVERTED, note=renamed)
        return
    message = (
        f"{where} serves Ingresses that disagree on {key}: it carries {kept!r} from "
        f"{winner.display()}, not {value!r} (the annotation applies to the whole object; "
        "--gateway-per-namespace gives each namespace its own Gateway)"
    )
    report.warning("companion-annotation-conflict", message, source=source, field=field_)
    report.record(source, field_, Status.PARTIAL, note=message)


def _report_disagreements(
    gateway: Gateway,
    served: Sequence[SourceRef],
    managed: Sequence[SourceRef],
    wanted: Mapping[SourceRef, Mapping[str, str]],
    placed: _Placed,
    report: Recorder,
) -> None:
    """An annotation some Ingresses of the Gateway set and others do not now applies to the
    others' hosts too: say so to each of them (a different value is reported by :func:`_place`).
    Not the issuer: the hosts of Ingresses without one are in ``ignore-tls-listeners``."""
    for key, value in sorted(placed.values.items()):
        if key in ISSUERS:
            continue
        concerned = managed if key in _CERTIFICATE_KEYS else served
        for source in concerned:
            if key in wanted.get(source, {}):
                continue
            report.warning(
                "companion-annotation-conflict",
                f"{gateway.ref.display()} carries {key}: {value!r} from "
                f"{placed.winners[key].display()}, which this Ingress does not set: it now "
                "applies to this Ingress's hosts too",
                source=source,
            )


def _scope_cert_manager(
    gateway: Gateway, managed: Sequence[SourceRef], placed: _Placed, report: Recorder
) -> None:
    """Keep cert-manager to the hosts whose Ingress asked for it, tell where it will not
    issue, and say what it needs."""
    asked = set(managed)
    ignored: list[str] = []
    for listener in gateway.listeners:
        if listener.protocol not in ("HTTPS", "TLS") or listener.tls_mode == "Passthrough":
            continue
        if not _certificate_sources(listener) & asked:
            ignored.append(listener.name)
            continue
        _check_listener(gateway, listener, report)
    if ignored:
        placed.values[IGNORE_TLS_LISTENERS] = ",".join(ignored)
    issuer_key = next(key for key in ISSUERS if key in placed.values)
    name = placed.values[issuer_key]
    if issuer_key.endswith("cluster-issuer"):
        subject = f"ClusterIssuer {name}"
        where = ""
    else:
        kind = placed.values.get(CERT_MANAGER + "issuer-kind", "Issuer")
        subject = f"{kind} {gateway.namespace or 'default'}/{name}"
        where = f" (a namespaced issuer must be in the Gateway's namespace, {gateway.namespace})"
    action = (
        f"cert-manager issues the certificates of {gateway.ref.display()} from {subject}"
        f"{where}: turn on its Gateway API support (Helm value config.enableGatewayAPI=true, "
        "cert-manager 1.15 or newer), and give an ACME issuer an HTTP-01 solver of type "
        f"gatewayHTTPRoute whose parentRefs name Gateway {gateway.namespace}/{gateway.name} "
        "(an ingress solver no longer reaches the cluster once DNS points at the Gateway). "
        "The Certificate stays the Ingress's until the Ingress is deleted; cert-manager then "
        "makes it again for the Gateway, keeping the Secret"
    )
    for source in managed:
        report.require(Need.CERTIFICATE_ISSUER, subject, action, source=source)


def _certificate_sources(listener: Listener) -> set[SourceRef]:
    return {item.source for item in listener.provenance if item.field.startswith("spec.tls")}


def _check_listener(gateway: Gateway, listener: Listener, report: Recorder) -> None:
    sources = sorted(_certificate_sources(listener), key=SourceRef.sort_key)
    problem = None
    if not listener.hostname:
        problem = "it has no hostname"
    elif any(ref.namespace not in (None, gateway.namespace) for ref in listener.certificate_refs):
        problem = (
            "its Secret is in another namespace than the Gateway "
            f"({', '.join(sorted({ref.namespace or '' for ref in listener.certificate_refs}))}); "
            "cert-manager refuses cross-namespace certificate references — create a Certificate "
            "for the host in the Secret's namespace, or pass --gateway-per-namespace"
        )
    if problem is None:
        return
    for source in sources:
        report.warning(
            "cert-manager-listener-skipped",
            f"cert-manager will not issue the certificate of listener {listener.name} of "
            f"{gateway.ref.display()}: {problem}",
            source=source,
        )


# --- routes: external-dns ------------------------------------------------------------------


def _dns_name(key: str) -> str | None:
    for prefix in EXTERNAL_DNS:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return None


def _route_key(key: str) -> str | None:
    """The key external-dns reads on a route for ``key`` on an Ingress, or None."""
    name = _dns_name(key)
    if name is None:
        return None
    prefix = key[: len(key) - len(name)]
    if name in _DNS_RENAMED:
        return prefix + _DNS_RENAMED[name]
    if name in _DNS_ROUTE_KEYS or name.startswith(_DNS_ROUTE_PREFIXES):
        return key
    return None


_SOURCE_FLAGS = {
    "HTTPRoute": "gateway-httproute",
    "GRPCRoute": "gateway-grpcroute",
    "TLSRoute": "gateway-tlsroute",
    "TCPRoute": "gateway-tcproute",
    "UDPRoute": "gateway-udproute",
}


def _carry_to_route(
    route: Route,
    wanted: Mapping[SourceRef, Mapping[str, str]],
    report: Recorder,
    carried: set[tuple[SourceRef, str]],
) -> None:
    sources = [s for s in _sources(_route_provenance(route)) if s in wanted]
    placed = _Placed()
    for source in sources:
        for key, value in sorted(wanted[source].items()):
            route_key = _route_key(key)
            if route_key is None:
                continue
            where = route.ref.display()
            _place(placed, where, route_key, value, source, report, carried, input_key=key)
            made_from(route, Provenance(source, _field(key)))
            _require_dns_source(route.KIND, source, report)
    route.annotations.update(placed.values)


def _require_dns_source(kind: str, source: SourceRef, report: Recorder) -> None:
    flag = _SOURCE_FLAGS.get(kind)
    if flag is None:
        return
    report.require(
        Need.DNS,
        f"external-dns --source={flag}",
        f"external-dns reads the DNS names of {kind}s (and the target of their Gateway) only "
        f"with --source={flag}: add it next to the source it reads now (ingress, "
        "istio-gateway, istio-virtualservice …). While both the old object and the route "
        "exist, both addresses are published for the host; remove the old source (or the "
        "old objects) to finish the cut-over",
        source=source,
    )


def _route_provenance(route: Route) -> Iterable[Provenance]:
    yield from route.provenance
    for rule in getattr(route, "rules", ()):
        yield from rule.provenance


# --- what was not carried ------------------------------------------------------------------


def _account_the_rest(
    wanted: Mapping[SourceRef, Mapping[str, str]],
    report: Recorder,
    carried: set[tuple[SourceRef, str]],
) -> None:
    for source, keys in wanted.items():
        for key in sorted(keys):
            if (source, key) in carried:
                continue
            status, note, level = _not_carried(key, source.kind or "object")
            report.record(source, _field(key), status, note=note)
            if level is not None:
                report.notify(
                    level,
                    "companion-annotation-unsupported",
                    f"{key}: {note}",
                    source=source,
                    field=_field(key),
                )
            if key.startswith(ACME):
                report.require(
                    Need.CERTIFICATE_ISSUER,
                    "ACME HTTP-01 solver for Gateway API",
                    "the ACME issuer's HTTP-01 solver must be of type gatewayHTTPRoute, with "
                    "parentRefs naming the generated Gateway (ingress solvers and their "
                    "acme.cert-manager.io/http01-* annotations do not apply to Gateways)",
                    source=source,
                )


def _not_carried(key: str, kind: str) -> tuple[Status, str, Level | None]:
    if key == TLS_ACME:
        return (
            Status.UNSUPPORTED,
            "cert-manager honours kubernetes.io/tls-acme (and --auto-certificate-annotations) on "
            "Ingresses only: set cert-manager.io/cluster-issuer (the --default-issuer-name your "
            "cert-manager runs with) on the Ingress and convert again, or the Gateway's "
            "certificates are no longer renewed",
            Level.WARNING,
        )
    if key.startswith(ACME):
        return (
            Status.IGNORED,
            "an ACME HTTP-01 ingress solver setting: with Gateway API the issuer's solver is a "
            "gatewayHTTPRoute one (see the prerequisites)",
            None,
        )
    name = _dns_name(key)
    if name is not None and name in _DNS_NOT_READ:
        return Status.IGNORED, _DNS_NOT_READ[name], None
    if name in _DNS_GATEWAY_KEYS:
        return (
            Status.IGNORED,
            f"external-dns reads {name} on Gateways (and ListenerSets) only, and no Gateway was "
            f"made from this {kind}: set it on the Gateway that serves its hosts",
            None,
        )
    if name is not None:
        return (
            Status.IGNORED,
            f"external-dns reads {name} on routes, and no route was made from this {kind}: "
            "set it on the routes of its hosts",
            None,
        )
    if key in ISSUERS or key in _CERTIFICATE_KEYS:
        return (
            Status.IGNORED,
            "no Gateway was made from this Ingress (or, for a certificate setting, it names no "
            "issuer), so there is nothing to carry it to",
            None,
        )
    return Status.IGNORED, "not read by cert-manager's or external-dns's Gateway API support", None
