"""Output objects that arrive in sorted runs (one per part of the input), handed back in one
sorted order.

Converting in parts (see :class:`~ingress2gateway.plugin.Parts`) makes each part's objects in
output order, but the output as a whole is ordered by kind first: every part's Gateways come
before any part's routes. Each object is written to a temporary file as it comes (its text can
be most of the output: 420 MB for 100k Ingresses), with its sort key kept in memory, and the
runs are merged when the last part is done.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from ingress2gateway.errors import I2GError
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.plugin import Emitted

_HEAD = ("apiVersion", "kind", "metadata")
_Entry = tuple[Any, int, int]
"""(sort key, offset, size) of one object in the file."""


class Spool:
    """Add objects with :meth:`add`; iterate once for all of them in ``key`` order. Only what a
    writer needs is kept: the reference and the text, and of the body, when there is a text,
    only apiVersion, kind and metadata (pickling whole bodies cost more than converting them);
    not the sources or rules, which the report has already used. Use as a context manager to
    remove the file."""

    def __init__(self, key: Callable[[Emitted], Any]) -> None:
        self._key = key
        try:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        except OSError as exc:
            raise _cannot_write(exc) from None
        self._runs: list[list[_Entry]] = []
        self._last: Any = None
        self._size = 0

    def add(self, item: Emitted) -> None:
        key = self._key(item)
        if not self._runs or key < self._last:
            self._runs.append([])  # a new sorted run starts
        data = pickle.dumps(for_writer(item), pickle.HIGHEST_PROTOCOL)
        try:
            self._file.write(data)
        except OSError as exc:  # a full disk, most likely
            raise _cannot_write(exc) from None
        self._runs[-1].append((key, self._size, len(data)))
        self._size += len(data)
        self._last = key

    def __iter__(self) -> Iterator[Emitted]:
        read, seek = self._file.read, self._file.seek
        # Keys are unique (kind, namespace, name): the offsets are never compared.
        for _, offset, size in heapq.merge(*self._runs):
            seek(offset)
            ref, body, text = pickle.loads(read(size))
            yield Emitted(ref, body, text=text)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def for_writer(item: Emitted) -> tuple[ObjectRef, JSONDict, str | None]:
    """What a writer needs of ``item`` (see :class:`Spool`): its reference and text, and of its
    body, when there is a text, only what names the object."""
    body = item.body
    if item.text is not None:
        body = {key: body[key] for key in _HEAD if key in body}
    return item.ref, body, item.text


def _cannot_write(exc: OSError) -> I2GError:
    return I2GError(
        f"cannot write the temporary file that holds the output until the last part of the "
        f"input is converted ({exc.strerror or exc}, in {tempfile.gettempdir()}); set TMPDIR "
        "to a directory with room for about the size of the output"
    )
