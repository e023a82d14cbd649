"""How GKE reads an Ingress path (ingress-gce ``pkg/controller/translator/translator.go``,
``validateAndGetPaths``), and the Gateway API match that answers the same requests.

* ``Exact /p`` is the URL-map path rule ``/p``: an exact match. GKE refuses an Exact path with a
  ``*`` in it (``validateExactPathType``); the path is reported and not converted.
* ``Prefix /p`` becomes the two rules ``/p`` and ``/p/*`` (``Prefix /`` becomes ``/*``): the
  element-wise prefix Gateway API's ``PathPrefix`` is. GKE refuses a ``*`` here too.
* ``ImplementationSpecific`` (and a path without ``pathType``) is handed to the URL map as it
  is. A Google path rule is exact unless it ends in ``/*``, which matches everything below the
  directory, and ``*`` is allowed nowhere else. So ``/`` and ``/foo`` are **exact** (unlike
  most controllers, where they are prefixes), ``/*`` is ``PathPrefix /``, and ``/foo/*`` is
  ``PathPrefix /foo``, which would also take ``/foo`` itself, where GKE matched only
  ``/foo/`` and below. GKE sent ``/foo`` to the longest other rule of the host that matches it
  (or the default backend): the conversion adds an ``Exact /foo`` rule with that rule's
  backends, and reports the difference only where GKE answered ``/foo`` with its 404 (no rule
  and no default backend took it). A ``*`` anywhere else makes the Compute API refuse the URL
  map: reported, not converted.
* An ImplementationSpecific path that is empty is GKE's ``DefaultPath``, ``/*``: everything.
* The URL map picks the longest matching path rule whatever the order (Compute API
  ``PathMatcher``), which is the precedence Gateway API gives Exact and PathPrefix matches.
* Two rules of one Ingress with the same host: GKE's ``PutPathRulesForHost`` **replaces** the
  host's paths, so only the last such rule (with an ``http`` section) counts; the paths of the
  earlier ones are not converted (reported). Within one rule, two paths that make the same
  URL-map paths keep the later one (``PutPathRulesForHost`` drops the earlier duplicates).
"""

from __future__ import annotations

import dataclasses

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import HTTPRoute, Match, PathMatch, Rule
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Level, Recorder, Status

from .common import PROVIDER

Globs = dict[tuple[SourceRef, str], str]
"""``(Ingress, path field)`` of each ``/dir/*`` path read as ``PathPrefix /dir`` -> ``/dir``."""


def match_for(
    report: Recorder, globs: Globs, model: IngressModel, path: IngressPath
) -> PathMatch | None:
    """The match for one path; None (after reporting why) for a path GKE refused."""
    value = path.path or ""
    kind = path.path_type or "ImplementationSpecific"
    if kind == "ImplementationSpecific" and not _raw_path(model, path):
        return PathMatch("PathPrefix", "/")  # DefaultPath "/*"
    if kind in ("Exact", "Prefix"):
        if "*" in value:
            _refused(report, model, path, f"GKE refuses {kind} paths with '*' in them")
            return None
        return PathMatch("Exact" if kind == "Exact" else "PathPrefix", value or "/")
    if not value:
        value = "/"
    glob = value.endswith("/*")
    if "*" in (value[:-2] if glob else value):
        _refused(
            report,
            model,
            path,
            "a Google URL-map path allows '*' only as its last character, after a '/'; the "
            "Compute API refused this URL map",
        )
        return None
    if not glob:
        return PathMatch("Exact", value)
    prefix = value[:-2] or "/"
    if prefix != "/":
        globs[(model.source, path.field)] = prefix
    return PathMatch("PathPrefix", prefix)


def _raw_path(model: IngressModel, path: IngressPath) -> object:
    """The path as written (the Ingress parser reads an empty one as ``/``)."""
    rules = model.obj.spec.get("rules")
    try:
        return rules[path.rule_index]["http"]["paths"][path.path_index].get("path")  # type: ignore[index]
    except (TypeError, KeyError, IndexError, AttributeError):
        return path.path


def url_map_paths(model: IngressModel, path: IngressPath) -> frozenset[str]:
    """The URL-map path rules GKE made of ``path`` (``validateAndGetPaths``)."""
    if path.path_type == "Exact":
        return frozenset({path.path})
    if path.path_type == "Prefix":
        trimmed = path.path.rstrip("/")
        return frozenset({"/*"} if not trimmed else {trimmed, trimmed + "/*"})
    return frozenset({str(_raw_path(model, path) or "/*")})


def served_paths(report: Recorder, model: IngressModel) -> list[IngressPath]:
    """The paths GKE kept: the last rule of each host, the last of equal paths (see above)."""
    rules = model.obj.spec.get("rules")
    last_rule: dict[str | None, int] = {}
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and rule.get("http") is not None:
            host = rule.get("host") or None
            last_rule[host if isinstance(host, str) else None] = index
    kept: list[IngressPath] = []
    by_rule: dict[int, list[IngressPath]] = {}
    for path in model.paths:
        by_rule.setdefault(path.rule_index, []).append(path)
    for index, group in sorted(by_rule.items()):
        winner = last_rule.get(group[0].host, index)
        if winner != index:
            for path in group:
                report.record(
                    model.source,
                    path.field,
                    Status.IGNORED,
                    note=f"GKE replaced this host's paths with those of spec.rules[{winner}]",
                    provider=PROVIDER,
                )
            report.warning(
                "gce-value-invalid",
                f"spec.rules[{index}] has the host of spec.rules[{winner}], whose paths replaced "
                "its own on GKE; they are not converted",
                source=model.source,
                field=f"spec.rules[{index}]",
                provider=PROVIDER,
            )
            continue
        later: set[str] = set()
        survivors: list[IngressPath] = []
        for path in reversed(group):
            made = url_map_paths(model, path)
            if made <= later:
                report.flag(
                    Level.WARNING,
                    "gce-value-invalid",
                    f"path {path.path!r} makes the same URL-map paths as a later path of the "
                    "rule, which GKE kept; it is not converted",
                    Status.IGNORED,
                    source=model.source,
                    field=path.field,
                    provider=PROVIDER,
                )
                continue
            later |= made
            survivors.append(path)
        kept.extend(reversed(survivors))
    return kept


def _covers(prefix: str, path: str) -> bool:
    return prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def keep_directory_exact(
    report: Recorder, globs: Globs, model: IngressModel, routes: list[HTTPRoute]
) -> None:
    """For each ``/dir/*`` rule, ``/dir`` itself goes where GKE sent it (see the module)."""
    for route in routes:
        for rule in list(route.rules):
            for item in rule.provenance:
                prefix = globs.get((item.source, item.field))
                if prefix is not None:
                    _exact_twin(report, model, item.field, prefix, route, rule, routes)


def _exact_twin(
    report: Recorder,
    model: IngressModel,
    field: str,
    prefix: str,
    route: HTTPRoute,
    glob: Rule,
    routes: list[HTTPRoute],
) -> None:
    host = [
        r for r in routes if r.hostnames == route.hostnames and r.parent_refs == route.parent_refs
    ]
    best: tuple[int, Rule] | None = None
    for other in host:
        for rule in other.rules:
            for match in rule.matches:
                if match.path is None or rule is glob:
                    continue
                if match.path.type == "Exact" and match.path.value == prefix:
                    return  # an exact rule takes it, on GKE as in Gateway API
                longer = best is None or len(match.path.value) > best[0]
                if match.path.type == "PathPrefix" and longer and _covers(match.path.value, prefix):
                    best = (len(match.path.value), rule)
    if best is None or len(route.rules) >= 16:
        report.warning(
            "gce-behaviour-differs",
            f"{prefix + '/*'!r} matched only {prefix + '/'!r} and below on GKE, which answered "
            f"{prefix!r} itself with its default backend's 404; PathPrefix {prefix!r} answers "
            "it too",
            source=model.source,
            field=field,
            provider=PROVIDER,
        )
        return
    taker = best[1]
    route.rules.append(
        Rule(
            matches=[Match(path=PathMatch("Exact", prefix))],
            backend_refs=[
                dataclasses.replace(ref, provenance=list(ref.provenance))
                for ref in taker.backend_refs
            ],
            provenance=[*taker.provenance],
            sources=list(taker.sources),
        )
    )


def _refused(report: Recorder, model: IngressModel, path: IngressPath, why: str) -> None:
    report.flag(
        Level.ERROR,
        "gce-value-invalid",
        f"path {path.path!r}: {why}; it is not converted",
        Status.UNSUPPORTED,
        source=model.source,
        field=path.field,
        provider=PROVIDER,
    )
