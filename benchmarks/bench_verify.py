#!/usr/bin/env python3
"""How long ``verify`` takes: the source model, the requests that matter, both models' answers.

    python benchmarks/bench_verify.py                         # 1,000 objects, every provider
    python benchmarks/bench_verify.py --sizes 1000,5000 --providers nginx

For each provider and size it generates the realistic input of ``bench_convert.py``, converts
it once (not timed: ``print`` is ``bench_convert.py``'s job), then times ``verify`` over that
output in one process: building the controller's model, generating its requests, routing each
through both models and comparing. It prints seconds, requests, requests per second and the
differences found. This is a script, not a test: figures depend on the machine. Record them in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "providers"), str(ROOT / "benchmarks")]

import bench_convert  # noqa: E402  (the same generated inputs)

import ingress2gateway  # noqa: E402
from ingress2gateway.reporting.report import Recorder  # noqa: E402


def measure(provider: str, count: int) -> dict[str, float]:
    objects = bench_convert.generate(count, [provider])
    report = Recorder()
    converted = ingress2gateway.convert(objects, provider, report=report, validate=False)
    start = time.perf_counter()
    found = ingress2gateway.verify(objects, converted.resources, providers=provider, report=report)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "requests": found.requests,
        "differences": len(found.differences),
        "unexplained": len(found.unexplained),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated object counts")
    parser.add_argument("--providers", default="nginx,istio,kong")
    args = parser.parse_args()
    print(
        f"{'provider':8} {'objects':>8} {'seconds':>8} {'requests':>9} {'req/s':>8} {'diff':>6} {'unexpl':>6}"
    )
    for provider in args.providers.split(","):
        for count in (int(s) for s in args.sizes.split(",")):
            got = measure(provider, count)
            rate = got["requests"] / got["seconds"] if got["seconds"] else 0.0
            print(
                f"{provider:8} {count:>8} {got['seconds']:>8.2f} {got['requests']:>9.0f} "
                f"{rate:>8.0f} {got['differences']:>6.0f} {got['unexplained']:>6.0f}"
            )


if __name__ == "__main__":
    main()
