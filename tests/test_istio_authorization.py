"""Istio ``AuthorizationPolicy`` on the ingress gateway's pods: nothing carries it yet, so the
routes of every converted Gateway it may apply to are emitted closed (issue 19 item 9: a
migration never widens access by default). Request in, Istio's answer (the verify model: the
backend, after the policy) and the migration's (500, or the backend with
``--access-control-fallback open``) out; and ``verify`` explains the difference."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ingress2gateway
from ingress2gateway.cli.commands import main
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Level, Status
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import (
    Backend,
    Forward,
    NoRoute,
    Outcome,
    Request,
    Respond,
)
from ingress2gateway.verification.run import verify
from ingress2gateway_providers.istio.controller_model import controller_model

NET = "networking.istio.io/v1"
SEC = "security.istio.io/v1"
APP = Backend("apps", "app", 80)


def gateway(
    name: str = "gw",
    namespace: str = "istio-system",
    selector: dict[str, str] | None = None,
    tcp: bool = False,
    host: str = "*",
) -> dict[str, Any]:
    servers: list[dict[str, Any]] = [
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": [host]}
    ]
    if tcp:
        servers.append({"port": {"number": 5432, "name": "tcp", "protocol": "TCP"}, "hosts": ["*"]})
    return {
        "apiVersion": NET,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": selector if selector is not None else {"istio": "ingressgateway"},
            "servers": servers,
        },
    }


def virtual_service(
    gateways: tuple[str, ...] = ("istio-system/gw",),
    host: str = "a.example.com",
    name: str = "app",
    tcp: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "hosts": [host],
        "gateways": list(gateways),
        "http": [{"route": [{"destination": {"host": "app", "port": {"number": 80}}}]}],
    }
    if tcp:
        spec["tcp"] = [
            {
                "match": [{"port": 5432}],
                "route": [{"destination": {"host": "db", "port": {"number": 5432}}}],
            }
        ]
    return {
        "apiVersion": NET,
        "kind": "VirtualService",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": spec,
    }


IP_RULES = [{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]}]


def policy(
    name: str = "allow-internal",
    namespace: str = "istio-system",
    api_version: str = SEC,
    **spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "AuthorizationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def on_gateway_pods(**spec: Any) -> dict[str, Any]:
    """The issue's example: ALLOW from 10.0.0.0/8, on the default ingress gateway's pods."""
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"istio": "ingressgateway"}},
        "action": "ALLOW",
        "rules": IP_RULES,
    }
    body.update(spec)
    return policy(**body)


def objects_of(*docs: dict[str, Any]) -> list[KubeObject]:
    return [KubeObject(doc, Origin("test.yaml", None, i)) for i, doc in enumerate(docs)]


def convert(*docs: dict[str, Any], fallback: str = "closed", **provider_options: str) -> Result:
    options = ConvertOptions(
        provider_options={"istio": provider_options}, access_control_fallback=fallback
    )
    return ingress2gateway.convert(objects_of(*docs), providers=["istio"], options=options)


def answers(
    docs: tuple[dict[str, Any], ...],
    request: Request,
    fallback: str = "closed",
    **provider_options: str,
) -> tuple[Outcome, Outcome]:
    """(Istio's answer, the migration's answer) to ``request``."""
    options = ConvertOptions(
        provider_options={"istio": provider_options}, access_control_fallback=fallback
    )
    objects = objects_of(*docs)
    result = ingress2gateway.convert(objects, providers=["istio"], options=options)
    source = controller_model(objects, options)
    assert source is not None
    return source.route(request).outcome, GatewayAPIModel(result.resources).route(request).outcome


def get(path: str = "/x", host: str = "a.example.com", **kw: Any) -> Request:
    return Request(host, path, **kw)


def guarded_by(answer: Outcome, name: str) -> bool:
    """Istio forwards to the backend only once the policy ``name`` lets the request through."""
    return (
        isinstance(answer, Forward)
        and answer.backends == ((APP, Fraction(1)),)
        and any(name in guard for guard in answer.guards)
    )


OPEN = Forward(((APP, Fraction(1)),), "/x", "a.example.com")
CLOSED = Respond(500)


def security_errors(result: Result) -> list[Any]:
    return [
        n
        for n in result.report.notifications
        if n.code == "extension-unsupported" and n.security and n.level is Level.ERROR
    ]


def http_route(result: Result) -> dict[str, Any]:
    (route,) = [r for r in result.resources if r["kind"] == "HTTPRoute"]
    return route


# --- the example --------------------------------------------------------------------


def test_an_allow_policy_on_the_gateway_pods_closes_its_routes() -> None:
    docs = (gateway(), virtual_service(), on_gateway_pods())
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "istio-system/allow-internal")
    assert migrated == CLOSED
    result = convert(*docs)
    assert "backendRefs" not in http_route(result)["spec"]["rules"][0]
    (error, *_) = security_errors(result)
    assert error.source is not None and error.source.kind == "AuthorizationPolicy"
    assert "AuthorizationPolicy istio-system/allow-internal" in error.message
    assert "ALLOW" in error.message
    assert not [n for n in result.report.notifications if n.code == "object-not-consumed"]


def test_v1beta1_policies_are_read_too() -> None:
    docs = (gateway(), virtual_service(), {**on_gateway_pods(), "apiVersion": f"{SEC}beta1"})
    assert answers(docs, get())[1] == CLOSED


def test_every_field_of_the_policy_has_a_ledger_entry() -> None:
    result = convert(gateway(), virtual_service(), on_gateway_pods())
    fields = {
        entry.field: entry
        for entry in result.report.ledger.values()
        if entry.source.kind == "AuthorizationPolicy"
    }
    for name in ("spec", "spec.selector", "spec.action", "spec.rules"):
        assert name in fields, name
        assert fields[name].status is Status.UNSUPPORTED
    # The policy's entry names the route it closed.
    assert any(ref.kind == "HTTPRoute" for ref in fields["spec"].targets)
    # One security error per policy, not one per field.
    assert len(security_errors(result)) == 1


# --- actions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["ALLOW", "DENY", "CUSTOM"])
def test_allow_deny_and_custom_control_access(action: str) -> None:
    extra: dict[str, Any] = {"provider": {"name": "ext-authz"}} if action == "CUSTOM" else {}
    docs = (gateway(), virtual_service(), on_gateway_pods(action=action, **extra))
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "allow-internal")
    assert migrated == CLOSED
    assert action in security_errors(convert(*docs))[0].message


def test_an_audit_policy_changes_no_answer() -> None:
    docs = (gateway(), virtual_service(), on_gateway_pods(action="AUDIT"))
    assert answers(docs, get()) == (OPEN, OPEN)
    result = convert(*docs)
    assert not security_errors(result)
    entry = result.report.ledger[(objects_of(*docs)[2].source(), "spec.action")]
    assert entry.status is Status.IGNORED
    assert any("AUDIT" in note for note in entry.notes)


def test_an_allow_policy_without_rules_denies_everything_and_closes() -> None:
    docs = (gateway(), virtual_service(), policy(name="deny-all"))
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "deny-all")
    assert migrated == CLOSED


def test_a_deny_policy_without_rules_never_matches() -> None:
    """authorization.proto ``rules``: "If not set, the match will never occur": a DENY (or
    CUSTOM) policy without rules denies nothing."""
    docs = (gateway(), virtual_service(), policy(name="noop", action="DENY"))
    assert answers(docs, get()) == (OPEN, OPEN)
    assert not security_errors(convert(*docs))


def test_a_dry_run_policy_is_not_enforced() -> None:
    """istio.io "Dry Run": ``istio.io/dry-run: "true"`` only logs what the policy would do."""
    dry = on_gateway_pods()
    dry["metadata"]["annotations"] = {"istio.io/dry-run": "true"}
    docs = (gateway(), virtual_service(), dry)
    assert answers(docs, get()) == (OPEN, OPEN)
    assert not security_errors(convert(*docs))
    dry["metadata"]["annotations"] = {"istio.io/dry-run": "maybe"}  # not a bool: enforced
    assert answers(docs, get())[1] == CLOSED


# --- which workloads a policy applies to ---------------------------------------------------------


def test_a_selector_that_contradicts_the_gateway_selector_does_not_apply() -> None:
    docs = (
        gateway(),
        virtual_service(),
        on_gateway_pods(selector={"matchLabels": {"istio": "eastwestgateway"}}),
    )
    assert answers(docs, get()) == (OPEN, OPEN)
    assert not security_errors(convert(*docs))


def test_a_label_the_gateway_selector_does_not_mention_may_be_on_its_pods() -> None:
    """The default ingress gateway's pods carry ``app: istio-ingressgateway`` besides
    ``istio: ingressgateway``: a policy selecting the former may apply."""
    docs = (
        gateway(),
        virtual_service(),
        on_gateway_pods(selector={"matchLabels": {"app": "istio-ingressgateway"}}),
    )
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "allow-internal")
    assert migrated == CLOSED
    assert "may" in security_errors(convert(*docs))[0].message


def test_a_policy_in_another_namespace_does_not_apply_to_the_gateway_pods() -> None:
    """A policy selects workloads of its own namespace (and of every namespace from the root
    namespace): one in ``apps`` does not reach the gateway's pods in ``istio-system``."""
    docs = (gateway(), virtual_service(), on_gateway_pods(namespace="apps"))
    assert answers(docs, get()) == (OPEN, OPEN)
    result = convert(*docs)
    assert not security_errors(result)
    assert not [n for n in result.report.notifications if n.code == "object-not-consumed"]


def test_a_policy_for_another_workload_in_another_namespace_does_nothing() -> None:
    docs = (
        gateway(),
        virtual_service(),
        policy(
            name="httpbin",
            namespace="apps",
            selector={"matchLabels": {"app": "httpbin"}},
            rules=IP_RULES,
        ),
    )
    assert answers(docs, get()) == (OPEN, OPEN)
    result = convert(*docs)
    assert not security_errors(result)
    entries = [e for e in result.report.ledger.values() if e.source.kind == "AuthorizationPolicy"]
    assert entries and all(e.status is Status.IGNORED for e in entries)


def test_the_workload_namespace_option_decides_where_the_policy_must_be() -> None:
    docs = (gateway(), virtual_service(), on_gateway_pods(namespace="edge"))
    istio, migrated = answers(docs, get(), **{"gateway-workload-namespace": "edge"})
    assert guarded_by(istio, "edge/allow-internal")
    assert migrated == CLOSED
    assert answers(docs, get()) == (OPEN, OPEN)


def test_a_root_namespace_policy_without_selector_applies_mesh_wide() -> None:
    """A policy in the root namespace (istio-system) applies to the workloads of every
    namespace: here the gateway's pods run in ``edge``."""
    docs = (gateway(), virtual_service(), policy(name="mesh-wide", rules=IP_RULES))
    istio, migrated = answers(docs, get(), **{"gateway-workload-namespace": "edge"})
    assert guarded_by(istio, "istio-system/mesh-wide")
    assert migrated == CLOSED


def test_a_gateway_the_policy_does_not_select_stays_open() -> None:
    """Two Istio Gateways on different pods: the policy closes only the routes of the one
    whose pods it may apply to."""
    docs = (
        gateway(host="a.example.com"),
        gateway("internal", selector={"istio": "internalgateway"}, host="b.example.com"),
        virtual_service(),
        virtual_service(("istio-system/internal",), host="b.example.com", name="other"),
        on_gateway_pods(),
    )
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "allow-internal") and migrated == CLOSED
    other = get(host="b.example.com")
    assert answers(docs, other) == (
        Forward(((APP, Fraction(1)),), "/x", "b.example.com"),
        Forward(((APP, Fraction(1)),), "/x", "b.example.com"),
    )


# --- targetRefs -------------------------------------------------------------------------------


def test_a_target_ref_to_the_istio_gateway_applies() -> None:
    """Istio attaches a policy to the pods of a classic Gateway it names by targetRef, in the
    Gateway's namespace (``attachesToClassicGateway``, pilot/pkg/model/policyattachment.go)."""
    ref = {"group": "networking.istio.io", "kind": "Gateway", "name": "gw"}
    docs = (gateway(), virtual_service(), policy(targetRefs=[ref], rules=IP_RULES))
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "allow-internal") and migrated == CLOSED


def test_a_target_ref_to_a_gateway_api_gateway_or_class_does_not_apply() -> None:
    refs = [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other"},
        {"group": "gateway.networking.k8s.io", "kind": "GatewayClass", "name": "istio-waypoint"},
    ]
    docs = (gateway(), virtual_service(), policy(targetRefs=refs, rules=IP_RULES))
    assert answers(docs, get()) == (OPEN, OPEN)
    result = convert(*docs)
    assert not security_errors(result)
    assert [n for n in result.report.notifications if n.code == "istio-assumed"]


def test_a_target_ref_to_the_gateway_api_gateway_its_selector_names_applies() -> None:
    label = "gateway.networking.k8s.io/gateway-name"
    ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public"}
    docs = (
        gateway(selector={label: "public"}),
        virtual_service(),
        policy(targetRef=ref, rules=IP_RULES),
    )
    istio, migrated = answers(docs, get())
    assert guarded_by(istio, "allow-internal") and migrated == CLOSED


# --- what is closed -----------------------------------------------------------------------------


def test_tcp_routes_of_the_gateway_are_left_out() -> None:
    docs = (gateway(tcp=True), virtual_service(tcp=True), on_gateway_pods())
    result = convert(*docs)
    assert not [r for r in result.resources if r["kind"] == "TCPRoute"]
    istio, migrated = answers(docs, Request("db", "/", port=5432, protocol="TCP"))
    assert isinstance(istio, Forward) and istio.guards
    assert isinstance(migrated, NoRoute)


def test_fallback_open_leaves_the_routes_open_with_the_error() -> None:
    docs = (gateway(), virtual_service(), on_gateway_pods())
    istio, migrated = answers(docs, get(), fallback="open")
    assert guarded_by(istio, "allow-internal")
    assert migrated == OPEN
    (error, *_) = security_errors(convert(*docs, fallback="open"))
    assert "open to everyone" in error.message


# --- the CLI and verify ---------------------------------------------------------------------------


def _write(tmp_path: Any, *docs: dict[str, Any]) -> str:
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_print_closes_and_fallback_open_opens(tmp_path: Any) -> None:
    path = _write(tmp_path, gateway(), virtual_service(), on_gateway_pods())
    code, out, err = run("print", "--providers", "istio", "-f", path)
    assert code == 0  # the errors are reported; --fail-on decides whether they fail the run
    (route,) = [d for d in yaml.safe_load_all(out) if d and d["kind"] == "HTTPRoute"]
    assert "backendRefs" not in route["spec"]["rules"][0]
    assert "extension-unsupported" in err and "allow-internal" in err
    assert "object-not-consumed" not in err
    code, out, err = run(
        "print", "--providers", "istio", "-f", path, "--access-control-fallback", "open"
    )
    assert code == 0
    (route,) = [d for d in yaml.safe_load_all(out) if d and d["kind"] == "HTTPRoute"]
    assert route["spec"]["rules"][0]["backendRefs"][0]["name"] == "app"
    assert "open to everyone" in err


@pytest.mark.parametrize("fallback", ["closed", "open"])
def test_verify_explains_the_difference_by_the_security_error(fallback: str) -> None:
    docs = (gateway(), virtual_service(), on_gateway_pods())
    options = ConvertOptions(access_control_fallback=fallback)
    result = verify(objects_of(*docs), providers=["istio"], options=options)
    assert result.differences
    assert not result.unexplained
    assert all("extension-unsupported" in d.explained_by for d in result.differences)


def test_verify_cli_reports_no_unexplained_difference(tmp_path: Any) -> None:
    path = _write(tmp_path, gateway(), virtual_service(), on_gateway_pods())
    for extra in ((), ("--access-control-fallback", "open")):
        code, out, _ = run("verify", "--providers", "istio", "-f", path, *extra)
        assert code == 0, out


MIXED = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["a.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["a.example.com"]
    tls: {mode: SIMPLE, credentialName: cert}
  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: ["c.example.com"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app, namespace: apps}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /static}}]
    directResponse: {status: 200, body: {string: ok}}
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - route: [{destination: {host: app, port: {number: 80}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tls, namespace: apps}
spec:
  hosts: [c.example.com]
  gateways: [istio-system/gw]
  tls:
  - match: [{sniHosts: [c.example.com]}]
    route: [{destination: {host: tlsapp, port: {number: 443}}}]
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: mesh-deny, namespace: istio-system}
spec:
  action: DENY
  rules:
  - from: [{source: {notIpBlocks: ["10.0.0.0/8"]}}]
"""


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("fallback", ["closed", "open"])
def test_verify_explains_redirects_direct_responses_and_tls_routes(
    emitter: str, fallback: str
) -> None:
    """A mesh-wide DENY policy (root namespace, no selector) on a gateway with an https
    redirect, a direct response, a redirect and a TLS passthrough route: every difference
    (closed rules, the TLSRoute left out; or, open, the guard missing) is the policy's."""
    docs = tuple(d for d in yaml.safe_load_all(MIXED) if d)
    options = ConvertOptions(access_control_fallback=fallback)
    result = verify(
        objects_of(*docs),
        providers=["istio"],
        emitter=emitter,
        options=options,
        channel="experimental",
    )
    assert result.differences and not result.unexplained
    tls = Request("c.example.com", "/", scheme="https", port=9443, protocol="TLS")
    istio, migrated = answers(docs, tls, fallback=fallback)
    assert isinstance(istio, Forward) and istio.guards
    assert isinstance(migrated, NoRoute if fallback == "closed" else Forward)
