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

from ingress2gateway.converting.ingress import (
    IngressModel,
    IngressPath,
    ServiceBackend,
    service_ports,
)
from ingress2gateway.converting.lowering import GATEWAY_GROUP
from ingress2gateway.ir import (
    BackendRef,
    HeaderMatch,
    HTTPRoute,
    Provenance,
    ReferenceGrant,
    Rule,
    made_from,
)
from ingress2gateway.reporting.report import Level, Status

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


_Upstream = tuple[str | None, str, int | None]
"""An ingress-nginx upstream: namespace, Service, port (``upstreamName``)."""


_PathKey = tuple[str | None, str, str]


def _path_key(path: IngressPath) -> _PathKey:
    """How ``mergeAlternativeBackends`` compares a canary path with a location: host, raw path
    and path type (ImplementationSpecific is read as Prefix, as the controller does)."""
    kind = "Exact" if path.path_type == "Exact" else "Prefix"
    return (path.host, path.path or "/", kind)


def _locations(run: Run) -> dict[_PathKey, list[tuple[IngressModel, IngressPath]]]:
    """The primary Ingress paths that made each location, oldest first: the first defines it
    (with a Gateway per namespace, the first of each namespace defines its Gateway's)."""
    found: dict[_PathKey, list[tuple[IngressModel, IngressPath]]] = {}
    for model in run.models:
        for path in model.paths:
            found.setdefault(_path_key(path), []).append((model, path))
    return found


def _located(
    found: list[tuple[IngressModel, IngressPath]] | None, namespace: str | None
) -> tuple[IngressModel, IngressPath] | None:
    """The location a canary joins: its own namespace's (a Gateway per namespace), else the
    one the controller's single server has, the oldest."""
    if not found:
        return None
    return next((pair for pair in found if pair[0].namespace == namespace), found[0])


def _upstream(route: HTTPRoute, backend: BackendRef) -> _Upstream:
    return (backend.namespace or route.namespace, backend.name, backend.port)


def _rules_by_upstream(run: Run) -> dict[_Upstream, list[tuple[HTTPRoute, Rule]]]:
    """Every rule that proxies to one upstream: a canary joins the upstream, so it applies to
    every location that uses it (``mergeAlternativeBackend``; ``balancer.lua`` decides per
    upstream)."""
    found: dict[_Upstream, list[tuple[HTTPRoute, Rule]]] = {}
    for route in run.lowered.routes:
        for rule in route.rules:
            if len(rule.backend_refs) == 1 and rule.backend_refs[0].kind == "Service":
                key = _upstream(route, rule.backend_refs[0])
                found.setdefault(key, []).append((route, rule))
    return found


def apply(run: Run) -> None:
    if not run.canaries:
        return
    locations = _locations(run)
    upstreams = _rules_by_upstream(run)
    claimed: dict[_Upstream, IngressModel] = {}
    ports = service_ports(run.ctx.objects)
    for model in run.canaries:
        _apply_one(run, model, locations, upstreams, claimed, ports)


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
    locations: dict[_PathKey, list[tuple[IngressModel, IngressPath]]],
    upstreams: dict[_Upstream, list[tuple[HTTPRoute, Rule]]],
    claimed: dict[_Upstream, IngressModel],
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

    if model.default_backend is not None and model.default_backend_field:
        matched_any = _catch_all(
            run, ann, model, upstreams, claimed, ports, (header, cookie, weight, total)
        )
    for path in model.paths:
        located = _located(locations.get(_path_key(path)), model.namespace)
        primary = _primary_upstream(run, located) if located is not None else None
        if primary is None:
            skip(
                path,
                Level.WARNING,
                "nginx-canary-no-primary",
                f"no non-canary Ingress routes {path.path_type} {path.path or '/'} on host "
                f"{path.host or '*'}; ingress-nginx ignores a canary without a primary, and so "
                "does the conversion",
                Status.IGNORED,
            )
            continue
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
        mine = (model.namespace, canary.name, canary.port)
        if located is not None and not _reaches(run, located, mine):
            report.record(
                model.source,
                path.field,
                Status.IGNORED,
                note="the canary's Service is the primary of a location of its host (listed "
                "before this path's): ingress-nginx merges nothing",
                provider=PROVIDER,
            )
            continue
        first = claimed.setdefault(primary, model)
        if first is not model:
            skip(
                path,
                Level.WARNING,
                "nginx-canary-no-primary",
                f"Service {primary[1]} (port {primary[2]}) already has the canary of Ingress "
                f"{first.namespace}/{first.name}; ingress-nginx uses only an upstream's first "
                "alternative backend",
                Status.IGNORED,
            )
            continue
        matched_any = True
        joined: list[HTTPRoute] = []
        for route, rule in upstreams.get(primary, []):
            _join(run, ann, route, rule, canary, model, path.field, header, cookie, weight, total)
            joined.append(route)
        report.record(model.source, path.field, Status.CONVERTED, provider=PROVIDER)
        for route in joined:
            made_from(route, Provenance(model.source, path.field))
        _credit(ann, list(dict.fromkeys(joined)), header, cookie, weight)
    if not matched_any:
        for name in _CANARY_KEYS:
            ann.ignored([name], "the canary matches no primary path")
    for name in ("canary-weight-total",):
        ann.ignored([name], "has no effect without a positive canary-weight")
    for name in ("canary-by-header-value", "canary-by-header-pattern"):
        ann.ignored([name], "has no effect without canary-by-header")
    _ignore_rest(ann, model)


def _credit(
    ann: Ann, targets: list[HTTPRoute], header: str | None, cookie: str | None, weight: int | None
) -> None:
    """The canary's annotations went into ``targets`` (a path or its default backend joined)."""
    if header is not None:
        ann.converted("canary-by-header", targets)
        if ann.has("canary-by-header-value"):
            ann.converted("canary-by-header-value", targets)
        elif not ann.report.has_entry(ann.model.source, ann.field("canary-by-header-pattern")):
            ann.converted("canary-by-header-pattern", targets)
    for name in ("canary", "canary-weight", "canary-weight-total"):
        if name != "canary-weight-total" or weight:
            ann.converted(name, targets)
    if header is None and cookie is None and not weight:
        ann.report.warning(
            "nginx-canary-no-primary",
            "this canary has no header, cookie or positive weight, so it receives no traffic",
            source=ann.model.source,
            provider=PROVIDER,
        )


_Traffic = tuple[str | None, str | None, int | None, int]
"""A canary's header, cookie, weight and weight total."""


def _catch_all(
    run: Run,
    ann: Ann,
    model: IngressModel,
    upstreams: dict[_Upstream, list[tuple[HTTPRoute, Rule]]],
    claimed: dict[_Upstream, IngressModel],
    ports: dict[tuple[str | None, str], dict[str, int]],
    traffic: _Traffic,
) -> bool:
    """A canary's ``defaultBackend`` joins the upstream of every location of the catch-all
    server, in the order the controller made them, until one whose upstream is the canary's
    own (``mergeAlternativeBackends``: "merge catch-all alternative backends";
    ``canMergeBackend``). Whether it joined any."""
    field = model.default_backend_field or "spec.defaultBackend"
    report = run.ctx.report
    canary = _canary_backend(ann, model.default_backend, field, ports)
    if canary is None:
        report.flag(
            Level.ERROR,
            "backend-port-unresolved",
            "the canary's default backend port cannot be resolved",
            Status.UNSUPPORTED,
            source=model.source,
            field=field,
            provider=PROVIDER,
        )
        return False
    mine = (model.namespace, canary.name, canary.port)
    joined: list[HTTPRoute] = []
    for primary in _catch_all_upstreams(run):
        if primary == mine:
            break  # altEqualsPri: the canary's Service is a primary of the catch-all server
        if claimed.setdefault(primary, model) is not model:
            continue  # only an upstream's first alternative backend counts
        for route, rule in upstreams.get(primary, []):
            header, cookie, weight, total = traffic
            _join(run, ann, route, rule, canary, model, field, header, cookie, weight, total)
            joined.append(route)
    if not joined:
        report.flag(
            Level.WARNING,
            "nginx-canary-no-primary",
            "the canary's default backend finds no location of the catch-all server to join; "
            "ingress-nginx ignores it, and so does the conversion",
            Status.IGNORED,
            source=model.source,
            field=field,
            provider=PROVIDER,
        )
        return False
    targets = list(dict.fromkeys(joined))
    report.record(model.source, field, Status.CONVERTED, provider=PROVIDER)
    for route in targets:
        made_from(route, Provenance(model.source, field))
    _credit(ann, targets, traffic[0], traffic[1], traffic[2])
    return True


def _catch_all_upstreams(run: Run) -> list[_Upstream]:
    """The upstreams of the catch-all server's locations in the controller's order: the root
    location of the oldest Ingress with a defaultBackend and no rules (``createServers``),
    then the paths of rules without a host, oldest Ingress first."""
    found: list[_Upstream] = []
    for model in run.models:
        if model.default_backend is not None and not model.rule_hosts:
            field = model.default_backend_field or "spec.defaultBackend"
            upstream = _upstream_of(run, model, field)
            if upstream is not None:
                found.append(upstream)
            break
    for model in run.models:
        for path in model.paths:
            if path.host is None:
                upstream = _upstream_of(run, model, path.field)
                if upstream is not None and upstream not in found:
                    found.append(upstream)
    return found


def _reaches(run: Run, located: tuple[IngressModel, IngressPath], canary: _Upstream) -> bool:
    """Whether ``mergeAlternativeBackends``, going through the server's locations in order,
    reaches the primary's location before one whose upstream is the canary's own (there it
    stops: ``altEqualsPri``)."""
    owner, target = located
    per_namespace = run.ctx.options.gateway_per_namespace
    for model in run.models:
        if per_namespace and model.namespace != owner.namespace:
            continue
        for path in model.paths:
            if path.host != target.host:
                continue
            if model is owner and path is target:
                return True
            if _primary_upstream(run, (model, path)) == canary:
                return False
    return True


def _primary_upstream(run: Run, located: tuple[IngressModel, IngressPath]) -> _Upstream | None:
    """The upstream of the location a primary path made (None: the path was not converted)."""
    model, path = located
    return _upstream_of(run, model, path.field)


def _upstream_of(run: Run, model: IngressModel, field: str) -> _Upstream | None:
    """The upstream of the rule made from ``field`` of ``model`` (a path, a defaultBackend)."""
    for route, rule in run.lowered.rules_of(model.source):
        if len(rule.backend_refs) != 1:
            continue
        if any(p.source == model.source and p.field == field for p in rule.provenance):
            return _upstream(route, rule.backend_refs[0])
    return None


def _join(
    run: Run,
    ann: Ann,
    route: HTTPRoute,
    rule: Rule,
    canary: BackendRef,
    model: IngressModel,
    field: str,
    header: str | None,
    cookie: str | None,
    weight: int | None,
    total: int,
) -> None:
    """The canary on one rule of its upstream: header and cookie rules before it, the weight
    on it."""
    mine = dataclasses.replace(canary, provenance=list(canary.provenance))
    if model.namespace != route.namespace:
        _across_namespaces(run, route, mine, Provenance(model.source, field))
    extra = _extra_rules(run, ann, rule, mine, header, cookie)
    position = route.rules.index(rule)
    route.rules[position:position] = extra
    for new in extra:
        _inherit(run, rule, new)
    if weight is not None and weight > 0:
        rule.backend_refs[0].weight = total - weight
        rule.backend_refs.append(
            dataclasses.replace(mine, weight=weight, provenance=list(mine.provenance))
        )


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
        elif pattern is not None and not _pcre_compiles(pattern):
            # balancer.lua: ngx.re.match fails ("error when matching
            # canary-by-header-pattern") and route_to_alternative_balancer returns false: a
            # request carrying the header goes to the mainline, before the cookie is looked at.
            rules.append(_rule(primary, HeaderMatch(header, ".*", "RegularExpression"), main, prov))
            ann.notify(
                "warning",
                "nginx-annotation-invalid",
                "canary-by-header-pattern",
                f"{ann.key('canary-by-header-pattern')}: {pattern!r} is not a regular expression "
                "nginx can compile, so every request carrying the header goes to the mainline "
                "(as the controller's balancer does), whatever its cookie",
            )
        elif pattern is not None:
            # balancer.lua: ngx.re.match(header, pattern) finds the pattern anywhere in the
            # value; a Gateway API (Envoy) regular expression must match the whole value.
            head = "" if pattern.startswith("^") else ".*"
            tail = "" if pattern.endswith("$") and not pattern.endswith("\\$") else ".*"
            search = f"{head}(?:{pattern}){tail}" if head or tail else pattern
            problem = re2_problem(search)
            if problem:
                ann.invalid("canary-by-header-pattern", f"{pattern!r} {problem}")
            else:
                rules.append(
                    _rule(primary, HeaderMatch(header, search, "RegularExpression"), canary, prov)
                )
        else:
            # "always" and "never" mean something only without a value or a pattern; with
            # one, any other value falls through to the cookie, then the weight.
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


def _pcre_compiles(pattern: str) -> bool:
    """Whether nginx's PCRE compiles ``pattern`` (approximated by Python's ``re``: both are
    backtracking engines with Perl syntax)."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


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
