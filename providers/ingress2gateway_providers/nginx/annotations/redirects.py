"""Redirects: ``ssl-redirect``, ``force-ssl-redirect``, ``permanent-redirect``(``-code``),
``temporal-redirect``(``-code``), ``app-root``, ``from-to-www-redirect``.

* **HTTPS redirect.** ingress-nginx redirects plain-HTTP requests for a host that has TLS (from
  any Ingress) with 308 — ``ssl-redirect`` defaults to true. The conversion gives such a host two
  routes: the HTTPS route, attached only to the HTTPS listener, and an ``…-http`` route attached
  only to the HTTP listener, whose rules redirect to ``https`` (a redirect can never loop, as it is
  not reachable over HTTPS). Paths of an Ingress with ``ssl-redirect: "false"`` are copied to the
  HTTP route unchanged, and so are paths that start with ``/.well-known/acme-challenge`` (the
  controller's ``no-tls-redirect-locations``, which exempts a location by its own path: a
  challenge only a ``/`` path serves is redirected). ``force-ssl-redirect: "true"`` redirects the
  Ingress's paths even when the host has no certificate. NGINX Inc Ingresses use their own code
  (``nginx.org/http-redirect-code``, default 301). ingress-nginx drops a trailing slash from the
  URL it redirects to (unless ``preserve-trailing-slash``); the migrated redirect keeps it, and
  ``nginx-redirect-trailing-slash`` says so once per Ingress.
* Redirects of the rewrite phase come first: ``app-root``, ``permanent-redirect`` /
  ``temporal-redirect`` and an absolute ``rewrite-target`` answer on HTTP as on HTTPS (their
  rules are copied to the HTTP route before its HTTPS redirect).
* The host's catch-all location ``/`` carries the annotations of the oldest Ingress of the host
  (unless an Ingress has a Prefix ``/`` path): when they redirect, a last rule matching ``/``
  redirects every request no path takes.
* ``permanent-redirect`` / ``temporal-redirect`` (temporal wins, as in the controller): the URL is
  parsed into scheme, host, port and path (``ReplaceFullPath``); query strings and nginx variables
  cannot be carried. Codes default to 301 / 302.
* ``app-root``: a 302 redirect of exactly ``/`` to the path, as a rule before the others, on
  the hosts where the Ingress's location is the one that takes ``/`` (its own ``/`` path, or
  the host's catch-all when it is the host's oldest Ingress and nobody has a ``/`` path).
* ``from-to-www-redirect``: an extra HTTPRoute for the twin host (``www.<host>`` ↔ ``<host>``),
  with its own HTTP listener, redirecting to the host (keeping the scheme) with the
  ConfigMap's ``http-redirect-code`` (308); and an HTTPS listener with the host's certificate
  when a ``spec.tls`` entry names the twin (the controller serves the twin over HTTPS when the
  host's certificate covers it). Like the HTTPS redirect, it dropped a trailing slash.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from urllib.parse import urlsplit

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import tls_covers
from ingress2gateway.ir import (
    Gateway,
    HeaderMatch,
    HTTPRoute,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    PathModifier,
    Provenance,
    RequestRedirect,
    Rule,
    URLRewrite,
    made_from,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Status

from ._base import Ann, ListenerNames, Run, listener_of, looks_injected, rules_of
from .inc_hosts import is_nginx_inc

ACME = "/.well-known/acme-challenge"
SSL_REDIRECT_CODE = 308
_REDIRECT_CODES = (301, 302, 303, 307, 308)


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    pairs = rules_of(run, model)
    _mark_ssl(run, ann, pairs)
    _explicit_redirect(ann, pairs)
    _app_root(run, ann, pairs)


def _mark_ssl(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    config = run.config
    force = ann.flag("force-ssl-redirect", config.force_ssl_redirect)
    keep_http = ann.flag("ssl-redirect", config.ssl_redirect) is False
    for _, rule in pairs:
        if force:
            run.forced[id(rule)] = ann.prov("force-ssl-redirect")
        elif keep_http:
            run.ssl_exempt.add(id(rule))


def parse_redirect_url(ann: Ann, name: str) -> RequestRedirect | None:
    value = ann.text(name)
    if value is None:
        return None
    if looks_injected(value):
        ann.invalid(
            name,
            "contains characters of nginx configuration or variables (possible injection)",
            True,
        )
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        ann.invalid(name, f"{value!r} is not a URL")
        return None
    if name == "permanent-redirect" and value.startswith("/") and not value.startswith("//"):
        # redirect.go checks no URL of permanent-redirect; nginx's ``return 301 /path`` makes
        # the Location absolute with the request's scheme, host and port (absolute_redirect
        # on; with relative-redirects the client resolves it to the same URL).
        redirect = RequestRedirect(
            path=PathModifier("ReplaceFullPath", parts.path or "/"), provenance=ann.prov(name)
        )
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        ann.invalid(name, f"{value!r} is not an absolute http(s) URL")
        return None
    else:
        redirect = RequestRedirect(
            scheme=parts.scheme,
            hostname=parts.hostname,
            port=port,
            path=PathModifier("ReplaceFullPath", parts.path or "/"),
            provenance=ann.prov(name),
        )
    if parts.query or parts.fragment:
        ann.notify(
            "warning",
            "annotation-unsupported",
            name,
            f"{ann.key(name)}: the query/fragment of {value!r} cannot be set by a Gateway API redirect; "
            "it is dropped",
        )
        ann.record(name, Status.PARTIAL, "query string and fragment dropped")
    return redirect


def _explicit_redirect(ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    chosen: str | None = None
    for name, default in (("temporal-redirect", 302), ("permanent-redirect", 301)):
        if not ann.has(name):
            continue
        if chosen is not None:
            ann.record(
                name, Status.IGNORED, f"{ann.key(chosen)} takes precedence, as in ingress-nginx"
            )
            ann.record(f"{name}-code", Status.IGNORED, f"{ann.key(chosen)} takes precedence")
            continue
        redirect = parse_redirect_url(ann, name)
        if redirect is None:
            ann.ignored([f"{name}-code"], f"{ann.key(name)} is not converted")
            continue
        chosen = name
        code = default
        if ann.has(f"{name}-code"):
            wanted = ann.integer(f"{name}-code")
            if wanted in _REDIRECT_CODES:
                code = wanted
                redirect.provenance += ann.prov(f"{name}-code")
            elif wanted is not None:
                ann.invalid(
                    f"{name}-code", f"{wanted} is not a redirect status code; {default} is used"
                )
        redirect.status_code = code
        ann.run.root_redirects[id(ann.model)] = redirect
        for route, rule in pairs:
            rule.filters = [dataclasses.replace(redirect, provenance=list(redirect.provenance))]
            rule.backend_refs = []
            ann.run.redirects_first.add(id(rule))
            ann.converted(name, [route])
            ann.converted(f"{name}-code", [route])
    for name in ("temporal-redirect-code", "permanent-redirect-code"):
        if chosen is None or not name.startswith(chosen):
            ann.ignored([name], "has no effect without its redirect annotation")


def _app_root(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    target = ann.text("app-root")
    if target is None:
        return
    if not target.startswith("/") or looks_injected(target) or " " in target:
        ann.invalid("app-root", f"{target!r} is not a path (absolute URLs are not allowed)")
        return
    seen: set[int] = set()
    for route, _ in pairs:
        if id(route) in seen:
            continue
        seen.add(id(route))
        host = route.hostnames[0] if route.hostnames else None
        taker = _takes_root(run, host)
        if taker is not ann.model:
            where = f"{host or 'the default server'}"
            ann.record(
                "app-root",
                Status.IGNORED,
                f"on {where}, / is taken by a path of Ingress {taker.namespace}/{taker.name}"
                if taker is not None
                else f"no location of {where} takes /",
            )
            continue
        redirect = RequestRedirect(
            path=PathModifier("ReplaceFullPath", target),
            status_code=302,
            provenance=ann.prov("app-root"),
        )
        rule = Rule(
            matches=[Match(path=PathMatch("Exact", "/"))],
            filters=[redirect],
            provenance=ann.prov("app-root"),
            sources=[ann.model.source],
        )
        route.rules.insert(0, rule)
        run.redirects_first.add(id(rule))
        run.lowered.rules_by_source.setdefault(ann.model.source, []).append((route, rule))
        ann.converted("app-root", [route])


def _takes_root(run: Run, host: str | None) -> IngressModel | None:
    """The Ingress whose location takes the request ``/`` on ``host`` (``app-root`` is an
    ``if ($uri = /)`` inside each location of its Ingress): the oldest with an Exact ``/``
    path, else the oldest with a Prefix ``/`` path, else the oldest Ingress of the host, whose
    annotations the host's catch-all location has (``createServers``)."""
    models = run.models_of_host(host)
    for exact in (True, False):
        for model in models:
            if any(
                p.host == host and p.path == "/" and (p.path_type == "Exact") == exact
                for p in model.paths
            ):
                return model
    return models[0] if models else None


# --- nginx's own redirect to a prefix location's slash ---------------------------------------


def apply_slash_redirects(run: Run) -> None:
    """nginx answers a URI that is a proxying prefix location's name without its trailing slash
    (``/docs`` for ``location /docs/``) with a 301 to the name, before any other location is
    tried (``ngx_http_core_find_static_location``, auto_redirect; the ``proxy_pass``
    documentation), unless a location takes the URI exactly: Gateway API's ``PathPrefix
    /docs/`` would forward it. A path ``/docs/`` (Prefix or ImplementationSpecific) gets an
    Exact ``/docs`` rule redirecting there, unless a path of the host is ``/docs`` itself or
    the host is in regex mode (every location is then a regular expression)."""
    for model in run.models:
        for path in model.paths:
            value = path.path
            if (
                path.path_type == "Exact"
                or len(value) < 2
                or not value.endswith("/")
                or path.host in run.regex_hosts
            ):
                continue
            bare = value[:-1]
            if any(p.path == bare for m in run.models_of_host(path.host) for p in m.paths):
                continue
            _slash_redirect(run, model, path.field, bare, value)


def _slash_redirect(run: Run, model: IngressModel, field: str, bare: str, slashed: str) -> None:
    for route, rule in rules_of(run, model):
        if not any(p.field == field for p in rule.provenance):
            continue
        if not any(m.path is not None and m.path.type == "PathPrefix" for m in rule.matches):
            return
        if any(m.path == PathMatch("Exact", bare) for r in route.rules for m in r.matches):
            return
        prov = [Provenance(model.source, field)]
        redirect = Rule(
            matches=[Match(path=PathMatch("Exact", bare))],
            filters=[
                RequestRedirect(
                    path=PathModifier("ReplaceFullPath", slashed),
                    status_code=301,
                    provenance=list(prov),
                )
            ],
            provenance=prov,
            sources=[model.source],
        )
        route.rules.insert(route.rules.index(rule), redirect)
        run.redirects_first.add(id(redirect))
        run.lowered.rules_by_source.setdefault(model.source, []).append((route, redirect))
        return


# --- from-to-www ---------------------------------------------------------------------------


def apply_hosts(run: Run) -> None:
    _root_redirects(run)
    _www_redirects(run)


def _root_redirects(run: Run) -> None:
    """A host's catch-all location ``/`` has the annotations of the Ingress that created the
    server (the oldest with a rule for the host), unless some Ingress has a Prefix ``/`` path
    there (``createServers``): when those annotations redirect, every request no path takes
    is redirected too. That is a last rule matching ``/`` in the owner's route."""
    if not run.root_redirects:
        return
    hosts = {h for m in run.models for h in m.hosts()}
    for host in sorted(hosts, key=lambda h: h or ""):
        owners = run.models_of_host(host)
        if not owners or id(owners[0]) not in run.root_redirects:
            continue
        if any(
            p.host == host and p.path == "/" and p.path_type != "Exact"
            for m in owners
            for p in m.paths
        ):
            continue
        owner = owners[0]
        redirect = run.root_redirects[id(owner)]
        route = next((r for r, _ in rules_of(run, owner) if host in r.hostnames), None)
        if route is None and host is None:
            route = next((r for r, _ in rules_of(run, owner) if not r.hostnames), None)
        if route is None:
            continue
        rule = Rule(
            matches=[Match(path=PathMatch("PathPrefix", "/"))],
            filters=[dataclasses.replace(redirect, provenance=list(redirect.provenance))],
            provenance=list(redirect.provenance),
            sources=[owner.source],
        )
        route.rules.append(rule)
        run.redirects_first.add(id(rule))
        run.lowered.rules_by_source.setdefault(owner.source, []).append((route, rule))


def _www_redirects(run: Run) -> None:
    """``from-to-www-redirect`` adds a route (and listener) for the twin host of each host."""
    done: set[str] = set()
    listener_names = ListenerNames()  # only this adds listeners while it runs
    for model in run.models:
        ann = run.ann(model)
        if not ann.flag("from-to-www-redirect", False):
            continue
        gateway = run.lowered.gateway_of.get(model.source)
        for host in model.hosts():
            if host is None or host.startswith("*.") or gateway is None:
                ann.record("from-to-www-redirect", Status.IGNORED, "needs a named host")
                continue
            twin = host[4:] if host.startswith("www.") else f"www.{host}"
            if run.models_of_host(twin):
                ann.record(
                    "from-to-www-redirect",
                    Status.IGNORED,
                    f"{twin} is routed by an Ingress itself, so ingress-nginx adds no redirect",
                )
                continue
            if twin in done:
                continue
            done.add(twin)
            route = _www_route(run, ann, gateway, listener_names.of(gateway), twin, host)
            ann.converted("from-to-www-redirect", [route, gateway])
            _say_trailing_slash(
                run, model, "www", f"http://{twin}/docs/ went to http://{host}/docs", ""
            )


def _www_route(
    run: Run, ann: Ann, gateway: Gateway, names: set[str], twin: str, host: str
) -> HTTPRoute:
    """The redirect route of ``twin`` and its listener, named apart from ``names`` (the
    Gateway's listener names, which it joins)."""
    listener = Listener(
        name=naming.free_name(f"{naming.host_slug(twin)}-http", f"www/{twin}", names),
        port=80,
        protocol="HTTP",
        hostname=twin,
        provenance=ann.prov("from-to-www-redirect"),
    )
    listeners = [listener]
    certificate = _twin_certificate(run, gateway, host, twin)
    if certificate is not None:
        listeners.append(
            Listener(
                name=naming.free_name(f"{naming.host_slug(twin)}-https", f"www/{twin}", names),
                port=443,
                protocol="HTTPS",
                hostname=twin,
                tls_mode="Terminate",
                certificate_refs=list(certificate.certificate_refs),
                provenance=ann.prov("from-to-www-redirect") + list(certificate.provenance),
            )
        )
    namespace = ann.model.namespace
    for item in listeners:
        if namespace != gateway.namespace:
            item.allowed_namespaces.add(namespace)
        gateway.listeners.append(item)
        names.add(item.name)
    prov = ann.prov("from-to-www-redirect")
    route = HTTPRoute(
        name=run.ctx.allocator("HTTPRoute", namespace).allocate(
            f"{ann.model.name}-{naming.host_slug(twin)}-redirect", f"www/{twin}"
        ),
        namespace=namespace,
        hostnames=[twin],
        parent_refs=[gateway.parent_ref(namespace, item.name) for item in listeners],
        rules=[
            Rule(
                filters=[
                    RequestRedirect(
                        hostname=host, status_code=run.config.redirect_code, provenance=prov
                    )
                ],
                provenance=prov,
                sources=[ann.model.source],
            )
        ],
        provenance=prov,
    )
    run.ctx.ir.routes.append(route)
    return route


def _twin_certificate(run: Run, gateway: Gateway, host: str, twin: str) -> Listener | None:
    """The HTTPS listener of ``host`` when the twin answers over HTTPS too: the controller
    gives the redirect server the host's certificate when that certificate names the twin
    (``BuildRedirects``: ``IsValidHostname(from, SSLCert.CN)``). The certificate is not in the
    input: a ``spec.tls`` entry listing the twin (or a wildcard over it) says it does."""
    https = next(
        (x for x in gateway.listeners if x.hostname == host and x.protocol == "HTTPS"), None
    )
    if https is None:
        return None
    for model in run.models:
        for tls in model.tls:
            if any(tls_covers(name, twin) for name in tls.hosts):
                return https
    return None


# --- HTTPS redirect: one route per listener ------------------------------------------------


def _copy_rule(rule: Rule, matches: list[Match] | None = None) -> Rule:
    filters = list(rule.filters)
    if matches is not None:
        # A prefix replacement is tied to the original prefix; it cannot follow a new match.
        filters = [
            f
            for f in filters
            if not (isinstance(f, URLRewrite) and f.path and f.path.type == "ReplacePrefixMatch")
        ]
    return Rule(
        matches=list(rule.matches) if matches is None else matches,
        backend_refs=[
            dataclasses.replace(b, provenance=list(b.provenance)) for b in rule.backend_refs
        ],
        filters=filters,
        request_timeout=rule.request_timeout,
        backend_request_timeout=rule.backend_request_timeout,
        extensions=list(rule.extensions),
        provenance=list(rule.provenance),
        sources=list(rule.sources),
    )


def _serves(match: Match, path: str) -> int | None:
    """How specifically ``match`` matches ``path`` (higher wins), or None."""
    if match.headers or match.query_params or match.method or match.path is None:
        return None if match.path is not None or match.headers else 0
    value = match.path.value
    if match.path.type == "Exact":
        return 10_000 if value == path else None
    if match.path.type == "PathPrefix":
        trimmed = value.rstrip("/")
        if path == trimmed or path.startswith(trimmed + "/") or value == "/":
            return len(trimmed) + 1
        return None
    flags = re.IGNORECASE if value.startswith("(?i)") else 0
    pattern = value.removeprefix("(?i)")
    if "|" not in pattern:
        # A full match must start with the pattern's leading literal text: most regex paths
        # (one per Ingress path in regex mode) are ruled out without compiling them.
        literal = _LEADING_LITERAL.match(pattern)
        head = literal.group() if literal else ""
        if head and not (path.lower() if flags else path).startswith(
            head.lower() if flags else head
        ):
            return None
    try:
        return 1 if re.fullmatch(pattern, path, flags) else None
    except re.error:
        return None


_LEADING_LITERAL = re.compile(r"[^.\[\](){}|?+*^$\\]*")


def _exempt_by_path(run: Run, rule: Rule) -> bool:
    """Whether the rule's path starts with an entry of ``no-tls-redirect-locations``
    (``/.well-known/acme-challenge`` by default): ingress-nginx exempts a *location* by its
    path (``isLocationInLocationList``), so a challenge that only a ``/`` location serves is
    redirected like any other request. NGINX Inc exempts nothing."""
    if id(rule) in run.inc_rules:
        return False
    for match in rule.matches:
        if match.path is None:
            continue
        value = match.path.value.removeprefix("(?i)").removeprefix("^")
        if any(value.startswith(item) for item in run.config.no_tls_redirect_locations):
            return True
    return False


def split_https(run: Run) -> None:
    """Give every TLS host an HTTPS-only route and an HTTP route that redirects."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[_Split]] = defaultdict(list)
    for route in run.lowered.routes:
        listeners = [(p, listener_of(run, route, p)) for p in route.parent_refs]
        https = [(p, lst) for p, lst in listeners if lst is not None and lst.protocol == "HTTPS"]
        http = [p for p, lst in listeners if lst is not None and lst.protocol == "HTTP"]
        if not https:
            passed = [run.passed_through.get(h) for h in route.hostnames]
            if route.hostnames and all(passed) and http:
                _redirect_passed_through(run, route, [p for ps in passed if ps for p in ps])
            else:
                _force_without_tls(run, route)
            continue
        route.parent_refs = [p for p, _ in https]
        # The redirect's code is a property of the TLS setup: its ledger entry is the TLS field.
        tls_provenance = [item for _, lst in https for item in lst.provenance]
        # Routes share an HTTP redirect route when they share its listeners (one Gateway for
        # every namespace); each namespace's own Gateway gets its own.
        key = (
            tuple(route.hostnames),
            tuple(f"{p.namespace or route.namespace}/{p.name}/{p.section_name}" for p in http),
        )
        groups[key].append(_Split(route, http, tls_provenance))
    order = {m.source: i for i, m in enumerate(run.models)}
    for (hostnames, _), splits in groups.items():
        splits.sort(
            key=lambda s: min(
                (order.get(src, 0) for r in s.route.rules for src in r.sources), default=0
            )
        )
        _http_routes(run, list(hostnames), splits)


@dataclasses.dataclass
class _Split:
    route: HTTPRoute
    http_parents: list[ParentRef]
    tls_provenance: list[Provenance]


def _code(run: Run, rule: Rule) -> int:
    return run.redirect_codes.get(id(rule), run.config.redirect_code)


def redirect_rule(rule: Rule, code: int, tls_provenance: list[Provenance]) -> Rule:
    return Rule(
        matches=list(rule.matches),
        filters=[
            RequestRedirect(scheme="https", status_code=code, provenance=list(tls_provenance))
        ],
        provenance=list(rule.provenance),
        sources=list(rule.sources),
    )


def _http_routes(run: Run, hostnames: list[str], splits: list[_Split]) -> None:
    rules = [rule for split in splits for rule in split.route.rules]
    exempt = [r for r in rules if _exempt(run, r)]
    exempt_ids = {id(r) for r in exempt}  # a host of 200 Ingresses has ~500 rules
    kept_ids = exempt_ids | {id(r) for r in rules if id(r) in run.redirects_first}
    codes = {_code(run, r) for r in rules}
    tls_provenance = splits[0].tls_provenance
    behind_proxy = _forwarded_https(run)
    if not exempt and len(codes) == 1 and len(kept_ids) < 16 and not behind_proxy:
        # Every path redirects: one catch-all rule, in the oldest Ingress's namespace, after
        # the rules whose own redirect comes first (they are more specific, or earlier).
        provenance = [p for r in rules for p in r.provenance]
        http_rules = [_copy_rule(r) for r in rules if id(r) in kept_ids]
        http_rules.append(
            Rule(
                filters=[
                    RequestRedirect(
                        scheme="https", status_code=codes.pop(), provenance=list(tls_provenance)
                    )
                ],
                provenance=provenance,
                sources=list(dict.fromkeys(s for r in rules for s in r.sources)),
            )
        )
        http_routes = [_add_http_route(run, splits[0], hostnames, http_rules, 1)]
    else:
        http_routes = []
        for split in splits:
            own = []
            for r in split.route.rules:
                if id(r) in kept_ids:
                    own.append(_copy_rule(r))
                    continue
                own.append(redirect_rule(r, _code(run, r), split.tls_provenance))
                if behind_proxy:
                    own.append(_served_behind_proxy(r))
            for number, start in enumerate(range(0, len(own), 16), start=1):
                http_routes.append(
                    _add_http_route(run, split, hostnames, own[start : start + 16], number)
                )
    # An Ingress's ssl-redirect fields went into the routes that hold its paths (a host shared
    # by thousands of Ingresses has many routes: crediting every one to each was quadratic).
    routes_of_source: dict[SourceRef, list[HTTPRoute]] = defaultdict(list)
    for route in [split.route for split in splits] + http_routes:
        for source in dict.fromkeys(s for rule in route.rules for s in rule.sources):
            routes_of_source[source].append(route)
    host = hostnames[0] if hostnames else None
    for model in run.models_of_host(host):
        ann = run.ann(model)
        # Each controller reads its own keys: the other's are not what redirected.
        keys = _INC_SSL_KEYS if is_nginx_inc(model, run) else _COMMUNITY_SSL_KEYS
        for name in keys:
            if ann.has(name):
                ann.converted(name, routes_of_source.get(model.source, ()))
    sources = [s for r in rules for s in r.sources]
    if sources:
        listed = ", ".join(str(c) for c in sorted(codes | {_code(run, r) for r in rules}))
        kept = (
            f'; {len(exempt)} path(s) with ssl-redirect "false" keep serving HTTP' if exempt else ""
        )
        run.ctx.report.info(
            "nginx-ssl-redirect",
            f"host {host or '*'} has TLS: HTTP requests are redirected to HTTPS ({listed}) by a route "
            f"on the HTTP listener only, as the controller does{kept}",
            source=min(sources, key=lambda s: s.sort_key()),
            provider="nginx",
        )
    note_trailing_slash(run, [r for r in rules if id(r) not in kept_ids], host)


def note_trailing_slash(run: Run, redirected: list[Rule], host: str | None) -> None:
    """ingress-nginx's HTTPS redirect drops a trailing slash from the URI it redirects to
    (``lua_ingress.lua``, unless ``preserve-trailing-slash``); a Gateway API redirect keeps the
    path as it is. Said once per Ingress, as an intended difference (NGINX Inc keeps it)."""
    redirected_sources = {s for r in redirected for s in r.sources}
    for model in run.models_of_host(host):
        if model.source not in redirected_sources or is_nginx_inc(model, run):
            continue
        if run.ann(model).flag("preserve-trailing-slash", False):
            continue
        _say_trailing_slash(
            run,
            model,
            "HTTPS",
            "http://host/docs/ went to https://host/docs",
            " as preserve-trailing-slash is not set",
        )


def _say_trailing_slash(run: Run, model: IngressModel, which: str, example: str, why: str) -> None:
    said = ("nginx-redirect-trailing-slash", which, id(model))
    if said in run.said:
        return
    run.said.add(said)
    run.ctx.report.info(
        "nginx-redirect-trailing-slash",
        f"ingress-nginx's {which} redirect dropped a trailing slash ({example}){why}; the "
        "migrated redirect keeps the path as it is",
        source=model.source,
        provider="nginx",
    )


_COMMUNITY_SSL_KEYS = ("ssl-redirect", "force-ssl-redirect")
_INC_SSL_KEYS = (
    "nginx.org/ssl-redirect",
    "ingress.kubernetes.io/ssl-redirect",
    "nginx.org/http-redirect-code",
)


def _add_http_route(
    run: Run, split: _Split, hostnames: list[str], rules: list[Rule], number: int
) -> HTTPRoute:
    owner = split.route
    base = f"{owner.name}-http" if number == 1 else f"{owner.name}-http-{number}"
    route = HTTPRoute(
        name=run.ctx.allocator("HTTPRoute", owner.namespace).allocate(
            base, f"http-redirect/{owner.name}/{number}"
        ),
        namespace=owner.namespace,
        hostnames=list(hostnames),
        parent_refs=list(split.http_parents),
        rules=rules,
    )
    run.ctx.ir.routes.append(route)
    return route


def _forwarded_https(run: Run) -> bool:
    """Whether the controller takes the scheme from ``X-Forwarded-Proto`` (``use-forwarded-
    headers``: ``$pass_access_scheme``), so that a request a proxy in front received over
    HTTPS is not redirected (``lua_ingress.lua``, ``redirect_to_https``)."""
    detection = run.config.client_ip
    return detection is not None and detection.header is not None


def _served_behind_proxy(rule: Rule) -> Rule:
    """``rule`` for requests whose ``X-Forwarded-Proto`` is ``https``: served, not redirected
    (its header match ranks it above the redirect of the same path)."""
    proto = HeaderMatch("X-Forwarded-Proto", "https")
    copy = _copy_rule(rule)
    copy.matches = [
        dataclasses.replace(m, headers=(*m.headers, proto)) for m in (rule.matches or [Match()])
    ]
    return copy


def _exempt(run: Run, rule: Rule) -> bool:
    """Whether the rule keeps serving plain HTTP on a TLS host: its path is exempt, or it has
    ``ssl-redirect: "false"`` without ``force-ssl-redirect`` (the exemption by path comes first
    in the controller, ``force_no_ssl_redirect``, even before force-ssl-redirect)."""
    return _exempt_by_path(run, rule) or (id(rule) in run.ssl_exempt and id(rule) not in run.forced)


def _redirect_in_place(
    run: Run,
    route: HTTPRoute,
    index: int,
    rule: Rule,
    provenance: list[Provenance],
    behind_proxy: bool,
) -> None:
    """Rule ``index`` of ``route`` redirects to HTTPS; behind a proxy that says the request
    came over HTTPS (``X-Forwarded-Proto``), a copy after it serves the request."""
    route.rules[index] = redirect_rule(rule, _code(run, rule), provenance)
    if behind_proxy:
        route.rules.insert(index + 1, _served_behind_proxy(rule))


def _redirect_passed_through(run: Run, route: HTTPRoute, tls: list[Provenance]) -> None:
    """The HTTP route of a host whose TLS ``ssl-passthrough`` hands to the backend: the host
    has a certificate, so nginx redirects plain HTTP to HTTPS as on any TLS host (the
    exemptions by path and ``ssl-redirect: "false"`` apply; the rules whose own redirect runs
    first keep it)."""
    behind_proxy = _forwarded_https(run)
    for index, rule in reversed(list(enumerate(route.rules))):
        if not _exempt(run, rule) and id(rule) not in run.redirects_first:
            prov = run.forced.get(id(rule), tls)
            _redirect_in_place(run, route, index, rule, prov, behind_proxy)
    sources = [s for r in route.rules for s in r.sources]
    if sources:
        run.ctx.report.info(
            "nginx-ssl-redirect",
            f"host {route.hostnames[0]} passes TLS through to its backend and has a "
            "certificate: HTTP requests are redirected to HTTPS by its HTTP route, as the "
            "controller does",
            source=min(sources, key=lambda s: s.sort_key()),
            provider="nginx",
        )


def _force_without_tls(run: Run, route: HTTPRoute) -> None:
    """``force-ssl-redirect`` on a host without TLS: the controller redirects what arrives as
    plain HTTP; with ``use-forwarded-headers``, what a proxy received over HTTPS is served,
    with every feature of the rule."""
    behind_proxy = _forwarded_https(run)
    for index, rule in reversed(list(enumerate(route.rules))):
        if id(rule) in run.forced:
            _redirect_in_place(run, route, index, rule, run.forced[id(rule)], behind_proxy)
            for item in run.forced[id(rule)]:
                run.ctx.report.record(
                    item.source,
                    item.field,
                    Status.CONVERTED,
                    note="no TLS on the host: the redirect is on the HTTP listener",
                    provider="nginx",
                )
                made_from(route, item)
