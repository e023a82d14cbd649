"""Request-level checks of migrated nginx input: convert, then route requests through the
Gateway API model of ``verify`` (and, where asked, compare with the controller's model)."""

from __future__ import annotations

from typing import Any

import yaml

import ingress2gateway
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import Forward, Outcome, Redirect, Request


def convert(text: str, emitter: str = "standard", **kw: Any) -> ingress2gateway.Result:
    objects = [o for o in yaml.safe_load_all(text) if o]
    return ingress2gateway.convert(objects, "nginx", emitter, **kw)


def answer(result: ingress2gateway.Result, request: Request) -> Outcome:
    return GatewayAPIModel(result.resources).route(request).outcome


def backend(outcome: Outcome) -> str | None:
    """The one backend a request reaches (``namespace/name``), or None."""
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        found = outcome.backends[0][0]
        return f"{found.namespace}/{found.name}"
    return None


def redirect(outcome: Outcome) -> tuple[int, str] | None:
    return (outcome.status, outcome.location) if isinstance(outcome, Redirect) else None


def unexplained(text: str, emitter: str = "standard", **kw: Any) -> list[str]:
    """verify's unexplained differences for the input, as text."""
    objects = [o for o in yaml.safe_load_all(text) if o]
    found = ingress2gateway.verify(objects, providers="nginx", emitter=emitter, **kw)
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


def upstream_path(outcome: Outcome) -> str | None:
    """The path the backend sees, or None when the request is not forwarded."""
    return outcome.path if isinstance(outcome, Forward) else None
