"""The GCE (GKE Ingress) provider: classes, URL-map paths, HTTPS and plain HTTP, FrontendConfig,
BackendConfig, checked on the requests the converted objects answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.reporting.report import Status
from ingress2gateway.verification.gateway import GatewayAPIModel
from ingress2gateway.verification.model import Forward, NoRoute, Redirect, Request
from ingress2gateway_providers.gce import PROVIDER
from ingress2gateway_providers.gce.catalog import CATALOG, STATUS_PREFIXES, lookup

from .ledger_checks import missing_ledger_fields
from .shared_data import SHARED, require_shared

TESTDATA = Path(__file__).resolve().parent.parent / "testdata" / "gce"


def load(text: str) -> list[KubeObject]:
    return [
        KubeObject(doc, Origin("test.yaml", None, i))
        for i, doc in enumerate(yaml.safe_load_all(text))
        if isinstance(doc, dict)
    ]


def convert(text: str, **kwargs: Any) -> Result:
    return ingress2gateway.convert(load(text), providers=["gce"], **kwargs)


def golden(case: str, **kwargs: Any) -> Result:
    return convert((TESTDATA / case / "input.yaml").read_text(), **kwargs)


def answer(result: Result, request: Request) -> object:
    return GatewayAPIModel(result.resources).route(request).outcome


def backend(result: Result, request: Request) -> str | None:
    outcome = answer(result, request)
    if not isinstance(outcome, Forward) or len(outcome.backends) != 1:
        return None
    found = outcome.backends[0][0]
    return f"{found.name}:{found.port}"


def ingress(name: str, annotations: dict[str, str], spec: dict[str, Any]) -> str:
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "web", "annotations": annotations},
        "spec": spec,
    }
    return yaml.safe_dump(doc)


def rule(host: str | None, *paths: tuple[str, str | None, str]) -> dict[str, Any]:
    items = []
    for path, kind, service in paths:
        item: dict[str, Any] = {
            "path": path,
            "backend": {"service": {"name": service, "port": {"number": 80}}},
        }
        if kind is not None:
            item["pathType"] = kind
        items.append(item)
    found: dict[str, Any] = {"http": {"paths": items}}
    if host is not None:
        found["host"] = host
    return found


# --- classes ---------------------------------------------------------------------------------


def test_gke_reads_the_annotation_and_serves_unclassed_ingresses() -> None:
    result = golden("classes")
    gateways = {o["metadata"]["name"]: o for o in result.resources if o["kind"] == "Gateway"}
    assert set(gateways) == {"annotated", "annotation-wins", "unclassed"}
    assert gateways["annotation-wins"]["spec"]["gatewayClassName"] == "gce-internal"
    assert gateways["unclassed"]["spec"]["gatewayClassName"] == "gce"
    assert backend(result, Request("internal.example.com", "/")) == "app:80"


def test_an_ingress_gke_never_served_is_skipped_with_the_reason() -> None:
    result = golden("classes")
    skipped = {
        n.source.name: n.message
        for n in result.report.notifications
        if n.code == "ingress-class-not-selected" and n.source is not None
    }
    assert "reads only the kubernetes.io/ingress.class annotation" in skipped["field-only"]
    assert "MultiClusterIngress" in skipped["multi-cluster"]
    assert all("--ingress-class" not in message for message in skipped.values())


def test_an_ingress_class_option_selects_among_gke_classes() -> None:
    result = golden(
        "classes", options=ingress2gateway.ConvertOptions(ingress_classes=("gce-internal",))
    )
    names = {o["metadata"]["name"] for o in result.resources if o["kind"] == "Gateway"}
    assert names == {"annotation-wins"}


# --- paths -----------------------------------------------------------------------------------

PATH_REQUESTS = {
    # Exact and Prefix as the Ingress spec says.
    ("paths.example.com", "/exact"): "app:80",
    ("paths.example.com", "/exact/x"): "fallback:80",
    ("paths.example.com", "/prefix"): "app:80",
    ("paths.example.com", "/prefix/x"): "app:80",
    ("paths.example.com", "/prefixed"): "fallback:80",
    # ImplementationSpecific without /* is an exact URL-map path.
    ("paths.example.com", "/is-exact"): "app:80",
    ("paths.example.com", "/is-exact/x"): "fallback:80",
    ("paths.example.com", "/no-type"): "app:80",
    ("paths.example.com", "/no-type/x"): "fallback:80",
    # /glob/* takes /glob/ and below; /glob itself went to the default backend.
    ("paths.example.com", "/glob/"): "glob:80",
    ("paths.example.com", "/glob/a/b"): "glob:80",
    ("paths.example.com", "/glob"): "fallback:80",
    # Refused paths answer nothing of their own.
    ("paths.example.com", "/mid*dle"): "fallback:80",
    # ImplementationSpecific / is exact too.
    ("root.example.com", "/"): "app:80",
    ("root.example.com", "/x"): "fallback:80",
    ("all.example.com", "/any/thing"): "app:80",
    # Hosts no rule names reach the default backend (the URL map's default service).
    ("elsewhere.example.com", "/x"): "fallback:80",
}


@pytest.mark.parametrize(("where", "expected"), sorted(PATH_REQUESTS.items()))
def test_paths_answer_as_the_url_map_did(where: tuple[str, str], expected: str) -> None:
    assert backend(golden("paths"), Request(*where)) == expected


def test_refused_paths_are_reported() -> None:
    result = golden("paths")
    refused = sorted(
        str(n.field) for n in result.report.notifications if n.code == "gce-value-invalid"
    )
    assert refused == ["spec.rules[0].http.paths[5]", "spec.rules[0].http.paths[6]"]


def test_a_directory_glob_without_a_taker_for_the_directory_is_reported() -> None:
    result = convert(ingress("g", {}, {"rules": [rule("g.example.com", ("/dir/*", None, "d"))]}))
    assert backend(result, Request("g.example.com", "/dir/x")) == "d:80"
    notes = [n for n in result.report.notifications if n.code == "gce-behaviour-differs"]
    assert len(notes) == 1 and "'/dir'" in notes[0].message


def test_the_longest_other_prefix_takes_the_directory_of_a_glob() -> None:
    spec = {
        "rules": [
            rule(
                "g.example.com",
                ("/a/b/*", "ImplementationSpecific", "deep"),
                ("/a/*", "ImplementationSpecific", "shallow"),
                ("/*", "ImplementationSpecific", "root"),
            )
        ]
    }
    result = convert(ingress("g", {}, spec))
    assert backend(result, Request("g.example.com", "/a/b")) == "shallow:80"
    assert backend(result, Request("g.example.com", "/a")) == "root:80"
    assert backend(result, Request("g.example.com", "/a/b/c")) == "deep:80"
    assert not [n for n in result.report.notifications if n.code == "gce-behaviour-differs"]


# --- HTTPS, plain HTTP, FrontendConfig --------------------------------------------------------


def test_every_host_of_an_ingress_with_a_certificate_answers_https() -> None:
    result = golden("tls-and-allow-http")
    for host in ("a.example.com", "b.example.com"):
        assert backend(result, Request(host, "/", scheme="https")) == "app:80"
        # allow-http "false": no plain-HTTP listener of its own (the other Gateway's answer 404).
        assert isinstance(answer(result, Request(host, "/")), NoRoute)
    assert backend(result, Request("c.example.com", "/")) == "app:80"
    assert backend(result, Request("c.example.com", "/", scheme="https")) == "app:80"


def test_the_certificate_whose_hosts_name_the_listener_comes_first() -> None:
    result = golden("tls-and-allow-http")
    [gateway] = [o for o in result.resources if o["metadata"]["name"] == "https-only"]
    refs = {
        x["hostname"]: [c["name"] for c in x["tls"]["certificateRefs"]]
        for x in gateway["spec"]["listeners"]
    }
    assert refs == {
        "a.example.com": ["default-cert", "b-cert"],
        "b.example.com": ["b-cert", "default-cert"],
    }


def test_no_http_and_no_certificate_is_no_load_balancer() -> None:
    result = golden("tls-and-allow-http")
    assert not [o for o in result.resources if o["metadata"]["name"].startswith("nothing")]
    assert isinstance(answer(result, Request("d.example.com", "/")), NoRoute)
    assert [
        n.code for n in result.report.notifications if n.source and n.source.name == "nothing"
    ] == ["gce-no-load-balancer"]


def test_frontend_config_redirects_every_http_request() -> None:
    result = golden("frontend-config")
    for path in ("/", "/deep/path"):
        outcome = answer(result, Request("front.example.com", path))
        assert outcome == Redirect(302, f"https://front.example.com{path}")
    assert backend(result, Request("front.example.com", "/x", scheme="https")) == "app:80"
    # The Ingress naming a FrontendConfig that is not there is not redirected.
    assert backend(result, Request("missing.example.com", "/")) == "app:80"


@pytest.mark.parametrize(
    ("code_name", "status"),
    [(None, 301), ("MOVED_PERMANENTLY_DEFAULT", 301), ("FOUND", 302), ("SEE_OTHER", 303),
     ("TEMPORARY_REDIRECT", 307), ("PERMANENT_REDIRECT", 308), ("BOGUS", 301)],
)  # fmt: skip
def test_redirect_codes(code_name: str | None, status: int) -> None:
    redirect: dict[str, Any] = {"enabled": True}
    if code_name is not None:
        redirect["responseCodeName"] = code_name
    config = {
        "apiVersion": "networking.gke.io/v1beta1",
        "kind": "FrontendConfig",
        "metadata": {"name": "fc", "namespace": "web"},
        "spec": {"redirectToHttps": redirect},
    }
    text = ingress(
        "r",
        {"networking.gke.io/v1beta1.FrontendConfig": "fc"},
        {"rules": [rule("r.example.com", ("/", "Prefix", "app"))]},
    )
    result = convert(text + "---\n" + yaml.safe_dump(config))
    assert answer(result, Request("r.example.com", "/a")) == Redirect(
        status, "https://r.example.com/a"
    )


def test_allow_http_false_leaves_nothing_to_redirect() -> None:
    config = {
        "apiVersion": "networking.gke.io/v1beta1",
        "kind": "FrontendConfig",
        "metadata": {"name": "fc", "namespace": "web"},
        "spec": {"redirectToHttps": {"enabled": True}},
    }
    text = ingress(
        "r",
        {
            "networking.gke.io/v1beta1.FrontendConfig": "fc",
            "kubernetes.io/ingress.allow-http": "false",
        },
        {"tls": [{"secretName": "s"}], "rules": [rule("r.example.com", ("/", "Prefix", "app"))]},
    )
    result = convert(text + "---\n" + yaml.safe_dump(config))
    assert answer(result, Request("r.example.com", "/")) == NoRoute(0)
    assert backend(result, Request("r.example.com", "/", scheme="https")) == "app:80"
    [entry] = [e for e in result.report.ledger.values() if e.field == "spec.redirectToHttps"]
    assert entry.status is Status.IGNORED


# --- BackendConfig ----------------------------------------------------------------------------


def _route_rule(result: Result, path: str) -> dict[str, Any]:
    for obj in result.resources:
        if obj["kind"] != "HTTPRoute":
            continue
        for item in obj["spec"]["rules"]:
            if any(m.get("path", {}).get("value") == path for m in item.get("matches", [])):
                return dict(item)
    raise AssertionError(path)


def test_backend_config_per_service_port() -> None:
    result = golden("backend-config")
    assert _route_rule(result, "/api")["timeouts"] == {"backendRequest": "40s"}
    assert _route_rule(result, "/admin")["timeouts"] == {"backendRequest": "300s"}
    assert _route_rule(result, "/legacy")["timeouts"] == {"backendRequest": "5s"}
    assert "timeouts" not in _route_rule(result, "/broken")
    filters = {f["type"]: f for f in _route_rule(result, "/api")["filters"]}
    assert filters["RequestHeaderModifier"]["requestHeaderModifier"]["add"] == [
        {"name": "X-Team", "value": "shop"}
    ]
    assert filters["ResponseHeaderModifier"]["responseHeaderModifier"]["add"] == [
        {"name": "Strict-Transport-Security", "value": "max-age=63072000"}
    ]


@pytest.mark.parametrize(
    "header",
    [
        "X-Region:{client_region}",
        "Bad Header:x",
        "X-Ok:a\r\nInjected: 1",
        "no-colon",
        "X-Big:" + "a" * 5000,
    ],
)
def test_header_values_are_validated_not_copied(header: str) -> None:
    text = ingress("h", {}, {"rules": [rule("h.example.com", ("/", "Prefix", "app"))]})
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "app",
            "namespace": "web",
            "annotations": {"cloud.google.com/backend-config": '{"default": "bc"}'},
        },
        "spec": {"ports": [{"port": 80}]},
    }
    config = {
        "apiVersion": "cloud.google.com/v1",
        "kind": "BackendConfig",
        "metadata": {"name": "bc", "namespace": "web"},
        "spec": {"customRequestHeaders": {"headers": [header]}},
    }
    result = convert("---\n".join([text, yaml.safe_dump(service), yaml.safe_dump(config)]))
    assert "filters" not in _route_rule(result, "/")
    assert [n.code for n in result.report.notifications if n.code.startswith("gce-")] == [
        "gce-value-invalid"
    ]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_iap_and_cloud_armor_close_the_rules_they_protect(emitter: str) -> None:
    result = golden("access-closed", emitter=emitter)
    for path in ("/admin", "/admin/x", "/shop/cart"):
        assert not isinstance(answer(result, Request("portal.example.com", path)), Forward)
    assert backend(result, Request("portal.example.com", "/")) == "public:80"
    assert backend(result, Request("portal.example.com", "/other")) == "public:80"
    codes = [n.code for n in result.report.notifications if n.level.name == "ERROR"]
    assert codes.count("gce-access-control") == 2


def test_the_access_control_fallback_open_leaves_them_open() -> None:
    options = ingress2gateway.ConvertOptions(access_control_fallback="open")
    result = golden("access-closed", options=options)
    assert backend(result, Request("portal.example.com", "/admin")) == "admin:80"


# --- one load balancer per Ingress -------------------------------------------------------------


def test_each_ingress_is_its_own_gateway() -> None:
    result = golden("load-balancer-per-ingress")
    gateways = sorted(
        (o["metadata"]["name"], o["spec"]["gatewayClassName"])
        for o in result.resources
        if o["kind"] == "Gateway"
    )
    assert gateways == [("blue", "gce"), ("green", "gce-internal")]
    assert not [n for n in result.report.notifications if n.code == "path-conflict"]


def test_gateway_namespace_keeps_the_gateways_apart() -> None:
    text = "---\n".join(
        ingress("same", {}, {"rules": [rule(f"{ns}.example.com", ("/", "Prefix", "app"))]}).replace(
            "namespace: web", f"namespace: {ns}"
        )
        for ns in ("one", "two")
    )
    options = ingress2gateway.ConvertOptions(gateway_namespace="gateways")
    result = convert(text, options=options)
    names = sorted(o["metadata"]["name"] for o in result.resources if o["kind"] == "Gateway")
    assert names == ["one-same", "two-same"]


# --- catalog ------------------------------------------------------------------------------------


def test_every_code_is_the_providers_own() -> None:
    assert all(code.startswith("gce-") for code in PROVIDER.codes)


def test_the_catalog_has_a_row_for_every_annotation_family_read() -> None:
    keys = {spec.key for spec in CATALOG}
    assert {
        "kubernetes.io/ingress.allow-http",
        "kubernetes.io/ingress.global-static-ip-name",
        "kubernetes.io/ingress.regional-static-ip-name",
        "ingress.gcp.kubernetes.io/pre-shared-cert",
        "networking.gke.io/managed-certificates",
        "networking.gke.io/v1beta1.FrontendConfig",
        "cloud.google.com/backend-config",
        "cloud.google.com/neg",
        "cloud.google.com/app-protocols",
        "BackendConfig spec.iap",
        "BackendConfig spec.securityPolicy",
        "FrontendConfig spec.redirectToHttps",
        "ManagedCertificate spec.domains",
    } <= keys


def test_corpus_ingress_annotations_are_known() -> None:
    require_shared("corpus")
    unknown = set()
    for path in sorted((SHARED / "corpus" / "gce").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") != "Ingress":
                continue
            for key in (doc.get("metadata") or {}).get("annotations") or {}:
                if lookup(key) is None and not key.startswith(STATUS_PREFIXES):
                    unknown.add(key)
    # Keys of other tools or of older GKE releases, reported as unknown by the conversion.
    assert unknown <= {"networking.gke.io/static-ip", "networking.gke.io/pre-shared-certs",
                       "networking.gke.io/frontend-config"}  # fmt: skip


def test_golden_ledgers_are_complete() -> None:
    for case in sorted(p.name for p in TESTDATA.iterdir()):
        objects = load((TESTDATA / case / "input.yaml").read_text())
        result = ingress2gateway.convert(objects, providers=["gce"])
        assert missing_ledger_fields(objects, result) == [], case


# --- URL-map quirks ---------------------------------------------------------------------------

QUIRK_REQUESTS = {
    ("same.example.com", "/replaced"): None,  # the later rule of the host replaced it
    ("same.example.com", "/kept/x"): "new:80",
    ("same.example.com", "/dup"): "second:80",  # equal URL-map paths: the later one
    ("empty.example.com", "/"): "everything:80",  # an empty path is /*
    ("empty.example.com", "/any/thing"): "everything:80",
}


@pytest.mark.parametrize(("where", "expected"), sorted(QUIRK_REQUESTS.items()))
def test_url_map_quirks(where: tuple[str, str], expected: str | None) -> None:
    assert backend(golden("url-map-quirks"), Request(*where)) == expected


def test_a_resource_backend_is_skipped_as_gke_skips_it() -> None:
    # ingress-gce BackendToServicePortID refuses anything but a Service: the path is left out.
    served = rule("r.example.com", ("/app", "Prefix", "app"))
    spec: dict[str, Any] = {
        "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
        "rules": [served],
    }
    served["http"]["paths"].append(
        {
            "path": "/bucket",
            "pathType": "Prefix",
            "backend": {
                "resource": {"apiGroup": "storage.example.com", "kind": "Bucket", "name": "b"}
            },
        }
    )
    result = convert(ingress("res", {}, spec))
    assert backend(result, Request("r.example.com", "/bucket/x")) == "fallback:80"
    assert backend(result, Request("r.example.com", "/app")) == "app:80"


def test_an_annotation_of_another_class_wins_over_a_gke_class_name() -> None:
    spec = {"ingressClassName": "gce", "rules": [rule("x.example.com", ("/", "Prefix", "app"))]}
    result = convert(ingress("other", {"kubernetes.io/ingress.class": "nginx"}, spec))
    assert not [o for o in result.resources if o["kind"] == "Gateway"]
    [note] = [n for n in result.report.notifications if n.code == "ingress-class-not-selected"]
    assert "not spec.ingressClassName" in note.message and "--ingress-class" not in note.message


def test_a_service_missing_from_a_namespace_the_input_holds_is_reported() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "app", "namespace": "web"},
    }
    spec = {
        "rules": [rule("m.example.com", ("/app", "Prefix", "app"), ("/gone", "Prefix", "gone"))]
    }
    result = convert(ingress("m", {}, spec) + "---\n" + yaml.safe_dump(service))
    notes = [n for n in result.report.notifications if n.code == "gce-reference-missing"]
    assert [n.field for n in notes] == ["spec.rules[0].http.paths[1]"]
    # Without any Service of the namespace in the input nothing can be said.
    quiet = convert(ingress("m", {}, spec))
    assert not [n for n in quiet.report.notifications if n.code == "gce-reference-missing"]
