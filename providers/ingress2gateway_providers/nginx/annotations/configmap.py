"""The controller ConfigMap and the ``tcp-services`` / ``udp-services`` ConfigMaps.

ingress-nginx reads cluster-wide defaults from its ConfigMap. When that ConfigMap is in the input
— named with ``--provider-option nginx.configmap=NAMESPACE/NAME``, or found by its usual names
(``ingress-nginx-controller``, ``nginx-configuration``, ``nginx-ingress-controller``) — the keys
that change what a route does are applied to every Ingress that does not override them:

* ``ssl-redirect``, ``force-ssl-redirect``, ``http-redirect-code``, ``no-tls-redirect-locations``:
  the HTTPS redirect defaults;
* ``hsts`` (with ``hsts-max-age``, ``hsts-include-subdomains``, ``hsts-preload``): the
  ``Strict-Transport-Security`` header on HTTPS routes (the controller's default is on, which is
  applied only when the ConfigMap is in the input: without it the controller is not known);
* ``proxy-body-size``: the BodySize default (marked as covering every location, so an emitter
  that can enforce it only by buffering each request leaves it out: WebSocket and streamed
  requests would hang); ``proxy-request-buffering``: the default of the annotation, which
  decides where an Ingress's own body limit may be enforced by buffering;
  ``whitelist-source-range`` / ``denylist-source-range``:
  IP access for every route; ``global-auth-url``: external auth for every Ingress without
  ``enable-global-auth: "false"`` or an ``auth-url`` of its own, except on the paths under
  ``no-auth-locations`` (``/.well-known/acme-challenge`` by default), which get no auth at all
  (no global, ``auth-url`` or basic auth: nginx.tmpl, ``isLocationInLocationList``);
* ``block-cidrs``: an IP deny list on every route whose Ingress has no allow or deny list of
  its own (nginx puts ``deny`` lines in its ``http`` block, which a location with ``allow`` /
  ``deny`` lines of its own does not inherit); ``block-user-agents``, ``block-referers``: an
  access control (``request-header-deny``) no emitter carries yet (nginx's ``map`` compares
  strings ignoring case and takes ``~`` regular expressions), so every route is closed, with a
  security error; a ``block-cidrs`` value nginx could not load closes every route too;
* ``add-headers`` (``namespace/name`` of a ConfigMap in the input): its entries as response
  headers on every rule that proxies (a rule's own ``custom-headers`` win); an entry that is not
  a header, or holds an nginx variable, is reported and none is converted;
* ``annotation-value-word-blocklist``: an Ingress one of whose annotation values holds a listed
  word is not converted, as the controller does not serve it (an error says so);
* ``allow-snippet-annotations``: when not ``"true"`` the controller dropped every snippet, so
  snippets are reported as ignored rather than lost;
* ``client-header-timeout``, ``client-body-timeout``, ``keep-alive`` (seconds): the
  client-timeouts extension on the class's Gateway; ``use-forwarded-headers`` (with
  ``forwarded-for-header`` and ``proxy-real-ip-cidr``) and ``use-proxy-protocol``: the
  client-IP-detection extension on the Gateway; ``ssl-protocols``, ``ssl-ciphers`` and
  ``use-http2: "false"``: the client-TLS-settings extension on the Gateway (an emitter that
  cannot express these reports them).

Every other key gets a ledger entry saying it is a controller-wide setting with no per-route
meaning. ``tcp-services`` / ``udp-services`` (``"<port>": "ns/svc:port[:PROXY]"``) become TCP/UDP
listeners on the class's Gateway and TCPRoutes/UDPRoutes (experimental channel).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BackendRef,
    BodySize,
    ClientIPDetection,
    ClientTimeouts,
    ClientTLSSettings,
    Extension,
    ExternalAuth,
    GRPCRoute,
    HTTPRoute,
    IPAccess,
    Listener,
    Provenance,
    RefusedControl,
    RequestHeaderDeny,
    RequestRedirect,
    TCPRoute,
    UDPRoute,
    made_from,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.plugin import ProviderContext
from ingress2gateway.reporting.report import Recorder, Status

from ._base import PROVIDER, Run, header_modifier, is_https, under_no_auth
from .controller_config import ControllerConfig
from .inc_hosts import is_nginx_inc

CONTROLLER_NAMES = ("ingress-nginx-controller", "nginx-configuration", "nginx-ingress-controller")
_SIZE = re.compile(r"^\s*(\d{1,18})\s*([kKmMgG]?)\s*\Z")
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_APPLIED = (
    "ssl-redirect",
    "force-ssl-redirect",
    "http-redirect-code",
    "no-tls-redirect-locations",
    "hsts",
    "hsts-max-age",
    "hsts-include-subdomains",
    "hsts-preload",
    "proxy-body-size",
    "proxy-request-buffering",
    "whitelist-source-range",
    "denylist-source-range",
    "global-auth-url",
    "allow-snippet-annotations",
)
# Controller-wide client settings (seconds) → ClientTimeouts fields.
_CLIENT_TIMEOUTS = {
    "client-header-timeout": "request_headers",
    "client-body-timeout": "body_idle",
    "keep-alive": "idle",
}
_CLIENT_IP_KEYS = (
    "use-forwarded-headers",
    "forwarded-for-header",
    "proxy-real-ip-cidr",
    "use-proxy-protocol",
)
_TLS_VERSIONS = {"TLSv1": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}
_SECONDS = re.compile(r"^(\d{1,18})s?\Z")
_STREAM = re.compile(r"^([a-z0-9-]+)/([a-z0-9-]+):(\d{1,18})(:PROXY)?(:PROXY)?\Z")


def _data(obj: KubeObject) -> dict[str, str]:
    data = obj.data.get("data")
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def _find(run: Run, wanted: str | None, names: tuple[str, ...]) -> KubeObject | None:
    return find_configmap(run.ctx.objects, wanted, names)


def find_configmap(
    objects: Iterable[KubeObject], wanted: str | None, names: tuple[str, ...] = CONTROLLER_NAMES
) -> KubeObject | None:
    """The ConfigMap ``wanted`` (``namespace/name`` or a name), else the first named one of
    ``names``."""
    for obj in objects:
        if obj.kind != "ConfigMap" or obj.group != "":
            continue
        if wanted is not None:
            if f"{obj.namespace or ''}/{obj.name}" == wanted or obj.name == wanted:
                return obj
        elif obj.name in names:
            return obj
    return None


def drop_blocklisted(ctx: ProviderContext, prefix: str, ingresses: Iterable[KubeObject]) -> None:
    """``annotation-value-word-blocklist``: ingress-nginx skips an Ingress one of whose
    annotations of its prefix holds a listed word (``store.go``, ``syncIngress``,
    ``checkBadAnnotationValue``: the list trimmed as a whole and split on commas, each word as
    it is, so that an empty one is in every value). Such an Ingress is claimed here, with an
    error on the annotation, and not converted."""
    obj = find_configmap(ctx.objects, ctx.options.for_provider(PROVIDER).get("configmap"))
    value = _data(obj).get("annotation-value-word-blocklist", "") if obj is not None else ""
    if not value:
        return
    words = value.strip().split(",")
    for ingress in ingresses:
        found = next(
            (
                (key, word)
                for key, text in sorted(ingress.annotations.items())
                if key.startswith(prefix) and isinstance(text, str)
                for word in words
                if word in text
            ),
            None,
        )
        if found is None:
            continue
        key, word = found
        ctx.claim(ingress)
        source = ingress.source()
        message = (
            f"{key} holds {word!r}, a word of the ConfigMap's annotation-value-word-blocklist: "
            "ingress-nginx does not serve this Ingress, so it is not converted"
        )
        ctx.report.error(
            "nginx-ingress-dropped",
            message,
            source=source,
            field=f"metadata.annotations[{key}]",
            provider=PROVIDER,
            security=True,
        )
        ctx.report.record(source, "spec", Status.IGNORED, note=message, provider=PROVIDER)
        for other in sorted(ingress.annotations):
            ctx.report.record(
                source,
                f"metadata.annotations[{other}]",
                Status.IGNORED,
                note=message,
                provider=PROVIDER,
            )


def read(run: Run) -> ControllerConfig:
    options = run.ctx.options.for_provider(PROVIDER)
    obj = _find(run, options.get("configmap"), CONTROLLER_NAMES)
    config = ControllerConfig(obj=obj)
    if obj is None:
        return config
    run.ctx.claim(obj)
    source = obj.source()
    report = run.ctx.report
    data = _data(obj)

    def note(key: str, status: Status, text: str) -> None:
        report.record(source, f"data[{key}]", status, note=text, provider=PROVIDER)

    def prov(key: str) -> list[Provenance]:
        config.provenance[key] = [Provenance(source, f"data[{key}]")]
        return config.provenance[key]

    for key in sorted(data):
        value = data[key].strip()
        lowered = value.lower()
        if key == "ssl-redirect":
            config.ssl_redirect = lowered != "false"
        elif key == "force-ssl-redirect":
            config.force_ssl_redirect = lowered == "true"
        elif key == "http-redirect-code" and value.isdigit() and int(value) in (301, 302, 307, 308):
            config.redirect_code = int(value)
        elif key == "no-tls-redirect-locations":
            config.no_tls_redirect_locations = tuple(
                item.strip() for item in value.split(",") if item.strip()
            )
        elif key == "allow-snippet-annotations":
            config.allow_snippets = lowered == "true"
        elif key == "proxy-body-size" and (size := _SIZE.match(value)):
            bytes_ = int(size.group(1)) * _UNITS[size.group(2).lower()]
            config.body_size = BodySize(
                max_bytes=bytes_ or None,
                stream_reason="the ConfigMap sets it for every location, WebSocket ones included",
                provenance=prov(key),
            )
        elif key == "proxy-request-buffering" and lowered in ("on", "off"):
            config.request_buffering = lowered == "on"
            note(
                key,
                Status.CONVERTED,
                "the default of every Ingress's proxy-request-buffering (where nginx streamed "
                "request bodies, a body limit is not enforced by buffering)",
            )
        elif key in ("whitelist-source-range", "denylist-source-range"):
            networks = _networks(value)
            if networks is None:
                note(key, Status.UNSUPPORTED, "not a list of CIDRs")
                continue
            access = config.access or IPAccess()
            if key.startswith("whitelist"):
                access.allow = networks
            else:
                access.deny = networks
            access.provenance += prov(key)
            config.access = access
        elif key == "global-auth-url" and re.fullmatch(r"https?://[A-Za-z0-9.:/_-]+", value):
            config.global_auth = ExternalAuth(url=value, provenance=prov(key))
        elif key == "no-auth-locations":
            # isLocationInLocationList: each entry trimmed, empty ones skipped.
            config.no_auth_locations = tuple(
                item.strip() for item in value.split(",") if item.strip()
            )
            note(
                key,
                Status.CONVERTED,
                "auth (global, auth-url, basic) is left off the rules of the paths under it",
            )
            continue
        elif key == "add-headers":
            config.add_headers = _add_headers(run, value, note)
            if config.add_headers is None:
                continue
        elif key == "block-cidrs":
            networks = _networks(value)
            if networks is None:
                _refuse(config, report, source, key, f"{value!r} is not a list of addresses")
                continue
            if networks:
                config.block = IPAccess(deny=networks, provenance=prov(key))
            else:
                note(key, Status.CONVERTED, "empty: nothing is blocked")
                continue
        elif key in _HEADER_BLOCKS:
            entries = [item.strip() for item in value.split(",") if item.strip()]
            if not entries:
                note(key, Status.CONVERTED, "empty: nothing is blocked")
                continue
            header = _HEADER_BLOCKS[key]
            config.header_blocks.append(
                RequestHeaderDeny(
                    header=header,
                    entries=entries,
                    what=f"the ConfigMap's {key} (a 403 for requests whose {header} header "
                    "matches one of its entries)",
                    provenance=prov(key),
                )
            )
        elif key == "annotation-value-word-blocklist":
            note(key, Status.CONVERTED, "Ingresses with a listed word are not converted")
            continue
        elif key in _CLIENT_TIMEOUTS:
            seconds = _SECONDS.match(lowered)
            if seconds is None:
                note(key, Status.UNSUPPORTED, f"{value!r} is not a number of seconds")
                continue
            timeouts = config.client_timeouts or ClientTimeouts()
            setattr(timeouts, _CLIENT_TIMEOUTS[key], f"{int(seconds.group(1))}s")
            timeouts.provenance += prov(key)
            config.client_timeouts = timeouts
        elif key in _CLIENT_IP_KEYS:
            pass  # read together after the loop
        elif key == "ssl-protocols":
            versions = sorted(_TLS_VERSIONS.get(v, "") for v in value.split())
            if not versions or "" in versions:
                note(key, Status.UNSUPPORTED, f"{value!r}: only TLSv1 … TLSv1.3 can be carried")
                continue
            tls = config.client_tls or ClientTLSSettings()
            tls.min_version, tls.max_version = versions[0], versions[-1]
            tls.provenance += prov(key)
            config.client_tls = tls
        elif key == "ssl-ciphers" and value:
            tls = config.client_tls or ClientTLSSettings()
            tls.ciphers = [c.strip() for c in value.split(":") if c.strip()]
            tls.provenance += prov(key)
            config.client_tls = tls
        elif key == "use-http2" and lowered == "false":
            tls = config.client_tls or ClientTLSSettings()
            tls.http2 = False
            tls.provenance += prov(key)
            config.client_tls = tls
        elif key in _APPLIED and key.startswith("hsts"):
            pass
        else:
            status = Status.UNSUPPORTED if key in _APPLIED else Status.IGNORED
            note(key, status, "controller-wide setting without a per-route Gateway API meaning")
            continue
        prov(key)
    config.client_ip = _client_ip(data, note, prov)
    if (data.get("hsts") or "true").lower() == "true":
        value = f"max-age={data.get('hsts-max-age', '31536000').strip() or '31536000'}"
        if (data.get("hsts-include-subdomains") or "true").lower() == "true":
            value += "; includeSubDomains"
        if (data.get("hsts-preload") or "false").lower() == "true":
            value += "; preload"
        config.hsts = value
    for key in (
        "ssl-redirect",
        "force-ssl-redirect",
        "http-redirect-code",
        "allow-snippet-annotations",
    ):
        if key in data and not report.has_entry(source, f"data[{key}]"):
            note(key, Status.CONVERTED, "applied as the default of every Ingress")
    return config


_HEADER_BLOCKS = {"block-user-agents": "User-Agent", "block-referers": "Referer"}


def _refuse(
    config: ControllerConfig, report: Recorder, source: SourceRef, key: str, why: str
) -> None:
    """A ``block-*`` value nginx cannot load (its configuration test fails, so the controller
    keeps no configuration with it): nothing can be said of what it blocked, so every route
    is closed."""
    message = (
        f"{key}: {why}; nginx cannot load it, so what it blocked is not known and every route "
        "of the controller is closed"
    )
    where = f"data[{key}]"
    report.error(
        "nginx-annotation-invalid",
        message,
        source=source,
        field=where,
        provider=PROVIDER,
        security=True,
    )
    report.record(source, where, Status.UNSUPPORTED, note=message, provider=PROVIDER)
    config.refused = RefusedControl(
        what=f"the refused {key}", provenance=[Provenance(source, where)]
    )


def _add_headers(
    run: Run, value: str, note: Callable[[str, Status, str], None]
) -> dict[str, str] | None:
    """The ConfigMap ``add-headers`` names (``namespace/name``), as headers nginx sets on every
    response (``nginx.go``: its data, unchecked, into ``more_set_headers``): None, noted, when
    it is not in the input or an entry cannot be a header."""
    namespace, _, name = value.partition("/")
    if not name:
        namespace, name = "", value
    found = next(
        (
            obj
            for obj in run.ctx.objects
            if obj.kind == "ConfigMap"
            and obj.group == ""
            and obj.name == name
            and (not namespace or (obj.namespace or "") == namespace)
        ),
        None,
    )
    if found is None:
        note(
            "add-headers",
            Status.UNSUPPORTED,
            f"ConfigMap {value} is not in the input; add it to convert its response headers",
        )
        return None
    headers: dict[str, str] = {}
    for key, text in sorted(_data(found).items()):
        problem = grammar.header_name_problem(key) or grammar.header_value_problem(text)
        if problem is None and "$" in text:
            problem = "holds an nginx variable, which nginx expands per request"
        if problem is not None:
            note(
                "add-headers",
                Status.UNSUPPORTED,
                f"ConfigMap {value}: entry {key!r} {problem}; the headers are not converted",
            )
            return None
        headers[key] = text
    run.ctx.claim(found)
    return headers


def _client_ip(
    data: dict[str, str],
    note: Callable[[str, Status, str], None],
    prov: Callable[[str], list[Provenance]],
) -> ClientIPDetection | None:
    """``use-forwarded-headers`` / ``use-proxy-protocol`` and the keys that refine them."""
    forwarded = data.get("use-forwarded-headers", "").strip().lower() == "true"
    proxy_protocol = data.get("use-proxy-protocol", "").strip().lower() == "true"
    for key in ("use-forwarded-headers", "use-proxy-protocol"):
        if key in data and data[key].strip().lower() != "true":
            note(key, Status.CONVERTED, "off: the peer address is the client's, as by default")
    if not forwarded and not proxy_protocol:
        for key in ("forwarded-for-header", "proxy-real-ip-cidr"):
            if key in data:
                note(key, Status.IGNORED, "no effect without use-forwarded-headers")
        return None
    detection = ClientIPDetection(proxy_protocol=proxy_protocol)
    if proxy_protocol:
        detection.provenance += prov("use-proxy-protocol")
    if forwarded:
        detection.provenance += prov("use-forwarded-headers")
        detection.header = data.get("forwarded-for-header", "").strip() or "X-Forwarded-For"
        if "forwarded-for-header" in data:
            detection.provenance += prov("forwarded-for-header")
    elif "forwarded-for-header" in data:
        note("forwarded-for-header", Status.IGNORED, "no effect without use-forwarded-headers")
    # The controller trusts every address (set_real_ip_from 0.0.0.0/0) unless told otherwise.
    cidrs = _networks(data.get("proxy-real-ip-cidr", "0.0.0.0/0"))
    if cidrs is None:
        note("proxy-real-ip-cidr", Status.UNSUPPORTED, "not a list of CIDRs")
    else:
        detection.trusted_cidrs = cidrs
        if "proxy-real-ip-cidr" in data:
            detection.provenance += prov("proxy-real-ip-cidr")
    return detection


def _networks(value: str) -> list[str] | None:
    found = []
    for item in value.split(","):
        if not item.strip():
            continue
        try:
            found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            return None
    return found


def apply_defaults(run: Run) -> None:
    """Route-level defaults: body size, IP access, global auth, HSTS on HTTPS routes."""
    config = run.config
    if config.obj is None:
        return
    source = config.obj.source()
    report = run.ctx.report
    # Controller-wide client settings belong to every Gateway of the controller's classes.
    for gateway in run.lowered.gateways:
        for setting in (config.client_timeouts, config.client_ip, config.client_tls):
            if setting is not None and setting not in gateway.extensions:
                gateway.extensions.append(setting)
    defaults: dict[SourceRef, tuple[list[Extension], ExternalAuth | None]] = {}
    for model in run.models:
        if is_nginx_inc(model, run):
            continue  # ingress-nginx's ConfigMap: NGINX Inc never read it
        ann = run.ann(model)
        extensions: list[Extension] = []
        if config.body_size is not None and not ann.has("proxy-body-size"):
            extensions.append(config.body_size)
        own_ip_rules = any(
            ann.text(name)
            for name in (
                "allowlist-source-range",
                "whitelist-source-range",
                "denylist-source-range",
            )
        )
        if config.access is not None and not (
            ann.has("whitelist-source-range") or ann.has("allowlist-source-range")
        ):
            extensions.append(config.access)
            own_ip_rules = True
        if config.block is not None and not own_ip_rules:
            # nginx's access module: a location with allow/deny lines of its own does not
            # inherit the http block's (block-cidrs).
            extensions.append(config.block)
        extensions += config.header_blocks
        if config.refused is not None:
            extensions.append(config.refused)
        global_auth = None
        # shouldApplyGlobalAuth: not where the location has its own auth-url.
        if (
            config.global_auth is not None
            and ann.flag("enable-global-auth", True)
            and not ann.text("auth-url")
        ):
            global_auth = config.global_auth
        if ann.has("enable-global-auth"):
            ann.record(
                "enable-global-auth",
                Status.CONVERTED,
                "applies or skips the ConfigMap global-auth-url",
            )
        defaults[model.source] = (extensions, global_auth)
    # Every rule an Ingress's location became, those made after lowering too (canary header
    # rules, gRPC rules): the rules say which Ingresses they belong to.
    for route in run.ctx.ir.routes:
        for rule in getattr(route, "rules", ()):
            for owner in dict.fromkeys(rule.sources):
                found = defaults.get(owner)
                if found is None:
                    continue
                extensions, global_auth = found
                if global_auth is not None and not under_no_auth(run, rule):
                    extensions = [*extensions, global_auth]
                rule.extensions.extend(e for e in extensions if e not in rule.extensions)
    if config.add_headers:
        _apply_add_headers(run, config.add_headers, config.prov("add-headers"))
    if config.hsts is not None:
        prov = config.prov("hsts", "hsts-max-age", "hsts-include-subdomains", "hsts-preload") or [
            Provenance(source, "data")
        ]
        for route in run.lowered.routes:
            if any(is_https(run, route, p) for p in route.parent_refs):
                for rule in route.rules:
                    if id(rule) in run.inc_rules:
                        continue
                    header_modifier(rule, True, prov).set.setdefault(
                        "Strict-Transport-Security", config.hsts
                    )
                made_from(route, *prov)
        for item in prov:
            report.record(item.source, item.field, Status.CONVERTED, provider=PROVIDER)


def _apply_add_headers(run: Run, headers: dict[str, str], prov: list[Provenance]) -> None:
    """``add-headers``: ``more_set_headers`` in nginx's ``http`` block, on every response; a
    location's own ``custom-headers`` of the same name win (headers-more runs the inner
    level's after the outer's)."""
    for route in run.ctx.ir.routes:
        if not isinstance(route, (HTTPRoute, GRPCRoute)):
            continue
        changed = False
        for rule in route.rules:
            if any(isinstance(item, RequestRedirect) for item in rule.filters):
                continue  # a redirect's headers are not the backend's answer (Gateway API)
            if id(rule) in run.inc_rules:
                continue  # NGINX Inc serves it: ingress-nginx's ConfigMap does not apply
            modifier = header_modifier(rule, True, prov)
            for name, value in headers.items():
                modifier.set.setdefault(name, value)
            changed = True
        if changed:
            made_from(route, *prov)
    for item in prov:
        run.ctx.report.record(item.source, item.field, Status.CONVERTED, provider=PROVIDER)


def apply_streams(run: Run) -> None:
    """``tcp-services`` / ``udp-services`` → listeners and TCPRoutes / UDPRoutes."""
    options = run.ctx.options.for_provider(PROVIDER)
    for protocol in ("TCP", "UDP"):
        name = f"{protocol.lower()}-services"
        obj = _find(run, options.get(name), (name,))
        if obj is None:
            continue
        run.ctx.claim(obj)
        source = obj.source()
        report = run.ctx.report
        gateway = run.lowered.gateways[0] if run.lowered.gateways else None
        for port_text, value in sorted(_data(obj).items()):
            where = f"data[{port_text}]"
            match = _STREAM.match(value.strip())
            if (
                gateway is None
                or match is None
                or not port_text.isdigit()
                or not 0 < int(port_text) < 65536
            ):
                why = (
                    "no Gateway to add the listener to"
                    if gateway is None
                    else f"{value!r} is not ns/svc:port"
                )
                report.warning(
                    "nginx-annotation-invalid",
                    f"{name} {port_text}: {why}",
                    source=source,
                    field=where,
                    provider=PROVIDER,
                )
                report.record(source, where, Status.UNSUPPORTED, note=why, provider=PROVIDER)
                continue
            namespace, service, port, proxy, _ = match.groups()
            listener = Listener(
                name=f"{protocol.lower()}-{port_text}",
                port=int(port_text),
                protocol="TCP" if protocol == "TCP" else "UDP",
                provenance=[Provenance(source, where)],
            )
            if gateway.listener(listener.name) is not None:
                continue
            if namespace != gateway.namespace:
                listener.allowed_namespaces.add(namespace)
            gateway.listeners.append(listener)
            parents = [gateway.parent_ref(namespace, listener.name)]
            backends = [
                BackendRef(name=service, port=int(port), provenance=[Provenance(source, where)])
            ]
            route_name = run.ctx.allocator(f"{protocol}Route", namespace).allocate(
                f"{service}-{port_text}", f"{name}/{port_text}"
            )
            route: TCPRoute | UDPRoute = (TCPRoute if protocol == "TCP" else UDPRoute)(
                name=route_name,
                namespace=namespace,
                parent_refs=parents,
                backend_refs=backends,
                provenance=[Provenance(source, where)],
            )
            run.ctx.ir.routes.append(route)
            report.record(source, where, Status.CONVERTED, provider=PROVIDER)
            made_from(gateway, Provenance(source, where))
            if proxy:
                report.warning(
                    "annotation-unsupported",
                    f"{name} {port_text}: the PROXY protocol flag cannot be expressed; the backend receives no PROXY header",
                    source=source,
                    field=where,
                    provider=PROVIDER,
                )
                report.record(
                    source,
                    where,
                    Status.PARTIAL,
                    note="PROXY protocol not carried",
                    provider=PROVIDER,
                )
