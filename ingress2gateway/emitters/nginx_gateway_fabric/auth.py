"""AuthenticationFilter referenced by an ``ExtensionRef`` filter of each protected HTTPRoute
rule — NGF's only way to put auth on a route (ExtensionRef kinds: SnippetsFilter and
AuthenticationFilter only).

* Basic auth → ``type: Basic``, ``basic{secretRef.name, realm}``. The filter names the Secret by
  name only, so the Secret must live in the route's namespace; NGF reads the htpasswd file from
  its key ``auth``, the key ingress-nginx's ``auth-file`` Secrets use (any hash NGINX's
  ``auth_basic_user_file`` reads: bcrypt, ``$apr1$``, SHA, crypt).
* JWT and OIDC are NGINX Plus features (the CRD says so). With ``--emitter-option plus=true``:
  JWT → ``type: JWT``, ``jwt{source: Remote, remote.uri}`` (an ``https`` JWKS URL; the issuer and
  audiences are not checked by the filter: partial); OIDC → ``type: OIDC``,
  ``oidc{issuer, clientID, clientSecretRef, redirectURI}`` (Secret key ``client-secret`` in the
  route's namespace; scopes other than ``openid`` are not carried). Without the option they are
  not written (``ngf-needs-plus``).

Whatever is not written stays unconsumed and the pipeline closes the rule after emission (a
second control on one rule, a Secret elsewhere, a GRPCRoute).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ingress2gateway.emitters.envoy_gateway._base import Contribution, canonical
from ingress2gateway.ir import BasicAuth, Extension, HTTPRoute, JWTAuth, OIDCAuth
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Need, Status

from . import codes
from ._base import AUTHENTICATION_FILTER, NGF_GROUP, State

DEFAULT_REALM = "Authentication Required"
"""ingress-nginx's realm when ``auth-realm`` is unset; the CRD requires one."""

PLUS_OPTION = "plus"
PLUS_NEED = (
    Need.IMPLEMENTATION_FEATURE,
    "NGINX Plus",
    "run NGINX Gateway Fabric with NGINX Plus (Helm nginx.plus: true and a license): JWT and "
    "OIDC AuthenticationFilters need it",
)

_HTTPS_URI = re.compile(
    r"https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(:[0-9]{1,5})?(/[a-zA-Z0-9._~:/?@!&'()*+,=-]*)?"
)
"""The CRD's pattern for ``jwt.remote.uri`` and ``oidc.issuer`` (used with fullmatch)."""

_SAFE_REALM = re.compile(r"[A-Za-z0-9 _.,:/@()+=-]{1,128}")
"""Realms written as they are. The CRD has no pattern and NGINX gets the realm inside a quoted
directive argument: anything else (a quote, ``;``, ``$``, braces) is replaced by the default."""
_SAFE_CLIENT_ID = re.compile(r"[A-Za-z0-9._~:@+-]{1,256}")

AUTH_KINDS = (BasicAuth, JWTAuth, OIDCAuth)

BASIC_NOTE = (
    "NGF reads the htpasswd file from key 'auth' of the Secret (as ingress-nginx's auth-file)"
)


def plus(options: Mapping[str, Any]) -> bool:
    return str(options.get(PLUS_OPTION, "false")).lower() == "true"


def carried(ext: Extension) -> bool:
    """Whether a filter can say ``ext`` at all (the route and the option aside)."""
    if isinstance(ext, BasicAuth):
        return bool(ext.secret_name)
    if isinstance(ext, JWTAuth):
        return ext.jwks_uri is not None and _HTTPS_URI.fullmatch(ext.jwks_uri) is not None
    if isinstance(ext, OIDCAuth):
        return (
            ext.issuer is not None
            and _HTTPS_URI.fullmatch(ext.issuer) is not None
            and ext.client_id is not None
            and _SAFE_CLIENT_ID.fullmatch(ext.client_id) is not None
            and ext.client_secret is not None
        )
    return False


def filter_spec(ext: Extension, namespace: str | None) -> tuple[JSONDict, Contribution] | str:
    """The filter's spec and the verdict, or why it cannot be written here."""
    if isinstance(ext, BasicAuth):
        if (ext.secret_namespace or namespace) != namespace:
            return (
                f"the Secret {ext.secret_namespace}/{ext.secret_name} is not in the route's "
                "namespace (an AuthenticationFilter names a Secret of its own namespace)"
            )
        realm, status, note = ext.realm or DEFAULT_REALM, Status.CONVERTED, BASIC_NOTE
        if not _SAFE_REALM.fullmatch(realm):
            realm, status = DEFAULT_REALM, Status.PARTIAL
            note = f"{note}; the realm is replaced by '{DEFAULT_REALM}' (characters NGINX config must not get)"
        spec: JSONDict = {
            "type": "Basic",
            "basic": {"secretRef": {"name": ext.secret_name}, "realm": realm},
        }
        contribution = Contribution(AUTHENTICATION_FILTER, {}, status, note)
        contribution.needs.append(
            (
                Need.SECRET,
                f"Secret {namespace}/{ext.secret_name}",
                "hold the htpasswd file under key 'auth' (ingress-nginx's auth-file format; an "
                "auth-map Secret must be rewritten)",
            )
        )
        return spec, contribution
    if isinstance(ext, JWTAuth) and ext.jwks_uri is not None:
        spec = {
            "type": "JWT",
            "jwt": {"realm": DEFAULT_REALM, "source": "Remote", "remote": {"uri": ext.jwks_uri}},
        }
        note = "the filter checks the signature with the JWKS only, not the issuer"
        contribution = Contribution(AUTHENTICATION_FILTER, {}, Status.PARTIAL, note)
        contribution.needs.append(PLUS_NEED)
        return spec, contribution
    if isinstance(ext, OIDCAuth) and ext.client_secret is not None:
        if (ext.client_secret.namespace or namespace) != namespace:
            return "the client Secret is not in the route's namespace"
        oidc: JSONDict = {
            "issuer": ext.issuer,
            "clientID": ext.client_id,
            "clientSecretRef": {"name": ext.client_secret.name},
        }
        lost: list[str] = []
        if ext.redirect_url and _HTTPS_URI.fullmatch(ext.redirect_url):
            oidc["redirectURI"] = ext.redirect_url
        elif ext.redirect_url:
            lost.append(f"the redirect URL {ext.redirect_url}")
        scopes = [s for s in ext.scopes if s != "openid"]
        if scopes:
            lost.append(f"the scopes {', '.join(scopes)}")
        status = Status.PARTIAL if lost else Status.CONVERTED
        said = f"not carried: {'; '.join(lost)}" if lost else None
        contribution = Contribution(AUTHENTICATION_FILTER, {}, status, said)
        contribution.needs.append(PLUS_NEED)
        return {"type": "OIDC", "oidc": oidc}, contribution
    return "no AuthenticationFilter says it"


def _wanted(ext: Extension) -> str:
    if isinstance(ext, BasicAuth):
        return f"{ext.secret_name}-basic-auth"
    return "jwt-auth" if isinstance(ext, JWTAuth) else "oidc-auth"


def auth_filters(
    state: State, route: HTTPRoute, rule_bodies: list[JSONDict], with_plus: bool
) -> None:
    for index, rule in enumerate(route.rules[: len(rule_bodies)]):
        exts = [e for e in [*route.extensions, *rule.extensions] if isinstance(e, AUTH_KINDS)]
        if not with_plus:
            for needs_plus in [e for e in exts if not isinstance(e, BasicAuth)]:
                state.refuse(needs_plus, codes.NEEDS_PLUS, "an NGINX Plus AuthenticationFilter")
            exts = [e for e in exts if isinstance(e, BasicAuth)]
        exts = [e for e in exts if carried(e)]
        if not exts:
            continue
        first = exts[0]
        for ext in exts[1:]:
            state.refuse(ext, codes.CONFLICT, "a rule takes one AuthenticationFilter")
        made = filter_spec(first, route.namespace)
        if isinstance(made, str):
            state.refuse(first, codes.CONFLICT, made)
            continue
        spec, contribution = made
        name = state.name(AUTHENTICATION_FILTER, route.namespace, _wanted(first), canonical(spec))
        ref = ObjectRef(AUTHENTICATION_FILTER, route.namespace, name)
        if all(obj.ref != ref for obj in state.objects):
            state.add_object(AUTHENTICATION_FILTER, route.namespace, name, spec, [first])
        rule_bodies[index].setdefault("filters", []).append(
            {
                "type": "ExtensionRef",
                "extensionRef": {"group": NGF_GROUP, "kind": AUTHENTICATION_FILTER, "name": name},
            }
        )
        state.accept(first, contribution, [ref, route.ref])
