"""**HTTPS redirect.** For a host with TLS, Cilium answers every route of the host's HTTP
virtual host with a redirect to https (``envoyHTTPSRoutes``: Envoy's ``https_redirect``,
status 301) when the Ingress's ``force-https`` is ``enabled``/true, or is absent or unreadable
and the operator runs with ``enforce-ingress-https`` (Helm ``ingressController.enforceHttps``,
on by default; the ``enforce-https`` option). ``force-https: disabled`` keeps HTTP served.
The route then serves on the HTTPS listener alone, and a twin route on the HTTP listener
redirects the same matches (requests no rule matches stay 404, as in Cilium). Hosts without
TLS are never redirected. The Go tool redirects every rule of the route on both listeners
(HTTPS included) and ignores the operator's default; this does neither.

Shared Ingresses on one host: Cilium's secure virtual host holds only the rules of the
Ingresses whose ``spec.tls`` names the host, and its plain-text one redirects every rule of
the host (those of the other Ingresses too) as soon as one of those Ingresses forces HTTPS;
the output does the same. An HTTPS listener the shared layout gave a host only through
another Ingress's wildcard certificate is dropped, so that the wildcard listener answers, as
Cilium's wildcard virtual host did.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import Gateway, HTTPRoute, ParentRef, Provenance, RequestRedirect, Rule
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Level, Status

from . import catalog
from .common import CiliumRun, annotation_field
from .layout import has_catch_all

REDIRECT_CODE = 301
"""Envoy's ``RedirectAction`` without ``response_code``: MOVED_PERMANENTLY."""


def tls_hosts(model: IngressModel) -> set[str]:
    """The hosts for which Cilium made a secure listener of this Ingress's own rules: named by
    a ``spec.tls`` entry and routed by a rule of the Ingress (not when a catch-all listener
    replaced them: see :mod:`.layout`)."""
    if has_catch_all(model):
        return set()
    routed = {p.host for p in model.paths if p.host is not None}
    return {h for t in model.tls for h in t.hosts if h in routed}


def apply(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    decisions = {model.source: _decision(run, model) for model in models}
    by_source = {model.source: model for model in models}
    covered = {model.source: tls_hosts(model) for model in models}
    gateways = {(g.namespace, g.name): g for g in lowered.gateways}
    # The Ingresses whose TLS names a host, by (Gateway, host): Cilium's secure listeners.
    owners_of: dict[tuple[int, str | None], list[IngressModel]] = {}
    for model in sorted(models, key=lambda m: m.source.display()):
        for tls_host in covered[model.source]:
            slot = (id(lowered.gateway_of.get(model.source)), tls_host)
            owners_of.setdefault(slot, []).append(model)
    redirected: dict[SourceRef, IngressModel] = {}
    for route in list(lowered.routes):
        https, http = _parents(route, gateways)
        if not https or not http:
            continue
        host = route.hostnames[0] if route.hostnames else None
        gateway = gateways.get((https[0].namespace or route.namespace, https[0].name))
        owners = owners_of.get((id(gateway), host), [])
        owner_sources = {m.source for m in owners}
        forcing = next((m for m in owners if decisions[m.source][0]), None)
        # Cilium's secure virtual host holds the rules of the Ingresses whose TLS names the
        # host; its plain-text one redirects every rule once one of them forces HTTPS.
        secure = [r for r in route.rules if r.sources and r.sources[0] in owner_sources]
        if forcing is None and len(secure) == len(route.rules):
            continue
        twin = HTTPRoute(
            name=run.ctx.allocator("HTTPRoute", route.namespace).allocate(
                f"{route.name}-http", f"cilium-http/{route.namespace}/{route.name}"
            ),
            namespace=route.namespace,
            hostnames=list(route.hostnames),
            parent_refs=http,
            provenance=list(route.provenance),
        )
        for rule in route.rules:
            source = rule.sources[0] if rule.sources else None
            if forcing is not None and source is not None:
                copy = _redirect(run, forcing, rule, decisions[forcing.source][1])
                redirected.setdefault(source, forcing)
            else:
                copy = _copy(rule)
            twin.rules.append(copy)
            for item in copy.sources:
                lowered.rules_by_source.setdefault(item, []).append((twin, copy))
        route.parent_refs = https
        route.rules[:] = secure
        if not secure:
            lowered.routes.remove(route)
            run.ctx.ir.routes.remove(route)
        lowered.routes.append(twin)
        run.ctx.ir.routes.append(twin)
    for source in sorted(redirected, key=lambda s: s.display()):
        model = by_source[source]
        forcing = redirected[source]
        key = decisions[forcing.source][1]
        why = (
            f"the {catalog.FORCE_HTTPS} annotation"
            if key is not None
            else "the operator's enforce-ingress-https (on by default; see the enforce-https option)"
        )
        if forcing is not model:
            why += f" of {forcing.source.display()}, whose TLS names the same host"
        run.note(
            Level.INFO,
            "cilium-https-redirect",
            model,
            annotation_field(key) if key is not None and forcing is model else None,
            f"HTTP requests to the TLS hosts of this Ingress get a {REDIRECT_CODE} redirect to "
            f"https, as Cilium did for {why}",
        )
    _account(run, models, decisions, redirected)
    _catch_all_on_https(run, models, lowered)
    _drop_unused_https(lowered)


def _drop_unused_https(lowered: Lowered) -> None:
    """An HTTPS listener no route attaches to any more (the shared lowering gave a host the
    certificate of another Ingress's wildcard TLS entry, whose rules Cilium alone serves on
    HTTPS) would answer its host with 404 where Cilium's wildcard virtual host answered:
    without it, the wildcard listener takes the host, as in Cilium."""
    used = {
        (parent.namespace or route.namespace, parent.name, parent.section_name)
        for route in lowered.routes
        for parent in route.parent_refs
    }
    for gateway in lowered.gateways:
        kept = [
            listener
            for listener in gateway.listeners
            if listener.protocol != "HTTPS"
            or (gateway.namespace, gateway.name, listener.name) in used
        ]
        if len(kept) != len(gateway.listeners) and kept:
            gateway.listeners[:] = kept


def _catch_all_on_https(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    """A dedicated Ingress with a catch-all serves the catch-all's routes on the HTTPS
    listener of each of its TLS hosts (see :mod:`.layout`): attach its hostless route there."""
    hostless_by_gateway: dict[str, list[HTTPRoute]] = {}
    for route in lowered.routes:
        if not route.hostnames:
            for name in {p.name for p in route.parent_refs}:
                hostless_by_gateway.setdefault(name, []).append(route)
    for model in models:
        gateway = lowered.gateway_of.get(model.source)
        if gateway is None or not has_catch_all(model) or not run.dedicated.get(model.source):
            continue
        routed = {p.host for p in model.paths if p.host is not None}
        hosts = {h for t in model.tls for h in t.hosts if h in routed}
        listeners = [
            item
            for item in gateway.listeners
            if item.protocol == "HTTPS" and item.hostname in hosts
        ]
        hostless = [
            route
            for route in hostless_by_gateway.get(gateway.name, [])
            if any(
                p.name == gateway.name and (p.namespace or route.namespace) == gateway.namespace
                for p in route.parent_refs
            )
        ]
        for route in hostless:
            for listener in sorted(listeners, key=lambda item: item.name):
                route.parent_refs.append(gateway.parent_ref(route.namespace, listener.name))
                if route.namespace != gateway.namespace:
                    listener.allowed_namespaces.add(route.namespace)


def _decision(run: CiliumRun, model: IngressModel) -> tuple[bool, str | None]:
    forced, key = run.forced_https(model)
    if has_catch_all(model):
        # Every secure listener of such an Ingress is a copy of its catch-all one, which
        # never has ForceHTTPtoHTTPSRedirect set (layout.py; reported there).
        return False, key
    return forced, key


def _account(
    run: CiliumRun,
    models: Sequence[IngressModel],
    decisions: dict[SourceRef, tuple[bool, str | None]],
    redirected: dict[SourceRef, IngressModel],
) -> None:
    for model in models:
        value = model.obj.annotations.get(catalog.FORCE_HTTPS)
        if value is None:
            continue
        forced, key = decisions[model.source]
        field_path = annotation_field(catalog.FORCE_HTTPS)
        if key is None:
            run.flag(
                Level.WARNING,
                "cilium-value-invalid",
                model,
                field_path,
                f"{value[:80]!r} is not enabled/disabled or a boolean: Cilium used the "
                "operator's enforce-ingress-https",
                Status.IGNORED,
            )
        elif model.source in redirected and redirected[model.source] is not model:
            run.record(
                model,
                catalog.FORCE_HTTPS,
                Status.IGNORED,
                f"{redirected[model.source].source.display()} forces HTTPS on the same host, "
                "which redirects every HTTP rule of the host",
            )
        elif model.source in redirected:
            run.record(model, catalog.FORCE_HTTPS, Status.CONVERTED, "HTTP redirects to HTTPS")
        elif has_catch_all(model) and model.tls:
            run.record(
                model,
                catalog.FORCE_HTTPS,
                Status.IGNORED,
                "Cilium does not redirect the TLS hosts of an Ingress with a catch-all",
            )
        elif forced:
            run.record(
                model,
                catalog.FORCE_HTTPS,
                Status.IGNORED,
                "no host of this Ingress has TLS: Cilium redirects only TLS hosts",
            )
        else:
            run.record(model, catalog.FORCE_HTTPS, Status.CONVERTED, "HTTP stays served")


def _parents(
    route: HTTPRoute, gateways: dict[tuple[str | None, str], Gateway]
) -> tuple[list[ParentRef], list[ParentRef]]:
    https: list[ParentRef] = []
    http: list[ParentRef] = []
    for parent in route.parent_refs:
        gateway = gateways.get((parent.namespace or route.namespace, parent.name))
        listener = (
            gateway.listener(parent.section_name)
            if gateway is not None and parent.section_name
            else None
        )
        if listener is None:
            return [], []
        (https if listener.protocol == "HTTPS" else http).append(parent)
    return https, http


def _copy(rule: Rule) -> Rule:
    return Rule(
        matches=list(rule.matches),
        backend_refs=list(rule.backend_refs),
        filters=list(rule.filters),
        request_timeout=rule.request_timeout,
        backend_request_timeout=rule.backend_request_timeout,
        extensions=list(rule.extensions),
        provenance=list(rule.provenance),
        sources=list(rule.sources),
        closed_status=rule.closed_status,
    )


def _redirect(run: CiliumRun, model: IngressModel, rule: Rule, key: str | None) -> Rule:
    if key is not None:
        provenance = [Provenance(model.source, annotation_field(key))]
    else:
        provenance = [Provenance(model.source, t.field) for t in model.tls[:1]]
    return Rule(
        matches=list(rule.matches),
        filters=[RequestRedirect(scheme="https", status_code=REDIRECT_CODE, provenance=provenance)],
        provenance=list(rule.provenance),
        sources=list(rule.sources),
    )
