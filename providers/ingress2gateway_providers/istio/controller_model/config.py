"""The input as istiod reads it: Gateways and their servers, VirtualServices with their short
names resolved and their delegates merged, Services, ServiceEntries and Secrets.

Written from istio/istio (commit 86c9f01f):

* ``pilot/pkg/model/config.go`` — ``ResolveShortnameToFQDN`` (a host without a dot is
  ``<host>.<namespace>.svc.<domain>``), ``resolveGatewayName`` (``name``, ``./name``,
  ``ns/name`` and the legacy ``name.ns.svc.cluster.local``), ``configCompareByCreationTime``
  (creation time, then name, then namespace);
* ``pilot/pkg/model/virtualservice_controller.go`` — ``delegateVirtualServices`` (a
  VirtualService without hosts is a delegate, never routed by itself), ``mergeVirtualServices``
  (a missing or unexported delegate drops the root's route), ``convertExportToSet``;
* ``pilot/pkg/model/virtualservice.go`` — ``MergeHTTPRoutes``, ``mergeHTTPRoute`` (the delegate
  inherits what it does not set), ``mergeHTTPMatchRequests``, ``mergeHTTPMatchRequest``,
  ``hasConflict``, ``stringMatchConflict`` (a delegate route whose matches are not narrower
  than one of the root's is dropped);
* ``pilot/pkg/model/gateway.go`` — ``sanitizeServerHostNamespace`` (``./host`` is the Gateway's
  namespace, ``*/host`` any namespace);
* ``pilot/pkg/credentials/kube/secrets.go`` — ``GetCaCert`` (the client CA of a MUTUAL server is
  ``<credentialName>-cacert``, else the ``cacert``/``ca.crt`` key of the credential itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Cause

from .authorization import SECURITY_GROUP, Policy, read_policy

ISTIO_GROUP = "networking.istio.io"
MESH = "mesh"
DEFAULT_DOMAIN = "cluster.local"
DEFAULT_WORKLOAD_NAMESPACE = "istio-system"
"""Where the ingress gateway's pods run when the options say nothing (Istio's default
installation): the namespace whose Secrets hold the certificates and to which VirtualServices
must be exported."""
DEFAULT_ROOT_NAMESPACE = "istio-system"
"""meshConfig ``rootNamespace`` by default: its AuthorizationPolicies apply in every namespace."""
CA_SUFFIX = "-cacert"

HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB"})
"""``pkg/config/protocol``: ``Instance.IsHTTP`` (a TLS block on these changes nothing but
``httpsRedirect``)."""

JSON = dict[str, Any]


def as_dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A scalar as its YAML text (``true``, ``10``, ``null``); None for mappings and lists."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


@dataclass(frozen=True)
class Ref:
    """An input object."""

    kind: str
    namespace: str
    name: str

    def cause(self, path: str = "") -> Cause:
        return Cause(self.kind, self.namespace, self.name, path)


# --- string matches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StringMatch:
    """An Istio StringMatch: ``exact``, ``prefix``, ``regex``, or ``present`` (``{}``, and the
    regex ``*``, which ``canBeConvertedToPresentMatch`` in ``route.go`` turns into a presence
    check)."""

    kind: str
    value: str = ""


def string_match(raw: Any) -> StringMatch | None:
    """The StringMatch ``raw`` says (None: not a StringMatch at all)."""
    if not isinstance(raw, dict):
        return None
    for key in ("exact", "prefix", "regex"):
        if key in raw and raw[key] is not None:
            value = text(raw[key])
            if value is None:
                return None
            if key == "regex" and value == "*":
                return StringMatch("present")
            return StringMatch(key, value)
    return StringMatch("present")


# --- gateways ------------------------------------------------------------------------------------


@dataclass
class Server:
    """One server of an Istio Gateway, its hosts as ``sanitizeServerHostNamespace`` leaves them
    (``ns/host`` or ``host``, lower case)."""

    gateway: Ref
    index: int
    port: int
    protocol: str
    port_name: str
    hosts: tuple[str, ...]
    tls: JSON | None
    bind: str = ""

    @property
    def path(self) -> str:
        return f"spec.servers[{self.index}]"

    def cause(self, part: str = "") -> Cause:
        return self.gateway.cause(self.path + (f".{part}" if part else ""))

    @property
    def tls_mode(self) -> str | None:
        if self.tls is None:
            return None
        # The enum's zero value is PASSTHROUGH.
        return str(self.tls.get("mode") or "PASSTHROUGH").upper()

    @property
    def https_redirect(self) -> bool:
        return self.tls is not None and self.tls.get("httpsRedirect") is True

    @property
    def is_http(self) -> bool:
        return self.protocol in HTTP_PROTOCOLS

    @property
    def is_passthrough(self) -> bool:
        return self.tls_mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH")

    @property
    def is_tls_server(self) -> bool:
        """``gateway.IsTLSServer``: not HTTP, with TLS settings."""
        return self.tls is not None and not self.is_http

    @property
    def terminates_https(self) -> bool:
        """``gateway.IsHTTPSServerWithTLSTermination``."""
        return self.tls is not None and self.protocol == "HTTPS" and not self.is_passthrough

    @property
    def sni_hosts(self) -> tuple[str, ...]:
        """``GetSNIHostsForServer``: the hosts without their namespace part."""
        return tuple(sorted({h.rpartition("/")[2] for h in self.hosts}))

    def hosts_for(self, namespace: str) -> list[str]:
        """``host.NamesForNamespace``: the hosts a VirtualService of ``namespace`` may bind."""
        found = []
        for item in self.hosts:
            ns, slash, name = item.partition("/")
            if slash:
                if ns not in (namespace, "*"):
                    continue
                item = name
            found.append(item)
        return found

    @property
    def credential(self) -> str | None:
        if self.tls is None:
            return None
        names = [self.tls.get("credentialName"), *as_list(self.tls.get("credentialNames"))]
        return next((n for n in names if isinstance(n, str) and n), None)


@dataclass
class Gateway:
    ref: Ref
    selector: dict[str, str] | None
    servers: list[Server]
    created: str

    @property
    def key(self) -> str:
        """The name VirtualServices bind, as ``mergeGateways`` spells it: ``ns/name``."""
        return f"{self.ref.namespace}/{self.ref.name}"


def _read_gateway(obj: KubeObject, namespace: str) -> Gateway:
    ref = Ref("Gateway", namespace, obj.name or "")
    selector = obj.spec.get("selector")
    servers = []
    for index, raw in enumerate(as_list(obj.spec.get("servers"))):
        raw = as_dict(raw)
        port = as_dict(raw.get("port"))
        number = port.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
            continue  # rejected by validation; mergeGateways skips a server without port
        hosts: list[str] = []
        for host in as_list(raw.get("hosts")):
            if not isinstance(host, str) or not host:
                continue
            ns, slash, name = host.lower().partition("/")
            if slash and ns == ".":
                host = f"{namespace}/{name}"
            elif slash and ns == "*":
                host = name
            else:
                host = host.lower()
            if host not in hosts:
                hosts.append(host)
        tls = raw.get("tls")
        servers.append(
            Server(
                ref,
                index,
                number,
                str(port.get("protocol") or "").upper(),
                str(port.get("name") or ""),
                tuple(hosts),
                tls if isinstance(tls, dict) else None,
                str(raw.get("bind") or ""),
            )
        )
    return Gateway(
        ref,
        {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else None,
        servers,
        _created(obj),
    )


# --- virtual services ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """A route destination: the FQDN host, and what the route says of it."""

    host: str
    port: int | None
    subset: str | None
    weight: int
    authority: str | None
    """A ``host``/``:authority`` set by the destination's header operations."""


@dataclass
class HttpMatch:
    """One HTTPMatchRequest (a delegate's, merged with its root's)."""

    causes: tuple[Cause, ...]
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: tuple[tuple[str, StringMatch | None], ...] = ()
    """``None``: a condition Envoy cannot evaluate here (a JWT claim), never met."""
    without_headers: tuple[tuple[str, StringMatch | None], ...] = ()
    query_params: tuple[tuple[str, StringMatch], ...] = ()
    ignore_uri_case: bool = False
    port: int = 0
    gateways: tuple[str, ...] = ()
    source_labels: tuple[tuple[str, str], ...] = ()
    source_namespace: str = ""
    invalid: bool = False
    """A condition the model cannot read (not a StringMatch): the match is never taken."""


@dataclass
class HttpRoute:
    """One ``http[]`` route as the gateway builds it (for a delegate, merged with its root)."""

    vs: Ref
    causes: tuple[Cause, ...]
    """The route itself: ``spec.http[i]`` (a delegate's, then its root's)."""
    matches: list[HttpMatch]
    spec: JSON
    destinations: list[Destination]
    invalid: str | None = None
    """Why Envoy cannot answer with it (an unresolvable nested delegate...)."""

    def causes_of(self, *parts: str) -> tuple[Cause, ...]:
        """The route's fields that decided an outcome (``route``, ``redirect``...): only those,
        so that a notification on another field (``retries``) explains nothing it did not
        change."""
        return tuple(
            Cause(c.kind, c.namespace, c.name, f"{c.field}.{part}")
            for c in self.causes
            for part in parts
        )


@dataclass
class L4Route:
    """One ``tls[]`` or ``tcp[]`` route."""

    vs: Ref
    cause: Cause
    matches: list[JSON]
    destinations: list[Destination]


@dataclass
class VirtualService:
    ref: Ref
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    http: list[HttpRoute]
    tls: list[L4Route]
    tcp: list[L4Route]
    export_to: frozenset[str]
    created: str


def resolve_gateway_name(name: str, namespace: str) -> str:
    """``resolveGatewayName``."""
    if name == MESH:
        return name
    if "/" not in name:
        if "." not in name:
            return f"{namespace}/{name}"
        first, _, rest = name.partition(".")
        return f"{rest.partition('.')[0]}/{first}"
    ns, _, rest = name.partition("/")
    return f"{namespace}/{rest}" if ns == "." else name


def _fqdn(host: str, namespace: str, domain: str) -> str:
    """``ResolveShortnameToFQDN``."""
    if host == "*" or "." in host or ":" in host:
        return host
    return f"{host}.{namespace}.svc.{domain}"


def _export_to(raw: Any, namespace: str) -> frozenset[str]:
    """``convertExportToSet``; empty means the mesh default, ``*``."""
    values = {str(v) for v in as_list(raw) if isinstance(v, str)}
    if not values:
        return frozenset({"*"})
    return frozenset(namespace if v == "." else v for v in values)


def _authority(headers: Any) -> str | None:
    """``TranslateHeadersOperations``: a ``host``/``:authority`` set (``set`` beats ``add``)."""
    request = as_dict(as_dict(headers).get("request"))
    found = None
    for op in ("add", "set"):
        for key, value in as_dict(request.get(op)).items():
            if str(key).lower() in (":authority", "host") and text(value) is not None:
                found = text(value)
    return found


def _destinations(routes: Any, namespace: str, domain: str) -> list[Destination]:
    found = []
    for raw in as_list(routes):
        raw = as_dict(raw)
        destination = as_dict(raw.get("destination"))
        host = destination.get("host")
        number = as_dict(destination.get("port")).get("number")
        weight = raw.get("weight")
        subset = destination.get("subset")
        found.append(
            Destination(
                _fqdn(host.lower(), namespace, domain) if isinstance(host, str) else "",
                number if isinstance(number, int) and not isinstance(number, bool) else None,
                subset if isinstance(subset, str) and subset else None,
                weight if isinstance(weight, int) and not isinstance(weight, bool) else 0,
                _authority(raw.get("headers")),
            )
        )
    return found


def _pairs(raw: Any) -> tuple[tuple[str, StringMatch | None], ...]:
    return tuple(
        (str(name).lower(), string_match(value)) for name, value in sorted(as_dict(raw).items())
    )


def read_match(raw: JSON, causes: tuple[Cause, ...], namespace: str) -> HttpMatch:
    """One HTTPMatchRequest as ``TranslateRouteMatch`` and ``sourceMatchHTTP`` read it."""
    match = HttpMatch(causes)
    for key in ("uri", "scheme", "method", "authority"):
        if key in raw and raw[key] is not None:
            value = string_match(raw[key])
            if value is None:
                match.invalid = True
            setattr(match, key, value)
    match.headers = tuple(
        # A JWT claim (@request.auth.claims.*) is matched on dynamic metadata: a request
        # without a token never has it.
        (name, None if name.startswith("@") else value)
        for name, value in _pairs(raw.get("headers"))
    )
    match.without_headers = _pairs(raw.get("withoutHeaders"))
    if any(v is None and not n.startswith("@") for n, v in match.headers + match.without_headers):
        match.invalid = True
    query = []
    for name, value in sorted(as_dict(raw.get("queryParams")).items()):
        parsed = string_match(value)
        if parsed is None:
            match.invalid = True
        else:
            query.append((str(name), parsed))
    match.query_params = tuple(query)
    match.ignore_uri_case = raw.get("ignoreUriCase") is True
    port = raw.get("port")
    match.port = port if isinstance(port, int) and not isinstance(port, bool) else 0
    match.gateways = tuple(
        resolve_gateway_name(g, namespace)
        for g in as_list(raw.get("gateways"))
        if isinstance(g, str)
    )
    match.source_labels = tuple(
        sorted((str(k), str(v)) for k, v in as_dict(raw.get("sourceLabels")).items())
    )
    source_ns = raw.get("sourceNamespace")
    match.source_namespace = source_ns if isinstance(source_ns, str) else ""
    return match


@dataclass
class _Source:
    """A VirtualService object before merging: its namespace, and its spec."""

    ref: Ref
    spec: JSON
    export_to: frozenset[str]


_INHERITED = (
    "rewrite",
    "directResponse",
    "timeout",
    "retries",
    "fault",
    "mirror",
    "mirrorPercent",
    "mirrorPercentage",
    "corsPolicy",
    "mirrors",
    "headers",
)
"""What ``mergeHTTPRoute`` copies from the root route when the delegate's route lacks it."""


def _string_conflict(root: Any, leaf: Any) -> bool:
    """``stringMatchConflict`` on raw StringMatches (None: not specified)."""
    if root is None or leaf is None:
        return False
    root, leaf = as_dict(root), as_dict(leaf)

    def get(match: JSON, key: str) -> str:
        value = match.get(key)
        return value if isinstance(value, str) else ""

    if get(root, "regex") and (get(leaf, "regex") or get(leaf, "prefix") or get(leaf, "exact")):
        return True
    if get(leaf, "regex") and (get(root, "regex") or get(root, "prefix") or get(root, "exact")):
        return True
    if get(root, "exact"):
        if get(leaf, "prefix"):
            return True
        return get(leaf, "exact") != get(root, "exact")
    if get(root, "prefix"):
        prefix = get(root, "prefix")
        if get(leaf, "prefix"):
            return not get(leaf, "prefix").startswith(prefix)
        if get(leaf, "exact"):
            return not get(leaf, "exact").startswith(prefix)
    return True


def _match_conflict(root: JSON, leaf: JSON) -> bool:
    """``hasConflict``."""
    for key in ("uri", "scheme", "method", "authority"):
        if _string_conflict(root.get(key), leaf.get(key)):
            return True
    for key in ("headers", "withoutHeaders", "queryParams"):
        mine = as_dict(root.get(key))
        for name, value in as_dict(leaf.get(key)).items():
            if _string_conflict(mine.get(name), value):
                return True
    if bool(root.get("ignoreUriCase")) != bool(leaf.get("ignoreUriCase")):
        return True
    root_port, leaf_port = root.get("port") or 0, leaf.get("port") or 0
    if root_port and leaf_port and root_port != leaf_port:
        return True
    root_ns = root.get("sourceNamespace") or ""
    if root_ns and leaf.get("sourceNamespace") != root_ns:
        return True
    labels = as_dict(root.get("sourceLabels"))
    for key, value in as_dict(leaf.get("sourceLabels")).items():
        if key in labels and labels[key] != value:
            return True
    root_gateways, leaf_gateways = as_list(root.get("gateways")), as_list(leaf.get("gateways"))
    if root_gateways and leaf_gateways:
        if len(root_gateways) < len(leaf_gateways):
            return True
        if any(g not in root_gateways for g in leaf_gateways):
            return True
    return False


def _merge_match(root: JSON, leaf: JSON) -> JSON:
    """``mergeHTTPMatchRequest``: the delegate's conditions, the root's where it has none."""
    out = dict(leaf)
    for key in ("uri", "scheme", "method", "authority", "sourceNamespace", "statPrefix"):
        if not out.get(key) and root.get(key):
            out[key] = root[key]
    for key in ("headers", "withoutHeaders", "queryParams", "sourceLabels"):
        merged = dict(as_dict(root.get(key)))
        merged.update(as_dict(leaf.get(key)))
        if merged:
            out[key] = merged
    if not out.get("port") and root.get("port"):
        out["port"] = root["port"]
    if not as_list(out.get("gateways")) and as_list(root.get("gateways")):
        out["gateways"] = root["gateways"]
    return out


class VirtualServices:
    """Reads VirtualServices: resolves them and merges delegates into their roots."""

    def __init__(self, sources: list[_Source], domain: str) -> None:
        self.domain = domain
        self.delegates = {
            (s.ref.namespace, s.ref.name): s for s in sources if not as_list(s.spec.get("hosts"))
        }
        self.roots = [s for s in sources if as_list(s.spec.get("hosts"))]

    def read(self, created: Mapping[Ref, str]) -> list[VirtualService]:
        found = []
        for source in self.roots:
            found.append(self._root(source, created.get(source.ref, "")))
        return found

    def _root(self, source: _Source, created: str) -> VirtualService:
        spec, ref = source.spec, source.ref
        namespace = ref.namespace
        hosts = tuple(
            _fqdn(h.lower(), namespace, self.domain)
            for h in as_list(spec.get("hosts"))
            if isinstance(h, str) and h
        )
        gateways = tuple(
            resolve_gateway_name(g, namespace)
            for g in as_list(spec.get("gateways"))
            if isinstance(g, str) and g
        ) or (MESH,)
        http: list[HttpRoute] = []
        for index, raw in enumerate(as_list(spec.get("http"))):
            raw = as_dict(raw)
            path = f"spec.http[{index}]"
            delegate = as_dict(raw.get("delegate"))
            if delegate:
                http.extend(self._delegated(ref, path, raw, delegate))
                continue
            matches = [
                read_match(as_dict(m), (ref.cause(f"{path}.match[{j}]"),), namespace)
                for j, m in enumerate(as_list(raw.get("match")))
            ]
            http.append(
                HttpRoute(
                    ref,
                    (ref.cause(path),),
                    matches,
                    raw,
                    _destinations(raw.get("route"), namespace, self.domain),
                )
            )
        l4: dict[str, list[L4Route]] = {"tls": [], "tcp": []}
        for kind, routes in l4.items():
            for index, raw in enumerate(as_list(spec.get(kind))):
                raw = as_dict(raw)
                routes.append(
                    L4Route(
                        ref,
                        ref.cause(f"spec.{kind}[{index}]"),
                        [as_dict(m) for m in as_list(raw.get("match"))],
                        _destinations(raw.get("route"), namespace, self.domain),
                    )
                )
        return VirtualService(
            ref, hosts, gateways, http, l4["tls"], l4["tcp"], source.export_to, created
        )

    def _delegated(self, root: Ref, path: str, raw: JSON, delegate: JSON) -> list[HttpRoute]:
        """``mergeVirtualServices`` for one root route with a ``delegate``."""
        namespace = str(delegate.get("namespace") or root.namespace)
        found = self.delegates.get((namespace, str(delegate.get("name") or "")))
        if found is None:
            return []  # "delegate virtual service not found": the route is ignored
        if "*" not in found.export_to and root.namespace not in found.export_to:
            return []  # not exported to the root's namespace
        root_matches = [as_dict(m) for m in as_list(raw.get("match"))]
        routes = []
        for k, sub in enumerate(as_list(found.spec.get("http"))):
            sub = dict(as_dict(sub))
            sub_path = f"spec.http[{k}]"
            leaf_matches = [as_dict(m) for m in as_list(sub.get("match"))]
            merged = _merge_matches(root_matches, leaf_matches)
            if merged is None:
                continue  # "HTTPMatchRequests conflict": the delegate's route is ignored
            for key in _INHERITED:
                if sub.get(key) is None and raw.get(key) is not None:
                    sub[key] = raw[key]
            matches = []
            for r, d, merged_match in merged:
                causes = []
                if d is not None:
                    causes.append(found.ref.cause(f"{sub_path}.match[{d}]"))
                if r is not None:
                    causes.append(root.cause(f"{path}.match[{r}]"))
                # Conditions of the delegate's own namespace resolve there (its gateways
                # were resolved by ResolveVirtualServiceShortnames with its own metadata).
                matches.append(read_match(merged_match, tuple(causes), found.ref.namespace))
            routes.append(
                HttpRoute(
                    root,
                    (found.ref.cause(sub_path), root.cause(path)),
                    matches,
                    sub,
                    _destinations(sub.get("route"), found.ref.namespace, self.domain),
                    "the delegate delegates again (one level only)"
                    if sub.get("delegate")
                    else None,
                )
            )
        return routes


def _merge_matches(
    root: list[JSON], leaf: list[JSON]
) -> list[tuple[int | None, int | None, JSON]] | None:
    """``mergeHTTPMatchRequests``: (root index, delegate index, merged match) per merged match;
    None on a conflict."""
    if not root:
        return [(None, d, m) for d, m in enumerate(leaf)]
    if not leaf:
        return [(r, None, m) for r, m in enumerate(root)]
    out: list[tuple[int | None, int | None, JSON]] = []
    for d, sub in enumerate(leaf):
        found = False
        for r, top in enumerate(root):
            if _match_conflict(top, sub):
                continue
            out.append((r, d, _merge_match(top, sub)))
            found = True
        if not found:
            return None
    return out or None


# --- the whole input -----------------------------------------------------------------------------


@dataclass
class Config:
    """Everything the model reads, and the options that decide how."""

    gateways: list[Gateway] = field(default_factory=list)
    virtual_services: list[VirtualService] = field(default_factory=list)
    service_ports: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(namespace, name) of a Service → its ports."""
    service_entries: dict[str, Ref] = field(default_factory=dict)
    """Host → the ServiceEntry that defines it."""
    secrets: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(namespace, name) of a Secret → its data keys."""
    policies: list[Policy] = field(default_factory=list)
    """The AuthorizationPolicies that allow or deny requests."""
    domain: str = DEFAULT_DOMAIN
    workload_namespace: str = DEFAULT_WORKLOAD_NAMESPACE
    root_namespace: str = DEFAULT_ROOT_NAMESPACE

    def service_of(self, host: str) -> tuple[str, str] | None:
        """(namespace, name) of the Kubernetes Service an FQDN names, or None."""
        parts = host.split(".")
        if len(parts) >= 3 and ".".join(parts[2:]) == f"svc.{self.domain}":
            return parts[1], parts[0]
        return None


def _created(obj: KubeObject) -> str:
    value = obj.metadata.get("creationTimestamp")
    return value if isinstance(value, str) else ""


def _order(created: str, ref: Ref) -> tuple[str, str, str]:
    """``configCompareByCreationTime``: oldest first, then by name, then by namespace."""
    return (created, ref.name, ref.namespace)


def read_config(objects: Sequence[KubeObject], options: ConvertOptions) -> Config:
    settings = options.for_provider("istio")
    config = Config(
        domain=(settings.get("cluster-domain") or DEFAULT_DOMAIN).strip(".") or DEFAULT_DOMAIN,
        workload_namespace=settings.get("gateway-workload-namespace") or DEFAULT_WORKLOAD_NAMESPACE,
        root_namespace=settings.get("mesh-root-namespace") or DEFAULT_ROOT_NAMESPACE,
    )
    sources: list[_Source] = []
    created: dict[Ref, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for obj in _istio_first(objects):
        namespace = obj.namespace or "default"
        key = (obj.kind, namespace, obj.name or "")
        if obj.group in (ISTIO_GROUP, SECURITY_GROUP) and key in seen:
            continue  # the same object twice: the first is used
        seen.add(key)
        if obj.group == ISTIO_GROUP and obj.kind == "Gateway":
            config.gateways.append(_read_gateway(obj, namespace))
        elif obj.group == ISTIO_GROUP and obj.kind == "VirtualService":
            ref = Ref("VirtualService", namespace, obj.name or "")
            sources.append(_Source(ref, obj.spec, _export_to(obj.spec.get("exportTo"), namespace)))
            created[ref] = _created(obj)
        elif obj.group == ISTIO_GROUP and obj.kind == "ServiceEntry":
            ref = Ref("ServiceEntry", namespace, obj.name or "")
            for host in as_list(obj.spec.get("hosts")):
                if isinstance(host, str):
                    config.service_entries.setdefault(host.lower(), ref)
        elif obj.group == SECURITY_GROUP and obj.kind == "AuthorizationPolicy":
            policy = read_policy(obj, namespace)
            if policy is not None:
                config.policies.append(policy)
        elif obj.kind == "Service" and obj.api_version == "v1" and obj.name:
            config.service_ports[(namespace, obj.name)] = [
                p["port"]
                for p in as_list(obj.spec.get("ports"))
                if isinstance(as_dict(p).get("port"), int)
            ]
        elif obj.kind == "Secret" and obj.api_version == "v1" and obj.name:
            keys = {*as_dict(obj.data.get("data")), *as_dict(obj.data.get("stringData"))}
            config.secrets[(namespace, obj.name)] = frozenset(str(k) for k in keys)
    config.gateways.sort(key=lambda g: _order(g.created, g.ref))
    merged = VirtualServices(sources, config.domain).read(created)
    config.virtual_services = sorted(merged, key=lambda v: _order(v.created, v.ref))
    return config


def _istio_first(objects: Iterable[KubeObject]) -> list[KubeObject]:
    """The objects in a stable order (the model's answers must not depend on input order)."""
    return sorted(
        objects,
        key=lambda o: (o.kind, o.namespace or "", o.name or "", o.origin.file, o.origin.document),
    )
