"""The plan of every golden case (nginx, Istio, Kong; both emitters): made without error,
and true to its own rules — the statuses follow from the checklist, every step concerns
objects of the table, each prerequisite is listed once, the forms agree."""

from __future__ import annotations

import json

import pytest

import ingress2gateway
from ingress2gateway.planning import make_plan, render
from tests.golden import Case, cases, run_case


@pytest.mark.slow
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_the_plan_of_a_golden_case_keeps_its_rules(case: Case) -> None:
    result = run_case(case)
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    plan = make_plan(result, inputs=objects)
    data = plan.to_json()
    assert json.loads(render(plan, "json")) == data

    rows = {
        json.dumps(o["source"], sort_keys=True): o for t in data["namespaces"] for o in t["objects"]
    }
    steps_of: dict[str, list[dict[str, object]]] = {key: [] for key in rows}
    for step in data["checklist"]:
        for source in {json.dumps(c["source"], sort_keys=True) for c in step["concerns"]}:
            if json.loads(source)["kind"]:  # a place in a file is no object
                assert source in rows, f"a step about an object the table lacks: {source}"
                steps_of[source].append(step)
    for key, row in rows.items():
        mine = steps_of[key]
        expected = (
            "blocked" if any(s["blocking"] for s in mine) else "needs-action" if mine else "ready"
        )
        assert (row["status"], row["steps"]) == (expected, len(mine))

    subjects = [p["subject"] for p in data["prerequisites"]]
    assert len(subjects) == len(set(subjects))
    for gateway in (r for r in result.resources if r["kind"] == "Gateway"):
        assert f"GatewayClass {gateway['spec']['gatewayClassName']}" in subjects

    markdown = render(plan, "markdown")
    assert markdown.count("\n### Namespace ") == len(data["namespaces"])
    for row in rows.values():
        assert f"**{row['status'].replace('-', ' ')}**" in markdown
    page = render(plan, "html")
    assert page.count('class="object"') == len(rows)
    assert "<script" not in page.lower()
