"""Kong path semantics (``konghq.com/regex-prefix``, ``pathType``).

Kong Ingress Controller turns Ingress paths into Kong route paths (``PathsFromIngressPaths``):

* ``Exact /foo`` → the regex ``~/foo$``: an Exact match.
* ``Prefix /foo`` → ``/foo/`` plus ``~/foo$``: a segment prefix, like Gateway API ``PathPrefix``.
* ``ImplementationSpecific``: passed through (with the ``kong`` IngressClass's
  IngressClassParameters ``enableLegacyRegexDetection: true``, a path that is not plain
  characters is a regular expression, as Kong before 3.0 read it). A path that starts with the regex prefix
  (``/~`` unless ``konghq.com/regex-prefix`` says otherwise) is a regular expression; anything
  else is a *character* prefix (``/foo`` also matches ``/foobar``; ``/foo/`` does not match
  ``/foo``): ``PathPrefix /foo`` plus ``RegularExpression /foo[^/].*`` (``/foo/`` is
  ``RegularExpression /foo/.*``; with ``strip-path`` or a Service path a regex rewrite does
  what Kong does with the rest of the path) where no other rule of the host could take those
  requests first (Gateway API tries regular expressions before prefixes, Kong does not);
  elsewhere a ``PathPrefix`` (a segment prefix), and which requests change is reported for the
  path.

Kong anchors a regex path at the start of the path only; the Gateway API implementations that
support ``RegularExpression`` (Envoy-based ones among them) match the whole path, so ``.*`` is
appended to a pattern that does not end in ``$`` — the same requests still match.
"""

from __future__ import annotations

import re

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import PathMatch

REGEX_PREFIX_KEY = "konghq.com/regex-prefix"
DEFAULT_REGEX_PREFIX = "/~"


def regex_prefix(model: IngressModel) -> str:
    value = model.obj.annotations.get(REGEX_PREFIX_KEY, "").strip()
    return value or DEFAULT_REGEX_PREFIX


def kong_regex(pattern: str) -> str:
    """A Kong (start-anchored) regex as a whole-path regex."""
    body = pattern[1:] if pattern.startswith("^") else pattern
    if "|" in body:
        # Kong anchors the whole alternation at the start: keep it one group.
        return f"(?:{body}).*"
    if body.endswith("$") and not body.endswith("\\$"):
        return body[:-1]
    return body if body.endswith(".*") else f"{body}.*"


_LEGACY_PLAIN = re.compile(r"[a-zA-Z0-9.\-_~/%]*")
"""What Kong before 3.0 took for a plain path (KIC's ``legacyRegexPathExpression``)."""


def legacy_regex(model: IngressModel, path: IngressPath, legacy: bool) -> bool:
    """With the IngressClassParameters' ``enableLegacyRegexDetection``, KIC makes a regular
    expression of an ImplementationSpecific path that is not plain characters
    (``MaybePrependRegexPrefix``)."""
    return (
        legacy
        and path.path_type == "ImplementationSpecific"
        and not path.path.startswith(regex_prefix(model))
        and _LEGACY_PLAIN.fullmatch(path.path) is None
    )


def match_for(model: IngressModel, path: IngressPath, legacy: bool = False) -> PathMatch:
    """The :class:`~ingress2gateway.converting.lowering.IngressPolicy` path hook for Kong."""
    if path.path_type == "Exact":
        return PathMatch("Exact", path.path)
    if path.path_type == "Prefix":
        return PathMatch("PathPrefix", path.path)
    prefix = regex_prefix(model)
    if path.path.startswith(prefix) and len(path.path) > len(prefix):
        return PathMatch("RegularExpression", kong_regex(path.path[len(prefix) :]))
    if legacy_regex(model, path, legacy):
        return PathMatch("RegularExpression", kong_regex(path.path))
    return PathMatch("PathPrefix", path.path)


def character_prefix_change(
    model: IngressModel, path: IngressPath, legacy: bool = False
) -> str | None:
    """Which requests an ImplementationSpecific plain path no longer takes (or now takes) as a
    Gateway API ``PathPrefix``, or None: Kong matched it as a *character* prefix (its router's
    ``http.path ^= "<path>"``)."""
    if path.path_type != "ImplementationSpecific" or path.path.startswith(regex_prefix(model)):
        return None
    if legacy_regex(model, path, legacy):
        return None
    value = path.path or "/"
    if value == "/":
        return None
    if value.endswith("/"):
        bare = value.rstrip("/") or "/"
        return (
            f"Kong matched ImplementationSpecific {value} as a character prefix, so {bare} "
            f"itself was not this path's (it went to a shorter path of the host, or got 404); "
            f"Gateway API PathPrefix {value} also matches {bare}"
        )
    return (
        f"Kong matched ImplementationSpecific {value} as a character prefix: {value}<more "
        f"characters> (such as {value}-v2 or {value}.json) reached this backend too; Gateway API "
        f"PathPrefix {value} only matches {value} and {value}/..., so those requests now go to a "
        "shorter path of the host, or get 404"
    )
