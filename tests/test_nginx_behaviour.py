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
