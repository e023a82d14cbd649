"""Server Objects → where the API is served: scheme, host, port and base path.

A server's ``url`` may hold ``{variables}``: an ``enum`` variable stands for each of its
values (every combination is a server), any other for its ``default`` (OAS 3.0/3.1 "Server
Variable Object"). The first :data:`MAX_EXPANSIONS` combinations are converted.

* ``http://host[:port]/base`` and ``https://…``: an HTTP or HTTPS listener on the port (80 or
  443 by default) for ``host`` (lower-cased; DNS is case-insensitive). An IP address cannot be
  a listener hostname: that listener serves every host (reported).
* A relative URL (``/api/v3``, or no ``servers`` at all, which the specification reads as
  ``/``) is relative to wherever the document is served: every host, HTTP on port 80
  (reported). The Go tool writes listener hostname ``*`` there, which the CRDs refuse.
* Other schemes (``ws``, ``ftp``), user information, a query or a fragment, a host that is not
  a DNS name: the server is reported and left out.
* The URL's path is the base path of every operation served there (a trailing ``/`` dropped).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass

from ingress2gateway.reporting.report import Level, Status

from .common import Fields, as_dict, as_list, dot, sub
from .paths import literal_problem

MAX_EXPANSIONS = 16
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_URL = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?(?://(?P<authority>[^/?#]*))?(?P<path>[^?#]*)"
    r"(?P<rest>[?#].*)?",
    re.DOTALL,
)
_HOST = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_PORT = re.compile(r"[0-9]{1,5}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One server, its variables replaced."""

    scheme: str
    """``http`` or ``https``."""
    host: str | None
    """None: every host."""
    port: int
    base: str
    """The base path: ``""`` or ``/a/b`` (no trailing ``/``)."""
    field: str
    """The Server Object it came from (``servers[0]``, ``paths[/x].servers[1]``)."""


def endpoints(fields: Fields, servers: object, field: str) -> list[Endpoint]:
    """The endpoints of the Server Objects at ``field`` (an absent list is ``/``)."""
    items = as_list(servers)
    if not items:
        return [Endpoint("http", None, 80, "", field)]
    found: list[Endpoint] = []
    for index, server in enumerate(items):
        found.extend(_server(fields, server, sub(field, index)))
    return found


def _server(fields: Fields, server: object, field: str) -> list[Endpoint]:
    body = as_dict(server)
    url = body.get("url")
    if not isinstance(url, str):
        _skip(fields, field, "a server needs a url (a string)")
        return []
    fields.extensions(field, body)
    variables = as_dict(body.get("variables"))
    for name, variable in variables.items():
        fields.extensions(dot(field, f"variables[{name}]"), as_dict(variable))
    choices: list[list[str]] = []
    names: list[str] = []
    for name in dict.fromkeys(_VARIABLE.findall(url)):
        variable = as_dict(variables.get(name))
        default = variable.get("default")
        if not isinstance(default, str):
            _skip(fields, field, f"server variable {name!r} has no default (a string)")
            return []
        enum = [v for v in as_list(variable.get("enum")) if isinstance(v, str)]
        names.append(name)
        choices.append(list(dict.fromkeys(enum)) if enum else [default])
    combos = list(itertools.islice(itertools.product(*choices), MAX_EXPANSIONS + 1))
    if len(combos) > MAX_EXPANSIONS:
        combos = combos[:MAX_EXPANSIONS]
        fields.notify(
            Level.WARNING,
            "openapi3-server-variables-capped",
            field,
            f"the enum values of {url!r} make more than {MAX_EXPANSIONS} servers; the first "
            f"{MAX_EXPANSIONS} are converted",
            Status.PARTIAL,
        )
    found: list[Endpoint] = []
    for combo in combos:
        values = dict(zip(names, combo, strict=True))
        text = _substituted(url, values)
        endpoint = _parse(fields, text, url, field)
        if endpoint is not None and endpoint not in found:
            found.append(endpoint)
    if found:
        fields.record(field, Status.CONVERTED)
    return found


def _substituted(url: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), url)


def _parse(fields: Fields, text: str, url: str, field: str) -> Endpoint | None:
    shown = repr(text) if text == url else f"{text!r} (from {url!r})"
    match = _URL.fullmatch(text)
    if match is None or match.group("rest"):
        _skip(fields, field, f"server url {shown} has a query or fragment")
        return None
    scheme = (match.group("scheme") or "").lower()
    authority = match.group("authority")
    path = match.group("path")
    if scheme and scheme not in _DEFAULT_PORTS:
        _skip(fields, field, f"server url {shown}: scheme {scheme!r} is not http or https")
        return None
    base = path.rstrip("/")
    if base and not base.startswith("/"):
        base = "/" + base  # relative to the document's own location, which is unknown
    problem = literal_problem(base) if base else None
    if problem is not None:
        _skip(fields, field, f"server url {shown}: its path {problem}")
        return None
    if authority is None or not scheme:
        fields.notify(
            Level.INFO,
            "openapi3-server-relative",
            field,
            f"server url {shown} is relative: served on every host, over HTTP on port 80",
        )
        return Endpoint("http", None, 80, base, field)
    return _absolute(fields, scheme, authority, base, shown, field)


def _absolute(
    fields: Fields, scheme: str, authority: str, base: str, shown: str, field: str
) -> Endpoint | None:
    if "@" in authority:
        _skip(fields, field, f"server url {shown} holds user information")
        return None
    host, port_text = authority, ""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif ":" in authority:
        host, _, port_text = authority.rpartition(":")
    port = _DEFAULT_PORTS[scheme]
    if port_text:
        if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
            _skip(fields, field, f"server url {shown}: port {port_text!r} is not a port")
            return None
        port = int(port_text)
    host = host.lower().rstrip(".")
    if _is_ip(host):
        fields.notify(
            Level.WARNING,
            "openapi3-server-ip",
            field,
            f"server url {shown} names the address {host}: a listener hostname cannot be an "
            "address, so this listener serves every host",
        )
        return Endpoint(scheme, None, port, base, field)
    if not host or len(host) > 253 or _HOST.fullmatch(host) is None:
        _skip(fields, field, f"server url {shown}: host {host!r} is not a DNS name")
        return None
    return Endpoint(scheme, host, port, base, field)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _skip(fields: Fields, field: str, message: str) -> None:
    fields.notify(
        Level.WARNING,
        "openapi3-server-skipped",
        field,
        f"{message}; the operations it serves are not routed there",
        Status.UNSUPPORTED,
    )
