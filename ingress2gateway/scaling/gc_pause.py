"""Pause the cyclic garbage collector around bulk work.

Reading and converting builds hundreds of thousands of small, acyclic containers. Each
allocation burst triggers collections that walk the whole (growing) heap, which measured as
the largest cost of a 10k-object conversion. Reference counting still frees everything; the
collector runs again, once, afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pause_for_good() -> None:
    """Pause the collector for the rest of the process (the CLI: a run is short and builds
    mostly acyclic data; reference counting frees what is dropped)."""
    gc.disable()
