"""Several versions of one policy: each record is checked against the version in force."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import regkit as rk
from regkit.errors import PolicyError
from regkit.rules.engine import versions
from regkit.rules.policy import parse_policy

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)


def version(name: str, starts: str | None, cap: int, ends: str | None = None) -> rk.Policy:
    dates = (f"effective_from: {starts}\n" if starts else "") + (
        f"effective_to: {ends}\n" if ends else ""
    )
    return parse_policy(
        f'policy: leverage\nversion: "{name}"\n{dates}'
        f"parameters: {{cap: {cap}}}\n"
        "rules:\n"
        "  - id: LEV\n    severity: high\n    applies_to: trade\n"
        "    assert: trade.leverage is None or trade.leverage <= params.cap\n"
        '    message: "leverage {trade.leverage} above {params.cap}"\n',
        f"leverage-{name}.yaml",
    )


def deal(trade_id: str, when: str, leverage: str) -> rk.Trade:
    return rk.Trade.model_validate(
        {
            "trade_id": trade_id,
            "account_id": "A1",
            "side": "buy",
            "quantity": "1",
            "price": "1",
            "executed_at": when,
            "leverage": leverage,
            "instrument": {"symbol": "X", "product": "cfd", "underlying_class": "equity"},
        }
    )


V1 = version("2025.1", "2025-01-01", 30)
V2 = version("2026.1", "2026-01-01", 20)
TRADES = [
    deal("T-OLD-25", "2025-06-01T10:00:00Z", "25"),  # within the 2025 cap
    deal("T-OLD-35", "2025-06-01T10:00:00Z", "35"),
    deal("T-NEW-25", "2026-06-01T10:00:00Z", "25"),  # above the 2026 cap
    deal("T-EARLY", "2024-06-01T10:00:00Z", "99"),  # before any version
]


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_each_record_meets_the_version_in_force_at_its_time(engine: str) -> None:
    result = rk.check([V2, V1], trades=TRADES, as_of=AS_OF, engine=engine)  # type: ignore[arg-type]
    found = [(f.record_id, f.rule_version, f.message) for f in result.findings]
    assert found == [
        ("T-OLD-35", "2025.1", "leverage 35 above 30"),
        ("T-NEW-25", "2026.1", "leverage 25 above 20"),
    ]
    assert result.policy_version == "2025.1, 2026.1"
    assert [v["version"] for v in result.policy_versions] == ["2025.1", "2026.1"]
    assert result.policy_versions[0]["effective_to"] == "2026-01-01"  # ends where 2026.1 starts
    assert result.policy_sha256 not in (V1.sha256, V2.sha256)
    assert result.to_dict()["policy"]["versions"][1]["sha256"] == V2.sha256


def test_the_embedded_checker_picks_the_version_by_the_trade_time() -> None:
    checker = rk.rules.Checker([V1, V2], as_of=AS_OF)
    assert checker.check_trade(TRADES[0]) == []
    assert [f.rule_version for f in checker.check_trade(TRADES[2])] == ["2026.1"]


def test_one_policy_keeps_its_own_identity_in_the_result() -> None:
    result = rk.check(V1, trades=TRADES, as_of=AS_OF)
    assert (result.policy_version, result.policy_sha256) == ("2025.1", V1.sha256)
    assert result.policy_versions == ()
    assert "versions" not in result.to_dict()["policy"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([V1, V2.__class__(**{**V2.__dict__, "id": "other"})], "versions of one policy"),
        ([V1, version("2025.1", "2026-01-01", 20)], "version 2025.1 given twice"),
        ([version("a", None, 1), version("b", None, 2)], "only the first"),
        ([version("a", "2025-01-01", 1, ends="2026-06-01"), V2], "the dates overlap"),
        ([], "no policy given"),
    ],
)
def test_versions_that_cannot_be_ordered_are_refused(given: list[rk.Policy], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        versions(given)
