"""A plan is made of every vendor corpus (ingress-nginx, NGINX Inc, Istio, Kong), each as one
input as a user would pass a directory, under both emitters: real manifests hold what made-up
cases do not (objects without a namespace once crashed the cut-over steps)."""

from __future__ import annotations

import pytest

import ingress2gateway
from ingress2gateway.planning import make_plan, render
from ingress2gateway.reporting.report import Recorder

from .shared_data import require_shared

CORPORA = {
    "ingress-nginx": "nginx",
    "nginx-inc": "nginx",
    "istio": "istio",
    "kong": "kong",
    "gce": "gce",
    "traefik": "traefik",
    "apisix": "apisix",
    "cilium": "cilium",
    "haproxy": "haproxy",
    "openapi3": "openapi3",
}


@pytest.mark.slow
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_every_corpus_makes_a_plan(corpus: str, emitter: str) -> None:
    folder = require_shared("corpus", corpus)
    objects = ingress2gateway.load_manifests([folder], report=Recorder())
    result = ingress2gateway.convert(objects, [CORPORA[corpus]], emitter)
    plan = make_plan(result, inputs=objects)
    text = render(plan, "html")
    assert "<html" in text and plan.to_json()["namespaces"]
