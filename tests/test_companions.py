"""cert-manager's and external-dns's annotations go where each tool reads them on Gateway API
(issue 24, "Carry the intent of the tools beside the controller").

What each tool reads where comes from their own code: cert-manager's certificate-shim
(``sync.go``: a Gateway's issuer annotations, listeners with a hostname, mode Terminate and a
Secret in the Gateway's namespace; ``ignore-tls-listeners``) and external-dns's Gateway
sources (``source/gateway.go``: ``target`` on the Gateway, the rest on routes).
"""

from __future__ import annotations

from typing import Any

import pytest

import ingress2gateway
from ingress2gateway.converting.pipeline import Result
from ingress2gateway.reporting.report import Level, Need, Status

from .ingresses import as_objects, ingress
from .ledger_checks import missing_ledger_fields

ISSUER = "cert-manager.io/cluster-issuer"
DNS = "external-dns.alpha.kubernetes.io/"


def _convert(docs: list[dict[str, Any]], emitter: str = "standard", **kw: Any) -> Result:
    objects = as_objects(docs)
    result = ingress2gateway.convert(objects, ["nginx"], emitter, **kw)
    assert missing_ledger_fields(objects, result) == []
    assert not [n for n in result.report.notifications if n.code == "output-invalid"]
    return result


def _objects(result: Result, kind: str) -> list[dict[str, Any]]:
    return [body for body in result.resources if body["kind"] == kind]


def _annotations(body: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = body["metadata"].get("annotations", {})
    return {k: v for k, v in found.items() if k != "gateway.networking.k8s.io/generator"}


def _entry(result: Result, name: str, key: str) -> Any:
    (entry,) = [
        e
        for e in result.report.ledger.values()
        if e.source.name == name and e.field == f"metadata.annotations[{key}]"
    ]
    return entry


def _codes(result: Result, code: str) -> list[Any]:
    return [n for n in result.report.notifications if n.code == code]


@pytest.mark.parametrize("emitter", ["standard", "envoy-gateway"])
def test_the_issuer_goes_on_the_gateway_and_dns_names_on_the_routes(emitter: str) -> None:
    annotations = {
        ISSUER: "letsencrypt",
        "cert-manager.io/duration": "2160h",
        DNS + "hostname": "www.shop.example.com",
        DNS + "ttl": "60",
        DNS + "target": "lb.example.net",
        DNS + "aws-weight": "10",
    }
    result = _convert([ingress("shop", annotations=annotations, tls_secret="shop-tls")], emitter)
    (gateway,) = _objects(result, "Gateway")
    assert _annotations(gateway) == {
        ISSUER: "letsencrypt",
        "cert-manager.io/duration": "2160h",
        DNS + "target": "lb.example.net",
    }
    routes = _objects(result, "HTTPRoute")
    assert routes
    for route in routes:
        assert _annotations(route) == {
            DNS + "hostname": "www.shop.example.com",
            DNS + "ttl": "60",
            DNS + "aws-weight": "10",
        }
    entry = _entry(result, "shop", ISSUER)
    assert entry.status is Status.CONVERTED
    assert [t.kind for t in entry.targets] == ["Gateway"]
    assert {t.kind for t in _entry(result, "shop", DNS + "ttl").targets} == {"HTTPRoute"}
    needs = {(p.need, p.subject) for p in result.report.prerequisites}
    assert (Need.CERTIFICATE_ISSUER, "ClusterIssuer letsencrypt") in needs
    assert (Need.DNS, "external-dns --source=gateway-httproute") in needs


def test_hosts_whose_ingress_asked_cert_manager_nothing_are_left_alone() -> None:
    # cert-manager would otherwise make a Certificate for every HTTPS listener of the Gateway,
    # replacing a certificate the user manages by other means.
    result = _convert(
        [
            ingress("shop", annotations={ISSUER: "le"}, tls_secret="shop-tls"),
            ingress("shop", name="bank", host="bank.example.com", tls_secret="bank-ev-cert"),
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    https = {
        listener["hostname"]: listener["name"]
        for listener in gateway["spec"]["listeners"]
        if listener["protocol"] == "HTTPS"
    }
    assert (
        _annotations(gateway)["cert-manager.io/ignore-tls-listeners"] == https["bank.example.com"]
    )
    assert not _codes(result, "companion-annotation-conflict")


def test_a_dns_target_on_a_shared_gateway_is_announced_to_the_ingresses_without_one() -> None:
    # external-dns reads target on the Gateway: every host of the Gateway now points there.
    result = _convert(
        [
            ingress("shop", annotations={DNS + "target": "lb.example.net"}),
            ingress("shop", name="bank", host="bank.example.com"),
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    assert _annotations(gateway) == {DNS + "target": "lb.example.net"}
    (told,) = _codes(result, "companion-annotation-conflict")
    assert told.source.name == "bank" and "lb.example.net" in told.message


def test_ingresses_of_one_gateway_that_disagree_keep_the_oldest_value() -> None:
    result = _convert(
        [
            ingress(
                "shop",
                name="new",
                host="b.example.com",
                annotations={ISSUER: "other"},
                tls_secret="b",
                created="2024-05-01T00:00:00Z",
            ),
            ingress(
                "shop",
                name="old",
                host="a.example.com",
                annotations={ISSUER: "le"},
                tls_secret="a",
                created="2023-01-01T00:00:00Z",
            ),
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    assert _annotations(gateway)[ISSUER] == "le"
    (conflict,) = _codes(result, "companion-annotation-conflict")
    assert conflict.level is Level.WARNING and conflict.source.name == "new"
    assert _entry(result, "new", ISSUER).status is Status.PARTIAL
    assert _entry(result, "old", ISSUER).status is Status.CONVERTED


def test_a_secret_in_another_namespace_than_the_gateway_is_not_issued_for() -> None:
    result = _convert(
        [
            ingress("a", annotations={ISSUER: "le"}, tls_secret="a-tls"),
            ingress("b", host="b.example.com", annotations={ISSUER: "le"}, tls_secret="b-tls"),
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    elsewhere = {"a", "b"} - {gateway["metadata"]["namespace"]}
    skipped = _codes(result, "cert-manager-listener-skipped")
    assert {n.source.namespace for n in skipped} == elsewhere
    assert "--gateway-per-namespace" in skipped[0].message
    per_namespace = _convert(
        [
            ingress("a", annotations={ISSUER: "le"}, tls_secret="a-tls"),
            ingress("b", host="b.example.com", annotations={ISSUER: "le"}, tls_secret="b-tls"),
        ],
        options=ingress2gateway.ConvertOptions(gateway_per_namespace=True),
    )
    assert not _codes(per_namespace, "cert-manager-listener-skipped")
    assert all(_annotations(g)[ISSUER] == "le" for g in _objects(per_namespace, "Gateway"))


def test_a_namespaced_issuer_must_be_in_the_gateways_namespace() -> None:
    result = _convert(
        [ingress("shop", annotations={"cert-manager.io/issuer": "ca"}, tls_secret="t")]
    )
    (need,) = [p for p in result.report.prerequisites if p.need is Need.CERTIFICATE_ISSUER]
    assert need.subject == "Issuer shop/ca"
    assert "gatewayHTTPRoute" in need.action


def test_ingress_only_annotations_are_reported_not_dropped() -> None:
    result = _convert(
        [
            ingress(
                "shop",
                annotations={
                    "kubernetes.io/tls-acme": "true",
                    "acme.cert-manager.io/http01-edit-in-place": "true",
                    DNS + "internal-hostname": "shop.internal",
                },
                tls_secret="t",
            )
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    assert _annotations(gateway) == {}
    (acme,) = _codes(result, "companion-annotation-unsupported")
    assert (
        acme.level is Level.WARNING and acme.field == "metadata.annotations[kubernetes.io/tls-acme]"
    )
    assert _entry(result, "shop", "kubernetes.io/tls-acme").status is Status.UNSUPPORTED
    assert (
        _entry(result, "shop", "acme.cert-manager.io/http01-edit-in-place").status is Status.IGNORED
    )
    assert "Services" in _entry(result, "shop", DNS + "internal-hostname").notes[0]
    assert any(
        p.subject == "ACME HTTP-01 solver for Gateway API" for p in result.report.prerequisites
    )


def test_the_ingress_hostname_source_is_read_as_the_routes_gateway_hostname_source() -> None:
    key = "external-dns.kubernetes.io/ingress-hostname-source"
    result = _convert([ingress("shop", annotations={key: "annotation-only"})])
    (route,) = _objects(result, "HTTPRoute")
    assert _annotations(route) == {
        "external-dns.kubernetes.io/gateway-hostname-source": "annotation-only"
    }
    entry = _entry(result, "shop", key)
    assert entry.status is Status.CONVERTED and "gateway-hostname-source" in entry.notes[0]


@pytest.mark.parametrize("value", ["le\nX-Injected: 1", "le\u202egro"])
def test_a_hostile_value_is_not_carried(value: str) -> None:
    result = _convert([ingress("shop", annotations={ISSUER: value}, tls_secret="t")])
    (gateway,) = _objects(result, "Gateway")
    assert ISSUER not in _annotations(gateway)
    (invalid,) = _codes(result, "companion-annotation-invalid")
    assert invalid.level is Level.WARNING
    assert _entry(result, "shop", ISSUER).status is Status.UNSUPPORTED


def test_an_ingress_without_them_changes_nothing() -> None:
    result = _convert([ingress("shop", tls_secret="t")])
    assert all(_annotations(body) == {} for body in result.resources)
    assert result.report.prerequisites == ()


def test_one_gateway_never_gets_both_kinds_of_issuer() -> None:
    # cert-manager refuses an object with both issuer annotations (issuerForIngressLike):
    # it would issue nothing for the whole Gateway.
    result = _convert(
        [
            ingress(
                "shop",
                name="old",
                annotations={ISSUER: "le"},
                tls_secret="a",
                created="2023-01-01T00:00:00Z",
            ),
            ingress(
                "shop",
                name="new",
                host="b.example.com",
                tls_secret="b",
                annotations={"cert-manager.io/issuer": "ca"},
                created="2024-01-01T00:00:00Z",
            ),
        ]
    )
    (gateway,) = _objects(result, "Gateway")
    carried = _annotations(gateway)
    assert carried[ISSUER] == "le" and "cert-manager.io/issuer" not in carried
    (conflict,) = _codes(result, "companion-annotation-conflict")
    assert conflict.source.name == "new" and conflict.level is Level.WARNING
    assert _entry(result, "new", "cert-manager.io/issuer").status is Status.UNSUPPORTED
