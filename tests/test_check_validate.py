"""``validate DIR``: the tree ``print --output-dir`` writes, walked recursively, with a count at
the end; ``--emitter`` accepted so that both pre-commit hooks can share their args."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ingress2gateway.cli.commands import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"
ENVOY_CASE = ROOT / "testdata" / "envoy-gateway" / "nginx-access-control"


def run(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(main, list(args))
    return done.exit_code, done.stdout, done.stderr


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """What print --output-dir writes for the example: <namespace>/<kind>-<name>.yaml."""
    out = tmp_path / "gateway-api"
    code, _, err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--output-dir", str(out)
    )
    assert code == 0, err
    return out


def test_validate_walks_the_output_dir_and_counts(written: Path) -> None:
    files = sorted(written.rglob("*.yaml"))
    assert {path.parent for path in files} != {written}  # in namespace folders
    code, out, err = run("validate", str(written))
    assert (code, out) == (0, "")
    assert err == f"validated {len(files)} objects in {len(files)} files: 0 invalid\n"


def test_validate_counts_invalid_objects_and_other_files(written: Path) -> None:
    route = next(written.rglob("httproute-*.yaml"))
    body = yaml.safe_load(route.read_text())
    body["spec"]["rules"][0]["backendRefs"][0].pop("port")  # a Service backend needs one
    route.write_text(yaml.safe_dump(body))
    (written / "notes").mkdir()
    (written / "notes" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
    )
    (written / "notes" / "broken.yaml").write_text("a: [\n")
    objects = len(list(written.rglob("*.yaml"))) - 2
    code, out, err = run("validate", str(written))
    assert code == 1
    lines = out.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "error input-invalid",
        "error manifest-invalid",
    ]
    assert lines[1].startswith(f"{route}:")
    assert err == (
        f"validated {objects} objects in {objects + 2} files: 1 invalid, 1 input error\n"
    )


def test_validate_json_has_the_counts_and_sarif_stays_pure(written: Path) -> None:
    files = len(list(written.rglob("*.yaml")))
    code, out, err = run("validate", "--format", "json", str(written))
    assert code == 0 and err == ""
    assert json.loads(out) == {
        "findings": [],
        "summary": {"objects": files, "files": files, "invalid": 0, "inputErrors": 0},
    }
    code, out, err = run("validate", "--format", "sarif", str(written))
    assert code == 0 and err == "" and json.loads(out)["runs"][0]["results"] == []


def test_one_object_in_one_file_is_said_so(written: Path) -> None:
    gateway = next(written.rglob("gateway-*.yaml"))
    assert run("validate", str(gateway))[2] == "validated 1 object in 1 file: 0 invalid\n"


def test_validate_takes_the_emitter_flags_and_validates_every_known_object(
    tmp_path: Path,
) -> None:
    """--emitter does not narrow what is validated: an object's validity does not depend on
    which emitter made it, and a hand-written one must not go unchecked."""
    out = tmp_path / "eg"
    code, _, err = run(
        "print",
        "--providers",
        "nginx",
        "--emitter",
        "envoy-gateway",
        "-f",
        str(ENVOY_CASE / "input.yaml"),
        "--output-dir",
        str(out),
    )
    assert code in (0, 1), err
    policies = [p for p in out.rglob("*.yaml") if "gateway.envoyproxy.io" in p.read_text()]
    assert policies
    broken = policies[0]
    body = yaml.safe_load(broken.read_text())
    body["spec"]["bogus"] = 1  # unknown field: pruned by the API server, reported here
    broken.write_text(yaml.safe_dump(body))
    results = {
        emitter: run("validate", "--emitter", emitter, "--format", "json", str(out))
        for emitter in ("standard", "envoy-gateway")
    }
    assert results["standard"] == results["envoy-gateway"]
    code, stdout, _ = results["standard"]
    found = json.loads(stdout)["findings"]
    assert code == 1 and {f["file"] for f in found} == {str(broken)}
    with_option = run(
        "validate",
        "--emitter",
        "envoy-gateway",
        "--envoy-gateway-rate-limit-service",
        "--format",
        "json",
        str(out),
    )
    assert with_option == results["envoy-gateway"]
    assert run("validate", "--emitter", "nope", str(out))[0] == 2
    assert run("validate", "--emitter-option", "nope=1", str(out))[0] == 2


@pytest.mark.parametrize(
    ("emitter", "case", "group"),
    [
        ("kgateway", "kgateway/nginx-traffic", "gateway.kgateway.dev"),
        ("istio", "istio/emitter-nginx-affinity-cookie", "networking.istio.io"),
        ("nginx-gateway-fabric", "nginx-gateway-fabric/nginx-body-size", "gateway.nginx.org"),
    ],
)
def test_validate_checks_the_implementations_kinds(
    tmp_path: Path, emitter: str, case: str, group: str
) -> None:
    """An implementation's policy is validated against its vendored CRD, as the print path does,
    and an implementation's kind whose CRD is not vendored (an Istio VirtualService: input to
    the istio provider, never output) is left alone."""
    source = ROOT / "testdata" / case / "input.yaml"
    out = tmp_path / "out"
    code, _, err = run(
        "print", "--providers", "nginx", "--emitter", emitter, "-f", str(source),
        "--output-dir", str(out),
    )  # fmt: skip
    assert code in (0, 1), err
    assert run("validate", str(out))[0] == 0
    policies = [p for p in out.rglob("*.yaml") if f"apiVersion: {group}/" in p.read_text()]
    assert policies, f"the {emitter} emitter wrote no {group} object"
    broken = policies[0]
    body = yaml.safe_load(broken.read_text())
    body["spec"]["bogus"] = 1
    broken.write_text(yaml.safe_dump(body))
    (out / "virtualservice.yaml").write_text(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: vs, namespace: web}\nspec: {hosts: [a.example.com]}\n"
    )
    code, stdout, _ = run("validate", "--format", "json", str(out))
    found = json.loads(stdout)["findings"]
    assert code == 1 and {f["file"] for f in found} == {str(broken)}
