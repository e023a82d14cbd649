"""Invariants over random, valid Ingress sets: no exception, deterministic output that does
not depend on input order, valid output, and a complete ledger."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.validation import validate

from .ledger_checks import missing_ledger_fields

NAMESPACES = ["a", "b", "team-c"]
HOSTS = [
    None,
    "x.example.com",
    "y.example.com",
    "*.example.com",
    "example.com",
    "x-y.example.com",
    "x.y.example.com",
]
PATHS = ["/", "/api", "/api/v1", "/static/", "/x.json", "/a_b~c"]
ANNOTATIONS = [
    "nginx.ingress.kubernetes.io/rewrite-target",
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.org/proxy-connect-timeout",
    "kubernetes.io/ingress.class",
    "example.com/owner",
]

backends = st.one_of(
    st.builds(
        lambda n, p: {"service": {"name": n, "port": {"number": p}}},
        st.sampled_from(["s1", "s2", "web"]),
        st.integers(1, 65535),
    ),
    st.builds(
        lambda n: {"service": {"name": n, "port": {"name": "http"}}},
        st.sampled_from(["web", "nosvc"]),
    ),
    st.just({"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}),
)
paths = st.fixed_dictionaries(
    {
        "path": st.sampled_from(PATHS),
        "pathType": st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"]),
        "backend": backends,
    }
)
rules = st.fixed_dictionaries(
    {"http": st.fixed_dictionaries({"paths": st.lists(paths, min_size=1, max_size=4)})},
    optional={"host": st.sampled_from([h for h in HOSTS if h])},
)
tls = st.fixed_dictionaries(
    {"secretName": st.sampled_from(["cert-a", "cert-b"])},
    optional={"hosts": st.lists(st.sampled_from([h for h in HOSTS if h]), max_size=2, unique=True)},
)


@st.composite
def ingress(draw: Any, index: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": draw(st.lists(rules, max_size=3))}
    if draw(st.booleans()):
        spec["tls"] = draw(st.lists(tls, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        spec["defaultBackend"] = draw(backends)
    metadata: dict[str, Any] = {
        "name": f"ing-{index}",
        "namespace": draw(st.sampled_from(NAMESPACES)),
    }
    keys = draw(st.lists(st.sampled_from(ANNOTATIONS), max_size=3, unique=True))
    if keys:
        metadata["annotations"] = {
            k: draw(st.sampled_from(["true", "/", "nginx", "1s"])) for k in keys
        }
    if draw(st.booleans()):
        metadata["creationTimestamp"] = f"2024-01-0{draw(st.integers(1, 3))}T00:00:00Z"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    }


@st.composite
def ingress_sets(draw: Any) -> list[KubeObject]:
    count = draw(st.integers(1, 5))
    objects = [
        KubeObject(draw(ingress(i)), Origin("generated.yaml", i * 20 + 1, i)) for i in range(count)
    ]
    for ns in NAMESPACES:
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"ports": [{"name": "http", "port": 8080}]},
        }
        objects.append(KubeObject(service, Origin("generated.yaml", 1000, 99)))
    return objects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ingress_sets(), st.randoms(use_true_random=False))
def test_conversion_invariants(objects: list[KubeObject], rnd: random.Random) -> None:
    first = ingress2gateway.convert(objects, providers=["nginx"])
    text = ingress2gateway.dump(first.resources)
    shuffled = list(objects)
    rnd.shuffle(shuffled)
    again = ingress2gateway.convert(shuffled, providers=["nginx"])
    assert ingress2gateway.dump(again.resources) == text
    assert first.report_json()["ledger"] == again.report_json()["ledger"]
    assert missing_ledger_fields(objects, first) == []
    for obj in first.resources:
        assert validate(obj, first.target) == [], obj
    assert not [n for n in first.report.notifications if n.code == "output-invalid"]
