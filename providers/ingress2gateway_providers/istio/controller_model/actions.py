"""What the route Istio builds for an ``http[]`` entry does with a request it matched.

Written from istio/istio ``pilot/pkg/networking/core/route/route.go``:

* ``TranslateRoute`` — ``redirect`` first, then ``directResponse``, else the destinations;
* ``applyHTTPRouteDestination`` — ``rewrite.uriRegexRewrite`` (Envoy ``regex_rewrite``: every
  match in the path replaced) before ``rewrite.uri`` (Envoy ``prefix_rewrite``: the matched
  prefix, or the whole path of an exact or regex match, replaced — so ``uri: /v2`` on a match
  without ``uri`` turns ``/foo`` into ``/v2foo``); ``rewrite.authority`` over a ``host`` set in
  ``headers``; one destination takes all the traffic whatever its weight, several share it by
  weight and a weight of 0 (or none) gets nothing;
* ``GetDestinationCluster`` — a destination without a port uses the Service's only port, else
  the port of the gateway server;
* ``ApplyRedirect`` — ``uri`` replaces the path (the query stays, as Envoy's ``path_redirect``
  keeps it), ``authority`` the host, ``scheme`` the scheme; ``port`` or ``derivePort:
  FROM_REQUEST_PORT`` (the server's port) set the port, dropped when it is the scheme's; codes
  301 (the default), 302, 303, 307 and 308, any other leaves the route without an action;
* ``TranslateFault`` — an abort without a percentage aborts every request.

Envoy's side (``source/common/router/config_impl.cc``, ``newUri`` and ``processRequestHost``):
without a new host the redirect keeps the request's, whose port is dropped when a port is set
or the scheme changes away from that port's scheme.
"""

from __future__ import annotations

from fractions import Fraction

from ingress2gateway.verification.gateway import regex_substitute
from ingress2gateway.verification.model import (
    Backend,
    Outcome,
    Redirect,
    Request,
    Respond,
    forward,
)

from .config import Config, Destination, HttpMatch, HttpRoute, as_dict, text
from .matching import authority_of, matched_prefix

_CODES = (301, 302, 303, 307, 308)


def acting_fields(route: HttpRoute, outcome: Outcome) -> tuple[str, ...]:
    """The fields of ``route`` that made ``outcome``."""
    spec = route.spec
    if route.invalid:
        return ("delegate",)
    if spec.get("redirect") is not None:
        return ("redirect",)
    if spec.get("directResponse") is not None:
        return ("directResponse",)
    if isinstance(outcome, Respond) and spec.get("fault") is not None:
        return ("fault",)
    return ("route", "rewrite", "headers")


def backend_of(config: Config, destination: Destination, listener_port: int) -> Backend:
    """The Service (or ServiceEntry host) a destination sends to, and the port."""
    port = destination.port
    service = config.service_of(destination.host)
    if port is None:
        ports = config.service_ports.get(service) if service is not None else None
        port = ports[0] if ports is not None and len(ports) == 1 else listener_port
    if service is not None:
        namespace, name = service
        kind = "Service" if destination.subset is None else f"Service subset {destination.subset}"
        return Backend(namespace, name, port, kind)
    entry = config.service_entries.get(destination.host)
    if entry is not None:
        return Backend(entry.namespace, destination.host, port, "ServiceEntry host")
    return Backend("", destination.host, port, "host")


def rewritten_path(route: HttpRoute, match: HttpMatch | None, path: str) -> str:
    rewrite = as_dict(route.spec.get("rewrite"))
    regex = as_dict(rewrite.get("uriRegexRewrite"))
    if regex:
        return regex_substitute(str(regex.get("match", "")), str(regex.get("rewrite", "")), path)
    uri = rewrite.get("uri")
    if isinstance(uri, str) and uri:
        prefix = matched_prefix(match)
        return uri if prefix is None else uri + path[len(prefix) :]
    return path


def _route_authority(route: HttpRoute) -> str | None:
    rewrite = as_dict(route.spec.get("rewrite")).get("authority")
    if isinstance(rewrite, str) and rewrite:
        return rewrite
    request = as_dict(as_dict(route.spec.get("headers")).get("request"))
    found = None
    for op in ("add", "set"):
        for key, value in as_dict(request.get(op)).items():
            if str(key).lower() in (":authority", "host") and text(value) is not None:
                found = text(value)
    return found


def act(
    config: Config,
    route: HttpRoute,
    match: HttpMatch | None,
    request: Request,
    listener_port: int,
    is_tls: bool,
    guards: tuple[str, ...],
) -> Outcome:
    """The outcome of ``route`` (entered through ``match``) for ``request``."""
    spec = route.spec
    if route.invalid:
        return Respond(503, route.invalid)
    if "redirect" in spec and spec["redirect"] is not None:
        return redirect(as_dict(spec["redirect"]), match, request, listener_port, is_tls)
    direct = spec.get("directResponse")
    if direct is not None:
        status = as_dict(direct).get("status")
        return Respond(status if isinstance(status, int) else 0, "direct response")
    abort = as_dict(as_dict(spec.get("fault")).get("abort"))
    status = abort.get("httpStatus")
    percent = as_dict(abort.get("percentage")).get("value", 100)
    if isinstance(status, int) and isinstance(percent, (int, float)) and percent >= 100:
        return Respond(status, "fault injection aborts every request")
    path = rewritten_path(route, match, request.path)
    seen = path + (f"?{request.query}" if request.query else "")
    host = _route_authority(route)
    destinations = route.destinations
    if len(destinations) == 1:
        weighted = [(destinations[0], 1)]
    else:
        weighted = [(d, d.weight) for d in destinations if d.weight > 0]
    if host is None:
        authorities = {d.authority for d, _ in weighted}
        if len(authorities) == 1:
            host = authorities.pop()
    backends: list[tuple[Backend, int | Fraction]] = []
    for destination, weight in weighted:
        if not destination.host:
            return Respond(503, "a destination without host (UnknownService)")
        backends.append((backend_of(config, destination, listener_port), weight))
    return forward(backends, seen, host if host is not None else request.host, guards)


def redirect(
    spec: dict[str, object],
    match: HttpMatch | None,
    request: Request,
    listener_port: int,
    is_tls: bool,
) -> Outcome:
    code = spec.get("redirectCode") or 301
    if code not in _CODES:
        return Respond(503, f"redirect code {code!r}: Istio leaves the route without an action")
    assert isinstance(code, int)
    scheme = spec.get("scheme") if isinstance(spec.get("scheme"), str) and spec["scheme"] else None
    final_scheme = str(scheme or request.scheme)
    port: int | None = None
    if "port" in spec or "derivePort" in spec:
        if isinstance(spec.get("port"), int):
            port = int(spec["port"])  # type: ignore[call-overload]
        elif spec.get("derivePort") == "FROM_REQUEST_PORT":
            port = listener_port
        # ApplyRedirect compares with the redirect's scheme, or the server's.
        default_scheme = str(scheme or ("https" if is_tls else "http"))
        if (port, default_scheme) in ((80, "http"), (443, "https")):
            port = None
    authority = spec.get("authority")
    if isinstance(authority, str) and authority:
        host = authority
    else:
        host = _request_host(request, final_scheme, port)
    uri = spec.get("uri")
    prefix_rewrite = spec.get("prefixRewrite")
    if isinstance(uri, str) and uri:
        path = uri
        query = "" if "?" in uri else (f"?{request.query}" if request.query else "")
    else:
        path = request.path
        if isinstance(prefix_rewrite, str) and prefix_rewrite:
            prefix = matched_prefix(match)
            path = prefix_rewrite if prefix is None else prefix_rewrite + path[len(prefix) :]
        query = f"?{request.query}" if request.query else ""
    port_part = f":{port}" if port is not None else ""
    return Redirect(code, f"{final_scheme}://{host}{port_part}{path}{query}")


def _request_host(request: Request, new_scheme: str, new_port: int | None) -> str:
    """Envoy's ``processRequestHost``: the request's Host, its port dropped when a port is set
    or when the scheme changes away from a default port."""
    sent = authority_of(request)
    if ":" not in sent:
        return sent
    host, _, port = sent.rpartition(":")
    remove = new_port is not None
    if new_scheme != request.scheme:
        remove = remove or (request.scheme, port) in (("https", "443"), ("http", "80"))
    return host if remove else sent
