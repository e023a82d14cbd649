"""Canary releases: ``canary``, ``canary-by-header``(``-value``/``-pattern``), ``canary-by-cookie``,
``canary-weight``, ``canary-weight-total``.

A canary Ingress repeats the host, path and pathType of a primary Ingress; ingress-nginx does not
build locations for it (so it never conflicts with the primary) but adds its Service as an
alternative backend of the primary's. Per request the controller checks the header first, then
the cookie, then the weight. The conversion puts this on the primary's rule:

* weight → the primary's backendRef gets ``total - weight`` and the canary's ``weight``;
* header → rules placed before the primary rule with the same path and a header match:
  ``always`` (or ``canary-by-header-value``, or ``canary-by-header-pattern`` as an RE2 regular
  expression) → canary; ``never`` → primary only. A rule with a header match takes precedence over
  the plain rule in Gateway API, and among header rules list order decides, so header beats
  cookie beats weight as in the controller;
* cookie → the same on the ``Cookie`` header, with a regular expression that finds
  ``name=always`` / ``name=never`` among the cookies (partial: cookie parsing is approximated).

A canary whose host/path matches no primary is reported (``nginx-canary-no-primary``). The other
annotations of a canary Ingress are ignored by the controller, and so here.
"""

from __future__ import annotations

import dataclasses
import re

from ingress2gateway.ingress import IngressModel, IngressPath, ServiceBackend, service_ports
from ingress2gateway.ir import (
    BackendRef,
    HeaderMatch,
    HTTPRoute,
    Provenance,
    ReferenceGrant,
    Rule,
)
from ingress2gateway.lowering import GATEWAY_GROUP
from ingress2gateway.report import Level, Status

from ._base import PROVIDER, Ann, Run
from .rewrite import re2_problem

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_CANARY_KEYS = (
    "canary",
    "canary-by-header",
    "canary-by-header-value",
    "canary-by-header-pattern",
    "canary-by-cookie",
    "canary-weight",
    "canary-weight-total",
)
# What ingress-nginx still reads from a canary Ingress.
_KEPT_ON_CANARY = ("load-balance", "upstream-hash-by", "affinity", "session-cookie-")


def is_canary(model: IngressModel, prefix: str) -> bool:
    value = model.obj.annotations.get(prefix + "canary")
    return isinstance(value, str) and value.strip().lower() == "true"


def ignore_on_primary(run: Run, model: IngressModel) -> None:
    """canary-* keys on an Ingress without ``canary: "true"`` do nothing in the controller."""
    ann = run.ann(model)
    ann.ignored(list(_CANARY_KEYS), 'has no effect without canary: "true"')


Primaries = dict[tuple[str | None, str, str], list[tuple[HTTPRoute, Rule]]]


def _index(run: Run) -> Primaries:
    """The rules a canary can join, by host and path; more than one only when each namespace
    has its own Gateway (one Gateway keeps one rule per host and path)."""
    index: Primaries = {}
    for route in run.lowered.routes:
        for rule in route.rules:
            if len(rule.matches) != 1 or rule.matches[0].path is None or rule.matches[0].headers:
                continue
            path = rule.matches[0].path
            for host in route.hostnames or [None]:  # type: ignore[list-item]
                index.setdefault((host, path.type, path.value), []).append((route, rule))
    return index


def _primary(found: list[tuple[HTTPRoute, Rule]], namespace: str | None) -> tuple[HTTPRoute, Rule]:
    """The primary in the canary's own namespace if there is one, else the first laid out."""
    return next((pair for pair in found if pair[0].namespace == namespace), found[0])


def apply(run: Run) -> None:
    if not run.canaries:
        return
    index = _index(run)
    ports = service_ports(run.ctx.objects)
    for model in run.canaries:
        _apply_one(run, model, index, ports)


def _canary_backend(
    ann: Ann, backend: object, field: str, ports: dict[tuple[str | None, str], dict[str, int]]
) -> BackendRef | None:
    if not isinstance(backend, ServiceBackend):
        return None
    port = backend.port_number
    if port is None and backend.port_name is not None:
        port = ports.get((ann.model.namespace, backend.name), {}).get(backend.port_name)
        if port is None:
            return None
    return BackendRef(
        name=backend.name, port=port, provenance=[Provenance(ann.model.source, field)]
    )


def _across_namespaces(run: Run, route: HTTPRoute, canary: BackendRef, prov: Provenance) -> None:
    """A canary in another namespace than its primary: ingress-nginx sends its share to the
    canary's own Service (upstreams are namespace-service-port), so the route names that
    namespace, and the Service's namespace grants the reference."""
    namespace = prov.source.namespace
    canary.namespace = namespace
    if namespace is None or route.namespace is None:
        return
    grant = ReferenceGrant(
        namespace=namespace,
        from_group=GATEWAY_GROUP,
        from_kind=route.KIND,
        from_namespace=route.namespace,
        to_group="",
        to_kind="Service",
        to_name=canary.name,
    )
    run.ctx.ir.add_grant(grant, prov)


def _apply_one(
    run: Run,
    model: IngressModel,
    index: Primaries,
    ports: dict[tuple[str | None, str], dict[str, int]],
) -> None:
    ann = run.ann(model)
    report = run.ctx.report
    total = ann.integer("canary-weight-total", 1) or 100
    weight = ann.integer("canary-weight", 0) if ann.has("canary-weight") else None
    if weight is not None and weight > total:
        ann.invalid("canary-weight", f"{weight} is more than canary-weight-total {total}")
        weight = None
    header = ann.text("canary-by-header")
    if header is not None and not _HEADER_NAME.match(header):
        ann.invalid("canary-by-header", f"{header!r} is not a header name")
        header = None
    cookie = ann.text("canary-by-cookie")
    if cookie is not None and not re.fullmatch(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+", cookie):
        ann.invalid("canary-by-cookie", f"{cookie!r} is not a cookie name")
        cookie = None
    matched_any = False

    def skip(path: IngressPath, level: Level, code: str, message: str, status: Status) -> None:
        """This canary path is not converted: say so, on its field."""
        report.flag(
            level, code, message, status, source=model.source, field=path.field, provider=PROVIDER
        )

    for path in model.paths:
        match = run.policy.match_for(model, path)
        if match is None:
            continue
        found = index.get((path.host, match.type, match.value))
        if found is None:
            skip(
                path,
                Level.WARNING,
                "nginx-canary-no-primary",
                f"no non-canary Ingress routes {match.type} {path.path} on host "
                f"{path.host or '*'}; ingress-nginx ignores a canary without a primary, and so "
                "does the conversion",
                Status.IGNORED,
            )
            continue
        route, rule = _primary(found, model.namespace)
        canary = _canary_backend(ann, path.backend, path.field, ports)
        if canary is None:
            skip(
                path,
                Level.ERROR,
                "backend-port-unresolved",
                "the canary backend's port cannot be resolved",
                Status.UNSUPPORTED,
            )
            continue
        if len(rule.backend_refs) != 1:
            skip(
                path,
                Level.WARNING,
                "nginx-canary-no-primary",
                "the primary rule already has a canary or no backend; ingress-nginx allows one "
                "canary per path",
                Status.IGNORED,
            )
            continue
        matched_any = True
        if model.namespace != route.namespace:
            _across_namespaces(run, route, canary, Provenance(model.source, path.field))
        extra = _extra_rules(run, ann, rule, canary, header, cookie)
        if header is not None:
            ann.converted("canary-by-header", [route])
            if ann.has("canary-by-header-value"):
                ann.converted("canary-by-header-value", [route])
            elif not ann.report.has_entry(model.source, ann.field("canary-by-header-pattern")):
                ann.converted("canary-by-header-pattern", [route])
        position = route.rules.index(rule)
        route.rules[position:position] = extra
        for new in extra:
            _inherit(run, rule, new)
        if weight is not None and weight > 0:
            primary = rule.backend_refs[0]
            primary.weight = total - weight
            rule.backend_refs.append(
                dataclasses.replace(canary, weight=weight, provenance=list(canary.provenance))
            )
        report.record(
            model.source, path.field, Status.CONVERTED, targets=[route.ref], provider=PROVIDER
        )
        for name in ("canary", "canary-weight", "canary-weight-total"):
            if name != "canary-weight-total" or weight:
                ann.converted(name, [route])
        if header is None and cookie is None and not weight:
            report.warning(
                "nginx-canary-no-primary",
                "this canary has no header, cookie or positive weight, so it receives no traffic",
                source=model.source,
                provider=PROVIDER,
            )
    if not matched_any:
        for name in _CANARY_KEYS:
            ann.ignored([name], "the canary matches no primary path")
    for name in ("canary-weight-total",):
        ann.ignored([name], "has no effect without a positive canary-weight")
    for name in ("canary-by-header-value", "canary-by-header-pattern"):
        ann.ignored([name], "has no effect without canary-by-header")
    _ignore_rest(ann, model)


def _inherit(run: Run, primary: Rule, new: Rule) -> None:
    if id(primary) in run.ssl_exempt:
        run.ssl_exempt.add(id(new))
    if id(primary) in run.forced:
        run.forced[id(new)] = run.forced[id(primary)]
    if id(primary) in run.redirect_codes:
        run.redirect_codes[id(new)] = run.redirect_codes[id(primary)]


def _rule(
    primary: Rule, header: HeaderMatch, backend: BackendRef, provenance: list[Provenance]
) -> Rule:
    return Rule(
        matches=[dataclasses.replace(m, headers=(*m.headers, header)) for m in primary.matches],
        backend_refs=[
            dataclasses.replace(backend, weight=None, provenance=list(backend.provenance))
        ],
        filters=list(primary.filters),
        request_timeout=primary.request_timeout,
        backend_request_timeout=primary.backend_request_timeout,
        extensions=list(primary.extensions),
        provenance=list(provenance) + list(primary.provenance),
        sources=list(primary.sources),
    )


def _extra_rules(
    run: Run, ann: Ann, primary: Rule, canary: BackendRef, header: str | None, cookie: str | None
) -> list[Rule]:
    main = primary.backend_refs[0]
    rules: list[Rule] = []
    if header is not None:
        prov = ann.prov("canary-by-header", "canary-by-header-value", "canary-by-header-pattern")
        value = ann.text("canary-by-header-value")
        pattern = ann.text("canary-by-header-pattern")
        if value is not None:
            rules.append(_rule(primary, HeaderMatch(header, value), canary, prov))
            ann.record(
                "canary-by-header-pattern",
                Status.IGNORED,
                "canary-by-header-value takes precedence",
            )
        elif pattern is not None:
            problem = re2_problem(pattern)
            if problem:
                ann.invalid("canary-by-header-pattern", f"{pattern!r} {problem}")
            else:
                rules.append(
                    _rule(primary, HeaderMatch(header, pattern, "RegularExpression"), canary, prov)
                )
        if value is None and (pattern is None or not rules):
            rules.append(_rule(primary, HeaderMatch(header, "always"), canary, prov))
        rules.append(_rule(primary, HeaderMatch(header, "never"), main, prov))
    if cookie is not None:
        prov = ann.prov("canary-by-cookie")
        escaped = re.escape(cookie)
        for word, backend in (("always", canary), ("never", main)):
            regex = f"(.*;\\s*)?{escaped}={word}(;.*)?"
            rules.append(
                _rule(primary, HeaderMatch("Cookie", regex, "RegularExpression"), backend, prov)
            )
        ann.record(
            "canary-by-cookie",
            Status.PARTIAL,
            "matched as a regular expression on the Cookie header (approximates nginx's cookie parsing)",
        )
    return rules


def _ignore_rest(ann: Ann, model: IngressModel) -> None:
    prefix = ann.run.prefix
    for key in sorted(model.obj.annotations):
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if name in _CANARY_KEYS or name.startswith(_KEPT_ON_CANARY):
            continue
        ann.ignored([name], "ingress-nginx ignores this annotation on a canary Ingress")
    source = model.source
    report = ann.report
    for tls in model.tls:
        if not report.has_entry(source, tls.field):
            report.record(
                source,
                tls.field,
                Status.IGNORED,
                note="a canary Ingress's TLS is not used",
                provider=PROVIDER,
            )
    if model.default_backend_field and not report.has_entry(source, model.default_backend_field):
        report.record(
            source,
            model.default_backend_field,
            Status.IGNORED,
            note="not used on a canary Ingress",
            provider=PROVIDER,
        )
    if model.class_field:
        report.record(source, model.class_field, Status.CONVERTED, provider=PROVIDER)
    for index, host in model.rule_hosts:
        if host is not None:
            report.record(
                source,
                f"spec.rules[{index}].host",
                Status.CONVERTED,
                note="host of the canary's primary",
                provider=PROVIDER,
            )
