"""Cluster reads: the real ``kubernetes`` client against the in-process fake API server."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ingress2gateway.errors import ClusterError
from ingress2gateway.objects import ResourceKind
from ingress2gateway.reading import cluster
from ingress2gateway.reading.cluster import (
    ClusterRead,
    ClusterSelection,
    RequestPolicy,
    current_context_name,
    parse_request_timeout,
    read_cluster,
)
from ingress2gateway.reporting.report import Level, Recorder
from tests.fakekube import FakeKube, RequestRecord, TLSMaterial, ingress, ingress_class, make_ca
from tests.fakekube.fixtures import (  # noqa: F401 - fixtures are found by pytest, not called
    FAKE_CONTEXT,
    FAKE_CONTEXT_NAMESPACE,
    fake_kube_fixture,
    kubeconfig_path_fixture,
    tls_material_fixture,
)

INGRESS = ResourceKind("networking.k8s.io", "v1", "ingresses", "Ingress")
INGRESS_CLASS = ResourceKind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False)
SERVICE = ResourceKind("", "v1", "services", "Service")
KONG_PLUGIN = ResourceKind("configuration.konghq.com", "v1", "kongplugins", "KongPlugin")

INGRESSES_PATH = "/apis/networking.k8s.io/v1/ingresses"


def ns_path(
    namespace: str, plural: str = "ingresses", gv: str = "apis/networking.k8s.io/v1"
) -> str:
    return f"/{gv}/namespaces/{namespace}/{plural}"


def read(
    kubeconfig: Path,
    resources: list[ResourceKind] | None = None,
    report: Recorder | None = None,
    *,
    context: str | None = None,
    namespace: str | None = None,
    all_namespaces: bool = False,
) -> ClusterRead:
    selection = ClusterSelection(str(kubeconfig), context, namespace, all_namespaces)
    return read_cluster(
        selection,
        resources if resources is not None else [INGRESS],
        report if report is not None else Recorder(),
    )


def names(result: ClusterRead) -> list[tuple[str, str | None, str | None]]:
    return [(o.kind, o.namespace, o.name) for o in result.objects]


def list_requests(fake: FakeKube, path: str) -> list[RequestRecord]:
    return [r for r in fake.requests if r.path == path]


def error_message(excinfo: pytest.ExceptionInfo[ClusterError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, "errors reach users as one line"
    return message


# --- paging -------------------------------------------------------------------------------


def test_pages_through_many_ingresses_with_a_small_page_size(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i:02d}", FAKE_CONTEXT_NAMESPACE) for i in range(23)))

    result = read_cluster(
        ClusterSelection(kubeconfig=str(kubeconfig_path)), [INGRESS], Recorder(), page_size=5
    )

    assert [o.name for o in result.objects] == [f"app-{i:02d}" for i in range(23)]
    requests = list_requests(fake_kube, ns_path(FAKE_CONTEXT_NAMESPACE))
    assert [r.query.get("limit") for r in requests] == ["5"] * 5
    assert "continue" not in requests[0].query
    assert all(r.query.get("continue") for r in requests[1:])
    assert all(r.status == 200 for r in requests)


def test_later_pages_come_from_the_first_pages_snapshot(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(4)))
    written: list[bool] = []

    def write_between_pages(request: RequestRecord) -> None:
        if request.query.get("continue") and not written:
            written.append(True)
            fake_kube.add(ingress("app-9", FAKE_CONTEXT_NAMESPACE))  # sorts after every page
            fake_kube.delete("networking.k8s.io/v1", "Ingress", "app-3", FAKE_CONTEXT_NAMESPACE)

    fake_kube.hooks.append(write_between_pages)
    result = read_cluster(
        ClusterSelection(kubeconfig=str(kubeconfig_path)), [INGRESS], Recorder(), page_size=2
    )

    assert written
    assert [o.name for o in result.objects] == ["app-0", "app-1", "app-2", "app-3"]


def test_expired_continue_token_restarts_the_list_once(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(5)))
    compacted: list[bool] = []

    def compact_before_first_continue(request: RequestRecord) -> None:
        if request.query.get("continue") and not compacted:
            compacted.append(True)
            fake_kube.add(ingress("app-late", FAKE_CONTEXT_NAMESPACE))
            fake_kube.compact()

    fake_kube.hooks.append(compact_before_first_continue)
    report = Recorder()
    result = read_cluster(
        ClusterSelection(kubeconfig=str(kubeconfig_path)), [INGRESS], report, page_size=2
    )

    # A consistent list from the restart: the object written before it is there, once.
    assert [o.name for o in result.objects] == [f"app-{i}" for i in range(5)] + ["app-late"]
    statuses = [
        (bool(r.query.get("continue")), r.status)
        for r in fake_kube.requests_to(ns_path(FAKE_CONTEXT_NAMESPACE))
    ]
    assert statuses[:3] == [(False, 200), (True, 410), (False, 200)]
    assert [n.code for n in report.notifications] == ["cluster-list-restarted"]


def test_a_second_expiry_is_an_error(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(5)))
    fake_kube.hooks.append(lambda r: fake_kube.compact() if r.query.get("continue") else None)

    with pytest.raises(ClusterError) as excinfo:
        read_cluster(
            ClusterSelection(kubeconfig=str(kubeconfig_path)), [INGRESS], Recorder(), page_size=2
        )
    assert "410" in error_message(excinfo)
    assert "ingresses.networking.k8s.io" in str(excinfo.value)


# --- namespaces ---------------------------------------------------------------------------


@pytest.fixture
def two_namespaces(fake_kube: FakeKube) -> FakeKube:
    fake_kube.add(
        ingress("a", "team-a"),
        ingress("b", "team-b"),
        ingress("d", "default"),
        ingress_class("nginx"),
    )
    return fake_kube


def test_without_flags_reads_the_contexts_namespace(
    two_namespaces: FakeKube, kubeconfig_path: Path
) -> None:
    result = read(kubeconfig_path)

    assert result.namespace == FAKE_CONTEXT_NAMESPACE
    assert result.context == FAKE_CONTEXT
    assert names(result) == [("Ingress", "team-a", "a")]
    assert list_requests(two_namespaces, ns_path("team-a"))


def test_namespace_flag_wins_over_the_context(
    two_namespaces: FakeKube, kubeconfig_path: Path
) -> None:
    result = read(kubeconfig_path, namespace="team-b")

    assert result.namespace == "team-b"
    assert names(result) == [("Ingress", "team-b", "b")]


def test_context_without_namespace_reads_default(two_namespaces: FakeKube, tmp_path: Path) -> None:
    kubeconfig = two_namespaces.write_kubeconfig(tmp_path / "kc", context="plain")

    result = read(kubeconfig)

    assert (result.namespace, result.context) == ("default", "plain")
    assert names(result) == [("Ingress", "default", "d")]


def test_all_namespaces_lists_cluster_wide(two_namespaces: FakeKube, kubeconfig_path: Path) -> None:
    # -A wins over -n, as in kubectl.
    result = read(kubeconfig_path, all_namespaces=True, namespace="team-b")

    assert result.namespace is None
    assert names(result) == [
        ("Ingress", "default", "d"),
        ("Ingress", "team-a", "a"),
        ("Ingress", "team-b", "b"),
    ]
    assert list_requests(two_namespaces, INGRESSES_PATH)


def test_ingress_class_is_listed_cluster_wide_even_in_one_namespace(
    two_namespaces: FakeKube, kubeconfig_path: Path
) -> None:
    result = read(kubeconfig_path, [INGRESS_CLASS, INGRESS], namespace="team-b")

    # Resource order as asked, then namespace and name.
    assert names(result) == [("IngressClass", None, "nginx"), ("Ingress", "team-b", "b")]
    assert list_requests(two_namespaces, "/apis/networking.k8s.io/v1/ingressclasses")
    assert [o.origin.document for o in result.objects] == [0, 1]
    assert {o.origin.file for o in result.objects} == {f"cluster:{FAKE_CONTEXT}"}
    assert {o.origin.line for o in result.objects} == {None}


def test_core_resources_are_read_too(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": FAKE_CONTEXT_NAMESPACE},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
        }
    )

    result = read(kubeconfig_path, [SERVICE], all_namespaces=True)

    assert [(o.api_version, o.kind, o.name) for o in result.objects] == [("v1", "Service", "web")]
    assert result.objects[0].spec["ports"][0]["targetPort"] == 8080
    assert list_requests(fake_kube, "/api/v1/services")


# --- what is read -------------------------------------------------------------------------


def test_raw_json_field_names_and_kind_are_kept(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE, ingress_class="nginx"))

    (obj,) = read(kubeconfig_path).objects

    # The fake, like the apiserver, strips apiVersion/kind from typed list items.
    assert list(obj.data)[:2] == ["apiVersion", "kind"]
    assert (obj.api_version, obj.kind) == ("networking.k8s.io/v1", "Ingress")
    assert obj.spec["ingressClassName"] == "nginx"
    path = obj.spec["rules"][0]["http"]["paths"][0]
    assert path["pathType"] == "Prefix"
    assert path["backend"]["service"]["port"] == {"number": 80}
    assert "resourceVersion" in obj.metadata
    assert "creationTimestamp" in obj.metadata


def test_missing_crd_is_an_info_not_an_error(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))
    report = Recorder()

    result = read(kubeconfig_path, [INGRESS, KONG_PLUGIN], report)

    assert names(result) == [("Ingress", FAKE_CONTEXT_NAMESPACE, "web")]
    assert [(n.level, n.code, n.message) for n in report.notifications] == [
        (
            Level.INFO,
            "cluster-resource-missing",
            "no KongPlugin (configuration.konghq.com/v1) served by the cluster: "
            "is the CRD installed?",
        )
    ]
    # Discovery said so: no list call for a group that is not served.
    assert not [r for r in fake_kube.requests if "konghq" in r.path]


def test_resource_missing_from_a_served_group_is_an_info(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.install_crd("configuration.konghq.com", "v1", "kongconsumers", "KongConsumer")
    report = Recorder()

    result = read(kubeconfig_path, [KONG_PLUGIN], report)

    assert result.objects == []
    assert [n.code for n in report.notifications] == ["cluster-resource-missing"]
    (request,) = [r for r in fake_kube.requests if "kongplugins" in r.path]
    assert request.status == 404


def test_installed_crd_objects_are_read(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.install_crd("configuration.konghq.com", "v1", "kongplugins", "KongPlugin")
    fake_kube.add(
        {
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": "rate", "namespace": FAKE_CONTEXT_NAMESPACE},
            "plugin": "rate-limiting",
            "config": {"minute": 5},
        },
        {
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": "elsewhere", "namespace": "team-b"},
            "plugin": "cors",
        },
    )
    report = Recorder()

    result = read(kubeconfig_path, [KONG_PLUGIN], report)

    assert report.notifications == []
    (plugin,) = result.objects
    assert (plugin.api_version, plugin.kind, plugin.name) == (
        "configuration.konghq.com/v1",
        "KongPlugin",
        "rate",
    )
    assert plugin.data["config"] == {"minute": 5}


def test_the_same_kind_asked_twice_is_listed_once(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))

    result = read(kubeconfig_path, [INGRESS, INGRESS])

    assert len(result.objects) == 1
    assert len(list_requests(fake_kube, ns_path(FAKE_CONTEXT_NAMESPACE))) == 1


def test_progress_is_drawn_and_cleared(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(5)))
    progress = io.StringIO()

    read_cluster(
        ClusterSelection(kubeconfig=str(kubeconfig_path)),
        [INGRESS],
        Recorder(),
        progress=progress,
        page_size=2,
    )

    text = progress.getvalue()
    assert "\rListing ingresses.networking.k8s.io… page 1" in text
    assert "\rListing ingresses.networking.k8s.io… page 3" in text
    assert "\n" not in text
    assert text.endswith("\r") and text.rsplit("\r", 2)[1].strip() == ""


# --- authentication, authorisation ---------------------------------------------------------


def test_wrong_token_is_a_one_line_error(fake_kube: FakeKube, tmp_path: Path) -> None:
    kubeconfig = fake_kube.write_kubeconfig(tmp_path / "kc", token="stolen")

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig)

    message = error_message(excinfo)
    assert "401" in message
    assert fake_kube.url in message
    assert 'context "fake"' in message


def test_missing_token_is_refused(tls_material: TLSMaterial, tmp_path: Path) -> None:
    with FakeKube(tls=tls_material) as fake:
        fake.token = "needed"
        kubeconfig = fake.write_kubeconfig(tmp_path / "kc", token="")
        with pytest.raises(ClusterError) as excinfo:
            read(kubeconfig, [INGRESS_CLASS])
    assert "401" in error_message(excinfo)


def test_forbidden_names_the_resource_and_the_verb(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.forbid("ingresses", "networking.k8s.io", namespace=FAKE_CONTEXT_NAMESPACE)

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig_path, [INGRESS_CLASS, INGRESS])

    assert error_message(excinfo) == (
        'forbidden to list ingresses.networking.k8s.io in namespace "team-a" '
        '(needs RBAC verb "list"); ask your cluster admin or use a context with read access'
    )


def test_forbidden_cluster_wide(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.forbid("ingressclasses", "networking.k8s.io")

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig_path, [INGRESS_CLASS])

    assert error_message(excinfo).startswith(
        "forbidden to list ingressclasses.networking.k8s.io at cluster scope"
    )


# --- connection and configuration ------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_names_the_url(fake_kube: FakeKube, tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{closed_port()}"
    kubeconfig = fake_kube.write_kubeconfig(tmp_path / "kc", server=server)

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig)

    message = error_message(excinfo)
    assert message.startswith(f"cannot reach the API server at {server}: ")
    assert "object at 0x" not in message


def test_tls_is_verified_against_the_test_ca(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))

    assert fake_kube.url.startswith("https://")
    assert len(read(kubeconfig_path).objects) == 1


def test_a_server_certificate_from_another_ca_is_refused(
    fake_kube: FakeKube, tmp_path: Path
) -> None:
    other_ca, _ = make_ca(tmp_path / "other", name="someone-else")
    kubeconfig = fake_kube.write_kubeconfig(tmp_path / "kc", ca_pem=other_ca.read_bytes())

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig)

    message = error_message(excinfo)
    assert fake_kube.url in message
    assert "TLS" in message
    assert not fake_kube.requests  # nothing was sent to an unverified server


def test_insecure_skip_tls_verify_is_reported(fake_kube: FakeKube, tmp_path: Path) -> None:
    kubeconfig = fake_kube.write_kubeconfig(tmp_path / "kc", insecure=True)
    report = Recorder()

    read(kubeconfig, report=report)  # and no InsecureRequestWarning (warnings are errors)

    assert [(n.level, n.code) for n in report.notifications] == [
        (Level.WARNING, "cluster-insecure-tls")
    ]


def test_missing_kubeconfig_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "kubeconfig"

    with pytest.raises(ClusterError) as excinfo:
        read(missing)

    assert error_message(excinfo) == f"kubeconfig file {missing} not found"


@pytest.mark.parametrize(
    "content",
    [
        "clusters: [unclosed\n",
        "",
        "just a string\n",
        "apiVersion: v1\nkind: Config\ncontexts: []\n",
        "apiVersion: v1\nkind: Config\ncurrent-context: x\ncontexts:\n- name: x\n  context: {}\n",
    ],
    ids=["bad-yaml", "empty", "scalar", "no-context", "context-without-cluster"],
)
def test_invalid_kubeconfig_is_named(tmp_path: Path, content: str) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(content, encoding="utf-8")

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig)

    assert str(kubeconfig) in error_message(excinfo)


def test_unknown_context_is_named(kubeconfig_path: Path) -> None:
    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig_path, context="prod")

    assert error_message(excinfo) == f'context "prod" not found in kubeconfig {kubeconfig_path}'


def test_kubeconfig_env_is_used_when_no_flag(
    two_namespaces: FakeKube, kubeconfig_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", f"{kubeconfig_path.parent / 'absent'}:{kubeconfig_path}")

    result = read_cluster(ClusterSelection(), [INGRESS], Recorder())

    assert (result.context, names(result)) == (FAKE_CONTEXT, [("Ingress", "team-a", "a")])
    assert current_context_name(None, None) == FAKE_CONTEXT


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    with pytest.raises(ClusterError) as excinfo:
        read_cluster(ClusterSelection(), [INGRESS], Recorder())

    assert str(tmp_path / ".kube" / "config") in error_message(excinfo)


def test_current_context_name(kubeconfig_path: Path) -> None:
    assert current_context_name(str(kubeconfig_path), None) == FAKE_CONTEXT
    assert current_context_name(str(kubeconfig_path), FAKE_CONTEXT) == FAKE_CONTEXT
    with pytest.raises(ClusterError):
        current_context_name(str(kubeconfig_path), "other")


def test_in_cluster_service_account_is_used_inside_a_pod(
    fake_kube: FakeKube, tls_material: TLSMaterial, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(str(fake_kube.token), encoding="ascii")
    (account / "ca.crt").write_bytes(tls_material.ca_pem)
    (account / "namespace").write_text("team-b\n", encoding="ascii")
    monkeypatch.setattr(cluster, "_SERVICE_ACCOUNT_DIR", account)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(fake_kube.port))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    fake_kube.add(ingress("a", "team-a"), ingress("b", "team-b"))

    result = read_cluster(ClusterSelection(), [INGRESS], Recorder())

    assert (result.context, result.namespace) == ("in-cluster", "team-b")
    assert names(result) == [("Ingress", "team-b", "b")]
    assert {o.origin.file for o in result.objects} == {"cluster:in-cluster"}
    assert current_context_name(None, None) == "in-cluster"


# --- a server under stress: retries (as client-go), deadlines, malformed answers -------------


def statuses(fake: FakeKube, path: str) -> list[int]:
    return [r.status for r in fake.requests_to(path)]


def read_with(
    kubeconfig: Path,
    policy: RequestPolicy,
    *,
    request_timeout: float | None = None,
    resources: list[ResourceKind] | None = None,
) -> ClusterRead:
    selection = ClusterSelection(str(kubeconfig), request_timeout=request_timeout)
    return read_cluster(selection, resources or [INGRESS], Recorder(), policy=policy)


TEAM_A = ns_path(FAKE_CONTEXT_NAMESPACE)


def test_429_with_retry_after_is_retried_after_the_wait_the_server_asks(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))
    fake_kube.throttle(2, status=429, retry_after="3", path=TEAM_A)
    waits: list[float] = []

    result = read_with(kubeconfig_path, RequestPolicy(sleep=waits.append))

    assert names(result) == [("Ingress", FAKE_CONTEXT_NAMESPACE, "web")]
    assert statuses(fake_kube, TEAM_A) == [429, 429, 200]
    assert waits == [3.0, 3.0]


@pytest.mark.parametrize("status", [500, 503, 504])
def test_5xx_with_retry_after_is_retried(
    fake_kube: FakeKube, kubeconfig_path: Path, status: int
) -> None:
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))
    fake_kube.throttle(1, status=status, retry_after="0", path=TEAM_A)

    result = read_with(kubeconfig_path, RequestPolicy(sleep=lambda _: None))

    assert len(result.objects) == 1
    assert statuses(fake_kube, TEAM_A) == [status, 200]


def test_discovery_is_retried_too(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.throttle(1, path="/apis/")

    read_with(kubeconfig_path, RequestPolicy(sleep=lambda _: None))

    assert statuses(fake_kube, "/apis/") == [429, 200]


def test_the_wait_is_really_slept_and_capped(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.throttle(2, retry_after="3600", path=TEAM_A)

    started = time.monotonic()
    read_with(kubeconfig_path, RequestPolicy(max_retry_wait=0.05))
    elapsed = time.monotonic() - started

    assert statuses(fake_kube, TEAM_A) == [429, 429, 200]
    assert 0.1 <= elapsed < 1.0


def test_the_default_is_ten_retries_as_client_go(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.throttle(10, path=TEAM_A)
    waits: list[float] = []

    read_with(kubeconfig_path, RequestPolicy(sleep=waits.append))
    assert statuses(fake_kube, TEAM_A) == [429] * 10 + [200]
    assert waits == [1.0] * 10

    fake_kube.requests.clear()
    fake_kube.throttle(11, path=TEAM_A)
    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(sleep=waits.append))

    assert statuses(fake_kube, TEAM_A) == [429] * 11
    message = error_message(excinfo)
    assert message.startswith(f"cluster {fake_kube.url}: ")
    assert "ingresses.networking.k8s.io" in message
    assert "HTTP 429 TooManyRequests" in message
    assert "11 attempts" in message
    assert "; " in message  # and what to do


def test_retries_are_bounded_by_max_retries(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.throttle(100, status=503, retry_after="0", path=TEAM_A)

    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(max_retries=2))

    assert statuses(fake_kube, TEAM_A) == [503] * 3
    assert "HTTP 503 ServiceUnavailable" in error_message(excinfo)


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(429, None), (503, None), (500, None), (429, "Fri, 31 Dec 1999 23:59:59 GMT"), (404, "1")],
    ids=["429-no-header", "503-no-header", "500-no-header", "429-http-date", "404-with-header"],
)
def test_without_a_retry_after_in_seconds_nothing_is_retried(
    fake_kube: FakeKube, kubeconfig_path: Path, status: int, retry_after: str | None
) -> None:
    """client-go retries only 429 and 5xx that carry Retry-After in whole seconds."""
    fake_kube.throttle(1, status=status, retry_after=retry_after, path=TEAM_A)
    waits: list[float] = []

    if status == 404:  # a list that is not found is a kind that is not served: no error
        read_with(kubeconfig_path, RequestPolicy(sleep=waits.append))
    else:
        with pytest.raises(ClusterError) as excinfo:
            read_with(kubeconfig_path, RequestPolicy(sleep=waits.append))
        assert f"HTTP {status}" in error_message(excinfo)
    assert statuses(fake_kube, TEAM_A) == [status]
    assert waits == []


def test_a_wait_past_the_request_timeout_fails_at_once(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.throttle(1, retry_after="30", path=TEAM_A)
    waits: list[float] = []

    with pytest.raises(ClusterError) as excinfo:
        read_with(
            kubeconfig_path,
            RequestPolicy(max_retry_wait=60, sleep=waits.append),
            request_timeout=5,
        )

    message = error_message(excinfo)
    assert message.startswith(f"cluster {fake_kube.url}: ")
    assert "429" in message and "30s" in message and "--request-timeout" in message
    assert waits == []


def test_a_drip_fed_list_is_cut_at_the_request_timeout(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(3)))
    # A byte every 20 ms: no read ever waits long, the whole list would take ~30 s.
    fake_kube.drip(TEAM_A, interval=0.02)

    started = time.monotonic()
    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(), request_timeout=0.5)
    elapsed = time.monotonic() - started

    assert 0.5 <= elapsed < 1.5
    message = error_message(excinfo)
    assert message == (
        f"cluster {fake_kube.url}: listing ingresses.networking.k8s.io in namespace "
        '"team-a" did not finish within 500ms (--request-timeout 500ms); '
        "pass a longer --request-timeout (0: no limit) or check the network path to the API server"
    )


def test_drip_fed_headers_are_cut_too(
    fake_kube: FakeKube, kubeconfig_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_kube.drip("/apis/", interval=0.02, headers_too=True)

    started = time.monotonic()
    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(), request_timeout=0.4)

    assert time.monotonic() - started < 1.5
    assert "API discovery (GET /apis) did not finish within 400ms" in error_message(excinfo)
    # urllib3 would log the cut headers with a traceback (on stderr, without logging set up).
    assert not caplog.records


def test_the_default_deadline_catches_a_drip_feed(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i}", FAKE_CONTEXT_NAMESPACE) for i in range(3)))
    fake_kube.drip(TEAM_A, interval=0.02)

    started = time.monotonic()
    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(default_timeout=0.5))

    assert time.monotonic() - started < 1.5
    message = error_message(excinfo)
    assert "did not finish within 500ms (the default request timeout)" in message
    assert "--request-timeout" in message


def test_request_timeout_zero_means_no_deadline(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    # An empty list (about 100 bytes) at a byte every 5 ms: ~0.5 s, past the default deadline.
    fake_kube.drip(TEAM_A, interval=0.005)

    result = read_with(kubeconfig_path, RequestPolicy(default_timeout=0.2), request_timeout=0)

    assert result.objects == []
    assert statuses(fake_kube, TEAM_A) == [200]


def test_a_stalled_connection_fails_even_without_a_deadline(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.drip(TEAM_A, interval=30)  # headers, then nothing

    started = time.monotonic()
    with pytest.raises(ClusterError) as excinfo:
        read_with(kubeconfig_path, RequestPolicy(stall_timeout=0.3), request_timeout=0)

    assert time.monotonic() - started < 1.5
    message = error_message(excinfo)
    assert message.startswith(f"cluster {fake_kube.url}: listing ingresses.networking.k8s.io")
    assert "nothing received for 300ms" in message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("30", 30.0),
        ("30s", 30.0),
        ("1m", 60.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        ("0s", 0.0),
    ],
)
def test_request_timeout_is_parsed_as_kubectl_does(text: str, seconds: float) -> None:
    assert parse_request_timeout(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "-1", "-5s", "1d", "s", "10 s", "1.5", "ten", "1e3s", "1m-1s"]
)
def test_a_bad_request_timeout_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 1s, 2m, 3h"):
        parse_request_timeout(text)


def ingress_list(**fields: object) -> dict[str, object]:
    return {"kind": "IngressList", "apiVersion": "networking.k8s.io/v1", "metadata": {}, **fields}


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (ingress_list(items="oops"), "`items` is a string, not a list"),
        (ingress_list(items={"a": {}}), "`items` is an object, not a list"),
        (ingress_list(items=7), "`items` is a number, not a list"),
        (ingress_list(), "it has no `items`"),
        (ingress_list(items=[{"metadata": {"name": "a"}}, 1]), "item 1 is a number, not an object"),
        (ingress_list(items=[None]), "item 0 is null, not an object"),
        ({"kind": "Status", "apiVersion": "v1", "status": "Success"}, "a Status, not a list"),
        ({"hello": "world"}, "an object without kind, not a list"),
        ([1, 2], "a JSON array, not an object"),
        (b"<html>Please log in</html>", "not JSON"),
    ],
    ids=[
        "items-string",
        "items-object",
        "items-number",
        "items-missing",
        "item-not-object",
        "item-null",
        "status",
        "no-kind",
        "array",
        "html",
    ],
)
def test_a_malformed_list_is_an_error_never_no_resources(
    fake_kube: FakeKube, kubeconfig_path: Path, body: Any, detail: str
) -> None:
    fake_kube.reply(TEAM_A, body)

    with pytest.raises(ClusterError) as excinfo:
        read(kubeconfig_path)

    message = error_message(excinfo)
    assert message.startswith(
        f"cluster {fake_kube.url}: the list of ingresses.networking.k8s.io in namespace "
        '"team-a" is malformed: '
    )
    assert detail in message
    assert "; " in message.split(detail, 1)[1]  # and then what to do


def test_null_items_is_an_empty_list(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    """Go encodes a nil slice as null; client-go reads it as an empty list, and so do we."""
    fake_kube.reply(TEAM_A, ingress_list(items=None))

    assert read(kubeconfig_path).objects == []


# --- the fake itself speaks the protocol -----------------------------------------------------


def raw_get(fake: FakeKube, kubeconfig: Path, path: str) -> tuple[int, dict[str, object]]:
    """A GET through the real client's transport, for protocol details it does not expose."""
    from kubernetes import client, config

    new_client: Any = config.new_client_from_config  # untyped in the client
    api = new_client(str(kubeconfig), persist_config=False)
    try:
        response = api.rest_client.request(
            "GET", fake.url + path, headers={"Authorization": f"Bearer {fake.token}"}
        )
        response.read()
        return response.status, json.loads(response.data)
    finally:
        api.close()
        assert isinstance(api, client.ApiClient)


def test_fake_pages_report_remaining_items_and_expire(
    fake_kube: FakeKube, kubeconfig_path: Path
) -> None:
    fake_kube.add(*(ingress(f"app-{i}", "team-a") for i in range(5)))

    status, first = raw_get(fake_kube, kubeconfig_path, f"{INGRESSES_PATH}?limit=2")
    metadata = first["metadata"]
    assert isinstance(metadata, dict)
    assert (status, metadata["remainingItemCount"]) == (200, 3)
    token = metadata["continue"]

    fake_kube.compact()
    status, expired = raw_get(
        fake_kube, kubeconfig_path, f"{INGRESSES_PATH}?limit=2&continue={token}"
    )
    assert (status, expired["kind"], expired["reason"], expired["code"]) == (
        410,
        "Status",
        "Expired",
        410,
    )
    assert expired["metadata"]["continue"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api", "APIVersions"),
        ("/api/v1", "APIResourceList"),
        ("/apis", "APIGroupList"),
        ("/apis/networking.k8s.io", "APIGroup"),
        ("/apis/networking.k8s.io/v1", "APIResourceList"),
        ("/apis/configuration.konghq.com/v1", "Status"),
        ("/apis/networking.k8s.io/v1/namespaces/team-a/ingresses/nope", "Status"),
    ],
)
def test_fake_discovery(fake_kube: FakeKube, kubeconfig_path: Path, path: str, kind: str) -> None:
    status, body = raw_get(fake_kube, kubeconfig_path, path)

    assert body["kind"] == kind
    assert status == (404 if kind == "Status" else 200)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_real_kubectl_agrees_with_the_fake(fake_kube: FakeKube, kubeconfig_path: Path) -> None:
    fake_kube.add(*(ingress(f"app-{i}", f"team-{i % 2}") for i in range(5)))

    command = ["kubectl", "--kubeconfig", str(kubeconfig_path), "get", "ingresses", "-A"]
    listed = subprocess.run(
        [*command, "--chunk-size=2", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    assert sorted(i["metadata"]["name"] for i in json.loads(listed.stdout)["items"]) == [
        f"app-{i}" for i in range(5)
    ]
    assert len(list_requests(fake_kube, INGRESSES_PATH)) == 3


def kubectl_get(kubeconfig: Path, cache: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    command = ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache)]
    return subprocess.run(
        [*command, "get", "ingresses", "-o", "json", *flags],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_real_kubectl_retries_and_gives_up_as_we_do(
    fake_kube: FakeKube, kubeconfig_path: Path, tmp_path: Path
) -> None:
    """The facts we follow, checked on kubectl itself: it retries a 429 that carries
    Retry-After, not one without it, and --request-timeout cuts a drip-fed answer."""
    fake_kube.add(ingress("web", FAKE_CONTEXT_NAMESPACE))

    fake_kube.throttle(2, retry_after="0", path=TEAM_A)
    assert kubectl_get(kubeconfig_path, tmp_path).returncode == 0
    assert statuses(fake_kube, TEAM_A) == [429, 429, 200]

    fake_kube.requests.clear()
    fake_kube.throttle(1, retry_after=None, path=TEAM_A)
    assert kubectl_get(kubeconfig_path, tmp_path).returncode == 1
    assert statuses(fake_kube, TEAM_A) == [429]

    fake_kube.drip(TEAM_A, interval=0.05)
    started = time.monotonic()
    assert kubectl_get(kubeconfig_path, tmp_path, "--request-timeout=1s").returncode == 1
    assert time.monotonic() - started < 5
