"""Request by request, the gke goldens route as the source controllers did, or the report says
why not (``verify``'s two models): GKE's 301/302-only redirects, the rules left out for a method
match, the L4 routes GKE's L7 Gateways cannot serve and the closed access controls."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ingress2gateway

GOLDENS = Path(__file__).resolve().parent.parent / "testdata" / "gke"
CASES = sorted(p for p in GOLDENS.iterdir() if (p / "input.yaml").exists())


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_difference_is_explained(case: Path) -> None:
    args = yaml.safe_load((case / "args.yaml").read_text())
    objects = ingress2gateway.load_manifests([case / "input.yaml"])
    found = ingress2gateway.verify(
        objects,
        providers=args["providers"],
        emitter="gke",
        emitter_options=args.get("emitter_options"),
    )
    assert [d.request.display() for d in found.unexplained] == []


def test_a_redirect_keeps_its_permanence() -> None:
    case = GOLDENS / "istio-unsupported-standard"
    objects = ingress2gateway.load_manifests([case / "input.yaml"])
    found = ingress2gateway.verify(objects, providers=["istio"], emitter="gke")
    answers = {d.target.outcome.display() for d in found.differences}
    assert any("302 redirect" in text for text in answers)
