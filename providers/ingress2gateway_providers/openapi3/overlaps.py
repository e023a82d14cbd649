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
from .paths import SEGMENT

_TEMPLATE = re.compile(r"\{[^{}]*\}")
Segments = tuple[re.Pattern[str] | str, ...]


def report_overlaps(fields: Fields, operations: Sequence[Operation]) -> None:
    methods: dict[str, set[str]] = {}
    for op in operations:
        methods.setdefault(op.path, set()).add(op.method)
    # Only paths of one depth can overlap, and of those only paths whose first segments can
    # (a literal first segment meets its own group and the templated ones): a document of
    # thousands of paths is not compared pair by pair.
    groups: dict[tuple[int, str | None], list[tuple[str, Segments]]] = {}
    for path in methods:
        segments = _segments(path)
        head = segments[1] if len(segments) > 1 else ""
        key = (len(segments), head if isinstance(head, str) else None)
        groups.setdefault(key, []).append((path, segments))
    for (depth, first), paths in groups.items():
        templated = groups.get((depth, None), []) if first is not None else []
        for i, (a, seg_a) in enumerate(paths):
            for b, seg_b in [*paths[i + 1 :], *templated]:
                if _shape(a) != _shape(b) and _overlap(seg_a, seg_b):
                    _report(fields, a, b, methods)


def _segments(path: str) -> Segments:
    """Each segment of ``path``: its text, or a pattern when it holds a template."""
    found: list[re.Pattern[str] | str] = []
    for segment in path.split("/"):
        if "{" in segment:
            pieces = re.split(r"\{[^{}]*\}", segment)
            found.append(re.compile(SEGMENT.join(re.escape(p) for p in pieces)))
        else:
            found.append(segment)
    return tuple(found)


def _overlap(first: Segments, second: Segments) -> bool:
    """Whether one request path can match both (a templated segment against a literal one:
    the literal must fit it; two templated segments are taken to overlap)."""
    for x, y in zip(first, second, strict=True):
        if isinstance(x, str):
            if (isinstance(y, str) and x != y) or (not isinstance(y, str) and not y.fullmatch(x)):
                return False
        elif isinstance(y, str) and x.fullmatch(y) is None:
            return False
    return True


def _shape(path: str) -> str:
    return _TEMPLATE.sub("{}", path)


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
