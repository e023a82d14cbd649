"""What GKE's Gateway controller does not implement, taken out before the standard objects are
built (the IR handed to the emitter is left as it is: the pipeline reports from it).

GKE's conformance report (Gateway API v1.6.0, class ``gke-l7-regional-external-managed``)
declares unsupported: HTTPRoute ``timeouts`` (request and backend), ``retry``, the ``CORS``
filter, ``method`` matches and redirect status codes 303/307/308; its L7 GatewayClasses take
HTTP and HTTPS listeners only (no TLS passthrough, TCP or UDP). Emitting those would give an
object GKE rejects or, worse, one it accepts and ignores. So:

- rule ``timeouts`` are removed from the route and handed to :mod:`.backend`, which carries
  them as the backend Services' ``GCPBackendPolicy`` ``timeoutSec``;
- Retry extensions are hidden from the builder (which would write the experimental ``retry``
  field): they stay unconsumed, and the pipeline reports them;
- CORS filters are removed: their twin Cors extension stays unconsumed and is reported;
- a method match is removed, with a warning (the rule then matches every method);
- a 308 redirect becomes 301 and 303/307 become 302, with a warning (POST bodies are not
  replayed by clients on 301/302);
- TCP/TLS/UDP routes, and listeners other than HTTP and terminated HTTPS, are left out;
- ListenerSets (made when a Gateway outgrows 64 listeners) are reported: GKE does not serve
  them, and a target without the kind gets further Gateways instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ingress2gateway.ir import (
    IR,
    CorsFilter,
    Filter,
    Gateway,
    GRPCRoute,
    HTTPRoute,
    Listener,
    Match,
    Provenance,
    RequestRedirect,
    Retry,
    Route,
    Rule,
    URLRewrite,
)
from ingress2gateway.reporting.report import Level, Recorder, Status

REDIRECT_CODES = {301: 301, 302: 302, 303: 302, 307: 302, 308: 301}
"""What each redirect status becomes on GKE (301/302 only; permanence kept)."""


@dataclass
class RouteTimeout:
    """A rule's ``timeouts`` GKE cannot take on the route, for :mod:`.backend`."""

    route: Route
    rule_index: int
    seconds: int
    text: str
    provenance: list[Provenance] = field(default_factory=list)


@dataclass
class View:
    ir: IR
    """A copy of the IR's structure (its extensions shared) without what GKE lacks."""
    timeouts: list[RouteTimeout] = field(default_factory=list)


def gke_view(ir: IR, report: Recorder) -> View:
    view = View(IR())
    out = view.ir
    # Everything the builder reads, copied by reference; only what changes is copied.
    for name, value in vars(ir).items():
        setattr(out, name, value)
    out.gateways = []
    for gateway in ir.gateways:
        kept_gateway = _gateway(gateway, report)
        if kept_gateway is not None:
            out.gateways.append(kept_gateway)
    routes: list[Route] = []
    for route in ir.routes:
        if isinstance(route, (HTTPRoute, GRPCRoute)):
            kept = _route(route, view, report)
            if kept is not None:
                routes.append(kept)
        else:
            _unsupported(
                report,
                route.provenance
                + [p for b in getattr(route, "backend_refs", []) for p in b.provenance],
                f"{route.KIND} {route.name}: GKE's L7 Gateways serve HTTPRoutes and GRPCRoutes "
                "only; the route is left out",
            )
    out.routes = routes
    for listener_set in ir.listener_sets:
        # Made by the core when a Gateway outgrows 64 listeners on a target that has the kind;
        # GKE would leave them unserved. Older targets get further Gateways instead.
        _unsupported(
            report,
            [p for listener in listener_set.listeners for p in listener.provenance][:1],
            f"ListenerSet {listener_set.name}: GKE does not implement ListenerSet (its "
            "conformance report), so its listeners and the routes attached to them would not "
            "be served; pass --gateway-api-version v1.4 to get further Gateways instead",
            status=Status.PARTIAL,
        )
    return view


def _gateway(gateway: Gateway, report: Recorder) -> Gateway | None:
    """``gateway`` with the listeners GKE takes; None when none is left (a Gateway needs one)."""
    kept: list[Listener] = []
    for listener in gateway.listeners:
        if listener.protocol == "HTTP" or (
            listener.protocol == "HTTPS" and listener.tls_mode in (None, "Terminate")
        ):
            kept.append(listener)
            continue
        mode = f" ({listener.tls_mode})" if listener.tls_mode else ""
        _unsupported(
            report,
            listener.provenance,
            f"listener {listener.name} of Gateway {gateway.name} speaks {listener.protocol}"
            f"{mode}; GKE's L7 Gateways take HTTP and terminated HTTPS listeners only, so it "
            "is left out",
        )
    if len(kept) == len(gateway.listeners):
        return gateway
    if not kept:
        _unsupported(
            report,
            gateway.provenance,
            f"Gateway {gateway.name} has no HTTP or HTTPS listener left for GKE; it is left out",
        )
        return None
    copy = replace(gateway, listeners=kept)
    return copy


def _route(route: HTTPRoute | GRPCRoute, view: View, report: Recorder) -> Route | None:
    """``route`` as GKE can take it; None when no rule of it is left."""
    rules: list[Rule] = []
    changed = False
    for rule in route.rules:
        matches = _matches(route, rule, report)
        if matches is not rule.matches and not matches:
            changed = True  # every match needed a method: the rule is left out
            continue
        new = _rule(route, len(rules), rule, view, report)
        if matches is not rule.matches:
            new = replace(new, matches=matches)
        changed |= new is not rule
        rules.append(new)
    if not changed:
        return route
    if route.rules and not rules:
        return None
    return replace(route, rules=rules)


def _rule(
    route: HTTPRoute | GRPCRoute, index: int, rule: Rule, view: View, report: Recorder
) -> Rule:
    changes: dict[str, object] = {}
    carried: list[tuple[int, str]] = []
    for key, value in (
        ("request_timeout", rule.request_timeout),
        ("backend_request_timeout", rule.backend_request_timeout),
    ):
        if value is None:
            continue
        changes[key] = None
        seconds = timeout_seconds(value)
        if seconds is None:
            _unsupported(
                report,
                rule.provenance[:1],
                f"the timeout {value!r} of a rule of {route.KIND} {route.name} cannot be "
                "carried: GKE has no per-route timeout, and its backend timeout (timeoutSec) "
                "can neither be zero nor be switched off",
            )
            continue
        carried.append((seconds, value))
    if carried:
        # One backend timeout: the tighter of the two bounds the backend's answer either way.
        seconds, value = min(carried)
        view.timeouts.append(RouteTimeout(route, index, seconds, value, rule.provenance[:1]))
    if any(isinstance(ext, Retry) for ext in rule.extensions):
        changes["extensions"] = [ext for ext in rule.extensions if not isinstance(ext, Retry)]
    filters = _filters(route, rule.filters, report)
    if filters is not rule.filters:
        changes["filters"] = filters
    if not changes:
        return rule
    copy = replace(rule, **changes)  # type: ignore[arg-type]
    return copy


def _filters(route: Route, filters: list[Filter], report: Recorder) -> list[Filter]:
    out: list[Filter] = []
    changed = False
    for item in filters:
        if isinstance(item, CorsFilter):
            # Its twin extension (in the rule's extensions) stays unconsumed: the pipeline
            # reports the CORS settings as not carried.
            changed = True
            continue
        if isinstance(item, RequestRedirect) and item.status_code != REDIRECT_CODES.get(
            item.status_code, item.status_code
        ):
            new = REDIRECT_CODES[item.status_code]
            _warn(
                report,
                "gke-redirect-status",
                item.provenance,
                f"{route.KIND} {route.name}: GKE answers redirects with 301 or 302 only; "
                f"the {item.status_code} redirect becomes {new}",
                Status.PARTIAL,
            )
            out.append(replace(item, status_code=new))
            changed = True
            continue
        if isinstance(item, URLRewrite) and item.path is not None:
            for prov in item.provenance[:1]:
                report.warning(
                    "gke-path-rewrite",
                    f"{route.KIND} {route.name}: GKE's conformance report declares path "
                    "rewrites unsupported (and a ReplaceFullPath rewrite has been reported "
                    "refused); the URLRewrite path is emitted as the source asked: check that "
                    "the route is accepted and the paths the backend receives",
                    source=prov.source,
                    field=prov.field,
                )
        out.append(item)
    return out if changed else filters


def _matches(route: Route, rule: Rule, report: Recorder) -> list[Match]:
    """The rule's matches without those that need a method: GKE implements no method match,
    and dropping only the method would send requests of every method to this rule's backends
    (wider than the source). Without them, those requests go where requests of other methods
    went. A rule whose every match needs a method is left out (an empty answer)."""
    if not any(match.method for match in rule.matches):
        return rule.matches
    kept = [match for match in rule.matches if not match.method]
    methods = sorted({match.method for match in rule.matches if match.method})
    fate = (
        "these matches are left out"
        if kept
        else "the rule is left out, and those requests go where other methods' go"
    )
    provenance = rule.provenance if not kept else rule.provenance[:1]
    _unsupported(
        report,
        provenance,
        f"a rule of {route.KIND} {route.name} matches the method {', '.join(methods)}; GKE "
        f"does not implement method matches, so {fate}",
        status=Status.PARTIAL if kept else Status.UNSUPPORTED,
    )
    return kept


def _unsupported(
    report: Recorder,
    provenance: list[Provenance],
    message: str,
    status: Status = Status.UNSUPPORTED,
) -> None:
    _warn(report, "gke-unsupported-feature", provenance, message, status)


def _warn(
    report: Recorder, code: str, provenance: list[Provenance], message: str, status: Status
) -> None:
    """A warning under each input field, and its ledger entry (one warning, unattached,
    when the IR kept no field)."""
    if not provenance:
        report.warning(code, message)
    for prov in provenance:
        report.flag(Level.WARNING, code, message, status, source=prov.source, field=prov.field)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def timeout_seconds(text: str) -> int | None:
    """Whole seconds (rounded up, at least 1) of a Gateway API duration (``1h2m``, ``1.5s``,
    ``250ms``); None for anything else, or zero (Gateway API's "no timeout": GKE's default of
    30 s then applies, and a value cannot say "none")."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text.strip():
        return None
    total = sum(float(amount) * _UNITS[unit] for amount, unit in parts)
    if total <= 0:
        return None
    whole = int(total)
    return whole + 1 if total > whole else whole
