"""Istio's match conditions as Envoy evaluates them, and where Istio builds a match at all.

A :class:`Condition` is what a request must carry for an Istio ``HTTPMatchRequest`` to take it
(Envoy's semantics: ``prefix`` is a character prefix, values are case-sensitive, ``{}`` only asks
for presence, ``withoutHeaders`` treats a missing header as empty). The converter tries sample
requests against it to keep Istio's first-match order (see :mod:`.ordercheck`).

A :class:`Scope` is what Istio checks *before* building the match into a gateway's routes
(``TranslateRoute`` and ``sourceMatchHTTP`` in ``pilot/pkg/networking/core/route/route.go``):
per-match ``gateways``, ``port``, ``sourceLabels``/``sourceNamespace`` — and the conditions the
listener alone decides: ``scheme`` (``http`` on a plain-text server, ``https`` on a TLS one) and an
exact ``authority`` (the host: it becomes the route's host name instead of a condition).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .paths import full_match

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def yaml_text(value: Any) -> str | None:
    """A scalar as its YAML text: ``true``, ``10``, ``null`` (never Python's ``True``/``None``);
    None for mappings and lists."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


@dataclass(frozen=True)
class Sm:
    """An Istio StringMatch: ``exact``, ``prefix``, ``regex`` or ``present`` (``{}`` and the regex
    ``*``, which Istio turns into a presence check); ``never`` for what Envoy checks on something
    a request cannot carry here (a JWT claim)."""

    kind: str
    value: str = ""

    def matches(self, value: str | None) -> bool:
        if value is None or self.kind == "never":
            return False
        if self.kind == "present":
            return True
        if self.kind == "exact":
            return value == self.value
        if self.kind == "prefix":
            return value.startswith(self.value)
        return full_match(self.value, value)

    def sample(self) -> str:
        """A value this match takes."""
        if self.kind == "exact":
            return self.value
        if self.kind == "prefix":
            return self.value + "x"
        if self.kind == "regex":
            from ingress2gateway.verification.probes import regex_sample

            return regex_sample(self.value) or self.value
        return "1"


def string_match(raw: Any) -> Sm | None:
    """An Istio StringMatch (``{exact|prefix|regex: value}``, ``{}``); None when ``raw`` is not
    one. Non-string values are their YAML text."""
    if not isinstance(raw, dict):
        return None
    for key in ("exact", "prefix", "regex"):
        if key in raw and raw[key] is not None:
            text = yaml_text(raw[key])
            if text is None:
                return None
            if key == "regex" and text == "*":
                return Sm("present")
            return Sm(key, text)
    return Sm("present")


def valid_header_name(name: str) -> bool:
    return bool(_HEADER_NAME.match(name))


@dataclass(frozen=True)
class Probe:
    """A sample request: path, headers (lower-case names), method, query parameters."""

    path: str
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    query: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def display(self) -> str:
        text = f"{self.method} {self.path}"
        if self.query:
            text += "?" + "&".join(f"{k}={v}" for k, v in self.query)
        if self.headers:
            text += " [" + ", ".join(f"{k}: {v}" for k, v in self.headers) + "]"
        return text


@dataclass(frozen=True)
class Condition:
    """What a request must carry for an Istio match to take it (Envoy's route match)."""

    uri: Sm | None = None
    ignore_case: bool = False
    headers: tuple[tuple[str, Sm], ...] = ()
    without: tuple[tuple[str, Sm], ...] = ()
    query: tuple[tuple[str, Sm], ...] = ()
    method: Sm | None = None

    def path_matches(self, path: str) -> bool:
        uri = self.uri
        if uri is None or uri.kind == "present":
            return True
        if uri.kind == "regex":
            return full_match(uri.value, path)  # case_sensitive does not apply to regex
        wanted = uri.value
        if self.ignore_case:
            path, wanted = path.lower(), wanted.lower()
        return path == wanted if uri.kind == "exact" else path.startswith(wanted)

    def matches(self, probe: Probe) -> bool:
        if not self.path_matches(probe.path):
            return False
        if self.method is not None and not self.method.matches(probe.method):
            return False
        if not all(m.matches(probe.header(n)) for n, m in self.headers):
            return False
        for name, unwanted in self.without:
            sent = probe.header(name)
            if sent is None and unwanted.kind != "present":
                sent = ""
            if unwanted.matches(sent):
                return False
        return all(m.matches(probe.param(n)) for n, m in self.query)

    @property
    def catch_all(self) -> bool:
        """``IsCatchAllRoute``: the whole path (``/`` prefix, ``.*`` regex) and no header,
        method or query condition."""
        uri = self.uri
        path_all = (
            uri is None
            or uri.kind == "present"
            or (uri.kind == "prefix" and uri.value == "/")
            or (uri.kind == "regex" and uri.value == ".*")
        )
        return path_all and not (self.headers or self.without or self.query or self.method)


@dataclass(frozen=True)
class Scope:
    """Where Istio builds a match into a gateway's routes (see the module documentation)."""

    gateways: tuple[tuple[str, str], ...] = ()
    """Per-match ``gateways`` (namespace, name); ``mesh`` is left out: it is no ingress."""
    mesh_only: bool = False
    """Per-match ``gateways`` name only ``mesh``."""
    port: int | None = None
    scheme: Sm | None = None
    authority: str | None = None
    """An exact ``authority``: the only host the match takes (lower case, without port)."""
    authority_port: int | None = None
    authority_match: Sm | None = None
    """A prefix or regex ``authority``: decided for each host name the route has (a wildcard
    host cannot be decided: the match is wider there)."""
    source_labels: tuple[tuple[str, str], ...] = ()
    source_namespace: str | None = None
