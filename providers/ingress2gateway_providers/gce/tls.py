"""HTTPS: every host of an Ingress with a certificate, each certificate chosen by SNI.

GKE uploads every ``spec.tls`` Secret of an Ingress and attaches them all to the Ingress's one
HTTPS target proxy (``pkg/loadbalancers/certificates.go``); ``tls[].hosts`` is not read. So every
host of the Ingress — its rules without host and its default backend too — answers on 443, and
the certificate is picked by SNI among all of them (the first one when none matches). The
conversion gives every HTTP listener of the Ingress's Gateway an HTTPS twin on 443 carrying all
the Ingress's Secrets (those whose ``hosts`` name the listener's host first), and attaches every
route of the HTTP listener to its twin too. A ``tls`` entry without ``secretName`` added nothing.
"""

from __future__ import annotations

import dataclasses

from ingress2gateway.converting import naming
from ingress2gateway.converting.ingress import IngressModel, IngressTLS
from ingress2gateway.converting.lowering import GATEWAY_GROUP, tls_covers
from ingress2gateway.ir import Gateway, HTTPRoute, Listener, Provenance, ReferenceGrant, SecretRef
from ingress2gateway.reporting.report import Status

from .common import GceRun


def add_https(run: GceRun, model: IngressModel, gateway: Gateway, routes: list[HTTPRoute]) -> None:
    entries: list[IngressTLS] = []
    for tls in model.tls:
        field = f"spec.tls[{tls.index}]"
        if not tls.secret_name:
            run.record(model.source, field, Status.IGNORED, "no secretName: GKE uploads nothing")
            continue
        entries.append(tls)
    if not entries:
        return
    taken = {item.name for item in gateway.listeners}
    twins: dict[str, str] = {}
    for http in [item for item in gateway.listeners if item.protocol == "HTTP"]:
        ordered = sorted(
            entries,
            key=lambda t: (
                not (http.hostname and any(tls_covers(h, http.hostname) for h in t.hosts))
            ),
        )
        refs = list(dict.fromkeys(_ref(run, model, gateway, t) for t in ordered))
        wanted = http.name[: -len("-http")] if http.name.endswith("-http") else http.name
        name = naming.free_name(f"{wanted}-https", f"https/{http.name}", taken)
        taken.add(name)
        twins[http.name] = name
        gateway.listeners.append(
            Listener(
                name=name,
                port=443,
                protocol="HTTPS",
                hostname=http.hostname,
                tls_mode="Terminate",
                certificate_refs=refs,
                allowed_namespaces=set(http.allowed_namespaces),
                provenance=[
                    *http.provenance,
                    *(Provenance(model.source, f"spec.tls[{t.index}]") for t in entries),
                ],
            )
        )
    for route in routes:
        added = [
            dataclasses.replace(ref, section_name=twins[ref.section_name])
            for ref in route.parent_refs
            if ref.name == gateway.name and ref.section_name in twins
        ]
        route.parent_refs.extend(r for r in added if r not in route.parent_refs)
    for tls in entries:
        run.record(model.source, f"spec.tls[{tls.index}]", Status.CONVERTED)


def _ref(run: GceRun, model: IngressModel, gateway: Gateway, tls: IngressTLS) -> SecretRef:
    name = tls.secret_name or ""
    if model.namespace == gateway.namespace or model.namespace is None:
        return SecretRef(name)
    if gateway.namespace is not None:
        grant = ReferenceGrant(
            namespace=model.namespace,
            from_group=GATEWAY_GROUP,
            from_kind="Gateway",
            from_namespace=gateway.namespace,
            to_group="",
            to_kind="Secret",
            to_name=name,
        )
        run.ctx.ir.add_grant(grant, Provenance(model.source, f"spec.tls[{tls.index}]"))
    return SecretRef(name, model.namespace)
