"""Which Ingresses the Cilium operator serves, and the listeners it ingests from each.

Written from cilium/cilium: ``operator/pkg/ingress/helpers.go``
(``isCiliumManagedIngress``, ``ingressClassName``: the annotation before the field; the
``cilium`` IngressClass marked default with a ParseBool truth takes unclassed Ingresses),
``operator/pkg/ingress/annotations/annotations.go`` (the value readers) and
``operator/pkg/model/ingestion/ingress.go`` (``Ingress``: an insecure listener per rule host,
``*`` for the default backend and rules without host, a rule without ``http`` skipped; a
secure listener per ``spec.tls`` host, taken from the host's insecure listener or else the
``*`` one — and replaced by a copy of the ``*`` listener whenever the Ingress has one;
``IngressPassthrough``: rules with a host, paths equal to ``/``). Nothing here comes from the
provider's conversion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Backend, Cause

CLASS = "cilium"
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True)
class PathMatch:
    """``model.StringMatch`` of a route: one of exact, prefix, regex; all empty for the
    default backend's route (Envoy's plain ``/`` prefix)."""

    exact: str = ""
    prefix: str = ""
    regex: str = ""


@dataclass(frozen=True)
class HTTPRoute:
    match: PathMatch
    backends: tuple[Backend, ...]
    cause: Cause


@dataclass
class Listener:
    hostname: str
    routes: list[HTTPRoute] = field(default_factory=list)
    force_https: bool = False
    tls_cause: Cause | None = None
    host_causes: list[Cause] = field(default_factory=list)
    """The rule hosts that named this listener's host (what a wildcard's one-label rule
    depends on)."""


@dataclass
class Ingested:
    """What one Ingress gives the translation."""

    namespace: str
    name: str
    dedicated: bool
    insecure: dict[str, Listener] = field(default_factory=dict)
    secure: dict[str, Listener] = field(default_factory=dict)
    passthrough: dict[str, list[tuple[Backend, Cause]]] = field(default_factory=dict)


def _parse_bool(value: str) -> bool | None:
    return True if value in _TRUE else False if value in _FALSE else None


def _get(annotations: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        if key in annotations:
            return annotations[key]
    return None


def provider_setting(options: ConvertOptions, key: str, default: str) -> str:
    return options.for_provider("cilium").get(key, default)


def served(objects: Sequence[KubeObject], options: ConvertOptions) -> list[KubeObject]:
    """The Ingresses the operator reconciles, by namespace/name."""
    classes = {CLASS, *options.ingress_classes}
    default = provider_setting(options, "default-class", "false") == "true"
    for obj in objects:
        if obj.kind == "IngressClass" and obj.name == CLASS:
            value = obj.annotations.get("ingressclass.kubernetes.io/is-default-class", "")
            default = default or _parse_bool(value) is True
    found = []
    for obj in objects:
        if obj.kind != "Ingress" or obj.group not in ("networking.k8s.io", "extensions"):
            continue
        annotations = obj.annotations
        if "kubernetes.io/ingress.class" in annotations:
            name: str | None = annotations["kubernetes.io/ingress.class"]
        else:
            spec_class = obj.spec.get("ingressClassName")
            name = spec_class if isinstance(spec_class, str) else None
        if (name and name in classes) or (not name and default):
            found.append(obj)
    return sorted(found, key=lambda o: (o.namespace or "default", o.name or ""))


def _cause(obj: KubeObject, field_path: str) -> Cause:
    return Cause("Ingress", obj.namespace or "default", obj.name or "", field_path)


def _backend(
    obj: KubeObject, raw: object, ports: Mapping[tuple[str, str], Mapping[str, int]]
) -> Backend | None:
    if not isinstance(raw, dict):
        return None
    service = raw.get("service")
    if isinstance(service, dict):
        name, port = service.get("name"), service.get("port")
        number = port.get("number") if isinstance(port, dict) else None
        port_name = port.get("name") if isinstance(port, dict) else None
    elif "serviceName" in raw:
        name, legacy = raw.get("serviceName"), raw.get("servicePort")
        number = legacy if isinstance(legacy, int) else None
        port_name = legacy if isinstance(legacy, str) else None
        if isinstance(port_name, str) and port_name.isdigit():
            number, port_name = int(port_name), None
    else:
        return None  # a resource backend: Cilium reads only Services
    if not isinstance(name, str) or not re.fullmatch(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", name):
        return None
    namespace = obj.namespace or "default"
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536:
        return Backend(namespace, name, number)
    if isinstance(port_name, str) and port_name:
        resolved = ports.get((namespace, name), {}).get(port_name)
        return Backend(namespace, name, resolved if resolved is not None else port_name)
    return None


def service_ports(objects: Sequence[KubeObject]) -> dict[tuple[str, str], dict[str, int]]:
    found: dict[tuple[str, str], dict[str, int]] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.group != "" or not obj.name:
            continue
        named: dict[str, int] = {}
        entries = obj.spec.get("ports")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                port = entry.get("port")
                if isinstance(port, int) and not isinstance(port, bool):
                    named[entry["name"]] = port
        found[(obj.namespace or "default", obj.name)] = named
    return found


def _host(rule: dict[str, object]) -> str | None:
    host = rule.get("host")
    if host is None or host == "":
        return "*"
    if not isinstance(host, str):
        return None
    return host.lower()


def ingest(
    obj: KubeObject, options: ConvertOptions, ports: Mapping[tuple[str, str], Mapping[str, int]]
) -> Ingested:
    annotations = obj.annotations
    mode = _get(
        annotations, "ingress.cilium.io/loadbalancer-mode", "io.cilium.ingress/loadbalancer-mode"
    )
    if mode not in ("dedicated", "shared"):
        mode = provider_setting(options, "loadbalancer-mode", "dedicated")
    ingested = Ingested(obj.namespace or "default", obj.name or "", mode == "dedicated")
    passthrough = _get(
        annotations, "ingress.cilium.io/tls-passthrough", "io.cilium.ingress/tls-passthrough"
    )
    rules = obj.spec.get("rules")
    rules = rules if isinstance(rules, list) else []
    if passthrough is not None and (passthrough == "enabled" or _parse_bool(passthrough)):
        _ingest_passthrough(obj, ingested, rules, ports)
        return ingested
    default = obj.spec.get("defaultBackend", obj.spec.get("backend"))
    if default is not None:
        key = "defaultBackend" if "defaultBackend" in obj.spec else "backend"
        backend = _backend(obj, default, ports)
        listener = Listener("*")
        if backend is not None:
            listener.routes.append(HTTPRoute(PathMatch(), (backend,), _cause(obj, f"spec.{key}")))
        ingested.insecure["*"] = listener
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        host = _host(rule)
        http = rule.get("http")
        if host is None or not isinstance(http, dict):
            continue  # "Invalid Ingress rule without spec.rules.HTTP defined, skipping rule"
        listener = ingested.insecure.get(host) or Listener(host)
        if host != "*":
            listener.host_causes.append(_cause(obj, f"spec.rules[{i}].host"))
        paths = http.get("paths")
        for j, raw in enumerate(paths if isinstance(paths, list) else []):
            if not isinstance(raw, dict):
                continue
            path = raw.get("path") or "/"
            kind = raw.get("pathType") or "ImplementationSpecific"
            if not isinstance(path, str) or not path.startswith("/"):
                continue
            backend = _backend(obj, raw.get("backend"), ports)
            if backend is None:
                continue
            if kind == "Exact":
                match = PathMatch(exact=path)
            elif kind == "Prefix":
                match = PathMatch(prefix=path)
            elif kind == "ImplementationSpecific":
                match = PathMatch(regex=path)
            else:
                continue
            cause = _cause(obj, f"spec.rules[{i}].http.paths[{j}]")
            listener.routes.append(HTTPRoute(match, (backend,), cause))
        ingested.insecure[host] = listener
    forced = _force_https(annotations, options)
    tls = obj.spec.get("tls")
    for t, entry in enumerate(tls if isinstance(tls, list) else []):
        hosts = entry.get("hosts") if isinstance(entry, dict) else None
        for host in hosts if isinstance(hosts, list) else []:
            if not isinstance(host, str):
                continue
            source = ingested.secure.get(host) or ingested.insecure.get(host)
            source = source or ingested.insecure.get("*")
            if source is None:
                continue
            cause = _cause(obj, f"spec.tls[{t}]")
            own = ingested.insecure.get(host)
            named = list(own.host_causes) if own is not None else []
            ingested.secure[host] = Listener(host, list(source.routes), forced, cause, named)
            catch_all = ingested.insecure.get("*")
            if catch_all is not None:
                # "A default listener already exists, each Host in TLSConfig.Hosts needs to
                # have a Listener configured that's a copy of it" (without the redirect flag).
                ingested.secure[host] = Listener(host, list(catch_all.routes), False, cause, named)
    return ingested


def _force_https(annotations: Mapping[str, str], options: ConvertOptions) -> bool:
    enforced = provider_setting(options, "enforce-https", "true") == "true"
    value = annotations.get("ingress.cilium.io/force-https")
    if value is None:
        return enforced
    if value == "enabled":
        return True
    if value == "disabled":
        return False
    parsed = _parse_bool(value)
    return enforced if parsed is None else parsed


def _ingest_passthrough(
    obj: KubeObject,
    ingested: Ingested,
    rules: list[object],
    ports: Mapping[tuple[str, str], Mapping[str, int]],
) -> None:
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        host = rule.get("host")
        http = rule.get("http")
        if not isinstance(host, str) or not host or not isinstance(http, dict):
            continue
        paths = http.get("paths")
        for j, raw in enumerate(paths if isinstance(paths, list) else []):
            if not isinstance(raw, dict) or raw.get("path") != "/":
                continue
            backend = _backend(obj, raw.get("backend"), ports)
            if backend is not None:
                cause = _cause(obj, f"spec.rules[{i}].http.paths[{j}]")
                ingested.passthrough.setdefault(host.lower(), []).append((backend, cause))
