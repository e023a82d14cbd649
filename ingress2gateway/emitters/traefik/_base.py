"""Shared pieces of the traefik emitter: the API group, the Middleware kinds, the GatewayClass,
and the contribution / merge machinery of the envoy-gateway emitter (not specific to Envoy
Gateway: a mapper turns one IR extension into a fragment of a Middleware ``spec`` plus the
verdict for the ledger, or ``None`` when Traefik cannot say it).

A :class:`Contribution`'s ``policy`` is the Middleware type it sets (``basicAuth``,
``rateLimit`` …): a Traefik Middleware object carries one type, so contributions of one type to
one rule merge into one Middleware, and different types make different Middlewares.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ingress2gateway.emitters.envoy_gateway._base import (
    Contribution,
    MapEnv,
    Mapper,
    MergeConflict,
    canonical,
    merged,
)

TRAEFIK_GROUP = "traefik.io"
TRAEFIK_API_VERSION = f"{TRAEFIK_GROUP}/v1alpha1"
MIDDLEWARE = "Middleware"

CONTROLLER_NAME = "traefik.io/gateway-controller"
DEFAULT_GATEWAY_CLASS = "traefik"
"""The class name Traefik's documentation uses; the binary creates no GatewayClass itself
(``shared/implementations/traefik/SOURCES.txt``)."""

ORDER = (
    "ipAllowList",
    "basicAuth",
    "forwardAuth",
    "rateLimit",
    "headers",
    "buffering",
    "retry",
    "replacePathRegex",
)
"""The order of a rule's Middlewares: access control first (a refused request must not count
against a rate limit or be buffered), then what shapes the request to the backend."""

INT32 = 2**31 - 1
INT64 = 2**63 - 1

_DNS_NAME = re.compile(
    r"^(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\Z"
)
_URL_SAFE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!&'()*+,;=%]+\Z")
"""The characters of a URL (RFC 3986) with ``$`` left out: nginx variables (``$host``) are
per-request values Traefik would send literally."""


def http_url(text: str) -> str | None:
    """``text`` when it is an absolute http(s) URL with a host Traefik can resolve, else None."""
    if not text or len(text) > 2048 or not _URL_SAFE.match(text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    if not _DNS_NAME.match(host) and _ip(host) is None:
        return None
    return text


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


__all__ = [
    "CONTROLLER_NAME",
    "DEFAULT_GATEWAY_CLASS",
    "INT32",
    "INT64",
    "MIDDLEWARE",
    "ORDER",
    "TRAEFIK_API_VERSION",
    "TRAEFIK_GROUP",
    "Contribution",
    "MapEnv",
    "Mapper",
    "MergeConflict",
    "canonical",
    "http_url",
    "merged",
]
