#!/usr/bin/env python3
"""Convert generated Ingresses and print objects/second and peak memory.

    python benchmarks/bench_convert.py            # 1k and 10k Ingresses
    python benchmarks/bench_convert.py 1000 5000  # chosen sizes

Each size runs in a fresh process so peak RSS is per size. Not a test: figures vary with the
machine; record them in README/benchmarks/README.md when something hot changes.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "providers")]


def generate(count: int) -> list[dict[str, object]]:
    """Deterministic, realistic Ingresses: 20 namespaces, 1–3 hosts, 1–4 paths, TLS on half."""
    objects: list[dict[str, object]] = []
    for i in range(count):
        ns = f"team-{i % 20}"
        hosts = [f"app{i}-{h}.example.com" for h in range(1 + i % 3)]
        rules = []
        for h, host in enumerate(hosts):
            paths = [
                {
                    "path": f"/svc{p}" if p else "/",
                    "pathType": ("Prefix", "Exact", "ImplementationSpecific")[(i + p) % 3],
                    "backend": {
                        "service": {"name": f"svc-{i}-{h}-{p}", "port": {"number": 8080 + p}}
                    },
                }
                for p in range(1 + (i + h) % 4)
            ]
            rules.append({"host": host, "http": {"paths": paths}})
        spec: dict[str, object] = {"ingressClassName": "nginx", "rules": rules}
        if i % 2 == 0:
            spec["tls"] = [{"hosts": hosts[:1], "secretName": f"tls-{i}"}]
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": f"ing-{i}",
                    "namespace": ns,
                    "creationTimestamp": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
                },
                "spec": spec,
            }
        )
    return objects


def run_one(count: int, fmt: str) -> dict[str, float]:
    import ingress2gateway
    from ingress2gateway.serialize import to_yaml

    objects = generate(count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input.{fmt}"
        if fmt == "json":
            path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        else:
            path.write_text("---\n".join(to_yaml(o) for o in objects))
        start = time.perf_counter()
        loaded = ingress2gateway.load_manifests([path])
        read = time.perf_counter()
        result = ingress2gateway.convert(loaded, providers=["nginx"])
        converted = time.perf_counter()
        text = ingress2gateway.dump(result.resources, "yaml")
        done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "objects": count,
        "read_s": read - start,
        "convert_s": converted - read,
        "dump_s": done - converted,
        "total_s": done - start,
        "objects_per_s": count / (done - start),
        "output_objects": len(result.resources),
        "output_bytes": len(text),
        "peak_rss_mb": peak_mb,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]), sys.argv[3])))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(
        f"{'input':>6} {'objects':>8} {'read s':>8} {'convert s':>10} {'dump s':>8} {'total s':>8} {'obj/s':>8} {'peak MB':>8}"
    )
    for size in sizes:
        for fmt in ("yaml", "json"):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(size), fmt],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out)
            print(
                f"{fmt:>6} {size:>8} {r['read_s']:>8.2f} {r['convert_s']:>10.2f} {r['dump_s']:>8.2f} "
                f"{r['total_s']:>8.2f} {r['objects_per_s']:>8.0f} {r['peak_rss_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
