"""The contracts between core, providers and emitters.

A *provider* reads input objects it owns and adds to the IR; an *emitter* turns the IR into
output objects for a target. Both are plain objects satisfying a :class:`typing.Protocol`,
registered by name (see :mod:`ingress2gateway.registry`), so a third-party package can add one
through an entry point without touching core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.errors import UsageError
from ingress2gateway.ir import IR, Extension, Provenance
from ingress2gateway.objects import JSONDict, KubeObject, ObjectRef, ResourceKind, SourceRef
from ingress2gateway.reporting.report import Recorder

if TYPE_CHECKING:
    from ingress2gateway.target import Target
    from ingress2gateway.verification.model import SourceModel


ACCESS_CONTROL_FALLBACKS = ("closed", "open")
"""The values of :attr:`ConvertOptions.access_control_fallback`; the first is the default."""


@dataclass(frozen=True)
class ConvertOptions:
    """Everything a conversion can be asked to do differently (the CLI's flags)."""

    ingress_classes: tuple[str, ...] = ()
    """Override the ingress class names the providers own (``--ingress-class``)."""
    default_ingress_class: str | None = None
    """Class assumed for Ingresses without one (``--default-ingress-class``)."""
    namespace: str | None = None
    """Only convert objects of this namespace (``-n``); None converts every namespace."""
    gateway_name: str | None = None
    gateway_namespace: str | None = None
    gateway_class_name: str | None = None
    gateway_per_namespace: bool = False
    provider_options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Provider-specific settings, ``{"nginx": {"annotation-prefix": "..."}}``."""
    access_control_fallback: str = "closed"
    """What becomes of a rule protected by an access control (auth, an IP allow-list, client
    certificates) the emitter cannot carry (``--access-control-fallback``): ``closed`` emits it
    so that it reaches no backend (see :mod:`ingress2gateway.converting.access`); ``open`` emits it
    unprotected, for users who add the control by other means. Either way it is a security
    error in the report."""

    default_certificate: str | None = None
    """``NAMESPACE/NAME`` of the Secret the controller served to an Ingress TLS entry that names
    none (ingress-nginx's ``--default-ssl-certificate``; ``--default-certificate``). Without
    it such hosts still get their HTTPS listener, naming a Secret the user must create."""

    def __post_init__(self) -> None:
        if self.default_certificate is not None:
            from ingress2gateway.objects import is_label, is_subdomain

            namespace, _, name = self.default_certificate.partition("/")
            if not (is_label(namespace) and is_subdomain(name)):
                raise UsageError(
                    f"default-certificate {self.default_certificate!r}: expected "
                    "NAMESPACE/NAME of a Secret"
                )
        if self.access_control_fallback not in ACCESS_CONTROL_FALLBACKS:
            raise UsageError(
                f"access-control-fallback {self.access_control_fallback!r}: expected "
                + " or ".join(ACCESS_CONTROL_FALLBACKS)
            )

    def for_provider(self, name: str) -> Mapping[str, str]:
        return self.provider_options.get(name, {})


@dataclass
class ProviderContext:
    """What a provider gets to work with. Shared by every provider of one conversion."""

    objects: Sequence[KubeObject]
    ir: IR
    report: Recorder
    options: ConvertOptions
    names: dict[tuple[str, str | None], NameAllocator] = field(default_factory=dict)
    claimed: set[int] = field(default_factory=set)
    """``id()`` of the input objects some provider consumed."""
    release_input: bool = False
    """The caller handed the objects over: a provider may drop what it has parsed (see
    :meth:`KubeObject.release_spec`) so that it is freed during the conversion."""

    def allocator(self, kind: str, namespace: str | None) -> NameAllocator:
        """Names are unique per kind and namespace across all providers."""
        key = (kind, namespace)
        if key not in self.names:
            self.names[key] = NameAllocator()
        return self.names[key]

    def claim(self, obj: KubeObject) -> None:
        self.claimed.add(id(obj))


@dataclass(frozen=True)
class CatalogRow:
    """One thing a provider recognises (an annotation, a CRD field), for users to read.

    Providers that have a catalog expose ``catalog_rows()``; ``ingress2gateway providers NAME``
    prints it and ``docs/providers/<name>.md`` is generated from it.
    """

    key: str
    status: str
    """converted | partial | needs-extension | unsupported | ignored"""
    note: str
    scope: str = ""
    risk: str = ""


@runtime_checkable
class Provider(Protocol):
    name: str
    aliases: tuple[str, ...]
    description: str
    resources: tuple[ResourceKind, ...]
    """Kinds read from a cluster (and consumed from files)."""

    def convert(self, ctx: ProviderContext) -> None:
        """Claim the objects this provider owns, add them to ``ctx.ir``, report the rest."""

    # Optional: ``cluster_reads(options) -> Sequence[tuple[ResourceKind, str | None]]`` names
    # extra kinds to read from a cluster in a fixed namespace (None: the user's selection),
    # such as a controller's ConfigMap in the controller's own namespace.
    #
    # Optional: ``partition(objects, options) -> Parts | None`` splits the input into parts
    # that convert to the same output and report, part by part, as the whole input does (see
    # :class:`Parts`); None when it cannot be sure of that. The pipeline then converts and
    # emits one part at a time, when this provider is the only one selected and the emitter
    # takes parts.


@runtime_checkable
class ModelsItsController(Protocol):
    """The optional part of the :class:`Provider` protocol ``verify`` depends on: a model of
    how the provider's controller routes requests over the input (see
    :mod:`ingress2gateway.verification`). It must be written from the controller's code, and share
    nothing with the provider's conversion: an oracle that shares the converter's
    misunderstanding finds nothing."""

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """The model of the objects this provider's controller would serve (None: none)."""


@dataclass
class Parts:
    """The input of one provider in parts that share no output: converting each part (with the
    ``shared`` objects, such as IngressClasses and Services, which every part reads) gives
    objects in namespaces no other part writes to, and the same output and report as
    converting the whole input at once. Only one part's IR is alive at a time (in each worker
    process, when workers convert the parts).

    What a part's conversion reports about a shared object must not depend on the part (the
    report merges what every part says), and their ledger entries carry no output targets: a
    part's discards and replacements are applied to the entries made while it converts."""

    parts: list[list[KubeObject]]
    shared: list[KubeObject] = field(default_factory=list)


@dataclass
class EmitContext:
    report: Recorder
    target: Target
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Emitted:
    """One output object and the input it came from."""

    ref: ObjectRef
    body: JSONDict
    sources: list[SourceRef] = field(default_factory=list)
    """Input objects it was made from (notifications about it are filed under them)."""
    provenance: list[Provenance] = field(default_factory=list)
    """The input fields it was made from: once it is printed, the ledger names it as their
    target (the only way a ledger entry gains one). Whoever changes the object before it is
    printed (closing a rule, say) adds the fields that change came from."""
    text: str | None = None
    """The object encoded for output, when :func:`ingress2gateway.convert` was asked to."""
    rules: list[list[Provenance]] = field(default_factory=list)
    """For a route: the input fields behind each of its ``spec.rules``, so that a rule the API
    server would refuse can be left out (and accounted for) instead of the whole route."""


@runtime_checkable
class Emitter(Protocol):
    name: str
    description: str

    def emit(self, ir: IR, ctx: EmitContext) -> Iterable[Emitted]:
        """Turn the IR into objects; mark extensions it expresses as consumed.

        May return a generator: the pipeline validates and hands on each object as it comes,
        and reads which extensions were consumed only once the iterable is exhausted. An
        emitter whose objects come in output order (:func:`.emitters.gatewayapi.sort_key`)
        says so with a class attribute ``ordered = True``, so that they can be printed as they
        come; the pipeline sorts the objects of any other emitter first. An ordered emitter
        whose output for one IR depends on nothing else (no state across calls) may say
        ``in_parts = True``: the pipeline may then call it once per part of the input (see
        :class:`Parts`).

        Optional: ``carries(extension, target) -> bool`` (see :class:`CarriesAccessControls`)
        says, before emission, which access controls it expresses; one without it is taken
        to carry none, and the rules those controls protect are emitted closed."""


@runtime_checkable
class CarriesAccessControls(Protocol):
    """The optional part of the :class:`Emitter` protocol that access controls depend on.

    The pipeline asks it about every security extension (``Extension.SECURITY``) before the
    emitter runs: objects stream out one by one, so a rule whose control will not be carried
    must be closed before its route is built (:mod:`ingress2gateway.converting.access`)."""

    def carries(self, extension: Extension, target: Target) -> bool:
        """Whether :meth:`Emitter.emit` will express this very extension (an instance: an
        emitter may take basic auth naming a Secret and refuse one that names none) on
        ``target``, and mark it consumed."""


def carried(emitter: Emitter, extension: Extension, target: Target) -> bool:
    """``emitter.carries(extension, target)``; False for an emitter without that method: an
    emitter that does not say it carries an access control is taken to drop it, so the
    rules it protects are closed (the safe answer)."""
    return isinstance(emitter, CarriesAccessControls) and emitter.carries(extension, target)
