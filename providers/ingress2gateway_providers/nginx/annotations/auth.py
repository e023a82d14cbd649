"""Authentication: ``auth-type``/``auth-secret``/``auth-realm`` (basic), ``auth-url`` and its
companions (external), ``auth-tls-*`` (client certificates).

* Basic auth becomes a ``BasicAuth`` extension (Secret, namespace, realm); ``digest`` has no
  equivalent anywhere and is a security error.
* ``auth-url`` is parsed as an http(s) URL — never copied as text — into an ``ExternalAuth``
  extension with ``auth-method`` and ``auth-response-headers``. ``$host`` (the usual oauth2-proxy
  setup) is replaced by each rule's host; URLs with any other nginx variable or configuration
  characters are refused and flagged as security errors (the IngressNightmare CVEs came through
  these values).
* ``auth-signin``: nginx answers a 401 of the auth check with a 302 to this URL
  (``error_page 401`` → ``return 302``, nginx.tmpl), and its variables are expanded per request:
  ``https://$host/oauth2/start?rd=$escaped_request_uri`` (or ``rd=$scheme://$host$request_uri``)
  is the documented idiom, and when the URL has no redirect parameter
  (``auth-signin-redirect-param``, default ``rd``) the controller adds
  ``rd=$pass_access_scheme://$http_host$escaped_request_uri`` itself (``buildAuthSignURL``).
  It becomes a ``SignInRedirect`` extension: the scheme (``$scheme`` keeps the request's), the
  host (``$host`` is the rule's host; with ``$scheme`` too the Location is just the path, which
  keeps the request's own host) and the path as they are, the query parameters that hold no
  variable; the parameters that pass the original URL vary per request and are left out (the
  report says so). Only characters that could end the nginx directive (newline, ``;``, ``{``,
  ``}``, quotes) are an injection finding; the controller's validator then drops the sign-in
  (the auth itself stays), so it is not converted. A value the validator refuses for other
  characters had no effect in the controller either.
* ``auth-tls-secret`` becomes a ``ClientCertAuth`` extension with ``auth-tls-verify-client``.

Standard Gateway API has none of these, so without an implementation emitter each is a security
error: the migrated route would be open to everyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import (
    BasicAuth,
    ClientCertAuth,
    ClientCertSubjectMatch,
    Extension,
    ExternalAuth,
    HTTPRoute,
    SignInRedirect,
)
from ingress2gateway.reporting.report import Status

from . import rewrite
from ._base import DENIED, Ann, Run, looks_injected, rules_of, under_no_auth

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
    if parts is None or not parts.scheme or not parts.hostname or ".." in parts.netloc:
        # parser.StringToURL refuses it (no scheme, no host, ".." in the host, a bad port):
        # the controller denies the location with 503.
        if not quiet:
            ann.invalid(
                name,
                f"{value!r} is not a URL the controller accepts, so its rules are closed, as "
                "the controller denies them (503)",
                security=True,
                status=DENIED,
            )
        return None
    if parts.scheme not in ("http", "https"):
        if not quiet:
            ann.invalid(
                name,
                f"{value!r} is not an http(s) URL, so its rules are closed: no auth request "
                "can be made to it",
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
    by_host: dict[str | None, list[Extension]] = {}
    signin = _sign_in_parts(ann)
    lost: dict[str, list[str]] = {}
    pairs = rules_of(run, ann.model)
    for route, rule in pairs:
        host = route.hostnames[0] if route.hostnames else None
        if host not in by_host:
            url = parse_url(ann, "auth-url", host, quiet=bool(by_host))
            found: list[Extension] = []
            if url is not None:
                found.append(
                    ExternalAuth(
                        url=url,
                        method=method,
                        response_headers=headers,
                        provenance=ann.prov("auth-url", "auth-method", "auth-response-headers"),
                    )
                )
                if signin is not None:
                    redirect, problem = _sign_in(ann, signin, host)
                    if redirect is not None:
                        found.append(redirect)
                    elif problem is not None:
                        lost.setdefault(problem, []).append(host or "the catch-all host")
            by_host[host] = found
        if not under_no_auth(run, rule):
            rule.extensions.extend(by_host[host])
    if not pairs:
        parse_url(ann, "auth-url")
    if lost:
        _sign_in_lost(
            ann,
            lost,
            carried=any(isinstance(e, SignInRedirect) for found in by_host.values() for e in found),
        )


# --- auth-signin --------------------------------------------------------------------------

# What could end the quoted nginx string the URL is written into, or open a block.
_SIGN_IN_CONFIG = re.compile(r"[;{}\"'`\\]")
# ingress-nginx's validator of auth-signin (parser.URLWithNginxVariableRegex, spaces removed).
_SIGN_IN_CONTROLLER = re.compile(r"[-._~a-zA-Z0-9/:, ?&=$]*")
_SIGN_IN = re.compile(
    r"(?P<scheme>https?|\$\{?[a-z_]+\}?)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
    r"(?:\?(?P<query>[^#]*))?"
)
_VARIABLE = re.compile(r"\$\{?([A-Za-z0-9_]+)\}?")
_SCHEME_VARIABLES = frozenset({"scheme", "pass_access_scheme"})
_HOST_VARIABLES_ALL = frozenset({"host", "http_host", "best_http_host"})
_AUTHORITY = re.compile(r"(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?")


@dataclass(frozen=True)
class _SignInParts:
    scheme: str | None
    """``http``/``https``; None: the request's (``$scheme``)."""
    host: str | None
    """A literal ``host[:port]``; None: the request's (``$host``)."""
    path: str
    query: list[str]
    """The parameters that hold no variable, as written."""
    not_carried: list[str]


def _sign_in_parts(ann: Ann) -> _SignInParts | None:
    """``auth-signin`` read as nginx reads it; None (reported) when it cannot be carried at all."""
    value = ann.text("auth-signin")
    if value is None:
        return None
    if grammar.control_character(value) is not None or _SIGN_IN_CONFIG.search(value):
        message = (
            f"{ann.key('auth-signin')}: {value!r} holds characters that could inject nginx "
            "configuration (a newline, ';', '{', '}', a quote); the controller's validator drops "
            "the sign-in redirect (the auth itself stays), and it is not converted"
        )
        ann.notify("error", "nginx-injection-suspect", "auth-signin", message, security=True)
        ann.record("auth-signin", Status.UNSUPPORTED, message)
        return None
    if not _SIGN_IN_CONTROLLER.fullmatch(value):
        ann.notify(
            "warning",
            "nginx-annotation-invalid",
            "auth-signin",
            f"{ann.key('auth-signin')}: {value!r} fails the controller's validator, which ignores "
            "it: refused requests get the auth service's 401 there too",
        )
        ann.record("auth-signin", Status.IGNORED, "the controller ignored it (invalid value)")
        return None
    match = _SIGN_IN.fullmatch(value.replace(" ", ""))
    problem = None
    if match is None:
        problem = "it is not an http(s) URL"
    else:
        scheme, authority = match.group("scheme"), match.group("authority")
        if "$" in match.group("path"):
            problem = "its path varies per request"
        elif scheme.startswith("$") and _name(scheme) not in _SCHEME_VARIABLES:
            problem = f"its scheme {scheme} varies per request"
        elif authority.startswith("$") and _name(authority) not in _HOST_VARIABLES_ALL:
            problem = f"its host {authority} varies per request"
        elif not authority.startswith("$") and not _literal_authority(authority):
            problem = f"{authority!r} is not a host name"
    if match is None or problem is not None:
        _sign_in_lost(ann, {problem or "": []}, carried=False)
        return None
    query = [part for part in (match.group("query") or "").split("&") if part]
    param = ann.text("auth-signin-redirect-param") or "rd"
    not_carried = [part for part in query if "$" in part]
    if not any(part.split("=", 1)[0] == param and part.split("=", 1)[1:] != [""] for part in query):
        # buildAuthSignURL (template.go) adds the original URL when the parameter is absent.
        not_carried.append(f"{param}=$pass_access_scheme://$http_host$escaped_request_uri")
    return _SignInParts(
        scheme=None if scheme.startswith("$") else scheme,
        host=None if authority.startswith("$") else authority.lower(),
        path=match.group("path") or "/",
        query=[part for part in query if "$" not in part],
        not_carried=not_carried,
    )


def _name(variable: str) -> str:
    found = _VARIABLE.fullmatch(variable)
    return found.group(1) if found else variable


def _literal_authority(authority: str) -> bool:
    found = _AUTHORITY.fullmatch(authority)
    if found is None:
        return False
    host = found.group("host").lower()
    return grammar.is_dns_name(host) or grammar.is_ip_address(host)


def _sign_in(
    ann: Ann, parts: _SignInParts, host: str | None
) -> tuple[SignInRedirect | None, str | None]:
    """The redirect for the rules of ``host``, or why it cannot be carried there."""
    rest = parts.path + ("?" + "&".join(parts.query) if parts.query else "")
    if parts.host is not None:
        location = f"{parts.scheme}:" if parts.scheme else ""
        location += f"//{parts.host}{rest}"
    elif parts.scheme is None:
        location = rest  # the request's own scheme and host: a path reference keeps both
    elif host is not None and not host.startswith("*."):
        location = f"{parts.scheme}://{host}{rest}"
    else:
        where = "a wildcard host" if host else "the catch-all host"
        return None, f"$host with a fixed scheme is the request's host, which varies on {where}"
    absolute = location if parts.scheme else "https:" + location if parts.host else None
    problem = (
        grammar.url_problem(absolute) if absolute else grammar.url_path_problem(location)
    ) or grammar.header_value_problem(location)
    if problem is not None:
        return None, f"the Location {location!r} {problem}"
    return (
        SignInRedirect(
            location=location,
            not_carried=list(parts.not_carried),
            provenance=ann.prov("auth-signin"),
        ),
        None,
    )


def _sign_in_lost(ann: Ann, problems: dict[str, list[str]], carried: bool) -> None:
    where = "; ".join(
        f"{why}" + (f" ({', '.join(hosts)})" if hosts else "") for why, hosts in problems.items()
    )
    message = (
        f"{ann.key('auth-signin')}: the redirect to the sign-in page on 401 cannot be carried "
        f"{'for some hosts' if carried else ''}: {where}; refused requests get the auth "
        "service's 401 instead. Have the auth service answer them with the redirect itself "
        "(Envoy Gateway, for one, passes its denial response, Location included, to the client)"
    ).replace("carried :", "carried:")
    ann.notify("warning", "annotation-unsupported", "auth-signin", message)
    if not carried:
        ann.record("auth-signin", Status.UNSUPPORTED, message)


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
                status=DENIED,
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
        ann.invalid(
            "auth-type",
            f"{ann.text('auth-type')!r} is not basic or digest",
            security=True,
            status=DENIED,
        )
    if not auth_type:
        ann.ignored(_BASIC_KEYS, "has no effect without auth-type")
    _external(run, ann)
    exempt = 0
    for _, rule in rules_of(run, model):
        if under_no_auth(run, rule):
            exempt += 1  # no auth_request / auth_basic there (nginx.tmpl)
            continue
        rule.extensions.extend(extensions)
    if exempt and (extensions or ann.has("auth-url")):
        message = (
            f"not applied to {exempt} rule(s) whose path is under no-auth-locations "
            f"({', '.join(run.config.no_auth_locations)}): ingress-nginx checks no "
            "credentials there"
        )
        ann.report.info(
            "nginx-no-auth-location",
            message,
            source=model.source,
            field=ann.field("auth-url" if ann.has("auth-url") else "auth-type"),
            provider="nginx",
        )


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
            # authtls/main.go: nothing of auth-tls-* is read without the CA Secret.
            ann.ignored(["auth-tls-match-cn"], "has no effect without auth-tls-secret")
            continue
        hosts = [h for h in model.hosts() if h is not None]
        taken = [h for h in hosts if h in claimed]
        if taken:
            ann.ignored(
                ["auth-tls-secret", "auth-tls-verify-client", "auth-tls-match-cn"],
                f"client-certificate auth of {', '.join(taken)} is set by the older {claimed[taken[0]]}",
            )
            continue
        extension = _client_cert(ann)
        for host in hosts:
            claimed[host] = model.source.display()
        # The subject check is in the server whatever auth-tls-verify-client says (with "off"
        # no certificate is asked for, and nothing matches).
        controls = [c for c in (extension, _subject_match(ann)) if c is not None]
        if not controls:
            continue
        # Each route of these hosts once (a route may carry several of them).
        routes = {id(route): route for host in hosts for route in routes_of.get(host, ())}
        for route in routes.values():
            for rule in route.rules:
                rule.extensions.extend(controls)


def _subject_match(ann: Ann) -> ClientCertSubjectMatch | None:
    """``auth-tls-match-cn``: nginx answers 403 unless the client certificate's subject
    (``$ssl_client_s_dn``) matches the regular expression (nginx.tmpl, in the server). No
    emitter can check a certificate's subject (Envoy Gateway's client validation matches
    SANs, hashes and SPKIs), so the control goes with the rules as a security extension that
    closes them: any certificate the CA signed would otherwise get in."""
    value = ann.text("auth-tls-match-cn")
    if value is None:
        return None
    # parser.CommonNameAnnotationValidator: "CN=" and a regular expression that compiles (a
    # value it refuses is a validation error: the controller serves none of the Ingress).
    if not value.startswith("CN=") or rewrite.re2_problem(value[3:]) is not None:
        ann.invalid(
            "auth-tls-match-cn",
            f"{value!r} is not 'CN=' followed by a regular expression",
            security=True,
        )
        return None
    return ClientCertSubjectMatch(
        pattern=value,
        what=f"{ann.key('auth-tls-match-cn')} (the client certificate's subject must match "
        f"{value!r}; Envoy Gateway checks SANs, not the subject)",
        provenance=ann.prov("auth-tls-match-cn"),
    )


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
