"""Many rules of one record kind as one generated Python function that writes their findings.

The per-record backend's fast path: :func:`findings_function` writes the tests of every rule
(``when`` and ``assert``), the evidence and the message of each failure into one function,
with the savings :class:`_SharedGen` lists (each leaves every value what
:func:`~regkit.rules.lang.to_python` of each expression gives).
"""

from __future__ import annotations

import ast
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from regkit.errors import PolicyError
from regkit.rules.lang.functions import FUNCTIONS
from regkit.rules.lang.nodes import (
    NONE,
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    Field,
    IsNone,
    Lookup,
    Neg,
    Node,
    RecordRef,
    Step,
)
from regkit.rules.lang.pycodegen import PyGen, format_value, generated_function
from regkit.rules.lang.scope import Checked, Scope
from regkit.schemas.base import Record
from regkit.schemas.trade import Trade

__all__ = ["FindingCode", "findings_function"]


class FindingCode(typing.NamedTuple):
    """One rule as :func:`findings_function` generates it: what to check, what to write."""

    when: Checked | None
    assertion: Checked
    evidence: Sequence[Checked]
    message: Sequence[tuple[str, Checked | None, str]]
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


def findings_function(
    rules: Sequence[FindingCode],
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
    pieces' texts and formatted values, exactly as :func:`~regkit.rules.lang.to_python` of
    each expression would give them, with no call per expression. The record's key is read
    once, at the first failure; with ``key_fields``, a record of exactly the scope's class
    gets the ``str`` of those fields joined by ``|`` (what ``Record.key`` gives, when the
    class keeps it) without the call. With ``event``, the record's field of that name is
    ``at`` itself (the caller passes ``record.<event>`` as ``at``) and is not read again.
    Whatever an expression raises escapes. Also returns whether the code reads ``as_of``.

    Examples:
        >>> from regkit.rules.lang import Scope, compile_expr
        >>> scope = Scope("trade")
        >>> code = FindingCode(None, compile_expr("trade.leverage <= 30", scope), [],
        ...                    [("leverage ", compile_expr("trade.leverage", scope), "")],
        ...                    "too high", "LEV")
        >>> fn, reads_as_of = findings_function([code], lambda *found: found)
        >>> fn(types.SimpleNamespace(leverage=50, key="T1"), None, None)
        [('LEV', 'T1', None, {}, 'leverage 50')]
    """
    if not rules:
        return (lambda *args: []), False
    scope = rules[0].assertion.scope
    _check_rules(rules, scope)
    gen = _shared_gen(rules, scope, event)
    head, lines, in_force, dated = _dates_code(gen, rules)
    for rule in rules:
        lines.append(_rule_code(gen, rule, in_force, _RecordCode(scope, key_fields, make)))
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
    function = generated_function(tree, gen.consts, "<regkit findings>")
    return function, reads_as_of


def _check_rules(rules: Sequence[FindingCode], scope: Scope) -> None:
    """Refuse rules of another record scope, and a ``when`` or assertion that is no boolean."""
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


def _shared_gen(rules: Sequence[FindingCode], scope: Scope, event: str | None) -> _SharedGen:
    """The generator for the rules, sharing the reads and comparisons they make more than
    once (counted by writing their tests once with a throwaway generator)."""
    bound: dict[_Path, str] = {} if event is None else {(scope.record, (event,)): "_at"}
    inline: dict[_Path, tuple[tuple[str, ...], ...]] = {
        (scope.record, (name,)): spec
        for (model, name), spec in _INLINE.items()
        if model is scope.model
    }
    counting = _SharedGen(bound=bound, inline=inline, model=scope.model)
    for rule in rules:
        _failing_test(counting, rule)
    return _SharedGen(
        frozenset(prefix for prefix, uses in counting.uses.items() if uses > 1),
        frozenset(key for key, uses in counting.compare_uses.items() if uses > 1),
        bound=bound,
        inline=inline,
        model=scope.model,
    )


_Window = tuple[date | None, date | None]


def _dates_code(
    gen: _SharedGen, rules: Sequence[FindingCode]
) -> tuple[list[str], list[str], dict[_Window, str], bool]:
    """The lines that test the day against the rules' dates: those before the prologue
    (``head``), the first lines of the body, the name of each window's test, and whether
    any rule is dated."""
    head: list[str] = []
    lines = ["        _out = []\n", "        _key = None\n"]
    in_force: dict[_Window, str] = {}
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
    return head, lines, in_force, dated


class _RecordCode(typing.NamedTuple):
    """What every rule's finding is made with: the scope, the key fields, ``make``."""

    scope: Scope
    key_fields: Sequence[str]
    make: Callable[[Any, str, Any, dict[str, Any], str], Any]


def _rule_code(
    gen: _SharedGen, rule: FindingCode, in_force: Mapping[_Window, str], record: _RecordCode
) -> str:
    """The lines of one rule: its test, and the finding it makes when it fails."""
    fails, known = _failing_test(gen, rule)
    if (rule.starts, rule.ends) in in_force:
        fails = f"{in_force[rule.starts, rule.ends]} and {fails}"
    gen.known = known  # evidence and message are worked out where ``when`` held
    evidence, held = _evidence_code(gen, rule)
    pieces = _message_pieces(gen, rule, held)
    gen.known = frozenset()
    message = gen.const(rule.default)
    if pieces:
        message = f"({' + '.join(pieces)}) or {message}"
    return (
        f"        if {fails}:\n"
        f"            if _key is None:\n"
        f"                _key = {_key_code(gen, record.scope, record.key_fields)}\n"
        f"            _out.append({gen.const(record.make)}({gen.const(rule.tag)}, _key, _at, "
        f"{{{evidence}}}, {message}))\n"
    )


def _evidence_code(gen: _SharedGen, rule: FindingCode) -> tuple[str, dict[str, str]]:
    """The items of the evidence dict, and the locals holding the values the message shows
    too (a value both in the evidence and in the message is worked out once: the evidence
    comes first, the same expression of the same record)."""
    told = {value.text for _, value, _ in rule.message if value is not None}
    held: dict[str, str] = {}
    items = []
    for expr in rule.evidence:
        code = _value_code(gen, expr)
        if expr.text in told and expr.text not in held:
            held[expr.text] = gen.temp()
            code = f"({held[expr.text]} := {code})"
        items.append(f"{gen.const(expr.text)}: {code}")
    return ", ".join(items), held


def _message_pieces(gen: _SharedGen, rule: FindingCode, held: Mapping[str, str]) -> list[str]:
    """The code of each piece of the message: texts, and values formatted (``—`` for
    ``None``)."""
    pieces = []
    for text, value, spec in rule.message:
        if text:
            pieces.append(gen.const(text))
        if value is not None and _plain_const(value) and not spec:
            node = typing.cast(Const, value.node)
            pieces.append(gen.const("—" if node.value is None else format(node.value, "")))
        elif value is not None and value.text in held:
            name = held[value.text]
            pieces.append(
                f"({gen.const('—')} if {name} is None "
                f"else {gen.const(format_value)}({name}, {gen.const(spec)}))"
            )
        elif value is not None:
            name = gen.temp()
            pieces.append(
                f"({gen.const('—')} if ({name} := {_value_code(gen, value)}) is None "
                f"else {gen.const(format_value)}({name}, {gen.const(spec)}))"
            )
    return pieces


def _failing_test(gen: _SharedGen, rule: FindingCode) -> tuple[str, frozenset[_Path]]:
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


def _in_dates(gen: PyGen, starts: date | None, ends: date | None) -> str:
    """The test that ``_day`` is in ``[starts, ends)``."""
    bounds = [f"_day >= {gen.const(starts)}"] if starts else []
    bounds += [f"_day < {gen.const(ends)}"] if ends else []
    return " and ".join(bounds)


_ORDERINGS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_Prefix = tuple[str, tuple[Step, ...]]
_Path = tuple[str, tuple[str, ...]]
"""A read by its root and attribute names: ``("account", ("kyc", "status"))``."""

#: Constants that are never equal to ``None``: ``x == c`` needs no test of ``x is None``.
_EQ_CONSTANTS = (str, int, bool, Decimal, date, datetime)
#: Derived fields the generated code works out as their property does (the same operations
#: on the same fields, in the same order), for a record of exactly the class: the fields
#: multiplied, each read from the record.
_INLINE: dict[tuple[type[Record], str], tuple[tuple[str, ...], ...]] = {
    (Trade, "notional"): (("quantity",), ("price",), ("instrument", "price_multiplier")),
}


class _SharedGen(PyGen):
    """The code :class:`PyGen` writes, with savings that leave every value the same.

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

    def gen(self, node: Node) -> str:
        if isinstance(node, Lookup):
            held = self.lookups.get(id(node.mapping))
            if held is None:  # the mapping is held, so its id names it for good
                held = self.lookups[id(node.mapping)] = (
                    node.mapping,
                    self.const(dict(node.mapping).get),
                )
            return f"{held[1]}({self.gen(node.key)})"
        if isinstance(node, BoolOp) and node.op == "and":
            known = self.known
            parts = []
            for value in node.values:
                parts.append(self.truth(value))
                self.known = self.known | _facts(value)  # the later operands run where it held
            self.known = known
            return "(" + " and ".join(parts) + ")"
        return super().gen(node)

    def nullable(self, node: Node) -> bool:
        """Whether the node may be ``None`` where the code runs (see ``known``)."""
        if not node.nullable or not self.known:
            return node.nullable
        if isinstance(node, Field):
            return _path(node) not in self.known
        if isinstance(node, Arith) and node.op in ("+", "-", "*"):
            return self.nullable(node.left) or self.nullable(node.right)
        if isinstance(node, Neg):
            return self.nullable(node.operand)
        if isinstance(node, Call) and FUNCTIONS[node.name].strict:
            return any(self.nullable(arg) for arg in node.args)
        return True

    def truth(self, node: Node) -> str:
        code = self.gen(node)
        return f"({code} is True)" if self.nullable(node) else code

    def guard(self, node: Node) -> tuple[str, str, str | None]:
        code = self.gen(node)
        if not self.nullable(node):
            return code, code, None
        if code.isidentifier():  # a local: test it as it is
            return code, code, code
        name = self.temp()
        return f"({name} := {code})", name, name

    def field(self, node: Field) -> str:
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
                    Field(node.type, node.nullable, self.local(prefix), rest, node.related)
                )
        return self.read(Field(node.type, node.nullable, node.root, steps, node.related))

    def read(self, node: Field) -> str:
        """:meth:`PyGen.field`, testing a root that is a name (a local, a related record)
        for ``None`` as it is, with no new name."""
        root, steps = node.root, node.steps
        if not (steps and steps[0].container_nullable and root.isidentifier()):
            return super().field(node)
        if steps[0].maybe_absent:
            first = f"{self.const(getattr)}({root}, {steps[0].attr!r}, None)"
        else:
            first = f"{root}.{steps[0].attr}"
        code = f"(None if {root} is None else {first})"
        return super().field(Field(node.type, node.nullable, code, steps[1:], node.related))

    def derived(self, node: Field) -> str:
        """A derived field of the record, worked out as its property does for a record of
        exactly the scope's class, read otherwise."""
        product = " * ".join(
            self.field(
                Field(NONE, False, node.root, tuple(Step(a, False, False) for a in attrs), False)
            )
            for attrs in self.inline[_path(node)]
        )
        exact = f"{self.const(type)}({node.root}) is {self.const(self.model)}"
        return f"(({product}) if {exact} else {super().field(node)})"

    def unguarded(self, node: Field) -> tuple[Step, ...]:
        """The steps of a read, with no test of an object known not to be ``None``."""
        if not self.known:
            return node.steps
        names = tuple(step.attr for step in node.steps)
        return tuple(
            Step(step.attr, False, step.maybe_absent)
            if step.container_nullable and (node.root, names[:index]) in self.known
            else step
            for index, step in enumerate(node.steps)
        )

    def local(self, prefix: _Prefix) -> str:
        """The local that holds a shared read (made in the prologue)."""
        name = self.locals.get(prefix)
        if name is None:
            root, steps = prefix
            read = Field(NONE, True, root, steps, False)
            code = self.read(read)
            if not steps[-1].container_nullable and _path(read) in self.inline:
                code = self.derived(read)
            for end in range(len(steps) - 1, 0, -1):
                if (root, steps[:end]) in self.shared:
                    parent = self.local((root, steps[:end]))
                    code = self.read(Field(NONE, True, parent, steps[end:], False))
                    break
            name = self.locals[prefix] = f"_r{len(self.locals)}"
            self.prologue.append(f"{name} = {code}")
        return name

    def compare(self, node: Compare) -> str:
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

    def plain_compare(self, node: Compare) -> str:
        if node.op in _ORDERINGS:
            left, right = _as_decimal(node.left, node.right), _as_decimal(node.right, node.left)
            node = Compare(node.type, node.nullable, node.op, left, right)
        if node.op == "==" and any(
            isinstance(side, Const) and type(side.value) in _EQ_CONSTANTS
            for side in (node.left, node.right)
        ):
            # ``None == c`` is False, what the test of ``None`` gives: no test needed.
            return f"({self.gen(node.left)} == {self.gen(node.right)})"
        return super().compare(node)


def _path(node: Field) -> _Path:
    return node.root, tuple(step.attr for step in node.steps)


def _compare_key(node: Compare) -> tuple[Any, ...] | None:
    """What a comparison of a field with a field or a constant compares, or ``None``."""
    sides: list[Any] = []
    for side in (node.left, node.right):
        if isinstance(side, Field):
            sides.append(_path(side))
        elif isinstance(side, Const) and type(side.value) in (*_EQ_CONSTANTS, tuple):
            sides.append((type(side.value).__name__, repr(side.value)))
        else:
            return None
    if not any(isinstance(side, Field) for side in (node.left, node.right)):
        return None
    return (node.op, *sides)


def _facts(node: Node) -> frozenset[_Path]:
    """The reads that are not ``None`` where a boolean node held."""
    if isinstance(node, IsNone) and node.negate:
        return _not_none(node.operand)
    if isinstance(node, Compare):  # a comparison with a None operand is False
        return _not_none(node.left) | _not_none(node.right)
    if isinstance(node, BoolOp) and node.op == "and":
        return frozenset().union(*(_facts(value) for value in node.values))
    return frozenset()


def _not_none(node: Node) -> frozenset[_Path]:
    """The reads that are not ``None`` where a node's value is not ``None``."""
    if isinstance(node, RecordRef):
        node = node.field
    if isinstance(node, Field):
        root, names = _path(node)
        return frozenset((root, names[:end]) for end in range(len(names) + 1))
    if isinstance(node, Arith):
        return _not_none(node.left) | _not_none(node.right)
    if isinstance(node, Neg):
        return _not_none(node.operand)
    if isinstance(node, Call) and FUNCTIONS[node.name].strict:
        return frozenset().union(*(_not_none(arg) for arg in node.args))
    return frozenset()


def _as_decimal(side: Node, other: Node) -> Node:
    """``side`` with its int constants as decimals, when compared with a decimal."""
    if other.type.kind != "decimal":
        return side
    if isinstance(side, Const) and type(side.value) is int:
        return Const(side.type, side.nullable, Decimal(side.value))
    if isinstance(side, Lookup) and any(type(v) is int for v in side.mapping.values()):
        mapping = types.MappingProxyType(
            {k: Decimal(v) if type(v) is int else v for k, v in side.mapping.items()}
        )
        return Lookup(side.type, side.nullable, mapping, side.key)
    return side


def _key_code(gen: PyGen, scope: Scope, key_fields: Sequence[str]) -> str:
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


def _plain_const(expr: Checked) -> bool:
    """A constant whose text is known before any record is (not a decimal: its text could
    follow the decimal context of the call)."""
    node = expr.node
    return isinstance(node, Const) and (node.value is None or type(node.value) in (int, str, bool))


def _value_code(gen: PyGen, expr: Checked) -> str:
    """The code of an expression's value, as :func:`to_python` gives it."""
    return gen.truth(expr.node) if expr.type.kind == "bool" else gen.gen(expr.node)
