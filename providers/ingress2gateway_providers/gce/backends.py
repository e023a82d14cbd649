"""Service annotations and BackendConfig: the backend service of each Service port.

GKE makes one Compute backend service per (Service, port), shared by every Ingress that routes
to it, and applies the BackendConfig the Service names to it (``pkg/backends/features/*.go``).
The conversion applies it to every rule whose backend is that Service port.

* ``cloud.google.com/backend-config`` (the beta key when the GA key is absent,
  ``pkg/annotations/service.go``) is JSON: ``{"default": "bc"}`` for every port,
  ``{"ports": {"80": "bc", "https": "bc2"}}`` per port number or port name (a port's entry
  beats the default). A value that is not such JSON, or names a BackendConfig not in the input,
  made GKE fail the Service's sync: reported, nothing applied.
* ``timeoutSec``: how long the load balancer waits for the backend's response, the rule's
  ``timeouts.backendRequest``. Without it the Compute default (30 s) applied; the Gateway's
  default is the implementation's and is not set.
* ``customRequestHeaders`` / ``customResponseHeaders`` (``"Name:value"`` strings): request /
  response header modifiers that add the header. A name that is not an HTTP token, a value with
  control characters, or a value using load-balancer variables (``{client_region}``...) is
  reported and not copied.
* ``sessionAffinity``: ``GENERATED_COOKIE`` (cookie ``GCLB``, ``affinityCookieTtlSec``)
  becomes cookie session affinity, ``CLIENT_IP`` a consistent hash on the client's address;
  other values are reported.
* ``iap`` (enabled) and ``securityPolicy`` (a Cloud Armor policy name) are **access controls**:
  nothing in Gateway API or Envoy Gateway checks Google identities or evaluates Cloud Armor
  rules, so each is attached to the rules as a control no emitter carries, and those rules are
  emitted closed (no request reaches the Service until you add an equivalent).
* ``cdn``, ``healthCheck``, ``connectionDraining``, ``logging`` and any other field: reported.
* A rule whose backends have different BackendConfigs (or some none) gets none of their
  timeouts, headers or affinity, reported (the access controls of any of them close it).
* A path whose Service is not in the input, where the input holds other Services of its
  namespace, is reported: GKE left such a path out (its requests went to the default backend);
  the conversion keeps it, as the Service may only be missing from the files given.
* ``cloud.google.com/app-protocols`` (and the alpha key, which GKE reads first): ``HTTPS`` or
  ``HTTP2`` to the pods, without certificate verification; Gateway API's BackendTLSPolicy always
  verifies, so it is reported. ``cloud.google.com/neg`` is ignored (implementations route to
  endpoints).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BackendRef,
    Extension,
    HeaderModifier,
    HTTPRoute,
    LoadBalancer,
    Provenance,
    RefusedControl,
    Rule,
    SessionAffinity,
)
from ingress2gateway.objects import KubeObject
from ingress2gateway.reporting.report import Level, Status

from .catalog import (
    APP_PROTOCOLS,
    APP_PROTOCOLS_ALPHA,
    BACKEND_CONFIG,
    BACKEND_CONFIG_BETA,
    NEG,
)
from .common import GceRun, annotation_field

_VARIABLE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_HANDLED = ("timeoutSec", "customRequestHeaders", "customResponseHeaders", "sessionAffinity",
            "iap", "securityPolicy")  # fmt: skip
_REPORTED = {
    "cdn": "Cloud CDN has no Gateway API equivalent",
    "healthCheck": "load-balancer health checks have no Gateway API field; implementations "
    "use the pods' readiness",
    "connectionDraining": "connection draining has no Gateway API field",
    "logging": "load-balancer request logging has no Gateway API field",
}


@dataclass
class Effects:
    """What one BackendConfig does to a rule, validated once."""

    config: KubeObject
    timeout: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    affinity: SessionAffinity | LoadBalancer | None = None
    controls: list[Extension] = field(default_factory=list)
    header_fields: dict[bool, list[str]] = field(default_factory=dict)
    """The header entries copied, by ``response``: the filters are made of them."""

    def prov(self, path: str) -> Provenance:
        return Provenance(self.config.source(), path)


class Backends:
    def __init__(self, run: GceRun) -> None:
        self.run = run
        self._effects: dict[int, Effects] = {}
        self.used_services: set[tuple[str | None, str]] = set()

    # --- which BackendConfig a Service port has ----------------------------------------------

    def config_for(self, namespace: str | None, ref: BackendRef) -> KubeObject | None:
        if ref.kind != "Service" or ref.group:
            return None
        key = (ref.namespace or namespace, ref.name)
        service = self.run.services.get(key)
        self.used_services.add(key)
        if service is None:
            return None
        annotation = (
            BACKEND_CONFIG if BACKEND_CONFIG in service.annotations else BACKEND_CONFIG_BETA
        )
        raw = service.annotations.get(annotation)
        if raw is None:
            return None
        parsed = _parse_config_names(raw)
        if parsed is None:
            self.run.flag(
                Level.ERROR,
                "gce-value-invalid",
                f'{annotation} is not JSON of the form {{"default": NAME, "ports": '
                "{PORT: NAME}}; GKE failed to sync this Service's backends, nothing is applied",
                Status.UNSUPPORTED,
                service.source(),
                annotation_field(annotation),
            )
            return None
        default, ports = parsed
        name = default
        port_name = _port_name(service, ref.port)
        for candidate in (str(ref.port) if ref.port is not None else None, port_name):
            if candidate is not None and candidate in ports:
                name = ports[candidate]
                break
        if name is None:
            self.run.record(
                service.source(),
                annotation_field(annotation),
                Status.CONVERTED,
                "no BackendConfig for this port",
            )
            return None
        found = self.run.backend_configs.get((service.namespace, name))
        if found is None:
            self.run.flag(
                Level.WARNING,
                "gce-reference-missing",
                f"BackendConfig {name!r} is not in the input (GKE failed to sync the Service's "
                "backends without it); add it to convert its settings",
                Status.UNSUPPORTED,
                service.source(),
                annotation_field(annotation),
            )
            return None
        self.run.used.add(id(found))
        self.run.record(service.source(), annotation_field(annotation), Status.CONVERTED)
        return found

    # --- applying it -------------------------------------------------------------------------

    def apply(self, routes: Iterable[HTTPRoute]) -> None:
        for route in routes:
            for rule in route.rules:
                configs: dict[int, KubeObject] = {}
                bare = False
                for ref in rule.backend_refs:
                    found = self.config_for(route.namespace, ref)
                    if found is None:
                        bare = True
                    else:
                        configs.setdefault(id(found), found)
                effects = [self.effects(config) for config in configs.values()]
                self._apply_rule(rule, effects, mixed=len(effects) > 1 or (bare and bool(effects)))

    def _apply_rule(self, rule: Rule, effects: list[Effects], mixed: bool) -> None:
        for item in effects:
            for control in item.controls:
                if control not in rule.extensions:
                    rule.extensions.append(control)
        if not effects:
            return
        if mixed:
            for item in effects:
                self.run.notify(
                    Level.WARNING,
                    "gce-behaviour-differs",
                    "a rule splits traffic between Service ports with different BackendConfigs; "
                    "their timeouts, headers and affinity are not applied to it",
                    item.config.source(),
                    "spec",
                )
            return
        [item] = effects
        if item.timeout is not None:
            rule.backend_request_timeout = item.timeout
            rule.provenance.append(item.prov("spec.timeoutSec"))
        for response, headers, _field in (
            (False, item.request_headers, "spec.customRequestHeaders"),
            (True, item.response_headers, "spec.customResponseHeaders"),
        ):
            if headers:
                made = [item.prov(f) for f in item.header_fields.get(response, [])]
                rule.filters.append(
                    HeaderModifier(response=response, add=dict(headers), provenance=made)
                )
        if item.affinity is not None and item.affinity not in rule.extensions:
            rule.extensions.append(item.affinity)

    def effects(self, config: KubeObject) -> Effects:
        found = self._effects.get(id(config))
        if found is None:
            found = self._effects[id(config)] = self._read(config)
        return found

    def _read(self, config: KubeObject) -> Effects:
        run = self.run
        source = config.source()
        spec = config.spec
        effects = Effects(config)
        timeout = spec.get("timeoutSec")
        if timeout is not None:
            if (
                isinstance(timeout, int)
                and not isinstance(timeout, bool)
                and 0 < timeout <= 2147483
            ):
                effects.timeout = f"{timeout}s"
                run.record(source, "spec.timeoutSec", Status.CONVERTED)
            else:
                run.flag(Level.WARNING, "gce-value-invalid",
                         f"timeoutSec {timeout!r} is not a positive number of seconds; not converted",
                         Status.UNSUPPORTED, source, "spec.timeoutSec")  # fmt: skip
        for key, target in (
            ("customRequestHeaders", effects.request_headers),
            ("customResponseHeaders", effects.response_headers),
        ):
            if key in spec:
                copied = self._headers(config, key, target)
                effects.header_fields[key == "customResponseHeaders"] = copied
        if "sessionAffinity" in spec:
            effects.affinity = self._affinity(config)
        self._controls(config, effects)
        for key in sorted(spec):
            if key in _HANDLED:
                continue
            note = _REPORTED.get(key, f"BackendConfig {key} has no Gateway API equivalent")
            run.flag(Level.WARNING, "gce-feature-unsupported", f"{key}: {note}; not converted",
                     Status.UNSUPPORTED, source, f"spec.{key}")  # fmt: skip
        return effects

    def _headers(self, config: KubeObject, key: str, target: dict[str, str]) -> list[str]:
        run = self.run
        source = config.source()
        block = config.spec.get(key)
        headers = block.get("headers") if isinstance(block, dict) else None
        if not isinstance(headers, list):
            run.flag(Level.WARNING, "gce-value-invalid", f"{key} has no list of headers; not converted",
                     Status.UNSUPPORTED, source, f"spec.{key}")  # fmt: skip
            return []
        copied: list[str] = []
        for index, item in enumerate(headers):
            path = f"spec.{key}.headers[{index}]"
            problem = None
            name, value = "", ""
            if not isinstance(item, str) or ":" not in item:
                problem = 'is not a "Name:value" string'
            else:
                name, _, value = item.partition(":")
                name, value = name.strip(), value.strip()
                name_problem = grammar.header_name_problem(name)
                value_problem = grammar.header_value_problem(value)
                if name_problem is not None:
                    problem = f"has a header name that {name_problem}"
                elif value_problem is not None:
                    problem = f"has a value that {value_problem}"
                elif _VARIABLE.search(value):
                    problem = (
                        "uses a load-balancer variable, which Gateway API header modifiers "
                        "cannot fill in"
                    )
                elif name.lower() in {n.lower() for n in target}:
                    problem = "names a header given before"
            if problem is not None:
                run.flag(Level.WARNING, "gce-value-invalid",
                         f"{key} entry {index} {problem}; it is not converted",
                         Status.UNSUPPORTED, source, path)  # fmt: skip
                continue
            target[name] = value
            copied.append(path)
            run.record(source, path, Status.CONVERTED)
        return copied

    def _affinity(self, config: KubeObject) -> SessionAffinity | LoadBalancer | None:
        run = self.run
        source = config.source()
        block = config.spec.get("sessionAffinity")
        kind = block.get("affinityType") if isinstance(block, dict) else None
        if kind in (None, "NONE"):
            run.record(source, "spec.sessionAffinity", Status.CONVERTED, "no affinity")
            return None
        if kind == "CLIENT_IP":
            # The backend service hashes on the client's address (Compute sessionAffinity).
            return LoadBalancer(
                "ConsistentHash",
                hash_on="source-ip",
                provenance=[Provenance(source, "spec.sessionAffinity")],
            )
        if kind != "GENERATED_COOKIE":
            run.flag(Level.WARNING, "gce-feature-unsupported",
                     f"sessionAffinity {kind!r}: only GENERATED_COOKIE and CLIENT_IP have a "
                     "Gateway API counterpart; not converted",
                     Status.UNSUPPORTED, source, "spec.sessionAffinity")  # fmt: skip
            return None
        ttl = block.get("affinityCookieTtlSec") if isinstance(block, dict) else None
        seconds = ttl if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl > 0 else None
        return SessionAffinity(
            cookie_name="GCLB",
            ttl_seconds=seconds,
            provenance=[Provenance(source, "spec.sessionAffinity")],
        )

    def _controls(self, config: KubeObject, effects: Effects) -> None:
        source = config.source()
        iap = config.spec.get("iap")
        if isinstance(iap, dict) and iap.get("enabled") is True:
            effects.controls.append(
                RefusedControl(
                    what=f"Identity-Aware Proxy of BackendConfig {config.name}",
                    provenance=[Provenance(source, "spec.iap")],
                )
            )
        elif "iap" in config.spec:
            self.run.record(source, "spec.iap", Status.CONVERTED, "not enabled")
        policy = config.spec.get("securityPolicy")
        name = policy.get("name") if isinstance(policy, dict) else None
        if isinstance(name, str) and name:
            effects.controls.append(
                RefusedControl(
                    what=f"Cloud Armor policy {name!r} of BackendConfig {config.name}",
                    provenance=[Provenance(source, "spec.securityPolicy")],
                )
            )
        elif "securityPolicy" in config.spec:
            self.run.record(source, "spec.securityPolicy", Status.CONVERTED, "no policy")
        for control in effects.controls:
            self.run.notify(
                Level.ERROR,
                "gce-access-control",
                f"{control.describe()}: access control that no emitter carries; the rules to "
                "the Services using it are emitted closed until you add an equivalent",
                source,
                control.provenance[0].field,
            )

    # --- Service annotations -----------------------------------------------------------------

    def account_services(self) -> None:
        for key in sorted(self.run.services, key=lambda k: (k[0] or "", k[1])):
            service = self.run.services[key]
            used = key in self.used_services
            for annotation in sorted(service.annotations):
                if annotation not in _SERVICE_KEYS:
                    continue
                path = annotation_field(annotation)
                source = service.source()
                if self.run.report.has_entry(source, path):
                    continue
                if not used:
                    self.run.record(
                        source, path, Status.IGNORED, "no converted Ingress uses this Service"
                    )
                elif annotation in (APP_PROTOCOLS, APP_PROTOCOLS_ALPHA):
                    self._app_protocols(service, annotation)
                elif annotation == NEG:
                    self.run.record(source, path, Status.IGNORED,
                                    "container-native load balancing: implementations route to endpoints")  # fmt: skip
                else:
                    self.run.record(source, path, Status.IGNORED,
                                    "GKE read the GA key first" if annotation == BACKEND_CONFIG_BETA else None)  # fmt: skip

    def _app_protocols(self, service: KubeObject, annotation: str) -> None:
        source = service.source()
        path = annotation_field(annotation)
        if annotation == APP_PROTOCOLS and APP_PROTOCOLS_ALPHA in service.annotations:
            self.run.record(source, path, Status.IGNORED, "GKE read the alpha key first")
            return
        try:
            value = json.loads(service.annotations[annotation])
        except ValueError:
            value = None
        if not isinstance(value, dict):
            self.run.flag(Level.WARNING, "gce-value-invalid",
                          f"{annotation} is not a JSON object of port names to protocols",
                          Status.UNSUPPORTED, source, path)  # fmt: skip
            return
        secure = sorted(str(k) for k, v in value.items() if v in ("HTTPS", "HTTP2"))
        if not secure:
            self.run.record(source, path, Status.CONVERTED, "plain HTTP, as Gateway API")
            return
        self.run.flag(
            Level.WARNING,
            "gce-feature-unsupported",
            f"{annotation}: GKE spoke HTTPS/HTTP2 to port(s) {', '.join(secure)} without "
            "verifying the pods' certificates; the Gateway speaks plain HTTP to them (add a "
            "BackendTLSPolicy, which verifies, or your implementation's backend TLS setting)",
            Status.UNSUPPORTED,
            source,
            path,
        )


_SERVICE_KEYS = frozenset(
    {BACKEND_CONFIG, BACKEND_CONFIG_BETA, APP_PROTOCOLS, APP_PROTOCOLS_ALPHA, NEG}
)


def _parse_config_names(raw: str) -> tuple[str | None, dict[str, str]] | None:
    """``(default, ports)`` of a backend-config annotation, None when it is malformed."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not set(value) <= {"default", "ports"}:
        return None
    default = value.get("default")
    ports = value.get("ports", {})
    if default is not None and not isinstance(default, str):
        return None
    if not isinstance(ports, dict) or not all(isinstance(v, str) for v in ports.values()):
        return None
    return default, {str(k): v for k, v in ports.items()}


def _port_name(service: KubeObject, number: int | None) -> str | None:
    ports = service.spec.get("ports")
    if number is None or not isinstance(ports, list):
        return None
    for port in ports:
        if (
            isinstance(port, dict)
            and port.get("port") == number
            and isinstance(port.get("name"), str)
        ):
            return str(port["name"])
    return None
