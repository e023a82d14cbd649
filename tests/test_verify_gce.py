"""The model of GKE (``ingress2gateway_providers.gce.controller_model``) and ``verify`` over
every GCE input the project holds: no unexplained difference, and a broken migration caught."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.compare import compare
from ingress2gateway.verification.model import Forward, NoRoute, Redirect, Request, Routed
from ingress2gateway_providers.gce.controller_model import GkeModel, controller_model

from .golden import Case, cases
from .shared_data import SHARED, require_shared

TESTDATA = Path(__file__).resolve().parent.parent / "testdata" / "gce"


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def gke(text: str, **options: Any) -> GkeModel:
    model = controller_model(objects_of(text), ConvertOptions(**options))
    assert model is not None
    return model


def golden_text(case: str) -> str:
    return (TESTDATA / case / "input.yaml").read_text()


def backend(answer: Routed) -> str | None:
    outcome = answer.outcome
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        found = outcome.backends[0][0]
        return f"{found.name}:{found.port}"
    return None


# --- the model, from ingress-gce's code -------------------------------------------------------


def test_the_url_map_takes_the_longest_path_rule() -> None:
    model = gke(golden_text("paths"))

    def ask(path: str, host: str = "paths.example.com") -> str | None:
        return backend(model.route(Request(host, path)))

    assert ask("/exact") == "app:80"
    assert ask("/exact/") == "fallback:80"
    assert ask("/prefix/a") == "app:80"
    assert ask("/prefixed") == "fallback:80"
    assert ask("/glob") == "fallback:80"
    assert ask("/glob/") == "glob:80"
    assert ask("/", "root.example.com") == "app:80"
    assert ask("/a", "root.example.com") == "fallback:80"
    assert ask("/x", "nobody.example.com") == "fallback:80"


def test_only_what_gke_serves_is_modelled() -> None:
    model = gke(golden_text("classes"))
    names = sorted(lb.ingress.name or "" for lb in model.balancers)
    assert names == ["annotated", "annotation-wins", "unclassed"]
    only_internal = gke(golden_text("classes"), ingress_classes=("gce-internal",))
    assert [lb.ingress.name for lb in only_internal.balancers] == ["annotation-wins"]


def test_plain_http_certificates_and_redirects() -> None:
    model = gke(golden_text("tls-and-allow-http"))
    assert isinstance(model.route(Request("a.example.com", "/")).outcome, NoRoute)
    assert backend(model.route(Request("a.example.com", "/", "https"))) == "app:80"
    assert "nothing" not in {lb.ingress.name for lb in model.balancers}
    front = gke(golden_text("frontend-config"))
    answer = front.route(Request("front.example.com", "/a", query="q=1"))
    assert answer.outcome == Redirect(302, "https://front.example.com/a?q=1")


def test_backend_config_access_controls_are_guards() -> None:
    model = gke(golden_text("access-closed"))
    outcome = model.route(Request("portal.example.com", "/admin/x")).outcome
    assert isinstance(outcome, Forward) and outcome.guards == ("identity-aware-proxy",)
    outcome = model.route(Request("portal.example.com", "/shop")).outcome
    assert isinstance(outcome, Forward) and outcome.guards == ("cloud-armor block-bad-ips",)


def test_url_map_quirks() -> None:
    model = gke(golden_text("url-map-quirks"))
    assert isinstance(model.route(Request("same.example.com", "/replaced")).outcome, NoRoute)
    assert backend(model.route(Request("same.example.com", "/dup"))) == "second:80"
    assert backend(model.route(Request("empty.example.com", "/x/y"))) == "everything:80"


def test_the_requests_include_each_path_and_its_directory() -> None:
    requests = set(gke(golden_text("paths")).requests())
    assert Request("paths.example.com", "/glob") in requests
    assert Request("paths.example.com", "/glob/") in requests
    assert Request("unknown.invalid", "/") in requests


# --- verify over every GCE input ------------------------------------------------------------


def _unexplained(objects: list[KubeObject], emitter: str, options: ConvertOptions) -> list[str]:
    found = ingress2gateway.verify(objects, providers="gce", emitter=emitter, options=options)
    assert found.requests > 0
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


GOLDEN = cases("gce")


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("case", GOLDEN, ids=[c.id for c in GOLDEN])
def test_verify_finds_no_unexplained_difference_in_the_golden_cases(
    case: Case, emitter: str
) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    assert _unexplained(objects, emitter, options) == []


def _corpus() -> list[Path]:
    root = SHARED / "corpus" / "gce"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".json") and p.is_file())


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("path", _corpus() or [Path("none")], ids=lambda p: p.name)
def test_verify_finds_no_unexplained_difference_in_the_corpus(path: Path, emitter: str) -> None:
    require_shared("corpus")
    objects = ingress2gateway.load_manifests([path])
    if controller_model(objects, ConvertOptions()) is None:
        pytest.skip("no Ingress GKE serves")
    assert _unexplained(objects, emitter, ConvertOptions()) == []


def test_a_broken_migration_is_caught() -> None:
    objects = objects_of(golden_text("paths"))
    model = controller_model(objects, ConvertOptions())
    assert model is not None
    result = ingress2gateway.convert(objects, providers=["gce"])
    broken = copy.deepcopy(result.resources)
    for obj in broken:
        if obj["kind"] != "HTTPRoute":
            continue
        for item in obj["spec"]["rules"]:
            for match in item.get("matches", []):
                if match.get("path", {}).get("value") == "/is-exact":
                    match["path"]["type"] = "PathPrefix"  # the mistake most converters make
    found = compare(model, sorted(model.requests()), broken, result.report)
    assert [d.request.path for d in found.unexplained] == ["/is-exact/", "/is-exact/sub"]


# --- verified against ingress-gce's translator tests --------------------------------------------

TRANSLATOR = (
    SHARED / "corpus" / "gce" / "ingress-gce" / "pkg" / "controller" / "translator" / "testdata"
)
# The cases whose Services all exist in the translator test (the "missing" ones name Services
# the test leaves out, which the model, given no Services, cannot know are missing).
TRANSLATOR_CASES = ["no-host", "single-host", "two-hosts", "multi-paths", "multi-empty",
                    "gce-regional-external"]  # fmt: skip


def _expected_url_map(case: str) -> dict[str, set[tuple[str, str, str, int]]]:
    found: dict[str, set[tuple[str, str, str, int]]] = {}
    data = json.loads((TRANSLATOR / f"ingress-{case}.json").read_text())
    assert data["DefaultBackend"]["ID"]["Service"]["Name"] == "default-http-backend"
    for host in data.get("HostRules") or []:
        found[host["HostName"]] = {
            (
                p["Path"],
                p["Backend"]["ID"]["Service"]["Namespace"],
                p["Backend"]["ID"]["Service"]["Name"],
                p["Backend"]["ID"]["Port"]["Number"],
            )
            for p in host["Paths"]
        }
    return found


@pytest.mark.parametrize("case", TRANSLATOR_CASES)
def test_the_model_builds_the_url_map_ingress_gce_expects(case: str) -> None:
    require_shared("corpus")
    objects = ingress2gateway.load_manifests([TRANSLATOR / f"ingress-{case}.yaml"])
    model = controller_model(objects, ConvertOptions())
    assert model is not None
    [lb] = model.balancers
    assert lb.default is None  # GKE's own default backend
    mine = {
        host: {(r.path, r.backend.namespace, r.backend.name, r.backend.port) for r in rules}
        for host, rules in lb.hosts.items()
    }
    assert mine == _expected_url_map(case)
