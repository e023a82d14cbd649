"""The notification codes of the Kong provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "kong-value-invalid": "A konghq.com annotation or Kong CRD field has a value Kong would "
    "reject; that field is not converted.",
    "kong-reference-missing": "A KongPlugin, KongClusterPlugin, KongIngress or "
    "KongUpstreamPolicy named by an annotation is not in the input.",
    "kong-feature-unsupported": "A Kong feature (plugin, CRD field, annotation) that neither "
    "Gateway API nor any extension carries; not converted.",
    "kong-behaviour-differs": "Converted, but the result behaves differently from Kong in a "
    "way the message explains (426 redirects, certificate verification, header semantics).",
    "kong-conversion-note": "How a Kong setting was read (character prefixes, consumers, "
    "gRPC routes); no action needed unless the message says so.",
    "kong-kind-deprecated": "KongIngress, TCPIngress and UDPIngress are deprecated since KIC "
    "3.5 and removed in Kong Operator 2.0; converted anyway.",
    "kong-annotation-misplaced": "An Ingress-only konghq.com annotation on a Service, where "
    "Kong does not read it.",
}
