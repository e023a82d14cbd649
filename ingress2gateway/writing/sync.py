"""``diff --write``: bring committed manifests in line with the generated objects, and destroy
nothing else.

A document belongs to the tool when it carries the generator annotation
(``gateway.networking.k8s.io/generator: ingress2gateway-…``, which the Go tool writes too), or
when it is a Gateway API object the tool generates under the same kind, namespace and name
(a copy whose annotation was stripped). When a file is rewritten:

* the tool's documents are updated in place (comments inside them are kept where the field
  they sit at is still generated: ruamel.yaml round-trip), removed when no longer generated,
  and new objects are added at the end;
* every other Kubernetes object (a Deployment, a ConfigMap) is kept byte for byte, and so are
  comments outside documents (a header, notes between documents) and ``---`` lines;
* the file is refused, and nothing at all is written, when it is one of the inputs or lies in an
  input directory, holds something that is not a Kubernetes object (a ``values.yaml``, a
  README), holds a Gateway API object the tool does not generate (removing it would lose it),
  or holds objects but none of the tool's (it is someone else's file).

JSON files hold no comments: one that holds only the tool's objects is rewritten as a ``v1
List`` (as ``print -o json`` writes); anything else in it is refused.

Before anything is written, each new text is read back the way ``diff`` reads it and compared
with what it must hold (the generated objects, the other objects unchanged), so a second ``diff``
finds nothing. Each file is written atomically (:mod:`ingress2gateway.writing.atomic`).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingress2gateway.cli.check import is_output_kind
from ingress2gateway.cli.diff import Key, object_key
from ingress2gateway.emitters.gatewayapi import GENERATOR_ANNOTATION
from ingress2gateway.errors import I2GError
from ingress2gateway.objects import JSONDict
from ingress2gateway.reading.manifests import MAX_FILE_BYTES, parse_document
from ingress2gateway.writing.formats import dump, encode

GENERATOR_PREFIX = "ingress2gateway-"
"""How the generator annotation's value starts (``ingress2gateway-<version>``)."""


class Refused(I2GError):
    """``--write`` would destroy something; nothing was written. Exit 2: ``diff``'s 1 means
    "differs"."""

    exit_code = 2


@dataclass
class FilePlan:
    """What writing one file means: its new text, and the tool's objects it drops."""

    path: Path
    text: str
    removed: list[Key] = field(default_factory=list)
    changed: bool = True
    delete: bool = False
    """Every document in it is the tool's and none is generated now: the file goes."""


@dataclass
class Inputs:
    """What this run read: files (by device and inode, so that a link to one counts) and
    directories (anything under one would be read next time)."""

    files: set[tuple[int, int]]
    directories: list[Path]

    @classmethod
    def of(cls, paths: Iterable[str]) -> Inputs:
        from ingress2gateway.reading.manifests import STDIN, expand_paths

        given = [p for p in paths if p != STDIN]
        files = set()
        for name in expand_paths(given):
            if name != STDIN:
                found = os.stat(name)
                files.add((found.st_dev, found.st_ino))
        directories = [Path(os.path.realpath(p)) for p in given if os.path.isdir(p)]
        return cls(files, directories)

    def refuse_if_read(self, path: Path) -> None:
        try:
            found = os.stat(path)
        except OSError:
            found = None
        if found is not None and (found.st_dev, found.st_ino) in self.files:
            raise Refused(
                f"{path}: is an input of this run (-f); --write never rewrites its own input: "
                "give --against another file"
            )
        real = Path(os.path.realpath(path))
        for directory in self.directories:
            if real == directory or real.is_relative_to(directory):
                raise Refused(
                    f"{path}: lies in the input directory {directory} (-f); --write never writes "
                    "where this run reads: give --against a path outside it"
                )


def plan_file(path: Path, objects: Sequence[JSONDict], differing: Iterable[Key]) -> FilePlan:
    """How ``path`` comes to hold ``objects`` as the tool's, or :class:`Refused`. The tool's
    documents whose key is not in ``differing`` (what ``diff`` found the same) are kept as
    they are."""
    if not path.exists():
        form = "json" if path.suffix.lower() == ".json" else "yaml"
        return FilePlan(path, dump(objects, form))
    old = _read(path)
    if old.lstrip().startswith(("{", "[")):
        return _plan_json(path, old, objects)
    return _YamlFile(path, old).plan(objects, set(differing))


def plan_prune(path: Path, keep_foreign: bool = False) -> FilePlan | None:
    """How ``path`` loses the tool's documents (none of which is generated now): deleted when
    every document in it is the tool's (the generator annotation on each), rewritten without
    them when it holds something else as well, None when it holds none of the tool's.

    ``keep_foreign``: a Gateway API object the tool did not generate stays where it is
    (``print --prune``); without it, the file is refused (``diff --write``: the object would
    show in every ``diff``, and deleting it would lose it). Anything else that stops an edit
    (not UTF-8, a document that is not a Kubernetes object, a List mixing the tool's objects
    with others) is :class:`Refused`."""
    old = _read(path)
    if old.lstrip().startswith(("{", "[")):
        return _prune_json(path, old, keep_foreign)
    document = _YamlFile(path, old)
    roles, foreign = document.roles(_Classifier(path, (), keep_foreign))
    removed = [key for keys in roles if keys for key in keys]
    if not removed:
        return None
    if not foreign:
        return FilePlan(path, "", removed, delete=True)
    return document.plan((), set(), keep_foreign)


def _prune_json(path: Path, old: str, keep_foreign: bool) -> FilePlan | None:
    try:
        value = json.loads(old)
    except (ValueError, RecursionError):
        raise Refused(f"{path}: is not valid JSON; --write does not edit it") from None
    classify = _Classifier(path, (), keep_foreign)
    listed = _items(value) if _is_object(value) else None
    members = listed if listed is not None else [value]
    ours = [item for item in members if classify.is_ours(item, 1)]
    if not ours:
        return None
    if len(ours) != len(members):
        raise Refused(
            f"{path}: a JSON file is rewritten whole, and this one holds objects ingress2gateway "
            "did not generate besides its own: remove them yourself"
        )
    return FilePlan(path, "", [object_key(item) for item in ours], delete=True)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Refused(f"{path}: is larger than {MAX_FILE_BYTES >> 20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise Refused(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(f"{path}: is not UTF-8 text; --write does not edit it") from None


def is_generated(obj: JSONDict) -> bool:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    value = annotations.get(GENERATOR_ANNOTATION) if isinstance(annotations, dict) else None
    return isinstance(value, str) and value.startswith(GENERATOR_PREFIX)


def _is_object(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("apiVersion"), str)
        and isinstance(value.get("kind"), str)
        and bool(value.get("kind"))
    )


def _items(value: JSONDict) -> list[Any] | None:
    items = value.get("items")
    return items if str(value["kind"]).endswith("List") and isinstance(items, list) else None


class _Classifier:
    """Says whose each object of a file is: the tool's (``True``), someone else's that may stay
    (``False``), or refuses the file."""

    def __init__(self, path: Path, generated: Iterable[Key], keep_foreign: bool = False) -> None:
        self.path = path
        self.generated = set(generated)
        self.keep_foreign = keep_foreign
        """A Gateway API object the tool does not generate stays (pruning), instead of
        refusing the file (``--write``, which must leave nothing ``diff`` would show)."""

    def is_ours(self, value: Any, line: int) -> bool:
        where = f"{self.path}:{line}"
        if not _is_object(value):
            raise Refused(
                f"{where}: holds a document that is not a Kubernetes object; --write only edits "
                "files of Kubernetes manifests: give --against another file"
            )
        if is_generated(value) or object_key(value) in self.generated:
            return True
        key = object_key(value)
        if is_output_kind(key[0], key[1]) and not self.keep_foreign:
            _, kind, namespace, name = key
            raise Refused(
                f"{where}: {kind} {f'{namespace}/' if namespace else ''}{name} was not generated "
                "by ingress2gateway (no gateway.networking.k8s.io/generator annotation) and is "
                "not generated now; --write would delete it: move it to another file"
            )
        return False


def _refuse_foreign_only(path: Path) -> Refused:
    return Refused(
        f"{path}: holds no object generated by ingress2gateway; --write only edits files it "
        "wrote: give --against another file"
    )


def _plan_json(path: Path, old: str, objects: Sequence[JSONDict]) -> FilePlan:
    try:
        value = json.loads(old)
    except (ValueError, RecursionError):
        raise Refused(f"{path}: is not valid JSON; --write does not edit it") from None
    classify = _Classifier(path, map(object_key, objects))
    listed = _items(value) if _is_object(value) else None
    members = listed if listed is not None else [value]
    ours = [item for item in members if classify.is_ours(item, 1)]
    if len(ours) != len(members):
        raise Refused(
            f"{path}: a JSON file is rewritten whole, and this one holds objects ingress2gateway "
            "did not generate: give --against another file"
        )
    new = {object_key(o) for o in objects}
    removed = [object_key(item) for item in ours if object_key(item) not in new]
    if listed is None and len(objects) == 1:  # one object, as print -o json --output-dir writes
        return FilePlan(path, encode(objects[0], "json"), removed)
    return FilePlan(path, dump(objects, "json"), removed)


# A "---" or "..." line (and its line break): kept as it is, as the reader splits on it.
_MARKER_LINE = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)[^\n]*(?:\n|\Z)", re.MULTILINE)
_OTHER_LINE_BREAK = re.compile("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|\r(?!\n)")
_OUTSIDE = re.compile(r"[ \t]*(?:#.*|%.*)?\r?\n?")
"""A line that is outside any document's content: blank, a comment or a directive."""


@dataclass
class _Chunk:
    separator: str
    """The ``---`` line that opens it ("" for the text before the first)."""
    body: str
    line: int
    value: Any = None


class _YamlFile:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.text = text[len(self.bom) :]
        self.newline = "\r\n" if "\r\n" in self.text else "\n"
        if _OTHER_LINE_BREAK.search(self.text):
            raise Refused(
                f"{path}: has line breaks other than LF and CRLF; --write does not edit it"
            )
        self.chunks = list(self._split())

    def _split(self) -> Iterable[_Chunk]:
        start, separator, line = 0, "", 1
        for marker in _MARKER_LINE.finditer(self.text):
            body = self.text[start : marker.start()]
            yield _Chunk(separator, body, line)
            line += body.count("\n") + marker.group().count("\n")
            separator, start = marker.group(), marker.end()
        yield _Chunk(separator, self.text[start:], line)

    def roles(self, classify: _Classifier) -> tuple[list[list[Key] | None], list[Any]]:
        """The tool's keys in each chunk (None: empty, or not the tool's), and the values of
        the chunks that are not the tool's."""
        roles: list[list[Key] | None] = []
        foreign: list[Any] = []
        for chunk in self.chunks:
            parsed = parse_document(chunk.line, chunk.body)
            line, chunk.value, problem = parsed.line, parsed.value, parsed.problem
            if problem is not None:
                raise Refused(f"{self.path}:{line}: {problem}; --write does not edit it")
            if chunk.value is None:
                roles.append(None)
                continue
            listed = _items(chunk.value) if _is_object(chunk.value) else None
            members = listed if listed is not None else [chunk.value]
            ours = [classify.is_ours(member, line) for member in members]
            if any(ours) and not all(ours):
                raise Refused(
                    f"{self.path}:{line}: a List holding objects ingress2gateway generated and "
                    "others; --write does not edit it: split it into documents"
                )
            if all(ours):
                roles.append([object_key(member) for member in members])
            else:
                roles.append(None)
                foreign.append(chunk.value)
        return roles, foreign

    def plan(
        self, objects: Sequence[JSONDict], differing: set[Key], keep_foreign: bool = False
    ) -> FilePlan:
        new = {object_key(o): o for o in objects}
        roles, foreign = self.roles(_Classifier(self.path, new, keep_foreign))
        if foreign and not any(roles):
            raise _refuse_foreign_only(self.path)
        pieces: list[str] = []
        expected: list[Any] = []  # the tool's objects the new text must hold
        placed: set[Key] = set()
        removed: list[Key] = []
        for chunk, keys in zip(self.chunks, roles, strict=True):
            if keys is None:
                pieces.append(chunk.separator + chunk.body)
                continue
            removed.extend(key for key in keys if key not in new)
            kept = [key for key in keys if key in new and key not in placed]
            placed.update(kept)
            if kept == keys and not differing.intersection(keys):
                # What diff finds the same (the generator's version aside) stays as it is.
                pieces.append(chunk.separator + chunk.body)
                listed = _items(chunk.value)
                expected.extend(listed if listed is not None else [chunk.value])
                continue
            expected.extend(new[key] for key in kept)
            lead, core, trail = _outside_lines(chunk)
            if len(keys) == 1 and kept and _items(chunk.value) is None:
                body = lead + self._edited(core, new[kept[0]]) + trail
            else:  # a List, or a document no longer generated: its comments stay
                separator = "---" + self.newline
                body = lead + separator.join(self._fresh(new[key]) for key in kept) + trail
            if body.strip() or chunk.separator == "":
                pieces.append(chunk.separator + body)
        text = "".join(pieces)
        added = [obj for key, obj in new.items() if key not in placed]
        if added:
            if text.strip():
                if not text.endswith("\n"):
                    text += self.newline
                text += "---" + self.newline
            text += ("---" + self.newline).join(self._fresh(obj) for obj in added)
            expected.extend(added)
        text = self.bom + text
        self._check(text, expected, foreign)
        return FilePlan(self.path, text, removed, text != self.bom + self.text)

    def _fresh(self, obj: JSONDict) -> str:
        return encode(obj, "yaml").replace("\n", self.newline)

    def _edited(self, core: str, obj: JSONDict) -> str:
        """``core`` (the tool's document) holding ``obj``, its comments kept where they can be;
        else ``obj`` as ``print`` writes it."""
        edited = _edit_round_trip(core, obj)
        if edited is None:
            return self._fresh(obj)
        return edited.replace("\n", self.newline)

    def _check(self, text: str, objects: Sequence[JSONDict], foreign: list[Any]) -> None:
        """Read ``text`` back as ``diff`` will: the tool's objects, and the others unchanged."""
        ours: list[Any] = []
        others = list(foreign)  # each met once, byte for byte as it was
        for chunk in _YamlFile(self.path, text).chunks:
            parsed = parse_document(chunk.line, chunk.body)
            value, problem = parsed.value, parsed.problem
            if problem is not None:
                ours.append(problem)
            elif value in others:
                others.remove(value)
            elif value is not None:
                listed = _items(value) if _is_object(value) else None
                ours.extend(listed if listed is not None else [value])
        if others or sorted(ours, key=_sort_key) != sorted(objects, key=_sort_key):
            raise Refused(
                f"{self.path}: cannot be updated without changing what else it holds (please "
                "report this bug); nothing was written"
            )


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _outside_lines(chunk: _Chunk) -> tuple[str, str, str]:
    """A document's text as (comment and blank lines before it, its content, those after it).
    Trailing lines count as after it only if the content reads the same without them (a
    ``#`` line may belong to a block scalar)."""
    lines = chunk.body.splitlines(keepends=True)
    first = 0
    while first < len(lines) and _OUTSIDE.fullmatch(lines[first]):
        first += 1
    last = len(lines)
    while last > first and _OUTSIDE.fullmatch(lines[last - 1]):
        last -= 1
    lead, core, trail = (
        "".join(lines[:first]),
        "".join(lines[first:last]),
        "".join(lines[last:]),
    )
    if trail and parse_document(chunk.line, core)[1] != chunk.value:
        core, trail = core + trail, ""
    return lead, core, trail


def _edit_round_trip(core: str, obj: JSONDict) -> str | None:
    """``core`` loaded with ruamel.yaml's round-trip loader, changed into ``obj`` node by node
    (so that comments attached to what stays are kept), dumped; None if the result does not
    read back as ``obj`` (YAML 1.2 quoting, floats, anything odd: the caller writes ``obj``
    afresh)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)  # never the C extension on a file from a repository
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # no folding of long lines
    yaml.indent(mapping=2, sequence=2, offset=0)  # kubectl's layout
    try:
        document = yaml.load(core)
        edited = _update(document, obj)
        out = io.StringIO()
        yaml.dump(edited, out)
    except Exception:  # a document it cannot load or dump: write it afresh
        return None
    text = out.getvalue()
    parsed = parse_document(1, text)
    value, problem = parsed.value, parsed.problem
    return text if problem is None and value == obj else None


def _update(old: Any, new: Any) -> Any:
    """``new``, built from ``old``'s ruamel nodes where the shapes match."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(new, dict) and isinstance(old, CommentedMap):
        for key in [key for key in old if key not in new]:
            del old[key]
        for key in sorted(new):
            if key in old:
                old[key] = _update(old[key], new[key])
            else:
                position = sum(1 for existing in old if str(existing) < key)
                old.insert(position, _fresh(key), _fresh(new[key]))
        return old
    if isinstance(new, list) and isinstance(old, CommentedSeq):
        del old[len(new) :]
        for index, item in enumerate(new):
            if index < len(old):
                old[index] = _update(old[index], item)
            else:
                old.append(_fresh(item))
        return old
    if _same_scalar(old, new):
        return old
    return _fresh(new)


def _same_scalar(old: Any, new: Any) -> bool:
    from ruamel.yaml.scalarstring import PlainScalarString, ScalarString

    if isinstance(new, (dict, list)) or isinstance(old, (dict, list)):
        return False
    if isinstance(old, bool) != isinstance(new, bool) or isinstance(old, str) != isinstance(
        new, str
    ):
        return False
    if old != new:
        return False
    plain = isinstance(old, str) and (
        not isinstance(old, ScalarString) or isinstance(old, PlainScalarString)
    )
    # A plain scalar read as YAML 1.2 may read otherwise in YAML 1.1 ("on", "0777").
    return _plain_is_safe(new) if plain else True


def _fresh(value: Any) -> Any:
    """``value`` as ruamel nodes, each string quoted as ``print`` would quote it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    from ingress2gateway.writing.yaml_writer import scalar_text

    if isinstance(value, dict):
        return CommentedMap((_fresh(key), _fresh(value[key])) for key in sorted(value))
    if isinstance(value, list):
        return CommentedSeq(_fresh(item) for item in value)
    if isinstance(value, str):
        form = scalar_text(value)
        if form == value:
            return value
        if form.startswith("'"):
            return SingleQuotedScalarString(value)
        return DoubleQuotedScalarString(value)
    return value


def _plain_is_safe(text: str) -> bool:
    from ingress2gateway.writing.yaml_writer import scalar_text

    return scalar_text(text) == text
