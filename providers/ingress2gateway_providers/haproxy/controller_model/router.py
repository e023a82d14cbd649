"""How HAProxy, as each controller configures it, answers one request.

HAProxy Technologies (``pkg/controller/controller.go`` frontend rules, ``pkg/route/route.go``):
the HTTPS redirect of a host comes first (``http-request redirect`` in the HTTP frontend, for
every path of the host); then the ``path-exact`` map, then ``path-prefix-exact``, then the
``path-prefix`` map (``map_beg``, longest entry first) on ``host + path``; the host is
lower-cased, paths are case-sensitive. Request-level annotations (request-redirect,
path-rewrite, set-host, allow/deny lists, basic auth) belong to the backend that served the
path.

HAProxy Ingress (``keys.md`` "Path type", "SSL redirect", "App root"): overlapping paths are
tried longest first whatever their type, ties in the order exact, prefix, begin; a path with
``http-header-match`` conditions before the same path without; regular expressions last.
``begin`` compares case-insensitively. A TLS host redirects plain HTTP with 302 unless the
path says ``ssl-redirect: "false"`` or the request is an ACME challenge
(``no-tls-redirect-locations``); ``app-root`` redirects ``/`` with 302.
"""

from __future__ import annotations

import re

from ingress2gateway.verification.model import (
    Cause,
    NoRoute,
    Outcome,
    Redirect,
    Request,
    Respond,
    Routed,
    forward,
)

from .config import COMMUNITY, TECH, Config, Entry

ACME = "/.well-known/acme-challenge"
_TYPE_ORDER = {"exact": 0, "prefix": 1, "chars": 2, "regex": 3}
_DECIDING = (
    "ssl-redirect",
    "allow-list",
    "whitelist",
    "deny-list",
    "blacklist",
    "src-ip-header",
    "auth-type",
    "auth-secret",
    "request-redirect",
    "path-rewrite",
    "set-host",
    "backend-config-snippet",
    "allowlist-source-range",
    "whitelist-source-range",
    "denylist-source-range",
    "allowlist-source-header",
    "auth-url",
    "auth-tls-secret",
    "oauth",
    "config-backend",
    "config-backend-early",
    "config-backend-late",
    "redirect-to",
    "rewrite-target",
    "path-type",
    "http-header-match",
    "http-header-match-regex",
)


def _matches(entry: Entry, path: str) -> bool:
    value = entry.path
    if entry.kind == "exact":
        return path == value
    if entry.kind == "prefix":
        bare = value.rstrip("/")
        return not bare or path == bare or path.startswith(bare + "/")
    if entry.kind == "chars":
        if entry.insensitive:
            return path.lower().startswith(value.lower())
        return path.startswith(value)
    try:
        return re.match(value, path) is not None
    except re.error:
        return False


def _headers_match(entry: Entry, request: Request) -> bool:
    sent = dict(request.headers)
    for name, value, regex in entry.headers:
        got = sent.get(name)
        if got is None:
            return False
        if regex:
            try:
                if re.fullmatch(value, got) is None:
                    return False
            except re.error:
                return False
        elif got != value:
            return False
    return True


def _length(entry: Entry) -> int:
    return len(entry.path.rstrip("/")) if entry.kind == "prefix" else len(entry.path)


def _best(entries: list[Entry], request: Request) -> Entry | None:
    found = [e for e in entries if _matches(e, request.path) and _headers_match(e, request)]
    if not found:
        return None
    if found[0].controller == TECH:
        exact = [e for e in found if e.kind == "exact"]
        if exact:
            return exact[0]
        return sorted(found, key=lambda e: (-_length(e), e.order))[0]
    plain = [e for e in found if e.kind != "regex"]
    if plain:
        return sorted(
            plain,
            key=lambda e: (-_length(e), 0 if e.headers else 1, _TYPE_ORDER[e.kind], e.order),
        )[0]
    return sorted(found, key=lambda e: (0 if e.headers else 1, e.order))[0]


def _decided_by(entry: Entry) -> tuple[Cause, ...]:
    causes = [entry.cause, *entry.extra_causes]
    for name in _DECIDING:
        key = entry.keys.get(name)
        if key:
            causes.append(
                Cause(
                    "Ingress",
                    entry.cause.namespace,
                    entry.cause.name,
                    f"metadata.annotations[{key}]",
                )
            )
    return tuple(causes)


def _query(request: Request) -> str:
    return f"?{request.query}" if request.query else ""


class HAProxyRouter:
    def __init__(self, config: Config) -> None:
        self.config = config

    def route(self, request: Request) -> Routed:
        config = self.config
        if request.protocol == "TCP":
            found = config.tcp.get(request.effective_port)
            if found is None:
                return Routed(NoRoute(0, "no TCP service on this port"))
            return Routed(forward([(found[0], 1)], request.path, request.host), (found[1],))
        host = request.host.lower()
        alias_cause: tuple[Cause, ...] = ()
        moved = config.redirect_from.get(host)
        if moved is not None and host not in config.entries and request.protocol == "HTTP":
            if request.scheme == "https" and moved[0] not in config.tls_hosts:
                return Routed(NoRoute(0, "no certificate for this host in the input"))
            target = f"{request.scheme}://{moved[0]}{request.path}{_query(request)}"
            return Routed(Redirect(moved[1], target), (moved[2],))
        if host not in config.entries and host in config.aliases:
            host, cause = config.aliases[host]
            alias_cause = (cause,)
        if request.protocol == "TLS":
            passed = config.passthrough.get(host)
            if passed is None or request.effective_port != 443:
                return Routed(NoRoute(0, "no passthrough for this SNI"))
            return Routed(forward([(passed[0], 1)], request.path, request.host), (passed[1],))
        if request.scheme == "https" and (
            host not in config.tls_hosts or request.effective_port != 443
        ):
            return Routed(NoRoute(0, "no certificate for this host in the input"))
        if request.scheme == "http" and request.effective_port != 80:
            return Routed(NoRoute(0, "no listener on this port"))
        redirect = config.redirects.get(host)
        if request.scheme == "http" and redirect is not None:
            location = (
                f"https://{request.host.lower()}:{redirect.port}{request.path}{_query(request)}"
            )
            return Routed(Redirect(redirect.code, location), redirect.causes)
        entries = config.entries.get(host) or config.entries.get(None) or []
        entry = _best(entries, request)
        if entry is not None and entry.controller == COMMUNITY:
            if (
                request.scheme == "http"
                and host in config.tls_hosts
                and entry.ssl_redirect is not False
                and not request.path.startswith(ACME)
            ):
                location = f"https://{request.host.lower()}{request.path}{_query(request)}"
                code = config.community_redirect_code
                return Routed(Redirect(code, location), _decided_by(entry))
            root = config.app_roots.get(host)
            if root is not None and request.path == "/":
                return Routed(
                    Redirect(302, f"{request.scheme}://{request.host.lower()}{root[0]}"), (root[1],)
                )
        if entry is None:
            root = config.app_roots.get(host)
            if root is not None and request.path == "/":
                return Routed(
                    Redirect(302, f"{request.scheme}://{request.host.lower()}{root[0]}"), (root[1],)
                )
            return Routed(NoRoute(404, "no path of the host matches"))
        return Routed(self._answer(entry, request), _decided_by(entry) + alias_cause)

    def _answer(self, entry: Entry, request: Request) -> Outcome:
        if entry.refused:
            return Respond(
                403, "access control the model cannot evaluate: " + ", ".join(entry.refused)
            )
        if entry.redirect is not None:
            code, target, keep_uri = entry.redirect
            if keep_uri:
                return Redirect(code, f"{request.scheme}://{target}{request.path}{_query(request)}")
            return Redirect(code, target)
        if entry.backend is None:
            return Respond(503, "no backend")
        path = request.path
        if entry.rewrite_full is not None:
            path = entry.rewrite_full
        elif entry.rewrite_regex is not None:
            try:
                path = re.sub(entry.rewrite_regex[0], entry.rewrite_regex[1], path, count=1)
            except re.error:
                return Respond(500, "the path-rewrite expression does not compile")
        elif entry.rewrite_prefix is not None:
            path = _rewrite_prefix(entry, path)
        host = entry.host_header or request.host
        return forward([(entry.backend, 1)], path + _query(request), host, entry.guards)


def _rewrite_prefix(entry: Entry, path: str) -> str:
    target = entry.rewrite_prefix or "/"
    if entry.kind == "prefix":
        bare = entry.path.rstrip("/")
        rest = path[len(bare) :]
        if target.endswith("/") and rest.startswith("/"):
            rest = rest[1:]
        joined = target + rest if rest else target
        return joined if joined.startswith("/") else "/" + joined
    flags = re.IGNORECASE if entry.insensitive else 0
    pattern = re.escape(entry.path) if entry.kind == "chars" else entry.path
    try:
        return re.sub("^" + pattern, target, path, count=1, flags=flags)
    except re.error:
        return path
