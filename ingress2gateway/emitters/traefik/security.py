"""Access control and CORS → Traefik Middlewares (``traefik.io_middlewares.yaml``, v3.7.9).

* **IP allow / deny lists** → ``ipAllowList.sourceRange``. Traefik has **no deny list**, so the
  denied networks are subtracted from the allowed ones (from every address when there is no
  allow-list) with exact CIDR arithmetic: the list admits exactly the clients the source
  admitted. An entry that is not an address or network, nothing left to allow, or more than
  :data:`MAX_RANGES` networks leave the extension unconverted (its rules stay closed). Traefik
  matches the connection's remote address (no ``ipStrategy``), refusing with 403.
* **Basic auth** → ``basicAuth.secret`` (+ ``realm``). Traefik reads the Secret from the
  Middleware's namespace (the route's), so a Secret elsewhere is not carried. It accepts the
  usual htpasswd hashes (MD5 ``$apr1$``, SHA-1, bcrypt) but reads them under the key ``users``
  (or a ``kubernetes.io/basic-auth`` Secret), where ingress-nginx reads ``auth``: a prerequisite
  and a warning (``traefik-basic-auth-secret-key``) say so.
* **External auth** → ``forwardAuth.address`` (the URL as written, when it is a plain http(s)
  URL), ``authResponseHeaders`` (the header names that are tokens) and ``authSigninURL`` (a
  plain URL only: nginx variables are per-request values). Traefik calls the URL with GET and
  every request header, as nginx's ``auth_request`` does; another auth method is noted.
* **Sign-in redirect** (401 from the auth service answered with a redirect) →
  ``forwardAuth.authSigninURL`` of the same Middleware, for an absolute http(s) URL.
* **CORS** → ``headers`` with ``accessControlAllowOriginList`` (origins that are ``*`` or
  ``scheme://host[:port]``), ``accessControlAllowMethods``, ``accessControlAllowHeaders``,
  ``accessControlExposeHeaders``, ``accessControlAllowCredentials``, ``accessControlMaxAge``
  and ``addVaryHeader`` (Traefik answers the matching origin, which a cache must vary on).
"""

from __future__ import annotations

import ipaddress
import re

from ingress2gateway.ir import BasicAuth, Cors, ExternalAuth, IPAccess, SignInRedirect
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._base import INT32, Contribution, MapEnv, Mapper, http_url

BASIC_AUTH_KEY_CODE = "traefik-basic-auth-secret-key"
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}\Z")
_ORIGIN = re.compile(r"^(\*|https?://(\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(:[0-9]{1,5})?)\Z")
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_REALM = re.compile(r'^[^"\\\x00-\x1f\x7f]{1,256}\Z')
_SECRET_NAME = re.compile(r"^(?=.{1,253}\Z)[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_RANGES = 256
"""The longest ``sourceRange`` written: a deny list folded in can split an allowed network into
many; beyond this the extension is left unconverted (its rules stay closed)."""
EVERYWHERE: tuple[Network, ...] = (
    ipaddress.ip_network("0.0.0.0/0"),
    ipaddress.ip_network("::/0"),
)


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _parse(texts: list[str]) -> list[Network] | None:
    networks = [_network(text) for text in texts]
    clean = [n for n in networks if n is not None]
    # One entry left out would change who gets in: exact lists only.
    return clean if len(clean) == len(networks) else None


def allowed_ranges(allow: list[Network], deny: list[Network]) -> list[Network]:
    """The networks of ``allow`` minus those of ``deny``, collapsed, IPv4 first. Two CIDR
    networks are disjoint or one holds the other, so each allowed piece is kept, dropped or
    split around a denied network (``address_exclude``): the result admits exactly the
    addresses the source admitted (denials first, as nginx, Kong and Istio apply them)."""
    pieces = list(allow)
    for denied in deny:
        remaining: list[Network] = []
        for piece in pieces:
            if piece.version != denied.version or not piece.overlaps(denied):
                remaining.append(piece)
            elif not piece.subnet_of(denied):  # type: ignore[arg-type]
                remaining.extend(piece.address_exclude(denied))  # type: ignore[arg-type]
        pieces = remaining
    v4 = ipaddress.collapse_addresses(p for p in pieces if isinstance(p, ipaddress.IPv4Network))
    v6 = ipaddress.collapse_addresses(p for p in pieces if isinstance(p, ipaddress.IPv6Network))
    return [*v4, *v6]


def ip_access(ext: IPAccess, env: MapEnv) -> Contribution | None:
    allow = _parse(ext.allow)
    deny = _parse(ext.deny)
    if allow is None or deny is None or not (allow or deny):
        return None
    ranges = allowed_ranges(allow or list(EVERYWHERE), deny)
    if not ranges or len(ranges) > MAX_RANGES:
        # Nothing left to allow (Traefik reads an empty list as "no restriction"), or too
        # long a list: the rules stay closed.
        return None
    notes = [
        "Traefik matches the connection's remote address; behind a load balancer that hides "
        "it, set ipAllowList.ipStrategy"
    ]
    if deny:
        notes.append(
            "Traefik has no deny list: sourceRange lists the allowed networks minus the denied "
            "ones, which admits the same clients"
        )
    return Contribution(
        "ipAllowList",
        {"ipAllowList": {"sourceRange": [str(n) for n in ranges]}},
        note="; ".join(notes),
    )


def basic_auth(ext: BasicAuth, env: MapEnv) -> Contribution | None:
    if not ext.secret_name or not _SECRET_NAME.match(ext.secret_name):
        return None  # credentials kept elsewhere (Kong consumers): nothing to point at
    if ext.secret_namespace and env.namespace and ext.secret_namespace != env.namespace:
        return None  # Traefik reads the Secret from the Middleware's (the route's) namespace
    body: JSONDict = {"secret": ext.secret_name}
    note = f"Secret {ext.secret_name} must hold the htpasswd lines under key 'users'"
    if ext.realm and _REALM.match(ext.realm):
        body["realm"] = ext.realm
    elif ext.realm:
        note += "; the realm is not carried"
    namespace = ext.secret_namespace or env.namespace
    return Contribution(
        "basicAuth",
        {"basicAuth": body},
        Status.PARTIAL,
        note,
        warnings=[
            (
                BASIC_AUTH_KEY_CODE,
                f"Traefik reads the htpasswd lines of Secret {_where(namespace)}"
                f"{ext.secret_name} under the key 'users' (ingress-nginx: 'auth'); add that "
                "key, the hashes (MD5 apr1, SHA-1, bcrypt) need no change",
            )
        ],
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(namespace)}{ext.secret_name}",
                "Traefik basicAuth reads htpasswd lines under the key 'users': "
                f"`kubectl create secret generic {ext.secret_name}"
                f"{' -n ' + namespace if namespace else ''} --from-file=users=FILE`",
            )
        ],
    )


def external_auth(ext: ExternalAuth, env: MapEnv) -> Contribution | None:
    address = http_url(ext.url)
    if address is None:
        return None
    body: JSONDict = {"address": address}
    notes: list[str] = []
    headers = [h for h in ext.response_headers if _TOKEN.match(h)]
    if headers:
        body["authResponseHeaders"] = list(dict.fromkeys(headers))
    if len(headers) != len(ext.response_headers):
        notes.append("response headers that are not header names are not copied")
    if ext.signin_url:
        signin = http_url(ext.signin_url)
        if signin is not None:
            body["authSigninURL"] = signin
        else:
            notes.append(
                "the sign-in redirect is not carried (it is not a plain URL: Traefik would "
                "send nginx variables literally)"
            )
    if ext.method and ext.method.upper() != "GET":
        notes.append(f"the auth request method {ext.method} is not carried (Traefik sends GET)")
    if notes:
        return Contribution("forwardAuth", {"forwardAuth": body}, Status.PARTIAL, "; ".join(notes))
    return Contribution("forwardAuth", {"forwardAuth": body})


def cors(ext: Cors, env: MapEnv) -> Contribution | None:
    origins = list(dict.fromkeys(o for o in ext.allow_origins if _ORIGIN.match(o)))
    if "*" in origins:
        origins = ["*"]  # '*' already allows the others
    if not origins:
        return None
    body: JSONDict = {"accessControlAllowOriginList": origins}
    methods = list(dict.fromkeys(m.upper() for m in ext.allow_methods if m.upper() in _METHODS))
    if "*" in ext.allow_methods:
        methods = ["*"]
    if methods:
        body["accessControlAllowMethods"] = methods
    headers = list(dict.fromkeys(h for h in ext.allow_headers if _TOKEN.match(h)))
    if headers:
        body["accessControlAllowHeaders"] = headers
    expose = list(dict.fromkeys(h for h in ext.expose_headers if _TOKEN.match(h)))
    if expose:
        body["accessControlExposeHeaders"] = expose
    if ext.allow_credentials is not None:
        body["accessControlAllowCredentials"] = ext.allow_credentials
    if ext.max_age is not None and 0 <= ext.max_age <= INT32:
        body["accessControlMaxAge"] = ext.max_age
    body["addVaryHeader"] = True
    dropped = [o for o in ext.allow_origins if not _ORIGIN.match(o)]
    if dropped:
        return Contribution(
            "headers",
            {"headers": body},
            Status.PARTIAL,
            f"origins that are not scheme://host[:port], left out: {', '.join(dropped)}",
        )
    return Contribution("headers", {"headers": body})


def sign_in_redirect(ext: SignInRedirect, env: MapEnv) -> Contribution | None:
    """401 from the auth service → a redirect: ``forwardAuth.authSigninURL`` of the rule's
    forwardAuth Middleware (merged with the external auth's; a rule without one drops it)."""
    location = http_url(ext.location)
    if location is None:
        return None  # a path or a scheme-relative URL: Traefik needs an absolute URL
    note = "Traefik redirects with 302" if ext.status_code != 302 else None
    if ext.not_carried:
        left = f"left out (per-request parts): {', '.join(ext.not_carried)}"
        note = f"{note}; {left}" if note else left
    status = Status.PARTIAL if note else Status.CONVERTED
    return Contribution("forwardAuth", {"forwardAuth": {"authSigninURL": location}}, status, note)


MAPPERS: dict[type, Mapper] = {
    SignInRedirect: sign_in_redirect,
    IPAccess: ip_access,
    BasicAuth: basic_auth,
    ExternalAuth: external_auth,
    Cors: cors,
}
