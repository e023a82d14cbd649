"""Route filters standard Gateway API lacks → ``HTTPRouteFilter`` referenced by an
``ExtensionRef`` filter on the HTTPRoute rule.

* **Closed rules that answer the source's status**: a rule closed for an access control the
  source itself refused and answered (``Rule.closed_status``: ingress-nginx's 503 for a denied
  location) gets an ``ExtensionRef`` to an ``HTTPRouteFilter`` with ``directResponse``
  ``statusCode`` (one per namespace and status), where Gateway API's rule without backends
  answers 500.
* **Regex rewrite** (a rewrite with capture groups, e.g. ingress-nginx ``rewrite-target: /$1``
  with ``use-regex``) → ``urlRewrite.path`` ``ReplaceRegexMatch`` (``pattern``, ``substitution``
  with ``\\1`` for the first group; RE2 syntax). The HTTPRoute rule gets an ``ExtensionRef``
  filter naming it. Several different rewrites on one rule cannot apply: the first is used.
"""

from __future__ import annotations

from ingress2gateway.emitters.gatewayapi import metadata
from ingress2gateway.ir import HTTPRoute, RegexRewrite, Route, Rule
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted

from ._base import EG_API_VERSION, EG_GROUP, Contribution
from ._state import State

HTTP_ROUTE_FILTER = "HTTPRouteFilter"


def regex_rewrite(
    state: State, route: HTTPRoute, rule: Rule, label: str, rule_body: JSONDict
) -> None:
    """Add the HTTPRouteFilter for the rule's regex rewrite and reference it from the rule."""
    rewrites = [e for e in rule.extensions if isinstance(e, RegexRewrite)]
    if not rewrites:
        return
    first = rewrites[0]
    spec: JSONDict = {
        "urlRewrite": {
            "path": {
                "type": "ReplaceRegexMatch",
                "replaceRegexMatch": {"pattern": first.pattern, "substitution": first.substitution},
            }
        }
    }
    name = state.name(
        HTTP_ROUTE_FILTER,
        route.namespace,
        f"{route.name}-{label}-rewrite",
        f"{route.namespace}/{route.name}/{label}",
    )
    emitted = state.add_object(HTTP_ROUTE_FILTER, route.namespace, name, spec, [first])
    filters = rule_body.setdefault("filters", [])
    filters.append(
        {
            "type": "ExtensionRef",
            "extensionRef": {"group": EG_GROUP, "kind": HTTP_ROUTE_FILTER, "name": name},
        }
    )
    state.accept(first, Contribution(HTTP_ROUTE_FILTER, {}), [emitted.ref, route.ref])
    for other in rewrites[1:]:
        if (other.pattern, other.substitution) == (first.pattern, first.substitution):
            state.accept(other, Contribution(HTTP_ROUTE_FILTER, {}), [emitted.ref, route.ref])
        else:
            state.reject(
                other,
                f"rule {label} of {route.KIND} {route.name} already rewrites with "
                f"{first.pattern!r}; one rule has one path rewrite",
            )


def direct_response(state: State, route: Route, rule: Rule, rule_body: JSONDict) -> None:
    """A closed rule (no backends, no filters) that should answer ``rule.closed_status``: an
    ``ExtensionRef`` to the namespace's ``HTTPRouteFilter`` answering that status."""
    status = rule.closed_status
    if status is None or rule_body.get("backendRefs") or rule_body.get("filters"):
        return
    key = (route.namespace, status)
    found = state.direct_responses.get(key)
    if found is None:
        name = state.name(
            HTTP_ROUTE_FILTER, route.namespace, f"status-{status}", f"direct-response/{status}"
        )
        body: JSONDict = {
            "apiVersion": EG_API_VERSION,
            "kind": HTTP_ROUTE_FILTER,
            "metadata": metadata(name, route.namespace),
            "spec": {"directResponse": {"statusCode": status}},
        }
        found = Emitted(ObjectRef(HTTP_ROUTE_FILTER, route.namespace, name), body)
        state.objects.append(found)
        state.direct_responses[key] = found
    found.sources = sorted({*found.sources, *rule.sources}, key=SourceRef.sort_key)
    rule_body["filters"] = [
        {
            "type": "ExtensionRef",
            "extensionRef": {"group": EG_GROUP, "kind": HTTP_ROUTE_FILTER, "name": found.ref.name},
        }
    ]
    found.provenance = list(dict.fromkeys([*found.provenance, *rule.provenance]))
