"""The implementations' own CRDs (vendored for the emitters that target them) validate their
objects as the apiserver would: every real example in ``../shared/implementations/<name>/``
is accepted or refused as its ``SOURCES.txt`` records (checked there against the same CRDs on
an apiserver-equivalent validator), and the vendored files say where they came from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml

from ingress2gateway.target import Target
from ingress2gateway.validation import _catalog, _catalog_for, _cel, validate
from ingress2gateway.validation._celcompile import Slow
from ingress2gateway.validation._schema import compile_schema

from .shared_data import SHARED, require_shared

IMPLEMENTATIONS = (
    "kgateway",
    "agentgateway",
    "gke",
    "nginx-gateway-fabric",
    "istio",
    "kuadrant",
    "traefik",
)
_COUNTS = re.compile(r"(\d+) valid, (\d+) rejected(?: \[([^\]]+)\])?")
# Recorded as refused only because the recording validator (cel-python) lacks a Kubernetes CEL
# library function; SOURCES.txt says a real apiserver accepts it.
_RECORDER_GAP = "cel-python lacks"


def _examples() -> list[tuple[str, str, int, int]]:
    """(implementation, example file, valid, rejected) for the newest vendored tag."""
    found = []
    for name in IMPLEMENTATIONS:
        sources = SHARED / "implementations" / name / "SOURCES.txt"
        if not sources.is_file():
            continue
        for line in sources.read_text(encoding="utf-8").splitlines():
            columns = line.split("\t")
            if line.startswith("#") or not columns[0].startswith("examples/"):
                continue
            recorded = columns[-1]
            counts = {tag: (int(v), int(r)) for v, r, tag in _COUNTS.findall(recorded)}
            valid, rejected = counts.get(_newest_tag(name), counts.get("", (0, 0)))
            if _RECORDER_GAP in recorded:
                valid, rejected = valid + rejected, 0
            found.append((name, columns[0], valid, rejected))
    return found


def _newest_tag(name: str) -> str:
    return _catalog.implementation(name).ref.tag


def _documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if isinstance(doc, dict)]


TARGET = Target.parse("v1.6", "experimental")


@pytest.mark.parametrize(
    ("name", "example", "valid", "rejected"),
    _examples() or [("none", "none", 0, 0)],
    ids=lambda value: str(value),
)
def test_real_examples_are_accepted_or_refused_as_recorded(
    name: str, example: str, valid: int, rejected: int
) -> None:
    folder = require_shared("implementations")
    if name == "none":
        pytest.fail(f"no implementation examples under {folder}")
    documents = _documents(folder / name / example)
    ours = [
        doc
        for doc in documents
        if _catalog_for(str(doc.get("apiVersion", "")).rpartition("/")[0], TARGET) is not None
    ]
    outcomes = [not validate(doc, TARGET) for doc in ours]
    assert (outcomes.count(True), outcomes.count(False)) == (valid, rejected), [
        (doc["kind"], [str(v) for v in validate(doc, TARGET)]) for doc in ours
    ]


def test_no_two_implementations_define_the_same_group() -> None:
    owners: dict[str, str] = {}
    for ref in _catalog.index():
        if ref.project == _catalog.GATEWAY_API:
            continue
        for group in _catalog.load(ref).groups:
            assert owners.setdefault(group, ref.project) == ref.project, group


def test_every_implementation_is_vendored_with_its_license() -> None:
    projects = {ref.project for ref in _catalog.index()}
    assert set(IMPLEMENTATIONS) <= projects
    package = Path(_catalog.__file__).parent / "schemas"
    provenance = json.loads((package / "PROVENANCE.json").read_text())
    licenses = {
        entry["output"].split("-v")[0].split("-main")[0]: entry["license"]
        for entry in provenance["sources"]
    }
    assert licenses["traefik"] == "MIT" and (package / "LICENSE-traefik").is_file()
    assert all(entry["upstream_path"] for entry in provenance["sources"])


def test_an_unknown_field_of_an_implementation_kind_is_refused() -> None:
    policy = {
        "apiVersion": "gateway.kgateway.dev/v1alpha1",
        "kind": "TrafficPolicy",
        "metadata": {"name": "p", "namespace": "web"},
        "spec": {
            "targetRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "r"}
            ],
            "timeouts": {"request": "10s"},
            "bogus": 1,
        },
    }
    assert [v.rule for v in validate(policy, TARGET)] == ["unknown-field"]
    del policy["spec"]["bogus"]  # type: ignore[attr-defined]
    assert validate(policy, TARGET) == []


def test_a_kind_the_implementation_does_not_serve_names_it() -> None:
    obj = {
        "apiVersion": "gateway.nginx.org/v1alpha1",
        "kind": "NoSuchPolicy",
        "metadata": {"name": "p", "namespace": "web"},
    }
    [violation] = validate(obj, TARGET)
    assert "NGINX Gateway Fabric v2.6.7" in violation.message


@pytest.mark.parametrize(
    ("text", "valid", "scheme", "hostname", "port"),
    [
        ("https://issuer.example.com:8443/keys", True, "https", "issuer.example.com", "8443"),
        ("http://[::1]:80/x", True, "http", "::1", "80"),
        ("/relative/path", True, "", "", ""),
        ("relative/path", False, None, None, None),
        ("", False, None, None, None),
        ("https://bad host/", False, None, None, None),
        ("https://host:port/", False, None, None, None),
        ("https://host/\x07", False, None, None, None),
    ],
)
def test_the_url_library_reads_urls_as_kubernetes_does(
    text: str, valid: bool, scheme: str | None, hostname: str | None, port: str | None
) -> None:
    """Kubernetes' CEL URL library (``k8s.io/apiserver/pkg/cel/library/urls.go``), which
    Istio's RequestAuthentication rules call (``url(self).getScheme()``)."""
    from celpy.evaluation import CELEvalError

    from ingress2gateway.validation._celfuncs import FUNCTIONS

    assert bool(FUNCTIONS["isURL"](text)) is valid
    parsed = FUNCTIONS["url"](text)
    if not valid:
        assert isinstance(parsed, CELEvalError)
        return
    assert FUNCTIONS["getScheme"](parsed) == scheme
    assert FUNCTIONS["getHostname"](parsed) == hostname
    assert FUNCTIONS["getPort"](parsed) == port
    assert isinstance(FUNCTIONS["getScheme"]("https://plain.string"), CELEvalError)


def test_only_the_known_optional_syntax_rules_go_unchecked() -> None:
    """CEL's optional syntax (``self.?field``, ``orValue``) is outside cel-python's grammar: the
    rules that use it are not checked. Exactly these (kgateway's OAuth2 settings) are known; a
    new one must be looked at, not slip by."""
    from ingress2gateway.validation._cel import parseable, unchecked_rules

    for ref in _catalog.index():
        for crd in _catalog.load(ref).crds.values():
            for version in crd.versions.values():
                for rule in _rules(version.schema):
                    parseable(rule)
    unchecked = unchecked_rules()
    assert len(unchecked) == 3
    assert all(".?" in rule for rule in unchecked)


def _rules(node: Any) -> list[str]:
    if isinstance(node, list):
        return [rule for item in node for rule in _rules(item)]
    if not isinstance(node, dict):
        return []
    found = [
        str(rule["rule"])
        for rule in node.get("x-kubernetes-validations", [])
        if isinstance(rule, dict) and "rule" in rule
    ]
    for key, value in node.items():
        if key != "x-kubernetes-validations":
            found += _rules(value)
    return found


# --- the CEL libraries the implementations' rules use -------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        # agentgateway: a buffer size of at least 16 KiB (quantity library)
        ("!quantity(string(self)).isLessThan(quantity('16384'))", "16Ki", True),
        ("!quantity(string(self)).isLessThan(quantity('16384'))", "16k", False),
        ("!quantity(string(self)).isLessThan(quantity('16384'))", "1e5", True),
        ("quantity(self).isGreaterThan(quantity('65534'))", "64Ki", True),
        ("quantity(self).isGreaterThan(quantity('65534'))", "65534", False),
        ("quantity(self).compareTo(quantity('1000m')) == 0", "1", True),
        ("isQuantity(self)", "1.5.", False),
        ("isQuantity(self)", "-.5Mi", True),
        # agentgateway: one '*', first or last (strings extension indexOf/lastIndexOf)
        ("!self.contains('*') || (self.indexOf('*') == self.lastIndexOf('*'))", "*.a.com", True),
        ("!self.contains('*') || (self.indexOf('*') == self.lastIndexOf('*'))", "*.a*.com", False),
        ("'hello mellow'.lastIndexOf('ello', 6) == 1", None, True),
        ("'hello'.indexOf('l', 3) == 3", None, True),
        # kgateway: the global form of matches()
        ("matches(self, '^([0-9]{1,5}(h|m|s|ms)){1,4}$')", "1h30m", True),
        ("matches(self, '^([0-9]{1,5}(h|m|s|ms)){1,4}$')", "1d", False),
        # Istio: a port map's keys are numbers in range (int() of a string)
        ("self.all(key, 0 < int(key) && int(key) <= 65535)", {"80": 1}, True),
        ("self.all(key, 0 < int(key) && int(key) <= 65535)", {"70000": 1}, False),
    ],
)
def test_kubernetes_cel_libraries(rule: str, value: object, expected: bool) -> None:
    # cel-python with our library functions (the reference)...
    result = _cel.program(rule).evaluate(celpy.json_to_cel(value))
    assert result == celpy.celtypes.BoolType(expected)
    # ...and the compiled fast path, where it compiles the rule: the same answer, or a hand-over.
    schema: dict[str, Any] = {"x-kubernetes-validations": [{"rule": rule}]}
    if isinstance(value, str):
        schema["type"] = "string"
    elif isinstance(value, dict):
        schema |= {"type": "object", "additionalProperties": {"type": "integer"}}
    node = compile_schema(schema)
    ((_, function),) = _cel.compiled_rules(node)
    if function is not None:
        try:
            outcome = function(value)
        except Slow:  # handed over to cel-python, which answered above
            return
        assert outcome is expected
