#!/usr/bin/env python3
"""Validation throughput: objects/second for typical HTTPRoutes and Gateways.

    python benchmarks/bench_validation.py            # 2,000 routes + 500 gateways
    python benchmarks/bench_validation.py 5000 1000  # chosen counts

The objects are what ``convert()`` emits for generated Ingresses (see ``testdata/nginx``): HTTPRoutes
with 1–4 rules (PathPrefix/Exact matches, Service backendRefs, parentRefs with sectionName) and
Gateways with 1–6 listeners (HTTP, and HTTPS with a certificateRef). Every object is distinct
(names, hostnames, paths, ports), so a result cache cannot answer for an identical copy.

Not a test: figures vary with the machine; record them in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "providers")]

GW = "gateway.networking.k8s.io/v1"
GENERATOR = {"gateway.networking.k8s.io/generator": "ingress2gateway-VERSION"}


def http_route(i: int) -> dict[str, Any]:
    ns = f"team-{i % 20}"
    host = f"app{i}-{i % 3}.example.com"
    rules = []
    for p in range(1 + i % 4):
        path_type = ("PathPrefix", "Exact")[(i + p) % 2]
        rules.append(
            {
                "backendRefs": [{"name": f"svc-{i}-{p}", "port": 8080 + p}],
                "matches": [{"path": {"type": path_type, "value": f"/svc{p}/{i}" if p else "/"}}],
            }
        )
    return {
        "apiVersion": GW,
        "kind": "HTTPRoute",
        "metadata": {"annotations": dict(GENERATOR), "name": f"ing-{i}-{host}", "namespace": ns},
        "spec": {
            "hostnames": [host],
            "parentRefs": [{"name": "nginx", "sectionName": f"{host.replace('.', '-')}-http"}],
            "rules": rules,
        },
    }


def rich_route(i: int) -> dict[str, Any]:
    """An HTTPRoute with more of what providers emit: header/method matches, filters, weights."""
    route = http_route(i)
    rules: list[dict[str, Any]] = route["spec"]["rules"]
    rules[0]["matches"].append(
        {
            "path": {"type": "PathPrefix", "value": f"/api/{i}"},
            "headers": [{"name": "x-canary", "value": f"v{i % 7}"}],
            "method": "GET",
        }
    )
    rules[0]["filters"] = [
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": "x-route", "value": str(i)}]},
        },
        {
            "type": "ResponseHeaderModifier",
            "responseHeaderModifier": {"add": [{"name": "x-frame-options", "value": "DENY"}]},
        },
    ]
    rules[0]["backendRefs"].append({"name": f"canary-{i}", "port": 8080, "weight": 10})
    rules.append(
        {
            "matches": [{"path": {"type": "PathPrefix", "value": f"/old/{i}"}}],
            "filters": [
                {
                    "type": "RequestRedirect",
                    "requestRedirect": {
                        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"},
                        "statusCode": 301,
                    },
                }
            ],
        }
    )
    return route


def gateway(i: int) -> dict[str, Any]:
    listeners: list[dict[str, Any]] = []
    for h in range(1 + i % 3):
        host = f"app{i}-{h}.example.com"
        base = host.replace(".", "-")
        listeners.append({"hostname": host, "name": f"{base}-http", "port": 80, "protocol": "HTTP"})
        if (i + h) % 2 == 0:
            listeners.append(
                {
                    "hostname": host,
                    "name": f"{base}-https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "tls": {
                        "certificateRefs": [
                            {"group": "", "kind": "Secret", "name": f"tls-{i}-{h}"}
                        ],
                        "mode": "Terminate",
                    },
                }
            )
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {
            "annotations": dict(GENERATOR),
            "name": f"nginx-{i}",
            "namespace": f"team-{i}",
        },
        "spec": {"gatewayClassName": "nginx", "listeners": listeners},
    }


def broken_route(i: int) -> dict[str, Any]:
    """An HTTPRoute with one schema error (a hostname with upper case letters does not match
    the CRD's pattern): the fast check says "maybe", so the exact validator runs and reports
    (then CEL runs: a pattern error does not block it)."""
    route = http_route(i)
    route["spec"]["hostnames"] = [f"App{i}.Example.com"]
    return route


_next = 1


def fresh(make: Any, count: int) -> list[dict[str, Any]]:
    """*count* objects never validated before in this process (no cache can answer for them)."""
    global _next
    objects = [make(i) for i in range(_next, _next + count)]
    _next += count
    return objects


def measure(make: Any, count: int, repeat: int, invalid: bool = False) -> float:
    """Best objects/second over *repeat* passes of *count* new objects (warm: rules compiled);
    each must be valid (or, with *invalid*, have exactly one violation)."""
    from ingress2gateway.target import Target
    from ingress2gateway.validation import validate

    target = Target.parse()
    best = 0.0
    for _ in range(repeat):
        objects = make(count)
        start = time.perf_counter()
        for obj in objects:
            if len(validate(obj, target)) != invalid:
                raise SystemExit(f"unexpected violations for {obj['metadata']['name']}")
        best = max(best, len(objects) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routes", nargs="?", type=int, default=2000)
    parser.add_argument("gateways", nargs="?", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from ingress2gateway.target import Target
    from ingress2gateway.validation import validate

    start = time.perf_counter()
    validate(http_route(0), Target.parse())
    validate(gateway(0), Target.parse())
    validate(rich_route(0), Target.parse())
    warm = time.perf_counter() - start

    def mixed(count: int) -> list[dict[str, Any]]:
        gateways = count * args.gateways // (args.routes + args.gateways)
        return fresh(http_route, count - gateways) + fresh(gateway, gateways)

    def routes(count: int) -> list[dict[str, Any]]:
        return fresh(http_route, count)

    def gateways(count: int) -> list[dict[str, Any]]:
        return fresh(gateway, count)

    def rich(count: int) -> list[dict[str, Any]]:
        return fresh(rich_route, count)

    def broken(count: int) -> list[dict[str, Any]]:
        return fresh(broken_route, count)

    print(f"first objects (catalog + compile): {warm * 1000:.0f} ms")
    n, m, both = args.routes, args.gateways, args.routes + args.gateways
    print(f"HTTPRoute: {measure(routes, n, args.repeat):8.0f} objects/s  ({n} distinct per pass)")
    print(f"Gateway:   {measure(gateways, m, args.repeat):8.0f} objects/s  ({m} distinct per pass)")
    print(
        f"rich HTTPRoute: {measure(rich, m, args.repeat):8.0f} objects/s  ({m} distinct per pass)"
    )
    print(
        f"mixed:     {measure(mixed, both, args.repeat):8.0f} objects/s  ({both} distinct per pass)"
    )
    invalid = measure(broken, m, args.repeat, invalid=True)
    print(f"invalid HTTPRoute (exact path): {invalid:8.0f} objects/s  ({m} distinct per pass)")


if __name__ == "__main__":
    main()
