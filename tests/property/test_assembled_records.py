"""Records assembled from column-wise checks are the records pydantic builds row by row.

Parquet files and DataFrames of one-shape records (trades, movements, snapshots) are checked
column-wise and their records assembled from the checked columns. These properties hold that
path to the per-record one: the same records, the same JSON bytes, the same fields set, and
the same rows rejected, whatever the values and however the rows are corrupted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_record_properties import CORRUPTIONS, _jsonable, _mixed_rows

from regkit import AccountSnapshot, CashMovement, Record, Trade, read_records, write_records
from regkit.schemas.layout import layout_of

PLAIN = [model for model in CORRUPTIONS if layout_of(model).plain]


def _text_frame(rows: list[dict[str, Any]], model: type[Record]) -> pl.DataFrame:
    columns = list(layout_of(model).columns)
    columns += sorted({name for row in rows for name in row} - set(columns))
    data = {name: [_text(row.get(name)) for row in rows] for name in columns}
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


def _text(value: Any) -> str | None:
    plain = _jsonable(value)
    return None if plain is None else str(plain)


def _same(assembled: list[Record], validated: list[Record]) -> None:
    assert assembled == validated
    assert [r.model_dump_json() for r in assembled] == [r.model_dump_json() for r in validated]
    assert [r.model_fields_set for r in assembled] == [r.model_fields_set for r in validated]


@pytest.mark.parametrize("model", PLAIN, ids=lambda m: m.__name__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_text_frames_give_the_per_record_results(model: type[Record], data: st.DataObject) -> None:
    _, rows, bad_rows = data.draw(_mixed_rows(model))
    assembled = read_records(_text_frame(rows, model), model)
    validated = read_records(rows, model)
    _same(assembled.records, validated.records)
    assert [e.row for e in assembled.errors] == [e.row for e in validated.errors]
    assert {e.row for e in assembled.errors} == bad_rows
    assert [e.reason for e in assembled.errors] == [e.reason for e in validated.errors]


@pytest.mark.parametrize("model", [Trade, CashMovement, AccountSnapshot], ids=lambda m: m.__name__)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parquet_files_give_back_the_records_written(
    model: type[Record], data: st.DataObject
) -> None:
    records, _, _ = data.draw(_mixed_rows(model))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.parquet"
        write_records(records, path, model=model)
        batch = read_records(path, model)
    assert batch.errors == []
    _same(batch.records, [model.model_validate(r.to_dict()) for r in records])


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_cell_is_an_empty_cell_on_both_paths(blank: str) -> None:
    row = {
        "trade_id": "T1",
        "account_id": "A1",
        "instrument.symbol": "EURUSD",
        "instrument.product": "cfd",
        "instrument.underlying_class": "fx_major",
        "instrument.base_currency": "EUR",
        "instrument.quote_currency": "USD",
        "side": "buy",
        "quantity": "1",
        "price": "1.1",
        "executed_at": "2026-11-20T09:30:00Z",
        "leverage": blank,
        "lp_reference": blank,
    }
    frame = pl.DataFrame([row], schema=dict.fromkeys(row, pl.String))
    for batch in (read_records([row], Trade), read_records(frame, Trade)):
        assert batch.errors == []
        assert (batch.records[0].leverage, batch.records[0].lp_reference) == (None, None)
    missing = row | {"price": blank}
    frame = pl.DataFrame([missing], schema=dict.fromkeys(missing, pl.String))
    for batch in (read_records([missing], Trade), read_records(frame, Trade)):
        assert [(e.field, e.reason) for e in batch.errors] == [("price", "Field required")]


@pytest.mark.parametrize("model", PLAIN, ids=lambda m: m.__name__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_padded_cells_read_alike_on_both_paths(model: type[Record], data: st.DataObject) -> None:
    _, rows, _ = data.draw(_mixed_rows(model))
    padding = st.sampled_from([" ", "  ", "\t", " \t"])
    padded = []
    for row in rows:
        row = {name: _text(value) for name, value in row.items()}
        names = sorted(name for name, value in row.items() if value is not None)
        for name in data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []:
            row[name] = data.draw(padding) + str(row[name]) + data.draw(padding)
        padded.append(row)
    assembled = read_records(_text_frame(padded, model), model)
    validated = read_records(padded, model)
    _same(assembled.records, validated.records)
    assert [(e.row, e.field) for e in assembled.errors] == [
        (e.row, e.field) for e in validated.errors
    ]
