"""``verify`` from the command line and the library: exit codes, both formats, ``--against``,
``print --verify``, and broken migrations it must catch."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ingress2gateway
from ingress2gateway.cli.commands import main

ROOT = Path(__file__).resolve().parent.parent

SITE = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: site.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: front, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 8080}}}}
      - {path: /old, pathType: Exact, backend: {service: {name: legacy, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: moved
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/permanent-redirect: https://new.example.com/
spec:
  ingressClassName: nginx
  rules:
  - host: moved.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: front, port: {number: 80}}}}
"""


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE)
    return path


def converted(site: Path) -> list[dict[str, Any]]:
    objects = ingress2gateway.load_manifests(site)
    return ingress2gateway.convert(objects, "nginx").resources


def test_a_faithful_migration_verifies_and_exits_0(site: Path) -> None:
    code, out = run("verify", "--providers", "nginx", "-f", str(site))
    assert code == 0, out
    assert "0 answered differently" in out


def test_json_output_has_the_summary_and_differences(site: Path) -> None:
    code, out = run("verify", "--providers", "nginx", "-f", str(site), "-o", "json")
    body = json.loads(out)
    assert code == 0 and set(body) == {"summary", "differences"}
    assert set(body["summary"]) == {"requests", "classes", "differences", "unexplained"}
    assert body["summary"]["requests"] >= 10 and body["differences"] == []


def _backend_rule(objects: list[dict[str, Any]], path: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] != "HTTPRoute":
            continue
        for rule in obj["spec"]["rules"]:
            for match in rule.get("matches", []):
                if match.get("path", {}).get("value") == path and "backendRefs" in rule:
                    return rule
    raise AssertionError(path)


def _swap_backend(objects: list[dict[str, Any]]) -> None:
    _backend_rule(objects, "/api")["backendRefs"][0]["name"] = "front"


def _drop_rule(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["kind"] == "HTTPRoute":
            rules = obj["spec"]["rules"]
            rules[:] = (
                [r for r in rules if _backend_rule([obj], "/api") is not r]
                if any(
                    m.get("path", {}).get("value") == "/api"
                    for r in rules
                    for m in r.get("matches", [])
                )
                else rules
            )


def _change_match(objects: list[dict[str, Any]]) -> None:
    _backend_rule(objects, "/old")["matches"][0]["path"]["type"] = "PathPrefix"


def _change_redirect(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        for rule in obj.get("spec", {}).get("rules", []) if obj["kind"] == "HTTPRoute" else []:
            for item in rule.get("filters", []):
                if item.get("type") == "RequestRedirect":
                    item["requestRedirect"]["statusCode"] = 302


@pytest.mark.parametrize(
    "breaking",
    [_swap_backend, _drop_rule, _change_match, _change_redirect],
    ids=lambda f: f.__name__,
)
def test_a_broken_migration_is_caught(site: Path, tmp_path: Path, breaking: Any) -> None:
    objects = copy.deepcopy(converted(site))
    breaking(objects)
    against = tmp_path / "gateway.yaml"
    against.write_text(yaml.safe_dump_all(objects))
    code, out = run("verify", "--providers", "nginx", "-f", str(site), "--against", str(against))
    assert code == 1, out
    assert "NOT EXPLAINED" in out


def test_the_unbroken_output_verifies_against_itself(site: Path, tmp_path: Path) -> None:
    against = tmp_path / "gateway.yaml"
    against.write_text(yaml.safe_dump_all(converted(site)))
    code, out = run("verify", "--providers", "nginx", "-f", str(site), "--against", str(against))
    assert code == 0, out


def test_fail_on_never_and_difference(site: Path, tmp_path: Path) -> None:
    objects = copy.deepcopy(converted(site))
    _swap_backend(objects)
    against = tmp_path / "gateway.yaml"
    against.write_text(yaml.safe_dump_all(objects))
    base = ["verify", "--providers", "nginx", "-f", str(site), "--against", str(against)]
    assert run(*base, "--fail-on", "never")[0] == 0
    assert run(*base, "--fail-on", "difference")[0] == 1


def test_usage_errors_exit_2(site: Path) -> None:
    assert run("verify", "--providers", "nginx", "-f", str(site), "--against", "nope/")[0] == 2
    assert run("verify", "-f", str(site))[0] == 2


def test_print_verify_adds_its_findings_to_the_report(site: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, _ = run(
        "print", "--providers", "nginx", "-f", str(site), "--verify", "--report-file", str(report)
    )
    assert code == 0
    codes = [note["code"] for note in json.loads(report.read_text())["notifications"]]
    assert "verify-summary" in codes and "verify-difference" not in codes


def test_the_library_verifies_what_it_converted(site: Path) -> None:
    objects = ingress2gateway.load_manifests(site)
    result = ingress2gateway.verify(objects, providers="nginx")
    assert isinstance(result, ingress2gateway.VerifyResult)
    assert result.requests >= 10 and result.differences == []
    broken = copy.deepcopy(converted(site))
    _swap_backend(broken)
    found = ingress2gateway.verify(objects, broken, providers=["nginx"])
    assert found.unexplained and all(d.request.path.startswith("/api") for d in found.unexplained)
