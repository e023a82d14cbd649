"""``x-kubernetes-validations`` (CEL) rules, evaluated as the apiserver would.

* **Fast path**: the rules of each schema node are compiled once into one Python function that
  reads the defaulted JSON value directly (:func:`node_rules`, ``_celcompile.py``). It either
  gives exactly cel-python's answer or hands the rule over.
* **cel-python** decides whatever is handed over (an evaluation error — the message then carries
  cel-python's error text — or a case the compiled code does not reproduce) and any rule the
  compiler cannot translate (:func:`fallback_rules`: none of Gateway API's or Envoy Gateway's
  rules; seven of the other implementations', which use ``type()``, ``double()`` or the URL
  and quantity libraries):
  :meth:`Program.evaluate`, i.e. cel-python's transpiled code with its interpreter as fallback,
  as before the fast path existed. Its results are cached by (node, rule, value digest).
* ``self`` is the node's value *after defaulting*, converted schema-aware: declared properties whose
  names are CEL reserved words or contain ``_ . - /`` are escaped the Kubernetes way
  (``namespace`` → ``__namespace__``); keys of maps (labels, annotations) are never escaped.
* Rules using ``oldSelf`` (transition rules) only run on update, so never here.
* A result that is not ``true`` — ``false`` or an evaluation error — is a violation, as in the
  apiserver; its message is the rule's ``message`` or ``failed rule: <rule>``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Callable
from functools import cache
from typing import Any

import celpy
import celpy.evaluation
import re2
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

from ._celcache import cached_checker, cached_unchecked
from ._celcompile import HAND_OVER, Compiled, Unsupported, compile_node, compile_rule
from ._celfuncs import FORMAT_LIBRARY, FUNCTIONS
from ._celnames import escape_property
from ._schema import Node, Rule
from ._violation import Findings, child_path, item_path

RULE = "cel"


class Program:
    """One compiled rule."""

    __slots__ = ("_code", "_tree", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._tree = _as_transpiler_tree(_environment().compile(text))
        self._code = _transpile(self._tree)

    @property
    def transpiled(self) -> bool:
        return self._code is not None

    def evaluate(self, value: Any) -> Any:
        if self._code is None:
            return self.interpret(value)
        try:
            return self._code(_activation(value))
        except Exception:  # a transpiler gap: the interpreter still works
            return self.interpret(value)

    def interpret(self, value: Any) -> Any:
        """cel-python's tree-walking interpreter: slow, used as fallback and reference."""
        try:
            return celpy.evaluation.Evaluator(
                ast=self._tree, activation=_activation(value)
            ).evaluate()
        except CELEvalError as error:
            return error


def _activation(value: Any) -> Any:
    return celpy.evaluation.Activation(
        vars={"self": value, "format": FORMAT_LIBRARY}, functions=FUNCTIONS
    )


# cel-python 0.5 transpiles has() to a Python bool, which its own `!`, `&&` and `||` reject
# (they accept only BoolType): wrap it. A has() line this does not recognise means a different
# cel-python, and the rule is interpreted instead.
_HAS_LINE = re2.compile(
    r"^(ex_\d+ = lambda activation: )"
    r"(not isinstance\(celpy\.evaluation\.result\(activation, ex_\d+_h\), CELEvalError\))$"
)


def _transpile(tree: Any) -> Callable[[Any], Any] | None:
    """The rule as a Python function of the activation, or None to use the interpreter."""
    try:
        transpiler = celpy.evaluation.Transpiler(
            ast=tree, activation=celpy.evaluation.Activation(functions=FUNCTIONS)
        )
        transpiler.transpile()
    except Exception:  # any transpiler gap: the interpreter still works
        return None
    # cel-python runs the statements with the activation in its module globals; wrapping them
    # in a function of the activation instead avoids copying those globals per evaluation and
    # keeps concurrent validations apart.
    lines = ["def rule(base_activation):"]
    for line in transpiler.source_text.splitlines():
        match = _HAS_LINE.search(line)
        if match:
            line = f"{match.group(1)}celpy.celtypes.BoolType({match.group(2)})"
        elif "not isinstance(" in line:
            return None
        lines.append(f"    {line}")
    lines.append("    return CEL")
    scope = dict(_globals())
    exec(compile("\n".join(lines), "<cel>", "exec"), scope)
    rule: Callable[[Any], Any] = scope["rule"]
    return rule


@cache
def _environment() -> celpy.Environment:
    # celpy.Environment() raises the process recursion limit to 2500 (for deeply nested
    # expressions); the vendored rules are shallow, so keep the host's limit untouched.
    limit = sys.getrecursionlimit()
    environment = celpy.Environment()
    sys.setrecursionlimit(limit)
    return environment


@cache
def _globals() -> dict[str, Any]:
    scope = dict(vars(celpy.evaluation))
    # Transpiled code names functions by module path, e.g. ``ingress2gateway.validation...``.
    for module in {f.__module__.partition(".")[0] for f in FUNCTIONS.values()}:
        scope[module] = importlib.import_module(module)
    return scope


def _as_transpiler_tree(tree: Any) -> Any:
    # cel-python builds one parser per process, with the tree class of the first Environment;
    # rebuilding the tree makes the transpiler independent of who parsed first.
    if isinstance(tree, celpy.Expression):  # lark.Tree
        return celpy.evaluation.TranspilerTree(
            tree.data, [_as_transpiler_tree(child) for child in tree.children], tree._meta
        )
    return tree


@cache
def program(text: str) -> Program:
    return Program(text)


def to_cel(value: Any, node: Node | None, memo: dict[int, Any]) -> Any:
    """Convert a JSON value to CEL, escaping declared property names (memoized per container)."""
    if isinstance(value, (dict, list)):
        hit = memo.get(id(value))
        if hit is not None:
            return hit
        converted = _convert_container(value, node, memo)
        memo[id(value)] = converted
        return converted
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        if node is not None and node.type == "integer" and value.is_integer():
            return celtypes.IntType(int(value))
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    return value  # None is CEL null


def _convert_container(
    value: dict[str, Any] | list[Any], node: Node | None, memo: dict[int, Any]
) -> Any:
    if isinstance(value, list):
        items = node.items if node is not None else None
        return celtypes.ListType([to_cel(item, items, memo) for item in value])
    if node is not None and node.properties:
        fields = {}
        for name, item in value.items():
            prop = node.properties.get(name)
            cel_name = escape_property(name)
            if prop is not None and cel_name is not None:
                fields[celtypes.StringType(cel_name)] = to_cel(item, prop, memo)
        return celtypes.MapType(fields)
    additional = node.additional if node is not None else None
    return celtypes.MapType(
        {celtypes.StringType(key): to_cel(item, additional, memo) for key, item in value.items()}
    )


def _passed(result: Any) -> bool:
    return isinstance(result, (bool, celtypes.BoolType)) and bool(result)


def _describe_failure(rule: Rule, result: Any) -> str:
    message = rule.message or f"failed rule: {rule.rule}"
    if isinstance(result, CELEvalError):
        detail = result.args[0] if result.args else "evaluation error"
        return f"{message} (rule could not be evaluated: {detail})"
    return message


# cel-python results of rules the compiled fast path handed over (an evaluation error or an
# unhandled case), by (schema node, rule, value digest). Bounded: cleared when full.
_RESULTS: dict[tuple[int, str, bytes], Any] = {}
_RESULTS_MAX = 20_000


def _digest(value: Any) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@cache
def _parse(text: str) -> Any:
    return _environment().compile(text)


_COMPILED: dict[Node, tuple[tuple[Rule, Callable[[Any], Any] | None], ...]] = {}
_NODES: dict[Node, tuple[tuple[Rule, ...], Callable[[Any], Any]]] = {}
_UNSUPPORTED: dict[str, str] = {}
"""Rule text → why the compiler left it to cel-python (see :func:`fallback_rules`)."""


def compiled_rules(node: Node) -> tuple[tuple[Rule, Callable[[Any], Any] | None], ...]:
    """The non-transition rules of *node*, each with its compiled function (None: cel-python)."""
    found = _COMPILED.get(node)
    if found is None:
        entries = []
        for rule in node.rules:
            if rule.is_transition:
                continue
            function: Callable[[Any], Any] | None = None
            if not parseable(rule.rule):
                continue  # not checked: see unchecked_rules()
            try:
                function = compile_rule(_parse(rule.rule), node).function
            except Unsupported as error:
                _UNSUPPORTED[rule.rule] = str(error)
            entries.append((rule, function))
        _COMPILED[node] = found = tuple(entries)
    return found


def node_rules(node: Node) -> tuple[tuple[Rule, ...], Callable[[Any], Any]]:
    """The non-transition rules of *node* and one function evaluating them all.

    See :func:`._celcompile.compile_node` for what the function returns.
    """
    found = _NODES.get(node)
    if found is None:
        # The vendored CRDs' rules come compiled (see _celcache.py), with the rules left out
        # as unparseable; others are compiled now.
        cached = cached_checker(node)
        unchecked = cached_unchecked(node) if cached is not None else None
        if cached is not None and unchecked is not None:
            checker = cached
            _UNPARSEABLE.update(unchecked)
            rules = tuple(
                rule for rule in node.rules if not rule.is_transition and rule.rule not in unchecked
            )
        else:
            checker = compile_node_rules(node)[0].function
            rules = tuple(
                rule for rule in node.rules if not rule.is_transition and parseable(rule.rule)
            )
        _NODES[node] = found = (rules, checker)
    return found


def compile_node_rules(node: Node) -> tuple[Compiled, bool]:
    """:func:`node_rules`'s function, compiled now, and whether every rule is in it (none left
    to cel-python because the compiler cannot translate it)."""
    entries = compiled_rules(node)
    trees = [_parse(rule.rule) if function else None for rule, function in entries]
    return compile_node(trees, node), all(function for _, function in entries)


_UNPARSEABLE: dict[str, str] = {}


def parseable(text: str) -> bool:
    """Whether cel-python's grammar reads the rule. CEL's optional syntax (``self.?field``,
    ``.orValue()``), which the Kubernetes apiserver accepts since 1.29, is not in it: such a rule
    is left unchecked (listed by :func:`unchecked_rules`) rather than failing every object."""
    if text in _UNPARSEABLE:
        return False
    try:
        _parse(text)
    except CELParseError as error:
        _UNPARSEABLE[text] = str(error).splitlines()[0]
        return False
    return True


def unchecked_in(node: Node) -> dict[str, str]:
    """The rules of ``node`` left unchecked because cel-python cannot parse them."""
    return {
        rule.rule: _UNPARSEABLE[rule.rule]
        for rule in node.rules
        if not rule.is_transition and not parseable(rule.rule)
    }


def unchecked_rules() -> dict[str, str]:
    """Rules met so far that are not checked at all (text → the parse error)."""
    return dict(_UNPARSEABLE)


def fallback_rules() -> dict[str, str]:
    """Rules met so far that the compiler could not translate (text → reason)."""
    return dict(_UNSUPPORTED)


def _reference(rule: Rule, value: Any, node: Node, memo: dict[int, Any]) -> Any:
    """The rule's result from cel-python, exactly as before the compiled fast path existed.

    (:meth:`Program.evaluate`: cel-python's transpiled code, its interpreter as fallback.)
    """
    key = (id(node), rule.rule, _digest(value))
    if key in _RESULTS:
        return _RESULTS[key]
    result = program(rule.rule).evaluate(to_cel(value, node, memo))
    if len(_RESULTS) >= _RESULTS_MAX:
        _RESULTS.clear()
    _RESULTS[key] = result
    return result


def evaluate_rule(
    rule: Rule, function: Callable[[Any], Any] | None, value: Any, node: Node, memo: dict[int, Any]
) -> Any:
    """The rule's CEL result on the JSON *value*: compiled when possible, else cel-python."""
    if function is not None:
        try:
            return function(value)
        except Exception:  # an evaluation error or a case the compiled code leaves to cel-python
            pass
    return _reference(rule, value, node, memo)


_BELOW: dict[Node, dict[str, Node]] = {}


def _rule_properties(node: Node) -> dict[str, Node]:
    """The properties of *node* that have rules at or below them."""
    found = _BELOW.get(node)
    if found is None:
        found = {name: p for name, p in node.properties.items() if p.rules_below}
        _BELOW[node] = found
    return found


def compile_rules_below(node: Node, seen: set[int] | None = None) -> None:
    """Compile now every rule :func:`check_cel` may evaluate under *node*: the nodes it would
    visit, by the same tests, whatever the value."""
    seen = set() if seen is None else seen
    if id(node) in seen or not node.rules_below:
        return
    seen.add(id(node))
    if node.rules:
        node_rules(node)
    for child in (*_rule_properties(node).values(), node.additional, node.items):
        if child is not None:
            compile_rules_below(child, seen)


def check_cel(value: Any, node: Node, path: str, out: Findings, memo: dict[int, Any]) -> None:
    """Evaluate every rule at every instance of its schema node inside *value*."""
    if value is None or not node.rules_below:
        return
    if node.rules:
        rules, checker = node_rules(node)
        for index, result in checker(value):
            rule = rules[index]
            if result is HAND_OVER:
                result = _reference(rule, value, node, memo)
            if _passed(result):
                continue
            where = path
            if rule.field_path:
                where = child_path(path, rule.field_path.lstrip("."))
            out.add(where, _describe_failure(rule, result), RULE)
    if isinstance(value, dict):
        below, additional = _rule_properties(node), node.additional
        for name, item in value.items():
            prop = below.get(name)
            if prop is not None:
                if item is not None:
                    check_cel(item, prop, child_path(path, name), out, memo)
            elif (
                additional is not None
                and additional.rules_below
                and item is not None
                and name not in node.properties
            ):
                check_cel(item, additional, item_path(path, name), out, memo)
    elif isinstance(value, list):
        items = node.items
        if items is not None and items.rules_below:
            for index, item in enumerate(value):
                if item is not None:
                    check_cel(item, items, item_path(path, index), out, memo)
