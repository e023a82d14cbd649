"""NGINX Inc (F5 NGINX Ingress Controller): the ``nginx.org/*`` and ``nginx.com/*`` keys.

The F5 controller shares no code with ingress-nginx, and its semantics differ:

* ``nginx.org/path-regex`` (``case_sensitive``, ``case_insensitive``, ``exact``) changes the paths
  of *its own* Ingress only (``location ~ "^<path>"``, ``~*``, ``=``): RegularExpression
  ``<path>.*`` (``(?i)`` for case-insensitive) or Exact.
* ``nginx.org/rewrites`` (``serviceName=svc rewrite=/x;...``) rewrites the prefix of the paths to
  each named Service: ``ReplacePrefixMatch`` (``ReplaceFullPath`` on Exact/regex paths).
  ``nginx.org/rewrite-target``: ``ReplaceFullPath``, or with ``$n`` captures a ``RegexRewrite``
  extension (partial).
* HTTPS redirect: default on for TLS hosts, code ``nginx.org/http-redirect-code`` (default 301);
  ``nginx.org/ssl-redirect`` / ``ingress.kubernetes.io/ssl-redirect: "false"`` keep HTTP.
  ``nginx.org/redirect-to-https`` (TLS terminated in front, ``X-Forwarded-Proto: http``) becomes a
  rule per path matching that header and redirecting to https.
* ``hsts`` family → ``Strict-Transport-Security`` response header; ``proxy-set-headers`` /
  ``add-header`` / ``proxy-hide-headers`` → header filters (values with nginx variables are
  reported, not copied).
* ``grpc-services`` → GRPCRoute for the paths to those Services; ``ssl-services`` → reported
  (BackendTLSPolicy needs a hostname and CA the annotation does not give — the Go tool emitted an
  invalid policy); ``websocket-services`` → nothing needed.
* Basic auth, rate limits, body size, buffering, timeouts, retries, load balancing, sticky cookies,
  JWT and custom error pages → the same IR extensions as ingress-nginx's keys.
* Mergeable Ingresses: the ``master`` owns the host, TLS and server-level keys (they apply to the
  minions' paths too); server-level keys on a ``minion`` are ignored, as the controller does.
  Location-level keys are not inherited from the master (reported on the master).
* ``nginx.org/policies`` / ``nginx.com/policies`` reference Policy resources, which are not read: a
  security warning, as access control may be lost.
"""

from __future__ import annotations

import re
from typing import Literal

from ingress2gateway.ingress import IngressModel, IngressPath
from ingress2gateway.ir import (
    BasicAuth,
    Buffering,
    CustomErrors,
    Extension,
    HeaderMatch,
    HTTPRoute,
    JWTAuth,
    LoadBalancer,
    Match,
    PathMatch,
    PathModifier,
    RateLimit,
    RegexRewrite,
    RequestRedirect,
    Rule,
    SessionAffinity,
)
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.report import Level, Status

from ..catalog import NGINX_INC_CATALOG
from . import body, timeouts
from ._base import (
    PROVIDER,
    Ann,
    Run,
    header_modifier,
    is_nginx_inc,
    looks_injected,
    routes_of,
    rules_of,
    url_rewrite,
)
from .affinity import Algorithm
from .rewrite import re2_problem

PATH_REGEX = "nginx.org/path-regex"
MERGEABLE = "nginx.org/mergeable-ingress-type"
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


def path_match(ctx: ProviderContext, model: IngressModel, path: IngressPath) -> PathMatch | None:
    """The match ``nginx.org/path-regex`` gives ``path``; None when the key is absent;
    a match with an empty value when the path cannot be converted (reported)."""
    mode = _value(model, PATH_REGEX)
    if mode is None:
        return None
    mode = mode.lower()
    if mode == "exact":
        return PathMatch("Exact", path.path)
    if mode not in ("case_sensitive", "case_insensitive", "true"):
        return None
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


def _server_rules(run: Run, model: IngressModel) -> list[tuple[HTTPRoute, Rule]]:
    """Rules a server-level key of ``model`` applies to: its own, or the host's for a master."""
    if (_value(model, MERGEABLE) or "").lower() != "master":
        return rules_of(run, model)
    hosts = {h for h in model.hosts() if h is not None}
    return [(route, rule) for route in run.routes_with_hosts(hosts) for rule in route.rules]


def apply(run: Run, model: IngressModel) -> None:
    if not is_nginx_inc(model):
        return
    ann = run.ann(model)
    role = (_value(model, MERGEABLE) or "").lower()
    if ann.has(MERGEABLE):
        if role not in ("master", "minion"):
            ann.invalid(MERGEABLE, f"{role!r} is not master or minion")
        else:
            ann.converted(MERGEABLE, routes_of(rules_of(run, model)))
    if role == "minion":
        for key in sorted(_SERVER_KEYS):
            ann.ignored(
                [key], "a minion's server-level annotations are ignored; the master's apply"
            )
    own = rules_of(run, model)
    server = _server_rules(run, model)
    _path_regex(ann, own)
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


def _path_regex(ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    mode = (ann.text(PATH_REGEX) or "").lower()
    if not ann.has(PATH_REGEX):
        return
    if mode not in ("case_sensitive", "case_insensitive", "exact", "true"):
        ann.invalid(PATH_REGEX, f"{mode!r} is not case_sensitive, case_insensitive or exact")
        return
    ann.converted(PATH_REGEX, routes_of(pairs))


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
            url_rewrite(rule, ann.prov("nginx.org/rewrites")).path = PathModifier(
                kind, targets[hit[0]]
            )
            touched.append(route)
        if touched:
            ann.converted("nginx.org/rewrites", touched)
        elif targets:
            ann.ignored(
                ["nginx.org/rewrites"], "no path of this Ingress goes to the named Services"
            )
    target = ann.text("nginx.org/rewrite-target")
    if target is None:
        return
    if (
        not target.startswith("/")
        or re.search(r"\$(?!\d)", target)
        or looks_injected(target.replace("$", ""))
    ):
        ann.invalid("nginx.org/rewrite-target", f"{target!r} is not a path")
        return
    for route, rule in pairs:
        path = rule.matches[0].path if rule.matches else None
        if _CAPTURE.search(target) and path is not None and path.type == "RegularExpression":
            pattern = path.value.removesuffix(".*")
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
                [route.ref],
            )
        elif _CAPTURE.search(target):
            ann.invalid("nginx.org/rewrite-target", "captures need nginx.org/path-regex")
        else:
            url_rewrite(rule, ann.prov("nginx.org/rewrite-target")).path = PathModifier(
                "ReplaceFullPath", target
            )
            ann.converted("nginx.org/rewrite-target", [route])


def _https(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    code = 301
    if ann.has("nginx.org/http-redirect-code"):
        wanted = ann.integer("nginx.org/http-redirect-code")
        if wanted in (301, 302, 307, 308):
            code = wanted
        elif wanted is not None:
            ann.invalid("nginx.org/http-redirect-code", f"{wanted} is not 301, 302, 307 or 308")
    keep_http = False
    for key in ("nginx.org/ssl-redirect", "ingress.kubernetes.io/ssl-redirect"):
        if ann.flag(key, True) is False:
            keep_http = True
    for _, rule in pairs:
        run.redirect_codes[id(rule)] = code
        if keep_http:
            run.ssl_exempt.add(id(rule))
    if ann.flag("nginx.org/redirect-to-https", False):
        for route, rule in pairs:
            position = route.rules.index(rule)
            redirect = Rule(
                matches=[
                    Match(
                        path=m.path, headers=(*m.headers, HeaderMatch("X-Forwarded-Proto", "http"))
                    )
                    for m in (rule.matches or [Match()])
                ],
                filters=[
                    RequestRedirect(
                        scheme="https",
                        status_code=code,
                        provenance=ann.prov("nginx.org/redirect-to-https"),
                    )
                ],
                provenance=ann.prov("nginx.org/redirect-to-https"),
                sources=list(rule.sources),
            )
            route.rules.insert(position, redirect)
            ann.converted("nginx.org/redirect-to-https", [route])
    if ann.flag("nginx.org/hsts", False):
        max_age = ann.integer("nginx.org/hsts-max-age", 0)
        value = f"max-age={2592000 if max_age is None else max_age}"
        if ann.flag("nginx.org/hsts-include-subdomains", False):
            value += "; includeSubDomains"
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
                [r.ref for r in routes_of(own)],
            )
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
