"""Session affinity and load balancing: ``affinity``, ``session-cookie-*``, ``load-balance``,
``upstream-hash-by``.

``affinity: cookie`` becomes a ``SessionAffinity`` extension, applied only to the Ingress's own
paths as the controller does, with the cookie as ingress-nginx's ``balancer/sticky.lua`` sets
it:

* name ``session-cookie-name`` (default ``INGRESSCOOKIE``); a name that is not an RFC 6265
  token is refused, and the controller's default is used, as its parser does;
* Max-Age from ``session-cookie-max-age``, else ``session-cookie-expires`` (nginx writes both;
  browsers honour Max-Age); neither: a session cookie;
* ``Path``: ``session-cookie-path``, else the location's own path (``$location_path``): each
  rule has its own cookie with its own Path. A rule that serves several paths of the Ingress
  has one cookie, whose Path is their longest common leading segments (``/`` at worst): sent
  on a little more than nginx sent it, never on less; so has a route whose rules an emitter
  cannot give cookies of their own (``shared_path``: the Ingress's paths in common). A regular-expression path counts with
  its literal prefix (nginx wrote the expression itself, which browsers never match);
* ``Domain`` from ``session-cookie-domain``, ``SameSite`` from ``session-cookie-samesite``
  (``None``, ``Lax``, ``Strict``);
* ``Secure`` always with ``session-cookie-secure: "true"``, otherwise on HTTPS responses only.

Every value is checked against its cookie grammar (RFC 6265 §4.1.1): one that fails is refused
and reported, never emitted. ``session-cookie-conditional-samesite-none`` (leave SameSite=None
out for old browsers) and ``session-cookie-change-on-failure`` have no equivalent and are
reported. ``load-balance`` and ``upstream-hash-by`` become a ``LoadBalancer`` extension; hash
keys are read as data: ``$remote_addr``/``$binary_remote_addr`` → source IP,
``$request_uri``/``$uri`` → URI, ``$http_<name>`` → header, ``$cookie_<name>`` → cookie; anything
else is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import HTTPRoute, LoadBalancer, Rule, SessionAffinity
from ingress2gateway.reporting.report import Status

from ._base import Ann, Run, rules_of

Algorithm = Literal["RoundRobin", "LeastRequest", "Random", "ConsistentHash"]
_SESSION_KEYS = (
    "session-cookie-name",
    "session-cookie-max-age",
    "session-cookie-expires",
    "session-cookie-path",
    "session-cookie-domain",
    "session-cookie-samesite",
    "session-cookie-secure",
)
_UNCARRIED_KEYS = ("session-cookie-conditional-samesite-none", "session-cookie-change-on-failure")
_SAME_SITE = {value.lower(): value for value in grammar.SAME_SITE}
# Where a regular expression starts in an ingress-nginx path (regex mode, use-regex).
_REGEX_START = re.compile(r"[\^$*+?()\[\]{}|\\]")
_ALGORITHMS: dict[str, Algorithm] = {"round_robin": "RoundRobin", "ewma": "LeastRequest"}


def hash_key(ann: Ann, name: str) -> str | None:
    value = ann.text(name)
    if value is None:
        return None
    if value in ("$remote_addr", "$binary_remote_addr"):
        return "source-ip"
    if value in ("$request_uri", "$uri"):
        return "uri"
    match = re.fullmatch(r"\$(http|cookie)_([A-Za-z0-9_]+)", value)
    if match:
        kind = "header" if match.group(1) == "http" else "cookie"
        key = match.group(2).replace("_", "-") if kind == "header" else match.group(2)
        return f"{kind}:{key}"
    ann.unsupported(
        name,
        f"hash key {value!r} has no Gateway API or Envoy equivalent",
        security=any(c in value for c in "\n;{}"),
    )
    return None


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    pairs = rules_of(run, model)
    extensions: list[SessionAffinity | LoadBalancer] = []
    mode = (ann.text("affinity") or "").lower()
    if mode == "cookie":
        extensions.append(_session_affinity(run, ann, pairs))
    else:
        if ann.has("affinity"):
            ann.invalid("affinity", f"{mode!r} is not cookie (the only mode)")
        ann.ignored(
            [*_SESSION_KEYS, *_UNCARRIED_KEYS, "affinity-mode", "affinity-canary-behavior"],
            "has no effect without affinity: cookie",
        )
    hashed = hash_key(ann, "upstream-hash-by")
    if hashed is not None:
        extensions.append(
            LoadBalancer(
                algorithm="ConsistentHash", hash_on=hashed, provenance=ann.prov("upstream-hash-by")
            )
        )
        ann.ignored(["load-balance"], "upstream-hash-by takes precedence")
    elif ann.has("load-balance"):
        algorithm = _ALGORITHMS.get((ann.text("load-balance") or "").lower())
        if algorithm is None:
            ann.unsupported(
                "load-balance", f"{ann.text('load-balance')!r} has no equivalent algorithm"
            )
        else:
            extensions.append(
                LoadBalancer(algorithm=algorithm, provenance=ann.prov("load-balance"))
            )
    if hashed is None:
        ann.ignored(
            ["upstream-hash-by-subset", "upstream-hash-by-subset-size"],
            "has no effect without upstream-hash-by",
        )
    for route, rule in pairs:
        rule.extensions.extend(_for_rule(run, ann, extensions, route, rule))


def _for_rule(
    run: Run,
    ann: Ann,
    extensions: list[SessionAffinity | LoadBalancer],
    route: HTTPRoute,
    rule: Rule,
) -> list[SessionAffinity | LoadBalancer]:
    """The extensions of one rule: without session-cookie-path, its cookie has the rule's own
    location path, as each nginx location sets ``$location_path`` (affinity e2e: "does not set
    the path to / on the generated cookie if there's more than one rule referring to the same
    backend")."""
    if ann.has("session-cookie-path"):
        return extensions
    return [
        replace(
            e,
            path=_location_path(run, ann, [(route, rule)]),
            shared_path=e.path,
            provenance=list(e.provenance),
        )
        if isinstance(e, SessionAffinity)
        else e
        for e in extensions
    ]


def _session_affinity(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> SessionAffinity:
    name = ann.text("session-cookie-name") or "INGRESSCOOKIE"
    problem = grammar.cookie_name_problem(name)
    name_refused = problem is not None
    if problem is not None:
        ann.invalid(
            "session-cookie-name",
            f"the cookie name {name!r} {problem}; INGRESSCOOKIE is used, as by the controller",
        )
        name = "INGRESSCOOKIE"
    ttl = ann.integer("session-cookie-max-age", 0)
    if ttl is None:
        ttl = ann.integer("session-cookie-expires", 0)
    elif ann.has("session-cookie-expires"):
        ann.ignored(["session-cookie-expires"], "session-cookie-max-age takes precedence")
    path = _cookie_value(ann, "session-cookie-path", grammar.cookie_path_problem)
    domain = _cookie_value(ann, "session-cookie-domain", grammar.cookie_domain_problem)
    same_site = _same_site(ann)
    secure = ann.flag("session-cookie-secure", False)
    # The refused values went nowhere: their fields keep the verdict they got.
    refused = {
        "session-cookie-name": name_refused,
        "session-cookie-path": path is None,
        "session-cookie-domain": domain is None,
        "session-cookie-samesite": same_site is None,
    }
    carried = [key for key in _SESSION_KEYS if not refused.get(key, False)]
    affinity = SessionAffinity(
        cookie_name=name,
        ttl_seconds=ttl,
        path=path,
        domain=domain,
        same_site=same_site,
        secure="always" if secure else "https",
        provenance=ann.prov("affinity", *carried),
    )
    if affinity.path is None:
        affinity.path = _location_path(run, ann, pairs)
    _uncarried(ann, affinity)
    return affinity


def _cookie_value(ann: Ann, name: str, problem_of: Callable[[str], str | None]) -> str | None:
    """The annotation's value when its cookie grammar accepts it; refused (reported) when not."""
    value = ann.text(name)
    if value is None:
        return None
    problem = problem_of(value)
    if problem is None:
        return value
    # As the screen refuses any value outside its grammar (ingress2gateway.converting.screening): an
    # error with security, since such a value could forge cookie attributes or headers.
    message = f"{ann.key(name)}: {value!r} {problem} (RFC 6265); it is refused, never written into a cookie"
    ann.notify("error", "value-refused", name, message, security=True)
    ann.record(name, Status.UNSUPPORTED, message)
    return None


def _same_site(ann: Ann) -> Literal["Strict", "Lax", "None"] | None:
    value = ann.text("session-cookie-samesite")
    if value is None:
        return None
    found = _SAME_SITE.get(value.lower())
    if found is None:
        ann.invalid("session-cookie-samesite", f"{value!r} is not None, Lax or Strict")
        return None
    return found  # type: ignore[return-value]


def _location_path(run: Run, ann: Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> str:
    """The cookie Path nginx gives each location (``$location_path``: its Ingress path), made
    one for the Ingress: the longest leading segments its paths share."""
    paths = sorted({_literal(path) for path in _ingress_paths(ann.model, pairs)})
    if not paths:
        return "/"
    if len(paths) == 1:
        return paths[0]
    split = [[segment for segment in path.split("/") if segment] for path in paths]
    common: list[str] = []
    for segments in zip(*split, strict=False):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    return "/" + "/".join(common)


def _ingress_paths(model: IngressModel, pairs: list[tuple[HTTPRoute, Rule]]) -> list[str]:
    by_field = {path.field: path.path for path in model.paths}
    found = []
    for _, rule in pairs:
        for item in rule.provenance:
            if item.source == model.source:
                found.append(by_field.get(item.field, "/") or "/")
    return found


def _literal(path: str) -> str:
    """A path without its regular expression part (cut back to the last whole segment)."""
    start = _REGEX_START.search(path)
    if start is None:
        return path
    return path[: path.rfind("/", 0, start.start() + 1) + 1] or "/"


def _uncarried(ann: Ann, affinity: SessionAffinity) -> None:
    conditional = ann.flag("session-cookie-conditional-samesite-none", False)
    if conditional and affinity.same_site == "None":
        ann.unsupported(
            "session-cookie-conditional-samesite-none",
            "nginx left SameSite=None out for browsers that mishandle it (by User-Agent); the "
            "cookie carries SameSite=None for every browser",
        )
    elif ann.has("session-cookie-conditional-samesite-none"):
        ann.ignored(
            ["session-cookie-conditional-samesite-none"],
            "has no effect unless session-cookie-samesite is None",
        )
    if ann.has("session-cookie-change-on-failure"):
        ann.record(
            "session-cookie-change-on-failure",
            Status.UNSUPPORTED,
            "nginx chose the upstream again after a failed attempt (true) or kept the cookie's "
            "(false); a consistent hash moves a client only when its endpoint is unhealthy or gone",
        )
