"""The per-record engine: what the ESMA leverage rule finds, and how a result is built."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import regkit as rk
from regkit.rules.findings import Severity
from regkit.rules.policy import parse_policy

POLICY = """\
policy: esma-cfd-retail
version: "2026.1"
effective_from: 2018-08-01
parameters:
  leverage_caps: {fx_major: 30, fx_minor: 20, gold: 20, index_major: 20, commodity: 10,
                  index_minor: 10, equity: 5, crypto: 2, other: 5, bond: 5}
rules:
  - id: ESMA-CFD-LEV
    title: Retail CFD leverage above the ESMA cap
    severity: high
    applies_to: trade
    when: account.category == "retail" and trade.instrument.product == "cfd"
    assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]
    message: "leverage {trade.leverage}:1 above the \\
{params.leverage_caps[trade.instrument.underlying_class]}:1 cap"
    evidence: [trade.leverage, trade.instrument.underlying_class]
    reference: {regulator: ESMA, document: "Decision (EU) 2018/796", article: "Art. 2(a)"}
"""

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)


def account(category: str = "retail", account_id: str = "A1") -> rk.Account:
    return rk.Account.model_validate(
        {
            "account_id": account_id,
            "category": category,
            "holder": {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]},
        }
    )


def trade(trade_id: str, leverage: str, **instrument: Any) -> rk.Trade:
    spec = {
        "symbol": "EURUSD",
        "product": "cfd",
        "underlying_class": "fx_major",
        "base_currency": "EUR",
        "quote_currency": "USD",
    } | instrument
    return rk.Trade.model_validate(
        {
            "trade_id": trade_id,
            "account_id": "A1",
            "side": "buy",
            "quantity": "1000",
            "price": "1.1",
            "executed_at": "2026-11-20T09:30:00Z",
            "leverage": leverage,
            "instrument": spec,
        }
    )


def test_a_retail_cfd_above_its_cap_is_found_with_evidence_and_citation() -> None:
    checker = parse_policy(POLICY, "esma.yaml").compile(as_of=AS_OF)
    (finding,) = checker.check_trade(trade("T1", "50"), account())
    assert (finding.rule_id, finding.severity, finding.record_id) == ("ESMA-CFD-LEV", "high", "T1")
    assert finding.message == "leverage 50:1 above the 30:1 cap"
    assert finding.evidence == {
        "trade.leverage": Decimal("50"),
        "trade.instrument.underlying_class": rk.UnderlyingClass.FX_MAJOR,
    }
    assert finding.reference["document"] == "Decision (EU) 2018/796"
    assert finding.rule_version == "2026.1"


@pytest.mark.parametrize(
    ("leverage", "category", "instrument", "found"),
    [
        ("30", "retail", {}, False),  # at the cap
        ("31", "retail", {}, True),
        (
            "21",
            "retail",
            {"symbol": "EURTRY", "quote_currency": "TRY", "underlying_class": "fx_minor"},
            True,
        ),  # 20:1 for minor pairs
        (
            "3",
            "retail",
            {"symbol": "BTCUSD", "underlying_class": "crypto", "base_currency": None},
            True,
        ),  # 2:1 for crypto
        ("100", "professional", {}, False),  # the caps protect retail clients only
        ("100", "retail", {"product": "spot"}, False),  # and apply to CFDs
    ],
)
def test_the_caps_follow_the_esma_decision(
    leverage: str, category: str, instrument: dict[str, Any], found: bool
) -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    assert (
        bool(checker.check_trade(trade("T1", leverage, **instrument), account(category))) is found
    )


def test_a_rule_applies_only_while_it_is_in_force() -> None:
    later = POLICY.replace("effective_from: 2018-08-01", "effective_from: 2027-01-01")
    assert parse_policy(later).compile(as_of=AS_OF).check_trade(trade("T1", "50"), account()) == []


#: A price whose square overflows Python's decimal context (a literal that large is refused
#: when the policy loads, so an overflow comes from a record).
HUGE_PRICE = Decimal("1e600000")


def test_a_rule_that_cannot_decide_is_an_error_finding_never_a_pass() -> None:
    overflowing = POLICY.replace(
        "assert: trade.leverage <=",
        "assert: trade.price * trade.price > 0 and trade.leverage <=",
    )
    huge = trade("T1", "5").model_copy(update={"price": HUGE_PRICE})
    (finding,) = parse_policy(overflowing).compile(as_of=AS_OF).check_trade(huge, account())
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("the rule could not be decided: Overflow")


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_check_runs_a_batch_and_records_what_it_saw(engine: str) -> None:
    policy = parse_policy(POLICY, "esma.yaml")
    trades = [trade("T1", "50"), trade("T2", "10"), trade("T3", "40")]
    result = rk.check(policy, trades=trades, accounts=[account()], as_of=AS_OF, engine=engine)
    assert [f.record_id for f in result.findings] == ["T1", "T3"]
    assert result.records_checked == {"trade": 3, "account": 1}
    assert result.policy_sha256 == policy.sha256
    assert set(result.input_fingerprints) == {"trades", "accounts"}
    assert result.counts_by_severity == {"high": 2}
    with pytest.raises(rk.ComplianceError):
        result.raise_for_findings(min_severity="high")


def test_one_crashing_rule_does_not_hide_the_others() -> None:
    two = (
        POLICY
        + """\
  - id: OVERFLOW
    severity: low
    applies_to: trade
    assert: trade.price * trade.price > 0
  - id: SMALL
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
"""
    )
    huge = trade("T1", "50").model_copy(update={"price": HUGE_PRICE})
    findings = parse_policy(two).compile(as_of=AS_OF).check_trade(huge, account())
    assert [(f.rule_id, str(f.severity)) for f in findings] == [
        ("ESMA-CFD-LEV", "high"),
        ("OVERFLOW", "error"),
        ("SMALL", "low"),
    ]


def test_rules_with_their_own_dates_keep_the_policy_order() -> None:
    dated = (
        POLICY
        + """\
  - id: LATER
    severity: low
    applies_to: trade
    effective_from: 2026-01-01
    assert: trade.quantity < 10
  - id: ALWAYS
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
"""
    )
    findings = parse_policy(dated).compile(as_of=AS_OF).check_trade(trade("T1", "50"), account())
    assert [f.rule_id for f in findings] == ["ESMA-CFD-LEV", "LATER", "ALWAYS"]
    early = trade("T2", "50").model_copy(update={"executed_at": datetime(2025, 6, 1, tzinfo=UTC)})
    findings = parse_policy(dated).compile(as_of=AS_OF).check_trade(early, account())
    assert [f.rule_id for f in findings] == ["ESMA-CFD-LEV", "ALWAYS"]


def test_a_message_that_formats_a_time_runs_in_the_generated_function() -> None:
    # Formatting a datetime with %Y imports a module: the generated code (run without
    # builtins) must format it itself, not raise and fall back to the rule-by-rule path.
    text = POLICY.replace('message: "leverage', 'message: "{trade.executed_at:%Y-%m-%d}: leverage')
    checker = parse_policy(text).compile(as_of=AS_OF)
    deal, owner = trade("T1", "50"), account()
    batch = checker._batches["trade"]
    (finding,) = batch.findings(deal, owner, AS_OF, deal.executed_at)
    assert finding.message == "2026-11-20: leverage 50:1 above the 30:1 cap"
    assert checker.check_trade(deal, owner) == [finding]
