"""How an OpenAPI description routes requests, for ``verify``: written from the OpenAPI
Specification 3.0.3 / 3.1.0 and sharing nothing with the conversion.

* Where (OAS "Server Object"): a request is served by an operation's servers (the
  operation's, else its Path Item's, else the document's; none is ``/``). An absolute URL's
  scheme, host (compared case-insensitively) and port (80/443 by default) must be the
  request's; a relative URL is relative to where the document is served, taken here as any
  host over http on port 80 (the provider's documented reading). Variables take each value of
  their ``enum``, else their ``default``.
* What (OAS "Paths Object"): the request path must be the server URL's path followed by one of
  the document's paths; ``{name}`` stands for a non-empty part of one segment. "When matching
  URLs, concrete (non-templated) paths would be matched before their templated counterparts":
  a request matching a concrete path is decided by it alone; among templated ones, the one
  with most literal text (an ambiguity the specification leaves open).
* How (OAS "Path Item Object"): the operation of the request's method; a path without it
  describes nothing for that request (the API would answer 405; the description routes none).
* Security (OAS "Security Requirement Object"): an operation whose requirements admit no
  anonymous request is answered by the backend only after authentication: its answer carries
  that guard, which a gateway that does not check it must not skip.

The backend is ``openapi3.backend`` (``[ns/]name:port``), parsed here on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    Forward,
    NoRoute,
    Request,
    Routed,
)
from ingress2gateway.verification.probes import UNKNOWN_HOST

__all__ = ["OpenAPIModel", "controller_model"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "connect")
_VAR = re.compile(r"\{([^{}]*)\}")
_ABSOLUTE = re.compile(r"(?i)(https?)://([^/?#]*)(/[^?#]*)?")
_KIND = ("documents.ingress2gateway.io", "OpenAPIDocument")
_MAX_VALUES = 16


@dataclass(frozen=True)
class Server:
    scheme: str | None
    """None: relative (http, port 80, any host)."""
    host: str | None
    port: int
    base: str
    field: str = ""
    """The Server Object (``servers[1]``)."""


@dataclass
class PathEntry:
    doc: str
    path: str
    literal: str
    pattern: re.Pattern[str] | None
    """None: a concrete path."""
    operations: dict[str, tuple[tuple[Server, ...], tuple[str, ...]]] = field(default_factory=dict)
    """Method → (servers, the fields of its security requirement, empty when none)."""


class OpenAPIModel:
    def __init__(self, entries: list[PathEntry], backend: Backend, namespace: str | None) -> None:
        self.entries = entries
        self.backend = backend
        self.namespace = namespace

    def route(self, request: Request) -> Routed:
        if request.protocol != "HTTP":
            return Routed(NoRoute(0, "an API description serves HTTP only"))
        port = request.effective_port
        found: list[tuple[PathEntry, Server]] = []
        for entry in self.entries:
            for servers, _ in entry.operations.values():
                for server in servers:
                    if (
                        _serves(server, request, port)
                        and _path_of(entry, server, request.path)
                        and (entry, server) not in found
                    ):
                        found.append((entry, server))
        if not found:
            return Routed(NoRoute(404, "no path of the description"), self._near(request, port))
        # Concrete paths first, then the templated path with most literal text.
        entry = min(found, key=lambda p: (p[0].pattern is not None, -len(p[0].literal)))[0]
        causes = [Cause(_KIND[1], None, entry.doc, f"paths[{entry.path}]")]
        op = entry.operations.get(request.method.lower())
        if op is None or not any(
            _serves(s, request, port) and _path_of(entry, s, request.path) for s in op[0]
        ):
            return Routed(NoRoute(404, f"{entry.path} has no {request.method}"), tuple(causes))
        causes[0] = Cause(
            _KIND[1], None, entry.doc, f"paths[{entry.path}].{request.method.lower()}"
        )
        causes += [Cause(_KIND[1], None, entry.doc, f) for f in op[1]]
        guards = ("authentication",) if op[1] else ()
        outcome = Forward(((self.backend, _ONE),), request.path, request.host, guards)
        return Routed(outcome, tuple(causes))

    def _near(self, request: Request, port: int) -> tuple[Cause, ...]:
        """The servers named by an address that would take ``request`` if its host were
        theirs: a gateway cannot tell such a server's host from others."""
        causes: dict[Cause, None] = {}
        for entry in self.entries:
            for servers, _ in entry.operations.values():
                for server in servers:
                    if server.host is not None and _is_address(server.host):
                        anywhere = Request(server.host, request.path, request.scheme, port=port)
                        if _serves(server, anywhere, port) and _path_of(
                            entry, server, request.path
                        ):
                            causes[Cause(_KIND[1], None, entry.doc, server.field)] = None
        return tuple(causes)

    def requests(self) -> Iterator[Request]:
        for entry in self.entries:
            methods = sorted({m for e in self.entries if e.doc == entry.doc for m in e.operations})
            hosts = sorted(
                {
                    s.host
                    for e in self.entries
                    if e.doc == entry.doc
                    for servers, _ in e.operations.values()
                    for s in servers
                    if s.host is not None
                }
            )
            for method, (servers, _) in entry.operations.items():
                for server in servers:
                    yield from _requests(entry, method, server, methods)
                    if server.host is None:
                        sample = server.base + _VAR.sub("x1", entry.path)
                        for host in hosts:
                            yield Request(host, sample or "/", "http", method.upper())


def _requests(
    entry: PathEntry, method: str, server: Server, methods: Sequence[str]
) -> Iterator[Request]:
    scheme = server.scheme or "http"
    host = server.host or UNKNOWN_HOST
    default = 443 if scheme == "https" else 80
    port = None if server.port == default else server.port
    sample = server.base + _VAR.sub("x1", entry.path)
    other = "PATCH" if method != "patch" else "GET"
    for path in (sample, sample + "/", sample + "/more", sample.rstrip("/") + "x"):
        for verb in (method.upper(), other):
            yield Request(host, path or "/", scheme, verb, port=port)
    for verb in methods:
        yield Request(host, sample or "/", scheme, verb.upper(), port=port)
    if server.host:
        yield Request(UNKNOWN_HOST, sample or "/", scheme, method.upper(), port=port)


from fractions import Fraction  # noqa: E402

_ONE = Fraction(1)


def _serves(server: Server, request: Request, port: int) -> bool:
    if server.scheme is None:
        return request.scheme == "http" and port == 80
    if request.scheme != server.scheme or port != server.port:
        return False
    return server.host is None or request.host.lower() == server.host


def _path_of(entry: PathEntry, server: Server, path: str) -> bool:
    if not path.startswith(server.base):
        return False
    rest = path[len(server.base) :]
    if entry.pattern is None:
        return rest == entry.path
    return entry.pattern.fullmatch(rest) is not None


def _pattern(path: str) -> re.Pattern[str] | None:
    pieces = _VAR.split(path)
    if len(pieces) == 1:
        return None
    text = "".join(re.escape(p) if i % 2 == 0 else "[^/]+" for i, p in enumerate(pieces))
    return re.compile(text)


def _dict(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_address(host: str) -> bool:
    return re.fullmatch(r"[0-9.]+|[0-9a-f:]*:[0-9a-f:.]*", host) is not None


def _servers(value: object, where: str) -> list[Server] | None:
    """The servers a ``servers`` list describes; None when the list is absent or empty."""
    items = _list(value)
    if not items:
        return None
    found: list[Server] = []
    for index, item in enumerate(items):
        body = _dict(item)
        url = body.get("url")
        if not isinstance(url, str):
            continue
        variables = _dict(body.get("variables"))
        urls = [url]
        for name in dict.fromkeys(_VAR.findall(url)):
            spec = _dict(variables.get(name))
            values = [v for v in _list(spec.get("enum")) if isinstance(v, str)]
            if not values and isinstance(spec.get("default"), str):
                values = [spec["default"]]
            urls = [u.replace("{" + name + "}", v) for u in urls for v in values][:_MAX_VALUES]
        for text in urls:
            server = _server(text, f"{where}[{index}]")
            if server is not None and server not in found:
                found.append(server)
    return found


def _server(url: str, field: str) -> Server | None:
    if "{" in url or "?" in url or "#" in url:
        return None
    match = _ABSOLUTE.fullmatch(url)
    if match is None:
        if "://" in url or url.startswith("//"):
            return None
        base = url.rstrip("/")
        base = base if not base or base.startswith("/") else "/" + base
        return Server(None, None, 80, base, field)
    scheme, authority, path = match.group(1).lower(), match.group(2), match.group(3) or ""
    if "@" in authority:
        return None
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif ":" in authority:
        host, _, port_text = authority.rpartition(":")
    else:
        host, port_text = authority, ""
    port = int(port_text) if port_text.isdigit() else (443 if scheme == "https" else 80)
    host = host.lower().rstrip(".")
    return Server(scheme, host, port, path.rstrip("/"), field)


def _security_fields(requirements: object, where: str) -> tuple[str, ...]:
    items = _list(requirements)
    if not items or any(not _dict(item) for item in items):
        return ()
    return (where,)


def _entries(obj: KubeObject) -> list[PathEntry]:
    data = obj.data
    if not (isinstance(data.get("openapi"), str) and str(data["openapi"]).startswith("3.")):
        return []
    doc_servers = _servers(data.get("servers"), "servers") or [Server(None, None, 80, "")]
    doc_security = _security_fields(data.get("security"), "security")
    components = _dict(data.get("components"))
    entries: list[PathEntry] = []
    for path, item in _dict(data.get("paths")).items():
        if not isinstance(path, str) or not path.startswith("/"):
            continue
        body = _dict(item)
        ref = body.get("$ref")
        if isinstance(ref, str):
            prefix = "#/components/pathItems/"
            target = _dict(_dict(components.get("pathItems")).get(ref[len(prefix) :]))
            if not ref.startswith(prefix) or not target:
                continue
            body = {**target, **{k: v for k, v in body.items() if k != "$ref"}}
        entry = PathEntry(obj.name or "", path, "".join(_VAR.split(path)[::2]), _pattern(path))
        item_servers = _servers(body.get("servers"), f"paths[{path}].servers") or doc_servers
        for method in _METHODS:
            op = body.get(method)
            if not isinstance(op, dict):
                continue
            servers = _servers(op.get("servers"), f"paths[{path}].{method}.servers") or item_servers
            where = f"paths[{path}].{method}.security"
            security = _security_fields(op["security"], where) if "security" in op else doc_security
            entry.operations[method] = (tuple(servers), security)
        entries.append(entry)
    return entries


def _backend(text: str | None, namespace: str | None) -> Backend:
    if text:
        ns, _, rest = text.rpartition("/")
        name, _, port = rest.partition(":")
        if name and port.isdigit():
            return Backend(ns or namespace or "default", name, int(port))
    return Backend(namespace or "default", "(no backend given)")


def controller_model(
    objects: Sequence[KubeObject], provider_options: Mapping[str, str], options: ConvertOptions
) -> OpenAPIModel | None:
    documents = [o for o in objects if (o.group, o.kind) == _KIND]
    if not documents:
        return None
    entries = [entry for obj in documents for entry in _entries(obj)]
    namespace = options.gateway_namespace
    return OpenAPIModel(entries, _backend(provider_options.get("backend"), namespace), namespace)
