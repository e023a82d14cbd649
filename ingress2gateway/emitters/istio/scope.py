"""Which requests of a Gateway an AuthorizationPolicy for some route rules must cover.

Istio attaches AuthorizationPolicy to a whole Gateway (``targetRefs`` kind Gateway; per-route
targets are for waypoints). A policy meant for some routes is therefore scoped by
``rules[].to[].operation`` to the hosts and paths those rules serve. Every policy this emitter
writes is a DENY or CUSTOM policy — never ALLOW, which would refuse every request of the
Gateway it does not match, closing the other routes — so a scope that is too wide only
restricts more, and one that is too narrow would let requests through. Hence every scope here
is the rule's requests or more:

- hosts: each exact route hostname ``h`` as ``h`` and ``h:*`` (a ``Host`` header may carry a
  port; the match ignores case). A wildcard hostname, or none, leaves hosts unrestricted;
- paths: ``Exact`` as written; ``PathPrefix`` ``/a`` as ``/a`` and ``/a/*`` (Gateway API prefixes
  match whole segments); ``/``, a path containing ``*``, or a rule without a path match leaves
  paths unrestricted. Header, query and method matches are not
  narrowed on (wider). A regular expression is scoped by the literal prefix all its matches
  share (``/api/orders/[^/]+`` as ``/api/orders/*``), or not at all. A GRPCRoute's exact
  service / method match is the call's path (``/pkg.Svc/Method``, ``/pkg.Svc/*``).

The widening is measured (:func:`overlaps`): other rules of the Gateway whose paths fall in a
scope are named in an ``istio-authz-scope`` warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gateway.ir import Match, Route, Rule
from ingress2gateway.objects import JSONDict


@dataclass(frozen=True)
class Scope:
    hosts: tuple[str, ...] = ()
    """Empty: every host."""
    paths: tuple[str, ...] = ()
    """Empty: every path."""

    def operation(self) -> JSONDict:
        op: JSONDict = {}
        if self.hosts:
            op["hosts"] = list(self.hosts)
        if self.paths:
            op["paths"] = list(self.paths)
        return op

    @property
    def everything(self) -> bool:
        return not self.hosts and not self.paths


EVERYTHING = Scope()


def route_hosts(route: Route) -> tuple[str, ...]:
    if not route.hostnames or any("*" in h for h in route.hostnames):
        return ()
    hosts: list[str] = []
    for host in route.hostnames:
        hosts.extend([host.lower(), f"{host.lower()}:*"])
    return tuple(dict.fromkeys(hosts))


def match_paths(match: Match) -> tuple[str, ...] | None:
    """The Istio path patterns covering ``match``; None: every path."""
    if match.grpc is not None:
        return grpc_paths(match)
    path = match.path
    if path is None:
        return None
    if path.type != "RegularExpression" and any(c in path.value for c in "*{}"):
        return None  # Istio reads "*" as a wildcard and "{…}" as a path template
    if path.type == "Exact":
        return (path.value,)
    if path.type == "PathPrefix":
        prefix = path.value.rstrip("/")
        if not prefix:
            return None
        return (prefix, f"{prefix}/*")
    literal = regex_prefix(path.value)
    return (f"{literal}*",) if literal else None


def grpc_paths(match: Match) -> tuple[str, ...] | None:
    """A gRPC call is a POST to ``/<service>/<method>``: an exact service (and method) match
    is that path (or ``/<service>/*``); anything else is every path."""
    grpc = match.grpc
    if grpc is None or grpc.type != "Exact" or not grpc.service:
        return None
    if any(c in grpc.service + (grpc.method or "") for c in "*{}/"):
        return None
    if grpc.method:
        return (f"/{grpc.service}/{grpc.method}",)
    return (f"/{grpc.service}/*",)


_META = set(".^$*+?()[]{}|\\")
_QUANTIFIERS = set("?*{")


def regex_prefix(pattern: str) -> str | None:
    """The literal text every match of ``pattern`` starts with (Gateway API regular
    expressions match the whole path), or None. An alternation anywhere, or a prefix shorter
    than two characters, gives None; a literal a quantifier follows is not part of it."""
    if "|" in pattern:
        return None
    end = 0
    while end < len(pattern) and pattern[end] not in _META:
        end += 1
    prefix = pattern[:end]
    if end < len(pattern) and pattern[end] in _QUANTIFIERS:
        prefix = prefix[:-1]
    if len(prefix) < 2 or not prefix.startswith("/") or "}" in prefix:
        return None
    return prefix


def rule_scope(route: Route, rule: Rule) -> Scope:
    hosts = route_hosts(route)
    paths: list[str] = []
    for match in rule.matches or [Match()]:
        found = match_paths(match)
        if found is None:
            return Scope(hosts, ())
        paths.extend(found)
    return Scope(hosts, tuple(dict.fromkeys(paths)))


def operations(scopes: list[Scope]) -> list[JSONDict] | None:
    """The ``to`` list of a policy rule for ``scopes``; None: every request (no ``to``)."""
    if not scopes or any(s.everything for s in scopes):
        return None
    ops: list[JSONDict] = []
    for scope in dict.fromkeys(scopes):
        op = scope.operation()
        if op not in ops:
            ops.append(op)
    return [{"operation": op} for op in ops]


def _path_in(pattern: str, path: str) -> bool:
    if pattern.endswith("/*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def _host_in(hosts: tuple[str, ...], route: Route) -> bool:
    if not hosts or not route.hostnames:
        return True
    exact = {h for h in hosts if not h.endswith(":*")}
    return any("*" in h or h.lower() in exact for h in route.hostnames)


def covers(scope: Scope, route: Route, rule: Rule) -> bool:
    """Whether some requests ``rule`` of ``route`` serves fall within ``scope``."""
    if not _host_in(scope.hosts, route):
        return False
    if not scope.paths:
        return True
    for match in rule.matches or [Match()]:
        if match.grpc is not None:
            found = grpc_paths(match)
            if found is None or any(
                _path_in(p, v) or _path_in(v, p) for p in scope.paths for v in found
            ):
                return True
            continue
        path = match.path
        if path is None or (path.type == "PathPrefix" and not path.value.rstrip("/")):
            continue  # it serves what longer paths leave: not the scoped paths
        if path.type == "RegularExpression":
            return True
        value = path.value
        if any(_path_in(p, value) for p in scope.paths):
            return True
    return False
