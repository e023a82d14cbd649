"""Models of how the NGINX controllers route requests, for ``verify``.

Written from the controllers' code (each module says which), and independent of this
provider's conversion: nothing here imports it, so that verify cannot share its mistakes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import NoRoute, Request, Routed

from .ingress_nginx import IngressNginxModel
from .nginx_inc import NginxIncModel
from .selection import INGRESS_NGINX, INGRESS_NGINX_PREFIX, NGINX_INC, read_config, select


class NginxModels:
    """ingress-nginx and NGINX Inc side by side: each answers for the hosts it serves (NGINX
    Inc's Ingresses and VirtualServers first, as it names its hosts; ingress-nginx has a
    catch-all server for any other)."""

    def __init__(self, objects: Sequence[KubeObject], options: ConvertOptions) -> None:
        prefix = options.for_provider("nginx").get("annotation-prefix")
        prefix = (
            f"{prefix.strip().rstrip('/')}/" if prefix and prefix.strip() else INGRESS_NGINX_PREFIX
        )
        chosen = select(objects, options, prefix)
        config = read_config(objects, options)
        self.community = (
            IngressNginxModel(chosen[INGRESS_NGINX], objects, config)
            if chosen[INGRESS_NGINX]
            else None
        )
        virtual_servers = [
            o
            for o in objects
            if o.kind == "VirtualServer"
            and o.group == "k8s.nginx.org"
            and (not options.namespace or o.namespace == options.namespace)
        ]
        self.inc = (
            NginxIncModel(chosen[NGINX_INC], objects, virtual_servers)
            if chosen[NGINX_INC] or virtual_servers
            else None
        )

    def route(self, request: Request) -> Routed:
        if self.inc is not None and self.inc.server_for(request.host) is not None:
            return self.inc.route(request)
        if self.community is not None:
            return self.community.route(request)
        if self.inc is not None:
            return self.inc.route(request)
        return Routed(NoRoute(0, "no NGINX controller serves this"))

    def requests(self) -> Iterator[Request]:
        if self.community is not None:
            yield from self.community.requests()
        if self.inc is not None:
            yield from self.inc.requests()


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> NginxModels | None:
    models = NginxModels(objects, options)
    return models if models.community is not None or models.inc is not None else None
