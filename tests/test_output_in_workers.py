"""Validating and encoding output objects in worker processes (``scaling.workers``) gives
exactly what one process gives."""

from __future__ import annotations

import copy
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ingress2gateway
from ingress2gateway.cli.commands import main
from ingress2gateway.objects import JSONDict, KubeObject, ObjectRef, Origin
from ingress2gateway.plugin import Emitted
from ingress2gateway.reporting.report import Status
from ingress2gateway.scaling import workers as checking
from ingress2gateway.target import Target
from ingress2gateway.writing.formats import encode

from .istio_objects import ISTIO_GATEWAY

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"

needs_fork = pytest.mark.skipif(not checking.can_fork(), reason="workers need fork (Linux)")


def route(index: int, *, invalid: bool) -> Emitted:
    body: JSONDict = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": f"route-{index}", "namespace": "web"},
        "spec": {
            "parentRefs": [{"name": "nginx"}],
            "hostnames": [f"app{index}.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": f"/svc{index}"}}],
                    "backendRefs": [{"name": f"svc-{index}", "port": 8080}],
                }
            ],
        },
    }
    if invalid:
        # A path must start with "/": the API server refuses this one (a CEL rule).
        body["spec"]["rules"][0]["matches"][0]["path"]["value"] = f"svc{index}"
    return Emitted(ObjectRef("HTTPRoute", "web", f"route-{index}"), body)


def items() -> list[Emitted]:
    return [route(i, invalid=i % 7 == 3) for i in range(40)]


def yaml_text(body: JSONDict) -> str:
    return encode(body, "yaml")


def answers(jobs: int) -> list[tuple[str, list[str], str | None]]:
    target = Target.parse("v1.4.1", "standard")
    return [
        (item.ref.name, [f"{v.path}: {v.message}" for v in violations], text)
        for item, violations, text in checking.checked(items(), target, yaml_text, jobs)
    ]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start after 5 objects and get 3 at a time, so a test input uses them."""
    monkeypatch.setattr(checking, "SERIAL_HEAD", 5)
    monkeypatch.setattr(checking, "CHUNK", 3)


@needs_fork
@pytest.mark.usefixtures("small_batches")
def test_workers_answer_in_order_with_the_same_violations_and_text() -> None:
    serial = answers(1)
    assert [name for name, _, _ in serial] == [f"route-{i}" for i in range(40)]
    invalid = [name for name, violations, _ in serial if violations]
    assert invalid == [f"route-{i}" for i in range(40) if i % 7 == 3]
    assert answers(2) == serial
    assert answers(3) == serial


def early_answers(workers: checking.Workers) -> list[tuple[str, list[str], str | None]]:
    target = Target.parse("v1.4.1", "standard")
    return [
        (item.ref.name, [f"{v.path}: {v.message}" for v in violations], text)
        for item, violations, text in checking.checked(items(), target, yaml_text, 1, workers)
    ]


@needs_fork
@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("killed", [1, 2])
def test_dead_workers_lose_nothing(killed: int) -> None:
    serial = answers(1)
    with checking.Workers(2, Target.parse("v1.4.1", "standard"), yaml_text) as workers:
        assert workers.pool is not None
        for pid in workers.pool.pids[:killed]:
            os.kill(pid, signal.SIGKILL)  # killed, say (out of memory)
        assert early_answers(workers) == serial


def test_without_validation_or_encoding_nothing_is_checked() -> None:
    item = route(1, invalid=True)
    before = copy.deepcopy(item.body)
    [(same, violations, text)] = checking.checked([item], None, None, 1)
    assert same is item and violations == [] and text is None and item.body == before


@needs_fork
@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_print_with_workers_prints_and_reports_the_same(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(checking, "SERIAL_HEAD", 1)
    monkeypatch.setattr(checking, "CHUNK", 1)
    runs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(
            main,
            ["print", "--providers", "nginx", "-f", str(EXAMPLE), "-o", fmt, "-j", jobs],
            catch_exceptions=False,
        )
        runs.append((result.exit_code, result.stdout, result.stderr))
    assert runs[0] == runs[1]
    assert runs[0][1].count("HTTPRoute") >= 3


def virtual_service(rewrites: list[str]) -> list[KubeObject]:
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "shop", "namespace": "web"},
        "spec": {
            "hosts": ["shop.example.com"],
            "gateways": ["istio-system/public"],
            "http": [
                {
                    # Prefixes ending in "/": a character prefix would also get its expression
                    # match (the Istio provider keeps /p0x on /p0's rule), shifting the rules.
                    "match": [{"uri": {"prefix": f"/p{i}/"}}],
                    "rewrite": {"uri": uri},
                    "route": [{"destination": {"host": "app", "port": {"number": 80}}}],
                }
                for i, uri in enumerate(rewrites)
            ],
        },
    }
    return [
        KubeObject(item, Origin("in.yaml", 1 + 20 * i, i))
        for i, item in enumerate([ISTIO_GATEWAY, vs])
    ]


def test_a_rule_the_api_server_would_refuse_is_left_out_not_the_route() -> None:
    too_long = "/" + "a" * 1100  # Gateway API allows 1024 characters
    result = ingress2gateway.convert(
        virtual_service(["/ok", too_long, "/fine"]), providers=["istio"]
    )
    [route] = [o for o in result.resources if o["kind"] == "HTTPRoute"]
    prefixes = [r["matches"][0]["path"]["value"] for r in route["spec"]["rules"]]
    assert prefixes == ["/p0/", "/p2/"]
    [note] = {n.message for n in result.report.notifications if n.code == "output-invalid"}
    assert "rule 1 of HTTPRoute" in note and "the rule is left out" in note
    for field in ("spec.http[1]", "spec.http[1].match[0]", "spec.http[1].rewrite"):
        [entry] = [
            e
            for e in result.report.sorted_ledger()
            if e.source.kind == "VirtualService" and e.field == field
        ]
        assert entry.status is Status.PARTIAL and "the rule is left out" in "; ".join(entry.notes)
    [kept] = [
        e
        for e in result.report.sorted_ledger()
        if e.source.kind == "VirtualService" and e.field == "spec.http[2].match[0]"
    ]
    assert kept.status is Status.CONVERTED and not kept.notes


def test_a_route_whose_only_rule_is_refused_is_dropped_and_accounted_for() -> None:
    result = ingress2gateway.convert(virtual_service(["/" + "a" * 1100]), providers=["istio"])
    assert [o["kind"] for o in result.resources] == ["Gateway"]
    assert any("it is not printed" in n.message for n in result.report.notifications)
    for entry in result.report.ledger.values():
        assert all(ref.kind != "HTTPRoute" for ref in entry.targets)


@needs_fork
@pytest.mark.usefixtures("small_batches")
def test_workers_started_early_take_every_object_from_the_first() -> None:
    serial = answers(1)
    with checking.Workers(2, Target.parse("v1.4.1", "standard"), yaml_text) as workers:
        assert early_answers(workers) == serial
        assert workers.pool is not None
        # Every chunk (3 objects) went to a worker, the first one included.
        assert sum(workers.pool.answered.values()) == -(-len(items()) // 3)


@needs_fork
def test_early_workers_for_another_target_are_not_used_and_nothing_else_forks() -> None:
    serial = answers(1)
    with checking.Workers(2, Target.parse("v1.3.0", "standard"), yaml_text) as workers:
        assert workers.pool is not None
        ours = set(workers.pool.pids)
        target = Target.parse("v1.4.1", "standard")
        here = []
        for item, violations, text in checking.checked(items(), target, yaml_text, 2, workers):
            assert {p.pid for p in multiprocessing.active_children()} <= ours
            here.append((item.ref.name, [f"{v.path}: {v.message}" for v in violations], text))
        assert not workers.pool.answered
    assert here == serial


@needs_fork
def test_print_starts_workers_before_reading_a_large_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingress2gateway.cli.commands as cli

    started: list[checking.Workers] = []

    class Counted(checking.Workers):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    def printed(jobs: str) -> tuple[int, str, str]:
        args = ["print", "--providers", "nginx", "-f", str(EXAMPLE), "-j", jobs]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    monkeypatch.setattr(cli, "EARLY_WORKERS_BYTES", 1)
    monkeypatch.setattr(checking, "Workers", Counted)
    one = printed("1")
    assert not started
    assert printed("2") == one
    # One pool, started before the input was read, parsed it and checked every object.
    [workers] = started
    assert workers.pool is not None and len(workers.pool.answered) == 2


def test_prepare_compiles_what_checking_emitted_objects_needs() -> None:
    """Workers call prepare() as they start, so that the first objects they get do not wait
    for rules to compile. Run in a fresh interpreter: this process has compiled them already."""
    import subprocess
    import sys

    script = f"""
import yaml
from ingress2gateway.target import Target
from ingress2gateway.validation import _cel, prepare, validate
target = Target.parse("v1.4.1", "standard")
prepare(target)
compiled = len(_cel._NODES)
import glob
kinds = {{"Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant"}}
objects = [
    d
    for path in sorted(glob.glob({str(ROOT / "testdata" / "*" / "*" / "output.yaml")!r}))
    for d in yaml.safe_load_all(open(path))
    if d and d.get("kind") in kinds and d.get("apiVersion", "").startswith("gateway.networking")
]
assert len(objects) > 500
for o in objects:
    validate(o, target)
print(compiled, len(_cel._NODES))
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "providers")]))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    before, after = map(int, done.stdout.split())
    assert before > 0 and after == before


@needs_fork
@pytest.mark.usefixtures("small_batches")
def test_objects_too_deep_to_send_to_a_worker_are_checked_here() -> None:
    target = Target.parse("v1.4.1", "standard")
    sent = items()
    deep: Any = []
    for _ in range(600):
        deep = [deep]
    sent[20].body["spec"]["rules"][0]["x-deep"] = deep
    got = list(checking.checked(sent, target, yaml_text, 2))
    assert [item for item, _, _ in got] == sent
    here = [checking.check_one(item.body, target, yaml_text) for item in sent]
    assert [(violations, text) for _, violations, text in got] == here
