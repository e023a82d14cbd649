"""NGINX Inc (F5 NGINX Ingress Controller): the ``nginx.org/*`` and ``nginx.com/*`` keys.

The F5 controller shares no code with ingress-nginx, and its semantics differ. Which Ingresses it
serves, and which of their hosts and paths, is :mod:`.inc_hosts`; how its prefix locations match,
:mod:`.inc_paths`. The keys:

* ``nginx.org/path-regex`` (``case_sensitive``, ``case_insensitive``, ``exact``) changes the paths
  of *its own* Ingress only (``location ~ "^<path>"``, ``~*``, ``=``): RegularExpression
  ``<path>.*`` (``(?i)`` for case-insensitive) or Exact. There is no regex mode.
* ``nginx.org/rewrites`` (``serviceName=svc rewrite=/x;...``) rewrites the prefix of the paths to
  each named Service: ``ReplacePrefixMatch`` (``ReplaceFullPath`` on Exact/regex paths; a
  warning where nginx's character replacement doubled or dropped a slash).
  ``nginx.org/rewrite-target``: ``ReplaceFullPath``, or with ``$n`` captures a ``RegexRewrite``
  extension (partial); ignored when ``rewrites`` is set, as in the controller.
* HTTPS redirect: every plain-HTTP request of a TLS host, ACME challenges included, code
  ``nginx.org/http-redirect-code`` (default 301), to the first ``listen-ports-ssl`` port;
  ``nginx.org/ssl-redirect`` (else ``ingress.kubernetes.io/ssl-redirect``) ``"false"`` keeps
  HTTP. ``nginx.org/redirect-to-https`` (TLS terminated in front): requests whose
  ``X-Forwarded-Proto`` is ``http`` are redirected to https on every path, before any location
  (a twin of each rule matching the header, and one for the paths no rule takes).
* ``listen-ports`` / ``listen-ports-ssl``: the host's listeners move to those ports.
* ``hsts`` family → ``Strict-Transport-Security`` response header (``max-age=…;
  [includeSubDomains; ]preload``, as the template writes it); ``proxy-set-headers`` /
  ``add-header`` / ``proxy-hide-headers`` → header filters (values with nginx variables are
  reported, not copied).
* ``grpc-services`` → GRPCRoute for the paths to those Services (other requests under those paths
  get 404, a warning says); ``ssl-services`` → reported (BackendTLSPolicy needs a hostname and CA
  the annotation does not give — the Go tool emitted an invalid policy); ``websocket-services``
  → nothing needed.
* Basic auth, rate limits, body size, buffering, timeouts, retries, load balancing, sticky cookies,
  JWT and custom error pages → the same IR extensions as ingress-nginx's keys.
* Mergeable Ingresses: the ``master`` owns the host, TLS and server-level keys (they apply to the
  minions' paths too); server-level keys on a ``minion`` are ignored, as the controller does.
  Location-level keys are not inherited from the master (reported on the master), except its
  access controls (``basic-auth-secret``, ``jwt-key``, ``policies``), which nginx.ingress.tmpl
  writes in the server: they guard every minion path without one of its own of that kind.
* ``nginx.org/policies`` / ``nginx.com/policies`` reference Policy resources, which are not read: a
  security warning, as access control may be lost.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.converting.naming import free_name, host_slug
from ingress2gateway.ir import (
    BasicAuth,
    Buffering,
    CustomErrors,
    Extension,
    HeaderMatch,
    HTTPRoute,
    JWTAuth,
    Listener,
    LoadBalancer,
    Match,
    PathMatch,
    PathModifier,
    Provenance,
    RateLimit,
    RefusedControl,
    RegexRewrite,
    RequestRedirect,
    Rule,
    SessionAffinity,
    made_from,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from ..catalog import NGINX_INC_CATALOG
from . import body, inc_hosts, timeouts
from ._base import (
    PROVIDER,
    Ann,
    ListenerNames,
    Run,
    header_modifier,
    is_https,
    looks_injected,
    on_gateway,
    routes_of,
    rules_of,
    url_rewrite,
)
from .affinity import Algorithm
from .inc_hosts import IncView, inc_view, is_nginx_inc
from .inc_paths import character_prefix_change, keep_prefixes, slash_differs
from .rewrite import re2_problem

PATH_REGEX = "nginx.org/path-regex"
MERGEABLE = "nginx.org/mergeable-ingress-type"
_TO_HTTPS = "metadata.annotations[nginx.org/redirect-to-https]"
_INC_KEYS = ("nginx.org/", "nginx.com/", "appprotect.f5.com/", "appprotectdos.f5.com/")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_RATE = re.compile(r"^(\d{1,18})r/(s|m)\Z")
_CAPTURE = re.compile(r"\$(\d)")
_SERVER_KEYS = frozenset(k for k, e in NGINX_INC_CATALOG.items() if e.scope == "server")
_SKIP = PathMatch("Exact", "")
_LB_METHODS: dict[str, Algorithm] = {
    "round_robin": "RoundRobin",
    "least_conn": "LeastRequest",
    "random": "Random",
    "random two": "LeastRequest",
    "random two least_conn": "LeastRequest",
    "ip_hash": "ConsistentHash",
}


def _value(model: IngressModel, key: str) -> str | None:
    value = model.obj.annotations.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def path_match(
    ctx: ProviderContext, view: IncView, model: IngressModel, path: IngressPath
) -> PathMatch | None:
    """How NGINX Inc matches ``path`` of ``model``; None when ``model`` is not NGINX Inc's.

    A match with an empty value: the path is not converted (reported here): another resource
    owns its host, an older minion has the path, or the controller never matches it. NGINX Inc
    has no regex mode: ``nginx.org/path-regex`` changes the paths of its own Ingress only
    (``~ "^path"``, ``~* "^path"``, ``= "path"``: ``RegularExpression path.*``, with ``(?i)``
    for case_insensitive, or Exact); the other paths are ``location = path`` (Exact) or
    ``location path`` (PathPrefix, a character prefix: see :mod:`.inc_paths`)."""
    if not view.is_inc(model):
        return None
    owner = view.host_owner(model, path.host)
    holder = view.path_holders.get((id(model), path.path))
    if holder is not None or (inc_hosts.role(model) != "minion" and owner is not model):
        winner = holder or owner
        what = f"path {path.path}" if holder is not None else f"host {path.host}"
        vs = view.virtual_server(model, path.host)
        name = (
            winner.source.display()
            if winner is not None
            else vs.source().display()
            if vs is not None
            else "another resource"
        )
        _not_served(
            ctx,
            model,
            path.field,
            f"{what} belongs to the older {name} (NGINX Inc gives a host to one Ingress or "
            "master, and a minion's path to the oldest minion that has it): NGINX Inc did not "
            "serve this path, so it is not converted",
        )
        return _SKIP
    mode = _value(model, PATH_REGEX)
    if path.path_type == "Exact" and mode is not None:
        # generateIngressPath writes "= /x"; makePathWithRegex then wraps that: the location
        # is ~ "^= /x" or = "= /x", which no URI matches.
        _not_served(
            ctx,
            model,
            path.field,
            f"pathType Exact with nginx.org/path-regex {mode} makes the location "
            f"{_DEAD_LOCATION[mode].format(path.path)}, which no request matches: NGINX Inc "
            "never served this path, so it is not converted",
        )
        return _SKIP
    if mode == "exact":
        return PathMatch("Exact", path.path)
    if mode in ("case_sensitive", "case_insensitive"):
        value = f"{'(?i)' if mode == 'case_insensitive' else ''}{path.path}.*"
        problem = re2_problem(value)
        if problem:
            message = f"path {path.path!r} (nginx.org/path-regex) {problem}; it is not converted"
            ctx.report.flag(
                Level.ERROR,
                "path-not-representable",
                message,
                Status.UNSUPPORTED,
                source=model.source,
                field=path.field,
                provider=PROVIDER,
            )
            return _SKIP
        return PathMatch("RegularExpression", value)
    if path.path_type == "Exact":
        return PathMatch("Exact", path.path)
    return PathMatch("PathPrefix", path.path)


_DEAD_LOCATION = {
    "case_sensitive": '~ "^= {}"',
    "case_insensitive": '~* "^= {}"',
    "exact": '= "= {}"',
}


def _not_served(ctx: ProviderContext, model: IngressModel, field: str, message: str) -> None:
    ctx.report.flag(
        Level.WARNING,
        "nginx-not-served",
        message,
        Status.UNSUPPORTED,
        source=model.source,
        field=field,
        provider=PROVIDER,
    )


def _server_rules(run: Run, model: IngressModel) -> list[tuple[HTTPRoute, Rule]]:
    """Rules a server-level key of ``model`` applies to: its own, or the host's for a master."""
    if inc_hosts.role(model) != "master":
        return rules_of(run, model)
    hosts = {h for h in model.hosts() if h is not None}
    return [(route, rule) for route in run.routes_with_hosts(hosts) for rule in route.rules]


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    if not is_nginx_inc(model, run):
        _not_inc(run, ann)
        return
    view = inc_view(run)
    if view.excluded(model):
        _excluded(run, view, model)
        return
    role = inc_hosts.role(model)
    own = rules_of(run, model)
    for _, rule in own:
        run.inc_rules.add(id(rule))
    if ann.has(MERGEABLE):
        ann.converted(MERGEABLE, routes_of(own) or [r for r, _ in _server_rules(run, model)])
    if role == "minion":
        for key in sorted(_SERVER_KEYS):
            ann.ignored(
                [key], "a minion's server-level annotations are ignored; the master's apply"
            )
    _ingress_nginx_keys(run, ann)
    server = _server_rules(run, model)
    if ann.has(PATH_REGEX):
        ann.converted(PATH_REGEX, routes_of(own))
    _rewrites(ann, own)
    _https(run, ann, server if role != "minion" else [])
    _headers(ann, own, server if role != "minion" else [])
    _services(run, ann, own)
    _extensions(ann, own)
    timeouts.apply_timeouts(
        run,
        ann,
        (
            "nginx.org/proxy-connect-timeout",
            "nginx.org/proxy-send-timeout",
            "nginx.org/proxy-read-timeout",
        ),
        (60, 60, 60),
        nginx_time=True,
    )
    timeouts.apply_retry(
        run,
        ann,
        (
            "nginx.org/proxy-next-upstream",
            "nginx.org/proxy-next-upstream-tries",
            "nginx.org/proxy-next-upstream-timeout",
        ),
        0,
        nginx_time=True,
    )
    for key in ("nginx.org/policies", "nginx.com/policies"):
        if ann.has(key):
            ann.unsupported(
                key,
                "Policy resources (rate limits, access control, JWT, WAF…) are not converted; as "
                "they may control access, the rules are closed",
                deny=True,
            )


def _not_inc(run: Run, ann: Ann) -> None:
    """An Ingress ingress-nginx serves: NGINX Inc's annotations have no effect on it."""
    # (A key NGINX Inc does not know either stays an unknown annotation.)
    keys = sorted(k for k in ann.values if k in NGINX_INC_CATALOG)
    if not keys:
        return
    model = ann.model
    controller = (run.inc_view.controllers if run.inc_view else {}).get(model.class_name or "")
    why = (
        f"the Ingress's class {model.class_name} belongs to ingress-nginx (its IngressClass "
        f"names {controller}), which does not read NGINX Inc's annotations"
        if controller
        else "the Ingress also carries ingress-nginx annotations: ingress-nginx serves it, "
        "and it does not read NGINX Inc's annotations"
    )
    for key in keys:
        if not ann.report.has_entry(model.source, ann.field(key)):
            ann.record(key, Status.IGNORED, f"{key}: {why}")


def _ingress_nginx_keys(run: Run, ann: Ann) -> None:
    """ingress-nginx's annotations on an Ingress NGINX Inc serves have no effect."""
    for key in sorted(ann.values):
        if key.startswith(run.prefix) and not ann.report.has_entry(
            ann.model.source, f"metadata.annotations[{key}]"
        ):
            ann.report.record(
                ann.model.source,
                f"metadata.annotations[{key}]",
                Status.IGNORED,
                note=f"{key}: NGINX Inc serves this Ingress and does not read ingress-nginx's "
                "annotations",
                provider=PROVIDER,
            )


def _excluded(run: Run, view: IncView, model: IngressModel) -> None:
    """Say why NGINX Inc serves nothing of ``model``, and account for each of its fields."""
    report = run.ctx.report
    refusals = view.rejected.get(id(model), [])
    if refusals:
        for refusal in refusals:
            annotation = refusal.field.startswith("metadata.annotations[")
            report.flag(
                Level.ERROR,
                "nginx-annotation-invalid" if annotation else "nginx-resource-rejected",
                f"{refusal.why}: NGINX Inc rejects the whole Ingress (validateIngress), so it "
                "served none of its paths; none is converted (correct the value to have it "
                "served)",
                Status.UNSUPPORTED,
                source=model.source,
                field=refusal.field,
                provider=PROVIDER,
            )
        why = "NGINX Inc rejects this Ingress (see the errors on it); not converted"
    elif inc_hosts.role(model) == "minion":
        host = model.rule_hosts[0][1] if model.rule_hosts else None
        _not_served(
            run.ctx,
            model,
            "metadata.annotations[nginx.org/mergeable-ingress-type]",
            f"a minion without a master: no master Ingress owns host {host}, so NGINX Inc "
            "served none of this minion's paths; none is converted",
        )
        why = "a minion without a master is not served; not converted"
    else:
        hosts = [h for h in model.hosts() if h is not None]
        owners = sorted(
            {
                found.source.display()
                for h in hosts
                if (found := view.host_owner(model, h)) is not None
            }
            | {
                found_vs.source().display()
                for h in hosts
                if (found_vs := view.virtual_server(model, h)) is not None
            }
        )
        _not_served(
            run.ctx,
            model,
            "spec.rules",
            f"every host of this Ingress belongs to an older resource ({', '.join(owners)}): "
            "NGINX Inc gives a host to one Ingress or master, so it served nothing of this one; "
            "nothing of it is converted",
        )
        why = "its host belongs to another Ingress; not converted"
    fields = [p.field for p in model.paths]
    fields += [f"spec.rules[{index}].host" for index, host in model.rule_hosts if host]
    fields += [tls.field for tls in model.tls]
    if model.default_backend_field:
        fields.append(model.default_backend_field)
    if model.class_field:
        fields.append(model.class_field)
    fields += [f"metadata.annotations[{k}]" for k in sorted(model.obj.annotations)]
    for field in fields:
        if not report.has_entry(model.source, field):
            report.record(model.source, field, Status.IGNORED, note=why, provider=PROVIDER)


def _rewrites(ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    value = ann.text("nginx.org/rewrites")
    if value is not None:
        targets: dict[str, str] = {}
        for item in value.split(";"):
            fields = dict(part.split("=", 1) for part in item.split() if "=" in part)
            service, rewrite = fields.get("serviceName"), fields.get("rewrite")
            if (
                not service
                or rewrite is None
                or not rewrite.startswith("/")
                or looks_injected(rewrite)
            ):
                if item.strip():
                    ann.invalid(
                        "nginx.org/rewrites",
                        f"{item.strip()!r} is not serviceName=<svc> rewrite=<path>",
                    )
                continue
            targets[service] = rewrite
        touched = []
        for route, rule in pairs:
            names = {b.name for b in rule.backend_refs}
            hit = sorted(names & set(targets))
            if not hit or not rule.matches or rule.matches[0].path is None:
                continue
            kind: Literal["ReplaceFullPath", "ReplacePrefixMatch"] = (
                "ReplacePrefixMatch"
                if rule.matches[0].path.type == "PathPrefix"
                else "ReplaceFullPath"
            )
            rewrite = targets[hit[0]]
            url_rewrite(rule, ann.prov("nginx.org/rewrites")).path = PathModifier(kind, rewrite)
            touched.append(route)
            path = rule.matches[0].path
            if kind == "ReplacePrefixMatch" and slash_differs(path.value, rewrite):
                _rewrite_slash_differs(ann, path.value, rewrite, hit[0])
        if touched:
            ann.converted("nginx.org/rewrites", touched)
        elif targets:
            ann.ignored(
                ["nginx.org/rewrites"], "no path of this Ingress goes to the named Services"
            )
    target = ann.text("nginx.org/rewrite-target")
    if target is None:
        return
    if value is not None:
        # getRewriteTarget: the two are mutually exclusive, and rewrites wins.
        ann.ignored(
            ["nginx.org/rewrite-target"],
            "nginx.org/rewrites is set and takes precedence, as in the controller",
        )
        return
    if (
        not target.startswith("/")
        or re.search(r"\$(?!\d)", target)
        or looks_injected(target.replace("$", ""))
    ):
        ann.invalid("nginx.org/rewrite-target", f"{target!r} is not a path")
        return
    for route, rule in pairs:
        matched = rule.matches[0].path if rule.matches else None
        if _CAPTURE.search(target) and matched is not None and matched.type == "RegularExpression":
            pattern = matched.value.removesuffix(".*")
            rule.extensions.append(
                RegexRewrite(
                    pattern=pattern,
                    substitution=_CAPTURE.sub(r"\\\1", target),
                    provenance=ann.prov("nginx.org/rewrite-target"),
                )
            )
            ann.record(
                "nginx.org/rewrite-target",
                Status.PARTIAL,
                "capture groups need a RegexRewrite extension",
            )
            ann.made_into("nginx.org/rewrite-target", [route])
        elif _CAPTURE.search(target):
            ann.invalid("nginx.org/rewrite-target", "captures need nginx.org/path-regex")
        else:
            url_rewrite(rule, ann.prov("nginx.org/rewrite-target")).path = PathModifier(
                "ReplaceFullPath", target
            )
            ann.converted("nginx.org/rewrite-target", [route])


def go_bool(ann: Ann, key: str) -> bool | None:
    """A Go boolean (``strconv.ParseBool``: 1, t, T, TRUE, true, True and their false forms);
    None when absent. (A value that is none of them got the Ingress rejected.)"""
    value = ann.raw(key)
    if value is None:
        return None
    return value in ("1", "t", "T", "TRUE", "true", "True")


def redirect_code(ann: Ann) -> int:
    """``nginx.org/http-redirect-code`` (301 unless set; an invalid one got the Ingress
    rejected)."""
    value = ann.raw("nginx.org/http-redirect-code")
    return int(value) if value is not None and value.isdigit() else 301


def _rewrite_slash_differs(ann: Ann, prefix: str, rewrite: str, service: str) -> None:
    nginx_sees = rewrite + ("x" if prefix.endswith("/") else "/x")
    ann.notify(
        "warning",
        "nginx-inc-differs",
        "nginx.org/rewrites",
        f"nginx.org/rewrites: NGINX Inc replaced the characters its location {prefix} matched "
        f"by {rewrite}, so {prefix.rstrip('/')}/x reached {service} as {nginx_sees}; the "
        f"migrated rule replaces the path prefix and sends {rewrite.rstrip('/')}/x",
    )


def _https(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    code = redirect_code(ann)
    # nginx.org/ssl-redirect, else the deprecated key (parseAnnotations); true by default.
    redirect = go_bool(ann, "nginx.org/ssl-redirect")
    if redirect is None:
        redirect = go_bool(ann, "ingress.kubernetes.io/ssl-redirect")
    elif ann.has("ingress.kubernetes.io/ssl-redirect"):
        ann.ignored(
            ["ingress.kubernetes.io/ssl-redirect"],
            "nginx.org/ssl-redirect is set and takes precedence",
        )
    for _, rule in pairs:
        run.redirect_codes[id(rule)] = code
        if redirect is False:
            run.ssl_exempt.add(id(rule))
    if ann.has("nginx.org/redirect-to-https") and not go_bool(ann, "nginx.org/redirect-to-https"):
        ann.record("nginx.org/redirect-to-https", Status.CONVERTED, "false: no redirect")
    if go_bool(ann, "nginx.org/hsts"):
        max_age = ann.integer("nginx.org/hsts-max-age", 0)
        value = f"max-age={2592000 if max_age is None else max_age}; "
        if go_bool(ann, "nginx.org/hsts-include-subdomains"):
            value += "includeSubDomains; "
        value += "preload"
        names = ("nginx.org/hsts", "nginx.org/hsts-max-age", "nginx.org/hsts-include-subdomains")
        for _, rule in pairs:
            header_modifier(rule, True, ann.prov(*names)).set["Strict-Transport-Security"] = value
        for name in names:
            ann.converted(
                name, routes_of(pairs), "sent on HTTP too unless the HTTPS redirect applies"
            )
    else:
        ann.ignored(
            [
                "nginx.org/hsts-max-age",
                "nginx.org/hsts-include-subdomains",
                "nginx.org/hsts-behind-proxy",
            ],
            "has no effect without nginx.org/hsts",
        )


def _header_list(ann: Ann, key: str) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for item in ann.csv(key):
        name, sep, value = item.partition(":")
        name = name.strip()
        if not _HEADER.match(name):
            ann.invalid(key, f"{name!r} is not a header name")
            return []
        found.append((name, value.strip() if sep else None))
    return found


def _headers(
    ann: Ann, own: list[tuple[HTTPRoute, Rule]], server: list[tuple[HTTPRoute, Rule]]
) -> None:
    key = "nginx.org/proxy-set-headers"
    if ann.has(key):
        headers = _header_list(ann, key)
        dropped = [n for n, v in headers if v is not None and looks_injected(v)]
        plain = {n: v for n, v in headers if v is not None and n not in dropped}
        for _, rule in own:
            if plain:
                header_modifier(rule, False, ann.prov(key)).set.update(plain)
        if dropped:
            ann.record(
                key,
                Status.PARTIAL,
                f"values of {', '.join(dropped)} use nginx variables and are not carried",
            )
            ann.made_into(key, routes_of(own))
        elif headers:
            ann.converted(
                key,
                routes_of(own),
                "a name without value passes the client's header, as Gateway API does",
            )
    key = "nginx.org/add-header"
    if ann.has(key):
        headers = _header_list(ann, key)
        for _, rule in own:
            for name, value in headers:
                if value is not None and not looks_injected(value):
                    header_modifier(rule, True, ann.prov(key)).add[name] = value.removesuffix(
                        ":always"
                    ).strip()
        if headers:
            ann.converted(key, routes_of(own))
    key = "nginx.org/proxy-hide-headers"
    if ann.has(key) and server:
        names = [n for n, _ in _header_list(ann, key)]
        for _, rule in server:
            modifier = header_modifier(rule, True, ann.prov(key))
            modifier.remove = sorted(set(modifier.remove) | set(names))
        ann.converted(key, routes_of(server))
    if ann.has("nginx.org/proxy-pass-headers") and server:
        ann.converted(
            "nginx.org/proxy-pass-headers",
            routes_of(server),
            "Gateway API passes upstream headers by default",
        )
    root = ann.text("nginx.org/app-root")
    if root is not None and server:
        if not root.startswith("/") or looks_injected(root):
            ann.invalid("nginx.org/app-root", f"{root!r} is not a path")
        else:
            for route in routes_of(server):
                route.rules.insert(
                    0,
                    Rule(
                        matches=[Match(path=PathMatch("Exact", "/"))],
                        filters=[
                            RequestRedirect(
                                path=PathModifier("ReplaceFullPath", root),
                                status_code=302,
                                provenance=ann.prov("nginx.org/app-root"),
                            )
                        ],
                        provenance=ann.prov("nginx.org/app-root"),
                        sources=[ann.model.source],
                    ),
                )
            ann.converted("nginx.org/app-root", routes_of(server))


def _service_names(ann: Ann, key: str) -> set[str]:
    return {s for item in ann.csv(key) for s in item.split()}


def _services(run: Run, ann: Ann, own: list[tuple[HTTPRoute, Rule]]) -> None:
    grpc = _service_names(ann, "nginx.org/grpc-services")
    hit = [(route, rule) for route, rule in own if grpc & {b.name for b in rule.backend_refs}]
    for _, rule in hit:
        run.grpc_rules.add(id(rule))
    for _, rule in hit:
        for item in rule.provenance:
            if item.source == ann.model.source and item.field.startswith("spec.rules["):
                ann.report.notify(
                    Level.WARNING,
                    "nginx-inc-differs",
                    "nginx.org/grpc-services: this path moves to a GRPCRoute, which matches the "
                    "gRPC calls of the service or method the path names; other requests under "
                    "it (plain HTTP, a path below the method, a character-prefix match), which "
                    "NGINX Inc passed to the Service too, get 404",
                    source=item.source,
                    field=item.field,
                    provider=PROVIDER,
                )
    if grpc:
        if hit:
            ann.converted("nginx.org/grpc-services", routes_of(hit))
        else:
            ann.ignored(
                ["nginx.org/grpc-services"], "no path of this Ingress goes to these Services"
            )
    tls = _service_names(ann, "nginx.org/ssl-services")
    if tls:
        message = (
            f"TLS to {', '.join(sorted(tls))}: a BackendTLSPolicy needs the name on the backend's certificate "
            "and its CA, which the annotation does not give (the controller did not verify); the converted "
            "route sends plain text to them — create a BackendTLSPolicy by hand"
        )
        ann.notify("warning", "nginx-backend-tls-missing", "nginx.org/ssl-services", message)
        ann.record("nginx.org/ssl-services", Status.UNSUPPORTED, message)
    if ann.has("nginx.org/websocket-services"):
        ann.converted(
            "nginx.org/websocket-services",
            routes_of(own),
            "Gateway API implementations proxy WebSocket upgrades by default",
        )


def _extensions(ann: Ann, own: list[tuple[HTTPRoute, Rule]]) -> None:
    found: list[Extension] = []
    secret = ann.text("nginx.org/basic-auth-secret")
    if secret is not None:
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", secret):
            ann.invalid(
                "nginx.org/basic-auth-secret", f"{secret!r} is not a Secret name", security=True
            )
        else:
            found.append(
                BasicAuth(
                    secret_name=secret,
                    realm=ann.text("nginx.org/basic-auth-realm"),
                    provenance=ann.prov(
                        "nginx.org/basic-auth-secret", "nginx.org/basic-auth-realm"
                    ),
                )
            )
    else:
        ann.ignored(
            ["nginx.org/basic-auth-realm"], "has no effect without nginx.org/basic-auth-secret"
        )
    rate = ann.text("nginx.org/limit-req-rate")
    if rate is not None:
        match = _RATE.match(rate)
        if match is None:
            ann.invalid("nginx.org/limit-req-rate", f"{rate!r} is not <N>r/s or <N>r/m")
        else:
            key = ann.text("nginx.org/limit-req-key")
            if key not in (None, "${binary_remote_addr}", "$binary_remote_addr", "${remote_addr}"):
                ann.unsupported(
                    "nginx.org/limit-req-key",
                    f"only the client address key can be carried, not {key!r}",
                )
            burst = ann.integer("nginx.org/limit-req-burst", 0)
            found.append(
                RateLimit(
                    requests=int(match.group(1)),
                    unit="Second" if match.group(2) == "s" else "Minute",
                    burst=burst,
                    provenance=ann.prov(
                        "nginx.org/limit-req-rate",
                        "nginx.org/limit-req-burst",
                        "nginx.org/limit-req-key",
                    ),
                )
            )
    size = body.body_size(ann, "nginx.org/client-max-body-size")
    if size is not None:
        found.append(size)
    buffering = ann.flag("nginx.org/proxy-buffering")
    if buffering is not None:
        found.append(
            Buffering(response=buffering, provenance=ann.prov("nginx.org/proxy-buffering"))
        )
    method = ann.text("nginx.org/lb-method")
    if method is not None:
        algorithm = _LB_METHODS.get(method)
        if algorithm is None:
            ann.unsupported(
                "nginx.org/lb-method",
                f"{method!r} has no equivalent algorithm",
                security=looks_injected(method),
            )
        else:
            found.append(
                LoadBalancer(
                    algorithm=algorithm,
                    hash_on="source-ip" if method == "ip_hash" else None,
                    provenance=ann.prov("nginx.org/lb-method"),
                )
            )
    for key in ("nginx.org/sticky-cookie-services", "nginx.com/sticky-cookie-services"):
        value = ann.text(key)
        if value is None:
            continue
        cookie = re.search(r"serviceName=\S+\s+([A-Za-z0-9_-]+)", value)
        if cookie is None:
            ann.invalid(key, "expected serviceName=<svc> <cookie> [expires=...]")
            continue
        found.append(SessionAffinity(cookie_name=cookie.group(1), provenance=ann.prov(key)))
        break
    jwk = ann.text("nginx.com/jwt-key")
    if jwk is not None:
        found.append(JWTAuth(provenance=ann.prov("nginx.com/jwt-key")))
    codes = ann.text("nginx.org/custom-http-errors")
    if codes is not None:
        numbers = [int(c) for c in re.split(r"[\s,]+", codes) if c.isdigit()]
        if not numbers:
            ann.invalid("nginx.org/custom-http-errors", f"{codes!r} has no status codes")
        else:
            found.append(
                CustomErrors(
                    codes=sorted(set(numbers)), provenance=ann.prov("nginx.org/custom-http-errors")
                )
            )
    for _, rule in own:
        rule.extensions.extend(found)


# --- the server: what NGINX Inc does for a whole host ----------------------------------------


def apply_hosts(run: Run) -> None:
    """Per host NGINX Inc serves: its prefix locations (:mod:`.inc_paths`), the server's
    ``redirect-to-https``, ``listen-ports`` / ``listen-ports-ssl``, and the HTTPS redirect of a
    TLS host none of whose paths was converted (a master without minions)."""
    view = inc_view(run)
    if not view.owners:
        return
    names = ListenerNames()
    for (scope, host), owner in sorted(
        view.owners.items(), key=lambda item: (item[0][1], item[0][0] or "")
    ):
        routes = [
            r
            for r in run.routes_with_hosts([host])
            if host in r.hostnames and (scope is None or r.namespace == scope)
        ]
        rules = [(route, rule) for route in routes for rule in route.rules]
        _tls_without_hosts(run, owner, host, routes)
        if not rules:
            _lone_redirect(run, owner, host, names)
            continue
        if inc_hosts.role(owner) == "master":
            _master_access(run, owner, rules)
        if all(id(rule) in run.grpc_rules for _, rule in rules):
            _grpc_only(run, owner, host, routes)
        if all(id(rule) in run.inc_rules for _, rule in rules):
            _prefixes(run, rules)
            _redirect_to_https(run, run.ann(owner), routes)
            code = redirect_code(run.ann(owner))
            for route in routes:
                for rule in route.rules:
                    run.redirect_codes.setdefault(id(rule), code)
        _listen_ports(run, owner, host, routes, names)


def _master_access(run: Run, master: IngressModel, rules: list[tuple[HTTPRoute, Rule]]) -> None:
    """A master's access controls are the server's (nginx.ingress.tmpl: ``auth_basic`` and the
    JWT of ``$server``; ``nginx.org/policies``), so they guard every minion location that has
    none of its own of that kind (nginx inheritance: a location's ``auth_basic`` replaces the
    server's). Without this the minions' paths were open."""
    ann = run.ann(master)
    controls: list[Extension] = []
    secret = ann.text("nginx.org/basic-auth-secret")
    if secret is not None and re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", secret):
        controls.append(
            BasicAuth(
                secret_name=secret,
                realm=ann.text("nginx.org/basic-auth-realm"),
                provenance=ann.prov("nginx.org/basic-auth-secret", "nginx.org/basic-auth-realm"),
            )
        )
    if ann.text("nginx.com/jwt-key") is not None:
        controls.append(JWTAuth(provenance=ann.prov("nginx.com/jwt-key")))
    for key in ("nginx.org/policies", "nginx.com/policies"):
        if ann.has(key):
            controls.append(
                RefusedControl(what=f"the refused {ann.key(key)}", provenance=ann.prov(key))
            )
    for _, rule in rules:
        for control in controls:
            if isinstance(control, RefusedControl) or not any(
                type(e) is type(control) for e in rule.extensions
            ):
                rule.extensions.append(control)


def _tls_without_hosts(run: Run, owner: IngressModel, host: str, routes: list[HTTPRoute]) -> None:
    """NGINX Inc turns TLS on for a host only when a ``spec.tls`` entry lists it
    (``addSSLConfig``): an entry without ``hosts``, which the shared lowering lets cover the
    Ingress's hosts (as ingress-nginx does), gives NGINX Inc's server no HTTPS and no HTTPS
    redirect. The HTTPS listener it made for the host goes, and a warning says so."""
    if any(host in tls.hosts for tls in owner.tls):
        return
    hostless = [tls for tls in owner.tls if not tls.hosts]
    gateway = run.lowered.gateway_of.get(owner.source)
    if not hostless or gateway is None:
        return
    fields = {tls.field for tls in hostless}
    made = [
        x
        for x in gateway.listeners
        if x.hostname == host
        and x.protocol == "HTTPS"
        and any(p.source == owner.source and p.field in fields for p in x.provenance)
    ]
    if not made:
        return
    names = {x.name for x in made}
    gateway.listeners = [x for x in gateway.listeners if x.name not in names]
    for route in run.lowered.routes:
        if host in route.hostnames:
            route.parent_refs = [
                p
                for p in route.parent_refs
                if not (p.section_name in names and on_gateway(gateway, route, p))
            ]
    report = run.ctx.report
    for tls in hostless:
        message = (
            f"{tls.field} lists no host: NGINX Inc terminates TLS only for the hosts a TLS entry "
            f"lists, so {host} was served over plain HTTP only (no HTTPS, no redirect); the "
            f"migration keeps it so — list {host} in its hosts to serve it over HTTPS"
        )
        report.notify(
            Level.WARNING,
            "nginx-inc-differs",
            message,
            source=owner.source,
            field=tls.field,
            provider=PROVIDER,
        )
        # The lowering took the entry to cover the Ingress's hosts, as ingress-nginx does;
        # NGINX Inc did not use it, and nothing is made of it.
        report.overrule(owner.source, tls.field, Status.IGNORED, message, provider=PROVIDER)
        unused = Provenance(owner.source, tls.field)
        gateway.provenance = [p for p in gateway.provenance if p != unused]


def _grpc_only(run: Run, owner: IngressModel, host: str, routes: list[HTTPRoute]) -> None:
    """A server whose every location passes to gRPC is ``GRPCOnly`` (ingress.go): it listens on
    its SSL ports only and does not redirect plain HTTP. Without TLS it answers nothing."""
    if any(is_https(run, route, parent) for route in routes for parent in route.parent_refs):
        return
    ann = run.ann(owner)
    ann.notify(
        "warning",
        "nginx-inc-differs",
        "nginx.org/grpc-services" if ann.has("nginx.org/grpc-services") else "",
        f"every path of host {host} passes to a gRPC service, so NGINX Inc's server for it "
        "(GRPCOnly) listens on none of its plain-HTTP ports, and the host has no TLS: NGINX Inc "
        "answered none of its requests; the migrated GRPCRoute serves gRPC over plain HTTP",
    )


def _prefixes(run: Run, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    route_of = {id(rule): route for route, rule in pairs}
    prefixes = {
        id(rule)
        for _, rule in pairs
        if id(rule) not in run.grpc_rules
        and not any(isinstance(f, RequestRedirect) for f in rule.filters)
    }

    def differs(rule: Rule, value: str, why: str) -> None:
        backends = ", ".join(sorted({b.name for b in rule.backend_refs})) or "its rule"
        for item in rule.provenance:
            if item.field.startswith("spec.rules[") or item.field.startswith("spec.defaultBackend"):
                run.ctx.report.notify(
                    Level.WARNING,
                    "nginx-inc-differs",
                    character_prefix_change(value, backends, why),
                    source=item.source,
                    field=item.field,
                    provider=PROVIDER,
                )

    for added in keep_prefixes([rule for _, rule in pairs], prefixes, differs):
        source_rule = next(r for _, r in pairs if r.provenance == added.provenance)
        route = route_of[id(source_rule)]
        route.rules.append(added)
        run.inc_rules.add(id(added))
        for source in added.sources:
            run.lowered.rules_by_source.setdefault(source, []).append((route, added))


def _redirect_to_https(run: Run, ann: Ann, routes: list[HTTPRoute]) -> None:
    """``if ($http_x_forwarded_proto = 'http') { return <code> https://$host$request_uri; }``
    in the server, before any location (see :func:`forwarded_http_redirects`)."""
    if not go_bool(ann, "nginx.org/redirect-to-https"):
        return
    prov = ann.prov("nginx.org/redirect-to-https")
    seen: set[Match] = set()
    for position, route in enumerate(routes):
        twins = forwarded_http_redirects(
            route.rules, redirect_code(ann), prov, seen, catch_all=position == len(routes) - 1
        )
        route.rules[:0] = twins
        for made in twins:
            run.inc_rules.add(id(made))
    ann.converted("nginx.org/redirect-to-https", routes)


FORWARDED_HTTP = HeaderMatch("X-Forwarded-Proto", "http")


def forwarded_http_redirects(
    rules: list[Rule],
    code: int,
    prov: list[Provenance],
    seen: set[Match] | None = None,
    catch_all: bool = True,
) -> list[Rule]:
    """A server-wide redirect of requests whose ``X-Forwarded-Proto`` is ``http`` (TLS ended
    in front of nginx), which nginx runs before choosing a location: for each rule a twin that
    also matches the header and redirects to https, and (``catch_all``) one for the paths no
    rule takes. ``seen`` holds the matches made already for the host."""
    seen = set() if seen is None else seen
    twins = []
    for rule in rules:
        matches = []
        for match in rule.matches or [Match(path=PathMatch("PathPrefix", "/"))]:
            twin = Match(
                path=match.path,
                headers=(*match.headers, FORWARDED_HTTP),
                query_params=match.query_params,
                method=match.method,
            )
            if twin not in seen:
                seen.add(twin)
                matches.append(twin)
        if matches:
            twins.append(_redirect_twin(matches, code, prov, rule.sources))
    last = Match(path=PathMatch("PathPrefix", "/"), headers=(FORWARDED_HTTP,))
    if catch_all and last not in seen:
        seen.add(last)
        sources = [s for r in rules for s in r.sources][:1]
        twins.append(_redirect_twin([last], code, prov, sources))
    return twins


def _redirect_twin(
    matches: list[Match], code: int, prov: list[Provenance], sources: list[SourceRef]
) -> Rule:
    return Rule(
        matches=matches,
        filters=[RequestRedirect(scheme="https", status_code=code, provenance=list(prov))],
        provenance=list(prov),
        sources=list(sources),
    )


def _ports(ann: Ann, key: str) -> list[int]:
    value = ann.raw(key)
    return [int(item) for item in value.split(",")] if value else []


def _listen_ports(
    run: Run, owner: IngressModel, host: str, routes: list[HTTPRoute], names: ListenerNames
) -> None:
    """``listen <port>`` for each of ``listen-ports`` (and ``listen <port> ssl`` for each of
    ``listen-ports-ssl``) instead of 80 (443): the host's listeners move to those ports, and
    every route attached to them attaches to each."""
    ann = run.ann(owner)
    gateway = run.lowered.gateway_of.get(owner.source)
    if gateway is None:
        return
    for key, protocol, default in (
        ("nginx.org/listen-ports", "HTTP", 80),
        ("nginx.org/listen-ports-ssl", "HTTPS", 443),
    ):
        ports = _ports(ann, key)
        if not ports or ports == [default]:
            if ports:
                ann.converted(key, [gateway])
            continue
        taken = names.of(gateway)
        for listener in list(gateway.listeners):
            if (
                listener.hostname != host
                or listener.protocol != protocol
                or listener.port != default
            ):
                continue
            moved = []
            for port in dict.fromkeys(ports):
                name = free_name(
                    f"{host_slug(host)}-{protocol.lower()}-{port}", f"{listener.name}/{port}", taken
                )
                taken.add(name)
                moved.append(
                    Listener(
                        name=name,
                        port=port,
                        protocol=listener.protocol,
                        hostname=listener.hostname,
                        tls_mode=listener.tls_mode,
                        certificate_refs=list(listener.certificate_refs),
                        allowed_namespaces=set(listener.allowed_namespaces),
                        provenance=[*listener.provenance, *ann.prov(key)],
                    )
                )
            position = gateway.listeners.index(listener)
            gateway.listeners[position : position + 1] = moved
            taken.discard(listener.name)
            for route in run.lowered.routes:
                parents = []
                for parent in route.parent_refs:
                    if parent.section_name == listener.name and on_gateway(gateway, route, parent):
                        parents += [replace(parent, section_name=m.name) for m in moved]
                    else:
                        parents.append(parent)
                route.parent_refs = parents
            ann.converted(key, [gateway, *routes])


def _lone_redirect(run: Run, owner: IngressModel, host: str, names: ListenerNames) -> None:
    """A TLS host none of whose paths became a rule (a master without minions) still redirects
    every HTTP request to HTTPS: NGINX Inc's server does it before any location."""
    ann = run.ann(owner)
    gateway = run.lowered.gateway_of.get(owner.source)
    tls = [t for t in owner.tls if host in t.hosts]
    if gateway is None or not tls:
        return
    redirect = go_bool(ann, "nginx.org/ssl-redirect")
    if redirect is None:
        redirect = go_bool(ann, "ingress.kubernetes.io/ssl-redirect")
    _listen_ports(run, owner, host, [], names)
    http = [x for x in gateway.listeners if x.hostname == host and x.protocol == "HTTP"]
    if redirect is False or not http:
        return
    https = [x for x in gateway.listeners if x.hostname == host and x.protocol == "HTTPS"]
    if not https:
        return
    namespace = owner.namespace
    prov = [Provenance(owner.source, tls[0].field)]
    route = HTTPRoute(
        name=run.ctx.allocator("HTTPRoute", namespace).allocate(
            f"{owner.name}-{host_slug(host)}-http", f"inc-redirect/{host}"
        ),
        namespace=namespace,
        hostnames=[host],
        parent_refs=[gateway.parent_ref(namespace, listener.name) for listener in http],
        rules=[
            Rule(
                filters=[
                    RequestRedirect(
                        scheme="https",
                        port=https[0].port if https[0].port != 443 else None,
                        status_code=redirect_code(ann),
                        provenance=list(prov),
                    )
                ],
                provenance=list(prov),
                sources=[owner.source],
            )
        ],
        provenance=list(prov),
    )
    for listener in http:
        if namespace != gateway.namespace:
            listener.allowed_namespaces.add(namespace)
    run.ctx.ir.routes.append(route)
    run.ctx.report.record(owner.source, tls[0].field, Status.CONVERTED, provider=PROVIDER)
    made_from(route, Provenance(owner.source, tls[0].field))


def after_https(run: Run) -> None:
    """The HTTPS redirect of a host with ``listen-ports-ssl`` goes to its first SSL port
    (``return <code> https://$host:<port>$request_uri``)."""
    view = run.inc_view
    if view is None:
        return
    for (_, host), owner in sorted(
        view.owners.items(), key=lambda item: (item[0][1], item[0][0] or "")
    ):
        ports = _ports(run.ann(owner), "nginx.org/listen-ports-ssl")
        if not ports or ports[0] == 443:
            continue
        gateway = run.lowered.gateway_of.get(owner.source)
        if gateway is None:
            continue
        http = {x.name for x in gateway.listeners if x.hostname == host and x.protocol == "HTTP"}
        for route in run.ctx.ir.routes:
            if not isinstance(route, HTTPRoute) or host not in route.hostnames:
                continue
            if not any(
                p.section_name in http and on_gateway(gateway, route, p) for p in route.parent_refs
            ):
                continue
            for rule in route.rules:
                for item in rule.filters:
                    if (
                        isinstance(item, RequestRedirect)
                        and item.scheme == "https"
                        and item.port is None
                        and item.hostname is None
                        and item.path is None
                        and not any(p.field == _TO_HTTPS for p in item.provenance)
                    ):
                        item.port = ports[0]
