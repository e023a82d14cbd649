"""The contracts between core, providers and emitters (docs/plugins.md).

A *provider* reads input objects it owns and adds to the IR; an *emitter* turns the IR into
output objects for a target. Both are plain objects satisfying a :class:`typing.Protocol` that
declares every hook the core calls (the core never probes for one), registered by name through
an entry point (see :mod:`ingress2gateway.registry`), so a third-party package can add one
without touching core. :class:`ProviderBase` and :class:`EmitterBase` give the optional hooks
their defaults; each declares its settings as :class:`OptionSpec` and its notification codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

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


OptionType: TypeAlias = type[str] | type[bool] | type[int] | tuple[str, ...]
"""``str``, ``bool``, ``int``, or a tuple of the values a choice takes."""

_OPTION_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class OptionSpec:
    """One setting of a provider or emitter: ``--provider-option NAME.KEY=VALUE``, the flag
    ``--NAME-KEY VALUE``, or ``--emitter-option KEY=VALUE``. Values reach the plug-in as
    strings in their normal form (:meth:`normal`: ``true``/``false``, decimal integers);
    :meth:`ProviderBase.option` reads them typed, with the default."""

    name: str
    """Lowercase words joined by ``-`` (``annotation-prefix``)."""
    type: OptionType
    default: str | bool | int | None
    """What the plug-in does without the option (None: nothing, or a behaviour ``help`` says)."""
    help: str
    """One line for ``providers NAME`` and ``--help``."""

    def __post_init__(self) -> None:
        if not _OPTION_NAME.fullmatch(self.name):
            raise ValueError(f"option name {self.name!r}: expected lowercase words joined by '-'")
        if isinstance(self.type, tuple):
            if not self.type or not all(isinstance(choice, str) for choice in self.type):
                raise ValueError(f"option {self.name}: a choice needs at least one string value")
        elif self.type not in (str, bool, int):
            raise ValueError(f"option {self.name}: type must be str, bool, int or a choice tuple")

    @property
    def expected(self) -> str:
        """What a value must be, for messages and listings."""
        if isinstance(self.type, tuple):
            return "one of " + ", ".join(self.type)
        return {bool: "true or false", int: "an integer"}.get(self.type, "a string")

    @property
    def metavar(self) -> str:
        if isinstance(self.type, tuple):
            return "|".join(self.type)
        return {bool: "BOOL", int: "INT"}.get(self.type, "VALUE")

    def parse(self, text: str) -> str | bool | int:
        """``text`` as the option's type; ValueError (saying what is expected) if it is not."""
        if self.type is bool:
            folded = text.strip().lower()
            if folded in _TRUE or folded in _FALSE:
                return folded in _TRUE
        elif self.type is int:
            try:
                return int(text.strip(), 10)
            except ValueError:
                pass
        elif isinstance(self.type, tuple):
            if text in self.type:
                return text
        else:
            return text
        raise ValueError(f"{text!r} is not {self.expected}")

    def normal(self, text: str) -> str:
        """``text`` checked (:meth:`parse`) and written the one way plug-ins read it."""
        value = self.parse(text)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    @property
    def shown_default(self) -> str:
        """The default as a user would write it ("" when there is none)."""
        if self.default is None:
            return ""
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default) if self.default != "" else '""'


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
        """The settings given for provider ``name`` (strings; see :class:`OptionSpec`)."""
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

    A provider lists them in ``catalog_rows()``; ``ingress2gateway providers NAME`` prints them
    and ``docs/providers/<name>.md`` is generated from them.
    """

    key: str
    status: str
    """converted | partial | needs-extension | unsupported | ignored"""
    note: str
    scope: str = ""
    risk: str = ""


@runtime_checkable
class Provider(Protocol):
    """A reader of input objects it owns (see docs/plugins.md). Subclass :class:`ProviderBase`
    for the optional hooks' defaults; the registry refuses an object that lacks a member."""

    name: str
    """The name users select it by (``--providers NAME``); the entry point's name."""
    aliases: tuple[str, ...]
    """Other names users know it by (the Go tool's provider names among them)."""
    description: str
    resources: tuple[ResourceKind, ...]
    """Kinds read from a cluster (and consumed from files)."""
    options: tuple[OptionSpec, ...]
    """The settings it reads from ``ConvertOptions.for_provider(name)``: the CLI validates
    ``--provider-option NAME.KEY=VALUE`` against them and makes ``--NAME-KEY`` flags of them."""
    codes: Mapping[str, str]
    """Its own notification codes (``NAME-…``), each with a one-line meaning for the docs."""
    intended_differences: frozenset[str]
    """Those of its info codes that announce requests the migration answers differently on
    purpose (a quirk of the controller not worth carrying): ``verify`` counts them as
    explaining a difference, as it does warnings and errors."""

    def convert(self, ctx: ProviderContext) -> None:
        """Claim the objects this provider owns, add them to ``ctx.ir``, report the rest."""

    def cluster_reads(self, options: ConvertOptions) -> Sequence[tuple[ResourceKind, str | None]]:
        """Extra kinds to read from a cluster in a fixed namespace (None: the user's selection),
        such as a controller's ConfigMap in the controller's own namespace."""

    def partition(self, objects: Sequence[KubeObject], options: ConvertOptions) -> Parts | None:
        """The input in parts that convert to the same output and report, part by part, as the
        whole input does (see :class:`Parts`); None when it cannot be sure of that. The pipeline
        converts and emits one part at a time when this provider is the only one selected and
        the emitter takes parts (:attr:`Emitter.in_parts`)."""

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """A model of how the provider's controller routes requests over ``objects``, for
        ``verify`` (see :mod:`ingress2gateway.verification`); None when the input holds nothing
        of this controller. It must be written from the controller's code and share nothing
        with the conversion: an oracle that shares the converter's misunderstanding finds
        nothing. A provider without a model raises :class:`~ingress2gateway.errors.UsageError`
        (:class:`ProviderBase` does)."""

    def catalog_rows(self) -> Sequence[CatalogRow]:
        """What it recognises (annotations, CRD fields), for ``providers NAME`` and the docs."""


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
    """A writer of output objects for a target (see docs/plugins.md). Subclass
    :class:`EmitterBase` for the optional hooks' defaults."""

    name: str
    description: str
    options: tuple[OptionSpec, ...]
    """The settings it reads from ``EmitContext.options`` (``--emitter-option KEY=VALUE``)."""
    codes: Mapping[str, str]
    """Its own notification codes, each with a one-line meaning for the docs."""
    ordered: bool
    """Its objects come in output order (:func:`.emitters.gatewayapi.sort_key`), so that they
    can be printed as they come; the pipeline sorts the objects of any other emitter first."""
    in_parts: bool
    """An ordered emitter whose output for one IR depends on nothing else (no state across
    calls): the pipeline may call it once per part of the input (see :class:`Parts`)."""
    answers_closed_status: bool
    """It answers a closed rule with the rule's ``closed_status``, where Gateway API's rule
    without backends answers 500 (see :mod:`ingress2gateway.converting.access`)."""
    gateway_class: str | None
    """The GatewayClass its implementation installs (``kgateway``), given to the Gateways when
    no ``--gateway-class-name`` is; None: each provider's own default (the ingress class)."""

    def emit(self, ir: IR, ctx: EmitContext) -> Iterable[Emitted]:
        """Turn the IR into objects; mark extensions it expresses as consumed.

        May return a generator: the pipeline validates and hands on each object as it comes,
        and reads which extensions were consumed only once the iterable is exhausted."""

    def carries(self, extension: Extension, target: Target) -> bool:
        """Whether :meth:`emit` will express this very security extension (an instance: an
        emitter may take basic auth naming a Secret and refuse one that names none) on
        ``target``, and mark it consumed. Asked before the emitter runs: objects stream out one
        by one, so a rule whose control will not be carried must be closed before its route is
        built (:mod:`ingress2gateway.converting.access`). False is the safe answer: the rules
        the control protects are emitted closed."""


def carried(emitter: Emitter, extension: Extension, target: Target) -> bool:
    """``emitter.carries(extension, target)`` (kept for the callers in converting/access)."""
    return emitter.carries(extension, target)


_NO_CODES: Mapping[str, str] = MappingProxyType({})


class ProviderBase:
    """The optional hooks of :class:`Provider` with their defaults; a provider subclasses it
    and sets ``name``, ``description`` and ``resources`` and defines ``convert``."""

    name: str
    description: str
    resources: tuple[ResourceKind, ...]
    aliases: tuple[str, ...] = ()
    options: tuple[OptionSpec, ...] = ()
    codes: Mapping[str, str] = _NO_CODES
    intended_differences: frozenset[str] = frozenset()

    def cluster_reads(self, options: ConvertOptions) -> Sequence[tuple[ResourceKind, str | None]]:
        return ()

    def partition(self, objects: Sequence[KubeObject], options: ConvertOptions) -> Parts | None:
        return None

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        raise UsageError(f"provider {self.name} has no model of its controller to verify with")

    def catalog_rows(self) -> Sequence[CatalogRow]:
        return ()

    def option(self, options: ConvertOptions, key: str) -> str | bool | int | None:
        """The value of this provider's option ``key``, typed, or its default. Reading an
        option the provider does not declare is a bug: KeyError."""
        for spec in self.options:
            if spec.name == key:
                given = options.for_provider(self.name).get(key)
                return spec.default if given is None else spec.parse(given)
        raise KeyError(f"{type(self).__name__} reads option {key!r} it does not declare")


class EmitterBase:
    """The optional hooks of :class:`Emitter` with their defaults; an emitter subclasses it and
    sets ``name`` and ``description`` and defines ``emit``."""

    name: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    codes: Mapping[str, str] = _NO_CODES
    ordered: bool = False
    in_parts: bool = False
    answers_closed_status: bool = False
    gateway_class: str | None = None

    def carries(self, extension: Extension, target: Target) -> bool:
        return False


def protocol_members(protocol: type) -> tuple[str, ...]:
    """Every member :class:`Provider` or :class:`Emitter` declares (attributes and hooks), in
    declaration order: what the registry checks a plug-in for."""
    names = list(getattr(protocol, "__annotations__", {}))
    names += [name for name, value in vars(protocol).items() if callable(value) and name[0] != "_"]
    return tuple(names)
