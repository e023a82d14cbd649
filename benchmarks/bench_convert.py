#!/usr/bin/env python3
"""End-to-end conversion speed and memory against the PyYAML floor.

    python benchmarks/bench_convert.py                       # 1k and 10k objects, YAML and JSON
    python benchmarks/bench_convert.py --sizes 1000,10000,100000
    python benchmarks/bench_convert.py --providers istio --stages [--no-validate]

For each size and format it generates a realistic input (Ingresses with ingress-nginx
annotations; Istio Gateways and VirtualServices; Kong Ingresses with konghq.com annotations),
then, each in a fresh process:

* the *floor*: load the same documents with PyYAML's C loader and dump them with its C dumper
  (for JSON input: json.loads + json.dumps) — what reading and writing alone cost;
* ``print``: the real ``ingress2gateway print`` command — read, convert, validate every output
  object, write YAML to /dev/null and the human report to /dev/null — the whole job (with
  ``--gateway-per-namespace``: 37 namespaces with a dozen host names each, since one Gateway
  holds at most 64 listeners);
* with ``--stages``: read, convert and dump timed apart through the library, in one process.

It prints seconds, objects per second, the ratio to the floor and peak RSS (of the largest
process: ``print`` and its workers). This is a script, not a test: figures depend on the
machine. Record them in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
sys.path[:0] = [str(ROOT), str(ROOT / "providers")]

JSONish = dict[str, Any]


def nginx_ingress(i: int) -> JSONish:
    ns = f"team-{i % 37}"
    # Teams share a dozen host names each, as real clusters do: a Gateway holds at most 64
    # listeners, so a class with thousands of host names cannot be one Gateway anyway.
    hosts = [f"app{(i // 37 + h) % 12}.{ns}.example.com" for h in range(1 + i % 3)]
    rules = []
    for h, host in enumerate(hosts):
        paths = [
            {
                "path": f"/svc{i}-{p}",
                "pathType": ("Prefix", "Exact", "ImplementationSpecific")[(i + p) % 3],
                "backend": {"service": {"name": f"svc-{i}-{h}-{p}", "port": {"number": 8080 + p}}},
            }
            for p in range(1 + (i + h) % 4)
        ]
        rules.append({"host": host, "http": {"paths": paths}})
    annotations = {
        "nginx.ingress.kubernetes.io/proxy-body-size": "8m",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": "120",
        "nginx.ingress.kubernetes.io/enable-cors": "true",
        "nginx.ingress.kubernetes.io/cors-allow-origin": "https://example.com",
        "nginx.ingress.kubernetes.io/ssl-redirect": "true" if i % 2 == 0 else "false",
        "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8",
        "nginx.ingress.kubernetes.io/limit-rps": "20",
    }
    if i % 3 == 0:
        annotations["nginx.ingress.kubernetes.io/configuration-snippet"] = (
            'more_set_headers "X-Req: $request_id";\n'
        )
    if i % 5 == 0:
        annotations["nginx.ingress.kubernetes.io/rewrite-target"] = "/"
    spec: JSONish = {"ingressClassName": "nginx", "rules": rules}
    if i % 2 == 0:
        spec["tls"] = [{"hosts": hosts[:1], "secretName": f"tls-{ns}-{hosts[0].split('.')[0]}"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": f"ing-{i}",
            "namespace": ns,
            "creationTimestamp": f"2024-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
            "annotations": annotations,
        },
        "spec": spec,
    }


def istio_objects(i: int) -> list[JSONish]:
    ns = f"mesh-{i % 23}"
    host = f"svc{i}.example.com"
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": f"vs-{i}", "namespace": ns},
        "spec": {
            "hosts": [host],
            "gateways": ["istio-system/public"],
            "http": [
                {
                    "match": [
                        {"uri": {"prefix": "/v2"}},
                        {"headers": {"x-canary": {"exact": "1"}}},
                    ],
                    "route": [
                        {
                            "destination": {
                                "host": f"app{i}",
                                "port": {"number": 8080},
                                "subset": "v2",
                            }
                        }
                    ],
                    "timeout": "10s",
                },
                {
                    "route": [
                        {
                            "destination": {"host": f"app{i}", "port": {"number": 8080}},
                            "weight": 90,
                        },
                        {
                            "destination": {"host": f"app{i}-next", "port": {"number": 8080}},
                            "weight": 10,
                        },
                    ],
                    "retries": {"attempts": 3, "perTryTimeout": "2s"},
                },
            ],
        },
    }
    return [vs]


def istio_gateway() -> JSONish:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "public", "namespace": "istio-system"},
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": ["*/*.example.com"],
                },
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["*/*.example.com"],
                    "tls": {"mode": "SIMPLE", "credentialName": "wildcard-cert"},
                },
            ],
        },
    }


def kong_ingress(i: int) -> JSONish:
    ingress = nginx_ingress(i)
    ingress["spec"]["ingressClassName"] = "kong"
    ingress["metadata"]["annotations"] = {
        "konghq.com/strip-path": "true",
        "konghq.com/methods": "GET,POST",
        "konghq.com/protocols": "https",
        "konghq.com/plugins": "rate-limit-5rps",
    }
    return ingress


def generate(count: int, providers: list[str]) -> list[JSONish]:
    objects: list[JSONish] = []
    if "istio" in providers:
        objects.append(istio_gateway())
    i = 0
    while len(objects) < count:
        kind = providers[i % len(providers)]
        if kind == "nginx":
            objects.append(nginx_ingress(i))
        elif kind == "istio":
            objects.extend(istio_objects(i))
        elif kind == "kong":
            objects.append(kong_ingress(i))
        i += 1
    return objects[:count]


def input_file(count: int, fmt: str, providers: list[str]) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{'-'.join(providers)}-{count}.{fmt}"
    if not path.exists():
        objects = generate(count, providers)
        if fmt == "json":
            path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        else:
            import yaml

            path.write_text(yaml.dump_all(objects, Dumper=yaml.CSafeDumper, sort_keys=True))
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_floor(path: Path) -> JSONish:
    import yaml

    text = path.read_text()
    start = time.perf_counter()
    if path.suffix == ".json":
        docs = json.loads(text)["items"]
        out = json.dumps(docs)
    else:
        docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        out = yaml.dump_all(docs, Dumper=yaml.CSafeDumper)
    return {"seconds": time.perf_counter() - start, "bytes": len(out), "peak_mb": _peak_mb()}


def run_print(path: Path, providers: list[str], jobs: str) -> JSONish:
    """The real command, as a user runs it: stdout and the stderr report go to /dev/null."""
    command = [
        sys.executable,
        "-m",
        "ingress2gateway",
        "print",
        "--providers",
        ",".join(providers),
        "--gateway-per-namespace",
        "--input-file",
        str(path),
    ]
    if jobs:
        command += ["--jobs", jobs]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "providers")]))
    start = time.perf_counter()
    subprocess.run(
        command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    seconds = time.perf_counter() - start
    # The largest single process of the command (workers included).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak}


def run_stages(path: Path, providers: list[str], validate: bool) -> JSONish:
    """Where the time goes, through the library in one process (no workers): read, convert
    (with validation), encode as YAML."""
    import ingress2gateway

    start = time.perf_counter()
    objects = ingress2gateway.load_manifests([path])
    read = time.perf_counter()
    options = ingress2gateway.ConvertOptions(gateway_per_namespace=True)
    result = ingress2gateway.convert(
        objects, providers=providers, validate=validate, options=options
    )
    converted = time.perf_counter()
    text = ingress2gateway.dump(result.resources, "yaml")
    done = time.perf_counter()
    return {
        "read": read - start,
        "convert": converted - read,
        "dump": done - converted,
        "outputs": len(result.resources),
        "bytes": len(text),
    }


def child(args: list[str]) -> JSONish:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    parsed: JSONish = json.loads(out)
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--formats", default="yaml,json")
    parser.add_argument("--providers", default="nginx")
    parser.add_argument("--jobs", default="", help="print --jobs (default: the CLI's default)")
    parser.add_argument(
        "--stages", action="store_true", help="also time read/convert/dump through the library"
    )
    parser.add_argument("--no-validate", action="store_true", help="stages without validation")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path, providers, jobs = args.child
        if mode == "floor":
            result = run_floor(Path(path))
        elif mode == "print":
            result = run_print(Path(path), providers.split(","), jobs)
        else:
            result = run_stages(Path(path), providers.split(","), mode == "stages")
        print(json.dumps(result))
        return
    providers = args.providers.split(",")
    print(f"providers: {args.providers}; print --jobs {args.jobs or '(default)'}")
    print(
        f"{'fmt':>4} {'objects':>8} {'floor s':>8} {'print s':>8} {'ratio':>6} {'obj/s':>7} "
        f"{'peak MB':>8}"
        + (f" {'read':>6} {'convert':>8} {'dump':>6} {'outputs':>8}" if args.stages else "")
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for fmt in args.formats.split(","):
            path = input_file(size, fmt, providers)
            floor = child(["--child", "floor", str(path), args.providers, args.jobs])
            run = child(["--child", "print", str(path), args.providers, args.jobs])
            line = (
                f"{fmt:>4} {size:>8} {floor['seconds']:>8.2f} {run['seconds']:>8.2f} "
                f"{run['seconds'] / floor['seconds']:>6.1f} {size / run['seconds']:>7.0f} "
                f"{run['peak_mb']:>8.0f}"
            )
            if args.stages:
                mode = "stages-novalidate" if args.no_validate else "stages"
                st = child(["--child", mode, str(path), args.providers, args.jobs])
                line += (
                    f" {st['read']:>6.2f} {st['convert']:>8.2f} {st['dump']:>6.2f} "
                    f"{st['outputs']:>8}"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
