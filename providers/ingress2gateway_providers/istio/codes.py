"""The notification codes of the Istio provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "istio-field-unsupported": "A field with no Gateway API equivalent, or an unknown field; "
    "not converted.",
    "istio-field-partial": "A field converted only in part; the message says what is lost.",
    "istio-field-ignored": "A field without effect on ingress routing (selector, exportTo, "
    "names); nothing to convert.",
    "istio-server-skipped": "A Gateway server could not become a listener (no credentialName, "
    "ISTIO_MUTUAL, unknown protocol, bad port).",
    "istio-allowed-routes": "A server host admits every namespace in Istio; the listener "
    "admits the namespaces of the converted VirtualServices.",
    "istio-gateway-not-found": "A VirtualService names a gateway that is not in the input, or "
    "none of whose listeners it can bind.",
    "istio-mesh-only": "A VirtualService (or its mesh gateway) routes sidecar traffic; "
    "not converted.",
    "istio-destination-unresolved": "A destination is not a Kubernetes Service or has no "
    "resolvable port; no backendRef was written for it.",
    "istio-subset": "A DestinationRule subset needs one Service per subset; the route "
    "targets the whole Service.",
    "istio-prefix-semantics": "Istio's character prefix became a segment PathPrefix "
    "(/foo no longer matches /foobar).",
    "istio-route-order": "Matches were dropped or narrowed so Gateway API precedence routes "
    "like Istio's first-match order.",
    "istio-route-order-unequal": "Two routes may match the same requests in a different order "
    "than in Istio (regular expressions, conflicting conditions).",
    "istio-route-split": "A VirtualService's rules were split across several HTTPRoutes.",
    "istio-version-unknown": "An unknown networking.istio.io or security.istio.io "
    "version, read as v1.",
    "istio-authorization": "An AuthorizationPolicy allows or denies nothing at the "
    "converted Gateways' pods (AUDIT, a DENY or CUSTOM policy without rules, a dry run, "
    "another namespace or workload); the message says why. One that may apply closes their routes "
    "(extension-unsupported).",
    "istio-duplicate-object": "The same Istio object appears twice; the first is used.",
    "istio-not-exported": "A VirtualService is not exported to the namespace of the "
    "gateway's pods (the provider option gateway-workload-namespace): Istio's gateway does not "
    "see it; not converted.",
    "istio-assumed": "A conversion depends on what the input does not say about the "
    "gateway's pods (their namespace, their labels); the message says what was assumed.",
    "istio-delegate": "A delegate VirtualService is missing, not exported to its root, "
    "unused, or has routes that conflict with the root's match (Istio drops them).",
    "istio-shared-address": "Istio Gateways that select the same pods share one address; "
    "as Gateway API Gateways they get one each, and both take a host: DNS decides.",
    "istio-rewrite-differs": "rewrite.uri replaces Istio's matched prefix character for "
    "character; Gateway API's ReplacePrefixMatch gives these paths another form.",
}
