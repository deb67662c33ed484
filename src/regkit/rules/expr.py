"""The policy expression language: a checked subset of Python expressions, two backends.

An expression is parsed with ``ast.parse(text, mode="eval")`` and checked against an
allow-list before anything runs; user text is never given to ``eval`` or ``exec``. The
checked tree becomes a small typed tree (the nodes below) that two backends lower:

* :func:`to_python`: one straight-line Python function, generated from the typed tree only
  (field names that the models define, numbered constants, operators), with parameters and
  constant ``params[...]`` lookups frozen in. :func:`python_source` shows the generated code.
* :func:`to_polars`: one ``polars`` expression over a frame of dotted columns.

What may appear:

* literals: strings, integers, decimals (``0.5`` is ``Decimal("0.5")``, never a float),
  ``True``/``False``/``None``, lists and tuples of literals;
* the scope's names: the record (``trade``, ``account``, ``movement``, ``snapshot``), the
  related records, ``params`` and ``as_of``;
* attribute access to model fields (``trade.instrument.underlying_class``; the holder union:
  ``account.holder.first_name`` is ``None`` for an entity; the derived ``trade.notional``);
* ``params.name`` / ``params["name"]`` and subscripts of parameter mappings
  (``params.leverage_caps[trade.instrument.underlying_class]``);
* comparisons ``== != < <= > >= in not in``, ``is None`` / ``is not None``;
  ``and``, ``or``, ``not``; ``+ - * / %`` and unary ``-``; ``a if cond else b``;
* the functions ``abs, len, min, max, upper, lower, is_valid_lei, days_between(a, b)``
  (whole days from a to b, floored), ``weekday(x)`` (0 = Monday), ``date(x)``,
  ``working_days_between(a, b[, calendar])`` (the working days d with a < d <= b, negative
  when b is before a; dates or the UTC dates of datetimes; the calendar a string literal or
  string parameter, ``"TARGET"`` by default: see :mod:`regkit.rules.calendars`),
  ``same_name(name, other)`` / ``same_name(name, first, last)`` (the same words once
  accents, case, punctuation, titles and trailing legal forms are gone, in any order: see
  :mod:`regkit.rules.names`), ``overlaps(a, b)`` (two string lists share an element) and
  ``national_client_id(holder[, regime])`` (a nested holder record's RTS 22 national client
  identifier, country code first, or ``None`` when it cannot be derived or the holder is an
  entity; the regime ``"EU"`` (default) or ``"UK"``, a string literal or string parameter).

Enumeration fields compare with their string values (``trade.side == "buy"``,
``trade.capacity == "DEAL"``); a literal that is not a value is an error.

Null semantics (a missing optional field, a field of a missing related record or of the
other holder variant, a parameter mapping without the key, a division by zero: ``None``):

======================================  ==========================================
expression                              result when an operand is ``None``
======================================  ==========================================
``a == b``, ``!=``, ``<``, ``<=`` ...   ``False`` (whatever the operator)
``x in [...]``, ``x not in [...]``      ``False``
``x is None`` / ``x is not None``       ``True`` / ``False``
``a + b``, ``-a``, ``a / b`` ...        ``None`` (``a / 0`` and ``a % 0`` too)
``not x``                               ``True`` (``None`` counts as ``False``)
``x and y``, ``x or y``                 ``None`` counts as ``False``
``a if c else b``                       ``b`` when ``c`` is ``None``
``f(None)``                             ``None``; ``is_valid_lei``, ``same_name`` and
                                        ``overlaps`` give ``False``
======================================  ==========================================

A boolean expression therefore always yields ``True`` or ``False``. ``and``, ``or``, ``not``
and the test of a conditional need booleans (no truthiness of numbers or strings).

Arithmetic is exact decimal arithmetic in Python (28 significant digits); the polars
backend multiplies at 16 decimal places and divides to 16 places (half to even), so results of
``/`` may differ from Python's in the last places. ``%`` is exact on both backends (Python
widens its context to the quotient's digits) and takes the sign of the divisor (as Python's
int ``%``) for decimals too; ``as_of`` should be given in UTC. Numeric literals are those
both backends hold exactly (:data:`NUMBERS_ALLOWED`).
"""

from __future__ import annotations

import ast
import difflib
import enum
import functools
import itertools
import keyword
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel

from regkit.errors import IdentifierError, PolicyError
from regkit.rules.calendars import check_calendar, holiday_dates, working_days_between
from regkit.rules.names import same_name
from regkit.schemas.base import Record
from regkit.schemas.identifiers import is_valid_lei, national_client_id
from regkit.schemas.kinds import KINDS
from regkit.schemas.party import NaturalPerson
from regkit.schemas.trade import Trade

__all__ = [
    "FUNCTIONS",
    "RECORD_KINDS",
    "Expr",
    "Scope",
    "Type",
    "compile_expr",
    "python_source",
    "to_polars",
    "to_python",
]

#: The record kinds a rule applies to, and their classes.
RECORD_KINDS: Mapping[str, type[Record]] = types.MappingProxyType(
    {name: kind.model for name, kind in KINDS.items()}
)

#: The functions an expression may call, with their arity (min, max; None = any).
FUNCTIONS: Mapping[str, tuple[int, int | None]] = types.MappingProxyType(
    {
        "abs": (1, 1),
        "len": (1, 1),
        "min": (2, None),
        "max": (2, None),
        "upper": (1, 1),
        "lower": (1, 1),
        "is_valid_lei": (1, 1),
        "days_between": (2, 2),
        "working_days_between": (2, 3),
        "weekday": (1, 1),
        "date": (1, 1),
        "same_name": (2, 3),
        "overlaps": (2, 2),
        "national_client_id": (1, 2),
        "coalesce": (2, None),
        "startswith": (2, 2),
    }
)

_MAX_LENGTH = 10_000
_MAX_DEPTH = 100

#: The numbers a policy may hold (literals and parameters): what both backends represent
#: exactly. Integers fit polars' Int64; decimals fit polars' 38-digit decimals.
MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_DIGITS = 38
MAX_DECIMAL_PLACES = 28
NUMBERS_ALLOWED = (
    f"integers of at most {MAX_INTEGER_DIGITS} digits; decimals that are finite, below "
    f"10^{MAX_DECIMAL_PLACES}, with at most {MAX_DECIMAL_PLACES} decimal places and "
    f"{MAX_DECIMAL_DIGITS} digits in all"
)


def number_problem(value: int | Decimal) -> str | None:
    """Why a number cannot be a literal or parameter of a policy, or ``None`` when it can
    (see :data:`NUMBERS_ALLOWED`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            return f"an integer of more than {MAX_INTEGER_DIGITS} digits"
        return None
    if not value.is_finite():
        return f"{value} is not a finite number"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    places = max(0, -exponent)
    if value and value.adjusted() >= MAX_DECIMAL_PLACES:
        return f"a number of 10^{MAX_DECIMAL_PLACES} or more"
    if places > MAX_DECIMAL_PLACES:
        return f"a number of more than {MAX_DECIMAL_PLACES} decimal places"
    if max(0, value.adjusted() + 1) + places > MAX_DECIMAL_DIGITS:
        return f"a number of more than {MAX_DECIMAL_DIGITS} digits"
    return None


def _depth(tree: ast.AST) -> int:
    """How deeply the syntax tree nests (iteratively, so deep trees cannot overflow)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


#: Derived (computed) fields that expressions may read like model fields.
_DERIVED: dict[type[BaseModel], dict[str, str]] = {Trade: {"notional": "decimal"}}

_ALLOWED = (
    "literals, the names {names}, model fields, params lookups, comparisons, and/or/not, "
    "+ - * / %, conditional expressions and the functions " + ", ".join(FUNCTIONS)
)

Kind = Literal[
    "decimal", "int", "str", "bool", "datetime", "date", "enum", "list", "none", "mapping", "record"
]

# --- types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Type:
    """The static type of an expression node."""

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
        return self.kind in ("decimal", "int")

    @property
    def values(self) -> tuple[str, ...]:
        """The string values of an enumeration."""
        return tuple(str(member.value) for member in self.enum or ())


_DECIMAL = Type("decimal")
_INT = Type("int")
_STR = Type("str")
_BOOL = Type("bool")
_DATETIME = Type("datetime")
_DATE = Type("date")
_NONE = Type("none")
_STR_LIST = Type("list", item=_STR)


# --- the typed tree ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    type: Type
    nullable: bool


@dataclass(frozen=True)
class _Const(_Node):
    value: Any


@dataclass(frozen=True)
class _Step:
    attr: str
    container_nullable: bool
    """The object the attribute is read from may be ``None``."""
    maybe_absent: bool
    """Only some variants of a union have the attribute."""


@dataclass(frozen=True)
class _Field(_Node):
    root: str
    steps: tuple[_Step, ...]
    related: bool

    @property
    def path(self) -> str:
        return ".".join([self.root, *(step.attr for step in self.steps)])


@dataclass(frozen=True)
class _Record(_Node):
    """A nested record, only ever tested with ``is None``."""

    field: _Field
    required: str | None
    """A required field of the record: its column is null exactly when the record is."""


@dataclass(frozen=True)
class _AsOf(_Node):
    pass


@dataclass(frozen=True)
class _Lookup(_Node):
    mapping: Mapping[str, Any]
    key: _Node


@dataclass(frozen=True)
class _Compare(_Node):
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _IsNone(_Node):
    operand: _Node
    negate: bool


@dataclass(frozen=True)
class _BoolOp(_Node):
    op: Literal["and", "or"]
    values: tuple[_Node, ...]


@dataclass(frozen=True)
class _Not(_Node):
    operand: _Node


@dataclass(frozen=True)
class _Arith(_Node):
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Neg(_Node):
    operand: _Node


@dataclass(frozen=True)
class _Cond(_Node):
    test: _Node
    body: _Node
    orelse: _Node


@dataclass(frozen=True)
class _Call(_Node):
    name: str
    args: tuple[_Node, ...]


@dataclass(frozen=True)
class _Value(_Node):
    """A plain named value of the scope (an aggregate rule's ``total``)."""

    name: str


# --- scope ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The names an expression may use.

    Args:
        record: the record kind the rule applies to (``trade``, ``account``, ``movement``,
            ``snapshot``).
        related: related records by name (``{"account": Account}`` for a trade rule).
        params: the policy's parameters (numbers, strings, booleans, lists, dicts of
            str → value, as YAML gives them; floats become decimals).
        values: plain names with their type and whether they may be ``None`` (an
            aggregate rule's aggregates: ``{"total": (Type("decimal"), False)}``).
        optional: whether the record itself may be ``None`` (in an aggregate rule over
            several kinds, at a record of another kind), so its fields may be missing.
    """

    record: str
    related: Mapping[str, type[Record]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, tuple[Type, bool]] = field(default_factory=dict)
    optional: bool = False

    def __post_init__(self) -> None:
        if self.record not in RECORD_KINDS:
            raise PolicyError(
                f"unknown record kind {self.record!r}; expected one of {', '.join(RECORD_KINDS)}"
            )
        for name in self.related:
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise PolicyError(f"related record name {name!r} is not a plain identifier")
            if name in (self.record, "params", "as_of"):
                raise PolicyError(f"related record name {name!r} clashes with a scope name")
        taken = {self.record, *self.related, "params", "as_of", *FUNCTIONS}
        for name in self.values:
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise PolicyError(f"the name {name!r} is not a plain identifier")
            if name in taken:
                raise PolicyError(f"the name {name!r} clashes with a name of the language")
        object.__setattr__(self, "params", _freeze_params(self.params))
        object.__setattr__(self, "values", types.MappingProxyType(dict(self.values)))

    @property
    def model(self) -> type[Record]:
        """The class of the record the rule applies to."""
        return RECORD_KINDS[self.record]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name an expression may use."""
        return (self.record, *self.related, "params", "as_of", *self.values)


def _freeze_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType({str(k): _freeze_value(v) for k, v in params.items()})


def _freeze_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return types.MappingProxyType({str(k): _freeze_value(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze_value(v) for v in value)
    return value


# --- the compiled expression --------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Expr:
    """A checked expression: its text, static type, the fields it reads, and its tree."""

    text: str
    type: Type
    names: frozenset[str]
    """The dotted fields the expression reads (``trade.leverage``, ``account.category``)."""
    scope: Scope
    where: str
    node: _Node = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def python(self) -> Callable[..., Any]:
        """The expression as a Python function of keyword arguments (see :func:`to_python`)."""
        return to_python(self)

    def polars(
        self, *, columns: Callable[[str], str] | None = None, as_of: datetime | None = None
    ) -> pl.Expr:
        """The expression as a polars expression (see :func:`to_polars`)."""
        return to_polars(self, columns=columns, as_of=as_of)


def compile_expr(text: str, scope: Scope, *, where: str = "") -> Expr:
    """Parse and check ``text`` in ``scope``; raise :class:`PolicyError` on any problem.

    Examples:
        >>> from regkit import Account
        >>> scope = Scope("trade", {"account": Account}, {"caps": {"fx_major": 30}})
        >>> e = compile_expr("trade.leverage <= params.caps[trade.instrument.underlying_class]",
        ...                  scope)
        >>> sorted(e.names), str(e.type)
        (['trade.instrument.underlying_class', 'trade.leverage'], 'bool')
    """
    if not isinstance(text, str):
        raise PolicyError(f"{_prefix(where)}an expression must be text, got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise PolicyError(
            f"{_prefix(where)}the expression is {len(text)} characters long; "
            f"at most {_MAX_LENGTH} are allowed"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (RecursionError, MemoryError, ValueError):
        raise PolicyError(
            f"{_prefix(where)}the expression {text.strip()[:60]!r} is nested too deeply "
            "or holds a NUL character"
        ) from None
    except SyntaxError as exc:
        if "integer string conversion" in str(exc.msg):  # thousands of digits
            raise PolicyError(
                f"{_prefix(where)}an integer of more than {MAX_INTEGER_DIGITS} digits is out of "
                f"range in {text.strip()[:60]!r}...; allowed: {NUMBERS_ALLOWED}"
            ) from None
        raise PolicyError(
            f"{_prefix(where)}syntax error in {text.strip()!r}: {exc.msg} "
            f"(column {exc.offset}); expected a Python-style expression"
        ) from None
    checker = _Checker(text.strip(), scope, where)
    if _depth(tree.body) > _MAX_DEPTH:
        raise PolicyError(
            f"{_prefix(where)}the expression is nested more than {_MAX_DEPTH} levels deep"
        )
    for part in ast.walk(tree.body):
        label = _FORBIDDEN.get(type(part))
        if label is not None:
            checker.fail(part, f"{label} is not allowed")
    try:
        node = checker.check(tree.body)
    except RecursionError:
        raise PolicyError(f"{_prefix(where)}the expression is nested too deeply") from None
    if node.type.kind in ("mapping", "record"):
        checker.fail(
            tree.body,
            f"a {'parameter mapping' if node.type.kind == 'mapping' else 'nested record'} "
            "is not a value",
            "subscript a mapping or read a record's field",
        )
    return Expr(
        text=text.strip(),
        type=node.type,
        names=frozenset(checker.fields),
        scope=scope,
        where=where,
        node=node,
    )


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


# --- the checker ---------------------------------------------------------------------------

_CMP_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_ARITH_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
}
_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.Starred: "a starred expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Slice: "a slice",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Dict: "a dict display",
    ast.Set: "a set display",
}


class _Checker:
    def __init__(self, text: str, scope: Scope, where: str) -> None:
        self.text = text
        self.scope = scope
        self.where = where
        self.fields: set[str] = set()

    # messages

    def fail(self, node: ast.AST, problem: str, allowed: str | None = None) -> typing.NoReturn:
        raise self.error(node, problem, allowed)

    def error(self, node: ast.AST, problem: str, allowed: str | None = None) -> PolicyError:
        piece = ast.get_source_segment(self.text, node) or self.text
        tail = (
            allowed
            if allowed is not None
            else "allowed: " + _ALLOWED.format(names=", ".join(self.scope.names))
        )
        return PolicyError(f"{_prefix(self.where)}{problem} in {piece!r}; {tail}")

    # dispatch

    def check(self, node: ast.expr, *, record: bool = False) -> _Node:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(node, f"{type(node).__name__} is not allowed")
        result: _Node = method(node)
        if result.type.kind == "record" and not record:
            self.fail(
                node,
                "a nested record is not a value; read one of its fields",
                "or test it with 'is None' / 'is not None'",
            )
        return result

    def _Constant(self, node: ast.Constant) -> _Node:  # noqa: N802
        value = node.value
        if value is None:
            return _Const(_NONE, True, None)
        if isinstance(value, bool):
            return _Const(_BOOL, False, value)
        if isinstance(value, int):
            self.check_number(node, value)
            return _Const(_INT, False, value)
        if isinstance(value, float):
            piece = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
            try:
                number = Decimal(piece)
            except InvalidOperation:
                number = Decimal(repr(value))
            self.check_number(node, number)
            return _Const(_DECIMAL, False, number)
        if isinstance(value, str):
            return _Const(_STR, False, value)
        raise self.error(node, f"a {type(value).__name__} literal is not allowed")

    def check_number(self, node: ast.AST, value: int | Decimal) -> None:
        problem = number_problem(value)
        if problem is not None:
            self.fail(node, f"{problem} is out of range", f"allowed: {NUMBERS_ALLOWED}")

    def _List(self, node: ast.List | ast.Tuple) -> _Node:  # noqa: N802
        items = [self.check(item) for item in node.elts]
        if not all(isinstance(item, _Const) for item in items):
            self.fail(node, "a list may hold only literals")
        consts = typing.cast(list[_Const], items)
        item_type = _unify([c.type for c in consts if c.value is not None]) if consts else _STR
        if item_type is None or item_type.kind in ("list", "mapping"):
            self.fail(node, "a list must hold literals of one type (numbers or strings)")
        return _Const(Type("list", item=item_type), False, tuple(c.value for c in consts))

    _Tuple = _List

    def _Name(self, node: ast.Name) -> _Node:  # noqa: N802
        name = node.id
        if name.startswith("_"):
            self.fail(node, f"the name {name!r} is not allowed (no names starting with '_')")
        if name == "params":
            return _Const(Type("mapping"), False, self.scope.params)
        if name == "as_of":
            return _AsOf(_DATETIME, False)
        if name in self.scope.values:
            type_, nullable = self.scope.values[name]
            return _Value(type_, nullable, name)
        if name == self.scope.record or name in self.scope.related:
            self.fail(node, f"{name!r} is a record; read one of its fields (e.g. {name}.<field>)")
        close = difflib.get_close_matches(name, [*self.scope.names, *FUNCTIONS], n=3)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise self.error(node, f"unknown name {name!r}{hint}")

    def _Attribute(self, node: ast.Attribute) -> _Node:  # noqa: N802
        chain: list[ast.Attribute] = []
        base: ast.expr = node
        while isinstance(base, ast.Attribute):
            chain.append(base)
            base = base.value
        chain.reverse()
        for link in chain:
            if link.attr.startswith("_"):
                self.fail(link, f"the attribute {link.attr!r} is not allowed (no '_' names)")
        if isinstance(base, ast.Name) and (
            base.id == self.scope.record or base.id in self.scope.related
        ):
            return self.record_field(base.id, chain)
        value = self.check(base)
        for link in chain:
            value = self.param_key(link, value, link.attr)
        return value

    def _Subscript(self, node: ast.Subscript) -> _Node:  # noqa: N802
        container = self.check(node.value)
        if not (isinstance(container, _Const) and container.type.kind == "mapping"):
            self.fail(node, "subscripts are allowed only on params and its mappings")
        key = self.check(node.slice)
        if isinstance(key, _Const):
            if not isinstance(key.value, str):
                self.fail(node.slice, "a params key must be a string")
            return self.param_key(node, container, key.value)
        if key.type.kind not in ("str", "enum"):
            self.fail(node.slice, f"a params key must be a string or an enum, not {key.type}")
        mapping = typing.cast(Mapping[str, Any], container.value)
        value_type = _unify([_type_of_value(v) for v in mapping.values()])
        if value_type is None or value_type.kind in ("list", "mapping", "none"):
            self.fail(node, "a mapping looked up by a field must map to numbers, strings or bools")
        return _Lookup(value_type, True, mapping, key)

    def param_key(self, node: ast.AST, container: _Node, key: str) -> _Node:
        if not (isinstance(container, _Const) and container.type.kind == "mapping"):
            self.fail(node, "attributes are allowed only on records, params and its mappings")
        mapping = typing.cast(Mapping[str, Any], container.value)
        if key not in mapping:
            close = difflib.get_close_matches(key, list(mapping), n=3, cutoff=0.6)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            known = ", ".join(sorted(mapping)) or "none"
            self.fail(
                node,
                f"unknown parameter {key!r}",
                (hint + " " if hint else "") + f"known: {known}",
            )
        value = mapping[key]
        return _Const(_type_of_value(value), value is None, value)

    def record_field(self, root: str, chain: list[ast.Attribute]) -> _Node:
        related = root != self.scope.record
        model_options: list[type[BaseModel]] = [
            self.scope.related[root] if related else self.scope.model
        ]
        container_nullable = related or self.scope.optional
        steps: list[_Step] = []
        leaf: Type | None = None
        nullable = False
        for index, link in enumerate(chain):
            if leaf is not None:
                self.fail(link, f"{leaf} has no attributes")
            name = link.attr
            found = [_field_type(model, name) for model in model_options]
            hits = [f for f in found if f is not None]
            if not hits:
                known = sorted({n for m in model_options for n in _field_names(m)})
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
                prefix = ".".join([root, *(c.attr for c in chain[:index])])
                hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
                self.fail(
                    link,
                    f"{prefix} has no field {name!r}",
                    f"{hint}fields: {', '.join(known)}",
                )
            absent = len(hits) < len(found)
            steps.append(_Step(name, container_nullable, absent))
            optional = absent or container_nullable or any(h[1] for h in hits)
            models = [m for h in hits for m in h[2]]
            if models:
                model_options = models
                container_nullable = optional
                nullable = optional
                continue
            kinds = {h[0] for h in hits}
            if len(kinds) != 1:
                self.fail(link, f"the field {name!r} has different types in the holder variants")
            leaf = hits[0][0]
            if leaf.kind == "mapping":
                self.fail(link, f"the field {name!r} is a free-keyed mapping; it cannot be read")
            nullable = optional
        if leaf is None:
            leaf = Type("record")
            # A leaf that every variant has and never leaves empty: its column is null
            # exactly when the nested record is missing (``kyc.status``, ``holder.kind``).
            always = [
                name
                for name in model_options[0].model_fields
                if all(_never_none(model, name) for model in model_options)
            ]
            nested = _Field(leaf, nullable, root, tuple(steps), related)
            witness = always[0] if always else None
            self.fields.add(f"{nested.path}.{witness}" if witness else nested.path)
            return _Record(leaf, nullable, nested, witness)
        result = _Field(leaf, nullable, root, tuple(steps), related)
        self.fields.add(result.path)
        return result

    def _UnaryOp(self, node: ast.UnaryOp) -> _Node:  # noqa: N802
        operand = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            self.need_bool(node.operand, operand, "not")
            return _Not(_BOOL, False, operand)
        if isinstance(node.op, ast.USub | ast.UAdd):
            if not operand.type.numeric:
                self.fail(node, f"unary minus needs a number, not {operand.type}")
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(operand, _Const):
                return _Const(operand.type, False, -operand.value)
            return _Neg(operand.type, operand.nullable, operand)
        raise self.error(node, "the operator ~ is not allowed")

    def need_bool(self, source: ast.AST, node: _Node, what: str) -> None:
        if node.type.kind != "bool":
            self.fail(source, f"{what} needs a boolean (a comparison), not {node.type}")

    def _BoolOp(self, node: ast.BoolOp) -> _Node:  # noqa: N802
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        values = []
        for source in node.values:
            value = self.check(source)
            self.need_bool(source, value, op)
            values.append(value)
        return _BoolOp(_BOOL, False, op, tuple(values))

    def _BinOp(self, node: ast.BinOp) -> _Node:  # noqa: N802
        op = _ARITH_OPS.get(type(node.op))
        if op is None:
            self.fail(node, f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.check(node.left), self.check(node.right)
        for side in (left, right):
            if not side.type.numeric:
                self.fail(node, f"arithmetic ({op}) needs numbers, not {side.type}")
        kind = "int" if left.type.kind == right.type.kind == "int" and op != "/" else "decimal"
        nullable = left.nullable or right.nullable or op in ("/", "%")
        return _Arith(_INT if kind == "int" else _DECIMAL, nullable, op, left, right)

    def _IfExp(self, node: ast.IfExp) -> _Node:  # noqa: N802
        test = self.check(node.test)
        self.need_bool(node.test, test, "the condition of 'if'")
        body, orelse = self.check(node.body), self.check(node.orelse)
        if body.type.kind == "none":
            result = orelse.type
        elif orelse.type.kind == "none":
            result = body.type
        else:
            unified = _unify([body.type, orelse.type])
            if unified is None or unified.kind in ("list", "mapping"):
                self.fail(
                    node, f"the branches of 'if' have different types: {body.type}, {orelse.type}"
                )
            result = unified
        return _Cond(result, body.nullable or orelse.nullable, test, body, orelse)

    def _Compare(self, node: ast.Compare) -> _Node:  # noqa: N802
        parts: list[_Node] = []
        left = self.check(node.left, record=True)
        for op_node, right_src in zip(node.ops, node.comparators, strict=True):
            op = _CMP_OPS[type(op_node)]
            right = self.check(right_src, record=True)
            if "record" in (left.type.kind, right.type.kind) and (
                op not in ("is", "is not") or "none" not in (left.type.kind, right.type.kind)
            ):
                self.fail(
                    node,
                    "a nested record is not a value; read one of its fields",
                    "or test it with 'is None' / 'is not None'",
                )
            parts.append(self.compare(node, op, left, right))
            left = right
        if len(parts) == 1:
            return parts[0]
        return _BoolOp(_BOOL, False, "and", tuple(parts))

    def compare(self, node: ast.AST, op: str, left: _Node, right: _Node) -> _Node:
        lt, rt = left.type, right.type
        if op in ("is", "is not"):
            if rt.kind == "none":
                return _IsNone(_BOOL, False, left, op == "is not")
            if lt.kind == "none":
                return _IsNone(_BOOL, False, right, op == "is not")
            self.fail(node, f"'{op}' is allowed only against None", "use == or != to compare")
        if lt.kind == "none" or rt.kind == "none":
            self.fail(node, f"comparing with None by {op!r}", "use 'is None' or 'is not None'")
        if op in ("in", "not in"):
            if rt.kind != "list" or rt.item is None:
                self.fail(node, f"the right of {op!r} must be a list, not {rt}")
            if isinstance(right, _Const):
                for item in right.value:
                    self.check_pair(node, "==", left, _Const(rt.item, False, item))
            elif lt.kind not in ("str", "enum"):
                self.fail(node, f"the left of {op!r} a list field must be a string, not {lt}")
            return _Compare(_BOOL, False, op, left, right)
        self.check_pair(node, op, left, right)
        return _Compare(_BOOL, False, op, left, right)

    def check_pair(self, node: ast.AST, op: str, left: _Node, right: _Node) -> None:
        lt, rt = left.type, right.type
        ordering = op in ("<", "<=", ">", ">=")
        if lt.numeric and rt.numeric:
            return
        if lt.kind == "enum" or rt.kind == "enum":
            enum_node, other = (left, right) if lt.kind == "enum" else (right, left)
            if ordering:
                self.fail(node, f"ordering ({op}) an enumeration", "use == != in")
            values = enum_node.type.values
            if other.type.kind == "enum":
                if other.type.enum is not enum_node.type.enum:
                    self.fail(node, f"comparing {lt} with {rt}")
                return
            if other.type.kind != "str":
                self.fail(node, f"comparing {lt} with {rt}", f"use one of {', '.join(values)}")
            if isinstance(other, _Const) and other.value not in values:
                self.fail(
                    node,
                    f"{other.value!r} is not a value of {enum_node.type}",
                    f"use one of {', '.join(values)}",
                )
            return
        if lt.kind != rt.kind:
            self.fail(node, f"comparing {lt} with {rt}", "compare values of one type")
        if ordering and lt.kind in ("str", "bool", "list", "mapping"):
            self.fail(node, f"ordering ({op}) a {lt}", "use == or != (or 'in')")
        if lt.kind in ("list", "mapping"):
            self.fail(node, f"comparing a {lt}", "compare fields and literals")

    def _Call(self, node: ast.Call) -> _Node:  # noqa: N802
        if not isinstance(node.func, ast.Name):
            self.fail(
                node,
                "calling a method or attribute is not allowed",
                f"call one of the functions {', '.join(FUNCTIONS)} (e.g. upper(x))",
            )
        name = node.func.id
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=2)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            self.fail(
                node, f"unknown function {name!r}", f"{hint}functions: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            self.fail(node, f"{name}() takes no keyword arguments")
        low, high = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = (
                str(low)
                if low == high
                else f"at least {low}"
                if high is None
                else f"{low} to {high}"
            )
            self.fail(node, f"{name}() takes {wanted} argument(s), got {count}")
        args = tuple(
            self.check(arg, record=name == "national_client_id" and index == 0)
            for index, arg in enumerate(node.args)
        )
        nullable = any(a.nullable for a in args)
        kinds = [a.type.kind for a in args]
        result: Type
        if name == "abs":
            if not args[0].type.numeric:
                self.fail(node, f"abs() needs a number, not {args[0].type}")
            result = args[0].type
        elif name == "len":
            if kinds[0] not in ("str", "list"):
                self.fail(node, f"len() needs a string or a list, not {args[0].type}")
            result = _INT
        elif name in ("min", "max"):
            unified = _unify([a.type for a in args])
            if unified is None or unified.kind not in ("decimal", "int", "datetime", "date"):
                self.fail(node, f"{name}() needs numbers, datetimes or dates of one kind")
            result = unified
        elif name == "startswith":
            for arg in args:
                if arg.type.kind not in ("str", "enum"):
                    self.fail(node, f"startswith() needs two strings, not {arg.type}")
            result, nullable = _BOOL, False
        elif name == "coalesce":
            unified = _unify([a.type for a in args])
            if unified is None or unified.kind in ("record", "mapping"):
                self.fail(node, "coalesce() needs values of one type")
            result, nullable = unified, all(a.nullable for a in args)
        elif name in ("upper", "lower"):
            if kinds[0] not in ("str", "enum"):
                self.fail(node, f"{name}() needs a string, not {args[0].type}")
            result = _STR
        elif name == "is_valid_lei":
            if kinds[0] != "str":
                self.fail(node, f"is_valid_lei() needs a string, not {args[0].type}")
            result, nullable = _BOOL, False
        elif name == "days_between":
            for arg in args:
                if arg.type.kind not in ("date", "datetime"):
                    self.fail(node, f"days_between() needs dates or datetimes, not {arg.type}")
            result = _INT
        elif name == "working_days_between":
            for arg in args[:2]:
                if arg.type.kind not in ("date", "datetime"):
                    self.fail(
                        node, f"working_days_between() needs dates or datetimes, not {arg.type}"
                    )
            calendar = args[2] if len(args) == 3 else _Const(_STR, False, "TARGET")
            if not (isinstance(calendar, _Const) and calendar.type.kind == "str"):
                self.fail(
                    node.args[2],
                    "the calendar of working_days_between() must be a string literal "
                    "or a string parameter (known when the policy loads)",
                    "e.g. 'TARGET', 'UK' or 'DE'",
                )
            try:
                canonical = check_calendar(calendar.value)
            except PolicyError as error:
                problem, _, choices = str(error).partition("; ")
                self.fail(node.args[2], problem, choices)
            args = (*args[:2], _Const(_STR, False, canonical))
            result = _INT
        elif name == "weekday":
            if kinds[0] not in ("date", "datetime"):
                self.fail(node, f"weekday() needs a date or a datetime, not {args[0].type}")
            result = _INT
        elif name == "same_name":
            for arg in args:
                if arg.type.kind != "str":
                    self.fail(node, f"same_name() needs strings, not {arg.type}")
            result, nullable = _BOOL, False
        elif name == "overlaps":
            for arg in args:
                item = arg.type.item
                if arg.type.kind != "list" or item is None or item.kind not in ("str", "none"):
                    self.fail(
                        node,
                        f"overlaps() needs two lists of strings, not {arg.type}",
                        "give list fields, list literals or list parameters",
                    )
            result, nullable = _BOOL, False
        elif name == "national_client_id":
            holder = args[0]
            if not (
                isinstance(holder, _Record)
                and NaturalPerson in _record_models(self.scope, holder.field)
            ):
                self.fail(
                    node.args[0],
                    f"national_client_id() needs a holder record (account.holder), "
                    f"not {holder.type if not isinstance(holder, _Record) else holder.field.path}",
                )
            regime = args[1] if len(args) == 2 else _Const(_STR, False, "EU")
            if not (
                isinstance(regime, _Const)
                and regime.type.kind == "str"
                and regime.value in ("EU", "UK")
            ):
                self.fail(
                    node.args[1],
                    "the regime of national_client_id() must be 'EU' or 'UK', as a string "
                    "literal or a string parameter (known when the policy loads)",
                    "'EU' is RTS 22 as the EU applies it, 'UK' as the FCA does",
                )
            for leaf in _PERSON_FIELDS:
                self.fields.add(f"{holder.field.path}.{leaf}")
            args = (holder, _Const(_STR, False, regime.value))
            result, nullable = _STR, True
        else:  # date
            if kinds[0] not in ("date", "datetime"):
                self.fail(node, f"date() needs a datetime, not {args[0].type}")
            result = _DATE
        return _Call(result, nullable, name, args)


#: The fields of a holder :func:`national_client_id` reads (besides ``national_ids``).
_PERSON_FIELDS = ("kind", "first_name", "surname", "date_of_birth", "nationalities")


def _record_models(scope: Scope, nested: _Field) -> list[type[BaseModel]]:
    """The models a nested record may be (the variants of a union)."""
    models: list[type[BaseModel]] = [scope.related[nested.root] if nested.related else scope.model]
    for step in nested.steps:
        found = [_field_type(model, step.attr) for model in models]
        models = [m for hit in found if hit is not None for m in hit[2]]
    return models


def _unify(found: Iterable[Type]) -> Type | None:
    """One type for values of these types (numbers widen to decimal), or ``None``."""
    items = list(found)
    if not items:
        return _NONE
    if all(t.numeric for t in items):
        return _DECIMAL if any(t.kind == "decimal" for t in items) else _INT
    first = items[0]
    if all(t == first for t in items):
        return first
    return None


def _type_of_value(value: Any) -> Type:
    if value is None:
        return _NONE
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, Decimal):
        return _DECIMAL
    if isinstance(value, str):
        return _STR
    if isinstance(value, datetime):
        return _DATETIME
    if isinstance(value, date):
        return _DATE
    if isinstance(value, Mapping):
        return Type("mapping", item=_unify(_type_of_value(v) for v in value.values()))
    if isinstance(value, tuple):
        return Type("list", item=_unify(_type_of_value(v) for v in value) or _STR)
    return _NONE


# --- model fields --------------------------------------------------------------------------


def _field_names(model: type[BaseModel]) -> list[str]:
    return [*model.model_fields, *_DERIVED.get(model, {})]


def _field_type(
    model: type[BaseModel], name: str
) -> tuple[Type, bool, list[type[BaseModel]]] | None:
    """A field's type, whether it may be None, and its models (nested records)."""
    derived = _DERIVED.get(model, {})
    if name in derived:
        return Type(typing.cast(Kind, derived[name])), False, []
    info = model.model_fields.get(name)
    if info is None:
        return None
    members = _members(info.annotation)
    optional = any(m is type(None) for m in members)
    options = [m for m in members if m is not type(None)]
    models = [m for m in options if isinstance(m, type) and issubclass(m, BaseModel)]
    if models:
        return Type("none"), optional, models
    return _leaf_type(options[0]), optional, []


def _never_none(model: type[BaseModel], name: str) -> bool:
    found = _field_type(model, name)
    if found is None or found[1] or found[2]:
        return False
    info = model.model_fields[name]
    return info.is_required() or info.default is not None


def _members(annotation: Any) -> list[Any]:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_members(arg))
        return out
    return [annotation]


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _leaf_type(annotation: Any) -> Type:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return _STR
    if origin in (tuple, list, frozenset, set):
        return _STR_LIST
    if origin in (dict, Mapping):
        return Type("mapping")
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return Type("enum", enum=annotation)
        if issubclass(annotation, bool):
            return _BOOL
        if issubclass(annotation, int):
            return _INT
        if issubclass(annotation, Decimal):
            return _DECIMAL
        if issubclass(annotation, datetime):
            return _DATETIME
        if issubclass(annotation, date):
            return _DATE
        if issubclass(annotation, str):
            return _STR
    return Type("mapping")  # anything else cannot be read


# --- backend 1: Python ---------------------------------------------------------------------


def _days_between(a: date | None, b: date | None) -> int | None:
    if a is None or b is None:
        return None
    if isinstance(a, datetime) != isinstance(b, datetime):
        a = a if isinstance(a, datetime) else datetime.combine(a, time(), UTC)
        b = b if isinstance(b, datetime) else datetime.combine(b, time(), UTC)
    return (b - a).days


def _working_days_between(a: date | None, b: date | None, calendar: str) -> int | None:
    if a is None or b is None:
        return None
    return working_days_between(a, b, calendar)


def _mod(a: Any, b: Any) -> Any:
    """The remainder with the sign of the divisor (as int ``%`` and polars), for decimals too.

    A decimal remainder is exact: the context holds every digit of the integer quotient, so
    ``10**20 % 0.0000000001`` is ``0`` (as on polars) where Python's default 28 digits raise
    ``DivisionImpossible``."""
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        a, b = Decimal(a), Decimal(b)
        with localcontext() as context:
            context.prec = max(context.prec, _exact_digits(a, b))
            rest = a % b
            if rest and (rest < 0) != (b < 0):
                rest += b
            return rest
    rest = a % b
    if rest and (rest < 0) != (b < 0):
        rest += b
    return rest


def _exact_digits(a: Decimal, b: Decimal) -> int:
    """Digits that hold ``a``, ``b``, their integer quotient and remainder exactly."""
    finest = min(typing.cast(int, a.as_tuple().exponent), typing.cast(int, b.as_tuple().exponent))
    return max(a.adjusted(), b.adjusted(), 0) - finest + 2


def _lei(value: str | None) -> bool:
    return value is not None and is_valid_lei(value)


def _to_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _same_name(*names: str | None) -> bool:
    """``same_name`` of the language: ``False`` when a name is missing."""
    if any(name is None for name in names):
        return False
    return same_name(*typing.cast(tuple[str, ...], names))


def _overlaps(first: Iterable[Any] | None, second: Iterable[Any] | None) -> bool:
    """Whether two lists share an element (not ``None``); ``False`` when one is missing."""
    if first is None or second is None:
        return False
    return not {item for item in first if item is not None}.isdisjoint(second)


def _startswith(text: Any, prefix: Any) -> bool:
    """Whether a text starts with a prefix; ``False`` when either is missing."""
    if text is None or prefix is None:
        return False
    return str(_plain_value(text)).startswith(str(_plain_value(prefix)))


def _plain_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _coalesce(*values: Any) -> Any:
    """The first value that is not ``None`` (``None`` when all are)."""
    return next((value for value in values if value is not None), None)


def _national_client_id(holder: Any, regime: Literal["EU", "UK"]) -> str | None:
    """A person holder's national client identifier (country code first), or ``None``.

    Worked out once per distinct holder (a client's trades share one holder record)."""
    if holder is None or getattr(holder, "kind", "person") != "person":
        return None
    try:
        return _cached_client_id(holder, regime)
    except TypeError:  # a holder that does not hash (not a frozen record)
        return _client_id(holder, regime)


def _client_id(holder: Any, regime: Literal["EU", "UK"]) -> str | None:
    try:
        return national_client_id(holder, regime)[1]
    except IdentifierError:
        return None


_cached_client_id = functools.lru_cache(maxsize=65_536)(_client_id)


def format_value(value: Any, spec: str = "") -> str:
    """A value as a finding's message shows it: ``format(value, spec)``, except that a time
    with no format spec is ISO 8601 UTC (``2026-11-20T09:30:00Z``), as in files.

    (Generated code calls this too: a Python frame with the real builtins, since formatting
    a date with ``%Y`` imports a module, which code run without builtins cannot.)"""
    if not spec and isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return format(value, spec)


_format_value = format_value


#: The functions whose helpers take ``None`` arguments themselves.
_SELF_GUARDED = frozenset(
    {
        "is_valid_lei",
        "days_between",
        "working_days_between",
        "same_name",
        "overlaps",
        "coalesce",
        "startswith",
        "national_client_id",
    }
)

_HELPERS: dict[str, Any] = {
    "abs": abs,
    "len": len,
    "min": min,
    "max": max,
    "Decimal": Decimal,
    "days_between": _days_between,
    "working_days_between": _working_days_between,
    "is_valid_lei": _lei,
    "date": _to_date,
    "same_name": _same_name,
    "overlaps": _overlaps,
    "coalesce": _coalesce,
    "startswith": _startswith,
    "national_client_id": _national_client_id,
}


class _PyGen:
    """Generates the text of one Python expression from the typed tree (never from user
    text): field names are model fields, every other constant is a numbered variable."""

    def __init__(self) -> None:
        self.consts: list[Any] = []
        self.const_ids: dict[int, str] = {}
        self.temps = itertools.count()

    def const(self, value: Any) -> str:
        key = id(value)
        if key not in self.const_ids:
            self.const_ids[key] = f"_c{len(self.consts)}"
            self.consts.append(value)
        return self.const_ids[key]

    def temp(self) -> str:
        return f"_t{next(self.temps)}"

    def guard(self, node: _Node) -> tuple[str, str, str | None]:
        """(bind, use, none-test): ``bind`` evaluates once, ``use`` reads the value again."""
        code = self.gen(node)
        if not node.nullable:
            return code, code, None
        name = self.temp()
        return f"({name} := {code})", name, name

    def truth(self, node: _Node) -> str:
        code = self.gen(node)
        return f"({code} is True)" if node.nullable else code

    def gen(self, node: _Node) -> str:
        if isinstance(node, _Const):
            value = node.value
            if value is None or isinstance(value, bool):
                return repr(value)
            if type(value) is int:
                return f"({value!r})"
            if isinstance(value, tuple):
                return self.const(frozenset(value))
            return self.const(value)
        if isinstance(node, _AsOf):
            return "as_of"
        if isinstance(node, _Value):
            return node.name
        if isinstance(node, _Record):
            return self.field(node.field)
        if isinstance(node, _Field):
            return self.field(node)
        if isinstance(node, _Lookup):
            return f"{self.const(node.mapping.get)}({self.gen(node.key)})"
        if isinstance(node, _Compare):
            return self.compare(node)
        if isinstance(node, _IsNone):
            return f"({self.gen(node.operand)} is {'not ' if node.negate else ''}None)"
        if isinstance(node, _BoolOp):
            return "(" + f" {node.op} ".join(self.truth(v) for v in node.values) + ")"
        if isinstance(node, _Not):
            return f"(not {self.truth(node.operand)})"
        if isinstance(node, _Neg):
            bind, use, test = self.guard(node.operand)
            return f"(-{use})" if test is None else f"(None if {bind} is None else -{use})"
        if isinstance(node, _Arith):
            return self.arith(node)
        if isinstance(node, _Cond):
            return (
                f"({self.gen(node.body)} if {self.truth(node.test)} else {self.gen(node.orelse)})"
            )
        if isinstance(node, _Call):
            return self.call(node)
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def field(self, node: _Field) -> str:
        code = node.root
        for step in node.steps:
            if step.maybe_absent:
                read = f"{self.const(getattr)}({{obj}}, {step.attr!r}, None)"
            else:
                read = f"{{obj}}.{step.attr}"
            if step.container_nullable:
                name = self.temp()
                code = f"(None if ({name} := {code}) is None else {read.format(obj=name)})"
            else:
                code = read.format(obj=code)
        return code

    def compare(self, node: _Compare) -> str:
        left_bind, left_use, left_test = self.guard(node.left)
        right_bind, right_use, right_test = self.guard(node.right)
        tests = []
        if left_test is not None:
            tests.append(f"{left_bind} is not None")
        if right_test is not None:
            tests.append(f"{right_bind} is not None")
        left = left_use if left_test is not None else left_bind
        right = right_use if right_test is not None else right_bind
        return "(" + " and ".join([*tests, f"{left} {node.op} {right}"]) + ")"

    def arith(self, node: _Arith) -> str:
        left_bind, left_use, left_test = self.guard(node.left)
        right_bind, right_use, right_test = self.guard(node.right)
        tests = []
        if left_test is not None:
            tests.append(f"{left_bind} is None")
        if right_test is not None:
            tests.append(f"{right_bind} is None")
        left = left_use if left_test is not None else left_bind
        right = right_use if right_test is not None else right_bind
        if node.op in ("/", "%") and not (isinstance(node.right, _Const) and node.right.value != 0):
            if right_test is None:  # bind it in the zero test, the first place it is read
                name = self.temp()
                tests.append(f"not ({name} := {right_bind})")
                right = name
            else:
                tests.append(f"not {right}")
        if node.op == "/" and node.left.type.kind == "int":
            left = f"{self.const(Decimal)}({left})"
        if node.op == "%":
            expr = f"{self.const(_mod)}({left}, {right})"
        else:
            expr = f"{left} {node.op} {right}"
        return f"(None if {' or '.join(tests)} else {expr})" if tests else f"({expr})"

    def call(self, node: _Call) -> str:
        name = node.name
        if name in _SELF_GUARDED:  # these take None themselves
            args = ", ".join(self.gen(a) for a in node.args)
            return f"{self.const(_HELPERS[name])}({args})"
        binds, uses, tests = [], [], []
        for arg in node.args:
            bind, use, test = self.guard(arg)
            binds.append(bind)
            uses.append(use)
            if test is not None:
                tests.append(f"{bind} is None")
        values = []
        for arg, bind, use in zip(node.args, binds, uses, strict=True):
            values.append(use if arg.nullable else bind)
        if name in ("upper", "lower"):
            body = f"{values[0]}.{name}()"
        elif name == "weekday":
            body = f"{values[0]}.weekday()"
        elif name == "date":
            body = f"{self.const(_to_date)}({values[0]})"
        else:
            body = f"{self.const(_HELPERS[name])}({', '.join(values)})"
        return f"(None if {' or '.join(tests)} else {body})" if tests else f"({body})"


def _generate(expr: Expr) -> tuple[str, list[Any]]:
    gen = _PyGen()
    body = gen.truth(expr.node) if expr.type.kind == "bool" else gen.gen(expr.node)
    scope = expr.scope
    params = [scope.record, *(f"{name}=None" for name in scope.related), "params=None"]
    params.append("as_of=None")
    params += [f"{name}=None" for name in scope.values]
    consts = ", ".join(f"_c{i}" for i in range(len(gen.consts)))
    source = (
        f"def _make({consts}):\n"
        f"    def _rule(*, {', '.join(params)}):\n"
        f"        return {body}\n"
        f"    return _rule\n"
    )
    return source, gen.consts


def python_source(expr: Expr) -> str:
    """The Python code :func:`to_python` compiles, as text (for debugging and tests)."""
    return _generate(expr)[0]


def to_python(expr: Expr) -> Callable[..., Any]:
    """The expression as a Python function taking the scope's names as keyword arguments.

    ``fn(trade=t, account=a, as_of=now)`` returns the value (``True``/``False`` for a
    boolean expression). Parameters are frozen in at compile time; a ``params`` argument is
    accepted and ignored. Related records default to ``None`` (their fields read as None).
    """
    cached = expr._cache.get("python")
    if cached is not None:
        return typing.cast(Callable[..., Any], cached)
    source, consts = _generate(expr)
    tree = ast.parse(source, mode="exec")
    _assert_generated(tree)
    code = compile(tree, f"<regkit rule {expr.where or expr.text[:40]}>", "exec")
    # The module only defines ``_make``: build that function from its code object directly
    # (no exec), with no builtins at all; ``_make`` closes over the constants.
    make_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    make = types.FunctionType(make_code, {"__builtins__": {}})
    function = typing.cast(Callable[..., Any], make(*consts))
    expr._cache["python"] = function
    return function


class _FindingCode(typing.NamedTuple):
    """One rule as :func:`_findings_function` generates it: what to check, what to write."""

    when: Expr | None
    assertion: Expr
    evidence: Sequence[Expr]
    message: Sequence[tuple[str, Expr | None, str]]
    """``(text, value, format spec)`` pieces: the text, then the value formatted (``—`` for
    ``None``) when there is one."""
    default: str
    """The message when the pieces give an empty one."""
    tag: Any
    """Handed to ``make`` as it is (the rule's constant data)."""
    starts: date | None = None
    ends: date | None = None
    """The rule runs on a record whose day (of ``at``, or of ``as_of`` without one) is in
    ``[starts, ends)``."""


def _findings_function(
    rules: Sequence[_FindingCode],
    make: Callable[[Any, str, Any, dict[str, Any], str], Any],
    key_fields: Sequence[str] = (),
    event: str | None = None,
) -> tuple[Callable[..., list[Any]], bool]:
    """Many rules as one generated function that also works out what each failure needs.

    ``fn(record, *related, as_of, at)`` takes the record and its related records (in the
    order of the scope's ``related``; ``None`` for a missing one) and returns, in rule
    order, for each rule in force that fails (``when`` holds or is absent, the assertion
    does not), ``make(tag, record.key, at, evidence, message)``:
    ``evidence`` maps each evidence expression's text to its value and ``message`` joins the
    pieces' texts and formatted values, exactly as :func:`to_python` of each expression
    would give them, with no call per expression. The record's key is read once, at the
    first failure; with ``key_fields``, a record of exactly the scope's class gets the
    ``str`` of those fields joined by ``|`` (what ``Record.key`` gives, when the class keeps
    it) without the call. With ``event``, the record's field of that name is ``at`` itself
    (the caller passes ``record.<event>`` as ``at``) and is not read again. Whatever an
    expression raises escapes. Also returns whether the code reads ``as_of``.
    """
    if not rules:
        return (lambda *args: []), False
    scope = rules[0].assertion.scope
    for rule in rules:
        values = [part[1] for part in rule.message if part[1] is not None]
        for expr in (rule.when, rule.assertion, *rule.evidence, *values):
            # One record and related records; each expression's parameters are frozen into
            # its own constants, so versions of a policy with other values share a function.
            if expr is None:
                continue
            if expr.scope.record != scope.record or expr.scope.related != scope.related:
                raise PolicyError(f"rules of one function need one record scope: {expr.text!r}")
        for expr in (rule.when, rule.assertion):
            if expr is not None and expr.type.kind != "bool":
                raise PolicyError(f"a rule's when and assert are booleans: {expr.text!r}")
    bound: dict[_Path, str] = {} if event is None else {(scope.record, (event,)): "_at"}
    inline: dict[_Path, tuple[tuple[str, ...], ...]] = {
        (scope.record, (name,)): spec
        for (model, name), spec in _INLINE.items()
        if model is scope.model
    }
    counting = _SharedGen(bound=bound, inline=inline, model=scope.model)
    for rule in rules:
        _failing_test(counting, rule)
    gen = _SharedGen(
        frozenset(prefix for prefix, uses in counting.uses.items() if uses > 1),
        frozenset(key for key, uses in counting.compare_uses.items() if uses > 1),
        bound=bound,
        inline=inline,
        model=scope.model,
    )
    head: list[str] = []
    lines = ["        _out = []\n", "        _key = None\n"]
    in_force: dict[tuple[date | None, date | None], str] = {}
    windows = {(rule.starts, rule.ends) for rule in rules}
    dated = any(rule.starts or rule.ends for rule in rules)
    if dated and len(windows) == 1:
        # Every rule is in force over the same dates: on a day outside them, none is.
        starts, ends = rules[0].starts, rules[0].ends
        head = [
            "        _day = (_at or as_of).date()\n",
            f"        if not ({_in_dates(gen, starts, ends)}):\n",
            "            return []\n",
        ]
    elif dated:
        lines.append("        _day = (_at or as_of).date()\n")
        for rule in rules:
            if (rule.starts, rule.ends) not in in_force and (rule.starts or rule.ends):
                name = in_force[rule.starts, rule.ends] = f"_d{len(in_force)}"
                lines.append(f"        {name} = {_in_dates(gen, rule.starts, rule.ends)}\n")
    for rule in rules:
        fails, known = _failing_test(gen, rule)
        if (rule.starts, rule.ends) in in_force:
            fails = f"{in_force[rule.starts, rule.ends]} and {fails}"
        gen.known = known  # evidence and message are worked out where ``when`` held
        # A value both in the evidence and in the message is worked out once (the evidence
        # comes first): the same expression of the same record.
        told = {value.text for _, value, _ in rule.message if value is not None}
        held: dict[str, str] = {}
        items = []
        for expr in rule.evidence:
            code = _value_code(gen, expr)
            if expr.text in told and expr.text not in held:
                held[expr.text] = gen.temp()
                code = f"({held[expr.text]} := {code})"
            items.append(f"{gen.const(expr.text)}: {code}")
        evidence = ", ".join(items)
        pieces = []
        for text, value, spec in rule.message:
            if text:
                pieces.append(gen.const(text))
            if value is not None and _plain_const(value) and not spec:
                node = typing.cast(_Const, value.node)
                pieces.append(gen.const("—" if node.value is None else format(node.value, "")))
            elif value is not None and value.text in held:
                name = held[value.text]
                pieces.append(
                    f"({gen.const('—')} if {name} is None "
                    f"else {gen.const(_format_value)}({name}, {gen.const(spec)}))"
                )
            elif value is not None:
                name = gen.temp()
                pieces.append(
                    f"({gen.const('—')} if ({name} := {_value_code(gen, value)}) is None "
                    f"else {gen.const(_format_value)}({name}, {gen.const(spec)}))"
                )
        gen.known = frozenset()
        message = gen.const(rule.default)
        if pieces:
            message = f"({' + '.join(pieces)}) or {message}"
        lines.append(
            f"        if {fails}:\n"
            f"            if _key is None:\n"
            f"                _key = {_key_code(gen, scope, key_fields)}\n"
            f"            _out.append({gen.const(make)}({gen.const(rule.tag)}, _key, _at, "
            f"{{{evidence}}}, {message}))\n"
        )
    lines = head + [f"        {line}\n" for line in gen.prologue] + lines
    params = ", ".join([scope.record, *scope.related, "as_of", "_at"])
    consts = ", ".join(f"_c{i}" for i in range(len(gen.consts)))
    source = (
        f"def _make({consts}):\n"
        f"    def _findings({params}):\n" + "".join(lines) + "        return _out\n"
        "    return _findings\n"
    )
    tree = ast.parse(source, mode="exec")
    reads = sum(
        isinstance(node, ast.Name) and node.id == "as_of" and isinstance(node.ctx, ast.Load)
        for node in ast.walk(tree)
    )
    reads_as_of = reads > (1 if dated else 0)  # besides the day of a record without ``at``
    function = _generated_function(tree, gen.consts, "<regkit findings>")
    return function, reads_as_of


def _failing_test(gen: _SharedGen, rule: _FindingCode) -> tuple[str, frozenset[_Path]]:
    """The code of ``when and not assert``, and the reads known not to be ``None`` where it
    holds (``when`` held: ``trade.requested_price is not None`` narrows the assertion)."""
    known: frozenset[_Path] = frozenset()
    when = None
    if rule.when is not None:
        when = gen.truth(rule.when.node)
        known = _facts(rule.when.node)
    gen.known = known
    fails = f"not ({gen.truth(rule.assertion.node)})"
    gen.known = frozenset()
    return (fails if when is None else f"({when}) and {fails}"), known


def _in_dates(gen: _PyGen, starts: date | None, ends: date | None) -> str:
    """The test that ``_day`` is in ``[starts, ends)``."""
    bounds = [f"_day >= {gen.const(starts)}"] if starts else []
    bounds += [f"_day < {gen.const(ends)}"] if ends else []
    return " and ".join(bounds)


_ORDERINGS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_Prefix = tuple[str, tuple[_Step, ...]]
_Path = tuple[str, tuple[str, ...]]
"""A read by its root and attribute names: ``("account", ("kyc", "status"))``."""

#: Calls that give ``None`` exactly when an argument is ``None``.
_PLAIN_CALLS = frozenset({"abs", "upper", "lower", "weekday", "date"})
#: Constants that are never equal to ``None``: ``x == c`` needs no test of ``x is None``.
_EQ_CONSTANTS = (str, int, bool, Decimal, date, datetime)
#: Derived fields the generated code works out as their property does (the same operations
#: on the same fields, in the same order), for a record of exactly the class: the fields
#: multiplied, each read from the record.
_INLINE: dict[tuple[type[Record], str], tuple[tuple[str, ...], ...]] = {
    (Trade, "notional"): (("quantity",), ("price",), ("instrument", "price_multiplier")),
}


class _SharedGen(_PyGen):
    """The code :class:`_PyGen` writes, with savings that leave every value the same.

    * A field or nested record that the tests read more than once (``trade.instrument``,
      ``account.kyc``, ``trade.leverage``) is read once per call, into a local, before the
      tests (reading a field has no effect; should a derived field raise, the caller finds
      the rule that does one by one); fields are then read from it.
    * A comparison of a field the tests make more than once (``account.category ==
      "retail"`` in several rules' ``when``) is made once, before the tests, the same way.
    * A decimal is compared with decimal constants (``<= 30``, ``params.caps[...]`` holding
      ints become decimals) rather than converting an int at each comparison: a decimal
      and an int compare exactly, so the result is the same.
    * ``x == "retail"`` does not test ``x is None`` first (``None`` equals no such
      constant); a local is tested for ``None`` as it is, with no new name.
    * What is known not to be ``None`` is not tested again: the reads a rule's ``when``
      compared or tested with ``is not None`` in its assertion, evidence and message, and
      those of the earlier operands of an ``and`` in the later ones (``known``).
    * ``params`` lookups call ``get`` of a plain dict (a copy of the frozen mapping,
      never handed out) rather than of the read-only view.
    """

    def __init__(
        self,
        shared: frozenset[_Prefix] = frozenset(),
        compares: frozenset[tuple[Any, ...]] = frozenset(),
        *,
        bound: Mapping[_Path, str] | None = None,
        inline: Mapping[_Path, tuple[tuple[str, ...], ...]] | None = None,
        model: type[Record] | None = None,
    ) -> None:
        super().__init__()
        self.shared = shared
        self.compares = compares
        self.bound = bound or {}
        """Reads that are a parameter already (the record's event time, ``_at``)."""
        self.inline = inline or {}
        """Derived fields of the record worked out in place (see ``_INLINE``)."""
        self.model = model
        self.uses: dict[_Prefix, int] = {}
        """How often the code read each field and nested record (to choose ``shared``)."""
        self.compare_uses: dict[tuple[Any, ...], int] = {}
        """How often the code made each comparison of a field (to choose ``compares``)."""
        self.locals: dict[_Prefix, str] = {}
        self.compare_locals: dict[tuple[Any, ...], str] = {}
        self.prologue: list[str] = []
        """``_rN = <read>`` and ``_bN = <comparison>`` statements, in order."""
        self.known: frozenset[_Path] = frozenset()
        """Reads known not to be ``None`` where the code being written runs."""
        self.lookups: dict[int, tuple[Any, str]] = {}

    def gen(self, node: _Node) -> str:
        if isinstance(node, _Lookup):
            held = self.lookups.get(id(node.mapping))
            if held is None:  # the mapping is held, so its id names it for good
                held = self.lookups[id(node.mapping)] = (
                    node.mapping,
                    self.const(dict(node.mapping).get),
                )
            return f"{held[1]}({self.gen(node.key)})"
        if isinstance(node, _BoolOp) and node.op == "and":
            known = self.known
            parts = []
            for value in node.values:
                parts.append(self.truth(value))
                self.known = self.known | _facts(value)  # the later operands run where it held
            self.known = known
            return "(" + " and ".join(parts) + ")"
        return super().gen(node)

    def nullable(self, node: _Node) -> bool:
        """Whether the node may be ``None`` where the code runs (see ``known``)."""
        if not node.nullable or not self.known:
            return node.nullable
        if isinstance(node, _Field):
            return _path(node) not in self.known
        if isinstance(node, _Arith) and node.op in ("+", "-", "*"):
            return self.nullable(node.left) or self.nullable(node.right)
        if isinstance(node, _Neg):
            return self.nullable(node.operand)
        if isinstance(node, _Call) and node.name in _PLAIN_CALLS:
            return any(self.nullable(arg) for arg in node.args)
        return True

    def truth(self, node: _Node) -> str:
        code = self.gen(node)
        return f"({code} is True)" if self.nullable(node) else code

    def guard(self, node: _Node) -> tuple[str, str, str | None]:
        code = self.gen(node)
        if not self.nullable(node):
            return code, code, None
        if code.isidentifier():  # a local: test it as it is
            return code, code, code
        name = self.temp()
        return f"({name} := {code})", name, name

    def field(self, node: _Field) -> str:
        for end in range(1, len(node.steps) + 1):
            prefix = (node.root, node.steps[:end])
            self.uses[prefix] = self.uses.get(prefix, 0) + 1
        if not node.steps[-1].container_nullable and _path(node) in self.bound:
            return self.bound[_path(node)]
        if (node.root, node.steps) in self.shared:
            return self.local((node.root, node.steps))
        if not node.steps[-1].container_nullable and _path(node) in self.inline:
            return self.derived(node)
        steps = self.unguarded(node)
        for end in range(len(node.steps) - 1, 0, -1):
            prefix = (node.root, node.steps[:end])
            if prefix in self.shared:
                rest = steps[end:]
                return self.read(
                    _Field(node.type, node.nullable, self.local(prefix), rest, node.related)
                )
        return self.read(_Field(node.type, node.nullable, node.root, steps, node.related))

    def read(self, node: _Field) -> str:
        """:meth:`_PyGen.field`, testing a root that is a name (a local, a related record)
        for ``None`` as it is, with no new name."""
        root, steps = node.root, node.steps
        if not (steps and steps[0].container_nullable and root.isidentifier()):
            return super().field(node)
        if steps[0].maybe_absent:
            first = f"{self.const(getattr)}({root}, {steps[0].attr!r}, None)"
        else:
            first = f"{root}.{steps[0].attr}"
        code = f"(None if {root} is None else {first})"
        return super().field(_Field(node.type, node.nullable, code, steps[1:], node.related))

    def derived(self, node: _Field) -> str:
        """A derived field of the record, worked out as its property does for a record of
        exactly the scope's class, read otherwise."""
        product = " * ".join(
            self.field(
                _Field(_NONE, False, node.root, tuple(_Step(a, False, False) for a in attrs), False)
            )
            for attrs in self.inline[_path(node)]
        )
        exact = f"{self.const(type)}({node.root}) is {self.const(self.model)}"
        return f"(({product}) if {exact} else {super().field(node)})"

    def unguarded(self, node: _Field) -> tuple[_Step, ...]:
        """The steps of a read, with no test of an object known not to be ``None``."""
        if not self.known:
            return node.steps
        names = tuple(step.attr for step in node.steps)
        return tuple(
            _Step(step.attr, False, step.maybe_absent)
            if step.container_nullable and (node.root, names[:index]) in self.known
            else step
            for index, step in enumerate(node.steps)
        )

    def local(self, prefix: _Prefix) -> str:
        """The local that holds a shared read (made in the prologue)."""
        name = self.locals.get(prefix)
        if name is None:
            root, steps = prefix
            read = _Field(_NONE, True, root, steps, False)
            code = self.read(read)
            if not steps[-1].container_nullable and _path(read) in self.inline:
                code = self.derived(read)
            for end in range(len(steps) - 1, 0, -1):
                if (root, steps[:end]) in self.shared:
                    parent = self.local((root, steps[:end]))
                    code = self.read(_Field(_NONE, True, parent, steps[end:], False))
                    break
            name = self.locals[prefix] = f"_r{len(self.locals)}"
            self.prologue.append(f"{name} = {code}")
        return name

    def compare(self, node: _Compare) -> str:
        key = _compare_key(node)
        if key is None:
            return self.plain_compare(node)
        self.compare_uses[key] = self.compare_uses.get(key, 0) + 1
        if key not in self.compares:
            return self.plain_compare(node)
        name = self.compare_locals.get(key)
        if name is None:
            known, self.known = self.known, frozenset()  # true wherever it is used
            code = self.plain_compare(node)
            self.known = known
            name = self.compare_locals[key] = f"_b{len(self.compare_locals)}"
            self.prologue.append(f"{name} = {code}")
        return name

    def plain_compare(self, node: _Compare) -> str:
        if node.op in _ORDERINGS:
            left, right = _as_decimal(node.left, node.right), _as_decimal(node.right, node.left)
            node = _Compare(node.type, node.nullable, node.op, left, right)
        if node.op == "==" and any(
            isinstance(side, _Const) and type(side.value) in _EQ_CONSTANTS
            for side in (node.left, node.right)
        ):
            # ``None == c`` is False, what the test of ``None`` gives: no test needed.
            return f"({self.gen(node.left)} == {self.gen(node.right)})"
        return super().compare(node)


def _path(node: _Field) -> _Path:
    return node.root, tuple(step.attr for step in node.steps)


def _compare_key(node: _Compare) -> tuple[Any, ...] | None:
    """What a comparison of a field with a field or a constant compares, or ``None``."""
    sides: list[Any] = []
    for side in (node.left, node.right):
        if isinstance(side, _Field):
            sides.append(_path(side))
        elif isinstance(side, _Const) and type(side.value) in (*_EQ_CONSTANTS, tuple):
            sides.append((type(side.value).__name__, repr(side.value)))
        else:
            return None
    if not any(isinstance(side, _Field) for side in (node.left, node.right)):
        return None
    return (node.op, *sides)


def _facts(node: _Node) -> frozenset[_Path]:
    """The reads that are not ``None`` where a boolean node held."""
    if isinstance(node, _IsNone) and node.negate:
        return _not_none(node.operand)
    if isinstance(node, _Compare):  # a comparison with a None operand is False
        return _not_none(node.left) | _not_none(node.right)
    if isinstance(node, _BoolOp) and node.op == "and":
        return frozenset().union(*(_facts(value) for value in node.values))
    return frozenset()


def _not_none(node: _Node) -> frozenset[_Path]:
    """The reads that are not ``None`` where a node's value is not ``None``."""
    if isinstance(node, _Record):
        node = node.field
    if isinstance(node, _Field):
        root, names = _path(node)
        return frozenset((root, names[:end]) for end in range(len(names) + 1))
    if isinstance(node, _Arith):
        return _not_none(node.left) | _not_none(node.right)
    if isinstance(node, _Neg):
        return _not_none(node.operand)
    if isinstance(node, _Call) and node.name in _PLAIN_CALLS:
        return frozenset().union(*(_not_none(arg) for arg in node.args))
    return frozenset()


def _as_decimal(side: _Node, other: _Node) -> _Node:
    """``side`` with its int constants as decimals, when compared with a decimal."""
    if other.type.kind != "decimal":
        return side
    if isinstance(side, _Const) and type(side.value) is int:
        return _Const(side.type, side.nullable, Decimal(side.value))
    if isinstance(side, _Lookup) and any(type(v) is int for v in side.mapping.values()):
        mapping = types.MappingProxyType(
            {k: Decimal(v) if type(v) is int else v for k, v in side.mapping.items()}
        )
        return _Lookup(side.type, side.nullable, mapping, side.key)
    return side


def _key_code(gen: _PyGen, scope: Scope, key_fields: Sequence[str]) -> str:
    """The record's key: its ``key``, or its key fields joined for a record of exactly the
    scope's class (the model's own field names, never user text)."""
    record = scope.record
    fields = scope.model.model_fields
    # Only keys of text fields are joined here: a time's key text is ISO 8601 (Record.key).
    if not key_fields or not all(
        name in fields and fields[name].annotation is str for name in key_fields
    ):
        return f"{record}.key"
    join = f" + {gen.const('|')} + ".join(
        f"{gen.const(str)}({record}.{name})" for name in key_fields
    )
    return f"({join}) if {gen.const(type)}({record}) is {gen.const(scope.model)} else {record}.key"


def _plain_const(expr: Expr) -> bool:
    """A constant whose text is known before any record is (not a decimal: its text could
    follow the decimal context of the call)."""
    node = expr.node
    return isinstance(node, _Const) and (node.value is None or type(node.value) in (int, str, bool))


def _value_code(gen: _PyGen, expr: Expr) -> str:
    """The code of an expression's value, as :func:`to_python` gives it."""
    return gen.truth(expr.node) if expr.type.kind == "bool" else gen.gen(expr.node)


def _generated_function(tree: ast.Module, consts: Sequence[Any], filename: str) -> Any:
    """The function ``_make(*consts)`` returns, from a generated module defining only
    ``_make``: checked by :func:`_assert_generated`, built from its code object (no exec),
    with no builtins at all."""
    _assert_generated(tree)
    code = compile(tree, filename, "exec")
    make_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    make = types.FunctionType(make_code, {"__builtins__": {}})
    return make(*consts)


def _assert_generated(tree: ast.Module) -> None:
    """Defence in depth: the generated tree holds no dunder names and no imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise AssertionError("generated code imports")  # pragma: no cover
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if isinstance(name, str) and name.startswith("__"):
            raise AssertionError(f"generated code names {name}")  # pragma: no cover


# --- backend 2: polars ---------------------------------------------------------------------

_WORK_SCALE = 16
_DAY_US = 86_400_000_000


def _default_columns(record: str) -> Callable[[str], str]:
    prefix = record + "."

    def columns(path: str) -> str:
        return path[len(prefix) :] if path.startswith(prefix) else path

    return columns


def to_polars(
    expr: Expr,
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
    lower = _PlLower(columns or _default_columns(expr.scope.record), as_of)
    result = lower.gen(expr.node)
    if expr.type.kind == "bool":
        result = result.fill_null(False)
    return result


class _PlLower:
    def __init__(self, columns: Callable[[str], str], as_of: datetime | None) -> None:
        self.columns = columns
        self.as_of = as_of

    def truth(self, node: _Node) -> pl.Expr:
        code = self.gen(node)
        return code.fill_null(False) if node.nullable else code

    def gen(self, node: _Node) -> pl.Expr:
        if isinstance(node, _Const):
            return _literal(node.value, node.type)
        if isinstance(node, _AsOf):
            if self.as_of is None:
                raise PolicyError("the expression reads as_of; pass as_of= to to_polars")
            return pl.lit(self.as_of.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
        if isinstance(node, _Value):
            return pl.col(self.columns(node.name))
        if isinstance(node, _Field):
            return pl.col(self.columns(node.path))
        if isinstance(node, _Record):
            if node.required is None:
                raise PolicyError(f"{node.field.path} has no required field to test it by")
            return pl.col(self.columns(f"{node.field.path}.{node.required}"))
        if isinstance(node, _Lookup):
            key = self.gen(node.key)
            if node.key.type.kind == "enum":
                key = key.cast(pl.String)
            mapping = dict(node.mapping)
            if node.type.kind == "decimal":
                mapping = {k: None if v is None else Decimal(v) for k, v in mapping.items()}
            return key.replace_strict(
                mapping, default=None, return_dtype=_dtype(node.type, mapping.values())
            )
        if isinstance(node, _Compare):
            return self.compare(node)
        if isinstance(node, _IsNone):
            operand = self.gen(node.operand)
            return operand.is_not_null() if node.negate else operand.is_null()
        if isinstance(node, _BoolOp):
            values = [self.truth(v) for v in node.values]
            return pl.all_horizontal(values) if node.op == "and" else pl.any_horizontal(values)
        if isinstance(node, _Not):
            return ~self.truth(node.operand)
        if isinstance(node, _Neg):
            return -self.gen(node.operand)
        if isinstance(node, _Arith):
            return self.arith(node)
        if isinstance(node, _Cond):
            return (
                pl.when(self.truth(node.test))
                .then(self.gen(node.body))
                .otherwise(self.gen(node.orelse))
            )
        if isinstance(node, _Call):
            return self.call(node)
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def operand(self, node: _Node, other: _Node) -> pl.Expr:
        code = self.gen(node)
        if node.type.kind == "enum" and not (
            isinstance(other, _Const) or other.type.kind == "enum"
        ):
            code = code.cast(pl.String)
        return code

    def compare(self, node: _Compare) -> pl.Expr:
        left = self.gen(node.left)
        if node.op in ("in", "not in"):
            if node.left.type.kind == "enum":
                left = left.cast(pl.String)
            if isinstance(node.right, _Const):
                items = [v for v in node.right.value if v is not None]
                if node.left.type.numeric:
                    tests = [left == _literal(v, _type_of_value(v)) for v in items]
                    found = pl.any_horizontal(tests) if tests else pl.lit(False)
                else:
                    found = left.is_in(pl.lit(pl.Series(items, dtype=pl.String)).implode())
            else:
                found = self.gen(node.right).list.contains(left)
            result = found if node.op == "in" else ~found
            checks = [left.is_not_null(), result]
            if not isinstance(node.right, _Const):
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

    def arith(self, node: _Arith) -> pl.Expr:
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

    def call(self, node: _Call) -> pl.Expr:
        name = node.name
        if name == "overlaps":
            return self.overlaps(node)
        if name == "national_client_id":
            return self.national_client_id(node)
        if name == "same_name":
            if all(isinstance(a, _Const) for a in node.args):
                values = [typing.cast(_Const, a).value for a in node.args]
                return pl.lit(_same_name(*values), dtype=pl.Boolean)
            # Named after the first argument, as other calls are.
            fields = [self.gen(a) for a in node.args]
            fields[1:] = [field.alias(f"\x00{i}") for i, field in enumerate(fields[1:])]
            names = pl.struct(fields)
            return names.map_batches(_same_name_batch, return_dtype=pl.Boolean).fill_null(False)
        args = [self.gen(a) for a in node.args]
        first = args[0]
        if name == "abs":
            return first.abs()
        if name == "len":
            if node.args[0].type.kind == "list":
                return first.list.len().cast(pl.Int64)
            return first.str.len_chars().cast(pl.Int64)
        if name == "coalesce":
            return pl.coalesce(args)
        if name == "startswith":
            text = first.cast(pl.String)
            return text.str.starts_with(args[1].cast(pl.String)).fill_null(False)
        if name in ("min", "max"):
            combined = pl.min_horizontal(args) if name == "min" else pl.max_horizontal(args)
            any_null = pl.any_horizontal([a.is_null() for a in args])
            return pl.when(any_null).then(None).otherwise(combined)
        if name in ("upper", "lower"):
            text = first.cast(pl.String)
            return text.str.to_uppercase() if name == "upper" else text.str.to_lowercase()
        if name == "is_valid_lei":
            return first.map_batches(_lei_batch, return_dtype=pl.Boolean).fill_null(False)
        if name == "weekday":
            return (first.dt.weekday() - 1).cast(pl.Int64)
        if name == "date":
            return first.dt.date() if node.args[0].type.kind == "datetime" else first
        if name == "working_days_between":
            # business_day_count counts [start, end); this counts (start, end], signed.
            start, end = (
                a.cast(pl.Datetime("us", "UTC")).dt.date() if n.type.kind == "datetime" else a
                for a, n in zip(args[:2], node.args[:2], strict=True)
            )
            holidays = holiday_dates(typing.cast(_Const, node.args[2]).value)
            low = pl.min_horizontal(start, end) + pl.duration(days=1)
            high = pl.max_horizontal(start, end) + pl.duration(days=1)
            sign = pl.when(end >= start).then(1).when(end < start).then(-1)
            count = pl.business_day_count(low, high, holidays=holidays).cast(pl.Int64)
            return (sign * count).cast(pl.Int64)
        # days_between
        stamps = [a.cast(pl.Datetime("us", "UTC")) for a in args]
        return ((stamps[1] - stamps[0]).dt.total_microseconds() // _DAY_US).cast(pl.Int64)

    def overlaps(self, node: _Call) -> pl.Expr:
        if all(isinstance(a, _Const) for a in node.args):
            first, second = (typing.cast(_Const, a).value for a in node.args)
            return pl.lit(_overlaps(first, second), dtype=pl.Boolean)
        first, second = (self.string_list(a) for a in node.args)
        return (first.list.set_intersection(second).list.len() > 0).fill_null(False)

    def string_list(self, node: _Node) -> pl.Expr:
        """A list of strings: a list column, or a literal list with its strings only (no
        other item can equal a string of a list field)."""
        if isinstance(node, _Const):
            items = [item for item in node.value if isinstance(item, str)]
            return pl.lit(pl.Series([items], dtype=pl.List(pl.String)))
        return self.gen(node).cast(pl.List(pl.String))

    def national_client_id(self, node: _Call) -> pl.Expr:
        """The holder's columns and its ``national_ids.<KEY>`` columns (those the frame
        has, named as :attr:`columns` names a key's path) as one struct, mapped row by row."""
        holder = typing.cast(_Record, node.args[0]).field.path
        regime = typing.cast(_Const, node.args[1]).value
        # The result is named after the first field, the kind column; the others are
        # renamed so that no national_ids column can clash with them.
        person = [pl.col(self.columns(f"{holder}.{leaf}")) for leaf in _PERSON_FIELDS]
        person[1:] = [column.alias(f"\x00{i}") for i, column in enumerate(person[1:])]
        marker = "\x00key\x00"
        before, found, after = self.columns(f"{holder}.national_ids.{marker}").partition(marker)
        if not found:
            raise PolicyError(f"the columns of {holder}.national_ids cannot be told apart")
        ids = pl.col(f"^{pl.escape_regex(before)}.+{pl.escape_regex(after)}$")
        batch = functools.partial(_national_id_batch, before=before, after=after, regime=regime)
        return pl.struct([*person, ids]).map_batches(batch, return_dtype=pl.String)


def _lei_batch(series: pl.Series) -> pl.Series:
    distinct = series.drop_nulls().unique().to_list()
    mapping = {value: is_valid_lei(value) for value in distinct}
    return series.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def _by_distinct_rows(
    series: pl.Series, function: Callable[..., Any], dtype: pl.DataType
) -> pl.Series:
    """``function`` of the fields of each row of a struct series, called once per distinct
    row (nulls included)."""
    rows = series.struct.unnest()
    distinct = rows.unique(maintain_order=True)
    result = "\x00result"
    values = pl.Series(result, [function(*row) for row in distinct.iter_rows()], dtype=dtype)
    found = rows.join(
        distinct.with_columns(values),
        on=rows.columns,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return found.get_column(result).alias(series.name)


def _same_name_batch(series: pl.Series) -> pl.Series:
    return _by_distinct_rows(series, _same_name, pl.Boolean())


def _national_id_batch(
    series: pl.Series, *, before: str, after: str, regime: Literal["EU", "UK"]
) -> pl.Series:
    """The national client ids of a struct of a holder's :data:`_PERSON_FIELDS` and its
    ``national_ids`` columns (named ``before + key + after``)."""
    names = series.struct.fields[len(_PERSON_FIELDS) :]
    keys = [name[len(before) : len(name) - len(after)] for name in names]

    def identify(
        kind: str | None,
        first_name: str | None,
        surname: str | None,
        date_of_birth: date | None,
        nationalities: Sequence[str] | None,
        *ids: Any,
    ) -> str | None:
        if kind is None:  # no holder
            return None
        person = types.SimpleNamespace(
            kind=str(kind),
            first_name=first_name or "",
            surname=surname or "",
            date_of_birth=date_of_birth,
            nationalities=tuple(nationalities or ()),
            national_ids={
                key: str(value) for key, value in zip(keys, ids, strict=True) if value is not None
            },
        )
        return _national_client_id(person, regime)

    return _by_distinct_rows(series, identify, pl.String())


def _remainder(left: pl.Expr, right: pl.Expr, divisor: _Node) -> pl.Expr:
    """``left % right`` on polars, exact as :func:`_mod`.

    polars aligns both operands to the finer scale, so a large dividend and a divisor of many
    places (``quantity % 0.0000000001``) would overflow 38 digits. For a literal divisor ``b``
    of ``k`` places, ``a % b == (a % (b * 10**k)) % b`` (a positive multiple of ``b``), and
    ``b * 10**k`` is an integer: the first remainder keeps the dividend's scale, and the
    second works on a number smaller than the divisor's digits.
    """
    value = divisor.value if isinstance(divisor, _Const) else None
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
