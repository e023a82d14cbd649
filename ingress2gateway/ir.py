"""The intermediate representation: Gateway API's object model, plus typed extensions.

Providers build it, shared lowering code lays it out, emitters turn it into objects. Every
element carries :class:`Provenance` (which input object and field it came from) so that the
ledger can say which output objects each input field went into.

Features that standard Gateway API lacks travel as :class:`Extension` subclasses attached to a
rule, a route or a gateway. Emitters that can express one mark it consumed; anything left is
reported by the pipeline, so an extension can never be dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

from ingress2gateway.objects import ObjectRef, SourceRef, field_within

PathType = Literal["Exact", "PathPrefix", "RegularExpression"]
MatchType = Literal["Exact", "RegularExpression"]


@dataclass(frozen=True, slots=True)
class Provenance:
    """An input field an IR element came from."""

    source: SourceRef
    field: str


class MadeOf(Protocol):
    """An IR element: it knows the input fields it was made from."""

    @property
    def provenance(self) -> list[Provenance]: ...


def made_from(element: MadeOf, *fields: Provenance) -> None:
    """``element`` was (also) made from ``fields``: the output object it becomes names them
    in the ledger, once it is printed. Appended without looking for them first: a Gateway
    holds a field of every Ingress it serves, and scanning it for each would be quadratic;
    the emitter makes each object's provenance unique."""
    element.provenance.extend(fields)


# --- extensions: what standard Gateway API cannot say ---------------------------------------


@dataclass(eq=False, slots=True)
class Extension:
    """A feature without a standard Gateway API field. Subclasses are provider-neutral."""

    KIND: ClassVar[str] = "extension"
    SECURITY: ClassVar[bool] = False
    """Dropping it opens access (auth, allow-lists): reported as a security error."""

    provenance: list[Provenance] = field(default_factory=list, kw_only=True)
    consumed: bool = field(default=False, kw_only=True)

    def describe(self) -> str:
        return self.KIND


@dataclass(eq=False, slots=True)
class BasicAuth(Extension):
    KIND: ClassVar[str] = "basic-auth"
    SECURITY: ClassVar[bool] = True
    secret_name: str
    secret_namespace: str | None = None
    realm: str | None = None


@dataclass(eq=False, slots=True)
class ExternalAuth(Extension):
    KIND: ClassVar[str] = "external-auth"
    SECURITY: ClassVar[bool] = True
    url: str
    method: str | None = None
    response_headers: list[str] = field(default_factory=list)
    signin_url: str | None = None


@dataclass(eq=False, slots=True)
class SignInRedirect(Extension):
    """Requests the gateway's own authentication refuses with 401 are answered with a redirect
    to a sign-in page instead (ingress-nginx ``auth-signin``: ``error_page 401`` in the
    location). Not an access control: the requests are refused either way."""

    KIND: ClassVar[str] = "sign-in-redirect"
    location: str
    """The ``Location``: an absolute http(s) URL, a scheme-relative one (``//host/path``, the
    request's scheme) or an absolute path (the request's scheme and host)."""
    status_code: int = 302
    not_carried: list[str] = field(default_factory=list)
    """Parts of the source's redirect that vary per request and are left out (the original
    URL a sign-in page returns to, say), as the source wrote them."""


@dataclass(eq=False, slots=True)
class JWTAuth(Extension):
    KIND: ClassVar[str] = "jwt-auth"
    SECURITY: ClassVar[bool] = True
    issuer: str | None = None
    jwks_uri: str | None = None


@dataclass(eq=False, slots=True)
class ClientCertAuth(Extension):
    KIND: ClassVar[str] = "client-cert-auth"
    SECURITY: ClassVar[bool] = True
    ca_secret: str
    ca_namespace: str | None = None
    verify: str = "on"


@dataclass(eq=False, slots=True)
class IPAccess(Extension):
    KIND: ClassVar[str] = "ip-access"
    SECURITY: ClassVar[bool] = True
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class RequestHeaderDeny(Extension):
    """Requests whose header ``header`` matches one of ``entries`` are refused (403) before
    anything else is done with them (ingress-nginx ``block-user-agents`` / ``block-referers``:
    an nginx ``map`` whose entries are strings compared ignoring case, or with ``~`` / ``~*``
    regular expressions, and a ``return 403`` in every server)."""

    KIND: ClassVar[str] = "request-header-deny"
    SECURITY: ClassVar[bool] = True
    header: str
    entries: list[str] = field(default_factory=list)
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass(eq=False, slots=True)
class ClientCertSubjectMatch(Extension):
    """The client certificate's subject must match a regular expression, else 403
    (ingress-nginx ``auth-tls-match-cn``: ``if ($ssl_client_s_dn !~ <pattern>) { return 403; }``
    in the server, which a plain-HTTP request, without a certificate, fails too)."""

    KIND: ClassVar[str] = "client-cert-subject-match"
    SECURITY: ClassVar[bool] = True
    pattern: str
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass(eq=False, slots=True)
class RateLimit(Extension):
    KIND: ClassVar[str] = "rate-limit"
    requests: int
    unit: Literal["Second", "Minute", "Hour"]
    burst: int | None = None
    per_client_ip: bool = True


@dataclass(eq=False, slots=True)
class BodySize(Extension):
    """Requests whose body is larger than ``max_bytes`` are answered 413."""

    KIND: ClassVar[str] = "body-size"
    max_bytes: int | None
    """None means unlimited."""
    stream_reason: str | None = None
    """Why the limit must not be enforced by holding each request body before proxying it,
    as a clause (``"nginx streamed …"``): the source streamed these requests (gRPC, request
    buffering off, WebSocket), or the limit is a controller-wide default that also covers
    routes nobody marked as streaming. None: the source held each body under this limit
    before proxying it, so buffering changes nothing a client sees."""


@dataclass(eq=False, slots=True)
class Buffering(Extension):
    KIND: ClassVar[str] = "buffering"
    request: bool | None = None
    response: bool | None = None


@dataclass(eq=False, slots=True)
class SessionAffinity(Extension):
    """Sticky sessions by a cookie the gateway sets (and hashes on)."""

    KIND: ClassVar[str] = "session-affinity"
    cookie_name: str | None = None
    ttl_seconds: int | None = None
    """Max-Age of the cookie; None: a session cookie."""
    path: str | None = None
    """The cookie's Path for the rules this extension is attached to."""
    shared_path: str | None = None
    """The Path one cookie would need to serve every rule of its source (their longest common
    leading segments), for an emitter that can give those rules one cookie only; None: ``path``."""
    domain: str | None = None
    same_site: Literal["Strict", "Lax", "None"] | None = None
    secure: Literal["always", "https"] | None = None
    """When the cookie is marked ``Secure``: always, or on responses to HTTPS requests only
    (ingress-nginx's default); None: never."""


@dataclass(eq=False, slots=True)
class LoadBalancer(Extension):
    KIND: ClassVar[str] = "load-balancer"
    algorithm: Literal["RoundRobin", "LeastRequest", "Random", "ConsistentHash"]
    hash_on: str | None = None
    """For ConsistentHash: ``source-ip``, ``header:<name>``, ``cookie:<name>`` or ``uri``."""


@dataclass(eq=False, slots=True)
class RegexRewrite(Extension):
    KIND: ClassVar[str] = "regex-rewrite"
    pattern: str
    substitution: str


@dataclass(eq=False, slots=True)
class Retry(Extension):
    KIND: ClassVar[str] = "retry"
    attempts: int
    codes: list[int] = field(default_factory=list)
    per_try_timeout: str | None = None


@dataclass(eq=False, slots=True)
class Timeouts(Extension):
    """Timeouts standard Gateway API cannot state (connect, idle, per-direction)."""

    KIND: ClassVar[str] = "timeouts"
    connect: str | None = None
    read: str | None = None
    send: str | None = None


@dataclass(eq=False, slots=True)
class Cors(Extension):
    """CORS, for targets whose HTTPRoute lacks the standard CORS filter (before v1.5)."""

    KIND: ClassVar[str] = "cors"
    allow_origins: list[str] = field(default_factory=list)
    allow_methods: list[str] = field(default_factory=list)
    allow_headers: list[str] = field(default_factory=list)
    expose_headers: list[str] = field(default_factory=list)
    allow_credentials: bool | None = None
    max_age: int | None = None


@dataclass(eq=False, slots=True)
class CustomErrors(Extension):
    KIND: ClassVar[str] = "custom-errors"
    codes: list[int] = field(default_factory=list)
    backend: str | None = None


@dataclass(eq=False, slots=True)
class APIKeyAuth(Extension):
    """API keys the gateway checks (Kong ``key-auth``)."""

    KIND: ClassVar[str] = "api-key-auth"
    SECURITY: ClassVar[bool] = True
    key_names: list[str] = field(default_factory=list)
    """Header (and, with ``in_query``, query parameter) names clients send the key in."""
    in_header: bool = True
    in_query: bool = False
    credential_secrets: list[SecretRef] = field(default_factory=list)
    """Secrets holding the keys (one entry per client: client id → key); empty when the
    source keeps them elsewhere (Kong consumers)."""


@dataclass(eq=False, slots=True)
class OIDCAuth(Extension):
    """An OpenID Connect login at the gateway (Kong ``openid-connect``)."""

    KIND: ClassVar[str] = "oidc-auth"
    SECURITY: ClassVar[bool] = True
    issuer: str | None = None
    client_id: str | None = None
    client_secret: SecretRef | None = None
    """A Secret holding the client secret (key ``client-secret``); None when the source has
    none (a secret written inline is never copied into the output)."""
    scopes: list[str] = field(default_factory=list)
    redirect_url: str | None = None


@dataclass(eq=False, slots=True)
class ClientTimeouts(Extension):
    """Timeouts on the client side of the gateway (listener-wide settings)."""

    KIND: ClassVar[str] = "client-timeouts"
    request_headers: str | None = None
    """The whole request header must arrive within this time (nginx ``client_header_timeout``)."""
    body_idle: str | None = None
    """Longest pause between two reads of the request body (nginx ``client_body_timeout``)."""
    idle: str | None = None
    """How long an idle keep-alive connection stays open (nginx ``keepalive_timeout``)."""


@dataclass(eq=False, slots=True)
class ClientIPDetection(Extension):
    """Where the client address comes from when the gateway is behind a proxy/load balancer."""

    KIND: ClassVar[str] = "client-ip-detection"
    header: str | None = None
    """``X-Forwarded-For`` or another header carrying the client address; None: the peer."""
    trusted_cidrs: list[str] = field(default_factory=list)
    """Proxies trusted to set the header (their entries are skipped, right to left)."""
    proxy_protocol: bool = False
    """Connections start with a PROXY protocol header."""


@dataclass(eq=False, slots=True)
class ClientTLSSettings(Extension):
    """TLS between clients and the HTTPS listeners: protocol versions, ciphers, HTTP/2."""

    KIND: ClassVar[str] = "client-tls-settings"
    min_version: str | None = None
    """``1.0`` … ``1.3``."""
    max_version: str | None = None
    ciphers: list[str] = field(default_factory=list)
    """Cipher suite names (OpenSSL/BoringSSL spelling)."""
    http2: bool | None = None
    """False: clients may only speak HTTP/1.1 (no ``h2`` in ALPN)."""


@dataclass(eq=False, slots=True)
class BackendConnectionLimits(Extension):
    """Connection pool limits towards a backend (circuit breaking), per proxy replica."""

    KIND: ClassVar[str] = "backend-connection-limits"
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_parallel_requests: int | None = None
    max_requests_per_connection: int | None = None
    max_parallel_retries: int | None = None
    connect_timeout: str | None = None
    idle_timeout: str | None = None
    """Closes a backend connection without active requests after this time."""
    not_carried: list[str] = field(default_factory=list)
    """Settings of the source's pool no extension field carries (named for the report)."""
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass(eq=False, slots=True)
class BackendTLSOptions(Extension):
    """TLS to a Service that BackendTLSPolicy cannot state: no verification, a client
    certificate. Attached to the rules that route to the Service."""

    KIND: ClassVar[str] = "backend-tls-options"
    service: str
    namespace: str | None = None
    """The Service's namespace; None: the route's."""
    insecure_skip_verify: bool = False
    client_certificate: SecretRef | None = None
    """A ``kubernetes.io/tls`` Secret the gateway presents to the backend."""
    sni: str | None = None
    ca_config_maps: list[str] = field(default_factory=list)
    """When verifying: ConfigMaps with ``ca.crt``; empty means the system trust store."""
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass(eq=False, slots=True)
class ExternalNameService(Extension):
    """A backendRef of the rules it is attached to names a Service of type ``ExternalName``:
    the source controller connected to ``hostname`` (resolved by DNS) on ``port``. Gateway API
    leaves such Services to the implementation (Envoy Gateway refuses them as backendRefs:
    ``internal/gatewayapi/route.go``, "ExternalName Service is not supported"); an emitter
    that can name an external host instead (an Envoy Gateway ``Backend``) does."""

    KIND: ClassVar[str] = "external-name-service"
    service: str
    namespace: str | None
    """The Service's namespace; None: the route's."""
    service_port: int | None
    """The port the backendRef names (the Service's ``port``)."""
    hostname: str
    """``spec.externalName``: a DNS name, or an IP address."""
    port: int
    """The port connected to on ``hostname``."""

    def describe(self) -> str:
        return (
            f"the ExternalName Service {self.service} ({self.hostname}:{self.port}; Gateway API "
            "leaves such Services to each implementation, which may refuse them as Envoy "
            "Gateway does: the route keeps the Service reference)"
        )


@dataclass(eq=False, slots=True)
class RefusedControl(Extension):
    """An access control the source had that cannot be carried in any form: one of its values
    failed its grammar (see :mod:`~ingress2gateway.converting.screening`), or the source controller itself
    would refuse it and deny the requests (ingress-nginx answers 503 for a location whose auth
    annotation is invalid, or serves none of an Ingress whose annotation fails validation).
    No emitter carries it, so the rules it is attached to are closed instead of opened."""

    KIND: ClassVar[str] = "refused-access-control"
    SECURITY: ClassVar[bool] = True
    what: str = ""
    status: int | None = None
    """What the source answered the requests it refused, when it answered them itself (the
    503 of an ingress-nginx location denied for an invalid annotation); None when it did not
    serve them at all. An emitter that can answer with a status of its choice uses it for the
    closed rules."""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass(eq=False, slots=True)
class Unrepresentable(Extension):
    """Something a provider understood but nothing can carry (snippets, WAF, ...)."""

    KIND: ClassVar[str] = "unrepresentable"
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


# --- Gateway --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecretRef:
    name: str
    namespace: str | None = None


@dataclass(eq=False, slots=True)
class Listener:
    name: str
    port: int
    protocol: Literal["HTTP", "HTTPS", "TLS", "TCP", "UDP"]
    hostname: str | None = None
    tls_mode: Literal["Terminate", "Passthrough"] | None = None
    certificate_refs: list[SecretRef] = field(default_factory=list)
    allowed_namespaces: set[str | None] = field(default_factory=set)
    """Namespaces whose routes attach here (the Gateway's own namespace needs no entry)."""
    provenance: list[Provenance] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Gateway:
    name: str
    namespace: str | None
    gateway_class: str
    listeners: list[Listener] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    allowed_listener_sets: str | None = None
    """``Same`` when ListenerSets of the Gateway's namespace may attach (see :class:`ListenerSet`)."""
    annotations: dict[str, str] = field(default_factory=dict)
    """For the tools beside the controller (cert-manager, external-dns): see
    :mod:`ingress2gateway.converting.companions`."""
    _index: dict[str, Listener] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Gateway", self.namespace, self.name)

    def parent_ref(self, namespace: str | None, section: str | None = None) -> ParentRef:
        """How a route in ``namespace`` names this Gateway (and its listener ``section``): with
        the Gateway's namespace only when the route is in another one."""
        other = self.namespace if self.namespace != namespace else None
        return ParentRef(self.name, other, section)

    def listener(self, name: str) -> Listener | None:
        # Looked up per route and rule by providers; a Gateway can have thousands of listeners
        # before the 64-listener limit is reported, so keep an index, rebuilt when stale.
        found = self._index.get(name)
        if found is None or found.name != name or len(self._index) != len(self.listeners):
            self._index = {item.name: item for item in reversed(self.listeners)}
            found = self._index.get(name)
        return found


# --- routes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathMatch:
    type: PathType
    value: str


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    name: str
    value: str
    type: MatchType = "Exact"


@dataclass(frozen=True, slots=True)
class Match:
    path: PathMatch | None = None
    headers: tuple[HeaderMatch, ...] = ()
    query_params: tuple[HeaderMatch, ...] = ()
    method: str | None = None
    grpc: GRPCMethodMatch | None = None
    """Only in GRPCRoute rules (which use ``grpc`` and ``headers``, never ``path``)."""


@dataclass(frozen=True, slots=True)
class GRPCMethodMatch:
    service: str | None = None
    method: str | None = None
    type: MatchType = "Exact"


@dataclass(eq=False, slots=True)
class BackendRef:
    name: str
    namespace: str | None = None
    port: int | None = None
    group: str = ""
    kind: str = "Service"
    weight: int | None = None
    provenance: list[Provenance] = field(default_factory=list)

    def identity(self) -> tuple[str, str, str, str | None, int | None]:
        return (self.group, self.kind, self.name, self.namespace, self.port)


@dataclass(eq=False, slots=True)
class Filter:
    """A standard HTTPRoute filter."""

    TYPE: ClassVar[str] = ""
    provenance: list[Provenance] = field(default_factory=list, kw_only=True)


@dataclass(eq=False, slots=True)
class PathModifier:
    type: Literal["ReplaceFullPath", "ReplacePrefixMatch"]
    value: str


@dataclass(eq=False, slots=True)
class RequestRedirect(Filter):
    TYPE: ClassVar[str] = "RequestRedirect"
    scheme: str | None = None
    hostname: str | None = None
    port: int | None = None
    path: PathModifier | None = None
    status_code: int = 302


@dataclass(eq=False, slots=True)
class URLRewrite(Filter):
    TYPE: ClassVar[str] = "URLRewrite"
    hostname: str | None = None
    path: PathModifier | None = None


@dataclass(eq=False, slots=True)
class HeaderModifier(Filter):
    response: bool = False
    set: dict[str, str] = field(default_factory=dict)
    add: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        return "ResponseHeaderModifier" if self.response else "RequestHeaderModifier"


@dataclass(eq=False, slots=True)
class RequestMirror(Filter):
    TYPE: ClassVar[str] = "RequestMirror"
    backend: BackendRef
    percent: int | None = None


@dataclass(eq=False, slots=True)
class CorsFilter(Filter):
    """The standard CORS filter (Gateway API v1.5+ standard, v1.3+ experimental)."""

    TYPE: ClassVar[str] = "CORS"
    cors: Cors


@dataclass(eq=False, slots=True)
class Rule:
    matches: list[Match] = field(default_factory=list)
    backend_refs: list[BackendRef] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    request_timeout: str | None = None
    backend_request_timeout: str | None = None
    name: str | None = None
    extensions: list[Extension] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    """Input objects this rule belongs to: their annotations apply to it and to no other."""
    closed_status: int | None = None
    """Set when the rule was closed for an access control whose source answered the refused
    requests itself (``RefusedControl.status``): an emitter that can answer a status of its
    choice answers this one; the others leave the rule without backends (500)."""


@dataclass(frozen=True, slots=True)
class ParentRef:
    name: str
    namespace: str | None = None
    section_name: str | None = None
    port: int | None = None
    kind: str = "Gateway"
    group: str = "gateway.networking.k8s.io"


@dataclass(eq=False, slots=True)
class Route:
    """Shared shape of the route kinds."""

    KIND: ClassVar[str] = ""
    name: str
    namespace: str | None
    hostnames: list[str] = field(default_factory=list)
    parent_refs: list[ParentRef] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    """For the tools beside the controller (external-dns): see
    :mod:`ingress2gateway.converting.companions`."""
    _ref: ObjectRef | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def ref(self) -> ObjectRef:
        # Asked for once per ledger credit: made once while name and namespace stay put.
        ref = self._ref
        if ref is None or ref.name != self.name or ref.namespace != self.namespace:
            ref = self._ref = ObjectRef(self.KIND, self.namespace, self.name)
        return ref


@dataclass(eq=False, slots=True)
class HTTPRoute(Route):
    KIND: ClassVar[str] = "HTTPRoute"
    rules: list[Rule] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class GRPCRoute(Route):
    KIND: ClassVar[str] = "GRPCRoute"
    rules: list[Rule] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class TLSRoute(Route):
    KIND: ClassVar[str] = "TLSRoute"
    backend_refs: list[BackendRef] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class TCPRoute(Route):
    KIND: ClassVar[str] = "TCPRoute"
    backend_refs: list[BackendRef] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class UDPRoute(Route):
    KIND: ClassVar[str] = "UDPRoute"
    backend_refs: list[BackendRef] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReferenceGrant:
    """Allows ``from_kind`` objects in ``from_namespace`` to reference ``to_kind`` here."""

    namespace: str
    from_group: str
    from_kind: str
    from_namespace: str
    to_group: str
    to_kind: str
    to_name: str | None = None


@dataclass(eq=False, slots=True)
class BackendTLSPolicy:
    """TLS from the gateway to a Service (BackendTLSPolicy): how to verify the backend."""

    name: str
    namespace: str | None
    service: str
    hostname: str
    """SNI and the name the certificate must carry."""
    ca_config_maps: list[str] = field(default_factory=list)
    """ConfigMaps holding ``ca.crt``; empty means the system trust store."""
    section_name: str | None = None
    """A Service port name, to limit the policy to that port."""
    provenance: list[Provenance] = field(default_factory=list)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("BackendTLSPolicy", self.namespace, self.name)


@dataclass(eq=False, slots=True)
class ListenerSet:
    """Listeners attached to a Gateway from outside it (Gateway API v1.5+ standard).

    Used when a Gateway would need more than the 64 listeners one object may hold: the
    listeners (and the hosts they serve) keep the Gateway's address.
    """

    name: str
    namespace: str | None
    gateway: Gateway
    listeners: list[Listener] = field(default_factory=list)

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("ListenerSet", self.namespace, self.name)


@dataclass
class IR:
    gateways: list[Gateway] = field(default_factory=list)
    listener_sets: list[ListenerSet] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    backend_tls_policies: list[BackendTLSPolicy] = field(default_factory=list)
    reference_grants: set[ReferenceGrant] = field(default_factory=set)
    grant_provenance: dict[ReferenceGrant, list[Provenance]] = field(default_factory=dict)

    def add_grant(self, grant: ReferenceGrant, provenance: Provenance | None = None) -> None:
        self.reference_grants.add(grant)
        if provenance is not None:
            self.grant_provenance.setdefault(grant, []).append(provenance)

    def http_routes(self) -> Iterator[HTTPRoute]:
        return (r for r in self.routes if isinstance(r, HTTPRoute))

    def extension_fields(self) -> frozenset[tuple[SourceRef, str]]:
        """The input fields that went into an extension, as ``(source, field)``: carried over
        (or reported) with it, so nothing else accounts for them."""
        return frozenset(
            (item.source, item.field)
            for ext in self.distinct_extensions()
            for item in ext.provenance
        )

    def distinct_extensions(self) -> list[Extension]:
        """Every extension attached to a Gateway, a route or a rule, each once (one is often
        attached to every rule of its Ingress: at 10k Ingresses, 450k attachments of 30k), in
        the order first met: Gateways, then each route and its rules."""
        seen: dict[int, Extension] = {}
        add = seen.setdefault
        for gateway in self.gateways:
            for ext in gateway.extensions:
                add(id(ext), ext)
        for route in self.routes:
            for ext in route.extensions:
                add(id(ext), ext)
            for rule in getattr(route, "rules", ()):
                for ext in rule.extensions:
                    add(id(ext), ext)
        return list(seen.values())


def listeners_made_from(gateway: Gateway, fields: Iterable[Provenance]) -> list[Listener]:
    """The listeners of ``gateway`` made from one of ``fields``, or from a field inside one
    (an Istio server's ``tls.mode`` inside the server that made the listener)."""
    wanted = list(fields)
    return [
        listener
        for listener in gateway.listeners
        if any(
            made.source == came.source and field_within(came.field, made.field)
            for made in listener.provenance
            for came in wanted
        )
    ]
