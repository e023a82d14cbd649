"""Target: parsing the user's version/channel, and answers derived from the vendored schemas."""

from __future__ import annotations

import pytest

from ingress2gateway.errors import UsageError
from ingress2gateway.target import DEFAULT_VERSION, KNOWN_VERSIONS, Target
from ingress2gateway.validation import _catalog

GW = "gateway.networking.k8s.io"


def test_known_versions_come_from_the_vendored_catalogs() -> None:
    assert KNOWN_VERSIONS == ("v1.2.1", "v1.3.0", "v1.4.1", "v1.5.1", "v1.6.1")
    assert DEFAULT_VERSION == "v1.6.1"
    vendored = {(r.tag, r.channel) for r in _catalog.index() if r.project == "gateway-api"}
    assert vendored == {(v, c) for v in KNOWN_VERSIONS for c in ("standard", "experimental")}


@pytest.mark.parametrize("spelling", ["v1.6", "1.6", "v1.6.1", "1.6.1", " V1.6 "])
def test_parse_accepts_minor_and_full_tags(spelling: str) -> None:
    assert Target.parse(spelling) == Target("v1.6.1", "standard")


def test_parse_defaults_to_newest_standard() -> None:
    assert Target.parse() == Target(DEFAULT_VERSION, "standard")
    assert Target.parse(None, "Experimental") == Target(DEFAULT_VERSION, "experimental")


@pytest.mark.parametrize("version", ["v1.1", "v1.6.0", "v2", "latest", "1.x"])
def test_unknown_version_is_a_usage_error_listing_known_versions(version: str) -> None:
    with pytest.raises(UsageError) as raised:
        Target.parse(version)
    message = str(raised.value)
    assert repr(version) in message
    assert all(tag in message for tag in KNOWN_VERSIONS)
    assert raised.value.exit_code == 2


def test_unknown_channel_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="standard, experimental"):
        Target.parse("v1.5", "beta")


def test_to_json() -> None:
    assert Target.parse("1.4", "experimental").to_json() == {
        "gatewayAPIVersion": "v1.4.1",
        "channel": "experimental",
    }


@pytest.mark.parametrize(
    ("version", "channel", "kind", "expected"),
    [
        ("v1.2", "standard", "HTTPRoute", f"{GW}/v1"),
        ("v1.2", "standard", "BackendTLSPolicy", None),
        ("v1.2", "experimental", "BackendTLSPolicy", f"{GW}/v1alpha3"),
        ("v1.3", "experimental", "BackendTLSPolicy", f"{GW}/v1alpha3"),
        ("v1.4", "standard", "BackendTLSPolicy", f"{GW}/v1"),
        # v1alpha3 is still served (deprecated) on v1.4 experimental: v1 wins.
        ("v1.4", "experimental", "BackendTLSPolicy", f"{GW}/v1"),
        ("v1.4", "standard", "TLSRoute", None),
        ("v1.4", "experimental", "TLSRoute", f"{GW}/v1alpha3"),
        ("v1.5", "standard", "TLSRoute", f"{GW}/v1"),
        ("v1.5", "standard", "TCPRoute", None),
        ("v1.5", "experimental", "TCPRoute", f"{GW}/v1alpha2"),
        ("v1.6", "standard", "TCPRoute", f"{GW}/v1"),
        ("v1.6", "standard", "UDPRoute", f"{GW}/v1"),
        ("v1.4", "standard", "ListenerSet", None),
        ("v1.5", "standard", "ListenerSet", f"{GW}/v1"),
        # ReferenceGrant v1 exists from v1.5, but v1beta1 is served everywhere: prefer it.
        ("v1.2", "standard", "ReferenceGrant", f"{GW}/v1beta1"),
        ("v1.6", "standard", "ReferenceGrant", f"{GW}/v1beta1"),
        ("v1.3", "experimental", "XBackendTrafficPolicy", "gateway.networking.x-k8s.io/v1alpha1"),
        ("v1.6", "standard", "XBackendTrafficPolicy", None),
        ("v1.2", "standard", "SecurityPolicy", "gateway.envoyproxy.io/v1alpha1"),
        ("v1.6", "experimental", "HTTPRouteFilter", "gateway.envoyproxy.io/v1alpha1"),
        ("v1.6", "standard", "Service", "v1"),
        ("v1.6", "standard", "Secret", "v1"),
        ("v1.6", "standard", "NoSuchKind", None),
    ],
)
def test_api_version_for(version: str, channel: str, kind: str, expected: str | None) -> None:
    assert Target.parse(version, channel).api_version_for(kind) == expected


def test_has_field_reads_the_schema_of_the_target() -> None:
    standard, experimental = Target.parse(), Target.parse(channel="experimental")
    assert standard.has_field("HTTPRoute", "spec.rules[].backendRefs[].port")
    assert not standard.has_field("HTTPRoute", "spec.rules[].retry")
    assert experimental.has_field("HTTPRoute", "spec.rules[].retry")
    assert experimental.has_field("HTTPRoute", "spec.rules[].retry.attempts")
    assert standard.has_field("HTTPRoute", "spec.rules[].filters[].cors")
    assert not Target.parse("v1.4").has_field("HTTPRoute", "spec.rules[].filters[].cors")
    assert Target.parse("v1.4", "experimental").has_field(
        "HTTPRoute", "spec.rules[].filters[].cors"
    )
    assert not Target.parse("v1.2").has_field("BackendTLSPolicy", "spec")  # not served
    assert not standard.has_field("HTTPRoute", "spec.nope")
    assert standard.has_field("SecurityPolicy", "spec.basicAuth")
    assert not standard.has_field("Service", "spec.ports")  # core kinds: no schema here


def test_has_enum_value() -> None:
    path = "spec.rules[].filters[].type"
    assert Target.parse("v1.5").has_enum_value("HTTPRoute", path, "CORS")
    assert not Target.parse("v1.4").has_enum_value("HTTPRoute", path, "CORS")
    assert not Target.parse().has_enum_value("HTTPRoute", path, "ExternalAuth")
    assert Target.parse(channel="experimental").has_enum_value("HTTPRoute", path, "ExternalAuth")
    status = "spec.rules[].filters[].requestRedirect.statusCode"
    assert Target.parse("v1.5").has_enum_value("HTTPRoute", status, 308)
    assert not Target.parse("v1.4").has_enum_value("HTTPRoute", status, 308)
    assert not Target.parse("v1.4").has_enum_value("HTTPRoute", status, "302")  # int, not str
    assert not Target.parse().has_enum_value("HTTPRoute", "spec.hostnames[]", "x")  # no enum


@pytest.mark.parametrize(
    ("kind", "path", "value", "hint"),
    [
        ("HTTPRoute", "spec.rules[].filters[].type", "CORS", "v1.5+ standard channel"),
        ("HTTPRoute", "spec.rules[].retry", None, "the experimental channel"),
        ("HTTPRoute", "spec.rules[].filters[].type", "ExternalAuth", "v1.4+ experimental channel"),
        ("HTTPRoute", "spec.rules[].timeouts", None, "v1.2+ standard channel"),
        ("HTTPRoute", "spec.rules[].name", None, "v1.4+ standard channel"),
        ("TCPRoute", None, None, "v1.6+ standard channel"),
        ("BackendTLSPolicy", None, None, "v1.4+ standard channel"),
        ("XBackendTrafficPolicy", None, None, "v1.3+ experimental channel"),
        (
            "HTTPRoute",
            "spec.rules[].sessionPersistence.idleTimeout",
            None,
            "v1.2–v1.5 experimental channel (removed in v1.6)",
        ),
        ("HTTPRoute", "spec.nope", None, None),
        ("SecurityPolicy", "spec.cors", None, "Envoy Gateway v1.9.0"),
    ],
)
def test_where_available(kind: str, path: str | None, value: str | None, hint: str | None) -> None:
    assert Target.parse("v1.2").where_available(kind, path, value) == hint
