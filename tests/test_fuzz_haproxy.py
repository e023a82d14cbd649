"""Hostile values through the HAProxy provider, for both controllers' annotations and for
HAProxy Technologies' TCP resources: whatever comes out is valid for its target, holds nothing
unsafe for the data plane, reads back the same in every format, is the same when converted
twice, and accounts for every annotation and path (see ``test_fuzz_providers``).

CI runs a bounded number of examples; ``I2G_FUZZ=long`` runs many more.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .test_fuzz_providers import FUZZ, check, dataplane, hostile, ingress, names, ports

HAPROXYTECH_KEYS = [
    "haproxy.org/path-rewrite",
    "haproxy.org/set-host",
    "haproxy.org/request-set-header",
    "haproxy.org/response-set-header",
    "haproxy.org/ssl-redirect",
    "haproxy.org/ssl-redirect-code",
    "haproxy.org/ssl-redirect-port",
    "haproxy.org/request-redirect",
    "haproxy.org/allow-list",
    "haproxy.org/deny-list",
    "haproxy.org/auth-type",
    "haproxy.org/auth-secret",
    "haproxy.org/auth-realm",
    "haproxy.org/cors-enable",
    "haproxy.org/cors-allow-origin",
    "haproxy.org/cors-allow-headers",
    "haproxy.org/cors-max-age",
    "haproxy.org/rate-limit-requests",
    "haproxy.org/rate-limit-period",
    "haproxy.org/load-balance",
    "haproxy.org/timeout-server",
    "haproxy.org/src-ip-header",
    "haproxy.org/ssl-passthrough",
    "haproxy.org/backend-config-snippet",
    "ingress.kubernetes.io/set-host",
    "set-host",
    "whitelist",
]
HAPROXY_INGRESS_KEYS = [
    "haproxy-ingress.github.io/path-type",
    "haproxy-ingress.github.io/rewrite-target",
    "haproxy-ingress.github.io/headers",
    "haproxy-ingress.github.io/request-add-headers",
    "haproxy-ingress.github.io/response-del-headers",
    "haproxy-ingress.github.io/http-header-match",
    "haproxy-ingress.github.io/http-header-match-regex",
    "haproxy-ingress.github.io/app-root",
    "haproxy-ingress.github.io/server-alias",
    "haproxy-ingress.github.io/redirect-from",
    "haproxy-ingress.github.io/redirect-to",
    "haproxy-ingress.github.io/allowlist-source-range",
    "haproxy-ingress.github.io/auth-url",
    "haproxy-ingress.github.io/auth-secret",
    "haproxy-ingress.github.io/auth-tls-secret",
    "haproxy-ingress.github.io/affinity",
    "haproxy-ingress.github.io/session-cookie-name",
    "haproxy-ingress.github.io/hsts-max-age",
    "haproxy-ingress.github.io/proxy-body-size",
    "haproxy-ingress.github.io/ssl-redirect",
    "haproxy-ingress.github.io/ssl-passthrough",
    "haproxy-ingress.github.io/cors-enable",
    "haproxy-ingress.github.io/cors-allow-origin",
    "kubernetes.io/ingress.class",
]


def _with_class(controller: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ingress_class = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "haproxy"},
        "spec": {"controller": controller},
    }
    return [ingress_class, *items]


def _values_set(items: list[dict[str, Any]], keys: list[str], value: str) -> None:
    """Turn the families on often enough to reach their parsers."""
    for item in items:
        annotations = item["metadata"]["annotations"]
        for key in keys:
            annotations.setdefault(key, value)


tcp_resource = st.fixed_dictionaries(
    {
        "apiVersion": st.just("ingress.v3.haproxy.org/v3"),
        "kind": st.just("TCP"),
        "metadata": st.fixed_dictionaries(
            {"name": st.sampled_from(["t1", "t2"]), "namespace": st.just("web")}
        ),
        "spec": st.lists(
            st.fixed_dictionaries(
                {
                    "name": names,
                    "frontend": st.fixed_dictionaries(
                        {
                            "name": names,
                            "binds": st.dictionaries(
                                names,
                                st.fixed_dictionaries(
                                    {"port": ports}, optional={"ssl": st.booleans()}
                                ),
                                max_size=2,
                            ),
                        },
                        optional={"log_format": hostile},
                    ),
                    "service": st.fixed_dictionaries({"name": names, "port": ports}),
                }
            ),
            max_size=2,
        ),
    }
)


def _bare(keys: list[str]) -> list[str]:
    return sorted({key.rpartition("/")[2] for key in keys})


configmap = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v1"),
        "kind": st.just("ConfigMap"),
        "metadata": st.just({"name": "haproxy-kubernetes-ingress", "namespace": "ctl"}),
        "data": st.dictionaries(
            st.one_of(st.sampled_from(_bare(HAPROXYTECH_KEYS)), hostile), dataplane, max_size=4
        ),
    }
)
service = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v1"),
        "kind": st.just("Service"),
        "metadata": st.fixed_dictionaries(
            {
                "name": st.sampled_from(["web", "api"]),
                "namespace": st.sampled_from(["web", "shop"]),
                "annotations": st.dictionaries(
                    st.sampled_from(
                        [
                            "haproxy.org/cookie-persistence",
                            "haproxy.org/load-balance",
                            "haproxy.org/timeout-server",
                            "haproxy.org/backend-config-snippet",
                            "haproxy.org/server-ssl",
                            "haproxy-ingress.github.io/affinity",
                            "haproxy-ingress.github.io/balance-algorithm",
                        ]
                    ),
                    dataplane,
                    max_size=3,
                ),
            }
        ),
        "spec": st.just({"ports": [{"name": "http", "port": 80}]}),
    }
)


@FUZZ
@given(
    st.lists(ingress("haproxy", HAPROXYTECH_KEYS), min_size=1, max_size=3),
    st.sampled_from(["standard", "envoy-gateway"]),
    dataplane,
    st.lists(st.one_of(configmap, service), max_size=2),
)
def test_haproxytech_ingresses_with_hostile_values(
    items: list[dict[str, Any]], emitter: str, value: str, extra: list[dict[str, Any]]
) -> None:
    _values_set(items[:1], ["haproxy.org/cors-enable", "haproxy.org/auth-type"], "true")
    _values_set(items[1:2], ["haproxy.org/request-set-header"], value)
    check(_with_class("haproxy.org/ingress-controller", [*items, *extra]), "haproxy", emitter)


@FUZZ
@given(
    st.lists(ingress("haproxy", HAPROXY_INGRESS_KEYS), min_size=1, max_size=3),
    st.sampled_from(["standard", "envoy-gateway"]),
    dataplane,
)
def test_haproxy_ingress_ingresses_with_hostile_values(
    items: list[dict[str, Any]], emitter: str, value: str
) -> None:
    _values_set(items[:1], ["haproxy-ingress.github.io/cors-enable"], "true")
    _values_set(items[1:2], ["haproxy-ingress.github.io/headers"], value)
    check(_with_class("haproxy-ingress.github.io/controller", items), "haproxy", emitter)


@FUZZ
@given(
    st.lists(tcp_resource, min_size=1, max_size=2), st.sampled_from(["standard", "envoy-gateway"])
)
def test_tcp_resources_with_hostile_values(items: list[dict[str, Any]], emitter: str) -> None:
    check(items, "haproxy", emitter)
