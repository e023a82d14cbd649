"""Ingress annotations (``k8s.apisix.apache.org/*``), applied to the rules each Ingress made.

The controller makes one APISIX route per Ingress path and attaches the annotations' plugins to
every route of that Ingress (``ingress.go``), so an annotation here changes only the rules its
own Ingress contributed, never another Ingress's rules on the same host.

* ``http-to-https: "true"``: APISIX's ``redirect`` plugin answers **301** to plain-HTTP requests
  only: the rules get a twin route on the HTTP listener that redirects to https, the HTTPS
  listener keeps the backends. It takes precedence over ``http-redirect``.
* ``http-redirect`` (+ ``http-redirect-code``, 301 unless 301..308): a RequestRedirect instead
  of the backends; values with APISIX ``$variables`` are reported.
* ``rewrite-target``: URLRewrite ReplaceFullPath. ``rewrite-target-regex`` with
  ``rewrite-target-regex-template`` (only both together): a regex-rewrite extension.
* ``enable-cors`` with ``cors-allow-*`` (APISIX default ``*``): the CORS filter.
* ``allowlist-source-range`` / ``blocklist-source-range``: an IP allow/deny extension;
  ``auth-type`` (``keyAuth`` / ``basicAuth``) and ``auth-uri`` (forward-auth): auth extensions.
  Where the emitter cannot carry them the rules are emitted **closed**.
* ``http-allow-methods`` / ``http-block-methods`` (allow wins): APISIX answers **405** for the
  other methods and does not fall through to another route: the rule matches only the allowed
  methods, and a second rule for its path refuses the others (405 with envoy-gateway, 500 with
  the standard emitter: reported).
* ``upstream-retries`` / ``upstream-*-timeout``: retry and timeouts extensions (a timeout set
  alone leaves the others at APISIX's 60s).
* ``upstream-scheme``: ``http`` is the default; ``https``/``grpcs`` (TLS to the backend) and
  ``grpc`` are reported: add a BackendTLSPolicy or a GRPCRoute.
* ``svc-namespace``: the backends are the Services of that namespace (with a ReferenceGrant).
* ``enable-response-rewrite``: its header lists become a ResponseHeaderModifier.
* ``plugin-config-name``: the named ApisixPluginConfig's plugins (see Plugins).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.converting.lowering import GATEWAY_GROUP, Lowered
from ingress2gateway.ir import (
    APIKeyAuth,
    BasicAuth,
    Cors,
    CorsFilter,
    ExternalAuth,
    Gateway,
    HeaderModifier,
    HTTPRoute,
    IPAccess,
    Match,
    ParentRef,
    PathModifier,
    Provenance,
    ReferenceGrant,
    RegexRewrite,
    RequestRedirect,
    Retry,
    Rule,
    Timeouts,
    URLRewrite,
)
from ingress2gateway.objects import is_label
from ingress2gateway.reporting.report import Status

from . import plugins
from .common import (
    PREFIX,
    ApisixRun,
    annotation_field,
    annotation_seconds,
    is_true,
    parse_int,
    split_list,
)
from .order import report_regex_order
from .paths import re2_problem

P = PREFIX
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


class _Ann:
    """The annotations of one Ingress, with the ledger helpers."""

    def __init__(self, run: ApisixRun, model: IngressModel) -> None:
        self.run = run
        self.model = model
        self.values = model.obj.annotations

    def get(self, name: str) -> str:
        return self.values.get(P + name, "")

    def has(self, name: str) -> bool:
        return P + name in self.values

    def prov(self, name: str) -> Provenance:
        return Provenance(self.model.source, annotation_field(P + name))

    def record(self, name: str, status: Status, note: str | None = None) -> None:
        if self.has(name):
            self.run.record(self.model.source, annotation_field(P + name), status, note)

    def invalid(self, name: str, message: str) -> None:
        self.run.invalid(self.model.source, annotation_field(P + name), message)

    def unsupported(self, name: str, message: str, *, security: bool = False) -> None:
        self.run.unsupported(
            self.model.source, annotation_field(P + name), message, security=security
        )


def apply(run: ApisixRun, models: list[IngressModel], lowered: Lowered) -> None:
    redirects: dict[int, RequestRedirect] = {}
    for model in models:
        pairs = lowered.rules_of(model.source)
        ann = _Ann(run, model)
        rules = [rule for _, rule in pairs]
        _service_namespace(run, ann, rules)
        _plugin_config(run, ann, rules, redirects)
        _upstream(ann, rules)
        _cors(ann, rules)
        _rewrite(ann, rules)
        _response_rewrite(ann, rules)
        _access(ann, rules)
        _redirects(ann, rules, redirects)
        _methods(ann, pairs)
        for name in ("use-regex", "enable-websocket"):
            ann.record(name, Status.CONVERTED)
        if ann.has("enable-websocket") and not is_true(ann.get("enable-websocket")):
            ann.record("enable-websocket", Status.IGNORED, 'only "true" enables it')
    # Split once every HTTPS listener is known (ApisixTls adds some): see ``finish_https``.
    run.redirects.update(redirects)
    report_regex_order(run, lowered.routes)


def _each(rules: list[Rule], add: Callable[[Rule], None]) -> None:
    for rule in rules:
        add(rule)


def _service_namespace(run: ApisixRun, ann: _Ann, rules: list[Rule]) -> None:
    if not ann.has("svc-namespace"):
        return
    namespace = ann.get("svc-namespace").strip()
    if not namespace:
        ann.record("svc-namespace", Status.IGNORED, "empty: the Ingress's own namespace")
        return
    if not is_label(namespace):
        ann.invalid("svc-namespace", f"{namespace!r} is not a namespace name")
        return
    prov = ann.prov("svc-namespace")
    for rule in rules:
        for ref in rule.backend_refs:
            if ref.kind != "Service" or ref.group:
                continue
            if namespace != ann.model.namespace:
                ref.namespace = namespace
                run.ctx.ir.add_grant(
                    ReferenceGrant(
                        namespace=namespace,
                        from_group=GATEWAY_GROUP,
                        from_kind="HTTPRoute",
                        from_namespace=ann.model.namespace or "default",
                        to_group="",
                        to_kind="Service",
                        to_name=ref.name,
                    ),
                    prov,
                )
            ref.provenance.append(prov)
    ann.record("svc-namespace", Status.CONVERTED)


def _plugin_config(
    run: ApisixRun, ann: _Ann, rules: list[Rule], redirects: dict[int, RequestRedirect]
) -> None:
    if not ann.has("plugin-config-name"):
        return
    name = ann.get("plugin-config-name").strip()
    found = run.plugin_configs.get((ann.model.namespace, name))
    field_path = annotation_field(P + "plugin-config-name")
    if found is None:
        run.missing(
            ann.model.source,
            field_path,
            f"ApisixPluginConfig {name!r} is not in the input (the controller fails to "
            "translate this Ingress without it); its plugins are not converted",
        )
        return
    run.use(found)
    from .objects import plugin_effects

    for rule in rules:
        effects = plugin_effects(run, found, ann.model.source, field_path)
        apply_effects(rule, effects, redirects)
    ann.record("plugin-config-name", Status.CONVERTED)


def apply_effects(
    rule: Rule, effects: plugins.Effects, redirects: dict[int, RequestRedirect]
) -> None:
    """Put what plugins do on ``rule`` (a redirect replaces its backends)."""
    rule.filters.extend(effects.filters)
    rule.extensions.extend(effects.extensions)
    if effects.redirect is not None:
        rule.backend_refs = []
        rule.filters = [f for f in rule.filters if not isinstance(f, URLRewrite)]
        rule.filters.append(effects.redirect)
    if effects.https_redirect is not None:
        redirects[id(rule)] = RequestRedirect(
            scheme="https", status_code=301, provenance=[effects.https_redirect]
        )


def _upstream(ann: _Ann, rules: list[Rule]) -> None:
    if ann.has("upstream-scheme"):
        scheme = ann.get("upstream-scheme").strip().lower()
        if scheme == "http":
            ann.record("upstream-scheme", Status.CONVERTED, "HTTP to the backend, the default")
        elif scheme in ("https", "grpcs", "grpc"):
            what = "a GRPCRoute" if scheme == "grpc" else "a BackendTLSPolicy for the Services"
            ann.unsupported(
                "upstream-scheme",
                f"APISIX spoke {scheme} to the backends; the HTTPRoute speaks HTTP: add {what}",
            )
        else:
            ann.invalid(
                "upstream-scheme",
                f"{scheme!r}: the controller accepts http, https, "
                "grpc or grpcs and fails to translate the Ingress otherwise",
            )
    if ann.has("upstream-retries"):
        retries = parse_int(ann.get("upstream-retries"))
        if retries is None or retries < 0:
            ann.invalid("upstream-retries", "not a number")
        elif retries == 0:
            ann.record("upstream-retries", Status.IGNORED, "0 leaves APISIX's default")
        else:
            prov = ann.prov("upstream-retries")
            _each(rules, lambda r: r.extensions.append(Retry(attempts=retries, provenance=[prov])))
    seconds: dict[str, int] = {}
    provs: list[Provenance] = []
    for kind in ("connect", "read", "send"):
        name = f"upstream-{kind}-timeout"
        if not ann.has(name):
            continue
        value = annotation_seconds(ann.get(name))
        if value is None:
            ann.invalid(name, f'{ann.get(name)!r}: whole seconds ("5" or "5s") only')
        elif value > 0:
            seconds[kind] = value
            provs.append(ann.prov(name))
        else:
            ann.record(name, Status.IGNORED, "0 leaves APISIX's default")
    if seconds:
        # upstream.go: once one is set, the others are APISIX's 60 seconds.
        def timeouts() -> Timeouts:
            return Timeouts(
                connect=f"{seconds.get('connect', 60)}s",
                read=f"{seconds.get('read', 60)}s",
                send=f"{seconds.get('send', 60)}s",
                provenance=list(provs),
            )

        _each(rules, lambda r: r.extensions.append(timeouts()))


def _cors(ann: _Ann, rules: list[Rule]) -> None:
    keys = ("enable-cors", "cors-allow-origin", "cors-allow-headers", "cors-allow-methods")
    if not is_true(ann.get("enable-cors")):
        for name in keys:
            ann.record(name, Status.IGNORED, 'enable-cors is not "true"')
        return
    provs = [ann.prov(name) for name in keys if ann.has(name)]

    def add(rule: Rule) -> None:
        cors = Cors(
            allow_origins=split_list(ann.get("cors-allow-origin")) or ["*"],
            allow_methods=split_list(ann.get("cors-allow-methods")) or ["*"],
            allow_headers=split_list(ann.get("cors-allow-headers")) or ["*"],
            max_age=5,
            provenance=list(provs),
        )
        rule.filters.append(CorsFilter(cors, provenance=list(provs)))
        rule.extensions.append(cors)

    _each(rules, add)
    for name in keys:
        ann.record(name, Status.CONVERTED)


def _rewrite(ann: _Ann, rules: list[Rule]) -> None:
    target = ann.get("rewrite-target")
    regex, template = ann.get("rewrite-target-regex"), ann.get("rewrite-target-regex-template")
    if regex and template:
        problem = re2_problem(regex)
        substitution = plugins.regex_template(template)
        if substitution is None:
            ann.invalid(
                "rewrite-target-regex-template",
                f"{template!r} uses APISIX variables; only $1..$9 captures are carried",
            )
        elif problem is not None:
            ann.invalid(
                "rewrite-target-regex",
                f"{regex!r} {problem}: the controller (Go "
                "regexp) refuses it and the Ingress is not translated",
            )
        else:
            provs = [ann.prov("rewrite-target-regex"), ann.prov("rewrite-target-regex-template")]
            if not regex.startswith("^"):
                ann.run.differs(
                    ann.model.source,
                    annotation_field(P + "rewrite-target-regex"),
                    "APISIX (ngx.re.sub) rewrites the first match only; Envoy rewrites every "
                    "match: anchor the pattern with ^ if it can match twice",
                )
            _each(
                rules,
                lambda r: r.extensions.append(
                    RegexRewrite(pattern=regex, substitution=substitution, provenance=list(provs))
                ),
            )
    else:
        for name in ("rewrite-target-regex", "rewrite-target-regex-template"):
            ann.record(
                name,
                Status.IGNORED,
                "applies only with both rewrite-target-regex and rewrite-target-regex-template",
            )
    if target:
        if "$" in target or not target.startswith("/") or grammar.url_path_problem(target):
            ann.invalid(
                "rewrite-target", f"{target!r} is not a path (APISIX variables are not carried)"
            )
            return
        prov = ann.prov("rewrite-target")
        _each(
            rules,
            lambda r: r.filters.append(
                URLRewrite(path=PathModifier("ReplaceFullPath", target), provenance=[prov])
            ),
        )
        if regex and template:
            ann.run.differs(
                ann.model.source,
                annotation_field(P + "rewrite-target"),
                "APISIX applies rewrite-target-regex before rewrite-target "
                "(proxy-rewrite reads regex_uri first); both are carried: check "
                "which one the gateway applies",
            )


def _header_pairs(ann: _Ann, name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in split_list(ann.get(name)):
        key, sep, value = item.partition(":")
        if not sep or not key.strip():
            ann.invalid(name, f"{item!r} is not Name:value; left out")
            continue
        out[key.strip()] = value.strip()
    return out


def _response_rewrite(ann: _Ann, rules: list[Rule]) -> None:
    names = (
        "response-rewrite-add-header",
        "response-rewrite-set-header",
        "response-rewrite-remove-header",
    )
    if not is_true(ann.get("enable-response-rewrite")):
        for name in (
            *names,
            "enable-response-rewrite",
            "response-rewrite-status-code",
            "response-rewrite-body",
            "response-rewrite-body-base64",
        ):
            ann.record(name, Status.IGNORED, 'enable-response-rewrite is not "true"')
        return
    add = _header_pairs(ann, names[0])
    set_ = _header_pairs(ann, names[1])
    remove = split_list(ann.get(names[2]))
    if add or set_ or remove:
        provs = [ann.prov(n) for n in names if ann.has(n)]
        _each(
            rules,
            lambda r: r.filters.append(
                HeaderModifier(
                    response=True,
                    add=dict(add),
                    set=dict(set_),
                    remove=list(remove),
                    provenance=list(provs),
                )
            ),
        )


def _access(ann: _Ann, rules: list[Rule]) -> None:
    allow = split_list(ann.get("allowlist-source-range"))
    deny = split_list(ann.get("blocklist-source-range"))
    if allow or deny:
        provs = [
            ann.prov(n)
            for n in ("allowlist-source-range", "blocklist-source-range")
            if ann.has(n) and split_list(ann.get(n))
        ]
        _each(
            rules,
            lambda r: r.extensions.append(
                IPAccess(allow=list(allow), deny=list(deny), provenance=list(provs))
            ),
        )
    auth = ann.get("auth-type")
    if ann.has("auth-type"):
        prov = ann.prov("auth-type")
        if auth == "keyAuth":
            # APISIX key-auth reads header "apikey", then query "apikey".
            _each(
                rules,
                lambda r: r.extensions.append(
                    APIKeyAuth(
                        key_names=["apikey"], in_header=True, in_query=True, provenance=[prov]
                    )
                ),
            )
        elif auth == "basicAuth":
            _each(
                rules, lambda r: r.extensions.append(BasicAuth(secret_name="", provenance=[prov]))
            )
        else:
            ann.invalid(
                "auth-type",
                f"{auth!r}: the controller enables an auth plugin only for "
                "keyAuth or basicAuth, so no authentication applied",
            )
        if auth in ("keyAuth", "basicAuth"):
            ann.run.fyi(
                ann.model.source,
                annotation_field(P + "auth-type"),
                "APISIX checks the credentials of ApisixConsumer objects; re-create "
                "them for the gateway's authentication",
            )
    uri = ann.get("auth-uri")
    if uri:
        provs = [ann.prov(n) for n in ("auth-uri", "auth-upstream-headers") if ann.has(n)]
        headers = split_list(ann.get("auth-upstream-headers"))
        _each(
            rules,
            lambda r: r.extensions.append(
                ExternalAuth(url=uri, response_headers=list(headers), provenance=list(provs))
            ),
        )
        for name in ("auth-ssl-verify", "auth-request-headers", "auth-client-headers"):
            ann.record(
                name,
                Status.PARTIAL,
                "forward-auth detail the auth extension does not "
                "carry; check the gateway's external-auth settings",
            )
    else:
        for name in (
            "auth-ssl-verify",
            "auth-request-headers",
            "auth-upstream-headers",
            "auth-client-headers",
        ):
            ann.record(name, Status.IGNORED, "applies only with auth-uri")


def _redirects(ann: _Ann, rules: list[Rule], redirects: dict[int, RequestRedirect]) -> None:
    if is_true(ann.get("http-to-https")):
        prov = ann.prov("http-to-https")
        for rule in rules:
            redirects[id(rule)] = RequestRedirect(
                scheme="https", status_code=301, provenance=[prov]
            )
        for name in ("http-redirect", "http-redirect-code"):
            ann.record(name, Status.IGNORED, "http-to-https takes precedence")
        return
    if ann.has("http-to-https"):
        ann.record("http-to-https", Status.IGNORED, 'only "true" enables it')
    target = ann.get("http-redirect")
    if not target:
        ann.record("http-redirect-code", Status.IGNORED, "applies only with http-redirect")
        return
    code = parse_int(ann.get("http-redirect-code")) or 0
    if not 301 <= code <= 308:
        code = 301  # redirect.go: anything outside 301..308 is 301
    if code not in (301, 302, 303, 307, 308):
        ann.invalid(
            "http-redirect-code",
            f"{code}: Gateway API redirects with 301, 302, 303, 307 or 308; 302 is used",
        )
        code = 302
    provs = [ann.prov(n) for n in ("http-redirect", "http-redirect-code") if ann.has(n)]
    redirect = plugins.redirect_to(target, code, provs)
    if redirect is None:
        ann.invalid(
            "http-redirect",
            f"{target!r} uses APISIX variables or is not a URL or "
            "path; the rules keep their backends",
        )
        return
    for rule in rules:
        rule.backend_refs = []
        rule.filters = [f for f in rule.filters if not isinstance(f, URLRewrite)]
        rule.filters.append(copy.copy(redirect))


def _methods(ann: _Ann, pairs: list[tuple[HTTPRoute, Rule]]) -> None:
    allow = [m.upper() for m in split_list(ann.get("http-allow-methods"))]
    block = [m.upper() for m in split_list(ann.get("http-block-methods"))]
    if not allow and not block:
        return
    if allow and block:
        ann.record("http-block-methods", Status.IGNORED, "http-allow-methods takes precedence")
    methods = allow or [m for m in _METHODS if m not in block]
    bad = [m for m in methods if m not in _METHODS]
    if bad:
        ann.invalid(
            "http-allow-methods",
            f"{', '.join(bad)}: not HTTP methods Gateway API can match; left out",
        )
        methods = [m for m in methods if m in _METHODS]
    name = "http-allow-methods" if allow else "http-block-methods"
    prov = ann.prov(name)
    for route, rule in pairs:
        refusal = Rule(
            matches=[Match(path=m.path) for m in rule.matches],
            provenance=[prov],
            sources=list(rule.sources),
            closed_status=405,
        )
        rule.matches = [
            Match(path=m.path, headers=m.headers, query_params=m.query_params, method=method)
            for m in rule.matches
            for method in methods
        ]
        rule.provenance.append(prov)
        route.rules.insert(route.rules.index(rule) + 1, refusal)
    ann.run.differs(
        ann.model.source,
        annotation_field(P + name),
        "APISIX answers 405 to the other methods; the converted rule refuses them with 405 on "
        "envoy-gateway and with 500 on the standard emitter (a rule without backends)",
    )
    ann.record(name, Status.CONVERTED)


def finish_https(run: ApisixRun, routes: list[HTTPRoute]) -> None:
    """APISIX serves every route of a host over HTTPS once any certificate (an Ingress TLS
    entry or an ApisixTls) covers the host: each route on a host's HTTP listener also takes
    the host's HTTPS listener; then the rules redirected to https are split."""
    for route in routes:
        http, _ = _split_parents(run, route)
        named = {(p.name, p.namespace, p.section_name) for p in route.parent_refs}
        for parent in http:
            gateway = _gateway_of(run, route, parent)
            listener = (
                gateway.listener(parent.section_name) if gateway and parent.section_name else None
            )
            if gateway is None or listener is None or listener.hostname is None:
                continue
            for other in gateway.listeners:
                if other.protocol != "HTTPS" or other.hostname != listener.hostname:
                    continue
                ref = gateway.parent_ref(route.namespace, other.name)
                if (ref.name, ref.namespace, ref.section_name) not in named:
                    route.parent_refs.append(ref)
                    named.add((ref.name, ref.namespace, ref.section_name))
                    if route.namespace != gateway.namespace:
                        other.allowed_namespaces.add(route.namespace)
    if run.redirects:
        https_redirects(run, routes, run.redirects)
        run.redirects.clear()


def _gateway_of(run: ApisixRun, route: HTTPRoute, parent: ParentRef) -> Gateway | None:
    namespace = parent.namespace or route.namespace
    for gateway in run.ctx.ir.gateways:
        if gateway.name == parent.name and gateway.namespace == namespace:
            return gateway
    return None


def https_redirects(
    run: ApisixRun, routes: list[HTTPRoute], redirects: dict[int, RequestRedirect]
) -> None:
    """Rules redirected to https (plain HTTP only): their HTTP side redirects, HTTPS serves."""
    for route in list(routes):
        marked = [r for r in route.rules if id(r) in redirects]
        if not marked:
            continue
        http, https = _split_parents(run, route)
        if not https:
            for rule in marked:
                _to_redirect(rule, redirects[id(rule)])
            continue
        twin = HTTPRoute(
            name=run.ctx.allocator("HTTPRoute", route.namespace).allocate(
                f"{route.name}-http", f"apisix/https-redirect/{route.namespace}/{route.name}"
            ),
            namespace=route.namespace,
            hostnames=list(route.hostnames),
            parent_refs=http,
            provenance=list(route.provenance),
        )
        for rule in route.rules:
            copied = Rule(
                matches=list(rule.matches),
                backend_refs=list(rule.backend_refs),
                filters=list(rule.filters),
                extensions=list(rule.extensions),
                provenance=list(rule.provenance),
                sources=list(rule.sources),
                closed_status=rule.closed_status,
            )
            if id(rule) in redirects:
                _to_redirect(copied, redirects[id(rule)])
            twin.rules.append(copied)
        route.parent_refs = https
        run.ctx.ir.routes.append(twin)


def _to_redirect(rule: Rule, redirect: RequestRedirect) -> None:
    rule.backend_refs = []
    rule.filters = [copy.copy(redirect)]
    # Access controls stay: a redirect rule is closed like the rule it replaces when the
    # emitter cannot carry them (APISIX runs auth plugins before or after redirect depending
    # on phase and priority; keeping them never opens access).


def _split_parents(run: ApisixRun, route: HTTPRoute) -> tuple[list, list]:  # type: ignore[type-arg]
    http, https = [], []
    for parent in route.parent_refs:
        namespace = parent.namespace or route.namespace
        listener = None
        for gateway in run.ctx.ir.gateways:
            if gateway.name == parent.name and gateway.namespace == namespace:
                listener = gateway.listener(parent.section_name) if parent.section_name else None
        if listener is not None and listener.protocol == "HTTPS":
            https.append(parent)
        else:
            http.append(parent)
    return http, https
