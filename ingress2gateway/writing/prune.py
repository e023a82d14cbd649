"""Removing what the tool wrote earlier and no longer generates: ``print --output-dir DIR
--prune`` and ``diff --write``.

A file is the tool's when every document in it carries the generator annotation
(``gateway.networking.k8s.io/generator: ingress2gateway-…``, see
:mod:`ingress2gateway.writing.sync`): it is removed. A file that holds the tool's documents and
anything else as well loses only the tool's documents (the rest stays byte for byte, as
``diff --write`` edits a file). Any other file is never touched. A directory that removing
files left empty is removed too; one that was empty before is not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ingress2gateway.cli.diff import display
from ingress2gateway.writing.atomic import remove_file, remove_if_empty, write_text
from ingress2gateway.writing.sync import FilePlan, Inputs, Refused, plan_prune


def stale_files(directory: str, written: Iterable[Path], inputs: Inputs) -> list[FilePlan]:
    """``print --prune``: how each file under ``directory`` that this run did not write loses
    the tool's documents. Files that hold none of them, that this run read, symbolic links
    (the tool never makes one) and files it cannot edit safely are left alone."""
    from ingress2gateway.reading.manifests import expand_paths

    fresh = {os.path.realpath(path) for path in written}
    plans = []
    for name in expand_paths([directory]):
        path = Path(name)
        if os.path.realpath(path) in fresh or path.is_symlink():
            continue
        try:
            inputs.refuse_if_read(path)
            plan = plan_prune(path, keep_foreign=True)
        except Refused:
            continue  # an input, or a file it cannot edit without risk: not touched
        if plan is not None:
            plans.append(plan)
    return plans


def apply_removals(
    plans: Sequence[FilePlan], root: Path | None, say: Callable[[str], object]
) -> None:
    """Delete the files ``plans`` remove whole, then the directories under ``root`` that this
    left empty; ``say`` gets one line per removal, also for the files that lose some
    documents (which the caller has written: :func:`write_edited`)."""
    emptied: set[Path] = set()
    for plan in plans:
        if plan.delete:
            remove_file(plan.path, what="a file no longer generated")
            emptied.add(plan.path.parent)
            say(f"removed {plan.path} ({_objects(plan)} no longer generated)")
        elif plan.removed:
            say(f"removed {_objects(plan)} from {plan.path} (no longer generated)")
    if root is None:
        return
    top = Path(os.path.abspath(root))
    # Deepest first: a namespace directory goes before the directory holding it is tried.
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        current = Path(os.path.abspath(folder))
        while current != top and current.is_relative_to(top) and remove_if_empty(current):
            say(f"removed the empty directory {folder}")
            current, folder = current.parent, folder.parent


def write_edited(plans: Sequence[FilePlan]) -> None:
    """Write the files ``plans`` keep with new text (each atomically; see
    :mod:`ingress2gateway.writing.atomic`)."""
    for plan in plans:
        if not plan.delete and plan.changed:
            write_text(plan.path, plan.text, what="the manifests")


def _objects(plan: FilePlan) -> str:
    return ", ".join(display(key) for key in plan.removed)
