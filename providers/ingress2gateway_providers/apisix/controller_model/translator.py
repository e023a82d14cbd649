"""What the APISIX Ingress Controller (2.x) programs into APISIX for the input.

Written from apache/apisix-ingress-controller ``internal/adc/translator/ingress.go``
(``buildRouteFromIngressPath``, ``resolveIngressUpstream``), ``apisixroute.go`` (``buildRoute``,
``buildUpstream``: traffic-split weights, default 100), ``api/v2/apisixroute_types.go``
(``ToVars``: subject and operator table) and the annotation handlers
(``internal/adc/translator/annotations/**``: redirect, rewrite, fault-injection,
ip-restriction, authorization, forward-auth). Every Ingress path and every ApisixRoute http
rule is one APISIX route; hosts live on the route's service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Backend, Cause

GROUP = "apisix.apache.org"
PREFIX = "k8s.apisix.apache.org/"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
CONTROLLERS = (
    "apisix.apache.org/apisix-ingress-controller",
    "apisix.apache.org/ingress-controller",
)

Var = tuple[str, str, bool, Any]
"""(variable, operator, negated, value): one ``vars`` condition as ``lua-resty-expr`` reads it."""


@dataclass
class DataRoute:
    hosts: list[str] | None
    uris: list[str]
    methods: list[str] | None
    vars: list[Var]
    priority: int
    upstream: list[tuple[Backend, int]]
    plugins: dict[str, dict[str, Any]]
    cause: Cause
    order: int = 0
    plugin_causes: dict[str, tuple[Cause, ...]] = field(default_factory=dict)
    upstream_host: tuple[str, Cause] | None = None
    """The Host sent upstream (ApisixUpstream ``passHost: rewrite``), with its cause."""
    """The input field behind each plugin that did not come from the route's own field."""


@dataclass
class StreamRoute:
    protocol: str
    port: int
    backend: Backend
    cause: Cause


@dataclass
class Certificate:
    host: str
    cause: Cause
    client: bool = False


@dataclass
class DataPlane:
    routes: list[DataRoute] = field(default_factory=list)
    streams: list[StreamRoute] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _ports(objects: Sequence[KubeObject]) -> dict[tuple[str, str], dict[str, int]]:
    found: dict[tuple[str, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.api_version != "v1":
            continue
        for port in _l(obj.spec.get("ports")):
            port = _d(port)
            if isinstance(port.get("name"), str) and isinstance(port.get("port"), int):
                key = (obj.namespace or "default", obj.name or "")
                found.setdefault(key, {})[port["name"]] = port["port"]
    return found


class Translator:
    def __init__(self, objects: Sequence[KubeObject], options: ConvertOptions) -> None:
        # One object per kind, namespace and name: the API server keeps the last one applied.
        latest: dict[tuple[str, str, str | None, str | None], KubeObject] = {}
        for obj in objects:
            latest[(obj.group, obj.kind, obj.namespace, obj.name)] = obj
        self.objects = list(latest.values())
        self.ports = _ports(objects)
        self.classes = set(options.ingress_classes or ("apisix",))
        if not options.ingress_classes:
            for obj in objects:
                if obj.kind == "IngressClass" and _d(obj.spec).get("controller") in CONTROLLERS:
                    self.classes.add(obj.name or "")
        self.default_class = options.default_ingress_class
        self.plane = DataPlane()

    def translate(self) -> DataPlane:
        for obj in sorted(self.objects, key=lambda o: (o.namespace or "", o.name or "")):
            if obj.kind == "Ingress" and obj.group in ("networking.k8s.io", "extensions"):
                if self._ingress_served(obj):
                    self._ingress(obj)
            elif obj.group == GROUP and obj.kind == "ApisixRoute" and self._crd_served(obj):
                self._apisix_route(obj)
            elif obj.group == GROUP and obj.kind == "ApisixTls" and self._crd_served(obj):
                client = isinstance(obj.spec.get("client"), dict)
                cause = Cause(
                    "ApisixTls",
                    obj.namespace or "default",
                    obj.name or "",
                    "spec.client" if client else "spec.hosts",
                )
                self.plane.certificates.extend(
                    Certificate(h.lower(), cause, client)
                    for h in _l(obj.spec.get("hosts"))
                    if isinstance(h, str)
                )
        for index, route in enumerate(self.plane.routes):
            route.order = index
        return self.plane

    # --- selection (internal/types/k8s.go GetEffectiveIngressClassName) -----------------------

    def _ingress_served(self, obj: KubeObject) -> bool:
        name = obj.spec.get("ingressClassName")
        if not isinstance(name, str) or not name:
            name = obj.annotations.get(CLASS_ANNOTATION) or self.default_class
        return name in self.classes

    def _crd_served(self, obj: KubeObject) -> bool:
        name = obj.spec.get("ingressClassName")
        if isinstance(name, str) and name:
            return name in self.classes
        return True  # served by the default IngressClass's controller

    # --- Ingress -------------------------------------------------------------------------------

    def _ingress(self, obj: KubeObject) -> None:
        ann = obj.annotations
        namespace = obj.namespace or "default"
        service_namespace = ann.get(PREFIX + "svc-namespace") or namespace
        rule_hosts = [
            str(_d(r).get("host")).lower() for r in _l(obj.spec.get("rules")) if _d(r).get("host")
        ]
        for tls in _l(obj.spec.get("tls")):
            # translateIngressTLS: no hosts means the certificate's SANs; the rules' hosts here.
            tls_hosts = [h.lower() for h in _l(_d(tls).get("hosts")) if isinstance(h, str)]
            cause = Cause("Ingress", namespace, obj.name or "", "spec.tls")
            self.plane.certificates.extend(Certificate(h, cause) for h in tls_hosts or rule_hosts)
        use_regex = ann.get(PREFIX + "use-regex") == "true"
        plugins, plugin_causes = self._annotation_plugins(ann, namespace, obj.name or "")
        for i, rule in enumerate(_l(obj.spec.get("rules"))):
            rule = _d(rule)
            host = rule.get("host")
            hosts = [host.lower()] if isinstance(host, str) and host else None
            if hosts and not _valid_host(hosts[0]):
                continue  # the API server refuses such an Ingress
            for j, item in enumerate(_l(_d(rule.get("http")).get("paths"))):
                item = _d(item)
                raw_path = item.get("path")
                # The API server refuses a path that is not absolute: such input never reaches
                # APISIX; an empty one is taken as / so that it compares as the same path.
                path = raw_path if isinstance(raw_path, str) and raw_path else "/"
                kind = item.get("pathType")
                service = _d(_d(item.get("backend")).get("service"))
                name = service.get("name")
                if not isinstance(name, str):
                    continue
                port_spec = _d(service.get("port"))
                port: int | str | None = port_spec.get("number")
                if port is None and isinstance(port_spec.get("name"), str):
                    port = self.ports.get((service_namespace, name), {}).get(
                        port_spec["name"], port_spec["name"]
                    )
                if not _valid_port(port):
                    continue  # the API server refuses such an Ingress
                uris = [path]
                route_vars: list[Var] = []
                if kind == "Prefix":
                    uris.append(path.rstrip("/") + "/*")
                elif kind == "ImplementationSpecific" and use_regex:
                    uris = ["/*"]
                    route_vars = [("uri", "~~", False, path)]
                cause = Cause(
                    "Ingress", namespace, obj.name or "", f"spec.rules[{i}].http.paths[{j}]"
                )
                self.plane.routes.append(
                    DataRoute(
                        hosts,
                        uris,
                        None,
                        route_vars,
                        0,
                        [(Backend(service_namespace, name, port), 1)],
                        dict(plugins),
                        cause,
                        plugin_causes=dict(plugin_causes),
                    )
                )

    def _annotation_plugins(
        self, ann: dict[str, str], namespace: str, name: str
    ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[Cause, ...]]]:
        def get(key: str) -> str:
            return ann.get(PREFIX + key, "")

        plugins: dict[str, dict[str, Any]] = {}
        causes: dict[str, tuple[Cause, ...]] = {}

        def add(plugin: str, config: dict[str, Any], key: str, *more: Cause) -> None:
            plugins[plugin] = config
            field_path = f"metadata.annotations[{PREFIX}{key}]"
            causes[plugin] = (Cause("Ingress", namespace, name, field_path), *more)

        config_name = get("plugin-config-name")
        if config_name:
            config_cause = Cause("ApisixPluginConfig", namespace, config_name, "spec.plugins")
            for plugin, config in self._plugin_config(config_name, namespace).items():
                add(plugin, config, "plugin-config-name", config_cause)
        if get("http-to-https") == "true":
            add("redirect", {"http_to_https": True}, "http-to-https")
        elif get("http-redirect"):
            try:
                code = int(get("http-redirect-code"))
            except ValueError:
                code = 0
            add(
                "redirect",
                {"uri": get("http-redirect"), "ret_code": code if 301 <= code <= 308 else 301},
                "http-redirect",
            )
        rewrite: dict[str, Any] = {}
        if get("rewrite-target"):
            rewrite["uri"] = get("rewrite-target")
        if get("rewrite-target-regex") and get("rewrite-target-regex-template"):
            rewrite["regex_uri"] = [
                get("rewrite-target-regex"),
                get("rewrite-target-regex-template"),
            ]
        if rewrite:
            add(
                "proxy-rewrite",
                rewrite,
                "rewrite-target" if "uri" in rewrite else "rewrite-target-regex",
            )
        allow, block = (
            _strings(get("allowlist-source-range")),
            _strings(get("blocklist-source-range")),
        )
        if allow or block:
            key = "allowlist-source-range" if allow else "blocklist-source-range"
            add("ip-restriction", {"whitelist": allow, "blacklist": block}, key)
        if get("auth-type") == "keyAuth":
            add("key-auth", {}, "auth-type")
        elif get("auth-type") == "basicAuth":
            add("basic-auth", {}, "auth-type")
        if get("auth-uri"):
            add("forward-auth", {"uri": get("auth-uri")}, "auth-uri")
        allow_methods = _strings(get("http-allow-methods"))
        block_methods = _strings(get("http-block-methods"))
        if allow_methods:
            add("fault-injection", {"abort": 405, "not_in": allow_methods}, "http-allow-methods")
        elif block_methods:
            add("fault-injection", {"abort": 405, "in": block_methods}, "http-block-methods")
        return plugins, causes

    def _plugin_config(self, name: str, namespace: str | None = None) -> dict[str, dict[str, Any]]:
        for obj in self.objects:
            if (
                obj.group == GROUP
                and obj.kind in ("ApisixPluginConfig", "PluginConfig")
                and obj.name == name
                and (namespace is None or obj.namespace == namespace)
            ):
                return _plugins(obj.spec.get("plugins"))
        return {}

    # --- ApisixRoute ---------------------------------------------------------------------------

    def _upstream_host(self, namespace: str, service: str) -> tuple[str, Cause] | None:
        """apisixupstream_types.go: ``passHost: rewrite`` sends ``upstreamHost`` as the Host."""
        for obj in self.objects:
            if (
                obj.group == GROUP
                and obj.kind == "ApisixUpstream"
                and obj.name == service
                and (obj.namespace or "default") == namespace
                and obj.spec.get("passHost") == "rewrite"
                and isinstance(obj.spec.get("upstreamHost"), str)
            ):
                cause = Cause("ApisixUpstream", namespace, service, "spec.upstreamHost")
                return str(obj.spec["upstreamHost"]).lower(), cause
        return None

    def _apisix_route(self, obj: KubeObject) -> None:
        namespace = obj.namespace or "default"
        for i, rule in enumerate(_l(obj.spec.get("http"))):
            rule = _d(rule)
            match = _d(rule.get("match"))
            route_vars = _vars(match.get("exprs"))
            if route_vars is None:
                continue  # ToVars failed: the controller does not program the route
            backends = []
            raw = _l(rule.get("backends"))
            for backend in raw:
                backend = _d(backend)
                name = backend.get("serviceName")
                if not isinstance(name, str):
                    continue
                port = backend.get("servicePort")
                if isinstance(port, str):
                    port = self.ports.get((namespace, name), {}).get(port, port)
                if not _valid_port(port):
                    continue  # no endpoints to send to
                weight = backend.get("weight")
                backends.append(
                    (Backend(namespace, name, port), weight if isinstance(weight, int) else 100)
                )
            if len(backends) == 1:
                backends = [(backends[0][0], 1)]
            plugins: dict[str, dict[str, Any]] = {}
            config_name = rule.get("plugin_config_name")
            plugin_causes: dict[str, tuple[Cause, ...]] = {}
            if isinstance(config_name, str) and config_name:
                config_namespace = rule.get("plugin_config_namespace") or namespace
                for plugin, config in self._plugin_config(config_name, config_namespace).items():
                    plugins[plugin] = config
                    plugin_causes[plugin] = (
                        Cause(
                            "ApisixPluginConfig", str(config_namespace), config_name, "spec.plugins"
                        ),
                    )
            plugins.update(_plugins(rule.get("plugins")))
            auth = _d(rule.get("authentication"))
            if auth.get("enable") is True:
                kind = auth.get("type")
                plugins[
                    {"keyAuth": "key-auth", "basicAuth": "basic-auth", "jwtAuth": "jwt-auth"}.get(
                        str(kind), f"auth-{kind}"
                    )
                ] = {}
            given = [h.lower() for h in _l(match.get("hosts")) if isinstance(h, str)]
            hosts = [h for h in given if _valid_host(h)] or None
            if given and hosts is None:
                continue  # the CRD's schema refuses such hosts
            methods = [m.upper() for m in _l(match.get("methods")) if isinstance(m, str)] or None
            raw_priority = rule.get("priority")
            priority = raw_priority if isinstance(raw_priority, int) else 0
            upstream_host = (
                self._upstream_host(namespace, backends[0][0].name) if len(backends) == 1 else None
            )
            self.plane.routes.append(
                DataRoute(
                    hosts,
                    [p for p in _l(match.get("paths")) if isinstance(p, str)],
                    methods,
                    route_vars,
                    priority,
                    backends,
                    plugins,
                    Cause("ApisixRoute", namespace, obj.name or "", f"spec.http[{i}]"),
                    plugin_causes=plugin_causes,
                    upstream_host=upstream_host,
                )
            )
        for i, stream in enumerate(_l(obj.spec.get("stream"))):
            stream = _d(stream)
            backend = _d(stream.get("backend"))
            port = _d(stream.get("match")).get("ingressPort")
            protocol = str(stream.get("protocol", "TCP")).upper()
            if protocol not in ("TCP", "UDP") or not _valid_port(port):
                continue  # the CRD's schema refuses it
            if isinstance(port, int) and isinstance(backend.get("serviceName"), str):
                self.plane.streams.append(
                    StreamRoute(
                        protocol,
                        port,
                        Backend(namespace, backend["serviceName"], backend.get("servicePort")),
                        Cause("ApisixRoute", namespace, obj.name or "", f"spec.stream[{i}]"),
                    )
                )


_HOST = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _valid_host(host: str) -> bool:
    """The API server's rule for Ingress hosts (a DNS name, optionally ``*.``); the
    ApisixRoute schema is close to it."""
    return len(host) <= 253 and _HOST.fullmatch(host) is not None


def _valid_port(port: object) -> bool:
    """A Service port number, or a port name left unresolved (the Service is not in the
    input)."""
    if isinstance(port, bool):
        return False
    if isinstance(port, int):
        return 0 < port < 65536
    return isinstance(port, str) and bool(port) and not port.isdigit()


def _plugins(value: Any) -> dict[str, dict[str, Any]]:
    """``plugins[]`` of a route or plugin config: the enabled ones by name."""
    found: dict[str, dict[str, Any]] = {}
    for item in _l(value):
        item = _d(item)
        if isinstance(item.get("name"), str) and item.get("enable", True) is not False:
            found[item["name"]] = _d(item.get("config"))
    return found


_OPS = {
    "Equal": ("==", False),
    "NotEqual": ("~=", False),
    "GreaterThan": (">", False),
    "GreaterThanEqual": (">=", False),
    "LessThan": ("<", False),
    "LessThanEqual": ("<=", False),
    "In": ("in", False),
    "NotIn": ("in", True),
    "RegexMatch": ("~~", False),
    "RegexMatchCaseInsensitive": ("~*", False),
    "RegexNotMatch": ("~~", True),
    "RegexNotMatchCaseInsensitive": ("~*", True),
}


def _vars(value: Any) -> list[Var] | None:
    """``ApisixRouteHTTPMatchExprs.ToVars``; None where it returns an error."""
    out: list[Var] = []
    for expr in _l(value):
        expr = _d(expr)
        subject = _d(expr.get("subject"))
        scope, name = subject.get("scope"), subject.get("name")
        if scope != "Path" and not (isinstance(name, str) and name):
            return None
        if scope == "Query":
            variable = f"arg_{name}"
        elif scope == "Header":
            variable = "http_" + str(name).lower().replace("-", "_")
        elif scope == "Cookie":
            variable = f"cookie_{name}"
        elif scope == "Path":
            variable = "uri"
        elif scope == "Variable":
            variable = str(name)
        elif scope == "Body":
            variable = f"post_arg.{name}"
        else:
            return None
        op = _OPS.get(str(expr.get("op")))
        if op is None:
            return None
        if expr.get("op") in ("In", "NotIn"):
            items = expr.get("set")
            if not isinstance(items, list):
                return None
            operand: Any = [str(v) for v in items]
        else:
            if expr.get("value") is None:
                return None
            operand = str(expr.get("value"))
        out.append((variable, op[0], op[1], operand))
    return out
