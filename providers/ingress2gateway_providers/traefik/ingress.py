"""Ingresses with ``traefik.ingress.kubernetes.io/router.*`` annotations.

**Class.** Traefik serves an Ingress whose ``spec.ingressClassName`` names an IngressClass of
controller ``traefik.io/ingress-controller``, or whose ``kubernetes.io/ingress.class``
annotation is ``traefik``, **or that has no class at all** (``shouldProcessIngress`` with the
default empty ``ingressClass`` option).

**Paths.** ``Exact`` → Exact. ``Prefix`` → PathPrefix, but Traefik's ``PathPrefix`` is a
character prefix (``/v1`` also matched ``/v12``): the narrowing is reported per Ingress.
``ImplementationSpecific`` (and an empty type) use ``router.pathmatcher`` (default PathPrefix):
``Path`` → Exact, ``PathRegexp`` → RegularExpression (wrapped for unanchored search); another
value makes Traefik reject the path (not converted, reported).

**Hosts.** A wildcard host is one label in Traefik (``HostRegexp``), any depth in Gateway
API: reported. A ``Prefix`` path ending in ``/`` does not match the path without it in
Traefik, as Gateway API's does: reported.

**TLS.** ``spec.tls`` only loads certificates in Traefik; routers serve TLS only with
``router.tls: "true"`` or any other ``router.tls.*`` key (Traefik's label parser then makes
the router's TLS section), or on a TLS entry point. The conversion keeps the HTTPS listeners of
``spec.tls`` hosts (reported); ``router.tls`` and ``router.entrypoints: websecure`` take the
Ingress's routes off the HTTP listeners, ``router.entrypoints: web`` off the HTTPS ones.

**Middlewares.** ``router.middlewares`` (``<namespace>-<name>@kubernetescrd``) apply the
Middlewares to every rule of the Ingress; one that is missing closes the rules (Traefik refuses
the router); ``@file`` middlewares are unknown here and close the rules too (they may be
access controls).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ingress2gateway.converting import grammar
from ingress2gateway.converting.ingress import (
    CLASS_ANNOTATION as _CLASS,
)
from ingress2gateway.converting.ingress import (
    IngressClassInfo,
    IngressModel,
    IngressPath,
)
from ingress2gateway.converting.lowering import Lowered
from ingress2gateway.ir import (
    HTTPRoute,
    Match,
    PathMatch,
    Provenance,
    RefusedControl,
    Rule,
    SessionAffinity,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Status

from . import middlewares
from .common import (
    CONTROLLER,
    PREFIX,
    TraefikRun,
    annotation_field,
    parse_bool,
    parse_int,
    split_list,
)
from .ingressroute import tls_option
from .matching import unanchored
from .priority import Router
from .regex import re2_problem

PATH_MATCHER = PREFIX + "router.pathmatcher"


def ingress_class(
    obj: KubeObject, classes: Mapping[str, IngressClassInfo], wanted: set[str]
) -> tuple[str | None, str | None]:
    name = obj.spec.get("ingressClassName")
    if isinstance(name, str) and name:
        info = classes.get(name)
        if info is not None and info.controller == CONTROLLER:
            return "traefik", "spec.ingressClassName"
        if name in wanted:
            return "traefik", "spec.ingressClassName"
        return name, "spec.ingressClassName"
    annotated = obj.annotations.get(_CLASS)
    if annotated:
        return ("traefik" if annotated in wanted else annotated), f"metadata.annotations[{_CLASS}]"
    return "traefik", None


def path_match(run: TraefikRun, model: IngressModel, path: IngressPath) -> PathMatch | None:
    if path.path_type == "Exact":
        match = PathMatch("Exact", path.path)
        matcher = "Path"
    elif path.path_type == "Prefix":
        match, matcher = PathMatch("PathPrefix", path.path), "PathPrefix"
    else:
        matcher = model.obj.annotations.get(PATH_MATCHER, "PathPrefix").strip() or "PathPrefix"
        if matcher == "Path":
            match = PathMatch("Exact", path.path)
        elif matcher == "PathPrefix":
            match = PathMatch("PathPrefix", path.path)
        elif matcher == "PathRegexp":
            problem = re2_problem(path.path)
            if problem is not None:
                run.invalid(model.source, path.field, f"path {path.path!r} {problem}")
                return None
            match = PathMatch("RegularExpression", unanchored(path.path))
        else:
            run.invalid(
                model.source,
                path.field,
                f"router.pathmatcher {matcher!r} is not Path, PathPrefix or PathRegexp: Traefik "
                "rejects the path",
            )
            return None
    if match.type == "PathPrefix" and path.path.endswith("/") and path.path != "/":
        run.differs(
            model.source,
            path.field,
            f"Traefik's PathPrefix({path.path}) does not match {path.path.rstrip('/')}; Gateway "
            "API's PathPrefix ignores the trailing slash and does",
        )
    if match.type == "PathPrefix" and not path.path.endswith("/"):
        run.differs(
            model.source,
            path.field,
            f"Traefik's PathPrefix({path.path}) is a character prefix (it also matched "
            f"{path.path}-more, {path.path}.x); Gateway API's PathPrefix matches whole segments",
        )
    if path.host and path.host.startswith("*."):
        run.differs(
            model.source,
            path.field,
            f"Traefik matches {path.host} as one label before {path.host[2:]} "
            "(HostRegexp); Gateway API's wildcard also matches deeper subdomains",
        )
    host = f"Host(`{path.host}`) && " if path.host else ""
    rule = f"{host}{matcher}(`{path.path}`)" if path.path else host.removesuffix(" && ")
    priority = parse_int(model.obj.annotations.get(PREFIX + "router.priority", "")) or len(rule)
    run.routers.append(
        Router(
            model.source,
            path.field,
            rule,
            priority,
            [([path.host] if path.host else None, _as_match(match))],
            _schemes(run, model.obj),
        )
    )
    return match


def _schemes(run: TraefikRun, obj: KubeObject) -> frozenset[str]:
    """The schemes an Ingress's routers serve: https only when TLS-only; otherwise http on
    plain entry points and https on websecure (its TLS)."""
    if _tls_only(obj):
        return frozenset({"https"})
    names = split_list(obj.annotations.get(PREFIX + "router.entrypoints", ""))
    if not names:
        return frozenset({"http", "https"})
    ports = {run.entry_points.get(name, 80) for name in names}
    return frozenset(
        ({"http"} if any(p != 443 for p in ports) else set())
        | ({"https"} if 443 in ports else set())
    )


def _as_match(path: PathMatch) -> Match:
    return Match(path=path)


def _tls_key(obj: KubeObject) -> str:
    """The annotation that made the router TLS-only (see :func:`_tls_only`)."""
    if PREFIX + "router.tls" in obj.annotations:
        return PREFIX + "router.tls"
    return next((k for k in sorted(obj.annotations) if k.startswith(PREFIX + "router.tls.")), "")


def _tls_only(obj: KubeObject) -> bool:
    """``router.tls: true``, or any ``router.tls.*`` key: Traefik's label parser makes the
    router's TLS section for either, and a router with one serves TLS only."""
    annotations = obj.annotations
    if parse_bool(annotations.get(PREFIX + "router.tls", "")) is True:
        return True
    return any(key.startswith(PREFIX + "router.tls.") for key in annotations)


def default_backends(run: TraefikRun, models: list[IngressModel]) -> list[IngressModel]:
    """The first Ingress's default backend (oldest first) as Traefik's catch-all router; the
    others ignored, as Traefik refuses them."""
    with_default = [m for m in models if m.default_backend is not None]
    if not with_default:
        return models
    # Traefik takes the first its Ingress lister returns; taken here: the oldest, then by
    # namespace/name (the fyi below says which one when there are several).
    first = min(
        with_default,
        key=lambda m: (m.creation_timestamp or "\uffff", f"{m.namespace or ''}/{m.name}"),
    )
    laid_out: list[IngressModel] = []
    for model in models:
        if model.default_backend is None:
            laid_out.append(model)
            continue
        laid_out.append(
            dataclasses.replace(model, default_backend=None, default_backend_field=None)
        )
        if model is first:
            laid_out.append(
                dataclasses.replace(model, paths=[], hostless_rules=[], rule_hosts=[], tls=[])
            )
            run.routers.append(
                Router(
                    model.source,
                    model.default_backend_field or "spec.defaultBackend",
                    "PathPrefix(`/`) (the default backend)",
                    -(2**31) + 1,
                    [(None, Match(path=PathMatch("PathPrefix", "/")))],
                    frozenset({"http", "https"}),
                )
            )
        elif model.default_backend_field is not None:
            run.fyi(
                model.source,
                model.default_backend_field,
                f"Traefik serves one default backend, the first its Ingress lister returns "
                f"(taken to be {first.source.display()}, the oldest); this one was refused",
            )
            run.record(
                model.source,
                model.default_backend_field,
                Status.IGNORED,
                "Traefik serves the first Ingress's default backend only",
            )
    return laid_out


def apply(run: TraefikRun, models: list[IngressModel], lowered: Lowered) -> None:
    run.routes.update(id(route) for route in lowered.routes)
    for model in models:
        _apply_model(run, model, lowered)
        for _, rule in lowered.rules_of(model.source):
            for ref in rule.backend_refs:
                run.service_users.add((ref.namespace or model.namespace, ref.name))
                affinity = _sticky(run, ref.namespace or model.namespace, ref.name)
                if affinity is not None:
                    rule.extensions.append(affinity)


_STICKY = PREFIX + "service.sticky.cookie"


def _sticky(run: TraefikRun, namespace: str | None, name: str) -> SessionAffinity | None:
    """``service.sticky.cookie*`` on the Service: Traefik's sticky cookie (one per Service,
    shared by the rules that route to it)."""
    service = run.services.get((namespace, name))
    if service is None or parse_bool(service.annotations.get(_STICKY, "")) is not True:
        return None
    found = run.sticky.get(id(service))
    if found is not None:
        return found
    notes = service.annotations
    source = service.source()
    same_site = notes.get(_STICKY + ".samesite", "").strip().lower()
    max_age = parse_int(notes.get(_STICKY + ".maxage", ""))
    path = notes.get(_STICKY + ".path", "").strip()
    cookie_name = notes.get(_STICKY + ".name", "").strip()
    affinity = SessionAffinity(
        cookie_name=cookie_name
        if cookie_name and not grammar.cookie_name_problem(cookie_name)
        else None,
        ttl_seconds=max_age if max_age and max_age > 0 else None,
        path=path if path and not grammar.cookie_path_problem(path) else None,
        same_site={"strict": "Strict", "lax": "Lax", "none": "None"}.get(same_site),  # type: ignore[arg-type]
        secure="always" if parse_bool(notes.get(_STICKY + ".secure", "")) else None,
        provenance=[
            Provenance(source, annotation_field(key))
            for key in sorted(notes)
            if key == _STICKY or key in _CARRIED_STICKY
        ],
    )
    run.sticky[id(service)] = affinity
    return affinity


_CARRIED_STICKY = {
    _STICKY + suffix for suffix in (".name", ".secure", ".samesite", ".maxage", ".path")
}


def _apply_model(run: TraefikRun, model: IngressModel, lowered: Lowered) -> None:
    annotations = model.obj.annotations
    source = model.source
    # Traefik's default router is its own (every entry point, none of the Ingress's
    # middlewares): the Ingress's annotations apply to its other rules.
    rules = [
        (route, rule)
        for route, rule in lowered.rules_of(source)
        if not any(p.field in ("spec.defaultBackend", "spec.backend") for p in rule.provenance)
    ]
    default = [item for item in lowered.rules_of(source) if item not in rules]
    run.https_hostless.update(id(route) for route, _ in default if not route.hostnames)
    # Middlewares, in order.
    key = PREFIX + "router.middlewares"
    if key in annotations:
        origin = Provenance(source, annotation_field(key))
        chain: list[KubeObject] | None = []
        for item in split_list(annotations[key]):
            if "@" in item and not item.endswith("@kubernetescrd"):
                run.unsupported(
                    source,
                    origin.field,
                    f"middleware {item} comes from another Traefik provider and is unknown here; "
                    "the Ingress's rules are closed (it may be an access control)",
                    security=True,
                )
                for _, rule in rules:
                    rule.extensions.append(
                        RefusedControl(what=f"the middleware {item}", provenance=[origin])
                    )
                chain = None
                break
            found = middlewares.resolve_ingress_reference(run, model.namespace, item, origin)
            expanded = middlewares.expand(run, found, origin) if found is not None else None
            if expanded is None:
                for _, rule in rules:
                    rule.extensions.append(
                        RefusedControl(what=f"the missing middleware {item}", provenance=[origin])
                    )
                chain = None
                break
            assert chain is not None
            chain.extend(expanded)
        if chain is not None:
            for _, rule in rules:
                match = rule.matches[0] if rule.matches else None
                for mw in chain:
                    effects = middlewares.effects(run, mw, match, rule.filters)
                    rule.filters.extend(effects.filters)
                    rule.extensions.extend(effects.extensions)
            run.record(source, origin.field, Status.CONVERTED)
    key = PREFIX + "router.tls.options"
    if key in annotations:
        ref = annotations[key].strip()
        name, _, provider = ref.partition("@")
        found = None
        if provider in ("", "kubernetescrd"):
            for (kind, ns, obj_name), obj in sorted(
                run.objects.items(), key=lambda kv: (kv[0][1] or "", kv[0][2])
            ):
                if kind == "TLSOption" and (
                    f"{ns}-{obj_name}" == name or (obj_name == name and ns == model.namespace)
                ):
                    found = obj
                    break
        origin = Provenance(source, annotation_field(key))
        if found is None:
            run.missing(
                source, origin.field, f"TLSOption {ref} is not in the input; the rules are closed"
            )
            for _, rule in rules:
                rule.extensions.append(
                    RefusedControl(what=f"the TLSOption {ref}", provenance=[origin])
                )
        else:
            extensions = tls_option(run, found, origin)
            for _, rule in rules:
                rule.extensions.extend(extensions)
            if not extensions:
                run.record(source, origin.field, Status.CONVERTED, "nothing to carry")
    https_kept = _entry_points(run, model, rules)
    if model.tls and not _tls_only(model.obj) and https_kept:
        run.fyi(
            source,
            "spec.tls",
            "in Traefik spec.tls only loads certificates: these routers served plain HTTP unless "
            "their entry point terminated TLS; the HTTPS listeners made for the hosts serve them "
            "over HTTPS too",
        )


def _entry_points(
    run: TraefikRun, model: IngressModel, rules: list[tuple[HTTPRoute, Rule]]
) -> bool:
    """Take the Ingress's routes off the listeners its entry points did not serve; whether
    HTTPS listeners still serve them."""
    annotations = model.obj.annotations
    source = model.source
    names = split_list(annotations.get(PREFIX + "router.entrypoints", ""))
    tls_only = _tls_only(model.obj)
    ports = {run.entry_points.get(name) for name in names}
    unknown = [name for name in names if name not in run.entry_points]
    if unknown:
        run.invalid(
            source,
            annotation_field(PREFIX + "router.entrypoints"),
            f"entry points {', '.join(unknown)} have no port in the entry-points option; the "
            "routes stay on the listeners of ports 80 and 443",
        )
    keep_http = not tls_only and (not names or any(p != 443 for p in ports if p))
    keep_https = not names or 443 in ports or tls_only
    if tls_only and (not names or any(p != 443 for p in ports if p)):
        run.differs(
            source,
            annotation_field(_tls_key(model.obj)),
            "Traefik served these TLS routers on every entry point named (or all of them), "
            "port 80 too; the conversion serves them on the HTTPS listeners of port 443",
        )
    if keep_https:
        # A route without host serves every host: on websecure too (see spread.py).
        hostless = [route for route, _ in rules if not route.hostnames]
        run.https_hostless.update(id(route) for route in hostless)
        if hostless:
            # A Gateway API listener needs a certificate and is picked by host name: these
            # routes reach HTTPS only through the HTTPS listeners other hosts get.
            run.differs(
                source,
                "spec.rules",
                "Traefik's TLS entry point served the routers without host for every host name "
                "(with the default certificate where no other matched); the conversion serves "
                "them over HTTPS only for hosts with an HTTPS listener of their own: HTTPS "
                "requests for any other host find no listener",
            )
    if keep_http and keep_https:
        return True
    routes = {id(route): route for route, _ in rules}
    for route in routes.values():
        if any(model.source not in rule.sources for rule in route.rules):
            run.differs(
                source,
                annotation_field(
                    _tls_key(model.obj) if tls_only else PREFIX + "router.entrypoints"
                ),
                f"HTTPRoute {route.name} also holds other Ingresses' rules: it stays on both "
                "HTTP and HTTPS listeners",
            )
            continue
        gateway = lowered_gateway(run, route)
        kept = []
        for parent in route.parent_refs:
            found = gateway.listener(parent.section_name or "") if gateway is not None else None
            protocol = found.protocol if found is not None else None
            if (protocol == "HTTP" and keep_http) or (protocol == "HTTPS" and keep_https):
                kept.append(parent)
        if not kept:
            run.differs(
                source,
                annotation_field(
                    _tls_key(model.obj) if tls_only else PREFIX + "router.entrypoints"
                ),
                f"a TLS-only router for a host without certificate in the input: Traefik served "
                f"it with its default certificate; HTTPRoute {route.name} stays on HTTP",
            )
            continue
        route.parent_refs = kept
    return keep_https


def lowered_gateway(run: TraefikRun, route: HTTPRoute):  # type: ignore[no-untyped-def]
    for gateway in run.ctx.ir.gateways:
        for parent in route.parent_refs:
            if (
                parent.name == gateway.name
                and (parent.namespace or route.namespace) == gateway.namespace
            ):
                return gateway
    return None
