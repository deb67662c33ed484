"""Backend 1: an expression as generated Python code.

:func:`to_python` turns the typed tree (never user text) into one straight-line Python
function: field names are model fields, every other constant is a numbered variable, and
parameters and constant ``params[...]`` lookups are frozen in. :func:`python_source` shows the
generated code. Calls write what their entry in
:data:`regkit.rules.lang.functions.FUNCTIONS` says (its helper or method, and whether the
helper takes ``None`` itself). The code is compiled with no builtins at all.

Arithmetic is exact decimal arithmetic (28 significant digits); ``%`` is exact and takes the
sign of the divisor, for decimals too (:func:`mod`).

Examples:
    >>> from regkit.rules.lang import Scope, compile_expr
    >>> print(python_source(compile_expr("trade.leverage > 30", Scope("trade"))), end="")
    def _make():
        def _rule(*, trade, params=None, as_of=None):
            return ((_t0 := trade.leverage) is not None and _t0 > (30))
        return _rule
"""

from __future__ import annotations

import ast
import itertools
import types
import typing
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

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
    Value,
)
from regkit.rules.lang.scope import Checked

__all__ = [
    "PyGen",
    "assert_generated",
    "format_value",
    "generated_function",
    "mod",
    "python_source",
    "to_python",
]


def format_value(value: Any, spec: str = "") -> str:
    """A value as a finding's message shows it: ``format(value, spec)``, except that a time
    with no format spec is ISO 8601 UTC (``2026-11-20T09:30:00Z``), as in files.

    (Generated code calls this too: a Python frame with the real builtins, since formatting
    a date with ``%Y`` imports a module, which code run without builtins cannot.)"""
    if not spec and isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return format(value, spec)


def mod(a: Any, b: Any) -> Any:
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


class PyGen:
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

    def guard(self, node: Node) -> tuple[str, str, str | None]:
        """(bind, use, none-test): ``bind`` evaluates once, ``use`` reads the value again."""
        code = self.gen(node)
        if not node.nullable:
            return code, code, None
        name = self.temp()
        return f"({name} := {code})", name, name

    def truth(self, node: Node) -> str:
        code = self.gen(node)
        return f"({code} is True)" if node.nullable else code

    def gen(self, node: Node) -> str:
        if isinstance(node, Const):
            value = node.value
            if value is None or isinstance(value, bool):
                return repr(value)
            if type(value) is int:
                return f"({value!r})"
            if isinstance(value, tuple):
                return self.const(frozenset(value))
            return self.const(value)
        if isinstance(node, AsOf):
            return "as_of"
        if isinstance(node, Value):
            return node.name
        if isinstance(node, RecordRef):
            return self.field(node.field)
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Lookup):
            return f"{self.const(node.mapping.get)}({self.gen(node.key)})"
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, IsNone):
            return f"({self.gen(node.operand)} is {'not ' if node.negate else ''}None)"
        if isinstance(node, BoolOp):
            return "(" + f" {node.op} ".join(self.truth(v) for v in node.values) + ")"
        if isinstance(node, Not):
            return f"(not {self.truth(node.operand)})"
        if isinstance(node, Neg):
            bind, use, test = self.guard(node.operand)
            return f"(-{use})" if test is None else f"(None if {bind} is None else -{use})"
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Cond):
            return (
                f"({self.gen(node.body)} if {self.truth(node.test)} else {self.gen(node.orelse)})"
            )
        if isinstance(node, Call):
            return self.call(node)
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def field(self, node: Field) -> str:
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

    def compare(self, node: Compare) -> str:
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

    def arith(self, node: Arith) -> str:
        left_bind, left_use, left_test = self.guard(node.left)
        right_bind, right_use, right_test = self.guard(node.right)
        tests = []
        if left_test is not None:
            tests.append(f"{left_bind} is None")
        if right_test is not None:
            tests.append(f"{right_bind} is None")
        left = left_use if left_test is not None else left_bind
        right = right_use if right_test is not None else right_bind
        if node.op in ("/", "%") and not (isinstance(node.right, Const) and node.right.value != 0):
            if right_test is None:  # bind it in the zero test, the first place it is read
                name = self.temp()
                tests.append(f"not ({name} := {right_bind})")
                right = name
            else:
                tests.append(f"not {right}")
        if node.op == "/" and node.left.type.kind == "int":
            left = f"{self.const(Decimal)}({left})"
        if node.op == "%":
            expr = f"{self.const(mod)}({left}, {right})"
        else:
            expr = f"{left} {node.op} {right}"
        return f"(None if {' or '.join(tests)} else {expr})" if tests else f"({expr})"

    def call(self, node: Call) -> str:
        function = FUNCTIONS[node.name]
        if function.self_guarded:  # these take None themselves
            args = ", ".join(self.gen(a) for a in node.args)
            return f"{self.const(function.python)}({args})"
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
        if function.method is not None:
            body = f"{values[0]}.{function.method}()"
        else:
            body = f"{self.const(function.python)}({', '.join(values)})"
        return f"(None if {' or '.join(tests)} else {body})" if tests else f"({body})"


def _generate(expr: Checked) -> tuple[str, list[Any]]:
    gen = PyGen()
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


def python_source(expr: Checked) -> str:
    """The Python code :func:`to_python` compiles, as text (for debugging and tests)."""
    return _generate(expr)[0]


def to_python(expr: Checked) -> Callable[..., Any]:
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
    label = f"<regkit rule {expr.where or expr.text[:40]}>"
    function = typing.cast(Callable[..., Any], generated_function(tree, consts, label))
    expr._cache["python"] = function
    return function


def generated_function(tree: ast.Module, consts: Sequence[Any], filename: str) -> Any:
    """The function ``_make(*consts)`` returns, from a generated module defining only
    ``_make``: checked by :func:`assert_generated`, built from its code object (no exec),
    with no builtins at all."""
    assert_generated(tree)
    code = compile(tree, filename, "exec")
    make_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    make = types.FunctionType(make_code, {"__builtins__": {}})
    return make(*consts)


def assert_generated(tree: ast.Module) -> None:
    """Defence in depth: the generated tree holds no dunder names and no imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise AssertionError("generated code imports")  # pragma: no cover
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if isinstance(name, str) and name.startswith("__"):
            raise AssertionError(f"generated code names {name}")  # pragma: no cover
