"""The ledger's targets are what was printed: on every golden case, a field names exactly the
printed objects made from it, and nothing that was not printed.

This is the promise of the derived ledger (docs/architecture.md): no stage names an output
object; each printed object's provenance does.
"""

from __future__ import annotations

import pytest

from ingress2gateway.objects import ObjectRef, SourceRef
from tests.golden import Case, cases, run_case


def _targets_and_printed(case: Case) -> tuple[dict[tuple[SourceRef, str], set[ObjectRef]], ...]:
    result = run_case(case)
    recorded = {key: set(entry.targets) for key, entry in result.report.ledger.items()}
    derived: dict[tuple[SourceRef, str], set[ObjectRef]] = {key: set() for key in recorded}
    for item in result.emitted:
        for made in item.provenance:
            key = (made.source, made.field)
            if key in derived:
                derived[key].add(item.ref)
    return recorded, derived


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_every_target_is_a_printed_object_made_from_the_field(case: Case) -> None:
    recorded, derived = _targets_and_printed(case)
    assert recorded == derived


def test_some_case_has_objects_left_unprinted_or_rules_left_out() -> None:
    """The check above would be empty if no golden case printed fewer objects than it made."""
    seen = [
        case.id
        for case in cases()
        if any(
            "was invalid and not printed" in note or "left out" in note
            for entry in run_case(case).report.ledger.values()
            for note in entry.notes
        )
    ]
    assert seen
