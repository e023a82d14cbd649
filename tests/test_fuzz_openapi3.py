"""Hostile OpenAPI documents through the openapi3 provider and both emitters: no exception,
output valid for its target, nothing unsafe emitted, every top-level field ledgered, the same
output twice. Bounded examples in CI (``I2G_FUZZ=long`` runs more)."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.validation import validate
from ingress2gateway.writing.formats import dump

from .dataplane_checks import unsafe_values
from .test_fuzz_providers import FUZZ, hostile

_urls = st.one_of(
    hostile,
    st.sampled_from(
        [
            "/",
            "/v1/",
            "v2",
            "https://API.Example.com:8443/base/",
            "http://[::1]:99/x",
            "http://u:p@host/",
            "https://{a}.example.com/{b}",
            "ws://x",
            "http://host:0",
            "http://host:99999",
            "http://exa mple.com",
            "//scheme-relative.example.com/x",
            "http://host/a?b#c",
        ]
    ),
)
_paths = st.one_of(
    hostile,
    st.sampled_from(
        [
            "/a/{id}",
            "/{a}{b}",
            "/a/{",
            "/a/}",
            "/a/{}",
            "/a/{x/y}",
            "/./a",
            "/a//b",
            "/%2F",
            "/ü",
            "/report.{f}",
            "/a/{id}/",
            "/",
            "",
        ]
    ),
)
_scheme = st.fixed_dictionaries(
    {"type": st.sampled_from(["apiKey", "http", "oauth2", "openIdConnect", "mutualTLS", "x"])},
    optional={
        "in": st.sampled_from(["header", "query", "cookie"]),
        "name": hostile,
        "scheme": hostile,
        "openIdConnectUrl": hostile,
    },
)
_operation = st.fixed_dictionaries(
    {},
    optional={
        "security": st.lists(
            st.dictionaries(
                st.sampled_from(["k", "j", "none"]), st.lists(hostile, max_size=1), max_size=2
            ),
            max_size=2,
        ),
        "servers": st.lists(st.fixed_dictionaries({"url": _urls}), max_size=2),
        "parameters": st.lists(
            st.fixed_dictionaries(
                {
                    "name": hostile,
                    "in": st.sampled_from(["header", "query", "path"]),
                    "required": st.booleans(),
                }
            ),
            max_size=2,
        ),
        "x-ext": hostile,
    },
)
_item = st.dictionaries(
    st.sampled_from(
        ["get", "post", "delete", "head", "connect", "summary", "servers", "$ref", "x-a", "bogus"]
    ),
    st.one_of(_operation, hostile, st.lists(st.fixed_dictionaries({"url": _urls}), max_size=2)),
    max_size=4,
)
_document = st.fixed_dictionaries(
    {"openapi": st.one_of(st.sampled_from(["3.0.3", "3.1.0", "3.2.0", "2.0", "3"]), hostile)},
    optional={
        "info": st.fixed_dictionaries({}, optional={"title": hostile}),
        "servers": st.lists(
            st.fixed_dictionaries(
                {"url": _urls},
                optional={
                    "variables": st.dictionaries(
                        st.sampled_from(["a", "b"]),
                        st.fixed_dictionaries(
                            {"default": hostile}, optional={"enum": st.lists(hostile, max_size=3)}
                        ),
                        max_size=2,
                    )
                },
            ),
            max_size=3,
        ),
        "paths": st.dictionaries(_paths, _item, max_size=4),
        "security": st.lists(
            st.dictionaries(st.sampled_from(["k", "j"]), st.just([]), max_size=2), max_size=2
        ),
        "components": st.fixed_dictionaries(
            {},
            optional={
                "securitySchemes": st.dictionaries(st.sampled_from(["k", "j"]), _scheme, max_size=2)
            },
        ),
        "webhooks": hostile,
        "x-top": hostile,
        "bogus": hostile,
    },
)


@FUZZ
@given(
    document=_document,
    emitter=st.sampled_from(["standard", "envoy-gateway"]),
    backend=st.sampled_from(["app:80", "ns/app:8080", "bad name", "", "a/b/c:1"]),
)
def test_hostile_documents(document: dict[str, Any], emitter: str, backend: str) -> None:
    data = {
        "apiVersion": "documents.ingress2gateway.io/v1",
        "kind": "OpenAPIDocument",
        "metadata": {"name": "fuzz"},
        **document,
    }
    options = ConvertOptions(provider_options={"openapi3": {"backend": backend}})

    def run() -> Any:
        obj = KubeObject(json.loads(json.dumps(data)), Origin("fuzz.yaml", 1))
        return ingress2gateway.convert(
            [obj], providers=["openapi3"], emitter=emitter, options=options
        )

    result = run()
    for obj in result.resources:
        assert validate(obj, result.target) == [], obj["kind"]
        assert unsafe_values(obj) == [], obj["kind"]
    assert [n.message for n in result.report.notifications if n.code == "output-invalid"] == []
    fields = {e.field for e in result.report.ledger.values()}
    for key in document:
        assert any(f == key or f.startswith((key + ".", key + "[")) for f in fields), key
    loaded = [d for d in yaml.safe_load_all(dump(result.resources, "yaml")) if d is not None]
    assert loaded == result.resources
    assert dump(run().resources) == dump(result.resources)
