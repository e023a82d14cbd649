"""Istio ``AuthorizationPolicy`` (``security.istio.io`` ``v1``/``v1beta1``) on the ingress
gateway's pods: fail closed.

An AuthorizationPolicy controls access to the workloads it applies to, the ingress gateway's
pods among them. Nothing in Gateway API (or in an emitter here) carries one yet, so a policy
that may apply to the pods of a converted Istio Gateway becomes a
:class:`~ingress2gateway.ir.RefusedControl` on the Gateway API Gateway made from it: every rule
of the routes on its listeners is emitted closed (``ingress2gateway/converting/access.py``), with a
security error naming the policy, its action and why it applies; ``--access-control-fallback
open`` leaves them open. A policy that applies to no converted Gateway is ignored, with why.

Which workloads a policy applies to, from Istio (istio/istio ``pilot/pkg/model/authorization.go``
``ListAuthorizationPolicies`` and ``pilot/pkg/model/policyattachment.go``
``ShouldAttachPolicy``; istio.io "Authorization Policy" reference):

* **Namespace.** Policies are looked up in the root namespace (meshConfig ``rootNamespace``,
  ``istio-system`` by default; option ``mesh-root-namespace``) and in the workload's namespace
  (the gateway's pods': option ``gateway-workload-namespace``). A policy elsewhere never
  reaches the gateway's pods.
* **selector.** No selector: every workload of the policy's namespace (of every namespace, from
  the root namespace). ``selector.matchLabels``: the workloads whose labels include them. The
  input does not list the pods' labels, only the Gateway's ``selector``: a policy applies when
  none of its labels contradicts that selector. A label the selector does not mention may still
  be on the pods (Istio's default ingress gateway pods carry ``app: istio-ingressgateway`` and
  ``istio: ingressgateway``), so such a policy *may* apply, and is taken to (the message says
  so).
* **targetRef / targetRefs** (selector ignored when they are set; the CRD rejects both):
  ``networking.istio.io`` ``Gateway`` in the policy's namespace (Istio attaches it to the pods of
  that classic Gateway, ``attachesToClassicGateway``): applies to that Gateway, and to another
  whose selector does not contradict its selector (the pods may be the same);
  ``gateway.networking.k8s.io`` ``Gateway``: the pods Istio deployed for that Gateway API
  Gateway, labelled ``gateway.networking.k8s.io/gateway-name``, in the workload namespace:
  applies when the Istio Gateway's selector names that label and value, else it is assumed the
  classic pods do not carry it (reported, ``istio-assumed``); ``GatewayClass``, ``Service``,
  ``ServiceEntry``: waypoints only; ``HTTPRoute``: Gateway API routes only.
* **action.** ALLOW, DENY and CUSTOM control access (ALLOW is the default; an ALLOW policy
  without rules denies every request); a DENY or CUSTOM policy without rules never matches
  (authorization.proto ``rules``: "If not set, the match will never occur") and AUDIT only
  marks requests for audit logging: neither changes who gets through; nor does a policy
  annotated ``istio.io/dry-run: "true"`` (Istio only logs its decisions).

What a later translation could carry (Envoy Gateway ``SecurityPolicy.authorization``): ALLOW and
DENY rules on ``ipBlocks``/``remoteIpBlocks``, ``requestPrincipals`` and JWT claims (with a JWT
provider), methods, paths and headers; CUSTOM as ``extAuth``. Not: ``principals``,
``namespaces`` and ``trustDomains`` (mesh mTLS identities the Gateway API gateway does not see).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingress2gateway.ir import RefusedControl
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Level, Status

from .common import ISTIO_GROUP, Fields, GatewayInfo, State, as_dict, as_list, ns_of

SECURITY_GROUP = "security.istio.io"
SECURITY_VERSIONS = ("v1", "v1beta1")
SPEC_KEYS = ("selector", "targetRef", "targetRefs", "action", "provider", "rules")
CONTROLLING = ("ALLOW", "DENY", "CUSTOM")
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
"""The label Istio puts on the pods it deploys for a Gateway API Gateway, by which targetRefs
find them (``workloadGatewayName`` in ``policyattachment.go``)."""


DRY_RUN = "istio.io/dry-run"
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
"""What Go's ``strconv.ParseBool`` reads as true (Istio parses the annotation with it)."""


def is_dry_run(obj: KubeObject) -> bool:
    """A policy annotated ``istio.io/dry-run: "true"`` is not enforced (istio.io, "Dry Run")."""
    value = as_dict(obj.metadata.get("annotations")).get(DRY_RUN)
    return isinstance(value, str) and value.strip() in _TRUE


@dataclass(frozen=True)
class Reach:
    """Whether a policy applies to the pods of one Istio Gateway, and why (or why not)."""

    applies: bool
    why: str


def convert_authorization_policies(state: State, policies: list[KubeObject]) -> None:
    """Attach a :class:`RefusedControl` to every converted Gateway each of ``policies`` may
    apply to (see the module docstring); account for every field of each."""
    for obj in policies:
        _policy(state, obj)


def _present(spec: dict[str, object]) -> list[str]:
    return [f"spec.{key}" for key in SPEC_KEYS if key in spec]


def _policy(state: State, obj: KubeObject) -> None:
    fields = state.fields(obj)
    spec = obj.spec
    name = f"{ns_of(obj)}/{obj.name}"
    fields.unknown_keys("spec", spec, SPEC_KEYS)
    action = str(spec.get("action") or "ALLOW").upper()
    rules = as_list(spec.get("rules"))
    if is_dry_run(obj):
        _ignore(
            fields,
            spec,
            f"AuthorizationPolicy {name} is a dry run ({DRY_RUN}): Istio only logs what it "
            "would allow or deny",
        )
        return
    if action not in CONTROLLING:
        why = (
            "an AUDIT policy only marks requests for audit logging: it allows or denies nothing"
            if action == "AUDIT"
            else f"action {action!r} is not one Istio knows: it ignores the policy"
        )
        _ignore(fields, spec, f"AuthorizationPolicy {name}: {why}")
        return
    if action != "ALLOW" and not rules:
        _ignore(
            fields,
            spec,
            f"AuthorizationPolicy {name}: a {action} policy without rules never matches "
            "(authorization.proto: rules), so it denies nothing",
        )
        return
    reached: list[tuple[GatewayInfo, str]] = []
    refused: list[str] = []
    for info in state.gateways.values():
        reach = _reach(state, fields, obj, info)
        if reach.applies:
            reached.append((info, reach.why))
        else:
            refused.append(f"Istio Gateway {info.namespace}/{info.istio_name}: {reach.why}")
    if not reached:
        why = "; ".join(refused) if refused else "no Istio Gateway was converted"
        _ignore(
            fields,
            spec,
            f"AuthorizationPolicy {name} applies to no converted Gateway's pods ({why})",
        )
        return
    what = _what(name, action, rules, spec, reached)
    # One control for the whole spec (one security error per policy, not one per field),
    # shared by every Gateway it applies to; each field says what became of it.
    control = RefusedControl(what=what, provenance=[fields.prov("spec")])
    for info, _ in reached:
        info.controls.append(control)
    for path in _present(spec):
        fields.record(path, Status.UNSUPPORTED, f"{what}: no emitter carries it")


def _what(
    name: str,
    action: str,
    rules: list[object],
    spec: dict[str, object],
    reached: list[tuple[GatewayInfo, str]],
) -> str:
    if action == "ALLOW" and not rules:
        effect = "ALLOW without rules: it denies every request"
    elif action == "CUSTOM":
        provider = as_dict(spec.get("provider")).get("name")
        effect = f"CUSTOM, external authorizer {provider!r}" if provider else "CUSTOM"
    else:
        effect = f"{action}, {len(rules)} rule{'s' if len(rules) != 1 else ''}"
    gateways = "; ".join(f"Istio Gateway {i.namespace}/{i.istio_name}: {why}" for i, why in reached)
    return f"AuthorizationPolicy {name} ({effect}), which controls access to the ingress gateway's pods ({gateways})"


def _ignore(fields: Fields, spec: dict[str, object], message: str) -> None:
    fields.notify(Level.INFO, "istio-authorization", None, message)
    for path in _present(spec) or ["spec"]:
        fields.record(path, Status.IGNORED, message)


def _target_refs(spec: dict[str, object]) -> list[dict[str, object]]:
    """``targetRefs``, else the legacy ``targetRef`` (``GetTargetRefs``)."""
    refs = [as_dict(ref) for ref in as_list(spec.get("targetRefs"))]
    if not refs and isinstance(spec.get("targetRef"), dict):
        refs = [as_dict(spec["targetRef"])]
    return refs


def _group(ref: dict[str, object]) -> str:
    group = str(ref.get("group") or "")
    return "" if group == "core" else group


def _selector_of(info: GatewayInfo) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(info.obj.spec.get("selector")).items()}


def _contradicted(labels: dict[str, str], selector: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(labels.items()) if k in selector and selector[k] != v]


def _reach(state: State, fields: Fields, obj: KubeObject, info: GatewayInfo) -> Reach:
    spec = obj.spec
    namespace = ns_of(obj)
    workload, root = state.workload_namespace, state.root_namespace
    selector = _selector_of(info)
    refs = _target_refs(spec)
    if refs:
        reasons = [_reach_by_ref(state, fields, obj, info, ref) for ref in refs]
        return next((r for r in reasons if r.applies), reasons[0])
    if namespace not in (workload, root):
        return Reach(
            False,
            f"the policy is in namespace {namespace}, the gateway's pods run in {workload} "
            "(option istio.gateway-workload-namespace) and the root namespace is "
            f"{root} (option istio.mesh-root-namespace)",
        )
    scope = (
        f"every workload of the mesh (it is in the root namespace {root})"
        if namespace == root
        else f"every workload of namespace {namespace}"
    )
    if "selector" not in spec:
        return Reach(True, f"the policy has no selector: it applies to {scope}")
    labels = {
        str(k): str(v) for k, v in as_dict(as_dict(spec.get("selector")).get("matchLabels")).items()
    }
    contradicted = _contradicted(labels, selector)
    if contradicted:
        return Reach(
            False,
            f"its selector {', '.join(contradicted)} contradicts the Gateway's selector",
        )
    unknown = sorted(k for k in labels if k not in selector)
    if not labels:
        return Reach(True, f"its empty selector selects {scope}")
    if unknown:
        return Reach(
            True,
            f"it may apply: the Gateway's selector does not say whether the pods carry "
            f"{', '.join(f'{k}={labels[k]}' for k in unknown)} (Istio's default ingress gateway "
            "pods carry app=istio-ingressgateway besides istio=ingressgateway)",
        )
    return Reach(True, "its selector matches the Gateway's selector")


def _reach_by_ref(
    state: State, fields: Fields, obj: KubeObject, info: GatewayInfo, ref: dict[str, object]
) -> Reach:
    namespace = ns_of(obj)
    group, kind, name = _group(ref), str(ref.get("kind") or ""), str(ref.get("name") or "")
    ref_namespace = str(ref.get("namespace") or "")
    shown = f"targetRef {group or 'core'}/{kind} {name}"
    if group == ISTIO_GROUP and kind == "Gateway":
        if ref_namespace not in ("", namespace):
            return Reach(False, f"{shown} names another namespace, which Istio never matches")
        if namespace == info.namespace and name == info.istio_name:
            return Reach(True, f"its {shown} names this Gateway")
        target = state.gateways.get((namespace, name))
        if target is not None and target is not info:
            other = _selector_of(target)
            if not _contradicted(other, _selector_of(info)):
                return Reach(
                    True,
                    f"it may apply: its {shown} names Istio Gateway {namespace}/{name}, whose "
                    "selector does not contradict this Gateway's (the pods may be the same)",
                )
        return Reach(False, f"its {shown} names another Istio Gateway")
    if group == GATEWAY_API_GROUP and kind == "Gateway":
        workload = state.workload_namespace
        if namespace != workload or ref_namespace not in ("", workload):
            return Reach(
                False,
                f"its {shown} attaches only to pods in the policy's namespace ({namespace}); "
                f"the gateway's pods run in {workload}",
            )
        label = _selector_of(info).get(GATEWAY_NAME_LABEL)
        if label == name:
            return Reach(True, f"its {shown} names the Gateway API Gateway whose pods it selects")
        fields.notify(
            Level.WARNING,
            "istio-assumed",
            "spec.targetRefs" if "targetRefs" in obj.spec else "spec.targetRef",
            f"{shown} attaches to the pods Istio deployed for that Gateway API Gateway (label "
            f"{GATEWAY_NAME_LABEL}={name}); Istio Gateway {info.namespace}/{info.istio_name}'s "
            "selector does not name that label, so its pods are assumed not to carry it and "
            "its routes are left open: if they do, the policy applies to them and they must be "
            "closed (add the label to the Gateway's selector and convert again)",
        )
        return Reach(False, f"its {shown} names a Gateway API Gateway, not these pods")
    if group == GATEWAY_API_GROUP and kind == "HTTPRoute":
        return Reach(False, f"its {shown} applies to a Gateway API route, not to these pods")
    return Reach(False, f"its {shown} attaches to waypoints only, not to an ingress gateway")
