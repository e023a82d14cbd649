"""``konghq.com/upstream-policy`` on a Service → KongUpstreamPolicy (and a KongIngress
``upstream`` section, its deprecated predecessor).

* ``algorithm`` ``round-robin`` / ``least-connections`` / ``consistent-hashing`` → the
  load-balancer extension (``latency`` is approximated as least-request and reported);
  ``sticky-sessions`` with ``stickySessions.cookie`` → the session-affinity extension.
* ``hashOn`` ``input: ip`` → hash on the client address, ``header`` → on a header, ``cookie`` (+
  ``cookiePath``) → on a cookie, ``input: path`` → on the URI; ``consumer``, ``queryArg`` and
  ``uriCapture`` are reported. ``hashOnFallback`` is reported (extensions hash on one input).
* ``healthchecks`` (active and passive) are reported: there is no provider-neutral health-check
  extension yet. ``slots`` is Kong's hash-ring size and is ignored.

The extensions go on every rule whose backend is the Service; the standard emitter reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingress2gateway.ir import Extension, LoadBalancer, Provenance, SessionAffinity
from ingress2gateway.objects import KubeObject, SourceRef
from ingress2gateway.reporting.report import Status

from .common import KongRun, Setting

_ALGORITHMS = {
    "round-robin": "RoundRobin",
    "least-connections": "LeastRequest",
    "latency": "LeastRequest",
    "consistent-hashing": "ConsistentHash",
}


@dataclass
class UpstreamSpec:
    """Load-balancing settings of one Kong upstream, with the fields they came from."""

    algorithm: Setting[str] | None = None
    hash_on: Setting[str] | None = None
    sticky_cookie: Setting[tuple[str, str | None]] | None = None
    provenance: list[Provenance] = field(default_factory=list)

    def extensions(self) -> list[Extension]:
        """Fresh extension objects for one rule."""
        found: list[Extension] = []
        if self.sticky_cookie is not None:
            name, path = self.sticky_cookie.value
            prov = [self.sticky_cookie.provenance]
            if self.algorithm is not None and self.algorithm.value == "sticky-sessions":
                prov.append(self.algorithm.provenance)
            found.append(SessionAffinity(cookie_name=name, path=path, provenance=prov))
        if self.algorithm is not None and self.algorithm.value in _ALGORITHMS:
            algorithm = _ALGORITHMS[self.algorithm.value]
            prov = [self.algorithm.provenance]
            hash_on = None
            if algorithm == "ConsistentHash":
                if self.hash_on is None:
                    return found
                hash_on = self.hash_on.value
                prov.append(self.hash_on.provenance)
            found.append(
                LoadBalancer(algorithm=algorithm, hash_on=hash_on, provenance=prov)  # type: ignore[arg-type]
            )
        elif self.algorithm is None and self.hash_on is not None:
            found.append(
                LoadBalancer(
                    algorithm="ConsistentHash",
                    hash_on=self.hash_on.value,
                    provenance=[self.hash_on.provenance],
                )
            )
        return found


def _hash_key(
    run: KongRun,
    source: SourceRef,
    field_path: str,
    kind: str,
    value: str | None,
    cookie_path: str | None = None,
) -> Setting[str] | None:
    provenance = Provenance(source, field_path)
    if kind == "ip":
        return Setting("source-ip", provenance)
    if kind == "path":
        return Setting("uri", provenance)
    if kind == "header" and value:
        return Setting(f"header:{value}", provenance)
    if kind == "cookie" and value:
        return Setting(f"cookie:{value}", provenance)
    run.unsupported(
        source, field_path, f"hashing on {kind} has no equivalent in the load-balancer extension"
    )
    return None


def from_policy(run: KongRun, obj: KubeObject) -> UpstreamSpec:
    """Read a KongUpstreamPolicy (``spec`` fields, camelCase)."""
    run.use(obj)
    source = obj.source()
    spec = obj.spec
    upstream = UpstreamSpec()
    algorithm = spec.get("algorithm")
    if isinstance(algorithm, str):
        _algorithm(run, source, "spec.algorithm", algorithm, upstream)
    hash_on = spec.get("hashOn")
    if isinstance(hash_on, dict):
        for key in ("input", "header", "cookie", "queryArg", "uriCapture"):
            value = hash_on.get(key)
            if not isinstance(value, str) or not value:
                continue
            kind = value if key == "input" else key
            cookie_path = hash_on.get("cookiePath")
            upstream.hash_on = _hash_key(
                run,
                source,
                "spec.hashOn",
                kind,
                value,
                cookie_path if isinstance(cookie_path, str) else None,
            )
            break
    sticky = spec.get("stickySessions")
    if isinstance(sticky, dict) and isinstance(sticky.get("cookie"), str):
        path = sticky.get("cookiePath")
        upstream.sticky_cookie = Setting(
            (sticky["cookie"], path if isinstance(path, str) else None),
            Provenance(source, "spec.stickySessions"),
        )
    for key in sorted(spec):
        field_path = f"spec.{key}"
        if key == "hashOnFallback":
            run.unsupported(
                source, field_path, "a fallback hash input cannot be expressed; only hashOn is used"
            )
        elif key == "healthchecks":
            run.unsupported(
                source,
                field_path,
                "active/passive health checks have no provider-neutral extension; configure "
                "them on the target implementation",
            )
        elif key == "slots":
            run.record(source, field_path, Status.IGNORED, "Kong's hash-ring size")
    return upstream


def _algorithm(
    run: KongRun, source: SourceRef, field_path: str, value: str, upstream: UpstreamSpec
) -> None:
    provenance = Provenance(source, field_path)
    if value == "sticky-sessions":
        # Carried by the session-affinity extension of the stickySessions block.
        upstream.algorithm = Setting(value, provenance)
        return
    if value not in _ALGORITHMS:
        run.invalid(source, field_path, f"algorithm {value!r} is not one Kong knows")
        return
    if value == "latency":
        run.differs(source, field_path, "latency balancing is approximated by least-request")
    upstream.algorithm = Setting(value, provenance)


def from_kongingress(run: KongRun, obj: KubeObject, section: dict[str, Any]) -> UpstreamSpec:
    """Read a KongIngress ``upstream`` section (snake_case, Kong's Upstream entity fields)."""
    source = obj.source()
    upstream = UpstreamSpec()
    algorithm = section.get("algorithm")
    if isinstance(algorithm, str):
        _algorithm(run, source, "upstream.algorithm", algorithm, upstream)
    kind = section.get("hash_on")
    if isinstance(kind, str) and kind != "none":
        value = section.get(f"hash_on_{'query_arg' if kind == 'query_arg' else kind}")
        upstream.hash_on = _hash_key(
            run, source, "upstream.hash_on", kind, value if isinstance(value, str) else None
        )
    for key in sorted(section):
        field_path = f"upstream.{key}"
        if key.startswith("hash_fallback"):
            run.unsupported(source, field_path, "a fallback hash input cannot be expressed")
        elif key == "healthchecks":
            run.unsupported(
                source,
                field_path,
                "active/passive health checks have no provider-neutral extension; configure "
                "them on the target implementation",
            )
        elif key == "slots":
            run.record(source, field_path, Status.IGNORED, "Kong's hash-ring size")
    return upstream
