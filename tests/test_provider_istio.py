"""The istio provider: first-match semantics, ports, namespaces, and the vendor corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.ir import HeaderMatch
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.validation import validate
from ingress2gateway_providers.istio.common import gateway_duration
from ingress2gateway_providers.istio.matching import Entry, covers, overlaps, preserve_first_match
from ingress2gateway_providers.istio.paths import CHAR, EXACT, SEG, SEGRX, PathSet

from .shared_data import require_shared, shared_yaml_files

ISTIO_KINDS = ("Gateway", "VirtualService", "DestinationRule", "ServiceEntry")


def expected_fields(obj: KubeObject) -> list[str]:
    """Fields of an Istio object that must appear in the ledger."""
    spec = obj.spec
    if obj.kind == "ServiceEntry":
        return ["spec"]
    fields = [f"spec.{key}" for key in spec if key not in ("servers", "http", "tls", "tcp")]
    if obj.kind == "Gateway":
        for i, server in enumerate(spec.get("servers") or []):
            fields.append(f"spec.servers[{i}]")
            fields.extend(f"spec.servers[{i}].{k}" for k in server or {})
            fields.extend(f"spec.servers[{i}].tls.{k}" for k in (server or {}).get("tls") or {})
    if obj.kind == "VirtualService":
        for kind in ("http", "tls", "tcp"):
            for i, route in enumerate(spec.get(kind) or []):
                fields.extend(f"spec.{kind}[{i}].{k}" for k in route or {})
                fields.extend(
                    f"spec.{kind}[{i}].match[{j}]"
                    for j in range(len((route or {}).get("match") or []))
                )
    if obj.kind == "DestinationRule":
        fields.extend(f"spec.trafficPolicy.{k}" for k in spec.get("trafficPolicy") or {})
    return fields


def missing_istio_fields(objects: list[KubeObject], result: Result) -> list[str]:
    recorded: dict[tuple[str | None, str | None, str], set[str]] = {}
    for entry in result.report.ledger.values():
        key = (entry.source.namespace, entry.source.name, entry.source.kind)
        recorded.setdefault(key, set()).add(entry.field)
    missing = []
    for obj in objects:
        if obj.group != "networking.istio.io" or obj.kind not in ISTIO_KINDS:
            continue
        done = recorded.get((obj.namespace, obj.name, obj.kind), set())
        for field in expected_fields(obj):
            covered = (
                "spec" in done or field in done or any(r.startswith(field + ".") for r in done)
            )
            if not covered:
                missing.append(f"{obj.kind} {obj.namespace}/{obj.name}: {field}")
    return missing


def _corpus_files() -> list[Path]:
    return shared_yaml_files("corpus", "istio")


@pytest.mark.parametrize("path", _corpus_files() or [None], ids=lambda p: p.name if p else "none")
def test_corpus_converts_with_complete_ledger(path: Path | None) -> None:
    folder = require_shared("corpus", "istio")
    if path is None:
        pytest.fail(f"no YAML files under {folder}")
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    result = ingress2gateway.convert(objects, providers=["istio"])
    assert missing_istio_fields(objects, result) == []
    assert not [n for n in result.report.notifications if n.code == "output-invalid"]
    for obj in result.resources:
        assert validate(obj, result.target) == []


def test_peer_fixtures_convert_to_valid_output() -> None:
    folder = require_shared("peer", "ingress2gateway", "istio", "input")
    for path in sorted(folder.glob("*.yaml")):
        objects = ingress2gateway.load_manifests([path], report=Recorder())
        result = ingress2gateway.convert(objects, providers=["istio"])
        assert missing_istio_fields(objects, result) == [], path.name
        for obj in result.resources:
            assert validate(obj, result.target) == [], path.name
            for rule in obj["spec"].get("rules", []):
                for ref in rule.get("backendRefs", []):
                    assert "port" in ref, f"{path.name}: port-less backendRef"


def _convert(text: str, **kw: Any) -> Result:
    docs = [d for d in yaml.safe_load_all(text) if d]
    objects = [
        KubeObject(doc, ingress2gateway.objects.Origin("test.yaml", None, i))
        for i, doc in enumerate(docs)
    ]
    return ingress2gateway.convert(objects, providers=["istio"], **kw)


def _kind(result: Result, kind: str) -> list[dict[str, Any]]:
    return [r for r in result.resources if r["kind"] == kind]


GATEWAY = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  servers:
  - port: {number: 80, protocol: HTTP}
    hosts: ["*"]
"""


def test_later_specific_route_overlapping_earlier_gets_narrowed_copy() -> None:
    result = _convert(
        GATEWAY
        + """
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: edge}
spec:
  hosts: ["a.example.com"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api/}, headers: {x-canary: {exact: "1"}}}]
    route: [{destination: {host: canary, port: {number: 80}}}]
  - match: [{uri: {exact: /api/v1}}]
    route: [{destination: {host: stable, port: {number: 80}}}]
"""
    )
    (route,) = _kind(result, "HTTPRoute")
    rules = route["spec"]["rules"]
    canary = rules[0]
    assert canary["backendRefs"][0]["name"] == "canary"
    paths = [m["path"] for m in canary["matches"]]
    assert {"type": "Exact", "value": "/api/v1"} in paths
    assert rules[1]["backendRefs"][0]["name"] == "stable"


def test_unreachable_later_match_is_dropped() -> None:
    result = _convert(
        GATEWAY
        + """
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: edge}
spec:
  hosts: ["a.example.com"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /}}]
    route: [{destination: {host: all, port: {number: 80}}}]
  - match: [{uri: {exact: /never}}]
    route: [{destination: {host: never, port: {number: 80}}}]
"""
    )
    (route,) = _kind(result, "HTTPRoute")
    assert [r["backendRefs"][0]["name"] for r in route["spec"]["rules"]] == ["all"]
    assert any(n.code == "istio-route-order" for n in result.report.notifications)


def test_port_from_service_in_input_and_error_without() -> None:
    result = _convert(
        GATEWAY
        + """
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {ports: [{port: 8080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: edge}
spec:
  hosts: ["a.example.com"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /web}}]
    route: [{destination: {host: web.apps.svc.cluster.local}}]
  - route: [{destination: {host: unknown}}]
"""
    )
    (route,) = _kind(result, "HTTPRoute")
    ref = route["spec"]["rules"][0]["backendRefs"][0]
    assert ref == {"name": "web", "namespace": "apps", "port": 8080}
    assert "backendRefs" not in route["spec"]["rules"][1]
    assert any(n.code == "istio-destination-unresolved" for n in result.report.notifications)
    (grant,) = _kind(result, "ReferenceGrant")
    assert grant["metadata"]["namespace"] == "apps"


def test_cross_namespace_binding_uses_allowed_routes_not_grants() -> None:
    result = _convert(
        GATEWAY.replace('["*"]', '["team/*.example.com"]')
        + """
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: team}
spec:
  hosts: ["a.example.com"]
  gateways: [edge/gw]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
"""
    )
    (gateway,) = _kind(result, "Gateway")
    listener = gateway["spec"]["listeners"][0]
    values = listener["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"]
    assert "team" in values
    (route,) = _kind(result, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [
        {"name": "gw", "namespace": "edge", "sectionName": listener["name"]}
    ]
    assert not _kind(result, "ReferenceGrant")


def test_overlap_and_cover() -> None:
    prefix = Entry(0, PathSet(SEG, "/a"))
    exact = Entry(1, PathSet(EXACT, "/a/b"))
    other = Entry(1, PathSet(EXACT, "/b"))
    header = Entry(0, PathSet(SEG, "/a"), headers=(HeaderMatch("x", "1"),))
    assert covers(prefix, exact) and overlaps(prefix, exact)
    assert not overlaps(prefix, other)
    assert not covers(header, exact)
    entries, findings = preserve_first_match([header, exact])
    assert len(entries) == 3 and findings[0].kind == "narrowed"


def test_a_segment_prefix_that_must_outrank_a_character_prefix_becomes_an_expression() -> None:
    """An earlier /apix (Gateway API PathPrefix) against a later character prefix /api
    (the expression /api[^/].*, which Envoy Gateway ranks above any PathPrefix): the copy that
    keeps /apix/... on the earlier route is an expression, longer, so it ranks first."""
    earlier = Entry(0, PathSet(SEG, "/apix"))
    later = Entry(1, PathSet(CHAR, "/api"))
    entries, findings = preserve_first_match([earlier, later])
    assert [f.kind for f in findings] == ["narrowed"]
    copy = entries[1]
    assert copy.group == 0 and copy.path == PathSet(SEGRX, "/apix")
    assert copy.path.rank() > later.path.rank()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5s", "5s"),
        ("0.5s", "500ms"),
        ("1m", "1m"),
        ("90s", "90s"),
        ("bad", None),
        ("1.0005s", None),
    ],
)
def test_durations(value: str, expected: str | None) -> None:
    assert gateway_duration(value) == expected


def test_output_does_not_depend_on_input_order() -> None:
    import random

    root = Path(__file__).resolve().parent.parent / "testdata" / "istio"
    for case in ("first-match-narrowing", "allowed-routes-namespaces", "weights-and-grants"):
        objects = ingress2gateway.load_manifests([root / case / "input.yaml"], report=Recorder())
        expected = ingress2gateway.dump(
            ingress2gateway.convert(objects, providers=["istio"]).resources
        )
        shuffled = list(objects)
        random.Random(3).shuffle(shuffled)
        result = ingress2gateway.convert(shuffled, providers=["istio"])
        assert ingress2gateway.dump(result.resources) == expected, case


def test_provider_is_registered_with_catalog() -> None:
    from ingress2gateway.registry import load_provider

    provider = load_provider("istio")
    assert {r.kind for r in provider.resources} >= {"Gateway", "VirtualService", "Service"}
    assert len(provider.catalog_rows()) > 30  # type: ignore[attr-defined]
