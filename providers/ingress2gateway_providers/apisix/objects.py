"""The other APISIX kinds: ApisixPluginConfig, ApisixUpstream, ApisixTls, ApisixConsumer,
ApisixGlobalRule, ApisixClusterConfig.

* **ApisixPluginConfig** (and 2.x ``PluginConfig``): read where an Ingress's
  ``plugin-config-name`` or an ApisixRoute rule's ``plugin_config_name`` names it; its plugins
  are read as route plugins. One no route names is reported as unused.
* **ApisixUpstream** (named after the Service it configures): ``scheme`` https/grpcs needs a
  BackendTLSPolicy, ``loadbalancer`` becomes a load-balancer extension, ``retries`` and
  ``timeout`` extensions on every rule that routes to the Service; ``healthCheck``, ``subsets``,
  ``externalNodes``, ``discovery``, ``passHost``, ``portLevelSettings`` and ``tlsSecret`` are
  reported.
* **ApisixTls**: HTTPS listeners for its ``hosts`` with its ``secret`` (a ReferenceGrant when the
  Secret is in another namespace); ``client`` (mutual TLS) is a client-certificate extension: the
  listener's routes are emitted **closed** unless the emitter carries it.
* **ApisixConsumer**: credentials; not converted (reported). **ApisixGlobalRule**: plugins on
  every request; reported. **ApisixClusterConfig** (1.x), **GatewayProxy** (2.x): data-plane
  settings; ignored. The 2.x policies (**BackendTrafficPolicy**, **HTTPRoutePolicy**,
  **L4RoutePolicy**) are reported as not converted.
"""

from __future__ import annotations

from typing import Any

from ingress2gateway.converting import grammar
from ingress2gateway.ir import Extension, LoadBalancer, Provenance, Retry, Timeouts
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from . import plugins
from .common import APISIX_GROUP, ApisixRun, duration_ms, gateway_duration, parse_int


def plugin_list(value: object) -> list[tuple[int, str, dict[str, Any], bool]]:
    """``plugins[]`` as (index, name, config, enabled)."""
    out = []
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        conf = item.get("config")
        enabled = item.get("enable", True) is not False
        out.append(
            (
                index,
                name if isinstance(name, str) else "",
                conf if isinstance(conf, dict) else {},
                enabled,
            )
        )
    return out


def plugins_effects(
    run: ApisixRun, source: SourceRef, base: str, value: object
) -> list[plugins.Effects]:
    """The effects of every enabled plugin of ``value`` (a ``plugins`` list at ``base``)."""
    out = []
    for index, name, conf, enabled in plugin_list(value):
        field_path = f"{base}[{index}]"
        if not enabled:
            run.record(source, field_path, Status.IGNORED, "enable: false")
            continue
        if (
            isinstance(value, list)
            and isinstance(value[index], dict)
            and "secretRef" in value[index]
        ):
            run.unsupported(
                source,
                f"{field_path}.secretRef",
                "plugin configuration from a Secret is not read (never copied into output)",
            )
        out.append(plugins.effects(run, name, conf, source, field_path))
    return out


def merged(effects: list[plugins.Effects]) -> plugins.Effects:
    out = plugins.Effects()
    for item in effects:
        out.filters.extend(item.filters)
        out.extensions.extend(item.extensions)
        out.redirect = item.redirect or out.redirect
        out.https_redirect = item.https_redirect or out.https_redirect
    return out


def plugin_effects(
    run: ApisixRun, config: KubeObject, user: SourceRef, user_field: str
) -> plugins.Effects:
    """The plugins of an ApisixPluginConfig, for one rule of ``user``."""
    run.use(config)
    effects = merged(
        plugins_effects(run, config.source(), "spec.plugins", config.spec.get("plugins"))
    )
    for ext in effects.extensions:
        ext.provenance.append(Provenance(user, user_field))
    return effects


_LB = {
    "roundrobin": "RoundRobin",
    "least_conn": "LeastRequest",
    "ewma": "LeastRequest",
    "chash": "ConsistentHash",
}


def upstream_extensions(run: ApisixRun, namespace: str | None, service: str) -> list[Extension]:
    """Extensions the ApisixUpstream named after ``service`` puts on rules routing to it."""
    obj = run.upstreams.get((namespace, service))
    if obj is None:
        return []
    run.use(obj)
    source = obj.source()
    spec = obj.spec
    out: list[Extension] = []
    lb = spec.get("loadbalancer")
    if isinstance(lb, dict):
        kind = _LB.get(str(lb.get("type", "roundrobin")))
        if kind is None:
            run.invalid(source, "spec.loadbalancer", f"type {lb.get('type')!r} is unknown")
        elif kind == "RoundRobin":
            run.record(source, "spec.loadbalancer", Status.CONVERTED, "round robin, the default")
        else:
            hash_on = None
            if kind == "ConsistentHash":
                hash_on = f"{lb.get('hashOn', 'vars')}:{lb.get('key', 'remote_addr')}"
            out.append(
                LoadBalancer(
                    algorithm=kind,  # type: ignore[arg-type]
                    hash_on=hash_on,
                    provenance=[Provenance(source, "spec.loadbalancer")],
                )
            )
    retries = parse_int(spec.get("retries"))
    if retries is not None and retries > 0:
        out.append(Retry(attempts=retries, provenance=[Provenance(source, "spec.retries")]))
    timeout = spec.get("timeout")
    if isinstance(timeout, dict):
        values = {k: duration_ms(timeout.get(k)) for k in ("connect", "read", "send")}
        out.append(
            Timeouts(
                connect=gateway_duration(values["connect"]) if values["connect"] else None,
                read=gateway_duration(values["read"]) if values["read"] else None,
                send=gateway_duration(values["send"]) if values["send"] else None,
                provenance=[Provenance(source, "spec.timeout")],
            )
        )
    return out


def upstream_host(
    run: ApisixRun, namespace: str | None, service: str
) -> tuple[str, list[Provenance]] | None:
    """The Host APISIX sends to ``service`` when its ApisixUpstream says ``passHost:
    rewrite`` with an ``upstreamHost`` (a URLRewrite hostname), or None."""
    obj = run.upstreams.get((namespace, service))
    if obj is None or obj.spec.get("passHost") != "rewrite":
        return None
    host = obj.spec.get("upstreamHost")
    source = obj.source()
    if not isinstance(host, str) or grammar.hostname_problem(host.lower(), wildcard=False):
        run.invalid(source, "spec.upstreamHost", f"{host!r} is not a host name")
        return None
    run.use(obj)
    provs = [Provenance(source, "spec.passHost"), Provenance(source, "spec.upstreamHost")]
    run.record(source, "spec.passHost", Status.CONVERTED, "URLRewrite hostname")
    run.record(source, "spec.upstreamHost", Status.CONVERTED, "URLRewrite hostname")
    return host.lower(), provs


_UPSTREAM_UNSUPPORTED = {
    "healthCheck": "health checks (active/passive) are not carried; configure the "
    "implementation's health checking",
    "subsets": "subsets select Pods by label: make one Service per subset",
    "externalNodes": "external nodes have no Service: create an ExternalName Service",
    "discovery": "service discovery other than Kubernetes is not carried",
    "passHost": "node (the Pod's address as Host) is not carried; rewrite is, for routes "
    "with this one backend",
    "upstreamHost": "carried only with passHost rewrite, for routes with this one backend",
    "portLevelSettings": "per-port settings are not carried",
    "tlsSecret": "client certificate to the backend: a BackendTLSPolicy does not carry it",
}


_POLICIES = {
    "BackendTrafficPolicy": "load balancing, retries and timeouts of Services",
    "HTTPRoutePolicy": "priority and vars of routes",
    "L4RoutePolicy": "stream route settings",
}


def account(run: ApisixRun, served: set[int]) -> None:
    """Ledger entries for the APISIX objects no route recorded yet (``served``: the ids of
    objects of the served class)."""
    skip = run.ctx.ir.extension_fields()
    for obj in run.ctx.objects:
        if obj.group != APISIX_GROUP or obj.kind == "ApisixRoute":
            continue
        if id(obj) in run.ctx.claimed and id(obj) not in run.used:
            continue
        run.ctx.claim(obj)
        source = obj.source()
        spec = obj.spec if isinstance(obj.data.get("spec"), dict) else {}
        if obj.kind == "ApisixUpstream":
            _account_upstream(run, obj, spec, skip)
            continue
        if obj.kind in ("ApisixPluginConfig", "PluginConfig"):
            note = (
                "read where a route names it"
                if id(obj) in run.used
                else ("no converted route names it")
            )
            _fields(
                run,
                source,
                spec,
                skip,
                Status.CONVERTED if id(obj) in run.used else Status.IGNORED,
                note,
            )
            continue
        if obj.kind == "ApisixTls":
            continue  # routes.py accounts for it
        if obj.kind in ("ApisixConsumer", "Consumer"):
            run.fyi(
                source,
                None,
                f"{obj.kind}: consumers and their credentials have no Gateway "
                "API equivalent; re-create them for the gateway's authentication",
            )
            _fields(run, source, spec, skip, Status.UNSUPPORTED, "consumers are not converted")
        elif obj.kind == "ApisixGlobalRule":
            for index, name, _conf, enabled in plugin_list(spec.get("plugins")):
                if enabled:
                    run.unsupported(
                        source,
                        f"spec.plugins[{index}]",
                        f"global plugin {name} runs on every request of the gateway; not converted",
                    )
            _fields(run, source, spec, skip, Status.UNSUPPORTED, "global rules are not converted")
        elif obj.kind in _POLICIES:
            # 2.x policies attached to Services and routes (load balancing, retries, timeouts,
            # route priorities and vars): not read by this provider.
            run.unsupported(
                source,
                "spec",
                f"{obj.kind} ({_POLICIES[obj.kind]}) is not converted: re-create it as the "
                "implementation's policy",
            )
        else:
            _fields(
                run, source, spec, skip, Status.IGNORED, f"{obj.kind}: not routing configuration"
            )


def _fields(
    run: ApisixRun,
    source: SourceRef,
    spec: dict[str, Any],
    skip: frozenset[tuple[SourceRef, str]],
    status: Status,
    note: str,
) -> None:
    if not spec:
        if not run.report.has_entry(source, "spec"):
            run.record(source, "spec", status, note)
        return
    for key in sorted(spec):
        field_path = f"spec.{key}"
        if run.report.has_entry(source, field_path) or (source, field_path) in skip:
            continue
        if any(run.report.has_entry(source, f"{field_path}[{i}]") for i in range(64)):
            continue
        run.record(source, field_path, status, note)


def _account_upstream(
    run: ApisixRun, obj: KubeObject, spec: dict[str, Any], skip: frozenset[tuple[SourceRef, str]]
) -> None:
    source = obj.source()
    used = id(obj) in run.used
    for key in sorted(spec):
        field_path = f"spec.{key}"
        if (source, field_path) in skip or run.report.has_entry(source, field_path):
            continue
        if not used:
            run.record(source, field_path, Status.IGNORED, "no converted route uses its Service")
        elif key in _UPSTREAM_UNSUPPORTED:
            run.unsupported(
                source, field_path, f"ApisixUpstream {key}: {_UPSTREAM_UNSUPPORTED[key]}"
            )
        elif key == "scheme":
            scheme = str(spec[key]).lower()
            if scheme == "http":
                run.record(source, field_path, Status.CONVERTED, "HTTP, the default")
            else:
                run.unsupported(
                    source,
                    field_path,
                    f"APISIX spoke {scheme} to the backend; add "
                    "a BackendTLSPolicy (https/grpcs) or a GRPCRoute (grpc)",
                )
        else:
            run.record(source, field_path, Status.CONVERTED)
