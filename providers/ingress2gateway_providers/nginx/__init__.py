"""ingress-nginx and NGINX Inc (F5) Ingress controllers.

Both controllers' default class is ``nginx``; their annotation families do not overlap
(``nginx.ingress.kubernetes.io/*`` for ingress-nginx, ``nginx.org/*`` and ``nginx.com/*`` for
NGINX Inc), so one provider reads both. ``pathType: ImplementationSpecific`` is a prefix match,
as ingress-nginx rewrites it to ``Prefix`` before anything else.

Annotation support is declared in the catalog; an annotation under one of these prefixes that
the catalog does not know is reported as unsupported (``*-snippet`` annotations, which inject
raw nginx configuration, as a security finding).
"""

from __future__ import annotations

from ingress2gateway.ingress_provider import IngressProvider
from ingress2gateway.plugin import ProviderContext

INGRESS_NGINX_PREFIX = "nginx.ingress.kubernetes.io/"
NGINX_INC_PREFIXES = ("nginx.org/", "nginx.com/")


class NginxProvider(IngressProvider):
    name = "nginx"
    aliases = ("ingress-nginx",)
    description = "ingress-nginx and NGINX Inc Ingress controllers (class nginx)"
    ingress_class_names = ("nginx",)
    controllers = ("k8s.io/ingress-nginx", "nginx.org/ingress-controller")
    implementation_specific = "PathPrefix"

    def prefixes(self, ctx: ProviderContext) -> tuple[str, ...]:
        prefix = ctx.options.for_provider(self.name).get("annotation-prefix")
        ingress_nginx = f"{prefix.rstrip('/')}/" if prefix else INGRESS_NGINX_PREFIX
        return (ingress_nginx, *NGINX_INC_PREFIXES)


PROVIDER = NginxProvider()
