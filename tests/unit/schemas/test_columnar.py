"""The validated columnar batch agrees with the per-record path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import regkit as rk
from regkit.schemas.columnar import read_frame, to_frame, validate_frame
from regkit.schemas.samples import SampleConfig, generate

TRADE = {
    "trade_id": ["T1"],
    "account_id": ["A1"],
    "instrument.symbol": ["US500"],
    "instrument.product": ["cfd"],
    "instrument.underlying_class": ["index_major"],
    "instrument.price_multiplier": ["1.5"],
    "side": ["buy"],
    "quantity": ["0.15"],
    "price": ["1.00005"],
    "executed_at": ["2026-11-20T10:30:00.123+01:00"],
}


def test_notional_is_exact_not_rounded_to_a_factor_scale() -> None:
    batch = validate_frame(pl.DataFrame(TRADE), rk.Trade)
    assert batch.errors == []
    assert batch.frame["notional"].item() == Decimal("0.15") * Decimal("1.00005") * Decimal("1.5")
    assert batch.records()[0].notional == batch.frame["notional"].item()


def test_timestamps_become_utc_and_naive_ones_are_rejected() -> None:
    frame = pl.DataFrame(TRADE).vstack(
        pl.DataFrame(TRADE | {"trade_id": ["T2"], "executed_at": ["2026-11-20T10:30:00"]})
    )
    batch = validate_frame(frame, rk.Trade)
    assert str(batch.frame["executed_at"].dtype) == "Datetime(time_unit='us', time_zone='UTC')"
    assert batch.frame["executed_at"].item().hour == 9
    assert [(e.row, e.key, e.field) for e in batch.errors] == [(2, "T2", "executed_at")]


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_sample_files_agree_with_the_model_path(tmp_path: Path, kind: str) -> None:
    sample = generate(SampleConfig(trades=300))
    for records, model in [
        (sample.trades, rk.Trade),
        (sample.accounts, rk.Account),
        (sample.movements, rk.CashMovement),
        (sample.snapshots, rk.AccountSnapshot),
    ]:
        path = tmp_path / f"{model.__name__}.{kind}"
        rk.write_records(records, path, model=model)
        batch = read_frame(path, model)
        assert batch.errors == []
        assert batch.records() == records


def test_bad_rows_are_the_same_rows_as_read_records_finds() -> None:
    frame = pl.DataFrame(
        {
            "movement_id": ["M1", "M2", "M1", "M4", "M5", "M6"],
            "account_id": ["A1"] * 6,
            "kind": ["deposit", "gift", "deposit", "deposit", "deposit", "Withdrawal"],
            "amount": ["100.50", "5", "1", "-2", "3", "7"],
            "currency": ["eur", "EUR", "EUR", "EUR", "XYZ", "usd"],
            "at": ["2026-11-20T10:00:00+01:00"] * 6,
        }
    )
    columnar = validate_frame(frame, rk.CashMovement)
    per_record = rk.read_records(frame, rk.CashMovement)
    assert [e.row for e in columnar.errors] == [e.row for e in per_record.errors] == [2, 3, 4, 5]
    assert to_frame(per_record.records).equals(columnar.frame)
