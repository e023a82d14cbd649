"""Ingress annotations of both controllers, applied to the rules of the Ingress that carries
them (an annotation never reaches another Ingress's rules on the same host).

* Access controls (IP allow/deny lists, basic auth, external auth, client certificates) become
  security extensions: an emitter that cannot carry one leaves the rules closed. What cannot be
  carried in any form (a pattern file, a client address taken from a header, oauth2_proxy, an
  auth type the controller refuses, a snippet that denies requests) closes the rules outright.
* Header changes, CORS, rewrites, Host rewrites and redirects become standard filters; values
  that use HAProxy fetches (``%[...]``) are reported, never copied.
* Load balancing, affinity, rate limits, body size and connect timeouts travel as extensions.
* Configuration snippets are never translated: a security warning quotes the first line.
"""

from __future__ import annotations

from collections.abc import Callable

from . import access, filters, traffic
from .family import Family

FAMILIES: tuple[Callable[[Family], None], ...] = (
    filters.header_matches,
    filters.redirect_to,
    filters.app_root,
    filters.headers,
    filters.set_host,
    filters.path_rewrite,
    filters.rewrite_target,
    access.access,
    access.basic_auth,
    access.external_auth,
    access.client_cert,
    access.oauth,
    filters.cors,
    traffic.rate_limit,
    traffic.load_balance,
    traffic.affinity,
    traffic.timeouts,
    traffic.body_size,
    access.snippets,
    filters.forwarded_for,
)
"""Applied in this order to each Ingress's own rules."""

__all__ = ["FAMILIES", "Family"]
