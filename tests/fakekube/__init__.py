"""An in-process fake Kubernetes API server for tests (see :mod:`tests.fakekube.server`).

Fixtures are in :mod:`tests.fakekube.fixtures`; import the ones a test module uses explicitly.
"""

from __future__ import annotations

from tests.fakekube.server import (
    BUILTIN_RESOURCES,
    FakeKube,
    Reply,
    RequestRecord,
    Resource,
)
from tests.fakekube.tls import TLSMaterial, make_ca, make_tls_material

__all__ = [
    "BUILTIN_RESOURCES",
    "FakeKube",
    "Reply",
    "RequestRecord",
    "Resource",
    "TLSMaterial",
    "make_ca",
    "make_tls_material",
]


def ingress(
    name: str,
    namespace: str = "default",
    *,
    host: str = "foo.example.com",
    ingress_class: str | None = "nginx",
    service: str = "web",
    port: int = 80,
    path: str = "/",
    annotations: dict[str, str] | None = None,
) -> dict[str, object]:
    """A networking.k8s.io/v1 Ingress with one host and one Prefix path."""
    spec: dict[str, object] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": port}}},
                        }
                    ]
                },
            }
        ]
    }
    if ingress_class is not None:
        spec["ingressClassName"] = ingress_class
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    }


def ingress_class(
    name: str = "nginx", controller: str = "k8s.io/ingress-nginx"
) -> dict[str, object]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name},
        "spec": {"controller": controller},
    }


__all__ += ["ingress", "ingress_class"]
