"""Snippets and WAF: ``configuration-snippet``, ``server-snippet``, ``auth-snippet``,
``modsecurity-snippet``, ``stream-snippet``, ``nginx.org/location-snippets``,
``nginx.org/server-snippets``, ModSecurity and App Protect keys — and the injection check.

Snippets are raw nginx configuration; they are never translated and never copied into the
output. Each one is a warning with ``security: true`` (``nginx-snippet``) quoting its first line,
so a reviewer sees what the controller ran. Where a line is a recognisable header directive
(``more_set_headers``, ``add_header``, ``proxy_set_header``, ``more_clear_headers``), the warning
adds a hint of the equivalent header filter, labelled as a guess.

A snippet that restricts access — ``allow`` / ``deny`` lines, ``auth_basic``, ``auth_request``,
``auth_jwt``, or ``return 401|403|444`` anywhere in it, nested blocks included — is also an
access control no emitter can carry (its text is never translated): the rules it guarded are
emitted closed (see ``ingress2gateway.converting.access``), a security error says so, and
``--access-control-fallback open`` leaves them open. A ``configuration-snippet`` or
``nginx.org/location-snippets`` guards the Ingress's own rules; a ``server-snippet`` or
``nginx.org/server-snippets`` every rule of the Ingress's hosts, whichever Ingress defines it
(the tool cannot tell which requests a nested ``location`` or ``if`` block guarded, so it closes
them all). Such lines only ever restrict: nothing in a snippet opens a route. A snippet the
controller ignored (``allow-snippet-annotations: "false"`` in its ConfigMap, canary Ingresses)
guarded nothing.

The injection check: a value of a High- or Critical-risk annotation (per the controller's own
risk levels, e.g. ``auth-url``, ``mirror-target``, ``server-alias``, ``upstream-hash-by``) that
contains a newline, ``;``, ``{``, ``}`` or ``$`` is flagged (``nginx-injection-suspect``,
``security: true``): the IngressNightmare CVEs came through exactly these values. Read-only
request variables the handlers understand as data (``$host``, ``$request_uri``, ``$remote_addr``,
``$http_<name>``, ``$cookie_<name>``…) are not flagged by themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Extension, HTTPRoute, Rule
from ingress2gateway.reporting.report import Status

from ..catalog import INGRESS_NGINX_CATALOG, NGINX_INC_CATALOG
from ._base import Ann, Run, rules_of

SNIPPETS = (
    "configuration-snippet",
    "server-snippet",
    "auth-snippet",
    "modsecurity-snippet",
    "stream-snippet",
    "nginx.org/location-snippets",
    "nginx.org/server-snippets",
)
WAF = (
    "enable-modsecurity",
    "enable-owasp-core-rules",
    "modsecurity-transaction-id",
    "appprotect.f5.com/app-protect-enable",
    "appprotect.f5.com/app-protect-policy",
    "appprotect.f5.com/app-protect-security-log-enable",
    "appprotect.f5.com/app-protect-security-log",
    "appprotect.f5.com/app-protect-security-log-destination",
    "appprotectdos.f5.com/app-protect-dos-resource",
)
_HINTS = (
    (
        re.compile(r'^\s*more_set_headers\s+["\']?([A-Za-z0-9-]+)\s*:\s*([^"\';]*)'),
        "ResponseHeaderModifier set",
    ),
    (
        re.compile(r'^\s*add_header\s+([A-Za-z0-9-]+)\s+["\']?([^"\';]*)'),
        "ResponseHeaderModifier add",
    ),
    (
        re.compile(r'^\s*proxy_set_header\s+([A-Za-z0-9-]+)\s+["\']?([^"\';]*)'),
        "RequestHeaderModifier set",
    ),
    (
        re.compile(r'^\s*more_clear_headers\s+["\']?([A-Za-z0-9-]+)()'),
        "ResponseHeaderModifier remove",
    ),
)
LOCATION_SNIPPETS = ("configuration-snippet", "nginx.org/location-snippets")
SERVER_SNIPPETS = ("server-snippet", "nginx.org/server-snippets")
_ACCESS_MODULES = ("allow", "deny")
_AUTH_DIRECTIVES = ("auth_basic", "auth_request", "auth_jwt")
_DENYING_RETURNS = ("401", "403", "444")
_SUSPECT = re.compile(r"[\n\r;{}$]")
# Annotations whose nginx variables are the documented idiom (auth-signin's redirect parameter:
# buildAuthSignURL itself writes $pass_access_scheme://$http_host$escaped_request_uri); their
# handler flags only what could inject configuration (see auth.py).
_OWN_CHECK = frozenset({"auth-signin"})
# Read-only request variables the handlers understand (substituted or dropped as data).
_KNOWN_VARIABLES = re.compile(
    r"\$(host|http_host|best_http_host|escaped_request_uri|request_uri|scheme|remote_addr|"
    r"binary_remote_addr|uri|http_[a-z0-9_]+|cookie_[a-z0-9_]+)\b"
)


def _first_line(value: str) -> str:
    for line in value.splitlines():
        if line.strip():
            text = line.strip()
            return repr(text[:100] + ("…" if len(text) > 100 else ""))
    return "''"


def hints(value: str) -> list[str]:
    found = []
    for line in value.splitlines():
        for pattern, what in _HINTS:
            match = pattern.match(line)
            if match and "$" not in match.group(2):
                detail = (
                    f"{match.group(1)}: {match.group(2).strip()}"
                    if match.group(2)
                    else match.group(1)
                )
                found.append(f"{what} {detail}")
    return found


@dataclass(eq=False)
class SnippetAccessControl(Extension):
    """Access restrictions in a snippet (``deny all;``, ``auth_basic``, ``return 403``): raw
    nginx configuration, never translated, so no emitter carries them."""

    KIND: ClassVar[str] = "snippet-access-control"
    SECURITY: ClassVar[bool] = True
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


def access_statements(value: str) -> list[str]:
    """The statements of a snippet that restrict who is answered: ``allow`` / ``deny``,
    ``auth_basic`` / ``auth_request`` / ``auth_jwt`` (not ``off``), ``return`` 401, 403 or 444
    (nginx closes the connection), at any depth. Comments are skipped."""
    text = "\n".join(line.split("#", 1)[0] for line in value.splitlines())
    found = []
    for statement in re.split(r"[;{}]", text):
        words = statement.split()
        if len(words) < 2:
            continue
        directive, first = words[0], words[1].strip("'\"")
        if (
            directive in _ACCESS_MODULES
            or (directive in _AUTH_DIRECTIVES and first != "off")
            or (directive == "return" and first in _DENYING_RETURNS)
        ):
            found.append(" ".join(words))
    return found


def _guarded_rules(run: Run, model: IngressModel, name: str) -> list[Rule]:
    """The rules a snippet of ``model`` applies to: its own (a location snippet), or every rule
    of its hosts, whichever Ingress made it (a server snippet)."""
    if name in LOCATION_SNIPPETS:
        return [rule for _, rule in rules_of(run, model)]
    found: dict[int, Rule] = {}
    for host in model.hosts():
        for other in run.models_of_host(host):
            for route, rule in rules_of(run, other):
                if _serves(route, host):
                    found.setdefault(id(rule), rule)
    return list(found.values())


def _serves(route: HTTPRoute, host: str | None) -> bool:
    return host in route.hostnames if host is not None else not route.hostnames


def _restrict(run: Run, ann: Ann, model: IngressModel, name: str, value: str) -> None:
    """Attach a :class:`SnippetAccessControl` to the rules a snippet with access restrictions
    guarded (location and server snippets; not on a canary, whose snippets the controller
    ignores)."""
    if name not in LOCATION_SNIPPETS + SERVER_SNIPPETS:
        return
    if any(model is item for item in run.canaries):
        return
    statements = access_statements(value)
    if not statements:
        return
    shown = "; ".join(statements[:3]) + ("; …" if len(statements) > 3 else "")
    control = SnippetAccessControl(
        what=f"the access restrictions of {ann.key(name)} ({shown[:200]})",
        provenance=ann.prov(name),
    )
    for rule in _guarded_rules(run, model, name):
        rule.extensions.append(control)


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    for name in SNIPPETS:
        value = ann.raw(name)
        if value is None:
            continue
        guess = hints(value)
        message = (
            f"{ann.key(name)} is raw nginx configuration and is not translated (first line: "
            f"{_first_line(value)}); review what it did and re-create it by hand"
        )
        if guess:
            message += "; guessed equivalent (check it): " + "; ".join(guess)
        if run.config.allow_snippets is False and not name.startswith("nginx.org/"):
            # The controller ConfigMap in the input says the controller dropped them.
            message += (
                " (the controller ConfigMap has allow-snippet-annotations off: it ignored it too)"
            )
            ann.notify("info", "nginx-snippet", name, message, security=True)
            ann.record(
                name, Status.IGNORED, "the controller ignored snippets (allow-snippet-annotations)"
            )
            continue
        ann.notify("warning", "nginx-snippet", name, message, security=True)
        ann.record(name, Status.UNSUPPORTED, "raw nginx configuration is never translated")
        _restrict(run, ann, model, name, value)
    for name in WAF:
        if ann.has(name) and (
            ann.flag(name) if name.startswith("enable") or name.endswith("enable") else True
        ):
            ann.unsupported(
                name,
                "web application firewall settings have no Gateway API equivalent; the route loses that protection",
                security=True,
            )
        elif ann.has(name):
            ann.ignored([name], "turned off")
    _injection(ann, model)


def _injection(ann: Ann, model: IngressModel) -> None:
    prefix = ann.run.prefix
    for key in sorted(model.obj.annotations):
        value = model.obj.annotations[key]
        name = key[len(prefix) :] if key.startswith(prefix) else key
        entry = (
            INGRESS_NGINX_CATALOG.get(name)
            if key.startswith(prefix)
            else NGINX_INC_CATALOG.get(key)
        )
        if entry is None or entry.risk not in ("High", "Critical") or name in SNIPPETS:
            continue
        if name in _OWN_CHECK:
            continue
        if isinstance(value, str) and _SUSPECT.search(_KNOWN_VARIABLES.sub("", value)):
            ann.notify(
                "warning",
                "nginx-injection-suspect",
                name,
                f"{key} ({entry.risk} risk) contains a newline, ';', '{{', '}}' or '$': possible nginx "
                "configuration injection or an nginx variable with no Gateway API meaning; it is not copied",
                security=True,
            )
