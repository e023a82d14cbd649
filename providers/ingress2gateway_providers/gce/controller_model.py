"""A model of how GKE routes requests over the input, for ``verify``.

Written from ingress-gce v1.41.1, not from this provider's conversion (it imports nothing of
it):

* which Ingresses GKE serves: ``pkg/utils/utils.go IsGCEIngress`` (the class annotation, or no
  class at all when ``spec.ingressClassName`` is unset);
* one load balancer per Ingress (``pkg/loadbalancers/l7.go``): port 80 unless
  ``kubernetes.io/ingress.allow-http`` parses (``strconv.ParseBool``) as false, port 443 when
  the Ingress has a certificate (a ``spec.tls`` Secret, a pre-shared or a managed one), and no
  load balancer at all with neither;
* the URL map (``pkg/controller/translator/translator.go`` ``ToURLMap`` and
  ``validateAndGetPaths``, ``pkg/utils/gceurlmap.go PutPathRulesForHost``): a host rule per
  host (``*`` for rules without host), the last rule of a host replacing the earlier ones,
  equal paths keeping the later; Exact ``/p`` is ``/p``, Prefix ``/p`` is ``/p`` and ``/p/*``,
  ImplementationSpecific is passed as written (empty: ``/*``); a path with a ``*`` the URL map
  refuses is left out; the default service is ``spec.defaultBackend`` (else GKE's 404);
* the Compute URL map's matching: exact host rules before wildcard ones, ``*`` last; in a path
  matcher the longest matching path rule, ``/p/*`` matching ``/p/`` and below;
* FrontendConfig ``redirectToHttps`` (``pkg/translator/translator.go ToRedirectUrlMap``):
  every plain-HTTP request redirects to https with the configured code;
* BackendConfig ``iap`` and ``securityPolicy`` (``pkg/backends/features``): the request passes
  Identity-Aware Proxy or Cloud Armor before the Service (a guard of the answer).

Each Ingress has its own address; a request that two load balancers answer differently has no
single answer (``verify`` does not model DNS), which is what the Gateway API model says of two
Gateways taking one host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ingress2gateway.objects import KubeObject
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import (
    Backend,
    Cause,
    NoRoute,
    Redirect,
    Request,
    Routed,
    forward,
)
from ingress2gateway.verification.probes import UNKNOWN_HOST, concrete_host, path_variants

__all__ = ["GkeModel", "controller_model"]

_CLASS = "kubernetes.io/ingress.class"
_SERVED = ("gce", "gce-internal", "gce-regional-external")
_CODES = {
    "MOVED_PERMANENTLY_DEFAULT": 301,
    "FOUND": 302,
    "SEE_OTHER": 303,
    "TEMPORARY_REDIRECT": 307,
    "PERMANENT_REDIRECT": 308,
}


@dataclass(frozen=True)
class _PathRule:
    path: str
    backend: Backend
    guards: tuple[str, ...]
    causes: tuple[Cause, ...]

    def matches(self, path: str) -> bool:
        if self.path.endswith("/*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def weight(self) -> float:
        # An exact rule beats a glob of as many characters; a longer glob beats a shorter one.
        return len(self.path) - 1.5 if self.path.endswith("/*") else len(self.path)


@dataclass
class _LoadBalancer:
    ingress: KubeObject
    http: bool
    https: bool
    https_causes: tuple[Cause, ...] = ()
    redirect: tuple[int, Cause] | None = None
    hosts: dict[str, list[_PathRule]] = field(default_factory=dict)
    host_fields: dict[str, str] = field(default_factory=dict)
    """The Ingress field of each host rule's host (for the causes of a redirect)."""
    default: _PathRule | None = None

    def cause(self, path: str) -> Cause:
        return Cause("Ingress", self.ingress.namespace or "default", self.ingress.name or "", path)

    def takes(self, request: Request) -> bool:
        if not (self.https if request.scheme == "https" else self.http):
            return False
        return self._host(request.host) is not None or self.default is not None

    def _host(self, host: str) -> str | None:
        if host in self.hosts:
            return host
        wildcards = [h for h in self.hosts if h.startswith("*.") and host.endswith(h[1:])]
        if wildcards:
            return max(wildcards, key=len)
        return "*" if "*" in self.hosts else None

    def route(self, request: Request) -> Routed:
        if request.scheme == "http" and self.redirect is not None:
            code, cause = self.redirect
            query = f"?{request.query}" if request.query else ""
            host = self._host(request.host)
            named = [self.cause(self.host_fields[host])] if host in self.host_fields else []
            causes = (cause, *named)
            return Routed(Redirect(code, f"https://{request.host}{request.path}{query}"), causes)
        extra = self.https_causes if request.scheme == "https" else ()
        key = self._host(request.host)
        rules = self.hosts.get(key, []) if key is not None else []
        taken = [rule for rule in rules if rule.matches(request.path)]
        chosen = max(taken, key=_PathRule.weight) if taken else self.default
        if chosen is None:
            # A /dir/* rule does not take /dir itself: it decided that nothing did.
            near = tuple(c for r in rules if r.path == request.path + "/*" for c in r.causes)
            return Routed(NoRoute(404, "GKE's default backend"), near + extra)
        outcome = forward([(chosen.backend, 1)], request.path, request.host, chosen.guards)
        return Routed(outcome, chosen.causes + extra)


class GkeModel:
    def __init__(self, balancers: list[_LoadBalancer], objects: Sequence[KubeObject]) -> None:
        self.balancers = balancers
        self.objects = objects

    def route(self, request: Request) -> Routed:
        answers = [lb.route(request) for lb in self.balancers if lb.takes(request)]
        if not answers:
            return Routed(NoRoute(404, "no load balancer takes this host"))
        first = answers[0]
        if all(a.outcome == first.outcome for a in answers[1:]):
            return first
        return Routed(
            NoRoute(0, f"{len(answers)} load balancers take this host and answer differently"),
            tuple(c for a in answers for c in a.causes),
        )

    def requests(self) -> Iterator[Request]:
        found: set[Request] = {Request(UNKNOWN_HOST, "/")}
        for lb in self.balancers:
            schemes = [s for s, on in (("http", lb.http), ("https", lb.https)) if on]
            hosts = [concrete_host(h) for h in lb.hosts if h != "*"] + [UNKNOWN_HOST]
            paths = {"/"}
            for rules in lb.hosts.values():
                for rule in rules:
                    base = rule.path[:-2] if rule.path.endswith("/*") else rule.path
                    paths.update(path_variants(base or "/"))
                    paths.add((base or "") + "/")
            for host in hosts:
                for scheme in schemes:
                    found.update(Request(host, path, scheme) for path in paths)
            if lb.redirect is not None:
                found.update(Request(h, "/x", "http", query="a=1") for h in hosts)
        yield from sorted(found)


def controller_model(objects: Sequence[KubeObject], options: ConvertOptions) -> GkeModel | None:
    served = set(options.ingress_classes or _SERVED)
    store = _Store(objects)
    balancers = []
    for obj in objects:
        if obj.kind != "Ingress" or obj.group not in ("networking.k8s.io", "extensions"):
            continue
        annotated = obj.annotations.get(_CLASS, "")
        if annotated:
            if annotated not in served:
                continue
        elif obj.spec.get("ingressClassName") is not None or "gce" not in served:
            continue
        lb = _build(obj, store)
        if lb is not None:
            balancers.append(lb)
    if not balancers:
        return None
    return GkeModel(balancers, objects)


class _Store:
    def __init__(self, objects: Sequence[KubeObject]) -> None:
        self.by_kind: dict[tuple[str, str | None, str], KubeObject] = {}
        for obj in objects:
            if obj.name is not None:
                self.by_kind.setdefault((obj.kind, obj.namespace, obj.name), obj)

    def get(self, kind: str, namespace: str | None, name: str) -> KubeObject | None:
        return self.by_kind.get((kind, namespace, name))


def _parse_bool(value: str) -> bool | None:
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _build(obj: KubeObject, store: _Store) -> _LoadBalancer | None:
    annotations = obj.annotations
    http = _parse_bool(annotations.get("kubernetes.io/ingress.allow-http", "").strip()) is not False
    tls = obj.spec.get("tls")
    secrets = [
        t
        for t in (tls if isinstance(tls, list) else [])
        if isinstance(t, dict) and t.get("secretName")
    ]
    google = [
        key
        for key in (
            "ingress.gcp.kubernetes.io/pre-shared-cert",
            "networking.gke.io/managed-certificates",
        )
        if annotations.get(key, "").strip()
    ]
    if not http and not secrets and not google:
        return None  # no forwarding rule at all
    lb = _LoadBalancer(obj, http, bool(secrets or google))
    if google and not secrets:
        lb.https_causes = tuple(lb.cause(f"metadata.annotations[{key}]") for key in google)
    _frontend(lb, store)
    _url_map(lb, store)
    return lb


def _frontend(lb: _LoadBalancer, store: _Store) -> None:
    key = "networking.gke.io/v1beta1.FrontendConfig"
    name = lb.ingress.annotations.get(key, "").strip()
    config = store.get("FrontendConfig", lb.ingress.namespace, name) if name else None
    if config is None or not lb.http:
        return
    redirect = config.spec.get("redirectToHttps")
    if not isinstance(redirect, dict) or redirect.get("enabled") is not True:
        return
    code_name = redirect.get("responseCodeName") or "MOVED_PERMANENTLY_DEFAULT"
    code = _CODES.get(code_name, 0) if isinstance(code_name, str) else 0
    cause = Cause(
        "FrontendConfig", config.namespace or "default", config.name or "", "spec.redirectToHttps"
    )
    lb.redirect = (code or 301, cause)


def _url_map(lb: _LoadBalancer, store: _Store) -> None:
    rules = lb.ingress.spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict) or not isinstance(rule.get("http"), dict):
            continue
        host = rule.get("host") if isinstance(rule.get("host"), str) and rule.get("host") else "*"
        path_rules: list[_PathRule] = []
        paths = rule["http"].get("paths")
        for j, item in enumerate(paths if isinstance(paths, list) else []):
            if not isinstance(item, dict):
                continue
            made = _service_port(lb, store, item.get("backend"), f"spec.rules[{i}].http.paths[{j}]")
            if made is None:
                continue
            for url_path in _url_paths(item):
                path_rules.append(_PathRule(url_path, *made))
        unique: dict[str, _PathRule] = {}
        for path_rule in path_rules:  # the later of equal paths wins
            unique[path_rule.path] = path_rule
        lb.hosts[str(host)] = list(unique.values())  # replaces an earlier rule of the host
        if host != "*":
            lb.host_fields[str(host)] = f"spec.rules[{i}].host"
    key = "defaultBackend" if "defaultBackend" in lb.ingress.spec else "backend"
    default = lb.ingress.spec.get(key)
    if default is not None:
        made = _service_port(lb, store, default, f"spec.{key}")
        if made is not None:
            lb.default = _PathRule("/*", *made)


def _url_paths(item: dict[str, object]) -> list[str]:
    path = item.get("path")
    path = path if isinstance(path, str) else ""
    kind = item.get("pathType") or "ImplementationSpecific"
    if kind == "Exact":
        return [] if not path or "*" in path else [path]
    if kind == "Prefix":
        if not path or "*" in path:
            return []
        trimmed = path.rstrip("/")
        return ["/*"] if not trimmed else [trimmed, trimmed + "/*"]
    if kind != "ImplementationSpecific":
        return []
    if not path:
        return ["/*"]
    # The Compute API refuses a '*' anywhere but after a final '/' (the URL map then fails).
    if "*" in (path[:-2] if path.endswith("/*") else path) or not path.startswith("/"):
        return []
    return [path]


def _service_port(
    lb: _LoadBalancer, store: _Store, raw: object, field_path: str
) -> tuple[Backend, tuple[str, ...], tuple[Cause, ...]] | None:
    service = raw.get("service") if isinstance(raw, dict) else None
    if isinstance(raw, dict) and "serviceName" in raw:  # extensions/v1beta1
        legacy = raw.get("servicePort")
        service = {
            "name": raw.get("serviceName"),
            "port": {"number": legacy} if isinstance(legacy, int) else {"name": legacy},
        }
    if not isinstance(service, dict) or not isinstance(service.get("name"), str):
        return None
    name = service["name"]
    port = service.get("port")
    port = port if isinstance(port, dict) else {}
    namespace = lb.ingress.namespace or "default"
    found = store.get("Service", lb.ingress.namespace, name)
    number = port.get("number")
    port_name = port.get("name")
    if not isinstance(number, int):
        number = None
        for item in _list(found.spec.get("ports")) if found is not None else []:
            if isinstance(item, dict) and item.get("name") == port_name:
                number = item.get("port")
        if not isinstance(number, int):
            return None  # GKE cannot find the port: the path is left out
    causes = [lb.cause(field_path)]
    guards: list[str] = []
    config = _backend_config(store, found, number)
    if config is not None:
        cause = Cause("BackendConfig", config.namespace or "default", config.name or "", "")
        iap = config.spec.get("iap")
        if isinstance(iap, dict) and iap.get("enabled") is True:
            guards.append("identity-aware-proxy")
            causes.append(Cause(cause.kind, cause.namespace, cause.name, "spec.iap"))
        policy = config.spec.get("securityPolicy")
        if isinstance(policy, dict) and isinstance(policy.get("name"), str) and policy["name"]:
            guards.append(f"cloud-armor {policy['name']}")
            causes.append(Cause(cause.kind, cause.namespace, cause.name, "spec.securityPolicy"))
    return Backend(namespace, name, number), tuple(guards), tuple(causes)


def _backend_config(store: _Store, service: KubeObject | None, number: int) -> KubeObject | None:
    """``pkg/annotations/service.go``: the GA key, else the beta one; a port entry (by number
    or name) beats the default."""
    if service is None:
        return None
    raw = service.annotations.get("cloud.google.com/backend-config")
    if raw is None:
        raw = service.annotations.get("beta.cloud.google.com/backend-config")
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    name = value.get("default")
    found_ports = value.get("ports")
    ports: dict[str, object] = found_ports if isinstance(found_ports, dict) else {}
    port_name = next(
        (
            str(item.get("name"))
            for item in _list(service.spec.get("ports"))
            if isinstance(item, dict) and item.get("port") == number and item.get("name")
        ),
        None,
    )
    for key in (str(number), port_name):
        if key is not None and key in ports:
            name = ports[key]
            break
    if not isinstance(name, str):
        return None
    return store.get("BackendConfig", service.namespace, name)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
