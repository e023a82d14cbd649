"""Large inputs: worker processes, parts of the input, spooling and garbage-collector pauses.

The only code that knows about processes, forking and the garbage collector; everything else
runs in one process, top to bottom. Its entry point is :func:`convert_streaming`
(:mod:`~ingress2gateway.scaling.streaming`): :func:`ingress2gateway.convert` for inputs of
thousands of objects, on several cores, with the output handed over as it is made.

- :mod:`~.pool`: forked worker processes and the one ordered, windowed scheduler;
- :mod:`~.workers`: validating and encoding output objects in workers;
- :mod:`~.parts`: converting the parts of an input in workers;
- :mod:`~.reading`: parsing YAML documents in workers;
- :mod:`~.spool`: output of parts kept on disk until the last part is done;
- :mod:`~.gc_pause`: the cyclic garbage collector paused around bulk work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingress2gateway.scaling.streaming import convert_streaming
    from ingress2gateway.scaling.workers import Workers

__all__ = ["Workers", "convert_streaming"]

# Imported on first use: reading, converting and writing import gc_pause from here.
_LAZY = {
    "convert_streaming": "ingress2gateway.scaling.streaming",
    "Workers": "ingress2gateway.scaling.workers",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ingress2gateway.scaling' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
