"""Ingress annotations of both controllers, applied to the rules of the Ingress that carries
them (an annotation never reaches another Ingress's rules on the same host).

* Access controls (IP allow/deny lists, basic auth, external auth, client certificates) become
  security extensions: an emitter that cannot carry one leaves the rules closed. What cannot be
  carried in any form (a pattern file, a client address taken from a header, oauth2_proxy, an
  auth type the controller refuses, a snippet that denies requests) closes the rules outright.
* Header changes, CORS, rewrites, Host rewrites and redirects become standard filters; values
  that use HAProxy fetches (``%[...]``) are reported, never copied.
* Load balancing, affinity, rate limits, body size and connect timeouts travel as extensions.
* Configuration snippets are never translated: a security warning quotes the first line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import Lowered, path_problem
from ingress2gateway.ir import (
    BasicAuth,
    BodySize,
    ClientCertAuth,
    Cors,
    CorsFilter,
    ExternalAuth,
    HeaderMatch,
    HeaderModifier,
    HTTPRoute,
    IPAccess,
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
    Timeouts,
    URLRewrite,
)
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXY_INGRESS, HAPROXYTECH
from .keys import Keys, duration

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$")
_DENYING_SNIPPET = re.compile(
    r"http-request\s+(deny|auth|reject|silent-drop|tarpit|return)|tcp-request\s+\S+\s+reject"
    r"|\buse_backend\b|\bredirect\b",
    re.IGNORECASE,
)


class Family:
    """One Ingress's rules and keys, as the handlers below need them."""

    def __init__(self, keys: Keys, lowered: Lowered) -> None:
        self.keys = keys
        self.model: IngressModel = keys.model
        self.pairs = list(lowered.rules_of(keys.model.source))
        self.rules = [rule for _, rule in self.pairs]
        self.routes = list({id(route): route for route, _ in self.pairs}.values())

    @property
    def tech(self) -> bool:
        return self.keys.controller == HAPROXYTECH

    def close(self, name: str, why: str, status: int | None = 403) -> None:
        """Close every rule of the Ingress: an access control nothing can carry."""
        keys = self.keys
        message = f"{keys.key(name)}: {why}; the Ingress's rules are closed"
        keys.notify(Level.ERROR, "haproxy-access-closed", name, message, security=True)
        keys.record(name, Status.UNSUPPORTED, message)
        control = RefusedControl(
            what=f"the uncarried {keys.key(name)}", provenance=keys.prov(name), status=status
        )
        for rule in self.rules:
            rule.extensions.append(control)


def header_modifier(rule: Rule, response: bool, provenance: list[Provenance]) -> HeaderModifier:
    for item in rule.filters:
        if isinstance(item, HeaderModifier) and item.response == response:
            item.provenance.extend(provenance)
            return item
    created = HeaderModifier(response=response, provenance=list(provenance))
    rule.filters.append(created)
    return created


def url_rewrite(rule: Rule, provenance: list[Provenance]) -> URLRewrite:
    for item in rule.filters:
        if isinstance(item, URLRewrite):
            item.provenance.extend(provenance)
            return item
    created = URLRewrite(provenance=list(provenance))
    rule.filters.append(created)
    return created


def _control(value: str) -> bool:
    """Control characters (``urlsplit`` silently drops CR, LF and tab: check before it)."""
    return any(ord(ch) < 0x20 or ch == "\x7f" for ch in value)


def header_value_problem(value: str) -> str | None:
    if "%[" in value:
        return "uses HAProxy fetches (%[...]), which no filter evaluates"
    if any(ord(ch) < 0x20 and ch != "\t" for ch in value) or "\x7f" in value:
        return "contains control characters"
    if len(value) > 4096:
        return "is longer than 4096 characters"
    return None


def _parse_header_lines(
    keys: Keys, name: str, sep: str | None
) -> tuple[dict[str, str], list[str]] | None:
    """``Name value`` (``sep`` None) or ``Name: value`` lines; problems are reported and the
    whole annotation is left out (a half-applied header set is worse than none)."""
    parsed: dict[str, str] = {}
    for line in keys.lines(name):
        if sep is None:
            header, _, value = line.partition(" ")
        else:
            header, _, value = line.partition(sep)
        header, value = header.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if not _HEADER_NAME.match(header):
            keys.invalid(name, f"{header!r} is not a header name")
            return None
        problem = header_value_problem(value)
        if problem is not None:
            keys.unsupported(name, f"the value of {header} {problem}; not converted")
            return None
        parsed[header] = value
    return parsed, []


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
        parsed = _parse_header_lines(keys, name, sep)
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
            bad = [n for n in names if not _HEADER_NAME.match(n)]
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
        from .paths import regex_problem

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


def _cidrs(family: Family, name: str) -> list[str] | None:
    """The networks of an allow/deny key; None (rules closed) when one cannot be carried."""
    keys = family.keys
    found: list[str] = []
    for item in keys.csv(name):
        if item.startswith(("patterns/", "/")) or (
            "/" in item and not item[0].isdigit() and ":" not in item
        ):
            family.close(name, f"{item!r} is a pattern file, which no extension can carry")
            return None
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            family.close(name, f"{item!r} is not an IP address or network")
            return None
    return found


def access(family: Family) -> None:
    keys = family.keys
    allow_keys: tuple[str, ...]
    deny_keys: tuple[str, ...]
    if family.tech:
        allow_keys, deny_keys, header_key = (
            ("allow-list", "whitelist"),
            ("deny-list", "blacklist"),
            "src-ip-header",
        )
    else:
        allow_keys = ("allowlist-source-range", "whitelist-source-range")
        deny_keys = ("denylist-source-range",)
        header_key = "allowlist-source-header"
    allow_key = next((k for k in allow_keys if keys.has(k)), None)
    deny_key = next((k for k in deny_keys if keys.has(k)), None)
    for extra in allow_keys + deny_keys:
        if keys.has(extra) and extra not in (allow_key, deny_key):
            keys.record(
                extra,
                Status.IGNORED,
                f"{keys.key(extra)}: {keys.key(allow_key or deny_key or extra)} is read first",
            )
    if keys.has(header_key):
        if allow_key or deny_key or (family.tech and _limited(keys)):
            family.close(
                header_key,
                "the client address is taken from a header, so the allow/deny lists and rate "
                "limits of the Ingress cannot be carried",
            )
            for key in (allow_key, deny_key):
                if key:
                    family.close(key, f"its addresses are read from {keys.key(header_key)}")
            return
        keys.unsupported(
            header_key, "the client address from a header has no per-route equivalent; reported"
        )
    if not allow_key and not deny_key:
        return
    allow = _cidrs(family, allow_key) if allow_key else []
    deny = _cidrs(family, deny_key) if deny_key else []
    if allow is None or deny is None:
        return
    if allow_key and not allow:
        family.close(allow_key, "the list is empty")
        return
    control = IPAccess(
        allow=allow,
        deny=deny,
        provenance=keys.prov(*[k for k in (allow_key, deny_key) if k]),
    )
    for rule in family.rules:
        rule.extensions.append(control)


def _limited(keys: Keys) -> bool:
    return keys.has("rate-limit-requests")


def basic_auth(family: Family) -> None:
    keys = family.keys
    if family.tech:
        if not keys.has("auth-type"):
            for name in ("auth-secret", "auth-realm"):
                keys.record(
                    name,
                    Status.IGNORED,
                    f"{keys.key(name)}: no auth-type, so the controller ignores it",
                )
            return
        kind = (keys.text("auth-type") or "").lower()
        if kind != "basic-auth":
            family.close(
                "auth-type",
                f"{kind!r} is not an auth type the controller knows (basic-auth)",
                status=None,
            )
            _not_read(keys, "the auth-type is refused")
            return
        if not keys.has("auth-secret"):
            family.close("auth-type", "basic-auth without auth-secret", status=None)
            _not_read(keys, "no auth-secret")
            return
    elif not keys.has("auth-secret"):
        return
    secret = keys.text("auth-secret") or ""
    namespace, _, name = secret.rpartition("/")
    problem = grammar.hostname_problem(name) if name else "is empty"
    if problem is not None or (namespace and grammar.hostname_problem(namespace)):
        family.close("auth-secret", f"{secret!r} is not a Secret name")
        return
    realm = keys.text("auth-realm")
    if realm is not None and ('"' in realm or any(ord(c) < 0x20 for c in realm)):
        keys.invalid("auth-realm", "the realm has quotes or control characters")
        realm = None
    ext = BasicAuth(
        secret_name=name,
        secret_namespace=namespace or None,
        realm=realm or ("Protected Content" if family.tech else None),
        provenance=keys.prov("auth-type", "auth-secret", "auth-realm"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)
    hashes = "crypt(3) hashes as user keys" if family.tech else "an htpasswd-style auth key"
    keys.notify(
        Level.WARNING,
        "haproxy-auth-secret-format",
        "auth-secret",
        f"the basic-auth Secret {secret} holds {hashes} in the controller's format; the "
        "implementation may expect another (Envoy Gateway: .htpasswd with SHA hashes): check it",
    )


def _not_read(keys: Keys, why: str) -> None:
    for name in ("auth-secret", "auth-realm"):
        keys.record(name, Status.IGNORED, f"{keys.key(name)}: {why}; the Ingress is closed instead")


def external_auth(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("auth-url"):
        for name in ("auth-signin", "auth-method", "auth-headers-succeed"):
            if keys.has(name) and not family.tech:
                keys.record(name, Status.IGNORED, f"{keys.key(name)}: no auth-url")
        return
    url = keys.text("auth-url") or ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c in url for c in " \"'<>")
        or _control(url)
    ):
        family.close("auth-url", f"{url!r} is not an http(s) URL")
        return
    method = (keys.text("auth-method") or "GET").upper()
    signin = keys.text("auth-signin")
    ext = ExternalAuth(
        url=url,
        method=method if method.isalpha() else "GET",
        response_headers=[
            h for h in keys.csv("auth-headers-succeed") if _HEADER_NAME.match(h) and h != "*"
        ],
        signin_url=signin
        if signin and not _control(signin) and urlsplit(signin).scheme in ("http", "https")
        else None,
        provenance=keys.prov("auth-url", "auth-method", "auth-signin", "auth-headers-succeed"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def client_cert(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("auth-tls-secret"):
        return
    secret = keys.text("auth-tls-secret") or ""
    namespace, _, name = secret.rpartition("/")
    if not name or grammar.hostname_problem(name):
        family.close("auth-tls-secret", f"{secret!r} is not a Secret name")
        return
    verify = (keys.text("auth-tls-verify-client") or "on").lower()
    if verify not in ("on", "optional", "optional_no_ca", "off"):
        family.close("auth-tls-verify-client", f"{verify!r} is not a verification mode")
        return
    if verify == "off":
        keys.record("auth-tls-secret", Status.IGNORED, "auth-tls-verify-client is off")
        keys.record(
            "auth-tls-verify-client", Status.CONVERTED, "off: no client certificate is asked"
        )
        return
    ext = ClientCertAuth(
        ca_secret=name,
        ca_namespace=namespace or None,
        verify=verify,
        provenance=keys.prov("auth-tls-secret", "auth-tls-verify-client"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def oauth(family: Family) -> None:
    keys = family.keys
    if not family.tech and keys.has("oauth"):
        family.close(
            "oauth",
            "the oauth2_proxy integration (auth-request to the proxy) has no equivalent",
            status=None,
        )


def _origin_ok(origin: str) -> bool:
    if origin == "*":
        return True
    if _control(origin):
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
    if any(h != "*" and not _HEADER_NAME.match(h) for h in allow_headers + expose):
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


_UNITS: dict[int, str] = {1000: "Second", 60_000: "Minute", 3_600_000: "Hour"}


def rate_limit(family: Family) -> None:
    keys = family.keys
    if family.tech:
        if not keys.has("rate-limit-requests"):
            for name in (
                "rate-limit-period",
                "rate-limit-status-code",
                "rate-limit-whitelist",
                "rate-limit-size",
            ):
                keys.record(name, Status.IGNORED, f"{keys.key(name)}: no rate-limit-requests")
            return
        requests = keys.integer("rate-limit-requests", 1, 10**9)
        period = keys.milliseconds("rate-limit-period") or 1000
        if requests is None:
            return
        unit = _UNITS.get(period)
        names = ["rate-limit-requests", "rate-limit-period"]
        if unit is None:
            keys.unsupported(
                "rate-limit-period",
                f"a window of {duration(period)} has no equivalent (1s, 1m, 1h); the rate limit is not converted",
            )
            keys.record("rate-limit-requests", Status.UNSUPPORTED, "its period cannot be carried")
            return
    else:
        if not keys.has("limit-rps"):
            return
        requests = keys.integer("limit-rps", 1, 10**9)
        if requests is None:
            return
        unit, names = "Second", ["limit-rps"]
    if family.tech:
        code = keys.integer("rate-limit-status-code", 100, 599)
        if code == 429:
            keys.record(
                "rate-limit-status-code", Status.CONVERTED, "429, as implementations answer"
            )
        elif not keys.has("rate-limit-status-code"):
            keys.notify(
                Level.INFO,
                "haproxy-rate-limit-status",
                "rate-limit-requests",
                "the controller answers limited requests with 403 by default; Gateway "
                "implementations answer 429",
            )
    ext = RateLimit(requests=requests, unit=unit, per_client_ip=True, provenance=keys.prov(*names))  # type: ignore[arg-type]
    for rule in family.rules:
        rule.extensions.append(ext)


_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "roundrobin": ("RoundRobin", None),
    "static-rr": ("RoundRobin", None),
    "leastconn": ("LeastRequest", None),
    "random": ("Random", None),
    "source": ("ConsistentHash", "source-ip"),
    "uri": ("ConsistentHash", "uri"),
}


def load_balance(family: Family) -> None:
    keys = family.keys
    name = "load-balance" if family.tech else "balance-algorithm"
    value = keys.text(name)
    if value is None:
        return
    head = value.split()[0].lower()
    if head.startswith("random("):
        head = "random"
    found = _ALGORITHMS.get(head)
    if found is None or (head == "uri" and len(value.split()) > 1):
        keys.unsupported(name, f"the algorithm {value!r} has no equivalent; not converted")
        return
    ext = LoadBalancer(algorithm=found[0], hash_on=found[1], provenance=keys.prov(name))  # type: ignore[arg-type]
    for rule in family.rules:
        rule.extensions.append(ext)


_COOKIE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")


def affinity(family: Family) -> None:
    keys = family.keys
    if family.tech:
        for name in ("cookie-persistence", "cookie-persistence-no-dynamic"):
            keys.record(
                name,
                Status.IGNORED,
                f"{keys.key(name)}: read from Services and the ConfigMap only, not from an Ingress",
            )
        return
    kind = keys.text("affinity")
    if kind is None:
        return
    if kind.lower() != "cookie":
        keys.invalid("affinity", f"{kind!r} is not an affinity type (cookie)")
        return
    cookie = keys.text("session-cookie-name") or "INGRESSCOOKIE"
    if not _COOKIE.match(cookie):
        keys.invalid("session-cookie-name", f"{cookie!r} is not a cookie name")
        return
    ext = SessionAffinity(
        cookie_name=cookie, provenance=keys.prov("affinity", "session-cookie-name")
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def timeouts(family: Family) -> None:
    keys = family.keys
    server = keys.milliseconds("timeout-server")
    if server is not None:
        for rule in family.rules:
            rule.backend_request_timeout = duration(server)
        keys.record(
            "timeout-server",
            Status.PARTIAL,
            "HAProxy's timeout server is an inactivity timeout; Gateway API's backendRequest bounds the whole request",
        )
        keys.converted("timeout-server", family.routes)
    if not family.tech:
        connect = keys.milliseconds("timeout-connect")
        if connect is not None:
            ext = Timeouts(connect=duration(connect), provenance=keys.prov("timeout-connect"))
            for rule in family.rules:
                rule.extensions.append(ext)


_SIZE = re.compile(r"^(\d{1,12})([kmg]?)b?$", re.IGNORECASE)


def body_size(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("proxy-body-size"):
        return
    value = (keys.text("proxy-body-size") or "").lower()
    if value == "unlimited":
        keys.record("proxy-body-size", Status.CONVERTED, "unlimited: no limit")
        return
    match = _SIZE.match(value)
    if match is None:
        keys.invalid("proxy-body-size", f"{value!r} is not a size")
        return
    size = (
        int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    )
    ext = BodySize(max_bytes=size, provenance=keys.prov("proxy-body-size"))
    for rule in family.rules:
        rule.extensions.append(ext)


def snippets(family: Family) -> None:
    keys = family.keys
    names = (
        ("backend-config-snippet",)
        if family.tech
        else ("config-backend", "config-backend-early", "config-backend-late")
    )
    for name in names:
        if not keys.has(name):
            continue
        text = keys.text(name) or ""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if _DENYING_SNIPPET.search(text):
            family.close(
                name,
                f"raw HAProxy configuration that decides who is served ({first[:80]!r}) is never translated",
            )
            continue
        keys.unsupported(
            name,
            f"raw HAProxy configuration is never translated (first line: {first[:80]!r})",
            security=True,
        )


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
        parsed = _parse_header_lines(keys, name, ":")
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
            from .paths import regex_problem

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
    if _control(url):
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


FAMILIES: tuple[Callable[[Family], None], ...] = (
    header_matches,
    redirect_to,
    app_root,
    headers,
    set_host,
    path_rewrite,
    rewrite_target,
    access,
    basic_auth,
    external_auth,
    client_cert,
    oauth,
    cors,
    rate_limit,
    load_balance,
    affinity,
    timeouts,
    body_size,
    snippets,
    forwarded_for,
)

__all__ = ["FAMILIES", "HAPROXY_INGRESS", "Family"]
