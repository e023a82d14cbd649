"""Hostile values through the Cilium provider (see ``test_fuzz_providers``): no exception,
valid output for both emitters, the same output twice, every annotation and path in the
ledger. The annotation values mix what Cilium reads (modes, switches, durations, ports) with
hostile strings; the paths mix regular expressions, valid or not, with hostile ones."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .test_fuzz_providers import FUZZ, check, dataplane, ingress

CILIUM_KEYS = [
    "ingress.cilium.io/loadbalancer-mode",
    "io.cilium.ingress/loadbalancer-mode",
    "ingress.cilium.io/tls-passthrough",
    "io.cilium.ingress/tls-passthrough",
    "ingress.cilium.io/force-https",
    "ingress.cilium.io/request-timeout",
    "ingress.cilium.io/service-type",
    "ingress.cilium.io/service-external-traffic-policy",
    "ingress.cilium.io/insecure-node-port",
    "ingress.cilium.io/secure-node-port",
    "ingress.cilium.io/host-listener-port",
    "ingress.cilium.io/loadbalancer-class",
    "lbipam.cilium.io/ips",
    "ingress.cilium.io/unknown-key",
]
meaningful = st.sampled_from(
    [
        "shared",
        "dedicated",
        "enabled",
        "disabled",
        "true",
        "F",
        "10s",
        "1m30.5s",
        "-1s",
        "1ns",
        "999999h",
        "NodePort",
        "Local",
        "30080",
    ]
)
regex_paths = st.sampled_from(
    ["/a.*", "/(", "/[a-z]+/x", "/v1.0", "/a(b", "/x\\", "/\\d+", "/.*", "/a{2,}"]
)


@FUZZ
@given(
    st.lists(ingress("cilium", CILIUM_KEYS), min_size=1, max_size=3),
    st.lists(st.tuples(st.sampled_from(CILIUM_KEYS), meaningful), max_size=4),
    st.lists(regex_paths, max_size=3),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_cilium_ingresses_with_hostile_values(
    items: list[dict[str, Any]],
    settings: list[tuple[str, str]],
    regexes: list[str],
    emitter: str,
) -> None:
    for number, item in enumerate(items):
        annotations = item["metadata"]["annotations"]
        for key, value in settings[number::2]:
            annotations[key] = value
        rules = item["spec"]["rules"]
        for index, regex in enumerate(regexes):
            if rules:
                rule = rules[index % len(rules)]
                path = dict(rule["http"]["paths"][0])
                path["path"], path["pathType"] = regex, "ImplementationSpecific"
                rule["http"]["paths"].append(path)
    check(items, "cilium", emitter)


@FUZZ
@given(st.lists(ingress("cilium", CILIUM_KEYS), min_size=1, max_size=2), dataplane)
def test_cilium_passthrough_ingresses_with_hostile_values(
    items: list[dict[str, Any]], value: str
) -> None:
    for item in items:
        item["metadata"]["annotations"]["ingress.cilium.io/tls-passthrough"] = "enabled"
        item["metadata"]["annotations"]["ingress.cilium.io/loadbalancer-mode"] = value
    check(items, "cilium", "standard")
