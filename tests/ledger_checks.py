"""The ledger promise, as a check: every consumed input field has an entry."""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.converting.ingress import is_ingress
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def expected_fields(obj: KubeObject) -> list[str]:
    """Fields of an Ingress that must appear in the ledger."""
    fields = [f"metadata.annotations[{key}]" for key in obj.annotations]
    spec = obj.spec
    for key in ("defaultBackend", "backend"):
        if spec.get(key) is not None:
            fields.append(f"spec.{key}")
    fields.extend(f"spec.tls[{i}]" for i in range(len(_list(spec.get("tls")))))
    for i, rule in enumerate(_list(spec.get("rules"))):
        if not isinstance(rule, dict):
            fields.append(f"spec.rules[{i}]")
            continue
        http = rule.get("http")
        paths = http.get("paths") if isinstance(http, dict) else None
        fields.extend(f"spec.rules[{i}].http.paths[{j}]" for j in range(len(_list(paths))))
    return fields


def _covered(field: str, recorded: set[str]) -> bool:
    if "spec" in recorded:  # the whole object was skipped (not this provider's class)
        return True
    # A problem found inside a part (say its pathType) is recorded on that part's sub-field.
    return field in recorded or any(r.startswith(field + ".") for r in recorded)


def missing_ledger_fields(objects: Sequence[KubeObject], result: Result) -> list[str]:
    by_source: dict[tuple[str | None, str | None, str], set[str]] = {}
    for entry in result.report.ledger.values():
        key = (entry.source.namespace, entry.source.name, entry.source.kind)
        by_source.setdefault(key, set()).add(entry.field)
    missing = []
    for obj in objects:
        if not is_ingress(obj):
            continue
        recorded = by_source.get((obj.namespace, obj.name, obj.kind), set())
        for field in expected_fields(obj):
            if not _covered(field, recorded):
                missing.append(f"{obj.kind} {obj.namespace}/{obj.name}: {field}")
    return missing
