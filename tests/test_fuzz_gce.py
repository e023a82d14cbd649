"""Hostile values through the GCE provider: GKE annotations on Ingresses and Services,
BackendConfig and FrontendConfig fields. Whatever comes out must be valid for its target, carry
nothing unsafe to the data plane, be the same twice and account for every Ingress field
(the checks of :mod:`tests.test_fuzz_providers`).

CI runs a bounded number of examples; ``I2G_FUZZ=long`` runs many more.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .test_fuzz_providers import FUZZ, check, dataplane, hostile, ingress, names

GCE_KEYS = [
    "kubernetes.io/ingress.class",
    "kubernetes.io/ingress.allow-http",
    "kubernetes.io/ingress.global-static-ip-name",
    "kubernetes.io/ingress.regional-static-ip-name",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
    "networking.gke.io/v1beta1.FrontendConfig",
    "ingress.kubernetes.io/url-map",
]
config_names = st.one_of(st.sampled_from(["bc", "fc", "cert"]), hostile)
backend_config_annotation = st.one_of(
    hostile,
    st.sampled_from(['{"default": "bc"}', '{"ports": {"80": "bc"}}', '{"default": 1}', "{}"]),
    config_names.map(lambda name: json.dumps({"default": name})),
)
seconds = st.one_of(st.integers(-5, 3_000_000), hostile, st.booleans(), st.none())

backend_config = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(["cloud.google.com/v1", "cloud.google.com/v1beta1"]),
        "kind": st.just("BackendConfig"),
        "metadata": st.fixed_dictionaries({"name": config_names, "namespace": st.just("web")}),
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "timeoutSec": seconds,
                "customRequestHeaders": st.fixed_dictionaries(
                    {"headers": st.lists(dataplane, max_size=3)}
                ),
                "customResponseHeaders": st.one_of(
                    st.fixed_dictionaries({"headers": st.lists(dataplane, max_size=3)}), hostile
                ),
                "sessionAffinity": st.fixed_dictionaries(
                    {
                        "affinityType": st.one_of(
                            st.sampled_from(["GENERATED_COOKIE", "CLIENT_IP", "NONE"]), hostile
                        ),
                        "affinityCookieTtlSec": seconds,
                    }
                ),
                "iap": st.fixed_dictionaries({"enabled": st.one_of(st.booleans(), hostile)}),
                "securityPolicy": st.fixed_dictionaries({"name": st.one_of(hostile, st.none())}),
                "cdn": st.fixed_dictionaries({"enabled": st.booleans()}),
                "healthCheck": st.fixed_dictionaries({"requestPath": hostile}),
            },
        ),
    }
)
frontend_config = st.fixed_dictionaries(
    {
        "apiVersion": st.just("networking.gke.io/v1beta1"),
        "kind": st.just("FrontendConfig"),
        "metadata": st.fixed_dictionaries({"name": config_names, "namespace": st.just("web")}),
        "spec": st.fixed_dictionaries(
            {},
            optional={
                "sslPolicy": hostile,
                "redirectToHttps": st.fixed_dictionaries(
                    {
                        "enabled": st.one_of(st.booleans(), hostile),
                        "responseCodeName": st.one_of(
                            st.sampled_from(["FOUND", "PERMANENT_REDIRECT"]), hostile
                        ),
                    }
                ),
            },
        ),
    }
)
service = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v1"),
        "kind": st.just("Service"),
        "metadata": st.fixed_dictionaries(
            {
                "name": names,
                "namespace": st.just("web"),
                "annotations": st.dictionaries(
                    st.sampled_from(
                        [
                            "cloud.google.com/backend-config",
                            "beta.cloud.google.com/backend-config",
                            "cloud.google.com/app-protocols",
                            "cloud.google.com/neg",
                        ]
                    ),
                    backend_config_annotation,
                    max_size=3,
                ),
            }
        ),
        "spec": st.just({"ports": [{"port": 80, "name": "http"}]}),
    }
)


def _as_gke(item: dict[str, Any], unclassed: bool) -> dict[str, Any]:
    """GKE serves the annotation's class, or an Ingress with no class at all."""
    item["spec"].pop("ingressClassName", None)
    annotations = item["metadata"]["annotations"]
    if unclassed:
        annotations.pop("kubernetes.io/ingress.class", None)
    else:
        annotations["kubernetes.io/ingress.class"] = "gce"
    return item


@FUZZ
@given(
    st.lists(ingress("gce", GCE_KEYS), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.one_of(service, backend_config, frontend_config), max_size=4),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_gce_objects_with_hostile_values(
    items: list[dict[str, Any]],
    unclassed: list[bool],
    extra: list[dict[str, Any]],
    emitter: str,
) -> None:
    items = [_as_gke(item, flag) for item, flag in zip(items, unclassed, strict=False)]
    for item in items:  # name the configurations that exist, often enough to meet them
        if item["metadata"]["name"] != "c":
            item["metadata"]["annotations"]["networking.gke.io/v1beta1.FrontendConfig"] = "fc"
    check([*items, *extra], "gce", emitter)
