"""The policy expression language: a checked subset of Python expressions, two backends.

An expression is parsed with ``ast.parse(text, mode="eval")`` and checked against an
allow-list before anything runs; user text is never given to ``eval`` or ``exec``. The
language is split by stage, one module each:

* :mod:`~regkit.rules.lang.nodes`: :class:`Type` and the typed tree the checker makes and the
  backends read (public node classes: a backend imports nothing private);
* :mod:`~regkit.rules.lang.scope`: :class:`Scope` (the names an expression may use; the record
  kinds are read live from :data:`regkit.schemas.kinds.KINDS`) and :class:`Checked`;
* :mod:`~regkit.rules.lang.fields`: the types of model fields;
* :mod:`~regkit.rules.lang.checker`: the allow-list, the number limits
  (:data:`NUMBERS_ALLOWED`) and the type checks;
* :mod:`~regkit.rules.lang.functions`: THE registry of functions (:data:`FUNCTIONS`), one entry
  per function with its arity, type rule, Python helper, polars lowering and documentation;
* :mod:`~regkit.rules.lang.pycodegen`: :func:`to_python` (one straight-line Python function)
  and :func:`python_source`; :mod:`~regkit.rules.lang.pyfindings`: many rules as one
  generated function (:func:`findings_function`);
* :mod:`~regkit.rules.lang.lower`: :func:`to_polars` (one ``polars`` expression over a frame
  of dotted columns);
* :mod:`~regkit.rules.lang.expression`: :func:`compile_expr` and :class:`Expr`.

What may appear: literals (strings, integers, decimals, ``True``/``False``/``None``, lists and
tuples of literals); the scope's names (the record, the related records, ``params``,
``as_of``, an aggregate rule's values); attribute access to model fields (the holder union:
``account.holder.first_name`` is ``None`` for an entity; the derived ``trade.notional``);
``params.name`` / ``params["name"]`` and subscripts of parameter mappings; comparisons
``== != < <= > >= in not in``, ``is None`` / ``is not None``; ``and``, ``or``, ``not``;
``+ - * / %`` and unary ``-``; ``a if cond else b``; and the functions of the registry. The
functions, their forms and what they give are listed in the function table of
``docs/policies.md``, generated from :data:`FUNCTIONS` (``python -m regkit.rules.lang.docs``).

Enumeration fields compare with their string values (``trade.side == "buy"``); a literal
that is not a value is an error.

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
``f(None)``                             ``None``, unless the function's entry takes
                                        ``None`` itself (``self_guarded``)
======================================  ==========================================

A boolean expression therefore always yields ``True`` or ``False``. ``and``, ``or``, ``not``
and the test of a conditional need booleans (no truthiness of numbers or strings).

Arithmetic is exact decimal arithmetic in Python (28 significant digits); the polars
backend multiplies at 16 decimal places and divides to 16 places (half to even), so results of
``/`` may differ from Python's in the last places. ``%`` is exact on both backends (Python
widens its context to the quotient's digits) and takes the sign of the divisor (as Python's
int ``%``) for decimals too; ``as_of`` should be given in UTC.

Examples:
    >>> from datetime import UTC, datetime
    >>> expr = compile_expr("days_between(trade.executed_at, as_of) > 2", Scope("trade"))
    >>> fn = expr.python()
    >>> import types
    >>> fn(trade=types.SimpleNamespace(executed_at=datetime(2026, 11, 2, tzinfo=UTC)),
    ...    as_of=datetime(2026, 11, 20, tzinfo=UTC))
    True
"""

from regkit.rules.lang.checker import (
    MAX_DECIMAL_DIGITS,
    MAX_DECIMAL_PLACES,
    MAX_INTEGER_DIGITS,
    NUMBERS_ALLOWED,
    number_problem,
)
from regkit.rules.lang.expression import Expr, compile_expr
from regkit.rules.lang.functions import ARITY, FUNCTIONS, Function
from regkit.rules.lang.lower import default_columns, to_polars
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
    Step,
    Type,
    Value,
)
from regkit.rules.lang.pycodegen import format_value, python_source, to_python
from regkit.rules.lang.pyfindings import FindingCode, findings_function
from regkit.rules.lang.scope import RECORD_KINDS, Checked, Scope

__all__ = [
    "ARITY",
    "FUNCTIONS",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_PLACES",
    "MAX_INTEGER_DIGITS",
    "NUMBERS_ALLOWED",
    "RECORD_KINDS",
    "Arith",
    "AsOf",
    "BoolOp",
    "Call",
    "Checked",
    "Compare",
    "Cond",
    "Const",
    "Expr",
    "Field",
    "FindingCode",
    "Function",
    "IsNone",
    "Lookup",
    "Neg",
    "Node",
    "Not",
    "RecordRef",
    "Scope",
    "Step",
    "Type",
    "Value",
    "compile_expr",
    "default_columns",
    "findings_function",
    "format_value",
    "number_problem",
    "python_source",
    "to_polars",
    "to_python",
]
