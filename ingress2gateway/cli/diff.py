"""``diff``: compare freshly generated resources with committed (or live) ones.

Objects are matched by group, kind, namespace and name. Before comparing, both sides are
normalised: fields the server fills in (``status``, ``uid``, ``resourceVersion``, timestamps,
``managedFields``, kubectl's last-applied annotation, our generator annotation) are dropped,
defaults the API server would apply are applied, and lists that Gateway API treats as sets
(listeners, hostnames, parentRefs, header matches, ...) are put in one order: items with a
``name`` by their name, so that the same listener sits at the same place on both sides, the
others by their content. Two objects that normalise to the same value are in sync.

An object that differs is shown as ``kubectl diff`` shows it: a unified diff of the two
normalised objects in YAML (``---``/``+++`` naming the object, ``@@`` hunks with three lines of
context). Deleting one Ingress of many then shows the lines of its listeners and routes, not
every listener after it moving up one place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

import click

from ingress2gateway.errors import I2GError, internal_error
from ingress2gateway.objects import JSONDict, ResourceKind
from ingress2gateway.reporting.printable import printable

_SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
)
_IGNORED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "gateway.networking.k8s.io/generator",
)
# Lists whose order carries no meaning (x-kubernetes-list-type set/map in the CRDs).
_SET_LISTS = frozenset(
    {
        "hostnames",
        "listeners",
        "parentRefs",
        "headers",
        "queryParams",
        "set",
        "add",
        "remove",
        "from",
        "to",
        "targetRefs",
        "certificateRefs",
        "values",
        "matchExpressions",
        "backendRefs",
    }
)
CONTEXT_LINES = 3
"""Unchanged lines shown around each change, as ``diff -u`` (and so ``kubectl diff``)."""

EXIT_IN_SYNC, EXIT_DIFFERS, EXIT_ERROR = 0, 1, 2
"""``diff``'s exit codes, those of ``kubectl diff``: anything from 2 up is an error."""

Key = tuple[str, str, str, str]


def object_key(obj: JSONDict) -> Key:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    meta = obj.get("metadata") or {}
    return (
        group,
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name", "")),
    )


def display(key: Key) -> str:
    """``HTTPRoute web/app`` (``GatewayClass eg`` without a namespace)."""
    _, kind, namespace, name = key
    where = f"{namespace}/{name}" if namespace else name
    return f"{kind} {where}"


def normalise(obj: JSONDict, target: Any | None = None) -> JSONDict:
    body: JSONDict = json.loads(json.dumps(obj))
    body.pop("status", None)
    meta = body.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_METADATA:
            meta.pop(key, None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            for key in _IGNORED_ANNOTATIONS:
                annotations.pop(key, None)
            if not annotations:
                meta.pop("annotations")
    if target is not None:
        from ingress2gateway.validation import with_defaults

        body = with_defaults(body, target)
    sorted_body: JSONDict = _sort_sets(body)
    return sorted_body


def _sort_sets(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _sort_sets(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sort_sets(v) for v in value]
        if key in _SET_LISTS:
            items.sort(key=_set_order)
        return items
    return value


def _set_order(item: Any) -> tuple[str, str]:
    """Where an item of a set-like list goes: a named item (a listener) by its name first, so
    that the same item sits at the same place on both sides whatever else changed in it."""
    name = item.get("name") if isinstance(item, dict) else None
    return (name if isinstance(name, str) else "", json.dumps(item, sort_keys=True))


@dataclass
class ObjectDiff:
    key: Key
    change: str
    """added (generated, not committed), removed (committed, not generated) or changed"""
    diff: str
    """The unified diff of the normalised objects in YAML (what the text output shows)."""
    file: str | None = None
    """The file that holds the committed object (None: live, or not committed)."""

    def to_json(self) -> JSONDict:
        group, kind, namespace, name = self.key
        return {
            "group": group,
            "kind": kind,
            "namespace": namespace or None,
            "name": name,
            "change": self.change,
            "file": self.file,
            "diff": self.diff,
        }


def diff_objects(
    generated: Sequence[JSONDict],
    existing: Sequence[JSONDict],
    target: Any | None = None,
    *,
    files: dict[Key, str | None] | None = None,
    committed: str = "committed",
) -> list[ObjectDiff]:
    """The objects that differ, by key. ``files`` says where each existing object is (shown in
    the diff's header); ``committed`` names the existing side (``live`` for a cluster)."""
    new = {object_key(o): normalise(o, target) for o in generated}
    old = {object_key(o): normalise(o, target) for o in existing}
    files = files or {}
    diffs: list[ObjectDiff] = []
    for key in sorted(set(new) | set(old)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        change = "added" if before is None else "removed" if after is None else "changed"
        file = files.get(key) if before is not None else None
        where = f"{committed}, {file}" if file else committed
        # Names and files come from the input: escaped, so that a header stays one line.
        old_label = "/dev/null" if before is None else printable(f"{display(key)} ({where})")
        new_label = "/dev/null" if after is None else printable(f"{display(key)} (generated)")
        text = unified_diff(_lines(before), _lines(after), old_label, new_label)
        diffs.append(ObjectDiff(key, change, text, file))
    return diffs


def _lines(obj: JSONDict | None) -> list[str]:
    from ingress2gateway.writing.formats import to_yaml

    # Split on "\n" alone: YAML output breaks lines only there (str.splitlines would also
    # split at a U+2028 inside a string).
    return [] if obj is None else to_yaml(obj).removesuffix("\n").split("\n")


def unified_diff(
    old: Sequence[str],
    new: Sequence[str],
    old_label: str,
    new_label: str,
    context: int = CONTEXT_LINES,
) -> str:
    """``old`` and ``new`` (lines without breaks) as ``diff -u`` shows them.

    Not :func:`difflib.unified_diff`: its matcher treats lines that recur in more than 1% of a
    long text as noise (``autojunk``), and a Gateway's ``port: 443`` and ``protocol: HTTPS``
    recur in every listener: the hunks then misalign. Here every line counts, and a block
    added or removed whole is shown from the start of a YAML item (:class:`_Matcher`)."""
    matcher = _Matcher(old, new)
    out = [f"--- {old_label}", f"+++ {new_label}"]
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        out.append(
            f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@",
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in old[i1:i2])
                continue
            out.extend("-" + line for line in old[i1:i2])
            out.extend("+" + line for line in new[j1:j2])
    return "".join(line + "\n" for line in out)


class _Matcher(SequenceMatcher[str]):
    """A line matcher whose blocks added or removed whole start where a YAML item does.

    Removing one listener of several alike can be shown at several places: the lines
    ``mode: Terminate`` of the listener before, then the removed listener but its last line,
    is as short a diff as the removed listener itself. Like ``git diff``'s slider heuristic, a
    block that can slide (the line before it equals its last line, or the line after it its
    first) is put where its first line is the least indented: a whole ``- name: …`` item."""

    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        super().__init__(None, old, new, autojunk=False)
        self.old, self.new = old, new

    def get_opcodes(
        self,
    ) -> list[tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]]:
        found = super().get_opcodes()
        tags = [op[0] for op in found]
        spans = [list(op[1:]) for op in found]  # [old start, old stop, new start, new stop]
        for index in range(1, len(found) - 1):
            whole = tags[index] in ("delete", "insert")
            if not (whole and tags[index - 1] == tags[index + 1] == "equal"):
                continue
            before, block, after = spans[index - 1], spans[index], spans[index + 1]
            lines, start, stop = (
                (self.old, block[0], block[1])
                if tags[index] == "delete"
                else (self.new, block[2], block[3])
            )
            up = 0
            while up < before[1] - before[0] and lines[start - up - 1] == lines[stop - up - 1]:
                up += 1
            down = 0
            while down < after[1] - after[0] and lines[start + down] == lines[stop + down]:
                down += 1
            shift = min(range(-up, down + 1), key=lambda d: (_indent(lines[start + d]), abs(d)))
            before[1] += shift
            before[3] += shift
            block[:] = [end + shift for end in block]
            after[0] += shift
            after[2] += shift
        return [
            (tag, span[0], span[1], span[2], span[3])
            for tag, span in zip(tags, spans, strict=True)
            if tag != "equal" or span[1] > span[0]
        ]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _range(start: int, stop: int) -> str:
    """A hunk's range as ``diff -u`` writes it: 1-based ``start,length``; an empty range is
    the line before it (``0,0`` in an empty file)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def render_text(diffs: Sequence[ObjectDiff]) -> str:
    return "".join(printable(line) + "\n" for item in diffs for line in item.diff[:-1].split("\n"))


def render_json(diffs: Sequence[ObjectDiff]) -> str:
    return json.dumps({"differences": [d.to_json() for d in diffs]}, indent=2) + "\n"


def summary(diffs: Sequence[ObjectDiff]) -> str:
    """One line for stderr: how many objects differ, and how."""
    counts = {change: sum(1 for d in diffs if d.change == change) for change in _WORDS}
    parts = [f"{counts[change]} {word}" for change, word in _WORDS.items() if counts[change]]
    return f"{len(diffs)} object(s) differ: {', '.join(parts)}"


_WORDS = {"changed": "changed", "added": "to create", "removed": "no longer generated"}


def other_resources(
    generated: Sequence[JSONDict], known: Sequence[ResourceKind]
) -> list[ResourceKind]:
    """For ``--against cluster``: the kinds of the ``generated`` objects that are not among the
    ``known`` Gateway API kinds (an emitter's policies and filters), as cluster resources. The
    plural is the one these CRDs declare: the kind in lowercase, ``-y`` → ``-ies``, else ``-s``
    (``BackendTrafficPolicy`` → ``backendtrafficpolicies``, ``HTTPRouteFilter`` →
    ``httproutefilters``). A kind none of the objects has is not read: an emitter's objects
    left over from an earlier migration, of a kind it no longer generates, are not shown."""
    from ingress2gateway.objects import ResourceKind

    seen = {(k.group, k.kind) for k in known}
    found = []
    for obj in generated:
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        kind = str(obj.get("kind", ""))
        if not group or (group, kind) in seen:
            continue
        seen.add((group, kind))
        lower = kind.lower()
        plural = lower[:-1] + "ies" if lower.endswith("y") else lower + "s"
        found.append(ResourceKind(group, version, plural, kind))
    return found


class DiffError(I2GError):
    """Anything that stops ``diff`` from answering: exit 2 or more, never 1 ("differs")."""

    exit_code = EXIT_ERROR


@contextmanager
def errors_exit_2() -> Iterator[None]:
    """Make every error of ``diff`` exit 2, as ``kubectl diff`` does: its 1 means "differs",
    so an unreadable input, a cluster error or a refused ``--write`` must not say 1. (An
    unexpected error still prints one line, as elsewhere; ``I2G_DEBUG=1`` shows its
    traceback.) Interrupts (130) and a closed stdout (141) keep their codes."""
    try:
        yield
    except I2GError as exc:
        if exc.exit_code >= EXIT_ERROR:
            raise
        raise DiffError(str(exc)) from exc
    except (
        KeyboardInterrupt,
        BrokenPipeError,
        click.exceptions.Exit,
        click.ClickException,
        click.Abort,
    ):
        raise
    except Exception as exc:
        if os.environ.get("I2G_DEBUG"):
            raise
        raise DiffError(internal_error(exc)) from exc
