"""Screening: no value reaches the data plane unless it is of its grammar.

Runs over the IR after the providers and before any emitter, so it holds for every provider
and every target (see :mod:`ingress2gateway.converting.grammar` for the grammars and why). A value that
fails is refused with an error notification (``security: true``) and is never emitted; what
happens to the rest follows one rule, that a refusal never routes a request somewhere the
source did not:

* a header to set, add or remove, a CORS origin, method or header, a cookie attribute: that
  entry is left out (the others stay);
* a header, query or method match that cannot be stated: that match is left out, since it
  can never be met as written; a rule whose every match is left out is left out (no matches
  would match everything);
* a redirect or rewrite that cannot be stated: the rule keeps its matches and loses its
  filters and backends, so its requests are answered 500 and do not fall through to another
  rule;
* an access control (auth URL, JWKS, an IP deny list) with a bad value: it becomes a
  :class:`RefusedControl`, which no emitter carries, so the rules it protects are closed as
  every uncarried access control is;
* a host name that cannot be stated: a listener or route hostname is left out; a route left
  with none is left out (no hostnames would match every host).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    IR,
    APIKeyAuth,
    BackendRef,
    BackendTLSOptions,
    BackendTLSPolicy,
    ClientIPDetection,
    Cors,
    CorsFilter,
    Extension,
    ExternalAuth,
    Filter,
    Gateway,
    GRPCRoute,
    HeaderMatch,
    HeaderModifier,
    HTTPRoute,
    IPAccess,
    JWTAuth,
    Listener,
    LoadBalancer,
    Match,
    OIDCAuth,
    PathModifier,
    Provenance,
    RefusedControl,
    RequestMirror,
    RequestRedirect,
    Route,
    Rule,
    SessionAffinity,
    TCPRoute,
    TLSRoute,
    UDPRoute,
    URLRewrite,
)
from ingress2gateway.objects import is_label, is_subdomain
from ingress2gateway.reporting.report import Level, Recorder, Status

CODE = "value-refused"


def screen_values(ir: IR, report: Recorder) -> None:
    """Refuse, in place, every value of ``ir`` that is not of its grammar (see the module)."""
    screen = _Screen(report)
    for gateway in ir.gateways:
        screen.gateway(gateway)
    for listener_set in ir.listener_sets:
        listener_set.listeners = screen.listeners(listener_set.name, listener_set.listeners)
    kept = []
    for route in ir.routes:
        if screen.route(route):
            kept.append(route)
    ir.routes[:] = kept
    policies = []
    for policy in ir.backend_tls_policies:
        if screen.backend_tls_policy(policy):
            policies.append(policy)
    ir.backend_tls_policies[:] = policies


class _Screen:
    def __init__(self, report: Recorder) -> None:
        self.report = report
        self.replaced: dict[int, Extension] = {}
        """Extensions already screened, by identity (one is often attached to many rules)."""
        self.gone: set[tuple[str, str]] = set()
        """(parent name, listener name) of the listeners left out."""

    def refuse(
        self,
        provenance: Iterable[Provenance],
        what: str,
        problem: str,
        consequence: str = "it is refused and never emitted",
    ) -> None:
        message = f"{what} {problem}; {consequence}"
        fields = list(provenance)
        for item in fields:
            self.report.flag(
                Level.ERROR,
                CODE,
                message,
                Status.UNSUPPORTED,
                source=item.source,
                field=item.field,
                security=True,
            )
        if not fields:
            self.report.error(CODE, message, security=True)

    # --- gateways and listeners ---------------------------------------------------------------

    def gateway(self, gateway: Gateway) -> None:
        gateway.listeners = self.listeners(gateway.name, gateway.listeners)
        gateway.extensions = self.extensions(gateway.extensions)

    def listeners(self, parent: str, listeners: list[Listener]) -> list[Listener]:
        """The listeners whose host name is one; the others are left out alone, with the
        routes' references to them (one tenant's bad host must not take the shared Gateway
        down)."""
        kept = []
        for listener in listeners:
            problem = grammar.hostname_problem(listener.hostname) if listener.hostname else None
            if problem is None:
                kept.append(listener)
            else:
                what = (
                    f"the host name {_shown(listener.hostname or '')} of listener {listener.name}"
                )
                self.refuse(listener.provenance, what, problem, "the listener is left out")
                self.gone.add((parent, listener.name))
        return kept

    # --- routes -------------------------------------------------------------------------------

    def route(self, route: Route) -> bool:
        """Screen ``route``; False when it must be left out."""
        if self.gone and route.parent_refs:
            parents = [
                p for p in route.parent_refs if (p.name, p.section_name or "") not in self.gone
            ]
            if not parents:
                return False  # its listeners are gone: it would attach nowhere
            route.parent_refs = parents
        if route.hostnames:
            valid = []
            for host in route.hostnames:
                problem = grammar.hostname_problem(host)
                if problem is None:
                    valid.append(host)
                else:
                    what = f"the host name {_shown(host)} of {route.ref.display()}"
                    self.refuse(route.provenance, what, problem, "it is left out of the route")
            if not valid:
                return False  # no hostnames at all would serve every host
            route.hostnames = valid
        route.extensions = self.extensions(route.extensions)
        if isinstance(route, (HTTPRoute, GRPCRoute)):
            rules = [rule for rule in route.rules if self.rule(route, rule)]
            if route.rules and not rules:
                return False
            route.rules = rules
        elif isinstance(route, (TLSRoute, TCPRoute, UDPRoute)):
            for ref in route.backend_refs:
                problem = _reference_problem(ref)
                if problem is not None:
                    what = f"a backend of {route.ref.display()}"
                    self.refuse(route.provenance, what, problem, "the route is left out")
                    return False
        return True

    def rule(self, route: HTTPRoute | GRPCRoute, rule: Rule) -> bool:
        """Screen ``rule``; False when it must be left out."""
        where = f"a rule of {route.ref.display()}"
        if rule.matches:
            matches = [m for m in rule.matches if self.match(m, rule, where)]
            if not matches:
                return False  # no matches would match everything
            rule.matches = matches
        closed = False
        for ref in rule.backend_refs:
            problem = _reference_problem(ref)
            if problem is not None:
                self.refuse(
                    ref.provenance or rule.provenance,
                    f"a backend of {where}",
                    problem,
                    "it is refused, and the rule answers 500 instead of reaching a backend",
                )
                closed = True  # leaving only it out would send its share to the others
        filters: list[Filter] = []
        for item in rule.filters:
            kept, closes = self.filter(item, where)
            closed = closed or closes
            if kept is not None:
                filters.append(kept)
        if closed:
            # The rule keeps its matches: its requests are answered, not passed to another rule.
            rule.filters, rule.backend_refs = [], []
        else:
            rule.filters = filters
        rule.extensions = self.extensions(rule.extensions)
        return True

    def match(self, match: Match, rule: Rule, where: str) -> bool:
        problems = [
            *(self.header_match(h, "header") for h in match.headers),
            *(self.header_match(q, "query parameter") for q in match.query_params),
        ]
        if match.method is not None and not grammar.is_token(match.method):
            problems.append(f"the method {_shown(match.method)} is not a method name")
        if match.path is not None and match.path.type == "RegularExpression":
            char = grammar.control_character(match.path.value)
            if char is not None:
                problems.append(f"the path pattern holds {grammar.describe_char(char)}")
        if match.grpc is not None:
            for part in (match.grpc.service, match.grpc.method):
                if part is not None and grammar.control_character(part) is not None:
                    problems.append(f"the gRPC match {_shown(part)} holds a control character")
        found = [p for p in problems if p]
        if found:
            self.refuse(
                rule.provenance,
                f"a match of {where} cannot be stated:",
                "; ".join(found),
                "the match is left out (it could never be met as written)",
            )
            return False
        return True

    def header_match(self, item: HeaderMatch, what: str) -> str | None:
        problem = grammar.header_name_problem(item.name)
        if problem is not None:
            return f"the {what} name {_shown(item.name)} {problem}"
        if item.type == "RegularExpression":
            char = grammar.control_character(item.value)
            if char is not None:
                return f"the {what} pattern holds {grammar.describe_char(char)}"
            return None
        problem = grammar.header_value_problem(item.value)
        return f"the {what} value {_shown(item.value)} {problem}" if problem else None

    # --- filters ------------------------------------------------------------------------------

    def filter(self, item: Filter, where: str) -> tuple[Filter | None, bool]:
        """``item`` screened (None: left out), and whether it closes its rule."""
        if isinstance(item, HeaderModifier):
            return self.header_modifier(item, where), False
        if isinstance(item, RequestMirror):
            problem = _reference_problem(item.backend)
            if problem is not None:  # a copy of the traffic: leaving it out routes nothing
                self.refuse(item.provenance, f"the mirror of {where}", problem)
                return None, False
            return item, False
        if isinstance(item, RequestRedirect):
            problem = self.redirect_problem(item)
        elif isinstance(item, URLRewrite):
            problem = self.rewrite_problem(item)
        elif isinstance(item, CorsFilter):
            self.cors(item.cors, item.provenance)
            return item, False
        else:
            return item, False
        if problem is None:
            return item, False
        self.refuse(
            item.provenance,
            f"the {item.TYPE} of {where}:",
            problem,
            "it is refused, and the rule answers 500 instead of reaching a backend",
        )
        return None, True

    def header_modifier(self, item: HeaderModifier, where: str) -> HeaderModifier | None:
        what = f"in {where}, the {'response' if item.response else 'request'} header"
        for entries in (item.set, item.add):
            for name, value in list(entries.items()):
                problem = grammar.header_name_problem(name)
                if problem is None:
                    problem = grammar.header_value_problem(value)
                    shown = f"{_shown(name)} value {_shown(value)}"
                else:
                    shown = _shown(name)
                if problem is not None:
                    del entries[name]
                    self.refuse(item.provenance, f"{what} {shown}", problem)
        removed = []
        for name in item.remove:
            problem = grammar.header_name_problem(name)
            if problem is None:
                removed.append(name)
            else:
                self.refuse(item.provenance, f"{what} to remove {_shown(name)}", problem)
        item.remove = removed
        return item if (item.set or item.add or item.remove) else None

    def redirect_problem(self, item: RequestRedirect) -> str | None:
        if item.scheme is not None and item.scheme not in ("http", "https"):
            return f"scheme {_shown(item.scheme)} is not http or https"
        if item.hostname is not None and not grammar.is_dns_name(item.hostname):
            return f"host name {_shown(item.hostname)} is not a DNS name"
        if item.port is not None and not 0 < item.port < 65536:
            return f"port {item.port} is not a port"
        return _path_modifier_problem(item.path)

    def rewrite_problem(self, item: URLRewrite) -> str | None:
        if item.hostname is not None and not grammar.is_dns_name(item.hostname):
            return f"host name {_shown(item.hostname)} is not a DNS name"
        return _path_modifier_problem(item.path)

    def cors(self, cors: Cors, provenance: list[Provenance]) -> None:
        cors.allow_origins = self.kept(
            cors.allow_origins, grammar.origin_problem, provenance, "the CORS origin"
        )
        cors.allow_methods = self.kept(
            cors.allow_methods, _token_or_star, provenance, "the CORS method"
        )
        cors.allow_headers = self.kept(
            cors.allow_headers, _header_or_star, provenance, "the CORS header"
        )
        cors.expose_headers = self.kept(
            cors.expose_headers, _header_or_star, provenance, "the CORS exposed header"
        )

    def kept(
        self,
        values: list[str],
        problem_of: Callable[[str], str | None],
        provenance: list[Provenance],
        what: str,
    ) -> list[str]:
        kept = []
        for value in values:
            problem = problem_of(value)
            if problem is None:
                kept.append(value)
            else:
                self.refuse(provenance, f"{what} {_shown(value)}", problem)
        return kept

    # --- extensions ---------------------------------------------------------------------------

    def extensions(self, extensions: list[Extension]) -> list[Extension]:
        screened = []
        for ext in extensions:
            done = self.replaced.get(id(ext))
            if done is None:
                done = self.replaced[id(ext)] = self.extension(ext) or _DROPPED
            if done is not _DROPPED:
                screened.append(done)
        return screened

    def extension(self, ext: Extension) -> Extension | None:
        """``ext`` screened: itself, a :class:`RefusedControl`, or None to leave it out."""
        screened = self.specific(ext)
        if screened is None:
            return None
        # Whatever the checks above do not name: no string of an extension holds a control
        # character (a timeout, a regex, a backend name...).
        problem = _control_problem(screened)
        if problem is not None and screened.SECURITY:
            return self.refused(screened, problem)
        if problem is not None:
            self.refuse(screened.provenance, f"{screened.describe()}:", problem)
            return None
        return screened

    def specific(self, ext: Extension) -> Extension | None:
        """``ext`` after the checks of its own values."""
        if isinstance(ext, Cors):
            self.cors(ext, ext.provenance)
        elif isinstance(ext, SessionAffinity):
            return self.session_affinity(ext)
        elif isinstance(ext, LoadBalancer) and ext.hash_on:
            kind, _, name = ext.hash_on.partition(":")
            check = {"header": grammar.header_name_problem, "cookie": grammar.cookie_name_problem}
            found = check[kind](name) if kind in check else None
            if found is not None:
                self.refuse(ext.provenance, f"the {kind} to hash on {_shown(name)}", found)
                return None
        elif isinstance(ext, ClientIPDetection) and ext.header:
            found = grammar.header_name_problem(ext.header)
            if found is not None:
                self.refuse(
                    ext.provenance, f"the client address header {_shown(ext.header)}", found
                )
                return None
        elif isinstance(ext, BackendTLSOptions) and ext.sni and not grammar.is_dns_name(ext.sni):
            self.refuse(ext.provenance, f"the backend SNI {_shown(ext.sni)}", "is not a DNS name")
            ext.sni = None
        elif ext.SECURITY:
            problem = _access_control_problem(ext)
            if problem is not None:
                return self.refused(ext, problem)
            if isinstance(ext, ExternalAuth):
                ext.response_headers = self.kept(
                    ext.response_headers,
                    grammar.header_name_problem,
                    ext.provenance,
                    "the auth response header",
                )
        return ext

    def refused(self, ext: Extension, problem: str) -> RefusedControl:
        what = ext.describe()
        self.refuse(
            ext.provenance,
            f"{what}:",
            problem,
            "the access control cannot be carried, so what it protects is closed",
        )
        return RefusedControl(what=f"the refused {what}", provenance=ext.provenance)

    def session_affinity(self, ext: SessionAffinity) -> SessionAffinity | None:
        if ext.cookie_name is not None:
            problem = grammar.cookie_name_problem(ext.cookie_name)
            if problem is not None:
                self.refuse(ext.provenance, f"the cookie name {_shown(ext.cookie_name)}", problem)
                return None
        if ext.path is not None:
            problem = grammar.cookie_path_problem(ext.path)
            if problem is not None:
                self.refuse(ext.provenance, f"the cookie path {_shown(ext.path)}", problem)
                ext.path = None
        if ext.domain is not None:
            problem = grammar.cookie_domain_problem(ext.domain)
            if problem is not None:
                self.refuse(ext.provenance, f"the cookie domain {_shown(ext.domain)}", problem)
                ext.domain = None
        if ext.same_site is not None and ext.same_site not in grammar.SAME_SITE:
            what = f"the cookie SameSite value {_shown(ext.same_site)}"
            self.refuse(ext.provenance, what, "is not Strict, Lax or None")
            ext.same_site = None
        return ext

    def backend_tls_policy(self, policy: BackendTLSPolicy) -> bool:
        if grammar.is_dns_name(policy.hostname):
            return True
        self.refuse(
            policy.provenance,
            f"the backend TLS host name {_shown(policy.hostname)}",
            "is not a DNS name",
        )
        return False


_DROPPED = Extension()
"""What :meth:`_Screen.extensions` remembers for an extension left out."""


def _shown(value: str) -> str:
    """A value as a message shows it: quoted, control characters escaped, at most 60."""
    return repr(value[:60] + ("…" if len(value) > 60 else ""))


def _reference_problem(ref: BackendRef) -> str | None:
    """Why ``ref`` cannot name an object (a Service, or another kind), or None."""
    if not is_subdomain(ref.name):
        return f"names {_shown(ref.name)}, which no object can be named"
    if ref.namespace is not None and not is_label(ref.namespace):
        return f"names the namespace {_shown(ref.namespace)}, which no namespace can be named"
    return None


def _path_modifier_problem(path: PathModifier | None) -> str | None:
    if path is None or (path.type == "ReplacePrefixMatch" and path.value == ""):
        return None
    problem = grammar.url_path_problem(path.value)
    return f"path {_shown(path.value)} {problem}" if problem else None


def _token_or_star(value: str) -> str | None:
    return None if value == "*" or grammar.is_token(value) else "is not a method name"


def _header_or_star(value: str) -> str | None:
    return None if value == "*" else grammar.header_name_problem(value)


def _control_problem(ext: Extension) -> str | None:
    """A control character in any string an extension holds, or None."""
    for name in _string_fields(ext):
        value = getattr(ext, name)
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and (char := grammar.control_character(text)) is not None:
                return f"its {name} holds the control character {grammar.describe_char(char)}"
    return None


def _string_fields(ext: Extension) -> list[str]:
    names = []
    for cls in type(ext).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in ("provenance", "consumed") and not name.startswith("_"):
                names.append(name)
    return names


def _access_control_problem(ext: Extension) -> str | None:
    """Why an access control's values cannot be carried, or None."""
    if isinstance(ext, ExternalAuth):
        problem = grammar.url_problem(ext.url)
        return f"its URL {_shown(ext.url)} {problem}" if problem else None
    if isinstance(ext, JWTAuth) and ext.jwks_uri:
        problem = grammar.url_problem(ext.jwks_uri, schemes=("https", "http"))
        return f"its JWKS URL {_shown(ext.jwks_uri)} {problem}" if problem else None
    if isinstance(ext, OIDCAuth):
        for what, url in (("issuer", ext.issuer), ("redirect URL", ext.redirect_url)):
            problem = grammar.url_problem(url) if url else None
            if problem:
                return f"its {what} {_shown(url or '')} {problem}"
        return None
    if isinstance(ext, APIKeyAuth):
        bad = [name for name in ext.key_names if not grammar.is_token(name)]
        return f"its key name {_shown(bad[0])} is not a header name" if bad else None
    if isinstance(ext, IPAccess):
        # Leaving a denied address out would let it in, and an allow list left empty might
        # read as no list at all: either refuses the whole control.
        bad_deny = [a for a in ext.deny if not _is_network(a)]
        if bad_deny:
            return f"its denied address {_shown(bad_deny[0])} is not an address or range"
        allowed = [a for a in ext.allow if _is_network(a)]
        if ext.allow and not allowed:
            return f"none of its allowed addresses is an address or range ({_shown(ext.allow[0])})"
        ext.allow = allowed  # fewer allowed addresses: narrower, never wider
        return None
    return None


def _is_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
