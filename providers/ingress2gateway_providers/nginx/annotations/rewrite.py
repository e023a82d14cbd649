"""Regex mode and rewrites: ``use-regex``, ``rewrite-target``.

ingress-nginx decides regex mode per *host*, across every Ingress that routes it: if any of
their paths has ``use-regex: "true"`` or a ``rewrite-target`` different from the path, every
location of the host — including other teams' Ingresses — is rendered ``location ~* "^<path>"``,
a case-insensitive regular expression anchored only at the start. The conversion reproduces it
with ``RegularExpression (?i)<path>.*`` on every path of the host and warns each Ingress whose
paths changed because of another one (``nginx-regex-mode``). Patterns RE2 cannot compile
(lookarounds, backreferences) are reported and their path is not converted.

``rewrite-target``: nginx replaces the whole URI when the path regex matches, so

* a target without captures becomes ``URLRewrite ReplaceFullPath``;
* the common prefix-stripping idiom ``/app(/|$)(.*)`` → ``/$2`` becomes an exact equivalent in
  the standard channel: ``PathPrefix /app`` with ``ReplacePrefixMatch /`` (case-sensitive, which
  is noted);
* any other target with ``$1``-style captures cannot be written in standard Gateway API: the rule
  gets a ``RegexRewrite`` extension (pattern and substitution) for implementation emitters, and the
  annotation is ``partial``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import re2

from ingress2gateway.ingress import IngressModel, IngressPath
from ingress2gateway.ir import Match, PathMatch, PathModifier, RegexRewrite
from ingress2gateway.report import Status

from ._base import Run, rules_of, url_rewrite

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
    return target is not None and target != path.path


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
    return PathMatch("RegularExpression", f"(?i){path}.*")


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
        if path is None or target == path.path:
            ann.converted("rewrite-target", [route], "equal to the path: nothing to rewrite")
            continue
        if not _CAPTURE.search(target):
            url_rewrite(rule, prov).path = PathModifier("ReplaceFullPath", target)
            ann.converted(
                "rewrite-target", [route], "nginx replaces the whole path: ReplaceFullPath"
            )
            continue
        strip = _STRIP_PATH.match(path.path)
        strip_target = _STRIP_TARGET.match(target)
        if strip and strip_target:
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
            continue
        pattern = f"(?i){path.path}"
        problem = re2_problem(pattern)
        if problem:
            ann.invalid("rewrite-target", f"the path regex {path.path!r} {problem}")
            continue
        substitution = _CAPTURE.sub(r"\\\1", target)
        rule.extensions.append(
            RegexRewrite(pattern=pattern, substitution=substitution, provenance=list(prov))
        )
        ann.record(
            "rewrite-target",
            Status.PARTIAL,
            f"capture groups ({target}) need a regex rewrite, which standard Gateway API lacks: "
            "carried as a RegexRewrite extension",
            [route.ref],
        )
