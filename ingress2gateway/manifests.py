"""Reading manifests: files, directories, stdin; YAML streams, JSON, and ``kind: List``.

Input is untrusted. Each document is parsed on its own so that one bad document is reported
(file and line) while the others still convert; YAML anchors may not expand beyond a small
bound (billion laughs), nesting is bounded by libyaml (1,000 levels) and by Python's recursion
limit for JSON, and binary or non-UTF-8 files are refused with a one-line reason.

YAML parsing is the slow part (PyYAML's C loader: ~3.5 s for 10k Ingresses, against 0.3 s for
the same as JSON). Given a pool of forked workers (the CLI's, for a large input), this process
reads and splits the files and the workers parse the documents, in batches; the results are
taken in input order, so what is read is the same.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import yaml

from ingress2gateway._gc import gc_paused
from ingress2gateway.errors import InputError
from ingress2gateway.forks import in_order
from ingress2gateway.objects import KubeObject, Origin, SourceRef, why_impossible
from ingress2gateway.report import Report

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# Kubernetes manifests never need aliases to expand much; a document whose aliases add more
# than this many nodes is refused (a 432-byte "billion laughs" expands to 387 M nodes).
MAX_ALIAS_EXPANSION = 10_000
MAX_FILE_BYTES = 1 << 30
INPUT_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$")
_DOC_END = re.compile(r"^\.\.\.(?:[ \t].*)?$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that keeps timestamps as strings, as JSON (and the API server) does, and
    refuses duplicate keys, as kubectl does (PyYAML would keep the last value silently)."""

    strings: dict[str, str]
    """The strings made so far, each once (see :func:`_shared_text`)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
                    continue  # merge keys may be overridden; complex keys are rare and odd
                key = (key_node.tag, key_node.value)
                if key in seen:
                    hint = (
                        " (is a '---' missing between two documents?)"
                        if key_node.value in ("apiVersion", "kind") and node.start_mark.column == 0
                        else " (which value was meant?)"
                    )
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key_node.value!r} appears twice in one mapping; kubectl refuses "
                        f"this{hint}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_MERGE = "tag:yaml.org,2002:merge"


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _shared_text(loader: _Loader, node: yaml.Node) -> Any:
    value = loader.construct_scalar(node)
    return loader.strings.setdefault(value, value)


# Equal strings (keys, kinds, annotation names and values) become one object per batch of
# documents: parsed objects cost less memory (at 100k Ingresses: 0.3 GB, the keys JSON's
# decoder shares too) and a batch sent back from a worker pickles each string once.
_Loader.add_constructor("tag:yaml.org,2002:str", _shared_text)


@dataclass
class LoadResult:
    objects: list[KubeObject] = field(default_factory=list)
    errors: int = 0
    """Documents or files that could not be read (each also an error notification)."""


def load_manifests(
    paths: Iterable[str | os.PathLike[str]],
    *,
    report: Report | None = None,
    stdin: BinaryIO | None = None,
) -> list[KubeObject]:
    """Read every object from ``paths`` (files, directories, or ``-`` for stdin).

    Unreadable documents become error notifications in ``report`` (when given) and are
    skipped; a path that does not exist raises :class:`InputError`.
    """
    return read_inputs(paths, report=report or Report(), stdin=stdin).objects


def read_inputs(
    paths: Iterable[str | os.PathLike[str]],
    *,
    report: Report,
    stdin: BinaryIO | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> LoadResult:
    """Every object from ``paths``, in order. With ``pool`` (forked workers), the YAML
    documents are parsed by its workers, in batches, while this process reads on."""
    result = LoadResult()
    with gc_paused():
        pieces = _pieces(_iter_sources(paths, stdin))
        reads = _parsed_in(pool, pieces) if pool is not None else _parsed_here(pieces)
        for read in reads:
            if read.problem is not None:
                result.errors += 1
                source = file_location(read.file, read.line)
                report.error("input-invalid", read.problem, source=source)
            elif read.value is not None or not read.yaml:
                origin = Origin(read.file, read.line, read.document)
                _accept(read.value, origin, report, result)
    return result


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files named directly, then files found under directories (recursive, sorted)."""
    found: list[str] = []
    for raw in paths:
        text = os.fspath(raw)
        if text == STDIN:
            found.append(STDIN)
            continue
        path = Path(text)
        if path.is_dir():
            found.extend(
                str(p)
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in INPUT_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.exists():
            found.append(text)
        else:
            raise InputError(f"{text}: no such file or directory; check the --input-file path")
    return found


def _iter_sources(
    paths: Iterable[str | os.PathLike[str]], stdin: BinaryIO | None
) -> Iterator[tuple[str, bytes]]:
    for name in expand_paths(paths):
        if name == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield STDIN, stream.read(MAX_FILE_BYTES + 1)
            continue
        try:
            size = os.path.getsize(name)
            if size > MAX_FILE_BYTES:
                raise InputError(f"{name}: file is larger than {MAX_FILE_BYTES >> 20} MiB")
            with open(name, "rb") as handle:
                yield name, handle.read()
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None


class _Read(NamedTuple):
    """A document read (``value``), or what is wrong with it or its file (``problem``)."""

    file: str
    line: int
    document: int
    value: Any
    problem: str | None = None
    yaml: bool = False
    """From YAML, where an empty document (``value`` None) is no document at all."""


class _Unparsed(NamedTuple):
    """A YAML document split from its file, not yet parsed."""

    file: str
    document: int
    first_line: int
    text: str


def _pieces(sources: Iterable[tuple[str, bytes]]) -> Iterator[_Read | _Unparsed]:
    """The documents of each source in order: JSON parsed, YAML split but not yet parsed."""
    for name, data in sources:
        text, (line, problem) = _text_of(data)
        del data  # the text is what is read now (a file may hold 1 GiB)
        if text is None:
            yield _Read(name, line, 0, None, problem)
        elif text.lstrip().startswith(("{", "[")):
            yield from _read_json(name, text)
        else:
            for index, (first_line, doc) in enumerate(split_documents(text)):
                yield _Unparsed(name, index, first_line, doc)


def _text_of(data: bytes) -> tuple[str | None, tuple[int, str]]:
    """A file's text, or None and (line, problem) when it is not UTF-8 text."""
    if len(data) > MAX_FILE_BYTES:
        return None, (1, f"input is larger than {MAX_FILE_BYTES >> 20} MiB")
    if b"\x00" in data[:8192]:
        return None, (1, "binary file, not YAML or JSON")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), (0, "")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, (line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8")


def _read_json(name: str, text: str) -> Iterator[_Read]:
    decoder = json.JSONDecoder()
    pos = 0
    index = 0
    length = len(text)
    line, counted = 1, 0  # lines are counted incrementally: a stream may hold 100k objects
    escapes = _SURROGATE_ESCAPE.search(text) is not None
    while True:
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield _Read(name, exc.lineno, index, None, f"invalid JSON: {exc.msg}")
            return
        except RecursionError:
            yield _Read(name, line, index, None, "JSON nested too deeply")
            return
        if escapes:
            value = without_lone_surrogates(value)
        yield _Read(name, line, index, value)
        index += 1
        pos = end


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    r"""Split a YAML stream on ``---`` lines as kubectl does; yield (first line, text).

    Lines are what :meth:`str.splitlines` makes of the text; a text whose only line breaks
    are ``\n`` and ``\r\n`` (nearly all) is split without making them: for a large file, a
    string per line cost more memory than its documents (100k Ingresses: 7 M lines, 0.4 GB).
    """
    if _OTHER_LINE_BREAK.search(text):
        yield from _split_lines(text)
        return
    start, line = 0, 1  # where the next document starts, and on which line
    counted = 0  # line is the line of text[counted]
    for marker in _MARKER_LINE.finditer(text):
        at = marker.start()
        if at > start:
            line += text.count("\n", counted, start)
            counted = start
            yield line, text[start:at]
        end = text.find("\n", at)
        start = len(text) if end < 0 else end + 1
    if start < len(text):
        yield line + text.count("\n", counted, start), text[start:]


# A line that is "---" or "..." alone or followed by a blank, in a text whose line breaks are
# \n or \r\n only (anything that starts a line in str.splitlines's sense, else).
_MARKER_LINE = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
_OTHER_LINE_BREAK = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|\r(?!\n)")


def _split_lines(text: str) -> Iterator[tuple[int, str]]:
    """:func:`split_documents`, line by line."""
    lines = text.splitlines(keepends=True)
    start = 0
    for number, line in enumerate(lines):
        bare = line.rstrip("\r\n")
        if _SEPARATOR.match(bare) or _DOC_END.match(bare):
            if number > start:
                yield start + 1, "".join(lines[start:number])
            start = number + 1
    if start < len(lines):
        yield start + 1, "".join(lines[start:])


def _first_content_line(first: int, doc: str) -> int:
    for offset, line in enumerate(doc.splitlines()):
        bare = line.strip()
        if bare and not bare.startswith("#") and not bare.startswith("%"):
            return first + offset
    return first


Parsed = tuple[int, Any, "str | None"]
"""A YAML document parsed: its line and value, or the line of its problem and the problem."""


def parse_document(first_line: int, doc: str, strings: dict[str, str] | None = None) -> Parsed:
    """The YAML document ``doc``, which starts at line ``first_line`` of its file; a string
    equal to one in ``strings`` is that one (a new one is added)."""
    line = _first_content_line(first_line, doc)
    loader = _Loader(doc)
    loader.strings = strings if strings is not None else {}
    try:
        value = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = first_line + mark.line if mark is not None else line
        return where, None, f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}"
    except (yaml.YAMLError, RecursionError) as exc:
        return line, None, f"invalid YAML: {_one_line(exc)}"
    finally:
        loader.dispose()
    if value is None:
        return line, None, None
    alias_problem = _alias_problem(value)
    if alias_problem:
        return line, None, alias_problem
    if _SURROGATE_ESCAPE.search(doc):
        value = without_lone_surrogates(value)
    return line, value, None


def _parsed_here(pieces: Iterable[_Read | _Unparsed]) -> Iterator[_Read]:
    """``pieces`` in order, their YAML documents parsed in this process, with equal strings
    shared by every :data:`PARSE_BATCH_CHARS` of text, as in a worker's batch."""
    strings: dict[str, str] = {}
    size = 0
    for piece in pieces:
        if isinstance(piece, _Read):
            yield piece
            continue
        if size >= PARSE_BATCH_CHARS:
            strings, size = {}, 0  # the strings of a batch only: a memo of all of them would
            # hold every unique name and host of a large input
        size += len(piece.text)
        yield _with_parse(piece, parse_document(piece.first_line, piece.text, strings))


def _with_parse(doc: _Unparsed, parsed: Parsed) -> _Read:
    line, value, problem = parsed
    return _Read(doc.file, line, doc.document, value, problem, yaml=True)


PARSE_BATCH_CHARS = 64 * 1024
"""YAML text per batch of documents sent to a worker (about 40 Ingresses): enough that sending
costs little, little enough that the workers share even one file's documents evenly."""
BATCHES_AHEAD = 16
"""Batches sent and not yet answered, at most: the text read ahead of the objects (1 MB)."""


def _parsed_in(pool: ProcessPoolExecutor, pieces: Iterator[_Read | _Unparsed]) -> Iterator[_Read]:
    """``pieces`` in order, their YAML documents parsed by the workers of ``pool`` in batches
    (a batch that fails in its worker is parsed here: see :func:`~.forks.in_order`)."""
    # Everything taken from pieces, in input order: a document read, or a batch sent.
    waiting: deque[_Read | list[_Unparsed]] = deque()

    def batches() -> Iterator[tuple[list[tuple[int, str]]]]:
        batch: list[_Unparsed] = []
        size = 0
        for piece in pieces:
            if isinstance(piece, _Unparsed):
                if not batch:
                    waiting.append(batch)
                batch.append(piece)
                size += len(piece.text)
            if batch and (size >= PARSE_BATCH_CHARS or isinstance(piece, _Read)):
                # Sent as it is: what comes after it in the input comes after it in waiting.
                yield ([(doc.first_line, doc.text) for doc in batch],)
                batch, size = [], 0
            if isinstance(piece, _Read):
                waiting.append(piece)
        if batch:
            yield ([(doc.first_line, doc.text) for doc in batch],)

    for answer in in_order(pool, _parse_sent, batches(), ahead=BATCHES_AHEAD):
        # Answers come in the order the batches were sent: what was read before this one first.
        sent = waiting.popleft()
        while isinstance(sent, _Read):
            yield sent
            sent = waiting.popleft()
        if answer is None:
            yield from _parsed_here(sent)
        else:
            yield from map(_with_parse, sent, answer)
    for piece in waiting:
        assert isinstance(piece, _Read), "every batch was answered"
        yield piece


def _parse_sent(batch: list[tuple[int, str]]) -> list[Parsed]:
    """In a worker: the documents of ``batch``, parsed."""
    strings: dict[str, str] = {}
    return [parse_document(first_line, doc, strings) for first_line, doc in batch]


# An escaped UTF-16 surrogate (\ud800, \U0000DC00): the only way a string can come out of
# the decoders holding half a surrogate pair.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    r"""``value`` with each unpaired surrogate replaced by U+FFFD, as Go's decoders (and so the
    API server) read ``"\ud800"``; a surrogate cannot be written as UTF-8 otherwise."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            without_lone_surrogates(key): without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def file_location(file: str, line: int | None) -> SourceRef:
    """A place in a file that is not (or not yet) an object, for notifications."""
    return SourceRef(api_version="", kind="", namespace=None, name=None, file=file, line=line)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _alias_problem(value: object) -> str | None:
    """Refuse documents whose YAML aliases would expand past :data:`MAX_ALIAS_EXPANSION`.

    Aliases load as shared references, so loading is cheap; walking them (as every later stage
    does) is what explodes. Compare the expanded size (memoised per container, so this walk is
    linear in the distinct nodes) with the number of nodes actually present.
    """
    expanded: dict[int, int] = {}
    present = 0
    stack: list[tuple[dict[Any, Any] | list[Any], bool]] = []
    if isinstance(value, (dict, list)):
        stack.append((value, False))
    while stack:
        node, finished = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        if finished:
            total = 1 + sum(
                expanded.get(id(c), 0) if isinstance(c, (dict, list)) else 1 for c in children
            )
            expanded[id(node)] = total
            if total - present > MAX_ALIAS_EXPANSION:
                return (
                    "YAML aliases expand too far (possible alias bomb); remove anchors and aliases"
                )
            continue
        if id(node) in expanded:
            continue
        expanded[id(node)] = 0  # being visited: a cycle reads 0 and cannot grow
        present += 1
        stack.append((node, True))
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, False))
            else:
                present += 1
    return None


def _accept(value: object, origin: Origin, report: Report, result: LoadResult) -> None:
    if not isinstance(value, dict):
        report.info(
            "input-not-kubernetes",
            "skipped a document that is not a mapping",
            source=file_location(origin.file, origin.line),
        )
        return
    kind = value.get("kind")
    api_version = value.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
        report.info(
            "input-not-kubernetes",
            "skipped a document without apiVersion and kind",
            source=file_location(origin.file, origin.line),
        )
        return
    items = value.get("items")
    if kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            _accept(item, Origin(origin.file, origin.line, origin.document, index), report, result)
        return
    problem = why_impossible(value)
    if problem is not None:
        result.errors += 1
        message = f"{kind} {problem}; it is skipped"
        report.error("input-invalid", message, source=file_location(origin.file, origin.line))
        return
    result.objects.append(KubeObject(value, origin))
