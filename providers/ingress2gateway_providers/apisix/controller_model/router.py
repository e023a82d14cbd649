"""How APISIX (3.3+) answers a request over the routes the controller programmed.

Written from apache/apisix ``apisix/http/router/radixtree_host_uri.lua`` (the default router:
the routes of the request's host — exact host, then wildcards, each with its own uri tree —
then the routes without host), ``docs/en/latest/router-radixtree.md`` and api7
``lua-resty-radixtree`` (exact uri before prefixes, the longest prefix first, routes with the
same uri by ``priority``, then ``methods`` and ``vars``), ``lua-resty-expr`` (the ``vars``
operators; ``~~`` is an unanchored PCRE search) and the plugins' phases and priorities
(``fault-injection`` 11000, ``basic-auth`` 2520, ``jwt-auth`` 2510, ``key-auth`` 2500,
``forward-auth`` 2002, ``proxy-rewrite`` 1008, ``redirect`` 900 in the rewrite phase, then
``ip-restriction`` in the access phase).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from ingress2gateway.verification.matching import host_matches, pcre_search
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    Forward,
    NoRoute,
    Redirect,
    Request,
    Respond,
    Routed,
    forward,
)

from .translator import Certificate, DataPlane, DataRoute, Var

_GUARDS = {
    "key-auth": "api-key",
    "basic-auth": "basic-auth",
    "jwt-auth": "jwt",
    "forward-auth": "external-auth",
}
_ACCESS = (
    "wolf-rbac",
    "ldap-auth",
    "hmac-auth",
    "consumer-restriction",
    "opa",
    "authz-keycloak",
    "authz-casbin",
    "authz-casdoor",
    "openid-connect",
)


class ApisixRouter:
    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane
        self.hosted = [r for r in plane.routes if r.hosts]
        self.hostless = [r for r in plane.routes if not r.hosts]

    def certificate(self, host: str) -> Certificate | None:
        """The certificate APISIX serves for SNI ``host`` (radixtree_sni: exact, then
        wildcard)."""
        found = [c for c in self.plane.certificates if host_matches(c.host, host)]
        found.sort(key=lambda c: (c.host.startswith("*."), -len(c.host)))
        return found[0] if found else None

    def route(self, request: Request) -> Routed:
        if request.protocol in ("TCP", "UDP"):
            for stream in self.plane.streams:
                if stream.protocol == request.protocol and stream.port == request.effective_port:
                    return Routed(forward([(stream.backend, 1)], "/", ""), (stream.cause,))
            return Routed(NoRoute(0, "no stream route on that port"))
        if request.protocol != "HTTP" or request.effective_port not in (80, 443):
            return Routed(NoRoute(0, "APISIX listens on 80 and 443"))
        certificate = None
        if request.scheme == "https":
            certificate = self.certificate(request.host)
            if certificate is None:
                return Routed(NoRoute(0, "no certificate for that host"))
        chosen = self.match(request)
        if chosen is None:
            return Routed(NoRoute(404), self._near_misses(request))
        acted: list[str] = []
        outcome = self._run_plugins(chosen, request, acted)
        causes = [chosen.cause]
        for name in acted:
            causes.extend(chosen.plugin_causes.get(name, ()))
        if "upstream-host" in acted and chosen.upstream_host is not None:
            causes.append(chosen.upstream_host[1])
        # A ``<path>/*`` glob that did not take ``<path>`` decided too.
        causes.extend(c for c in self._near_misses(request) if c != chosen.cause)
        if certificate is not None and certificate.client and isinstance(outcome, Forward):
            # client mTLS (ApisixTls spec.client): only clients with a certificate get here
            outcome = Forward(
                outcome.backends,
                outcome.path,
                outcome.host,
                tuple(sorted({*outcome.guards, "client-certificate"})),
            )
            causes.append(certificate.cause)
        return Routed(outcome, tuple(dict.fromkeys(causes)))

    def match(self, request: Request) -> DataRoute | None:
        host = request.host.lower()
        patterns = sorted(
            {h for route in self.hosted for h in route.hosts or [] if host_matches(h, host)},
            # exact host first, then the longest wildcard (the reversed host's longest prefix)
            key=lambda h: (h.startswith("*."), -len(h), h),
        )
        for pattern in patterns:
            found = _dispatch([r for r in self.hosted if pattern in (r.hosts or [])], request)
            if found is not None:
                return found
        return _dispatch(self.hostless, request)

    def _near_misses(self, request: Request) -> tuple[Cause, ...]:
        """Routes of the host with a uri ``<path>/*``: their glob does not take ``<path>``
        itself, which decided the 404."""
        host = request.host.lower()
        found = []
        for route in self.plane.routes:
            if route.hosts and not any(host_matches(h, host) for h in route.hosts):
                continue
            if any(u.endswith("/*") and u[:-2] == request.path.rstrip("/") for u in route.uris):
                found.append(route.cause)
        return tuple(found)

    def _run_plugins(self, route: DataRoute, request: Request, acted: list[str]) -> Any:
        """The outcome; ``acted`` gets the plugins that changed it."""
        plugins = route.plugins
        acted.extend(
            name
            for name in plugins
            if name in _GUARDS or name in _ACCESS or name.startswith("auth-")
        )
        fault = plugins.get("fault-injection")
        if fault is not None:
            acted.append("fault-injection")
            method = request.method.upper()
            if ("not_in" in fault and method not in fault["not_in"]) or (
                "in" in fault and method in fault["in"]
            ):
                return Respond(405, "fault-injection")
        guards = [label for name, label in _GUARDS.items() if name in plugins]
        guards += [name for name in plugins if name in _ACCESS or name.startswith("auth-")]
        rewrite = plugins.get("proxy-rewrite", {})
        redirect = plugins.get("redirect")
        query = f"?{request.query}" if request.query else ""
        if redirect is not None:
            acted.append("redirect")
            if redirect.get("http_to_https") is True:
                if request.scheme == "http":
                    return Redirect(301, f"https://{request.host}{request.path}{query}")
            elif isinstance(redirect.get("uri"), str):
                code = redirect.get("ret_code", 302)
                return Redirect(code if isinstance(code, int) else 302, redirect["uri"])
        restriction = plugins.get("ip-restriction")
        if restriction is not None:
            acted.append("ip-restriction")
            allow = [str(c) for c in restriction.get("whitelist") or []]
            deny = [str(c) for c in restriction.get("blacklist") or []]
            if allow:
                guards.append("ip-allow " + ",".join(sorted(set(allow))))
            elif deny:
                guards.append("ip-deny " + ",".join(sorted(set(deny))))
        path = request.path
        if rewrite:
            acted.append("proxy-rewrite")
        if isinstance(rewrite.get("uri"), str):
            path = rewrite["uri"]
        elif isinstance(rewrite.get("regex_uri"), list) and len(rewrite["regex_uri"]) == 2:
            pattern, template = rewrite["regex_uri"]
            path = _regex_sub(str(pattern), str(template), path)
        host = request.host
        if isinstance(rewrite.get("host"), str):
            host = rewrite["host"]
        elif route.upstream_host is not None:
            host = route.upstream_host[0]
            acted.append("upstream-host")
        if not route.upstream:
            return Respond(503, "no upstream")
        if len({type(b.port) for b, _ in route.upstream}) > 1:
            # a port name the input does not resolve beside port numbers: named as text
            upstream = [
                (Backend(b.namespace, b.name, str(b.port), b.kind), w) for b, w in route.upstream
            ]
            return forward(upstream, path + query, host, guards)
        return forward(route.upstream, path + query, host, guards)


def _regex_sub(pattern: str, template: str, path: str) -> str:
    try:
        compiled = re.compile(pattern)
    except re.error:
        return path
    found = compiled.search(path)
    if found is None:
        return path
    replacement = re.sub(r"\$(\d)", lambda m: found.group(int(m.group(1))) or "", template)
    return path[: found.start()] + replacement + path[found.end() :]


def _dispatch(routes: Iterable[DataRoute], request: Request) -> DataRoute | None:
    """``lua-resty-radixtree``: exact uris, then prefixes from the longest; per uri the routes
    by priority (then the order they were programmed); the first whose conditions hold."""
    path = request.path
    exact: list[DataRoute] = []
    prefixes: dict[str, list[DataRoute]] = {}
    for route in routes:
        for uri in route.uris:
            if uri.endswith("*"):
                stem = uri[:-1]
                if path.startswith(stem):
                    prefixes.setdefault(stem, []).append(route)
            elif uri == path:
                exact.append(route)
    levels = [exact] + [prefixes[s] for s in sorted(prefixes, key=len, reverse=True)]
    for level in levels:
        for route in sorted(level, key=lambda r: (-r.priority, r.order)):
            if _conditions(route, request):
                return route
    return None


def _conditions(route: DataRoute, request: Request) -> bool:
    if route.methods and request.method.upper() not in route.methods:
        return False
    return all(_var(item, request) for item in route.vars)


def _variable(name: str, request: Request) -> str | None:
    if name == "uri":
        return request.path
    if name == "request_method":
        return request.method
    if name == "host":
        return request.host
    if name.startswith("http_"):
        return request.header(name[5:].replace("_", "-"))
    if name.startswith("arg_"):
        for key, value in parse_qsl(request.query, keep_blank_values=True):
            if key == name[4:]:
                return value
        return None
    if name.startswith("cookie_"):
        return request.cookie(name[7:])
    return None


def _var(item: Var, request: Request) -> bool:
    name, op, negated, operand = item
    value = _variable(name, request)
    result: bool
    if op == "==":
        result = value == operand
    elif op == "~=":
        result = value != operand
    elif op == "in":
        result = value in operand
    elif op in ("~~", "~*"):
        result = (
            value is not None and pcre_search(operand, value, ignore_case=op == "~*") is not None
        )
    elif op in (">", ">=", "<", "<="):
        try:
            left, right = float(value or ""), float(operand)
        except ValueError:
            return False
        result = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[
            op
        ]
    else:
        return False
    return not result if negated else result
