"""Validate objects against the vendored CRDs the way kube-apiserver does for a create.

Order (as in the apiserver, see ``docs/validation.md``):

1. **served** — the CRD exists in the target and serves the object's ``apiVersion``;
2. **unknown-field** — strict field validation (kubectl's default) refuses undeclared fields
   before anything else runs, so when there are any, only they are reported;
3. defaulting from ``default:`` (on a copy — the caller's object is never mutated);
4. **metadata** — name is a DNS-1123 subdomain, namespace a DNS-1123 label, labels/annotations;
5. **schema** — OpenAPI v3 (jsonschema, with the apiserver's semantics: RE2 ``pattern`` …);
6. **list-type** — ``x-kubernetes-list-type`` set/map uniqueness;
7. **cel** — ``x-kubernetes-validations``, skipped (with the apiserver's generic message) when a
   blocking error (type, enum, required, too long, too many) was found.

Objects of kinds without a vendored CRD (core ``v1`` Secret, Service …) are not validated.
Kinds of the implementations whose CRDs are vendored (Envoy Gateway's ``gateway.envoyproxy.io``,
kgateway, agentgateway, GKE Gateway, NGINX Gateway Fabric, Istio, Kuadrant, Traefik) are validated
against that implementation's newest vendored CRDs whatever the Gateway API target.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from . import _catalog
from ._defaulting import apply_defaults, defaulted_copy
from ._fastcheck import list_types_ok, no_unknown_fields, schema_ok
from ._listtype import check_list_types
from ._meta import unknown_meta_fields, validate_meta
from ._openapi import unknown_fields, validate_schema
from ._schema import compile_schema
from ._violation import Findings, Violation

if TYPE_CHECKING:
    from ..target import Target

__all__ = [
    "CEL_NOT_CHECKED",
    "Violation",
    "has_schema",
    "prepare",
    "validate",
    "with_defaults",
]

CEL_NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


_IMPLICIT_ROOT_FIELDS = frozenset({"apiVersion", "kind", "metadata"})


@cache
def _gateway_api_groups() -> frozenset[str]:
    groups: set[str] = set()
    for ref in _catalog.index():
        if ref.project == _catalog.GATEWAY_API:
            groups |= _catalog.load(ref).groups
    return frozenset(groups)


def _catalog_for(group: str, target: Target) -> _catalog.Catalog | None:
    if group in _gateway_api_groups():
        return _catalog.gateway_api(target.version, target.channel)
    return _catalog.implementation_groups().get(group)


def has_schema(group: str, kind: str) -> bool:
    """Whether objects of ``group`` and ``kind`` are validated: Gateway API's, and each kind an
    implementation's vendored CRDs define (an Istio DestinationRule, a kgateway TrafficPolicy;
    not an Istio VirtualService, whose CRD is not vendored: input, never output)."""
    if group in _gateway_api_groups():
        return True
    catalog = _catalog.implementation_groups().get(group)
    return catalog is not None and catalog.crd(group, kind) is not None


def validate(obj: Mapping[str, Any], target: Target) -> list[Violation]:
    """Every reason the apiserver of *target* would refuse to create *obj* ([] = accepted)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    group, _, version = api_version.rpartition("/")
    catalog = _catalog_for(group, target)
    if catalog is None:
        return []
    crd = catalog.crd(group, kind)
    crd_version = crd.versions.get(version) if crd is not None else None
    if crd is None or crd_version is None or not crd_version.served:
        where = (
            target if catalog.ref.project == _catalog.GATEWAY_API else _catalog.display(catalog.ref)
        )
        return [Violation("", f"{kind} {api_version} is not served by {where}", "served")]

    given = dict(obj)  # shallow: nothing below is modified
    if crd_version.status_subresource:
        given.pop("status", None)  # reset on create by the apiserver
    root = compile_schema(crd_version.schema)
    findings = Findings()

    unknown_meta_fields(given.get("metadata"), findings)
    # The apiserver knows apiVersion, kind and metadata at the root whatever the schema declares
    # (Istio's CRDs declare only spec and status).
    without_meta = {k: v for k, v in given.items() if k not in _IMPLICIT_ROOT_FIELDS}
    # Each fast check below is True only when its exact check would report nothing; on False
    # the exact check runs and reports (see _fastcheck.py).
    if not no_unknown_fields(root)(without_meta):
        unknown_fields(without_meta, root, "", findings)
    if findings.violations:
        return findings.violations

    # A defaulted copy (the caller's object is never modified); the stages below only read it.
    body = defaulted_copy(given, root)
    validate_meta(body.get("metadata"), crd.namespaced, findings)
    if not schema_ok(root)(body):
        validate_schema(body, crd_version.schema, findings)
    lists_ok = list_types_ok(root)
    if lists_ok is not None and not lists_ok(body):
        check_list_types(body, root, "", findings)
    if findings.blocking:
        if root.rules_below:  # the apiserver says so only for CRDs that have rules
            findings.add("", CEL_NOT_CHECKED, "cel")
    else:
        # cel-python (and its parser) load on the first rule checked: a process that only
        # reads the catalog (the main process, while workers validate) never needs them.
        from ._cel import check_cel

        check_cel(body, root, "", findings, memo={})
    return findings.violations


PREPARED_KINDS = ("Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant")
"""What every conversion emits; other kinds are compiled when first met."""


def prepare(target: Target, kinds: tuple[str, ...] = PREPARED_KINDS) -> None:
    """Compile now what :func:`validate` would compile on first use for these kinds: schema
    trees, fast checks and every CEL rule (about 0.2 s). Forked workers do this while the
    providers run, so that the first objects they get do not wait for it."""
    catalog = _catalog.gateway_api(target.version, target.channel)
    for kind in kinds:
        crd = catalog.by_kind(kind)
        for version in crd.versions.values() if crd is not None else ():
            if not version.served:
                continue
            root = compile_schema(version.schema)
            no_unknown_fields(root)
            schema_ok(root)
            list_types_ok(root)
            # cel-python (and its parser) load here, in the workers, not at import.
            from ._cel import compile_rules_below

            compile_rules_below(root)


def with_defaults(obj: Mapping[str, Any], target: Target) -> dict[str, Any]:
    """A copy of *obj* with the defaults the apiserver would apply (for comparing manifests).

    Objects of kinds the target does not serve come back as an unchanged copy.
    """
    body = copy.deepcopy(dict(obj))
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return body
    group, _, version = api_version.rpartition("/")
    catalog = _catalog_for(group, target)
    crd = catalog.crd(group, kind) if catalog is not None else None
    crd_version = crd.versions.get(version) if crd is not None else None
    if crd_version is None:
        return body
    apply_defaults(body, compile_schema(crd_version.schema))
    return body
