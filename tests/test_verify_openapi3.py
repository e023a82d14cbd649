"""verify with the openapi3 model: every corpus document and scenario routes as its description
says (no unexplained difference, both emitters), and a broken migration is caught."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import ingress2gateway
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder

from .shared_data import SHARED, require_shared
from .test_provider_openapi3 import PETS

OPTIONS = ConvertOptions(provider_options={"openapi3": {"backend": "apps/petstore:8080"}})
_CORPUS = sorted(
    p for p in (SHARED / "corpus" / "openapi3").rglob("*") if p.suffix in (".yaml", ".json")
)


def _documents(path: Path) -> list[Any]:
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    return [o for o in objects if o.kind == "OpenAPIDocument"]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_corpus_documents_verify_without_unexplained_differences(emitter: str) -> None:
    require_shared("corpus")
    requests = 0
    for path in _CORPUS:
        documents = _documents(path)
        if not documents:
            continue
        result = ingress2gateway.verify(
            documents, providers=["openapi3"], emitter=emitter, options=OPTIONS
        )
        assert [d.request.display() for d in result.unexplained] == [], path
        requests += result.requests
    assert requests > 500


def test_scenarios_verify_and_security_differences_are_explained(tmp_path: Path) -> None:
    doc = (
        PETS
        + "security: [{key: []}]\ncomponents: {securitySchemes: {key: {type: http, scheme: basic}}}\n"
    )
    path = tmp_path / "api.yaml"
    path.write_text(doc)
    result = ingress2gateway.verify(_documents(path), providers=["openapi3"], options=OPTIONS)
    assert result.differences and result.unexplained == []
    assert all("openapi3-security" in d.explained_by for d in result.differences)


def test_a_broken_migration_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(PETS)
    documents = _documents(path)
    converted = ingress2gateway.convert(documents, providers=["openapi3"], options=OPTIONS)
    broken = copy.deepcopy(converted.resources)
    for obj in broken:
        if obj["kind"] == "HTTPRoute":
            obj["spec"]["rules"][0]["backendRefs"][0]["name"] = "elsewhere"
            obj["spec"]["rules"][0]["matches"][0]["method"] = "DELETE"
    result = ingress2gateway.verify(
        documents, broken, providers=["openapi3"], options=OPTIONS, report=converted.report
    )
    assert result.unexplained


def test_the_model_answers_what_the_description_says(tmp_path: Path) -> None:
    from ingress2gateway.verification.model import Forward, NoRoute, Request
    from ingress2gateway_providers.openapi3 import PROVIDER

    path = tmp_path / "api.yaml"
    path.write_text(PETS)
    model = PROVIDER.controller_model(_documents(path), OPTIONS)
    assert model is not None
    mine = model.route(Request("x", "/local/pets/mine"))
    assert isinstance(mine.outcome, Forward)
    assert mine.causes[0].field == "paths[/pets/mine].get"  # concrete before templated
    assert model.route(Request("x", "/local/pets/7")).causes[0].field == "paths[/pets/{petId}].get"
    assert isinstance(model.route(Request("x", "/local/pets", method="PUT")).outcome, NoRoute)
    assert isinstance(model.route(Request("api.example.com", "/v1/pets")).outcome, NoRoute)


def test_overlapping_paths_and_address_servers_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(
        (
            Path(__file__).parent.parent / "testdata/openapi3/overlapping-paths/input.yaml"
        ).read_text()
    )
    result = ingress2gateway.verify(_documents(path), providers=["openapi3"], options=OPTIONS)
    assert result.unexplained == []
    codes = {code for d in result.differences for code in d.explained_by}
    assert codes == {"openapi3-path-shadowed", "openapi3-server-ip"}
