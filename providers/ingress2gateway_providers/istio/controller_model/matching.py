"""How Envoy evaluates the route matches Istio writes for an HTTPMatchRequest.

Written from istio/istio ``pilot/pkg/networking/core/route/route.go``:

* ``TranslateRouteMatch`` — ``uri`` ``exact`` is Envoy's ``path``, ``prefix`` its ``prefix``
  (a *character* prefix: ``/api/v1/prod`` takes ``/api/v1/product``), ``regex`` its
  ``safe_regex`` (RE2, the whole path); ``ignoreUriCase`` sets ``case_sensitive: false``, which
  Envoy applies to ``path`` and ``prefix`` only; ``method``, ``authority`` and ``scheme`` are
  header matches on ``:method``, ``:authority`` and ``:scheme``; ``withoutHeaders`` are inverted
  header matches that treat a missing header as empty (unless they only ask for presence);
  query parameters take the first value of a name;
* ``translateHeaderMatch``/``canBeConvertedToPresentMatch`` — ``{}`` and the regex ``*`` only
  ask that the header be present; header values are case-sensitive;
* ``IsCatchAllRoute`` — a route whose path is ``/`` (prefix) or ``.*`` (regex) with no header or
  query condition: ``BuildHTTPRoutesForVirtualService`` stops after it, and
  ``SortVHostRoutes`` moves it after the other routes of the virtual host;
* ``sourceMatchHTTP`` and ``TranslateRoute`` — a match whose ``port`` is not the server's, or
  whose ``gateways`` do not name the gateway the route is built for (or, without
  ``gateways``, whose ``sourceLabels``/``sourceNamespace`` do not fit the gateway's pods), is
  left out of that gateway's routes.
"""

from __future__ import annotations

from ingress2gateway.verification.matching import regex_full_match
from ingress2gateway.verification.model import Request

from .config import HttpMatch, StringMatch


def string_matches(match: StringMatch, value: str | None) -> bool:
    """An Envoy StringMatcher (or presence check) on a value (None: absent)."""
    if value is None:
        return False
    if match.kind == "present":
        return True
    if match.kind == "exact":
        return value == match.value
    if match.kind == "prefix":
        return value.startswith(match.value)
    return regex_full_match(match.value, value)


def path_matches(match: StringMatch | None, path: str, ignore_case: bool) -> bool:
    if match is None or match.kind == "present":
        return True  # the route's default: prefix "/"
    if match.kind == "regex":
        return regex_full_match(match.value, path)  # case_sensitive does not apply to regex
    if ignore_case:
        path, wanted = path.lower(), match.value.lower()
    else:
        wanted = match.value
    return path == wanted if match.kind == "exact" else path.startswith(wanted)


def matched_prefix(match: HttpMatch | None) -> str | None:
    """The part of the path Envoy's ``prefix_rewrite`` replaces: the prefix for a prefix
    match, None (the whole path) for ``path`` and ``safe_regex`` matches."""
    if match is None or match.uri is None or match.uri.kind == "present":
        return "/"
    if match.uri.kind == "prefix":
        return match.uri.value
    return None


def authority_of(request: Request) -> str:
    """The ``:authority`` a client sends: the host, with the port when it is not the scheme's."""
    default = 443 if request.scheme == "https" else 80
    if request.port is None or request.port == default:
        return request.host
    return f"{request.host}:{request.port}"


def _query(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    if not request.query:
        return params
    for part in request.query.split("&"):
        key, _, value = part.partition("=")
        params.setdefault(key, value)
    return params


def request_matches(match: HttpMatch | None, request: Request) -> bool:
    """Whether Envoy's route match for ``match`` (None: no match, everything) takes
    ``request``."""
    if match is None:
        return True
    if match.invalid:
        return False
    if not path_matches(match.uri, request.path, match.ignore_uri_case):
        return False
    special = (
        (match.method, request.method),
        (match.authority, authority_of(request)),
        (match.scheme, request.scheme),
    )
    for wanted, actual in special:
        if wanted is not None and not string_matches(wanted, actual):
            return False
    for name, wanted in match.headers:
        if wanted is None or not string_matches(wanted, request.header(name)):
            return False
    for name, unwanted in match.without_headers:
        if unwanted is None:
            return False
        sent = request.header(name)
        if sent is None and unwanted.kind != "present":
            sent = ""  # treat_missing_header_as_empty
        if string_matches(unwanted, sent):
            return False
    params = _query(request)
    return all(string_matches(wanted, params.get(name)) for name, wanted in match.query_params)


def is_catch_all(match: HttpMatch | None) -> bool:
    """``IsCatchAllRoute`` on the route Istio builds for ``match``."""
    if match is None:
        return True
    uri = match.uri
    path_all = (
        uri is None
        or uri.kind == "present"
        or (uri.kind == "prefix" and uri.value == "/")
        or (uri.kind == "regex" and uri.value == ".*")
    )
    headers = (
        match.headers
        or match.without_headers
        or match.method is not None
        or match.authority is not None
        or match.scheme is not None
    )
    return path_all and not headers and not match.query_params


def applies_to(
    match: HttpMatch | None,
    port: int,
    gateway: str,
    proxy_labels: dict[str, str],
    proxy_namespace: str,
) -> bool:
    """``TranslateRoute``'s port check and ``sourceMatchHTTP``: whether the route for ``match``
    exists on a server of ``gateway`` listening on ``port``."""
    if match is None:
        return True
    if match.port and match.port != port:
        return False
    if match.gateways:
        return gateway in match.gateways
    if any(proxy_labels.get(k) != v for k, v in match.source_labels):
        return False
    return not match.source_namespace or match.source_namespace == proxy_namespace
