"""Gateways over the listener limit: surplus listeners move, routes follow them."""

from __future__ import annotations

import pytest

from ingress2gateway.converting import listener_limit as spill
from ingress2gateway.converting.naming import NameAllocator
from ingress2gateway.ir import IR, Gateway, HTTPRoute, Listener, ListenerSet, ParentRef
from ingress2gateway.reporting.report import Recorder
from ingress2gateway.target import Target


def _ir(hosts: int) -> IR:
    listeners = [
        Listener(f"h{i}-http", 80, "HTTP", hostname=f"h{i}.example.com") for i in range(hosts)
    ]
    gateway = Gateway("gw", "infra", "nginx", listeners)
    routes: list[HTTPRoute] = [
        HTTPRoute(f"r{i}", "infra", [f"h{i}.example.com"], [ParentRef("gw", None, f"h{i}-http")])
        for i in range(hosts)
    ]
    routes.append(HTTPRoute("everywhere", "infra", [], [ParentRef("gw")]))
    return IR(gateways=[gateway], routes=list(routes))


def _allocator() -> spill.Allocate:
    names: dict[tuple[str, str | None], NameAllocator] = {}
    return lambda kind, ns: names.setdefault((kind, ns), NameAllocator())


def test_surplus_listeners_move_and_routes_follow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 2)
    ir = _ir(5)
    report = Recorder()
    spill.spill_listeners(ir, Target.parse("v1.6"), report, _allocator())
    assert [len(g.listeners) for g in ir.gateways] == [2]
    assert [len(s.listeners) for s in ir.listener_sets] == [2, 1]
    assert ir.gateways[0].allowed_listener_sets == "Same"
    by_name = {r.name: r for r in ir.routes}
    assert by_name["r0"].parent_refs == [ParentRef("gw", None, "h0-http")]
    assert by_name["r4"].parent_refs == [
        ParentRef("gw-listeners-2", None, "h4-http", kind="ListenerSet")
    ]
    # Attached to every listener: now to the ListenerSets too.
    assert [p.name for p in by_name["everywhere"].parent_refs] == [
        "gw",
        "gw-listeners-1",
        "gw-listeners-2",
    ]
    assert [n.code for n in report.notifications] == ["gateway-listeners-spilled"]


def test_without_listenerset_the_hosts_go_to_more_gateways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 2)
    ir = _ir(3)
    report = Recorder()
    spill.spill_listeners(ir, Target.parse("v1.4"), report, _allocator())
    assert [g.name for g in ir.gateways] == ["gw", "gw-2"] and not ir.listener_sets
    assert {r.name: r for r in ir.routes}["r2"].parent_refs == [ParentRef("gw-2", None, "h2-http")]
    assert [n.code for n in report.notifications] == ["gateway-split"]


def test_parent_refs_beyond_the_limit_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 1)
    monkeypatch.setattr(spill, "MAX_PARENT_REFS", 2)
    ir = _ir(4)
    report = Recorder()
    spill.spill_listeners(ir, Target.parse("v1.6"), report, _allocator())
    everywhere = {r.name: r for r in ir.routes}["everywhere"]
    assert len(everywhere.parent_refs) == 2
    assert any("would need 4 parentRefs" in n.message for n in report.notifications)
    assert all(isinstance(s, ListenerSet) for s in ir.listener_sets)
