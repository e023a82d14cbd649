"""The library as a migration script uses it: plain mappings in, names as strings, typed
errors for what could not be read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import as_objects
from ingress2gateway.errors import UsageError
from ingress2gateway.plugin import ProviderBase, ProviderContext
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


def test_a_script_passes_its_own_provider_and_emitter_objects() -> None:
    """Providers and the emitter by name or as objects (a script may wrap a built-in or bring
    its own); the target as a Target or a version string."""
    from ingress2gateway.registry import load_emitter, load_provider

    loaded = ingress2gateway.load_manifests(EXAMPLE)
    by_name = ingress2gateway.convert(loaded, ["nginx"], "standard", target="v1.5")
    seen: list[int] = []

    class Counting(ProviderBase):
        """The nginx provider, counting the objects it is given."""

        def __init__(self) -> None:
            self._nginx = load_provider("nginx")
            self.name = self._nginx.name
            self.aliases = self._nginx.aliases
            self.description = self._nginx.description
            self.resources = self._nginx.resources

        def convert(self, ctx: ProviderContext) -> None:
            seen.append(len(ctx.objects))
            self._nginx.convert(ctx)

    by_object = ingress2gateway.convert(
        loaded,
        [Counting()],
        load_emitter("standard"),
        target=ingress2gateway.Target.parse("v1.5"),
    )
    assert seen == [len(loaded)]
    assert by_object.resources == by_name.resources and by_name.resources
    assert by_object.providers == ["nginx"] and by_object.target.version.startswith("v1.5")
    assert by_object.report_json() == by_name.report_json()


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: ingress2gateway.convert([], []), "no provider given"),
        (lambda: ingress2gateway.convert([], ["nope"]), "unknown provider 'nope'"),
        (lambda: ingress2gateway.convert([], [42]), "a provider is a name or a Provider"),
        (lambda: ingress2gateway.convert([], "nginx", "nope"), "unknown emitter 'nope'"),
        (lambda: ingress2gateway.convert([], "nginx", target="v0.1"), "unknown Gateway API"),
        (
            lambda: ingress2gateway.convert([], "nginx", target="v1.5", gateway_api_version="v1.4"),
            "version once",
        ),
    ],
)
def test_library_errors_speak_of_arguments_not_flags(call: object, says: str) -> None:
    with pytest.raises(UsageError, match=says) as raised:
        call()  # type: ignore[operator]
    assert "--" not in str(raised.value) and " -n" not in str(raised.value)


def test_a_result_prints_as_counts_not_as_its_content() -> None:
    loaded = ingress2gateway.load_manifests(ROOT / "examples")
    result = ingress2gateway.convert(loaded, "nginx")
    text = repr(result)
    assert len(text) < 300 and "\n" not in text
    assert f"{len(result.resources)} object(s)" in text
    errors = result.report.count(ingress2gateway.Level.ERROR)
    assert f"{errors} error(s)" in text and f"{len(result.report.ledger)} ledger entries" in text


def test_the_types_a_script_handles_are_exported() -> None:
    from ingress2gateway import reporting

    result = ingress2gateway.convert(ingress2gateway.load_manifests(EXAMPLE), "nginx")
    assert isinstance(result, ingress2gateway.Result)
    assert isinstance(result.report, ingress2gateway.Report)
    assert all(isinstance(n, ingress2gateway.Notification) for n in result.report.notifications)
    assert all(isinstance(e, ingress2gateway.LedgerEntry) for e in result.report.ledger.values())
    assert {e.status for e in result.report.ledger.values()} <= set(ingress2gateway.Status)
    assert ingress2gateway.Level.ERROR is reporting.report.Level.ERROR
    assert isinstance(ingress2gateway.load_manifests(EXAMPLE)[0], ingress2gateway.KubeObject)
    assert ingress2gateway.ConvertOptions().gateway_per_namespace is False
    assert set(ingress2gateway.__all__) <= set(dir(ingress2gateway)) | {
        name for name in ingress2gateway.__all__ if getattr(ingress2gateway, name, None)
    }


def test_streaming_gives_what_convert_gives() -> None:
    loaded = ingress2gateway.load_manifests(ROOT / "examples")
    whole = ingress2gateway.convert(loaded, "nginx")
    printed: list[object] = []
    streamed = convert_streaming(
        ingress2gateway.load_manifests(ROOT / "examples"), "nginx", on_object=printed.append
    )
    assert [item.body for item in printed] == whole.resources  # type: ignore[attr-defined]
    assert streamed.resources == [] and streamed.report_json() == whole.report_json()
    assert repr(streamed) == repr(whole) and f"{len(printed)} object(s)" in repr(streamed)


def test_a_provider_object_missing_a_hook_is_named_in_one_line() -> None:
    class Bare:
        name = "bare"
        description = "converts nothing"
        resources = ()

        def convert(self, ctx: ProviderContext) -> None:
            pass

    with pytest.raises(UsageError) as caught:
        ingress2gateway.convert([], [Bare()])  # type: ignore[list-item]
    message = str(caught.value)
    assert "provider object 'bare' (Bare) lacks" in message and "ProviderBase" in message
    assert "\n" not in message and "--" not in message


def test_without_providers_every_installed_one_that_reads_the_input_converts_it() -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "web"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "shop", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    result = ingress2gateway.convert([ingress])
    # nginx and kong both read Ingresses; the class decides which converts it.
    assert "nginx" in result.providers and "kong" in result.providers
    assert [r["kind"] for r in result.resources] == ["Gateway", "HTTPRoute"]
    with pytest.raises(UsageError, match="no installed provider reads any object"):
        ingress2gateway.convert(
            [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}]
        )
