"""Words shared by the Markdown and HTML forms: how the plan's JSON values read to people.

Both forms render :meth:`~ingress2gateway.planning.model.Plan.to_json`, never the objects,
so that the JSON form is the data behind them; these functions return plain text, which
each form escapes its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATUS_WORDS = {"ready": "ready", "needs-action": "needs action", "blocked": "blocked"}
STEP_WORDS = {
    "security-error": "security error",
    "error": "error",
    "security-warning": "security warning",
    "warning": "warning",
    "unsupported": "not carried over",
    "partial": "partly carried over",
}
NEED_WORDS = {
    "gateway-class": "GatewayClass",
    "implementation-feature": "implementation feature",
    "secret": "Secret",
    "reference-grant": "ReferenceGrant",
    "certificate-issuer": "certificate issuer",
    "dns": "DNS",
    "other": "other",
}
VIA_WORDS = {
    "route": "the route",
    "rule": "a rule of the route",
    "gateway": "its Gateway",
    "listener": "its listener",
    "backend": "its backend",
    "filter": "an ExtensionRef filter",
}


def source_text(source: Mapping[str, Any] | None, *, where: bool = True) -> str:
    """``Ingress team-a/shop (input.yaml:12)``."""
    if not source:
        return "-"
    file, line = source.get("file"), source.get("line")
    place = f"{file}:{line}" if file and line else (file or "")
    if not source.get("kind"):
        return place or "-"
    name = source.get("name") or "<unnamed>"
    who = f"{source['namespace']}/{name}" if source.get("namespace") else name
    text = f"{source['kind']} {who}"
    return f"{text} ({place})" if where and place else text


def ref_text(ref: Mapping[str, Any]) -> str:
    """``HTTPRoute team-a/shop``."""
    who = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else str(ref.get("name"))
    return f"{ref.get('kind')} {who}"


def listener_text(listener: Mapping[str, Any]) -> str:
    gateway = listener["gateway"]
    return (
        f"Gateway {gateway['namespace']}/{gateway['name']} listener {listener['listener']} "
        f"({listener['protocol']} {listener['port']})"
    )


def namespace_text(namespace: str | None) -> str:
    return namespace if namespace else "(cluster-scoped or no namespace)"


def headline(plan: Mapping[str, Any]) -> str:
    """``ingress2gateway 1.0 · nginx → envoy-gateway · Gateway API v1.5 (standard)``."""
    tool, target = plan["tool"], plan["target"]
    version = target.get("gatewayAPIVersion") or target.get("version") or ""
    channel = target.get("channel") or ""
    return (
        f"ingress2gateway {tool['version']} · providers {', '.join(tool['providers'])} → "
        f"emitter {tool['emitter']} · Gateway API {version} ({channel})"
    )


def summary_text(summary: Mapping[str, int]) -> str:
    return (
        f"{summary['objects']} source object(s): {summary['ready']} ready, "
        f"{summary['needsAction']} needing action, {summary['blocked']} blocked · "
        f"{summary['steps']} checklist step(s), {summary['blockingSteps']} blocking · "
        f"{summary['prerequisites']} prerequisite(s) · {summary['hosts']} host(s) to cut over"
    )


def verify_text(verify: Mapping[str, Any]) -> str:
    if not verify["ran"]:
        return f"verify did not run: {verify['reason']}."
    unexplained = len(verify["unexplained"])
    return (
        f"verify ran {verify['requests']} request(s): {verify['differences']} answered "
        f"differently, {verify['explained']} explained by the report, {unexplained} "
        "unexplained."
    )
