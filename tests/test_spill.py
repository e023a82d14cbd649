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


def _homes(ir: IR) -> dict[str, str]:
    """Each listener's name → the name of the object that holds it."""
    found: dict[str, str] = {}
    for home in [*ir.gateways, *ir.listener_sets]:
        for listener in home.listeners:
            assert listener.name not in found, "a listener lives in one object"
            found[listener.name] = home.name
    return found


def _spilled(hosts: int, version: str = "v1.6", drop: int | None = None) -> IR:
    ir = _ir(hosts)
    if drop is not None:  # as if that host's Ingress were deleted
        ir.gateways[0].listeners = [
            item for item in ir.gateways[0].listeners if item.name != f"h{drop}-http"
        ]
        ir.routes = [route for route in ir.routes if route.name != f"r{drop}"]
    spill.spill_listeners(ir, Target.parse(version), Recorder(), _allocator())
    return ir


def test_surplus_listeners_move_and_routes_follow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 2)
    ir = _ir(5)
    report = Recorder()
    spill.spill_listeners(ir, Target.parse("v1.6"), report, _allocator())
    homes = _homes(ir)
    assert len(homes) == 5 and [g.name for g in ir.gateways] == ["gw"]
    assert all(1 <= len(home.listeners) <= 2 for home in [*ir.gateways, *ir.listener_sets])
    assert ir.gateways[0].allowed_listener_sets == "Same"
    by_name = {r.name: r for r in ir.routes}
    for index in range(5):
        (parent,) = by_name[f"r{index}"].parent_refs
        assert parent.section_name == f"h{index}-http"
        assert parent.name == homes[f"h{index}-http"]
        assert parent.kind == ("Gateway" if parent.name == "gw" else "ListenerSet")
    # Attached to every listener: now to the ListenerSets too.
    assert [p.name for p in by_name["everywhere"].parent_refs] == [
        "gw",
        *(s.name for s in ir.listener_sets),
    ]
    assert [n.code for n in report.notifications] == ["gateway-listeners-spilled"]


def test_without_listenerset_the_hosts_go_to_more_gateways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 2)
    ir = _ir(3)
    report = Recorder()
    spill.spill_listeners(ir, Target.parse("v1.4"), report, _allocator())
    assert not ir.listener_sets and ir.gateways[0].name == "gw" and len(ir.gateways) >= 2
    homes = _homes(ir)
    for route in ir.routes:
        if route.name.startswith("r"):
            (parent,) = route.parent_refs
            assert parent.kind == "Gateway" and parent.name == homes[str(parent.section_name)]
    assert [n.code for n in report.notifications] == ["gateway-split"]


@pytest.mark.parametrize("version", ["v1.6", "v1.4"])
def test_removing_or_adding_a_host_moves_no_other(version: str) -> None:
    """A host's home depends on its name alone: deleting an Ingress (or adding one) changes
    no other host's listener, route parentRef or (on older targets) Gateway and address."""
    before = _homes(_spilled(100, version))  # 100 hosts: more than one Gateway may hold
    assert len(set(before.values())) > 1
    for dropped in (0, 37, 99):
        after = _homes(_spilled(100, version, drop=dropped))
        gone = f"h{dropped}-http"
        assert gone not in after
        assert {k: v for k, v in before.items() if k != gone} == after
    grown = _homes(_spilled(101, version))
    assert {k: v for k, v in grown.items() if k != "h100-http"} == before


def test_the_catch_all_stays_on_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "MAX_LISTENERS", 4)
    ir = _ir(12)
    ir.gateways[0].listeners.insert(0, Listener("catch-all", 80, "HTTP"))
    spill.spill_listeners(ir, Target.parse("v1.6"), Recorder(), _allocator())
    assert "catch-all" in [item.name for item in ir.gateways[0].listeners]
    assert len(_homes(ir)) == 13


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
