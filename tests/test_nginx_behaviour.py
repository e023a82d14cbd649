"""ingress-nginx and NGINX Inc behaviours, request by request (issue: nginx round 2).

Each test converts a small input and asks the Gateway API model of ``verify`` where requests
go; the expected answers are the controllers' (their code and e2e tests, cited per test), and
each input also verifies with no unexplained difference.
"""

from __future__ import annotations

from ingress2gateway.verification.model import Request

from .nginx_requests import answer, backend, convert, redirect, unexplained

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
