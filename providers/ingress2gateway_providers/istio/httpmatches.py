"""An Istio VirtualService's ``http[]`` routes read for conversion: each route (a delegate's
merged with its root's, see :mod:`.delegates`) as a :class:`Unit`, each match as an
:class:`~.matching.Entry`: the Gateway API match, Istio's own conditions
(:class:`~.conditions.Condition`) and where Istio builds it (:class:`~.conditions.Scope`:
per-match ``gateways``, ``port``, ``scheme``, ``sourceLabels``/``sourceNamespace``, and an
``authority`` that decides host names). ``withoutHeaders``, a method other than one exact standard
method, and conditions that are no StringMatch make the match wider (reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Level, Recorder, Status

from .common import VS, Fields, as_dict, as_list, host_overlap, ns_of
from .conditions import Condition, Scope, Sm, string_match, valid_header_name
from .delegates import exported_to, merge_routes
from .httpactions import HTTP_KEYS, METHODS, Template, template
from .matching import Entry, uri_path, value_match
from .parents import resolve_gateway

MATCH_KEYS = (
    "name",
    "uri",
    "scheme",
    "method",
    "authority",
    "headers",
    "port",
    "sourceLabels",
    "gateways",
    "queryParams",
    "ignoreUriCase",
    "withoutHeaders",
    "sourceNamespace",
    "statPrefix",
)


@dataclass
class Unit:
    """One ``http[]`` route as Istio builds it (a delegate's, merged with its root's)."""

    group: int
    ctx: VS
    """The VirtualService whose field the route is (a delegate's for its routes)."""
    index: int
    template: Template
    root: tuple[VS, int] | None = None

    @property
    def path(self) -> str:
        return f"spec.http[{self.index}]"

    def notify(self, level: Level, code: str, message: str, part: str = "") -> None:
        self.ctx.fields.notify(level, code, self.path + part, message)

    def named(self, other: Unit) -> str:
        """This route as ``other``'s notification names it (with its VirtualService's name when
        it is another's)."""
        if self.ctx.obj is other.ctx.obj or (
            self.root and other.root and self.root[0] is other.root[0]
        ):
            return self.label
        vs = self.root[0] if self.root is not None else self.ctx
        return f"VirtualService {vs.namespace}/{vs.obj.name}'s {self.label}"

    @property
    def label(self) -> str:
        where = self.path
        if self.root is not None:
            where = f"{self.ctx.obj.name}'s {where} (delegated by spec.http[{self.root[1]}])"
        return where


def delegated(vs: VS, index: int, item: JSONDict, first: int) -> list[tuple[Unit, list[Entry]]]:
    path = f"spec.http[{index}]"
    fields = vs.fields
    delegate = as_dict(item.get("delegate"))
    namespace = str(delegate.get("namespace") or vs.namespace)
    name = str(delegate.get("name") or "")
    obj = vs.state.delegates.get((namespace, name))
    fields.unknown_keys(f"{path}.delegate", delegate, ("name", "namespace"))
    for key in ("route", "redirect"):
        if key in item:
            fields.ignored(f"{path}.{key}", f"{key} with delegate: Istio rejects the route")
    if obj is None or not exported_to(obj, vs.namespace):
        why = "is not in the input" if obj is None else f"is not exported to {vs.namespace}"
        message = (
            f"delegate VirtualService {namespace}/{name} {why}: Istio ignores this route "
            "(nothing converted for it); convert the delegate with the root"
        )
        fields.unsupported(f"{path}.delegate", message, "istio-delegate")
        fields.record(path, Status.UNSUPPORTED, message)
        for key in item:
            if key in HTTP_KEYS and key != "delegate":
                fields.record(f"{path}.{key}", Status.UNSUPPORTED, message)
        for r in range(len(as_list(item.get("match")))):
            fields.record(f"{path}.match[{r}]", Status.UNSUPPORTED, message)
        return []
    vs.state.used_delegates.add((namespace, name))
    ctx = VS(
        vs.state,
        obj,
        vs.state.fields(obj),
        ns_of(obj),
        vs.keys,
        vs.hosts,
        root_namespace=vs.namespace,
    )
    merged, dropped = merge_routes(item, obj)
    fields.converted(
        f"{path}.delegate", f"{len(merged)} route(s) of {namespace}/{name} merged here"
    )
    fields.converted(path, f"replaced by the routes of {namespace}/{name}")
    for k in dropped:
        ctx.fields.notify(
            Level.WARNING,
            "istio-delegate",
            f"spec.http[{k}]",
            f"no match of this route is narrower than {vs.obj.name}'s {path} match: Istio "
            "drops the route (conflict); not converted",
        )
        ctx.fields.record(f"spec.http[{k}]", Status.IGNORED, "conflicts with the root's match")
    quiet = Fields(Recorder(), vs.fields.source)
    for r, raw in enumerate(as_list(item.get("match"))):
        if isinstance(raw, dict):
            parse_match(vs.fields, f"{path}.match[{r}]", raw, 0, vs.namespace)
    if "match" in item:
        fields.converted(f"{path}.match")
    out = []
    for offset, route in enumerate(merged):
        group = first + offset
        ctx.fields.unknown_keys(f"spec.http[{route.index}]", route.own, HTTP_KEYS)
        t = template(ctx, route.index, route.own, group)
        if route.inherited:
            _inherit(t, template(vs, index, route.inherited, group))
        unit = Unit(group, ctx, route.index, t, (vs, index))
        found = []
        own_matches = as_list(route.own.get("match"))
        if own_matches:
            ctx.fields.converted(f"{unit.path}.match")
        for d, raw in enumerate(own_matches):
            if isinstance(raw, dict):
                parse_match(ctx.fields, f"{unit.path}.match[{d}]", raw, 0, ctx.namespace)
        for merged_match in route.matches:
            label = (
                f"{unit.path}.match[{merged_match.delegate_index}]"
                if merged_match.delegate_index is not None
                else f"{path}.match[{merged_match.root_index}]"
            )
            entry = parse_match(quiet, label, merged_match.match, group, ctx.namespace)
            if entry is not None:
                entry.label = label
                found.append(entry)
        if not route.matches:
            found.append(_no_match(group, unit.path))
        out.append((unit, found))
    for key in item:
        if key in HTTP_KEYS and not fields.report.has_entry(fields.source, f"{path}.{key}"):
            fields.ignored(f"{path}.{key}", "every delegated route sets its own")
    return out


def _inherit(t: Template, root: Template) -> None:
    """``mergeHTTPRoute``: what the delegate's route does not set, it takes from the root's."""
    t.filters.extend(root.filters)
    if t.rewrite_uri is None:
        t.rewrite_uri, t.rewrite_uri_prov = root.rewrite_uri, root.rewrite_uri_prov
    if root.rewrite_level > t.rewrite_level:
        t.rewrite_host, t.rewrite_prov = root.rewrite_host, root.rewrite_prov
        t.rewrite_level = root.rewrite_level
    t.timeout = t.timeout or root.timeout
    t.extensions.extend(root.extensions)
    t.provenance.extend(root.provenance)


def _no_match(group: int, path: str) -> Entry:
    return Entry(group, None, label=path)


def matches_of(vs: VS, unit: Unit, item: JSONDict) -> list[Entry]:
    matches = as_list(item.get("match"))
    if not matches:
        return [_no_match(unit.group, unit.path)]
    out: list[Entry] = []
    vs.fields.converted(f"{unit.path}.match")
    for j, raw in enumerate(matches):
        path = f"{unit.path}.match[{j}]"
        if not isinstance(raw, dict):
            vs.fields.unsupported(path, "match is not a mapping")
            continue
        entry = parse_match(vs.fields, path, raw, unit.group, vs.namespace)
        if entry is not None:
            out.append(entry)
    return out


def _pairs(
    fields: Fields, path: str, raw: object, what: str, names_ok: bool = True
) -> tuple[list[tuple[str, Sm]], bool]:
    found: list[tuple[str, Sm]] = []
    exact = True
    for name, value in sorted(as_dict(raw).items()):
        parsed = string_match(value)
        name = str(name)
        if parsed is None:
            fields.unsupported(path, f"{what} match {name!r}: {value!r} is not a StringMatch")
            exact = False
            continue
        if name.startswith("@"):
            # A JWT claim (@request.auth.claims.*): matched on the token's metadata.
            fields.unsupported(path, f"{what} match {name!r} (a JWT claim) is not converted")
            found.append((name, Sm("never")))
            exact = False
            continue
        if names_ok and not valid_header_name(name):
            fields.unsupported(path, f"{what} match {name!r}: not a header name")
            exact = False
            continue
        found.append((name.lower() if what == "header" else name, parsed))
    return found, exact


def parse_match(
    fields: Fields, path: str, raw: JSONDict, group: int, namespace: str
) -> Entry | None:
    """One Istio HTTPMatchRequest → an entry (None: it cannot be read at all)."""
    fields.unknown_keys(path, raw, MATCH_KEYS)
    exact = True
    ignore_case = raw.get("ignoreUriCase") is True
    uri = None
    if "uri" in raw:
        uri = string_match(raw["uri"])
        if uri is None:
            fields.unsupported(f"{path}.uri", f"uri match {raw['uri']!r} is not a StringMatch")
            return None
    headers, ok = _pairs(fields, f"{path}.headers", raw.get("headers"), "header")
    exact = exact and ok
    without, _ = _pairs(fields, f"{path}.withoutHeaders", raw.get("withoutHeaders"), "header")
    queries, ok = _pairs(fields, f"{path}.queryParams", raw.get("queryParams"), "query", False)
    exact = exact and ok
    method: str | None = None
    method_match = string_match(raw["method"]) if "method" in raw else None
    if "method" in raw:
        if (
            method_match is not None
            and method_match.kind == "exact"
            and method_match.value.upper() in METHODS
        ):
            method = method_match.value.upper()
        else:
            fields.unsupported(
                f"{path}.method",
                f"method match {raw['method']!r}: only an exact standard method converts; the "
                "match is wider than in Istio",
            )
            exact = False
    scope, scoped = _scope(fields, path, raw, namespace)
    exact = exact and scoped
    if "withoutHeaders" in raw:
        fields.unsupported(
            f"{path}.withoutHeaders",
            "withoutHeaders: no negative header match in Gateway API; the match is wider than in "
            "Istio",
        )
        exact = False
    for key in ("name", "statPrefix"):
        if key in raw:
            fields.record(f"{path}.{key}", Status.IGNORED, "names and stats only")
    if "ignoreUriCase" in raw:
        fields.converted(f"{path}.ignoreUriCase")
    fields.record(path, Status.CONVERTED if exact else Status.PARTIAL)
    condition = Condition(
        uri=uri,
        ignore_case=ignore_case,
        headers=tuple(headers),
        without=tuple(without),
        query=tuple(queries),
        method=method_match,
    )
    header_matches = tuple(m for m in (value_match(n, v) for n, v in headers) if m is not None)
    query_matches = tuple(m for m in (value_match(n, v) for n, v in queries) if m is not None)
    return Entry(
        group,
        uri_path(uri, ignore_case) if uri is not None else None,
        header_matches,
        query_matches,
        method,
        exact,
        condition,
        scope,
        label=path,
    )


def _scope(fields: Fields, path: str, raw: JSONDict, namespace: str) -> tuple[Scope, bool]:
    """The conditions that decide where the match applies (see :mod:`.conditions`); False when
    one of them cannot be said and the match is wider than in Istio."""
    exact = True
    gateways: list[tuple[str, str]] = []
    names = [g for g in as_list(raw.get("gateways")) if isinstance(g, str) and g]
    for name in names:
        key = resolve_gateway(name, namespace)
        if key is not None and key not in gateways:
            gateways.append(key)
    if "gateways" in raw:
        fields.converted(f"{path}.gateways", "the match applies only on these gateways' listeners")
    port = raw.get("port")
    port_number = port if isinstance(port, int) and not isinstance(port, bool) and port else None
    if "port" in raw:
        fields.converted(f"{path}.port", "the match applies only on listeners of this port")
    scheme = string_match(raw["scheme"]) if "scheme" in raw else None
    if "scheme" in raw:
        if scheme is None:
            fields.unsupported(f"{path}.scheme", "scheme is not a StringMatch")
            exact = False
        else:
            fields.converted(f"{path}.scheme", "decided by the listener (http or https)")
    authority: str | None = None
    authority_port: int | None = None
    authority_match: Sm | None = None
    if "authority" in raw:
        value = string_match(raw["authority"])
        if value is not None and value.kind == "exact":
            host, _, number = value.value.lower().partition(":")
            authority = host
            authority_port = int(number) if number.isdigit() else None
            fields.converted(f"{path}.authority", "the match applies to this host only")
        elif value is not None and value.kind in ("prefix", "regex"):
            authority_match = value
            fields.converted(
                f"{path}.authority",
                "decided for each host name: the match applies to those it takes",
            )
            exact = False  # wider on a wildcard host name, where it cannot be decided
        else:
            fields.unsupported(
                f"{path}.authority",
                "authority: not a StringMatch; the match is wider than in Istio",
            )
            exact = False
    labels = tuple(sorted((str(k), str(v)) for k, v in as_dict(raw.get("sourceLabels")).items()))
    source_ns = raw.get("sourceNamespace")
    for source in ("sourceLabels", "sourceNamespace"):
        if source in raw:
            fields.converted(f"{path}.{source}", "compared with the gateway's pods")
    return (
        Scope(
            gateways=tuple(gateways),
            mesh_only=bool(names) and not gateways,
            port=port_number,
            scheme=scheme,
            authority=authority,
            authority_port=authority_port,
            authority_match=authority_match,
            source_labels=labels,
            source_namespace=source_ns if isinstance(source_ns, str) and source_ns else None,
        ),
        exact,
    )


def host_keys(vs: VS, entries: Sequence[Entry]) -> list[str | None]:
    """The VirtualService's host names (None: every host), and the exact ``authority`` hosts
    its matches ask for."""
    keys: list[str | None] = list(vs.hostnames) or [None]
    for entry in entries:
        host = entry.scope.authority
        if host is None or host in keys:
            continue
        if any(host_overlap(k, host) for k in keys):
            keys.append(host)
        else:
            vs.fields.notify(
                Level.WARNING,
                "istio-route-order",
                f"{entry.label}.authority",
                f"authority {host} is none of the VirtualService's hosts: Istio never applies "
                "the match (the request's host picks another virtual host); left out",
            )
    return keys
