"""Reading OpenAPI documents: an ``openapi``/``swagger`` document without apiVersion and kind is
an ``OpenAPIDocument`` of the documents group; Kubernetes manifests read as before."""

from __future__ import annotations

from pathlib import Path

from ingress2gateway.converting.selecting import select
from ingress2gateway.objects import DOCUMENTS_GROUP, OPENAPI_DOCUMENT_KIND
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reading.manifests import read_inputs
from ingress2gateway.reporting.report import Recorder

DOC = "openapi: 3.0.3\ninfo:\n  title: Pet Store API!\n  version: '1'\npaths: {}\n"


def _read(tmp_path: Path, name: str, text: str) -> tuple[list, Recorder]:  # type: ignore[type-arg]
    path = tmp_path / name
    path.write_text(text)
    report = Recorder()
    return read_inputs([str(path)], report=report).objects, report


def test_an_openapi_document_is_read_as_an_object_named_from_its_title(tmp_path: Path) -> None:
    objects, report = _read(tmp_path, "api.yaml", "# comment\n" + DOC)
    [obj] = objects
    assert (obj.group, obj.kind, obj.name, obj.namespace) == (
        DOCUMENTS_GROUP,
        OPENAPI_DOCUMENT_KIND,
        "pet-store-api",
        None,
    )
    assert obj.data["openapi"] == "3.0.3" and obj.data["paths"] == {}
    assert obj.origin.line == 2 and report.notifications == []  # the first line of content


def test_json_swagger_and_untitled_documents(tmp_path: Path) -> None:
    objects, _ = _read(tmp_path, "My_Spec.json", '{"swagger": "2.0", "paths": {}}')
    assert [(o.kind, o.name) for o in objects] == [(OPENAPI_DOCUMENT_KIND, "my-spec")]


def test_documents_with_one_title_get_distinct_names(tmp_path: Path) -> None:
    objects, _ = _read(tmp_path, "two.yaml", DOC + "---\n" + DOC)
    assert [o.name for o in objects] == ["pet-store-api", "pet-store-api-2"]
    assert [o.origin.line for o in objects] == [1, 7]


def test_kubernetes_objects_and_other_documents_read_as_before(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nopenapi: 3.0.0\n---\njust: data\n"
    objects, report = _read(tmp_path, "k.yaml", text)
    assert [(o.kind, o.name) for o in objects] == [("Service", "s")]
    assert [n.code for n in report.notifications] == ["input-not-kubernetes"]


def test_a_document_with_metadata_is_one_error_line_naming_file_and_line(tmp_path: Path) -> None:
    objects, report = _read(tmp_path, "bad.yaml", "a: 1\n---\n" + DOC + "metadata: {}\n")
    assert objects == []
    errors = [n for n in report.notifications if n.code == "input-invalid"]
    assert len(errors) == 1 and "\n" not in errors[0].message
    assert errors[0].source is not None
    assert errors[0].source.file.endswith("bad.yaml") and errors[0].source.line == 3


def test_selecting_a_namespace_keeps_documents(tmp_path: Path) -> None:
    """``-n shop`` keeps the objects of ``shop`` and those of no namespace: a document has none,
    like a cluster-scoped object, and must not vanish without a word."""
    ingress = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: %s}\n"
    )
    objects, _ = _read(
        tmp_path, "all.yaml", DOC + "---\n" + ingress % "shop" + "---\n" + ingress % "other"
    )
    kept = select(objects, ConvertOptions(namespace="shop"), Recorder())
    assert [(o.kind, o.namespace) for o in kept] == [
        (OPENAPI_DOCUMENT_KIND, None),
        ("Ingress", "shop"),
    ]
