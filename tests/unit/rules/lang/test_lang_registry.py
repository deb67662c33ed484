"""The registry of functions is the one table the checker, both backends and the docs read."""

from __future__ import annotations

import ast
from datetime import UTC, datetime

import pytest

import regkit.rules
from regkit import Account
from regkit.errors import PolicyError
from regkit.rules import expr as old
from regkit.rules import lang
from regkit.rules.lang import ARITY, FUNCTIONS, Function, Scope, compile_expr, nodes, python_source

SCOPE = Scope("trade", {"account": Account})


def test_every_entry_is_whole() -> None:
    for name, function in FUNCTIONS.items():
        assert isinstance(function, Function)
        assert function.name == name
        assert (function.python is None) != (function.method is None), name
        assert not (function.self_guarded and function.method is not None), name
        assert function.max_args is None or function.max_args >= function.min_args
        assert callable(function.check)
        assert callable(function.polars)


def test_the_arity_view_keeps_the_old_shape() -> None:
    assert dict(ARITY) == {
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
        "fits_digits": (3, 3),
        "matches": (2, 2),
        "mic_category": (1, 1),
        "mic_country": (1, 1),
        "cfi": (1, 1),
    }
    assert regkit.rules.FUNCTIONS is old.FUNCTIONS
    assert old.FUNCTIONS is ARITY


def test_the_old_module_re_exports_the_same_objects() -> None:
    for name in old.__all__:
        if name != "FUNCTIONS":
            assert getattr(old, name) is getattr(lang, name), name
    assert old._findings_function is lang.findings_function
    assert old._FindingCode is lang.FindingCode
    assert old._default_columns is lang.default_columns


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_the_checker_reads_the_arity(name: str) -> None:
    low = FUNCTIONS[name].min_args
    with pytest.raises(PolicyError, match=rf"{name}\(\) takes .* argument\(s\), got {low - 1}"):
        compile_expr(f"{name}({', '.join(['trade.leverage'] * (low - 1))})", SCOPE)


def test_the_typed_tree_is_public() -> None:
    node = compile_expr(
        "upper(trade.instrument.symbol) == 'EURUSD' and account.holder is not None", SCOPE
    ).node
    assert isinstance(node, nodes.BoolOp)
    compare, is_none = node.values
    assert isinstance(compare, nodes.Compare)
    assert isinstance(compare.left, nodes.Call)
    assert isinstance(compare.left.args[0], nodes.Field)
    assert isinstance(is_none, nodes.IsNone)
    assert isinstance(is_none.operand, nodes.RecordRef)
    for name in nodes.__all__:
        assert not name.startswith("_")


def test_generated_code_is_as_before() -> None:
    expr = compile_expr(
        "working_days_between(trade.executed_at, as_of, 'UK') <= 1 "
        "and upper(trade.instrument.symbol) != 'X'",
        SCOPE,
    )
    assert python_source(expr) == (
        "def _make(_c0, _c1, _c2):\n"
        "    def _rule(*, trade, account=None, params=None, as_of=None):\n"
        "        return ((_c1(trade.executed_at, as_of, _c0) <= (1))"
        " and ((trade.instrument.symbol.upper()) != _c2))\n"
        "    return _rule\n"
    )
    ast.parse(python_source(expr))
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)  # the Monday after a Friday
    fn = expr.python()
    trade = type("T", (), {})()
    trade.executed_at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    trade.instrument = type("I", (), {"symbol": "EURUSD"})()
    assert fn(trade=trade, as_of=now) is True
