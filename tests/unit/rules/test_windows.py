"""Aggregate rules, case by case: what a compliance officer expects of a structuring alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import regkit as rk
from regkit import CashMovement
from regkit.errors import PolicyError
from regkit.rules.policy import parse_policy

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
DAY = datetime(2026, 11, 20, tzinfo=UTC)
ENGINES = ["python", "polars"]

STRUCTURING = """\
policy: aml
version: "2026.1"
parameters: {threshold: 10000}
rules:
  - id: AML-STRUCT
    title: Deposits split under the reporting threshold
    severity: high
    applies_to: movement
    where: movement.kind == "deposit" and movement.amount < params.threshold
    group_by: [movement.account_id]
    window: 24h
    aggregate: {deposits: count(), total: sum(movement.amount)}
    assert: not (deposits >= 3 and total >= params.threshold)
    message: "{deposits} deposits totalling {total} within 24h"
    evidence: [movement.amount]
    reference: {regulator: EU, document: "Directive (EU) 2015/849", article: "Art. 18"}
"""


def deposit(
    number: int, hours: float, amount: str = "4000", account: str = "A1", kind: str = "deposit"
) -> CashMovement:
    return CashMovement(
        movement_id=f"M{number}",
        account_id=account,
        kind=kind,
        amount=amount,
        currency="EUR",
        at=DAY + timedelta(hours=hours),
    )


def run(text: str, movements: list[CashMovement], engine: str) -> list[rk.Finding]:
    policy = parse_policy(text, "aml.yaml")
    return rk.check(policy, movements=movements, as_of=AS_OF, engine=engine).findings  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_structuring_is_one_alert_naming_every_deposit(engine: str) -> None:
    movements = [
        deposit(1, 1),
        deposit(2, 5),
        deposit(3, 6, account="A2"),
        deposit(4, 9),
        deposit(5, 12),  # still overlapping: the same episode grows
        deposit(6, 10, kind="withdrawal"),  # does not enter
    ]
    (finding,) = run(STRUCTURING, movements, engine)
    assert finding.rule_id == "AML-STRUCT"
    assert finding.record_id == "M4"  # the deposit whose window failed first
    assert finding.group_key == ("A1",)
    assert finding.member_ids == ("M1", "M2", "M4", "M5")
    assert finding.evidence == {
        "deposits": 3,
        "total": Decimal("12000"),
        "movement.amount": Decimal("4000"),
    }
    assert finding.message == "3 deposits totalling 12000 within 24h"
    assert finding.at == DAY + timedelta(hours=9)
    assert finding.rule_version == "2026.1"
    assert finding.reference["article"] == "Art. 18"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_window_is_open_at_its_start_and_closed_at_its_end(engine: str) -> None:
    # (t - 24h, t]: the deposit exactly 24 hours earlier has left the window.
    movements = [deposit(1, 0), deposit(2, 12), deposit(3, 24)]
    assert run(STRUCTURING, movements, engine) == []
    movements = [deposit(1, 0.001), deposit(2, 12), deposit(3, 24)]
    assert [f.member_ids for f in run(STRUCTURING, movements, engine)] == [("M1", "M2", "M3")]


@pytest.mark.parametrize("engine", ENGINES)
def test_records_of_the_same_time_count_in_input_order(engine: str) -> None:
    text = STRUCTURING.replace("deposits >= 3 and total >= params.threshold", "deposits >= 2")
    movements = [deposit(3, 1), deposit(1, 1), deposit(2, 1)]
    (finding,) = run(text, movements, engine)
    # The second of the three (in input order) is the first whose window holds two.
    assert finding.record_id == "M1"
    assert finding.member_ids == ("M3", "M1", "M2")


@pytest.mark.parametrize("engine", ENGINES)
def test_windows_that_share_no_record_are_separate_episodes(engine: str) -> None:
    movements = [deposit(n, h) for n, h in enumerate([0, 1, 2, 30, 31, 32], start=1)]
    findings = run(STRUCTURING, movements, engine)
    assert [(f.record_id, f.member_ids) for f in findings] == [
        ("M3", ("M1", "M2", "M3")),
        ("M6", ("M4", "M5", "M6")),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_calendar_day_window_starts_again_at_midnight_utc(engine: str) -> None:
    text = STRUCTURING.replace("window: 24h", "window: calendar_day")
    movements = [deposit(1, 20), deposit(2, 22), deposit(3, 25), deposit(4, 26)]
    assert run(text, movements, engine) == []
    movements.append(deposit(5, 27))
    (finding,) = run(text, movements, engine)
    assert finding.member_ids == ("M3", "M4", "M5")


@pytest.mark.parametrize("engine", ENGINES)
def test_aggregates_skip_missing_values(engine: str) -> None:
    text = """\
policy: p
version: "1"
rules:
  - id: COUNTRIES
    severity: medium
    applies_to: movement
    group_by: [movement.account_id]
    window: 7d
    aggregate: {countries: count_distinct(movement.payer_country), n: count()}
    assert: countries < 2
"""
    movements = [
        deposit(1, 0).model_copy(update={"payer_country": "DE"}),
        deposit(2, 1),
        deposit(3, 2).model_copy(update={"payer_country": "DE"}),
        deposit(4, 3).model_copy(update={"payer_country": "CY"}),
    ]
    (finding,) = run(text, movements, engine)
    assert finding.evidence == {"countries": 2, "n": 4}
    assert finding.record_id == "M4"


@pytest.mark.parametrize("engine", ENGINES)
def test_records_outside_the_rule_dates_do_not_enter(engine: str) -> None:
    text = STRUCTURING.replace(
        "    window: 24h\n", "    window: 24h\n    effective_from: 2026-11-21\n"
    )
    movements = [deposit(1, 20), deposit(2, 22), deposit(3, 23), deposit(4, 25)]
    assert run(text, movements, engine) == []


def test_streaming_gives_an_alert_as_the_episode_opens_and_the_batch_findings_at_the_end() -> None:
    policy = parse_policy(STRUCTURING)
    state = policy.compile(as_of=AS_OF).window_state()
    movements = [deposit(1, 1), deposit(2, 5), deposit(4, 9), deposit(5, 12)]
    alerts = [state.add_movement(m) for m in movements]
    assert [[a.member_ids for a in each] for each in alerts] == [[], [], [("M1", "M2", "M4")], []]
    assert state.findings() == rk.check(policy, movements=movements, as_of=AS_OF).findings
    assert state.findings()[0].member_ids == ("M1", "M2", "M4", "M5")


def test_streaming_refuses_a_record_older_than_its_group() -> None:
    state = parse_policy(STRUCTURING).compile(as_of=AS_OF).window_state()
    state.add_movement(deposit(2, 5))
    with pytest.raises(ValueError, match=r"'M1' .* earlier than 'M2' .* \('A1',\)"):
        state.add_movement(deposit(1, 1))


def test_check_movement_with_history_answers_for_the_window_at_that_movement() -> None:
    checker = parse_policy(STRUCTURING).compile(as_of=AS_OF)
    history = [deposit(1, 1), deposit(2, 5)]
    (finding,) = checker.check_movement(deposit(4, 9), history=history)
    assert finding.member_ids == ("M1", "M2", "M4")
    assert checker.check_movement(deposit(4, 30), history=history) == []
    assert checker.check_movement(deposit(4, 9)) == []  # no history: record rules only


def test_a_rule_that_raises_on_a_window_is_an_error_finding() -> None:
    checker = parse_policy(STRUCTURING).compile(as_of=AS_OF)
    (rule,) = checker.aggregate_rules("movement")

    def broken(**names: object) -> bool:
        raise ArithmeticError("boom")

    rule.holds = broken
    state = checker.window_state()
    (finding,) = state.add_movement(deposit(1, 1))
    assert finding.severity == rk.Severity.ERROR
    assert "ArithmeticError: boom" in finding.message
    assert state.findings() == [finding]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("    window: 24h\n", "    window: 24h\n    when: movement.amount > 0\n"),
            "'when' is for",
        ),
        (("sum(movement.amount)", "sum(movement.currency)"), r"sum\(\) needs a number"),
        (("deposits >= 3", "deposit >= 3"), r"unknown name 'deposit' .*did you mean 'deposits'"),
        (("{total} within", "{totl} within"), r"message: unknown name 'totl'"),
        (("max(movement.amount)", "x"), "not one of"),
        (("movement.kind ==", "movement.knd =="), r"where: .*no field 'knd'"),
    ],
)
def test_a_wrong_aggregate_rule_is_refused_when_loaded(
    change: tuple[str, str], message: str
) -> None:
    text = STRUCTURING.replace(*change)
    if change[0] == "max(movement.amount)":
        text = STRUCTURING.replace("count()", "median(movement.amount)")
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, "aml.yaml")


def fx(number: int, hours: float, quantity: str, side: str = "buy") -> rk.Trade:
    return rk.Trade.model_validate(
        {
            "trade_id": f"T{number}",
            "account_id": "A1",
            "side": side,
            "quantity": quantity,
            "price": "1.0850",
            "executed_at": DAY + timedelta(hours=hours),
            "instrument": {
                "symbol": "EURUSD",
                "product": "cfd",
                "underlying_class": "fx_major",
                "base_currency": "EUR",
                "quote_currency": "USD",
            },
        }
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_legs_put_one_record_in_several_groups(engine: str) -> None:
    policy = rk.load_policy("exposure")
    trades = [
        fx(1, 1, "600000"),
        fx(2, 2, "600000", "sell"),
        fx(3, 3, "700000"),
        fx(4, 4, "500000"),
    ]
    found = rk.check(policy, trades=trades, as_of=AS_OF, engine=engine).findings  # type: ignore[arg-type]
    net = [
        (f.record_id, f.group_key, f.member_ids) for f in found if f.rule_id == "EXPO-NET-POSITION"
    ]
    # EUR: 600k, 0, 700k, 1.2M (breach at T4); USD: -651k, 0, -759.5k, -1.302M x 0.92 (breach)
    # A running total's members are the records that kept it over the limit.
    assert net == [("T4", ("A1", "EUR"), ("T4",)), ("T4", ("A1", "USD"), ("T4",))]


def test_streaming_legs_equal_the_batch() -> None:
    policy = rk.load_policy("exposure")
    trades = [fx(n, n, "400000", "buy" if n % 3 else "sell") for n in range(1, 12)]
    state = policy.compile(as_of=AS_OF).window_state()
    for deal in trades:
        state.add_trade(deal)
    assert state.findings() == rk.check(policy, trades=trades, as_of=AS_OF).findings


@pytest.mark.parametrize(
    ("legs", "message"),
    [
        (
            "[{currency: trade.instrument.base_currency}, {ccy: trade.instrument.quote_currency}]",
            "every leg names currency",
        ),
        (
            "[{currency: trade.instrument.base_currency}, {currency: trade.quantity}]",
            "currency is str in one leg and decimal",
        ),
        ("[{position: trade.quantity}]", "'position' names both a leg value and an aggregate"),
        ("{currency: trade.instrument.base_currency}", "legs is a list of mappings"),
    ],
)
def test_wrong_legs_are_refused_when_loaded(legs: str, message: str) -> None:
    text = f"""\
policy: p
version: "1"
rules:
  - id: NOP
    severity: low
    applies_to: trade
    legs: {legs}
    group_by: [trade.account_id]
    window: all
    aggregate: {{position: sum(trade.quantity)}}
    assert: position < 10
"""
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, "p.yaml")


def test_check_movement_takes_a_history_of_movements_and_trades() -> None:
    checker = rk.load_policy("aml").compile(as_of=AS_OF)
    deposit = CashMovement(
        movement_id="M1",
        account_id="A1",
        kind="deposit",
        amount="5000",
        currency="EUR",
        at="2026-11-10T09:00:00Z",
    )
    withdrawal = deposit.model_copy(
        update={
            "movement_id": "M2",
            "kind": "withdrawal",
            "amount": Decimal("4500"),
            "at": datetime(2026, 11, 14, 9, tzinfo=UTC),
        }
    )
    alone = checker.check_movement(withdrawal, history=[deposit])
    assert [(f.rule_id, f.member_ids) for f in alone] == [("AML-IN-AND-OUT", ("M1", "M2"))]
    traded = fx(1, 1, "10000").model_copy(
        update={"executed_at": datetime(2026, 11, 12, 9, tzinfo=UTC)}
    )
    assert checker.check_movement(withdrawal, history=[traded, deposit]) == []


def test_streaming_refuses_a_wrong_account_or_a_non_record() -> None:
    state = parse_policy(STRUCTURING).compile(as_of=AS_OF).window_state()
    other = rk.Account.model_validate(
        {"account_id": "A2", "category": "retail",
         "holder": {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]}}
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"^WindowState.add: account: 'A2' is not the record's"):
        state.add_movement(deposit(1, 1), account=other)
    with pytest.raises(TypeError, match=r"^WindowState.add: record: expected a regkit.CashMov"):
        state.add_movement(deposit(1, 1).model_dump())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^WindowState.add: kind: expected one of"):
        state.add("deposit", deposit(1, 1))
    assert state.findings() == []  # nothing refused went in
