"""What ``verify`` compares: requests, and what a data plane does with each.

A :class:`Request` is what a client sends (host, path, scheme, headers...). Routing it through
a model of the source controller and through a model of Gateway API over the migrated objects
gives two :class:`Routed` answers; their :data:`Outcome` s must be the same. Every model says
what decided its answer (:class:`Cause`), so that a difference can be laid at the door of the
input object and field behind it, and matched with what the report says about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

# --- requests -------------------------------------------------------------------------------

PROTOCOLS = ("HTTP", "TLS", "TCP", "UDP")


@dataclass(frozen=True, slots=True)
class Request:
    """One request (or, for ``TLS``/``TCP``/``UDP``, one connection) a client makes.

    ``scheme`` ``https`` means TLS terminated by the gateway, with the host as SNI; ``TLS`` is a
    connection passed through by SNI. ``headers`` have lower-case names. ``grpc`` marks a gRPC
    call (a POST of ``application/grpc`` to ``/package.Service/Method``).
    """

    host: str
    path: str = "/"
    scheme: str = "http"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    query: str = ""
    port: int | None = None
    """The port connected to; None: the scheme's (80, 443)."""
    protocol: str = "HTTP"
    grpc: bool = False

    def __lt__(self, other: Request) -> bool:
        """Requests sort by their fields in order, a request on its scheme's port (``port``
        None) before one that names a port (None and a number do not compare)."""
        return self.sort_key() < other.sort_key()

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 443 if self.scheme == "https" or self.protocol == "TLS" else 80

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def cookie(self, name: str) -> str | None:
        """The value of cookie ``name`` in the ``cookie`` header, or None."""
        header = self.header("cookie")
        if header is None:
            return None
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                return value
        return None

    def sort_key(self) -> tuple[object, ...]:
        """A total order (the dataclass order fails on two requests that differ only by a port
        given (an int) and not given (None))."""
        port = -1 if self.port is None else self.port
        return (
            self.host,
            self.path,
            self.scheme,
            self.method,
            self.headers,
            self.query,
            port,
            self.protocol,
            self.grpc,
        )

    def with_headers(self, *pairs: tuple[str, str]) -> Request:
        headers = tuple((name.lower(), value) for name, value in pairs)
        return Request(
            self.host,
            self.path,
            self.scheme,
            self.method,
            self.headers + headers,
            self.query,
            self.port,
            self.protocol,
            self.grpc,
        )

    def display(self) -> str:
        """``GET https://a.example.com/x?y`` (and headers), for people."""
        if self.protocol != "HTTP":
            return f"{self.protocol} {self.host or '*'}:{self.effective_port}"
        port = "" if self.port is None else f":{self.port}"
        query = f"?{self.query}" if self.query else ""
        text = f"{'gRPC ' if self.grpc else ''}{self.method} {self.scheme}://{self.host}{port}"
        text += self.path + query
        if self.headers:
            text += " [" + ", ".join(f"{k}: {v}" for k, v in self.headers) + "]"
        return text

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "method": self.method,
            "url": f"{self.scheme}://{self.host}"
            + ("" if self.port is None else f":{self.port}")
            + self.path
            + (f"?{self.query}" if self.query else ""),
            "headers": dict(self.headers),
        }
        if self.protocol != "HTTP":
            body = {"protocol": self.protocol, "sni": self.host, "port": self.effective_port}
        if self.scheme == "https":
            body["sni"] = self.host
        if self.grpc:
            body["grpc"] = True
        return body


# --- outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Backend:
    """A Service (or another kind of backend) and the port traffic goes to."""

    namespace: str
    name: str
    port: int | str | None = None
    kind: str = "Service"

    def display(self) -> str:
        kind = "" if self.kind == "Service" else f"{self.kind} "
        port = "" if self.port is None else f":{self.port}"
        who = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{kind}{who}{port}"


@dataclass(frozen=True, slots=True)
class Forward:
    """The request reaches ``backends`` (with their shares of the traffic), as ``host`` +
    ``path``, once the ``guards`` (access controls, by kind) let it through."""

    backends: tuple[tuple[Backend, Fraction], ...]
    path: str
    host: str
    guards: tuple[str, ...] = ()

    def display(self) -> str:
        if len(self.backends) == 1:
            target = self.backends[0][0].display()
        else:
            target = ", ".join(f"{b.display()} ({float(w):.0%})" for b, w in self.backends)
        guards = f" after {', '.join(self.guards)}" if self.guards else ""
        return f"{target} sees {self.host}{self.path}{guards}"

    def to_json(self) -> dict[str, object]:
        return {
            "type": "backend",
            "backends": [
                {
                    "kind": b.kind,
                    "namespace": b.namespace,
                    "name": b.name,
                    "port": b.port,
                    "weight": float(w),
                }
                for b, w in self.backends
            ],
            "host": self.host,
            "path": self.path,
            "guards": list(self.guards),
        }


@dataclass(frozen=True, slots=True)
class Redirect:
    """The gateway answers ``status`` with ``location`` (kept in a normal form, so that two
    spellings of one URL compare equal: see :func:`normal_location`)."""

    status: int
    location: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "location", normal_location(self.location))

    def display(self) -> str:
        return f"{self.status} redirect to {self.location}"

    def to_json(self) -> dict[str, object]:
        return {"type": "redirect", "status": self.status, "location": self.location}


@dataclass(frozen=True, slots=True)
class Respond:
    """The gateway answers itself with ``status`` (an error, a denial)."""

    status: int
    why: str = field(default="", compare=False)

    def display(self) -> str:
        return f"{self.status}" + (f" ({self.why})" if self.why else "")

    def to_json(self) -> dict[str, object]:
        return {"type": "status", "status": self.status, "why": self.why}


@dataclass(frozen=True, slots=True)
class NoRoute:
    """Nothing takes the request: 404, or no listener at all on that port (``status`` 0)."""

    status: int = 404
    why: str = field(default="", compare=False)

    def display(self) -> str:
        if self.status == 0:
            return "no listener" + (f" ({self.why})" if self.why else "")
        return f"{self.status} no route" + (f" ({self.why})" if self.why else "")

    def to_json(self) -> dict[str, object]:
        return {"type": "no-route", "status": self.status, "why": self.why}


Outcome = Forward | Redirect | Respond | NoRoute

_ABSOLUTE = re.compile(r"(?i)(https?)://([^/?#:]*)(?::(\d+))?(.*)\Z", re.DOTALL)


def normal_location(location: str) -> str:
    """An absolute http(s) URL in RFC 3986's normal form: lower-case scheme and host, no
    default port, an empty path as ``/``. Anything else is left as it is."""
    match = _ABSOLUTE.match(location)
    if match is None:
        return location
    scheme, host, port, rest = match.groups()
    scheme = scheme.lower()
    if port and int(port) == {"http": 80, "https": 443}[scheme]:
        port = None
    if not rest.startswith("/"):
        rest = "/" + rest
    return f"{scheme}://{host.lower()}{':' + port if port else ''}{rest}"


def forward(
    backends: Iterable[tuple[Backend, int | Fraction]],
    path: str,
    host: str,
    guards: Iterable[str] = (),
) -> Forward | Respond:
    """A :class:`Forward` to ``backends`` by weight (shares summing to 1; backends of weight 0
    get nothing, equal backends add up), or a 500 when none has a weight."""
    shares: dict[Backend, Fraction] = {}
    for backend, weight in backends:
        if weight:
            shares[backend] = shares.get(backend, Fraction(0)) + Fraction(weight)
    total = sum(shares.values(), Fraction(0))
    if not total:
        return Respond(500, "no backend has a weight")
    ordered = tuple(sorted((b, w / total) for b, w in shares.items()))
    return Forward(ordered, path, host, tuple(sorted(set(guards))))


# --- causes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Cause:
    """An input (or output) object and the field of it that decided an outcome."""

    kind: str
    namespace: str | None
    name: str
    field: str = ""

    def display(self) -> str:
        who = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {who}" + (f" {self.field}" if self.field else "")


@dataclass(frozen=True, slots=True)
class Routed:
    """A model's answer: the outcome, and what decided it."""

    outcome: Outcome
    causes: tuple[Cause, ...] = ()


# --- the models -----------------------------------------------------------------------------


class RequestModel(Protocol):
    """Routes requests as one data plane does."""

    def route(self, request: Request) -> Routed:
        """What this data plane does with ``request``."""


class SourceModel(RequestModel, Protocol):
    """A model of a source controller over its input objects (see ``Provider.controller_model``)."""

    def requests(self) -> Iterable[Request]:
        """The requests that matter for this input: every host and path with its boundaries,
        the canary headers and cookies, and so on (a few dozen per object)."""
