"""How GKE reads an Ingress path (ingress-gce ``pkg/controller/translator/translator.go``,
``validateAndGetPaths``), and the Gateway API match that answers the same requests.

* ``Exact /p`` is the URL-map path rule ``/p``: an exact match. GKE refuses an Exact path with a
  ``*`` in it (``validateExactPathType``); the path is reported and not converted.
* ``Prefix /p`` becomes the two rules ``/p`` and ``/p/*`` (``Prefix /`` becomes ``/*``): the
  element-wise prefix Gateway API's ``PathPrefix`` is. GKE refuses a ``*`` here too.
* ``ImplementationSpecific`` (and a path without ``pathType``) is handed to the URL map as it
  is. A Google path rule is exact unless it ends in ``/*``, which matches everything below the
  directory, and ``*`` is allowed nowhere else. So ``/`` and ``/foo`` are **exact** (unlike
  most controllers, where they are prefixes), ``/*`` is ``PathPrefix /``, and ``/foo/*`` is
  ``PathPrefix /foo`` — which also takes ``/foo`` itself, where GKE matched only ``/foo/`` and
  below: that difference is reported. A ``*`` anywhere else makes the Compute API refuse the
  URL map: reported, not converted.
* The URL map picks the longest matching path rule whatever the order (Compute API
  ``PathMatcher``), which is the precedence Gateway API gives Exact and PathPrefix matches.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.ir import PathMatch
from ingress2gateway.reporting.report import Level, Recorder, Status

from .common import PROVIDER


def match_for(report: Recorder, model: IngressModel, path: IngressPath) -> PathMatch | None:
    """The match for one path; None (after reporting why) for a path GKE refused."""
    value = path.path or ""
    kind = path.path_type or "ImplementationSpecific"
    if kind in ("Exact", "Prefix"):
        if "*" in value:
            _refused(report, model, path, f"GKE refuses a {kind} path with '*' in it")
            return None
        return PathMatch("Exact" if kind == "Exact" else "PathPrefix", value or "/")
    if not value:
        value = "/"
    glob = value.endswith("/*")
    if "*" in (value[:-2] if glob else value):
        _refused(
            report,
            model,
            path,
            "a Google URL-map path allows '*' only as its last character, after a '/'; the "
            "Compute API refused this URL map",
        )
        return None
    if not glob:
        return PathMatch("Exact", value)
    prefix = value[:-2] or "/"
    if prefix != "/":
        report.warning(
            "gce-behaviour-differs",
            f"ImplementationSpecific {value!r} matched only {prefix + '/'!r} and below on GKE; "
            f"PathPrefix {prefix!r} also answers {prefix!r} itself",
            source=model.source,
            field=path.field,
            provider=PROVIDER,
        )
    return PathMatch("PathPrefix", prefix)


def _refused(report: Recorder, model: IngressModel, path: IngressPath, why: str) -> None:
    report.flag(
        Level.ERROR,
        "gce-value-invalid",
        f"path {path.path!r}: {why}; it is not converted",
        Status.UNSUPPORTED,
        source=model.source,
        field=path.field,
        provider=PROVIDER,
    )
