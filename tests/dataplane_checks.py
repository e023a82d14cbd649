"""What no output object may hold, whatever its input: a control character anywhere, or a
header, cookie, host name or origin outside its grammar where the data plane reads one."""

from __future__ import annotations

from typing import Any

from ingress2gateway.converting import grammar

_HEADER_FILTERS = ("requestHeaderModifier", "responseHeaderModifier")


def unsafe_values(obj: Any, path: str = "") -> list[str]:
    """Every place in ``obj`` holding what must never be emitted, as ``path: why``."""
    found: list[str] = []
    pending: list[tuple[Any, str, str]] = [(obj, path, "")]
    while pending:
        value, where, key = pending.pop()
        if isinstance(value, str):
            # A tab is a control character RFC 9110 allows inside a header value; wherever it
            # is not allowed, the value's own grammar below says so.
            char = grammar.control_character(value.replace("\t", " "))
            if char is not None:
                found.append(f"{where}: control character {grammar.describe_char(char)}")
            problem = _by_key(key, value)
            if problem is not None:
                found.append(f"{where}: {problem}")
        elif isinstance(value, dict):
            found.extend(_structured(value, where))
            for child_key, child in value.items():
                pending.append((child, f"{where}.{child_key}", str(child_key)))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                pending.append((child, f"{where}[{index}]", key))
    return found


def _by_key(key: str, value: str) -> str | None:
    if key in ("hostname", "hostnames"):
        return grammar.hostname_problem(value)
    if key == "allowOrigins":
        return grammar.origin_problem(value)
    return None


def _structured(value: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    for name in _HEADER_FILTERS:
        modifier = value.get(name)
        if not isinstance(modifier, dict):
            continue
        for verb in ("set", "add"):
            for entry in modifier.get(verb) or []:
                problems += _header(entry, f"{where}.{name}.{verb}")
        for header in modifier.get("remove") or []:
            if grammar.header_name_problem(header):
                problems.append(f"{where}.{name}.remove: {header!r}")
    for key in ("headers", "queryParams"):  # matches: [{name, value, type}]
        for entry in value.get(key) or []:
            if isinstance(entry, dict) and "name" in entry:
                if entry.get("type", "Exact") == "Exact":
                    problems += _header(entry, f"{where}.{key}")
                elif grammar.header_name_problem(str(entry["name"])):
                    problems.append(f"{where}.{key}: name {entry['name']!r}")
    redirect = value.get("requestRedirect") or value.get("urlRewrite")
    if isinstance(redirect, dict):
        path = redirect.get("path") or {}
        for modifier in ("replaceFullPath", "replacePrefixMatch"):
            text = path.get(modifier)
            if text and grammar.url_path_problem(text):
                problems.append(f"{where}: redirect/rewrite path {text!r}")
    cookie = value.get("cookie")
    if isinstance(cookie, dict):
        if grammar.cookie_name_problem(str(cookie.get("name", ""))):
            problems.append(f"{where}.cookie.name")
        for attribute, text in (cookie.get("attributes") or {}).items():
            if grammar.cookie_attribute_problem(str(text)):
                problems.append(f"{where}.cookie.attributes.{attribute}: {text!r}")
    return problems


def _header(entry: Any, where: str) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: not a mapping"]
    problems = []
    name_problem = grammar.header_name_problem(str(entry.get("name", "")))
    if name_problem:
        problems.append(f"{where}: name {entry.get('name')!r} {name_problem}")
    if "value" in entry:
        value_problem = grammar.header_value_problem(str(entry["value"]))
        if value_problem:
            problems.append(f"{where}: value {entry['value']!r} {value_problem}")
    return problems
