"""ingress2gateway: migrate Kubernetes Ingress and vendor routing configuration to Gateway API.

Library use::

    import ingress2gateway

    objects = ingress2gateway.load_manifests(["manifests/"])
    result = ingress2gateway.convert(objects, providers=["nginx"], target="v1.5")
    print(ingress2gateway.dump(result.resources, "yaml"))
    for note in result.report.notifications:
        if note.level is ingress2gateway.Level.ERROR:
            ...
    checked = ingress2gateway.verify(objects, result.resources, providers=["nginx"],
                                     report=result.report)
    for difference in checked.unexplained:
        ...

Inputs of thousands of objects, on several cores, with each output object handed over as it
is made: :func:`ingress2gateway.scaling.convert_streaming`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ingress2gateway._version import __version__

if TYPE_CHECKING:
    from ingress2gateway.converting.pipeline import Result, convert
    from ingress2gateway.errors import InputProblem, ManifestError, UsageError
    from ingress2gateway.objects import KubeObject
    from ingress2gateway.plugin import ConvertOptions
    from ingress2gateway.reading.manifests import load_manifests
    from ingress2gateway.reporting.report import (
        LedgerEntry,
        Level,
        Notification,
        Recorder,
        Report,
        Status,
    )
    from ingress2gateway.target import Target
    from ingress2gateway.verification import VerifyResult
    from ingress2gateway.verification.run import verify
    from ingress2gateway.writing.formats import dump

__all__ = [
    "ConvertOptions",
    "InputProblem",
    "KubeObject",
    "LedgerEntry",
    "Level",
    "ManifestError",
    "Notification",
    "Recorder",
    "Report",
    "Result",
    "Status",
    "Target",
    "UsageError",
    "VerifyResult",
    "__version__",
    "convert",
    "dump",
    "load_manifests",
    "verify",
]

# Imported on first use, so that `import ingress2gateway` (and the CLI's start-up) stays cheap.
_LAZY = {
    "load_manifests": "ingress2gateway.reading.manifests",
    "InputProblem": "ingress2gateway.errors",
    "ManifestError": "ingress2gateway.errors",
    "UsageError": "ingress2gateway.errors",
    "KubeObject": "ingress2gateway.objects",
    "Target": "ingress2gateway.target",
    "Level": "ingress2gateway.reporting.report",
    "Status": "ingress2gateway.reporting.report",
    "Notification": "ingress2gateway.reporting.report",
    "LedgerEntry": "ingress2gateway.reporting.report",
    "convert": "ingress2gateway.converting.pipeline",
    "Result": "ingress2gateway.converting.pipeline",
    "ConvertOptions": "ingress2gateway.plugin",
    "Report": "ingress2gateway.reporting.report",
    "Recorder": "ingress2gateway.reporting.report",
    "dump": "ingress2gateway.writing.formats",
    "verify": "ingress2gateway.verification.run",
    "VerifyResult": "ingress2gateway.verification",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ingress2gateway' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
