"""Properties every record kind must keep, whatever valid data a broker sends.

* A record survives dict, JSON and flat-row round trips unchanged.
* A batch of records survives a write to CSV, JSON Lines or Parquet and a read back.
* Reading a mix of good and corrupted rows loses nothing and invents nothing: one record
  per good row, in order, and one error per corrupted row, naming exactly that row.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    RECORD_STRATEGIES,
    accounts,
    firms,
    instruments,
    key_of,
    movements,
    snapshots,
    trades,
)

from regkit import (
    Account,
    AccountSnapshot,
    CashMovement,
    Firm,
    Instrument,
    Record,
    RecordError,
    Trade,
    read_records,
)
from regkit.schemas.io import iter_records, write_records
from regkit.schemas.layout import layout_of

RECORD_KINDS = list(RECORD_STRATEGIES)
TOP_LEVEL = {
    Trade: trades(conditional=True),
    Account: accounts(),
    Instrument: instruments(conditional=True),
    CashMovement: movements(),
    AccountSnapshot: snapshots(),
    Firm: firms(),
}
FORMATS = ("csv", "jsonl", "parquet")


def _name(model: type[Record]) -> str:
    return model.__name__


# --- single-record round trips -------------------------------------------------------------


@pytest.mark.parametrize("model", RECORD_KINDS, ids=_name)
@given(data=st.data())
def test_dict_json_and_row_round_trips_keep_the_record(
    model: type[Record], data: st.DataObject
) -> None:
    record = data.draw(RECORD_STRATEGIES[model])

    as_dict = record.to_dict()
    assert model.from_dict(as_dict) == record
    assert model.from_dict(as_dict).to_dict() == as_dict

    # JSON text equal again means every decimal kept its places (1.0850 stays 1.0850).
    text = record.to_json()
    assert model.from_json(text) == record
    assert model.from_json(text).to_json() == text
    # Amounts travel as strings: a JSON reader elsewhere must not turn them into floats.
    assert all(not isinstance(value, float) for value in _leaves(json.loads(text)))

    row = record.to_row()
    assert all(not isinstance(value, dict) for value in row.values()), "a row is flat"
    assert model.from_row(row) == record
    assert model.from_row(row).to_row() == row


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


# --- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("model", list(TOP_LEVEL), ids=_name)
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_file_round_trip_keeps_every_record(
    model: type[Record], file_format: str, data: st.DataObject
) -> None:
    records = data.draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=6, unique_by=key_of))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"records.{file_format}"
        assert write_records(records, path) == len(records)
        batch = read_records(path, model)
    assert batch.errors == []
    assert batch.rows == len(records)
    assert batch.records == records


@settings(max_examples=10)
@given(st.lists(trades(), min_size=1, max_size=5, unique_by=key_of))
def test_csv_keeps_decimal_places(records: list[Trade]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trades.csv"
        write_records(records, path)
        read = read_records(path, Trade).records
    assert [str(t.price) for t in read] == [str(t.price) for t in records]


# --- good and bad rows mixed ---------------------------------------------------------------

#: Per record kind, ways to spoil a valid flat row: (dotted column, bad value). ``None``
#: removes the value (a missing required field).
CORRUPTIONS: dict[type[Record], list[tuple[str, Any]]] = {
    Trade: [
        ("price", "1,085"),  # bad decimal
        ("quantity", "-100"),  # negative quantity
        ("executed_at", "2026-11-20T09:30:00"),  # naive timestamp
        ("side", "hold"),  # unknown enum
        ("instrument.quote_currency", "EURO"),  # bad currency
        ("price", None),  # missing required field
        ("leverage", "0.5"),  # below 1:1
        ("venue", "ZZZZ"),  # not a MIC
        ("instrument.upi", "QZ12345"),  # not an ISO 4914 UPI (REFIT 2.8)
        ("instrument.sub_product", "GOLD"),  # a further sub-product, not a sub-product
        ("instrument.strike_currency", "XAU"),  # never a strike currency (EMIR-VR-2138-03)
        ("option_premium", "-1"),  # below zero (EMIR-VR-2139-01)
        ("near_leg_value_date", "2026-13-01"),  # not a date
    ],
    CashMovement: [
        ("amount", "12.3.4"),
        ("amount", "-50"),
        ("at", "2026-11-20 10:00:00"),
        ("kind", "gift"),
        ("currency", "EUX"),
        ("currency", None),
    ],
    AccountSnapshot: [
        ("balance", "ten"),
        ("margin_required", "-1"),
        ("at", "2026-11-20T22:00:00"),
        ("currency", "XYZ"),
        ("equity", None),
    ],
    Account: [
        ("opened_at", "2025-01-10T09:00:00"),
        ("category", "vip"),
        ("base_currency", "EURO"),
        ("category", None),
        ("holder.sector", "ZZZZ"),  # no REFIT sector (1.12)
        ("agreement.master_agreement_type", "NAFMII"),  # not a REFIT 2.34 code
        ("agreement.master_agreement_version", "1850"),  # not 19xx/20xx (EMIR-VR-2036-02)
    ],
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@st.composite
def _mixed_rows(
    draw: st.DrawFn, model: type[Record]
) -> tuple[list[Record], list[dict[str, Any]], set[int]]:
    records = draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=12, unique_by=key_of))
    bad = draw(st.sets(st.integers(0, len(records) - 1), max_size=len(records)))
    rows = []
    for index, record in enumerate(records):
        row = record.to_row()
        if index in bad:
            column, value = draw(st.sampled_from(CORRUPTIONS[model]))
            if value is None:
                row.pop(column, None)
            else:
                row[column] = value
        rows.append(row)
    return records, rows, {index + 1 for index in bad}


def _write_csv(rows: list[dict[str, Any]], model: type[Record], path: Path) -> None:
    columns = list(layout_of(model).columns)
    columns += sorted({name for row in rows for name in row} - set(columns))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in columns])


def _write_jsonl(rows: list[dict[str, Any]], model: type[Record], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            nested = layout_of(model).from_flat({name: _jsonable(v) for name, v in row.items()})
            handle.write(json.dumps(nested, ensure_ascii=False) + "\n")


def _read_iterable(rows: list[dict[str, Any]], model: type[Record], folder: Path) -> Any:
    return read_records(rows, model)


def _read_csv(rows: list[dict[str, Any]], model: type[Record], folder: Path) -> Any:
    path = folder / "mixed.csv"
    _write_csv(rows, model, path)
    return read_records(path, model)


def _read_jsonl(rows: list[dict[str, Any]], model: type[Record], folder: Path) -> Any:
    path = folder / "mixed.jsonl"
    _write_jsonl(rows, model, path)
    return read_records(path, model)


def _read_frame(rows: list[dict[str, Any]], model: type[Record], folder: Path) -> Any:
    # Text columns, as polars reads a CSV with infer_schema=False; empty cells are null.
    columns = list(layout_of(model).columns)
    columns += sorted({name for row in rows for name in row} - set(columns))
    frame = pl.DataFrame(
        {name: [_cell(row.get(name)) or None for row in rows] for name in columns},
        schema=dict.fromkeys(columns, pl.String),
    )
    return read_records(frame, model)


READERS: dict[str, Callable[[list[dict[str, Any]], type[Record], Path], Any]] = {
    "iterable": _read_iterable,
    "csv": _read_csv,
    "jsonl": _read_jsonl,
    "dataframe": _read_frame,
}


@pytest.mark.parametrize("source", list(READERS))
@pytest.mark.parametrize("model", list(CORRUPTIONS), ids=_name)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mixed_rows_lose_nothing_and_invent_nothing(
    model: type[Record], source: str, data: st.DataObject
) -> None:
    records, rows, bad_rows = data.draw(_mixed_rows(model))
    with tempfile.TemporaryDirectory() as folder:
        batch = READERS[source](rows, model, Path(folder))
        # Bytes, not read_text: universal newlines would turn a quoted CR into a line end.
        text = Path(batch.source).read_bytes().decode() if source in ("csv", "jsonl") else ""

    assert batch.rows == len(rows)
    assert len(batch.records) + len(batch.errors) == len(rows)
    assert [error.row for error in batch.errors] == sorted(bad_rows)
    good = [record for number, record in enumerate(records, start=1) if number not in bad_rows]
    assert batch.records == good
    for error in batch.errors:
        assert isinstance(error, RecordError)
        assert error.model == model.__name__
        assert error.reason
        # Every error names the record it belongs to, so a person can find and fix it.
        record = records[error.row - 1]
        first_key_field = str(getattr(record, model.key_fields[0]))
        assert error.key is not None
        assert error.key.split("|")[0] == first_key_field
    if source in ("csv", "jsonl"):
        lines = text.split("\n")
        for error in batch.errors:
            # ``line`` is the physical line where the row starts (a quoted CSV cell may
            # span lines), so an editor's "go to line" lands on it.
            assert error.file == batch.source
            assert error.line is not None
            line = lines[error.line - 1]
            key = error.key.split("|")[0]
            assert line.startswith(key) if source == "csv" else f'"{key}"' in line


@pytest.mark.parametrize("model", list(CORRUPTIONS), ids=_name)
@settings(max_examples=10)
@given(data=st.data())
def test_streaming_yields_records_and_errors_in_row_order(
    model: type[Record], data: st.DataObject
) -> None:
    records, rows, bad_rows = data.draw(_mixed_rows(model))
    items = list(iter_records(rows, model))
    assert len(items) == len(rows)
    for number, item in enumerate(items, start=1):
        if number in bad_rows:
            assert isinstance(item, RecordError)
            assert item.row == number
        else:
            assert item == records[number - 1]
