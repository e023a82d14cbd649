"""Every file the tool writes goes through here: whole or not at all, never left behind.

A file is written to a temporary name beside it and renamed over the old one, so that a full
disk, an error or Ctrl-C (``KeyboardInterrupt``) leaves either the old file or the new one,
never half of one, and never the temporary file. What cannot be renamed over (a device such as
``/dev/stdout``, a FIFO) is written in place instead: replacing ``/dev/full`` with a regular file
(which root could do) would be worse than any error.

New files get the mode the umask gives (``0666 & ~umask``: 0644 under 022), as a shell
redirection would: the temporary file is created with 0666 and the kernel applies the umask.
``tempfile.mkstemp`` makes 0600 files, which is why it is not used.

``durable`` also flushes the file (and the rename, through the directory) to the disk before
returning: worth it for the one file a user names (the report, a ``diff --write`` target), not
for each of thousands of ``--output-dir`` files (an ``fsync`` took 0.42 ms per file on the CI
machines: 4 s more for 10k objects). Without it, the rename still never exposes a partial file.

Errors are :class:`WriteError`: ``<path>: cannot write <what>: <reason>``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ingress2gateway.errors import I2GError


class WriteError(I2GError):
    """A file could not be written (full disk, permissions, a directory in the way)."""


class TextWriter(Protocol):
    def write(self, text: str, /) -> object: ...


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    what: str,
    durable: bool = False,
    follow_symlinks: bool = False,
    make_parents: bool = False,
) -> Path:
    """Write ``text`` to ``path`` (see :func:`write_file`)."""
    return write_file(
        path,
        lambda handle: handle.write(text),
        what=what,
        durable=durable,
        follow_symlinks=follow_symlinks,
        make_parents=make_parents,
    )


def write_file(
    path: str | os.PathLike[str],
    fill: Callable[[TextWriter], object],
    *,
    what: str,
    durable: bool = False,
    follow_symlinks: bool = False,
    make_parents: bool = False,
) -> Path:
    """Write what ``fill`` writes to its handle to ``path``, all of it or nothing.

    ``what`` names the content in errors ("the report"). ``follow_symlinks`` is for a file the
    user named: a symbolic link at ``path`` has its target rewritten, and a device or a pipe
    (``/dev/stdout``) is written in place. Without it (files under a directory the tool fills,
    which must stay inside it), whatever is at ``path`` is replaced: a link is not followed, and
    a FIFO cannot make the write hang. ``make_parents`` creates missing parent directories.
    Returns the path written.
    """
    try:
        if make_parents:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if follow_symlinks and _is_special(path):
            _write_in_place(Path(path), fill)
        else:
            target = Path(os.path.realpath(path)) if follow_symlinks else Path(path)
            _replace(target, fill, durable)
    except OSError as exc:
        raise WriteError(f"{os.fspath(path)}: cannot write {what}: {exc.strerror or exc}") from None
    return Path(path)


def _replace(target: Path, fill: Callable[[TextWriter], object], durable: bool) -> None:
    directory = target.parent
    pending: Path | None = None
    try:
        while True:
            # Set before the file exists: an interrupt as os.open returns still removes it.
            # (os.open's descriptors are not inherited by child processes: PEP 446.)
            pending = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                pending = None  # someone else's file: not ours to remove
                continue
            break
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            fill(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(pending, target)
        pending = None
    finally:
        if pending is not None:
            # The error being raised says more than one removing the file could.
            with contextlib.suppress(OSError):
                pending.unlink(missing_ok=True)
    if durable:
        _sync_directory(directory)


def _is_special(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` leads to something that is neither a regular file nor missing: a
    device, a pipe (``/dev/stdout`` as a link to one), a directory (an error, later)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


def _write_in_place(target: Path, fill: Callable[[TextWriter], object]) -> None:
    with open(target, "w", encoding="utf-8", newline="") as handle:
        fill(handle)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable. Some file systems refuse to sync a directory; the file is in
    place either way."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_file(path: str | os.PathLike[str], *, what: str) -> None:
    """Remove ``path`` (a symbolic link itself, never what it points to); already gone is
    fine. Errors are :class:`WriteError`: ``<path>: cannot remove <what>: <reason>``."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise WriteError(
            f"{os.fspath(path)}: cannot remove {what}: {exc.strerror or exc}"
        ) from None


def remove_if_empty(directory: str | os.PathLike[str]) -> bool:
    """Remove ``directory`` if it is empty (``rmdir``, which refuses anything else: nothing in
    it is ever lost); whether it went."""
    try:
        os.rmdir(directory)
    except OSError:
        return False  # not empty, gone already, or not ours to remove: it stays
    return True
