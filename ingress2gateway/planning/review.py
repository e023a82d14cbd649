"""Other tools' annotations: on the source objects, read by no selected provider (the
ledger says *ignored*), so the conversion leaves them behind. Argo CD sync waves, Prometheus
scrape settings, kustomize or Helm bookkeeping may need to move to the new objects by hand:
the plan lists them as things to review, grouped by the annotation's prefix."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Report, Status

from .model import ForeignAnnotation, ReviewGroup

_ANNOTATION = re.compile(r"metadata\.annotations\[(.+)\]", re.DOTALL)
NO_PREFIX = "(no prefix)"


def foreign_annotations(
    report: Report,
    known: Collection[str],
    values: Mapping[SourceRef, Mapping[str, str]] | None = None,
) -> list[ReviewGroup]:
    """Ignored annotations whose key is in none of the selected providers' catalogs
    (``known``); ``values``: each source object's annotations, to show the values."""
    groups: dict[str, list[ForeignAnnotation]] = {}
    for entry in report.sorted_ledger():
        if entry.status is not Status.IGNORED:
            continue
        match = _ANNOTATION.fullmatch(entry.field)
        if match is None or match.group(1) in known:
            continue
        key = match.group(1)
        prefix, slash, _ = key.rpartition("/")
        value = (values or {}).get(entry.source, {}).get(key)
        groups.setdefault(prefix if slash else NO_PREFIX, []).append(
            ForeignAnnotation(entry.source, key, value)
        )
    return [ReviewGroup(prefix, tuple(groups[prefix])) for prefix in sorted(groups)]
