"""The gate: every object the emitter made is validated as the API server would, and judged.
What the API server would reject is reported, and left out (a route loses only its bad rules
when that makes it valid) unless the caller asked for invalid objects too."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.target import Target

if TYPE_CHECKING:
    from ingress2gateway.converting.plan import Plan
    from ingress2gateway.validation import Violation

Checked = tuple[Emitted, "list[Violation]", "str | None"]
"""An object, what the API server would reject in it, and its text (when it was encoded)."""


Check = Callable[[Iterable[Emitted]], Iterable[Checked]]
"""Validates (and perhaps encodes) objects, in order: see :func:`validated`."""


def validated(items: Iterable[Emitted], plan: Plan) -> Iterator[Checked]:
    """Each object with what the API server would reject in it (nothing when the plan does
    not validate), in this process."""
    if not plan.validate:
        for item in items:
            yield item, [], None
        return
    from ingress2gateway.validation import validate

    target = plan.target
    for item in items:
        yield item, validate(item.body, target), None


def gate(checked: Iterable[Checked], plan: Plan, report: Recorder) -> Iterator[Emitted]:
    """The objects to print, with their text: what is wrong with them goes into ``report``,
    and what the API server would reject is left out (see :func:`_judge`)."""
    for item, violations, text in checked:
        item.text = text
        if _judge(item, violations, report, plan.target, plan.emit_invalid):
            yield item


def _judge(
    item: Emitted, violations: list[Violation], report: Recorder, target: Target, emit_invalid: bool
) -> bool:
    """Report what the API server would reject in ``item``. True: print it (perhaps without the
    rules the API server would refuse)."""
    if violations and not emit_invalid and _without_bad_rules(item, violations, report, target):
        report.printed(item.ref, item.provenance)
        return True
    source = item.sources[0] if item.sources else None
    for violation in violations:
        report.error(
            "output-invalid",
            f"{item.ref.display()} would be rejected by the API server: {violation.path}: "
            f"{violation.message} ({violation.rule})"
            + (
                ""
                if emit_invalid
                else "; it is not printed (use --emit-invalid to print it anyway)"
            ),
            source=source,
        )
    if violations and not emit_invalid:
        note = f"its output {item.ref.display()} was invalid and not printed"
        report.not_printed(item.ref, item.provenance, note)
        return False
    # The one place a ledger entry gains a target: the fields this printed object was made of.
    report.printed(item.ref, item.provenance)
    return True


_RULE_PATH = re.compile(r"spec\.rules\[(\d+)\]")


def _without_bad_rules(
    item: Emitted, violations: list[Violation], report: Recorder, target: Target
) -> bool:
    """Leave out the rules of a route that the violations are in, if that makes it valid: one
    bad value must not take the route's other paths down. Rules with a name stay (policies
    may target them by it). True if the route can be printed without them."""
    from ingress2gateway.validation import CEL_NOT_CHECKED
    from ingress2gateway.validation import validate as validate_object

    rules = item.body.get("spec", {}).get("rules")
    if not item.rules or not isinstance(rules, list) or len(item.rules) != len(rules):
        return False
    bad: dict[int, list[Violation]] = {}
    for violation in violations:
        if violation.message == CEL_NOT_CHECKED:
            continue  # the rules are checked again, in full, once the bad rules are out
        match = _RULE_PATH.match(violation.path)
        if match is None or int(match.group(1)) >= len(rules):
            return False
        bad.setdefault(int(match.group(1)), []).append(violation)
    if len(bad) == len(rules) or any(rules[index].get("name") for index in bad):
        return False
    trimmed = {
        **item.body,
        "spec": {
            **item.body["spec"],
            "rules": [rule for index, rule in enumerate(rules) if index not in bad],
        },
    }
    if validate_object(trimmed, target):
        return False
    item.body, item.text = trimmed, None  # encoded again by whoever prints it
    for index, found in sorted(bad.items()):
        first = found[0]
        message = (
            f"rule {index} of {item.ref.display()} would be rejected by the API server: "
            f"{first.path}: {first.message} ({first.rule}); the rule is left out, the rest of "
            "the route is printed"
        )
        if not item.rules[index]:
            report.error(
                "output-invalid", message, source=item.sources[0] if item.sources else None
            )
        for prov in item.rules[index]:
            report.error("output-invalid", message, source=prov.source, field=prov.field)
            report.left_out(prov.source, prov.field, message)
    return True
