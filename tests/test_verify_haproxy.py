"""``verify`` for HAProxy: the model of the two controllers (written from their code and
documentation, importing nothing of the converter) against the migration of the golden cases
and the corpus, request by request, and the model's own answers on the controllers'
documented behaviour."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Forward, NoRoute, Outcome, Redirect, Request
from ingress2gateway_providers.haproxy.controller_model import HAProxyModel, controller_model

from .golden import Case, cases
from .shared_data import SHARED, require_shared, shared_yaml_files


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def model(text: str, **options: Any) -> HAProxyModel:
    found = controller_model(objects_of(text), ConvertOptions(**options))
    assert found is not None
    return found


def answer(text: str, request: Request) -> Outcome:
    return model(text).route(request).outcome


def backend(outcome: Outcome) -> str | None:
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        return outcome.backends[0][0].name
    return None


def _listed(differences: Any) -> list[str]:
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in differences
    ]


def ingress(
    name: str,
    paths: list[tuple[str, str, str]],
    annotations: dict[str, str] | None = None,
    host: str = "app.example.com",
    class_name: str | None = "haproxy",
    tls: bool = False,
) -> str:
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": kind,
                            "backend": {"service": {"name": svc, "port": {"number": 80}}},
                        }
                        for path, kind, svc in paths
                    ]
                },
            }
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    return yaml.safe_dump(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": "web", "annotations": annotations or {}},
            "spec": spec,
        }
    )


TECH = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: haproxy}\n"
TECH += "spec: {controller: haproxy.org/ingress-controller}\n---\n"
COMMUNITY = TECH.replace("haproxy.org/ingress-controller", "haproxy-ingress.github.io/controller")


# --- the model on the controllers' documented behaviour -------------------------------------


def test_haproxytech_implementation_specific_takes_characters() -> None:
    text = TECH + ingress("a", [("/app", "ImplementationSpecific", "app")])
    assert backend(answer(text, Request("app.example.com", "/apple"))) == "app"
    assert isinstance(answer(text, Request("app.example.com", "/APP")), NoRoute)


def test_haproxytech_prefix_is_element_wise_and_exact_comes_first() -> None:
    text = TECH + ingress("a", [("/app", "Prefix", "prefix"), ("/app/x", "Exact", "exact")])
    assert backend(answer(text, Request("app.example.com", "/app/x"))) == "exact"
    assert backend(answer(text, Request("app.example.com", "/app/y"))) == "prefix"
    assert isinstance(answer(text, Request("app.example.com", "/apple")), NoRoute)


def test_haproxytech_redirects_a_tls_host_to_its_https_port() -> None:
    text = TECH + ingress("a", [("/", "Prefix", "web")], tls=True)
    outcome = answer(text, Request("app.example.com", "/x"))
    assert outcome == Redirect(302, "https://app.example.com:8443/x")


def test_haproxy_ingress_begin_ignores_case_and_longest_path_wins() -> None:
    text = COMMUNITY + ingress(
        "a", [("/Ap", "ImplementationSpecific", "begin"), ("/app/x", "Prefix", "prefix")]
    )
    assert backend(answer(text, Request("app.example.com", "/APPLE"))) == "begin"
    assert backend(answer(text, Request("app.example.com", "/app/x/1"))) == "prefix"


def test_haproxy_ingress_exempts_acme_challenges() -> None:
    text = COMMUNITY + ingress("a", [("/", "Prefix", "web")], tls=True)
    assert backend(answer(text, Request("app.example.com", "/.well-known/acme-challenge/t"))) == (
        "web"
    )
    assert isinstance(answer(text, Request("app.example.com", "/x")), Redirect)


def test_the_model_serves_nothing_it_does_not_own() -> None:
    text = ingress("a", [("/", "Prefix", "web")], class_name="nginx")
    assert controller_model(objects_of(text), ConvertOptions()) is None


# --- the migration against the model --------------------------------------------------------


@pytest.mark.parametrize("case", cases("haproxy"), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_golden_cases(
    case: Case, emitter: str
) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    args.pop("emitter", None)
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    found = ingress2gateway.verify(
        objects,
        providers=args.pop("providers"),
        emitter=emitter,
        options=options,
        gateway_api_version=args.get("gateway_api_version"),
        channel=args.get("channel", "standard"),
    )
    assert found.requests > 0
    assert _listed(found.unexplained) == []


@pytest.mark.parametrize(
    "path",
    shared_yaml_files("corpus", "haproxy"),
    ids=lambda p: str(p.relative_to(SHARED / "corpus" / "haproxy")),
)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_corpus(path: Path, emitter: str) -> None:
    require_shared("corpus", "haproxy")
    objects = ingress2gateway.load_manifests([path])
    found = ingress2gateway.verify(
        objects, providers="haproxy", emitter=emitter, channel="experimental"
    )
    assert _listed(found.unexplained) == []


def test_a_broken_migration_is_caught() -> None:
    """The model is an oracle that can disagree: a swapped backend and a lost redirect in the
    output are unexplained differences."""
    text = TECH + ingress(
        "a",
        [("/app", "ImplementationSpecific", "app"), ("/", "Prefix", "root")],
        tls=True,
    )
    objects = objects_of(text)
    result = ingress2gateway.convert(objects, providers=["haproxy"])
    broken = yaml.safe_load(yaml.safe_dump(result.resources))
    for obj in broken:
        for rule in obj.get("spec", {}).get("rules", []) or []:
            for ref in rule.get("backendRefs", []) or []:
                if ref.get("name") == "app":
                    ref["name"] = "root"
            rule.pop("filters", None)
    found = ingress2gateway.verify(objects, output=broken, providers="haproxy")
    listed = _listed(found.unexplained)
    assert any("/apple" in item and "web/app" in item for item in listed)
    assert any(item.startswith("GET http://") and "redirect" in item for item in listed)
