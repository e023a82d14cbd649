"""Session affinity and load balancing → a ``TraefikService`` (``traefik.io_traefikservices.yaml``,
v3.7.9) that the rule's ``backendRefs`` name instead of the Services.

Traefik's Gateway API provider takes a ``TraefikService`` as an HTTPRoute backendRef (group
``traefik.io``, kind ``TraefikService``, no port; ``implementations.md`` §4 and Traefik's
``simple_with_TraefikService.yml`` fixture). Its ``weighted.services[]`` list the rule's Services
with their ports and weights, each with:

* **session affinity** → ``sticky.cookie{name, maxAge, path, domain, sameSite, secure,
  httpOnly: true}`` (true stickiness: Traefik's cookie names the server), and the same cookie on
  ``weighted.sticky`` when the rule splits between several Services;
* **load balancing** → ``strategy``: ``LeastRequest`` → ``p2c`` (power of two choices, the
  fewer requests in flight, as Envoy's least-request), ``RoundRobin`` → nothing (``wrr`` is the
  default). Random and hashing have no strategy and stay in the report.

Carried only where every backend of the rule is a Service of the route's namespace with a port
and without filters (a TraefikService names other namespaces only with Traefik's
``allowCrossNamespace``). Cookie values are checked against their RFC 6265 grammar first.
"""

from __future__ import annotations

from ingress2gateway.converting import grammar
from ingress2gateway.ir import LoadBalancer, SessionAffinity
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Status

from ._base import INT32, Contribution, MapEnv, Mapper

TRAEFIK_SERVICE = "TraefikService"


def session_affinity(ext: SessionAffinity, env: MapEnv) -> Contribution | None:
    cookie: JSONDict = {"httpOnly": True}
    notes: list[str] = []
    if ext.cookie_name:
        if grammar.cookie_name_problem(ext.cookie_name):
            return None
        cookie["name"] = ext.cookie_name
    if ext.ttl_seconds is not None and 0 < ext.ttl_seconds <= INT32:
        cookie["maxAge"] = ext.ttl_seconds
    if ext.path and grammar.cookie_path_problem(ext.path) is None:
        cookie["path"] = ext.path
    if ext.domain and grammar.cookie_domain_problem(ext.domain) is None:
        cookie["domain"] = ext.domain
    if ext.same_site in ("Strict", "Lax", "None"):
        cookie["sameSite"] = ext.same_site.lower()
    if ext.secure == "always":
        cookie["secure"] = True
    elif ext.secure == "https":
        notes.append(
            "the source marked the cookie Secure on HTTPS responses only; Traefik cannot tell "
            "the two apart, so it is not marked Secure"
        )
    return Contribution(
        "sticky",
        {"sticky": {"cookie": cookie}},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
    )


def load_balancer(ext: LoadBalancer, env: MapEnv) -> Contribution | None:
    if ext.algorithm == "RoundRobin":
        return Contribution("strategy", {}, note="weighted round robin, Traefik's default")
    if ext.algorithm == "LeastRequest":
        return Contribution("strategy", {"strategy": "p2c"})
    return None


MAPPERS: dict[type, Mapper] = {
    SessionAffinity: session_affinity,
    LoadBalancer: load_balancer,
}


def plain_services(rule_body: JSONDict, namespace: str | None) -> list[JSONDict] | None:
    """The rule's backendRefs when each is a Service of ``namespace`` with a port and no
    filters, else None."""
    refs = rule_body.get("backendRefs") or []
    if not refs:
        return None
    for ref in refs:
        if ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
            return None
        if ref.get("namespace", namespace) != namespace or "port" not in ref or ref.get("filters"):
            return None
    return list(refs)


def weighted(refs: list[JSONDict], settings: JSONDict) -> JSONDict:
    """The TraefikService spec sending to ``refs`` with the per-Service ``settings``."""
    services = []
    for ref in refs:
        item: JSONDict = {"name": ref["name"], "port": ref["port"], **settings}
        if "weight" in ref:
            item["weight"] = ref["weight"]
        services.append(item)
    body: JSONDict = {"services": services}
    if len(refs) > 1 and "sticky" in settings:
        body["sticky"] = settings["sticky"]  # stay on the Service as well as on its server
    return {"weighted": body}
