"""The Kong routes and services the Kong Ingress Controller generates from the input.

Written from ``Kong/kubernetes-ingress-controller`` v3.5 (``internal/dataplane/``), the part the
``default_golden.yaml`` files of its translator golden tests show:

* **One Kong route per Ingress, host, Service and port** (``subtranslator/ingress.go``,
  ``ingressTranslationIndex.Add``): the paths of every rule of that Ingress with that host and
  backend go to one route named ``<ns>.<ingress>.<service>.<host>.<port>``, whose id is a
  UUIDv5 of the name (go-kong ``FillID``; the ``FillIDs`` feature gate is on by default since
  3.0). A path's repeated slashes are merged, an empty path is ``/`` and a missing path type is
  ``ImplementationSpecific``. ``PathsFromIngressPaths``: ``Prefix /foo`` is ``/foo/`` and
  ``~/foo$``, ``Prefix /`` is ``/``, ``Exact /foo`` is ``~/foo$``, ``ImplementationSpecific``
  is the path itself; then a path starting with the regex prefix (``konghq.com/regex-prefix``,
  else ``/~``) gets that prefix replaced by ``~`` (``MaybePrependRegexPrefix``; with the
  IngressClassParameters' legacy heuristic, a path that is not plain characters too).
* **Route defaults** (``translateIntoKongRoute``): ``strip_path`` false, ``preserve_host``
  true, ``regex_priority`` 0, the protocols of ``konghq.com/protocols`` (sorted).
* **Annotations** (``kongstate/route.go``, ``overrideByAnnotation`` then
  ``normalizeProtocols``): ``strip-path``, ``https-redirect-status-code`` (and
  ``ingress.kubernetes.io/force-ssl-redirect: "true"``: 302 and HTTPS only), ``preserve-host``,
  ``protocols`` (all valid or none), ``regex-priority``, ``methods`` (all upper-case words or
  none), ``snis``, ``host-aliases`` (added to the hosts; all valid or none), ``headers.*``
  (values split on ``headers-separator``), ``path-handling``. gRPC protocols drop
  ``strip_path``; gRPC with HTTP becomes ``http, https``.
* **KongIngress** ``route`` and ``proxy`` sections were honoured by KIC 2.x only (3.0 rejects
  them), linked by ``konghq.com/override`` or, for an Ingress, by having the Ingress's name
  (``kongstate/util.go`` at v2.12, ``getKongIngressFromObjAnnotations``); they apply before the
  annotations. An input that has them was written for 2.x, so they are modelled as 2.x did.
* **Kong services** (``translateIntoKongStateService``, ``kongstate/service.go``): one per
  Service and port, path ``/``, then the Service's ``konghq.com/protocol`` and
  ``konghq.com/path``; gRPC services have no path. ``konghq.com/host-header`` (or a KongIngress
  ``upstream.host_header``) is the upstream's Host when the route does not preserve it.
* **Default backend** (``translate_ingress.go``, ``getDefaultBackendService``): the oldest
  Ingress with ``spec.defaultBackend`` gets a route ``<ns>.<ingress>`` for ``/`` on every host.
* **Certificates** (``ingressrules.go``, ``addFromIngressV1TLS``): each ``spec.tls`` entry with
  hosts and a Secret makes the certificate for those SNIs.
* **TCPIngress / UDPIngress** (``translate_kong_l4.go``): a route per rule
  (``<ns>.<name>.<i>``, protocols ``tcp, tls`` or ``udp``, the rule's port as destination, its
  host as SNI), with the object's ``konghq.com/protocols`` applied like an Ingress's.
* **Plugins** (``kongstate.go``, ``getPluginRelations``): ``konghq.com/plugins`` of the
  Ingress (route plugins) and of the Service (service plugins), and KongClusterPlugins labelled
  ``global: "true"``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.verification.model import Backend, Cause

from .store import CLASS_ANNOTATION as CLASS
from .store import Store, creation_order, mapping, sequence, text

PREFIX = "konghq.com/"
DEFAULT_REGEX_PREFIX = "/~"
FORCE_SSL = "ingress.kubernetes.io/force-ssl-redirect"
_VALID_PROTOCOLS = (
    "",
    "http",
    "https",
    "grpc",
    "grpcs",
    "ws",
    "wss",
    "tls",
    "tcp",
    "tls_passthrough",
)
_REDIRECT_CODES = (426, 301, 302, 307, 308)
_METHOD = re.compile(r"[A-Z]+")
# KIC's patterns (annotations.go, validSNIs / validHosts) are Go's, matched in linear time;
# their "(label)+" repeats a group that can itself split a run of letters any way, which
# Python's backtracking tries one by one (30 letters and a '!': minutes). A label repeated is
# a label, so these are the same languages, with one way to match each string.
_LABEL = r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*"
_SNI = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_HOST = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*(?:\.\*)?")
_PATH_HANDLING = re.compile(r"v\d")
_STREAM_PROTOCOLS = ("tcp", "udp", "tls", "tls_passthrough")
_LEGACY_PLAIN = re.compile(r"[a-zA-Z0-9.\-_~/%]*")
# go-kong: the UUIDv5 namespace of routes (uuid.NewSHA1(kongEntitiesNamespace, "routes")).
_ROUTES_NAMESPACE = uuid.uuid5(uuid.UUID("fd02801f-0957-4a15-a55a-c8d9606f30b5"), "routes")


def annotation_field(key: str) -> str:
    return f"metadata.annotations[{key}]"


def route_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_ROUTES_NAMESPACE, name)


@dataclass
class Plugin:
    obj: KubeObject
    cause: Cause
    """The reference that put it on the route or service."""

    @property
    def name(self) -> str:
        return text(self.obj.data.get("plugin")) or ""

    @property
    def config(self) -> dict[str, Any]:
        return mapping(self.obj.data.get("config"))


@dataclass
class KongService:
    name: str
    backend: Backend
    path: str | None = "/"
    protocol: str = "http"
    host_header: str | None = None
    plugins: list[Plugin] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    refused: Cause | None = None
    """The input field for which KIC left this service (and its routes) out of Kong's
    configuration (a translation failure)."""


@dataclass(frozen=True)
class KongPath:
    value: str
    cause: Cause
    original: str
    """The Ingress path it came from (for probing)."""
    user_regex: bool = False
    """A regular expression the user wrote (not KIC's ``~/foo$`` for Prefix and Exact)."""


@dataclass
class KongRoute:
    name: str
    owner: Cause
    """The object that made the route (field empty)."""
    service: KongService
    hosts: list[str] = field(default_factory=list)
    host_causes: dict[str, Cause] = field(default_factory=dict)
    paths: list[KongPath] = field(default_factory=list)
    methods: list[str] | None = None
    headers: dict[str, list[str]] | None = None
    snis: list[str] | None = None
    protocols: list[str] | None = None
    strip_path: bool | None = False
    preserve_host: bool = True
    regex_priority: int = 0
    redirect_code: int | None = None
    path_handling: str = "v0"
    rewrite: str | None = None
    """``konghq.com/rewrite`` as Kong's request-transformer template (``replace.uri``)."""
    destinations: list[int] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)
    set_by: dict[str, Cause] = field(default_factory=dict)
    """Route attribute → the input field that set it (annotation, KongIngress field)."""

    @property
    def id(self) -> uuid.UUID:
        return route_id(self.name)

    @property
    def effective_protocols(self) -> list[str]:
        return self.protocols or ["http", "https"]

    @property
    def stream(self) -> bool:
        return bool(self.protocols) and self.effective_protocols[0] in _STREAM_PROTOCOLS

    def consulted(self) -> list[Cause]:
        return [self.set_by[key] for key in sorted(self.set_by)]


@dataclass
class Certificate:
    snis: list[str]
    cause: Cause


@dataclass
class KongConfig:
    routes: list[KongRoute] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    skipped: list[tuple[str | None, Cause]] = field(default_factory=list)
    """Ingress paths KIC could not translate (host, the path's field)."""
    left_out: list[Cause] = field(default_factory=list)
    """Objects KIC left out that would have shaped every route (global plugins)."""


# --- paths ----------------------------------------------------------------------------------


def _flatten_slashes(path: str) -> str:
    return re.sub(r"/{2,}", "/", path)


def paths_from_ingress_path(path: str, path_type: str) -> list[str]:
    """``PathsFromIngressPaths``."""
    if path_type == "Prefix":
        base = path.strip("/")
        return ["/"] if not base else [f"/{base}/", f"~/{base}$"]
    if path_type == "Exact":
        return [f"~/{path.lstrip('/')}$"]
    if path_type == "ImplementationSpecific":
        return [path or "/"]
    return []


def with_regex_prefix(path: str, prefix: str, legacy: bool) -> str:
    """``MaybePrependRegexPrefix``."""
    if path.startswith(prefix):
        return path.replace(prefix, "~", 1)
    if legacy and _LEGACY_PLAIN.fullmatch(path) is None and not path.startswith("~"):
        return "~" + path
    return path


# --- the translation -----------------------------------------------------------------------


FACADE_GROUP = "incubator.ingress-controller.konghq.com"


def _facade_of(raw: Any) -> str | None:
    """The KongServiceFacade an Ingress backend names (``IsKongServiceFacade``)."""
    resource = mapping(mapping(raw).get("resource"))
    if resource.get("kind") == "KongServiceFacade" and resource.get("apiGroup") == FACADE_GROUP:
        return text(resource.get("name"))
    return None


def _backend_of(raw: Any) -> tuple[str, int | str] | None:
    service = mapping(mapping(raw).get("service"))
    name = text(service.get("name"))
    port = mapping(service.get("port"))
    number, port_name = port.get("number"), text(port.get("name"))
    if not name:
        legacy = mapping(raw)  # extensions/v1beta1: serviceName / servicePort
        name = text(legacy.get("serviceName"))
        value = legacy.get("servicePort")
        number, port_name = (value, None) if isinstance(value, int) else (None, text(value))
    if not name:
        return None
    if isinstance(number, int) and not isinstance(number, bool):
        return name, number
    if port_name:
        return name, port_name
    return None


def _kong_ingress(store: Store, obj: KubeObject, by_name: bool) -> KubeObject | None:
    namespace = obj.namespace or "default"
    linked = obj.annotations.get(PREFIX + "override")
    if linked:
        found = store.kong_ingresses.get((namespace, linked))
        if found is not None:
            return found
    return store.kong_ingresses.get((namespace, obj.name or "")) if by_name else None


def _section(obj: KubeObject, name: str) -> tuple[dict[str, Any], str]:
    if isinstance(obj.data.get(name), dict):
        return obj.data[name], name
    return mapping(obj.spec.get(name)), f"spec.{name}"


class Translator:
    def __init__(self, store: Store, rewrite_uris: bool = False) -> None:
        self.store = store
        self.rewrite_uris = rewrite_uris
        """KIC's ``RewriteURIs`` feature gate (``--provider-option kong.rewrite-uris``)."""
        self.services: dict[str, KongService] = {}
        self.config = KongConfig()
        self.ingress_objects: dict[tuple[str, str], KubeObject] = {}

    def translate(self) -> KongConfig:
        ingresses = sorted(self.store.ingresses, key=creation_order)
        routes: dict[str, KongRoute] = {}
        for obj in ingresses:
            self._ingress(obj, routes)
        self._default_backend(ingresses, routes)
        for obj in sorted(self.store.tcp_ingresses, key=creation_order):
            self._stream(obj, routes, udp=False)
        for obj in sorted(self.store.udp_ingresses, key=creation_order):
            self._stream(obj, routes, udp=True)
        self.config.routes = sorted(routes.values(), key=lambda r: r.name)
        self.config.left_out = [
            Cause("KongClusterPlugin", None, obj.name or "", f"metadata.annotations[{CLASS}]")
            for obj in self.store.ignored_globals
        ]
        for route in self.config.routes:
            self._rewrite(route)
        for route in self.config.routes:
            self._route_plugins(route)
        return self.config

    def _rewrite(self, route: KongRoute) -> None:
        """``MaybeRewriteURI``: without the feature gate a ``konghq.com/rewrite`` is a
        translation failure that leaves the whole Kong service out; with it, a
        request-transformer ``replace.uri`` template on the route."""
        if route.owner.kind != "Ingress":
            return
        obj = self.ingress_objects.get((route.owner.namespace or "", route.owner.name))
        value = obj.annotations.get(PREFIX + "rewrite") if obj is not None else None
        if value is None:
            return
        cause = _annotation(route, "rewrite")
        template = rewrite_template(value or "/") if self.rewrite_uris else None
        if template is None:
            route.service.refused = route.service.refused or cause
            return
        route.rewrite = template
        route.set_by["rewrite"] = cause

    # --- Ingress ---------------------------------------------------------------------------

    def _ingress(self, obj: KubeObject, routes: dict[str, KongRoute]) -> None:
        namespace, name = obj.namespace or "default", obj.name or ""
        self.ingress_objects[(namespace, name)] = obj
        owner = Cause("Ingress", namespace, name)
        prefix = obj.annotations.get(PREFIX + "regex-prefix", DEFAULT_REGEX_PREFIX)
        for index, rule in enumerate(sequence(obj.spec.get("rules"))):
            rule = mapping(rule)
            host = text(rule.get("host")) or ""
            paths = sequence(mapping(rule.get("http")).get("paths"))
            for position, raw in enumerate(paths):
                raw = mapping(raw)
                facade = _facade_of(raw.get("backend"))
                backend = _backend_of(raw.get("backend"))
                service: KongService | None
                if facade is not None:
                    service = self._facade(namespace, facade)
                    route_name = f"{namespace}.{name}.{host.replace('*', '_')}.{facade}.svc.facade"
                elif backend is not None:
                    service_name, port = backend
                    service = None
                    slug = host.replace("*", "_")
                    route_name = f"{namespace}.{name}.{service_name}.{slug}.{port}"
                else:
                    continue  # KIC: "failed to get backend for ingress path"
                if facade is not None and service is None:
                    # Not in the input, or left out by its class: KIC skips the path.
                    cause = owner_field(owner, f"spec.rules[{index}].http.paths[{position}]")
                    self.config.skipped.append((host or None, cause))
                    continue
                path = _flatten_slashes(text(raw.get("path")) or "") or "/"
                path_type = text(raw.get("pathType")) or "ImplementationSpecific"
                route = routes.get(route_name)
                if route is None:
                    if service is None:
                        assert backend is not None
                        service = self._service(namespace, backend[0], backend[1])
                    route = KongRoute(route_name, owner, service)
                    if host:
                        route.hosts.append(host)
                        route.host_causes[host] = owner_field(owner, f"spec.rules[{index}].host")
                    routes[route_name] = route
                    self._override(route, obj)
                cause = owner_field(owner, f"spec.rules[{index}].http.paths[{position}]")
                for value in paths_from_ingress_path(path, path_type):
                    kong_path = with_regex_prefix(value, prefix, self.store.legacy_regex)
                    user = kong_path.startswith("~") and not value.startswith("~")
                    route.paths.append(KongPath(kong_path, cause, path, user))
        for entry in sequence(obj.spec.get("tls")):
            entry = mapping(entry)
            hosts = [h for h in sequence(entry.get("hosts")) if isinstance(h, str) and h]
            secret = text(entry.get("secretName"))
            if hosts and secret:
                index = sequence(obj.spec.get("tls")).index(entry)
                self.config.certificates.append(
                    Certificate(hosts, owner_field(owner, f"spec.tls[{index}]"))
                )

    def _default_backend(self, ingresses: list[KubeObject], routes: dict[str, KongRoute]) -> None:
        for obj in ingresses:
            raw = obj.spec.get("defaultBackend")
            if not isinstance(raw, dict):
                continue
            namespace, name = obj.namespace or "default", obj.name or ""
            facade = _facade_of(raw)
            backend = _backend_of(raw)
            found: KongService | None
            if facade is not None:
                found = self._facade(namespace, facade)
            elif backend is not None:
                found = self._service(namespace, backend[0], backend[1], path=None)
            else:
                found = None
            if found is None:
                return
            service = found
            owner = Cause("Ingress", namespace, name)
            route = KongRoute(f"{namespace}.{name}", owner, service)
            route.paths.append(KongPath("/", owner_field(owner, "spec.defaultBackend"), "/"))
            routes[route.name] = route
            self._override(route, obj)
            return  # only the oldest Ingress's

    # --- services --------------------------------------------------------------------------

    def _facade(self, namespace: str, name: str) -> KongService | None:
        """A KongServiceFacade backend (``translateIntoKongStateService``; KIC's
        ``KongServiceFacade`` feature gate is assumed on, as the input uses it): a Kong service
        of its own for the facade's Service and port, with the facade's plugins."""
        key = f"{namespace}.{name}.svc.facade"
        found = self.services.get(key)
        if found is not None:
            return found
        obj = self.store.facades.get((namespace, name))
        if obj is None:
            return None
        backend = mapping(obj.spec.get("backendRef"))
        service_name, port = text(backend.get("name")), backend.get("port")
        if not service_name or not isinstance(port, int):
            return None
        service = KongService(key, Backend(namespace, service_name, port, "Service"))
        self.services[key] = service
        source = Cause("KongServiceFacade", namespace, name)
        for ref in _split(obj.annotations.get(PREFIX + "plugins", "")):
            plugin = self.store.plugin("KongServiceFacade", FACADE_GROUP, namespace, ref)
            if plugin is not None:
                cause = owner_field(source, annotation_field(PREFIX + "plugins"))
                service.plugins.append(Plugin(plugin, cause))
        return service

    def _service(
        self, namespace: str, name: str, port: int | str, path: str | None = "/"
    ) -> KongService:
        resolved = self.store.service_port(namespace, name, port)
        key = f"{namespace}.{name}.{port}"
        found = self.services.get(key)
        if found is not None:
            return found
        service = KongService(key, Backend(namespace, name, resolved, "Service"), path=path)
        self.services[key] = service
        obj = self.store.services.get((namespace, name))
        if obj is None:
            return service
        source = Cause("Service", namespace, name)
        linked = _kong_ingress(self.store, obj, by_name=False)
        if linked is not None:
            self._kong_ingress_service(service, linked)
        annotations = obj.annotations
        protocol = annotations.get(PREFIX + "protocol")
        if protocol and protocol in _VALID_PROTOCOLS:
            service.protocol = protocol
            service.causes.append(owner_field(source, annotation_field(PREFIX + "protocol")))
        path_value = annotations.get(PREFIX + "path")
        if path_value and path_value.startswith("/"):
            service.path = path_value
            service.causes.append(owner_field(source, annotation_field(PREFIX + "path")))
        host_header = annotations.get(PREFIX + "host-header")
        if host_header:
            service.host_header = host_header
            service.causes.append(owner_field(source, annotation_field(PREFIX + "host-header")))
        if service.protocol in ("grpc", "grpcs"):
            service.path = None
        for ref in _split(annotations.get(PREFIX + "plugins", "")):
            plugin = self.store.plugin("Service", "", namespace, ref)
            if plugin is not None:
                cause = owner_field(source, annotation_field(PREFIX + "plugins"))
                service.plugins.append(Plugin(plugin, cause))
        return service

    def _kong_ingress_service(self, service: KongService, linked: KubeObject) -> None:
        who = Cause("KongIngress", linked.namespace or "default", linked.name or "")
        proxy, prefix = _section(linked, "proxy")
        if isinstance(proxy.get("protocol"), str):
            service.protocol = proxy["protocol"]
            service.causes.append(owner_field(who, f"{prefix}.protocol"))
        if isinstance(proxy.get("path"), str):
            service.path = proxy["path"]
            service.causes.append(owner_field(who, f"{prefix}.path"))
        upstream, prefix = _section(linked, "upstream")
        if isinstance(upstream.get("host_header"), str) and upstream["host_header"]:
            service.host_header = upstream["host_header"]
            service.causes.append(owner_field(who, f"{prefix}.host_header"))

    # --- route settings --------------------------------------------------------------------

    def _override(self, route: KongRoute, obj: KubeObject) -> None:
        """KongIngress (2.x), then annotations, then ``normalizeProtocols``."""
        annotations = obj.annotations
        route.protocols = sorted(_split(annotations.get(PREFIX + "protocols", ""))) or None
        if route.protocols:
            route.set_by["protocols"] = _annotation(route, "protocols")
        class_field = self.store.class_fields.get(id(obj))
        if class_field:
            route.set_by["class"] = owner_field(route.owner, class_field)
        if obj.kind == "Ingress":
            linked = _kong_ingress(self.store, obj, by_name=True)
            if linked is not None:
                self._kong_ingress_route(route, linked)

        def get(key: str) -> str | None:
            return annotations.get(PREFIX + key)

        value = get("strip-path")
        if value is not None and value.lower() in ("true", "false"):
            route.strip_path = value.lower() == "true"
            route.set_by["strip_path"] = _annotation(route, "strip-path")
        if annotations.get(FORCE_SSL) == "true":
            route.redirect_code = 302
            route.protocols = _ssl_protocols(route.protocols)
            route.set_by["redirect"] = owner_field(route.owner, annotation_field(FORCE_SSL))
        code = _atoi(get("https-redirect-status-code"))
        if code in _REDIRECT_CODES:
            route.redirect_code = code
            route.set_by["redirect_code"] = _annotation(route, "https-redirect-status-code")
        value = get("preserve-host")
        if value is not None and value.lower() in ("true", "false"):
            route.preserve_host = value.lower() == "true"
            route.set_by["preserve_host"] = _annotation(route, "preserve-host")
        protocols = _split(get("protocols") or "")
        if protocols and all(p in _VALID_PROTOCOLS for p in protocols):
            route.protocols = protocols
            route.set_by["protocols"] = _annotation(route, "protocols")
        priority = _atoi(get("regex-priority"))
        if priority is not None:
            route.regex_priority = priority
            route.set_by["regex_priority"] = _annotation(route, "regex-priority")
        methods = [m.upper() for m in _split(get("methods") or "")]
        if methods and all(_METHOD.fullmatch(m) for m in methods):
            route.methods = methods
            route.set_by["methods"] = _annotation(route, "methods")
        if get("snis") is not None:
            snis = _split(get("snis") or "")
            if all(_SNI.fullmatch(s) for s in snis):
                route.snis = snis or None
                route.set_by["snis"] = _annotation(route, "snis")
        aliases = _split(get("host-aliases") or "")
        if aliases and all(_HOST.fullmatch(a) for a in aliases):
            cause = _annotation(route, "host-aliases")
            for alias in aliases:
                if alias not in route.hosts:
                    route.hosts.append(alias)
                    route.host_causes[alias] = cause
        headers = _headers(annotations)
        if headers:
            route.headers = {name: values for name, values, _ in headers}
            for name, _, key in headers:
                route.set_by[f"headers.{name}"] = _annotation(route, key[len(PREFIX) :])
            if PREFIX + "headers-separator" in annotations:
                route.set_by["headers-separator"] = _annotation(route, "headers-separator")
        handling = get("path-handling")
        if handling is not None and _PATH_HANDLING.search(handling):
            route.path_handling = handling
        self._normalize_protocols(route)
        route_plugins = _split(annotations.get(PREFIX + "plugins", ""))
        for ref in route_plugins:
            plugin = self.store.plugin(obj.kind, obj.group, route.owner.namespace or "", ref)
            if plugin is not None:
                route.plugins.append(Plugin(plugin, _annotation(route, "plugins")))
            else:  # not found, or left out by its class: decides that it does not run
                route.set_by["plugins"] = _annotation(route, "plugins")

    @staticmethod
    def _normalize_protocols(route: KongRoute) -> None:
        protocols = route.protocols or []
        grpc = any("grpc" in p for p in protocols)
        http = any("http" in p or p not in _VALID_PROTOCOLS for p in protocols)
        if grpc and http:
            route.protocols = ["http", "https"]
        if grpc:
            route.strip_path = None

    def _kong_ingress_route(self, route: KongRoute, linked: KubeObject) -> None:
        section, prefix = _section(linked, "route")
        if not section:
            return
        who = Cause("KongIngress", linked.namespace or "default", linked.name or "")

        def by(key: str) -> Cause:
            return owner_field(who, f"{prefix}.{key}")

        methods = [str(m).strip().upper() for m in sequence(section.get("methods"))]
        if methods and all(_METHOD.fullmatch(m) for m in methods):
            route.methods = methods
            route.set_by["methods"] = by("methods")
        headers = mapping(section.get("headers"))
        if headers:
            route.headers = {
                str(k): [str(v) for v in sequence(vals)] for k, vals in headers.items()
            }
            route.set_by["headers"] = by("headers")
        protocols = [str(p) for p in sequence(section.get("protocols"))]
        if protocols:
            route.protocols = protocols
            route.set_by["protocols"] = by("protocols")
        for key, attr in (
            ("regex_priority", "regex_priority"),
            ("https_redirect_status_code", "redirect_code"),
        ):
            value = section.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(route, attr, value)
                route.set_by[attr] = by(key)
        for key in ("strip_path", "preserve_host"):
            value = section.get(key)
            if isinstance(value, bool):
                setattr(route, key, value)
                route.set_by[key] = by(key)
        snis = [str(s).strip() for s in sequence(section.get("snis"))]
        if snis and all(_SNI.fullmatch(s) for s in snis):
            route.snis = snis
            route.set_by["snis"] = by("snis")

    # --- streams ---------------------------------------------------------------------------

    def _stream(self, obj: KubeObject, routes: dict[str, KongRoute], udp: bool) -> None:
        namespace, name = obj.namespace or "default", obj.name or ""
        owner = Cause(obj.kind, namespace, name)
        if not udp:
            for index, entry in enumerate(sequence(obj.spec.get("tls"))):
                entry = mapping(entry)
                hosts = [h for h in sequence(entry.get("hosts")) if isinstance(h, str) and h]
                if hosts and text(entry.get("secretName")):
                    self.config.certificates.append(
                        Certificate(hosts, owner_field(owner, f"spec.tls[{index}]"))
                    )
        for index, rule in enumerate(sequence(obj.spec.get("rules"))):
            rule = mapping(rule)
            backend = mapping(rule.get("backend"))
            service_name = text(backend.get("serviceName"))
            port, service_port = rule.get("port"), backend.get("servicePort")
            if not service_name or not isinstance(port, int) or not isinstance(service_port, int):
                continue
            suffix = ".udp" if udp else ""
            key = f"{namespace}.{service_name}.{service_port}{suffix}"
            service = self.services.get(key)
            if service is None:
                service = KongService(
                    key,
                    Backend(namespace, service_name, service_port, "Service"),
                    path=None,
                    protocol="udp" if udp else "tcp",
                )
                self.services[key] = service
            route = KongRoute(f"{namespace}.{name}.{index}{suffix}", owner, service)
            route.protocols = ["udp"] if udp else ["tcp", "tls"]
            route.destinations = [port]
            route.paths = [KongPath("", owner_field(owner, f"spec.rules[{index}]"), "")]
            host = text(rule.get("host"))
            if host and not udp:
                route.snis = [host]
            routes[route.name] = route
            protocols = _split(obj.annotations.get(PREFIX + "protocols", ""))
            if protocols and all(p in _VALID_PROTOCOLS for p in protocols):
                route.protocols = protocols
                route.set_by["protocols"] = _annotation(route, "protocols")

    # --- plugins ---------------------------------------------------------------------------

    def _route_plugins(self, route: KongRoute) -> None:
        """Kong runs one plugin of each name per request: the route's, else the service's,
        else a global one (the plugin iterator's precedence)."""
        chosen: dict[str, Plugin] = {}
        globals_ = [
            Plugin(obj, Cause("KongClusterPlugin", None, obj.name or "", "metadata.labels[global]"))
            for obj in self.store.global_plugins
        ]
        for plugin in [*route.plugins, *route.service.plugins, *globals_]:
            if _disabled(plugin.obj):
                continue
            chosen.setdefault(plugin.name, plugin)
        route.plugins = [chosen[name] for name in sorted(chosen)]


def rewrite_template(value: str) -> str | None:
    """``generateRewriteURIConfig``: ``$n`` becomes capture ``n`` (kept as ``$n`` here), ``\\$``
    a literal ``$`` (kept as ``$$``); None where KIC refuses the value."""
    out: list[str] = []
    state = "plain"
    for char in value:
        if state == "escape":
            if char != "$":
                return None
            out.append("$$")
            state = "plain"
        elif state == "mark":
            if not char.isdigit():
                return None
            out.append("$" + char)
            state = "digit"
        elif state == "digit" and char.isdigit():
            out.append(char)
        else:
            if state == "digit":
                out.append(";")
            if char == "$":
                state = "mark"
            elif char == "\\":
                state = "escape"
            else:
                out.append(char)
                state = "plain"
    if state == "digit":
        out.append(";")
        state = "plain"
    return "".join(out) if state == "plain" else None


def owner_field(owner: Cause, field_path: str) -> Cause:
    return Cause(owner.kind, owner.namespace, owner.name, field_path)


def _annotation(route: KongRoute, key: str) -> Cause:
    return owner_field(route.owner, annotation_field(PREFIX + key))


def _split(value: str, separator: str = ",") -> list[str]:
    return [item.strip() for item in value.split(separator) if item.strip()]


def _atoi(value: str | None) -> int | None:
    if value is None or not re.fullmatch(r"[+-]?[0-9]+", value):
        return None
    return int(value)


def _ssl_protocols(protocols: list[str] | None) -> list[str]:
    """``useSSLProtocol``."""
    values = protocols or []
    grpc = any("grpc" in p for p in values)
    http = any("http" in p for p in values)
    found = (["grpcs"] if grpc else []) + (["https"] if http else [])
    return found or ["https"]


def _headers(annotations: dict[str, str]) -> list[tuple[str, list[str], str]]:
    """``ExtractHeaders``: ``konghq.com/headers.<name>`` → values (split, trimmed)."""
    separator = annotations.get(PREFIX + "headers-separator", ",")
    found = []
    for key in sorted(annotations):
        if not key.startswith(PREFIX + "headers."):
            continue
        name, value = key[len(PREFIX + "headers.") :], annotations[key]
        if not name or not value:
            continue
        values = [v.strip() for v in value.split(separator)] if separator else [value.strip()]
        found.append((name, values, key))
    return found


def _disabled(obj: KubeObject) -> bool:
    value = obj.data.get("disabled")
    return value is True or (isinstance(value, str) and value.lower() == "true")
