"""The CLI end to end, in-process, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ingress2gateway.cli.commands import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx" / "shop.yaml"


def run(
    *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_print_example_yaml_and_report() -> None:
    code, out, err = run("print", "--providers", "nginx", "--input-file", str(EXAMPLE))
    assert code == 0
    objects = list(yaml.safe_load_all(out))
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Gateway", "nginx"),
        ("HTTPRoute", "payments-shop-example-com"),
        ("HTTPRoute", "storefront-shop-example-com"),
        ("HTTPRoute", "storefront-shop-example-com-http"),
        ("ReferenceGrant", "from-default-gateway-to-secret-shop-example-com-tls"),
    ]
    assert "configuration-snippet" in err and "Summary:" in err
    assert "\033[" not in err  # not a TTY: no colour


def test_stdout_carries_only_resources() -> None:
    _, out, _ = run("print", "--providers", "nginx", "-f", str(EXAMPLE))
    assert all(
        doc["apiVersion"].startswith("gateway.networking.k8s.io/")
        for doc in yaml.safe_load_all(out)
    )


def test_json_is_one_v1_list() -> None:
    code, out, _ = run("print", "--providers", "ingress-nginx", "-f", str(EXAMPLE), "-o", "json")
    body = json.loads(out)
    assert (
        code == 0
        and body["kind"] == "List"
        and body["apiVersion"] == "v1"
        and len(body["items"]) == 5
    )


def test_kyaml_loads_back_to_the_same_objects() -> None:
    _, plain, _ = run("print", "--providers", "nginx", "-f", str(EXAMPLE))
    _, kyaml, _ = run("print", "--providers", "nginx", "-f", str(EXAMPLE), "-o", "kyaml")
    assert kyaml.startswith("---\n{")
    assert [d for d in yaml.safe_load_all(kyaml) if d] == list(yaml.safe_load_all(plain))


def test_stdin_input() -> None:
    code, out, _ = run("print", "--providers", "nginx", "-f", "-", input=EXAMPLE.read_text())
    assert code == 0 and "kind: Gateway" in out


def test_report_file_has_every_part(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    code, _, _ = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--report-file", str(report_path)
    )
    report = json.loads(report_path.read_text())
    assert code == 0
    assert set(report) == {
        "reportVersion",
        "tool",
        "target",
        "summary",
        "notifications",
        "ledger",
        "prerequisites",
    }
    assert report["reportVersion"] == 1 and report["tool"]["providers"] == ["nginx"]
    snippet = [n for n in report["notifications"] if "configuration-snippet" in (n["field"] or "")]
    assert snippet and snippet[0]["security"] is True and snippet[0]["source"]["line"] == 45
    fields = {(e["source"]["name"], e["field"]): e for e in report["ledger"]}
    root_path = fields[("storefront", "spec.rules[0].http.paths[0]")]
    assert root_path["status"] == "converted"
    # Served on HTTPS; on HTTP the controller redirected it (a route of its own).
    assert root_path["targets"] == [
        {"kind": "HTTPRoute", "namespace": "shop", "name": "storefront-shop-example-com"},
        {"kind": "HTTPRoute", "namespace": "shop", "name": "storefront-shop-example-com-http"},
    ]


def test_fail_on(tmp_path: Path) -> None:
    assert run("print", "--providers", "nginx", "-f", str(EXAMPLE), "--fail-on", "warning")[0] == 1
    assert run("print", "--providers", "nginx", "-f", str(EXAMPLE), "--fail-on", "error")[0] == 0
    assert run("print", "--providers", "nginx", "-f", str(EXAMPLE))[0] == 0


def test_output_dir_writes_one_file_per_object(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    code, stdout, _err = run(
        "print", "--providers", "nginx", "-f", str(EXAMPLE), "--output-dir", str(out_dir)
    )
    assert code == 0 and stdout == ""
    files = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    assert files == [
        "default/gateway-nginx.yaml",
        "payments/httproute-payments-shop-example-com.yaml",
        "shop/httproute-storefront-shop-example-com-http.yaml",
        "shop/httproute-storefront-shop-example-com.yaml",
        "shop/referencegrant-from-default-gateway-to-secret-shop-example-com-tls.yaml",
    ]
    assert yaml.safe_load((out_dir / "default/gateway-nginx.yaml").read_text())["kind"] == "Gateway"


def test_unknown_provider_is_a_usage_error() -> None:
    code, out, err = run("print", "--providers", "no-such-provider", "-f", str(EXAMPLE))
    assert code == 2 and out == ""
    assert "unknown provider 'no-such-provider'; known providers: " in err and "nginx" in err


def test_unknown_emitter_is_a_usage_error() -> None:
    code, _, err = run("print", "--providers", "nginx", "--emitter", "nope", "-f", str(EXAMPLE))
    assert code == 2 and "unknown emitter 'nope'; known emitters: envoy-gateway, standard" in err


def test_bad_input_is_one_line_exit_1_and_the_rest_converts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: [\n")
    code, out, err = run("print", "--providers", "nginx", "-f", str(bad), "-f", str(EXAMPLE))
    assert code == 1
    assert "kind: Gateway" in out
    assert f"{bad}:3: invalid YAML" in err
    assert "Traceback" not in err


def test_missing_file_is_one_line_and_the_other_files_convert() -> None:
    code, out, err = run(
        "print", "--providers", "nginx", "-f", "does-not-exist.yaml", "-f", str(EXAMPLE)
    )
    assert code == 1 and "kind: Gateway" in out
    assert err.splitlines()[0] == (
        "error: does-not-exist.yaml: no such file or directory; check the --input-file path"
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "env, flags, coloured",
    [
        ({}, ["--color", "always"], True),
        ({"NO_COLOR": "1"}, [], False),
        ({}, ["--color", "always", "--no-color"], False),
    ],
)
def test_colour(env: dict[str, str], flags: list[str], coloured: bool) -> None:
    _, _, err = run("print", "--providers", "nginx", "-f", str(EXAMPLE), *flags, env=env)
    assert ("\033[" in err) is coloured


def test_version_and_providers() -> None:
    code, out, _ = run("version")
    assert code == 0 and out.startswith("ingress2gateway ") and "nginx" in out and "standard" in out
    code, out, _ = run("providers")
    assert code == 0 and "nginx (aliases: ingress-nginx, nginx-inc)" in out


def test_internal_errors_do_not_print_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingress2gateway.scaling

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ingress2gateway.scaling, "convert_streaming", boom)
    code, _, err = run("print", "--providers", "nginx", "-f", str(EXAMPLE))
    assert (
        code == 1
        and err.startswith("error: internal error: RuntimeError: kaboom")
        and "Traceback" not in err
    )


def test_output_is_identical_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Sets and dicts iterate in hash order for strings; nothing may leak into the output."""
    import os
    import subprocess
    import sys

    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "providers")])
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingress2gateway",
                "print",
                "--providers",
                "nginx",
                "-f",
                str(ROOT / "examples"),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.add(done.stdout + done.stderr)
    assert len(outputs) == 1


def test_an_object_defined_twice_converts_as_kubectl_apply_leaves_it(tmp_path: Path) -> None:
    ingress = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: shop, namespace: web}}\n"
        "spec:\n  ingressClassName: nginx\n  rules:\n  - host: shop.example.com\n    http:\n"
        "      paths:\n      - {{path: /{path}, pathType: Prefix, backend: {{service: "
        "{{name: app, port: {{number: 80}}}}}}}}\n"
    )
    path = tmp_path / "twice.yaml"
    path.write_text(ingress.format(path="old") + "---\n" + ingress.format(path="new"))
    code, out, err = run("print", "--providers", "nginx", "-f", str(path))
    assert code == 0
    values = [
        match["path"]["value"]
        for doc in yaml.safe_load_all(out)
        if doc["kind"] == "HTTPRoute"
        for rule in doc["spec"]["rules"]
        for match in rule["matches"]
    ]
    assert values == ["/new"]
    assert "input-duplicate" in err and f"defined again at {path}:12" in err


def test_a_conversion_in_parts_prints_and_writes_files_as_a_whole_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a Gateway per namespace, namespaces that share no host are converted one after
    another; stdout, --output-dir and the report are what converting them at once gives."""
    from ingress2gateway.registry import load_provider

    from .ingresses import ingress

    docs = [ingress(ns, host=f"{ns}.example.com", tls_secret="tls") for ns in ("b", "a", "c")]
    source = tmp_path / "in.yaml"
    source.write_text(yaml.safe_dump_all(docs))
    args = ["print", "--providers", "nginx", "-f", str(source), "--gateway-per-namespace"]
    code, in_parts, report = run(*args)
    assert code == 0
    kinds = [(d["kind"], d["metadata"]["namespace"]) for d in yaml.safe_load_all(in_parts)]
    assert kinds[:3] == [("Gateway", "a"), ("Gateway", "b"), ("Gateway", "c")]
    out_dir = tmp_path / "out"
    assert run(*args, "--output-dir", str(out_dir))[0] == 0
    written = {p.relative_to(out_dir).as_posix(): p.read_text() for p in out_dir.rglob("*.yaml")}
    assert sorted(written.values()) == sorted(d for d in in_parts.split("---\n") if d)
    # The provider's own hook: without parts, the input is converted whole.
    monkeypatch.setattr(load_provider("nginx"), "partition", lambda objects, options: None)
    assert run(*args) == (0, in_parts, report)


def test_no_room_for_the_spool_of_a_conversion_in_parts_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from .ingresses import ingress

    source = tmp_path / "in.yaml"
    source.write_text(yaml.safe_dump_all([ingress(ns, host=f"{ns}.example") for ns in "ab"]))

    def full(*args: object, **kw: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    code, out, err = run(
        "print", "--providers", "nginx", "-f", str(source), "--gateway-per-namespace"
    )
    assert code == 1 and out == ""
    assert err.startswith("error: cannot write the temporary file") and err.count("\n") == 1
    assert "No space left on device" in err and "TMPDIR" in err


def test_a_long_human_report_is_written_whole(tmp_path: Path) -> None:
    """The report goes to stderr in chunks of lines: every line, in order, once."""
    from ingress2gateway.converting.pipeline import convert
    from ingress2gateway.reading.manifests import load_manifests
    from ingress2gateway.reporting.text import render_text

    from .ingresses import ingress

    unsupported = {  # a warning each, under each Ingress's heading: 4 lines an Ingress
        f"nginx.ingress.kubernetes.io/{key}": value
        for key, value in [("limit-rps", "5"), ("proxy-body-size", "8m"), ("limit-rpm", "50")]
    }
    docs = [
        ingress("web", name=f"i{i}", host=f"h{i}.example.com", annotations=unsupported)
        for i in range(600)
    ]
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    _, _, err = run("print", "--providers", "nginx", "-j", "1", "-f", str(path))
    expected = render_text(convert(load_manifests([path]), ["nginx"]).report)
    assert err.count("\n") > 2 * 1024 and err == expected
