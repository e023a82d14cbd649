"""Access control → ``TrafficPolicy`` fields, with a ``GatewayExtension`` for the services
kgateway calls out to.

* **Basic auth** → ``basicAuth.secretRef`` (the Secret's key ``.htpasswd``, kgateway's default).
  kgateway accepts **SHA-1 hashes only** (``{SHA}…``, the CRD says so): the usual htpasswd
  entries (bcrypt, MD5 ``$apr1$``, crypt) never match, so the Secret must be re-created; a
  warning (``kgateway-basic-auth-sha-only``) and a prerequisite say how. The realm is not
  carried.
* **External auth** (HTTP) → ``extAuth.extensionRef`` naming a ``GatewayExtension`` of ``type:
  ExtAuth`` whose ``httpService`` has the ``backendRef`` (the Service for an in-cluster name, else
  a static ``Backend``, with a ``BackendConfigPolicy`` for TLS), the URL's path as
  ``pathPrefix`` and the response headers to copy as ``authorizationResponse.headersToBackend``.
  Envoy appends the request's path to ``pathPrefix`` (nginx calls the auth URL as written), and
  the method, query and sign-in redirect are not carried: noted.
* **JWT** → ``jwtAuth.extensionRef`` → ``GatewayExtension`` ``type: JWT`` with one provider whose
  ``jwks.remote`` names the JWKS URL and a ``backendRef`` to fetch it from.
* **OpenID Connect** → ``oauth2.extensionRef`` → ``GatewayExtension`` ``type: OAuth2``
  (``issuerURI``, ``credentials.clientID`` / ``clientSecretRef``, ``redirectURI``, ``scopes``,
  the issuer's ``backendRef``) when the source gives an https issuer, the client id and a Secret.
* **IP allow/deny lists** → ``acl``: a deny rule and an allow rule, ``defaultAction: deny`` when
  there is an allow-list. kgateway picks the rule with the **longest matching prefix**, nginx
  the first listed (denials first): an allowed range inside a denied one is noted.
* **CORS** (when the target's HTTPRoute lacks the standard filter) → ``cors``.
* **API keys** → ``apiKeyAuth`` (``secretRef``, ``keySources``) when the source names exactly
  one Secret.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ingress2gateway.ir import (
    APIKeyAuth,
    BasicAuth,
    Cors,
    ExternalAuth,
    IPAccess,
    JWTAuth,
    OIDCAuth,
    ReferenceGrant,
)
from ingress2gateway.objects import JSONDict
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    GATEWAY_EXTENSION,
    KGW_GROUP,
    TRAFFIC_POLICY,
    Contribution,
    MapEnv,
    Mapper,
)
from .objects import DNS_NAME, backend_ref_for, ip_address, shared_object

SHA_ONLY_CODE = "kgateway-basic-auth-sha-only"
SHA_ONLY_MESSAGE = (
    "kgateway basic auth accepts only SHA-1 hashes ('{SHA}…'); bcrypt, MD5 (apr1) and crypt "
    "entries (the htpasswd defaults) never match. Recreate the Secret with key '.htpasswd': "
    "`htpasswd -c -s FILE USER`, then `kubectl create secret generic NAME "
    "--from-file=.htpasswd=FILE`"
)
AUTH_PATH_CODE = "kgateway-auth-path-appended"

# The origin pattern of TrafficPolicy spec.cors.allowOrigins[] (v2.4.x CRD).
_ORIGIN = re.compile(
    r"(^\*\Z)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)\Z)"
)
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
# The pattern of TrafficPolicy spec.acl.rules[].cidrs[] (v2.4.x CRD), IPv4 then IPv6.
_CIDR = re.compile(
    r"^((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}(\/([0-9]|[1-2][0-9]|3[0-2]))?\Z"
    r"|^((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:"
    r"|:(?::[0-9A-Fa-f]{1,4}){1,7}|(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}"
    r"|[0-9A-Fa-f]{1,4}:(?:(?::[0-9A-Fa-f]{1,4}){1,6})|:(?:(?::[0-9A-Fa-f]{1,4}){1,6}))"
    r"(\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9]))?\Z"
)
# The issuer pattern of GatewayExtension spec.oauth2.issuerURI (v2.4.x CRD).
_ISSUER = re.compile(
    r"^https://([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]"
    r"([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-zA-Z0-9\-._~!$&'()*+,;=:@%]*)*/?\Z"
)


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


def _grant(
    env: MapEnv, from_kind: str, to_kind: str, name: str, namespace: str | None
) -> list[ReferenceGrant]:
    if namespace is None or env.namespace is None or namespace == env.namespace:
        return []
    return [
        ReferenceGrant(
            namespace=namespace,
            from_group=KGW_GROUP,
            from_kind=from_kind,
            from_namespace=env.namespace,
            to_group="",
            to_kind=to_kind,
            to_name=name,
        )
    ]


def basic_auth(ext: BasicAuth, env: MapEnv) -> Contribution | None:
    if not ext.secret_name:
        return None  # credentials kept elsewhere (Kong consumers): nothing to point at
    ref: JSONDict = {"name": ext.secret_name}
    if ext.secret_namespace and ext.secret_namespace != env.namespace:
        ref["namespace"] = ext.secret_namespace
    namespace = ext.secret_namespace or env.namespace
    note = f"Secret {ext.secret_name} must hold key '.htpasswd' with SHA-1 ('{{SHA}}') hashes only"
    if ext.realm:
        note += "; the realm is not carried"
    return Contribution(
        TRAFFIC_POLICY,
        {"basicAuth": {"secretRef": ref}},
        Status.PARTIAL,
        note,
        grants=_grant(env, TRAFFIC_POLICY, "Secret", ext.secret_name, ext.secret_namespace),
        warnings=[(SHA_ONLY_CODE, SHA_ONLY_MESSAGE)],
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(namespace)}{ext.secret_name}",
                "re-hash it for kgateway: key '.htpasswd' with SHA-1 ('{SHA}') entries only "
                "(`htpasswd -c -s FILE USER`, then `kubectl create secret generic "
                f"{ext.secret_name}{' -n ' + namespace if namespace else ''} "
                "--from-file=.htpasswd=FILE`); bcrypt, MD5 and crypt entries never match",
            )
        ],
    )


def _url(text: str) -> tuple[str, str, int, str, str] | None:
    """(scheme, host, port, path, query) of an http(s) URL whose host a Backend can name."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    if ip_address(host) is None and not DNS_NAME.match(host.rstrip(".")):
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, host.rstrip("."), port, parts.path, parts.query


def _extension(env: MapEnv, kind: str, wanted: str, spec: JSONDict) -> tuple[JSONDict, Emitted]:
    """The ``GatewayExtension`` with ``spec`` and the ``extensionRef`` naming it."""
    emitted = shared_object(env, GATEWAY_EXTENSION, wanted, {"type": kind, **spec})
    return {"name": emitted.ref.name}, emitted


def _service_grants(env: MapEnv, ref: JSONDict) -> list[ReferenceGrant]:
    if ref.get("kind") or "namespace" not in ref:
        return []
    return _grant(env, GATEWAY_EXTENSION, "Service", ref["name"], ref["namespace"])


def external_auth(ext: ExternalAuth, env: MapEnv) -> Contribution | None:
    url = _url(ext.url)
    if url is None:
        return None
    scheme, host, port, path, query = url
    tls = scheme == "https"
    backend, objects = backend_ref_for(env, host, port, tls)
    service: JSONDict = {"backendRef": backend}
    notes = [
        "Envoy sends only some request headers to an HTTP auth service (Host, Method, Path, "
        "Content-Length, Authorization) where nginx sends every one — list the others in the "
        "GatewayExtension's extAuth.headersToForward"
    ]
    warnings = []
    if path and path != "/":
        service["pathPrefix"] = path
        warnings.append(
            (
                AUTH_PATH_CODE,
                f"kgateway calls the auth service at {path} followed by the request's own path "
                f"(pathPrefix), where nginx called {ext.url} as written: make the auth service "
                "answer every path under the prefix",
            )
        )
    if ext.response_headers:
        names = sorted({h.lower() for h in ext.response_headers if _TOKEN.match(h)})
        if names:
            service["authorizationResponse"] = {"headersToBackend": names}
    if query:
        notes.append("the auth URL's query string is not sent")
    if ext.method and ext.method.upper() != "GET":
        notes.append(f"the auth request method {ext.method} is not carried")
    if ext.signin_url:
        notes.append("the redirect to the sign-in URL on 401 is not carried")
    if backend.get("kind") is None and tls:
        notes.append(
            f"the auth Service {backend['name']} is reached over TLS only with a "
            "BackendConfigPolicy tls on it"
        )
    wanted = f"extauth-{backend['name']}"
    ref, extension = _extension(env, "ExtAuth", wanted, {"extAuth": {"httpService": service}})
    return Contribution(
        TRAFFIC_POLICY,
        {"extAuth": {"extensionRef": ref}},
        Status.PARTIAL,
        "; ".join(notes),
        objects=[*objects, extension],
        grants=_service_grants(env, backend),
        warnings=warnings,
    )


def jwt_auth(ext: JWTAuth, env: MapEnv) -> Contribution | None:
    url = _url(ext.jwks_uri or "")
    if url is None or ext.jwks_uri is None:
        return None  # without the keys there is nothing to verify tokens against
    scheme, host, port, _, _ = url
    backend, objects = backend_ref_for(env, host, port, scheme == "https")
    provider: JSONDict = {
        "name": "jwt",
        "jwks": {"remote": {"url": ext.jwks_uri, "backendRef": backend}},
    }
    if ext.issuer:
        provider["issuer"] = ext.issuer
    ref, extension = _extension(
        env, "JWT", f"jwt-{backend['name']}", {"jwt": {"providers": [provider]}}
    )
    return Contribution(
        TRAFFIC_POLICY,
        {"jwtAuth": {"extensionRef": ref}},
        objects=[*objects, extension],
        grants=_service_grants(env, backend),
    )


def oidc_auth(ext: OIDCAuth, env: MapEnv) -> Contribution | None:
    if not ext.issuer or not ext.client_id or ext.client_secret is None:
        return None
    url = _url(ext.issuer)
    if url is None or not _ISSUER.match(ext.issuer):
        return None  # kgateway reads the provider's discovery document over https only
    if ext.client_secret.namespace and ext.client_secret.namespace != env.namespace:
        return None  # clientSecretRef names a Secret of the GatewayExtension's namespace
    _, host, port, _, _ = url
    backend, objects = backend_ref_for(env, host, port, True)
    body: JSONDict = {
        "issuerURI": ext.issuer,
        "backendRef": backend,
        "credentials": {
            "clientID": ext.client_id,
            "clientSecretRef": {"name": ext.client_secret.name},
        },
    }
    if ext.scopes:
        body["scopes"] = list(dict.fromkeys(ext.scopes))
    if ext.redirect_url:
        body["redirectURI"] = ext.redirect_url
    ref, extension = _extension(env, "OAuth2", f"oauth2-{backend['name']}", {"oauth2": body})
    return Contribution(
        TRAFFIC_POLICY,
        {"oauth2": {"extensionRef": ref}},
        Status.PARTIAL,
        f"Secret {ext.client_secret.name} must hold the client secret under key 'client-secret'",
        objects=[*objects, extension],
        grants=_service_grants(env, backend),
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(env.namespace)}{ext.client_secret.name}",
                "it must hold the OAuth2 client secret under key 'client-secret'",
            )
        ],
    )


def _networks(
    texts: list[str],
) -> tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], list[str]]:
    good, bad = [], []
    for text in texts:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            bad.append(text)
            continue
        if _CIDR.match(str(network)):
            good.append(network)
        else:
            bad.append(text)  # '::/0' and the like: the CRD's pattern refuses them
    return good, bad


def ip_access(ext: IPAccess, env: MapEnv) -> Contribution | None:
    allow, bad_allow = _networks(ext.allow)
    deny, bad_deny = _networks(ext.deny)
    if bad_allow or bad_deny or (not allow and not deny):
        # A deny-list entry left out would let in clients the source refused: only exact
        # lists are carried (the pipeline then closes the rules they protect).
        return None
    rules: list[JSONDict] = []
    if deny:
        rules.append({"name": "deny-listed", "action": "deny", "cidrs": [str(n) for n in deny]})
    if allow:
        rules.append({"name": "allow-listed", "action": "allow", "cidrs": [str(n) for n in allow]})
    spec: JSONDict = {"acl": {"defaultAction": "deny" if allow else "allow", "rules": rules}}
    notes = [
        "kgateway matches the connection's peer address unless the Gateway's ListenerPolicy "
        "trusts X-Forwarded-For (xffNumTrustedHops / xffTrustedCIDRs)"
    ]
    status = Status.CONVERTED
    nested = [
        str(a)
        for a in allow
        for d in deny
        if a.version == d.version and a != d and a.subnet_of(d)  # type: ignore[arg-type]
    ]
    if nested:
        status = Status.PARTIAL
        notes.append(
            "kgateway picks the longest matching prefix where nginx applied the denials first: "
            f"{', '.join(nested)} (inside a denied range) is now allowed"
        )
    return Contribution(TRAFFIC_POLICY, spec, status, "; ".join(notes))


def cors(ext: Cors, env: MapEnv) -> Contribution | None:
    origins = list(
        dict.fromkeys(o for o in ext.allow_origins if len(o) <= 253 and _ORIGIN.match(o))
    )
    dropped = [o for o in ext.allow_origins if o not in origins]
    if "*" in origins and len(origins) > 1:
        origins = ["*"]  # the CRD refuses '*' beside other origins; '*' already allows them
    if not origins:
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
        body["allowHeaders"] = headers
    expose = list(dict.fromkeys(h for h in ext.expose_headers if _TOKEN.match(h) and len(h) <= 256))
    if expose:
        body["exposeHeaders"] = expose
    if ext.allow_credentials is not None:
        body["allowCredentials"] = ext.allow_credentials
    if ext.max_age is not None and 1 <= ext.max_age <= 2**31 - 1:
        body["maxAge"] = ext.max_age
    if dropped:
        return Contribution(
            TRAFFIC_POLICY,
            {"cors": body},
            Status.PARTIAL,
            f"origins kgateway cannot match, left out: {', '.join(dropped)}",
        )
    return Contribution(TRAFFIC_POLICY, {"cors": body})


def api_key_auth(ext: APIKeyAuth, env: MapEnv) -> Contribution | None:
    names = sorted(dict.fromkeys(n for n in ext.key_names if n and len(n) <= 256))
    if len(ext.credential_secrets) != 1 or not names or not (ext.in_header or ext.in_query):
        return None  # no Secret (Kong consumers), or several: kgateway reads one (or a selector)
    secret = ext.credential_secrets[0]
    ref: JSONDict = {"name": secret.name}
    if secret.namespace and secret.namespace != env.namespace:
        ref["namespace"] = secret.namespace
    sources: list[JSONDict] = []
    for name in names:
        if ext.in_header:
            sources.append({"header": name})
        if ext.in_query:
            sources.append({"query": name})
    if len(sources) > 16:
        return None
    return Contribution(
        TRAFFIC_POLICY,
        {"apiKeyAuth": {"secretRef": ref, "keySources": sources}},
        Status.PARTIAL,
        "the Secret must hold one entry per client: the client id as key, the API key as value",
        grants=_grant(env, TRAFFIC_POLICY, "Secret", secret.name, secret.namespace),
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(secret.namespace or env.namespace)}{secret.name}",
                "one entry per client, the client id as key and the API key as value "
                "(kgateway's apiKeyAuth format); re-create it from the source's credentials",
            )
        ],
    )


MAPPERS: dict[type, Mapper] = {
    APIKeyAuth: api_key_auth,
    OIDCAuth: oidc_auth,
    BasicAuth: basic_auth,
    ExternalAuth: external_auth,
    JWTAuth: jwt_auth,
    IPAccess: ip_access,
    Cors: cors,
}
