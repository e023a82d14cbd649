"""Security requirements → access controls that close the routes they protect.

An operation's ``security`` (else the document's) lists alternatives: a request passes with
any one of them, and an alternative is a set of schemes a request must all pass (OAS
"Security Requirement Object"). An empty alternative (``{}``) lets anonymous requests through:
the operation is not protected. ``security: []`` on an operation removes the document's.

The schemes are what an API gateway would check, and a migration must never open them, so
every protected operation gets an access control the core emits **closed** unless the emitter
carries it:

* ``apiKey`` in a header or query parameter → an API-key extension naming the key; no emitter
  can check it without the keys, which the document does not hold;
* ``http`` ``bearer`` and ``openIdConnect`` → a JWT extension (issuer from the discovery URL),
  without keys to verify against;
* ``http`` ``basic`` (and other ``http`` schemes), ``oauth2``, ``mutualTLS``, an ``apiKey`` in a
  cookie, several alternatives, or a scheme the document does not define: a control that
  cannot be carried.

The document's ``securitySchemes`` and each requirement are in the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ingress2gateway.ir import APIKeyAuth, Extension, JWTAuth, Provenance, RefusedControl
from ingress2gateway.reporting.report import Level, Status

from .common import Fields, as_dict, as_list, sub

Requirement = tuple[tuple[str, tuple[str, ...]], ...]
"""One alternative: (scheme name, scopes) sorted by name."""


@dataclass(frozen=True, slots=True)
class Guard:
    """The security of an operation: its alternatives, and the field that set them."""

    alternatives: tuple[Requirement, ...]
    field: str

    def describe(self) -> str:
        return " or ".join(" and ".join(name for name, _ in alt) for alt in self.alternatives)


def guard_of(fields: Fields, value: object, field: str) -> Guard | None:
    """The guard a ``security`` value at ``field`` sets, or None when requests need none."""
    alternatives: list[Requirement] = []
    for index, item in enumerate(as_list(value)):
        body = as_dict(item)
        if not body:
            return None  # {}: anonymous requests pass
        requirement = tuple(
            sorted(
                (str(name), tuple(str(s) for s in as_list(scopes))) for name, scopes in body.items()
            )
        )
        if not isinstance(item, dict):
            fields.notify(
                Level.WARNING,
                "openapi3-value-invalid",
                sub(field, index),
                "a security requirement must be a mapping of scheme names to scopes",
            )
        alternatives.append(requirement)
    if not alternatives:
        return None
    return Guard(tuple(dict.fromkeys(alternatives)), field)


class Controls:
    """The access controls of one document, one per distinct guard (shared by its rules)."""

    def __init__(self, fields: Fields, schemes: Mapping[Any, Any]) -> None:
        self.fields = fields
        self.schemes = schemes
        self._made: dict[Guard, list[Extension]] = {}

    def extensions(self, guard: Guard) -> list[Extension]:
        found = self._made.get(guard)
        if found is None:
            found = self._made[guard] = self._make(guard)
        return found

    def _make(self, guard: Guard) -> list[Extension]:
        fields = self.fields
        provenance = [fields.prov(guard.field)]
        provenance += [
            fields.prov(sub("components.securitySchemes", name))
            for alt in guard.alternatives
            for name, _ in alt
            if name in self.schemes
        ]
        message = (
            f"{guard.field} requires {guard.describe()}: the operations it protects are closed "
            "unless the emitter carries the check (the document holds no credentials to check "
            "against); add the authentication on the gateway, then open them"
        )
        fields.notify(
            Level.ERROR, "openapi3-security", guard.field, message, Status.PARTIAL, security=True
        )
        for item in provenance[1:]:
            fields.record(item.field, Status.PARTIAL, "a security scheme: see openapi3-security")
        if len(guard.alternatives) > 1:
            return [RefusedControl(what=f"any of {guard.describe()}", provenance=list(provenance))]
        return [self._scheme(name, provenance) for name, _ in guard.alternatives[0]]

    def _scheme(self, name: str, provenance: list[Provenance]) -> Extension:
        scheme = as_dict(self.schemes.get(name))
        kind = scheme.get("type")
        where = scheme.get("in")
        key = scheme.get("name")
        if kind == "apiKey" and where in ("header", "query") and isinstance(key, str) and key:
            return APIKeyAuth(
                key_names=[key],
                in_header=where == "header",
                in_query=where == "query",
                provenance=list(provenance),
            )
        http_scheme = str(scheme.get("scheme", "")).lower()
        if kind == "openIdConnect" or (kind == "http" and http_scheme == "bearer"):
            url = scheme.get("openIdConnectUrl")
            issuer = None
            if isinstance(url, str) and url.endswith("/.well-known/openid-configuration"):
                issuer = url[: -len("/.well-known/openid-configuration")] or None
            return JWTAuth(issuer=issuer, provenance=list(provenance))
        if not scheme:
            what = f"security scheme {name!r}, which components.securitySchemes does not define"
        else:
            what = f"security scheme {name!r} ({kind}{' ' + http_scheme if http_scheme else ''})"
        return RefusedControl(what=what, provenance=list(provenance))
