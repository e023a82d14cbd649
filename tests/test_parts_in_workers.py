"""Parts converted in forked workers give what parts converted here give.

With ``jobs`` > 1 and an input in parts, each part is converted, validated and encoded in a
worker, which sends back the objects to print and its part's report
(``ingress2gateway.scaling.parts``). The output, the human report and the JSON report (every
notification and ledger entry, with targets and notes) must be those of the same parts
converted one after another in this process, including when a worker dies.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import ingress2gateway
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions, Emitted, Parts, ProviderContext
from ingress2gateway.registry import load_provider
from ingress2gateway.reporting.report import Recorder, Status
from ingress2gateway.scaling import convert_streaming
from ingress2gateway.scaling import parts as scaling_parts
from ingress2gateway.scaling.parts import convert_sent_part
from ingress2gateway.scaling.pool import can_fork
from ingress2gateway.scaling.workers import Workers
from ingress2gateway.target import Target
from ingress2gateway.validation import Violation
from ingress2gateway.writing.formats import encode
from ingress2gateway_providers.nginx import NginxProvider

from .golden import Case
from .ingresses import as_objects, ingress
from .shared_data import require_shared
from .test_fuzz_providers import FUZZ
from .test_parts import (
    KONG_CASES,
    NGINX_CASES,
    PER_NAMESPACE,
    copies,
    each_corpus_file,
    linked_inputs,
)

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers need fork (Linux)")

Run = tuple[list[str], str]
"""The printed texts and the JSON report."""


_COUNTS: list[list[int]] = []


@pytest.fixture
def forked_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Parts of any size go to workers; the list has, for each conversion that sent parts to
    workers, how many they converted."""
    with send_every_part(monkeypatch) as sent:
        yield sent


@contextmanager
def send_every_part(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """:func:`forked_parts`, for tests that cannot take a fixture (hypothesis)."""
    monkeypatch.setattr(scaling_parts, "worth_workers", lambda parts, jobs: jobs > 1)
    sent: list[int] = []
    _COUNTS.append(sent)
    try:
        yield sent
    finally:
        _COUNTS.remove(sent)


def yaml_text(body: dict[str, Any]) -> str:
    return encode(body, "yaml")


def run(objects: list[KubeObject], options: ConvertOptions, jobs: int, **args: Any) -> Run:
    """Converted as the CLI does, with ``jobs`` workers started before (as for a large
    input)."""
    printed: list[str] = []

    def on_object(item: Emitted) -> None:
        # A route that lost a rule comes without text, to be encoded by its printer.
        printed.append(item.text if item.text is not None else encode(item.body, "yaml"))

    target = Target.parse(args.get("gateway_api_version"), args.get("channel") or "standard")
    with Workers(jobs, target, yaml_text) as workers:
        result = convert_streaming(
            objects,
            args.pop("providers", ["nginx"]),
            options=options,
            on_object=on_object,
            encode=yaml_text,
            workers=workers,
            release_input=True,
            **args,
        )
        converted = workers.pool.answered[convert_sent_part] if workers.pool else 0
    if converted and _COUNTS:
        _COUNTS[-1].append(converted)
    return printed, json.dumps(result.report_json(), indent=1, sort_keys=True)


def both(
    objects: Callable[[], list[KubeObject]], options: ConvertOptions, **args: Any
) -> tuple[Run, Run]:
    """(in workers, here): the same input converted with 2 jobs and with 1 (``objects`` makes
    new objects each time: each conversion releases the specs it parsed)."""
    return run(objects(), options, 2, **args), run(objects(), options, 1, **args)


@pytest.mark.parametrize("case", NGINX_CASES + KONG_CASES, ids=lambda c: c.id)
def test_golden_case_in_workers_is_the_same(case: Case, forked_parts: list[int]) -> None:
    args = case.args
    options = ConvertOptions(**{**args.pop("options", {}), "gateway_per_namespace": True})

    def objects() -> list[KubeObject]:
        loaded = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
        return [*loaded, *copies(loaded, "renamed", rename_hosts=True)]

    in_workers, here = both(objects, options, **args)
    assert in_workers == here
    count = _part_count(objects(), options, args)
    assert forked_parts == ([count] if count >= 2 else [])


def _part_count(objects: list[KubeObject], options: ConvertOptions, args: dict[str, Any]) -> int:
    provider = load_provider(args.get("providers", ["nginx"])[0])
    parts: Parts | None = provider.partition(objects, options)  # type: ignore[attr-defined]
    return len(parts.parts) if parts is not None else 0


def test_most_golden_cases_fork(forked_parts: list[int]) -> None:
    """The comparison above is not idle: most cases are converted in workers."""
    for case in NGINX_CASES:
        args = case.args
        options = ConvertOptions(**{**args.pop("options", {}), "gateway_per_namespace": True})
        loaded = ingress2gateway.load_manifests([case.directory / "input.yaml"], report=Recorder())
        run([*loaded, *copies(loaded, "renamed", rename_hosts=True)], options, 2, **args)
    assert len(forked_parts) >= len(NGINX_CASES) // 2


@each_corpus_file
def test_corpus_file_in_workers_is_the_same(
    path: Path, provider: str, forked_parts: list[int]
) -> None:
    require_shared("corpus")

    def objects() -> list[KubeObject]:
        loaded = ingress2gateway.load_manifests([path], report=Recorder())
        return [*loaded, *copies(loaded, "renamed", rename_hosts=True)]

    in_workers, here = both(objects, PER_NAMESPACE, providers=[provider])
    assert in_workers == here


def refused() -> list[dict[str, Any]]:
    """Four namespaces, four parts; with :func:`refusing` validation, the route of ``b`` loses
    one rule of two (the rest is printed) and the route of ``c`` its only rule (it is not
    printed, and its fields are withdrawn from it)."""
    two_paths = ingress("b", host="b.example.com", path="/ok")
    paths = two_paths["spec"]["rules"][0]["http"]["paths"]
    paths.append({**paths[0], "path": "/refused"})
    return [
        ingress("a", host="a.example.com"),
        two_paths,
        ingress("c", host="c.example.com", path="/refused"),
        ingress("d", host="d.example.com", tls_secret="d-tls"),
    ]


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation refuses every route rule that matches ``/refused`` (the providers carry only
    values the API server accepts, so real refusals are hard to come by; forked workers inherit
    the patch)."""
    from ingress2gateway import validation

    real = validation.validate

    def validate(obj: Any, target: Any) -> list[Violation]:
        found = real(obj, target)
        for index, rule in enumerate(obj.get("spec", {}).get("rules", [])):
            if "'/refused'" in repr(rule.get("matches")):
                found.append(Violation(f"spec.rules[{index}].matches", "refused here", "cel"))
        return found

    monkeypatch.setattr(validation, "validate", validate)


@pytest.mark.usefixtures("refusing")
def test_what_validation_refuses_is_reported_the_same(forked_parts: list[int]) -> None:
    in_workers, here = both(lambda: as_objects(refused()), PER_NAMESPACE)
    assert in_workers == here and forked_parts == [4]
    report = json.loads(here[1])
    invalid = [n["message"] for n in report["notifications"] if n["code"] == "output-invalid"]
    assert any("the rule is left out" in m for m in invalid)
    assert any("it is not printed" in m for m in invalid)
    statuses = {(e["source"]["namespace"], e["status"]) for e in report["ledger"]}
    assert ("b", Status.PARTIAL.value) in statuses and ("c", Status.UNSUPPORTED.value) in statuses


class DyingNginx(NginxProvider):
    """The nginx provider, as a script may pass its own, except that a worker converting a
    part of ``namespaces`` dies (sent to the workers with each part, by value)."""

    namespaces: tuple[str, ...] = ()
    parent = 0

    def convert(self, ctx: ProviderContext) -> None:
        first = next(iter(ctx.objects))
        if os.getpid() != self.parent and first.namespace in self.namespaces:
            os._exit(3)  # as if killed: no answer, no exception
        super().convert(ctx)


@pytest.mark.usefixtures("refusing")
@pytest.mark.parametrize("dying", [("b",), ("a", "d")], ids=["one", "first-and-last"])
def test_a_part_whose_worker_dies_is_converted_here(
    forked_parts: list[int], dying: tuple[str, ...]
) -> None:
    here = run(as_objects(refused()), PER_NAMESPACE, 1)
    provider = copy.copy(load_provider("nginx"))
    provider.__class__ = DyingNginx
    provider.namespaces, provider.parent = dying, os.getpid()  # type: ignore[attr-defined]
    in_workers = run(as_objects(refused()), PER_NAMESPACE, 2, providers=[provider])
    assert in_workers == here
    # Each of the two workers died on its first dying part; the others converted the rest.
    assert forked_parts == [4 - len(dying)]


def test_an_object_nested_too_deeply_is_refused_alone_in_workers_as_here(
    forked_parts: list[int],
) -> None:
    """600 levels of nesting (libyaml loads them; pickle cannot send them to a worker): the
    object is refused before the conversion, by the project's own nesting limit, and the rest
    of the input converts in parts as before."""

    def objects() -> list[KubeObject]:
        docs = [ingress(namespace, host=f"{namespace}.example.com") for namespace in "abcd"]
        deep: Any = []
        for _ in range(600):
            deep = [deep]
        docs[1]["spec"]["x-unknown"] = deep
        return as_objects(docs)

    in_workers, here = both(objects, PER_NAMESPACE)
    assert in_workers == here and forked_parts == [3]
    assert not any("b.example.com" in text for text in in_workers[0])
    assert any("c.example.com" in text for text in in_workers[0])
    assert "nested more than 128 levels" in in_workers[1]


def test_parts_go_to_workers_only_when_it_pays() -> None:
    def parts(*sizes: int) -> Parts:
        return Parts([[None] * size for size in sizes])  # type: ignore[list-item]

    assert scaling_parts.worth_workers(parts(200, 100, 100), 2)
    assert not scaling_parts.worth_workers(parts(200, 100, 100), 1)  # one job: here
    assert not scaling_parts.worth_workers(parts(100, 100), 2)  # too few to fork for
    # A worker converting the largest part would take longer than converting everything here.
    assert not scaling_parts.worth_workers(parts(300, 100, 100), 2)


def test_workers_for_another_target_do_not_convert_parts(forked_parts: list[int]) -> None:
    here = run(as_objects(refused()), PER_NAMESPACE, 1)
    elsewhere = run(as_objects(refused()), PER_NAMESPACE, 2, gateway_api_version="v1.3")
    with Workers(2, Target.parse("v1.3"), yaml_text) as other:
        printed: list[Emitted] = []
        convert_streaming(
            as_objects(refused()),
            ["nginx"],
            options=PER_NAMESPACE,
            on_object=printed.append,
            encode=yaml_text,
            workers=other,
        )
        assert other.pool is not None and not other.pool.answered[convert_sent_part]
    assert [item.text for item in printed] == here[0]
    assert forked_parts == [4]  # elsewhere's own run, on v1.3
    assert elsewhere[0] != here[0]


def test_print_sends_parts_to_the_workers_it_started_before_reading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import yaml
    from click.testing import CliRunner

    import ingress2gateway.cli.commands as cli
    from ingress2gateway.scaling import workers as checking

    started: list[checking.Workers] = []

    class Counted(checking.Workers):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    source = tmp_path / "in.yaml"
    source.write_text(yaml.safe_dump_all(refused()))
    monkeypatch.setattr(cli, "EARLY_WORKERS_BYTES", 1)
    monkeypatch.setattr(checking, "Workers", Counted)
    monkeypatch.setattr(scaling_parts, "worth_workers", lambda parts, jobs: jobs > 1)
    printed = []
    for jobs in ("1", "2"):
        args = ["print", "--providers", "nginx", "--gateway-per-namespace", "-f", str(source)]
        result = CliRunner().invoke(cli.main, [*args, "-j", jobs], catch_exceptions=False)
        printed.append((result.exit_code, result.stdout, result.stderr))
    assert printed[0] == printed[1]
    assert printed[0][1].count("kind: HTTPRoute") == 5  # one per namespace, one redirect
    # One pool, started before the input was read, converted the four parts.
    [workers] = started
    assert workers.jobs == 2 and workers.pool is not None
    assert workers.pool.answered[convert_sent_part] == 4


@FUZZ
@given(linked_inputs())
def test_random_inputs_convert_the_same_in_workers(docs: list[dict[str, Any]]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch, send_every_part(monkeypatch) as sent:
        in_workers, here = both(lambda: as_objects(copy.deepcopy(docs)), PER_NAMESPACE)
    assert in_workers == here
    count = _part_count(as_objects(copy.deepcopy(docs)), PER_NAMESPACE, {})
    assert sent == ([count] if count >= 2 else [])


def test_a_portable_report_absorbed_is_the_report() -> None:
    """What one report said, absorbed by another that said things of its own, is what one
    report saying everything would hold."""
    from ingress2gateway.ir import Provenance
    from ingress2gateway.objects import ObjectRef, SourceRef

    shared = SourceRef("v1", "Service", "a", "app")
    mine = SourceRef("networking.k8s.io/v1", "Ingress", "a", "shop", "in.yaml", 3)
    many = [ObjectRef("HTTPRoute", "a", f"r{i}") for i in range(12)]

    rules = [Provenance(mine, "spec.rules")]

    def first(report: Recorder) -> None:
        report.warning("w", "said twice", source=shared)
        report.record(shared, "spec", Status.CONVERTED, note="one")
        report.record(mine, "spec.rules", Status.CONVERTED)
        for ref in many[:3]:
            report.printed(ref, rules)

    def second(report: Recorder) -> None:
        report.warning("w", "said twice", source=shared)
        report.error("e", "only here", source=mine, field="spec.tls", security=True)
        report.record(shared, "spec", Status.UNSUPPORTED, note="two", provider="nginx")
        report.record(mine, "spec.rules", Status.CONVERTED)
        for ref in many:
            report.printed(ref, rules)
        report.record(mine, "spec.tls", Status.PARTIAL, note="three")
        report.record(mine, "spec.tls.hosts", Status.CONVERTED)
        # Applied once every part is in: pending facts travel with the part's report.
        report.not_printed(ObjectRef("Gateway", "a", "g"), [Provenance(mine, "spec.tls")], "gone")
        report.left_out(mine, "spec.tls", "left out")

    one = Recorder()
    first(one)
    second(one)
    absorbing, other = Recorder(), Recorder()
    first(absorbing)
    second(other)
    absorbing.absorb(other.portable())
    tool: dict[str, Any] = {}
    merged, whole = absorbing.finish(), one.finish()
    assert merged.to_json(tool=tool, target=tool) == whole.to_json(tool=tool, target=tool)
    assert len(merged.notifications) == 2
    [entry] = [e for e in merged.sorted_ledger() if e.field == "spec" and e.source == shared]
    assert entry.status is Status.PARTIAL and entry.notes == ("one", "two")
    [tls] = [e for e in merged.sorted_ledger() if e.field == "spec.tls.hosts"]
    assert tls.status is Status.PARTIAL and tls.notes == ("left out",)


def test_an_input_object_sent_to_a_worker_arrives_the_same() -> None:
    """Parts are pickled object by object (``KubeObject.__reduce__``: what it was made from)."""
    import pickle

    from ingress2gateway.objects import Origin

    sent = KubeObject(ingress("a", annotations={"x": "1"}), Origin("in.yaml", 3, 1, 2))
    assert sent.annotations and sent.source()  # computed once, here: computed again there
    arrived = pickle.loads(pickle.dumps(sent, pickle.HIGHEST_PROTOCOL))
    assert arrived == sent and arrived.origin == Origin("in.yaml", 3, 1, 2)
    assert (arrived.kind, arrived.namespace, arrived.name) == ("Ingress", "a", "shop")
    assert arrived.source() == sent.source() and arrived.annotations == {"x": "1"}
    sent.release_spec()
    with pytest.raises(RuntimeError, match="released"):
        _ = pickle.loads(pickle.dumps(sent)).spec


def test_references_in_a_part_report_arrive_the_same() -> None:
    """A part's report comes back with references pickled as their fields: equal, with the
    same hash (ledger keys) and sort key (report order) as in the worker."""
    import pickle

    from ingress2gateway.objects import ObjectRef, SourceRef

    source = SourceRef("networking.k8s.io/v1", "Ingress", "a", "shop", "in.yaml", 3)
    target = ObjectRef("HTTPRoute", "a", "shop")
    for sent in (source, target, SourceRef("", "", None, None, "in.yaml", None)):
        arrived = pickle.loads(pickle.dumps(sent, pickle.HIGHEST_PROTOCOL))
        assert arrived == sent and hash(arrived) == hash(sent) and repr(arrived) == repr(sent)
    assert pickle.loads(pickle.dumps(source)).sort_key() == source.sort_key()
