from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ingress2gateway.converting.naming import NameAllocator, fit, host_slug

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_host_slugs_keep_wildcards_apart() -> None:
    assert host_slug("*.example.com") == "wildcard-example-com"
    assert host_slug("example.com") == "example-com"
    assert host_slug(None) == "all-hosts"


def test_allocator_never_gives_one_name_to_two_identities() -> None:
    names = NameAllocator()
    first = names.allocate("a-b-example-com-http", "http/a-b.example.com")
    second = names.allocate("a-b-example-com-http", "http/a.b.example.com")
    assert first == "a-b-example-com-http" and second != first
    assert names.allocate("a-b-example-com-http", "http/a.b.example.com") == second


@given(st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=30))
def test_allocated_names_are_unique_dns_labels(wanted: list[str]) -> None:
    names = NameAllocator()
    given_out = [names.allocate(w, f"id-{i}") for i, w in enumerate(wanted)]
    assert len(set(given_out)) == len(given_out)
    assert all(len(n) <= 63 and DNS_LABEL.match(n) for n in given_out)


def test_fit_truncates_with_a_stable_hash() -> None:
    long = "x" * 100
    assert fit(long, "one") == fit(long, "one") != fit(long, "two")
    assert len(fit(long, "one")) == 63
