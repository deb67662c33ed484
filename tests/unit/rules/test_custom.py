"""Python rules: registered with a decorator, run on both engines, hashed with the policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

import regkit as rk
from regkit.errors import PolicyError
from regkit.rules import Fail, rule
from regkit.rules.policy import parse_policy

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)

POLICY = """\
policy: kyc
version: "1"
parameters: {min_age: 18}
rules:
  - id: KYC-CATEGORY
    severity: low
    applies_to: account
    assert: account.category is not None
"""


@rule(
    "KYC-AGE",
    applies_to="account",
    severity="high",
    title="Client under the minimum age",
    reference={"regulator": "EU", "document": "Directive 2014/65/EU", "article": "Art. 25"},
)
def adult(account: rk.Account, params: Any, as_of: datetime) -> bool | Fail:
    born = getattr(account.holder, "date_of_birth", None)
    if born is None:
        return True
    age = (as_of.date() - born).days // 365
    return age >= params["min_age"] or Fail(f"client is {age}", evidence={"age": age})


@rule("BIG-LOT", applies_to="trade", severity="medium", effective_from=date(2026, 1, 1))
def big_lot(trade: rk.Trade, account: rk.Account | None) -> bool:
    return trade.quantity <= 1000


def person(account_id: str, born: str | None) -> rk.Account:
    holder: dict[str, Any] = {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]}
    if born is not None:
        holder["date_of_birth"] = born
    return rk.Account.model_validate(
        {"account_id": account_id, "category": "retail", "holder": holder}
    )


def deal(trade_id: str, quantity: str, when: str = "2026-11-20T09:30:00Z") -> rk.Trade:
    return rk.Trade.model_validate(
        {
            "trade_id": trade_id,
            "account_id": "A1",
            "side": "buy",
            "quantity": quantity,
            "price": "1",
            "executed_at": when,
            "instrument": {"symbol": "X", "product": "cfd", "underlying_class": "equity"},
        }
    )


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_a_python_rule_runs_on_both_engines_with_its_metadata(engine: str) -> None:
    policy = parse_policy(POLICY).with_rules(adult, big_lot)
    accounts = [person("A1", "2000-01-01"), person("A2", "2010-05-05"), person("A3", None)]
    trades = [deal("T1", "10"), deal("T2", "5000"), deal("T3", "5000", "2025-06-01T00:00:00Z")]
    result = rk.check(policy, accounts=accounts, trades=trades, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    found = [(f.rule_id, f.record_id, f.message, dict(f.evidence)) for f in result.findings]
    assert found == [
        ("BIG-LOT", "T2", "BIG-LOT", {}),  # T3 is before the rule's effective_from
        ("KYC-AGE", "A2", "client is 16", {"age": 16}),
    ]
    age = next(f for f in result.findings if f.rule_id == "KYC-AGE")
    assert age.severity == rk.Severity.HIGH
    assert age.reference["article"] == "Art. 25"
    assert set(result.rules_evaluated) >= {"KYC-CATEGORY", "KYC-AGE", "BIG-LOT"}


def test_the_embedded_checker_runs_python_rules_too() -> None:
    checker = parse_policy(POLICY).with_rules(adult).compile(as_of=AS_OF)
    (finding,) = checker.check_account(person("A2", "2010-05-05"))
    assert finding.message == "client is 16"
    assert checker.check_account(person("A1", "2000-01-01")) == []


def test_a_python_rule_that_cannot_decide_is_an_error_finding() -> None:
    @rule("BROKEN", applies_to="account", severity="low")
    def broken(account: rk.Account) -> bool:
        raise KeyError("holder")

    @rule("UNDECIDED", applies_to="account", severity="low")
    def undecided(account: rk.Account) -> Any:
        return None

    checker = parse_policy(POLICY).with_rules(broken, undecided).compile(as_of=AS_OF)
    findings = checker.check_account(person("A1", None))
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("BROKEN", rk.Severity.ERROR),
        ("UNDECIDED", rk.Severity.ERROR),
    ]
    assert "KeyError" in findings[0].message
    assert "returned None" in findings[1].message


def test_python_rules_change_the_policy_hash_and_keep_ids_unique() -> None:
    plain = parse_policy(POLICY)
    with_age = plain.with_rules(adult)
    assert with_age.sha256 != plain.sha256
    assert with_age.sha256 == parse_policy(POLICY).with_rules(adult).sha256
    with pytest.raises(PolicyError, match="KYC-AGE is used twice"):
        with_age.with_rules(adult)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rule("bad id", applies_to="trade", severity="low"), "upper-case"),
        (lambda: rule("X", applies_to="order", severity="low"), "applies_to 'order'"),
        (lambda: rule("X", applies_to="trade", severity="huge"), "unknown severity"),
        (
            lambda: rule("X", applies_to="trade", severity="low")(lambda trade, movement: True),
            "takes 'movement'",
        ),
        (lambda: rule("X", applies_to="trade", severity="low")(lambda **names: True), "no \\*args"),
    ],
)
def test_a_wrong_python_rule_is_refused_when_it_is_declared(make: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        make()


def test_a_python_rule_can_read_decimals_exactly() -> None:
    @rule("EXACT", applies_to="trade", severity="info")
    def exact(trade: rk.Trade) -> bool:
        return trade.notional != Decimal("0.3")

    checker = parse_policy(POLICY).with_rules(exact).compile(as_of=AS_OF)
    t = deal("T1", "3").model_copy(update={"price": Decimal("0.1")})
    assert [f.rule_id for f in checker.check_trade(t)] == ["EXACT"]
