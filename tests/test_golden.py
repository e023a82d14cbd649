"""Every golden case: output and report match, output validates, the ledger is complete,
and the output does not depend on the order of the input objects."""

from __future__ import annotations

import random

import pytest

import ingress2gateway
from ingress2gateway.converting.ingress import is_ingress
from ingress2gateway.emitters.gatewayapi import sort_key
from ingress2gateway.plugin import ConvertOptions, Emitted
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.scaling import convert_streaming
from ingress2gateway.validation import validate

from .golden import Case, cases, compact_report, normalise_output, run_case
from .ledger_checks import missing_ledger_fields

CASES = cases()


def test_there_are_enough_plain_ingress_cases() -> None:
    assert len([c for c in CASES if c.directory.parent.name == "nginx"]) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    result = run_case(case)
    output = normalise_output(ingress2gateway.dump(result.resources, "yaml"))
    report = compact_report(result, case.directory)
    output_path = case.directory / "output.yaml"
    report_path = case.directory / "report.txt"
    if update_golden:
        output_path.write_text(output)
        report_path.write_text(report)
    assert output == output_path.read_text(), (
        f"{case.id}: output differs (run pytest --update-golden and review git diff)"
    )
    assert report == report_path.read_text(), (
        f"{case.id}: report differs (run pytest --update-golden and review git diff)"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_output_is_valid_for_its_target(case: Case) -> None:
    result = run_case(case)
    for obj in result.resources:
        assert validate(obj, result.target) == [], (
            f"{case.id}: invalid {obj['kind']} {obj['metadata']['name']}"
        )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_ledger_is_complete(case: Case) -> None:
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    result = run_case(case, objects)
    assert missing_ledger_fields(objects, result) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_output_does_not_depend_on_input_order(case: Case) -> None:
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    expected = ingress2gateway.dump(run_case(case, objects).resources)
    shuffled = list(objects)
    random.Random(7).shuffle(shuffled)
    if len(shuffled) > 1 and any(is_ingress(o) for o in shuffled):
        assert ingress2gateway.dump(run_case(case, shuffled).resources) == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_streaming_with_the_input_handed_over_gives_the_same_objects_in_order(case: Case) -> None:
    """What the CLI relies on to print each object as it comes (and to free its input)."""
    streamed: list[Emitted] = []
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    report = Recorder()
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=report)
    result = convert_streaming(
        iter(objects),
        options=options,
        on_object=streamed.append,
        release_input=True,
        report=report,
        **args,
    )
    assert result.resources == []
    keys = [sort_key(item) for item in streamed]
    assert keys == sorted(keys)
    plain = run_case(case)
    assert [item.body for item in streamed] == plain.resources
    assert result.report.sorted_notifications() == plain.report.sorted_notifications()
    assert result.report.sorted_ledger() == plain.report.sorted_ledger()
