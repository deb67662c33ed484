"""Backend 2: an expression as one polars expression over a frame of dotted columns.

The record's fields are its dotted paths without the record name (``trade.leverage`` →
``leverage``, :func:`default_columns`); a related record's keep their prefix
(``account.category``). Calls lower as their entry in
:data:`regkit.rules.lang.functions.FUNCTIONS` says.

The polars backend multiplies at 16 decimal places and divides to 16 places (half to even),
so results of ``/`` may differ from Python's in the last places; ``%`` is exact, as in
Python. A boolean expression never yields null.

Examples:
    >>> columns = default_columns("trade")
    >>> columns("trade.leverage"), columns("account.category")
    ('leverage', 'account.category')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from regkit.errors import PolicyError
from regkit.rules.lang.functions import FUNCTIONS
from regkit.rules.lang.nodes import (
    Arith,
    AsOf,
    BoolOp,
    Call,
    Compare,
    Cond,
    Const,
    Field,
    IsNone,
    Lookup,
    Neg,
    Node,
    Not,
    RecordRef,
    Type,
    Value,
    type_of_value,
)
from regkit.rules.lang.scope import Checked

__all__ = ["PlLower", "default_columns", "to_polars"]

_WORK_SCALE = 16


def default_columns(record: str) -> Callable[[str], str]:
    """The column names of a frame of ``record`` records: a field of the record without
    its name (``trade.leverage`` → ``leverage``), any other name as it is."""
    prefix = record + "."

    def columns(path: str) -> str:
        return path[len(prefix) :] if path.startswith(prefix) else path

    return columns


def to_polars(
    expr: Checked,
    *,
    columns: Callable[[str], str] | None = None,
    as_of: datetime | None = None,
) -> pl.Expr:
    """The expression as a polars expression over a frame of dotted columns.

    The record's fields are its dotted paths without the record name (``trade.leverage`` →
    ``leverage``); a related record's keep their prefix (``account.category``). Pass
    ``columns`` to map a dotted name (``trade.leverage``) to another column name. A boolean
    expression never yields null (null semantics of the module docstring).
    """
    lower = PlLower(columns or default_columns(expr.scope.record), as_of)
    result = lower.gen(expr.node)
    if expr.type.kind == "bool":
        result = result.fill_null(False)
    return result


class PlLower:
    """Lowers the typed tree to polars expressions (see :func:`to_polars`)."""

    def __init__(self, columns: Callable[[str], str], as_of: datetime | None) -> None:
        self.columns = columns
        self.as_of = as_of

    def truth(self, node: Node) -> pl.Expr:
        code = self.gen(node)
        return code.fill_null(False) if node.nullable else code

    def gen(self, node: Node) -> pl.Expr:
        if isinstance(node, Const):
            return _literal(node.value, node.type)
        if isinstance(node, AsOf):
            if self.as_of is None:
                raise PolicyError("the expression reads as_of; pass as_of= to to_polars")
            return pl.lit(self.as_of.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
        if isinstance(node, Value):
            return pl.col(self.columns(node.name))
        if isinstance(node, Field):
            return pl.col(self.columns(node.path))
        if isinstance(node, RecordRef):
            if node.required is None:
                raise PolicyError(f"{node.field.path} has no required field to test it by")
            return pl.col(self.columns(f"{node.field.path}.{node.required}"))
        if isinstance(node, Lookup):
            key = self.gen(node.key)
            if node.key.type.kind == "enum":
                key = key.cast(pl.String)
            mapping = dict(node.mapping)
            if node.type.kind == "decimal":
                mapping = {k: None if v is None else Decimal(v) for k, v in mapping.items()}
            return key.replace_strict(
                mapping, default=None, return_dtype=_dtype(node.type, mapping.values())
            )
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, IsNone):
            operand = self.gen(node.operand)
            return operand.is_not_null() if node.negate else operand.is_null()
        if isinstance(node, BoolOp):
            values = [self.truth(v) for v in node.values]
            return pl.all_horizontal(values) if node.op == "and" else pl.any_horizontal(values)
        if isinstance(node, Not):
            return ~self.truth(node.operand)
        if isinstance(node, Neg):
            return -self.gen(node.operand)
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Cond):
            return (
                pl.when(self.truth(node.test))
                .then(self.gen(node.body))
                .otherwise(self.gen(node.orelse))
            )
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def operand(self, node: Node, other: Node) -> pl.Expr:
        code = self.gen(node)
        if node.type.kind == "enum" and not (isinstance(other, Const) or other.type.kind == "enum"):
            code = code.cast(pl.String)
        return code

    def compare(self, node: Compare) -> pl.Expr:
        left = self.gen(node.left)
        if node.op in ("in", "not in"):
            if node.left.type.kind == "enum":
                left = left.cast(pl.String)
            if isinstance(node.right, Const):
                items = [v for v in node.right.value if v is not None]
                if node.left.type.numeric:
                    tests = [left == _literal(v, type_of_value(v)) for v in items]
                    found = pl.any_horizontal(tests) if tests else pl.lit(False)
                else:
                    found = left.is_in(pl.lit(pl.Series(items, dtype=pl.String)).implode())
            else:
                found = self.gen(node.right).list.contains(left)
            result = found if node.op == "in" else ~found
            checks = [left.is_not_null(), result]
            if not isinstance(node.right, Const):
                checks.insert(0, self.gen(node.right).is_not_null())
            return pl.all_horizontal(checks).fill_null(False)
        left = self.operand(node.left, node.right)
        right = self.operand(node.right, node.left)
        ops: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        return ops[node.op](left, right).fill_null(False)

    def arith(self, node: Arith) -> pl.Expr:
        left, right = self.gen(node.left), self.gen(node.right)
        decimal = node.type.kind == "decimal"
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            if decimal:
                left = left.cast(pl.Decimal(38, _WORK_SCALE))
            return left * right
        if node.op == "%":
            # polars' decimal remainder is exact at the finer of the operands' scales, as
            # Python's (_mod); widening the dividend would only lose integer digits.
            value = _remainder(left, right, node.right)
        else:
            if decimal:
                left = left.cast(pl.Decimal(38, _WORK_SCALE))
            value = left / right
        return pl.when(right != 0).then(value).otherwise(None)

    def call(self, node: Call) -> pl.Expr:
        return FUNCTIONS[node.name].polars(self, node)


def _remainder(left: pl.Expr, right: pl.Expr, divisor: Node) -> pl.Expr:
    """``left % right`` on polars, exact as :func:`~regkit.rules.lang.pycodegen.mod`.

    polars aligns both operands to the finer scale, so a large dividend and a divisor of many
    places (``quantity % 0.0000000001``) would overflow 38 digits. For a literal divisor ``b``
    of ``k`` places, ``a % b == (a % (b * 10**k)) % b`` (a positive multiple of ``b``), and
    ``b * 10**k`` is an integer: the first remainder keeps the dividend's scale, and the
    second works on a number smaller than the divisor's digits.
    """
    value = divisor.value if isinstance(divisor, Const) else None
    if not isinstance(value, Decimal) or not value:
        return left % right
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return left % right
    whole = value.scaleb(-exponent).to_integral_value()  # exact: the coefficient, signed
    return (left % pl.lit(whole, dtype=pl.Decimal(38, 0))) % right


def _literal(value: Any, type_: Type) -> pl.Expr:
    if value is None:
        return pl.lit(None)
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        scale = max(0, -exponent) if isinstance(exponent, int) else 0
        return pl.lit(value, dtype=pl.Decimal(38, scale))
    if isinstance(value, bool):
        return pl.lit(value, dtype=pl.Boolean)
    if isinstance(value, int):
        return pl.lit(value, dtype=pl.Int64)
    if isinstance(value, str):
        return pl.lit(value, dtype=pl.String)
    if isinstance(value, datetime):
        return pl.lit(value.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
    if isinstance(value, date):
        return pl.lit(value, dtype=pl.Date)
    raise PolicyError(f"a {type_} cannot be a value on its own")


def _dtype(type_: Type, values: Iterable[Any]) -> pl.DataType:
    if type_.kind == "decimal":
        scales = [
            max(0, -e)
            for v in values
            if isinstance(v, Decimal) and isinstance(e := v.as_tuple().exponent, int)
        ]
        return pl.Decimal(38, max(scales, default=0))
    mapping: dict[str, pl.DataType] = {
        "int": pl.Int64(),
        "str": pl.String(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us", "UTC"),
    }
    return mapping.get(type_.kind, pl.String())
