"""Access controls as Istio security policies on the Gateway (``security.istio.io/v1``).

| IR extension | becomes |
|---|---|
| IPAccess | ``AuthorizationPolicy`` ``action: DENY``: one rule ``from.source.remoteIpBlocks`` (the deny list), one ``from.source.notRemoteIpBlocks`` (everything outside the allow list) — nginx's order (denials first, then the allow list, then deny all) as one DENY |
| JWTAuth (issuer known) | ``RequestAuthentication`` ``jwtRules[]{issuer, jwksUri, forwardOriginalToken}`` on the Gateway, plus ``AuthorizationPolicy`` ``action: DENY`` for ``notRequestPrincipals: ["<issuer>/*"]`` (a RequestAuthentication alone lets requests without a token through) |
| ExternalAuth (http/https URL) | ``AuthorizationPolicy`` ``action: CUSTOM``, ``provider.name``: a MeshConfig ``extensionProviders[].envoyExtAuthzHttp`` entry the user adds to istiod (a prerequisite naming the service, port and path) |

Each policy targets the Gateway (``targetRefs`` kind Gateway, in the Gateway's namespace: the
CRD refuses a ``namespace`` there) and is scoped to the rules it protects (:mod:`.scope`). No
ALLOW policy is written (it would refuse what it does not match, other routes included).
Basic auth, API keys, OIDC and client certificates have no Istio API here (Wasm or EnvoyFilter
only, never emitted): they stay unconsumed, and the pipeline closes the rules they protect.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ingress2gateway.ir import Extension, ExternalAuth, IPAccess, JWTAuth
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Need, Status

from ._book import Needed, Warning

SECURITY_API = "security.istio.io/v1"
AUTHZ = "AuthorizationPolicy"
REQUEST_AUTHN = "RequestAuthentication"

DEFAULT_PROVIDER = "ingress2gateway-ext-authz"
PROVIDER_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?")
_HOST = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass
class Access:
    """What one security extension asks of each Gateway it applies on."""

    suffix: str
    action: str
    froms: list[JSONDict | None]
    """One policy rule per entry: its ``from`` source (None: no ``from``)."""
    provider: str | None = None
    jwt_rule: JSONDict | None = None
    status: Status = Status.CONVERTED
    note: str | None = None
    warnings: list[Warning] = field(default_factory=list)
    needs: list[Needed] = field(default_factory=list)


class Providers:
    """MeshConfig extension provider names, one per distinct auth service URL: the option's
    name for the first, ``NAME-2``, ``NAME-3`` … for the next ones."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.names: dict[str, str] = {}

    def name(self, url: str) -> str:
        if url not in self.names:
            count = len(self.names)
            self.names[url] = self.base if count == 0 else f"{self.base}-{count + 1}"
        return self.names[url]


def _networks(texts: list[str]) -> list[str] | None:
    out: list[str] = []
    for text in texts:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return None  # one entry left out would change who gets in: carry none
        out.append(str(network))
    return list(dict.fromkeys(out))


def ip_access(ext: IPAccess, providers: Providers | None = None) -> Access | None:
    allow = _networks(ext.allow)
    deny = _networks(ext.deny)
    if allow is None or deny is None or (not allow and not deny):
        return None
    froms: list[JSONDict | None] = []
    if deny:
        froms.append({"source": {"remoteIpBlocks": deny}})
    if allow:
        froms.append({"source": {"notRemoteIpBlocks": allow}})
    note = (
        "Istio matches the client address taken from X-Forwarded-For by the Gateway's "
        "numTrustedProxies (none by default: the connection's peer), where the source may have trusted a forwarding header"
    )
    return Access("ip", "DENY", froms, note=note)


def _url(text: str) -> tuple[str, str, int, str] | None:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("http", "https") or not host or not _HOST.fullmatch(host):
        return None
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), parts.path


def jwt_auth(ext: JWTAuth, providers: Providers | None = None) -> Access | None:
    if not ext.issuer or "*" in ext.issuer:
        return None  # RequestAuthentication needs the issuer; principals are "<iss>/<sub>"
    rule: JSONDict = {"issuer": ext.issuer, "forwardOriginalToken": True}
    if ext.jwks_uri:
        if _url(ext.jwks_uri) is None:
            return None
        rule["jwksUri"] = ext.jwks_uri
    froms: list[JSONDict | None] = [{"source": {"notRequestPrincipals": [f"{ext.issuer}/*"]}}]
    note = (
        "a request without a valid token is refused with 403 (AuthorizationPolicy) where the "
        "source answered 401; the RequestAuthentication checks tokens on every route of the "
        "Gateway"
    )
    warning = (
        "istio-jwt-gateway-wide",
        f"{ext.describe()}: the RequestAuthentication for issuer {ext.issuer} targets the whole "
        "Gateway: any request carrying an invalid token for this issuer is refused (401), on "
        "every route of it",
    )
    return Access(
        "jwt", "DENY", froms, jwt_rule=rule, status=Status.PARTIAL, note=note, warnings=[warning]
    )


def external_auth(ext: ExternalAuth, providers: Providers | None = None) -> Access | None:
    url = _url(ext.url)
    if url is None:
        return None
    scheme, host, port, path = url
    name = (providers or Providers(DEFAULT_PROVIDER)).name(ext.url)
    notes = [
        "Istio sends only some request headers to an HTTP auth service (Host, Method, Path, "
        "Content-Length) unless the provider lists more in includeRequestHeadersInCheck"
    ]
    if path and path != "/":
        notes.append(
            f"Istio calls the auth service at {path} followed by the request's path (pathPrefix)"
        )
    if ext.method and ext.method.upper() != "GET":
        notes.append(f"the auth request method {ext.method} is not carried")
    if ext.signin_url:
        notes.append("the redirect to the sign-in URL on 401 is not carried")
    provider: dict[str, Any] = {"service": host, "port": port}
    if path and path != "/":
        provider["pathPrefix"] = path
    upstream = sorted({h.lower() for h in ext.response_headers if _TOKEN.fullmatch(h)})
    if upstream:
        provider["headersToUpstreamOnAllow"] = upstream
    provider["includeRequestHeadersInCheck"] = ["authorization", "cookie"]
    listed = ", ".join(f"{k}: {_flow(v)}" for k, v in provider.items())
    action = (
        f"add to istiod's MeshConfig (meshConfig.extensionProviders): name: {name}, "
        f"envoyExtAuthzHttp: {{{listed}}} (service: the auth Service's FQDN, or a ServiceEntry "
        f"host for {host}; add any other header the auth service reads to "
        "includeRequestHeadersInCheck"
        + ("; TLS to it needs a DestinationRule with tls mode SIMPLE" if scheme == "https" else "")
        + f"). Without it Istio refuses every request the CUSTOM policy {name!r} covers"
    )
    needs: list[Needed] = [
        (Need.IMPLEMENTATION_FEATURE, f"MeshConfig extensionProvider {name}", action)
    ]
    warning = (
        "istio-ext-authz-provider",
        f"{ext.describe()} ({ext.url}) is the Istio extension provider {name!r}: add it to "
        "istiod's MeshConfig extensionProviders (see the prerequisites)",
    )
    return Access(
        "ext-authz",
        "CUSTOM",
        [None],
        provider=name,
        status=Status.PARTIAL,
        note="; ".join(notes),
        warnings=[warning],
        needs=needs,
    )


def _flow(value: object) -> str:
    """A value as YAML flow style (``[a, b]``), for the prerequisite's text."""
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


Mapper = Callable[[Any, "Providers | None"], "Access | None"]

MAPPERS: dict[type, Mapper] = {
    IPAccess: ip_access,
    JWTAuth: jwt_auth,
    ExternalAuth: external_auth,
}


def access(ext: Extension, providers: Providers) -> Access | None:
    mapper = MAPPERS.get(type(ext))
    return mapper(ext, providers) if mapper is not None else None


def policy_spec(gateway: str, item: Access, to: list[JSONDict] | None) -> JSONDict:
    rules: list[JSONDict] = []
    for source in item.froms:
        rule: JSONDict = {}
        if source is not None:
            rule["from"] = [source]
        if to is not None:
            rule["to"] = to
        rules.append(rule)
    spec: JSONDict = {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}],
        "action": item.action,
    }
    if item.provider:
        spec["provider"] = {"name": item.provider}
    spec["rules"] = rules
    return spec
