"""How Kong 3.x routes a request over the Kong routes KIC generated.

Written from ``Kong/kong`` (``kong/router/``: the ``traditional_compatible`` flavour, Kong's
default since 3.0, which turns each route into an ATC expression) and ``Kong/atc-router``:

* **Splitting** (``transform.lua``, ``split_routes_and_services_by_path``): a route whose paths
  have different lengths, or mix regular expressions with prefixes, becomes one route per group
  (all regexes; each prefix length), each with id UUIDv5(``<route id>#<group>``).
* **Matching** (``get_expression``): the methods (any of), the hosts (``*.a.com`` is a suffix
  match ``=^ ".a.com"``, ``a.*`` a prefix match; case-sensitive), the paths (a plain path is a
  *character* prefix; ``~re`` is the regex ``^re`` searched in the path, Rust ``regex``
  syntax), the headers (every name; any of its values, compared lower-cased; ``~*re`` is the
  regex ``re``, lower-cased, searched in the lower-cased value), and the SNIs (only for
  ``https``). Protocols are not matched: an HTTPS-only route takes plain HTTP requests too,
  and the proxy refuses them afterwards.
* **Priority** (``get_priority``), highest first: the number of match fields (methods, hosts,
  headers, SNIs, paths...), then "no wildcard host", then the number of headers, then "regex
  path", then ``regex_priority`` (regex paths only), then the prefix length. Ties go to the
  greater route id (atc-router ``router.rs``: matchers in a ``BTreeMap`` keyed by
  ``(priority, uuid)``, iterated in reverse).
* **The request path** is normalised (``kong/tools/uri.lua``, ``normalize``: unreserved
  percent-escapes decoded, dot segments removed, slashes merged) and matched without its query.
* **The proxy** (``kong/runloop/handler.lua``, access phase): an HTTPS-only route answers plain
  HTTP with ``https_redirect_status_code`` (426 "Please use HTTPS protocol", or a redirect to
  ``https://<host><request uri>``); a gRPC route answers 415 to a non-gRPC request and a gRPC
  status to plain-text gRPC on a ``grpcs``-only route. Then the plugins run (auth plugins are
  the guards; ``request-termination`` answers itself), and the request goes to the upstream
  with the path of ``get_upstream_uri_v0`` (``kong/router/utils.lua``: the service path, then
  the request path without the matched prefix when ``strip_path``; path_handling ``v1`` is
  not used by this router flavour) and the query; the Host is the client's when
  ``preserve_host``, else the upstream's ``host_header``, else the endpoint's address.
* **TLS**: the certificate whose SNI is the host (exact, then ``*.`` one label deep); none
  means Kong's self-signed default certificate, which this model, like the nginx one, does not
  count as serving HTTPS.
* **Streams** (``stream_get_priority``): routes of the connection's destination port, an SNI
  route before one without (the SNI is only required of TLS connections).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from typing import Any

from ingress2gateway.verification.matching import compiled_re2
from ingress2gateway.verification.model import (
    Cause,
    NoRoute,
    Redirect,
    Request,
    Respond,
    Routed,
    forward,
)

from .translator import Certificate, KongConfig, KongPath, KongRoute, Plugin

_SPLIT_NAMESPACE = uuid.UUID("7f145bf9-0dce-4f91-98eb-debbce4b9f6b")
_RESERVED = set("!*'();:@&=+$,/?%#[]")
_STREAM_PROTOCOLS = ("tcp", "udp", "tls", "tls_passthrough")

# Guards, in the Gateway API model's vocabulary, of Kong's access-control plugins.
_GUARDS = {
    "basic-auth": "basic-auth",
    "key-auth": "api-key",
    "key-auth-enc": "api-key",
    "jwt": "jwt",
    "openid-connect": "oidc",
    "mtls-auth": "client-certificate",
    "acl": "authorization",
    "hmac-auth": "authorization",
    "ldap-auth": "authorization",
    "ldap-auth-advanced": "authorization",
    "oauth2": "authorization",
    "oauth2-introspection": "authorization",
    "opa": "authorization",
    "bot-detection": "authorization",
}


def _compile(pattern: str) -> Any:
    """``pattern`` with Rust ``regex`` syntax, compiled by RE2 (the closest engine: no
    backreferences nor look-around; see :func:`compiled_re2`); None when it does not compile
    (Kong rejects such a route)."""
    return compiled_re2(pattern)


def regex_search(pattern: str, value: str) -> tuple[str, tuple[str | None, ...]] | None:
    """The text ``pattern`` matches first in ``value`` and its groups (atc-router's
    ``is_match`` then ``captures``), or None."""
    compiled = _compile(pattern)
    if compiled is None:
        return None
    found = compiled.search(value)
    if found is None:
        return None
    return str(found.group(0)), tuple(found.groups())


# --- matchers -------------------------------------------------------------------------------


@dataclass
class Matcher:
    """One route of the ATC router: a Kong route, or one path group of it."""

    route: KongRoute
    paths: list[KongPath]
    id: uuid.UUID
    priority: int

    @property
    def key(self) -> tuple[int, bytes]:
        return (self.priority, self.id.bytes)


def _group_paths(paths: list[KongPath]) -> list[list[KongPath]]:
    """``group_by_regex_or_length``: regexes together, plain paths by length, in order of first
    appearance."""
    groups: dict[int, list[KongPath]] = {}
    for path in paths:
        key = 0 if path.value.startswith("~") else len(path.value)
        groups.setdefault(key, []).append(path)
    return list(groups.values())


def matchers_of(route: KongRoute) -> list[Matcher]:
    if route.stream or len(route.paths) <= 1:
        return [Matcher(route, route.paths, route.id, priority(route, route.paths))]
    groups = _group_paths(route.paths)
    if len(groups) == 1:
        return [Matcher(route, route.paths, route.id, priority(route, route.paths))]
    return [
        Matcher(
            route,
            group,
            uuid.uuid5(_SPLIT_NAMESPACE, f"{route.id}#{index}"),
            priority(route, group),
        )
        for index, group in enumerate(groups, start=1)
    ]


def priority(route: KongRoute, paths: list[KongPath]) -> int:
    """``get_priority`` (and ``stream_get_priority``): a 64-bit number, bits as Kong lays them."""
    if route.stream:
        weight = 1 << 61 if route.snis else 0
        port_bit = 1 << 2 if route.destinations else 0
        return weight | port_bit
    fields = sum(
        1 for present in (route.methods, route.hosts, route.headers, route.snis) if present
    )
    regex, length = False, 0
    if paths:
        fields += 1
        regex = paths[0].value.startswith("~")
        length = 0 if regex else len(paths[0].value)
    plain_host = bool(route.hosts) and not any("*" in h for h in route.hosts)
    headers = min(len(route.headers or {}), 255)
    value = (fields << 61) | (headers << 52) | (length & 0x7FFFF)
    if plain_host:
        value |= 1 << 60
    if regex:
        value |= (1 << 51) | ((route.regex_priority & 0xFFFFFFFF) << 19)
    return value


# --- the request ----------------------------------------------------------------------------


def normalize(uri: str) -> str:
    """``kong.tools.uri.normalize(uri, true)``."""
    if uri in ("", "/"):
        return uri
    if "%" in uri:

        def decode(found: re.Match[str]) -> str:
            char = chr(int(found.group(1), 16))
            return found.group(0).upper() if char in _RESERVED else char

        uri = re.sub(r"%([0-9A-Fa-f]{2})", decode, uri)
    if "." not in uri and "//" not in uri:
        return uri
    output: list[str] = []
    while uri:
        if uri == "/.":
            uri = "/"
        elif uri == "/..":
            uri = "/"
            if output:
                output.pop()
        elif uri in (".", ".."):
            uri = ""
        elif uri.startswith("../"):
            uri = uri[3:]
        elif uri.startswith("./") or uri.startswith("/./"):
            uri = uri[2:]
        elif uri.startswith("/../"):
            uri = uri[3:]
            if output:
                output.pop()
        elif uri.startswith("//"):
            uri = uri[1:]
        else:
            cut = uri.find("/", 1)
            if cut == -1:
                output.append(uri)
                uri = ""
            else:
                output.append(uri[:cut])
                uri = uri[cut:]
    return "".join(output)


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*"):
        return host.endswith(pattern[1:])
    if pattern.endswith("*"):
        return host.startswith(pattern[:-1])
    return host == pattern


def _sni_matches(pattern: str, sni: str) -> bool:
    if pattern.endswith("*"):
        return sni.startswith(pattern[:-1])
    if len(pattern) > 1 and pattern.endswith("."):
        pattern = pattern[:-1]
    if pattern.startswith("*"):
        return sni.endswith(pattern[1:])
    return sni == pattern


def _header_values(request: Request, name: str) -> list[str]:
    wanted = name.lower().replace("_", "-")
    return [v for k, v in request.headers if k.lower().replace("_", "-") == wanted]


@dataclass
class Miss:
    """A matcher whose host and path took the request but another field did not."""

    matcher: Matcher
    path: KongPath | None
    fields: list[str]


Matched = tuple[KongPath, str, tuple[str | None, ...]]


def _match(matcher: Matcher, request: Request, path: str) -> tuple[Matched | None, list[str]]:
    """The Kong path that took the request and the text it matched, or None when the host or
    the path did not; and the route fields other than host and path that refused it."""
    route = matcher.route
    refused: list[str] = []
    if (
        route.snis
        and request.scheme == "https"
        and not any(_sni_matches(s, request.host) for s in route.snis)
    ):
        refused.append("snis")
    if route.hosts and not any(_host_matches(h, request.host) for h in route.hosts):
        return None, []
    matched: Matched | None = None
    if not matcher.paths:  # no path condition: any path, nothing to strip
        matched = (KongPath("", route.owner, ""), "", ())
    for kong_path in matcher.paths:
        value = kong_path.value
        if value.startswith("~"):
            found = regex_search("^" + value[1:].replace("?<", "?P<"), path)
            if found is not None:
                matched = (kong_path, found[0], found[1])
                break
        elif path.startswith(value):
            matched = (kong_path, value, ())
            break
    if matched is None:
        near = [p for p in matcher.paths if p.value == path + "/"]
        # A character prefix ending in "/" decided that the path without it is not its own.
        return None, (["boundary"] if near else [])
    if route.service.refused is not None:
        refused.append("refused")
    if route.methods and request.method not in route.methods:
        refused.append("methods")
    for name, values in (route.headers or {}).items():
        sent = [v.lower() for v in _header_values(request, name)]
        if not any(_header_value_matches(value, s) for value in values for s in sent):
            refused.append(f"headers.{name}")
    return matched, refused


def _header_value_matches(value: str, sent: str) -> bool:
    if value.startswith("~*"):
        return regex_search(value[2:].lower(), sent) is not None
    return sent == value.lower()


# --- the router -----------------------------------------------------------------------------


class KongRouter:
    def __init__(self, config: KongConfig) -> None:
        self.config = config
        http: list[Matcher] = []
        streams: list[Matcher] = []
        for route in config.routes:
            if any(p in _STREAM_PROTOCOLS for p in route.effective_protocols[:1]):
                streams.extend(matchers_of(route))
            elif not _invalid_regex(route):
                http.extend(matchers_of(route))
        self.http = sorted(http, key=lambda m: m.key, reverse=True)
        self.streams = sorted(streams, key=lambda m: m.key, reverse=True)
        # The matchers a host can reach, in priority order: by exact host, the wildcard ones
        # and those without hosts, made once (every request scanned every matcher).
        self._exact: dict[str, list[int]] = {}
        self._other: list[int] = []
        for index, matcher in enumerate(self.http):
            hosts = matcher.route.hosts
            if hosts and not any("*" in h for h in hosts):
                for host in dict.fromkeys(hosts):
                    self._exact.setdefault(host, []).append(index)
            else:
                self._other.append(index)
        self._for_host: dict[str, list[Matcher]] = {}
        self._by_sni: dict[str, Certificate] | None = None

    def _candidates(self, host: str) -> list[Matcher]:
        found = self._for_host.get(host)
        if found is None:
            indices = sorted({*self._exact.get(host, ()), *self._other})
            found = self._for_host[host] = [self.http[i] for i in indices]
        return found

    # --- certificates --------------------------------------------------------------------

    def certificate(self, sni: str) -> Certificate | None:
        """``find_certificate``: the SNI itself, then ``*.`` and the SNI without its first
        label, then ``<all but the last label>.*``."""
        if not sni:
            return None
        labels = sni.split(".")
        candidates = [sni]
        if len(labels) >= 3:
            candidates.append("*." + ".".join(labels[1:]))
        if len(labels) >= 2:
            candidates.append(".".join(labels[:-1]) + ".*")
        if self._by_sni is None:
            self._by_sni = {}
            for cert in self.config.certificates:
                for name in cert.snis:
                    self._by_sni.setdefault(name, cert)  # the first certificate naming it
        for wanted in candidates:
            if wanted in self._by_sni:
                return self._by_sni[wanted]
        return None

    # --- HTTP ----------------------------------------------------------------------------

    def route(self, request: Request) -> Routed:
        if request.protocol != "HTTP":
            return self._stream(request)
        if request.effective_port not in (80, 443):
            return Routed(NoRoute(0, "Kong's proxy listens on 80 and 443"))
        if (request.scheme == "https") != (request.effective_port == 443):
            return Routed(NoRoute(0, "not the scheme of this port"))
        certificate = None
        if request.scheme == "https":
            certificate = self.certificate(request.host)
        path = normalize(request.path)
        misses: list[Miss] = []
        for matcher in self._candidates(request.host):
            matched, refused = _match(matcher, request, path)
            if matched is None:
                if refused:
                    near = next(p for p in matcher.paths if p.value == path + "/")
                    misses.append(Miss(matcher, near, []))
                continue
            if refused:
                misses.append(Miss(matcher, matched[0], refused))
                continue
            if request.scheme == "https" and certificate is None:
                return Routed(
                    NoRoute(0, "served only with Kong's default certificate"),
                    self._causes(matcher, matched[0], []),
                )
            return self._proxy(matcher, matched, request, path, misses, certificate)
        causes = tuple(
            c for miss in misses for c in self._causes(miss.matcher, miss.path, miss.fields)
        )
        if request.scheme == "https" and certificate is None:
            return Routed(NoRoute(0, "served only with Kong's default certificate"), causes)
        return Routed(NoRoute(404, "no Route matched with those values"), causes)

    def _causes(
        self, matcher: Matcher, path: KongPath | None, fields: list[str]
    ) -> tuple[Cause, ...]:
        route = matcher.route
        found: list[Cause] = [path.cause] if path is not None else []
        found.extend(route.host_causes[h] for h in route.hosts if h in route.host_causes)
        for name in fields:
            cause = route.set_by.get(name) or route.set_by.get(name.split(".")[0])
            if name == "refused":
                cause = route.service.refused
            if cause is not None:
                found.append(cause)
        found.extend(route.consulted())
        found.extend(route.service.causes)
        unique: list[Cause] = []
        for cause in found:
            if cause not in unique:
                unique.append(cause)
        return tuple(unique)

    def _proxy(
        self,
        matcher: Matcher,
        match: Matched,
        request: Request,
        path: str,
        misses: list[Miss],
        certificate: Certificate | None,
    ) -> Routed:
        kong_path, matched, captures = match
        route = matcher.route
        causes = list(self._causes(matcher, kong_path, []))
        if request.scheme == "https" and certificate is not None:
            causes.append(certificate.cause)
        for miss in misses:
            more = self._causes(miss.matcher, miss.path, miss.fields)
            causes.extend(c for c in more if c not in causes)
        why = tuple(causes)
        protocols = route.effective_protocols
        query = f"?{request.query}" if request.query else ""
        if "https" in protocols and "http" not in protocols and request.scheme != "https":
            code = route.redirect_code or 426
            if code == 426:
                return Routed(Respond(426, "Please use HTTPS protocol"), why)
            return Routed(Redirect(code, f"https://{request.host}{request.path}{query}"), why)
        if "grpc" in protocols or "grpcs" in protocols:
            if not request.grpc:
                return Routed(Respond(415, "Non-gRPC request matched gRPC route"), why)
            if "grpc" not in protocols and request.scheme != "https":
                return Routed(Respond(200, "grpc-status 1: gRPC request matched gRPCs route"), why)
        guards: list[str] = []
        for plugin in route.plugins:
            plugin_causes = (plugin.cause, *_plugin_causes(plugin))
            if not _runs_on(plugin, request):
                # Its protocols decided that it does not run on this request.
                obj = plugin.obj
                namespace = (obj.namespace or "default") if obj.kind == "KongPlugin" else None
                skipped = Cause(obj.kind, namespace, obj.name or "", "protocols")
                why += tuple(c for c in (plugin.cause, skipped) if c not in why)
                continue
            if plugin.name == "request-termination":
                status = plugin.config.get("status_code", 503)
                return Routed(
                    Respond(status if isinstance(status, int) else 503, "request-termination"),
                    why + plugin_causes,
                )
            found = _guards(plugin)
            if found:
                guards.extend(found)
                why += tuple(c for c in plugin_causes if c not in why)
        service = route.service
        upstream = upstream_uri(route.strip_path is True, matched, path, service.path or "/")
        if route.rewrite is not None:
            rendered = render_rewrite(route.rewrite, (matched, *captures))
            if rendered is None:
                return Routed(Respond(500, "the rewrite template names a missing capture"), why)
            upstream = rendered
        if route.preserve_host:
            host = request.host
        elif service.host_header:
            host = service.host_header
        else:
            host = f"<an endpoint of {service.backend.display()}>"
        return Routed(
            forward([(service.backend, 1)], upstream + query, host, guards),
            why,
        )

    # --- streams -------------------------------------------------------------------------

    def _stream(self, request: Request) -> Routed:
        wanted = "udp" if request.protocol == "UDP" else "tcp"
        tls = request.protocol == "TLS"
        for matcher in self.streams:
            route = matcher.route
            protocols = route.effective_protocols
            if (wanted == "udp") != ("udp" in protocols):
                continue
            if request.effective_port not in route.destinations:
                continue
            if route.snis and not tls:
                continue  # a port with SNI routes takes TLS (an assumption: Kong's stream_listen)
            if route.snis and not any(_sni_matches(s, request.host) for s in route.snis):
                continue
            why = self._causes(matcher, matcher.paths[0] if matcher.paths else None, [])
            if tls and "tls" in protocols and self.certificate(request.host) is None:
                return Routed(NoRoute(0, "served only with Kong's default certificate"), why)
            backend = route.service.backend
            return Routed(forward([(backend, 1)], request.path, request.host), why)
        return Routed(NoRoute(0, "no stream route on this port"))


def upstream_uri(strip_path: bool, matched: str, path: str, base: str) -> str:
    """``get_upstream_uri_v0``: the path the upstream sees (without the query)."""
    prefix = matched if strip_path and matched else "/"
    postfix = _sanitize(path[len(prefix) :])
    if base.endswith("/"):
        if strip_path:
            if postfix == "":
                if base == "/":
                    return "/"
                return base if path.endswith("/") else base[:-1]
            if postfix.startswith("/"):
                return base[:-1] + postfix
            return base + postfix
        return base + path[1:]
    if strip_path:
        if postfix == "":
            return base + "/" if len(path) > 1 and path.endswith("/") else base
        if postfix.startswith("/"):
            return base + postfix
        return base + "/" + postfix
    if path == "/":
        return base
    return base + path


def render_rewrite(template: str, captures: tuple[str | None, ...]) -> str | None:
    """The request-transformer's ``replace.uri`` rendered with the route's regex captures
    (``$n;`` a capture, ``$$`` a dollar); None when a capture is missing (Kong fails the
    request)."""
    out: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        if char == "$" and template[index + 1 : index + 2] == "$":
            out.append("$")
            index += 2
        elif char == "$":
            end = template.index(";", index)
            number = int(template[index + 1 : end])
            value = captures[number] if number < len(captures) else None
            if value is None:
                return None
            out.append(value)
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _sanitize(postfix: str) -> str:
    if postfix in (".", ".."):
        return ""
    if postfix.startswith("./"):
        return postfix[2:]
    if postfix.startswith("../"):
        return postfix[3:]
    return postfix


def _invalid_regex(route: KongRoute) -> bool:
    """Kong refuses a route whose regex does not compile (and KIC's configuration with it)."""
    return any(
        p.value.startswith("~") and _compile("^" + p.value[1:].replace("?<", "?P<")) is None
        for p in route.paths
    )


def _plugin_causes(plugin: Plugin) -> tuple[Cause, ...]:
    """The plugin object's fields that decide what it does: which plugin, and its config."""
    obj = plugin.obj
    namespace = (obj.namespace or "default") if obj.kind == "KongPlugin" else None
    return tuple(Cause(obj.kind, namespace, obj.name or "", f) for f in ("plugin", "config"))


def _runs_on(plugin: Plugin, request: Request) -> bool:
    """A plugin's ``protocols`` (all HTTP protocols by default) decide where it runs."""
    protocols = plugin.obj.data.get("protocols")
    if not isinstance(protocols, list) or not protocols:
        return True
    scheme = ("grpcs" if request.scheme == "https" else "grpc") if request.grpc else request.scheme
    return scheme in protocols


def _cidr(item: Any) -> str | None:
    """An ip-restriction entry as a network (an address is its /32 or /128)."""
    try:
        return str(ipaddress.ip_network(str(item).strip(), strict=False))
    except ValueError:
        return None


def _cidrs(value: Any) -> list[str]:
    found = [_cidr(item) for item in (value if isinstance(value, list) else [])]
    return sorted({cidr for cidr in found if cidr})


def _guards(plugin: Plugin) -> list[str]:
    name = plugin.name
    if name == "ip-restriction":
        conf = plugin.config
        allow = _cidrs(conf.get("allow", conf.get("whitelist")))
        deny = _cidrs(conf.get("deny", conf.get("blacklist")))
        found = []
        if allow:
            found.append("ip-allow " + ",".join(allow))
        if deny:
            found.append("ip-deny " + ",".join(deny))
        return found
    guard = _GUARDS.get(name)
    return [guard] if guard else []
