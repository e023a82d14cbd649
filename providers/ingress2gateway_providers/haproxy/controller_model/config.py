"""What the two HAProxy controllers make of the input: per host, the path entries of the
HAProxy maps (with their backends and the per-path settings that decide a request's answer),
the hosts that redirect to HTTPS, the SNI passthrough hosts and the TCP services.

Written from the controllers' code and documentation (not from the converter):

* HAProxy Technologies' kubernetes-ingress v3.2 — ``pkg/store/convert.go`` (class from
  ``spec.ingressClassName`` only; annotation prefixes ``haproxy.org/``, ``haproxy.com/``,
  ``ingress.kubernetes.io/`` or none stripped by ``cleanAnnotation``), ``pkg/store/store.go
  IsIngressClassSupported`` (unclassed Ingresses served when the controller runs without
  ``--ingress.class`` and no IngressClass is the default), ``pkg/route/route.go`` (maps
  ``path-exact``, ``path-prefix-exact``, ``path-prefix``), ``pkg/annotations/ingress/
  httpsRedirect.go`` and ``pkg/haproxy/rules/reqRequestRedirect.go`` (an Ingress with TLS
  redirects its hosts with 302 to ``https://host:8443``), ``accessControl.go``, ``basicAuth.go``,
  ``hostRedirect.go``, ``reqPathRewrite``/``reqSetHost`` rules, ``pkg/k8s/cr-tcp.go``.
* jcmoraisjr's HAProxy Ingress v0.16 — ``docs/content/en/docs/configuration/keys.md`` ("Class
  matter": the class annotation wins, unclassed Ingresses ignored; "Path type": begin, prefix,
  exact, regex; "SSL redirect" with ``no-tls-redirect-locations``; app-root, redirect-to,
  rewrite-target, allow/deny lists, auth, http-header-match) and
  ``pkg/converters/ingress/ingress.go``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Backend, Cause

TECH = "haproxytech"
COMMUNITY = "haproxy-ingress"
_TECH_CONTROLLER = "haproxy.org/ingress-controller"
_COMMUNITY_CONTROLLER = "haproxy-ingress.github.io/controller"
_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_TECH_PREFIXES = ("haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/")
_COMMUNITY_PREFIXES = ("haproxy-ingress.github.io/", "ingress.kubernetes.io/")
_TRUE = ("true", "1", "t", "yes", "on", "y", "enabled")
_FALSE = ("false", "0", "f", "no", "off", "n", "disabled")


@dataclass
class Entry:
    """One path of a host. ``kind``: exact | prefix | chars | regex."""

    kind: str
    path: str
    backend: Backend | None
    cause: Cause
    controller: str
    insensitive: bool = False
    headers: tuple[tuple[str, str, bool], ...] = ()
    """(lower-case name, value, is a regular expression)."""
    guards: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    """Access controls the model cannot evaluate (pattern files, oauth, a denying snippet)."""
    redirect: tuple[int, str, bool] | None = None
    """(status, location, keep the request URI) of request-redirect / redirect-to."""
    rewrite_full: str | None = None
    rewrite_regex: tuple[str, str] | None = None
    rewrite_prefix: str | None = None
    host_header: str | None = None
    ssl_redirect: bool | None = None
    """HAProxy Ingress: this path's ssl-redirect (None: the default, on for TLS hosts)."""
    order: int = 0
    extra_causes: tuple[Cause, ...] = ()
    """Service annotations that decided the answer."""
    keys: dict[str, str] = field(default_factory=dict)
    """The annotations the entry read, name → full key (for causes)."""


@dataclass
class HostRedirect:
    code: int
    port: int
    causes: tuple[Cause, ...]
    """The TLS entry (or ssl-redirect) and the Ingress's paths on the host, which make it."""


@dataclass
class Config:
    entries: dict[str | None, list[Entry]] = field(default_factory=dict)
    tls_hosts: set[str] = field(default_factory=set)
    redirects: dict[str, HostRedirect] = field(default_factory=dict)
    """HAProxy Technologies: hosts whose plain HTTP is redirected."""
    app_roots: dict[str, tuple[str, Cause]] = field(default_factory=dict)
    aliases: dict[str, tuple[str, Cause]] = field(default_factory=dict)
    redirect_from: dict[str, tuple[str, int, Cause]] = field(default_factory=dict)
    """HAProxy Ingress redirect-from: other name → (this host, status, cause)."""
    """HAProxy Ingress server-alias: alias → the host whose rules answer it."""
    passthrough: dict[str, tuple[Backend, Cause]] = field(default_factory=dict)
    tcp: dict[int, tuple[Backend, Cause]] = field(default_factory=dict)
    skipped: list[Cause] = field(default_factory=list)
    defaults: dict[str, dict[str, tuple[str, Cause]]] = field(default_factory=dict)
    class_params: dict[str, dict[str, tuple[str, Cause]]] = field(default_factory=dict)
    """HAProxy Ingress: per IngressClass, its ``spec.parameters`` ConfigMap."""
    """Per controller, the ConfigMap's keys (global defaults)."""
    community_redirect_code: int = 302
    service_refusals: dict[tuple[str, str, str], tuple[tuple[str, ...], tuple[Cause, ...]]] = field(
        default_factory=dict
    )


def _keys(obj: KubeObject, controller: str) -> dict[str, str]:
    """name → full key, for the keys the controller reads (the first prefix wins)."""
    prefixes = _TECH_PREFIXES if controller == TECH else _COMMUNITY_PREFIXES
    found: dict[str, str] = {}
    for prefix in reversed(prefixes):
        for key in obj.annotations:
            if key.startswith(prefix) and "/" not in key[len(prefix) :]:
                found[key[len(prefix) :]] = key
    if controller == TECH:
        for key in obj.annotations:
            if "/" not in key and key not in found:
                found.setdefault(key, key)
    return found


def _controller(obj: KubeObject, classes: dict[str, str], option: str) -> str:
    annotated = obj.annotations.get(_CLASS_ANNOTATION)
    spec_class = obj.spec.get("ingressClassName")
    for name in (annotated, spec_class):
        controller = classes.get(name) if isinstance(name, str) else None
        if controller == _COMMUNITY_CONTROLLER:
            return COMMUNITY
        if controller and (
            controller == _TECH_CONTROLLER or controller.startswith(_TECH_CONTROLLER + "/")
        ):
            return TECH
    if option in (TECH, COMMUNITY):
        return option
    keys = list(obj.annotations)
    if any(k.startswith("haproxy-ingress.github.io/") for k in keys) and not _tech_keys(obj):
        return COMMUNITY
    return TECH


# HAProxy Technologies' keys (documentation/doc.yaml), which it reads without prefix too: such a
# key on an Ingress says which controller it was written for.
_TECH_BARE = frozenset(
    {
        "allow-list",
        "auth-realm",
        "auth-secret",
        "auth-type",
        "backend-config-snippet",
        "blacklist",
        "check",
        "check-http",
        "check-interval",
        "cookie-persistence",
        "cors-allow-credentials",
        "cors-allow-headers",
        "cors-allow-methods",
        "cors-allow-origin",
        "cors-enable",
        "cors-max-age",
        "deny-list",
        "forwarded-for",
        "ingress.class",
        "load-balance",
        "path-rewrite",
        "pod-maxconn",
        "rate-limit-period",
        "rate-limit-requests",
        "rate-limit-size",
        "rate-limit-status-code",
        "rate-limit-whitelist",
        "request-capture",
        "request-capture-len",
        "request-redirect",
        "request-redirect-code",
        "request-set-header",
        "response-set-header",
        "route-acl",
        "scale-server-slots",
        "send-proxy-protocol",
        "server-ca",
        "server-crt",
        "server-proto",
        "server-ssl",
        "set-host",
        "src-ip-header",
        "ssl-passthrough",
        "ssl-redirect",
        "ssl-redirect-code",
        "ssl-redirect-port",
        "standalone-backend",
        "timeout-check",
        "timeout-server",
        "whitelist",
    }
)


def _tech_keys(obj: KubeObject) -> bool:
    return any(
        k.startswith(("haproxy.org/", "haproxy.com/")) or k in _TECH_BARE for k in obj.annotations
    )


def _served_class(
    obj: KubeObject, controller: str, classes: dict[str, str], defaults: set[str], owned: set[str]
) -> bool:
    annotated = obj.annotations.get(_CLASS_ANNOTATION)
    spec_class = obj.spec.get("ingressClassName")
    if controller == COMMUNITY:
        name = annotated or spec_class
        return isinstance(name, str) and name in owned
    if isinstance(spec_class, str) and spec_class:
        return spec_class in owned
    if defaults or any(c.startswith(_TECH_CONTROLLER + "/") for c in classes.values()):
        return False
    tech_keys = _tech_keys(obj)
    bare = obj.annotations.get("ingress.class")
    return tech_keys or bare in owned or annotated in owned


def _time_order(obj: KubeObject) -> tuple[str, str, str]:
    stamp = obj.metadata.get("creationTimestamp")
    return (stamp if isinstance(stamp, str) else "", obj.namespace or "", obj.name or "")


def read(objects: Sequence[KubeObject], options: ConvertOptions) -> Config | None:
    option = options.for_provider("haproxy").get("controller", "auto")
    classes: dict[str, str] = {}
    defaults: set[str] = set()
    for obj in objects:
        if obj.kind == "IngressClass" and obj.name:
            controller = obj.spec.get("controller")
            classes[obj.name] = controller if isinstance(controller, str) else ""
            meta = obj.metadata.get("annotations")
            if (
                isinstance(meta, dict)
                and meta.get("ingressclass.kubernetes.io/is-default-class") == "true"
            ):
                defaults.add(obj.name)
    owned = set(options.ingress_classes or ("haproxy",))
    for name, controller in classes.items():
        if controller == _COMMUNITY_CONTROLLER or controller.startswith(_TECH_CONTROLLER):
            owned.add(name)
        elif name in owned and controller and not options.ingress_classes:
            owned.discard(name)
    ports = _service_ports(objects)
    config = Config()
    config.service_refusals = _service_refusals(objects)
    config.defaults = _configmaps(objects, options)
    config.class_params = _class_params(objects)
    code = config.defaults.get(COMMUNITY, {}).get("ssl-redirect-code", ("302", None))[0].strip()
    config.community_redirect_code = (
        int(code) if code in ("301", "302", "303", "307", "308") else 302
    )
    ingresses = sorted(
        (o for o in objects if o.kind == "Ingress" and o.api_version == "networking.k8s.io/v1"),
        key=_time_order,
    )
    found = False
    for obj in ingresses:
        controller = _controller(obj, classes, option)
        if not _served_class(obj, controller, classes, defaults, owned):
            continue
        found = True
        _read_ingress(config, obj, controller, ports)
    for obj in objects:
        if obj.kind == "TCP" and obj.group.startswith(("ingress.v3.haproxy.org", "ingress.v1")):
            wanted = obj.annotations.get("ingress.class")
            if wanted and wanted not in owned:
                continue
            found = True
            _read_tcp(config, obj)
    return config if found else None


def _data(obj: KubeObject) -> dict[str, tuple[str, Cause]]:
    data = obj.data.get("data")
    return {
        k: (v, Cause("ConfigMap", obj.namespace or "default", obj.name or "", f"data[{k}]"))
        for k, v in (data.items() if isinstance(data, dict) else [])
        if isinstance(k, str) and isinstance(v, str)
    }


def _configmaps(
    objects: Sequence[KubeObject], options: ConvertOptions
) -> dict[str, dict[str, tuple[str, Cause]]]:
    """The controllers' ConfigMaps in the input (``--configmap`` of each: HAProxy
    Technologies' Helm chart names it ``haproxy-kubernetes-ingress``, HAProxy Ingress's
    ``haproxy-ingress``)."""
    named = options.for_provider("haproxy")
    found: dict[str, dict[str, tuple[str, Cause]]] = {}
    for controller, option, default in (
        (TECH, "configmap", "haproxy-kubernetes-ingress"),
        (COMMUNITY, "ingress-configmap", "haproxy-ingress"),
    ):
        namespace, _, name = (named.get(option) or default).rpartition("/")
        for obj in objects:
            if (
                obj.kind == "ConfigMap"
                and obj.name == name
                and (not namespace or obj.namespace == namespace)
            ):
                found[controller] = _data(obj)
                break
    return found


def _class_params(objects: Sequence[KubeObject]) -> dict[str, dict[str, tuple[str, Cause]]]:
    found: dict[str, dict[str, tuple[str, Cause]]] = {}
    for obj in objects:
        if obj.kind != "IngressClass" or obj.spec.get("controller") != _COMMUNITY_CONTROLLER:
            continue
        params = obj.spec.get("parameters")
        if not isinstance(params, dict) or params.get("kind") != "ConfigMap" or not obj.name:
            continue
        namespace = params.get("namespace")
        for cm in objects:
            if (
                cm.kind == "ConfigMap"
                and cm.name == params.get("name")
                and (not isinstance(namespace, str) or cm.namespace == namespace)
            ):
                found[obj.name] = _data(cm)
                break
    return found


def _service_refusals(
    objects: Sequence[KubeObject],
) -> dict[tuple[str, str, str], tuple[tuple[str, ...], tuple[Cause, ...]]]:
    """Per (namespace, Service, controller): the raw backend configuration that denies
    requests (the model cannot evaluate it), and the fields that hold it."""
    found: dict[tuple[str, str, str], tuple[tuple[str, ...], tuple[Cause, ...]]] = {}
    for obj in objects:
        if obj.kind != "Service" or not obj.name:
            continue
        namespace = obj.namespace or "default"
        for controller, names in (
            (TECH, ("backend-config-snippet",)),
            (COMMUNITY, ("config-backend", "config-backend-early", "config-backend-late")),
        ):
            keys = _keys(obj, controller)
            refused: list[str] = []
            causes: list[Cause] = []
            for name in names:
                text = obj.annotations.get(keys.get(name, ""), "")
                if isinstance(text, str) and _DENY.search(text):
                    refused.append(name)
                    causes.append(
                        Cause("Service", namespace, obj.name, f"metadata.annotations[{keys[name]}]")
                    )
            if refused:
                found[(namespace, obj.name, controller)] = (tuple(refused), tuple(causes))
    return found


_DENY = re.compile(r"http-request\s+(deny|auth|return|tarpit)")


def _service_ports(objects: Sequence[KubeObject]) -> dict[tuple[str, str], dict[str, int]]:
    ports: dict[tuple[str, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or not obj.name:
            continue
        named: dict[str, int] = {}
        for entry in obj.spec.get("ports") or []:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("name"), str)
                and isinstance(entry.get("port"), int)
            ):
                named[entry["name"]] = entry["port"]
        ports[(obj.namespace or "default", obj.name)] = named
    return ports


def _backend(
    raw: Any, namespace: str, ports: dict[tuple[str, str], dict[str, int]]
) -> Backend | None:
    service: dict[str, Any] = raw.get("service") if isinstance(raw, dict) else None  # type: ignore[assignment]
    if not isinstance(service, dict) or not isinstance(service.get("name"), str):
        return None
    port: dict[str, Any] = service["port"] if isinstance(service.get("port"), dict) else {}
    number = port.get("number")
    if not isinstance(number, int):
        number = ports.get((namespace, service["name"]), {}).get(str(port.get("name")))
    if number is None:
        return None
    return Backend(namespace, service["name"], number)


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    return None


def _networks(value: str) -> tuple[str, bool]:
    """The normal form of an address list, and whether it can be evaluated at all."""
    found = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            return item, False
    return ",".join(sorted(set(found))), bool(found)


def _read_ingress(
    config: Config, obj: KubeObject, controller: str, ports: dict[tuple[str, str], dict[str, int]]
) -> None:
    namespace = obj.namespace or "default"
    keys = _keys(obj, controller)
    ann = obj.annotations

    class_name = ann.get(_CLASS_ANNOTATION) or obj.spec.get("ingressClassName")
    layered = dict(config.defaults.get(controller, {}))
    if controller == COMMUNITY and isinstance(class_name, str):
        layered.update(config.class_params.get(class_name, {}))

    used: list[Cause] = []

    def value(name: str) -> str | None:
        key = keys.get(name)
        if key:
            text = ann.get(key)
        elif name in layered:
            text, cause = layered[name]
            if cause not in used:
                used.append(cause)
        else:
            text = None
        return text.strip() if isinstance(text, str) and text.strip() else None

    tls_hosts: set[str] = set()
    for entry in obj.spec.get("tls") or []:
        if isinstance(entry, dict):
            tls_hosts.update(h.lower() for h in entry.get("hosts") or [] if isinstance(h, str))
    config.tls_hosts.update(tls_hosts)
    hosts: list[str] = []
    path_causes: list[tuple[str | None, Cause]] = []
    passthrough = _flag(value("ssl-passthrough")) is True
    guards, refused = _access(controller, value, keys)
    common: dict[str, Any] = {"guards": guards, "refused": refused}
    if controller == TECH:
        target = value("request-redirect")
        if target:
            code = int(value("request-redirect-code") or 302)
            common["redirect"] = (code, target, True)
        rewrite = value("path-rewrite")
        if rewrite and len(rewrite.split()) == 1:
            common["rewrite_full"] = rewrite
        elif rewrite:
            pattern, _, replacement = rewrite.partition(" ")
            common["rewrite_regex"] = (pattern, replacement.strip())
        common["host_header"] = value("set-host")
    else:
        target = value("redirect-to")
        if target:
            common["redirect"] = (int(value("redirect-to-code") or 302), target, False)
        common["rewrite_prefix"] = value("rewrite-target")
        common["ssl_redirect"] = _flag(value("ssl-redirect"))
        common["headers"] = _header_matches(value)
    rules = obj.spec.get("rules") or []
    for r_index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        host = rule.get("host")
        host = host.lower() if isinstance(host, str) and host else None
        if host:
            hosts.append(host)
        http: dict[str, Any] = rule["http"] if isinstance(rule.get("http"), dict) else {}
        for p_index, path in enumerate(http.get("paths") or []):
            if not isinstance(path, dict):
                continue
            cause = Cause(
                "Ingress", namespace, obj.name or "", f"spec.rules[{r_index}].http.paths[{p_index}]"
            )
            backend = _backend(path.get("backend"), namespace, ports)
            path_causes.append((host, cause))
            if passthrough and host:
                if host not in config.passthrough and backend is not None:
                    config.passthrough[host] = (backend, cause)
                continue
            text = path.get("path") if isinstance(path.get("path"), str) else "/"
            kind, insensitive = _kind(controller, str(path.get("pathType")), value("path-type"))
            refusal = (
                config.service_refusals.get((namespace, backend.name, controller))
                if backend is not None
                else None
            )
            settings = dict(common)
            extra: tuple[Cause, ...] = tuple(used)
            if refusal is not None:
                settings["refused"] = (*settings["refused"], *refusal[0])
                extra = (*extra, *refusal[1])
            config.entries.setdefault(host, []).append(
                Entry(
                    kind,
                    text or "/",
                    backend,
                    cause,
                    controller,
                    insensitive=insensitive,
                    order=len(config.entries.get(host, [])),
                    keys=keys,
                    extra_causes=extra,
                    **settings,
                )
            )
    if controller == TECH:
        wanted = _flag(value("ssl-redirect"))
        if wanted is None:
            wanted = bool(tls_hosts)
        if wanted:
            code = int(value("ssl-redirect-code") or 302)
            port = int(value("ssl-redirect-port") or 8443)
            field = (
                f"metadata.annotations[{keys['ssl-redirect']}]"
                if value("ssl-redirect")
                else "spec.tls"
            )
            cause = Cause("Ingress", namespace, obj.name or "", field)
            for host in hosts:
                paths = tuple(p for h, p in path_causes if h == host)
                config.redirects.setdefault(host, HostRedirect(code, port, (cause, *paths)))
    else:
        alias = value("server-alias")
        if alias and keys.get("server-alias"):
            cause = Cause(
                "Ingress",
                namespace,
                obj.name or "",
                f"metadata.annotations[{keys['server-alias']}]",
            )
            for host in hosts:
                config.aliases.setdefault(alias.lower(), (host, cause))
        source_host = value("redirect-from")
        if source_host and keys.get("redirect-from"):
            code_text = value("redirect-from-code") or "302"
            code = int(code_text) if code_text in ("301", "302", "303", "307", "308") else 302
            cause = Cause(
                "Ingress",
                namespace,
                obj.name or "",
                f"metadata.annotations[{keys['redirect-from']}]",
            )
            for host in hosts[:1]:
                config.redirect_from.setdefault(source_host.lower(), (host, code, cause))
        root = value("app-root")
        if root:
            cause = Cause(
                "Ingress", namespace, obj.name or "", f"metadata.annotations[{keys['app-root']}]"
            )
            for host in hosts:
                config.app_roots.setdefault(host, (root, cause))


def _kind(controller: str, path_type: str, mode: str | None) -> tuple[str, bool]:
    if path_type == "Exact":
        return "exact", False
    if path_type == "Prefix":
        return "prefix", False
    if controller == TECH:
        return "chars", False
    mode = (mode or "begin").lower()
    if mode in ("exact", "prefix", "regex"):
        return mode, False
    return "chars", True


def _access(
    controller: str, value: Any, keys: dict[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    guards: list[str] = []
    refused: list[str] = []
    if controller == TECH:
        allow = value("allow-list") or value("whitelist")
        deny = value("deny-list") or value("blacklist")
        header = value("src-ip-header")
        auth = value("auth-type")
        if auth is not None:
            if auth == "basic-auth" and value("auth-secret"):
                guards.append("basic-auth")
            else:
                refused.append("auth-type")
    else:
        allow = value("allowlist-source-range") or value("whitelist-source-range")
        deny = value("denylist-source-range")
        header = value("allowlist-source-header")
        if value("auth-secret"):
            guards.append("basic-auth")
        if value("auth-url"):
            guards.append("external-auth")
        if value("auth-tls-secret") and (value("auth-tls-verify-client") or "on") != "off":
            guards.append("client-certificate")
        if value("oauth"):
            refused.append("oauth")
        for name in ("config-backend", "config-backend-early", "config-backend-late"):
            if re.search(r"http-request\s+(deny|auth|return|tarpit)", value(name) or ""):
                refused.append(name)
    if controller == TECH and re.search(
        r"http-request\s+(deny|auth|return|tarpit)", value("backend-config-snippet") or ""
    ):
        refused.append("backend-config-snippet")
    for text, kind in ((allow, "ip-allow"), (deny, "ip-deny")):
        if text is None:
            continue
        if header is not None:
            refused.append("client address from a header")
            continue
        networks, ok = _networks(text)
        if ok:
            guards.append(f"{kind} {networks}")
        else:
            refused.append(kind)
    return tuple(guards), tuple(refused)


def _header_matches(value: Any) -> tuple[tuple[str, str, bool], ...]:
    found = []
    for name, regex in (("http-header-match", False), ("http-header-match-regex", True)):
        for line in (value(name) or "").splitlines():
            header, _, text = line.partition(":")
            if header.strip():
                found.append((header.strip().lower(), text.strip(), regex))
    return tuple(sorted(found))


def _read_tcp(config: Config, obj: KubeObject) -> None:
    spec = obj.data.get("spec")
    for index, entry in enumerate(spec if isinstance(spec, list) else []):
        if not isinstance(entry, dict):
            continue
        service: dict[str, Any] = _mapping(entry.get("service"))
        frontend: dict[str, Any] = _mapping(entry.get("frontend"))
        binds: dict[str, Any] = _mapping(frontend.get("binds"))
        name, port = service.get("name"), service.get("port")
        if not isinstance(name, str) or not isinstance(port, int):
            continue
        for bind in binds.values():
            if isinstance(bind, dict) and isinstance(bind.get("port"), int) and not bind.get("ssl"):
                cause = Cause(
                    "TCP", obj.namespace or "default", obj.name or "", f"spec[{index}].service"
                )
                config.tcp.setdefault(
                    bind["port"], (Backend(obj.namespace or "default", name, port), cause)
                )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
