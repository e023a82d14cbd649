"""Middleware (``traefik.io/v1alpha1``, also ``traefik.containo.us``), applied to the rules of
the routers that name them, in the order named (``chain`` expands in place).

* ``addPrefix``, ``stripPrefix``, ``replacePath`` → URLRewrite (a prefix rewrite only where the
  rule's match is that prefix; otherwise a regular-expression rewrite extension);
  ``stripPrefixRegex``, ``replacePathRegex`` → regex rewrite extension.
* ``redirectScheme`` → RequestRedirect (Traefik answers 302/301 to GET and 307/308 to other
  methods; Gateway API has one code: 302/301). ``redirectRegex`` → RequestRedirect where the
  expression only replaces the scheme or host, else reported.
* ``headers`` → request/response header modifiers (an empty value removes the header, as in
  Traefik), the security headers as fixed response headers, the CORS fields as the CORS filter.
* ``basicAuth``, ``forwardAuth``, ``ipAllowList``/``ipWhiteList`` → security extensions (the
  rules are emitted closed where the emitter cannot carry them); ``digestAuth`` has no
  carrier: the rules are closed.
* ``rateLimit``, ``buffering``, ``retry``, ``errors`` → extensions; ``inFlightReq``,
  ``circuitBreaker``, ``compress`` and the others are reported.

A Middleware that is missing, or in another namespace while ``allow-cross-namespace`` is off,
makes Traefik refuse the router: its rules are not converted (reported).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BasicAuth,
    BodySize,
    Cors,
    CorsFilter,
    CustomErrors,
    Extension,
    ExternalAuth,
    Filter,
    HeaderModifier,
    IPAccess,
    Match,
    PathModifier,
    Provenance,
    RateLimit,
    RefusedControl,
    RegexRewrite,
    RequestRedirect,
    Retry,
    URLRewrite,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Level, Status

from .common import TraefikRun, as_dict, as_list, parse_bool, parse_int
from .regex import re2_problem

KINDS = (
    "addPrefix",
    "stripPrefix",
    "stripPrefixRegex",
    "replacePath",
    "replacePathRegex",
    "redirectScheme",
    "redirectRegex",
    "headers",
    "basicAuth",
    "digestAuth",
    "forwardAuth",
    "ipAllowList",
    "ipWhiteList",
    "rateLimit",
    "inFlightReq",
    "buffering",
    "compress",
    "chain",
    "retry",
    "circuitBreaker",
    "errors",
    "passTLSClientCert",
    "contentType",
    "grpcWeb",
    "encodedCharacters",
    "plugin",
)
SECURITY_KINDS = frozenset({"basicAuth", "digestAuth", "forwardAuth", "ipAllowList", "ipWhiteList"})
_NOT_CARRIED = {
    "inFlightReq": "a per-source limit of requests in flight has no Gateway API equivalent",
    "circuitBreaker": "Traefik's expression-driven circuit breaker has no Gateway API equivalent",
    "compress": "response compression is the implementation's (Envoy Gateway: a BackendTrafficPolicy compression setting)",
    "passTLSClientCert": "passing the client certificate in a header has no Gateway API equivalent",
    "contentType": "Content-Type auto-detection has no Gateway API equivalent",
    "grpcWeb": "gRPC-Web translation has no Gateway API equivalent",
    "encodedCharacters": "encoded-character filtering has no Gateway API equivalent",
    "plugin": "Traefik plugins have no Gateway API equivalent",
}
_SECURITY_HEADERS = (
    ("contentTypeNosniff", "X-Content-Type-Options"),
    ("contentSecurityPolicy", "Content-Security-Policy"),
    ("contentSecurityPolicyReportOnly", "Content-Security-Policy-Report-Only"),
    ("referrerPolicy", "Referrer-Policy"),
    ("permissionsPolicy", "Permissions-Policy"),
    ("publicKey", "Public-Key-Pins"),
)
_CORS_FIELDS = (
    "accessControlAllowCredentials",
    "accessControlAllowHeaders",
    "accessControlAllowMethods",
    "accessControlAllowOriginList",
    "accessControlAllowOriginListRegex",
    "accessControlExposeHeaders",
    "accessControlMaxAge",
    "addVaryHeader",
)


@dataclass
class Effects:
    filters: list[Filter] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    prior: list[Filter] = field(default_factory=list)
    """The filters earlier middlewares put on the rule: a path rewrite composes with theirs
    (Gateway API allows one URLRewrite per rule)."""


def _prior_rewrite(out: Effects) -> URLRewrite | None:
    for item in out.prior:
        if isinstance(item, URLRewrite) and item.path is not None:
            return item
    return None


def _compose(
    run: TraefikRun, out: Effects, prov: list[Provenance], strip: str | None, add: str | None
) -> bool:
    """Apply a strip/add to the rewrite an earlier middleware made; False when there is none."""
    prior = _prior_rewrite(out)
    if prior is None or prior.path is None:
        return False
    current = prior.path.value
    if add is not None:
        joined = add.rstrip("/") + current if current != "/" else add
        prior.path = PathModifier(prior.path.type, joined or "/")
    elif strip is not None:
        if not current.startswith(strip.rstrip("/")):
            run.unsupported(
                prov[0].source,
                prov[0].field,
                f"stripPrefix {strip!r} after a rewrite to {current!r}: it strips nothing there",
            )
            return True
        rest = current[len(strip.rstrip("/")) :]
        prior.path = PathModifier(prior.path.type, rest if rest.startswith("/") else "/" + rest)
    prior.provenance.extend(prov)
    run.record(prov[0].source, prov[0].field, Status.CONVERTED)
    return True


def kind_of(obj: KubeObject) -> str | None:
    """The Middleware's type: the one known key of its spec (Traefik refuses several)."""
    found = [key for key in obj.spec if key in KINDS]
    return found[0] if len(found) == 1 else None


def resolve(
    run: TraefikRun,
    namespace: str | None,
    name: str,
    origin: Provenance,
) -> KubeObject | None:
    """The Middleware ``namespace/name`` a router in ``origin`` names; None (reported) when
    Traefik would not find it, so the router is refused."""
    found = run.find("Middleware", namespace, name)
    if found is None:
        run.missing(
            origin.source,
            origin.field,
            f"Middleware {namespace}/{name} is not in the input: Traefik refuses a router "
            "whose middleware is missing, so its rules are not converted",
        )
        return None
    if (found.namespace or "default") != (
        origin.source.namespace or "default"
    ) and not run.allow_cross_namespace:
        run.invalid(
            origin.source,
            origin.field,
            f"Middleware {namespace}/{name} is in another namespace and Traefik's "
            "allowCrossNamespace is off (the default; see the allow-cross-namespace option): "
            "Traefik refuses the router, so its rules are not converted",
        )
        return None
    return found


def resolve_ingress_reference(
    run: TraefikRun, namespace: str | None, text: str, origin: Provenance
) -> KubeObject | None:
    """``router.middlewares`` items: ``<namespace>-<name>@kubernetescrd``; a name without
    provider is the Ingress's own namespace's."""
    name, _, provider = text.partition("@")
    if provider and provider != "kubernetescrd":
        return None
    if not provider:
        return resolve(run, namespace, name, origin)
    candidates = [
        obj
        for (kind, ns, obj_name), obj in sorted(
            run.objects.items(), key=lambda kv: (kv[0][1] or "", kv[0][2])
        )
        if kind == "Middleware" and f"{ns}-{obj_name}" == name
    ]
    if not candidates:
        run.missing(
            origin.source,
            origin.field,
            f"Middleware {text} is not in the input: Traefik refuses a router whose "
            "middleware is missing, so the Ingress's rules are not converted",
        )
        return None
    found = candidates[0]
    return resolve(run, found.namespace, found.name or "", origin)


def expand(
    run: TraefikRun, obj: KubeObject, origin: Provenance, seen: tuple[int, ...] = ()
) -> list[KubeObject] | None:
    """``obj`` itself, or the Middlewares of a ``chain`` in order (nested chains expanded);
    None when one is missing or the chain loops (Traefik refuses the router)."""
    if id(obj) in seen or len(seen) > 32:
        run.invalid(obj.source(), "spec.chain", "the chain names itself: Traefik refuses it")
        return None
    if kind_of(obj) != "chain":
        return [obj]
    run.use(obj)
    result: list[KubeObject] = []
    for index, item in enumerate(as_list(as_dict(obj.spec.get("chain")).get("middlewares"))):
        ref = as_dict(item)
        name = ref.get("name")
        if not isinstance(name, str) or not name:
            run.invalid(obj.source(), f"spec.chain.middlewares[{index}]", "no name")
            return None
        namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else obj.namespace
        where = Provenance(obj.source(), f"spec.chain.middlewares[{index}]")
        found = resolve(run, namespace, name, where)
        if found is None:
            return None
        inner = expand(run, found, where, (*seen, id(obj)))
        if inner is None:
            return None
        result.extend(inner)
    run.record(obj.source(), "spec.chain", Status.CONVERTED, "expanded in place")
    return result


def effects(
    run: TraefikRun, obj: KubeObject, match: Match | None, prior: list[Filter] | None = None
) -> Effects:
    """Filters and extensions for one rule (whose match is ``match``, whose filters so far are
    ``prior``) the middleware runs on."""
    run.use(obj)
    kind = kind_of(obj)
    source = obj.source()
    out = Effects(prior=list(prior or []))
    if kind is None:
        run.invalid(source, "spec", "a Middleware needs exactly one known type; Traefik refuses it")
        out.extensions.append(
            RefusedControl(
                what=f"Middleware {obj.namespace}/{obj.name} (of no known type)",
                provenance=[Provenance(source, "spec")],
            )
        )
        return out
    spec = as_dict(obj.spec.get(kind))
    field_path = f"spec.{kind}"
    prov = [Provenance(source, field_path)]
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(run, obj, spec, match, out, prov)
    elif kind in _NOT_CARRIED and not run.report.has_entry(source, field_path):
        run.unsupported(source, field_path, f"{kind}: {_NOT_CARRIED[kind]}")
    return out


def _closed(run: TraefikRun, out: Effects, prov: list[Provenance], what: str) -> None:
    out.extensions.append(RefusedControl(what=what, provenance=list(prov)))


def _rewrite_prefix(
    run: TraefikRun,
    obj: KubeObject,
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
    strip: str | None,
    add: str | None,
) -> None:
    """stripPrefix / addPrefix as URLRewrite where the rule's path match allows it."""
    path = match.path if match is not None else None
    source, field_path = prov[0].source, prov[0].field
    if _compose(run, out, prov, strip, add):
        return
    if add is not None:
        if grammar.url_path_problem(add) is not None or not add.startswith("/"):
            run.invalid(source, field_path, f"prefix {add!r} is not an absolute path")
            return
        if path is None or (path.type == "PathPrefix" and path.value == "/"):
            out.filters.append(
                URLRewrite(path=PathModifier("ReplacePrefixMatch", add), provenance=list(prov))
            )
        elif path.type == "PathPrefix":
            out.filters.append(
                URLRewrite(
                    path=PathModifier("ReplacePrefixMatch", add.rstrip("/") + path.value),
                    provenance=list(prov),
                )
            )
        elif path.type == "Exact":
            out.filters.append(
                URLRewrite(
                    path=PathModifier("ReplaceFullPath", add.rstrip("/") + path.value),
                    provenance=list(prov),
                )
            )
        else:
            out.extensions.append(
                RegexRewrite(
                    pattern="^(.*)$", substitution=add.rstrip("/") + "\\1", provenance=list(prov)
                )
            )
        run.record(source, field_path, Status.CONVERTED)
        return
    assert strip is not None
    if (
        path is not None
        and path.type == "PathPrefix"
        and path.value.rstrip("/") == strip.rstrip("/")
    ):
        out.filters.append(
            URLRewrite(path=PathModifier("ReplacePrefixMatch", "/"), provenance=list(prov))
        )
    elif path is not None and path.type == "Exact" and path.value.startswith(strip):
        rest = path.value[len(strip) :]
        out.filters.append(
            URLRewrite(
                path=PathModifier("ReplaceFullPath", rest if rest.startswith("/") else "/" + rest),
                provenance=list(prov),
            )
        )
    else:
        out.extensions.append(
            RegexRewrite(
                pattern="^" + re.escape(strip) + "/?(.*)$",
                substitution="/\\1",
                provenance=list(prov),
            )
        )
    run.record(source, field_path, Status.CONVERTED)


def _add_prefix(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    prefix = spec.get("prefix")
    if not isinstance(prefix, str):
        run.invalid(prov[0].source, prov[0].field, "addPrefix needs a prefix")
        return
    _rewrite_prefix(run, obj, match, out, prov, None, prefix)


def _strip_prefix(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    prefixes = [p for p in as_list(spec.get("prefixes")) if isinstance(p, str) and p]
    if not prefixes:
        run.invalid(prov[0].source, prov[0].field, "stripPrefix needs prefixes")
        return
    path = match.path if match is not None else None
    # Traefik strips the first prefix the path starts with: the one the match guarantees.
    chosen = prefixes[0]
    if path is not None and path.type in ("PathPrefix", "Exact"):
        for prefix in prefixes:
            if path.value.startswith(prefix.rstrip("/")):
                chosen = prefix
                break
    if len(prefixes) > 1 and (path is None or path.type == "RegularExpression"):
        pattern = "^(?:" + "|".join(re.escape(p) for p in prefixes) + ")/?(.*)$"
        out.extensions.append(
            RegexRewrite(pattern=pattern, substitution="/\\1", provenance=list(prov))
        )
        run.record(prov[0].source, prov[0].field, Status.CONVERTED)
        return
    _rewrite_prefix(run, obj, match, out, prov, chosen, None)


def _strip_prefix_regex(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    patterns = [p for p in as_list(spec.get("regex")) if isinstance(p, str) and p]
    bad = [p for p in patterns if re2_problem(p)]
    if not patterns or bad:
        run.invalid(
            prov[0].source,
            prov[0].field,
            f"stripPrefixRegex needs valid RE2 expressions ({', '.join(bad)[:200]})",
        )
        return
    pattern = "^(?:" + "|".join(f"(?:{p})" for p in patterns) + ")/?(.*)$"
    out.extensions.append(RegexRewrite(pattern=pattern, substitution="/\\1", provenance=list(prov)))


def _replace_path(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    path = spec.get("path")
    if not isinstance(path, str) or grammar.url_path_problem(path) is not None:
        run.invalid(
            prov[0].source, prov[0].field, f"replacePath path {path!r} is not an absolute path"
        )
        return
    prior = _prior_rewrite(out)
    if prior is not None:
        prior.path = PathModifier("ReplaceFullPath", path)
        prior.provenance.extend(prov)
    else:
        out.filters.append(
            URLRewrite(path=PathModifier("ReplaceFullPath", path), provenance=list(prov))
        )
    run.record(prov[0].source, prov[0].field, Status.CONVERTED)


def _go_replacement(text: str) -> str:
    """Go's ``$1`` / ``${1}`` as the ``\\1`` of a regex rewrite."""
    return re.sub(r"\$\{?(\d+)\}?", lambda m: "\\" + m.group(1), text)


def _replace_path_regex(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    pattern, replacement = spec.get("regex"), spec.get("replacement")
    if not isinstance(pattern, str) or not isinstance(replacement, str) or re2_problem(pattern):
        run.invalid(
            prov[0].source, prov[0].field, "replacePathRegex needs an RE2 regex and a replacement"
        )
        return
    out.extensions.append(
        RegexRewrite(
            pattern=pattern, substitution=_go_replacement(replacement), provenance=list(prov)
        )
    )


def _redirect_scheme(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    source, field_path = prov[0].source, prov[0].field
    scheme = spec.get("scheme") if isinstance(spec.get("scheme"), str) else "https"
    if scheme not in ("http", "https"):
        run.invalid(
            source, field_path, f"scheme {scheme!r}: Gateway API redirects to http or https only"
        )
        return
    port = parse_int(spec.get("port")) if spec.get("port") is not None else None
    if port is not None and not 0 < port < 65536:
        run.invalid(source, field_path, f"port {spec.get('port')!r} is not a port")
        return
    permanent = parse_bool(spec.get("permanent")) is True
    out.filters.append(
        RequestRedirect(
            scheme=scheme, port=port, status_code=301 if permanent else 302, provenance=list(prov)
        )
    )
    run.report.flag(
        Level.INFO,
        "traefik-behaviour-differs",
        f"redirectScheme: Traefik answers {'301' if permanent else '302'} to GET and "
        f"{'308' if permanent else '307'} to other methods; the redirect answers "
        f"{'301' if permanent else '302'} to every method",
        Status.CONVERTED,
        source=source,
        field=field_path,
        provider=run.provider,
    )


def _redirect_regex(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    source, field_path = prov[0].source, prov[0].field
    pattern, replacement = spec.get("regex"), spec.get("replacement")
    permanent = parse_bool(spec.get("permanent")) is True
    if not isinstance(pattern, str) or not isinstance(replacement, str) or re2_problem(pattern):
        run.invalid(source, field_path, "redirectRegex needs an RE2 regex and a replacement")
        return
    # ^http://(.*) → https://${1}: a scheme redirect, the only shape carried exactly.
    found = re.fullmatch(r"\^?http://\(\.\*\)\$?", pattern)
    if found and re.fullmatch(r"https://\$\{?1\}?", replacement):
        out.filters.append(
            RequestRedirect(
                scheme="https", status_code=301 if permanent else 302, provenance=list(prov)
            )
        )
        run.record(source, field_path, Status.CONVERTED, "an http → https scheme redirect")
        return
    run.unsupported(
        source,
        field_path,
        f"redirectRegex {pattern!r} → {replacement!r}: Gateway API redirects cannot compute the "
        "target from a regular expression; not converted (the requests reach the backend)",
    )


def _headers(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    source, field_path = prov[0].source, prov[0].field
    left_out: list[str] = []
    for response, key in ((False, "customRequestHeaders"), (True, "customResponseHeaders")):
        values = as_dict(spec.get(key))
        if not values:
            continue
        modifier = HeaderModifier(
            response=response, provenance=[Provenance(source, f"{field_path}.{key}")]
        )
        for name in sorted(values):
            value = values[name]
            text = value if isinstance(value, str) else str(value)
            if grammar.header_name_problem(name) or (text and grammar.header_value_problem(text)):
                left_out.append(f"{key}.{name}")
                continue
            if text == "":
                modifier.remove.append(name)
            else:
                modifier.set[name] = text
        if modifier.set or modifier.remove:
            out.filters.append(modifier)
    security = HeaderModifier(response=True, provenance=list(prov))
    sts = parse_int(spec.get("stsSeconds"))
    if sts:
        value = f"max-age={sts}"
        if parse_bool(spec.get("stsIncludeSubdomains")):
            value += "; includeSubDomains"
        if parse_bool(spec.get("stsPreload")):
            value += "; preload"
        security.set["Strict-Transport-Security"] = value
    frame = spec.get("customFrameOptionsValue")
    if isinstance(frame, str) and frame:
        security.set["X-Frame-Options"] = frame
    elif parse_bool(spec.get("frameDeny")):
        security.set["X-Frame-Options"] = "DENY"
    xss = spec.get("customBrowserXSSValue")
    if isinstance(xss, str) and xss:
        security.set["X-XSS-Protection"] = xss
    elif parse_bool(spec.get("browserXssFilter")):
        security.set["X-XSS-Protection"] = "1; mode=block"
    for key, header in _SECURITY_HEADERS:
        value = spec.get(key)
        if key == "contentTypeNosniff":
            if parse_bool(value):
                security.set[header] = "nosniff"
        elif isinstance(value, str) and value:
            security.set[header] = value
    for header, value in list(security.set.items()):
        if grammar.header_value_problem(value):
            left_out.append(header)
            del security.set[header]
    if security.set:
        out.filters.append(security)
    cors_keys = [k for k in _CORS_FIELDS if k in spec]
    if cors_keys:
        origins = [
            o for o in as_list(spec.get("accessControlAllowOriginList")) if isinstance(o, str)
        ]
        good = [o for o in origins if o == "*" or grammar.origin_problem(o) is None]
        left_out.extend(f"origin {o}" for o in origins if o not in good)
        if "accessControlAllowOriginListRegex" in spec:
            left_out.append("accessControlAllowOriginListRegex")
        cors = Cors(
            allow_origins=good,
            allow_methods=[
                m
                for m in as_list(spec.get("accessControlAllowMethods"))
                if isinstance(m, str) and grammar.is_token(m)
            ],
            allow_headers=[
                h
                for h in as_list(spec.get("accessControlAllowHeaders"))
                if isinstance(h, str) and grammar.header_name_problem(h) is None
            ],
            expose_headers=[
                h
                for h in as_list(spec.get("accessControlExposeHeaders"))
                if isinstance(h, str) and grammar.header_name_problem(h) is None
            ],
            allow_credentials=parse_bool(spec.get("accessControlAllowCredentials")),
            max_age=parse_int(spec.get("accessControlMaxAge")),
            provenance=[Provenance(source, f"{field_path}.{k}") for k in cors_keys],
        )
        if cors.allow_origins:
            out.filters.append(CorsFilter(cors, provenance=list(cors.provenance)))
            out.extensions.append(cors)
    for key in (
        "allowedHosts",
        "hostsProxyHeaders",
        "sslRedirect",
        "sslTemporaryRedirect",
        "sslHost",
        "sslProxyHeaders",
        "sslForceHost",
        "isDevelopment",
        "forceSTSHeader",
    ):
        if key in spec:
            left_out.append(key)
    if left_out:
        run.report.flag(
            Level.WARNING,
            "traefik-feature-unsupported",
            f"headers: not carried: {', '.join(sorted(set(left_out)))[:400]} (invalid values, "
            "or settings without a Gateway API equivalent)",
            Status.PARTIAL,
            source=source,
            field=field_path,
            provider=run.provider,
        )
    elif not cors_keys:
        run.record(source, field_path, Status.CONVERTED)


def _secret_name(spec: dict[str, object]) -> str | None:
    secret = spec.get("secret")
    return secret if isinstance(secret, str) and secret else None


def _basic_auth(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    secret = _secret_name(spec)
    if secret is None:
        _closed(run, out, prov, "basicAuth without a secret (users inline are not carried)")
        return
    realm_value = spec.get("realm")
    realm = realm_value if isinstance(realm_value, str) else None
    out.extensions.append(
        BasicAuth(
            secret_name=secret, secret_namespace=obj.namespace, realm=realm, provenance=list(prov)
        )
    )


def _digest_auth(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    _closed(run, out, prov, f"digest authentication (Middleware {obj.namespace}/{obj.name})")


def _forward_auth(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    address = spec.get("address")
    if not isinstance(address, str) or grammar.url_problem(address) is not None:
        _closed(
            run,
            out,
            prov,
            f"forwardAuth with an address that is not an http(s) URL ({str(address)[:80]!r})",
        )
        return
    headers = [
        h
        for h in as_list(spec.get("authResponseHeaders"))
        if isinstance(h, str) and grammar.header_name_problem(h) is None
    ]
    out.extensions.append(
        ExternalAuth(url=address, response_headers=headers, provenance=list(prov))
    )


def _ip_allow(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    ranges = [r for r in as_list(spec.get("sourceRange")) if isinstance(r, str)]
    good = [str(network) for item in ranges if (network := _network(item)) is not None]
    if len(good) != len(ranges) or not good:
        _closed(run, out, prov, "an IP allow-list with entries that are not addresses or CIDRs")
        return
    out.extensions.append(IPAccess(allow=good, provenance=list(prov)))
    if "ipStrategy" in spec:
        run.differs(
            prov[0].source,
            f"{prov[0].field}.ipStrategy",
            "ipStrategy: Traefik took the client address from X-Forwarded-For; the allow-list "
            "uses the gateway's client-address setting (check it)",
        )


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _rate_limit(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    average = parse_int(spec.get("average"))
    period = spec.get("period", "1s")
    units: dict[object, Literal["Second", "Minute", "Hour"]] = {
        "1s": "Second",
        "1m": "Minute",
        "1h": "Hour",
        "60s": "Minute",
        "3600s": "Hour",
        1: "Second",
    }
    unit = units.get(period) if isinstance(period, (str, int)) else None
    if not average:
        run.record(prov[0].source, prov[0].field, Status.IGNORED, "average 0: no limit")
        return
    if unit is None or average < 0:
        run.unsupported(
            prov[0].source,
            prov[0].field,
            f"rateLimit period {period!r} is not one second, minute or hour",
        )
        return
    burst = parse_int(spec.get("burst"))
    out.extensions.append(
        RateLimit(
            requests=average, unit=unit, burst=burst, per_client_ip=True, provenance=list(prov)
        )
    )


def _buffering(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    limit = parse_int(spec.get("maxRequestBodyBytes"))
    if limit is None or limit <= 0:
        run.record(prov[0].source, prov[0].field, Status.IGNORED, "no request body limit to carry")
        return
    out.extensions.append(BodySize(max_bytes=limit, provenance=list(prov)))


def _retry(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    attempts = parse_int(spec.get("attempts"))
    if attempts is None or attempts <= 0:
        run.invalid(prov[0].source, prov[0].field, "retry needs attempts > 0")
        return
    out.extensions.append(Retry(attempts=attempts, provenance=list(prov)))


def _errors(
    run: TraefikRun,
    obj: KubeObject,
    spec: dict[str, object],
    match: Match | None,
    out: Effects,
    prov: list[Provenance],
) -> None:
    codes: list[int] = []
    for item in as_list(spec.get("status")):
        text = str(item)
        low, _, high = text.partition("-")
        start, end = parse_int(low), parse_int(high or low)
        if start is None or end is None or not 100 <= start <= end <= 599 or end - start > 100:
            continue
        codes.extend(range(start, end + 1))
    service = as_dict(spec.get("service")).get("name")
    codes = sorted(set(codes))
    if len(codes) > 50:
        # Envoy Gateway (and Gateway API policies generally) take at most 50 codes.
        run.unsupported(
            prov[0].source,
            prov[0].field,
            f"errors: {len(codes)} status codes; only the first 50 ({codes[0]}-{codes[49]}) "
            "are carried",
        )
        codes = codes[:50]
    out.extensions.append(
        CustomErrors(
            codes=codes,
            backend=service if isinstance(service, str) else None,
            provenance=list(prov),
        )
    )


_HANDLERS = {
    "addPrefix": _add_prefix,
    "stripPrefix": _strip_prefix,
    "stripPrefixRegex": _strip_prefix_regex,
    "replacePath": _replace_path,
    "replacePathRegex": _replace_path_regex,
    "redirectScheme": _redirect_scheme,
    "redirectRegex": _redirect_regex,
    "headers": _headers,
    "basicAuth": _basic_auth,
    "digestAuth": _digest_auth,
    "forwardAuth": _forward_auth,
    "ipAllowList": _ip_allow,
    "ipWhiteList": _ip_allow,
    "rateLimit": _rate_limit,
    "buffering": _buffering,
    "retry": _retry,
    "errors": _errors,
}
