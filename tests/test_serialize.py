"""Output formats: kubectl-style YAML, a v1 List, KYAML — all load back to the same objects."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ingress2gateway.writing.formats import dump, to_yaml

# Strings kubectl (go-yaml, YAML 1.1) would read as something else must come out quoted.
AMBIGUOUS = [
    "true",
    "on",
    "y",
    "N",
    "yes",
    "off",
    "null",
    "~",
    "0777",
    "1e3",
    "12:30",
    "0x1F",
    "",
    "08",
    ".5",
    "-1",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_ambiguous_strings_are_double_quoted(text: str) -> None:
    assert to_yaml({"v": text}) == f'v: "{text}"\n'


def test_yaml_looks_like_kubectl() -> None:
    obj = {
        "kind": "X",
        "apiVersion": "v1",
        "spec": {"list": [{"b": 1, "a": "text"}], "empty": {}, "multi": "a\nb\n"},
    }
    assert to_yaml(obj) == (
        "apiVersion: v1\nkind: X\nspec:\n  empty: {}\n  list:\n  - a: text\n    b: 1\n  multi: |\n    a\n    b\n"
    )
    assert dump([obj, obj]).count("---\n") == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)


@given(st.dictionaries(st.text(min_size=1, max_size=10), json_values, min_size=1, max_size=5))
def test_every_format_loads_back(obj: dict[str, object]) -> None:
    assert yaml.safe_load(dump([obj], "yaml")) == obj
    assert json.loads(dump([obj], "json"))["items"] == [obj]
    assert yaml.safe_load(dump([obj], "kyaml")) == obj


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("..", "a"),
        ("../x", "a"),
        ("a/b", "a"),
        ("web", "../../x"),
        ("web", "a/b"),
        ("web", "a\\b"),
        ("", "../a"),
        ("web\n", "a"),
        ("web", "a\x00"),
    ],
)
def test_an_output_path_never_leaves_the_directory(namespace: str, name: str) -> None:
    """Defence in depth: names are validated before, but a library caller may pass anything."""
    from ingress2gateway.errors import I2GError
    from ingress2gateway.writing.formats import output_path

    obj = {"kind": "HTTPRoute", "metadata": {"name": name, "namespace": namespace}}
    with pytest.raises(I2GError, match="cannot be a file name under the output directory"):
        output_path(obj, "yaml")


def test_output_paths_of_good_names() -> None:
    from pathlib import Path

    from ingress2gateway.writing.formats import output_path

    route = {"kind": "HTTPRoute", "metadata": {"name": "a.b-c", "namespace": "web"}}
    assert output_path(route, "yaml") == Path("web/httproute-a.b-c.yaml")
    gateway_class = {"kind": "GatewayClass", "metadata": {"name": "nginx"}}
    assert output_path(gateway_class, "json") == Path("gatewayclass-nginx.json")
