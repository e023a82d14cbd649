"""**HTTPS redirect.** For a host with TLS, Cilium answers every route of the host's HTTP
virtual host with a redirect to https (``envoyHTTPSRoutes``: Envoy's ``https_redirect``,
status 301) when the Ingress's ``force-https`` is ``enabled``/true, or is absent or unreadable
and the operator runs with ``enforce-ingress-https`` (Helm ``ingressController.enforceHttps``,
on by default; the ``enforce-https`` option). ``force-https: disabled`` keeps HTTP served.
The route then serves on the HTTPS listener alone, and a twin route on the HTTP listener
redirects the same matches (requests no rule matches stay 404, as in Cilium). Hosts without
TLS are never redirected. The Go tool redirects every rule of the route on both listeners
(HTTPS included) and ignores the operator's default; this does neither.
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


def apply(run: CiliumRun, models: Sequence[IngressModel], lowered: Lowered) -> None:
    decisions = {model.source: _decision(run, model) for model in models}
    by_source = {model.source: model for model in models}
    gateways = {(g.namespace, g.name): g for g in lowered.gateways}
    redirected: set[SourceRef] = set()
    for route in list(lowered.routes):
        https, http = _parents(route, gateways)
        if not https or not http:
            continue
        forced = [rule for rule in route.rules if rule.sources and decisions[rule.sources[0]][0]]
        if not forced:
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
        route.parent_refs = https
        for rule in route.rules:
            source = rule.sources[0] if rule.sources else None
            if rule in forced and source is not None:
                copy = _redirect(run, by_source[source], rule, decisions[source][1])
                redirected.add(source)
            else:
                copy = _copy(rule)
            twin.rules.append(copy)
            for item in copy.sources:
                lowered.rules_by_source.setdefault(item, []).append((twin, copy))
        lowered.routes.append(twin)
        run.ctx.ir.routes.append(twin)
    for source in sorted(redirected, key=lambda s: s.display()):
        model = by_source[source]
        key = decisions[source][1]
        why = (
            f"its {catalog.FORCE_HTTPS} annotation"
            if key is not None
            else "the operator's enforce-ingress-https (on by default; see the enforce-https option)"
        )
        run.note(
            Level.INFO,
            "cilium-https-redirect",
            model,
            annotation_field(key) if key is not None else None,
            f"HTTP requests to the TLS hosts of this Ingress get a {REDIRECT_CODE} redirect to "
            f"https, as Cilium did for {why}",
        )
    _account(run, models, decisions, redirected)


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
    redirected: set[SourceRef],
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
