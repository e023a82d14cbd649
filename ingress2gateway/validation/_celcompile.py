"""CEL rules compiled to plain Python functions of the JSON value (the fast path of ``_cel``).

Each ``x-kubernetes-validations`` rule is compiled **once per schema node** from cel-python's
parse tree into the source of one Python function that reads the defaulted JSON value directly
(``dict``/``list``/``str``/``int``/``bool``), with no conversion to ``celtypes`` and no
interpreter. Knowing the schema node lets the compiler

* resolve field selections statically: ``p.__namespace__`` reads property ``namespace``
  (Kubernetes' escaping of reserved or punctuated names); keys of maps (labels …) are read as
  written;
* type every sub-expression from the schema. ``_cel.check_cel`` runs only on objects that passed
  the schema's type checks (a type error blocks CEL), so a ``type: string`` field holds a ``str``
  and ``a == b`` on two strings can be Python's ``==``. Where a type is not known statically (no
  ``type``, ``nullable``, int-or-string, list literals of mixed kinds) a checking helper is used.

**Exactness contract.** The compiled function either returns exactly the value cel-python would
return, or raises. It raises on every CEL evaluation error (missing field → ``KeyError``, index
out of range, wrong type …) and on anything whose CEL semantics it does not reproduce bit for bit
(heterogeneous equality, a ``double``, a map whose keys CEL sees escaped …), and the caller then
evaluates the rule with cel-python, whose answer — value or error, and so the message — is used.
Because of that, ``&&``/``||`` can be Python's ``and``/``or``: when the left side decides, CEL
ignores the right side's errors and so does Python (it never evaluates it); when the left side
raises, CEL might still absorb the error, and the cel-python path decides. ``all``/``exists``
short-circuit the same way (a ``false``/``true`` element decides regardless of other elements'
errors).

A rule using a construct outside the supported subset raises :class:`Unsupported` at compile time
and is always evaluated by cel-python (none of the vendored rules does; a test keeps it so).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import celpy.evaluation
import lark
import re2
from celpy import celtypes

from ingress2gateway.objects import is_label

from ._celfuncs import split
from ._celnames import escape_property
from ._schema import Node, re2_tester

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class Unsupported(Exception):
    """The rule uses something the compiler does not translate (cel-python evaluates it)."""


class Slow(Exception):
    """Raised at run time: the exact answer needs cel-python (an error, or an unhandled case)."""


# --- static types ----------------------------------------------------------------------------

_SCALARS = ("bool", "int", "str", "dur")


@dataclass(frozen=True)
class T:
    """Static type of a sub-expression: a CEL kind and, for JSON data, its schema node."""

    kind: str
    """``bool int str dur null list map dyn`` or the pseudo-kinds ``fmt``/``fmtval``."""
    node: Node | None = None
    elem: T | None = None
    """For lists not backed by a schema node (literals, split(), filter of a literal)."""
    const: Any = None
    """A compile-time constant list (for ``x in [...]``) or map literal."""


DYN = T("dyn")
BOOL = T("bool")
INT = T("int")
STR = T("str")
NULL = T("null")


def of_node(node: Node | None) -> T:
    """The static type of a JSON value that passed *node*'s type check."""
    if node is None:
        return DYN
    if node.nullable or node.int_or_string or node.type is None:
        return T("dyn", node)
    kind = {
        "string": "str",
        "integer": "int",
        "boolean": "bool",
        "array": "list",
        "object": "map",
    }.get(node.type)
    if kind is None:  # "number": float or int, whose CEL types differ
        return T("dyn", node)
    return T(kind, node)


def elem_of(t: T) -> T:
    if t.elem is not None:
        return t.elem
    if t.node is not None and t.kind in ("list", "dyn") and t.node.items is not None:
        return of_node(t.node.items)
    return DYN


def plain_object(node: Node | None) -> bool:
    """Whether the raw dict of a value of *node* has exactly the keys CEL sees.

    True for maps (``additionalProperties``: keys are not escaped) and for objects whose
    property names CEL reads unescaped and that admit no other keys (after the unknown-field
    check); False when CEL would see escaped or dropped keys.
    """
    if node is None:
        return False
    if not node.properties:
        return node.additional is not None and not node.preserve_unknown
    if node.preserve_unknown or node.embedded_resource or node.additional is not None:
        return False
    return all(escape_property(name) == name for name in node.properties)


# --- run-time helpers (referenced by the generated code) ---------------------------------------


def _b(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise Slow


def _has(container: Any, key: str) -> bool:
    if type(container) is dict:
        return key in container
    raise Slow


def _exact(a: Any, b: Any) -> bool:
    """CEL ``==`` on JSON data, for the cases where it is plain Python equality."""
    ta = type(a)
    if ta is not type(b):
        raise Slow  # bool vs int, int vs float, null vs list …: leave it to cel-python
    if ta is str or ta is int or ta is bool:
        return bool(a == b)
    if ta is list:
        return len(a) == len(b) and all(_exact(x, y) for x, y in zip(a, b, strict=True))
    if a is None:
        return True
    raise Slow  # maps (escaped keys), doubles, durations of other kinds …


def _eq(a: Any, b: Any) -> bool:
    return _exact(a, b)


def _ne(a: Any, b: Any) -> bool:
    return not _exact(a, b)


def _ordered(a: Any, b: Any) -> None:
    ta = type(a)
    if ta is not type(b) or not (ta is int or ta is str or ta is celtypes.DurationType):
        raise Slow


def _lt(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    _ordered(a, b)
    return bool(a >= b)


def _int(value: Any) -> int:
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
    raise Slow


def _add(a: Any, b: Any) -> Any:
    ta = type(a)
    if ta is not type(b):
        raise Slow
    if ta is int:
        return _int(a + b)
    if ta is str or ta is list:
        return a + b
    raise Slow


def _sub(a: Any, b: Any) -> int:
    return _int(_int(a) - _int(b))


def _mul(a: Any, b: Any) -> int:
    return _int(_int(a) * _int(b))


def _div(a: Any, b: Any) -> int:
    a, b = _int(a), _int(b)
    if b == 0:
        raise Slow
    quotient = abs(a) // abs(b)  # CEL truncates toward zero
    return _int(quotient if (a < 0) == (b < 0) else -quotient)


def _mod(a: Any, b: Any) -> int:
    a, b = _int(a), _int(b)
    if b == 0:
        raise Slow
    return _int(a - b * _div(a, b))


def _neg(a: Any) -> int:
    return _int(-_int(a))


def _size(value: Any) -> int:
    kind = type(value)
    if kind is str or kind is list:
        return len(value)
    raise Slow  # maps of unknown schema, null (cel-python says 0) …


def _str(value: Any) -> str:
    if type(value) is str:
        return value
    raise Slow


def _list(value: Any) -> list[Any]:
    if type(value) is list:
        return value
    raise Slow


def _in(item: Any, container: Any) -> bool:
    if type(container) is list:
        return any(_exact(item, x) for x in container)
    raise Slow


def _index(container: Any, index: Any) -> Any:
    if type(container) is list and type(index) is int and 0 <= index < len(container):
        return container[index]
    raise Slow


def _matches(text: Any, pattern: Any) -> bool:
    return _regex(_str(pattern))(_str(text))


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Callable[[str], bool]:
    try:
        return re2_tester(re2.compile(pattern))
    except re2.error:
        raise Slow from None


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _split(text: Any, separator: Any, limit: Any = None) -> list[str]:
    if type(text) is not str or type(separator) is not str:
        raise Slow
    if limit is not None and type(limit) is not int:
        raise Slow
    return [str(part) for part in split(text, separator, limit)]


def _substring(text: Any, start: Any, end: Any = None) -> str:
    if type(text) is not str or type(start) is not int:
        raise Slow
    stop = len(text) if end is None else end
    if type(stop) is not int or not 0 <= start <= stop <= len(text):
        raise Slow
    return text[start:stop]


_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")


def _to_int(value: Any) -> int:
    # CEL int(): an int stays, a decimal string is parsed as Go's strconv.ParseInt parses it
    # (sign, digits, int64 range); anything else is left to cel-python.
    if type(value) is int:
        return value
    if type(value) is str and _DECIMAL_INT.fullmatch(value):
        number = int(value)
        if INT64_MIN <= number <= INT64_MAX:
            return number
    raise Slow


def _to_string(value: Any) -> str:
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise Slow


def _index_of(text: Any, part: Any) -> int:
    return _str(text).find(_str(part))


def _last_index_of(text: Any, part: Any) -> int:
    return _str(text).rfind(_str(part))


def _is_ip(text: Any) -> bool:
    text = _str(text)
    if "%" in text:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None)


@lru_cache(maxsize=1024)
def _parse_duration(text: str) -> Any:
    try:
        return celtypes.DurationType(text)
    except (ValueError, TypeError, OverflowError):
        raise Slow from None


def _duration(value: Any) -> Any:
    return _parse_duration(_str(value))


_NOT_A_LABEL = ["must be a lowercase RFC 1123 label"]


def _validate_label(text: Any) -> Any:
    text = _str(text)
    if is_label(text):
        return None
    return list(_NOT_A_LABEL)


def _slow() -> Any:
    raise Slow


_HELPERS: dict[str, Any] = {
    name: value
    for name, value in globals().items()
    if name.startswith("_") and not name.startswith("__") and callable(value)
}
_HELPERS.update(_LOWER=_LOWER, _UPPER=_UPPER)


# --- the compiler --------------------------------------------------------------------------------


@dataclass
class _Code:
    text: str
    type: T


def _join(*codes: _Code) -> T:
    """The static type of a value that is one of *codes* (a ternary's branches, list items)."""
    kinds = {code.type.kind for code in codes}
    if len(kinds) == 1 and (kind := kinds.pop()) in _SCALARS:
        return T(kind)
    nodes = {id(code.type.node) for code in codes}
    if len(nodes) == 1 and codes[0].type.node is not None and codes[0].type.const is None:
        return of_node(codes[0].type.node)
    return DYN


Recipe = tuple[str, Any]
"""How to make a constant of the generated code again from JSON (see :func:`constants_from`):
``("str", text)``, ``("set", [items])``, ``("map", {key: value})`` or ``("re", pattern)``."""


class _Constants:
    """The constants generated code reads as ``_K[i]``, with the recipe of each."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.recipes: list[Recipe] = []


class _Compiler:
    def __init__(self, node: Node | None, constants: _Constants | None = None) -> None:
        self.self_type = of_node(node)
        self.constants = _Constants() if constants is None else constants
        self.scopes: list[dict[str, tuple[str, T]]] = []
        self.counter = 0

    # helpers
    def const(self, value: Any, recipe: Recipe) -> str:
        self.constants.values.append(value)
        self.constants.recipes.append(recipe)
        return f"_K[{len(self.constants.values) - 1}]"

    def fresh(self, name: str) -> str:
        self.counter += 1
        return f"v{self.counter}_{name}"

    def boolean(self, code: _Code) -> str:
        return code.text if code.type.kind == "bool" else f"_b({code.text})"

    def children(self, tree: lark.Tree[Any]) -> list[Any]:
        return [c for c in tree.children if c is not None]

    # dispatch
    def gen(self, tree: Any) -> _Code:
        if not isinstance(tree, lark.Tree):
            raise Unsupported(f"unexpected token {tree!r}")
        method = getattr(self, f"g_{tree.data}", None)
        if method is None:
            raise Unsupported(str(tree.data))
        result: _Code = method(tree)
        return result

    def only(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        if len(kids) != 1:
            raise Unsupported(f"{tree.data} with {len(kids)} children")
        return self.gen(kids[0])

    g_member = only
    g_primary = only
    g_paren_expr = only

    def g_expr(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        if len(kids) == 1:
            return self.gen(kids[0])
        condition, yes, no = (self.gen(k) for k in kids)
        return _Code(f"({yes.text} if {self.boolean(condition)} else {no.text})", _join(yes, no))

    def _logical(self, tree: lark.Tree[Any], operator: str) -> _Code:
        kids = self.children(tree)
        if len(kids) == 1:
            return self.gen(kids[0])
        left, right = (self.gen(k) for k in kids)
        return _Code(f"({self.boolean(left)} {operator} {self.boolean(right)})", BOOL)

    def g_conditionalor(self, tree: lark.Tree[Any]) -> _Code:
        return self._logical(tree, "or")

    def g_conditionaland(self, tree: lark.Tree[Any]) -> _Code:
        return self._logical(tree, "and")

    def _binary(self, tree: lark.Tree[Any]) -> tuple[str, _Code, _Code] | None:
        kids = self.children(tree)
        if len(kids) == 1:
            return None
        op_tree, right_tree = kids
        (left_tree,) = self.children(op_tree)
        return str(op_tree.data), self.gen(left_tree), self.gen(right_tree)

    def g_relation(self, tree: lark.Tree[Any]) -> _Code:
        parts = self._binary(tree)
        if parts is None:
            return self.only(tree)
        op, a, b = parts
        ka, kb = a.type.kind, b.type.kind
        if op in ("relation_eq", "relation_ne"):
            python = "==" if op == "relation_eq" else "!="
            if ka == kb and ka in _SCALARS:
                return _Code(f"({a.text} {python} {b.text})", BOOL)
            if ka == kb == "null":
                return _Code("True" if python == "==" else "False", BOOL)
            helper = "_eq" if python == "==" else "_ne"
            return _Code(f"{helper}({a.text}, {b.text})", BOOL)
        if op == "relation_in":
            return self._in(a, b)
        python, helper = {
            "relation_lt": ("<", "_lt"),
            "relation_le": ("<=", "_le"),
            "relation_gt": (">", "_gt"),
            "relation_ge": (">=", "_ge"),
        }[op]
        if ka == kb and ka in ("int", "str", "dur"):
            return _Code(f"({a.text} {python} {b.text})", BOOL)
        return _Code(f"{helper}({a.text}, {b.text})", BOOL)

    def _in(self, item: _Code, container: _Code) -> _Code:
        kind = item.type.kind
        if container.type.kind == "list":
            const = container.type.const
            if (
                const is not None
                and kind in ("str", "int")
                and all(type(x) is (str if kind == "str" else int) for x in const)
            ):
                members = self.const(frozenset(const), ("set", sorted(const)))
                return _Code(f"({item.text} in {members})", BOOL)
            if kind in ("str", "int", "bool") and elem_of(container.type).kind == kind:
                return _Code(f"({item.text} in {container.text})", BOOL)
        if container.type.kind == "map" and plain_object(container.type.node) and kind == "str":
            return _Code(f"({item.text} in {container.text})", BOOL)
        return _Code(f"_in({item.text}, {container.text})", BOOL)

    def g_addition(self, tree: lark.Tree[Any]) -> _Code:
        parts = self._binary(tree)
        if parts is None:
            return self.only(tree)
        op, a, b = parts
        if op == "addition_add":
            if a.type.kind == b.type.kind == "str":
                return _Code(f"({a.text} + {b.text})", STR)
            kind = a.type if a.type.kind == b.type.kind == "int" else DYN
            return _Code(f"_add({a.text}, {b.text})", kind)
        return _Code(f"_sub({a.text}, {b.text})", INT)

    def g_multiplication(self, tree: lark.Tree[Any]) -> _Code:
        parts = self._binary(tree)
        if parts is None:
            return self.only(tree)
        op, a, b = parts
        helper = {
            "multiplication_mul": "_mul",
            "multiplication_div": "_div",
            "multiplication_mod": "_mod",
        }[op]
        return _Code(f"{helper}({a.text}, {b.text})", INT)

    def g_unary(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        if len(kids) == 1:
            return self.gen(kids[0])
        op, operand_tree = kids
        operand = self.gen(operand_tree)
        if op.data == "unary_not":
            return _Code(f"(not {self.boolean(operand)})", BOOL)
        return _Code(f"_neg({operand.text})", INT)

    # literals and identifiers
    def g_literal(self, tree: lark.Tree[Any]) -> _Code:
        token: Any = tree.children[0]
        kind = token.type
        if kind == "INT_LIT":
            number = int(celtypes.IntType(token.value))
            if not INT64_MIN <= number <= INT64_MAX:
                raise Unsupported("int literal out of range")
            return _Code(repr(number), T("int", const=number))
        if kind in ("STRING_LIT", "MLSTRING_LIT"):
            text = str(celpy.evaluation.celstr(token))
            return _Code(self.const(text, ("str", text)), T("str", const=text))
        if kind == "BOOL_LIT":
            flag = token.value == "true"
            return _Code(repr(flag), T("bool", const=flag))
        if kind == "NULL_LIT":
            return _Code("None", NULL)
        raise Unsupported(f"literal {kind}")

    def g_ident(self, tree: lark.Tree[Any]) -> _Code:
        (token,) = tree.children
        name = str(token)
        for scope in reversed(self.scopes):
            if name in scope:
                variable, kind = scope[name]
                return _Code(variable, kind)
        if name == "self":
            return _Code("s", self.self_type)
        if name == "format":
            return _Code("None", T("fmt"))
        raise Unsupported(f"identifier {name}")

    def g_list_lit(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        items = self.exprlist(kids[0]) if kids else []
        elem = _join(*items) if items else DYN
        consts = [item.type.const for item in items]
        const = (
            tuple(consts)
            if all(
                c is not None and i.type.kind in ("str", "int")
                for c, i in zip(consts, items, strict=True)
            )
            else None
        )
        return _Code(
            f"[{', '.join(item.text for item in items)}]", T("list", elem=elem, const=const)
        )

    def g_map_lit(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        if not kids:
            return _Code("{}", T("map"))
        parts = [self.gen(k) for k in self.children(kids[0])]
        keys, values = parts[0::2], parts[1::2]
        if not all(k.type.kind == "str" and k.type.const is not None for k in keys):
            raise Unsupported("map literal with non-constant keys")
        if not all(v.type.kind in ("str", "int") and v.type.const is not None for v in values):
            raise Unsupported("map literal with non-constant values")
        mapping = {k.type.const: v.type.const for k, v in zip(keys, values, strict=True)}
        if len(mapping) != len(keys):
            raise Unsupported("map literal with repeated keys")  # a CEL error
        value_kinds = {v.type.kind for v in values}
        value_type = T(value_kinds.pop()) if len(value_kinds) == 1 else DYN
        constant = self.const(mapping, ("map", mapping))
        return _Code(constant, T("map", elem=value_type, const=mapping))

    def exprlist(self, tree: Any) -> list[_Code]:
        if tree is None:
            return []
        if tree.data != "exprlist":
            raise Unsupported(str(tree.data))
        return [self.gen(k) for k in self.children(tree)]

    # member access
    def _field(self, target: T, name: str) -> tuple[str | None, T]:
        """The JSON key CEL's field *name* reads on a value of type *target*, and its type."""
        node = target.node
        if node is not None and node.properties:
            for prop, sub in node.properties.items():
                if escape_property(prop) == name:
                    return prop, of_node(sub)
            if node.additional is None and not node.preserve_unknown:
                return None, DYN  # not a declared field: a CEL error
            return None, DYN  # escaped/dropped keys: let cel-python decide
        if node is not None and node.additional is not None:
            return name, of_node(node.additional)
        if target.kind == "map" and target.elem is not None:
            return name, target.elem
        return name, DYN

    def g_member_dot(self, tree: lark.Tree[Any]) -> _Code:
        member, token = self.children(tree)
        target = self.gen(member)
        if target.type.kind == "fmt":
            raise Unsupported("format library field")
        key, kind = self._field(target.type, str(token))
        if key is None:
            return _Code("_slow()", DYN)
        return _Code(f"{target.text}[{key!r}]", kind)

    def g_member_index(self, tree: lark.Tree[Any]) -> _Code:
        member, index_tree = self.children(tree)
        target, index = self.gen(member), self.gen(index_tree)
        kind = target.type.kind
        if kind == "list":
            const = index.type.const
            if index.type.kind == "int" and isinstance(const, int) and const >= 0:
                return _Code(f"{target.text}[{const}]", elem_of(target.type))
            return _Code(f"_index({target.text}, {index.text})", elem_of(target.type))
        if kind == "map" and index.type.kind == "str":
            if target.type.const is not None:
                return _Code(f"{target.text}[{index.text}]", target.type.elem or DYN)
            if plain_object(target.type.node) and target.type.node is not None:
                sub = target.type.node.additional
                if sub is not None and not target.type.node.properties:
                    return _Code(f"{target.text}[{index.text}]", of_node(sub))
        return _Code(f"_index({target.text}, {index.text})", DYN)

    def g_ident_arg(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        name = str(kids[0])
        args_tree = kids[1] if len(kids) > 1 else None
        if name == "has":
            return self._has(args_tree)
        args = self.exprlist(args_tree)
        if len(args) == 1:
            (arg,) = args
            if name == "size":
                return self._size(arg)
            if name == "duration":
                return _Code(f"_duration({arg.text})", T("dur"))
            if name == "isIP":
                return _Code(f"_is_ip({arg.text})", BOOL)
            if name == "int":
                return _Code(f"_to_int({arg.text})", INT)
            if name == "string":
                return _Code(f"_to_string({arg.text})", STR)
        if name == "matches" and len(args) == 2:  # matches(s, re), the global form of s.matches(re)
            return self._matches(*args)
        raise Unsupported(f"function {name}/{len(args)}")

    def _matches(self, target: _Code, pattern_arg: _Code) -> _Code:
        pattern = pattern_arg.type.const
        if pattern_arg.type.kind == "str" and pattern is not None:
            try:
                compiled = re2.compile(pattern)
            except re2.error:
                raise Unsupported("invalid pattern") from None
            tester = self.const(re2_tester(compiled), ("re", pattern))
            text = target.text if target.type.kind == "str" else f"_str({target.text})"
            return _Code(f"{tester}({text})", BOOL)
        return _Code(f"_matches({target.text}, {pattern_arg.text})", BOOL)

    def _has(self, args_tree: Any) -> _Code:
        if args_tree is None or len(self.children(args_tree)) != 1:
            raise Unsupported("has() arity")
        (expr,) = self.children(args_tree)
        # Unwrap expr → … → member → member_dot (has() takes exactly a field selection).
        tree = expr
        while isinstance(tree, lark.Tree) and tree.data != "member_dot":
            kids = self.children(tree)
            if len(kids) != 1:
                raise Unsupported("has() of something that is not a field selection")
            tree = kids[0]
        if not isinstance(tree, lark.Tree):
            raise Unsupported("has() argument")
        member, token = self.children(tree)
        target = self.gen(member)
        key, _ = self._field(target.type, str(token))
        if key is None:
            return _Code("_slow()", BOOL)
        if target.type.kind == "map" and target.type.const is None:
            return _Code(f"({key!r} in {target.text})", BOOL)
        return _Code(f"_has({target.text}, {key!r})", BOOL)

    def _size(self, arg: _Code) -> _Code:
        kind = arg.type.kind
        if kind in ("str", "list") or (kind == "map" and plain_object(arg.type.node)):
            return _Code(f"len({arg.text})", INT)
        return _Code(f"_size({arg.text})", INT)

    def g_member_dot_arg(self, tree: lark.Tree[Any]) -> _Code:
        kids = self.children(tree)
        member, token = kids[0], str(kids[1])
        args_tree = kids[2] if len(kids) > 2 else None
        if token in ("all", "exists", "exists_one", "filter", "map"):
            return self._macro(member, token, args_tree)
        target = self.gen(member)
        args = self.exprlist(args_tree)
        text = target.text
        is_str = target.type.kind == "str"
        s = text if is_str else f"_str({text})"

        def string_arg(index: int) -> str:
            arg = args[index]
            return arg.text if arg.type.kind == "str" else f"_str({arg.text})"

        if token == "size" and not args:
            return self._size(target)
        if token == "contains" and len(args) == 1:
            return _Code(f"({string_arg(0)} in {s})", BOOL)
        if token == "startsWith" and len(args) == 1:
            return _Code(f"{s}.startswith({string_arg(0)})", BOOL)
        if token == "endsWith" and len(args) == 1:
            return _Code(f"{s}.endswith({string_arg(0)})", BOOL)
        if token == "matches" and len(args) == 1:
            return self._matches(target, args[0])
        if token == "indexOf" and len(args) == 1:
            return _Code(f"_index_of({text}, {args[0].text})", INT)
        if token == "lastIndexOf" and len(args) == 1:
            return _Code(f"_last_index_of({text}, {args[0].text})", INT)
        if token == "lowerAscii" and not args:
            return _Code(f"{s}.translate(_LOWER)", STR)
        if token == "upperAscii" and not args:
            return _Code(f"{s}.translate(_UPPER)", STR)
        if token == "split" and len(args) in (1, 2):
            rest = ", ".join(a.text for a in args)
            return _Code(f"_split({text}, {rest})", T("list", elem=STR))
        if token == "substring" and len(args) in (1, 2):
            rest = ", ".join(a.text for a in args)
            return _Code(f"_substring({text}, {rest})", STR)
        if token == "dns1123Label" and not args and target.type.kind == "fmt":
            return _Code("None", T("fmtval"))
        if token == "validate" and len(args) == 1 and target.type.kind == "fmtval":
            return _Code(f"_validate_label({args[0].text})", DYN)
        raise Unsupported(f"method {token}/{len(args)}")

    def _macro(self, member: Any, name: str, args_tree: Any) -> _Code:
        target = self.gen(member)
        args = self.children(args_tree) if args_tree is not None else []
        if len(args) != 2:
            raise Unsupported(f"{name} with {len(args)} arguments")
        variable_tree, body_tree = args
        variable = self._variable_name(variable_tree)
        kind = target.type.kind
        if kind == "list":
            source, item = target.text, elem_of(target.type)
        elif kind == "map" and plain_object(target.type.node) and target.type.const is None:
            source, item = target.text, STR  # iterating a map yields its keys
        else:
            source, item = f"_list({target.text})", elem_of(target.type)
        python = self.fresh(variable)
        self.scopes.append({variable: (python, item)})
        try:
            body = self.gen(body_tree)
        finally:
            self.scopes.pop()
        if name == "map":
            return _Code(f"[{body.text} for {python} in {source}]", T("list"))
        predicate = self.boolean(body)
        if name == "all":
            return _Code(f"all({predicate} for {python} in {source})", BOOL)
        if name == "exists":
            return _Code(f"any({predicate} for {python} in {source})", BOOL)
        if name == "exists_one":
            return _Code(f"(sum(1 for {python} in {source} if {predicate}) == 1)", BOOL)
        # filter keeps the elements (and so the type) of its source
        list_type = target.type if kind == "list" else T("list", elem=item)
        return _Code(f"[{python} for {python} in {source} if {predicate}]", list_type)

    def _variable_name(self, tree: Any) -> str:
        while isinstance(tree, lark.Tree):
            kids = self.children(tree)
            if tree.data == "ident":
                return str(kids[0])
            if len(kids) != 1:
                break
            tree = kids[0]
        raise Unsupported("macro variable is not an identifier")


@dataclass(frozen=True)
class Compiled:
    function: Callable[[Any], Any]
    source: str
    recipes: tuple[Recipe, ...] = ()
    """How to make the constants ``source`` reads again (see :func:`function_from`)."""


def compile_rule(tree: lark.Tree[Any], node: Node | None) -> Compiled:
    """The rule (cel-python parse tree) as a Python function of the JSON value of *node*.

    Raises :class:`Unsupported` when the rule is outside the compiled subset.
    """
    compiler = _Compiler(node)
    code = compiler.gen(tree)
    source = f"def rule(s):\n    return {code.text}\n"
    function = _function(source, "rule", compiler.constants.values)
    return Compiled(function, source, tuple(compiler.constants.recipes))


HAND_OVER: Any = object()
"""In :func:`compile_node`'s result: this rule needs cel-python (see the module docstring)."""


def compile_node(trees: list[lark.Tree[Any] | None], node: Node | None) -> Compiled:
    """All rules of one schema node as one function (one call per value instead of one per rule).

    ``trees[i]`` is rule *i*'s parse tree, or None for a rule that is not compiled. The function
    returns ``()`` when every rule holds, else a tuple of ``(i, result)`` for the rules whose
    result is not ``True``, *result* being :data:`HAND_OVER` where cel-python must decide (a rule
    that is not compiled, or whose compiled code raised). Raises :class:`Unsupported` if a
    given tree is outside the compiled subset.
    """
    constants = _Constants()
    lines = ["def rules(s):", "    out = ()"]
    for index, tree in enumerate(trees):
        if tree is None:
            lines.append(f"    out += (({index}, HAND_OVER),)")
            continue
        code = _Compiler(node, constants).gen(tree)
        lines += [
            "    try:",
            f"        r = {code.text}",
            "    except Exception:",
            "        r = HAND_OVER",
            "    if r is not True:",
            f"        out += (({index}, r),)",
        ]
    lines.append("    return out")
    source = "\n".join(lines) + "\n"
    function = _function(source, "rules", constants.values)
    return Compiled(function, source, tuple(constants.recipes))


def function_from(source: str, recipes: Sequence[Recipe]) -> Callable[[Any], Any]:
    """The function :func:`compile_node` made as ``source``, made again from its source and the
    recipes of its constants (how the committed cache of compiled rules is read)."""
    return _function(source, "rules", constants_from(recipes))


def constants_from(recipes: Sequence[Recipe]) -> list[Any]:
    made: list[Any] = []
    for kind, value in recipes:
        if kind == "str":
            made.append(str(value))
        elif kind == "set":
            made.append(frozenset(value))
        elif kind == "map":
            made.append(dict(value))
        elif kind == "re":
            made.append(re2_tester(re2.compile(value)))
        else:
            raise ValueError(f"unknown constant recipe {kind!r}")
    return made


def _function(source: str, name: str, constants: Sequence[Any]) -> Callable[[Any], Any]:
    scope: dict[str, Any] = dict(_HELPERS)
    scope["_K"] = tuple(constants)
    scope["HAND_OVER"] = HAND_OVER
    exec(compile(source, "<cel-compiled>", "exec"), scope)
    function: Callable[[Any], Any] = scope[name]
    return function
