"""Route filters standard Gateway API lacks → ``HTTPRouteFilter`` referenced by an
``ExtensionRef`` filter on the HTTPRoute rule.

* **Regex rewrite** (a rewrite with capture groups, e.g. ingress-nginx ``rewrite-target: /$1``
  with ``use-regex``) → ``urlRewrite.path`` ``ReplaceRegexMatch`` (``pattern``, ``substitution``
  with ``\\1`` for the first group; RE2 syntax). The HTTPRoute rule gets an ``ExtensionRef``
  filter naming it. Several different rewrites on one rule cannot apply: the first is used.
"""

from __future__ import annotations

from ingress2gateway.ir import HTTPRoute, RegexRewrite, Rule
from ingress2gateway.objects import JSONDict

from ._base import EG_GROUP, Contribution
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
