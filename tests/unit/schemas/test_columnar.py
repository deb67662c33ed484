"""The validated columnar batch agrees with the per-record path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

import regkit as rk
from regkit.samples import SampleConfig, generate
from regkit.schemas.io import read_frame, to_frame, validate_frame
from regkit.schemas.io.columnar import _spec
from regkit.schemas.layout import layout_of
from regkit.schemas.types import DECIMAL_PLACES, MAX_DIGITS

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


# --- decimals: the same limits on both paths (issue 12, item 3) -----------------------------

MOVEMENT = {
    "movement_id": "M1",
    "account_id": "A1",
    "kind": "deposit",
    "currency": "EUR",
    "at": "2026-11-20T10:00:00Z",
}


def _movements(amounts: list[Any]) -> list[dict[str, Any]]:
    return [MOVEMENT | {"movement_id": f"M{i}", "amount": a} for i, a in enumerate(amounts, 1)]


def _both_paths(frame: pl.DataFrame, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    columnar = validate_frame(frame, rk.CashMovement)
    per_record = rk.read_records(rows, rk.CashMovement)
    assert [(e.row, e.field, e.reason) for e in columnar.errors] == [
        (e.row, e.field, e.reason) for e in per_record.errors
    ]
    assert columnar.frame["amount"].to_list() == [m.amount for m in per_record.records]
    return columnar, per_record


def test_the_report_a_margin_of_28_places_is_refused_alike_by_the_model_and_the_frame() -> None:
    sample = generate(SampleConfig(trades=10))
    data = sample.trades[0].to_dict() | {"margin": Decimal(1) / Decimal(7)}
    with pytest.raises(ValidationError) as info:
        rk.Trade.model_validate(data)
    [error] = info.value.errors()
    assert (error["loc"], error["msg"]) == (
        ("margin",),
        "Decimal input should have no more than 18 decimal places",
    )
    rows = [t.to_row() for t in sample.trades[:2]]
    rows[0]["margin"], rows[1]["margin"] = "12000000000", str(Decimal(1) / Decimal(7))
    frame = pl.DataFrame([{k: _text(v) for k, v in row.items()} for row in rows])
    batch = validate_frame(frame, rk.Trade)
    assert [(e.row, e.field, e.reason) for e in batch.errors] == [
        (2, "margin", "Decimal input should have no more than 18 decimal places")
    ]
    assert batch.frame["margin"].to_list() == [Decimal("12000000000")]


def test_the_largest_and_finest_margins_in_one_batch_pass_both_engines() -> None:
    sample = generate(SampleConfig(trades=40))
    margins = [
        Decimal("99999999999999999999"),  # 20 digits before the point
        Decimal("0.142857142857142857"),  # 1/7 to 18 places
        Decimal("1.500000000000000000000000"),  # trailing zeros: one place
        Decimal("1E-18"),
        Decimal("1.2E+11"),
    ]
    trades = [
        rk.Trade.from_dict(trade.to_dict() | {"margin": margin})
        for trade, margin in zip(sample.trades, margins, strict=False)
    ] + list(sample.trades[len(margins) :])
    frame = to_frame(trades)
    assert frame["margin"].to_list() == [t.margin for t in trades]
    policy = rk.load_policy("esma-cfd-retail")
    python = rk.check(policy, trades=trades, accounts=sample.accounts, engine="python")
    columnar = rk.check(policy, trades=trades, accounts=sample.accounts, engine="polars")
    assert python.findings == columnar.findings


def test_float_and_typed_decimal_columns_are_read_as_the_model_reads_them() -> None:
    floats = [0.1, 1e16, 1e-20, 12000000000.5]
    rows = _movements(floats)
    frame = pl.DataFrame(rows)
    assert frame.schema["amount"] == pl.Float64
    columnar, _ = _both_paths(frame, rows)
    assert columnar.frame["amount"].to_list() == [
        Decimal("0.1"),
        Decimal("1E+16"),
        Decimal("12000000000.5"),
    ]
    assert [e.reason for e in columnar.errors] == [
        "Decimal input should have no more than 18 decimal places"
    ]
    typed = [Decimal("1.5"), Decimal("1E-20"), Decimal("123456789012.25")]
    rows = _movements(typed)
    frame = pl.DataFrame(rows, schema_overrides={"amount": pl.Decimal(38, 25)})
    columnar, _ = _both_paths(frame, rows)
    assert [e.row for e in columnar.errors] == [2]


def test_other_spellings_are_judged_by_the_shared_grammar() -> None:
    # Python's Decimal reads 1_000 as 1000 and Arabic-Indic digits as 12; no file means that.
    texts = ["1_000", "\u0661\u0662", "NaN", "-inf", "1,5", "1e99999", "+.5E1", "1E+3"]
    rows = _movements(texts)
    columnar, _ = _both_paths(pl.DataFrame(rows), rows)
    assert columnar.frame["amount"].to_list() == [Decimal(5), Decimal(1000)]
    assert [(e.row, e.reason) for e in columnar.errors] == [
        (1, "Input should be a valid decimal"),
        (2, "Input should be a valid decimal"),
        (3, "Input should be a finite number"),
        (4, "Input should be a finite number"),
        (5, "Input should be a valid decimal"),
        (6, "Decimal input should have no more than 38 digits in total"),
    ]


@pytest.mark.parametrize(
    "model", [rk.Trade, rk.Instrument, rk.CashMovement, rk.AccountSnapshot, rk.Account, rk.Firm]
)
def test_every_decimal_field_has_the_shared_digit_limits(model: type[rk.Record]) -> None:
    decimals = [c for c in _spec(model).columns if c.kind == "decimal"]
    assert {c.path for c in decimals} == set(layout_of(model).decimals)
    assert all((c.max_digits, c.decimal_places) == (MAX_DIGITS, DECIMAL_PLACES) for c in decimals)


def test_a_decimal_field_without_digit_limits_cannot_make_a_frame() -> None:
    class Loose(rk.Record):
        amount: Decimal

    with pytest.raises(TypeError, match=r"Loose\.amount: a decimal field needs max_digits"):
        validate_frame(pl.DataFrame({"amount": ["1"]}), Loose)


def test_a_row_with_errors_in_several_fields_is_named_by_its_first_field_on_both_paths(
    tmp_path: Path,
) -> None:
    # The instrument (field 3 of a Trade) has a strike on a spot, a check across its fields;
    # the leverage (a later field) is not a number. The per-record path names the instrument
    # first (pydantic's field order); the columnar path ran the cross check last and named
    # the leverage: both now name the instrument.
    header = (
        "trade_id,account_id,instrument.symbol,instrument.product,"
        "instrument.underlying_class,instrument.base_currency,instrument.quote_currency,"
        "instrument.strike_price,side,quantity,price,executed_at,leverage"
    )
    row = "T0,A0,USDEUR,spot,fx_major,USD,EUR,1.5,buy,1,0.01,2000-01-01T00:00:00+00:00,1_0851"
    path = tmp_path / "trades.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    per_record = rk.read_records(path, rk.Trade)
    columnar = read_frame(path, rk.Trade)
    assert [(e.row, e.field) for e in per_record.errors] == [(1, "instrument")]
    assert [(e.row, e.field) for e in columnar.errors] == [(1, "instrument")]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
