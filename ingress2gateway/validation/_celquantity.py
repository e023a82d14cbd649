"""Kubernetes' CEL quantity library (``quantity()``, ``isQuantity()`` and the methods of the
``Quantity`` type), which kgateway's and agentgateway's CRD rules use to bound sizes such as
``'64Ki'``.

The grammar and values follow ``k8s.io/apimachinery/pkg/api/resource`` (``ParseQuantity``): a
signed decimal number, then a binary suffix (``Ki`` … ``Ei``), a decimal suffix (``n u m k M G T
P E`` or none) or a decimal exponent (``e3``, ``E-2``). Values are kept as exact fractions, so
comparisons never round. As in :mod:`._celfuncs`, each method is a function taking the receiver
first and errors are returned as :class:`CELEvalError` values.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from celpy import celtypes
from celpy.evaluation import CELEvalError

_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_QUANTITY = re.compile(rf"({_NUMBER})(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?")
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_INT64 = (-(2**63), 2**63 - 1)


class QuantityValue(celtypes.StringType):
    """A value of Kubernetes CEL's ``Quantity`` type: the text, with its exact value."""

    amount: Fraction

    def __new__(cls, text: str, amount: Fraction) -> QuantityValue:
        value: QuantityValue = str.__new__(cls, text)
        value.amount = amount
        return value


def parse_quantity(text: str) -> Fraction | None:
    """The exact value of a Kubernetes quantity, or None when ``text`` is not one."""
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return None
    number, suffix = match.group(1), match.group(2) or ""
    amount = Fraction(number)
    if suffix in _BINARY:
        return amount * Fraction(1024) ** _BINARY[suffix]
    if suffix in _DECIMAL:
        return amount * Fraction(10) ** _DECIMAL[suffix]
    if suffix:
        return amount * Fraction(10) ** int(suffix[1:])
    return amount


def quantity(text: Any) -> Any:
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("quantity",))
    amount = parse_quantity(str(text))
    if amount is None:
        return CELEvalError(f"quantities must match the regular expression: {text}", ValueError)
    return QuantityValue(str(text), amount)


def is_quantity(text: Any) -> Any:
    if not isinstance(text, str):
        return CELEvalError("no such overload", TypeError, ("isQuantity",))
    return celtypes.BoolType(parse_quantity(str(text)) is not None)


def _amounts(name: str, left: Any, right: Any) -> tuple[Fraction, Fraction] | CELEvalError:
    if not isinstance(left, QuantityValue) or not isinstance(right, QuantityValue):
        return CELEvalError("no such overload", TypeError, (name,))
    return left.amount, right.amount


def is_less_than(left: Any, right: Any) -> Any:
    amounts = _amounts("isLessThan", left, right)
    if isinstance(amounts, CELEvalError):
        return amounts
    return celtypes.BoolType(amounts[0] < amounts[1])


def is_greater_than(left: Any, right: Any) -> Any:
    amounts = _amounts("isGreaterThan", left, right)
    if isinstance(amounts, CELEvalError):
        return amounts
    return celtypes.BoolType(amounts[0] > amounts[1])


def compare_to(left: Any, right: Any) -> Any:
    amounts = _amounts("compareTo", left, right)
    if isinstance(amounts, CELEvalError):
        return amounts
    return celtypes.IntType((amounts[0] > amounts[1]) - (amounts[0] < amounts[1]))


def sign(value: Any) -> Any:
    if not isinstance(value, QuantityValue):
        return CELEvalError("no such overload", TypeError, ("sign",))
    return celtypes.IntType((value.amount > 0) - (value.amount < 0))


def is_integer(value: Any) -> Any:
    """Whether ``asInteger()`` would succeed: a whole number within int64."""
    if not isinstance(value, QuantityValue):
        return CELEvalError("no such overload", TypeError, ("isInteger",))
    amount = value.amount
    return celtypes.BoolType(amount.denominator == 1 and _INT64[0] <= amount <= _INT64[1])


def as_integer(value: Any) -> Any:
    if not isinstance(value, QuantityValue):
        return CELEvalError("no such overload", TypeError, ("asInteger",))
    if not is_integer(value):
        return CELEvalError("cannot convert value to integer", ValueError, ("asInteger",))
    return celtypes.IntType(int(value.amount))


def as_approximate_float(value: Any) -> Any:
    if not isinstance(value, QuantityValue):
        return CELEvalError("no such overload", TypeError, ("asApproximateFloat",))
    return celtypes.DoubleType(float(value.amount))


QUANTITY_FUNCTIONS: dict[str, Any] = {
    "quantity": quantity,
    "isQuantity": is_quantity,
    "isLessThan": is_less_than,
    "isGreaterThan": is_greater_than,
    "compareTo": compare_to,
    "sign": sign,
    "isInteger": is_integer,
    "asInteger": as_integer,
    "asApproximateFloat": as_approximate_float,
}
