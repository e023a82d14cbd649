"""The library as a migration script uses it: plain mappings in, names as strings, typed
errors for what could not be read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import as_objects
from ingress2gateway.errors import UsageError
from ingress2gateway.scaling import convert_streaming

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"


def test_convert_takes_plain_mappings_and_one_provider_name() -> None:
    plain = list(yaml.safe_load_all(EXAMPLE.read_text()))
    loaded = ingress2gateway.load_manifests(EXAMPLE)
    from_mappings = ingress2gateway.convert(plain, "nginx")
    from_objects = ingress2gateway.convert(loaded, ["nginx"])
    assert from_mappings.resources == from_objects.resources and from_mappings.resources
    sources = {n.source.file for n in from_mappings.report.notifications if n.source}
    assert sources <= {"<input>"}


def test_convert_reads_a_comma_separated_provider_list() -> None:
    result = ingress2gateway.convert(ingress2gateway.load_manifests(EXAMPLE), "nginx,istio")
    assert result.providers == ["nginx", "istio"]


@pytest.mark.parametrize(
    ("objects", "says"),
    [
        ({"kind": "Ingress"}, "wrap a single object in a list"),
        (["kind: Ingress"], "object 0 is a str"),
    ],
)
def test_convert_refuses_what_is_not_objects_clearly(objects: object, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        ingress2gateway.convert(objects, "nginx")  # type: ignore[arg-type]


def test_a_mapping_that_cannot_be_an_object_is_reported_not_raised() -> None:
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    broken = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": deep}
    result = ingress2gateway.convert([broken, {"kind": "Service"}], "nginx")
    messages = [n.message for n in result.report.notifications if n.code == "input-invalid"]
    assert any("nested more than 128 levels" in m for m in messages)
    assert any("metadata.name is missing" in m for m in messages)


def test_the_errors_of_reading_are_exported() -> None:
    assert issubclass(ingress2gateway.ManifestError, Exception)
    problem = ingress2gateway.InputProblem("a.yaml", 3, "invalid YAML")
    assert str(problem) == "a.yaml:3: invalid YAML"


def test_handing_the_input_over_to_several_providers_converts_as_keeping_it() -> None:
    """With several providers, one may read an Ingress another has parsed (Kong looks for
    class conflicts across every Ingress): ``release_input`` must not drop a spec another
    provider still reads (``print --providers nginx,kong`` failed with an internal error)."""

    def ingress(name: str, klass: str) -> dict[str, object]:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": "web"},
            "spec": {
                "ingressClassName": klass,
                "rules": [
                    {
                        "host": f"{name}.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": name, "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        }

    def run(release: bool) -> list[object]:
        objects = as_objects([ingress("a", "nginx"), ingress("b", "kong")])
        printed: list[object] = []
        convert_streaming(
            iter(objects),
            ["nginx", "kong"],
            on_object=lambda item: printed.append(item.body),
            release_input=release,
        )
        return printed

    assert run(True) == run(False) != []
