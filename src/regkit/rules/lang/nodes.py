"""The typed tree of the expression language: what the checker makes and backends lower.

The checker (:mod:`regkit.rules.lang.checker`) turns the syntax tree of a policy expression
into these nodes; a backend (generated Python in :mod:`regkit.rules.lang.pycodegen`, polars in
:mod:`regkit.rules.lang.lower`) reads only them, never user text. Every node carries its static
:class:`Type` and whether its value may be ``None`` (``nullable``).

Examples:
    >>> from regkit.rules.lang import Scope, compile_expr
    >>> node = compile_expr("trade.leverage > 30", Scope("trade")).node
    >>> type(node).__name__, node.op, node.left.path, node.right.value
    ('Compare', '>', 'trade.leverage', 30)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "BOOL",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "INT",
    "NONE",
    "STR",
    "STR_LIST",
    "Arith",
    "AsOf",
    "BoolOp",
    "Call",
    "Compare",
    "Cond",
    "Const",
    "Field",
    "IsNone",
    "Kind",
    "Lookup",
    "Neg",
    "Node",
    "Not",
    "RecordRef",
    "Step",
    "Type",
    "Value",
    "type_of_value",
    "unify",
]

Kind = Literal[
    "decimal", "int", "str", "bool", "datetime", "date", "enum", "list", "none", "mapping", "record"
]
"""The kinds of static type an expression node has."""

# --- types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Type:
    """The static type of an expression node.

    Examples:
        >>> str(Type("list", item=Type("str"))), Type("int").numeric
        ('list of str', True)
    """

    kind: Kind
    enum: type[enum.Enum] | None = None
    """The enumeration of an ``enum`` type."""
    item: Type | None = None
    """The element type of a ``list`` or the value type of a ``mapping``."""

    def __str__(self) -> str:
        if self.kind == "enum" and self.enum is not None:
            return f"enum {self.enum.__name__}"
        if self.item is not None:
            return f"{self.kind} of {self.item}"
        return self.kind

    @property
    def numeric(self) -> bool:
        """Whether the type is a number (``decimal`` or ``int``)."""
        return self.kind in ("decimal", "int")

    @property
    def values(self) -> tuple[str, ...]:
        """The string values of an enumeration."""
        return tuple(str(member.value) for member in self.enum or ())


DECIMAL = Type("decimal")
INT = Type("int")
STR = Type("str")
BOOL = Type("bool")
DATETIME = Type("datetime")
DATE = Type("date")
NONE = Type("none")
STR_LIST = Type("list", item=STR)


# --- the typed tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A node of the typed tree: its static type and whether its value may be ``None``."""

    type: Type
    nullable: bool


@dataclass(frozen=True)
class Const(Node):
    """A constant: a literal, a parameter, or a list of them (a tuple)."""

    value: Any


@dataclass(frozen=True)
class Step:
    """One attribute read of a :class:`Field`."""

    attr: str
    container_nullable: bool
    """The object the attribute is read from may be ``None``."""
    maybe_absent: bool
    """Only some variants of a union have the attribute."""


@dataclass(frozen=True)
class Field(Node):
    """A field of a record in scope: ``trade.instrument.underlying_class``."""

    root: str
    """The name of the record in scope (``trade``, ``account``)."""
    steps: tuple[Step, ...]
    related: bool
    """Whether the root is a related record (which may be missing)."""

    @property
    def path(self) -> str:
        """The dotted path: ``trade.instrument.underlying_class``."""
        return ".".join([self.root, *(step.attr for step in self.steps)])


@dataclass(frozen=True)
class RecordRef(Node):
    """A nested record (``account.holder``), only ever tested with ``is None`` or handed to
    a function that takes a record."""

    field: Field
    required: str | None
    """A required field of the record: its column is null exactly when the record is."""


@dataclass(frozen=True)
class AsOf(Node):
    """The time of the check, ``as_of``."""


@dataclass(frozen=True)
class Lookup(Node):
    """A parameter mapping looked up by a value: ``params.caps[trade.instrument.product]``."""

    mapping: Mapping[str, Any]
    key: Node


@dataclass(frozen=True)
class Compare(Node):
    """A comparison: ``== != < <= > >= in not in``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNone(Node):
    """``operand is None`` (``is not None`` when ``negate``)."""

    operand: Node
    negate: bool


@dataclass(frozen=True)
class BoolOp(Node):
    """``and`` or ``or`` of booleans."""

    op: Literal["and", "or"]
    values: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """``not operand``."""

    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    """Arithmetic: ``+ - * / %``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    """Unary minus."""

    operand: Node


@dataclass(frozen=True)
class Cond(Node):
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node


@dataclass(frozen=True)
class Call(Node):
    """A call of a function of the registry (:data:`regkit.rules.lang.functions.FUNCTIONS`)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Value(Node):
    """A plain named value of the scope (an aggregate rule's ``total``)."""

    name: str


# --- types of values -----------------------------------------------------------------------


def unify(found: Iterable[Type]) -> Type | None:
    """One type for values of these types (numbers widen to decimal), or ``None``.

    Examples:
        >>> str(unify([INT, DECIMAL])), unify([INT, STR])
        ('decimal', None)
    """
    items = list(found)
    if not items:
        return NONE
    if all(t.numeric for t in items):
        return DECIMAL if any(t.kind == "decimal" for t in items) else INT
    first = items[0]
    if all(t == first for t in items):
        return first
    return None


def type_of_value(value: Any) -> Type:
    """The static type of a constant (a literal or a frozen parameter).

    Examples:
        >>> str(type_of_value(("a", "b"))), str(type_of_value(Decimal("0.5")))
        ('list of str', 'decimal')
    """
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, Decimal):
        return DECIMAL
    if isinstance(value, str):
        return STR
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    if isinstance(value, Mapping):
        return Type("mapping", item=unify(type_of_value(v) for v in value.values()))
    if isinstance(value, tuple):
        return Type("list", item=unify(type_of_value(v) for v in value) or STR)
    return NONE
