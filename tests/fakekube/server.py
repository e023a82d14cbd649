"""An in-process Kubernetes API server that speaks enough of the real protocol for a client.

No real kube-apiserver can run on the machines the tests run on (no container runtime, no
apiserver binaries), so the cluster code is tested against this: the real ``kubernetes`` client
(and even ``kubectl``) talks to it over HTTP(S) on 127.0.0.1 as it would to a cluster.

What it implements, as the apiserver does:

* ``/version`` and discovery: ``/api``, ``/api/v1``, ``/apis``, ``/apis/<g>``, ``/apis/<g>/<v>``;
* LIST (namespaced and cluster-wide) and GET for core and group resources; built-in kinds
  lose ``apiVersion``/``kind`` on list items (as typed lists do), custom resources keep them;
* ``limit``/``continue`` over a snapshot pinned to the first page's ``resourceVersion``, an
  opaque base64 token, ``remainingItemCount``; objects are kept with their history (MVCC), so
  writes between pages do not show up in later pages of the same list;
* ``410 Expired`` (with a fresh token in the Status) for tokens older than :meth:`compact`;
* ``404 NotFound`` Status for resources, groups and objects that do not exist;
* bearer-token authentication (401) and per-resource/namespace refusal (403);
* TLS with a certificate from :mod:`tests.fakekube.tls`;
* a request log for assertions, and hooks that run before each request;
* scripted answers for what a real server (or a proxy in front of it) does under stress:
  :meth:`FakeKube.throttle` answers 429/5xx with ``Retry-After`` as the apiserver's priority and
  fairness does, :meth:`FakeKube.drip` sends an answer one byte at a time, :meth:`FakeKube.reply`
  sends a body of the test's choosing (see :class:`Reply` and :meth:`FakeKube.intercept`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.fakekube.tls import TLSMaterial

JSON = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A kind the fake serves."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    builtin: bool = True
    """Built-in kinds (not CRDs) come without apiVersion/kind on list items."""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def crd(self) -> Resource:
        return Resource(self.group, self.version, self.plural, self.kind, self.namespaced, False)


BUILTIN_RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "Namespace", namespaced=False),
    Resource("", "v1", "services", "Service"),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "configmaps", "ConfigMap"),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress"),
    Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
)


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    user_agent: str | None
    status: int = 0


@dataclass(frozen=True)
class Reply:
    """An answer a test scripts in place of (or on top of) the fake's own."""

    status: int | None = None
    """The HTTP status; None: the fake's own."""
    body: JSON | bytes | None = None
    """A JSON body, or raw bytes; None: the fake's own."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers (``Retry-After``, say)."""
    drip_interval: float | None = None
    """Send the answer one byte at a time, this many seconds apart (a drip-feeding server)."""
    drip_headers: bool = False
    """Drip the status line and headers too, not only the body."""


Interceptor = Callable[[RequestRecord], Reply | None]
"""Called for each request after the hooks: a :class:`Reply` to script the answer, else None."""

# Reasons and messages of the apiserver's Status for the codes :meth:`FakeKube.throttle` sends.
_THROTTLE_STATUS = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: the server is overloaded"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "the server was unable to return a response in the time allotted"),
}


_ObjectKey = tuple[str, str, str, str]  # group, plural, namespace ("" if cluster-scoped), name


@dataclass
class _Store:
    """Objects with their history, so that a list can read the state at a resourceVersion."""

    revision: int = 100
    compacted_before: int = 0
    history: dict[_ObjectKey, list[tuple[int, JSON | None]]] = field(default_factory=dict)

    def write(self, key: _ObjectKey, obj: JSON | None) -> int:
        self.revision += 1
        self.history.setdefault(key, []).append((self.revision, obj))
        return self.revision

    def current(self, key: _ObjectKey) -> JSON | None:
        versions = self.history.get(key)
        return versions[-1][1] if versions else None

    def snapshot(
        self, group: str, plural: str, namespace: str | None, revision: int
    ) -> list[tuple[str, JSON]]:
        """(storage key, object) pairs at ``revision``, in key order as etcd returns them."""
        found: list[tuple[str, JSON]] = []
        for (g, p, ns, name), versions in self.history.items():
            if g != group or p != plural or (namespace is not None and ns != namespace):
                continue
            visible = [obj for rev, obj in versions if rev <= revision]
            if visible and visible[-1] is not None:
                found.append((f"{ns}/{name}" if ns else name, visible[-1]))
        found.sort(key=lambda pair: pair[0])
        return found


class FakeKube:
    """The fake API server; use as a context manager or call :meth:`start`/:meth:`stop`."""

    def __init__(
        self,
        *,
        token: str | None = "fake-token",
        tls: TLSMaterial | None = None,
        resources: Iterable[Resource] = BUILTIN_RESOURCES,
        user: str = "system:serviceaccount:ci:reader",
    ) -> None:
        self.token = token
        self.tls = tls
        self.user = user
        self.requests: list[RequestRecord] = []
        self.hooks: list[Callable[[RequestRecord], None]] = []
        self.interceptors: list[Interceptor] = []
        self._resources: dict[tuple[str, str, str], Resource] = {}
        self._forbidden: set[tuple[str, str, str | None]] = set()
        self._store = _Store()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # ends drip-fed answers when the server stops
        for resource in resources:
            self.install(resource)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> FakeKube:
        self._stopping.clear()
        context = None
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        self._server = _Server(self, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fakekube",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the connection threads
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake API server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    # --- state ----------------------------------------------------------------------------

    def install(self, resource: Resource) -> None:
        """Serve a kind (what installing a CRD does)."""
        with self._lock:
            self._resources[(resource.group, resource.version, resource.plural)] = resource

    def install_crd(
        self, group: str, version: str, plural: str, kind: str, *, namespaced: bool = True
    ) -> Resource:
        resource = Resource(group, version, plural, kind, namespaced, builtin=False)
        self.install(resource)
        return resource

    def uninstall(self, group: str, version: str, plural: str) -> None:
        with self._lock:
            self._resources.pop((group, version, plural), None)

    def forbid(self, plural: str, group: str = "", namespace: str | None = None) -> None:
        """Answer 403 to lists of ``plural.group`` (in ``namespace``, or everywhere if None)."""
        with self._lock:
            self._forbidden.add((group, plural, namespace))

    def add(self, *objects: JSON) -> None:
        """Create or replace objects; each needs apiVersion, kind and metadata.name."""
        for obj in objects:
            self._put(obj)

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        resource = self._resource_for(api_version, kind)
        with self._lock:
            self._store.write((resource.group, resource.plural, namespace or "", name), None)

    def compact(self) -> None:
        """Forget history: every continue token issued so far now gets 410 Expired."""
        with self._lock:
            self._store.revision += 1
            self._store.compacted_before = self._store.revision

    # --- scripted answers ------------------------------------------------------------------

    def intercept(self, interceptor: Interceptor) -> None:
        """Let ``interceptor`` script the answer to requests (the first that answers wins)."""
        with self._lock:
            self.interceptors.append(interceptor)

    def throttle(
        self,
        times: int,
        *,
        status: int = 429,
        retry_after: str | None = "1",
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests (to ``path``, or any) with ``status``.

        As the apiserver's priority and fairness (429) or an overloaded server (5xx) does: a
        ``v1 Status`` body and, unless ``retry_after`` is None, a ``Retry-After`` header.
        """
        reason, message = _THROTTLE_STATUS.get(status, ("InternalError", "scripted failure"))
        _, body = _status(status, reason, message)
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        left = [times]

        def answer(request: RequestRecord) -> Reply | None:
            if (path is not None and request.path != path) or left[0] <= 0:
                return None
            left[0] -= 1
            return Reply(status, body, headers)

        self.intercept(answer)

    def drip(self, path: str | None = None, *, interval: float, headers_too: bool = False) -> None:
        """Send the answers to ``path`` (or every answer) one byte every ``interval`` seconds."""

        def answer(request: RequestRecord) -> Reply | None:
            if path is not None and request.path != path:
                return None
            return Reply(drip_interval=interval, drip_headers=headers_too)

        self.intercept(answer)

    def reply(self, path: str, body: JSON | bytes, *, status: int = 200) -> None:
        """Answer every request to ``path`` with ``body`` (a malformed list, say)."""
        self.intercept(lambda request: Reply(status, body) if request.path == path else None)

    @property
    def resource_version(self) -> int:
        return self._store.revision

    def requests_to(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _resource_for(self, api_version: str, kind: str) -> Resource:
        group, _, version = api_version.rpartition("/")
        with self._lock:
            for resource in self._resources.values():
                if (resource.group, resource.version, resource.kind) == (group, version, kind):
                    return resource
        raise KeyError(f"{kind} ({api_version}) is not installed in the fake API server")

    def _put(self, obj: JSON) -> None:
        resource = self._resource_for(obj["apiVersion"], obj["kind"])
        stored = json.loads(json.dumps(obj))  # a private copy: tests may reuse their dicts
        metadata = stored.setdefault("metadata", {})
        name = metadata["name"]
        namespace = ""
        if resource.namespaced:
            namespace = metadata.setdefault("namespace", "default")
        else:
            metadata.pop("namespace", None)
        key = (resource.group, resource.plural, namespace, name)
        with self._lock:
            previous = self._store.current(key)
            meta_previous = previous["metadata"] if previous else {}
            metadata.setdefault(
                "uid", meta_previous.get("uid") or f"uid-{len(self._store.history) + 1}"
            )
            metadata.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
            metadata["resourceVersion"] = str(self._store.revision + 1)
            self._store.write(key, stored)

    # --- answering ------------------------------------------------------------------------

    def _handle(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        split = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        record = RequestRecord(
            method, split.path, query, headers.get("authorization"), headers.get("user-agent")
        )
        for hook in list(self.hooks):
            hook(record)
        with self._lock:
            interceptors = list(self.interceptors)
        scripted = next((r for i in interceptors if (r := i(record)) is not None), Reply())
        status, body = self._answer(method, split.path, query, record.authorization)
        if scripted.status is not None:
            status = scripted.status
        if scripted.body is not None:
            body = scripted.body
        with self._lock:
            self.requests.append(
                RequestRecord(
                    method, split.path, query, record.authorization, record.user_agent, status
                )
            )
        return Reply(status, body, scripted.headers, scripted.drip_interval, scripted.drip_headers)

    def _answer(
        self, method: str, path: str, query: dict[str, str], authorization: str | None
    ) -> tuple[int, JSON]:
        if path == "/version":  # public, as on most clusters
            return 200, _VERSION
        if self.token is not None and not _bearer_matches(authorization, self.token):
            return _status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            return _status(405, "MethodNotAllowed", f"method {method} is not supported here")
        parts = [p for p in path.split("/") if p]
        with self._lock:
            if parts == ["api"]:
                return 200, self._api_versions()
            if parts == ["apis"]:
                return 200, self._group_list()
            if parts[:2] == ["api", "v1"]:
                return self._in_group_version("", "v1", parts[2:], query)
            if len(parts) == 2 and parts[0] == "apis":
                group = self._group(parts[1])
                if group is None:
                    return _not_found()
                return 200, {"kind": "APIGroup", "apiVersion": "v1", **group}
            if len(parts) >= 3 and parts[0] == "apis":
                return self._in_group_version(parts[1], parts[2], parts[3:], query)
        return _not_found()

    def _served(self) -> dict[str, dict[str, list[Resource]]]:
        groups: dict[str, dict[str, list[Resource]]] = {}
        for resource in self._resources.values():
            versions = groups.setdefault(resource.group, {})
            versions.setdefault(resource.version, []).append(resource)
        return groups

    def _api_versions(self) -> JSON:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}
            ],
        }

    def _group(self, name: str) -> JSON | None:
        versions = self._served().get(name)
        if not name or not versions:
            return None
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in sorted(versions)]
        return {"name": name, "versions": entries, "preferredVersion": entries[-1]}

    def _group_list(self) -> JSON:
        groups = [self._group(name) for name in sorted(self._served()) if name]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _in_group_version(
        self, group: str, version: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, JSON]:
        served = self._served().get(group, {}).get(version)
        if not served:
            return _not_found()
        if not rest:
            return 200, _resource_list(group, version, served)
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = self._resources.get((group, version, rest[0]))
        if resource is None or len(rest) > 2 or (namespace is not None and not resource.namespaced):
            return _not_found()
        if len(rest) == 2:
            return self._get(resource, namespace, rest[1])
        return self._list(resource, namespace, query)

    def _forbidden_for(self, resource: Resource, namespace: str | None) -> bool:
        return (resource.group, resource.plural, None) in self._forbidden or (
            namespace is not None
            and (resource.group, resource.plural, namespace) in self._forbidden
        )

    def _refuse(self, verb: str, resource: Resource, namespace: str | None) -> tuple[int, JSON]:
        name = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        message = (
            f'{name} is forbidden: User "{self.user}" cannot {verb} resource "{resource.plural}" '
            f'in API group "{resource.group}" {scope}'
        )
        return _status(
            403, "Forbidden", message, details={"group": resource.group, "kind": resource.plural}
        )

    def _get(self, resource: Resource, namespace: str | None, name: str) -> tuple[int, JSON]:
        if self._forbidden_for(resource, namespace):
            return self._refuse("get", resource, namespace)
        obj = self._store.current((resource.group, resource.plural, namespace or "", name))
        if obj is None:
            plural = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
            return _status(404, "NotFound", f'{plural} "{name}" not found')
        return 200, obj

    def _list(
        self, resource: Resource, namespace: str | None, query: dict[str, str]
    ) -> tuple[int, JSON]:
        if self._forbidden_for(resource, namespace):
            return self._refuse("list", resource, namespace)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            return _status(400, "BadRequest", "limit must be an integer")
        revision, start = self._store.revision, ""
        token = query.get("continue")
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
                revision, start = int(decoded["rv"]), str(decoded["start"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                return _status(400, "BadRequest", "continue key is not valid")
            if revision < self._store.compacted_before:
                fresh = _token(self._store.revision, start)
                return _status(410, "Expired", _EXPIRED_MESSAGE, metadata={"continue": fresh})
        pairs = [
            pair
            for pair in self._store.snapshot(resource.group, resource.plural, namespace, revision)
            if pair[0] >= start
        ]
        metadata: JSON = {"resourceVersion": str(revision)}
        if limit > 0 and len(pairs) > limit:
            # The real apiserver resumes after the last key returned: key + "\x00".
            metadata["continue"] = _token(revision, pairs[limit - 1][0] + "\x00")
            metadata["remainingItemCount"] = len(pairs) - limit
            pairs = pairs[:limit]
        items = []
        for _, obj in pairs:
            item = json.loads(json.dumps(obj))
            if resource.builtin:
                item.pop("apiVersion", None)
                item.pop("kind", None)
            items.append(item)
        return 200, {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.group_version,
            "metadata": metadata,
            "items": items,
        }

    # --- clients --------------------------------------------------------------------------

    def write_kubeconfig(
        self,
        path: Path,
        *,
        context: str = "fake",
        namespace: str | None = None,
        token: str | None = None,
        ca_pem: bytes | None = None,
        server: str | None = None,
        insecure: bool = False,
    ) -> Path:
        """A kubeconfig for this server (token and CA of the server unless given)."""
        cluster: JSON = {"server": server or self.url}
        if insecure:
            cluster["insecure-skip-tls-verify"] = True
        elif ca_pem is not None or self.tls is not None:
            pem = ca_pem if ca_pem is not None else self.tls.ca_pem  # type: ignore[union-attr]
            cluster["certificate-authority-data"] = base64.b64encode(pem).decode("ascii")
        user: JSON = {}
        if token is not None or self.token is not None:
            user["token"] = token if token is not None else self.token
        context_entry: JSON = {"cluster": "fakekube", "user": "reader"}
        if namespace is not None:
            context_entry["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fakekube", "cluster": cluster}],
            "users": [{"name": "reader", "user": user}],
            "contexts": [{"name": context, "context": context_entry}],
            "current-context": context,
            "preferences": {},
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path


def _bearer_matches(authorization: str | None, token: str) -> bool:
    # The apiserver takes the scheme in any case (the in-cluster loader sends "bearer").
    scheme, _, value = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and value == token


def _token(revision: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _resource_list(group: str, version: str, resources: list[Resource]) -> JSON:
    entries = [
        {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": ["get", "list", "watch"],
        }
        for r in sorted(resources, key=lambda r: r.plural)
    ]
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


def _status(
    code: int,
    reason: str,
    message: str,
    *,
    details: JSON | None = None,
    metadata: JSON | None = None,
) -> tuple[int, JSON]:
    body: JSON = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata or {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return code, body


def _not_found() -> tuple[int, JSON]:
    return _status(404, "NotFound", "the server could not find the requested resource")


_VERSION: JSON = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-fakekube",
    "platform": "linux/amd64",
}

_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from an apiserver
    timeout = 10  # an idle keep-alive connection ends its thread
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would
    # hold the body back ~40 ms per request.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def do_PUT(self) -> None:
        self._respond("PUT")

    def do_DELETE(self) -> None:
        self._respond("DELETE")

    def _respond(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.fake._handle(method, self.path, headers)
        assert reply.status is not None and reply.body is not None
        body = reply.body
        payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        if reply.drip_interval is not None:
            self._drip(reply, payload, reply.drip_interval)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drip(self, reply: Reply, payload: bytes, interval: float) -> None:
        """Write the answer a byte at a time until it is sent, the client goes or we stop."""
        assert reply.status is not None
        head = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}"]
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        head_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        self.close_connection = True  # whatever happens, this connection is not reused
        dripped = head_bytes + payload if reply.drip_headers else payload
        if not reply.drip_headers:
            self.wfile.write(head_bytes)
        stopping = self.server.fake._stopping
        for index in range(len(dripped)):
            if stopping.wait(interval):
                return
            self.wfile.write(dripped[index : index + 1])

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is :attr:`FakeKube.requests`."""


class _Server(ThreadingHTTPServer):
    # Connection threads are joined on close, so no thread outlives a test.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeKube, ssl_context: ssl.SSLContext | None) -> None:
        self.fake = fake
        self.ssl_context = ssl_context
        self.handshake_failures = 0
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's thread, so a client that never
        # finishes it cannot stall the accept loop.
        connection = request
        if self.ssl_context is not None:
            request.settimeout(10)
            try:
                connection = self.ssl_context.wrap_socket(request, server_side=True)
            except OSError:
                self.handshake_failures += 1
                return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            if connection is not request:
                connection.close()

    def close_connections(self) -> None:
        """Wake connection threads blocked on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown: SSLSocket.shutdown would tear down TLS state
                # another thread is reading with.
                socket.socket.shutdown(connection, socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-request are normal here; do not print tracebacks."""
