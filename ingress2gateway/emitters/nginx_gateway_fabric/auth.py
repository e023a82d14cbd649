"""AuthenticationFilter (``type: Basic``) referenced by an ``ExtensionRef`` filter of each
protected HTTPRoute rule — NGF's only way to put auth on a route.

The filter names the Secret by name only, so the Secret must live in the route's namespace;
NGF reads the htpasswd file from its key ``auth``, the key ingress-nginx's ``auth-file`` Secrets
use (any htpasswd hash NGINX's ``auth_basic_user_file`` reads: bcrypt, ``$apr1$``, SHA, crypt).
A basic auth with a Secret elsewhere, on a GRPCRoute, or a second one on the same rule is not
carried: it stays unconsumed and the pipeline closes the rule. JWT and OIDC filters are NGINX
Plus only and are not written.
"""

from __future__ import annotations

from ingress2gateway.emitters.envoy_gateway._base import Contribution
from ingress2gateway.ir import BasicAuth, HTTPRoute
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Status

from ._base import AUTHENTICATION_FILTER, NGF_GROUP, State

DEFAULT_REALM = "Authentication Required"
"""ingress-nginx's realm when ``auth-realm`` is unset; the CRD requires one."""

NOTE = "NGF reads the htpasswd file from key 'auth' of the Secret (as ingress-nginx's auth-file)"


def basic_auth_filters(state: State, route: HTTPRoute, rule_bodies: list[JSONDict]) -> None:
    for index, rule in enumerate(route.rules[: len(rule_bodies)]):
        exts = [e for e in [*route.extensions, *rule.extensions] if isinstance(e, BasicAuth)]
        if not exts:
            continue
        first, rest = exts[0], exts[1:]
        for ext in rest:
            state.refuse(ext, "ngf-policy-conflict", "a rule takes one AuthenticationFilter")
        if (first.secret_namespace or route.namespace) != route.namespace:
            state.refuse(
                first,
                "ngf-policy-conflict",
                f"the Secret {first.secret_namespace}/{first.secret_name} is not in the "
                f"namespace of {route.KIND} {route.name} (an AuthenticationFilter names a Secret "
                "of its own namespace)",
            )
            continue
        realm = first.realm or DEFAULT_REALM
        wanted = f"{first.secret_name}-basic-auth"
        identity = f"{first.secret_name}\0{realm}"
        name = state.name(AUTHENTICATION_FILTER, route.namespace, wanted, identity)
        ref = ObjectRef(AUTHENTICATION_FILTER, route.namespace, name)
        if all(obj.ref != ref for obj in state.objects):
            spec: JSONDict = {
                "type": "Basic",
                "basic": {"secretRef": {"name": first.secret_name}, "realm": realm},
            }
            state.add_object(AUTHENTICATION_FILTER, route.namespace, name, spec, [first])
        rule_bodies[index].setdefault("filters", []).append(
            {
                "type": "ExtensionRef",
                "extensionRef": {"group": NGF_GROUP, "kind": AUTHENTICATION_FILTER, "name": name},
            }
        )
        contribution = Contribution(AUTHENTICATION_FILTER, {}, Status.CONVERTED, NOTE)
        state.accept(first, contribution, [ref, route.ref])
