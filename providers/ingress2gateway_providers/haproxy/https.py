"""HTTP→HTTPS redirects and HSTS.

HAProxy Technologies: an Ingress with ``spec.tls`` redirects plain HTTP to HTTPS
(``pkg/annotations/ingress/httpsRedirect.go``), ``ssl-redirect: "false"`` turns it off, and
``"true"`` asks for it without TLS too. The redirect is a rule of the HTTP frontend for the
Ingress's *hosts*: every path of such a host is redirected, whichever Ingress defined it (the
oldest redirecting Ingress gives the code). A host the output has no certificate for keeps
plain HTTP, with a warning. The code is ``ssl-redirect-code`` (default 302); the
Location carries ``ssl-redirect-port``, whose code default is 8443, the controller's own HTTPS
port: a Gateway's HTTPS listener is on 443, so the redirect names no port unless the annotation
gives one (``haproxy-redirect-port`` says so).

HAProxy Ingress: ``ssl-redirect`` (Path scope) is on by default for hosts with TLS, with 302 (the
code is a Global key); ``/.well-known/acme-challenge`` paths are exempt
(``no-tls-redirect-locations``). ``hsts`` (default on) adds ``Strict-Transport-Security``
(``max-age=15768000``) to HTTPS responses.

A route of a host with TLS whose rules redirect is bound to the HTTPS listener only; a second
route on the HTTP listener holds, rule for rule, the redirect (or, for a rule that does not
redirect, a copy of the rule).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ingress2gateway.converting.ingress import IngressModel, precedence_key
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import (
    Filter,
    HeaderModifier,
    HTTPRoute,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    Provenance,
    RequestRedirect,
    Rule,
)
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .family import header_modifier
from .keys import PROVIDER, Keys

ACME = "/.well-known/acme-challenge"
HSTS_MAX_AGE = 15768000


def _listener(lowered: Lowered, route: HTTPRoute, parent: ParentRef) -> Listener | None:
    for gateway in lowered.gateways:
        if gateway.name == parent.name and gateway.namespace == (
            parent.namespace or route.namespace
        ):
            return gateway.listener(parent.section_name) if parent.section_name else None
    return None


def _filter_copy(item: Filter) -> Filter:
    # Header modifiers are changed later (HSTS on the HTTPS side only): never share one.
    if isinstance(item, HeaderModifier):
        return HeaderModifier(
            response=item.response,
            set=dict(item.set),
            add=dict(item.add),
            remove=list(item.remove),
            provenance=list(item.provenance),
        )
    return item


def _copy(rule: Rule) -> Rule:
    return Rule(
        matches=list(rule.matches),
        backend_refs=list(rule.backend_refs),
        filters=[_filter_copy(item) for item in rule.filters],
        request_timeout=rule.request_timeout,
        backend_request_timeout=rule.backend_request_timeout,
        extensions=list(rule.extensions),
        provenance=list(rule.provenance),
        sources=list(rule.sources),
        closed_status=rule.closed_status,
    )


def _acme(rule: Rule) -> bool:
    for match in rule.matches:
        if match.path is not None and match.path.value.removeprefix("(?i)").startswith(ACME):
            return True
    return False


class _Wants:
    """Whether (and how) each rule redirects. HAProxy Technologies redirects a *host*: the
    rule an Ingress with TLS (or ``ssl-redirect: "true"``) adds covers every path of its hosts,
    whichever Ingress defined them; HAProxy Ingress decides per path."""

    def __init__(self, keys: Mapping[int, Keys], models: list[IngressModel]) -> None:
        self.keys = keys
        self.by_source = {m.source: m for m in models}
        self.tech_hosts: dict[str | None, tuple[Keys, int, int | None]] = {}
        for model in sorted(models, key=precedence_key):
            k = keys[id(model)]
            if k.controller != "haproxytech" or not k.flag("ssl-redirect", bool(model.tls)):
                continue
            code = k.integer("ssl-redirect-code", 300, 399) or 302
            if code not in (301, 302, 303, 307, 308):
                code = 302
            port = k.integer("ssl-redirect-port", 1, 65535)
            for host in model.hosts():
                self.tech_hosts.setdefault(host, (k, code, port))

    def of(self, rule: Rule, host: str | None) -> tuple[Keys, bool, int, int | None] | None:
        model = next((self.by_source[s] for s in rule.sources if s in self.by_source), None)
        if model is None:
            return None
        keys = self.keys[id(model)]
        if keys.controller == "haproxytech":
            owner = self.tech_hosts.get(host)
            if owner is None:
                return keys, False, 302, None
            return owner[0], True, owner[1], owner[2]
        wanted = bool(keys.flag("ssl-redirect", True)) and not _acme(rule)
        configured = keys.configured("ssl-redirect-code")
        code = int(configured) if configured and configured.isdigit() else 302
        return keys, wanted, code if code in (301, 302, 303, 307, 308) else 302, None


def _no_certificate(route: HTTPRoute, keys: Keys) -> None:
    host = route.hostnames[0] if route.hostnames else "*"
    name = "ssl-redirect" if keys.has("ssl-redirect") else None
    field = keys.field(name) if name else f"spec.tls[{keys.model.tls[0].index}]"
    message = (
        f"the controller redirects plain HTTP of host {host} to HTTPS (answered with its "
        "default certificate), but the output has no certificate for the host: it keeps being "
        "served over HTTP"
    )
    keys.report.notify(
        Level.WARNING,
        "haproxy-redirect-without-tls",
        message,
        source=keys.source(name),
        field=field,
        provider=PROVIDER,
    )
    if name:
        keys.record(name, Status.UNSUPPORTED, "no certificate for the host in the output")


def apply(
    ctx: ProviderContext, keys: Mapping[int, Keys], models: list[IngressModel], lowered: Lowered
) -> None:
    wants = _Wants(keys, models)
    for route in list(lowered.routes):
        parents = [(p, _listener(lowered, route, p)) for p in route.parent_refs]
        https = [p for p, lst in parents if lst is not None and lst.protocol == "HTTPS"]
        http = [p for p, lst in parents if lst is not None and lst.protocol == "HTTP"]
        host = route.hostnames[0] if route.hostnames else None
        decisions = [wants.of(rule, host) for rule in route.rules]
        if not https:
            for decision in decisions:
                if decision is not None and decision[1] and decision[0].controller == "haproxytech":
                    _no_certificate(route, decision[0])
            continue
        if not any(d is not None and d[1] for d in decisions):
            _hsts(ctx, route, decisions, https_only=False)
            for d in decisions:
                if d is not None and d[0].has("ssl-redirect"):
                    d[0].record("ssl-redirect", Status.CONVERTED, "no redirect: HTTP keeps serving")
            continue
        route.parent_refs = https
        tls_prov = [
            item
            for p, lst in parents
            if lst is not None and lst.protocol == "HTTPS"
            for item in lst.provenance
        ]
        rules: list[Rule] = []
        for rule, decision in zip(route.rules, decisions, strict=True):
            if decision is None or not decision[1]:
                rules.append(_copy(rule))
                continue
            k, _, code, port = decision
            own = (
                ("ssl-redirect", "ssl-redirect-code", "ssl-redirect-port")
                if k.controller == "haproxytech"
                else ("ssl-redirect",)
            )
            prov = list(tls_prov) + k.prov(*own)
            rules.append(
                Rule(
                    matches=list(rule.matches),
                    filters=[
                        RequestRedirect(
                            scheme="https", port=port, status_code=code, provenance=prov
                        )
                    ],
                    provenance=list(rule.provenance),
                    sources=list(rule.sources),
                )
            )
            if k.controller == "haproxytech" and port is None:
                k.notify(
                    Level.INFO,
                    "haproxy-redirect-port",
                    None,
                    "the controller's HTTPS redirect names its own HTTPS port (ssl-redirect-port, "
                    "default 8443); the converted redirect goes to the Gateway's HTTPS listener "
                    "(443)",
                )
        exempt = _acme_rule(route, decisions)
        if exempt is not None:
            rules.insert(0, exempt)
        identity = f"haproxy-redirect/{route.namespace}/{route.name}"
        redirect_route = HTTPRoute(
            name=ctx.allocator("HTTPRoute", route.namespace).allocate(
                f"{route.name}-http", identity
            ),
            namespace=route.namespace,
            hostnames=list(route.hostnames),
            parent_refs=http,
            rules=rules,
            provenance=list(route.provenance),
        )
        lowered.routes.append(redirect_route)
        ctx.ir.routes.append(redirect_route)
        for d in decisions:
            if d is None:
                continue
            tech = d[0].controller == "haproxytech"
            names = (
                ("ssl-redirect", "ssl-redirect-code", "ssl-redirect-port")
                if tech
                else ("ssl-redirect",)
            )
            for name in names:
                if d[0].has(name) and not ctx.report.has_entry(d[0].source(name), d[0].field(name)):
                    d[0].converted(name, [redirect_route])
            if not tech and d[0].configured("ssl-redirect-code"):
                d[0].record_configured("ssl-redirect-code", Status.CONVERTED, "the redirect's code")
        _hsts(ctx, route, decisions, https_only=True)
        if exempt is not None or any(_acme(r) for r in route.rules):
            for d in decisions:
                if d is not None and d[0].controller != "haproxytech":
                    d[0].notify(
                        Level.INFO,
                        "haproxy-acme-exempt",
                        None,
                        f"{ACME} stays on plain HTTP as the controller keeps it "
                        "(no-tls-redirect-locations); the controller exempts every path that "
                        "starts with those characters, the migration the path and what is "
                        "below it",
                    )
        ctx.report.info(
            "haproxy-ssl-redirect",
            f"host {route.hostnames[0] if route.hostnames else '*'} has TLS: HTTP requests are "
            "redirected to HTTPS by a route on the HTTP listener, as the controller does",
            source=min((s for r in route.rules for s in r.sources), key=lambda s: s.sort_key()),
            provider=PROVIDER,
        )


def _acme_rule(
    route: HTTPRoute, decisions: list[tuple[Keys, bool, int, int | None] | None]
) -> Rule | None:
    """HAProxy Ingress does not redirect ACME challenges (``no-tls-redirect-locations``): over
    HTTP they go wherever HTTPS would send them. A rule for them on the HTTP side, a copy of the
    rule that serves them, unless a path of the route is under the challenge path already."""
    community = [
        (rule, d)
        for rule, d in zip(route.rules, decisions, strict=True)
        if d is not None and d[0].controller != "haproxytech" and d[1]
    ]
    if not community or any(_acme(rule) for rule in route.rules):
        return None
    probe = ACME + "/token"
    best: tuple[tuple[int, int], Rule] | None = None
    for rule, _ in community:
        for match in rule.matches:
            if match.path is None or match.headers or match.query_params or match.method:
                continue
            rank = _serves(match.path.type, match.path.value, probe)
            if rank is not None and (best is None or rank > best[0]):
                best = (rank, rule)
    if best is None:
        return None
    found = _copy(best[1])
    found.matches = [Match(path=PathMatch("PathPrefix", ACME))]
    return found


def _serves(kind: str, value: str, path: str) -> tuple[int, int] | None:
    """How Envoy Gateway ranks a match that takes ``path`` (higher first), or None."""
    if kind == "Exact":
        return (3, len(value)) if value == path else None
    if kind == "RegularExpression":
        try:
            return (2, len(value)) if re.fullmatch(value, path) else None
        except re.error:
            return None
    bare = value.rstrip("/")
    if not bare or path == bare or path.startswith(bare + "/"):
        return (1, len(bare))
    return None


def _hsts(
    ctx: ProviderContext,
    route: HTTPRoute,
    decisions: list[tuple[Keys, bool, int, int | None] | None],
    https_only: bool,
) -> None:
    for rule, decision in zip(route.rules, decisions, strict=True):
        if decision is None or decision[0].controller == "haproxytech":
            continue
        keys = decision[0]
        if not keys.flag("hsts", True):
            keys.record("hsts", Status.CONVERTED, "off: no Strict-Transport-Security")
            continue
        if not https_only:
            keys.notify(
                Level.WARNING,
                "haproxy-hsts-not-carried",
                "hsts" if keys.has("hsts") else None,
                "the controller adds Strict-Transport-Security to HTTPS responses; the route "
                "also serves HTTP (ssl-redirect is off), where the header must not be sent: it "
                "is not added",
            )
            continue
        max_age = keys.integer("hsts-max-age", 0, 10**10)
        value = f"max-age={HSTS_MAX_AGE if max_age is None else max_age}"
        if keys.flag("hsts-include-subdomains", False):
            value += "; includeSubDomains"
        if keys.flag("hsts-preload", False):
            value += "; preload"
        names = ("hsts", "hsts-max-age", "hsts-include-subdomains", "hsts-preload")
        prov = keys.prov(*names) or [
            Provenance(keys.model.source, f"spec.tls[{t.index}]") for t in keys.model.tls[:1]
        ]
        header_modifier(rule, True, prov).set["Strict-Transport-Security"] = value
        for name in names:
            if keys.has(name):
                keys.converted(name, [route])
