"""Reading manifests: files, directories, stdin; YAML streams, JSON, and ``kind: List``.

Input is untrusted, and one bad piece of it never sinks the rest. Each document is parsed on
its own so that one bad document is reported (file and line) while the others still convert;
a file that cannot be read (missing, unreadable, deleted while read, not a regular file or
pipe) is one error for that file, and the other files are read. YAML anchors may not expand
beyond a small bound (billion laughs); nesting is bounded by the project's own limit
(:data:`~ingress2gateway.objects.MAX_NESTING`), the same on every Python, whatever the
decoders' own limits; duplicate keys are refused in JSON as in YAML, as kubectl does.

Files are UTF-8, or UTF-16 with a byte-order mark (as kubectl reads them); a document holding
bytes that are not UTF-8 is refused alone, the other documents of its file are read.

YAML parsing is the slow part (PyYAML's C loader: ~3.5 s for 10k Ingresses, against 0.3 s for
the same as JSON). :func:`read_inputs` takes the way the documents are parsed (``parse``), so
that :mod:`ingress2gateway.scaling.reading` can have worker processes parse them while this
process reads on; what is read is the same.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import yaml

from ingress2gateway.errors import InputProblem, ManifestError
from ingress2gateway.objects import (
    DOCUMENTS_GROUP,
    MAX_NESTING,
    OPENAPI_DOCUMENT_KIND,
    KubeObject,
    Origin,
    SourceRef,
    nesting_problem,
    too_deep,
    why_impossible,
)
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.scaling.gc_pause import gc_paused

# Kubernetes manifests never need aliases to expand much; a document whose aliases add more
# than this many nodes is refused (a 432-byte "billion laughs" expands to 387 M nodes).
MAX_ALIAS_EXPANSION = 10_000
MAX_FILE_BYTES = 1 << 30
INPUT_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?\Z")
_DOC_END = re.compile(r"^\.\.\.(?:[ \t].*)?\Z")


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
                        None, None, duplicate_key_message(key_node.value, hint), key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    digits = sum(ch.isalnum() for ch in text)  # 0x, 0o, _ separators: close enough for a bound
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, too_many_digits(digits), node.start_mark
        )
    return loader.construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def duplicate_key_message(key: str, hint: str = " (which value was meant?)") -> str:
    return f"key {key!r} appears twice in one mapping; kubectl refuses this{hint}"


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
    document_names: set[str] = field(default_factory=set)
    """The names given to API description documents so far (each is given a new one)."""


def load_manifests(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    report: Recorder | None = None,
    stdin: BinaryIO | None = None,
) -> list[KubeObject]:
    """Every object in ``paths``: a file, a directory (read recursively), ``-`` for stdin, or
    a list of them.

    With ``report``, what cannot be read (a missing file, a broken document, ...) becomes an
    error notification there, naming the file and line, and the rest is returned. Without it,
    such problems raise :class:`~ingress2gateway.errors.ManifestError` once everything was
    read: its ``problems`` say what and where, its ``objects`` hold what could be read.
    """
    given = Recorder() if report is None else report
    loaded = read_inputs(paths, report=given, stdin=stdin)
    if report is None and loaded.errors:
        problems = [
            InputProblem(n.source.file or "", n.source.line, n.message)
            for n in given.notifications
            if n.code == "input-invalid" and n.source is not None
        ]
        raise ManifestError(problems, loaded.objects)
    return loaded.objects


def read_inputs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    report: Recorder,
    stdin: BinaryIO | None = None,
    parse: Parse | None = None,
) -> LoadResult:
    """Every object from ``paths``, in order. ``parse`` parses the YAML documents (default:
    :func:`parsed_here`; see :data:`Parse`)."""
    result = LoadResult()
    with gc_paused():
        pieces = _pieces(_iter_sources(_path_list(paths), stdin))
        reads = (parse or parsed_here)(pieces)
        for read in reads:
            if read.problem is not None:
                result.errors += 1
                source = file_location(read.file, read.line)
                report.error("input-invalid", read.problem, source=source)
            elif read.value is not None or not read.yaml:
                origin = Origin(read.file, read.line, read.document)
                _accept(read, origin, report, result)
    return result


def _path_list(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[str]:
    """``paths`` as a list of names: one path alone (a string is not a list of one-letter
    paths)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        return [os.fsdecode(paths)]
    return [os.fsdecode(path) for path in paths]


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The files ``paths`` name: files named directly, then the input files found under
    directories (recursive, sorted). What cannot be found or listed is left out here (the
    reader reports it)."""
    return [name for name, problem in _expanded(_path_list(paths)) if problem is None]


def _expanded(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(file, None) for each file to read, or (path, problem) for a path that cannot be."""
    for text in paths:
        if text == STDIN:
            yield STDIN, None
            continue
        try:
            mode = os.stat(text).st_mode
        except OSError as exc:
            yield text, _path_problem(exc)
            continue
        if stat.S_ISDIR(mode):
            yield from _walked(text)
        else:
            yield text, None


def _walked(top: str) -> Iterator[tuple[str, str | None]]:
    """The input files under directory ``top``, sorted as paths; hidden files and folders are
    skipped, symbolic links to folders are not followed (no loops), and anything that is not
    a regular file (a FIFO, a device) is left alone. A folder that cannot be listed is one
    problem; one that vanished while listed is nothing."""
    found: list[Path] = []
    problems: list[tuple[str, str]] = []

    def listing_failed(exc: OSError) -> None:
        if exc.errno != errno.ENOENT:
            problems.append((exc.filename or top, _path_problem(exc)))

    for folder, subfolders, files in os.walk(top, onerror=listing_failed):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if name.startswith(".") or not name.lower().endswith(INPUT_SUFFIXES):
                continue
            file = os.path.join(folder, name)
            if os.path.isfile(file):  # follows a link to a file; False for FIFOs and devices
                found.append(Path(file))
    yield from problems
    for path in sorted(found):
        yield str(path), None


def _path_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file or directory; check the --input-file path"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; make it readable or leave it out"
    return f"cannot read: {exc.strerror or exc}"


class _Source(NamedTuple):
    """A file's bytes, or why they could not be read."""

    name: str
    data: bytes | None
    problem: str | None = None


def _iter_sources(paths: list[str], stdin: BinaryIO | None) -> Iterator[_Source]:
    for name, problem in _expanded(paths):
        if problem is not None:
            yield _Source(name, None, problem)
            continue
        try:
            if name == STDIN:
                stream = stdin if stdin is not None else sys.stdin.buffer
                data = stream.read(MAX_FILE_BYTES + 1)
            else:
                data = _file_bytes(name)
        except OSError as exc:
            yield _Source(name, None, _path_problem(exc))
        else:
            yield _Source(name, data)
            del data  # the reader drops it once decoded


def _file_bytes(name: str) -> bytes:
    """The bytes of file ``name`` (a regular file or a pipe), at most one more than
    :data:`MAX_FILE_BYTES`; anything else (a device, a socket) raises an OSError that says so."""
    with open(name, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise OSError(errno.EINVAL, "not a regular file or a pipe")
        return handle.read(MAX_FILE_BYTES + 1)


class DocumentRead(NamedTuple):
    """A document read (``value``), or what is wrong with it or its file (``problem``)."""

    file: str
    line: int
    document: int
    value: Any
    problem: str | None = None
    yaml: bool = False
    """From YAML, where an empty document (``value`` None) is no document at all."""
    nesting_checked: bool = False
    """``value`` is known to nest no deeper than the limit (checked while parsing)."""
    text: str = ""
    """The text the value was parsed from, to find the line of a List's item when needed."""
    start: int = 0
    """YAML: the line ``text`` starts on; JSON: where in ``text`` the value starts."""


class Unparsed(NamedTuple):
    """A YAML document split from its file, not yet parsed."""

    file: str
    document: int
    first_line: int
    text: str


Parse = Callable[[Iterator[DocumentRead | Unparsed]], Iterator[DocumentRead]]
"""Parses the YAML documents among what was read, and gives back everything in the same
order (as :func:`parsed_here` does: with :func:`parse_document` and :func:`with_parse`)."""


def _pieces(sources: Iterable[_Source]) -> Iterator[DocumentRead | Unparsed]:
    """The documents of each source in order: JSON parsed, YAML split but not yet parsed."""
    for name, data, problem in sources:
        if data is None:
            yield DocumentRead(name, 0, 0, None, problem)
            continue
        text, (line, problem) = _text_of(data)
        del data  # the text is what is read now (a file may hold 1 GiB)
        if text is None:
            yield DocumentRead(name, line, 0, None, problem)
        elif text.lstrip().startswith(("{", "[")):
            yield from _read_json(name, text)
        else:
            undecoded = _UNDECODED.search(text) is not None
            for index, (first_line, doc) in enumerate(split_documents(text)):
                bad = _UNDECODED.search(doc) if undecoded else None
                if bad is not None:
                    at = first_line + doc.count("\n", 0, bad.start())
                    yield DocumentRead(name, at, index, None, _not_utf8(bad.group()))
                else:
                    yield Unparsed(name, index, first_line, doc)


# Bytes that are not UTF-8 decode to these (the "surrogateescape" error handler), which no
# decoded text holds otherwise: a document that has one is refused, the others are read.
_UNDECODED = re.compile("[\udc80-\udcff]")


def _not_utf8(char: str) -> str:
    byte = ord(char) - 0xDC00
    return f"not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8"


# Byte-order marks kubectl reads (UTF-8, UTF-16 little and big endian), longest first.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _text_of(data: bytes) -> tuple[str | None, tuple[int, str]]:
    """A file's text, or None and (line, problem) when it is not text. Bytes that are not
    UTF-8 are kept as :data:`_UNDECODED` characters, for the documents that hold them to be
    refused alone."""
    if len(data) > MAX_FILE_BYTES:
        return None, (1, f"input is larger than {MAX_FILE_BYTES >> 20} MiB")
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    if encoding != "utf-8":
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            return None, (
                1,
                f"not {encoding.upper()} text as its byte-order mark says ({exc.reason})",
            )
        if "\x00" in text[:8192]:
            return None, (1, "binary file, not YAML or JSON")
        return text, (0, "")
    if b"\x00" in data[:8192]:
        return None, (1, "binary file, not YAML or JSON")
    try:
        return data.decode("utf-8"), (0, "")
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), (0, "")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refusing_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice, as the YAML loader does
    (the JSON decoder alone keeps the last value silently)."""
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return mapping


MAX_INT_DIGITS = 4300
"""Integers longer than this are refused, as CPython refuses to convert them since 3.10.7/3.11
(``sys.get_int_max_str_digits``): the project's own bound, the same on every Python."""


class _TooManyDigits(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def too_many_digits(digits: int) -> str:
    return (
        f"a number has {digits} digits (at most {MAX_INT_DIGITS} are read: no Kubernetes field "
        "takes such a number; quote it if it is text)"
    )


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _TooManyDigits(digits)
    return int(text)


_JSON = json.JSONDecoder(object_pairs_hook=_refusing_duplicates, parse_int=_json_int)
_JSON_LENIENT = json.JSONDecoder(parse_int=str)
"""Only to find where a value refused (a duplicate key, a huge number) ends, to read on."""


def _read_json(name: str, text: str) -> Iterator[DocumentRead]:
    pos = 0
    index = 0
    length = len(text)
    line, counted = 1, 0  # lines are counted incrementally: a stream may hold 100k objects
    escapes = _SURROGATE_ESCAPE.search(text) is not None
    undecoded = _UNDECODED.search(text) is not None
    while True:
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, end = _JSON.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield DocumentRead(name, exc.lineno, index, None, f"invalid JSON: {exc.msg}")
            return
        except RecursionError:
            yield DocumentRead(name, line, index, None, too_deep())
            return
        except _DuplicateKey as exc:
            yield DocumentRead(
                name, line, index, None, f"invalid JSON: {duplicate_key_message(exc.key)}"
            )
            _, end = _JSON_LENIENT.raw_decode(text, pos)  # read on after this value
        except _TooManyDigits as exc:
            yield DocumentRead(
                name, line, index, None, f"invalid JSON: {too_many_digits(exc.digits)}"
            )
            _, end = _JSON_LENIENT.raw_decode(text, pos)
        else:
            bad = _UNDECODED.search(text, pos, end) if undecoded else None
            if bad is not None:
                at = line + text.count("\n", pos, bad.start())
                yield DocumentRead(name, at, index, None, _not_utf8(bad.group()))
            else:
                if escapes:
                    value = without_lone_surrogates(value)
                yield DocumentRead(name, line, index, value, text=text, start=pos)
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
        if _SEPARATOR.fullmatch(bare) or _DOC_END.fullmatch(bare):
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


class Parsed(NamedTuple):
    """A YAML document parsed: its line and value, or the line of its problem and the problem."""

    line: int
    value: Any
    problem: str | None
    nesting_checked: bool = True
    """False when the value is a List nested too deeply somewhere: its items are checked one
    by one (the others are read)."""


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
        return Parsed(where, None, f"invalid YAML: {exc.problem or exc.context or 'invalid YAML'}")
    except (yaml.YAMLError, RecursionError) as exc:
        return Parsed(line, None, f"invalid YAML: {_one_line(exc)}")
    finally:
        loader.dispose()
    if value is None:
        return Parsed(line, None, None)
    expanded, height = _shape(value)
    if expanded > MAX_ALIAS_EXPANSION:
        return Parsed(
            line,
            None,
            "YAML aliases expand too far (possible alias bomb); remove anchors and aliases",
        )
    too_deep_here = height > MAX_NESTING
    if too_deep_here and not _is_list(value):
        return Parsed(line, None, too_deep())
    if _SURROGATE_ESCAPE.search(doc):
        value = without_lone_surrogates(value)
    return Parsed(line, value, None, nesting_checked=not too_deep_here)


def _is_list(value: object) -> bool:
    """A ``kind: …List`` document with ``items``, whose items are objects of their own."""
    if not isinstance(value, dict):
        return False
    kind = value.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list)


def parsed_here(pieces: Iterable[DocumentRead | Unparsed]) -> Iterator[DocumentRead]:
    """``pieces`` in order, their YAML documents parsed in this process, with equal strings
    shared by every :data:`PARSE_BATCH_CHARS` of text, as in a worker's batch."""
    strings: dict[str, str] = {}
    size = 0
    for piece in pieces:
        if isinstance(piece, DocumentRead):
            yield piece
            continue
        if size >= PARSE_BATCH_CHARS:
            strings, size = {}, 0  # the strings of a batch only: a memo of all of them would
            # hold every unique name and host of a large input
        size += len(piece.text)
        yield with_parse(piece, parse_document(piece.first_line, piece.text, strings))


def with_parse(doc: Unparsed, parsed: Parsed) -> DocumentRead:
    line, value, problem, checked = parsed
    return DocumentRead(
        doc.file,
        line,
        doc.document,
        value,
        problem,
        yaml=True,
        nesting_checked=checked,
        text=doc.text,
        start=doc.first_line,
    )


PARSE_BATCH_CHARS = 64 * 1024
"""YAML text per batch of documents whose equal strings are shared (and per batch sent to a
worker, see :mod:`ingress2gateway.scaling.reading`: about 40 Ingresses)."""


# An escaped UTF-16 surrogate (\ud800, \U0000DC00): the only way a string can come out of
# the decoders holding half a surrogate pair.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    r"""``value`` with each unpaired surrogate replaced by U+FFFD, as Go's decoders (and so the
    API server) read ``"\ud800"``; a surrogate cannot be written as UTF-8 otherwise.

    Mappings and lists are changed in place (the value was just parsed), walked without
    recursion: this runs before the nesting of the value is known to be bounded.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    pending: list[Any] = [value]
    seen: set[int] = set()  # YAML aliases share containers: each is mended once
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = _LONE_SURROGATE.sub("\ufffd", item)
                elif isinstance(item, (list, dict)):
                    pending.append(item)
        elif isinstance(node, dict):
            entries = list(node.items())
            node.clear()  # keys may change too; the order stays
            for key, item in entries:
                if isinstance(item, str):
                    item = _LONE_SURROGATE.sub("\ufffd", item)
                elif isinstance(item, (list, dict)):
                    pending.append(item)
                node[_LONE_SURROGATE.sub("\ufffd", key) if isinstance(key, str) else key] = item
    return value


def file_location(file: str, line: int | None) -> SourceRef:
    """A place in a file that is not (or not yet) an object, for notifications."""
    return SourceRef(api_version="", kind="", namespace=None, name=None, file=file, line=line)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _shape(value: object) -> tuple[int, int]:
    """How many nodes YAML aliases add to ``value`` (0 without aliases), and how deeply it
    nests (a scalar: 0; a mapping of scalars: 1), walked without recursion.

    Aliases load as shared references, so loading is cheap; walking them (as every later stage
    does) is what explodes. Both figures are computed bottom-up and memoised per container, so
    this walk is linear in the distinct nodes, however far the aliases expand.
    """
    expanded: dict[int, int] = {}
    heights: dict[int, int] = {}
    present = 0
    stack: list[tuple[dict[Any, Any] | list[Any], bool]] = []
    if isinstance(value, (dict, list)):
        stack.append((value, False))
    while stack:
        node, finished = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        if finished:
            total, height = 1, 0
            for child in children:
                if isinstance(child, (dict, list)):
                    total += expanded.get(id(child), 0)
                    height = max(height, heights.get(id(child), 0))
                else:
                    total += 1
            expanded[id(node)] = total
            heights[id(node)] = height + 1
            if total - present > MAX_ALIAS_EXPANSION:
                return total - present, heights[id(node)]  # no need to walk on
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
    if not isinstance(value, (dict, list)):
        return 0, 0
    return max(0, expanded[id(value)] - present), heights[id(value)]


def _accept(read: DocumentRead, origin: Origin, report: Recorder, result: LoadResult) -> None:
    """The objects of a document read: the document itself, or the items of a List (each on
    its own: a bad item is an error that names it, and the others are read)."""
    value = read.value
    if _is_list(value):
        lines = _ItemLines(read)
        for index, item in enumerate(value["items"]):
            item_origin = Origin(origin.file, origin.line, origin.document, index)
            _accept_object(item, item_origin, read.nesting_checked, report, result, lines)
        return
    _accept_object(value, origin, read.nesting_checked, report, result, None)


def _accept_object(
    value: object,
    origin: Origin,
    nesting_checked: bool,
    report: Recorder,
    result: LoadResult,
    lines: _ItemLines | None,
) -> None:
    item = origin.item

    def where() -> SourceRef:
        line = lines.line(item) if lines is not None and item is not None else None
        return file_location(origin.file, line or origin.line)

    what = f"items[{item}]" if item is not None else "a document"
    problem = None if nesting_checked else nesting_problem(value)
    if problem is not None and not isinstance(value, dict):
        # Before "not a mapping": whether a deep list decodes depends on the Python's JSON
        # decoder (a RecursionError on 3.11, a list on 3.13); the verdict must not.
        result.errors += 1
        report.error("input-invalid", f"{what} {problem}; it is skipped", source=where())
        return
    if not isinstance(value, dict):
        report.info("input-not-kubernetes", f"skipped {what}: not a mapping", source=where())
        return
    if item is None and _is_api_description(value):
        if problem is not None:
            result.errors += 1
            report.error("input-invalid", f"an OpenAPI document {problem}", source=where())
            return
        _accept_api_description(value, origin, report, result)
        return
    kind = value.get("kind")
    api_version = value.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str) or not kind:
        message = f"skipped {what} without apiVersion and kind"
        report.info("input-not-kubernetes", message, source=where())
        return
    if problem is None:
        problem = why_impossible(value)
    if problem is not None:
        result.errors += 1
        prefix = f"items[{item}]: " if item is not None else ""
        report.error("input-invalid", f"{prefix}{kind} {problem}; it is skipped", source=where())
        return
    result.objects.append(KubeObject(value, origin, well_formed=True))


# --- API descriptions: documents that are not Kubernetes objects ------------------------------

OPENAPI_API_VERSION = f"{DOCUMENTS_GROUP}/v1"
_NAME_LIMIT = 63
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def _is_api_description(value: dict[Any, Any]) -> bool:
    """An OpenAPI 3 document (top-level ``openapi``) or a Swagger 2 one (``swagger``), which
    has neither ``apiVersion`` nor ``kind`` (a Kubernetes object with an ``openapi`` key is
    still a Kubernetes object)."""
    if "apiVersion" in value or "kind" in value:
        return False
    return "openapi" in value or "swagger" in value


def _accept_api_description(
    value: dict[Any, Any], origin: Origin, report: Recorder, result: LoadResult
) -> None:
    """The document as an ``OpenAPIDocument`` of the documents group: its own fields stay at
    the top (so ``paths[/pets].get`` is found on its line), with a name from ``info.title``
    (else the file's name), unique among the documents read."""
    where = file_location(origin.file, origin.line)
    if "metadata" in value:
        # Not an OpenAPI field (the OAS allows only x- extensions besides its own), and the
        # name must go there: refused as the Go tool's loader refuses unknown fields.
        result.errors += 1
        message = "an OpenAPI document has no top-level 'metadata' field; it is skipped"
        report.error("input-invalid", message, source=where)
        return
    name = _unique(_document_name(value, origin.file), result.document_names)
    data: dict[Any, Any] = {
        "apiVersion": OPENAPI_API_VERSION,
        "kind": OPENAPI_DOCUMENT_KIND,
        "metadata": {"name": name},
    }
    data.update(value)
    result.objects.append(KubeObject(data, origin, well_formed=True))


def _document_name(value: dict[Any, Any], file: str) -> str:
    info = value.get("info")
    title = info.get("title") if isinstance(info, dict) else None
    for text in (title, os.path.splitext(os.path.basename(file))[0] if file != STDIN else ""):
        if isinstance(text, str):
            name = _NOT_NAME.sub("-", text.lower()).strip("-")[:_NAME_LIMIT].rstrip("-")
            if name:
                return name
    return "openapi"


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when a document read before has it."""
    chosen, counter = name, 1
    while chosen in taken:
        counter += 1
        suffix = f"-{counter}"
        chosen = name[: _NAME_LIMIT - len(suffix)].rstrip("-") + suffix
    taken.add(chosen)
    return chosen


class _ItemLines:
    """The line each item of a List document starts on, found only when an item needs one
    (an error or a notice about it): the fast decoders keep no positions."""

    def __init__(self, read: DocumentRead) -> None:
        self.read = read
        self.lines: list[int] | None = None

    def line(self, index: int) -> int | None:
        if self.lines is None:
            read = self.read
            self.lines = (
                _yaml_item_lines(read.text, read.start)
                if read.yaml
                else _json_item_lines(read.text, read.start)
            )
        return self.lines[index] if index < len(self.lines) else None


def _yaml_item_lines(doc: str, first_line: int) -> list[int]:
    try:
        root = yaml.compose(doc, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, node in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "items"
            and isinstance(node, yaml.SequenceNode)
        ):
            return [first_line + item.start_mark.line for item in node.value]
    return []


# A JSON string, or one of the characters that shape a JSON text.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]', re.DOTALL)


def _json_item_lines(text: str, start: int) -> list[int]:
    """The lines of the elements of the ``items`` array of the JSON object at ``start``."""
    depth = 0  # containers open
    key: str | None = None  # the last key read in the outer object
    expecting_key = False
    in_items = False
    starts: list[int] = []  # where each element begins (after '[' or ',')
    for token in _JSON_TOKEN.finditer(text, start):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth == 2 and char == "[" and key == "items":
                in_items = True
                starts.append(token.end())
            expecting_key = char == "{"
        elif char in "]}":
            depth -= 1
            if depth <= 1 and in_items:
                break
        elif char == ",":
            if depth == 2 and in_items:
                starts.append(token.end())
            expecting_key = depth == 1
        elif char == ":":
            expecting_key = False
        elif depth == 1 and expecting_key:
            key = json.loads(token.group())
    positions = [_skip_space(text, at) for at in starts]
    if positions and positions[-1] < len(text) and text[positions[-1]] == "]":
        positions.pop()  # an empty array: no element after its '['
    return [_line_at(text, at) for at in positions]


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
