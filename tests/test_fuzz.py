"""Hostile and malformed input: nothing crashes, nothing is lost.

Random bytes and mangled manifests go through the whole pipeline. The reader may refuse a
document (an ``input-invalid`` error), but no exception escapes; whatever converts is valid for
its target; every Ingress that was read has its paths and annotations in the ledger.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.reading.manifests import read_inputs
from ingress2gateway.reporting.report import Level, Recorder
from ingress2gateway.validation import validate

from .ledger_checks import missing_ledger_fields

FUZZ = settings(
    # CI runs a bounded number; I2G_FUZZ=long runs many more (see README, Development).
    max_examples=3000 if os.environ.get("I2G_FUZZ") == "long" else 80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "/",
            "/api",
            "Prefix",
            "Exact",
            "ImplementationSpecific",
            "nginx",
            "*.a.com",
            "a.com",
            "http",
            "80",
        ]
    ),
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


def _mangled_ingress() -> st.SearchStrategy[dict[str, Any]]:
    """Ingress-shaped objects where any part may have the wrong type or be missing."""
    backend = st.one_of(
        json_like,
        st.fixed_dictionaries(
            {
                "service": st.one_of(
                    json_like,
                    st.fixed_dictionaries(
                        {
                            "name": scalars,
                            "port": st.one_of(
                                json_like,
                                st.fixed_dictionaries({"number": scalars}),
                                st.fixed_dictionaries({"name": scalars}),
                            ),
                        }
                    ),
                )
            }
        ),
        st.fixed_dictionaries({"serviceName": scalars, "servicePort": scalars}),
        st.fixed_dictionaries({"resource": json_like}),
    )
    path = st.one_of(
        json_like,
        st.fixed_dictionaries(
            {}, optional={"path": scalars, "pathType": scalars, "backend": backend}
        ),
    )
    rule = st.one_of(
        json_like,
        st.fixed_dictionaries(
            {},
            optional={
                "host": scalars,
                "http": st.one_of(
                    json_like,
                    st.fixed_dictionaries(
                        {"paths": st.one_of(json_like, st.lists(path, max_size=4))}
                    ),
                ),
            },
        ),
    )
    spec = st.fixed_dictionaries(
        {"ingressClassName": st.one_of(st.just("nginx"), scalars)},
        optional={
            "rules": st.one_of(json_like, st.lists(rule, max_size=4)),
            "tls": st.one_of(
                json_like,
                st.lists(
                    st.one_of(
                        json_like,
                        st.fixed_dictionaries(
                            {}, optional={"hosts": json_like, "secretName": scalars}
                        ),
                    ),
                    max_size=3,
                ),
            ),
            "defaultBackend": backend,
            "backend": backend,
        },
    )
    metadata = st.fixed_dictionaries(
        {"name": st.one_of(st.text(min_size=1, max_size=20), scalars)},
        optional={
            "namespace": st.one_of(st.sampled_from(["a", "b"]), scalars),
            "annotations": st.one_of(
                json_like,
                st.dictionaries(
                    st.sampled_from(
                        [
                            "nginx.ingress.kubernetes.io/rewrite-target",
                            "nginx.ingress.kubernetes.io/use-regex",
                            "nginx.ingress.kubernetes.io/canary",
                            "nginx.ingress.kubernetes.io/canary-weight",
                            "nginx.ingress.kubernetes.io/ssl-redirect",
                            "nginx.org/rewrites",
                            "konghq.com/strip-path",
                            "x",
                        ]
                    ),
                    scalars,
                    max_size=4,
                ),
            ),
            "creationTimestamp": scalars,
        },
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": st.sampled_from(
                ["networking.k8s.io/v1", "extensions/v1beta1", "networking.k8s.io/v1beta1"]
            ),
            "kind": st.just("Ingress"),
            "metadata": st.one_of(metadata, json_like),
            "spec": st.one_of(spec, json_like),
        }
    )


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_reader(tmp_path_factory: Any, data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "input.yaml"
    path.write_bytes(data)
    report = Recorder()
    result = read_inputs([path], report=report)
    assert result.errors == sum(1 for n in report.notifications if n.code == "input-invalid")


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("{}[]:-&*!|>'\"#%@`,?\n\t ab01")), max_size=400))
def test_yaml_punctuation_soup_never_crashes_the_reader(tmp_path_factory: Any, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "input.yaml"
    path.write_text(text)
    read_inputs([path], report=Recorder())


@FUZZ
@given(st.lists(_mangled_ingress(), min_size=1, max_size=4))
# Found by the long run: the paths of a rule skipped for its host were not in the ledger.
@example(
    [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "0"},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": False, "http": {"paths": [None, {"path": "/"}]}}],
            },
        }
    ]
)
def test_mangled_ingresses_convert_without_crash_or_loss(items: list[dict[str, Any]]) -> None:
    objects = [KubeObject(item, Origin("fuzz.yaml", i * 10 + 1, i)) for i, item in enumerate(items)]
    result = ingress2gateway.convert(objects, providers=["nginx"])
    for obj in result.resources:
        assert validate(obj, result.target) == []
    assert not [n for n in result.report.notifications if n.code == "output-invalid"]
    assert missing_ledger_fields(_well_formed(objects), result) == []
    assert all(n.level in Level for n in result.report.notifications)


def _well_formed(objects: list[KubeObject]) -> list[KubeObject]:
    """The ledger promise covers fields that exist as such: annotations that are strings in a
    mapping, and paths in lists. Drop objects whose shape is too broken to have such fields."""
    kept = []
    for obj in objects:
        meta = obj.data.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
            continue
        kept.append(obj)
    return kept


@FUZZ
@given(st.lists(_mangled_ingress(), min_size=1, max_size=3))
def test_mangled_manifests_round_trip_through_files(
    tmp_path_factory: Any, items: list[dict[str, Any]]
) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "input.yaml"
    path.write_text(yaml.safe_dump_all(items))
    report = Recorder()
    objects = read_inputs([path], report=report).objects
    ingress2gateway.convert(objects, providers=["nginx"], report=report)


def test_objects_built_by_a_caller_with_an_impossible_namespace_are_skipped() -> None:
    # Found by the mangled-Ingress fuzzer: the Gateway went into namespace ":".
    item = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": ":"},
        "spec": {"ingressClassName": "nginx", "rules": [{}]},
    }
    result = ingress2gateway.convert([KubeObject(item, Origin("fuzz.yaml", 1, 0))])
    assert result.resources == []
    [note] = [n for n in result.report.notifications if n.code == "input-invalid"]
    assert "not a namespace name" in note.message
    assert [e.field for e in result.report.ledger.values()] == ["spec"]
