"""The input the plan tests convert: three teams' Ingresses with external auth and a sign-in
redirect, basic auth, a snippet, a rate limit, other tools' annotations (one hostile), a TLS
Secret the input does not define and one it does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.objects import KubeObject

HOSTILE = "<script>alert(1)</script>"

INPUT = f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: team-a
  annotations:
    nginx.ingress.kubernetes.io/auth-url: https://auth.example.net/check
    nginx.ingress.kubernetes.io/auth-signin: https://login.example.net/start
    nginx.ingress.kubernetes.io/limit-rps: "10"
    argocd.argoproj.io/sync-wave: "1"
    prometheus.io/scrape: "{HOSTILE}"
spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: shop
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: admin
  namespace: team-b
  annotations:
    nginx.ingress.kubernetes.io/auth-type: basic
    nginx.ingress.kubernetes.io/auth-secret: admin-users
    nginx.ingress.kubernetes.io/configuration-snippet: |
      more_set_headers "X-Frame-Options: DENY";
    argocd.argoproj.io/sync-wave: "2"
spec:
  ingressClassName: nginx
  tls:
  - hosts: [admin.example.com]
    secretName: admin-tls
  rules:
  - host: admin.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: admin
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tools
  namespace: team-b
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: |
      more_set_headers "X-Frame-Options: DENY";
spec:
  ingressClassName: nginx
  rules:
  - host: tools.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: tools
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: docs
  namespace: team-c
spec:
  ingressClassName: nginx
  rules:
  - host: docs.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: docs
            port:
              number: 80
---
apiVersion: v1
kind: Secret
metadata:
  name: admin-tls
  namespace: team-b
type: kubernetes.io/tls
data: {{}}
"""


def write_input(directory: Path) -> Path:
    path = directory / "input.yaml"
    path.write_text(INPUT, encoding="utf-8")
    return path


def converted(directory: Path, emitter: str, **kw: Any) -> tuple[list[KubeObject], Result]:
    objects = ingress2gateway.load_manifests([write_input(directory)])
    result = ingress2gateway.convert(objects, providers=["nginx"], emitter=emitter, **kw)
    return objects, result
