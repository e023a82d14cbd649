"""Context files: the manifests of a repository that ``check FILES`` reads beside FILES.

A pre-commit hook is given only the files a commit changes, but an Ingress's Services, its
IngressClass, the controller's ConfigMap and a canary's primary Ingress may live in other
files. Inside a git work tree, the context is the work tree's ``*.yaml``, ``*.yml`` and
``*.json`` files that git tracks or that are untracked but not ignored -- what
``git ls-files --cached --others --exclude-standard`` lists (git-ls-files(1)): the files
``pre-commit run --all-files`` would hand to a hook, plus untracked ones. The work tree is the
one that holds the files checked (pre-commit runs hooks at its top), not the current
directory's. Outside one (or without git) there is no default context.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence

from ingress2gateway.reading.manifests import INPUT_SUFFIXES, MAX_FILE_BYTES, STDIN, expand_paths

GIT_TIMEOUT_SECONDS = 30
"""Listing a work tree takes milliseconds; a git that hangs (a lock, a network file system)
must not hang a commit: after this long there is no context, as without git."""


def git_work_tree_files(paths: Iterable[str]) -> list[str]:
    """The manifest files of the git work trees that hold ``paths`` (usually one), as paths
    relative to the current directory, sorted. ``[]`` when git is not installed or no path is
    in a work tree; a path outside every work tree (or ``-``, stdin) adds nothing."""
    git = shutil.which("git")
    if git is None:
        return []
    found: set[str] = set()
    for root in _work_trees(git, paths):
        found.update(_listed(git, root))
    return sorted(found)


def _work_trees(git: str, paths: Iterable[str]) -> list[str]:
    """The top folders of the work trees holding ``paths``: one ``git rev-parse`` per tree,
    not per path (pre-commit --all-files passes hundreds)."""
    roots: list[str] = []
    for path in paths:
        if path == STDIN:
            continue
        folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        if any(folder == root or folder.startswith(root + os.sep) for root in roots):
            continue
        if not os.path.isdir(folder):
            continue  # a missing file: the reader says so
        top = _git(git, folder, "rev-parse", "--show-toplevel")
        if top is not None and top.strip():
            roots.append(os.path.abspath(top.rstrip("\n")))
    return roots


def _listed(git: str, root: str) -> list[str]:
    # -z: names as they are (no quoting of unusual characters); run at the top so that the
    # whole work tree is listed, not only what is under one folder.
    listed = _git(git, root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None:
        return []
    found = []
    for name in set(listed.split("\0")):  # a conflicted file is listed once per stage
        if not name.lower().endswith(INPUT_SUFFIXES):
            continue
        path = os.path.join(root, name)
        # A tracked file deleted from the work tree, or a submodule, is no file to read.
        if os.path.isfile(path):
            found.append(_relative(path))
    return found


def _git(git: str, directory: str | None, *args: str) -> str | None:
    try:
        done = subprocess.run(
            [git, *args],
            cwd=directory,
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return os.fsdecode(done.stdout)


def _relative(path: str) -> str:
    """``path`` relative to the current directory when it is below it (as pre-commit, which
    runs hooks at the top of the work tree, names the files it passes), else absolute: the
    same file is then spelt the same way whether it is a FILE or context."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def files_under(paths: Iterable[str]) -> list[str]:
    """The manifest files named by ``--context`` paths (a directory is walked as ``-f`` walks
    one), sorted."""
    return sorted(set(expand_paths(paths)))


def without(context: Sequence[str], files: Iterable[str]) -> list[str]:
    """``context`` without the files among ``files`` (compared as the files they are, however
    spelt: ``./a.yaml`` is ``a.yaml``)."""
    given = {_identity(path) for path in files}
    return [path for path in context if _identity(path) not in given]


def _identity(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def may_hold_objects(path: str) -> bool:
    """Whether context file ``path`` may hold a Kubernetes object, judged from its bytes
    without parsing them: every object has a ``kind`` key, so a file without those four
    letters (a workflow, a Helm values file, a package.json) holds none and costs no parse.
    UTF-16 files (which the reader accepts, with their byte-order mark) are kept; so is a file
    that cannot be read here (the reader says why, and a context file's problems are no
    finding)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return True
    return b"kind" in data or data.startswith(_UTF16_MARKS)
