"""``check`` speaks ``print``'s language: with the same conversion flags it reports exactly the
notifications ``print`` puts in its report (code, source, field, level, message), at each
level, for both emitters (a pre-commit gate once judged an Envoy Gateway migration by the
standard emitter's errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ingress2gateway.cli.commands import main

from .golden import Case, cases

EMITTERS = ("standard", "envoy-gateway")

# print's parameters that are not about what the conversion makes of its input: where the
# input comes from (a cluster; check takes FILES), where and how the output and the report go
# (--prune: files of --output-dir no longer generated),
# how many processes do the work, and verify (its own command, which runs the controllers'
# models: check stays a static check).
NOT_CONVERSION = {
    "inputs",
    "output_format",
    "output_dir",
    "report_file",
    "fail_on",
    "kubeconfig",
    "kube_context",
    "request_timeout",
    "color",
    "no_color",
    "quiet",
    "jobs",
    "run_verify",
    "prune",
}


def test_check_takes_every_conversion_flag_of_print() -> None:
    """A flag added to print that changes what is converted must be added to check too."""
    ctx = click.Context(main)

    def flags(command: str) -> dict[str, click.Parameter]:
        # --help is left out: click makes it once per command, from the first context's names.
        params = main.commands[command].get_params(ctx)
        return {p.name or "": p for p in params if not getattr(p, "is_eager", False)}

    printed, checked = flags("print"), flags("check")
    missing = set(printed) - NOT_CONVERSION - set(checked)
    assert missing == set()
    for name in set(printed) - NOT_CONVERSION:
        assert printed[name].opts == checked[name].opts, name  # spelt the same


def case_flags(case: Case, emitter: str) -> list[str]:
    """The command-line flags of a golden case's ``args.yaml``, with ``emitter``."""
    args = case.args
    flags = ["--providers", ",".join(args.pop("providers")), "--emitter", emitter]
    if args.pop("emitter", "standard") == emitter:
        for key, value in args.pop("emitter_options", {}).items():
            flags += ["--emitter-option", f"{key}={value}"]
    args.pop("emitter_options", None)
    if "gateway_api_version" in args:
        flags += ["--gateway-api-version", args.pop("gateway_api_version")]
    if "channel" in args:
        flags += ["--channel", args.pop("channel")]
    options: dict[str, Any] = args.pop("options", {})
    for provider, settings in options.pop("provider_options", {}).items():
        for key, value in settings.items():
            flags += ["--provider-option", f"{provider}.{key}={value}"]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        flags += [flag] if value is True else [flag, str(value)]
    assert args == {}, f"{case.id}: args.yaml key not mapped to a flag: {sorted(args)}"
    return flags


def printed_notes(
    runner: CliRunner, flags: list[str], file: Path, tmp_path: Path
) -> list[dict[str, Any]]:
    report = tmp_path / "report.json"
    done = runner.invoke(
        main, ["print", *flags, "-f", str(file), "-j", "1", "--report-file", str(report)]
    )
    assert done.exit_code in (0, 1), done.output
    notes: list[dict[str, Any]] = json.loads(report.read_text())["notifications"]
    return notes


def as_finding(note: dict[str, Any], general: Path) -> tuple[Any, ...]:
    """A notification of print's report as check shows it: where, what, about which field."""
    source = note["source"]
    if source is None or not source.get("file"):
        file, who = str(general), None  # placed at the top of the first file
    else:
        file = source["file"]
        name = source["name"] or "<unnamed>"
        who = (
            f"{source['kind']} {source['namespace'] + '/' if source['namespace'] else ''}{name}"
            if source["kind"]
            else None
        )
    return file, who, note["field"], note["level"], note["code"], note["message"]


def checked_findings(
    runner: CliRunner, flags: list[str], file: Path, *more: str
) -> list[tuple[Any, ...]]:
    done = runner.invoke(
        main,
        [
            "check",
            *flags,
            "--no-context",
            "--format",
            "json",
            "--fail-on",
            "never",
            *more,
            str(file),
        ],
    )
    assert done.exit_code == 0, done.output
    return sorted(
        (
            (f["file"], f["object"], f["field"], f["level"], f["code"], f["message"])
            for f in json.loads(done.stdout)["findings"]
        ),
        key=comparable,
    )


def comparable(finding: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if part is None else str(part) for part in finding)


def assert_check_reports_what_print_does(flags: list[str], file: Path, tmp_path: Path) -> int:
    runner = CliRunner()
    notes = printed_notes(runner, flags, file, tmp_path)
    everything = sorted({as_finding(note, file) for note in notes}, key=comparable)
    warnings = [f for f in everything if f[3] in ("warning", "error")]
    assert checked_findings(runner, flags, file, "--show-info") == everything
    assert checked_findings(runner, flags, file) == warnings
    return len(everything)


CASES = cases()
# The default run takes every third case (about 7 s); `pytest -m exhaustive` takes them all.
SAMPLED = [
    pytest.param(case, id=case.id, marks=() if index % 3 == 0 else pytest.mark.exhaustive)
    for index, case in enumerate(CASES)
]


@pytest.mark.parametrize("emitter", EMITTERS)
@pytest.mark.parametrize("case", SAMPLED)
def test_check_finds_what_print_reports_on_the_golden_cases(
    case: Case, emitter: str, tmp_path: Path
) -> None:
    flags = case_flags(case, emitter)
    assert_check_reports_what_print_does(flags, case.directory / "input.yaml", tmp_path)


ACCESS_CONTROLLED = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://auth.example.com/verify"
    nginx.ingress.kubernetes.io/auth-signin: "https://auth.example.com/start"
    nginx.ingress.kubernetes.io/limit-rps: "5"
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /admin
        pathType: Prefix
        backend: {service: {name: admin, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: reports
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: reports-users
    nginx.ingress.kubernetes.io/auth-realm: "Reports"
    nginx.ingress.kubernetes.io/limit-connections: "3"
    nginx.ingress.kubernetes.io/global-rate-limit: "100"
    nginx.ingress.kubernetes.io/global-rate-limit-window: "1m"
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /reports
        pathType: Prefix
        backend: {service: {name: reports, port: {number: 80}}}
"""


@pytest.mark.parametrize("emitter", EMITTERS)
def test_check_finds_what_print_reports_on_auth_and_rate_limits(
    emitter: str, tmp_path: Path
) -> None:
    file = tmp_path / "access.yaml"
    file.write_text(ACCESS_CONTROLLED)
    flags = ["--providers", "nginx", "--emitter", emitter]
    if emitter == "envoy-gateway":
        flags += ["--emitter-option", "rate-limit-service=true"]
    assert assert_check_reports_what_print_does(flags, file, tmp_path) > 0


def test_check_with_envoy_gateway_does_not_report_the_standard_emitters_errors(
    tmp_path: Path,
) -> None:
    """The user's case: basic auth is an error (the route is closed) for the standard emitter,
    carried by Envoy Gateway's SecurityPolicy: ``check --emitter envoy-gateway`` passes it."""
    file = tmp_path / "access.yaml"
    file.write_text(ACCESS_CONTROLLED.split("---\n")[1])
    runner = CliRunner()
    standard = runner.invoke(main, ["check", "--no-context", "--fail-on", "error", str(file)])
    assert standard.exit_code == 1 and "extension-unsupported" in standard.stdout
    envoy = runner.invoke(
        main,
        ["check", "--no-context", "--fail-on", "error", "--emitter", "envoy-gateway", str(file)],
    )
    assert envoy.exit_code == 0, envoy.stdout


def test_check_takes_the_emitters_own_flags_and_checks_its_options(tmp_path: Path) -> None:
    file = tmp_path / "access.yaml"
    file.write_text(ACCESS_CONTROLLED)
    runner = CliRunner()
    base = ["check", "--no-context", "--format", "json", "--show-info", "--fail-on", "never"]
    by_option = runner.invoke(
        main,
        [
            *base,
            "--emitter",
            "envoy-gateway",
            "--emitter-option",
            "rate-limit-service=true",
            str(file),
        ],
    )
    by_flag = runner.invoke(
        main, [*base, "--emitter", "envoy-gateway", "--envoy-gateway-rate-limit-service", str(file)]
    )
    assert by_option.exit_code == by_flag.exit_code == 0
    assert by_option.stdout == by_flag.stdout
    # The emitter's flag belongs to its emitter, as on print.
    standard = runner.invoke(main, [*base, "--envoy-gateway-rate-limit-service", str(file)])
    assert standard.exit_code == 2 and "option of emitter envoy-gateway" in standard.output
    unknown = runner.invoke(
        main, [*base, "--emitter", "envoy-gateway", "--emitter-option", "nope=1", str(file)]
    )
    assert unknown.exit_code == 2 and "nope" in unknown.output
    wrong = runner.invoke(main, [*base, "--emitter", "nope", str(file)])
    assert wrong.exit_code == 2 and "unknown emitter 'nope'" in wrong.output


def test_check_takes_the_namespace_filter_of_print(tmp_path: Path) -> None:
    file = tmp_path / "access.yaml"
    file.write_text(ACCESS_CONTROLLED.replace("namespace: shop\n", "namespace: other\n", 1))
    for flags in (["-n", "shop"], ["-n", "other"], ["-n", "shop", "-A"]):
        assert_check_reports_what_print_does(["--providers", "nginx", *flags], file, tmp_path)
