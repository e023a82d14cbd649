"""How CEL names a schema property: Kubernetes' escaping of reserved and punctuated names.

A CRD property is visible to ``x-kubernetes-validations`` rules under an escaped name
(k8s.io/apiserver ``pkg/cel/escaping.go``, ``Escape``): CEL reserved words become ``__word__``,
and ``__``, ``.``, ``-``, ``/`` become ``__underscores__``, ``__dot__``, ``__dash__``,
``__slash__``; a name with any other character (or not starting with a letter, ``_`` or one of
those) is not reachable from CEL. Both the cel-python path (``_cel.to_cel``) and the compiler
(``_celcompile``) name properties this way.
"""

from __future__ import annotations

from functools import lru_cache

_RESERVED = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)
def escape_property(name: str) -> str | None:
    """The CEL name of schema property *name*, or None when CEL cannot reach it."""
    if name in _RESERVED:
        return f"__{name}__"
    if not name or not (name[0].isascii() and (name[0].isalpha() or name[0] in "_.-/")):
        return None
    if not all(c.isascii() and (c.isalnum() or c in "_.-/") for c in name):
        return None
    return (
        name.replace("__", "__underscores__")
        .replace(".", "__dot__")
        .replace("-", "__dash__")
        .replace("/", "__slash__")
    )
