"""Hostile values through the Traefik provider: Ingress router annotations, IngressRoute rules
(random text and rules built from the grammar with hostile arguments), Middlewares with
data-plane values. Whatever comes out is valid, carries nothing hostile to the data plane,
is the same twice and accounts for every field (see ``check`` in test_fuzz_providers).

The rule parser alone is fuzzed too: it refuses or parses, never raises anything else.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ingress2gateway_providers.traefik import matching, rules

from .test_fuzz_providers import FUZZ, check, dataplane, hostile, ingress

TRAEFIK_KEYS = [
    "traefik.ingress.kubernetes.io/router.entrypoints",
    "traefik.ingress.kubernetes.io/router.middlewares",
    "traefik.ingress.kubernetes.io/router.priority",
    "traefik.ingress.kubernetes.io/router.pathmatcher",
    "traefik.ingress.kubernetes.io/router.tls",
    "traefik.ingress.kubernetes.io/router.tls.certresolver",
    "traefik.ingress.kubernetes.io/router.tls.options",
    "traefik.ingress.kubernetes.io/router.rulesyntax",
    "kubernetes.io/ingress.class",
]
MATCHERS = ["Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp", "Method", "ClientIP", "Query"]
TWO_ARGS = ["Header", "HeaderRegexp", "QueryRegexp"]
argument = st.one_of(
    hostile,
    dataplane,
    st.sampled_from(["a.example.com", "/api", "GET", "10.0.0.0/8", "^/x$", "(", "*"]),
)


def quoted(text: str) -> str:
    """A Go raw string when it can be one, else an interpreted one with escapes."""
    if "`" not in text:
        return f"`{text}`"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@st.composite
def rule_text(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 3 else 1))
    if choice == 0:
        return f"{draw(st.sampled_from(MATCHERS))}({quoted(draw(argument))})"
    if choice == 1:
        name = draw(st.sampled_from(TWO_ARGS))
        return f"{name}({quoted(draw(argument))}, {quoted(draw(argument))})"
    if choice == 2:
        return "!" + draw(rule_text(depth + 1))
    if choice == 3:
        return f"({draw(rule_text(depth + 1))})"
    operator = " && " if choice == 4 else " || "
    return draw(rule_text(depth + 1)) + operator + draw(rule_text(depth + 1))


rule_or_noise = st.one_of(rule_text(), hostile)


def middleware(name: str) -> st.SearchStrategy[dict[str, Any]]:
    values = st.lists(dataplane, min_size=1, max_size=2)
    spec = st.one_of(
        st.fixed_dictionaries(
            {
                "headers": st.fixed_dictionaries(
                    {},
                    optional={
                        "customRequestHeaders": st.dictionaries(dataplane, dataplane, max_size=2),
                        "customResponseHeaders": st.dictionaries(dataplane, dataplane, max_size=2),
                        "accessControlAllowOriginList": values,
                        "accessControlAllowHeaders": values,
                        "contentSecurityPolicy": dataplane,
                        "customFrameOptionsValue": dataplane,
                    },
                )
            }
        ),
        st.fixed_dictionaries({"stripPrefix": st.fixed_dictionaries({"prefixes": values})}),
        st.fixed_dictionaries({"addPrefix": st.fixed_dictionaries({"prefix": dataplane})}),
        st.fixed_dictionaries({"replacePath": st.fixed_dictionaries({"path": dataplane})}),
        st.fixed_dictionaries(
            {
                "replacePathRegex": st.fixed_dictionaries(
                    {"regex": dataplane, "replacement": dataplane}
                )
            }
        ),
        st.fixed_dictionaries(
            {"redirectScheme": st.fixed_dictionaries({"scheme": dataplane, "port": argument})}
        ),
        st.fixed_dictionaries({"ipAllowList": st.fixed_dictionaries({"sourceRange": values})}),
        st.fixed_dictionaries(
            {
                "forwardAuth": st.fixed_dictionaries(
                    {"address": dataplane, "authResponseHeaders": values}
                )
            }
        ),
        st.fixed_dictionaries({"basicAuth": st.fixed_dictionaries({"secret": dataplane})}),
        st.fixed_dictionaries({"errors": st.fixed_dictionaries({"status": values})}),
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("traefik.io/v1alpha1"),
            "kind": st.just("Middleware"),
            "metadata": st.just({"name": name, "namespace": "web"}),
            "spec": spec,
        }
    )


def ingress_route() -> st.SearchStrategy[dict[str, Any]]:
    route = st.fixed_dictionaries(
        {
            "kind": st.just("Rule"),
            "match": rule_or_noise,
            "services": st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(["svc", "api"]),
                        "port": st.one_of(st.integers(-1, 70000), argument),
                    }
                ),
                min_size=1,
                max_size=2,
            ),
        },
        optional={
            "priority": st.integers(-5, 1 << 40),
            "middlewares": st.lists(
                st.fixed_dictionaries({"name": st.sampled_from(["m1", "m2", "missing"])}),
                max_size=2,
            ),
        },
    )
    return st.fixed_dictionaries(
        {
            "apiVersion": st.sampled_from(["traefik.io/v1alpha1", "traefik.containo.us/v1alpha1"]),
            "kind": st.just("IngressRoute"),
            "metadata": st.fixed_dictionaries(
                {"name": st.sampled_from(["r1", "r2"]), "namespace": st.just("web")}
            ),
            "spec": st.fixed_dictionaries(
                {"routes": st.lists(route, min_size=1, max_size=3)},
                optional={
                    "entryPoints": st.lists(
                        st.one_of(st.sampled_from(["web", "websecure"]), hostile), max_size=2
                    ),
                    "tls": st.fixed_dictionaries(
                        {}, optional={"secretName": st.sampled_from(["cert", "x"])}
                    ),
                },
            ),
        }
    )


@FUZZ
@given(rule_or_noise)
def test_the_rule_parser_refuses_or_parses(text: str) -> None:
    try:
        alternatives = rules.disjunctive_form(rules.parse(text))
    except rules.RuleError:
        return
    for literals in alternatives:
        alt = matching.convert(literals)
        if alt.problem is None and not alt.impossible and alt.hosts:
            assert all(h == h.lower() for h in alt.hosts)


@FUZZ
@given(
    st.lists(ingress("traefik", TRAEFIK_KEYS), min_size=1, max_size=3),
    st.lists(st.one_of(middleware("m1"), middleware("m2")), max_size=2),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_traefik_ingresses_with_hostile_values(
    items: list[dict[str, Any]], mws: list[dict[str, Any]], emitter: str
) -> None:
    for item in items:
        if item["metadata"]["name"] != "c":
            item["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] = (
                "web-m1@kubernetescrd,web-m2@kubernetescrd"
            )
    check([*items, *mws], "traefik", emitter, whole=False)


@FUZZ
@given(
    st.lists(ingress_route(), min_size=1, max_size=2),
    st.lists(st.one_of(middleware("m1"), middleware("m2")), max_size=2),
    st.sampled_from(["standard", "envoy-gateway"]),
)
def test_ingress_routes_with_hostile_values(
    items: list[dict[str, Any]], mws: list[dict[str, Any]], emitter: str
) -> None:
    check([*items, *mws], "traefik", emitter, whole=False)
