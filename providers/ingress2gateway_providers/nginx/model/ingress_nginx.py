"""A model of how ingress-nginx (controller v1.13–v1.15) routes requests over Ingresses.

Written from the controller's code at ``kubernetes/ingress-nginx`` (release v1.15.1), each rule
with the place it follows:

* **Which Ingresses, in which order.** Ingresses of the selected classes, oldest first, ties
  by ``namespace/name`` descending (``store.go``, ``sortIngressSlice``). An annotation of a
  risk above ``annotations-risk-level`` (``High`` by default; snippets are ``Critical``) drops
  the whole Ingress (``annotations.go``, ``Extract``; ``parser.CheckAnnotationRisk``); the
  level is taken from the controller ConfigMap when the input has it, and else assumed to
  admit what the input uses, as a working controller must have. A path type
  ``ImplementationSpecific`` or none is ``Prefix`` (``k8s.SetDefaultNGINXPathType``).
* **Servers.** One per host, ``_`` for rules without host; a host's root location ``/`` goes
  to the Ingress's ``defaultBackend`` or the controller's default backend (404), and an
  Ingress with a ``defaultBackend`` and no rules takes the catch-all server's
  (``controller.go``, ``createServers``). ``server-alias`` adds names; a ``*.`` host is a
  regular expression server name that takes *one* label (``template.go``, ``buildServerName``),
  tried after exact names; any other host goes to ``_``.
* **Locations.** Each path of each Ingress, oldest first; the same path and type twice keeps
  the first, except that it replaces the root default location (``getBackendServers``). A
  ``Prefix`` path ``/foo`` becomes ``location /foo/`` and ``location = /foo``, unless it
  rewrites or uses regular expressions, or an exact location of that path exists
  (``location.go``, ``updateServerLocations``). Locations are sorted longest path first. When
  any location of a server rewrites or uses regular expressions, every location of the
  server is rendered ``~* "^<path>"`` (``template.go``, ``enforceRegexModifier``,
  ``buildLocation``); otherwise ``Exact`` is ``= <path>`` and the rest plain prefixes. nginx
  then picks the location (see :mod:`.locations`).
* **What a location does**, in nginx's phase order (``nginx.tmpl``): an ``app-root`` answers
  ``/`` with a 302 when its location is the one that takes ``/`` (``if ($uri = /)``); a denied location (an invalid auth or
  allow-list annotation: ``LocationDenied``) answers 503; ``permanent-redirect`` /
  ``temporal-redirect`` answer with their code and URL; ``rewrite-target`` rewrites the URI
  with ``rewrite "(?i)<path>" <target> break`` (an absolute target is a 302 redirect); then
  the HTTPS redirect (``lua_ingress.lua``, ``redirect_to_https``): for http requests (by
  ``X-Forwarded-Proto`` with ``use-forwarded-headers``), with
  ``force-ssl-redirect``, or ``ssl-redirect`` (default true) on a server with a certificate,
  unless the *location's* path starts with a ``no-tls-redirect-locations`` entry
  (``/.well-known/acme-challenge``); code ``http-redirect-code`` (308), the original URI
  without its trailing slash unless ``preserve-trailing-slash``. Then the access controls
  (guards), and the proxy to the upstream, with ``upstream-vhost`` as the Host.
* **Canaries.** A canary Ingress's path joins the upstream of the location with the same host,
  path and path type (``mergeAlternativeBackends``); the first canary of an upstream decides,
  for every location using it, by header (its value, its PCRE pattern searched anywhere, or
  ``always``/``never``), then cookie (``always``/``never``), then weight out of
  ``canary-weight-total`` (``balancer.lua``, ``route_to_alternative_balancer``).
* **from-to-www-redirect** adds a server for the twin host that redirects to the host with the
  original URI without its trailing slash, code ``http-redirect-code`` (``ngx_srv_redirect.lua``).
* **ssl-passthrough** passes TLS connections (https requests included) whose SNI is exactly
  the host to the root location's backend (``getConfiguration``; ``pkg/tcpproxy``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.objects import KubeObject
from ingress2gateway.verification.matching import host_matches, pcre_search
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    NoRoute,
    Redirect,
    Request,
    Respond,
    Routed,
    forward,
)
from ingress2gateway.verification.probes import (
    UNKNOWN_HOST,
    concrete_host,
    path_variants,
    regex_sample,
)

from .locations import EXACT, PREFIX, REGEX_NOCASE, Location, find_location
from .selection import (
    ControllerConfig,
    IngressInfo,
    external_name_services,
    external_name_target,
    service_ports,
    string_to_url,
)
from .snippets import Block
from .snippets import parse as parse_snippet

DEFAULT_SERVER = "_"
_AUTH_GUARDS = frozenset({"basic-auth", "digest-auth", "external-auth"})
ACME = "/.well-known/acme-challenge"


# --- annotations, as the controller parses them -------------------------------------------------

# parser/validators.go
_ALPHA = r"\-\.\_\~a-zA-Z0-9\/:"
_URL_CHARS = re.escape(",:?&=")
_REGEX_PATH_WITH_CAPTURE = re.compile(r"/?[" + _ALPHA + r"\/\$]*")
_URL_IS_VALID = re.compile("[" + _ALPHA + _URL_CHARS + "]*")
_URL_WITH_VARIABLES = re.compile("[" + _ALPHA + ", " + _URL_CHARS + "$]*")
_BASIC_CHARS = re.compile("[/" + _ALPHA + "]*")
_IS_VALID_REGEX = re.compile("[/" + _ALPHA + re.escape(r"^$[](){}*+?|&=\\") + "]*")
_MALICIOUS = re.compile(r"\r|\n")


def _valid(pattern: re.Pattern[str], value: str, remove_space: bool = False) -> bool:
    if remove_space:
        value = value.replace(" ", "")
    return pattern.fullmatch(value) is not None and _MALICIOUS.search(value) is None


def _bool(value: str | None) -> bool | None:
    """Go's strconv.ParseBool."""
    if value is None:
        return None
    lowered = value.strip()
    if lowered in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if lowered in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        return None


@dataclass
class Canary:
    header: str = ""
    value: str = ""
    pattern: str = ""
    cookie: str = ""
    weight: int = 0
    total: int = 100


@dataclass
class Settings:
    """What the model reads from one Ingress's annotations."""

    rewrite_target: str = ""
    use_regex: bool = False
    app_root: str = ""
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    redirect_url: str = ""
    redirect_code: int = 0
    from_to_www: bool = False
    aliases: list[str] = field(default_factory=list)
    upstream_vhost: str = ""
    guards: list[str] = field(default_factory=list)
    client_certificate: bool = False
    match_cn: str = ""
    """``auth-tls-match-cn`` (with ``auth-tls-secret``): the regular expression the client
    certificate's subject must match."""
    denied: str = ""
    passthrough: bool = False
    canary: Canary | None = None
    snippet: Block | None = None
    """``configuration-snippet``: what it says about answering or denying."""
    server_snippet: Block | None = None
    server_snippet_field: str = ""
    own_ip_rules: bool = False
    """The locations have ``allow`` / ``deny`` lines of their own (an allow or deny list, from
    the annotation or the ConfigMap's default): nginx's access module then does not inherit
    the ``http`` block's ``deny`` lines of ``block-cidrs``."""
    own_auth_url: bool = False
    """``auth-url`` is set (``shouldApplyGlobalAuth``: the global auth is only for locations
    without their own)."""
    enable_global_auth: bool = True
    consulted: list[str] = field(default_factory=list)
    """Annotation fields that shape what the Ingress's locations do (for causes)."""
    config_causes: list[Cause] = field(default_factory=list)
    """ConfigMap keys whose defaults this Ingress takes (for causes)."""


def read_settings(
    info: IngressInfo, config: ControllerConfig, objects: Sequence[KubeObject] = ()
) -> Settings:
    """The annotations of ``info`` as the controller's parsers read them (their defaults and
    validators: ``internal/ingress/annotations/*/main.go``)."""
    s = Settings(ssl_redirect=config.ssl_redirect, force_ssl_redirect=config.force_ssl_redirect)
    get = info.annotation

    def consult(name: str) -> str | None:
        value = get(name)
        if value is not None:
            s.consulted.append(info.field(name))
        return value

    target = consult("rewrite-target")
    if target is not None and _valid(_REGEX_PATH_WITH_CAPTURE, target) and target.strip():
        s.rewrite_target = target.strip()
    s.use_regex = _bool(consult("use-regex")) or False
    for name, attr in (
        ("ssl-redirect", "ssl_redirect"),
        ("force-ssl-redirect", "force_ssl_redirect"),
        ("preserve-trailing-slash", "preserve_trailing_slash"),
    ):
        flag = _bool(consult(name))
        if flag is not None:
            setattr(s, attr, flag)
    root = consult("app-root")
    if root and _valid(_REGEX_PATH_WITH_CAPTURE, root) and root.startswith("/"):
        s.app_root = root.strip()
    s.from_to_www = _bool(consult("from-to-www-redirect")) or False
    temporal = consult("temporal-redirect")
    permanent = consult("permanent-redirect")
    # redirect.go: temporal-redirect must parse as a URL whose scheme starts with "http"
    # (isValidURL; else the annotation is ignored); permanent-redirect is not checked.
    if (
        temporal
        and _valid(_URL_IS_VALID, temporal)
        and temporal.split(":", 1)[0].lower().startswith("http")
        and ":" in temporal
    ):
        code = _int(get("temporal-redirect-code")) or 302
        s.redirect_url, s.redirect_code = temporal, code if 300 <= code <= 307 else 302
    elif permanent and _valid(_URL_IS_VALID, permanent):
        code = _int(consult("permanent-redirect-code")) or 301
        s.redirect_url, s.redirect_code = permanent, code if 300 <= code <= 308 else 301
    aliases = consult("server-alias")
    if aliases:
        s.aliases = [a.strip().lower() for a in aliases.split(",") if a.strip()]
    vhost = consult("upstream-vhost")
    if vhost and vhost.strip():
        s.upstream_vhost = vhost.strip()
    s.passthrough = _bool(get("ssl-passthrough")) or False
    if config.allow_snippets:
        # Snippets the controller drops (allow-snippet-annotations false) change nothing.
        location_snippet = get("configuration-snippet")
        if location_snippet:
            s.snippet = parse_snippet(location_snippet)
            s.consulted.append(info.field("configuration-snippet"))
        server_snippet = get("server-snippet")
        if server_snippet:
            s.server_snippet = parse_snippet(server_snippet)
            s.server_snippet_field = info.field("server-snippet")
    _read_access(info, s, consult, config)
    _read_custom_headers(info, s, consult, config, objects)
    if _bool(get("canary")):
        s.canary = _read_canary(info, consult)
    return s


def _read_access(info: IngressInfo, s: Settings, consult: Any, config: ControllerConfig) -> None:
    auth_type = consult("auth-type")
    if auth_type is not None:
        if auth_type.strip().lower() in ("basic", "digest"):
            if consult("auth-secret"):
                s.guards.append(f"{auth_type.strip().lower()}-auth")
            else:
                s.denied = "basic auth without a Secret"
        else:
            s.denied = "invalid authentication type"
    url = consult("auth-url")
    if url is not None:
        # authreq/main.go: the value is the URL (normalizeString: each line trimmed), which
        # parser.StringToURL must accept, else the location is denied.
        # A value its validator refuses (URLWithNginxVariableRegex) drops the whole Ingress (a
        # validation error); it is modelled as a denied location, which answers no request
        # either. An empty one is ignored (parseString's error is not a denial).
        cleaned = "\n".join(line.strip() for line in url.split("\n"))
        s.own_auth_url = bool(cleaned)
        if cleaned and (
            not _valid(_URL_WITH_VARIABLES, url, remove_space=True)
            or string_to_url(cleaned) is None
        ):
            s.denied = "invalid auth-url"
        elif cleaned:
            s.guards.append("external-auth")
    global_auth = _bool(consult("enable-global-auth"))
    s.enable_global_auth = True if global_auth is None else global_auth
    for names, guard, config_key in (
        (
            ("allowlist-source-range", "whitelist-source-range"),
            "ip-allow",
            "whitelist-source-range",
        ),
        (("denylist-source-range",), "ip-deny", "denylist-source-range"),
    ):
        # parser.checkAnnotation: an empty or absent annotation falls back to its aliases.
        name = next((n for n in names if info.annotation(n)), names[0])
        value = consult(name)
        if value is None:
            # The ConfigMap's list is the default of the annotation (ipallowlist/main.go).
            defaults = [g for g in config.default_guards if g.startswith(guard)]
            s.guards.extend(defaults)
            s.own_ip_rules = s.own_ip_rules or bool(defaults)
            s.config_causes.extend(c for c in config.causes if config_key in c.field)
            continue
        cidrs = _cidrs(value)
        if not value.strip() or cidrs is None:
            # parseString refuses an empty value; ParseIPNets one without an address: denied.
            s.denied = f"invalid {name}"
        elif cidrs:
            s.guards.append(f"{guard} {','.join(sorted(set(cidrs)))}")
            s.own_ip_rules = True
    if consult("auth-tls-secret"):
        s.client_certificate = True
        match_cn = consult("auth-tls-match-cn")
        # CommonNameAnnotationValidator: "CN=" and a regular expression (Go's, approximated
        # by Python's; a value it refuses drops the Ingress, modelled as a denial).
        if match_cn is not None and match_cn.strip():
            if match_cn.startswith("CN=") and _compiles(match_cn[3:]):
                s.match_cn = match_cn
            else:
                s.denied = "invalid auth-tls-match-cn"


# customheaders/main.go: what the controller accepts of a custom-headers ConfigMap.
_CUSTOM_HEADER_NAME = re.compile(r"[a-zA-Z\d\-_]+")
_CUSTOM_HEADER_VALUE = re.compile(r"[a-zA-Z\d_ :;.,\\/\"'?!(){}\[\]@<>=\-+*#$&`|~^%]+")


def _read_custom_headers(
    info: IngressInfo,
    s: Settings,
    consult: Any,
    config: ControllerConfig,
    objects: Sequence[KubeObject],
) -> None:
    """``custom-headers`` names a ConfigMap of response headers; the controller denies the
    location (503) when the ConfigMap is missing, or one of its entries has a name or value
    its grammar refuses or a name ``global-allowed-response-headers`` does not list
    (``customheaders/main.go``, ``Parse``). A ConfigMap the input lacks is assumed to have
    worked (the model cannot see it)."""
    ref = consult("custom-headers")
    if ref is None or not ref.strip():
        return
    namespace, _, name = ref.strip().rpartition("/")
    namespace = namespace or info.namespace
    found = next(
        (
            o
            for o in objects
            if o.kind == "ConfigMap"
            and o.api_version == "v1"
            and o.name == name
            and (o.namespace or "default") == namespace
        ),
        None,
    )
    if found is None:
        return
    data = found.data.get("data")
    for key, value in data.items() if isinstance(data, dict) else ():
        if not _CUSTOM_HEADER_NAME.fullmatch(str(key)) or not (
            isinstance(value, str) and _CUSTOM_HEADER_VALUE.fullmatch(value)
        ):
            s.denied = "invalid custom header"
            return
        allowed = config.allowed_response_headers
        if allowed is not None and str(key) not in allowed:
            s.denied = f"header {key} is not in global-allowed-response-headers"
            return


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def _cidrs(value: str) -> list[str] | None:
    import ipaddress

    found = []
    for part in value.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            return None
    return found


def _read_canary(info: IngressInfo, consult: Any) -> Canary:
    canary = Canary()
    header = consult("canary-by-header")
    if header and _valid(_BASIC_CHARS, header, True):
        canary.header = header.strip()
    value = consult("canary-by-header-value")
    if value and _valid(_BASIC_CHARS, value, True):
        canary.value = value.strip()
    pattern = consult("canary-by-header-pattern")
    if pattern and _valid(_IS_VALID_REGEX, pattern):
        canary.pattern = pattern.strip()
    cookie = consult("canary-by-cookie")
    if cookie and _valid(_BASIC_CHARS, cookie, True):
        canary.cookie = cookie.strip()
    canary.weight = _int(consult("canary-weight")) or 0
    canary.total = _int(consult("canary-weight-total")) or 100
    return canary


# --- servers and locations ----------------------------------------------------------------------


@dataclass
class Upstream:
    backend: Backend
    canaries: list[tuple[Backend, Canary, IngressInfo]] = field(default_factory=list)


@dataclass
class Loc:
    """A location and what the controller hangs on it."""

    path: str
    path_type: str
    upstream: Upstream | None
    """None: the controller's default backend (it answers 404)."""
    ingress: IngressInfo | None
    settings: Settings
    field: str
    default: bool = False
    name: str = ""
    modifier: str = PREFIX
    snippet_location: Block | None = None
    """A ``location`` of a server snippet: no proxy, only what the block says."""

    @property
    def regex_mode(self) -> bool:
        target = self.settings.rewrite_target
        return bool(target and target != self.path) or self.settings.use_regex


@dataclass
class Server:
    hostname: str
    locations: list[Loc]
    aliases: list[str] = field(default_factory=list)
    certificate: bool = False
    """A certificate is configured for it (a secret, or the default certificate for a
    ``spec.tls`` entry without one): the HTTPS redirect applies, and HTTPS requests are
    served with a certificate a client accepts."""
    passthrough: bool = False
    client_certificate: bool = False
    match_cn: str = ""
    """The subject pattern of ``auth-tls-match-cn``: ``if ($ssl_client_s_dn !~ <pattern>)
    { return 403; }`` in the server, before any location (a plain-HTTP request has no
    certificate, so an empty subject, and gets the 403 too)."""
    match_cn_cause: Cause | None = None
    certificate_cause: Cause | None = None
    """The ``spec.tls`` entry that gave the server its certificate (and its HTTPS redirect)."""
    snippet: Block | None = None
    snippet_cause: Cause | None = None
    rendered: list[Location[Loc]] = field(default_factory=list)
    cause: Cause | None = None


class IngressNginxModel:
    def __init__(
        self,
        ingresses: Sequence[IngressInfo],
        objects: Sequence[KubeObject],
        config: ControllerConfig,
    ) -> None:
        self.config = config
        self.ports = service_ports(objects)
        self.external_names = external_name_services(objects)
        self.upstreams: dict[tuple[str, str, Any], Upstream] = {}
        self.settings = {id(i): read_settings(i, config, objects) for i in ingresses}
        self.ingresses = [i for i in ingresses if not self._dropped(i)]
        self.servers: dict[str, Server] = {}
        self.www_redirects: dict[str, tuple[str, Server]] = {}
        self._build()

    # --- building ----------------------------------------------------------------------------

    def _dropped(self, info: IngressInfo) -> bool:
        if self.config.risk_level < info.highest_risk:
            return True
        # store.go syncIngress: "skipping ingress" when a value of the controller's prefix
        # holds a word of annotation-value-word-blocklist (checkBadAnnotationValue).
        return any(
            word in value
            for key, value in info.obj.annotations.items()
            if key.startswith(info.prefix) and isinstance(value, str)
            for word in self.config.word_blocklist
        )

    def _backend(self, info: IngressInfo, raw: Any) -> Backend | None:
        if not isinstance(raw, dict):
            return None
        service = raw.get("service")
        if isinstance(service, dict):
            name = service.get("name")
            port = service.get("port")
            number = port.get("number") if isinstance(port, dict) else None
            port_name = port.get("name") if isinstance(port, dict) else None
        elif "serviceName" in raw:
            name, legacy = raw.get("serviceName"), raw.get("servicePort")
            number, port_name = (legacy, None) if isinstance(legacy, int) else (None, legacy)
            if isinstance(port_name, str) and port_name.isdigit():
                number, port_name = int(port_name), None
        else:
            return None
        if not isinstance(name, str) or not name:
            return None
        resolved: Any = number if isinstance(number, int) else port_name
        if isinstance(port_name, str) and not isinstance(number, int):
            resolved = self.ports.get((info.namespace, name), {}).get(port_name, port_name)
        return Backend(info.namespace, name, resolved)

    def _reached(self, backend: Backend) -> Backend:
        """What a Service backend reaches: itself, or for an ExternalName Service its external
        name and port (``serviceEndpoints``: ``externalNamePorts``, then the endpoint is
        ``externalName``:``targetPort``, the port itself when the target is a name)."""
        spec = self.external_names.get((backend.namespace, backend.name))
        if spec is None:
            return backend
        port = backend.port
        for entry in spec.get("ports") or []:
            if not isinstance(entry, dict):
                continue
            if entry.get("port") == port or (isinstance(port, str) and entry.get("name") == port):
                target = entry.get("targetPort")
                number = entry.get("port")
                if isinstance(target, str) and target.isdigit():
                    target = int(target)
                port = target if isinstance(target, int) and target > 0 else number
                break
        return external_name_target(
            str(spec.get("externalName", "")), port if isinstance(port, int) else None
        )

    def _upstream(self, backend: Backend) -> Upstream:
        key = (backend.namespace, backend.name, backend.port)
        found = self.upstreams.get(key)
        if found is None:
            found = self.upstreams[key] = Upstream(backend)
        return found

    def _build(self) -> None:
        primaries = [i for i in self.ingresses if self.settings[id(i)].canary is None]
        canaries = [i for i in self.ingresses if self.settings[id(i)].canary is not None]
        default_server = Server(
            DEFAULT_SERVER, [Loc("/", "Prefix", None, None, Settings(), "", default=True)]
        )
        self.servers[DEFAULT_SERVER] = default_server
        # createServers: root locations, catch-all default backend.
        for info in primaries:
            settings = self.settings[id(info)]
            own_default = self._backend(info, info.default_backend)
            upstream = self._upstream(own_default) if own_default else None
            if upstream is not None and not info.rules:
                root = default_server.locations[0]
                if root.default:
                    root.upstream, root.ingress, root.default = upstream, info, False
                    root.field = info.default_backend_field
                    # app-root, redirects and rewrites are not applied to the catch-all.
                    root.settings = Settings(
                        guards=list(settings.guards),
                        denied=settings.denied,
                        own_ip_rules=settings.own_ip_rules,
                        own_auth_url=settings.own_auth_url,
                        enable_global_auth=settings.enable_global_auth,
                        consulted=list(settings.consulted),
                        config_causes=list(settings.config_causes),
                    )
            for index, rule in enumerate(info.rules):
                host = rule.host or DEFAULT_SERVER
                if host in self.servers:
                    continue
                root = Loc(
                    "/",
                    "Prefix",
                    upstream,
                    info,
                    settings,
                    info.default_backend_field if upstream else f"spec.rules[{index}].host",
                    default=True,
                )
                self.servers[host] = Server(
                    host,
                    [root],
                    passthrough=settings.passthrough,
                    cause=Cause("Ingress", info.namespace, info.name, f"spec.rules[{index}].host"),
                )
        # aliases, certificates
        for info in primaries:
            settings = self.settings[id(info)]
            for rule in info.rules:
                server = self.servers[rule.host or DEFAULT_SERVER]
                if not server.aliases and settings.aliases:
                    server.aliases = list(settings.aliases)
                if not server.passthrough and settings.passthrough:
                    server.passthrough = True
                if server.snippet is None and settings.server_snippet is not None:
                    server.snippet = settings.server_snippet
                    server.snippet_cause = Cause(
                        "Ingress", info.namespace, info.name, settings.server_snippet_field
                    )
                    for modifier, name, block in settings.server_snippet.locations:
                        server.locations.append(
                            Loc(
                                name,
                                "Exact" if modifier == "=" else "Prefix",
                                None,
                                info,
                                Settings(),
                                settings.server_snippet_field,
                                snippet_location=block,
                                modifier=modifier,
                            )
                        )
                if server.certificate or not info.tls_hosts_of(rule.host):
                    continue
                server.certificate = True
                server.certificate_cause = Cause(
                    "Ingress", info.namespace, info.name, f"spec.tls[{info.tls_index(rule.host)}]"
                )
        # getBackendServers: locations.
        for info in primaries:
            settings = self.settings[id(info)]
            for index, rule in enumerate(info.rules):
                server = self.servers.get(rule.host or DEFAULT_SERVER) or default_server
                if settings.client_certificate and not server.client_certificate:
                    server.client_certificate = True
                    if settings.match_cn:
                        server.match_cn = settings.match_cn
                        server.match_cn_cause = Cause(
                            "Ingress", info.namespace, info.name, info.field("auth-tls-match-cn")
                        )
                if rule.paths is None:
                    continue
                for path_index, raw in enumerate(rule.paths):
                    self._add_location(info, settings, server, index, path_index, raw)
        for info in canaries:
            self._merge_canary(info)
        for info in primaries:
            if self.settings[id(info)].from_to_www:
                for rule in info.rules:
                    if not rule.host:
                        continue
                    name = rule.host
                    twin = name[4:] if name.startswith("www.") else "www." + name
                    if twin not in self.servers:
                        self.www_redirects.setdefault(twin, (name, self.servers[name]))
        for server in self.servers.values():
            self._render(server)

    def _add_location(
        self,
        info: IngressInfo,
        settings: Settings,
        server: Server,
        rule_index: int,
        path_index: int,
        raw: Any,
    ) -> None:
        if not isinstance(raw, dict):
            return
        backend = self._backend(info, raw.get("backend"))
        if backend is None:
            return  # non-service backends use the default backend (not modelled)
        raw_path = raw.get("path")
        path = raw_path if isinstance(raw_path, str) and raw_path else "/"
        path_type = "Exact" if raw.get("pathType") == "Exact" else "Prefix"
        field_path = f"spec.rules[{rule_index}].http.paths[{path_index}]"
        for loc in server.locations:
            if loc.path != path:
                continue
            if loc.path_type != path_type:
                break  # same path, another type: both stay
            if loc.default:
                loc.upstream, loc.ingress, loc.default = self._upstream(backend), info, False
                loc.settings, loc.field = settings, field_path
            return
        server.locations.append(
            Loc(path, path_type, self._upstream(backend), info, settings, field_path)
        )

    def _merge_canary(self, info: IngressInfo) -> None:
        canary = self.settings[id(info)].canary
        assert canary is not None
        targets: list[tuple[Server, Backend, str | None, str | None]] = []
        own_default = self._backend(info, info.default_backend)
        if own_default is not None:
            targets.append((self.servers[DEFAULT_SERVER], own_default, None, None))
        for rule in info.rules:
            server = self.servers.get(rule.host or DEFAULT_SERVER)
            for raw in rule.paths or []:
                backend = self._backend(info, raw.get("backend") if isinstance(raw, dict) else None)
                if server is None or backend is None:
                    continue
                path = (
                    raw.get("path") if isinstance(raw.get("path"), str) and raw.get("path") else "/"
                )
                path_type = (
                    raw.get("pathType") if raw.get("pathType") in ("Exact", "Prefix") else "Prefix"
                )
                targets.append((server, backend, path, path_type))
        for server, backend, path, path_type in targets:
            for loc in server.locations:
                if loc.upstream is None:
                    continue
                if loc.upstream.backend == backend:
                    break  # the canary's service is this location's primary
                if path is not None and (loc.path != path or loc.path_type != path_type):
                    continue
                if not any(b == backend for b, _, _ in loc.upstream.canaries):
                    loc.upstream.canaries.append((backend, canary, info))

    def _render(self, server: Server) -> None:
        # A server snippet's locations come first in the server block, as written.
        rendered = [
            Location("" if x.modifier == "^~" else x.modifier, x.path, x)
            for x in server.locations
            if x.snippet_location is not None
        ]
        locations = self._normalized([x for x in server.locations if x.snippet_location is None])
        # sorted by path descending, then (stably) by length descending: longest first.
        locations.sort(key=lambda x: x.path, reverse=True)
        locations.sort(key=lambda x: len(x.path), reverse=True)
        enforce = any(x.regex_mode for x in locations)
        for loc in locations:
            if enforce:
                loc.modifier, loc.name = REGEX_NOCASE, "^" + loc.path
            elif loc.path_type == "Exact":
                loc.modifier, loc.name = EXACT, loc.path
            else:
                loc.modifier, loc.name = PREFIX, loc.path
            rendered.append(Location(loc.modifier, loc.name, loc))
        server.rendered = rendered

    @staticmethod
    def _normalized(locations: list[Loc]) -> list[Loc]:
        exact_paths = {x.path for x in locations if x.path_type == "Exact"}
        out: list[Loc] = []
        for loc in locations:
            if loc.path == "/" or loc.path_type != "Prefix" or loc.regex_mode:
                out.append(loc)
                continue
            original = loc.path
            slashed = original if original.endswith("/") else original + "/"
            out.append(_copy(loc, slashed))
            if original not in exact_paths:
                out.append(_copy(loc, original, "Exact"))
        return out

    # --- routing -----------------------------------------------------------------------------

    def server_for(self, host: str) -> Server | tuple[str, Server]:
        """The server nginx picks for ``host``: exact names (hosts, aliases, www twins), then
        wildcard aliases, then the regular expressions of ``*.`` hosts, then ``_``."""
        host = host.lower()
        if host in self.servers:
            return self.servers[host]
        for server in self.servers.values():
            if host in server.aliases:
                return server
        if host in self.www_redirects:
            return self.www_redirects[host]
        for server in self.servers.values():
            if any(a.startswith("*.") and host_matches(a, host) for a in server.aliases):
                return server
        for name in sorted(self.servers):
            if name.startswith("*.") and _one_label(name, host):
                return self.servers[name]
        return self.servers[DEFAULT_SERVER]

    def route(self, request: Request) -> Routed:
        if request.protocol == "TLS":
            return self._passthrough(request)
        if request.scheme == "https" and request.effective_port == 443:
            passing = self.servers.get(request.host)
            if passing is not None and passing.passthrough:
                # With ssl-passthrough the controller's TCP proxy owns port 443 and hands a
                # connection whose SNI is a passthrough server's name to its backend before
                # nginx sees it (pkg/tcpproxy/tcp.go Get: the exact host name).
                return self._passthrough(request)
        if request.protocol != "HTTP" or request.effective_port not in (80, 443):
            return Routed(NoRoute(0, "ingress-nginx listens on 80 and 443"))
        chosen = self.server_for(request.host)
        if isinstance(chosen, tuple):
            target, server = chosen
            if request.scheme == "https" and not self._certified(request.host):
                return Routed(
                    NoRoute(0, "served only with the controller's default certificate"),
                    _causes(server.cause),
                )
            uri = _strip_slash(request.path + (f"?{request.query}" if request.query else ""))
            redirect = f"{request.scheme}://{target}{uri}"
            return Routed(Redirect(self.config.redirect_code, (redirect)), _causes(server.cause))
        server = chosen
        if server.hostname == DEFAULT_SERVER:
            # A wildcard host's server name takes one label only (buildServerName): a deeper
            # name falls through to the default server, because of that wildcard.
            passed = tuple(
                other.cause
                for name, other in sorted(self.servers.items())
                if name.startswith("*.")
                and request.host.lower().endswith(name[1:])
                and other.cause is not None
            )
            if passed:
                routed = self._default(server, request)
                return Routed(routed.outcome, (*routed.causes, *passed))
        return self._default(server, request)

    def _default(self, server: Server, request: Request) -> Routed:
        if (request.scheme == "https" and server.hostname == DEFAULT_SERVER) or (
            request.scheme == "https" and not server.certificate
        ):
            return Routed(
                NoRoute(0, "served only with the controller's default certificate"),
                _causes(server.cause),
            )
        return self._in_server(server, request)

    def _certified(self, host: str) -> bool:
        """Whether some Ingress's certificate names ``host`` (a TLS host, or a wildcard TLS host
        over it): what the certificate lookup by SNI finds (``certificate.lua``)."""
        for info in self.ingresses:
            for hosts, _ in info.tls:
                if any(host_matches(name, host) for name in hosts):
                    return True
        return False

    def _passthrough(self, request: Request) -> Routed:
        if request.effective_port != 443:
            return Routed(NoRoute(0, "no TLS passthrough on this port"))
        chosen = self.servers.get(request.host)  # tcpproxy matches the exact server name
        if chosen is None or not chosen.passthrough:
            return Routed(NoRoute(0, "no ssl-passthrough server for this SNI"))
        root = next((x for x in chosen.locations if x.path == "/"), None)
        if root is None or root.upstream is None:
            return Routed(
                NoRoute(0, "ssl-passthrough without a root backend"), _causes(chosen.cause)
            )
        return Routed(
            forward([(self._reached(root.upstream.backend), 1)], request.path, request.host),
            _causes(chosen.cause),
        )

    def _in_server(self, server: Server, request: Request) -> Routed:
        query = f"?{request.query}" if request.query else ""
        if server.match_cn and request.scheme == "http":
            # The server's ``if ($ssl_client_s_dn !~ ...)`` runs before any location: without
            # TLS the subject is empty, and matches no "CN=..." pattern.
            return Routed(
                Respond(403, "client certificate unauthorized"),
                (*_causes(server.cause), *_causes(server.match_cn_cause)),
            )
        found = find_location(server.rendered, request.path)
        if found is None:
            return Routed(NoRoute(404, "no location"), _causes(server.cause))
        loc = found.location.data
        causes = self._causes(loc, server)
        if loc.settings.app_root and request.path == "/":
            # ``if ($uri = /) { return 302 ... }`` inside the location (nginx.tmpl): only the
            # location that takes ``/`` redirects, before the Lua HTTPS redirect.
            location = f"{request.scheme}://{request.host}{loc.settings.app_root}"
            return Routed(Redirect(302, location), causes)
        if found.auto_redirect:
            location = f"{request.scheme}://{request.host}{found.location.name}{query}"
            return Routed(Redirect(301, (location)), causes)
        if loc.snippet_location is not None:
            return _snippet_answer(loc.snippet_location, causes) or Routed(
                NoRoute(404, "a server snippet's location without a proxy"), causes
            )
        settings = loc.settings
        if settings.denied:
            return Routed(Respond(503, f"location denied: {settings.denied}"), causes)
        for block in (server.snippet, settings.snippet):
            if block is not None and block.returns is not None:
                return _snippet_answer(block, causes, returns_only=True) or Routed(NoRoute(404))
        if settings.redirect_url:
            return Routed(
                Redirect(settings.redirect_code, _absolute(settings.redirect_url, request)), causes
            )
        uri = request.path
        target = settings.rewrite_target
        if target and target != loc.path:
            rewritten = _rewrite(loc.path, target, request.path)
            if rewritten is not None:
                if rewritten.startswith(("http://", "https://")):
                    args = "" if "?" in rewritten else query
                    return Routed(Redirect(302, (rewritten + args)), causes)
                uri = rewritten
        if self._access_scheme(request) == "http" and self._redirects_to_https(server, loc):
            original = request.path + query
            if not settings.preserve_trailing_slash:
                original = _strip_slash(original)
            location = f"https://{request.host}{original}"
            if server.certificate_cause is not None:
                causes = (*causes, server.certificate_cause)
            return Routed(Redirect(self.config.redirect_code, location), causes)
        for block in (server.snippet, settings.snippet):
            if block is not None and block.denies_everyone:
                return Routed(Respond(403, "a snippet denies every client"), causes)
        if loc.upstream is None:
            return Routed(NoRoute(404, "the controller's default backend"), causes)
        guards, extra = self._location_guards(loc)
        causes = (*causes, *extra)
        for block in (server.snippet, settings.snippet):
            if block is not None:
                guards += block.guards()
        if server.client_certificate and request.scheme == "https":
            guards.append("client-certificate")
            if server.match_cn:
                guards.append(f"client-certificate-subject {server.match_cn}")
                causes = (*causes, *_causes(server.match_cn_cause))
        host = _vhost(settings.upstream_vhost, request, loc) or request.host
        seen = uri + (query if "?" not in uri else "")
        shares = [(self._reached(b), w) for b, w in _canary_shares(loc.upstream, request)]
        return Routed(forward(shares, seen, host, guards), causes)

    def _location_guards(self, loc: Loc) -> tuple[list[str], tuple[Cause, ...]]:
        """The access controls of a proxying location, with the ConfigMap keys behind those
        that come from it (nginx.tmpl, the location block)."""
        config, settings = self.config, loc.settings
        guards = list(settings.guards)
        causes: list[Cause] = []
        if config.global_auth and settings.enable_global_auth and not settings.own_auth_url:
            guards.append("external-auth")  # shouldApplyGlobalAuth
            causes += _causes(config.global_auth_cause)
        if any(loc.path.startswith(item) for item in config.no_auth_locations):
            # isLocationInLocationList: no auth_request, no auth_basic / auth_digest.
            kept = [g for g in guards if g not in _AUTH_GUARDS]
            if len(kept) != len(guards):
                causes += _causes(config.no_auth_cause)
            guards = kept
        for guard, cause in zip(config.block_guards, config.block_causes, strict=True):
            # The http block's ``deny`` lines reach a location without allow/deny lines of its
            # own (the access module inherits them only then); the User-Agent and Referer
            # checks are in every server.
            if guard.startswith("ip-deny ") and settings.own_ip_rules:
                continue
            guards.append(guard)
            causes.append(cause)
        return guards, tuple(causes)

    def _access_scheme(self, request: Request) -> str:
        """``$pass_access_scheme``: the request's scheme, or with ``use-forwarded-headers`` its
        ``X-Forwarded-Proto`` (``lua_ingress.lua``, ``rewrite``)."""
        forwarded = request.header("x-forwarded-proto")
        if self.config.use_forwarded_headers and forwarded:
            return forwarded
        return request.scheme

    def _redirects_to_https(self, server: Server, loc: Loc) -> bool:
        if any(loc.path.startswith(item) for item in self.config.no_tls_redirect_locations):
            return False
        if loc.settings.force_ssl_redirect:
            return True
        return loc.settings.ssl_redirect and server.certificate

    def _causes(self, loc: Loc, server: Server | None = None) -> tuple[Cause, ...]:
        if loc.ingress is None:
            return ()
        info = loc.ingress
        found = [Cause("Ingress", info.namespace, info.name, loc.field)]
        rule = re.match(r"spec\.rules\[\d+\]", loc.field)
        if rule is not None:  # the host the location belongs to
            found.append(Cause("Ingress", info.namespace, info.name, rule.group() + ".host"))
        if server is not None and server.snippet_cause is not None:
            found.append(server.snippet_cause)
        found += [Cause("Ingress", info.namespace, info.name, f) for f in loc.settings.consulted]
        found += loc.settings.config_causes
        if loc.upstream is not None:
            for _, _, canary in loc.upstream.canaries[:1]:
                found.append(Cause("Ingress", canary.namespace, canary.name, ""))
        return tuple(found)

    # --- the requests that matter ------------------------------------------------------------

    def requests(self) -> Iterator[Request]:
        for name, server in sorted(self.servers.items()):
            hosts = [concrete_host(None if name == DEFAULT_SERVER else name)]
            hosts += [concrete_host(a) for a in server.aliases]
            if name.startswith("*."):
                hosts.append("deep." + concrete_host(name))  # two labels under the wildcard
            schemes = ["http", "https"] if server.certificate else ["http"]
            paths = {"/", ACME + "/token"}
            headers: set[tuple[tuple[str, str], ...]] = {()}
            for loc in server.locations:
                paths.update(_paths_for(loc))
                headers.update(_canary_headers(loc))
            if self.config.use_forwarded_headers:
                # A proxy in front received these over HTTPS and says so.
                headers |= {(*h, ("x-forwarded-proto", "https")) for h in headers}
            for host in hosts:
                for scheme in schemes:
                    for path in sorted(paths):
                        for header_set in sorted(headers):
                            yield Request(host, path, scheme, headers=header_set)
            if server.passthrough:
                yield Request(hosts[0], protocol="TLS")
        for twin in sorted(self.www_redirects):
            yield Request(twin, "/path/")
            yield Request(twin, "/", "https")
        yield Request(UNKNOWN_HOST, "/")


def _copy(loc: Loc, path: str, path_type: str | None = None) -> Loc:
    return Loc(
        path,
        path_type or loc.path_type,
        loc.upstream,
        loc.ingress,
        loc.settings,
        loc.field,
        loc.default,
    )


def _one_label(wildcard: str, host: str) -> bool:
    """``~^(?<subdomain>[\\w-]+)\\.<rest>$``: exactly one label before the rest."""
    rest = wildcard[2:]
    if not host.endswith("." + rest):
        return False
    label = host[: -len(rest) - 1]
    return re.fullmatch(r"[\w-]+", label) is not None


def _absolute(url: str, request: Request) -> str:
    """The Location of ``return <code> <url>``: a path is made absolute with the request's
    scheme, host and port (``absolute_redirect`` is on; with ``relative-redirects`` nginx
    sends the path, which the client resolves against the request URL to the same URL)."""
    if not url.startswith("/") or url.startswith("//"):
        return url
    port = "" if request.port is None else f":{request.port}"
    return f"{request.scheme}://{request.host}{port}{url}"


def _strip_slash(uri: str) -> str:
    path, mark, query = uri.partition("?")
    if path.endswith("/"):
        path = path[:-1]
    return path + mark + query


def _rewrite(path: str, target: str, uri: str) -> str | None:
    """``rewrite "(?i)<path>" <target> break``: the whole URI replaced by ``target`` with its
    ``$n`` captures (a group the path lacks is empty), when ``path`` is found in the URI."""
    found = pcre_search(path, uri, ignore_case=True)
    if found is None:
        return None

    def group(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index == 0:
            return found.group(0)
        return (found.group(index) or "") if index <= (found.re.groups or 0) else ""

    return re.sub(r"\$(\d)", group, target)


def _vhost(template: str, request: Request, loc: Loc) -> str:
    if not template:
        return ""
    info = loc.ingress
    backend = loc.upstream.backend if loc.upstream else None
    values = {
        "host": request.host,
        "http_host": request.host,
        "best_http_host": request.host,
        "namespace": info.namespace if info else "",
        "service_name": backend.name if backend else "",
        "service_port": str(backend.port) if backend else "",
    }
    return re.sub(r"\$\{?([a-z_]+)\}?", lambda m: values.get(m.group(1), m.group(0)), template)


def _canary_shares(upstream: Upstream, request: Request) -> list[tuple[Backend, int]]:
    primary = upstream.backend
    if not upstream.canaries:
        return [(primary, 1)]
    backend, canary, _ = upstream.canaries[0]  # only the first alternative backend counts
    if canary.header:
        sent = request.header(canary.header)
        if sent is not None:
            if canary.value:
                if sent == canary.value:
                    return [(backend, 1)]
            elif canary.pattern:
                if not _compiles(canary.pattern):
                    # ngx.re.match fails: "error when matching canary-by-header-pattern",
                    # and route_to_alternative_balancer returns false before the cookie.
                    return [(primary, 1)]
                if pcre_search(canary.pattern, sent):
                    return [(backend, 1)]
            elif sent == "always":
                return [(backend, 1)]
            elif sent == "never":
                return [(primary, 1)]
    if canary.cookie:
        cookie = request.cookie(canary.cookie)
        if cookie == "always":
            return [(backend, 1)]
        if cookie == "never":
            return [(primary, 1)]
    total = canary.total if canary.total > 100 else 100
    weight = max(0, min(canary.weight, total))
    return [(primary, total - weight), (backend, weight)]


def _snippet_answer(
    block: Block, causes: tuple[Cause, ...], returns_only: bool = False
) -> Routed | None:
    """What a snippet's ``return`` (or, unless ``returns_only``, its ``deny all``) answers."""
    if block.returns is not None:
        status, text = block.returns
        if 300 <= status < 400 and text:
            return Routed(Redirect(status, (text)), causes)
        return Routed(Respond(status, "a snippet's return"), causes)
    if not returns_only and block.denies_everyone:
        return Routed(Respond(403, "a snippet denies every client"), causes)
    return None


def _causes(cause: Cause | None) -> tuple[Cause, ...]:
    return (cause,) if cause is not None else ()


def _paths_for(loc: Loc) -> Iterable[str]:
    if loc.regex_mode:
        sample = regex_sample(loc.path)
        if sample and sample.startswith("/"):
            yield sample
            yield sample.upper()
        return
    yield from path_variants(loc.path)


def _canary_headers(loc: Loc) -> Iterable[tuple[tuple[str, str], ...]]:
    if loc.upstream is None:
        return
    for _, canary, _ in loc.upstream.canaries[:1]:
        if canary.header:
            name = canary.header.lower()
            values = ["always", "never", "other"]
            if canary.value:
                values.append(canary.value)
            if canary.pattern:
                sample = regex_sample(canary.pattern)
                if sample:
                    values.append(sample)
                    values.append("x" + sample)
            for value in values:
                yield ((name, value),)
        if canary.cookie:
            for value in ("always", "never"):
                yield (("cookie", f"{canary.cookie}={value}"),)
