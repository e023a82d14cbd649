"""Shared state and small helpers of the Istio provider: field accounting, names, hosts, ports.

Every Istio object gets a :class:`Fields` helper that records ledger entries and notifications
against that object, so each module says what became of each field in one line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.converting import grammar
from ingress2gateway.ir import IR, BackendRef, Extension, Provenance, ReferenceGrant, SecretRef
from ingress2gateway.objects import JSONDict, KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Level, Recorder, Status

PROVIDER_NAME = "istio"
ISTIO_GROUP = "networking.istio.io"
GATEWAY_GROUP = "gateway.networking.k8s.io"
ISTIO_VERSIONS = ("v1", "v1beta1", "v1alpha3")
DEFAULT_NAMESPACE = "default"
DEFAULT_CLUSTER_DOMAIN = "cluster.local"
DEFAULT_WORKLOAD_NAMESPACE = "istio-system"
"""Where the ingress gateway's pods run unless ``--provider-option
istio.gateway-workload-namespace`` says otherwise (Istio's default installation): Istio reads a
server's ``credentialName`` Secret there, and a VirtualService must be exported there."""
DEFAULT_ROOT_NAMESPACE = "istio-system"
"""The mesh's root namespace (meshConfig ``rootNamespace``) unless ``--provider-option
istio.mesh-root-namespace`` says otherwise: an AuthorizationPolicy there applies to the workloads
of every namespace."""

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(h|m|s|ms)?\Z")


def ns_of(obj: KubeObject) -> str:
    """Istio objects without a namespace live in ``default``."""
    return obj.namespace or DEFAULT_NAMESPACE


def as_dict(value: Any) -> JSONDict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def valid_hostname(host: str) -> bool:
    """A Gateway API listener or route host name (a DNS name, optionally ``*.``-prefixed)."""
    return grammar.hostname_problem(host) is None


def gateway_duration(value: Any) -> str | None:
    """Istio's protobuf duration (``5s``, ``0.5s``, ``1m``) → Gateway API's (``5s``, ``500ms``).

    Gateway API durations take whole numbers only, so fractions become milliseconds.
    """
    text = str(value).strip() if value is not None else ""
    match = _DURATION.match(text)
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2) or "s"
    millis = number * {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}[unit]
    if not math.isfinite(millis) or millis != int(millis):
        return None  # "1e999s" and the like: no Gateway API duration says that
    whole = int(millis)
    for suffix, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if whole % size == 0 and whole // size < 100_000:
            return f"{whole // size}{suffix}"
    return f"{whole}ms" if whole < 100_000 else None


def seconds(value: Any) -> int | None:
    duration = gateway_duration(value)
    if duration is None:
        return None
    match = re.fullmatch(r"(\d{1,18})(h|m|s|ms)", duration)
    assert match is not None
    factor = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[match.group(2)]
    return int(int(match.group(1)) * factor)


@dataclass
class Fields:
    """Ledger and notifications for one Istio object."""

    report: Recorder
    source: SourceRef

    def prov(self, path: str) -> Provenance:
        return Provenance(self.source, path)

    def record(self, path: str, status: Status, note: str | None = None) -> None:
        self.report.record(self.source, path, status, note=note, provider=PROVIDER_NAME)

    def converted(self, path: str, note: str | None = None) -> None:
        self.record(path, Status.CONVERTED, note)

    def notify(self, level: Level, code: str, path: str | None, message: str) -> None:
        self.report.notify(
            level, code, message, source=self.source, field=path, provider=PROVIDER_NAME
        )

    def partial(self, path: str, message: str, code: str = "istio-field-partial") -> None:
        self.notify(Level.WARNING, code, path, message)
        self.record(path, Status.PARTIAL, message)

    def unsupported(
        self,
        path: str,
        message: str,
        code: str = "istio-field-unsupported",
        error: bool = False,
        security: bool = False,
    ) -> None:
        level = Level.ERROR if error or security else Level.WARNING
        self.report.notify(
            level,
            code,
            message,
            source=self.source,
            field=path,
            provider=PROVIDER_NAME,
            security=security,
        )
        self.record(path, Status.UNSUPPORTED, message)

    def ignored(self, path: str, message: str, code: str = "istio-field-ignored") -> None:
        self.notify(Level.INFO, code, path, message)
        self.record(path, Status.IGNORED, message)

    def unknown_keys(self, path: str, value: JSONDict, known: Iterable[str]) -> None:
        """Keys the provider does not know: reported, never skipped silently."""
        known_set = set(known)
        for key in sorted(value):
            if key not in known_set:
                self.unsupported(
                    f"{path}.{key}" if path else key,
                    f"unknown field {key!r}: not converted",
                )


def host_overlap(a: str | None, b: str | None) -> bool:
    """Whether two hostnames (``None`` or ``*`` = any, ``*.x`` wildcards) share a host."""
    if a in (None, "*") or b in (None, "*"):
        return True
    assert a is not None and b is not None
    if a == b:
        return True
    if a.startswith("*.") and (b.endswith(a[1:])):
        return True
    return b.startswith("*.") and a.endswith(b[1:])


@dataclass
class ServiceInfo:
    name: str
    namespace: str
    ports: list[int]
    obj: KubeObject


@dataclass
class State:
    """What every module of one conversion shares."""

    ctx: ProviderContext
    cluster_domain: str = DEFAULT_CLUSTER_DOMAIN
    workload_namespace: str = DEFAULT_WORKLOAD_NAMESPACE
    root_namespace: str = DEFAULT_ROOT_NAMESPACE
    services: dict[tuple[str, str], ServiceInfo] = field(default_factory=dict)
    secrets: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    """Secrets in the input, by (namespace, name)."""
    delegates: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    """VirtualServices without hosts (delegates), by (namespace, name)."""
    used_delegates: set[tuple[str, str]] = field(default_factory=set)
    http_plans: list[Any] = field(default_factory=list)
    """The http routes of each converted VirtualService (``httproutes.Plan``), made into
    HTTPRoutes together once all are read."""
    service_entry_hosts: dict[str, KubeObject] = field(default_factory=dict)
    destination_rules: list[KubeObject] = field(default_factory=list)
    gateways: dict[tuple[str, str], GatewayInfo] = field(default_factory=dict)

    @property
    def ir(self) -> IR:
        return self.ctx.ir

    @property
    def report(self) -> Recorder:
        return self.ctx.report

    def fields(self, obj: KubeObject) -> Fields:
        return Fields(self.ctx.report, obj.source())

    def service_of(self, host: str, namespace: str) -> tuple[str, str] | None:
        """A destination host → (Service name, namespace), or None for a non-Service host.

        Istio resolves a short name (``reviews``) in the referring object's namespace
        (``ResolveShortnameToFQDN``) and otherwise looks the host up as it is: only
        ``name.namespace.svc.<cluster domain>`` is a Kubernetes Service's name in its registry
        (``reviews.bookinfo`` and ``reviews.bookinfo.svc`` name none).
        """
        host = host.strip().lower()
        if not host or "*" in host:
            return None
        parts = host.split(".")
        if len(parts) == 1:
            return parts[0], namespace
        if ".".join(parts[2:]) == f"svc.{self.cluster_domain}":
            return parts[0], parts[1]
        return None

    def fqdn(self, host: str, namespace: str) -> str:
        """Short names in VirtualService ``hosts`` mean ``<name>.<namespace>.svc.<domain>``."""
        if "." in host or host == "*":
            return host
        return f"{host}.{namespace}.svc.{self.cluster_domain}"

    def claim_service(self, key: tuple[str, str]) -> ServiceInfo | None:
        info = self.services.get(key)
        if info is not None:
            self.ctx.claim(info.obj)
            self.ctx.report.record(
                info.obj.source(),
                "spec.ports",
                Status.CONVERTED,
                note="read to resolve destination ports",
                provider=PROVIDER_NAME,
            )
        return info

    def backend(
        self,
        fields: Fields,
        path: str,
        destination: JSONDict,
        route_kind: str,
        route_namespace: str,
        weight: int | None = None,
        resolve_namespace: str | None = None,
    ) -> BackendRef | None:
        """An Istio ``destination`` → a Service backendRef, or None with an error notification.

        Short names resolve in ``resolve_namespace`` (the VirtualService's that names them: a
        delegate's own), else in the route's."""
        host = destination.get("host")
        if not isinstance(host, str) or not host:
            fields.unsupported(
                path, "destination has no host", "istio-destination-unresolved", error=True
            )
            return None
        if host.lower() in self.service_entry_hosts:
            entry = self.service_entry_hosts[host.lower()]
            fields.unsupported(
                path,
                f"destination {host!r} is a ServiceEntry host ({entry.namespace}/{entry.name}); "
                "backendRefs name Kubernetes Services: create an ExternalName Service or an "
                "implementation backend for it",
                "istio-destination-unresolved",
                error=True,
            )
            return None
        resolved = self.service_of(host, resolve_namespace or route_namespace)
        if resolved is None:
            parts = host.lower().split(".")
            hint = (
                f": use {parts[0]}.{parts[1]}.svc.{self.cluster_domain} (Istio does not expand "
                f"{host!r}, so it routes it to no Service and answers 503)"
                if len(parts) in (2, 3) and parts[-1] in (parts[1], "svc")
                else ""
            )
            fields.unsupported(
                path,
                f"destination {host!r} is not a Kubernetes Service host (a short name or "
                f"name.namespace.svc.{self.cluster_domain}); no backendRef was written{hint}",
                "istio-destination-unresolved",
                error=True,
            )
            return None
        name, namespace = resolved
        port = self.port(fields, path, destination, name, namespace)
        if port is None:
            return None
        ref = BackendRef(
            name=name,
            namespace=namespace if namespace != route_namespace else None,
            port=port,
            weight=weight,
            provenance=[fields.prov(path)],
        )
        if namespace != route_namespace:
            self.ir.add_grant(
                ReferenceGrant(
                    namespace=namespace,
                    from_group=GATEWAY_GROUP,
                    from_kind=route_kind,
                    from_namespace=route_namespace,
                    to_group="",
                    to_kind="Service",
                    to_name=name,
                ),
                fields.prov(path),
            )
        return ref

    def port(
        self, fields: Fields, path: str, destination: JSONDict, name: str, namespace: str
    ) -> int | None:
        number = as_dict(destination.get("port")).get("number")
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536:
            return number
        if number is not None:
            fields.unsupported(
                path,
                f"destination port {number!r} is not a port number",
                "istio-destination-unresolved",
                error=True,
            )
            return None
        info = self.claim_service((name, namespace))
        if info is not None and len(info.ports) == 1:
            return info.ports[0]
        why = (
            f"Service {namespace}/{name} has {len(info.ports)} ports"
            if info is not None
            else f"Service {namespace}/{name} is not in the input"
        )
        fields.unsupported(
            path,
            f"destination {name}.{namespace} has no port and {why}: Gateway API needs a port "
            "for a Service backendRef; set destination.port.number",
            "istio-destination-unresolved",
            error=True,
        )
        return None


@dataclass
class VS:
    """One VirtualService being converted (for a delegate's routes: the delegate, in the place
    of its root: ``route_namespace`` is the root's)."""

    state: State
    obj: KubeObject
    fields: Fields
    namespace: str
    keys: list[tuple[str, str]]
    hosts: list[str]
    root_namespace: str | None = None

    @property
    def route_namespace(self) -> str:
        """Where the HTTPRoute is (the root's namespace for a delegate)."""
        return self.root_namespace or self.namespace

    @property
    def hostnames(self) -> list[str]:
        return [] if "*" in self.hosts else [h for h in self.hosts if valid_hostname(h)]


@dataclass
class ListenerInfo:
    """A Gateway API listener made from one (port, protocol, host) of an Istio server."""

    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None
    any_namespace: bool
    namespaces: set[str]
    redirect: bool
    server_path: str
    certificate_refs: list[SecretRef] = field(default_factory=list)
    client_ca: SecretRef | None = None
    """Secret holding the CA for client certificates (MUTUAL), if any."""


@dataclass
class GatewayInfo:
    """An Istio Gateway and the Gateway API Gateway made from it."""

    istio_name: str
    namespace: str
    name: str
    obj: KubeObject
    listeners: list[ListenerInfo] = field(default_factory=list)
    emitted: bool = False
    controls: list[Extension] = field(default_factory=list)
    """Access controls on the Gateway's pods (AuthorizationPolicies: :mod:`.authorization`),
    attached to the Gateway API Gateway."""
