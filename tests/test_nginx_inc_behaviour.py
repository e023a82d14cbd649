"""NGINX Inc (F5 NGINX Ingress Controller) behaviours, request by request (issue 21, 14–17).

Each test converts a small input and asks the Gateway API model of ``verify`` where requests
go; the expected answers are NGINX Inc's (its code and its own suite, ``tests/suite/*.py`` and
``tests/data`` in nginx/kubernetes-ingress, cited per test), and each input verifies with no
unexplained difference on both emitters. Where the controller's model itself is what changed
(``redirect-to-https``, ``listen-ports``, VirtualServer paths), the test asks it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ingress2gateway
from ingress2gateway.converting.pipeline import as_objects
from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import NoRoute, Outcome, Request
from ingress2gateway_providers.nginx import PROVIDER

from .golden import TESTDATA, Case, run_case
from .nginx_requests import answer, backend, convert, redirect, unexplained, upstream_path
from .shared_data import SHARED, require_shared

EMITTERS = ("standard", "envoy-gateway")
INC_CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: nginx.org/ingress-controller}
"""
COMMUNITY_CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
"""


def ingress(
    name: str,
    host: str,
    paths: list[tuple[str, str, str]],
    annotations: dict[str, str] | None = None,
    tls: bool = False,
    created: str = "2024-01-01T00:00:00Z",
    namespace: str = "cafe",
) -> str:
    """An Ingress of class nginx; ``paths`` are (path, pathType, Service)."""
    body: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": created,
            "annotations": annotations or {},
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": kind,
                                "backend": {"service": {"name": svc, "port": {"number": 80}}},
                            }
                            for path, kind, svc in paths
                        ]
                    },
                }
            ],
        },
    }
    if tls:
        body["spec"]["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    return "---\n" + yaml.safe_dump(body, sort_keys=False)


def controller(text: str, request: Request) -> Outcome:
    """What the model of the NGINX controllers answers (the source side of verify)."""
    objects = as_objects([o for o in yaml.safe_load_all(text) if o])
    model = PROVIDER.controller_model(objects, ConvertOptions())
    assert model is not None
    return model.route(request).outcome


def none_unexplained(text: str) -> None:
    for emitter in EMITTERS:
        assert unexplained(text, emitter) == [], emitter


def codes(result: ingress2gateway.Result) -> set[str]:
    return {n.code for n in result.report.notifications}


# --- 14: the class decides the controller ------------------------------------------------------

CAFE = INC_CLASS + ingress(
    "cafe-ingress",
    "cafe.example.com",
    [("/tea", "Prefix", "tea-svc"), ("/coffee", "Prefix", "coffee-svc")],
    tls=True,
)


def test_an_ingress_of_nginx_incs_class_is_nginx_incs_without_any_annotation() -> None:
    """The canonical cafe example (examples/ingress-resources/complete-example) has no
    nginx.org annotation; its IngressClass names nginx.org/ingress-controller. NGINX Inc then
    redirects HTTP with 301 (nginx.ingress.tmpl, http-redirect-code default) and serves the
    paths as nginx prefix locations: /tea takes /teapot (tests/suite/test_smoke.py: the
    backends answer over HTTPS)."""
    result = convert(CAFE)
    assert redirect(answer(result, Request("cafe.example.com", "/tea"))) == (
        301,
        "https://cafe.example.com/tea",
    )
    https = Request("cafe.example.com", "/teapot", scheme="https")
    assert backend(answer(result, https)) == "cafe/tea-svc"
    assert backend(answer(result, Request("cafe.example.com", "/coffee/x", scheme="https"))) == (
        "cafe/coffee-svc"
    )
    none_unexplained(CAFE)


COMMUNITY_CAFE = COMMUNITY_CLASS + ingress(
    "cafe",
    "cafe.example.com",
    [("/tea", "Prefix", "tea-svc")],
    {"nginx.org/http-redirect-code": "302"},
    tls=True,
)


def test_ingress_nginx_class_keeps_an_ingress_ingress_nginxs_whatever_it_carries() -> None:
    """An IngressClass naming k8s.io/ingress-nginx: ingress-nginx serves the Ingress and does
    not read nginx.org/http-redirect-code (308, its own code), and /teapot is not under /tea."""
    result = convert(COMMUNITY_CAFE)
    assert redirect(answer(result, Request("cafe.example.com", "/tea")))[0] == 308  # type: ignore[index]
    assert backend(answer(result, Request("cafe.example.com", "/teapot", scheme="https"))) is None
    entry = result.report.ledger[
        next(k for k in result.report.ledger if k[1].endswith("[nginx.org/http-redirect-code]"))
    ]
    assert any("does not read NGINX Inc's annotations" in note for note in entry.notes)


def test_ingress_nginx_class_keeps_the_trailing_slash_note() -> None:
    """The same Ingress: ingress-nginx's HTTPS redirect drops a trailing slash, which the
    report announces for ingress-nginx's Ingresses (nginx-redirect-trailing-slash)."""
    none_unexplained(COMMUNITY_CAFE)


def test_nginx_inc_reads_no_ingress_nginx_annotation() -> None:
    """NGINX Inc has no regex mode and no rewrite-target of ingress-nginx's: on an Ingress of
    its class, nginx.ingress.kubernetes.io/rewrite-target and use-regex change nothing."""
    text = INC_CLASS + ingress(
        "app",
        "app.example.com",
        [("/app", "Prefix", "app-svc")],
        {
            "nginx.ingress.kubernetes.io/rewrite-target": "/",
            "nginx.ingress.kubernetes.io/use-regex": "true",
        },
    )
    result = convert(text)
    assert upstream_path(answer(result, Request("app.example.com", "/app/x"))) == "/app/x"
    assert backend(answer(result, Request("app.example.com", "/APP/x"))) is None
    none_unexplained(text)


def test_a_character_prefix_that_another_prefix_continues_is_reported() -> None:
    """location /app and location /apple: nginx gives /apple/x to /apple (the longest prefix)
    and /apps to /app. A regular expression for /app's other requests would take /apple/x in
    Gateway API (regular expressions come before prefixes), so /app stays a segment prefix and
    a warning says /apps no longer reaches it; /apple keeps its character prefix."""
    text = INC_CLASS + ingress(
        "app",
        "app.example.com",
        [("/app", "Prefix", "app-svc"), ("/apple", "Prefix", "apple-svc")],
    )
    result = convert(text)
    assert backend(answer(result, Request("app.example.com", "/apple/x"))) == "cafe/apple-svc"
    assert backend(answer(result, Request("app.example.com", "/applesauce"))) == "cafe/apple-svc"
    assert backend(answer(result, Request("app.example.com", "/app/x"))) == "cafe/app-svc"
    assert backend(answer(result, Request("app.example.com", "/apps"))) is None
    assert backend(controller(text, Request("app.example.com", "/apps"))) == "cafe/app-svc"
    assert "nginx-inc-differs" in codes(result)
    none_unexplained(text)


def test_a_prefix_with_a_trailing_slash_redirects_the_path_without_it() -> None:
    """location /tea/ proxies: nginx answers /tea with a 301 to /tea/ (auto_redirect of
    ngx_http_core_find_location), where PathPrefix /tea/ would serve it."""
    text = INC_CLASS + ingress("cafe", "cafe.example.com", [("/tea/", "Prefix", "tea-svc")])
    result = convert(text)
    assert redirect(answer(result, Request("cafe.example.com", "/tea", query="a=1"))) == (
        301,
        "http://cafe.example.com/tea/?a=1",
    )
    assert backend(answer(result, Request("cafe.example.com", "/tea/green"))) == "cafe/tea-svc"
    none_unexplained(text)


# --- 15: an invalid nginx.org/path-regex rejects the Ingress ---------------------------------


def test_path_regex_true_is_an_error_and_the_ingress_is_not_served() -> None:
    """validation.go validatePathRegex accepts case_sensitive, case_insensitive and exact
    only; a failing annotation makes validateIngress fail and AddOrUpdateIngress drops the
    whole Ingress: none of its paths is served (the Go tool's nginx-path-regex fixture)."""
    text = INC_CLASS + ingress(
        "test-path-regex",
        "example.com",
        [("/api/v[0-9]+", "Prefix", "api-service"), ("/static", "Prefix", "static-service")],
        {"nginx.org/path-regex": "true"},
    )
    result = convert(text)
    errors = [n for n in result.report.notifications if n.level.value == "error"]
    assert [n.code for n in errors] == ["nginx-annotation-invalid"]
    assert errors[0].field == "metadata.annotations[nginx.org/path-regex]"
    assert "rejects the whole Ingress" in errors[0].message
    assert backend(answer(result, Request("example.com", "/static"))) is None
    assert backend(answer(result, Request("example.com", "/api/v1"))) is None
    assert not [r for r in result.resources if r["kind"] == "HTTPRoute"]
    none_unexplained(text)


def test_path_regex_case_insensitive_matches_any_case_from_the_start() -> None:
    """case_insensitive is location ~* "^/tea/[A-Z0-9]+": a search anchored at the start."""
    text = INC_CLASS + ingress(
        "regex",
        "cafe.example.com",
        [("/tea/[A-Z0-9]+", "ImplementationSpecific", "tea-svc")],
        {"nginx.org/path-regex": "case_insensitive"},
    )
    result = convert(text)
    assert backend(answer(result, Request("cafe.example.com", "/TEA/abc/more"))) == "cafe/tea-svc"
    assert backend(answer(result, Request("cafe.example.com", "/x/tea/abc"))) is None
    none_unexplained(text)


def test_rewrite_target_with_path_regex_captures() -> None:
    """tests/suite/test_rewrite_target.py (rewrite-regex.yaml): /v1/users/123 reaches the
    backend as /api/users/123 (a RegexRewrite, so on the envoy-gateway emitter)."""
    text = INC_CLASS + ingress(
        "rewrite-regex-ingress",
        "rewrite.example.com",
        [("/v1/([^/]+)/([^/]+)", "ImplementationSpecific", "backend1-svc")],
        {"nginx.org/rewrite-target": "/api/$1/$2", "nginx.org/path-regex": "case_sensitive"},
    )
    result = convert(text, "envoy-gateway")
    got = answer(result, Request("rewrite.example.com", "/v1/users/123"))
    assert upstream_path(got) == "/api/users/123"
    none_unexplained(text)


def test_static_rewrite_target() -> None:
    """tests/suite/test_rewrite_target.py (rewrite-static.yaml): /app reaches the backend as
    /backend."""
    text = INC_CLASS + ingress(
        "rewrite-static-ingress",
        "rewrite.example.com",
        [("/app", "Prefix", "backend1-svc")],
        {"nginx.org/rewrite-target": "/backend"},
    )
    result = convert(text)
    assert upstream_path(answer(result, Request("rewrite.example.com", "/app"))) == "/backend"
    none_unexplained(text)


# --- 16: listen-ports --------------------------------------------------------------------------

PORTS = INC_CLASS + ingress(
    "listen-ports-test",
    "custom-ports.example.com",
    [("/app", "Prefix", "app-service")],
    {"nginx.org/listen-ports": "8080,9090", "nginx.org/listen-ports-ssl": "8443"},
    tls=True,
)


def test_listen_ports_move_the_hosts_listeners() -> None:
    """nginx.ingress.tmpl: listen <port> for each nginx.org/listen-ports, listen <port> ssl for
    each listen-ports-ssl, instead of 80 and 443; the HTTPS redirect goes to
    https://$host:<first SSL port>$request_uri. The Go tool's nginx-listen-ports fixture."""
    result = convert(PORTS)
    listeners = {
        (x["port"], x["protocol"])
        for g in result.resources
        if g["kind"] == "Gateway"
        for x in g["spec"]["listeners"]
    }
    assert listeners == {(8080, "HTTP"), (9090, "HTTP"), (8443, "HTTPS")}
    for port in (8080, 9090):
        got = answer(result, Request("custom-ports.example.com", "/app/x", port=port))
        assert redirect(got) == (301, "https://custom-ports.example.com:8443/app/x")
    https = Request("custom-ports.example.com", "/app", scheme="https", port=8443)
    assert backend(answer(result, https)) == "cafe/app-service"
    assert isinstance(answer(result, Request("custom-ports.example.com", "/app")), NoRoute)
    assert backend(controller(PORTS, https)) == "cafe/app-service"
    assert isinstance(controller(PORTS, Request("custom-ports.example.com", "/app")), NoRoute)
    none_unexplained(PORTS)


def test_a_tls_entry_without_hosts_gives_nginx_inc_no_https() -> None:
    """addSSLConfig turns TLS on for a host only when a spec.tls entry lists it: the Go
    tool's nginx-listen-ports fixture (tls: [{secretName: ...}]) was served over plain HTTP on
    its listen ports, with no HTTPS and no redirect."""
    text = INC_CLASS + PORTS.replace(
        "  - hosts:\n    - custom-ports.example.com\n    secretName", "  - secretName"
    ).removeprefix(INC_CLASS)
    assert "hosts:" not in text.split("tls:")[1].split("rules:")[0]
    result = convert(text)
    got = answer(result, Request("custom-ports.example.com", "/app/x", port=8080))
    assert backend(got) == "cafe/app-service"
    https = Request("custom-ports.example.com", "/app", scheme="https", port=8443)
    assert isinstance(answer(result, https), NoRoute)
    assert "nginx-inc-differs" in codes(result)
    none_unexplained(text)


# --- 17: no ACME exemption ---------------------------------------------------------------------


def test_nginx_inc_redirects_acme_challenges_too() -> None:
    """nginx.ingress.tmpl redirects every plain-HTTP request of a TLS server (if ($scheme =
    http) { return 301 ... }), with no no-tls-redirect-locations as ingress-nginx has: an
    ACME path of the Ingress is redirected too."""
    text = INC_CLASS + ingress(
        "site",
        "site.example.com",
        [("/", "Prefix", "site"), ("/.well-known/acme-challenge/t0k", "Prefix", "solver")],
        tls=True,
    )
    result = convert(text)
    challenge = Request("site.example.com", "/.well-known/acme-challenge/t0k")
    assert redirect(answer(result, challenge)) == (
        301,
        "https://site.example.com/.well-known/acme-challenge/t0k",
    )
    none_unexplained(text)


def test_the_https_redirect_of_nginx_inc_rules_is_server_wide() -> None:
    """The same, for a TLS host whose only path is / (no exemption is involved): every HTTP
    request is redirected with 301, ACME challenges included."""
    text = INC_CLASS + ingress("site", "site.example.com", [("/", "Prefix", "site")], tls=True)
    result = convert(text)
    challenge = Request("site.example.com", "/.well-known/acme-challenge/t0k")
    assert redirect(answer(result, challenge))[0] == 301  # type: ignore[index]
    none_unexplained(text)


# --- redirect-to-https -------------------------------------------------------------------------

BEHIND_PROXY = INC_CLASS + ingress(
    "test-ssl-redirect",
    "secure.example.com",
    [("/", "Prefix", "secure-service"), ("/api", "Prefix", "api")],
    {"nginx.org/redirect-to-https": "true"},
)


def test_redirect_to_https_answers_a_forwarded_http_request_anywhere() -> None:
    """nginx.ingress.tmpl: if ($http_x_forwarded_proto = 'http') { return 301
    https://$host$request_uri; } in the server, before any location; other requests are
    served (the Go tool's nginx-ssl-redirect fixture)."""
    result = convert(BEHIND_PROXY)
    for path in ("/", "/api/x", "/apiary", "/nothing/here"):
        forwarded = Request("secure.example.com", path, headers=(("x-forwarded-proto", "http"),))
        expected = (301, f"https://secure.example.com{path}")
        assert redirect(answer(result, forwarded)) == expected, path
        assert redirect(controller(BEHIND_PROXY, forwarded)) == expected, path
    plain = Request("secure.example.com", "/api/x", headers=(("x-forwarded-proto", "https"),))
    assert backend(answer(result, plain)) == "cafe/api"
    none_unexplained(BEHIND_PROXY)


# --- rewrites ----------------------------------------------------------------------------------


def test_rewrites_replace_the_characters_the_location_matched() -> None:
    """proxy_pass http://upstream/beans/ in location /coffee sends /coffee/x as /beans//x
    (nginx replaces what the location matched); Gateway API's ReplacePrefixMatch sends
    /beans/x, and a warning says so. With matching slashes (the rewrites example, /tea/ → /)
    both agree."""
    text = INC_CLASS + ingress(
        "cafe",
        "cafe.example.com",
        [("/tea/", "Prefix", "tea-svc"), ("/coffee", "Prefix", "coffee-svc")],
        {
            "nginx.org/rewrites": "serviceName=tea-svc rewrite=/;serviceName=coffee-svc rewrite=/beans/"
        },
    )
    result = convert(text)
    assert upstream_path(answer(result, Request("cafe.example.com", "/tea/green"))) == "/green"
    assert upstream_path(answer(result, Request("cafe.example.com", "/coffee/x"))) == "/beans/x"
    got = controller(text, Request("cafe.example.com", "/coffee/x"))
    assert upstream_path(got) == "/beans//x"
    warned = [n for n in result.report.notifications if n.code == "nginx-inc-differs"]
    assert any("/beans//x" in n.message for n in warned)
    none_unexplained(text)


# --- which resource serves a host ---------------------------------------------------------------


def test_a_host_belongs_to_the_oldest_ingress() -> None:
    """configuration.go buildHostsAndResources: the older Ingress keeps the host; the newer
    one serves nothing there ("host ... is taken by another resource")."""
    text = (
        INC_CLASS
        + ingress("old", "cafe.example.com", [("/tea", "Prefix", "tea-svc")])
        + ingress(
            "new",
            "cafe.example.com",
            [("/coffee", "Prefix", "coffee-svc")],
            created="2025-01-01T00:00:00Z",
        )
    )
    result = convert(text)
    assert backend(answer(result, Request("cafe.example.com", "/tea"))) == "cafe/tea-svc"
    assert backend(answer(result, Request("cafe.example.com", "/coffee"))) is None
    assert "nginx-not-served" in codes(result)
    none_unexplained(text)


MASTER = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: cafe-master
  namespace: cafe
  creationTimestamp: "2024-01-01T00:00:00Z"
  annotations: {nginx.org/mergeable-ingress-type: master}
spec:
  ingressClassName: nginx
  tls: [{hosts: [cafe.example.com], secretName: cafe-secret}]
  rules:
  - host: cafe.example.com
"""


def test_a_master_without_minions_still_redirects_http() -> None:
    """A master has no paths (validateMasterSpec); its server still redirects HTTP to HTTPS
    before any location (examples/ingress-resources/mergeable-ingress-types/cafe-master)."""
    text = INC_CLASS + MASTER
    result = convert(text)
    assert redirect(answer(result, Request("cafe.example.com", "/coffee")))[0] == 301  # type: ignore[index]
    none_unexplained(text)


def test_minions_join_their_master_and_a_minion_without_one_is_not_served() -> None:
    """buildMinionConfigs: minions of the master's host add their paths (the older minion
    keeps a path both name); a minion of a host without master serves nothing
    (tests/suite/test_smoke.py mergeable: /backend1 and /backend2 over HTTPS)."""
    minion = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: cafe
  creationTimestamp: "{created}"
  annotations: {{nginx.org/mergeable-ingress-type: minion}}
spec:
  ingressClassName: nginx
  rules:
  - host: {host}
    http:
      paths:
      - {{path: {path}, pathType: Prefix, backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}}}
"""
    text = (
        INC_CLASS
        + MASTER
        + minion.format(
            name="b1",
            created="2024-02-01T00:00:00Z",
            host="cafe.example.com",
            path="/backend1",
            svc="backend1-svc",
        )
        + minion.format(
            name="b2",
            created="2024-03-01T00:00:00Z",
            host="cafe.example.com",
            path="/backend2",
            svc="backend2-svc",
        )
        + minion.format(
            name="dup",
            created="2024-04-01T00:00:00Z",
            host="cafe.example.com",
            path="/backend1",
            svc="other-svc",
        )
        + minion.format(
            name="orphan",
            created="2024-02-01T00:00:00Z",
            host="lost.example.com",
            path="/x",
            svc="x-svc",
        )
    )
    result = convert(text)
    for path, svc in (("/backend1", "backend1-svc"), ("/backend2", "backend2-svc")):
        got = answer(result, Request("cafe.example.com", path, scheme="https"))
        assert backend(got) == f"cafe/{svc}"
    assert isinstance(answer(result, Request("lost.example.com", "/x")), NoRoute)
    assert "nginx-not-served" in codes(result)
    none_unexplained(text)


def test_an_older_virtual_server_keeps_its_host() -> None:
    """buildHostsAndResources: VirtualServers compete with Ingresses for a host by age
    (chooseObjectMetaWinner), not after them."""
    text = (
        INC_CLASS
        + """
---
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: cafe, namespace: cafe, creationTimestamp: "2023-01-01T00:00:00Z"}
spec:
  host: cafe.example.com
  upstreams: [{name: vs, service: vs-svc, port: 80}]
  routes: [{path: /, action: {pass: vs}}]
"""
        + ingress("late", "cafe.example.com", [("/", "Prefix", "ingress-svc")])
    )
    assert backend(controller(text, Request("cafe.example.com", "/x"))) == "cafe/vs-svc"


# --- VirtualServers -----------------------------------------------------------------------------

VS_BASIC = """
---
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server, namespace: vs}
spec:
  host: virtual-server.example.com
  upstreams:
  - {name: backend2, service: backend2-svc, port: 80}
  - {name: backend1, service: backend1-svc, port: 80}
  routes:
  - {path: /backend1, action: {pass: backend1}}
  - {path: /backend2, action: {pass: backend2}}
"""


def test_virtual_server_routes_are_character_prefixes() -> None:
    """tests/suite/test_virtual_server.py (tests/data/virtual-server/standard): /backend1 and
    /backend2 reach their upstreams; a route path is an nginx prefix, so /backend1x does
    too."""
    result = convert(VS_BASIC)
    for path, svc in (
        ("/backend1", "backend1"),
        ("/backend2/x", "backend2"),
        ("/backend1x", "backend1"),
    ):
        assert (
            backend(answer(result, Request("virtual-server.example.com", path))) == f"vs/{svc}-svc"
        )
    none_unexplained(VS_BASIC)


def vs_tls(redirect_block: str, secret: str = "tls-secret") -> str:
    return f"""
---
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {{name: virtual-server-tls, namespace: vs}}
spec:
  host: virtual-server-tls.example.com
  tls:
    secret: "{secret}"
    redirect: {redirect_block}
  upstreams:
  - {{name: backend1, service: backend1-svc, port: 80}}
  routes:
  - {{path: /backend1, action: {{pass: backend1}}}}
"""


@pytest.mark.parametrize(
    ("block", "plain", "forwarded_http", "secure_forwarded_http"),
    [
        ("{enable: true}", 301, 301, None),
        ("{enable: true, code: 302, basedOn: scheme}", 302, 302, None),
        ("{enable: true, code: 308, basedOn: x-forwarded-proto}", None, 308, 308),
    ],
)
def test_virtual_server_tls_redirect(
    block: str, plain: int | None, forwarded_http: int | None, secure_forwarded_http: int | None
) -> None:
    """tests/suite/test_virtual_server_tls_redirect.py: by scheme (default 301) plain HTTP is
    redirected and HTTPS served; basedOn x-forwarded-proto redirects a request whose header is
    http on both ports, and serves the others."""
    text = vs_tls(block)
    result = convert(text)

    def code(request: Request) -> int | None:
        found = redirect(answer(result, request))
        return found[0] if found else None

    host = "virtual-server-tls.example.com"
    xfp_http = (("x-forwarded-proto", "http"),)
    assert code(Request(host, "/backend1")) == plain
    assert code(Request(host, "/backend1", headers=xfp_http)) == forwarded_http
    assert (
        code(Request(host, "/backend1", scheme="https", headers=xfp_http)) == secure_forwarded_http
    )
    https = Request(host, "/backend1", scheme="https", headers=(("x-forwarded-proto", "https"),))
    assert backend(answer(result, https)) == "vs/backend1-svc"
    none_unexplained(text)


def test_virtual_server_redirect_with_an_invalid_code_is_rejected() -> None:
    """tests/data/virtual-server-redirects/virtual-server-invalid.yaml: a redirect code 304 is
    refused by ValidateVirtualServer, and the VirtualServer serves nothing."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server, namespace: vs}
spec:
  host: virtual-server.example.com
  routes:
  - {path: /custom-redirect, action: {redirect: {code: 304, url: "http://example.com"}}}
"""
    result = convert(text)
    assert "nginx-resource-rejected" in codes(result)
    assert (
        redirect(answer(result, Request("virtual-server.example.com", "/custom-redirect"))) is None
    )
    none_unexplained(text)


VSR = """
---
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: cafe, namespace: front}
spec:
  host: cafe.example.com
  upstreams: [{name: tea, service: tea-svc, port: 80}]
  routes:
  - {path: /tea, action: {pass: tea}}
  - {path: /coffee, route: back/coffee}
---
apiVersion: k8s.nginx.org/v1
kind: VirtualServerRoute
metadata: {name: coffee, namespace: back}
spec:
  host: cafe.example.com
  upstreams: [{name: coffee, service: coffee-svc, port: 80}]
  subroutes:
  - {path: /coffee, action: {pass: coffee}}
"""


def test_virtual_server_route_delegation_across_namespaces() -> None:
    """tests/suite/test_v_s_route.py (basic-configuration-vsr): a route delegates to a
    VirtualServerRoute, whose subroutes pass to its own upstreams (in its namespace: the
    HTTPRoute names it, and a ReferenceGrant there allows it)."""
    result = convert(VSR)
    assert backend(answer(result, Request("cafe.example.com", "/coffee/x"))) == "back/coffee-svc"
    assert backend(answer(result, Request("cafe.example.com", "/tea"))) == "front/tea-svc"
    assert any(r["kind"] == "ReferenceGrant" for r in result.resources)
    none_unexplained(VSR)


def test_virtual_server_proxy_rewrite_path() -> None:
    """tests/suite/test_rewrites.py (virtual-server-rewrite.yaml): /backend1/abc → /abc,
    /backend2/abc → /backend2_1/abc, ~ /regex2/?(.*) with /$1: /regex2/abc → /abc (the last
    on the envoy-gateway emitter)."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: rewrite, namespace: vs}
spec:
  host: vs.example.com
  upstreams: [{name: hello, service: hello-svc, port: 80}]
  routes:
  - {path: /backend1/, action: {proxy: {upstream: hello, rewritePath: /}}}
  - {path: /backend2, action: {proxy: {upstream: hello, rewritePath: /backend2_1}}}
  - {path: "~ /regex2/?(.*)", action: {proxy: {upstream: hello, rewritePath: /$1}}}
"""
    result = convert(text, "envoy-gateway")
    for path, seen in (
        ("/backend1/", "/"),
        ("/backend1/abc", "/abc"),
        ("/backend2", "/backend2_1"),
        ("/backend2/abc", "/backend2_1/abc"),
        ("/regex2/abc", "/abc"),
    ):
        got = answer(result, Request("vs.example.com", path, query="arg=value"))
        assert upstream_path(got) == f"{seen}?arg=value", path
    for emitter in EMITTERS:
        assert unexplained(text, emitter) == []


def test_longest_prefix_with_caret_tilde_stops_regular_expressions() -> None:
    """examples/custom-resources/path-matching: ^~/images/static/ wins over ~ \\.jpg$ for
    /images/static/a.jpg (nginx's ^~)."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: path-matching, namespace: vs}
spec:
  host: path-matching.example.com
  upstreams: [{name: a, service: static-svc, port: 80}, {name: b, service: jpg-svc, port: 80}]
  routes:
  - {path: "^~/images/static/", action: {pass: a}}
  - {path: "~ \\\\.jpg$", action: {pass: b}}
"""
    got = controller(text, Request("path-matching.example.com", "/images/static/a.jpg"))
    assert backend(got) == "vs/static-svc"
    got = controller(text, Request("path-matching.example.com", "/other/a.jpg"))
    assert backend(got) == "vs/jpg-svc"
    result = convert(text)
    assert "nginx-inc-differs" in codes(result)
    none_unexplained(text)


def test_virtual_server_redirect_action() -> None:
    """tests/suite/test_virtual_server_redirects.py: /custom-redirect answers 307 with
    Location http://example.com; a URL built from nginx variables
    (${scheme}://${host}${request_uri}?arg=...) cannot be carried and is reported."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server, namespace: vs}
spec:
  host: virtual-server.example.com
  routes:
  - {path: /custom-redirect, action: {redirect: {code: 307, url: "http://example.com"}}}
  - path: /default-redirect
    action: {redirect: {url: "${scheme}://${host}${request_uri}?arg=${http_x_forwarded_proto}"}}
"""
    result = convert(text)
    got = answer(result, Request("virtual-server.example.com", "/custom-redirect"))
    assert redirect(got) == (307, "http://example.com/")
    assert "annotation-unsupported" in codes(result)
    none_unexplained(text)


def test_virtual_server_split_traffic() -> None:
    """tests/suite/test_virtual_server_split_traffic.py: /backends splits 90/10 between
    backend1-v1 and backend1-v2."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server-splitted, namespace: vs}
spec:
  host: virtual-server-splitted.example.com
  upstreams:
  - {name: backend1-v1, service: backend1-svc-v1, port: 80}
  - {name: backend1-v2, service: backend1-svc-v2, port: 80}
  routes:
  - path: /backends
    splits:
    - {weight: 90, action: {pass: backend1-v1}}
    - {weight: 10, action: {pass: backend1-v2}}
"""
    result = convert(text)
    got = answer(result, Request("virtual-server-splitted.example.com", "/backends"))
    shares = {b.name: float(w) for b, w in got.backends}  # type: ignore[union-attr]
    assert shares == {"backend1-svc-v1": 0.9, "backend1-svc-v2": 0.1}
    none_unexplained(text)


ADVANCED = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server-adv-routing, namespace: vs}
spec:
  host: virtual-server-adv-routing.example.com
  upstreams:
  - {name: backend4-stable, service: backend4-stable-svc, port: 80}
  - {name: backend1-future, service: backend1-future-svc, port: 80}
  - {name: backend3-deprecated, service: backend3-deprecated-svc, port: 80}
  - {name: backend2, service: backend2-svc, port: 80}
  routes:
  - path: /backends
    matches:
    - conditions: [{header: x-version, value: future}]
      action: {pass: backend1-future}
    - conditions: [{argument: arg1, value: v1}]
      action: {pass: backend3-deprecated}
    action: {pass: backend4-stable}
  - path: /backend2
    matches:
    - conditions: [{cookie: user, value: some}]
      action: {pass: backend4-stable}
    action: {pass: backend2}
"""


def test_virtual_server_header_and_argument_matches() -> None:
    """tests/suite/test_virtual_server_advanced_routing.py: x-version: future reaches
    backend1-future, arg1=v1 backend3-deprecated, anything else backend4-stable. NGINX Inc
    compares with a map, whose strings match ignoring case: x-version: FUTURE matches too. A
    cookie condition cannot be expressed (reported)."""
    result = convert(ADVANCED)
    host = "virtual-server-adv-routing.example.com"
    for headers, query, svc in (
        ((("x-version", "future"),), "", "backend1-future-svc"),
        ((("x-version", "FUTURE"),), "", "backend1-future-svc"),
        ((), "arg1=v1", "backend3-deprecated-svc"),
        ((("x-version", "past"),), "", "backend4-stable-svc"),
    ):
        got = answer(result, Request(host, "/backends", headers=headers, query=query))
        assert backend(got) == f"vs/{svc}", (headers, query)
    assert "annotation-unsupported" in codes(result)
    none_unexplained(ADVANCED)


def test_virtual_server_focused_canary() -> None:
    """tests/suite/test_virtual_server_focused_canary.py: with x-version: canary the request
    is split 90/10 between backend1 and backend2; without it, backend1."""
    text = """
apiVersion: k8s.nginx.org/v1
kind: VirtualServer
metadata: {name: virtual-server-canary, namespace: vs}
spec:
  host: virtual-server-canary.example.com
  upstreams:
  - {name: backend1, service: backend1-svc, port: 80}
  - {name: backend2, service: backend2-svc, port: 80}
  routes:
  - path: /backends/focused-canary
    matches:
    - conditions: [{header: x-version, value: canary}]
      splits:
      - {weight: 90, action: {pass: backend1}}
      - {weight: 10, action: {pass: backend2}}
    action: {pass: backend1}
"""
    result = convert(text)
    host = "virtual-server-canary.example.com"
    canary = answer(
        result, Request(host, "/backends/focused-canary", headers=(("x-version", "canary"),))
    )
    shares = {b.name: float(w) for b, w in canary.backends}  # type: ignore[union-attr]
    assert shares == {"backend1-svc": 0.9, "backend2-svc": 0.1}
    assert backend(answer(result, Request(host, "/backends/focused-canary"))) == "vs/backend1-svc"
    none_unexplained(text)


def test_hsts_header_as_the_template_writes_it() -> None:
    """tests/suite/test_hsts.py: over HTTPS the response carries
    Strict-Transport-Security: max-age=2592000; preload; plain HTTP is redirected."""
    text = INC_CLASS + ingress(
        "hsts",
        "hsts.example.com",
        [("/backend1", "Prefix", "backend1-svc")],
        {"nginx.org/hsts": "true"},
        tls=True,
    )
    result = convert(text)
    https_routes = [
        r
        for r in result.resources
        if r["kind"] == "HTTPRoute" and "https" in str(r["spec"]["parentRefs"])
    ]
    assert "'value': 'max-age=2592000; preload'" in str(https_routes)
    assert redirect(answer(result, Request("hsts.example.com", "/backend1")))[0] == 301  # type: ignore[index]
    none_unexplained(text)


def test_an_ingress_without_class_is_not_nginx_incs() -> None:
    """tests/suite/test_ingress_class.py: with no default IngressClass, an Ingress naming no
    class gets 404 from NGINX Inc; one of another class too."""
    text = (
        INC_CLASS
        + ingress("nginx-class", "nginx.example.com", [("/backend1", "Prefix", "backend1-svc")])
        + ingress(
            "custom", "custom.example.com", [("/backend1", "Prefix", "backend1-svc")]
        ).replace("ingressClassName: nginx", "ingressClassName: custom")
        + ingress("none", "none.example.com", [("/backend1", "Prefix", "backend1-svc")]).replace(
            "  ingressClassName: nginx\n", ""
        )
    )
    result = convert(text)
    assert backend(answer(result, Request("nginx.example.com", "/backend1"))) == "cafe/backend1-svc"
    for host in ("custom.example.com", "none.example.com"):
        assert isinstance(answer(result, Request(host, "/backend1")), NoRoute), host
    none_unexplained(text)


# --- zero unexplained differences -------------------------------------------------------------


def _inc_goldens() -> list[Case]:
    return [
        Case(d)
        for d in sorted((TESTDATA / "nginx").iterdir())
        if d.name.startswith(("inc-", "virtualserver", "corpus-inc-", "corpus-vs-", "corpus-ts-"))
        and (d / "input.yaml").exists()
    ]


@pytest.mark.parametrize("case", _inc_goldens(), ids=lambda c: c.id)
@pytest.mark.parametrize("emitter", EMITTERS)
def test_nginx_inc_goldens_verify_without_unexplained_differences(case: Case, emitter: str) -> None:
    objects = ingress2gateway.load_manifests([case.directory / "input.yaml"])
    args = case.args
    options = ConvertOptions(**args.pop("options", {}))
    found = ingress2gateway.verify(objects, providers="nginx", emitter=emitter, options=options)
    assert [d.request.display() for d in found.unexplained] == []
    assert run_case(case).report is not None


def _shared_inputs() -> list[Path]:
    corpus = SHARED / "corpus" / "nginx-inc"
    peer = SHARED / "peer" / "ingress2gateway" / "nginx-inc" / "input"
    found = (
        sorted(corpus.rglob("*.yaml")) + sorted(corpus.rglob("*.yml")) if corpus.exists() else []
    )
    return found + (sorted(peer.glob("*.yaml")) if peer.exists() else [])


@pytest.mark.parametrize("with_class", [False, True], ids=["annotations", "inc-class"])
@pytest.mark.parametrize("emitter", EMITTERS)
def test_nginx_inc_corpus_and_go_fixtures_verify_without_unexplained_differences(
    emitter: str, with_class: bool
) -> None:
    """The NGINX Inc files of ../shared/corpus/nginx-inc (its examples and tests/data) and the
    Go tool's nginx-inc fixtures, each alone and each with NGINX Inc's IngressClass (as the
    controller's own install makes it)."""
    require_shared("corpus", "nginx-inc")
    require_shared("peer", "ingress2gateway", "nginx-inc")
    failures = []
    for path in _shared_inputs():
        docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        if with_class:
            docs.insert(0, yaml.safe_load(INC_CLASS))
        found = ingress2gateway.verify(docs, providers="nginx", emitter=emitter)
        failures += [f"{path.name}: {d.request.display()}" for d in found.unexplained]
    assert failures == []


def test_the_ingress_nginx_configmap_does_not_apply_to_nginx_inc_ingresses() -> None:
    """ingress-nginx's ConfigMap (global-auth-url, add-headers, hsts) is read by ingress-nginx
    only: an Ingress of NGINX Inc's class gets no external auth, headers or HSTS from it,
    while an ingress-nginx Ingress beside it does (each controller in its own namespace)."""
    configmap = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data:
  global-auth-url: http://auth.auth.svc.cluster.local/check
  add-headers: ingress-nginx/custom-headers
"""
    text = INC_CLASS + ingress("cafe", "cafe.example.com", [("/tea", "Prefix", "tea")]) + configmap
    result = convert(text, "envoy-gateway")
    outcome = answer(result, Request("cafe.example.com", "/tea"))
    assert backend(outcome) == "cafe/tea"
    assert getattr(outcome, "guards", ()) == ()
    assert not [o for o in result.resources if o["kind"] == "SecurityPolicy"]
    community = COMMUNITY_CLASS + ingress("shop", "shop.example.com", [("/", "Prefix", "app")])
    guarded = answer(convert(community + configmap, "envoy-gateway"), Request("shop.example.com"))
    assert getattr(guarded, "guards", ()) == ("external-auth",)


def test_each_controller_s_redirect_keys_are_credited_only_to_its_own_ingresses() -> None:
    """An ingress-nginx Ingress carrying nginx.org/ssl-redirect: ingress-nginx never read it,
    so the ledger says ignored, not converted (the HTTPS redirect came from its own key)."""
    text = COMMUNITY_CLASS + ingress(
        "shop",
        "shop.example.com",
        [("/", "Prefix", "app")],
        {"nginx.org/ssl-redirect": "false", "nginx.ingress.kubernetes.io/ssl-redirect": "true"},
        tls=True,
    )
    result = convert(text)
    status = {
        e.field: e.status.value for e in result.report.ledger.values() if "ssl-redirect" in e.field
    }
    assert status == {
        "metadata.annotations[nginx.org/ssl-redirect]": "ignored",
        "metadata.annotations[nginx.ingress.kubernetes.io/ssl-redirect]": "converted",
    }
    assert redirect(answer(result, Request("shop.example.com"))) is not None
