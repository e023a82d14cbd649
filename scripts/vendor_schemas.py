#!/usr/bin/env python3
"""Generate the compact CRD schemas that ``ingress2gateway.validation`` and ``target`` read.

Reads the upstream CRD YAML (Gateway API per tag and channel, Envoy Gateway v1.9.0, and the
implementations the emitters target: kgateway, agentgateway, GKE Gateway, NGINX Gateway Fabric,
Istio, Kuadrant, Traefik) from the shared reference folder and writes, under ``ingress2gateway/validation/schemas/``:

* ``<project>-<tag>[-<channel>].json.gz`` — one catalog per CRD set: every CRD's group, kind, scope,
  versions (served / storage / deprecated) and ``openAPIV3Schema`` with descriptions stripped.
  Identical schemas (e.g. HTTPRoute ``v1`` and ``v1beta1``) are stored once per catalog.
* ``index.json`` — which catalogs exist (the runtime derives the known versions from it).
* ``PROVENANCE.json`` — per source file: project, tag, channel, upstream path, sha256, license.

Output is deterministic (sorted keys, gzip mtime 0) so that ``--check`` can be a CI drift check:
it exits 1 when the committed files differ from what this script would write. Compressed bytes are
compared after decompression, because zlib builds may compress the same data differently.

Usage: ``python scripts/vendor_schemas.py [--shared PATH] [--check]``
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "ingress2gateway" / "validation" / "schemas"
FORMAT = 1

GATEWAY_API_TAGS = ("v1.2.1", "v1.3.0", "v1.4.1", "v1.5.1", "v1.6.1")
CHANNELS = ("standard", "experimental")
ENVOY_GATEWAY_TAGS = ("v1.9.0",)

GATEWAY_API_REPO = "kubernetes-sigs/gateway-api"
ENVOY_GATEWAY_REPO = "envoyproxy/gateway"
# Where the files live upstream at the tag (the shared copies keep only the file names).
GATEWAY_API_UPSTREAM_DIR = "config/crd/{channel}"
ENVOY_GATEWAY_UPSTREAM_DIR = "charts/gateway-crds-helm/templates/generated"


@dataclass(frozen=True)
class Implementation:
    """A Gateway API implementation whose own CRDs are vendored: ``implementations/<project>/``
    in the shared folder, whose ``SOURCES.txt`` names each file's upstream path and commit.
    ``tags`` oldest first: the runtime validates against the last one."""

    project: str
    repo: str
    tags: tuple[str, ...]
    license: str


IMPLEMENTATIONS = (
    Implementation("kgateway", "kgateway-dev/kgateway", ("v2.4.x-5b968c3abb",), "Apache-2.0"),
    Implementation("agentgateway", "agentgateway/agentgateway", ("v1.4.1",), "Apache-2.0"),
    Implementation(
        "gke", "GoogleCloudPlatform/gke-gateway-api", ("v1.4.0", "main-fc40d60"), "Apache-2.0"
    ),
    Implementation("nginx-gateway-fabric", "nginx/nginx-gateway-fabric", ("v2.6.7",), "Apache-2.0"),
    Implementation("istio", "istio/istio", ("1.30.3",), "Apache-2.0"),
    Implementation("kuadrant", "Kuadrant/kuadrant-operator", ("v1.5.2",), "Apache-2.0"),
    Implementation("traefik", "traefik/traefik", ("v3.7.9",), "MIT"),
)

# Annotations only: the apiserver never evaluates them, so they only cost bytes.
STRIPPED_KEYS = frozenset({"description"})

# Files next to the CRDs that are not CRDs (kustomize list, ValidatingAdmissionPolicy).
SKIPPED_SUFFIXES = ("kustomization.yaml", "_vap_safeupgrades.yaml")

GENERATED_SUFFIXES = (".json.gz", ".json")
LICENSE_FILES = ("LICENSE", "LICENSE-traefik")
STATIC_FILES = frozenset({*LICENSE_FILES, "__init__.py"})

JSON = Any


@dataclass(frozen=True)
class CrdSet:
    """One group of CRD files that becomes one catalog file."""

    project: str
    repo: str
    tag: str
    channel: str | None
    source_dir: Path
    upstream_dir: str
    license: str = "Apache-2.0"
    recursive: bool = False
    upstream_paths: tuple[tuple[str, str], ...] = ()
    """File name → upstream path, where SOURCES.txt gives them (else ``upstream_dir/name``)."""

    @property
    def output_name(self) -> str:
        suffix = f"-{self.channel}" if self.channel else ""
        return f"{self.project}-{self.tag}{suffix}.json.gz"


def crd_sets(shared: Path) -> list[CrdSet]:
    sets = [
        CrdSet(
            project="gateway-api",
            repo=GATEWAY_API_REPO,
            tag=tag,
            channel=channel,
            source_dir=shared / "gateway-api" / "crds" / tag / channel,
            upstream_dir=GATEWAY_API_UPSTREAM_DIR.format(channel=channel),
        )
        for tag in GATEWAY_API_TAGS
        for channel in CHANNELS
    ]
    sets += [
        CrdSet(
            project="envoy-gateway",
            repo=ENVOY_GATEWAY_REPO,
            tag=tag,
            channel=None,
            source_dir=shared / "envoy-gateway" / "crds" / tag,
            upstream_dir=ENVOY_GATEWAY_UPSTREAM_DIR,
        )
        for tag in ENVOY_GATEWAY_TAGS
    ]
    for implementation in IMPLEMENTATIONS:
        folder = shared / "implementations" / implementation.project
        upstream = _upstream_paths(folder / "SOURCES.txt")
        for tag in implementation.tags:
            prefix = f"crds/{tag}/"
            sets.append(
                CrdSet(
                    project=implementation.project,
                    repo=implementation.repo,
                    tag=tag,
                    channel=None,
                    source_dir=folder / "crds" / tag,
                    upstream_dir="",
                    license=implementation.license,
                    recursive=True,
                    upstream_paths=tuple(
                        sorted(
                            (local.removeprefix(prefix), path)
                            for local, path in upstream.items()
                            if local.startswith(prefix)
                        )
                    ),
                )
            )
    return sets


def _upstream_paths(sources: Path) -> dict[str, str]:
    """``local_file`` → ``upstream_path`` from a shared ``SOURCES.txt`` (tab-separated)."""
    if not sources.is_file():
        raise SystemExit(f"error: missing {sources}")
    found = {}
    for line in sources.read_text(encoding="utf-8").splitlines():
        columns = line.split("\t")
        if line.startswith("#") or len(columns) < 5:
            continue
        found[columns[0]] = columns[4]
    return found


def source_files(crd_set: CrdSet) -> list[Path]:
    if not crd_set.source_dir.is_dir():
        raise SystemExit(f"error: missing CRD folder {crd_set.source_dir}")
    found = (
        crd_set.source_dir.rglob("*.yaml")
        if crd_set.recursive
        else crd_set.source_dir.glob("*.yaml")
    )
    return sorted(p for p in found if not p.name.endswith(SKIPPED_SUFFIXES))


def strip_annotations(node: JSON) -> JSON:
    """Drop descriptions, but never a *property* that happens to be called ``description``."""
    if isinstance(node, list):
        return [strip_annotations(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, JSON] = {}
    for key, value in node.items():
        if key in ("properties", "definitions", "patternProperties"):
            out[key] = {name: strip_annotations(sub) for name, sub in value.items()}
        elif key in ("default", "enum", "example"):
            out[key] = value  # literal data, not schema
        elif key not in STRIPPED_KEYS:
            out[key] = strip_annotations(value)
    return out


def canonical(data: JSON) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def crd_documents(path: Path) -> Iterator[dict[str, JSON]]:
    # The C loader when available: the CRDs are 12 MB of YAML and CI runs --check often.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as stream:
        for doc in yaml.load_all(stream, Loader=loader):  # safe loaders only
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                yield doc


def build_catalog(crd_set: CrdSet, files: list[Path]) -> dict[str, JSON]:
    crds: dict[str, JSON] = {}
    schemas: dict[str, JSON] = {}
    for path in files:
        for doc in crd_documents(path):
            spec = doc["spec"]
            versions: dict[str, JSON] = {}
            status_subresource = False
            for version in spec["versions"]:
                schema = strip_annotations(version["schema"]["openAPIV3Schema"])
                has_status = "status" in (version.get("subresources") or {})
                status_subresource = status_subresource or has_status
                if has_status:
                    # On create the apiserver resets status when the status subresource is on,
                    # so its schema can never matter to us; it is a third of the bytes.
                    schema.get("properties", {}).pop("status", None)
                key = hashlib.sha256(canonical(schema)).hexdigest()[:16]
                schemas[key] = schema
                versions[version["name"]] = {
                    "served": bool(version.get("served", False)),
                    "storage": bool(version.get("storage", False)),
                    "deprecated": bool(version.get("deprecated", False)),
                    "statusSubresource": has_status,
                    "schema": key,
                }
            kind = spec["names"]["kind"]
            crds[f"{spec['group']}/{kind}"] = {
                "group": spec["group"],
                "kind": kind,
                "plural": spec["names"]["plural"],
                "scope": spec["scope"],
                "versions": versions,
            }
    return {
        "format": FORMAT,
        "project": crd_set.project,
        "tag": crd_set.tag,
        "channel": crd_set.channel,
        "crds": crds,
        "schemas": schemas,
    }


def provenance_entries(crd_set: CrdSet, files: list[Path]) -> list[dict[str, JSON]]:
    upstream = dict(crd_set.upstream_paths)
    return [
        {
            "repository": crd_set.repo,
            "license": crd_set.license,
            "tag": crd_set.tag,
            "channel": crd_set.channel,
            "upstream_path": upstream.get(
                path.relative_to(crd_set.source_dir).as_posix(),
                f"{crd_set.upstream_dir}/{path.name}",
            ),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "output": crd_set.output_name,
        }
        for path in files
    ]


def render(shared: Path) -> dict[str, bytes]:
    """Every generated file name → its *uncompressed* content."""
    outputs: dict[str, bytes] = {}
    provenance: list[dict[str, JSON]] = []
    index: dict[str, JSON] = {"format": FORMAT, "catalogs": []}
    for crd_set in crd_sets(shared):
        files = source_files(crd_set)
        outputs[crd_set.output_name] = canonical(build_catalog(crd_set, files))
        provenance += provenance_entries(crd_set, files)
        index["catalogs"].append(
            {
                "project": crd_set.project,
                "tag": crd_set.tag,
                "channel": crd_set.channel,
                "file": crd_set.output_name,
            }
        )
    outputs["index.json"] = pretty(index)
    outputs["PROVENANCE.json"] = pretty(
        {
            "generator": "scripts/vendor_schemas.py",
            "note": "Descriptions and status schemas removed; otherwise the upstream "
            "openAPIV3Schema unchanged. Licenses: LICENSE (Apache-2.0) in this folder; "
            "LICENSE-traefik (MIT) for the Traefik schemas.",
            "sources": provenance,
        }
    )
    return outputs


def pretty(data: JSON) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=1) + "\n").encode()


def encode(name: str, content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=9, mtime=0) if name.endswith(".gz") else content


def decode(name: str, data: bytes) -> bytes:
    return gzip.decompress(data) if name.endswith(".gz") else data


def generated_files_on_disk(out_dir: Path) -> set[str]:
    return {
        p.name
        for p in out_dir.iterdir()
        if p.is_file() and p.name.endswith(GENERATED_SUFFIXES) and p.name not in STATIC_FILES
    }


def check(outputs: dict[str, bytes], out_dir: Path) -> list[str]:
    problems = []
    for name, content in sorted(outputs.items()):
        path = out_dir / name
        if not path.is_file():
            problems.append(f"missing {name}")
        elif decode(name, path.read_bytes()) != content:
            problems.append(f"differs {name}")
    problems += [
        f"stale {name}" for name in sorted(generated_files_on_disk(out_dir) - set(outputs))
    ]
    for license_file in LICENSE_FILES:
        if not (out_dir / license_file).is_file():
            problems.append(f"missing {license_file}")
    return problems


def write(outputs: dict[str, bytes], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in generated_files_on_disk(out_dir) - set(outputs):
        (out_dir / stale).unlink()
    for name, content in sorted(outputs.items()):
        path = out_dir / name
        if path.is_file() and decode(name, path.read_bytes()) == content:
            continue  # keep the bytes: another zlib may compress identical data differently
        path.write_bytes(encode(name, content))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_ROOT.parent / "shared",
        help="folder holding gateway-api/crds and envoy-gateway/crds (default: ../shared)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed files are out of date"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    outputs = render(args.shared)
    if args.check:
        problems = check(outputs, args.out)
        for problem in problems:
            print(f"vendored schemas out of date: {problem}", file=sys.stderr)
        if problems:
            print("run: python scripts/vendor_schemas.py", file=sys.stderr)
            return 1
        print(f"vendored schemas up to date ({len(outputs)} files)")
        return 0
    write(outputs, args.out)
    total = sum((args.out / name).stat().st_size for name in outputs)
    print(f"wrote {len(outputs)} files to {args.out} ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
