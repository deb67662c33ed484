"""The checker of the expression language: the allow-list, the limits, the types.

An expression is parsed with ``ast.parse(text, mode="eval")`` and checked against an
allow-list before anything runs; user text is never given to ``eval`` or ``exec``. What
passes becomes the typed tree of :mod:`regkit.rules.lang.nodes`; the functions are checked by
their entries in :data:`regkit.rules.lang.functions.FUNCTIONS`. Numeric literals (and
parameters) are those both backends hold exactly (:data:`NUMBERS_ALLOWED`).

Examples:
    >>> number_problem(10**18)
    'an integer of more than 18 digits'
"""

from __future__ import annotations

import ast
import difflib
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel

from regkit.errors import PolicyError
from regkit.rules.lang.fields import field_names, field_type, models_at, never_none
from regkit.rules.lang.functions import FUNCTIONS
from regkit.rules.lang.nodes import (
    BOOL,
    DATETIME,
    DECIMAL,
    INT,
    NONE,
    STR,
    Arith,
    AsOf,
    BoolOp,
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
    type_of_value,
    unify,
)
from regkit.rules.lang.scope import Scope

__all__ = [
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_PLACES",
    "MAX_INTEGER_DIGITS",
    "NUMBERS_ALLOWED",
    "ExprChecker",
    "check_text",
    "number_problem",
]

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


_ALLOWED = (
    "literals, the names {names}, model fields, params lookups, comparisons, and/or/not, "
    "+ - * / %, conditional expressions and the functions " + ", ".join(FUNCTIONS)
)


def check_text(text: str, scope: Scope, where: str = "") -> tuple[str, Node, frozenset[str]]:
    """Parse and check ``text`` in ``scope``: the stripped text, its typed tree and the dotted
    fields it reads; raise :class:`PolicyError` on any problem.

    Examples:
        >>> text, node, fields = check_text(" trade.leverage > 30 ", Scope("trade"))
        >>> text, str(node.type), sorted(fields)
        ('trade.leverage > 30', 'bool', ['trade.leverage'])
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
    checker = ExprChecker(text.strip(), scope, where)
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
    return text.strip(), node, frozenset(checker.fields)


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


class ExprChecker:
    """Checks a syntax tree against the allow-list and types it (see :func:`check_text`)."""

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

    def check(self, node: ast.expr, *, record: bool = False) -> Node:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(node, f"{type(node).__name__} is not allowed")
        result: Node = method(node)
        if result.type.kind == "record" and not record:
            self.fail(
                node,
                "a nested record is not a value; read one of its fields",
                "or test it with 'is None' / 'is not None'",
            )
        return result

    def _Constant(self, node: ast.Constant) -> Node:  # noqa: N802
        value = node.value
        if value is None:
            return Const(NONE, True, None)
        if isinstance(value, bool):
            return Const(BOOL, False, value)
        if isinstance(value, int):
            self.check_number(node, value)
            return Const(INT, False, value)
        if isinstance(value, float):
            piece = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
            try:
                number = Decimal(piece)
            except InvalidOperation:
                number = Decimal(repr(value))
            self.check_number(node, number)
            return Const(DECIMAL, False, number)
        if isinstance(value, str):
            return Const(STR, False, value)
        raise self.error(node, f"a {type(value).__name__} literal is not allowed")

    def check_number(self, node: ast.AST, value: int | Decimal) -> None:
        problem = number_problem(value)
        if problem is not None:
            self.fail(node, f"{problem} is out of range", f"allowed: {NUMBERS_ALLOWED}")

    def _List(self, node: ast.List | ast.Tuple) -> Node:  # noqa: N802
        items = [self.check(item) for item in node.elts]
        if not all(isinstance(item, Const) for item in items):
            self.fail(node, "a list may hold only literals")
        consts = typing.cast(list[Const], items)
        item_type = unify([c.type for c in consts if c.value is not None]) if consts else STR
        if item_type is None or item_type.kind in ("list", "mapping"):
            self.fail(node, "a list must hold literals of one type (numbers or strings)")
        return Const(Type("list", item=item_type), False, tuple(c.value for c in consts))

    _Tuple = _List

    def _Name(self, node: ast.Name) -> Node:  # noqa: N802
        name = node.id
        if name.startswith("_"):
            self.fail(node, f"the name {name!r} is not allowed (no names starting with '_')")
        if name == "params":
            return Const(Type("mapping"), False, self.scope.params)
        if name == "as_of":
            return AsOf(DATETIME, False)
        if name in self.scope.values:
            type_, nullable = self.scope.values[name]
            return Value(type_, nullable, name)
        if name == self.scope.record or name in self.scope.related:
            self.fail(node, f"{name!r} is a record; read one of its fields (e.g. {name}.<field>)")
        close = difflib.get_close_matches(name, [*self.scope.names, *FUNCTIONS], n=3)
        hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        raise self.error(node, f"unknown name {name!r}{hint}")

    def _Attribute(self, node: ast.Attribute) -> Node:  # noqa: N802
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

    def _Subscript(self, node: ast.Subscript) -> Node:  # noqa: N802
        container = self.check(node.value)
        if not (isinstance(container, Const) and container.type.kind == "mapping"):
            self.fail(node, "subscripts are allowed only on params and its mappings")
        key = self.check(node.slice)
        if isinstance(key, Const):
            if not isinstance(key.value, str):
                self.fail(node.slice, "a params key must be a string")
            return self.param_key(node, container, key.value)
        if key.type.kind not in ("str", "enum"):
            self.fail(node.slice, f"a params key must be a string or an enum, not {key.type}")
        mapping = typing.cast(Mapping[str, Any], container.value)
        value_type = unify([type_of_value(v) for v in mapping.values()])
        if value_type is None or value_type.kind in ("list", "mapping", "none"):
            self.fail(node, "a mapping looked up by a field must map to numbers, strings or bools")
        return Lookup(value_type, True, mapping, key)

    def param_key(self, node: ast.AST, container: Node, key: str) -> Node:
        if not (isinstance(container, Const) and container.type.kind == "mapping"):
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
        return Const(type_of_value(value), value is None, value)

    def record_field(self, root: str, chain: list[ast.Attribute]) -> Node:
        related = root != self.scope.record
        model_options: list[type[BaseModel]] = [
            self.scope.related[root] if related else self.scope.model
        ]
        container_nullable = related or self.scope.optional
        steps: list[Step] = []
        leaf: Type | None = None
        nullable = False
        for index, link in enumerate(chain):
            if leaf is not None:
                self.fail(link, f"{leaf} has no attributes")
            name = link.attr
            found = [field_type(model, name) for model in model_options]
            hits = [f for f in found if f is not None]
            if not hits:
                known = sorted({n for m in model_options for n in field_names(m)})
                close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
                prefix = ".".join([root, *(c.attr for c in chain[:index])])
                hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
                self.fail(
                    link,
                    f"{prefix} has no field {name!r}",
                    f"{hint}fields: {', '.join(known)}",
                )
            absent = len(hits) < len(found)
            steps.append(Step(name, container_nullable, absent))
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
                if all(never_none(model, name) for model in model_options)
            ]
            nested = Field(leaf, nullable, root, tuple(steps), related)
            witness = always[0] if always else None
            self.fields.add(f"{nested.path}.{witness}" if witness else nested.path)
            return RecordRef(leaf, nullable, nested, witness)
        result = Field(leaf, nullable, root, tuple(steps), related)
        self.fields.add(result.path)
        return result

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:  # noqa: N802
        operand = self.check(node.operand)
        if isinstance(node.op, ast.Not):
            self.need_bool(node.operand, operand, "not")
            return Not(BOOL, False, operand)
        if isinstance(node.op, ast.USub | ast.UAdd):
            if not operand.type.numeric:
                self.fail(node, f"unary minus needs a number, not {operand.type}")
            if isinstance(node.op, ast.UAdd):
                return operand
            if isinstance(operand, Const):
                return Const(operand.type, False, -operand.value)
            return Neg(operand.type, operand.nullable, operand)
        raise self.error(node, "the operator ~ is not allowed")

    def need_bool(self, source: ast.AST, node: Node, what: str) -> None:
        if node.type.kind != "bool":
            self.fail(source, f"{what} needs a boolean (a comparison), not {node.type}")

    def _BoolOp(self, node: ast.BoolOp) -> Node:  # noqa: N802
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        values = []
        for source in node.values:
            value = self.check(source)
            self.need_bool(source, value, op)
            values.append(value)
        return BoolOp(BOOL, False, op, tuple(values))

    def _BinOp(self, node: ast.BinOp) -> Node:  # noqa: N802
        op = _ARITH_OPS.get(type(node.op))
        if op is None:
            self.fail(node, f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.check(node.left), self.check(node.right)
        for side in (left, right):
            if not side.type.numeric:
                self.fail(node, f"arithmetic ({op}) needs numbers, not {side.type}")
        kind = "int" if left.type.kind == right.type.kind == "int" and op != "/" else "decimal"
        nullable = left.nullable or right.nullable or op in ("/", "%")
        return Arith(INT if kind == "int" else DECIMAL, nullable, op, left, right)

    def _IfExp(self, node: ast.IfExp) -> Node:  # noqa: N802
        test = self.check(node.test)
        self.need_bool(node.test, test, "the condition of 'if'")
        body, orelse = self.check(node.body), self.check(node.orelse)
        if body.type.kind == "none":
            result = orelse.type
        elif orelse.type.kind == "none":
            result = body.type
        else:
            unified = unify([body.type, orelse.type])
            if unified is None or unified.kind in ("list", "mapping"):
                self.fail(
                    node, f"the branches of 'if' have different types: {body.type}, {orelse.type}"
                )
            result = unified
        return Cond(result, body.nullable or orelse.nullable, test, body, orelse)

    def _Compare(self, node: ast.Compare) -> Node:  # noqa: N802
        parts: list[Node] = []
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
        return BoolOp(BOOL, False, "and", tuple(parts))

    def compare(self, node: ast.AST, op: str, left: Node, right: Node) -> Node:
        lt, rt = left.type, right.type
        if op in ("is", "is not"):
            if rt.kind == "none":
                return IsNone(BOOL, False, left, op == "is not")
            if lt.kind == "none":
                return IsNone(BOOL, False, right, op == "is not")
            self.fail(node, f"'{op}' is allowed only against None", "use == or != to compare")
        if lt.kind == "none" or rt.kind == "none":
            self.fail(node, f"comparing with None by {op!r}", "use 'is None' or 'is not None'")
        if op in ("in", "not in"):
            if rt.kind != "list" or rt.item is None:
                self.fail(node, f"the right of {op!r} must be a list, not {rt}")
            if isinstance(right, Const):
                for item in right.value:
                    self.check_pair(node, "==", left, Const(rt.item, False, item))
            elif lt.kind not in ("str", "enum"):
                self.fail(node, f"the left of {op!r} a list field must be a string, not {lt}")
            return Compare(BOOL, False, op, left, right)
        self.check_pair(node, op, left, right)
        return Compare(BOOL, False, op, left, right)

    def check_pair(self, node: ast.AST, op: str, left: Node, right: Node) -> None:
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
            if isinstance(other, Const) and other.value not in values:
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

    def _Call(self, node: ast.Call) -> Node:  # noqa: N802
        if not isinstance(node.func, ast.Name):
            self.fail(
                node,
                "calling a method or attribute is not allowed",
                f"call one of the functions {', '.join(FUNCTIONS)} (e.g. upper(x))",
            )
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=2)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            self.fail(
                node, f"unknown function {name!r}", f"{hint}functions: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            self.fail(node, f"{name}() takes no keyword arguments")
        low, high = function.min_args, function.max_args
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
            self.check(arg, record=function.record_arg and index == 0)
            for index, arg in enumerate(node.args)
        )
        return function.check(_Site(self, node, name), args)


class _Site:
    """A call being checked, as a function's type rule sees it (:class:`CallSite`)."""

    def __init__(self, checker: ExprChecker, node: ast.Call, name: str) -> None:
        self.checker = checker
        self.node = node
        self.name = name

    def fail(
        self, problem: str, allowed: str | None = None, *, arg: int | None = None
    ) -> typing.NoReturn:
        self.checker.fail(self.node if arg is None else self.node.args[arg], problem, allowed)

    def record_models(self, record: RecordRef) -> list[type[BaseModel]]:
        nested, scope = record.field, self.checker.scope
        model = scope.related[nested.root] if nested.related else scope.model
        return models_at(model, [step.attr for step in nested.steps])

    def reads(self, path: str) -> None:
        self.checker.fields.add(path)
