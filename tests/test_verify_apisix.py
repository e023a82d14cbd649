"""``verify`` for APISIX: the model of APISIX (the controller's translation and APISIX's
``radixtree_host_uri`` router) on scenarios from APISIX's and the controller's own docs, and
the migration of APISIX input request by request.

Scenarios cite ``apache/apisix`` ``docs/en/latest/router-radixtree.md`` (match priority table),
``apisix/http/router/radixtree_host_uri.lua`` (host routes, then routes without host) and
``apache/apisix-ingress-controller`` ``internal/adc/translator/ingress.go`` (Prefix uris).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import (
    Forward,
    NoRoute,
    Outcome,
    Redirect,
    Request,
    Respond,
)
from ingress2gateway_providers.apisix.controller_model import ApisixModel, controller_model

from .golden import Case, cases
from .shared_data import SHARED, require_shared, shared_yaml_files


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def apisix(text: str, **options: Any) -> ApisixModel:
    model = controller_model(objects_of(text), ConvertOptions(**options))
    assert model is not None
    return model


def answer(model: ApisixModel, host: str, path: str, **request: Any) -> Outcome:
    return model.route(Request(host, path, **request)).outcome


def name_of(outcome: Outcome) -> str | None:
    if isinstance(outcome, Forward):
        return outcome.backends[0][0].name
    return None


def route_of(
    name: str, paths: list[str], hosts: list[str] | None = None, **rule: Any
) -> dict[str, Any]:
    match: dict[str, Any] = {"paths": paths}
    if hosts:
        match["hosts"] = hosts
    match.update(rule.pop("match", {}))
    return {
        "name": name,
        "match": match,
        "backends": [{"serviceName": name, "servicePort": 80}],
        **rule,
    }


def apisix_routes(*rules: dict[str, Any]) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "apisix.apache.org/v2",
            "kind": "ApisixRoute",
            "metadata": {"name": "r", "namespace": "web"},
            "spec": {"ingressClassName": "apisix", "http": list(rules)},
        }
    )


# --- the model, on APISIX's own scenarios -----------------------------------------------------


def test_router_radixtree_match_priority_table() -> None:
    # router-radixtree.md: /blog/foo/*, /blog/foo/a/*, /blog/foo/c/*, /blog/foo/bar.
    model = apisix(
        apisix_routes(
            route_of("foo", ["/blog/foo/*"]),
            route_of("a", ["/blog/foo/a/*"]),
            route_of("c", ["/blog/foo/c/*"]),
            route_of("bar", ["/blog/foo/bar"]),
        )
    )
    assert name_of(answer(model, "h", "/blog/foo/bar")) == "bar"
    assert name_of(answer(model, "h", "/blog/foo/a/b/c")) == "a"
    assert name_of(answer(model, "h", "/blog/foo/c/d")) == "c"
    assert name_of(answer(model, "h", "/blog/foo/gloo")) == "foo"
    assert isinstance(answer(model, "h", "/blog/bar"), NoRoute)


def test_a_star_is_a_character_prefix() -> None:
    model = apisix(apisix_routes(route_of("bar", ["/blog/bar*"])))
    for path in ("/blog/bar", "/blog/bar/a", "/blog/barx"):
        assert name_of(answer(model, "h", path)) == "bar", path
    assert isinstance(answer(model, "h", "/blog/ba"), NoRoute)


def test_same_uri_goes_by_priority_whatever_the_conditions() -> None:
    model = apisix(
        apisix_routes(
            route_of("low", ["/x"], priority=1, match={"methods": ["GET"]}),
            route_of("high", ["/x"], priority=2),
        )
    )
    assert name_of(answer(model, "h", "/x")) == "high"


def test_host_routes_first_then_routes_without_host() -> None:
    # radixtree_host_uri.lua: the host router's sub-router fails for /other, so the router
    # without host answers.
    model = apisix(
        apisix_routes(
            route_of("host", ["/api/*"], ["a.example.com"]),
            route_of("any", ["/*"]),
            route_of("wild", ["/*"], ["*.example.com"]),
        )
    )
    assert name_of(answer(model, "a.example.com", "/api/x")) == "host"
    assert name_of(answer(model, "a.example.com", "/other")) == "wild"
    assert name_of(answer(model, "b.example.com", "/other")) == "wild"
    assert name_of(answer(model, "elsewhere.org", "/other")) == "any"


def test_exprs_are_vars() -> None:
    model = apisix(
        apisix_routes(
            route_of(
                "beta",
                ["/*"],
                priority=1,
                match={
                    "exprs": [
                        {
                            "subject": {"scope": "Header", "name": "X-Beta"},
                            "op": "Equal",
                            "value": "1",
                        },
                        {"subject": {"scope": "Query", "name": "v"}, "op": "In", "set": ["2", "3"]},
                    ]
                },
            ),
            route_of("main", ["/*"]),
        )
    )
    beta = Request("h", "/", headers=(("x-beta", "1"),), query="v=3")
    assert name_of(model.route(beta).outcome) == "beta"
    assert name_of(answer(model, "h", "/", headers=(("x-beta", "1"),))) == "main"


def test_ingress_prefix_is_two_uris_and_regex_is_an_unanchored_search() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: i
  namespace: web
  annotations: {k8s.apisix.apache.org/use-regex: "true"}
spec:
  ingressClassName: apisix
  rules:
  - http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - path: /users/[0-9]+
        pathType: ImplementationSpecific
        backend: {service: {name: users, port: {number: 80}}}
"""
    model = apisix(text)
    assert name_of(answer(model, "h", "/api")) == "api"
    assert name_of(answer(model, "h", "/api/x")) == "api"
    assert name_of(answer(model, "h", "/v1/users/7")) == "users"
    assert isinstance(answer(model, "h", "/apix"), NoRoute)


def test_annotation_plugins() -> None:
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: i
  namespace: web
  annotations:
    k8s.apisix.apache.org/http-to-https: "true"
    k8s.apisix.apache.org/http-allow-methods: "GET"
spec:
  ingressClassName: apisix
  tls: [{hosts: [a.example.com], secretName: cert}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
"""
    model = apisix(text)
    assert answer(model, "a.example.com", "/x") == Redirect(301, "https://a.example.com/x")
    assert name_of(answer(model, "a.example.com", "/x", scheme="https")) == "app"
    refused = answer(model, "a.example.com", "/x", scheme="https", method="POST")
    assert isinstance(refused, Respond) and refused.status == 405


def test_nothing_of_apisix_is_no_model() -> None:
    assert (
        controller_model(
            objects_of("kind: Service\napiVersion: v1\nmetadata: {name: s}"), ConvertOptions()
        )
        is None
    )


# --- the migration, request by request ----------------------------------------------------------


def _listed(differences: list[Any]) -> list[str]:
    return [
        f"{d.request.method} {d.request.scheme}://{d.request.host}{d.request.path}: "
        f"{d.source.outcome.display()} vs {d.target.outcome.display()}"
        for d in differences
    ]


def _golden_cases() -> list[Case]:
    return cases("apisix")


@pytest.mark.parametrize("case", _golden_cases(), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_golden_cases(
    case: Case, emitter: str
) -> None:
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    args.pop("emitter", None)
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    found = ingress2gateway.verify(
        objects,
        providers=args.pop("providers"),
        emitter=emitter,
        options=options,
        gateway_api_version=args.get("gateway_api_version"),
        channel=args.get("channel", "standard"),
    )
    assert found.requests > 0
    assert _listed(found.unexplained) == []


@pytest.mark.parametrize(
    "path",
    shared_yaml_files("corpus", "apisix"),
    ids=lambda p: str(p.relative_to(SHARED / "corpus" / "apisix")),
)
@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_verify_finds_no_unexplained_difference_in_the_corpus(path: Path, emitter: str) -> None:
    require_shared("corpus", "apisix")
    objects = ingress2gateway.load_manifests([path])
    found = ingress2gateway.verify(objects, providers="apisix", emitter=emitter)
    assert _listed(found.unexplained) == []


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_the_whole_corpus_at_once_verifies(emitter: str) -> None:
    # Every file in one input: hosts shared across files, an ApisixTls covering hosts only
    # Ingresses route, duplicates where the later definition wins.
    folder = require_shared("corpus", "apisix")
    objects = ingress2gateway.load_manifests([folder])
    found = ingress2gateway.verify(objects, providers="apisix", emitter=emitter)
    assert found.requests > 100
    assert _listed(found.unexplained) == []


def test_an_apisix_tls_serves_the_hosts_ingresses_route() -> None:
    text = """
apiVersion: apisix.apache.org/v2
kind: ApisixTls
metadata: {name: tls, namespace: web}
spec:
  hosts: [a.example.com]
  secret: {name: cert, namespace: web}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: web}
spec:
  ingressClassName: apisix
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
"""
    objects = objects_of(text)
    assert name_of(answer(apisix(text), "a.example.com", "/x", scheme="https")) == "app"
    found = ingress2gateway.verify(objects, providers="apisix")
    assert found.differences == []
