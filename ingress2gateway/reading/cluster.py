"""Read the objects providers need from a live cluster, the way ``kubectl get`` would.

This is the only module that imports :mod:`kubernetes`, and it does so inside functions:
importing the client costs about 0.3 s, which file-only runs should not pay.

Objects are read as raw JSON (``_preload_content=False``): the client's models rename fields
(``ingress_class_name``), and providers work on the manifest wire format. Every failure of the
client becomes a one-line :class:`~ingress2gateway.errors.ClusterError`; a kind the cluster does
not serve (a CRD that is not installed) is an info notification, not an error.

Each request behaves as kubectl's (client-go's ``rest.Request``): a 429 or 5xx answer that
carries ``Retry-After`` is retried after that many seconds, at most 10 times; the whole request,
retries included, must finish within ``--request-timeout``. Unlike kubectl, a request has a
deadline even without the flag (:data:`DEFAULT_REQUEST_TIMEOUT`), and a read that receives
nothing for a minute fails even with ``--request-timeout 0``: a migration run from CI must not
hang on a server that stalls or trickles its answer. docs/cluster.md cites the sources.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ingress2gateway._version import __version__
from ingress2gateway.errors import ClusterError
from ingress2gateway.objects import JSONDict, KubeObject, Origin, ResourceKind
from ingress2gateway.reporting.report import Recorder

IN_CLUSTER_CONTEXT = "in-cluster"
"""Context name reported when the service account of the Pod we run in is used."""

_SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

DEFAULT_REQUEST_TIMEOUT = 120.0
"""Seconds one request (with its retries) may take when ``--request-timeout`` is not given.

kubectl's default is no limit. Two minutes is twice the API server's own limit for a list (its
``--request-timeout`` defaults to 1m), and a page of 500 objects takes seconds on a healthy link.
"""

_RBAC_HINT = "ask your cluster admin or use a context with read access"


@dataclass(frozen=True)
class ClusterSelection:
    """Which cluster and namespaces to read; mirrors kubectl's flags."""

    kubeconfig: str | None = None
    """``--kubeconfig``; else ``$KUBECONFIG`` / ``~/.kube/config``, else the in-cluster config."""
    context: str | None = None
    """``--context``; else the kubeconfig's current context."""
    namespace: str | None = None
    """``-n/--namespace``; else the context's namespace, else ``default``."""
    all_namespaces: bool = False
    """``-A/--all-namespaces``: wins over ``namespace``, as in kubectl."""
    request_timeout: float | None = None
    """``--request-timeout`` in seconds: each request, retries included, must finish within it;
    ``0``: no limit (kubectl's meaning); None: :data:`DEFAULT_REQUEST_TIMEOUT`."""


@dataclass(frozen=True)
class RequestPolicy:
    """How each API request is bounded and retried. The defaults are the documented behaviour;
    tests shrink them so that a throttled or stalling server costs milliseconds."""

    default_timeout: float = DEFAULT_REQUEST_TIMEOUT
    """The deadline of a request when :attr:`ClusterSelection.request_timeout` is None."""
    stall_timeout: float = 60.0
    """A read that receives nothing for this long fails, even without a deadline."""
    connect_timeout: float = 10.0
    """An unreachable server fails in seconds (or sooner, if the deadline is nearer)."""
    max_retries: int = 10
    """Retries of a 429/5xx that carries ``Retry-After``, per request (client-go's default)."""
    max_retry_wait: float = 10.0
    """The longest wait before a retry, whatever ``Retry-After`` asks (client-go waits as asked,
    bounded only by the deadline; without one, a wrong header could hold us for hours)."""
    sleep: Callable[[float], None] = time.sleep
    """How to wait before a retry."""


def parse_request_timeout(text: str) -> float:
    """``--request-timeout`` as kubectl reads it: a whole number is seconds, anything else a Go
    duration (``30s``, ``1m``, ``2h``, ``1h30m``, ``1.5s``, ``250ms``); ``0`` means no limit.

    Raises ValueError with a one-line message for anything else, negative values included.
    """
    if re.fullmatch(r"[0-9]+", text):
        seconds = float(int(text))
    else:
        seconds, position = 0.0, 0
        while position < len(text):
            part = _DURATION_PART.match(text, position)
            if part is None:
                break
            seconds += float(part[1]) * _DURATION_UNITS[part[2]]
            position = part.end()
        if not text or position != len(text):
            raise ValueError(
                f"invalid duration {text!r}: give whole seconds, or a number and a unit "
                "(e.g. 1s, 2m, 3h; 0: no limit)"
            )
    if seconds > threading.TIMEOUT_MAX:
        raise ValueError(f"duration {text!r} is too long (0: no limit)")
    return seconds


# Go's time.ParseDuration, which kubectl uses for every value that is not a whole number.
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def format_duration(seconds: float) -> str:
    """``500ms``, ``5s``, ``1.5s``, ``2m``, ``1h``: a duration as kubectl's flag would take it."""
    if 0 < seconds < 1:
        return f"{seconds * 1000:.6g}ms"
    if seconds and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:.6g}s"


@dataclass
class ClusterRead:
    """What :func:`read_cluster` returns."""

    objects: list[KubeObject]
    """Raw JSON objects, ``apiVersion``/``kind`` set on each, in a deterministic order."""
    context: str
    """The context used (``in-cluster`` for a Pod's service account)."""
    namespace: str | None
    """The namespace read (``None``: all namespaces)."""


class _Deadline:
    """The deadline of one request: when it passes, the sockets the request waits on are shut
    down. urllib3's read timeout restarts with every byte received, so a server that trickles
    its answer defeats it; shutting the socket down wakes the read whatever the server does."""

    def __init__(self, seconds: float | None) -> None:
        self.expired = False
        self._expires = None if seconds is None else time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._done = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        if seconds is not None:
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def remaining(self) -> float | None:
        """Seconds left (None: no deadline)."""
        if self._expires is None:
            return None
        return max(0.0, self._expires - time.monotonic())

    def watch(self, sock: socket.socket | None) -> None:
        """Shut ``sock`` down if the deadline passes before :meth:`finish`."""
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut_down(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        if self._timer is not None:
            self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also for a TLS socket: it wakes the thread blocked
        # reading it without touching the TLS state that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watch:
    """The deadline of the request under way, for the client's connections to report to."""

    deadline: _Deadline | None = None


@contextlib.contextmanager
def _quiet_cut_answers(watch: _Watch) -> Iterator[None]:
    """Keep urllib3 from logging (with a traceback, on stderr if logging is not configured) the
    headers of an answer our deadline cut short: the error we raise says what happened."""

    def keep(record: logging.LogRecord) -> bool:
        return watch.deadline is None or not watch.deadline.expired

    logger = logging.getLogger("urllib3.connection")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _watch_connections(pool_manager: Any, watch: _Watch) -> None:
    """Have every connection of ``pool_manager`` show its socket to the current deadline when it
    waits for an answer (headers and body alike).

    urllib3 has no hook for this; a pool manager's ``pool_classes_by_scheme`` is per instance so
    that it can be changed, and a pool's ``ConnectionCls`` names the connection class it opens.
    Subclassing whatever classes are there keeps proxies (HTTP and SOCKS) working.
    """
    pool_manager.pool_classes_by_scheme = {
        scheme: type(
            f"Watched{pool_class.__name__}",
            (pool_class,),
            {"ConnectionCls": _watched(pool_class.ConnectionCls, watch)},
        )
        for scheme, pool_class in pool_manager.pool_classes_by_scheme.items()
    }


def _watched(connection_class: Any, watch: _Watch) -> Any:
    def getresponse(self: Any, *args: Any, **kwargs: Any) -> Any:
        if watch.deadline is not None:
            watch.deadline.watch(getattr(self, "sock", None))
        return connection_class.getresponse(self, *args, **kwargs)

    return type(
        f"Watched{connection_class.__name__}", (connection_class,), {"getresponse": getresponse}
    )


@dataclass
class _Connection:
    api_client: Any  # kubernetes.client.ApiClient
    context: str
    context_namespace: str | None
    server: str
    insecure: bool
    policy: RequestPolicy
    timeout: float | None
    """The deadline of each request in seconds (None: none)."""
    timeout_source: str
    """Where :attr:`timeout` comes from, for messages."""
    watch: _Watch


class _StatusError(Exception):
    """The API server answered with a non-2xx status (the body is a ``v1 Status``)."""

    def __init__(
        self, status: int, reason: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        """Seconds to wait before retrying, if the server asked for a retry as client-go
        understands it: a 429 or 5xx with ``Retry-After`` in whole seconds."""
        self.attempts = 1


class _Malformed(Exception):
    """A 2xx answer that is not what the API server sends (the message says what it is)."""


# --- configuration ------------------------------------------------------------------------


def _default_kubeconfig() -> str:
    # Read KUBECONFIG now, not at import time as the client does (kube_config.py reads it once).
    env = os.environ.get("KUBECONFIG", "")
    if env.strip(os.pathsep):
        return env
    return str(Path("~/.kube/config").expanduser())


def _existing_paths(spec: str) -> list[Path]:
    """The files of a (possibly ``:``-joined) kubeconfig spec that exist."""
    paths = [Path(p).expanduser() for p in spec.split(os.pathsep) if p]
    return [p for p in paths if p.is_file()]


def _in_cluster_available() -> bool:
    return (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST"))
        and bool(os.environ.get("KUBERNETES_SERVICE_PORT"))
        and (_SERVICE_ACCOUNT_DIR / "token").is_file()
    )


def _use_in_cluster(kubeconfig: str | None, context: str | None) -> bool:
    # As client-go does: only when nothing was asked for explicitly and no kubeconfig file exists.
    return (
        kubeconfig is None
        and context is None
        and not _existing_paths(_default_kubeconfig())
        and _in_cluster_available()
    )


def _kubeconfig_spec(kubeconfig: str | None) -> str:
    """The kubeconfig to load, or a ClusterError saying why there is none."""
    if kubeconfig is not None:
        if not Path(kubeconfig).expanduser().is_file():
            raise ClusterError(f"kubeconfig file {kubeconfig} not found")
        return kubeconfig
    spec = _default_kubeconfig()
    if not _existing_paths(spec):
        raise ClusterError(
            f"no kubeconfig found at {spec}; pass --kubeconfig, set KUBECONFIG, "
            "or run inside a Pod with a service account"
        )
    return spec


def _load_kubeconfig(spec: str, context: str | None) -> tuple[Any, str, str | None]:
    """Parse the kubeconfig: (loader, context name, context namespace)."""
    from kubernetes.config import kube_config

    # The client ships py.typed but leaves these untyped; Any keeps mypy strict elsewhere.
    merger_class: Any = kube_config.KubeConfigMerger
    loader_class: Any = kube_config.KubeConfigLoader
    try:
        merger = merger_class(spec)
        merged = merger.config
    except (TypeError, AttributeError, KeyError):
        # A YAML document that is not a mapping of clusters, contexts and users.
        raise ClusterError(f"{spec} is not a kubeconfig file") from None
    except Exception as exc:  # the loader raises YAML, OS and config errors alike
        raise ClusterError(f"cannot read kubeconfig {spec}: {_one_line(exc)}") from None
    if merged is None or not isinstance(getattr(merged, "value", None), dict):
        raise ClusterError(f"kubeconfig {spec} holds no configuration")
    names = [_node_value(node).get("name") for node in merged.value.get("contexts") or []]
    if context is None:
        context = merged.value.get("current-context") or None
        if context is None:
            raise ClusterError(f"kubeconfig {spec} has no current context; pass --context")
    if context not in names:
        raise ClusterError(f'context "{context}" not found in kubeconfig {spec}')
    try:
        loader = loader_class(config_dict=merged, active_context=context, config_base_path=None)
        namespace = _node_value(loader.current_context.get("context")).get("namespace")
    except Exception as exc:
        raise ClusterError(f"invalid kubeconfig {spec}: {_one_line(exc)}") from None
    return loader, context, namespace if isinstance(namespace, str) and namespace else None


def _node_value(node: Any) -> dict[str, Any]:
    value = getattr(node, "value", node)
    return value if isinstance(value, dict) else {}


def current_context_name(kubeconfig: str | None, context: str | None) -> str:
    """The context :func:`read_cluster` would use (``in-cluster`` inside a Pod)."""
    if _use_in_cluster(kubeconfig, context):
        return IN_CLUSTER_CONTEXT
    _, name, _ = _load_kubeconfig(_kubeconfig_spec(kubeconfig), context)
    return name


def _connect(selection: ClusterSelection, policy: RequestPolicy) -> _Connection:
    from kubernetes import client

    configuration = client.Configuration()
    if _use_in_cluster(selection.kubeconfig, selection.context):
        from kubernetes.config import incluster_config

        # The loader, not load_incluster_config(): it takes the service-account files from
        # _SERVICE_ACCOUNT_DIR, so there is one place that names them.
        loader_class: Any = incluster_config.InClusterConfigLoader
        try:
            loader_class(
                token_filename=str(_SERVICE_ACCOUNT_DIR / "token"),
                cert_filename=str(_SERVICE_ACCOUNT_DIR / "ca.crt"),
            ).load_and_set(configuration)
        except Exception as exc:
            raise ClusterError(
                f"cannot use the in-cluster configuration: {_one_line(exc)}"
            ) from None
        context, namespace = IN_CLUSTER_CONTEXT, _in_cluster_namespace()
    else:
        spec = _kubeconfig_spec(selection.kubeconfig)
        loader, context, namespace = _load_kubeconfig(spec, selection.context)
        try:
            # Without a persister the loader never writes refreshed tokens back: we only read.
            loader.load_and_set(configuration)
        except Exception as exc:
            raise ClusterError(
                f'cannot use context "{context}" of kubeconfig {spec}: {_one_line(exc)}'
            ) from None
    # One attempt per urllib3 request: its retries log a warning per retry on stderr, and kubectl
    # does not retry a refused connection either. Answers with Retry-After are retried by
    # _request, which knows the deadline (the client's own client_go_retries option sleeps as
    # long as the server asks, whatever the deadline).
    configuration.retries = 0
    api_client = client.ApiClient(configuration=configuration)
    api_client.user_agent = f"ingress2gateway/{__version__}"
    watch = _Watch()
    _watch_connections(api_client.rest_client.pool_manager, watch)
    if selection.request_timeout is None:
        timeout: float | None = policy.default_timeout
        source = "the default request timeout"
    else:
        timeout = selection.request_timeout or None
        source = f"--request-timeout {format_duration(selection.request_timeout)}"
    return _Connection(
        api_client=api_client,
        context=context,
        context_namespace=namespace,
        server=str(configuration.host),
        insecure=not configuration.verify_ssl,
        policy=policy,
        timeout=timeout,
        timeout_source=source,
        watch=watch,
    )


def _in_cluster_namespace() -> str | None:
    try:
        text = (_SERVICE_ACCOUNT_DIR / "namespace").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


# --- reading ------------------------------------------------------------------------------


def read_cluster(
    selection: ClusterSelection,
    resources: Sequence[ResourceKind],
    report: Recorder,
    *,
    progress: TextIO | None = None,
    page_size: int = 500,
    policy: RequestPolicy | None = None,
) -> ClusterRead:
    """List ``resources`` from the cluster ``selection`` points at.

    Namespaced kinds are listed in one namespace (``-n``, else the context's, else
    ``default``) or in all (``-A``); cluster-scoped kinds always cluster-wide. Kinds the
    cluster does not serve are reported (``cluster-resource-missing``) and skipped.
    ``policy`` bounds and retries each request (default: :class:`RequestPolicy`).
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    if selection.request_timeout is not None and selection.request_timeout < 0:
        raise ValueError("request_timeout must not be negative")
    kinds = list(dict.fromkeys(resources))  # the same kind asked twice is listed once
    conn = _connect(selection, policy or RequestPolicy())
    namespace = (
        None
        if selection.all_namespaces
        else selection.namespace or conn.context_namespace or "default"
    )
    bar = _Progress(progress)
    found: list[tuple[int, str, str, JSONDict]] = []  # kind index, namespace, name, object
    try:
        with warnings.catch_warnings(), _quiet_cut_answers(conn.watch):
            if conn.insecure:
                # The user chose insecure-skip-tls-verify; say it once in the report instead of
                # urllib3 warning on every request.
                import urllib3

                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                report.warning(
                    "cluster-insecure-tls",
                    f'TLS certificate verification is off for context "{conn.context}" '
                    "(insecure-skip-tls-verify): the server's identity was not checked",
                )
            served = _served_group_versions(conn, kinds)
            for index, kind in enumerate(kinds):
                if kind.group and served is not None and kind.api_version not in served:
                    _report_missing(report, kind)
                    continue
                scope = namespace if kind.namespaced else None
                try:
                    items = _list_all(conn, kind, scope, page_size, report, bar)
                except _StatusError as err:
                    if err.status == 404:
                        _report_missing(report, kind)
                        continue
                    raise _status_to_error(conn, kind, scope, err) from None
                except _Malformed as err:
                    raise ClusterError(
                        f"cluster {conn.server}: the list of {_resource_name(kind)} "
                        f"{_scope_phrase(kind, scope)} is malformed: {err}; the server (or a "
                        "proxy in front of it) does not answer as a Kubernetes API server: "
                        "check the server URL of the context"
                    ) from None
                found.extend((index, *_namespace_and_name(item), item) for item in items)
    finally:
        bar.clear()
        conn.api_client.close()

    found.sort(key=lambda entry: entry[:3])
    origin_file = f"cluster:{conn.context}"
    objects = [
        KubeObject(data, Origin(origin_file, None, document))
        for document, (*_, data) in enumerate(found)
    ]
    return ClusterRead(objects=objects, context=conn.context, namespace=namespace)


def _namespace_and_name(item: JSONDict) -> tuple[str, str]:
    metadata = item.get("metadata")
    if not isinstance(metadata, dict):
        return "", ""
    namespace, name = metadata.get("namespace"), metadata.get("name")
    return (
        namespace if isinstance(namespace, str) else "",
        name if isinstance(name, str) else "",
    )


def _report_missing(report: Recorder, kind: ResourceKind) -> None:
    report.info(
        "cluster-resource-missing",
        f"no {kind.kind} ({kind.api_version}) served by the cluster: is the CRD installed?",
    )


def _served_group_versions(conn: _Connection, kinds: Sequence[ResourceKind]) -> set[str] | None:
    """``group/version`` strings the server serves (discovery), or None if unknown.

    Asking discovery first spares a failed list call per missing CRD and tells "not
    installed" apart from a list that fails for another reason.
    """
    if not any(kind.group for kind in kinds):
        return None
    from kubernetes import client

    what = "API discovery (GET /apis)"
    try:
        body = _request(
            conn,
            lambda timeout: client.ApisApi(conn.api_client).get_api_versions(
                _preload_content=False, _request_timeout=timeout
            ),
            what,
        )
    except _StatusError as err:
        if err.status == 401:
            raise _unauthorized(conn) from None
        # A server that hides discovery still answers lists; their 404s will tell.
        return None
    except _Malformed as err:
        raise ClusterError(
            f"cluster {conn.server}: the answer to {what} is malformed: {err}; check the server "
            "URL of the context"
        ) from None
    served: set[str] = set()
    for group in body.get("groups") or []:
        if not isinstance(group, dict):
            continue
        for version in group.get("versions") or []:
            if isinstance(version, dict) and isinstance(version.get("groupVersion"), str):
                served.add(version["groupVersion"])
    return served


def _list_all(
    conn: _Connection,
    kind: ResourceKind,
    namespace: str | None,
    page_size: int,
    report: Recorder,
    bar: _Progress,
) -> list[JSONDict]:
    """Every item of one kind, page by page; restarts once if the continue token expires."""
    label = _resource_name(kind)
    what = f"listing {label} {_scope_phrase(kind, namespace)}"
    restarted = False
    while True:
        items: list[JSONDict] = []
        token: str | None = None
        page = 0
        try:
            while True:
                page += 1
                bar.show(f"Listing {label}… page {page}")
                call = _list_call(conn, kind, namespace, page_size, token)
                body = _request(conn, call, what)
                items.extend(_items_of(body, kind))
                metadata = body.get("metadata")
                next_token = metadata.get("continue") if isinstance(metadata, dict) else None
                if not isinstance(next_token, str) or not next_token:
                    return items
                token = next_token
        except _StatusError as err:
            # 410 Expired: the snapshot the token pinned was compacted away. A list restarted
            # from scratch is consistent; resuming with the fresh token in the Status would not be.
            if err.status != 410 or restarted:
                raise
            restarted = True
            report.info(
                "cluster-list-restarted",
                f"the list of {label} expired while paging (410 Expired); "
                "listed again from the start",
            )


def _list_call(
    conn: _Connection,
    kind: ResourceKind,
    namespace: str | None,
    page_size: int,
    token: str | None,
) -> Callable[[_Timeouts], Any]:
    from kubernetes import client

    options: dict[str, Any] = {
        "limit": page_size,
        "_continue": token,
        "_preload_content": False,
    }
    if kind.group:
        # CustomObjectsApi only builds /apis/<group>/<version>/... paths: right for any group.
        custom = client.CustomObjectsApi(conn.api_client)
        if namespace is not None:
            return lambda timeout: custom.list_namespaced_custom_object(
                kind.group,
                kind.version,
                namespace,
                kind.plural,
                **options,
                _request_timeout=timeout,
            )
        return lambda timeout: custom.list_cluster_custom_object(
            kind.group, kind.version, kind.plural, **options, _request_timeout=timeout
        )
    # The core group has no generic lister; its typed methods are named after the kind.
    core = client.CoreV1Api(conn.api_client)
    snake = _snake_case(kind.kind)
    if not kind.namespaced:
        method_name = f"list_{snake}"
    elif namespace is not None:
        method_name = f"list_namespaced_{snake}"
    else:
        method_name = f"list_{snake}_for_all_namespaces"
    method = getattr(core, method_name, None)
    if method is None or kind.version != "v1":
        raise ClusterError(
            f"reading {kind.kind} ({kind.api_version}) from a cluster is not supported"
        )
    if namespace is not None:
        return lambda timeout: method(namespace, **options, _request_timeout=timeout)
    return lambda timeout: method(**options, _request_timeout=timeout)


_Timeouts = tuple[float, float]
"""(connect, read) timeouts of one attempt, as the client's ``_request_timeout`` takes them."""


def _request(conn: _Connection, call: Callable[[_Timeouts], Any], what: str) -> JSONDict:
    """Run one GET as client-go does: retried after a 429/5xx that carries ``Retry-After``, the
    attempts and waits all within one deadline. Returns the decoded JSON object.

    ``what`` names the request in messages (``listing ingresses.networking.k8s.io in …``).
    """
    policy = conn.policy
    deadline = _Deadline(conn.timeout)
    conn.watch.deadline = deadline
    try:
        attempts = 0
        while True:
            attempts += 1
            try:
                return _attempt(conn, call, deadline, what)
            except _StatusError as err:
                err.attempts = attempts
                if err.retry_after is None or attempts > policy.max_retries:
                    raise
                wait = min(err.retry_after, policy.max_retry_wait)
                remaining = deadline.remaining()
                if remaining is not None and wait >= remaining:
                    raise _throttled_past_deadline(conn, what, err) from None
                policy.sleep(wait)
    finally:
        conn.watch.deadline = None
        deadline.finish()


def _attempt(
    conn: _Connection, call: Callable[[_Timeouts], Any], deadline: _Deadline, what: str
) -> JSONDict:
    import urllib3
    from kubernetes.client.exceptions import ApiException

    policy = conn.policy
    remaining = deadline.remaining()
    if remaining is not None and remaining <= 0:
        raise _timed_out(conn, what)
    # The socket timeouts catch a server that sends nothing, the deadline one that trickles.
    if remaining is None or policy.stall_timeout < remaining:
        read, read_is_deadline = policy.stall_timeout, False
    else:
        read, read_is_deadline = remaining, True
    connect = min(policy.connect_timeout, read)
    try:
        response = call((connect, read))
        try:
            raw = response.data
        finally:
            response.release_conn()
        if deadline.expired:  # the answer may have been cut anywhere, even between headers
            raise _timed_out(conn, what)
    except ApiException as exc:
        if deadline.expired:
            raise _timed_out(conn, what) from None
        if not exc.status:
            # The client wraps TLS failures as an ApiException with status 0.
            reason = _one_line(exc.reason)
            raise ClusterError(
                f"TLS handshake with the API server at {conn.server} failed: {reason}"
            ) from None
        raise _status_error(exc) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        cause = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) else exc
        if deadline.expired:
            raise _timed_out(conn, what) from None
        if isinstance(cause, urllib3.exceptions.ReadTimeoutError | TimeoutError):
            if read_is_deadline:
                raise _timed_out(conn, what) from None
            raise ClusterError(
                f"cluster {conn.server}: {what} stalled: nothing received for "
                f"{format_duration(policy.stall_timeout)}; check the network path to the API "
                "server and try again"
            ) from None
        raise _unreachable(conn, cause or exc) from None
    try:
        body = json.loads(raw)
    except ValueError:
        raise _Malformed("it is not JSON") from None
    if not isinstance(body, dict):
        raise _Malformed(f"it is {_json_type(body, array='a JSON array')}, not an object")
    return body


def _timed_out(conn: _Connection, what: str) -> ClusterError:
    assert conn.timeout is not None
    return ClusterError(
        f"cluster {conn.server}: {what} did not finish within {format_duration(conn.timeout)} "
        f"({conn.timeout_source}); pass a longer --request-timeout (0: no limit) or check the "
        "network path to the API server"
    )


def _throttled_past_deadline(conn: _Connection, what: str, err: _StatusError) -> ClusterError:
    assert err.retry_after is not None
    return ClusterError(
        f"cluster {conn.server}: {what} was answered HTTP {err.status} {err.reason} with "
        f"Retry-After {format_duration(err.retry_after)}, longer than the time left before the "
        f"deadline ({conn.timeout_source}); try again later or pass a longer --request-timeout"
    )


def _status_error(exc: Any) -> _StatusError:
    status = int(exc.status)
    reason = str(exc.reason or "")
    message = ""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        reason = str(body.get("reason") or reason)
        message = str(body.get("message") or "")
    return _StatusError(status, reason, message, _retry_after(status, exc.headers))


def _retry_after(status: int, headers: Any) -> float | None:
    """client-go's checkWait: a 429 or any 5xx with ``Retry-After`` in whole seconds (an HTTP
    date is not understood, so not retried)."""
    if status != 429 and status < 500:
        return None
    values = [str(v) for k, v in (headers or {}).items() if str(k).lower() == "retry-after"]
    if not values or not re.fullmatch(r"[0-9]+", values[0].strip()):
        return None
    return float(values[0].strip())


def _unreachable(conn: _Connection, cause: object) -> ClusterError:
    import urllib3

    if isinstance(cause, urllib3.exceptions.SSLError):
        return ClusterError(
            f"TLS handshake with the API server at {conn.server} failed: {_one_line(cause)}"
        )
    return ClusterError(f"cannot reach the API server at {conn.server}: {_one_line(cause)}")


def _unauthorized(conn: _Connection) -> ClusterError:
    return ClusterError(
        f'the API server at {conn.server} rejected the credentials of context "{conn.context}" '
        "(401 Unauthorized); log in again or use another context"
    )


def _status_to_error(
    conn: _Connection, kind: ResourceKind, namespace: str | None, err: _StatusError
) -> ClusterError:
    label = _resource_name(kind)
    where = _scope_phrase(kind, namespace)
    if err.status == 401:
        return _unauthorized(conn)
    if err.status == 403:
        return ClusterError(
            f'forbidden to list {label} {where} (needs RBAC verb "list"); {_RBAC_HINT}'
        )
    if err.status == 410:
        return ClusterError(
            f"the list of {label} {where} expired twice while paging (410 Expired); try again"
        )
    if err.attempts > 1:
        said = f" ({_one_line(err.message).rstrip('.')})" if err.message else ""
        return ClusterError(
            f"cluster {conn.server}: listing {label} {where} failed with HTTP {err.status} "
            f"{err.reason} after {err.attempts} attempts{said}; the API server is overloaded or "
            "throttling this client: try again later"
        )
    detail = f": {_one_line(err.message)}" if err.message else ""
    return ClusterError(
        f"listing {label} {where} failed with HTTP {err.status} {err.reason}{detail}"
    )


def _scope_phrase(kind: ResourceKind, namespace: str | None) -> str:
    if namespace is not None:
        return f'in namespace "{namespace}"'
    return "in all namespaces" if kind.namespaced else "at cluster scope"


def _json_type(value: object, *, array: str = "a list") -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return array
    return "an object"


def _items_of(body: JSONDict, kind: ResourceKind) -> list[JSONDict]:
    """The list's items, each with ``apiVersion``/``kind`` (typed lists leave them out).

    Anything but a list of objects in ``items`` is :class:`_Malformed`: returning nothing would
    tell the user the cluster has no such objects. ``"items": null`` is an empty list, as Go
    encodes an empty (nil) slice and client-go reads it.
    """
    api_version = body.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        api_version = kind.api_version
    list_kind = body.get("kind")
    item_kind = (
        list_kind.removesuffix("List")
        if isinstance(list_kind, str) and list_kind.endswith("List") and list_kind != "List"
        else kind.kind
    )
    if "items" not in body:
        if isinstance(list_kind, str) and list_kind.endswith("List"):
            raise _Malformed("it has no `items`")
        if isinstance(list_kind, str) and list_kind:
            raise _Malformed(f"it is a {_one_line(list_kind)[:60]}, not a list")
        raise _Malformed("it is an object without kind, not a list")
    items = body["items"]
    if items is None:
        return []
    if not isinstance(items, list):
        raise _Malformed(f"`items` is {_json_type(items)}, not a list")
    result: list[JSONDict] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Malformed(f"item {index} is {_json_type(item)}, not an object")
        # apiVersion and kind first, as kubectl prints them.
        result.append(
            {
                "apiVersion": item.get("apiVersion") or api_version,
                "kind": item.get("kind") or item_kind,
                **{k: v for k, v in item.items() if k not in ("apiVersion", "kind")},
            }
        )
    return result


def _resource_name(kind: ResourceKind) -> str:
    """``ingresses.networking.k8s.io``, as RBAC and kubectl name resources."""
    return f"{kind.plural}.{kind.group}" if kind.group else kind.plural


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _one_line(value: object) -> str:
    text = str(value)
    # urllib3 prefixes connection errors with its connection object (repr or host/port); the
    # message already names the server.
    text = re.sub(r"<[^<>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    text = re.sub(r"\b\w*Connection(?:Pool)?\(host=[^()]*\):?\s*", "", text)
    return " ".join(text.split()) or type(value).__name__


class _Progress:
    """``Listing ingresses… page 3`` on one line, redrawn with ``\\r`` and cleared at the end."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._width = 0

    def show(self, text: str) -> None:
        if self._stream is None:
            return
        padding = " " * max(0, self._width - len(text))
        self._stream.write(f"\r{text}{padding}")
        self._stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self._stream is None or not self._width:
            return
        self._stream.write("\r" + " " * self._width + "\r")
        self._stream.flush()
        self._width = 0
