"""The load balancer of one Ingress: its addresses, certificates, plain HTTP and FrontendConfig.

GKE makes one Google Cloud load balancer per Ingress (``pkg/loadbalancers/l7.go``), so each of
these settings is the Ingress's own Gateway's.

* ``kubernetes.io/ingress.allow-http: "false"`` (read with Go's ``ParseBool``; a value it
  refuses counts as true, as in GKE): no port-80 forwarding rule, so the Gateway keeps only its
  HTTPS listeners, and a route only HTTP served is dropped. With no certificate at all GKE made
  no load balancer: nothing of the Ingress is converted (``gce-no-load-balancer``).
* ``networking.gke.io/v1beta1.FrontendConfig`` names a FrontendConfig of the Ingress's
  namespace. ``redirectToHttps.enabled`` makes GKE answer **every** plain-HTTP request of the
  Ingress (all hosts, all paths) with a redirect to https (``pkg/translator/translator.go``
  ``ToRedirectUrlMap``), with ``responseCodeName`` ``MOVED_PERMANENTLY_DEFAULT`` (301, the
  default), ``FOUND`` (302), ``SEE_OTHER`` (303), ``TEMPORARY_REDIRECT`` (307) or
  ``PERMANENT_REDIRECT`` (308): the HTTP listeners get one route that redirects and nothing
  else. ``sslPolicy`` names a Compute SSL policy: reported.
* Static addresses (``global-static-ip-name``, ``regional-static-ip-name``), Compute
  certificates (``ingress.gcp.kubernetes.io/pre-shared-cert``) and Google-managed certificates
  (``networking.gke.io/managed-certificates``) have nothing a Gateway API object can name
  portably: reported, each with what to do instead.
"""

from __future__ import annotations

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Gateway, HTTPRoute, Provenance, RequestRedirect, Rule
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Level, Status

from .catalog import (
    ALLOW_HTTP,
    FRONTEND_CONFIG,
    GLOBAL_IP,
    MANAGED_CERTS,
    PRE_SHARED_CERT,
    REGIONAL_IP,
)
from .common import GceRun, annotation_field, parse_bool

REDIRECT_CODES = {
    "MOVED_PERMANENTLY_DEFAULT": 301,
    "FOUND": 302,
    "SEE_OTHER": 303,
    "TEMPORARY_REDIRECT": 307,
    "PERMANENT_REDIRECT": 308,
}


def allows_http(model: IngressModel) -> bool:
    value = model.obj.annotations.get(ALLOW_HTTP)
    return value is None or parse_bool(value.strip()) is not False


def google_certificates(model: IngressModel) -> bool:
    """Whether GKE attached certificates that are not Secrets (pre-shared or managed)."""
    annotations = model.obj.annotations
    return any(annotations.get(key, "").strip() for key in (PRE_SHARED_CERT, MANAGED_CERTS))


def serves_nothing(model: IngressModel) -> bool:
    """GKE makes no load balancer for an Ingress without plain HTTP and without certificates
    (``pkg/loadbalancers/l7.go``: no HTTP and no HTTPS forwarding rule)."""
    has_tls = any(tls.secret_name for tls in model.tls)
    return not allows_http(model) and not has_tls and not google_certificates(model)


def frontend_config(run: GceRun, model: IngressModel) -> KubeObject | None:
    name = model.obj.annotations.get(FRONTEND_CONFIG, "").strip()
    if not name:
        return None
    found = run.frontend_configs.get((model.namespace, name))
    if found is None:
        run.flag(
            Level.WARNING,
            "gce-reference-missing",
            f"FrontendConfig {name!r} is not in the input (GKE reported an error and applied "
            "none); add it to convert its settings",
            Status.UNSUPPORTED,
            model.source,
            annotation_field(FRONTEND_CONFIG),
        )
    return found


def apply(run: GceRun, model: IngressModel, gateway: Gateway, routes: list[HTTPRoute]) -> None:
    _addresses(run, model)
    _certificates(run, model)
    config = frontend_config(run, model)
    http_allowed = allows_http(model)
    if ALLOW_HTTP in model.obj.annotations:
        field = annotation_field(ALLOW_HTTP)
        value = model.obj.annotations[ALLOW_HTTP].strip()
        if parse_bool(value) is None:
            run.flag(
                Level.WARNING,
                "gce-value-invalid",
                f"{ALLOW_HTTP} {value!r} is not a boolean; GKE read it as true",
                Status.CONVERTED,
                model.source,
                field,
            )
        else:
            run.record(model.source, field, Status.CONVERTED)
    if not http_allowed:
        _drop_http(run, model, gateway, routes)
    redirect = config.spec.get("redirectToHttps") if config is not None else None
    if config is not None:
        run.used.add(id(config))
        run.record(model.source, annotation_field(FRONTEND_CONFIG), Status.CONVERTED)
        _ssl_policy(run, config)
        if isinstance(redirect, dict):
            _redirect(run, model, config, redirect, gateway, routes, http_allowed)


def _addresses(run: GceRun, model: IngressModel) -> None:
    annotations = model.obj.annotations
    both = bool(annotations.get(GLOBAL_IP, "").strip() and annotations.get(REGIONAL_IP, "").strip())
    for key in (GLOBAL_IP, REGIONAL_IP):
        value = annotations.get(key, "").strip()
        if not value:
            continue
        message = (
            f"{key}: the reserved address {value!r} is not carried (Gateway.spec.addresses is "
            "not generated); the Gateway gets a new address: add it by hand, or move DNS"
        )
        if both:
            message += "; GKE refuses an Ingress with both a global and a regional address"
        run.flag(
            Level.WARNING,
            "gce-feature-unsupported",
            message,
            Status.UNSUPPORTED,
            model.source,
            annotation_field(key),
        )


def _certificates(run: GceRun, model: IngressModel) -> None:
    annotations = model.obj.annotations
    if value := annotations.get(PRE_SHARED_CERT, "").strip():
        run.flag(
            Level.WARNING,
            "gce-feature-unsupported",
            f"{PRE_SHARED_CERT}: the Compute certificates {value!r} are not Kubernetes Secrets; "
            "the hosts they served on HTTPS get no HTTPS listener from them (put the "
            "certificates in Secrets named by spec.tls)",
            Status.UNSUPPORTED,
            model.source,
            annotation_field(PRE_SHARED_CERT),
        )
    if value := annotations.get(MANAGED_CERTS, "").strip():
        for name in (item.strip() for item in value.split(",")):
            found = run.managed_certs.get((model.namespace, name)) if name else None
            if found is not None:
                run.used.add(id(found))
        run.flag(
            Level.WARNING,
            "gce-feature-unsupported",
            f"{MANAGED_CERTS}: Google-managed certificates ({value!r}) have no Gateway API "
            "equivalent; the hosts they served on HTTPS get no HTTPS listener from them (use "
            "cert-manager, or your implementation's certificate management)",
            Status.UNSUPPORTED,
            model.source,
            annotation_field(MANAGED_CERTS),
        )


def _ssl_policy(run: GceRun, config: KubeObject) -> None:
    policy = config.spec.get("sslPolicy")
    if policy is None:
        return
    run.flag(
        Level.WARNING,
        "gce-feature-unsupported",
        f"sslPolicy {policy!r}: a Compute SSL policy (TLS versions and ciphers) has no "
        "Gateway API field; set the equivalent in your implementation",
        Status.UNSUPPORTED,
        config.source(),
        "spec.sslPolicy",
    )


def _http_listeners(gateway: Gateway) -> list[str]:
    return [item.name for item in gateway.listeners if item.protocol == "HTTP"]


def _detach(run: GceRun, gateway: Gateway, names: list[str], routes: list[HTTPRoute]) -> None:
    """Take routes off the listeners ``names``; a route left on none is not emitted."""
    removed = set(names)
    gone: list[HTTPRoute] = []
    for route in routes:
        route.parent_refs = [
            ref
            for ref in route.parent_refs
            if not (ref.name == gateway.name and ref.section_name in removed)
        ]
        if not route.parent_refs:
            gone.append(route)
    if gone:
        ids = {id(route) for route in gone}
        run.dropped |= ids
        routes[:] = [r for r in routes if id(r) not in ids]


def _drop_http(run: GceRun, model: IngressModel, gateway: Gateway, routes: list[HTTPRoute]) -> None:
    names = _http_listeners(gateway)
    before = {id(route) for route in routes}
    _detach(run, gateway, names, routes)
    gateway.listeners[:] = [item for item in gateway.listeners if item.name not in names]
    dropped = before - {id(route) for route in routes}
    if dropped:
        run.notify(
            Level.WARNING,
            "gce-behaviour-differs",
            f"{len(dropped)} route(s) of hosts without an HTTPS listener are dropped with the "
            "HTTP listeners; GKE served every host of the Ingress over HTTPS with its "
            "certificates (matched by SNI): add a spec.tls entry for those hosts",
            model.source,
            annotation_field(ALLOW_HTTP),
        )


def _redirect(
    run: GceRun,
    model: IngressModel,
    config: KubeObject,
    redirect: dict[str, object],
    gateway: Gateway,
    routes: list[HTTPRoute],
    http_allowed: bool,
) -> None:
    source = config.source()
    if redirect.get("enabled") is not True:
        run.record(source, "spec.redirectToHttps", Status.CONVERTED, "not enabled")
        return
    if not http_allowed:
        run.record(
            source,
            "spec.redirectToHttps",
            Status.IGNORED,
            f"the Ingress has {ALLOW_HTTP} false: there is no plain HTTP to redirect",
        )
        return
    code_name = redirect.get("responseCodeName") or "MOVED_PERMANENTLY_DEFAULT"
    code = REDIRECT_CODES.get(code_name) if isinstance(code_name, str) else None
    if code is None:
        run.flag(
            Level.WARNING,
            "gce-value-invalid",
            f"redirectToHttps.responseCodeName {code_name!r} is not one GKE accepts; the "
            "redirect is converted with 301",
            Status.PARTIAL,
            source,
            "spec.redirectToHttps.responseCodeName",
        )
        code = 301
    names = _http_listeners(gateway)
    if not names:
        return
    _detach(run, gateway, names, routes)
    namespace = model.namespace
    prov = [
        Provenance(source, "spec.redirectToHttps"),
        Provenance(model.source, annotation_field(FRONTEND_CONFIG)),
    ]
    route = HTTPRoute(
        name=run.ctx.allocator("HTTPRoute", namespace).allocate(
            f"{model.name}-https-redirect", f"gce-redirect/{gateway.namespace}/{gateway.name}"
        ),
        namespace=namespace,
        parent_refs=[gateway.parent_ref(namespace, name) for name in names],
        rules=[
            Rule(
                filters=[RequestRedirect(scheme="https", status_code=code, provenance=list(prov))],
                provenance=list(prov),
                sources=[model.source],
            )
        ],
        provenance=list(prov),
    )
    for listener in gateway.listeners:
        if listener.name in names and namespace != gateway.namespace:
            listener.allowed_namespaces.add(namespace)
    run.ctx.ir.routes.append(route)
    routes.append(route)
    run.record(source, "spec.redirectToHttps", Status.CONVERTED)
