"""Access controls the emitter cannot carry fail closed (issue 19, item 9).

An Ingress protected by basic auth, external auth, an IP allow-list or client certificates
must not become a route open to everyone when the chosen emitter cannot carry that control:
its rules keep their matches (so their requests never fall through to a less specific open
rule) and reach no backend (Gateway API answers 500 for a rule without backends or filters),
unless ``--access-control-fallback open`` asks for the open route.

The tests ask, for a request, which rule of the emitted HTTPRoutes answers it (see
:func:`answer`: a small local model of Gateway API's precedence, just enough for these cases).
"""

from __future__ import annotations

import re
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

import ingress2gateway
from ingress2gateway.cli.commands import main
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.errors import UsageError
from ingress2gateway.objects import KubeObject, Origin
from ingress2gateway.plugin import ACCESS_CONTROL_FALLBACKS, ConvertOptions, EmitterBase
from ingress2gateway.reporting.report import Level, Status
from ingress2gateway.scaling import convert_streaming
from ingress2gateway_providers.nginx.annotations.snippets import access_statements

from .ledger_checks import missing_ledger_fields

NGINX = "nginx.ingress.kubernetes.io/"
BASIC_AUTH = {NGINX + "auth-type": "basic", NGINX + "auth-secret": "basic-auth"}
CLOSED = "500"
"""What :func:`answer` says for a rule that reaches no backend."""


# --- a request through the emitted HTTPRoutes ----------------------------------------------


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and host.count(".") >= pattern.count(".")
    return pattern == host


def _path_matches(match: dict[str, Any], path: str) -> tuple[int, int] | None:
    """How specifically ``match`` takes ``path``: (kind, length), or None when it does not.
    Exact beats PathPrefix (element-wise, the longest first); regular expressions last."""
    spec = match.get("path", {"type": "PathPrefix", "value": "/"})
    kind, value = spec["type"], spec["value"]
    if kind == "Exact":
        return (3, len(value)) if path == value else None
    if kind == "PathPrefix":
        prefix = value.rstrip("/")
        if prefix == "" or path == prefix or path.startswith(prefix + "/"):
            return (2, len(prefix))
        return None
    return (1, len(value)) if re.match(value, path) else None


def _headers_match(match: dict[str, Any], headers: dict[str, str]) -> bool:
    wanted = {h["name"].lower(): h["value"] for h in match.get("headers", [])}
    given = {k.lower(): v for k, v in headers.items()}
    return all(given.get(name) == value for name, value in wanted.items())


def answer(
    routes: list[dict[str, Any]], host: str, path: str, headers: dict[str, str] | None = None
) -> str:
    """What a request gets from ``routes`` (HTTPRoute bodies): ``name:port`` of the first
    backend of the rule that takes it, ``500`` for a rule that reaches no backend (no
    backendRefs, no filters), ``redirect`` for a redirect, ``404`` when no rule takes it.

    Precedence as Gateway API states it: Exact before PathPrefix, longer prefixes first, more
    header matches first, then the order of the rules."""
    best: tuple[tuple[int, int, int], int, dict[str, Any]] | None = None
    order = 0
    for route in routes:
        hostnames = route["spec"].get("hostnames", [])
        if hostnames and not any(_host_matches(h, host) for h in hostnames):
            continue
        for rule in route["spec"].get("rules", []):
            order += 1
            for match in rule.get("matches", [{}]):
                taken = _path_matches(match, path)
                if taken is None or not _headers_match(match, headers or {}):
                    continue
                rank = (*taken, len(match.get("headers", [])))
                if best is None or rank > best[0]:
                    best = (rank, -order, rule)
    if best is None:
        return "404"
    rule = best[2]
    filters = [f["type"] for f in rule.get("filters", [])]
    if "RequestRedirect" in filters:
        return "redirect"
    backends = rule.get("backendRefs", [])
    if not backends:
        return CLOSED if not filters else "filters without a backend"
    return f"{backends[0]['name']}:{backends[0].get('port')}"


def test_the_request_model_prefers_exact_then_longer_prefixes() -> None:
    route = {
        "spec": {
            "hostnames": ["a.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"name": "root", "port": 1}],
                },
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/a"}}],
                    "backendRefs": [{"name": "a", "port": 1}],
                },
                {"matches": [{"path": {"type": "Exact", "value": "/a/b"}}]},
            ],
        }
    }
    assert answer([route], "a.example.com", "/a/x") == "a:1"
    assert answer([route], "a.example.com", "/ab") == "root:1"  # element-wise prefixes
    assert answer([route], "a.example.com", "/a/b") == CLOSED
    assert answer([route], "b.example.com", "/a") == "404"


# --- helpers ---------------------------------------------------------------------------------


def _ingress(
    name: str,
    path: str,
    service: str,
    annotations: dict[str, str] | None = None,
    host: str = "shop.example.com",
    namespace: str = "web",
    tls: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ingressClassName": "nginx",
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{service}-tls"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": spec,
    }


def _objects(*docs: dict[str, Any]) -> list[KubeObject]:
    return [KubeObject(doc, Origin("in.yaml", 1 + 20 * i, i)) for i, doc in enumerate(docs)]


def _convert(objects: list[KubeObject], fallback: str | None = None, **kw: Any) -> Result:
    providers = kw.pop("providers", ["nginx"])
    options = kw.pop("options", {})
    if fallback is not None:
        options["access_control_fallback"] = fallback
    return ingress2gateway.convert(objects, providers, options=ConvertOptions(**options), **kw)


def _routes(result: Result, kind: str = "HTTPRoute") -> list[dict[str, Any]]:
    return [body for body in result.resources if body["kind"] == kind]


def _admin_and_site() -> list[KubeObject]:
    """/admin behind basic auth, / open, on one host (one HTTPRoute, two rules)."""
    return _objects(
        _ingress("admin", "/admin", "admin", BASIC_AUTH),
        _ingress("site", "/", "site"),
    )


# --- the failure, and the closed rule --------------------------------------------------------


def test_a_protected_path_is_closed_not_open_with_the_standard_emitter() -> None:
    result = _convert(_admin_and_site())
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/admin") == CLOSED
    # The closed rule keeps its match: /admin/x does not fall through to the open / rule.
    assert answer(routes, "shop.example.com", "/admin/x") == CLOSED
    # Its unprotected sibling paths still reach their backend.
    assert answer(routes, "shop.example.com", "/") == "site:80"
    assert answer(routes, "shop.example.com", "/administrator") == "site:80"
    assert answer(routes, "shop.example.com", "/shop/cart") == "site:80"


def test_the_closed_rule_is_an_error_saying_what_reopens_it() -> None:
    result = _convert(_admin_and_site())
    notes = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert notes and all(n.level is Level.ERROR and n.security for n in notes)
    message = notes[0].message
    assert "closed" in message and "500" in message
    assert "--access-control-fallback open" in message
    assert "--emitter envoy-gateway" in message  # it carries basic auth with a Secret
    assert "open to everyone" not in message


def test_the_ledger_says_the_rule_is_closed_and_where() -> None:
    objects = _admin_and_site()
    result = _convert(objects)
    route = "HTTPRoute web/site-shop-example-com"
    entries = {(e.source.name, e.field): e for e in result.report.sorted_ledger()}
    path = entries[("admin", "spec.rules[0].http.paths[0]")]
    assert path.status is Status.PARTIAL
    assert [t.display() for t in path.targets] == [route]
    assert "closed" in "; ".join(path.notes)
    auth = entries[("admin", f"metadata.annotations[{NGINX}auth-type]")]
    assert auth.status is Status.UNSUPPORTED
    assert [t.display() for t in auth.targets] == [route]
    # The open sibling is untouched.
    assert entries[("site", "spec.rules[0].http.paths[0]")].status is Status.CONVERTED
    assert missing_ledger_fields(objects, result) == []


def test_fallback_open_restores_the_open_route_with_the_error() -> None:
    result = _convert(_admin_and_site(), fallback="open")
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/admin") == "admin:80"
    notes = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert notes and all(n.level is Level.ERROR and n.security for n in notes)
    assert "open to everyone" in notes[0].message
    assert "--access-control-fallback open" in notes[0].message


def test_an_unknown_fallback_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="access-control-fallback"):
        ConvertOptions(access_control_fallback="ajar")


def test_a_redirect_rule_stays_a_redirect() -> None:
    """The HTTP → HTTPS redirect of a protected TLS host reaches no backend: it stays, as nginx
    redirects before it checks credentials."""
    objects = _objects(
        _ingress("admin", "/admin", "admin", BASIC_AUTH, tls=True),
        _ingress("site", "/", "site"),
    )
    result = _convert(objects)
    by_name = {body["metadata"]["name"]: body for body in _routes(result)}
    http = [body for name, body in by_name.items() if name.endswith("-http")]
    https = [body for name, body in by_name.items() if not name.endswith("-http")]
    assert answer(http, "shop.example.com", "/admin") == "redirect"
    assert answer(https, "shop.example.com", "/admin/users") == CLOSED
    assert answer(https, "shop.example.com", "/") == "site:80"


def test_a_grpc_rule_is_closed_too() -> None:
    annotations = {**BASIC_AUTH, NGINX + "backend-protocol": "GRPC"}
    objects = _objects(_ingress("rpc", "/pkg.Service", "rpc", annotations))
    result = _convert(objects)
    (route,) = _routes(result, "GRPCRoute")
    assert route["spec"]["rules"] and all("backendRefs" not in r for r in route["spec"]["rules"])
    (route,) = _routes(_convert(objects, fallback="open"), "GRPCRoute")
    assert all(r["backendRefs"] for r in route["spec"]["rules"])


# --- what the envoy-gateway emitter carries, instance by instance ----------------------------


def test_envoy_gateway_carries_basic_auth_with_a_secret_so_nothing_is_closed() -> None:
    result = _convert(_admin_and_site(), emitter="envoy-gateway")
    assert answer(_routes(result), "shop.example.com", "/admin") == "admin:80"
    assert [b["kind"] for b in result.resources].count("SecurityPolicy") == 1
    assert not [n for n in result.report.notifications if n.code == "extension-unsupported"]


def _kong(plugin: str, config: dict[str, Any] | None = None) -> list[KubeObject]:
    guarded = _ingress("guarded", "/private", "private", {"konghq.com/plugins": "guard"})
    public = _ingress("public", "/", "public")
    for doc in (guarded, public):
        doc["spec"]["ingressClassName"] = "kong"
    plugin_doc = {
        "apiVersion": "configuration.konghq.com/v1",
        "kind": "KongPlugin",
        "metadata": {"name": "guard", "namespace": "web"},
        "plugin": plugin,
        "config": config or {},
    }
    return _objects(guarded, public, plugin_doc)


def test_envoy_gateway_refuses_basic_auth_without_a_secret_so_it_is_closed() -> None:
    """Kong's basic-auth keeps its credentials in consumers: the envoy-gateway emitter cannot
    carry that instance, though it carries basic auth naming a Secret."""
    result = _convert(_kong("basic-auth"), providers=["kong"], emitter="envoy-gateway")
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/private/x") == CLOSED
    assert answer(routes, "shop.example.com", "/") == "public:80"
    (note, *_) = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert note.security and "closed" in note.message and "--emitter" not in note.message


def test_envoy_gateway_carries_an_ip_allow_list_from_kong() -> None:
    objects = _kong("ip-restriction", {"allow": ["10.0.0.0/8"]})
    result = _convert(objects, providers=["kong"], emitter="envoy-gateway")
    assert answer(_routes(result), "shop.example.com", "/private") == "private:80"
    closed = _convert(objects, providers=["kong"])
    assert answer(_routes(closed), "shop.example.com", "/private") == CLOSED
    (note, *_) = [n for n in closed.report.notifications if n.code == "extension-unsupported"]
    assert "--emitter envoy-gateway carries it" in note.message


def _two_secrets() -> list[KubeObject]:
    return _objects(
        _ingress("a", "/a", "a", {NGINX + "auth-type": "basic", NGINX + "auth-secret": "one"}),
        _ingress("b", "/b", "b", {NGINX + "auth-type": "basic", NGINX + "auth-secret": "two"}),
        _ingress("site", "/", "site"),
    )


def test_a_control_the_emitter_could_not_attach_is_closed_after_emission() -> None:
    """Gateway API v1.3 standard has no rule names: the envoy-gateway emitter cannot attach two
    different SecurityPolicies to two rules of one route, and leaves both unconsumed. The
    rules are closed in the emitted route (they were open before)."""
    result = _convert(_two_secrets(), emitter="envoy-gateway", gateway_api_version="v1.3")
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/a") == CLOSED
    assert answer(routes, "shop.example.com", "/b/c") == CLOSED
    assert answer(routes, "shop.example.com", "/") == "site:80"
    notes = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert notes and all("closed" in n.message and n.security for n in notes)
    entries = {(e.source.name, e.field): e for e in result.report.sorted_ledger()}
    assert entries[("a", "spec.rules[0].http.paths[0]")].status is Status.PARTIAL
    # Where rule names exist, each rule gets its policy and nothing is closed.
    named = _convert(_two_secrets(), emitter="envoy-gateway", gateway_api_version="v1.4")
    assert answer(_routes(named), "shop.example.com", "/a") == "a:80"
    assert [b["kind"] for b in named.resources].count("SecurityPolicy") == 2


def test_the_net_after_emission_respects_the_open_fallback() -> None:
    result = _convert(
        _two_secrets(), fallback="open", emitter="envoy-gateway", gateway_api_version="v1.3"
    )
    assert answer(_routes(result), "shop.example.com", "/a") == "a:80"


# --- Gateway-level controls: Istio MUTUAL TLS ------------------------------------------------

MUTUAL = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: apps}
spec:
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["www.example.com"]
    tls: {mode: SIMPLE, credentialName: www-cert}
  - port: {number: 9443, name: partner, protocol: HTTPS}
    hosts: ["partner.example.com"]
    tls: {mode: MUTUAL, credentialName: partner-cert}
  - port: {number: 6443, name: db, protocol: TLS}
    hosts: ["db.example.com"]
    tls: {mode: MUTUAL, credentialName: db-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: www, namespace: apps}
spec:
  hosts: ["www.example.com", "partner.example.com"]
  gateways: [edge]
  http:
  - route: [{destination: {host: www, port: {number: 80}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: apps}
spec:
  hosts: ["db.example.com"]
  gateways: [edge]
  tcp:
  - route: [{destination: {host: db, port: {number: 5432}}}]
"""


def _mutual(**kw: Any) -> Result:
    objects = [
        KubeObject(doc, Origin("istio.yaml", 1, i))
        for i, doc in enumerate(yaml.safe_load_all(MUTUAL))
    ]
    return _convert(objects, providers=["istio"], channel="experimental", **kw)


def _on_listener(result: Result, section: str) -> list[dict[str, Any]]:
    return [
        body
        for body in _routes(result)
        if any(p.get("sectionName") == section for p in body["spec"]["parentRefs"])
    ]


def test_client_certificates_close_the_routes_of_their_listener_only() -> None:
    result = _mutual()
    assert (
        answer(_on_listener(result, "https-9443-partner-example-com"), "partner.example.com", "/x")
        == CLOSED
    )
    assert (
        answer(_on_listener(result, "https-443-www-example-com"), "www.example.com", "/x")
        == "www:80"
    )
    # One VirtualService bound both servers: its route was split, the copy on the MUTUAL
    # listener is closed, the route itself stays on the SIMPLE one.
    parents = {
        body["metadata"]["name"]: [p["sectionName"] for p in body["spec"]["parentRefs"]]
        for body in _routes(result)
    }
    assert parents == {
        "www": ["https-443-www-example-com"],
        "www-closed": ["https-9443-partner-example-com"],
    }
    entries = {(e.source.name, e.field): e for e in result.report.sorted_ledger()}
    assert sorted(t.name for t in entries[("www", "spec.http[0]")].targets) == ["www", "www-closed"]
    assert entries[("www", "spec.http[0]")].status is Status.PARTIAL
    # A TCP route cannot answer without its backend: it is not emitted, and its fields say so.
    assert _routes(result, "TCPRoute") == []
    assert entries[("db", "spec.tcp[0]")].status is Status.UNSUPPORTED
    assert entries[("db", "spec.tcp[0].route[0].destination")].status is Status.UNSUPPORTED
    notes = [n.message for n in result.report.notifications if n.code == "extension-unsupported"]
    assert any("TCPRoute apps/db-tcp-0, which it protects, is not emitted" in m for m in notes)
    opened = _mutual(fallback="open")
    assert len(_routes(opened, "TCPRoute")) == 1
    assert (
        answer(_on_listener(opened, "https-9443-partner-example-com"), "partner.example.com", "/x")
        == "www:80"
    )


def test_envoy_gateway_puts_client_validation_only_where_the_source_asked_for_it() -> None:
    """Before: the TLS server's CA went onto every HTTPS listener (www too) and its TCPRoute
    stayed open. Now: the partner listener verifies client certificates, www does not, and
    the TCPRoute (Envoy Gateway cannot verify there) is not emitted."""
    result = _mutual(emitter="envoy-gateway")
    policies = [b for b in result.resources if b["kind"] == "ClientTrafficPolicy"]
    sections = [p["spec"]["targetRefs"][0]["sectionName"] for p in policies]
    assert sections == ["https-9443-partner-example-com"]
    assert _routes(result, "TCPRoute") == []
    assert (
        answer(_on_listener(result, "https-9443-partner-example-com"), "partner.example.com", "/")
        == "www:80"
    )


# --- snippets --------------------------------------------------------------------------------


def test_a_location_snippet_that_denies_closes_the_ingress_rules_only() -> None:
    snippet = {NGINX + "configuration-snippet": "allow 10.0.0.0/8;\ndeny all;\n"}
    headers = {NGINX + "configuration-snippet": 'more_set_headers "X-Frame-Options: DENY";\n'}
    result = _convert(
        _objects(
            _ingress("internal", "/internal", "internal", snippet),
            _ingress("site", "/", "site", headers),
        )
    )
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/internal/metrics") == CLOSED
    assert answer(routes, "shop.example.com", "/") == "site:80"
    (note,) = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert note.security and "allow 10.0.0.0/8; deny all" in note.message


def test_a_server_snippet_that_denies_closes_every_rule_of_its_host() -> None:
    snippet = {"nginx.org/server-snippets": 'if ($http_x_token = "") { return 403; }'}
    result = _convert(
        _objects(
            _ingress("ops", "/", "ops", snippet),
            _ingress("metrics", "/metrics", "metrics"),  # another Ingress, same host
            _ingress("other", "/", "other", host="other.example.com"),
        )
    )
    routes = _routes(result)
    assert answer(routes, "shop.example.com", "/") == CLOSED
    assert answer(routes, "shop.example.com", "/metrics") == CLOSED
    assert answer(routes, "other.example.com", "/") == "other:80"


def test_a_snippet_the_controller_ignored_guards_nothing() -> None:
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": {"allow-snippet-annotations": "false"},
    }
    snippet = {NGINX + "configuration-snippet": "deny all;"}
    result = _convert(_objects(configmap, _ingress("internal", "/internal", "internal", snippet)))
    assert answer(_routes(result), "shop.example.com", "/internal") == "internal:80"


@pytest.mark.parametrize(
    ("snippet", "restricts"),
    [
        ("deny all;", True),
        ("allow 192.0.2.1;", True),
        ("location /x { deny 10.0.0.1; }", True),
        ("if ($bad) { return 403; }", True),
        ("return 444;", True),
        ('auth_basic "closed";\nauth_basic_user_file /etc/htpasswd;', True),
        ("auth_request /check;", True),
        ("auth_basic off;", False),
        ("return 404;", False),
        ("return 301 https://example.com;", False),
        ('more_set_headers "X-Deny: all";', False),
        ("# deny all;\nproxy_set_header X-Real-IP $remote_addr;", False),
    ],
)
def test_which_snippet_statements_restrict_access(snippet: str, restricts: bool) -> None:
    assert bool(access_statements(snippet)) is restricts


# --- plug-ins, parts and the command line ----------------------------------------------------


class _Quiet(EmitterBase):
    """An emitter of plain Gateway API that says nothing about access controls (the base
    class's ``carries``: none)."""

    name = "quiet"
    description = "test"
    ordered = True

    def emit(self, ir: Any, ctx: Any) -> Any:
        from ingress2gateway.emitters.gatewayapi import GatewayAPIBuilder

        return GatewayAPIBuilder(ctx).objects(ir)


class _Boastful(_Quiet):
    """Says it carries every control, and expresses none."""

    name = "boastful"

    def carries(self, extension: Any, target: Any) -> bool:
        return True


def test_an_emitter_that_does_not_say_is_taken_to_carry_nothing() -> None:
    result = _convert(_admin_and_site(), emitter=_Quiet())
    assert answer(_routes(result), "shop.example.com", "/admin") == CLOSED


def test_a_streaming_emitter_that_claims_and_fails_is_reported_open() -> None:
    """Its routes are gone by the time it is found out: the error says the route is open."""
    result = _convert(_admin_and_site(), emitter=_Boastful())
    assert answer(_routes(result), "shop.example.com", "/admin") == "admin:80"
    (note, *_) = [n for n in result.report.notifications if n.code == "extension-unsupported"]
    assert note.level is Level.ERROR and "open to everyone" in note.message


def test_an_emitter_that_hands_over_all_at_once_is_checked_after_emission() -> None:
    boastful = _Boastful()
    boastful.ordered = False
    result = _convert(_admin_and_site(), emitter=boastful)
    assert answer(_routes(result), "shop.example.com", "/admin") == CLOSED


def test_parts_close_their_rules_as_the_whole_input_does() -> None:
    """With a Gateway per namespace, ingress-nginx input converts namespace by namespace."""
    docs = []
    for namespace in ("alpha", "beta", "gamma"):
        host = f"{namespace}.example.com"
        docs.append(_ingress("admin", "/admin", "admin", BASIC_AUTH, host, namespace))
        docs.append(_ingress("site", "/", "site", host=host, namespace=namespace))
    streamed: list[dict[str, Any]] = []
    options = ConvertOptions(gateway_per_namespace=True)
    result = convert_streaming(
        iter(_objects(*docs)),
        ["nginx"],
        options=options,
        on_object=lambda e: streamed.append(e.body),
    )
    whole = _convert(_objects(*docs), options={"gateway_per_namespace": True})
    routes = [body for body in streamed if body["kind"] == "HTTPRoute"]
    assert routes == _routes(whole)
    for namespace in ("alpha", "beta", "gamma"):
        assert answer(routes, f"{namespace}.example.com", "/admin/x") == CLOSED
        assert answer(routes, f"{namespace}.example.com", "/x") == "site:80"
    assert result.report.sorted_notifications() == whole.report.sorted_notifications()


def _write(tmp_path: Any, objects: list[dict[str, Any]]) -> str:
    path = tmp_path / "in.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return str(path)


def test_print_takes_the_flag_and_closes_by_default(tmp_path: Any) -> None:
    docs = [_ingress("admin", "/admin", "admin", BASIC_AUTH), _ingress("site", "/", "site")]
    path = _write(tmp_path, docs)
    runner = CliRunner()
    closed = runner.invoke(main, ["print", "--providers", "nginx", "-f", path])
    assert closed.exit_code == 0, closed.output
    routes = [d for d in yaml.safe_load_all(closed.stdout) if d and d["kind"] == "HTTPRoute"]
    assert answer(routes, "shop.example.com", "/admin") == CLOSED
    assert "emitted closed" in closed.stderr
    opened = runner.invoke(
        main, ["print", "--providers", "nginx", "-f", path, "--access-control-fallback", "open"]
    )
    routes = [d for d in yaml.safe_load_all(opened.stdout) if d and d["kind"] == "HTTPRoute"]
    assert answer(routes, "shop.example.com", "/admin") == "admin:80"
    assert "open to everyone" in opened.stderr
    failing = runner.invoke(
        main, ["print", "--providers", "nginx", "-f", path, "--fail-on", "error"]
    )
    assert failing.exit_code == 1
    wrong = runner.invoke(
        main, ["print", "--providers", "nginx", "-f", path, "--access-control-fallback", "ajar"]
    )
    assert wrong.exit_code == 2


def test_check_and_diff_take_the_flag(tmp_path: Any) -> None:
    docs = [_ingress("admin", "/admin", "admin", BASIC_AUTH), _ingress("site", "/", "site")]
    path = _write(tmp_path, docs)
    runner = CliRunner()
    checked = runner.invoke(main, ["check", path])
    assert checked.exit_code == 1 and "emitted closed" in checked.stdout
    checked = runner.invoke(main, ["check", path, "--access-control-fallback", "open"])
    assert checked.exit_code == 1 and "open to everyone" in checked.stdout
    # Manifests generated open differ from the closed conversion, and match the open one.
    committed = tmp_path / "gateway.yaml"
    opened = runner.invoke(
        main, ["print", "--providers", "nginx", "-f", path, "--access-control-fallback", "open"]
    )
    committed.write_text(opened.stdout)
    against = ["diff", "--providers", "nginx", "-f", path, "--against", str(committed)]
    assert runner.invoke(main, against).exit_code == 1
    same = runner.invoke(main, [*against, "--access-control-fallback", "open"])
    assert same.exit_code == 0, same.output


def test_the_flag_lists_the_values_the_library_takes() -> None:
    from ingress2gateway.cli.commands import convert_options

    for command in ("print", "check", "diff"):
        (option,) = [
            p for p in main.commands[command].params if p.name == "access_control_fallback"
        ]
        assert isinstance(option.type, click.Choice)
        assert tuple(option.type.choices) == ACCESS_CONTROL_FALLBACKS

    assert convert_options({}, None).access_control_fallback == ACCESS_CONTROL_FALLBACKS[0]
    for value in ACCESS_CONTROL_FALLBACKS:
        assert (
            convert_options({"access_control_fallback": value}, None).access_control_fallback
            == value
        )
