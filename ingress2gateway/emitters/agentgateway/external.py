"""ExternalName Services → an ``AgentgatewayBackend`` with ``static{host, port}``.

Gateway API leaves Services of type ExternalName to each implementation and advises against
them (CVE-2021-25740); agentgateway's way to reach a host outside the cluster is an
``AgentgatewayBackend`` with a ``static`` host, referenced from the route's ``backendRefs``
(group ``agentgateway.dev``). So the rule's reference to the ExternalName Service
(``ExternalNameService``) is replaced by one to a static backend naming the Service's external
name and the port the source connected to; agentgateway resolves the name by DNS, as nginx did.
"""

from __future__ import annotations

from ingress2gateway.converting.naming import slug
from ingress2gateway.ir import ExternalNameService, Route, Rule
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Status

from ._base import AGW_GROUP, BACKEND, Contribution, MapEnv
from ._state import State
from .objects import DNS_NAME, ip_address, shared_object

_DNS_LABEL_MAX = 63


def external_name(state: State, route: Route, rule: Rule, rule_body: JSONDict) -> None:
    """Point the rule's references to ExternalName Services at ``AgentgatewayBackend`` objects."""
    for ext in [e for e in rule.extensions if isinstance(e, ExternalNameService)]:
        service_ns = ext.namespace or route.namespace or "default"
        refs: list[JSONDict] = rule_body.get("backendRefs", [])
        matching = [
            index
            for index, ref in enumerate(refs)
            if ref.get("kind", "Service") == "Service"
            and not ref.get("group")
            and ref.get("name") == ext.service
            and (ref.get("namespace") or route.namespace or "default") == service_ns
            and ref.get("port") == ext.service_port
        ]
        if not matching:
            continue
        host = ext.hostname.rstrip(".").lower()
        if len(host) > 256 or (ip_address(host) is None and not DNS_NAME.match(host)):
            state.reject(ext, f"{ext.hostname!r} is not a host name a backend can name")
            continue
        if not 0 < ext.port < 65536:
            state.reject(ext, f"the port to connect to on {ext.hostname} is not known")
            continue
        env = MapEnv(route.namespace, state.ctx.options, state.backends)
        wanted = f"{slug(host)}-{ext.port}"[:_DNS_LABEL_MAX].rstrip("-")
        backend = shared_object(env, BACKEND, wanted, {"static": {"host": host, "port": ext.port}})
        for index in matching:
            replacement: JSONDict = {"group": AGW_GROUP, "kind": BACKEND, "name": backend.ref.name}
            for key in ("weight", "filters"):
                if key in refs[index]:
                    replacement[key] = refs[index][key]
            refs[index] = replacement
        state.external_backends[(service_ns, ext.service)] = (route.namespace, backend.ref.name)
        note = (
            f"Service {service_ns}/{ext.service} is ExternalName: the route reaches "
            f"{host}:{ext.port} through the AgentgatewayBackend {backend.ref.name}"
        )
        state.accept(
            ext, Contribution(BACKEND, {}, Status.CONVERTED, note, objects=[backend]), [route.ref]
        )
