"""IPv4 CIDRs as RE2 regular expressions on Kuadrant's ``source.address`` attribute.

Kuadrant's CEL has no CIDR type (implementations.md §2, IP allow / deny): an address list
becomes ``source.address.matches(r'...')``. The attribute is the downstream peer address, which
Envoy writes ``IP:PORT`` and Authorino writes bare; an IPv4 client of a dual-stack listener
shows as ``::ffff:IP`` (``[::ffff:IP]:PORT`` with a port). The expression accepts each of those
forms and nothing else: it is anchored at both ends (``\\z``; CEL's ``matches`` otherwise finds a
match anywhere, so ``10[.]`` would match ``110.0.0.1``).

Only validated IPv4 addresses and networks are turned into text (:mod:`ipaddress` parses them);
an IPv6 entry is refused: its compressed spellings make a regular expression unsafe to write.
"""

from __future__ import annotations

import ipaddress

ANY_OCTET = "[0-9]{1,3}"
"""Any octet: the address comes from the proxy, always a well-formed dotted quad."""


def network(entry: str) -> ipaddress.IPv4Network | None:
    """``entry`` (an address or a CIDR) as an IPv4 network, or None when it is not one."""
    try:
        parsed = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None
    return parsed if isinstance(parsed, ipaddress.IPv4Network) else None


def octet_range(low: int, high: int) -> str:
    """An alternation matching the decimal numbers ``low`` to ``high`` (0-255), no leading 0."""
    if low == 0 and high == 255:
        return ANY_OCTET
    return "|".join(_ranges(low, high))


def _ranges(low: int, high: int) -> list[str]:
    out: list[str] = []
    value = low
    while value <= high:
        # The widest block [value, value + 10**k - 1] aligned on 10**k that fits.
        step = 1
        while value % (step * 10) == 0 and value + step * 10 - 1 <= high and step < 100:
            step *= 10
        if value == 0 and step > 1:
            step = 1  # "0" has one digit: 0-9 is "[0-9]", written without a leading zero
        top = value + step - 1
        out.append(_block(value, top, step))
        value = top + 1
    return out


def _block(low: int, high: int, step: int) -> str:
    if step == 1:
        return str(low)
    head = str(low)[: -len(str(step)) + 1]
    return head + "[0-9]" * (len(str(step)) - 1)


def network_regex(net: ipaddress.IPv4Network) -> str:
    """The dotted-quad part matching every address of ``net``."""
    first = net.network_address.packed
    last = net.broadcast_address.packed
    parts = []
    for low, high in zip(first, last, strict=True):
        if low == high:
            parts.append(str(low))
        else:
            alternatives = octet_range(low, high)
            parts.append(alternatives if alternatives == ANY_OCTET else f"(?:{alternatives})")
    return "[.]".join(parts)


def address_regex(nets: list[ipaddress.IPv4Network]) -> str:
    body = "|".join(network_regex(net) for net in nets)
    return rf"^\[?(?:::ffff:)?(?:{body})\]?(?::[0-9]+)?\z"


def predicate(nets: list[ipaddress.IPv4Network]) -> str:
    """A CEL predicate true when the client address is in one of ``nets``. The regular
    expression holds no quote (only digits, dots and fixed text), so a raw CEL string holds it."""
    return f"source.address.matches(r'{address_regex(nets)}')"
