"""Reading Ingress objects: every apiVersion, class resolution, and per-part validation.

``networking.k8s.io/v1`` is read as is; ``extensions/v1beta1`` and ``networking.k8s.io/v1beta1``
(``serviceName``/``servicePort``, ``spec.backend``) are read into the same model, so old
manifests convert instead of losing their backends. A malformed part (a bad ``pathType``, a
path without ``/``, a path without backend) is an error notification for that part; the rest
of the Ingress still converts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import INGRESS_GROUPS, KubeObject, SourceRef, is_subdomain
from ingress2gateway.reporting.report import Level, Recorder, Status

_SERVICE_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")

CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")

# The fields of an Ingress, in every apiVersion read (networking.k8s.io/v1 and the beta APIs'
# backend, serviceName and servicePort): anything else is reported, never skipped silently.
_KNOWN_FIELDS = {
    level: frozenset(keys)
    for level, keys in {
        "": ("apiVersion", "kind", "metadata", "spec", "status"),
        "spec": ("ingressClassName", "defaultBackend", "backend", "rules", "tls"),
        "rule": ("host", "http"),
        "http": ("paths",),
        "path": ("path", "pathType", "backend"),
        "backend": ("service", "resource", "serviceName", "servicePort"),
        "service": ("name", "port"),
        "port": ("number", "name"),
        "resource": ("apiGroup", "kind", "name"),
        "tls": ("hosts", "secretName"),
    }.items()
}


def is_ingress(obj: KubeObject) -> bool:
    return obj.kind == "Ingress" and obj.group in INGRESS_GROUPS


def is_ingress_class(obj: KubeObject) -> bool:
    return obj.kind == "IngressClass" and obj.group == "networking.k8s.io"


@dataclass(frozen=True, slots=True)
class ServiceBackend:
    name: str
    port_number: int | None = None
    port_name: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceBackend:
    group: str
    kind: str
    name: str


Backend = ServiceBackend | ResourceBackend


@dataclass(slots=True)
class IngressPath:
    rule_index: int
    path_index: int
    host: str | None
    path: str
    path_type: str
    backend: Backend
    field: str
    """``spec.rules[i].http.paths[j]``: the ledger key of this path."""


@dataclass(slots=True)
class IngressTLS:
    index: int
    hosts: list[str]
    secret_name: str | None

    @property
    def field(self) -> str:
        return f"spec.tls[{self.index}]"


@dataclass(slots=True)
class IngressModel:
    obj: KubeObject
    source: SourceRef
    class_name: str | None
    class_field: str | None
    paths: list[IngressPath] = field(default_factory=list)
    hostless_rules: list[int] = field(default_factory=list)
    rule_hosts: list[tuple[int, str | None]] = field(default_factory=list)
    tls: list[IngressTLS] = field(default_factory=list)
    default_backend: Backend | None = None
    default_backend_field: str | None = None
    precedence: tuple[str, str] = ("", "")
    """See :func:`precedence_key`; computed once when the model is made."""

    def __post_init__(self) -> None:
        self.precedence = _precedence(self)

    @property
    def namespace(self) -> str | None:
        return self.obj.namespace

    @property
    def name(self) -> str:
        return self.obj.name or ""

    @property
    def creation_timestamp(self) -> str:
        value = self.obj.metadata.get("creationTimestamp")
        return value if isinstance(value, str) else ""

    def hosts(self) -> list[str | None]:
        seen: dict[str | None, None] = {}
        for _, host in self.rule_hosts:
            seen.setdefault(host, None)
        return list(seen)


def precedence_key(model: IngressModel) -> tuple[str, str]:
    """Oldest first, as ingress-nginx sorts Ingresses (``sortIngressSlice``).

    Ties (for example manifests without ``creationTimestamp``) are broken by ``namespace/name``
    in *descending* order, which is what the controller's comparison (``in > jn``) does.
    An empty timestamp sorts last: it stands for an object not created yet.
    """
    return model.precedence


def _precedence(model: IngressModel) -> tuple[str, str]:
    """The sort key behind :func:`precedence_key`."""
    return (model.creation_timestamp or "\uffff", _invert(f"{model.namespace or ''}/{model.name}"))


def _invert(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


# --- class resolution ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngressClassInfo:
    name: str
    controller: str | None
    is_default: bool


def ingress_classes(objects: Iterable[KubeObject]) -> dict[str, IngressClassInfo]:
    found: dict[str, IngressClassInfo] = {}
    for obj in objects:
        if not is_ingress_class(obj) or not obj.name:
            continue
        controller = obj.spec.get("controller")
        found[obj.name] = IngressClassInfo(
            obj.name,
            controller if isinstance(controller, str) else None,
            obj.annotations.get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true",
        )
    return found


def resolve_class(
    obj: KubeObject, classes: dict[str, IngressClassInfo], assumed_default: str | None
) -> tuple[str | None, str | None]:
    """The Ingress's class and the field it came from.

    ``spec.ingressClassName``, else the ``kubernetes.io/ingress.class`` annotation, else the
    IngressClass marked default in the input, else ``assumed_default`` (``--default-ingress-class``).
    """
    name = obj.spec.get("ingressClassName")
    if isinstance(name, str) and name:
        return name, "spec.ingressClassName"
    annotated = obj.annotations.get(CLASS_ANNOTATION)
    if annotated:
        return annotated, f"metadata.annotations[{CLASS_ANNOTATION}]"
    defaults = sorted(info.name for info in classes.values() if info.is_default)
    if defaults:
        return defaults[0], None
    if assumed_default:
        return assumed_default, None
    return None, None


# --- parsing -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, obj: KubeObject, report: Recorder, provider: str) -> None:
        self.obj = obj
        self.source = obj.source()
        self.report = report
        self.provider = provider

    def error(self, field_path: str, message: str) -> None:
        self.report.flag(
            Level.ERROR,
            "ingress-invalid-part",
            message,
            Status.UNSUPPORTED,
            source=self.source,
            field=field_path,
            provider=self.provider,
        )

    def unknown_fields(self, value: object, field_path: str, level: str) -> None:
        """Report the keys of ``value`` no Ingress has (a misspelt ``htp``, say): the API server
        refuses or drops them, so the controller never saw what they hold."""
        if not isinstance(value, dict):
            return
        known = _KNOWN_FIELDS[level]
        if value.keys() <= known:
            return  # nearly always: a set comparison in C
        for key in value:
            if key not in known:
                where = f"{field_path}.{key}" if field_path else str(key)
                self.report.flag(
                    Level.WARNING,
                    "ingress-field-unknown",
                    f"unknown field {str(key)[:80]!r}: no Ingress has it (is it misspelt?); the API "
                    "server refuses or drops it, and it is not converted",
                    Status.UNSUPPORTED,
                    source=self.source,
                    field=where,
                    provider=self.provider,
                )

    def backend(self, raw: object, field_path: str) -> Backend | None:
        if not isinstance(raw, dict):
            self.error(field_path, "no backend; this path cannot be routed")
            return None
        self.unknown_fields(raw, field_path, "backend")
        self.unknown_fields(raw.get("resource"), f"{field_path}.resource", "resource")
        if isinstance(raw.get("service"), dict):
            self.unknown_fields(raw["service"], f"{field_path}.service", "service")
            self.unknown_fields(raw["service"].get("port"), f"{field_path}.service.port", "port")
        resource = raw.get("resource")
        if isinstance(resource, dict):
            kind, name = resource.get("kind"), resource.get("name")
            if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
                self.error(field_path, "the resource backend needs kind and name")
                return None
            if not is_subdomain(name):
                self.error(field_path, f"the resource backend name {name[:80]!r} is not a name")
                return None
            group = resource.get("apiGroup")
            return ResourceBackend(group if isinstance(group, str) else "", kind, name)
        service = raw.get("service")
        if isinstance(service, dict):
            name = service.get("name")
            port = service.get("port")
            port_fields: dict[str, Any] = port if isinstance(port, dict) else {}
            number, port_name = port_fields.get("number"), port_fields.get("name")
        elif "serviceName" in raw:  # extensions/v1beta1, networking.k8s.io/v1beta1
            name = raw.get("serviceName")
            legacy_port = raw.get("servicePort")
            number, port_name = (
                (legacy_port, None) if isinstance(legacy_port, int) else (None, legacy_port)
            )
            if isinstance(port_name, str) and port_name.isdigit() and len(port_name) <= 5:
                number, port_name = int(port_name), None
        else:
            self.error(field_path, "the backend has neither a service nor a resource")
            return None
        if not isinstance(name, str) or not name:
            self.error(field_path, "the backend service has no name")
            return None
        if not _SERVICE_NAME.fullmatch(name):
            # The API server refuses such an Ingress: no Service can have this name.
            self.error(
                field_path,
                f"{name[:80]!r} is not a Service name (a lowercase letter, then lowercase "
                "letters, digits and '-', at most 63); this path cannot be routed",
            )
            return None
        if isinstance(number, bool) or not (
            (isinstance(number, int) and 0 < number < 65536)
            or (isinstance(port_name, str) and port_name)
        ):
            self.error(field_path, f"service {name} needs a port number (1-65535) or a port name")
            return None
        return ServiceBackend(name, number if isinstance(number, int) else None, port_name or None)

    def parse(self, class_name: str | None, class_field: str | None) -> IngressModel:
        model = IngressModel(self.obj, self.source, class_name, class_field)
        spec = self.obj.spec
        self.unknown_fields(self.obj.data, "", "")
        self.unknown_fields(spec, "spec", "spec")
        # networking.k8s.io/v1 says defaultBackend; the beta APIs said backend.
        keys = [key for key in ("defaultBackend", "backend") if spec.get(key) is not None]
        if keys:
            field_path = f"spec.{keys[0]}"
            model.default_backend = self.backend(spec.get(keys[0]), field_path)
            model.default_backend_field = field_path
        for extra in keys[1:]:
            message = f"both spec.{keys[0]} and spec.{extra} are set; spec.{keys[0]} is used"
            self.report.flag(
                Level.WARNING,
                "ingress-invalid-part",
                message,
                Status.IGNORED,
                source=self.source,
                field=f"spec.{extra}",
                provider=self.provider,
            )
        rules = spec.get("rules")
        if isinstance(rules, list):
            for i, rule in enumerate(rules):
                self._rule(model, i, rule)
        elif rules is not None:
            self.error("spec.rules", "not a list")
        tls = spec.get("tls")
        if isinstance(tls, list):
            for i, entry in enumerate(tls):
                if not isinstance(entry, dict):
                    self.error(f"spec.tls[{i}]", "not a mapping")
                    continue
                self.unknown_fields(entry, f"spec.tls[{i}]", "tls")
                hosts = entry.get("hosts")
                host_list = (
                    [h for h in hosts if isinstance(h, str) and h]
                    if isinstance(hosts, list)
                    else []
                )
                secret = entry.get("secretName")
                if isinstance(secret, str) and secret and not is_subdomain(secret):
                    # The API server refuses such an Ingress; a certificateRef to it would make
                    # the whole Gateway invalid.
                    self.error(
                        f"spec.tls[{i}]",
                        f"secretName {secret[:80]!r} is not a Secret name (lowercase letters, "
                        "digits, '-' and '.', at most 253)",
                    )
                    continue
                model.tls.append(
                    IngressTLS(i, host_list, secret if isinstance(secret, str) and secret else None)
                )
        return model

    def _rule(self, model: IngressModel, i: int, rule: Any) -> None:
        base = f"spec.rules[{i}]"
        if not isinstance(rule, dict):
            self.error(base, "not a mapping")
            return
        self.unknown_fields(rule, base, "rule")
        host_value = rule.get("host")
        host = host_value.lower() if isinstance(host_value, str) and host_value else None
        http = rule.get("http")
        paths = http.get("paths") if isinstance(http, dict) else None
        if host_value is not None and not isinstance(host_value, str):
            self.error(f"{base}.host", "not a string")
            # The rule is skipped, and with it each of its paths: said of each, as the ledger
            # accounts for every path.
            for j in range(len(paths) if isinstance(paths, list) else 0):
                self.report.record(
                    self.source,
                    f"{base}.http.paths[{j}]",
                    Status.UNSUPPORTED,
                    note="skipped with its rule, whose host is not a string",
                    provider=self.provider,
                )
            return
        model.rule_hosts.append((i, host))
        if http is None:
            # A host without paths: ingress-nginx still creates its server (with the default
            # backend at /); record it so the ledger shows it.
            model.hostless_rules.append(i)
            return
        self.unknown_fields(http, f"{base}.http", "http")
        if not isinstance(paths, list):
            self.error(f"{base}.http", "http.paths is missing or not a list")
            return
        for j, raw in enumerate(paths):
            self._path(model, i, j, host, raw)

    def _path(self, model: IngressModel, i: int, j: int, host: str | None, raw: Any) -> None:
        field_path = f"spec.rules[{i}].http.paths[{j}]"
        if not isinstance(raw, dict):
            self.error(field_path, "not a mapping")
            return
        self.unknown_fields(raw, field_path, "path")
        path = raw.get("path")
        path_type = raw.get("pathType")
        if path is None or path == "":
            path = "/"
        if not isinstance(path, str):
            self.error(f"{field_path}.path", "the path is not a string")
            return
        if path_type is None:
            # Optional before networking.k8s.io/v1, where controllers treated it as
            # ImplementationSpecific.
            path_type = "ImplementationSpecific"
        if path_type not in PATH_TYPES:
            self.error(
                f"{field_path}.pathType",
                f"pathType {path_type!r} is not one of Exact, Prefix, ImplementationSpecific",
            )
            return
        if not path.startswith("/"):
            self.error(f"{field_path}.path", f"path {path!r} must start with '/'")
            return
        backend = self.backend(raw.get("backend"), f"{field_path}.backend")
        if backend is None:
            return
        model.paths.append(IngressPath(i, j, host, path, str(path_type), backend, field_path))


def parse_ingress(
    obj: KubeObject,
    report: Recorder,
    provider: str,
    class_name: str | None,
    class_field: str | None,
) -> IngressModel:
    return _Parser(obj, report, provider).parse(class_name, class_field)


def service_ports(objects: Sequence[KubeObject]) -> dict[tuple[str | None, str], dict[str, int]]:
    """Named ports of the Services in the input: (namespace, service) → {port name: port}."""
    ports: dict[tuple[str | None, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.api_version != "v1" or not obj.name:
            continue
        entries = obj.spec.get("ports")
        named: dict[str, int] = {}
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    port = entry.get("port")
                    if isinstance(port, int) and not isinstance(port, bool):
                        named[entry["name"]] = port
        ports[(obj.namespace, obj.name)] = named
    return ports
