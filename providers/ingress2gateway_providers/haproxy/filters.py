"""Filters and redirects: header changes, Host and path rewrites, header matches, redirects,
app-root, CORS. Values that use HAProxy fetches (``%[...]``) or control characters are
reported, never copied."""

from __future__ import annotations

from urllib.parse import urlsplit

from ingress2gateway.converting import grammar
from ingress2gateway.converting.lowering import path_problem
from ingress2gateway.ir import (
    Cors,
    CorsFilter,
    HeaderMatch,
    HTTPRoute,
    Match,
    PathMatch,
    PathModifier,
    RefusedControl,
    RegexRewrite,
    RequestRedirect,
    Rule,
)
from ingress2gateway.reporting.report import Level, Status

from .family import (
    HEADER_NAME,
    Family,
    has_control,
    header_modifier,
    parse_header_lines,
    url_rewrite,
)
from .paths import regex_problem


def headers(family: Family) -> None:
    keys = family.keys
    plans: tuple[tuple[str, bool, str | None, str], ...]
    if family.tech:
        plans = (
            ("request-set-header", False, None, "set"),
            ("response-set-header", True, None, "set"),
        )
    else:
        plans = (
            ("headers", False, ":", "set"),
            ("request-set-headers", False, ":", "set"),
            ("request-add-headers", False, ":", "add"),
            ("response-set-headers", True, ":", "set"),
            ("response-add-headers", True, ":", "add"),
        )
    for name, response, sep, how in plans:
        if not keys.has(name):
            continue
        parsed = parse_header_lines(keys, name, sep)
        if parsed is None or not parsed[0]:
            if parsed is not None:
                keys.invalid(name, "no header is set")
            continue
        for rule in family.rules:
            modifier = header_modifier(rule, response, keys.prov(name))
            target = modifier.set if how == "set" else modifier.add
            target.update(parsed[0])
        keys.converted(name, family.routes)
    if not family.tech:
        for name, response in (("request-del-headers", False), ("response-del-headers", True)):
            if not keys.has(name):
                continue
            names = keys.csv(name)
            bad = [n for n in names if not HEADER_NAME.match(n)]
            if bad or not names:
                keys.invalid(name, f"{bad[0] if bad else ''!r} is not a header name")
                continue
            for rule in family.rules:
                header_modifier(rule, response, keys.prov(name)).remove.extend(names)
            keys.converted(name, family.routes)


def set_host(family: Family) -> None:
    keys = family.keys
    if not family.tech or not keys.has("set-host"):
        return
    value = keys.text("set-host") or ""
    host, _, port = value.partition(":")
    problem = grammar.hostname_problem(host) if host else "is empty"
    if problem is not None or (port and not port.isdigit()) or "*" in host:
        keys.invalid("set-host", f"{value!r} is not a host name")
        return
    if port:
        keys.unsupported(
            "set-host", f"the port in {value!r} is not carried (URLRewrite takes a host name)"
        )
    for rule in family.rules:
        url_rewrite(rule, keys.prov("set-host")).hostname = host
    if not port:
        keys.converted("set-host", family.routes)


def path_rewrite(family: Family) -> None:
    keys = family.keys
    name = "path-rewrite"
    if not family.tech or not keys.has(name):
        return
    lines = keys.lines(name)
    if len(lines) != 1:
        keys.unsupported(
            name, "several rewrite rules are applied one after the other in HAProxy; not converted"
        )
        return
    parts = lines[0].split()
    if len(parts) == 1:
        target = parts[0]
        problem = path_problem(target) if target.startswith("/") else "does not start with /"
        if problem is not None:
            keys.invalid(name, f"{target!r} {problem}")
            return
        for rule in family.rules:
            url_rewrite(rule, keys.prov(name)).path = PathModifier("ReplaceFullPath", target)
        keys.converted(name, family.routes)
        return
    if len(parts) == 2:
        pattern, substitution = parts
        problem = regex_problem(pattern)
        if problem is not None or "%[" in substitution:
            keys.invalid(name, f"the rewrite {problem or 'uses HAProxy fetches'}")
            return
        ext = RegexRewrite(pattern=pattern, substitution=substitution, provenance=keys.prov(name))
        for rule in family.rules:
            rule.extensions.append(ext)
        return
    keys.invalid(name, "expected one path, or a regular expression and its replacement")


def rewrite_target(family: Family) -> None:
    keys = family.keys
    name = "rewrite-target"
    if family.tech or not keys.has(name):
        return
    target = keys.text(name) or ""
    problem = path_problem(target) if target.startswith("/") else "does not start with /"
    if problem is not None:
        keys.invalid(name, f"{target!r} {problem}")
        return
    done: list[HTTPRoute] = []
    for route, rule in family.pairs:
        match = rule.matches[0].path if rule.matches and rule.matches[0].path else None
        if match is None:
            continue
        if match.type == "PathPrefix":
            url_rewrite(rule, keys.prov(name)).path = PathModifier("ReplacePrefixMatch", target)
            done.append(route)
        else:
            # The controller replaces the characters the path matched (regex: verbatim, with
            # an implicit ^).
            value = match.value
            if match.type == "RegularExpression":
                value = value.removesuffix(".*")
            rule.extensions.append(
                RegexRewrite(pattern=f"^{value}", substitution=target, provenance=keys.prov(name))
            )
    if done:
        keys.converted(name, done)


def header_matches(family: Family) -> None:
    keys = family.keys
    if family.tech:
        return
    for name, kind in (
        ("http-header-match", "Exact"),
        ("http-header-match-regex", "RegularExpression"),
    ):
        if not keys.has(name):
            continue
        parsed = parse_header_lines(keys, name, ":")
        if parsed is None or not parsed[0]:
            if parsed is not None:
                keys.invalid(name, "no header is given")
            for rule in family.rules:
                rule.extensions.append(
                    RefusedControl(
                        what=f"the unreadable {keys.key(name)}", provenance=keys.prov(name)
                    )
                )
            continue
        if kind == "RegularExpression":
            bad = [v for v in parsed[0].values() if regex_problem(v)]
            if bad:
                keys.invalid(name, f"{bad[0]!r} is not a regular expression RE2 accepts")
                for rule in family.rules:
                    rule.extensions.append(
                        RefusedControl(
                            what=f"the unreadable {keys.key(name)}", provenance=keys.prov(name)
                        )
                    )
                continue
        extra = tuple(HeaderMatch(h, v, kind) for h, v in sorted(parsed[0].items()))  # type: ignore[arg-type]
        for rule in family.rules:
            rule.matches = [
                Match(
                    path=m.path,
                    headers=m.headers + extra,
                    query_params=m.query_params,
                    method=m.method,
                )
                for m in rule.matches
            ]
        keys.converted(name, family.routes)


def redirect_to(family: Family) -> None:
    keys = family.keys
    if family.tech:
        _request_redirect(family)
        return
    if not keys.has("redirect-to"):
        if keys.has("redirect-to-code"):
            keys.record("redirect-to-code", Status.IGNORED, "no redirect-to")
        return
    url = keys.text("redirect-to") or ""
    if has_control(url):
        keys.invalid("redirect-to", "the URL has control characters")
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    code = keys.integer("redirect-to-code", 300, 399) or 302
    if (
        parts.scheme not in ("http", "https")
        or grammar.hostname_problem(host)
        or parts.query
        or parts.fragment
    ):
        keys.invalid("redirect-to", f"{url!r} is not a URL a redirect can carry")
        return
    path = parts.path or "/"
    if path_problem(path):
        keys.invalid("redirect-to", f"the path of {url!r} cannot be carried")
        return
    code = code if code in (301, 302, 303, 307, 308) else 302
    for rule in family.rules:
        rule.backend_refs = []
        rule.filters = [
            RequestRedirect(
                scheme=parts.scheme,
                hostname=host,
                port=parts.port,
                path=PathModifier("ReplaceFullPath", path),
                status_code=code,
                provenance=keys.prov("redirect-to", "redirect-to-code"),
            )
        ]
    keys.converted("redirect-to", family.routes)
    keys.converted("redirect-to-code", family.routes)
    keys.notify(
        Level.INFO,
        "haproxy-redirect-query",
        "redirect-to",
        "the controller's Location is the URL as written; a Gateway API redirect keeps the "
        "request's query string",
    )


def _request_redirect(family: Family) -> None:
    keys = family.keys
    if not keys.has("request-redirect"):
        keys.record("request-redirect-code", Status.IGNORED, "no request-redirect")
        return
    value = keys.text("request-redirect") or ""
    host, _, port_text = value.partition(":")
    if grammar.hostname_problem(host) or (
        port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536)
    ):
        keys.invalid("request-redirect", f"{value!r} is not host[:port]")
        return
    code = keys.integer("request-redirect-code", 300, 399) or 302
    if code not in (301, 302, 303, 307, 308):
        keys.invalid("request-redirect-code", f"{code} is not a redirect code Gateway API allows")
        code = 302
    for rule in family.rules:
        rule.backend_refs = []
        rule.filters = [
            RequestRedirect(
                hostname=host,
                port=int(port_text) if port_text else None,
                status_code=code,
                provenance=keys.prov("request-redirect", "request-redirect-code"),
            )
        ]
    keys.converted("request-redirect", family.routes)
    keys.converted("request-redirect-code", family.routes)


def app_root(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("app-root"):
        return
    target = keys.text("app-root") or ""
    if not target.startswith("/") or path_problem(target):
        keys.invalid("app-root", f"{target!r} is not a path")
        return
    done = []
    for route in family.routes:
        if len(route.rules) >= 16:
            # Gateway API's limit; the lowering fills routes up to it.
            keys.unsupported(
                "app-root",
                f"HTTPRoute {route.name} already has 16 rules, the most one route may hold: "
                "the redirect of / is not added there",
            )
            continue
        route.rules.insert(
            0,
            Rule(
                matches=[Match(path=_exact_root())],
                filters=[
                    RequestRedirect(
                        path=PathModifier("ReplaceFullPath", target),
                        status_code=302,
                        provenance=keys.prov("app-root"),
                    )
                ],
                provenance=keys.prov("app-root"),
                sources=[family.model.source],
            ),
        )
        done.append(route)
    keys.converted("app-root", done)


def _exact_root() -> PathMatch:
    return PathMatch("Exact", "/")


def forwarded_for(family: Family) -> None:
    keys = family.keys
    if not family.tech or not keys.has("forwarded-for"):
        return
    if keys.flag("forwarded-for", True):
        keys.record(
            "forwarded-for",
            Status.CONVERTED,
            "X-Forwarded-For is added, as Gateway implementations do",
        )
    else:
        keys.unsupported(
            "forwarded-for",
            '"false" (no X-Forwarded-For) has no equivalent; implementations add it',
        )


def _origin_ok(origin: str) -> bool:
    if origin == "*":
        return True
    if has_control(origin):
        return False
    parts = urlsplit(origin)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not any(c in origin for c in " \"'<>,")
    )


def cors(family: Family) -> None:
    keys = family.keys
    if not keys.flag("cors-enable", False):
        return
    origins = keys.csv("cors-allow-origin") or ["*"]
    names = [
        "cors-enable",
        "cors-allow-origin",
        "cors-allow-methods",
        "cors-allow-headers",
        "cors-allow-credentials",
        "cors-max-age",
    ]
    if not family.tech:
        names.append("cors-expose-headers")
        if keys.has("cors-allow-origin-regex"):
            keys.unsupported(
                "cors-allow-origin-regex",
                "origins matched by a regular expression are not carried; only cors-allow-origin is",
            )
    else:
        names.append("cors-respond-to-options")
    bad = [o for o in origins if not _origin_ok(o)]
    if bad:
        keys.unsupported(
            "cors-allow-origin",
            f"{bad[0]!r} is not an origin (a regular expression?); the CORS policy is not converted",
        )
        return
    methods = [m.upper() for m in keys.csv("cors-allow-methods")] or ["*"]
    if any(not (m == "*" or m.isalpha()) for m in methods):
        keys.invalid("cors-allow-methods", "not a list of methods")
        return
    allow_headers = keys.csv("cors-allow-headers") or (["*"] if family.tech else [])
    expose = keys.csv("cors-expose-headers") if not family.tech else []
    if any(h != "*" and not HEADER_NAME.match(h) for h in allow_headers + expose):
        keys.invalid("cors-allow-headers", "not a list of header names")
        return
    max_age_ms = keys.milliseconds("cors-max-age") if family.tech else None
    max_age = (
        (max_age_ms // 1000 if max_age_ms is not None else 5)
        if family.tech
        else keys.integer("cors-max-age", 0, 10**9)
    )
    ext = Cors(
        allow_origins=origins,
        allow_methods=methods,
        allow_headers=allow_headers,
        expose_headers=expose,
        allow_credentials=keys.flag("cors-allow-credentials", False),
        max_age=max_age,
        provenance=keys.prov(*names),
    )
    for rule in family.rules:
        rule.filters.append(CorsFilter(cors=ext, provenance=list(ext.provenance)))
        rule.extensions.append(ext)
    for name in names:
        if keys.has(name) and not keys.report.has_entry(keys.source(name), keys.field(name)):
            keys.converted(name, family.routes)
