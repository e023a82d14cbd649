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
from ingress2gateway.report import LedgerEntry, Level, Notification, Status
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
