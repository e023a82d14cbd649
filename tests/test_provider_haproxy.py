"""The HAProxy provider (HAProxy Technologies' kubernetes-ingress and jcmoraisjr's HAProxy
Ingress): requests through the converted output, controller selection, the catalog, and the
values that must never reach the output unvalidated."""

from __future__ import annotations

import re
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
from ingress2gateway.verification.model import Forward, NoRoute, Outcome, Redirect, Request
from ingress2gateway_providers.haproxy import PROVIDER
from ingress2gateway_providers.haproxy.catalog import CATALOG, HAPROXY_INGRESS, HAPROXYTECH, lookup

from .golden import cases
from .ledger_checks import missing_ledger_fields
from .shared_data import require_shared


def objects_of(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def convert(text: str, emitter: str = "standard", **options: Any) -> Result:
    objects = objects_of(text)
    result = ingress2gateway.convert(
        objects, providers=["haproxy"], emitter=emitter, options=ConvertOptions(**options)
    )
    for obj in result.resources:
        assert validate(obj, result.target) == [], obj
    assert missing_ledger_fields(objects, result) == []
    return result


def answer(result: Result, request: Request) -> Outcome:
    return GatewayAPIModel(result.resources).route(request).outcome


def backend(outcome: Outcome) -> str:
    assert isinstance(outcome, Forward), outcome
    (target, _), *_ = outcome.backends
    return target.name


def codes(result: Result) -> set[str]:
    return {n.code for n in result.report.notifications}


def ingress(
    name: str,
    paths: list[tuple[str, str, str]],
    annotations: dict[str, str] | None = None,
    host: str = "app.example.com",
    class_name: str | None = "haproxy",
    tls: bool = False,
) -> str:
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
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
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "web", "annotations": annotations or {}},
        "spec": spec,
    }
    return yaml.safe_dump(doc)


TECH_CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: haproxy}
spec: {controller: haproxy.org/ingress-controller}
---
"""
COMMUNITY_CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: haproxy}
spec: {controller: haproxy-ingress.github.io/controller}
---
"""


# --- registration and catalog -------------------------------------------------------------


def test_provider_is_registered_and_satisfies_the_protocol() -> None:
    provider = load_provider("haproxy")
    assert isinstance(provider, Provider)
    assert provider is PROVIDER
    assert all(code.startswith("haproxy-") for code in provider.codes)


def test_catalog_rows_are_unique_and_every_key_has_a_status() -> None:
    keys = [(spec.controller, spec.key) for spec in CATALOG]
    assert len(keys) == len(set(keys))
    rows = PROVIDER.catalog_rows()
    assert {row.status for row in rows} <= {
        "converted",
        "partial",
        "needs-extension",
        "unsupported",
        "ignored",
    }
    assert len(rows) > 300


@pytest.mark.parametrize(
    ("controller", "key"),
    [
        (HAPROXYTECH, "ssl-redirect"),
        (HAPROXYTECH, "cors-respond-to-options"),
        (HAPROXYTECH, "backend-config-snippet"),
        (HAPROXYTECH, "tls-alpn"),
        (HAPROXY_INGRESS, "path-type"),
        (HAPROXY_INGRESS, "config-backend-early"),
        (HAPROXY_INGRESS, "http-response-404"),
        (HAPROXY_INGRESS, "timeout-stop"),
    ],
)
def test_catalog_knows_documented_keys(controller: str, key: str) -> None:
    assert lookup(controller, key) is not None


def test_there_are_golden_cases_for_both_controllers() -> None:
    names = [c.directory.name for c in cases("haproxy")]
    assert len([n for n in names if n.startswith("tech-")]) >= 6
    assert len([n for n in names if n.startswith("community-")]) >= 4


# --- paths ---------------------------------------------------------------------------------


def test_haproxytech_implementation_specific_is_a_case_sensitive_character_prefix() -> None:
    result = convert(
        TECH_CLASS
        + ingress(
            "paths",
            [("/", "Prefix", "root"), ("/static", "ImplementationSpecific", "static")],
        )
    )
    host = "app.example.com"
    assert backend(answer(result, Request(host, "/static"))) == "static"
    assert backend(answer(result, Request(host, "/staticfiles/a.js"))) == "static"
    assert backend(answer(result, Request(host, "/static/a.js"))) == "static"
    assert backend(answer(result, Request(host, "/Static/a.js"))) == "root"


def test_haproxy_ingress_begin_is_a_case_insensitive_character_prefix() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress("paths", [("/", "Prefix", "root"), ("/Docs", "ImplementationSpecific", "docs")])
    )
    host = "app.example.com"
    assert backend(answer(result, Request(host, "/docs"))) == "docs"
    assert backend(answer(result, Request(host, "/DOCSET/x"))) == "docs"
    assert backend(answer(result, Request(host, "/doc"))) == "root"


def test_path_type_annotation_selects_prefix_exact_and_regex() -> None:
    annotations = {"haproxy-ingress.github.io/path-type": "exact"}
    result = convert(
        COMMUNITY_CLASS
        + ingress("exact", [("/login", "ImplementationSpecific", "login")], annotations)
        + "---\n"
        + ingress(
            "rx",
            [("/v[0-9]+/items", "ImplementationSpecific", "items")],
            {"haproxy-ingress.github.io/path-type": "regex"},
            host="rx.example.com",
        )
    )
    assert backend(answer(result, Request("app.example.com", "/login"))) == "login"
    assert isinstance(answer(result, Request("app.example.com", "/login/x")), NoRoute)
    # Implicit ^, no $: the expression matches the beginning of the path.
    assert backend(answer(result, Request("rx.example.com", "/v12/items/3"))) == "items"
    assert isinstance(answer(result, Request("rx.example.com", "/x/v12/items")), NoRoute)


def test_a_longer_path_keeps_its_requests_and_the_approximation_is_reported() -> None:
    result = convert(
        TECH_CLASS
        + ingress(
            "api",
            [("/api", "ImplementationSpecific", "api"), ("/api/v2", "Prefix", "v2")],
        )
    )
    assert backend(answer(result, Request("app.example.com", "/api/v2/x"))) == "v2"
    assert backend(answer(result, Request("app.example.com", "/api/x"))) == "api"
    assert "haproxy-path-approximated" in codes(result)


# --- HTTPS ---------------------------------------------------------------------------------


def test_tls_redirects_http_with_the_configured_code_and_serves_https() -> None:
    result = convert(
        ingress(
            "secure",
            [("/", "Prefix", "web")],
            {"haproxy.org/ssl-redirect-code": "301"},
            tls=True,
        )
    )
    http = answer(result, Request("app.example.com", "/a?b"))
    assert http == Redirect(301, "https://app.example.com/a?b") or (
        isinstance(http, Redirect) and http.status == 301
    )
    assert backend(answer(result, Request("app.example.com", "/a", scheme="https"))) == "web"


def test_ssl_redirect_false_keeps_http() -> None:
    result = convert(
        ingress("both", [("/", "Prefix", "web")], {"haproxy.org/ssl-redirect": "false"}, tls=True)
    )
    assert backend(answer(result, Request("app.example.com", "/"))) == "web"
    assert backend(answer(result, Request("app.example.com", "/", scheme="https"))) == "web"


def test_haproxy_ingress_exempts_acme_challenges_from_the_redirect() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress(
            "site",
            [("/", "Prefix", "web"), ("/.well-known/acme-challenge", "Prefix", "acme")],
            tls=True,
        )
    )
    assert backend(answer(result, Request("app.example.com", "/.well-known/acme-challenge/t"))) == (
        "acme"
    )
    outcome = answer(result, Request("app.example.com", "/x"))
    assert isinstance(outcome, Redirect) and outcome.status == 302


# --- filters and redirects -----------------------------------------------------------------


def test_header_match_sends_only_matching_requests_to_its_ingress() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress("main", [("/", "Prefix", "stable")])
        + "---\n"
        + ingress(
            "canary",
            [("/", "Prefix", "staging")],
            {"haproxy-ingress.github.io/http-header-match": "X-Env: staging"},
        )
    )
    plain = Request("app.example.com", "/x")
    assert backend(answer(result, plain)) == "stable"
    assert backend(answer(result, plain.with_headers(("x-env", "staging")))) == "staging"


def test_app_root_and_redirect_to() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress("app", [("/", "Prefix", "web")], {"haproxy-ingress.github.io/app-root": "/home"})
        + "---\n"
        + ingress(
            "gone",
            [("/", "Prefix", "web")],
            {"haproxy-ingress.github.io/redirect-to": "https://www.example.com/new"},
            host="gone.example.com",
        )
    )
    root = answer(result, Request("app.example.com", "/"))
    assert isinstance(root, Redirect) and root.status == 302 and root.location.endswith("/home")
    assert backend(answer(result, Request("app.example.com", "/other"))) == "web"
    gone = answer(result, Request("gone.example.com", "/anything"))
    assert isinstance(gone, Redirect) and "www.example.com/new" in gone.location


def test_request_redirect_keeps_the_path() -> None:
    result = convert(
        ingress(
            "moved", [("/", "Prefix", "web")], {"haproxy.org/request-redirect": "new.example.com"}
        )
    )
    outcome = answer(result, Request("app.example.com", "/a/b"))
    assert isinstance(outcome, Redirect)
    assert outcome.status == 302 and "new.example.com/a/b" in outcome.location


def test_path_rewrite_replaces_the_whole_path() -> None:
    result = convert(
        ingress("rw", [("/old", "Prefix", "web")], {"haproxy.org/path-rewrite": "/index.html"})
    )
    outcome = answer(result, Request("app.example.com", "/old/x"))
    assert isinstance(outcome, Forward) and outcome.path == "/index.html"


# --- access control: never widened ------------------------------------------------------------


def test_allow_list_is_carried_by_envoy_gateway_and_closes_the_rules_elsewhere() -> None:
    text = ingress("admin", [("/", "Prefix", "admin")], {"haproxy.org/allow-list": "10.0.0.0/8"})
    carried = answer(convert(text, "envoy-gateway"), Request("app.example.com", "/"))
    assert isinstance(carried, Forward) and any("10.0.0.0/8" in g for g in carried.guards)
    closed = answer(convert(text), Request("app.example.com", "/"))
    assert not isinstance(closed, Forward)


@pytest.mark.parametrize(
    "annotations",
    [
        {"haproxy.org/deny-list": "patterns/blocked"},
        {"haproxy.org/auth-type": "digest", "haproxy.org/auth-secret": "x"},
        {"haproxy.org/allow-list": "10.0.0.0/8", "haproxy.org/src-ip-header": "X-Real-IP"},
        {"haproxy.org/allow-list": "not-an-ip"},
        {"haproxy.org/backend-config-snippet": "http-request deny if { src 1.2.3.4 }"},
    ],
)
def test_uncarriable_access_controls_close_the_rules_on_every_emitter(
    annotations: dict[str, str],
) -> None:
    text = ingress("guarded", [("/", "Prefix", "app")], annotations)
    for emitter in ("standard", "envoy-gateway"):
        result = convert(text, emitter)
        assert not isinstance(answer(result, Request("app.example.com", "/")), Forward)
        assert "haproxy-access-closed" in codes(result)


def test_haproxy_ingress_oauth_closes_the_rules() -> None:
    text = COMMUNITY_CLASS + ingress(
        "o", [("/", "Prefix", "app")], {"haproxy-ingress.github.io/oauth": "oauth2_proxy"}
    )
    result = convert(text, "envoy-gateway")
    assert not isinstance(answer(result, Request("app.example.com", "/")), Forward)


def test_annotations_apply_only_to_their_own_ingress() -> None:
    result = convert(
        ingress("a", [("/a", "Prefix", "a")], {"haproxy.org/allow-list": "10.0.0.0/8"})
        + "---\n"
        + ingress("b", [("/b", "Prefix", "b")])
    )
    assert backend(answer(result, Request("app.example.com", "/b"))) == "b"
    assert not isinstance(answer(result, Request("app.example.com", "/a")), Forward)


# --- values never copied unvalidated -------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("haproxy.org/set-host", "evil.example.com\r\nX-Injected: 1"),
        ("haproxy.org/request-set-header", "X-A value\nX:B other"),
        ("haproxy.org/request-set-header", "X-A %[src]"),
        ("haproxy.org/path-rewrite", "/a b"),
        ("haproxy.org/request-redirect", "bad host"),
        ("haproxy.org/cors-allow-origin", "^https://.*\\.example\\.com$"),
        ("haproxy.org/cors-allow-origin", "https://a.example.com\r\nX-Injected: 1"),
        ("haproxy-ingress.github.io/auth-url", "http://auth.example.com/\r\nX-Injected: 1"),
        ("haproxy-ingress.github.io/redirect-to", "https://a.example.com/\r\nX-Injected: 1"),
    ],
)
def test_bad_values_are_reported_not_copied(key: str, value: str) -> None:
    annotations = {key: value}
    if "cors" in key:
        annotations["haproxy.org/cors-enable"] = "true"
    if key.startswith("haproxy-ingress"):
        annotations["kubernetes.io/ingress.class"] = "haproxy"
    result = convert(ingress("bad", [("/", "Prefix", "app")], annotations, class_name=None))
    dumped = ingress2gateway.dump(result.resources, "yaml")
    assert "Injected" not in dumped and "%[" not in dumped and "X:B" not in dumped
    assert "bad host" not in dumped and ".*\\\\.example" not in dumped
    assert any(n.field == f"metadata.annotations[{key}]" for n in result.report.notifications)


# --- selection -----------------------------------------------------------------------------


def test_ambiguous_ingress_is_reported_and_the_option_decides() -> None:
    text = ingress(
        "legacy",
        [("/Legacy", "ImplementationSpecific", "legacy")],
        {"ingress.kubernetes.io/timeout-server": "5s"},
        class_name=None,
    ).replace("annotations:", "annotations:\n    kubernetes.io/ingress.class: haproxy")
    guessed = convert(text)
    assert "haproxy-controller-ambiguous" in codes(guessed)
    # As HAProxy Technologies': case-sensitive.
    assert isinstance(answer(guessed, Request("app.example.com", "/legacy")), NoRoute)
    told = convert(text, provider_options={"haproxy": {"controller": "haproxy-ingress"}})
    assert "haproxy-controller-ambiguous" not in codes(told)
    assert backend(answer(told, Request("app.example.com", "/legacy"))) == "legacy"


def test_haproxy_ingress_reads_the_class_annotation_before_ingress_class_name() -> None:
    text = COMMUNITY_CLASS + ingress(
        "a", [("/", "Prefix", "a")], {"kubernetes.io/ingress.class": "haproxy"}, class_name="nginx"
    )
    assert backend(answer(convert(text), Request("app.example.com", "/"))) == "a"


def test_haproxytech_serves_an_unclassed_ingress_with_its_keys() -> None:
    text = ingress(
        "u", [("/", "Prefix", "u")], {"haproxy.org/timeout-server": "5s"}, class_name=None
    )
    assert backend(answer(convert(text), Request("app.example.com", "/"))) == "u"
    plain = ingress("p", [("/", "Prefix", "p")], class_name=None)
    assert convert(plain).resources == []


def test_keys_of_the_other_controller_are_ignored() -> None:
    result = convert(
        TECH_CLASS
        + ingress("t", [("/", "Prefix", "t")], {"haproxy-ingress.github.io/rewrite-target": "/x"})
    )
    outcome = answer(result, Request("app.example.com", "/a"))
    assert isinstance(outcome, Forward) and outcome.path == "/a"


# --- passthrough and TCP ---------------------------------------------------------------------


def test_ssl_passthrough_routes_tls_by_sni() -> None:
    text = ingress("vault", [("/", "Prefix", "vault")], {"haproxy.org/ssl-passthrough": "true"})
    result = ingress2gateway.convert(
        objects_of(text), providers=["haproxy"], channel="experimental"
    )
    kinds = {obj["kind"] for obj in result.resources}
    assert "TLSRoute" in kinds and "HTTPRoute" not in kinds
    outcome = answer(result, Request("app.example.com", "/", scheme="https", protocol="TLS"))
    assert backend(outcome) == "vault"


def test_tcp_resource_becomes_a_tcp_route() -> None:
    text = """
apiVersion: ingress.v3.haproxy.org/v3
kind: TCP
metadata: {name: tcp-1, namespace: test, annotations: {ingress.class: haproxy}}
spec:
- name: echo
  frontend:
    name: fe
    binds: {v4: {name: v4, port: 32766}}
  service: {name: echo, port: 8443}
"""
    result = ingress2gateway.convert(
        objects_of(text), providers=["haproxy"], channel="experimental"
    )
    kinds = [obj["kind"] for obj in result.resources]
    assert kinds.count("TCPRoute") == 1
    outcome = answer(result, Request("", "/", protocol="TCP", port=32766))
    assert backend(outcome) == "echo"


def _reference_keys() -> tuple[set[str], set[str]]:
    """The keys the shared catalog (``reference/more-providers.md`` §5) lists for HAProxy
    Technologies' controller and for HAProxy Ingress."""
    text = require_shared("reference", "more-providers.md").read_text(encoding="utf-8")
    start = text.index("### 5.1 HAProxy Technologies")
    middle = text.index("### 5.2 HAProxy Ingress")
    end = text.index("## 6. OpenAPI")
    tech = set(re.findall(r"^\| `([a-z0-9.-]+)` \| [CIS,]+ \|", text[start:middle], re.M))
    community_part = text[middle:end]
    community = set(re.findall(r"`([a-z0-9<>-]+)` \([A-Za-z]+;", community_part))
    for line in community_part.splitlines():
        if line.startswith("| ") and "Global-only" not in line and line.count("|") == 3:
            community.update(re.findall(r"`([a-z0-9-]+)`", line.split("|")[2]))
    return tech, community


def test_catalog_has_every_key_of_the_reference_catalog() -> None:
    tech, community = _reference_keys()
    assert len(tech) >= 80 and len(community) >= 200
    community -= {"http-response-<code>", "key"}  # the family, and the table's header
    assert sorted(k for k in tech if lookup(HAPROXYTECH, k) is None) == []
    assert sorted(k for k in community if lookup(HAPROXY_INGRESS, k) is None) == []


def test_configmap_allow_list_guards_every_route_and_is_read_from_the_cluster() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: haproxy-kubernetes-ingress, namespace: ctl}\n"
        "data: {allow-list: 10.0.0.0/8}\n---\n"
        + ingress("a", [("/", "Prefix", "a")], {"haproxy.org/timeout-server": "5s"})
    )
    assert not isinstance(answer(convert(text), Request("app.example.com", "/")), Forward)
    carried = answer(convert(text, "envoy-gateway"), Request("app.example.com", "/"))
    assert isinstance(carried, Forward) and carried.guards == ("ip-allow 10.0.0.0/8",)
    options = ConvertOptions(provider_options={"haproxy": {"configmap": "ctl/custom"}})
    assert [(kind.kind, ns) for kind, ns in PROVIDER.cluster_reads(options)] == [
        ("ConfigMap", "ctl")
    ]
    # A ConfigMap of another name is not the controller's unless the option names it.
    renamed = text.replace("name: haproxy-kubernetes-ingress", "name: custom")
    assert backend(answer(convert(renamed), Request("app.example.com", "/"))) == "a"
    named = convert(renamed, provider_options={"haproxy": {"configmap": "ctl/custom"}})
    assert not isinstance(answer(named, Request("app.example.com", "/")), Forward)


def test_keys_that_need_another_setting_are_ignored_with_why() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress(
            "plain",
            [("/", "Prefix", "web")],
            {
                "haproxy-ingress.github.io/cors-allow-origin": "https://a.example.com",
                "haproxy-ingress.github.io/hsts-preload": "true",
                "haproxy-ingress.github.io/auth-realm": "Staff",
            },
        )
    )
    entries = {
        entry.field: entry
        for entry in result.report.ledger.values()
        if entry.source.name == "plain"
    }
    for key in ("cors-allow-origin", "hsts-preload", "auth-realm"):
        entry = entries[f"metadata.annotations[haproxy-ingress.github.io/{key}]"]
        assert entry.status.value == "ignored", key
    dumped = ingress2gateway.dump(result.resources, "yaml")
    assert "a.example.com" not in dumped and "Strict-Transport-Security" not in dumped


def test_rewrite_target_replaces_the_matched_prefix() -> None:
    result = convert(
        COMMUNITY_CLASS
        + ingress(
            "rw",
            [("/web", "Prefix", "web"), ("/Begin", "ImplementationSpecific", "begin")],
            {"haproxy-ingress.github.io/rewrite-target": "/"},
        ),
        "envoy-gateway",
    )
    prefix = answer(result, Request("app.example.com", "/web/x"))
    assert isinstance(prefix, Forward) and prefix.path == "/x"
    begin = answer(result, Request("app.example.com", "/beginning"))
    assert isinstance(begin, Forward) and begin.backends[0][0].name == "begin"
    assert begin.path == "/ning"


def test_a_service_snippet_that_denies_closes_only_the_rules_using_the_service() -> None:
    text = (
        ingress("shop", [("/admin", "Prefix", "admin"), ("/", "Prefix", "web")])
        + "---\napiVersion: v1\nkind: Service\n"
        "metadata: {name: admin, namespace: web, annotations: "
        "{haproxy.org/backend-config-snippet: 'http-request deny if { src 1.2.3.4 }'}}\n"
        "spec: {ports: [{name: http, port: 80}]}\n"
    )
    for emitter in ("standard", "envoy-gateway"):
        result = convert(text, emitter)
        assert not isinstance(answer(result, Request("app.example.com", "/admin")), Forward)
        assert backend(answer(result, Request("app.example.com", "/other"))) == "web"


def test_an_ingress_its_controller_would_not_serve_is_skipped_with_why() -> None:
    default_class = (
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\n"
        "metadata: {name: other, annotations: "
        "{ingressclass.kubernetes.io/is-default-class: 'true'}}\n"
        "spec: {controller: example.com/other}\n---\n"
    )
    text = default_class + ingress(
        "old", [("/", "Prefix", "a")], {"kubernetes.io/ingress.class": "haproxy"}, class_name=None
    )
    result = convert(text)
    skipped = [
        n.message for n in result.report.notifications if n.code == "ingress-class-not-selected"
    ]
    assert skipped and "reads spec.ingressClassName only" in skipped[0]
    assert "--haproxy-controller haproxy-ingress" in skipped[0]
    served = convert(text, provider_options={"haproxy": {"controller": "haproxy-ingress"}})
    assert backend(answer(served, Request("app.example.com", "/"))) == "a"
