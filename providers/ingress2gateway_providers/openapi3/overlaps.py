"""Paths one request can match: what Gateway API decides otherwise than the description.

The description matches the path first, then the method: a request for a concrete path
(``/pets/mine``) is decided by it alone, even with a method only a templated path
(``/pets/{id}``) has. Gateway API matches path and method together, so that request reaches
the backend through the templated path's rule: reported on the concrete path. Two templated
paths one request can match (``/a/{x}/c`` and ``/a/b/{y}``) are ambiguous in the
specification and ordered by each implementation: reported on both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingress2gateway.reporting.report import Level

from .common import Fields
from .document import Operation
from .paths import overlap


def report_overlaps(fields: Fields, operations: Sequence[Operation]) -> None:
    methods: dict[str, set[str]] = {}
    for op in operations:
        methods.setdefault(op.path, set()).add(op.method)
    by_depth: dict[int, list[str]] = {}
    for path in methods:
        by_depth.setdefault(path.count("/"), []).append(path)
    for paths in by_depth.values():
        for i, a in enumerate(paths):
            for b in paths[i + 1 :]:
                if _shape(a) != _shape(b) and overlap(a, b):  # one shape: a conflict
                    _report(fields, a, b, methods)


def _shape(path: str) -> str:
    return re.sub(r"\{[^{}]*\}", "{}", path)


def _report(fields: Fields, a: str, b: str, methods: dict[str, set[str]]) -> None:
    concrete_a, concrete_b = "{" not in a, "{" not in b
    if concrete_a == concrete_b:
        if concrete_a:
            return  # two different concrete paths never match one request
        for path, other in ((a, b), (b, a)):
            fields.notify(
                Level.WARNING,
                "openapi3-path-ambiguous",
                f"paths[{path}]",
                f"a request can match both {path} and {other}: which one decides is left to "
                "the implementation (the specification leaves it open)",
            )
        return
    concrete, templated = (a, b) if concrete_a else (b, a)
    extra = sorted(methods[templated] - methods[concrete])
    if extra:
        fields.notify(
            Level.WARNING,
            "openapi3-path-shadowed",
            f"paths[{concrete}]",
            f"{', '.join(extra)} {concrete}: the description has no such operation ({concrete} "
            f"decides, not {templated}); the routes send it to the backend through "
            f"{templated}'s match",
        )
