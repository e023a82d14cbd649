"""Path matching of the two controllers.

HAProxy Technologies (``pkg/route/route.go``, maps built in ``pkg/controller``): ``Exact`` is
exact, ``Prefix`` is element-wise (``/p`` and ``/p/...``), and ``ImplementationSpecific /p``
goes into both prefix maps as ``/p``: a **character** prefix (``/p`` takes ``/pxyz``),
case-sensitive. The longest matching prefix wins.

HAProxy Ingress (``pkg/converters/ingress/ingress.go readPathType``): ``Exact`` and ``Prefix``
as in Gateway API; ``ImplementationSpecific`` follows the ``path-type`` key: ``begin`` (the
default) is a **case-insensitive character** prefix, ``prefix`` element-wise, ``exact`` exact,
``regex`` a POSIX extended expression anchored at the start only. Overlapping paths are tried
longest first.

A character prefix is carried exactly as ``RegularExpression`` ``<path>.*`` (``(?i)`` for
``begin``) when no other path of the host starts with it: Gateway implementations try regular
expressions before prefixes, so a regular expression for ``/api`` would take ``/api/v2``'s
requests from a longer path. Where one does, the path becomes ``PathPrefix`` (segment-wise) and a
warning names the requests that change (``haproxy-path-approximated``). ``/`` is ``PathPrefix /``.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ingress2gateway.converting.ingress import IngressModel, IngressPath
from ingress2gateway.converting.lowering import path_problem
from ingress2gateway.ir import PathMatch
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .catalog import HAPROXY_INGRESS, HAPROXYTECH
from .keys import PROVIDER, Keys

PATH_TYPES = ("begin", "prefix", "exact", "regex")


@dataclass(frozen=True)
class Reading:
    """How the controller reads one path: ``kind`` is exact | prefix | chars | regex."""

    kind: str
    value: str
    insensitive: bool = False


def reading(controller: str, keys: Keys | None, path: IngressPath) -> Reading:
    if path.path_type == "Exact":
        return Reading("exact", path.path)
    if path.path_type == "Prefix":
        return Reading("prefix", path.path)
    if controller == HAPROXYTECH:
        return Reading("chars", path.path)
    mode = (keys.text("path-type") if keys is not None else None) or "begin"
    mode = mode.lower()
    if mode == "exact":
        return Reading("exact", path.path)
    if mode == "prefix":
        return Reading("prefix", path.path)
    if mode == "regex":
        return Reading("regex", path.path)
    return Reading("chars", path.path, insensitive=True)


def escape(text: str) -> str:
    """``text`` as an RE2 literal (every character that is not plainly literal escaped)."""
    return "".join(ch if ch.isalnum() or ch in "/-_~" else "\\" + ch for ch in text)


_RE2_UNSUPPORTED = re.compile(r"\\[1-9]|\(\?[=!<]|\(\?P=|\\[bB]\b(?=.*\\[1-9])")


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be carried as an RE2 expression, or None."""
    if _RE2_UNSUPPORTED.search(pattern):
        return "uses back-references or look-around, which RE2 lacks"
    if len(pattern) > 1000:
        return "is longer than 1000 characters"
    if any(ord(ch) < 0x20 for ch in pattern):
        return "contains control characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


class PathPlan:
    """The readings of every path of every host, to see which character prefixes are safe."""

    def __init__(
        self,
        ctx: ProviderContext,
        models: Sequence[IngressModel],
        controller_of: Callable[[IngressModel], str],
        keys_of: Mapping[int, Keys],
    ) -> None:
        self.ctx = ctx
        self.controller_of = controller_of
        self.keys_of = keys_of
        by_host: dict[str | None, set[str]] = defaultdict(set)
        for model in models:
            controller = controller_of(model)
            for path in model.paths:
                read = reading(controller, keys_of.get(id(model)), path)
                if read.kind != "exact":
                    by_host[path.host].add(read.value)
        # Sorted (and lower-cased) once per host: the paths that start with a prefix are one
        # run of the sorted list, found by bisection (a host may have thousands of paths).
        self.sorted: dict[str | None, list[str]] = {h: sorted(v) for h, v in by_host.items()}
        self.folded: dict[str | None, list[tuple[str, str]]] = {
            h: sorted((v.lower(), v) for v in values) for h, values in by_host.items()
        }

    def _longer(self, host: str | None, value: str, insensitive: bool) -> list[str]:
        """Paths of ``host`` that a regular expression for the prefix ``value`` would take
        requests from (they start with it and are longer)."""
        found: list[str] = []
        if insensitive:
            folded = self.folded.get(host, [])
            base = value.lower()
            index = bisect.bisect_left(folded, (base, ""))
            while index < len(folded) and folded[index][0].startswith(base):
                if len(folded[index][1]) > len(value):
                    found.append(folded[index][1])
                index += 1
        else:
            values = self.sorted.get(host, [])
            index = bisect.bisect_left(values, value)
            while index < len(values) and values[index].startswith(value):
                if len(values[index]) > len(value):
                    found.append(values[index])
                index += 1
        return sorted(set(found))

    def match(self, model: IngressModel, path: IngressPath) -> PathMatch | None:
        controller = self.controller_of(model)
        keys = self.keys_of.get(id(model))
        read = reading(controller, keys, path)
        if read.kind == "exact":
            return self._checked(model, path, PathMatch("Exact", read.value))
        if read.kind == "prefix":
            return self._checked(model, path, PathMatch("PathPrefix", read.value))
        if read.kind == "regex":
            problem = regex_problem(read.value)
            if problem is not None:
                return self._refuse(model, path, f"the regular expression {problem}")
            # Implicit ^, no $ (keys.md "Path type"): a full match of <expr>.*
            return PathMatch("RegularExpression", f"(?:{read.value}).*")
        if read.value == "/":
            return PathMatch("PathPrefix", "/")
        problem = path_problem(read.value)
        if problem is not None:
            return self._refuse(model, path, f"the path {problem}")
        longer = self._longer(path.host, read.value, read.insensitive)
        flags = "(?i)" if read.insensitive else ""
        expression = f"{flags}{escape(read.value)}.*"
        if not longer and len(expression) <= 1024:
            return PathMatch("RegularExpression", expression)
        reason = (
            f"a regular expression would take the requests of the longer path(s) "
            f"{', '.join(longer[:3])} of the host"
            if longer
            else "its regular expression would be over Gateway API's 1024 characters"
        )
        what = "case-insensitive character prefix" if read.insensitive else "character prefix"
        message = (
            f"path {read.value!r} is a {what} in the controller (it takes "
            f"{read.value}x as well as {read.value.rstrip('/')}/x), but {reason}: it becomes "
            f"PathPrefix {read.value.rstrip('/') or '/'}, and requests such as "
            f"{read.value}x are no longer routed by it"
            + (" (and it matches case-sensitively)" if read.insensitive else "")
        )
        self.ctx.report.flag(
            Level.WARNING,
            "haproxy-path-approximated",
            message,
            Status.PARTIAL,
            source=model.source,
            field=path.field,
            provider=PROVIDER,
        )
        return PathMatch("PathPrefix", read.value)

    def _checked(
        self, model: IngressModel, path: IngressPath, match: PathMatch
    ) -> PathMatch | None:
        problem = path_problem(match.value)
        if problem is None:
            return match
        return self._refuse(model, path, f"the path {problem}")

    def _refuse(self, model: IngressModel, path: IngressPath, why: str) -> PathMatch | None:
        message = f"{why}; the path is not converted"
        self.ctx.report.flag(
            Level.ERROR,
            "path-not-representable",
            message,
            Status.UNSUPPORTED,
            source=model.source,
            field=path.field,
            provider=PROVIDER,
        )
        return None


def is_community(controller: str) -> bool:
    return controller == HAPROXY_INGRESS
