"""Access control → ``AgentgatewayPolicy`` ``spec.traffic`` fields.

* **Basic auth** → ``basicAuthentication{secretRef, realm, mode: Strict}``. agentgateway reads
  an htpasswd file (MD5 ``$apr1$``, bcrypt, crypt and SHA-1 hashes, its CRD says) from the
  Secret's key ``.htaccess``: the Secret keeps its users, it needs that key (a prerequisite
  says so). ``secretRef`` has no namespace: a Secret of another namespace is not carried.
* **External auth** (HTTP) → ``extAuth{backendRef, http{path, allowedResponseHeaders}}``: the
  Service for an in-cluster URL, else an ``AgentgatewayBackend``; ``http.path`` is a CEL
  expression, written as a quoted literal only for a path of plain URL characters (no quote or
  backslash can reach the expression). Without it agentgateway would call the request's own
  path. agentgateway sends only the ``Authorization`` request header to the auth service by
  default (``allowedRequestHeaders``), nginx every one: noted.
* **JWT** → ``jwtAuthentication{mode: Strict, providers[{issuer, jwks.remote{backendRef,
  jwksPath}}]}`` when the source gives an issuer and a JWKS URL.
* **IP allow/deny lists** → ``authorization{action: Require, policy.matchExpressions}``: one
  CEL expression ``(allowed…) && !(denied…)`` built only from networks parsed by
  :mod:`ipaddress` and printed back, never from the source's text. ``Require`` rules cannot be
  bypassed by another policy's ``Allow`` (agentgateway's authorization guide); the denials apply
  first, as nginx lists them.
* **CORS** (when the target's HTTPRoute lacks the standard filter) → ``cors``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ingress2gateway.ir import BasicAuth, Cors, ExternalAuth, IPAccess, JWTAuth
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._base import POLICY, Contribution, MapEnv, Mapper
from .objects import DNS_NAME, backend_ref_for, ip_address, service_grants

# The origin pattern of spec.traffic.cors.allowOrigins[] (v1.4.1 CRD).
_ORIGIN = re.compile(
    r"(^\*\Z)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)\Z)"
)
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
# A path that may sit between double quotes in a CEL string literal: no quote, no backslash.
_CEL_SAFE_PATH = re.compile(r"^/[A-Za-z0-9\-._~/%!$&()*+,;=:@]*\Z")


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


def basic_auth(ext: BasicAuth, env: MapEnv) -> Contribution | None:
    if not ext.secret_name:
        return None  # credentials kept elsewhere (Kong consumers): nothing to point at
    if ext.secret_namespace and ext.secret_namespace != env.namespace:
        return None  # secretRef names a Secret of the policy's namespace only
    body: JSONDict = {"mode": "Strict", "secretRef": {"name": ext.secret_name}}
    if ext.realm:
        body["realm"] = ext.realm
    return Contribution(
        POLICY,
        {"traffic": {"basicAuthentication": body}},
        Status.PARTIAL,
        f"Secret {ext.secret_name} must hold the htpasswd file under key '.htaccess'",
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(env.namespace)}{ext.secret_name}",
                "agentgateway reads the htpasswd file from key '.htaccess' (MD5, bcrypt, crypt "
                "and SHA-1 hashes): add that key with the same content",
            )
        ],
    )


def _url(text: str) -> tuple[str, str, int, str, str] | None:
    """(scheme, host, port, path, query) of an http(s) URL whose host a backendRef can name."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ip_address(host) is None and not DNS_NAME.match(host):
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, host, port, parts.path, parts.query


def external_auth(ext: ExternalAuth, env: MapEnv) -> Contribution | None:
    url = _url(ext.url)
    if url is None:
        return None
    scheme, host, port, path, query = url
    if path and not _CEL_SAFE_PATH.match(path):
        return None  # a path we cannot quote safely: calling another path would be wrong
    backend, objects = backend_ref_for(env, host, port, scheme == "https")
    http: JSONDict = {}
    if path:
        http["path"] = f'"{path}"'  # a CEL string literal (the field is an expression)
    if ext.response_headers:
        names = sorted({h for h in ext.response_headers if _TOKEN.match(h) and len(h) <= 256})
        if names:
            http["allowedResponseHeaders"] = names[:64]
    notes = [
        "agentgateway sends the auth service only the Authorization request header where nginx "
        "sent every one: list the others it needs (Cookie …) in extAuth.http."
        "allowedRequestHeaders"
    ]
    if query:
        notes.append("the auth URL's query string is not sent")
    if ext.method and ext.method.upper() != "GET":
        notes.append(f"the auth request method {ext.method} is not carried")
    if ext.signin_url:
        notes.append("the redirect to the sign-in URL on 401 is not carried")
    if backend.get("kind") is None and scheme == "https":
        notes.append(f"the auth Service {backend['name']} is called over plain HTTP")
    return Contribution(
        POLICY,
        {"traffic": {"extAuth": {"backendRef": backend, "http": http}}},
        Status.PARTIAL,
        "; ".join(notes),
        objects=objects,
        grants=service_grants(env, backend),
    )


def jwt_auth(ext: JWTAuth, env: MapEnv) -> Contribution | None:
    url = _url(ext.jwks_uri or "")
    if url is None or not ext.issuer or len(ext.issuer) > 256:
        return None  # agentgateway requires the issuer and the keys
    scheme, host, port, path, query = url
    if query or len(path) > 2000:
        return None
    backend, objects = backend_ref_for(env, host, port, scheme == "https")
    provider: JSONDict = {
        "issuer": ext.issuer,
        "jwks": {"remote": {"backendRef": backend, "jwksPath": path or "/"}},
    }
    return Contribution(
        POLICY,
        {"traffic": {"jwtAuthentication": {"mode": "Strict", "providers": [provider]}}},
        objects=objects,
        grants=service_grants(env, backend),
    )


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _networks(texts: list[str]) -> list[Network] | None:
    """The parsed networks, or None when one entry is not a network."""
    out = [_network(text) for text in texts]
    good = [n for n in out if n is not None]
    return list(dict.fromkeys(good)) if len(good) == len(out) else None


def _any_of(networks: list[Network]) -> str:
    # str(network) of a parsed network is digits, dots, colons and a slash: safe in quotes.
    return " || ".join(f"cidr('{n}').containsIP(source.address)" for n in networks)


def ip_expression(allow: list[Network], deny: list[Network]) -> str:
    """The CEL expression a client must satisfy: inside an allowed network (when any) and
    outside every denied one."""
    parts = []
    if allow:
        parts.append(f"({_any_of(allow)})")
    if deny:
        parts.append(f"!({_any_of(deny)})")
    return " && ".join(parts)


def ip_access(ext: IPAccess, env: MapEnv) -> Contribution | None:
    allow = _networks(ext.allow)
    deny = _networks(ext.deny)
    if allow is None or deny is None or (not allow and not deny):
        # An entry left out would let in clients the source refused: exact lists only.
        return None
    expression = ip_expression(allow, deny)
    if len(expression) > 16384:
        return None
    return Contribution(
        POLICY,
        {
            "traffic": {
                "authorization": {
                    "action": "Require",
                    "policy": {"matchExpressions": [expression]},
                }
            }
        },
        Status.CONVERTED,
        "agentgateway matches source.address, the connection's peer: behind another proxy or "
        "load balancer that is the proxy's address",
    )


def cors(ext: Cors, env: MapEnv) -> Contribution | None:
    origins = list(
        dict.fromkeys(o for o in ext.allow_origins if len(o) <= 253 and _ORIGIN.match(o))
    )
    dropped = [o for o in ext.allow_origins if o not in origins]
    if "*" in origins and len(origins) > 1:
        origins = ["*"]  # the CRD refuses '*' beside other origins; '*' already allows them
    if not origins or len(origins) > 64:
        return None
    body: JSONDict = {"allowOrigins": origins}
    methods = list(
        dict.fromkeys(m.upper() for m in ext.allow_methods if m.upper() in _METHODS or m == "*")
    )
    if "*" in methods:
        methods = ["*"]
    if methods:
        body["allowMethods"] = methods
    headers = list(dict.fromkeys(h for h in ext.allow_headers if _TOKEN.match(h) and len(h) <= 256))
    if "*" in headers:
        headers = ["*"]
    if headers:
        body["allowHeaders"] = headers[:64]
    expose = list(dict.fromkeys(h for h in ext.expose_headers if _TOKEN.match(h) and len(h) <= 256))
    if expose:
        body["exposeHeaders"] = expose[:64]
    if ext.allow_credentials is not None:
        body["allowCredentials"] = ext.allow_credentials
    if ext.max_age is not None and 1 <= ext.max_age <= 2**31 - 1:
        body["maxAge"] = ext.max_age
    if dropped:
        return Contribution(
            POLICY,
            {"traffic": {"cors": body}},
            Status.PARTIAL,
            f"origins agentgateway cannot match, left out: {', '.join(dropped)}",
        )
    return Contribution(POLICY, {"traffic": {"cors": body}})


MAPPERS: dict[type, Mapper] = {
    BasicAuth: basic_auth,
    ExternalAuth: external_auth,
    JWTAuth: jwt_auth,
    IPAccess: ip_access,
    Cors: cors,
}
