"""Kubernetes objects as read from input, each remembering where it came from.

Every stage after reading works on :class:`KubeObject`: the raw JSON-like mapping (never a
client model, whose field names differ from the manifest) plus its :class:`Origin`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an object was read: a file (``-`` is stdin) or ``cluster:<context>``."""

    file: str
    line: int | None = None
    """1-based line on which the object's YAML document (or JSON value) starts."""
    document: int = 0
    """0-based index of the document in its file."""
    item: int | None = None
    """Index in the ``items`` of a ``kind: List`` document, for objects that came from one."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its fields (a slotted dataclass pickles through a Python-level
        # __getstate__): the input goes to the workers this way, part by part.
        return Origin, (self.file, self.line, self.document, self.item)


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Identifies an input object in notifications and the ledger."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None
    file: str | None = None
    line: int | None = None
    _hash: int = field(init=False, repr=False, compare=False, default=0)
    _sort_key: tuple[str, str, str, str, str, int] = field(
        init=False, repr=False, compare=False, default=("", "", "", "", "", 0)
    )

    def __post_init__(self) -> None:
        # Ledger and notification keys hash these millions of times on large inputs, and
        # reports sort every notification and entry by them: both are computed once.
        key = (self.api_version, self.kind, self.namespace, self.name, self.file, self.line)
        object.__setattr__(self, "_hash", hash(key))
        sort_key = (
            self.file or "",
            self.kind,
            self.namespace or "",
            self.name or "",
            self.api_version,
            self.line or 0,
        )
        object.__setattr__(self, "_sort_key", sort_key)

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        # As its fields (see Origin.__reduce__): each part's report comes back from a worker
        # with a reference per input object; the hash and sort key are computed again.
        fields = (self.api_version, self.kind, self.namespace, self.name, self.file, self.line)
        return SourceRef, fields

    def to_json(self) -> JSONDict:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "file": self.file,
            "line": self.line,
        }

    def display(self) -> str:
        if not self.kind:  # a place in a file, not an object
            return f"{self.file}:{self.line}" if self.line else str(self.file)
        who = f"{self.namespace}/{self.name}" if self.namespace else (self.name or "<unnamed>")
        return f"{self.kind} {who}"

    def sort_key(self) -> tuple[str, str, str, str, str, int]:
        return self._sort_key


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """Identifies an output object (a ledger target)."""

    kind: str
    namespace: str | None
    name: str
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.kind, self.namespace, self.name)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        return ObjectRef, (self.kind, self.namespace, self.name)  # see SourceRef.__reduce__

    def to_json(self) -> JSONDict:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}

    def sort_key(self) -> tuple[str, str, str]:
        """Kind, namespace, name: an object without a namespace sorts first (plain ``<``
        cannot compare one with ``None`` to one with a namespace)."""
        return (self.kind, self.namespace or "", self.name)

    def display(self) -> str:
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind} {self.name}"
        )


# The API server's name rules (apimachinery's IsDNS1123Label / IsDNS1123Subdomain); the
# validator and the reader both ask these.
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def field_within(field: str, parent: str) -> bool:
    """Whether the input field ``field`` is ``parent`` or inside it (``spec.http[1].match[0]``
    in ``spec.http[1]``; not ``spec.http[10]``)."""
    return field == parent or field.startswith((parent + ".", parent + "["))


def is_subdomain(name: str) -> bool:
    """A DNS-1123 subdomain: what most object names (Secrets, ConfigMaps, ...) must be."""
    return len(name) <= 253 and _SUBDOMAIN.fullmatch(name) is not None


def is_label(name: str) -> bool:
    """A DNS-1123 label: what a namespace name must be."""
    return len(name) <= 63 and _LABEL.fullmatch(name) is not None


ANNOTATIONS_LIMIT = 256 * 1024
"""Bytes of annotation keys and values the API server accepts on one object (apimachinery's
``TotalAnnotationSizeLimitB``)."""


def annotations_size(annotations: Mapping[Any, Any]) -> int:
    """The bytes the API server counts against :data:`ANNOTATIONS_LIMIT` (UTF-8; values that
    are not strings count nothing here, the validator reports them)."""
    return sum(_utf8_size(str(key)) + _utf8_size(value) for key, value in annotations.items())


def _utf8_size(value: object) -> int:
    if not isinstance(value, str):
        return 0
    # surrogatepass: a library caller may hand over half a surrogate pair.
    return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))


def _may_exceed(annotations: JSONDict) -> bool:
    """False when ``annotations`` are certainly within :data:`ANNOTATIONS_LIMIT`. A UTF-8
    character takes at most 4 bytes, and a dict's repr has at least every character of its
    string keys and values: that bound, in C, settles almost every object without counting
    bytes item by item (10k Ingresses: 0.3 s of the profile)."""
    try:
        return 4 * len(repr(annotations)) > ANNOTATIONS_LIMIT
    except RecursionError:  # values nested too deeply to print: count exactly
        return True


MAX_NESTING = 128
"""Levels of mappings and lists an input document may nest. The deepest real manifests nest
about 40 (CRD schemas); code that walks input data recursively stays far below Python's
recursion limit, and the verdict is the same on every Python (the JSON decoder's own limit is
the recursion limit on 3.11 and much larger on 3.13)."""


def too_deep() -> str:
    return f"nested more than {MAX_NESTING} levels deep; no Kubernetes object nests like this"


def nesting_problem(value: object) -> str | None:
    """Why ``value`` nests too deeply (see :data:`MAX_NESTING`), or None; walked without
    recursion, and no further than the limit."""
    if not isinstance(value, (dict, list)):
        return None
    pending: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    pop, push = pending.pop, pending.append
    while pending:
        node, depth = pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                if depth >= MAX_NESTING:
                    return too_deep()
                push((child, depth + 1))
    return None


def why_impossible(data: JSONDict) -> str | None:
    """Why the API server could never hold this object, or None.

    Names and namespaces go into output names and references: an object without a name, or in
    a namespace that cannot exist, cannot be converted into anything valid; nor can annotations
    the API server would refuse (a 50 MB "snippet" is an attack, not configuration)."""
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        return "metadata.name is missing or not a string"
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if namespace is not None and not (
        isinstance(namespace, str) and (namespace == "" or is_label(namespace))
    ):
        return (
            f"metadata.namespace {namespace!r} is not a namespace name (at most 63 lowercase "
            "letters, digits and '-', starting and ending with a letter or digit)"
        )
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if isinstance(annotations, dict) and _may_exceed(annotations):
        size = annotations_size(annotations)
        if size > ANNOTATIONS_LIMIT:
            return (
                f"metadata.annotations hold {size} bytes; the API server accepts at most "
                f"{ANNOTATIONS_LIMIT}"
            )
    return None


DOCUMENTS_GROUP = "documents.ingress2gateway.io"
"""The API group of input that is not a Kubernetes object but a document a provider reads (an
OpenAPI description): the reader gives it an ``apiVersion``, a ``kind`` and a name so that
it travels through the pipeline as any object does. No API server serves this group."""

OPENAPI_DOCUMENT_KIND = "OpenAPIDocument"
"""The kind of an OpenAPI 3 (or Swagger 2) document read from a file (see
:func:`ingress2gateway.reading.manifests.read_inputs`): its own top-level fields (``openapi``,
``info``, ``paths``...) are kept where they are, so that a field's line can be found."""

INGRESS_GROUPS = ("networking.k8s.io", "extensions")
"""The API groups an Ingress is read from (``extensions/v1beta1`` is the legacy one)."""


def kinds_as_read(objects: Iterable[KubeObject]) -> set[tuple[str, str]]:
    """``(group, kind)`` of ``objects`` as providers read them: every provider reads the legacy
    Ingress groups as networking.k8s.io's Ingress, though it declares only the latter."""
    return {
        ("networking.k8s.io", o.kind)
        if o.kind == "Ingress" and o.group in INGRESS_GROUPS
        else (o.group, o.kind)
        for o in objects
    }


@dataclass(slots=True)
class KubeObject:
    """One Kubernetes object from the input."""

    data: JSONDict
    origin: Origin
    _source: SourceRef | None = field(default=None, repr=False, compare=False)
    _annotations: dict[str, str] | None = field(default=None, repr=False, compare=False)
    _spec_released: bool = field(default=False, repr=False, compare=False)
    well_formed: bool = field(default=False, repr=False, compare=False)
    """The reader found it well formed (:func:`why_impossible`, :func:`nesting_problem`): the
    pipeline need not walk it again."""
    # Read once: providers ask for them hundreds of thousands of times on a large input, and
    # the object is not changed after reading (release_spec keeps the metadata).
    _kind: str = field(init=False, default="", repr=False, compare=False)
    _name: str | None = field(init=False, default=None, repr=False, compare=False)
    _namespace: str | None = field(init=False, default=None, repr=False, compare=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as what it was made from (see Origin.__reduce__); what it computes once is
        # computed again where it is unpickled.
        return KubeObject, (
            self.data,
            self.origin,
            None,
            None,
            self._spec_released,
            self.well_formed,
        )

    def __post_init__(self) -> None:
        kind, metadata = self.data.get("kind"), self.metadata
        name, namespace = metadata.get("name"), metadata.get("namespace")
        self._kind = kind if isinstance(kind, str) else ""
        self._name = name if isinstance(name, str) else None
        self._namespace = namespace if isinstance(namespace, str) and namespace else None

    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def group(self) -> str:
        api_version = self.api_version
        return api_version.rpartition("/")[0] if "/" in api_version else ""

    @property
    def metadata(self) -> JSONDict:
        value = self.data.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def namespace(self) -> str | None:
        return self._namespace

    @property
    def identity(self) -> tuple[str, str, str | None, str | None]:
        """Group, kind, namespace and name: the same object however often the input defines
        it (as ``kubectl apply`` tells one object from another)."""
        return (self.group, self.kind, self._namespace, self._name)

    @property
    def annotations(self) -> dict[str, str]:
        """Annotation values as the API has them (strings); computed once, treat as read-only."""
        if self._annotations is None:
            value = self.metadata.get("annotations")
            self._annotations = (
                {str(k): v if isinstance(v, str) else _scalar_text(v) for k, v in value.items()}
                if isinstance(value, dict)
                else {}
            )
        return self._annotations

    @property
    def spec(self) -> JSONDict:
        if self._spec_released:
            raise RuntimeError(f"the spec of {self.kind} {self.name} was released after parsing")
        value = self.data.get("spec")
        return value if isinstance(value, dict) else {}

    def release_spec(self) -> None:
        """Forget the spec (the bulk of an Ingress) once a provider has parsed it, when the
        caller handed the input over (see ``convert_streaming(release_input=True)``); reading it again
        is an error rather than an empty spec."""
        self.data = {key: value for key, value in self.data.items() if key != "spec"}
        self._spec_released = True

    def source(self) -> SourceRef:
        """The object's reference (computed once: the object is not changed after reading)."""
        if self._source is None:
            self._source = SourceRef(
                api_version=self.api_version,
                kind=self.kind,
                namespace=self.namespace,
                name=self.name,
                file=self.origin.file,
                line=self.origin.line,
            )
        return self._source


def _scalar_text(value: object) -> str:
    """Annotation values are strings in the API; YAML may have typed them (``true``, ``10``)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """A kind a provider reads, as the API server serves it (used to list it from a cluster)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version
