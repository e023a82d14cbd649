"""Rule filters standard Gateway API lacks, referenced by an ``ExtensionRef`` filter.

* **Closed rules that answer the source's status**: a rule closed for an access control the
  source itself refused and answered (``Rule.closed_status``: ingress-nginx's 503 for a denied
  location) gets an ``ExtensionRef`` to a ``DirectResponse`` with that ``status`` (one per
  namespace and status), where Gateway API's rule without backends answers 500. kgateway reads
  DirectResponse only through an ExtensionRef.
* **TrafficPolicy per rule**: a rule whose settings differ from its route's other rules gets an
  ``ExtensionRef`` to a TrafficPolicy without ``targetRefs`` (kgateway's documented form, which
  needs no rule names).
"""

from __future__ import annotations

from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import Route, Rule
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted

from ._base import DIRECT_RESPONSE, KGW_API_VERSION, KGW_GROUP
from ._state import State


def extension_ref(kind: str, name: str) -> JSONDict:
    return {
        "type": "ExtensionRef",
        "extensionRef": {"group": KGW_GROUP, "kind": kind, "name": name},
    }


def direct_response(state: State, route: Route, rule: Rule, rule_body: JSONDict) -> None:
    """A closed rule (no backends, no filters) that should answer ``rule.closed_status``: an
    ``ExtensionRef`` to the namespace's ``DirectResponse`` with that status."""
    status = rule.closed_status
    if status is None or not 200 <= status <= 599:
        return
    if rule_body.get("backendRefs") or rule_body.get("filters"):
        return
    key = (route.namespace, status)
    found = state.direct_responses.get(key)
    if found is None:
        name = state.name(
            DIRECT_RESPONSE, route.namespace, f"status-{status}", f"direct-response/{status}"
        )
        body: JSONDict = {
            "apiVersion": KGW_API_VERSION,
            "kind": DIRECT_RESPONSE,
            "metadata": metadata(name, route.namespace),
            "spec": {"status": status},
        }
        found = Emitted(ObjectRef(DIRECT_RESPONSE, route.namespace, name), body)
        state.objects.append(found)
        state.direct_responses[key] = found
    found.sources = sorted({*found.sources, *rule.sources}, key=SourceRef.sort_key)
    rule_body["filters"] = [extension_ref(DIRECT_RESPONSE, found.ref.name)]
    found.provenance = list(dict.fromkeys([*found.provenance, *rule.provenance]))
