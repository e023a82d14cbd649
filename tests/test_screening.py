"""Screening: hostile values never reach the data plane, and refusing one never routes a
request somewhere the source did not send it."""

from __future__ import annotations

import ingress2gateway
from ingress2gateway.converting.screening import screen_values
from ingress2gateway.ir import (
    IR,
    BackendRef,
    ExternalAuth,
    Gateway,
    HeaderMatch,
    HeaderModifier,
    HTTPRoute,
    IPAccess,
    Listener,
    Match,
    ParentRef,
    PathMatch,
    PathModifier,
    Provenance,
    RefusedControl,
    RequestRedirect,
    Rule,
    SessionAffinity,
    URLRewrite,
)
from ingress2gateway.objects import SourceRef
from ingress2gateway.reporting.report import Level, Recorder, Status

from .dataplane_checks import unsafe_values

SOURCE = SourceRef("v1", "Ingress", "web", "shop", "in.yaml", 1)
PROV = [Provenance(SOURCE, "metadata.annotations[x]")]
CRLF = "a=b\r\nX-Evil: 1"


def backend() -> BackendRef:
    return BackendRef("app", port=80)


def route(*rules: Rule, hostnames: tuple[str, ...] = ("shop.example.com",)) -> HTTPRoute:
    return HTTPRoute(
        "shop",
        "web",
        hostnames=list(hostnames),
        parent_refs=[ParentRef("gw", "web")],
        rules=list(rules),
        provenance=list(PROV),
    )


def screened(*routes: HTTPRoute, gateways: tuple[Gateway, ...] = ()) -> tuple[IR, Recorder]:
    ir = IR(gateways=list(gateways), routes=list(routes))
    report = Recorder()
    screen_values(ir, report)
    return ir, report


def refusals(report: Recorder) -> list[str]:
    notes = [n for n in report.notifications if n.code == "value-refused"]
    assert all(n.security and n.level is Level.ERROR for n in notes)
    return [n.message for n in notes]


def test_a_header_to_set_with_a_line_break_is_left_out_alone() -> None:
    modifier = HeaderModifier(
        response=True, set={"Set-Cookie": CRLF, "X-Frame-Options": "DENY"}, provenance=PROV
    )
    rule = Rule([Match(PathMatch("PathPrefix", "/"))], [backend()], [modifier])
    ir, report = screened(route(rule))
    assert modifier.set == {"X-Frame-Options": "DENY"}
    assert ir.routes[0].rules == [rule] and rule.backend_refs
    [message] = refusals(report)
    assert "'Set-Cookie' value 'a=b\\r\\nX-Evil: 1'" in message and "U+000D" in message
    assert report.ledger[SOURCE, "metadata.annotations[x]"].status is Status.UNSUPPORTED


def test_a_match_that_cannot_be_stated_is_left_out_and_its_rule_if_it_was_the_only_one() -> None:
    bad = Match(PathMatch("PathPrefix", "/"), headers=(HeaderMatch("x-user", CRLF),))
    good = Match(PathMatch("PathPrefix", "/api"))
    both = Rule([bad, good], [backend()], provenance=PROV)
    only_bad = Rule([bad], [BackendRef("canary", port=80)], provenance=PROV)
    ir, report = screened(route(both, only_bad))
    # A rule without matches would match every request: the canary rule goes entirely.
    assert ir.routes[0].rules == [both] and both.matches == [good]
    assert len(refusals(report)) == 1  # one message, said once per field


def test_a_route_left_without_rules_is_left_out_and_its_target_discarded() -> None:
    bad = Match(PathMatch("PathPrefix", "/"), headers=(HeaderMatch("bad name", "v"),))
    ir, report = screened(route(Rule([bad], [backend()], provenance=PROV)))
    assert ir.routes == []
    assert refusals(report)


def test_a_redirect_that_cannot_be_stated_closes_its_rule_keeping_its_matches() -> None:
    """The rule's requests are answered 500: they must not fall through to a less specific
    rule that would send them to a backend."""
    redirect = RequestRedirect(
        hostname="evil.example.com\r\nX: 1", status_code=301, provenance=PROV
    )
    rewrite = URLRewrite(path=PathModifier("ReplaceFullPath", "/x\nLocation: y"), provenance=PROV)
    first = Rule([Match(PathMatch("PathPrefix", "/old"))], [], [redirect])
    second = Rule([Match(PathMatch("PathPrefix", "/new"))], [backend()], [rewrite])
    catch_all = Rule([Match(PathMatch("PathPrefix", "/"))], [backend()])
    ir, report = screened(route(first, second, catch_all))
    assert [r.matches for r in ir.routes[0].rules] == [
        first.matches,
        second.matches,
        catch_all.matches,
    ]
    for closed in (first, second):
        assert closed.filters == [] and closed.backend_refs == []
    assert catch_all.backend_refs
    assert all("answers 500" in m for m in refusals(report))


def test_an_access_control_with_a_bad_url_becomes_a_refused_control_everywhere() -> None:
    auth = ExternalAuth("http://auth.example.com/\r\nX-Evil: 1", provenance=PROV)
    rules = [
        Rule([Match(PathMatch("PathPrefix", p))], [backend()], extensions=[auth]) for p in "/a"
    ]
    ir, report = screened(route(*rules))
    replaced = [rule.extensions[0] for rule in ir.routes[0].rules]
    assert all(isinstance(ext, RefusedControl) and ext.SECURITY for ext in replaced)
    assert replaced[0] is replaced[1 if len(replaced) > 1 else 0]
    assert "closed" in refusals(report)[0]


def test_ip_lists_are_narrowed_never_widened() -> None:
    narrowed = IPAccess(allow=["10.0.0.0/8", "nope\n"], provenance=PROV)
    emptied = IPAccess(allow=["bad"], provenance=PROV)
    deny = IPAccess(deny=["192.0.2.1", "not-an-ip"], provenance=PROV)
    rules = [
        Rule([Match(PathMatch("PathPrefix", f"/{i}"))], [backend()], extensions=[ext])
        for i, ext in enumerate((narrowed, emptied, deny))
    ]
    ir, _ = screened(route(*rules))
    first, second, third = (rule.extensions[0] for rule in ir.routes[0].rules)
    assert first is narrowed and narrowed.allow == ["10.0.0.0/8"]
    assert isinstance(second, RefusedControl) and isinstance(third, RefusedControl)


def test_a_cookie_attribute_that_would_forge_others_is_left_out() -> None:
    affinity = SessionAffinity(
        cookie_name="route", path="/; Domain=.example.com; SameSite=None", provenance=PROV
    )
    rule = Rule([Match(PathMatch("PathPrefix", "/"))], [backend()], extensions=[affinity])
    ir, report = screened(route(rule))
    assert ir.routes[0].rules[0].extensions == [affinity] and affinity.path is None
    assert "cookie path" in refusals(report)[0]


def test_host_names_are_refused_alone_and_a_route_left_with_none_goes() -> None:
    rule = Rule([Match(PathMatch("PathPrefix", "/"))], [backend()])
    mixed = route(rule, hostnames=("shop.example.com", "b.example.com\n", "10.0.0.1"))
    ir, report = screened(mixed)
    assert ir.routes[0].hostnames == ["shop.example.com"] and len(refusals(report)) == 2
    ir, _ = screened(route(rule, hostnames=("bad host",)))
    assert ir.routes == []  # no hostnames would serve every host


def test_a_bad_listener_is_left_out_alone_with_the_references_to_it() -> None:
    good = Listener("a-http", 80, "HTTP", "a.example.com", provenance=PROV)
    bad = Listener("b-http", 80, "HTTP", "b.example.com\n", provenance=PROV)
    gateway = Gateway("gw", "web", "nginx", [good, bad])
    on_good = route(Rule(), hostnames=("a.example.com",))
    on_good.parent_refs = [ParentRef("gw", "web", "a-http")]
    on_bad = route(Rule(), hostnames=("b.example.com",))
    on_bad.parent_refs = [ParentRef("gw", "web", "b-http")]
    ir, report = screened(on_good, on_bad, gateways=(gateway,))
    assert gateway.listeners == [good] and ir.routes == [on_good]
    assert "listener is left out" in refusals(report)[0]


# --- through the providers: the cases found by hand ------------------------------------------


def converted(text: str, provider: str, emitter: str) -> ingress2gateway.Result:
    objects = [o for o in __import__("yaml").safe_load_all(text) if o]
    return ingress2gateway.convert(objects, provider, emitter)


NGINX = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
    nginx.ingress.kubernetes.io/session-cookie-name: route
    nginx.ingress.kubernetes.io/session-cookie-path: "/; Domain=.example.com; SameSite=None\\r\\nX-Injected: 1"
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""

ISTIO = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: web}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/public]
  http:
  - headers:
      response:
        set: {x-frame: "DENY\\r\\nSet-Cookie: a=b", x-ok: fine}
    route:
    - destination: {host: web, port: {number: 80}}
"""

KONG = """
apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata: {name: rt, namespace: web}
plugin: response-transformer
config:
  add:
    headers: ["Set-Cookie:a=b\\r\\nX-Evil: 1", "X-Ok:fine"]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: web
  annotations: {konghq.com/plugins: rt}
spec:
  ingressClassName: kong
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_the_hostile_values_found_by_hand_are_refused_on_both_emitters() -> None:
    for text, provider, field in (
        (NGINX, "nginx", "metadata.annotations[nginx.ingress.kubernetes.io/session-cookie-path]"),
        (ISTIO, "istio", "spec.http[0].headers.response"),
        (KONG, "kong", "config"),
    ):
        for emitter in ("standard", "envoy-gateway"):
            result = converted(text, provider, emitter)
            assert result.resources, (provider, emitter)
            for obj in result.resources:
                assert unsafe_values(obj) == [], (provider, emitter, obj["kind"])
            refused = [n for n in result.report.notifications if n.code == "value-refused"]
            assert refused and all(n.security for n in refused), (provider, emitter)
            assert any(n.field == field for n in refused), (provider, emitter)
    kept = converted(KONG, "kong", "standard").resources
    route = next(o for o in kept if o["kind"] == "HTTPRoute")
    headers = route["spec"]["rules"][0]["filters"][0]["responseHeaderModifier"]["set"]
    assert headers == [{"name": "X-Ok", "value": "fine"}]


TWO_TEAMS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, namespace: team-a}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: b, namespace: team-b}
spec:
  ingressClassName: nginx
  rules:
  - host: "b.example.com\\n"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
  - host: 10.0.0.1
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}
"""


def test_one_tenants_bad_host_does_not_withhold_the_shared_gateway() -> None:
    result = converted(TWO_TEAMS, "nginx", "standard")
    kinds = sorted(o["kind"] for o in result.resources)
    assert kinds == ["Gateway", "HTTPRoute"]
    [gateway] = [o for o in result.resources if o["kind"] == "Gateway"]
    assert [x.get("hostname") for x in gateway["spec"]["listeners"]] == ["a.example.com"]
    errors = [n for n in result.report.notifications if n.level is Level.ERROR]
    assert {(n.source.name if n.source else None, n.field) for n in errors} == {
        ("b", "spec.rules[0].host"),
        ("b", "spec.rules[1].host"),
    }
    assert any("IP address" in n.message for n in errors)


def test_a_backend_no_object_could_be_named_closes_its_rule() -> None:
    """Leaving only the bad one out would send its share of the traffic to the others."""
    weighted = Rule(
        [Match(PathMatch("PathPrefix", "/"))],
        [BackendRef("app", port=80, weight=90), BackendRef("line\r\nbreak", port=80, weight=10)],
        provenance=PROV,
    )
    other_ns = Rule([Match(PathMatch("PathPrefix", "/x"))], [BackendRef("app", "Bad_NS", 80)])
    ir, report = screened(route(weighted, other_ns))
    assert [r.backend_refs for r in ir.routes[0].rules] == [[], []]
    assert [r.matches for r in ir.routes[0].rules] == [weighted.matches, other_ns.matches]
    assert len(refusals(report)) == 2


DENIED = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "http://auth.example.com/check\\r\\nX-Evil: 1"
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /admin, pathType: Prefix, backend: {service: {name: admin, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: web}
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: site, port: {number: 80}}}}
"""


def test_an_auth_annotation_the_provider_refuses_closes_its_rules_never_opens_them() -> None:
    """ingress-nginx denies a location whose auth annotation is invalid (503): its paths must
    not become open routes, and must not fall through to the open '/' either."""
    for emitter in ("standard", "envoy-gateway"):
        result = converted(DENIED, "nginx", emitter)
        [route] = [o for o in result.resources if o["kind"] == "HTTPRoute"]
        by_path = {r["matches"][0]["path"]["value"]: r for r in route["spec"]["rules"]}
        assert "backendRefs" not in by_path["/admin"], emitter
        assert by_path["/"]["backendRefs"] == [{"name": "site", "port": 80}], emitter
        assert any(
            n.code == "extension-unsupported" and n.security for n in result.report.notifications
        )
