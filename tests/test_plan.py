"""The migration plan's sections, each from a real conversion (tests/plan_input.py) under the
standard and the envoy-gateway emitter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.planning import make_plan, render
from ingress2gateway.planning.attachment import route_policies
from ingress2gateway.planning.checklist import CODE_ACTIONS
from ingress2gateway.planning.model import Readiness, StepKind
from tests.plan_input import HOSTILE, converted


def plan_of(tmp_path: Path, emitter: str, **kw: Any) -> dict[str, Any]:
    objects, result = converted(tmp_path, emitter, **kw)
    return make_plan(result, inputs=objects).to_json()


def statuses(plan: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {
        f"{o['source']['namespace']}/{o['source']['name']}": (o["status"], o["steps"])
        for team in plan["namespaces"]
        for o in team["objects"]
    }


def steps_about(plan: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        step
        for step in plan["checklist"]
        if any(c["source"]["name"] == name for c in step["concerns"])
    ]


# --- statuses ---------------------------------------------------------------------------


def test_standard_emitter_blocks_the_objects_whose_access_control_it_cannot_carry(
    tmp_path: Path,
) -> None:
    plan = plan_of(tmp_path, "standard")
    found = statuses(plan)
    assert found["team-a/shop"][0] == "blocked"  # external auth: a security error
    assert found["team-b/admin"][0] == "blocked"  # basic auth
    assert found["team-b/tools"] == ("needs-action", 1)  # the snippet, a warning
    assert found["team-c/docs"] == ("ready", 0)
    assert [team["namespace"] for team in plan["namespaces"]] == ["team-a", "team-b", "team-c"]
    assert plan["summary"]["blocked"] == 2 and plan["summary"]["ready"] == 1


def test_envoy_gateway_carries_them_and_leaves_manual_steps(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "envoy-gateway")
    found = statuses(plan)
    assert found["team-a/shop"][0] == "needs-action"
    assert found["team-b/admin"][0] == "needs-action"
    assert found["team-c/docs"] == ("ready", 0)
    # The count of manual steps is the number of checklist steps that concern the object.
    for name, (_, count) in found.items():
        assert count == len(steps_about(plan, name.split("/")[1]))
    assert plan["summary"]["blocked"] == 0 and plan["summary"]["ready"] == 1


def test_every_security_error_blocks(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "standard")
    for step in plan["checklist"]:
        if step["kind"] == "security-error":
            assert step["blocking"]
            for concern in step["concerns"]:
                assert (
                    statuses(plan)[f"{concern['source']['namespace']}/{concern['source']['name']}"][
                        0
                    ]
                    == "blocked"
                )


# --- checklist --------------------------------------------------------------------------


def test_checklist_puts_blocking_steps_first_each_with_what_to_do(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "standard")
    kinds = [step["kind"] for step in plan["checklist"]]
    assert kinds[:2] == ["security-error", "security-error"]
    priorities = [step["priority"] for step in plan["checklist"]]
    assert priorities == sorted(priorities)
    assert all(step["action"] for step in plan["checklist"])
    assert "access control" in plan["checklist"][0]["action"]


def test_identical_steps_collapse_with_the_objects_they_concern(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "envoy-gateway")
    snippet = [step for step in plan["checklist"] if step["code"] == "nginx-snippet"]
    assert len(snippet) == 1
    assert [c["source"]["name"] for c in snippet[0]["concerns"]] == ["admin", "tools"]


def test_the_emitters_partial_notes_are_steps(tmp_path: Path) -> None:
    # The emitter warns of what it carries in part (feature-partial); a note without a
    # warning would be a "partial" step of its own.
    plan = plan_of(tmp_path, "envoy-gateway")
    partial = {
        step["message"]: step
        for step in plan["checklist"]
        if step["kind"] == "partial" or step["code"] == "feature-partial"
    }
    local = [m for m in partial if "counted per Envoy replica (Local)" in m]
    assert len(local) == 1
    assert partial[local[0]]["concerns"][0]["field"] == (
        "metadata.annotations[nginx.ingress.kubernetes.io/limit-rps]"
    )
    assert any("headersToExtAuth" in m for m in partial)
    sha = [step for step in plan["checklist"] if step["code"] == "eg-basic-auth-sha-only"]
    assert sha[0]["action"] == CODE_ACTIONS["eg-basic-auth-sha-only"]


def test_a_field_with_a_warning_is_not_a_second_step(tmp_path: Path) -> None:
    """The snippet has a warning and an unsupported ledger entry: one step, not two."""
    plan = plan_of(tmp_path, "envoy-gateway")
    about_tools = steps_about(plan, "tools")
    assert [step["code"] for step in about_tools] == ["nginx-snippet"]


# --- prerequisites ----------------------------------------------------------------------


def prerequisites(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    subjects = [p["subject"] for p in plan["prerequisites"]]
    assert len(subjects) == len(set(subjects)), "each prerequisite is listed once"
    return {p["subject"]: p for p in plan["prerequisites"]}


def test_prerequisites_under_envoy_gateway(tmp_path: Path) -> None:
    found = prerequisites(plan_of(tmp_path, "envoy-gateway"))
    gateway_class = found["GatewayClass nginx"]
    assert gateway_class["need"] == "gateway-class" and gateway_class["origin"] == "report"
    assert "gateway.envoyproxy.io/gatewayclass-controller" in gateway_class["action"]
    backend = found["Envoy Gateway Backend API"]
    assert backend["need"] == "implementation-feature"
    assert "extensionApis.enableBackend: true" in backend["action"]
    assert [s["name"] for s in backend["sources"]] == ["shop"]
    htpasswd = found["Secret team-b/admin-users"]
    assert "{SHA}" in htpasswd["action"] and "-n team-b" in htpasswd["action"]
    # A Secret the listeners reference that the input does not define; one it defines is not
    # listed.
    assert found["Secret team-a/shop-tls"]["origin"] == "output"
    assert [s["name"] for s in found["Secret team-a/shop-tls"]["sources"]] == ["shop"]
    assert "Secret team-b/admin-tls" not in found
    grant = found["ReferenceGrant team-a/from-default-gateway-to-secret-shop-tls"]
    assert grant["need"] == "reference-grant" and "namespace team-a" in grant["action"]
    order = [p["need"] for p in plan_of(tmp_path, "envoy-gateway")["prerequisites"]]
    assert order == sorted(order, key=[n.value for n in ingress2gateway.planning.model.Need].index)


def test_prerequisites_under_the_standard_emitter_name_no_implementation(tmp_path: Path) -> None:
    found = prerequisites(plan_of(tmp_path, "standard"))
    assert found["GatewayClass nginx"]["origin"] == "output"
    assert "Envoy Gateway" not in " ".join(found)


def test_global_rate_limits_need_the_rate_limit_service(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "envoy-gateway", emitter_options={"rate-limit-service": "true"})
    service = prerequisites(plan)["Envoy Gateway global rate limit service"]
    assert "Redis" in service["action"] and [s["name"] for s in service["sources"]] == ["shop"]


def test_without_the_input_objects_every_referenced_secret_is_listed(tmp_path: Path) -> None:
    _, result = converted(tmp_path, "standard")
    plan = make_plan(result).to_json()
    assert "Secret team-b/admin-tls" in prerequisites(plan)


# --- other tools' annotations -----------------------------------------------------------


def test_other_tools_annotations_are_grouped_by_prefix(tmp_path: Path) -> None:
    review = plan_of(tmp_path, "envoy-gateway")["review"]
    groups = {g["prefix"]: g["annotations"] for g in review}
    assert list(groups) == ["argocd.argoproj.io", "prometheus.io"]
    assert [(a["source"]["name"], a["value"]) for a in groups["argocd.argoproj.io"]] == [
        ("shop", "1"),
        ("admin", "2"),
    ]
    assert groups["prometheus.io"][0]["value"] == HOSTILE
    every_key = [a["key"] for g in review for a in g["annotations"]]
    assert not any(key.startswith("nginx.ingress.kubernetes.io/") for key in every_key)


# --- cut-over ---------------------------------------------------------------------------


def test_cutover_per_host(tmp_path: Path) -> None:
    cutover = {c["host"]: c for c in plan_of(tmp_path, "envoy-gateway")["cutover"]}
    assert sorted(cutover) == [
        "admin.example.com",
        "docs.example.com",
        "shop.example.com",
        "tools.example.com",
    ]
    shop = cutover["shop.example.com"]
    assert {(item["protocol"], item["port"]) for item in shop["listeners"]} == {
        ("HTTP", 80),
        ("HTTPS", 443),
    }
    assert shop["address"] == (
        "ADDRESS=$(kubectl get gateway -n default nginx -o jsonpath='{.status.addresses[0].value}')"
    )
    assert '--resolve shop.example.com:443:"$ADDRESS" https://shop.example.com/' in shop["check"]
    assert "shop.example.com at $ADDRESS" in shop["dns"]
    assert "Ingress team-a/shop" in shop["rollback"] and "back" in shop["rollback"]
    docs = cutover["docs.example.com"]
    assert "http://docs.example.com/" in docs["check"] and ":80:" in docs["check"]


# --- verify -----------------------------------------------------------------------------


def test_verify_counts_and_unexplained_differences(tmp_path: Path) -> None:
    objects, result = converted(tmp_path, "standard")
    clean = ingress2gateway.verify(objects, result.resources, ["nginx"], report=result.report)
    plan = make_plan(result, clean).to_json()["verify"]
    assert plan["ran"] and plan["requests"] > 0 and plan["unexplained"] == []
    assert plan["explained"] == plan["differences"]
    # Send docs somewhere else: verify finds a difference the report does not explain.
    tampered = yaml.safe_load(yaml.safe_dump(result.resources))
    for body in tampered:
        if body["metadata"]["name"] == "docs-docs-example-com":
            body["spec"]["rules"][0]["backendRefs"][0]["name"] = "elsewhere"
    found = ingress2gateway.verify(objects, tampered, ["nginx"], report=result.report)
    whole = make_plan(result, found)
    plan = whole.to_json()["verify"]
    markdown, page = render(whole, "markdown"), render(whole, "html")
    assert "| Request | Source controller | Migration | Decided by |" in markdown
    assert page.count('class="difference"') == len(plan["unexplained"])
    assert plan["unexplained"] and all("elsewhere" in d["migration"] for d in plan["unexplained"])
    assert plan["differences"] == plan["explained"] + len(plan["unexplained"])


def test_verify_not_run_says_why(tmp_path: Path) -> None:
    _, result = converted(tmp_path, "standard")
    plan = make_plan(result, not_verified="--no-verify was given").to_json()["verify"]
    assert plan == {
        "ran": False,
        "reason": "--no-verify was given",
        "requests": 0,
        "differences": 0,
        "explained": 0,
        "unexplained": [],
    }


# --- policies per route ------------------------------------------------------------------


def test_policies_per_route_from_a_conversion(tmp_path: Path) -> None:
    routes = {
        r["route"]["name"]: r["policies"] for r in plan_of(tmp_path, "envoy-gateway")["routes"]
    }
    assert [(p["via"], p["policy"]["kind"]) for p in routes["shop-shop-example-com"]] == [
        ("route", "BackendTrafficPolicy"),
        ("route", "SecurityPolicy"),
    ]
    assert [(p["via"], p["policy"]["kind"]) for p in routes["admin-admin-example-com"]] == [
        ("route", "SecurityPolicy")
    ]
    assert routes["docs-docs-example-com"] == []


GW = "gateway.networking.k8s.io"


def _obj(kind: str, name: str, spec: dict[str, Any], api: str = f"{GW}/v1") -> dict[str, Any]:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": name, "namespace": "ns"},
        "spec": spec,
    }


def test_attachment_is_generic_over_policy_kinds() -> None:
    """Made-up policy kinds attach by GEP-713 targetRef(s) alone: to the route, a rule, the
    Gateway, the route's listener (not another listener), its backend; ExtensionRef filters
    are named, present in the output or not."""
    resources = [
        _obj(
            "Gateway",
            "gw",
            {
                "listeners": [
                    {"name": "a", "port": 80, "protocol": "HTTP"},
                    {"name": "b", "port": 81, "protocol": "HTTP"},
                ]
            },
        ),
        _obj(
            "HTTPRoute",
            "web",
            {
                "parentRefs": [{"name": "gw", "sectionName": "a"}],
                "rules": [
                    {
                        "name": "one",
                        "backendRefs": [{"name": "svc", "port": 80}],
                        "filters": [
                            {
                                "type": "ExtensionRef",
                                "extensionRef": {"group": "x.io", "kind": "Thing", "name": "t"},
                            },
                            {
                                "type": "ExtensionRef",
                                "extensionRef": {"group": "x.io", "kind": "Thing", "name": "gone"},
                            },
                        ],
                    }
                ],
            },
        ),
        _obj(
            "FooPolicy",
            "on-route",
            {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "web"}]},
            "x.io/v1",
        ),
        _obj(
            "FooPolicy",
            "on-rule",
            {"targetRef": {"group": GW, "kind": "HTTPRoute", "name": "web", "sectionName": "one"}},
            "x.io/v1",
        ),
        _obj(
            "BarPolicy",
            "on-gateway",
            {"targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw"}]},
            "x.io/v1",
        ),
        _obj(
            "BarPolicy",
            "on-listener-a",
            {"targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw", "sectionName": "a"}]},
            "x.io/v1",
        ),
        _obj(
            "BarPolicy",
            "on-listener-b",
            {"targetRefs": [{"group": GW, "kind": "Gateway", "name": "gw", "sectionName": "b"}]},
            "x.io/v1",
        ),
        _obj(
            "BackendTLSPolicy",
            "tls",
            {"targetRefs": [{"group": "", "kind": "Service", "name": "svc"}]},
        ),
        _obj(
            "FooPolicy",
            "other-route",
            {"targetRefs": [{"group": GW, "kind": "HTTPRoute", "name": "else"}]},
            "x.io/v1",
        ),
        _obj("Thing", "t", {}, "x.io/v1"),
    ]
    (found,) = route_policies(resources)
    assert [(a.via, a.policy.name, a.present) for a in found.attachments] == [
        ("route", "on-route", True),
        ("rule", "on-rule", True),
        ("gateway", "on-gateway", True),
        ("listener", "on-listener-a", True),
        ("backend", "tls", True),
        ("filter", "gone", False),
        ("filter", "t", True),
    ]


# --- the whole plan ---------------------------------------------------------------------


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_the_same_input_gives_the_same_plan(tmp_path: Path, emitter: str) -> None:
    plans = []
    for _ in range(2):  # two conversions of the same file, from scratch
        objects, result = converted(tmp_path, emitter)
        plans.append(make_plan(result, inputs=objects))
    for form in ("markdown", "html", "json"):
        assert render(plans[0], form) == render(plans[1], form)


def test_statuses_and_kinds_are_the_documented_ones() -> None:
    assert [r.value for r in Readiness] == ["ready", "needs-action", "blocked"]
    assert [k.value for k in StepKind] == [
        "security-error",
        "error",
        "security-warning",
        "warning",
        "unsupported",
        "partial",
    ]
    docs = (Path(__file__).resolve().parent.parent / "docs" / "plan.md").read_text()
    for value in [*(r.value for r in Readiness), *(k.value for k in StepKind)]:
        assert f"`{value}`" in docs


def test_routes_with_and_without_a_namespace_make_one_plan() -> None:
    """An object without metadata.namespace (as some vendors' examples are written) makes a
    route without one: ordering it beside namespaced routes of the same host once crashed."""
    from ingress2gateway.objects import KubeObject, Origin

    def ingress(namespace: str | None, path: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": f"app{path.replace('/', '-')}"}
        if namespace is not None:
            metadata["namespace"] = namespace
        backend = {"service": {"name": "app", "port": {"number": 80}}}
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": metadata,
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "app.example.com",
                        "http": {
                            "paths": [{"path": path, "pathType": "Prefix", "backend": backend}]
                        },
                    }
                ],
            },
        }

    objects = [
        KubeObject(doc, Origin("in.yaml", None, index))
        for index, doc in enumerate([ingress(None, "/a"), ingress("web", "/b")])
    ]
    result = ingress2gateway.convert(objects, ["nginx"])
    plan = make_plan(result, inputs=objects)
    (step,) = [c for c in plan.to_json()["cutover"] if c["host"] == "app.example.com"]
    assert len(step["routes"]) == 2
    assert render(plan, "markdown") == render(make_plan(result, inputs=objects), "markdown")
