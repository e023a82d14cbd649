"""nginx's own location selection, which both NGINX controllers configure.

From nginx's ``ngx_http_core_find_location`` / ``ngx_http_core_find_static_location``
(``src/http/ngx_http_core_module.c``) and the ``location`` directive's documentation:

1. an exact location (``location = /x``) equal to the URI wins at once;
2. otherwise the longest prefix location (a *character* prefix: ``/app`` takes ``/apple``) is
   remembered; when the URI is a prefix location's name without its trailing slash (``/foo``
   for ``location /foo/``) and that location proxies, nginx answers with a 301 to the name,
   before any regular expression is tried;
3. then the regular expression locations, in the order of the configuration: the first that
   matches anywhere in the URI wins (``~`` case-sensitive, ``~*`` case-insensitive);
4. otherwise the remembered prefix location.

A ``^~`` prefix (NGINX Inc VirtualServer paths) is a prefix like the others, except that when
it is the longest prefix of the URI, no regular expression is tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from ingress2gateway.verification.matching import pcre_search

T = TypeVar("T")

EXACT, PREFIX, REGEX, REGEX_NOCASE, PREFIX_NO_REGEX = "=", "", "~", "~*", "^~"
_PREFIXES = (PREFIX, PREFIX_NO_REGEX)


@dataclass(frozen=True)
class Location(Generic[T]):
    """A ``location`` block: its modifier (``=``, none, ``~``, ``~*``), its name, and what the
    controller hangs on it."""

    modifier: str
    name: str
    data: T


@dataclass(frozen=True)
class Found(Generic[T]):
    location: Location[T]
    auto_redirect: bool = False
    """The URI is the location's name without its trailing slash: nginx answers 301."""


def find_location(locations: Sequence[Location[T]], uri: str) -> Found[T] | None:
    """The location nginx picks for ``uri`` among ``locations`` (in configuration order)."""
    exact = next((x for x in locations if x.modifier == EXACT and x.name == uri), None)
    if exact is not None:
        return Found(exact)
    longest: Location[T] | None = None
    for location in locations:
        if (
            location.modifier in _PREFIXES
            and uri.startswith(location.name)
            and (longest is None or len(location.name) > len(longest.name))
        ):
            longest = location
    # nginx's static tree: a prefix name that is the URI plus a trailing slash redirects, unless
    # an exact location of the URI or a prefix as long as the URI takes it first.
    slashed = uri + "/"
    redirecting = next(
        (x for x in locations if x.modifier in _PREFIXES and x.name == slashed), None
    )
    if redirecting is not None and (longest is None or len(longest.name) < len(slashed) - 1):
        exact_of_slashed = any(x.modifier == EXACT and x.name == uri for x in locations)
        if not exact_of_slashed:
            return Found(redirecting, auto_redirect=True)
    if longest is not None and longest.modifier == PREFIX_NO_REGEX:
        return Found(longest)
    for location in locations:
        if location.modifier in (REGEX, REGEX_NOCASE) and pcre_search(
            location.name, uri, ignore_case=location.modifier == REGEX_NOCASE
        ):
            return Found(location)
    return None if longest is None else Found(longest)
