"""The grammars of the values that reach the data plane, checked whatever the target.

Anything a migration copies from its input into a header, a header match, a cookie attribute,
a redirect or rewrite, a CORS origin, an auth URL or a host name is checked here against the
grammar of what it becomes: a value that is not of that grammar is refused, never emitted.
Gateway API's CRDs check only some of these (a header value is a pattern only from v1.5 on the
experimental channel), and an implementation's policy fields are often plain strings, so a
carriage return in an input value would otherwise become a second header (response
splitting) or a forged cookie attribute.

Every pattern is matched against the whole value (``fullmatch``): ``re.match`` with ``$``
accepts a trailing newline.

Sources: RFC 9110 §5.1 (field names are tokens), §5.5 (field values), §5.6.2 (tokens);
RFC 6265 §4.1.1 (cookie names and attribute values); RFC 3986 (URIs); RFC 1123 and Gateway
API's ``Hostname`` type (host names, no IP addresses); ingress-nginx's own validators
(``internal/ingress/annotations/parser/validators.go``) for what that controller accepted.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# --- characters -----------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: never part of a
# value that reaches a proxy, a log line or a terminal. Bidirectional overrides and isolates
# reorder what a person reads (a name that displays as another): also refused.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def control_character(value: str) -> str | None:
    """The first control character of ``value`` (tab included), or None."""
    found = _CONTROL.search(value)
    return found.group() if found else None


def describe_char(char: str) -> str:
    return f"U+{ord(char):04X}"


# --- HTTP ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""RFC 9110 §5.6.2 token: header names, methods, cookie names."""

MAX_HEADER_NAME = 256
"""Gateway API's HTTPHeaderName limit."""
MAX_HEADER_VALUE = 4096
"""Gateway API's limit for header values (filters and matches)."""


def is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


def header_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an HTTP header name, or None."""
    if not name:
        return "is empty"
    if len(name) > MAX_HEADER_NAME:
        return f"is longer than {MAX_HEADER_NAME} characters"
    if not is_token(name):
        return _characters_problem(
            name, "header names are tokens (letters, digits, !#$%&'*+-.^_`|~)"
        )
    return None


# RFC 9110 §5.5: field-value = *field-content; field-content = field-vchar
# [ 1*( SP / HTAB / field-vchar ) field-vchar ]; field-vchar = VCHAR / obs-text. Non-ASCII
# characters are UTF-8 bytes, all obs-text; controls (C1 included) are not.
_FIELD_VCHAR = "[!-~\u00a0-\U0010ffff]"
_FIELD_VALUE = re.compile(f"{_FIELD_VCHAR}(?:[ \t{_FIELD_VCHAR[1:-1]}]*{_FIELD_VCHAR})?")


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be an HTTP header value as Gateway API states one (1 to 4096
    characters), or None."""
    if value == "":
        return "is empty (Gateway API needs at least one character)"
    if len(value) > MAX_HEADER_VALUE:
        return f"is longer than {MAX_HEADER_VALUE} characters"
    char = control_character(value.replace("\t", " "))
    if char is not None:
        return f"holds the control character {describe_char(char)}"
    if _FIELD_VALUE.fullmatch(value) is None:
        return "starts or ends with white space"
    return None


def _characters_problem(value: str, rule: str) -> str:
    char = control_character(value)
    if char is not None:
        return f"holds the control character {describe_char(char)}"
    return f"has characters its grammar does not allow ({rule})"


# --- cookies (RFC 6265 §4.1.1) ----------------------------------------------------------------


def cookie_name_problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if not is_token(name):
        return _characters_problem(name, "cookie names are tokens")
    return None


_COOKIE_AV = re.compile("[\x20-\x3a\x3c-\x7e]+")
"""``av-octet``s for Path and other attribute values: any CHAR except CTLs and ';'."""


def cookie_attribute_problem(value: str) -> str | None:
    """Why ``value`` cannot be a cookie attribute's value (Path, say), or None."""
    if not value:
        return "is empty"
    if _COOKIE_AV.fullmatch(value) is None:
        return _characters_problem(value, "any printable ASCII character but ';'")
    return None


def cookie_path_problem(value: str) -> str | None:
    problem = cookie_attribute_problem(value)
    if problem is None and not value.startswith("/"):
        return "does not start with '/'"
    return problem


def cookie_domain_problem(value: str) -> str | None:
    bare = value[1:] if value.startswith(".") else value
    if not is_dns_name(bare.lower()):
        return "is not a domain name"
    return None


SAME_SITE = ("Strict", "Lax", "None")


# --- host names -----------------------------------------------------------------------------

_LABEL = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(f"{_LABEL}(?:\\.{_LABEL})*")
MAX_HOSTNAME = 253


def is_dns_name(value: str) -> bool:
    """A lowercase RFC 1123 DNS name (no wildcard, no trailing dot)."""
    return len(value) <= MAX_HOSTNAME and _DNS_NAME.fullmatch(value) is not None


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def hostname_problem(host: str, *, wildcard: bool = True) -> str | None:
    """Why ``host`` cannot be a Gateway API ``Hostname`` (a listener's or a route's), or None.

    A lowercase DNS name, with a leading ``*.`` label where ``wildcard``; IP addresses are
    not host names there (the API says so, though its pattern would pass ``10.0.0.1``).
    """
    bare = host[2:] if wildcard and host.startswith("*.") else host
    if is_ip_address(bare):
        return "is an IP address; Gateway API host names are DNS names"
    if len(host) > MAX_HOSTNAME or not is_dns_name(bare):
        return "is not a valid DNS name (lower case" + (
            ", optional leading '*.' wildcard)" if wildcard else ")"
        )
    return None


# --- URLs and paths -------------------------------------------------------------------------

# RFC 3986 pchar, plus '/' and '?' for paths with a query, and percent escapes.
_PATH = re.compile(r"/(?:[-A-Za-z0-9._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
_QUERY = re.compile(r"(?:[-A-Za-z0-9._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")


def url_path_problem(path: str) -> str | None:
    """Why ``path`` cannot be the path of a redirect or rewrite (an absolute path, and a
    query: Envoy sends a redirect path's query on), or None."""
    bare, mark, query = path.partition("?")
    if _PATH.fullmatch(bare) is None or (mark and _QUERY.fullmatch(query) is None):
        return _characters_problem(path, "an absolute path of RFC 3986 characters")
    return None  # its length is the target's to judge (validation leaves the rule out)


def url_problem(url: str, *, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """Why ``url`` cannot be an absolute URL the gateway calls or redirects to, or None."""
    char = control_character(url)
    if char is not None:
        return f"holds the control character {describe_char(char)}"
    if " " in url:
        return "holds a space"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    del port
    if parts.scheme.lower() not in schemes:
        return f"is not an {' or '.join(schemes)} URL"
    host = parts.hostname or ""
    if not host or (not is_ip_address(host) and not is_dns_name(host.lower())):
        return "has no valid host"
    if parts.username is not None or parts.password is not None:
        return "holds credentials"
    if parts.path and _PATH.fullmatch(parts.path) is None:
        return "has a path with characters URLs do not allow"
    if _QUERY.fullmatch(parts.query) is None or _QUERY.fullmatch(parts.fragment) is None:
        return "has a query with characters URLs do not allow"
    return None


_ORIGIN_HOST = re.compile(f"(?:\\*\\.)?{_LABEL}(?:\\.{_LABEL})*")


def origin_problem(origin: str) -> str | None:
    """Why ``origin`` cannot be a CORS allowed origin (``*``, or ``scheme://host[:port]`` with
    an optional ``*.`` wildcard label), or None."""
    if origin == "*":
        return None
    char = control_character(origin)
    if char is not None:
        return f"holds the control character {describe_char(char)}"
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "is not an http or https origin"
    host, colon, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if colon and not (port.isdigit() and 0 < int(port) < 65536):
        return "has an invalid port"
    host = host.lower()
    if not (_ORIGIN_HOST.fullmatch(host) or is_ip_address(host)) or len(host) > MAX_HOSTNAME:
        return "has an invalid host"
    return None
