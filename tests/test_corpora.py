"""Every vendor corpus, file by file, with the provider that reads it and under each emitter:
no exception, output valid for the target, no ``output-invalid``, a ledger entry for every
field read (Ingress fields and every top-level ``spec`` field of the provider's own kinds) and
the same output twice.

The corpora are real manifests from each project's docs, examples and tests
(``../shared/corpus/<folder>/SOURCES.txt``); the hidden real-world cases are of the same kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject
from ingress2gateway.registry import load_provider
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.validation import validate

from .ledger_checks import missing_ledger_fields
from .shared_data import SHARED, require_shared

CORPORA = {
    "ingress-nginx": "nginx",
    "nginx-inc": "nginx",
    "istio": "istio",
    "kong": "kong",
    "gce": "gce",
    "traefik": "traefik",
    "apisix": "apisix",
    "haproxy": "haproxy",
    "openapi3": "openapi3",
    "cilium": "cilium",
}
"""Corpus folder → the provider that reads it."""

_SUFFIXES = (".yaml", ".yml", ".json")
_CORE_GROUPS = frozenset({"", "networking.k8s.io", "extensions"})


def _files(folder: str) -> list[Path]:
    root = SHARED / "corpus" / folder
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix in _SUFFIXES and p.is_file())


def _is_file(value: object) -> bool:
    return isinstance(value, Path) and value.is_absolute()


CASES = [(folder, path) for folder in sorted(CORPORA) for path in _files(folder)]

EMITTERS = [
    "standard",
    "envoy-gateway",
    "kgateway",
    "agentgateway",
    "gke",
    "nginx-gateway-fabric",
    "istio",
    "kuadrant",
    "traefik",
]
"""Every built-in emitter: each vendor file must give valid output for each implementation."""


def _convert(path: Path, provider: str, emitter: str) -> tuple[list[KubeObject], Result]:
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    return objects, ingress2gateway.convert(objects, providers=[provider], emitter=emitter)


def missing_vendor_fields(objects: list[KubeObject], result: Result, provider: str) -> list[str]:
    """Top-level ``spec`` fields of the provider's own kinds (not Ingress, Service...) with no
    ledger entry at, above or below them."""
    kinds = {
        (kind.group, kind.kind)
        for kind in load_provider(provider).resources
        if kind.group not in _CORE_GROUPS
    }
    recorded: dict[tuple[str | None, str | None, str], set[str]] = {}
    for entry in result.report.ledger.values():
        key = (entry.source.namespace, entry.source.name, entry.source.kind)
        recorded.setdefault(key, set()).add(entry.field)
    missing = []
    for obj in objects:
        if (obj.group, obj.kind) not in kinds or not isinstance(obj.data.get("spec"), dict):
            continue
        fields = recorded.get((obj.namespace, obj.name, obj.kind), set())
        if {"spec", ""} & fields or None in fields:
            continue
        for key in obj.data["spec"]:
            field = f"spec.{key}"
            if not any(f == field or f.startswith((field + ".", field + "[")) for f in fields):
                missing.append(f"{obj.kind} {obj.namespace}/{obj.name}: {field}")
    return missing


@pytest.mark.parametrize("emitter", EMITTERS)
@pytest.mark.parametrize(
    ("folder", "path"),
    CASES or [("none", Path("none"))],
    ids=lambda value: str(value.relative_to(SHARED / "corpus")) if _is_file(value) else value,
)
def test_corpus_file_converts_validly_with_a_complete_ledger(
    folder: str, path: Path, emitter: str
) -> None:
    require_shared("corpus")
    if folder == "none":
        pytest.fail("no corpus files found")
    provider = CORPORA[folder]
    objects, result = _convert(path, provider, emitter)
    assert [
        f"{obj['kind']} {obj['metadata']['name']}: {problem}"
        for obj in result.resources
        for problem in validate(obj, result.target)
    ] == []
    assert [n.message for n in result.report.notifications if n.code == "output-invalid"] == []
    assert missing_ledger_fields(objects, result) == []
    assert missing_vendor_fields(objects, result, provider) == []
    _, again = _convert(path, provider, emitter)
    assert ingress2gateway.dump(again.resources, "yaml") == ingress2gateway.dump(
        result.resources, "yaml"
    )
