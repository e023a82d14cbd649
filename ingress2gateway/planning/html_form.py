"""The plan as one self-contained HTML file: inline CSS, no script, no external URL (a
Content-Security-Policy forbids fetching anything), readable in any browser offline.

Every value is escaped with :func:`html.escape` (quotes too): the input is untrusted, and an
annotation value ``<script>`` must show as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
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

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;
margin-top:2.2rem}h3{margin-top:1.4rem}
.meta{color:#59636e}.summary{font-weight:600}
table.prerequisites td:last-child{white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.6rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#eff1f3;padding:.05rem .3rem;border-radius:4px;word-break:break-all}
h3 code{font-size:1em}
pre{background:#f6f8fa;padding:.6rem .8rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap}
.status{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-weight:600;
white-space:nowrap}
.status-ready{background:#dafbe1;color:#116329}
.status-needs-action{background:#fff1c2;color:#7d4e00}
.status-blocked{background:#ffebe9;color:#a40e26}
ol.checklist>li{margin-bottom:.9rem}
.kind{font-weight:600}.kind-blocking{color:#a40e26}
.do{margin:.15rem 0}.concerns{color:#59636e;margin:.15rem 0}
.none{color:#59636e;font-style:italic}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _code(value: object) -> str:
    return f"<code>{e(value)}</code>"


def _table(headers: Iterable[str], rows: Iterable[str], css: str = "") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cells(*cells: str, attrs: str = "") -> str:
    return f"<tr{attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render_html(plan: Mapping[str, Any]) -> str:
    """The plan (:meth:`~ingress2gateway.planning.model.Plan.to_json`) as an HTML page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Migration plan</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Migration plan</h1>",
        f'<p class="meta">{e(headline(plan))}</p>',
        f'<p class="summary" id="summary">{e(summary_text(plan["summary"]))}</p>',
    ]
    parts += _objects(plan)
    parts += _checklist(plan)
    parts += _prerequisites(plan)
    parts += _review(plan)
    parts += _cutover(plan)
    parts += _verify(plan)
    parts += _routes(plan)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _objects(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="objects"><h2>Objects by namespace</h2>']
    if not plan["namespaces"]:
        parts.append('<p class="none">No source routing object was converted.</p>')
    headers = [
        "Status",
        "Object",
        "Manual steps",
        "Blocking",
        "Warnings",
        "Fields not carried",
        "Routes",
    ]
    for team in plan["namespaces"]:
        namespace = namespace_text(team["namespace"])
        rows = []
        for o in team["objects"]:
            status = o["status"]
            badge = f'<span class="status status-{e(status)}">{e(STATUS_WORDS[status])}</span>'
            routes = "<br>".join(e(ref_text(r)) for r in o["routes"]) or "-"
            rows.append(
                _cells(
                    badge,
                    e(source_text(o["source"])),
                    e(o["steps"]),
                    e(o["errors"]),
                    e(o["warnings"]),
                    e(o["notCarried"]),
                    routes,
                    attrs=f' class="object" data-status="{e(status)}"',
                )
            )
        parts.append(f"<h3>Namespace {_code(namespace)}</h3>")
        parts.append(_table(headers, rows, "objects"))
    parts.append("</section>")
    return parts


def _checklist(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="checklist"><h2>Checklist</h2>']
    if not plan["checklist"]:
        parts.append('<p class="none">Nothing to do by hand.</p>')
    else:
        parts.append('<ol class="checklist">')
        for step in plan["checklist"]:
            blocking = step["blocking"]
            tag = ("blocking · " if blocking else "") + STEP_WORDS[step["kind"]]
            klass = "kind kind-blocking" if blocking else "kind"
            label = f" {_code(step['code'])}" if step["code"] else ""
            concerns = "; ".join(
                e(source_text(c["source"], where=False))
                + (f" {_code(c['field'])}" if c["field"] else "")
                for c in step["concerns"]
            )
            parts.append(
                f'<li class="step" data-kind="{e(step["kind"])}">'
                f'<span class="{klass}">{e(tag)}</span>{label}: {e(step["message"])}'
                f'<p class="do"><strong>What to do:</strong> {e(step["action"])}</p>'
                + (f'<p class="concerns">Concerns: {concerns}</p>' if concerns else "")
                + "</li>"
            )
        parts.append("</ol>")
    parts.append("</section>")
    return parts


def _prerequisites(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="prerequisites"><h2>Cluster prerequisites</h2>']
    if not plan["prerequisites"]:
        parts.append('<p class="none">None found.</p>')
    else:
        rows = [
            _cells(
                e(NEED_WORDS[p["need"]]),
                e(p["subject"]),
                e(p["action"]),
                "<br>".join(e(source_text(s, where=False)) for s in p["sources"]) or "-",
                attrs=f' class="prerequisite" data-need="{e(p["need"])}"',
            )
            for p in plan["prerequisites"]
        ]
        parts.append(_table(["Need", "What", "What to do", "Needed by"], rows, "prerequisites"))
    parts.append("</section>")
    return parts


def _review(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="review"><h2>Other tools\' annotations to review</h2>']
    if not plan["review"]:
        parts.append('<p class="none">None: every annotation was read by a selected provider.</p>')
    for group in plan["review"]:
        rows = [
            _cells(
                e(source_text(item["source"], where=False)),
                _code(item["key"]),
                _code(item["value"]) if item["value"] is not None else "-",
                attrs=' class="annotation"',
            )
            for item in group["annotations"]
        ]
        parts.append(f"<h3>{_code(group['prefix'])}</h3>")
        parts.append(_table(["Object", "Annotation", "Value"], rows))
    parts.append("</section>")
    return parts


def _cutover(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="cutover"><h2>Cut-over per host</h2>']
    if not plan["cutover"]:
        parts.append('<p class="none">No host is served by the output.</p>')
    for host in plan["cutover"]:
        served = "; ".join(e(listener_text(item)) for item in host["listeners"])
        routes = ", ".join(e(ref_text(r)) for r in host["routes"])
        sources = ", ".join(e(source_text(s, where=False)) for s in host["sources"]) or "-"
        parts += [
            f'<div class="host" data-host="{e(host["host"])}">',
            f"<h3>{_code(host['host'])}</h3>",
            f"<p>Served by {served}, through {routes}; migrated from {sources}.</p>",
            "<ol>",
            f"<li>Read the Gateway's address:<pre>{e(host['address'])}</pre></li>",
            f"<li>Check the new path before DNS moves:<pre>{e(host['check'])}</pre></li>",
            f"<li>DNS: {e(host['dns'])}.</li>",
            f"<li>Rollback: {e(host['rollback'])}.</li>",
            "</ol></div>",
        ]
    parts.append("</section>")
    return parts


def _verify(plan: Mapping[str, Any]) -> list[str]:
    verify = plan["verify"]
    parts = ['<section id="verify"><h2>Verification</h2>', f"<p>{e(verify_text(verify))}</p>"]
    if verify["unexplained"]:
        rows = [
            _cells(
                e(d["request"]),
                e(d["source"]),
                e(d["migration"]),
                e(d["subject"] or "-"),
                attrs=' class="difference"',
            )
            for d in verify["unexplained"]
        ]
        parts.append(_table(["Request", "Source controller", "Migration", "Decided by"], rows))
    parts.append("</section>")
    return parts


def _routes(plan: Mapping[str, Any]) -> list[str]:
    parts = ['<section id="routes"><h2>Policies per route</h2>']
    rows = []
    for item in plan["routes"]:
        route = e(ref_text(item["route"]))
        policies = item["policies"]
        if not policies:
            rows.append(_cells(route, "-", '<span class="none">nothing attaches</span>', "-"))
        for index, policy in enumerate(policies):
            missing = "" if policy["inOutput"] else " (not in the output)"
            rows.append(
                _cells(
                    route if index == 0 else "",
                    e(VIA_WORDS[policy["via"]]),
                    e(ref_text(policy["policy"]) + missing),
                    e(policy["target"]),
                    attrs=f' class="attachment" data-via="{e(policy["via"])}"',
                )
            )
    if rows:
        parts.append(_table(["Route", "Through", "Policy", "Targets"], rows))
    else:
        parts.append('<p class="none">No route was generated.</p>')
    parts.append("</section>")
    return parts
