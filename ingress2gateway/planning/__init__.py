"""The migration plan: what a team must do, object by object, to move from Ingress (or a
vendor's routing objects) to the generated Gateway API objects — a status per source object,
one prioritised checklist, the cluster prerequisites, other tools' annotations to review, the
cut-over steps per host, what ``verify`` found, and the policies that attach to each route.

Library use::

    import ingress2gateway
    from ingress2gateway.planning import make_plan, render

    objects = ingress2gateway.load_manifests(["manifests/"])
    result = ingress2gateway.convert(objects, providers=["nginx"], emitter="envoy-gateway")
    checked = ingress2gateway.verify(objects, result.resources, providers=["nginx"],
                                     report=result.report)
    plan = make_plan(result, checked, inputs=objects)
    print(render(plan, "markdown"))      # or "html", "json"; plan.to_json() is the data

Only the command line imports this package (see tests/test_structure.py).
"""

from __future__ import annotations

from .build import make_plan
from .html_form import render_html
from .json_form import render_json
from .markdown_form import render_markdown
from .model import Plan, Readiness, StepKind

FORMATS = ("markdown", "html", "json")


def render(plan: Plan, format: str) -> str:
    """``plan`` as ``markdown``, ``html`` or ``json`` text."""
    data = plan.to_json()
    if format == "markdown":
        return render_markdown(data)
    if format == "html":
        return render_html(data)
    if format == "json":
        return render_json(data)
    raise ValueError(f"unknown plan format {format!r} (expected one of {', '.join(FORMATS)})")


__all__ = [
    "FORMATS",
    "Plan",
    "Readiness",
    "StepKind",
    "make_plan",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
]
