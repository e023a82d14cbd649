"""Which AuthorizationPolicies guard the requests a gateway proxy takes.

Written from istio/istio:

* ``pilot/pkg/model/authorization.go`` — ``ListAuthorizationPolicies`` (a workload's policies
  are those of the root namespace and of its own namespace that attach to it),
  ``updateAuthorizationPoliciesResult`` (ALLOW, DENY, CUSTOM and AUDIT lists);
* ``pilot/pkg/model/policyattachment.go`` — ``ShouldAttachPolicy`` (targetRefs first: a classic
  ``networking.istio.io`` Gateway in the policy's namespace, ``attachesToClassicGateway``; a
  Gateway API Gateway by the ``gateway.networking.k8s.io/gateway-name`` label of its pods, in
  the workload's namespace; otherwise a policy with targetRefs does not attach; without them,
  ``selector.matchLabels`` must be a subset of the workload's labels, no selector takes all);
* istio/api ``security/v1beta1/authorization.proto`` — ``rules``: "If not set, the match will
  never occur" (an ALLOW policy without rules denies everything, a DENY or CUSTOM one does
  nothing); AUDIT policies do not change whether a request is allowed;
* istio.io "Dry Run" — a policy annotated ``istio.io/dry-run: "true"`` is not enforced.

A proxy here is the pods one Gateway selector picks, known only by that selector: a policy
label the selector does not mention may be on the pods, so a policy *may* guard the proxy
unless one of its labels contradicts the selector. The guard is what the model can say: the
request reaches its backend only once the policy lets it through (which clients it lets
through is not modelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.verification.model import Cause

JSON = dict[str, Any]
ISTIO_GROUP = "networking.istio.io"
SECURITY_GROUP = "security.istio.io"
GATEWAY_API = "gateway.networking.k8s.io"
GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name"
_GUARDING = ("ALLOW", "DENY", "CUSTOM")


@dataclass(frozen=True)
class Policy:
    """An AuthorizationPolicy that allows or denies requests (AUDIT ones, and DENY or CUSTOM
    ones without rules, which never match, are not kept)."""

    namespace: str
    name: str
    action: str
    labels: dict[str, str] | None
    """``selector.matchLabels`` (None: no selector)."""
    target_refs: tuple[JSON, ...]

    @property
    def guard(self) -> str:
        return f"authorization-policy {self.action} {self.namespace}/{self.name}"

    @property
    def cause(self) -> Cause:
        return Cause("AuthorizationPolicy", self.namespace, self.name, "spec")


def _dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def read_policy(obj: KubeObject, namespace: str) -> Policy | None:
    """The policy ``obj`` says, or None when it allows and denies nothing."""
    spec = obj.spec
    dry_run = _dict(obj.metadata.get("annotations")).get("istio.io/dry-run")
    if isinstance(dry_run, str) and dry_run.strip() in ("1", "t", "T", "true", "TRUE", "True"):
        return None  # istio.io "Dry Run": only logged, not enforced (strconv.ParseBool)
    action = str(spec.get("action") or "ALLOW").upper()
    if action not in _GUARDING:
        return None
    if action != "ALLOW" and not _list(spec.get("rules")):
        return None
    refs = tuple(_dict(r) for r in _list(spec.get("targetRefs")))
    if not refs and isinstance(spec.get("targetRef"), dict):
        refs = (_dict(spec["targetRef"]),)
    selector = spec.get("selector")
    labels = None
    if isinstance(selector, dict):
        labels = {str(k): str(v) for k, v in _dict(selector.get("matchLabels")).items()}
    return Policy(namespace, obj.name or "", action, labels, refs)


def _may_carry(pod_labels: dict[str, str], wanted: dict[str, str]) -> bool:
    """Pods known by ``pod_labels`` may carry every label of ``wanted``: none contradicts."""
    return all(pod_labels.get(key, value) == value for key, value in wanted.items())


def guards(
    policies: list[Policy],
    pod_labels: dict[str, str],
    gateways: list[tuple[str, str, dict[str, str] | None]],
    workload_namespace: str,
    root_namespace: str,
) -> list[Policy]:
    """The policies that may guard the pods known by ``pod_labels`` in ``workload_namespace``,
    instances of the classic ``gateways`` ((namespace, name, selector) of each)."""
    found = []
    for policy in policies:
        if policy.target_refs:
            if any(
                _attaches(policy, ref, pod_labels, gateways, workload_namespace)
                for ref in policy.target_refs
            ):
                found.append(policy)
            continue
        if policy.namespace not in (workload_namespace, root_namespace):
            continue
        if policy.labels is None or _may_carry(pod_labels, policy.labels):
            found.append(policy)
    return found


def _attaches(
    policy: Policy,
    ref: JSON,
    pod_labels: dict[str, str],
    gateways: list[tuple[str, str, dict[str, str] | None]],
    workload_namespace: str,
) -> bool:
    group = str(ref.get("group") or "")
    kind, name = ref.get("kind"), ref.get("name")
    namespace = str(ref.get("namespace") or "")
    if group == ISTIO_GROUP and kind == "Gateway":
        if namespace not in ("", policy.namespace):
            return False
        return any(ns == policy.namespace and gw == name for ns, gw, _ in gateways)
    if group == GATEWAY_API and kind == "Gateway":
        if policy.namespace != workload_namespace or namespace not in ("", workload_namespace):
            return False
        # The label Istio gives the pods of a Gateway API Gateway: the classic pods are taken
        # to carry it only when the selector that picks them says so.
        return pod_labels.get(GATEWAY_NAME) == name
    return False  # GatewayClass, Service, ServiceEntry: waypoints; HTTPRoute: routes
