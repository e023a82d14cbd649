"""Istio ``DestinationRule`` → BackendTLSPolicy and backend extensions.

``trafficPolicy.tls`` with ``SIMPLE`` or ``MUTUAL`` becomes a BackendTLSPolicy for the Service:
``sni`` (or the host) is the hostname to verify, ``credentialName`` names a ConfigMap expected to
hold the CA as ``ca.crt``, else the system trust store is used. What BackendTLSPolicy cannot say
— ``insecureSkipVerify`` and the ``MUTUAL`` client certificate (the ``credentialName`` Secret) —
becomes the backend-TLS-options extension on the rules routing to the Service. ``ISTIO_MUTUAL``
is mesh mTLS (ignored), ``DISABLE`` needs nothing. ``loadBalancer.simple`` and
``consistentHash`` become load-balancer and session-affinity extensions on every converted rule
that routes to the Service, and so does ``connectionPool`` (the backend-connection-limits
extension: connection and request limits, connect and idle timeouts); ``outlierDetection`` and
the rest have no Gateway API equivalent and are reported. ``subsets`` are used to describe subset
destinations (see the VirtualService page); they need one Service per subset.
"""

from __future__ import annotations

from ingress2gateway.ir import (
    BackendConnectionLimits,
    BackendTLSOptions,
    BackendTLSPolicy,
    Extension,
    LoadBalancer,
    SecretRef,
    SessionAffinity,
    Unrepresentable,
)
from ingress2gateway.objects import JSONDict, KubeObject
from ingress2gateway.reporting.report import Level, Status

from .common import Fields, State, as_dict, as_list, gateway_duration, ns_of, seconds

DR_KEYS = ("host", "trafficPolicy", "subsets", "exportTo", "workloadSelector")
POLICY_KEYS = (
    "loadBalancer",
    "connectionPool",
    "outlierDetection",
    "tls",
    "portLevelSettings",
    "tunnel",
    "proxyProtocol",
    "retryBudget",
)
_SIMPLE = {
    "ROUND_ROBIN": "RoundRobin",
    "LEAST_REQUEST": "LeastRequest",
    "LEAST_CONN": "LeastRequest",
    "RANDOM": "Random",
}


def convert_destination_rule(state: State, obj: KubeObject) -> None:
    fields = state.fields(obj)
    spec = obj.spec
    namespace = ns_of(obj)
    fields.unknown_keys("spec", spec, DR_KEYS)
    host = spec.get("host")
    service = state.service_of(host, namespace) if isinstance(host, str) else None
    fields.record("spec.host", Status.CONVERTED if service else Status.UNSUPPORTED)
    for key in ("exportTo", "workloadSelector"):
        if key in spec:
            fields.ignored(f"spec.{key}", f"{key} concerns sidecars, not the ingress")
    if "subsets" in spec:
        names = [str(as_dict(s).get("name")) for s in as_list(spec["subsets"])]
        fields.partial(
            "spec.subsets",
            f"subsets ({', '.join(names)}) need one Service per subset in Gateway API; routes "
            "to a subset target the whole Service",
            "istio-subset",
        )
    policy = as_dict(spec.get("trafficPolicy"))
    if not policy:
        return
    if service is None:
        message = (
            f"host {host!r} is not a Kubernetes Service: its traffic policy cannot be attached"
        )
        fields.notify(Level.WARNING, "istio-field-unsupported", "spec.trafficPolicy", message)
        for key in sorted(policy):
            fields.record(f"spec.trafficPolicy.{key}", Status.UNSUPPORTED, message)
        return
    name, svc_ns = service
    fields.unknown_keys("spec.trafficPolicy", policy, POLICY_KEYS)
    extensions: list[Extension] = []
    if "tls" in policy:
        extensions.extend(_tls(state, fields, obj, as_dict(policy["tls"]), name, svc_ns, str(host)))
    if "loadBalancer" in policy:
        extensions.extend(_load_balancer(fields, as_dict(policy["loadBalancer"])))
    if "connectionPool" in policy:
        extensions.append(_connection_pool(fields, as_dict(policy["connectionPool"])))
    for key in ("outlierDetection", "tunnel", "proxyProtocol", "retryBudget"):
        if key in policy:
            extensions.append(
                Unrepresentable(
                    what=f"DestinationRule trafficPolicy.{key}",
                    provenance=[fields.prov(f"spec.trafficPolicy.{key}")],
                )
            )
    if "portLevelSettings" in policy:
        fields.unsupported(
            "spec.trafficPolicy.portLevelSettings", "per-port traffic policies are not converted"
        )
    _attach(state, fields, extensions, name, svc_ns)


def _tls(
    state: State,
    fields: Fields,
    obj: KubeObject,
    tls: JSONDict,
    name: str,
    namespace: str,
    host: str,
) -> list[Extension]:
    path = "spec.trafficPolicy.tls"
    mode = str(tls.get("mode") or "DISABLE").upper()
    if mode == "DISABLE":
        fields.converted(path, "plain text to the backend, as Gateway API does by default")
        return []
    if mode == "ISTIO_MUTUAL":
        fields.ignored(path, "ISTIO_MUTUAL is mesh mTLS; Gateway API has no equivalent")
        return []
    if mode not in ("SIMPLE", "MUTUAL"):
        fields.unsupported(path, f"unknown TLS mode {mode!r}")
        return []
    sni = tls.get("sni")
    hostname = str(sni) if isinstance(sni, str) and sni else host
    ca = tls.get("credentialName")
    policy_name = state.ctx.allocator("BackendTLSPolicy", obj.namespace).allocate(
        name, f"istio:{namespace}/{name}"
    )
    state.ir.backend_tls_policies.append(
        BackendTLSPolicy(
            name=policy_name,
            namespace=obj.namespace if namespace == ns_of(obj) else namespace,
            service=name,
            hostname=hostname,
            ca_config_maps=[str(ca)] if isinstance(ca, str) and ca else [],
            provenance=[fields.prov(path)],
        )
    )
    problems = []
    options = _tls_options(fields, tls, mode, name, namespace, hostname)
    if mode == "MUTUAL" and options.client_certificate is None:
        problems.append("the client certificate (MUTUAL without credentialName) is not presented")
    if options.insecure_skip_verify:
        problems.append("insecureSkipVerify: the BackendTLSPolicy verifies the certificate")
    if "clientCertificate" in tls:
        problems.append("clientCertificate is a file path: put it in a kubernetes.io/tls Secret")
    if "caCertificates" in tls:
        problems.append("caCertificates is a file path: put the CA in a ConfigMap")
    if "subjectAltNames" in tls:
        problems.append("subjectAltNames are not checked")
    if isinstance(ca, str) and ca:
        problems.append(f"ConfigMap {ca} must hold the CA certificate as ca.crt")
    if problems:
        fields.partial(path, "; ".join(problems))
    else:
        fields.converted(path)
    return [options] if options.provenance else []


def _tls_options(
    fields: Fields, tls: JSONDict, mode: str, name: str, namespace: str, hostname: str
) -> BackendTLSOptions:
    """What BackendTLSPolicy lacks: no verification, the MUTUAL client certificate."""
    path = "spec.trafficPolicy.tls"
    options = BackendTLSOptions(service=name, namespace=namespace, sni=hostname)
    ca = tls.get("credentialName")
    wanted = []
    if tls.get("insecureSkipVerify") is True:
        options.insecure_skip_verify = True
        sni = tls.get("sni")
        options.sni = sni if isinstance(sni, str) and sni else None
        options.provenance.append(fields.prov(f"{path}.insecureSkipVerify"))
        wanted.append("TLS without verifying the backend (insecureSkipVerify)")
    elif isinstance(ca, str) and ca:
        options.ca_config_maps = [ca]
    if mode == "MUTUAL" and isinstance(ca, str) and ca:
        # At a gateway, credentialName holds the client certificate and key (and the CA).
        options.client_certificate = SecretRef(ca, namespace)
        options.provenance.append(fields.prov(f"{path}.mode"))
        wanted.append(f"the client certificate of Secret {ca} (MUTUAL)")
    options.what = f"DestinationRule {' and '.join(wanted)}"
    return options


# connectionPool.<section>.<key> → BackendConnectionLimits attribute (integers).
_POOL_LIMITS = {
    ("tcp", "maxConnections"): "max_connections",
    ("http", "http1MaxPendingRequests"): "max_pending_requests",
    ("http", "http2MaxRequests"): "max_parallel_requests",
    ("http", "maxRequestsPerConnection"): "max_requests_per_connection",
    ("http", "maxRetries"): "max_parallel_retries",
}
_POOL_DURATIONS = {
    ("tcp", "connectTimeout"): "connect_timeout",
    ("http", "idleTimeout"): "idle_timeout",
}


def _connection_pool(fields: Fields, pool: JSONDict) -> BackendConnectionLimits:
    """Istio's pool settings are Envoy cluster circuit breakers, counted per proxy."""
    path = "spec.trafficPolicy.connectionPool"
    limits = BackendConnectionLimits(
        what="DestinationRule trafficPolicy.connectionPool", provenance=[fields.prov(path)]
    )
    for section in ("tcp", "http"):
        settings = as_dict(pool.get(section))
        for key in sorted(settings):
            value = settings[key]
            if (section, key) in _POOL_LIMITS and isinstance(value, int):
                setattr(limits, _POOL_LIMITS[(section, key)], value)
            elif (section, key) in _POOL_DURATIONS and gateway_duration(value) is not None:
                setattr(limits, _POOL_DURATIONS[(section, key)], gateway_duration(value))
            else:
                limits.not_carried.append(f"{section}.{key}")
    limits.not_carried.extend(sorted(k for k in pool if k not in ("tcp", "http")))
    return limits


def _load_balancer(fields: Fields, lb: JSONDict) -> list[Extension]:
    path = "spec.trafficPolicy.loadBalancer"
    out: list[Extension] = []
    simple = lb.get("simple")
    if isinstance(simple, str):
        algorithm = _SIMPLE.get(simple.upper())
        if algorithm is None:
            fields.unsupported(f"{path}.simple", f"load-balancing {simple!r} has no equivalent")
        else:
            out.append(
                LoadBalancer(algorithm=algorithm, provenance=[fields.prov(f"{path}.simple")])  # type: ignore[arg-type]
            )
    hashing = as_dict(lb.get("consistentHash"))
    if hashing:
        hpath = f"{path}.consistentHash"
        cookie = as_dict(hashing.get("httpCookie"))
        if cookie:
            out.append(
                SessionAffinity(
                    cookie_name=str(cookie.get("name") or "") or None,
                    ttl_seconds=seconds(cookie["ttl"]) if "ttl" in cookie else None,
                    path=str(cookie["path"]) if "path" in cookie else None,
                    provenance=[fields.prov(hpath)],
                )
            )
        elif isinstance(hashing.get("httpHeaderName"), str):
            out.append(
                LoadBalancer(
                    algorithm="ConsistentHash",
                    hash_on=f"header:{hashing['httpHeaderName']}",
                    provenance=[fields.prov(hpath)],
                )
            )
        elif hashing.get("useSourceIp"):
            out.append(
                LoadBalancer(
                    algorithm="ConsistentHash", hash_on="source-ip", provenance=[fields.prov(hpath)]
                )
            )
        else:
            out.append(
                Unrepresentable(
                    what="consistent hashing on a query parameter", provenance=[fields.prov(hpath)]
                )
            )
    for key in sorted(lb):
        if key not in ("simple", "consistentHash"):
            fields.unsupported(f"{path}.{key}", f"loadBalancer.{key} has no Gateway API equivalent")
    return out


def _attach(
    state: State, fields: Fields, extensions: list[Extension], name: str, namespace: str
) -> None:
    """A DestinationRule acts on the Service: its extensions go on every rule routing to it."""
    if not extensions:
        return
    used = False
    for route in state.ir.http_routes():
        route_ns = route.namespace or "default"
        for rule in route.rules:
            if any(
                b.kind == "Service" and b.name == name and (b.namespace or route_ns) == namespace
                for b in rule.backend_refs
            ):
                rule.extensions.extend(extensions)
                used = True
    if not used:
        for ext in extensions:
            for item in ext.provenance:
                fields.notify(
                    Level.INFO,
                    "istio-field-ignored",
                    item.field,
                    f"no converted route sends traffic to Service {namespace}/{name}",
                )
                fields.record(item.field, Status.IGNORED, "no converted route uses the Service")
