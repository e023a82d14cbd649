"""The controller ConfigMap's settings as the nginx provider holds them (read by
:mod:`.configmap`; every annotation module may consult them through ``Run.config``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingress2gateway.ir import (
    BodySize,
    ClientIPDetection,
    ClientTimeouts,
    ClientTLSSettings,
    Extension,
    ExternalAuth,
    IPAccess,
    Provenance,
    RefusedControl,
)
from ingress2gateway.objects import KubeObject


@dataclass
class ControllerConfig:
    """Cluster-wide defaults read from the controller ConfigMap (None: not in the input)."""

    obj: KubeObject | None = None
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    redirect_code: int = 308
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    """Paths whose locations are never redirected to HTTPS (``no-tls-redirect-locations``)."""
    hsts: str | None = None
    allow_snippets: bool | None = None
    body_size: BodySize | None = None
    request_buffering: bool = True
    """``proxy-request-buffering`` (the controller's default is on)."""
    access: IPAccess | None = None
    block: IPAccess | None = None
    """``block-cidrs``: ``deny`` lines in nginx's ``http`` block, which only the locations
    without ``allow`` / ``deny`` lines of their own inherit (nginx's access module)."""
    header_blocks: list[Extension] = field(default_factory=list)
    """``block-user-agents`` / ``block-referers``: a 403 in every server."""
    refused: RefusedControl | None = None
    """A ``block-*`` key whose value nginx could not load: every route is closed."""
    global_auth: ExternalAuth | None = None
    no_auth_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    """Locations whose path starts with one of these get no auth (``no-auth-locations``)."""
    add_headers: dict[str, str] | None = None
    """``add-headers``: response headers nginx sets on every answer (the named ConfigMap's)."""
    client_timeouts: ClientTimeouts | None = None
    client_ip: ClientIPDetection | None = None
    client_tls: ClientTLSSettings | None = None
    provenance: dict[str, list[Provenance]] = field(default_factory=dict)

    def prov(self, *keys: str) -> list[Provenance]:
        return [p for key in keys for p in self.provenance.get(key, [])]
