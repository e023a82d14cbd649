"""``upstream-vhost``: the Host header the backend receives (a ``URLRewrite`` hostname).

ingress-nginx writes ``proxy_set_header Host "<value>"`` into every location of the Ingress
(``rootfs/etc/nginx/template/nginx.tmpl``), so nginx expands the variables of the value per
request. The template sets some of them per location, from the Ingress that made it
(``set $namespace``, ``$ingress_name``, ``$service_name``, ``$service_port`` from
``getIngressInformation`` in ``template.go``; ``$proxy_upstream_name`` and ``$proxy_host`` are the
upstream's name, ``<namespace>-<service>-<port>``): those are known for each converted rule and
are resolved rule by rule, so ``$service_name.$namespace.svc.cluster.local`` becomes each rule's
own Service host name.

``$host`` (and ``$http_host``, ``$best_http_host``: the Host the client sent) is the request's
host. Gateway API cannot put the request's host into a rewrite, so it is resolved only for a
rule whose route has a single concrete host name; on a wildcard host, the catch-all host or a
host with ``server-alias`` names it cannot be carried and the report names the rules. A value
that is only the request's host needs no rewrite at all: Envoy (and every Gateway API
implementation) forwards the client's Host unchanged, as nginx's default
``proxy_set_header Host $best_http_host`` does.

Any other variable (``$remote_addr``, ``$arg_x``, ``$http_x_forwarded_host`` …) is per request and
cannot be carried; a value that does not resolve to a host name (an IP address, a regular
expression) is reported. A port (``host:8080``) is dropped: a URLRewrite hostname has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gateway.converting.grammar import control_character, hostname_problem
from ingress2gateway.converting.ingress import IngressModel, ServiceBackend
from ingress2gateway.ir import HTTPRoute, RequestRedirect, Rule
from ingress2gateway.reporting.report import Status

from ._base import Ann, Run, routes_of, rules_of, url_rewrite

NAME = "upstream-vhost"
# nginx variable names (ngx_http_script: letters, digits, underscore), as $name or ${name}.
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")
_REQUEST_HOST = frozenset({"host", "http_host", "best_http_host"})
_PORT = re.compile(r":(\d{1,5})\Z")
# What could end the quoted nginx string or directive the value is written into.
_CONFIG_CHARS = re.compile(r"[;\"'`\s]")
# What ingress-nginx's validator of the annotation (parser.IsValidRegex) accepts; anything
# else made the controller refuse the Ingress's annotations.
_CONTROLLER_CHARS = re.compile(r"[/\-._~a-zA-Z0-9:^$\[\](){}*+?|&=\\]*")


@dataclass(frozen=True)
class _Location:
    """What the template knows of the location a rule came from."""

    namespace: str
    ingress: str
    service: str | None
    port: str | None


def apply(run: Run) -> None:
    """Every Ingress's ``upstream-vhost``, once the routes have their final host names
    (``server-alias`` adds names, and with them a request host the rule cannot know)."""
    for model in run.models:
        ann = run.ann(model)
        value = ann.text(NAME)
        if value is not None:
            _apply(ann, run, model, value)


def _apply(ann: Ann, run: Run, model: IngressModel, value: str) -> None:
    pairs = [(route, rule) for route, rule in rules_of(run, model) if _proxies(rule)]
    injected = control_character(value) is not None or _CONFIG_CHARS.search(value) is not None
    if injected or not _CONTROLLER_CHARS.fullmatch(value):
        ann.invalid(NAME, f"{value!r} is not a host name or nginx variables", security=injected)
        return
    names = [m.group(1) or m.group(2) for m in _VARIABLE.finditer(value)]
    if names and set(names) <= _REQUEST_HOST and _VARIABLE.fullmatch(value):
        ann.converted(
            NAME,
            routes_of(pairs),
            "the backend receives the Host the client sent, as Gateway API implementations "
            "forward it unchanged (no rewrite needed)",
        )
        return
    unknown = sorted({n for n in names if n not in _REQUEST_HOST and n not in _LOCATION_VARS})
    if unknown:
        shown = ", ".join(f"${n}" for n in unknown)
        ann.unsupported(
            NAME,
            f"{value!r}: nginx expands {shown} per request; a Gateway API rewrite cannot, so the "
            "backend receives the Host the client sent",
        )
        return
    carried: dict[int, HTTPRoute] = {}
    problems: dict[str, list[str]] = {}
    dropped_port = None
    for route, rule in pairs:
        resolved, problem = _resolve(value, route, rule, model)
        if resolved is not None:
            port = _PORT.search(resolved)
            if port is not None:
                dropped_port = port.group(1)
                resolved = resolved[: port.start()]
            resolved = resolved.lower()
            problem = hostname_problem(resolved, wildcard=False)
            if problem is not None:
                problem = f"{resolved!r} {problem}"
        if problem is not None:
            problems.setdefault(problem, []).append(_label(route, rule))
            continue
        url_rewrite(rule, ann.prov(NAME)).hostname = resolved
        carried.setdefault(id(route), route)
    _record(ann, value, list(carried.values()), problems, dropped_port)


def _record(
    ann: Ann,
    value: str,
    carried: list[HTTPRoute],
    problems: dict[str, list[str]],
    dropped_port: str | None,
) -> None:
    notes = []
    if dropped_port is not None:
        notes.append(f"the port :{dropped_port} is not sent (a URLRewrite hostname has no port)")
    if problems:
        lost = "; ".join(f"{why} ({', '.join(rules)})" for why, rules in problems.items())
        message = (
            f"{value!r} cannot be carried for some rules, whose backend receives the Host the "
            f"client sent: {lost}"
        )
        if carried:
            ann.notify("warning", "annotation-unsupported", NAME, message)
            notes.append(message)
        else:
            ann.unsupported(NAME, message)
            return
    status = Status.PARTIAL if notes else Status.CONVERTED
    ann.record(NAME, status, "; ".join(notes) or None)
    ann.made_into(NAME, carried)


_LOCATION_VARS = frozenset(
    {
        "namespace",
        "ingress_name",
        "service_name",
        "service_port",
        "proxy_upstream_name",
        "proxy_host",
    }
)


def _resolve(
    value: str, route: HTTPRoute, rule: Rule, model: IngressModel
) -> tuple[str | None, str | None]:
    """``value`` with every variable replaced for this rule, or why it cannot be."""
    location = _location(rule, model)
    found: dict[str, str] = {}
    for match in _VARIABLE.finditer(value):
        name = match.group(1) or match.group(2)
        if name in _REQUEST_HOST:
            hosts = route.hostnames
            if len(hosts) != 1 or hosts[0].startswith("*."):
                return None, f"${name} is the request's host, which varies on {_hosts(hosts)}"
            found[name] = hosts[0]
        elif name in ("service_name", "service_port", "proxy_upstream_name", "proxy_host"):
            if location.service is None or location.port is None:
                return None, f"${name}: the path's backend is not a Service"
            found.update(
                service_name=location.service,
                service_port=location.port,
                proxy_upstream_name=f"{location.namespace}-{location.service}-{location.port}",
                proxy_host=f"{location.namespace}-{location.service}-{location.port}",
            )
        elif name == "namespace":
            found[name] = location.namespace
        elif name == "ingress_name":
            found[name] = location.ingress
    return _VARIABLE.sub(lambda m: found[m.group(1) or m.group(2)], value), None


def _location(rule: Rule, model: IngressModel) -> _Location:
    fields = {item.field for item in rule.provenance if item.source == model.source}
    backend = next((p.backend for p in model.paths if p.field in fields), None)
    if backend is None and model.default_backend_field in fields:
        backend = model.default_backend
    service = port = None
    if isinstance(backend, ServiceBackend):
        service = backend.name
        # The port as the Ingress writes it: a number, or the port's name (template.go).
        port = str(backend.port_number) if backend.port_number else backend.port_name
    return _Location(model.namespace or "", model.name, service, port)


def _hosts(hosts: list[str]) -> str:
    if not hosts:
        return "the catch-all host"
    if len(hosts) == 1:
        return "a wildcard host"
    return "a host with aliases"


def _proxies(rule: Rule) -> bool:
    """Whether nginx proxies the rule's requests (a redirect answers before the Host is set)."""
    return bool(rule.backend_refs) and not any(isinstance(f, RequestRedirect) for f in rule.filters)


def _label(route: HTTPRoute, rule: Rule) -> str:
    path = next((m.path.value for m in rule.matches if m.path is not None), "/")
    host = route.hostnames[0] if len(route.hostnames) == 1 else "*"
    return f"{host}{path}"
