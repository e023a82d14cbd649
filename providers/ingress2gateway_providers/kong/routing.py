"""Ingress route annotations: ``methods``, ``headers.*``, ``headers-separator``, ``strip-path``,
``preserve-host``, ``protocols``, ``https-redirect-status-code``, ``host-aliases``,
``request-buffering``, ``response-buffering`` (and the same fields of a KongIngress ``route``
section, see KongIngress below).

* ``methods: GET,POST`` — one match per method (each combined with the header matches).
* ``headers.x-team: a,b`` — the request must carry ``x-team`` with one of the values: one match
  per value; several ``headers.*`` keys give every combination. Kong compares values without
  regard to letter case (``any(lower(http.headers.x_team)) == "a"``), so a value with letters is
  the regular expression ``(?i)<value>``. A value starting with ``~*`` is a regular expression
  Kong lower-cases and searches anywhere in the lower-cased value: ``(?i).*(?:<regex>).*``
  (Gateway API matches the whole value). ``headers-separator`` changes the ``,``.
* ``strip-path: "true"`` — the matched prefix is removed before proxying:
  URLRewrite ``ReplacePrefixMatch: /`` (or the Service's ``konghq.com/path``) on prefix rules,
  ``ReplaceFullPath`` on exact ones, a regex-rewrite extension on regular expressions.
* ``preserve-host`` — Kong's default for Ingress routes is ``true``, which is what Gateway API
  does. ``false`` sends the Service's ``konghq.com/host-header``, else the name of Kong's
  upstream (``<service>.<namespace>.<port>.svc``): a URLRewrite hostname.
* ``protocols`` — ``http,https`` is the default. Without ``http`` (``https``, ``grpcs``) plain
  HTTP is refused: with ``https-redirect-status-code`` 301/302/307/308 the rules are served on
  the HTTPS listener and the HTTP listener answers with a RequestRedirect to ``https``; with
  Kong's default 426 (Upgrade Required), which Gateway API cannot send, the rules are attached
  to the HTTPS listener only and the difference is reported. Where no ``spec.tls`` entry names
  the host, Kong served it with its own default certificate: the rules get a new HTTPS listener
  that names a Secret ``<host>-kong-default-certificate`` the user must create (reported), and
  no plain-HTTP route. ``grpc``/``grpcs`` alone make the rules a GRPCRoute (Kong answered
  other requests on them 415: reported).
* ``rewrite`` — the whole upstream path. The Kong Ingress Controller accepts it only with its
  ``RewriteURIs`` feature gate (off by default); without it the Kong service of the Ingress's
  backend is left out of Kong's configuration (404), which is reported, and the rules are
  converted without the rewrite unless ``--provider-option kong.rewrite-uris=true``. Then it
  overrides ``strip-path`` and the Service's path: a URLRewrite ``ReplaceFullPath``, or, when it
  uses ``$n`` captures of a ``/~`` regex path, a regex-rewrite extension (``\\n``
  substitutions).
* ``host-aliases`` — every rule of the Ingress is also routed for each alias host: a listener
  for the alias and a route with the same rules; a path the alias host already routes with the
  same match is reported (``path-conflict``) and left to the host's own rule.
* ``request-buffering``/``response-buffering`` — a buffering extension (``false`` only; on is
  Kong's default).
* ``ingress.kubernetes.io/force-ssl-redirect: "true"`` (a generic key Kong honours) — like
  ``protocols: https`` with a 302 redirect unless ``https-redirect-status-code`` says otherwise.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Buffering, HeaderMatch, Match, Provenance, Rule
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Status

from .catalog import HEADERS_FAMILY
from .common import (
    KongRun,
    Setting,
    annotation_field,
    parse_bool,
    parse_int,
    split_list,
    str_list,
)

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
REDIRECT_CODES = (301, 302, 307, 308)
KONG_REDIRECT_CODES = (*REDIRECT_CODES, 426)
PROTOCOLS = ("http", "https", "grpc", "grpcs")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
FORCE_SSL_KEY = "ingress.kubernetes.io/force-ssl-redirect"


@dataclass
class RouteSettings:
    """What an Ingress (and its KongIngress ``route`` section) asks of each of its rules."""

    methods: Setting[list[str]] | None = None
    headers: list[Setting[tuple[str, list[str]]]] = field(default_factory=list)
    strip_path: Setting[bool] | None = None
    preserve_host: Setting[bool] | None = None
    protocols: Setting[list[str]] | None = None
    redirect_code: Setting[int] | None = None
    host_aliases: Setting[list[str]] | None = None
    rewrite: Setting[str] | None = None
    request_buffering: Setting[bool] | None = None
    response_buffering: Setting[bool] | None = None


def _bool(run: KongRun, source: SourceRef, key: str, text: str) -> Setting[bool] | None:
    value = parse_bool(text)
    field_path = annotation_field(key)
    if value is None:
        run.invalid(source, field_path, f"{key}: {text!r} is not a boolean; ignored")
        return None
    return Setting(value, Provenance(source, field_path))


def valid_methods(run: KongRun, source: SourceRef, field_path: str, values: list[str]) -> list[str]:
    methods: list[str] = []
    for raw in values:
        method = raw.upper()
        if method not in HTTP_METHODS:
            run.invalid(source, field_path, f"{raw!r} is not an HTTP method Gateway API matches")
            continue
        if method not in methods:
            methods.append(method)
    return methods


def valid_protocols(
    run: KongRun, source: SourceRef, field_path: str, values: list[str]
) -> list[str]:
    found = []
    for raw in values:
        value = raw.lower()
        if value not in PROTOCOLS:
            run.invalid(
                source, field_path, f"protocol {raw!r} is not one of {', '.join(PROTOCOLS)}"
            )
            continue
        found.append(value)
    return found


def valid_redirect(run: KongRun, source: SourceRef, field_path: str, value: object) -> int | None:
    code = parse_int(value)
    if code not in KONG_REDIRECT_CODES:
        run.invalid(source, field_path, f"{value!r} is not one of 301, 302, 307, 308, 426")
        return None
    return code


def read(run: KongRun, model: IngressModel) -> RouteSettings:
    """The route settings an Ingress's annotations give (bad values reported and skipped)."""
    settings = RouteSettings()
    source = model.source
    annotations = model.obj.annotations
    separator = annotations.get("konghq.com/headers-separator") or ","
    if "konghq.com/headers-separator" in annotations:
        run.record(source, annotation_field("konghq.com/headers-separator"), Status.CONVERTED)
    for key in sorted(annotations):
        text = annotations[key]
        field_path = annotation_field(key)
        provenance = Provenance(source, field_path)
        if key == "konghq.com/methods":
            methods = valid_methods(run, source, field_path, split_list(text))
            if methods:
                settings.methods = Setting(methods, provenance)
        elif key.startswith(HEADERS_FAMILY) and key != HEADERS_FAMILY:
            name = key[len(HEADERS_FAMILY) :]
            values = split_list(text, separator)
            if not _HEADER_NAME.match(name) or not values:
                run.invalid(source, field_path, f"{key}: not a header name with values; ignored")
                continue
            settings.headers.append(Setting((name, values), provenance))
        elif key == "konghq.com/strip-path":
            settings.strip_path = _bool(run, source, key, text)
        elif key == "konghq.com/preserve-host":
            settings.preserve_host = _bool(run, source, key, text)
        elif key == "konghq.com/request-buffering":
            settings.request_buffering = _bool(run, source, key, text)
        elif key == "konghq.com/response-buffering":
            settings.response_buffering = _bool(run, source, key, text)
        elif key == "konghq.com/protocols":
            protocols = valid_protocols(run, source, field_path, split_list(text))
            if protocols:
                settings.protocols = Setting(protocols, provenance)
        elif key == "konghq.com/https-redirect-status-code":
            code = valid_redirect(run, source, field_path, text)
            if code is not None:
                settings.redirect_code = Setting(code, provenance)
        elif key == "konghq.com/rewrite":
            settings.rewrite = _rewrite(run, source, field_path, text)
        elif key == "konghq.com/host-aliases":
            hosts = []
            for host in split_list(text):
                if grammar.hostname_problem(host.lower()) is None:
                    hosts.append(host.lower())
                else:
                    run.invalid(source, field_path, f"host alias {host!r} is not a DNS name")
            if hosts:
                settings.host_aliases = Setting(hosts, provenance)
    force = annotations.get(FORCE_SSL_KEY)
    if force is not None:
        flag = _bool(run, source, FORCE_SSL_KEY, force)
        provenance = Provenance(source, annotation_field(FORCE_SSL_KEY))
        if flag is not None and flag.value:
            settings.protocols = settings.protocols or Setting(["https"], provenance)
            settings.redirect_code = settings.redirect_code or Setting(302, provenance)
        elif flag is not None:
            run.record(source, provenance.field, Status.CONVERTED, "false is the default")
    return settings


REWRITE_OPTION = "rewrite-uris"
_REWRITE = re.compile(r"^/(?:[-A-Za-z0-9/._~!&'()*+,;=:@]|\$[0-9]+|%[0-9a-fA-F]{2})*\Z")


def _rewrite(run: KongRun, source: SourceRef, field_path: str, text: str) -> Setting[str] | None:
    enabled = run.ctx.options.for_provider(run.provider).get(REWRITE_OPTION, "").lower()
    if enabled not in ("true", "1", "yes"):
        message = (
            "without its RewriteURIs feature gate (off by default) the Kong Ingress Controller "
            "refuses konghq.com/rewrite, and leaves the Kong service of this Ingress's backend "
            "out of Kong's configuration (MaybeRewriteURI): Kong answered these paths 404. They "
            "are converted without the rewrite; pass --provider-option kong.rewrite-uris=true if "
            "your controller ran with the gate"
        )
        run.differs(source, field_path, message)
        run.record(source, field_path, Status.IGNORED, message)
        return None
    value = text.strip()
    if not _REWRITE.match(value):
        run.invalid(source, field_path, f"rewrite {text!r} is not a path with $n captures")
        return None
    return Setting(value, Provenance(source, field_path))


# --- applying to rules -----------------------------------------------------------------------


def expand_matches(
    rule: Rule, methods: Setting[list[str]] | None, headers: list[Setting[tuple[str, list[str]]]]
) -> None:
    """Combine each match of ``rule`` with every method and every header alternative."""
    if methods is None and not headers:
        return
    header_sets: list[list[HeaderMatch]] = []
    for setting in sorted(headers, key=lambda s: s.value[0].lower()):
        name, values = setting.value
        header_sets.append([_header_match(name, value) for value in values])
        rule.provenance.append(setting.provenance)
    combos = list(itertools.product(*header_sets)) if header_sets else [()]
    method_list: list[str | None] = list(methods.value) if methods is not None else [None]
    if methods is not None:
        rule.provenance.append(methods.provenance)
    matches: list[Match] = []
    for match in rule.matches or [Match()]:
        for method in method_list:
            for combo in combos:
                matches.append(
                    Match(
                        path=match.path,
                        headers=match.headers + tuple(combo),
                        query_params=match.query_params,
                        method=method or match.method,
                    )
                )
    rule.matches = matches


def _header_match(name: str, value: str) -> HeaderMatch:
    """Kong's header condition as a Gateway API match (kong/router/transform.lua,
    ``get_expression``: both sides lower-cased; ``~*`` a regex searched in the value)."""
    if value.startswith("~*"):
        return HeaderMatch(name, f"(?i).*(?:{value[2:].lower()}).*", "RegularExpression")
    if value.lower() == value.upper():
        return HeaderMatch(name, value)  # no letters: letter case cannot matter
    return HeaderMatch(name, "(?i)" + regex_literal(value), "RegularExpression")


_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def regex_literal(text: str) -> str:
    """``text`` as a regular expression that matches it alone (RE2 syntax)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def match_signature(
    annotations: Mapping[str, str], route_section: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """The methods and headers every path of an Ingress is matched with, as values equal for
    equal conditions (annotations first, else the linked KongIngress's ``route`` section), read
    without reporting: two Ingresses with the same path but other conditions make two Kong
    routes, not a conflict (lowering's duplicate check compares this)."""
    methods = sorted(
        {m.upper() for m in split_list(annotations.get("konghq.com/methods", ""))}
        & set(HTTP_METHODS)
    )
    if not methods:
        methods = sorted(
            {str(m).strip().upper() for m in route_section.get("methods") or [] if m}
            & set(HTTP_METHODS)
        )
    separator = annotations.get("konghq.com/headers-separator") or ","
    headers = {
        key[len(HEADERS_FAMILY) :].lower(): tuple(sorted(split_list(value, separator)))
        for key, value in annotations.items()
        if key.startswith(HEADERS_FAMILY) and key != HEADERS_FAMILY and split_list(value)
    }
    section_headers = route_section.get("headers")
    if not headers and isinstance(section_headers, dict):
        headers = {
            str(name).lower(): tuple(sorted(str_list(values)))
            for name, values in section_headers.items()
        }
    return tuple(methods), tuple(sorted(headers.items()))


def buffering(settings: RouteSettings) -> Buffering | None:
    """A buffering extension when the Ingress turns buffering off (Kong buffers by default)."""
    request, response = settings.request_buffering, settings.response_buffering
    wanted = [s for s in (request, response) if s is not None and not s.value]
    if not wanted:
        return None
    return Buffering(
        request=False if request is not None and not request.value else None,
        response=False if response is not None and not response.value else None,
        provenance=[s.provenance for s in wanted],
    )


def https_only(settings: RouteSettings) -> bool:
    protocols = settings.protocols
    return protocols is not None and not ({"http", "grpc"} & set(protocols.value))


def grpc_only(settings: RouteSettings) -> bool:
    protocols = settings.protocols
    return protocols is not None and set(protocols.value) <= {"grpc", "grpcs"}
