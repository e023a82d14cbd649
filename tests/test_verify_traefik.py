"""verify with the Traefik model: every golden case and every corpus file, both emitters,
with no difference the report does not explain; deliberately broken migrations are caught;
the model answers as Traefik does (priority by rule length, character prefixes, TLS-only
routers, middlewares, refused routers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.verification.model import Forward, NoRoute, Redirect, Request
from ingress2gateway_providers.traefik.controller_model import TraefikModel, controller_model

from .golden import Case, cases
from .shared_data import SHARED, require_shared

CORPUS = sorted(
    p for p in (SHARED / "corpus" / "traefik").rglob("*") if p.suffix in (".yaml", ".yml")
)


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def traefik(text: str, **provider_options: str) -> TraefikModel:
    model = controller_model(
        objects_of(text), ConvertOptions(provider_options={"traefik": provider_options})
    )
    assert model is not None
    return model


def backend(model: TraefikModel, request: Request) -> str | None:
    outcome = model.route(request).outcome
    if isinstance(outcome, Forward) and len(outcome.backends) == 1:
        found = outcome.backends[0][0]
        return f"{found.namespace}/{found.name}"
    return None


def unexplained(objects: list[KubeObject], emitter: str, **kw: Any) -> list[str]:
    found = ingress2gateway.verify(objects, providers="traefik", emitter=emitter, **kw)
    return [
        f"{d.request.display()}: {d.source.outcome.display()} / {d.target.outcome.display()}"
        for d in found.unexplained
    ]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("case", cases("traefik"), ids=lambda c: c.id)
def test_golden_cases_verify(case: Case, emitter: str) -> None:
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
    args = case.args
    options = ConvertOptions(**args.get("options", {}))
    channel = args.get("channel", "standard")
    assert unexplained(objects, emitter, options=options, channel=channel) == []


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.name))
def test_corpus_verifies(path: Path, emitter: str) -> None:
    require_shared("corpus")
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    assert unexplained(objects, emitter) == []


ROUTES = """
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: exact, namespace: default}
spec:
  entryPoints: [web]
  routes:
  - match: Host(`a`) && Path(`/foo`)
    services: [{name: exact, port: 80}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: prefix, namespace: default}
spec:
  entryPoints: [web]
  routes:
  - match: Host(`a`) && PathPrefix(`/fo`)
    services: [{name: prefix, port: 80}]
"""


def test_longer_rule_wins_in_traefik() -> None:
    model = traefik(ROUTES)
    assert backend(model, Request("a", "/foo")) == "default/prefix"
    assert backend(model, Request("a", "/fox")) == "default/prefix"


def test_the_priority_difference_is_reported_and_explained() -> None:
    objects = objects_of(ROUTES)
    found = ingress2gateway.verify(objects, providers="traefik")
    assert found.differences
    assert not found.unexplained


def test_tls_router_takes_https_only() -> None:
    model = traefik(
        ROUTES.replace("[web]", "[websecure]", 1).replace(
            "  routes:\n  - match: Host(`a`) && Path(`/foo`)",
            "  tls: {secretName: cert}\n  routes:\n  - match: Host(`a`) && Path(`/foo`)",
            1,
        )
    )
    assert backend(model, Request("a", "/foo", scheme="https")) == "default/exact"
    assert backend(model, Request("a", "/foo")) == "default/prefix"


def test_refused_router_answers_nothing() -> None:
    model = traefik(
        ROUTES.replace(
            "    services: [{name: exact, port: 80}]",
            "    middlewares: [{name: missing}]\n    services: [{name: exact, port: 80}]",
        )
    )
    assert backend(model, Request("a", "/foo")) == "default/prefix"


def test_redirect_scheme_status_depends_on_method() -> None:
    text = (
        ROUTES.replace(
            "    services: [{name: prefix, port: 80}]",
            "    middlewares: [{name: to-https}]\n    services: [{name: prefix, port: 80}]",
        )
        + """
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: to-https, namespace: default}
spec: {redirectScheme: {scheme: https, permanent: true}}
"""
    )
    model = traefik(text)
    get = model.route(Request("a", "/foo")).outcome
    post = model.route(Request("a", "/foo", method="POST")).outcome
    assert isinstance(get, Redirect) and get.status == 301
    assert isinstance(post, Redirect) and post.status == 308


def test_unclassed_ingress_is_served_and_other_classes_are_not() -> None:
    ingress = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: default, annotations: {kubernetes.io/ingress.class: %s}}
spec:
  rules:
  - host: h
    http:
      paths:
      - {path: /p, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
"""
    assert backend(traefik(ingress % "traefik"), Request("h", "/pq")) == "default/s"
    assert controller_model(objects_of(ingress % "nginx"), ConvertOptions()) is None


def test_broken_migration_is_caught() -> None:
    objects = objects_of(ROUTES)
    result = ingress2gateway.convert(objects, providers=["traefik"])
    output = [dict(o) for o in result.resources]
    for obj in output:
        if obj["kind"] == "HTTPRoute":
            for rule in obj["spec"]["rules"]:
                for ref in rule.get("backendRefs", []):
                    ref["name"] = "swapped"
    found = ingress2gateway.verify(objects, output, providers="traefik")
    assert found.unexplained


def test_no_route_for_unknown_host() -> None:
    assert isinstance(traefik(ROUTES).route(Request("b", "/foo")).outcome, NoRoute)


# --- random routers: the converter and the model agree, or the report says why ----------------

_HOSTS = ["a.example.com", "b.example.com"]
_PATHS = ["/", "/api", "/api/", "/apiv2", "/static/x", "/a"]
_MATCHERS = st.one_of(
    st.sampled_from(_HOSTS).map(lambda h: f"Host(`{h}`)"),
    st.tuples(st.sampled_from(["Path", "PathPrefix"]), st.sampled_from(_PATHS)).map(
        lambda t: f"{t[0]}(`{t[1]}`)"
    ),
    st.sampled_from(
        [
            "Method(`GET`)",
            "Method(`POST`)",
            "Header(`X-A`, `1`)",
            "Query(`q`, `1`)",
            "PathRegexp(`^/img/[0-9]+`)",
        ]
    ),
)
_RULES = st.recursive(
    _MATCHERS,
    lambda inner: st.one_of(
        inner.map(lambda r: f"!({r})"),
        inner.map(lambda r: f"({r})"),
        st.tuples(inner, st.sampled_from([" && ", " || "]), inner).map("".join),
    ),
    max_leaves=5,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.tuples(_RULES, st.one_of(st.none(), st.integers(1, 100))), min_size=1, max_size=2
        ),
        min_size=1,
        max_size=3,
    )
)
def test_random_routers_verify(routers: list[list[tuple[str, int | None]]]) -> None:
    objects = []
    for i, routes in enumerate(routers):
        spec_routes: list[dict[str, Any]] = []
        for j, (match, priority) in enumerate(routes):
            route: dict[str, Any] = {"match": match, "services": [{"name": f"s{i}{j}", "port": 80}]}
            if priority is not None:
                route["priority"] = priority
            spec_routes.append(route)
        objects.append(
            KubeObject(
                {
                    "apiVersion": "traefik.io/v1alpha1",
                    "kind": "IngressRoute",
                    "metadata": {"name": f"r{i}", "namespace": "default"},
                    "spec": {"entryPoints": ["web"], "routes": spec_routes},
                },
                Origin("test.yaml", None, i),
            )
        )
    assert unexplained(objects, "standard") == []


_ANNOTATIONS = st.dictionaries(
    st.sampled_from(
        [
            "traefik.ingress.kubernetes.io/router.priority",
            "traefik.ingress.kubernetes.io/router.pathmatcher",
            "traefik.ingress.kubernetes.io/router.entrypoints",
            "traefik.ingress.kubernetes.io/router.tls",
        ]
    ),
    st.sampled_from(["7", "40", "Path", "PathPrefix", "web", "websecure", "web,websecure", "true"]),
    max_size=3,
)
_INGRESS_PATH = st.fixed_dictionaries(
    {
        "path": st.sampled_from(_PATHS),
        "pathType": st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]),
        "backend": st.fixed_dictionaries(
            {
                "service": st.fixed_dictionaries(
                    {"name": st.sampled_from(["s1", "s2", "s3"]), "port": st.just({"number": 80})}
                )
            }
        ),
    }
)
_INGRESS_RULE = st.fixed_dictionaries(
    {"http": st.fixed_dictionaries({"paths": st.lists(_INGRESS_PATH, min_size=1, max_size=2)})},
    optional={"host": st.sampled_from([*_HOSTS, "*.example.com"])},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            _ANNOTATIONS,
            st.lists(_INGRESS_RULE, min_size=1, max_size=2),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_random_ingresses_verify(
    ingresses: list[tuple[dict[str, str], list[Any], bool, bool]],
) -> None:
    objects = []
    for i, (notes, rules, tls, default) in enumerate(ingresses):
        spec: dict[str, Any] = {"rules": rules}
        if tls:
            spec["tls"] = [{"hosts": ["a.example.com"], "secretName": "cert"}]
        if default:
            spec["defaultBackend"] = {"service": {"name": f"d{i}", "port": {"number": 80}}}
        objects.append(
            KubeObject(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": {
                        "name": f"i{i}",
                        "namespace": "default",
                        "annotations": notes,
                    },
                    "spec": spec,
                },
                Origin("test.yaml", None, i),
            )
        )
    assert unexplained(objects, "standard") == []


_MIDDLEWARES = {
    "strip": {"stripPrefix": {"prefixes": ["/api"]}},
    "add": {"addPrefix": {"prefix": "/v2"}},
    "redir": {"redirectScheme": {"scheme": "https"}},
    "auth": {"basicAuth": {"secret": "users"}},
    "ip": {"ipAllowList": {"sourceRange": ["10.0.0.0/8"]}},
    "fixed": {"replacePath": {"path": "/x"}},
    "hdr": {"headers": {"customRequestHeaders": {"X-B": "1"}}},
}
_CHAIN = st.lists(st.sampled_from(sorted(_MIDDLEWARES)), min_size=0, max_size=2)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_RULES, _CHAIN, st.booleans()), min_size=1, max_size=2),
    st.lists(st.tuples(_INGRESS_RULE, _CHAIN, st.booleans()), max_size=2),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_random_routers_with_middlewares_verify(
    routes: list[tuple[str, list[str], bool]],
    ingresses: list[tuple[dict[str, Any], list[str], bool]],
    emitter: str,
) -> None:
    objects = [
        KubeObject(
            {
                "apiVersion": "traefik.io/v1alpha1",
                "kind": "Middleware",
                "metadata": {"name": name, "namespace": "default"},
                "spec": spec,
            },
            Origin("test.yaml", None, index),
        )
        for index, (name, spec) in enumerate(sorted(_MIDDLEWARES.items()))
    ]
    for i, (match, chain, tls) in enumerate(routes):
        spec: dict[str, Any] = {
            "entryPoints": ["web", "websecure"],
            "routes": [
                {
                    "match": match,
                    "middlewares": [{"name": name} for name in chain],
                    "services": [{"name": f"r{i}", "port": 80}],
                }
            ],
        }
        if tls:
            spec["tls"] = {"secretName": "cert"}
        objects.append(
            KubeObject(
                {
                    "apiVersion": "traefik.io/v1alpha1",
                    "kind": "IngressRoute",
                    "metadata": {"name": f"r{i}", "namespace": "default"},
                    "spec": spec,
                },
                Origin("test.yaml", None, 20 + i),
            )
        )
    for i, (rule, chain, tls) in enumerate(ingresses):
        notes = {
            "traefik.ingress.kubernetes.io/router.middlewares": ",".join(
                f"default-{name}@kubernetescrd" for name in chain
            )
        }
        ingress_spec: dict[str, Any] = {"rules": [rule]}
        if tls:
            ingress_spec["tls"] = [{"hosts": ["a.example.com", "b.example.com"], "secretName": "c"}]
        objects.append(
            KubeObject(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "metadata": {
                        "name": f"i{i}",
                        "namespace": "default",
                        "annotations": notes if chain else {},
                    },
                    "spec": ingress_spec,
                },
                Origin("test.yaml", None, 40 + i),
            )
        )
    assert unexplained(objects, emitter) == []


HOSTLESS_WITH_KNOWN_HOSTS = """\
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: r0, namespace: default}
spec:
  entryPoints: [web, websecure]
  routes:
  - match: Host(`a.example.com`) && Host(`b.example.com`)
    services: [{name: r0, port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i0, namespace: default}
spec:
  tls: [{hosts: [a.example.com, b.example.com], secretName: c}]
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: s1, port: {number: 80}}}}
"""


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_https_to_a_host_without_listener_is_reported_for_routers_without_host(
    tmp_path: Path, emitter: str
) -> None:
    """Found by ``test_random_routers_with_middlewares_verify``: Traefik's TLS entry point
    answers https://a.example.com/ with the Ingress's router without host; the output has no
    HTTPS listener for that host, which the report must say."""
    path = tmp_path / "input.yaml"
    path.write_text(HOSTLESS_WITH_KNOWN_HOSTS)
    objects = ingress2gateway.load_manifests([path], report=Recorder())
    found = ingress2gateway.verify(objects, providers="traefik", emitter=emitter)
    https = [d for d in found.differences if d.request.scheme == "https"]
    assert https and all(isinstance(d.target.outcome, NoRoute) for d in https)
    assert unexplained(objects, emitter) == []
