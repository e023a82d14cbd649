"""What every handler shares: reading one Ingress's annotations as data, and the run's state.

Values are parsed, never spliced: a handler asks for a bool, an int, a size or a URL, and a value
that does not parse is a warning on that annotation (``nginx-annotation-invalid``) while the rest
of the Ingress converts. Helpers here also find or create the one filter of a kind on a rule, so
two annotations that both rewrite (``rewrite-target`` and ``upstream-vhost``) share one URLRewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import IngressModel, ingress_classes
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.ir import (
    Gateway,
    HeaderModifier,
    HTTPRoute,
    Listener,
    MadeOf,
    ParentRef,
    Provenance,
    RefusedControl,
    RequestRedirect,
    Route,
    Rule,
    URLRewrite,
    made_from,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Status

from .controller_config import ControllerConfig

if TYPE_CHECKING:
    from .inc_hosts import IncView

PROVIDER = "nginx"
INGRESS_NGINX_PREFIX = "nginx.ingress.kubernetes.io/"
NGINX_INC_PREFIXES = ("nginx.org/", "nginx.com/", "appprotect.f5.com/", "appprotectdos.f5.com/")
_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}
DENIED = 503
"""What ingress-nginx answers in a location denied for an invalid annotation (nginx.tmpl:
``return 503`` when ``isLocationAllowed`` is false)."""
_SIZE = re.compile(r"^\s*(\d{1,18})\s*([kKmMgG]?)\s*\Z")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_NGINX_TIME = re.compile(r"^\s*(\d{1,18})\s*(ms|s|m|h|d)?\s*\Z")
_TIME_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


@dataclass
class Run:
    """The state of one conversion, shared by the handlers."""

    ctx: ProviderContext
    prefix: str
    """The ingress-nginx annotation prefix (``nginx.ingress.kubernetes.io/`` unless changed)."""
    models: list[IngressModel]
    """Every Ingress of the provider, oldest first."""
    lowered: Lowered
    policy: IngressPolicy
    regex_hosts: dict[str | None, IngressModel] = field(default_factory=dict)
    """Hosts in ingress-nginx regex mode, with the oldest Ingress that turned it on."""
    canaries: list[IngressModel] = field(default_factory=list)
    ssl_exempt: set[int] = field(default_factory=set)
    """``id()`` of rules that keep serving HTTP on a TLS host (``ssl-redirect: "false"``)."""
    forced: dict[int, list[Provenance]] = field(default_factory=dict)
    """``id()`` of rules redirected to HTTPS even without TLS → the ``force-ssl-redirect`` field."""
    grpc_rules: set[int] = field(default_factory=set)
    """``id()`` of rules whose backend speaks gRPC (they move to a GRPCRoute)."""
    redirect_codes: dict[int, int] = field(default_factory=dict)
    """``id()`` of a rule → status of its https redirect (NGINX Inc uses 301 by default)."""
    redirects_first: set[int] = field(default_factory=set)
    """``id()`` of rules that answer with their own redirect before the HTTPS redirect runs
    (``app-root``, ``permanent-redirect``, an absolute ``rewrite-target``: nginx's rewrite
    phase comes before the controller's Lua redirect), so they answer on HTTP too."""
    root_redirects: dict[int, RequestRedirect] = field(default_factory=dict)
    """``id()`` of an Ingress → the redirect its annotations give a location ``/``: ingress-nginx
    gives the host's catch-all location the annotations of the Ingress that created the server
    (``createServers``), so its redirect answers every request no path takes."""
    passed_through: dict[str, list[Provenance]] = field(default_factory=dict)
    """Hosts whose HTTPS listener ``ssl-passthrough`` replaced by a TLS passthrough one → that
    listener's TLS fields: the host has a certificate, so nginx still redirects its plain HTTP
    requests to HTTPS (``lua_ingress.lua``, ``redirect_to_https``)."""
    said: set[tuple[str, str, int]] = field(default_factory=set)
    """(code, variant, ``id()`` of an Ingress) of notes said once per Ingress."""
    inc_rules: set[int] = field(default_factory=set)
    """``id()`` of rules NGINX Inc serves (an Ingress of its class, a VirtualServer): their
    host's HTTPS redirect is server-wide, with no exemption for ACME challenges."""
    inc_view: IncView | None = field(default=None, repr=False)
    """Which Ingresses NGINX Inc serves, and for which hosts (made once, by
    :func:`.inc_hosts.inc_view`)."""
    config: ControllerConfig = field(default_factory=ControllerConfig)
    _by_host: dict[str | None, list[IngressModel]] | None = field(default=None, repr=False)
    _routes_by_host: dict[str, list[int]] | None = field(default=None, repr=False)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    _fields: dict[str, str] = field(default_factory=dict, repr=False)
    _anns: dict[int, Ann] = field(default_factory=dict, repr=False)
    _paths: dict[tuple[SourceRef, str], str] | None = field(default=None, repr=False)

    def key(self, name: str) -> str:
        """The annotation key of ``name``: made once per name (asked millions of times at scale)."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = name if "/" in name else self.prefix + name
        return key

    def field(self, name: str) -> str:
        """The ledger field of annotation ``name``, one string shared by every entry."""
        path = self._fields.get(name)
        if path is None:
            path = self._fields[name] = f"metadata.annotations[{self.key(name)}]"
        return path

    def ann(self, model: IngressModel) -> Ann:
        """The annotations of ``model`` (one reader per Ingress, shared by every handler)."""
        found = self._anns.get(id(model))
        if found is None or found.model is not model:
            found = self._anns[id(model)] = Ann(self, model)
        return found

    def forget_readers(self) -> None:
        self._anns.clear()

    def location_paths(self, rule: Rule) -> list[str]:
        """The Ingress paths the locations behind ``rule`` were made from (``/`` for a
        default backend): what ingress-nginx compares with ``no-auth-locations`` and
        ``no-tls-redirect-locations`` (``isLocationInLocationList``)."""
        if self._paths is None:
            self._paths = {
                (model.source, path.field): path.path or "/"
                for model in self.models
                for path in model.paths
            }
            for model in self.models:
                if model.default_backend_field:
                    self._paths[(model.source, model.default_backend_field)] = "/"
        found = [
            self._paths[(item.source, item.field)]
            for item in rule.provenance
            if (item.source, item.field) in self._paths
        ]
        return list(dict.fromkeys(found))

    def models_of_host(self, host: str | None) -> list[IngressModel]:
        """The Ingresses (oldest first) with a rule for ``host``; indexed once, as handlers ask
        for every host of every Ingress."""
        if self._by_host is None:
            index: dict[str | None, list[IngressModel]] = {}
            for model in self.models:
                for name in model.hosts():
                    index.setdefault(name, []).append(model)
            self._by_host = index
        return list(self._by_host.get(host, ()))

    def routes_with_hosts(self, hosts: Iterable[str]) -> list[HTTPRoute]:
        """The lowered routes with one of ``hosts`` among their hostnames, in their order.
        Indexed once: only the per-Ingress handlers ask (for each NGINX Inc master, so a scan
        per ask was quadratic), and they add, remove and rename no route."""
        if self._routes_by_host is None:
            index: dict[str, list[int]] = {}
            for position, route in enumerate(self.lowered.routes):
                for name in route.hostnames:
                    index.setdefault(name, []).append(position)
            self._routes_by_host = index
        found = {position for host in hosts for position in self._routes_by_host.get(host, ())}
        return [self.lowered.routes[position] for position in sorted(found)]


def _name(key: str, prefix: str) -> str:
    """The name :meth:`Run.key` makes ``key`` from. (It makes only keys with a "/"; one it
    cannot make, such as ``<prefix>a/b``, stays as it is, and no handler asks for it.)"""
    rest = key[len(prefix) :] if key.startswith(prefix) else None
    return rest if rest and "/" not in rest else key


class Ann:
    """The annotations of one Ingress. ``name`` is an ingress-nginx name or an NGINX Inc key."""

    def __init__(self, run: Run, model: IngressModel) -> None:
        self.run = run
        self.model = model
        self.report = run.ctx.report
        self.values = model.obj.annotations
        # Handlers ask for ~100 names per Ingress, most absent: the values by name (an
        # ingress-nginx name without its prefix, an NGINX Inc key as it is; see Run.key), so
        # that each question is one lookup.
        self._by_name = {
            _name(key, run.prefix): value for key, value in self.values.items() if "/" in key
        }

    # --- keys ----------------------------------------------------------------------------------

    def key(self, name: str) -> str:
        return self.run.key(name)

    def field(self, name: str) -> str:
        return self.run.field(name)

    def prov(self, *names: str) -> list[Provenance]:
        return [Provenance(self.model.source, self.field(n)) for n in names if self.has(n)]

    def has(self, name: str) -> bool:
        return name in self._by_name

    def raw(self, name: str) -> str | None:
        value = self._by_name.get(name)
        return value if isinstance(value, str) else None

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        return value.strip() if value is not None and value.strip() else None

    # --- ledger and notifications --------------------------------------------------------------

    def record(
        self,
        name: str,
        status: Status,
        note: str | None = None,
    ) -> None:
        if self.has(name):
            self.report.record(
                self.model.source, self.field(name), status, note=note, provider=PROVIDER
            )

    def converted(self, name: str, into: Iterable[MadeOf], note: str | None = None) -> None:
        """The annotation is converted, into the IR elements ``into``."""
        self.record(name, Status.CONVERTED, note)
        self.made_into(name, into)

    def made_into(self, name: str, elements: Iterable[MadeOf]) -> None:
        """The annotation went into ``elements`` (the objects they become name it in the
        ledger)."""
        if self.has(name):
            made = Provenance(self.model.source, self.field(name))
            for element in elements:
                made_from(element, made)

    def notify(
        self, level: str, code: str, name: str, message: str, security: bool = False
    ) -> None:
        self.report.notify(
            _LEVELS[level],
            code,
            message,
            source=self.model.source,
            field=self.field(name) if name else None,
            provider=PROVIDER,
            security=security,
        )

    def invalid(
        self, name: str, why: str, security: bool = False, status: int | None = None
    ) -> None:
        """A value that does not parse: warn, and the annotation is not converted. With
        ``security`` (an access control, or a value that smells of injection) the Ingress's
        rules are denied: see :meth:`deny` (``status``: what the controller answered)."""
        message = f"{self.key(name)}: {why}; the annotation is not converted"
        self.notify(
            "error" if security else "warning", "nginx-annotation-invalid", name, message, security
        )
        self.record(name, Status.UNSUPPORTED, message)
        if security:
            self.deny(name, why, status)

    def unsupported(
        self,
        name: str,
        why: str,
        security: bool = False,
        deny: bool = False,
        status: int | None = None,
    ) -> None:
        """Nothing can carry this annotation's behaviour; with ``deny`` (an access control
        that cannot be carried in any form) the Ingress's rules are denied: see :meth:`deny`.
        A security finding that controls no access (a WAF) leaves them as they are."""
        message = f"{self.key(name)}: {why}"
        level = "error" if security or deny else "warning"
        self.notify(level, "annotation-unsupported", name, message, security or deny)
        self.record(name, Status.UNSUPPORTED, message)
        if deny:
            self.deny(name, why, status)

    def deny(self, name: str, why: str, status: int | None = None) -> None:
        """Attach a :class:`~ingress2gateway.ir.RefusedControl` for ``name`` to every rule of
        the Ingress, so that they are closed, never opened: the controller does not serve them
        either. ``status`` 503 where the controller denies the location (an invalid auth,
        allow-list or custom-headers annotation: ``LocationDenied``, nginx.tmpl ``return
        503``), None where a value that fails its validator drops the whole Ingress (see
        ``internal/ingress/annotations/annotations.go`` and ``store.go``'s ``syncIngress``)."""
        control = RefusedControl(
            what=f"the refused {self.key(name)}", provenance=self.prov(name), status=status
        )
        for _, rule in rules_of(self.run, self.model):
            rule.extensions.append(control)

    def ignored(self, names: Sequence[str], why: str) -> None:
        for name in names:
            if self.has(name) and not self.report.has_entry(self.model.source, self.field(name)):
                self.record(name, Status.IGNORED, f"{self.key(name)}: {why}")

    # --- typed values ------------------------------------------------------------------------

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.invalid(name, f"{value!r} is not a boolean")
        return default

    def integer(self, name: str, low: int | None = None, high: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            self.invalid(name, f"{value!r} is not an integer")
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self.invalid(name, f"{number} is out of range [{low}, {high}]")
            return None
        return number

    def size(self, name: str) -> int | None:
        """An nginx size (``8k``, ``1m``) in bytes; -1 if the value is invalid (reported)."""
        value = self.text(name)
        if value is None:
            return None
        match = _SIZE.match(value)
        if match is None:
            self.invalid(name, f"{value!r} is not an nginx size")
            return -1
        return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]

    def seconds(self, name: str, nginx_time: bool = False) -> float | None:
        """ingress-nginx: bare seconds; NGINX Inc (``nginx_time``): ``30s``, ``1m``, ``500ms``."""
        value = self.text(name)
        if value is None:
            return None
        match = _NGINX_TIME.match(value)
        if match is None or (not nginx_time and match.group(2)):
            kind = "an nginx time" if nginx_time else "a number of seconds"
            self.invalid(name, f"{value!r} is not {kind}")
            return None
        return int(match.group(1)) * _TIME_UNITS[match.group(2)]

    def csv(self, name: str) -> list[str]:
        value = self.raw(name) or ""
        return [item.strip() for item in value.split(",") if item.strip()]


_LEVELS = {"error": Level.ERROR, "warning": Level.WARNING, "info": Level.INFO}


# --- rules and filters -----------------------------------------------------------------------


class ListenerNames:
    """Each Gateway's listener names, made on first use, for a step that adds (and removes)
    listeners and keeps them up to date: making them again for each host was quadratic."""

    def __init__(self) -> None:
        self._names: dict[int, set[str]] = {}

    def of(self, gateway: Gateway) -> set[str]:
        found = self._names.get(id(gateway))
        if found is None:
            found = self._names[id(gateway)] = {lst.name for lst in gateway.listeners}
        return found


def on_gateway(gateway: Gateway, route: Route, parent: ParentRef) -> bool:
    """Whether ``parent`` (a parent reference of ``route``) is ``gateway``.

    With one Gateway per namespace every Gateway of a class has the same name: the parent's
    namespace (the route's own when the reference names none) tells them apart.
    """
    return parent.name == gateway.name and (parent.namespace or route.namespace) == (
        gateway.namespace
    )


def listener_of(run: Run, route: Route, parent: ParentRef) -> Listener | None:
    """The listener that ``parent`` (a parent reference of ``route``) names, on its own Gateway."""
    for gateway in run.lowered.gateways:
        if on_gateway(gateway, route, parent):
            return gateway.listener(parent.section_name) if parent.section_name else None
    return None


def is_https(run: Run, route: Route, parent: ParentRef) -> bool:
    listener = listener_of(run, route, parent)
    return listener is not None and listener.protocol == "HTTPS"


INGRESS_NGINX_CONTROLLER = "k8s.io/ingress-nginx"
NGINX_INC_CONTROLLER = "nginx.org/ingress-controller"
_INC_ANNOTATIONS = ("nginx.org/", "nginx.com/", "appprotect.f5.com/", "appprotectdos.f5.com/")


def controller_of(
    model: IngressModel, class_controllers: dict[str, str | None], prefix: str
) -> str:
    """Which NGINX controller serves ``model``: the ``spec.controller`` of its IngressClass when
    the input has it (an Ingress of NGINX Inc's class is NGINX Inc's even without one
    ``nginx.org/*`` annotation, and ingress-nginx's class keeps an Ingress ingress-nginx's
    whatever it carries); without one, NGINX Inc for an Ingress that speaks only NGINX Inc's
    annotations (``nginx.org/*``, ``nginx.com/*``, App Protect), else ingress-nginx."""
    controller = class_controllers.get(model.class_name or "")
    if controller in (INGRESS_NGINX_CONTROLLER, NGINX_INC_CONTROLLER):
        return controller
    keys = model.obj.annotations
    inc = any(k.startswith(_INC_ANNOTATIONS) for k in keys)
    community = any(k.startswith(prefix) for k in keys)
    return NGINX_INC_CONTROLLER if inc and not community else INGRESS_NGINX_CONTROLLER


def class_controllers(objects: Iterable[KubeObject]) -> dict[str, str | None]:
    return {name: info.controller for name, info in ingress_classes(objects).items()}


def under_no_auth(run: Run, rule: Rule) -> bool:
    """Whether ingress-nginx gives the location of ``rule`` no auth: its path starts with an
    entry of ``no-auth-locations`` (``/.well-known/acme-challenge`` by default; nginx.tmpl,
    ``isLocationInLocationList``)."""
    paths = run.location_paths(rule)
    return bool(paths) and all(
        any(path.startswith(item) for item in run.config.no_auth_locations) for path in paths
    )


def rules_of(run: Run, model: IngressModel) -> list[tuple[HTTPRoute, Rule]]:
    return list(run.lowered.rules_of(model.source))


def routes_of(pairs: Iterable[tuple[HTTPRoute, Rule]]) -> list[HTTPRoute]:
    seen: dict[int, HTTPRoute] = {}
    for route, _ in pairs:
        seen.setdefault(id(route), route)
    return list(seen.values())


def url_rewrite(rule: Rule, provenance: list[Provenance]) -> URLRewrite:
    for item in rule.filters:
        if isinstance(item, URLRewrite):
            item.provenance.extend(provenance)
            return item
    created = URLRewrite(provenance=list(provenance))
    rule.filters.append(created)
    return created


def header_modifier(rule: Rule, response: bool, provenance: list[Provenance]) -> HeaderModifier:
    for item in rule.filters:
        if isinstance(item, HeaderModifier) and item.response == response:
            item.provenance.extend(provenance)
            return item
    created = HeaderModifier(response=response, provenance=list(provenance))
    rule.filters.append(created)
    return created


def looks_injected(value: str) -> bool:
    """Characters that end an nginx directive or open a block, or reference variables."""
    return any(ch in value for ch in "\n\r;{}$") or "#" in value
