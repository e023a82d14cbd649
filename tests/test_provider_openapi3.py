"""The openapi3 provider: servers, templated paths, methods and security through the output,
request by request (the Gateway API model over the converted objects)."""

from __future__ import annotations

from typing import Any

import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reading.manifests import read_inputs
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.validation import validate
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import Forward, NoRoute, Request, Respond

BACKEND = {"openapi3": {"backend": "apps/petstore:8080"}}


def _objects(text: str, tmp_path: Any) -> list[KubeObject]:
    path = tmp_path / "api.yaml"
    path.write_text(text)
    return read_inputs([str(path)], report=Recorder()).objects


def _convert(text: str, tmp_path: Any, emitter: str = "standard", **options: Any) -> Result:
    opts = ConvertOptions(provider_options=options.pop("provider_options", BACKEND), **options)
    result = ingress2gateway.convert(
        _objects(text, tmp_path), providers=["openapi3"], emitter=emitter, options=opts
    )
    assert [p for o in result.resources for p in validate(o, result.target)] == []
    return result


def _route(result: Result, request: Request) -> Any:
    return GatewayAPIModel([dict(o) for o in result.resources]).route(request).outcome


PETS = """
openapi: 3.0.3
info: {title: Pets, version: '1'}
servers:
- url: https://api.example.com/v1
- url: /local
paths:
  /pets:
    get: {responses: {'200': {description: ok}}}
    post: {responses: {'200': {description: ok}}}
  /pets/mine:
    get: {responses: {'200': {description: ok}}}
  /pets/{petId}:
    get: {responses: {'200': {description: ok}}}
  /reports/{id}.{format}:
    get: {responses: {'200': {description: ok}}}
"""


def _backend(outcome: Any) -> str:
    assert isinstance(outcome, Forward), outcome
    return outcome.backends[0][0].display()


def test_servers_paths_and_methods_route_to_the_backend(tmp_path: Any) -> None:
    result = _convert(PETS, tmp_path, gateway_class_name="eg")
    https = Request("api.example.com", "/v1/pets", "https")
    assert _backend(_route(result, https)) == "apps/petstore:8080"
    assert _backend(_route(result, Request("any.host", "/local/pets/7"))) == "apps/petstore:8080"
    assert _backend(_route(result, Request("a", "/local/reports/1.csv"))) == "apps/petstore:8080"
    # not described: another method, another host, a template spanning two segments
    assert isinstance(_route(result, Request("a", "/local/pets", method="DELETE")), NoRoute)
    assert isinstance(_route(result, Request("other", "/v1/pets", "https")), NoRoute)
    assert isinstance(_route(result, Request("a", "/local/pets/7/8")), NoRoute)
    assert isinstance(_route(result, Request("a", "/local/reports/1csv")), NoRoute)
    gateway = next(o for o in result.resources if o["kind"] == "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "eg"
    hosts = [listener.get("hostname") for listener in gateway["spec"]["listeners"]]
    assert hosts == [None, "api.example.com"]  # never "*"
    text = yaml.safe_dump(result.resources)
    assert "{petId}" not in text and "{id}" not in text


def test_security_closes_what_it_protects_and_is_reported(tmp_path: Any) -> None:
    doc = (
        PETS
        + """
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
"""
    )
    doc = doc.replace("  /pets/mine:\n    get: {", "  /pets/mine:\n    get: {security: [], ")
    for emitter in ("standard", "envoy-gateway"):
        result = _convert(doc, tmp_path, emitter)
        closed = _route(result, Request("a", "/local/pets"))
        assert isinstance(closed, Respond) or closed.guards, closed
        assert _backend(_route(result, Request("a", "/local/pets/mine"))) == "apps/petstore:8080"
        errors = [n for n in result.report.notifications if n.code == "openapi3-security"]
        assert errors and errors[0].security


def test_without_a_backend_the_rules_answer_500_and_an_error_says_so(tmp_path: Any) -> None:
    result = _convert(PETS, tmp_path, provider_options={})
    assert isinstance(_route(result, Request("a", "/local/pets")), Respond)
    assert "openapi3-backend-missing" in {n.code for n in result.report.notifications}


def test_options_secret_and_namespaces_give_reference_grants(tmp_path: Any) -> None:
    options = {"openapi3": {"backend": "apps/petstore:8080", "gateway-tls-secret": "certs/api"}}
    result = _convert(PETS, tmp_path, provider_options=options, gateway_namespace="edge")
    grants = sorted(
        (o["metadata"]["namespace"], o["spec"]["to"][0]["kind"])
        for o in result.resources
        if o["kind"] == "ReferenceGrant"
    )
    assert grants == [("apps", "Service"), ("certs", "Secret")]


def test_swagger_2_is_reported_and_not_converted(tmp_path: Any) -> None:
    result = _convert("swagger: '2.0'\ninfo: {title: Old}\npaths: {/a: {get: {}}}\n", tmp_path)
    assert result.resources == []
    codes = [n.code for n in result.report.notifications]
    assert "openapi3-version-unsupported" in codes


def test_bad_values_are_reported_never_copied(tmp_path: Any) -> None:
    doc = """
openapi: 3.1.0
info: {title: Bad}
servers:
- url: ftp://files.example.com
- url: https://{tenant}.example.com:{port}
  variables:
    tenant: {default: a, enum: [a, b]}
    port: {default: '8443'}
- url: http://10.0.0.1/x
paths:
  /a b: {get: {}}
  /ok/{}: {get: {}}
  /ok:
    get: {}
    x-internal: true
"""
    result = _convert(doc, tmp_path)
    codes = {n.code for n in result.report.notifications}
    assert {"openapi3-server-skipped", "openapi3-value-invalid", "openapi3-server-ip"} <= codes
    assert "openapi3-extension-ignored" in codes
    gateway = next(o for o in result.resources if o["kind"] == "Gateway")
    assert sorted((x["port"], x.get("hostname", "")) for x in gateway["spec"]["listeners"]) == [
        (80, ""),
        (8443, "a.example.com"),
        (8443, "b.example.com"),
    ]
    assert "a b" not in yaml.safe_dump(result.resources)


def test_many_operations_are_split_into_valid_routes(tmp_path: Any) -> None:
    paths = {f"/r{i}": {m: {} for m in ("get", "put", "post")} for i in range(100)}
    doc = {"openapi": "3.0.0", "info": {"title": "Big"}, "paths": paths}
    result = _convert(yaml.safe_dump(doc), tmp_path)
    routes = [o for o in result.resources if o["kind"] == "HTTPRoute"]
    assert len(routes) > 1
    assert sum(len(r["matches"]) for o in routes for r in o["spec"]["rules"]) == 300


def test_every_top_level_field_has_a_ledger_entry(tmp_path: Any) -> None:
    doc = PETS + "tags: []\nexternalDocs: {url: x}\nx-logo: y\nwebhooks: {}\n"
    result = _convert(doc, tmp_path)
    fields = {e.field for e in result.report.ledger.values() if e.source.kind == "OpenAPIDocument"}
    for key in yaml.safe_load(doc):
        assert any(f == key or f.startswith((key + ".", key + "[")) for f in fields), key


def test_library_objects_without_origin_convert(tmp_path: Any) -> None:
    obj = KubeObject(
        {
            "apiVersion": "documents.ingress2gateway.io/v1",
            "kind": "OpenAPIDocument",
            "metadata": {"name": "lib"},
            "openapi": "3.0.0",
            "paths": {"/x": {"get": {}}},
        },
        Origin("<input>"),
    )
    result = ingress2gateway.convert([obj], providers=["openapi3"])
    assert [o["kind"] for o in result.resources] == ["Gateway", "HTTPRoute"]


def test_a_relative_server_still_serves_hosts_other_servers_name(tmp_path: Any) -> None:
    doc = PETS.replace("https://api.example.com/v1", "http://api.example.com/v1")
    result = _convert(doc, tmp_path)
    # api.example.com:80 has a listener of its own, which Gateway API picks for that host
    assert (
        _backend(_route(result, Request("api.example.com", "/local/pets"))) == "apps/petstore:8080"
    )
    assert _backend(_route(result, Request("api.example.com", "/v1/pets"))) == "apps/petstore:8080"
    assert isinstance(_route(result, Request("other.example.com", "/v1/pets")), NoRoute)
