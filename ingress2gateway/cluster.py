"""Read the objects providers need from a live cluster, the way ``kubectl get`` would.

This is the only module that imports :mod:`kubernetes`, and it does so inside functions:
importing the client costs about 0.3 s, which file-only runs should not pay.

Objects are read as raw JSON (``_preload_content=False``): the client's models rename fields
(``ingress_class_name``), and providers work on the manifest wire format. Every failure of the
client becomes a one-line :class:`~ingress2gateway.errors.ClusterError`; a kind the cluster does
not serve (a CRD that is not installed) is an info notification, not an error.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ingress2gateway._version import __version__
from ingress2gateway.errors import ClusterError
from ingress2gateway.objects import JSONDict, KubeObject, Origin, ResourceKind
from ingress2gateway.report import Report

IN_CLUSTER_CONTEXT = "in-cluster"
"""Context name reported when the service account of the Pod we run in is used."""

_SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

# Connect fast (an unreachable server should fail in seconds), but let a big page take a while.
_REQUEST_TIMEOUT = (10.0, 120.0)

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


@dataclass
class ClusterRead:
    """What :func:`read_cluster` returns."""

    objects: list[KubeObject]
    """Raw JSON objects, ``apiVersion``/``kind`` set on each, in a deterministic order."""
    context: str
    """The context used (``in-cluster`` for a Pod's service account)."""
    namespace: str | None
    """The namespace read (``None``: all namespaces)."""


@dataclass
class _Connection:
    api_client: Any  # kubernetes.client.ApiClient
    context: str
    context_namespace: str | None
    server: str
    insecure: bool


class _StatusError(Exception):
    """The API server answered with a non-2xx status (the body is a ``v1 Status``)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


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


def _connect(selection: ClusterSelection) -> _Connection:
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
    # One attempt per request: urllib3's retries log a warning per retry on stderr, and kubectl
    # does not retry a refused connection either.
    configuration.retries = 0
    api_client = client.ApiClient(configuration=configuration)
    api_client.user_agent = f"ingress2gateway/{__version__}"
    return _Connection(
        api_client=api_client,
        context=context,
        context_namespace=namespace,
        server=str(configuration.host),
        insecure=not configuration.verify_ssl,
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
    report: Report,
    *,
    progress: TextIO | None = None,
    page_size: int = 500,
) -> ClusterRead:
    """List ``resources`` from the cluster ``selection`` points at.

    Namespaced kinds are listed in one namespace (``-n``, else the context's, else
    ``default``) or in all (``-A``); cluster-scoped kinds always cluster-wide. Kinds the
    cluster does not serve are reported (``cluster-resource-missing``) and skipped.
    """
    if page_size < 1:
        raise ValueError("page_size must be positive")
    kinds = list(dict.fromkeys(resources))  # the same kind asked twice is listed once
    conn = _connect(selection)
    namespace = (
        None
        if selection.all_namespaces
        else selection.namespace or conn.context_namespace or "default"
    )
    bar = _Progress(progress)
    found: list[tuple[int, str, str, JSONDict]] = []  # kind index, namespace, name, object
    try:
        with warnings.catch_warnings():
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


def _report_missing(report: Report, kind: ResourceKind) -> None:
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

    try:
        body = _request(
            conn,
            lambda: client.ApisApi(conn.api_client).get_api_versions(
                _preload_content=False, _request_timeout=_REQUEST_TIMEOUT
            ),
        )
    except _StatusError as err:
        if err.status == 401:
            raise _unauthorized(conn) from None
        # A server that hides discovery still answers lists; their 404s will tell.
        return None
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
    report: Report,
    bar: _Progress,
) -> list[JSONDict]:
    """Every item of one kind, page by page; restarts once if the continue token expires."""
    label = _resource_name(kind)
    restarted = False
    while True:
        items: list[JSONDict] = []
        token: str | None = None
        page = 0
        try:
            while True:
                page += 1
                bar.show(f"Listing {label}… page {page}")
                body = _request(conn, _list_call(conn, kind, namespace, page_size, token))
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
) -> Callable[[], Any]:
    from kubernetes import client

    options: dict[str, Any] = {
        "limit": page_size,
        "_continue": token,
        "_preload_content": False,
        "_request_timeout": _REQUEST_TIMEOUT,
    }
    if kind.group:
        # CustomObjectsApi only builds /apis/<group>/<version>/... paths: right for any group.
        custom = client.CustomObjectsApi(conn.api_client)
        if namespace is not None:
            return lambda: custom.list_namespaced_custom_object(
                kind.group, kind.version, namespace, kind.plural, **options
            )
        return lambda: custom.list_cluster_custom_object(
            kind.group, kind.version, kind.plural, **options
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
        return lambda: method(namespace, **options)
    return lambda: method(**options)


def _request(conn: _Connection, call: Callable[[], Any]) -> JSONDict:
    """Run one client call that returns a raw response; decode its JSON body."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    try:
        response = call()
        try:
            raw = response.data
        finally:
            response.release_conn()
    except ApiException as exc:
        if not exc.status:
            # The client wraps TLS failures as an ApiException with status 0.
            reason = _one_line(exc.reason)
            raise ClusterError(
                f"TLS handshake with the API server at {conn.server} failed: {reason}"
            ) from None
        raise _status_error(exc) from None
    except urllib3.exceptions.MaxRetryError as exc:
        raise _unreachable(conn, exc.reason or exc) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _unreachable(conn, exc) from None
    try:
        body = json.loads(raw)
    except ValueError:
        raise ClusterError(
            f"the API server at {conn.server} sent a response that is not JSON"
        ) from None
    if not isinstance(body, dict):
        raise ClusterError(f"the API server at {conn.server} sent an unexpected response")
    return body


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
    return _StatusError(status, reason, message)


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
    if namespace is not None:
        where = f'in namespace "{namespace}"'
    elif kind.namespaced:
        where = "in all namespaces"
    else:
        where = "at cluster scope"
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
    detail = f": {_one_line(err.message)}" if err.message else ""
    return ClusterError(
        f"listing {label} {where} failed with HTTP {err.status} {err.reason}{detail}"
    )


def _items_of(body: JSONDict, kind: ResourceKind) -> list[JSONDict]:
    """The list's items, each with ``apiVersion``/``kind`` (typed lists leave them out)."""
    api_version = body.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        api_version = kind.api_version
    list_kind = body.get("kind")
    item_kind = (
        list_kind.removesuffix("List")
        if isinstance(list_kind, str) and list_kind.endswith("List") and list_kind != "List"
        else kind.kind
    )
    items = body.get("items")
    if not isinstance(items, list):
        return []
    result: list[JSONDict] = []
    for item in items:
        if not isinstance(item, dict):
            continue
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
