"""Access control → ``SecurityPolicy``.

* **Basic auth** → ``basicAuth.users`` naming the same Secret. Envoy Gateway reads the Secret's
  ``.htpasswd`` key and accepts **only SHA (``{SHA}``) hashes**; ingress-nginx reads key ``auth``
  and accepts bcrypt/MD5/crypt hashes too. Recreate the Secret with ``htpasswd -s`` entries under
  ``.htpasswd``. The realm has no equivalent. (Ledger: partial, plus a warning.)
* **External auth** (``auth-url`` and equivalents) → ``extAuth.http`` with ``pathOverride`` (the
  auth request goes to the URL's path, as with nginx) and ``headersToBackend`` (the auth
  response headers copied upstream). An in-cluster URL (``name.namespace.svc[.cluster.local]``)
  becomes a Service reference; any other host an Envoy Gateway ``Backend`` with an FQDN
  endpoint (``Backend`` must be enabled in the EnvoyGateway configuration). Not carried: the
  auth request method, the sign-in redirect on 401 (use ``oidc``), the URL's query. Envoy sends
  only some request headers to an HTTP auth service; ``Cookie`` is added to them.
* **JWT** → ``jwt.providers`` when the source names the JWKS URL (and issuer).
* **IP allow/deny lists** → ``authorization``: deny rules first, then an allow rule, default
  ``Deny`` when there is an allow-list. Envoy sees the peer address unless a
  ``ClientTrafficPolicy`` ``clientIPDetection`` is set for a Gateway behind a load balancer.
* **CORS** (when the target's HTTPRoute lacks the standard CORS filter) → ``cors``.
* **API keys** → ``apiKeyAuth``: ``credentialRefs`` (Secrets whose entries are client id → key)
  and ``extractFrom`` (the header names, and the query parameters when the source reads the key
  there too). Only when the source names the Secrets: keys kept in Kong consumers have no
  Secret in Envoy Gateway's format, so the extension stays a security error.
* **OpenID Connect** → ``oidc`` (``provider.issuer``, ``clientID``, ``clientSecret``,
  ``scopes``, ``redirectURL``) when the source gives the issuer, the client id and a Secret for
  the client secret (Envoy Gateway requires all three); a client secret written inline (Kong) is
  never copied into the output, so that stays a security error too.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ingress2gateway.converting.naming import NameAllocator, slug
from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import (
    APIKeyAuth,
    BasicAuth,
    Cors,
    ExternalAuth,
    IPAccess,
    JWTAuth,
    OIDCAuth,
    ReferenceGrant,
    SecretRef,
)
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

from ._base import (
    BACKEND_API,
    EG_API_VERSION,
    EG_GROUP,
    SECURITY_POLICY,
    Contribution,
    MapEnv,
    Mapper,
    format_ms,
)

SHA_ONLY_CODE = "eg-basic-auth-sha-only"
SHA_ONLY_MESSAGE = (
    "Envoy Gateway basic auth reads the Secret key '.htpasswd' and accepts only SHA hashes "
    "('{SHA}…'); bcrypt, MD5 (apr1) and crypt entries (the htpasswd defaults) never match. "
    "Recreate the Secret: `htpasswd -c -s FILE USER`, then "
    "`kubectl create secret generic NAME --from-file=.htpasswd=FILE`"
)

# In-cluster Service DNS names: name.namespace.svc[.cluster.local]
_SERVICE_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?\Z")
# The CORS origin pattern of the v1.9.0 SecurityPolicy CRD (spec.cors.allowOrigins[]).
_ORIGIN = re.compile(
    r"^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)\Z"
)
# Headers Envoy always sends to an HTTP auth service; nginx sends every header.
_DEFAULT_AUTH_HEADERS_NOTE = (
    "Envoy sends only Host, Method, Path, Content-Length, Authorization (and Cookie, added "
    "here) to an HTTP auth service where nginx sends every request header — list the others "
    "your auth service reads in extAuth.headersToExtAuth"
)


def _secret_grant(env: MapEnv, name: str, namespace: str | None) -> list[ReferenceGrant]:
    if namespace is None or namespace == env.namespace or env.namespace is None:
        return []
    return [
        ReferenceGrant(
            namespace=namespace,
            from_group=EG_GROUP,
            from_kind=SECURITY_POLICY,
            from_namespace=env.namespace,
            to_group="",
            to_kind="Secret",
            to_name=name,
        )
    ]


def basic_auth(ext: BasicAuth, env: MapEnv) -> Contribution | None:
    if not ext.secret_name:
        return None  # credentials kept elsewhere (Kong consumers): nothing to point at
    users: JSONDict = {"name": ext.secret_name}
    if ext.secret_namespace and ext.secret_namespace != env.namespace:
        users["namespace"] = ext.secret_namespace
    note = (
        f"Secret {ext.secret_name} must hold key '.htpasswd' with SHA ('{{SHA}}') hashes only"
        + ("; the realm is not carried" if ext.realm else "")
    )
    return Contribution(
        SECURITY_POLICY,
        {"basicAuth": {"users": users}},
        Status.PARTIAL,
        note,
        grants=_secret_grant(env, ext.secret_name, ext.secret_namespace),
        warnings=[(SHA_ONLY_CODE, SHA_ONLY_MESSAGE)],
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(ext.secret_namespace or env.namespace)}{ext.secret_name}",
                "re-hash it for Envoy Gateway: key '.htpasswd' with SHA ('{SHA}') entries only "
                "(`htpasswd -c -s FILE USER`, then `kubectl create secret generic "
                f"{ext.secret_name}{_flag(ext.secret_namespace or env.namespace)} "
                "--from-file=.htpasswd=FILE`); bcrypt, MD5 and crypt entries never match",
            )
        ],
    )


def external_auth(ext: ExternalAuth, env: MapEnv) -> Contribution | None:
    try:
        parts = urlsplit(ext.url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    tls = parts.scheme == "https"
    port = port or (443 if tls else 80)
    notes = [_DEFAULT_AUTH_HEADERS_NOTE]
    objects: list[Emitted] = []
    grants: list[ReferenceGrant] = []
    service = _SERVICE_HOST.match(host)
    backend: JSONDict
    if service is not None:
        name, namespace = service.group(1), service.group(2)
        backend = {"name": name, "port": port}
        if namespace != env.namespace:
            backend["namespace"] = namespace
            if env.namespace is not None:
                grants.append(
                    ReferenceGrant(
                        namespace=namespace,
                        from_group=EG_GROUP,
                        from_kind=SECURITY_POLICY,
                        from_namespace=env.namespace,
                        to_group="",
                        to_kind="Service",
                        to_name=name,
                    )
                )
        if tls:
            notes.append(
                f"the auth Service {namespace}/{name} is reached over TLS only if a "
                "BackendTLSPolicy targets it"
            )
    else:
        backend_obj = external_backend(env, host, port, tls)
        objects.append(backend_obj)
        backend = {"group": EG_GROUP, "kind": "Backend", "name": backend_obj.ref.name}
        notes.append(
            f"{host} is reached through Backend {backend_obj.ref.name} (enable the Backend API: "
            "EnvoyGateway extensionApis.enableBackend: true)"
        )
    http: JSONDict = {"backendRefs": [backend]}
    if parts.path and parts.path != "/":
        http["pathOverride"] = parts.path
    if parts.query:
        notes.append("the auth URL's query string is not sent")
    if ext.response_headers:
        http["headersToBackend"] = sorted({h.lower() for h in ext.response_headers})
    if ext.method and ext.method.upper() != "GET":
        notes.append(
            f"the auth request method {ext.method} is not carried (Envoy sends the client's)"
        )
    if ext.signin_url:
        notes.append(
            "the redirect to the sign-in URL on 401 is not carried (consider SecurityPolicy oidc)"
        )
    spec: JSONDict = {"extAuth": {"http": http, "headersToExtAuth": ["cookie"]}}
    return Contribution(
        SECURITY_POLICY,
        spec,
        Status.PARTIAL,
        "; ".join(notes),
        objects=objects,
        grants=grants,
        needs=[BACKEND_API] if objects else [],
    )


def external_backend(env: MapEnv, host: str, port: int, tls: bool) -> Emitted:
    """The ``Backend`` for an external host, shared by every policy of the namespace."""
    key = (env.namespace, host, port, tls)
    found = env.backends.objects.get(key)
    if found is not None:
        return found
    allocator = env.backends.allocators.setdefault(env.namespace, NameAllocator())
    name = allocator.allocate(slug(host) + ("-tls" if tls else ""), f"{host}:{port}:{tls}")
    address = _ip(host)
    endpoint: JSONDict = (
        {"ip": {"address": address, "port": port}}
        if address
        else {"fqdn": {"hostname": host, "port": port}}
    )
    spec: JSONDict = {"endpoints": [endpoint]}
    if tls:
        spec["tls"] = {"wellKnownCACertificates": "System"}
        if not address:
            spec["tls"]["sni"] = host
    body: JSONDict = {
        "apiVersion": EG_API_VERSION,
        "kind": "Backend",
        "metadata": metadata(name, env.namespace),
        "spec": spec,
    }
    emitted = Emitted(ObjectRef("Backend", env.namespace, name), body)
    env.backends.objects[key] = emitted
    return emitted


def _ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def jwt_auth(ext: JWTAuth, env: MapEnv) -> Contribution | None:
    if not ext.jwks_uri:
        return None  # without the keys there is nothing to verify tokens against
    provider: JSONDict = {"name": "jwt", "remoteJWKS": {"uri": ext.jwks_uri}}
    if ext.issuer:
        provider["issuer"] = ext.issuer
    return Contribution(SECURITY_POLICY, {"jwt": {"providers": [provider]}})


def _cidr(text: str) -> str | None:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        return None


def ip_access(ext: IPAccess, env: MapEnv) -> Contribution | None:
    allow = [c for c in (_cidr(x) for x in ext.allow) if c]
    deny = [c for c in (_cidr(x) for x in ext.deny) if c]
    bad = [x for x in [*ext.allow, *ext.deny] if _cidr(x) is None]
    if not allow and not deny:
        return None
    rules: list[JSONDict] = []
    if deny:
        rules.append({"name": "deny-listed", "action": "Deny", "principal": {"clientCIDRs": deny}})
    if allow:
        rules.append(
            {"name": "allow-listed", "action": "Allow", "principal": {"clientCIDRs": allow}}
        )
    spec: JSONDict = {
        "authorization": {"defaultAction": "Deny" if allow else "Allow", "rules": rules}
    }
    note = (
        "Envoy matches the connection's peer address unless a ClientTrafficPolicy "
        "clientIPDetection (X-Forwarded-For / PROXY protocol) is set for a Gateway behind a "
        "load balancer"
    )
    status = Status.CONVERTED
    if bad:
        status = Status.PARTIAL
        note += f"; not an IP or CIDR, left out: {', '.join(bad)}"
    return Contribution(SECURITY_POLICY, spec, status, note)


def cors(ext: Cors, env: MapEnv) -> Contribution | None:
    origins = [o for o in ext.allow_origins if _ORIGIN.match(o)]
    dropped = [o for o in ext.allow_origins if not _ORIGIN.match(o)]
    body: JSONDict = {}
    if origins:
        body["allowOrigins"] = origins
    if ext.allow_methods:
        body["allowMethods"] = list(ext.allow_methods)
    if ext.allow_headers:
        body["allowHeaders"] = list(ext.allow_headers)
    if ext.expose_headers:
        body["exposeHeaders"] = list(ext.expose_headers)
    if ext.allow_credentials is not None:
        body["allowCredentials"] = ext.allow_credentials
    if ext.max_age is not None:
        body["maxAge"] = format_ms(max(ext.max_age, 0) * 1000)
    if not origins:
        return None
    if dropped:
        return Contribution(
            SECURITY_POLICY,
            {"cors": body},
            Status.PARTIAL,
            f"origins Envoy Gateway cannot match, left out: {', '.join(dropped)}",
        )
    return Contribution(SECURITY_POLICY, {"cors": body})


def _secret_ref(env: MapEnv, secret: SecretRef) -> JSONDict:
    ref: JSONDict = {"group": "", "kind": "Secret", "name": secret.name}
    if secret.namespace and secret.namespace != env.namespace:
        ref["namespace"] = secret.namespace
    return ref


def api_key_auth(ext: APIKeyAuth, env: MapEnv) -> Contribution | None:
    names = sorted(dict.fromkeys(n for n in ext.key_names if n))
    if not ext.credential_secrets or not names or not (ext.in_header or ext.in_query):
        return None  # no Secret with the keys (Kong consumers): nothing to check against
    extract: list[JSONDict] = []
    if ext.in_header:
        extract.append({"headers": names})
    if ext.in_query:
        extract.append({"params": names})
    grants = [g for s in ext.credential_secrets for g in _secret_grant(env, s.name, s.namespace)]
    body: JSONDict = {
        "credentialRefs": [_secret_ref(env, s) for s in ext.credential_secrets],
        "extractFrom": extract,
    }
    return Contribution(
        SECURITY_POLICY,
        {"apiKeyAuth": body},
        Status.PARTIAL,
        "the Secrets must hold one entry per client: the client id as key, the API key as value",
        grants=grants,
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(s.namespace or env.namespace)}{s.name}",
                "one entry per client, the client id as key and the API key as value (Envoy "
                "Gateway's apiKeyAuth format); re-create it from the source's credentials",
            )
            for s in ext.credential_secrets
        ],
    )


def oidc_auth(ext: OIDCAuth, env: MapEnv) -> Contribution | None:
    if not ext.issuer or not ext.client_id or ext.client_secret is None:
        return None  # Envoy Gateway requires all three
    body: JSONDict = {
        "provider": {"issuer": ext.issuer},
        "clientID": ext.client_id,
        "clientSecret": _secret_ref(env, ext.client_secret),
    }
    if ext.scopes:
        body["scopes"] = list(dict.fromkeys(ext.scopes))
    if ext.redirect_url:
        body["redirectURL"] = ext.redirect_url
    return Contribution(
        SECURITY_POLICY,
        {"oidc": body},
        Status.PARTIAL,
        f"Secret {ext.client_secret.name} must hold the client secret under key 'client-secret'",
        grants=_secret_grant(env, ext.client_secret.name, ext.client_secret.namespace),
        needs=[
            (
                Need.SECRET,
                f"Secret {_where(ext.client_secret.namespace or env.namespace)}"
                f"{ext.client_secret.name}",
                "it must hold the OIDC client secret under key 'client-secret'",
            )
        ],
    )


def _where(namespace: str | None) -> str:
    """``namespace/`` before a name, or nothing when the namespace is not known."""
    return f"{namespace}/" if namespace else ""


def _flag(namespace: str | None) -> str:
    """kubectl's `` -n namespace``, or nothing when the namespace is not known."""
    return f" -n {namespace}" if namespace else ""


MAPPERS: dict[type, Mapper] = {
    APIKeyAuth: api_key_auth,
    OIDCAuth: oidc_auth,
    BasicAuth: basic_auth,
    ExternalAuth: external_auth,
    JWTAuth: jwt_auth,
    IPAccess: ip_access,
    Cors: cors,
}
