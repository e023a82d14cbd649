"""Which Ingresses NGINX Inc serves, and which of their hosts and paths.

From NGINX Inc's ``internal/k8s``:

* **Validation** (``validation.go``, ``validateIngress``): an Ingress whose annotations or spec
  fail the controller's checks is *rejected whole* (``AddOrUpdateIngress`` leaves it out of the
  configuration): it serves nothing and takes no host. Among the checks: ``path-regex`` is one of
  ``case_sensitive``, ``case_insensitive``, ``exact`` (``"true"`` is refused); the booleans are
  Go booleans; ``http-redirect-code`` is 301, 302, 307 or 308; ``listen-ports`` lists positive
  integers; ``rewrites`` and ``*-services`` name Services of the Ingress; every rule has a host
  (unless the controller runs with ``-allow-empty-ingress-host``, off by default and new in
  2026); a master has exactly one rule and no paths, a minion one rule with paths and no TLS.
* **Hosts** (``configuration.go``, ``buildHostsAndResources``): each host belongs to one
  resource, the oldest regular or master Ingress (or VirtualServer) that names it
  (``chooseObjectMetaWinner``); another Ingress keeps its other hosts but serves nothing on
  that one. Minions give their first rule's paths to the master of their host
  (``buildMinionConfigs``), the older minion keeping a path both name; a minion without a master
  serves nothing.

The conversion leaves out what the controller did not serve, with an error (rejected) or a
warning (a host or path taken by another resource) naming the field and the winner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingress2gateway.converting.ingress import IngressModel, ServiceBackend
from ingress2gateway.objects import KubeObject

from ._base import (
    INGRESS_NGINX_PREFIX,
    NGINX_INC_CONTROLLER,
    Run,
    class_controllers,
    controller_of,
)

MERGEABLE = "nginx.org/mergeable-ingress-type"
_GO_BOOLS = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
_BOOL_KEYS = (
    "nginx.org/redirect-to-https",
    "ingress.kubernetes.io/ssl-redirect",
    "nginx.org/ssl-redirect",
    "nginx.org/proxy-buffering",
    "nginx.org/hsts",
    "nginx.org/use-cluster-ip",
)
_HSTS_KEYS = ("nginx.org/hsts-include-subdomains", "nginx.org/hsts-behind-proxy")
_TIME_KEYS = (
    "nginx.org/proxy-connect-timeout",
    "nginx.org/proxy-read-timeout",
    "nginx.org/proxy-send-timeout",
    "nginx.org/proxy-next-upstream-timeout",
    "nginx.org/fail-timeout",
)
_SERVICE_LIST_KEYS = (
    "nginx.org/websocket-services",
    "nginx.org/ssl-services",
    "nginx.org/grpc-services",
)
# parsing_helpers.go timeRegexp, an nginx time.
_TIME = re.compile(
    r"(\d+y)??\s*(\d+M)??\s*(\d+w)??\s*(\d+d)??\s*(\d+h)??\s*(\d+m)??\s*(\d+s?)??\s*(\d+ms)??"
)
_OFFSET = re.compile(r"\d+[kKmMgG]?")
_LB_METHODS = frozenset({"round_robin", "least_conn", "ip_hash", "random", "random two"})
# validation.go pathFmt (Ingress paths) and common.go pathFmt (rewrite targets, app-root).
_INGRESS_PATH = re.compile(r"/[^\s;]*")
_TARGET_PATH = re.compile(r"/[^\s{};\\]*")
_RFC1738_PATH = re.compile(r"/[A-Za-z0-9\-_.~!*'():@&=+,/?%]*")
_REWRITE_PATH = re.compile(r"/[^\s{};$]*")
_ESCAPED = re.compile(r'([^"\\]|\\.)*', re.DOTALL)
_ILLEGAL = re.compile(r"^/etc/|^/root(?:/|\Z)|^/var(?:/|\Z)|\\n|\\r\Z")
_SECRET_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def _braces(path: str) -> list[str]:
    """The contents NGINX Inc's ``\\{(.*?)\\}`` (Go, RE2) finds in ``path``, as far as a
    letter in them matters: on each line, from the first ``{`` after a ``}`` up to the next
    ``}``; found in one pass (Python's backtracking ``.*?`` is quadratic on many ``{``)."""
    contents = []
    for line in path.split("\n"):
        pieces = line.split("}")
        for piece in pieces[:-1]:
            if "{" in piece:
                contents.append(piece.split("{", 1)[1])
    return contents


@dataclass(frozen=True)
class Refusal:
    """Why NGINX Inc refuses an Ingress: the field and the controller's reason."""

    field: str
    why: str


@dataclass
class IncView:
    """NGINX Inc's view of the input's Ingresses (see the module docstring)."""

    controllers: dict[str, str | None] = field(default_factory=dict)
    """IngressClass name → its ``spec.controller``."""
    serves: set[int] = field(default_factory=set)
    """``id()`` of the Ingresses of NGINX Inc (its class, or its annotations alone)."""
    rejected: dict[int, list[Refusal]] = field(default_factory=dict)
    per_namespace: bool = False
    """``--gateway-per-namespace``: each namespace's Gateway is a server of its own, so hosts
    are owned per namespace."""
    owners: dict[tuple[str | None, str], IngressModel] = field(default_factory=dict)
    """(scope, host) → the regular or master Ingress that owns it (the scope: the namespace with
    a Gateway per namespace, else None)."""
    master_of: dict[int, IngressModel] = field(default_factory=dict)
    """``id()`` of a minion → its master."""
    path_holders: dict[tuple[int, str], IngressModel] = field(default_factory=dict)
    """(``id()`` of a minion, path) → the older minion of the same master holding the path."""
    virtual_servers: dict[tuple[str | None, str], KubeObject] = field(default_factory=dict)
    """(scope, host) → the VirtualServer older than every Ingress of the host, which owns it."""

    @classmethod
    def of(
        cls,
        objects: Iterable[KubeObject],
        models: Sequence[IngressModel],
        prefix: str,
        per_namespace: bool = False,
    ) -> IncView:
        """The view over ``models`` (oldest first, as :func:`precedence_key` orders them)."""
        controllers = class_controllers(objects)
        view = cls(controllers=controllers, per_namespace=per_namespace)
        inc = [m for m in models if controller_of(m, controllers, prefix) == NGINX_INC_CONTROLLER]
        view.serves = {id(m) for m in inc}
        for model in inc:
            refusals = refusals_of(model)
            if refusals:
                view.rejected[id(model)] = refusals
        admitted = [m for m in inc if id(m) not in view.rejected]
        oldest_vs = _oldest_virtual_servers(objects, per_namespace)
        masters: dict[tuple[str | None, str], IngressModel] = {}
        for model in admitted:
            if role(model) == "minion":
                continue
            for host in model.hosts():
                if host is None:
                    continue
                key = view.key(model.namespace, host)
                if key in view.owners or key in view.virtual_servers:
                    continue
                vs = oldest_vs.get(key)
                # chooseObjectMetaWinner: the older resource; a tie (same second) is decided by
                # the UIDs, unknown here: the Ingress, which the controller takes in first.
                if vs is not None and _created(vs) < (model.creation_timestamp or _NEVER):
                    view.virtual_servers[key] = vs
                    continue
                view.owners[key] = model
                if role(model) == "master":
                    masters[key] = model
        holders: dict[tuple[int, str], IngressModel] = {}
        for model in admitted:
            if role(model) != "minion":
                continue
            host = model.rule_hosts[0][1] if model.rule_hosts else None
            master = masters.get(view.key(model.namespace, host)) if host is not None else None
            if master is None:
                continue
            view.master_of[id(model)] = master
            for path in model.paths:
                if path.rule_index != 0:
                    continue
                holder = holders.setdefault((id(master), path.path), model)
                if holder is not model:
                    view.path_holders[(id(model), path.path)] = holder
        return view

    def is_inc(self, model: IngressModel) -> bool:
        return id(model) in self.serves

    def excluded(self, model: IngressModel) -> bool:
        """Whether NGINX Inc serves nothing of ``model``: rejected, a minion without a master,
        or an Ingress every host of which another resource owns."""
        if id(model) not in self.serves:
            return False
        if id(model) in self.rejected:
            return True
        if role(model) == "minion":
            return id(model) not in self.master_of
        hosts = [h for h in model.hosts() if h is not None]
        return not any(self.owners.get(self.key(model.namespace, h)) is model for h in hosts)

    def host_owner(self, model: IngressModel, host: str | None) -> IngressModel | None:
        """The Ingress serving ``host`` for ``model``: itself, its master, or another one."""
        if role(model) == "minion":
            return self.master_of.get(id(model))
        return self.owners.get(self.key(model.namespace, host)) if host is not None else None

    def key(self, namespace: str | None, host: str) -> tuple[str | None, str]:
        return (namespace if self.per_namespace else None, host)

    def virtual_server(self, model: IngressModel, host: str | None) -> KubeObject | None:
        """The VirtualServer that owns ``host`` instead of ``model``, if one does."""
        return self.virtual_servers.get(self.key(model.namespace, host)) if host else None


_NEVER = "\uffff"
"""The creation time of an object not created yet (no ``creationTimestamp``): the newest."""


def _created(obj: KubeObject) -> str:
    stamp = obj.metadata.get("creationTimestamp")
    return stamp if isinstance(stamp, str) and stamp else _NEVER


def _oldest_virtual_servers(
    objects: Iterable[KubeObject], per_namespace: bool
) -> dict[tuple[str | None, str], KubeObject]:
    found: dict[tuple[str | None, str], KubeObject] = {}
    for obj in objects:
        if obj.group != "k8s.nginx.org" or obj.kind != "VirtualServer":
            continue
        host = obj.spec.get("host")
        if not isinstance(host, str) or not host:
            continue
        key = (obj.namespace if per_namespace else None, host.lower())
        held = found.get(key)
        if held is None or _created(obj) < _created(held):
            found[key] = obj
    return found


def role(model: IngressModel) -> str:
    value = model.obj.annotations.get(MERGEABLE)
    return value if isinstance(value, str) else ""


def _go_int(text: str, bits: int = 64) -> int | None:
    """``strconv.ParseInt(text, 10, bits)``: an optional sign and decimal digits, nothing else."""
    if not re.fullmatch(r"[+-]?\d+", text):
        return None
    number = int(text)
    return number if -(2 ** (bits - 1)) <= number < 2 ** (bits - 1) else None


def _services(model: IngressModel) -> set[str]:
    found = {p.backend.name for p in model.paths if isinstance(p.backend, ServiceBackend)}
    if isinstance(model.default_backend, ServiceBackend):
        found.add(model.default_backend.name)
    return found


def _target_path_problem(value: str) -> str | None:
    """common.go ``validatePath``: what rewrite targets and app roots must be."""
    if not value:
        return "it is empty"
    if value.startswith("//"):
        return "protocol-relative URIs are not allowed"
    if ".." in re.split(r"[/\\]", value):
        return "'..' segments are not allowed"
    if not _TARGET_PATH.fullmatch(value):
        return "it must start with / and hold no whitespace, '{', '}', ';' or '\\'"
    return None


def _annotation_refusals(model: IngressModel) -> Iterable[tuple[str, str]]:
    """(key, why) for each annotation ``validateIngressAnnotations`` refuses."""
    values = {k: v for k, v in model.obj.annotations.items() if isinstance(v, str)}
    services = _services(model)
    if MERGEABLE in values and values[MERGEABLE] not in ("master", "minion"):
        yield MERGEABLE, f"{values[MERGEABLE]!r} is not 'master' or 'minion'"
    regex = values.get("nginx.org/path-regex")
    if regex is not None and regex not in ("case_sensitive", "case_insensitive", "exact"):
        yield (
            "nginx.org/path-regex",
            f"{regex!r} is not one of 'case_sensitive', 'case_insensitive' or 'exact'",
        )
    for key in _BOOL_KEYS:
        if key in values and values[key] not in _GO_BOOLS:
            yield key, f"{values[key]!r} is not a boolean"
    for key in (*_HSTS_KEYS, "nginx.org/hsts-max-age"):
        if key not in values:
            continue
        if values.get("nginx.org/hsts") not in _GO_BOOLS:
            yield key, "the related annotation nginx.org/hsts must be set to a boolean"
        elif key == "nginx.org/hsts-max-age" and _go_int(values[key]) is None:
            yield key, f"{values[key]!r} is not an integer"
        elif key != "nginx.org/hsts-max-age" and values[key] not in _GO_BOOLS:
            yield key, f"{values[key]!r} is not a boolean"
    code = values.get("nginx.org/http-redirect-code")
    if code is not None and (_go_int(code) not in (301, 302, 307, 308)):
        yield "nginx.org/http-redirect-code", f"{code!r} is not 301, 302, 307 or 308"
    for key in ("nginx.org/listen-ports", "nginx.org/listen-ports-ssl"):
        if key in values:
            ports = [_go_int(item, 32) for item in values[key].split(",")]
            if not values[key] or any(p is None or p <= 0 for p in ports):
                yield key, f"{values[key]!r} is not a comma-separated list of port numbers"
    for key in _TIME_KEYS:
        # (Bounded: a time is a few units; the pattern backtracks on long hostile text.)
        if key in values and (
            not values[key].strip() or len(values[key]) > 64 or not _TIME.fullmatch(values[key])
        ):
            yield key, f"{values[key]!r} is not an nginx time"
    size = values.get("nginx.org/client-max-body-size")
    if size is not None and not _OFFSET.fullmatch(size):
        yield "nginx.org/client-max-body-size", f"{size!r} is not an nginx size"
    method = values.get("nginx.org/lb-method")
    if method is not None and not (
        method.strip() in _LB_METHODS or method.strip().startswith("hash")
    ):
        yield "nginx.org/lb-method", f"{method!r} is not a load-balancing method"
    secret = values.get("nginx.org/basic-auth-secret")
    if secret is not None and not _SECRET_NAME.fullmatch(secret):
        yield "nginx.org/basic-auth-secret", f"{secret!r} is not a Secret name"
    for key in _SERVICE_LIST_KEYS:
        if key in values:
            unknown = sorted(set(values[key].split(",")) - services)
            if not values[key] or unknown:
                yield key, f"names Services the Ingress does not route to: {', '.join(unknown)}"
    rewrites = values.get("nginx.org/rewrites")
    if rewrites is not None:
        yield from _rewrites_refusals(rewrites, services)
    target = values.get("nginx.org/rewrite-target")
    if target is not None:
        problem = _target_path_problem(target)
        if target.startswith(("http://", "https://")):
            problem = "absolute URLs are not allowed"
        elif problem is None and (
            any(ch in target for ch in ";{}[]|<>,^`~")
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
        ):
            problem = "it holds characters of nginx configuration"
        if problem:
            yield "nginx.org/rewrite-target", f"{target!r}: {problem}"
    root = values.get("nginx.org/app-root")
    if root is not None:
        problem = _target_path_problem(root)
        if root == "/":
            problem = "it cannot be '/'"
        elif problem is None and (
            not _RFC1738_PATH.fullmatch(root) or "~" in root or root.endswith("/")
        ):
            problem = "it holds characters nginx does not allow there, or ends with '/'"
        if problem:
            yield "nginx.org/app-root", f"{root!r}: {problem}"


def _rewrites_refusals(value: str, services: set[str]) -> Iterable[tuple[str, str]]:
    """``ParseRewriteList`` and the Services it names (``validateRewriteListAnnotation``)."""
    named = []
    for part in value.split(";"):
        pieces = part.strip().split(" ", 1)
        service = pieces[0].split("=")
        rewrite = pieces[1].split("=") if len(pieces) == 2 else []
        if (
            len(service) != 2
            or service[0] != "serviceName"
            or len(rewrite) != 2
            or rewrite[0] != "rewrite"
            or not _REWRITE_PATH.fullmatch(rewrite[1])
        ):
            yield (
                "nginx.org/rewrites",
                f"{part.strip()!r} is not 'serviceName=<svc> rewrite=<path>'",
            )
            return
        named.append(service[1])
    unknown = sorted(set(named) - services)
    if unknown:
        yield (
            "nginx.org/rewrites",
            f"names Services the Ingress does not route to: {', '.join(unknown)}",
        )


def _path_problem(path: str) -> str | None:
    """validation.go ``validatePath`` for an Ingress path."""
    if path.startswith("//"):
        return "protocol-relative URIs are not allowed"
    if ".." in re.split(r"[/\\]", path):
        return "'..' segments are not allowed"
    if not _INGRESS_PATH.fullmatch(path):
        return "it must start with / and hold no whitespace or ';'"
    try:
        re.compile(path)
    except (re.error, RecursionError, OverflowError):
        return "it is not a valid regular expression"
    if not _ESCAPED.fullmatch(path):
        return "an unescaped '\"' or a trailing '\\'"
    if any(re.search(r"[A-Za-z]", inside) for inside in _braces(path)):
        return "curly braces holding letters"
    if _ILLEGAL.search(path):
        return "it names a path the controller refuses (/etc/, /root, /var)"
    return None


def refusals_of(model: IngressModel) -> list[Refusal]:
    """Why NGINX Inc would refuse ``model`` (nothing: it is admitted)."""
    found = [
        Refusal(f"metadata.annotations[{key}]", why) for key, why in _annotation_refusals(model)
    ]
    if not model.rule_hosts:
        found.append(Refusal("spec.rules", "an Ingress needs at least one rule"))
    seen: set[str] = set()
    for index, host in model.rule_hosts:
        if host is None:
            found.append(
                Refusal(
                    f"spec.rules[{index}].host",
                    "a rule needs a host (unless the controller runs with "
                    "-allow-empty-ingress-host, off by default)",
                )
            )
        elif host in seen:
            found.append(Refusal(f"spec.rules[{index}].host", f"host {host} is there twice"))
        else:
            seen.add(host)
    for path in model.paths:
        problem = _path_problem(path.path)
        if problem:
            found.append(Refusal(f"{path.field}.path", f"path {path.path!r}: {problem}"))
        if not isinstance(path.backend, ServiceBackend):
            found.append(Refusal(f"{path.field}.backend", "resource backends are not supported"))
    kind = role(model)
    if kind == "master":
        if len(model.rule_hosts) != 1:
            found.append(Refusal("spec.rules", "a master has exactly one rule"))
        elif model.paths:
            found.append(Refusal(model.paths[0].field, "a master has no paths"))
    elif kind == "minion":
        if model.tls:
            found.append(Refusal("spec.tls", "a minion has no TLS"))
        if len(model.rule_hosts) != 1:
            found.append(Refusal("spec.rules", "a minion has exactly one rule"))
        elif not model.paths:
            found.append(Refusal("spec.rules[0].http.paths", "a minion has at least one path"))
    return found


def inc_view(run: Run) -> IncView:
    """NGINX Inc's view of the run's Ingresses (see :mod:`.inc_hosts`), made on first use."""
    if run.inc_view is None:
        run.inc_view = IncView.of(
            run.ctx.objects, run.models, run.prefix, run.ctx.options.gateway_per_namespace
        )
    return run.inc_view


def is_nginx_inc(model: IngressModel, run: Run | None = None) -> bool:
    """Whether NGINX Inc (F5) serves ``model`` (see :func:`controller_of`). Without ``run`` the
    IngressClasses of the input are not known: annotations alone decide."""
    if run is None:
        return controller_of(model, {}, INGRESS_NGINX_PREFIX) == NGINX_INC_CONTROLLER
    return inc_view(run).is_inc(model)
