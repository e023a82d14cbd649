"""The fast validation path gives exactly the answers of the reference (cel-python) path.

* Every ``x-kubernetes-validations`` rule of every vendored catalog (all Gateway API releases and
  channels, and Envoy Gateway) is compiled to Python (none is left to cel-python).
* Each compiled rule agrees with cel-python's interpreter on every ``self`` value that occurs in
  the upstream examples and in ``testdata/*/*/output.yaml``, on hypothesis-made perturbations of
  those values (fields dropped, list items duplicated, strings changed), and on values generated
  from the rule's schema node (this is what covers the Envoy Gateway rules, which the corpora do
  not reach). "Agrees" means: when the compiled function returns, its value is the
  interpreter's; when it raises, the rule goes to cel-python (the exactness contract of
  ``_celcompile``); either way the verdict and the message are the ones the cel-python path
  gives.
* ``validate()`` returns the same violations, in the same order, as a reference pipeline
  (deep copy + ``apply_defaults`` + the exact schema checks + every rule through cel-python) on
  the corpora and on perturbed documents.

The default run checks a deterministic sample (every Nth corpus value or document, fewer
generated and perturbed values); the ``exhaustive`` versions check them all (``.ci/run`` runs
them: ``pytest -m exhaustive``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from celpy.evaluation import CELEvalError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingress2gateway.target import Target
from ingress2gateway.validation import CEL_NOT_CHECKED, Violation, _catalog, _cel, validate
from ingress2gateway.validation._celcache import nodes_with_rules
from ingress2gateway.validation._celcompile import HAND_OVER
from ingress2gateway.validation._defaulting import apply_defaults, defaulted_copy
from ingress2gateway.validation._listtype import check_list_types
from ingress2gateway.validation._meta import unknown_meta_fields, validate_meta
from ingress2gateway.validation._openapi import unknown_fields, validate_schema
from ingress2gateway.validation._schema import Node, compile_schema
from ingress2gateway.validation._violation import Findings, child_path, item_path
from tests.shared_data import REPO_ROOT, require_shared, yaml_documents

# --- the catalogs and their rule nodes ---------------------------------------------------------


def _all_roots() -> list[tuple[_catalog.Catalog, Node]]:
    roots = []
    for ref in _catalog.index():
        catalog = _catalog.load(ref)
        for crd in catalog.crds.values():
            for version in crd.versions.values():
                roots.append((catalog, compile_schema(version.schema)))
    return roots


_fingerprints: dict[int, str] = {}


def fingerprint(node: Node | None) -> str:
    """What the compiler and cel-python's value conversion read from a schema node."""
    if node is None:
        return "-"
    found = _fingerprints.get(id(node))
    if found is None:
        text = json.dumps(
            [
                node.type,
                node.nullable,
                node.int_or_string,
                node.preserve_unknown,
                node.embedded_resource,
                node.additional_any,
                {name: fingerprint(prop) for name, prop in sorted(node.properties.items())},
                fingerprint(node.items),
                fingerprint(node.additional),
                [rule.rule for rule in node.rules],
            ]
        )
        found = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        _fingerprints[id(node)] = found
    return found


@cache
def rule_nodes() -> tuple[Node, ...]:
    """One node per distinct (schema, rules) among all vendored catalogs."""
    unique: dict[str, Node] = {}
    seen: set[int] = set()
    for _, root in _all_roots():
        for node in nodes_with_rules(root, seen):
            unique.setdefault(fingerprint(node), node)
    return tuple(unique.values())


# Rules of the implementations' CRDs the compiler leaves to cel-python (slower, equally exact):
# CEL's type(), double() and the URL and quantity libraries are not compiled. Gateway API's and
# Envoy Gateway's rules, which every conversion meets, must all be compiled.
IMPLEMENTATION_FALLBACKS = {
    "function type/1",
    "function double/1",
    "function isURL/1",
    "function url/1",
    "function quantity/1",
}


def test_every_vendored_rule_is_compiled() -> None:
    texts: set[str] = set()
    seen: set[int] = set()
    count = 0
    fallbacks: dict[str, set[str]] = {}
    for catalog, root in _all_roots():
        for node in nodes_with_rules(root, seen):
            for rule, function in _cel.compiled_rules(node):
                count += 1
                texts.add(rule.rule)
                if function is None:
                    fallbacks.setdefault(catalog.ref.project, set()).add(rule.rule)
    assert len(texts) > 200 and count > 1000
    assert set(fallbacks) <= set(_catalog.PROJECT_NAMES), fallbacks.keys()
    assert "gateway-api" not in fallbacks and "envoy-gateway" not in fallbacks
    reasons = _cel.fallback_rules()
    left = set().union(*fallbacks.values())
    assert {reasons[text] for text in left} == IMPLEMENTATION_FALLBACKS
    assert len(left) == 7


# --- comparing one rule evaluation -------------------------------------------------------------


def _digest(value: Any) -> str:
    return hashlib.blake2b(
        json.dumps(value, sort_keys=True, default=str).encode(), digest_size=16
    ).hexdigest()


class Comparison:
    """Compiled rule vs cel-python.

    cel-python has two evaluators, and they disagree in a few error cases (its transpiled code
    counts an evaluation error inside ``exists_one`` as a match; its interpreter does not let
    ``||`` absorb an error raised inside a nested ``exists_one``). ``validate()`` used the
    transpiled code (interpreter as fallback) and still does for every evaluation the compiled
    code hands over. So: where the two agree, the compiled result must be theirs; where they
    disagree, it must be one of theirs (counted in ``ambiguous``), and the verdict and message
    ``validate()`` reports must be those of the old path or of the interpreter.
    """

    def __init__(self) -> None:
        self.done: set[tuple[str, str]] = set()
        self.evaluations = 0
        self.handed_over = 0
        self.ambiguous = 0
        self.problems: list[str] = []

    def check(self, node: Node, value: Any) -> None:
        if value is None:
            return
        key = (fingerprint(node), _digest(value))
        if key in self.done:
            return
        self.done.add(key)
        for rule, function in _cel.compiled_rules(node):
            if function is None:
                continue  # left to cel-python (IMPLEMENTATION_FALLBACKS): nothing to compare
            self.evaluations += 1
            program = _cel.program(rule.rule)
            interpreted = program.interpret(_cel.to_cel(value, node, {}))
            before = program.evaluate(_cel.to_cel(value, node, {}))
            references = [interpreted, before]
            if _outcome(rule, interpreted) != _outcome(rule, before):
                self.ambiguous += 1
            try:
                fast = function(value)
            except Exception:
                self.handed_over += 1
            else:
                if type(fast) is not bool or not any(
                    not isinstance(r, CELEvalError) and _cel._passed(r) == fast for r in references
                ):
                    self.problems.append(f"{rule.rule!r} on {value!r}: {fast!r} != {references!r}")
                    continue
            # The verdict and message validate() reports.
            result = _cel.evaluate_rule(rule, function, value, node, {})
            if _outcome(rule, result) not in [_outcome(rule, r) for r in references]:
                self.problems.append(f"{rule.rule!r} on {value!r}: {result!r} vs {references!r}")
        # validate() evaluates all rules of a node with one function: same outcomes.
        rules, checker = _cel.node_rules(node)
        reported = dict(checker(value))
        for index, rule in enumerate(rules):
            one = _cel.evaluate_rule(rule, _cel.compiled_rules(node)[index][1], value, node, {})
            together = reported.get(index, True)
            if together is HAND_OVER:
                together = _cel.program(rule.rule).evaluate(_cel.to_cel(value, node, {}))
            if _outcome(rule, one) != _outcome(rule, together):
                self.problems.append(f"node function: {rule.rule!r} on {value!r}")


def _outcome(rule: Any, result: Any) -> str | None:
    """None when the rule passed, else the message validate() reports."""
    return None if _cel._passed(result) else _cel._describe_failure(rule, result)


# --- the corpora -------------------------------------------------------------------------------


@cache
def corpus_documents() -> tuple[dict[str, Any], ...]:
    docs = [doc for _, doc in yaml_documents(require_shared("gateway-api", "examples"))]
    for path in sorted(REPO_ROOT.glob("testdata/*/*/output.yaml")):
        docs.extend(doc for _, doc in yaml_documents_of(path))
    return tuple(docs)


def yaml_documents_of(path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    import yaml

    with path.open(encoding="utf-8") as stream:
        for doc in yaml.safe_load_all(stream):
            if isinstance(doc, dict):
                yield path, doc


def roots_for(doc: dict[str, Any]) -> list[Node]:
    """The schema of *doc* in every vendored catalog that has its kind and version."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    group, _, version = api_version.rpartition("/")
    found = []
    for ref in _catalog.index():
        crd = _catalog.load(ref).crd(group, kind)
        if crd is not None and version in crd.versions:
            found.append(compile_schema(crd.versions[version].schema))
    return found


def node_values(value: Any, node: Node) -> Iterator[tuple[Node, Any]]:
    """(node, value) for every instance of a node with rules, as the CEL walk meets them."""
    if value is None or not node.rules_below:
        return
    if node.rules:
        yield node, value
    if isinstance(value, dict):
        for name, item in value.items():
            sub = node.properties.get(name) or node.additional
            if sub is not None:
                yield from node_values(item, sub)
    elif isinstance(value, list) and node.items is not None:
        for item in value:
            yield from node_values(item, node.items)


def defaulted(doc: dict[str, Any], root: Node) -> dict[str, Any]:
    body = copy.deepcopy(doc)
    body.pop("status", None)
    apply_defaults(body, root)
    return body


@cache
def corpus_values() -> tuple[tuple[Node, Any], ...]:
    pairs: dict[tuple[str, str], tuple[Node, Any]] = {}
    for doc in corpus_documents():
        for root in roots_for(doc):
            for node, value in node_values(defaulted(doc, root), root):
                pairs.setdefault((fingerprint(node), _digest(value)), (node, value))
    return tuple(pairs.values())


def sampled(every: int) -> list[Any]:
    """Default runs check every Nth item (a deterministic sample); exhaustive ones all."""
    return [
        pytest.param(every, id=f"every-{every}th"),
        pytest.param(1, id="all", marks=pytest.mark.exhaustive),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("every", sampled(10))
def test_compiled_rules_agree_with_cel_python_on_the_corpora(every: int) -> None:
    comparison = Comparison()
    pairs = corpus_values()
    assert len(pairs) > 300
    for node, value in pairs[::every]:
        comparison.check(node, value)
    assert comparison.problems == []
    assert comparison.evaluations > 1000 // every


# --- perturbations (hypothesis) ----------------------------------------------------------------

STRINGS = [
    "", "a", "*", "*.example.com", "example.com", "Example.com", "foo.example.com\n",
    "10.0.0.1", "::1", "::ffff:10.0.0.1", "fe80::1%eth0", "/", "/a//b", "/a/./b", "/a/../b",
    "/a#b", "/a%2Fb", "/a%2fb", "/a/.", "/a/..", "a/b", "no-slash", "1s", "0s", "100ms", "2h",
    "1h30m", "1.5s", "-1s", "10x", "PathPrefix", "Exact", "RegularExpression", "Service",
    "Secret", "ConfigMap", "Gateway", "HTTPRoute", "gateway.networking.k8s.io", "Terminate",
    "Passthrough", "HTTP", "HTTPS", "TLS", "TCP", "UDP", "GRPC", "Hostname", "IPAddress",
    "ReplacePrefixMatch", "ReplaceFullPath", "RequestRedirect", "URLRewrite", "CORS",
    "Authorization", "host", "Host", "ünïcode", "envoy.filters.http.router", "svc.cluster.local",
]  # fmt: skip


def rule_literals(node: Node) -> list[str]:
    found: list[str] = []
    for rule in node.rules:
        found += re.findall(r"'([^'\\]*)'", rule.rule) + re.findall(r'"([^"\\]*)"', rule.rule)
    return found


def _paths(value: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield trail, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*trail, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*trail, index))


def _parent(value: Any, trail: tuple[Any, ...]) -> Any:
    for step in trail[:-1]:
        value = value[step]
    return value


OTHER_TYPES: list[Any] = [None, 0, 1, 1.0, 1.5, True, "x", [], {}, ["a", "a"], {"k": None}]


@st.composite
def perturbed(
    draw: st.DrawFn, pairs: tuple[tuple[Node, Any], ...], retype: bool = False
) -> tuple[Node, Any]:
    """A value from *pairs* with 1–3 changes: a field dropped, a list item duplicated, a string
    changed (and with *retype*, a value replaced by one of another JSON type)."""
    node, original = draw(st.sampled_from(pairs))
    value = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        places = list(_paths(value))
        kinds = ["drop", "duplicate", "string", *(["retype"] if retype else [])]
        kind = draw(st.sampled_from(kinds))
        if kind == "retype":
            trail, _ = draw(st.sampled_from(places))
            if trail:
                _parent(value, trail)[trail[-1]] = copy.deepcopy(draw(st.sampled_from(OTHER_TYPES)))
        elif kind == "drop":
            keyed = [(t, v) for t, v in places if t and isinstance(_parent(value, t), dict)]
            if keyed:
                trail, _ = draw(st.sampled_from(keyed))
                del _parent(value, trail)[trail[-1]]
        elif kind == "duplicate":
            lists = [v for _, v in places if isinstance(v, list) and v]
            if lists:
                target = draw(st.sampled_from(lists))
                target.append(copy.deepcopy(draw(st.sampled_from(target))))
        else:
            strings = [t for t, v in places if isinstance(v, str)]
            if strings:
                trail = draw(st.sampled_from(strings))
                pool = STRINGS + rule_literals(node)
                old = value if not trail else _parent(value, trail)[trail[-1]]
                new = draw(
                    st.one_of(
                        st.sampled_from(pool),
                        st.sampled_from([old.upper(), old + "/", old + ".", old[1:], old * 2]),
                    )
                )
                if not trail:
                    value = new
                else:
                    _parent(value, trail)[trail[-1]] = new
    return node, value


def examples(count: int) -> settings:
    """Hypothesis settings of the equivalence tests: *count* examples, reproducible."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


_PERTURBED = Comparison()


def _check_perturbed_value(data: st.DataObject) -> None:
    node, value = data.draw(perturbed(corpus_values()))
    _PERTURBED.check(node, value)
    assert _PERTURBED.problems == []


@examples(100)
@given(st.data())
def test_compiled_rules_agree_with_cel_python_on_perturbed_values(data: st.DataObject) -> None:
    _check_perturbed_value(data)


@pytest.mark.exhaustive
@examples(400)
@given(st.data())
def test_compiled_rules_agree_with_cel_python_on_more_perturbed_values(
    data: st.DataObject,
) -> None:
    _check_perturbed_value(data)


# --- values generated from the schema (every rule node, Envoy Gateway included) -----------------

_INTS = [0, 1, 2, 3, 5, 63, 80, 100, 101, 128, 129, 253, 443, 65535, -1]


def generate(node: Node, rng: random.Random, pool: list[str], depth: int = 0) -> Any:
    if node.enum is not None and rng.random() < 0.9:
        return copy.deepcopy(rng.choice(node.enum))
    if node.int_or_string:
        return rng.choice(_INTS) if rng.random() < 0.5 else rng.choice(pool)
    kind = node.type or ("object" if node.properties else None)
    if kind == "string":
        return rng.choice(pool)
    if kind == "integer":
        return rng.choice(_INTS)
    if kind == "number":
        return rng.choice([0.5, 1.0, 2, 99.5])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        if node.items is None or depth > 4:
            return []
        return [
            generate(node.items, rng, pool, depth + 1) for _ in range(rng.choice([0, 1, 1, 2, 3]))
        ]
    if kind == "object":
        out: dict[str, Any] = {}
        if node.properties:
            chance = 0.5 if depth < 3 else 0.1
            for name, prop in node.properties.items():
                if name in node.required or rng.random() < chance:
                    out[name] = generate(prop, rng, pool, depth + 1)
        elif node.additional is not None and depth <= 4:
            for _ in range(rng.choice([0, 1, 2])):
                out[rng.choice(pool) or "k"] = generate(node.additional, rng, pool, depth + 1)
        return out
    return None


@pytest.mark.slow
@pytest.mark.parametrize(
    "per_node",
    [pytest.param(4, id="4-per-node"), pytest.param(25, id="25", marks=pytest.mark.exhaustive)],
)
def test_compiled_rules_agree_with_cel_python_on_generated_values(per_node: int) -> None:
    comparison = Comparison()
    rng = random.Random(20240601)
    nodes = rule_nodes()
    assert len(nodes) > 150
    for node in nodes:
        pool = STRINGS + rule_literals(node)
        for _ in range(per_node):
            value = generate(node, rng, pool)
            # What validate() would hand to CEL: the defaulted value.
            comparison.check(node, defaulted_copy(value, node))
    assert comparison.problems == []
    # Most evaluations stay on the compiled path even on these odd values.
    assert comparison.handed_over < comparison.evaluations / 4


# --- validate() against a reference pipeline ---------------------------------------------------


def reference_validate(obj: dict[str, Any], target: Target) -> list[Violation]:
    """validate() as before the fast path: deepcopy, apply_defaults, cel-python for every rule."""
    from ingress2gateway import validation

    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    group, _, version = str(api_version).rpartition("/")
    catalog = validation._catalog_for(group, target)
    assert catalog is not None
    crd = catalog.crd(group, str(kind))
    assert crd is not None
    crd_version = crd.versions[version]
    body = copy.deepcopy(dict(obj))
    if crd_version.status_subresource:
        body.pop("status", None)
    root = compile_schema(crd_version.schema)
    findings = Findings()
    unknown_meta_fields(body.get("metadata"), findings)
    unknown_fields({k: v for k, v in body.items() if k != "metadata"}, root, "", findings)
    if findings.violations:
        return findings.violations
    apply_defaults(body, root)
    validate_meta(body.get("metadata"), crd.namespaced, findings)
    validate_schema(body, crd_version.schema, findings)
    check_list_types(body, root, "", findings)
    if findings.blocking:
        if root.rules_below:
            findings.add("", CEL_NOT_CHECKED, "cel")
    else:
        _reference_cel(body, root, "", findings)
    return findings.violations


def _reference_cel(value: Any, node: Node, path: str, out: Findings) -> None:
    if value is None or not node.rules_below:
        return
    for rule in node.rules:
        if rule.is_transition:
            continue
        result = _cel.program(rule.rule).evaluate(_cel.to_cel(value, node, {}))
        if not _cel._passed(result):
            where = child_path(path, rule.field_path.lstrip(".")) if rule.field_path else path
            out.add(where, _cel._describe_failure(rule, result), "cel")
    if isinstance(value, dict):
        for name, item in value.items():
            prop = node.properties.get(name)
            if prop is not None:
                _reference_cel(item, prop, child_path(path, name), out)
            elif node.additional is not None:
                _reference_cel(item, node.additional, item_path(path, name), out)
    elif isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            _reference_cel(item, node.items, item_path(path, index), out)


TARGETS = [Target.parse(version, channel) for version in ("v1.2", "v1.6") for channel in ("standard", "experimental")]  # fmt: skip


def _served(doc: dict[str, Any], target: Target) -> bool:
    if not str(doc.get("apiVersion", "")).startswith("gateway.networking"):
        return False
    result = validate(doc, target)
    return not (len(result) == 1 and result[0].rule == "served")


@cache
def served_documents(target: Target) -> tuple[dict[str, Any], ...]:
    return tuple(doc for doc in corpus_documents() if _served(doc, target))


@pytest.mark.parametrize("every", sampled(4))
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_validate_matches_the_reference_pipeline_on_the_corpora(target: Target, every: int) -> None:
    docs = served_documents(target)
    assert len(docs) > 50
    # Each target's sample starts elsewhere, so that the four samples cover different documents.
    start = TARGETS.index(target) % every
    for doc in docs[start::every]:
        assert validate(doc, target) == reference_validate(doc, target), doc.get("metadata")


def _check_perturbed_document(data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(TARGETS))
    doc = copy.deepcopy(data.draw(st.sampled_from(served_documents(target))))
    spec = doc.get("spec")
    if isinstance(spec, dict):
        _, spec = data.draw(perturbed(((rule_nodes()[0], spec),), retype=True))
        doc["spec"] = spec
    before = copy.deepcopy(doc)
    assert validate(doc, target) == reference_validate(doc, target)
    assert doc == before


@examples(40)
@given(st.data())
def test_validate_matches_the_reference_pipeline_on_perturbed_documents(
    data: st.DataObject,
) -> None:
    _check_perturbed_document(data)


@pytest.mark.exhaustive
@examples(150)
@given(st.data())
def test_validate_matches_the_reference_pipeline_on_more_perturbed_documents(
    data: st.DataObject,
) -> None:
    _check_perturbed_document(data)
