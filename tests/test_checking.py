"""Validating and encoding in worker processes gives exactly what one process gives."""

from __future__ import annotations

import copy
import os
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


def _die(bodies: list[JSONDict]) -> list[checking.Answer]:
    os._exit(3)


@needs_fork
@pytest.mark.usefixtures("small_batches")
def test_a_dead_worker_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = answers(1)
    monkeypatch.setattr(checking, "_work", _die)
    assert answers(2) == serial


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


def _marked(bodies: list[JSONDict]) -> list[checking.Answer]:
    return [([], "from a worker") for _ in bodies]


@needs_fork
def test_workers_started_early_take_every_object_from_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = Target.parse("v1.4.1", "standard")
    serial = answers(1)
    with checking.Workers(2, target, yaml_text) as workers:
        early = [
            (item.ref.name, [f"{v.path}: {v.message}" for v in violations], text)
            for item, violations, text in checking.checked(items(), target, yaml_text, 1, workers)
        ]
    assert early == serial
    # Workers forked with a marking _work answer every object, the first one included.
    monkeypatch.setattr(checking, "_work", _marked)
    with checking.Workers(2, target, yaml_text) as workers:
        texts = [text for _, _, text in checking.checked(items(), target, yaml_text, 1, workers)]
    assert texts == ["from a worker"] * len(items())


@needs_fork
def test_early_workers_for_another_target_are_not_used_and_nothing_else_forks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serial = answers(1)

    def no_second_pool(*args: object) -> None:
        raise AssertionError("a second pool was forked")

    monkeypatch.setattr(checking, "_in_workers", no_second_pool)
    with checking.Workers(2, Target.parse("v1.3.0", "standard"), yaml_text) as workers:
        target = Target.parse("v1.4.1", "standard")
        here = [
            (item.ref.name, [f"{v.path}: {v.message}" for v in violations], text)
            for item, violations, text in checking.checked(items(), target, yaml_text, 2, workers)
        ]
    assert here == serial


@needs_fork
def test_early_workers_that_die_lose_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = answers(1)
    monkeypatch.setattr(checking, "_work", _die)
    target = Target.parse("v1.4.1", "standard")
    with checking.Workers(2, target, yaml_text) as workers:
        early = [
            (item.ref.name, [f"{v.path}: {v.message}" for v in violations], text)
            for item, violations, text in checking.checked(items(), target, yaml_text, 1, workers)
        ]
    assert early == serial


@needs_fork
def test_print_starts_workers_before_reading_a_large_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ingress2gateway.cli.commands as cli

    def printed(jobs: str) -> tuple[int, str, str]:
        args = ["print", "--providers", "nginx", "-f", str(EXAMPLE), "-j", jobs]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    monkeypatch.setattr(cli, "EARLY_WORKERS_BYTES", 1)
    one = printed("1")
    assert printed("2") == one
    objects = one[1].count("\napiVersion:") + one[1].startswith("apiVersion:")
    # Forked with a marking _work, the workers wrote every object: none was checked here.
    monkeypatch.setattr(checking, "_work", _marked)
    code, out, _ = printed("2")
    assert code == 0 and "apiVersion:" not in out
    assert out.count("from a worker") == objects >= 3


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


class _BreaksOnSubmit:
    """A pool that answers ``good`` chunks, then finds itself broken when the next comes."""

    def __init__(self, good: int) -> None:
        self.good = good

    def submit(self, work: object, bodies: list[JSONDict]) -> object:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        if self.good == 0:
            raise BrokenProcessPool("a worker died")
        self.good -= 1
        future: Future[list[checking.Answer]] = Future()
        future.set_result([([], "from a worker") for _ in bodies])
        return future


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("good", [0, 1, 4])
def test_a_pool_found_broken_on_submit_loses_no_chunk(good: int) -> None:
    target = Target.parse("v1.4.1", "standard")
    sent = items()
    pool: Any = _BreaksOnSubmit(good)
    got = list(checking._through(pool, iter(sent), target, yaml_text, 1))
    # _through checks here what it took (the caller checks what it did not take): nothing
    # taken is dropped, the chunk whose submit failed included.
    taken = [item for item, _, _ in got]
    assert taken == sent[: len(taken)] and len(taken) == (good + 1) * checking.CHUNK


@needs_fork
def test_workers_left_by_an_error_are_stopped_not_waited_for() -> None:
    """Ctrl-C during a large conversion: the workers may hold several parts (seconds of work
    each); they are stopped, not waited for, and none is left behind."""
    import time
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(KeyboardInterrupt), checking.Workers(2, None, None) as workers:
        assert workers.pool is not None
        held = [workers.pool.submit(time.sleep, 30) for _ in range(2)]
        processes = list(workers.pool._processes.values())  # type: ignore[attr-defined]
        raise KeyboardInterrupt
    assert processes and not any(process.is_alive() for process in processes)
    # Stopped, not finished: a sleep that had run to its end would have answered None. (A
    # call no worker had taken yet is cancelled instead.)
    assert all(
        future.cancelled() or isinstance(future.exception(), BrokenProcessPool) for future in held
    )


STOPPED_WHILE_SENDING = """
import os, struct, sys, time
from ingress2gateway.scaling import workers as checking

def half_sent(fd, marker):
    # What a worker stopped while it sends a large answer leaves: a header and part of a body.
    os.write(fd, struct.pack("!i", 1 << 20) + b"x" * 1000)
    open(marker, "w").close()
    time.sleep(60)

marker = sys.argv[1]
try:
    with checking.Workers(2, None, None) as workers:
        writer = workers.pool._result_queue._writer.fileno()
        workers.pool.submit(half_sent, writer, marker)
        for _ in range(600):  # until the half answer is in the pipe
            if os.path.exists(marker):
                break
            time.sleep(0.05)
        raise KeyboardInterrupt
except KeyboardInterrupt:
    print("stopped" if os.path.exists(marker) else "not sent")
"""


@needs_fork
def test_workers_stopped_while_one_sends_an_answer_end(tmp_path: Path) -> None:
    """The pool's thread, left reading half an answer from a stopped worker, would wait for
    the rest forever (and the command with it): it is a subprocess here, so that a hang fails
    the test instead of the test run."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_SENDING, str(tmp_path / "sent")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "stopped\n"), done.stderr


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
