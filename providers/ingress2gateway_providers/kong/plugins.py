"""``konghq.com/plugins`` and the KongPlugin / KongClusterPlugin objects it names.

A plugin becomes what it *means* on the rules it runs on (the Ingress's rules, or the rules
whose backend is the annotated Service; a KongClusterPlugin labelled ``global: "true"`` runs on
every route). Gateway API ``ExtensionRef`` filters pointing at KongPlugin are never emitted: they
only work on Kong's own Gateway API implementation.

* ``cors`` → the standard CORS filter (a CORS extension on targets without it);
  ``preflight_continue``, ``private_network`` and regex origins are reported.
* ``request-transformer`` → RequestHeaderModifier: ``append`` → add, ``remove`` → remove,
  ``add``/``replace`` → set (Kong adds only when absent / replaces only when present: reported);
  querystring, body, ``rename``, ``replace.uri`` and ``http_method`` are reported.
* ``response-transformer`` → ResponseHeaderModifier, the same way; JSON edits are reported.
* ``ip-restriction`` → the IP allow/deny extension (a security error where the target cannot
  carry it).
* ``rate-limiting`` → the rate-limit extension (the shortest of second/minute/hour; the other
  windows are reported).
* ``basic-auth``, ``key-auth``, ``jwt``, ``openid-connect``, ``acl`` and the other auth plugins →
  authentication extensions (security errors where the target cannot carry them); consumers and
  credentials have no Gateway API concept.
* ``request-size-limiting`` → the body-size extension.
* ``pre-function``/``post-function`` → reported; Lua code is never copied into the output.
* anything else → reported as not convertible.

A namespaced KongPlugin wins over a KongClusterPlugin of the same name; ``<namespace>:<name>``
refers to a KongPlugin in another namespace. ``disabled: true`` plugins are skipped.
``configFrom``/``configPatches`` (values kept in Secrets) are reported: the converter does not
read Secret values.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
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
    Filter,
    HeaderModifier,
    IPAccess,
    JWTAuth,
    OIDCAuth,
    Provenance,
    RateLimit,
    Unrepresentable,
)
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from .common import KongRun, account_object_annotations, parse_bool, str_list

GLOBAL_LABEL = "global"
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
_SIZE_UNITS = {"bytes": 1, "kilobytes": 1024, "megabytes": 1024 * 1024}
_AUTH_PLUGINS = (
    "acl",
    "hmac-auth",
    "ldap-auth",
    "ldap-auth-advanced",
    "oauth2",
    "oauth2-introspection",
    "mtls-auth",
    "key-auth-enc",
    "opa",
    "bot-detection",
)
_CODE_PLUGINS = ("pre-function", "post-function", "serverless-functions")


@dataclass(eq=False)
class AccessControl(Extension):
    """A Kong access-control plugin no Gateway API concept carries (acl, hmac-auth, ...)."""

    KIND: ClassVar[str] = "access-control"
    SECURITY: ClassVar[bool] = True
    what: str = ""

    def describe(self) -> str:
        return self.what or self.KIND


@dataclass
class Effects:
    filters: list[Filter] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    standard: bool = False
    """Some of it became standard Gateway API."""


def parse_ref(text: str) -> tuple[str | None, str]:
    """``name`` or ``namespace:name``."""
    namespace, _, name = text.rpartition(":")
    return (namespace or None, name)


def resolve(run: KongRun, namespace: str | None, ref: str) -> KubeObject | None:
    ref_namespace, name = parse_ref(ref)
    if ref_namespace is not None:
        return run.plugins.get((ref_namespace, name))
    return run.plugins.get((namespace, name)) or run.cluster_plugins.get(name)


def global_plugins(run: KongRun) -> list[KubeObject]:
    found = []
    for name in sorted(run.cluster_plugins):
        obj = run.cluster_plugins[name]
        labels = obj.metadata.get("labels")
        if isinstance(labels, dict) and str(labels.get(GLOBAL_LABEL, "")).lower() == "true":
            found.append(obj)
    return found


def plugin_name(obj: KubeObject) -> str:
    value = obj.data.get("plugin")
    return value if isinstance(value, str) else ""


def config(obj: KubeObject) -> dict[str, Any]:
    value = obj.data.get("config")
    return value if isinstance(value, dict) else {}


def is_disabled(obj: KubeObject) -> bool:
    value = obj.data.get("disabled")
    return value is True or (isinstance(value, str) and parse_bool(value) is True)


def effects(run: KongRun, obj: KubeObject, ref: Provenance) -> Effects:
    """Fresh filters and extensions for one rule the plugin runs on."""
    run.use(obj)
    name = plugin_name(obj)
    source = obj.source()
    conf = config(obj)
    prov = [ref, Provenance(source, "config" if "config" in obj.data else "plugin")]
    out = Effects()
    if name == "cors":
        cors = _cors(run, obj, conf)
        cors.provenance = list(prov)
        out.filters.append(CorsFilter(cors, provenance=list(prov)))
        # Also an extension: the emitter marks it consumed when the target has the CORS
        # filter, and the pipeline reports it when nothing could express it.
        out.extensions.append(cors)
        out.standard = True
        run.record(source, prov[1].field, Status.CONVERTED)
    elif name in ("request-transformer", "response-transformer"):
        modifier = _transformer(run, obj, conf, response=name == "response-transformer")
        if modifier is not None:
            modifier.provenance = list(prov)
            out.filters.append(modifier)
            out.standard = True
    elif name == "ip-restriction":
        allow = str_list(conf.get("allow", conf.get("whitelist")))
        deny = str_list(conf.get("deny", conf.get("blacklist")))
        out.extensions.append(IPAccess(allow=allow, deny=deny, provenance=list(prov)))
        if "status" in conf or "message" in conf:
            run.fyi(source, "config", "ip-restriction's custom status/message is not carried")
    elif name == "rate-limiting":
        limit = _rate_limit(run, obj, conf)
        if limit is not None:
            limit.provenance = list(prov)
            out.extensions.append(limit)
    elif name == "request-size-limiting":
        size = conf.get("allowed_payload_size", 128)
        unit = _SIZE_UNITS.get(str(conf.get("size_unit", "megabytes")), 1024 * 1024)
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            out.extensions.append(BodySize(max_bytes=size * unit, provenance=list(prov)))
        else:
            run.invalid(source, "config", f"allowed_payload_size {size!r} is not a number")
    elif name == "basic-auth":
        out.extensions.append(BasicAuth(secret_name="", provenance=list(prov)))
        _consumers_note(run, obj)
    elif name == "key-auth":
        key_names = str_list(conf.get("key_names")) or ["apikey"]
        out.extensions.append(
            APIKeyAuth(
                key_names=key_names,
                # Kong's defaults: the key is read from headers and from the query string.
                in_header=conf.get("key_in_header") is not False,
                in_query=conf.get("key_in_query") is not False,
                provenance=list(prov),
            )
        )
        _consumers_note(run, obj)
    elif name == "jwt":
        out.extensions.append(JWTAuth(provenance=list(prov)))
        _consumers_note(run, obj)
    elif name in ("openid-connect", "oidc"):
        issuer = conf.get("issuer")
        client_ids = str_list(conf.get("client_id"))
        redirects = str_list(conf.get("redirect_uri"))
        # The client secret is written inline in the plugin config: never copied into output.
        out.extensions.append(
            OIDCAuth(
                issuer=issuer if isinstance(issuer, str) else None,
                client_id=client_ids[0] if client_ids else None,
                scopes=str_list(conf.get("scopes")),
                redirect_url=redirects[0] if redirects else None,
                provenance=list(prov),
            )
        )
    elif name in _AUTH_PLUGINS:
        out.extensions.append(AccessControl(what=f"Kong plugin {name}", provenance=list(prov)))
    elif name in _CODE_PLUGINS:
        run.unsupported(
            source,
            "plugin",
            f"Kong plugin {name} runs Lua code; code is never copied into the output — "
            "rebuild what it does by hand",
        )
        out.extensions.append(Unrepresentable(what=f"Kong plugin {name}", provenance=list(prov)))
    else:
        what = f"Kong plugin {name or '<unnamed>'}"
        out.extensions.append(Unrepresentable(what=what, provenance=list(prov)))
    return out


def _fewer_protocols(value: object) -> bool:
    """A plugin's ``protocols`` leave out plain or TLS HTTP (Kong's default is all of them)."""
    protocols = set(str_list(value))
    return bool(protocols) and not {"http", "https"} <= protocols


def _consumers_note(run: KongRun, obj: KubeObject) -> None:
    run.fyi(
        obj.source(),
        "plugin",
        f"{plugin_name(obj)} checks credentials of KongConsumers; consumers and their "
        "credential Secrets have no Gateway API equivalent",
    )


def _cors(run: KongRun, obj: KubeObject, conf: dict[str, Any]) -> Cors:
    source = obj.source()
    origins = []
    for origin in str_list(conf.get("origins")) or ["*"]:
        if grammar.origin_problem(origin) is None:
            origins.append(origin)
        else:
            run.differs(
                source,
                "config.origins",
                f"CORS origin {origin!r} is a pattern Gateway API does not accept; it is dropped",
            )
            run.record(source, "config", Status.PARTIAL, "some origins were dropped")
    methods = [m.upper() for m in str_list(conf.get("methods"))] or list(_METHODS)
    methods = [m for m in methods if m in _METHODS]
    for lost in ("preflight_continue", "private_network"):
        if conf.get(lost):
            run.differs(source, f"config.{lost}", f"CORS {lost} has no Gateway API equivalent")
            run.record(source, "config", Status.PARTIAL, f"{lost} is not carried")
    max_age = conf.get("max_age")
    credentials = conf.get("credentials")
    return Cors(
        allow_origins=origins,
        allow_methods=methods,
        allow_headers=str_list(conf.get("headers")),
        expose_headers=str_list(conf.get("exposed_headers")),
        allow_credentials=True if credentials is True else None,
        max_age=max_age if isinstance(max_age, int) and not isinstance(max_age, bool) else None,
    )


def _header_pairs(value: object) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in str_list(value) if not isinstance(value, str) else [value]:
        name, sep, text = item.partition(":")
        if sep and name.strip():
            pairs[name.strip()] = text.strip()
    return pairs


def _transformer(
    run: KongRun, obj: KubeObject, conf: dict[str, Any], *, response: bool
) -> HeaderModifier | None:
    source = obj.source()
    modifier = HeaderModifier(response=response)
    lost: list[str] = []
    differs: list[str] = []
    for action in sorted(conf):
        section = conf[action]
        if not isinstance(section, dict):
            if action == "http_method" and section:
                lost.append("http_method")
            continue
        for part in sorted(section):
            value = section[part]
            if value in (None, [], {}, ""):
                continue
            if part != "headers":
                lost.append(f"{action}.{part}")
                continue
            if action == "remove":
                modifier.remove.extend(str_list(value))
            elif action == "append":
                modifier.add.update(_header_pairs(value))
            elif action in ("add", "replace"):
                modifier.set.update(_header_pairs(value))
                differs.append(action)
            else:  # rename
                lost.append(f"{action}.{part}")
    if lost:
        run.unsupported(
            source,
            "config",
            f"{plugin_name(obj)}: {', '.join(sorted(set(lost)))} cannot be expressed by a "
            "header modifier; not converted",
        )
    if differs:
        run.differs(
            source,
            "config",
            f"{plugin_name(obj)}: {'/'.join(sorted(set(differs)))} headers are written with "
            "'set' (Kong's add only adds a missing header, replace only replaces an existing one)",
        )
    if not (modifier.set or modifier.add or modifier.remove):
        return None
    run.record(source, "config", Status.CONVERTED)
    return modifier


def _rate_limit(run: KongRun, obj: KubeObject, conf: dict[str, Any]) -> RateLimit | None:
    source = obj.source()
    windows = [
        (unit, conf[key])
        for key, unit in (("second", "Second"), ("minute", "Minute"), ("hour", "Hour"))
        if isinstance(conf.get(key), int) and not isinstance(conf.get(key), bool)
    ]
    longer = [k for k in ("day", "month", "year") if conf.get(k) is not None]
    if not windows:
        run.unsupported(
            source,
            "config",
            f"rate-limiting with only {', '.join(longer) or 'no'} windows: the rate-limit "
            "extension has no such unit",
        )
        return None
    dropped = [unit.lower() for unit, _ in windows[1:]] + longer
    if dropped:
        run.differs(
            source,
            "config",
            f"rate-limiting: only the {windows[0][0].lower()} window is carried; "
            f"{', '.join(dropped)} limits are dropped",
        )
    limit_by = str(conf.get("limit_by", "consumer"))
    if limit_by not in ("consumer", "credential", "ip", "service"):
        run.differs(source, "config.limit_by", f"limit_by {limit_by} is approximated per client IP")
    policy = str(conf.get("policy", "local"))
    if policy != "local":
        run.fyi(source, "config.policy", f"policy {policy}: counters were shared across Kong nodes")
    unit, requests = windows[0]
    return RateLimit(
        requests=int(requests),
        unit=unit,  # type: ignore[arg-type]
        per_client_ip=limit_by != "service",
    )


# --- the KongPlugin object's own fields ---------------------------------------------------------

_OBJECT_FIELD_NOTES = {
    "protocols": "the protocols follow the route's protocols",
    "run_on": "a legacy service-mesh setting",
    "ordering": "Gateway API filters have a fixed order",
    "instance_name": "a name for the Kong plugin entity",
    "consumerRef": "consumer-scoped plugins have no Gateway API equivalent",
}


def account_object(
    run: KongRun,
    obj: KubeObject,
    skip: AbstractSet[tuple[SourceRef, str]],
    *,
    consumer_scoped: bool = False,
) -> None:
    """Ledger entries for a KongPlugin/KongClusterPlugin's fields not recorded yet."""
    source = obj.source()
    used = id(obj) in run.used
    unused_note = (
        "only KongConsumers/KongConsumerGroups use it: consumer-scoped plugins have no Gateway "
        "API equivalent"
        if consumer_scoped
        else "no converted object uses this plugin"
    )
    account_object_annotations(run, obj, skip)
    for key in sorted(obj.data):
        if key in ("apiVersion", "kind", "metadata", "status"):
            continue
        if run.report.has_entry(source, key) or (source, key) in skip:
            continue
        if not used:
            status = Status.UNSUPPORTED if consumer_scoped else Status.IGNORED
            run.record(source, key, status, unused_note)
        elif key == "plugin":
            run.record(source, key, Status.CONVERTED)
        elif key in ("configFrom", "configPatches"):
            run.unsupported(
                source,
                key,
                "plugin configuration kept in Secrets is not read; review the converted result",
            )
        elif key == "disabled":
            run.record(source, key, Status.CONVERTED, "a disabled plugin is not converted")
        elif key == "protocols" and _fewer_protocols(obj.data.get(key)):
            run.differs(
                source,
                key,
                f"Kong ran this plugin only for {', '.join(str_list(obj.data.get(key)))} "
                "requests; the conversion applies it to every request of the rules it is on",
            )
            run.record(source, key, Status.PARTIAL, "Gateway API filters apply to every request")
        elif key == "config":
            run.record(source, key, Status.CONVERTED)
        else:
            note = _OBJECT_FIELD_NOTES.get(key, "not routing configuration")
            run.record(source, key, Status.IGNORED, note)
