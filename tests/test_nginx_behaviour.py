"""ingress-nginx and NGINX Inc behaviours, request by request (issue: nginx round 2).

Each test converts a small input and asks the Gateway API model of ``verify`` where requests
go; the expected answers are the controllers' (their code and e2e tests, cited per test), and
each input also verifies with no unexplained difference.
"""

from __future__ import annotations

from ingress2gateway.plugin import ConvertOptions
from ingress2gateway.verification.model import Request

from .nginx_requests import answer, backend, convert, redirect, unexplained, upstream_path

TLS_SITE = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: web}
spec:
  ingressClassName: nginx
  tls: [{hosts: [site.example.com], secretName: site-tls}]
  rules:
  - host: site.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
"""

SOLVER = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: cm-acme-http-solver
  namespace: web
  annotations: {nginx.ingress.kubernetes.io/force-ssl-redirect: "true"}
spec:
  ingressClassName: nginx
  rules:
  - host: site.example.com
    http:
      paths:
      - path: /.well-known/acme-challenge/Ab9
        pathType: ImplementationSpecific
        backend: {service: {name: solver, port: {number: 8089}}}
"""


def test_acme_challenges_are_exempt_by_the_location_path_not_the_request_path() -> None:
    """ingress-nginx's no-tls-redirect-locations (lua_ingress.lua redirect_to_https,
    template.go isLocationInLocationList): a challenge only ``/`` serves is redirected; the
    solver's own path is served over HTTP, even with force-ssl-redirect."""
    plain = convert(TLS_SITE)
    challenge = Request("site.example.com", "/.well-known/acme-challenge/Ab9")
    assert redirect(answer(plain, challenge)) == (
        308,
        "https://site.example.com/.well-known/acme-challenge/Ab9",
    )
    with_solver = convert(TLS_SITE + SOLVER)
    assert backend(answer(with_solver, challenge)) == "web/solver"
    assert redirect(answer(with_solver, Request("site.example.com", "/other"))) == (
        308,
        "https://site.example.com/other",
    )
    assert unexplained(TLS_SITE) == [] and unexplained(TLS_SITE + SOLVER) == []


def rewriting(annotations: str, path: str, path_type: str = "ImplementationSpecific") -> str:
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rw
  namespace: web
  annotations: {{{annotations}}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: [rw.example.com], secretName: rw-tls}}]
  rules:
  - host: rw.example.com
    http:
      paths:
      - {{path: "{path}", pathType: {path_type}, backend: {{service: {{name: app, port: {{number: 80}}}}}}}}
"""


def test_a_capture_group_the_path_lacks_rewrites_to_nothing() -> None:
    """nginx's rewrite expands a group the regex does not have to the empty string
    (ngx_http_script_copy_capture_code): ``/x/$3`` with two groups sends ``/x/``."""
    text = rewriting('nginx.ingress.kubernetes.io/rewrite-target: "/x/$3"', "/api(/|$)(.*)")
    result = convert(text)
    https = Request("rw.example.com", "/api/items", scheme="https")
    assert upstream_path(answer(result, https)) == "/x/"
    assert unexplained(text) == []


def test_a_capture_group_the_path_has_is_kept_beside_a_missing_one() -> None:
    text = rewriting('nginx.ingress.kubernetes.io/rewrite-target: "/$2/$5"', "/api(/|$)(.*)")
    result = convert(text, "envoy-gateway")
    https = Request("rw.example.com", "/api/items", scheme="https")
    assert upstream_path(answer(result, https)) == "/items/"
    assert unexplained(text, "envoy-gateway") == []


def test_an_absolute_rewrite_target_redirects_with_302_before_the_https_redirect() -> None:
    """nginx's rewrite with a replacement starting ``http://`` or ``https://`` ends the request
    with a 302 (ngx_http_rewrite_module), in the rewrite phase, before ingress-nginx's Lua
    HTTPS redirect runs; so plain HTTP gets the 302 too."""
    text = rewriting(
        'nginx.ingress.kubernetes.io/rewrite-target: "https://new.example.com/moved"', "/old"
    )
    result = convert(text)
    for scheme in ("http", "https"):
        outcome = answer(result, Request("rw.example.com", "/old/page", scheme=scheme))
        assert redirect(outcome) == (302, "https://new.example.com/moved")
    assert unexplained(text) == []


def test_the_catch_all_location_redirects_as_the_ingress_that_created_the_host() -> None:
    """ingress-nginx gives a host's default location ``/`` the annotations of the oldest
    Ingress with a rule for it (controller.go createServers, locationApplyAnnotations), so a
    redirect there answers every request no path takes; an Ingress with a Prefix ``/`` path
    replaces that location."""
    alone = rewriting(
        'nginx.ingress.kubernetes.io/permanent-redirect: "https://new.example.com/"', "/old"
    )
    result = convert(alone)
    for path in ("/old", "/other", "/"):
        for scheme in ("http", "https"):
            got = answer(result, Request("rw.example.com", path, scheme=scheme))
            assert redirect(got) == (301, "https://new.example.com/"), (path, scheme)
    assert unexplained(alone) == []
    root = (
        alone
        + """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: root, namespace: web, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: rw.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: root, port: {number: 80}}}}
"""
    )
    result = convert(root)
    assert (
        backend(answer(result, Request("rw.example.com", "/other", scheme="https"))) == "web/root"
    )
    assert redirect(answer(result, Request("rw.example.com", "/old", scheme="https"))) == (
        301,
        "https://new.example.com/",
    )
    assert unexplained(root) == []


def test_a_rewrite_target_equal_to_a_prefix_path_still_rewrites_below_it() -> None:
    """ingress-nginx serves Prefix ``/app`` as ``= /app`` and ``/app/``; only the second
    differs from the target, so it alone rewrites (template.go needsRewrite), and that turns
    on regex mode for the whole server (enforceRegexModifier): case-insensitive prefixes."""
    text = rewriting("nginx.ingress.kubernetes.io/rewrite-target: /app", "/app", "Prefix")
    result = convert(text)

    def sees(path: str) -> str | None:
        return upstream_path(answer(result, Request("rw.example.com", path, scheme="https")))

    assert sees("/app") == "/app"
    assert sees("/app/deep/page") == "/app"
    assert sees("/APP/deep") == "/app"
    assert sees("/apple") == "/apple"
    assert unexplained(text) == []


def test_the_strip_prefix_idiom_warns_that_other_letter_cases_no_longer_match() -> None:
    text = rewriting(
        'nginx.ingress.kubernetes.io/rewrite-target: "/$2",'
        ' nginx.ingress.kubernetes.io/use-regex: "true"',
        "/something(/|$)(.*)",
    )
    result = convert(text)
    assert (
        upstream_path(answer(result, Request("rw.example.com", "/something/a/b", scheme="https")))
        == "/a/b"
    )
    assert "nginx-case-insensitive" in {n.code for n in result.report.notifications}
    assert unexplained(text) == []


def app(name: str, annotations: str, paths: str, stamp: str, tls: bool = True) -> str:
    secured = "\n  tls: [{hosts: [app.example.com], secretName: app-tls}]" if tls else ""
    return f"""
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: web
  creationTimestamp: "{stamp}"
  annotations: {{{annotations}}}
spec:
  ingressClassName: nginx{secured}
  rules:
  - host: app.example.com
    http:
      paths: {paths}
"""


def _paths(*items: tuple[str, str, str]) -> str:
    return (
        "["
        + ", ".join(
            f"{{path: {p}, pathType: {t}, backend: {{service: {{name: {s}, port: {{number: 80}}}}}}}}"
            for p, t, s in items
        )
        + "]"
    )


APP_ROOT = 'nginx.ingress.kubernetes.io/app-root: "/app"'


def test_app_root_answers_on_both_listeners_before_the_https_redirect() -> None:
    """``if ($uri = /) { return 302 $scheme://$http_host<root>; }`` sits in the location
    (nginx.tmpl), in the rewrite phase that runs before the Lua HTTPS redirect: plain HTTP
    keeps its scheme (test/e2e/annotations/approot.go asserts the 302 and Location)."""
    text = app("site", APP_ROOT, _paths(("/", "Prefix", "site")), "2024-01-01T00:00:00Z")
    result = convert(text)
    got = answer(result, Request("app.example.com", "/"))
    assert redirect(got) == (302, "http://app.example.com/app")
    got = answer(result, Request("app.example.com", "/", scheme="https"))
    assert redirect(got) == (302, "https://app.example.com/app")
    got = answer(result, Request("app.example.com", "/other"))
    assert redirect(got) == (308, "https://app.example.com/other")
    assert backend(answer(result, Request("app.example.com", "/app", scheme="https"))) == (
        "web/site"
    )
    assert unexplained(text) == []


def test_app_root_with_ssl_redirect_off_keeps_plain_http_working() -> None:
    annotations = APP_ROOT + ', nginx.ingress.kubernetes.io/ssl-redirect: "false"'
    text = app("site", annotations, _paths(("/", "Prefix", "site")), "2024-01-01T00:00:00Z")
    result = convert(text)
    assert redirect(answer(result, Request("app.example.com", "/"))) == (
        302,
        "http://app.example.com/app",
    )
    assert backend(answer(result, Request("app.example.com", "/app/page"))) == "web/site"
    assert unexplained(text) == []


def test_app_root_applies_where_its_ingress_takes_the_root_only() -> None:
    """Another Ingress's ``/`` path takes ``/``: its location has no app-root. An Ingress's
    own Exact ``/`` path is its location, so the redirect applies there too."""
    older = app("root", "", _paths(("/", "Prefix", "root")), "2024-01-01T00:00:00Z")
    newer = app("api", APP_ROOT, _paths(("/api", "Prefix", "api")), "2024-02-01T00:00:00Z")
    result = convert(older + newer)
    assert backend(answer(result, Request("app.example.com", "/", scheme="https"))) == "web/root"
    assert unexplained(older + newer) == []
    exact = app("site", APP_ROOT, _paths(("/", "Exact", "site")), "2024-01-01T00:00:00Z")
    got = answer(convert(exact), Request("app.example.com", "/", scheme="https"))
    assert redirect(got) == (302, "https://app.example.com/app")
    assert unexplained(exact) == []


def test_app_root_of_the_oldest_ingress_answers_through_the_catch_all() -> None:
    """With no ``/`` path on the host, ``/`` reaches the catch-all location, which has the
    annotations of the host's oldest Ingress (createServers)."""
    text = app("api", APP_ROOT, _paths(("/api", "Prefix", "api")), "2024-01-01T00:00:00Z")
    got = answer(convert(text), Request("app.example.com", "/", scheme="https"))
    assert redirect(got) == (302, "https://app.example.com/app")
    assert unexplained(text) == []


NO_SECRET = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain-tls, namespace: web}
spec:
  ingressClassName: nginx
  tls: [{hosts: [site.example.com]}]
  rules:
  - host: site.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
"""


def _https_secrets(result: object) -> list[tuple[str | None, str]]:
    found = []
    for obj in result.resources:  # type: ignore[attr-defined]
        if obj["kind"] == "Gateway":
            for listener in obj["spec"]["listeners"]:
                for ref in listener.get("tls", {}).get("certificateRefs", []):
                    found.append((ref.get("namespace"), ref["name"]))
    return found


def test_a_tls_entry_without_secret_keeps_https_and_its_redirect() -> None:
    """createServers: a TLS host without secretName gets the controller's default certificate
    (getDefaultSSLCertificate), so it is served over HTTPS and plain HTTP is redirected; the
    migration must not downgrade it to plain HTTP."""
    result = convert(NO_SECRET)
    assert redirect(answer(result, Request("site.example.com", "/a"))) == (
        308,
        "https://site.example.com/a",
    )
    assert backend(answer(result, Request("site.example.com", "/a", scheme="https"))) == "web/site"
    assert _https_secrets(result) == [(None, "default-certificate")]
    warned = [n for n in result.report.notifications if n.code == "tls-without-secret"]
    assert warned and warned[0].level.value == "warning"
    assert "web/default-certificate" in warned[0].message
    assert unexplained(NO_SECRET) == []


def test_the_default_certificate_option_names_the_controllers_secret() -> None:
    options = ConvertOptions(default_certificate="ingress-nginx/wildcard-tls")
    result = convert(NO_SECRET, options=options)
    assert _https_secrets(result) == [("ingress-nginx", "wildcard-tls")]
    grants = [o for o in result.resources if o["kind"] == "ReferenceGrant"]
    assert [g["metadata"]["namespace"] for g in grants] == ["ingress-nginx"]
    assert grants[0]["spec"]["to"] == [{"group": "", "kind": "Secret", "name": "wildcard-tls"}]
    assert {
        n.level.value for n in result.report.notifications if n.code == "tls-without-secret"
    } == {"info"}


FORCED = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: forced
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/force-ssl-redirect: "true"
    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8"
spec:
  ingressClassName: nginx
  rules:
  - host: plain.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
"""

FORWARDED_HEADERS = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {use-forwarded-headers: "true"}
"""


def test_force_ssl_redirect_without_tls_redirects_what_arrives_as_http() -> None:
    """redirect_to_https (lua_ingress.lua): force_ssl_redirect redirects when
    ``$pass_access_scheme`` is http, certificate or not (e2e forcesslredirect.go)."""
    result = convert(FORCED, "envoy-gateway")
    got = answer(
        result, Request("plain.example.com", "/a", headers=(("x-forwarded-proto", "https"),))
    )
    assert redirect(got) == (308, "https://plain.example.com/a")
    assert unexplained(FORCED, "envoy-gateway") == []


def test_force_ssl_redirect_behind_a_tls_proxy_serves_https_with_its_features() -> None:
    """With use-forwarded-headers, ``$pass_access_scheme`` is X-Forwarded-Proto: what the proxy
    in front received over HTTPS reaches the backend, allow-list and all; the rest is
    redirected."""
    text = FORCED + FORWARDED_HEADERS
    result = convert(text, "envoy-gateway")
    proxied = Request("plain.example.com", "/a", headers=(("x-forwarded-proto", "https"),))
    got = answer(result, proxied)
    assert backend(got) == "web/app" and "ip-allow 10.0.0.0/8" in got.guards  # type: ignore[union-attr]
    assert redirect(answer(result, Request("plain.example.com", "/a"))) == (
        308,
        "https://plain.example.com/a",
    )
    assert unexplained(text, "envoy-gateway") == []


def test_a_tls_host_behind_a_tls_proxy_is_not_redirected_either() -> None:
    text = TLS_SITE + FORWARDED_HEADERS
    result = convert(text)
    proxied = Request("site.example.com", "/a", headers=(("x-forwarded-proto", "https"),))
    assert backend(answer(result, proxied)) == "web/site"
    assert redirect(answer(result, Request("site.example.com", "/a"))) == (
        308,
        "https://site.example.com/a",
    )
    assert unexplained(text) == []


def www(tls_hosts: str, extra: str = "") -> str:
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: web
  annotations: {{nginx.ingress.kubernetes.io/from-to-www-redirect: "true"}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: {tls_hosts}, secretName: site-tls}}]
  rules:
  - host: example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: site, port: {{number: 80}}}}}}}}
{extra}"""


def test_the_www_twin_answers_on_https_when_the_certificate_names_it() -> None:
    """BuildRedirects gives the redirect server the host's certificate when it covers the twin;
    ngx_srv_redirect.lua keeps the scheme (e2e fromtowwwredirect.go: 'should redirect from
    www HTTPS to HTTPS')."""
    text = www("[example.com, www.example.com]")
    result = convert(text)
    got = answer(result, Request("www.example.com", "/x", scheme="https"))
    assert redirect(got) == (308, "https://example.com/x")
    assert redirect(answer(result, Request("www.example.com", "/x"))) == (
        308,
        "http://example.com/x",
    )
    assert unexplained(text) == []


def test_the_www_twin_has_no_https_without_a_certificate_for_it() -> None:
    text = www("[example.com]")
    result = convert(text)
    got = answer(result, Request("www.example.com", "/x", scheme="https"))
    assert redirect(got) is None and backend(got) is None
    assert unexplained(text) == []


def test_the_www_redirect_uses_the_configmaps_redirect_code() -> None:
    """nginx.tmpl: ``return {{ $all.Cfg.HTTPRedirectCode }} $redirect_to;``."""
    config = """---
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {http-redirect-code: "301"}
"""
    text = www("[example.com]", config)
    got = answer(convert(text), Request("www.example.com", "/x"))
    assert redirect(got) == (301, "http://example.com/x")
    assert unexplained(text) == []


def primary_and_canary(
    canary_annotations: str,
    canary_path: str = "{path: /, pathType: Prefix}",
    primary_paths: str = "[{path: /, pathType: Prefix}]",
) -> str:
    paths = primary_paths.replace("}", ", backend: {service: {name: v1, port: {number: 80}}}}")
    mine = canary_path.replace("}", ", backend: {service: {name: v2, port: {number: 80}}}}")
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app, namespace: web, creationTimestamp: "2024-01-01T00:00:00Z"}}
spec:
  ingressClassName: nginx
  rules:
  - host: app.example.com
    http:
      paths: {paths}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-canary
  namespace: web
  creationTimestamp: "2024-02-01T00:00:00Z"
  annotations: {{nginx.ingress.kubernetes.io/canary: "true", {canary_annotations}}}
spec:
  ingressClassName: nginx
  rules:
  - host: app.example.com
    http:
      paths: [{mine}]
"""


def _sent(result: object, path: str = "/", **headers: str) -> str | None:
    request = Request("app.example.com", path, headers=tuple(sorted(headers.items())))
    return backend(answer(result, request))  # type: ignore[arg-type]


def test_canary_by_header_value_gives_always_and_never_no_meaning() -> None:
    """balancer.lua route_to_alternative_balancer: with canary-by-header-value only that value
    routes to the canary; any other value, 'always' and 'never' included, falls through to the
    cookie, then the weight (e2e canary.go: 'should route requests to the correct upstream if
    mainline ingress is created before the canary ingress' with header values)."""
    text = primary_and_canary(
        'nginx.ingress.kubernetes.io/canary-by-header: "X-Canary", '
        'nginx.ingress.kubernetes.io/canary-by-header-value: "DoCanary", '
        'nginx.ingress.kubernetes.io/canary-weight: "100"'
    )
    result = convert(text)
    assert _sent(result, **{"x-canary": "DoCanary"}) == "web/v2"
    assert _sent(result, **{"x-canary": "never"}) == "web/v2"  # the weight decides: 100%
    assert _sent(result, **{"x-canary": "always"}) == "web/v2"
    assert unexplained(text) == []


def test_canary_by_header_pattern_is_searched_anywhere_in_the_value() -> None:
    """balancer.lua: ngx.re.match(value, pattern) is an unanchored search."""
    text = primary_and_canary(
        'nginx.ingress.kubernetes.io/canary-by-header: "X-User", '
        'nginx.ingress.kubernetes.io/canary-by-header-pattern: "bob|alice"'
    )
    result = convert(text)
    assert _sent(result, **{"x-user": "user-bob-42"}) == "web/v2"
    assert _sent(result, **{"x-user": "carol"}) == "web/v1"
    assert _sent(result, **{"x-user": "never"}) == "web/v1"
    assert unexplained(text) == []


def test_a_canary_joins_by_the_raw_path_and_path_type() -> None:
    """mergeAlternativeBackends: ``loc.Path == path.Path && *loc.PathType == *path.PathType``;
    an Exact canary does not join a Prefix location of the same path."""
    header = 'nginx.ingress.kubernetes.io/canary-by-header: "X-Canary"'
    same = primary_and_canary(
        header, "{path: /app, pathType: ImplementationSpecific}", "[{path: /app, pathType: Prefix}]"
    )
    assert _sent(convert(same), "/app/x", **{"x-canary": "always"}) == "web/v2"
    assert unexplained(same) == []
    other = primary_and_canary(
        header, "{path: /app, pathType: Exact}", "[{path: /app, pathType: Prefix}]"
    )
    assert _sent(convert(other), "/app", **{"x-canary": "always"}) == "web/v1"
    assert unexplained(other) == []


def test_a_canary_applies_to_every_location_of_its_upstream() -> None:
    """The canary becomes an alternative backend of the primary's *upstream*, and balancer.lua
    decides per upstream: every path proxied to that Service takes the canary too."""
    text = primary_and_canary(
        'nginx.ingress.kubernetes.io/canary-by-header: "X-Canary"',
        "{path: /, pathType: Prefix}",
        "[{path: /, pathType: Prefix}, {path: /api, pathType: Prefix}]",
    )
    result = convert(text)
    assert _sent(result, "/api/items", **{"x-canary": "always"}) == "web/v2"
    assert _sent(result, "/api/items") == "web/v1"
    assert unexplained(text) == []


GRPC_TLS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: grpc
  namespace: web
  annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPC}
spec:
  ingressClassName: nginx
  tls: [{hosts: [grpc.example.com], secretName: grpc-tls}]
  rules:
  - host: grpc.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: greeter, port: {number: 50051}}}}
"""


def test_plain_http_to_a_grpc_host_with_tls_is_redirected_as_before() -> None:
    """A gRPC Ingress's location redirects plain HTTP like any other (lua_ingress.lua); the
    migration serves gRPC on HTTPS and keeps that redirect on HTTP instead of a 404."""
    result = convert(GRPC_TLS)
    call = Request(
        "grpc.example.com",
        "/helloworld.Greeter/SayHello",
        method="POST",
        headers=(("content-type", "application/grpc"),),
        grpc=True,
    )
    assert redirect(answer(result, call)) == (
        308,
        "https://grpc.example.com/helloworld.Greeter/SayHello",
    )
    secure = Request(
        "grpc.example.com",
        "/helloworld.Greeter/SayHello",
        scheme="https",
        method="POST",
        headers=(("content-type", "application/grpc"),),
        grpc=True,
    )
    assert backend(answer(result, secure)) == "web/greeter"
    assert unexplained(GRPC_TLS) == []


SLASHED = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: docs, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: docs.example.com
    http:
      paths:
      - {path: /guide/, pathType: Prefix, backend: {service: {name: guide, port: {number: 80}}}}
      - {path: /, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
"""


def test_a_prefix_path_ending_in_a_slash_redirects_its_bare_name_with_301() -> None:
    """nginx: for ``location /guide/`` that proxies, a request for ``/guide`` is answered with
    a 301 to ``/guide/`` (ngx_http_core_find_static_location's auto_redirect), though the
    ``/`` location would take ``/guide`` by prefix; Gateway API's PathPrefix ``/guide/``
    takes ``/guide`` itself."""
    result = convert(SLASHED)
    got = answer(result, Request("docs.example.com", "/guide", query="page=2"))
    assert redirect(got) == (301, "http://docs.example.com/guide/?page=2")
    assert backend(answer(result, Request("docs.example.com", "/guide/intro"))) == "web/guide"
    assert backend(answer(result, Request("docs.example.com", "/guidebook"))) == "web/site"
    assert unexplained(SLASHED) == []


def test_the_bare_name_of_a_slashed_prefix_is_not_redirected_when_a_path_takes_it() -> None:
    text = (
        SLASHED
        + """      - {path: /guide, pathType: Exact, backend: {service: {name: exact, port: {number: 80}}}}
"""
    )
    got = answer(convert(text), Request("docs.example.com", "/guide"))
    assert backend(got) == "web/exact"
    assert unexplained(text) == []


def test_a_resource_backend_is_skipped_as_ingress_nginx_skips_it() -> None:
    """getBackendServers: 'skip non-service backends' — no location for that path, so its
    requests go wherever the host's other paths take them."""
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: static, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: static.example.com
    http:
      paths:
      - path: /assets
        pathType: Prefix
        backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}
      - {path: /, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
"""
    result = convert(text)
    assert backend(answer(result, Request("static.example.com", "/assets/logo.png"))) == "web/site"
    assert "backend-resource-ignored" in {n.code for n in result.report.notifications}
    assert unexplained(text) == []


def test_a_wildcard_host_took_one_label_and_the_report_says_deeper_names_change() -> None:
    """buildServerName: ``*.example.com`` is ``~^(?<subdomain>[\\w-]+)\\.example\\.com$``."""
    text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: tenants, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: "*.apps.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: tenant, port: {number: 80}}}}
"""
    result = convert(text)
    assert backend(answer(result, Request("a.apps.example.com", "/"))) == "web/tenant"
    warned = [n for n in result.report.notifications if n.code == "nginx-wildcard-depth"]
    assert warned and warned[0].field == "spec.rules[0].host"
    assert unexplained(text) == []
