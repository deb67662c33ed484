"""Each built-in pack finds what the sample generator planted, no more and no fewer, at a
realistic size (100,000 trades), through the batch path a compliance job takes: Parquet
files read as validated columns and checked by the polars engine."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

import regkit as rk
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import FrameBatch, read_frame

TRADES = 100_000
AS_OF = datetime(2026, 12, 31, tzinfo=UTC)

#: planted kind -> (pack, rule, how a finding names the planted keys)
PLANTED_RULES: dict[str, tuple[str, str, str]] = {
    "leverage_above_cap": ("esma-cfd-retail", "ESMA-CFD-LEV", "record"),
    "negative_equity": ("esma-cfd-retail", "ESMA-CFD-NBP", "record"),
    "bonus_to_retail": ("esma-cfd-retail", "ESMA-CFD-BONUS", "record"),
    "structuring": ("aml", "AML-STRUCTURING", "members"),
    "third_party_payer": ("aml", "AML-THIRD-PARTY", "record"),
    "expired_kyc": ("kyc", "KYC-EXPIRED", "account"),
}


@dataclass(frozen=True)
class Brokerage:
    """The sample files as validated columns, and what was planted in them."""

    inputs: dict[str, FrameBatch[Any]]
    planted: dict[str, set[tuple[str, ...]]]

    @property
    def _accounts(self) -> dict[str, str]:
        return dict(self.inputs["trades"].frame.select("trade_id", "account_id").rows())


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Brokerage:
    folder = tmp_path_factory.mktemp("planted")
    write_samples(folder, SampleConfig(trades=TRADES), "parquet")
    models: dict[str, type[rk.Record]] = {
        "trades": rk.Trade,
        "accounts": rk.Account,
        "movements": rk.CashMovement,
        "snapshots": rk.AccountSnapshot,
    }
    inputs: dict[str, FrameBatch[Any]] = {
        name: read_frame(folder / f"{name}.parquet", model, "raise")
        for name, model in models.items()
    }
    planted: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for line in (folder / "planted.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        planted[item["kind"]].add(tuple(item["keys"]))
    return Brokerage(inputs, dict(planted))


@pytest.mark.parametrize("kind", sorted(PLANTED_RULES))
def test_each_pack_finds_exactly_what_was_planted(brokerage: Brokerage, kind: str) -> None:
    pack, rule_id, how = PLANTED_RULES[kind]
    result = rk.check(rk.load_policy(pack), as_of=AS_OF, **brokerage.inputs)
    accounts = brokerage._accounts
    found: set[tuple[str, ...]] = set()
    for finding in result.findings:
        if finding.rule_id != rule_id:
            continue
        if how == "members":
            found.add(finding.member_ids)
        elif how == "account":
            found.add((accounts[finding.record_id],))
        else:
            found.add(tuple(finding.record_id.split("|")))
    expected = brokerage.planted.get(kind, set())
    assert expected, f"the generator planted no {kind}"
    assert found == expected, (
        f"{rule_id}: {len(found & expected)} of {len(expected)} planted found; "
        f"missed {sorted(expected - found)[:5]}, not planted {sorted(found - expected)[:5]}"
    )
