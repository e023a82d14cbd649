"""An Istio Gateway that admits every host, for tests that convert VirtualServices."""

from __future__ import annotations

from typing import Any

ISTIO_GATEWAY: dict[str, Any] = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "public", "namespace": "istio-system"},
    "spec": {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*/*"]},
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": ["*/*"],
                "tls": {"mode": "SIMPLE", "credentialName": "cert"},
            },
        ],
    },
}
