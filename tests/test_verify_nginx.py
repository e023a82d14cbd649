"""verify over every ingress-nginx input the project has: the golden cases (both emitters), the
shared ingress-nginx corpus (the controller's docs and examples) and the Go tool's ingress-nginx
fixtures. Every request must route as ingress-nginx routed it, or the report must say which
requests change (issue: verify). NGINX Inc's inputs are verified in test_nginx_inc_behaviour.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ingress2gateway
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder

from .golden import Case, cases
from .shared_data import SHARED, require_shared

EMITTERS = ("standard", "envoy-gateway")


def _golden_cases() -> list[Case]:
    nginx = list(cases("nginx"))
    nginx += [c for c in cases("envoy-gateway") if c.directory.name.startswith("nginx-")]
    return nginx


def _listed(found: Any) -> list[str]:
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", EMITTERS)
def test_every_golden_case_verifies_without_unexplained_differences(
    case: Case, emitter: str
) -> None:
    args = case.args
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    found = ingress2gateway.verify(
        objects,
        providers=args.get("providers", "nginx"),
        emitter=emitter,
        options=ConvertOptions(**args.get("options", {})),
        gateway_api_version=args.get("gateway_api_version"),
        channel=args.get("channel", "standard"),
    )
    assert _listed(found) == []


def _shared_inputs() -> list[Path]:
    corpus = require_shared("corpus", "ingress-nginx")
    found = sorted(corpus.rglob("*.yaml")) + sorted(corpus.rglob("*.yml"))
    for fixtures in ("ingress-nginx-pr399-kgateway", "ingress-nginx-pr399-agentgateway"):
        peer = require_shared("peer", "ingress2gateway", fixtures, "input")
        found += sorted(peer.glob("*.yaml"))
    return found


@pytest.mark.parametrize("emitter", EMITTERS)
def test_the_corpus_and_the_go_fixtures_verify_without_unexplained_differences(
    emitter: str,
) -> None:
    failures: list[str] = []
    verified = 0
    for path in _shared_inputs():
        objects = ingress2gateway.load_manifests([path], report=Recorder())
        found = ingress2gateway.verify(objects, providers="nginx", emitter=emitter)
        verified += found.requests
        failures += [f"{path.relative_to(SHARED)}: {line}" for line in _listed(found)]
    assert verified > 500  # the inputs are there and were routed
    assert failures == []
