"""A small book for the store's tests (a module of its own: the tests' worker processes
import it too)."""

from __future__ import annotations

import regkit as rk
from regkit.rules.policy import parse_policy

POLICY = """\
policy: leverage
version: "1"
rules:
  - id: LEV-CAP
    title: Leverage above 30
    severity: high
    applies_to: trade
    assert: trade.leverage is None or trade.leverage <= 30
    message: "leverage {trade.leverage}"
  - id: BUSY-DAY
    title: More than two trades of an account in a day
    severity: low
    applies_to: trade
    group_by: [trade.account_id]
    window: calendar_day
    aggregate: {trades: count()}
    assert: trades <= 2
"""


def trade(number: int, leverage: str = "10", day: int = 20, account: str = "A1") -> rk.Trade:
    return rk.Trade.model_validate(
        {
            "trade_id": f"T{number}",
            "account_id": account,
            "side": "buy",
            "quantity": "1000",
            "price": "1.1",
            "executed_at": f"2026-11-{day:02d}T09:{number % 60:02d}:00Z",
            "leverage": leverage,
            "instrument": {"symbol": "EURUSD", "product": "cfd", "underlying_class": "fx_major",
                           "base_currency": "EUR", "quote_currency": "USD"},
        }
    )  # fmt: skip


def check(trades: list[rk.Trade]) -> rk.CheckResult:
    return rk.check(parse_policy(POLICY, "leverage.yaml"), trades=trades, as_of="2026-11-30")


def account_of(finding: rk.Finding) -> str | None:
    return "A2" if finding.record_id == "T9" else "A1"
