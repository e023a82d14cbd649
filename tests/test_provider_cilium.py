"""The Cilium provider: class rules, path semantics, load balancer modes, HTTPS redirect, TLS
passthrough and timeouts, asserted on the converted objects and, request by request, through
the Gateway API model of ``verify`` (a request in, a backend / redirect / status out)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions, Provider
from ingress2gateway.registry import load_provider
from ingress2gateway.validation import validate
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import Forward, NoRoute, Redirect, Request
from ingress2gateway_providers.cilium import PROVIDER, CiliumProvider
from ingress2gateway_providers.cilium.catalog import CATALOG, lookup
from ingress2gateway_providers.cilium.values import gateway_duration, go_duration_ns, switch

from .ledger_checks import missing_ledger_fields


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def convert(text: str, emitter: str = "standard", **options: Any) -> Result:
    provider_options = options.pop("provider_options", {})
    return ingress2gateway.convert(
        objects_of(text),
        providers=["cilium"],
        emitter=emitter,
        options=ConvertOptions(provider_options={"cilium": provider_options}, **options),
    )


def answer(text: str, request: Request, **options: Any) -> Forward | Redirect | NoRoute | Any:
    result = convert(text, **options)
    for obj in result.resources:
        assert validate(obj, result.target) == [], obj
    return GatewayAPIModel(result.resources).route(request).outcome


def backend(outcome: Any) -> str | None:
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        found = outcome.backends[0][0]
        return f"{found.namespace}/{found.name}"
    return None


def ingress(
    paths: list[tuple[str, str, str]],
    *,
    name: str = "web",
    namespace: str = "default",
    host: str | None = "app.example.com",
    annotations: dict[str, str] | None = None,
    tls: bool = False,
    extra: str = "",
) -> str:
    doc: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "ingressClassName": "cilium",
            "rules": [
                {
                    **({"host": host} if host else {}),
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": kind,
                                "backend": {"service": {"name": svc, "port": {"number": 80}}},
                            }
                            for path, kind, svc in paths
                        ]
                    },
                }
            ],
        },
    }
    if tls and host:
        doc["spec"]["tls"] = [{"hosts": [host], "secretName": "cert"}]
    return yaml.safe_dump(doc) + extra


def codes(result: Result) -> list[str]:
    return [n.code for n in result.report.notifications]


def test_provider_is_registered_and_satisfies_the_protocol() -> None:
    loaded = load_provider("cilium")
    assert isinstance(loaded, Provider)
    assert isinstance(PROVIDER, CiliumProvider)
    assert type(loaded).__name__ == "CiliumProvider"
    assert all(code.startswith("cilium-") for code in PROVIDER.codes)


def test_catalog_covers_every_annotation_cilium_reads() -> None:
    keys = {spec.key for spec in CATALOG}
    for suffix in (
        "loadbalancer-mode",
        "loadbalancer-class",
        "service-type",
        "service-external-traffic-policy",
        "insecure-node-port",
        "secure-node-port",
        "host-listener-port",
        "tls-passthrough",
        "force-https",
        "request-timeout",
    ):
        assert f"ingress.cilium.io/{suffix}" in keys
    for alias in ("loadbalancer-mode", "service-type", "tls-passthrough"):
        assert f"io.cilium.ingress/{alias}" in keys
    assert lookup("lbipam.cilium.io/ips") is not None
    assert lookup("lbipam.cilium.io/") is None
    assert lookup("ingress.cilium.io/nope") is None


def test_values_are_read_as_the_operator_reads_them() -> None:
    assert switch("enabled") is True and switch("disabled") is False
    assert switch("T") is True and switch("0") is False and switch("yes") is None
    assert go_duration_ns("1m30.5s") == 90_500_000_000
    assert go_duration_ns("1.5h") == 5_400_000_000_000
    assert go_duration_ns("300ms") == 300_000_000
    assert go_duration_ns("0") == 0
    for bad in ("", "10", "s", "1x", ".s", "soon"):
        assert go_duration_ns(bad) is None
    assert gateway_duration(90_500_000_000) == "1m30s500ms"
    assert gateway_duration(0) == "0s"
    assert gateway_duration(1) is None


# --- paths and order -----------------------------------------------------------------------


def test_prefix_is_element_wise_and_exact_is_exact() -> None:
    text = ingress([("/api", "Prefix", "api"), ("/login", "Exact", "login")])
    assert backend(answer(text, Request("app.example.com", "/api/v1"))) == "default/api"
    assert backend(answer(text, Request("app.example.com", "/api"))) == "default/api"
    assert isinstance(answer(text, Request("app.example.com", "/apiary")), NoRoute)
    assert backend(answer(text, Request("app.example.com", "/login"))) == "default/login"
    assert isinstance(answer(text, Request("app.example.com", "/login/x")), NoRoute)


def test_implementation_specific_is_a_whole_path_regular_expression() -> None:
    text = ingress([("/v[0-9]+/items", "ImplementationSpecific", "items")])
    result = convert(text)
    route = next(o for o in result.resources if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["matches"][0]["path"] == {
        "type": "RegularExpression",
        "value": "/v[0-9]+/items",
    }
    assert backend(answer(text, Request("app.example.com", "/v12/items"))) == "default/items"
    # Envoy's safe_regex is a full match: no prefix, no substring.
    assert isinstance(answer(text, Request("app.example.com", "/v12/items/3")), NoRoute)


def test_a_literal_implementation_specific_path_stays_a_regular_expression() -> None:
    # Cilium ranks it among the regular expressions by length: /impl.* (longer) wins /impl,
    # as the path-types documentation shows; an Exact match would take /impl first.
    text = ingress(
        [("/impl", "ImplementationSpecific", "impl"), ("/impl.*", "ImplementationSpecific", "star")]
    )
    route = next(o for o in convert(text).resources if o["kind"] == "HTTPRoute")
    assert {r["matches"][0]["path"]["type"] for r in route["spec"]["rules"]} == {
        "RegularExpression"
    }
    assert backend(answer(text, Request("app.example.com", "/impl"))) == "default/star"
    assert isinstance(answer(text, Request("app.example.com", "/im")), NoRoute)


def test_an_invalid_regular_expression_is_an_error_and_not_converted() -> None:
    result = convert(ingress([("/a(b", "ImplementationSpecific", "bad"), ("/", "Prefix", "web")]))
    assert "cilium-regex-invalid" in codes(result)
    routes = [o for o in result.resources if o["kind"] == "HTTPRoute"]
    values = [
        m["path"]["value"] for r in routes for rule in r["spec"]["rules"] for m in rule["matches"]
    ]
    assert "/a(b" not in values


def test_regular_expressions_come_before_longer_prefixes_as_in_cilium() -> None:
    text = ingress([("/api/v1", "Prefix", "prefix"), ("/a.*", "ImplementationSpecific", "a")])
    result = convert(text)
    assert "cilium-order-differs" not in codes(result)
    assert backend(answer(text, Request("app.example.com", "/api/v1/x"))) == "default/a"


def test_equal_regular_expressions_in_another_order_are_reported() -> None:
    # Cilium keeps the input order of equals (sort.Stable): /b.* first; Gateway API orders
    # the rules of one route by value.
    text = ingress(
        [("/b.*", "ImplementationSpecific", "b"), ("/.*z", "ImplementationSpecific", "z")]
    )
    order = [n for n in convert(text).report.notifications if n.code == "cilium-order-differs"]
    assert [n.field for n in order] == ["spec.rules[0].http.paths[0]"]


def test_a_default_backend_shadows_a_hostless_slash_prefix() -> None:
    text = ingress([("/", "Prefix", "root")], host=None).replace(
        "spec:\n", "spec:\n  defaultBackend: {service: {name: fallback, port: {number: 80}}}\n", 1
    )
    result = convert(text)
    assert "cilium-order-differs" in codes(result)
    assert backend(answer(text, Request("any.example.com", "/x"))) == "default/fallback"


def test_a_prefix_with_a_dot_is_literal() -> None:
    text = ingress([("/v1.0", "Prefix", "v1")])
    assert backend(answer(text, Request("app.example.com", "/v1.0/x"))) == "default/v1"
    assert isinstance(answer(text, Request("app.example.com", "/v1x0")), NoRoute)


def test_the_same_path_twice_shares_the_requests_equally() -> None:
    text = ingress([("/api", "Prefix", "a"), ("/api", "Prefix", "b")])
    outcome = answer(text, Request("app.example.com", "/api"))
    assert isinstance(outcome, Forward)
    assert sorted((b.name, str(share)) for b, share in outcome.backends) == [
        ("a", "1/2"),
        ("b", "1/2"),
    ]


def test_a_wildcard_host_is_reported() -> None:
    result = convert(ingress([("/", "Prefix", "web")], host="*.example.com"))
    assert "cilium-wildcard-host" in codes(result)


# --- class -------------------------------------------------------------------------------


def test_the_class_annotation_is_read_before_the_field() -> None:
    text = ingress([("/", "Prefix", "web")]).replace(
        "ingressClassName: cilium", "ingressClassName: other"
    )
    text = text.replace("annotations: {}", "annotations: {kubernetes.io/ingress.class: cilium}")
    assert backend(answer(text, Request("app.example.com", "/"))) == "default/web"
    flipped = ingress([("/", "Prefix", "web")], annotations={"kubernetes.io/ingress.class": "x"})
    assert not [o for o in convert(flipped).resources if o["kind"] == "HTTPRoute"]


@pytest.mark.parametrize("how", ["input", "option"])
def test_unclassed_ingresses_are_cilium_s_when_its_class_is_the_default(how: str) -> None:
    text = ingress([("/", "Prefix", "web")]).replace("  ingressClassName: cilium\n", "")
    assert not [o for o in convert(text).resources if o["kind"] == "HTTPRoute"]
    if how == "input":
        text += (
            "---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: cilium\n"
            "  annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}\n"
            "spec: {controller: cilium.io/ingress-controller}\n"
        )
        options: dict[str, Any] = {}
    else:
        options = {"provider_options": {"default-class": "true"}}
    outcome = answer(text, Request("app.example.com", "/"), **options)
    assert backend(outcome) == "default/web"


# --- load balancers ------------------------------------------------------------------------


def _gateways(result: Result) -> list[str]:
    return sorted(
        f"{o['metadata']['namespace']}/{o['metadata']['name']}"
        for o in result.resources
        if o["kind"] == "Gateway"
    )


def test_dedicated_ingresses_get_gateways_of_their_own_and_shared_ones_share() -> None:
    shared = {"ingress.cilium.io/loadbalancer-mode": "shared"}
    text = (
        ingress([("/", "Prefix", "a")], name="a", host="a.example.com", annotations=shared)
        + "---\n"
        + ingress([("/", "Prefix", "b")], name="b", host="b.example.com", annotations=shared)
        + "---\n"
        + ingress([("/", "Prefix", "c")], name="c", host="c.example.com")
    )
    result = convert(text)
    assert _gateways(result) == ["default/cilium", "default/cilium-c"]
    # With the operator's default mode shared, the unannotated Ingress shares too.
    assert _gateways(convert(text, provider_options={"loadbalancer-mode": "shared"})) == [
        "default/cilium"
    ]
    dedicated = text.replace("loadbalancer-mode: shared", "loadbalancer-mode: dedicated")
    assert _gateways(convert(dedicated)) == [
        "default/cilium-a",
        "default/cilium-b",
        "default/cilium-c",
    ]


def test_the_default_backend_answers_only_hosts_without_their_own_rules() -> None:
    text = ingress([("/app", "Prefix", "app")]).replace(
        "spec:\n", "spec:\n  defaultBackend: {service: {name: fallback, port: {number: 80}}}\n", 1
    )
    assert backend(answer(text, Request("other.example.com", "/x"))) == "default/fallback"
    assert isinstance(answer(text, Request("app.example.com", "/x")), NoRoute)
    assert backend(answer(text, Request("app.example.com", "/app"))) == "default/app"


# --- HTTPS -------------------------------------------------------------------------------


def test_tls_hosts_redirect_http_with_301_by_default_and_serve_https() -> None:
    text = ingress([("/app", "Prefix", "app")], tls=True)
    outcome = answer(text, Request("app.example.com", "/app/x"))
    assert isinstance(outcome, Redirect) and outcome.status == 301
    assert outcome.location == "https://app.example.com/app/x"
    secure = answer(text, Request("app.example.com", "/app/x", scheme="https"))
    assert backend(secure) == "default/app"
    # A path no rule matches is 404 on HTTP too, as in Cilium (a redirect per route).
    assert isinstance(answer(text, Request("app.example.com", "/other")), NoRoute)


@pytest.mark.parametrize(
    ("annotation", "option", "redirected"),
    [
        ("disabled", None, False),
        ("false", None, False),
        ("enabled", "false", True),
        (None, "false", False),
        ("bogus", "false", False),
        ("bogus", None, True),
    ],
)
def test_force_https_overrides_the_operator_default(
    annotation: str | None, option: str | None, redirected: bool
) -> None:
    annotations = {} if annotation is None else {"ingress.cilium.io/force-https": annotation}
    text = ingress([("/", "Prefix", "web")], tls=True, annotations=annotations)
    options = {} if option is None else {"provider_options": {"enforce-https": option}}
    outcome = answer(text, Request("app.example.com", "/"), **options)
    assert isinstance(outcome, Redirect) is redirected
    if not redirected:
        assert backend(outcome) == "default/web"


def test_force_https_without_tls_changes_nothing() -> None:
    text = ingress([("/", "Prefix", "web")], annotations={"ingress.cilium.io/force-https": "true"})
    assert backend(answer(text, Request("app.example.com", "/"))) == "default/web"


# --- passthrough, timeouts -------------------------------------------------------------------


def test_tls_passthrough_routes_by_sni_to_the_slash_backend() -> None:
    text = ingress(
        [("/", "Prefix", "db"), ("/admin", "Prefix", "admin")],
        annotations={"ingress.cilium.io/tls-passthrough": "enabled"},
    )
    result = convert(text)
    kinds = sorted(o["kind"] for o in result.resources)
    assert kinds == ["Gateway", "TLSRoute"]
    outcome = answer(text, Request("app.example.com", protocol="TLS"))
    assert backend(outcome) == "default/db"
    assert "cilium-passthrough" in codes(result)
    # No HTTP listener: Cilium served the host on TLS only.
    assert isinstance(answer(text, Request("app.example.com", "/")), NoRoute)


def test_request_timeout_is_every_rule_s_timeout() -> None:
    text = ingress(
        [("/a", "Prefix", "a"), ("/b", "Exact", "b")],
        annotations={"ingress.cilium.io/request-timeout": "2m"},
    )
    route = next(o for o in convert(text).resources if o["kind"] == "HTTPRoute")
    assert [rule["timeouts"] for rule in route["spec"]["rules"]] == [{"request": "2m"}] * 2


def test_default_request_timeout_option_applies_where_the_annotation_is_missing() -> None:
    text = ingress([("/a", "Prefix", "a")])
    result = convert(text, provider_options={"default-request-timeout": "15s"})
    route = next(o for o in result.resources if o["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["timeouts"] == {"request": "15s"}


def test_everything_has_a_ledger_entry_and_validates_on_both_emitters() -> None:
    text = ingress(
        [("/", "Prefix", "web"), ("/x.*", "ImplementationSpecific", "x")],
        tls=True,
        annotations={
            "ingress.cilium.io/service-type": "NodePort",
            "ingress.cilium.io/secure-node-port": "30443",
            "lbipam.cilium.io/ips": "10.0.0.1",
            "ingress.cilium.io/request-timeout": "5s",
            "ingress.cilium.io/unknown": "1",
        },
    )
    for emitter in ("standard", "envoy-gateway"):
        objects = objects_of(text)
        result = ingress2gateway.convert(objects, providers=["cilium"], emitter=emitter)
        assert missing_ledger_fields(objects, result) == []
        for obj in result.resources:
            assert validate(obj, result.target) == []
    assert "annotation-unknown" in codes(convert(text))


def test_a_regular_expression_with_a_control_character_is_not_copied() -> None:
    result = convert(ingress([("/a\nb.*", "ImplementationSpecific", "x")]))
    assert "cilium-regex-invalid" in codes(result)
    assert not [o for o in result.resources if o["kind"] == "HTTPRoute"]


def test_shared_passthrough_alone_gets_the_shared_gateway() -> None:
    text = ingress(
        [("/", "Prefix", "db")],
        annotations={
            "ingress.cilium.io/tls-passthrough": "enabled",
            "ingress.cilium.io/loadbalancer-mode": "shared",
        },
    )
    result = convert(text)
    gateways = [o for o in result.resources if o["kind"] == "Gateway"]
    assert [g["metadata"]["name"] for g in gateways] == ["cilium"]
    assert [item["protocol"] for item in gateways[0]["spec"]["listeners"]] == ["TLS"]
