"""APISIX plugins (ApisixRoute ``plugins``, ApisixPluginConfig, the annotations' plugins).

Each enabled plugin becomes what it means in Gateway API, where it has a meaning:

* ``proxy-rewrite``: ``uri`` → URLRewrite ReplaceFullPath, ``host`` → URLRewrite hostname,
  ``headers`` → a request header modifier, ``regex_uri`` → a regex-rewrite extension.
* ``redirect``: ``http_to_https`` → a 301 redirect to https (plain HTTP only), ``uri`` → a
  RequestRedirect (``ret_code``, default 302).
* ``cors`` → the CORS filter; ``response-rewrite`` headers → a response header modifier
  (status and body rewrites are reported).
* ``ip-restriction``, ``key-auth``, ``basic-auth``, ``jwt-auth``, ``forward-auth``,
  ``openid-connect`` → access-control extensions; other access-control plugins (``wolf-rbac``,
  ``ldap-auth``, ``hmac-auth``, ``consumer-restriction``, ``authz-*``, ``opa``, ...) → an
  access control no emitter carries. Rules they protect are emitted **closed** unless the
  emitter carries the control: a migration never widens access.
* ``limit-count`` / ``limit-req`` → rate-limit extension; ``client-control`` → body size.
* ``serverless-*`` and ``ext-plugin-*`` run code, which is never copied; other plugins are
  reported. A plugin with ``enable: false`` did nothing and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    APIKeyAuth,
    BasicAuth,
    BodySize,
    Cors,
    CorsFilter,
    Extension,
    ExternalAuth,
    Filter,
    HeaderModifier,
    IPAccess,
    JWTAuth,
    OIDCAuth,
    PathModifier,
    Provenance,
    RateLimit,
    RegexRewrite,
    RequestRedirect,
    Unrepresentable,
    URLRewrite,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Status

from .common import ApisixRun, parse_int
from .paths import re2_problem


@dataclass(eq=False, slots=True)
class AccessControl(Extension):
    """An APISIX access-control plugin no Gateway API concept carries (wolf-rbac, ldap-auth,
    consumer-restriction, ...): the rules it protects are closed."""

    KIND: ClassVar[str] = "access-control"
    SECURITY: ClassVar[bool] = True
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass
class Effects:
    """What the plugins of one route do, in Gateway API terms."""

    filters: list[Filter] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    redirect: RequestRedirect | None = None
    """The route answers with a redirect instead of proxying."""
    https_redirect: Provenance | None = None
    """The route redirects plain-HTTP requests to https (301) and proxies HTTPS ones."""


_ACCESS_PLUGINS = frozenset(
    {
        "wolf-rbac",
        "ldap-auth",
        "hmac-auth",
        "consumer-restriction",
        "authz-keycloak",
        "authz-casdoor",
        "authz-casbin",
        "opa",
        "cas-auth",
        "ua-restriction",
        "referer-restriction",
        "uri-blocker",
        "openfga",
        "multi-auth",
        "jwe-decrypt",
        "csrf",
    }
)
_CODE_PLUGINS = frozenset({"serverless-pre-function", "serverless-post-function"})


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if isinstance(item, (str, int))]
    return []


def _headers(conf: object) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """``headers`` of proxy-rewrite / response-rewrite: ``{add, set, remove}`` (APISIX 3.x)
    or the older flat ``{name: value}`` map, where an empty value removes the header."""
    add: dict[str, str] = {}
    set_: dict[str, str] = {}
    remove: list[str] = []
    if not isinstance(conf, dict):
        return add, set_, remove
    if any(key in conf for key in ("add", "set", "remove")):
        for key, target in (("add", add), ("set", set_)):
            part = conf.get(key)
            if isinstance(part, dict):
                target.update({str(k): str(v) for k, v in part.items()})
        remove.extend(_strings(conf.get("remove")))
        return add, set_, remove
    for name, value in conf.items():
        if value in ("", None):
            remove.append(str(name))
        else:
            set_[str(name)] = str(value)
    return add, set_, remove


_CAPTURE = re.compile(r"\$(?:\{([0-9])\}|([0-9]))")


def regex_template(template: str) -> str | None:
    """An ``ngx.re.sub`` template (``$1``, ``${1}``) as an RE2 substitution (``\\1``);
    None when it names anything else with ``$`` (APISIX variables) or holds a backslash."""
    if "\\" in template:
        return None
    converted = _CAPTURE.sub(lambda m: "\\" + (m.group(1) or m.group(2)), template)
    return None if "$" in converted else converted


def _has_vars(text: str) -> bool:
    return "$" in text


def effects(
    run: ApisixRun,
    name: str,
    conf: dict[str, Any],
    source: SourceRef,
    field_path: str,
) -> Effects:
    """What one enabled plugin does; ledger entries and notifications for ``field_path``."""
    prov = [Provenance(source, field_path)]
    out = Effects()
    if name == "proxy-rewrite":
        _proxy_rewrite(run, conf, source, field_path, prov, out)
    elif name == "redirect":
        _redirect(run, conf, source, field_path, prov, out)
    elif name == "cors":
        cors = Cors(
            allow_origins=_strings(conf.get("allow_origins", "*")) or ["*"],
            allow_methods=_strings(conf.get("allow_methods", "*")) or ["*"],
            allow_headers=_strings(conf.get("allow_headers", "*")) or ["*"],
            expose_headers=_strings(conf.get("expose_headers")),
            allow_credentials=conf.get("allow_credential") is True or None,
            max_age=parse_int(conf.get("max_age", 5)),
            provenance=list(prov),
        )
        out.filters.append(CorsFilter(cors, provenance=list(prov)))
        out.extensions.append(cors)
        run.record(source, field_path, Status.CONVERTED)
    elif name == "response-rewrite":
        add, set_, remove = _headers(conf.get("headers"))
        if add or set_ or remove:
            out.filters.append(
                HeaderModifier(response=True, add=add, set=set_, remove=remove, provenance=prov)
            )
        rest = [k for k in ("status_code", "body", "filters", "vars") if k in conf]
        if rest:
            run.unsupported(
                source,
                field_path,
                f"response-rewrite {', '.join(rest)}: Gateway API cannot rewrite a response's "
                "status or body",
            )
        else:
            run.record(source, field_path, Status.CONVERTED)
    elif name == "ip-restriction":
        allow = _strings(conf.get("whitelist", conf.get("allowlist")))
        deny = _strings(conf.get("blacklist", conf.get("denylist")))
        out.extensions.append(IPAccess(allow=allow, deny=deny, provenance=prov))
    elif name == "key-auth":
        header = conf.get("header", "apikey")
        query = conf.get("query", "apikey")
        names = [str(header)] if isinstance(header, str) else ["apikey"]
        out.extensions.append(
            APIKeyAuth(key_names=names, in_header=True, in_query=bool(query), provenance=prov)
        )
        _consumers_note(run, source, field_path)
    elif name == "basic-auth":
        out.extensions.append(BasicAuth(secret_name="", provenance=prov))
        _consumers_note(run, source, field_path)
    elif name == "jwt-auth":
        out.extensions.append(JWTAuth(provenance=prov))
        _consumers_note(run, source, field_path)
    elif name == "forward-auth":
        uri = conf.get("uri")
        out.extensions.append(
            ExternalAuth(
                url=uri if isinstance(uri, str) else "",
                method=conf.get("request_method")
                if isinstance(conf.get("request_method"), str)
                else None,
                response_headers=_strings(conf.get("upstream_headers")),
                provenance=prov,
            )
        )
    elif name == "openid-connect":
        discovery = conf.get("discovery")
        issuer = None
        if isinstance(discovery, str) and "/.well-known/" in discovery:
            issuer = discovery.split("/.well-known/", 1)[0]
        client = conf.get("client_id")
        # The client secret is written inline: it is never copied into the output.
        out.extensions.append(
            OIDCAuth(
                issuer=issuer,
                client_id=client if isinstance(client, str) else None,
                scopes=_strings(str(conf.get("scope", "")).replace(" ", ",")),
                redirect_url=conf.get("redirect_uri")
                if isinstance(conf.get("redirect_uri"), str)
                else None,
                provenance=prov,
            )
        )
    elif name in ("limit-count", "limit-req"):
        limit = _rate_limit(name, conf)
        if limit is None:
            run.unsupported(
                source, field_path, f"{name}: only limits per second, minute or hour are carried"
            )
        else:
            limit.provenance = list(prov)
            out.extensions.append(limit)
    elif name == "client-control":
        size = parse_int(conf.get("max_body_size"))
        if size is None or size < 0:
            run.invalid(source, field_path, "client-control max_body_size is not a number")
        else:
            out.extensions.append(BodySize(max_bytes=size, provenance=prov))
    elif name in _ACCESS_PLUGINS:
        out.extensions.append(AccessControl(what=f"APISIX plugin {name}", provenance=prov))
    elif name in _CODE_PLUGINS or name.startswith("ext-plugin"):
        run.unsupported(
            source,
            field_path,
            f"APISIX plugin {name} runs code; code is never copied into the output — rebuild "
            "what it does by hand",
        )
        out.extensions.append(Unrepresentable(what=f"APISIX plugin {name}", provenance=prov))
    else:
        run.unsupported(
            source, field_path, f"APISIX plugin {name or '<unnamed>'} has no Gateway API equivalent"
        )
    return out


def _consumers_note(run: ApisixRun, source: SourceRef, field_path: str) -> None:
    run.fyi(
        source,
        field_path,
        "APISIX checks the credentials of ApisixConsumer objects; they are not converted: "
        "re-create them for the gateway's authentication",
    )


def _proxy_rewrite(
    run: ApisixRun,
    conf: dict[str, Any],
    source: SourceRef,
    field_path: str,
    prov: list[Provenance],
    out: Effects,
) -> None:
    uri = conf.get("uri")
    host = conf.get("host")
    regex = conf.get("regex_uri")
    path: PathModifier | None = None
    problems: list[str] = []
    if isinstance(uri, str) and uri:
        if _has_vars(uri) or grammar.url_path_problem(uri):
            problems.append(f"uri {uri!r} uses APISIX variables or is not a path")
        else:
            path = PathModifier("ReplaceFullPath", uri)
    elif isinstance(regex, list) and len(regex) >= 2 and all(isinstance(x, str) for x in regex):
        template = regex_template(regex[1])
        if len(regex) > 2:
            problems.append("regex_uri with several pattern/template pairs")
        elif template is None or re2_problem(regex[0]) is not None:
            problems.append(f"regex_uri {regex[0]!r} → {regex[1]!r} (RE2 or APISIX variables)")
        else:
            out.extensions.append(
                RegexRewrite(pattern=regex[0], substitution=template, provenance=list(prov))
            )
            if not regex[0].startswith("^"):
                run.differs(
                    source,
                    field_path,
                    "APISIX (ngx.re.sub) rewrites the first match only; Envoy rewrites every "
                    "match: anchor the pattern with ^ if it can match twice",
                )
    hostname = None
    if isinstance(host, str) and host:
        if grammar.hostname_problem(host, wildcard=False):
            problems.append(f"host {host!r} is not a DNS name")
        else:
            hostname = host.lower()
    if path is not None or hostname is not None:
        out.filters.append(URLRewrite(hostname=hostname, path=path, provenance=list(prov)))
    add, set_, remove = _headers(conf.get("headers"))
    if add or set_ or remove:
        out.filters.append(HeaderModifier(add=add, set=set_, remove=remove, provenance=list(prov)))
    if "method" in conf:
        problems.append("method rewriting")
    if problems:
        run.unsupported(source, field_path, "proxy-rewrite: not carried: " + "; ".join(problems))
    elif not out.extensions:
        run.record(source, field_path, Status.CONVERTED)


def _redirect(
    run: ApisixRun,
    conf: dict[str, Any],
    source: SourceRef,
    field_path: str,
    prov: list[Provenance],
    out: Effects,
) -> None:
    if conf.get("http_to_https") is True:
        out.https_redirect = prov[0]
        run.record(source, field_path, Status.CONVERTED)
        return
    uri = conf.get("uri")
    code = parse_int(conf.get("ret_code", 302)) or 302
    if code not in (301, 302, 303, 307, 308):
        run.invalid(source, field_path, f"redirect ret_code {code}: Gateway API allows 301..308")
        code = 302
    if not isinstance(uri, str) or not uri:
        run.unsupported(source, field_path, "redirect without uri (regex_uri) is not carried")
        return
    redirect = redirect_to(uri, code, prov)
    if redirect is None:
        run.unsupported(
            source, field_path, f"redirect uri {uri!r} uses APISIX variables or is not a URL"
        )
        return
    out.redirect = redirect
    run.record(source, field_path, Status.CONVERTED)


def redirect_to(target: str, code: int, prov: list[Provenance]) -> RequestRedirect | None:
    """A redirect to ``target`` (an absolute http(s) URL or a path), or None."""
    from urllib.parse import urlsplit

    if _has_vars(target):
        return None
    if target.startswith("/"):
        if grammar.url_path_problem(target):
            return None
        return RequestRedirect(
            path=PathModifier("ReplaceFullPath", target), status_code=code, provenance=prov
        )
    if grammar.url_problem(target):
        return None
    parts = urlsplit(target)
    host = (parts.hostname or "").lower()
    if not host or grammar.hostname_problem(host, wildcard=False) or parts.query:
        return None
    return RequestRedirect(
        scheme=parts.scheme,
        hostname=host,
        port=parts.port,
        path=PathModifier("ReplaceFullPath", parts.path) if parts.path not in ("", "/") else None,
        status_code=code,
        provenance=prov,
    )


_WINDOWS = {1: "Second", 60: "Minute", 3600: "Hour"}


def _rate_limit(name: str, conf: dict[str, Any]) -> RateLimit | None:
    per_ip = conf.get("key", "remote_addr") in ("remote_addr", "") and conf.get(
        "key_type", "var"
    ) in ("var", "")
    if name == "limit-count":
        count = parse_int(conf.get("count"))
        window = parse_int(conf.get("time_window"))
        unit = _WINDOWS.get(window or 0)
        if count is None or count <= 0 or unit is None:
            return None
        return RateLimit(requests=count, unit=unit, per_client_ip=per_ip)  # type: ignore[arg-type]
    rate = conf.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1:
        return None
    burst = conf.get("burst")
    return RateLimit(
        requests=int(rate),
        unit="Second",
        burst=int(burst)
        if isinstance(burst, (int, float)) and not isinstance(burst, bool)
        else None,
        per_client_ip=per_ip,
    )
