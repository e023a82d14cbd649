"""Small Ingresses for tests that lay out several namespaces: one rule, one path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingress2gateway.objects import KubeObject, Origin


def ingress(
    namespace: str,
    *,
    name: str = "shop",
    host: str = "shop.example.com",
    path: str = "/",
    service: str = "app",
    port: int = 80,
    annotations: dict[str, str] | None = None,
    tls_secret: str | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if created is not None:
        metadata["creationTimestamp"] = created
    if annotations:
        metadata["annotations"] = annotations
    backend = {"service": {"name": service, "port": {"number": port}}}
    spec: dict[str, Any] = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": host,
                "http": {"paths": [{"path": path, "pathType": "Prefix", "backend": backend}]},
            }
        ],
    }
    if tls_secret is not None:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    }


def as_objects(docs: Iterable[dict[str, Any]]) -> list[KubeObject]:
    return [KubeObject(doc, Origin("test.yaml", None, i)) for i, doc in enumerate(docs)]
