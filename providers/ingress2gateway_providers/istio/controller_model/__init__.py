"""A model of how Istio's ingress gateway routes requests over Istio objects, for ``verify``.

It reads the input as istiod does (:mod:`.config`), builds each gateway deployment's listeners,
route configurations and filter chains as the gateway code does (:mod:`.proxies`), and answers
a request as Envoy does with them (:mod:`.matching`, :mod:`.actions`, :mod:`.model`). It is
written from Istio's own code (istio/istio at commit 86c9f01f, istio/api at b8f8791d; each
module names the files and functions it follows) and shares nothing with the provider's
conversion, so that a misunderstanding of the converter shows as a difference.

AuthorizationPolicies (ALLOW, DENY, CUSTOM) that may apply to a gateway's pods guard the
requests it forwards (:mod:`.authorization`): the model says a request reaches its backend once
the policy lets it through, not which clients it lets through.

What it does not model: mesh (sidecar) routing; which requests an AuthorizationPolicy's rules
match; RequestAuthentication; ``bind`` addresses; server ports mapped to other target ports;
AUTO_PASSTHROUGH; the part of a fault abort below 100%; retries, timeouts and mirrors (they do
not change where a request goes).

Options it reads (``--provider-option istio.KEY=VALUE``, as the provider): ``cluster-domain``;
``gateway-workload-namespace`` (default ``istio-system``), where the gateway's pods run: the
namespace whose Secrets hold the certificates, to which VirtualServices must be exported, whose
AuthorizationPolicies apply to the gateway's pods; ``mesh-root-namespace`` (default
``istio-system``), whose AuthorizationPolicies apply in every namespace.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions

from .config import ISTIO_GROUP, read_config
from .model import IstioModel

__all__ = ["IstioModel", "controller_model"]


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> IstioModel | None:
    """The model of the Istio gateways of ``objects`` (None: no Istio Gateway or
    VirtualService among them)."""
    if not any(o.group == ISTIO_GROUP and o.kind in ("Gateway", "VirtualService") for o in objects):
        return None
    return IstioModel(read_config(objects, options))
