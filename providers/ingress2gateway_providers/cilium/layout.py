"""**Load balancers.** Cilium gives an Ingress in ``dedicated`` mode (the operator's default,
Helm ``ingressController.loadbalancerMode``) a LoadBalancer Service, and so an address, of its
own; ``shared`` Ingresses share one. A dedicated Ingress gets a Gateway of its own, named
``cilium-<ingress>`` (``<--gateway-name>-<ingress>`` when given) in the Ingress's namespace
(or ``--gateway-namespace``); the shared ones share the Gateway named after the class, laid out
as for every Ingress provider (one per namespace with ``--gateway-per-namespace``). The
``loadbalancer-mode`` option says which mode the operator ran with by default (an
annotation value other than ``dedicated``/``shared`` means that default:
``ingress_reconcile.go isEffectiveLoadbalancerModeDedicated``).

**What Cilium builds per Ingress** (``ingestion/ingress.go``): one virtual host per rule host,
and a catch-all one (``*``) for rules without host and for ``spec.defaultBackend``, which
answers only hosts that have no virtual host of their own (a catch-all ``/`` on the
hostless listener, not ``/`` on the Ingress's hosts). A rule without ``http`` makes nothing.
A ``spec.tls`` entry covers exactly the hosts it names that a rule of the same Ingress routes;
an entry without hosts covers nothing; a named host without a rule gets the Ingress's
catch-all routes over HTTPS (not carried: reported). When the Ingress has a catch-all (a
default backend or a rule without host), Cilium copies that catch-all listener for every TLS
host: HTTPS serves the catch-all's routes in place of the host's, and HTTP is not redirected;
the output does the same on a dedicated Gateway (the catch-all route is attached to the
host's HTTPS listener too); on a shared one, whose catch-all route holds other Ingresses'
rules, the host's rules are served on HTTP only (reported).
"""

from __future__ import annotations

import dataclasses

from ingress2gateway.converting.ingress import IngressModel, IngressPath, IngressTLS
from ingress2gateway.converting.lowering import IngressPolicy, Lowered, lower_ingresses
from ingress2gateway.reporting.report import Level, Status

from .common import CiliumRun


def prepare(run: CiliumRun, model: IngressModel) -> list[IngressModel]:
    """``model`` as Cilium reads it, for the shared lowering (one or two models)."""
    with_http = [(i, host) for i, host in model.rule_hosts if i not in model.hostless_rules]
    for index in model.hostless_rules:
        run.flag(
            Level.INFO,
            "cilium-rule-skipped",
            model,
            f"spec.rules[{index}]",
            "a rule without http: Cilium skips it (no virtual host is made for its host)",
            Status.IGNORED,
        )
    routed = {host for _, host in with_http if host is not None}
    catch_all = has_catch_all(model)
    tls = [entry for entry in (_tls(run, model, t, routed, catch_all) for t in model.tls) if entry]
    paths = [p for p in model.paths if not _shadowed(run, model, p)]
    base = dataclasses.replace(model, paths=paths, rule_hosts=with_http, hostless_rules=[], tls=tls)
    if model.default_backend is None or not with_http:
        return [base]
    # The default backend is the catch-all virtual host's, whatever the rules' hosts.
    without = dataclasses.replace(base, default_backend=None, default_backend_field=None)
    only_default = dataclasses.replace(model, paths=[], rule_hosts=[], hostless_rules=[], tls=[])
    return [without, only_default]


def _tls(
    run: CiliumRun, model: IngressModel, tls: IngressTLS, routed: set[str], catch_all: bool
) -> IngressTLS | None:
    if not tls.hosts:
        run.flag(
            Level.WARNING,
            "cilium-tls-not-carried",
            model,
            tls.field,
            "a TLS entry without hosts: Cilium makes no HTTPS listener for it (it reads only "
            "the hosts an entry names)",
            Status.IGNORED,
        )
        return None
    kept = [host for host in tls.hosts if host in routed]
    for host in tls.hosts:
        if host in routed:
            if catch_all:
                dedicated = run.dedicated.get(model.source, True)
                run.note(
                    Level.INFO if dedicated else Level.WARNING,
                    "cilium-tls-catch-all",
                    model,
                    tls.field,
                    f"this Ingress also has a default backend or rules without host: Cilium "
                    f"served those on HTTPS for {host} in place of the host's own rules, and did "
                    "not redirect its HTTP requests (ingestion/ingress.go copies the catch-all "
                    "listener for every TLS host); "
                    + (
                        "so does the output"
                        if dedicated
                        else "on a shared Gateway the output cannot: the host's rules are "
                        "served on HTTP only"
                    ),
                )
            continue
        if catch_all:
            run.note(
                Level.WARNING,
                "cilium-tls-not-carried",
                model,
                tls.field,
                f"no rule of this Ingress has host {host}: Cilium served the Ingress's rules "
                "without host (and its default backend) over HTTPS for it; not converted (add "
                "a rule with that host)",
            )
        else:
            run.note(
                Level.INFO,
                "cilium-tls-not-carried",
                model,
                tls.field,
                f"no rule of this Ingress has host {host}: Cilium made no HTTPS listener for "
                "it, nor does the output",
            )
    if not kept:
        run.ctx.report.record(
            model.source,
            tls.field,
            Status.IGNORED,
            note="no rule of this Ingress routes its hosts",
            provider="cilium",
        )
        return None
    return IngressTLS(tls.index, kept, tls.secret_name)


def lower_dedicated(
    run: CiliumRun, model: IngressModel, policy: IngressPolicy, into: Lowered
) -> None:
    """Lower ``model`` onto a Gateway of its own and add what it made to ``into``."""
    ctx = run.ctx
    options = ctx.options
    own = dataclasses.replace(
        options,
        gateway_name=dedicated_name(run, model),
        gateway_namespace=options.gateway_namespace or model.namespace,
        gateway_per_namespace=False,
    )
    # The lowering reads the input only for the Services' named ports: hand it those of the
    # Ingress's namespace, not the whole input once per Ingress.
    services = run.services_in(model.namespace)
    own_ctx = dataclasses.replace(ctx, options=own, objects=services)
    lowered = lower_ingresses(own_ctx, prepare(run, model), policy)
    into.gateways.extend(lowered.gateways)
    into.routes.extend(lowered.routes)
    for source, pairs in lowered.rules_by_source.items():
        into.rules_by_source.setdefault(source, []).extend(pairs)
    into.gateway_of.update(lowered.gateway_of)


def dedicated_name(run: CiliumRun, model: IngressModel) -> str:
    """``cilium-<ingress>``; with the namespace too when ``--gateway-namespace`` gathers the
    dedicated Gateways of several namespaces in one."""
    options = run.ctx.options
    base = options.gateway_name or model.class_name or "cilium"
    if options.gateway_namespace and options.gateway_namespace != model.namespace:
        return f"{base}-{model.namespace or 'default'}-{model.name}"
    return f"{base}-{model.name}"


def has_catch_all(model: IngressModel) -> bool:
    """Whether Cilium makes the ``*`` listener for ``model`` (a default backend, or a rule
    without host that has ``http``)."""
    return model.default_backend is not None or any(p.host is None for p in model.paths)


def _shadowed(run: CiliumRun, model: IngressModel, path: IngressPath) -> bool:
    """A ``Prefix /`` rule without host next to the Ingress's default backend: both are a
    plain ``/`` prefix and the default backend's route comes first (``sort.Stable`` keeps
    ingestion order), so the rule never answered."""
    if path.host is not None or path.path != "/" or path.path_type != "Prefix":
        return False
    if model.default_backend is None:
        return False
    run.flag(
        Level.WARNING,
        "cilium-order-differs",
        model,
        path.field,
        f"Prefix / without host: the default backend of this Ingress "
        f"({model.default_backend_field}) is a / prefix too and comes first in Cilium's order, "
        "so it took every request this rule matches; not converted",
        Status.IGNORED,
    )
    return True
