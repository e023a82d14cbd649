"""``verify --providers cilium``: the model of Cilium (``controller_model``) against facts of
Cilium's own tests and documentation, and the migration against the model.

| Cilium source | what it gives | test |
|---|---|---|
| ``operator/pkg/model/translation/envoy_virtual_host_test.go`` ``TestSortableRoute`` | route order: exact, regex, prefix, longer first | ``test_routes_are_sorted_as_cilium_s_sortable_route_test_says`` |
| ``operator/pkg/model/ingestion/testdata/ingress/conformance_host_rules_test_with_default_secret`` | listeners per host, TLS only for named hosts | ``test_ingestion_matches_cilium_s_conformance_host_rules_fixture`` |
| ``Documentation/network/servicemesh/path-types.rst`` | which Service answers each path, before and after the ``/impl.*`` patch | ``test_the_path_types_walkthrough_answers_as_documented`` |
| the goldens and the corpus | zero unexplained differences, both emitters | ``test_verify_finds_no_unexplained_difference_*`` |
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.verification.compare import compare
from ingress2gateway.verification.model import Backend, Cause, Forward, Redirect, Request
from ingress2gateway_providers.cilium.controller_model import CiliumModel, controller_model
from ingress2gateway_providers.cilium.controller_model.envoy import EnvoyRoute, _sort_key
from ingress2gateway_providers.cilium.controller_model.ingestion import ingest, service_ports

from .golden import Case, cases
from .shared_data import SHARED, require_shared

CORPUS = SHARED / "corpus" / "cilium"
PATH_TYPES = CORPUS / "cilium/examples/kubernetes/servicemesh/ingress-path-types-ingress.yaml"


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def model_of(objects: list[KubeObject], **options: Any) -> CiliumModel:
    found = controller_model(objects, ConvertOptions(**options))
    assert found is not None
    return found


def service(outcome: Any) -> str | None:
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        return outcome.backends[0][0].name
    return None


def test_routes_are_sorted_as_cilium_s_sortable_route_test_says() -> None:
    cause = Cause("Ingress", "default", "x")
    routes = {
        "regex match short": EnvoyRoute("regex", "/.*", (), (cause,)),
        "regex match long": EnvoyRoute("regex", "/regex/.*/long", (), (cause,)),
        "exact match short": EnvoyRoute("path", "/exact/match", (), (cause,)),
        "exact match long": EnvoyRoute("path", "/exact/match/longest", (), (cause,)),
        "prefix match short": EnvoyRoute("separated", "/prefix/match", (), (cause,)),
        "prefix match long": EnvoyRoute("separated", "/prefix/match/long", (), (cause,)),
    }
    ordered = sorted(routes, key=lambda name: _sort_key(routes[name]))
    assert ordered == [
        "exact match long",
        "exact match short",
        "regex match long",
        "regex match short",
        "prefix match long",
        "prefix match short",
    ]


def test_ingestion_matches_cilium_s_conformance_host_rules_fixture() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: host-rules, namespace: random-namespace}
spec:
  ingressClassName: cilium
  rules:
  - host: '*.foo.com'
    http:
      paths:
      - {backend: {service: {name: wildcard-foo-com, port: {number: 8080}}}, path: /, pathType: Prefix}
  - host: foo.bar.com
    http:
      paths:
      - {backend: {service: {name: foo-bar-com, port: {name: http}}}, path: /, pathType: Prefix}
  tls:
  - {hosts: [foo.bar.com], secretName: conformance-tls}
"""
    objects = objects_of(text)
    ingested = ingest(objects[0], ConvertOptions(), service_ports(objects))
    assert sorted(ingested.insecure) == ["*.foo.com", "foo.bar.com"]
    assert sorted(ingested.secure) == ["foo.bar.com"]
    secure = ingested.secure["foo.bar.com"]
    assert [r.backends for r in secure.routes] == [
        (Backend("random-namespace", "foo-bar-com", "http"),)
    ]
    assert secure.tls_cause is not None and secure.tls_cause.field == "spec.tls[0]"


def test_the_path_types_walkthrough_answers_as_documented() -> None:
    require_shared()
    objects = ingress2gateway.load_manifests([PATH_TYPES], report=Recorder())
    model = model_of(objects)
    host = "pathtypes.example.com"
    expected = {
        "/": "prefixpath",
        "/exact": "exactpath",
        "/prefix": "prefixpath2",
        "/impl": "implpath",
        "/implementation": "implpath2",
    }
    for path, wanted in expected.items():
        assert service(model.route(Request(host, path)).outcome) == wanted, path
    # "If we now patch the Ingress object to use the regex /impl.* ... /impl now matches the
    # longer pattern".
    for obj in objects:
        for rule in obj.spec["rules"]:
            for item in rule["http"]["paths"]:
                if item["path"] == "/impl.+":
                    item["path"] = "/impl.*"
    patched = model_of(objects)
    assert service(patched.route(Request(host, "/impl")).outcome) == "implpath2"
    assert service(patched.route(Request(host, "/implementation")).outcome) == "implpath2"


def test_tls_hosts_redirect_with_301_unless_force_https_is_disabled() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: cilium
  tls: [{hosts: [a.example.com], secretName: cert}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {backend: {service: {name: web, port: {number: 80}}}, path: /, pathType: Prefix}
"""
    outcome = model_of(objects_of(text)).route(Request("a.example.com", "/x", query="y=1")).outcome
    assert outcome == Redirect(301, "https://a.example.com/x?y=1")
    disabled = text.replace(
        "name: web, namespace",
        "name: web, annotations: {ingress.cilium.io/force-https: disabled}, namespace",
    )
    assert (
        service(model_of(objects_of(disabled)).route(Request("a.example.com", "/x")).outcome)
        == "web"
    )
    off = model_of(objects_of(text), provider_options={"cilium": {"enforce-https": "false"}})
    assert service(off.route(Request("a.example.com", "/x")).outcome) == "web"


def test_a_wildcard_host_takes_one_label_in_cilium() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  ingressClassName: cilium
  rules:
  - host: '*.example.com'
    http:
      paths:
      - {backend: {service: {name: web, port: {number: 80}}}, path: /, pathType: Prefix}
"""
    model = model_of(objects_of(text))
    assert service(model.route(Request("a.example.com", "/")).outcome) == "web"
    assert service(model.route(Request("a.b.example.com", "/")).outcome) is None


def _verify(paths: list[Path], emitter: str, options: ConvertOptions) -> list[str]:
    objects = ingress2gateway.load_manifests(paths, report=Recorder())
    found = ingress2gateway.verify(objects, providers="cilium", emitter=emitter, options=options)
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


CASES = cases("cilium")


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verify_finds_no_unexplained_difference_in_the_goldens(case: Case, emitter: str) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    assert _verify([case.directory / "input.yaml"], emitter, options) == []


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_corpus(emitter: str) -> None:
    require_shared()
    files = sorted(CORPUS.rglob("*.yaml"))
    assert files
    for path in files:
        assert _verify([path], emitter, ConvertOptions()) == [], path


def test_a_swapped_backend_is_caught() -> None:
    require_shared()
    objects = ingress2gateway.load_manifests([PATH_TYPES], report=Recorder())
    result = ingress2gateway.convert(objects, providers=["cilium"])
    output = [dict(o) for o in result.resources]
    for obj in output:
        if obj["kind"] == "HTTPRoute":
            for rule in obj["spec"]["rules"]:
                for ref in rule.get("backendRefs", []):
                    if ref["name"] == "exactpath":
                        ref["name"] = "prefixpath"
    model = model_of(objects)
    found = compare(model, model.requests(), output, result.report)
    assert found.unexplained


# --- generated scenarios ---------------------------------------------------------------------

_HOSTS = ["a.example.com", "b.example.com", "*.example.com", None, "x.a.example.com"]
_PATHS = [
    ("/b/", "Exact"),
    ("/v1.0", "Prefix"),
    ("/b.+", "ImplementationSpecific"),
    ("/", "ImplementationSpecific"),
    ("/", "Prefix"),
    ("/api", "Prefix"),
    ("/api/", "Prefix"),
    ("/api", "Exact"),
    ("/api/v1", "Prefix"),
    ("/a.*", "ImplementationSpecific"),
    ("/api/[0-9]+", "ImplementationSpecific"),
    ("/api", "ImplementationSpecific"),
    ("/", "Exact"),
    ("/.*", "ImplementationSpecific"),
]


def _scenario(rng: random.Random) -> list[dict[str, Any]]:
    """Cilium Ingresses as users write them, from a small alphabet so that they collide: shared
    and dedicated, forced HTTPS or not, passthrough, default backends, TLS entries naming hosts
    with and without rules."""
    items: list[dict[str, Any]] = []
    for number in range(rng.randint(1, 3)):
        annotations: dict[str, str] = {}
        if rng.random() < 0.5:
            annotations["ingress.cilium.io/loadbalancer-mode"] = rng.choice(["shared", "dedicated"])
        if rng.random() < 0.3:
            annotations["ingress.cilium.io/force-https"] = rng.choice(["enabled", "disabled"])
        if rng.random() < 0.15:
            annotations["ingress.cilium.io/tls-passthrough"] = "enabled"
        rules: list[dict[str, Any]] = []
        for _ in range(rng.randint(0, 2)):
            host = rng.choice(_HOSTS)
            paths = [
                {
                    "path": path,
                    "pathType": kind,
                    "backend": {
                        "service": {"name": rng.choice(["s1", "s2", "s3"]), "port": {"number": 80}}
                    },
                }
                for path, kind in rng.sample(_PATHS, rng.randint(1, 3))
            ]
            rules.append({"http": {"paths": paths}, **({"host": host} if host else {})})
        spec: dict[str, Any] = {"ingressClassName": "cilium", "rules": rules}
        if rng.random() < 0.3:
            spec["defaultBackend"] = {"service": {"name": "s1", "port": {"number": 80}}}
        if rng.random() < 0.5:
            hosts = sorted({r["host"] for r in rules if "host" in r})
            extra = rng.choice([[], ["c.example.com"]])
            spec["tls"] = [{"hosts": hosts[: rng.randint(0, 2)] + extra, "secretName": "cert"}]
        items.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": f"i{number}",
                    "namespace": rng.choice(["web", "web", "shop"]),
                    "annotations": annotations,
                    "creationTimestamp": f"2024-01-0{number + 1}T00:00:00Z",
                },
                "spec": spec,
            }
        )
    return items


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_generated_scenarios(emitter: str) -> None:
    failures = []
    for seed in range(0, 240, 1 if emitter == "standard" else 3):
        rng = random.Random(seed)
        items = _scenario(rng)
        choice = rng.random()
        if choice < 0.3:
            options = ConvertOptions(provider_options={"cilium": {"loadbalancer-mode": "shared"}})
        elif choice < 0.45:
            options = ConvertOptions(provider_options={"cilium": {"enforce-https": "false"}})
        elif choice < 0.55:
            options = ConvertOptions(gateway_namespace="gw")
        else:
            options = ConvertOptions()
        objects = [KubeObject(d, Origin("gen.yaml", None, i)) for i, d in enumerate(items)]
        found = ingress2gateway.verify(
            objects, providers="cilium", emitter=emitter, options=options
        )
        failures += [f"seed {seed}: {d.request.display()}" for d in found.unexplained]
    assert failures == []
