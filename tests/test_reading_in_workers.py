"""YAML documents parsed by forked workers (as the CLI has them parsed for a large input) are
read exactly as when parsed here: the same objects in the same order, from the same files and
lines, and the same notifications, whatever the batches and whatever fails in a worker."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from ingress2gateway.reading import manifests
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.scaling.pool import Pool, can_fork
from ingress2gateway.scaling.reading import parsed_in

from .shared_data import REPO_ROOT, require_shared
from .test_manifests import ALIAS_BOMB, SERVICE

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers need fork (Linux)")


def everything_read(
    paths: list[Path], pool: Pool | None = None
) -> tuple[list[Any], list[Any], int]:
    """Each object (where it was read, and what), each notification, and the error count."""
    report = Recorder()
    parse = parsed_in(pool) if pool is not None else None
    result = manifests.read_inputs(paths, report=report, parse=parse)
    objects = [(o.origin, json.dumps(o.data, sort_keys=True)) for o in result.objects]
    return objects, [n.to_json() for n in report.notifications], result.errors


HOSTILE: dict[str, str | bytes] = {
    "a.yaml": SERVICE.format(name="a")
    + "---\n---\n# only a comment\n---\n"
    + SERVICE.format(name="b"),
    "b.json": '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", '
    '"metadata": {"name": "c"}}]} null',
    "c.yaml": SERVICE.format(name="d") + "---\nkey: [unclosed\n---\n" + SERVICE.format(name="e"),
    "d.yaml": b"\x7fELF\x00\x01",
    "e.yaml": "name: caf\xe9\n".encode("latin-1"),
    "f.yaml": "[" * 5000 + "]" * 5000,
    # libyaml loads it; it nests deeper than the project's limit, and is refused alike.
    "g.yaml": SERVICE.format(name="g") + "spec: " + "[" * 600 + "]" * 600 + "\n",
    "h.yaml": SERVICE.format(name="h") + "spec: {a: 1, a: 2}\n",
    "i.yaml": ALIAS_BOMB,
    "j.yaml": "hello: world\n---\n- 1\n---\n" + SERVICE.format(name="\\ud800"),
}


def test_documents_parsed_in_workers_are_read_as_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Good, broken and hostile files together, with the documents of a file split across
    batches: the same objects in the same order, from the same lines, and the same errors."""
    for name, content in HOSTILE.items():
        (tmp_path / name).write_bytes(content.encode() if isinstance(content, str) else content)
    here = everything_read([tmp_path])
    assert len(here[0]) == 6 and here[2] == 7  # the test reads what it means to
    for batch in (1, 100, 1 << 20):
        monkeypatch.setattr(manifests, "PARSE_BATCH_CHARS", batch)
        with Pool(2) as pool:
            assert everything_read([tmp_path], pool) == here


def test_every_golden_and_corpus_input_parsed_in_workers_is_read_as_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = [REPO_ROOT / "testdata", require_shared("corpus")]
    here = everything_read(paths)
    assert len(here[0]) > 1000
    monkeypatch.setattr(manifests, "PARSE_BATCH_CHARS", 4096)
    with Pool(2) as pool:
        assert everything_read(paths, pool) == here


def test_documents_whose_workers_died_are_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "many.yaml").write_text(
        "---\n".join(SERVICE.format(name=f"s{i}") for i in range(50))
    )
    here = everything_read([tmp_path])
    monkeypatch.setattr(manifests, "PARSE_BATCH_CHARS", 100)
    with Pool(2) as pool:
        first, second = pool.pids
        os.kill(first, signal.SIGKILL)  # killed, say (out of memory)
        assert everything_read([tmp_path], pool) == here
        assert pool.pids == [second]
        os.kill(second, signal.SIGKILL)
        assert everything_read([tmp_path], pool) == here
        assert pool.pids == []
