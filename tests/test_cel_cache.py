"""The committed compiled CEL rules (``validation/cel-compiled.json.gz``) are what compiling
gives, are used only by the compiler that made them, and validate exactly as compiling does.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingress2gateway.target import Target
from ingress2gateway.validation import _catalog, _cel, _celcache, validate
from ingress2gateway.validation._schema import Node, compile_schema

ROOT = Path(__file__).resolve().parent.parent
TARGET = Target.parse()


def target_nodes() -> list[Node]:
    catalog = _catalog.gateway_api(TARGET.version, TARGET.channel)
    seen: set[int] = set()
    return [
        node
        for crd in catalog.crds.values()
        for version in crd.versions.values()
        for node in _celcache.nodes_with_rules(compile_schema(version.schema), seen)
    ]


def test_every_node_of_the_target_is_in_the_cache_as_compiling_makes_it() -> None:
    nodes = target_nodes()
    assert len(nodes) > 50
    entries = _celcache._entries()
    for node in nodes:
        assert node.schema is not None
        entry = entries[_celcache.fingerprint(node.schema)]
        compiled, complete = _cel.compile_node_rules(node)
        assert complete and entry["source"] == compiled.source
        assert [tuple(recipe) for recipe in entry["constants"]] == list(compiled.recipes)
        assert _celcache.cached_checker(node) is not None


def output_objects() -> list[dict[str, Any]]:
    found = []
    for path in sorted(ROOT.glob("testdata/*/*/output.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    return found


def broken(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Copies that break CEL rules: a path that does not start with '/', a duplicate listener
    name, a header name with a space. Only Gateway API objects: an implementation's kinds
    have other shapes (a Kuadrant AuthPolicy's ``rules`` is a map)."""
    if not str(obj.get("apiVersion", "")).startswith("gateway.networking.k8s.io/"):
        return
    spec = obj.get("spec", {})
    for rule_index, rule in enumerate(spec.get("rules", [])):
        for match_index, match in enumerate(rule.get("matches", [])):
            if "path" in match:
                bad = copy.deepcopy(obj)
                bad["spec"]["rules"][rule_index]["matches"][match_index]["path"]["value"] = "x"
                yield bad
    if len(spec.get("listeners", [])) > 1:
        bad = copy.deepcopy(obj)
        bad["spec"]["listeners"][1]["name"] = bad["spec"]["listeners"][0]["name"]
        yield bad


def messages(obj: dict[str, Any]) -> list[str]:
    return [f"{v.path}: {v.message} ({v.rule})" for v in validate(obj, TARGET)]


def test_cached_rules_validate_as_compiled_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = output_objects()
    objects += [bad for obj in objects for bad in broken(obj)]
    assert len(objects) > 100
    cached = [messages(obj) for obj in objects]
    assert sum(1 for found in cached if any("(cel)" in m for m in found)) > 20
    monkeypatch.setattr(_cel, "_NODES", {})
    monkeypatch.setattr(_cel, "cached_checker", lambda node: None)
    assert [messages(obj) for obj in objects] == cached


def test_a_cache_made_by_another_compiler_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    node = target_nodes()[0]
    monkeypatch.setattr(_celcache, "compiler_stamp", lambda: "another compiler")
    _celcache._entries.cache_clear()
    try:
        assert _celcache._entries() == {}
        assert _celcache.cached_checker(node) is None
    finally:
        _celcache._entries.cache_clear()


def test_a_node_not_in_the_cache_is_compiled() -> None:
    schema = {
        "type": "string",
        "x-kubernetes-validations": [{"rule": "self.startsWith('a')", "message": "no a"}],
    }
    node = compile_schema(schema)
    assert _celcache.cached_checker(node) is None
    rules, checker = _cel.node_rules(node)
    assert [rule.rule for rule in rules] == ["self.startsWith('a')"]
    assert checker("abc") == () and checker("b") == ((0, False),)


def test_the_fingerprint_covers_the_schema_below_the_rules() -> None:
    schema = {
        "type": "object",
        "properties": {"port": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.port > 0"}],
    }
    changed = copy.deepcopy(schema)
    changed["properties"]["port"]["type"] = "string"
    assert _celcache.fingerprint(schema) != _celcache.fingerprint(changed)
    assert _celcache.fingerprint(schema) == _celcache.fingerprint(copy.deepcopy(schema))


def test_preparing_the_validator_does_not_build_the_cel_parser() -> None:
    """What the cache is for: a worker that prepares the validator does not build
    cel-python's parser nor parse a rule (0.2 s each time, in each worker)."""
    code = (
        "from ingress2gateway.validation import prepare, _cel\n"
        "from ingress2gateway.target import Target\n"
        "prepare(Target.parse())\n"
        "assert _cel._environment.cache_info().currsize == 0, 'parser built'\n"
        "assert _cel._parse.cache_info().currsize == 0, 'rules parsed'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
