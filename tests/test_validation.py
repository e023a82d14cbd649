"""validate(): apiserver-equivalent acceptance of objects, on corpora and hand-made edge cases."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from celpy import celtypes
from celpy.evaluation import CELEvalError

from ingress2gateway.target import Target
from ingress2gateway.validation import (
    CEL_NOT_CHECKED,
    Violation,
    _cel,
    _celfuncs,
    _celnames,
    validate,
)
from tests.shared_data import require_shared, yaml_documents

STANDARD = Target.parse()
EXPERIMENTAL = Target.parse(channel="experimental")
GW = "gateway.networking.k8s.io/v1"


def route(*rules: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": "prod"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": list(rules), **spec},
    }


def gateway(*listeners: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra"},
        "spec": {"gatewayClassName": "example", "listeners": list(listeners), **spec},
    }


BACKEND = {"name": "web", "port": 80}
HTTP = {"name": "http", "port": 80, "protocol": "HTTP"}


def rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def messages(violations: list[Violation]) -> str:
    return "\n".join(str(v) for v in violations)


# --- the upstream example corpora --------------------------------------------------------------


def _failures(folder: str, target: Target, expect_valid: bool) -> list[str]:
    found = []
    count = 0
    for path, doc in yaml_documents(require_shared("gateway-api", "examples", folder)):
        if not doc.get("apiVersion", "").startswith("gateway.networking"):
            continue
        count += 1
        violations = validate(doc, target)
        if bool(violations) == expect_valid:
            found.append(f"{path.name} {doc['kind']}: {messages(violations) or 'accepted'}")
    assert count > 0
    return found


def test_valid_standard_examples_pass_standard() -> None:
    assert _failures("valid-standard", STANDARD, expect_valid=True) == []


def test_valid_standard_examples_pass_experimental() -> None:
    assert _failures("valid-standard", EXPERIMENTAL, expect_valid=True) == []


def test_valid_experimental_examples_pass_experimental() -> None:
    assert _failures("valid-experimental", EXPERIMENTAL, expect_valid=True) == []


def test_invalid_standard_examples_fail_standard() -> None:
    assert _failures("invalid/standard", STANDARD, expect_valid=False) == []


def test_all_invalid_examples_fail_experimental() -> None:
    assert _failures("invalid", EXPERIMENTAL, expect_valid=False) == []


def test_experimental_tlsroute_alpha_examples_are_not_served_by_standard() -> None:
    folder = require_shared("gateway-api", "examples", "valid-experimental")
    alpha = [
        d for _, d in yaml_documents(folder) if d["apiVersion"].endswith(("v1alpha2", "v1alpha3"))
    ]
    assert alpha
    for doc in alpha:
        assert rules_of(validate(doc, STANDARD)) == {"served"}


def test_transpiled_cel_agrees_with_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transpiled rules (patched for cel-python's has()) give the interpreter's answers."""
    folder = require_shared("gateway-api", "examples")
    disagreements: list[str] = []
    evaluate = _cel.Program.evaluate

    def both(self: _cel.Program, value: Any) -> Any:
        fast, reference = evaluate(self, value), self.interpret(value)
        if _cel._passed(fast) != _cel._passed(reference):
            disagreements.append(f"{self.text}: {fast!r} != {reference!r}")
        return fast

    monkeypatch.setattr(_cel.Program, "evaluate", both)
    monkeypatch.setattr(_cel, "_RESULTS", {})
    for _, doc in yaml_documents(folder):
        validate(doc, EXPERIMENTAL)
    assert disagreements == []


# --- hand-made edge cases ----------------------------------------------------------------------


def test_minimal_route_is_valid_and_defaults_are_applied() -> None:
    assert validate(route({"backendRefs": [BACKEND]}), STANDARD) == []
    # `rules` and `matches` defaults make the CEL rules on them evaluable.
    bare = route()
    del bare["spec"]["rules"]
    assert validate(bare, STANDARD) == []


def test_validate_does_not_mutate_its_input() -> None:
    obj = route({"backendRefs": [{"name": "web", "port": 80}]}, hostnames=["a.example.com"])
    before = copy.deepcopy(obj)
    validate(obj, STANDARD)
    assert obj == before


def test_hostname_with_trailing_newline_is_rejected_like_go_regexp() -> None:
    violations = validate(route({"backendRefs": [BACKEND]}, hostnames=["example.com\n"]), STANDARD)
    assert [(v.path, v.rule) for v in violations] == [("spec.hostnames[0]", "schema")]


def test_retry_is_unknown_on_standard_and_accepted_on_experimental() -> None:
    obj = route({"backendRefs": [BACKEND], "retry": {"attempts": 2}})
    violations = validate(obj, STANDARD)
    assert violations == [
        Violation("spec.rules[0].retry", 'unknown field "spec.rules[0].retry"', "unknown-field")
    ]
    assert validate(obj, EXPERIMENTAL) == []


def test_duplicate_listener_names_are_rejected() -> None:
    violations = validate(gateway(HTTP, {**HTTP, "port": 8080}), STANDARD)
    assert ("spec.listeners[1]", "list-type") in {(v.path, v.rule) for v in violations}
    assert "Listener name must be unique within the Gateway" in messages(violations)


def test_https_listener_without_tls_is_accepted_in_v1_6() -> None:
    assert validate(gateway({"name": "https", "port": 443, "protocol": "HTTPS"}), STANDARD) == []


def test_service_backend_without_port_is_rejected() -> None:
    violations = validate(route({"backendRefs": [{"name": "web"}]}), STANDARD)
    assert [(v.path, v.rule) for v in violations] == [("spec.rules[0].backendRefs[0]", "cel")]
    assert violations[0].message == "Must have port for Service reference"
    # The CEL rule relies on the defaults group "" / kind Service: another kind needs no port.
    other = {"name": "web", "group": "example.com", "kind": "Backend"}
    assert validate(route({"backendRefs": [other]}), STANDARD) == []


def test_request_redirect_with_backend_refs_is_rejected() -> None:
    redirect = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}
    violations = validate(route({"filters": [redirect], "backendRefs": [BACKEND]}), STANDARD)
    assert "RequestRedirect filter must not be used together with backendRefs" in messages(
        violations
    )
    assert validate(route({"filters": [redirect]}), STANDARD) == []


CORS = {"type": "CORS", "cors": {"allowOrigins": ["https://shop.example.com"]}}


def test_cors_filter_rejected_on_v1_4_standard_and_accepted_on_v1_5() -> None:
    obj = route({"filters": [CORS], "backendRefs": [BACKEND]})
    on_v14 = validate(obj, Target.parse("v1.4"))
    assert rules_of(on_v14) == {"unknown-field"}
    assert on_v14[0].path == "spec.rules[0].filters[0].cors"
    assert validate(obj, Target.parse("v1.5")) == []
    assert validate(obj, Target.parse("v1.4", "experimental")) == []


def test_repeated_cors_filter_is_rejected_from_v1_5_1() -> None:
    obj = route({"filters": [CORS, CORS], "backendRefs": [BACKEND]})
    assert "CORS filter cannot be repeated" in messages(validate(obj, Target.parse("v1.5")))


def test_enum_error_blocks_cel_like_the_apiserver() -> None:
    bad = {"path": {"type": "Prefix", "value": "/"}}
    violations = validate(route({"matches": [bad], "backendRefs": [{"name": "web"}]}), STANDARD)
    assert violations[-1] == Violation("", CEL_NOT_CHECKED, "cel")
    assert "Must have port" not in messages(violations)  # CEL did not run
    assert "Unsupported value" in messages(violations)


def test_pattern_error_does_not_block_cel() -> None:
    obj = route({"backendRefs": [{"name": "web"}]}, hostnames=["Bad_Host"])
    assert rules_of(validate(obj, STANDARD)) == {"schema", "cel"}
    assert CEL_NOT_CHECKED not in messages(validate(obj, STANDARD))


def test_parent_refs_differing_only_in_namespace_are_distinct() -> None:
    # The rule reads `__namespace__`: without Kubernetes' property escaping both refs look equal.
    refs = [{"name": "gw", "namespace": "a"}, {"name": "gw", "namespace": "b"}]
    obj = route({"backendRefs": [BACKEND]})
    obj["spec"]["parentRefs"] = refs
    assert validate(obj, STANDARD) == []
    obj["spec"]["parentRefs"] = [refs[0], refs[0]]
    assert "sectionName must be unique" in messages(validate(obj, STANDARD))


def test_header_match_duplicates_are_list_map_errors() -> None:
    match = {"headers": [{"name": "x", "value": "1"}, {"name": "x", "value": "2"}]}
    violations = validate(route({"matches": [match], "backendRefs": [BACKEND]}), STANDARD)
    assert [(v.path, v.rule) for v in violations] == [
        ("spec.rules[0].matches[0].headers[1]", "list-type")
    ]


def test_gateway_infrastructure_label_keys_use_split() -> None:
    long_prefix = "a" * 250 + ".io/key"
    ok = gateway(HTTP, infrastructure={"labels": {"example.com/team": "web"}})
    assert validate(ok, STANDARD) == []
    bad = gateway(HTTP, infrastructure={"labels": {long_prefix: "web"}})
    assert rules_of(validate(bad, STANDARD)) == {"cel"}


def test_tlsroute_hostname_must_not_be_an_ip() -> None:
    obj: dict[str, Any] = {
        "apiVersion": GW,
        "kind": "TLSRoute",
        "metadata": {"name": "tls", "namespace": "prod"},
        "spec": {
            "parentRefs": [{"name": "gw"}],
            "hostnames": ["10.0.0.1"],
            "rules": [{"backendRefs": [{"name": "db", "port": 5432}]}],
        },
    }
    assert "Hostnames" in messages(validate(obj, STANDARD))
    obj["spec"]["hostnames"] = ["db.example.com"]
    assert validate(obj, STANDARD) == []


def test_transition_rules_are_skipped_on_create() -> None:
    gateway_class = {
        "apiVersion": GW,
        "kind": "GatewayClass",
        "metadata": {"name": "example", "namespace": "ignored-for-cluster-scoped_"},
        "spec": {"controllerName": "example.com/controller"},
    }
    assert validate(gateway_class, STANDARD) == []


@pytest.mark.parametrize(
    ("metadata", "path"),
    [
        ({"name": "Shop"}, "metadata.name"),
        ({"name": "shop_1"}, "metadata.name"),
        ({"name": "a" * 254}, "metadata.name"),
        ({}, "metadata.name"),
        ({"name": "shop", "namespace": "Prod"}, "metadata.namespace"),
        ({"name": "shop", "labels": {"app": "not valid!"}}, "metadata.labels"),
        ({"name": "shop", "annotations": {"bad key!": "x"}}, "metadata.annotations"),
    ],
)
def test_metadata_is_checked_like_object_meta(metadata: dict[str, Any], path: str) -> None:
    obj = route({"backendRefs": [BACKEND]})
    obj["metadata"] = metadata
    violations = validate(obj, STANDARD)
    assert (path, "metadata") in {(v.path, v.rule) for v in violations}


def test_unknown_metadata_field_is_rejected() -> None:
    obj = route({"backendRefs": [BACKEND]})
    obj["metadata"]["labelz"] = {}
    assert rules_of(validate(obj, STANDARD)) == {"unknown-field"}


def test_status_is_ignored_on_create() -> None:
    obj = route({"backendRefs": [BACKEND]})
    obj["status"] = {"whatever": True}
    assert validate(obj, STANDARD) == []


@pytest.mark.parametrize(
    ("api_version", "kind", "target"),
    [
        ("gateway.networking.k8s.io/v1alpha2", "HTTPRoute", STANDARD),
        ("gateway.networking.k8s.io/v1", "TCPRoute", Target.parse("v1.5")),
        ("gateway.networking.k8s.io/v1", "BackendTLSPolicy", Target.parse("v1.3", "experimental")),
        ("gateway.networking.k8s.io/v1", "Nonexistent", STANDARD),
        ("gateway.networking.x-k8s.io/v1alpha1", "XListenerSet", STANDARD),
    ],
)
def test_unserved_versions_are_rejected(api_version: str, kind: str, target: Target) -> None:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": {}}
    violations = validate(obj, target)
    assert rules_of(violations) == {"served"}
    assert str(target) in violations[0].message


def test_kinds_without_a_vendored_crd_are_not_validated() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "Not_Valid"}}
    assert validate(secret, STANDARD) == []
    assert validate({"kind": "HTTPRoute"}, STANDARD) == []


def test_envoy_gateway_kinds_are_validated_against_the_vendored_crds() -> None:
    policy: dict[str, Any] = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "auth", "namespace": "prod"},
        "spec": {
            "targetRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "x"}
            ],
            "basicAuth": {"users": {"name": "htpasswd"}},
        },
    }
    assert validate(policy, Target.parse("v1.2")) == []
    policy["spec"]["basicAuth"]["userz"] = 1
    assert rules_of(validate(policy, STANDARD)) == {"unknown-field"}
    policy["apiVersion"] = "gateway.envoyproxy.io/v1"
    assert "Envoy Gateway v1.9.0" in validate(policy, STANDARD)[0].message


def test_envoy_gateway_cel_rules_use_kubernetes_string_functions() -> None:
    # The vendored rule: requestBody only with method.upperAscii() in ['POST', 'PUT'].
    check = {"path": "/healthz", "method": "post", "requestBody": {"type": "Text", "text": "hi"}}
    policy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": "p", "namespace": "prod"},
        "spec": {
            "targetRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "x"}
            ],
            "healthCheck": {"active": {"type": "HTTP", "http": check}},
        },
    }
    assert validate(policy, STANDARD) == []
    check["method"] = "get"
    violations = validate(policy, STANDARD)
    assert [(v.path, v.rule) for v in violations] == [("spec.healthCheck.active.http", "cel")]


# --- Kubernetes CEL library pieces -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("namespace", "__namespace__"),
        ("in", "__in__"),
        ("name", "name"),
        ("a.b", "a__dot__b"),
        ("x-y", "x__dash__y"),
        ("a/b", "a__slash__b"),
        ("a__b", "a__underscores__b"),
        ("1abc", None),
        ("späť", None),
    ],
)
def test_property_escaping(name: str, escaped: str | None) -> None:
    assert _celnames.escape_property(name) == escaped


def test_kubernetes_string_functions() -> None:
    s = celtypes.StringType
    assert _celfuncs.split(s("a/b/c"), s("/")) == [s("a"), s("b"), s("c")]
    assert _celfuncs.split(s("a/b/c"), s("/"), celtypes.IntType(2)) == [s("a"), s("b/c")]
    assert _celfuncs.substring(s("*.example.com"), celtypes.IntType(2)) == s("example.com")
    assert isinstance(_celfuncs.substring(s("ab"), celtypes.IntType(3)), CELEvalError)
    assert _celfuncs.lower_ascii(s("HoSt-Ä")) == s("host-Ä")
    assert _celfuncs.upper_ascii(s("post")) == s("POST")
    assert _celfuncs.is_ip(s("10.0.0.1")) and _celfuncs.is_ip(s("::1"))
    assert not _celfuncs.is_ip(s("010.0.0.1"))
    assert not _celfuncs.is_ip(s("fe80::1%eth0"))
    assert not _celfuncs.is_ip(s("::ffff:10.0.0.1"))
    assert not _celfuncs.is_ip(s("example.com"))


def test_format_dns1123_label_validate() -> None:
    rule = _cel.program("size(self) == 0 || format.dns1123Label().validate(self) == null")
    assert _cel._passed(rule.evaluate(celtypes.StringType("backend-1")))
    assert not _cel._passed(rule.evaluate(celtypes.StringType("Backend_1")))
