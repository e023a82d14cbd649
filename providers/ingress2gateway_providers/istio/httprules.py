"""The Gateway API rules of an Istio ``http[]`` route: one rule for its matches, or one per match
when it rewrites the path; the redirect's port as Envoy writes it.

``rewrite.uri`` replaces the matched prefix character for character (Envoy's ``prefix_rewrite``):
ReplacePrefixMatch where it says the same, ReplaceFullPath on exact matches, the regex-rewrite
extension on regular-expression matches; a path Gateway API would rewrite differently
(``/app/x`` with ``rewrite: /`` becomes ``//x`` in Istio) is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import Match, PathModifier, RegexRewrite, RequestRedirect, Rule, URLRewrite
from ingress2gateway.reporting.report import Level

from .httpactions import Template
from .httpmatches import Unit
from .matching import Entry, regex_literal
from .paths import CHAR, EXACT, SEG, SEGRX, PathSet, escape
from .scopes import Binding

_ROOT = PathSet(SEG, "/")


def rules_of(units: list[Unit], entries: list[Entry], bound: Sequence[Binding]) -> list[Rule]:
    rules: list[Rule] = []
    names = NameAllocator()
    for unit in units:
        t = unit.template
        mine = [e for e in entries if e.group == unit.group]
        if not mine:
            continue
        if t.rewrite_uri is not None:
            for entry in mine:
                per_match, extension = _uri_rewrite(unit, entry)
                rules.append(_rule(t, [_explicit(entry)], per_match, names, len(rules), extension))
        else:
            everything = all(e.match == Match() for e in mine)
            matches = [] if everything else [_explicit(e) for e in mine]
            host = (
                URLRewrite(hostname=t.rewrite_host, provenance=t.rewrite_prov)
                if t.rewrite_host
                else None
            )
            rules.append(_rule(t, matches, host, names, len(rules)))
        _redirect_ports(unit, rules[-1], bound)
    return rules


_WELL_KNOWN = {"http": 80, "https": 443}


def _redirect_ports(unit: Unit, rule: Rule, bound: Sequence[Binding]) -> None:
    """The port of a redirect, as Envoy writes it (``ApplyRedirect``; ``newUri``): the
    request's Host keeps its port unless the redirect names a host or a port; Gateway API
    defaults to the listener's port, or the scheme's when a scheme is given. Set it where the
    listeners of the rule agree, say so where they do not."""
    for position, item in enumerate(rule.filters):
        if not isinstance(item, RequestRedirect) or item.port is not None:
            continue
        listeners = {(b.listener.port, b.scheme or "http") for b in bound if b.listener is not None}
        schemes = {scheme for _, scheme in listeners}
        ports = {port for port, _ in listeners}
        wanted: int | None = None
        if item.hostname is not None and item.scheme is None:
            if all(port == _WELL_KNOWN[scheme] for port, scheme in listeners):
                continue  # Gateway API leaves the listener's well-known port out too
            if len(schemes) != 1:
                _redirect_differs(unit, sorted(ports), "the new host without the request's port")
                continue
            wanted = _WELL_KNOWN[next(iter(schemes))]
        elif item.scheme is not None and item.hostname is None:
            derive = unit.template.redirect_derive == "FROM_REQUEST_PORT"
            keeps = derive or any(port != _WELL_KNOWN[scheme] for port, scheme in listeners)
            if not keeps:
                continue
            if len(ports) != 1:
                _redirect_differs(unit, sorted(ports), "the request's port")
                continue
            wanted = next(iter(ports))
        else:
            continue
        rule.filters[position] = replace(item, port=wanted)


def _redirect_differs(unit: Unit, ports: list[int], what: str) -> None:
    unit.notify(
        Level.WARNING,
        "istio-field-partial",
        f"the redirect's Location carries {what} in Istio; on listeners of ports "
        f"{', '.join(map(str, ports))} at once, Gateway API's single port cannot say it: the port "
        "in Location differs on some of them",
        ".redirect",
    )


def _explicit(entry: Entry) -> Match:
    """The entry's match; an empty one (no condition at all) says ``PathPrefix /`` so that it
    is not read as "no match" among others."""
    match = entry.match
    if match != Match():
        return match
    return Match(
        path=_ROOT.to_match(),
        headers=match.headers,
        query_params=match.query_params,
        method=match.method,
    )


def _istio_rewrite(entry: Entry, uri: str, path: str) -> str:
    """Envoy's ``prefix_rewrite``: the matched prefix (the whole path of an exact or regex
    match) replaced."""
    own = entry.own.condition.uri
    if own is None or own.kind == "present":
        return uri + path[1:]
    if own.kind == "prefix":
        return uri + path[len(own.value) :]
    return uri


def _gw_prefix_rewrite(prefix: str, replacement: str, path: str) -> str:
    """Gateway API's ReplacePrefixMatch (whole segments; a trailing ``/`` is not part of the
    prefix)."""
    base = prefix.rstrip("/")
    rest = path[len(base) :]
    if replacement in ("", "/"):
        return rest if rest.startswith("/") else "/" + rest
    return replacement.rstrip("/") + rest if rest else replacement


def _uri_rewrite(unit: Unit, entry: Entry) -> tuple[URLRewrite, RegexRewrite | None]:
    t = unit.template
    assert t.rewrite_uri is not None
    uri = t.rewrite_uri
    provenance = [*t.rewrite_uri_prov, *t.rewrite_prov]
    path = entry.path or _ROOT
    own = entry.own.condition
    if path.kind == EXACT:
        modifier = PathModifier("ReplaceFullPath", _istio_rewrite(entry, uri, path.value))
        return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None
    if path.kind == SEG:
        base = path.value.rstrip("/")
        probe = base + "/y"
        wanted = _istio_rewrite(entry, uri, probe)
        replacement = wanted[: -len("/y")] if wanted.endswith("/y") else uri
        modifier = PathModifier("ReplacePrefixMatch", replacement or "/")
        _check_rewrite(unit, entry, uri, base, replacement or "/")
        return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None
    prefixed = own.uri is not None and own.uri.kind == "prefix"
    if path.kind in (CHAR, SEGRX) or (prefixed and own.ignore_case):
        assert own.uri is not None
        start = ("(?i)^" if own.ignore_case else "^") + escape(own.uri.value)
        extension = RegexRewrite(
            pattern=start, substitution=regex_literal(uri), provenance=list(t.rewrite_uri_prov)
        )
        rewrite = URLRewrite(hostname=t.rewrite_host, provenance=provenance)
        return rewrite, extension
    modifier = PathModifier("ReplaceFullPath", uri)
    return URLRewrite(hostname=t.rewrite_host, path=modifier, provenance=provenance), None


def _check_rewrite(unit: Unit, entry: Entry, uri: str, base: str, replacement: str) -> None:
    """Report the paths Gateway API's ReplacePrefixMatch rewrites otherwise than Istio."""
    seen = []
    for path in (base, base + "/", base + "/y"):
        if (
            not path
            or not entry.own.condition.path_matches(path)
            or not (entry.path or _ROOT).has(path)
        ):
            continue
        istio = _istio_rewrite(entry, uri, path)
        gateway = _gw_prefix_rewrite(base, replacement, path)
        if istio != gateway:
            seen.append(f"{path} → {istio} (Gateway API: {gateway})")
    if seen:
        unit.notify(
            Level.WARNING,
            "istio-rewrite-differs",
            f"rewrite.uri {uri!r} replaces Istio's matched prefix character for character; "
            f"Gateway API's ReplacePrefixMatch keeps one slash between the parts: "
            f"{'; '.join(seen)}",
            ".rewrite",
        )


def _rule(
    t: Template,
    matches: list[Match],
    rewrite: URLRewrite | None,
    names: NameAllocator,
    serial: int,
    extension: RegexRewrite | None = None,
) -> Rule:
    filters = list(t.filters)
    if rewrite is not None and (rewrite.hostname is not None or rewrite.path is not None):
        filters.append(rewrite)
    redirects = any(isinstance(f, RequestRedirect) for f in filters)
    extensions = list(t.extensions)
    if extension is not None:
        extensions.append(extension)
    return Rule(
        matches=matches,
        backend_refs=[] if redirects else list(t.backends),
        filters=filters,
        request_timeout=t.timeout,
        name=names.allocate(t.name, f"{t.group}/{serial}") if t.name else None,
        extensions=extensions,
        provenance=list(t.provenance),
    )
