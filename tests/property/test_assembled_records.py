"""Records assembled from column-wise checks are the records pydantic builds row by row.

Parquet files and DataFrames of one-shape records (trades, movements, snapshots) are checked
column-wise and their records assembled from the checked columns. These properties hold that
path to the per-record one: the same records, the same JSON bytes, the same fields set, and
the same rows rejected, whatever the values and however the rows are corrupted. Decimal
columns that mix the largest and the finest values a record takes hold them exactly on both
paths, and a value one path refuses the other refuses with the same field and reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import decimal_texts, hostile_cells, key_of, wide_decimals
from test_record_properties import CORRUPTIONS, TOP_LEVEL, _jsonable, _mixed_rows

from regkit import (
    AccountSnapshot,
    CashMovement,
    Record,
    Trade,
    read_records,
    write_records,
)
from regkit.schemas.io import read_frame, to_frame, validate_frame
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


# --- decimals of every size, mixed in one column -------------------------------------------

#: The least value of each decimal column (``None``: negative allowed), so that most drawn
#: values are accepted; the refused ones come from ``decimal_texts``.
LEAST: dict[str, int | None] = {"leverage": 1, "balance": None, "equity": None}

WIDE_MODELS = [Trade, CashMovement, AccountSnapshot]

#: An option's strike is left as drawn: its "only an option has one" check is the
#: Instrument's own, which the columnar path does not make (a separate gap).
DRAWN = frozenset({"instrument.strike_price"})
#: Also left as drawn where a frame is validated: the factors of a Trade frame's derived
#: ``notional``, whose exact product must fit in the 38 digits of a polars decimal (values
#: from both ends of the range do not). ``read_records`` of a frame derives nothing.
NOT_IN_FRAME = DRAWN | {"quantity", "price", "instrument.price_multiplier"}


def _leaf(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _least(path: str) -> int | None:
    return LEAST.get(path.rsplit(".")[-1], 0)


def _text_rows(
    data: st.DataObject, records: list[Record], columns: list[str]
) -> list[dict[str, Any]]:
    """The records as text rows, some decimal cells replaced by any spelling of any size."""
    rows = []
    for record in records:
        row = {name: _text(value) for name, value in record.to_row().items()}
        for name in data.draw(st.lists(st.sampled_from(columns), unique=True)):
            row[name] = data.draw(decimal_texts(_least(name)))
        rows.append(row)
    return rows


@pytest.mark.parametrize("model", WIDE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decimal_texts_are_judged_alike_on_both_paths(
    model: type[Record], data: st.DataObject
) -> None:
    records = data.draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=10, unique_by=key_of))
    columns = sorted(layout_of(model).decimals - NOT_IN_FRAME)
    rows = _text_rows(data, records, columns)
    validated = read_records(rows, model)
    checked = validate_frame(_text_frame(rows, model), model)

    # The same rows refused, for the same field and the same reason (the per-record path
    # adds the row's other errors in brackets).
    assert [(e.row, e.field) for e in checked.errors] == [
        (e.row, e.field) for e in validated.errors
    ]
    for columnar, per_record in zip(checked.errors, validated.errors, strict=True):
        assert per_record.reason.split(" (also ")[0] == columnar.reason
    # The accepted values in the frame, exactly: no column's scale cut a digit or overflowed.
    for name in columns:
        assert checked.frame[name].to_list() == [_leaf(r, name) for r in validated.records]


@pytest.mark.parametrize("model", WIDE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decimal_texts_give_the_per_record_results(
    model: type[Record], data: st.DataObject
) -> None:
    records = data.draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=10, unique_by=key_of))
    rows = _text_rows(data, records, sorted(layout_of(model).decimals - DRAWN))
    assembled = read_records(_text_frame(rows, model), model)
    validated = read_records(rows, model)
    _same(assembled.records, validated.records)
    assert [(e.row, e.field, e.reason) for e in assembled.errors] == [
        (e.row, e.field, e.reason) for e in validated.errors
    ]


@pytest.mark.parametrize("model", WIDE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_records_of_any_decimal_size_make_a_frame_of_the_same_values(
    model: type[Record], data: st.DataObject
) -> None:
    records = data.draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=10, unique_by=key_of))
    columns = sorted(layout_of(model).decimals - NOT_IN_FRAME)
    wide = []
    for record in records:
        row = record.to_row()
        for name in data.draw(st.lists(st.sampled_from(columns), unique=True)):
            if name in CONDITIONAL and row.get(name) is None:
                continue  # only an option has a premium, only a swap a near leg
            least = _least(name)
            row[name] = data.draw(wide_decimals(least).filter(lambda v, z=least: z != 0 or v > 0))
        wide.append(model.from_row(row))
    frame = to_frame(wide)
    for name in columns:
        assert frame[name].to_list() == [_leaf(r, name) for r in wide]
    # Equal values; a frame's column has one scale, so read back 1.5 may be 1.50.
    assert read_records(frame.drop("notional", strict=False), model).records == wide


#: Decimal fields only some records may have: widened where the record has them.
CONDITIONAL = frozenset({"option_premium", "near_leg_rate"})


# --- hostile files: both readers accept and refuse the same rows (issue 13) ----------------

FILE_MODELS = [Trade, CashMovement, AccountSnapshot]


@st.composite
def _hostile_file(draw: st.DrawFn, model: type[Record], folder: Path) -> Path:
    """A CSV or JSON Lines file of ``model`` records with hostile cells, blank lines, a key
    given twice or a truncated last line."""
    from test_record_properties import _write_csv, _write_jsonl

    from regkit.schemas.io.columnar import _spec

    kinds = {c.path: c.kind for c in _spec(model).columns if c.kind in ("decimal", "datetime")}
    records = draw(st.lists(TOP_LEVEL[model], min_size=1, max_size=6, unique_by=key_of))
    rows = [record.to_row() for record in records]
    for row in draw(st.lists(st.sampled_from(rows), max_size=3)):
        kind, text = draw(hostile_cells())
        row[draw(st.sampled_from(sorted(p for p, k in kinds.items() if k == kind)))] = text
    suffix = draw(st.sampled_from([".csv", ".jsonl"]))
    path = folder / f"hostile{suffix}"
    (_write_csv if suffix == ".csv" else _write_jsonl)(rows, model, path)
    lines = path.read_bytes().split(b"\n")[:-1]
    body = 1 if suffix == ".csv" else 0  # the header stays
    for _ in range(draw(st.integers(0, 2))):
        blank = draw(st.sampled_from([b"", b"   ", b"\r"]))
        lines.insert(draw(st.integers(body, len(lines))), blank)
    if suffix == ".jsonl" and draw(st.booleans()):
        at = draw(st.integers(0, len(lines) - 1))
        if lines[at].startswith(b"{"):
            name = draw(st.sampled_from(sorted(layout_of(model).columns))).split(".")[0]
            lines[at] = lines[at][:-1] + b', "' + name.encode() + b'": "1"}'
    data = b"\n".join(lines) + b"\n"
    if draw(st.booleans()):
        data = data[: len(data) - draw(st.integers(1, 12))]
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("model", FILE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_hostile_files_are_read_alike_by_both_readers(
    model: type[Record], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = data.draw(_hostile_file(model, Path(folder)))
        per_record = read_records(path, model)
        columnar = read_frame(path, model)
    assert [(e.row, e.field) for e in columnar.errors] == [
        (e.row, e.field) for e in per_record.errors
    ]
    assert columnar.rows == per_record.rows
    if per_record.records:
        assert to_frame(per_record.records, model).equals(columnar.frame)
    else:
        assert columnar.frame.height == 0
