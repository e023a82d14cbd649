"""Regex mode and rewrites: ``use-regex``, ``rewrite-target``.

ingress-nginx decides regex mode per *host*, across every Ingress that routes it: if any of
their paths has ``use-regex: "true"`` or a ``rewrite-target`` different from the path, every
location of the host — including other teams' Ingresses — is rendered ``location ~* "^<path>"``,
a case-insensitive regular expression anchored only at the start. The conversion reproduces it
with ``RegularExpression (?i)<path>.*`` on every path of the host and warns each Ingress whose
paths changed because of another one (``nginx-regex-mode``). Patterns RE2 cannot compile
(lookarounds, backreferences) are reported and their path is not converted.

``rewrite-target``: nginx replaces the whole URI when the path regex matches
(``rewrite "(?i)<path>" <target> break``), so

* a target without captures becomes ``URLRewrite ReplaceFullPath``; so does a target whose
  captures the path lacks (``/(.*)`` with ``/$2``): nginx substitutes the empty string;
* an absolute target (``http://host/$1``) makes nginx answer with a 302 redirect, before any
  HTTPS redirect: a ``RequestRedirect`` (scheme, host, port, path) with 302;
* a ``Prefix`` path equal to its target still rewrites: the controller turns the location
  into ``/p/`` (and an exact ``/p``) before comparing, so requests under ``/p/`` reach the
  backend as ``/p`` and the host is in regex mode;
* the common prefix-stripping idiom ``/app(/|$)(.*)`` → ``/$2`` becomes ``PathPrefix /app``
  with ``ReplacePrefixMatch /``, which matches case-sensitively where nginx did not: a warning
  (``nginx-case-insensitive``) says that requests in another letter case no longer reach it;
* any other target with ``$1``-style captures cannot be written in standard Gateway API: the rule
  gets a ``RegexRewrite`` extension (pattern and substitution) for implementation emitters, and the
  annotation is ``partial``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import re2

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import (
    HTTPRoute,
    Match,
    PathMatch,
    PathModifier,
    Provenance,
    RegexRewrite,
    RequestRedirect,
    Rule,
)
from ingress2gateway.reporting.report import Status

from ._base import Ann, Run, looks_injected, rules_of, url_rewrite

_CAPTURE = re.compile(r"\$(\d)")
_STRIP_PATH = re.compile(r"^(?P<prefix>(?:/[A-Za-z0-9._~-]+)*)\(/\|\$\)\((?:\.\*|\.\+)\)\Z")
_STRIP_TARGET = re.compile(r"^(?P<target>(?:/[A-Za-z0-9._~-]+)*)/?\$2\Z")
# "(?i)/some/path.*": what regex mode makes of an ordinary path.
_PLAIN_REGEX = re.compile(r"(?:\(\?i\))?[A-Za-z0-9/_~%:@,;=!&'.-]*(?:\.\*)?")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@functools.lru_cache(maxsize=4096)
def re2_problem(pattern: str) -> str | None:
    """Why RE2 (what Gateway API implementations use) cannot compile ``pattern``, or None."""
    if _PLAIN_REGEX.fullmatch(pattern):
        return None  # a plain path in regex mode: nothing RE2 could refuse
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        return f"is not an RE2 regular expression ({text})"
    return None


def _value(values: Mapping[str, str], key: str) -> str | None:
    value = values.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def triggers_regex(model: IngressModel, prefix: str, path: IngressPath) -> bool:
    values = model.obj.annotations
    if (_value(values, prefix + "use-regex") or "").lower() == "true":
        return True
    target = _value(values, prefix + "rewrite-target")
    return target is not None and (target != path.path or _rewrites_below(path, target))


def _rewrites_below(path: IngressPath, target: str) -> bool:
    """A ``Prefix`` path equal to its ``rewrite-target`` still rewrites: the controller first
    turns location ``/p`` into ``/p/`` (and an exact ``/p``), then compares the target with
    ``/p/`` (``updateServerLocations``, then ``needsRewrite`` in the template): requests under
    ``/p/`` reach the backend as ``/p``, and the host is in regex mode."""
    return (
        path.path_type in ("Prefix", "ImplementationSpecific")
        and path.path == target
        and path.path != "/"
        and not path.path.endswith("/")
    )


def regex_hosts(models: Sequence[IngressModel], prefix: str) -> dict[str | None, IngressModel]:
    """Hosts in regex mode → the oldest Ingress that turned it on (``models`` oldest first)."""
    hosts: dict[str | None, IngressModel] = {}
    for model in models:
        for path in model.paths:
            if path.host not in hosts and triggers_regex(model, prefix, path):
                hosts[path.host] = model
    return hosts


def regex_match(path: str) -> PathMatch:
    """``location ~* "^<path>"`` as Gateway API's full-string RegularExpression."""
    if "|" in path:  # an alternation must not swallow the trailing .*
        return PathMatch("RegularExpression", f"(?i)(?:{path}).*")
    return PathMatch("RegularExpression", f"(?i){path}.*")


def _groups(pattern: str) -> int:
    """The capture groups of ``pattern`` (nginx's PCRE, read as Python's ``re``)."""
    try:
        return re.compile(pattern).groups
    except (re.error, RecursionError, OverflowError):
        return 0


def _without_missing_groups(target: str, groups: int) -> str:
    """``target`` with each ``$n`` the path lacks replaced by nothing, as nginx does."""
    return _CAPTURE.sub(lambda m: m.group(0) if 0 < int(m.group(1)) <= groups else "", target)


def warn_regex_mode(run: Run, models: Sequence[IngressModel]) -> None:
    """Tell each Ingress whose paths became regexes because of another Ingress."""
    by_host: dict[str | None, list[IngressModel]] = {}
    for model in models:
        for host in dict.fromkeys(p.host for p in model.paths):
            by_host.setdefault(host, []).append(model)
    for host, trigger in sorted(run.regex_hosts.items(), key=lambda kv: kv[0] or ""):
        where = f"host {host}" if host else "the catch-all host"
        for model in by_host.get(host, ()):
            if model is trigger:
                continue
            if any(triggers_regex(model, run.prefix, p) for p in model.paths if p.host == host):
                continue
            run.ctx.report.warning(
                "nginx-regex-mode",
                f"{trigger.source.display()} turns on regex mode for {where} (use-regex or "
                "rewrite-target), so ingress-nginx matched this Ingress's paths there as "
                "case-insensitive regular expressions anchored at the start only (/foo also "
                "matched /FOO and /foobar); they are converted that way",
                source=model.source,
                provider="nginx",
            )


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    pairs = rules_of(run, model)
    routes = {id(r): r for r, _ in pairs}
    if ann.has("use-regex"):
        enabled = ann.flag("use-regex")
        note = (
            "regex mode for every path of the host"
            if enabled
            else "regex mode is off (the default)"
        )
        ann.converted("use-regex", routes.values(), note)
    target = ann.text("rewrite-target")
    if target is None:
        return
    if target.lower().startswith(("http://", "https://")):
        _redirecting(ann, pairs, target, model)
        return
    if (
        not target.startswith("/")
        or any(ch in target for ch in '\n\r;{}#" ')
        or re.search(r"\$(?!\d)", target)
    ):
        ann.invalid(
            "rewrite-target",
            f"{target!r} is not a path (nginx variables and absolute URLs cannot be carried)",
            security=any(ch in target for ch in "\n\r;{}"),
        )
        return
    by_field = {p.field: p for p in model.paths}
    prov = ann.prov("rewrite-target")
    for route, rule in pairs:
        path = next((by_field[p.field] for p in rule.provenance if p.field in by_field), None)
        if path is not None and _rewrites_below(path, target):
            _split_below(route, rule, path, target, prov)
            ann.converted(
                "rewrite-target",
                [route],
                f"equal to the Prefix path, yet the controller rewrites what its location "
                f"{path.path}/ matches to {target} (the exact {path.path} is not rewritten)",
            )
            continue
        if path is None or target == path.path:
            ann.converted("rewrite-target", [route], "equal to the path: nothing to rewrite")
            continue
        # nginx substitutes the empty string for a group the path lacks.
        effective = _without_missing_groups(target, _groups(path.path))
        if not _CAPTURE.search(effective):
            url_rewrite(rule, prov).path = PathModifier("ReplaceFullPath", effective or "/")
            note = "nginx replaces the whole path: ReplaceFullPath"
            if effective != target:
                note += f" (a capture group the path lacks is empty: {target} is {effective})"
            ann.converted("rewrite-target", [route], note)
            continue
        strip = _STRIP_PATH.match(path.path)
        strip_target = _STRIP_TARGET.match(target)
        if strip and strip_target and _only_prefixes_beside(run, path):
            prefix = strip.group("prefix") or "/"
            rule.matches = [Match(path=PathMatch("PathPrefix", prefix))]
            url_rewrite(rule, prov).path = PathModifier(
                "ReplacePrefixMatch", strip_target.group("target") or "/"
            )
            ann.converted(
                "rewrite-target",
                [route],
                f"the prefix-stripping idiom {path.path} → {target} is PathPrefix {prefix} + "
                "ReplacePrefixMatch (Gateway API matches it case-sensitively)",
            )
            if prefix != "/" and prefix.lower() != prefix.upper():
                run.ctx.report.warning(
                    "nginx-case-insensitive",
                    f"ingress-nginx matched {path.path} case-insensitively (regex mode), so "
                    f"{prefix.upper()}/… reached this backend too; the migrated PathPrefix "
                    f"{prefix} matches only this letter case (a ReplacePrefixMatch rewrite "
                    "needs a PathPrefix match): other cases no longer reach it",
                    source=model.source,
                    field=path.field,
                    provider="nginx",
                )
            continue
        pattern = f"(?i){path.path}"
        problem = re2_problem(pattern)
        if problem:
            ann.invalid("rewrite-target", f"the path regex {path.path!r} {problem}")
            continue
        substitution = _CAPTURE.sub(r"\\\1", _without_missing_groups(target, _groups(path.path)))
        rule.extensions.append(
            RegexRewrite(pattern=pattern, substitution=substitution, provenance=list(prov))
        )
        ann.record(
            "rewrite-target",
            Status.PARTIAL,
            f"capture groups ({target}) need a regex rewrite, which standard Gateway API lacks: "
            "carried as a RegexRewrite extension",
        )
        ann.made_into("rewrite-target", [route])


def _is_strip_idiom(run: Run, model: IngressModel, path: IngressPath) -> bool:
    target = run.ann(model).text("rewrite-target")
    return bool(target and _STRIP_PATH.match(path.path) and _STRIP_TARGET.match(target.strip()))


def _only_prefixes_beside(run: Run, path: IngressPath) -> bool:
    """Whether the strip idiom can become PathPrefix + ReplacePrefixMatch without another rule
    of the host taking its requests first: Envoy Gateway ranks regular expressions above
    prefixes, while nginx tries the host's regex locations longest first. So every other path
    of the host (all regular expressions in regex mode) must be ``/`` (a prefix of everything,
    tried last either way) or a strip idiom itself (a prefix too)."""
    for model in run.models_of_host(path.host):
        for other in model.paths:
            if other is path or other.host != path.host or other.path == "/":
                continue
            if not _is_strip_idiom(run, model, other):
                return False
    return True


def _split_below(
    route: HTTPRoute, rule: Rule, path: IngressPath, target: str, prov: list[Provenance]
) -> None:
    """Put before ``rule`` (the path in regex mode) a rule for ``<path>/``… that rewrites to
    ``target`` (see :func:`_rewrites_below`); longer regular expressions come first in nginx's
    order and in Envoy Gateway's alike."""
    below = Rule(
        matches=[Match(path=regex_match(path.path + "/"))],
        backend_refs=list(rule.backend_refs),
        filters=list(rule.filters),
        request_timeout=rule.request_timeout,
        backend_request_timeout=rule.backend_request_timeout,
        extensions=list(rule.extensions),
        provenance=list(rule.provenance),
        sources=list(rule.sources),
    )
    url_rewrite(below, prov).path = PathModifier("ReplaceFullPath", target)
    route.rules.insert(route.rules.index(rule), below)


def _redirecting(
    ann: Ann, pairs: list[tuple[HTTPRoute, Rule]], target: str, model: IngressModel
) -> None:
    """An absolute ``rewrite-target``: nginx's ``rewrite`` answers with a 302 to it (before
    the HTTPS redirect), with the request's query appended unless the target has one."""
    by_field = {p.field: p for p in model.paths}
    prov = ann.prov("rewrite-target")
    root = _absolute_redirect(_without_missing_groups(target, 0), prov)
    if root is not None:
        ann.run.root_redirects[id(model)] = root
    for route, rule in pairs:
        path = next((by_field[p.field] for p in rule.provenance if p.field in by_field), None)
        groups = _groups(path.path) if path is not None else 0
        effective = _without_missing_groups(target, groups)
        if _CAPTURE.search(effective) or looks_injected(effective.replace("$", "")):
            ann.unsupported(
                "rewrite-target",
                f"{target!r} redirects to a URL built from the path's captures, which a "
                "Gateway API redirect cannot state; the path still reaches its backend",
            )
            continue
        redirect = _absolute_redirect(effective, prov)
        if redirect is None:
            ann.invalid("rewrite-target", f"{target!r} is not a URL")
            continue
        rule.filters = [redirect]
        rule.backend_refs = []
        ann.run.redirects_first.add(id(rule))
        if urlsplit(effective).query:
            ann.notify(
                "warning",
                "annotation-unsupported",
                "rewrite-target",
                f"{ann.key('rewrite-target')}: nginx redirects to {target!r} with the request's "
                "own query appended to the target's; a Gateway API redirect keeps only the "
                "request's query, so the target's is dropped",
            )
            ann.record("rewrite-target", Status.PARTIAL, "the target's query string is dropped")
        else:
            ann.converted(
                "rewrite-target",
                [route],
                "an absolute target: nginx answers with a 302 redirect to it",
            )


def _absolute_redirect(target: str, provenance: list[Provenance]) -> RequestRedirect | None:
    """The 302 nginx answers for an absolute ``target`` without captures, or None when it
    is not a URL with a host (or still names a capture)."""
    if _CAPTURE.search(target) or looks_injected(target.replace("$", "")):
        return None
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return RequestRedirect(
        scheme=parts.scheme.lower(),
        hostname=parts.hostname.lower(),
        port=port,
        path=PathModifier("ReplaceFullPath", parts.path or "/"),
        status_code=302,
        provenance=list(provenance),
    )
