"""The class hooks of :class:`IngressProvider`: a controller that reads the class its own way
converts what it served, and an Ingress of its class that it did not serve is skipped with
its reason, not with advice to pass ``--ingress-class`` (which would convert it wrongly)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

import ingress2gateway
from ingress2gateway.converting.ingress import CLASS_ANNOTATION, IngressClassInfo
from ingress2gateway.converting.ingress_provider import IngressProvider
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Recorder


class AnnotationOnly(IngressProvider):
    """Serves class ``lb`` by the annotation only, and Ingresses with no class at all."""

    name = "annotation-only"
    ingress_class_names = ("lb",)

    def ingress_class(
        self, ctx: ProviderContext, obj: KubeObject, classes: Mapping[str, IngressClassInfo]
    ) -> tuple[str | None, str | None]:
        annotated = obj.annotations.get(CLASS_ANNOTATION)
        if annotated:
            return annotated, f"metadata.annotations[{CLASS_ANNOTATION}]"
        if obj.spec.get("ingressClassName") is None:
            return "lb", None
        return None, None

    def unserved_reason(self, ctx: ProviderContext, obj: KubeObject) -> str | None:
        if obj.spec.get("ingressClassName") and CLASS_ANNOTATION not in obj.annotations:
            return "the lb controller reads only the annotation; it never served this Ingress"
        return None


def _ingress(name: str, *, field: str | None = None, annotation: str | None = None) -> str:
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "web"},
        "spec": {
            "rules": [
                {
                    "host": f"{name}.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "app", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    }
    if field:
        doc["spec"]["ingressClassName"] = field  # type: ignore[index]
    if annotation:
        doc["metadata"]["annotations"] = {CLASS_ANNOTATION: annotation}  # type: ignore[index]
    return yaml.safe_dump(doc)


def _convert(*docs: str, tmp: Path) -> ingress2gateway.Result:
    path = tmp / "in.yaml"
    path.write_text("---\n".join(docs))
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    return ingress2gateway.convert(objects, providers=[AnnotationOnly()])


def _hosts(result: ingress2gateway.Result) -> set[str]:
    return {
        host
        for obj in result.resources
        if obj["kind"] == "HTTPRoute"
        for host in obj["spec"].get("hostnames", [])
    }


def test_the_provider_reads_the_class_its_own_way(tmp_path: Path) -> None:
    result = _convert(
        _ingress("annotated", annotation="lb", field="other"),
        _ingress("unclassed"),
        _ingress("field-only", field="lb"),
        tmp=tmp_path,
    )
    assert _hosts(result) == {"annotated.example.com", "unclassed.example.com"}


def test_an_unserved_ingress_of_its_class_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result = _convert(_ingress("field-only", field="lb"), tmp=tmp_path)
    [skipped] = [
        n for n in result.report.notifications if n.source and n.source.name == "field-only"
    ]
    assert skipped.message == (
        "skipped: the lb controller reads only the annotation; it never served this Ingress"
    )
    assert "--ingress-class" not in skipped.message
