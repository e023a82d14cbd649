"""The plan as JSON: :meth:`~ingress2gateway.planning.model.Plan.to_json`, the data the
Markdown and HTML forms render (its shape is documented in docs/plan.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def render_json(plan: Mapping[str, Any]) -> str:
    """Indented, keys in the order the plan gives them, non-ASCII kept (same input, same
    bytes)."""
    return json.dumps(plan, indent=2, ensure_ascii=False) + "\n"
