"""The prerequisites the conversion declares (``Recorder.require``): the envoy-gateway
emitter's, where it used to say them only in prose, and the Ingress lowering's Secret to
create for a TLS entry without ``secretName``."""

from __future__ import annotations

from typing import Any

import yaml

import ingress2gateway
from ingress2gateway.plugin import ConvertOptions


def ingress(name: str, annotations: dict[str, str], **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": f"{name}.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": name, "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
        **spec,
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "web", "annotations": annotations},
        "spec": body,
    }


def needs(*objects: dict[str, Any], emitter: str = "envoy-gateway", **kw: Any) -> dict[str, Any]:
    result = ingress2gateway.convert(list(objects), providers=["nginx"], emitter=emitter, **kw)
    return {p.subject: p for p in result.report.prerequisites}


AUTH = "nginx.ingress.kubernetes.io/auth-url"


def test_an_external_auth_host_needs_the_backend_api_an_in_cluster_one_does_not() -> None:
    outside = needs(ingress("a", {AUTH: "https://auth.example.net/check"}))
    assert "extensionApis.enableBackend: true" in outside["Envoy Gateway Backend API"].action
    assert [s.name for s in outside["Envoy Gateway Backend API"].sources] == ["a"]
    inside = needs(ingress("a", {AUTH: "http://oauth.auth.svc.cluster.local/check"}))
    assert "Envoy Gateway Backend API" not in inside


def test_basic_auth_secrets_must_be_rehashed() -> None:
    found = needs(
        ingress(
            "a",
            {
                "nginx.ingress.kubernetes.io/auth-type": "basic",
                "nginx.ingress.kubernetes.io/auth-secret": "users",
            },
        )
    )
    secret = found["Secret web/users"]
    assert secret.need.value == "secret"
    assert "'.htpasswd'" in secret.action and "{SHA}" in secret.action
    assert "kubectl create secret generic users -n web" in secret.action


def test_global_rate_limits_need_the_rate_limit_service_local_ones_do_not() -> None:
    limited = ingress("a", {"nginx.ingress.kubernetes.io/limit-rps": "5"})
    assert "Envoy Gateway global rate limit service" not in needs(limited)
    found = needs(limited, emitter_options={"rate-limit-service": "true"})
    assert "rateLimit.backend" in found["Envoy Gateway global rate limit service"].action


def test_proxy_protocol_needs_the_load_balancer_to_send_it() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": {"use-proxy-protocol": "true"},
    }
    options = ConvertOptions(
        provider_options={"nginx": {"configmap": "ingress-nginx/ingress-nginx-controller"}}
    )
    found = needs(config, ingress("a", {}), options=options)
    assert "PROXY protocol" in found["PROXY protocol from the load balancer"].action


def test_the_gateway_class_is_envoy_gateways_only_under_its_emitter() -> None:
    assert "gateway.envoyproxy.io/gatewayclass-controller" in (
        needs(ingress("a", {}))["GatewayClass nginx"].action
    )
    assert needs(ingress("a", {}), emitter="standard") == {}


def test_a_tls_entry_without_secret_needs_the_default_certificate_created() -> None:
    found = needs(ingress("a", {}, tls=[{"hosts": ["a.example.com"]}]), emitter="standard")
    secret = found["Secret web/default-certificate"]
    assert "kubectl create secret tls default-certificate -n web" in secret.action
    given = needs(
        ingress("a", {}, tls=[{"hosts": ["a.example.com"]}]),
        emitter="standard",
        options=ConvertOptions(default_certificate="certs/wildcard"),
    )
    assert "Secret web/default-certificate" not in given


def test_prerequisites_are_in_the_json_report() -> None:
    result = ingress2gateway.convert(
        [ingress("a", {AUTH: "https://auth.example.net/check"})],
        providers=["nginx"],
        emitter="envoy-gateway",
    )
    listed = result.report_json()["prerequisites"]
    assert [p["need"] for p in listed] == ["gateway-class", "implementation-feature"]
    assert yaml.safe_load(yaml.safe_dump(listed)) == listed
