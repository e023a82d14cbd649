"""What both NGINX controller models read from the input: which Ingresses each controller
serves, their rules, the controller ConfigMap, and the Services' named ports."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting.ingress import ingress_classes, is_ingress, resolve_class
from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.gateway import external
from ingress2gateway.verification.model import Backend, Cause

INGRESS_NGINX = "k8s.io/ingress-nginx"
NGINX_INC = "nginx.org/ingress-controller"
INGRESS_NGINX_PREFIX = "nginx.ingress.kubernetes.io/"
NGINX_INC_PREFIXES = ("nginx.org/", "nginx.com/", "appprotect.f5.com/", "appprotectdos.f5.com/")
CONFIGMAP_NAMES = ("ingress-nginx-controller", "nginx-configuration", "nginx-ingress-controller")

# The risk of ingress-nginx annotations above Medium (``internal/ingress/annotations/*``:
# ``Risk: parser.AnnotationRisk...``); the others are Low or Medium.
_RISK_HIGH = 2
_RISK_CRITICAL = 3
ANNOTATION_RISK = {
    "auth-snippet": _RISK_CRITICAL,
    "configuration-snippet": _RISK_CRITICAL,
    "modsecurity-snippet": _RISK_CRITICAL,
    "server-snippet": _RISK_CRITICAL,
    "stream-snippet": _RISK_CRITICAL,
    "auth-tls-error-page": _RISK_HIGH,
    "auth-tls-match-cn": _RISK_HIGH,
    "auth-signin": _RISK_HIGH,
    "auth-url": _RISK_HIGH,
    "mirror-host": _RISK_HIGH,
    "mirror-target": _RISK_HIGH,
    "modsecurity-transaction-id": _RISK_HIGH,
    "proxy-ssl-name": _RISK_HIGH,
    "server-alias": _RISK_HIGH,
    "upstream-hash-by": _RISK_HIGH,
}
_RISK_LEVELS = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass
class Rule:
    host: str | None
    paths: list[Any] | None
    """None: a rule without ``http``."""


@dataclass
class IngressInfo:
    """One Ingress as the models read it (the raw manifest, nothing of the converter's)."""

    obj: KubeObject
    prefix: str
    rules: list[Rule] = field(default_factory=list)
    default_backend: Any = None
    default_backend_field: str = "spec.defaultBackend"
    tls: list[tuple[list[str], str | None]] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return self.obj.namespace or "default"

    @property
    def name(self) -> str:
        return self.obj.name or ""

    def annotation(self, name: str) -> str | None:
        """The value of annotation ``name`` (an ingress-nginx name, or a full key)."""
        key = name if "/" in name else self.prefix + name
        return self.obj.annotations.get(key)

    def field(self, name: str) -> str:
        key = name if "/" in name else self.prefix + name
        return f"metadata.annotations[{key}]"

    @property
    def highest_risk(self) -> int:
        risks = [
            ANNOTATION_RISK.get(key[len(self.prefix) :], 0)
            for key in self.obj.annotations
            if key.startswith(self.prefix)
        ]
        return max(risks, default=0)

    def tls_index(self, host: str | None) -> int:
        """The index of the first ``spec.tls`` entry that covers ``host`` (see
        :meth:`tls_hosts_of`)."""
        for index, (hosts, secret) in enumerate(self.tls):
            if host in hosts or (not hosts and secret):
                return index
        return 0

    def tls_hosts_of(self, host: str | None) -> bool:
        """Whether a ``spec.tls`` entry covers ``host``: it lists it, or it lists no host and
        names a Secret. (The controller then looks for a certificate whose names cover the
        host, ``extractTLSSecretName``; the Secret is not in the input, so the model assumes,
        as the Ingress's author did, that it covers the Ingress's hosts.)"""
        if host is None:
            return False
        return any(host in hosts or (not hosts and secret) for hosts, secret in self.tls)


def read_ingress(obj: KubeObject, prefix: str) -> IngressInfo:
    spec = obj.spec
    info = IngressInfo(obj, prefix)
    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), dict):
            info.default_backend, info.default_backend_field = spec[key], f"spec.{key}"
            break
    for raw in spec.get("rules") or []:
        if not isinstance(raw, dict):
            continue
        host = raw.get("host") if isinstance(raw.get("host"), str) and raw.get("host") else None
        http = raw.get("http")
        paths = http.get("paths") if isinstance(http, dict) else None
        info.rules.append(
            Rule(host.lower() if host else None, paths if isinstance(paths, list) else None)
        )
    for raw in spec.get("tls") or []:
        if isinstance(raw, dict):
            hosts = [str(h).lower() for h in raw.get("hosts") or [] if isinstance(h, str)]
            secret = raw.get("secretName") if isinstance(raw.get("secretName"), str) else None
            info.tls.append((hosts, secret or None))
    return info


@dataclass
class ControllerConfig:
    """The controller ConfigMap's keys the models read, with the controller's defaults."""

    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    redirect_code: int = 308
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    risk_level: int = _RISK_CRITICAL
    """``annotations-risk-level``: ``High`` by default since v1.12, but unless the ConfigMap in
    the input says so the controller's version is not known, and it must have admitted what
    the input uses."""
    default_guards: tuple[str, ...] = ()
    """The ConfigMap's ``whitelist-source-range`` / ``denylist-source-range``: the default of
    every location without the annotation."""
    causes: tuple[Cause, ...] = ()
    """The ConfigMap's keys the model read, as causes."""
    use_forwarded_headers: bool = False
    """``use-forwarded-headers``: the scheme a request arrived with, for the HTTPS redirect, is
    its ``X-Forwarded-Proto`` when it has one (``lua_ingress.lua``, ``rewrite``)."""
    allow_snippets: bool = True
    """``allow-snippet-annotations`` (false by default since v1.9; without the ConfigMap in the
    input, assumed true: the input's snippets must have worked)."""
    block_guards: tuple[str, ...] = ()
    """``block-cidrs`` (``deny`` in the ``http`` block: only locations without ``allow`` /
    ``deny`` of their own inherit it), ``block-user-agents`` and ``block-referers`` (a 403 in
    every server for a listed ``User-Agent`` / ``Referer``), as guards (nginx.tmpl, "Global
    filters")."""
    block_causes: tuple[Cause, ...] = ()
    global_auth: bool = False
    """``global-auth-url`` that ``parser.StringToURL`` accepts (``configmap.go``): external
    auth in front of every location without its own ``auth-url`` whose Ingress does not set
    ``enable-global-auth: "false"`` (nginx.tmpl, ``shouldApplyGlobalAuth``)."""
    global_auth_cause: Cause | None = None
    no_auth_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    """``no-auth-locations``: locations whose path starts with one of them get no external or
    basic auth (nginx.tmpl, ``isLocationInLocationList``)."""
    no_auth_cause: Cause | None = None
    allowed_response_headers: frozenset[str] | None = None
    """``global-allowed-response-headers`` (None: the ConfigMap is not in the input, so the
    controller that served the input's ``custom-headers`` must have allowed them)."""
    word_blocklist: tuple[str, ...] = ()
    """``annotation-value-word-blocklist``: an Ingress with an annotation of the controller's
    prefix whose value contains one of these is not served (``store.go``, ``syncIngress``,
    ``checkBadAnnotationValue``; the admission webhook refuses it too: ``CheckIngress``)."""
    word_blocklist_cause: Cause | None = None


def read_config(objects: Sequence[KubeObject], options: ConvertOptions) -> ControllerConfig:
    named = options.for_provider("nginx").get("configmap")
    found = None
    for obj in objects:
        if obj.kind != "ConfigMap" or obj.api_version != "v1":
            continue
        key = f"{obj.namespace}/{obj.name}"
        if (named and key == named) or (not named and obj.name in CONFIGMAP_NAMES):
            found = obj
            break
    config = ControllerConfig()
    if found is None:
        return config
    data = found.data.get("data")
    text = {str(k): str(v).strip() for k, v in data.items()} if isinstance(data, dict) else {}
    # annotations-risk-level is High by default since v1.12, which refuses every Ingress with
    # a snippet; before, there was no such check. Without the key the controller's version is
    # not known: the model assumes the Ingresses of the input were served, as the converter does.
    config.risk_level = _RISK_LEVELS.get(text.get("annotations-risk-level", "Critical").lower(), 3)
    config.allow_snippets = text.get("allow-snippet-annotations", "false").lower() == "true"
    guards = []
    causes = []
    for key, guard in (
        ("whitelist-source-range", "ip-allow"),
        ("denylist-source-range", "ip-deny"),
    ):
        cidrs = sorted({str(_network(c)) for c in text.get(key, "").split(",") if _network(c)})
        if cidrs:
            guards.append(f"{guard} {','.join(cidrs)}")
        if key in text:
            causes.append(Cause("ConfigMap", found.namespace, found.name or "", f"data[{key}]"))
    config.default_guards, config.causes = tuple(guards), tuple(causes)

    def cause(key: str) -> Cause:
        return Cause("ConfigMap", found.namespace, found.name or "", f"data[{key}]")

    config.allowed_response_headers = frozenset(
        item.strip()
        for item in text.get("global-allowed-response-headers", "").split(",")
        if item.strip()
    )
    blocked = sorted(
        {str(_network(c)) for c in text.get("block-cidrs", "").split(",") if _network(c)}
    )
    block_guards = [f"ip-deny {','.join(blocked)}"] if blocked else []
    block_causes = [cause("block-cidrs")] if blocked else []
    for key, header in (("block-user-agents", "user-agent"), ("block-referers", "referer")):
        entries = [e.strip() for e in text.get(key, "").split(",") if e.strip()]
        if entries:
            block_guards.append(f"{header}-deny {','.join(entries)}")
            block_causes.append(cause(key))
    config.block_guards, config.block_causes = tuple(block_guards), tuple(block_causes)
    if "global-auth-url" in text and string_to_url(text["global-auth-url"]) is not None:
        config.global_auth, config.global_auth_cause = True, cause("global-auth-url")
    if "no-auth-locations" in text:
        config.no_auth_locations = tuple(
            item.strip() for item in text["no-auth-locations"].split(",") if item.strip()
        )
        config.no_auth_cause = cause("no-auth-locations")
    # store.go checkBadAnnotationValue: the list trimmed as a whole, then split on commas; each
    # word as it is (an empty one, from ",," or a trailing comma, is in every value).
    if text.get("annotation-value-word-blocklist"):
        config.word_blocklist = tuple(text["annotation-value-word-blocklist"].split(","))
        config.word_blocklist_cause = cause("annotation-value-word-blocklist")
    if "ssl-redirect" in text:
        config.ssl_redirect = text["ssl-redirect"].lower() == "true"
    if "force-ssl-redirect" in text:
        config.force_ssl_redirect = text["force-ssl-redirect"].lower() == "true"
    config.use_forwarded_headers = text.get("use-forwarded-headers", "").lower() == "true"
    code = text.get("http-redirect-code", "")
    if code.isdigit() and int(code) in (301, 302, 307, 308):
        config.redirect_code = int(code)
    if "no-tls-redirect-locations" in text:
        config.no_tls_redirect_locations = tuple(
            item.strip() for item in text["no-tls-redirect-locations"].split(",") if item.strip()
        )
    return config


def string_to_url(value: str) -> tuple[str, str] | None:
    """``parser.StringToURL``: Go's ``url.Parse``, then a scheme, a host, and no ``..`` in the
    host; the scheme and host, or None when the controller refuses the URL."""
    from urllib.parse import urlsplit

    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return None  # url.Parse: "invalid control character in URL"
    try:
        parts = urlsplit(value)
        _ = parts.port  # url.Parse: "invalid port"
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    if not parts.scheme or not host or ".." in host:
        return None
    return parts.scheme, host


def _network(text: str) -> object | None:
    import ipaddress

    try:
        return ipaddress.ip_network(text.strip(), strict=False) if text.strip() else None
    except ValueError:
        return None


def service_ports(objects: Sequence[KubeObject]) -> dict[tuple[str, str], dict[str, int]]:
    ports: dict[tuple[str, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.api_version != "v1" or not obj.name:
            continue
        named: dict[str, int] = {}
        for entry in obj.spec.get("ports") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                port = entry.get("port")
                if isinstance(port, int) and not isinstance(port, bool):
                    named[entry["name"]] = port
        ports[(obj.namespace or "default", obj.name)] = named
    return ports


def external_name_services(objects: Sequence[KubeObject]) -> dict[tuple[str, str], dict[str, Any]]:
    """Services of type ``ExternalName`` (with an ``externalName``), by namespace and name."""
    return {
        (obj.namespace or "default", obj.name): obj.spec
        for obj in objects
        if obj.kind == "Service"
        and obj.api_version == "v1"
        and obj.name
        and obj.spec.get("type") == "ExternalName"
        and isinstance(obj.spec.get("externalName"), str)
    }


# A Service's cluster DNS name: <service>.<namespace>.svc[.cluster.local][.]
_SERVICE_DNS = re.compile(r"([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?")


def external_name_target(external_name: str, port: int | None) -> Backend:
    """What nginx reaches through an ExternalName Service whose ``externalName`` it resolves:
    the Service whose cluster DNS name it is (its ClusterIP, on that port: the same backend as
    an Envoy Gateway Backend of that FQDN), else the external host and port."""
    found = _SERVICE_DNS.fullmatch(external_name.strip().lower())
    if found is not None:
        return Backend(found.group(2), found.group(1), port)
    return external(external_name, port)


def controller_of(
    obj: KubeObject, class_controller: str | None, prefix: str = INGRESS_NGINX_PREFIX
) -> str:
    """Which NGINX controller serves an Ingress: its IngressClass's ``spec.controller`` when the
    input has it (each controller watches the classes naming it: NGINX Inc's
    ``hasCorrectIngressClass``), else NGINX Inc for an Ingress that only speaks NGINX Inc's
    annotations (``prefix``: ingress-nginx's, as ``--annotations-prefix`` sets it)."""
    if class_controller in (INGRESS_NGINX, NGINX_INC):
        return class_controller
    keys = obj.annotations
    inc = any(k.startswith(NGINX_INC_PREFIXES) for k in keys)
    community = any(k.startswith(prefix) for k in keys)
    return NGINX_INC if inc and not community else INGRESS_NGINX


def select(
    objects: Sequence[KubeObject], options: ConvertOptions, prefix: str
) -> dict[str, list[IngressInfo]]:
    """The Ingresses each controller serves (by its name), oldest first, ties by
    ``namespace/name`` descending (``store.go``, ``sortIngressSlice``)."""
    classes = ingress_classes(objects)
    owned = set(options.ingress_classes or ("nginx",))
    if options.default_ingress_class and not options.ingress_classes:
        owned.add(options.default_ingress_class)
    for info in classes.values():
        if info.controller in (INGRESS_NGINX, NGINX_INC):
            owned.add(info.name)
        elif info.name in owned and info.controller and not options.ingress_classes:
            owned.discard(info.name)
    chosen: dict[str, list[IngressInfo]] = {INGRESS_NGINX: [], NGINX_INC: []}
    for obj in objects:
        if not is_ingress(obj) or (options.namespace and obj.namespace != options.namespace):
            continue
        class_name, _ = resolve_class(obj, classes, options.default_ingress_class)
        if class_name is None or class_name not in owned:
            continue
        controller = controller_of(
            obj, classes[class_name].controller if class_name in classes else None, prefix
        )
        chosen[controller].append(read_ingress(obj, prefix))
    for infos in chosen.values():
        infos.sort(key=_age)
    return chosen


def _age(info: IngressInfo) -> tuple[str, str]:
    stamp = info.obj.metadata.get("creationTimestamp")
    inverted = "".join(chr(0x10FFFF - ord(c)) for c in f"{info.namespace}/{info.name}")
    # Without a timestamp (a manifest never applied) an Ingress counts as the newest, as the
    # converter assumes: it was not created yet.
    return (stamp if isinstance(stamp, str) and stamp else "\uffff", inverted)
