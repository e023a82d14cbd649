"""The plan as Markdown that GitHub renders (GitHub Flavored Markdown: tables, fenced code).

Every value from the input is escaped: text gets its Markdown punctuation backslash-escaped
and ``<``, ``>``, ``&`` as entities (GitHub would drop an HTML tag, not show it); code spans
and fences are made longer than any run of backticks inside them, so an annotation value
``<script>`` or ``|`` shows as text and never ends a cell or a span early.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .words import (
    NEED_WORDS,
    STATUS_WORDS,
    STEP_WORDS,
    VIA_WORDS,
    headline,
    listener_text,
    namespace_text,
    ref_text,
    source_text,
    summary_text,
    verify_text,
)

_STATUS_MARKS = {"ready": "✅", "needs-action": "⚠️", "blocked": "⛔"}
_PUNCTUATION = re.compile(r"([\\`*_\[\]{}|~#!])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def text(value: object) -> str:
    """Plain text as Markdown: one line, punctuation escaped."""
    line = " ".join(str(value).split())
    line = _PUNCTUATION.sub(r"\\\1", line)
    line = "".join(_ENTITIES.get(c, c) for c in line)
    if line[:1] in ("-", "+", "=") or re.match(r"\d+[.)]", line):
        line = "\\" + line  # never a list item or a heading underline
    return line


def code(value: object, *, in_table: bool = False) -> str:
    """An inline code span holding ``value`` literally (one line)."""
    content = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    if content.startswith("`") or content.endswith("`") or not content.strip():
        content = f" {content} "
    span = f"{fence}{content}{fence}"
    # In a table a pipe ends the cell even inside a code span, unless escaped (GFM).
    return span.replace("|", "\\|") if in_table else span


def block(command: str) -> list[str]:
    """A fenced ``sh`` code block."""
    longest = max((len(run) for run in re.findall(r"`+", command)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}sh", command, fence]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(headers), _row(["---"] * len(headers)), *(_row(r) for r in rows)]


def render_markdown(plan: Mapping[str, Any]) -> str:
    """The plan (:meth:`~ingress2gateway.planning.model.Plan.to_json`) as Markdown."""
    lines = [
        "# Migration plan",
        "",
        text(headline(plan)),
        "",
        f"**{text(summary_text(plan['summary']))}**",
    ]
    lines += ["", "## Objects by namespace", ""]
    if not plan["namespaces"]:
        lines += ["No source routing object was converted.", ""]
    for team in plan["namespaces"]:
        lines += [f"### Namespace {code(namespace_text(team['namespace']))}", ""]
        rows = [
            [
                f"{_STATUS_MARKS[o['status']]} **{STATUS_WORDS[o['status']]}**",
                text(source_text(o["source"])),
                str(o["steps"]),
                str(o["errors"]),
                str(o["warnings"]),
                str(o["notCarried"]),
                "<br>".join(text(ref_text(r)) for r in o["routes"]) or "-",
            ]
            for o in team["objects"]
        ]
        headers = [
            "Status",
            "Object",
            "Manual steps",
            "Blocking",
            "Warnings",
            "Fields not carried",
            "Routes",
        ]
        lines += [*_table(headers, rows), ""]
    lines += ["## Checklist", ""]
    if not plan["checklist"]:
        lines += ["Nothing to do by hand.", ""]
    for number, step in enumerate(plan["checklist"], 1):
        tag = ("blocking · " if step["blocking"] else "") + STEP_WORDS[step["kind"]]
        label = f" {code(step['code'])}" if step["code"] else ""
        lines.append(f"{number}. **{text(tag)}**{label}: {text(step['message'])}  ")
        lines.append(f"   **What to do:** {text(step['action'])}  ")
        concerns = [
            text(source_text(c["source"], where=False))
            + (f" {code(c['field'])}" if c["field"] else "")
            for c in step["concerns"]
        ]
        if concerns:
            lines.append(f"   **Concerns:** {'; '.join(concerns)}")
        lines.append("")
    lines += ["## Cluster prerequisites", ""]
    if plan["prerequisites"]:
        rows = [
            [
                text(NEED_WORDS[p["need"]]),
                text(p["subject"]),
                text(p["action"]),
                "<br>".join(text(source_text(s, where=False)) for s in p["sources"]) or "-",
            ]
            for p in plan["prerequisites"]
        ]
        lines += [*_table(["Need", "What", "What to do", "Needed by"], rows), ""]
    else:
        lines += ["None found.", ""]
    lines += ["## Other tools' annotations to review", ""]
    if not plan["review"]:
        lines += ["None: every annotation was read by a selected provider.", ""]
    for group in plan["review"]:
        lines += [f"### {code(group['prefix'])}", ""]
        for item in group["annotations"]:
            value = f" = {code(item['value'])}" if item["value"] is not None else ""
            lines.append(
                f"- {text(source_text(item['source'], where=False))}: {code(item['key'])}{value}"
            )
        lines.append("")
    lines += ["## Cut-over per host", ""]
    if not plan["cutover"]:
        lines += ["No host is served by the output.", ""]
    for host in plan["cutover"]:
        lines += [f"### {code(host['host'])}", ""]
        served = "; ".join(text(listener_text(item)) for item in host["listeners"])
        routes = ", ".join(text(ref_text(r)) for r in host["routes"])
        sources = ", ".join(text(source_text(s, where=False)) for s in host["sources"]) or "-"
        lines += [f"Served by {served}, through {routes}; migrated from {sources}.", ""]
        lines += ["1. Read the Gateway's address:", ""]
        lines += ["   " + line for line in block(host["address"])]
        lines += ["", "2. Check the new path before DNS moves:", ""]
        lines += ["   " + line for line in block(host["check"])]
        lines += [
            "",
            f"3. DNS: {text(host['dns'])}.",
            f"4. Rollback: {text(host['rollback'])}.",
            "",
        ]
    verify = plan["verify"]
    lines += ["## Verification", "", text(verify_text(verify)), ""]
    if verify["unexplained"]:
        rows = [
            [text(d["request"]), text(d["source"]), text(d["migration"]), text(d["subject"] or "-")]
            for d in verify["unexplained"]
        ]
        lines += [*_table(["Request", "Source controller", "Migration", "Decided by"], rows), ""]
    lines += ["## Policies per route", ""]
    rows = []
    for item in plan["routes"]:
        route = text(ref_text(item["route"]))
        if not item["policies"]:
            rows.append([route, "-", "nothing attaches", "-"])
        for index, policy in enumerate(item["policies"]):
            missing = "" if policy["inOutput"] else " (not in the output)"
            rows.append(
                [
                    route if index == 0 else "″",
                    text(VIA_WORDS[policy["via"]]),
                    text(ref_text(policy["policy"]) + missing),
                    text(policy["target"]),
                ]
            )
    if rows:
        lines += [*_table(["Route", "Through", "Policy", "Targets"], rows), ""]
    else:
        lines += ["No route was generated.", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
