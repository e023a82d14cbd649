"""Hostile values through every provider and emitter.

Ingresses (ingress-nginx and Kong annotations), Istio Gateways and VirtualServices whose
strings are hostile — newlines, ``---``, YAML tags and anchors, control and format characters,
lone surrogates, megabyte strings — go through each provider with each emitter. Whatever comes
out must be valid for its target, read back as the same objects in every output format, be the
same when converted twice, and (for Ingresses) account for every annotation and path.

CI runs a bounded number of examples; ``I2G_FUZZ=long pytest tests/test_fuzz_providers.py``
runs many more.
"""

from __future__ import annotations

import json
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ingress2gateway
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.validation import validate
from ingress2gateway.writing.formats import dump

from .dataplane_checks import unsafe_values
from .istio_objects import ISTIO_GATEWAY
from .ledger_checks import missing_ledger_fields

settings.register_profile(
    "fuzz-ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz-long", settings.get_profile("fuzz-ci"), max_examples=3000)
FUZZ = settings(
    settings.get_profile("fuzz-long" if os.environ.get("I2G_FUZZ") == "long" else "fuzz-ci")
)

MEGABYTE = 1 << 20
hostile = st.one_of(
    st.text(max_size=24),  # any code point, control and format characters included
    st.sampled_from(
        [
            "---",
            "...",
            "a\n---\nkind: Secret",
            "!!python/object/apply:os.system [id]",
            "!secret",
            "&anchor",
            "*alias",
            "{a: b}",
            "[1, 2]",
            "- item",
            "key: value",
            "#comment",
            "yes",
            "0777",
            "1e3",
            "null",
            "~",
            "\x00\x07\x1b[31m",
            "\u2028\u2029\ufeff",
            "\ud800",
            " leading and trailing ",
            "tab\there",
            "line\r\nbreak",
        ]
    ),
    st.builds(lambda char, size: char * size, st.characters(), st.integers(1, MEGABYTE)),
)
# Values meant for the data plane with something in them that must never get there: header
# and response splitting, cookie attribute forging, a terminal escape, a redirect elsewhere.
injected = st.sampled_from(
    [
        "Set-Cookie:a=b\r\nX-Evil: 1",
        "DENY\r\nSet-Cookie: a=b",
        "v\nX-Injected: 1",
        "/; Domain=.example.com; SameSite=None\r\nX-Injected: 1",
        "/ok; Secure",
        "http://auth.example.com/\r\nX-Evil: 1",
        "https://evil.example.com@good.example.com/",
        "https://good.example.com/a b",
        "\x1b[2J\x1b[H",
        "a\x00b",
        "x\u2028y",
        "\u202eevil",
        " padded ",
        "",
    ]
)
dataplane = st.one_of(injected, hostile, injected.map(lambda s: "X-Header:" + s))
paths = st.one_of(
    hostile, st.sampled_from(["/", "/api", "/a/(.*)", "/x~y"]), hostile.map(lambda s: "/" + s)
)
hosts = st.one_of(hostile, st.sampled_from(["a.example.com", "*.example.com", "xn--e1a.com"]))
names = st.one_of(st.sampled_from(["web", "api", "svc-1"]), hostile)
ports = st.one_of(st.integers(-1, 70000), hostile)

NGINX_KEYS = [
    "nginx.ingress.kubernetes.io/rewrite-target",
    "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/configuration-snippet",
    "nginx.ingress.kubernetes.io/enable-cors",
    "nginx.ingress.kubernetes.io/cors-allow-origin",
    "nginx.ingress.kubernetes.io/cors-allow-headers",
    "nginx.ingress.kubernetes.io/whitelist-source-range",
    "nginx.ingress.kubernetes.io/auth-url",
    "nginx.ingress.kubernetes.io/auth-type",
    "nginx.ingress.kubernetes.io/auth-secret",
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/proxy-body-size",
    "nginx.ingress.kubernetes.io/proxy-read-timeout",
    "nginx.ingress.kubernetes.io/permanent-redirect",
    "nginx.ingress.kubernetes.io/app-root",
    "nginx.ingress.kubernetes.io/canary",
    "nginx.ingress.kubernetes.io/canary-by-header",
    "nginx.ingress.kubernetes.io/canary-weight",
    "nginx.ingress.kubernetes.io/backend-protocol",
    "nginx.ingress.kubernetes.io/affinity",
    "nginx.ingress.kubernetes.io/custom-headers",
    "nginx.ingress.kubernetes.io/server-alias",
    "nginx.ingress.kubernetes.io/session-cookie-path",
    "nginx.ingress.kubernetes.io/session-cookie-name",
    "nginx.ingress.kubernetes.io/session-cookie-domain",
    "nginx.ingress.kubernetes.io/canary-by-header-value",
    "nginx.ingress.kubernetes.io/canary-by-header-pattern",
    "nginx.ingress.kubernetes.io/canary-by-cookie",
    "nginx.ingress.kubernetes.io/auth-signin",
    "nginx.ingress.kubernetes.io/auth-response-headers",
    "nginx.ingress.kubernetes.io/temporal-redirect",
    "nginx.ingress.kubernetes.io/upstream-vhost",
    "nginx.ingress.kubernetes.io/x-forwarded-prefix",
    "nginx.ingress.kubernetes.io/cors-expose-headers",
    "nginx.ingress.kubernetes.io/cors-allow-methods",
    "nginx.ingress.kubernetes.io/upstream-hash-by",
    "nginx.org/location-snippets",
    "nginx.org/redirect-to-https",
    "nginx.org/rewrites",
    "nginx.org/ssl-redirect",
    "nginx.org/server-snippets",
    # carried to the Gateway and routes for cert-manager and external-dns (converting/companions)
    "cert-manager.io/cluster-issuer",
    "cert-manager.io/common-name",
    "external-dns.alpha.kubernetes.io/hostname",
    "external-dns.alpha.kubernetes.io/target",
    "external-dns.kubernetes.io/aws-weight",
]
KONG_KEYS = [
    "konghq.com/strip-path",
    "konghq.com/methods",
    "konghq.com/protocols",
    "konghq.com/plugins",
    "konghq.com/headers.x-version",
    "konghq.com/path",
    "konghq.com/regex-priority",
    "konghq.com/https-redirect-status-code",
    "konghq.com/host-aliases",
]


def ingress(class_name: str, keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    backend = st.fixed_dictionaries(
        {
            "service": st.fixed_dictionaries(
                {"name": names, "port": st.fixed_dictionaries({"number": ports})}
            )
        }
    )
    path = st.fixed_dictionaries(
        {
            "path": paths,
            "pathType": st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]),
            "backend": backend,
        }
    )
    rule = st.fixed_dictionaries(
        {
            "host": hosts,
            "http": st.fixed_dictionaries({"paths": st.lists(path, min_size=1, max_size=3)}),
        }
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("networking.k8s.io/v1"),
            "kind": st.just("Ingress"),
            "metadata": st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["a", "b", "c"]),
                    "namespace": st.sampled_from(["web", "shop"]),
                    "annotations": st.dictionaries(
                        st.one_of(st.sampled_from(keys), hostile), dataplane, max_size=6
                    ),
                }
            ),
            "spec": st.fixed_dictionaries(
                {"ingressClassName": st.just(class_name), "rules": st.lists(rule, max_size=3)},
                optional={
                    "tls": st.lists(
                        st.fixed_dictionaries(
                            {"hosts": st.lists(hosts, max_size=2), "secretName": names}
                        ),
                        max_size=2,
                    )
                },
            ),
        }
    )


string_match = st.dictionaries(
    st.sampled_from(["exact", "prefix", "regex"]), hostile, min_size=1, max_size=1
)
virtual_service = st.fixed_dictionaries(
    {
        "apiVersion": st.just("networking.istio.io/v1"),
        "kind": st.just("VirtualService"),
        "metadata": st.fixed_dictionaries(
            {"name": st.sampled_from(["vs-a", "vs-b"]), "namespace": st.just("web")}
        ),
        "spec": st.fixed_dictionaries(
            {
                "hosts": st.lists(hosts, min_size=1, max_size=2),
                "gateways": st.just(["istio-system/public"]),
                "http": st.lists(
                    st.fixed_dictionaries(
                        {
                            "route": st.lists(
                                st.fixed_dictionaries(
                                    {
                                        "destination": st.fixed_dictionaries(
                                            {
                                                "host": names,
                                                "port": st.fixed_dictionaries({"number": ports}),
                                            }
                                        )
                                    },
                                    optional={"weight": st.integers(-5, 120)},
                                ),
                                min_size=1,
                                max_size=2,
                            )
                        },
                        optional={
                            "match": st.lists(
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "uri": string_match,
                                        "headers": st.dictionaries(
                                            hostile,
                                            st.one_of(
                                                string_match,
                                                st.dictionaries(
                                                    st.just("exact"), dataplane, min_size=1
                                                ),
                                            ),
                                            max_size=2,
                                        ),
                                        "method": string_match,
                                    },
                                ),
                                max_size=2,
                            ),
                            "timeout": hostile,
                            "rewrite": st.fixed_dictionaries({"uri": hostile}),
                            "headers": st.fixed_dictionaries(
                                {
                                    "request": st.fixed_dictionaries(
                                        {"set": st.dictionaries(hostile, dataplane, max_size=2)}
                                    ),
                                    "response": st.fixed_dictionaries(
                                        {
                                            "set": st.dictionaries(
                                                st.sampled_from(["x-frame", "X-Evil: 1"]),
                                                dataplane,
                                                max_size=2,
                                            ),
                                            "add": st.dictionaries(hostile, dataplane, max_size=1),
                                            "remove": st.lists(dataplane, max_size=1),
                                        }
                                    ),
                                }
                            ),
                            "redirect": st.fixed_dictionaries(
                                {"uri": dataplane, "authority": dataplane}
                            ),
                            "corsPolicy": st.fixed_dictionaries(
                                {
                                    "allowOrigins": st.lists(
                                        st.dictionaries(st.just("exact"), dataplane, min_size=1),
                                        max_size=2,
                                    ),
                                    "allowHeaders": st.lists(dataplane, max_size=2),
                                }
                            ),
                        },
                    ),
                    max_size=3,
                ),
            }
        ),
    }
)


def objects(items: list[dict[str, Any]]) -> list[KubeObject]:
    return [KubeObject(item, Origin("fuzz.yaml", 10 * i + 1, i)) for i, item in enumerate(items)]


def check(items: list[dict[str, Any]], provider: str, emitter: str, *, whole: bool = True) -> None:
    """``whole``: no output object may be dropped (Ingress providers check every value they
    carry); otherwise a dropped object must be reported and no longer claimed by the ledger."""
    result = ingress2gateway.convert(objects(items), providers=[provider], emitter=emitter)
    dropped = [
        n.message
        for n in result.report.notifications
        if n.code == "output-invalid" and "is not printed" in n.message
    ]
    if whole:
        assert dropped == []
    printed = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in result.resources
    }
    for entry in result.report.ledger.values():
        for ref in entry.targets:
            assert (ref.kind, ref.namespace, ref.name) in printed, (entry.field, ref)
    for obj in result.resources:
        assert validate(obj, result.target) == []
        # Nothing hostile reaches the data plane, whatever the target's schema lets through.
        assert unsafe_values(obj) == [], obj["kind"]
    # Every output format reads back as the same objects (KYAML is YAML).
    for fmt in ("yaml", "kyaml"):
        loaded = [d for d in yaml.safe_load_all(dump(result.resources, fmt)) if d is not None]
        assert loaded == result.resources, fmt
    assert json.loads(dump(result.resources, "json"))["items"] == result.resources
    again = ingress2gateway.convert(objects(items), providers=[provider], emitter=emitter)
    assert dump(again.resources) == dump(result.resources)
    assert again.report.sorted_ledger() == result.report.sorted_ledger()
    assert missing_ledger_fields(objects(items), result) == []


@FUZZ
@given(
    st.lists(ingress("nginx", NGINX_KEYS), min_size=1, max_size=3),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_nginx_ingresses_with_hostile_values(items: list[dict[str, Any]], emitter: str) -> None:
    check(items, "nginx", emitter)


def kong_plugin(namespace: str, name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A KongPlugin the Ingresses of ``namespace`` may name, with data-plane values in its
    configuration."""
    header_list = st.lists(dataplane, min_size=1, max_size=2)
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("configuration.konghq.com/v1"),
            "kind": st.just("KongPlugin"),
            "metadata": st.just({"name": name, "namespace": namespace}),
            "plugin": st.sampled_from(
                [
                    "response-transformer",
                    "request-transformer",
                    "cors",
                    "key-auth",
                    "ip-restriction",
                ]
            ),
            "config": st.fixed_dictionaries(
                {},
                optional={
                    "add": st.fixed_dictionaries({"headers": header_list}),
                    "append": st.fixed_dictionaries({"headers": header_list}),
                    "remove": st.fixed_dictionaries({"headers": header_list}),
                    "origins": header_list,
                    "headers": header_list,
                    "exposed_headers": header_list,
                    "key_names": header_list,
                    "deny": header_list,
                    "allow": header_list,
                },
            ),
        }
    )


kong_plugins = st.lists(
    st.one_of(*(kong_plugin(ns, name) for ns in ("web", "shop") for name in ("p1", "p2"))),
    max_size=4,
)


@FUZZ
@given(
    st.lists(ingress("kong", [*KONG_KEYS, "konghq.com/plugins"]), min_size=1, max_size=3),
    kong_plugins,
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_kong_ingresses_with_hostile_values(
    items: list[dict[str, Any]], plugins: list[dict[str, Any]], emitter: str
) -> None:
    for item in items:  # name the plugins that exist, often enough to meet them
        if item["metadata"]["name"] != "c":
            item["metadata"]["annotations"]["konghq.com/plugins"] = "p1,p2"
    items = [*items, *plugins]
    # A header to match (konghq.com/headers.*) longer than Gateway API's 4096 characters cannot
    # be matched, and matching less would route more: the rule goes, reported and unclaimed.
    check(items, "kong", emitter, whole=False)


@FUZZ
@given(
    st.lists(virtual_service, min_size=1, max_size=3),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_istio_virtual_services_with_hostile_values(
    items: list[dict[str, Any]], emitter: str
) -> None:
    # Istio values have more limits than its provider checks (a rewrite over Gateway API's 1024
    # characters, say): a route may be dropped, but then it is reported and not claimed.
    check([ISTIO_GATEWAY, *items], "istio", emitter, whole=False)
