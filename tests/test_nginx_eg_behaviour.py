"""ingress-nginx annotations whose behaviour reaches Envoy Gateway policies, request by request
where routing is involved (issue: nginx round 2, items 10 to 13).

Routing (``upstream-vhost``) is checked through the Gateway API model of ``verify``; the
policies that do not change where a request goes (sign-in redirects, body limits, cookie
attributes) are checked on the emitted objects and on the report. Each test cites the
controller code it follows.
"""

from __future__ import annotations

import json
from typing import Any

import ingress2gateway
from ingress2gateway.converting.screening import _Screen
from ingress2gateway.emitters.envoy_gateway._base import BackendRegistry, MapEnv
from ingress2gateway.emitters.envoy_gateway.traffic import body_size, sign_in_redirect
from ingress2gateway.ir import BodySize, Provenance, SessionAffinity, SignInRedirect
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import LedgerEntry, Level, Notification, Recorder, Status
from ingress2gateway.validation import validate
from ingress2gateway.verification.model import Forward, Request

from .nginx_requests import answer, backend, convert, unexplained

PREFIX = "nginx.ingress.kubernetes.io/"


def ingress(
    annotations: dict[str, str],
    paths: str = "- {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}",
    host: str = "vh.example.com",
    name: str = "site",
    tls: bool = False,
) -> str:
    """One Ingress of class nginx in namespace web; ``paths`` is the YAML list of its paths."""
    shown = "".join(
        f"\n    {PREFIX}{key}: {json.dumps(value)}" for key, value in annotations.items()
    )
    spec_tls = f"\n  tls: [{{hosts: ['{host}'], secretName: site-tls}}]" if tls else ""
    indented = "\n".join("      " + line for line in paths.strip().splitlines())
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: web
  annotations:{shown or " {}"}
spec:
  ingressClassName: nginx{spec_tls}
  rules:
  - host: "{host}"
    http:
      paths:
{indented}
"""


def field(name: str) -> str:
    return f"metadata.annotations[{PREFIX}{name}]"


def entry(result: ingress2gateway.Result, name: str) -> LedgerEntry:
    """The ledger entry of annotation ``name`` (or of a ConfigMap ``data[...]`` key)."""
    wanted = name if name.startswith("data[") else field(name)
    found = [e for (_, key), e in result.report.ledger.items() if key == wanted]
    assert len(found) == 1, f"{wanted}: {len(found)} ledger entries"
    return found[0]


def notes_on(result: ingress2gateway.Result, name: str) -> list[Notification]:
    wanted = name if name.startswith("data[") else field(name)
    return [n for n in result.report.notifications if n.field == wanted]


def objects(result: ingress2gateway.Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.resources if o["kind"] == kind]


def upstream_host(result: ingress2gateway.Result, request: Request) -> str | None:
    outcome = answer(result, request)
    return outcome.host if isinstance(outcome, Forward) else None


def same_routing(text: str, emitter: str = "standard") -> bool:
    """No unexplained difference but those of a wildcard host's deeper names: ingress-nginx
    makes ``*.example.com`` a one-label regex server name (buildServerName, template.go) where
    Gateway API matches any depth — a difference of host matching, not of this file's
    annotations (reported to the lead)."""
    return [d for d in unexplained(text, emitter) if "//deep.wild." not in d] == []


def assert_valid(result: ingress2gateway.Result) -> None:
    for obj in result.resources:
        assert validate(obj, result.target) == [], f"invalid {obj['kind']} {obj['metadata']}"


# --- 10. upstream-vhost --------------------------------------------------------------------

TWO_SERVICES = """
- {path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
- {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: web}}}}
"""
API_SERVICE = """
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: web}
spec: {ports: [{name: web, port: 8080}]}
"""


def test_a_plain_upstream_vhost_is_the_host_the_backend_receives() -> None:
    """test/e2e/annotations/upstreamvhost.go: ``proxy_set_header Host "upstreamvhost.bar.com"``."""
    text = ingress({"upstream-vhost": "upstreamvhost.bar.com"})
    result = convert(text)
    assert upstream_host(result, Request("vh.example.com", "/x")) == "upstreamvhost.bar.com"
    assert unexplained(text) == []


def test_location_variables_resolve_per_rule() -> None:
    """nginx.tmpl sets ``$namespace``, ``$service_name`` and ``$service_port`` in each location
    from getIngressInformation (template.go): the Service of that path, and its port as the
    Ingress writes it (a number, or the port's name)."""
    value = "$service_name.$namespace.svc.cluster.local"
    text = ingress({"upstream-vhost": value}, TWO_SERVICES) + API_SERVICE
    result = convert(text)
    assert upstream_host(result, Request("vh.example.com", "/x")) == "app.web.svc.cluster.local"
    assert (
        upstream_host(result, Request("vh.example.com", "/api/v1")) == "api.web.svc.cluster.local"
    )
    assert entry(result, "upstream-vhost").status is Status.CONVERTED
    assert unexplained(text) == []
    value = "${service_name}-${service_port}.internal"
    ported = ingress({"upstream-vhost": value}, TWO_SERVICES) + API_SERVICE
    result = convert(ported)
    assert upstream_host(result, Request("vh.example.com", "/")) == "app-80.internal"
    # The port's name, as getIngressInformation takes it when the Ingress names the port (verify's
    # model uses the resolved number here: reported to the lead, so no unexplained() check).
    assert upstream_host(result, Request("vh.example.com", "/api")) == "api-web.internal"


def test_the_request_host_alone_needs_no_rewrite() -> None:
    """``$host`` / ``$best_http_host`` is what nginx sends by default (``proxy_set_header Host
    $best_http_host``) and what Gateway API implementations forward: no rewrite, converted,
    even on a wildcard host."""
    for value, host in (("$host", "vh.example.com"), ("$best_http_host", "*.example.com")):
        text = ingress({"upstream-vhost": value}, host=host)
        result = convert(text, "envoy-gateway")
        routes = objects(result, "HTTPRoute")
        assert all("filters" not in rule for r in routes for rule in r["spec"]["rules"])
        assert upstream_host(result, Request("vh.example.com", "/")) == "vh.example.com"
        assert entry(result, "upstream-vhost").status is Status.CONVERTED
        assert notes_on(result, "upstream-vhost") == []
        assert same_routing(text, "envoy-gateway")


def test_the_request_host_inside_a_value_is_the_rules_single_host() -> None:
    text = ingress({"upstream-vhost": "$host.upstream.internal"})
    result = convert(text)
    assert (
        upstream_host(result, Request("vh.example.com", "/")) == "vh.example.com.upstream.internal"
    )
    assert unexplained(text) == []


def test_the_request_host_on_a_wildcard_host_cannot_be_carried_and_says_so() -> None:
    """On ``*.example.com`` nginx's ``$host`` is each request's own host: no Gateway API rewrite
    can say that, so the annotation is reported for that rule (the backend receives the
    client's Host) and verify counts the difference as announced."""
    text = ingress({"upstream-vhost": "$host.upstream.internal"}, host="*.example.com")
    result = convert(text)
    assert upstream_host(result, Request("a.example.com", "/")) == "a.example.com"
    assert entry(result, "upstream-vhost").status is Status.UNSUPPORTED
    [warning] = notes_on(result, "upstream-vhost")
    assert warning.level is Level.WARNING and "wildcard host" in warning.message
    assert "*.example.com/" in warning.message
    assert same_routing(text)


def test_per_request_variables_are_reported_not_dropped_silently() -> None:
    text = ingress({"upstream-vhost": "$http_x_forwarded_host"})
    result = convert(text)
    [warning] = notes_on(result, "upstream-vhost")
    assert "$http_x_forwarded_host" in warning.message and not warning.security
    assert entry(result, "upstream-vhost").status is Status.UNSUPPORTED
    assert unexplained(text) == []


def test_a_port_in_the_value_is_dropped_and_said() -> None:
    text = ingress({"upstream-vhost": "Backend.Internal:8443"})
    result = convert(text)
    assert upstream_host(result, Request("vh.example.com", "/")) == "backend.internal"
    found = entry(result, "upstream-vhost")
    assert found.status is Status.PARTIAL and ":8443" in found.notes[0]


def test_configuration_characters_are_a_security_finding() -> None:
    text = ingress({"upstream-vhost": "a.example.com;proxy_pass http://evil"})
    result = convert(text)
    invalid = [
        n for n in notes_on(result, "upstream-vhost") if n.code == "nginx-annotation-invalid"
    ]
    assert invalid and invalid[0].security and invalid[0].level is Level.ERROR
    assert not any(
        "URLRewrite" in str(rule)
        for r in objects(result, "HTTPRoute")
        for rule in r["spec"]["rules"]
    )


def test_a_redirect_rule_gets_no_rewrite() -> None:
    """nginx answers a permanent-redirect before proxying: the Host never matters there."""
    text = ingress(
        {"upstream-vhost": "$service_name.internal", "permanent-redirect": "https://x.example.com"}
    )
    result = convert(text)
    assert_valid(result)
    assert backend(answer(result, Request("vh.example.com", "/"))) is None


# --- 13. session-affinity cookie attributes ------------------------------------------------

STICKY = {
    "affinity": "cookie",
    "session-cookie-name": "sid",
    "session-cookie-max-age": "600",
    "session-cookie-domain": ".example.com",
    "session-cookie-samesite": "lax",
}
SHOP_PATHS = """
- {path: /shop/cart, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
- {path: /shop/items, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}
"""


def cookies(result: ingress2gateway.Result) -> dict[str, dict[str, Any]]:
    """The hash cookie of each BackendTrafficPolicy, by the route (or ``route/rule``) it
    targets."""
    found = {}
    for policy in objects(result, "BackendTrafficPolicy"):
        target = policy["spec"]["targetRefs"][0]
        where = target["name"] + (f"/{target['sectionName']}" if "sectionName" in target else "")
        found[where] = policy["spec"]["loadBalancer"]["consistentHash"]["cookie"]
    return found


SHOP_COOKIE = {"name": "sid", "ttl": "10m"}
SHOP_ATTRIBUTES = {"Domain": ".example.com", "SameSite": "Lax", "Secure": ""}


def test_cookie_attributes_go_to_the_envoy_gateway_cookie() -> None:
    """balancer/sticky.lua set_cookie: Path (the location's path when session-cookie-path is
    absent: each rule's cookie has its own, affinity.go "does not set the path to / on the
    generated cookie if there's more than one rule referring to the same backend"), Domain,
    SameSite, HttpOnly, and Secure when the request is HTTPS; Max-Age."""
    result = convert(ingress(STICKY, SHOP_PATHS, tls=True), "envoy-gateway")
    assert_valid(result)
    found = cookies(result)
    assert all(where.startswith("site-vh-example-com/") for where in found)
    assert sorted(c["attributes"]["Path"] for c in found.values()) == ["/shop/cart", "/shop/items"]
    for cookie in found.values():
        path = cookie["attributes"]["Path"]
        assert cookie == {**SHOP_COOKIE, "attributes": {"Path": path, **SHOP_ATTRIBUTES}}
    for name in ("session-cookie-domain", "session-cookie-samesite", "session-cookie-name"):
        found = entry(result, name)
        assert found.status is Status.PARTIAL
        assert {t.kind for t in found.targets} == {"BackendTrafficPolicy"}
    assert not [n for n in result.report.notifications if n.code == "annotation-unsupported"]


def test_without_rule_names_one_cookie_serves_the_route_with_the_shared_path() -> None:
    """Gateway API before v1.4 has no rule names: a policy targets the whole route, so its one
    cookie has the Path every location of the Ingress shares (sent on a little more than nginx
    sent it, never on less), rather than no affinity at all."""
    text = ingress(STICKY, SHOP_PATHS, tls=True)
    result = convert(text, "envoy-gateway", gateway_api_version="v1.2")
    assert_valid(result)
    assert cookies(result) == {
        "site-vh-example-com": {**SHOP_COOKIE, "attributes": {"Path": "/shop", **SHOP_ATTRIBUTES}}
    }


def test_secure_follows_the_scheme_unless_forced() -> None:
    """sticky.lua: ``secure = cookie.secure or ngx.var.https == "on"``: with ssl-redirect off
    the HTTP route's cookie is not Secure and the HTTPS route's is; session-cookie-secure
    forces it everywhere."""
    result = convert(ingress({**STICKY, "ssl-redirect": "false"}, tls=True), "envoy-gateway")
    found = cookies(result)
    assert "Secure" in found["site-vh-example-com"]["attributes"]
    assert "Secure" not in found["site-vh-example-com-http"]["attributes"]
    plain = convert(ingress(STICKY), "envoy-gateway")
    assert "Secure" not in cookies(plain)["site-vh-example-com"]["attributes"]
    forced = convert(ingress({**STICKY, "session-cookie-secure": "true"}), "envoy-gateway")
    assert cookies(forced)["site-vh-example-com"]["attributes"]["Secure"] == ""


def test_the_default_path_is_the_locations_path() -> None:
    """$location_path is the Ingress path (nginx.tmpl); a regex path counts by its literal
    part (nginx wrote the expression itself into Path, which no browser matches)."""
    single = convert(ingress(STICKY, SHOP_PATHS.strip().splitlines()[0]), "envoy-gateway")
    assert cookies(single)["site-vh-example-com"]["attributes"]["Path"] == "/shop/cart"
    regex = """
- {path: "/api/v1/(.*)", pathType: ImplementationSpecific, backend: {service: {name: app, port: {number: 80}}}}
"""
    result = convert(ingress({**STICKY, "use-regex": "true"}, regex), "envoy-gateway")
    assert cookies(result)["site-vh-example-com"]["attributes"]["Path"] == "/api/v1/"
    given = convert(ingress({**STICKY, "session-cookie-path": "/shop"}), "envoy-gateway")
    assert cookies(given)["site-vh-example-com"]["attributes"]["Path"] == "/shop"


def test_a_value_that_fails_its_cookie_grammar_is_refused_never_emitted() -> None:
    """RFC 6265 §4.1.1: a ';' would start another attribute (a forged Secure or Domain)."""
    hostile = {
        **STICKY,
        "session-cookie-domain": "example.com; Secure",
        "session-cookie-path": "/x;Domain=evil.example",
        "session-cookie-samesite": "sometimes",
    }
    result = convert(ingress(hostile), "envoy-gateway")
    assert_valid(result)
    attributes = cookies(result)["site-vh-example-com"]["attributes"]
    assert attributes == {"Path": "/"}
    for name in ("session-cookie-domain", "session-cookie-path"):
        [refused] = notes_on(result, name)
        assert refused.code == "value-refused" and refused.security
        assert refused.level is Level.ERROR
        assert entry(result, name).status is Status.UNSUPPORTED
    [invalid] = notes_on(result, "session-cookie-samesite")  # the controller ignored it too
    assert invalid.code == "nginx-annotation-invalid" and invalid.level is Level.WARNING
    assert entry(result, "session-cookie-samesite").status is Status.UNSUPPORTED


def test_the_screen_refuses_cookie_attributes_of_any_provider() -> None:
    source = SourceRef("v1", "Thing", "web", "x")
    affinity = SessionAffinity(
        "sid",
        domain="a.example.com\r\nSet-Cookie: x=1",
        same_site="Sometimes",  # type: ignore[arg-type]
        provenance=[Provenance(source, "spec.cookie")],
    )
    report = Recorder()
    assert _Screen(report).session_affinity(affinity) is affinity
    assert affinity.domain is None and affinity.same_site is None
    assert len([n for n in report.notifications if n.code == "value-refused"]) == 2


def test_what_envoy_gateway_cannot_carry_is_reported() -> None:
    anns = {
        **STICKY,
        "session-cookie-samesite": "None",
        "session-cookie-conditional-samesite-none": "true",
        "session-cookie-change-on-failure": "true",
    }
    result = convert(ingress(anns, tls=True), "envoy-gateway")
    [conditional] = notes_on(result, "session-cookie-conditional-samesite-none")
    assert conditional.level is Level.WARNING and "every browser" in conditional.message
    assert entry(result, "session-cookie-change-on-failure").status is Status.UNSUPPORTED
    assert cookies(result)["site-vh-example-com"]["attributes"]["SameSite"] == "None"


def test_the_standard_emitter_reports_every_cookie_attribute() -> None:
    result = convert(ingress(STICKY))
    for name in ("session-cookie-domain", "session-cookie-samesite", "affinity"):
        [warning] = notes_on(result, name)
        assert warning.code == "extension-unsupported" and "standard emitter" in warning.message
        assert entry(result, name).status is Status.UNSUPPORTED


# --- 12. body limits and Envoy Gateway's request buffer -----------------------------------

CONTROLLER_CONFIG = """
apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {proxy-body-size: 8m, ssl-redirect: "false"%s}
---
"""


def buffers(result: ingress2gateway.Result) -> dict[str, Any]:
    """requestBuffer of each BackendTrafficPolicy, by its target (route or route/rule)."""
    found = {}
    for policy in objects(result, "BackendTrafficPolicy"):
        target = policy["spec"]["targetRefs"][0]
        where = target["name"] + (f"/{target['sectionName']}" if "sectionName" in target else "")
        if "requestBuffer" in policy["spec"]:
            found[where] = policy["spec"]["requestBuffer"]
    return found


def test_the_configmap_limit_buffers_no_route_and_says_which_routes_lose_it() -> None:
    """config.go: proxy-body-size is client_max_body_size of every location (413 above it,
    buffered or not). Envoy Gateway's requestBuffer would hold every request of every route,
    WebSocket upgrades included (they hang, says the v1.9 CRD): not set, and reported."""
    text = (
        CONTROLLER_CONFIG % ""
        + ingress({}, TWO_SERVICES)
        + "---"
        + ingress({}, host="b.example.com", name="b")
    )
    result = convert(text, "envoy-gateway")
    assert_valid(result)
    assert buffers(result) == {}
    [warning] = notes_on(result, "data[proxy-body-size]")
    assert warning.code == "eg-body-limit-not-enforced" and warning.level is Level.WARNING
    assert "8Mi" in warning.message and "larger requests now reach the backend" in warning.message
    lost = entry(result, "data[proxy-body-size]")
    assert lost.status is Status.UNSUPPORTED
    assert {t.name for t in lost.targets} == {"site-vh-example-com", "b-b-example-com"}
    assert same_routing(text, "envoy-gateway")


def test_an_ingress_limit_is_buffered_where_nginx_buffered_and_nowhere_else() -> None:
    """proxy-request-buffering defaults to on (config.go), so nginx held these bodies too:
    requestBuffer on the Ingress's own rule, not on another Ingress's rule of the host."""
    text = (
        CONTROLLER_CONFIG % ""
        + ingress({"proxy-body-size": "50m"}, SHOP_PATHS.strip().splitlines()[0], name="up")
        + "---"
        + ingress({})
    )
    result = convert(text, "envoy-gateway")
    assert_valid(result)
    assert buffers(result) == {"up-vh-example-com/rule-0": {"limit": "50Mi"}}
    assert entry(result, "proxy-body-size").status is Status.PARTIAL
    # The only warning is the ConfigMap's, for the other Ingress.
    lost = [n for n in result.report.notifications if n.code == "eg-body-limit-not-enforced"]
    assert [n.field for n in lost] == ["data[proxy-body-size]"]


def test_streamed_requests_are_never_buffered() -> None:
    """gRPC (grpc_pass streams), proxy-request-buffering off (annotation or ConfigMap), and the
    WebSocket set-up ingress-nginx documents (raised proxy-read/send-timeout): no buffer, and
    the Ingress's own warning says why."""
    cases = {
        "grpc": ({"backend-protocol": "GRPC"}, "", "gRPC"),
        "off": ({"proxy-request-buffering": "off"}, "", "proxy-request-buffering off"),
        "cm-off": ({}, ", proxy-request-buffering: 'off'", "proxy-request-buffering off"),
        "ws": ({"proxy-read-timeout": "3600"}, "", "WebSocket"),
        "upgrade": ({"connection-proxy-header": "upgrade"}, "", "WebSocket"),
    }
    for name, (extra, config, why) in cases.items():
        text = CONTROLLER_CONFIG % config + ingress({"proxy-body-size": "4m", **extra})
        result = convert(text, "envoy-gateway")
        assert_valid(result)
        assert buffers(result) == {}, name
        [warning] = notes_on(result, "proxy-body-size")
        assert warning.code == "eg-body-limit-not-enforced" and why in warning.message, name
        assert entry(result, "proxy-body-size").status is Status.UNSUPPORTED


def test_no_request_buffer_ever_targets_a_grpc_route() -> None:
    """Whatever the provider says, a GRPCRoute streams (Envoy Gateway's CRD: the buffer hangs
    gRPC streaming)."""
    limit = BodySize(4 << 20)
    on_grpc = body_size(limit, MapEnv(None, {}, BackendRegistry(), route_kind="GRPCRoute"))
    on_http = body_size(limit, MapEnv(None, {}, BackendRegistry(), route_kind="HTTPRoute"))
    assert on_grpc is not None and on_grpc.spec == {} and on_grpc.status is Status.UNSUPPORTED
    assert on_http is not None and on_http.spec == {"requestBuffer": {"limit": "4Mi"}}


# --- 11. auth-signin -----------------------------------------------------------------------

AUTH_URL = "https://auth.example.com/oauth2/auth"


def overrides(result: ingress2gateway.Result) -> list[dict[str, Any]]:
    return [
        item
        for policy in objects(result, "BackendTrafficPolicy")
        for item in policy["spec"].get("responseOverride", [])
    ]


def sign_in_location(result: ingress2gateway.Result) -> str | None:
    found = [
        header["value"]
        for item in overrides(result)
        if item["source"] == "Local" and item["match"]["statusCodes"][0]["value"] == 401
        for header in item["response"]["header"]["set"]
        if header["name"] == "Location"
    ]
    assert len(found) <= 1
    return found[0] if found else None


def test_the_documented_url_passing_idiom_is_not_an_injection_finding() -> None:
    """docs/examples/auth/oauth-external-auth and buildAuthSignURL (template.go, which itself
    writes ``rd=$pass_access_scheme://$http_host$escaped_request_uri``): nginx variables in the
    sign-in URL's query are expected; the routes stay open to the authenticated."""
    for rd in (
        "$scheme://$host$escaped_request_uri",
        "$pass_access_scheme://$http_host$request_uri",
    ):
        anns = {"auth-url": AUTH_URL, "auth-signin": f"https://$host/oauth2/start?rd={rd}"}
        text = ingress(anns, tls=True)
        result = convert(text, "envoy-gateway")
        assert_valid(result)
        assert not [n for n in result.report.notifications if n.security], rd
        outcome = answer(result, Request("vh.example.com", "/x", scheme="https"))
        assert isinstance(outcome, Forward) and outcome.guards == ("external-auth",)
        assert sign_in_location(result) == "https://vh.example.com/oauth2/start"
        assert unexplained(text, "envoy-gateway") == []


def test_losing_the_original_url_is_a_warning_users_see() -> None:
    """nginx's 302 carries the page asked for (rd=…); Envoy Gateway's responseOverride has a
    fixed Location, so the user is told, with what to do instead."""
    anns = {"auth-url": AUTH_URL, "auth-signin": "https://auth.example.com/oauth2/start"}
    result = convert(ingress(anns, tls=True), "envoy-gateway")
    [warning] = notes_on(result, "auth-signin")
    assert warning.level is Level.WARNING and warning.code == "eg-sign-in-redirect-partial"
    assert "rd=$pass_access_scheme://$http_host$escaped_request_uri" in warning.message
    assert "oidc" in warning.message and "denial response" in warning.message
    found = entry(result, "auth-signin")
    assert found.status is Status.PARTIAL
    assert {t.kind for t in found.targets} == {"BackendTrafficPolicy"}
    [override] = overrides(result)
    assert override["response"]["statusCode"] == 302 and override["source"] == "Local"


def test_a_static_return_url_is_carried_whole() -> None:
    anns = {
        "auth-url": AUTH_URL,
        "auth-signin": "https://auth.example.com/start?rd=https://app.example.com/",
    }
    result = convert(ingress(anns, tls=True), "envoy-gateway")
    assert sign_in_location(result) == "https://auth.example.com/start?rd=https://app.example.com/"
    assert notes_on(result, "auth-signin") == []
    assert entry(result, "auth-signin").status is Status.CONVERTED


def test_the_request_scheme_and_host_stay_the_requests() -> None:
    """``$scheme://$host/path``: a path reference keeps both, on any host (a wildcard too)."""
    anns = {
        "auth-url": AUTH_URL,
        "auth-signin": "$scheme://$host/oauth2/start?rd=$escaped_request_uri",
    }
    result = convert(ingress(anns, host="*.example.com"), "envoy-gateway")
    assert_valid(result)
    assert sign_in_location(result) == "/oauth2/start"


def test_a_fixed_scheme_on_a_wildcard_host_cannot_be_carried_and_says_so() -> None:
    anns = {"auth-url": AUTH_URL, "auth-signin": "https://$host/oauth2/start"}
    result = convert(ingress(anns, host="*.example.com"), "envoy-gateway")
    assert sign_in_location(result) is None
    [warning] = notes_on(result, "auth-signin")
    assert warning.level is Level.WARNING and "wildcard host" in warning.message
    assert not warning.security
    assert entry(result, "auth-signin").status is Status.UNSUPPORTED


def test_configuration_characters_are_the_finding_and_the_auth_stays() -> None:
    """authreq/main.go: a sign-in URL that fails URLWithNginxVariableRegex is dropped with a
    warning, and the auth still applies (the location is not denied)."""
    for value in ('https://a.example.com/x";proxy_pass http://evil', "https://a.example.com/{x}"):
        text = ingress({"auth-url": AUTH_URL, "auth-signin": value}, tls=True)
        result = convert(text, "envoy-gateway")
        [finding] = [n for n in notes_on(result, "auth-signin") if n.security]
        assert finding.level is Level.ERROR and finding.code == "nginx-injection-suspect"
        assert sign_in_location(result) is None
        outcome = answer(result, Request("vh.example.com", "/", scheme="https"))
        assert isinstance(outcome, Forward) and outcome.guards == ("external-auth",)


def test_the_standard_emitter_reports_the_lost_redirect() -> None:
    anns = {
        "auth-url": AUTH_URL,
        "auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri",
    }
    result = convert(ingress(anns))
    [warning] = notes_on(result, "auth-signin")
    assert warning.level is Level.WARNING and "sign-in-redirect" in warning.message


def test_the_emitter_writes_no_location_outside_its_grammar() -> None:
    """Whatever a provider hands over: a Location that would split the header is refused."""
    env = MapEnv(None, {}, BackendRegistry())
    for location in (
        "https://a.example.com/\r\nSet-Cookie: x=1",
        "/start x",
        "javascript:alert(1)",
    ):
        assert sign_in_redirect(SignInRedirect(location), env) is None, location
    carried = sign_in_redirect(SignInRedirect("//auth.example.com/start"), env)
    assert carried is not None and carried.status is Status.CONVERTED
