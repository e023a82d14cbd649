"""Access controls the emitter cannot carry fail closed.

A migration must never widen access by default. An access control (an IR extension with
``SECURITY = True``: basic, external, JWT, API-key or OIDC auth, an IP allow/deny list,
client-certificate auth, or a provider's own, such as a snippet's ``deny`` lines) that the
chosen emitter will not express would leave the rules it protects open to everyone. Before the
emitter runs (objects stream out one by one, so this cannot wait), :func:`close_uncarried`
asks the emitter (:func:`~ingress2gateway.plugin.carried`) about every such extension and
*closes* each rule one it does not carry protects:

* a rule keeps its matches, so its requests are still taken by it and never fall through to a
  less specific open rule (``/admin/x`` stays on the closed ``/admin`` rule, not on ``/``);
* it loses its backends and its filters (URL rewrites, mirrors, header modifiers, CORS): a
  Gateway API rule without backendRefs and filters reaches no backend, and conformant
  implementations answer 500 (Gateway API's ``HTTPRouteNoBackendRefs`` conformance test;
  gRPC: ``UNAVAILABLE``). When the control is one the source refused and answered itself
  (``RefusedControl.status``: ingress-nginx's 503 for a denied location), the rule keeps that
  status in ``Rule.closed_status``, for an emitter that can answer it (envoy-gateway: an
  ``HTTPRouteFilter`` direct response);
* a rule that redirects (``RequestRedirect``) is left as it is: it reaches no backend, and the
  source answered it without checking the control either (nginx runs ``return`` and rewrite
  redirects in its rewrite phase, before the access phase where ``auth_basic``, ``allow`` /
  ``deny`` and ``auth_request`` run);
* a TLSRoute, TCPRoute or UDPRoute has no rule that could answer without a backend: it is not
  emitted.

Where the control applies: a rule-level extension closes that rule; a route-level one every
rule of the route; a Gateway-level one every rule of the routes attached to the listeners it
belongs to (those made from the same input field, else — client certificates — every listener
that terminates TLS, else every listener). A route attached to those listeners and to others
too is split first: a copy named ``<route>-closed`` takes the protected listeners and is closed,
the route stays open on the others.

An emitter that says it carries a control may still fail to attach it somewhere (the
envoy-gateway emitter: two values for one policy field, rule names the target lacks). When the
emitter hands its objects over all at once (it is not ``ordered``), :meth:`Closing.after_emission`
closes the rules of what it left unconsumed in the emitted objects, the same way.

``--access-control-fallback open`` (:attr:`~ingress2gateway.plugin.ConvertOptions.access_control_fallback`)
leaves the rules open, for users who add the control by other means. Either way, each control
not carried is a security error (``extension-unsupported``) whose message
(:meth:`Closing.consequence`) says which it is and what re-opens a closed rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields

from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import (
    IR,
    ClientCertAuth,
    CorsFilter,
    Extension,
    Gateway,
    GRPCRoute,
    HTTPRoute,
    Listener,
    ParentRef,
    Provenance,
    RequestRedirect,
    Route,
    Rule,
    listeners_made_from,
)
from ingress2gateway.objects import JSONDict, ObjectRef, SourceRef
from ingress2gateway.plugin import Emitted, Emitter, carried
from ingress2gateway.reporting.report import Recorder, Status
from ingress2gateway.target import Target

OPEN = "open"
ALTERNATIVE_EMITTER = "envoy-gateway"
"""The built-in emitter named in the message when it carries a control the chosen one lacks."""
_NAMED_ROUTES = 3
"""Routes named in a message; the rest are counted."""

Allocate = Callable[[str, str | None], NameAllocator]
"""Names for a kind in a namespace (:meth:`~ingress2gateway.plugin.ProviderContext.allocator`)."""
Place = tuple[Route, Rule | None]
"""A rule a control protects; ``None`` for a route without rules (TLS, TCP, UDP)."""


@dataclass
class Closing:
    """What :func:`close_uncarried` (and :meth:`after_emission`) did, for the report."""

    emitter: str
    fallback: str
    alternatives: dict[int, str] = field(default_factory=dict)
    """``id()`` of a control → another emitter that carries it."""
    closed: dict[int, list[ObjectRef]] = field(default_factory=dict)
    """``id()`` of a control whose rules were closed → the routes that hold them."""
    dropped: dict[int, list[ObjectRef]] = field(default_factory=dict)
    """``id()`` of a control → the TLS/TCP/UDP routes left out for it."""
    left_open: set[int] = field(default_factory=set)
    """``id()`` of the controls whose rules stay open (``--access-control-fallback open``)."""
    answers_status: bool = False
    """The emitter answers a closed rule's ``closed_status`` (see :func:`answers_closed_status`)."""

    def _answer(self, *extensions: Extension) -> str:
        """What the closed rules of ``extensions`` answer."""
        if self.answers_status:
            statuses = sorted(
                {s for ext in extensions if isinstance(s := getattr(ext, "status", None), int)}
            )
            if statuses:
                return "/".join(str(s) for s in statuses) + " (as the source did)"
        return "500"

    def consequence(self, *extensions: Extension) -> str:
        """What became of the rules ``extensions`` protect, for their error (the emitter could
        not express them; several when one setting was made into one control per host, say):
        closed, left out, or open."""
        keys = [id(ext) for ext in extensions]
        if any(key in self.left_open for key in keys):
            return (
                " — the migrated route is open to everyone (--access-control-fallback open): "
                "add the control by other means before it takes traffic"
            )
        if not any(key in self.closed or key in self.dropped for key in keys):
            return (
                f" — the migrated route would be open to everyone (the {self.emitter} emitter "
                "said it carries it, and did not)"
            )
        closed = _merged(self.closed.get(key, []) for key in keys)
        dropped = _merged(self.dropped.get(key, []) for key in keys)
        if not closed and not dropped:
            return (
                ": nothing it protects reaches a backend (no route, or only redirects), so "
                "nothing is left open"
            )
        parts = []
        if closed:
            parts.append(
                f"the rules it protects are emitted closed in {_names(closed)} (they keep their "
                f"matches and answer {self._answer(*extensions)}, reaching no backend)"
            )
        if dropped:
            parts.append(
                f"{_names(dropped)}, which it protects, "
                + ("is" if len(dropped) == 1 else "are")
                + " not emitted (a route without rules cannot answer without its backend)"
            )
        reopen = (
            "once the control is added by other means, --access-control-fallback open emits "
            "the routes open"
        )
        others = sorted({self.alternatives[key] for key in keys if key in self.alternatives})
        # Not for routes without rules alone: whether another emitter carries a control on a
        # TLS or TCP listener is not known from the control itself.
        if others and closed:
            reopen += f", or --emitter {others[0]} carries it"
        return ": " + " and ".join(parts) + "; " + reopen

    def after_emission(self, ir: IR, emitted: list[Emitted], report: Recorder) -> list[Emitted]:
        """``emitted`` (every object of ``ir``, none handed on yet) with the rules closed that a
        control protects which the emitter said it carries and then left unconsumed (see the
        module docstring); routes without rules that such a control protects are left out."""
        pending = [
            ext
            for ext in ir.distinct_extensions()
            if ext.SECURITY
            and not ext.consumed
            and id(ext) not in self.closed
            and id(ext) not in self.dropped
        ]
        if self.fallback == OPEN:
            self.left_open.update(id(ext) for ext in pending)
            return emitted
        if not pending:
            return emitted
        by_ref = {item.ref: item for item in emitted}
        gone: set[ObjectRef] = set()
        for ext, places in _places(ir, pending):
            note = self._note(ext)
            for route, rule in places:
                item = by_ref.get(route.ref)
                if item is None or route.ref in gone:
                    continue  # not emitted (the target lacks its kind, say)
                if rule is None:
                    gone.add(route.ref)
                    _leave_out(report, [(route, note)])
                    self.dropped.setdefault(id(ext), []).append(route.ref)
                    continue
                routes = self.closed.setdefault(id(ext), [])
                index = _index(route, rule)
                if index is None or not _close_body(item.body, index):
                    continue
                fields = item.rules[index] if index < len(item.rules) else []
                _record_closed(report, fields, note)
                _record_control(report, ext)
                # The control's fields went into the route (it is closed because of them).
                item.provenance = list(dict.fromkeys([*item.provenance, *ext.provenance]))
                _add_ref(routes, route.ref)
            self.closed.setdefault(id(ext), [])
        return [item for item in emitted if item.ref not in gone]

    def _note(self, extension: Extension) -> str:
        return (
            f"emitted closed: {extension.describe()} cannot be carried by the {self.emitter} "
            "emitter, so the rule keeps its matches and reaches no backend ("
            + (
                "Gateway API answers 500"
                if (answer := self._answer(extension)) == "500"
                else f"it answers {answer}"
            )
            + ")"
        )


def close_uncarried(
    ir: IR,
    emitter: Emitter,
    target: Target,
    report: Recorder,
    fallback: str,
    allocator: Allocate | None = None,
) -> Closing:
    """Close every rule of ``ir`` protected by an access control ``emitter`` will not carry on
    ``target`` (see the module docstring), or with ``fallback`` ``open`` leave them open;
    what was done is in the answer, for the report. With ``allocator`` (names per kind and
    namespace), a route attached both to listeners a Gateway-level control protects and to
    others is split (see :func:`_split_routes`); without, all of it is closed."""
    closing = Closing(emitter.name, fallback, answers_status=answers_closed_status(emitter))
    uncarried = [
        ext
        for ext in ir.distinct_extensions()
        if ext.SECURITY and not ext.consumed and not carried(emitter, ext, target)
    ]
    if not uncarried:
        return closing
    other = alternative_emitter(emitter)
    if other is not None:
        # Asked once per distinct value: an allow-list is often repeated on thousands of
        # Ingresses, and parsing its addresses again for each costs.
        answers: dict[tuple[type, str], bool] = {}
        for ext in uncarried:
            key = (type(ext), _value(ext))
            if key not in answers:
                answers[key] = carried(other, ext, target)
            if answers[key]:
                closing.alternatives[id(ext)] = other.name
    if fallback == OPEN:
        closing.left_open.update(id(ext) for ext in uncarried)
        return closing
    if allocator is not None:
        _split_routes(ir, uncarried, allocator)
    own: dict[int, list[Provenance] | None] = {}
    """``id()`` of a rule → its own fields once closed (None: it redirects, left as it is)."""
    left_out: dict[ObjectRef, tuple[Route, str]] = {}
    for ext, places in _places(ir, uncarried):
        note = closing._note(ext)
        routes = closing.closed.setdefault(id(ext), [])
        for route, rule in places:
            if rule is None:
                left_out.setdefault(route.ref, (route, note))
                closing.dropped.setdefault(id(ext), []).append(route.ref)
                continue
            if id(rule) not in own:
                own[id(rule)] = _close_rule(rule)
            fields = own[id(rule)]
            if fields is None:
                continue
            status = getattr(ext, "status", None)
            if isinstance(status, int) and rule.closed_status is None:
                rule.closed_status = status
            _record_closed(report, fields, note)
            if not routes:
                _record_control(report, ext)
            # The control's fields are credited with the route the rule goes into.
            rule.provenance = list(dict.fromkeys([*rule.provenance, *ext.provenance]))
            _add_ref(routes, route.ref)
    if left_out:
        _leave_out(report, list(left_out.values()))
        ir.routes = [route for route in ir.routes if route.ref not in left_out]
    return closing


def answers_closed_status(emitter: Emitter) -> bool:
    """Whether ``emitter`` answers a closed rule with its ``closed_status``
    (:attr:`~ingress2gateway.plugin.Emitter.answers_closed_status`), where Gateway API's rule
    without backends answers 500."""
    return emitter.answers_closed_status is True


# --- where a control applies ----------------------------------------------------------------


def _places(ir: IR, controls: list[Extension]) -> Iterator[tuple[Extension, list[Place]]]:
    """Each control with the rules it protects (in the order of ``ir``)."""
    wanted = {id(ext): ext for ext in controls}
    found: dict[int, list[Place]] = {key: [] for key in wanted}
    for route in ir.routes:
        rules: list[Rule] = list(getattr(route, "rules", []))
        for ext in route.extensions:
            if id(ext) in wanted:
                found[id(ext)].extend(_every_rule(route, rules))
        for rule in rules:
            for ext in rule.extensions:
                if id(ext) in wanted:
                    found[id(ext)].append((route, rule))
    for gateway in ir.gateways:
        for ext in gateway.extensions:
            if id(ext) not in wanted:
                continue
            listeners = _listeners_of(gateway, ext)
            for route in ir.routes:
                if _attached(route, gateway, listeners):
                    found[id(ext)].extend(_every_rule(route, list(getattr(route, "rules", []))))
    for key, ext in wanted.items():
        yield ext, _unique_places(found[key])


def _split_routes(ir: IR, controls: list[Extension], allocator: Allocate) -> None:
    """Split each route with rules that attaches both to listeners a Gateway-level control of
    ``controls`` protects and to other listeners (one Istio VirtualService bound to a MUTUAL
    and to a SIMPLE server): a copy, ``<name>-closed``, takes the parentRefs of the protected
    listeners (and is closed with the rest); the route keeps the others and stays open there.
    A parentRef that reaches both kinds of listener (no sectionName) cannot be split: the
    whole route is closed."""
    wanted = {id(ext) for ext in controls}
    for gateway in ir.gateways:
        for ext in gateway.extensions:
            if id(ext) not in wanted:
                continue
            protected = {listener.name for listener in _listeners_of(gateway, ext)}
            for route in list(ir.routes):
                if not isinstance(route, (HTTPRoute, GRPCRoute)):
                    continue
                inside, outside = _parents_by_side(route, gateway, protected)
                if not inside or not outside:
                    continue
                names = allocator(route.KIND, route.namespace)
                name = names.allocate(f"{route.name}-closed", f"access-closed/{route.ref}")
                copy = replace(
                    route,
                    name=name,
                    parent_refs=inside,
                    rules=[replace(rule) for rule in route.rules],
                )
                route.parent_refs = outside
                ir.routes.insert(ir.routes.index(route) + 1, copy)


def _parents_by_side(
    route: Route, gateway: Gateway, protected: set[str]
) -> tuple[list[ParentRef], list[ParentRef]]:
    """The parentRefs of ``route`` that reach only ``protected`` listeners of ``gateway``, and
    the others; nothing to split (two empty lists) when one reaches both kinds."""
    inside, outside = [], []
    for parent in route.parent_refs:
        reached = {listener.name for listener in _reached(route, parent, gateway)}
        if reached and reached <= protected:
            inside.append(parent)
        elif reached & protected:
            return [], []
        else:
            outside.append(parent)
    return inside, outside


def _every_rule(route: Route, rules: list[Rule]) -> list[Place]:
    if isinstance(route, (HTTPRoute, GRPCRoute)):
        return [(route, rule) for rule in rules]
    return [(route, None)]


def _unique_places(places: Iterable[Place]) -> list[Place]:
    seen: set[tuple[int, int]] = set()
    unique = []
    for route, rule in places:
        key = (id(route), id(rule))
        if key not in seen:
            seen.add(key)
            unique.append((route, rule))
    return unique


def _listeners_of(gateway: Gateway, ext: Extension) -> list[Listener]:
    """The listeners a Gateway-level control belongs to: those made from the input field it
    came from (an Istio server and its ``tls.mode``), else for client certificates every
    listener that terminates TLS, else every listener."""
    related = listeners_made_from(gateway, ext.provenance)
    if related:
        return related
    if isinstance(ext, ClientCertAuth):
        return [item for item in gateway.listeners if item.tls_mode == "Terminate"]
    return list(gateway.listeners)


def _attached(route: Route, gateway: Gateway, listeners: list[Listener]) -> bool:
    """Whether ``route`` attaches to one of ``listeners`` of ``gateway``."""
    names = {listener.name for listener in listeners}
    return any(
        listener.name in names
        for parent in route.parent_refs
        for listener in _reached(route, parent, gateway)
    )


def _reached(route: Route, parent: ParentRef, gateway: Gateway) -> Iterator[Listener]:
    """The listeners of ``gateway`` that ``parent`` (of ``route``) attaches the route to."""
    if parent.kind != "Gateway" or parent.name != gateway.name:
        return
    if (parent.namespace or route.namespace) != gateway.namespace:
        return
    for listener in gateway.listeners:
        if parent.section_name and parent.section_name != listener.name:
            continue
        if parent.port is not None and parent.port != listener.port:
            continue
        if _hosts_meet(listener.hostname, route.hostnames):
            yield listener


def _hosts_meet(listener_host: str | None, route_hosts: list[str]) -> bool:
    if not listener_host or not route_hosts:
        return True
    return any(_host_meets(listener_host, host) for host in route_hosts)


def _host_meets(a: str, b: str) -> bool:
    return (
        a == b
        or (a.startswith("*.") and b.endswith(a[1:]))
        or (b.startswith("*.") and a.endswith(b[1:]))
    )


# --- closing ---------------------------------------------------------------------------------


def _close_rule(rule: Rule) -> list[Provenance] | None:
    """Take the backends and filters out of ``rule``; the fields they came from stay in its
    provenance (the ledger names the route they went into). The rule's fields, or None for a
    rule that redirects: it reaches no backend as it is."""
    removed = [p for backend in rule.backend_refs for p in backend.provenance]
    if rule.filters:
        if any(isinstance(item, RequestRedirect) for item in rule.filters):
            return None
        removed += [p for item in rule.filters for p in item.provenance]
        # A CORS filter's settings also travel as an extension, for targets without the
        # filter: they go with it (or they would be reported as a CORS nothing carries).
        twins = {id(item.cors) for item in rule.filters if isinstance(item, CorsFilter)}
        if twins:
            rule.extensions = [ext for ext in rule.extensions if id(ext) not in twins]
        rule.filters = []
    rule.backend_refs = []
    # A new list (never changed in place after this): the rule's fields, as they stand.
    rule.provenance = list(dict.fromkeys([*rule.provenance, *removed]))
    return rule.provenance


_FORWARDING = ("backendRefs", "filters")


def _close_body(body: JSONDict, index: int) -> bool:
    """:func:`_close_rule` on rule ``index`` of an emitted route's body."""
    rules = body.get("spec", {}).get("rules", [])
    if index >= len(rules):
        return False
    rule = rules[index]
    if any(item.get("type") == "RequestRedirect" for item in rule.get("filters", [])):
        return False
    for key in _FORWARDING:
        rule.pop(key, None)
    return True


def _index(route: Route, rule: Rule) -> int | None:
    for index, candidate in enumerate(getattr(route, "rules", [])):
        if candidate is rule:
            return index
    return None


def _record_closed(report: Recorder, fields: Iterable[Provenance], note: str) -> None:
    """The fields of a closed rule: partly carried (the route is there and takes their
    requests, which reach no backend)."""
    for item in fields:
        report.record(item.source, item.field, Status.PARTIAL, note=note)


def _record_control(report: Recorder, ext: Extension) -> None:
    """The control's own fields: not carried (the route they closed is their target: they
    are in its provenance)."""
    for item in ext.provenance:
        report.record(item.source, item.field, Status.UNSUPPORTED)


def _leave_out(report: Recorder, routes: list[tuple[Route, str]]) -> None:
    """Routes without rules that are not emitted (with why): the fields they were made from,
    and those below them, did not make it (unsupported, whatever was said of them before)."""
    made: dict[SourceRef, dict[str, str]] = {}
    for route, note in routes:
        message = (
            f"{route.KIND} {route.name} is not emitted: {note.removeprefix('emitted closed: ')}"
        )
        fields = [*route.provenance]
        for backend in getattr(route, "backend_refs", []):
            fields.extend(backend.provenance)
        for item in fields:
            made.setdefault(item.source, {})[item.field] = message
            report.record(item.source, item.field, Status.UNSUPPORTED)
    # Rare (TCP or TLS routes behind client certificates): one pass over the ledger.
    report.not_made(made)


def _add_ref(refs: list[ObjectRef], ref: ObjectRef) -> None:
    if ref not in refs:
        refs.append(ref)


def _merged(lists: Iterable[list[ObjectRef]]) -> list[ObjectRef]:
    return list(dict.fromkeys(ref for refs in lists for ref in refs))


def _names(refs: list[ObjectRef]) -> str:
    shown = ", ".join(ref.display() for ref in refs[:_NAMED_ROUTES])
    more = len(refs) - _NAMED_ROUTES
    return shown + (f" and {more} more" if more > 0 else "")


def _value(ext: Extension) -> str:
    """What an extension says, without where it came from (a key for equal settings)."""
    return repr(
        [(f.name, getattr(ext, f.name)) for f in dataclass_fields(ext) if f.name not in _WHERE]
    )


_WHERE = ("provenance", "consumed")


def alternative_emitter(emitter: Emitter) -> Emitter | None:
    """The built-in emitter to name in the message, unless it is the one chosen (or fails to
    load)."""
    from ingress2gateway.errors import UsageError
    from ingress2gateway.registry import load_emitter

    if emitter.name == ALTERNATIVE_EMITTER:
        return None
    try:
        return load_emitter(ALTERNATIVE_EMITTER)
    except UsageError:
        return None
