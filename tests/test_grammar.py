"""The grammars values must satisfy before they reach the data plane."""

from __future__ import annotations

import pytest

from ingress2gateway.converting import grammar


@pytest.mark.parametrize(
    "value",
    [
        "b.example.com\n",  # re.match(...$) accepted this one
        "a.example.com\r",
        "A.example.com",
        "10.0.0.1",
        "::1",
        "[::1]",
        "*",
        "*.*.example.com",
        "a..example.com",
        "-a.example.com",
        "a" * 64 + ".com",
        "",
    ],
)
def test_hostnames_that_gateway_api_refuses(value: str) -> None:
    assert grammar.hostname_problem(value) is not None


@pytest.mark.parametrize("value", ["example.com", "*.example.com", "a-1.b2.example", "xn--e1a.com"])
def test_hostnames_that_gateway_api_takes(value: str) -> None:
    assert grammar.hostname_problem(value) is None


def test_an_ip_address_is_named_as_such() -> None:
    assert "IP address" in (grammar.hostname_problem("192.168.0.1") or "")
    assert grammar.hostname_problem("*.example.com", wildcard=False) is not None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("DENY\r\nSet-Cookie: a=b", "U+000D"),
        ("a\nb", "U+000A"),
        ("nul\x00", "U+0000"),
        ("esc\x1b[2J", "U+001B"),
        ("del\x7f", "U+007F"),
        ("c1\x85", "U+0085"),
        ("sep\u2028", "U+2028"),
        ("bidi\u202e", "U+202E"),
        (" leading", "white space"),
        ("trailing\t", "white space"),
        ("", "empty"),
        ("x" * 4097, "longer than 4096"),
    ],
)
def test_header_values_refused(value: str, says: str) -> None:
    problem = grammar.header_value_problem(value)
    assert problem is not None and says in problem


@pytest.mark.parametrize(
    "value", ["DENY", "max-age=31536000; includeSubDomains", "a\tb  c", "café", '"quoted"']
)
def test_header_values_taken(value: str) -> None:
    assert grammar.header_value_problem(value) is None


@pytest.mark.parametrize("name", ["X-Evil: 1", "a b", "", "x\n", "ä", "a" * 257, "(x)"])
def test_header_names_refused(name: str) -> None:
    assert grammar.header_name_problem(name) is not None


@pytest.mark.parametrize("name", ["X-Forwarded-For", "x_y", "a!#$%&'*+-.^_`|~1"])
def test_header_names_taken(name: str) -> None:
    assert grammar.header_name_problem(name) is None


@pytest.mark.parametrize(
    "value", ["/; Domain=.example.com", "/a\r\nX: 1", "relative", "/ü", "", "/a\x00"]
)
def test_cookie_paths_refused(value: str) -> None:
    assert grammar.cookie_path_problem(value) is not None


def test_cookie_paths_and_names_taken() -> None:
    assert grammar.cookie_path_problem("/app/x-y_z") is None
    assert grammar.cookie_name_problem("route") is None
    assert grammar.cookie_name_problem("a=b") is not None
    assert grammar.cookie_domain_problem(".example.com") is None
    assert grammar.cookie_domain_problem("example.com; Secure") is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.com/check\r\nX-Evil: 1",
        "http://auth.example.com/a b",
        "ftp://auth.example.com/",
        "http://user:pass@auth.example.com/",
        "http://$host/auth",
        "http:///nohost",
        "http://auth.example.com:99999/",
        "http://auth.example.com/<script>",
        "javascript:alert(1)",
    ],
)
def test_urls_refused(url: str) -> None:
    assert grammar.url_problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.com/check",
        "https://oauth2.example.com/oauth2/auth?rd=%2F&x=1",
        "http://10.0.0.1:8080/",
        "http://auth-svc.auth.svc.cluster.local/verify",
    ],
)
def test_urls_taken(url: str) -> None:
    assert grammar.url_problem(url) is None


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("*", True),
        ("https://example.com", True),
        ("https://*.example.com", True),
        ("http://example.com:8080", True),
        ("https://example.com/", False),
        ("https://example.com\r\n", False),
        ("example.com", False),
        ("https://exa mple.com", False),
    ],
)
def test_cors_origins(origin: str, ok: bool) -> None:
    assert (grammar.origin_problem(origin) is None) == ok


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/", True),
        ("/a/b-c_d.e~f", True),
        ("/a%20b", True),
        ("/login?next=%2F", True),
        ("/a\r\nLocation: x", False),
        ("relative", False),
        ("/a b", False),
        ("/%zz", False),
    ],
)
def test_redirect_and_rewrite_paths(path: str, ok: bool) -> None:
    assert (grammar.url_path_problem(path) is None) == ok
