"""Paths and their templates → path matches.

OpenAPI paths are matched whole (OAS "Paths Object": the server URL, then the path, with
``{name}`` standing for one path parameter). A path without template becomes an ``Exact``
match of the base path and the path. A template expression stands for a non-empty part of one
segment (it never crosses a ``/``, and may share its segment with text: ``/report.{format}``),
which no Exact or PathPrefix match can say: such a path becomes a ``RegularExpression`` match,
the literal text escaped and each template ``[^/]+`` (support for RegularExpression is
implementation-specific in Gateway API: reported). Gateway API (and Envoy Gateway) tries
Exact matches before regular expressions, as the specification wants concrete paths matched
before templated ones (``/pets/mine`` before ``/pets/{petId}``).

Every literal part must be a path Gateway API accepts (the characters of RFC 3986 path
segments and ``%XX`` escapes; no ``//``, ``/./``, ``/../``): anything else is reported and
the path left out, never copied into the output. The Go tool copies ``{petId}`` into an
Exact path, which the CRDs refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gateway.ir import PathMatch

_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_PATH_CHARS = re.compile(r"(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*")
_REGEX_SPECIAL = re.compile(r"[.$()*+]")
SEGMENT = "[^/]+"
"""What one template expression matches."""


def literal_problem(text: str) -> str | None:
    """Why ``text`` (a path without template) cannot be a Gateway API path value, or None."""
    if not text.startswith("/"):
        return f"{text!r} does not start with '/'"
    if _PATH_CHARS.fullmatch(text) is None:
        return f"{text!r} holds characters a path match cannot (spaces, braces, non-ASCII...)"
    for bad in ("//", "/./", "/../", "%2f", "%2F", "#"):
        if bad in text:
            return f"{text!r} holds {bad!r}"
    if text.endswith(("/..", "/.")):
        return f"{text!r} ends with a dot segment"
    if len(text) > 1024:
        return f"{text!r} is longer than 1024 characters"
    return None


@dataclass(frozen=True, slots=True)
class Template:
    """A path of the document, split at its template expressions."""

    literals: tuple[str, ...]
    """The text between the expressions (one more than :attr:`names`)."""
    names: tuple[str, ...]

    @property
    def shape(self) -> str:
        """The path with every expression as ``{}``: two paths of one shape are the same path
        (OAS: "templated paths with the same hierarchy but different templated names MUST
        NOT exist")."""
        return "{}".join(self.literals)


def parse_template(path: str) -> Template | str:
    """``path`` split at its ``{name}`` expressions, or why it is not a valid path template."""
    if not path.startswith("/"):
        return f"path {path!r} does not start with '/'"
    literals: list[str] = []
    names: list[str] = []
    at = 0
    for found in _TEMPLATE.finditer(path):
        literals.append(path[at : found.start()])
        name = found.group(1)
        if not name or "/" in name:
            return f"path {path!r} has an empty or invalid template expression"
        names.append(name)
        at = found.end()
    literals.append(path[at:])
    if any("{" in text or "}" in text for text in literals):
        return f"path {path!r} has an unbalanced '{{' or '}}'"
    return Template(tuple(literals), tuple(names))


def path_match(base: str, template: Template) -> PathMatch | str:
    """The match of ``template`` served under ``base``, or why there can be none."""
    literals = list(template.literals)
    literals[0] = base + literals[0]
    if not template.names:
        problem = literal_problem(literals[0])
        return problem if problem is not None else PathMatch("Exact", literals[0])
    joined = "x".join(literals)  # a stand-in value checks the literal text as one path
    problem = literal_problem(joined)
    if problem is not None:
        return problem.replace(repr(joined), repr("{…}".join(literals)))
    pattern = SEGMENT.join(_escaped(text) for text in literals)
    return PathMatch("RegularExpression", pattern)


def _escaped(text: str) -> str:
    """``text`` as a regular expression matching itself (RE2 and PCRE): of the characters a
    path may hold, only these are special."""
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(), text)
