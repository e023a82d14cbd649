"""Service annotations: ``protocol``, ``path``, ``host-header``, ``connect-timeout``,
``read-timeout``, ``write-timeout``, ``retries``, ``client-cert``, ``tls-verify``,
``tls-verify-depth``, ``ca-certificates-secrets``, ``ca-certificates-configmaps``,
``upstream-policy``, ``plugins`` and ``override``.

They describe Kong's *upstream* for a Service, so they apply to every converted rule whose
backend is that Service — and only to those.

* ``protocol: https``/``grpcs`` — a BackendTLSPolicy for the Service (SNI and certificate name:
  ``host-header``, else ``<service>.<namespace>.svc``). Kong does not verify upstream
  certificates unless ``tls-verify: "true"``; a BackendTLSPolicy always verifies (against
  ``ca-certificates-configmaps``, else the system trust store), which is reported.
  ``ca-certificates-secrets`` cannot be referenced (BackendTLSPolicy reads ConfigMaps) and is
  reported. ``grpc``/``grpcs`` — the rules become a GRPCRoute. ``tcp``/``tls``/``udp`` only make
  sense behind TCPIngress/UDPIngress.
* ``path`` — prepended to the upstream path: a URLRewrite (``ReplacePrefixMatch``) on the rules.
* ``connect-``, ``read-``, ``write-timeout`` (milliseconds) — a timeouts extension: Kong's
  timeouts are per connection operation, not Gateway API's whole-request timeout.
* ``retries`` — a retry extension.
* ``client-cert`` (a ``kubernetes.io/tls`` Secret presented to an https/grpcs upstream) — the
  backend-TLS-options extension on the rules (verifying only with ``tls-verify: "true"``, as
  Kong); an emitter that cannot express it reports it. ``tls-verify-depth`` — reported.
* Ingress-only keys (``strip-path``, ``methods``, ...) on a Service are reported: Kong does not
  read them there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BackendTLSOptions,
    BackendTLSPolicy,
    Extension,
    Provenance,
    Retry,
    SecretRef,
    Timeouts,
    Unrepresentable,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from .catalog import PREFIX, lookup
from .common import (
    KongRun,
    Setting,
    annotation_field,
    ms_duration,
    parse_bool,
    parse_int,
    split_list,
)

SERVICE_PROTOCOLS = ("http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp")
TLS_PROTOCOLS = ("https", "grpcs")
GRPC_PROTOCOLS = ("grpc", "grpcs")
_PATH = re.compile(r"^/[-A-Za-z0-9/._~!$&'()*+,;=:@]*\Z")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")

# Keys that belong on a Service (plugins and override are read on both).
SERVICE_KEYS = frozenset(
    {
        "konghq.com/protocol",
        "konghq.com/path",
        "konghq.com/client-cert",
        "konghq.com/host-header",
        "konghq.com/upstream-policy",
        "konghq.com/connect-timeout",
        "konghq.com/read-timeout",
        "konghq.com/write-timeout",
        "konghq.com/retries",
        "konghq.com/tls-verify",
        "konghq.com/tls-verify-depth",
        "konghq.com/ca-certificates-secrets",
        "konghq.com/ca-certificates-configmaps",
        "konghq.com/plugins",
        "konghq.com/override",
        "konghq.com/tags",
    }
)


@dataclass
class ServiceSettings:
    """Kong's upstream settings for one Service (annotations, KongIngress, KongUpstreamPolicy)."""

    obj: KubeObject | None
    name: str
    namespace: str | None
    protocol: Setting[str] | None = None
    path: Setting[str] | None = None
    host_header: Setting[str] | None = None
    connect_timeout: Setting[int] | None = None
    read_timeout: Setting[int] | None = None
    write_timeout: Setting[int] | None = None
    retries: Setting[int] | None = None
    tls_verify: Setting[bool] | None = None
    ca_config_maps: Setting[list[str]] | None = None
    ca_secrets: Setting[list[str]] | None = None
    plugins: Setting[list[str]] | None = None
    client_cert: Setting[str] | None = None
    tls_policy: BackendTLSPolicy | None = None

    @property
    def is_grpc(self) -> bool:
        return self.protocol is not None and self.protocol.value in GRPC_PROTOCOLS

    @property
    def is_tls(self) -> bool:
        return self.protocol is not None and self.protocol.value in TLS_PROTOCOLS


def _positive(
    run: KongRun, source: SourceRef, key: str, text: str, *, zero: bool = False
) -> Setting[int] | None:
    value = parse_int(text)
    field_path = annotation_field(key)
    if value is None or value < 0 or (value == 0 and not zero):
        run.invalid(source, field_path, f"{key}: {text!r} is not a positive integer; ignored")
        return None
    return Setting(value, Provenance(source, field_path))


def read(run: KongRun, obj: KubeObject | None, namespace: str | None, name: str) -> ServiceSettings:
    """Settings of one Service; each annotation it understands gets its ledger entry here."""
    settings = ServiceSettings(obj, name, namespace)
    if obj is None:
        return settings
    source = obj.source()
    for key in sorted(obj.annotations):
        if not key.startswith(PREFIX):
            continue
        text = obj.annotations[key]
        field_path = annotation_field(key)
        provenance = Provenance(source, field_path)
        spec = lookup(key)
        if spec is None:
            message = f"{key} is not an annotation kong knows; it is not converted"
            run.report.warning(
                "annotation-unknown",
                message,
                source=source,
                field=field_path,
                provider=run.provider,
            )
            run.record(source, field_path, Status.UNSUPPORTED, message)
        elif key not in SERVICE_KEYS:
            message = f"{key} is read by Kong on Ingresses, not on Services; it had no effect"
            run.report.warning(
                "kong-annotation-misplaced",
                message,
                source=source,
                field=field_path,
                provider=run.provider,
            )
            run.record(source, field_path, Status.IGNORED, message)
        elif key == "konghq.com/protocol":
            value = text.strip().lower()
            if value not in SERVICE_PROTOCOLS:
                run.invalid(source, field_path, f"protocol {text!r} is not one Kong knows")
            else:
                settings.protocol = Setting(value, provenance)
        elif key == "konghq.com/path":
            value = text.strip()
            if not _PATH.match(value) or "//" in value:
                run.invalid(source, field_path, f"path {text!r} is not a plain URL path")
            else:
                settings.path = Setting(value, provenance)
        elif key == "konghq.com/host-header":
            value = text.strip().lower()
            if not grammar.is_dns_name(value):
                run.invalid(source, field_path, f"host-header {text!r} is not a DNS name")
            else:
                settings.host_header = Setting(value, provenance)
        elif key == "konghq.com/connect-timeout":
            settings.connect_timeout = _positive(run, source, key, text)
        elif key == "konghq.com/read-timeout":
            settings.read_timeout = _positive(run, source, key, text)
        elif key == "konghq.com/write-timeout":
            settings.write_timeout = _positive(run, source, key, text)
        elif key == "konghq.com/retries":
            settings.retries = _positive(run, source, key, text, zero=True)
        elif key == "konghq.com/tls-verify":
            flag = parse_bool(text)
            if flag is None:
                run.invalid(source, field_path, f"{text!r} is not a boolean")
            else:
                settings.tls_verify = Setting(flag, provenance)
        elif key in ("konghq.com/ca-certificates-configmaps", "konghq.com/ca-certificates-secrets"):
            names = [n for n in split_list(text) if _NAME.match(n)]
            if not names:
                run.invalid(source, field_path, f"{text!r} names no ConfigMap/Secret")
            elif key.endswith("configmaps"):
                settings.ca_config_maps = Setting(names, provenance)
            else:
                settings.ca_secrets = Setting(names, provenance)
        elif key == "konghq.com/plugins":
            settings.plugins = Setting(split_list(text), provenance)
        elif key == "konghq.com/client-cert" and _NAME.match(text.strip()):
            settings.client_cert = Setting(text.strip(), provenance)
        elif key in ("konghq.com/client-cert", "konghq.com/tls-verify-depth"):
            run.unsupported(source, field_path, f"{key}: {spec.note}")
        elif key == "konghq.com/tags":
            run.record(source, field_path, Status.IGNORED, spec.note)
        # upstream-policy and override are read by their own modules.
    return settings


def rule_extensions(settings: ServiceSettings) -> list[Extension]:
    """Fresh extensions for one rule using the Service (each rule owns its own objects)."""
    found: list[Extension] = []
    timeouts = [
        s for s in (settings.connect_timeout, settings.read_timeout, settings.write_timeout) if s
    ]
    if timeouts:
        found.append(
            Timeouts(
                connect=ms_duration(settings.connect_timeout.value)
                if settings.connect_timeout
                else None,
                read=ms_duration(settings.read_timeout.value) if settings.read_timeout else None,
                send=ms_duration(settings.write_timeout.value) if settings.write_timeout else None,
                provenance=[s.provenance for s in timeouts],
            )
        )
    if settings.retries is not None:
        found.append(
            Retry(attempts=settings.retries.value, provenance=[settings.retries.provenance])
        )
    if settings.client_cert is not None:
        found.append(_client_cert(settings, settings.client_cert))
    return found


def _client_cert(settings: ServiceSettings, cert: Setting[str]) -> Extension:
    if not settings.is_tls:
        # Kong presents it only on TLS upstreams: nothing to carry, the ledger says why.
        return Unrepresentable(
            what=f"client certificate {cert.value} on a Service whose protocol is not "
            "https/grpcs (Kong ignores it)",
            provenance=[cert.provenance],
        )
    verify = settings.tls_verify is not None and settings.tls_verify.value
    hostname = (
        settings.host_header.value
        if settings.host_header is not None
        else f"{settings.name}.{settings.namespace or 'default'}.svc"
    )
    return BackendTLSOptions(
        service=settings.name,
        namespace=settings.namespace,
        insecure_skip_verify=not verify,
        client_certificate=SecretRef(cert.value, settings.namespace),
        sni=hostname,
        ca_config_maps=list(settings.ca_config_maps.value)
        if verify and settings.ca_config_maps
        else [],
        what=f"the client certificate of Secret {cert.value} presented to the upstream",
        provenance=[cert.provenance],
    )


def backend_tls_policy(run: KongRun, settings: ServiceSettings) -> BackendTLSPolicy | None:
    """The Service's BackendTLSPolicy (made once), for https/grpcs upstreams."""
    if not settings.is_tls or settings.protocol is None:
        return None
    if settings.tls_policy is not None:
        return settings.tls_policy
    protocol = settings.protocol
    source = protocol.provenance.source
    namespace = settings.namespace
    hostname = (
        settings.host_header.value
        if settings.host_header is not None
        else f"{settings.name}.{namespace or 'default'}.svc"
    )
    provenance = [protocol.provenance]
    policy = BackendTLSPolicy(
        name=run.ctx.allocator("BackendTLSPolicy", namespace).allocate(
            settings.name, f"kong/btls/{namespace}/{settings.name}"
        ),
        namespace=namespace,
        service=settings.name,
        hostname=hostname,
        provenance=provenance,
    )
    run.record(source, protocol.provenance.field, Status.CONVERTED)
    if settings.host_header is not None:
        policy.provenance.append(settings.host_header.provenance)
    else:
        run.fyi(
            source,
            protocol.provenance.field,
            f"the backend's certificate must be valid for {hostname} (BackendTLSPolicy "
            "hostname; set konghq.com/host-header to choose another name)",
        )
    if settings.ca_config_maps is not None:
        policy.ca_config_maps = list(settings.ca_config_maps.value)
        policy.provenance.append(settings.ca_config_maps.provenance)
        run.record(source, settings.ca_config_maps.provenance.field, Status.CONVERTED)
    if settings.ca_secrets is not None:
        field_path = settings.ca_secrets.provenance.field
        names = ", ".join(settings.ca_secrets.value)
        run.differs(
            source,
            field_path,
            f"BackendTLSPolicy reads CA bundles from ConfigMaps, not Secrets: copy {names} into a "
            "ConfigMap (key ca.crt) and add it to the policy's caCertificateRefs; until then the "
            "system trust store is used",
        )
        run.record(source, field_path, Status.UNSUPPORTED, "CA Secrets are not referenced")
    if settings.tls_verify is None or not settings.tls_verify.value:
        field_path = (
            settings.tls_verify.provenance.field
            if settings.tls_verify is not None
            else protocol.provenance.field
        )
        run.differs(
            source,
            field_path,
            "Kong did not verify this upstream's certificate (konghq.com/tls-verify is not "
            "true); a BackendTLSPolicy always verifies it, so a self-signed or mismatched "
            "backend certificate will now fail",
        )
        run.record(source, field_path, Status.PARTIAL, "Gateway API always verifies the backend")
    elif settings.tls_verify is not None:
        policy.provenance.append(settings.tls_verify.provenance)
        run.record(source, settings.tls_verify.provenance.field, Status.CONVERTED)
    settings.tls_policy = policy
    run.ctx.ir.backend_tls_policies.append(policy)
    return policy
