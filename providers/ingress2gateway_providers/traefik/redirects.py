"""Scheme redirects on routes that serve both schemes.

Traefik's ``redirectScheme`` (and a ``redirectRegex`` carried as one) answers only requests
whose scheme (and port) differ from the target: a request already on ``https`` passes on to
the next middleware and the service. A Gateway API RequestRedirect answers every request of
its rule. So a route with such a redirect is split by its listeners: on the listeners of the
target scheme the rule keeps its backends and the redirect is dropped; on the others the rule
only redirects (Gateway API refuses a redirect beside a path rewrite, and the backends would
never be reached); a rewrite before the redirect becomes the redirect's path.
"""

from __future__ import annotations

import dataclasses

from ingress2gateway.ir import Gateway, HTTPRoute, ParentRef, RequestRedirect, Rule, URLRewrite

from .common import TraefikRun


def _scheme_of(gateway: Gateway, parent: ParentRef) -> str | None:
    found = gateway.listener(parent.section_name or "")
    if found is None:
        return None
    return "https" if found.protocol == "HTTPS" else "http" if found.protocol == "HTTP" else None


def _variant(rule: Rule, scheme: str) -> Rule:
    """``rule`` as it answers requests arriving with ``scheme``."""
    redirect = next((f for f in rule.filters if isinstance(f, RequestRedirect)), None)
    if redirect is None:
        return rule
    passes = redirect.scheme in (None, scheme) and redirect.port in (
        None,
        443 if scheme == "https" else 80,
    )
    copy = dataclasses.replace(
        rule, filters=list(rule.filters), backend_refs=list(rule.backend_refs)
    )
    if passes:
        copy.filters = [f for f in copy.filters if f is not redirect]
    else:
        # A path rewrite before the redirect changes the URL it redirects to (Traefik's
        # rewriting middlewares update the request URI the redirect reads).
        before = copy.filters[: copy.filters.index(redirect)]
        rewrite = next((f for f in before if isinstance(f, URLRewrite) and f.path), None)
        if rewrite is not None:
            redirect = dataclasses.replace(
                redirect,
                path=rewrite.path,
                provenance=[*redirect.provenance, *rewrite.provenance],
            )
        copy.backend_refs = []
        copy.filters = [redirect] + [
            f for f in copy.filters if not isinstance(f, (URLRewrite, RequestRedirect))
        ]
    return copy


def split_scheme_redirects(run: TraefikRun, gateways: list[Gateway]) -> None:
    ours = {(g.namespace, g.name): g for g in gateways}
    added: list[HTTPRoute] = []
    for route in run.ctx.ir.routes:
        if not isinstance(route, HTTPRoute):
            continue
        if not any(isinstance(f, RequestRedirect) for rule in route.rules for f in rule.filters):
            continue
        if id(route) not in run.routes:
            continue  # another provider's
        by_scheme: dict[str, list[ParentRef]] = {}
        for parent in route.parent_refs:
            gateway = ours.get((parent.namespace or route.namespace, parent.name))
            scheme = _scheme_of(gateway, parent) if gateway is not None else None
            by_scheme.setdefault(scheme or "http", []).append(parent)
        schemes = sorted(by_scheme)
        first, rest = schemes[0], schemes[1:]
        originals = list(route.rules)
        route.rules = [_variant(rule, first) for rule in originals]
        route.parent_refs = by_scheme[first]
        for scheme in rest:
            twin = dataclasses.replace(
                route,
                name=run.ctx.allocator("HTTPRoute", route.namespace).allocate(
                    f"{route.name}-{scheme}", f"traefik/redirect-split/{route.name}/{scheme}"
                ),
                parent_refs=by_scheme[scheme],
                rules=[_variant(rule, scheme) for rule in originals],
                provenance=list(route.provenance),
            )
            added.append(twin)
    run.ctx.ir.routes.extend(added)
