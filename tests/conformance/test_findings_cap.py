"""``max_findings_per_rule``: on random policies and books, each engine keeps exactly the
first N findings of each rule of the uncapped run, in their order, and counts the rest, so
that every count equals the uncapped run's."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_expr_backends import books
from test_policy_backends import policies

import regkit as rk
from regkit.rules.policy import parse_policy

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def first_of_each_rule(findings: list[rk.Finding], limit: int) -> list[rk.Finding]:
    seen: Counter[str] = Counter()
    kept = []
    for finding in findings:
        seen[finding.rule_id] += 1
        if seen[finding.rule_id] <= limit:
            kept.append(finding)
    return kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), books(), st.integers(1, 3))
def test_the_cap_keeps_the_first_findings_of_each_rule_and_counts_the_rest(
    backend: str, text: str, book: tuple[list[rk.Trade], list[rk.Account]], limit: int
) -> None:
    policy = parse_policy(text, "random.yaml")
    trades, accounts = book
    full = rk.check(policy, trades=trades, accounts=accounts, as_of=AS_OF, engine=backend)
    capped = rk.check(
        policy, trades=trades, accounts=accounts, as_of=AS_OF, engine=backend,
        max_findings_per_rule=limit,
    )  # fmt: skip
    assert capped.findings == first_of_each_rule(full.findings, limit)
    assert capped.counts == full.counts
    assert capped.total_findings == len(full.findings)
    assert capped.unlisted == {
        rule: count - limit for rule, count in full.counts_by_rule.items() if count > limit
    }
    assert capped.is_compliant("high") == full.is_compliant("high")


def test_the_cap_is_said_in_the_json_only_when_findings_were_left_out() -> None:
    policy = parse_policy(
        "policy: p\nversion: '1'\nrules:\n"
        "  - {id: SMALL, severity: low, applies_to: trade, assert: trade.quantity < 0}\n",
        "p.yaml",
    )
    trades = [
        rk.Trade(
            trade_id=f"T{n}", account_id="A1", side="buy", quantity="1", price="1.1",
            executed_at="2026-11-02T10:00:00Z",
            instrument={"symbol": "EURUSD", "product": "cfd", "underlying_class": "fx_major",
                        "base_currency": "EUR", "quote_currency": "USD"},
        )
        for n in range(3)
    ]  # fmt: skip
    capped = rk.check(policy, trades=trades, as_of=AS_OF, max_findings_per_rule=2)
    assert [f.record_id for f in capped.findings] == ["T0", "T1"]
    data = capped.to_dict()
    assert data["unlisted"] == {"SMALL": 1}
    assert data["counts"] == {"by_rule": {"SMALL": 3}, "by_severity": {"low": 3}}
    assert "unlisted" not in rk.check(policy, trades=trades, as_of=AS_OF).to_dict()


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_a_cap_that_is_not_a_whole_number_of_one_or_more_is_refused(bad: object) -> None:
    error = ValueError if bad in (0, -1) else TypeError
    with pytest.raises(error, match="max_findings_per_rule"):
        rk.check((), max_findings_per_rule=bad)  # type: ignore[arg-type]
