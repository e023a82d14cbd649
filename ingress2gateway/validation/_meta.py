"""ObjectMeta checks the apiserver makes for every custom resource (not part of the CRD schema).

``metadata.name`` must be a DNS-1123 subdomain, ``metadata.namespace`` a DNS-1123 label (ignored
for cluster-scoped kinds, where the apiserver clears it), label keys/values and annotation keys
must be well-formed, and annotations may total at most 256 KiB.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

from ingress2gateway.objects import ANNOTATIONS_LIMIT, annotations_size, is_label, is_subdomain

from ._openapi import show
from ._schema import re2_tester
from ._violation import Findings, child_path, item_path

RULE = "metadata"

_QUALIFIED_NAME = re2.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re2.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_is_qualified_name = re2_tester(_QUALIFIED_NAME)
_is_label_value = re2_tester(_LABEL_VALUE)

OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


def unknown_meta_fields(meta: Any, out: Findings) -> None:
    if isinstance(meta, dict):
        for name in meta:
            if name not in OBJECT_META_FIELDS:
                path = child_path("metadata", name)
                out.add(path, f'unknown field "{path}"', "unknown-field")


@lru_cache(maxsize=4096)
def qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix part must be non-empty"
    if prefix and not is_subdomain(prefix):
        return "prefix part must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _is_qualified_name(name):
        return (
            "name part must consist of at most 63 alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


def validate_meta(meta: Any, namespaced: bool, out: Findings) -> None:
    if not isinstance(meta, dict):
        if meta is not None:
            out.add("metadata", "Invalid value: must be of type object", RULE, blocking=True)
        out.add(
            "metadata.name", "Required value: name or generateName is required", RULE, blocking=True
        )
        return
    name = meta.get("name")
    if name is None or name == "":
        if not meta.get("generateName"):
            out.add(
                "metadata.name",
                "Required value: name or generateName is required",
                RULE,
                blocking=True,
            )
    elif not isinstance(name, str) or not is_subdomain(name):
        out.add(
            "metadata.name",
            f"Invalid value: {show(name)}: a lowercase RFC 1123 subdomain must consist of lower "
            "case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character (at most 253 characters)",
            RULE,
        )
    namespace = meta.get("namespace")
    if (
        namespaced
        and namespace not in (None, "")
        and (not isinstance(namespace, str) or not is_label(namespace))
    ):
        out.add(
            "metadata.namespace",
            f"Invalid value: {show(namespace)}: a lowercase RFC 1123 label must consist of "
            "lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character (at most 63 characters)",
            RULE,
        )
    _validate_labels(meta.get("labels"), out)
    _validate_annotations(meta.get("annotations"), out)


def _string_map(value: Any, path: str, out: Findings) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        out.add(path, f"Invalid value: {show(value)}: must be of type object", RULE, blocking=True)
        return {}
    good: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            good[key] = item
        else:
            out.add(
                item_path(path, key),
                f"Invalid value: {show(item)}: must be of type string",
                RULE,
                blocking=True,
            )
    return good


def _validate_labels(value: Any, out: Findings) -> None:
    path = "metadata.labels"
    for key, item in _string_map(value, path, out).items():
        problem = qualified_name_problem(key)
        if problem:
            out.add(path, f"Invalid value: {show(key)}: {problem}", RULE)
        if len(item) > 63 or not _is_label_value(item):
            out.add(
                path,
                f"Invalid value: {show(item)}: a valid label value must be an empty string or "
                "at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with "
                "an alphanumeric character",
                RULE,
            )


def _validate_annotations(value: Any, out: Findings) -> None:
    path = "metadata.annotations"
    annotations = _string_map(value, path, out)
    for key in annotations:
        problem = qualified_name_problem(key.lower())
        if problem:
            out.add(path, f"Invalid value: {show(key)}: {problem}", RULE)
    if annotations_size(annotations) > ANNOTATIONS_LIMIT:
        out.add(
            path,
            f"Too long: must have at most {ANNOTATIONS_LIMIT} bytes",
            RULE,
            blocking=True,
        )
