"""Reading input: formats, provenance, and hostile input handled as one-line errors.

Every test that reads through :func:`read_inputs` runs twice: with the YAML documents parsed
here, and parsed by forked workers (as the CLI does for a large input) a few at a time.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ingress2gateway.errors import InputError
from ingress2gateway.reading import manifests
from ingress2gateway.reading.manifests import MAX_ALIAS_EXPANSION, load_manifests, read_inputs
from ingress2gateway.reporting.report import Level, Recorder
from ingress2gateway.scaling.pool import Pool, can_fork
from ingress2gateway.scaling.reading import parsed_in

from .test_fuzz import FUZZ

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n"


@pytest.fixture(params=["here", "in-workers"], autouse=True)
def parsed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-workers: this module's read_inputs sends every few documents to a worker."""
    if request.param == "here":
        yield
        return
    if not can_fork():
        pytest.skip("workers need fork (Linux)")
    monkeypatch.setattr(manifests, "PARSE_BATCH_CHARS", 100)
    with Pool(2) as pool:
        here = sys.modules[__name__]
        monkeypatch.setattr(
            here, "read_inputs", partial(manifests.read_inputs, parse=parsed_in(pool))
        )
        yield


def read(tmp_path: Path, name: str, content: str | bytes) -> tuple[list[str], Recorder, int]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    report = Recorder()
    result = read_inputs([path], report=report)
    return [o.name or "" for o in result.objects], report, result.errors


def errors(report: Recorder) -> list[str]:
    return [n.message for n in report.notifications if n.level is Level.ERROR]


def test_multi_document_yaml_remembers_file_and_line(tmp_path: Path) -> None:
    text = "# header\n" + SERVICE.format(name="a") + "---\n\n" + SERVICE.format(name="b")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    objects = load_manifests([path])
    assert [(o.name, o.origin.line, o.origin.document) for o in objects] == [
        ("a", 2, 0),
        ("b", 8, 1),
    ]
    assert objects[0].origin.file == str(path)


def test_json_object_stream_and_list_are_expanded(tmp_path: Path) -> None:
    listing = {
        "apiVersion": "v1",
        "kind": "ServiceList",
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "y"}},
        ],
    }
    names, _report, failed = read(
        tmp_path, "l.json", json.dumps(listing) + "\n" + json.dumps(listing["items"][0])
    )
    assert names == ["x", "y", "x"] and failed == 0


def test_directories_are_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text(SERVICE.format(name="z"))
    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    (tmp_path / "notes.txt").write_text(SERVICE.format(name="ignored"))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.yaml").write_text(SERVICE.format(name="hidden"))
    assert [o.name for o in load_manifests([tmp_path])] == ["a", "z"]


def test_stdin(tmp_path: Path) -> None:
    objects = load_manifests(["-"], stdin=io.BytesIO(SERVICE.format(name="s").encode()))
    assert [(o.name, o.origin.file) for o in objects] == [("s", "-")]


def test_missing_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: no such file"):
        load_manifests(["nope.yaml"])


def test_malformed_document_names_its_line_and_others_still_load(tmp_path: Path) -> None:
    text = SERVICE.format(name="ok1") + "---\nkind: [unclosed\n---\n" + SERVICE.format(name="ok2")
    names, report, failed = read(tmp_path, "m.yaml", text)
    assert names == ["ok1", "ok2"] and failed == 1
    assert errors(report) == ["invalid YAML: did not find expected ',' or ']'"]
    source = report.notifications[0].source
    assert source is not None and (source.file, source.line) == (str(tmp_path / "m.yaml"), 7)


def test_binary_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    _, report, failed = read(tmp_path, "bin.yaml", b"\x7fELF\x00\x01\x02")
    assert failed == 1 and "binary file" in errors(report)[0]
    _, report, failed = read(tmp_path, "latin.yaml", "name: caf\xe9\n".encode("latin-1"))
    assert failed == 1 and errors(report) == ["not UTF-8 text (byte 0xe9); save it as UTF-8"]


ALIAS_BOMB = "".join(
    ['a: &a ["x","x","x","x","x","x","x","x","x"]\n']
    + [
        f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        for prev, cur in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)
"""Nine levels of nine aliases each: 387 M nodes once expanded."""


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    _, report, failed = read(tmp_path, "bomb.yaml", ALIAS_BOMB)
    assert failed == 1 and "alias" in errors(report)[0]


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = SERVICE.format(name="a") + "spec:\n  selector: &sel {app: a}\n  extra: *sel\n"
    names, _, failed = read(tmp_path, "ok.yaml", text)
    assert names == ["a"] and failed == 0
    assert MAX_ALIAS_EXPANSION >= 1000


@pytest.mark.parametrize(
    "text", ["[" * 5000 + "]" * 5000, "a:\n" + "".join(" " * i + "- \n" for i in range(1, 1200))]
)
def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    _, report, failed = read(tmp_path, "deep.yaml", text)
    assert failed == 1 and len(errors(report)) == 1


def test_empty_and_comment_only_files_are_fine(tmp_path: Path) -> None:
    for content in ("", "# nothing\n", "---\n---\n"):
        names, report, failed = read(tmp_path, "empty.yaml", content)
        assert names == [] and failed == 0 and report.notifications == []


def test_equal_strings_of_nearby_documents_are_one_object(tmp_path: Path) -> None:
    """Keys and repeated values are one string per batch of documents, read here or in a
    worker: 100k Ingresses read from YAML cost 0.4 GB less."""
    path = tmp_path / "two.yaml"
    path.write_text(SERVICE.format(name="a") + "---\n" + SERVICE.format(name="b"))
    first, second = read_inputs([path], report=Recorder()).objects
    assert (first.name, second.name) == ("a", "b")
    keys = [next(key for key in obj.data if key == "metadata") for obj in (first, second)]
    assert keys[0] is keys[1] and first.data["kind"] is second.data["kind"]


def test_non_kubernetes_documents_are_skipped_with_info(tmp_path: Path) -> None:
    names, report, failed = read(tmp_path, "x.yaml", "hello: world\n---\n- 1\n")
    assert names == [] and failed == 0
    assert [n.code for n in report.notifications] == [
        "input-not-kubernetes",
        "input-not-kubernetes",
    ]


def test_timestamps_stay_strings_and_yaml11_booleans_follow_kubectl(tmp_path: Path) -> None:
    text = (
        SERVICE.format(name="t") + "  creationTimestamp: 2024-01-01T00:00:00Z\n  labels: {a: on}\n"
    )
    objects = (
        load_manifests([tmp_path / "t.yaml"]) if (tmp_path / "t.yaml").write_text(text) else []
    )
    assert objects[0].metadata["creationTimestamp"] == "2024-01-01T00:00:00Z"
    assert objects[0].metadata["labels"] == {"a": True}


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        ("{namespace: ':', name: web}", "metadata.namespace ':' is not a namespace name"),
        ("{namespace: Web, name: web}", "metadata.namespace 'Web' is not a namespace name"),
        ("{namespace: web}", "metadata.name is missing"),
        ("{namespace: web, name: 7}", "metadata.name is missing or not a string"),
        (
            "{namespace: web, name: big, annotations: {a: " + "x" * 300_000 + "}}",
            "metadata.annotations hold 300001 bytes; the API server accepts at most 262144",
        ),
    ],
)
def test_objects_that_cannot_exist_under_their_name_are_errors(
    tmp_path: Path, metadata: str, says: str
) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(
        "kind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {namespace: ok, name: fine}\n"
        f"---\nkind: Ingress\napiVersion: networking.k8s.io/v1\nmetadata: {metadata}\n"
    )
    report = Recorder()
    result = read_inputs([path], report=report)
    assert [o.name for o in result.objects] == ["fine"] and result.errors == 1
    [note] = [n for n in report.notifications if n.code == "input-invalid"]
    assert says in note.message and note.source is not None and note.source.line == 5


def test_a_released_spec_cannot_be_read_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(
        "kind: Ingress\napiVersion: networking.k8s.io/v1\n"
        "metadata: {namespace: web, name: shop, annotations: {a: b}}\nspec: {rules: []}\n"
    )
    [obj] = load_manifests([path])
    obj.release_spec()
    assert obj.name == "shop" and obj.annotations == {"a": "b"} and "spec" not in obj.data
    with pytest.raises(RuntimeError, match="released"):
        obj.spec  # noqa: B018


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (SERVICE.format(name="a") + "  name: b\n", 5),
        (SERVICE.format(name="a") + "spec: {selector: {app: a, app: b}}\n", 5),
    ],
)
def test_duplicate_keys_are_an_error_as_in_kubectl(tmp_path: Path, text: str, line: int) -> None:
    names, report, failed = read(tmp_path, "dup.yaml", text + "---\n" + SERVICE.format(name="ok"))
    assert names == ["ok"] and failed == 1
    [message] = errors(report)
    assert "appears twice" in message and report.notifications[0].source is not None
    assert report.notifications[0].source.line == line


def test_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    text = SERVICE.format(name="a") + "spec:\n  base: &b {x: 1}\n  merged:\n    <<: *b\n    x: 2\n"
    names, _, failed = read(tmp_path, "merge.yaml", text)
    assert names == ["a"] and failed == 0


def test_python_tags_are_refused_not_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = SERVICE.format(name="a") + f'spec: !!python/object/apply:os.system ["touch {marker}"]\n'
    names, report, failed = read(tmp_path, "tag.yaml", text)
    assert names == [] and failed == 1 and "python/object" in errors(report)[0]
    assert not marker.exists()


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_hundred_thousand_levels_of_nesting_are_one_error(tmp_path: Path, suffix: str) -> None:
    text = '{"kind": "Service", "apiVersion": "v1", "spec": ' + "[" * 100_000 + "]" * 100_000 + "}"
    names, report, failed = read(tmp_path, "deep" + suffix, text)
    assert names == [] and failed == 1 and len(errors(report)) == 1


@pytest.mark.parametrize("char", ["x", "é", "€", "\U0001f600", "\ud800"])
@pytest.mark.parametrize("count", [1, 60_000, 65_530, 87_381, 131_072, 262_144, 262_145])
def test_the_annotation_size_limit_counts_utf8_bytes_exactly(char: str, count: int) -> None:
    """The quick bound that spares counting (objects._may_exceed) never changes the verdict."""
    from ingress2gateway.objects import ANNOTATIONS_LIMIT, annotations_size, why_impossible

    annotations = {"k": char * count, "n": 3}
    data = {"metadata": {"name": "a", "annotations": annotations}}
    size = len(char.encode("utf-8", "surrogatepass")) * count + 2
    assert annotations_size(annotations) == size
    assert (why_impossible(data) is not None) == (size > ANNOTATIONS_LIMIT)


def test_annotations_nested_too_deeply_to_print_are_still_measured() -> None:
    from ingress2gateway.objects import why_impossible

    value: object = "x"
    for _ in range(100_000):
        value = [value]
    assert why_impossible({"metadata": {"name": "a", "annotations": {"k": value}}}) is None


# Lines of a YAML stream: markers and near-markers, with every line break str.splitlines knows.
_LINE = st.tuples(
    st.sampled_from(["---", "...", "--", "..", "a: 1", "", " ---"]),
    st.sampled_from(["", " ", "\t", " x", "\tx", "-", "x"]),
    st.sampled_from(["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", ""]),
).map("".join)


@FUZZ
@given(st.lists(_LINE, max_size=12).map("".join))
@example("a: 1\r---\nb: 2\n")  # a lone \r ends a line
@example("a: 1\n---\tx\r\nb: 2\r\n")
@example("a: 1\u2028...\nb: 2")
def test_documents_are_split_as_line_by_line(text: str) -> None:
    """The fast split (no string per line) cuts where the line-by-line one does."""
    assert list(manifests.split_documents(text)) == list(manifests._split_lines(text))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_document_lines_are_counted_across_markers(newline: str) -> None:
    text = newline.join(["a: 1", "---", "b: 2", "c: 3", "... end", "", "---", "d: 4", "---"])
    assert list(manifests.split_documents(text)) == [
        (1, "a: 1" + newline),
        (3, "b: 2" + newline + "c: 3" + newline),
        (6, newline),
        (8, "d: 4" + newline),
    ]


# --- one bad piece never sinks the rest ------------------------------------------------------


def nested(levels: int, core: str = "1") -> str:
    return '{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "deep"}, "spec": ' + (
        "[" * (levels - 1) + core + "]" * (levels - 1) + "}"
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
@pytest.mark.parametrize(("levels", "refused"), [(128, False), (129, True), (5_000, True)])
def test_the_nesting_limit_is_the_projects_own(
    tmp_path: Path, suffix: str, levels: int, refused: bool
) -> None:
    """The same verdict on every Python: JSON's decoder alone refused 5,000 levels on 3.11
    and read them on 3.13; libyaml stops at 1,000."""
    names, report, failed = read(tmp_path, "deep" + suffix, nested(levels))
    assert (names, failed) == (([], 1) if refused else (["deep"], 0))
    if refused:
        assert errors(report) and ("nested" in errors(report)[0] or "depth" in errors(report)[0])


def test_a_small_deep_file_with_a_lone_surrogate_is_one_error(tmp_path: Path) -> None:
    """1.5 KB that ended print with a RecursionError (the surrogates were mended by a
    recursive walk before the nesting was bounded)."""
    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    (tmp_path / "b.json").write_text(nested(450, core='"\\ud800"'))
    (tmp_path / "c.yaml").write_text(SERVICE.format(name="c"))
    report = Recorder()
    result = read_inputs([tmp_path], report=report)
    assert [o.name for o in result.objects] == ["a", "c"] and result.errors == 1


def test_lone_surrogates_are_mended_in_keys_and_values(tmp_path: Path) -> None:
    text = (
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a\\ud800"}, '
        '"spec": {"selector": {"k\\udc00": "v\\ud800", "list": ["\\ud800"]}}}'
    )
    path = tmp_path / "s.json"
    path.write_text(text)
    [obj] = read_inputs([path], report=Recorder()).objects
    assert obj.name == "a\ufffd"
    assert obj.data["spec"]["selector"] == {"k\ufffd": "v\ufffd", "list": ["\ufffd"]}


def test_a_missing_or_unreadable_file_is_one_error_and_the_others_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    (tmp_path / "locked.yaml").write_text(SERVICE.format(name="locked"))
    (tmp_path / "z.yaml").write_text(SERVICE.format(name="z"))
    real_open = open

    def deny(file: str, *args: object, **kwargs: object) -> object:
        if str(file).endswith("locked.yaml"):
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(manifests, "open", deny, raising=False)
    report = Recorder()
    result = read_inputs([tmp_path, tmp_path / "gone.yaml"], report=report)
    assert [o.name for o in result.objects] == ["a", "z"] and result.errors == 2
    by_file = {
        Path(n.source.file).name: n.message for n in report.notifications if n.source is not None
    }
    assert "permission denied" in by_file["locked.yaml"]
    assert "no such file" in by_file["gone.yaml"]


def test_a_file_deleted_while_the_input_is_read_is_one_error(tmp_path: Path) -> None:
    paths = []
    for name in "abc":
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(SERVICE.format(name=name))
    report = Recorder()
    objects = []
    reads = manifests._pieces(manifests._iter_sources([str(p) for p in paths], None))
    for piece in reads:  # b vanishes once a was read
        if isinstance(piece, manifests.Unparsed) and piece.file.endswith("a.yaml"):
            paths[1].unlink()
        objects.append(piece)
    problems = [p for p in objects if isinstance(p, manifests.DocumentRead) and p.problem]
    assert len(problems) == 1 and problems[0].file.endswith("b.yaml")
    assert "no such file" in (problems[0].problem or "")
    assert report.notifications == []


def test_fifos_and_devices_in_folders_are_left_alone(tmp_path: Path) -> None:
    import os

    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    os.mkfifo(tmp_path / "pipe.yaml")  # opening it would wait for a writer forever
    os.symlink(tmp_path, tmp_path / "loop")  # a link to a folder is not followed
    names, failed = [o.name for o in load_manifests(tmp_path)], 0
    assert names == ["a"] and failed == 0


def test_a_device_named_directly_is_refused(tmp_path: Path) -> None:
    report = Recorder()
    result = read_inputs(["/dev/zero"], report=report)  # would read 1 GiB of zeros
    assert result.errors == 1 and "not a regular file or a pipe" in errors(report)[0]


def test_a_pipe_named_directly_is_read(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as handle:
            handle.write(SERVICE.format(name="piped"))

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert [o.name for o in load_manifests(fifo)] == ["piped"]
    finally:
        writer.join(5)


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read_as_kubectl_reads_them(
    tmp_path: Path, encoding: str
) -> None:
    text = SERVICE.format(name="caf\xe9") + "---\n" + SERVICE.format(name="b")
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    names, report, failed = read(tmp_path, "u.yaml", bom + text.encode(encoding))
    assert names == ["caf\xe9", "b"] and failed == 0 and errors(report) == []


def test_a_document_that_is_not_utf8_fails_alone(tmp_path: Path) -> None:
    text = (
        SERVICE.format(name="a").encode()
        + b"---\n"
        + SERVICE.format(name="b").encode()
        + b"  labels: {x: caf\xe9}\n---\n"
        + SERVICE.format(name="c").encode()
    )
    names, report, failed = read(tmp_path, "mixed.yaml", text)
    assert names == ["a", "c"] and failed == 1
    assert errors(report) == ["not UTF-8 text (byte 0xe9); save it as UTF-8"]
    assert report.notifications[0].source is not None
    assert report.notifications[0].source.line == 10


def test_a_json_value_that_is_not_utf8_fails_alone(tmp_path: Path) -> None:
    good = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ok"}})
    text = (
        good.encode() + b'\n{"apiVersion": "v1", "kind": "Service", "x": "\xff"}\n' + good.encode()
    )
    names, report, failed = read(tmp_path, "mixed.json", text)
    assert names == ["ok", "ok"] and failed == 1 and "byte 0xff" in errors(report)[0]


# --- JSON as strict as YAML ------------------------------------------------------------------


def test_duplicate_keys_in_json_are_an_error_as_in_yaml(tmp_path: Path) -> None:
    dup = '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "name": "b"}}'
    good = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ok"}})
    names, report, failed = read(tmp_path, "dup.json", dup + "\n" + good)
    assert names == ["ok"] and failed == 1
    assert "'name' appears twice" in errors(report)[0]


@pytest.mark.parametrize("name", ["huge.yaml", "huge.json"])
def test_a_number_of_thousands_of_digits_is_one_error_and_the_rest_reads(
    tmp_path: Path, name: str
) -> None:
    """CPython refuses to convert integers over 4,300 digits (ValueError, since 3.10.7/3.11):
    that was an internal error of every command for a 5 KB file; now it is the document's
    error, the same on every Python."""
    huge = "9" * 5000
    if name.endswith(".json"):
        bad = (
            '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "n": ' + huge + "}"
        )
        good = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ok"}})
        text = bad + "\n" + good
    else:
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: x}}\nn: {huge}\n---\n"
        text += "apiVersion: v1\nkind: Service\nmetadata: {name: ok}\n"
    names, report, failed = read(tmp_path, name, text)
    assert names == ["ok"] and failed == 1
    assert "a number has 5000 digits" in errors(report)[0]


def listing(items: list[object]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "List", "items": items}


def service(name: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}}


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_a_bad_item_of_a_list_is_named_by_index_and_line(tmp_path: Path, form: str) -> None:
    import yaml

    value = listing([service("a"), service(7), service("c")])
    text = json.dumps(value, indent=2) if form == "json" else yaml.safe_dump(value)
    names, report, failed = read(tmp_path, "list." + form, text)
    assert names == ["a", "c"] and failed == 1
    [note] = [n for n in report.notifications if n.level is Level.ERROR]
    assert note.message.startswith("items[1]: Service metadata.name is missing")
    lines = text.splitlines()
    assert note.source is not None and note.source.line is not None
    item_line = lines[note.source.line - 1]
    assert item_line.strip() in ("{", "- apiVersion: v1")
    # the line of the second item, not of the List or the first item
    assert text.splitlines()[: note.source.line].count(item_line) == 2


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_an_item_nested_too_deeply_fails_alone(tmp_path: Path, form: str) -> None:
    deep: object = 1
    for _ in range(200):
        deep = [deep]
    bad = {**service("b"), "spec": deep}
    value = listing([service("a"), bad, service("c")])
    text = json.dumps(value) if form == "json" else "# read as YAML\n" + json.dumps(value)
    path = tmp_path / ("list." + form)
    path.write_text(text)
    report = Recorder()
    result = read_inputs([path], report=report)
    assert [o.name for o in result.objects] == ["a", "c"] and result.errors == 1
    assert errors(report)[0].startswith("items[1]: Service nested more than 128 levels")


def test_json_item_lines_follow_the_text() -> None:
    text = '\n{"kind": "List", "x": {"items": [9]},\n "items": [\n  1,\n  "s",\n  {"a": [1, {}]},\n  []\n ]}'
    assert manifests._json_item_lines(text, 1) == [4, 5, 6, 7]
    assert manifests._json_item_lines('{"items": []}', 0) == []


# --- the library ------------------------------------------------------------------------------


def test_load_manifests_takes_one_path_as_a_string(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SERVICE.format(name="a"))
    assert [o.name for o in load_manifests(str(tmp_path))] == ["a"]
    assert [o.name for o in load_manifests(tmp_path / "a.yaml")] == ["a"]


def test_load_manifests_without_a_report_raises_what_it_could_not_read(tmp_path: Path) -> None:
    from ingress2gateway.errors import ManifestError

    path = tmp_path / "m.yaml"
    path.write_text(SERVICE.format(name="ok") + "---\nkind: [unclosed\n")
    with pytest.raises(ManifestError) as raised:
        load_manifests([path])
    assert [o.name for o in raised.value.objects] == ["ok"]
    [problem] = raised.value.problems
    assert (problem.file, problem.line) == (str(path), 7) and "invalid YAML" in problem.message
    assert str(raised.value).startswith(f"{path}:7: invalid YAML")
    report = Recorder()
    assert [o.name for o in load_manifests([path], report=report)] == ["ok"]
    assert errors(report)
