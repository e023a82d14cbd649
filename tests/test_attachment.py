"""Every route attaches where it says: each ``parentRefs[].sectionName`` names a listener of the
Gateway (or ListenerSet) it refers to, when that object is part of the output.

The API server does not check this (it validates one object at a time), and a dangling
section name means the route is not accepted by that parent: its requests get 404.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder

from .golden import Case, cases
from .ingresses import as_objects, ingress
from .shared_data import require_shared

ROUTE_KINDS = {"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}


def dangling(objects: list[dict[str, Any]]) -> list[str]:
    listeners: dict[tuple[str, str | None, str], set[str]] = {}
    for obj in objects:
        if obj.get("kind") in ("Gateway", "ListenerSet"):
            meta = obj["metadata"]
            names = {item["name"] for item in obj["spec"].get("listeners", [])}
            listeners[(obj["kind"], meta.get("namespace"), meta["name"])] = names
    found = []
    for obj in objects:
        if obj.get("kind") not in ROUTE_KINDS:
            continue
        meta = obj["metadata"]
        for parent in obj["spec"].get("parentRefs", []):
            key = (
                parent.get("kind", "Gateway"),
                parent.get("namespace", meta.get("namespace")),
                parent["name"],
            )
            section = parent.get("sectionName")
            if section is not None and key in listeners and section not in listeners[key]:
                found.append(
                    f"{obj['kind']} {meta.get('namespace')}/{meta['name']} → {key}:{section}"
                )
    return found


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.id)
def test_golden_routes_name_listeners_that_exist(case: Case) -> None:
    output = case.directory / "output.yaml"
    objects = [d for d in yaml.safe_load_all(output.read_text()) if d] if output.exists() else []
    assert dangling(objects) == []


@pytest.mark.parametrize("per_namespace", [False, True])
def test_a_host_alias_in_two_namespaces_attaches_each_route(per_namespace: bool) -> None:
    """With a Gateway per namespace, the alias listener went to the first namespace's Gateway
    only, while the second namespace's route was given a parent reference to it on its own
    Gateway: a listener that does not exist there."""
    alias = {"nginx.ingress.kubernetes.io/server-alias": "www.shop.example.com"}
    docs = [
        ingress(ns, path=path, annotations=alias)
        for ns, path in (("team-a", "/a"), ("team-b", "/b"))
    ]
    objects = as_objects(docs)
    result = ingress2gateway.convert(
        objects,
        providers=["nginx"],
        options=ConvertOptions(gateway_per_namespace=per_namespace),
    )
    assert dangling(result.resources) == []
    routes = [r for r in result.resources if r["kind"] == "HTTPRoute"]
    assert len(routes) == 2
    for route in routes:
        assert "www.shop.example.com" in route["spec"]["hostnames"]


CORPORA = {
    "nginx": ["ingress-nginx", "nginx-inc"],
    "istio": ["istio"],
    "kong": ["kong"],
    **{name: [name] for name in ("gce", "traefik", "apisix", "cilium", "haproxy", "openapi3")},
}


@pytest.mark.parametrize("per_namespace", [False, True], ids=["shared", "per-namespace"])
@pytest.mark.parametrize("provider", sorted(CORPORA))
def test_vendor_corpus_routes_name_listeners_that_exist(provider: str, per_namespace: bool) -> None:
    options = ConvertOptions(gateway_per_namespace=per_namespace)
    converted = 0
    for folder in CORPORA[provider]:
        root = require_shared("corpus", folder)
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
            objects = ingress2gateway.load_manifests([path], report=Recorder())
            result = ingress2gateway.convert(objects, providers=[provider], options=options)
            assert dangling(result.resources) == [], path
            converted += len(result.resources)
    assert converted


def twins(objects: list[KubeObject]) -> list[KubeObject]:
    """A copy of every namespaced object in a namespace of its own (``<namespace>-twin``)."""
    copies = []
    for obj in objects:
        if obj.kind in ("IngressClass", "GatewayClass", "Namespace", "CustomResourceDefinition"):
            continue
        data = yaml.safe_load(yaml.safe_dump(obj.data))
        data.setdefault("metadata", {})["namespace"] = f"{obj.namespace or 'default'}-twin"
        copies.append(KubeObject(data, obj.origin))
    return copies


def _laid_out_per_namespace(case: Case) -> bool:
    """Cases that name their Gateway's namespace or name choose their own layout."""
    options = case.args.get("options", {})
    return "gateway_namespace" not in options and "gateway_name" not in options


@pytest.mark.parametrize(
    "case",
    [c for c in cases("nginx") + cases("kong") if _laid_out_per_namespace(c)],
    ids=lambda c: c.id,
)
def test_with_a_gateway_per_namespace_another_namespace_changes_nothing(case: Case) -> None:
    """The same Ingresses again in other namespaces (same hosts, same paths) leave the output
    for the first namespaces as it was: each namespace's Gateway is a server of its own."""
    args = case.args
    options = {**args.pop("options", {}), "gateway_per_namespace": True}

    def printed(objects: list[KubeObject]) -> list[dict[str, Any]]:
        result = ingress2gateway.convert(objects, options=ConvertOptions(**options), **args)
        return [
            obj
            for obj in result.resources
            if not (obj["metadata"].get("namespace") or "").endswith("-twin")
        ]

    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    assert printed(objects + twins(objects)) == printed(objects)
