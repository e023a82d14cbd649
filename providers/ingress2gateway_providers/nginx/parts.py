"""Which parts of an ingress-nginx input convert independently.

With a Gateway per namespace, the input is split into parts of linked namespaces (shared host
names, ``namespace/name`` references; see :mod:`ingress2gateway.converting.partition`); each part then
converts, with the IngressClasses and Services every part reads, to exactly what the whole
input gives for it. Anything else in the input (a controller ConfigMap, NGINX Inc
VirtualServers, other kinds) may reach across parts in ways not modelled there, and the input
is converted whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.converting.ingress import is_ingress_class
from ingress2gateway.converting.partition import by_linked_namespaces
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions, Parts


def partition(objects: Sequence[KubeObject], options: ConvertOptions) -> Parts | None:
    """Parts by linked namespaces, or None when the input must be converted whole."""
    return by_linked_namespaces(objects, options, shared=_shared)


def _shared(obj: KubeObject) -> bool:
    return is_ingress_class(obj) or (obj.group == "" and obj.kind == "Service")
