"""The policy expression language: what it allows, what it rejects, types, nulls, backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from regkit import Account, AccountSnapshot, CashMovement, Trade
from regkit.errors import PolicyError
from regkit.rules.lang import Scope, compile_expr, python_source, to_polars, to_python
from regkit.schemas.io import to_frame

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEI = "5493001KJTIIGC8Y1R12"
WHERE = "policy esma.yaml, rule ESMA-CFD-LEV, assert"
PARAMS: dict[str, Any] = {
    "leverage_caps": {"fx_major": 30, "fx_minor": 20, "gold": 20, "equity": 5},
    "min_margin": 0.5,
    "countries": ["DE", "CZ"],
    "limit": 1000,
    "label": "x",
    "strict": True,
    "sides": ["buy"],
}


def _trade(**changes: Any) -> Trade:
    data: dict[str, Any] = {
        "trade_id": "T1",
        "account_id": "A1",
        "side": "buy",
        "quantity": "100000",
        "price": "1.0850",
        "executed_at": "2026-11-20T09:30:00Z",  # a Friday
        "leverage": "50",
        "margin": "2170.00",
        "position_effect": "open",
        "instrument": {
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    }
    data.update(changes)
    return Trade.model_validate(data)


def _person(**changes: Any) -> Account:
    data: dict[str, Any] = {
        "account_id": "A1",
        "holder": {
            "kind": "person",
            "first_name": "Jan",
            "surname": "Novák",
            "nationalities": ["CZ"],
            "date_of_birth": "1980-02-29",
        },
        "category": "retail",
        "opened_at": "2026-11-01T00:00:00Z",
        "kyc": {"status": "verified", "pep": True},
    }
    data.update(changes)
    return Account.model_validate(data)


def _entity(lei: str | None = LEI) -> Account:
    holder: dict[str, Any] = {"kind": "entity", "name": "Acme Ltd"}
    if lei is not None:
        holder["lei"] = lei
    return Account.model_validate({"account_id": "A1", "holder": holder, "category": "retail"})


SCOPE = Scope("trade", {"account": Account}, PARAMS)


def _both(text: str, trade: Trade, account: Account | None) -> Any:
    """Evaluate on both backends and require the same value."""
    expr = compile_expr(text, SCOPE, where=WHERE)
    value = to_python(expr)(trade=trade, account=account, as_of=AS_OF)
    frame = to_frame([trade])
    if account is not None:
        accounts = to_frame([account])
        accounts = accounts.rename({c: f"account.{c}" for c in accounts.columns})
        frame = frame.join(
            accounts, left_on="account_id", right_on="account.account_id", how="left"
        )
    else:
        frame = frame.with_columns(
            pl.lit(None).alias(n) for n in expr.names if n.startswith("account.")
        )
    out = frame.select(to_polars(expr, as_of=AS_OF).alias("v"))["v"].to_list()[0]
    if isinstance(value, Decimal) and isinstance(out, Decimal):
        assert out.normalize() == value.normalize(), (text, value, out)
    else:
        assert out == value, (text, value, out)
    return value


# --- every allowed construct, evaluated ---------------------------------------------------

ALLOWED: list[tuple[str, Any]] = [
    ("True", True),
    ("None is None", True),
    ('"abc" == "abc"', True),
    ("1 < 2", True),
    ("0.5 + 0.25 == 0.75", True),
    ("trade.leverage", Decimal("50")),
    ("trade.leverage == 50", True),
    ("trade.leverage > 49.5", True),
    ("trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]", False),
    ('trade.leverage <= params.leverage_caps["fx_major"]', False),
    ("params.leverage_caps.gold", 20),
    ('params["limit"]', 1000),
    ("params.min_margin == 0.5", True),
    ("trade.margin >= params.min_margin", True),
    ('trade.instrument.product == "cfd"', True),
    ('trade.instrument.underlying_class != "gold"', True),
    ('trade.side == "buy"', True),
    ('trade.capacity == "DEAL"', True),
    ('trade.side in ["buy", "sell"]', True),
    ('trade.side not in ("sell",)', True),
    ("trade.side in params.sides", True),
    ('account.category == "retail"', True),
    ('account.holder.first_name == "Jan"', True),
    ("account.holder.name is None", True),
    ('account.kyc.status == "verified"', True),
    ("account.kyc.pep", True),
    ("not account.kyc.pep", False),
    ("account.kyc is not None", True),
    ("account.kyc is None", False),
    ('"CZ" in account.holder.nationalities', True),
    ('"DE" in account.holder.nationalities', False),
    ('account.holder.nationalities[0] == "CZ"', PolicyError),
    ("trade.notional", Decimal("108500.0000")),
    ("trade.notional > 100000", True),
    ("trade.quantity * trade.price == trade.notional", True),
    ("trade.leverage - 10", Decimal("40")),
    ("trade.leverage / 4", Decimal("12.5")),
    ("7 / 2", Decimal("3.5")),
    ("7 % 3", 1),
    ("-trade.leverage", Decimal("-50")),
    ("-trade.leverage % 7", Decimal("6")),
    ("trade.margin is not None and trade.margin > 0", True),
    ("trade.uti is None", True),
    ("trade.leverage > 30 or trade.leverage < 2", True),
    ('1 if trade.side == "buy" else 2', 1),
    ("trade.leverage if trade.leverage > 100 else 100", 100),
    ("abs(-trade.leverage)", Decimal("50")),
    ("len(account.holder.first_name)", 3),
    ("len(account.holder.nationalities)", 1),
    ("min(trade.leverage, 30)", 30),
    ("max(trade.leverage, 30, 40)", Decimal("50")),
    ("upper(account.holder.first_name)", "JAN"),
    ("lower(trade.capacity)", "deal"),
    ('upper(trade.side) == "BUY"', True),
    ("is_valid_lei(account.holder.lei)", False),
    ("days_between(trade.executed_at, as_of)", 5),
    ("days_between(as_of, trade.executed_at)", -6),
    (
        "days_between(account.holder.date_of_birth, date(as_of))",
        (AS_OF.date() - date(1980, 2, 29)).days,
    ),
    ("weekday(trade.executed_at)", 4),
    ("weekday(account.holder.date_of_birth)", date(1980, 2, 29).weekday()),
    ("date(trade.executed_at)", date(2026, 11, 20)),
    ("date(trade.executed_at) < date(as_of)", True),
    ("trade.executed_at < as_of", True),
    ("account.opened_at < trade.executed_at", True),
    ("1 < trade.leverage < 100", True),
    ("1 < trade.leverage < 10", False),
    (
        'account.category == "retail" and trade.instrument.product == "cfd" '
        'and trade.position_effect == "open"',
        True,
    ),
]


@pytest.mark.parametrize(("text", "expected"), ALLOWED)
def test_allowed_constructs_evaluate_alike_on_both_backends(text: str, expected: Any) -> None:
    if expected is PolicyError:
        with pytest.raises(PolicyError):
            compile_expr(text, SCOPE, where=WHERE)
        return
    value = _both(text, _trade(), _person())
    assert value == expected
    assert type(value) is not float


def test_nested_record_is_none_reads_a_witness_column() -> None:
    assert compile_expr("account.kyc is None", SCOPE).names == {"account.kyc.status"}
    assert compile_expr("account.holder is None", SCOPE).names == {"account.holder.kind"}
    for account in (_person(), _entity(), _person(kyc=None)):
        assert _both("account.holder is None", _trade(), account) is False
        assert _both("account.holder is not None", _trade(), account) is True
        assert _both("account.kyc is None", _trade(), account) is (account.kyc is None)
    assert _both("account.holder is None", _trade(), None) is True


def test_entity_holder_fields_and_lei() -> None:
    assert _both("is_valid_lei(account.holder.lei)", _trade(), _entity()) is True
    assert _both("is_valid_lei(account.holder.lei)", _trade(), _entity(None)) is False
    assert _both("account.holder.first_name is None", _trade(), _entity()) is True
    assert _both('account.holder.first_name == "Jan"', _trade(), _entity()) is False
    assert _both('upper(account.holder.name) == "ACME LTD"', _trade(), _entity()) is True


def test_other_record_kinds() -> None:
    movement = CashMovement.model_validate(
        {
            "movement_id": "M1",
            "account_id": "A1",
            "kind": "deposit",
            "amount": "9500.00",
            "currency": "EUR",
            "at": "2026-11-20T10:00:00Z",
        }
    )
    scope = Scope("movement", {"account": Account}, {"threshold": 10000})
    expr = compile_expr('movement.kind == "deposit" and movement.amount < params.threshold', scope)
    assert to_python(expr)(movement=movement, account=None) is True
    snapshot = AccountSnapshot.model_validate(
        {
            "account_id": "A1",
            "at": "2026-11-20T10:00:00Z",
            "balance": "-5",
            "equity": "-5",
            "currency": "EUR",
            "open_positions": 3,
        }
    )
    expr = compile_expr("snapshot.equity < 0 and snapshot.open_positions > 2", Scope("snapshot"))
    assert to_python(expr)(snapshot=snapshot) is True
    assert to_python(compile_expr("account.kyc is None", Scope("account"), where=WHERE)) is not None


# --- the public attributes ---------------------------------------------------------------


def test_expr_text_type_and_names() -> None:
    expr = compile_expr(
        ' account.category == "retail" and trade.leverage <= '
        "params.leverage_caps[trade.instrument.underlying_class] ",
        SCOPE,
    )
    assert expr.text.startswith("account.category")
    assert str(expr.type) == "bool"
    assert expr.names == {
        "account.category",
        "trade.leverage",
        "trade.instrument.underlying_class",
    }
    assert str(compile_expr("trade.side", SCOPE).type) == "enum Side"
    assert str(compile_expr("trade.notional * 2", SCOPE).type) == "decimal"
    assert str(compile_expr("len(trade.trade_id)", SCOPE).type) == "int"
    assert str(compile_expr("account.holder.nationalities", SCOPE).type) == "list of str"
    assert str(compile_expr("date(as_of)", SCOPE).type) == "date"


# --- rejections ------------------------------------------------------------------------------

REJECTED: list[tuple[str, list[str]]] = [
    ("trade.levrage > 1", ["trade has no field 'levrage'", "did you mean 'leverage'"]),
    ("trade.instrument.undrlying_class", ["underlying_class"]),
    ("account.holder.frist_name", ["first_name"]),
    ("account.categroy", ["did you mean 'category'"]),
    ("params.leverage_cap", ["unknown parameter 'leverage_cap'", "'leverage_caps'"]),
    ('params["limt"]', ["unknown parameter 'limt'", "'limit'"]),
    ("params.leverage_caps.silver", ["unknown parameter 'silver'", "known: "]),
    ("foo", ["unknown name 'foo'", "allowed:"]),
    ("tradee.leverage", ["unknown name 'tradee'", "did you mean 'trade'"]),
    ("trade", ["is a record"]),
    ("trade.instrument", ["nested record is not a value"]),
    ("account.kyc == 1", ["nested record is not a value"]),
    ("account.kyc is account.kyc", ["nested record is not a value"]),
    ("__import__('os')", ["'__import__'"]),
    ("trade.__class__", ["'__class__'"]),
    ("trade.__class__.__mro__", ["'__class__'"]),
    ("trade._private", ["'_private'"]),
    ("open('x')", ["unknown function 'open'"]),
    ("eval('1')", ["unknown function 'eval'"]),
    ("getattr(trade, 'x')", ["unknown function 'getattr'"]),
    ("trade.trade_id.upper()", ["calling a method", "upper(x)"]),
    ("uper(trade.trade_id)", ["unknown function 'uper'", "did you mean 'upper'"]),
    ("abs(1, 2)", ["abs() takes 1 argument(s), got 2"]),
    ("min(1)", ["min() takes at least 2 argument(s), got 1"]),
    ("days_between(as_of)", ["days_between() takes 2"]),
    ("abs(x=1)", ["keyword"]),
    ("lambda: 1", ["a lambda is not allowed"]),
    ("[x for x in params.countries]", ["a comprehension is not allowed"]),
    ("{x for x in params.countries}", ["a comprehension is not allowed"]),
    ("(x := 1)", ["assignment expression"]),
    ("f'{trade.leverage}'", ["an f-string is not allowed"]),
    ("min(*params.countries)", ["starred"]),
    ("params.countries[0:1]", ["a slice is not allowed"]),
    ("import os", ["syntax error"]),
    ("trade.leverage = 3", ["syntax error"]),
    ("{'a': 1}", ["dict display"]),
    ("~trade.leverage", ["the operator ~"]),
    ("trade.leverage ** 2", ["the operator Pow"]),
    ("b'x'", ["bytes literal"]),
    ("trade.trade_id[0]", ["subscripts are allowed only on params"]),
    ("params.countries[trade.side]", ["subscripts are allowed only on params"]),
    ("params.leverage_caps[trade.leverage]", ["params key must be a string or an enum"]),
    ("params.leverage_caps[1]", ["a params key must be a string"]),
    ("account.holder.national_ids", ["free-keyed mapping"]),
    ("trade.leverage.real", ["has no attributes"]),
    ("(1).real", ["attributes are allowed only on records"]),
    ("params", ["a parameter mapping is not a value"]),
    # static types
    ('trade.leverage == "50"', ["comparing decimal with str"]),
    ('trade.trade_id < "b"', ["ordering (<) a str"]),
    ('trade.trade_id + "x"', ["arithmetic (+) needs numbers, not str"]),
    ("trade.side + 1", ["arithmetic (+) needs numbers, not enum Side"]),
    ('trade.side == "bye"', ["'bye' is not a value of enum Side", "buy, sell"]),
    ('trade.capacity == "deal"', ["DEAL, MTCH, AOTC"]),
    ('trade.side in ["buy", "bye"]', ["'bye' is not a value"]),
    ("trade.side < trade.side", ["ordering (<) an enumeration"]),
    ("trade.side == account.category", ["comparing enum Side with enum ClientCategory"]),
    ("trade.side == 1", ["comparing enum Side with int"]),
    ("trade.leverage == None", ["use 'is None'"]),
    ("trade.leverage is 3", ["only against None"]),
    ("trade.leverage and True", ["and needs a boolean"]),
    ("not trade.trade_id", ["not needs a boolean"]),
    ("1 if trade.leverage else 2", ["condition of 'if' needs a boolean"]),
    ('1 if True else "x"', ["different types"]),
    ("trade.executed_at < date(as_of)", ["comparing datetime with date"]),
    ("trade.executed_at + 1", ["needs numbers, not datetime"]),
    ("trade.side in trade.trade_id", ["must be a list"]),
    ("1 in account.holder.nationalities", ["must be a string"]),
    ("len(trade.leverage) > 1", ["len() needs a string or a list"]),
    ("abs(trade.trade_id)", ["abs() needs a number"]),
    ("upper(trade.leverage)", ["upper() needs a string"]),
    ("is_valid_lei(trade.leverage)", ["is_valid_lei() needs a string"]),
    ("weekday(trade.leverage)", ["weekday() needs a date"]),
    ("days_between(trade.leverage, as_of)", ["days_between() needs dates"]),
    ("min(trade.trade_id, 'x')", ["min() needs numbers"]),
    ("[trade.leverage]", ["a list may hold only literals"]),
    ("[1, 'a']", ["one type"]),
    ("params.label == 1", ["comparing str with int"]),
    ("trade.side == params.label", ["'x' is not a value of enum Side"]),
    ("movement.amount", ["unknown name 'movement'"]),
]


@pytest.mark.parametrize(("text", "fragments"), REJECTED)
def test_rejections_name_where_the_text_and_what_is_allowed(
    text: str, fragments: list[str]
) -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expr(text, SCOPE, where=WHERE)
    message = str(caught.value)
    assert message.startswith(WHERE + ": ")
    for fragment in fragments:
        assert fragment in message, message


def test_message_quotes_the_offending_piece() -> None:
    with pytest.raises(PolicyError) as caught:
        compile_expr('account.category == "retail" and trade.levrage <= 30', SCOPE, where=WHERE)
    assert "in 'trade.levrage'" in str(caught.value)
    assert "fields: " in str(caught.value)


def test_scope_checks() -> None:
    with pytest.raises(PolicyError, match="unknown record kind"):
        Scope("order")
    with pytest.raises(PolicyError, match="not a plain identifier"):
        Scope("trade", {"__x": Account})
    with pytest.raises(PolicyError, match="clashes"):
        Scope("trade", {"params": Account})


def test_non_text_is_rejected() -> None:
    with pytest.raises(PolicyError, match="must be text"):
        compile_expr(3, SCOPE)  # type: ignore[arg-type]


# --- decimals, never floats ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1 + 0.2", Decimal("0.3")),
        ("0.1 + 0.2 == 0.3", True),
        ("1.10", Decimal("1.10")),
        ("1_000.5", Decimal("1000.5")),
        ("1e3", Decimal("1E+3")),
        ("12345678901234567890.123456789", Decimal("12345678901234567890.123456789")),
        ("params.min_margin", Decimal("0.5")),
        ("-0.5", Decimal("-0.5")),
    ],
)
def test_decimal_literals_are_exact(text: str, expected: Any) -> None:
    value = to_python(compile_expr(text, SCOPE))(trade=_trade())
    assert value == expected
    assert not isinstance(value, float)
    if isinstance(expected, Decimal):
        assert str(value) == str(expected)


def test_division_of_ints_is_decimal() -> None:
    assert to_python(compile_expr("1 / 3", SCOPE))(trade=_trade()) == Decimal(1) / Decimal(3)


# --- null semantics -------------------------------------------------------------------------

BARE = _trade(leverage=None, margin=None, position_effect=None)

NULLS: list[tuple[str, Any]] = [
    ("trade.leverage == 1", False),
    ("trade.leverage != 1", False),
    ("trade.leverage < 1", False),
    ("trade.leverage <= 1", False),
    ("trade.leverage > 1", False),
    ("trade.leverage >= 1", False),
    ("trade.leverage == trade.margin", False),
    ('trade.position_effect == "open"', False),
    ('trade.position_effect != "open"', False),
    ('trade.position_effect in ["open", "close"]', False),
    ('trade.position_effect not in ["open"]', False),
    ("trade.leverage is None", True),
    ("trade.leverage is not None", False),
    ("trade.leverage + 1", None),
    ("-trade.leverage", None),
    ("trade.leverage * 2 > 1", False),
    ("trade.notional / trade.leverage", None),
    ("trade.notional / 0", None),
    ("trade.notional % 0", None),
    ("not (trade.leverage > 1)", True),
    ("trade.leverage > 1 or True", True),
    ("trade.leverage > 1 and True", False),
    ("1 if trade.leverage > 1 else 2", 2),
    ("abs(trade.leverage)", None),
    ("min(trade.leverage, 1)", None),
    ("max(1, trade.leverage)", None),
    ("len(trade.uti)", None),
    ("upper(trade.uti)", None),
    ("is_valid_lei(trade.uti)", False),
    ("days_between(account.opened_at, as_of)", None),
    ("weekday(account.closed_at)", None),
    ("date(account.closed_at)", None),
    ("account.kyc.pep", False),
    ("not account.kyc.pep", True),
    ("account.kyc is None", True),
    ("account.kyc is not None", False),
    ("params.leverage_caps[trade.instrument.underlying_class] > 1", True),
]


@pytest.mark.parametrize(("text", "expected"), NULLS)
def test_null_semantics(text: str, expected: Any) -> None:
    account = Account.model_validate(
        {
            "account_id": "A1",
            "holder": {"kind": "entity", "name": "Acme"},
            "category": "professional",
        }
    )
    value = _both(text, BARE, account)
    assert value == expected
    if isinstance(expected, bool):
        assert type(value) is bool


def test_unknown_mapping_key_and_missing_related_record_are_none() -> None:
    gold = _trade(
        instrument={"symbol": "XAGUSD", "product": "cfd", "underlying_class": "commodity"}
    )
    assert _both("params.leverage_caps[trade.instrument.underlying_class] > 1", gold, None) is False
    assert _both("params.leverage_caps[trade.instrument.underlying_class] is None", gold, None)
    assert _both('account.category == "retail"', _trade(), None) is False
    assert _both("not account.kyc.pep", _trade(), None) is True


# --- generated code --------------------------------------------------------------------------


def test_generated_code_has_no_user_text() -> None:
    text = (
        "trade.lp_reference == \"x\\\"); __import__('os').system('echo') #\" "
        "and trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]"
    )
    expr = compile_expr(text, SCOPE)
    source = python_source(expr)
    assert "__import__" not in source
    assert "system" not in source
    assert "leverage_caps" not in source  # parameters are frozen in as constants
    assert "fx_major" not in source
    assert to_python(expr)(trade=_trade()) is False


def test_constant_params_are_frozen_in() -> None:
    expr = compile_expr('trade.leverage <= params.leverage_caps["fx_major"]', SCOPE)
    source = python_source(expr)
    assert "params" not in source.split("return", 1)[1]
    fn = to_python(expr)
    assert fn(trade=_trade(leverage="30"), params={"leverage_caps": {}}) is True
    assert to_python(expr) is fn  # compiled once


def test_generated_function_has_no_builtins() -> None:
    fn = to_python(compile_expr("abs(trade.leverage) > 1", SCOPE))
    assert fn.__globals__ == {"__builtins__": {}}


def test_polars_needs_as_of_when_read() -> None:
    with pytest.raises(PolicyError, match="as_of"):
        to_polars(compile_expr("trade.executed_at < as_of", SCOPE))


def test_polars_column_mapping() -> None:
    expr = compile_expr('account.category == "retail" and trade.leverage > 10', SCOPE)
    frame = pl.DataFrame({"t_leverage": [Decimal("50"), None], "a_category": ["retail", "retail"]})
    mapped = to_polars(
        expr, columns=lambda path: path.replace("trade.", "t_").replace("account.", "a_")
    )
    assert frame.select(mapped.alias("v"))["v"].to_list() == [True, False]
    again = expr.polars(columns=lambda p: p.replace("trade.", "t_").replace("account.", "a_"))
    assert frame.select(again.alias("v"))["v"].to_list() == [True, False]


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "1" + ")" * 500,
        "not " * 3000 + "True",
        "1 + " * 2400 + "1",
        "x" * 10_001,
        "1\x00",
        "trade.leverage + " * 400 + "1 > 2",
    ],
)
def test_pathological_text_is_a_policy_error(text: str) -> None:
    with pytest.raises(PolicyError):
        compile_expr(text, SCOPE, where=WHERE)
