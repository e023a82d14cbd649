"""TLS to a Service that BackendTLSPolicy cannot state → one ``AgentgatewayPolicy`` per Service
(``targetRefs`` kind ``Service``, group ``""``) with ``backend.tls``:

* no verification (``backend-protocol: HTTPS`` without ``proxy-ssl-verify``, Istio
  ``insecureSkipVerify``) → ``insecureSkipVerify: All``;
* a client certificate (``proxy-ssl-secret``, Kong ``client-cert``, Istio ``MUTUAL``) →
  ``mtlsCertificateRef[{name}]`` (a Secret of the Service's namespace with ``tls.crt`` and
  ``tls.key``), verified with the one CA ConfigMap the source names (``caCertificateRefs``) or
  the system roots, ``verifySubjectAltNames`` the SNI name;
* ``sni`` the name the source sent.

A Service's policy then states all of its TLS, so the standard BackendTLSPolicy for that Service
is left out (two sources of one setting, whose precedence agentgateway does not document) and
its input fields are credited to the policy. Settings that differ between the routes reaching
one Service are reported (``agentgateway-policy-conflict``) and left unconsumed.
"""

from __future__ import annotations

from ingress2gateway.ir import BackendTLSOptions, Extension, Route
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Need, Status

from ._base import AGW_GROUP, BACKEND, POLICY, Contribution, MapEnv, canonical
from ._state import State
from .objects import DNS_NAME


def _where(namespace: str | None) -> str:
    return f"{namespace}/" if namespace else ""


def backend_tls(ext: BackendTLSOptions, env: MapEnv) -> Contribution | None:
    tls: JSONDict = {}
    notes: list[str] = []
    needs: list[tuple[Need, str, str]] = []
    cert = ext.client_certificate
    if cert is not None:
        if cert.namespace and cert.namespace != env.namespace:
            return None  # mtlsCertificateRef names a Secret of the policy's namespace
        tls["mtlsCertificateRef"] = [{"name": cert.name}]
        needs.append(
            (
                Need.SECRET,
                f"Secret {_where(env.namespace)}{cert.name}",
                "the client certificate agentgateway presents to the backend: tls.crt and tls.key",
            )
        )
    if ext.insecure_skip_verify:
        tls["insecureSkipVerify"] = "All"
        notes.append("TLS without verifying the backend's certificate, as the source did")
    elif ext.ca_config_maps:
        if len(ext.ca_config_maps) != 1:
            return None  # caCertificateRefs takes one ConfigMap
        tls["caCertificateRefs"] = [{"name": ext.ca_config_maps[0]}]
    elif cert is None:
        return None  # verified with the system roots: the standard BackendTLSPolicy says it
    if ext.sni and DNS_NAME.match(ext.sni) and len(ext.sni) <= 253:
        tls["sni"] = ext.sni
        if not ext.insecure_skip_verify:
            tls["verifySubjectAltNames"] = [ext.sni]
    return Contribution(
        POLICY,
        {"backend": {"tls": tls}},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
        needs=needs,
    )


ServiceKey = tuple[str, str]  # namespace, name


def _reaches(route: Route, rule: object, ext: BackendTLSOptions) -> ServiceKey | None:
    namespace = ext.namespace or route.namespace or "default"
    for ref in getattr(rule, "backend_refs", []):
        same = (ref.namespace or route.namespace or "default") == namespace
        if ref.kind == "Service" and not ref.group and ref.name == ext.service and same:
            return namespace, ext.service
    return None


def service_policies(state: State, routes: list[Route], emitted: set[ObjectRef]) -> None:
    """One policy per Service whose TLS the rules reaching it ask for."""
    wanted: dict[ServiceKey, list[tuple[Extension, Contribution]]] = {}
    for route in routes:
        if route.ref not in emitted:
            continue
        for rule in getattr(route, "rules", []):
            for ext in dict.fromkeys([*route.extensions, *rule.extensions]):
                if not isinstance(ext, BackendTLSOptions) or ext.consumed:
                    continue
                key = _reaches(route, rule, ext)
                if key is None:
                    continue
                contribution = state.contribution(ext, backend_tls, key[0])
                if contribution is None:
                    continue
                items = wanted.setdefault(key, [])
                if all(item[0] is not ext for item in items):
                    items.append((ext, contribution))
    for key in sorted(wanted):
        _policy(state, key, wanted[key])


def _policy(state: State, key: ServiceKey, items: list[tuple[Extension, Contribution]]) -> None:
    namespace, service = key
    first = canonical(items[0][1].spec)
    accepted = [item for item in items if canonical(item[1].spec) == first]
    for ext, _ in items:
        if all(ext is not a for a, _ in accepted):
            state.reject(
                ext, f"another backend TLS setting applies to Service {namespace}/{service}"
            )
    target: JSONDict = {"group": "", "kind": "Service", "name": service}
    external = state.external_backends.get(key)
    if external is not None:
        # The routes reach this ExternalName Service through an AgentgatewayBackend: its TLS
        # goes there (a policy targets objects of its own namespace only).
        if external[0] != namespace:
            for ext, _ in accepted:
                state.reject(
                    ext,
                    f"Service {namespace}/{service} is reached through AgentgatewayBackend "
                    f"{external[0]}/{external[1]}, in another namespace",
                )
            return
        target = {"group": AGW_GROUP, "kind": BACKEND, "name": external[1]}
    name = state.name(POLICY, namespace, f"{service}-backend-tls", f"Service/{namespace}/{service}")
    spec: JSONDict = {"targetRefs": [target], **items[0][1].spec}
    policy = state.add_object(POLICY, namespace, name, spec, [ext for ext, _ in accepted])
    for ext, contribution in accepted:
        state.accept(ext, contribution, [policy.ref])


def drop_replaced_tls_policies(state: State, built: list[Emitted]) -> list[Emitted]:
    """``built`` without the BackendTLSPolicies of Services whose policy now states their TLS;
    their provenance and sources move to that policy."""
    owners: dict[tuple[str | None, str], Emitted] = {}
    for obj in state.objects:
        spec = obj.body.get("spec", {})
        if obj.ref.kind != POLICY or "tls" not in spec.get("backend", {}):
            continue
        for target in spec.get("targetRefs", []):
            if target.get("kind") == "Service" and not target.get("group"):
                owners[(obj.ref.namespace, target["name"])] = obj
    kept: list[Emitted] = []
    for obj in built:
        if obj.ref.kind != "BackendTLSPolicy":
            kept.append(obj)
            continue
        targets = obj.body.get("spec", {}).get("targetRefs", [])
        replaced = [
            t
            for t in targets
            if t.get("kind") == "Service" and (obj.ref.namespace, t.get("name")) in owners
        ]
        if not replaced:
            kept.append(obj)
            continue
        for target in replaced:
            owner = owners[(obj.ref.namespace, target["name"])]
            owner.provenance = list(dict.fromkeys([*owner.provenance, *obj.provenance]))
            owner.sources = sorted({*owner.sources, *obj.sources}, key=SourceRef.sort_key)
        rest = [t for t in targets if t not in replaced]
        if rest:
            obj.body["spec"]["targetRefs"] = rest
            kept.append(obj)
    return kept
