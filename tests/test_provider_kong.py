"""The Kong provider: annotation families, Kong CRDs, and every vendor manifest in the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway import registry
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import Provider
from ingress2gateway.registry import load_provider
from ingress2gateway.reporting.report import Recorder, Status
from ingress2gateway.validation import validate
from ingress2gateway_providers.kong import PROVIDER, KongProvider
from ingress2gateway_providers.kong.catalog import CATALOG, lookup
from ingress2gateway_providers.kong.common import KONG_GROUP
from ingress2gateway_providers.kong.paths import kong_regex

from .golden import Case, cases
from .ledger_checks import missing_ledger_fields
from .shared_data import require_shared, shared_yaml_files

KONG_KINDS_WITH_SECTIONS = {"KongIngress": ("route", "proxy", "upstream")}
_SKIP_TOP = ("apiVersion", "kind", "metadata", "status")


def convert(text: str, **kwargs: Any) -> Result:
    return ingress2gateway.convert(_load(text), providers=["kong"], **kwargs)


def _load(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def kong_expected_fields(obj: KubeObject) -> list[str]:
    """Fields of a Kong CRD (or an annotated Service) that must have a ledger entry."""
    fields = [f"metadata.annotations[{key}]" for key in obj.annotations]
    if obj.kind == "Service":
        return [f for f in fields if "konghq.com/" in f]
    for key in sorted(obj.data):
        if key in _SKIP_TOP:
            continue
        value = obj.data[key]
        if key in KONG_KINDS_WITH_SECTIONS.get(obj.kind, ()) and isinstance(value, dict):
            fields.extend(f"{key}.{sub}" for sub in value)
        elif obj.kind in ("TCPIngress", "UDPIngress") and key == "spec":
            for part in ("rules", "tls"):
                items = value.get(part) if isinstance(value, dict) else None
                fields.extend(f"spec.{part}[{i}]" for i in range(len(items or [])))
        elif obj.kind == "KongUpstreamPolicy" and key == "spec" and isinstance(value, dict):
            fields.extend(f"spec.{sub}" for sub in value)
        else:
            fields.append(key)
    return fields


def missing_kong_fields(objects: list[KubeObject], result: Result) -> list[str]:
    recorded: dict[tuple[str | None, str | None, str], set[str]] = {}
    for entry in result.report.ledger.values():
        key = (entry.source.namespace, entry.source.name, entry.source.kind)
        recorded.setdefault(key, set()).add(entry.field)
    missing = []
    for obj in objects:
        kong_crd = obj.group == KONG_GROUP and obj.kind in {r.kind for r in PROVIDER.resources}
        kong_service = obj.kind == "Service" and any(
            k.startswith("konghq.com/") for k in obj.annotations
        )
        if not (kong_crd or kong_service):
            continue
        have = recorded.get((obj.namespace, obj.name, obj.kind), set())
        if "spec" in have and obj.kind != "KongUpstreamPolicy":
            continue  # skipped as a whole (another ingress class)
        for field in kong_expected_fields(obj):
            if field not in have and not any(
                h.startswith((field + ".", field + "[")) for h in have
            ):
                missing.append(f"{obj.kind} {obj.namespace}/{obj.name}: {field}")
    return missing


# --- the provider object ------------------------------------------------------------------------


def test_provider_is_registered_and_satisfies_the_protocol() -> None:
    provider = load_provider("kong")
    assert isinstance(provider, Provider)
    assert isinstance(PROVIDER, KongProvider)
    assert type(provider).__name__ == "KongProvider"
    assert PROVIDER.controllers == ("ingress-controllers.konghq.com/kong",)


def test_catalog_has_every_documented_key() -> None:
    keys = {spec.key for spec in CATALOG}
    assert len(keys) == len(CATALOG) == 33
    assert {"konghq.com/headers.*", "konghq.com/override", "konghq.com/protocol"} <= keys
    assert {row.status for row in PROVIDER.catalog_rows()} <= {
        "converted",
        "partial",
        "needs-extension",
        "unsupported",
        "ignored",
    }
    assert lookup("konghq.com/headers.x-anything") is not None
    assert lookup("konghq.com/nope") is None


@pytest.mark.parametrize(
    ("kong", "gateway"),
    [
        ("/v[0-9]+/items", "/v[0-9]+/items.*"),
        ("^/exact$", "/exact"),
        ("/all.*", "/all.*"),
        ("/price\\$", "/price\\$.*"),
        ("/a|/b$", "(?:/a|/b$).*"),
    ],
)
def test_kong_regex_becomes_a_whole_path_regex(kong: str, gateway: str) -> None:
    assert kong_regex(kong) == gateway


# --- behaviour ----------------------------------------------------------------------------------

TWO_INGRESSES = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: a
  namespace: web
  annotations:
    konghq.com/methods: GET
    konghq.com/strip-path: "true"
spec:
  ingressClassName: kong
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: b
  namespace: web
spec:
  ingressClassName: kong
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /b, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
"""


def _rules(result: Result) -> list[dict[str, Any]]:
    return [
        rule
        for obj in result.resources
        if obj["kind"] == "HTTPRoute"
        for rule in obj["spec"]["rules"]
    ]


def test_annotations_apply_only_to_the_rules_of_their_ingress() -> None:
    result = convert(TWO_INGRESSES)
    by_path = {r["matches"][0]["path"]["value"]: r for r in _rules(result)}
    assert by_path["/a"]["matches"][0]["method"] == "GET"
    assert by_path["/a"]["filters"][0]["urlRewrite"]["path"]["replacePrefixMatch"] == "/"
    assert "method" not in by_path["/b"]["matches"][0]
    assert "filters" not in by_path["/b"]


def test_default_426_serves_https_only_and_is_reported() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: secure
  namespace: web
  annotations: {konghq.com/protocols: https}
spec:
  ingressClassName: kong
  tls: [{hosts: [s.example.com], secretName: s-tls}]
  rules:
  - host: s.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
"""
    result = convert(text)
    routes = [o for o in result.resources if o["kind"] == "HTTPRoute"]
    assert len(routes) == 1
    assert [p["sectionName"] for p in routes[0]["spec"]["parentRefs"]] == ["s-example-com-https"]
    assert any(
        n.code == "kong-behaviour-differs" and "426" in n.message
        for n in result.report.notifications
    )


def test_plugins_never_become_extension_refs() -> None:
    text = (
        TWO_INGRESSES.replace("konghq.com/methods: GET", "konghq.com/plugins: auth")
        + """
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: auth, namespace: web}
plugin: basic-auth
"""
    )
    result = convert(text)
    assert "ExtensionRef" not in yaml.safe_dump(result.resources)
    security = [n for n in result.report.notifications if n.security]
    assert security and all(n.level.value == "error" for n in security)


def test_bad_values_are_reported_and_the_rest_converts() -> None:
    text = TWO_INGRESSES.replace("konghq.com/methods: GET", "konghq.com/methods: FETCH")
    result = convert(text)
    assert any(n.code == "kong-value-invalid" for n in result.report.notifications)
    assert len(_rules(result)) == 2


def test_tcp_and_udp_routes_need_the_experimental_channel_before_v1_6() -> None:
    text = """
apiVersion: configuration.konghq.com/v1beta1
kind: UDPIngress
metadata:
  name: dns
  namespace: net
  annotations: {kubernetes.io/ingress.class: kong}
spec:
  rules:
  - {port: 9999, backend: {serviceName: dns, servicePort: 53}}
"""
    old = convert(text, gateway_api_version="v1.5")
    assert [o["kind"] for o in old.resources] == ["Gateway"]
    assert any(n.code == "target-lacks-feature" for n in old.report.notifications)
    experimental = convert(text, gateway_api_version="v1.5", channel="experimental")
    assert [o["kind"] for o in experimental.resources] == ["Gateway", "UDPRoute"]
    (gateway,) = [o for o in experimental.resources if o["kind"] == "Gateway"]
    assert "hostname" not in gateway["spec"]["listeners"][0]
    assert any(n.code == "kong-kind-deprecated" for n in experimental.report.notifications)


def test_unreferenced_kong_objects_are_in_the_ledger() -> None:
    text = """
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: lonely, namespace: web}
plugin: cors
config: {origins: ["*"]}
"""
    result = convert(text)
    statuses = {e.field: e.status for e in result.report.ledger.values()}
    assert statuses == {"plugin": Status.IGNORED, "config": Status.IGNORED}


# --- the vendor corpus --------------------------------------------------------------------------


def _corpus_files() -> list[Path]:
    return shared_yaml_files("corpus", "kong")


@pytest.mark.parametrize("path", _corpus_files() or [None], ids=lambda p: p.name if p else "none")
def test_corpus_converts_with_a_complete_ledger(path: Path | None) -> None:
    folder = require_shared("corpus", "kong")
    if path is None:
        pytest.fail(f"no corpus files under {folder}")
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    result = ingress2gateway.convert(objects, providers=["kong"])
    assert missing_ledger_fields(objects, result) == []
    assert missing_kong_fields(objects, result) == []
    for obj in result.resources:
        assert validate(obj, result.target) == [], obj["metadata"]["name"]
    assert not [n for n in result.report.notifications if n.code == "output-invalid"]


def test_grpcs_only_ingress_is_a_grpc_route_on_https_without_redirect() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rpc
  namespace: rpc
  annotations: {konghq.com/protocols: grpcs, konghq.com/https-redirect-status-code: "301"}
spec:
  ingressClassName: kong
  tls: [{hosts: [rpc.example.com], secretName: rpc-tls}]
  rules:
  - host: rpc.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: rpc, port: {number: 50051}}}}
"""
    result = convert(text)
    kinds = sorted(o["kind"] for o in result.resources)
    assert kinds == ["GRPCRoute", "Gateway"]
    (route,) = [o for o in result.resources if o["kind"] == "GRPCRoute"]
    assert [p["sectionName"] for p in route["spec"]["parentRefs"]] == ["rpc-example-com-https"]


def test_consumer_scoped_plugins_are_reported_not_applied() -> None:
    text = """
apiVersion: configuration.konghq.com/v1
kind: KongConsumer
metadata:
  name: harry
  namespace: web
  annotations: {kubernetes.io/ingress.class: kong, konghq.com/plugins: harry-limit}
username: harry
---
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: harry-limit, namespace: web}
plugin: rate-limiting
config: {minute: 10}
"""
    result = convert(text)
    statuses = {(e.source.kind, e.field): e.status for e in result.report.ledger.values()}
    assert statuses[("KongPlugin", "config")] is Status.UNSUPPORTED
    assert statuses[("KongConsumer", "username")] is Status.UNSUPPORTED
    assert result.resources == []


KONG_CASES = cases("kong")


@pytest.mark.parametrize("case", KONG_CASES, ids=[c.id for c in KONG_CASES])
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_golden_kong_objects_have_complete_ledgers(case: Case, emitter: str) -> None:
    # With an emitter that expresses extensions, the fields they carry still get entries.
    if emitter not in registry.emitter_names():
        pytest.skip(f"emitter {emitter} is not installed")
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    args = case.args
    args["emitter"] = emitter
    result = ingress2gateway.convert(objects, **{k: v for k, v in args.items() if k != "options"})
    assert missing_kong_fields(objects, result) == []
    assert missing_ledger_fields(objects, result) == []


def test_there_are_enough_kong_cases() -> None:
    assert len(KONG_CASES) >= 12
