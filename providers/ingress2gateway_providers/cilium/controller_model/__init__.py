"""A model of how Cilium's Ingress controller routes requests, for ``verify``.

It reads the input as the Cilium operator does (:mod:`.ingestion`: which Ingresses, the
listeners each gives), translates them as the operator does into Envoy virtual hosts with
sorted routes (:mod:`.envoy`), and answers a request as Envoy does with them (:mod:`.model`).
It is written from cilium/cilium's operator code (each module names the files and functions it
follows) and shares nothing with the provider's conversion.

What it does not model: CiliumNetworkPolicy on the ingress identity, header and query
matches (Ingress has none), the request timeout (it does not change where a request goes),
the operator's default TLS secret, NodePort and host-network ports.

Options it reads (``--provider-option cilium.KEY=VALUE``, as the provider): ``loadbalancer-mode``,
``enforce-https``, ``default-class``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions

from .envoy import translate
from .ingestion import ingest, served, service_ports
from .model import CiliumModel

__all__ = ["CiliumModel", "controller_model"]


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> CiliumModel | None:
    """The model of the Cilium Ingresses of ``objects`` (None: Cilium serves none of them)."""
    ingresses = served(objects, options)
    if not ingresses:
        return None
    ports = service_ports(objects)
    return CiliumModel(translate([ingest(obj, options, ports) for obj in ingresses]))
