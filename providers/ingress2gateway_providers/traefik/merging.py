"""Several middlewares of one router may each set headers (two ``headers`` Middlewares, or
one named twice); Gateway API takes one header modifier per direction and one CORS filter per
rule. Traefik applies them in order, so they are merged in order: a later value of a header
wins, removals add up."""

from __future__ import annotations

from ingress2gateway.ir import CorsFilter, Filter, Gateway, HeaderModifier, HTTPRoute

from .common import TraefikRun


def _merge(filters: list[Filter]) -> list[Filter]:
    merged: list[Filter] = []
    modifiers: dict[bool, HeaderModifier] = {}
    cors: CorsFilter | None = None
    for item in filters:
        if isinstance(item, HeaderModifier):
            found = modifiers.get(item.response)
            if found is None:
                found = HeaderModifier(response=item.response, provenance=[])
                modifiers[item.response] = found
                merged.append(found)
            for name, value in item.set.items():
                found.add.pop(name, None)
                if name in found.remove:
                    found.remove.remove(name)
                found.set[name] = value
            for name, value in item.add.items():
                found.add[name] = value
            for name in item.remove:
                found.set.pop(name, None)
                found.add.pop(name, None)
                if name not in found.remove:
                    found.remove.append(name)
            found.provenance.extend(item.provenance)
        elif isinstance(item, CorsFilter):
            if cors is None:
                cors = item
                merged.append(item)
            else:
                # The later CORS settings answer the preflight in Traefik.
                merged[merged.index(cors)] = item
                item.provenance.extend(cors.provenance)
                cors = item
        else:
            merged.append(item)
    return [m for m in merged if not isinstance(m, HeaderModifier) or m.set or m.add or m.remove]


def merge_filters(run: TraefikRun, gateways: list[Gateway]) -> None:
    del gateways
    for route in run.ctx.ir.routes:
        if isinstance(route, HTTPRoute) and id(route) in run.routes:
            for rule in route.rules:
                if len(rule.filters) > 1:
                    rule.filters = _merge(rule.filters)
