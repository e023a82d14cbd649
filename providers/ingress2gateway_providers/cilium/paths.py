"""**Paths.** Cilium turns each Ingress path into an Envoy route match
(``operator/pkg/model/ingestion/ingress.go``, ``translation/envoy_virtual_host.go``
``getRouteMatch``, current releases):

* ``Exact`` is Envoy's exact ``path``: an ``Exact`` match.
* ``Prefix /p`` is Envoy's ``path_separated_prefix`` ``/p`` (a trailing ``/`` removed;
  ``Prefix /`` a plain ``/`` prefix): element-wise, as Gateway API's ``PathPrefix``.
* ``ImplementationSpecific`` is a regular expression over the whole path (Envoy's
  ``safe_regex``, RE2, full match; ``ingress.rst``: "we define ImplementationSpecific to be
  Regex"): a ``RegularExpression`` match, literal paths included (``/impl`` is then the
  regular expression ``/impl``, which keeps its place in the order below). A path RE2 refuses
  is reported and not converted (Envoy refused Cilium's configuration for it).

Older Cilium releases matched ``Prefix /p`` with the unescaped regular expression
``/p(/.*)?$`` (``/v1.0`` also took ``/v1x0``) and ranked it among the regular expressions by
length; the conversion follows current releases.

**Order.** Envoy takes the first route that matches, and Cilium sorts a host's routes
(``SortableRoute.Less``, then ``sort.Stable``): exact paths (longer first), then regular
expressions (longer first), then prefixes (longer first); the default backend is a plain
``/`` prefix, like ``Prefix /``. Envoy Gateway orders Gateway API matches the same way. They
part where Cilium keeps the input order among equals: two regular expressions of the same
length that can match the same path (Gateway API orders them by route and value), and a
default backend next to a ``Prefix /`` rule without host (Cilium's default backend comes first
and takes every request: the rule is reported and not converted). Such pairs are reported as
``cilium-order-differs``. Other implementations may rank ``RegularExpression`` matches
otherwise (Gateway API leaves it to them).

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

from ingress2gateway.converting import grammar
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


class PathMatcher:
    """The match of each Ingress path, as Cilium reads it (reporting what it changes)."""

    def __init__(self, report: Recorder, provider: str) -> None:
        self.report = report
        self.provider = provider

    def __call__(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        if path.path_type == "Exact":
            return PathMatch("Exact", path.path)
        if path.path_type == "Prefix":
            # Cilium drops one trailing "/" (path_separated_prefix), so /api/ ranks as /api
            # (input order between the two); a Gateway API implementation counts the "/".
            return PathMatch("PathPrefix", path.path.removesuffix("/") or "/")
        return self._regex(model, path)

    def _regex(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        value = path.path
        problem = re2_problem(value)
        control = grammar.control_character(value)
        if control is not None:
            # No request path holds one; never copy it into the output.
            problem = f"holds {grammar.describe_char(control)}"
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
