"""Authentication: ``auth-type``/``auth-secret``/``auth-realm`` (basic), ``auth-url`` and its
companions (external), ``auth-tls-*`` (client certificates).

* Basic auth becomes a ``BasicAuth`` extension (Secret, namespace, realm); ``digest`` has no
  equivalent anywhere and is a security error.
* ``auth-url`` is parsed as an http(s) URL — never copied as text — into an ``ExternalAuth``
  extension with ``auth-method``, ``auth-response-headers`` and ``auth-signin``. ``$host`` (the
  usual oauth2-proxy setup) is replaced by each rule's host, and a sign-in ``?rd=$escaped_request_uri``
  parameter (which only passes the original URL along) is dropped; URLs with any other nginx
  variable or configuration characters are refused and flagged as security errors (the
  IngressNightmare CVEs came through these values).
* ``auth-tls-secret`` becomes a ``ClientCertAuth`` extension with ``auth-tls-verify-client``.

Standard Gateway API has none of these, so without an implementation emitter each is a security
error: the migrated route would be open to everyone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingress2gateway.ingress import IngressModel
from ingress2gateway.ir import BasicAuth, ClientCertAuth, Extension, ExternalAuth, HTTPRoute

from ._base import Ann, Run, looks_injected, rules_of

_SECRET = re.compile(r"^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\Z")
_METHOD = re.compile(r"^[A-Z]+\Z")
_HEADER = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_EXTERNAL_KEYS = ("auth-method", "auth-response-headers", "auth-signin")
_BASIC_KEYS = ("auth-secret", "auth-secret-type", "auth-realm")


def secret_ref(ann: Ann, name: str) -> tuple[str, str | None] | None:
    value = ann.text(name)
    if value is None:
        return None
    match = _SECRET.match(value)
    if match is None:
        ann.invalid(name, f"{value!r} is not a Secret reference ([namespace/]name)", security=True)
        return None
    return match.group(3), match.group(1)


# The request's own host: known per rule, so it can be substituted (oauth2-proxy's usual setup).
_HOST_VARIABLES = ("$host", "$http_host", "$best_http_host")
# Query parameters that only pass the original URL along to a sign-in page.
_URL_PASSING = re.compile(
    r"[?&][A-Za-z_]+=\$(escaped_request_uri|request_uri|scheme://\$host\$request_uri)\Z"
)


def parse_url(ann: Ann, name: str, host: str | None = None, quiet: bool = False) -> str | None:
    """The URL as data: ``$host`` becomes the rule's host; any other variable is refused."""
    value = ann.text(name)
    if value is None:
        return None
    candidate = _URL_PASSING.sub("", value)
    for variable in _HOST_VARIABLES:
        if host is not None:
            candidate = candidate.replace(variable, host)
    if looks_injected(candidate) or " " in candidate:
        if not quiet:
            ann.invalid(
                name,
                "contains nginx variables or configuration characters (possible injection); only a "
                "plain URL (or $host) can be carried, so its rules are closed, as the controller denies them",
                security=True,
            )
        return None
    try:
        parts = urlsplit(candidate)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        if not quiet:
            ann.invalid(
                name,
                f"{value!r} is not an http(s) URL, so its rules are closed, as the controller denies them",
                security=True,
            )
        return None
    return parts.geturl()


def _external(run: Run, ann: Ann) -> None:
    """One ExternalAuth per host of the Ingress (``$host`` differs per host)."""
    if not ann.has("auth-url"):
        ann.ignored(_EXTERNAL_KEYS, "has no effect without auth-url")
        return
    method = ann.text("auth-method")
    if method is not None and not _METHOD.match(method):
        ann.invalid("auth-method", f"{method!r} is not an HTTP method", security=True)
        method = None
    headers = ann.csv("auth-response-headers")
    if any(not _HEADER.match(h) for h in headers):
        ann.invalid(
            "auth-response-headers", "contains something that is not a header name", security=True
        )
        headers = []
    by_host: dict[str | None, ExternalAuth | None] = {}
    pairs = rules_of(run, ann.model)
    for route, rule in pairs:
        host = route.hostnames[0] if route.hostnames else None
        if host not in by_host:
            url = parse_url(ann, "auth-url", host, quiet=bool(by_host))
            signin = (
                parse_url(ann, "auth-signin", host, quiet=bool(by_host))
                if ann.has("auth-signin")
                else None
            )
            by_host[host] = (
                None
                if url is None
                else ExternalAuth(
                    url=url,
                    method=method,
                    response_headers=headers,
                    signin_url=signin,
                    provenance=ann.prov("auth-url", *_EXTERNAL_KEYS),
                )
            )
        extension = by_host[host]
        if extension is not None:
            rule.extensions.append(extension)
    if not pairs:
        parse_url(ann, "auth-url")


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    extensions: list[Extension] = []
    auth_type = (ann.text("auth-type") or "").lower()
    if auth_type == "basic":
        ref = secret_ref(ann, "auth-secret")
        if ref is None:
            ann.unsupported(
                "auth-type",
                "basic auth without a valid auth-secret: its rules are closed, as the controller denies them",
                deny=True,
            )
        else:
            extensions.append(
                BasicAuth(
                    secret_name=ref[0],
                    secret_namespace=ref[1],
                    realm=ann.text("auth-realm"),
                    provenance=ann.prov("auth-type", *_BASIC_KEYS),
                )
            )
    elif auth_type == "digest":
        ann.unsupported(
            "auth-type",
            "digest authentication has no Gateway API or Envoy equivalent",
            deny=True,
        )
        for name in _BASIC_KEYS:
            ann.unsupported(name, "digest authentication is not converted", security=True)
    elif ann.has("auth-type"):
        ann.invalid("auth-type", f"{ann.text('auth-type')!r} is not basic or digest", security=True)
    if not auth_type:
        ann.ignored(_BASIC_KEYS, "has no effect without auth-type")
    _external(run, ann)
    for _, rule in rules_of(run, model):
        rule.extensions.extend(extensions)


def apply_hosts(run: Run) -> None:
    """Client-certificate auth is per host in ingress-nginx: the oldest Ingress that sets it wins."""
    claimed: dict[str, str] = {}
    # Routes by host name, made once: asking every route for each Ingress was quadratic (4,000
    # auth-tls Ingresses: 3.3 s).
    routes_of: dict[str, list[HTTPRoute]] = {}
    for route in run.lowered.routes:
        for name in dict.fromkeys(route.hostnames):
            routes_of.setdefault(name, []).append(route)
    for model in run.models:
        ann = run.ann(model)
        if not ann.has("auth-tls-secret"):
            continue
        hosts = [h for h in model.hosts() if h is not None]
        taken = [h for h in hosts if h in claimed]
        if taken:
            ann.ignored(
                ["auth-tls-secret", "auth-tls-verify-client"],
                f"client-certificate auth of {', '.join(taken)} is set by the older {claimed[taken[0]]}",
            )
            continue
        extension = _client_cert(ann)
        for host in hosts:
            claimed[host] = model.source.display()
        if extension is None:
            continue
        # Each route of these hosts once (a route may carry several of them).
        routes = {id(route): route for host in hosts for route in routes_of.get(host, ())}
        for route in routes.values():
            for rule in route.rules:
                rule.extensions.append(extension)


def _client_cert(ann: Ann) -> ClientCertAuth | None:
    ca = secret_ref(ann, "auth-tls-secret")
    if ca is None:
        return None
    verify = (ann.text("auth-tls-verify-client") or "on").lower()
    if verify not in ("on", "off", "optional", "optional_no_ca"):
        ann.invalid(
            "auth-tls-verify-client",
            f"{verify!r} is not on, off, optional or optional_no_ca",
            security=True,
        )
        verify = "on"
    if verify == "off":
        ann.ignored(["auth-tls-secret", "auth-tls-verify-client"], "verification is off")
        return None
    return ClientCertAuth(
        ca_secret=ca[0],
        ca_namespace=ca[1],
        verify=verify,
        provenance=ann.prov("auth-tls-secret", "auth-tls-verify-client"),
    )
