"""Names for generated objects and listeners: DNS-1123, at most 63 characters, never shared.

The Go tool derives names by replacing non-alphanumerics with ``-``, so ``*.a.com`` and
``a.com`` (or ``a-b.com`` and ``a.b.com``) got the same name and one was dropped. Here a
wildcard is spelled out, and a :class:`NameAllocator` gives a colliding name a short stable
hash of what it stands for, so two different things never share a name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container

MAX_NAME = 63
_NON_NAME = re.compile(r"[^a-z0-9]+")


def host_slug(host: str | None) -> str:
    """``*.foo.example.com`` → ``wildcard-foo-example-com``; no host → ``all-hosts``."""
    if not host or host == "*":
        return "all-hosts"
    text = host.lower()
    if text.startswith("*."):
        text = "wildcard." + text[2:]
    return slug(text) or "all-hosts"


def slug(text: str) -> str:
    return _NON_NAME.sub("-", text.lower()).strip("-")


def short_hash(identity: str, length: int = 6) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def fit(name: str, identity: str, limit: int = MAX_NAME) -> str:
    """Cut ``name`` to ``limit`` characters, keeping it unique with a hash of ``identity``."""
    name = slug(name) or "x"
    if len(name) <= limit:
        return name
    suffix = short_hash(identity)
    return f"{name[: limit - len(suffix) - 1].rstrip('-')}-{suffix}"


class NameAllocator:
    """Hands out unique names within one scope (a namespace and kind, or one Gateway)."""

    def __init__(self, limit: int = MAX_NAME) -> None:
        self._limit = limit
        self._owner: dict[str, str] = {}

    def allocate(self, wanted: str, identity: str) -> str:
        """Return ``wanted`` (fitted), or a hashed variant if another identity holds it.

        The same identity always gets the same name back.
        """
        name = fit(wanted, identity, self._limit)
        owner = self._owner.get(name)
        if owner is None or owner == identity:
            self._owner[name] = identity
            return name
        owners = self._owner
        candidate = _suffixed(
            wanted, identity, self._limit, lambda c: owners.get(c, identity) != identity
        )
        self._owner[candidate] = identity
        return candidate


def free_name(wanted: str, identity: str, taken: Container[str], limit: int = MAX_NAME) -> str:
    """The name a :class:`NameAllocator` would give ``identity`` if other identities held every
    name in ``taken`` (a Gateway's listener names, say), without building one."""
    name = fit(wanted, identity, limit)
    if name not in taken:
        return name
    return _suffixed(wanted, identity, limit, taken.__contains__)


def _suffixed(wanted: str, identity: str, limit: int, taken: Callable[[str], bool]) -> str:
    suffix = short_hash(identity)
    base = fit(wanted, identity, limit - len(suffix) - 1)
    candidate = f"{base}-{suffix}"
    counter = 2
    while taken(candidate):
        candidate = f"{base}-{suffix}{counter}"
        counter += 1
    return candidate
