"""``GCPGatewayPolicy`` (v1.4.0): settings of the load balancer's frontend, one per Gateway.

| source | becomes |
|---|---|
| ``ssl-policy=NAME`` | ``spec.default.sslPolicy: NAME`` on every Gateway. A ClientTLSSettings extension of the Gateway (TLS versions, ciphers) is then carried in part: the SSL policy, which the user creates in GCP, must hold them (the warning says what) |
| ``allow-global-access=true`` | ``spec.default.allowGlobalAccess: true`` on Gateways of class ``gke-l7-rilb`` (the internal class; the field means nothing for external ones) |

Without ``ssl-policy`` a ClientTLSSettings extension is not carried (GKE takes TLS versions and
ciphers only from a GCP SSL policy); the pipeline reports it. ``region`` is for multi-cluster
Gateways and is never written.
"""

from __future__ import annotations

from ingress2gateway.ir import IR, ClientTLSSettings, Gateway, Provenance
from ingress2gateway.objects import JSONDict, ObjectRef
from ingress2gateway.reporting.report import Need, Status

from .policies import Fragment, Policies, Target

SSL_POLICY_OPTION = "ssl-policy"
ALLOW_GLOBAL_ACCESS_OPTION = "allow-global-access"
POLICY = "GCPGatewayPolicy"
INTERNAL_CLASSES = frozenset({"gke-l7-rilb"})


class OptionSource:
    """A policy setting that comes from an option, not from the input."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.provenance: list[Provenance] = []


def gateway_policies(
    ir: IR,
    policies: Policies,
    ssl_policy: str,
    global_access: bool,
    emitted: set[ObjectRef],
) -> None:
    for gateway in sorted(ir.gateways, key=lambda g: (g.namespace or "", g.name)):
        if gateway.ref not in emitted:
            continue
        target = Target("Gateway", gateway.namespace, gateway.name, "gateway.networking.k8s.io")
        spec: JSONDict = {}
        if ssl_policy:
            spec["sslPolicy"] = ssl_policy
        if global_access and gateway.gateway_class in INTERNAL_CLASSES:
            spec["allowGlobalAccess"] = True
        if not spec:
            continue
        policies.add(
            OptionSource(gateway),
            f"Gateway {gateway.name}",
            Fragment(POLICY, spec),
            target,
            ledger=False,
        )
        if not ssl_policy:
            continue
        for ext in gateway.extensions:
            if isinstance(ext, ClientTLSSettings) and not ext.consumed:
                policies.add(ext, ext.describe(), tls_settings(ext, ssl_policy), target)


def tls_settings(ext: ClientTLSSettings, name: str) -> Fragment:
    wanted = []
    if ext.min_version:
        wanted.append(f"minimum TLS {ext.min_version}")
    if ext.max_version and ext.max_version != "1.3":
        wanted.append(f"maximum TLS {ext.max_version} (not carried: SSL policies set no maximum)")
    # OpenSSL exclusions (!aNULL) name no suite: a CUSTOM profile lists the suites it allows.
    suites = [c for c in ext.ciphers if c and c[0] not in "!-+@"]
    if suites:
        wanted.append(f"a CUSTOM profile allowing {', '.join(suites[:20])}")
    if ext.http2 is False:
        wanted.append("HTTP/1.1 only (not carried: an SSL policy does not restrict ALPN)")
    said = "; ".join(wanted) or "the source's TLS settings"
    note = f"carried by the SSL policy {name!r}, which must have {said}"
    need = (
        Need.OTHER,
        f"SSL policy {name}",
        f"create it in the cluster's project (gcloud compute ssl-policies create {name} ...) "
        f"with {said}",
    )
    return Fragment(POLICY, {"sslPolicy": name}, Status.PARTIAL, note, needs=[need])
