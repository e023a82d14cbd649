"""Hostile values through the APISIX provider: Ingresses with ``k8s.apisix.apache.org/*``
annotations, ApisixRoutes (hosts, uris, exprs, backends, plugins), ApisixPluginConfigs and
ApisixTls objects, under both emitters. Whatever comes out is valid for its target, carries
nothing hostile to the data plane, reads back the same in every format, is the same when
converted twice, and accounts for every annotation and path (see ``test_fuzz_providers``).

CI runs a bounded number of examples; ``I2G_FUZZ=long`` runs many more.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import ingress2gateway

from .test_fuzz_providers import (
    FUZZ,
    check,
    dataplane,
    hostile,
    hosts,
    ingress,
    names,
    objects,
    paths,
    ports,
)

APISIX_KEYS = [
    "k8s.apisix.apache.org/use-regex",
    "k8s.apisix.apache.org/rewrite-target",
    "k8s.apisix.apache.org/rewrite-target-regex",
    "k8s.apisix.apache.org/rewrite-target-regex-template",
    "k8s.apisix.apache.org/http-to-https",
    "k8s.apisix.apache.org/http-redirect",
    "k8s.apisix.apache.org/http-redirect-code",
    "k8s.apisix.apache.org/enable-cors",
    "k8s.apisix.apache.org/cors-allow-origin",
    "k8s.apisix.apache.org/cors-allow-headers",
    "k8s.apisix.apache.org/cors-allow-methods",
    "k8s.apisix.apache.org/allowlist-source-range",
    "k8s.apisix.apache.org/blocklist-source-range",
    "k8s.apisix.apache.org/auth-type",
    "k8s.apisix.apache.org/auth-uri",
    "k8s.apisix.apache.org/auth-upstream-headers",
    "k8s.apisix.apache.org/http-allow-methods",
    "k8s.apisix.apache.org/http-block-methods",
    "k8s.apisix.apache.org/upstream-retries",
    "k8s.apisix.apache.org/upstream-read-timeout",
    "k8s.apisix.apache.org/upstream-scheme",
    "k8s.apisix.apache.org/svc-namespace",
    "k8s.apisix.apache.org/enable-response-rewrite",
    "k8s.apisix.apache.org/response-rewrite-add-header",
    "k8s.apisix.apache.org/response-rewrite-set-header",
    "k8s.apisix.apache.org/response-rewrite-remove-header",
    "k8s.apisix.apache.org/plugin-config-name",
]

_values = st.one_of(dataplane, st.just("true"), st.sampled_from(["GET,POST", "10.0.0.0/8", "301"]))

plugin = st.fixed_dictionaries(
    {
        "name": st.one_of(
            st.sampled_from(
                [
                    "proxy-rewrite",
                    "redirect",
                    "cors",
                    "response-rewrite",
                    "ip-restriction",
                    "key-auth",
                    "forward-auth",
                    "limit-count",
                    "wolf-rbac",
                    "serverless-pre-function",
                ]
            ),
            hostile,
        ),
        "enable": st.one_of(st.booleans(), hostile),
        "config": st.fixed_dictionaries(
            {},
            optional={
                "uri": dataplane,
                "host": dataplane,
                "regex_uri": st.lists(dataplane, max_size=3),
                "http_to_https": st.one_of(st.booleans(), hostile),
                "ret_code": st.one_of(st.integers(-1, 1000), hostile),
                "headers": st.one_of(
                    st.dictionaries(dataplane, dataplane, max_size=2),
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "set": st.dictionaries(dataplane, dataplane, max_size=2),
                            "add": st.dictionaries(dataplane, dataplane, max_size=2),
                            "remove": st.lists(dataplane, max_size=2),
                        },
                    ),
                ),
                "allow_origins": dataplane,
                "whitelist": st.lists(dataplane, max_size=2),
                "count": st.one_of(st.integers(-1, 10**6), hostile),
                "time_window": st.one_of(st.integers(-1, 4000), hostile),
            },
        ),
    }
)

expr = st.fixed_dictionaries(
    {
        "subject": st.fixed_dictionaries(
            {
                "scope": st.one_of(
                    st.sampled_from(["Header", "Query", "Cookie", "Path", "Variable"]), hostile
                ),
                "name": st.one_of(dataplane, st.just("X-Test")),
            }
        ),
        "op": st.one_of(
            st.sampled_from(["Equal", "In", "RegexMatch", "RegexMatchCaseInsensitive", "NotIn"]),
            hostile,
        ),
    },
    optional={"value": dataplane, "set": st.lists(dataplane, max_size=2)},
)

http_rule = st.fixed_dictionaries(
    {
        "name": names,
        "match": st.fixed_dictionaries(
            {"paths": st.lists(st.one_of(paths, paths.map(lambda p: p + "*")), max_size=3)},
            optional={
                "hosts": st.lists(hosts, max_size=2),
                "methods": st.lists(
                    st.one_of(st.sampled_from(["GET", "POST"]), hostile), max_size=2
                ),
                "exprs": st.lists(expr, max_size=2),
            },
        ),
        "backends": st.lists(
            st.fixed_dictionaries(
                {"serviceName": names, "servicePort": ports},
                optional={"weight": st.one_of(st.integers(-5, 1000), hostile)},
            ),
            max_size=2,
        ),
    },
    optional={
        "priority": st.one_of(st.integers(-10, 10), hostile),
        "plugins": st.lists(plugin, max_size=3),
        "plugin_config_name": st.sampled_from(["pc", "missing"]),
        "authentication": st.fixed_dictionaries(
            {
                "enable": st.booleans(),
                "type": st.one_of(st.sampled_from(["keyAuth", "ldapAuth"]), hostile),
            }
        ),
        "timeout": st.fixed_dictionaries({"read": hostile, "connect": st.just("5s")}),
    },
)

apisix_route = st.fixed_dictionaries(
    {
        "apiVersion": st.just("apisix.apache.org/v2"),
        "kind": st.just("ApisixRoute"),
        "metadata": st.fixed_dictionaries(
            {"name": st.sampled_from(["r1", "r2"]), "namespace": st.sampled_from(["web", "shop"])}
        ),
        "spec": st.fixed_dictionaries(
            {"http": st.lists(http_rule, max_size=3)},
            optional={
                "ingressClassName": st.one_of(st.just("apisix"), hostile),
                "stream": st.lists(
                    st.fixed_dictionaries(
                        {
                            "name": names,
                            "protocol": st.one_of(st.sampled_from(["TCP", "UDP"]), hostile),
                            "match": st.fixed_dictionaries({"ingressPort": ports}),
                            "backend": st.fixed_dictionaries(
                                {"serviceName": names, "servicePort": ports}
                            ),
                        }
                    ),
                    max_size=2,
                ),
            },
        ),
    }
)

plugin_config = st.fixed_dictionaries(
    {
        "apiVersion": st.just("apisix.apache.org/v2"),
        "kind": st.just("ApisixPluginConfig"),
        "metadata": st.fixed_dictionaries(
            {"name": st.just("pc"), "namespace": st.sampled_from(["web", "shop"])}
        ),
        "spec": st.fixed_dictionaries({"plugins": st.lists(plugin, max_size=3)}),
    }
)

apisix_tls = st.fixed_dictionaries(
    {
        "apiVersion": st.just("apisix.apache.org/v2"),
        "kind": st.just("ApisixTls"),
        "metadata": st.fixed_dictionaries({"name": st.just("tls"), "namespace": st.just("web")}),
        "spec": st.fixed_dictionaries(
            {
                "hosts": st.lists(hosts, max_size=2),
                "secret": st.fixed_dictionaries({"name": names, "namespace": names}),
            },
            optional={"client": st.fixed_dictionaries({"caSecret": st.just({"name": "ca"})})},
        ),
    }
)


@FUZZ
@given(
    st.lists(ingress("apisix", APISIX_KEYS), min_size=1, max_size=3),
    st.lists(plugin_config, max_size=1),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_apisix_ingresses_with_hostile_values(
    items: list[dict[str, Any]], configs: list[dict[str, Any]], emitter: str
) -> None:
    check([*items, *configs], "apisix", emitter, whole=False)


@FUZZ
@given(
    st.lists(apisix_route, min_size=1, max_size=2),
    st.lists(st.one_of(plugin_config, apisix_tls), max_size=2),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_apisix_routes_with_hostile_values(
    routes: list[dict[str, Any]], others: list[dict[str, Any]], emitter: str
) -> None:
    check([*routes, *others], "apisix", emitter, whole=False)


@FUZZ
@given(st.lists(_values, min_size=1, max_size=1))
def test_annotation_values_never_raise(values: list[str]) -> None:
    item = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "a",
            "namespace": "web",
            "annotations": dict.fromkeys(APISIX_KEYS, values[0]),
        },
        "spec": {
            "ingressClassName": "apisix",
            "rules": [
                {
                    "host": "a.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }
    check([item], "apisix", "envoy-gateway", whole=False)


@FUZZ
@given(
    st.lists(ingress("apisix", APISIX_KEYS), max_size=2),
    st.lists(apisix_route, max_size=2),
    st.lists(st.one_of(plugin_config, apisix_tls), max_size=2),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_the_controller_model_answers_hostile_input(
    ingresses: list[dict[str, Any]],
    routes: list[dict[str, Any]],
    others: list[dict[str, Any]],
    emitter: str,
) -> None:
    # The model of APISIX and the migration agree, or the report says why.
    items = objects([*ingresses, *routes, *others])
    found = ingress2gateway.verify(items, providers="apisix", emitter=emitter)
    assert [d.request.display() for d in found.unexplained] == []
