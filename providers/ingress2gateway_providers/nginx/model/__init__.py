"""Models of how the NGINX controllers route requests, for ``verify``.

Written from the controllers' code (each module says which), and independent of this
provider's conversion: nothing here imports it, so that verify cannot share its mistakes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verify.model import NoRoute, Request, Routed

from .ingress_nginx import IngressNginxModel
from .selection import INGRESS_NGINX, INGRESS_NGINX_PREFIX, NGINX_INC, read_config, select


class NginxModels:
    """ingress-nginx and NGINX Inc side by side: each answers for the Ingresses it serves."""

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
        self.inc = chosen[NGINX_INC]

    def route(self, request: Request) -> Routed:
        if self.community is not None:
            return self.community.route(request)
        return Routed(NoRoute(0, "no ingress-nginx Ingress"))

    def requests(self) -> Iterator[Request]:
        if self.community is not None:
            yield from self.community.requests()


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> NginxModels | None:
    models = NginxModels(objects, options)
    return models if models.community is not None or models.inc else None
