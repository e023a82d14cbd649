"""**Paths.** Cilium turns each Ingress path into an Envoy route match
(``operator/pkg/model/ingestion/ingress.go``, ``translation/envoy_virtual_host.go``):

* ``Exact`` is Envoy's exact ``path``: an ``Exact`` match.
* ``Prefix /p`` is the regular expression ``/p(/.*)?$`` (one trailing ``/`` removed), so it is
  element-wise like Gateway API's ``PathPrefix``; but the path is not escaped, so ``/v1.0``
  also matched ``/v1x0/...``. The output is the literal ``PathPrefix`` (reported as
  ``cilium-prefix-unescaped`` where the path holds a regular-expression character).
* ``ImplementationSpecific`` is a regular expression over the whole path (Envoy's
  ``safe_regex``, RE2, full match; ``ingress.rst``: "we define ImplementationSpecific to be
  Regex"): a ``RegularExpression`` match, or ``Exact`` when the path holds no
  regular-expression character (the same requests, and portable). A path RE2 refuses is
  reported and not converted (Envoy refused Cilium's configuration for it).

**Order.** Envoy takes the first route that matches, and Cilium sorts a host's routes
(``SortableRoute.Less``): exact paths first (longer first), then every regex-backed route —
``Prefix`` and ``ImplementationSpecific`` alike — by the length of its regular expression,
longer first; the default backend (a plain ``/`` prefix) last. Gateway API implementations
(Envoy Gateway among them) try every ``RegularExpression`` before any ``PathPrefix``. Where
Cilium tried a prefix before a regular expression that can match the same request (say
``Prefix /`` before ``/a.*``, whose 4 characters are fewer than the 7 of ``(/.*)?$``),
the migration answers those requests differently: reported per path as
``cilium-order-differs``.

**Duplicates.** Cilium routes the same path (same type) defined twice in one Ingress, or in
two shared Ingresses of one namespace, to both backends in equal shares: the output keeps one
rule with both backends. Shared Ingresses of different namespaces get routes of their own, of
which Gateway API keeps the older's: reported.

**Hosts.** Cilium's ``*.example.com`` matched exactly one label (an ``:authority`` regular
expression); a Gateway API wildcard takes any number: reported as ``cilium-wildcard-host``.
"""

from __future__ import annotations

import functools

import re2

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import PathMatch
from ingress2gateway.reporting.report import Level, Recorder, Status

_METACHARACTERS = frozenset("\\.+*?()|[]{}^$")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_MAX_REGEX = 1024  # the HTTPRoute CRD's maxLength for a path value


@functools.lru_cache(maxsize=4096)
def re2_problem(pattern: str) -> str | None:
    """Why RE2 (Envoy's engine) refuses ``pattern``, or None."""
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else "invalid"
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        return f"is not an RE2 regular expression ({text})"
    except Exception:  # a lone surrogate cannot be encoded for RE2
        return "is not an RE2 regular expression (not UTF-8)"
    return None


def is_literal(path: str) -> bool:
    return not any(char in _METACHARACTERS for char in path)


def prefix_regex(path: str) -> str:
    """Cilium's regular expression for ``Prefix path`` (``getMatchingPrefixRegex``)."""
    return f"{path.removesuffix('/')}(/.*)?$"


class PathMatcher:
    """The match of each Ingress path, as Cilium reads it (reporting what it changes)."""

    def __init__(self, report: Recorder, provider: str) -> None:
        self.report = report
        self.provider = provider

    def __call__(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        if path.path_type == "Exact":
            return PathMatch("Exact", path.path)
        if path.path_type == "Prefix":
            self._prefix_note(model, path)
            return PathMatch("PathPrefix", path.path)
        return self._regex(model, path)

    def _prefix_note(self, model: IngressModel, path: IngressPath) -> None:
        if is_literal(path.path):
            return
        regex = prefix_regex(path.path)
        if re2_problem(regex) is not None:
            self.report.warning(
                "cilium-regex-invalid",
                f"Cilium made the regular expression {regex!r} of Prefix {path.path!r}, which "
                "Envoy refused (the path was not escaped), so this path did not work under "
                "Cilium; it is converted as the literal prefix",
                source=model.source,
                field=path.field,
                provider=self.provider,
            )
            return
        self.report.info(
            "cilium-prefix-unescaped",
            f"Cilium matched Prefix {path.path!r} as the unescaped regular expression "
            f"{regex!r}, so it also took paths where its regular-expression characters match "
            "something else (a '.' any character); the output matches the literal prefix",
            source=model.source,
            field=path.field,
            provider=self.provider,
        )

    def _regex(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        value = path.path
        if is_literal(value):
            return PathMatch("Exact", value)
        problem = re2_problem(value)
        if problem is None and len(value) > _MAX_REGEX:
            problem = f"is longer than the {_MAX_REGEX} characters Gateway API allows"
        if problem is not None:
            self.report.flag(
                Level.ERROR,
                "cilium-regex-invalid",
                f"ImplementationSpecific path {value[:120]!r} {problem}: Cilium reads it as a "
                "regular expression; it is not converted",
                Status.UNSUPPORTED,
                source=model.source,
                field=path.field,
                provider=self.provider,
            )
            return None
        self.report.info(
            "cilium-regex-path",
            f"ImplementationSpecific path {value!r} is a regular expression over the whole "
            "path for Cilium: a RegularExpression match (RE2, full match, as Envoy Gateway "
            "reads it; other implementations may read it otherwise)",
            source=model.source,
            field=path.field,
            provider=self.provider,
        )
        return PathMatch("RegularExpression", value)


def regex_full_match_or_none(pattern: str, text: str) -> bool | None:
    """Whether RE2 matches the whole of ``text``; None when ``pattern`` does not compile."""
    if re2_problem(pattern) is not None:
        return None
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS).fullmatch(text) is not None
    except Exception:
        return None
